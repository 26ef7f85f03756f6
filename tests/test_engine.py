"""The engine: Value, backward, grad, no_grad, memory, errors, and Mazur's 2-2-2 network."""

import gc
import math
import sys
import weakref
from fractions import Fraction

import pytest

import autograd
from autograd import Value, define_op, grad, no_grad

# -- Value construction and protocol ---------------------------------------------------------


@pytest.mark.parametrize("raw, expected", [(3, 3.0), (2.5, 2.5), (True, 1.0), (False, 0.0), (Fraction(1, 4), 0.25)])
def test_data_is_coerced_to_float(raw, expected):
    v = Value(raw)
    assert type(v.data) is float and v.data == expected


def test_numpy_scalars_are_accepted():
    np = pytest.importorskip("numpy")
    assert Value(np.float32(0.5)).data == 0.5 and type(Value(np.int64(3)).data) is float


@pytest.mark.parametrize("bad", ["1.0", None, 1 + 2j, [1.0], {}, object()])
def test_non_numbers_are_rejected_naming_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


def test_a_value_is_not_data():
    with pytest.raises(TypeError, match="already a Value"):
        Value(Value(1.0))


def test_fresh_value_attributes():
    v = Value(2, label="x")
    assert (v.data, v.grad, v.label, v.op, v.parents, v.has_grad) == (2.0, 0.0, "x", "", (), False)


def test_repr_has_no_memory_address():
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"
    assert repr(Value(-1.5, label="w1")) == "Value(data=-1.5, grad=0.0, label='w1')"


def test_values_hash_and_compare_equal_by_identity():
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a
    assert len({a, b, a}) == 2
    assert {a: 1, b: 2}[b] == 2


def test_ordering_compares_data_and_returns_bool():
    a, b = Value(1.0), Value(2.0)
    assert (a < b, a <= 1, b > 1.5, 2 >= b, a > b) == (True, True, True, True, False)
    assert type(a < b) is bool
    with pytest.raises(TypeError, match="<: cannot compare a Value with str"):
        a < "2"


def test_float_and_bool_conversions():
    assert float(Value(2.5)) == 2.5
    assert bool(Value(0.0)) is False and bool(Value(-0.1)) is True


def test_op_names_and_parents_in_order():
    a, b = Value(1.0, "a"), Value(2.0, "b")
    assert (a - b).parents == (a, b)
    assert (b - a).parents == (b, a)
    assert (a * a).parents == (a, a)
    assert (a * b).op == "mul" and (a**b).op == "pow" and (-a).op == "neg" and a.tanh().op == "tanh"


def test_numbers_in_ops_become_constants():
    x = Value(3.0)
    y = 2 * x
    two = y.parents[0]
    assert (two.data, two.requires_grad, two.is_leaf) == (2.0, False, True)
    y.backward()
    assert x.grad == 2.0 and not two.has_grad


def test_requires_grad_false_on_a_node_stops_the_gradient_there():
    x, w = Value(2.0), Value(3.0)
    h = x * w
    h.requires_grad = False
    y = h * w + x
    y.backward()
    assert (x.grad, w.grad, h.has_grad) == (1.0, 6.0, False)  # x and w only through y's own uses
    assert h.parents == (x, w) and h.op == "mul"  # the node keeps its place in the graph
    assert h in autograd.topological_order(y)
    h.requires_grad = True
    y.backward()
    assert (x.grad, w.grad, h.grad) == (1.0 + (1.0 + 3.0 * 3.0), 6.0 + (6.0 + 2.0 * 3.0), 3.0)


def test_a_constant_root_passes_nothing_on():
    x = Value(2.0)
    h = x * x
    h.requires_grad = False
    with pytest.raises(ValueError, match="constant"):  # as PyTorch: an error, not silence
        h.backward()
    assert (x.has_grad, h.has_grad) == (False, False)
    assert grad(h, [x], allow_constant=True) == [0.0]


def test_ops_on_constants_only_give_constants():
    c = Value(2.0, requires_grad=False)
    d = c * 3 + 1
    assert (d.data, d.parents, d.requires_grad) == (7.0, (), False)


