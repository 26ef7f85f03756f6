"""nn losses (hand computations and finite differences) and optimizers (hand-derived updates)."""

import math

import pytest

import autograd
import nn
from autograd import Value


def finite_difference(loss_of, values, index, eps=1e-6):
    """Central difference of loss_of(floats) with respect to values[index]."""
    up = list(values)
    down = list(values)
    up[index] += eps
    down[index] -= eps
    return (loss_of(up) - loss_of(down)) / (2 * eps)


def check_gradients(make_loss, data):
    """Analytic gradients of make_loss([Values]) agree with central differences."""
    values = [Value(x) for x in data]
    make_loss(values).backward()
    for i, v in enumerate(values):
        numeric = finite_difference(lambda xs: make_loss([Value(x) for x in xs]).data, data, i)
        assert v.grad == pytest.approx(numeric, rel=1e-5, abs=1e-7), f"input {i}"


# -- loss values -------------------------------------------------------------------------------


def test_mse_reductions_against_hand_computation():
    preds = [Value(0.5), Value(2.0), Value(-1.0)]
    targets = [1.0, 1.0, 1.0]  # squared errors 0.25, 1, 4
    assert nn.mse_loss(preds, targets).data == pytest.approx(5.25 / 3)
    assert nn.mse_loss(preds, targets, reduction="sum").data == 5.25
    assert nn.mse_loss(preds, targets, reduction="half_sum").data == 2.625


def test_mse_half_sum_gradient_is_output_minus_target():
    o = Value(0.75)
    nn.mse_loss(o, 0.01, reduction="half_sum").backward()
    assert o.grad == pytest.approx(0.74)


def test_mse_accepts_lists_of_lists_for_several_outputs():
    loss = nn.mse_loss([[Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)]], [[1.0, 1.0], [1.0, 1.0]])
    assert loss.data == pytest.approx((0 + 1 + 4 + 9) / 4)


def test_bce_against_hand_computation_and_finite_differences():
    assert nn.bce_loss([Value(0.9), Value(0.2)], [1, 0]).data == pytest.approx(-(math.log(0.9) + math.log(0.8)) / 2)
    assert nn.bce_loss([Value(0.3)], [0.25]).data == pytest.approx(-(0.25 * math.log(0.3) + 0.75 * math.log(0.7)))
    check_gradients(lambda ps: nn.bce_loss(ps, [1, 0, 0.5]), [0.7, 0.4, 0.2])


def test_bce_at_exact_zero_or_one_is_clamped_not_an_error():
    assert nn.bce_loss([Value(0.0)], [1]).data == 100.0
    assert nn.bce_loss([Value(1.0)], [1]).data == 0.0


def test_bce_with_logits_matches_bce_of_sigmoid_and_differences():
    z = [0.3, -1.2, 2.5]
    t = [1, 0, 1]
    probs = [1 / (1 + math.exp(-x)) for x in z]
    assert nn.bce_with_logits_loss([Value(x) for x in z], t).data == pytest.approx(nn.bce_loss([Value(p) for p in probs], t).data, rel=1e-12)
    check_gradients(lambda zs: nn.bce_with_logits_loss(zs, t), z)


@pytest.mark.parametrize("logit, target, loss, grad", [(1000.0, 1, 0.0, 0.0), (1000.0, 0, 1000.0, 1.0), (-1000.0, 0, 0.0, 0.0), (-1000.0, 1, 1000.0, -1.0)])
def test_bce_with_logits_is_stable_at_plus_minus_1000(logit, target, loss, grad):
    z = Value(logit)
    out = nn.bce_with_logits_loss([z], [target])
    out.backward()
    assert out.data == loss and z.grad == grad


@pytest.mark.parametrize("logit", [20.0, 40.0, 100.0, 700.0])
@pytest.mark.parametrize("target", [0, 1])
def test_bce_with_logits_keeps_every_digit_of_a_confident_correct_prediction(logit, target):
    # Correct and confident: z far on the target's side. The loss is log(1 + e**-|z|) and the
    # gradient -+ sigmoid(-|z|) = -+ 1 / (1 + e**|z|), both tiny (4.2e-18 at |z| = 40): no
    # cancellation against |z| or against 1 may eat them (softplus(z) - z gave 0 at z = 40).
    z = Value(logit if target == 1 else -logit)
    out = nn.bce_with_logits_loss([z], [target])
    out.backward()
    tiny = math.log1p(math.exp(-logit))
    assert out.data == pytest.approx(tiny, rel=1e-15) and out.data > 0.0
    sign = -1.0 if target == 1 else 1.0
    assert z.grad == pytest.approx(sign / (1.0 + math.exp(logit)), rel=1e-15) and z.grad != 0.0


