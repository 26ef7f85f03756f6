"""The demo never loses the model to a picture, and its graph pictures say what they leave out."""

import json
import os
import sys
import xml.etree.ElementTree as ET

import pytest

import nn
from autograd.render import backend as backend_module
from nn import demo

SVG = "{http://www.w3.org/2000/svg}"


def texts_of(path):
    return [" ".join((t.text or "").split()) for t in ET.parse(path).getroot().iter(f"{SVG}text")]


def test_without_any_picture_program_the_model_is_still_written(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(backend_module, "_cache", {})
    monkeypatch.setenv("DAGRAD_DOT", str(tmp_path / "no-dot-here"))  # no program can run
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # and no matplotlib: import fails
    result = demo.main(str(tmp_path / "out"), epochs=3, progress=False)
    printed = capsys.readouterr().out.splitlines()
    assert json.load(open(result["model"]))  # written, and readable by nn.load
    assert nn.load(result["model"]).sizes == [16, 16, 1]
    for key in ("decision_boundary", "training_curves", "network_graph", "neuron_graph"):
        assert result[key] is None
    notes = [line for line in printed if line.startswith("skipped ")]
    assert notes == [
        "skipped decision_boundary.png: matplotlib is not installed (pip install matplotlib)",
        "skipped training_curves.png: matplotlib is not installed (pip install matplotlib)",
        "skipped network_graph.svg: no program to draw graphs (pip install graphviz-pure, or apt-get install graphviz)",
        "skipped neuron_graph.svg: no program to draw graphs (pip install graphviz-pure, or apt-get install graphviz)",
    ]
    assert os.listdir(tmp_path / "out") == ["model.json"]


@pytest.fixture(scope="module")
def trained():
    return demo.train(epochs=30, seed=0, progress=False)


def test_the_network_picture_has_one_box_per_neuron_coloured_by_grad(tmp_path, trained):
    model, X, _, _ = trained
    path = demo.render_network_graph(model, X[0], str(tmp_path / "network.svg"))
    texts = texts_of(path)
    titles = [t for t in texts if t.startswith("layers.")]
    assert sorted(titles) == sorted([f"layers.0.neurons.{j}" for j in range(16)] + [f"layers.1.neurons.{j}" for j in range(16)] + ["layers.2.neurons.0"])
    assert "fill: grad (sign, log |grad|)" in texts
    first = model.layers[0](X[0])
    second = model.layers[1](first)
    dead = sum(1 for h in first + second if h.data == 0.0)  # relu's derivative is 0 exactly there
    assert dead > 0 and texts.count("relu off here") == dead


def test_the_neuron_picture_counts_the_uses_by_the_other_neurons(tmp_path, trained):
    model, X, _, _ = trained
    path = demo.render_neuron_graph(model, X[0], str(tmp_path / "neuron.svg"))
    texts = texts_of(path)
    assert texts.count("+15 uses not drawn") == 2  # x0 and x1 feed all 16 first-layer neurons
    assert "+16 uses not drawn" in texts  # the neuron's output feeds all 16 second-layer neurons
    assert any(t.startswith("g·∂") for t in texts)
