"""Readable big pictures: collapsed neurons and layers, honest partial pictures ("+N uses not
drawn"), colour by gradient. Checked on the SVG the backend draws, parsed as XML."""

import math
import re
import xml.etree.ElementTree as ET

import pytest

import autograd
import nn
from autograd import Value, to_dot
from autograd.render import GraphTooLargeError
from autograd.render import dot as dot_module

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def needs_backend(needs_dot):
    """Every test here draws."""


def svg(root, **options):
    return ET.fromstring(autograd.to_svg(root, **options))


def boxes(svg_root):
    """{title: [texts]} for every node of the picture (the title is the DOT id)."""
    found = {}
    for g in svg_root.iter(f"{SVG}g"):
        if g.get("class") == "node":
            title = g.find(f"{SVG}title").text
            found[title] = [" ".join((t.text or "").split()) for t in g.iter(f"{SVG}text")]
    return found


def box_with(svg_root, first_text):
    matches = [texts for texts in boxes(svg_root).values() if texts and texts[0] == first_text]
    assert len(matches) == 1, f"{len(matches)} boxes start with {first_text!r}"
    return matches[0]


def fill_of(svg_root, title):
    for g in svg_root.iter(f"{SVG}g"):
        if g.get("class") == "node" and g.find(f"{SVG}title").text == title:
            return next(p.get("fill") for p in g.iter() if p.tag in (f"{SVG}path", f"{SVG}polygon") and p.get("fill") not in (None, "none"))
    raise AssertionError(f"no node {title}")


def mlp_score(sizes=(16, 16, 1), activation="relu", sample=(0.5, -0.3), seed=0):
    model = nn.MLP(2, list(sizes), activation=activation, seed=seed)
    x = [Value(sample[0], label="x0"), Value(sample[1], label="x1")]
    score = model(x)
    score.label = "score"
    score.backward()
    return model, x, score


# -- collapse="neuron" ------------------------------------------------------------------------------


def test_one_box_per_neuron_with_its_data_grad_and_parameter_grads():
    model, x, score = mlp_score()
    picture = svg(score, collapse="neuron", number_format=".6g")
    found = boxes(picture)
    neuron_boxes = [t for t in found.values() if t[0].startswith("layers.")]
    assert len(neuron_boxes) == 33 and len(found) == 33 + 2 + 1  # + x0 and x1, and the legend of the edges; nothing else
    neuron = model.layers[1].neurons[4]
    out = neuron.forward([model.layers[0].neurons[k].forward(x) for k in range(16)])
    texts = box_with(picture, "layers.1.neurons.4")
    assert texts[1] == "relu(w·x + b)"
    assert texts[2:4] == ["data", format(out.data + 0.0, ".6g")]
    norm = math.sqrt(sum(w.grad**2 for w in neuron.w))
    largest = max(abs(w.grad) for w in neuron.w)
    assert f"grad w: norm {norm:.6g}, max {largest:.6g}" in texts
    assert f"grad b {neuron.b.grad + 0.0:.6g}" in texts
    first = box_with(picture, "layers.0.neurons.2")  # two weights: listed one by one
    w = model.layers[0].neurons[2].w
    assert f"grad w [{w[0].grad + 0.0:.6g}, {w[1].grad + 0.0:.6g}]" in first
    last = box_with(picture, "layers.2.neurons.0")
    assert last[1] == "w·x + b" and last[2:4] == ["data", format(score.data, ".6g")]


def test_neuron_edges_follow_the_data():
    _, _, score = mlp_score(sizes=(3, 2, 1))
    text = to_dot(score, collapse="neuron")
    edges = re.findall(r"^\t(\w+) -> (\w+)", text, flags=re.M)
    # x0, x1 -> 3 first-layer neurons; 3 -> 2; 2 -> 1
    assert len(edges) == 2 * 3 + 3 * 2 + 2 * 1
    # neurons stay in name order: each layer's boxes chained in one rank by invisible edges
    assert "\t{rank=same; g0 -> g1 -> g2 [style=invis]}\n" in text and "\t{rank=same; g3 -> g4 [style=invis]}\n" in text


def test_tanh_and_sigmoid_neurons_are_named_by_their_activation():
    model = nn.MLP(2, [2, 1], activation="tanh", output_activation="sigmoid", seed=1)
    out = model([Value(0.1, label="x0"), Value(0.2, label="x1")])
    out.backward()
    text = to_dot(out, collapse="neuron")
    assert text.count("tanh(w·x + b)") == 2 and text.count("sigmoid(w·x + b)") == 1