def test_every_operator_direction():
    x = Value(2.0)
    assert [v.data for v in (x + 1, 1 + x, x - 1, 1 - x, x * 3, 3 * x, x / 4, 4 / x, x**3, 3**x, x**x)] == [
        3.0, 3.0, 1.0, -1.0, 6.0, 6.0, 0.5, 2.0, 8.0, 9.0, 4.0,
    ]  # fmt: skip
    assert (-x).data == -2.0 and abs(Value(-2.0)).data == 2.0 and (+x) is x


def test_three_argument_pow_is_rejected():
    with pytest.raises(TypeError, match="pow"):
        pow(Value(2.0), 3, 5)


# -- backward semantics ------------------------------------------------------------------------


def test_chain_rule_on_a_small_expression():
    # y = tanh(x * w + b): dy/dx = w (1 - y^2), dy/dw = x (1 - y^2), dy/db = 1 - y^2
    x, w, b = Value(2.0), Value(-3.0), Value(6.8813735870195432)
    y = (x * w + b).tanh()
    y.backward()
    local = 1 - math.tanh(2.0 * -3.0 + 6.8813735870195432) ** 2
    assert (x.grad, w.grad, b.grad) == pytest.approx((-3.0 * local, 2.0 * local, local), rel=1e-12)
    assert y.grad == 1.0


def test_reused_node_a_times_a():
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0


def test_reused_node_a_plus_a():
    a = Value(3.0)
    b = a + a
    assert b.parents == (a, a)
    b.backward()
    assert a.grad == 2.0


def test_diamond_sums_both_paths():
    # x -> (u = 2x, v = x^2) -> y = u * v = 2 x^3, dy/dx = 6 x^2
    x = Value(1.5)
    u, v = x * 2, x * x
    y = u * v
    y.backward()
    assert x.grad == pytest.approx(6 * 1.5**2, rel=1e-15)
    assert (u.grad, v.grad) == (v.data, u.data)


def test_backward_twice_doubles_leaves_and_keeps_interior():
    a = Value(2.0)
    b = a * 3
    c = b * b
    c.backward()
    first = (a.grad, b.grad, c.grad)
    c.backward()
    assert (a.grad, b.grad, c.grad) == (2 * first[0], first[1], first[2])
    assert first == (36.0, 12.0, 1.0)  # c = 9 a^2: dc/da = 18 a, dc/db = 2 b


def test_interior_grad_is_from_the_latest_pass_only():
    x = Value(2.0)
    h = x * x
    y1 = h * 3
    y2 = h + 1
    y1.backward()
    assert h.grad == 3.0
    y2.backward()
    assert h.grad == 1.0  # not 3 + 1: interior nodes never mix passes
    assert x.grad == 12.0 + 4.0  # the leaf accumulated both passes


def test_backward_with_a_seed():
    x = Value(2.0)
    y = x * x
    y.backward(grad=0.5)
    assert (y.grad, x.grad) == (0.5, 2.0)


def test_backward_rejects_a_bad_seed():
    with pytest.raises(TypeError, match="seed gradient must be a real number, got str"):
        Value(1.0).backward("1")


def test_zero_grad_resets_a_leaf():
    x = Value(2.0)
    (x * x).backward()
    x.zero_grad()
    assert (x.grad, x.has_grad) == (0.0, False)
    (x * 3).backward()
    assert x.grad == 3.0


def test_grad_setter_coerces_and_validates():
    x = Value(1.0)
    x.grad = 2
    assert x.grad == 2.0 and type(x.grad) is float
    with pytest.raises(TypeError):
        x.grad = "2"


# -- grad(), higher order ------------------------------------------------------------------------


def test_grad_returns_a_list_and_touches_no_grad_attribute():
    x, y = Value(2.0), Value(5.0)
    z = x * y + x
    assert grad(z, [x, y]) == [6.0, 2.0]
    assert not x.has_grad and not y.has_grad and not z.has_grad


