"""The DOT text of a graph: which boxes are drawn, their labels, colours and edges.

The renderer only reads the graph (`topological_order`, `parents`, the op entry). It builds the
DOT text itself, deterministically (node ids from graph order, never `id()`), with every label
escaped, and only then hands it to a dot program (`backend.py`).

A picture may leave part of the graph out (a collapsed view, `max_nodes` with `partial=True`,
`highlight_only`, or a root drawn `within` a bigger graph). Every drawn box then says how many
of its uses (edges to consumers) and inputs are not drawn, so the gradient a box shows can
always be checked against what is on the picture.
"""

from __future__ import annotations

import html
import math
import unicodedata
from collections import deque
from typing import Callable, Iterable, Mapping, Optional, Union

from autograd.engine import topological_order
from autograd.forward import local_partials
from autograd.render import collapse as collapsing
from autograd.value import Value

DEFAULT_MAX_NODES = 500
RANKDIRS = ("LR", "TB", "RL", "BT")
COLLAPSES = (None, "neuron", "layer")
COLORINGS = ("role", "grad", None)
# Graphviz fails on labels of about 16 KB and a long label is unreadable anyway: the picture
# shows the start and an ellipsis (the Value keeps its whole label).
LABEL_LIMIT = 200
# Below this |local derivative| an activation passes (almost) no gradient: saturated or dead.
SATURATED = 1e-3
# color="grad": magnitudes spanning this many decades below the largest get distinct shades.
DECADES = 4

# Role colours: inputs/parameters, constants, intermediates, the output; highlighted paths.
COLORS = {
    "input": "#dbeafe",
    "constant": "#f3f4f6",
    "intermediate": "#ffffff",
    "output": "#dcfce7",
    "group": "#ede9fe",
    "op": "#fef3c7",
    "highlight": "#dc2626",
    "edge": "#6b7280",
    "muted": "#6b7280",
    "missing": "#b45309",
    "saturated": "#7c3aed",
    "negative": (37, 99, 235),  # blue: grad < 0
    "positive": (220, 38, 38),  # red: grad > 0
}


class GraphTooLargeError(ValueError):
    """The picture would have more than `max_nodes` values; raise the limit, collapse, or pass `partial=True`."""


# -- options ---------------------------------------------------------------------------------------


def _formatter(number_format: Union[str, Callable[[float], str]]) -> Callable[[float], str]:
    if callable(number_format):
        return number_format
    if not isinstance(number_format, str):
        raise TypeError(f"to_dot: number_format must be a format spec or a callable, got {number_format!r}")
    try:
        format(1.5, number_format)
    except ValueError:
        raise ValueError(f"to_dot: invalid number_format {number_format!r} (try '.4g' or '.6f')") from None
    return lambda x: format(x + 0.0, number_format)  # + 0.0: a -0.0 reads "0", not "-0"


def _cluster_of(nodes: list, clusters, cluster_depth: Optional[int]) -> dict:
    """Map node -> cluster name for the nodes that belong to one."""
    if clusters is None:
        return {}
    if clusters == "prefix":

        def by_prefix(v: Value) -> Optional[str]:
            return _prefix_of(v.label, cluster_depth)

        name_of = by_prefix
    elif isinstance(clusters, Mapping):
        name_of = clusters.get
    elif callable(clusters):
        name_of = clusters
    else:
        raise TypeError(f"to_dot: clusters must be 'prefix', a mapping or a callable, got {clusters!r}")
    result = {}
    for node in nodes:  # parents come first, so a parent's cluster is known before its child's
        name = name_of(node)
        if name is None and clusters == "prefix" and node.parents and not node.label:
            name = _inherited_cluster(node, result)
        if name is not None:
            result[node] = str(name)
    return result


def _prefix_of(label: str, depth: Optional[int]) -> Optional[str]:
    parts = label.split(".")
    if len(parts) < 2:
        return None
    keep = len(parts) - 1 if depth is None else min(depth, len(parts) - 1)
    return ".".join(parts[:keep]) if keep > 0 else None


def _inherited_cluster(node: Value, cluster_of: dict) -> Optional[str]:
    """An unlabelled op result joins the cluster of the parameters it consumes, so a neuron's
    dot, bias add and activation are drawn inside its layer: the one cluster shared by its
    clustered leaf parents or, failing those, by its clustered interior parents."""
    for wanted_leaf in (True, False):
        names = {cluster_of[p] for p in node.parents if p in cluster_of and (not p.parents) == wanted_leaf}
        if len(names) == 1:
            return names.pop()
        if names:
            return None
    return None


