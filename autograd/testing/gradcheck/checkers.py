"""The public checkers: gradcheck, gradgradcheck, check_grads, numerical_grad."""

from __future__ import annotations

# pytest leaves this module's frames out of a failing test's traceback: the failure is the
# report, not the checker's code (`--fulltrace` shows them).
__tracebackhide__ = True

import random
from typing import Callable

from autograd.testing.gradcheck.arguments import (
    check_arguments,
    check_directions,
    check_flag,
    check_modes,
    check_order,
    check_seed,
)
from autograd.testing.gradcheck.compare import compare_level
from autograd.testing.gradcheck.differences import numeric_level
from autograd.testing.gradcheck.fast import fast_level
from autograd.testing.gradcheck.faults import find_faults, upstream_faults
from autograd.testing.gradcheck.messages import failure_message, passed_message, upstream_message
from autograd.testing.gradcheck.report import GradcheckError, GradcheckReport


def run_checks(
    f, inputs, orders, eps, atol, rtol, raise_exception, where, modes=("rev",), fast=False, seed=None, directions=1
):
    """Every order in `orders`, each in every mode of `modes`; the first failing level stops it.
    Then the rule contract (linear in the upstream gradient) of every node of f's graph."""
    points, names = check_arguments(f, inputs, eps, atol, rtol, where)
    check_flag("raise_exception", raise_exception, where)
    check_flag("fast", fast, where)
    check_seed(seed, where)
    check_directions(directions, fast, where)
    rng = random.Random(0 if seed is None else seed)
    show_mode = modes != ("rev",)
    all_rows, levels = [], []
    for order in orders:
        for mode in modes:
            rows, fast_row = (
                _fast_rows(f, points, names, order, mode, eps, atol, rtol, where, rng, directions)
                if fast
                else ([], None)
            )
            if not rows:
                rows = compare_level(f, points, names, order, eps, atol, rtol, where, mode)
            all_rows += rows
            levels.append((order, mode, rows))
            if any(row.failed for row in rows):
                faults, checked = find_faults(f, points, names, order, mode, eps, atol, rtol, where)
                message = failure_message(
                    where, f, rows, order, mode, show_mode, eps, atol, rtol, faults, checked, fast_row
                )
                return _failed(message, order, mode, rows, all_rows, faults, where, raise_exception)
    faults = upstream_faults(f, points, names)
    if faults:
        message = upstream_message(where, f, levels, eps, atol, rtol, show_mode, faults)
        return _failed(message, 1, "rev", [], all_rows, faults, where, raise_exception)
    report = GradcheckReport(
        True, all_rows, passed_message(where, levels, eps, atol, rtol, show_mode), orders[-1], modes[-1], (), where
    )
    return True if raise_exception else report


def _fast_rows(f, points, names, order, mode, eps, atol, rtol, where, rng, directions) -> tuple:
    """([row per direction], None) when every projection passes, else ([], the failing row)."""
    rows = []
    for _ in range(directions):
        row = fast_level(f, points, names, order, mode, eps, atol, rtol, where, rng)
        if row.failed:
            return [], row
        rows.append(row)
    return rows, None


def _failed(message, order, mode, rows, all_rows, faults, where, raise_exception):
    report = GradcheckReport(False, all_rows, message, order, mode, faults, where)
    if raise_exception:
        raise GradcheckError(message, order, rows, report)
    return report


# -- public API -------------------------------------------------------------------------------


