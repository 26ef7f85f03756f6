"""Gradient checks that find the bug: forward mode in check_grads, the node at fault, kinks,
fast mode, reports, and steps relative to |x|.

Each test plants a known bug (or a known kink) and asserts the numbers the checker reports,
derived by hand.
"""

import math

import pytest
from hypothesis import HealthCheck, given, settings

import autograd
from autograd import Value, define_op
from autograd.testing import (
    Fault,
    FiniteDifferenceError,
    GradcheckError,
    GradcheckReport,
    check_grads,
    domain_of,
    gradcheck,
    gradgradcheck,
    numerical_grad,
    programs_and_inputs,
    register_domain,
    valid_inputs,
)
from autograd.testing import Program
from hypothesis.errors import InvalidArgument

QUICK = settings(max_examples=60, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _data(x):
    return x.data if isinstance(x, Value) else x


# Planted bugs (prefix td_ in the global op table).
WRONG_CUBE = define_op("td_wrong_cube", lambda x: x**3, [lambda g, out, x: g * 3 * x])  # 3x, not 3x^2
ONE_PERCENT_OFF = define_op("td_one_percent", lambda x: x * x, [lambda g, out, x: g * 2.02 * x])
DETACHED_SQUARE = define_op("td_detached_square", lambda x: x * x, [lambda g, out, x: g * 2 * _data(x)])
WRONG_SECOND_INPUT = define_op(  # x * y with d/dy written as y instead of x
    "td_wrong_mul", lambda x, y: x * y, [lambda g, out, x, y: g * y, lambda g, out, x, y: g * y]
)


def fifty_ops(x, y):
    """50 ops, all correct but one: a td_wrong_cube in the middle, labelled 'h'."""
    v = x * y  # 1 op
    for k in range(6):  # 8 ops per round
        v = v * 0.8 + x
        v = v.sin() * 2 + y
        v = (v * 0.3).exp() - 0.5
        if k == 3:
            v = WRONG_CUBE(v)  # the 50th op
            v.label = "h"
    return v


# -- check_grads: forward mode, reverse mode, finite differences ----------------------------------


def test_check_grads_in_forward_mode_passes_a_smooth_function_to_order_three():
    f = lambda x, y: (x * y).sin() + x.exp() * y.tanh()
    assert check_grads(f, [0.3, -0.8], order=3, modes=("fwd",))
    report = check_grads(f, [0.3, -0.8], order=2, raise_exception=False)
    # Orders 1 and 2, forward then reverse: 2 + 2 + 4 + 4 rows, all passing.
    assert report.passed and len(report.rows) == 12
    assert [row.mode for row in report.rows] == ["fwd"] * 2 + ["rev"] * 2 + ["fwd"] * 4 + ["rev"] * 4
    fwd = {row.wrt: row.analytic for row in report.rows if row.mode == "fwd"}
    rev = {row.wrt: row.analytic for row in report.rows if row.mode == "rev"}
    assert fwd == pytest.approx(rev, rel=1e-13)  # the same rules, so the same numbers


def test_forward_mode_catches_a_wrong_rule_and_says_which_mode():
    with pytest.raises(GradcheckError) as caught:
        check_grads(WRONG_CUBE, [1.5], order=1, modes=("fwd",))
    [row] = caught.value.rows
    assert row.mode == "fwd" and row.analytic == 4.5 and row.numeric == pytest.approx(6.75, rel=1e-8)
    assert "first derivatives (forward mode) differ" in str(caught.value)


@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_both_modes_catch_a_rule_that_is_wrong_only_at_second_order(mode):
    assert check_grads(DETACHED_SQUARE, [1.5], order=1, modes=(mode,))
    with pytest.raises(GradcheckError) as caught:
        check_grads(lambda x: DETACHED_SQUARE(x) * x, [1.5], order=2, modes=(mode,))
    # f = x^3: f'' = 6x = 9; through the detached rule: 2x (x*d/dx of the rule is lost) + ... = 6x - 2x
    [row] = caught.value.rows
    assert row.numeric == pytest.approx(9.0, rel=1e-6) and row.analytic == pytest.approx(6.0)
    assert caught.value.report.fault.op == "td_detached_square" and caught.value.report.fault.order == 2


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(order="2"), TypeError, "order must be an int >= 1, got str"),
        (dict(order=2.0), TypeError, "order must be an int"),
        (dict(order=0), ValueError, "order must be an int >= 1, got 0"),
        (dict(modes="fwd"), TypeError, "modes must be a sequence of mode names"),
        (dict(modes=None), TypeError, "modes must be a sequence"),
        (dict(modes=[1]), TypeError, "each mode must be 'fwd' or 'rev', got int"),
        (dict(modes=["fwd", "sideways"]), ValueError, "unknown mode 'sideways'"),
        (dict(modes=()), ValueError, "modes is empty"),
        (dict(fast=1), TypeError, "fast must be True or False"),
        (dict(raise_exception="no"), TypeError, "raise_exception must be True or False"),
        (dict(seed=1.5), TypeError, "seed must be an int or None"),
    ],
)
def test_check_grads_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        check_grads(lambda x: x * x, [1.0], **kwargs)


