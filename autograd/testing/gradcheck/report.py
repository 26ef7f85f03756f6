"""What a check returns and raises: the report, its rows, kinks and faults, and the two errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


class GradcheckError(AssertionError):
    """Analytic and numerical derivatives disagree; the message is a table of every entry.

    Attributes: `order` (1 for gradients, 2 for Hessians, ...), `rows` (one `DerivativeRow`
    per compared entry), `failures` (the rows that failed) and `report` (the whole
    `GradcheckReport`, with `report.fault`, the node at fault if one was found).
    """

    def __init__(self, message: str, order: int, rows: list, report: "Optional[GradcheckReport]" = None):
        super().__init__(message)
        self.order = order
        self.rows = rows
        self.failures = [row for row in rows if row.failed]
        self.report = report


class FiniteDifferenceError(ValueError):
    """f (or a lower derivative of f) raised or was not finite at a point x +- step.

    The point is closer than a step to the edge of f's domain, or f overflows there, or the
    step is lost to rounding: finite differences cannot check it. Move the point, or pass
    another eps.
    """


@dataclass(frozen=True)
class Kink:
    """A mismatch explained by a kink: f is not differentiable there along this input.

    `op` and `node` say which kink (e.g. 'relu', "v3 = relu(v2=0)"), `subgradient` is what
    autograd returned, `left` and `right` the one-sided slopes on each side of the kink,
    (P(x - h) - P(x - 2h)) / h and (P(x + 2h) - P(x + h)) / h, where P is f for first
    derivatives and the analytic order-(k-1) derivative for order k. `within` is True when the
    subgradient lies between them (up to the tolerances): then the row is not a failure. The
    same policy holds for relu, abs, leaky_relu and user ops with kinks, at every order.

    >>> from autograd.testing import gradcheck
    >>> print(gradcheck(lambda x: x.relu(), [0.0], raise_exception=False).rows[0].kink)
    at a kink: autograd took the subgradient 0, one-sided slopes 0 and 1 (relu at v1 = relu(x0=0))
    """

    op: str
    node: str
    subgradient: float
    left: float
    right: float
    within: bool

    def __str__(self) -> str:
        text = (
            f"at a kink: autograd took the subgradient {self.subgradient:.6g}, one-sided slopes "
            f"{self.left:.6g} and {self.right:.6g} ({self.op} at {self.node})"
        )
        return text if self.within else text + ", but the subgradient is not between them: a failure"


@dataclass(frozen=True)
class Fault:
    """The node at fault: an op whose own rule disagrees with a finite difference of that op
    alone, at the inputs it saw in f's graph.

    `op` is the op's name, `node` its name in f's graph (v1, v2, ... in topological order, or
    its label), `label` its label ("" if none), `inputs` the values it saw (named in `text`),
    `input_index` the input whose rule is wrong, `order` the derivative order (1: the rule, 2:
    the rule's own derivative...), `analytic` and `numeric` the two local values.

    >>> import math
    >>> from autograd import define_op
    >>> from autograd.testing import gradcheck
    >>> wrong_exp = define_op("doctest_wrong_exp", math.exp, [lambda grad, out, x: grad * x])  # should be grad * out
    >>> fault = gradcheck(lambda x: wrong_exp(x * 2).sin(), [1.0], raise_exception=False).fault
    >>> fault.op, fault.node, fault.inputs, fault.input_index, fault.analytic, round(fault.numeric, 6)
    ('doctest_wrong_exp', 'v2', (2.0,), 0, 2.0, 7.389056)
    """

    op: str
    node: str
    label: str
    inputs: tuple
    input_index: int
    order: int
    mode: str
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class DerivativeRow:
    """One compared entry: d^order f / d(wrt...) at the checked point (or, in fast mode, a
    random projection of all of them, with `wrt` empty)."""

    wrt: tuple  # input indices, outermost derivative last
    name: str  # e.g. "d2f/dx0 dx1"
    input_name: str  # the input perturbed for the numeric value
    input_value: float
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    failed: bool
    mode: str = "rev"  # how the analytic value was computed: "rev" (grad) or "fwd" (jvp)
    step: float = 0.0  # the step h the input moved by: eps * max(1, |x|)
    kink: Optional[Kink] = None  # set when the entry is at a kink of f


class GradcheckReport:
    """What a check found: `passed`, `rows` (every `DerivativeRow` compared), `failures`,
    `kinks` (rows explained by a kink), `worst_abs_error`, `worst_rel_error`, `fault` (the
    first `Fault`, or None) and `faults` (all found), `order` (the failing order, or the
    highest checked) and `mode`. `str(report)` is the table; `bool(report)` is `passed`.

    >>> from autograd.testing import gradcheck
    >>> report = gradcheck(lambda x: x * x, [3.0], raise_exception=False)
    >>> report.passed, bool(report), report.worst_abs_error < 1e-6
    (True, True, True)
    >>> print(report)  # doctest: +ELLIPSIS
    gradcheck: all 1 first derivatives agree with central finite differences
    ...
      derivative  input  value  analytic  numeric  abs error  rel error
      df/dx0      x0     3      6         6        ...
    """

    def __init__(self, passed, rows, message, order, mode="rev", faults=(), where="gradcheck"):
        self.passed = bool(passed)
        self.rows = list(rows)
        self.message = message
        self.order = order
        self.mode = mode
        self.faults = list(faults)
        self.where = where

    @property
    def failures(self) -> list:
        return [row for row in self.rows if row.failed]

    @property
    def kinks(self) -> list:
        return [row for row in self.rows if row.kink is not None]

    @property
    def fault(self) -> Optional[Fault]:
        return self.faults[0] if self.faults else None

    @property
    def worst_abs_error(self) -> float:
        return max((row.abs_error for row in self.rows), default=0.0)

    @property
    def worst_rel_error(self) -> float:
        return max((row.rel_error for row in self.rows), default=0.0)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        state = "passed" if self.passed else f"failed: {len(self.failures)} of {len(self.rows)} entries"
        fault = f", node at fault: {self.fault.op} at {self.fault.node}" if self.fault else ""
        return (
            f"<GradcheckReport {self.where} {state}, worst abs error {self.worst_abs_error:.3g}, "
            f"worst rel error {self.worst_rel_error:.3g}{fault}>"
        )
