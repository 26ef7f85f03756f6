"""nn models: Neuron/Layer/MLP structure, names, seeds, state dicts, and JSON save/load."""

import json
import math
import os
import random
import stat

import pytest

import autograd
import nn
from autograd import Value

# -- structure and names ----------------------------------------------------------------------


def test_same_seed_gives_identical_models_and_different_seeds_differ():
    a = nn.MLP(3, [4, 2], seed=7)
    b = nn.MLP(3, [4, 2], seed=7)
    c = nn.MLP(3, [4, 2], seed=8)
    assert a.state_dict() == b.state_dict()
    assert a.state_dict() != c.state_dict()


def test_rng_argument_is_used_and_shared_rng_advances():
    rng = random.Random(5)
    first = nn.Neuron(3, rng=rng)
    second = nn.Neuron(3, rng=rng)
    assert first.state_dict() != second.state_dict()
    assert nn.Neuron(3, rng=random.Random(5)).state_dict() == first.state_dict()
    with pytest.raises(ValueError, match="seed or rng, not both"):
        nn.Neuron(2, seed=1, rng=random.Random(1))


def test_named_parameters_are_dotted_paths_in_definition_order():
    model = nn.MLP(2, [3, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert "layers.0.neurons.1.w.0" in names and "layers.0.neurons.1.b" in names
    assert names[-4:] == ["layers.1.neurons.0.w.0", "layers.1.neurons.0.w.1", "layers.1.neurons.0.w.2", "layers.1.neurons.0.b"]
    assert len(names) == len(set(names)) == (2 + 1) * 3 + (3 + 1) * 1


def test_parameters_are_labelled_with_their_names():
    model = nn.MLP(2, [2, 1], seed=0)
    for name, value in model.named_parameters():
        assert value.label == name
    assert model.layers[1].neurons[0].w[1].label == "layers.1.neurons.0.w.1"


def test_uniform_init_is_micrograd_range_and_biases_start_at_zero():
    model = nn.MLP(4, [8, 8], seed=1)
    for name, value in model.named_parameters():
        if name.endswith(".b"):
            assert value.data == 0.0
        else:
            assert -1.0 <= value.data <= 1.0


@pytest.mark.parametrize("init, half_width", [("xavier", math.sqrt(3 / 50)), ("he", math.sqrt(6 / 50))])
def test_fan_in_scaled_inits_stay_within_their_bound_and_use_it(init, half_width):
    weights = [w.data for w in nn.Layer(50, 20, init=init, seed=0).parameters() if w.label.split(".")[-2] == "w"]
    assert len(weights) == 1000
    assert max(abs(w) for w in weights) <= half_width
    assert max(abs(w) for w in weights) > 0.9 * half_width  # the bound is really used, not something smaller


def test_a_neurons_weighted_sum_is_one_dot_node_with_2n_parents():
    neuron = nn.Neuron(5, activation="tanh", seed=0)
    x = [Value(float(i)) for i in range(5)]
    out = neuron(x)
    assert out.op == "tanh"
    add = out.parents[0]
    assert add.op == "add" and add.parents[1] is neuron.b
    dot = add.parents[0]
    assert dot.op == "dot" and len(dot.parents) == 10
    assert dot.parents == tuple(neuron.w) + tuple(x)


@pytest.mark.parametrize(
    "activation, pre, expected",
    [("relu", -2.0, 0.0), ("relu", 2.0, 2.0), ("tanh", 0.5, math.tanh(0.5)), ("sigmoid", 0.5, 1 / (1 + math.exp(-0.5))),
     ("leaky_relu", -2.0, -0.02), ("linear", -2.0, -2.0)],
)
def test_activations(activation, pre, expected):
    neuron = nn.Neuron(1, activation=activation)
    neuron.load_state_dict({"w.0": 1.0, "b": 0.0})
    assert neuron([pre]).data == pytest.approx(expected, rel=1e-15)


def test_inputs_may_be_floats_values_tuples_or_a_lone_number_for_one_input():
    model = nn.MLP(2, [3, 1], seed=0)
    as_floats = model([0.5, -1.0]).data
    assert model((0.5, -1.0)).data == as_floats
    x = [Value(0.5), Value(-1.0)]
    out = model(x)
    assert out.data == as_floats
    out.backward()
    assert x[0].has_grad  # a Value input receives its gradient
    one = nn.MLP(1, [2, 1], seed=0)
    assert one(0.5).data == one([0.5]).data


def test_one_output_returns_the_value_and_several_return_a_list():
    assert isinstance(nn.Layer(2, 1, seed=0)([1.0, 2.0]), Value)
    assert isinstance(nn.MLP(2, [3, 1], seed=0)([1.0, 2.0]), Value)
    outs = nn.MLP(2, [3, 2], seed=0)([1.0, 2.0])
    assert isinstance(outs, list) and len(outs) == 2
    # a one-neuron hidden layer feeds the next layer normally
    assert isinstance(nn.MLP(2, [1, 3], seed=0)([1.0, 2.0]), list)


def test_output_activation_is_separate_from_hidden_activation():
    model = nn.MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=0)
    assert [layer.activation for layer in model.layers] == ["tanh", "sigmoid"]
    assert model([1.0, 2.0]).op == "sigmoid"
    assert nn.MLP(2, [3, 1], seed=0)([1.0, 2.0]).op == "add"  # linear output: the bias add is last


def test_shared_bias_is_one_value_per_layer_and_its_gradient_sums_over_neurons():
    layer = nn.Layer(1, 3, activation="linear", shared_bias=True, seed=0)
    assert [name for name, _ in layer.named_parameters()] == ["b", "neurons.0.w.0", "neurons.1.w.0", "neurons.2.w.0"]
    assert all(neuron.b is layer.b for neuron in layer.neurons)
    autograd.sum(layer([2.0])).backward()
    assert layer.b.grad == 3.0


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: nn.Neuron(0), "Neuron: nin must be a positive integer, got 0"),
        (lambda: nn.Neuron(2, activation="gelu"), "Neuron: unknown activation 'gelu'"),
        (lambda: nn.Layer(2, 3, init="normal"), "Layer: unknown init 'normal'"),
        (lambda: nn.MLP(2, [3, 0]), "MLP: each layer size must be a positive integer, got 0"),
        (lambda: nn.MLP(2, []), "MLP: sizes must name at least one layer"),
        (lambda: nn.MLP(2, [3], output_activation="softmax"), "MLP: unknown output_activation 'softmax'"),
    ],
)
def test_bad_constructor_arguments_name_the_class_and_value(build, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("[", r"\[")):
        build()