def _on_paths(nodes: list, targets: Iterable[Value]) -> set:
    """Nodes lying on some path from the output down to one of `targets`."""
    reached = set(targets)
    for node in nodes:  # parents come first, so one pass finds everything that depends on a target
        if node not in reached and any(p in reached for p in node.parents):
            reached.add(node)
    return reached


def _local_derivatives(node: Value) -> list:
    """d node / d parent for each parent, from the op's own rules (grad = 1), each rule on its
    own (None where it is undefined: x ** 2 at x < 0 still has its base derivative)."""
    return [None if d is None else float(d) for d in local_partials(node, strict=False)]


def _saturation(node: Value) -> Optional[str]:
    """Why an activation passes almost no gradient back ("dead relu", "saturated tanh"), or None."""
    if node.op not in collapsing.ACTIVATIONS:
        return None
    d = _local_derivatives(node)[0]
    if d is None or abs(d) >= SATURATED:
        return None
    return f"dead {node.op}" if node.op in ("relu",) else f"saturated {node.op}"


# -- text --------------------------------------------------------------------------------------------


def _shorten(text: str, limit: int = LABEL_LIMIT) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escape(text: str) -> str:
    """Text for an HTML-like DOT label: markup, brackets and backslashes escaped, control
    characters made visible."""
    out = []
    for line in str(text).split("\n"):
        visible = "".join(
            ch if unicodedata.category(ch) not in ("Cc", "Cs") else f"\\x{ord(ch):02x}" for ch in line
        )
        escaped = html.escape(visible, quote=True)
        # Graphviz expands \N, \E, \G, ... even in HTML-like labels; a doubled backslash is one
        # backslash. Graphviz 2.43 fails on "]" in an HTML-like label: use the character reference.
        escaped = escaped.replace("\\", "\\\\").replace("[", "&#91;").replace("]", "&#93;")
        out.append(escaped)
    return "<BR/>".join(out)


def _row(left: str, right: str = "", color: Optional[str] = None) -> str:
    if color:
        left = f'<FONT COLOR="{color}">{left}</FONT>'
        right = f'<FONT COLOR="{color}">{right}</FONT>' if right else ""
    if not right:
        return f'<TR><TD COLSPAN="2">{left}</TD></TR>'
    return f'<TR><TD ALIGN="LEFT">{left}</TD><TD ALIGN="RIGHT">{right}</TD></TR>'


def _table(rows: list) -> str:
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">' + "".join(rows) + "</TABLE>>"


def _grad_text(node: Value, fmt) -> str:
    if node.has_grad:
        return _escape(fmt(node.grad))
    return f'<FONT COLOR="{COLORS["muted"]}">not computed</FONT>'


def _missing_rows(missing_uses: int, missing_inputs: int) -> list:
    rows = []
    if missing_uses:
        rows.append(_row(f"+{missing_uses} use{'s' if missing_uses > 1 else ''} not drawn", color=COLORS["missing"]))
    if missing_inputs:
        rows.append(_row(f"+{missing_inputs} input{'s' if missing_inputs > 1 else ''} not drawn", color=COLORS["missing"]))
    return rows


def _value_label(node: Value, role: str, fmt, show_grads: bool, extra_rows=()) -> str:
    rows = []
    if node.label:
        rows.append(f'<TR><TD COLSPAN="2"><B>{_escape(_shorten(node.label))}</B></TD></TR>')
    rows.append(_row("data", _escape(fmt(node.data))))
    if show_grads and role != "constant":
        rows.append(_row("grad", _grad_text(node, fmt)))
    rows += extra_rows
    return _table(rows)


def _grads_compact(params: list, fmt, name: str) -> str:
    """A neuron's parameter gradients in one row: all of them when few, else norm and largest."""
    if not params:
        return ""
    if not all(p.has_grad for p in params):
        return f'<FONT COLOR="{COLORS["muted"]}">grad {name} not computed</FONT>'
    if len(params) == 1:
        return f"grad {name} {_escape(fmt(params[0].grad))}"
    if len(params) <= 3:
        return f"grad {name} " + _escape("[" + ", ".join(fmt(p.grad) for p in params) + "]")
    largest = max(abs(p.grad) for p in params)
    return f"grad {name}: norm {_escape(fmt(collapsing.norm(params)))}, max {_escape(fmt(largest))}"


