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
"""

from __future__ import annotations

import math
import numbers
import random
from dataclasses import dataclass, replace
from typing import Callable, Optional

from autograd.engine import grad, topological_order
from autograd.forward import push_forward
from autograd.ops import Op
from autograd.testing.domains import domain_of
from autograd.value import Value, apply

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
    "numerical_grad",
]

MODES = ("fwd", "rev")
_MODE_NAMES = {"fwd": "forward mode", "rev": "reverse mode"}


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
    autograd returned, `left` and `right` the one-sided slopes (f(x) - f(x - h)) / h and
    (f(x + h) - f(x)) / h. `within` is True when the subgradient lies between them (up to the
    tolerances): then the row is not a failure.

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


def _check_flag(name, value, where):
    if not isinstance(value, bool):
        raise TypeError(f"{where}: {name} must be True or False, got {type(value).__name__}: {value!r}")


def _check_order(order, where):
    if isinstance(order, bool) or not isinstance(order, numbers.Integral):
        raise TypeError(f"{where}: order must be an int >= 1, got {type(order).__name__}: {order!r}")
    if order < 1:
        raise ValueError(f"{where}: order must be an int >= 1, got {order!r}")
    return int(order)


def _check_modes(modes, where):
    if isinstance(modes, str):
        raise TypeError(f"{where}: modes must be a sequence of mode names such as ('fwd', 'rev'), got the string {modes!r}")
    if not hasattr(modes, "__iter__"):
        raise TypeError(f"{where}: modes must be a sequence of 'fwd' and/or 'rev', got {type(modes).__name__}: {modes!r}")
    checked = []
    for mode in modes:
        if not isinstance(mode, str):
            raise TypeError(f"{where}: each mode must be 'fwd' or 'rev', got {type(mode).__name__}: {mode!r}")
        if mode not in MODES:
            raise ValueError(f"{where}: unknown mode {mode!r}; the modes are 'fwd' (jvp) and 'rev' (grad)")
        if mode not in checked:
            checked.append(mode)
    if not checked:
        raise ValueError(f"{where}: modes is empty; give 'fwd', 'rev' or both")
    return tuple(checked)


def _check_seed(seed, where):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise TypeError(f"{where}: seed must be an int or None, got {type(seed).__name__}: {seed!r}")


# -- derivatives of every order, in either mode -----------------------------------------------


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


def _as_node(x):
    return x if isinstance(x, Value) else Value(float(x), requires_grad=False)


def _derivatives(out, leaves, mode, create_graph) -> list:
    """d(out)/d(leaf) for every leaf: one backward pass (rev) or one forward sweep per leaf (fwd)."""
    if mode == "rev":  # a derivative may be constant (x * 2 has d2/dx2 = 0): its gradients are 0
        return grad(out, leaves, create_graph=create_graph, allow_constant=True)
    n = len(leaves)
    return [push_forward(out, leaves, [1.0 if j == i else 0.0 for j in range(n)], create_graph) for i in range(n)]


def _partials(f, leaves, order: int, where: str, keep_graph_last: bool = True, mode: str = "rev") -> list:
    """[(index tuple, d^order f / dx_index)] for every index tuple; Values (or floats when
    `keep_graph_last` is False, which differentiates the last level on the float path)."""
    level = [((), _call(f, leaves, where))]
    for depth in range(order):
        create_graph = keep_graph_last or depth < order - 1
        level = [
            (wrt + (i,), g if create_graph else _data(g))
            for wrt, out in level
            for i, g in enumerate(_derivatives(_as_node(out), leaves, mode, create_graph))
        ]
    return level


def _data(x) -> float:
    return x.data if isinstance(x, Value) else float(x)


def _partials_at(f, points, names, order, where, perturbed, step, center, mode="rev"):
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
            values = [_data(g) for _, g in _partials(f, leaves, order, where, keep_graph_last=False, mode=mode)]
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
        f"f = {_indented(_describe(f))}"
    )


def _indented(text: str) -> str:
    return text.replace("\n", "\n    ")


def _step(x: float, eps: float) -> float:
    """The step for input x: relative to |x| beyond 1, so it is never lost to rounding."""
    return eps * max(1.0, abs(x))


def _moved(points, names, i, step, where):
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
class _Differences:
    """Central differences of the order-(k-1) partials P along each input i, with what the
    one-sided slopes need: P at x + h_i (plus) and x - h_i (minus), and the steps taken."""

    numeric: list  # numeric[k][i]
    plus: list  # plus[i][k]
    minus: list
    h_plus: list  # h_plus[i] > 0
    h_minus: list  # h_minus[i] > 0
    steps: list  # nominal step per input


def _numeric_level(f, points, names, order, eps, where, mode="rev") -> _Differences:
    """Central differences, along each input i, of the analytic (order-1)-th partials."""
    plus, minus, h_plus, h_minus, steps = [], [], [], [], []
    for i in range(len(points)):
        step = _step(points[i], eps)
        up, hp = _moved(points, names, i, step, where)
        down, hm = _moved(points, names, i, -step, where)
        plus.append(_partials_at(f, up, names, order - 1, where, i, step, points, mode))
        minus.append(_partials_at(f, down, names, order - 1, where, i, -step, points, mode))
        h_plus.append(hp)
        h_minus.append(-hm)
        steps.append(step)
    count = len(plus[0])
    numeric = [
        [(plus[i][k] - minus[i][k]) / (h_plus[i] + h_minus[i]) for i in range(len(points))] for k in range(count)
    ]
    return _Differences(numeric, plus, minus, h_plus, h_minus, steps)


def _derivative_name(wrt, names) -> str:
    order = len(wrt)
    top = "df" if order == 1 else f"d{order}f"
    return f"{top}/" + " ".join(f"d{names[i]}" for i in wrt)


def _errors(analytic, numeric):
    abs_error = abs(analytic - numeric)
    if math.isnan(abs_error):
        abs_error = math.inf
    rel_error = abs_error / abs(numeric) if numeric != 0 else (0.0 if abs_error == 0 else math.inf)
    return abs_error, rel_error


def _compare_level(f, points, names, order, eps, atol, rtol, where, mode="rev", kinks=True) -> list:
    leaves = _leaves(points, names)
    analytic = [(wrt, _data(g)) for wrt, g in _partials(f, leaves, order, where, keep_graph_last=False, mode=mode)]
    differences = _numeric_level(f, points, names, order, eps, where, mode)
    n = len(points)
    rows = []
    for k, (wrt, a) in enumerate(analytic):
        i = wrt[-1]
        num = differences.numeric[k // n][i]
        abs_error, rel_error = _errors(a, num)
        failed = not abs_error <= atol + rtol * abs(num)  # like numpy.allclose(a, num)
        rows.append(
            DerivativeRow(wrt, _derivative_name(wrt, names), names[i], points[i], a, num, abs_error, rel_error,
                          failed, mode, differences.steps[i])
        )
    if kinks and any(row.failed for row in rows):
        rows = _explain_kinks(f, points, names, order, rows, differences, atol, rtol, where, mode)
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
        up, hp = _moved(points, names, i, step, where)
        down, hm = _moved(points, names, i, -step, where)
        plus = _partials_at(f, up, names, order - 1, where, i, step, points, mode)
        minus = _partials_at(f, down, names, order - 1, where, i, -step, points, mode)
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
            f"a smaller eps.\nf = {_indented(_describe(f))}"
        )


# -- kinks --------------------------------------------------------------------------------------


def _graph(f, points, names):
    """f's graph at points: (leaves, output, nodes in topological order), or None if f fails."""
    leaves = _leaves(points, names)
    try:
        out = f(*leaves)
    except (ArithmeticError, ValueError, TypeError):
        return None
    if not isinstance(out, Value):
        return None
    return leaves, out, topological_order(out)


