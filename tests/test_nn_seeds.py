"""The networks of two published tutorials reproduced with nn, to 9 significant digits: the 2-2-2
sigmoid network of Matt Mazur's *A Step by Step Backpropagation Example* (2015) and the XOR network
of Anas Al-Masri's *Backpropagation in Neural Networks Explained* (Built In).

Bias convention for Mazur's network: each layer has ONE bias shared by its neurons
(`shared_bias=True`), and, as the tutorial does, biases are held fixed: they are simply left out of
the optimizer's parameters. Al-Masri's network updates its bias weights (W10.., V00), like every other.
"""

import pytest

import nn

INPUT_MAZUR = [0.05, 0.10]
TARGET_MAZUR = [0.01, 0.99]
WEIGHTS_MAZUR = {
    "layers.0.b": 0.35,
    "layers.0.neurons.0.w.0": 0.15,  # w1
    "layers.0.neurons.0.w.1": 0.20,  # w2
    "layers.0.neurons.1.w.0": 0.25,  # w3
    "layers.0.neurons.1.w.1": 0.30,  # w4
    "layers.1.b": 0.60,
    "layers.1.neurons.0.w.0": 0.40,  # w5
    "layers.1.neurons.0.w.1": 0.45,  # w6
    "layers.1.neurons.1.w.0": 0.50,  # w7
    "layers.1.neurons.1.w.1": 0.55,  # w8
}


def sig9(x):
    """x rounded to 9 significant digits."""
    return float(f"{x:.9g}")


def quoted(x, figure: str) -> bool:
    """x agrees with a figure quoted by the tutorial to every decimal the figure shows."""
    decimals = len(figure.split(".")[1])
    return f"{x:.{decimals}f}" == figure


def mazur_network():
    model = nn.MLP(2, [2, 2], activation="sigmoid", output_activation="sigmoid", shared_bias=True)
    model.load_state_dict(WEIGHTS_MAZUR)
    return model


def weights_only(model):
    return [value for name, value in model.named_parameters() if not name.endswith(".b")]


def test_mazur_forward_pass():
    model = mazur_network()
    hidden = model.layers[0](INPUT_MAZUR)
    assert [sig9(h.data) for h in hidden] == [0.593269992, 0.596884378]
    out_o1, out_o2 = model(INPUT_MAZUR)
    assert sig9(out_o1.data) == 0.75136507
    assert sig9(out_o2.data) == 0.772928465
    assert sig9(nn.mse_loss([out_o1, out_o2], TARGET_MAZUR, reduction="half_sum").data) == 0.298371109


def test_mazur_gradient_of_w5_and_its_update():
    model = mazur_network()
    e_total = nn.mse_loss(model(INPUT_MAZUR), TARGET_MAZUR, reduction="half_sum")
    e_total.backward()
    w5 = model.layers[1].neurons[0].w[0]
    assert w5.label == "layers.1.neurons.0.w.0"
    assert quoted(w5.grad, "0.082167041")
    nn.SGD([w5], lr=0.5).step()
    assert sig9(w5.data) == 0.35891648


def test_mazur_one_step_of_all_eight_weights_with_biases_fixed():
    model = mazur_network()
    optimizer = nn.SGD(weights_only(model), lr=0.5)
    optimizer.zero_grad()
    nn.mse_loss(model(INPUT_MAZUR), TARGET_MAZUR, reduction="half_sum").backward()
    optimizer.step()
    assert [sig9(w.data) for w in weights_only(model)] == [
        0.149780716, 0.199561432, 0.249751144, 0.299502287, 0.35891648, 0.408666186, 0.51130127, 0.561370121,
    ]
    assert model.layers[0].b.data == 0.35 and model.layers[1].b.data == 0.60
    assert sig9(nn.mse_loss(model(INPUT_MAZUR), TARGET_MAZUR, reduction="half_sum").data) == 0.291027774


def test_mazur_ten_thousand_updates_through_fit():
    model = mazur_network()
    history = nn.fit(model, [INPUT_MAZUR], [TARGET_MAZUR], loss="half_sse", optimizer=nn.SGD(weights_only(model), lr=0.5),
                     epochs=10_000, progress=False)
    assert history.stopped_by == "max_epochs" and history.epochs == 10_000
    assert history.accuracy[-1] is None  # regression targets: no accuracy
    assert sig9(history.loss[0]) == 0.298371109 and sig9(history.loss[1]) == 0.291027774
    out_o1, out_o2 = model(INPUT_MAZUR)
    assert f"{nn.mse_loss([out_o1, out_o2], TARGET_MAZUR, reduction='half_sum').data:.5g}" == "3.5102e-05"
    assert quoted(out_o1.data, "0.015913620") and quoted(out_o2.data, "0.984064274")


def xor_network(activation):
    """2 inputs, 3 hidden units, 1 linear output; every weight and bias 1."""
    model = nn.MLP(2, [3, 1], activation=activation, output_activation="linear")
    model.load_state_dict({name: 1.0 for name in model.state_dict()})
    return model


def test_xor_one_corrected_sgd_step_on_sample_00():
    model = xor_network("linear")
    assert model([0.0, 0.0]).data == 4.0
    optimizer = nn.SGD(model.parameters(), lr=0.1)
    optimizer.zero_grad()
    nn.mse_loss(model([0.0, 0.0]), 0.0, reduction="half_sum").backward()
    assert model.layers[1].neurons[0].b.grad == 4.0  # the output delta y_hat - y, not the tutorial's -4
    optimizer.step()
    state = {name: round(value, 12) for name, value in model.state_dict().items()}
    hidden = model.layers[0].neurons
    for j in range(3):
        assert state[f"layers.0.neurons.{j}.b"] == 0.6  # W10, W20, W30 (bias X0 -> Zj)
        assert state[f"layers.0.neurons.{j}.w.0"] == 1.0  # from X1: input 0, gradient 0
        assert state[f"layers.0.neurons.{j}.w.1"] == 1.0  # from X2
        assert state[f"layers.1.neurons.0.w.{j}"] == 0.6  # V0j (Zj -> D0)
        assert hidden[j].w[0].grad == 0.0
    assert state["layers.1.neurons.0.b"] == 0.6  # V00
    assert model([0.0, 0.0]).data == pytest.approx(1.68, abs=1e-12)  # 0.6 + 3 * 0.6 * 0.6


def test_xor_linear_net_cannot_learn_xor():
    X, y = nn.datasets.xor()
    model = nn.MLP(2, [3, 1], activation="linear", seed=0)
    history = nn.fit(model, X, y, loss="half_sse", lr=0.1, batch_size=1, epochs=300, stop_when_all_correct=True, progress=False)
    assert history.stopped_by == "max_epochs"
    assert max(history.accuracy) <= 0.75


def test_xor_tanh_net_learns_xor_and_stops_when_all_correct():
    X, y = nn.datasets.xor()
    # Random (seeded) weights: with all weights 1 the three tanh units would stay identical forever.
    model = nn.MLP(2, [3, 1], activation="tanh", output_activation="linear", seed=0)
    history = nn.fit(model, X, y, loss="half_sse", lr=0.1, batch_size=1, epochs=2000, stop_when_all_correct=True, progress=False)
    assert history.stopped_by == "all_correct"
    assert history.epochs < 2000 and history.accuracy[-1] == 1.0
    assert history.decision == "probability"
    assert nn.predict(model, X, decision="probability") == y
    assert nn.accuracy(model, X, y, decision=history.decision) == 1.0
