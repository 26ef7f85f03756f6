"""Training and evaluation: `fit`, `History`, `loss_and_gradients`, `outputs`, `predict`, `accuracy`.

How a model's output becomes a class label (a "decision"):
- "argmax": a model with several outputs predicts the index of the largest (class labels 0..k-1).
- "sign": one output s predicts +1 if s > 0 else -1 (targets -1/+1, hinge loss).
- "logit": one output z predicts 1 if z > 0 else 0 (targets 0/1, a linear output read as a logit).
- "probability": one output p predicts 1 if p > 0.5 else 0 (targets 0/1, a sigmoid output, or MSE
  regression onto 0/1).

`accuracy`/`predict` infer it when `decision=None`: several outputs -> "argmax"; targets in
{-1, +1} -> "sign"; targets in {0, 1} -> "probability" if the model's `output_activation` is
"sigmoid", else "logit". `fit` picks it from the loss ("hinge" -> sign, "bce" -> probability,
"bce_with_logits" -> logit, "cross_entropy" -> argmax, "mse" on 0/1 targets -> probability) and
records it as `History.decision`, so `accuracy(model, X, y, decision=history.decision)` always
agrees with what `fit` reported. Regression targets have no decision: accuracy is None.
"""

from __future__ import annotations

import math
import numbers
import random
import sys
from dataclasses import dataclass, field
from typing import Callable, Optional, Union

import autograd
from autograd import Value, no_grad
from autograd.checks import check_integer, check_real

from nn.losses import LOSSES, SAMPLE_TERMS, l2_regularization
from nn.module import Module
from nn.optim import SGD, Optimizer

__all__ = ["fit", "History", "loss_and_gradients", "outputs", "predict", "accuracy", "DECISIONS", "STOP_REASONS"]

DECISIONS = ("argmax", "sign", "logit", "probability")
STOP_REASONS = ("all_correct", "loss_tol", "no_improvement", "callback", "max_epochs")

# The decision each named loss implies for a single-output model.
_LOSS_DECISIONS = {"hinge": "sign", "bce": "probability", "bce_with_logits": "logit", "cross_entropy": "argmax"}


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

    @property
    def epochs(self) -> int:
        """Number of epochs run."""
        return len(self.loss)

    def __repr__(self) -> str:
        last = f", final loss {self.loss[-1]:.6g}" if self.loss else ""
        if self.accuracy and self.accuracy[-1] is not None:
            last += f", final accuracy {self.accuracy[-1]:.4g}"
        return f"History({self.epochs} epochs{last}, stopped_by={self.stopped_by!r})"


# -- evaluation -------------------------------------------------------------------------------


def _check_data(where: str, X, y=None) -> tuple:
    X = list(X)
    if not X:
        raise ValueError(f"{where}: X is empty")
    if y is None:
        return X, None
    y = list(y)
    if len(X) != len(y):
        raise ValueError(f"{where}: X has {len(X)} samples but y has {len(y)}")
    return X, y


def _as_floats(out):
    if isinstance(out, (list, tuple)):
        return [float(v) for v in out]
    return float(out)


def outputs(model: Callable, X) -> list:
    """The model's raw outputs for each sample, as floats (lists of floats for several
    outputs), computed under `no_grad` (no graph is kept).

    >>> import nn
    >>> neuron = nn.Neuron(1, activation="linear"); neuron.load_state_dict({"w.0": 2.0, "b": 1.0})
    >>> outputs(neuron, [[0.0], [1.0]])
    [1.0, 3.0]
    """
    X, _ = _check_data("outputs", X)
    with no_grad():
        return [_as_floats(model(x)) for x in X]


def _infer_decision(model, sample_output, y) -> Optional[str]:
    if isinstance(sample_output, list):
        return "argmax" if all(isinstance(t, numbers.Integral) and not isinstance(t, bool) for t in y) else None
    if not all(isinstance(t, numbers.Real) and not isinstance(t, bool) for t in y):
        return None
    labels = set(y)
    if labels <= {-1, 1}:
        return "sign"
    if labels <= {0, 1}:
        return "probability" if getattr(model, "output_activation", None) == "sigmoid" else "logit"
    return None