class _Namer:
    """Names for the nodes of one graph: inputs by their names, interior nodes v1, v2, ... in
    topological order, constants by their value."""

    def __init__(self, leaves, nodes):
        self.names = {leaf: leaf.label for leaf in leaves}
        self.constants = set()
        k = 0
        for node in nodes:
            if node in self.names:
                continue
            if node.op_entry is None:
                self.names[node] = f"{node.data:.6g}"
                self.constants.add(node)
            else:
                k += 1
                self.names[node] = f"v{k}"
        self.interior = k

    def name(self, node) -> str:
        return self.names.get(node, "?")

    def describe(self, node) -> str:
        args = ", ".join(
            self.name(p) if p in self.constants else f"{self.name(p)}={p.data:.6g}" for p in node.parents
        )
        label = f" (label {node.label!r})" if node.label else ""
        return f"{self.name(node)} = {node.op_entry.name}({args}){label}"


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
    namer = _Namer(leaves, nodes)
    sides = []
    for s in (step, -step):
        moved = list(points)
        moved[i] += s
        graph = _graph(f, moved, names)
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


def _explain_kinks(f, points, names, order, rows, differences, atol, rtol, where, mode) -> list:
    """Failing rows at a declared kink whose analytic value lies between the one-sided slopes
    become passing rows with a `Kink`; outside the slopes they stay failures, with the `Kink`."""
    center_graph = _graph(f, points, names)
    if center_graph is None:
        return rows
    n = len(points)
    center_values = None
    kink_of = {}
    explained = []
    for k, row in enumerate(rows):
        if not row.failed:
            explained.append(row)
            continue
        i = row.wrt[-1]
        if i not in kink_of:
            kink_of[i] = _kink_along(f, points, names, i, differences.steps[i], center_graph)
        if kink_of[i] is None:
            explained.append(row)
            continue
        if center_values is None:
            center_values = _partials_at(f, points, names, order - 1, where, None, 0.0, points, mode)
        j = k // n
        left = (center_values[j] - differences.minus[i][j]) / differences.h_minus[i]
        right = (differences.plus[i][j] - center_values[j]) / differences.h_plus[i]
        low, high = min(left, right), max(left, right)
        slack = atol + rtol * max(abs(left), abs(right))
        within = low - slack <= row.analytic <= high + slack
        op, node = kink_of[i]
        kink = Kink(op, node, row.analytic, left, right, within)
        explained.append(replace(row, failed=not within, kink=kink))
    return explained