def test_wrong_input_length_or_type_is_a_clear_error():
    model = nn.MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match="MLP: expected 2 inputs, got 3"):
        model([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="MLP: inputs must be numbers or Values, got str"):
        model([1.0, "2"])


def test_zero_grad_clears_every_parameter():
    model = nn.MLP(2, [3, 1], seed=0)
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 and not p.has_grad for p in model.parameters())


def test_user_subclass_gets_names_and_labels():
    class Affine(nn.Module):
        def __init__(self):
            self.scale = Value(2.0)
            self.inner = nn.Neuron(1, activation="linear", seed=0)

        def forward(self, x):
            return self.scale * self.inner(x)

    model = Affine()
    assert [name for name, _ in model.named_parameters()] == ["scale", "inner.w.0", "inner.b"]
    assert model.inner.w[0].label == "inner.w.0"


# -- state dicts ----------------------------------------------------------------------------------


def test_state_dict_round_trip_changes_the_outputs():
    source = nn.MLP(2, [3, 1], seed=1)
    target = nn.MLP(2, [3, 1], seed=2)
    target.load_state_dict(source.state_dict())
    assert target([0.3, -0.7]).data == source([0.3, -0.7]).data


def test_load_state_dict_names_missing_and_unexpected_and_changes_nothing():
    model = nn.Neuron(2, seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"missing 1 parameter\(s\): w.1; unexpected 1 name\(s\): w.2"):
        model.load_state_dict({"w.0": 1.0, "w.2": 1.0, "b": 0.0})
    with pytest.raises(ValueError, match="w.1 is nan; parameters must be finite"):
        model.load_state_dict({"w.0": 5.0, "w.1": float("nan"), "b": 0.0})
    with pytest.raises(TypeError, match="w.0 must be a real number, got str"):
        model.load_state_dict({"w.0": "1", "w.1": 1.0, "b": 0.0})
    assert model.state_dict() == before


