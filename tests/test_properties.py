"""The engine's property suite, written with the public tools of `autograd.testing`.

Every op over its domain, random programs to first, second and third order, algebraic laws of
differentiation, and PyTorch float64 as an oracle when it is installed. Example counts scale
with the hypothesis profile (tests/conftest.py): `ci` runs 300 per property, random programs
to first order 4 x 300.
"""

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd
from autograd import OPS, Value, grad, no_grad
from autograd.testing import (
    Program,
    check_grads,
    domain_of,
    gradcheck,
    gradgradcheck,
    programs,
    programs_and_inputs,
    valid_inputs,
)

EXAMPLES = settings.default.max_examples  # 300 under the ci profile, 50 under dev
BUILTIN_OPS = [name for name, op in OPS.items() if op.builtin]
UNARY_OPS = [name for name in BUILTIN_OPS if OPS[name].arity == 1]
# (op, number of inputs): n-ary ops at each arity their domain allows.
OP_CASES = [
    (name, arity)
    for name in BUILTIN_OPS
    for arity in ([OPS[name].arity] if OPS[name].arity is not None else domain_of(name).arities)
]
RANDOM_PROGRAMS = programs_and_inputs(max_inputs=3, max_nodes=10)


# -- every op over its domain -----------------------------------------------------------------------


def test_every_builtin_op_is_covered():
    assert {name for name, _ in OP_CASES} == set(BUILTIN_OPS) and len(BUILTIN_OPS) >= 19


@pytest.mark.parametrize("name, arity", OP_CASES)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_every_op_passes_gradcheck_and_gradgradcheck_over_its_domain(name, arity, data):
    program = Program.from_op(name, arity)
    inputs = data.draw(valid_inputs(program, min_value=-5.0, max_value=5.0), label="inputs")
    assert gradcheck(program, inputs)
    assert gradgradcheck(program, inputs)


def test_pow_mixed_second_derivative_at_zero_exponent():
    # d/dy (d/dx x**y) = x**(y-1) (1 + y log x), which is 1/x at y = 0: the rule must keep y.
    x, y = Value(2.5), Value(0.0)
    [dx] = grad(x**y, [x], create_graph=True)
    [dxdy] = grad(dx, [y])
    assert dx.data == 0.0 and dxdy == pytest.approx(1 / 2.5, rel=1e-15)
    assert gradgradcheck(lambda x, y: x**y, [2.5, 0.0])


# -- random programs -------------------------------------------------------------------------------


@settings(max_examples=4 * EXAMPLES)
@given(RANDOM_PROGRAMS)
def test_random_programs_pass_gradcheck(case):
    program, inputs = case
    assert gradcheck(program, inputs)


@settings(max_examples=EXAMPLES)
@given(RANDOM_PROGRAMS)
def test_random_programs_pass_gradgradcheck(case):
    program, inputs = case
    assert gradgradcheck(program, inputs)