def _decide(out, decision: str):
    if any(math.isnan(o) for o in (out if isinstance(out, list) else [out])):
        raise ValueError(f"decision {decision!r}: the model's output is {out!r}; a NaN output has no class")
    if decision == "argmax":
        if not isinstance(out, list):
            raise ValueError("decision 'argmax' needs a model with several outputs")
        return max(range(len(out)), key=out.__getitem__)
    if isinstance(out, list):
        raise ValueError(f"decision {decision!r} needs a model with one output, got {len(out)} outputs")
    if decision == "sign":
        return 1 if out > 0 else -1
    if decision == "logit":
        return 1 if out > 0 else 0
    return 1 if out > 0.5 else 0


def _check_decision(where: str, decision) -> None:
    if decision is not None and decision not in DECISIONS:
        raise ValueError(f"{where}: decision must be one of {', '.join(map(repr, DECISIONS))} or None, got {decision!r}")


def predict(model: Callable, X, decision: Optional[str] = None) -> list:
    """Class labels for each sample (see the module docstring for `decision`). With
    `decision=None`: "argmax" for several outputs, "sign" (labels -1/+1) for one output.

    >>> import nn
    >>> neuron = nn.Neuron(1, activation="linear"); neuron.load_state_dict({"w.0": 1.0, "b": 0.0})
    >>> predict(neuron, [[-2.0], [3.0]]), predict(neuron, [[-2.0], [3.0]], decision="logit")
    ([-1, 1], [0, 1])
    """
    _check_decision("predict", decision)
    outs = outputs(model, X)
    if decision is None:
        decision = "argmax" if isinstance(outs[0], list) else "sign"
    return [_decide(out, decision) for out in outs]


def accuracy(model: Callable, X, y, decision: Optional[str] = None) -> Optional[float]:
    """The fraction of samples whose predicted label equals y. `decision=None` infers the rule
    from y and the model (module docstring); None is returned when y are not class labels.

    >>> import nn
    >>> neuron = nn.Neuron(1, activation="linear"); neuron.load_state_dict({"w.0": 1.0, "b": 0.0})
    >>> accuracy(neuron, [[-2.0], [3.0], [1.0]], [-1, 1, -1])
    0.6666666666666666
    """
    _check_decision("accuracy", decision)
    X, y = _check_data("accuracy", X, y)
    outs = outputs(model, X)
    if decision is None:
        decision = _infer_decision(model, outs[0], y)
        if decision is None:
            return None
    return sum(_decide(out, decision) == target for out, target in zip(outs, y)) / len(y)


# -- training ---------------------------------------------------------------------------------


def loss_and_gradients(model: Callable, loss_fn: Callable, X_batch: list, y_batch: list, params: list, l2: float = 0.0) -> float:
    """One batch: forward every sample, the loss `loss_fn(predictions, y_batch)` plus
    `l2 * sum(p^2)` over `params`, and backward. Gradients ACCUMULATE into the parameters'
    `.grad` (zero them first); returns the loss as a float. `fit` calls this for every batch.

    >>> import nn
    >>> model = nn.Neuron(1, activation="linear"); model.load_state_dict({"w.0": 2.0, "b": 0.0})
    >>> loss_and_gradients(model, nn.mse_loss, [[1.0], [3.0]], [1.0, 3.0], model.parameters())
    5.0
    >>> model.w[0].grad, model.b.grad   # d/dw mean((w x - t)^2) = mean(2 (w x - t) x) = (2 + 18) / 2
    (10.0, 4.0)
    """
    predictions = [model(x) for x in X_batch]
    loss = loss_fn(predictions, y_batch)
    if l2:
        loss = loss + l2_regularization(params, l2)
    if not isinstance(loss, Value):
        raise TypeError(f"fit: the loss function must return a Value, got {type(loss).__name__}: {loss!r}")
    loss.backward()
    return loss.data


