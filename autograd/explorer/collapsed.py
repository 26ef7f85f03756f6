"""`explore(root, collapse="neuron" | "layer")`: step through backprop one nn neuron (or layer) at a time.

The boxes are the render package's collapsed view (`autograd.render.view.build_view`, which
finds nn neurons and layers from their parameter labels): no second detection here. Every
number shown comes from the engine's one backward pass (`backward_steps`): a box's gradient is
the running total the engine holds for its output, an edge's contribution is the sum of what
the engine passed across that edge (from the box's nodes to the input box's output), and a
box's parameter gradients are the engine's totals for its weights and bias. The local
derivative printed beside an edge (d box output / d input) is the product of the engine's own
local derivatives along the path inside the box (what `autograd.paths` multiplies), shown so
the reader can check `local × upstream = contribution`.

Reading order: `build` makes the `BoxGraph` (boxes in the order the forward pass fills them),
then the forward frames, the backward frames (`_box_frames` per box, replaying the engine's
contributions with `Replay`), the node entries (`frames.value_entry`, `group_entry`) and the
picture (`_dot_lines`).
"""

from __future__ import annotations

import heapq
import math
from typing import Optional

from autograd.explorer import drawing, frames
from autograd.explorer.player import Explorer
from autograd.explorer.steps import backward_steps, node_names
from autograd.render.neurons import euclidean, formula, input_weights, layer_key, summary
from autograd.render.style import natural_key, reader_formatter, strongest, weight_edge
from autograd.render.view import GraphTooLargeError, build_view
from autograd.value import Value

__all__ = ["build", "BoxGraph", "Box", "group_entry"]


class Box:
    """One box of the collapsed explorer: a value, or an nn neuron or layer (`group`)."""

    def __init__(self, view, key, index: int):
        self.key = key
        self.index = index  # position in the box graph's topological order
        self.id = f"v{index}"
        self.group = view.group(key)
        self.node = key[1] if self.group is None else None  # a value box's node
        self.members: list = view.members_of(key)
        self.outputs: list = view.outputs_of(key)
        self.weights: list = list(self.group.weights) if self.group else []
        self.biases: list = list(self.group.biases) if self.group else []
        self.params: list = self.weights + self.biases
        self.inputs: list = []  # distinct input boxes, in order of first use
        self.uses: dict = {}  # input box -> number of edges


class BoxGraph:
    """The View's boxes in topological order of the box graph (ties: graph order), with their
    inputs; `node_box` maps a node drawn inside a box to it, `param_box` a parameter to the
    boxes that show it."""

    largest_weight: float  # the largest |w| of the neurons drawn: set on first use by _largest_weight

    def __init__(self, view):
        keys = view.boxes()
        inputs_of = {key: [view.box_of.get(p) for p in view.inputs_of(key)] for key in keys}
        order = _box_order(view, keys, inputs_of)
        self.boxes = [Box(view, key, n) for n, key in enumerate(order)]
        by_key = {box.key: box for box in self.boxes}
        for box in self.boxes:
            for key in inputs_of[box.key]:
                if key is None:
                    continue
                other = by_key[key]
                if other not in box.uses:
                    box.inputs.append(other)
                    box.uses[other] = 0
                box.uses[other] += 1
        self.node_box = {m: box for box in self.boxes for m in box.members}
        self.param_box: dict = {}
        for box in self.boxes:
            for p in box.params:
                self.param_box.setdefault(p, []).append(box)
        self.counted = [
            b for b in self.boxes if not (b.node is not None and not b.node.parents and not b.node.requires_grad)
        ]
        self.groups = [b for b in self.boxes if b.group is not None]


def _box_order(view, keys: list, inputs_of: dict) -> list:
    """Kahn's algorithm over the boxes, taking the box whose first node comes first in the graph."""
    index = {node: i for i, node in enumerate(view.nodes)}
    users: dict = {key: set() for key in keys}
    pending = {}
    for key in keys:
        distinct = {k for k in inputs_of[key] if k is not None}
        pending[key] = len(distinct)
        for k in distinct:
            users[k].add(key)
    first = {key: min(index[m] for m in view.members_of(key)) for key in keys}
    position = {k: n for n, k in enumerate(keys)}
    heap = [(first[k], position[k], k) for k in keys if pending[k] == 0]
    heapq.heapify(heap)
    order = []
    while heap:
        _, _, key = heapq.heappop(heap)
        order.append(key)
        for user in users[key]:
            pending[user] -= 1
            if pending[user] == 0:
                heapq.heappush(heap, (first[user], position[user], user))
    return order


