"""nn.fit (stopping criteria, batches, progress, callback), predict/accuracy, datasets, and the demo."""

import math
import os
import sys
import xml.etree.ElementTree as ET

import pytest

import nn
from nn import datasets

# -- fit: stopping criteria -----------------------------------------------------------------------

XOR_X, XOR_Y = datasets.xor()


def xor_model(seed=0):
    return nn.MLP(2, [4, 1], activation="tanh", seed=seed)


def test_stops_when_all_correct_and_the_returned_model_is_all_correct():
    model = xor_model()
    history = nn.fit(model, XOR_X, datasets.to_signed(XOR_Y), loss="hinge", optimizer=nn.Adam(model.parameters(), lr=0.05),
                     epochs=500, stop_when_all_correct=True, progress=False)
    assert history.stopped_by == "all_correct" and history.epochs < 500
    assert history.accuracy[-1] == 1.0 and all(a < 1.0 for a in history.accuracy[:-1])
    assert nn.predict(model, XOR_X) == datasets.to_signed(XOR_Y)


def test_stops_at_loss_tolerance():
    model = xor_model()
    history = nn.fit(model, XOR_X, XOR_Y, loss="mse", optimizer=nn.Adam(model.parameters(), lr=0.05), epochs=2000, tol=0.05,
                     progress=False)
    assert history.stopped_by == "loss_tol"
    assert history.loss[-1] <= 0.05 and all(loss > 0.05 for loss in history.loss[:-1])


def test_stops_after_patience_epochs_without_improvement():
    model = xor_model()
    history = nn.fit(model, XOR_X, XOR_Y, loss="mse", lr=0.0, epochs=100, patience=3, progress=False)  # lr 0: never improves
    assert history.stopped_by == "no_improvement" and history.epochs == 4
    assert len(set(history.loss)) == 1


def test_runs_to_max_epochs_otherwise():
    history = nn.fit(xor_model(), XOR_X, XOR_Y, loss="mse", lr=0.01, epochs=7, progress=False)
    assert history.stopped_by == "max_epochs" and history.epochs == 7
    assert len(history.loss) == len(history.accuracy) == len(history.lr) == 7


def test_callback_sees_every_epoch_and_can_stop():
    seen = []

    def callback(epoch, history):
        seen.append((epoch, history.epochs))
        return epoch == 2

    history = nn.fit(xor_model(), XOR_X, XOR_Y, loss="mse", epochs=10, callback=callback, progress=False)
    assert seen == [(0, 1), (1, 2), (2, 3)]
    assert history.stopped_by == "callback"


def test_full_batch_loss_history_is_the_loss_before_each_update():
    model = xor_model()
    first = nn.mse_loss([model(x) for x in XOR_X], XOR_Y).data
    history = nn.fit(model, XOR_X, XOR_Y, loss="mse", lr=0.1, epochs=2, progress=False)
    assert history.loss[0] == first


def test_minibatches_are_seeded_and_change_the_result():
    X, y = datasets.make_moons(20, seed=1)
    runs = []
    for seed in (0, 0, 1):
        model = nn.MLP(2, [4, 1], seed=0)
        nn.fit(model, X, y, loss="bce_with_logits", lr=0.1, batch_size=5, epochs=3, seed=seed, progress=False)
        runs.append(model.state_dict())
    assert runs[0] == runs[1] and runs[0] != runs[2]


def test_scheduler_is_stepped_per_epoch_and_recorded():
    model = xor_model()
    optimizer = nn.SGD(model.parameters(), lr=1.0)
    history = nn.fit(model, XOR_X, XOR_Y, loss="mse", optimizer=optimizer, scheduler=nn.LinearDecay(optimizer, 0.4, 0.1, 3),
                     epochs=5, progress=False)
    assert history.lr == pytest.approx([0.4, 0.3, 0.2, 0.1, 0.1])


def test_l2_is_part_of_the_reported_loss():
    plain = nn.fit(xor_model(), XOR_X, XOR_Y, loss="mse", lr=0.0, epochs=1, progress=False).loss[0]
    model = xor_model()
    expected = plain + nn.l2_regularization(model.parameters(), 0.5).data
    assert nn.fit(model, XOR_X, XOR_Y, loss="mse", lr=0.0, l2=0.5, epochs=1, progress=False).loss[0] == pytest.approx(expected)


def test_a_custom_loss_callable_is_used():
    calls = []

    def loss(predictions, targets):
        calls.append(len(predictions))
        return nn.mse_loss(predictions, targets)

    nn.fit(xor_model(), XOR_X, XOR_Y, loss=loss, epochs=2, batch_size=3, progress=False)
    assert calls == [3, 1, 3, 1]


