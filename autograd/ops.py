"""The op table: every operation's float forward and its derivative rules, side by side.

A rule is `rule(grad, out, *inputs) -> contribution` for one input: `grad` is the upstream
gradient d(final)/d(out). Rules use ordinary arithmetic, so the same rule runs on floats
(a first-order backward pass) and on Values (`create_graph=True`: higher order for free).
Functions other than arithmetic are called through their table entry (`COS(x)`), which
likewise works on floats and on Values.

An n-ary op (sum, dot) has instead one `nary_rule(grad, out, inputs) -> [one per input]`.

To add an op, add one entry to the table below ("-- the table"): its forward, its rules, its
array forward, how it is written on Values (method and docstring, or operator) and its test
domain. Value's methods and operators (`Value.tanh`, `x + y`), the domains of
`autograd.testing` and `Program`'s source are all made from the entry; `define_op` makes the
same kind of entry for your own op.
"""

from __future__ import annotations

import functools
import math
import operator

from autograd import value as _value_module
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

from autograd.opdomain import OpDomain
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
    domain: str = ""  # the valid inputs, quoted in the error when forward rejects them (cf. test_domain)
    builtin: bool = field(default=False, repr=False)
    # How the op is written on Values: Value's methods and operators are made from these.
    method: str = ""  # `x.method()`, or `x.method(y)` for two inputs: "tanh" gives Value.tanh
    doc: str = ""  # the method's docstring, with a tiny example
    # A Python operator: binary "+", "-", "*", "/", "**" (both `x + 2` and `2 + x`), unary "-" or "abs"
    operator: str = ""
    # Python source for a call, given its arguments' source (Program prints it), when the op
    # has neither method nor operator; None: `OPS["name"](x, y)`.
    source: Optional[Callable[[list], str]] = field(default=None, repr=False)
    # Where the op may be tested by finite differences (its kinks, a margin inside its domain),
    # read by `autograd.testing`; None: smooth and defined everywhere.
    test_domain: Optional[OpDomain] = field(default=None, repr=False)

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
    method: str = "",
    doc: str = "",
    operator: str = "",
    test_domain: Optional[OpDomain] = None,
) -> Op:
    """Add an op to the table and return it; call the result on Values or numbers.

    `forward` computes the output from float inputs. Give either `rules`, one derivative
    rule `rule(grad, out, *inputs)` per input, or `nary_rule(grad, out, inputs)` returning
    one gradient per input for an op taking any number of inputs. Write rules with
    arithmetic and table ops so they also run on Values (higher-order derivatives).
    `array_forward`, the forward on numpy arrays, makes the op fast on a tape (`autograd.trace`);
    without it a tape runs `forward` element by element. Redefining a user op replaces it; built-in names are reserved.

    As for a built-in op, `method="name"` (with its `doc`) makes `x.name()` record the op,
    `operator` a Python operator (see `Op.operator`; one not taken yet), and `test_domain`
    (an `OpDomain`) tells `autograd.testing` where the op may be checked.

    >>> import math
    >>> from autograd import Value, define_op
    >>> cube = define_op("cube", lambda x: x ** 3, [lambda grad, out, x: grad * 3 * x * x], method="cube")
    >>> x = Value(2.0); y = x.cube(); y.backward()
    >>> y.data, x.grad, y.op, cube(2.0)
    (8.0, 12.0, 'cube', 8.0)
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
    if (method or operator) and (rules is None or len(rules) > 2):
        raise TypeError(f"define_op({name!r}): a method or operator needs an op of one or two inputs")
    if method and not (isinstance(method, str) and method.isidentifier() and not method.startswith("_")):
        raise ValueError(f"define_op({name!r}): method must be a public Python name, got {method!r}")
    unary_operators, binary_operators = _value_module._UNARY_OPERATORS, _value_module._BINARY_OPERATORS
    if operator and operator not in (unary_operators if len(rules) == 1 else binary_operators):
        raise ValueError(f"define_op({name!r}): operator must be one of {sorted(unary_operators if len(rules) == 1 else binary_operators)}, got {operator!r}")
    if test_domain is not None and not isinstance(test_domain, OpDomain):
        raise TypeError(f"define_op({name!r}): test_domain must be an OpDomain, got {test_domain!r}")
    op = Op(
        name, _float_result(name, forward), rules, array_forward, nary_rule, symbol=symbol or name, domain=domain,
        method=method, doc=doc, operator=operator, test_domain=test_domain,
    )
    if existing is not None:
        _value_module._detach(existing)
    try:
        _value_module._attach(op)
    except ValueError:
        if existing is not None:
            _value_module._attach(existing)
        raise
    OPS[name] = op
    return op


def _float_result(name, forward):
    """A user forward may return an int or a numpy scalar; anything else is a clear error."""

    @functools.wraps(forward)  # keeps its defaults visible to `_attach` (as `__wrapped__`)
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


def _builtin(name, forward, rules=None, *, table=OPS, symbol="", **fields) -> Op:
    """A built-in entry of the table, with Value's methods and operators for it (see `Op`)."""
    op = Op(name, forward, rules, symbol=symbol or fields.get("operator") or name, builtin=True, **fields)
    _value_module._attach(op)
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