# -- the node at fault --------------------------------------------------------------------------


_MAX_FAULTS = 5


def _find_faults(f, points, names, order, mode, eps, atol, rtol, where) -> tuple:
    """Check every op of f's graph alone, at the inputs it saw, to orders 1..order; return
    (faults, number of distinct nodes checked)."""
    graph = _graph(f, points, names)
    if graph is None:
        return [], 0
    leaves, out, nodes = graph
    namer = _Namer(leaves, nodes)
    faults, seen, checked = [], set(), 0
    for node in nodes:
        op = node.op_entry
        if op is None:
            continue
        parents = node.parents
        key = (op, tuple(p.data for p in parents), tuple(p.requires_grad for p in parents))
        if key in seen:
            continue
        seen.add(key)
        moving = [k for k, p in enumerate(parents) if p.requires_grad]
        if not moving:
            continue
        checked += 1
        fault = _check_node(node, namer, moving, order, mode, eps, atol, rtol)
        if fault is not None:
            faults.append(fault)
            if len(faults) >= _MAX_FAULTS:
                break
    return faults, checked


def _local_function(op, data, moving):
    """The op alone as a function of the inputs that moved in f's graph (the others fixed)."""

    def local(*values):
        args = list(data)
        for k, v in zip(moving, values):
            args[k] = v
        return apply(op, *args)

    local.__qualname__ = f"{op.name} (alone)"
    return local


def _check_node(node, namer, moving, order, mode, eps, atol, rtol) -> Optional[Fault]:
    op, parents = node.op_entry, node.parents
    local = _local_function(op, [p.data for p in parents], moving)
    points = [parents[k].data for k in moving]
    local_names = [f"input {k}" for k in moving]
    for level in range(1, order + 1):
        try:
            rows = _compare_level(local, points, local_names, level, eps, atol, rtol, op.name, mode)
        except (ArithmeticError, ValueError, TypeError):  # outside the op's domain a step away
            return None
        bad = [row for row in rows if row.failed]
        if bad:
            row = max(bad, key=lambda r: r.abs_error)
            k = moving[row.wrt[-1]]
            inputs = tuple(p.data for p in parents)
            again = "once more" if level == 2 else f"{level - 1} more times"
            what = "rule" if level == 1 else f"order-{level} derivative (its rule differentiated {again})"
            wrt = " ".join(f"d{namer.name(parents[moving[j]])}" for j in row.wrt)
            text = (
                f"node at fault: {namer.describe(node)}, node {namer.name(node)[1:]} of {namer.interior} in f's graph: "
                f"the {what} of {op.name!r} for input {k} ({namer.name(parents[k])} = {parents[k].data!r}) gives "
                f"d{'' if level == 1 else level}{namer.name(node)}/{wrt} = {row.analytic:.10g}, but a central "
                f"difference of {op.name} alone at the inputs it saw {inputs!r} gives {row.numeric:.10g} "
                f"(abs error {row.abs_error:.3g}, rel error {row.rel_error:.3g}, {_MODE_NAMES[mode]})"
            )
            return Fault(op.name, namer.name(node), node.label, inputs, k, level, mode, row.analytic, row.numeric,
                         row.abs_error, row.rel_error, text)
    return None


# -- fast mode: a random projection -------------------------------------------------------------


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