def test_multi_class_with_cross_entropy():
    X, y = datasets.make_blobs(30, centers=3, std=0.5, seed=0)
    model = nn.MLP(2, [8, 3], seed=0)
    history = nn.fit(model, X, y, loss="cross_entropy", optimizer=nn.Adam(model.parameters(), lr=0.05), epochs=100,
                     stop_when_all_correct=True, progress=False)
    assert history.decision == "argmax" and history.stopped_by == "all_correct"
    assert nn.predict(model, X) == y


def test_a_non_finite_loss_stops_fit_with_a_clear_error():
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    with pytest.raises(FloatingPointError, match=r"fit: the loss became nan in epoch 0 \(lr 0.1\)"):
        nn.fit(model, [[float("nan"), 1.0]], [1.0], loss="mse", lr=0.1, epochs=5, progress=False)


def test_a_diverging_model_gets_fits_advice_and_the_engines_error_naming_the_op():
    model = nn.MLP(2, [4, 1], activation="linear", seed=0)
    with pytest.raises(FloatingPointError, match=r"epoch \d+ \(lr 10\).*overflows a float.*lower the learning rate") as info:
        nn.fit(model, [[1e3, 1e3]], [1e3], loss="mse", lr=10.0, epochs=50, progress=False)
    assert isinstance(info.value.__cause__, OverflowError)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"loss": "l1"}, "fit: unknown loss 'l1'"),
        ({"epochs": 0}, "fit: epochs must be a positive integer, got 0"),
        ({"batch_size": 0}, "fit: batch_size must be a positive integer or None, got 0"),
        ({"patience": 0}, "fit: patience must be a positive integer or None, got 0"),
        ({"decision": "round"}, "fit: decision must be one of"),
    ],
)
def test_bad_fit_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nn.fit(xor_model(), XOR_X, XOR_Y, **{"loss": "mse", **kwargs})


def test_fit_rejects_mismatched_data_and_all_correct_on_regression_targets():
    with pytest.raises(ValueError, match="fit: X has 4 samples but y has 3"):
        nn.fit(xor_model(), XOR_X, XOR_Y[:3])
    with pytest.raises(ValueError, match="stop_when_all_correct needs class-label targets"):
        nn.fit(xor_model(), XOR_X, [0.3, 0.2, 0.1, 0.5], loss="mse", stop_when_all_correct=True)


# -- progress bar -------------------------------------------------------------------------------------


def test_progress_is_off_without_a_terminal_and_does_not_import_tqdm(capsys, monkeypatch):
    monkeypatch.delitem(sys.modules, "tqdm", raising=False)
    monkeypatch.delitem(sys.modules, "tqdm.auto", raising=False)
    nn.fit(xor_model(), XOR_X, XOR_Y, loss="mse", epochs=3)  # progress=None; pytest's stderr is not a TTY
    nn.fit(xor_model(), XOR_X, XOR_Y, loss="mse", epochs=3, progress=False)
    assert capsys.readouterr().err == ""
    assert "tqdm" not in sys.modules


def test_progress_true_draws_a_tqdm_bar_on_stderr(capsys):
    nn.fit(xor_model(), XOR_X, XOR_Y, loss="mse", epochs=3, progress=True)
    err = capsys.readouterr().err
    assert "3/3" in err and "loss=" in err and "acc=" in err


def test_progress_true_without_tqdm_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    with pytest.raises(ImportError, match="pip install tqdm"):
        nn.fit(xor_model(), XOR_X, XOR_Y, loss="mse", epochs=1, progress=True)


# -- predict / accuracy -------------------------------------------------------------------------------


def linear_neuron(w, b):
    neuron = nn.Neuron(1, activation="linear")
    neuron.load_state_dict({"w.0": w, "b": b})
    return neuron


def test_decisions_for_one_output():
    model = linear_neuron(1.0, 0.0)
    X = [[-1.0], [0.0], [0.3], [0.7]]
    assert nn.predict(model, X) == [-1, -1, 1, 1]  # default: sign, 0 counts as negative
    assert nn.predict(model, X, decision="logit") == [0, 0, 1, 1]
    assert nn.predict(model, X, decision="probability") == [0, 0, 0, 1]
    assert nn.outputs(model, X) == [-1.0, 0.0, 0.3, 0.7]


def test_accuracy_infers_the_decision_from_targets_and_output_activation():
    X = [[-1.0], [0.3], [0.7]]
    assert nn.accuracy(linear_neuron(1.0, 0.0), X, [-1, 1, 1]) == 1.0  # +-1 targets: sign
    assert nn.accuracy(linear_neuron(1.0, 0.0), X, [0, 1, 1]) == 1.0  # 0/1, linear output: logit (> 0)
    sigmoid_model = nn.MLP(1, [1], output_activation="sigmoid", seed=0)
    sigmoid_model.load_state_dict({"layers.0.neurons.0.w.0": 1.0, "layers.0.neurons.0.b": 0.0})
    assert nn.accuracy(sigmoid_model, X, [0, 1, 1]) == 1.0  # 0/1, sigmoid output: > 0.5
    assert nn.accuracy(sigmoid_model, X, [0, 0, 1], decision="probability") == pytest.approx(2 / 3)
    assert nn.accuracy(linear_neuron(1.0, 0.0), X, [0.1, 2.5, 3.0]) is None  # regression targets