# -- the node at fault ----------------------------------------------------------------------------


def test_a_wrong_rule_buried_in_fifty_ops_is_named():
    x, y = Value(0.3, label="x"), Value(0.7, label="y")
    out = fifty_ops(x, y)
    nodes = [n for n in autograd.topological_order(out) if n.op]
    assert len(nodes) == 50
    [culprit] = [n for n in nodes if n.op == "td_wrong_cube"]
    seen = culprit.parents[0].data

    with pytest.raises(GradcheckError) as caught:
        gradcheck(fifty_ops, [0.3, 0.7])
    fault = caught.value.report.fault
    assert isinstance(fault, Fault)
    assert (fault.op, fault.label, fault.inputs, fault.input_index, fault.order) == ("td_wrong_cube", "h", (seen,), 0, 1)
    assert fault.node == f"v{nodes.index(culprit) + 1}"  # its place among the 50 ops
    assert fault.analytic == pytest.approx(3 * seen) and fault.numeric == pytest.approx(3 * seen**2, rel=1e-8)
    message = str(caught.value)
    assert "node at fault: " in message and "td_wrong_cube" in message and "(label 'h')" in message
    assert f"node {nodes.index(culprit) + 1} of 50 in f's graph" in message
    assert f"{seen:.6g}" in message
    assert len(caught.value.report.faults) == 1  # no correct op is blamed


def test_the_node_at_fault_names_the_input_whose_rule_is_wrong():
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda a, b: WRONG_SECOND_INPUT(a.exp(), b) + a, [0.5, 2.0])
    fault = caught.value.report.fault
    assert fault.op == "td_wrong_mul" and fault.input_index == 1
    assert fault.inputs == (math.exp(0.5), 2.0)
    assert fault.analytic == 2.0 and fault.numeric == pytest.approx(math.exp(0.5), rel=1e-8)
    assert [row.failed for row in caught.value.rows] == [False, True]  # d/da is right


def test_no_node_is_blamed_when_f_cuts_its_own_graph():
    # x * x.data: each op is right, f is not differentiable by autograd (d/dx should be 2x).
    report = gradcheck(lambda x: x * x.data, [1.5], raise_exception=False)
    assert not report.passed and report.fault is None and report.faults == []
    assert "no node at fault: each of the 1 ops" in str(report) and ".data" in str(report)


def test_when_a_random_program_with_a_wrong_op_fails_the_wrong_op_is_the_node_at_fault():
    faults = []

    @settings(max_examples=150, database=None, derandomize=True, deadline=None)
    @given(programs_and_inputs(ops=["add", "mul", "tanh", "exp", "sin", WRONG_CUBE], max_nodes=8))
    def property(case):
        program, inputs = case
        report = gradcheck(program, inputs, raise_exception=False)
        if not report.passed:
            assert report.fault is not None and report.fault.op == "td_wrong_cube", report
            faults.append(report.fault)

    property()
    assert len(faults) >= 5  # the property was exercised on failing programs