def test_grad_of_an_unused_input_is_zero():
    x, unused = Value(2.0), Value(1.0)
    assert grad(x * x, [x, unused]) == [4.0, 0.0]
    [g] = grad(x * x, [unused], create_graph=True)
    assert isinstance(g, Value) and g.data == 0.0


def test_grad_accepts_a_single_value():
    x = Value(3.0)
    assert grad(x * x, x) == [6.0]


def test_grad_validates_its_arguments():
    with pytest.raises(TypeError, match="output must be a Value, got float"):
        grad(1.0, [Value(1.0)])
    with pytest.raises(TypeError, match=r"inputs\[1\] must be a Value, got int"):
        grad(Value(1.0), [Value(1.0), 3])


def test_second_derivative_of_cube_at_3_is_18():
    x = Value(3.0)
    [dy] = grad(x**3, [x], create_graph=True)
    assert isinstance(dy, Value) and dy.data == 27.0
    [d2y] = grad(dy, [x])
    assert d2y == 18.0


def test_third_derivative_of_cube_is_6():
    x = Value(-1.7)
    [d1] = grad(x**3, [x], create_graph=True)
    [d2] = grad(d1, [x], create_graph=True)
    [d3] = grad(d2, [x])
    assert d3 == pytest.approx(6.0, rel=1e-14)


@pytest.mark.parametrize("t", [-1.3, 0.0, 0.4, 2.0])
def test_second_derivative_of_tanh(t):
    x = Value(t)
    [d1] = grad(x.tanh(), [x], create_graph=True)
    [d2] = grad(d1, [x])
    th = math.tanh(t)
    assert d2 == pytest.approx(-2 * th * (1 - th**2), rel=1e-12, abs=1e-15)


def test_hessian_vector_product():
    # f(x, y) = x^2 y + sin(y); H = [[2y, 2x], [2x, -sin y]]; H @ v with v = (1, -2)
    x, y = Value(0.7), Value(1.3)
    f = x * x * y + y.sin()
    gx, gy = grad(f, [x, y], create_graph=True)
    hv = grad(gx * 1.0 + gy * -2.0, [x, y])
    assert hv == pytest.approx([2 * 1.3 - 2 * 2 * 0.7, 2 * 0.7 + 2 * math.sin(1.3)], rel=1e-12)


def test_backward_and_grad_agree():
    x, y = Value(0.3), Value(-1.1)
    z = (x * y).sigmoid() + (x - y).exp() * x
    expected = grad(z, [x, y])
    z.backward()
    assert [x.grad, y.grad] == expected


def test_create_graph_and_plain_grad_agree():
    x, y = Value(0.3), Value(-1.1)
    z = (x * y).tanh() * x.sin() / (y * y + 1)
    plain = grad(z, [x, y])
    built = grad(z, [x, y], create_graph=True)
    assert [g.data for g in built] == pytest.approx(plain, rel=1e-14)


# -- no_grad and detach --------------------------------------------------------------------------


def test_no_grad_records_nothing_and_restores():
    x = Value(2.0)
    with no_grad():
        assert not autograd.is_recording()
        y = x * x + 1
    assert autograd.is_recording()
    assert (y.data, y.parents, y.op, y.requires_grad) == (5.0, (), "", False)
    z = x * x
    assert z.parents == (x, x)


def test_no_grad_restores_after_an_error_and_nests():
    with pytest.raises(ValueError):
        with no_grad():
            with no_grad():
                pass
            assert not autograd.is_recording()
            Value(-1.0).log()
    assert autograd.is_recording()


def test_no_grad_as_a_decorator():
    @no_grad()
    def square(v):
        return v * v

    assert square(Value(3.0)).parents == ()


def test_detach_cuts_the_graph():
    x = Value(2.0)
    y = x * x
    d = y.detach()
    assert (d.data, d.parents, d.requires_grad) == (4.0, (), False)
    z = d * x
    z.backward()
    assert x.grad == 4.0  # only through the direct use of x, not through d


# -- depth and memory ----------------------------------------------------------------------------


