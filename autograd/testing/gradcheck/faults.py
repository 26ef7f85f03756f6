"""The node at fault: every op of f's graph checked alone, at the inputs it saw there.

Two checks per node. First the rule contract: a rule is `rule(grad, out, *inputs)` and must be
linear in its upstream gradient `grad` (called with grad=-2 it must give -2 times what it gives
with grad=1), which no finite difference of f can see when the op is f's output (its upstream
gradient is then 1) and forward mode sees only where an input's tangent is not 1 (it calls a
rule with the input's tangent as its upstream gradient). Then the op alone
against finite differences, weighted by the gradient f's output has with respect to the node,
so a rule 1% off where the op's own derivative is below atol is still named when f amplifies it.
"""

from __future__ import annotations

# pytest leaves this module's frames out of a failing test's traceback: the failure is the
# report, not the checker's code (`--fulltrace` shows them).
__tracebackhide__ = True

import math
import sys
from typing import Optional

from autograd import apply, grad
from autograd.testing.gradcheck.arguments import MODE_NAMES
from autograd.testing.gradcheck.compare import compare_level
from autograd.testing.gradcheck.graphs import Namer, graph_of
from autograd.testing.gradcheck.report import Fault

_MAX_FAULTS = 5
# A power of two, so a rule that multiplies by grad gives exactly -2 times its value at grad=1
# (scaling by 2 is exact in binary floating point); negative to catch abs(grad) too.
_UPSTREAM = -2.0
_SUBNORMAL = 4 * sys.float_info.min


def find_faults(f, points, names, order, mode, eps, atol, rtol, where) -> tuple:
    """Check every op of f's graph alone, at the inputs it saw, to orders 1..order; return
    (faults, number of distinct nodes checked)."""
    graph = graph_of(f, points, names)
    if graph is None:
        return [], 0
    leaves, out, nodes = graph
    namer = Namer(leaves, nodes)
    weights = _adjoints(out, nodes)
    faults, checked = [], 0
    for node in _distinct_op_nodes(nodes):
        moving = [k for k, p in enumerate(node.parents) if p.requires_grad]
        checked += 1
        fault = upstream_fault(node, namer) or _check_node(
            node, namer, moving, order, mode, eps, atol, rtol, weights.get(node, 1.0)
        )
        if fault is not None:
            faults.append(fault)
            if len(faults) >= _MAX_FAULTS:
                break
    return faults, checked


def upstream_faults(f, points, names) -> list:
    """The nodes of f's graph whose rules are not linear in their upstream gradient."""
    graph = graph_of(f, points, names)
    if graph is None:
        return []
    leaves, _, nodes = graph
    namer = Namer(leaves, nodes)
    faults = [upstream_fault(node, namer) for node in _distinct_op_nodes(nodes)]
    return [fault for fault in faults if fault is not None][:_MAX_FAULTS]


def _distinct_op_nodes(nodes):
    """The op nodes with an input that needs a gradient, each (op, inputs) once."""
    seen = set()
    for node in nodes:
        op = node.op_entry
        if op is None or not any(p.requires_grad for p in node.parents):
            continue
        key = (op, tuple(p.data for p in node.parents), tuple(p.requires_grad for p in node.parents))
        if key not in seen:
            seen.add(key)
            yield node


def _adjoints(out, nodes) -> dict:
    """|d out / d node| for every op node, at least 1: how much f amplifies an error there."""
    interior = [node for node in nodes if node.op_entry is not None and node.requires_grad]
    try:
        gradients = grad(out, interior, allow_constant=True)
    except (ArithmeticError, ValueError, TypeError):  # f's own rules fail: weigh nothing
        return {}
    return {node: max(1.0, abs(g)) for node, g in zip(interior, gradients) if math.isfinite(g)}


def _rule_values(op, upstream, out, inputs, wanted) -> list:
    if op.rules is not None:  # only the rules of inputs needing a gradient: another may be undefined here
        return [float(rule(upstream, out, *inputs)) if w else 0.0 for rule, w in zip(op.rules, wanted)]
    return [float(g) for g in op.nary_rule(upstream, out, list(inputs))]


