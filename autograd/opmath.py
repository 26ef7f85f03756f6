"""The numerics behind the op table (`autograd.ops`): forwards and rules that need care (kinks,
0 ** y, overflow, NaN), numpy forwards for a tape's batches, and the ops' test domains.

The table reads like mathematics; what it cannot say in one line is here. A rule that needs a
table op on Values (relu's derivative is the op STEP, so it can be differentiated again) calls
it as `ops.STEP(x)`: the table is made after this module, and each call finds it there.
"""

from __future__ import annotations

import math
import operator
from typing import Callable

from autograd import ops
from autograd.opdomain import OpDomain
from autograd.tracing import tracing
from autograd.value import Value

__all__ = [
    "EVERYWHERE",
    "FINITE",
    "FROM_0_1",
    "KINK_AT_0",
    "abs_rule",
    "dot_matrix_rule",
    "dot_product",
    "dot_rule",
    "exact_sum",
    "heaviside",
    "heaviside_array",
    "is_zero",
    "leaky_relu_rule",
    "leaky_relu_slope_rule",
    "log_softmax",
    "log_softmax_array",
    "log_softmax_rule",
    "logsumexp",
    "logsumexp_array",
    "logsumexp_rule",
    "numpy_function",
    "numpy_where",
    "pow_base_rule",
    "pow_exponent_rule",
    "power",
    "relu_rule",
    "sigmoid",
    "sigmoid_array",
    "softplus",
    "softplus_array",
]


def numpy_function(name: str) -> Callable:
    """numpy's function `name`, as an array forward; numpy is imported when a tape first runs
    it, so `import autograd` stays light."""

    def array_forward(*arrays):
        import numpy

        return getattr(numpy, name)(*arrays)

    array_forward.__name__ = f"numpy.{name}"
    return array_forward


def power(x: float, y: float) -> float:
    if x == 0.0 and y < 0.0:
        raise ZeroDivisionError("0 cannot be raised to a negative power")
    if x < 0.0 and not y.is_integer():
        raise ValueError("a negative base needs an integer exponent (the result would be complex)")
    return math.pow(x, y)


def sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)  # never overflows for x < 0
    return z / (1.0 + z)


numpy_where = numpy_function("where")  # relu and leaky_relu on arrays


def sigmoid_array(x):
    import numpy

    with numpy.errstate(over="ignore"):  # both branches are computed; only the stable one is kept
        z = numpy.exp(-numpy.abs(x))
    return numpy.where(x >= 0.0, 1.0 / (1.0 + z), z / (1.0 + z))


def softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def softplus_array(x):
    import numpy

    return numpy.maximum(x, 0.0) + numpy.log1p(numpy.exp(-numpy.abs(x)))


def is_zero(x) -> bool:
    """`x == 0` for a rule's input. While a tape is traced (a traced function that calls
    `grad(..., create_graph=True)`), the answer is recorded as a guard, so a sample on the
    other side raises TraceError instead of reusing the traced branch."""
    if isinstance(x, Value):
        result = x.data == 0.0
        if tracing.active:
            tracing.guard(x, "==", 0.0, result)
        return result
    return x == 0.0


def pow_base_rule(grad, out, x, y):
    # d/dx x**y = y * x**(y-1). At x == 0, y == 0 that is 0 * 0**-1, which would raise, yet the
    # limit is 0. Elsewhere keep y in the expression, so d/dy of this rule (= 1/x at y == 0) is right.
    if type(x) is not float and not isinstance(x, Value):  # arrays (a tape's batch)
        return grad * numpy_where(x == 0.0, numpy_where(y == 0.0, 0.0, y * x ** (y - 1)), y * x ** (y - 1))
    if is_zero(y) and is_zero(x):
        return grad * 0.0
    return grad * y * x ** (y - 1)


def pow_exponent_rule(grad, out, x, y):
    # d/dy x**y = x**y * log(x). At x == 0 (with y > 0, where the forward is defined) that is
    # 0 * log(0): its limit is 0, as PyTorch gives, though log(0) alone would raise.
    if type(x) is not float and not isinstance(x, Value):  # arrays
        return grad * numpy_where(x == 0.0, 0.0, out * ops.LOG(numpy_where(x == 0.0, 1.0, x)))
    if is_zero(x):
        return grad * 0.0
    return grad * out * ops.LOG(x)


def heaviside(x: float) -> float:
    """1 for x > 0, 0 for x <= 0 and NaN for NaN: relu's derivative (0 at the kink, as PyTorch)."""
    return 1.0 if x > 0.0 else (0.0 if x <= 0.0 else x)


