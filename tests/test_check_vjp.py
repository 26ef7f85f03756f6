"""check_vjp: a plain-float function against its hand-written gradient (and Hessian), with
gradcheck's table, kinks and report, and nothing registered in the op table (issue 26 item 3)."""

import math

import pytest

from autograd import OPS
from autograd.testing import FiniteDifferenceError, GradcheckError, check_vjp, gradcheck


def logaddexp(x, y):
    m = max(x, y)
    return m + math.log(math.exp(x - m) + math.exp(y - m))


def grad_logaddexp(x, y):
    p = 1 / (1 + math.exp(y - x))
    return [p, 1 - p]


def hessian_logaddexp(x, y):
    q = 1 / (1 + math.exp(y - x))
    q *= 1 - q
    return [[q, -q], [-q, q]]


def test_a_float_function_passes_against_its_gradient_and_hessian_without_registering_an_op():
    before = dict(OPS)
    assert check_vjp(logaddexp, grad_logaddexp, [0.5, 2.0]) is True
    assert check_vjp(logaddexp, grad_logaddexp, [0.5, 2.0], hessian=hessian_logaddexp) is True
    assert OPS == before  # no global op


def test_gradcheck_on_a_float_function_points_to_check_vjp():
    with pytest.raises(GradcheckError, match=r"use check_vjp\(f, grad_f, inputs\)"):
        gradcheck(lambda x, y: logaddexp(x, y) * x / x, [0.5, 2.0])


def test_a_wrong_gradient_is_a_table_naming_the_input():
    wrong = lambda x, y: [g * 1.01 if i == 1 else g for i, g in enumerate(grad_logaddexp(x, y))]  # noqa: E731
    report = check_vjp(logaddexp, wrong, [0.5, 2.0], raise_exception=False)
    assert not report.passed and [row.name for row in report.failures] == ["df/dx1"]
    p = 1 / (1 + math.exp(1.5))  # d/dx of logaddexp at (0.5, 2.0)
    assert report.failures[0].numeric == pytest.approx(1 - p, rel=1e-6)
    assert report.failures[0].analytic == pytest.approx(1.01 * (1 - p), rel=1e-12)
    assert report.fault.op == "logaddexp" and report.fault.input_index == 1
    with pytest.raises(GradcheckError, match="df/dx1"):
        check_vjp(logaddexp, wrong, [0.5, 2.0])


def test_a_wrong_hessian_fails_at_second_order():
    wrong = lambda x, y: [[2 * v for v in row] for row in hessian_logaddexp(x, y)]  # noqa: E731
    report = check_vjp(logaddexp, grad_logaddexp, [0.5, 2.0], hessian=wrong, raise_exception=False)
    assert not report.passed and report.order == 2 and len(report.failures) == 4
    q = 1 / (1 + math.exp(1.5)) * (1 - 1 / (1 + math.exp(1.5)))
    assert report.failures[0].numeric == pytest.approx(q, rel=1e-5) and report.failures[0].analytic == pytest.approx(2 * q)


def test_kinks_are_explained_as_for_an_op():
    relu = lambda x: max(x, 0.0)  # noqa: E731
    step = lambda x: 1.0 if x > 0 else 0.0  # noqa: E731
    assert not check_vjp(relu, step, [0.0], raise_exception=False)  # 0 against a central 0.5
    report = check_vjp(relu, step, [0.0], kinks=lambda x: [x], raise_exception=False)
    assert report.passed and (report.kinks[0].kink.left, report.kinks[0].kink.right) == (0.0, 1.0)


def test_a_one_input_gradient_may_be_a_float_and_errors_name_what_is_wrong():
    assert check_vjp(math.sin, math.cos, [0.3])
    with pytest.raises(ValueError, match="grad_f of logaddexp must return 2 values"):
        check_vjp(logaddexp, lambda x, y: [1.0], [0.5, 2.0])
    with pytest.raises(TypeError, match="grad_f must be callable"):
        check_vjp(logaddexp, None, [0.5, 2.0])
    with pytest.raises(FiniteDifferenceError, match="edge of f's domain"):
        check_vjp(math.log, lambda x: 1 / x, [1e-7])
