"""The DOT text of a View (`view.py`): each box's label and colours, op circles and edges.

The text is built deterministically (node ids from graph order, never `id()`), with every
label escaped (`style.escape`), and only then handed to a dot program (`backend.py`). Colours,
roles, the font and op symbols come from `style.py`, which the explorer reads too.

Reading order: `options` checks the drawing options once; `body` walks the View's boxes and
asks `_Drawing` for each box's lines (`value_box`, `op_circle`, `group_box`), then the edges
into group boxes, the legend and the cluster boxes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping, Optional

from autograd.checks import check_choice, check_format_spec
from autograd.forward import local_partials
from autograd.render import neurons
from autograd.render.style import (
    COLORS,
    FONT,
    STRONG_INPUTS,
    escape,
    natural_key,
    number_formatter,
    op_symbol,
    role,
    shorten,
    strongest,
    weight_edge,
)
from autograd.render.view import View
from autograd.value import Value

__all__ = ["Options", "options", "body", "cluster_blocks", "RANKDIRS", "COLORINGS", "VIEW_OPTIONS"]

RANKDIRS = ("LR", "TB", "RL", "BT")
COLORINGS = ("role", "grad", None)
# The options of `to_dot` that choose what is drawn (`build_view`); the others say how.
VIEW_OPTIONS = ("collapse", "within", "highlight", "highlight_only", "max_nodes", "partial")
# Below this |local derivative| an activation passes (almost) no gradient: saturated or dead.
SATURATED = 1e-3
# color="grad": magnitudes spanning this many decades below the largest get distinct shades.
DECADES = 4
RED = f'color="{COLORS["highlight"]}" penwidth=2'
CLUSTER_STYLE = f'style="rounded,dashed" color="{COLORS["cluster"]}" fontname="{FONT}" fontsize=10'


@dataclass(frozen=True)
class Options:
    """How a View is drawn (checked by `options`)."""

    rankdir: str = "LR"
    show_grads: bool = True
    fmt: Callable[[float], str] = number_formatter(".4g")
    edge_derivatives: bool = False
    color: Optional[str] = "role"
    clusters: object = None
    cluster_depth: Optional[int] = None


def options(
    *,
    rankdir: str = "LR",
    show_grads: bool = True,
    number_format=".4g",
    edge_derivatives: bool = False,
    color: Optional[str] = "role",
    color_by_role: bool = True,
    clusters=None,
    cluster_depth: Optional[int] = None,
    where: str = "to_dot",
) -> Options:
    """The drawing options of `to_dot` (see there), checked; `where` names the caller in errors."""
    check_choice(where, "rankdir", rankdir, RANKDIRS)
    check_choice(where, "color", color, COLORINGS)
    check_format_spec(where, "number_format", number_format, allow_callable=True)
    if not (clusters is None or clusters == "prefix" or isinstance(clusters, Mapping) or callable(clusters)):
        raise TypeError(f"{where}: clusters must be 'prefix', a mapping or a callable, got {clusters!r}")
    return Options(
        rankdir=rankdir,
        show_grads=show_grads,
        fmt=number_formatter(number_format),
        edge_derivatives=edge_derivatives,
        color=None if (color == "role" and not color_by_role) else color,
        clusters=clusters,
        cluster_depth=cluster_depth,
    )


def body(view: View, on_path: set, opts: Options) -> list:
    """The lines inside `digraph { ... }` drawing `view` (`on_path`: the highlighted nodes)."""
    drawing = _Drawing(view, on_path, opts)
    lines = drawing.header()
    for box in view.boxes():
        if box[0] == "g":
            drawing.group_box(box)
        else:
            drawing.value_box(box)
            drawing.op_circle(box[1])
    lines += drawing.lines
    lines += drawing.group_edges()
    lines += drawing.layer_order()
    weights = drawing.weighted_edges > 0
    if opts.color == "grad":
        legend = _legend(drawing.largest, opts.fmt, neurons_drawn=bool(drawing.neuron_boxes), weights=weights)
        lines.append(f'\tlegend [label={legend} shape=box style=rounded color="#d1d5db"]\n')
    elif weights:
        lines.append(f'\tlegend [label={_table([_row(_weight_note())])} shape=box style=rounded color="#d1d5db"]\n')
    lines += cluster_blocks(drawing.clustered, CLUSTER_STYLE, end="\n")
    return lines


class _Drawing:
    """The lines of one picture as they are made: edges and unclustered boxes in `lines`,
    clustered boxes in `clustered` (cluster name -> lines)."""

    def __init__(self, view: View, on_path: set, opts: Options):
        self.view, self.on_path, self.opts = view, on_path, opts
        self.index = {node: i for i, node in enumerate(view.nodes)}
        self.cluster_of = _cluster_of(view.nodes, opts.clusters, opts.cluster_depth)
        self.largest = _largest_grad(view) if opts.color == "grad" else 0.0
        self.lines: list = []
        self.clustered: dict = {}
        self.neuron_boxes = [
            g for g, group in enumerate(view.groups) if group.kind == "neuron" and view.box_of.get(group.members[0])
        ]
        self.weighted_edges = 0
        self.unclustered: list = []  # group boxes drawn outside any cluster (their order is kept)

    def box_id(self, box) -> str:
        return f"v{self.index[box[1]]}" if box[0] == "v" else f"g{box[1]}"

    def emit(self, cluster: Optional[str], line: str) -> None:
        (self.clustered.setdefault(cluster, []) if cluster is not None else self.lines).append(line)

    def header(self) -> list:
        lines = [
            f"\trankdir={self.opts.rankdir}\n",
            f'\tgraph [fontname="{FONT}" nodesep=0.25 ranksep=0.35 bgcolor="white"]\n',
            f'\tnode [fontname="{FONT}" fontsize=11]\n',
            f'\tedge [fontname="{FONT}" fontsize=9 color="{COLORS["edge"]}" arrowsize=0.6]\n',
        ]
        return lines

    def fill(self, node: Optional[Value], kind: str) -> str:
        """A box's fill: by role (kind is the role, or "group"), by gradient, or white."""
        color = self.opts.color
        if color == "role":
            return COLORS[kind]
        if color == "grad" and kind != "constant":
            return _shade(node.grad, self.largest) if node is not None and node.has_grad else "#ffffff"
        return COLORS["constant"] if color == "grad" else "white"

    def border(self, highlighted: bool, saturated: Optional[str]) -> str:
        if highlighted:
            return f" {RED}"
        return f' color="{COLORS["saturated"]}" penwidth=3' if saturated else ""

    def value_box(self, box) -> None:
        node = box[1]
        kind = role(node, self.view.root)
        saturated = _saturation(node) if self.opts.color == "grad" and node.parents else None
        extra = _missing_rows(self.view, box)
        if saturated:
            extra.insert(0, _row(f"<B>{escape(saturated)}: ∂ ≈ 0</B>", color=COLORS["saturated"]))
        shape = (
            'shape=box style="rounded,filled"'
            if kind != "constant"
            else 'shape=box style="rounded,filled,dashed" fontsize=9'
        )
        label = _value_label(node, kind, self.opts, extra)
        border = self.border(node in self.on_path, saturated)
        self.emit(
            self.cluster_of.get(node),
            f'\tv{self.index[node]} [label={label} {shape} fillcolor="{self.fill(node, kind)}"{border}]\n',
        )

    def op_circle(self, node: Value) -> None:
        """The op circle of an op result, its edge into the result and the edges from its inputs."""
        if not node.parents:
            return
        i, on_path = self.index[node], self.on_path
        op_fill = COLORS["op"] if self.opts.color is not None else "white"
        self.emit(
            self.cluster_of.get(node),
            f"\top{i} [label=<{escape(op_symbol(node))}> shape=circle style=filled "
            f'fillcolor="{op_fill}" width=0.35 fixedsize=false margin=0.02]\n',
        )
        self.lines.append(f"\top{i} -> v{i}{f' [{RED}]' if node in on_path else ''}\n")
        labels = _edge_labels(node, self.opts.fmt) if self.opts.edge_derivatives else None
        for k, parent in enumerate(node.parents):
            pbox = self.view.box_of.get(parent)
            if pbox is None:
                continue
            attrs = [f"label=<{escape(labels[k])}>"] if labels else []
            if parent in on_path and node in on_path:
                attrs.append(RED)
            suffix = f" [{' '.join(attrs)}]" if attrs else ""
            self.lines.append(f"\t{self.box_id(pbox)} -> op{i}{suffix}\n")

    def group_box(self, box) -> None:
        view, opts = self.view, self.opts
        group = view.group(box)
        saturated = _group_saturation(group) if opts.color == "grad" else None
        extra = _missing_rows(view, box)
        if saturated:
            extra.insert(0, _row(f"<B>{escape(saturated)}</B>", color=COLORS["saturated"]))
        # A neuron is filled by the gradient of w·x + b, which its weights and bias get (and
        # which its rows show): a dead relu is white next to "grad w [0, 0]", whatever its output's.
        out = (
            neurons.pre_activation(group)
            if group.kind == "neuron"
            else group.outputs[0]
            if len(group.outputs) == 1
            else None
        )
        border = self.border(any(m in self.on_path for m in group.members), saturated)
        cluster = _prefix_of(group.name, opts.cluster_depth) if opts.clusters == "prefix" else None
        if cluster is None:
            self.unclustered.append(box[1])
        self.emit(
            cluster,
            f"\t{self.box_id(box)} [label={_group_label(group, opts, extra)} "
            f'shape=box style="rounded,filled" fillcolor="{self.fill(out, "group")}"{border}]\n',
        )

    def group_edges(self) -> list:
        """Edges into group boxes: one per source box, with the number of uses when more than
        one. Into a neuron they carry its weights (`neuron_edges`)."""
        lines = []
        largest = max(
            (
                abs(w.data)
                for g in self.neuron_boxes
                for x, w in neurons.input_weights(self.view.groups[g])
                if self.view.box_of.get(x) is not None and math.isfinite(w.data)
            ),
            default=0.0,
        )
        for g, group in enumerate(self.view.groups):
            if self.view.box_of.get(group.members[0]) is None:
                continue
            if group.kind == "neuron":
                lines += self.neuron_edges(g, group, largest)
                continue
            counts: dict = {}
            for parent in self.view.inputs_of(("g", g)):
                pbox = self.view.box_of.get(parent)
                if pbox is not None:
                    counts[pbox] = counts.get(pbox, 0) + 1
            for pbox, count in sorted(counts.items(), key=lambda item: self.box_id(item[0])):
                label = f" [label=<×{count}>]" if count > 1 else ""
                lines.append(f"\t{self.box_id(pbox)} -> g{g}{label}\n")
        return lines

    def neuron_edges(self, g: int, group, largest: float) -> list:
        """One edge per source box into neuron box g, coloured by the sign of its weight and as
        wide as |w| is large; only the STRONG_INPUTS largest |w| stand out, the rest are faint."""
        pairs = neurons.input_weights(group)
        strong = strongest(pairs)
        edges: dict = {}  # source box -> [summed weight, uses, strong]
        for k, (x, w) in enumerate(pairs):
            pbox = self.view.box_of.get(x)
            if pbox is None:
                continue
            edge = edges.setdefault(pbox, [0.0, 0, False])
            edge[0] += w.data
            edge[1] += 1
            edge[2] = edge[2] or k in strong
        lines = []
        for pbox, (weight, uses, is_strong) in sorted(edges.items(), key=lambda item: self.box_id(item[0])):
            attrs = [weight_edge(weight, largest, is_strong)]
            if uses > 1:
                attrs.append(f"label=<×{uses}>")
            self.weighted_edges += 1
            lines.append(f"\t{self.box_id(pbox)} -> g{g} [{' '.join(attrs)}]\n")
        return lines

    def layer_order(self) -> list:
        """Each layer's neuron boxes (per sample) in numeric order, top to bottom (left to right
        for rankdir=TB): a same-rank chain of invisible edges, whose order dot keeps (else it
        places them in any order: every order of a fully connected layer crosses as many edges)."""
        layers: dict = {}
        for g in self.neuron_boxes:
            if g in self.unclustered:
                layers.setdefault(neurons.layer_key(self.view.groups[g]), []).append(g)
        lines = []
        for members in layers.values():
            if len(members) > 1:
                members.sort(key=lambda g: natural_key(self.view.groups[g].name))
                chain = " -> ".join(f"g{g}" for g in members)
                lines.append(f"\t{{rank=same; {chain} [style=invis]}}\n")
        return lines