def upstream_fault(node, namer) -> Optional[Fault]:
    """A Fault if a rule of the node's op is not linear in its upstream gradient, else None."""
    op, parents = node.op_entry, node.parents
    inputs = tuple(p.data for p in parents)
    try:
        wanted = [p.requires_grad for p in parents]
        at_one = _rule_values(op, 1.0, node.data, inputs, wanted)
        at_other = _rule_values(op, _UPSTREAM, node.data, inputs, wanted)
    except (ArithmeticError, ValueError, TypeError):
        return None  # the rule cannot run on floats here; the finite differences will judge it
    for k, (one, other) in enumerate(zip(at_one, at_other)):
        expected = _UPSTREAM * one
        # abs_tol: below the normal floats (2.2e-308) products round to multiples of 5e-324, so a
        # rule that does multiply by grad can still differ there (2 ** 5e-324's rule: 0 then -5e-324).
        if not parents[k].requires_grad or math.isclose(other, expected, rel_tol=1e-9, abs_tol=_SUBNORMAL):
            continue
        if not (math.isfinite(one) and math.isfinite(other)):
            continue
        text = (
            f"node at fault: {namer.describe(node)}, node {namer.name(node)[1:]} of {namer.interior} in f's graph: "
            f"the rule of {op.name!r} for input {k} ({namer.name(parents[k])} = {parents[k].data!r}) ignores its "
            f"upstream gradient: called as rule(grad, out, *inputs) with grad=1 it gives {one:.10g}, with "
            f"grad={_UPSTREAM:g} it gives {other:.10g}, where a rule must give {expected:.10g} ({_UPSTREAM:g} times "
            "as much; multiply by grad). f's derivatives come out right only where the op's upstream gradient "
            "is 1 (the op is f's output, or its input's tangent is 1 in forward mode)"
        )
        error = abs(other - expected)
        return Fault(
            op.name,
            namer.name(node),
            node.label,
            inputs,
            k,
            1,
            "rev",
            other,
            expected,
            error,
            error / abs(expected) if expected else math.inf,
            text,
        )
    return None


def _local_function(op, data, moving, weight):
    """The op alone as a function of the inputs that moved in f's graph (the others fixed),
    times `weight` (f's gradient with respect to the node, at least 1)."""

    def local(*values):
        args = list(data)
        for k, v in zip(moving, values):
            args[k] = v
        out = apply(op, *args)
        return out * weight if weight != 1.0 else out

    local.__qualname__ = f"{op.name} (alone)"
    return local


def _check_node(node, namer, moving, order, mode, eps, atol, rtol, weight=1.0) -> Optional[Fault]:
    op, parents = node.op_entry, node.parents
    local = _local_function(op, [p.data for p in parents], moving, weight)
    points = [parents[k].data for k in moving]
    local_names = [f"input {k}" for k in moving]
    for level in range(1, order + 1):
        try:
            rows = compare_level(local, points, local_names, level, eps, atol, rtol, op.name, mode)
        except (ArithmeticError, ValueError, TypeError):  # outside the op's domain a step away
            return None
        bad = [row for row in rows if row.failed]
        if bad:
            return _node_fault(node, namer, moving, level, mode, max(bad, key=lambda r: r.abs_error), weight)
    return None


def _node_fault(node, namer, moving, level, mode, row, weight) -> Fault:
    """The Fault for a failing row of the op alone, in the op's own numbers (weight divided out)."""
    op, parents = node.op_entry, node.parents
    k = moving[row.wrt[-1]]
    inputs = tuple(p.data for p in parents)
    analytic, numeric, abs_error = row.analytic / weight, row.numeric / weight, row.abs_error / weight
    again = "once more" if level == 2 else f"{level - 1} more times"
    what = "rule" if level == 1 else f"order-{level} derivative (its rule differentiated {again})"
    wrt = " ".join(f"d{namer.name(parents[moving[j]])}" for j in row.wrt)
    amplified = (
        f"; f's output changes {weight:.6g} times as fast as {namer.name(node)}, so this error matters to f"
        if weight > 1.0
        else ""
    )
    text = (
        f"node at fault: {namer.describe(node)}, node {namer.name(node)[1:]} of {namer.interior} in f's graph: "
        f"the {what} of {op.name!r} for input {k} ({namer.name(parents[k])} = {parents[k].data!r}) gives "
        f"d{'' if level == 1 else level}{namer.name(node)}/{wrt} = {analytic:.10g}, but a central "
        f"difference of {op.name} alone at the inputs it saw {inputs!r} gives {numeric:.10g} "
        f"(abs error {abs_error:.3g}, rel error {row.rel_error:.3g}, {MODE_NAMES[mode]}{amplified})"
    )
    return Fault(
        op.name, namer.name(node), node.label, inputs, k, level, mode, analytic, numeric, abs_error, row.rel_error, text
    )
