"""The compiled batch path: a traced tape replayed over a batch equals the scalar path."""

import math
import os
import random
import re

import pytest

np = pytest.importorskip("numpy")

import autograd  # noqa: E402
from autograd import Value, define_op  # noqa: E402
from autograd.tape import TraceError, trace  # noqa: E402


def scalar_batch(fn, X, params, reduction="sum"):
    """The scalar path: per-sample graphs, loss summed (or averaged), one backward."""
    for p in params:
        p.zero_grad()
    outs = [fn(*(Value(x) for x in row)) for row in X]
    outs = [o if isinstance(o, (list, tuple)) else [o] for o in outs]
    total = autograd.sum([v for o in outs for v in o])
    if reduction == "mean":
        total = total / len(X)
    total.backward()
    return [[v.data for v in o] for o in outs], [p.grad for p in params]


def tape_batch(fn, X, params, reduction="sum"):
    for p in params:
        p.zero_grad()
    tape = trace(fn, X[0], params=params)
    outs = tape.forward(np.array(X))
    grads = tape.backward(1.0 / len(X) if reduction == "mean" else None, accumulate=False)
    return np.stack(outs, axis=1).tolist(), grads


def assert_close(a, b):
    assert np.allclose(np.array(a, dtype=float), np.array(b, dtype=float), rtol=1e-12, atol=1e-12), (a, b)


# A random program: a list of (op, operand indices) over inputs, params and constants, with
# shared nodes (a*a), n-ary sum/dot, and several outputs.
UNARY = ["relu", "tanh", "sigmoid", "exp", "neg", "abs", "softplus", "sin", "cos", "leaky_relu"]
BINARY = ["add", "sub", "mul", "div", "square"]


def random_program(seed, n_inputs=3, n_params=4, n_ops=40):
    rng = random.Random(seed)
    params = [Value(rng.uniform(-1, 1), label=f"p{i}") for i in range(n_params)]
    plan = []
    for k in range(n_ops):
        kind = rng.choice(UNARY + BINARY + ["sum", "dot", "const"])
        plan.append((kind, [rng.randrange(n_inputs + n_params + k) for _ in range(4)], rng.uniform(-2, 2)))
    n_outputs = rng.randint(1, 3)

    def fn(*xs):
        nodes = list(xs) + params
        for kind, (i, j, k, m), c in plan:
            a, b = nodes[i], nodes[j]
            if kind in ("relu", "tanh", "sigmoid", "softplus", "sin", "cos"):
                out = getattr(a, kind)()
            elif kind == "exp":
                out = (a.tanh() * 2).exp()
            elif kind == "neg":
                out = -a
            elif kind == "abs":
                out = abs(a)
            elif kind == "leaky_relu":
                out = a.leaky_relu(0.1)
            elif kind == "add":
                out = a + b
            elif kind == "sub":
                out = a - b
            elif kind == "mul":
                out = (a * b).tanh()
            elif kind == "div":
                out = a / (b * b + 1)
            elif kind == "square":
                out = a * a  # a shared node: parents (a, a)
            elif kind == "sum":
                out = autograd.sum([a, b, nodes[k], 0.5])
            elif kind == "dot":
                out = autograd.dot([a, b], [nodes[k], nodes[m]]).tanh()
            else:
                out = a * c + c
            nodes.append(out)
        return nodes[-n_outputs:]

    return fn, params


@pytest.mark.parametrize("seed", range(25))
def test_random_programs_match_the_scalar_path(seed):
    fn, params = random_program(seed)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(17, 3))
    X[0] = 0.0  # relu/abs kinks at exactly 0 (inputs), and equal samples
    X[1] = X[2]
    X = X.tolist()
    outs_s, grads_s = scalar_batch(fn, X, params)
    outs_t, grads_t = tape_batch(fn, X, params)
    assert_close(outs_t, outs_s)
    assert_close(grads_t, grads_s)


def test_relu_kink_at_exactly_zero_has_zero_derivative():
    w = Value(1.0)
    tape = trace(lambda x: (w * x).relu() + abs(w * x), [1.0], params=[w])
    tape.forward(np.array([[0.0], [0.0]]))
    assert tape.backward() == [0.0]


