"""The explorer's data for a graph drawn value by value: node entries and frames.

A frame is one event the player shows: `start`; `forward` (values computed); `seed` (the
output's gradient 1); `edge` (the backward pass sending `local × upstream = contribution` to one
parent: one per `Contribution` of `backward_steps`, the engine's own pass); `box` (collapsed
views only); `done`. A node entry is what the player shows for one box: `value_entry` builds it
for every value box, in both views (the collapsed view adds its group boxes,
`collapsed.group_entry`).

>>> from autograd import Value
>>> from autograd.render.style import reader_formatter
>>> a = Value(2.0, label="a"); b = a * 3; b.label = "b"
>>> names = {a: "a", b: "b", b.parents[1]: "v1"}
>>> expression(b, names, reader_formatter(".4g"), values=False), expression(b, names, reader_formatter(".4g"), values=True)
('a * v1', '2 * 3')
"""

from __future__ import annotations

from typing import Any, Optional

from autograd.explorer.chain import count_paths, paths
from autograd.render.style import display_name, op_symbol, role
from autograd.value import Value

__all__ = [
    "expression",
    "value_entry",
    "start_frame",
    "forward_frames",
    "seed_frame",
    "edge_frames",
    "done_frame",
    "leaf_paths",
    "MAX_PATHS_PER_LEAF",
]

MAX_PATHS_PER_LEAF = 24  # paths listed per leaf in the node panel
BINARY = ("+", "-", "*", "/", "**")  # op table operators written between their inputs


def short_names(names: dict) -> dict:
    """Names as the explorer writes them: shortened (a 1 MB label would make a 1 MB box and
    sentence) and with control characters and lone surrogates made visible."""
    return {node: display_name(name) for node, name in names.items()}


def expression(node: Value, names: dict, fmt, values: bool) -> str:
    """`a * b`, `tanh(a)`, `dot(w0, w1, x0, x1)`: how a node is computed from its parents, with
    the op table's symbol for an operator (names, or with `values` the parents' data)."""
    if not node.parents:
        return names[node]
    args = [fmt(p.data) if values else names[p] for p in node.parents]
    op = node.op_entry
    if op.operator in BINARY and len(args) == 2:
        return f"{args[0]} {op_symbol(node)} {args[1]}"
    if op.operator == "-" and len(args) == 1:
        return f"{op_symbol(node)}{args[0]}"
    if len(args) > 6:
        args = args[:3] + ["…"] + args[-2:]
    return f"{op.name}({', '.join(args)})"


def value_entry(
    node: Value,
    node_id: str,
    *,
    root: Value,
    names: dict,
    fmt,
    grad: Optional[float],
    parents: list,
    boundary: bool = False,
) -> dict:
    """What the player shows for one value box (its panel, its data and grad)."""
    return {
        "id": node_id,
        "name": names[node],
        "label": display_name(node.label),
        "op": node.op,
        "role": role(node, root),
        "kind": "value",
        "expression": expression(node, names, fmt, False),
        "data": node.data,
        "data_text": fmt(node.data),
        "grad": grad,
        "grad_text": fmt(grad) if grad is not None else None,
        "requires_grad": node.requires_grad,
        "parents": parents,
        "boundary": boundary,
    }


# -- frames ------------------------------------------------------------------------------------------


def start_frame(text: str) -> dict:
    return {"kind": "start", "text": text}


def forward_frames(visible_nodes: list, leaves: list, ids: dict, names: dict, fmt) -> list:
    """The forward pass: the leaves shown at once, then one op result at a time."""
    frames = [
        {
            "kind": "forward",
            "nodes": [ids[n] for n in leaves],
            "node": None,
            "text": "Forward pass: the inputs, parameters and constants hold their values.",
        }
    ]
    chosen = set(leaves)
    frames += [value_forward_frame(n, ids[n], names, fmt) for n in visible_nodes if n not in chosen]
    return frames


def value_forward_frame(node: Value, node_id: str, names: dict, fmt) -> dict:
    return {
        "kind": "forward",
        "nodes": [node_id],
        "node": node_id,
        "text": f"Forward: {names[node]} = {expression(node, names, fmt, False)} = {expression(node, names, fmt, True)} = {fmt(node.data)}",
    }


