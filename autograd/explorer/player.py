"""`explore(root)`: step through the forward and the backward pass of a graph.

The explorer is data first: `Explorer.data` holds the graph (an SVG laid out by Graphviz), the
values, the gradients and one frame per event (a value computed in the forward pass, an edge
used in the backward pass), all built here in Python from `backward_steps` (the engine's own
pass). The same JavaScript player shows it in Jupyter (an anywidget widget) and in one
self-contained HTML page (`save_html`); both work offline, with no network request.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import os
import re
from importlib import resources
from typing import Optional, Union

from autograd.engine import topological_order
from autograd.explorer.chain import count_paths, paths as _paths
from autograd.explorer.steps import backward_steps, node_names
from autograd.files import write_atomically
from autograd.render.dot import _role, cluster_blocks  # as the pictures draw them
from autograd.value import Value

__all__ = ["explore", "Explorer", "GraphTooLargeError"]

DEFAULT_MAX_NODES = 150  # value nodes shown; beyond this a step-through stops being readable
MAX_PATHS_PER_LEAF = 24  # paths listed per leaf in the node panel
FINITE_DIFFERENCE_LIMIT = 2_000_000  # leaves × nodes (two forward passes per leaf); above: no estimates

ROLE_FILL = {"input": "#dbeafe", "constant": "#f3f4f6", "intermediate": "#ffffff", "output": "#dcfce7"}
OP_FILL = "#fef3c7"
INFIX = {"add": "+", "sub": "−", "mul": "×", "div": "/", "pow": "**"}
SYMBOLS = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "pow": "^", "neg": "−", "sigmoid": "σ", "sum": "Σ", "dot": "·"}

try:  # the same error class as the pictures when they have one
    from autograd.render import GraphTooLargeError as _RenderTooLarge
except ImportError:  # pragma: no cover - render is being reorganised
    _RenderTooLarge = ValueError


class GraphTooLargeError(_RenderTooLarge):
    """The graph has more nodes than `max_nodes` to step through; the message says what to do."""


# -- the graph shown -------------------------------------------------------------------------------


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
            raise TypeError(f"explore: around must be a Value, a list of Values or an nn module, got {type(around).__name__}: {around!r}") from None
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


def _fmt(number_format):
    def fmt(x) -> str:
        if x is None:
            return "undefined"
        if isinstance(x, float) and not math.isfinite(x):
            return "nan" if math.isnan(x) else ("inf" if x > 0 else "−inf")
        if x == 0:
            return "0"  # not "-0": a relu's 0 × a negative upstream is 0 to a reader
        text = format(x, number_format)
        return text.replace("-", "−") if text.startswith("-") else text

    return fmt


def _expression(node: Value, names: dict, fmt, values: bool) -> str:
    """`a × b`, `tanh(a)`, `dot(w0, w1, x0, x1)`: how a node is computed from its parents."""
    if not node.parents:
        return names[node]
    args = [fmt(p.data) if values else names[p] for p in node.parents]
    op = node.op
    if op in INFIX and len(args) == 2:
        return f"{args[0]} {INFIX[op]} {args[1]}"
    if op == "neg":
        return f"−{args[0]}"
    if len(args) > 6:
        args = args[:3] + ["…"] + args[-2:]
    return f"{op}({', '.join(args)})"


def _finite_differences(order: list, root: Value, leaves: list) -> dict:
    """Central differences d root / d leaf, re-running the forward pass with the op table's own
    forwards (no Value is changed); None where a perturbed input leaves an op's domain."""
    index = {node: i for i, node in enumerate(order)}
    base = [node.data for node in order]
    programme = [(i, node.op_entry.forward, [index[p] for p in node.parents]) for i, node in enumerate(order) if node.parents]

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


# -- layout: DOT text -> SVG ------------------------------------------------------------------------