def test_mean_loss_of_an_mlp_like_program_equals_scalar_backward():
    rng = random.Random(0)
    W1 = [[Value(rng.uniform(-1, 1)) for _ in range(2)] for _ in range(4)]
    b1 = [Value(0.1 * k) for k in range(4)]
    W2 = [Value(rng.uniform(-1, 1)) for _ in range(4)]
    params = [w for row in W1 for w in row] + b1 + W2

    def loss(x0, x1, t):
        h = [(autograd.dot(row, [x0, x1]) + b).relu() for row, b in zip(W1, b1)]
        return (1 - t * autograd.dot(W2, h)).relu()

    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1), rng.choice([-1.0, 1.0])] for _ in range(50)]
    outs_s, grads_s = scalar_batch(loss, X, params, reduction="mean")
    for p in params:
        p.zero_grad()
    tape = trace(loss, X[0], params=params)
    loss_value = tape.loss_and_grad(np.array(X))
    assert loss_value == pytest.approx(np.mean(outs_s), rel=1e-12)
    assert_close([p.grad for p in params], grads_s)


def test_gradients_match_finite_differences():
    a, b = Value(0.3), Value(-0.7)
    fn = lambda x, y: (a * x + b * y).sigmoid() * (a - y).exp()  # noqa: E731
    X = np.array([[0.5, 1.0], [-1.0, 2.0], [0.0, 0.3]])
    tape = trace(fn, X[0], params=[a, b])
    tape.forward(X)
    grads = tape.backward(accumulate=False)
    eps = 1e-6
    for i, p in enumerate([a, b]):
        p.data += eps
        up = tape.forward(X)[0].sum()
        p.data -= 2 * eps
        down = tape.forward(X)[0].sum()
        p.data += eps
        assert grads[i] == pytest.approx((up - down) / (2 * eps), rel=1e-6)


def test_parameters_are_read_at_each_replay():
    w = Value(1.0)
    tape = trace(lambda x: w * x, [1.0], params=[w])
    w.data = 3.0
    assert tape.forward(np.array([[2.0]]))[0].tolist() == [6.0]


def test_backward_accumulates_into_param_grad():
    w = Value(2.0)
    tape = trace(lambda x: w * x, [1.0], params=[w])
    tape.forward(np.array([[1.0], [2.0]]))
    tape.backward()
    tape.backward()
    assert w.grad == 6.0


def test_params_default_to_leaves_that_need_a_gradient():
    w, c = Value(2.0), Value(5.0, requires_grad=False)
    tape = trace(lambda x: w * x + c, [1.0])
    assert tape.params == [w]


def test_user_op_without_numpy_forward_runs_elementwise():
    cube = define_op("tape_test_cube", lambda x: math.pow(x, 3), [lambda g, out, x: g * 3 * math.pow(x, 2)])
    w = Value(0.5)
    fn = lambda x: cube(w * x)  # noqa: E731
    X = [[1.0], [2.0], [-3.0]]
    outs_s, grads_s = scalar_batch(fn, X, [w])
    outs_t, grads_t = tape_batch(fn, X, [w])
    assert_close(outs_t, outs_s)
    assert_close(grads_t, grads_s)


def test_pow_rule_with_a_data_branch_matches():
    w = Value(1.5)
    fn = lambda x: (w * x) ** 2 + (x * x + 1) ** w  # noqa: E731
    X = [[1.0], [2.0], [0.0]]
    outs_s, grads_s = scalar_batch(fn, X, [w])
    outs_t, grads_t = tape_batch(fn, X, [w])
    assert_close(outs_t, outs_s)
    assert_close(grads_t, grads_s)


# -- data-dependent programs are detected, never silently wrong ----------------------------------


def branchy(x):
    return x * 2 if x > 0 else x * -3


def test_a_branch_on_a_value_is_checked_per_sample():
    tape = trace(branchy, [1.0])
    assert tape.forward(np.array([[1.0], [5.0]]))[0].tolist() == [2.0, 10.0]  # same branch: fine
    with pytest.raises(TraceError, match=r"input 0 > 0\.0 was True when traced but is False for sample 1"):
        tape.forward(np.array([[1.0], [-5.0]]))


