"""check_engine: dagrad as the oracle for an engine a student wrote (issue 26 item 5), on a
micrograd-style engine with and without the two classic bugs."""

import pytest

from autograd import Value, grad
from autograd.testing import EngineMismatch, check_engine
from micrograd_style import make_engine

OPS = ["add", "sub", "mul", "div", "neg", "pow", "tanh"]


def _check(engine, ops=OPS, **options):
    check_engine(leaf=engine, ops=ops, backward=lambda out: out.backward(), grad_of=lambda leaf: leaf.grad,
                 constant_args={"pow": (1,)}, seed=0, **options)


def test_a_correct_micrograd_style_engine_passes():
    _check(make_engine(), max_examples=150)


def test_gradients_overwritten_instead_of_accumulated_shrink_to_a_shared_value():
    with pytest.raises(EngineMismatch) as caught:
        _check(make_engine(overwrite=True))
    error = caught.value
    program, inputs = error.case
    # the smallest program that shows it: one node reading one value twice (x0 + x0, x0 * x0 ...)
    assert len(program) == 1 and len(set(program.nodes[0].indices)) == 1 < len(program.nodes[0].indices)
    assert "accumulation at fault" in str(error) and "x0 (2 uses)" in str(error)
    assert error.expected == pytest.approx(2 * error.got) or error.got == 0


def test_a_wrong_pow_rule_is_named_and_the_program_is_runnable():
    with pytest.raises(EngineMismatch) as caught:
        _check(make_engine(wrong_pow=True), ops=[op for op in OPS if op != "div"])  # its div is built on pow
    error = caught.value
    assert "op at fault: pow" in str(error)
    program, inputs = error.case
    # x ** 2.0 alone at 1.0 hides the bug (2 * 1**2 == 2 * 1): the shrunk program moves the base
    assert "pow" in program.ops and len(program) <= 2
    # the message's program is dagrad source: it runs, and gives dagrad's number
    namespace = {}
    exec(repr(error.case).rsplit("\n", 1)[0], namespace)
    leaves = [Value(x) for x in inputs]
    assert grad(namespace["program"](*leaves), leaves)[0] == pytest.approx(error.expected)


def test_an_op_that_ignores_its_upstream_gradient_is_named():
    with pytest.raises(EngineMismatch, match="op at fault: tanh .* ignores its upstream gradient"):
        _check(make_engine(tanh_ignores_upstream=True))


def test_dagrad_against_itself_with_second_order():
    check_engine(
        leaf=Value, ops=["add", "mul", "tanh", "exp", "pow", "sin"], backward=lambda out: out.backward(),
        grad_of=lambda leaf: leaf.grad,
        differentiate=lambda out, leaves: grad(out, leaves, create_graph=True, allow_constant=True),
        max_examples=40, seed=0,
    )


def test_the_adapter_is_validated():
    with pytest.raises(ValueError, match="unknown op 'square'"):
        check_engine(leaf=Value, ops=["square"], backward=Value.backward, grad_of=lambda v: v.grad)
    with pytest.raises(ValueError, match="'sum' has no Python operator or method"):
        check_engine(leaf=Value, ops=["sum"], backward=Value.backward, grad_of=lambda v: v.grad)
