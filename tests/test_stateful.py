"""The engine under a Hypothesis state machine (autograd.testing.graph_machine): graph building,
backward, zero_grad, no_grad, grad(create_graph=True), detach, deepcopy and define_op in any
order, every leaf gradient checked against finite differences after each step."""

import pytest
from hypothesis import settings

from autograd import define_op
from autograd.testing import GraphMachine, graph_machine

# The loaded profile's example count (dev 50, ci 300), capped: each example is a whole program.
EXAMPLES = min(settings.default.max_examples, 100)

TestDefaultOps = graph_machine(max_examples=EXAMPLES, stateful_step_count=25).TestCase

CUBE = define_op("stateful_test_cube", lambda x: x**3, [lambda g, out, x: g * 3 * x * x])
TestAUserOp = graph_machine(ops=[CUBE, "mul", "tanh", "sum"], max_examples=EXAMPLES, stateful_step_count=15).TestCase


def test_the_machine_catches_a_wrong_rule():
    wrong = define_op("stateful_wrong_cube", lambda x: x**3, [lambda g, out, x: g * 2 * x * x])
    Machine = graph_machine(ops=[wrong, "add"], stateful_step_count=15)
    Machine.TestCase.settings = settings(Machine.TestCase.settings, max_examples=200, print_blob=False)
    with pytest.raises(AssertionError, match="finite differences"):
        Machine.TestCase().runTest()


def test_graph_machine_validates_its_ops():
    with pytest.raises(ValueError, match="unknown op 'nope'"):
        graph_machine(ops=["nope"])
    with pytest.raises(TypeError, match="ops must be op names or Ops"):
        graph_machine(ops=[3])
    assert issubclass(graph_machine(), GraphMachine)