def build(
    root: Value, collapse: str, *, max_nodes, number_format: str, title: Optional[str], rankdir: str, timeout: float
) -> Explorer:
    """The collapsed explorer (see `autograd.explore`)."""
    view, _ = build_view(root, collapse=collapse, where="explore")
    graph = BoxGraph(view)
    kind = "neuron" if collapse == "neuron" else "layer"
    if max_nodes is not None and len(graph.counted) > max_nodes:
        other = '"layer"' if collapse == "neuron" else '"neuron"'
        raise GraphTooLargeError(
            f"explore: the {kind} view of the graph has {len(graph.counted)} boxes, more than max_nodes={max_nodes}. "
            f"Try collapse={other}, or a smaller graph (one sample), or pass max_nodes=None to step through all of it."
        )
    fmt = reader_formatter(number_format)
    names, box_names = _names(root, view, graph)
    steps = backward_steps(root)
    replay = Replay(root, graph, steps, fmt)
    root_box = graph.node_box[root]
    played = [frames.start_frame(_start_text(graph, names[root], kind))] + _forward_frames(graph, names, box_names, fmt)
    replay.show(root, -1)
    grad = replay.out_grad(root_box)
    assert grad is not None  # the root is among its box's outputs, and always has a gradient
    played.append(frames.seed_frame(root_box.id, names[root], grad, fmt))
    number = 0
    for box in reversed(graph.boxes):
        if box in replay.flows:
            number += 1
            played += _box_frames(box, number, replay, names, box_names, fmt)
    played.append(
        frames.done_frame(
            "Done: every box shows its real gradients: what backward() writes (the output's grad, and its parameters' grads)."
        )
    )
    entries = [_entry(box, root, names, steps.grads, fmt) for box in graph.boxes]
    data = {
        "version": 1,
        "title": title or f"Backprop through {names[root]}, one box per {kind}",
        "root": root_box.id,
        "nodes": entries,
        "frames": played,
        "svg": drawing.svg_of(_dot_lines(graph, entries, rankdir, collapse), root, timeout=timeout, collapsed=True),
        "backward_steps": len(steps),
        "subgraph": None,
        "highlight": None,
        "collapse": collapse,
    }
    return Explorer(root, data, steps, [b.outputs[0] if len(b.outputs) == 1 else b.outputs for b in graph.boxes])


def _names(root: Value, view, graph: BoxGraph) -> tuple:
    """The name of every node drawn (or output of a group) and of every box."""
    raw = frames.short_names(node_names(root, view.nodes))
    names = {}
    for box in graph.boxes:
        if box.group is None:
            names[box.node] = raw[box.node]
        else:
            for j, out in enumerate(box.outputs):
                names[out] = box.group.name if len(box.outputs) == 1 else f"{box.group.name}[{j}]"
    names.setdefault(root, raw[root])
    box_names = {box: (box.group.name if box.group is not None else names[box.node]) for box in graph.boxes}
    return names, box_names


# -- replaying the engine's pass ---------------------------------------------------------------------


