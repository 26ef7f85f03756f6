"""Gradient checking: analytic derivatives against central finite differences, in float64.

`gradcheck` checks first derivatives, `gradgradcheck` second derivatives (the Hessian, built
with `create_graph=True`), `check_grads` every order up to `order`, in forward mode, reverse
mode or both (like `jax.test_util.check_grads`). The k-th derivatives are compared with finite
differences of the analytic (k-1)-th derivatives, so the finite-difference error stays that of
one level, whatever the order (as in PyTorch and JAX).

Beyond a table of mismatches, a failed check says why:
- **the node at fault**: every op of f's graph is checked alone, at the inputs it saw there, and
  the first whose rule disagrees with a finite difference of that op is named (op, node, label,
  inputs), so a wrong rule buried in a long function is found, not only the input of f it spoils;
- **kinks**: a mismatch at a declared kink (relu, abs, leaky_relu, user ops registered with
  `kinks=`) where autograd's value lies between the one-sided slopes is reported as
  "at a kink: autograd took the subgradient g, one-sided slopes a and b", not as a failure;
- **the step**: each input moves by eps * max(1, |x|), so huge inputs (1e11, 1e300) are
  checked meaningfully or rejected clearly, never with a ZeroDivisionError.

`fast=True` checks one random projection instead of every entry (one backward pass and two
evaluations of f), and falls back to the full table when it fails. With `raise_exception=False`
the checkers return a `GradcheckReport`; a `GradcheckError` carries the same report.

Needs nothing but the engine's public API (no hypothesis).

The package follows the check's steps, one module each: `arguments` (validating the checkers'
own arguments), `derivatives` (the analytic side, any order, either mode), `differences` (the
numeric side), `compare` (one order of one mode, row by row), `graphs`, `kinks` and `faults`
(explaining a failure), `fast` (a random projection), `messages` (the table) and `report`
(what is returned or raised); `checkers` holds the public functions, `vjp` the check of a
plain-float function against its hand-written gradient. Only the names below are
public; the modules are the layout, not the API.
"""

from autograd.testing.gradcheck.checkers import check_grads, gradcheck, gradgradcheck, numerical_grad
from autograd.testing.gradcheck.report import (
    DerivativeRow,
    Fault,
    FiniteDifferenceError,
    GradcheckError,
    GradcheckReport,
    Kink,
)
from autograd.testing.gradcheck.vjp import check_vjp

__all__ = [
    "GradcheckError",
    "FiniteDifferenceError",
    "GradcheckReport",
    "DerivativeRow",
    "Kink",
    "Fault",
    "gradcheck",
    "gradgradcheck",
    "check_grads",
    "check_vjp",
    "numerical_grad",
]

# Tracebacks, reprs and the API docs name each public object where users import it from.
for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