def heaviside_array(x):
    import numpy

    return numpy.heaviside(x, 0.0)


def relu_rule(grad, out, x):
    if type(x) is float:  # the first-order pass: no call (x != x and x: NaN for NaN, else False)
        return grad * (x > 0.0 or x != x and x)
    return grad * ops.STEP(x)


def leaky_relu_rule(grad, out, x, slope):
    # 1 for x > 0, slope for x <= 0 (slope at the kink, as PyTorch), NaN for NaN
    if type(x) is float:
        return grad * (1.0 if x > 0.0 else (slope if x <= 0.0 else x))
    step = ops.STEP(x)
    return grad * (step + (1.0 - step) * slope)


def leaky_relu_slope_rule(grad, out, x, slope):
    if type(x) is float:
        return grad * (0.0 if x > 0.0 else x)  # NaN for NaN
    return grad * (1.0 - ops.STEP(x)) * x


def abs_rule(grad, out, x):
    if type(x) is float:
        return grad * (1.0 if x > 0.0 else (-1.0 if x < 0.0 else (0.0 if x == 0.0 else x)))
    return grad * (ops.STEP(x) - ops.STEP(-x))


# Test domains (`autograd.testing`): margins keep a checked point (and every x +- eps) well inside
# the domain and keep curvature, hence finite-difference error, moderate.
EVERYWHERE = OpDomain(description="everywhere")
KINK_AT_0 = OpDomain(kinks=lambda x, *rest: [x], description="everywhere; kink at 0")
FROM_0_1 = OpDomain(accepts=lambda x: x >= 0.1, description="x >= 0.1")
FINITE = OpDomain(accepts=math.isfinite, description="finite x")


# -- n-ary: sum and dot -------------------------------------------------------------------------


def exact_sum(*xs: float) -> float:
    """The exact sum, rounded once (math.fsum); inf + -inf is NaN, as with `+` (fsum raises)."""
    try:
        return math.fsum(xs)
    except ValueError:  # "-inf + inf in fsum": IEEE 754 says NaN
        return math.nan


def dot_product(*xs: float) -> float:
    n = len(xs) // 2
    return exact_sum(*map(operator.mul, xs[:n], xs[n:]))


def dot_rule(grad, out, xs):
    n = len(xs) // 2  # inputs are (w_1..w_n, x_1..x_n): d/dw_i = x_i and d/dx_i = w_i
    return [grad * x for x in xs[n:]] + [grad * w for w in xs[:n]]


def dot_matrix_rule(G, W, X):
    # Many dot nodes sharing their x (a layer of neurons), over a batch: W (nodes, n) holds each
    # node's w, the same for every sample; X (n, batch) the shared x; G (nodes, batch) the upstream
    # gradients. These are `dot_rule`'s d/dw_i = x_i and d/dx_i = w_i, summed over the nodes for
    # x and over the batch for w (W does not vary with the sample).
    return G @ X.T, W.T @ G


# -- log-sum-exp: the shift by the max is inside the op, so it is right for every input ---------
# log(sum_j e**x_j) = m + log(1 + sum_{j != k} e**(x_j - m)), m = x_k the max: log1p of the other
# terms keeps a sum that is tiny next to 1 (logsumexp([0, -40]) is 4.25e-18, not 0: the loss of a
# confident, correct prediction in cross entropy).


def _rest(xs, shift: float) -> float:
    """sum_{j != k} e**(x_j - shift), k the first input equal to the max `shift` (its term is 1)."""
    k = xs.index(shift)
    return math.fsum([math.exp(x - shift) for j, x in enumerate(xs) if j != k])


def logsumexp(*xs: float) -> float:
    if any(x != x for x in xs):
        return math.nan
    shift = max(xs)
    if shift == -math.inf:  # every term is exp(-inf) = 0
        return -math.inf
    if shift == math.inf:
        return math.inf
    return shift + math.log1p(_rest(xs, shift))


def _shifted_terms(xs):
    """numpy: the terms e**(x_j - m) with the max's own term (1) set to 0, and m, for a batch."""
    import numpy

    stacked = numpy.stack(numpy.broadcast_arrays(*xs)).astype(float)
    shift = stacked.max(axis=0)  # NaN if any term is NaN
    shift = numpy.where(numpy.isfinite(shift), shift, 0.0)  # -inf or inf: the sum says it
    with numpy.errstate(over="ignore", invalid="ignore"):
        terms = numpy.exp(stacked - shift)
    first_max = numpy.expand_dims(stacked.argmax(axis=0), 0)
    rest = terms.copy()
    numpy.put_along_axis(rest, first_max, 0.0, axis=0)
    return terms, rest, shift


