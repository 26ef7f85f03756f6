"""Issue 17: no silent wrong numbers. One test per finding of the audit (and per other member of
each class of bug found while fixing it); each failed before its fix."""

import asyncio
import copy
import math
import pickle
import threading

import numpy as np
import pytest

import autograd
import nn
from autograd import Value, grad, no_grad

NAN, INF = math.nan, math.inf


# -- 1. NaN propagates through every op -----------------------------------------------------------


@pytest.mark.parametrize("method", ["relu", "abs", "leaky_relu"])
def test_nan_propagates_through_kinked_ops_and_their_gradients(method):
    x = Value(NAN)
    y = getattr(x, method)() if method != "abs" else abs(x)
    y.backward()
    assert math.isnan(y.data) and math.isnan(x.grad)


def test_nan_slope_gradient_of_leaky_relu():
    x, slope = Value(NAN), Value(0.1)
    x.leaky_relu(slope).backward()
    assert math.isnan(slope.grad)


def test_kink_derivatives_are_pytorchs():
    # relu'(0) = 0, abs'(0) = 0, leaky_relu'(0) = slope (torch.nn.functional.leaky_relu at 0)
    for f, expected in ((lambda v: v.relu(), 0.0), (abs, 0.0), (lambda v: v.leaky_relu(0.1), 0.1)):
        x = Value(0.0)
        f(x).backward()
        assert x.grad == expected


def test_nan_through_hinge_loss_and_mlp():
    assert math.isnan(nn.hinge_loss([Value(NAN)], [1]).data)
    model = nn.MLP(2, [4, 1], seed=0)
    assert math.isnan(model([NAN, 0.0]).data)


def test_nan_propagates_on_the_tape_too():
    tape = autograd.trace(lambda x: x.relu() + abs(x) + x.leaky_relu(0.1), [1.0])
    [out] = tape.forward([[NAN], [2.0]])
    assert math.isnan(out[0]) and out[1] == 6.0


def test_fit_stops_on_a_nan_sample_naming_epoch_and_sample():
    model = nn.MLP(2, [3, 1], seed=0)
    X = [[0.0, 1.0], [1.0, 0.0], [NAN, 0.0]]
    with pytest.raises(FloatingPointError, match=r"epoch 0.*sample 2"):
        nn.fit(model, X, [1, -1, 1], loss="hinge", epochs=3)


def test_fit_stops_on_a_nonfinite_gradient():
    # A loss that is finite while its gradient is not (sqrt at 0): fit must not step with it.
    class Root(nn.Module):
        def __init__(self):
            self.w = Value(0.0)

        def forward(self, x):
            return (self.w * x[0]).sqrt()

        def config(self):
            return {}

    model = Root()
    with pytest.raises(FloatingPointError, match=r"epoch 0.*backward of sqrt\(0.0\)") as info:
        nn.fit(model, [[1.0]], [0.0], loss="mse", epochs=2)
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert model.w.data == 0.0  # no step was taken


def test_fit_cross_entropy_on_one_output_says_so():
    with pytest.raises(ValueError, match="one output per class.*bce_with_logits"):
        nn.fit(nn.MLP(2, [3, 1], seed=0), [[0.0, 1.0], [1.0, 0.0]], [0, 1], loss="cross_entropy", epochs=1)


def test_predict_refuses_a_nan_output():
    neuron = nn.Neuron(1, activation="linear")
    neuron.load_state_dict({"w.0": 1.0, "b": 0.0})
    with pytest.raises(ValueError, match="nan"):
        nn.predict(neuron, [[NAN]])


# -- 2. the tape freezes nothing it should replay --------------------------------------------------


def test_no_grad_inside_a_traced_function_is_replayed():
    def f(x):
        with no_grad():
            s = x * 2
        return x * s

    tape = autograd.trace(f, [1.0])
    [out] = tape.forward([[3.0], [4.0]])
    assert out.tolist() == [18.0, 32.0]


def test_softmax_and_logsumexp_shift_is_replayed_per_sample():
    tape = autograd.trace(lambda a, b: [autograd.logsumexp([a, b]), autograd.softmax([a, b])[0]], [0.0, 0.0])
    lse, p0 = tape.forward([[1000.0, 1000.0], [-1000.0, -1000.0], [0.0, -800.0]])
    assert lse.tolist() == pytest.approx([1000.0 + math.log(2), -1000.0 + math.log(2), 0.0], rel=1e-15)
    assert p0.tolist() == pytest.approx([0.5, 0.5, 1.0], rel=1e-15)
    grads = tape.backward([1.0, 0.0])
    assert grads == []  # no params; and no -inf anywhere
    assert np.isfinite(tape._gradients).all()


