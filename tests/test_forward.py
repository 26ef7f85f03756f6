"""Forward mode: autograd.jvp and push_forward, through the same op table as grad.

Numbers are derived by hand or compared with reverse mode and finite differences.
"""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, define_op, grad, jvp
from autograd.forward import local_partials, push_forward
from autograd.testing import numerical_grad, programs_and_inputs

QUICK = settings(max_examples=60, database=None, deadline=None)

CUBE = define_op("tf_cube", lambda x: x**3, [lambda g, out, x: g * 3 * x * x])


def test_jvp_is_the_directional_derivative_derived_by_hand():
    # f = x^2 y: df = 2xy dx + x^2 dy = 12 * 0.5 + 9 * (-2) at (3, 2)
    value, tangent = jvp(lambda x, y: x * x * y, [3.0, 2.0], [0.5, -2.0])
    assert value == 18.0 and tangent == pytest.approx(12 * 0.5 - 9 * 2.0, rel=1e-15)
    assert isinstance(value, float) and isinstance(tangent, float)


def test_jvp_of_every_unary_builtin_matches_its_derivative():
    x = 0.7
    cases = {
        "exp": math.exp(x), "log": 1 / x, "sqrt": 0.5 / math.sqrt(x), "tanh": 1 - math.tanh(x) ** 2,
        "sigmoid": math.exp(-x) / (1 + math.exp(-x)) ** 2, "softplus": 1 / (1 + math.exp(-x)),
        "sin": math.cos(x), "cos": -math.sin(x), "relu": 1.0, "neg": -1.0, "abs": 1.0,
    }
    for name, derivative in cases.items():
        op = autograd.OPS[name]
        _, tangent = jvp(op, [x], [3.0])
        assert tangent == pytest.approx(3.0 * derivative, rel=1e-12), name


def test_jvp_through_a_user_op_and_n_ary_ops():
    # d/dt of cube(x) * sum(x, y, 2y) . dot([x, y], [y, x]) along (1, 1) at (1, 2), by the product rule:
    f = lambda x, y: CUBE(x) * autograd.sum([x, y, y * 2]) + autograd.dot([x, y], [y, x])
    x0, y0 = 1.0, 2.0
    expected = 3 * x0**2 * (x0 + 3 * y0) + x0**3 * (1 + 3) + (2 * y0 + 2 * x0)  # dot = 2xy
    assert jvp(f, [x0, y0], [1.0, 1.0])[1] == pytest.approx(expected, rel=1e-14)


def test_jvp_of_many_outputs_in_one_sweep():
    values, tangents = jvp(lambda x, y: [x * y, x.sin(), y], [2.0, 3.0], [1.0, 0.0])
    assert values == [6.0, math.sin(2.0), 3.0]
    assert tangents == [3.0, pytest.approx(math.cos(2.0)), 0.0]


def test_an_output_that_ignores_the_inputs_has_tangent_zero():
    assert jvp(lambda x: Value(4.0) * 2, [1.0], [1.0]) == (8.0, 0.0)


def test_reverse_over_forward_gives_second_derivatives():
    # f = x^3 y: the tangent along (1, 0) is 3x^2 y, whose gradient is (6xy, 3x^2).
    x, y = Value(1.5), Value(-2.0)
    value, tangent = jvp(lambda a, b: a ** 3 * b, [x, y], [1.0, 0.0])
    assert isinstance(tangent, Value) and value.data == 1.5**3 * -2.0
    assert tangent.data == pytest.approx(3 * 1.5**2 * -2.0)
    assert grad(tangent, [x, y]) == [pytest.approx(6 * 1.5 * -2.0), pytest.approx(3 * 1.5**2)]


def test_forward_over_forward_and_forward_over_reverse():
    x = Value(0.4)
    [d1] = grad(x.sin() * x, [x], create_graph=True)  # sin x + x cos x
    d2 = push_forward(d1, [x], [1.0], create_graph=True)  # 2 cos x - x sin x
    d3 = push_forward(d2, [x], [1.0])  # -3 sin x - x cos x
    assert d2.data == pytest.approx(2 * math.cos(0.4) - 0.4 * math.sin(0.4), rel=1e-14)
    assert d3 == pytest.approx(-3 * math.sin(0.4) - 0.4 * math.cos(0.4), rel=1e-14)


