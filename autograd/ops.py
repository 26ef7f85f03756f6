"""The op table: every operation's float forward and its derivative rules, side by side.

A rule is `rule(grad, out, *inputs) -> contribution` for one input: `grad` is the upstream
gradient d(final)/d(out). Rules use ordinary arithmetic, so the same rule runs on floats
(a first-order backward pass) and on Values (`create_graph=True`: higher order for free).
Functions other than arithmetic are called through their table entry (`COS(x)`), which
likewise works on floats and on Values.

An n-ary op (sum, dot) has instead one `nary_rule(grad, out, inputs) -> [one per input]`.

To add an op, add one entry to the table below: its forward, its rules, its array forward, how
it is written on Values (method and docstring, or operator; the picture draws `symbol`, else the
operator, else the name) and its test domain. Value's methods and operators (`Value.tanh`,
`x + y`), the pictures' symbols, the domains of `autograd.testing` and `Program`'s source are
all made from the entry; `define_op` makes the same kind of entry for your own op. What an
entry is: `autograd.opentry`. Forwards and rules that need more than a line: `autograd.opmath`.
"""

from __future__ import annotations

import functools
import math
import operator

from autograd import opmath
from autograd.opdomain import OpDomain
from autograd.opentry import INTERNAL_OPS, OPS, Op, builtin, define_op

__all__ = ["Op", "OPS", "define_op"]

# -- the table ---------------------------------------------------------------------------------
# One entry per op: name, float forward, one rule(grad, out, *inputs) per input (the comment above
# it says the derivative), then how it runs on arrays, how it is written on Values, and where it
# may be tested (see `Op`). The float forwards of + - * / neg and abs work on arrays as they are.

# -- arithmetic
ADD = builtin(  # d/dx (x + y) = 1, d/dy = 1
    "add",
    operator.add,
    rules=(lambda grad, out, x, y: grad, lambda grad, out, x, y: grad),
    operator="+",
    array_forward=operator.add,
    test_domain=opmath.EVERYWHERE,
)
SUB = builtin(  # d/dx (x - y) = 1, d/dy = -1
    "sub",
    operator.sub,
    rules=(lambda grad, out, x, y: grad, lambda grad, out, x, y: -grad),
    operator="-",
    array_forward=operator.sub,
    test_domain=opmath.EVERYWHERE,
)
MUL = builtin(  # d/dx (x * y) = y, d/dy = x
    "mul",
    operator.mul,
    rules=(lambda grad, out, x, y: grad * y, lambda grad, out, x, y: grad * x),
    operator="*",
    array_forward=operator.mul,
    test_domain=opmath.EVERYWHERE,
)
DIV = builtin(  # d/dx (x / y) = 1 / y, d/dy = -x / y**2 = -out / y
    "div",
    operator.truediv,
    rules=(lambda grad, out, x, y: grad / y, lambda grad, out, x, y: -grad * out / y),
    operator="/",
    array_forward=operator.truediv,
    test_domain=OpDomain(accepts=lambda x, y: abs(y) >= 0.1, description="|divisor| >= 0.1"),
)
POW = builtin(  # d/dx x**y = y * x**(y - 1), d/dy = x**y * log(x) (limits at 0: see opmath)
    "pow",
    opmath.power,
    rules=(opmath.pow_base_rule, opmath.pow_exponent_rule),
    operator="**",
    array_forward=opmath.numpy_function("power"),
    # A negative base needs an integer exponent, which a perturbed exponent is not.
    test_domain=OpDomain(accepts=lambda x, y: x >= 0.1 and abs(y) <= 10.0, description="base >= 0.1, |exponent| <= 10"),
)
NEG = builtin(  # d/dx -x = -1
    "neg",
    operator.neg,
    rules=(lambda grad, out, x: -grad,),
    operator="-",
    doc="-self. `(-Value(2.0)).data == -2.0`",
    array_forward=operator.neg,
    test_domain=opmath.EVERYWHERE,
)
ABS = builtin(  # d/dx |x| = sign(x), 0 at 0 (as PyTorch)
    "abs",
    abs,
    rules=(opmath.abs_rule,),
    operator="abs",
    doc="abs(self); derivative 0 at 0 (as PyTorch). `abs(Value(-2.0)).data == 2.0`",
    array_forward=abs,
    test_domain=opmath.KINK_AT_0,
)

