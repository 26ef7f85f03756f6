"""Fast mode: one random projection of the derivatives instead of the full table."""

from __future__ import annotations

# pytest leaves this module's frames out of a failing test's traceback: the failure is the
# report, not the checker's code (`--fulltrace` shows them).
__tracebackhide__ = True

import math

from autograd import grad
from autograd.forward import push_forward
from autograd.testing.gradcheck.derivatives import as_node, call_f, data_of, make_leaves
from autograd.testing.gradcheck.differences import error_sizes
from autograd.testing.gradcheck.report import DerivativeRow, FiniteDifferenceError


def _direction(rng, points):
    """A random unit direction, each coordinate scaled like that input's step (max(1, |x|))."""
    u = [rng.gauss(0.0, 1.0) for _ in points]
    norm = math.sqrt(math.fsum(c * c for c in u)) or 1.0
    return [c / norm * max(1.0, abs(x)) for c, x in zip(u, points)]


def _along(out, leaves, direction, mode, create_graph):
    """The derivative of out along direction: a Value with create_graph, else a float."""
    if mode == "fwd":
        return push_forward(out, leaves, direction, create_graph)
    total = 0.0
    for g, d in zip(grad(out, leaves, create_graph=create_graph, allow_constant=True), direction):
        total = g * d + total
    return total


def fast_level(f, points, names, order, mode, eps, atol, rtol, where, rng) -> DerivativeRow:
    """Compare one projection of the order-th derivatives, D^k f[u_1, ..., u_k], with a central
    difference along u_k of the analytic D^(k-1) f[u_1, ..., u_(k-1)]."""
    directions = [_direction(rng, points) for _ in range(order)]

    def projected(*leaves):  # D^(k-1) f [u_1..u_(k-1)]
        out = call_f(f, leaves, where)
        for d in directions[:-1]:
            out = _along(as_node(out), leaves, d, mode, True)
        return as_node(out)

    last = directions[-1]
    leaves = make_leaves(points, names)
    analytic = _along(projected(*leaves), leaves, last, mode, False)
    analytic = data_of(analytic)
    # f(x + eps u) and f(x - eps u), the step relative to each |x_i| (built into u).
    values = []
    for sign in (1.0, -1.0):
        moved = [x + sign * eps * d for x, d in zip(points, last)]
        if not all(math.isfinite(x) for x in moved):
            raise FiniteDifferenceError(f"{where}: fast mode: a step of eps along a random direction leaves the floats")
        try:
            values.append(data_of(projected(*make_leaves(moved, names))))
        except (ArithmeticError, ValueError, TypeError) as error:
            raise FiniteDifferenceError(
                f"{where}: fast mode: f failed a step of eps={eps!r} from the checked point along a random "
                f"direction ({error}); the point is within a step of the edge of f's domain"
            ) from error
    numeric = (values[0] - values[1]) / (2 * eps)
    abs_error, rel_error = error_sizes(analytic, numeric)
    # The tolerance that the full table's entries would add up to along this direction.
    # The absolute tolerance that the full table's entries would add up to along u; the relative
    # one on the projection itself (a rule 1% off everywhere is 1% off along any u).
    size = math.fsum(abs(d) for d in last)
    failed = not abs_error <= atol * size + rtol * abs(numeric)
    name = "df·u" if order == 1 else f"d{order}f" + "".join(f"·u{k + 1}" for k in range(order))
    return DerivativeRow((), name, "u", 1.0, analytic, numeric, abs_error, rel_error, failed, mode, eps)
