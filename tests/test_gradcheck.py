"""autograd.testing as a library: gradcheck, gradgradcheck, check_grads, Program and the strategies.

Each checker is shown to pass correct derivatives and to catch a deliberately wrong rule, with
the numbers it reports computed by hand.
"""

import math
import re
import subprocess
import sys

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import autograd
from autograd import Value, define_op, grad
from autograd.testing import (
    FiniteDifferenceError,
    GradcheckError,
    OpDomain,
    Program,
    check_grads,
    domain_of,
    gradcheck,
    gradgradcheck,
    numerical_grad,
    register_domain,
)
from autograd.testing import programs, programs_and_inputs, valid_inputs

QUICK = settings(max_examples=30, database=None, deadline=None)


def _data(x):
    return x.data if isinstance(x, Value) else x


# Deliberately wrong ops. Each test module that defines ops into the global table uses a
# prefix of its own, and the strategies include user ops only when they are named.
HALF_SQUARE = define_op("tg_half_square", lambda x: x * x, [lambda g, out, x: g * x])  # should be 2x
# First derivative right, but computed from the float data: the result carries no graph, so
# every second derivative through this op is 0 (a classic higher-order bug).
DETACHED_SQUARE = define_op("tg_detached_square", lambda x: x * x, [lambda g, out, x: g * 2 * _data(x)])
# d/dx x**3 = 3 x**2 is right in value, but written 3 * x * data(x): its derivative is 3 x, not 6 x.
HALF_DETACHED_CUBE = define_op(
    "tg_half_detached_cube", lambda x: x**3, [lambda g, out, x: g * 3 * (x * _data(x))]
)
# x**4 with rule 4 * cube(x): orders 1 and 2 right, order 3 wrong (through HALF_DETACHED_CUBE).
QUARTIC = define_op("tg_quartic", lambda x: x**4, [lambda g, out, x: g * 4 * HALF_DETACHED_CUBE(x)])
# Slightly off: the rule adds 1e-4 to 2x, so the absolute error of every entry is 1e-4.
OFF_BY_1E4_SQUARE = define_op("tg_off_square", lambda x: x * x, [lambda g, out, x: g * (2 * x + 1e-4)])


# -- gradcheck ---------------------------------------------------------------------------------


def test_gradcheck_passes_correct_gradients_of_several_inputs():
    assert gradcheck(lambda x, y, z: (x * y).tanh() + z.exp() / y - x**z, [0.4, 1.3, 0.7]) is True


def test_gradcheck_accepts_values_and_leaves_their_grads_alone():
    x, y = Value(0.5, label="x"), Value(2.0, label="y")
    assert gradcheck(lambda a, b: a * b.log(), [x, y])
    assert not x.has_grad and not y.has_grad


def test_gradcheck_accepts_a_single_number_and_numpy_scalars():
    np = pytest.importorskip("numpy")
    assert gradcheck(lambda x: x.sin(), 0.3)
    assert gradcheck(lambda x, y: x * y, np.array([1.5, -2.0]))


def test_gradcheck_raises_with_the_numbers_in_a_table():
    with pytest.raises(GradcheckError) as caught:
        gradcheck(HALF_SQUARE, [3.0])
    error = caught.value
    assert isinstance(error, AssertionError)
    [row] = error.rows
    assert (row.analytic, row.abs_error, row.rel_error) == (3.0, pytest.approx(3.0, rel=1e-8), pytest.approx(0.5, rel=1e-8))
    assert row.numeric == pytest.approx(6.0, rel=1e-8)
    assert error.failures == [row] and error.order == 1
    message = str(error)
    assert "1 of 1 first derivatives" in message and "eps=1e-06, atol=1e-05, rtol=0.001" in message
    header, line = message.splitlines()[-2:]
    assert header.split() == ["derivative", "input", "value", "analytic", "numeric", "abs", "error", "rel", "error"]
    assert line.split() == ["FAIL", "df/dx0", "x0", "3", "3", "6", "3", "0.5"]