def cluster_blocks(grouped: dict, style: str, end: str = "") -> list:
    """One DOT `subgraph cluster_N` per group, in name order, labelled with the group's name
    and drawn with `style`; `grouped` maps a name to its member lines. `end` ends the lines
    this adds (members keep their own)."""
    lines = []
    for n, (name, members) in enumerate(sorted(grouped.items())):
        lines.append(f"\tsubgraph cluster_{n} {{{end}")
        lines.append(f"\t\tlabel=<{escape(shorten(name))}> {style}{end}")
        lines.extend("\t" + m for m in members)
        lines.append(f"\t}}{end}")
    return lines


# -- clusters --------------------------------------------------------------------------------------


def _cluster_of(nodes: list, clusters, cluster_depth: Optional[int]) -> dict:
    """Map node -> cluster name for the nodes that belong to one."""
    if clusters is None:
        return {}
    if clusters == "prefix":

        def name_of(v: Value) -> Optional[str]:
            return _prefix_of(v.label, cluster_depth)
    elif isinstance(clusters, Mapping):
        name_of = clusters.get  # type: ignore[assignment]  # mypy cannot match the overloaded Mapping.get
    else:
        name_of = clusters
    result: dict[Value, str] = {}
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


# -- derivatives -----------------------------------------------------------------------------------


