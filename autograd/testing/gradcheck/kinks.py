"""Kinks: a mismatch at a declared kink of an op is explained by the one-sided slopes."""

from __future__ import annotations

# pytest leaves this module's frames out of a failing test's traceback: the failure is the
# report, not the checker's code (`--fulltrace` shows them).
__tracebackhide__ = True

from dataclasses import replace
from typing import Optional

from autograd.testing.domains import domain_of
from autograd.testing.gradcheck.differences import partials_at, step_input
from autograd.testing.gradcheck.graphs import Namer, graph_of
from autograd.testing.gradcheck.report import FiniteDifferenceError, Kink


def _kink_quantities(nodes) -> list:
    """[(node, kink quantities)] for the nodes whose op declares kinks."""
    found = []
    for node in nodes:
        if node.op_entry is None:
            continue
        domain = domain_of(node.op_entry)
        if domain.kinks is None:
            continue
        try:
            quantities = [float(q) for q in domain.kinks(*[p.data for p in node.parents])]
        except (ArithmeticError, ValueError, TypeError):
            continue
        found.append((node, quantities))
    return found


def _kink_along(f, points, names, i, step, center) -> Optional[tuple]:
    """The first kink node of f that input i crosses (or sits on) within x_i +- step:
    (op name, node description), or None. The graphs at x +- step must have the same shape."""
    leaves, out, nodes = center
    at_center = _kink_quantities(nodes)
    if not at_center:
        return None
    namer = Namer(leaves, nodes)
    sides: list[Optional[list]] = []  # per side: its kink quantities, None where the graph differs
    for s in (step, -step):
        moved = list(points)
        moved[i] += s
        graph = graph_of(f, moved, names)
        if graph is None or len(graph[2]) != len(nodes):
            sides.append(None)
        else:
            sides.append(_kink_quantities(graph[2]))
    usable = [side for side in sides if side is not None and len(side) == len(at_center)]
    for position, (node, quantities) in enumerate(at_center):
        # Along input i the kink is crossed (or touched) when the sign of one of its quantities
        # is not the same at x - h, x and x + h (0 counting as a sign of its own).
        for q, index in zip(quantities, range(len(quantities))):
            signs = {_sign(q)} | {_sign(side[position][1][index]) for side in usable}
            if len(signs) > 1 or (not usable and q == 0.0):
                return node.op_entry.name, namer.describe(node)
    return None


def _sign(q: float) -> int:
    return (q > 0) - (q < 0)


def explain_kinks(f, points, names, order, rows, differences, atol, rtol, where, mode) -> list:
    """Failing rows at a declared kink whose analytic value lies between the one-sided slopes
    become passing rows with a `Kink`; outside the slopes they stay failures, with the `Kink`.

    One policy for every kinked op and every order: the one-sided slopes are taken on each side
    of the kink, away from it ((P(x - h) - P(x - 2h)) / h and (P(x + 2h) - P(x + h)) / h for the
    order-(k-1) derivatives P), so the value an op's rule gives exactly at the kink (abs's
    sign(0) = 0, relu's 0) never enters them. At order 1 they are relu's 0 and 1, abs's -1 and 1;
    at order 2 both sides of every piecewise-linear op are flat (0 and 0)."""
    center_graph = graph_of(f, points, names)
    if center_graph is None:
        return rows
    n = len(points)
    kink_of, slopes = {}, {}
    explained = []
    for k, row in enumerate(rows):
        i = row.wrt[-1]
        if row.failed and i not in kink_of:
            kink_of[i] = _kink_along(f, points, names, i, differences.steps[i], center_graph)
        if not row.failed or kink_of[i] is None:
            explained.append(row)
            continue
        if i not in slopes:
            slopes[i] = _one_sided_slopes(f, points, names, order, differences, i, where, mode)
        left, right = slopes[i][k // n]
        low, high = min(left, right), max(left, right)
        slack = atol + rtol * max(abs(left), abs(right))
        within = low - slack <= row.analytic <= high + slack
        found = kink_of[i]
        assert found is not None  # a row with no kink was passed on above
        op, node = found
        kink = Kink(op, node, row.analytic, left, right, within)
        explained.append(replace(row, failed=not within, kink=kink))
    return explained


def _one_sided_slopes(f, points, names, order, differences, i, where, mode) -> list:
    """[(left, right)] per order-(k-1) partial: slopes along input i between x -+ h and x -+ 2h.
    Near a domain edge (x -+ 2h outside it) the slopes through the center x are used instead."""
    step = differences.steps[i]
    try:
        far_up, far_hp = step_input(points, names, i, 2 * step, where)
        far_down, far_hm = step_input(points, names, i, -2 * step, where)
        far_plus = partials_at(f, far_up, names, order - 1, where, i, 2 * step, points, mode)
        far_minus = partials_at(f, far_down, names, order - 1, where, i, -2 * step, points, mode)
    except FiniteDifferenceError:
        center = partials_at(f, points, names, order - 1, where, None, 0.0, points, mode)
        return [
            (
                (center[j] - differences.minus[i][j]) / differences.h_minus[i],
                (differences.plus[i][j] - center[j]) / differences.h_plus[i],
            )
            for j in range(len(center))
        ]
    plus, minus = differences.plus[i], differences.minus[i]
    return [
        (
            (minus[j] - far_minus[j]) / (-far_hm - differences.h_minus[i]),
            (far_plus[j] - plus[j]) / (far_hp - differences.h_plus[i]),
        )
        for j in range(len(plus))
    ]
