"""`explore(root, collapse="neuron" | "layer")`: step through backprop one nn neuron (or layer) at a time.

The boxes are the render package's collapsed view (`autograd.render.dot.build_view`, which finds
nn neurons and layers from their parameter labels): no second detection here. Every number
shown comes from the engine's one backward pass (`backward_steps`): a box's gradient is the
running total the engine holds for its output, an edge's contribution is the sum of what the
engine passed across that edge (from the box's nodes to the input box's output), and a box's
parameter gradients are the engine's totals for its weights and bias. The local derivative
printed beside an edge (d box output / d input) is the product of the engine's own local
derivatives along the path inside the box (what `autograd.paths` multiplies), shown so the
reader can check `local × upstream = contribution`.
"""

from __future__ import annotations

import heapq
import math

from autograd.explorer.steps import backward_steps, node_names
from autograd.render.dot import cluster_blocks
from autograd.value import Value

GROUP_FILL = "#ede9fe"


def _norm(numbers) -> float:
    # the same sum as autograd.render.collapse.norm, over numbers instead of Values' .grad
    return math.sqrt(math.fsum(x * x for x in numbers))


class _Box:
    def __init__(self, key, index: int):
        self.key = key
        self.index = index  # position in box topological order
        self.id = f"v{index}"
        self.group = None
        self.node = None  # a value box's node
        self.members: list = []
        self.outputs: list = []
        self.params: list = []
        self.weights: list = []
        self.biases: list = []
        self.inputs: list = []  # distinct input boxes, in order of first use
        self.uses: dict = {}  # input box -> number of edges