class _CompiledPath:
    """`fit(compiled=...)`: the model's output and the loss's per-sample term traced once with
    `autograd.trace`, then replayed over whole batches with numpy. Same numbers as the scalar
    path (to rounding); a model whose trace cannot be replayed raises `autograd.TraceError`."""

    def __init__(self, model, loss_name: str, X: list, y: list):
        import numpy  # the compiled path's one extra dependency

        self.np = numpy
        self.term, self.reduction = SAMPLE_TERMS[loss_name]
        with no_grad():  # the scalar loss validates the targets (hinge needs -1/+1, ...); the tape would not
            LOSSES[loss_name]([0.0] * len(y), y)
        self.params = model.parameters()

        def output_and_term(*features_and_target):
            out = model(list(features_and_target[:-1]))
            return [out, self.term(out, features_and_target[-1])]

        self.tape = autograd.trace(output_and_term, list(X[0]) + [float(y[0])], params=self.params)

    def _rows(self, X, y) -> "numpy.ndarray":
        return self.np.array([list(x) + [float(t)] for x, t in zip(X, y)], dtype=float)

    def loss_and_gradients(self, X_batch: list, y_batch: list, l2: float) -> float:
        """What `loss_and_gradients` computes, over the batch at once; grads accumulate."""
        _, terms = self.tape.forward(self._rows(X_batch, y_batch))
        weight = 1.0 / len(X_batch) if self.reduction == "mean" else 1.0
        self.tape.backward([0.0, weight])
        loss = float(self.np.sum(terms)) * weight
        if l2:
            regularization = l2_regularization(self.params, l2)
            regularization.backward()
            loss += regularization.data
        return loss

    def outputs(self, X: list) -> list:
        """The model's output for every sample (the target column is unused: 0)."""
        out, _ = self.tape.forward(self._rows(X, [0.0] * len(X)))
        return out.tolist()


def _compiled_path(compiled, model, loss_name, several_outputs: bool, X, y) -> Optional[_CompiledPath]:
    """The compiled path fit should use, or None for the scalar path (compiled=False, or
    "auto" when it does not apply). compiled=True says why it cannot be used."""
    if compiled is False:
        return None
    if compiled not in (True, "auto"):
        raise ValueError(f"fit: compiled must be True, False or 'auto', got {compiled!r}")
    if loss_name not in SAMPLE_TERMS:
        reason = f"loss {loss_name!r} is not one of {', '.join(map(repr, SAMPLE_TERMS))}" if loss_name else "a custom loss callable cannot be traced per sample"
    elif several_outputs:
        reason = "the model has several outputs (the compiled path handles one)"
    elif not isinstance(model, Module):
        reason = "the model is not an nn.Module (its parameters are unknown)"
    else:
        try:
            return _CompiledPath(model, loss_name, X, y)
        except ImportError:
            reason = "numpy is not installed (pip install numpy)"
        except autograd.TraceError as error:
            reason = f"the model cannot be traced: {error}"
    if compiled is True:
        raise ValueError(f"fit(compiled=True): {reason}; use compiled=False or 'auto'")
    return None


def _all_finite(params: list) -> bool:
    """True when every gradient is finite (one sum: inf and NaN survive it; a sum that overflows
    from finite gradients sends the caller to the exact check, which finds none)."""
    total = 0.0
    for p in params:
        g = p._grad
        if g is not None:
            total += g
    return total - total == 0.0


def _named(model, params: list) -> list:
    """(name, parameter) pairs for messages: dotted names where the model knows them."""
    names = {id(p): name for name, p in model.named_parameters()} if isinstance(model, Module) else {}
    return [(names.get(id(p)) or p.label or f"parameter {i}", p) for i, p in enumerate(params)]


