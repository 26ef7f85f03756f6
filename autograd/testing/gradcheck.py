"""Gradient checking: analytic derivatives against central finite differences, in float64.

`gradcheck` checks first derivatives, `gradgradcheck` second derivatives (the Hessian, built
with `create_graph=True`), `check_grads` every order up to `order`. The k-th derivatives are
compared with finite differences of the analytic (k-1)-th derivatives, so the finite-difference
error stays that of one level, whatever the order (as in PyTorch and JAX).

Needs nothing but the engine's public API (no hypothesis).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Callable, Sequence

from autograd.engine import grad
from autograd.ops import Op
from autograd.value import Value

__all__ = [
    "GradcheckError",
    "FiniteDifferenceError",
    "gradcheck",
    "gradgradcheck",
    "check_grads",
    "numerical_grad",
]


class GradcheckError(AssertionError):
    """Analytic and numerical derivatives disagree; the message is a table of every entry.

    Attributes: `order` (1 for gradients, 2 for Hessians, ...), `rows` (one `DerivativeRow`
    per compared entry) and `failures` (the rows that failed).
    """

    def __init__(self, message: str, order: int, rows: list):
        super().__init__(message)
        self.order = order
        self.rows = rows
        self.failures = [row for row in rows if row.failed]


class FiniteDifferenceError(ValueError):
    """f (or a lower derivative of f) raised or was not finite at a point x +- eps.

    The point is closer than eps to the edge of f's domain, or f overflows there: finite
    differences cannot check it. Move the point, or pass a smaller eps.
    """


@dataclass(frozen=True)
class DerivativeRow:
    """One compared entry: d^order f / d(wrt...) at the checked point."""

    wrt: tuple  # input indices, outermost derivative last
    name: str  # e.g. "d2f/dx0 dx1"
    input_name: str  # the input perturbed for the numeric value
    input_value: float
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    failed: bool


# -- argument checking ------------------------------------------------------------------------


def _check_arguments(f, inputs, eps, atol, rtol, where: str):
    if not callable(f):
        raise TypeError(f"{where}: f must be callable, got {type(f).__name__}: {f!r}")
    for name, number, allow_zero in (("eps", eps, False), ("atol", atol, True), ("rtol", rtol, True)):
        if isinstance(number, bool) or not isinstance(number, numbers.Real):
            raise TypeError(f"{where}: {name} must be a real number, got {type(number).__name__}: {number!r}")
        if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
            bound = ">= 0" if allow_zero else "> 0"
            raise ValueError(f"{where}: {name} must be finite and {bound}, got {number!r}")
    if isinstance(inputs, (Value, numbers.Real)) and not isinstance(inputs, bool):
        inputs = [inputs]
    elif isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__iter__"):
        raise TypeError(f"{where}: inputs must be a sequence of numbers or Values, got {type(inputs).__name__}: {inputs!r}")
    points, names = [], []
    for i, x in enumerate(inputs):
        if isinstance(x, Value):
            data, name = x.data, x.label or f"x{i}"
        elif isinstance(x, numbers.Real) and not isinstance(x, bool):
            data, name = float(x), f"x{i}"
        else:
            raise TypeError(f"{where}: inputs[{i}] must be a number or a Value, got {type(x).__name__}: {x!r}")
        if not math.isfinite(data):
            raise ValueError(f"{where}: inputs[{i}] must be finite, got {data!r}")
        points.append(data)
        names.append(name)
    if not points:
        raise ValueError(f"{where}: inputs is empty; there is nothing to differentiate")
    return points, names


def _describe(f) -> str:
    """How to name f in a message: a function by its qualified name, an op by its op name, a
    Program (or other callable) by its repr, which for a Program is its source."""
    if isinstance(f, Op):
        return f"op {f.name!r}"
    name = getattr(f, "__qualname__", None)
    return name if isinstance(name, str) else repr(f)


# -- derivatives of every order ---------------------------------------------------------------


def _leaves(points, names):
    return [Value(x, label=name) for x, name in zip(points, names)]


def _call(f, leaves, where):
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(
            f"{where}: f must return a Value computed from its inputs, got {type(out).__name__}: {out!r}"
            " (a float carries no graph to differentiate)"
        )
    return out


def _partials(f, leaves, order: int, where: str, keep_graph_last: bool = True) -> list:
    """[(index tuple, d^order f / dx_index)] for every index tuple; Values (or floats when
    `keep_graph_last` is False, which differentiates the last level on the float path)."""
    level = [((), _call(f, leaves, where))]
    for depth in range(order):
        create_graph = keep_graph_last or depth < order - 1
        level = [
            (wrt + (i,), g)
            for wrt, out in level
            for i, g in enumerate(grad(out, leaves, create_graph=create_graph, allow_constant=True))
        ]
    return level


def _data(x) -> float:
    return x.data if isinstance(x, Value) else float(x)


def _partials_at(f, points, names, order, where, perturbed, step, center):
    """Float values of all order-th partials at a perturbed point; domain trouble is explained."""
    leaves = _leaves(points, names)
    try:
        if order == 0:
            # Not under no_grad: f may itself differentiate (a gradient built by hand with
            # create_graph=True), which needs its graph recorded.
            out = f(*leaves)
            if not isinstance(out, (Value, numbers.Real)) or isinstance(out, bool):
                raise TypeError(f"{where}: f must return a Value, got {type(out).__name__}: {out!r}")
            values = [_data(out)]
        else:
            values = [_data(g) for _, g in _partials(f, leaves, order, where, keep_graph_last=False)]
    except (ArithmeticError, ValueError, TypeError) as error:
        # f ran at the checked point, so failing a step away means a domain edge (a user op's
        # forward may even return a complex number there, a TypeError).
        raise FiniteDifferenceError(_edge_message(where, f, order, names, center, perturbed, step, error)) from error
    if not all(math.isfinite(v) for v in values):
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
        f"The checked point is within eps={abs(step)!r} of the edge of f's domain (or f overflows "
        "there), so finite differences cannot check it: move the point or pass a smaller eps.\n"
        f"f = {_indented(_describe(f))}"
    )


def _indented(text: str) -> str:
    return text.replace("\n", "\n    ")


def _numeric_level(f, points, names, order, eps, where):
    """Central differences, along each input, of the analytic (order-1)-th partials.
    Returns numeric[k][i]: the k-th lower partial differentiated along input i."""
    columns = []
    for i in range(len(points)):
        up, down = list(points), list(points)
        up[i] += eps
        down[i] -= eps
        # The actual step taken in float64 (x + eps is rounded), as PyTorch does not but should.
        h = up[i] - down[i]
        plus = _partials_at(f, up, names, order - 1, where, i, eps, points)
        minus = _partials_at(f, down, names, order - 1, where, i, -eps, points)
        columns.append([(p - m) / h for p, m in zip(plus, minus)])
    return [[columns[i][k] for i in range(len(points))] for k in range(len(columns[0]))]


def _derivative_name(wrt, names) -> str:
    order = len(wrt)
    top = "df" if order == 1 else f"d{order}f"
    return f"{top}/" + " ".join(f"d{names[i]}" for i in wrt)


def _compare_level(f, points, names, order, eps, atol, rtol, where) -> list:
    leaves = _leaves(points, names)
    analytic = [(wrt, _data(g)) for wrt, g in _partials(f, leaves, order, where, keep_graph_last=False)]
    numeric = _numeric_level(f, points, names, order, eps, where)
    n = len(points)
    rows = []
    for k, (wrt, a) in enumerate(analytic):
        i = wrt[-1]
        num = numeric[k // n][i]
        abs_error = abs(a - num)
        if math.isnan(abs_error):
            abs_error = math.inf
        rel_error = abs_error / abs(num) if num != 0 else (0.0 if abs_error == 0 else math.inf)
        failed = not abs_error <= atol + rtol * abs(num)  # like numpy.allclose(a, num)
        rows.append(DerivativeRow(wrt, _derivative_name(wrt, names), names[i], points[i], a, num, abs_error, rel_error, failed))
    return rows


def _table(rows) -> str:
    header = ("", "derivative", "input", "value", "analytic", "numeric", "abs error", "rel error")
    body = [
        ("FAIL" if r.failed else "", r.name, r.input_name, f"{r.input_value:.6g}", f"{r.analytic:.10g}",
         f"{r.numeric:.10g}", f"{r.abs_error:.3g}", f"{r.rel_error:.3g}")
        for r in rows
    ]
    widths = [max(len(line[c]) for line in [header] + body) for c in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in [header] + body)


def _run(f, inputs, orders, eps, atol, rtol, raise_exception, where) -> bool:
    points, names = _check_arguments(f, inputs, eps, atol, rtol, where)
    for order in orders:
        rows = _compare_level(f, points, names, order, eps, atol, rtol, where)
        failures = sum(r.failed for r in rows)
        if failures:
            if not raise_exception:
                return False
            kind = {1: "first derivatives", 2: "second derivatives"}.get(order, f"order-{order} derivatives")
            message = (
                f"{where}: {failures} of {len(rows)} {kind} differ from central finite differences\n"
                f"(eps={eps!r}, atol={atol!r}, rtol={rtol!r}; an entry fails when "
                f"|analytic - numeric| > atol + rtol * |numeric|)\n"
                f"f = {_indented(_describe(f))}\n{_table(rows)}"
            )
            raise GradcheckError(message, order, rows)
    return True


# -- public API -------------------------------------------------------------------------------


def gradcheck(f: Callable, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True) -> bool:
    """Check `autograd.grad` of `f` at `inputs` against central finite differences.

    `f(*values)` takes one Value per input and returns a Value; `inputs` is a sequence of
    numbers or Values (only their data is used; their `.grad` is never touched). Each partial
    derivative is compared with (f(x + eps) - f(x - eps)) / 2eps in float64, and passes when
    |analytic - numeric| <= atol + rtol * |numeric| (PyTorch's defaults). Returns True; on a
    mismatch raises `GradcheckError` with a table of all entries, failures marked, or returns
    False when `raise_exception=False`. If f fails at x +- eps (a domain edge within eps)
    `FiniteDifferenceError` says so.

    >>> from autograd.testing import gradcheck
    >>> gradcheck(lambda x, y: (x * y).tanh() + y.exp(), [0.5, -1.2])
    True
    >>> from autograd import define_op
    >>> bad = define_op("doctest_bad_square", lambda x: x * x, [lambda g, out, x: g * x])  # should be 2x
    >>> gradcheck(bad, [3.0], raise_exception=False)
    False
    >>> gradcheck(bad, [3.0])
    Traceback (most recent call last):
    ...
    autograd.testing.gradcheck.GradcheckError: gradcheck: 1 of 1 first derivatives differ from central finite differences
    (eps=1e-06, atol=1e-05, rtol=0.001; an entry fails when |analytic - numeric| > atol + rtol * |numeric|)
    f = op 'doctest_bad_square'
          derivative  input  value  analytic  numeric  abs error  rel error
    FAIL  df/dx0      x0     3      3         6        3          0.5
    """
    return _run(f, inputs, (1,), eps, atol, rtol, raise_exception, "gradcheck")


def gradgradcheck(f: Callable, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True) -> bool:
    """Check the second derivatives of `f` (the Hessian of the gradient built with
    `create_graph=True`) against central finite differences of the analytic gradient.

    Same arguments, tolerances and errors as `gradcheck`; every entry d2f/dx_i dx_j is
    checked (n * n entries for n inputs).

    >>> from autograd.testing import gradgradcheck
    >>> gradgradcheck(lambda x, y: x * y.sin() + (x * x).log(), [1.5, 0.3])
    True
    """
    return _run(f, inputs, (2,), eps, atol, rtol, raise_exception, "gradgradcheck")


def check_grads(f: Callable, inputs, order: int = 2, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True) -> bool:
    """Check every derivative of `f` of order 1, 2, ..., `order` (like `jax.test_util.check_grads`).

    Each order k is built by differentiating the order k-1 derivatives with `create_graph=True`
    and compared with central differences of the analytic order k-1 derivatives, so the
    tolerances mean the same at every order. The first failing order raises `GradcheckError`.
    There are n**k entries of order k for n inputs.

    >>> from autograd.testing import check_grads
    >>> check_grads(lambda x: x.sigmoid() * x.cos(), [0.7], order=4)
    True
    """
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"check_grads: order must be an int >= 1, got {order!r}")
    return _run(f, inputs, range(1, order + 1), eps, atol, rtol, raise_exception, "check_grads")


def numerical_grad(f: Callable, inputs, *, eps=1e-6) -> list:
    """Central finite differences of `f` at `inputs`, one float per input (float64).

    >>> from autograd.testing import numerical_grad
    >>> [round(d, 6) for d in numerical_grad(lambda x, y: x * x * y, [3.0, 2.0])]
    [12.0, 9.0]
    """
    points, names = _check_arguments(f, inputs, eps, 0.0, 0.0, "numerical_grad")
    [row] = _numeric_level(f, points, names, 1, eps, "numerical_grad")
    return row
