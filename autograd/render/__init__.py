"""Draw the computation graph with values and gradients: DOT text, SVG/PNG/PDF, Jupyter.

`to_dot` builds the DOT text (no program needed, `dot.py`); `render`, `to_svg`, `draw_dot` and
the Jupyter display hand it to a dot program: `DAGRAD_DOT` if set, else Graphviz's `dot`, else
the pip-installed `graphviz-pure` (`backend.py`). Collapsed views of `nn` models live in
`neurons.py`. Nothing here is imported by the engine.

Reading order: `view.build_view` chooses the boxes drawn (every node, nn neurons or layers, a
part); `dot.body` writes their DOT text with the look of `style.py` (palette, font, roles, op
symbols, escaping; the explorer reads it too); `backend.run` runs the dot program.
"""

from __future__ import annotations

import os
from typing import Optional, Union

from autograd.checks import check_real
from autograd.files import check_file_path, write_atomically
from autograd.render import backend as _backend
from autograd.render import dot
from autograd.render.backend import GraphvizNotFoundError, render_backend
from autograd.render.layout import COST_LIMIT, budget_lines, layout_cost
from autograd.render.style import COLORS, escape
from autograd.render.view import DEFAULT_MAX_NODES, GraphTooLargeError, View, build_view, nn_neurons
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
      about 0: saturated tanh/sigmoid, a relu off here) or None; `color_by_role=False` is color=None;
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
    return _dot_text(_lines(root, where, options))


def _lines(root: Value, where: str, options: dict, view: Optional[View] = None) -> list:
    """The DOT lines of root's graph: the drawing options checked first, then the view built
    (unless given) and drawn."""
    unknown = sorted(set(options) - set(dot.VIEW_OPTIONS) - set(_DRAWING_OPTIONS))
    if unknown:
        raise TypeError(
            f"{where}: unknown option {unknown[0]!r}; the options are {', '.join(dot.VIEW_OPTIONS + _DRAWING_OPTIONS)}"
        )
    drawing = dot.options(where=where, **{k: v for k, v in options.items() if k in _DRAWING_OPTIONS})
    if view is None:
        view, on_path = build_view(root, where=where, **{k: v for k, v in options.items() if k in dot.VIEW_OPTIONS})
    else:
        on_path = set()
    return dot.body(view, on_path, drawing)


_DRAWING_OPTIONS = (
    "rankdir",
    "show_grads",
    "number_format",
    "edge_derivatives",
    "color",
    "color_by_role",
    "clusters",
    "cluster_depth",
)


def _dot_text(lines: list) -> str:
    return f"digraph {_GRAPH_NAME} {{\n" + "".join(_laid_out(lines)) + "}\n"


def _laid_out(lines: list) -> list:
    """The body lines after the layout limits for the graph's size (`layout.budget_lines`)."""
    return budget_lines("".join(lines)) + lines


def _picture_dot(root: Value, where: str, max_nodes, options: dict) -> str:
    return _dot_text(_picture_lines(root, where, max_nodes, options)[0])


