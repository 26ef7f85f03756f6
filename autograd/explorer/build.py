"""`explore(root)`: check the arguments, choose the boxes, build the player's data.

Reading order: `explore` checks its arguments and hands over to `value_view` (every value its
own box, or the part `around` some values) or to `collapsed.build` (one box per nn neuron or
layer). Both start from render's View of the graph (`autograd.render.view.build_view`), take
every number from `backward_steps` (the engine's own pass), and build frames and node entries
with the small functions of `frames.py`; `drawing.py` draws the SVG and `player.Explorer`
holds the result.
"""

from __future__ import annotations

from typing import Optional

from autograd.checks import check_choice, check_format_spec, check_integer, check_real
from autograd.explorer import collapsed, drawing, frames
from autograd.explorer.chain import count_paths, paths
from autograd.explorer.player import Explorer
from autograd.explorer.steps import backward_steps, node_names
from autograd.render.style import reader_formatter
from autograd.render.view import COLLAPSES, GraphTooLargeError, build_view, nn_neurons
from autograd.value import Value

__all__ = ["explore", "DEFAULT_MAX_NODES"]

DEFAULT_MAX_NODES = 150  # value nodes shown; beyond this a step-through stops being readable
DEFAULT_TIMEOUT = 60.0  # seconds the layout program may take
FINITE_DIFFERENCE_LIMIT = 2_000_000  # leaves × nodes (two forward passes per leaf); above: no estimates
RANKDIRS = ("LR", "TB", "RL", "BT")


