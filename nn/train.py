"""Training: `fit`, the loop that trains a model by gradient descent, and its `History`.

The pieces it is made of have modules of their own: `nn.evaluate` (outputs, predict, accuracy,
one batch's loss_and_gradients, and how outputs become class labels), `nn.compiled` (the traced
batch path, `fit(compiled=...)`), `nn.stopping` (the stopping criteria) and `nn.progress` (the
progress bar).
"""

from __future__ import annotations

import math
import numbers
import os
import random
from dataclasses import dataclass, field
from typing import Callable, Optional, Union

import autograd
from autograd import no_grad, write_atomically
from autograd.checks import check_integer, check_real
from nn.compiled import CompiledPath, compiled_path
from nn.evaluate import (
    DECISIONS,
    accuracy,
    as_floats,
    check_data,
    check_decision,
    decision_for_loss,
    loss_and_gradients,
    outputs,
    predict,
)
from nn.live import LiveView, Recording, StopTraining, open_view
from nn.losses import LOSSES
from nn.module import Module
from nn.optim import SGD, Optimizer
from nn.progress import ProgressBar
from nn.stopping import STOP_REASONS, Stopping

__all__ = ["fit", "History", "loss_and_gradients", "outputs", "predict", "accuracy", "DECISIONS", "STOP_REASONS"]


@dataclass
class History:
    """What `fit` did: per-epoch `loss` (mean training loss over the epoch's batches, each
    computed before its update, regularisation included), `accuracy` (on the whole training set
    after the epoch, None without a decision), `lr` (the learning rate used in the epoch), the
    `decision` used for accuracy, and `stopped_by`, one of STOP_REASONS.

    >>> History(loss=[0.5, 0.25], accuracy=[0.5, 1.0], lr=[0.1, 0.1], stopped_by="all_correct").epochs
    2
    """

    loss: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    stopped_by: Optional[str] = None
    decision: Optional[str] = None
    recording: Optional[Recording] = field(default=None, repr=False, compare=False)

    @property
    def epochs(self) -> int:
        """Number of epochs run."""
        return len(self.loss)

    def __repr__(self) -> str:
        last = f", final loss {self.loss[-1]:.6g}" if self.loss else ""
        if self.accuracy and self.accuracy[-1] is not None:
            last += f", final accuracy {self.accuracy[-1]:.4g}"
        return f"History({self.epochs} epochs{last}, stopped_by={self.stopped_by!r})"

    def to_html(self, title: Optional[str] = None) -> str:
        """The run recorded by `fit(..., live=True)` as one self-contained offline page that
        scrubs through it epoch by epoch (the live view's network, decision plane, curves and
        gradient norms); `save_html` writes it to a file."""
        if self.recording is None:
            raise ValueError(
                "History.to_html: this run recorded no frames; train with nn.fit(..., live=True) to record one"
            )
        from nn.live import replay_page

        return replay_page(self.recording, title)

    def save_html(self, path, title: Optional[str] = None) -> str:
        """Write `to_html()` to `path` atomically; return the path.

        >>> import os, tempfile, warnings, nn
        >>> X, y = nn.datasets.xor()
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")  # outside Jupyter live=True only records
        ...     history = nn.fit(nn.MLP(2, [4, 1], activation="tanh", seed=3), X, y, loss="bce_with_logits", epochs=3, live=True, progress=False)
        >>> page = history.save_html(os.path.join(tempfile.mkdtemp(), "run.html"))
        >>> len(history.recording.frames), "default-src 'none'" in open(page, encoding="utf-8").read()
        (3, True)
        """
        return write_atomically(path, self.to_html(title), where=f"History.save_html {os.fspath(path)}")

    def append(self, loss: float, accuracy: Optional[float], lr: float) -> None:
        """Record one epoch."""
        self.loss.append(loss)
        self.accuracy.append(accuracy)
        self.lr.append(lr)