def test_cross_entropy_on_a_tape_far_from_the_traced_point():
    w = Value(1.0)
    tape = autograd.trace(lambda a, b: nn.cross_entropy_loss([w * a, w * b], 0), [0.0, 0.0], params=[w])
    [loss] = tape.forward([[1000.0, 0.0], [0.0, 1000.0]])
    assert loss.tolist() == pytest.approx([0.0, 1000.0], abs=1e-12)
    [dw] = tape.backward()
    assert dw == pytest.approx(1000.0)  # d/dw log(1 + e^(1000 w)) = 1000 at the second sample; ~0 at the first


def test_tape_backward_error_is_the_scalar_engines_naming_the_sample():
    w = Value(1.0)
    tape = autograd.trace(lambda x: (w * x).sqrt(), [1.0], params=[w])
    tape.forward([[1.0], [0.0]])
    with pytest.raises(ZeroDivisionError, match=r"backward of sqrt\(0.0\).*sample 1"):
        tape.backward()
    with pytest.raises(ZeroDivisionError, match=r"backward of sqrt\(0.0\)"):
        (w * 0.0).sqrt().backward()


def test_tape_backward_overflow_is_an_error_naming_the_sample():
    w = Value(1.0)
    tape = autograd.trace(lambda x: 1 / (w * x), [1.0], params=[w])
    tape.forward([[1.0], [1e-200]])
    with pytest.raises(OverflowError, match=r"backward of div.*sample 1"):
        tape.backward()


def test_tape_keeps_nan_data_without_an_error():
    w = Value(2.0)
    tape = autograd.trace(lambda x: w * x, [1.0], params=[w])
    tape.forward([[NAN], [1.0]])
    [dw] = tape.backward(accumulate=False)
    assert math.isnan(dw)


def test_tape_forward_reads_rows_as_samples_for_every_input_type():
    tape = autograd.trace(lambda a, b: a - 10 * b, [0.0, 0.0])
    expected = [1.0 - 20.0, 3.0 - 40.0]
    assert tape.forward([[1, 2], [3, 4]])[0].tolist() == expected
    assert tape.forward(np.array([[1, 2], [3, 4]]))[0].tolist() == expected
    assert tape.forward(((1, 2), (3, 4)))[0].tolist() == expected
    assert tape.forward([1, 2])[0].tolist() == [-19.0]  # one sample
    with pytest.raises(ValueError, match=r"shape \(batch, 2\).*X.T"):
        tape.forward(np.array([[1, 2, 3], [4, 5, 6]]))
    one = autograd.trace(lambda x: 2 * x, [0.0])
    assert one.forward([1, 2, 3])[0].tolist() == one.forward(np.array([1, 2, 3]))[0].tolist() == [2.0, 4.0, 6.0]


def test_traced_function_calling_grad_with_create_graph_replays():
    def f(x):
        [d] = grad(x.relu() * x + abs(x) * 3 + x.leaky_relu(0.5), [x], create_graph=True)
        return d

    tape = autograd.trace(f, [1.0])
    xs = [2.0, -3.0, 0.5, -0.25]
    [out] = tape.forward([[x] for x in xs])
    expected = []
    for v in xs:
        x = Value(v)
        expected.append(grad(x.relu() * x + abs(x) * 3 + x.leaky_relu(0.5), [x])[0])
    assert out.tolist() == expected


def test_traced_derivative_of_pow_raises_trace_error_at_a_special_point():
    def f(x, y):
        [d] = grad(x**y, [y], create_graph=True)
        return d

    tape = autograd.trace(f, [2.0, 2.0])
    assert tape.forward([[3.0, 2.0]])[0].tolist() == pytest.approx([9 * math.log(3)])
    with pytest.raises(autograd.TraceError, match="== 0.0"):
        tape.forward([[0.0, 2.0]])


# -- 3. grad(create_graph=True) inside no_grad -------------------------------------------------------


