"""The node at fault: every op of f's graph checked alone, at the inputs it saw there."""

from __future__ import annotations

from typing import Optional

from autograd.testing.gradcheck.arguments import MODE_NAMES
from autograd.testing.gradcheck.compare import compare_level
from autograd.testing.gradcheck.graphs import Namer, graph_of
from autograd.testing.gradcheck.report import Fault

from autograd import apply

_MAX_FAULTS = 5


def find_faults(f, points, names, order, mode, eps, atol, rtol, where) -> tuple:
    """Check every op of f's graph alone, at the inputs it saw, to orders 1..order; return
    (faults, number of distinct nodes checked)."""
    graph = graph_of(f, points, names)
    if graph is None:
        return [], 0
    leaves, out, nodes = graph
    namer = Namer(leaves, nodes)
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
            rows = compare_level(local, points, local_names, level, eps, atol, rtol, op.name, mode)
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
                f"(abs error {row.abs_error:.3g}, rel error {row.rel_error:.3g}, {MODE_NAMES[mode]})"
            )
            return Fault(op.name, namer.name(node), node.label, inputs, k, level, mode, row.analytic, row.numeric,
                         row.abs_error, row.rel_error, text)
    return None