class Replay:
    """The engine's contributions, and the gradients as far as the frames have shown them.

    `flows[box]`: (position, child, Contribution) for each contribution the box's nodes pass,
    in engine order; `locals[(node, k)]`: the engine's local derivative on each edge."""

    def __init__(self, root: Value, graph: BoxGraph, steps, fmt):
        self.root, self.graph, self.fmt = root, graph, fmt
        self.grads = steps.grads
        self.locals: dict = {}
        self.incoming: dict = {}  # node -> [(position, contribution, engine total after it)]
        self.flows: dict = {}
        self.shown: dict = {}  # node -> positions of the contributions shown so far
        position = 0
        for step in steps:
            box = graph.node_box.get(step.node)
            for c in step.contributions:
                self.locals[(step.node, c.index)] = c.local
                if c.total is None:
                    continue
                self.incoming.setdefault(c.parent, []).append((position, c.contribution, c.total))
                if box is not None:
                    self.flows.setdefault(box, []).append((position, step.node, c))
                position += 1

    def show(self, node, position: int) -> None:
        self.shown.setdefault(node, set()).add(position)

    def total(self, node) -> float:
        """The node's gradient as far as the frames have shown: the engine's running total when
        the contributions shown are the first ones the engine added (always, at the end)."""
        seq = self.incoming.get(node, [])
        seen = self.shown.get(node, set())
        base = 1.0 if node is self.root else 0.0
        if not seen:
            return base
        m = len(seen)
        if node is not self.root and all(seq[i][0] in seen for i in range(m)):
            return seq[m - 1][2]
        return math.fsum([base] + [c for p, c, _ in seq if p in seen])

    def out_grad(self, box) -> Optional[float]:
        """The box's output gradient as shown (a norm for a layer), None before any arrives."""
        values = [self.total(o) if (o is self.root or o in self.shown) else None for o in box.outputs]
        if all(v is None for v in values):
            return None
        return values[0] if len(values) == 1 else euclidean(v or 0.0 for v in values)

    def param_grads(self, box) -> dict:
        """The box's parameter gradients as far as the frames have shown them."""
        return _param_grads(box, self.total, self.fmt)


def _param_grads(box: Box, grad_of, fmt) -> dict:
    """A group box's parameter gradients ("w": the norm, or a lone bias itself) and their texts."""
    result = {}
    for name, params in (("w", box.weights), ("b", box.biases)):
        if params:
            values = [grad_of(p) for p in params]
            result[name] = values[0] if name == "b" and len(values) == 1 else euclidean(values)
            result[name + "_text"] = _param_text(name, values, fmt, box.group.kind)
    return result


# -- frames ------------------------------------------------------------------------------------------


def _start_text(graph: BoxGraph, root_name: str, kind: str) -> str:
    if not graph.groups:
        return (
            f"No nn {kind}s found in this graph (nn labels its parameters layers.0.neurons.3.w.1): "
            f"every value is its own box. Press ▶ or →."
        )
    return (
        f"The graph of {root_name}, one box per nn {kind}: {len(graph.counted)} boxes "
        f"({len(graph.groups)} {kind}s). Press ▶ or → to run the forward pass."
    )


def _forward_frames(graph: BoxGraph, names: dict, box_names: dict, fmt) -> list:
    leaves = [b for b in graph.boxes if b.group is None and not b.node.parents]
    played = []
    if leaves:
        played.append(
            {
                "kind": "forward",
                "nodes": [b.id for b in leaves],
                "node": None,
                "text": "Forward pass: the inputs and constants hold their values.",
            }
        )
    for box in graph.boxes:
        if box.group is not None:
            played.append(
                {"kind": "forward", "nodes": [box.id], "node": box.id, "text": _group_forward_text(box, box_names, fmt)}
            )
        elif box.node.parents:
            played.append(frames.value_forward_frame(box.node, box.id, names, fmt))
    return played


def _box_frames(box: Box, number: int, replay: Replay, names: dict, box_names: dict, fmt) -> list:
    """The backward frames of one box: its parameters' gradients (a `box` frame), then one
    `edge` frame per input box its gradient crosses to."""
    crossing: dict = {}  # input box -> the contributions crossing to it
    touched = []  # boxes whose parameters this box passes gradient to
    for position, child, c in replay.flows[box]:
        target = replay.graph.node_box.get(c.parent)
        if target is not None and target is not box:
            crossing.setdefault(target, []).append((position, child, c))
            continue
        replay.show(c.parent, position)  # inside the box, or a parameter drawn inside its box
        if target is None:
            touched += [b for b in replay.graph.param_box.get(c.parent, ()) if b not in touched]

    def updates() -> list:
        return [{"node": b.id, **replay.param_grads(b)} for b in touched]

    played = []
    name = box_names[box]
    if box.group is not None:
        text = _box_text(box, name, replay.out_grad(box), replay.param_grads(box), fmt)
        played.append(
            {"kind": "box", "node": box.id, "step": number, "node_name": name, "params": updates(), "text": text}
        )
        touched = []
    targets = [t for t in box.inputs if t in crossing]
    if not targets and touched:  # a value whose only inputs are parameters inside boxes
        return played + [
            {
                "kind": "box",
                "node": box.id,
                "step": number,
                "node_name": name,
                "params": updates(),
                "text": f"{name} passes its gradient to parameters drawn inside their boxes.",
            }
        ]
    for n, target in enumerate(targets):
        frame = _edge_frame(box, target, crossing[target], number, replay, names, box_names, fmt)
        frame["params"] = updates() if n == 0 else []
        played.append(frame)
    return played


