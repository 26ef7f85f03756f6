"""fit(live=True): the recording, the controls (through the messages the buttons send), errors in
the view, the fallback outside Jupyter, and the replay page."""

import copy
import math
import pickle
import warnings
from contextlib import contextmanager

import pytest

import nn
import nn.train
from nn.live import Controls, LiveView, Recording

pytest.importorskip("numpy")


def _xor_model():
    return nn.MLP(2, [4, 1], activation="tanh", seed=3)


def _quiet_fit(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nn.fit(*args, progress=False, **kwargs)


class FakeWidget:
    """anywidget's Python side as LiveView uses it: traits set in hold_sync, on_msg handlers."""

    def __init__(self):
        self.handlers, self.updates = [], []
        self.frame, self.series, self.status = {}, {}, {}

    def on_msg(self, handler):
        self.handlers.append(handler)

    def click(self, control, **extra):  # what a button's model.send({...}) delivers
        for handler in self.handlers:
            handler(self, dict(control=control, **extra), [])

    @contextmanager
    def hold_sync(self):
        yield
        self.updates.append({"frame": self.frame, "series": self.series, "status": dict(self.status)})


def _scripted(monkeypatch, script):
    """Make fit's live view a FakeWidget whose buttons are clicked by `script(poll_number, widget)`
    each time the loop polls for clicks (as jupyter-ui-poll would deliver them)."""
    widget, polls = FakeWidget(), [0]

    def poll():
        polls[0] += 1
        script(polls[0], widget)

    def open_view(model, X, y, decision, epochs, title):
        return LiveView(Recording(model, X, y, decision, epochs, title), widget, poll)

    monkeypatch.setattr(nn.train, "open_view", open_view)
    return widget


def test_a_run_records_every_epoch_and_frames_whose_last_loss_is_the_historys():
    X, y = nn.datasets.xor()
    history = _quiet_fit(_xor_model(), X, y, loss="bce_with_logits", epochs=30, live=True)
    rec = history.recording
    assert rec.series["epoch"] == list(range(1, 31))
    assert rec.series["loss"] == history.loss and rec.series["accuracy"] == history.accuracy
    assert [f["epoch"] for f in rec.frames] == list(range(1, 31))  # a short run: a frame every epoch
    assert rec.frames[-1]["loss"] == history.loss[-1]
    # the frame holds the model's real weights, and the layer gradient norms are the real ones
    model = _xor_model()
    _quiet_fit(model, X, y, loss="bce_with_logits", epochs=30)
    assert rec.frames[-1]["layers"][0]["w"][2] == [float(f"{w.data:.5g}") for w in model.layers[0].neurons[2].w]
    norm = math.sqrt(sum(p.grad**2 for n in model.layers[1].neurons for p in (*n.w, n.b)))
    assert rec.series["grad_norm"][-1][1] == pytest.approx(norm, rel=1e-12)


def test_the_decision_plane_agrees_with_predict_at_its_grid_points():
    import base64

    import numpy as np

    from nn.live import GRID, plane_points

    X, labels = nn.datasets.make_moons(40, noise=0.1, seed=1)
    y = nn.datasets.to_signed(labels)
    model = nn.MLP(2, [8, 1], activation="relu", seed=1)
    history = _quiet_fit(model, X, y, loss="hinge", epochs=5, live=True)
    frame = history.recording.frames[-1]
    plane = np.frombuffer(base64.b64decode(frame["decision_plane"]["data"]), dtype=np.uint8)
    points = plane_points(np, history.recording.meta["plane"]["extent"])
    predicted = nn.predict(model, points.tolist(), decision="sign")
    agree = [
        (byte > 127) == (p > 0)
        for byte, p, s in zip(plane, predicted, nn.outputs(model, points.tolist()))
        if abs(s) > 0.02
    ]
    assert len(plane) == GRID * GRID and len(agree) > GRID * GRID // 2 and all(agree)


def test_dead_relus_are_those_whose_output_is_zero_on_every_training_input():
    X, labels = nn.datasets.make_moons(60, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
    history = _quiet_fit(model, X, nn.datasets.to_signed(labels), loss="hinge", epochs=3, live=True)
    dead = history.recording.frames[-1]["dead_units"]
    expected = []  # by the engine, neuron by neuron
    for layer_index, layer in enumerate(model.layers[:-1]):
        for j in range(len(layer.neurons)):

            def out_of(x, j=j, layer_index=layer_index, layer=layer):
                for earlier in model.layers[:layer_index]:
                    x = earlier(x)
                return layer.neurons[j](x).data

            if all(out_of(x) <= 0.0 for x in X):
                expected.append([layer_index, j])
    assert dead == expected and history.recording.frames[-1]["dead"] == len(expected)


def test_pause_step_epoch_and_stop_act_through_the_buttons_messages(monkeypatch):
    # 8 samples in 4 batches an epoch. Clicks: pause at once; while paused, one step (batch 0 of
    # epoch 0), then "epoch" (batches 1-3), then stop at the start of epoch 1.
    clicks = {1: "pause", 3: "step", 6: "epoch", 12: "stop"}
    widget = _scripted(monkeypatch, lambda n, w: w.click(clicks[n]) if n in clicks else None)
    X, y = nn.datasets.xor()
    X, y = X * 2, y * 2
    model = _xor_model()
    history = nn.fit(
        model, X, y, loss="bce_with_logits", epochs=50, batch_size=2, shuffle=False, live=True, progress=False
    )
    assert history.stopped_by == "stopped" and history.epochs == 1
    reference = _xor_model()
    reference_history = nn.fit(
        reference, X, y, loss="bce_with_logits", epochs=1, batch_size=2, shuffle=False, progress=False
    )
    assert history.loss == reference_history.loss
    assert [p.data for p in model.parameters()] == [p.data for p in reference.parameters()]
    states = [u["status"]["state"] for u in widget.updates]
    assert "paused" in states and states[-1] == "stopped"
    paused = [u for u in widget.updates if u["status"]["state"] == "paused" and u["series"]["epoch"]]
    assert paused and all(
        u["frame"]["epoch"] == u["series"]["epoch"][-1] for u in paused
    )  # it pauses on the model as it is


def test_stop_in_the_middle_of_an_epoch_keeps_the_steps_taken_and_records_the_partial_epoch(monkeypatch):
    clicks = {1: "pause", 2: "step", 4: "step", 6: "stop"}
    _scripted(monkeypatch, lambda n, w: w.click(clicks[n]) if n in clicks else None)
    X, y = nn.datasets.xor()
    model = _xor_model()
    history = nn.fit(
        model, X, y, loss="bce_with_logits", epochs=5, batch_size=1, shuffle=False, live=True, progress=False
    )
    assert history.stopped_by == "stopped" and history.epochs == 1
    reference = _xor_model()
    optimizer = nn.SGD(reference.parameters(), lr=0.1)
    losses = []
    for x, t in list(zip(X, y))[:2]:  # exactly two steps, by hand
        optimizer.zero_grad()
        losses.append(nn.loss_and_gradients(reference, nn.bce_with_logits_loss, [x], [t], reference.parameters()))
        optimizer.step()
    assert [p.data for p in model.parameters()] == [p.data for p in reference.parameters()]
    assert history.loss == [pytest.approx(sum(losses) / 2, rel=1e-12)]


def test_the_speed_control_clamps_its_delay_and_ignores_nonsense():
    c = Controls()
    for message, delay in [
        ({"control": "speed", "delay": 0.2}, 0.2),
        ({"control": "speed", "delay": 99}, 5.0),
        ({"control": "speed", "delay": float("nan")}, 5.0),
        ({"control": "speed", "delay": -1}, 0.0),
        ("junk", 0.0),
        ({"control": "launch"}, 0.0),
    ]:
        c.handle(message)
        assert c.delay == delay and c.state == "running"


def test_a_diverging_run_shows_its_error_in_the_view_and_raises_in_the_cell(monkeypatch):
    widget = _scripted(monkeypatch, lambda n, w: None)
    X, y = nn.datasets.xor()
    model = nn.MLP(2, [4, 1], activation="relu", seed=0)
    with pytest.raises(FloatingPointError, match="fit: "):
        nn.fit(model, X, [1e300 * t for t in y], loss="mse", lr=1e10, epochs=50, live=True, progress=False)
    status = widget.updates[-1]["status"]
    assert status["state"] == "error" and status["message"].startswith("FloatingPointError: fit:")


def test_outside_jupyter_live_warns_shows_the_progress_bar_and_still_records(capsys):
    X, y = nn.datasets.xor()
    with pytest.warns(UserWarning, match="no Jupyter kernel here"):
        history = nn.fit(_xor_model(), X, y, loss="bce_with_logits", epochs=4, live=True)
    assert "fit: 100%" in capsys.readouterr().err  # tqdm's bar
    assert len(history.recording.frames) == 4


def test_live_works_on_the_compiled_path_with_the_same_numbers():
    X, labels = nn.datasets.make_moons(30, noise=0.1, seed=0)
    y = nn.datasets.to_signed(labels)
    plain = _quiet_fit(nn.MLP(2, [6, 1], seed=0), X, y, loss="hinge", epochs=6, compiled=True)
    live = _quiet_fit(nn.MLP(2, [6, 1], seed=0), X, y, loss="hinge", epochs=6, compiled=True, live=True)
    assert live.loss == pytest.approx(plain.loss, rel=1e-12) and len(live.recording.frames) == 6
    assert all(n is not None and n > 0 for norms in live.recording.series["grad_norm"] for n in norms)


def test_a_model_that_is_not_an_mlp_gets_curves_and_norms_per_attribute():
    class Affine(nn.Module):
        def __init__(self):
            self.scale, self.shift = (
                nn.Neuron(1, activation="linear", seed=0),
                nn.Neuron(1, activation="linear", seed=1),
            )

        def forward(self, x):
            return self.shift([self.scale(x)])

    X, y = [[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0]
    history = _quiet_fit(Affine(), X, y, loss="mse", epochs=3, live=True)
    assert history.recording.meta["groups"] == ["scale", "shift"] and history.recording.meta["sizes"] is None
    assert history.recording.frames[-1]["layers"] == [] and len(history.recording.series["grad_norm"][0]) == 2


def test_a_history_with_its_recording_copies_and_pickles():
    X, y = nn.datasets.xor()
    history = _quiet_fit(_xor_model(), X, y, loss="bce_with_logits", epochs=3, live=True)
    for other in (copy.deepcopy(history), pickle.loads(pickle.dumps(history))):
        assert other.loss == history.loss and other.recording.frames == history.recording.frames


def test_save_html_without_a_recording_says_how_to_get_one(tmp_path):
    X, y = nn.datasets.xor()
    history = _quiet_fit(_xor_model(), X, y, loss="bce_with_logits", epochs=2)
    with pytest.raises(ValueError, match=r"History.to_html: .*live=True"):
        history.save_html(tmp_path / "run.html")
    assert not (tmp_path / "run.html").exists()


def test_save_html_onto_a_directory_names_save_html_and_a_strange_title_still_writes(tmp_path):
    X, y = nn.datasets.xor()
    history = _quiet_fit(_xor_model(), X, y, loss="bce_with_logits", epochs=2, live=True)
    with pytest.raises(IsADirectoryError, match="History.save_html"):
        history.save_html(tmp_path)
    page = history.save_html(tmp_path / "run.html", title="run \udc80 </script><!--")
    text = open(page, encoding="utf-8").read()
    assert (
        "</script><!--" not in text.split("<body>")[1].split('<script type="application/json"')[1].split("</script>")[0]
    )