def test_bce_with_logits_at_z_40_is_the_true_4_2e_minus_18_in_every_path():
    # The scalar engine, second order (create_graph) and a compiled tape give the same digits.
    expected = 4.248354255291589e-18  # log1p(exp(-40)) = e**-40 (1 - e**-40 / 2 ...)
    z = Value(40.0)
    loss = nn.bce_with_logits_loss([z], [1])
    [g] = autograd.grad(loss, [z], create_graph=True)
    [h] = autograd.grad(g, [z])
    assert loss.data == pytest.approx(expected, rel=1e-15)
    assert g.data == pytest.approx(-expected, rel=1e-12)  # -sigmoid(-40)
    assert h == pytest.approx(expected, rel=1e-12)  # sigmoid(40) sigmoid(-40)
    tape = autograd.trace(lambda zz, t: nn.losses.logistic(zz, t), [0.0, 1.0])
    [out] = tape.forward([[40.0, 1.0], [-20.0, 0.0]])
    assert list(out) == [pytest.approx(expected, rel=1e-15), pytest.approx(math.log1p(math.exp(-20.0)), rel=1e-15)]


def test_hinge_is_micrograds_max_margin():
    scores = [Value(2.0), Value(0.25), Value(-0.5), Value(0.5)]
    targets = [1, 1, -1, -1]  # margins 0, 0.75, 0.5, 1.5
    loss = nn.hinge_loss(scores, targets)
    assert loss.data == pytest.approx(2.75 / 4)
    loss.backward()
    assert [s.grad for s in scores] == [0.0, -0.25, 0.25, 0.25]


def test_cross_entropy_against_hand_computation_and_differences():
    logits = [1.0, 2.0, 0.5]
    expected = math.log(sum(math.exp(z) for z in logits)) - logits[0]
    assert nn.cross_entropy_loss([Value(z) for z in logits], 0).data == pytest.approx(expected, rel=1e-14)
    check_gradients(lambda zs: nn.cross_entropy_loss(zs, 1), logits)
    values = [Value(z) for z in logits]
    nn.cross_entropy_loss(values, 2).backward()
    softmax = [math.exp(z) / sum(math.exp(w) for w in logits) for z in logits]
    assert [v.grad for v in values] == pytest.approx([softmax[0], softmax[1], softmax[2] - 1])


def test_cross_entropy_batch_is_the_mean_and_stable_for_large_logits():
    batch = nn.cross_entropy_loss([[Value(1000.0), Value(0.0)], [Value(0.0), Value(0.0)]], [1, 0])
    assert batch.data == pytest.approx((1000.0 + math.log(2)) / 2)


def test_l2_regularization_value_and_gradient():
    params = [Value(1.0), Value(-2.0)]
    reg = nn.l2_regularization(params, 1e-1)
    assert reg.data == pytest.approx(0.5)
    reg.backward()
    assert [p.grad for p in params] == pytest.approx([0.2, -0.4])


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: nn.mse_loss([Value(1.0), Value(2.0)], [1.0]), ValueError, r"mse_loss: 2 predictions but 1 targets"),
        (lambda: nn.mse_loss([Value(1.0)], [1.0], reduction="avg"), ValueError, "mse_loss: reduction must be"),
        (lambda: nn.mse_loss([], []), ValueError, "mse_loss: no predictions"),
        (lambda: nn.hinge_loss([Value(1.0), Value(1.0)], [1, 0]), ValueError, r"hinge_loss: targets must be -1 or \+1, got target\[1\] = 0.0.*to_signed"),
        (lambda: nn.bce_loss([Value(1.5)], [1]), ValueError, r"bce_loss: probabilities must lie in \[0, 1\], got probs\[0\] = 1.5"),
        (lambda: nn.bce_loss([Value(0.5)], [2]), ValueError, r"bce_loss: targets must lie in \[0, 1\], got target\[0\] = 2.0"),
        (lambda: nn.bce_with_logits_loss([Value(0.5)], [-1]), ValueError, r"bce_with_logits_loss: targets must lie in \[0, 1\]"),
        (lambda: nn.cross_entropy_loss([Value(1.0), Value(2.0)], 2), ValueError, r"cross_entropy_loss: target must be a class index in 0..1, got 2"),
        (lambda: nn.cross_entropy_loss([[1.0, 2.0]], [0, 1]), ValueError, "1 samples of logits but 2 targets"),
        (lambda: nn.l2_regularization([Value(1.0)], -1.0), ValueError, "l2_regularization: alpha must be a finite number >= 0, got -1.0"),
        (lambda: nn.mse_loss([Value(1.0)], ["a"]), TypeError, r"mse_loss: target\[0\] must be a number, got str"),
    ],
)
def test_bad_loss_input_names_the_function_and_value(call, error, message):
    with pytest.raises(error, match=message):
        call()


# -- optimizers ---------------------------------------------------------------------------------


def quadratic_step(optimizer, w, coefficient=1.0):
    """One step on the loss coefficient * w^2 (gradient 2 * coefficient * w)."""
    optimizer.zero_grad()
    (coefficient * w * w).backward()
    optimizer.step()


def test_sgd_plain_step():
    w = Value(3.0)
    quadratic_step(nn.SGD([w], lr=0.1), w)
    assert w.data == pytest.approx(3.0 - 0.1 * 6.0)