def test_grad_with_create_graph_inside_no_grad_builds_the_graph():
    x = Value(1.3)
    y = x**3
    with no_grad():
        [dy] = grad(y, [x], create_graph=True)
        [d2y] = grad(dy, [x])
        assert not autograd.is_recording()  # recording was on only inside grad
    assert d2y == pytest.approx(7.8, rel=1e-15)  # 6 x, as PyTorch


# -- 4. a constant root ----------------------------------------------------------------------------


def test_backward_and_grad_on_a_constant_root_raise():
    x = Value(2.0)
    with no_grad():
        loss = x * x
    with pytest.raises(ValueError, match="backward: the output .* is a constant"):
        loss.backward()
    with pytest.raises(ValueError, match="grad: the output"):
        grad(loss, [x])
    assert grad(loss, [x], allow_constant=True) == [0.0]
    with pytest.raises(ValueError, match="constant"):
        Value(1.0, requires_grad=False).backward()


# -- 5. overflow in backward -----------------------------------------------------------------------


def test_overflow_in_backward_raises_naming_the_op_and_inputs():
    x = Value(1e-200)
    with pytest.raises(OverflowError, match=r"backward of div\(1.0, 1e-200\)"):
        (1 / x).backward()
    assert not x.has_grad  # a pass that raises changes no .grad
    with pytest.raises(OverflowError, match=r"backward of pow\(1e-200, -1.0\)"):
        (x**-1).backward()
    with pytest.raises(OverflowError, match=r"backward of div"):
        grad(1 / x, [x])
    with pytest.raises(OverflowError):
        grad(1 / x, [x], create_graph=True)


def test_infinite_data_still_propagates_in_backward():
    x = Value(INF)
    y = x * 2.0
    y.backward()
    assert x.grad == 2.0
    z = Value(2.0)
    (z * INF).backward()
    assert z.grad == INF


# -- 6. deepcopy and pickle ------------------------------------------------------------------------


def _roundtrips():
    return [copy.deepcopy, lambda v: pickle.loads(pickle.dumps(v))]


@pytest.mark.parametrize("roundtrip", _roundtrips(), ids=["deepcopy", "pickle"])
def test_a_value_graph_round_trips(roundtrip):
    x = Value(2.0, label="x")
    c = Value(3.0, requires_grad=False, label="c")
    y = (x * c + x).tanh()
    y.backward()
    y2 = roundtrip(y)
    add = y2.parents[0]
    mul, x2 = add.parents
    assert mul.parents[0] is x2 and mul.parents[1].requires_grad is False and mul.parents[1].label == "c"
    assert (y2.data, y2.op, x2.data, x2.grad, x2.label) == (y.data, "tanh", 2.0, x.grad, "x")
    x2.zero_grad()
    y2.backward()
    assert x2.grad == x.grad
    assert x.grad == pytest.approx(4 * (1 - math.tanh(8.0) ** 2))


@pytest.mark.parametrize("roundtrip", _roundtrips(), ids=["deepcopy", "pickle"])
def test_a_model_round_trips_and_the_copy_trains(roundtrip):
    model = nn.MLP(2, [3, 1], seed=0)
    X, y = [[0.0, 1.0], [1.0, 0.0]], [1, -1]
    copy_ = roundtrip(model)
    assert copy_.state_dict() == model.state_dict()
    assert [p.label for p in copy_.parameters()] == [p.label for p in model.parameters()]
    assert not set(map(id, copy_.parameters())) & set(map(id, model.parameters()))
    h1 = nn.fit(copy_, X, y, epochs=3)
    h2 = nn.fit(model, X, y, epochs=3)
    assert h1.loss == h2.loss and copy_.state_dict() == model.state_dict()


def test_deepcopy_of_a_deep_chain_needs_no_recursion():
    x = Value(1.0)
    y = x
    for _ in range(5000):
        y = y + 1.0
    y2 = copy.deepcopy(y)
    y3 = pickle.loads(pickle.dumps(y))
    assert y2.data == y3.data == 5001.0


# -- 7. no_grad is per thread and per task ---------------------------------------------------------


def test_no_grad_in_one_thread_leaves_others_recording():
    inside, release = threading.Event(), threading.Event()

    def worker():
        with no_grad():
            inside.set()
            release.wait(5)

    t = threading.Thread(target=worker)
    t.start()
    inside.wait(5)
    try:
        x = Value(2.0)
        assert autograd.is_recording() and (x * x).parents == (x, x)
    finally:
        release.set()
        t.join()
    assert autograd.is_recording()


