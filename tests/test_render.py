"""Rendering: DOT text without a program, SVG (parsed as XML) with the backend in use, Jupyter
display, bad input. The pip-installed graphviz-pure is a dependency, so the pictures are drawn
on every machine; in CI nothing here may skip."""

import importlib
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import autograd
from autograd import Value, draw_dot, render, to_dot
render_module = importlib.import_module("autograd.render")  # the package attribute `render` is the function
from autograd.render import GraphTooLargeError, GraphvizNotFoundError, repr_mimebundle
from autograd.render import backend as backend_module
from autograd.render import style

SVG = "{http://www.w3.org/2000/svg}"


def neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    out = (x1 * w1 + x2 * w2 + b).tanh()
    out.label = "out"
    return out, (x1, x2, w1, w2, b)


def edges(dot_text):
    return re.findall(r"^\t(v\d+|op\d+) -> (v\d+|op\d+)", dot_text, flags=re.M)


def node_lines(dot_text, prefix):
    return re.findall(rf"^\t+({prefix}\d+) \[", dot_text, flags=re.M)


def svg_of(root, tmp_path, **options):
    path = render(root, tmp_path / "graph.svg", **options)
    return ET.parse(path).getroot()


def svg_texts(svg_root):
    return [t.text or "" for t in svg_root.iter(f"{SVG}text")]


def svg_groups(svg_root, kind):
    return [g for g in svg_root.iter(f"{SVG}g") if g.get("class") == kind]


# -- DOT text (no dot program needed) -----------------------------------------------------------


def test_dot_has_one_value_node_per_value_and_one_op_node_per_op():
    out, _ = neuron()
    text = to_dot(out)
    # values: 5 leaves + 2 products + 2 sums + tanh = 10; ops: 5
    assert len(node_lines(text, "v")) == 10 and len(node_lines(text, "op")) == 5
    assert len(edges(text)) == 5 + 2 * 4 + 1  # op -> result, plus one edge per input use


def test_reused_value_draws_one_edge_per_use():
    a = Value(3.0, label="a")
    text = to_dot(a * a)
    assert edges(text).count(("v0", "op1")) == 2


def test_labels_data_and_op_symbols_appear():
    out, _ = neuron()
    text = to_dot(out)
    for label in ("x1", "w1", "b", "out"):
        assert f"<B>{label}</B>" in text
    assert "<tanh>" in text and "<*>" in text and "<+>" in text
    assert ">-3<" in text and ">0.7071<" in text  # data in the default .4g format


def test_grad_reads_not_computed_before_backward_and_the_value_after():
    out, (x1, *_) = neuron()
    before = to_dot(out)
    assert before.count("not computed") == 10 and ">-1.5<" not in before
    out.backward()
    after = to_dot(out)
    assert "not computed" not in after
    assert ">-1.5<" in after  # dout/dx1 = w1 * (1 - out^2) = -3 * 0.5


def test_show_grads_false_and_number_format():
    out, _ = neuron()
    out.backward()
    text = to_dot(out, show_grads=False, number_format=".2f")
    assert ">grad<" not in text and ">0.71<" in text and ">-3.00<" in text
    assert ">0.7071067812<" in to_dot(out, number_format=lambda x: f"{x:.10f}")


def test_bad_options_are_clear_errors():
    out, _ = neuron()
    with pytest.raises(ValueError, match="to_dot: unknown rankdir 'XY'; choose one of 'LR', 'TB', 'RL', 'BT'"):
        to_dot(out, rankdir="XY")
    with pytest.raises(TypeError, match="to_dot: unknown option 'rank_dir'; the options are collapse"):
        to_dot(out, rank_dir="TB")
    with pytest.raises(TypeError, match="render_test: max_nodes must be a positive integer or None, got str: '5'"):
        to_dot(out, max_nodes="5", where="render_test")
    with pytest.raises(ValueError, match="invalid number_format"):
        to_dot(out, number_format="q")
    with pytest.raises(TypeError, match="expected a Value, got float"):
        to_dot(1.0)
    with pytest.raises(ValueError, match="highlight node .* is not in the graph"):
        to_dot(out, highlight=Value(1.0))
    with pytest.raises(TypeError, match="clusters must be"):
        to_dot(out, clusters=3)


@pytest.mark.parametrize("rankdir", ["LR", "TB", "RL", "BT"])
def test_rankdir(rankdir):
    assert f"\trankdir={rankdir}\n" in to_dot(neuron()[0], rankdir=rankdir)