def test_gradcheck_marks_only_the_failing_rows_and_uses_labels():
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda a, b: HALF_SQUARE(a) + b * b, [Value(2.0, label="a"), Value(1.5, label="b")])
    lines = str(caught.value).splitlines()[-2:]
    assert lines[0].startswith("FAIL  df/da ") and " a " in lines[0]
    assert lines[1].startswith("      df/db ") and "FAIL" not in lines[1]
    assert [r.failed for r in caught.value.rows] == [True, False]
    assert caught.value.rows[1].analytic == 3.0  # d(b*b)/db at 1.5


def test_gradcheck_returns_a_falsy_report_instead_of_raising_when_asked():
    failed = gradcheck(HALF_SQUARE, [3.0], raise_exception=False)
    assert not failed and failed.passed is False
    passed = gradcheck(lambda x: x * x, [3.0], raise_exception=False)
    assert passed and passed.passed is True


def test_gradcheck_tolerances_mean_abs_error_at_most_atol_plus_rtol_times_numeric():
    # Every analytic entry is 2x + 1e-4: abs error 1e-4 against numeric 2x = 2 at x = 1.
    assert gradcheck(OFF_BY_1E4_SQUARE, [1.0])  # 1e-4 <= 1e-5 + 1e-3 * 2
    assert gradcheck(OFF_BY_1E4_SQUARE, [1.0], atol=0.0, rtol=6e-5)  # 1e-4 <= 1.2e-4
    assert not gradcheck(OFF_BY_1E4_SQUARE, [1.0], atol=0.0, rtol=4e-5, raise_exception=False)  # 1e-4 > 0.8e-4
    assert not gradcheck(OFF_BY_1E4_SQUARE, [1.0], atol=9e-5, rtol=0.0, raise_exception=False)
    assert gradcheck(OFF_BY_1E4_SQUARE, [1.0], atol=1.1e-4, rtol=0.0)


def test_a_wrong_derivative_that_is_right_at_some_points_passes_there():
    # x vs 2x agree at 0: a gradcheck is only as good as its points (hence the strategies).
    assert gradcheck(HALF_SQUARE, [0.0])


def test_gradcheck_nan_analytic_fails():
    nan_rule = define_op("tg_nan_rule", lambda x: x, [lambda g, out, x: g * math.nan])
    try:  # a rule giving NaN from finite numbers is an error of the engine's (as in the forward)
        assert gradcheck(nan_rule, [1.0], raise_exception=False).passed is False
    except ValueError as error:
        assert "backward of tg_nan_rule(1.0)" in str(error)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(f=42, inputs=[1.0]), TypeError, "f must be callable"),
        (dict(inputs=["a"]), TypeError, r"inputs\[0\] must be a number or a Value, got str"),
        (dict(inputs=[1.0, None]), TypeError, r"inputs\[1\] must be a number or a Value, got NoneType"),
        (dict(inputs=[True]), TypeError, r"inputs\[0\] must be a number or a Value, got bool"),
        (dict(inputs="ab"), TypeError, "inputs must be a sequence"),
        (dict(inputs=[]), ValueError, "inputs is empty"),
        (dict(inputs=[math.inf]), ValueError, r"inputs\[0\] must be finite"),
        (dict(inputs=[1.0], eps=0.0), ValueError, "eps must be finite and > 0"),
        (dict(inputs=[1.0], eps=-1e-6), ValueError, "eps must be finite and > 0"),
        (dict(inputs=[1.0], eps=math.nan), ValueError, "eps must be finite"),
        (dict(inputs=[1.0], atol=-1.0), ValueError, "atol must be finite and >= 0"),
        (dict(inputs=[1.0], rtol="0.1"), TypeError, "rtol must be a real number"),
    ],
)
def test_gradcheck_rejects_bad_arguments_clearly(kwargs, error, message):
    kwargs = {"f": lambda x, *rest: x * x, **kwargs}
    with pytest.raises(error, match=message):
        gradcheck(kwargs.pop("f"), kwargs.pop("inputs"), **kwargs)


def test_gradcheck_rejects_f_returning_a_float():
    with pytest.raises(TypeError, match="f must return a Value computed from its inputs, got float"):
        gradcheck(lambda x: 2.0, [1.0])