def _local_derivatives(node: Value) -> list:
    """d node / d parent for each parent, from the op's own rules (grad = 1), each rule on its
    own (None where it is undefined: x ** 2 at x < 0 still has its base derivative)."""
    return [None if d is None else float(d) for d in local_partials(node, strict=False)]


def _edge_labels(node: Value, fmt) -> list:
    """Per input: the op's local derivative ∂ and, once the node has a grad, g·∂."""
    labels = []
    for parent, d in zip(node.parents, _local_derivatives(node)):
        text = "∂ undefined" if d is None else f"∂ {fmt(d)}"
        if d is not None and node.has_grad and parent.requires_grad:
            text += f"\ng·∂ {fmt(node.grad * d)}"
        labels.append(text)
    return labels


def _saturation(node: Value) -> Optional[str]:
    """Why an activation passes almost no gradient back ("relu off here", "saturated tanh"), or None.
    A relu is "off here", not "dead": the picture shows one evaluation, and a dead relu is one
    that is off for every input."""
    if node.op not in neurons.ACTIVATIONS:
        return None
    d = _local_derivatives(node)[0]
    if d is None or abs(d) >= SATURATED:
        return None
    return "relu off here" if node.op == "relu" else f"saturated {node.op}"


def _group_saturation(group) -> Optional[str]:
    if group.kind == "neuron":
        return _saturation(group.members[-1]) if group.activation != "linear" else None
    dead = sum(1 for o in group.outputs if _saturation(o))
    return f"{dead} of {group.width} saturated or dead" if dead else None