def _bad_sample(model, X_batch: list, batch: list) -> str:
    """" at sample i (...)" for the first sample of the batch whose input or output is not
    finite, or "" (only computed when training has already failed)."""
    for x, index in zip(X_batch, batch):
        features = list(x) if isinstance(x, (list, tuple)) else [x]
        if not all(isinstance(f, numbers.Real) and math.isfinite(f) for f in features):
            return f" at sample {index} (its input {x!r} is not finite)"
        try:
            with no_grad():
                out = _as_floats(model(x))
        except ArithmeticError:
            return f" at sample {index} (input {x!r}; the model's forward fails there)"
        except ValueError:
            return ""
        if not all(math.isfinite(o) for o in (out if isinstance(out, list) else [out])):
            return f" at sample {index} (input {x!r}; the model's output is {out!r})"
    return ""


def _resolve_loss(loss) -> tuple:
    if callable(loss):
        return loss, None
    if not isinstance(loss, str):
        raise TypeError(f"fit: loss must be a name or a callable, got {type(loss).__name__}: {loss!r}")
    if loss not in LOSSES:
        raise ValueError(f"fit: unknown loss {loss!r}; choose one of {', '.join(map(repr, LOSSES))} or pass a callable")
    return LOSSES[loss], loss


def _progress_bar(progress, epochs: int):
    """A tqdm bar, or None. progress=None shows one only when stderr is a terminal."""
    if progress is None:
        progress = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        if progress:
            try:
                import tqdm  # noqa: F401 - only to see whether it is there
            except ImportError:
                return None
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        raise ImportError("fit: progress=True needs tqdm (pip install tqdm)") from None
    return tqdm(total=epochs, desc="fit", unit="epoch", dynamic_ncols=True)


