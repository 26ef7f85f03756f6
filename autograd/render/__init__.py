"""Draw the computation graph with values and gradients: DOT text, SVG/PNG/PDF, Jupyter.

`to_dot` builds the DOT text (no program needed, `dot.py`); `render`, `to_svg`, `draw_dot` and
the Jupyter display hand it to a dot program: `DAGRAD_DOT` if set, else Graphviz's `dot`, else
the pip-installed `graphviz-pure` (`backend.py`). Collapsed views of `nn` models live in
`collapse.py`. Nothing here is imported by the engine.
"""

from __future__ import annotations

import os
from typing import Optional, Union

from autograd.files import write_atomically
from autograd.render import backend as _backend
from autograd.render.backend import GraphvizNotFoundError, render_backend
from autograd.render.dot import DEFAULT_MAX_NODES, GraphTooLargeError, _escape, body as _body
from autograd.render.layout import COST_LIMIT, budget_lines, layout_cost
from autograd.value import Value

__all__ = [
    "to_dot",
    "to_svg",
    "draw_dot",
    "render",
    "render_backend",
    "repr_mimebundle",
    "GraphTooLargeError",
    "GraphvizNotFoundError",
    "FORMATS",
    "EXTENSIONS",
]

# File extension -> format; "dot" is the DOT text itself and needs no program.
EXTENSIONS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".jpg": "jpeg", ".jpeg": "jpeg", ".dot": "dot", ".gv": "dot"}
FORMATS = ("svg", "png", "pdf", "jpeg", "dot")
_GRAPH_NAME = "dagrad"


def to_dot(root: Value, **options) -> str:
    """The DOT text of root's graph; needs no program.

    Options (shared by `to_svg`, `draw_dot`, `render`):
    - `rankdir` ("LR", "TB", "RL", "BT"), `show_grads` (True), `number_format` (a format spec
      such as ".4g", or a callable);
    - `edge_derivatives`: label each edge with the op's local derivative ∂ and its
      contribution g·∂ = upstream grad × ∂;
    - `color`: "role" (default: inputs and parameters, constants, intermediates and the output
      in different colours), "grad" (a diverging fill by the sign and log-magnitude of each
      grad, a legend, and a thick purple border where an activation's local derivative is
      about 0: saturated tanh/sigmoid, dead relu) or None; `color_by_role=False` is color=None;
    - `highlight` (a Value or several: the paths from the output down to them in red) and
      `highlight_only` (draw only those paths);
    - `clusters` ("prefix" groups labelled nodes by their dotted label prefix, as nn names
      parameters, keeping `cluster_depth` parts; or a mapping/callable Value -> cluster name);
    - `collapse`: "neuron" draws each nn neuron `act(w·x + b)` as one box with its output's
      data and grad and its parameters' grads; "layer" one box per layer with its width and
      the norms of its gradients. Found from nn's parameter labels, so no model is needed;
    - `within`: a bigger graph's output that root is part of: uses of the drawn values in it
      that the picture leaves out are counted;
    - `max_nodes` (None here; 500 for pictures) counts the values drawn, not op circles or
      constants; above it GraphTooLargeError, or with `partial=True` the values nearest the
      output are drawn.
    A drawn value whose uses or inputs are not all drawn says so ("+15 uses not drawn").

    >>> from autograd import Value
    >>> a = Value(2.0, label="a"); b = a * a
    >>> text = to_dot(b)
    >>> text.count("v0 -> op1")   # a is used twice: two edges
    2
    """
    where = options.pop("where", "to_dot")
    return _digraph(_laid_out(_body(root, where=where, **options)))


def _digraph(lines: list) -> str:
    return f"digraph {_GRAPH_NAME} {{\n" + "".join(lines) + "}\n"


def _laid_out(lines: list) -> list:
    """The body lines after the layout limits for the graph's size (`layout.budget_lines`)."""
    return budget_lines("".join(lines)) + lines


def _picture_dot(root: Value, where: str, max_nodes, options: dict) -> str:
    return _digraph(_picture_lines(root, where, max_nodes, options)[0])