def gradcheck(
    f: Callable,
    inputs,
    *,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    raise_exception=True,
    fast=False,
    seed=None,
    directions=1,
):
    """Check `autograd.grad` of `f` at `inputs` against central finite differences.

    `f(*values)` takes one Value per input and returns a Value; `inputs` is a sequence of
    numbers or Values (only their data is used; their `.grad` is never touched). Each partial
    derivative is compared with (f(x + h) - f(x - h)) / 2h in float64, with h = eps * max(1, |x|),
    and passes when |analytic - numeric| <= atol + rtol * |numeric| (PyTorch's defaults).

    Returns True; on a mismatch raises `GradcheckError` with a table of all entries, failures
    marked, and the node at fault (the op whose own rule disagrees with a finite difference of
    that op alone) when there is one. With `raise_exception=False` it returns a
    `GradcheckReport` instead (truthy when the check passed, printed as the table). A mismatch
    at a declared kink (relu, abs, leaky_relu at 0) that lies between the one-sided slopes is
    marked "kink" and explained, not failed. If f fails at x +- h (a domain edge within a
    step) `FiniteDifferenceError` says so.

    `fast=True` compares one random projection, the gradient along a random direction u, with
    (f(x + eps u) - f(x - eps u)) / 2eps: one backward pass and two evaluations of f however many
    inputs (PyTorch's fast mode). When it fails, the full table is computed to explain it.
    `seed` picks the direction (default: a fixed one, so a run is reproducible). Fast mode can
    miss an error, as PyTorch's docs warn: a 1% error in one input's derivative is diluted when
    another input's derivative dominates the projection (see the gradient-checks guide for the
    measured rate). `directions=k` checks k independent random projections (each must pass:
    k + 1 backward passes and 2k evaluations of f); `fast=False`, the default, checks every entry.

    Every check also calls each rule of f's graph with two upstream gradients (1 and -2): a rule
    must be linear in `grad`, or it is named as ignoring it, even when f's own derivatives agree
    (they do where the op is f's output). A step below f's rounding (an input whose effect on
    f = 1e13 is 1e-6) raises `FiniteDifferenceError`, never blames an op.

    >>> from autograd.testing import gradcheck
    >>> gradcheck(lambda x, y: (x * y).tanh() + y.exp(), [0.5, -1.2])
    True
    >>> from autograd import define_op
    >>> bad = define_op("doctest_bad_square", lambda x: x * x, [lambda grad, out, x: grad * x])  # should be 2x
    >>> bool(gradcheck(bad, [3.0], raise_exception=False))
    False
    >>> gradcheck(bad, [3.0])
    Traceback (most recent call last):
    ...
    autograd.testing.gradcheck.GradcheckError: gradcheck: 1 of 1 first derivatives differ from central finite differences
    (eps=1e-06, atol=1e-05, rtol=0.001; an entry fails when |analytic - numeric| > atol + rtol * |numeric|)
    f = op 'doctest_bad_square'
    node at fault: v1 = doctest_bad_square(x0=3), node 1 of 1 in f's graph: the rule of 'doctest_bad_square' for input 0 (x0 = 3.0) gives dv1/dx0 = 3, but a central difference of doctest_bad_square alone at the inputs it saw (3.0,) gives 6 (abs error 3, rel error 0.5, reverse mode)
          derivative  input  value  analytic  numeric  abs error  rel error
    FAIL  df/dx0      x0     3      3         6        3          0.5
    >>> gradcheck(lambda x: x.relu() * 2, [0.0], raise_exception=False).kinks[0].kink.left
    0.0
    >>> import autograd
    >>> gradcheck(lambda *xs: autograd.sum([x.tanh() for x in xs]), [0.01 * k for k in range(1000)], fast=True)
    True
    """
    return run_checks(
        f, inputs, (1,), eps, atol, rtol, raise_exception, "gradcheck", fast=fast, seed=seed, directions=directions
    )


def gradgradcheck(
    f: Callable,
    inputs,
    *,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    raise_exception=True,
    fast=False,
    seed=None,
    directions=1,
):
    """Check the second derivatives of `f` (the Hessian of the gradient built with
    `create_graph=True`) against central finite differences of the analytic gradient.

    Same arguments, tolerances, errors and report as `gradcheck`; every entry d2f/dx_i dx_j is
    checked (n * n entries for n inputs), or with `fast=True` one projection vᵀHu.

    >>> from autograd.testing import gradgradcheck
    >>> gradgradcheck(lambda x, y: x * y.sin() + (x * x).log(), [1.5, 0.3])
    True
    """
    return run_checks(
        f, inputs, (2,), eps, atol, rtol, raise_exception, "gradgradcheck", fast=fast, seed=seed, directions=directions
    )


def check_grads(
    f: Callable,
    inputs,
    order: int = 2,
    modes=("fwd", "rev"),
    *,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    raise_exception=True,
    fast=False,
    seed=None,
    directions=1,
):
    """Check every derivative of `f` of order 1, 2, ..., `order`, in forward mode (`autograd.jvp`)
    and/or reverse mode (`autograd.grad`), like `jax.test_util.check_grads`.

    Each order k is built by differentiating the order k-1 derivatives (with `create_graph=True`;
    in forward mode, forward over forward) and compared with central differences of the analytic
    order k-1 derivatives of the same mode, so the tolerances mean the same at every order, and
    forward mode, reverse mode and finite differences must all agree. The first failing order
    raises `GradcheckError` (the message says which mode). There are n**k entries of order k
    for n inputs (or one projection each with `fast=True`).

    `order` must be an int >= 1 (TypeError for another type, ValueError for a smaller value);
    `modes` a sequence of "fwd" and "rev" (TypeError for a bare string, ValueError for another
    name). The other arguments are `gradcheck`'s.

    >>> from autograd.testing import check_grads
    >>> check_grads(lambda x: x.sigmoid() * x.cos(), [0.7], order=4)
    True
    >>> check_grads(lambda x, y: x * y.exp(), [0.5, 0.2], order=2, modes=("fwd",))
    True
    """
    order = check_order(order, "check_grads")
    modes = check_modes(modes, "check_grads")
    return run_checks(
        f,
        inputs,
        tuple(range(1, order + 1)),
        eps,
        atol,
        rtol,
        raise_exception,
        "check_grads",
        modes,
        fast,
        seed,
        directions,
    )


def numerical_grad(f: Callable, inputs, *, eps=1e-6) -> list:
    """Central finite differences of `f` at `inputs`, one float per input (float64).

    Input x moves by h = eps * max(1, |x|), so the step is never lost to rounding at large |x|.

    >>> from autograd.testing import numerical_grad
    >>> [round(d, 6) for d in numerical_grad(lambda x, y: x * x * y, [3.0, 2.0])]
    [12.0, 9.0]
    >>> round(numerical_grad(lambda x: x * x, [1e11])[0] / 2e11, 9)
    1.0
    """
    points, names = check_arguments(f, inputs, eps, 0.0, 0.0, "numerical_grad")
    differences = numeric_level(f, points, names, 1, eps, "numerical_grad")
    return differences.numeric[0]