# -- save / load -------------------------------------------------------------------------------------


def test_save_load_round_trips_every_float_exactly(tmp_path):
    model = nn.MLP(3, [5, 4, 2], activation="tanh", output_activation="sigmoid", init="xavier", seed=3, shared_bias=True)
    model.layers[0].b.data = 0.1 + 0.2  # a float whose shortest repr has 17 digits
    path = model.save(tmp_path / "model.json")
    loaded = nn.load(path)
    assert type(loaded) is nn.MLP and loaded.config() == model.config()
    assert loaded.state_dict() == model.state_dict()  # exact equality, bit for bit
    assert [a.data for a in loaded([0.1, 0.2, 0.3])] == [a.data for a in model([0.1, 0.2, 0.3])]
    assert nn.MLP.load(path).state_dict() == model.state_dict()
    document = json.loads((tmp_path / "model.json").read_text())
    assert document["format"] == nn.module.FORMAT and document["version"] == 1 and document["class"] == "MLP"


def test_save_is_atomic_leaves_no_temporary_files_and_a_readable_mode(tmp_path):
    path = tmp_path / "model.json"
    nn.Neuron(2, seed=0).save(path)
    nn.Neuron(2, seed=1).save(path)  # overwrite in place
    assert os.listdir(tmp_path) == ["model.json"]
    assert stat.S_IMODE(os.stat(path).st_mode) & 0o044  # not the 0600 of a bare temp file
    assert nn.load(path).state_dict() == nn.Neuron(2, seed=1).state_dict()


def test_a_failed_save_keeps_the_old_file(tmp_path):
    path = tmp_path / "model.json"
    nn.Neuron(2, seed=0).save(path)
    original = path.read_text()
    broken = nn.Neuron(2, seed=1)
    broken.w[0].data = float("inf")
    with pytest.raises(ValueError, match="save: parameter w.0 is inf"):
        broken.save(path)
    assert path.read_text() == original and os.listdir(tmp_path) == ["model.json"]


def test_load_class_mismatch(tmp_path):
    path = nn.Neuron(2, seed=0).save(tmp_path / "n.json")
    with pytest.raises(nn.ModelFileError, match="holds a Neuron, not a MLP"):
        nn.MLP.load(path)


def _write(tmp_path, text, name="bad.json"):
    path = tmp_path / name
    path.write_text(text) if isinstance(text, str) else path.write_bytes(text)
    return str(path)


def _good_document():
    return json.loads(json.dumps({
        "format": "dagrad.nn.Module", "version": 1, "class": "Neuron",
        "config": {"nin": 2, "activation": "relu", "init": "uniform"},
        "parameters": {"w.0": 0.5, "w.1": -0.25, "b": 0.0},
    }))


def _with(**changes):
    document = _good_document()
    document.update(changes)
    return json.dumps(document)


