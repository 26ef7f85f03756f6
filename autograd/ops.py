"""The op table: every operation's float forward and its derivative rules, side by side.

A rule is `rule(grad, out, *inputs) -> contribution` for one input: `grad` is the upstream
gradient d(final)/d(out). Rules use ordinary arithmetic, so the same rule runs on floats
(a first-order backward pass) and on Values (`create_graph=True`: higher order for free).
Functions other than arithmetic are called through their table entry (`COS(x)`), which
likewise works on floats and on Values.

An n-ary op (sum, dot) has instead one `nary_rule(grad, out, inputs) -> [one per input]`.
"""

from __future__ import annotations

import functools
import math
import operator

from autograd import value as _value_module
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

from autograd.value import Value, apply, tracing

__all__ = ["Op", "OPS", "define_op"]


@dataclass(frozen=True, eq=False)
class Op:
    """One entry of the op table. Calling it applies the op to Values or numbers.

    >>> from autograd.ops import TANH
    >>> TANH(0.0), TANH.name
    (0.0, 'tanh')
    """

    name: str
    forward: Callable[..., float]
    rules: Optional[tuple] = None  # one rule(grad, out, *inputs) per input
    # The forward on numpy arrays, elementwise, for a tape's batches; None: `forward` runs
    # element by element (correct, slower).
    array_forward: Optional[Callable] = None
    nary_rule: Optional[Callable] = None  # rule(grad, out, inputs) -> one gradient per input
    # (forward(W, X), rule(G, W, X) -> (dW, dX)): many nodes of an n-ary op as one matrix
    # product, for a tape's batches (see DOT); None for ops that have no such form.
    matrix_form: Optional[tuple] = None
    symbol: str = ""  # how the renderer draws the op node
    domain: str = ""  # the valid inputs, quoted in the error when forward rejects them
    builtin: bool = field(default=False, repr=False)

    @property
    def arity(self) -> Optional[int]:
        """Number of inputs; None for an n-ary op."""
        return None if self.rules is None else len(self.rules)

    def __call__(self, *args):
        return apply(self, *args)


OPS: dict[str, Op] = {}


def define_op(
    name: str,
    forward: Callable[..., float],
    rules: Optional[Sequence[Callable]] = None,
    *,
    nary_rule: Optional[Callable] = None,
    array_forward: Optional[Callable] = None,
    symbol: str = "",
    domain: str = "",
) -> Op:
    """Add an op to the table and return it; call the result on Values or numbers.

    `forward` computes the output from float inputs. Give either `rules`, one derivative
    rule `rule(grad, out, *inputs)` per input, or `nary_rule(grad, out, inputs)` returning
    one gradient per input for an op taking any number of inputs. Write rules with
    arithmetic and table ops so they also run on Values (higher-order derivatives).
    `array_forward`, the forward on numpy arrays, makes the op fast on a tape (`autograd.trace`);
    without it a tape runs `forward` element by element. Redefining a user op replaces it; built-in names are reserved.

    >>> import math
    >>> from autograd import Value, define_op
    >>> cube = define_op("cube", lambda x: x ** 3, [lambda grad, out, x: grad * 3 * x * x])
    >>> x = Value(2.0); y = cube(x); y.backward()
    >>> y.data, x.grad, y.op
    (8.0, 12.0, 'cube')
    """
    if not isinstance(name, str):
        raise TypeError(f"define_op: name must be a string, got {type(name).__name__}: {name!r}")
    if not name:
        raise ValueError("define_op: name must be a non-empty string, got ''")
    existing = OPS.get(name)
    if existing is not None and existing.builtin:
        raise ValueError(f"define_op: {name!r} is a built-in op and cannot be redefined")
    if not callable(forward):
        raise TypeError(f"define_op({name!r}): forward must be callable, got {forward!r}")
    if array_forward is not None and not callable(array_forward):
        raise TypeError(f"define_op({name!r}): array_forward must be callable, got {array_forward!r}")
    if (rules is None) == (nary_rule is None):
        raise TypeError(f"define_op({name!r}): give exactly one of rules= or nary_rule=")
    if rules is not None:
        rules = tuple(rules)
        if not rules or not all(callable(r) for r in rules):
            raise TypeError(f"define_op({name!r}): rules must be a non-empty sequence of callables")
    if rules is not None:
        rules = tuple(_checked_rule(name, i, rule) for i, rule in enumerate(rules))
    if nary_rule is not None:
        nary_rule = _checked_nary_rule(name, nary_rule)
    op = Op(name, _float_result(name, forward), rules, array_forward, nary_rule, symbol=symbol or name, domain=domain)
    OPS[name] = op
    return op