def _fast_level(f, points, names, order, mode, eps, atol, rtol, where, rng) -> DerivativeRow:
    """Compare one projection of the order-th derivatives, D^k f[u_1, ..., u_k], with a central
    difference along u_k of the analytic D^(k-1) f[u_1, ..., u_(k-1)]."""
    directions = [_direction(rng, points) for _ in range(order)]

    def projected(*leaves):  # D^(k-1) f [u_1..u_(k-1)]
        out = _call(f, leaves, where)
        for d in directions[:-1]:
            out = _along(_as_node(out), leaves, d, mode, True)
        return _as_node(out)

    last = directions[-1]
    leaves = _leaves(points, names)
    analytic = _along(projected(*leaves), leaves, last, mode, False)
    analytic = _data(analytic)
    # f(x + eps u) and f(x - eps u), the step relative to each |x_i| (built into u).
    values = []
    for sign in (1.0, -1.0):
        moved = [x + sign * eps * d for x, d in zip(points, last)]
        if not all(math.isfinite(x) for x in moved):
            raise FiniteDifferenceError(f"{where}: fast mode: a step of eps along a random direction leaves the floats")
        try:
            values.append(_data(projected(*_leaves(moved, names))))
        except (ArithmeticError, ValueError, TypeError) as error:
            raise FiniteDifferenceError(
                f"{where}: fast mode: f failed a step of eps={eps!r} from the checked point along a random "
                f"direction ({error}); the point is within a step of the edge of f's domain"
            ) from error
    numeric = (values[0] - values[1]) / (2 * eps)
    abs_error, rel_error = _errors(analytic, numeric)
    # The tolerance that the full table's entries would add up to along this direction.
    # The absolute tolerance that the full table's entries would add up to along u; the relative
    # one on the projection itself (a rule 1% off everywhere is 1% off along any u).
    size = math.fsum(abs(d) for d in last)
    failed = not abs_error <= atol * size + rtol * abs(numeric)
    name = "df·u" if order == 1 else f"d{order}f" + "".join(f"·u{k + 1}" for k in range(order))
    return DerivativeRow((), name, "u", 1.0, analytic, numeric, abs_error, rel_error, failed, mode, eps)


# -- the table and the report -------------------------------------------------------------------


def _table(rows) -> str:
    header = ("", "derivative", "input", "value", "analytic", "numeric", "abs error", "rel error")
    body = [
        ("FAIL" if r.failed else ("kink" if r.kink is not None else ""), r.name, r.input_name, f"{r.input_value:.6g}",
         f"{r.analytic:.10g}", f"{r.numeric:.10g}", f"{r.abs_error:.3g}", f"{r.rel_error:.3g}")
        for r in rows
    ]
    widths = [max(len(line[c]) for line in [header] + body) for c in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in [header] + body)


def _kind(order, mode, show_mode) -> str:
    kind = {1: "first derivatives", 2: "second derivatives"}.get(order, f"order-{order} derivatives")
    return f"{kind} ({_MODE_NAMES[mode]})" if show_mode else kind


def _notes(rows, eps) -> list:
    notes = []
    for row in rows:
        if row.kink is not None:
            notes.append(f"{row.name}: {row.kink}")
    big = [row for row in rows if row.failed and row.step >= 1e4 * eps]
    if big:
        row = big[0]
        notes.append(
            f"note: steps are relative to |x| (h = eps * max(1, |x|)): {row.input_name} = {row.input_value:.6g} "
            f"moved by {row.step:.3g}; a function that varies on a smaller scale there (sin at 1e11) cannot "
            "be checked by finite differences"
        )
    return notes


def _failure_message(where, f, rows, order, mode, show_mode, eps, atol, rtol, faults, checked, fast_row) -> str:
    failures = sum(r.failed for r in rows)
    lines = []
    if fast_row is not None:
        lines.append(
            f"{where}: fast mode: a random projection of the {_kind(order, mode, show_mode)} differs from central "
            f"finite differences (analytic {fast_row.analytic:.10g}, numeric {fast_row.numeric:.10g}); the full table:"
        )
    lines += [
        f"{where}: {failures} of {len(rows)} {_kind(order, mode, show_mode)} differ from central finite differences",
        f"(eps={eps!r}, atol={atol!r}, rtol={rtol!r}; an entry fails when "
        f"|analytic - numeric| > atol + rtol * |numeric|)",
        f"f = {_indented(_describe(f))}",
    ]
    # The explanation before the table, so the table stays the end of the message.
    if faults:
        lines += [str(fault) for fault in faults]
    elif checked:
        lines.append(
            f"no node at fault: each of the {checked} ops in f's graph, checked alone at the inputs it saw, agrees with "
            "finite differences. The mismatch comes from outside the op table: f may read .data or float() of a Value "
            "(cutting the graph), branch on a value, or be ill-conditioned at this point."
        )
    lines += _notes(rows, eps)
    lines.append(_table(rows))
    return "\n".join(lines)