# -- kinks ---------------------------------------------------------------------------------------


def test_a_mismatch_at_a_relu_kink_is_reported_as_a_kink_not_a_failure():
    # 2 relu(x) + x at 0: autograd takes relu'(0) = 0, so 1; one-sided slopes 1 (left), 3 (right);
    # the central difference is 2.
    report = gradcheck(lambda x: x.relu() * 2 + x, [0.0], raise_exception=False)
    assert report.passed
    [row] = report.rows
    assert not row.failed and row.numeric == pytest.approx(2.0) and row.analytic == 1.0
    kink = row.kink
    assert (kink.op, kink.subgradient, kink.within) == ("relu", 1.0, True)
    assert (kink.left, kink.right) == (pytest.approx(1.0), pytest.approx(3.0))
    assert "at a kink: autograd took the subgradient 1, one-sided slopes 1 and 3" in str(report)
    assert report.kinks == [row]
    assert gradcheck(lambda x: x.relu() * 2 + x, [0.0]) is True


def test_leaky_relu_and_abs_kinks():
    [row] = gradcheck(lambda x: x.leaky_relu(0.1), [0.0], raise_exception=False).rows
    assert row.kink.subgradient == pytest.approx(0.1) and row.kink.left == pytest.approx(0.1) and row.kink.right == pytest.approx(1.0)
    [row] = gradcheck(lambda x: abs(x) + x * 0.5, [0.0], raise_exception=False).rows  # slopes -0.5, 1.5; autograd 0.5
    assert row.kink is None and not row.failed  # the central difference (0.5) agrees: nothing to explain


def test_a_kink_within_a_step_of_the_point_is_found_too():
    # relu at 1e-7 with a step of 1e-6: autograd 1 (right side); the one-sided slopes, taken on
    # each side of the kink (between x -+ h and x -+ 2h), are relu's own 0 and 1.
    [row] = gradcheck(lambda x: x.relu(), [1e-7], raise_exception=False).rows
    assert row.kink is not None and row.kink.left == 0.0 and row.kink.right == pytest.approx(1.0)


def test_autograd_outside_the_one_sided_slopes_is_still_a_failure():
    # relu(x) - relu(-x) == x, yet autograd gives 0 - 0 = 0 at 0: not between the slopes 1 and 1.
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x: x.relu() - (-x).relu(), [0.0])
    [row] = caught.value.rows
    assert row.failed and row.kink is not None and not row.kink.within
    assert "but the subgradient is not between them" in str(caught.value)


HINGE = define_op("td_hinge", lambda x: max(x - 1.0, 0.0), [lambda g, out, x: g * (x > 1.0)])


def test_a_user_op_that_declares_its_kinks():
    f = lambda x: HINGE(x) * 3 + x  # at x = 1: autograd 1, one-sided slopes 1 and 4
    assert gradcheck(f, [1.0], raise_exception=False).passed is False  # no kink declared: a failure
    register_domain(HINGE, kinks=lambda x: [x - 1.0], description="kink at 1")
    try:
        [row] = gradcheck(f, [1.0], raise_exception=False).rows
        assert not row.failed and row.kink.op == "td_hinge"
        assert (row.kink.left, row.kink.right) == (pytest.approx(1.0), pytest.approx(4.0))
    finally:
        autograd.testing.DOMAINS.pop("td_hinge")


def test_kink_explanations_apply_at_second_order():
    # d/dx of x * relu(x) is 2 relu(x)... at 0 its derivative has one-sided slopes 0 and 2.
    report = gradgradcheck(lambda x: x * x.relu(), [0.0], raise_exception=False)
    [row] = report.rows
    assert report.passed and row.kink is not None
    assert (row.kink.left, row.kink.right) == (pytest.approx(0.0, abs=1e-9), pytest.approx(2.0))


