"""Optimizers' public state: `state_dict()` / `load_state_dict()` in PyTorch's layout.

Oracles: hand-derived numbers of PyTorch's formulas, and training that continues from a loaded
state exactly as the original optimizer continues (bit for bit).
"""

import json
import math

import pytest

import nn
from autograd import Value


def quadratic_steps(optimizer, params, steps):
    """`steps` updates on the loss sum_i (i + 1) p_i^2 (gradient 2 (i + 1) p_i)."""
    for _ in range(steps):
        optimizer.zero_grad()
        sum((i + 1) * p * p for i, p in enumerate(params)).backward()
        optimizer.step()


def test_sgd_state_is_the_momentum_buffer_by_pytorchs_name():
    w = Value(1.0)
    opt = nn.SGD([w], lr=0.1, momentum=0.9)
    quadratic_steps(opt, [w], 2)  # gradients 2.0, then 2 * 0.8 = 1.6: buffer 0.9 * 2 + 1.6
    state = opt.state_dict()
    assert state["state"] == {0: {"momentum_buffer": 3.4000000000000004}}
    assert state["param_groups"] == [{"lr": 0.1, "momentum": 0.9, "weight_decay": 0.0, "params": [0]}]
    assert state["steps"] == 2


def test_adam_state_is_step_and_both_moments():
    w, unused = Value(1.0), Value(5.0)
    opt = nn.Adam([w, unused], lr=0.1, betas=(0.8, 0.9))
    for _ in range(2):
        opt.zero_grad()
        (w * w).backward()
        opt.step()
    g1 = 2.0
    w1 = 1.0 - 0.1 * g1 / (abs(g1) + 1e-8)  # the first step moves by about lr
    g2 = 2.0 * w1
    m = 0.8 * (0.2 * g1) + 0.2 * g2
    v = 0.9 * (0.1 * g1 * g1) + 0.1 * g2 * g2
    state = opt.state_dict()
    assert list(state["state"]) == [0]  # the parameter no backward reached has no state, as in PyTorch
    entry = state["state"][0]
    assert entry["step"] == 2
    assert entry["exp_avg"] == pytest.approx(m, rel=1e-15) and entry["exp_avg_sq"] == pytest.approx(v, rel=1e-15)
    assert state["param_groups"][0] == {"lr": 0.1, "betas": (0.8, 0.9), "eps": 1e-8, "weight_decay": 0.0, "params": [0, 1]}


@pytest.mark.parametrize("make", [
    lambda ps: nn.SGD(ps, lr=0.05, momentum=0.7, weight_decay=0.01),
    lambda ps: nn.Adam(ps, lr=0.05, betas=(0.85, 0.95), eps=1e-7, weight_decay=0.02),
], ids=["sgd", "adam"])
def test_a_loaded_state_continues_training_exactly(make):
    params = [Value(x) for x in (1.0, -0.5, 2.0)]
    opt = make(params)
    quadratic_steps(opt, params, 3)
    saved = json.loads(json.dumps(opt.state_dict()))  # through JSON: indices become strings
    copies = [Value(p.data) for p in params]
    fresh = make(copies)
    fresh.lr = 1.0  # overwritten by the loaded state
    fresh.load_state_dict(saved)
    quadratic_steps(opt, params, 4)
    quadratic_steps(fresh, copies, 4)
    assert [p.data for p in copies] == [p.data for p in params]
    assert fresh.state_dict()["steps"] == opt.state_dict()["steps"] == 7


def test_the_state_dict_is_a_copy():
    w = Value(1.0)
    opt = nn.SGD([w], lr=0.1, momentum=0.9)
    quadratic_steps(opt, [w], 1)
    state = opt.state_dict()
    state["state"][0]["momentum_buffer"] = 100.0
    state["param_groups"][0]["lr"] = 3.0
    assert opt.state_dict()["state"][0]["momentum_buffer"] == 2.0 and opt.lr == 0.1


def adam_state():
    w = Value(1.0)
    opt = nn.Adam([w], lr=0.1)
    quadratic_steps(opt, [w], 1)
    return opt.state_dict()


def edited(change):
    state = adam_state()
    change(state)
    return state


@pytest.mark.parametrize("state, error, message", [
    (None, TypeError, "expected a dict with 'state' and 'param_groups'"),
    (edited(lambda s: s["param_groups"][0].update(lr=math.nan)), ValueError, "lr"),
    (edited(lambda s: s["param_groups"][0].update(betas=(0.9, 1.5))), ValueError, r"betas\[1\]"),
    (edited(lambda s: s["param_groups"][0].pop("eps")), ValueError, "must have the keys"),
    (edited(lambda s: s["param_groups"][0].update(params=[0, 1])), ValueError, "this optimizer has 1"),
    (edited(lambda s: s["param_groups"].append({})), ValueError, "a list of one dict"),
    (edited(lambda s: s["state"].update({3: s["state"][0]})), ValueError, "parameter 3"),
    (edited(lambda s: s["state"][0].update(step=1.5)), TypeError, r"state\[0\]\['step'\]"),
    (edited(lambda s: s["state"][0].update(exp_avg_sq=-1.0)), ValueError, r"state\[0\]\['exp_avg_sq'\]"),
    (edited(lambda s: s["state"][0].update(exp_avg=math.inf)), ValueError, r"state\[0\]\['exp_avg'\]"),
    (edited(lambda s: s["state"][0].pop("exp_avg")), ValueError, "must have the keys"),
    (edited(lambda s: s.update(steps=-1)), ValueError, "steps"),
])
def test_a_bad_state_is_refused_naming_the_entry_and_changes_nothing(state, error, message):
    w = Value(1.0)
    opt = nn.Adam([w], lr=0.3)
    quadratic_steps(opt, [w], 2)
    before = opt.state_dict()
    with pytest.raises(error, match=message) as info:
        opt.load_state_dict(state)
    assert "Adam.load_state_dict" in str(info.value)
    assert opt.state_dict() == before


def test_an_sgd_state_does_not_load_into_adam():
    w = Value(1.0)
    sgd = nn.SGD([w], lr=0.1, momentum=0.9)
    quadratic_steps(sgd, [w], 1)
    with pytest.raises(ValueError, match="must have the keys"):
        nn.Adam([w]).load_state_dict(sgd.state_dict())