def _float_result(name, forward):
    """A user forward may return an int or a numpy scalar; anything else is a clear error."""

    def checked(*inputs):
        out = forward(*inputs)
        try:
            return float(out)
        except (TypeError, ValueError):
            raise TypeError(f"{name}: forward must return a real number, got {out!r}") from None

    return checked


def _is_gradient(x) -> bool:
    """What a rule may return: a number, a Value (create_graph) or an array (a tape's batch)."""
    return isinstance(x, (float, int, Value)) and not isinstance(x, bool) or _value_module._is_real(x) \
        or hasattr(x, "shape") and hasattr(x, "dtype")


def _not_a_gradient(name: str, which: str, result) -> TypeError:
    return TypeError(f"{name}: derivative {which} must return a number (or a Value), got {type(result).__name__}: {result!r}")


def _checked_rule(name: str, index: int, rule: Callable) -> Callable:
    """A user rule whose result is checked, as `_float_result` checks a user forward: a rule
    returning a string or None would otherwise end up in `.grad`."""

    @functools.wraps(rule)
    def checked(grad, out, *inputs):
        result = rule(grad, out, *inputs)
        if not _is_gradient(result):
            raise _not_a_gradient(name, f"rule {index}", result)
        return result

    return checked


def _checked_nary_rule(name: str, rule: Callable) -> Callable:
    @functools.wraps(rule)
    def checked(grad, out, inputs):
        result = list(rule(grad, out, inputs))
        if len(result) != len(inputs):
            raise ValueError(f"{name}: nary_rule returned {len(result)} gradients for {len(inputs)} inputs")
        for r in result:
            if not _is_gradient(r):
                raise _not_a_gradient(name, "nary_rule", r)
        return result

    return checked


def _builtin(name, forward, rules=None, *, array_forward, nary_rule=None, matrix_form=None, symbol="", domain="",
             table=OPS) -> Op:
    op = Op(name, forward, rules, array_forward, nary_rule, matrix_form, symbol or name, domain, builtin=True)
    table[name] = op
    return op


# Ops that derivative rules and `autograd.functional` use but that are not offered as ops of
# their own (so not in OPS, and not drawn by the random-program strategies). Keyed by name, so
# a pickled graph can find them again.
INTERNAL_OPS: dict[str, Op] = {}


def _data(x) -> float:
    """The number behind a rule's input, whether it is a float or a Value."""
    return x.data if isinstance(x, Value) else x


# -- forwards that need care -----------------------------------------------------------------


def _numpy(name: str) -> Callable:
    """numpy's function `name`, as an array forward; numpy is imported when a tape first runs
    it, so `import autograd` stays light."""

    def array_forward(*arrays):
        import numpy

        return getattr(numpy, name)(*arrays)

    array_forward.__name__ = f"numpy.{name}"
    return array_forward


def _pow(x: float, y: float) -> float:
    if x == 0.0 and y < 0.0:
        raise ZeroDivisionError("0 cannot be raised to a negative power")
    if x < 0.0 and not y.is_integer():
        raise ValueError("a negative base needs an integer exponent (the result would be complex)")
    return math.pow(x, y)


def _sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)  # never overflows for x < 0
    return z / (1.0 + z)


_where = _numpy("where")  # relu and leaky_relu on arrays


def _sigmoid_array(x):
    import numpy

    with numpy.errstate(over="ignore"):  # both branches are computed; only the stable one is kept
        z = numpy.exp(-numpy.abs(x))
    return numpy.where(x >= 0.0, 1.0 / (1.0 + z), z / (1.0 + z))


def _softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _softplus_array(x):
    import numpy

    return numpy.maximum(x, 0.0) + numpy.log1p(numpy.exp(-numpy.abs(x)))


def _is_zero(x) -> bool:
    """`x == 0` for a rule's input. While a tape is traced (a traced function that calls
    `grad(..., create_graph=True)`), the answer is recorded as a guard, so a sample on the
    other side raises TraceError instead of reusing the traced branch."""
    if isinstance(x, Value):
        result = x.data == 0.0
        if tracing.active:
            tracing.guard(x, "==", 0.0, result)
        return result
    return x == 0.0


