"""Draw the computation graph with values and gradients: DOT text, SVG/PNG/PDF, Jupyter.

The renderer only reads the graph (`topological_order`, `parents`, the op entry). It builds the
DOT text itself, deterministically (node ids from graph order, never `id()`), with every label
escaped, and only then hands it to Graphviz's `dot` program.
"""

from __future__ import annotations

import html
import os
import shutil
import unicodedata
from typing import Callable, Iterable, Mapping, Optional, Union

from autograd.engine import topological_order
from autograd.files import write_atomically
from autograd.value import Value

__all__ = ["to_dot", "draw_dot", "render", "GraphTooLargeError", "GraphvizNotFoundError", "repr_mimebundle"]

DEFAULT_MAX_NODES = 500
RANKDIRS = ("LR", "TB", "RL", "BT")
FORMATS = ("svg", "png", "pdf")

# Role colours: inputs/parameters, constants, intermediates, the output; highlighted paths.
COLORS = {
    "input": "#dbeafe",
    "constant": "#f3f4f6",
    "intermediate": "#ffffff",
    "output": "#dcfce7",
    "op": "#fef3c7",
    "highlight": "#dc2626",
    "edge": "#6b7280",
    "muted": "#6b7280",
}


class GraphTooLargeError(ValueError):
    """The graph has more nodes than `max_nodes`; raise the limit or pass `max_nodes=None`."""


class GraphvizNotFoundError(RuntimeError):
    """The Graphviz `dot` program is not installed (or not on PATH)."""


NO_DOT_MESSAGE = (
    "the Graphviz 'dot' program was not found on PATH. Install it with "
    "'apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' (macOS) or "
    "'conda install graphviz'; or get the DOT text with autograd.to_dot(value) and render it elsewhere."
)


# -- options -------------------------------------------------------------------------------------


def _formatter(number_format: Union[str, Callable[[float], str]]) -> Callable[[float], str]:
    if callable(number_format):
        return number_format
    if not isinstance(number_format, str):
        raise TypeError(f"to_dot: number_format must be a format spec or a callable, got {number_format!r}")
    try:
        format(1.5, number_format)
    except ValueError:
        raise ValueError(f"to_dot: invalid number_format {number_format!r} (try '.4g' or '.6f')") from None
    return lambda x: format(x, number_format)


def _cluster_of(nodes: list, clusters, cluster_depth: Optional[int]) -> dict:
    """Map node -> cluster name for the nodes that belong to one."""
    if clusters is None:
        return {}
    if clusters == "prefix":

        def by_prefix(v: Value) -> Optional[str]:
            parts = v.label.split(".")
            if len(parts) < 2:
                return None
            keep = len(parts) - 1 if cluster_depth is None else min(cluster_depth, len(parts) - 1)
            return ".".join(parts[:keep]) if keep > 0 else None

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
    """d node / d parent for each parent, from the op's own rules (grad = 1)."""
    op, datas = node._op, [p.data for p in node.parents]
    try:
        if op.rules is not None:
            return [float(rule(1.0, node.data, *datas)) for rule in op.rules]
        return [float(d) for d in op.nary_rule(1.0, node.data, datas)]
    except (ArithmeticError, ValueError):
        return [None] * len(datas)


# -- DOT text ---------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    """Text for an HTML-like DOT label: markup and backslashes escaped, control characters made visible."""
    out = []
    for line in str(text).split("\n"):
        visible = "".join(
            ch if unicodedata.category(ch) not in ("Cc", "Cs") else f"\\x{ord(ch):02x}" for ch in line
        )
        # Graphviz expands \N, \E, \G, ... even in HTML-like labels; a doubled backslash is one backslash.
        out.append(html.escape(visible, quote=True).replace("\\", "\\\\"))
    return "<BR/>".join(out)


def _value_label(node: Value, role: str, fmt, show_grads: bool) -> str:
    rows = []
    if node.label:
        rows.append(f'<TR><TD COLSPAN="2"><B>{_escape(node.label)}</B></TD></TR>')
    rows.append(f'<TR><TD ALIGN="LEFT">data</TD><TD ALIGN="RIGHT">{_escape(fmt(node.data))}</TD></TR>')
    if show_grads and role != "constant":
        if node.has_grad:
            grad = _escape(fmt(node.grad))
        else:
            grad = f'<FONT COLOR="{COLORS["muted"]}">not computed</FONT>'
        rows.append(f'<TR><TD ALIGN="LEFT">grad</TD><TD ALIGN="RIGHT">{grad}</TD></TR>')
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">' + "".join(rows) + "</TABLE>>"


def _role(node: Value, root: Value) -> str:
    if node is root:
        return "output"
    if node.parents:
        return "intermediate"
    return "input" if node.requires_grad else "constant"


