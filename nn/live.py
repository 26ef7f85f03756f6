"""Watch training happen: the live view of `fit(..., live=True)` and the replay page of a run.

`fit(model, X, y, live=True)` records, after every epoch, the loss, the accuracy and each layer's
gradient norm, and (as often as a budget of about 5% of training time allows) a *frame*: every
neuron's weights and, for 2-D inputs, what each neuron computes over the input plane and the
model's decision over it, plus the count of dead ReLUs. In Jupyter (with anywidget) one view shows
them while training runs, with pause, resume, one step, one epoch, stop and speed. Anywhere,
`history.save_html(path)` writes the run as one self-contained offline page to scrub through.

The view draws Playground-style: columns of neurons, each a small heatmap of its output over the
input plane (orange negative, blue positive), edges coloured by the weight's sign and as wide as
its size.

>>> import nn
>>> X, y = nn.datasets.xor()
>>> model = nn.MLP(2, [4, 1], activation="tanh", seed=3)
>>> history = nn.fit(model, X, y, loss="bce_with_logits", epochs=5, live=True)  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import math
import sys
import time
import warnings
from typing import Callable, Optional

from nn.layers import MLP, Layer, Neuron
from nn.module import Module

__all__ = ["Recording", "LiveView", "Controls", "in_jupyter", "GRID"]

GRID = 20  # heatmap cells per side (drawn smoothed): enough to see a boundary; 400 bytes a neuron a frame
MAX_FRAMES = 400  # a longer run keeps every other frame, and records half as often, when full
MIN_FRAMES = 60  # frames recorded evenly over a run whatever they cost (tiny nets train in no time)
FRAME_BUDGET = 0.05  # frames may cost at most this fraction of the training time so far
SEND_INTERVAL = 0.1  # seconds between updates sent to the live view (the browser needs no more)

# numpy versions of nn.ACTIVATIONS, for the planes (the same functions on arrays).
_ARRAY_ACTIVATIONS = {
    "relu": lambda np, z: np.maximum(z, 0.0),
    "tanh": lambda np, z: np.tanh(z),
    "sigmoid": lambda np, z: 0.5 * (1.0 + np.tanh(0.5 * z)),
    "leaky_relu": lambda np, z: np.where(z > 0, z, 0.01 * z),
    "linear": lambda np, z: z,
}


def layers_of(model) -> Optional[list]:
    """The model as layers of neurons ``[(activation, [neuron, ...]), ...]`` when it is an `MLP`,
    a `Layer` or a `Neuron` whose forward is the built-in one; otherwise None (the view then shows
    curves and gradient norms, without the network drawing).

    >>> [(act, len(ns)) for act, ns in layers_of(MLP(2, [3, 1], activation="tanh", seed=0))]
    [('tanh', 3), ('linear', 1)]
    """
    kind = type(model)
    if kind is MLP or (isinstance(model, MLP) and kind.forward is MLP.forward):
        return [(layer.activation, list(layer.neurons)) for layer in model.layers]
    if kind is Layer or (isinstance(model, Layer) and kind.forward is Layer.forward):
        return [(model.activation, list(model.neurons))]
    if kind is Neuron or (isinstance(model, Neuron) and kind.forward is Neuron.forward):
        return [(model.activation, [model])]
    return None


def _parameter_groups(model, layers: list) -> list:
    """(name, parameters) per layer, for the gradient norms: the model's layers where it has
    them, else one group per top-level attribute (``named_parameters`` up to the first dot)."""
    if layers:
        return [(f"layer {i + 1}", [p for n in neurons for p in (*n.w, n.b)]) for i, (_, neurons) in enumerate(layers)]
    groups: dict = {}
    if isinstance(model, Module):
        for name, p in model.named_parameters():
            groups.setdefault(name.split(".")[0], []).append(p)
    return list(groups.items())


def _encode(np, values, low: float = -1.0, high: float = 1.0) -> str:
    """A plane of numbers as base64 bytes 0..255 (clipped to [low, high])."""
    scaled = np.clip((np.asarray(values, dtype=float) - low) / (high - low), 0.0, 1.0)
    return base64.b64encode(np.rint(scaled * 255).astype(np.uint8).tobytes()).decode("ascii")


class Recording:
    """What a live run recorded: `meta` (the network's shape, the data on the plane), `series`
    (per epoch: loss, accuracy, learning rate, each layer's gradient norm) and `frames` (weights,
    planes and dead units at some epochs, at most `MAX_FRAMES`). Plain data: it pickles, copies
    and is written into the replay page as JSON.

    >>> import nn
    >>> model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    >>> rec = Recording(model, [[0.0, 0.0], [1.0, 1.0]], [0, 1], decision="logit", epochs=10)
    >>> rec.meta["sizes"], rec.meta["plane"]["extent"]
    ([2, 3, 1], [-0.1, 1.1, -0.1, 1.1])
    """

    def __init__(self, model, X: list, y: list, decision: Optional[str], epochs: int, title: str = "Training"):
        self.layers: list = layers_of(model) or []
        self.groups = _parameter_groups(model, self.layers)
        self.numpy = _numpy()
        self.X, self.y, self.decision, self.epochs = X, y, decision, epochs
        nin = len(X[0]) if isinstance(X[0], (list, tuple)) else 1
        self.meta: dict = {
            "title": title,
            "epochs": epochs,
            "decision": decision,
            "sizes": [nin] + [len(neurons) for _, neurons in self.layers] if self.layers else None,
            "activations": [act for act, _ in self.layers] if self.layers else None,
            "groups": [name for name, _ in self.groups],
            "plane": self._plane(nin),
            "note": "" if self.numpy or not self.layers else "install numpy to see what each neuron computes",
        }
        self.series: dict = {"epoch": [], "loss": [], "accuracy": [], "lr": [], "grad_norm": []}
        self.frames: list = []
        self.stride, self.spent, self.started = 1, 0.0, time.perf_counter()
        self.status = {"state": "running", "epoch": 0, "message": ""}  # how the run ended, once it has

    # -- per epoch: cheap ------------------------------------------------------------------------
    def epoch_done(self, epoch: int, loss: float, accuracy: Optional[float], lr: float, force: bool = False) -> bool:
        """Record epoch `epoch` (1-based) and, within the time budget, a frame; True if one was."""
        norms = [math.sqrt(sum(p.grad * p.grad for p in params)) for _, params in self.groups]
        for key, value in (("epoch", epoch), ("loss", loss), ("accuracy", accuracy), ("lr", lr)):
            self.series[key].append(_finite_or_none(value))
        self.series["grad_norm"].append([_finite_or_none(v) for v in norms])
        if not (force or self._frame_due(epoch)):
            return False
        began = time.perf_counter()
        self.frames.append(self.frame(epoch, loss, accuracy))
        if len(self.frames) > MAX_FRAMES:  # keep the first and every other one after it
            self.frames = self.frames[:1] + self.frames[2::2]
            self.stride *= 2
        self.spent += time.perf_counter() - began
        return True

    def catch_up(self) -> None:
        """A frame of the last epoch trained, if the newest frame is older (the view pauses on
        the model as it is, not as it was some epochs ago)."""
        epochs = self.series["epoch"]
        if epochs and (not self.frames or self.frames[-1]["epoch"] != epochs[-1]):
            self.frames.append(self.frame(epochs[-1], self.series["loss"][-1], self.series["accuracy"][-1]))

    def _frame_due(self, epoch: int) -> bool:
        if epoch % self.stride and epoch != 1:
            return False
        if epoch % max(1, self.epochs // MIN_FRAMES) == 0:  # a replay worth scrubbing, even for tiny nets
            return True
        return self.spent <= FRAME_BUDGET * (time.perf_counter() - self.started)

    # -- a frame: weights, planes, dead units ------------------------------------------------------
    def frame(self, epoch: int, loss: float, accuracy: Optional[float]) -> dict:
        """The network now: per layer the weights `w` (rows are neurons) and biases `b`; with
        numpy, `planes` (each neuron over the input plane, 2-D inputs only), the `decision` plane
        and `dead` (ReLUs whose output is 0 on every training input)."""
        frame = {"epoch": epoch, "loss": _finite_or_none(loss), "accuracy": accuracy, "layers": [], "dead": None}
        if not self.layers:
            return frame
        weights = [
            ([[w.data for w in n.w] for n in neurons], [n.b.data for n in neurons]) for _, neurons in self.layers
        ]
        frame["layers"] = [
            {"w": [[_round(v) for v in row] for row in w], "b": [_round(v) for v in b]} for w, b in weights
        ]
        if self.numpy is not None:
            frame.update(self._computed(weights))
        return frame

    def _computed(self, weights: list) -> dict:
        np = self.numpy
        out: dict = {}
        with np.errstate(all="ignore"):
            data = self._forward(
                weights, np.asarray([x if isinstance(x, (list, tuple)) else [x] for x in self.X], dtype=float)
            )
            out["dead_units"] = [
                [layer, int(j)]
                for layer, ((act, _), a) in enumerate(zip(self.layers, data))
                if act == "relu"
                for j in np.flatnonzero(np.all(a <= 0.0, axis=0))
            ]
            out["dead"] = len(out["dead_units"])
            plane = self.meta["plane"]
            if plane is not None:
                activations = self._forward(weights, plane_points(np, plane["extent"]))
                out["planes"] = [[_encode(np, a[:, j]) for j in range(a.shape[1])] for a in activations]
                out["decision_plane"] = self._decision_plane(np, activations[-1])
        return out

    def _forward(self, weights: list, inputs) -> list:
        np, outputs, a = self.numpy, [], inputs
        for (act, _), (w, b) in zip(self.layers, weights):
            a = _ARRAY_ACTIVATIONS[act](np, a @ np.asarray(w, dtype=float).T + np.asarray(b, dtype=float))
            outputs.append(a)
        return outputs

    def _decision_plane(self, np, out) -> dict:
        """The model's decision over the plane: for one output a score in [-1, 1] whose sign is
        the class (so the boundary is where the colour turns); for several, the class index."""
        if out.shape[1] > 1:
            return {
                "classes": out.shape[1],
                "data": base64.b64encode(np.argmax(out, axis=1).astype(np.uint8).tobytes()).decode("ascii"),
            }
        s = out[:, 0]
        score = {"logit": np.tanh(0.5 * s), "probability": 2.0 * s - 1.0}.get(self.decision or "sign", np.tanh(s))
        return {"classes": 0, "data": _encode(np, score)}

    def _plane(self, nin: int) -> Optional[dict]:
        if nin != 2 or not self.layers:
            return None
        xs, ys = [x[0] for x in self.X], [x[1] for x in self.X]
        extent = [*_padded(min(xs), max(xs)), *_padded(min(ys), max(ys))]
        points = [[_round(x[0]), _round(x[1]), self._label(t)] for x, t in zip(self.X, self.y)][:2000]
        return {"grid": GRID, "extent": extent, "points": points}

    def _label(self, target) -> Optional[float]:
        t = target[0] if isinstance(target, (list, tuple)) and len(target) == 1 else target
        return t if isinstance(t, (int, float)) else None

    def data(self) -> dict:
        """Everything the replay page needs, as JSON-ready data."""
        return {"meta": self.meta, "series": self.series, "frames": self.frames, "status": self.status}

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.update(layers=[], groups=[], numpy=None, X=None, y=None)  # the model stays with the user
        return state


def plane_points(np, extent: list):
    """The GRID x GRID points of the input plane, row by row from the top (as an image is drawn)."""
    xs = np.linspace(extent[0], extent[1], GRID)
    ys = np.linspace(extent[3], extent[2], GRID)
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def _padded(low: float, high: float) -> tuple:
    pad = 0.1 * (high - low) if high > low else 1.0
    return _round(low - pad), _round(high + pad)


def _round(x: float) -> float:
    return float(f"{x:.5g}")


def _finite_or_none(x):
    return x if x is None or (isinstance(x, (int, float)) and math.isfinite(x)) else None


def _numpy():
    try:
        import numpy
    except ImportError:
        return None
    return numpy


# -- the controls -------------------------------------------------------------------------------


class StopTraining(Exception):
    """Raised inside `fit` when the view's stop button was pressed (fit returns its history)."""


class Controls:
    """What the view's buttons ask, as a state machine that the training loop consults before
    every batch. Messages (sent by the buttons): ``{"control": "pause" | "resume" | "step" |
    "epoch" | "stop"}`` and ``{"control": "speed", "delay": seconds}``.

    >>> c = Controls()
    >>> c.handle({"control": "pause"}); c.state
    'paused'
    >>> c.handle({"control": "step"}); c.may_run(batch_starts_epoch=False)
    True
    >>> c.may_run(batch_starts_epoch=False)
    False
    """

    def __init__(self):
        self.state, self.steps, self.epoch, self.delay = "running", 0, None, 0.0

    def handle(self, message: dict) -> None:
        control = message.get("control") if isinstance(message, dict) else None
        if control == "pause" and self.state == "running":
            self.state = "paused"
        elif control == "resume" and self.state == "paused":
            self.state, self.steps, self.epoch = "running", 0, None
        elif control == "step" and self.state != "stopping":
            self.state, self.steps = "paused", self.steps + 1
        elif control == "epoch" and self.state != "stopping":
            self.state, self.epoch = "paused", "requested"
        elif control == "stop":
            self.state = "stopping"
        elif control == "speed":
            delay = message.get("delay")
            if isinstance(delay, (int, float)) and math.isfinite(delay):
                self.delay = min(max(float(delay), 0.0), 5.0)

    def may_run(self, batch_starts_epoch: bool) -> bool:
        """May the next batch run now? While paused, uses up a requested step, or runs on to the
        end of the current epoch when one epoch was requested. Raises StopTraining after stop."""
        if self.state == "stopping":
            raise StopTraining
        if self.state == "running":
            return True
        if self.epoch == "requested":
            self.epoch = "running"
            return True
        if self.epoch == "running":
            if not batch_starts_epoch:
                return True
            self.epoch = None  # that epoch is done: hold before the next one
        if self.steps:
            self.steps -= 1
            return True
        return False


# -- the live view ------------------------------------------------------------------------------


def in_jupyter() -> bool:
    """True inside a Jupyter kernel (where a widget can be shown)."""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return shell is not None and hasattr(shell, "kernel")


class LiveView:
    """`fit(..., live=True)`'s side of the view: it records, sends throttled updates to the
    widget, and holds the loop while paused. `poll` processes the notebook's pending messages
    (button clicks) while the cell runs; without Jupyter there is no widget, only the recording.
    """

    def __init__(self, recording: Recording, widget=None, poll: Optional[Callable[[], None]] = None):
        self.recording, self.widget, self.poll = recording, widget, poll or (lambda: None)
        self.controls = Controls()
        self.status = recording.status
        self.last_sent, self.sent_frames = 0.0, 0
        if widget is not None:
            widget.on_msg(lambda _widget, content, _buffers: self.controls.handle(content))

    def before_batch(self, batch_starts_epoch: bool) -> None:
        """Called by fit before every batch: handle clicks, wait while paused, raise
        StopTraining when stopped."""
        self.poll()
        while not self.controls.may_run(batch_starts_epoch):
            if self.status["state"] != "paused":  # once: the view needs no resend while it waits
                self.recording.catch_up()
                self._show("paused")
            time.sleep(0.05)
            self.poll()
        if self.status["state"] != "running":
            self._show("running")

    def epoch_done(self, epoch: int, loss: float, accuracy: Optional[float], lr: float, last: bool = False) -> None:
        self.recording.epoch_done(epoch, loss, accuracy, lr, force=last)
        self.status["epoch"] = epoch
        self._send(force=last)
        delay = self.controls.delay
        while delay > 0 and self.controls.state == "running":  # the speed control: wait, but answer clicks
            time.sleep(min(delay, 0.05))
            delay -= 0.05
            self.poll()

    def finish(self, state: str, message: str = "") -> None:
        """The run ended: "done", "stopped" or "error" (with the error's message)."""
        self.status.update(state=state, message=message)
        self._send(force=True)
        close = getattr(self.poll, "close", None)
        if close is not None:
            close()

    def _show(self, state: str) -> None:
        self.status["state"] = state
        self._send(force=True)

    def _send(self, force: bool = False) -> None:
        now = time.perf_counter()
        if self.widget is None or (not force and now - self.last_sent < SEND_INTERVAL):
            return
        began = now
        rec, widget = self.recording, self.widget
        with widget.hold_sync():
            if len(rec.frames) != self.sent_frames and rec.frames:
                widget.frame = rec.frames[-1]
                self.sent_frames = len(rec.frames)
            widget.series = {key: list(values) for key, values in rec.series.items()}
            widget.status = dict(self.status, controls=self.controls.state, delay=self.controls.delay)
        self.last_sent = time.perf_counter()
        rec.spent += self.last_sent - began  # sending counts against the same budget


def open_view(model, X: list, y: list, decision: Optional[str], epochs: int, title: str) -> LiveView:
    """The live view for a `fit` call: shown in Jupyter when anywidget is there; otherwise the
    recording alone, with a warning that says why and what to do."""
    recording = Recording(model, X, y, decision, epochs, title)
    if not in_jupyter():
        warnings.warn(
            "fit(live=True): no Jupyter kernel here, so training shows the progress bar instead of the live "
            "view; history.save_html('run.html') writes the recorded run as a page",
            stacklevel=3,
        )
        return LiveView(recording)
    try:
        widget = _widget_class()(meta=recording.meta, series=recording.series)
    except ImportError as error:
        warnings.warn(f"fit(live=True): {error}; showing the progress bar instead", stacklevel=3)
        return LiveView(recording)
    from IPython.display import display

    poll = _UIPoll()
    recording.meta["note"] = "; ".join(note for note in (recording.meta["note"], poll.problem) if note)
    widget.meta = dict(recording.meta)
    display(widget)
    return LiveView(recording, widget, poll)


class _UIPoll:
    """Lets the kernel handle the view's messages (button clicks) while the cell runs, with
    jupyter-ui-poll. It needs ipykernel 6 (ipykernel 7 has no way to do it from inside a cell:
    there the view still updates, and says that its buttons act only once the run is over)."""

    def __init__(self):
        self.context = self.process = None
        try:
            import ipykernel
            from jupyter_ui_poll import ui_events
        except ImportError:
            self.problem = "the buttons need jupyter-ui-poll (pip install jupyter-ui-poll)"
            return
        if int(ipykernel.__version__.split(".")[0]) >= 7:
            self.problem = f"the buttons need ipykernel 6 (this is {ipykernel.__version__}): pip install 'ipykernel<7'; interrupt the kernel to stop"
            return
        self.problem = ""
        self.context = ui_events()
        self.process = self.context.__enter__()

    def __call__(self) -> None:
        if self.process is not None:
            self.process(20)

    def close(self) -> None:
        if self.context is not None:
            self.context.__exit__(None, None, None)
            self.context = self.process = None


def _widget_class():
    """The live training view: `meta` once, then `series`, `frame` and `status` as training runs."""
    from autograd.explorer import widget_class

    traits = (("meta", "dict"), ("series", "dict"), ("frame", "dict"), ("status", "dict"))
    return widget_class(
        "LiveWidget", _asset("live.js") + "\n" + _asset("live_widget.js"), _style(), traits, "the live view"
    )


def _asset(name: str) -> str:
    from importlib import resources

    return resources.files("nn").joinpath(name).read_text(encoding="utf-8")


def _style() -> str:
    from autograd.explorer import stylesheet

    return stylesheet() + "\n" + _asset("live.css")


def replay_page(recording: Recording, title: Optional[str] = None) -> str:
    """One self-contained offline page (no network request; a strict Content-Security-Policy)
    that scrubs through a recorded run epoch by epoch."""
    from autograd.explorer import offline_page
    from autograd.render.style import visible

    data = recording.data()
    if title:
        data["meta"] = dict(data["meta"], title=visible(title))  # a lone surrogate is written, not a crash
    return offline_page(
        data["meta"]["title"],
        script=_asset("live.js") + "\n" + _asset("live_page.js"),
        style=_style() + _PAGE_STYLE,
        data=data,
        root_id="dagrad-live",
    )


_PAGE_STYLE = "\nhtml, body { margin: 0; background: #f8fafc; }\nbody { padding: 18px 22px; }\n#dagrad-live { max-width: 1300px; margin: 0 auto; }\n"