def build(root: Value, collapse: str, *, max_nodes, rankdir, number_format, title, fmt, dot_to_svg, inline_svg, escape):
    """The data of a collapsed explorer (see `autograd.explorer.player.explore`)."""
    from autograd.explorer.player import ROLE_FILL, OP_FILL, SYMBOLS, GraphTooLargeError, _expression, _role
    from autograd.render.dot import build_view

    view, _ = build_view(root, collapse=collapse, where="explore")
    order = view.nodes
    index = {node: i for i, node in enumerate(order)}
    kind_word = "neuron" if collapse == "neuron" else "layer"

    # -- the boxes, in topological order of the box graph ----------------------------------------
    keys = view.boxes()
    members = {key: (view.outputs_of(key) if key[0] == "g" else [key[1]]) for key in keys}
    inputs_of = {key: [view.box_of.get(p) for p in view.inputs_of(key)] for key in keys}
    users: dict = {key: set() for key in keys}
    pending = {}
    for key in keys:
        distinct = {k for k in inputs_of[key] if k is not None}
        pending[key] = len(distinct)
        for k in distinct:
            users[k].add(key)
    first = {key: min(index[m] for m in members[key]) for key in keys}
    heap = [(first[k], n, k) for n, k in enumerate(keys) if pending[k] == 0]
    heapq.heapify(heap)
    position = {k: n for n, k in enumerate(keys)}
    topo = []
    while heap:
        _, _, key = heapq.heappop(heap)
        topo.append(key)
        for user in users[key]:
            pending[user] -= 1
            if pending[user] == 0:
                heapq.heappush(heap, (first[user], position[user], user))
    boxes = []
    box_of_key = {}
    for n, key in enumerate(topo):
        box = _Box(key, n)
        if key[0] == "g":
            group = view.groups[key[1]]
            box.group = group
            box.members = list(group.members)
            box.outputs = list(group.outputs)
            box.weights, box.biases = list(group.weights), list(group.biases)
            box.params = box.weights + box.biases
        else:
            box.node = key[1]
            box.members = [key[1]]
            box.outputs = [key[1]]
        boxes.append(box)
        box_of_key[key] = box
    for box in boxes:
        for k in inputs_of[box.key]:
            if k is None:
                continue
            other = box_of_key[k]
            if other not in box.uses:
                box.inputs.append(other)
                box.uses[other] = 0
            box.uses[other] += 1
    node_box = {}
    for box in boxes:
        for m in box.members:
            node_box[m] = box
    param_box = {}
    for box in boxes:
        for p in box.params:
            param_box.setdefault(p, []).append(box)

    counted = [b for b in boxes if not (b.node is not None and not b.node.parents and not b.node.requires_grad)]
    if max_nodes is not None and len(counted) > max_nodes:
        other = '"layer"' if collapse == "neuron" else '"neuron"'
        raise GraphTooLargeError(
            f"explore: the {kind_word} view of the graph has {len(counted)} boxes, more than max_nodes={max_nodes}. "
            f"Try collapse={other}, or a smaller graph (one sample), or pass max_nodes=None to step through all of it."
        )

    # -- names -------------------------------------------------------------------------------------
    raw_names = node_names(root, order)
    names = {}  # every node drawn (or an output of a group) -> the name the reader sees
    for box in boxes:
        if box.group is None:
            names[box.node] = raw_names[box.node]
        else:
            for j, out in enumerate(box.outputs):
                names[out] = box.group.name if len(box.outputs) == 1 else f"{box.group.name}[{j}]"
    box_name = {box: (box.group.name if box.group is not None else names[box.node]) for box in boxes}

    # -- the engine's pass -------------------------------------------------------------------------
    steps = backward_steps(root)
    grads = steps.grads
    step_locals = {}
    # every contribution into a node, in engine order: (position, contribution, engine total after it)
    incoming: dict = {}
    by_box: dict = {}  # box -> list of (position, child, Contribution), in engine order
    position_counter = 0
    for step in steps:
        box = node_box.get(step.node)
        for c in step.contributions:
            step_locals[(step.node, c.index)] = c.local
            if c.total is None:
                continue
            incoming.setdefault(c.parent, []).append((position_counter, c.contribution, c.total))
            if box is not None:
                by_box.setdefault(box, []).append((position_counter, step.node, c))
            position_counter += 1

    shown_pos: dict = {}  # node -> set of positions of contributions shown so far

    def total(node) -> float:
        """The node's gradient as far as the frames have shown: the engine's running total when
        the contributions shown are the first ones the engine added (always, at the end)."""
        seq = incoming.get(node, [])
        seen = shown_pos.get(node, set())
        if node is root:
            base = 1.0
        else:
            base = 0.0
        if not seen:
            return base
        m = len(seen)
        if node is not root and all(seq[i][0] in seen for i in range(m)):
            return seq[m - 1][2]
        return math.fsum([base] + [c for p, c, _ in seq if p in seen])

    def show(node, pos) -> None:
        shown_pos.setdefault(node, set()).add(pos)

    def out_grad(box):
        values = [total(o) if (o is root or o in shown_pos) else None for o in box.outputs]
        if all(v is None for v in values):
            return None
        if len(values) == 1:
            return values[0]
        return _norm(v or 0.0 for v in values)

    def param_grads(box):
        result = {}
        for name, params in (("w", box.weights), ("b", box.biases)):
            if not params:
                continue
            values = [total(p) for p in params]
            result[name] = values[0] if name == "b" and len(values) == 1 else _norm(values)
            result[name + "_text"] = _param_text(name, values, fmt, box.group.kind)
        return result

    # -- the forward frames --------------------------------------------------------------------
    frames = [{"kind": "start", "text": (
        f"The graph of {names.get(root, raw_names[root])}, one box per nn {kind_word}: {len(counted)} boxes "
        f"({sum(1 for b in boxes if b.group is not None)} {kind_word}s). Press ▶ or → to run the forward pass."
        if any(b.group is not None for b in boxes) else
        f"No nn {kind_word}s found in this graph (nn labels its parameters layers.0.neurons.3.w.1): every value is its own box. Press ▶ or →."
    )}]
    leaves = [b for b in boxes if b.group is None and not b.node.parents]
    if leaves:
        frames.append({"kind": "forward", "nodes": [b.id for b in leaves], "node": None,
                       "text": "Forward pass: the inputs and constants hold their values."})
    for box in boxes:
        if box in leaves:
            continue
        frames.append({"kind": "forward", "nodes": [box.id], "node": box.id, "text": _forward_text(box, names, box_name, fmt, _expression)})

    # -- the backward frames -------------------------------------------------------------------
    root_box = node_box[root]
    show(root, -1)
    frames.append({
        "kind": "seed", "node": root_box.id, "grad": out_grad(root_box), "grad_text": fmt(out_grad(root_box)),
        "text": f"Backward pass: start at the output with ∂{names[root]}/∂{names[root]} = 1.",
    })
    number = 0
    for box in reversed(boxes):
        flows = by_box.get(box)
        if not flows:
            continue
        number += 1
        upstream = [grads.get(o, 0.0) for o in box.outputs]
        # what crosses to each input box, and to hidden parameters
        crossing: dict = {}
        own = []
        for pos, child, c in flows:
            target = node_box.get(c.parent)
            if target is box:
                show(c.parent, pos)  # inside the box
            elif target is None:
                own.append((pos, c))  # a parameter drawn inside its box (or a hidden constant)
            else:
                crossing.setdefault(target, []).append((pos, child, c))
        touched_param_boxes = []
        for pos, c in own:
            show(c.parent, pos)
            for b in param_box.get(c.parent, ()):
                if b not in touched_param_boxes:
                    touched_param_boxes.append(b)

        def param_updates():
            return [{"node": b.id, **param_grads(b)} for b in touched_param_boxes]

        if box.group is not None:
            g = out_grad(box)
            frames.append({
                "kind": "box", "node": box.id, "step": number, "node_name": box_name[box], "params": param_updates(),
                "text": _box_text(box, box_name[box], g, param_grads(box), fmt),
            })
            touched_param_boxes = []
        targets = [t for t in box.inputs if t in crossing]
        if not targets and touched_param_boxes:  # a value whose only inputs are parameters inside boxes
            frames.append({"kind": "box", "node": box.id, "step": number, "node_name": box_name[box], "params": param_updates(),
                           "text": f"{box_name[box]} passes its gradient to parameters drawn inside their boxes."})
            continue
        for k_target, target in enumerate(targets):
            edges = crossing[target]
            before = out_grad(target)
            for pos, _, c in edges:
                show(c.parent, pos)
            after = out_grad(target)
            contributions = {}
            for _, _, c in edges:
                contributions[c.parent] = contributions.get(c.parent, 0.0) + c.contribution
            k = box.inputs.index(target)
            frame = {
                "kind": "edge", "step": number, "node": box.id, "parent": target.id, "k": k,
                "node_name": box_name[box], "parent_name": box_name[target],
                "node_expression": _box_expression(box, names, fmt, _expression),
                "edge": f"e{box.index}_{k}", "op_edge": f"o{box.index}" if box.group is None else None,
                "merge": before is not None, "total": after, "total_text": fmt(after),
                "previous": before, "previous_text": fmt(before) if before is not None else None,
                "params": param_updates() if k_target == 0 else [],
            }
            if len(box.outputs) == 1 and len(target.outputs) == 1:
                out, inp = box.outputs[0], target.outputs[0]
                local = _through(box, out, step_locals).get(inp)
                contribution = contributions.get(inp, 0.0)
                frame.update({
                    "vector": False, "upstream": upstream[0], "local": local, "contribution": contribution,
                    "upstream_text": fmt(upstream[0]), "local_text": fmt(local) if local is not None else "undefined",
                    "contribution_text": fmt(contribution),
                })
                times = box.uses[target]
                via = f" (summed over its {times} uses)" if times > 1 else ""
                frame["text"] = (
                    f"{box_name[box]} → {box_name[target]}: local ∂{box_name[box]}/∂{box_name[target]} = {frame['local_text']}{via} × "
                    f"upstream {fmt(upstream[0])} = {fmt(contribution)};  "
                    + (f"{box_name[target]}.grad += {fmt(contribution)} → {fmt(after)}" if before is not None else f"{box_name[target]}.grad = {fmt(after)}")
                )
            else:
                vector = [contributions.get(o, 0.0) for o in target.outputs]
                n_out, n_in = len(box.outputs), len(target.outputs)
                frame.update({
                    "vector": True, "upstream": _norm(upstream), "local": None, "contribution": _norm(vector),
                    "upstream_text": f"|{fmt(_norm(upstream))}|", "local_text": f"Jᵀ {n_in}×{n_out}",
                    "contribution_text": f"|{fmt(_norm(vector))}|",
                    "flow_head": "Jᵀ · upstream = contribution (norms)",
                    "flow_main": f"|{fmt(_norm(upstream))}| → |{fmt(_norm(vector))}|",
                })
                frame["text"] = (
                    f"{box_name[box]} → {box_name[target]}: each of the {n_in} output{'s' if n_in > 1 else ''} of {box_name[target]} gets "
                    f"Σ local ∂out/∂in × upstream over the {n_out} output{'s' if n_out > 1 else ''} of {box_name[box]} "
                    f"(the Jacobian, transposed, times the upstream vector, |upstream| = {fmt(_norm(upstream))}): "
                    f"|contribution| = {fmt(_norm(vector))}; "
                    + (f"|{box_name[target]}.grad| += → {fmt(after)}" if before is not None else f"|{box_name[target]}.grad| = {fmt(after)}")
                )
            frames.append(frame)
    frames.append({"kind": "done", "text": "Done: every box shows its real gradients: what backward() writes (the output's grad, and its parameters' grads)."})

    # -- the nodes (boxes) ---------------------------------------------------------------------
    nodes = []
    for box in boxes:
        if box.group is None:
            node = box.node
            role = _role(node, root)
            g = grads.get(node) if node.requires_grad else None
            entry = {
                "id": box.id, "name": names[node], "label": node.label, "op": node.op, "role": role, "kind": "value",
                "expression": _expression(node, names, fmt, False),
                "data": node.data, "data_text": fmt(node.data),
                "grad": g, "grad_text": fmt(g) if g is not None else None,
                "requires_grad": node.requires_grad,
                "parents": [t.id for t in box.inputs], "boundary": False,
            }
        else:
            group = box.group
            layer = group.kind == "layer" and len(box.outputs) > 1
            data = _norm(o.data for o in box.outputs) if layer else box.outputs[0].data
            g = out_grad_final(box, grads)
            pg = {}
            for name, params in (("w", box.weights), ("b", box.biases)):
                if params:
                    values = [grads.get(p, 0.0) for p in params]
                    pg[name] = values[0] if name == "b" and len(values) == 1 else _norm(values)
                    pg[name + "_text"] = _param_text(name, values, fmt, group.kind)
            lines = ["name", "note", "data", "grad"] + [k for k in ("w", "b") if k in pg]
            entry = {
                "id": box.id, "name": group.name, "label": group.name, "op": group.kind,
                "role": "output" if root in box.members else group.kind, "kind": group.kind,
                "expression": _group_expression(group), "note": _group_note(group),
                "info": _group_note(group) if group.kind == "neuron" else f"{_group_expression(group)}; {_group_note(group)}",
                "data": data, "data_text": fmt(data), "data_label": "|out|" if layer else "out",
                "grad": g, "grad_text": fmt(g), "grad_label": "|grad out|" if layer else "grad",
                "requires_grad": True, "parents": [t.id for t in box.inputs], "boundary": False,
                "lines": lines, "params": pg, "width": len(box.outputs),
                "pending": {k: _param_text(k, [], fmt, group.kind, pending=True) for k in ("w", "b") if k in pg},
                "n_weights": len(box.weights), "n_biases": len(box.biases),
            }
        nodes.append(entry)

    svg = inline_svg(dot_to_svg(_dot(boxes, root, nodes, rankdir, collapse, escape, ROLE_FILL, OP_FILL, SYMBOLS)))
    data = {
        "version": 1,
        "title": title or f"Backprop through {names.get(root, raw_names[root])}, one box per {kind_word}",
        "root": root_box.id,
        "nodes": nodes,
        "frames": frames,
        "svg": svg,
        "backward_steps": len(steps),
        "subgraph": None,
        "highlight": None,
        "collapse": collapse,
    }
    return data, steps, [b.outputs[0] if len(b.outputs) == 1 else b.outputs for b in boxes], boxes