def _relu_rule(grad, out, x):
    if type(x) is float:  # the first-order pass: no call (x != x and x: NaN for NaN, else False)
        return grad * (x > 0.0 or x != x and x)
    return grad * STEP(x)


def _leaky_relu_rule(grad, out, x, slope):
    # 1 for x > 0, slope for x <= 0 (slope at the kink, as PyTorch), NaN for NaN
    if type(x) is float:
        return grad * (1.0 if x > 0.0 else (slope if x <= 0.0 else x))
    step = STEP(x)
    return grad * (step + (1.0 - step) * slope)


def _leaky_relu_slope_rule(grad, out, x, slope):
    if type(x) is float:
        return grad * (0.0 if x > 0.0 else x)  # NaN for NaN
    return grad * (1.0 - STEP(x)) * x


def _abs_rule(grad, out, x):
    if type(x) is float:
        return grad * (1.0 if x > 0.0 else (-1.0 if x < 0.0 else (0.0 if x == 0.0 else x)))
    return grad * (STEP(x) - STEP(-x))


# Test domains (`autograd.testing`): margins keep a checked point (and every x +- eps) well inside
# the domain and keep curvature, hence finite-difference error, moderate.
_EVERYWHERE = OpDomain(description="everywhere")
_KINK_AT_0 = OpDomain(kinks=lambda x, *rest: [x], description="everywhere; kink at 0")
_FROM_0_1 = OpDomain(accepts=lambda x: x >= 0.1, description="x >= 0.1")
_FINITE = OpDomain(accepts=math.isfinite, description="finite x")


# -- the table -------------------------------------------------------------------------------
# One entry per op: name, float forward, one rule(grad, out, *inputs) per input, then how it runs
# on arrays, how it is written on Values, and where it may be tested (see `Op`).

# Arithmetic (the float forwards of + - * / neg and abs work on arrays as they are)
ADD = _builtin(
    "add", operator.add, (lambda grad, out, x, y: grad, lambda grad, out, x, y: grad),
    array_forward=operator.add, operator="+", test_domain=_EVERYWHERE,
)
SUB = _builtin(
    "sub", operator.sub, (lambda grad, out, x, y: grad, lambda grad, out, x, y: -grad),
    array_forward=operator.sub, operator="-", test_domain=_EVERYWHERE,
)
MUL = _builtin(
    "mul", operator.mul, (lambda grad, out, x, y: grad * y, lambda grad, out, x, y: grad * x),
    array_forward=operator.mul, operator="*", test_domain=_EVERYWHERE,
)
DIV = _builtin(
    "div", operator.truediv, (lambda grad, out, x, y: grad / y, lambda grad, out, x, y: -grad * out / y),
    array_forward=operator.truediv, operator="/",
    test_domain=OpDomain(accepts=lambda x, y: abs(y) >= 0.1, description="|divisor| >= 0.1"),
)
POW = _builtin(
    "pow", _pow, (_pow_base_rule, _pow_exponent_rule), array_forward=_numpy("power"), operator="**",
    # A negative base needs an integer exponent, which a perturbed exponent is not.
    test_domain=OpDomain(accepts=lambda x, y: x >= 0.1 and abs(y) <= 10.0, description="base >= 0.1, |exponent| <= 10"),
)
NEG = _builtin(
    "neg", operator.neg, (lambda grad, out, x: -grad,), array_forward=operator.neg, operator="-",
    doc="-self. `(-Value(2.0)).data == -2.0`", test_domain=_EVERYWHERE,
)
ABS = _builtin(
    "abs", abs, (_abs_rule,), array_forward=abs, operator="abs",
    doc="abs(self); derivative 0 at 0 (as PyTorch). `abs(Value(-2.0)).data == 2.0`", test_domain=_KINK_AT_0,
)