def test_million_op_chain_with_the_default_recursion_limit():
    assert sys.getrecursionlimit() <= 10_000
    x = Value(1.0)
    rate = Value(1.0000001, requires_grad=False)
    y = x
    for _ in range(1_000_000):
        y = y * rate
    y.backward()
    assert x.grad == pytest.approx(1.0000001**1_000_000, rel=1e-9)
    assert y.data == pytest.approx(1.0000001**1_000_000, rel=1e-9)


def test_dropped_graph_is_freed_by_reference_counting_alone():
    gc.disable()
    try:
        x = Value(1.0)
        y = x
        for _ in range(1000):
            y = (y * 1.5).tanh() + x
        y.backward()
        [g] = grad(y, [x], create_graph=True)
        probes = [weakref.ref(y), weakref.ref(y.parents[0]), weakref.ref(g)]
        del y, g
        assert [p() for p in probes] == [None, None, None]
    finally:
        gc.enable()


# -- errors: never a silent wrong number -------------------------------------------------------


@pytest.mark.parametrize(
    "compute, error, message",
    [
        (lambda: Value(0.0).log(), ValueError, r"log\(0\.0\): input must be > 0"),
        (lambda: Value(-2.0).log(), ValueError, r"log\(-2\.0\)"),
        (lambda: Value(-1.0).sqrt(), ValueError, r"sqrt\(-1\.0\): input must be >= 0"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, r"pow\(0\.0, -1\.0\)"),
        (lambda: Value(-8.0) ** (1 / 3), ValueError, r"pow\(-8\.0, 0\.333.*complex"),
        (lambda: Value(-8.0) ** Value(0.5), ValueError, r"pow\(-8\.0, 0\.5\)"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, r"div\(1\.0, 0\.0\)"),
        (lambda: 1 / Value(0.0), ZeroDivisionError, r"div\(1\.0, 0\.0\)"),
        (lambda: Value(1000.0).exp(), OverflowError, r"exp\(1000\.0\): result overflows"),
        (lambda: Value(1e308) * 10, OverflowError, r"mul\(1e\+308, 10\.0\)"),
        (lambda: Value(10.0) ** 400, OverflowError, r"pow\(10\.0, 400\.0\)"),
        (lambda: Value(1.0) + "a", TypeError, r"add: unsupported operand of type str"),
        (lambda: Value(1.0) * None, TypeError, r"mul: unsupported operand of type NoneType"),
    ],
)
def test_bad_input_raises_naming_op_and_value(compute, error, message):
    with pytest.raises(error, match=message):
        compute()


def test_undefined_derivative_raises_from_backward_naming_the_op():
    x = Value(0.0)
    y = x.sqrt()
    with pytest.raises(ZeroDivisionError, match=r"backward of sqrt\(0\.0\)"):
        y.backward()


def test_a_backward_pass_that_raises_changes_no_grad():
    w, x = Value(2.0), Value(0.0)
    out = w * 3.0 + (w * x).sqrt()  # d/d(w*x) sqrt at 0 raises, after out and w*3 got theirs
    w.grad = 5.0
    with pytest.raises(ZeroDivisionError, match="backward of sqrt"):
        out.backward()
    assert w.grad == 5.0 and not out.has_grad and not x.has_grad  # nothing half-written
    out2 = w * 3.0
    out2.backward()  # and the graph is usable again: no mark was left behind
    assert w.grad == 8.0


def test_nan_and_infinity_propagate():
    nan, inf = float("nan"), float("inf")
    assert math.isnan((Value(nan) + 1).data)
    assert math.isnan(Value(nan).exp().data) and math.isnan(Value(nan).log().data)
    assert (Value(inf) * 2).data == inf and Value(-inf).exp().data == 0.0
    x = Value(nan)
    (x * 3).backward()
    assert x.grad == 3.0
    y = Value(2.0)
    (y * nan).backward()
    assert math.isnan(y.grad)


def test_infinity_outside_a_domain_still_raises():
    with pytest.raises(ValueError, match=r"sin\(inf\): input must be finite"):
        Value(float("inf")).sin()


# -- user-defined ops ------------------------------------------------------------------------------


CUBE = define_op("test_cube", lambda x: x**3, [lambda grad, out, x: grad * 3 * x * x])