def test_strategies_aim_at_kinks_on_request():
    p = Program(2, [("sub", 0, 1), ("relu", 2), ("mul", 3, 0)])

    @QUICK
    @given(valid_inputs(p, kinks="aim"))
    def on_the_kink(inputs):
        x0, x1 = inputs
        assert abs(x0 - x1) < 1e-15  # on the kink of relu(x0 - x1), to the last bits bisection reaches

    on_the_kink()
    with pytest.raises(InvalidArgument):
        valid_inputs(p, kinks="sometimes")
    with pytest.raises(InvalidArgument):
        programs_and_inputs(kinks=True)


@QUICK
@given(programs_and_inputs(ops=["relu", "abs", "leaky_relu", "mul", "add", "sub", "tanh", "sin"], max_nodes=6, kinks="aim"))
def test_at_aimed_kinks_every_failure_is_explained_by_a_kink(case):
    program, inputs = case
    values = program.trace(inputs)
    distances = [
        abs(domain_of(node.op).kinks(*[values[a] for a in node.args])[0])
        for node in program.nodes
        if domain_of(node.op).kinks is not None
    ]
    assert min(distances) < 1e-12  # some kink is hit
    report = gradcheck(program, inputs, raise_exception=False)
    for row in report.rows:
        assert not row.failed or row.kink is not None, report
        if row.kink is not None and not row.failed:
            low, high = sorted([row.kink.left, row.kink.right])
            assert low - 1e-3 <= row.analytic <= high + 1e-3


# -- fast mode ----------------------------------------------------------------------------------


def _counting(f):
    calls = []

    def counted(*xs):
        calls.append(1)
        return f(*xs)

    return counted, calls


def test_fast_mode_evaluates_f_four_times_whatever_the_number_of_inputs():
    f, calls = _counting(lambda *xs: autograd.sum([x.tanh() * x for x in xs]))
    xs = [math.sin(k) for k in range(1000)]
    assert gradcheck(f, xs, fast=True) is True
    # one with a backward pass, f(x + eps u) and f(x - eps u), and one whose graph's rules are
    # checked for linearity in their upstream gradient
    assert len(calls) == 4
    report = gradcheck(f, xs, fast=True, raise_exception=False)
    [row] = report.rows
    assert row.wrt == () and row.name == "df·u" and report.passed
    assert row.abs_error <= 1e-6  # a projection of a correct gradient


def test_fast_mode_catches_a_rule_one_percent_off_and_falls_back_to_the_full_table():
    f, calls = _counting(lambda *xs: autograd.sum([ONE_PERCENT_OFF(x) for x in xs]))
    xs = [0.5 + 0.01 * k for k in range(40)]
    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, xs, fast=True)
    assert len(caught.value.rows) == 40 and len(caught.value.failures) == 40
    assert caught.value.rows[0].analytic == pytest.approx(2.02 * 0.5) and caught.value.rows[0].numeric == pytest.approx(1.0)
    assert "fast mode: a random projection of the first derivatives differs" in str(caught.value)
    assert caught.value.report.fault.op == "td_one_percent"
    assert len(calls) > 80  # the fallback evaluated f along every input