# Exponentials and logarithms
EXP = _builtin(
    "exp", math.exp, (lambda grad, out, x: grad * out,), array_forward=_numpy("exp"),
    method="exp", doc="e ** self. `Value(0.0).exp().data == 1.0`",
    test_domain=OpDomain(accepts=lambda x: x <= 50.0, description="x <= 50 (exp(710) overflows)"),
)
LOG = _builtin(
    "log", math.log, (lambda grad, out, x: grad / x,), array_forward=_numpy("log"), domain="input must be > 0",
    method="log", doc="Natural logarithm; ValueError for data <= 0. `Value(1.0).log().data == 0.0`", test_domain=_FROM_0_1,
)
SQRT = _builtin(
    "sqrt", math.sqrt, (lambda grad, out, x: grad * 0.5 / out,), array_forward=_numpy("sqrt"), domain="input must be >= 0",
    method="sqrt", doc="Square root; ValueError for data < 0. `Value(4.0).sqrt().data == 2.0`", test_domain=_FROM_0_1,
)
SOFTPLUS = _builtin(
    "softplus", _softplus, (lambda grad, out, x: grad * SIGMOID(x),), array_forward=_softplus_array,
    method="softplus", doc="log(1 + e**x), stable for large |x|. `Value(1000.0).softplus().data == 1000.0`",
    test_domain=_EVERYWHERE,
)

# Activations
TANH = _builtin(
    "tanh", math.tanh, (lambda grad, out, x: grad * (1 - out * out),), array_forward=_numpy("tanh"),
    method="tanh", doc="Hyperbolic tangent. `Value(0.0).tanh().data == 0.0`", test_domain=_EVERYWHERE,
)
SIGMOID = _builtin(
    "sigmoid", _sigmoid, (lambda grad, out, x: grad * out * (1 - out),), array_forward=_sigmoid_array,
    method="sigmoid", doc="Logistic 1 / (1 + e**-x), stable for large |x|. `Value(0.0).sigmoid().data == 0.5`",
    test_domain=_EVERYWHERE,
)
# Written so that NaN propagates (`x <= 0.0` is False for NaN): never `x if x > 0 else 0`.
RELU = _builtin(
    "relu", lambda x: 0.0 if x <= 0.0 else x, (_relu_rule,), array_forward=lambda x: _where(x <= 0.0, 0.0, x),
    method="relu", doc="max(0, x); derivative 0 at x = 0 (like PyTorch). `Value(-2.0).relu().data == 0.0`",
    test_domain=_KINK_AT_0,
)
LEAKY_RELU = _builtin(
    "leaky_relu",
    lambda x, slope=0.01: slope * x if x <= 0.0 else x,  # the default is the method's: x.leaky_relu()
    (_leaky_relu_rule, _leaky_relu_slope_rule),
    array_forward=lambda x, slope: _where(x <= 0.0, slope * x, x),
    method="leaky_relu", doc="x for x > 0 else slope * x. `Value(-2.0).leaky_relu(0.1).data == -0.2`",
    test_domain=OpDomain(kinks=lambda x, *rest: [x], description="everywhere; kink at x = 0 (any slope)"),
)
# The derivative of relu (and with it of abs and leaky_relu) as a node: a rule that compared
# `x > 0` on a Value would give a plain bool, fixed when a tape traces a derivative.
STEP = _builtin(
    "step", _heaviside, (lambda grad, out, x: grad * 0.0,), array_forward=_heaviside_array, table=INTERNAL_OPS,
)

# Trigonometry
SIN = _builtin(
    "sin", math.sin, (lambda grad, out, x: grad * COS(x),), array_forward=_numpy("sin"), domain="input must be finite",
    method="sin", doc="Sine. `Value(0.0).sin().data == 0.0`", test_domain=_FINITE,
)
COS = _builtin(
    "cos", math.cos, (lambda grad, out, x: -grad * SIN(x),), array_forward=_numpy("cos"), domain="input must be finite",
    method="cos", doc="Cosine. `Value(0.0).cos().data == 1.0`", test_domain=_FINITE,
)

