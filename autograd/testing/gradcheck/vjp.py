"""`check_vjp`: a plain-float function against its hand-written gradient (and Hessian), with
gradcheck's table, kinks, node-at-fault report and errors, and no op added to the global table.

f and its derivatives become a private op (an `Op` that is never registered in `OPS`): f is its
forward, grad_f gives its rules, hessian (when given) the rules of each gradient component, so
`gradcheck` and `gradgradcheck` check them as they check any op.
"""

from __future__ import annotations

# pytest leaves this module's frames out of a failing test's traceback: the failure is the
# report, not the checker's code (`--fulltrace` shows them).
__tracebackhide__ = True

import numbers
from typing import Callable, Optional

from autograd import OPS, Op, apply
from autograd.opdomain import OpDomain
from autograd.testing.domains import DOMAINS
from autograd.testing.gradcheck.arguments import check_arguments
from autograd.testing.gradcheck.checkers import run_checks


def check_vjp(
    f: Callable,
    grad_f: Callable,
    inputs,
    *,
    hessian: Optional[Callable] = None,
    kinks: Optional[Callable] = None,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    raise_exception=True,
):
    """Check `grad_f`, a hand-written gradient of the plain-float function `f`, against central
    finite differences of `f` at `inputs` (like `jax.test_util.check_vjp`, for scalar functions).

    `f(*floats)` returns a float; `grad_f(*floats)` returns one float per input (a float alone
    for one input); `hessian(*floats)`, if given, the n x n second derivatives, checked against
    finite differences of `grad_f` (second order). `kinks(*floats)` returns the quantities that
    are 0 where f is not differentiable, as for `register_domain`: a mismatch there is explained
    by the one-sided slopes. Same tolerances, table, `GradcheckReport`, `GradcheckError` and
    `FiniteDifferenceError` as `gradcheck`; nothing is registered in the op table.

    >>> import math
    >>> from autograd.testing import check_vjp
    >>> def logaddexp(x, y):
    ...     m = max(x, y)
    ...     return m + math.log(math.exp(x - m) + math.exp(y - m))
    >>> def grad_logaddexp(x, y):
    ...     p = 1 / (1 + math.exp(y - x))  # softmax weight of x
    ...     return [p, 1 - p]
    >>> check_vjp(logaddexp, grad_logaddexp, [0.5, 2.0])
    True
    >>> def hessian_logaddexp(x, y):
    ...     p = 1 / (1 + math.exp(y - x))
    ...     return [[p * (1 - p), -p * (1 - p)], [-p * (1 - p), p * (1 - p)]]
    >>> check_vjp(logaddexp, grad_logaddexp, [0.5, 2.0], hessian=hessian_logaddexp)
    True
    >>> report = check_vjp(logaddexp, lambda x, y: [1.0, 0.0], [0.5, 2.0], raise_exception=False)
    >>> report.passed, report.fault.op, report.fault.input_index
    (False, 'logaddexp', 0)
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not the checker's frames
    where = "check_vjp"
    for name, function in (("f", f), ("grad_f", grad_f)):
        if not callable(function):
            raise TypeError(f"{where}: {name} must be callable, got {type(function).__name__}: {function!r}")
    for name, optional in (("hessian", hessian), ("kinks", kinks)):
        if optional is not None and not callable(optional):
            raise TypeError(f"{where}: {name} must be callable or None, got {type(optional).__name__}: {optional!r}")
    points, _ = check_arguments(f, inputs, eps, atol, rtol, where)
    op = _private_op(f, grad_f, hessian, kinks, len(points))

    def through_the_op(*values):
        return apply(op, *values)

    through_the_op.__qualname__ = op.name
    orders = (1, 2) if hessian is not None else (1,)
    return run_checks(through_the_op, inputs, orders, eps, atol, rtol, raise_exception, where)


def _name(f) -> str:
    name = getattr(f, "__name__", None)
    name = name if isinstance(name, str) and name.isidentifier() else "f"
    # A registered name would lend the check that op's domain and kinks: keep clear of them.
    while name in OPS or name in DOMAINS:
        name += "_"
    return name


def _private_op(f, grad_f, hessian, kinks, n) -> Op:
    """f as an op with n inputs whose rules are grad_f's components (themselves ops whose rules
    are the Hessian's rows when it is given), never registered in the op table."""
    name = _name(f)
    gradient = _components(grad_f, name, "grad_f", n)
    component_ops = [
        Op(f"{name}'[{i}]", _component_forward(gradient, i), _hessian_rules(hessian, name, n, i), symbol=f"{name}'")
        if hessian is not None
        else None
        for i in range(n)
    ]

    def rule(i):
        if component_ops[i] is not None:
            return lambda grad, out, *xs: grad * apply(component_ops[i], *xs)
        return lambda grad, out, *xs: grad * gradient(*[_number(x) for x in xs])[i]

    return Op(
        name,
        _float_forward(f, name),
        tuple(rule(i) for i in range(n)),
        symbol=name,
        test_domain=OpDomain(kinks=kinks, description="check_vjp's function") if kinks else None,
    )


def _number(x) -> float:
    # Without a Hessian the gradient is a plain float: it cannot be differentiated again.
    return x.data if hasattr(x, "data") else x


def _float_forward(f, name):
    def forward(*xs):
        out = f(*xs)
        if isinstance(out, bool) or not isinstance(out, numbers.Real):
            raise TypeError(f"check_vjp: f ({name}) must return a float, got {type(out).__name__}: {out!r}")
        return float(out)

    return forward


def _components(function, name, what, n):
    """function(*xs) as a list of n floats (a float alone is accepted for n = 1)."""

    def components(*xs):
        out = function(*xs)
        if n == 1 and isinstance(out, numbers.Real) and not isinstance(out, bool):
            out = [out]
        try:
            values = [float(v) for v in out]
        except TypeError:
            raise TypeError(
                f"check_vjp: {what} of {name} must return {n} floats, got {type(out).__name__}: {out!r}"
            ) from None
        if len(values) != n:
            raise ValueError(
                f"check_vjp: {what} of {name} must return {n} values (one per input), got {len(values)}: {out!r}"
            )
        return values

    return components


def _component_forward(gradient, i):
    return lambda *xs: gradient(*xs)[i]


def _hessian_rules(hessian, name, n, i) -> tuple:
    """The rules of gradient component i: row i of the Hessian (n rows of n floats)."""

    def row(*xs):
        matrix = hessian(*xs)
        try:
            rows = [list(r) for r in matrix]
        except TypeError:
            raise TypeError(
                f"check_vjp: hessian of {name} must return {n} rows of {n} floats, got {matrix!r}"
            ) from None
        if len(rows) != n or any(len(r) != n for r in rows):
            raise ValueError(f"check_vjp: hessian of {name} must return {n} rows of {n} floats, got {matrix!r}")
        return [float(v) for v in rows[i]]

    return tuple((lambda grad, out, *xs, j=j: grad * row(*[_number(x) for x in xs])[j]) for j in range(n))