# -- labels ----------------------------------------------------------------------------------------


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
        return escape(fmt(node.grad))
    return f'<FONT COLOR="{COLORS["muted"]}">not computed</FONT>'


def _missing_rows(view: View, box) -> list:
    rows = []
    for count, what in ((view.missing_uses(box), "use"), (view.missing_inputs(box), "input")):
        if count:
            rows.append(_row(f"+{count} {what}{'s' if count > 1 else ''} not drawn", color=COLORS["missing"]))
    return rows


def _value_label(node: Value, kind: str, opts: Options, extra_rows=()) -> str:
    rows = []
    if node.label:
        rows.append(f'<TR><TD COLSPAN="2"><B>{escape(shorten(node.label))}</B></TD></TR>')
    rows.append(_row("data", escape(opts.fmt(node.data))))
    if opts.show_grads and kind != "constant":
        rows.append(_row("grad", _grad_text(node, opts.fmt)))
    rows += extra_rows
    return _table(rows)


def _grads_compact(params: list, fmt, name: str) -> str:
    """A neuron's parameter gradients in one row: all of them when few, else norm and largest."""
    if not params:
        return ""
    if not all(p.has_grad for p in params):
        return f'<FONT COLOR="{COLORS["muted"]}">grad {name} not computed</FONT>'
    if len(params) == 1:
        return f"grad {name} {escape(fmt(params[0].grad))}"
    if len(params) <= 3:
        return f"grad {name} " + escape("[" + ", ".join(fmt(p.grad) for p in params) + "]")
    largest = max(abs(p.grad) for p in params)
    return f"grad {name}: norm {escape(fmt(neurons.norm(params)))}, max {escape(fmt(largest))}"


def _group_label(group, opts: Options, extra_rows=()) -> str:
    rows = [f'<TR><TD COLSPAN="2"><B>{escape(shorten(group.name))}</B></TD></TR>']
    rows += _neuron_rows(group, opts) if group.kind == "neuron" else _layer_rows(group, opts)
    return _table(rows + list(extra_rows))


