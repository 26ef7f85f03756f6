"""How much work a layout is, and the Graphviz limits that keep it within a few seconds.

`dot` spends its time on "virtual nodes": an edge that spans k ranks is routed through k - 1
invisible nodes, which the crossing minimisation and the coordinate assignment both handle like
real ones. A neat layered graph (an MLP loss) has few; a graph whose values are reused far from
where they were made (a long-range random DAG) has about n²/4 of them, and Graphviz's default
iteration limits then take minutes (a 300-value random DAG took over 60 s with graphviz-pure).

`layout_cost` estimates the nodes dot will handle from the DOT text itself (ranks by longest
path, each source placed just before its first use, as dot's ranking does), and `budget` picks
the layout limits for that size:

- up to `FULL` nodes, Graphviz's defaults (the best picture);
- up to `LIMITED`, fewer network-simplex and crossing-minimisation iterations, still with
  curved edges that go around boxes;
- above, one iteration each and straight edges (`splines=line`): edges may cross boxes, but a
  300-value long-range DAG is laid out in about 0.6 s of CPU (`python -m benchmarks.render`).

Above `COST_LIMIT` a picture with a `max_nodes` limit is refused at once, or drawn in part
(render's `_picture_dot`), rather than keep a user waiting for minutes.

The limits are graph attributes written into the DOT text, so the text stays deterministic
and a user who runs `dot` on it gets the same layout.
"""

from __future__ import annotations

import re

__all__ = [
    "layout_cost",
    "budget",
    "budget_lines",
    "with_budget",
    "fonts_for",
    "svg_fonts",
    "FULL",
    "LIMITED",
    "MARKER",
    "COST_LIMIT",
]

# Nodes dot handles (real + virtual) up to which each tier is used. Measured with graphviz-pure
# 0.2.2 on a 2-core machine (benchmarks/render.py): Graphviz's defaults take about 0.5 s of CPU
# at FULL, the limited tier about 0.6 s at LIMITED; curved edges (spline routing around boxes)
# are what grows fastest beyond, so the fast tier draws straight ones.
FULL = 2_500
LIMITED = 6_000
MARKER = "// layout budget:"
# Above this many nodes the fast tier takes more than about 2.5 s of CPU (a 300-value long-range
# DAG is 33,800 and 0.7 s; a 500-value one, the most the default max_nodes draws, 94,000 and
# 2.3 s: 3.2 s wall on a 2-core machine running CI beside it): pictures with a max_nodes limit
# refuse or draw less. A user who raises max_nodes meets this limit instead of a minute's wait.
COST_LIMIT = 100_000

_TIERS = {
    "full": "",
    "limited": "nslimit=2 nslimit1=4 mclimit=0.2 searchsize=20",
    # mclimit and nslimit must be > 0: Graphviz reads 0 as "not set" and uses its defaults.
    "fast": "nslimit=0.0001 mclimit=0.0001 searchsize=1 remincross=false splines=line",
}

_EDGE = re.compile(r"^\s*(\w+)\s*->\s*(\w+)", re.M)
_NODE = re.compile(r"^\s*(\w+)\s*\[", re.M)
_NOT_NODES = {"graph", "node", "edge"}


def layout_cost(dot_text: str) -> int:
    """Nodes + virtual nodes dot will lay out for this DOT text (one of ours: `a -> b` edges).

    >>> layout_cost("digraph { a [label=a]\\n b [label=b]\\n c [label=c]\\n a -> b\\n b -> c\\n a -> c\\n}")
    4
    """
    nodes = [n for n in _NODE.findall(dot_text) if n not in _NOT_NODES]
    edges = _EDGE.findall(dot_text)
    parents: dict = {n: [] for n in nodes}
    children: dict = {n: [] for n in nodes}
    for a, b in edges:
        parents.setdefault(b, []).append(a)
        children.setdefault(a, []).append(b)
        parents.setdefault(a, [])
        children.setdefault(b, [])
    rank = _longest_path_ranks(parents, children)
    # A source (a leaf value) is drawn just before its first use, as dot's ranking pulls it there.
    for node, ps in parents.items():
        if not ps and children[node]:
            rank[node] = min(rank[c] for c in children[node]) - 1
    virtual = sum(max(0, rank[b] - rank[a] - 1) for a, b in edges)
    return len(parents) + virtual