def test_argmax_for_several_outputs_and_outputs_keep_no_graph():
    model = nn.MLP(2, [3], activation="linear", seed=0)
    model.load_state_dict({name: 0.0 for name in model.state_dict()} | {"layers.0.neurons.2.w.0": 1.0})
    assert nn.predict(model, [[1.0, 0.0], [-1.0, 0.0]]) == [2, 0]
    assert nn.accuracy(model, [[1.0, 0.0]], [2]) == 1.0
    assert nn.outputs(model, [[1.0, 5.0]]) == [[0.0, 0.0, 1.0]]


def test_predict_rejects_a_decision_that_does_not_fit_the_model():
    with pytest.raises(ValueError, match="decision 'argmax' needs a model with several outputs"):
        nn.predict(linear_neuron(1.0, 0.0), [[1.0]], decision="argmax")


# -- datasets ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, classes",
    [
        (lambda seed: datasets.make_moons(50, noise=0.1, seed=seed), 2),
        (lambda seed: datasets.make_circles(50, seed=seed), 2),
        (lambda seed: datasets.make_spirals(50, classes=3, seed=seed), 3),
        (lambda seed: datasets.make_blobs(50, centers=4, seed=seed), 4),
    ],
)
def test_generators_are_seeded_plain_lists_with_balanced_labels(make, classes):
    X, y = make(0)
    assert (X, y) == make(0) and X != make(1)[0]
    assert type(X) is list and all(type(x) is list and len(x) == 2 and all(type(c) is float for c in x) for x in X)
    assert len(X) == len(y) == 50
    counts = [y.count(k) for k in range(classes)]
    assert sum(counts) == 50 and max(counts) - min(counts) <= 1
    assert y != sorted(y)  # shuffled


def test_noiseless_moons_lie_on_their_half_circles():
    X, y = datasets.make_moons(40, noise=0.0, seed=0)
    for (a, b), label in zip(X, y):
        if label == 0:
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:
            assert math.hypot(a - 1.0, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12


def test_train_test_split_partitions_and_is_seeded():
    X = [[float(i)] for i in range(20)]
    y = list(range(20))
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_fraction=0.25, seed=3)
    assert len(X_test) == 5 and len(X_train) == 15
    assert sorted(y_train + y_test) == y
    assert all(x == [float(t)] for x, t in zip(X_train + X_test, y_train + y_test))  # pairs stay together
    assert datasets.train_test_split(X, y, 0.25, seed=3) == (X_train, X_test, y_train, y_test)
    with pytest.raises(ValueError, match="train_test_split: X has 20 samples but y has 19"):
        datasets.train_test_split(X, y[:-1])
    with pytest.raises(ValueError, match=r"test_fraction must lie in \(0, 1\), got 1.5"):
        datasets.train_test_split(X, y, 1.5)


def test_dataset_argument_errors():
    with pytest.raises(ValueError, match="make_moons: noise must be a finite number >= 0, got -0.1"):
        datasets.make_moons(10, noise=-0.1)
    with pytest.raises(ValueError, match="make_spirals: n must be an integer >= 2, got 1"):
        datasets.make_spirals(10, classes=1)
    with pytest.raises(ValueError, match=r"to_signed: labels must be 0/1 \(or -1/\+1\), got y\[1\] = 2"):
        datasets.to_signed([0, 2])


# -- the demo ------------------------------------------------------------------------------------------


def test_demo_reaches_the_accuracy_target_and_writes_every_file(tmp_path, capsys):
    from nn import demo

    result = demo.main(str(tmp_path / "out"), progress=False)
    assert result["accuracy"] >= demo.TARGET_ACCURACY
    printed = capsys.readouterr().out
    for key in ("decision_boundary", "training_curves", "neuron_graph", "model"):
        assert os.path.getsize(result[key]) > 0 and result[key] in printed
    for key in ("decision_boundary", "training_curves"):
        with open(result[key], "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    svg = ET.parse(result["neuron_graph"]).getroot()
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert any(t and t.startswith("layers.0.neurons.") and t.endswith(".w.0") for t in texts)
    assert any(t and t.startswith("g·∂") for t in texts)  # edge derivatives are drawn
    model = nn.load(result["model"])
    X, labels = datasets.make_moons(100, noise=0.1, seed=0)
    assert nn.accuracy(model, X, datasets.to_signed(labels)) == result["accuracy"]