def _dot_text(order, shown, root, names, fmt, texts, rankdir, clusters) -> str:
    from autograd.render import _escape  # escapes labels exactly as the pictures do

    index = {node: i for i, node in enumerate(order)}
    lines = [
        "digraph explore {",
        f"\trankdir={rankdir}",
        '\tgraph [fontname="Helvetica" nodesep=0.3 ranksep=0.45 bgcolor="transparent" pad=0.2]',
        '\tnode [fontname="Helvetica" fontsize=11 penwidth=1.2 color="#4b5563"]',
        '\tedge [color="#9ca3af" arrowsize=0.6 penwidth=1.2]',
    ]
    groups: dict = {}
    for node in order:
        if node not in shown:
            continue
        i, role = index[node], _role(node, root)
        name = names[node]
        group = clusters.get(node) if clusters else None
        if group and name.startswith(group + "."):
            name = name[len(group) + 1:]  # the cluster's title says the rest: w.0 inside layers.0.neurons.1
        rows = [name, f"data {texts[node]['data']}"]
        if role != "constant":
            rows.append(f"grad {texts[node]['grad_widest']}")
        label = "<" + "<BR/>".join(_escape(r.replace("−", "-")) for r in rows) + ">"  # ASCII for the layout widths
        style = '"rounded,filled,dashed"' if role == "constant" else '"rounded,filled"'
        line = f'\tv{i} [id="v{i}" class="dg-node dg-{role}" label={label} shape=box style={style} fillcolor="{ROLE_FILL[role]}" margin="0.12,0.05"]'
        (groups.setdefault(group, []) if group else lines).append(line)
        if not node.parents:
            continue
        symbol = _escape(SYMBOLS.get(node.op, node.op_entry.symbol or node.op))
        op_line = f'\top{i} [id="op{i}" class="dg-op" label=<{symbol}> shape=circle style=filled fillcolor="{OP_FILL}" width=0.36 fixedsize=false margin=0.02 fontsize=12]'
        (groups.setdefault(group, []) if group else lines).append(op_line)
        lines.append(f'\top{i} -> v{i} [id="o{i}" class="dg-edge"]')
        for k, parent in enumerate(node.parents):
            if parent in shown:
                lines.append(f'\tv{index[parent]} -> op{i} [id="e{i}_{k}" class="dg-edge"]')
    lines += cluster_blocks(groups, 'style="rounded,dashed" color="#cbd5e1" fontname="Helvetica" fontsize=10 fontcolor="#64748b"')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_to_svg(dot_text: str, timeout: float = 60.0) -> str:
    """SVG text for DOT text: Graphviz's `dot` if installed, else the pip-installed `graphviz-pure`.

    The one place the explorer runs a layout program: the render package's runner when it has
    one (`autograd.render.backend.run`), else the same search done here.
    """
    try:
        from autograd.render.backend import run  # the pictures' program finder, where it exists
    except ImportError:
        run = None
    if run is not None:
        return run(dot_text, "svg", timeout=timeout, where="explore").decode("utf-8")
    import shutil
    import subprocess
    import sys

    program = shutil.which("dot") or shutil.which("graphviz-pure")
    if program is None:
        beside = os.path.join(os.path.dirname(sys.executable), "graphviz-pure")
        program = beside if os.path.exists(beside) else None
    if program is None:
        raise RuntimeError(
            "explore: no Graphviz layout program found: install the 'graphviz-pure' package "
            "(pip install graphviz-pure) or Graphviz's 'dot'"
        )
    try:
        done = subprocess.run([program, "-Tsvg"], input=dot_text.encode("utf-8"), capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"explore: laying out the graph took longer than {timeout} s; show a smaller part (around=...)") from None
    if done.returncode != 0:
        raise RuntimeError(f"explore: {os.path.basename(program)} failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout.decode("utf-8")


def _inline_svg(svg: str) -> str:
    """The <svg> element alone, sized by CSS (its viewBox kept), ready to put inside a page."""
    start = svg.find("<svg")
    if start < 0:
        raise RuntimeError("explore: the layout program returned no <svg> element")
    svg = svg[start:]
    svg = re.sub(r'<svg width="[^"]*" height="[^"]*"', '<svg class="dg-graph"', svg, count=1)
    return re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)


# -- the explorer ------------------------------------------------------------------------------------