# n-ary: one node for many inputs, so a wide sum is a shallow graph
def _fsum(*xs: float) -> float:
    """The exact sum, rounded once (math.fsum); inf + -inf is NaN, as with `+` (fsum raises)."""
    try:
        return math.fsum(xs)
    except ValueError:  # "-inf + inf in fsum": IEEE 754 says NaN
        return math.nan


SUM = _builtin(
    "sum", _fsum, nary_rule=lambda grad, out, xs: [grad] * len(xs),
    array_forward=lambda *xs: functools.reduce(operator.add, xs), symbol="Σ",
    source=lambda args: f"autograd.sum([{', '.join(args)}])",
    test_domain=OpDomain(arities=(1, 2, 3, 4), description="everywhere"),
)


def _dot(*xs: float) -> float:
    n = len(xs) // 2
    return _fsum(*map(operator.mul, xs[:n], xs[n:]))


def _dot_rule(grad, out, xs):
    n = len(xs) // 2  # inputs are (w_1..w_n, x_1..x_n): d/dw_i = x_i and d/dx_i = w_i
    return [grad * x for x in xs[n:]] + [grad * w for w in xs[:n]]


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
    source=lambda args: f"autograd.dot([{', '.join(args[:len(args) // 2])}], [{', '.join(args[len(args) // 2:])}])",
    test_domain=OpDomain(arities=(2, 4), description="everywhere; an even number of inputs (w..., x...)"),
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
    "logsumexp", _logsumexp, nary_rule=lambda grad, out, xs: [grad * EXP(x - out) for x in xs],
    array_forward=_logsumexp_array, symbol="logsumexp", table=INTERNAL_OPS,
)


# -- log-softmax: log(exp(v_i) / sum_j exp(v_j)) = (v_i - m) - log(sum_j exp(v_j - m)), m the max ----
# One node per class, its inputs (v_i, v_1, ..., v_n). Computing it from the differences v_j - m
# keeps every digit for large inputs, where exp(v_i - logsumexp(v)) would lose those of the
# rounding of logsumexp (about 1e-11 relative at |v| = 1e5).


def _log_softmax(first: float, *xs: float) -> float:
    if first != first or any(x != x for x in xs):
        return math.nan
    shift = max(xs)
    if not math.isfinite(shift):
        return first - _logsumexp(*xs)  # infinities: IEEE arithmetic says what it is
    return (first - shift) - math.log(math.fsum([math.exp(x - shift) for x in xs]))


def _log_softmax_array(first, *xs):
    import numpy

    stacked = numpy.stack(numpy.broadcast_arrays(*xs))
    shift = stacked.max(axis=0)
    shift = numpy.where(numpy.isfinite(shift), shift, 0.0)
    with numpy.errstate(divide="ignore", over="ignore", invalid="ignore"):
        return (first - shift) - numpy.log(numpy.exp(stacked - shift).sum(axis=0))


def _log_softmax_rule(g, out, inputs):
    # d/d(first) = 1; d/dv_j = -softmax_j = -exp((v_j - v_i) + log softmax_i), exact differences.
    # Where v_i is -inf (a masked class, p_i = 0) that is -inf + inf: use v_j - logsumexp(v) there.
    first, xs = inputs[0], inputs[1:]
    if type(first) is float:
        if math.isfinite(first):
            return [g] + [-g * math.exp((x - first) + out) for x in xs]
        total = _logsumexp(*xs)
        return [g] + [-g * math.exp(x - total) for x in xs]
    if not isinstance(first, Value):  # arrays (a tape's batch)
        import numpy

        total = _logsumexp_array(*xs)
        with numpy.errstate(invalid="ignore", over="ignore"):
            return [g] + [-g * numpy.exp(numpy.where(numpy.isfinite(first), (x - first) + out, x - total)) for x in xs]
    return [g] + [-g * EXP((x - first) + out) for x in xs]


LOG_SOFTMAX = _builtin(
    "log_softmax", _log_softmax, nary_rule=_log_softmax_rule, array_forward=_log_softmax_array,
    symbol="log_softmax", table=INTERNAL_OPS,
)