def _group_label(group, fmt, show_grads: bool, extra_rows=()) -> str:
    rows = [f'<TR><TD COLSPAN="2"><B>{_escape(_shorten(group.name))}</B></TD></TR>']
    act = "" if group.activation == "linear" else group.activation
    if group.kind == "neuron":
        bias = " + b" if group.biases else ""
        rows.append(_row(_escape(f"{act}(w·x{bias})" if act else f"w·x{bias}")))
        out = group.outputs[0]
        rows.append(_row("data", _escape(fmt(out.data))))
        if show_grads:
            rows.append(_row("grad", _grad_text(out, fmt)))
            for params, name in ((group.weights, "w"), (group.biases, "b")):
                text = _grads_compact(params, fmt, name)
                if text:
                    rows.append(_row(text))
    else:
        kind = f"{act or 'linear'} neuron{'s' if group.width > 1 else ''}"
        each = " each" if group.width > 1 else ""
        rows.append(_row(_escape(f"{group.width} {kind}, {len(group.weights) // group.width} inputs{each}")))
        if show_grads:
            params = group.weights + group.biases
            if all(p.has_grad for p in params):
                rows.append(_row("|grad W|", _escape(fmt(collapsing.norm(group.weights)))))
                if group.biases:
                    rows.append(_row("|grad b|", _escape(fmt(collapsing.norm(group.biases)))))
            else:
                rows.append(_row("∇ not computed", color=COLORS["muted"]))
            if all(o.has_grad for o in group.outputs):
                rows.append(_row("|grad out|", _escape(fmt(collapsing.norm(group.outputs)))))
    rows += extra_rows
    return _table(rows)


def _role(node: Value, root: Value) -> str:
    if node is root:
        return "output"
    if node.parents:
        return "intermediate"
    return "input" if node.requires_grad else "constant"


# -- colour by gradient ------------------------------------------------------------------------------


def _shade(grad: float, largest: float) -> str:
    """A diverging fill: blue for grad < 0, red for grad > 0, deeper for larger |grad| (log scale)."""
    if largest <= 0 or grad == 0 or not math.isfinite(grad):
        return "#ffffff"
    depth = 1 + math.log10(abs(grad) / largest) / DECADES  # 1 at the largest, 0 at DECADES below
    depth = 0.12 + 0.88 * min(1.0, max(0.0, depth))
    r, g, b = COLORS["positive" if grad > 0 else "negative"]
    mix = [round(255 + (c - 255) * depth * 0.75) for c in (r, g, b)]  # at most 75%: text stays legible
    return "#{:02x}{:02x}{:02x}".format(*mix)


def _legend(largest: float, fmt, any_saturated: bool) -> str:
    if not largest > 0:  # before backward (or all grads 0) there is no scale to show
        return _table([_row("<B>fill: grad</B>"), _row("no nonzero gradient yet: run backward()", color=COLORS["muted"])])
    cells = []
    for value in (-largest, -largest / 100, 0.0, largest / 100, largest):
        cells.append(f'<TD BGCOLOR="{_shade(value, largest)}" BORDER="1">{_escape(fmt(value))}</TD>')
    rows = [
        '<TR><TD COLSPAN="5"><B>fill: grad (sign, log |grad|)</B></TD></TR>',
        "<TR>" + "".join(cells) + "</TR>",
    ]
    note = f'<FONT COLOR="{COLORS["saturated"]}">thick purple border: local derivative ≈ 0 (saturated or dead)</FONT>'
    rows.append(f'<TR><TD COLSPAN="5">{note}</TD></TR>')
    del any_saturated  # the note is always shown, so the legend reads the same across pictures
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="3">' + "".join(rows) + "</TABLE>>"


# -- what is drawn -------------------------------------------------------------------------------------


def _natural(name: str) -> list:
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in name.split(".")]