@settings(max_examples=max(EXAMPLES // 3, 20))
@given(programs_and_inputs(max_inputs=2, max_nodes=5))
def test_small_random_programs_pass_check_grads_to_order_three(case):
    program, inputs = case
    assert check_grads(program, inputs, order=3)


def test_the_ci_profile_runs_every_property_at_least_300_times():
    ci = settings.get_profile("ci")
    assert ci.max_examples >= 300 and ci.derandomize and ci.deadline is None


# -- algebraic laws --------------------------------------------------------------------------------


def traced(case):
    """Fresh leaves for the inputs and every value of the program on them."""
    program, inputs = case
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(inputs)]
    return leaves, program.trace(leaves)


def two_values(case, data):
    """The leaves of a traced program and two of its values drawn by hypothesis."""
    leaves, values = traced(case)
    return leaves, data.draw(st.sampled_from(values), label="a"), data.draw(st.sampled_from(values), label="b")


def close(expected):
    return pytest.approx(expected, rel=1e-9, abs=1e-12)


@settings(max_examples=EXAMPLES)
@given(RANDOM_PROGRAMS, st.data())
def test_gradient_of_a_sum_is_the_sum_of_gradients(case, data):
    leaves, a, b = two_values(case, data)
    both = grad(a + b, leaves)
    assert both == [close(ga + gb) for ga, gb in zip(grad(a, leaves), grad(b, leaves))]
    assert grad(autograd.sum([a, b, a]), leaves) == [close(2 * ga + gb) for ga, gb in zip(grad(a, leaves), grad(b, leaves))]


@settings(max_examples=EXAMPLES)
@given(RANDOM_PROGRAMS, st.data())
def test_product_rule(case, data):
    leaves, a, b = two_values(case, data)
    expected = [a.data * gb + b.data * ga for ga, gb in zip(grad(a, leaves), grad(b, leaves))]
    assert grad(a * b, leaves) == [close(e) for e in expected]


@settings(max_examples=EXAMPLES)
@given(RANDOM_PROGRAMS, st.sampled_from(UNARY_OPS), st.data())
def test_chain_rule_through_every_unary_op(case, name, data):
    leaves, values = traced(case)
    inner = data.draw(st.sampled_from(values), label="inner")
    assume(domain_of(name).admits([inner.data], kink_margin=1e-2))
    op = OPS[name]
    point = Value(inner.data)
    [outer_derivative] = grad(op(point), [point])  # u'(inner), from a graph of one op
    expected = [outer_derivative * g for g in grad(inner, leaves)]
    assert grad(op(inner), leaves) == [close(e) for e in expected]


@settings(max_examples=EXAMPLES)
@given(RANDOM_PROGRAMS)
def test_grad_with_and_without_create_graph_agree(case):
    leaves, values = traced(case)
    with_graph = grad(values[-1], leaves, create_graph=True)
    assert all(isinstance(g, Value) for g in with_graph)
    assert [g.data for g in with_graph] == [close(g) for g in grad(values[-1], leaves)]


@settings(max_examples=EXAMPLES)
@given(RANDOM_PROGRAMS)
def test_backward_and_grad_agree(case):
    leaves, values = traced(case)
    expected = grad(values[-1], leaves)
    values[-1].backward()
    assert [leaf.grad for leaf in leaves] == [close(g) for g in expected]
    values[-1].backward()  # leaves accumulate
    assert [leaf.grad for leaf in leaves] == [close(2 * g) for g in expected]


@settings(max_examples=EXAMPLES)
@given(RANDOM_PROGRAMS)
def test_no_grad_records_nothing_and_computes_the_same_numbers(case):
    program, inputs = case
    leaves = [Value(x) for x in inputs]
    with no_grad():
        values = program.trace(leaves)
    assert autograd.is_recording()
    for value in values[program.n_inputs:]:
        assert value.parents == () and value.op == "" and not value.requires_grad
    assert [v.data for v in values] == program.trace(list(inputs))


@settings(max_examples=EXAMPLES)
@given(RANDOM_PROGRAMS)
def test_values_compute_exactly_the_float_program_and_its_source(case):
    program, inputs = case
    floats = program.trace(list(inputs))
    leaves, values = traced(case)
    assert [v.data for v in values] == floats
    namespace = {"autograd": autograd, "OPS": OPS}
    exec(program.source, namespace)
    assert namespace["program"](*[Value(x) for x in inputs]).data == floats[-1]


# -- PyTorch float64 as an oracle ----------------------------------------------------------------


def torch_ops(torch):
    def dot(*xs):
        half = len(xs) // 2
        return torch.stack([w * x for w, x in zip(xs[:half], xs[half:])]).sum()

    return {
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b,
        "pow": lambda a, b: a**b,
        "neg": lambda a: -a,
        "abs": torch.abs,
        "exp": torch.exp,
        "log": torch.log,
        "sqrt": torch.sqrt,
        # torch's softplus switches to x above a threshold of 20: log(1 + e**x) exactly instead.
        "softplus": lambda a: torch.logaddexp(a, torch.zeros_like(a)),
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "relu": torch.relu,
        "leaky_relu": lambda a, slope: torch.where(a > 0, a, slope * a),
        "sin": torch.sin,
        "cos": torch.cos,
        "sum": lambda *xs: torch.stack(xs).sum(),
        "dot": dot,
    }


def torch_derivatives(torch, program, inputs):
    """Value, gradient and Hessian of the program in torch float64."""
    leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    out = program.run_with(torch_ops(torch), leaves)
    grads = torch.autograd.grad(out, leaves, create_graph=True, allow_unused=True)
    hessian = []
    for g in grads:
        if g is None or not g.requires_grad:  # a constant gradient: its derivatives are 0
            hessian.append([0.0] * len(leaves))
        else:
            row = torch.autograd.grad(g, leaves, allow_unused=True, retain_graph=True)
            hessian.append([0.0 if h is None else h.item() for h in row])
    return out.item(), [0.0 if g is None else g.item() for g in grads], hessian


# The `torch` fixture (tests/conftest.py) skips these without PyTorch, and fails them under CI.


def test_torch_oracle_covers_every_builtin_op(torch):
    assert set(torch_ops(torch)) == set(BUILTIN_OPS)


@settings(max_examples=EXAMPLES)
@given(RANDOM_PROGRAMS)
def test_random_programs_agree_with_torch_float64(torch, case):
    program, inputs = case
    expected_value, expected_grad, expected_hessian = torch_derivatives(torch, program, inputs)
    leaves, values = traced(case)
    out = values[-1]
    assert out.data == close(expected_value)
    first = grad(out, leaves, create_graph=True)
    assert [g.data for g in first] == [pytest.approx(e, rel=1e-9, abs=1e-9) for e in expected_grad]
    # At an exponent of exactly 0 torch's pow backward has a special case (its Hessian is
    # asymmetric there), so it is no independent oracle at that point.
    assume(not any(node.op.name == "pow" and values[node.args[1]].data == 0.0 for node in program.nodes))
    hessian = [grad(g, leaves, allow_constant=True) for g in first]  # a constant gradient: 0
    for row, expected_row in zip(hessian, expected_hessian):
        assert row == [pytest.approx(e, rel=1e-9, abs=1e-9) for e in expected_row]