def out_grad_final(box, grads):
    values = [grads.get(o, 0.0) for o in box.outputs]
    return values[0] if len(values) == 1 else _norm(values)


def _through(box, out: Value, step_locals: dict) -> dict:
    """d out / d x for the nodes x inside `box` and its inputs, along paths inside the box: the
    products of the engine's local derivatives (each from the op's rule), summed over paths."""
    inside = set(box.members)
    d = {out: 1.0}
    for m in reversed(box.members):
        if m not in d or m not in inside:
            continue
        for k, p in enumerate(m.parents):
            if not isinstance(p, Value):
                continue
            local = step_locals.get((m, k))
            if local is None:
                if (m, k) in step_locals:
                    d[p] = math.nan
                continue
            d[p] = d.get(p, 0.0) + d[m] * local
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in d.items()}


def _param_text(name: str, values: list, fmt, kind: str, pending: bool = False) -> str:
    if pending:  # before the box's backward frame
        return f"|grad {name.upper() if name == 'w' else name}| ·" if kind == "layer" else f"grad {name} ·"
    if kind == "layer":
        return f"|grad {name.upper() if name == 'w' else name}| {fmt(_norm(values))}"
    if len(values) == 1:
        return f"grad {name} {fmt(values[0])}"
    if len(values) <= 3:
        return f"grad {name} [" + ", ".join(fmt(v) for v in values) + "]"
    return f"|grad {name}| {fmt(_norm(values))}"