def explore(
    root: Value,
    *,
    max_nodes: Optional[int] = DEFAULT_MAX_NODES,
    around: Optional[Value] = None,
    depth: int = 2,
    highlight_path=None,
    rankdir: str = "LR",
    number_format: str = ".4g",
    clusters: Optional[str] = "auto",
    title: Optional[str] = None,
    collapse: Optional[str] = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Explorer:
    """Step through root's forward pass, then its backward pass, in the engine's order.

    In Jupyter the result is an interactive widget: the graph with play/pause, step
    forward/back, a slider over all frames and the arrow keys. First the values appear in
    topological order; then the gradients in the order the engine computes them, each edge in
    use labelled `local × upstream = contribution`, and a value used twice shown as
    `grad += contribution`. Hover or click a node for its op, data and grad, and for a leaf a
    finite-difference estimate beside autograd's gradient and its paths to the output.
    `save_html(path)` writes the same player as one self-contained page.

    A graph of more than `max_nodes` values raises `GraphTooLargeError` (the browser would
    not freeze, but nobody can follow hundreds of steps): for an nn model, step through whole
    neurons or layers (`collapse=`, below); or show the part `around` one value
    (or several, or an nn module's parameters: `around=model.layers[1].neurons[3]`), within
    `depth` edges of it (`explore(loss, around=neuron_out, depth=2)`), or pass
    `max_nodes=None`. `highlight_path` (a `Path` from `autograd.paths`) is highlighted from
    the start. `clusters="auto"` groups labelled nn parameters by layer and neuron when the
    labels are dotted (`"prefix"` forces it, None turns it off). The layout program runs for at
    most `timeout` seconds.

    `collapse="neuron"` steps through an nn model one neuron `act(w·x + b)` at a time (the boxes
    of `draw_dot(root, collapse="neuron")`; `"layer"`: one box per layer, with norms): the
    forward pass fills each box's output, then each box receives its output gradient, passes it
    to its own weights and bias, and one frame per edge between boxes shows
    `local × upstream = contribution`. Every number is the engine's (summed from its own
    backward pass); the last frame shows what `backward()` writes. `max_nodes` then counts boxes.

    >>> import nn
    >>> model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    >>> loss = (model([0.5, -0.3]) - 1.0) ** 2
    >>> ex = explore(loss, collapse="neuron")
    >>> sorted(n["name"] for n in ex.data["nodes"] if n["kind"] == "neuron")
    ['layers.0.neurons.0', 'layers.0.neurons.1', 'layers.0.neurons.2', 'layers.1.neurons.0']
    >>> print(next(f["text"] for f in ex.frames if f["kind"] == "edge" and f["node_name"] == "layers.1.neurons.0"))
    layers.1.neurons.0 → layers.0.neurons.0: local ∂layers.1.neurons.0/∂layers.0.neurons.0 = 0.5676 × upstream −1.845 = −1.047;  layers.0.neurons.0.grad = −1.047

    >>> from autograd import Value, explore
    >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
    >>> c = a * b; c.label = "c"
    >>> e = c + a; e.label = "e"
    >>> ex = explore(e)
    >>> [f["kind"] for f in ex.frames]
    ['start', 'forward', 'forward', 'forward', 'seed', 'edge', 'edge', 'edge', 'edge', 'done']
    >>> print(ex.frames[-2]["text"])
    c → b: local ∂c/∂b = 2 × upstream 1 = 2;  b.grad = 2
    >>> print(ex.frames[-3]["text"])
    c → a: local ∂c/∂a = −3 × upstream 1 = −3;  a.grad += −3 → −2
    """
    _check_arguments(
        root, max_nodes, around, depth, highlight_path, rankdir, number_format, clusters, collapse, timeout
    )
    if collapse is not None:
        return collapsed.build(
            root,
            collapse,
            max_nodes=max_nodes,
            number_format=number_format,
            title=title,
            rankdir=rankdir,
            timeout=timeout,
        )
    return value_view(
        root,
        max_nodes=max_nodes,
        around=around,
        depth=depth,
        highlight_path=highlight_path,
        number_format=number_format,
        clusters=clusters,
        title=title,
        rankdir=rankdir,
        timeout=timeout,
    )


def _check_arguments(
    root, max_nodes, around, depth, highlight_path, rankdir, number_format, clusters, collapse, timeout
):
    """Check explore's arguments before any work: a clear error naming the bad one."""
    where = "explore"
    if not isinstance(root, Value):
        raise TypeError(f"{where}: expected a Value, got {type(root).__name__}: {root!r}")
    check_choice(where, "rankdir", rankdir, RANKDIRS)
    check_integer(where, "max_nodes", max_nodes, minimum=1, allow_none=True)
    check_integer(where, "depth", depth, minimum=0)
    check_format_spec(where, "number_format", number_format)
    check_choice(where, "clusters", clusters, ("auto", "prefix", None))
    check_choice(where, "collapse", collapse, COLLAPSES)
    check_real(where, "timeout", timeout, low=0.0)
    if collapse is not None and (around is not None or highlight_path is not None):
        raise ValueError(f"{where}: collapse cannot be combined with around= or highlight_path= (pick one view)")
    if not root.requires_grad:
        raise ValueError(
            f"{where}: {root!r} is a constant (requires_grad=False): no gradient flows from it, so there is no backward pass to watch"
        )


def value_view(
    root: Value,
    *,
    max_nodes,
    around,
    depth: int,
    highlight_path,
    number_format: str,
    clusters,
    title: Optional[str],
    rankdir: str,
    timeout: float,
) -> Explorer:
    """The explorer with every value its own box (or the values within `depth` edges of `around`)."""
    view, _ = build_view(root, where="explore")
    order = view.nodes
    centres = _centres(around, order) if around is not None else None
    if centres is not None:
        shown = _neighbourhood(order, centres, depth)
        view.keep_only({view.box_of[n] for n in shown})
    else:
        shown = set(order)
    _check_size(root, shown, max_nodes, around is not None)
    fmt = reader_formatter(number_format)
    names = frames.short_names(node_names(root, order))
    steps = backward_steps(root)
    index = {node: i for i, node in enumerate(order)}
    ids = {node: f"v{i}" for node, i in index.items()}
    visible = [n for n in order if n in shown]

    leaves = [n for n in visible if not n.parents or not any(p in shown for p in n.parents)]
    root_id = ids[root] if root in shown else None  # a sub-graph may leave the output out
    edges, arrived, grad_texts = frames.edge_frames(steps, shown, ids, index, names, fmt)
    played = (
        [
            frames.start_frame(
                f"The graph of {names[root]}: {len(visible)} values. Press ▶ or → to run the forward pass."
            )
        ]
        + frames.forward_frames(visible, leaves, ids, names, fmt)
        + [
            frames.seed_frame(
                root_id,
                names[root],
                1.0,
                fmt,
                "" if root_id else " (The output is not drawn: gradients arrive from the part not shown.)",
            )
        ]
        + edges
        + [frames.done_frame("Done: every gradient is complete, and equals what backward() writes.", arrived)]
    )
    entries = _value_entries(root, view, visible, steps, names, ids, index, fmt)
    cluster_of = (
        _clusters(visible)
        if clusters == "prefix" or (clusters == "auto" and sum("." in (n.label or "") for n in visible) >= 2)
        else {}
    )
    svg = drawing.svg_of(_dot_lines(view, visible, entries, grad_texts, cluster_of, rankdir), root, timeout=timeout)
    data = {
        "version": 1,
        "title": title or f"Backprop through {names[root]}",
        "root": root_id,
        "nodes": entries,
        "frames": played,
        "svg": svg,
        "backward_steps": len(steps),
        "subgraph": None
        if centres is None
        else {
            "around": ", ".join(names[c] for c in centres[:3])
            + (f" and {len(centres) - 3} more" if len(centres) > 3 else ""),
            "depth": depth,
            "hidden": len(order) - len(shown),
        },
        "highlight": _highlight(root, highlight_path, index),
    }
    return Explorer(root, data, steps, visible)


def _value_entries(root: Value, view, visible: list, steps, names: dict, ids: dict, index: dict, fmt) -> list:
    """The node entries, with a finite-difference estimate and the paths for each leaf (when
    affordable: two forward passes per leaf)."""
    leaves = [n for n in visible if not n.parents and n.requires_grad]
    affordable = len(leaves) * len(view.nodes) <= FINITE_DIFFERENCE_LIMIT
    estimates = _finite_differences(view.nodes, root, leaves) if affordable else {}
    entries = []
    for node in visible:
        box = view.box_of[node]
        entry = frames.value_entry(
            node,
            ids[node],
            root=root,
            names=names,
            fmt=fmt,
            grad=steps.grads.get(node) if node.requires_grad else None,
            parents=[ids[p] for p in node.parents if view.box_of.get(p) is not None],
            boundary=view.missing_inputs(box) > 0,
        )
        if node in estimates:
            entry.update(
                fd=estimates[node], fd_text=fmt(estimates[node]), paths=frames.leaf_paths(root, node, names, index, fmt)
            )
        entries.append(entry)
    return entries


def _dot_lines(view, visible: list, entries: list, grad_texts: dict, cluster_of: dict, rankdir: str) -> list:
    lines = drawing.header(rankdir)
    grouped: dict[str, list[str]] = {}  # cluster name -> its lines
    index = {node: i for i, node in enumerate(view.nodes)}
    for node, entry in zip(visible, entries):
        i, group = index[node], cluster_of.get(node)
        name = entry["name"]
        if group and name.startswith(group + "."):
            name = name[len(group) + 1 :]  # the cluster's title says the rest: w.0 inside layers.0.neurons.1
        widest = max(grad_texts.get(node, ["·"]), key=len)  # the box is sized for its widest gradient
        box, ops = drawing.value_lines(node, entry, i, name=name, grad_text=widest)
        (grouped.setdefault(group, []) if group else lines).extend([box] + ops[:1])
        lines.extend(ops[1:])
        if ops:
            lines += [
                drawing.edge_line(index[p], f"op{i}", i, k)
                for k, p in enumerate(node.parents)
                if view.box_of.get(p) is not None
            ]
    return lines + drawing.clusters(grouped)


def _highlight(root: Value, path, index: dict) -> Optional[dict]:
    if path is None:
        return None
    if not hasattr(path, "edges") or not path.nodes or path.nodes[-1] is not root:
        raise ValueError(f"explore: highlight_path must be a Path from autograd.paths(root, leaf), got {path!r}")
    highlight = frames.path_ids(path, index)
    leaf = path.nodes[0]
    if count_paths(root, leaf) <= frames.MAX_PATHS_PER_LEAF:
        for k, other in enumerate(paths(root, leaf, max_paths=None)):
            if other.edges == path.edges:
                highlight["key"] = f"v{index[leaf]}:{k}"
    return highlight


# -- the part shown --------------------------------------------------------------------------------


def _centres(around, order: list) -> list:
    """`around` as a list of Values of the graph: a Value, several, or an nn module (its parameters)."""
    if isinstance(around, Value):
        values = [around]
    elif hasattr(around, "parameters") and callable(around.parameters):
        values = list(around.parameters())
    else:
        try:
            values = list(around)
        except TypeError:
            raise TypeError(
                f"explore: around must be a Value, a list of Values or an nn module, got {type(around).__name__}: {around!r}"
            ) from None
    in_graph = set(order)
    for v in values:
        if not isinstance(v, Value):
            raise TypeError(f"explore: around must hold Values, got {type(v).__name__}: {v!r}")
        if v not in in_graph:
            raise ValueError(f"explore: around={v!r} is not in the graph of the root")
    if not values:
        raise ValueError("explore: around is empty")
    return values


def _neighbourhood(order: list, centres: list, depth: int) -> set:
    """The nodes within `depth` edges of any of `centres` (either direction) in the graph `order`."""
    children: dict = {}
    for node in order:
        for p in node.parents:
            children.setdefault(p, []).append(node)
    shown, frontier = set(centres), list(centres)
    for _ in range(depth):
        nxt = []
        for node in frontier:
            for other in list(node.parents) + children.get(node, []):
                if other not in shown:
                    shown.add(other)
                    nxt.append(other)
        frontier = nxt
    return shown


def _clusters(nodes: list) -> dict:
    """nn's dotted labels (layers.0.neurons.1.w.0) -> the neuron or layer they belong to."""
    result = {}
    for node in nodes:
        parts = (node.label or "").split(".")
        if len(parts) >= 3:
            keep = parts[:4] if parts[0] == "layers" and len(parts) >= 5 else parts[:-1]
            if keep[-1] in ("w", "b"):
                keep = keep[:-1]
            result[node] = ".".join(keep)
    for node in nodes:  # an unlabelled op consuming one cluster's parameters joins it (a neuron's dot)
        if node not in result and node.parents and not node.label:
            found = {result[p] for p in node.parents if p in result and not p.parents}
            if len(found) == 1:
                result[node] = found.pop()
    return result


def _check_size(root: Value, shown: set, max_nodes: Optional[int], is_part: bool) -> None:
    if max_nodes is None or len(shown) <= max_nodes:
        return
    ops = sum(1 for n in shown if n.parents)
    where = "the part around that value" if is_part else "the graph"
    raise GraphTooLargeError(
        f"explore: {where} has {len(shown)} values and {ops} ops, more than max_nodes={max_nodes}: too many "
        f"steps to follow one by one.{_collapse_hint(root)} Or show a sub-graph: explore(root, around=some_value, depth=2) "
        f"(the values within 2 edges of it; a neuron's output, or an nn neuron itself: around=model.layers[0].neurons[1]), "
        f"or a smaller depth; or pass max_nodes=None to lay out and step through all of it."
    )


def _collapse_hint(root: Value) -> str:
    """What collapsing would give, for the too-large message: how many neurons and layers."""
    neurons = nn_neurons(root)
    if not neurons:
        return (
            ' For an nn model, step through whole neurons or layers: explore(root, collapse="neuron") '
            'or explore(root, collapse="layer") (found from parameter labels like layers.0.neurons.3.w.1; none here).'
        )
    return (
        f' It has {neurons} nn neurons: step through one box per neuron with explore(root, collapse="neuron"), '
        f'or one box per layer with explore(root, collapse="layer").'
    )


# -- numbers -----------------------------------------------------------------------------------------


def _finite_differences(order: list, root: Value, leaves: list) -> dict:
    """Central differences d root / d leaf, re-running the forward pass with the op table's own
    forwards (no Value is changed); None where a perturbed input leaves an op's domain. A value
    with requires_grad=False keeps its data, as the engine treats it: a constant."""
    index = {node: i for i, node in enumerate(order)}
    base = [node.data for node in order]
    programme = [
        (i, node.op_entry.forward, [index[p] for p in node.parents])
        for i, node in enumerate(order)
        if node.parents and node.requires_grad
    ]

    def run(i: int, x: float) -> float:
        data = list(base)
        data[i] = x
        for j, forward, args in programme:
            data[j] = forward(*[data[a] for a in args])
        return data[index[root]]

    estimates = {}
    for leaf in leaves:
        x = leaf.data
        h = 1e-6 * max(1.0, abs(x))
        try:
            estimates[leaf] = (run(index[leaf], x + h) - run(index[leaf], x - h)) / (2 * h)
        except (ArithmeticError, ValueError):
            estimates[leaf] = None
    return estimates