def test_the_gradcheck_benchmark_runs(capsys):
    from benchmarks.gradcheck import main

    main(["--quick"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["mode", "inputs", "seconds"]
    assert [line.split()[:2] for line in lines[1:]] == [["fast", "100"], ["full", "30"]]
    assert all(float(line.split()[2]) > 0 for line in lines[1:])


def test_fast_mode_at_second_order_and_in_forward_mode():
    assert gradgradcheck(lambda x, y: (x * y).sin() + x.exp(), [0.3, 0.9], fast=True) is True
    with pytest.raises(GradcheckError, match="second derivatives"):
        gradgradcheck(lambda x, y: DETACHED_SQUARE(x) * y, [1.5, 2.0], fast=True)
    assert check_grads(lambda x, y: x * y.tanh(), [0.3, 0.9], order=3, modes=("fwd",), fast=True)
    report = check_grads(WRONG_CUBE, [1.5], order=1, modes=("fwd",), fast=True, raise_exception=False)
    assert not report.passed and report.rows[-1].mode == "fwd" and report.fault.op == "td_wrong_cube"


def test_fast_mode_at_kinks_falls_back_to_the_table_which_explains_them():
    # relu at 0 for every fourth input: the projection mixes one-sided slopes, the table explains.
    xs = [0.0 if k % 4 == 0 else 0.1 * k - 1.05 for k in range(20)]
    report = gradcheck(lambda *xs: autograd.sum([x.relu() for x in xs]), xs, fast=True, raise_exception=False)
    assert report.passed and len(report.rows) == 20
    assert [row.wrt[0] for row in report.kinks] == [0, 4, 8, 12, 16]
    assert all((row.kink.left, row.kink.right) == (0.0, pytest.approx(1.0)) for row in report.kinks)


# -- reports ------------------------------------------------------------------------------------


def test_the_report_returned_is_the_report_raised():
    f = lambda a, b: WRONG_CUBE(a) + b * b
    inputs = [Value(2.0, label="a"), Value(1.5, label="b")]
    report = gradcheck(f, inputs, raise_exception=False)
    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, inputs)
    assert isinstance(report, GradcheckReport) and isinstance(caught.value.report, GradcheckReport)
    assert not report and report.passed is False
    assert [r.failed for r in report.rows] == [True, False] and report.failures == [report.rows[0]]
    # d/da a^3 at 2 is 12; the wrong rule says 6.
    assert report.worst_abs_error == pytest.approx(6.0, rel=1e-7) and report.worst_rel_error == pytest.approx(0.5, rel=1e-7)
    assert report.fault.op == "td_wrong_cube" and report.order == 1
    assert str(report).splitlines()[-2].split()[:6] == ["FAIL", "df/da", "a", "2", "6", "12"]
    assert str(caught.value) == str(report) and caught.value.rows == report.rows
    assert "worst abs error 6" in repr(report) and "td_wrong_cube" in repr(report)


# -- steps relative to |x| ----------------------------------------------------------------------


@pytest.mark.parametrize("x", [1e11, -1e11, 1e300, 1e-300])
def test_huge_and_tiny_inputs_are_checked_meaningfully(x):
    assert gradcheck(lambda v: v * 3 + v / 7, [x]) is True
    [numeric] = numerical_grad(lambda v: v * 3 + v / 7, [x])
    assert numeric == pytest.approx(3 + 1 / 7, rel=1e-8)


def test_a_wrong_rule_is_still_caught_at_a_huge_input():
    # f = (1e-11 v)^3 at v = 2e11: f' = 3e-11 * 2^2; the wrong rule gives 3e-11 * 2.
    # (atol=0: the derivatives are about 1e-10, below the default absolute tolerance.)
    assert gradcheck(lambda v: WRONG_CUBE(v * 1e-11), [1e11], atol=0.0)  # where 3x = 3x^2 the bug hides
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda v: WRONG_CUBE(v * 1e-11), [2e11], atol=0.0)
    [row] = caught.value.rows
    assert row.numeric == pytest.approx(3 * 4 * 1e-11, rel=1e-6) and row.analytic == pytest.approx(3 * 2 * 1e-11)
    assert row.step == pytest.approx(2e5)


def test_a_point_where_finite_differences_cannot_work_is_a_clear_error():
    with pytest.raises(FiniteDifferenceError, match=r"unreliable for df/dx0 at x0 = 100000000000.0: a step of 1e\+05"):
        gradcheck(lambda v: v.sin(), [1e11])
    with pytest.raises(FiniteDifferenceError, match="lost to rounding"):
        gradcheck(lambda v: v * v, [1.0], eps=1e-20)
    with pytest.raises(FiniteDifferenceError, match="outside the floats"):
        numerical_grad(lambda v: v * 0.5, [1.7e308], eps=0.5)


# -- a rule that ignores its upstream gradient, a fault below atol, rounding, one kink policy --

IGNORES_GRAD = define_op("td_ignores_grad_cube", lambda x: x**3, [lambda g, out, x: 3 * x * x])  # no g