def _group_expression(group) -> str:
    act = "" if group.activation in ("linear",) else group.activation
    bias = " + b" if group.biases else ""
    inner = f"w·x{bias}" if group.kind == "neuron" else f"W·x{bias}"
    return f"{act}({inner})" if act else inner


def _group_note(group) -> str:
    if group.kind == "neuron":
        return f"{_group_expression(group)}, {group.width} input{'s' if group.width != 1 else ''}"
    act = group.activation if group.activation != "linear" else "linear"
    return f"{group.width} {act} neuron{'s' if group.width > 1 else ''}, {len(group.weights) // max(1, group.width)} inputs each"


def _box_expression(box, names, fmt, expression) -> str:
    if box.group is None:
        return expression(box.node, names, fmt, False)
    return _group_expression(box.group)


def _forward_text(box, names, box_name, fmt, expression) -> str:
    if box.group is None:
        node = box.node
        return f"Forward: {names[node]} = {expression(node, names, fmt, False)} = {expression(node, names, fmt, True)} = {fmt(node.data)}"
    group = box.group
    ins = ", ".join(dict.fromkeys(box_name[t] for t in box.inputs)) or "its inputs (numbers)"
    if group.kind == "neuron":
        out = box.outputs[0]
        pre = next((m for m in group.members if m.op == "add"), None)
        if group.activation != "linear" and pre is not None:
            return f"Forward: {group.name} = {group.activation}(w·x + b) over {ins} = {group.activation}({fmt(pre.data)}) = {fmt(out.data)}"
        return f"Forward: {group.name} = {_group_expression(group)} over {ins} = {fmt(out.data)}"
    values = [o.data for o in box.outputs]
    zeros = sum(1 for v in values if v == 0)
    extra = f"; {zeros} of {len(values)} are 0" if zeros and group.activation == "relu" else ""
    return f"Forward: {group.name}: {_group_note(group)} over {ins}: |out| = {fmt(_norm(values))}{extra}"