def _passed_message(where, levels, eps, atol, rtol, show_mode) -> str:
    lines = []
    for order, mode, rows in levels:
        what = _kind(order, mode, show_mode)
        if len(rows) == 1 and not rows[0].wrt:
            lines.append(f"{where}: a random projection of the {what} agrees with central finite differences (fast mode)")
        else:
            lines.append(f"{where}: all {len(rows)} {what} agree with central finite differences")
    lines.append(f"(eps={eps!r}, atol={atol!r}, rtol={rtol!r})")
    for order, mode, rows in levels:
        lines.append(_table(rows))
        lines += _notes(rows, eps)
    return "\n".join(lines)


def _run(f, inputs, orders, eps, atol, rtol, raise_exception, where, modes=("rev",), fast=False, seed=None):
    points, names = _check_arguments(f, inputs, eps, atol, rtol, where)
    _check_flag("raise_exception", raise_exception, where)
    _check_flag("fast", fast, where)
    _check_seed(seed, where)
    rng = random.Random(0 if seed is None else seed)
    show_mode = modes != ("rev",)
    all_rows, levels = [], []
    for order in orders:
        for mode in modes:
            fast_row = None
            if fast:
                fast_row = _fast_level(f, points, names, order, mode, eps, atol, rtol, where, rng)
                if not fast_row.failed:
                    all_rows.append(fast_row)
                    levels.append((order, mode, [fast_row]))
                    continue
            rows = _compare_level(f, points, names, order, eps, atol, rtol, where, mode)
            all_rows += rows
            levels.append((order, mode, rows))
            if any(row.failed for row in rows):
                faults, checked = _find_faults(f, points, names, order, mode, eps, atol, rtol, where)
                message = _failure_message(where, f, rows, order, mode, show_mode, eps, atol, rtol, faults, checked, fast_row)
                report = GradcheckReport(False, all_rows, message, order, mode, faults, where)
                if raise_exception:
                    raise GradcheckError(message, order, rows, report)
                return report
    report = GradcheckReport(True, all_rows, _passed_message(where, levels, eps, atol, rtol, show_mode),
                             orders[-1], modes[-1], (), where)
    return True if raise_exception else report


# -- public API -------------------------------------------------------------------------------


def gradcheck(
    f: Callable, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, fast=False, seed=None
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
    `seed` picks the direction (default: a fixed one, so a run is reproducible).

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
    return _run(f, inputs, (1,), eps, atol, rtol, raise_exception, "gradcheck", fast=fast, seed=seed)


def gradgradcheck(
    f: Callable, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, fast=False, seed=None
):
    """Check the second derivatives of `f` (the Hessian of the gradient built with
    `create_graph=True`) against central finite differences of the analytic gradient.

    Same arguments, tolerances, errors and report as `gradcheck`; every entry d2f/dx_i dx_j is
    checked (n * n entries for n inputs), or with `fast=True` one projection vᵀHu.

    >>> from autograd.testing import gradgradcheck
    >>> gradgradcheck(lambda x, y: x * y.sin() + (x * x).log(), [1.5, 0.3])
    True
    """
    return _run(f, inputs, (2,), eps, atol, rtol, raise_exception, "gradgradcheck", fast=fast, seed=seed)


def check_grads(
    f: Callable, inputs, order: int = 2, modes=("fwd", "rev"), *, eps=1e-6, atol=1e-5, rtol=1e-3,
    raise_exception=True, fast=False, seed=None,
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
    order = _check_order(order, "check_grads")
    modes = _check_modes(modes, "check_grads")
    return _run(f, inputs, tuple(range(1, order + 1)), eps, atol, rtol, raise_exception, "check_grads", modes, fast, seed)


def numerical_grad(f: Callable, inputs, *, eps=1e-6) -> list:
    """Central finite differences of `f` at `inputs`, one float per input (float64).

    Input x moves by h = eps * max(1, |x|), so the step is never lost to rounding at large |x|.

    >>> from autograd.testing import numerical_grad
    >>> [round(d, 6) for d in numerical_grad(lambda x, y: x * x * y, [3.0, 2.0])]
    [12.0, 9.0]
    >>> round(numerical_grad(lambda x: x * x, [1e11])[0] / 2e11, 9)
    1.0
    """
    points, names = _check_arguments(f, inputs, eps, 0.0, 0.0, "numerical_grad")
    differences = _numeric_level(f, points, names, 1, eps, "numerical_grad")
    return differences.numeric[0]
