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


def logsumexp(*xs: float) -> float:
    if any(x != x for x in xs):
        return math.nan
    shift = max(xs)
    if shift == -math.inf:  # every term is exp(-inf) = 0
        return -math.inf
    if shift == math.inf:
        return math.inf
    return shift + math.log(math.fsum([math.exp(x - shift) for x in xs]))


def logsumexp_array(*xs):
    import numpy

    stacked = numpy.stack(numpy.broadcast_arrays(*xs))
    shift = stacked.max(axis=0)  # NaN if any term is NaN
    shift = numpy.where(numpy.isfinite(shift), shift, 0.0)  # -inf or inf: the sum says it
    with numpy.errstate(divide="ignore", over="ignore"):
        return shift + numpy.log(numpy.exp(stacked - shift).sum(axis=0))


# -- log-softmax: log(exp(v_i) / sum_j exp(v_j)) = (v_i - m) - log(sum_j exp(v_j - m)), m the max ----
# One node per class, its inputs (v_i, v_1, ..., v_n). Computing it from the differences v_j - m
# keeps every digit for large inputs, where exp(v_i - logsumexp(v)) would lose those of the
# rounding of logsumexp (about 1e-11 relative at |v| = 1e5).


def log_softmax(first: float, *xs: float) -> float:
    if first != first or any(x != x for x in xs):
        return math.nan
    shift = max(xs)
    if not math.isfinite(shift):
        return first - logsumexp(*xs)  # infinities: IEEE arithmetic says what it is
    return (first - shift) - math.log(math.fsum([math.exp(x - shift) for x in xs]))


def log_softmax_array(first, *xs):
    import numpy

    stacked = numpy.stack(numpy.broadcast_arrays(*xs))
    shift = stacked.max(axis=0)
    shift = numpy.where(numpy.isfinite(shift), shift, 0.0)
    with numpy.errstate(divide="ignore", over="ignore", invalid="ignore"):
        return (first - shift) - numpy.log(numpy.exp(stacked - shift).sum(axis=0))


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
