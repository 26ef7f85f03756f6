"""Loss functions over Values. Each returns ONE Value to call `backward()` on.

Predictions and targets may be single numbers/Values, lists of them (one per sample), or lists
of lists (one list per sample for multi-output models); both must have the same shape. Targets
are plain numbers (a Value target is used through its data: losses do not differentiate with
respect to targets). Bad input raises ValueError/TypeError naming the loss and the value.
"""

from __future__ import annotations

import math
import numbers

import autograd
from autograd import Value
from autograd.checks import check_real

__all__ = [
    "mse_loss",
    "bce_loss",
    "bce_with_logits_loss",
    "hinge_loss",
    "cross_entropy_loss",
    "l2_regularization",
    "LOSSES",
]

REDUCTIONS = ("mean", "sum")


def _is_scalar(x) -> bool:
    return isinstance(x, (Value, numbers.Real)) and not isinstance(x, bool)


def _flatten(where: str, preds, targets) -> tuple:
    """Matching flat lists of predictions (Values or numbers) and targets (floats)."""
    flat_preds, flat_targets = [], []

    def walk(p, t, at: str) -> None:
        if _is_scalar(p):
            if isinstance(t, Value):
                t = float(t)  # float(), not .data: a tape tracing this loss guards the number it reads
            if not _is_scalar(t):
                raise TypeError(f"{where}: target{at} must be a number, got {type(t).__name__}: {t!r}")
            try:
                t = float(t)
            except OverflowError:  # an int of hundreds of digits
                raise ValueError(f"{where}: target{at} is an integer too large for a float") from None
            flat_preds.append(p)
            flat_targets.append(t)
            return
        if not isinstance(p, (list, tuple)):
            raise TypeError(
                f"{where}: prediction{at} must be a Value, a number or a list, got {type(p).__name__}: {p!r}"
            )
        if _is_scalar(t) or not hasattr(t, "__len__"):
            raise ValueError(f"{where}: prediction{at} is a list of {len(p)} but target{at} is {t!r}")
        if len(p) != len(t):
            raise ValueError(f"{where}: {len(p)} predictions{at} but {len(t)} targets{at}")
        for i, (pi, ti) in enumerate(zip(p, t)):
            walk(pi, ti, f"{at}[{i}]")

    walk(preds, targets, "")
    if not flat_preds:
        raise ValueError(f"{where}: no predictions (empty input)")
    return flat_preds, flat_targets


def _reduce(where: str, terms: list, reduction: str) -> Value:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{where}: reduction must be one of {', '.join(map(repr, REDUCTIONS))}, got {reduction!r}")
    total = autograd.sum(terms)
    return total / len(terms) if reduction == "mean" else total


# Per-sample terms: each loss below is the mean (or sum) of one of these over its samples. They
# take the target as a number or a Value, so `fit(compiled=True)` can trace them with the target
# as a per-sample input.


def squared_error(o, t):
    """(o - t)^2, one sample's term of `mse_loss`.

    >>> squared_error(Value(3.0), 1.0).data
    4.0
    """
    return (o - t) ** 2


def hinge(s, t):
    """relu(1 - t * s), one sample's term of `hinge_loss` (t in {-1, +1}).

    >>> hinge(Value(0.25), 1.0).data, hinge(Value(3.0), 1.0).data
    (0.75, 0.0)
    """
    return (1.0 - t * s).relu()


def logistic(z, t):
    """t softplus(-z) + (1 - t) softplus(z) = -(t log sigmoid(z) + (1 - t) log(1 - sigmoid(z))),
    one sample's term of `bce_with_logits_loss`; stable and exact for any z.

    Each softplus is max(x, 0) + log1p(e**-|x|), so a confident, correct prediction keeps its
    small loss: at z = 40, t = 1 it is log1p(e**-40) = 4.25e-18 (softplus(z) - t z would give
    40 - 40 = 0), and its gradient -sigmoid(-z) comes from one term (sigmoid(z) - t would lose
    it to rounding). No branch on z, so a tape traces it for every sample.

    >>> logistic(Value(1000.0), 1.0).data, logistic(Value(40.0), 1.0).data
    (0.0, 4.248354255291589e-18)
    """
    return t * (-z).softplus() + (1.0 - t) * z.softplus()


def _terms(term, preds: list, targets: list) -> list:
    """`term(p, t)` per sample, a plain-number prediction taken as a constant Value."""
    return [term(p if isinstance(p, Value) else Value(p, requires_grad=False), t) for p, t in zip(preds, targets)]