@pytest.mark.parametrize(
    "fn, second, message",
    [
        (lambda x: x * 2 if bool(x) else x, 0.0, r"bool\(input 0\) was True when traced but is False for sample 1"),
        (lambda x: x * float(x), 2.0, r"float\(input 0\) was 1\.0 when traced but is 2\.0 for sample 1"),
        (lambda x: x * x.detach(), 2.0, r"detach\(input 0\)"),
        (lambda x: x if x <= x * x else -x, 0.5, r"input 0 <= 0\.25 was True when traced but is False"),
    ],
)
def test_other_ways_data_leaves_the_graph_are_guarded(fn, second, message):
    tape = trace(fn, [1.0])
    with pytest.raises(TraceError, match=message):
        tape.forward(np.array([[1.0], [second]]))


def test_domain_errors_name_the_op_value_and_sample():
    tape = trace(lambda x: x.log(), [1.0])
    with pytest.raises(ValueError, match=r"log\(-1\.0\): input must be > 0 \(sample 1 of the batch\)"):
        tape.forward(np.array([[1.0], [-1.0]]))


def test_import_autograd_does_not_import_numpy():
    import subprocess
    import sys

    code = "import sys, autograd; assert 'numpy' not in sys.modules; autograd.trace; assert 'numpy' in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# -- the compiled schedule: layers as matrix products, shared rows, guard-only nodes -------------


def layer_program(seed, swapped=False, computed_weights=False, repeated_input=False):
    """A 3-input, 2-layer network written with dot nodes; variants exercise each path of the
    schedule: weights after inputs (swapped), weights computed from params (w * 2, still the same
    for every sample), and an input repeated inside one dot (a row twice in the shared x)."""
    rng = random.Random(seed)
    W1 = [[Value(rng.uniform(-1, 1)) for _ in range(3)] for _ in range(5)]
    W2 = [Value(rng.uniform(-1, 1)) for _ in range(5)]
    params = [w for row in W1 for w in row] + W2

    def fn(x0, x1, x2):
        xs = [x0, x1, x0] if repeated_input else [x0, x1, x2]
        hidden = []
        for row in W1:
            w = [v * 2 for v in row] if computed_weights else row
            hidden.append((autograd.dot(xs, w) if swapped else autograd.dot(w, xs)).tanh())
        return autograd.dot(W2, hidden) + x2 * x2

    return fn, params


@pytest.mark.parametrize(
    "variant",
    [{}, {"swapped": True}, {"computed_weights": True}, {"repeated_input": True}],
    ids=["weights first", "weights second", "computed weights", "repeated input"],
)
def test_layers_replayed_as_matrix_products_match_the_scalar_path(variant):
    fn, params = layer_program(1, **variant)
    X = np.random.default_rng(1).uniform(-2, 2, size=(9, 3)).tolist()
    tape = trace(fn, X[0], params=params)
    assert any(step.shared is not None for step in tape.schedule.steps)  # the matrix form is used
    outs_s, grads_s = scalar_batch(fn, X, params)
    outs_t, grads_t = tape_batch(fn, X, params)
    assert_close(outs_t, outs_s)
    assert_close(grads_t, grads_s)


@pytest.mark.parametrize("fan_out", [3, 20])  # a few repeats: rounds of distinct rows; many: np.add.at
def test_a_row_used_by_many_nodes_of_one_step_gets_every_contribution(fan_out):
    ws = [Value(0.1 * (k + 1)) for k in range(fan_out)]
    fn = lambda x: autograd.sum([(x * w).tanh() for w in ws])  # noqa: E731  x is in every mul
    X = [[0.5], [-1.5], [2.0]]
    tape = trace(fn, X[0], params=ws)
    assert len(tape.schedule.steps) == 3  # mul, tanh, sum: each one call for all the nodes
    outs_s, grads_s = scalar_batch(fn, X, ws)
    outs_t, grads_t = tape_batch(fn, X, ws)
    assert_close(outs_t, outs_s)
    assert_close(grads_t, grads_s)
    # A repeated row's own gradient arrives through every use: sum_k w_k (1 - tanh(h w_k)^2) for
    # h = x * u, read as u's gradient divided by x (an input's row gets none: backward computes
    # the parameters' gradients only, so no rule runs for a row that needs none).
    u = Value(1.0)
    tape = trace(lambda x: autograd.sum([(x * u * w).tanh() for w in ws]), X[0], params=[u])
    tape.forward(np.array([[0.5]]))
    expected = sum(w.data * (1 - math.tanh(0.5 * w.data) ** 2) for w in ws)
    assert tape.backward(accumulate=False) == [pytest.approx(0.5 * expected, rel=1e-12)]


