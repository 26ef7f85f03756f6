"""The explorer's picture: DOT text for its boxes, laid out to SVG by the pictures' program.

Both explorer views (every value, or one box per nn neuron or layer) are drawn from their node
entries (`frames.value_entry`, `collapsed.group_entry`) with the look of `autograd.render.style`; every box and edge carries an
id (`v3`, `op3`, `e3_0`, `o3`) that the player's JavaScript finds and animates.
"""

from __future__ import annotations

import re
from typing import Optional

from autograd.render import backend
from autograd.render.dot import cluster_blocks
from autograd.render.style import COLORS, FONT, escape, op_symbol
from autograd.render.view import nn_neurons

__all__ = ["svg_of", "timeout_advice", "header", "value_lines", "group_line", "edge_line", "clusters"]


def svg_of(lines: list, root, *, timeout: float, collapsed: bool = False) -> str:
    """The <svg> element for the DOT `lines` (the body of a `digraph explore` of root's graph),
    ready to inline."""
    text = "\n".join(["digraph explore {"] + lines + ["}"]) + "\n"
    svg = backend.run(
        text, "svg", timeout=timeout, where="explore", advice=lambda: timeout_advice(root, timeout, collapsed)
    )
    return _inline_svg(svg.decode("utf-8"), "explore")


def timeout_advice(root, timeout: float, collapsed: bool) -> str:
    """What to do when the layout took too long, with the options explore has."""
    if collapsed:
        shrink = 'or fewer boxes: collapse="layer", or a smaller graph (one sample)'
    else:
        shrink = "or show less: explore(root, around=some_value, depth=1)"
        if nn_neurons(root):
            shrink += ', or one box per nn neuron: explore(root, collapse="neuron")'
    return f"pass a larger timeout= to explore (it was {timeout:g} s), {shrink}"


def header(rankdir: str, ranksep: float = 0.45, nodesep: float = 0.3, edge_width: float = 1.2) -> list:
    return [
        f"\trankdir={rankdir}",
        f'\tgraph [fontname="{FONT}" nodesep={nodesep} ranksep={ranksep} bgcolor="transparent" pad=0.2]',
        f'\tnode [fontname="{FONT}" fontsize=11 penwidth=1.2 color="{COLORS["node_border"]}"]',
        f'\tedge [color="{COLORS["page_edge"]}" arrowsize=0.6 penwidth={edge_width}]',
    ]


def _label(rows: list) -> str:
    # ASCII minus signs for the layout: the box is sized for the text the page will show
    return "<" + "<BR/>".join(escape(r.replace("−", "-")) for r in rows) + ">"


def value_lines(node, entry: dict, i: int, *, name: Optional[str] = None, grad_text: Optional[str] = None) -> tuple:
    """(box line, op lines) for a value box `v{i}` and, for an op result, its op circle `op{i}`
    and the edge into the box. `name` and `grad_text` override the entry's (a shorter name
    inside a cluster; the widest gradient text the box will show)."""
    role = entry["role"]
    rows = [name or entry["name"], f"data {entry['data_text']}"]
    if role != "constant":
        rows.append(f"grad {grad_text or entry['grad_text']}")
    style = '"rounded,filled,dashed"' if role == "constant" else '"rounded,filled"'
    box = (
        f'\tv{i} [id="v{i}" class="dg-node dg-{role}" label={_label(rows)} shape=box style={style} '
        f'fillcolor="{COLORS[role]}" margin="0.12,0.05"]'
    )
    if not node.parents:
        return box, []
    ops = [
        f'\top{i} [id="op{i}" class="dg-op" label=<{escape(op_symbol(node))}> shape=circle style=filled '
        f'fillcolor="{COLORS["op"]}" width=0.36 fixedsize=false margin=0.02 fontsize=12]',
        f'\top{i} -> v{i} [id="o{i}" class="dg-edge"]',
    ]
    return box, ops


def group_line(entry: dict, i: int, name: str) -> str:
    """The box `v{i}` of an nn neuron or layer, from its entry (`entries.group_entry`)."""
    params = entry["params"]
    rows = [
        name,
        entry["note"],
        f"{entry['data_label']} {entry['data_text']}",
        f"{entry['grad_label']} {entry['grad_text']}",
    ]
    rows += [params[k + "_text"] for k in ("w", "b") if k in params]
    fill = COLORS["output"] if entry["role"] == "output" else COLORS["group"]
    return (
        f'\tv{i} [id="v{i}" class="dg-node dg-group" label={_label(rows)} shape=box style="rounded,filled" '
        f'fillcolor="{fill}" margin="0.2,0.06"]'
    )


def edge_line(source: int, target: str, i: int, k: int, attrs: str = "", weight: bool = False) -> str:
    """The edge from box `v{source}` into `target` (an op circle or a box), the k-th input of box i;
    `weight`: it carries a neuron's weight (drawn with `attrs`, its colour and width)."""
    kind = f"dg-edge dg-weight dg-from-v{source}" if weight else "dg-edge"
    return f'\tv{source} -> {target} [id="e{i}_{k}" class="{kind}"{" " + attrs if attrs else ""}]'


def clusters(grouped: dict, fontsize: int = 10) -> list:
    """The dashed boxes around nn neurons or layers (`grouped`: name -> member lines)."""
    style = (
        f'style="rounded,dashed" color="{COLORS["page_cluster"]}" fontname="{FONT}" fontsize={fontsize} '
        f'fontcolor="{COLORS["page_cluster_text"]}"'
    )
    return cluster_blocks(grouped, style)


def _inline_svg(svg: str, where: str) -> str:
    """The <svg> element alone, sized by CSS (its viewBox kept), ready to put inside a page."""
    start = svg.find("<svg")
    if start < 0:
        raise RuntimeError(f"{where}: the layout program returned no <svg> element")
    svg = svg[start:]
    svg = re.sub(r'<svg width="[^"]*" height="[^"]*"', '<svg class="dg-graph"', svg, count=1)
    return re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)
