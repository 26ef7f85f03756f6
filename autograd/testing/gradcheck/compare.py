"""One order of one mode: analytic against numeric, row by row, kinks explained, unreliable
differences refused."""

from __future__ import annotations

# pytest leaves this module's frames out of a failing test's traceback: the failure is the
# report, not the checker's code (`--fulltrace` shows them).
__tracebackhide__ = True

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
            DerivativeRow(
                wrt,
                _derivative_name(wrt, names),
                names[i],
                points[i],
                a,
                num,
                abs_error,
                rel_error,
                failed,
                mode,
                differences.steps[i],
            )
        )
    if kinks and any(row.failed for row in rows):
        rows = explain_kinks(f, points, names, order, rows, differences, atol, rtol, where, mode)
    if any(row.failed for row in rows):
        _check_reliable(f, points, names, order, rows, differences, atol, rtol, where, mode)
    return rows


def _check_reliable(f, points, names, order, rows, differences, atol, rtol, where, mode) -> None:
    """A failure is blamed on the derivatives only if its finite difference can be trusted: the
    mismatch must be larger than f's rounding can explain, and the same difference with a step
    ten times smaller must agree with it. When neither holds for any of the (up to 3) worst
    failing inputs, `FiniteDifferenceError` says why: the step is below f's rounding (x1 of
    exp(x0) + x1 at x0 = 30, where f = 1e13 is resolved to 0.002 only), or f varies on a
    smaller scale than the step (sin at 1e11 moved by 1e5, a pole within a few steps)."""
    n = len(points)
    failing = sorted((row.rel_error, k) for k, row in enumerate(rows) if row.failed and row.kink is None)
    rounded = [k for _, k in failing if rows[k].abs_error <= _rounding(differences, rows[k].wrt[-1], k // n)]
    failing = [(e, k) for e, k in failing if k not in rounded]
    if rounded and not failing:
        k = rounded[-1]
        raise FiniteDifferenceError(_rounding_message(where, f, rows[k], differences, k // n, atol, rtol))
    checked: set[int] = set()  # the inputs whose failures were re-checked with a finer step
    unreliable = None
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


# A finite difference's rounding error: f (or a lower derivative) is computed to a few units in
# the last place (ulps) of its size, and the difference divides two such errors by the step.
_ULPS = 8


def _rounding(differences, i, j) -> float:
    """How much of the central difference along input i (entry j) may be rounding alone."""
    size = max(abs(differences.plus[i][j]), abs(differences.minus[i][j]))
    return _ULPS * size * 2.0**-52 / (differences.h_plus[i] + differences.h_minus[i])


def _rounding_message(where, f, row, differences, j, atol, rtol) -> str:
    i = row.wrt[-1]
    size = max(abs(differences.plus[i][j]), abs(differences.minus[i][j]))
    what = "f" if len(row.wrt) == 1 else "the lower derivative"
    # The step at which rounding would fall to a tenth of this entry's tolerance.
    wanted = 10 * _ULPS * size * 2.0**-52 / (2 * (atol + rtol * abs(row.analytic)))
    return (
        f"{where}: the step is below f's rounding for {row.name} at {row.input_name} = {row.input_value!r}: "
        f"a step of {row.step:.3g} changes {what} by about {abs(row.analytic) * row.step:.3g}, but {what} = {size:.6g} "
        f"is resolved only to about {size * 2.0**-52:.3g} in float64, so the numeric value {row.numeric:.10g} is "
        f"rounding noise (autograd: {row.analytic:.10g}). Finite differences cannot check this entry here: "
        f"the step would have to be about {wanted:.2g} for rounding to fall below the tolerance. Check "
        f"{row.input_name} at a point where {what} is smaller, or with a larger eps if {what} is smooth on that scale.\nf = {indented(describe(f))}"
    )
