"""n-ary helpers over lists of Values (numbers are accepted as constants)."""

from __future__ import annotations

from typing import Iterable, Sequence, Union

from autograd.ops import DOT, LOG_SOFTMAX, LOGSUMEXP, SUM
from autograd.value import Value, apply

__all__ = ["sum", "mean", "dot", "softmax", "logsumexp"]

# What these take: Values, and numbers as constants.
Items = Iterable[Union[Value, float]]


def _values(items: Items, where: str) -> list[Union[Value, float]]:
    items = list(items)
    if not items:
        raise ValueError(f"{where}: needs at least one input, got an empty sequence")
    return items


def sum(values: Items) -> Value:  # noqa: A001 - mirrors builtins.sum on purpose
    """The sum of `values` as ONE node with n parents (a wide sum stays a shallow graph).

    >>> import autograd
    >>> s = autograd.sum([Value(1.0), Value(2.0), 3.0]); s.data, len(s.parents)
    (6.0, 3)
    """
    values = list(values)
    if not values:
        return Value(0.0, requires_grad=False)
    return apply(SUM, *values) if any(isinstance(v, Value) for v in values) else Value(apply(SUM, *values))


def mean(values: Items) -> Value:
    """The arithmetic mean of `values`.

    >>> import autograd
    >>> autograd.mean([Value(1.0), Value(2.0)]).data
    1.5
    """
    values = _values(values, "mean")
    return sum(values) / len(values)


def dot(weights: Sequence[Union[Value, float]], inputs: Sequence[Union[Value, float]]) -> Value:
    """sum_i weights[i] * inputs[i] as ONE node with 2n parents.

    >>> import autograd
    >>> w = [Value(1.0), Value(2.0)]
    >>> autograd.dot(w, [3.0, 4.0]).data
    11.0
    """
    weights, inputs = list(weights), list(inputs)
    if len(weights) != len(inputs):
        raise ValueError(f"dot: lengths differ ({len(weights)} weights, {len(inputs)} inputs)")
    if not weights:
        return Value(0.0, requires_grad=False)
    out = apply(DOT, *weights, *inputs)
    return out if isinstance(out, Value) else Value(out)


def softmax(values: Items) -> list[Value]:
    """exp(v_i) / sum_j exp(v_j) for each i, as a list of Values; stable for large inputs.

    Computed as exp(log_softmax(v)_i), one log-softmax op per class that shifts by the max of
    its inputs each time it runs (a tape replays it per sample) and works from the differences
    v_j - max, so large inputs keep every digit.

    >>> import autograd
    >>> [round(p.data, 4) for p in autograd.softmax([Value(0.0), Value(0.0)])]
    [0.5, 0.5]
    """
    values = [v if isinstance(v, Value) else Value(v, requires_grad=False) for v in _values(values, "softmax")]
    return [apply(LOG_SOFTMAX, v, *values).exp() for v in values]


def logsumexp(values: Items) -> Value:
    """log(sum_i exp(v_i)) as ONE node, stable for large inputs: the op shifts by the max of
    its inputs each time it runs (also on a tape). -inf terms add nothing: all -inf gives -inf,
    and an inf term gives inf.

    >>> import autograd
    >>> round(autograd.logsumexp([Value(1000.0), Value(1000.0)]).data, 6)
    1000.693147
    >>> autograd.logsumexp([float("-inf"), float("-inf")]).data, autograd.logsumexp([float("inf"), 0.0]).data
    (-inf, inf)
    """
    values = [v if isinstance(v, Value) else Value(v, requires_grad=False) for v in _values(values, "logsumexp")]
    return apply(LOGSUMEXP, *values)