def test_overlapping_no_grad_blocks_in_two_threads_restore_recording():
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def a():
        with no_grad():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b():
        a_in.wait(5)
        with no_grad():
            b_in.set()
            a_out.wait(5)
            seen["b inside"] = autograd.is_recording()
        seen["b after"] = autograd.is_recording()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"b inside": False, "b after": True}
    assert autograd.is_recording()


def test_no_grad_is_per_asyncio_task():
    async def quiet(started, done):
        with no_grad():
            started.set()
            await done.wait()
            return autograd.is_recording()

    async def loud(started, done):
        await started.wait()
        x = Value(1.0)
        y = x * 2
        done.set()
        return autograd.is_recording() and y.parents == (x, y.parents[1])

    async def main():
        started, done = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(quiet(started, done), loud(started, done))

    assert asyncio.run(main()) == [False, True]


def test_no_grad_decorator_without_parentheses():
    @no_grad
    def square(v):
        return v * v

    assert square(Value(3.0)).requires_grad is False
    assert autograd.is_recording()


# -- 8. sums ---------------------------------------------------------------------------------------


def test_sum_of_opposite_infinities_is_nan_like_plus():
    assert math.isnan((Value(INF) + Value(-INF)).data)
    assert math.isnan(autograd.sum([Value(INF), Value(-INF)]).data)
    assert math.isnan(autograd.dot([Value(INF), Value(1.0)], [1.0, -INF]).data)


def test_logsumexp_of_infinities():
    assert autograd.logsumexp([Value(-INF), Value(-INF)]).data == -INF
    assert autograd.logsumexp([Value(INF), Value(0.0)]).data == INF
    assert autograd.logsumexp([Value(-INF), Value(0.0)]).data == 0.0
    assert math.isnan(autograd.logsumexp([Value(NAN), Value(0.0)]).data)
    x = Value(-INF)
    autograd.logsumexp([x, Value(0.0)]).backward()
    assert x.grad == 0.0


def test_scalar_and_tape_sums_differ_by_at_most_the_documented_bound():
    # The scalar sum rounds once (fsum); the tape adds left to right. README: they differ by at
    # most (n - 1) * eps * sum |terms|.
    terms = [1e16, 1.0, -1e16, 1.0]
    scalar = autograd.sum([Value(t) for t in terms]).data
    tape = autograd.trace(lambda *xs: autograd.sum(list(xs)), [0.0] * 4)
    [replayed] = tape.forward([terms])
    assert scalar == 2.0
    bound = 3 * 2**-52 * sum(map(abs, terms))
    assert abs(replayed[0] - scalar) <= bound


# -- 9. cross entropy as a log-softmax --------------------------------------------------------------


def test_cross_entropy_keeps_its_digits_for_large_logits():
    assert nn.cross_entropy_loss([1e5, 1e5 + 1], 0).data == math.log1p(math.e)
    z0, z1 = Value(1e5), Value(1e5 + 1)
    nn.cross_entropy_loss([z0, z1], 0).backward()
    p1 = 1 / (1 + math.exp(-1))
    assert (z0.grad, z1.grad) == (pytest.approx(-p1, rel=1e-15), pytest.approx(p1, rel=1e-15))


# -- smaller items ----------------------------------------------------------------------------------


def test_pow_exponent_gradient_at_base_zero_is_zero():
    x, y = Value(0.0), Value(2.0)
    (x**y).backward()
    assert (x.grad, y.grad) == (0.0, 0.0)  # PyTorch: 0 * 0 ** 1 and 0 ** 2 * log(0) -> 0
    x, y = Value(0.0), Value(0.0)
    (x**y).backward()
    assert (x.grad, y.grad) == (0.0, 0.0)
    [d] = grad(Value(0.0) ** y, [y], create_graph=True)
    assert d.data == 0.0


def test_numpy_bool_and_none_label():
    assert Value(np.bool_(True)).data == 1.0
    assert (Value(2.0) * np.bool_(True)).data == 2.0
    assert Value(1.0, label=None).label == ""
    v = Value(1.0, label="a")
    v.label = None
    assert v.label == ""
    with pytest.raises(TypeError):
        Value(np.complex128(1 + 2j))


def test_define_op_rule_returning_a_non_number_is_an_error():
    bad = autograd.define_op("audit_bad_rule", lambda x: 2 * x, [lambda g, out, x: "2"])
    with pytest.raises(TypeError, match="audit_bad_rule.*rule 0.*'2'"):
        bad(Value(1.0)).backward()