class Explorer:
    """A step-through view of root's forward and backward pass (see `explore`).

    `data` is everything the player shows (JSON-ready); `frames` its frames; `steps` the
    `BackwardSteps`; `values` the Values shown, in the order of `data["nodes"]`. In Jupyter it
    displays as a widget; `save_html(path)` writes one page.
    """

    def __init__(self, root: Value, data: dict, steps, values: list):
        self.root = root
        self.data = data
        self.steps = steps
        self.values = values
        self._widget = None

    @property
    def frames(self) -> list:
        return self.data["frames"]

    def frame_of(self, node: Value, parent: Optional[Value] = None) -> int:
        """Index of the first backward frame that processes `node` (and passes to `parent`).

        >>> from autograd import Value, explore
        >>> a = Value(3.0, label="a"); b = Value(2.0, label="b"); y = a * b
        >>> ex = explore(y)
        >>> print(ex.frames[ex.frame_of(y, b)]["text"])
        v2 → b: local ∂v2/∂b = 3 × upstream 1 = 3;  b.grad = 3
        """
        name = self._id(node)
        pid = self._id(parent) if parent is not None else None
        for i, f in enumerate(self.frames):
            if f["kind"] == "edge" and f["node"] == name and (pid is None or f["parent"] == pid):
                return i
        raise ValueError(f"explore: no backward frame for {node!r}" + (f" -> {parent!r}" if parent is not None else ""))

    def state(self, frame: int) -> dict:
        """What the player shows at `frame`: node id -> {"data": float or None, "grad": float or None}.

        >>> from autograd import Value, explore
        >>> a = Value(3.0, label="a"); y = a * a
        >>> ex = explore(y)
        >>> ex.state(0)["v0"], ex.state(len(ex.frames) - 1)["v0"]
        ({'data': None, 'grad': None}, {'data': 3.0, 'grad': 6.0})
        """
        if not 0 <= frame < len(self.frames):
            raise IndexError(f"explore: frame {frame} is outside 0..{len(self.frames) - 1}")
        shown = {n["id"]: {"data": None, "grad": None} for n in self.data["nodes"]}
        for n in self.data["nodes"]:
            if "params" in n:  # a collapsed box: its parameters' gradients too
                shown[n["id"]]["params"] = {k: None for k in ("w", "b") if k in n["params"]}
        for f in self.frames[: frame + 1]:
            for update in f.get("params", ()):
                shown[update["node"]]["params"].update({k: update[k] for k in ("w", "b") if k in update})
            if f["kind"] == "forward":
                for i in f["nodes"]:
                    shown[i]["data"] = self._node(i)["data"]
            elif f["kind"] == "seed" and f["node"] is not None:
                shown[f["node"]]["grad"] = f["grad"]
            for update in f.get("arrived", ()):  # from the part of the graph not drawn
                shown[update["parent"]]["grad"] = update["total"]
            if f["kind"] == "edge":
                shown[f["parent"]]["grad"] = f["total"]
        return shown

    def _node(self, node_id: str) -> dict:
        return next(n for n in self.data["nodes"] if n["id"] == node_id)

    def _id(self, node: Value) -> str:
        for n, v in zip(self.data["nodes"], self.values):
            if v is node:
                return n["id"]
        raise ValueError(f"explore: {node!r} is not shown in this explorer")

    # -- output ----------------------------------------------------------------------------
    def to_html(self, title: Optional[str] = None) -> str:
        """One self-contained HTML page: graph, steps and player inline, no network request."""
        return _page(self.data, title or self.data["title"])

    def save_html(self, path: Union[str, os.PathLike], title: Optional[str] = None) -> str:
        """Write the page to `path` atomically (complete or not at all); return the path.

        >>> import os, tempfile
        >>> from autograd import Value, explore
        >>> x = Value(2.0, label="x"); y = x * x; y.label = "y"
        >>> path = explore(y).save_html(os.path.join(tempfile.mkdtemp(), "square.html"))
        >>> page = open(path, encoding="utf-8").read()
        >>> "default-src 'none'" in page and "http://" not in page.replace("http://www.w3.org", "")
        True
        """
        return write_atomically(path, self.to_html(title))

    def widget(self):
        """The Jupyter widget (anywidget), made once; needs `pip install anywidget`."""
        if self._widget is None:
            self._widget = _widget_class()(data=self.data)
        return self._widget

    def _repr_mimebundle_(self, include=None, exclude=None):
        try:
            return self.widget()._repr_mimebundle_(include=include, exclude=exclude)
        except ImportError:  # no anywidget: the standalone page in a sandboxed frame
            page = html.escape(self.to_html(), quote=True)
            return {
                "text/plain": repr(self),
                "text/html": f'<iframe srcdoc="{page}" sandbox="allow-scripts" style="width:100%;height:860px;border:0"></iframe>',
            }

    def __repr__(self) -> str:
        d = self.data
        what = "boxes" if d.get("collapse") else "values"
        return f"<Explorer of {d['title']}: {len(d['nodes'])} {what}, {d['backward_steps']} backward steps, {len(d['frames'])} frames>"


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
    labels are dotted (`"prefix"` forces it, None turns it off).

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
    if not isinstance(root, Value):
        raise TypeError(f"explore: expected a Value, got {type(root).__name__}: {root!r}")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"explore: rankdir must be one of LR, TB, RL, BT, got {rankdir!r}")
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1):
        raise ValueError(f"explore: max_nodes must be an int >= 1 or None, got {max_nodes!r}")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise ValueError(f"explore: depth must be an int >= 0, got {depth!r}")
    try:
        format(1.5, number_format)
    except (TypeError, ValueError):
        raise ValueError(f"explore: invalid number_format {number_format!r} (try '.4g')") from None
    if clusters not in ("auto", "prefix", None):
        raise ValueError(f"explore: clusters must be 'auto', 'prefix' or None, got {clusters!r}")
    if collapse not in (None, "neuron", "layer"):
        raise ValueError(f"explore: collapse must be None, 'neuron' or 'layer', got {collapse!r}")
    if collapse is not None and (around is not None or highlight_path is not None):
        raise ValueError("explore: collapse cannot be combined with around= or highlight_path= (pick one view)")

    if not root.requires_grad:
        raise ValueError(f"explore: {root!r} is a constant (requires_grad=False): no gradient flows from it, so there is no backward pass to watch")
    if collapse is not None:
        from autograd.explorer import collapsed
        from autograd.render import _escape

        data, steps, values, _ = collapsed.build(
            root, collapse, max_nodes=max_nodes, rankdir=rankdir, number_format=number_format, title=title,
            fmt=_fmt(number_format), dot_to_svg=_dot_to_svg, inline_svg=_inline_svg, escape=_escape,
        )
        return Explorer(root, _json_safe(data), steps, values)
    order = topological_order(root)
    if around is not None:
        centres = _centres(around, order)
        shown = _neighbourhood(order, centres, depth)
    else:
        shown = set(order)
    if max_nodes is not None and len(shown) > max_nodes:
        ops = sum(1 for n in shown if n.parents)
        where = "the part around that value" if around is not None else "the graph"
        raise GraphTooLargeError(
            f"explore: {where} has {len(shown)} values and {ops} ops, more than max_nodes={max_nodes}: too many "
            f"steps to follow one by one.{_collapse_hint(root)} Or show a sub-graph: explore(root, around=some_value, depth=2) "
            f"(the values within 2 edges of it; a neuron's output, or an nn neuron itself: around=model.layers[0].neurons[1]), "
            f"or a smaller depth; or pass max_nodes=None to lay out and step through all of it."
        )

    fmt = _fmt(number_format)
    names = node_names(root, order)
    steps = backward_steps(root)
    grads = steps.grads
    index = {node: i for i, node in enumerate(order)}
    nid = {node: f"v{i}" for node, i in index.items()}
    visible = [n for n in order if n in shown]

    # Frames: start, the forward pass (the shown leaves at once, then one op node at a time),
    # the seed, one frame per edge the backward pass uses, done.
    frames = [{"kind": "start", "text": f"The graph of {names[root]}: {len(visible)} values. Press ▶ or → to run the forward pass."}]
    leaves = [n for n in visible if not n.parents or not any(p in shown for p in n.parents)]
    frames.append({
        "kind": "forward", "nodes": [nid[n] for n in leaves], "node": None,
        "text": "Forward pass: the inputs, parameters and constants hold their values.",
    })
    for node in visible:
        if node in leaves:
            continue
        frames.append({
            "kind": "forward", "nodes": [nid[node]], "node": nid[node],
            "text": f"Forward: {names[node]} = {_expression(node, names, fmt, False)} = {_expression(node, names, fmt, True)} = {fmt(node.data)}",
        })
    root_id = nid[root] if root in shown else None  # a sub-graph may leave the output out
    frames.append({
        "kind": "seed", "node": root_id, "grad": 1.0, "grad_text": fmt(1.0),
        "text": f"Backward pass: start at the output with ∂{names[root]}/∂{names[root]} = 1."
        + ("" if root_id else " (The output is not drawn: gradients arrive from the part not shown.)"),
    })
    running_text: dict = {root: [fmt(1.0)]}
    # Contributions from nodes not drawn (a sub-graph) get no frame of their own: they are
    # applied with the next frame, so every drawn value still ends at its real gradient.
    arrived: list = []
    for step in steps:
        node = step.node
        for c in step.contributions:
            if c.total is None or c.parent not in shown:
                continue
            running_text.setdefault(c.parent, []).append(fmt(c.total))
            if node not in shown:
                arrived.append({"parent": nid[c.parent], "total": c.total, "total_text": fmt(c.total)})
                continue
            merge = c.is_merge
            frames.append({
                "kind": "edge", "step": step.number, "node": nid[node], "parent": nid[c.parent], "k": c.index,
                "node_name": names[node], "parent_name": names[c.parent], "node_expression": _expression(node, names, fmt, False),
                "edge": f"e{index[node]}_{c.index}", "op_edge": f"o{index[node]}",
                "upstream": step.upstream, "local": c.local, "contribution": c.contribution,
                "total": c.total, "previous": c.previous, "merge": merge,
                "upstream_text": fmt(step.upstream), "local_text": fmt(c.local), "contribution_text": fmt(c.contribution),
                "total_text": fmt(c.total), "previous_text": fmt(c.previous) if merge else None,
                "arrived": arrived,
                "text": (
                    f"{names[node]} → {names[c.parent]}: local ∂{names[node]}/∂{names[c.parent]} = {fmt(c.local)} × "
                    f"upstream {fmt(step.upstream)} = {fmt(c.contribution)};  "
                    + (f"{names[c.parent]}.grad += {fmt(c.contribution)} → {fmt(c.total)}" if merge
                       else f"{names[c.parent]}.grad = {fmt(c.total)}")
                ),
            })
            arrived = []
    frames.append({"kind": "done", "arrived": arrived, "text": "Done: every gradient is complete, and equals what backward() writes."})

    leaves_with_grad = [n for n in visible if not n.parents and n.requires_grad]
    affordable = len(leaves_with_grad) * len(order) <= FINITE_DIFFERENCE_LIMIT
    estimates = _finite_differences(order, root, leaves_with_grad) if affordable else {}
    texts = {}
    nodes = []
    for node in visible:
        role = _role(node, root)
        grad = grads.get(node) if node.requires_grad else None
        widest = max(running_text.get(node, ["·"]), key=len)
        texts[node] = {"data": fmt(node.data), "grad_widest": widest}
        entry = {
            "id": nid[node], "name": names[node], "label": node.label, "op": node.op, "role": role,
            "expression": _expression(node, names, fmt, False),
            "data": node.data, "data_text": fmt(node.data),
            "grad": grad, "grad_text": fmt(grad) if grad is not None else None,
            "requires_grad": node.requires_grad,
            "parents": [nid[p] for p in node.parents if p in shown],
            "boundary": any(p not in shown for p in node.parents),
        }
        if node in estimates:
            entry["fd"] = estimates[node]
            entry["fd_text"] = fmt(estimates[node])
            entry["paths"] = _leaf_paths(root, node, names, index, fmt)
        nodes.append(entry)

    use_clusters = clusters == "prefix" or (clusters == "auto" and sum("." in (n.label or "") for n in visible) >= 2)
    cluster_of = _clusters(visible, names) if use_clusters else {}
    svg = _inline_svg(_dot_to_svg(_dot_text(order, shown, root, names, fmt, texts, rankdir, cluster_of)))

    highlight = None
    if highlight_path is not None:
        if not hasattr(highlight_path, "edges") or not highlight_path.nodes or highlight_path.nodes[-1] is not root:
            raise ValueError(f"explore: highlight_path must be a Path from autograd.paths(root, leaf), got {highlight_path!r}")
        highlight = _path_ids(highlight_path, index)
        leaf = highlight_path.nodes[0]
        for k, other in enumerate(_paths(root, leaf, max_paths=None) if count_paths(root, leaf) <= MAX_PATHS_PER_LEAF else []):
            if other.edges == highlight_path.edges:
                highlight["key"] = f"v{index[leaf]}:{k}"
    data = {
        "version": 1,
        "title": title or f"Backprop through {names[root]}",
        "root": root_id,
        "nodes": nodes,
        "frames": frames,
        "svg": svg,
        "backward_steps": len(steps),
        "subgraph": None if around is None else {
            "around": ", ".join(names[c] for c in centres[:3]) + (f" and {len(centres) - 3} more" if len(centres) > 3 else ""),
            "depth": depth, "hidden": len(order) - len(shown),
        },
        "highlight": highlight,
    }
    return Explorer(root, _json_safe(data), steps, visible)