def test_nodes_that_only_feed_a_guard_are_skipped_by_backward():
    w = Value(1.0)

    def fn(x):
        if (w * x).exp() >= 0.5:  # exp(w x) is computed for the guard only
            return w * x
        return -w * x

    tape = trace(fn, [1.0], params=[w])
    tape.forward(np.array([[1.0], [2.0]]))
    assert sorted((step.op.name, step.needed) for step in tape.schedule.steps) == [("exp", False), ("mul", False), ("mul", True)]
    assert tape.backward(accumulate=False) == [3.0]


def test_an_overflow_inside_a_batch_names_the_op_and_sample():
    w = Value(1.0)
    tape = trace(lambda x: (w * x).exp(), [1.0], params=[w])
    with pytest.raises(OverflowError, match=r"exp\(1000\.0\).*\(sample 2 of the batch\)"):
        tape.forward(np.array([[1.0], [2.0], [1000.0]]))


def test_nan_inputs_propagate_as_on_the_scalar_path():
    w = Value(2.0)
    tape = trace(lambda x: (w * x).log(), [1.0], params=[w])
    out = tape.forward(np.array([[0.5], [math.nan]]))[0]
    assert out[0] == 0.0 and math.isnan(out[1])


def test_an_empty_batch_is_a_clear_error():
    tape = trace(lambda x: x * 2, [1.0])
    with pytest.raises(ValueError, match="the batch is empty"):
        tape.forward(np.zeros((0, 1)))


def test_outputs_are_not_overwritten_by_the_next_replay():
    w = Value(2.0)
    tape = trace(lambda x: w * x, [1.0], params=[w])
    first = tape.forward(np.array([[1.0], [2.0]]))[0]
    tape.forward(np.array([[5.0], [6.0]]))
    assert first.tolist() == [2.0, 4.0]


def test_every_builtin_op_has_an_array_forward_that_matches_its_float_forward():
    from autograd.ops import OPS

    rng = np.random.default_rng(0)
    for op in OPS.values():
        if not op.builtin:
            continue
        assert op.array_forward is not None, op.name
        arity = op.arity or 4
        args = rng.uniform(-2.0, 2.0, size=(arity, 5))
        if op.name in ("log", "sqrt", "pow"):
            args = np.abs(args) + 0.1
        if op.name == "pow":
            args[1] = [2.0, 0.5, -1.0, 3.0, 0.0]
        expected = [op.forward(*column) for column in args.T.tolist()]
        assert np.allclose(op.array_forward(*args), expected, rtol=1e-13, atol=0), op.name


def test_a_user_op_with_an_array_forward_uses_it_on_the_tape():
    calls = []

    def cube_array(x):
        calls.append(x.shape)
        return x ** 3

    cube = define_op("tape_test_cube_fast", lambda x: x ** 3, [lambda g, out, x: g * 3 * x * x], array_forward=cube_array)
    w = Value(0.5)
    fn = lambda x: cube(w * x)  # noqa: E731
    X = [[1.0], [2.0], [-3.0]]
    outs_s, grads_s = scalar_batch(fn, X, [w])
    calls.clear()
    outs_t, grads_t = tape_batch(fn, X, [w])
    assert calls == [(1, 3)]  # one call for the whole batch
    assert_close(outs_t, outs_s)
    assert_close(grads_t, grads_s)
    with pytest.raises(TypeError, match="array_forward must be callable"):
        define_op("tape_test_bad", lambda x: x, [lambda g, out, x: g], array_forward=3)


def test_an_interior_node_marked_requires_grad_false_stops_the_gradient_as_on_the_scalar_path():
    w = Value(0.7)

    def fn(x):
        hidden = (w * x).tanh()
        hidden.requires_grad = False  # varies with x, but passes no gradient to w
        return hidden * w + w * x

    X = [[0.5], [-1.0], [2.0]]
    outs_s, grads_s = scalar_batch(fn, X, [w])
    outs_t, grads_t = tape_batch(fn, X, [w])
    assert_close(outs_t, outs_s)
    assert_close(grads_t, grads_s)
    assert grads_s == [pytest.approx(sum(math.tanh(0.7 * x) + x for [x] in X))]