def _picture_lines(root: Value, where: str, max_nodes, options: dict, view: Optional[View] = None) -> tuple:
    """The DOT lines of a picture that a dot program lays out in a few seconds, and the
    max_nodes they were drawn with.

    Under a `max_nodes` limit, a graph whose edges reach so far back that its layout would pass
    `layout.COST_LIMIT` is refused at once (GraphTooLargeError saying what to do), or with
    `partial=True` drawn with fewer of the values nearest the output, until it fits.
    `max_nodes=None` lays out anything (with the fastest limits, within the `timeout`).
    """
    lines = _lines(root, where, dict(options, max_nodes=max_nodes), view=view)
    cost = layout_cost("".join(lines))
    if max_nodes is None or cost <= COST_LIMIT:
        return lines, max_nodes
    if not options.get("partial"):
        raise GraphTooLargeError(
            f"{where}: this graph's edges reach far back, so dot would lay out about {cost:,} nodes "
            f"(a long edge is routed through one per rank it crosses), more than the {COST_LIMIT:,} "
            f"it lays out in a few seconds; pass partial=True (draws the values nearest the output that fit), "
            f"collapse='neuron' for an nn model, or max_nodes=None to lay it all out anyway (slow)"
        )
    limit = max_nodes
    while cost > COST_LIMIT and limit > 1:
        limit = max(1, limit * 2 // 3)
        lines = _lines(root, where, dict(options, max_nodes=limit))
        cost = layout_cost("".join(lines))
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
    return _run(root, text, "svg", timeout, "to_svg", "to_svg").decode("utf-8")


def _run(root: Value, text: str, fmt: str, timeout: float, where: str, caller: str) -> bytes:
    """The picture's bytes from the backend; a timeout says what `caller` can do about it."""
    check_real(where, "timeout", timeout, low=0.0)

    def advice() -> str:
        nn = ", or collapse='neuron' (one box per nn neuron)" if nn_neurons(root) else ""
        return (
            f"draw less (max_nodes=... with partial=True draws the values nearest the output{nn}) "
            f"or pass a larger timeout= to {caller} (it was {timeout:g} s)"
        )

    return _backend.run(text, fmt, timeout=timeout, where=where, advice=advice)


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
    check_file_path(where, shown)  # before the layout, which may take a while
    text = _picture_dot(root, where, max_nodes, options)
    data = text.encode("utf-8") if fmt == "dot" else _run(root, text, fmt, timeout, where, "render")
    return write_atomically(path, data, where=where)


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
            root = None  # the Value drawn (for the advice on a timeout)

            def pipe(
                self,
                format=None,
                renderer=None,
                formatter=None,
                neato_no_op=None,
                quiet=False,
                *,  # noqa: A002
                engine=None,
                encoding=None,
            ):
                data = _run(self.root, self.source, format or self.format, self.timeout, "draw_dot", "draw_dot")
                return data.decode(encoding) if encoding else data

            def render(
                self,
                filename=None,
                directory=None,
                view=False,
                cleanup=False,
                format=None,  # noqa: A002
                renderer=None,
                formatter=None,
                neato_no_op=None,
                quiet=False,
                quiet_view=False,
                *,
                outfile=None,
                engine=None,
                raise_if_result_exists=False,
                overwrite_source=False,
            ):
                fmt = format or self.format
                if outfile is not None:
                    target = os.fspath(outfile)
                else:
                    source_path = self.save(filename, directory=directory)
                    target = f"{source_path}.{fmt}"
                where = f"render {target}"
                check_file_path(where, target)
                write_atomically(
                    target, _run(self.root, self.source, fmt, self.timeout, where, "draw_dot"), where=where
                )
                if cleanup and outfile is None:
                    os.remove(source_path)
                return target

        _picture_class = Picture
    return _picture_class


def draw_dot(root: Value, *, max_nodes: Optional[int] = DEFAULT_MAX_NODES, timeout: float = 30.0, **options):
    """root's graph as a `graphviz.Digraph` (displays itself in Jupyter; `.render()` writes files).

    It is drawn by `render_backend()`, so it works with the pip-installed graphviz-pure alone.
    Raises GraphTooLargeError above `max_nodes` values (pass `collapse="neuron"`,
    `partial=True` or `max_nodes=None`). The program runs with a `timeout` in seconds when the
    picture is drawn. Takes the options of `to_dot`.

    >>> from autograd import Value
    >>> x = Value(3.0, label="x"); y = x.tanh(); y.backward()
    >>> g = draw_dot(y, rankdir="TB")
    >>> g.source == to_dot(y, rankdir="TB")
    True
    """
    check_real("draw_dot", "timeout", timeout, low=0.0)
    lines = _laid_out(_picture_lines(root, "draw_dot", max_nodes, options)[0])
    picture = _picture_type()(name=_GRAPH_NAME, body=lines)
    picture.root, picture.timeout = root, timeout
    return picture


# Inline display (Jupyter): a picture a learner reads, not a wall to scroll past.
INLINE_VALUES = 100  # above this many values, a graph of nn neurons is shown collapsed
INLINE_HEIGHT = 1600  # px (1200 pt): about two laptop screens; a taller picture is scaled down
CELL_WIDTH = 1000  # px: about a notebook cell's width on a laptop
DISPLAY_TIMEOUT = 20.0  # seconds a notebook waits for a Value's picture


def repr_mimebundle(value: Value, include=None, exclude=None, *, max_nodes: int = DEFAULT_MAX_NODES) -> dict:
    """What Jupyter shows for a Value: always text/plain, plus the graph as SVG when it can.

    Never a wall: a graph of more than `INLINE_VALUES` values built by `nn` modules is drawn
    collapsed (one box per neuron, or per layer when that is still too many); a graph of more
    than `max_nodes` values, or one too slow to lay out, is drawn in part (the values nearest
    the output, each cut marked "+N uses/inputs not drawn"); a picture taller than
    `INLINE_HEIGHT` pixels (as shown in a cell about `CELL_WIDTH` wide) is scaled down. The picture says each of these in a line at its top
    (the notebook shows the picture, not the text), with the call that draws everything.
    Without any dot program the text says what to install. Never raises.

    >>> from autograd import Value
    >>> sorted(repr_mimebundle(Value(1.0)))[-1]
    'text/plain'
    """
    bundle = {"text/plain": repr(value)}
    if not _wanted("image/svg+xml", include, exclude):
        return bundle
    try:
        options, notes, view = _inline_view(value, max_nodes)
        lines, drawn = _picture_lines(value, "display", max_nodes, options, view=view)
        if drawn is not None and drawn < view.values:
            notes.append(
                f"graph of {view.values} values: the picture shows the {drawn} nearest the output; "
                f"autograd.render(v, 'graph.svg', max_nodes=None) draws it all"
            )
        advice = _display_advice(value)
        svg, scale = _inline_svg(lines, notes, advice)
        if scale < 1:  # drawn again with the note saying so: it changes the layout's height
            notes.append(
                f"scaled to {scale:.0%} to fit; autograd.render(v, 'graph.svg'{_call(options)}) writes it full size"
            )
            svg, _ = _inline_svg(lines, notes, advice)
        bundle["image/svg+xml"] = svg
        if notes:
            bundle["text/plain"] += "\n(" + "; ".join(notes) + ")"
    except Exception as error:  # a display hook must never break the notebook
        bundle["text/plain"] += f"\n(graph not drawn: {type(error).__name__}: {error})"
    return bundle


def _inline_view(value: Value, max_nodes: int) -> tuple:
    """The options of the inline picture (every value, or nn neurons or layers as boxes for a
    big nn graph), its notes, and its view (built once)."""
    view, _ = build_view(value, max_nodes=max_nodes, partial=True, where="display")
    if view.values <= INLINE_VALUES:
        return {"partial": True}, [], view
    for collapse in ("neuron", "layer"):
        boxes, _ = build_view(value, collapse=collapse, max_nodes=max_nodes, partial=True, where="display")
        if not boxes.groups:
            break
        if boxes.values <= INLINE_VALUES or collapse == "layer":
            note = (
                f"{view.values} values drawn as {boxes.values} boxes, one per nn {collapse}; "
                f"autograd.draw_dot(v) draws every value"
            )
            return {"partial": True, "collapse": collapse}, [note], boxes
    return {"partial": True}, [], view


def _call(options: dict) -> str:
    return "".join(f", {k}={v!r}" for k, v in options.items() if k != "partial")


def _display_advice(value: Value):
    """What a notebook user can do when the inline picture takes too long."""

    def advice() -> str:
        nn = " or autograd.draw_dot(value, collapse='neuron') (one box per nn neuron)" if nn_neurons(value) else ""
        return f"draw it with autograd.to_svg(value, timeout=120){nn}"

    return advice


def _inline_svg(lines: list, notes: list, advice=None) -> tuple:
    """The SVG of the DOT lines with the notes as its title, scaled down to at most
    `INLINE_HEIGHT` pixels tall (viewBox kept), and the scale used (1 when it fits)."""
    import re

    title = []
    if notes:  # top left, in grey
        text = "".join(escape(note) + '<BR ALIGN="LEFT"/>' for note in notes)
        title = [f'\tlabel=<{text}> labelloc=t labeljust=l fontsize=10 fontcolor="{COLORS["muted"]}"\n']
    svg = _backend.run(_dot_text(lines + title), "svg", timeout=DISPLAY_TIMEOUT, where="display", advice=advice).decode(
        "utf-8"
    )
    match = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    if match is None:
        return svg, 1.0
    width, height = float(match.group(1)) * 4 / 3, float(match.group(2)) * 4 / 3  # px
    # A notebook shrinks a picture wider than the cell to its width: that height is the one seen.
    if height * min(1.0, CELL_WIDTH / width) <= INLINE_HEIGHT:
        return svg, 1.0
    scale = INLINE_HEIGHT / height
    sized = f'<svg width="{width * scale * 0.75:.0f}pt" height="{INLINE_HEIGHT * 0.75:.0f}pt"'
    return svg[: match.start()] + sized + svg[match.end() :], scale


def _wanted(mime: str, include, exclude) -> bool:
    return (include is None or mime in include) and (exclude is None or mime not in exclude)
