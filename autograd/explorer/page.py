"""Self-contained offline pages, shared by the explorer and any later view (nn's training replay):
one HTML file with its script, style and data inline, and a Content-Security-Policy that lets
nothing load from anywhere (only this script, by its hash, runs)."""

from __future__ import annotations

import base64
import hashlib
import html
import json
from functools import cache
from importlib import resources

__all__ = ["offline_page", "stylesheet", "json_for_script", "widget_class"]


def stylesheet() -> str:
    """The explorer's CSS: the look (colours, buttons, legend, narration bar) other views reuse
    by placing their markup under an element with class ``dagrad-explorer``.

    >>> ".dagrad-explorer" in stylesheet()
    True
    """
    return resources.files("autograd.explorer").joinpath("explorer.css").read_text(encoding="utf-8")


def json_for_script(data) -> str:
    """`data` as JSON safe inside ``<script type="application/json">``: nothing in it can end
    the element early (``</script>``, ``<!--``) or break a line in JavaScript.

    >>> json_for_script({"label": "</script>"})
    '{"label": "\\\\u003c/script>"}'
    """
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


def offline_page(title: str, script: str, style: str, data, root_id: str) -> str:
    """One HTML page: ``<main id=root_id>``, `data` as JSON in ``<script id="dagrad-data">``,
    then `script`. No request leaves the page: the policy allows only this script (by hash),
    this style and data: images.

    >>> page = offline_page("t", "1;", "p{}", {"a": 1}, "root")
    >>> "default-src 'none'" in page and '<main id="root">' in page
    True
    """
    csp = f"default-src 'none'; script-src {_csp_hash(script)}; style-src {_csp_hash(style)} 'unsafe-inline'; img-src data:"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{style}</style>\n</head>\n<body>\n"
        f'<main id="{html.escape(root_id)}"></main>\n'
        f'<script type="application/json" id="dagrad-data">{json_for_script(data)}</script>\n'
        f"<script>{script}</script>\n</body>\n</html>\n"
    )


@cache
def widget_class(name: str, esm: str, css: str, traits: tuple, needed_by: str):
    """An anywidget widget class (made once per arguments): `esm` and `css` its front end, and
    `traits` the (name, kind) pairs it syncs with the browser, kind "dict" or "int". anywidget
    is imported only here; without it an ImportError says what `needed_by` needs and how to
    install it.

    >>> from importlib.util import find_spec
    >>> traits = (("data", "dict"),)
    >>> demo = widget_class("Demo", "export default {}", "", traits, "the demo") if find_spec("anywidget") else None
    >>> demo is None or demo(data={"a": 1}).data == {"a": 1}
    True
    """
    try:
        import anywidget
        import traitlets
    except ImportError as error:
        raise ImportError(f"{needed_by} needs anywidget (pip install anywidget, or dagrad[jupyter])") from error
    kinds = {"dict": lambda: traitlets.Dict(), "int": lambda: traitlets.Int(0)}
    body = {"_esm": esm, "_css": css, **{trait: kinds[kind]().tag(sync=True) for trait, kind in traits}}
    return type(name, (anywidget.AnyWidget,), body)
