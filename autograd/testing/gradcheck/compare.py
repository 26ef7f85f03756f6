"""One order of one mode: analytic against numeric, row by row, kinks explained, unreliable
differences refused."""

from __future__ import annotations

from autograd.testing.gradcheck.derivatives import data_of, make_leaves, partials
from autograd.testing.gradcheck.differences import (
    error_sizes,
    numeric_level,
    partials_at,
    step_input,
)
from autograd.testing.gradcheck.kinks import explain_kinks
from autograd.testing.gradcheck.messages import describe, indented
from autograd.testing.gradcheck.report import DerivativeRow, FiniteDifferenceError


def _derivative_name(wrt, names) -> str:
    order = len(wrt)
    top = "df" if order == 1 else f"d{order}f"
    return f"{top}/" + " ".join(f"d{names[i]}" for i in wrt)


def compare_level(f, points, names, order, eps, atol, rtol, where, mode="rev", kinks=True) -> list:
    leaves = make_leaves(points, names)
    analytic = [(wrt, data_of(g)) for wrt, g in partials(f, leaves, order, where, keep_graph_last=False, mode=mode)]
    differences = numeric_level(f, points, names, order, eps, where, mode)
    n = len(points)
    rows = []
    for k, (wrt, a) in enumerate(analytic):
        i = wrt[-1]
        num = differences.numeric[k // n][i]
        abs_error, rel_error = error_sizes(a, num)
        failed = not abs_error <= atol + rtol * abs(num)  # like numpy.allclose(a, num)
        rows.append(
            DerivativeRow(wrt, _derivative_name(wrt, names), names[i], points[i], a, num, abs_error, rel_error,
                          failed, mode, differences.steps[i])
        )
    if kinks and any(row.failed for row in rows):
        rows = explain_kinks(f, points, names, order, rows, differences, atol, rtol, where, mode)
    if any(row.failed for row in rows):
        _check_reliable(f, points, names, order, rows, differences, atol, rtol, where, mode)
    return rows


def _check_reliable(f, points, names, order, rows, differences, atol, rtol, where, mode) -> None:
    """A failure is blamed on the derivatives only if its finite difference can be trusted: the
    same difference with a step ten times smaller must agree with it. When it does not for any
    of the (up to 3) worst failing inputs, f varies on a smaller scale than the step there (sin at
    1e11 moved by 1e5, a pole within a few steps), and `FiniteDifferenceError` says so."""
    n = len(points)
    failing = sorted((row.rel_error, k) for k, row in enumerate(rows) if row.failed and row.kink is None)
    checked, unreliable = set(), None
    for _, k in reversed(failing):
        row = rows[k]
        i = row.wrt[-1]
        if i in checked:
            continue
        if len(checked) == 3:
            break
        checked.add(i)
        step = differences.steps[i] / 10
        up, hp = step_input(points, names, i, step, where)
        down, hm = step_input(points, names, i, -step, where)
        plus = partials_at(f, up, names, order - 1, where, i, step, points, mode)
        minus = partials_at(f, down, names, order - 1, where, i, -step, points, mode)
        fine = (plus[k // n] - minus[k // n]) / (hp - hm)
        if abs(fine - row.numeric) <= atol + rtol * abs(fine):
            return  # a trustworthy failure
        unreliable = unreliable or (row, fine)
    if unreliable is not None:
        row, fine = unreliable
        raise FiniteDifferenceError(
            f"{where}: finite differences are unreliable for {row.name} at {row.input_name} = {row.input_value!r}: "
            f"a step of {row.step:.3g} gives {row.numeric:.10g} and a step of {row.step / 10:.3g} gives {fine:.10g} "
            f"(autograd: {row.analytic:.10g}). f varies on a smaller scale than the step there (steps are "
            "eps * max(1, |x|)), so this point cannot be checked by finite differences: move the point or pass "
            f"a smaller eps.\nf = {indented(describe(f))}"
        )