def _neuron_rows(group, opts: Options) -> list:
    fmt, out = opts.fmt, group.outputs[0]
    rows = [_row(escape(neurons.formula(group))), _row("data", escape(fmt(out.data)))]
    if opts.show_grads:
        rows.append(_row("grad", _grad_text(out, fmt)))
        inner = neurons.pre_activation(group)
        if inner is not out:
            rows.append(_row("grad " + escape("w·x" + (" + b" if group.biases else "")), _grad_text(inner, fmt)))
        for params, name in ((group.weights, "w"), (group.biases, "b")):
            text = _grads_compact(params, fmt, name)
            if text:
                rows.append(_row(text))
    return rows


def _layer_rows(group, opts: Options) -> list:
    fmt = opts.fmt
    rows = [_row(escape(neurons.summary(group)))]
    if not opts.show_grads:
        return rows
    if all(p.has_grad for p in group.weights + group.biases):
        rows.append(_row("|grad W|", escape(fmt(neurons.norm(group.weights)))))
        if group.biases:
            rows.append(_row("|grad b|", escape(fmt(neurons.norm(group.biases)))))
    else:
        rows.append(_row("∇ not computed", color=COLORS["muted"]))
    if all(o.has_grad for o in group.outputs):
        rows.append(_row("|grad out|", escape(fmt(neurons.norm(group.outputs)))))
    return rows


# -- colour by gradient ----------------------------------------------------------------------------


def _largest_grad(view: View) -> float:
    """The largest finite |grad| shown (the scale of the gradient fill)."""
    largest = 0.0
    for box in view.boxes():
        group = view.group(box)
        for node in view.outputs_of(box) + (
            [neurons.pre_activation(group)] if group and group.kind == "neuron" else []
        ):
            if node.requires_grad and node.has_grad and math.isfinite(node.grad):
                largest = max(largest, abs(node.grad))
    return largest


def _shade(grad: float, largest: float) -> str:
    """A diverging fill: blue for grad < 0, red for grad > 0, deeper for larger |grad| (log scale)."""
    if largest <= 0 or grad == 0 or not math.isfinite(grad):
        return "#ffffff"
    depth = 1 + math.log10(abs(grad) / largest) / DECADES  # 1 at the largest, 0 at DECADES below
    depth = 0.12 + 0.88 * min(1.0, max(0.0, depth))
    r, g, b = COLORS["positive" if grad > 0 else "negative"]
    mix = [round(255 + (c - 255) * depth * 0.75) for c in (r, g, b)]  # at most 75%: text stays legible
    return "#{:02x}{:02x}{:02x}".format(*mix)


def _weight_note() -> str:
    # &#160;: graphviz-pure drops a plain space just before a <FONT> tag
    return (
        f'edges into a neuron:&#160;<FONT COLOR="{COLORS["weight_positive"]}"><B>w &gt; 0</B></FONT>, '
        f'<FONT COLOR="{COLORS["weight_negative"]}"><B>w &lt; 0</B></FONT>, as wide as |w|; '
        f"the {STRONG_INPUTS} largest |w| of each neuron (the others faint)"
    )


def _legend(largest: float, fmt, neurons_drawn: bool = False, weights: bool = False) -> str:
    extra = []
    if neurons_drawn:
        extra.append(escape("a neuron box: filled by the grad of w·x + b (what its w and b get)"))
    if weights:
        extra.append(_weight_note())
    if not largest > 0:  # before backward (or all grads 0) there is no scale to show
        return _table(
            [_row("<B>fill: grad</B>"), _row("no nonzero gradient yet: run backward()", color=COLORS["muted"])]
            + [_row(text) for text in extra]
        )
    cells = []
    for value in (-largest, -largest / 100, 0.0, largest / 100, largest):
        cells.append(f'<TD BGCOLOR="{_shade(value, largest)}" BORDER="1">{escape(fmt(value))}</TD>')
    # The note is always shown, so the legend reads the same across pictures.
    note = f'<FONT COLOR="{COLORS["saturated"]}">thick purple border: local derivative ≈ 0 (saturated or dead)</FONT>'
    rows = [
        '<TR><TD COLSPAN="5"><B>fill: grad (sign, log |grad|)</B></TD></TR>',
        "<TR>" + "".join(cells) + "</TR>",
        f'<TR><TD COLSPAN="5">{note}</TD></TR>',
    ] + [f'<TR><TD COLSPAN="5">{text}</TD></TR>' for text in extra]
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="3">' + "".join(rows) + "</TABLE>>"