def _edge_frame(
    box: Box, target: Box, edges: list, number: int, replay: Replay, names: dict, box_names: dict, fmt
) -> dict:
    """The frame of the gradient crossing from `box` to `target` (`edges`: the contributions)."""
    before = replay.out_grad(target)
    for position, _, c in edges:
        replay.show(c.parent, position)
    after = replay.out_grad(target)
    contributions: dict = {}
    for _, _, c in edges:
        contributions[c.parent] = contributions.get(c.parent, 0.0) + c.contribution
    k = box.inputs.index(target)
    if box.node is not None:  # a value box (a group box has no node)
        expression = frames.expression(box.node, names, fmt, False)
    else:
        expression = formula(box.group)
    frame = {
        "kind": "edge",
        "step": number,
        "node": box.id,
        "parent": target.id,
        "k": k,
        "node_name": box_names[box],
        "parent_name": box_names[target],
        "node_expression": expression,
        "edge": f"e{box.index}_{k}",
        "op_edge": f"o{box.index}" if box.group is None else None,
        "merge": before is not None,
        "total": after,
        "total_text": fmt(after),
        "previous": before,
        "previous_text": fmt(before) if before is not None else None,
    }
    upstream = [replay.grads.get(o, 0.0) for o in box.outputs]
    flow = _scalar_flow if len(box.outputs) == 1 and len(target.outputs) == 1 else _vector_flow
    frame.update(flow(box, target, upstream, contributions, replay, box_names, fmt, before, after))
    return frame


def _received(grad: str, before, after, fmt, contribution: str = "") -> str:
    """`x.grad = 3`, or `x.grad += 1 → 4` when x already held a gradient (`grad`: "x.grad")."""
    if before is None:
        return f"{grad} = {fmt(after)}"
    return f"{grad} +={' ' + contribution if contribution else ''} → {fmt(after)}"


def _scalar_flow(box, target, upstream, contributions, replay, box_names, fmt, before, after) -> dict:
    out, inp = box.outputs[0], target.outputs[0]
    local = _through(box, out, replay.locals).get(inp)
    contribution = contributions.get(inp, 0.0)
    times = box.uses[target]
    via = f" (summed over its {times} uses)" if times > 1 else ""
    name, other = box_names[box], box_names[target]
    local_text = fmt(local) if local is not None else "undefined"
    return {
        "vector": False,
        "upstream": upstream[0],
        "local": local,
        "contribution": contribution,
        "upstream_text": fmt(upstream[0]),
        "local_text": local_text,
        "contribution_text": fmt(contribution),
        "text": (
            f"{name} → {other}: local ∂{name}/∂{other} = {local_text}{via} × upstream {fmt(upstream[0])} = "
            f"{fmt(contribution)};  {_received(other + '.grad', before, after, fmt, fmt(contribution))}"
        ),
    }


def _vector_flow(box, target, upstream, contributions, replay, box_names, fmt, before, after) -> dict:
    vector = [contributions.get(o, 0.0) for o in target.outputs]
    n_out, n_in = len(box.outputs), len(target.outputs)
    up, down = fmt(euclidean(upstream)), fmt(euclidean(vector))
    name, other = box_names[box], box_names[target]
    return {
        "vector": True,
        "upstream": euclidean(upstream),
        "local": None,
        "contribution": euclidean(vector),
        "upstream_text": f"|{up}|",
        "local_text": f"Jᵀ {n_in}×{n_out}",
        "contribution_text": f"|{down}|",
        "flow_head": "Jᵀ · upstream = contribution (norms)",
        "flow_main": f"|{up}| → |{down}|",
        "text": (
            f"{name} → {other}: each of the {n_in} output{'s' if n_in > 1 else ''} of {other} gets "
            f"Σ local ∂out/∂in × upstream over the {n_out} output{'s' if n_out > 1 else ''} of {name} "
            f"(the Jacobian, transposed, times the upstream vector, |upstream| = {up}): |contribution| = {down}; "
            f"{_received('|' + other + '.grad|', before, after, fmt)}"
        ),
    }