def test_sgd_momentum_against_hand_derivation():
    w = Value(1.0)
    opt = nn.SGD([w], lr=0.1, momentum=0.9)
    quadratic_step(opt, w)  # g = 2, buf = 2, w = 0.8
    assert w.data == pytest.approx(0.8)
    quadratic_step(opt, w)  # g = 1.6, buf = 0.9 * 2 + 1.6 = 3.4, w = 0.46
    assert w.data == pytest.approx(0.46)
    quadratic_step(opt, w)  # g = 0.92, buf = 0.9 * 3.4 + 0.92 = 3.98, w = 0.062
    assert w.data == pytest.approx(0.062)


def test_sgd_weight_decay_adds_decay_times_parameter_to_the_gradient():
    w = Value(2.0)
    quadratic_step(nn.SGD([w], lr=0.1, weight_decay=0.5), w)  # g = 4 + 0.5 * 2 = 5
    assert w.data == pytest.approx(1.5)


def test_adam_first_two_steps_against_the_formulas():
    w = Value(1.0)
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    opt = nn.Adam([w], lr=lr, betas=(b1, b2), eps=eps)
    m = v = 0.0
    expected = 1.0
    for t in (1, 2):
        g = 2 * expected
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        expected -= lr * (m / (1 - b1**t)) / (math.sqrt(v / (1 - b2**t)) + eps)
        quadratic_step(opt, w)
        assert w.data == pytest.approx(expected, rel=1e-14)
    assert expected == pytest.approx(0.98, abs=1e-5)  # Adam's first steps move by about lr each


def test_adam_weight_decay_enters_the_gradient():
    w = Value(1.0)
    opt = nn.Adam([w], lr=0.1, weight_decay=1.0)
    opt.zero_grad()
    (w * 0.0).backward()  # zero loss gradient: only the decay term g = 1.0 * w
    opt.step()
    assert w.data == pytest.approx(0.9, abs=1e-7)


def test_parameters_without_gradient_are_skipped_like_pytorch():
    used, unused = Value(1.0), Value(1.0)
    opt = nn.SGD([used, unused], lr=0.1, weight_decay=1.0)
    opt.zero_grad()
    (used * 2).backward()
    opt.step()
    assert used.data == pytest.approx(1.0 - 0.1 * (2 + 1)) and unused.data == 1.0


def test_repeated_parameters_are_updated_once():
    w = Value(1.0)
    opt = nn.SGD([w, w], lr=0.1)
    quadratic_step(opt, w)
    assert len(opt.params) == 1 and w.data == pytest.approx(0.8)


def test_linear_decay_schedule():
    opt = nn.SGD([Value(0.0)], lr=5.0)
    schedule = nn.LinearDecay(opt, 1.0, 0.1, 4)
    seen = [opt.lr]
    for _ in range(6):
        schedule.step()
        seen.append(opt.lr)
    assert seen == pytest.approx([1.0, 0.775, 0.55, 0.325, 0.1, 0.1, 0.1])


def test_lambda_schedule_value_is_validated():
    opt = nn.SGD([Value(0.0)], lr=1.0)
    schedule = nn.LambdaLR(opt, lambda step: 1.0 - step)
    schedule.step()
    assert opt.lr == 0.0
    with pytest.raises(ValueError, match="LambdaLR: lr at step 2 must be a finite number >= 0, got -1.0"):
        schedule.step()


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: nn.SGD([], lr=0.1), "SGD: got an empty parameter list"),
        (lambda: nn.SGD([Value(1.0)], lr=-0.1), r"SGD: lr must be a finite number >= 0, got -0.1"),
        (lambda: nn.SGD([Value(1.0)], lr=float("nan")), "SGD: lr must be a finite number, got nan"),
        (lambda: nn.SGD([Value(1.0)], lr=0.1, momentum=1.0), r"SGD: momentum must lie in \[0, 1\), got 1.0"),
        (lambda: nn.SGD([1.0], lr=0.1), r"SGD: params\[0\] must be a Value, got float"),
        (lambda: nn.Adam([Value(1.0)], betas=(0.9,)), "Adam: betas must be a pair"),
        (lambda: nn.Adam([Value(1.0)], betas=(0.9, 1.5)), r"Adam: betas\[1\] must lie in \[0, 1\)"),
    ],
)
def test_bad_optimizer_arguments(build, message):
    with pytest.raises((ValueError, TypeError), match=message):
        build()


def test_optimizer_zero_grad_and_module_parameters_cooperate():
    model = nn.MLP(2, [3, 1], seed=0)
    opt = nn.SGD(model.parameters(), lr=0.1)
    model([1.0, 1.0]).backward()
    opt.zero_grad()
    assert not any(p.has_grad for p in model.parameters())
    # the optimizer works on the very Values the model uses: a step changes the model's output
    before = model([1.0, 1.0]).data
    model([1.0, 1.0]).backward()
    opt.step()
    assert model([1.0, 1.0]).data != before