def test_a_rule_that_ignores_its_upstream_gradient_is_named():
    # sin(x^3) at 0.7: the rule gives 3x^2 = 1.47 where the chain rule needs cos(0.343) * 1.47.
    report = gradcheck(lambda x: IGNORES_GRAD(x).sin(), [0.7], raise_exception=False)
    assert not report.passed
    assert report.fault.op == "td_ignores_grad_cube" and report.fault.node == "v1"
    assert "ignores its upstream gradient" in report.fault.text
    assert report.fault.analytic == pytest.approx(1.47) and report.fault.numeric == pytest.approx(-2 * 1.47)


IGNORES_GRAD_POW = define_op(
    "td_ignores_grad_pow", lambda x, y: x**y,
    [lambda g, out, x, y: y * x ** (y - 1), lambda g, out, x, y: g * out * math.log(x)],  # the first: no g
)


def test_a_rule_that_ignores_its_upstream_gradient_is_named_where_another_input_has_no_derivative():
    # At x = -2 the exponent's rule (log x) is undefined, but the exponent is a constant: the
    # contract check runs the base's rule alone and names it (it gave up on the whole node before).
    report = gradcheck(lambda x: IGNORES_GRAD_POW(x, 3.0) * 2.0, [-2.0], raise_exception=False)
    assert not report.passed and report.fault.op == "td_ignores_grad_pow"
    assert "ignores its upstream gradient" in report.fault.text


@pytest.mark.parametrize("modes", [("fwd",), ("rev",), ("fwd", "rev")])
def test_a_rule_that_ignores_its_upstream_gradient_fails_every_check_even_as_the_output(modes):
    # As f's output its upstream gradient is 1, and forward mode calls its rule with x's tangent 1: the table
    # agrees, so only the rule contract (linear in grad) can catch it.
    for f in (IGNORES_GRAD, lambda x: IGNORES_GRAD(x).sin()):
        report = check_grads(f, [0.7], order=1, modes=modes, raise_exception=False)
        assert not report.passed and report.fault.op == "td_ignores_grad_cube"
    with pytest.raises(GradcheckError, match="ignores its upstream gradient"):
        check_grads(IGNORES_GRAD, [0.7], order=2, modes=("fwd",))


def test_every_builtin_rule_is_linear_in_its_upstream_gradient():
    f = lambda x, y: (x * y + x.tanh() - y / x).exp().log() ** 2 + x.sigmoid().relu() + abs(y).sqrt()
    assert check_grads(f, [0.7, -1.3], order=1)


def test_a_rule_rounding_in_the_subnormal_range_is_not_blamed():
    # Found by hypothesis: pow's rule for the base at 2 ** 5e-324 is 5e-324 * 2 ** (5e-324 - 1),
    # which rounds to 0 with grad=1 and to -5e-324 with grad=-2: rounding, not a missing `* grad`.
    report = gradcheck(lambda x, y: x**y, [2.0, 5e-324], raise_exception=False)
    assert report.passed and report.fault is None
    assert report.rows[1].analytic == pytest.approx(math.log(2.0))


ONE_PERCENT_CUBE = define_op(
    "td_one_percent_cube", lambda x: x**3, [lambda g, out, x: g * 3.03 * x * x]  # 1% too large
)


def test_a_one_percent_wrong_rule_below_atol_is_named_when_f_amplifies_it():
    # At x = 1e-3 the op's own derivative is 3e-6 (below atol = 1e-5), but f = 1e6 * cube(x)
    # has f' = 3: the 1% error (0.03) fails f, and the op checked alone must be blamed for it.
    report = gradcheck(lambda x: ONE_PERCENT_CUBE(x) * 1e6, [1e-3], raise_exception=False)
    assert not report.passed and report.failures[0].numeric == pytest.approx(3.0, rel=1e-5)
    fault = report.fault
    assert fault.op == "td_one_percent_cube" and fault.node == "v1"
    assert fault.analytic == pytest.approx(3.03e-6) and fault.numeric == pytest.approx(3e-6, rel=1e-5)
    assert "1e+06 times as fast" in fault.text


