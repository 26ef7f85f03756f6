"""Every op in the table: value, first derivative and (smooth ops) second derivative.

Oracles: the hand-written formula for each op, and central finite differences.
"""

import math

import pytest

from autograd import Value, grad

EPS = 1e-6


def central_difference(f, x, eps=EPS):
    return (f(x + eps) - f(x - eps)) / (2 * eps)


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


# name: (apply to a Value, float function, hand-written derivative, hand-written 2nd derivative or None, points)
UNARY = {
    "neg": (lambda v: -v, lambda x: -x, lambda x: -1.0, lambda x: 0.0, [-2.0, 0.5, 3.0]),
    "abs": (abs, abs, lambda x: math.copysign(1.0, x), lambda x: 0.0, [-2.5, 0.7, 4.0]),
    "exp": (Value.exp, math.exp, math.exp, math.exp, [-3.0, 0.0, 1.5]),
    "log": (Value.log, math.log, lambda x: 1 / x, lambda x: -1 / x**2, [0.1, 1.0, 7.5]),
    "sqrt": (Value.sqrt, math.sqrt, lambda x: 0.5 / math.sqrt(x), lambda x: -0.25 * x**-1.5, [0.04, 1.0, 9.0]),
    "tanh": (
        Value.tanh,
        math.tanh,
        lambda x: 1 - math.tanh(x) ** 2,
        lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2),
        [-2.0, 0.0, 0.3, 1.7],
    ),
    "sigmoid": (
        Value.sigmoid,
        sigmoid,
        lambda x: sigmoid(x) * (1 - sigmoid(x)),
        lambda x: sigmoid(x) * (1 - sigmoid(x)) * (1 - 2 * sigmoid(x)),
        [-4.0, 0.0, 0.8, 3.0],
    ),
    "relu": (Value.relu, lambda x: max(x, 0.0), lambda x: float(x > 0), None, [-1.5, 0.25, 2.0]),
    "leaky_relu": (
        lambda v: v.leaky_relu(0.1),
        lambda x: x if x > 0 else 0.1 * x,
        lambda x: 1.0 if x > 0 else 0.1,
        None,
        [-1.5, 0.25, 2.0],
    ),
    "softplus": (
        Value.softplus,
        lambda x: math.log1p(math.exp(x)),
        sigmoid,
        lambda x: sigmoid(x) * (1 - sigmoid(x)),
        [-3.0, 0.0, 2.5],
    ),
    "sin": (Value.sin, math.sin, math.cos, lambda x: -math.sin(x), [-1.0, 0.0, 2.0]),
    "cos": (Value.cos, math.cos, lambda x: -math.sin(x), lambda x: -math.cos(x), [-1.0, 0.0, 2.0]),
    "pow_const": (lambda v: v**3, lambda x: x**3, lambda x: 3 * x**2, lambda x: 6 * x, [-2.0, 0.5, 3.0]),
    "rpow": (lambda v: 2**v, lambda x: 2**x, lambda x: math.log(2) * 2**x, lambda x: math.log(2) ** 2 * 2**x, [-1.0, 0.0, 2.5]),
    "add_const": (lambda v: v + 3, lambda x: x + 3, lambda x: 1.0, lambda x: 0.0, [-1.0, 2.0]),
    "rsub": (lambda v: 3 - v, lambda x: 3 - x, lambda x: -1.0, lambda x: 0.0, [-1.0, 2.0]),
    "rdiv": (lambda v: 3 / v, lambda x: 3 / x, lambda x: -3 / x**2, lambda x: 6 / x**3, [-2.0, 0.5, 4.0]),
}

UNARY_CASES = [(name, x) for name, spec in UNARY.items() for x in spec[4]]