def fit(
    model: Module,
    X,
    y,
    loss: Union[str, Callable] = "hinge",
    optimizer: Optional[Optimizer] = None,
    epochs: int = 100,
    batch_size: Optional[int] = None,
    shuffle: bool = True,
    seed: int = 0,
    lr: float = 0.1,
    scheduler=None,
    l2: float = 0.0,
    decision: Optional[str] = None,
    stop_when_all_correct: bool = False,
    tol: Optional[float] = None,
    patience: Optional[int] = None,
    min_delta: float = 0.0,
    progress: Optional[bool] = None,
    callback: Optional[Callable] = None,
    compiled: Union[bool, str] = False,
    live: bool = False,
) -> History:
    """Train `model` on (X, y) by gradient descent and return a `History`.

    - `loss`: "hinge" (targets -1/+1), "mse", "half_sse" (sum of 1/2 (t - o)^2), "bce"
      (probabilities), "bce_with_logits", "cross_entropy" (class indices, several outputs), or a
      callable `loss(predictions, targets) -> Value` over a batch. `l2` adds `l2 * sum(p^2)`.
    - `optimizer`: default `SGD(model.parameters(), lr=lr)`. `scheduler` (e.g. `LinearDecay`)
      is stepped after every epoch.
    - `batch_size=None` trains on the full batch each epoch; otherwise mini-batches, in an
      order shuffled each epoch by `random.Random(seed)` when `shuffle`.
    - Stopping, checked after each epoch in this order: `stop_when_all_correct` (training
      accuracy after the epoch is 1.0: "all_correct"), `tol` (epoch loss <= tol: "loss_tol"),
      `patience` (no loss decrease by more than `min_delta` for that many epochs:
      "no_improvement"), `callback(epoch, history)` returning True ("callback"); otherwise
      "max_epochs".
    - `progress`: a tqdm bar; None shows it only when stderr is a terminal (tqdm is imported
      only then), False never, True always.
    - `compiled`: True traces the model and the loss once (`autograd.trace`) and replays each
      batch with numpy, many times faster with the same numbers; it needs numpy, one output
      and a loss of "mse", "half_sse", "hinge" or "bce_with_logits", and raises ValueError
      saying which is missing. A model whose forward branches on values raises
      `autograd.TraceError`. "auto" uses the compiled path where it applies and otherwise,
      or after a TraceError, the scalar one.
    - `live`: True shows the live view in Jupyter (`nn.live`: the network with each neuron's
      output over the input plane, the decision, loss, accuracy, gradient norms and dead ReLUs,
      updating as it trains, with pause, step, epoch, stop and speed; stop ends training with
      `stopped_by="stopped"`) and records the run in `history.recording`, which
      `history.save_html(path)` writes as a replay page. Outside Jupyter it warns and shows the
      progress bar, and still records.

    >>> import nn
    >>> X, y = nn.datasets.xor()
    >>> model = nn.MLP(2, [4, 1], activation="tanh", seed=3)
    >>> history = nn.fit(model, X, y, loss="bce_with_logits", optimizer=nn.Adam(model.parameters(), lr=0.1),
    ...                  epochs=200, stop_when_all_correct=True)
    >>> history.stopped_by, history.accuracy[-1], history.decision
    ('all_correct', 1.0, 'logit')
    """
    X, y = check_data("fit", X, y)
    loss_fn, loss_name = _resolve_loss(loss)
    epochs = check_integer("fit", "epochs", epochs, minimum=1)
    batches = _Batches(
        len(X), check_integer("fit", "batch_size", batch_size, minimum=1, allow_none=True), shuffle, seed
    )
    stopping = Stopping(stop_when_all_correct, tol, patience, min_delta, callback)
    l2 = check_real("fit", "l2", l2, low=0.0, allow_none=True) or 0.0
    check_decision("fit", decision)
    params = model.parameters() if isinstance(model, Module) else []
    optimizer = optimizer if optimizer is not None else SGD(params, lr=lr)
    several_outputs, decision = _outputs_and_decision(model, X, y, loss_name, decision)
    path = compiled_path(compiled, model, loss_name, several_outputs, X, y)
    training = _Training(model, loss_fn, params, l2, optimizer, path, compiled)
    stopping.check_decision(decision)
    history = History(decision=decision)
    view = open_view(model, X, y, decision, epochs, _title(model)) if live else None
    run = _Run(training, optimizer, scheduler, stopping, batches, epochs, decision)
    return run.watched(history, view, X, y, progress)


