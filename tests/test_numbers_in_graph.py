"""A number in an expression (`y * 1.0001 + 0.0001`) is stored as a number: it costs no node, yet
it reads as a constant parent, and every gradient is what an explicit constant Value gives."""

import gc
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, grad, topological_order

FINITE = st.floats(-10, 10, allow_nan=False)


def count_values() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is Value)


def test_a_chain_written_with_numbers_makes_one_node_per_op():
    x = Value(1.0)
    before = count_values()
    y = x
    for _ in range(100):
        y = y * 1.0001 + 0.0001
    assert count_values() - before == 200  # the results only: no constant node per number
    y.backward()
    assert x.grad == pytest.approx(1.0001**100, rel=1e-12)


def test_the_number_reads_as_one_constant_parent_kept_once_made():
    x = Value(2.0)
    y = 3 - x
    first, second = y.parents, y.parents
    assert first[1] is x and first[0] is second[0]
    assert (first[0].data, first[0].requires_grad, first[0].parents) == (3.0, False, ())
    assert [n.data for n in topological_order(y)] == [3.0, 2.0, 1.0]


@settings(max_examples=200)
@given(FINITE, FINITE, st.sampled_from(["add", "sub", "mul", "div", "pow"]), st.booleans())
def test_numbers_give_the_gradients_of_explicit_constants(x, c, op, number_on_the_left):
    import operator

    f = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv, "pow": operator.pow}[op]

    def build(constant):
        v = Value(x)
        try:
            y = f(constant, v) if number_on_the_left else f(v, constant)
            y = (y * y).tanh()  # a second op so the number's node has a user
        except (ArithmeticError, ValueError):
            return v, None
        return v, y

    v1, y1 = build(c)
    v2, y2 = build(Value(c, requires_grad=False))
    if y1 is None or y2 is None:
        assert y1 is None and y2 is None  # the same domain error either way
        return
    assert y1.data == y2.data
    assert outcome(lambda: grad(y1, [v1])) == outcome(lambda: grad(y2, [v2]))

    def second(y, v):
        [d] = grad(y, [v], create_graph=True)
        return [d.data] + grad(d, [v])

    assert outcome(lambda: second(y1, v1)) == outcome(lambda: second(y2, v2))


def outcome(compute):
    """What `compute` gives: its numbers (NaN spelled out, so NaN == NaN) or the kind of error."""
    try:
        return ["nan" if math.isnan(x) else x for x in compute()]
    except (ArithmeticError, ValueError) as error:
        return type(error)


@settings(max_examples=100)
@given(st.lists(st.tuples(st.sampled_from(["+", "-", "*", "/"]), st.booleans(), FINITE), min_size=1, max_size=8))
def test_a_number_is_never_in_the_first_slot_and_reads_in_its_place(steps):
    # The engine's hot loop takes the first slot to hold a Value; a number first (`2 * x`) keeps
    # its place in the general layout, and `parents` shows the inputs in the order written.
    import operator

    from autograd.reference import reference_gradients

    ops = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
    x = Value(1.5)
    y = x
    for symbol, number_on_the_left, c in steps:
        if symbol == "/" and abs(y.data if number_on_the_left else c) < 0.1:
            continue
        previous = y
        y = ops[symbol](c, y) if number_on_the_left else ops[symbol](y, c)
        assert type(y._p0) is not float
        first, second = y.parents
        if number_on_the_left:
            assert (first.data, first.requires_grad, second) == (c, False, previous)
        else:
            assert (first, second.data, second.requires_grad) == (previous, c, False)
    if y is x:
        return
    assert grad(y, [x]) == [reference_gradients(y)[x]]