# -- exponentials and logarithms
EXP = builtin(  # d/dx e**x = e**x = out
    "exp",
    math.exp,
    rules=(lambda grad, out, x: grad * out,),
    method="exp",
    doc="e ** self. `Value(0.0).exp().data == 1.0`",
    array_forward=opmath.numpy_function("exp"),
    test_domain=OpDomain(accepts=lambda x: x <= 50.0, description="x <= 50 (exp(710) overflows)"),
)
LOG = builtin(  # d/dx log x = 1 / x
    "log",
    math.log,
    rules=(lambda grad, out, x: grad / x,),
    method="log",
    doc="Natural logarithm; ValueError for data <= 0. `Value(1.0).log().data == 0.0`",
    domain="input must be > 0",
    array_forward=opmath.numpy_function("log"),
    test_domain=opmath.FROM_0_1,
)
SQRT = builtin(  # d/dx sqrt(x) = 1 / (2 sqrt(x)) = 0.5 / out
    "sqrt",
    math.sqrt,
    rules=(lambda grad, out, x: grad * 0.5 / out,),
    method="sqrt",
    doc="Square root; ValueError for data < 0. `Value(4.0).sqrt().data == 2.0`",
    domain="input must be >= 0",
    array_forward=opmath.numpy_function("sqrt"),
    test_domain=opmath.FROM_0_1,
)
SOFTPLUS = builtin(  # d/dx log(1 + e**x) = sigmoid(x)
    "softplus",
    opmath.softplus,
    rules=(lambda grad, out, x: grad * SIGMOID(x),),
    method="softplus",
    doc="log(1 + e**x), stable for large |x|. `Value(1000.0).softplus().data == 1000.0`",
    array_forward=opmath.softplus_array,
    test_domain=opmath.EVERYWHERE,
)

# -- activations
TANH = builtin(  # d/dx tanh x = 1 - tanh(x)**2 = 1 - out**2
    "tanh",
    math.tanh,
    rules=(lambda grad, out, x: grad * (1 - out * out),),
    method="tanh",
    doc="Hyperbolic tangent. `Value(0.0).tanh().data == 0.0`",
    array_forward=opmath.numpy_function("tanh"),
    test_domain=opmath.EVERYWHERE,
)
# (SIGMOID and COS are annotated for type checkers: a rule above each uses it.)
SIGMOID: Op = builtin(  # d/dx sigmoid(x) = sigmoid(x) (1 - sigmoid(x)) = out (1 - out)
    "sigmoid",
    opmath.sigmoid,
    rules=(lambda grad, out, x: grad * out * (1 - out),),
    method="sigmoid",
    doc="Logistic 1 / (1 + e**-x), stable for large |x|. `Value(0.0).sigmoid().data == 0.5`",
    array_forward=opmath.sigmoid_array,
    test_domain=opmath.EVERYWHERE,
)
RELU = builtin(  # d/dx max(0, x) = step(x): 1 for x > 0, 0 for x <= 0 (as PyTorch)
    # Written so that NaN propagates (`x <= 0.0` is False for NaN): never `x if x > 0 else 0`.
    "relu",
    lambda x: 0.0 if x <= 0.0 else x,
    rules=(opmath.relu_rule,),
    method="relu",
    doc="max(0, x); derivative 0 at x = 0 (like PyTorch). `Value(-2.0).relu().data == 0.0`",
    array_forward=lambda x: opmath.numpy_where(x <= 0.0, 0.0, x),
    test_domain=opmath.KINK_AT_0,
)
LEAKY_RELU = builtin(  # d/dx = 1 for x > 0, slope for x <= 0; d/dslope = 0 for x > 0, x for x <= 0
    "leaky_relu",
    lambda x, slope=0.01: slope * x if x <= 0.0 else x,  # the default is the method's: x.leaky_relu()
    rules=(opmath.leaky_relu_rule, opmath.leaky_relu_slope_rule),
    method="leaky_relu",
    doc="x for x > 0 else slope * x. `Value(-2.0).leaky_relu(0.1).data == -0.2`",
    array_forward=lambda x, slope: opmath.numpy_where(x <= 0.0, slope * x, x),
    test_domain=OpDomain(kinks=lambda x, *rest: [x], description="everywhere; kink at x = 0 (any slope)"),
)
# The derivative of relu (and with it of abs and leaky_relu) as a node: a rule that compared
# `x > 0` on a Value would give a plain bool, fixed when a tape traces a derivative.
STEP = builtin(  # d/dx step(x) = 0 (almost everywhere)
    "step",
    opmath.heaviside,
    rules=(lambda grad, out, x: grad * 0.0,),
    array_forward=opmath.heaviside_array,
    table=INTERNAL_OPS,
)

