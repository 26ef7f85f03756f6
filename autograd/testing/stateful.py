"""A Hypothesis state machine that uses the engine the way programs do, in any order.

`graph_machine(ops=...)` returns a `RuleBasedStateMachine` whose rules build graphs from leaves
and table ops, run `backward`, `zero_grad`, `grad(..., create_graph=True)`, build under
`no_grad()`, `detach`, `copy.deepcopy`, and define an op with `define_op`, interleaved as
Hypothesis chooses. After every step each leaf's `.grad` is checked against an independent
reference: every node keeps a plain-float recipe of itself (the ops' float forwards over the
leaves' numbers), and gradients are its central finite differences. A failure shrinks to a
short sequence of steps.

Run it on your own ops (inputs are kept inside `autograd.testing.domain_of(op)`, away from kinks):

>>> import math
>>> from autograd import define_op
>>> from autograd.testing import graph_machine
>>> cube = define_op("doc_cube", lambda x: x ** 3, [lambda grad, out, x: grad * 3 * x * x])
>>> Machine = graph_machine(ops=[cube, "tanh", "mul"], max_examples=5)
>>> Machine.TestCase().runTest()

(In a test module, `TestMyOps = graph_machine(ops=[...]).TestCase` is collected by pytest.)
"""

from __future__ import annotations

import copy
import math
from typing import Optional, Sequence

from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from autograd import Value, define_op, grad, no_grad
from autograd.ops import OPS, Op
from autograd.testing.domains import domain_of

__all__ = ["graph_machine", "GraphMachine"]

# Default ops: the smooth built-ins and the kinked ones (kept away from their kinks).
DEFAULT_OPS = ("add", "sub", "mul", "div", "neg", "tanh", "sigmoid", "sin", "cos", "exp", "softplus", "relu", "abs")

_EPS = 1e-6  # finite-difference step
_MAX = 50.0  # every value (and recipe) stays within this magnitude: no overflow, FD is meaningful
_MARGIN = 0.1  # distance from kinks, in the op's own inputs (finite differences never cross one)


class _Node:
    """A Value of the machine's pool with its float recipe: recipe(env) recomputes its data from
    the leaves' numbers (env: leaf index -> float). A constant (no_grad, detach) has a recipe
    that ignores env: its gradient must be 0. `depth` is 1 for a derivative made by
    `grad(create_graph=True)` (its recipe is itself a finite difference)."""

    def __init__(self, value: Value, recipe, leaves: frozenset, depth: int = 0):
        self.value, self.recipe, self.leaves, self.depth = value, recipe, leaves, depth

    def __repr__(self) -> str:
        return f"node({self.value.data!r}, op={self.value.op!r})"