def test_edge_local_derivatives_and_contributions_come_from_the_rules():
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    y = (x * w).tanh()
    y.backward()
    text = to_dot(y, edge_derivatives=True, number_format=".6g")
    local = 1 - y.data**2
    # x -> * carries d(xw)/dx = w = -3 and contribution g * -3 where g = dy/d(xw) = local
    assert "∂ -3<BR/>g·∂ " + format(-3 * local, ".6g") in text
    assert "∂ 2<BR/>g·∂ " + format(2 * local, ".6g") in text
    assert "∂ " + format(local, ".6g") + "<BR/>g·∂ " + format(local, ".6g") in text


def test_edge_derivative_that_is_undefined_is_said_so():
    x = Value(0.0, label="x")
    assert "∂ undefined" in to_dot(x.sqrt(), edge_derivatives=True)


def test_each_partial_of_pow_is_drawn_on_its_own_edge():
    # Mazur's error term (target - out_o1)**2 at out_o1 = 0.75136507: the base's local derivative
    # is 2 (0.01 - 0.75136507) = -1.48273014, though d/dy x**y (log of a negative base) is undefined.
    out = Value(0.75136507, label="out_o1")
    e = (0.01 - out) ** 2
    e.backward()
    text = to_dot(e, edge_derivatives=True, number_format=".6g")
    assert "∂ -1.48273<BR/>g·∂ -1.48273" in text
    assert text.count("∂ undefined") == 1  # the constant exponent 2: log(-0.741...) is undefined


def test_highlight_marks_exactly_the_paths_to_the_node():
    out, (x1, x2, w1, w2, b) = neuron()
    text = to_dot(out, highlight=w1)
    red = [line for line in text.splitlines() if "#dc2626" in line and "->" in line]
    # w1 -> *, * -> (x1 w1), (x1 w1) -> +, + -> sum, sum -> +, + -> sum2, sum2 -> tanh, tanh -> out
    assert len(red) == 8
    assert not any(line.startswith("\tv0 ->") for line in red)  # x1 is not on the path


def test_colour_by_role():
    x = Value(1.0, label="x")
    y = x * 2
    text = to_dot(y)
    assert 'fillcolor="#dbeafe"' in text  # input
    assert 'fillcolor="#f3f4f6"' in text and "dashed" in text  # the constant 2
    assert 'fillcolor="#dcfce7"' in text  # output
    assert "#dbeafe" not in to_dot(y, color_by_role=False)


def test_clusters_by_label_prefix_and_by_mapping():
    a = Value(1.0, label="layer1.neuron0.w0")
    b = Value(2.0, label="layer1.neuron0.w1")
    c = Value(3.0, label="layer1.neuron1.w0")
    y = a * b + c
    text = to_dot(y, clusters="prefix")
    assert text.count("subgraph cluster_") == 2
    assert "label=<layer1.neuron0>" in text and "label=<layer1.neuron1>" in text
    assert to_dot(y, clusters="prefix", cluster_depth=1).count("subgraph cluster_") == 1
    mapped = to_dot(y, clusters={a: "first", c: "second"})
    assert "label=<first>" in mapped and "label=<second>" in mapped


def test_prefix_clusters_take_in_the_ops_of_their_parameters():
    x = Value(0.5, label="x")
    w0 = Value(0.3, label="layer0.w")
    b0 = Value(0.1, label="layer0.b")
    hidden = (w0 * x + b0).tanh()  # mul, add and tanh all belong to layer0
    w1 = Value(0.7, label="layer1.w")
    out = w1 * hidden  # consumes a layer1 parameter: layer1, though its other parent is in layer0
    out.label = "out"
    text = to_dot(out, clusters="prefix", cluster_depth=1)
    body = {m.group(1): m.group(2) for m in re.finditer(r"label=<(layer\d)> [^\n]*\n((?:\t\t.*\n)*)", text)}
    ops_in = {name: re.findall(r"\t\top\d+ \[label=<([^>]*)>", lines) for name, lines in body.items()}
    assert sorted(ops_in["layer0"]) == ["*", "+", "tanh"]
    assert ops_in["layer1"] == []  # the labelled output has no dotted prefix: it stays outside
    assert len(node_lines(body["layer0"], "v")) == 5  # w, b and the three op results
    assert len(node_lines(body["layer1"], "v")) == 1


def test_dot_text_is_deterministic_across_builds():
    def build():
        out, _ = neuron()
        out.backward()
        return to_dot(out, edge_derivatives=True, clusters="prefix")

    assert build() == build()