class View:
    """The boxes of a picture: each graph node is drawn as itself, inside a group box, or not at all."""

    def __init__(self, root: Value, nodes: list, context: list, collapse: Optional[str]):
        self.root = root
        self.nodes = nodes
        self.consumers: dict = {}
        for node in context:
            for parent in node.parents:
                self.consumers.setdefault(parent, []).append(node)
        in_graph = set(nodes)
        self.groups: list = []
        self.absorbed: set = set()
        self.box_of: dict = {node: ("v", node) for node in nodes}
        if collapse is not None:
            found = collapsing.find_neurons(nodes, self.consumers)
            if collapse == "layer":
                found = collapsing.find_layers(found)
            # Boxes numbered in name order ("neurons.2" before "neurons.10"): dot places a
            # layer's boxes in the order their edges come, so the picture reads top to bottom.
            found.sort(key=lambda group: _natural(group.name))
            for group in found:
                if not all(m in in_graph for m in group.members):
                    continue
                self.groups.append(group)
                for member in group.members:
                    self.box_of[member] = ("g", len(self.groups) - 1)
            # A group box shows its parameters' gradients itself: they get no box of their own
            # (a weight shared by the boxes of several samples could not sit inside all of them).
            # Constant inputs used by one box only (floats given to a model) say nothing the box
            # does not: they are left out too.
            for group in self.groups:
                inside = set(group.members)
                hidden = group.weights + group.biases + [
                    p for m in group.members for p in m.parents
                    if not p.parents and not p.requires_grad and all(c in inside for c in self.consumers.get(p, ()))
                ]
                for param in hidden:
                    self.box_of[param] = None
                    self.absorbed.add(param)

    def boxes(self) -> list:
        """Drawn boxes: values in graph order, then groups by name ("neurons.2" before
        "neurons.10"), which is the order dot starts from when it places a layer's boxes."""
        seen, order = set(), []
        for node in self.nodes:
            box = self.box_of.get(node)
            if box is not None and box not in seen:
                seen.add(box)
                order.append(box)
        values = [b for b in order if b[0] == "v"]
        groups = sorted((b for b in order if b[0] == "g"), key=lambda b: _natural(self.groups[b[1]].name))
        return values + groups

    def is_constant(self, box) -> bool:
        return box[0] == "v" and not box[1].parents and not box[1].requires_grad

    def inputs_of(self, box) -> list:
        """Nodes feeding the box from outside it (with repeats, one per use)."""
        if box[0] == "v":
            return list(box[1].parents)
        group = self.groups[box[1]]
        inside = set(group.members)
        return [p for m in group.members for p in m.parents if p not in inside and p not in self.absorbed]

    def outputs_of(self, box) -> list:
        return [box[1]] if box[0] == "v" else list(self.groups[box[1]].members)

    def keep_only(self, kept: set) -> None:
        for node, box in list(self.box_of.items()):
            if box is not None and box not in kept:
                self.box_of[node] = None

    def nearest(self, limit: int) -> set:
        """The first `limit` non-constant boxes met walking back from the output (breadth
        first), and the constants they consume."""
        start = self.box_of[self.root]
        kept, queue, counted = {start}, deque([start]), 1
        while queue:
            box = queue.popleft()
            for parent in self.inputs_of(box):
                pbox = self.box_of.get(parent)
                if pbox is None or pbox in kept:
                    continue
                if self.is_constant(pbox):
                    kept.add(pbox)
                    continue
                if counted >= limit:
                    continue
                kept.add(pbox)
                counted += 1
                queue.append(pbox)
        return kept

    def missing_uses(self, box) -> int:
        """Uses of the box's outputs (edges into consumers outside the box) that are not drawn."""
        inside = set(self.outputs_of(box)) if box[0] == "g" else ()  # a group's own members
        missing = 0
        for node in self.outputs_of(box):
            for consumer in self.consumers.get(node, ()):
                if consumer in inside:
                    continue
                if self.box_of.get(consumer) is None:
                    missing += 1
        return missing

    def missing_inputs(self, box) -> int:
        return sum(1 for p in self.inputs_of(box) if self.box_of.get(p) is None)


def build_view(
    root: Value,
    *,
    collapse: Optional[str] = None,
    within: Optional[Value] = None,
    highlight=None,
    highlight_only: bool = False,
    max_nodes: Optional[int] = None,
    partial: bool = False,
    where: str = "to_dot",
) -> tuple:
    """The View of root's graph for these options, and the highlighted nodes."""
    if not isinstance(root, Value):
        raise TypeError(f"{where}: expected a Value, got {type(root).__name__}: {root!r}")
    if collapse not in COLLAPSES:
        raise ValueError(f"{where}: collapse must be None, 'neuron' or 'layer', got {collapse!r}")
    nodes = topological_order(root)
    index = {node: i for i, node in enumerate(nodes)}
    if within is not None:
        if not isinstance(within, Value):
            raise TypeError(f"{where}: within must be a Value, got {type(within).__name__}: {within!r}")
        context = topological_order(within)
        if root not in set(context):
            raise ValueError(f"{where}: within={within!r} does not depend on the drawn value {root!r}")
    else:
        context = nodes
    targets = [highlight] if isinstance(highlight, Value) else list(highlight or ())
    for t in targets:
        if t not in index:
            raise ValueError(f"{where}: highlight node {t!r} is not in the graph of {root!r}")
    if highlight_only and not targets:
        raise ValueError(f"{where}: highlight_only=True needs highlight= (a Value or several)")
    on_path = _on_paths(nodes, targets) if targets else set()
    view = View(root, nodes, context, collapse)
    if highlight_only:
        view.keep_only({view.box_of[n] for n in on_path})
    if max_nodes is not None:
        if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
            raise ValueError(f"{where}: max_nodes must be a positive integer or None, got {max_nodes!r}")
        boxes = view.boxes()
        count = sum(1 for b in boxes if not view.is_constant(b))
        if count > max_nodes:
            if not partial:
                raise GraphTooLargeError(
                    f"{where}: the picture would have {count} values (not counting ops and constants), "
                    f"more than max_nodes={max_nodes}; pass collapse='neuron' or 'layer', partial=True "
                    f"(draws the {max_nodes} nearest the output), or max_nodes=None to draw it all"
                )
            view.keep_only(view.nearest(max_nodes))
    return view, on_path