class GraphMachine(RuleBasedStateMachine):
    """The machine; `graph_machine(ops=...)` makes one with your ops (this one uses DEFAULT_OPS)."""

    OPS: Sequence[Op] = tuple(OPS[name] for name in DEFAULT_OPS)

    nodes = Bundle("nodes")

    def __init__(self):
        super().__init__()
        self.leaves: list = []  # the leaf Values, index = position
        self.expected: list = []  # per leaf: the gradient it should hold (None: has_grad False)
        self.square = None  # an op defined by the define_op rule

    # -- building --------------------------------------------------------------------------
    @initialize(target=nodes, x=st.floats(-2.0, 2.0))
    def first_leaf(self, x):
        return self._leaf(x, True)

    @rule(target=nodes, x=st.floats(-2.0, 2.0), requires_grad=st.booleans())
    def leaf(self, x, requires_grad):
        return self._leaf(x, requires_grad)

    def _leaf(self, x, requires_grad):
        index = len(self.leaves)
        value = Value(x, label=f"x{index}", requires_grad=requires_grad)
        self.leaves.append(value)
        self.expected.append(None)
        if not requires_grad:
            return _Node(value, lambda env, x=x: x, frozenset())
        return _Node(value, lambda env, i=index: env[i], frozenset([index]))

    def _apply(self, op: Op, args: list, under_no_grad: bool = False) -> _Node:
        inputs = [a.value.data for a in args]
        assume(domain_of(op).admits(inputs, kink_margin=_MARGIN))
        try:
            out = op.forward(*inputs)
        except (ArithmeticError, ValueError):
            assume(False)
        assume(math.isfinite(out) and abs(out) <= _MAX)
        if under_no_grad:
            with no_grad():
                value = op(*[a.value for a in args])
        else:
            value = op(*[a.value for a in args])
        assert value.data == out, f"{op.name}{tuple(inputs)}: the Value holds {value.data!r}, the forward gives {out!r}"
        recipes = [a.recipe for a in args]
        if under_no_grad or not value.requires_grad:
            return _Node(value, lambda env, out=out: out, frozenset())
        return _Node(value, lambda env: op.forward(*[r(env) for r in recipes]), frozenset().union(*(a.leaves for a in args)))

    @rule(target=nodes, data=st.data(), a=nodes, b=nodes)
    def apply_op(self, data, a, b):
        op = data.draw(st.sampled_from(list(self.OPS)), label="op")
        arity = op.arity or data.draw(st.sampled_from(domain_of(op).arities or (2,)), label="arity")
        args = [a, b, *data.draw(st.lists(st.sampled_from([a, b]), min_size=max(arity - 2, 0), max_size=max(arity - 2, 0)))]
        return self._apply(op, args[:arity])

    @rule(target=nodes, a=nodes, b=nodes)
    def mul_under_no_grad(self, a, b):
        return self._apply(OPS["mul"], [a, b], under_no_grad=True)

    @rule(target=nodes, a=nodes)
    def detach(self, a):
        value = a.value.detach()
        assert value.data == a.value.data and not value.requires_grad and value.parents == ()
        return _Node(value, lambda env, x=value.data: x, frozenset())

    @rule(target=nodes, a=nodes)
    def define_and_apply_an_op(self, a):
        if self.square is None:
            self.square = define_op("stateful_square", lambda x: x * x, [lambda grad, out, x: grad * 2 * x])
        return self._apply(self.square, [a])

    @rule(target=nodes, a=nodes)
    def derivative_with_create_graph(self, a):
        """d a / d x_i for a leaf x_i, as a new node (its recipe: finite differences of a's)."""
        assume(a.value.requires_grad and a.leaves and _depth(a) == 0)
        i = min(a.leaves)
        [d] = grad(a.value, [self.leaves[i]], create_graph=True)
        expected = _central_difference(a.recipe, self._env(), i)
        _check_close(d.data, expected, f"grad(create_graph=True) of {a!r} w.r.t. x{i}")
        assume(abs(d.data) <= _MAX)
        if not d.requires_grad:
            return _Node(d, lambda env, x=d.data: x, frozenset())
        recipe = a.recipe
        return _Node(d, lambda env: _central_difference(recipe, env, i, step=1e-4), a.leaves, depth=1)

    # -- gradients ---------------------------------------------------------------------------
    @rule(a=nodes)
    def backward(self, a):
        if not a.value.requires_grad:
            try:
                a.value.backward()
            except ValueError:
                return
            raise AssertionError(f"backward() on the constant {a!r} did not raise")
        a.value.backward()
        env = self._env()
        for i in a.leaves:
            g = _central_difference(a.recipe, env, i, step=_step_for(a))
            self.expected[i] = g if self.expected[i] is None else self.expected[i] + g
        for i in range(len(self.leaves)):  # leaves a does not depend on (through a gradient) get 0
            if i not in a.leaves and self.leaves[i].requires_grad and _reaches(a.value, self.leaves[i]):
                self.expected[i] = self.expected[i] or 0.0

    @rule(a=nodes)
    def functional_grad(self, a):
        assume(a.value.requires_grad)
        targets = [i for i, leaf in enumerate(self.leaves) if leaf.requires_grad]
        grads = grad(a.value, [self.leaves[i] for i in targets])
        env = self._env()
        for i, g in zip(targets, grads):
            expected = _central_difference(a.recipe, env, i, step=_step_for(a)) if i in a.leaves else 0.0
            _check_close(g, expected, f"grad({a!r}) w.r.t. x{i}", loose=_depth(a) > 0)

    @rule(data=st.data())
    def zero_grad(self, data):
        i = data.draw(st.integers(0, len(self.leaves) - 1), label="leaf")
        self.leaves[i].zero_grad()
        self.expected[i] = None

    @rule(a=nodes)
    def deepcopy(self, a):
        memo: dict = {}
        copied = copy.deepcopy(a.value, memo)
        assert copied is not a.value and copied.data == a.value.data and copied.op == a.value.op
        assert copied.requires_grad == a.value.requires_grad and copied.label == a.value.label
        for i, leaf in enumerate(self.leaves):
            twin = memo.get(id(leaf))
            if twin is None:
                continue
            assert (twin.data, twin.grad, twin.has_grad, twin.requires_grad, twin.label) == (
                leaf.data, leaf.grad, leaf.has_grad, leaf.requires_grad, leaf.label)
        if copied.requires_grad:  # the copy trains on its own: its backward leaves the originals alone
            before = [(leaf.has_grad, leaf.grad) for leaf in self.leaves]
            twins = {i: memo[id(leaf)] for i, leaf in enumerate(self.leaves) if id(leaf) in memo}
            for twin in twins.values():
                twin.zero_grad()
            copied.backward()
            assert [(leaf.has_grad, leaf.grad) for leaf in self.leaves] == before
            env = self._env()
            for i in a.leaves:
                if i in twins:
                    _check_close(twins[i].grad, _central_difference(a.recipe, env, i, step=_step_for(a)),
                                 f"the deepcopy of {a!r}: d/dx{i}", loose=_depth(a) > 0)

    # -- the invariant -------------------------------------------------------------------------
    @invariant()
    def leaf_gradients_match_the_reference(self):
        for i, (leaf, expected) in enumerate(zip(self.leaves, self.expected)):
            if not leaf.requires_grad:
                assert not leaf.has_grad, f"the constant x{i} got a gradient {leaf.grad!r}"
            elif expected is None:
                assert not leaf.has_grad, f"x{i} holds {leaf.grad!r} after zero_grad, with no backward since"
            else:
                _check_close(leaf.grad, expected, f"x{i}.grad", loose=True)

    def _env(self) -> dict:
        return {i: leaf.data for i, leaf in enumerate(self.leaves)}