def _pow_base_rule(grad, out, x, y):
    # d/dx x**y = y * x**(y-1). At x == 0, y == 0 that is 0 * 0**-1, which would raise, yet the
    # limit is 0. Elsewhere keep y in the expression, so d/dy of this rule (= 1/x at y == 0) is right.
    if type(x) is not float and not isinstance(x, Value):  # arrays (a tape's batch)
        return grad * _where(x == 0.0, _where(y == 0.0, 0.0, y * x ** (y - 1)), y * x ** (y - 1))
    if _is_zero(y) and _is_zero(x):
        return grad * 0.0
    return grad * y * x ** (y - 1)


def _pow_exponent_rule(grad, out, x, y):
    # d/dy x**y = x**y * log(x). At x == 0 (with y > 0, where the forward is defined) that is
    # 0 * log(0): its limit is 0, as PyTorch gives, though log(0) alone would raise.
    if type(x) is not float and not isinstance(x, Value):  # arrays
        return grad * _where(x == 0.0, 0.0, out * LOG(_where(x == 0.0, 1.0, x)))
    if _is_zero(x):
        return grad * 0.0
    return grad * out * LOG(x)


def _heaviside(x: float) -> float:
    """1 for x > 0, 0 for x <= 0 and NaN for NaN: relu's derivative (0 at the kink, as PyTorch)."""
    return 1.0 if x > 0.0 else (0.0 if x <= 0.0 else x)


def _heaviside_array(x):
    import numpy

    return numpy.heaviside(x, 0.0)


def _relu_rule(g, out, x):
    if type(x) is float:  # the first-order pass: no call (x != x and x: NaN for NaN, else False)
        return g * (x > 0.0 or x != x and x)
    return g * STEP(x)


def _leaky_relu_rule(g, out, x, slope):
    # 1 for x > 0, slope for x <= 0 (slope at the kink, as PyTorch), NaN for NaN
    if type(x) is float:
        return g * (1.0 if x > 0.0 else (slope if x <= 0.0 else x))
    step = STEP(x)
    return g * (step + (1.0 - step) * slope)


def _leaky_relu_slope_rule(g, out, x, slope):
    if type(x) is float:
        return g * (0.0 if x > 0.0 else x)  # NaN for NaN
    return g * (1.0 - STEP(x)) * x


# -- the table -------------------------------------------------------------------------------

# Arithmetic (the float forwards of + - * / neg and abs work on arrays as they are)
ADD = _builtin("add", operator.add, (lambda g, out, x, y: g, lambda g, out, x, y: g), array_forward=operator.add, symbol="+")
SUB = _builtin("sub", operator.sub, (lambda g, out, x, y: g, lambda g, out, x, y: -g), array_forward=operator.sub, symbol="-")
MUL = _builtin(
    "mul", operator.mul, (lambda g, out, x, y: g * y, lambda g, out, x, y: g * x), array_forward=operator.mul, symbol="*"
)
DIV = _builtin(
    "div", operator.truediv, (lambda g, out, x, y: g / y, lambda g, out, x, y: -g * out / y),
    array_forward=operator.truediv, symbol="/",
)
POW = _builtin("pow", _pow, (_pow_base_rule, _pow_exponent_rule), array_forward=_numpy("power"), symbol="**")
NEG = _builtin("neg", operator.neg, (lambda g, out, x: -g,), array_forward=operator.neg, symbol="-")
def _abs_rule(g, out, x):
    if type(x) is float:
        return g * (1.0 if x > 0.0 else (-1.0 if x < 0.0 else (0.0 if x == 0.0 else x)))
    return g * (STEP(x) - STEP(-x))


ABS = _builtin("abs", abs, (_abs_rule,), array_forward=abs)  # derivative 0 at the kink

# Exponentials and logarithms
EXP = _builtin("exp", math.exp, (lambda g, out, x: g * out,), array_forward=_numpy("exp"))
LOG = _builtin("log", math.log, (lambda g, out, x: g / x,), array_forward=_numpy("log"), domain="input must be > 0")
SQRT = _builtin(
    "sqrt", math.sqrt, (lambda g, out, x: g * 0.5 / out,), array_forward=_numpy("sqrt"), domain="input must be >= 0"
)
SOFTPLUS = _builtin("softplus", _softplus, (lambda g, out, x: g * SIGMOID(x),), array_forward=_softplus_array)