# -- the tape is an extension: one hook into the core, public names only ---------------------------

TAPE_DIR = os.path.join(os.path.dirname(autograd.__file__), "tape")
CORE = ("value.py", "opcall.py", "gradmode.py", "tracing.py", "ops.py", "opentry.py", "opmath.py", "engine.py", "functional.py")


def test_importing_autograd_imports_neither_numpy_nor_the_tape():
    import subprocess
    import sys

    code = "import sys, autograd; print(sorted(m for m in sys.modules if m == 'numpy' or m.startswith('autograd.tape')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "[]", result.stderr


def test_the_core_never_imports_the_tape():
    for name in CORE:
        source = open(os.path.join(os.path.dirname(autograd.__file__), name), encoding="utf-8").read()
        imports = re.findall(r"^\s*(?:from|import) autograd(?:\.tape\b| import .*\btape\b).*$", source, flags=re.M)
        assert not imports, (name, imports)


def test_the_tape_reads_no_private_field_of_the_core():
    private = re.compile(r"\._(op|grad|pass|p0|p1|compute|tracer|array_types|array_apply)\b|_value_module|from autograd\.value import .*\b_")
    for name in sorted(os.listdir(TAPE_DIR)):
        if name.endswith(".py"):
            source = open(os.path.join(TAPE_DIR, name), encoding="utf-8").read()
            assert not private.search(source), (name, private.search(source).group(0))


def test_the_hook_is_released_when_the_traced_function_raises():
    from autograd.value import tracing

    def broken(x):
        raise KeyError("boom")

    with pytest.raises(KeyError):
        trace(broken, [1.0])
    assert tracing.recorder is None
    w = Value(2.0)
    assert len(trace(lambda x: w * x, [1.0], params=[w])) == 1


def test_trace_cannot_be_nested():
    with pytest.raises(RuntimeError, match="cannot be nested"):
        trace(lambda x: trace(lambda y: y * 2, [1.0]).forward([[1.0]])[0][0] * x, [1.0])


# A rule runs only for rows whose gradient backward needs (issue 21 item 1's class on a tape).
LOG_POW = define_op(
    "test_tape_log_pow", lambda x, y: x**y,
    [lambda g, out, x, y: g * y * x ** (y - 1), lambda g, out, x, y: g * out * math.log(x)],  # math: elementwise
)


def test_a_rule_never_runs_for_an_input_constant_or_frozen_row():
    # d/dy x**y = x**y log x is undefined at x = -2; here y is data, a computed constant or a frozen
    # node, none of which backward needs a gradient for, so only the base's rule runs.
    w = Value(-2.0)
    c = Value(3.0, requires_grad=False)
    frozen = Value(3.0)
    programs = [
        lambda x: LOG_POW(w, x),  # the exponent is a per-sample input
        lambda x: LOG_POW(w * x, c + 0.0),  # an op computed from constants only
        lambda x: LOG_POW(w * x, _frozen(frozen * 1.0)),  # requires_grad=False set on a computed node
    ]
    for fn in programs:
        tape = trace(fn, [3.0], params=[w])
        tape.forward([[3.0], [1.0]])
        expected = 0.0
        for x in (3.0, 1.0):
            w.zero_grad()
            fn(Value(x, requires_grad=False)).backward()
            expected += w.grad
        assert tape.backward(accumulate=False) == [pytest.approx(expected, rel=1e-12)]


def _frozen(node):
    node.requires_grad = False
    return node


def test_a_requested_rule_that_fails_names_the_op_and_its_inputs():
    w = Value(-2.0)
    tape = trace(lambda x: LOG_POW(x, w), [1.0], params=[w])  # d/dw needs log(x): x = -1 has none
    tape.forward([[-1.0], [2.0]])
    with pytest.raises(ValueError, match=r"backward of test_tape_log_pow\(-1.0, -2.0\): math domain error"):
        tape.backward()