def test_gradcheck_explains_a_point_within_eps_of_the_domain_edge():
    with pytest.raises(FiniteDifferenceError, match=r"failed at x0 - eps = -5e-07, checking the point x0=5e-07: log\(-5e-07\).*edge of f's domain") as caught:
        gradcheck(lambda x: x.log(), [5e-7])
    assert isinstance(caught.value, ValueError)
    assert "log" in str(caught.value.__cause__)
    # The same point is fine with a step that stays inside the domain.
    assert gradcheck(lambda x: x.log(), [5e-7], eps=1e-10, rtol=1e-3)


def test_gradcheck_explains_overflow_at_a_perturbed_point():
    with pytest.raises(FiniteDifferenceError, match=r"x0 \+ eps"):
        gradcheck(lambda x: x.exp(), [709.782712893384 - 5e-7])


def test_numerical_grad_is_the_central_difference():
    assert numerical_grad(lambda x, y: x * x * y, [3.0, 2.0]) == [pytest.approx(12.0, rel=1e-8), pytest.approx(9.0, rel=1e-8)]
    assert numerical_grad(lambda x: x.exp(), [0.0], eps=1e-3) == [pytest.approx(math.sinh(1e-3) / 1e-3, rel=1e-12)]


# -- gradgradcheck and check_grads --------------------------------------------------------------


def test_gradgradcheck_passes_correct_hessians():
    assert gradgradcheck(lambda x, y: x * y.sin() + (x * x).log() + x**y, [1.5, 0.3])


def test_gradgradcheck_catches_a_rule_that_detaches_its_graph():
    assert gradcheck(DETACHED_SQUARE, [1.5])  # first order is right...
    with pytest.raises(GradcheckError) as caught:
        gradgradcheck(DETACHED_SQUARE, [1.5])  # ...but d2/dx2 through it is 0, not 2
    [row] = caught.value.rows
    assert caught.value.order == 2 and row.name == "d2f/dx0 dx0"
    assert row.analytic == 0.0 and row.numeric == pytest.approx(2.0, rel=1e-7)
    assert "1 of 1 second derivatives" in str(caught.value)


def test_gradgradcheck_checks_every_mixed_entry():
    with pytest.raises(GradcheckError) as caught:
        gradgradcheck(lambda x, y: DETACHED_SQUARE(x) * y, [1.5, 2.0])
    rows = {row.wrt: row for row in caught.value.rows}
    assert sorted(rows) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert [wrt for wrt, row in sorted(rows.items()) if row.failed] == [(0, 0)]  # 2y = 4 expected, 0 found
    assert rows[(0, 0)].numeric == pytest.approx(4.0, rel=1e-7)
    assert rows[(0, 1)].analytic == pytest.approx(3.0) and rows[(1, 0)].analytic == pytest.approx(3.0)  # 2x


def test_gradcheck_of_a_gradient_built_by_hand_with_create_graph():
    # PyTorch-style gradgradcheck by hand: f differentiates inside, so its graph must be recorded
    # at the perturbed points as well.
    def derivative_of_cube(x):
        [dx] = grad(x**3, [x], create_graph=True)
        return dx

    assert gradcheck(derivative_of_cube, [2.0])  # d/dx 3x**2 = 12
    assert not gradcheck(lambda x: grad(DETACHED_SQUARE(x), [x], create_graph=True)[0], [2.0], raise_exception=False)


def test_check_grads_finds_the_first_wrong_order():
    assert check_grads(QUARTIC, [1.5], order=2)
    with pytest.raises(GradcheckError) as caught:
        check_grads(QUARTIC, [1.5], order=3)
    [row] = caught.value.rows
    assert caught.value.order == 3 and row.name == "d3f/dx0 dx0 dx0"
    assert row.numeric == pytest.approx(24 * 1.5, rel=1e-6)  # d3/dx3 x**4 = 24 x
    assert row.analytic == pytest.approx(12 * 1.5)  # 4 * 3 * data(x): half of it
    assert "order-3 derivatives" in str(caught.value)


def test_check_grads_to_order_four_of_a_smooth_function():
    assert check_grads(lambda x, y: (x * y).sin() + x.exp() * y, [0.3, -0.8], order=4)


