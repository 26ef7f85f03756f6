"""Big graphs: the layout limits chosen by size, refusing (or drawing less) past the budget, and
the inline display that never makes a wall. Speed itself is measured by
`python -m benchmarks.render`, not asserted here: these tests check the decisions."""

import importlib
import re
import xml.etree.ElementTree as ET

import pytest

import nn
from autograd import Value, draw_dot, render, to_dot
from autograd.render import GraphTooLargeError, layout, repr_mimebundle
from benchmarks.render import long_range_dag

module = importlib.import_module("autograd.render")  # the package attribute `render` is the function


def mlp_loss():
    """The example of issue 22: a learner's last line of a cell."""
    loss = (nn.MLP(2, [16, 16, 1], seed=0)([0.5, -0.3]) - 1.0) ** 2
    loss.backward()
    return loss


def svg_size_pt(svg: str) -> tuple:
    match = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    return float(match.group(1)), float(match.group(2))


# -- the estimate ----------------------------------------------------------------------------------


def test_cost_counts_one_virtual_node_per_rank_an_edge_skips():
    # a -> b -> c -> d and a -> d: ranks 0..3, the long edge skips ranks 1 and 2.
    text = "digraph {\n a [x=1]\n b [x=1]\n c [x=1]\n d [x=1]\n a -> b\n b -> c\n c -> d\n a -> d\n}"
    assert layout.layout_cost(text) == 4 + 2


def test_cost_places_a_source_just_before_its_first_use():
    # s feeds only d (rank 3): drawn at rank 2, its edge skips nothing.
    text = "digraph {\n a -> b\n b -> c\n c -> d\n s -> d\n}"
    assert layout.layout_cost(text) == 5


def test_a_neuron_is_laid_out_with_graphviz_defaults():
    x = Value(0.5, label="x")
    y = (x * Value(-3.0, label="w") + Value(1.0, label="b")).tanh()
    text = to_dot(y)
    assert layout.budget(text) == "full"
    assert "nslimit" not in text and "// layout budget: " in text


def test_a_long_range_dag_gets_the_fast_limits_and_the_text_stays_deterministic():
    root = long_range_dag(300)
    text = to_dot(root)
    assert layout.budget(text) == "fast"
    assert "\tgraph [nslimit=0.0001 mclimit=0.0001 searchsize=1 remincross=false splines=line]\n" in text
    assert text == to_dot(long_range_dag(300))  # the same graph built again: the same text


def test_the_tier_follows_the_estimate():
    assert [layout._tier(c) for c in (layout.FULL, layout.FULL + 1, layout.LIMITED, layout.LIMITED + 1)] == [
        "full",
        "limited",
        "limited",
        "fast",
    ]


def test_text_without_the_limits_gets_them_once():
    text = "digraph g {\n\ta -> b\n}\n"
    once = layout.with_budget(text)
    assert once.count(layout.MARKER) == 1 and layout.with_budget(once) == once


# -- past the budget ---------------------------------------------------------------------------------


def test_render_refuses_a_graph_too_slow_to_lay_out_at_once_saying_what_to_do(tmp_path, monkeypatch):
    root = long_range_dag(600)  # 600 values, within max_nodes=1000, but about 135,000 nodes to lay out
    ran = []
    monkeypatch.setattr(module._backend, "run", lambda *args, **kwargs: ran.append(args))
    with pytest.raises(
        GraphTooLargeError, match=r"render .*big\.svg: .*about 1[0-9]{2},[0-9]{3} nodes.*partial=True.*max_nodes=None"
    ):
        render(root, tmp_path / "big.svg", max_nodes=1000)
    assert ran == []  # refused before any layout was started (it takes seconds here)
    assert not (tmp_path / "big.svg").exists()
    with pytest.raises(GraphTooLargeError, match="draw_dot: "):
        draw_dot(root, max_nodes=1000)


def test_partial_draws_fewer_values_until_the_layout_fits(tmp_path, monkeypatch):
    monkeypatch.setattr(module, "COST_LIMIT", 35_000)  # a tighter budget: a 500-value DAG is over it
    root = long_range_dag(500)
    text = open(render(root, tmp_path / "part.dot", partial=True), encoding="utf-8").read()
    assert layout.layout_cost(text) <= 35_000
    drawn = len(re.findall(r"^\tv\d+ \[", text, flags=re.M))
    assert 100 < drawn < 500
    assert "not drawn" in text  # the cuts are marked on the boxes


def test_max_nodes_none_lays_out_anything_with_the_fast_limits(tmp_path):
    root = long_range_dag(500)
    text = open(render(root, tmp_path / "all.dot", max_nodes=None), encoding="utf-8").read()
    assert len(re.findall(r"^\tv\d+ \[", text, flags=re.M)) == 500 and "splines=line" in text


# -- inline display ------------------------------------------------------------------------------------