def mse_loss(preds, targets, reduction: str = "mean") -> Value:
    """Squared error (t - o)^2 over every output: averaged ("mean", PyTorch's MSELoss), summed
    ("sum"), or halved and summed ("half_sum": the seeds' E = sum 1/2 (t - o)^2, whose gradient
    is o - t).

    >>> from autograd import Value
    >>> o = [Value(0.75), Value(0.25)]
    >>> mse_loss(o, [1.0, 0.0]).data, mse_loss(o, [1.0, 0.0], "sum").data, mse_loss(o, [1.0, 0.0], "half_sum").data
    (0.0625, 0.125, 0.0625)
    """
    if reduction not in ("mean", "sum", "half_sum"):
        raise ValueError(f"mse_loss: reduction must be 'mean', 'sum' or 'half_sum', got {reduction!r}")
    flat_preds, flat_targets = _flatten("mse_loss", preds, targets)
    terms = _terms(squared_error, flat_preds, flat_targets)
    if reduction == "half_sum":
        return 0.5 * _reduce("mse_loss", terms, "sum")
    return _reduce("mse_loss", terms, reduction)


def _check_binary_targets(where: str, targets: list, low: float = 0.0, high: float = 1.0) -> None:
    for i, t in enumerate(targets):
        if not low <= t <= high:
            raise ValueError(f"{where}: targets must lie in [{low:g}, {high:g}], got target[{i}] = {t!r}")


# log(p) is clamped at -100 (as PyTorch's BCELoss does), so p = 0 with target 1 gives a large
# finite loss instead of an error; its gradient there is 0.
_LOG_FLOOR = -100.0


def _clamped_log(p):
    if p <= math.exp(_LOG_FLOOR):  # compared on the Value: a tape records the branch as a guard
        return Value(_LOG_FLOOR, requires_grad=False)
    return p.log()


def bce_loss(probs, targets, reduction: str = "mean") -> Value:
    """Binary cross entropy -(t log p + (1 - t) log(1 - p)) on probabilities p in [0, 1],
    targets in [0, 1]; mean over samples (or "sum"). log is clamped at -100 as in PyTorch.
    Prefer `bce_with_logits_loss` on a linear output: it is exact for large logits.

    >>> from autograd import Value
    >>> round(bce_loss([Value(0.8), Value(0.4)], [1, 0]).data, 6)   # -(ln 0.8 + ln 0.6) / 2
    0.366985
    """
    flat_probs, flat_targets = _flatten("bce_loss", probs, targets)
    _check_binary_targets("bce_loss", flat_targets)
    terms = []
    for i, (p, t) in enumerate(zip(flat_probs, flat_targets)):
        if not isinstance(p, Value):
            p = Value(p, requires_grad=False)
        if not 0.0 <= p.data <= 1.0:
            raise ValueError(
                f"bce_loss: probabilities must lie in [0, 1], got probs[{i}] = {p.data!r}; "
                "for raw scores use bce_with_logits_loss"
            )
        term = 0.0
        if t != 0.0:  # skipping a zero-weighted term avoids log(0) where it does not matter
            term = term - t * _clamped_log(p)
        if t != 1.0:
            term = term - (1.0 - t) * _clamped_log(1.0 - p)
        terms.append(term)  # a Value: t cannot be both 0 and 1, so one branch above ran
    return _reduce("bce_loss", terms, reduction)


def bce_with_logits_loss(logits, targets, reduction: str = "mean") -> Value:
    """Binary cross entropy of sigmoid(z) against t in [0, 1], computed stably as
    t softplus(-z) + (1 - t) softplus(z) (no overflow for |z| = 1000, and exact for confident
    predictions: 4.25e-18 at z = 40, t = 1); gradient sigmoid(z) - t, computed as
    (1 - t) sigmoid(z) - t sigmoid(-z), so it keeps its digits too (-4.25e-18 there).

    >>> from autograd import Value
    >>> z = Value(1000.0); loss = bce_with_logits_loss([z], [0]); loss.backward()
    >>> loss.data, z.grad
    (1000.0, 1.0)
    """
    flat_logits, flat_targets = _flatten("bce_with_logits_loss", logits, targets)
    _check_binary_targets("bce_with_logits_loss", flat_targets)
    return _reduce("bce_with_logits_loss", _terms(logistic, flat_logits, flat_targets), reduction)


def hinge_loss(scores, targets, reduction: str = "mean") -> Value:
    """Max-margin loss relu(1 - t * s) for targets t in {-1, +1} (micrograd's demo), mean over
    samples (or "sum"). Labels 0/1 convert with `nn.datasets.to_signed`.

    >>> from autograd import Value
    >>> hinge_loss([Value(2.0), Value(0.5), Value(0.5)], [1, 1, -1]).data   # (0 + 0.5 + 1.5) / 3
    0.6666666666666666
    """
    flat_scores, flat_targets = _flatten("hinge_loss", scores, targets)
    for i, t in enumerate(flat_targets):
        if t not in (-1.0, 1.0):
            raise ValueError(
                f"hinge_loss: targets must be -1 or +1, got target[{i}] = {t!r} "
                "(convert 0/1 labels with nn.datasets.to_signed)"
            )
    return _reduce("hinge_loss", _terms(hinge, flat_scores, flat_targets), reduction)


