"""The look shared by the pictures and the explorer: palette, font, roles, op symbols, label text.

Both draw the same graph, so they read every colour, role and op symbol from here: change a
colour or the font once and both follow. An op's symbol is the op table's (`Op.symbol`), so an
op added with `define_op(..., symbol="⊕")` is drawn with it everywhere.

>>> from autograd import Value
>>> x = Value(2.0, label="x"); y = x * 3
>>> role(x, y), role(y, y), op_symbol(y), escape("a<b>")
('input', 'output', '*', 'a&lt;b&gt;')
"""

from __future__ import annotations

import html
import math
import unicodedata
from typing import Any, Callable, Union

__all__ = [
    "COLORS",
    "FONT",
    "SVG_FONT_FAMILY",
    "RASTER_FONT",
    "ROLES",
    "LABEL_LIMIT",
    "role",
    "op_symbol",
    "escape",
    "shorten",
    "visible",
    "display_name",
    "natural_key",
    "number_formatter",
    "reader_formatter",
    "weight_edge",
    "strongest",
    "STRONG_INPUTS",
]

# The font named in the DOT text: its metrics size the boxes. An SVG is drawn with the viewer's
# fonts, so it is laid out with the widest of the common sans fonts, DejaVu Sans (about 11% wider
# than Helvetica, Arial and Liberation Sans, which then fit with room to spare), and names them
# all (SVG_FONT_FAMILY). graphviz-pure draws a PNG with its own fonts and has no DejaVu Sans: it
# would draw a serif face, so a raster picture it draws names RASTER_FONT, which it measures and
# draws alike. (`autograd.render.layout.fonts_for` applies this.)
FONT = "DejaVu Sans"
SVG_FONT_FAMILY = "DejaVu Sans,Helvetica,Arial,Liberation Sans,sans-serif"
RASTER_FONT = "Helvetica"

# Inputs/parameters, constants, intermediates, the output and nn group boxes; op circles,
# edges, highlighted paths, notes, and the two ends of the diverging gradient fill. The values are
# "#rrggbb" strings, except the two ends (RGB triples, mixed by the shade): hence `Any`.
COLORS: dict[str, Any] = {
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
    "cluster": "#9ca3af",
    "weight_positive": "#0f766e",  # teal: a weight > 0 (edges of collapsed views; not the grad colours)
    "weight_negative": "#ea580c",  # orange: a weight < 0
    "weak": "#e5e7eb",  # the weaker inputs of a neuron, drawn faint
    "negative": (37, 99, 235),  # blue: grad < 0
    "positive": (220, 38, 38),  # red: grad > 0
    # the explorer's page (lighter lines: the active step is drawn over them)
    "node_border": "#4b5563",
    "page_edge": "#9ca3af",
    "page_cluster": "#cbd5e1",
    "page_cluster_text": "#64748b",
}
ROLES = ("input", "constant", "intermediate", "output")

# Graphviz fails on labels of about 16 KB and a long label is unreadable anyway: a picture
# shows the start and an ellipsis (the Value keeps its whole label).
LABEL_LIMIT = 200
SYMBOL_LIMIT = 40  # an op circle's text (a define_op symbol may be any string)


# A neuron box's inputs: the STRONG_INPUTS with the largest |w| are drawn in the weight's colour,
# as wide as |w| is large; the others faint (a 16-wide layer's 256 edges are a grey band otherwise).
STRONG_INPUTS = 3
WIDEST = 4.0  # the penwidth of the largest |w| drawn


def weight_edge(weight: float, largest: float, strong: bool) -> str:
    """DOT attributes of an edge carrying `weight` into a neuron: colour by its sign, width by
    |weight| / `largest`; a weak input thin and faint.

    >>> weight_edge(-0.5, 1.0, True), weight_edge(0.1, 1.0, False)
    ('color="#ea580c" penwidth=2.25', 'color="#e5e7eb" penwidth=0.6 arrowhead=none')
    """
    if not strong:
        return f'color="{COLORS["weak"]}" penwidth=0.6 arrowhead=none'
    color = COLORS["weight_positive" if weight >= 0 else "weight_negative"]
    share = abs(weight) / largest if largest > 0 and math.isfinite(weight) else 0.0
    return f'color="{color}" penwidth={0.5 + (WIDEST - 0.5) * min(1.0, share):.2f}'