def _box_text(box, name, g, params, fmt) -> str:
    group = box.group
    upstream = "|grad out|" if len(box.outputs) > 1 else "grad"
    parts = []
    if "w_text" in params:
        parts.append(params["w_text"])
    if "b_text" in params:
        parts.append(params["b_text"])
    inside = f"{_group_expression(group)}"
    return (
        f"{name}: its output gradient is complete ({upstream} = {fmt(g)}, the sum over its uses). Inside the "
        f"{group.kind} the engine passes it back through {inside} to its parameters: " + "; ".join(parts) + "."
    )


def _dot(boxes, root, nodes, rankdir, collapse, escape, role_fill, op_fill, symbols) -> str:
    lines = [
        "digraph explore {",
        f"\trankdir={rankdir}",
        f'\tgraph [fontname="Helvetica" nodesep=0.25 ranksep={0.55 if collapse == "neuron" else 0.9} bgcolor="transparent" pad=0.2]',
        '\tnode [fontname="Helvetica" fontsize=11 penwidth=1.2 color="#4b5563"]',
        '\tedge [color="#9ca3af" arrowsize=0.6 penwidth=1.1]',
    ]
    clusters: dict = {}
    def _natural(name: str) -> list:  # "neurons.2" before "neurons.10"
        return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in name.split(".")]

    # Value boxes first, then the neurons (layers) by name: "neurons.2" before "neurons.10", the
    # order dot starts from when it places a layer's boxes (as the collapsed pictures do).
    drawn = sorted(zip(boxes, nodes), key=lambda be: (be[0].group is not None, _natural(be[0].group.name) if be[0].group is not None else [], be[0].index))
    rank = {box: n for n, (box, _) in enumerate(drawn)}
    edges: list = []
    for box, entry in drawn:
        i = box.index
        if box.group is None:
            node = box.node
            role = entry["role"]
            rows = [entry["name"], f"data {entry['data_text']}"]
            if role != "constant":
                rows.append(f"grad {entry['grad_text']}")
            label = "<" + "<BR/>".join(escape(r.replace("−", "-")) for r in rows) + ">"
            style = '"rounded,filled,dashed"' if role == "constant" else '"rounded,filled"'
            lines.append(f'\tv{i} [id="v{i}" class="dg-node dg-{role}" label={label} shape=box style={style} fillcolor="{role_fill[role]}" margin="0.12,0.05"]')
            if node.parents:
                entry = getattr(node, "op_entry", None) or getattr(node, "_op", None)  # the public name where it exists
                symbol = escape(symbols.get(node.op, getattr(entry, "symbol", None) or node.op))
                lines.append(f'\top{i} [id="op{i}" class="dg-op" label=<{symbol}> shape=circle style=filled fillcolor="{op_fill}" width=0.36 fixedsize=false margin=0.02 fontsize=12]')
                lines.append(f'\top{i} -> v{i} [id="o{i}" class="dg-edge"]')
                for k, inp in enumerate(box.inputs):
                    edges.append(f'\tv{inp.index} -> op{i} [id="e{i}_{k}" class="dg-edge"]')
            continue
        group = box.group
        short = group.name
        cluster = None
        if collapse == "neuron" and ".neurons." in group.name:
            cluster, short = group.name.rsplit(".neurons.", 1)
            short = f"neuron {short}"
        params = entry["params"]
        rows = [short, entry["note"], f"{entry['data_label']} {entry['data_text']}", f"{entry['grad_label']} {entry['grad_text']}"]
        rows += [params[k + "_text"] for k in ("w", "b") if k in params]
        label = "<" + "<BR/>".join(escape(r.replace("−", "-")) for r in rows) + ">"
        fill = "#dcfce7" if entry["role"] == "output" else GROUP_FILL
        line = f'\tv{i} [id="v{i}" class="dg-node dg-group" label={label} shape=box style="rounded,filled" fillcolor="{fill}" margin="0.2,0.06"]'
        (clusters.setdefault(cluster, []) if cluster else lines).append(line)
        for k, inp in sorted(enumerate(box.inputs), key=lambda ki: rank[ki[1]]):
            edges.append(f'\tv{inp.index} -> v{i} [id="e{i}_{k}" class="dg-edge"]')
    lines += cluster_blocks(clusters, 'style="rounded,dashed" color="#cbd5e1" fontname="Helvetica" fontsize=11 fontcolor="#475569"')
    lines.extend(edges)
    lines.append("}")
    return "\n".join(lines) + "\n"