@pytest.mark.parametrize(
    "build, error, message",
    [
        (lambda: nn.Neuron("3"), TypeError, "Neuron: nin must be a positive integer, got str: '3'"),
        (lambda: nn.Neuron(0), ValueError, "Neuron: nin must be a positive integer, got 0"),
        (lambda: nn.SGD([Value(1.0)], lr="0.1"), TypeError, "SGD: lr must be a finite number, got str: '0.1'"),
        (lambda: nn.fit(nn.Neuron(1), [[1.0]], [1], epochs="3"), TypeError, "fit: epochs must be a positive integer, got str"),
        (lambda: nn.fit(nn.Neuron(1), [[1.0]], [1], batch_size=2.0), TypeError, "fit: batch_size must be"),
        (lambda: nn.fit(nn.Neuron(1), [[1.0]], [1], tol="0"), TypeError, "fit: tol must be"),
        (lambda: nn.fit(nn.Neuron(1), [[1.0]], [1], loss=3), TypeError, "fit: loss must be a name or a callable"),
        (lambda: nn.Adam([Value(1.0)], betas=0.9), TypeError, "Adam: betas must be a pair"),
        (lambda: nn.LinearDecay(nn.SGD([Value(1.0)], lr=1.0), 1.0, 0.1, "10"), TypeError, "total_steps"),
        (lambda: nn.l2_regularization([Value(1.0)], "1"), TypeError, "l2_regularization: alpha"),
    ],
)
def test_wrong_types_are_type_errors_and_wrong_values_value_errors(build, error, message):
    with pytest.raises(error, match=message) as info:
        build()
    assert type(info.value) is error


def test_save_errors_name_the_users_path_not_a_temporary_file(tmp_path):
    target = tmp_path / "model.json"
    target.mkdir()  # a directory where the file should go: the final rename fails
    with pytest.raises(IsADirectoryError) as info:
        nn.Neuron(1, seed=0).save(target)
    assert str(target) in str(info.value) and ".tmp-" not in str(info.value)
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


def _model_file(tmp_path, config, parameters, cls="MLP"):
    import json

    path = tmp_path / "model.json"
    path.write_text(json.dumps({"format": "dagrad.nn.Module", "version": 1, "class": cls, "config": config,
                                "parameters": parameters}))
    return path


def test_load_checks_the_size_a_config_asks_for_before_building_it(tmp_path, monkeypatch):
    built = []
    original = nn.Neuron.__init__

    def counting_init(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(nn.Neuron, "__init__", counting_init)
    path = _model_file(tmp_path, {"nin": 2, "sizes": [10**6, 10**6, 1]}, {"layers.0.neurons.0.w.0": 1.0})
    with pytest.raises(nn.ModelFileError, match=r"model.json.*asks for 1000005000001 parameters, the file holds 1"):
        nn.load(path)
    assert built == []  # nothing was allocated
    path = _model_file(tmp_path, {"nin": 2, "sizes": "big"}, {})
    with pytest.raises(nn.ModelFileError, match="sizes must be a list"):
        nn.load(path)


def test_load_of_a_number_with_thousands_of_digits_names_the_path(tmp_path):
    path = tmp_path / "model.json"
    path.write_text('{"format": "dagrad.nn.Module", "version": 1, "class": "Neuron", "config": {"nin": 1}, '
                    '"parameters": {"w.0": ' + "9" * 5000 + ', "b": 0.0}}')
    with pytest.raises(nn.ModelFileError, match=r"model.json.*cannot be read"):
        nn.load(path)


def test_load_refuses_a_file_above_the_size_cap(tmp_path, monkeypatch):
    import nn.module

    path = nn.Neuron(1, seed=0).save(tmp_path / "n.json")
    monkeypatch.setattr(nn.module, "MAX_FILE_BYTES", 10)
    with pytest.raises(nn.ModelFileError, match=r"n.json.*larger than 10 bytes"):
        nn.load(path)


# -- the PyTorch oracle runs in CI ---------------------------------------------------------------


def test_oracle_tests_fail_instead_of_skipping_under_ci_without_torch(monkeypatch):
    import sys

    from conftest import require_torch

    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="under CI it must be installed"):
        require_torch()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="make test WITH_TORCH=1"):
        require_torch()