def test_define_op_forward_backward_and_higher_order():
    x = Value(2.0)
    y = CUBE(x)
    assert (y.data, y.op, y.parents) == (8.0, "test_cube", (x,))
    [d1] = grad(y, [x], create_graph=True)
    [d2] = grad(d1, [x])
    assert (d1.data, d2) == (12.0, 12.0)
    assert CUBE(3.0) == 27.0  # on floats it is just the forward


def test_define_op_with_two_inputs_and_a_domain():
    hypot = define_op(
        "test_hypot",
        math.hypot,
        [lambda g, out, x, y: g * x / out, lambda g, out, x, y: g * y / out],
    )
    a, b = Value(3.0), Value(4.0)
    h = hypot(a, b)
    h.backward()
    assert (h.data, a.grad, b.grad) == (5.0, 0.6, 0.8)
    with pytest.raises(TypeError, match="test_hypot: expected 2 inputs, got 1"):
        hypot(a)


def test_define_op_nary():
    prod = define_op("test_prod", lambda *xs: math.prod(xs), nary_rule=lambda g, out, xs: [g * out / x for x in xs])
    xs = [Value(2.0), Value(3.0), Value(4.0)]
    p = prod(*xs)
    p.backward()
    assert p.data == 24.0 and [x.grad for x in xs] == [12.0, 8.0, 6.0]


def test_define_op_domain_error_names_the_op():
    safe_log = define_op("test_log", math.log, [lambda g, out, x: g / x], domain="input must be > 0")
    with pytest.raises(ValueError, match=r"test_log\(-1\.0\): input must be > 0"):
        safe_log(Value(-1.0))


def test_define_op_validates_its_arguments():
    with pytest.raises(ValueError, match="'add' is a built-in op"):
        define_op("add", lambda x, y: x + y, [lambda g, o, x, y: g] * 2)
    with pytest.raises(TypeError, match="exactly one of rules= or nary_rule="):
        define_op("test_bad", lambda x: x)
    with pytest.raises(TypeError, match="forward must return a real number"):
        define_op("test_bad_forward", lambda x: "nope", [lambda g, o, x: g])(Value(1.0))


# -- Matt Mazur, *A Step by Step Backpropagation Example*: the 2-2-2 sigmoid network -------------


def as_quoted(x: float, figure: str) -> float:
    """x rounded to as many decimals as the quoted figure has (the tutorial quotes 8-9 digits)."""
    return round(x, len(figure.split(".")[1]))


def assert_quoted(values, figures):
    assert [as_quoted(v, f) for v, f in zip(values, figures)] == [float(f) for f in figures]


def mazur_network():
    i1, i2 = 0.05, 0.10
    w = {k: Value(v, label=k) for k, v in zip("w1 w2 w3 w4 w5 w6 w7 w8".split(), [0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55])}
    b1, b2 = Value(0.35, "b1"), Value(0.60, "b2")  # each bias is ONE Value shared by two neurons
    h1 = (w["w1"] * i1 + w["w2"] * i2 + b1).sigmoid()
    h2 = (w["w3"] * i1 + w["w4"] * i2 + b1).sigmoid()
    o1 = (w["w5"] * h1 + w["w6"] * h2 + b2).sigmoid()
    o2 = (w["w7"] * h1 + w["w8"] * h2 + b2).sigmoid()
    loss = 0.5 * (0.01 - o1) ** 2 + 0.5 * (0.99 - o2) ** 2
    return w, (b1, b2), (h1, h2, o1, o2), loss


def test_mazur_forward_and_gradient_of_w5():
    w, _, (h1, h2, o1, o2), loss = mazur_network()
    assert_quoted([v.data for v in (h1, h2, o1, o2)], ["0.593269992", "0.596884378", "0.75136507", "0.772928465"])
    assert_quoted([loss.data], ["0.298371109"])
    loss.backward()
    dout_dnet = o1.data * (1 - o1.data)
    assert_quoted([o1.grad, dout_dnet, h1.data], ["0.74136507", "0.186815602", "0.593269992"])
    assert_quoted([w["w5"].grad, w["w5"].data - 0.5 * w["w5"].grad], ["0.082167041", "0.35891648"])
    assert w["w5"].grad == pytest.approx(o1.grad * dout_dnet * h1.data, rel=1e-15)  # the three chain-rule factors