def _collapse_hint(root: Value) -> str:
    """What collapsing would give, for the too-large message: how many neurons and layers."""
    try:
        from autograd.render.dot import build_view

        neurons = len(build_view(root, collapse="neuron", where="explore")[0].groups)
    except Exception:  # the hint must never hide the error it belongs to
        neurons = 0
    if not neurons:
        return (' For an nn model, step through whole neurons or layers: explore(root, collapse="neuron") '
                'or explore(root, collapse="layer") (found from parameter labels like layers.0.neurons.3.w.1; none here).')
    return (f' It has {neurons} nn neurons: step through one box per neuron with explore(root, collapse="neuron"), '
            f'or one box per layer with explore(root, collapse="layer").')


def _json_safe(obj):
    """`obj` with every NaN or infinity replaced by None: JSON (the page's and Jupyter's) has
    no such numbers. Their text fields still say "nan" or "inf"."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_json_safe(v) for v in obj]
    return obj


def _clusters(nodes: list, names: dict) -> dict:
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


def _path_ids(path, index: dict) -> dict:
    edges = []
    for child, k in path.edges:
        edges += [f"e{index[child]}_{k}", f"o{index[child]}"]
    return {"nodes": [f"v{index[n]}" for n in path.nodes] + [f"op{index[c]}" for c, _ in path.edges], "edges": edges}


def _leaf_paths(root: Value, leaf: Value, names: dict, index: dict, fmt) -> dict:
    n = count_paths(root, leaf)
    if n > MAX_PATHS_PER_LEAF:
        return {"count": n, "listed": []}
    listed = []
    for p in _paths(root, leaf, max_paths=None):
        ids = _path_ids(p, index)
        text = names[p.nodes[0]]
        for (child, k), parent in zip(p.edges, p.nodes):
            # a value used twice by one op: say which use (the two edges of a * a)
            slot = f" (input {k + 1})" if sum(q is parent for q in child.parents) > 1 else ""
            text += f" →{slot} {names[child]}"
        listed.append({
            **ids,
            "key": f"v{index[leaf]}:{len(listed)}",
            "text": text,
            "locals": [fmt(d) for d in p.locals],
            "product": p.product,
            "product_text": fmt(p.product),
        })
    return {"count": n, "listed": listed}


# -- the page and the widget ---------------------------------------------------------------------


def _asset(name: str) -> str:
    return resources.files("autograd.explorer").joinpath(name).read_text(encoding="utf-8")


def _json_for_script(data: dict) -> str:
    # Inside <script type="application/json">: no "</script>" or "<!--" can end it early.
    return json.dumps(data, ensure_ascii=False, allow_nan=False).replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


def _page(data: dict, title: str) -> str:
    script = _asset("explorer.js") + "\n" + _asset("page.js")
    style = _asset("explorer.css") + "\n" + _asset("page.css")
    # Nothing may load from anywhere: only this script (by its hash) and this style run.
    csp = f"default-src 'none'; script-src {_csp_hash(script)}; style-src {_csp_hash(style)} 'unsafe-inline'; img-src data:"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{style}</style>\n</head>\n<body>\n"
        '<main id="dagrad-explorer"></main>\n'
        f'<script type="application/json" id="dagrad-data">{_json_for_script(data)}</script>\n'
        f"<script>{script}</script>\n</body>\n</html>\n"
    )


_WIDGET_CLASS = None


def _widget_class():
    global _WIDGET_CLASS
    if _WIDGET_CLASS is None:
        try:
            import anywidget
            import traitlets
        except ImportError as error:
            raise ImportError(
                "explore: the Jupyter widget needs anywidget (pip install anywidget, or dagrad[jupyter]); "
                "without it, explore(root).save_html('backprop.html') writes the same player as a page"
            ) from error

        class ExplorerWidget(anywidget.AnyWidget):
            """The explorer in Jupyter: `data` is the player's data, `frame` the frame shown (synced)."""

            _esm = _asset("explorer.js") + "\n" + _asset("widget.js")
            _css = _asset("explorer.css")
            data = traitlets.Dict().tag(sync=True)
            frame = traitlets.Int(0).tag(sync=True)

        _WIDGET_CLASS = ExplorerWidget
    return _WIDGET_CLASS