def _count(root: Value) -> tuple[list, int, int]:
    nodes = topological_order(root)
    ops = sum(1 for n in nodes if n.parents)
    edges = sum(len(n.parents) + 1 for n in nodes if n.parents)
    return nodes, len(nodes) + ops, edges


def _check_size(root: Value, max_nodes: Optional[int], where: str) -> None:
    if max_nodes is None:
        return
    _, node_count, edge_count = _count(root)
    if node_count > max_nodes:
        raise GraphTooLargeError(
            f"{where}: the graph has {node_count} nodes and {edge_count} edges, more than "
            f"max_nodes={max_nodes}; pass max_nodes=None (or a larger number) to draw it anyway"
        )


def _body(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grads: bool = True,
    number_format: Union[str, Callable[[float], str]] = ".4g",
    edge_derivatives: bool = False,
    color_by_role: bool = True,
    highlight: Union[None, Value, Iterable[Value]] = None,
    clusters=None,
    cluster_depth: Optional[int] = None,
) -> list[str]:
    if not isinstance(root, Value):
        raise TypeError(f"to_dot: expected a Value, got {type(root).__name__}: {root!r}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"to_dot: rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    fmt = _formatter(number_format)
    nodes = topological_order(root)
    index = {node: i for i, node in enumerate(nodes)}
    targets = [highlight] if isinstance(highlight, Value) else list(highlight or ())
    for t in targets:
        if t not in index:
            raise ValueError(f"to_dot: highlight node {t!r} is not in the graph of {root!r}")
    on_path = _on_paths(nodes, targets) if targets else set()
    cluster_of = _cluster_of(nodes, clusters, cluster_depth)

    lines = [
        f"\trankdir={rankdir}\n",
        '\tgraph [fontname="Helvetica" nodesep=0.25 ranksep=0.35 bgcolor="white"]\n',
        '\tnode [fontname="Helvetica" fontsize=11]\n',
        f'\tedge [fontname="Helvetica" fontsize=9 color="{COLORS["edge"]}" arrowsize=0.6]\n',
    ]
    grouped: dict[str, list[str]] = {}

    def emit(node: Value, line: str) -> None:
        name = cluster_of.get(node)
        (grouped.setdefault(name, []) if name is not None else lines).append(line)

    for node in nodes:
        i, role = index[node], _role(node, root)
        fill = COLORS[role] if color_by_role else "white"
        border = f' color="{COLORS["highlight"]}" penwidth=2' if node in on_path else ""
        shape = 'shape=box style="rounded,filled"' if role != "constant" else 'shape=box style="rounded,filled,dashed" fontsize=9'
        emit(node, f"\tv{i} [label={_value_label(node, role, fmt, show_grads)} {shape} fillcolor=\"{fill}\"{border}]\n")
        if not node.parents:
            continue
        op_fill = COLORS["op"] if color_by_role else "white"
        symbol = _escape(node._op.symbol or node._op.name)
        emit(node, f'\top{i} [label=<{symbol}> shape=circle style=filled fillcolor="{op_fill}" width=0.35 fixedsize=false margin=0.02]\n')
        out_style = f' [color="{COLORS["highlight"]}" penwidth=2]' if node in on_path else ""
        lines.append(f"\top{i} -> v{i}{out_style}\n")
        derivatives = _local_derivatives(node) if edge_derivatives else None
        for k, parent in enumerate(node.parents):
            attrs = []
            if derivatives is not None:
                d = derivatives[k]
                text = "∂ undefined" if d is None else f"∂ {fmt(d)}"
                if d is not None and node.has_grad and parent.requires_grad:
                    text += f"\ng·∂ {fmt(node.grad * d)}"
                attrs.append(f"label=<{_escape(text)}>")
            if parent in on_path and node in on_path:
                attrs.append(f'color="{COLORS["highlight"]}" penwidth=2')
            suffix = f" [{' '.join(attrs)}]" if attrs else ""
            lines.append(f"\tv{index[parent]} -> op{i}{suffix}\n")

    for n, (name, members) in enumerate(sorted(grouped.items())):
        lines.append(f"\tsubgraph cluster_{n} {{\n")
        lines.append(f'\t\tlabel=<{_escape(name)}> style="rounded,dashed" color="#9ca3af" fontname="Helvetica" fontsize=10\n')
        lines.extend("\t" + m for m in members)
        lines.append("\t}\n")
    return lines


_GRAPH_NAME = "dagrad"


def to_dot(root: Value, **options) -> str:
    """The DOT text of root's graph; needs no Graphviz program.

    Options: `rankdir` ("LR", "TB", "RL", "BT"), `show_grads` (True), `number_format` (a format
    spec such as ".4g", or a callable), `edge_derivatives` (label each edge with the op's local
    derivative ∂ and its contribution g·∂ = upstream grad × ∂), `color_by_role` (inputs and
    parameters, constants, intermediates and the output in different colours), `highlight` (a
    Value or several: the paths from the output down to them are drawn in red), `clusters`
    ("prefix" groups labelled nodes by their dotted label prefix, as nn names parameters, with
    `cluster_depth` components kept, and an unlabelled op result joins the cluster of the
    parameters it consumes; or a mapping/callable Value -> cluster name).

    >>> from autograd import Value
    >>> a = Value(2.0, label="a"); b = a * a
    >>> text = to_dot(b)
    >>> text.count("v0 -> op1")   # a is used twice: two edges
    2
    """
    return f"digraph {_GRAPH_NAME} {{\n" + "".join(_body(root, **options)) + "}\n"


def draw_dot(root: Value, *, max_nodes: Optional[int] = DEFAULT_MAX_NODES, **options):
    """root's graph as a `graphviz.Digraph` (displays itself in Jupyter; `.render()` writes files).

    Raises GraphTooLargeError above `max_nodes` nodes (pass `max_nodes=None` to draw anyway).
    Takes the options of `to_dot`.

    >>> from autograd import Value
    >>> x = Value(3.0, label="x"); y = x.tanh(); y.backward()
    >>> g = draw_dot(y, rankdir="TB")
    >>> g.source == to_dot(y, rankdir="TB")
    True
    """
    import graphviz

    _check_size(root, max_nodes, "draw_dot")
    return graphviz.Digraph(name=_GRAPH_NAME, body=_body(root, **options))


def _run_dot(dot_text: str, fmt: str, timeout: float) -> bytes:
    import subprocess  # only when drawing: keeps `import autograd` light

    program = shutil.which("dot")
    if program is None:
        raise GraphvizNotFoundError(f"render: {NO_DOT_MESSAGE}")
    try:
        done = subprocess.run(
            [program, f"-T{fmt}"], input=dot_text.encode("utf-8"), capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise TimeoutError(
            f"render: Graphviz 'dot' took longer than {timeout} s; draw a smaller graph or pass a larger timeout="
        ) from None
    if done.returncode != 0:
        raise RuntimeError(f"render: Graphviz 'dot' failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout


def render(
    root: Value,
    path: Union[str, os.PathLike],
    format: str = "svg",  # noqa: A002 - the name users know from graphviz
    *,
    max_nodes: Optional[int] = DEFAULT_MAX_NODES,
    timeout: float = 30.0,
    **options,
) -> str:
    """Write root's graph to `path` as svg, png or pdf, atomically; return the path.

    The file appears complete or not at all (written to a temporary file, then renamed).
    `dot` runs with a `timeout` in seconds. Takes the options of `to_dot`.

    >>> import os, tempfile
    >>> from autograd import Value
    >>> x = Value(2.0, label="x"); y = x * x; y.backward()
    >>> path = render(y, os.path.join(tempfile.mkdtemp(), "square.svg"))
    >>> open(path).read().count("<svg") == 1
    True
    """
    if format not in FORMATS:
        raise ValueError(f"render: format must be one of {', '.join(FORMATS)}, got {format!r}")
    _check_size(root, max_nodes, "render")
    data = _run_dot(to_dot(root, **options), format, timeout)
    return write_atomically(path, data)


def repr_mimebundle(value: Value, include=None, exclude=None, *, max_nodes: int = DEFAULT_MAX_NODES) -> dict:
    """What Jupyter shows for a Value: always text/plain, plus the graph as SVG when it can.

    The SVG is added only when `dot` is installed and the graph has at most `max_nodes` nodes;
    a bigger graph gets a text summary instead. Never raises.

    >>> from autograd import Value
    >>> sorted(repr_mimebundle(Value(1.0)))[-1]
    'text/plain'
    """
    bundle = {"text/plain": repr(value)}
    try:
        nodes, node_count, edge_count = _count(value)
        if node_count > max_nodes:
            bundle["text/plain"] += (
                f"\n(graph of {node_count} nodes and {edge_count} edges: too big to draw inline; "
                f"use autograd.draw_dot(v, max_nodes=None) or autograd.render(v, 'graph.svg', max_nodes=None))"
            )
        elif shutil.which("dot") is not None and _wanted("image/svg+xml", include, exclude):
            bundle["image/svg+xml"] = _run_dot(to_dot(value), "svg", timeout=10.0).decode("utf-8")
    except Exception as error:  # a display hook must never break the notebook
        bundle["text/plain"] += f"\n(graph not drawn: {type(error).__name__}: {error})"
    return bundle


def _wanted(mime: str, include, exclude) -> bool:
    return (include is None or mime in include) and (exclude is None or mime not in exclude)