def _check_optional_number(name: str, value, minimum: float = 0.0) -> Optional[float]:
    return check_real("fit", name, value, low=minimum, allow_none=True)


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

    >>> import nn
    >>> X, y = nn.datasets.xor()
    >>> model = nn.MLP(2, [4, 1], activation="tanh", seed=3)
    >>> history = nn.fit(model, X, y, loss="bce_with_logits", optimizer=nn.Adam(model.parameters(), lr=0.1),
    ...                  epochs=200, stop_when_all_correct=True)
    >>> history.stopped_by, history.accuracy[-1], history.decision
    ('all_correct', 1.0, 'logit')
    """
    X, y = _check_data("fit", X, y)
    loss_fn, loss_name = _resolve_loss(loss)
    epochs = check_integer("fit", "epochs", epochs, minimum=1)
    batch_size = check_integer("fit", "batch_size", batch_size, minimum=1, allow_none=True)
    patience = check_integer("fit", "patience", patience, minimum=1, allow_none=True)
    tol = _check_optional_number("tol", tol, -math.inf)
    min_delta = _check_optional_number("min_delta", min_delta)
    l2 = _check_optional_number("l2", l2) or 0.0
    _check_decision("fit", decision)
    if callback is not None and not callable(callback):
        raise TypeError(f"fit: callback must be callable(epoch, history), got {callback!r}")

    params = model.parameters() if isinstance(model, Module) else []
    if optimizer is None:
        optimizer = SGD(params, lr=lr)
    with no_grad():
        sample_output = _as_floats(model(X[0]))
    several_outputs = isinstance(sample_output, list)
    if loss_name == "cross_entropy" and not several_outputs:
        raise ValueError(
            "fit: loss 'cross_entropy' needs a model with one output per class (at least 2), but this model has "
            "one output; for two classes use one output with loss='bce_with_logits' (targets 0/1)"
        )
    if decision is None:
        if loss_name in _LOSS_DECISIONS and not several_outputs and loss_name != "cross_entropy":
            decision = _LOSS_DECISIONS[loss_name]
        else:
            decision = _infer_decision(model, sample_output, y)
            if loss_name in ("mse", "half_sse") and decision == "logit":
                decision = "probability"  # MSE regresses onto 0/1: the midpoint 0.5 separates them
    compiled_path = _compiled_path(compiled, model, loss_name, several_outputs, X, y)
    if stop_when_all_correct and decision is None:
        raise ValueError("fit: stop_when_all_correct needs class-label targets (no decision rule fits these targets)")

    n = len(X)
    size = n if batch_size is None else min(int(batch_size), n)
    rng = random.Random(seed)
    order = list(range(n))
    history = History(decision=decision)
    best_loss, epochs_without_improvement = math.inf, 0
    bar = _progress_bar(progress, epochs)
    try:
        for epoch in range(int(epochs)):
            if shuffle and size < n:
                rng.shuffle(order)
            epoch_lr = optimizer.lr
            total = 0.0
            for start in range(0, n, size):
                batch = order[start : start + size]
                optimizer.zero_grad()
                X_batch, y_batch = [X[i] for i in batch], [y[i] for i in batch]
                try:
                    batch_loss = None
                    if compiled_path is not None:
                        try:
                            batch_loss = compiled_path.loss_and_gradients(X_batch, y_batch, l2)
                        except autograd.TraceError:
                            if compiled is True:
                                raise
                            compiled_path = None  # "auto": this model branches on values; go scalar
                            optimizer.zero_grad()
                    if batch_loss is None:
                        batch_loss = loss_and_gradients(model, loss_fn, X_batch, y_batch, params, l2)
                except ArithmeticError as error:  # overflow, or a derivative undefined at this point
                    raise FloatingPointError(
                        f"fit: training failed in epoch {epoch} (lr {optimizer.lr:g}){_bad_sample(model, X_batch, batch)}: "
                        f"{error}. The model is diverging: lower the learning rate, or check the data"
                    ) from error
                if not math.isfinite(batch_loss):
                    raise FloatingPointError(
                        f"fit: the loss became {batch_loss!r} in epoch {epoch} (lr {optimizer.lr:g})"
                        f"{_bad_sample(model, X_batch, batch)}; lower the learning rate or check the data"
                    )
                if not _all_finite(optimizer.params):  # names are looked up only when one is not
                    for name, p in _named(model, optimizer.params):
                        if not math.isfinite(p.grad):
                            raise FloatingPointError(
                                f"fit: the gradient of {name} became {p.grad!r} in epoch {epoch} (lr {optimizer.lr:g})"
                                f"{_bad_sample(model, X_batch, batch)}; lower the learning rate or check the data"
                            )
                optimizer.step()
                total += batch_loss * len(batch)
            epoch_loss = total / n
            if decision is None:
                epoch_accuracy = None
            elif compiled_path is not None:
                predictions = [_decide(out, decision) for out in compiled_path.outputs(X)]
                epoch_accuracy = sum(p == t for p, t in zip(predictions, y)) / n
            else:
                epoch_accuracy = accuracy(model, X, y, decision)
            history.loss.append(epoch_loss)
            history.accuracy.append(epoch_accuracy)
            history.lr.append(epoch_lr)
            if scheduler is not None:
                scheduler.step()
            if bar is not None:
                postfix = {"loss": f"{epoch_loss:.4g}"}
                if epoch_accuracy is not None:
                    postfix["acc"] = f"{epoch_accuracy:.3f}"
                bar.set_postfix(postfix, refresh=False)
                bar.update(1)

            # The callback sees every epoch, including the one where another criterion stops.
            callback_wants_stop = callback is not None and callback(epoch, history) is True
            if epoch_loss < best_loss - min_delta:
                best_loss, epochs_without_improvement = epoch_loss, 0
            else:
                epochs_without_improvement += 1
            if stop_when_all_correct and epoch_accuracy == 1.0:
                history.stopped_by = "all_correct"
            elif tol is not None and epoch_loss <= tol:
                history.stopped_by = "loss_tol"
            elif patience is not None and epochs_without_improvement >= patience:
                history.stopped_by = "no_improvement"
            elif callback_wants_stop:
                history.stopped_by = "callback"
            if history.stopped_by is not None:
                return history
        history.stopped_by = "max_epochs"
        return history
    finally:
        if bar is not None:
            bar.close()