def _longest_path_ranks(parents: dict, children: dict) -> dict:
    """Rank = length of the longest path from a source (Kahn's order; no recursion)."""
    waiting = {n: len(ps) for n, ps in parents.items()}
    ready = [n for n, k in waiting.items() if k == 0]
    rank = dict.fromkeys(ready, 0)
    while ready:
        node = ready.pop()
        for child in children[node]:
            rank[child] = max(rank.get(child, 0), rank[node] + 1)
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    for node in parents:  # a cycle (not one of ours) keeps rank 0
        rank.setdefault(node, 0)
    return rank


def budget(dot_text: str) -> str:
    """The tier for this DOT text: "full", "limited" or "fast" (see the module docstring)."""
    return _tier(layout_cost(dot_text))


def _tier(cost: int) -> str:
    return "full" if cost <= FULL else "limited" if cost <= LIMITED else "fast"


def budget_lines(dot_text: str) -> list:
    """The DOT lines that set the layout limits for this graph's size (a comment saying the
    estimate and the tier, then the graph attributes, if any); each ends with a newline.

    >>> budget_lines("digraph g {\\n\\ta -> b\\n}\\n")
    ['\\t// layout budget: 2 nodes with long edges split: full (Graphviz defaults)\\n']
    """
    cost = layout_cost(dot_text)
    tier = _tier(cost)
    attributes = _TIERS[tier]
    if not attributes:
        return [f"\t{MARKER} {cost} nodes with long edges split: {tier} (Graphviz defaults)\n"]
    return [f"\t{MARKER} {cost} nodes with long edges split: {tier}\n", f"\tgraph [{attributes}]\n"]


def with_budget(dot_text: str) -> str:
    """`dot_text` with `budget_lines` right after its opening brace; unchanged if it has them.

    >>> with_budget("digraph g {\\n\\ta -> b\\n}\\n").splitlines()[1]
    '\\t// layout budget: 2 nodes with long edges split: full (Graphviz defaults)'
    """
    if MARKER in dot_text:
        return dot_text
    head, brace, rest = dot_text.partition("{")
    return head + brace + "\n" + "".join(budget_lines(dot_text)) + rest.lstrip("\n")


def fonts_for(dot_text: str, fmt: str, program: str) -> str:
    """The DOT text with the font that fits for this output (see `style.FONT`): unchanged,
    except for a raster picture drawn by graphviz-pure, which names `style.RASTER_FONT`.

    >>> fonts_for('node [fontname="DejaVu Sans"]', "png", "graphviz-pure")
    'node [fontname="Helvetica"]'
    """
    from autograd.render.style import FONT, RASTER_FONT

    if fmt in ("png", "jpeg") and program == "graphviz-pure":
        return dot_text.replace(f'fontname="{FONT}"', f'fontname="{RASTER_FONT}"')
    return dot_text


def svg_fonts(svg: bytes) -> bytes:
    """An SVG whose text names `style.FONT` names `style.SVG_FONT_FAMILY` instead, so a viewer
    without DejaVu Sans draws a narrower sans font (never its default serif).

    >>> svg_fonts(b'<text font-family="DejaVu Sans" font-size="11">x</text>')
    b'<text font-family="DejaVu Sans,Helvetica,Arial,Liberation Sans,sans-serif" font-size="11">x</text>'
    """
    from autograd.render.style import FONT, SVG_FONT_FAMILY

    return re.sub(
        rb'font-family="' + re.escape(FONT.encode()) + rb'[^"]*"',
        b'font-family="' + SVG_FONT_FAMILY.encode() + b'"',
        svg,
    )