def logsumexp_array(*xs):
    import numpy

    terms, rest, shift = _shifted_terms(xs)
    with numpy.errstate(divide="ignore", over="ignore", invalid="ignore"):
        # log1p of the rest where the max is finite; the plain log of the sum for infinities
        return shift + numpy.where(
            numpy.isfinite(terms).all(axis=0) & (terms.max(axis=0) == 1.0),
            numpy.log1p(rest.sum(axis=0)),
            numpy.log(terms.sum(axis=0)),
        )


def logsumexp_rule(grad, out, xs):
    # d/dx_i = e**x_i / sum_j e**x_j, the softmax weight of x_i. Computed from the differences
    # x_j - max, never as e**(x_i - out): out is rounded, and at x = y = 1e15 that rounding alone
    # moved the weights to 0.472 each (at 1e16 to 1.0 each, summing to 2).
    if any(isinstance(x, Value) for x in xs):  # create_graph: the weights as a graph, log-softmax's
        values = [x if isinstance(x, Value) else Value(float(x), requires_grad=False) for x in xs]
        return [grad * ops.EXP(ops.LOG_SOFTMAX(x, *values)) for x in values]
    if all(isinstance(x, (float, int)) for x in xs):
        shift = max(xs)
        if not math.isfinite(shift) or any(x != x for x in xs):  # infinities, NaN: IEEE arithmetic
            return [grad * math.exp(x - out) for x in xs]
        terms = [math.exp(x - shift) for x in xs]
        total = math.fsum(terms)
        return [grad * (t / total) for t in terms]
    import numpy  # arrays (a tape's batch)

    terms, _, _ = _shifted_terms(xs)
    with numpy.errstate(invalid="ignore", over="ignore", divide="ignore"):
        finite = numpy.isfinite(terms).all(axis=0) & (terms.max(axis=0) == 1.0)
        weights = numpy.where(
            finite, terms / terms.sum(axis=0), numpy.exp(numpy.stack(numpy.broadcast_arrays(*xs)) - out)
        )
    return [grad * w for w in weights]


# -- log-softmax: log(exp(v_i) / sum_j exp(v_j)) = (v_i - m) - log(sum_j exp(v_j - m)), m the max ----
# One node per class, its inputs (v_i, v_1, ..., v_n). Computing it from the differences v_j - m
# keeps every digit for large inputs, where exp(v_i - logsumexp(v)) would lose those of the
# rounding of logsumexp (about 1e-11 relative at |v| = 1e5); log1p of the other terms keeps the
# log-probability of a near-certain class (-4.25e-18, not 0).


def log_softmax(first: float, *xs: float) -> float:
    if first != first or any(x != x for x in xs):
        return math.nan
    shift = max(xs)
    if not math.isfinite(shift):
        return first - logsumexp(*xs)  # infinities: IEEE arithmetic says what it is
    return (first - shift) - math.log1p(_rest(xs, shift))


def log_softmax_array(first, *xs):
    import numpy

    terms, rest, shift = _shifted_terms(xs)
    with numpy.errstate(divide="ignore", over="ignore", invalid="ignore"):
        return (first - shift) - numpy.where(
            numpy.isfinite(terms).all(axis=0) & (terms.max(axis=0) == 1.0),
            numpy.log1p(rest.sum(axis=0)),
            numpy.log(terms.sum(axis=0)),
        )


def log_softmax_rule(g, out, inputs):
    # d/d(first) = 1; d/dv_j = -softmax_j = -exp((v_j - v_i) + log softmax_i), exact differences.
    # Where v_i is -inf (a masked class, p_i = 0) that is -inf + inf: use v_j - logsumexp(v) there.
    first, xs = inputs[0], inputs[1:]
    if type(first) is float:
        if math.isfinite(first):
            return [g] + [-g * math.exp((x - first) + out) for x in xs]
        total = logsumexp(*xs)
        return [g] + [-g * math.exp(x - total) for x in xs]
    if not isinstance(first, Value):  # arrays (a tape's batch)
        import numpy

        total = logsumexp_array(*xs)
        with numpy.errstate(invalid="ignore", over="ignore"):
            return [g] + [-g * numpy.exp(numpy.where(numpy.isfinite(first), (x - first) + out, x - total)) for x in xs]
    return [g] + [-g * ops.EXP((x - first) + out) for x in xs]