def test_jvp_of_a_gradient_built_with_create_graph():
    derivative = lambda x: grad(CUBE(x), [x], create_graph=True)[0]  # 3x^2
    assert jvp(derivative, [2.0], [1.0]) == (12.0, pytest.approx(12.0))  # d/dx 3x^2 = 6x


def test_tangents_may_be_values_and_the_result_is_linear_in_them():
    t = Value(0.25)
    _, tangent = jvp(lambda x: x.exp(), [1.0], [t])
    assert tangent.data == pytest.approx(0.25 * math.e)
    assert grad(tangent, [t]) == [pytest.approx(math.e)]  # d(J t)/dt = J


def test_local_partials_are_the_rules_with_upstream_gradient_one():
    x, y = Value(3.0), Value(-2.0)
    assert local_partials(x * y) == [-2.0, 3.0]
    assert local_partials(x / y) == [-0.5, pytest.approx(-3.0 / 4.0)]
    assert local_partials(autograd.dot([x, y], [y, y])) == [-2.0, -2.0, 3.0, -2.0]
    assert local_partials(x) == []


@QUICK
@given(programs_and_inputs(max_nodes=8), st.data())
def test_jvp_equals_grad_dot_tangent_on_random_programs(case, data):
    program, inputs = case
    tangents = data.draw(st.lists(st.floats(-2, 2), min_size=len(inputs), max_size=len(inputs)))
    leaves = [Value(x) for x in inputs]
    gradient = grad(program(*leaves), leaves)
    value, tangent = jvp(program, inputs, tangents)
    assert value == program.run(inputs)
    expected = math.fsum(g * t for g, t in zip(gradient, tangents))
    assert tangent == pytest.approx(expected, rel=1e-9, abs=1e-9)


@QUICK
@given(programs_and_inputs(max_inputs=2, max_nodes=6))
def test_forward_mode_agrees_with_finite_differences_on_random_programs(case):
    program, inputs = case
    for i, numeric in enumerate(numerical_grad(program, inputs)):
        e = [1.0 if j == i else 0.0 for j in range(len(inputs))]
        assert jvp(program, inputs, e)[1] == pytest.approx(numeric, rel=1e-4, abs=1e-5)


@pytest.mark.parametrize(
    "args, error, message",
    [
        ((42, [1.0], [1.0]), TypeError, "f must be callable"),
        ((abs, [1.0, 2.0], [1.0]), ValueError, "2 inputs but 1 tangents"),
        ((abs, [1.0], ["1"]), TypeError, r"tangents\[0\] must be a number or a Value, got str"),
        ((abs, ["1"], [1.0]), TypeError, r"inputs\[0\] must be a number or a Value, got str"),
        ((abs, 1.0, [1.0]), TypeError, "inputs must be a sequence"),
        ((lambda x: 2.0, [1.0], [1.0]), TypeError, "f must return a Value"),
    ],
)
def test_jvp_rejects_bad_arguments_clearly(args, error, message):
    with pytest.raises(error, match=message):
        jvp(*args)


def test_a_failing_partial_names_the_op_and_its_inputs():
    # d/dx sqrt(x) = 0.5 / sqrt(x) is infinite at 0: the rule divides by zero.
    with pytest.raises(ZeroDivisionError, match=r"forward-mode partial of sqrt\(0.0\)"):
        jvp(lambda x: x.sqrt(), [0.0], [1.0])


# -- a rule is evaluated only for an input whose tangent moves (issue 21 item 1) ------------------


def test_a_constant_exponent_at_a_negative_base_is_never_differentiated():
    # d/dx x**3 = 3x^2 = 12 at -2; d/dy x**y = x**y log x would be log(-2): undefined, not needed.
    assert jvp(lambda x: x**3, [-2.0], [1.0]) == (-8.0, 12.0)
    assert jvp(lambda x: 3.0 ** x, [2.0], [1.0]) == (9.0, pytest.approx(9.0 * math.log(3.0), rel=1e-15))
    # An exponent given as an input that does not move (tangent 0) is as good as a constant.
    assert jvp(lambda x, y: x**y, [-2.0, 3.0], [1.0, 0.0]) == (-8.0, 12.0)