@pytest.mark.parametrize("name, x", UNARY_CASES)
def test_unary_value_matches_formula(name, x):
    apply_op, forward, *_ = UNARY[name]
    assert apply_op(Value(x)).data == pytest.approx(forward(x), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name, x", UNARY_CASES)
def test_unary_derivative_matches_formula_and_finite_difference(name, x):
    apply_op, forward, derivative, *_ = UNARY[name]
    v = Value(x)
    out = apply_op(v)
    out.backward()
    assert v.grad == pytest.approx(derivative(x), rel=1e-12, abs=1e-15)
    assert v.grad == pytest.approx(central_difference(forward, x), rel=1e-6, abs=1e-7)


@pytest.mark.parametrize("name, x", [(n, x) for n, x in UNARY_CASES if UNARY[n][3] is not None])
def test_unary_second_derivative(name, x):
    apply_op, _, derivative, second, _ = UNARY[name]
    v = Value(x)
    [dv] = grad(apply_op(v), [v], create_graph=True)
    [d2v] = grad(dv, [v], allow_constant=True)  # a linear op's derivative is a constant
    assert d2v == pytest.approx(second(x), rel=1e-9, abs=1e-12)
    assert d2v == pytest.approx(central_difference(derivative, x, eps=1e-5), rel=1e-5, abs=1e-6)


# name: (apply to two Values, float function, (d/dx, d/dy) hand-written, points)
BINARY = {
    "add": (lambda a, b: a + b, lambda x, y: x + y, lambda x, y: (1.0, 1.0)),
    "sub": (lambda a, b: a - b, lambda x, y: x - y, lambda x, y: (1.0, -1.0)),
    "mul": (lambda a, b: a * b, lambda x, y: x * y, lambda x, y: (y, x)),
    "div": (lambda a, b: a / b, lambda x, y: x / y, lambda x, y: (1 / y, -x / y**2)),
    "pow": (lambda a, b: a**b, lambda x, y: x**y, lambda x, y: (y * x ** (y - 1), x**y * math.log(x))),
    "leaky_relu_slope": (
        lambda a, b: a.leaky_relu(b),
        lambda x, y: x if x > 0 else y * x,
        lambda x, y: ((1.0, 0.0) if x > 0 else (y, x)),
    ),
}
BINARY_POINTS = [(1.5, 2.0), (0.3, -1.2), (2.5, 0.7)]
BINARY_CASES = [(n, x, y) for n in BINARY for x, y in BINARY_POINTS + [(-1.3, 0.2)] if not (n == "pow" and x < 0)]


@pytest.mark.parametrize("name, x, y", BINARY_CASES)
def test_binary_value_and_both_partials(name, x, y):
    apply_op, forward, partials = BINARY[name]
    a, b = Value(x), Value(y)
    out = apply_op(a, b)
    out.backward()
    assert out.data == pytest.approx(forward(x, y), rel=1e-12)
    dx, dy = partials(x, y)
    assert (a.grad, b.grad) == (pytest.approx(dx, rel=1e-12), pytest.approx(dy, rel=1e-12))
    assert a.grad == pytest.approx(central_difference(lambda t: forward(t, y), x), rel=1e-6, abs=1e-7)
    assert b.grad == pytest.approx(central_difference(lambda t: forward(x, t), y), rel=1e-6, abs=1e-7)


@pytest.mark.parametrize("name, x, y", [c for c in BINARY_CASES if c[0] in ("mul", "div", "pow")])
def test_binary_mixed_second_derivative_matches_finite_difference(name, x, y):
    apply_op, forward, partials = BINARY[name]
    a, b = Value(x), Value(y)
    [da] = grad(apply_op(a, b), [a], create_graph=True)
    d2_dx2, d2_dxdy = grad(da, [a, b])
    assert d2_dx2 == pytest.approx(central_difference(lambda t: partials(t, y)[0], x, eps=1e-5), rel=1e-5, abs=1e-6)
    assert d2_dxdy == pytest.approx(central_difference(lambda t: partials(x, t)[0], y, eps=1e-5), rel=1e-5, abs=1e-6)


def test_pow_of_negative_base_with_integer_exponent():
    x = Value(-2.0)
    y = x**3
    y.backward()
    assert (y.data, x.grad) == (-8.0, 12.0)


def test_pow_zero_exponent_has_zero_derivative_even_at_zero():
    x = Value(0.0)
    (x**0).backward()
    assert x.grad == 0.0


def test_abs_and_relu_derivative_at_the_kink_is_zero():
    x = Value(0.0)
    (abs(x) + x.relu()).backward()
    assert x.grad == 0.0


def test_sigmoid_and_softplus_are_stable_at_extremes():
    assert Value(1000.0).sigmoid().data == 1.0
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).softplus().data == 1000.0
    assert Value(-1000.0).softplus().data == 0.0
    x = Value(-1000.0)
    x.softplus().backward()
    assert x.grad == 0.0
    assert Value(-40.0).softplus().data == pytest.approx(math.exp(-40.0), rel=1e-12)


# n-ary helpers ----------------------------------------------------------------------------


def test_sum_is_one_node_and_each_input_gets_one():
    import autograd

    xs = [Value(float(i)) for i in range(5)]
    s = autograd.sum(xs + [xs[0]])
    s.backward()
    assert s.data == 10.0 and s.op == "sum" and len(s.parents) == 6
    assert [x.grad for x in xs] == [2.0, 1.0, 1.0, 1.0, 1.0]


def test_dot_is_one_node_with_both_partials():
    import autograd

    w = [Value(1.0), Value(-2.0), Value(0.5)]
    x = [Value(3.0), Value(4.0), Value(-6.0)]
    d = autograd.dot(w, x)
    d.backward()
    assert d.data == 3.0 - 8.0 - 3.0 and d.op == "dot" and len(d.parents) == 6
    assert [v.grad for v in w] == [3.0, 4.0, -6.0]
    assert [v.grad for v in x] == [1.0, -2.0, 0.5]


def test_wide_dot_is_a_shallow_graph():
    import autograd

    w = [Value(0.001 * i) for i in range(10_000)]
    out = autograd.dot(w, [1.0] * 10_000) + 1.0
    assert len(autograd.topological_order(out)) == 2 * 10_000 + 3
    out.backward()
    assert all(v.grad == 1.0 for v in w)