def _depth(node: _Node) -> int:
    return node.depth


def _step_for(node: _Node) -> float:
    return 1e-3 if _depth(node) else _EPS


def _reaches(root: Value, leaf: Value) -> bool:
    from autograd.engine import topological_order

    return any(n is leaf for n in topological_order(root))


def _central_difference(recipe, env: dict, i: int, step: float = _EPS) -> float:
    plus, minus = dict(env), dict(env)
    plus[i] += step
    minus[i] -= step
    return (recipe(plus) - recipe(minus)) / (2 * step)


def _check_close(got: float, expected: float, what: str, loose: bool = False) -> None:
    atol, rtol = (1e-3, 1e-2) if loose else (1e-5, 1e-4)
    assert abs(got - expected) <= atol + rtol * abs(expected), (
        f"{what}: the engine gives {got!r}, finite differences {expected!r}")


def graph_machine(ops: Optional[Sequence] = None, *, max_examples: Optional[int] = None, stateful_step_count: int = 30):
    """A `GraphMachine` class over `ops` (names or `Op`s; None: the default built-ins).
    `Machine.TestCase` is a unittest/pytest test case that runs it.

    >>> graph_machine(ops=["add", "tanh"]).OPS[1].name
    'tanh'
    """
    chosen = DEFAULT_OPS if ops is None else list(ops)
    resolved = []
    for op in chosen:
        if isinstance(op, str):
            if op not in OPS:
                raise ValueError(f"graph_machine: unknown op {op!r}; known ops: {', '.join(sorted(OPS))}")
            op = OPS[op]
        if not isinstance(op, Op):
            raise TypeError(f"graph_machine: ops must be op names or Ops, got {type(op).__name__}: {op!r}")
        resolved.append(op)
    if not resolved:
        raise ValueError("graph_machine: ops is empty")
    machine = type("GraphMachine", (GraphMachine,), {"OPS": tuple(resolved)})
    options = {
        "stateful_step_count": stateful_step_count,
        "deadline": None,
        "suppress_health_check": [HealthCheck.filter_too_much, HealthCheck.too_slow],
    }
    if max_examples is not None:
        options["max_examples"] = max_examples
    machine.TestCase.settings = settings(machine.TestCase.settings, **options)
    return machine