def test_a_loss_over_several_samples_collapses_per_sample():
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    X = [[0.5, -1.0], [1.0, 0.3], [-0.2, 0.8]]
    y = [1.0, -1.0, 1.0]
    loss = nn.mse_loss([model(xi) for xi in X], y)
    loss.backward()
    neurons = boxes(svg(loss, collapse="neuron"))
    titles = [t[0] for t in neurons.values() if t[0].startswith("layers.")]
    assert sorted(set(titles)) == [f"layers.0.neurons.{j}" for j in range(4)] + ["layers.1.neurons.0"]
    assert len(titles) == 3 * 5  # one box per neuron per sample
    layers = boxes(svg(loss, collapse="layer"))
    assert sorted(t[0] for t in layers.values() if t[0].startswith("layers.")) == ["layers.0"] * 3 + ["layers.1"] * 3


def test_a_standalone_neuron_and_layer_collapse_too():
    x = [Value(1.0, label="x0"), Value(2.0, label="x1")]
    n = nn.Neuron(2, activation="tanh", seed=0)
    out = n(x)
    out.backward()
    assert box_with(svg(out, collapse="neuron"), "neuron")[1] == "tanh(w·x + b)"
    layer = nn.Layer(2, 3, activation="relu", seed=0)
    total = autograd.sum(layer(x))
    total.backward()
    assert box_with(svg(total, collapse="layer"), "layer")[1] == "3 relu neurons, 2 inputs each"


# -- collapse="layer" -------------------------------------------------------------------------------


def test_one_box_per_layer_with_width_and_gradient_norms():
    model, _, score = mlp_score()
    picture = svg(score, collapse="layer", number_format=".6g")
    found = boxes(picture)
    assert sorted(t[0] for t in found.values()) == ["layers.0", "layers.1", "layers.2", "x0", "x1"]
    first = box_with(picture, "layers.0")
    assert first[1] == "16 relu neurons, 2 inputs each"
    weights = [w for n in model.layers[0].neurons for w in n.w]
    biases = [n.b for n in model.layers[0].neurons]
    assert first[2:4] == ["|grad W|", format(math.sqrt(sum(w.grad**2 for w in weights)), ".6g")]
    assert first[4:6] == ["|grad b|", format(math.sqrt(sum(b.grad**2 for b in biases)), ".6g")]
    assert box_with(picture, "layers.2")[1] == "1 linear neuron, 16 inputs"
    edge_labels = sorted(
        " ".join(t.text for t in g.iter(f"{SVG}text")) for g in picture.iter(f"{SVG}g") if g.get("class") == "edge"
    )
    assert edge_labels == ["×16", "×16", "×16", "×256"]  # x0, x1 -> layer 0; 0 -> 1; 1 -> 2


def test_bad_collapse_is_a_clear_error():
    with pytest.raises(ValueError, match="to_dot: unknown collapse 'neurons'; choose one of None, 'neuron', 'layer'"):
        to_dot(Value(1.0), collapse="neurons")


# -- honest partial pictures ------------------------------------------------------------------------


def test_a_neuron_drawn_within_the_network_counts_the_other_uses_of_its_inputs():
    model, x, score = mlp_score()
    # first-layer neuron 3's output: the 4th input of every second-layer dot
    layer1_dot = next(n for n in autograd.topological_order(score) if n.op == "dot" and n.parents[0].label == "layers.1.neurons.0.w.0")
    hidden = layer1_dot.parents[16 + 3]
    hidden.label = "h3"
    picture = svg(hidden, within=score)
    assert box_with(picture, "x0")[-1] == "+15 uses not drawn"  # used by all 16 first-layer neurons
    assert box_with(picture, "h3")[-1] == "+16 uses not drawn"  # used by the 16 second-layer neurons
    assert "not drawn" not in " ".join(box_with(picture, "layers.0.neurons.3.w.0"))  # its only use is drawn
    with pytest.raises(ValueError, match="within=.* does not depend on the drawn value"):
        to_dot(score, within=hidden)