def _one_cross_entropy(logits, target, at: str) -> Value:
    if isinstance(logits, (Value, numbers.Real)) or not hasattr(logits, "__len__"):
        raise TypeError(f"cross_entropy_loss: logits{at} must be a list of class scores, got {logits!r}")
    logits = list(logits)
    if len(logits) < 2:
        raise ValueError(f"cross_entropy_loss: logits{at} needs at least 2 classes, got {len(logits)}")
    # The ignore: typeshed's numbers.Integral declares __lt__ and __le__ but no __ge__
    if isinstance(target, bool) or not isinstance(target, numbers.Integral) or not 0 <= target < len(logits):  # type: ignore[operator]
        raise ValueError(
            f"cross_entropy_loss: target{at} must be a class index in 0..{len(logits) - 1}, got {target!r}"
        )
    values = [z if isinstance(z, Value) else Value(z, requires_grad=False) for z in logits]
    # -log softmax(z)[t] = logsumexp(z - z[t]): the differences are exact where z[t] is large
    # (logsumexp(z) - z[t] would subtract two large numbers and lose digits).
    target_logit = values[int(target)]
    return autograd.logsumexp([z - target_logit for z in values])


def cross_entropy_loss(logits, target_index, reduction: str = "mean") -> Value:
    """Softmax cross entropy -log softmax(z)[target] = logsumexp(z - z[target]), stable and exact
    for large z (a log-softmax: `cross_entropy_loss([1e5, 1e5 + 1], 0)` is log(1 + e)).

    One sample: `logits` a list of class scores and `target_index` an int. A batch: a list of
    such lists and a list of ints (mean over samples, or "sum").

    >>> from autograd import Value
    >>> round(cross_entropy_loss([Value(1.0), Value(2.0), Value(3.0)], 2).data, 6)
    0.407606
    >>> round(cross_entropy_loss([[0.0, 0.0], [5.0, 0.0]], [0, 0]).data, 6)   # (ln 2 + ln(1 + e^-5)) / 2
    0.349931
    """
    logits = list(logits) if not isinstance(logits, (Value, numbers.Real)) else logits
    batch = isinstance(logits, list) and logits and not _is_scalar(logits[0])
    if not batch:
        loss = _one_cross_entropy(logits, target_index, "")
        if reduction not in REDUCTIONS:
            raise ValueError(f"cross_entropy_loss: reduction must be 'mean' or 'sum', got {reduction!r}")
        return loss
    if isinstance(target_index, numbers.Integral) or not hasattr(target_index, "__len__"):
        raise TypeError(
            f"cross_entropy_loss: a batch of {len(logits)} logit lists needs a list of targets, got {target_index!r}"
        )
    if len(logits) != len(target_index):
        raise ValueError(f"cross_entropy_loss: {len(logits)} samples of logits but {len(target_index)} targets")
    terms = [_one_cross_entropy(z, t, f"[{i}]") for i, (z, t) in enumerate(zip(logits, target_index))]
    return _reduce("cross_entropy_loss", terms, reduction)


def l2_regularization(params, alpha: float) -> Value:
    """alpha * sum(p^2) over `params` (micrograd's demo uses alpha = 1e-4); add it to a loss.
    The sum of squares is one `autograd.dot(params, params)` node.

    >>> from autograd import Value
    >>> l2_regularization([Value(3.0), Value(4.0)], 0.5).data
    12.5
    """
    check_real("l2_regularization", "alpha", alpha, low=0.0)
    params = list(params)
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"l2_regularization: params[{i}] must be a Value, got {type(p).__name__}: {p!r}")
    if not params:
        return Value(0.0, requires_grad=False)
    return alpha * autograd.dot(params, params)


# For the named losses that are a reduction of a per-sample term on one output: (term, reduction).
# `fit(compiled=True)` traces these.
SAMPLE_TERMS = {
    "mse": (squared_error, "mean"),
    "half_sse": (lambda o, t: 0.5 * squared_error(o, t), "sum"),
    "bce_with_logits": (logistic, "mean"),
    "hinge": (hinge, "mean"),
}

# The names `nn.fit(loss=...)` accepts.
LOSSES = {
    "mse": mse_loss,
    "half_sse": lambda preds, targets: mse_loss(preds, targets, reduction="half_sum"),
    "bce": bce_loss,
    "bce_with_logits": bce_with_logits_loss,
    "hinge": hinge_loss,
    "cross_entropy": cross_entropy_loss,
}