def test_dot_rejects_mismatched_lengths():
    import autograd

    with pytest.raises(ValueError, match=r"dot: lengths differ \(2 weights, 3 inputs\)"):
        autograd.dot([Value(1.0)] * 2, [1.0] * 3)


def test_mean():
    import autograd

    xs = [Value(1.0), Value(2.0), Value(6.0)]
    m = autograd.mean(xs)
    m.backward()
    assert m.data == 3.0
    assert [x.grad for x in xs] == [pytest.approx(1 / 3)] * 3


def test_softmax_values_and_jacobian_row():
    import autograd

    logits = [1.0, 2.0, 0.5]
    xs = [Value(v) for v in logits]
    probs = autograd.softmax(xs)
    exps = [math.exp(v) for v in logits]
    expected = [e / sum(exps) for e in exps]
    assert [p.data for p in probs] == pytest.approx(expected, rel=1e-12)
    probs[0].backward()  # d p0 / d x_j = p0 (delta_0j - p_j)
    p = expected
    assert [x.grad for x in xs] == pytest.approx([p[0] * (1 - p[0]), -p[0] * p[1], -p[0] * p[2]], rel=1e-12)


def test_softmax_and_logsumexp_do_not_overflow():
    import autograd

    xs = [Value(1000.0), Value(1000.0), Value(-1000.0)]
    assert [p.data for p in autograd.softmax(xs)] == pytest.approx([0.5, 0.5, 0.0])
    lse = autograd.logsumexp(xs)
    assert lse.data == pytest.approx(1000.0 + math.log(2.0), rel=1e-15)
    lse.backward()  # d lse / d x_i = softmax_i
    assert [x.grad for x in xs] == pytest.approx([0.5, 0.5, 0.0])


@pytest.mark.parametrize("x", [1e15, 1e16, 1e300, -1e300, 3.0])
def test_logsumexp_gradient_is_exact_for_large_inputs(x):
    # Issue 21 item 4: d/dx_i logsumexp = softmax_i; at x = y the weights are 0.5 each. Computed as
    # e**(x_i - out), the rounding of out gave 0.472 at 1e15 and 1.0 from 1e16 (summing to 2).
    import autograd
    import numpy as np

    a, b, c = Value(x), Value(x), Value(x - 1.0 if abs(x) < 1e16 else x)
    weights = grad(autograd.logsumexp([a, b]), [a, b])
    assert weights == [0.5, 0.5] and math.fsum(weights) == 1.0
    three = grad(autograd.logsumexp([a, b, c]), [a, b, c])
    assert math.fsum(three) == pytest.approx(1.0, rel=1e-15)
    # second order (create_graph): d softmax_a / d a = p (1 - p) = 0.25, d / d b = -0.25
    first = grad(autograd.logsumexp([a, b]), [a, b], create_graph=True)
    assert [g.data for g in first] == [0.5, 0.5] and grad(first[0], [a, b]) == [0.25, -0.25]
    # a tape's batch: the same weights
    w = Value(1.0)
    tape = autograd.trace(lambda u, v: autograd.logsumexp([u * w, v]), [0.0, 0.0], params=[w])
    tape.forward(np.array([[x, x]]))
    assert tape.backward() == [0.5 * x]


def test_logsumexp_keeps_a_term_that_is_tiny_next_to_the_max():
    # log(1 + e**-40) = 4.25e-18: log1p of the other terms, not log of a sum that rounds to 1, so
    # the cross entropy of a confident, correct prediction is its true small loss (the same
    # cancellation as bce_with_logits at z = 40).
    import autograd
    import nn

    tiny = math.log1p(math.exp(-40.0))
    assert autograd.logsumexp([Value(0.0), Value(-40.0)]).data == pytest.approx(tiny, rel=1e-15)
    assert nn.cross_entropy_loss([Value(40.0), Value(0.0)], 0).data == pytest.approx(tiny, rel=1e-15)
    assert autograd.softmax([Value(40.0), Value(0.0)])[0].data == 1.0 - tiny
    [log_p] = [autograd.logsumexp([Value(0.0), Value(-40.0)])]
    tape = autograd.trace(lambda u, v: nn.cross_entropy_loss([u, v], 0), [0.0, 0.0])
    [out] = tape.forward([[40.0, 0.0], [1e5 + 1, 1e5]])
    assert list(out) == [pytest.approx(tiny, rel=1e-15), pytest.approx(math.log1p(math.exp(-1.0)), rel=1e-15)]
    assert log_p.data > 0.0


def test_logsumexp_matches_naive_formula():
    import autograd

    xs = [0.3, -1.2, 2.0]
    assert autograd.logsumexp([Value(x) for x in xs]).data == pytest.approx(
        math.log(sum(math.exp(x) for x in xs)), rel=1e-14
    )


def test_empty_sum_and_errors_for_empty_helpers():
    import autograd

    assert autograd.sum([]).data == 0.0
    for helper in (autograd.mean, autograd.softmax, autograd.logsumexp):
        with pytest.raises(ValueError, match="needs at least one input"):
            helper([])
