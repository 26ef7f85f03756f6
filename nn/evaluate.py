"""Evaluation: a model's `outputs`, `predict`, `accuracy`, and one batch's `loss_and_gradients`.

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
from typing import Callable, Optional

from autograd import Value, no_grad
from nn.losses import l2_regularization

__all__ = ["outputs", "predict", "accuracy", "loss_and_gradients", "decide", "DECISIONS"]

DECISIONS = ("argmax", "sign", "logit", "probability")

# The decision each named loss implies for a single-output model.
_LOSS_DECISIONS = {"hinge": "sign", "bce": "probability", "bce_with_logits": "logit", "cross_entropy": "argmax"}


def check_data(where: str, X, y=None) -> tuple:
    """X (and y) as lists, checked for `where` (outputs, accuracy, fit): not empty, as many targets as samples."""
    X = list(X)
    if not X:
        raise ValueError(f"{where}: X is empty")
    if y is None:
        return X, None
    y = list(y)
    if len(X) != len(y):
        raise ValueError(f"{where}: X has {len(X)} samples but y has {len(y)}")
    return X, y


def as_floats(out):
    """A model's output as a float, or a list of floats for several outputs."""
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
    X, _ = check_data("outputs", X)
    with no_grad():
        return [as_floats(model(x)) for x in X]


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


def decide(out, decision: str):
    """The class `decision` gives for one output (a number, or a list for "argmax"): "sign" -1/+1,
    "logit" (> 0) and "probability" (> 0.5) 0/1, "argmax" the index of the largest output.

    >>> decide(0.3, "sign"), decide(0.3, "probability"), decide([0.1, 2.0, -1.0], "argmax")
    (1, 0, 1)
    """
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


def check_decision(where: str, decision) -> None:
    """A ValueError naming `where` unless `decision` is one of DECISIONS or None."""
    if decision is not None and decision not in DECISIONS:
        raise ValueError(
            f"{where}: decision must be one of {', '.join(map(repr, DECISIONS))} or None, got {decision!r}"
        )


def predict(model: Callable, X, decision: Optional[str] = None) -> list:
    """Class labels for each sample (see the module docstring for `decision`). With
    `decision=None`: "argmax" for several outputs, "sign" (labels -1/+1) for one output.

    >>> import nn
    >>> neuron = nn.Neuron(1, activation="linear"); neuron.load_state_dict({"w.0": 1.0, "b": 0.0})
    >>> predict(neuron, [[-2.0], [3.0]]), predict(neuron, [[-2.0], [3.0]], decision="logit")
    ([-1, 1], [0, 1])
    """
    check_decision("predict", decision)
    outs = outputs(model, X)
    if decision is None:
        decision = "argmax" if isinstance(outs[0], list) else "sign"
    return [decide(out, decision) for out in outs]


def accuracy(model: Callable, X, y, decision: Optional[str] = None) -> Optional[float]:
    """The fraction of samples whose predicted label equals y. `decision=None` infers the rule
    from y and the model (module docstring); None is returned when y are not class labels.

    >>> import nn
    >>> neuron = nn.Neuron(1, activation="linear"); neuron.load_state_dict({"w.0": 1.0, "b": 0.0})
    >>> accuracy(neuron, [[-2.0], [3.0], [1.0]], [-1, 1, -1])
    0.6666666666666666
    """
    check_decision("accuracy", decision)
    X, y = check_data("accuracy", X, y)
    outs = outputs(model, X)
    if decision is None:
        decision = _infer_decision(model, outs[0], y)
        if decision is None:
            return None
    return sum(decide(out, decision) == target for out, target in zip(outs, y)) / len(y)


def decision_for_loss(model, sample_output, y, loss_name: Optional[str]) -> Optional[str]:
    """The decision `fit` reports accuracy with when none is given: the named loss's own (one
    output), else the one inferred from the targets, where MSE onto 0/1 reads as a probability."""
    if loss_name in _LOSS_DECISIONS and not isinstance(sample_output, list):
        return _LOSS_DECISIONS[loss_name]
    decision = _infer_decision(model, sample_output, y)
    if loss_name in ("mse", "half_sse") and decision == "logit":
        return "probability"  # MSE regresses onto 0/1: the midpoint 0.5 separates them
    return decision


def loss_and_gradients(
    model: Callable, loss_fn: Callable, X_batch: list, y_batch: list, params: list, l2: float = 0.0
) -> float:
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