@pytest.mark.parametrize(
    "contents, message",
    [
        ("", "the file is empty"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        ("hello, world", "not valid JSON"),
        (_with()[:-20], "not valid JSON \\(truncated"),
        ("[1, 2, 3]", "not a dagrad model file"),
        (_with(format="something-else"), "not a dagrad model file"),
        (_with(version=2), "unsupported format version 2 \\(this dagrad reads version 1\\)"),
        (_with(version="1"), "unsupported format version '1'"),
        (_with(**{"class": "Transformer"}), "unknown model class 'Transformer'"),
        (_with(config={"nin": 2, "activation": "swish", "init": "uniform"}), "cannot build Neuron from its config.*'swish'"),
        (_with(config={"nin": 2, "bogus": 1}), "cannot build Neuron from its config"),
        (_with(parameters={"w.0": 0.5, "b": 0.0}), "wrong shape.*missing 1 parameter\\(s\\): w.1"),
        (_with(parameters={"w.0": 0.5, "w.1": 1.0, "w.2": 1.0, "b": 0.0}), "wrong shape.*unexpected 1 name\\(s\\): w.2"),
        (_with(parameters={"w.0": 0.5, "w.1": "x", "b": 0.0}), "w.1 must be a real number"),
        (_with(parameters={"w.0": 0.5, "w.1": True, "b": 0.0}), "w.1 must be a real number, got bool"),
        (_with().replace("-0.25", "NaN"), "holds NaN; parameters must be finite"),
        (_with().replace("-0.25", "-Infinity"), "holds -Infinity"),
        (_with().replace("-0.25", "1e999"), "w.1 is inf; parameters must be finite"),
        (_with(parameters=[0.5, 0.1, 0.0]), "\"parameters\" is missing or not a dict"),
        # JSON integers have no size limit; 400 digits overflow a float (issue 21 item 20)
        (_with().replace("-0.25", "1" + "0" * 400), "w.1 is an integer of 401 digits, too large for a float"),
        (_with().replace("-0.25", "-1" + "0" * 400), "w.1 is an integer of 401 digits, too large for a float"),
        (_with(config={"nin": 10**400, "activation": "relu", "init": "uniform"}), "wrong shape for Neuron.*asks for"),
    ],
)
def test_loading_a_bad_file_raises_model_file_error_naming_path_and_problem(tmp_path, contents, message):
    path = _write(tmp_path, contents)
    with pytest.raises(nn.ModelFileError, match=message) as raised:
        nn.load(path)
    assert path in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_the_good_document_used_above_does_load(tmp_path):
    model = nn.load(_write(tmp_path, _with()))
    assert model.state_dict() == {"w.0": 0.5, "w.1": -0.25, "b": 0.0}


def test_numbers_too_large_for_a_float_are_value_errors_naming_where_and_what():
    model = nn.Neuron(1, seed=0)
    with pytest.raises(ValueError, match=r"Neuron.load_state_dict: b is an integer of 16610 bits, too large for a float"):
        model.load_state_dict({"w.0": 1.0, "b": 10**5000})  # more digits than Python prints
    assert model.state_dict() == nn.Neuron(1, seed=0).state_dict()  # nothing changed
    with pytest.raises(ValueError, match=r"SGD: lr must be a finite number, got an integer of 401 digits"):
        nn.SGD(model.parameters(), lr=10**400)
    with pytest.raises(ValueError, match=r"mse_loss: target\[0\] is an integer too large for a float"):
        nn.mse_loss([autograd.Value(1.0)], [10**400])


def test_loading_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "nope.json")


def test_layers_and_mlps_compute_through_neuron_forward(monkeypatch):
    """The neuron's formula is written once: Layer and MLP call Neuron.forward for every neuron."""
    calls = []
    original = nn.Neuron.forward

    def counted(self, x):
        calls.append(self)
        return original(self, x)

    model = nn.MLP(2, [3, 2, 1], seed=0)
    expected = model([0.5, -1.0]).data
    monkeypatch.setattr(nn.Neuron, "forward", counted)
    assert model([0.5, -1.0]).data == expected
    assert calls == [n for layer in model.layers for n in layer.neurons]
