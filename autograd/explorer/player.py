"""The player: `Explorer` holds the data `explore` built, and shows it as a Jupyter widget or
one self-contained HTML page.

`Explorer.data` holds the graph (an SVG laid out by Graphviz), the values, the gradients and
one frame per event (a value computed in the forward pass, an edge used in the backward pass).
The same JavaScript player (`explorer.js`) shows it in Jupyter (an anywidget widget,
`widget.js`) and in one page (`page.js`, `save_html`); both work offline, with no network
request.
"""

from __future__ import annotations

import html
import math
import os
from importlib import resources
from typing import Optional, Union

from autograd.explorer.page import offline_page, stylesheet, widget_class
from autograd.files import check_file_path, write_atomically
from autograd.render.style import visible
from autograd.value import Value

__all__ = ["Explorer"]


class Explorer:
    """A step-through view of root's forward and backward pass (see `explore`).

    `data` is everything the player shows (JSON-ready); `frames` its frames; `steps` the
    `BackwardSteps`; `values` the Values shown, in the order of `data["nodes"]`. In Jupyter it
    displays as a widget; `save_html(path)` writes one page.
    """

    def __init__(self, root: Value, data: dict, steps, values: list):
        self.root = root
        self.data = json_safe(data)
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
        return _page(self.data, visible(title) if title else self.data["title"])

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
        where = f"save_html {os.fspath(path)}"
        check_file_path(where, path)
        return write_atomically(path, self.to_html(title), where=where)

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


def json_safe(obj):
    """`obj` ready for JSON (the page's and Jupyter's): every NaN or infinity replaced by None
    (JSON has no such numbers; the text fields still say "nan" or "inf"), and every string
    encodable as UTF-8."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, str):
        try:
            obj.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: written \xdc80, as the pictures write it
            return visible(obj)
        return obj
    if isinstance(obj, dict):
        return {json_safe(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [json_safe(v) for v in obj]
    return obj


# -- the page and the widget ---------------------------------------------------------------------


def _asset(name: str) -> str:
    return resources.files("autograd.explorer").joinpath(name).read_text(encoding="utf-8")


def _page(data: dict, title: str) -> str:
    script = _asset("explorer.js") + "\n" + _asset("page.js")
    return offline_page(
        title, script=script, style=stylesheet() + "\n" + _asset("page.css"), data=data, root_id="dagrad-explorer"
    )


def _widget_class():
    """The explorer in Jupyter: `data` is the player's data, `frame` the frame shown (synced)."""
    return widget_class(
        "ExplorerWidget",
        _asset("explorer.js") + "\n" + _asset("widget.js"),
        stylesheet(),
        (("data", "dict"), ("frame", "int")),
        "explore's Jupyter widget (without it, explore(root).save_html('backprop.html') writes the same player as a page)",
    )