class _Run:
    """The epochs of one `fit` call: train, record, step the scheduler, check the stopping criteria."""

    def __init__(self, training, optimizer, scheduler, stopping, batches, epochs: int, decision: Optional[str]):
        self.training, self.optimizer, self.scheduler, self.stopping = training, optimizer, scheduler, stopping
        self.batches, self.epochs, self.decision = batches, epochs, decision

    def watched(self, history: History, view: Optional[LiveView], X: list, y: list, progress) -> History:
        """Run, with the live view when there is one: it records the run in the history, and is
        told how the run ended (stopped by its button, done, or an error, which is raised on)."""
        if view is not None:
            history.recording = view.recording
            if view.widget is None and progress is None:
                progress = True  # outside Jupyter, live=True shows the terminal bar
        try:
            self.epochs_of(history, view, X, y, progress)
        except StopTraining:
            history.stopped_by = "stopped"
        except BaseException as error:  # KeyboardInterrupt too: the view says the run ended
            if view is not None:
                view.finish("error", f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)
            raise
        if view is not None:
            view.finish("stopped" if history.stopped_by == "stopped" else "done", f"stopped by {history.stopped_by}")
        return history

    def epochs_of(self, history: History, view: Optional[LiveView], X: list, y: list, progress) -> None:
        before_batch = view.before_batch if view is not None else None
        with ProgressBar(progress, self.epochs) as bar:
            for epoch in range(self.epochs):
                lr_used = self.optimizer.lr
                epoch_loss = self.training.epoch(epoch, X, y, self.batches.epoch(), before_batch, history)
                history.append(epoch_loss, self.training.accuracy(X, y, self.decision), lr_used)
                if self.scheduler is not None:
                    self.scheduler.step()
                bar.epoch_done(epoch_loss, history.accuracy[-1])
                history.stopped_by = self.stopping.reason(epoch, history)
                if view is not None:
                    last = history.stopped_by is not None or epoch == self.epochs - 1
                    view.epoch_done(epoch + 1, epoch_loss, history.accuracy[-1], lr_used, last=last)
                if history.stopped_by is not None:
                    return
        history.stopped_by = "max_epochs"


def _title(model) -> str:
    return f"Training {type(model).__name__}"


def _resolve_loss(loss) -> tuple:
    if callable(loss):
        return loss, None
    if not isinstance(loss, str):
        raise TypeError(f"fit: loss must be a name or a callable, got {type(loss).__name__}: {loss!r}")
    if loss not in LOSSES:
        raise ValueError(f"fit: unknown loss {loss!r}; choose one of {', '.join(map(repr, LOSSES))} or pass a callable")
    return LOSSES[loss], loss


def _outputs_and_decision(model, X: list, y: list, loss_name: Optional[str], decision: Optional[str]) -> tuple:
    """(whether the model has several outputs, the decision fit reports accuracy with)."""
    with no_grad():
        sample_output = as_floats(model(X[0]))
    several_outputs = isinstance(sample_output, list)
    if loss_name == "cross_entropy" and not several_outputs:
        raise ValueError(
            "fit: loss 'cross_entropy' needs a model with one output per class (at least 2), but this model has "
            "one output; for two classes use one output with loss='bce_with_logits' (targets 0/1)"
        )
    if decision is None:
        decision = decision_for_loss(model, sample_output, y, loss_name)
    return several_outputs, decision


class _Batches:
    """Each epoch's mini-batches (lists of sample indices); `batch_size=None` is the full batch.
    With `shuffle` the order is reshuffled every epoch by `random.Random(seed)`."""

    def __init__(self, n: int, batch_size: Optional[int], shuffle: bool, seed):
        self.size = n if batch_size is None else min(int(batch_size), n)
        self.shuffle, self.rng, self.order = shuffle, random.Random(seed), list(range(n))

    def epoch(self) -> list:
        if self.shuffle and self.size < len(self.order):
            self.rng.shuffle(self.order)
        return [self.order[start : start + self.size] for start in range(0, len(self.order), self.size)]


