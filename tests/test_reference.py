"""The fast backward pass (`autograd.engine`) against the plain one (`autograd.reference`):
the same algorithm, so the same gradients, bit for bit, first and second order."""

import math

from hypothesis import given, settings

from autograd import Value, grad
from autograd.reference import reference_gradients
from autograd.testing import programs_and_inputs

EXAMPLES = settings.default.max_examples
RANDOM_PROGRAMS = programs_and_inputs(max_inputs=3, max_nodes=12)


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def leaves_and_output(case):
    program, inputs = case
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(inputs)]
    return leaves, program(*leaves)


@settings(max_examples=EXAMPLES)
@given(RANDOM_PROGRAMS)
def test_fast_and_reference_passes_give_identical_first_derivatives(case):
    leaves, y = leaves_and_output(case)
    reference = reference_gradients(y)
    fast = grad(y, leaves)
    assert all(same(f, reference.get(x, 0.0)) for f, x in zip(fast, leaves)), (fast, [reference.get(x) for x in leaves])


@settings(max_examples=EXAMPLES)
@given(RANDOM_PROGRAMS)
def test_fast_and_reference_passes_give_identical_second_derivatives(case):
    leaves, y = leaves_and_output(case)
    x0 = leaves[0]
    [fast_dy] = grad(y, [x0], create_graph=True)
    reference_dy = reference_gradients(y, create_graph=True).get(x0)
    if reference_dy is None:  # y does not depend on x0: both say 0
        assert fast_dy.data == 0.0
        return
    assert same(fast_dy.data, reference_dy.data)
    fast = grad(fast_dy, leaves, allow_constant=True)  # dy may not depend on the inputs at all
    reference = reference_gradients(reference_dy)
    assert all(same(f, reference.get(x, 0.0)) for f, x in zip(fast, leaves)), (fast, [reference.get(x) for x in leaves])


def test_a_value_used_twice_gets_both_uses():
    a = Value(3.0)
    b = a * a  # d/da = 2a = 6
    c = b + a  # d/da = 6 + 1
    assert reference_gradients(c)[a] == 7.0 == grad(c, [a])[0]


def test_a_constant_gets_no_gradient_and_passes_none_on():
    x = Value(2.0)
    frozen = x * 3
    frozen.requires_grad = False  # an interior node marked constant: x is cut off behind it
    y = frozen * x
    assert x not in reference_gradients(frozen * 1.0) and reference_gradients(y)[x] == 6.0 == grad(y, [x])[0]


def test_no_rule_runs_for_a_constant_input():
    # x ** 3 at -2: the exponent is a constant; its rule (x**y log x) is undefined there and never runs.
    x = Value(-2.0)
    assert reference_gradients(x**3)[x] == 12.0 == grad(x**3, [x])[0]
    [d] = grad(x**3, [x], create_graph=True)
    assert reference_gradients(d)[x] == -12.0