def seed_frame(root_id: Optional[str], name: str, grad: float, fmt, note: str = "") -> dict:
    return {
        "kind": "seed",
        "node": root_id,
        "grad": grad,
        "grad_text": fmt(grad),
        "text": f"Backward pass: start at the output with ∂{name}/∂{name} = 1.{note}",
    }


def done_frame(text: str, arrived: Optional[list] = None) -> dict:
    frame: dict[str, Any] = {"kind": "done", "text": text}
    if arrived is not None:
        frame["arrived"] = arrived
    return frame


def edge_frames(steps, shown: set, ids: dict, index: dict, names: dict, fmt) -> tuple:
    """One `edge` frame per contribution the engine passes between shown values, and the
    gradient texts each value shows along the way (for sizing its box).

    Contributions from values not drawn (a sub-graph) get no frame of their own: they ride on
    the next frame (`arrived`), so every drawn value still ends at its real gradient. Returns
    (frames, the arrivals left for the last frame, texts)."""
    frames, arrived = [], []
    texts: dict = {steps.root: [fmt(1.0)]}
    for step in steps:
        node = step.node
        for c in step.contributions:
            if c.total is None or c.parent not in shown:
                continue
            texts.setdefault(c.parent, []).append(fmt(c.total))
            if node not in shown:
                arrived.append({"parent": ids[c.parent], "total": c.total, "total_text": fmt(c.total)})
                continue
            frames.append(dict(_edge_frame(step, c, ids, index, names, fmt), arrived=arrived))
            arrived = []
    return frames, arrived, texts


def _edge_frame(step, c, ids: dict, index: dict, names: dict, fmt) -> dict:
    node, parent = step.node, c.parent
    n, p = names[node], names[parent]
    total = f"{p}.grad += {fmt(c.contribution)} → {fmt(c.total)}" if c.is_merge else f"{p}.grad = {fmt(c.total)}"
    return {
        "kind": "edge",
        "step": step.number,
        "node": ids[node],
        "parent": ids[parent],
        "k": c.index,
        "node_name": n,
        "parent_name": p,
        "node_expression": expression(node, names, fmt, False),
        "edge": f"e{index[node]}_{c.index}",
        "op_edge": f"o{index[node]}",
        "upstream": step.upstream,
        "local": c.local,
        "contribution": c.contribution,
        "total": c.total,
        "previous": c.previous,
        "merge": c.is_merge,
        "upstream_text": fmt(step.upstream),
        "local_text": fmt(c.local),
        "contribution_text": fmt(c.contribution),
        "total_text": fmt(c.total),
        "previous_text": fmt(c.previous) if c.is_merge else None,
        "text": f"{n} → {p}: local ∂{n}/∂{p} = {fmt(c.local)} × upstream {fmt(step.upstream)} = {fmt(c.contribution)};  {total}",
    }


# -- paths -------------------------------------------------------------------------------------------


def path_ids(path, index: dict) -> dict:
    """The ids of a path's boxes, op circles and edges, as the player highlights them."""
    edges = []
    for child, k in path.edges:
        edges += [f"e{index[child]}_{k}", f"o{index[child]}"]
    return {"nodes": [f"v{index[n]}" for n in path.nodes] + [f"op{index[c]}" for c, _ in path.edges], "edges": edges}


def leaf_paths(root: Value, leaf: Value, names: dict, index: dict, fmt) -> dict:
    """A leaf's paths to the output for its panel: how many, and each (when few) with its locals."""
    n = count_paths(root, leaf)
    if n > MAX_PATHS_PER_LEAF:
        return {"count": n, "listed": []}
    listed: list[dict] = []
    for p in paths(root, leaf, max_paths=None):
        text = names[p.nodes[0]]
        for (child, k), parent in zip(p.edges, p.nodes):
            # a value used twice by one op: say which use (the two edges of a * a)
            slot = f" (input {k + 1})" if sum(q is parent for q in child.parents) > 1 else ""
            text += f" →{slot} {names[child]}"
        listed.append(
            {
                **path_ids(p, index),
                "key": f"v{index[leaf]}:{len(listed)}",
                "text": text,
                "locals": [fmt(d) for d in p.locals],
                "product": p.product,
                "product_text": fmt(p.product),
            }
        )
    return {"count": n, "listed": listed}