def test_a_step_below_fs_rounding_is_a_finite_difference_error_never_a_fault_of_add():
    # f = exp(30) + y = 1.07e13 is resolved to 0.002; a step of 1e-6 in y is lost in it.
    with pytest.raises(FiniteDifferenceError, match="below f's rounding") as caught:
        gradcheck(lambda x, y: x.exp() + y, [30.0, 1.0])
    assert "df/dx1" in str(caught.value) and "node at fault" not in str(caught.value)
    assert gradcheck(lambda x, y: x.exp() + y, [3.0, 1.0])  # where f is small, the same f passes


@pytest.mark.parametrize("op", ["abs", "relu", "leaky_relu"])
@pytest.mark.parametrize("modes", [("fwd",), ("rev",)])
def test_one_kink_policy_for_abs_relu_and_leaky_relu_at_every_order(op, modes):
    f = {"abs": abs, "relu": lambda x: x.relu(), "leaky_relu": lambda x: x.leaky_relu()}[op]
    report = check_grads(f, [0.0], order=3, modes=modes, raise_exception=False)
    assert report.passed, str(report)
    kinks = {len(row.wrt): row.kink for row in report.rows if row.kink is not None}
    # order 1 (relu, leaky_relu; abs's central difference is 0 like its rule): the slopes on each side
    if op != "abs":
        assert (kinks[1].left, kinks[1].right) == (pytest.approx({"relu": 0.0, "leaky_relu": 0.01}[op]), 1.0)
    # order 2 (abs before this policy failed here and blamed abs): flat on both sides, 0 and 0
    assert (kinks[2].left, kinks[2].right, kinks[2].subgradient) == (0.0, 0.0, 0.0)


def test_the_kink_policy_still_fails_a_value_outside_the_one_sided_slopes_at_order_two():
    # f = relu(x) * x has f'' = 0 left of 0 and 2 right of it (the central difference says 1):
    # autograd's 0 lies between the slopes, a kink. But relu(x) - relu(-x) = x has f' = 1 on
    # both sides, and autograd's 0 at the kink is outside them: still a failure.
    report = gradgradcheck(lambda x: x.relu() * x, [0.0], raise_exception=False)
    kink = report.rows[0].kink
    assert report.passed and (kink.left, kink.right) == (0.0, pytest.approx(2.0)) and kink.subgradient == 0.0
    report = check_grads(lambda x: x.relu() - (-x).relu(), [0.0], order=1, raise_exception=False)
    assert not report.passed and report.rows[0].kink is not None and not report.rows[0].kink.within


FAST_WRONG_SIN = define_op("td_fast_wrong_sin", math.sin, [lambda g, out, x: g * autograd.OPS["cos"](x) * 1.01])


def test_fast_mode_can_miss_a_diluted_error_and_more_directions_catch_it():
    # exp(2a) dominates every projection at a = 1.5: the 1% error in d/db (0.0096) is lost along
    # seed 1's direction; eight directions find it (the full table always does).
    f = lambda a, b: (a * 2).exp() + FAST_WRONG_SIN(b)
    assert not gradcheck(f, [1.5, 0.3], raise_exception=False)
    assert gradcheck(f, [1.5, 0.3], fast=True, seed=1)  # the documented miss
    report = gradcheck(f, [1.5, 0.3], fast=True, seed=1, directions=8, raise_exception=False)
    assert not report.passed and report.fault.op == "td_fast_wrong_sin"


def test_directions_is_validated():
    with pytest.raises(ValueError, match="pass fast=True"):
        gradcheck(lambda x: x * x, [1.0], directions=3)
    with pytest.raises(TypeError, match="directions must be an int"):
        gradcheck(lambda x: x * x, [1.0], fast=True, directions=2.0)
    with pytest.raises(ValueError, match="directions must be an int >= 1"):
        gradcheck(lambda x: x * x, [1.0], fast=True, directions=0)
