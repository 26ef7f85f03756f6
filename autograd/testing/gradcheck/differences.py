"""The numeric side: central finite differences of the analytic (k-1)-th derivatives, with steps
relative to |x| and errors that say when a point is too close to the edge of f's domain."""

from __future__ import annotations

# pytest leaves this module's frames out of a failing test's traceback: the failure is the
# report, not the checker's code (`--fulltrace` shows them).
__tracebackhide__ = True

import math
import numbers
from dataclasses import dataclass

from autograd import Value
from autograd.testing.gradcheck.derivatives import data_of, make_leaves, partials
from autograd.testing.gradcheck.messages import describe, indented
from autograd.testing.gradcheck.report import FiniteDifferenceError


def partials_at(f, points, names, order, where, perturbed, step, center, mode="rev"):
    """Float values of all order-th partials at a perturbed point; domain trouble is explained."""
    leaves = make_leaves(points, names)
    try:
        if order == 0:
            # Not under no_grad: f may itself differentiate (a gradient built by hand with
            # create_graph=True), which needs its graph recorded.
            out = f(*leaves)
            if not isinstance(out, (Value, numbers.Real)) or isinstance(out, bool):
                raise TypeError(f"{where}: f must return a Value, got {type(out).__name__}: {out!r}")
            values = [data_of(out)]
        else:
            values = [data_of(g) for _, g in partials(f, leaves, order, where, keep_graph_last=False, mode=mode)]
    except (ArithmeticError, ValueError, TypeError) as error:
        if perturbed is None:
            raise
        # f ran at the checked point, so failing a step away means a domain edge (a user op's
        # forward may even return a complex number there, a TypeError).
        raise FiniteDifferenceError(_edge_message(where, f, order, names, center, perturbed, step, error)) from error
    if perturbed is not None and not all(math.isfinite(v) for v in values):
        raise FiniteDifferenceError(
            _edge_message(where, f, order, names, center, perturbed, step, "the result is not finite")
        )
    return values


def _edge_message(where, f, order, names, points, perturbed, step, reason) -> str:
    what = "f" if order == 0 else f"the order-{order} derivatives of f"
    at = ", ".join(f"{n}={x!r}" for n, x in zip(names, points))
    sign = "+" if step > 0 else "-"
    moved = points[perturbed] + step
    return (
        f"{where}: {what} failed at {names[perturbed]} {sign} eps = {moved!r}, "
        f"checking the point {at}: {reason}. "
        f"The checked point is within a step of {abs(step)!r} (eps * max(1, |x|)) of the edge of f's "
        "domain (or f overflows there), so finite differences cannot check it: move the point or "
        "pass a smaller eps.\n"
        f"f = {indented(describe(f))}"
    )


def step_size(x: float, eps: float) -> float:
    """The step for input x: relative to |x| beyond 1, so it is never lost to rounding."""
    return eps * max(1.0, abs(x))


def step_input(points, names, i, step, where):
    """points with input i moved by step, and the step actually taken (x + h is rounded)."""
    moved = list(points)
    moved[i] = points[i] + step
    if not math.isfinite(moved[i]):
        raise FiniteDifferenceError(
            f"{where}: moving {names[i]} = {points[i]!r} by a step of {step!r} (eps * max(1, |x|)) "
            f"gives {moved[i]!r}, outside the floats: the point is too close to the largest float "
            "for central differences; check f at a smaller point or pass a smaller eps."
        )
    if moved[i] == points[i]:
        raise FiniteDifferenceError(
            f"{where}: a step of {step!r} is lost to rounding at {names[i]} = {points[i]!r} "
            f"({names[i]} + step == {names[i]} in float64): pass a larger eps (at least about 1e-15)."
        )
    return moved, moved[i] - points[i]


@dataclass
class Differences:
    """Central differences of the order-(k-1) partials P along each input i, with what the
    one-sided slopes need: P at x + h_i (plus) and x - h_i (minus), and the steps taken."""

    numeric: list  # numeric[k][i]
    plus: list  # plus[i][k]
    minus: list
    h_plus: list  # h_plus[i] > 0
    h_minus: list  # h_minus[i] > 0
    steps: list  # nominal step per input


def numeric_level(f, points, names, order, eps, where, mode="rev") -> Differences:
    """Central differences, along each input i, of the analytic (order-1)-th partials."""
    plus, minus, h_plus, h_minus, steps = [], [], [], [], []
    for i in range(len(points)):
        step = step_size(points[i], eps)
        up, hp = step_input(points, names, i, step, where)
        down, hm = step_input(points, names, i, -step, where)
        plus.append(partials_at(f, up, names, order - 1, where, i, step, points, mode))
        minus.append(partials_at(f, down, names, order - 1, where, i, -step, points, mode))
        h_plus.append(hp)
        h_minus.append(-hm)
        steps.append(step)
    count = len(plus[0])
    numeric = [
        [(plus[i][k] - minus[i][k]) / (h_plus[i] + h_minus[i]) for i in range(len(points))] for k in range(count)
    ]
    return Differences(numeric, plus, minus, h_plus, h_minus, steps)


def error_sizes(analytic, numeric):
    abs_error = abs(analytic - numeric)
    if math.isnan(abs_error):
        abs_error = math.inf
    rel_error = abs_error / abs(numeric) if numeric != 0 else (0.0 if abs_error == 0 else math.inf)
    return abs_error, rel_error