def _picture_lines(root: Value, where: str, max_nodes, options: dict) -> list:
    """The DOT lines of a picture that a dot program lays out in a few seconds, and the
    max_nodes they were drawn with.

    Under a `max_nodes` limit, a graph whose edges reach so far back that its layout would pass
    `layout.COST_LIMIT` is refused at once (GraphTooLargeError saying what to do), or with
    `partial=True` drawn with fewer of the values nearest the output, until it fits.
    `max_nodes=None` lays out anything (the fastest limits, and the `timeout`).
    """
    def lines_for(limit):
        lines = _laid_out(_body(root, where=where, max_nodes=limit, **options))
        return lines, layout_cost("".join(lines))

    lines, cost = lines_for(max_nodes)
    if max_nodes is None or cost <= COST_LIMIT:
        return lines, max_nodes
    if not options.get("partial"):
        raise GraphTooLargeError(
            f"{where}: this graph's edges reach far back, so dot would lay out about {cost:,} nodes "
            f"(each long edge is routed through one per rank it crosses), more than the {COST_LIMIT:,} "
            f"it does in a few seconds; pass partial=True (draws the values nearest the output that fit), "
            f"collapse='neuron' for an nn model, or max_nodes=None to lay it all out anyway (slow)"
        )
    limit = max_nodes
    while cost > COST_LIMIT and limit > 1:
        limit = max(1, limit * 2 // 3)
        lines, cost = lines_for(limit)
    return lines, limit


def to_svg(root: Value, *, max_nodes: Optional[int] = DEFAULT_MAX_NODES, timeout: float = 30.0, **options) -> str:
    """root's graph as SVG text (drawn by `render_backend()`); takes the options of `to_dot`.

    >>> from autograd import Value
    >>> x = Value(3.0, label="x"); y = x.tanh(); y.backward()
    >>> svg = to_svg(y, color="grad")
    >>> svg.lstrip().startswith("<?xml") and "</svg>" in svg
    True
    """
    text = _picture_dot(root, "to_svg", max_nodes, options)
    return _backend.run(text, "svg", timeout=timeout, where="to_svg").decode("utf-8")


def _format_for(path: str, format: Optional[str]) -> str:  # noqa: A002
    if format is not None:
        fmt = {"jpg": "jpeg"}.get(format, format)
        if fmt not in FORMATS:
            raise ValueError(f"render {path}: format must be one of {', '.join(FORMATS)}, got {format!r}")
        return fmt
    extension = os.path.splitext(path)[1].lower()
    if extension not in EXTENSIONS:
        raise ValueError(
            f"render {path}: cannot tell the format from the extension {extension or '(none)'!r}; "
            f"use one of {', '.join(EXTENSIONS)} or pass format= (one of {', '.join(FORMATS)})"
        )
    return EXTENSIONS[extension]


def render(
    root: Value,
    path: Union[str, os.PathLike],
    format: Optional[str] = None,  # noqa: A002 - the name users know from graphviz
    *,
    max_nodes: Optional[int] = DEFAULT_MAX_NODES,
    timeout: float = 30.0,
    **options,
) -> str:
    """Write root's graph to `path`, atomically; return the path.

    The format comes from the extension (.svg, .png, .pdf, .jpg/.jpeg, or .dot/.gv for the DOT
    text, which needs no program); `format=` overrides it. A format the program in use cannot
    write (pdf with graphviz-pure) is a ValueError naming the ones it can. The file appears
    complete or not at all; the program runs with a `timeout` in seconds. Takes the options of
    `to_dot`.

    >>> import os, tempfile
    >>> from autograd import Value
    >>> x = Value(2.0, label="x"); y = x * x; y.backward()
    >>> path = render(y, os.path.join(tempfile.mkdtemp(), "square.png"))
    >>> open(path, "rb").read(4) == b"\\x89PNG"
    True
    """
    shown = os.fspath(path)
    fmt = _format_for(shown, format)
    where = f"render {shown}"
    text = _picture_dot(root, where, max_nodes, options)
    data = text.encode("utf-8") if fmt == "dot" else _backend.run(text, fmt, timeout=timeout, where=where)
    return write_atomically(path, data)


_picture_class = None


def _picture_type():
    """A graphviz.Digraph whose drawing goes through our backend, not a `dot` on PATH (made on
    first use, so `import autograd` does not import graphviz)."""
    global _picture_class
    if _picture_class is None:
        import graphviz

        class Picture(graphviz.Digraph):
            """A graphviz.Digraph drawn by `autograd.render_backend()` (works with graphviz-pure alone)."""

            timeout = 30.0

            def pipe(self, format=None, renderer=None, formatter=None, neato_no_op=None, quiet=False, *,  # noqa: A002
                     engine=None, encoding=None):
                data = _backend.run(self.source, format or self.format, timeout=self.timeout, where="draw_dot")
                return data.decode(encoding) if encoding else data

            def render(self, filename=None, directory=None, view=False, cleanup=False, format=None,  # noqa: A002
                       renderer=None, formatter=None, neato_no_op=None, quiet=False, quiet_view=False, *,
                       outfile=None, engine=None, raise_if_result_exists=False, overwrite_source=False):
                fmt = format or self.format
                if outfile is not None:
                    target = os.fspath(outfile)
                else:
                    source_path = self.save(filename, directory=directory)
                    target = f"{source_path}.{fmt}"
                data = _backend.run(self.source, fmt, timeout=self.timeout, where=f"render {target}")
                write_atomically(target, data)
                if cleanup and outfile is None:
                    os.remove(source_path)
                return target

        _picture_class = Picture
    return _picture_class


def draw_dot(root: Value, *, max_nodes: Optional[int] = DEFAULT_MAX_NODES, **options):
    """root's graph as a `graphviz.Digraph` (displays itself in Jupyter; `.render()` writes files).

    It is drawn by `render_backend()`, so it works with the pip-installed graphviz-pure alone.
    Raises GraphTooLargeError above `max_nodes` values (pass `collapse="neuron"`,
    `partial=True` or `max_nodes=None`). Takes the options of `to_dot`.

    >>> from autograd import Value
    >>> x = Value(3.0, label="x"); y = x.tanh(); y.backward()
    >>> g = draw_dot(y, rankdir="TB")
    >>> g.source == to_dot(y, rankdir="TB")
    True
    """
    return _picture_type()(name=_GRAPH_NAME, body=_picture_lines(root, "draw_dot", max_nodes, options)[0])


# Inline display (Jupyter): a picture a learner reads, not a wall to scroll past.
INLINE_VALUES = 100  # above this many values, a graph of nn neurons is shown collapsed
INLINE_HEIGHT = 1600  # px (1200 pt): about two laptop screens; a taller picture is scaled down


def repr_mimebundle(value: Value, include=None, exclude=None, *, max_nodes: int = DEFAULT_MAX_NODES) -> dict:
    """What Jupyter shows for a Value: always text/plain, plus the graph as SVG when it can.

    Never a wall: a graph of more than `INLINE_VALUES` values built by `nn` modules is drawn
    collapsed (one box per neuron, or per layer when that is still too many); a graph of more
    than `max_nodes` values is drawn in part (the values nearest the output, each cut marked
    "+N uses/inputs not drawn"); a picture taller than `INLINE_HEIGHT` pixels is scaled down.
    Each of these is said in one line at the top of the picture (and in the text), with the
    call that draws everything. Without any dot program the text says what to install.
    Never raises.

    >>> from autograd import Value
    >>> sorted(repr_mimebundle(Value(1.0)))[-1]
    'text/plain'
    """
    bundle = {"text/plain": repr(value)}
    if not _wanted("image/svg+xml", include, exclude):
        return bundle
    try:
        options, notes, count = _inline_view(value)
        lines, drawn = _picture_lines(value, "display", max_nodes, dict(options, partial=True))
        if drawn is not None and drawn < count:
            notes.append(
                f"graph of {count} values: the picture shows the {drawn} nearest the output; "
                f"autograd.render(v, 'graph.svg', max_nodes=None) draws it all"
            )
        svg = _backend.run(_digraph(lines + _note_lines(notes)), "svg", timeout=20.0, where="display").decode("utf-8")
        svg, scale = _fit_height(svg, INLINE_HEIGHT * 0.75)
        if scale < 1:
            notes.append(f"scaled to {scale:.0%} to fit: autograd.render(v, 'graph.svg') writes it full size")
            svg = _backend.run(_digraph(lines + _note_lines(notes)), "svg", timeout=20.0, where="display").decode("utf-8")
            svg, _ = _fit_height(svg, INLINE_HEIGHT * 0.75)
        bundle["image/svg+xml"] = svg
        if notes:
            bundle["text/plain"] += "\n(" + "; ".join(notes) + ")"
    except Exception as error:  # a display hook must never break the notebook
        bundle["text/plain"] += f"\n(graph not drawn: {type(error).__name__}: {error})"
    return bundle


def _inline_view(value: Value) -> tuple:
    """The options of the inline picture (full, or collapsed for a big nn graph), its notes, and
    the number of values (or boxes) it would draw."""
    from autograd.render.dot import build_view

    def counted(view) -> int:
        return sum(1 for b in view.boxes() if not view.is_constant(b))

    count = counted(build_view(value, where="display")[0])
    if count > INLINE_VALUES:
        for collapse in ("neuron", "layer"):
            view = build_view(value, collapse=collapse, where="display")[0]
            if not view.groups:
                break
            boxes = counted(view)
            if boxes <= INLINE_VALUES or collapse == "layer":
                return {"collapse": collapse}, [
                    f"{count} values drawn by {collapse} ({boxes} boxes): "
                    f"autograd.draw_dot(v) or autograd.render(v, 'graph.svg') draws every value"
                ], boxes
    return {}, [], count


def _note_lines(notes: list) -> list:
    """The notes as the picture's title, top left, in grey: Jupyter shows the picture, not the text."""
    if not notes:
        return []
    text = "<BR ALIGN=\"LEFT\"/>".join(_escape(note) for note in notes) + "<BR ALIGN=\"LEFT\"/>"
    return [f'\tlabel=<{text}> labelloc=t labeljust=l fontsize=10 fontcolor="#4b5563"\n']


def _fit_height(svg: str, most_pt: float) -> tuple:
    """The SVG with its width and height scaled so the height is at most `most_pt` points
    (its viewBox kept, so it scales as a whole), and the scale used (1 when it fits)."""
    import re

    match = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    if match is None:
        return svg, 1.0
    width, height = float(match.group(1)), float(match.group(2))
    if height <= most_pt:
        return svg, 1.0
    scale = most_pt / height
    sized = f'<svg width="{width * scale:.0f}pt" height="{height * scale:.0f}pt"'
    return svg[: match.start()] + sized + svg[match.end():], scale


def _wanted(mime: str, include, exclude) -> bool:
    return (include is None or mime in include) and (exclude is None or mime not in exclude)