def test_an_optimizer_step_that_overflows_raises_and_keeps_the_parameter():
    w = Value(1e300, label="w")
    w.grad = 1e300
    opt = nn.SGD([w], lr=1e10)
    with pytest.raises(OverflowError, match=r"SGD.step: parameter w would become -inf .*lower the learning rate"):
        opt.step()
    assert w.data == 1e300


def test_define_op_name_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match="define_op: name must be a string, got int"):
        autograd.define_op(3, lambda x: x, [lambda g, out, x: g])
    with pytest.raises(ValueError, match="non-empty"):
        autograd.define_op("", lambda x: x, [lambda g, out, x: g])


def test_a_traced_bce_loss_does_not_bake_in_its_clamp_or_its_target():
    w = Value(1.0)
    clamped = autograd.trace(lambda x: nn.bce_loss([w * x], [1.0]), [0.0], params=[w])  # traced at p = 0
    with pytest.raises(autograd.TraceError):
        clamped.forward([[0.5]])  # the scalar loss is -log 0.5 here, not the clamp's 100
    target = autograd.trace(lambda p, t: nn.bce_loss([w * p], [t]), [0.5, 1.0], params=[w])
    with pytest.raises(autograd.TraceError):
        target.forward([[0.5, 0.0]])


def test_tape_backward_of_pow_with_a_negative_base_is_the_scalar_error():
    w = Value(2.0)
    tape = autograd.trace(lambda x: x**w, [2.0], params=[w])
    tape.forward([[2.0], [-2.0]])
    with pytest.raises(ValueError, match=r"backward of pow\(-2.0, 2.0\).*log.*sample 1"):
        tape.backward()
    with pytest.raises(ValueError, match=r"backward of pow\(-2.0, 2.0\)"):
        (Value(-2.0) ** w).backward()


def test_fit_stops_when_a_gradient_is_nan_though_the_loss_is_finite():
    # tanh(w * inf) = 1: the loss is finite, but d/dw = (1 - 1) * inf is NaN
    model = nn.Neuron(1, activation="tanh", seed=0)
    before = model.state_dict()
    with pytest.raises(FloatingPointError, match=r"gradient of w.0 became nan in epoch 0.*sample 1 \(its input \[inf\]"):
        nn.fit(model, [[1.0], [INF]], [0.5, 0.5], loss="mse", epochs=2)
    assert model.state_dict() == before


@pytest.mark.parametrize("logits, target", [([0.3, -1.2, 2.0], 2), ([1e5, 1e5 + 1, 1e5 - 3], 0), ([-800.0, 0.0, 800.0], 1)])
def test_cross_entropy_softmax_logsumexp_agree_with_torch_float64(torch, logits, target):
    F = torch.nn.functional
    z = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    values = [Value(v) for v in logits]
    # torch's logsumexp backward is exp(z - out), which loses the digits of out's rounding (6e-12
    # relative at 1e5); its gradient is softmax(z), which torch computes from the differences, as
    # dagrad does for both (issue 21 item 4).
    checks = [
        (lambda z: F.cross_entropy(z[None], torch.tensor([target])), lambda vs: nn.cross_entropy_loss(vs, target), None),
        (lambda z: torch.logsumexp(z, 0), autograd.logsumexp, lambda z: F.softmax(z, 0)),
        (lambda z: F.softmax(z, 0)[target], lambda vs: autograd.softmax(vs)[target], None),
    ]
    for torch_f, ours, torch_gradient in checks:
        out = ours(values)
        grads = grad(out, values, create_graph=True)
        if torch_gradient is not None:
            expected_grads = torch_gradient(z.detach()).tolist()
        else:
            expected_grads = torch.autograd.grad(torch_f(z), z)[0].tolist()
        hessian = torch.autograd.functional.hessian(torch_f, z.detach()).tolist()
        assert out.data == pytest.approx(torch_f(z).item(), rel=1e-15, abs=1e-300)
        assert [g.data for g in grads] == pytest.approx(expected_grads, rel=1e-12, abs=1e-15)
        for g, row in zip(grads, hessian):
            assert grad(g, values, allow_constant=True) == pytest.approx(row, rel=1e-9, abs=1e-12)