# Activations
TANH = _builtin("tanh", math.tanh, (lambda g, out, x: g * (1 - out * out),), array_forward=_numpy("tanh"))
SIGMOID = _builtin("sigmoid", _sigmoid, (lambda g, out, x: g * out * (1 - out),), array_forward=_sigmoid_array)
# Written so that NaN propagates (`x <= 0.0` is False for NaN): never `x if x > 0 else 0`.
RELU = _builtin(
    "relu", lambda x: 0.0 if x <= 0.0 else x, (_relu_rule,), array_forward=lambda x: _where(x <= 0.0, 0.0, x),
)
LEAKY_RELU = _builtin(
    "leaky_relu",
    lambda x, slope: slope * x if x <= 0.0 else x,
    (_leaky_relu_rule, _leaky_relu_slope_rule),
    array_forward=lambda x, slope: _where(x <= 0.0, slope * x, x),
)
# The derivative of relu (and with it of abs and leaky_relu) as a node: a rule that compared
# `x > 0` on a Value would give a plain bool, fixed when a tape traces a derivative.
STEP = _builtin(
    "step", _heaviside, (lambda g, out, x: g * 0.0,), array_forward=_heaviside_array, table=INTERNAL_OPS,
)

# Trigonometry
SIN = _builtin("sin", math.sin, (lambda g, out, x: g * COS(x),), array_forward=_numpy("sin"), domain="input must be finite")
COS = _builtin("cos", math.cos, (lambda g, out, x: -g * SIN(x),), array_forward=_numpy("cos"), domain="input must be finite")

# n-ary: one node for many inputs, so a wide sum is a shallow graph
def _fsum(*xs: float) -> float:
    """The exact sum, rounded once (math.fsum); inf + -inf is NaN, as with `+` (fsum raises)."""
    try:
        return math.fsum(xs)
    except ValueError:  # "-inf + inf in fsum": IEEE 754 says NaN
        return math.nan


SUM = _builtin(
    "sum", _fsum, nary_rule=lambda g, out, xs: [g] * len(xs),
    array_forward=lambda *xs: functools.reduce(operator.add, xs), symbol="Σ",
)


def _dot(*xs: float) -> float:
    n = len(xs) // 2
    return _fsum(*map(operator.mul, xs[:n], xs[n:]))


def _dot_rule(g, out, xs):
    n = len(xs) // 2  # inputs are (w_1..w_n, x_1..x_n): d/dw_i = x_i and d/dx_i = w_i
    return [g * x for x in xs[n:]] + [g * w for w in xs[:n]]


def _dot_matrix_rule(G, W, X):
    # Many dot nodes sharing their x (a layer of neurons), over a batch: W (nodes, n) holds each
    # node's w, the same for every sample; X (n, batch) the shared x; G (nodes, batch) the upstream
    # gradients. These are `_dot_rule`'s d/dw_i = x_i and d/dx_i = w_i, summed over the nodes for
    # x and over the batch for w (W does not vary with the sample).
    return G @ X.T, W.T @ G


DOT = _builtin(
    "dot", _dot, nary_rule=_dot_rule, symbol="·",
    array_forward=lambda *xs: functools.reduce(operator.add, map(operator.mul, xs[: len(xs) // 2], xs[len(xs) // 2:])),
    matrix_form=(lambda W, X: W @ X, _dot_matrix_rule),
)


# -- log-sum-exp: the shift by the max is inside the op, so it is right for every input ---------


def _logsumexp(*xs: float) -> float:
    if any(x != x for x in xs):
        return math.nan
    shift = max(xs)
    if shift == -math.inf:  # every term is exp(-inf) = 0
        return -math.inf
    if shift == math.inf:
        return math.inf
    return shift + math.log(math.fsum([math.exp(x - shift) for x in xs]))


def _logsumexp_array(*xs):
    import numpy

    stacked = numpy.stack(numpy.broadcast_arrays(*xs))
    shift = stacked.max(axis=0)  # NaN if any term is NaN
    shift = numpy.where(numpy.isfinite(shift), shift, 0.0)  # -inf or inf: the sum says it
    with numpy.errstate(divide="ignore", over="ignore"):
        return shift + numpy.log(numpy.exp(stacked - shift).sum(axis=0))


LOGSUMEXP = _builtin(
    "logsumexp", _logsumexp, nary_rule=lambda g, out, xs: [g * EXP(x - out) for x in xs],
    array_forward=_logsumexp_array, symbol="logsumexp", table=INTERNAL_OPS,
)
