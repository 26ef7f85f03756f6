"""nn.fit(compiled=...): the traced numpy batch path gives the scalar path's numbers."""

import pytest

import autograd
import nn
from autograd import Value

pytest.importorskip("numpy")  # a test extra; the compiled path's one dependency

MOONS = nn.datasets.make_moons(40, noise=0.1, seed=1)


def train(compiled, loss, targets, *, activation="relu", optimizer="adam", **options):
    model = nn.MLP(2, [6, 5, 1], activation=activation, seed=2)
    opt = nn.Adam(model.parameters(), lr=0.03) if optimizer == "adam" else nn.SGD(model.parameters(), lr=0.01, momentum=0.9)
    history = nn.fit(model, MOONS[0], targets, loss=loss, optimizer=opt, epochs=15, progress=False,
                     compiled=compiled, **options)
    return history, model.state_dict()


@pytest.mark.parametrize(
    "loss, targets, options",
    [
        ("hinge", nn.datasets.to_signed(MOONS[1]), {"l2": 1e-3}),
        ("mse", MOONS[1], {"batch_size": 7}),
        ("half_sse", MOONS[1], {"batch_size": 10, "optimizer": "sgd", "activation": "tanh"}),
        ("bce_with_logits", MOONS[1], {"batch_size": 16, "seed": 5}),
    ],
)
def test_compiled_fit_matches_the_scalar_path(loss, targets, options):
    scalar_history, scalar_state = train(False, loss, targets, **options)
    compiled_history, compiled_state = train(True, loss, targets, **options)
    assert compiled_history.loss == pytest.approx(scalar_history.loss, rel=1e-12, abs=1e-12)
    assert compiled_history.accuracy == scalar_history.accuracy
    assert compiled_history.stopped_by == scalar_history.stopped_by
    for name, value in scalar_state.items():
        assert compiled_state[name] == pytest.approx(value, rel=1e-10, abs=1e-12), name
    assert scalar_history.loss[-1] < scalar_history.loss[0]  # it really trained


@pytest.mark.parametrize(
    "loss, targets, reason",
    [
        ("cross_entropy", [0, 1], "loss 'cross_entropy' is not one of"),
        ("bce", [0, 1], "loss 'bce' is not one of"),
        (lambda preds, targets: autograd.sum(preds), [0, 1], "a custom loss callable"),
    ],
)
def test_compiled_true_says_why_it_cannot_be_used(loss, targets, reason):
    model = nn.MLP(2, [3, 2 if loss == "cross_entropy" else 1], seed=0)
    with pytest.raises(ValueError, match=rf"fit\(compiled=True\): {reason}"):
        nn.fit(model, [[0.0, 1.0], [1.0, 0.0]], targets, loss=loss, epochs=1, progress=False, compiled=True)


def test_compiled_path_still_validates_targets():
    model = nn.MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match="hinge_loss: targets must be -1 or \\+1"):
        nn.fit(model, [[0.0, 1.0], [1.0, 0.0]], [0, 1], loss="hinge", epochs=1, progress=False, compiled=True)


class Branchy(nn.Module):
    """A model whose forward branches on a value: the trace of one sample is not every sample's."""

    def __init__(self):
        self.w = Value(0.5)
        self.v = Value(-0.25)

    def forward(self, x):
        return self.w * x[0] if x[0] > 0 else self.v * x[0]


BRANCHY_X = [[1.0, 0.0], [-2.0, 0.0], [3.0, 0.0], [-0.5, 0.0]]
BRANCHY_Y = [1.0, 0.5, 2.0, 0.0]


def test_a_value_dependent_branch_is_an_error_not_a_wrong_number():
    with pytest.raises(autograd.TraceError, match="was True when traced but is False"):
        nn.fit(Branchy(), BRANCHY_X, BRANCHY_Y, loss="mse", epochs=2, progress=False, compiled=True)


def test_auto_falls_back_to_the_scalar_path_after_a_trace_error():
    scalar_model, auto_model = Branchy(), Branchy()
    scalar = nn.fit(scalar_model, BRANCHY_X, BRANCHY_Y, loss="mse", epochs=5, progress=False, shuffle=False)
    auto = nn.fit(auto_model, BRANCHY_X, BRANCHY_Y, loss="mse", epochs=5, progress=False, shuffle=False, compiled="auto")
    assert auto.loss == scalar.loss
    assert auto_model.state_dict() == scalar_model.state_dict()


def test_bad_compiled_option():
    with pytest.raises(ValueError, match="compiled must be True, False or 'auto', got 'yes'"):
        nn.fit(nn.MLP(2, [1], seed=0), [[0.0, 1.0]], [1], loss="hinge", epochs=1, progress=False, compiled="yes")