def test_a_moving_exponent_at_a_negative_base_is_an_error_naming_pow_and_the_base():
    with pytest.raises(ValueError, match=r"forward-mode partial of pow\(-2.0, 3.0\): log\(-2.0\)"):
        jvp(lambda x, y: x**y, [-2.0, 3.0], [1.0, 1.0])


def test_reverse_over_forward_and_check_grads_at_a_negative_base():
    x = Value(-2.0)
    _, tangent = jvp(lambda v: v**3, [x], [1.0])  # 3x^2, then its derivative 6x
    assert tangent.data == 12.0 and grad(tangent, [x]) == [-12.0]
    second = push_forward(tangent, [x], [1.0])  # forward over forward
    assert second == -12.0
    from autograd.testing import check_grads

    assert check_grads(lambda v: v**3 * v.sin(), [-2.0], order=3, modes=("fwd",))
    assert check_grads(lambda v: (v - 3.0) ** 2, [0.5], order=2, modes=("fwd", "rev"))


def test_local_partials_runs_each_rule_on_its_own():
    base, exponent = Value(-2.0), Value(2.0)
    y = base**exponent
    assert local_partials(y, strict=False) == [-4.0, None]  # d/dy undefined at a negative base
    assert local_partials(y, only=[0]) == [-4.0, None]
    with pytest.raises(ValueError, match=r"forward-mode partial of pow\(-2.0, 2.0\)"):
        local_partials(y)
    with pytest.raises(ValueError, match=r"pow\(-2.0, 2.0\)"):
        local_partials(y, create_graph=True, only=[1])
    assert local_partials(y, create_graph=True, only=[0])[0].data == -4.0


def test_a_constant_interior_node_passes_no_tangent_as_it_passes_no_gradient():
    x = Value(2.0)
    y = x * x
    y.requires_grad = False
    z = y + x
    assert push_forward(z, [x], [1.0]) == grad(z, [x])[0] == 1.0


# -- one overflow policy for both modes (issue 21 item 3) ------------------------------------------


def test_a_partial_that_overflows_raises_as_in_reverse_mode():
    x = Value(1e-200)
    with pytest.raises(OverflowError, match=r"div\(1.0, 1e-200\).*overflows a float"):
        grad(1 / x, [x])
    with pytest.raises(OverflowError, match=r"forward mode of div\(1.0, 1e-200\): the tangent term of input 1 is -inf"):
        jvp(lambda v: 1 / v, [1e-200], [1.0])
    with pytest.raises(OverflowError, match=r"div\(1.0, 1e-200\)"):  # on Values the op itself raises
        jvp(lambda v: 1 / v, [Value(1e-200)], [1.0])


def test_a_tangent_that_overflows_raises_naming_the_op():
    # d/dx 1e300 x = 1e300, times a tangent of 1e10: inf, as grad with grad_output=1e10 raises
    x = Value(1.0)
    with pytest.raises(OverflowError, match=r"mul\(1.0, 1e\+300\)"):
        grad(x * 1e300, [x], grad_output=1e10)
    with pytest.raises(OverflowError, match=r"forward mode of mul\(1.0, 1e\+300\): the tangent term of input 0 is inf"):
        jvp(lambda v: v * 1e300, [1.0], [1e10])
    with pytest.raises(OverflowError, match=r"forward mode of add\(0.0, 0.0\): the sum of the terms is inf"):
        jvp(lambda a, b: a + b, [0.0, 0.0], [1e308, 1e308])


def test_non_finite_numbers_from_the_data_propagate_in_both_modes():
    inf = math.inf
    assert jvp(lambda v: v * 2.0, [inf], [1.0]) == (inf, 2.0)
    assert jvp(lambda v: v.exp(), [inf], [1.0]) == (inf, inf)
    x = Value(inf)
    assert grad(x.exp(), [x]) == [inf]