def test_highlight_only_draws_the_paths_and_counts_what_it_leaves_out():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(0.5, label="b")
    p1 = x1 * w1; p1.label = "p1"
    s = p1 + x2 * w2; s.label = "s"
    n = s + b; n.label = "n"
    reuse = n + w1 * 0.0; reuse.label = "out"  # the path to p1 is out, n, s, p1
    reuse.backward()
    picture = svg(reuse, highlight=p1, highlight_only=True)
    found = boxes(picture)
    assert sorted(t[0] for t in found.values() if t[0] not in ("*", "+")) == ["n", "out", "p1", "s"]
    assert box_with(picture, "p1")[-1] == "+2 inputs not drawn"  # x1 and w1
    assert box_with(picture, "s")[-1] == "+1 input not drawn"  # x2 * w2
    assert box_with(picture, "n")[-1] == "+1 input not drawn"  # b
    assert box_with(picture, "out")[-1] == "+1 input not drawn"  # w1 * 0
    with pytest.raises(ValueError, match="highlight_only=True needs highlight="):
        to_dot(reuse, highlight_only=True)


def test_partial_pictures_count_the_uses_they_cut():
    x = Value(1.0, label="x")
    y = x
    for _ in range(20):
        y = y * 1.0
    out = y + x  # x is next to the output, and at the far end of the chain
    out.label = "out"
    out.backward()
    with pytest.raises(GraphTooLargeError, match="22 values .* more than max_nodes=5; pass collapse="):
        to_dot(out, max_nodes=5)
    picture = svg(out, max_nodes=5, partial=True)
    values = [t for t in boxes(picture).values() if "data" in t and "grad" in t]
    assert len(values) == 5
    assert box_with(picture, "x")[-1] == "+1 use not drawn"
    assert sum(1 for t in values if t[-1] == "+1 input not drawn") == 1


def test_a_whole_picture_says_nothing_is_missing():
    _, _, score = mlp_score(sizes=(4, 1))
    for options in ({}, {"collapse": "neuron"}, {"collapse": "layer"}):
        assert "not drawn" not in to_dot(score, **options)


# -- colour by gradient -----------------------------------------------------------------------------


def rgb(color):
    return tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))


def test_grad_colours_diverge_by_sign_and_deepen_with_log_magnitude():
    a, b, c = Value(1.0, label="a"), Value(1.0, label="b"), Value(1.0, label="c")
    out = 100 * a - 1 * b + 0.01 * c
    out.label = "out"
    out.backward()  # grads: a 100, b -1, c 0.01; out 1
    picture = svg(out, color="grad")
    titles = {t[0]: title for title, t in boxes(picture).items() if t}
    fa, fb, fc = (rgb(fill_of(picture, titles[name])) for name in "abc")
    assert fa[0] > fa[2] and fc[0] > fc[2]  # positive: red
    assert fb[2] > fb[0]  # negative: blue
    assert sum(fa) < sum(fc)  # |100| deeper than |0.01|
    assert fill_of(picture, titles["c"]) == dot_module._shade(0.01, 100.0)
    legend = box_with(picture, "fill: grad (sign, log |grad|)")
    assert legend[1:6] == ["-100", "-1", "0", "1", "100"]
    assert "local derivative ≈ 0" in legend[-1]


def test_saturated_and_dead_activations_are_marked():
    x = Value(0.5, label="x")
    hot = (x * 20).tanh(); hot.label = "hot"  # tanh(10): 1 - out² ≈ 8e-9
    dead = (x * -1).relu(); dead.label = "dead"
    alive = (x * 0.1).tanh(); alive.label = "alive"
    out = hot + dead + alive
    out.backward()
    picture = svg(out, color="grad")
    assert "saturated tanh: ∂ ≈ 0" in box_with(picture, "hot")
    assert "relu off here: ∂ ≈ 0" in box_with(picture, "dead")
    assert not any("∂ ≈ 0" in t for t in box_with(picture, "alive"))
    assert "saturated" not in to_dot(out)  # only with color="grad"
    _, _, score = mlp_score()
    dead_neurons = to_dot(score, collapse="neuron", color="grad").count("relu off here")
    relu_zero = sum(1 for n in autograd.topological_order(score) if n.op == "relu" and n.parents[0].data <= 0)
    assert dead_neurons == relu_zero > 0


def test_grad_colours_before_backward_say_there_is_nothing_to_show():
    x = Value(2.0, label="x")
    picture = svg(x * x, color="grad")
    assert box_with(picture, "fill: grad") == ["fill: grad", "no nonzero gradient yet: run backward()"]
    assert fill_of(picture, [t for t, texts in boxes(picture).items() if texts[0] == "x"][0]) == "#ffffff"


def test_bad_color_is_a_clear_error():
    with pytest.raises(ValueError, match="to_dot: unknown color 'rainbow'; choose one of 'role', 'grad', None"):
        to_dot(Value(1.0), color="rainbow")