@pytest.mark.parametrize("order, error", [(0, ValueError), (-1, ValueError), (1.5, TypeError), (True, TypeError), ("2", TypeError)])
def test_check_grads_rejects_a_bad_order(order, error):
    with pytest.raises(error, match="order must be an int >= 1"):
        check_grads(lambda x: x, [1.0], order=order)


# -- Program -------------------------------------------------------------------------------------


def test_program_repr_is_runnable_source():
    p = Program(2, [("mul", 0, 1), ("sum", 2, 0, 2), ("leaky_relu", 3, 1), ("dot", 4, 0, 1, 1), (HALF_SQUARE, 5)])
    assert repr(p) == (
        "def program(x0, x1):\n"
        "    v2 = x0 * x1\n"
        "    v3 = autograd.sum([v2, x0, v2])\n"
        "    v4 = v3.leaky_relu(x1)\n"
        "    v5 = autograd.dot([v4, x0], [x1, x1])\n"
        "    v6 = OPS['tg_half_square'](v5)\n"
        "    return v6"
    )
    namespace = {"autograd": autograd, "OPS": autograd.OPS}
    exec(p.source, namespace)
    x = [0.7, -1.3]
    assert namespace["program"](*map(Value, x)).data == p.run(x)
    assert p.ops == ("mul", "sum", "leaky_relu", "dot", "tg_half_square") and len(p) == 5


def test_program_runs_on_floats_values_and_other_backends():
    p = Program(2, [("mul", 0, 0), ("sub", 2, 1), ("exp", 3)])
    assert p.run([2.0, 1.0]) == math.exp(3.0) and p(2.0, 1.0) == math.exp(3.0)
    assert p.trace([2.0, 1.0]) == [2.0, 1.0, 4.0, 3.0, math.exp(3.0)]
    x, y = Value(2.0), Value(1.0)
    out = p.run([x, y])
    assert isinstance(out, Value) and out.parents[0].parents[0].parents == (x, x)
    assert grad(out, [x, y]) == [pytest.approx(4 * math.exp(3.0)), pytest.approx(-math.exp(3.0))]
    as_strings = {"mul": lambda a, b: f"({a}*{b})", "sub": lambda a, b: f"({a}-{b})", "exp": lambda a: f"e^{a}"}
    assert p.run_with(as_strings, ["x", "y"]) == "e^((x*x)-y)"
    with pytest.raises(KeyError, match="no implementation given for op 'exp'"):
        p.run_with({"mul": lambda a, b: a * b, "sub": lambda a, b: a - b}, [1, 2])


@pytest.mark.parametrize(
    "n_inputs, nodes, message",
    [
        (0, [("neg", 0)], "n_inputs must be an int >= 1"),
        (1, [], "needs at least one node"),
        (1, [("neg", 1)], r"args \(1,\) must be indices of earlier values \(0..0\)"),
        (1, [("mul", 0)], "mul takes 2 inputs, got 1"),
        (1, [("no_such_op", 0)], "unknown op 'no_such_op'"),
        (1, [("sum",)], "sum needs at least one input"),
    ],
)
def test_program_rejects_malformed_programs(n_inputs, nodes, message):
    with pytest.raises(ValueError, match=message):
        Program(n_inputs, nodes)


def test_program_equality_is_structural():
    assert Program(1, [("neg", 0)]) == Program(1, [(autograd.OPS["neg"], 0)])
    assert len({Program(1, [("neg", 0)]), Program(1, [("neg", 0)]), Program(1, [("exp", 0)])}) == 2


def test_program_admits_points_inside_domains_away_from_kinks_and_overflow():
    p = Program(2, [("div", 0, 1), ("relu", 2)])
    assert p.admits([1.0, 2.0])
    assert not p.admits([1.0, 0.05])  # divisor too close to 0
    assert not p.admits([0.001, 2.0])  # relu input 0.0005 is within the kink margin
    assert not p.admits([0.001, 2.0], kink_margin=1e-4)  # x0 - radius puts it on the kink
    assert p.admits([0.001, 2.0], kink_margin=1e-4, radius=1e-4)
    assert not Program(1, [("exp", 0)]).admits([7.0])  # e**7 > max_magnitude = 1e3
    assert Program(1, [("exp", 0)]).admits([7.0], max_magnitude=1e4)
    # Within radius of a kink along some input: x0 - x1 = 0.0105 > kink_margin, but x1 + 1e-3 ...
    near = Program(2, [("sub", 0, 1), ("abs", 2)])
    assert near.admits([1.0105, 1.0]) and not near.admits([1.0105, 1.0], radius=0.02)