@pytest.mark.parametrize("label", ['a{b}|c<d>"e\\f', "line1\nline2", "λ→∑ 中文", "</TD></TR></TABLE>> ]; x -> y"])
def test_hostile_labels_are_escaped_in_dot(label):
    text = to_dot(Value(1.0, label=label) * 2)
    assert len(node_lines(text, "v")) == 3 and len(edges(text)) == 3  # nothing injected
    assert "<B>" + style.escape(label) + "</B>" in text
    if any(c in label for c in '<>&"\n'):
        assert label not in text  # only the escaped form is there


# -- SVG (needs dot) -------------------------------------------------------------------------------


def test_svg_has_the_nodes_edges_and_texts(tmp_path, needs_dot):
    out, _ = neuron()
    out.backward()
    svg = svg_of(out, tmp_path)
    assert len(svg_groups(svg, "node")) == 15 and len(svg_groups(svg, "edge")) == 14
    texts = svg_texts(svg)
    for expected in ("x1", "w1", "out", "tanh", "0.7071", "-1.5"):
        assert expected in texts


def test_svg_draws_two_edges_for_a_times_a(tmp_path, needs_dot):
    a = Value(3.0, label="a")
    svg = svg_of(a * a, tmp_path)
    assert len(svg_groups(svg, "edge")) == 3


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=30))
@example("\\E")  # Graphviz expands \E, \N, \G in labels unless the backslash is escaped
@example("a\\Nb\\")
@example("]")  # Graphviz 2.43 (Debian 12) failed on "]" and "]]" in a label
@example("]]")
@example("a]]>b[c")
def test_any_label_appears_verbatim_in_the_svg(label):
    from conftest import require_dot_program  # a plain call: hypothesis reruns the body

    require_dot_program()
    svg_bytes = backend_module.run(to_dot(Value(1.0, label=label)), "svg", timeout=30, where="test")
    svg = ET.fromstring(svg_bytes)  # parses: no label can break the XML
    texts = svg_texts(svg)
    assert len(svg_groups(svg, "node")) == 1  # no label can inject nodes
    # Graphviz lays text out word by word and line by line; compare modulo whitespace.
    assert "".join("".join(texts).split()).startswith("".join(label.split()))


@pytest.mark.parametrize("fmt, magic", [("png", b"\x89PNG"), ("jpeg", b"\xff\xd8\xff")])
def test_png_and_jpeg(tmp_path, needs_dot, fmt, magic):
    path = render(neuron()[0], tmp_path / "g.out", format=fmt)
    assert open(path, "rb").read(len(magic)) == magic


def test_render_writes_atomically_and_leaves_no_temp_file(tmp_path, needs_dot):
    target = tmp_path / "sub" / "g.svg"
    assert render(neuron()[0], target) == str(target)
    assert os.listdir(tmp_path / "sub") == ["g.svg"]


def test_render_onto_a_directory_is_a_clear_error_before_any_layout(tmp_path, monkeypatch):
    (tmp_path / "out.svg").mkdir()
    explorer = autograd.explore(neuron()[0])   # laid out now; save_html only writes
    monkeypatch.setattr(backend_module, "run", lambda *a, **k: pytest.fail("laid out a graph it cannot write"))
    with pytest.raises(IsADirectoryError, match=rf"render {re.escape(str(tmp_path / 'out.svg'))}: .* is a directory; give a file path \(such as .*out.svg.graph.svg\)"):
        render(neuron()[0], tmp_path / "out.svg")
    with pytest.raises(IsADirectoryError, match=r"render .*out.svg: .* is a directory"):
        draw_dot(neuron()[0]).render(outfile=str(tmp_path / "out.svg"))
    with pytest.raises(IsADirectoryError, match=r"save_html .*out.svg: .* is a directory"):
        explorer.save_html(tmp_path / "out.svg")
    with pytest.raises(IsADirectoryError, match=r"write_atomically: .*out.svg is a directory"):
        autograd.write_atomically(tmp_path / "out.svg", "x")
    assert os.listdir(tmp_path / "out.svg") == []


def test_render_rejects_unknown_format(tmp_path):
    with pytest.raises(ValueError, match="format must be one of svg, png, pdf, jpeg, dot, got 'gif'"):
        render(neuron()[0], tmp_path / "g.gif", format="gif")
    assert os.listdir(tmp_path) == []


def test_draw_dot_is_a_digraph_with_the_same_source():
    graphviz = pytest.importorskip("graphviz")
    out, _ = neuron()
    g = draw_dot(out, rankdir="TB", edge_derivatives=True)
    assert isinstance(g, graphviz.Digraph) and g.source == to_dot(out, rankdir="TB", edge_derivatives=True)


def chain(n):
    x = Value(1.0, label="x")
    y = x
    for _ in range(n):
        y = y * 1.0
    return y