def test_softmax_with_a_masked_class_has_pytorchs_finite_gradient():
    a, b, c = Value(-INF), Value(0.0), Value(1.0)
    probs = autograd.softmax([a, b, c])
    assert [p.data for p in probs] == [0.0, pytest.approx(1 / (1 + math.e)), pytest.approx(math.e / (1 + math.e))]
    (probs[0] + 2 * probs[1]).backward()
    p1 = 1 / (1 + math.e)
    # d(p1)/db = p1 (1 - p1), d(p1)/dc = -p1 p2; the masked class gets 0 (torch.softmax agrees)
    assert (a.grad, b.grad, c.grad) == (0.0, pytest.approx(2 * p1 * (1 - p1)), pytest.approx(-2 * p1 * (1 - p1)))
    tape = autograd.trace(lambda x, y, z: autograd.softmax([x, y, z])[1], [0.0, 0.0, 0.0])
    [out] = tape.forward([[-INF, 0.0, 1.0]])
    assert out.tolist() == [pytest.approx(p1)]


def test_gradients_whose_sum_overflows_raise_on_both_paths():
    z = Value(1.0, label="z")
    y = (z - 1.0) * 1e308 + (z - 1.0) * 1e308  # 0.0, but dy/dz = 1e308 + 1e308 along two paths
    with pytest.raises(OverflowError, match=r"gradients reaching Value\(data=1.0.*label='z'\) add up to inf"):
        y.backward()
    w = Value(1.0, label="w")
    tape = autograd.trace(lambda s: (w - 1.0) * s * 1e308, [1.0], params=[w])
    tape.forward([[1.0], [1.0]])  # each sample's d/dw is 1e308; their sum is not finite
    with pytest.raises(OverflowError, match="gradient of w summed over the batch overflows"):
        tape.backward()


def test_a_trace_in_one_thread_records_nothing_from_another():
    inside, done = threading.Event(), threading.Event()

    def traced(x):
        inside.set()
        done.wait(5)
        return x * 2

    tapes = []
    t = threading.Thread(target=lambda: tapes.append(autograd.trace(traced, [1.0])))
    t.start()
    inside.wait(5)
    try:
        v = Value(3.0)
        assert v > 0 and bool(v) and float(v) == 3.0  # would be guards of the other thread's tape
        with no_grad():
            w = v * 2
        assert w.parents == ()  # a constant leaf here: the trace is not this thread's
    finally:
        done.set()
        t.join()
    assert len(tapes[0].schedule.guards) == 0
    assert tapes[0].forward([[5.0]])[0].tolist() == [10.0]


@pytest.mark.parametrize("seed", range(25))
def test_nan_and_inf_data_give_the_same_numbers_on_the_tape_and_the_scalar_path(seed):
    from test_tape import random_program, scalar_batch, tape_batch

    fn, params = random_program(seed)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(6, 3))
    X[0, seed % 3] = NAN
    X[1, (seed + 1) % 3] = INF
    X[2, (seed + 2) % 3] = -INF
    X = X.tolist()
    results = []
    for path in (scalar_batch, tape_batch):
        try:
            results.append(path(fn, X, params))
        except (ArithmeticError, ValueError) as error:  # sin(inf): a domain error on both paths
            results.append(type(error))
    scalar, tape = results
    if isinstance(scalar, type) and not isinstance(tape, type):
        # sin(inf) raised in a node no output needs: the tape never computes it. The rows
        # without infinities must still agree.
        X = [X[0]] + X[3:]
        scalar, tape = scalar_batch(fn, X, params), tape_batch(fn, X, params)
    if isinstance(scalar, type) or isinstance(tape, type):
        assert scalar == tape
        return
    (outs_s, grads_s), (outs_t, grads_t) = scalar, tape
    assert np.allclose(outs_t, outs_s, rtol=1e-12, atol=1e-12, equal_nan=True), (outs_t, outs_s)
    assert np.allclose(grads_t, grads_s, rtol=1e-12, atol=1e-12, equal_nan=True), (grads_t, grads_s)


def test_the_tape_raises_where_the_scalar_forward_rejects_an_infinite_input():
    tape = autograd.trace(lambda x: x.sin() + x.cos(), [0.0])
    assert math.isnan(tape.forward([[NAN]])[0][0])  # NaN propagates on both paths
    with pytest.raises(ValueError, match=r"sin\(inf\): input must be finite \(sample 1 of the batch\)"):
        tape.forward([[0.0], [INF]])
    with pytest.raises(ValueError, match=r"sin\(inf\): input must be finite"):
        Value(INF).sin()