def _through(box: Box, out: Value, step_locals: dict) -> dict:
    """d out / d x for the nodes x inside `box` and its inputs, along paths inside the box: the
    products of the engine's local derivatives (each from the op's rule), summed over paths."""
    inside = set(box.members)
    d = {out: 1.0}
    for m in reversed(box.members):
        if m not in d or m not in inside:
            continue
        for k, p in enumerate(m.parents):
            local = step_locals.get((m, k))
            if local is None:
                if (m, k) in step_locals:
                    d[p] = math.nan
                continue
            d[p] = d.get(p, 0.0) + d[m] * local
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}


# -- texts -------------------------------------------------------------------------------------------


def _param_text(name: str, values: list, fmt, kind: str, pending: bool = False) -> str:
    title = name.upper() if name == "w" else name
    if pending:  # before the box's backward frame
        return f"|grad {title}| ·" if kind == "layer" else f"grad {name} ·"
    if kind == "layer":
        return f"|grad {title}| {fmt(euclidean(values))}"
    if len(values) == 1:
        return f"grad {name} {fmt(values[0])}"
    if len(values) <= 3:
        return f"grad {name} [" + ", ".join(fmt(v) for v in values) + "]"
    return f"|grad {name}| {fmt(euclidean(values))}"


def _group_forward_text(box: Box, box_names: dict, fmt) -> str:
    group = box.group
    ins = ", ".join(dict.fromkeys(box_names[t] for t in box.inputs)) or "its inputs (numbers)"
    if group.kind == "neuron":
        out = box.outputs[0]
        pre = next((m for m in group.members if m.op == "add"), None)
        if group.activation != "linear" and pre is not None:
            return f"Forward: {group.name} = {group.activation}(w·x + b) over {ins} = {group.activation}({fmt(pre.data)}) = {fmt(out.data)}"
        return f"Forward: {group.name} = {formula(group)} over {ins} = {fmt(out.data)}"
    values = [o.data for o in box.outputs]
    zeros = sum(1 for v in values if v == 0)
    extra = f"; {zeros} of {len(values)} are 0" if zeros and group.activation == "relu" else ""
    return f"Forward: {group.name}: {summary(group)} over {ins}: |out| = {fmt(euclidean(values))}{extra}"


def _box_text(box: Box, name: str, g, params: dict, fmt) -> str:
    group = box.group
    upstream = "|grad out|" if len(box.outputs) > 1 else "grad"
    parts = [params[k] for k in ("w_text", "b_text") if k in params]
    return (
        f"{name}: its output gradient is complete ({upstream} = {fmt(g)}, the sum over its uses). Inside the "
        f"{group.kind} the engine passes it back through {formula(group)} to its parameters: " + "; ".join(parts) + "."
    )


# -- node entries and the picture --------------------------------------------------------------------


def _entry(box: Box, root: Value, names: dict, grads: dict, fmt) -> dict:
    if box.group is None:
        node = box.node
        assert node is not None  # a value box
        return frames.value_entry(
            node,
            box.id,
            root=root,
            names=names,
            fmt=fmt,
            grad=grads.get(node) if node.requires_grad else None,
            parents=[t.id for t in box.inputs],
        )
    return group_entry(box, root, grads, fmt)