def test_big_graphs_are_refused_unless_asked(tmp_path):
    big = chain(600)  # 601 values + 600 constants + 600 ops: max_nodes counts the 601 values
    with pytest.raises(GraphTooLargeError, match=r"601 values \(not counting ops and constants\), more than max_nodes=500"):
        draw_dot(big)
    with pytest.raises(GraphTooLargeError, match="render .*big.svg"):
        render(big, tmp_path / "big.svg")
    assert draw_dot(big, max_nodes=None).source.count("->") == 1800
    assert draw_dot(chain(300)).source.count("->") == 900  # 301 values: under the limit
    assert len(to_dot(big)) > 0  # DOT text has no limit


# -- missing dot ----------------------------------------------------------------------------------


def no_program_anywhere(monkeypatch, tmp_path):
    """As on a machine with neither Graphviz nor graphviz-pure."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.delenv("DAGRAD_DOT", raising=False)
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(backend_module.sys, "executable", str(empty / "python"))
    monkeypatch.setattr(backend_module.sysconfig, "get_path", lambda *args, **kwargs: str(empty))
    monkeypatch.setattr(backend_module, "_cache", {})


def test_missing_dot_gives_install_instructions(tmp_path, monkeypatch):
    no_program_anywhere(monkeypatch, tmp_path)
    with pytest.raises(
        GraphvizNotFoundError,
        match=r"render .*g.svg: .*pip install graphviz-pure.*apt-get install graphviz.*brew install graphviz.*conda install graphviz.*DAGRAD_DOT.*to_dot",
    ):
        render(neuron()[0], tmp_path / "g.svg")
    assert not (tmp_path / "g.svg").exists()
    assert to_dot(neuron()[0]).startswith("digraph")
    render(neuron()[0], tmp_path / "g.dot")  # the DOT text needs no program
    assert (tmp_path / "g.dot").read_text(encoding="utf-8") == to_dot(neuron()[0])


# -- Jupyter --------------------------------------------------------------------------------------


def test_mimebundle_small_graph_with_dot(needs_dot):
    out, _ = neuron()
    bundle = out._repr_mimebundle_()
    assert bundle["text/plain"] == repr(out)
    ET.fromstring(bundle["image/svg+xml"])


def test_mimebundle_without_any_program_says_what_to_install(monkeypatch, tmp_path):
    no_program_anywhere(monkeypatch, tmp_path)
    out, _ = neuron()
    bundle = out._repr_mimebundle_()
    assert set(bundle) == {"text/plain"} and bundle["text/plain"].startswith(repr(out))
    assert "graph not drawn: GraphvizNotFoundError" in bundle["text/plain"] and "pip install graphviz-pure" in bundle["text/plain"]


def test_mimebundle_respects_exclude(needs_dot):
    assert "image/svg+xml" not in neuron()[0]._repr_mimebundle_(exclude={"image/svg+xml"})


def test_mimebundle_of_a_240_op_chain_draws(needs_dot):
    bundle = repr_mimebundle(chain(240))  # 241 values, 240 constants, 240 ops
    svg = ET.fromstring(bundle["image/svg+xml"])
    assert len(svg_groups(svg, "node")) == 241 + 240 + 240
    assert bundle["text/plain"] == repr(chain(240))


def test_mimebundle_big_graph_draws_the_part_nearest_the_output(needs_dot):
    bundle = repr_mimebundle(chain(700), max_nodes=50)
    assert "graph of 701 values: the picture shows the 50 nearest the output" in bundle["text/plain"]
    svg = ET.fromstring(bundle["image/svg+xml"])
    texts = svg_texts(svg)
    # 50 values, each an op result with its op circle and its constant (constants are not counted)
    assert len(svg_groups(svg, "node")) == 50 * 3
    assert texts.count("+1 input not drawn") == 1


def test_mimebundle_never_raises(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("dot crashed")

    monkeypatch.setattr(backend_module, "run", broken)
    bundle = neuron()[0]._repr_mimebundle_()
    assert set(bundle) == {"text/plain"} and "graph not drawn: RuntimeError: dot crashed" in bundle["text/plain"]


def test_user_defined_op_is_drawn_with_its_symbol():
    cube = autograd.define_op("render_cube", lambda x: x**3, [lambda g, out, x: g * 3 * x * x], symbol="x³")
    x = Value(2.0, label="x")
    y = cube(x)
    y.backward()
    text = to_dot(y, edge_derivatives=True)
    assert "<x³>" in text and "∂ 12" in text


def test_rendered_file_gets_the_mode_a_plain_open_gives(tmp_path, needs_dot):
    out, _ = neuron()
    path = render(out, tmp_path / "mode.svg")
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's private 0600