def strongest(pairs: list, count: int = STRONG_INPUTS) -> set:
    """Indices of the `count` (input, weight) pairs with the largest |weight.data| (ties: first)."""
    ranked = sorted(range(len(pairs)), key=lambda k: (-abs(pairs[k][1].data), k))
    return set(ranked[:count])


def role(node, root) -> str:
    """How a node is coloured: "output" (root), "intermediate" (an op result), "input" (a leaf
    that takes a gradient: an input or a parameter) or "constant"."""
    if node is root:
        return "output"
    if node.parents:
        return "intermediate"
    return "input" if node.requires_grad else "constant"


def op_symbol(node) -> str:
    """The text of node's op circle: the op table's symbol (its name when it has none), shortened."""
    op = node.op_entry
    return shorten(op.symbol or op.name, SYMBOL_LIMIT)


def shorten(text, limit: int = LABEL_LIMIT) -> str:
    """`text` cut to `limit` characters, the last one an ellipsis when cut."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text) -> str:
    """Text for an HTML-like DOT label: markup, brackets and backslashes escaped, control
    characters and lone surrogates made visible (\\x0a), lines joined with <BR/>."""
    out = []
    for line in str(text).split("\n"):
        visible = "".join(ch if unicodedata.category(ch) not in ("Cc", "Cs") else f"\\x{ord(ch):02x}" for ch in line)
        escaped = html.escape(visible, quote=True)
        # Graphviz expands \N, \E, \G, ... even in HTML-like labels; a doubled backslash is one
        # backslash. Graphviz 2.43 fails on "]" in an HTML-like label: use the character reference.
        escaped = escaped.replace("\\", "\\\\").replace("[", "&#91;").replace("]", "&#93;")
        out.append(escaped)
    return "<BR/>".join(out)


def visible(text) -> str:
    """`text` with control characters and lone surrogates written as \\x.. (for page text,
    which must encode as UTF-8)."""
    return "".join(
        ch if unicodedata.category(ch) not in ("Cc", "Cs") or ch == "\n" else f"\\x{ord(ch):02x}" for ch in str(text)
    )


def display_name(text) -> str:
    """A name as text shows it (a table, a sentence, a page): shortened to LABEL_LIMIT like a
    picture's label, control characters and lone surrogates made visible."""
    return visible(shorten(text))


def natural_key(name: str) -> list:
    """Sort key putting "neurons.2" before "neurons.10"."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in name.split(".")]


def number_formatter(number_format: Union[str, Callable[[float], str]]) -> Callable[[float], str]:
    """The pictures' numbers: `format(x, number_format)`, or the callable itself; -0 reads 0.
    (Check `number_format` first with `autograd.checks.check_number_format`.)"""
    if callable(number_format):
        return number_format
    return lambda x: format(x + 0.0, number_format)  # + 0.0: a -0.0 reads "0", not "-0"


def reader_formatter(number_format: str) -> Callable[[object], str]:
    """The explorer's numbers, as read in a sentence: a typographic minus, "undefined" for None,
    "inf"/"nan" words, and 0 for -0 (a relu's 0 × a negative upstream is 0 to a reader).

    >>> fmt = reader_formatter(".4g")
    >>> fmt(-1.5), fmt(-0.0), fmt(None), fmt(float("-inf"))
    ('−1.5', '0', 'undefined', '−inf')
    """

    def fmt(x) -> str:
        if x is None:
            return "undefined"
        if isinstance(x, float) and not math.isfinite(x):
            return "nan" if math.isnan(x) else ("inf" if x > 0 else "−inf")
        if x == 0:
            return "0"
        text = format(x, number_format)
        return text.replace("-", "−") if text.startswith("-") else text

    return fmt