def group_entry(box: Box, root: Value, grads: dict, fmt) -> dict:
    """What the player shows for an nn neuron or layer box."""
    group = box.group
    layer = group.kind == "layer" and len(box.outputs) > 1
    data = euclidean(o.data for o in box.outputs) if layer else box.outputs[0].data
    values = [grads.get(o, 0.0) for o in box.outputs]
    grad = values[0] if len(values) == 1 else euclidean(values)
    params = _param_grads(box, lambda p: grads.get(p, 0.0), fmt)
    note = summary(group)
    return {
        "id": box.id,
        "name": group.name,
        "label": group.name,
        "op": group.kind,
        "role": "output" if root in box.members else group.kind,
        "kind": group.kind,
        "expression": formula(group),
        "note": note,
        "info": note if group.kind == "neuron" else f"{formula(group)}; {note}",
        "data": data,
        "data_text": fmt(data),
        "data_label": "|out|" if layer else "out",
        "grad": grad,
        "grad_text": fmt(grad),
        "grad_label": "|grad out|" if layer else "grad",
        "requires_grad": True,
        "parents": [t.id for t in box.inputs],
        "boundary": False,
        "lines": ["name", "note", "data", "grad"] + [k for k in ("w", "b") if k in params],
        "params": params,
        "width": len(box.outputs),
        "pending": {k: _param_text(k, [], fmt, group.kind, pending=True) for k in ("w", "b") if k in params},
        "n_weights": len(box.weights),
        "n_biases": len(box.biases),
    }


def _dot_lines(graph: BoxGraph, entries: list, rankdir: str, collapse: str) -> list:
    lines = drawing.header(rankdir, ranksep=0.55 if collapse == "neuron" else 0.9, nodesep=0.25, edge_width=1.1)
    # Value boxes first, then the neurons (layers) by name: "neurons.2" before "neurons.10".
    drawn = sorted(
        zip(graph.boxes, entries),
        key=lambda be: (be[0].group is not None, natural_key(be[0].group.name) if be[0].group else [], be[0].index),
    )
    rank = {box: n for n, (box, _) in enumerate(drawn)}
    edges: list = []
    for box, entry in drawn:
        i = box.index
        if box.group is None:
            line, ops = drawing.value_lines(box.node, entry, i)
            lines += [line] + ops
            if ops:
                edges += [drawing.edge_line(inp.index, f"op{i}", i, k) for k, inp in enumerate(box.inputs)]
            continue
        lines.append(drawing.group_line(entry, i, box.group.name))
        weights = _input_weights(graph, box)
        largest = _largest_weight(graph)
        for k, inp in sorted(enumerate(box.inputs), key=lambda ki: rank[ki[1]]):
            if inp in weights:  # into a neuron: the weight's sign and size, as the pictures draw it
                weight, strong = weights[inp]
                edges.append(
                    drawing.edge_line(inp.index, f"v{i}", i, k, attrs=weight_edge(weight, largest, strong), weight=True)
                )
            else:
                edges.append(drawing.edge_line(inp.index, f"v{i}", i, k))
    return lines + edges + _layer_order(graph)


def _input_weights(graph: BoxGraph, box: Box) -> dict:
    """Input box -> (summed weight, one of the strongest) for a neuron box; {} for others."""
    if box.group is None or box.group.kind != "neuron":
        return {}
    pairs = input_weights(box.group)
    strong = strongest(pairs)
    found: dict = {}
    for k, (x, w) in enumerate(pairs):
        source = graph.node_box.get(x)
        if source is None:
            continue
        weight, was_strong = found.get(source, (0.0, False))
        found[source] = (weight + w.data, was_strong or k in strong)
    return found


def _largest_weight(graph: BoxGraph) -> float:
    if not hasattr(graph, "largest_weight"):
        graph.largest_weight = max(
            (
                abs(w.data)
                for b in graph.groups
                if b.group.kind == "neuron"
                for x, w in input_weights(b.group)
                if x in graph.node_box and math.isfinite(w.data)
            ),
            default=0.0,
        )
    return graph.largest_weight


def _layer_order(graph: BoxGraph) -> list:
    """Each layer's neuron boxes (per sample) in numeric order, top to bottom: a same-rank chain of
    invisible edges (dot keeps its order; it does not inside a cluster, so the boxes have none)."""
    layers: dict = {}
    for box in graph.groups:
        if box.group.kind == "neuron":
            layers.setdefault(layer_key(box.group), []).append(box)
    lines = []
    for boxes in layers.values():
        if len(boxes) > 1:
            boxes.sort(key=lambda b: natural_key(b.group.name))
            lines.append("\t{rank=same; " + " -> ".join(f"v{b.index}" for b in boxes) + " [style=invis]}")
    return lines