# -- domains -------------------------------------------------------------------------------------


def test_every_builtin_op_has_a_domain_and_user_ops_default_to_everywhere():
    for name, op in autograd.OPS.items():
        if op.builtin:
            assert "no domain registered" not in domain_of(name).description, name
    assert domain_of(HALF_SQUARE).description == "everywhere (no domain registered)"
    assert domain_of("dot").arities == (2, 4)


def test_op_domain_validates_its_fields():
    with pytest.raises(TypeError, match="accepts must be callable"):
        OpDomain(accepts=1)
    with pytest.raises(ValueError, match="arities must be ints >= 1"):
        OpDomain(arities=(0,))
    with pytest.raises(TypeError, match="not both"):
        register_domain("tg_half_square", OpDomain(), description="x")


# -- strategies: lazy import, validation ----------------------------------------------------------


def test_import_autograd_and_gradcheck_do_not_import_hypothesis():
    code = (
        "import sys, autograd, autograd.testing\n"
        "from autograd.testing import gradcheck, Program, OpDomain\n"
        "assert gradcheck(lambda x: x * x, [1.0])\n"
        "print('hypothesis' in sys.modules)\n"
        "from autograd.testing import programs\n"
        "print('hypothesis' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "True"]


def test_unknown_attribute_of_autograd_testing_is_an_attribute_error():
    import autograd.testing

    with pytest.raises(AttributeError, match="no attribute 'no_such_strategy'"):
        autograd.testing.no_such_strategy  # noqa: B018
    assert "programs" in dir(autograd.testing)


@pytest.mark.parametrize(
    "make",
    [
        lambda: programs(min_inputs=0),
        lambda: programs(min_inputs=3, max_inputs=2),
        lambda: programs(max_inputs=1.5),
        lambda: programs(min_nodes=0),
        lambda: programs(min_nodes=5, max_nodes=4),
        lambda: programs(max_nodes=True),
        lambda: programs(ops=[]),
        lambda: programs(ops=["no_such_op"]),
        lambda: programs(ops="add"),
        lambda: programs(ops=[3]),
        lambda: programs(domains={"exp": "x > 0"}),
        lambda: programs(domains=[("exp", OpDomain())]),
        lambda: valid_inputs("x0 * x0"),
        lambda: valid_inputs(Program(1, [("neg", 0)]), min_value=2.0, max_value=1.0),
        lambda: valid_inputs(Program(1, [("neg", 0)]), min_value=math.nan),
        lambda: valid_inputs(Program(1, [("neg", 0)]), max_magnitude=0.0),
        lambda: valid_inputs(Program(1, [("neg", 0)]), kink_margin=-1e-3),
        lambda: programs_and_inputs(max_value=math.inf),
        lambda: programs_and_inputs(max_nodes=0),
    ],
)
def test_strategies_validate_their_arguments(make):
    with pytest.raises(InvalidArgument):
        make()


# -- strategies: what they generate ----------------------------------------------------------------


@QUICK
@given(programs(ops=["mul", "sum", "tanh"], min_inputs=2, max_inputs=3, min_nodes=2, max_nodes=5))
def test_programs_respect_their_options(program):
    assert 2 <= program.n_inputs <= 3 and 2 <= len(program) <= 5
    assert set(program.ops) <= {"mul", "sum", "tanh"}
    for k, node in enumerate(program.nodes):
        assert all(0 <= a < program.n_inputs + k for a in node.args)
        if node.op.name == "sum":
            assert 1 <= len(node.args) <= 4


def test_programs_default_to_the_builtin_ops_only():
    seen = set()

    @QUICK
    @given(programs(max_nodes=12))
    def collect(program):
        seen.update(program.ops)

    collect()
    assert not any(name.startswith("tg_") for name in seen)
    assert len(seen) >= 10


def test_programs_share_nodes_so_they_are_dags():
    shared = find(
        programs(min_inputs=1, max_inputs=1),
        lambda p: any(p.nodes[-1].args.count(a) > 1 for a in p.nodes[-1].args) and len(p) >= 2,
        settings=settings(database=None, max_examples=2000, derandomize=True),  # rare: search long enough, same search every run
    )
    # Minimal: one node used twice by the next one, e.g. v2 = v1 + v1.
    assert len(shared) == 2 and shared.nodes[1].args == (1, 1)


@QUICK
@given(st.data())
def test_valid_inputs_lie_in_range_and_are_admitted(data):
    program = data.draw(programs(max_nodes=6))
    inputs = data.draw(valid_inputs(program, min_value=-2.0, max_value=2.5, kink_margin=0.05))
    assert len(inputs) == program.n_inputs and all(-2.0 <= x <= 2.5 for x in inputs)
    assert program.admits(inputs, kink_margin=0.05)


@QUICK
@given(valid_inputs(Program(1, [("relu", 0), ("abs", 0), ("add", 1, 2)]), kink_margin=0.25))
def test_valid_inputs_keep_away_from_kinks(inputs):
    assert abs(inputs[0]) >= 0.25


# A user op with a domain: inverse square root, defined for x > 0 only.
RSQRT = define_op("tg_rsqrt", lambda x: x**-0.5, [lambda g, out, x: -0.5 * g * out / x], domain="x > 0")


@QUICK
@given(programs_and_inputs(ops=["tg_rsqrt", "sub", "mul"], domains={"tg_rsqrt": OpDomain(accepts=lambda x: x >= 0.1)}))
def test_user_op_domain_given_to_the_strategy_is_respected(case):
    program, inputs = case
    values = program.trace(inputs)
    for k, node in enumerate(program.nodes):
        if node.op is RSQRT:
            assert values[node.args[0]] >= 0.1
    assert gradcheck(program, inputs)


def test_a_registered_user_domain_is_used_by_default():
    register_domain(RSQRT, accepts=lambda x: x >= 1.0, description="x >= 1 (test)")
    try:
        p = Program(1, [(RSQRT, 0)])
        assert not p.admits([0.5]) and p.admits([1.5])
        assert not p.admits([1.0])  # 1.0 - radius is outside
        [x] = find(valid_inputs(p), lambda xs: True, settings=settings(database=None))
        assert x >= 1.0 + 1e-3
    finally:
        autograd.testing.DOMAINS.pop("tg_rsqrt")


# -- shrinking: a wrong op is found and reported as a tiny program -------------------------------

# Right at x = 0 and x = 1 only: d/dx x**3 written as 3 x.
WRONG_CUBE = define_op("tg_wrong_cube", lambda x: x**3, [lambda g, out, x: g * 3 * x])
OPS_WITH_WRONG_CUBE = ["add", "mul", "tanh", "exp", "sin", "sum", "tg_wrong_cube", "log"]


def _fails_gradcheck(case):
    program, inputs = case
    return not gradcheck(program, inputs, raise_exception=False)


def test_a_wrong_user_op_is_found_and_shrunk_to_one_or_two_ops():
    program, inputs = find(
        programs_and_inputs(ops=OPS_WITH_WRONG_CUBE, max_inputs=3, max_nodes=10),
        _fails_gradcheck,
        settings=settings(database=None, max_examples=2000, derandomize=True),
    )
    assert "tg_wrong_cube" in program.ops
    assert 1 <= len(program) <= 2, program
    assert program.n_inputs == 1


def test_a_failing_given_test_prints_the_shrunk_program_as_code():
    @settings(database=None, max_examples=500, derandomize=True)
    @given(programs_and_inputs(ops=OPS_WITH_WRONG_CUBE))
    def user_test(case):
        program, inputs = case
        gradcheck(program, inputs)

    with pytest.raises(GradcheckError) as caught:
        user_test()
    report = "\n".join(getattr(caught.value, "__notes__", []))
    assert re.search("Falsifying example|Failing test case", report), report
    assert "def program(x0):" in report and "OPS['tg_wrong_cube'](" in report
    assert "FAIL  df/dx0" in str(caught.value)