# -- trigonometry
SIN = builtin(  # d/dx sin x = cos x
    "sin",
    math.sin,
    rules=(lambda grad, out, x: grad * COS(x),),
    method="sin",
    doc="Sine. `Value(0.0).sin().data == 0.0`",
    domain="input must be finite",
    array_forward=opmath.numpy_function("sin"),
    test_domain=opmath.FINITE,
)
COS: Op = builtin(  # d/dx cos x = -sin x
    "cos",
    math.cos,
    rules=(lambda grad, out, x: -grad * SIN(x),),
    method="cos",
    doc="Cosine. `Value(0.0).cos().data == 1.0`",
    domain="input must be finite",
    array_forward=opmath.numpy_function("cos"),
    test_domain=opmath.FINITE,
)

# -- n-ary: one node for many inputs, so a wide sum is a shallow graph
SUM = builtin(  # d/dx_i (x_1 + ... + x_n) = 1
    "sum",
    opmath.exact_sum,
    nary_rule=lambda grad, out, xs: [grad] * len(xs),
    symbol="Σ",
    source=lambda args: f"autograd.sum([{', '.join(args)}])",
    array_forward=lambda *xs: functools.reduce(operator.add, xs),
    test_domain=OpDomain(arities=(1, 2, 3, 4), description="everywhere"),
)
DOT = builtin(  # inputs (w_1..w_n, x_1..x_n): d/dw_i = x_i, d/dx_i = w_i
    "dot",
    opmath.dot_product,
    nary_rule=opmath.dot_rule,
    symbol="·",
    source=lambda args: f"autograd.dot([{', '.join(args[: len(args) // 2])}], [{', '.join(args[len(args) // 2 :])}])",
    array_forward=lambda *xs: functools.reduce(operator.add, map(operator.mul, xs[: len(xs) // 2], xs[len(xs) // 2 :])),
    matrix_form=(lambda W, X: W @ X, opmath.dot_matrix_rule),
    test_domain=OpDomain(arities=(2, 4), description="everywhere; an even number of inputs (w..., x...)"),
)
# log(sum_j e**x_j), the shift by the max inside the op, so it is right for every input
LOGSUMEXP = builtin(  # d/dx_i = e**x_i / sum_j e**x_j = softmax_i (from the differences x_j - max)
    "logsumexp",
    opmath.logsumexp,
    nary_rule=opmath.logsumexp_rule,
    symbol="logsumexp",
    array_forward=opmath.logsumexp_array,
    table=INTERNAL_OPS,
)
# log softmax of one class, inputs (v_i, v_1, ..., v_n): (v_i - m) - log(sum_j e**(v_j - m)), m the max
LOG_SOFTMAX = builtin(  # d/dv_i = 1 (as the first input), d/dv_j = -softmax_j
    "log_softmax",
    opmath.log_softmax,
    nary_rule=opmath.log_softmax_rule,
    symbol="log_softmax",
    array_forward=opmath.log_softmax_array,
    table=INTERNAL_OPS,
)