def test_an_mlp_loss_displays_by_neuron_with_a_note_and_no_taller_than_two_screens(needs_dot):
    loss = mlp_loss()
    bundle = repr_mimebundle(loss)
    svg = bundle["image/svg+xml"]
    texts = [t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    # One box per neuron: the 33 neurons' names, no weight box.
    assert sum(1 for t in texts if re.fullmatch(r"layers\.\d\.neurons\.\d+", t)) == 33
    assert not any(re.fullmatch(r"layers\.\d\.neurons\.\d+\.w\.\d+", t) for t in texts)
    note = "437 values drawn as 35 boxes, one per nn neuron; autograd.draw_dot(v) draws every value"
    assert note in texts and note in bundle["text/plain"]  # in the picture: a notebook shows that
    width, height = svg_size_pt(svg)
    assert height <= 1200  # INLINE_HEIGHT = 1600 px
    assert any(t.startswith("scaled to ") and "collapse='neuron'" in t for t in texts)


def test_a_small_graph_displays_every_value_at_full_size_without_a_note(needs_dot):
    x = Value(0.5, label="x")
    y = (x * Value(-3.0, label="w")).tanh()
    y.backward()
    bundle = repr_mimebundle(y)
    assert bundle["text/plain"] == repr(y)
    assert "scaled" not in bundle["image/svg+xml"] and "draws every value" not in bundle["image/svg+xml"]


def test_a_tall_picture_is_scaled_to_the_inline_height(needs_dot):
    # a 120-value chain drawn top to bottom: far taller than two screens, not built by nn
    v = Value(0.1, label="x")
    for _ in range(119):
        v = v.tanh()
    v.backward()
    full = module._backend.run(to_dot(v, rankdir="TB"), "svg", timeout=30, where="test").decode()
    assert svg_size_pt(full)[1] > 1200
    lines, _ = module._picture_lines(v, "display", 500, {"rankdir": "TB"})
    svg, scale = module._inline_svg(lines, [])
    assert svg_size_pt(svg)[1] == 1200 and 0 < scale < 1


def test_the_display_of_a_graph_too_slow_to_lay_out_draws_part_and_says_so(needs_dot, monkeypatch):
    monkeypatch.setattr(module, "COST_LIMIT", 35_000)  # a tighter budget: a 500-value DAG is over it
    root = long_range_dag(500)
    bundle = repr_mimebundle(root)
    assert "image/svg+xml" in bundle
    match = re.search(r"graph of 500 values: the picture shows the (\d+) nearest the output", bundle["text/plain"])
    assert match and int(match.group(1)) < 500
    assert match.group(0) in bundle["image/svg+xml"]


def test_the_layout_benchmark_runs_and_prints_a_row_per_graph(needs_dot):
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.render", "--quick"], cwd=root, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    rows = re.findall(
        r"^  (random long-range DAG, 100 values|MLP\(2,\[16,16,1\]\) loss, 1 point) +\s*([\d.]+) s wall\s+([\d.]+) s CPU"
        r"\s+cost\s+([\d,]+)\s+(full|limited|fast)$",
        done.stdout,
        flags=re.M,
    )
    assert [r[0] for r in rows] == ["random long-range DAG, 100 values", "MLP(2,[16,16,1]) loss, 1 point"]
    assert rows[0][3] == "3,165" and rows[0][4] == "limited" and rows[1][4] == "full"
    assert "load average" in done.stdout


# -- fonts -------------------------------------------------------------------------------------------

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _text_overflows(svg: str, regular, bold) -> list:
    """Texts of the SVG's node boxes whose width in DejaVu Sans runs past their box."""
    ns = "{http://www.w3.org/2000/svg}"
    found = []
    for g in ET.fromstring(svg).iter(f"{ns}g"):
        if g.get("class") != "node":
            continue
        shape = next((e for e in g if e.tag in (f"{ns}path", f"{ns}polygon")), None)
        if shape is None:
            continue
        xs = [float(x) for x in re.findall(r"(-?[\d.]+),-?[\d.]+", shape.get("d") or shape.get("points"))]
        left, right = min(xs), max(xs)
        for t in g.iter(f"{ns}text"):
            text, x = t.text or "", float(t.get("x"))
            font = bold if t.get("font-weight") == "bold" else regular
            width = font.getlength(text) * float(t.get("font-size")) / 100
            start = {"start": x, "middle": x - width / 2, "end": x - width}[t.get("text-anchor", "start")]
            if start < left - 0.5 or start + width > right + 0.5:
                found.append((text, round(start - left, 1), round(right - start - width, 1)))
    return found


def test_svg_text_fits_its_box_in_dejavu_sans_and_names_fallback_sans_fonts(needs_dot):
    ImageFont = pytest.importorskip("PIL.ImageFont", reason="Pillow measures the text (pip install pillow)")
    import os

    if not os.path.exists(DEJAVU):
        pytest.skip(f"{DEJAVU} not found: apt-get install fonts-dejavu-core")
    regular = ImageFont.truetype(DEJAVU, 100)
    bold = ImageFont.truetype(DEJAVU.replace("Sans.ttf", "Sans-Bold.ttf"), 100)
    from explore_graphs import tutorial_network

    E, _ = tutorial_network()
    E.backward()
    loss = mlp_loss()
    for svg in (
        module.to_svg(E, color="grad", edge_derivatives=True),
        module.to_svg(loss, collapse="neuron", color="grad"),
    ):
        assert 'font-family="DejaVu Sans,Helvetica,Arial,Liberation Sans,sans-serif"' in svg
        assert "Helvetica,sans-Serif" not in svg
        assert _text_overflows(svg, regular, bold) == []


def test_a_png_drawn_by_graphviz_pure_names_the_font_it_has():
    text = 'digraph {\n\tnode [fontname="DejaVu Sans" fontsize=11]\n}\n'
    assert layout.fonts_for(text, "png", "graphviz-pure") == text.replace("DejaVu Sans", "Helvetica")
    assert layout.fonts_for(text, "svg", "graphviz-pure") == text
    assert layout.fonts_for(text, "png", "dot") == text  # Graphviz finds DejaVu Sans through fontconfig
