"""A Hypothesis state machine that uses the engine the way programs do, in any order.

`graph_machine(ops=...)` returns a `RuleBasedStateMachine` whose rules build graphs from leaves
and table ops, run `backward`, `zero_grad`, `grad(..., create_graph=True)`, build under
`no_grad()`, `detach`, `copy.deepcopy`, and define an op with `define_op`, interleaved as
Hypothesis chooses. What it checks, against an independent reference (every node keeps a
plain-float recipe of itself, the ops' float forwards over the leaves' numbers):

- after every step, each leaf's `.grad` against central finite differences of the recipes of
  the nodes `backward()` ran from (accumulated over calls, reset by `zero_grad`), and that
  constants never get a gradient;
- `grad(...)` and a deep copy's own backward, against the same differences;
- every node it builds, and every derivative made with `grad(create_graph=True)`: second
  derivatives through `grad(create_graph=True)` and `grad` again, against differences of
  differences of the recipes. A derivative the engine returns as a constant is not trusted as
  one: a rule that cuts its graph (`1 - float(out)**2` for tanh) is right at first order and
  caught here, where the op is first used.

A failure names the op at fault, as `gradcheck` does (`check_grads` on a replay of the graph
involved), and shrinks to a short sequence of steps. The default budget (the Hypothesis
profile's `max_examples`, 100 unless set; 30 steps each) finds a rule wrong at first or second
order among three ops; the test suite checks that with 50, derandomized (with 10 random
examples it was caught in 4 runs of 5).

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
from typing import Any, Optional, Sequence

from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from autograd import Value, apply, define_op, grad, no_grad, topological_order
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

    def __init__(self, value: Value, recipe, leaves: frozenset, depth: int = 0, source: "Optional[_Node]" = None):
        self.value, self.recipe, self.leaves, self.depth = value, recipe, leaves, depth
        self.source = source if source is not None else self  # for a derivative: the node it differentiates

    def __repr__(self) -> str:
        op = self.value.op_entry
        what = self.value.label or "constant" if op is None else op.name
        return f"<{what} = {self.value.data:.6g}{'' if self.depth == 0 else ', a derivative'}>"


class GraphMachine(RuleBasedStateMachine):
    """The machine; `graph_machine(ops=...)` makes one with your ops (this one uses DEFAULT_OPS)."""

    OPS: Sequence[Op] = tuple(OPS[name] for name in DEFAULT_OPS)

    nodes = Bundle("nodes")

    def __init__(self):
        super().__init__()
        self.leaves: list = []  # the leaf Values, index = position
        self.expected: list = []  # per leaf: the gradient it should hold (None: has_grad False)
        self.square = None  # an op defined by the define_op rule
        self.roots: list = []  # the nodes backward() ran from: suspects when a leaf's .grad is wrong

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
        # built from a derivative, it is one too (its recipe holds a finite difference): no second
        # create_graph derivative of it, whose reference would nest differences three deep
        node = _Node(
            value,
            lambda env: op.forward(*[r(env) for r in recipes]),
            frozenset().union(*(a.leaves for a in args)),
            depth=max(_depth(a) for a in args),
        )
        self._check_second_order(node)
        return node

    @rule(target=nodes, data=st.data(), a=nodes, b=nodes)
    def apply_op(self, data, a, b):
        op = data.draw(st.sampled_from(list(self.OPS)), label="op")
        arity = op.arity or data.draw(st.sampled_from(domain_of(op).arities or (2,)), label="arity")
        args = [a, b]
        if arity > 2:  # an n-ary op: its further inputs repeat a and b
            args += data.draw(
                st.lists(st.sampled_from([a, b]), min_size=arity - 2, max_size=arity - 2), label="more inputs"
            )
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
        """d a / d x_i for a leaf x_i, as a new node, and its own derivatives (second order of a)
        checked at once. Its recipe is a finite difference of a's, even when the engine returns
        the derivative as a constant: a rule that cuts its graph (`1 - float(out)**2`) returns a
        constant where the true derivative varies, and that must be caught, not trusted."""
        assume(a.value.requires_grad and a.leaves and _depth(a) == 0)
        i = min(a.leaves)
        [d] = grad(a.value, [self.leaves[i]], create_graph=True)
        self._check(
            d.data, _central_difference(a.recipe, self._env(), i), f"grad(create_graph=True) of {a!r} w.r.t. x{i}", [a]
        )
        self._check_second_order(a, [i])
        assume(abs(d.data) <= _MAX)
        recipe = a.recipe
        return _Node(d, lambda env: _central_difference(recipe, env, i, step=1e-4), a.leaves, depth=1, source=a)

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
        self.roots.append(a)
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
            self._check(g, expected, f"grad({a!r}) w.r.t. x{i}", [a], loose=_depth(a) > 0)

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
        for leaf in self.leaves:
            twin = memo.get(id(leaf))
            if twin is None:
                continue
            assert (twin.data, twin.grad, twin.has_grad, twin.requires_grad, twin.label) == (
                leaf.data,
                leaf.grad,
                leaf.has_grad,
                leaf.requires_grad,
                leaf.label,
            )
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
                    self._check(
                        twins[i].grad,
                        _central_difference(a.recipe, env, i, step=_step_for(a)),
                        f"the deepcopy of {a!r}: d/dx{i}",
                        [a],
                        loose=_depth(a) > 0,
                    )

    # -- the invariant -------------------------------------------------------------------------
    @invariant()
    def leaf_gradients_match_the_reference(self):
        for i, (leaf, expected) in enumerate(zip(self.leaves, self.expected)):
            if not leaf.requires_grad:
                assert not leaf.has_grad, f"the constant x{i} got a gradient {leaf.grad!r}"
            elif expected is None:
                assert not leaf.has_grad, f"x{i} holds {leaf.grad!r} after zero_grad, with no backward since"
            else:
                self._check(leaf.grad, expected, f"x{i}.grad", self.roots, loose=True)

    def _env(self) -> dict:
        return {i: leaf.data for i, leaf in enumerate(self.leaves)}

    def _check_second_order(self, a: _Node, rows=None) -> None:
        """a's second derivatives w.r.t. its leaves (rows: the first leaf of each, default all)
        through grad(create_graph=True) and grad again, against differences of differences. Run
        for every node built, so a rule wrong only at second order is caught where it is used."""
        env, targets = self._env(), sorted(a.leaves)
        for i in targets if rows is None else rows:
            [d] = grad(a.value, [self.leaves[i]], create_graph=True)
            second = grad(d, [self.leaves[j] for j in targets], allow_constant=True)
            for j, g in zip(targets, second):
                self._check(
                    g,
                    _second_difference(a.recipe, env, i, j),
                    f"the second derivative d2/dx{i} dx{j} of {a!r} (grad of a create_graph gradient)",
                    [a],
                    loose=True,
                )

    def _check(self, got: float, expected: float, what: str, suspects, loose: bool = False) -> None:
        """got must match expected; when it does not, the op at fault among the suspects' graphs
        is named (as gradcheck names it) before the AssertionError is raised."""
        __tracebackhide__ = True  # pytest shows the failing step, not this helper
        atol, rtol = (1e-3, 1e-2) if loose else (1e-5, 1e-4)
        if abs(got - expected) <= atol + rtol * abs(expected):
            return
        message = f"{what}: the engine gives {got!r}, finite differences {expected!r}"
        raise AssertionError(message + self._diagnosis(suspects))

    def _diagnosis(self, suspects) -> str:
        """The node at fault in the graph of a suspect (for a derivative, of the node it
        differentiates, checked one order higher), found by `check_grads` on a replay of it."""
        from autograd.testing.gradcheck import check_grads

        leaves = [leaf for leaf in self.leaves if leaf.requires_grad]
        for node in reversed(suspects):
            source = node.source
            if not source.value.requires_grad or not leaves:
                continue
            try:
                report = check_grads(
                    _replay(source.value, leaves),
                    [leaf.data for leaf in leaves],
                    order=1 + node.depth + 1,
                    modes=("rev",),
                    raise_exception=False,
                )
            except (ArithmeticError, ValueError, TypeError):
                continue
            if report.fault is not None:
                return f"\n{report.fault}"
        return "\n(no op alone disagrees with finite differences: the fault is in how the engine combines them)"


def _depth(node: _Node) -> int:
    return node.depth


def _step_for(node: _Node) -> float:
    return 1e-3 if _depth(node) else _EPS


def _reaches(root: Value, leaf: Value) -> bool:
    return any(n is leaf for n in topological_order(root))


def _central_difference(recipe, env: dict, i: int, step: float = _EPS) -> float:
    plus, minus = dict(env), dict(env)
    plus[i] += step
    minus[i] -= step
    return (recipe(plus) - recipe(minus)) / (2 * step)


def _second_difference(recipe, env: dict, i: int, j: int, step: float = 1e-4) -> float:
    """d2 recipe / dx_i dx_j by central differences of central differences."""
    total = 0.0
    for si, sj, sign in ((1, 1, 1), (1, -1, -1), (-1, 1, -1), (-1, -1, 1)):
        moved = dict(env)
        moved[i] += si * step
        moved[j] += sj * step
        total += sign * recipe(moved)
    return total / (4 * step * step)


def _replay(root: Value, leaves: list):
    """A function of the leaves' values that rebuilds root's graph with the same ops: nodes
    that need no gradient (constants, no_grad, detach) keep their numbers."""
    order = topological_order(root)

    def replayed(*values):
        mapped = {id(leaf): v for leaf, v in zip(leaves, values)}
        for node in order:
            if id(node) in mapped:
                continue
            if node.op_entry is None or not node.requires_grad:
                mapped[id(node)] = node.data
            else:
                mapped[id(node)] = apply(node.op_entry, *[mapped[id(p)] for p in node.parents])
        return mapped[id(root)]

    replayed.__qualname__ = "the machine's graph, replayed"
    return replayed


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
    machine: type[GraphMachine] = type("GraphMachine", (GraphMachine,), {"OPS": tuple(resolved)})
    options: dict[str, Any] = {  # hypothesis settings
        "stateful_step_count": stateful_step_count,
        "deadline": None,
        "suppress_health_check": [HealthCheck.filter_too_much, HealthCheck.too_slow],
    }
    if max_examples is not None:
        options["max_examples"] = max_examples
    machine.TestCase.settings = settings(machine.TestCase.settings, **options)
    return machine