def test_mazur_one_update_of_all_eight_weights():
    w, _, _, loss = mazur_network()
    loss.backward()
    figures = "0.149780716 0.199561432 0.249751144 0.299502287 0.358916480 0.408666186 0.511301270 0.561370121"
    assert_quoted([v.data - 0.5 * v.grad for v in w.values()], figures.split())


def test_mazur_shared_bias_gets_the_sum_over_both_uses():
    _, (b1, b2), (h1, h2, o1, o2), loss = mazur_network()
    loss.backward()
    assert b2.grad == pytest.approx(o1.grad * o1.data * (1 - o1.data) + o2.grad * o2.data * (1 - o2.data), rel=1e-14)


# -- a gradient nobody asked for cannot make the asked-for one fail (issue 21 item 2) ----------------


def test_grad_of_a_negative_base_with_a_learnable_exponent_gives_the_base_gradient():
    # PyTorch float64: d/dx x**y = y x**(y-1) = 12 at (-2, 3); d/dy = x**y log x is undefined (NaN there).
    x, y = Value(-2.0), Value(3.0)
    assert grad(x**y, [x]) == [12.0]
    [d] = grad(x**y, [x], create_graph=True)  # 3 x**2, then its derivative 6x
    assert d.data == 12.0 and grad(d, [x]) == [-12.0]
    assert grad(x**y * y + x, [x]) == [37.0]  # through other ops too: 3 * 12 + 1


def test_asking_for_the_undefined_gradient_is_an_error_naming_pow_and_its_inputs():
    x, y = Value(-2.0), Value(3.0)
    for ask in (lambda: grad(x**y, [y]), lambda: grad(x**y, [x, y]), lambda: (x**y).backward(),
                lambda: grad(x**y, [y], create_graph=True)):
        with pytest.raises(ValueError, match=r"backward of pow\(-2.0, 3.0\): log\(-2.0\): input must be > 0"):
            ask()
    assert x.grad == 0.0 and y.grad == 0.0  # a pass that raises writes no .grad


def test_an_overflow_in_a_gradient_nobody_asked_for_does_not_fail_grad():
    x, w = Value(1e-200), Value(1.0)
    assert grad(w / x, [w]) == [1e200]  # d/dx = -w / x**2 overflows; x's gradient is not asked for
    with pytest.raises(OverflowError, match=r"backward of div\(1.0, 1e-200\): the gradient for input 1 is -inf"):
        grad(w / x, [x])


def test_grad_toward_an_interior_node_and_a_constant_input():
    x, y = Value(-2.0), Value(3.0)
    h = x * 1.0
    c = Value(5.0, requires_grad=False)
    assert grad(h**y + c, [h, c, x]) == [12.0, 0.0, 12.0]


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Value(10**400), r"Value\(data\): an integer of 401 digits is too large for a float"),
        (lambda: Value(2.0) * 10**400, r"mul: an integer of 401 digits is too large for a float"),
        (lambda: 10**400 - Value(1.0), r"sub: an integer of 401 digits"),
        (lambda: autograd.sum([Value(1.0), 10**400]), r"sum: an integer of 401 digits"),
        (lambda: Value(1.0).leaky_relu(10**400), r"leaky_relu: an integer of 401 digits"),
        (lambda: Value(1.0).backward(10**400), r"backward: the seed gradient: an integer of 401 digits"),
        (lambda: autograd.jvp(lambda x: x, [10**400], [1.0]), r"jvp: inputs\[0\]: an integer of 401 digits"),
        (lambda: autograd.jvp(lambda x: x, [1.0], [10**400]), r"jvp: tangents\[0\]: an integer of 401 digits"),
    ],
)
def test_a_number_too_large_for_a_float_names_where_it_was_used(make, message):
    # Python's own error says only "int too large to convert to float" (issue 21 item 20's class).
    with pytest.raises(OverflowError, match=message):
        make()
