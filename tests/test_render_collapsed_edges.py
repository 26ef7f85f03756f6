"""Collapsed pictures carry information between layers: each edge into a neuron box has the
colour of its weight's sign and a width by |w| (the strongest few per neuron; the others faint),
neurons are drawn in numeric order, and a neuron's fill is the gradient its weights get, so a
dead relu is never filled deep red next to "grad w [0, 0]"."""

import re
import xml.etree.ElementTree as ET

import nn
from autograd import to_dot, to_svg
from autograd.render import style

SVG = "{http://www.w3.org/2000/svg}"


def mlp_loss(sizes=(4, 4, 1)):
    model = nn.MLP(2, list(sizes), seed=0)
    loss = (model([0.5, -0.3]) - 1.0) ** 2
    loss.backward()
    return model, loss


def edges_into(text: str, box: str) -> dict:
    return dict(re.findall(rf"^\t(g\d+) -> {box} \[([^\]]*)\]", text, flags=re.M))


def test_an_edge_into_a_neuron_has_its_weights_sign_colour_and_a_width_by_abs_w():
    model, loss = mlp_loss()
    text = to_dot(loss, collapse="neuron")
    neuron = model.layers[1].neurons[0]  # g4: boxes are numbered in name order
    weights = [w.data for w in neuron.w]
    largest = max(abs(w.data) for layer in model.layers[1:] for n in layer.neurons for w in n.w)
    strong = sorted(range(4), key=lambda k: -abs(weights[k]))[:3]
    into = edges_into(text, "g4")
    assert sorted(into) == ["g0", "g1", "g2", "g3"]
    for k in range(4):
        attrs = into[f"g{k}"]
        if k in strong:
            color = style.COLORS["weight_positive" if weights[k] > 0 else "weight_negative"]
            assert f'color="{color}"' in attrs
            width = float(re.search(r"penwidth=([\d.]+)", attrs).group(1))
            assert abs(width - (0.5 + 3.5 * abs(weights[k]) / largest)) < 0.006
        else:
            assert attrs == f'color="{style.COLORS["weak"]}" penwidth=0.6 arrowhead=none'


def test_a_16_wide_layer_shows_three_strong_inputs_per_neuron_not_a_grey_band():
    _, loss = mlp_loss((16, 16, 1))
    text = to_dot(loss, collapse="neuron")
    between = re.findall(r"^\tg(\d+) -> g(\d+) \[([^\]]*)\]", text, flags=re.M)
    layer1 = [a for s, t, a in between if int(s) < 16 and 16 <= int(t) < 32]
    assert len(layer1) == 256
    assert sum(1 for a in layer1 if "arrowhead=none" not in a) == 16 * 3
    assert "the 3 largest |w| of each neuron" in text  # the legend says what the colours mean


def test_neurons_are_drawn_in_numeric_order():
    _, loss = mlp_loss((16, 16, 1))
    svg = ET.fromstring(to_svg(loss, collapse="neuron"))
    y = {}
    for g in svg.iter(f"{SVG}g"):
        if g.get("class") == "node":
            texts = [t.text for t in g.iter(f"{SVG}text")]
            if texts and texts[0].startswith("layers.0.neurons."):
                y[int(texts[0].rsplit(".", 1)[1])] = float(next(g.iter(f"{SVG}text")).get("y"))
    assert sorted(y) == list(range(16))
    assert [y[k] for k in range(16)] == sorted(y[k] for k in range(16))  # top to bottom: 0, 1, ..., 15


def test_a_dead_relu_is_filled_by_the_zero_gradient_its_weights_get():
    model, loss = mlp_loss()
    dead = model.layers[1].neurons[1]  # relu(w·x + b) < 0 at this point: its weights get grad 0
    assert all(w.grad == 0 for w in dead.w)
    svg = ET.fromstring(to_svg(loss, collapse="neuron", color="grad"))
    for g in svg.iter(f"{SVG}g"):
        texts = [t.text for t in g.iter(f"{SVG}text")]
        if g.get("class") == "node" and texts and texts[0] == "layers.1.neurons.1":
            fill = next(p.get("fill") for p in g.iter() if p.tag in (f"{SVG}path", f"{SVG}polygon"))
            assert fill == "#ffffff"
            assert texts[texts.index("grad w·x + b") + 1] == "0" and "grad w: norm 0, max 0" in texts
            assert texts[texts.index("grad") + 1] == "1.669"  # the output's gradient is still shown
            break
    else:
        raise AssertionError("no box layers.1.neurons.1")


def test_the_explorers_neuron_view_draws_weights_and_keeps_neurons_in_order():
    from autograd import explore

    model, loss = mlp_loss((16, 16, 1))
    ex = explore(loss, collapse="neuron")
    svg = ET.fromstring(ex.data["svg"])
    y, strokes = {}, []
    for g in svg.iter(f"{SVG}g"):
        texts = [t.text for t in g.iter(f"{SVG}text")]
        if "node" in (g.get("class") or "") and texts and texts[0].startswith("layers.0.neurons."):
            y[int(texts[0].rsplit(".", 1)[1])] = float(next(g.iter(f"{SVG}text")).get("y"))
        if "dg-weight" in (g.get("class") or ""):
            strokes.append(next(g.iter(f"{SVG}path")).get("stroke"))
    assert [y[k] for k in range(16)] == sorted(y.values())
    assert len(strokes) == 16 * 16 + 16  # into layer 1, and into the output neuron
    strong = [s for s in strokes if s != style.COLORS["weak"]]
    assert len(strong) == 16 * 3 + 3
    assert set(strong) <= {style.COLORS["weight_positive"], style.COLORS["weight_negative"]}


def test_the_explorers_legend_uses_the_weight_colours_of_the_pictures():
    from importlib import resources

    css = resources.files("autograd.explorer").joinpath("explorer.css").read_text(encoding="utf-8")
    js = resources.files("autograd.explorer").joinpath("explorer.js").read_text(encoding="utf-8")
    assert f"border-top: 3px solid {style.COLORS['weight_positive']}" in css
    assert f"border-top-color: {style.COLORS['weight_negative']}" in css
    assert "dg-key-wpos" in js and "dg-key-wneg" in js