class _Training:
    """One epoch of `fit`: for every batch, the loss and gradients (on the compiled path while it
    applies, else the scalar one), checked for divergence, then one optimizer step."""

    def __init__(
        self, model, loss_fn, params: list, l2: float, optimizer, compiled_path: Optional[CompiledPath], compiled
    ):
        self.model, self.loss_fn, self.params, self.l2, self.optimizer = model, loss_fn, params, l2, optimizer
        self.compiled_path, self.compiled = compiled_path, compiled

    def epoch(self, epoch: int, X: list, y: list, batches: list, before_batch=None, history=None) -> float:
        """Train on every batch; the mean training loss over the epoch. `before_batch(starts_epoch)`
        (the live view's controls) may hold the loop or raise StopTraining: then the batches done
        so far are recorded as a partial epoch in `history` before it propagates."""
        total, trained = 0.0, 0
        for number, batch in enumerate(batches):
            if before_batch is not None:
                try:
                    before_batch(number == 0)
                except StopTraining:
                    if trained and history is not None:
                        history.append(total / trained, self.accuracy(X, y, history.decision), self.optimizer.lr)
                    raise
            self.optimizer.zero_grad()
            X_batch, y_batch = [X[i] for i in batch], [y[i] for i in batch]
            total += self._checked_loss(epoch, X_batch, y_batch, batch) * len(batch)
            trained += len(batch)
            self.optimizer.step()
        return total / len(X)

    def accuracy(self, X: list, y: list, decision: Optional[str]) -> Optional[float]:
        """Training accuracy after the epoch; None without a decision."""
        if decision is None:
            return None
        if self.compiled_path is not None:
            return self.compiled_path.accuracy(X, y, decision)
        return accuracy(self.model, X, y, decision)

    def _loss(self, X_batch: list, y_batch: list) -> float:
        if self.compiled_path is not None:
            try:
                return self.compiled_path.loss_and_gradients(X_batch, y_batch, self.l2)
            except autograd.TraceError:
                if self.compiled is True:
                    raise
                self.compiled_path = None  # "auto": this model branches on values; go scalar
                self.optimizer.zero_grad()
        return loss_and_gradients(self.model, self.loss_fn, X_batch, y_batch, self.params, self.l2)

    def _checked_loss(self, epoch: int, X_batch: list, y_batch: list, batch: list) -> float:
        """The batch's loss (gradients in the parameters); FloatingPointError saying where when
        the loss or a gradient is not finite, or the forward fails: the model is diverging."""
        where = lambda: f"in epoch {epoch} (lr {self.optimizer.lr:g}){_bad_sample(self.model, X_batch, batch)}"  # noqa: E731
        try:
            batch_loss = self._loss(X_batch, y_batch)
        except ArithmeticError as error:  # overflow, or a derivative undefined at this point
            raise FloatingPointError(
                f"fit: training failed {where()}: {error}. The model is diverging: lower the learning rate, or check the data"
            ) from error
        if not math.isfinite(batch_loss):
            raise FloatingPointError(
                f"fit: the loss became {batch_loss!r} {where()}; lower the learning rate or check the data"
            )
        if not _all_finite(self.optimizer.params):  # names are looked up only when one is not
            for name, p in _named(self.model, self.optimizer.params):
                if not math.isfinite(p.grad):
                    raise FloatingPointError(
                        f"fit: the gradient of {name} became {p.grad!r} {where()}; lower the learning rate or check the data"
                    )
        return batch_loss


def _all_finite(params: list) -> bool:
    """True when every gradient is finite (one sum: inf and NaN survive it; a sum that overflows
    from finite gradients sends the caller to the exact check, which finds none)."""
    total = 0.0
    for p in params:
        total += p.grad
    return total - total == 0.0


def _named(model, params: list) -> list:
    """(name, parameter) pairs for messages: dotted names where the model knows them."""
    names = {id(p): name for name, p in model.named_parameters()} if isinstance(model, Module) else {}
    return [(names.get(id(p)) or p.label or f"parameter {i}", p) for i, p in enumerate(params)]


def _bad_sample(model, X_batch: list, batch: list) -> str:
    """ " at sample i (...)" for the first sample of the batch whose input or output is not
    finite, or "" (only computed when training has already failed)."""
    for x, index in zip(X_batch, batch):
        features = list(x) if isinstance(x, (list, tuple)) else [x]
        if not all(isinstance(f, numbers.Real) and math.isfinite(f) for f in features):
            return f" at sample {index} (its input {x!r} is not finite)"
        try:
            with no_grad():
                out = as_floats(model(x))
        except ArithmeticError:
            return f" at sample {index} (input {x!r}; the model's forward fails there)"
        except ValueError:
            return ""
        if not all(math.isfinite(o) for o in (out if isinstance(out, list) else [out])):
            return f" at sample {index} (input {x!r}; the model's output is {out!r})"
    return ""