# -- DOT text --------------------------------------------------------------------------------------------


def body(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grads: bool = True,
    number_format: Union[str, Callable[[float], str]] = ".4g",
    edge_derivatives: bool = False,
    color: Optional[str] = "role",
    color_by_role: bool = True,
    highlight: Union[None, Value, Iterable[Value]] = None,
    highlight_only: bool = False,
    clusters=None,
    cluster_depth: Optional[int] = None,
    collapse: Optional[str] = None,
    within: Optional[Value] = None,
    max_nodes: Optional[int] = None,
    partial: bool = False,
    where: str = "to_dot",
) -> list:
    """The lines inside `digraph { ... }` for root's graph (see `to_dot` for the options)."""
    if rankdir not in RANKDIRS:
        raise ValueError(f"{where}: rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    if color not in COLORINGS:
        raise ValueError(f"{where}: color must be 'role', 'grad' or None, got {color!r}")
    if not color_by_role and color == "role":
        color = None
    fmt = _formatter(number_format)
    view, on_path = build_view(
        root, collapse=collapse, within=within, highlight=highlight, highlight_only=highlight_only,
        max_nodes=max_nodes, partial=partial, where=where,
    )
    nodes = view.nodes
    index = {node: i for i, node in enumerate(nodes)}
    cluster_of = _cluster_of(nodes, clusters, cluster_depth)
    boxes = view.boxes()

    def box_id(box) -> str:
        return f"v{index[box[1]]}" if box[0] == "v" else f"g{box[1]}"

    largest = 0.0
    if color == "grad":
        for box in boxes:
            for node in ([box[1]] if box[0] == "v" else view.groups[box[1]].outputs):
                if node.requires_grad and node.has_grad and math.isfinite(node.grad):
                    largest = max(largest, abs(node.grad))

    lines = [
        f"\trankdir={rankdir}\n",
        '\tgraph [fontname="Helvetica" nodesep=0.25 ranksep=0.35 bgcolor="white"]\n',
        '\tnode [fontname="Helvetica" fontsize=11]\n',
        f'\tedge [fontname="Helvetica" fontsize=9 color="{COLORS["edge"]}" arrowsize=0.6]\n',
    ]
    if view.groups:
        # Keep a layer's neurons in name order (dot would otherwise rotate them: every order of
        # a fully connected layer crosses as many edges).
        lines.append("\tordering=out\n")
    grouped: dict = {}

    def emit(cluster: Optional[str], line: str) -> None:
        (grouped.setdefault(cluster, []) if cluster is not None else lines).append(line)

    red = f'color="{COLORS["highlight"]}" penwidth=2'
    any_saturated = False
    for box in boxes:
        missing = _missing_rows(view.missing_uses(box), view.missing_inputs(box))
        if box[0] == "g":
            group = view.groups[box[1]]
            out = group.outputs[0] if len(group.outputs) == 1 else None
            saturated = None
            if color == "grad" and group.kind == "neuron" and group.activation != "linear":
                saturated = _saturation(group.members[-1])
            elif color == "grad" and group.kind == "layer":
                dead = sum(1 for o in group.outputs if _saturation(o))
                saturated = f"{dead} of {group.width} saturated or dead" if dead else None
            extra = list(missing)
            if saturated:
                any_saturated = True
                extra.insert(0, _row(f"<B>{_escape(saturated)}</B>", color=COLORS["saturated"]))
            if color == "grad":
                fill = _shade(out.grad, largest) if out is not None and out.has_grad else "#ffffff"
            else:
                fill = COLORS["group"] if color == "role" else "white"
            border = f' color="{COLORS["saturated"]}" penwidth=3' if saturated else ""
            if any(m in on_path for m in group.members):
                border = f" {red}"
            cluster = _prefix_of(group.name, cluster_depth) if clusters == "prefix" else None
            emit(cluster, f'\t{box_id(box)} [label={_group_label(group, fmt, show_grads, extra)} '
                          f'shape=box style="rounded,filled" fillcolor="{fill}"{border}]\n')
            continue
        node = box[1]
        i, role = index[node], _role(node, root)
        saturated = _saturation(node) if color == "grad" and node.parents else None
        extra = list(missing)
        if saturated:
            any_saturated = True
            extra.insert(0, _row(f"<B>{_escape(saturated)}: ∂ ≈ 0</B>", color=COLORS["saturated"]))
        if color == "role":
            fill = COLORS[role]
        elif color == "grad" and role != "constant":
            fill = _shade(node.grad, largest) if node.has_grad else "#ffffff"
        elif color == "grad":
            fill = COLORS["constant"]
        else:
            fill = "white"
        border = f' color="{COLORS["saturated"]}" penwidth=3' if saturated else ""
        if node in on_path:
            border = f" {red}"
        shape = 'shape=box style="rounded,filled"' if role != "constant" else 'shape=box style="rounded,filled,dashed" fontsize=9'
        cluster = cluster_of.get(node)
        emit(cluster, f'\tv{i} [label={_value_label(node, role, fmt, show_grads, extra)} {shape} fillcolor="{fill}"{border}]\n')
        if not node.parents:
            continue
        op_fill = COLORS["op"] if color is not None else "white"
        symbol = _escape(_shorten(node.op_entry.symbol or node.op_entry.name, 40))
        emit(cluster, f'\top{i} [label=<{symbol}> shape=circle style=filled fillcolor="{op_fill}" width=0.35 fixedsize=false margin=0.02]\n')
        lines.append(f"\top{i} -> v{i}{f' [{red}]' if node in on_path else ''}\n")
        derivatives = _local_derivatives(node) if edge_derivatives else None
        for k, parent in enumerate(node.parents):
            pbox = view.box_of.get(parent)
            if pbox is None:
                continue
            attrs = []
            if derivatives is not None:
                d = derivatives[k]
                text = "∂ undefined" if d is None else f"∂ {fmt(d)}"
                if d is not None and node.has_grad and parent.requires_grad:
                    text += f"\ng·∂ {fmt(node.grad * d)}"
                attrs.append(f"label=<{_escape(text)}>")
            if parent in on_path and node in on_path:
                attrs.append(red)
            suffix = f" [{' '.join(attrs)}]" if attrs else ""
            lines.append(f"\t{box_id(pbox)} -> op{i}{suffix}\n")

    # Edges into group boxes: one per source box, with the number of uses when more than one.
    for g, group in enumerate(view.groups):
        if view.box_of.get(group.members[0]) is None:
            continue
        counts: dict = {}
        for parent in view.inputs_of(("g", g)):
            pbox = view.box_of.get(parent)
            if pbox is None:
                continue
            counts[pbox] = counts.get(pbox, 0) + 1
        for pbox, count in sorted(counts.items(), key=lambda item: box_id(item[0])):
            label = f" [label=<×{count}>]" if count > 1 else ""
            lines.append(f"\t{box_id(pbox)} -> g{g}{label}\n")

    if color == "grad":
        lines.append(f"\tlegend [label={_legend(largest, fmt, any_saturated)} shape=box style=rounded color=\"#d1d5db\"]\n")

    lines += cluster_blocks(grouped, 'style="rounded,dashed" color="#9ca3af" fontname="Helvetica" fontsize=10', end="\n")
    return lines


def cluster_blocks(grouped: dict, style: str, end: str = "") -> list:
    """One DOT `subgraph cluster_N` per group, in name order, labelled with the group's name
    and drawn with `style`; `grouped` maps a name to its member lines. `end` ends the lines
    this adds (members keep their own)."""
    lines = []
    for n, (name, members) in enumerate(sorted(grouped.items())):
        lines.append(f"\tsubgraph cluster_{n} {{{end}")
        lines.append(f"\t\tlabel=<{_escape(_shorten(name))}> {style}{end}")
        lines.extend("\t" + m for m in members)
        lines.append(f"\t}}{end}")
    return lines
