"""Hypothesis strategies for random programs over the op table, and inputs valid for them.

Written in Hypothesis's own style: plain functions returning strategies, keyword-only options,
validated up front (`hypothesis.errors.InvalidArgument`). Importing this module imports
hypothesis; `import autograd` and `autograd.testing.gradcheck` do not.

>>> from hypothesis import given, settings
>>> from autograd.testing import gradcheck, programs_and_inputs
>>> @settings(max_examples=20, database=None)
... @given(programs_and_inputs(max_nodes=4))
... def test_random_programs(case):
...     program, inputs = case
...     assert gradcheck(program, inputs)
>>> test_random_programs()
"""

from __future__ import annotations

# ruff: noqa: E402 (the imports follow _hypothesis_setup_hook on purpose: see its docstring)


def _hypothesis_setup_hook() -> None:
    """The entry point's former target, kept for `dagrad.egg-info` directories built before it
    moved to `autograd.testing.hypothesis_hook:register`. Defined before hypothesis is imported
    below: Hypothesis may load it while this very module is half-imported."""
    from autograd.testing.hypothesis_hook import register

    register()


import functools
import math
import numbers
import random
from typing import Iterable, Mapping, Optional, Union

from hypothesis import event, reject
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from autograd.ops import OPS, Op
from autograd.testing.domains import OpDomain, domain_of
from autograd.testing.hypothesis_hook import register as register_type_strategies
from autograd.testing.program import Case, Constant, Node, Program

__all__ = ["programs", "valid_inputs", "programs_and_inputs"]

# Draws of inputs tried before a program is given up on (rejected) as having no valid point
# that hypothesis can find quickly, e.g. log(x0 - x0).
_ATTEMPTS = 8


# -- argument validation ----------------------------------------------------------------------


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{name}={value!r} must be an int")
    if value < minimum:
        raise InvalidArgument(f"{name}={value!r} must be >= {minimum}")


def _check_range(low_name, low, high_name, high):
    if low > high:
        raise InvalidArgument(f"{low_name}={low!r} must be <= {high_name}={high!r}")


def _check_real(name, value, *, positive=False, nonnegative=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise InvalidArgument(f"{name}={value!r} must be a finite real number")
    if positive and not value > 0:
        raise InvalidArgument(f"{name}={value!r} must be > 0")
    if nonnegative and not value >= 0:
        raise InvalidArgument(f"{name}={value!r} must be >= 0")


def _check_domains(domains) -> Optional[dict]:
    if domains is None:
        return None
    if not isinstance(domains, Mapping):
        raise InvalidArgument(f"domains={domains!r} must be a mapping from op (or op name) to OpDomain")
    for key, domain in domains.items():
        if not isinstance(key, (str, Op)):
            raise InvalidArgument(f"domains: key {key!r} must be an op name or an Op")
        if not isinstance(domain, OpDomain):
            raise InvalidArgument(f"domains[{key!r}]={domain!r} must be an OpDomain")
    return dict(domains)


def _resolve_ops(ops) -> list:
    if ops is None:
        return [op for op in OPS.values() if op.builtin]
    if isinstance(ops, (str, Op)) or not isinstance(ops, Iterable):
        raise InvalidArgument(f"ops={ops!r} must be a list of op names or Ops (or None for the built-in ops)")
    resolved = []
    for op in ops:
        if isinstance(op, Op):
            resolved.append(op)
        elif isinstance(op, str):
            if op not in OPS:
                raise InvalidArgument(f"ops: unknown op {op!r}; known ops: {', '.join(sorted(OPS))}")
            resolved.append(OPS[op])
        else:
            raise InvalidArgument(f"ops: {op!r} is neither an op name nor an Op")
    if not resolved:
        raise InvalidArgument("ops must not be empty")
    return resolved


# -- programs ---------------------------------------------------------------------------------


def programs(
    *,
    ops: Optional[Iterable[Union[str, Op]]] = None,
    min_inputs: int = 1,
    max_inputs: int = 3,
    min_nodes: int = 1,
    max_nodes: int = 10,
    domains: Optional[Mapping] = None,
    constants: bool = False,
    constant_args: Optional[Mapping] = None,
    required_ops: Iterable[Union[str, Op]] = (),
) -> st.SearchStrategy[Program]:
    """Random straight-line `Program`s: each node applies an op from `ops` to earlier values.

    `ops` are names or Ops; None means every built-in op (user ops, which a test suite may
    define on purpose wrong, are included only when named). Arguments may repeat and nodes may
    be used many times, so programs are DAGs (`a * a`, shared sub-expressions). An n-ary op
    gets a number of inputs from its domain's `arities` (`domains=` overrides the registry).
    Programs shrink towards fewer inputs and nodes, earlier ops of `ops`, and chains (each node
    using the one before it).

    `constants=True` lets an argument be a number written in the program (`x0 ** 2.0`,
    `2.0 * x0`, a `Constant` from 2, 3, 0.5, -1, 1.5, -2; never the receiver of a method, and
    every node still reads a value). `constant_args={"pow": (1,)}` makes those argument
    positions of an op always constants (an engine whose `**` takes numbers only).
    `required_ops` are ops (from `ops`) that every program uses on the way to its output, so
    each example tests them.

    >>> from hypothesis import find, settings
    >>> from autograd.testing import programs
    >>> find(programs(ops=["mul", "tanh"]), lambda p: "tanh" in p.ops, settings=settings(database=None))
    def program(x0):
        v1 = x0.tanh()
        return v1
    >>> find(programs(ops=["pow"], constant_args={"pow": (1,)}), lambda p: True, settings=settings(database=None))
    def program(x0):
        v1 = x0 ** 2.0
        return v1
    """
    _check_int("min_inputs", min_inputs, 1)
    _check_int("max_inputs", max_inputs, 1)
    _check_range("min_inputs", min_inputs, "max_inputs", max_inputs)
    _check_int("min_nodes", min_nodes, 1)
    _check_int("max_nodes", max_nodes, 1)
    _check_range("min_nodes", min_nodes, "max_nodes", max_nodes)
    if not isinstance(constants, bool):
        raise InvalidArgument(f"constants={constants!r} must be True or False")
    op_list = _resolve_ops(ops)
    domains = _check_domains(domains)
    forced = _check_constant_args(constant_args, op_list)
    required = _check_required(required_ops, op_list, max_nodes)
    arities = {}
    for op in op_list:
        if op.arity is None:
            arities[op.name] = domain_of(op, domains).arities or (1, 2, 3)
    shape = _Shape(arities, constants, forced, max_inputs + max_nodes - 2)
    return _programs(op_list, shape, min_inputs, max_inputs, min_nodes, max_nodes, required)


# Numbers a program may write: small, exact in binary, both signs, an exponent's usual values.
_CONSTANTS = (2.0, 3.0, 0.5, -1.0, 1.5, -2.0)


class _Shape:
    """How nodes are drawn: arities of n-ary ops, whether constants are allowed, forced
    constant positions per op name, and the largest offset back."""

    def __init__(self, arities, constants, forced, max_back):
        self.arities, self.constants, self.forced, self.max_back = arities, constants, forced, max_back


def _check_constant_args(constant_args, op_list) -> dict:
    if constant_args is None:
        return {}
    if not isinstance(constant_args, Mapping):
        raise InvalidArgument(f"constant_args={constant_args!r} must map op names to argument positions")
    names = {op.name: op for op in op_list}
    forced = {}
    for name, positions in constant_args.items():
        name = name.name if isinstance(name, Op) else name
        if name not in names:
            raise InvalidArgument(f"constant_args: {name!r} is not one of ops ({', '.join(sorted(names))})")
        positions = tuple(positions)
        arity = names[name].arity
        if not all(isinstance(k, int) and 0 <= k < (arity or 99) for k in positions) or len(positions) >= (arity or 99):
            raise InvalidArgument(
                f"constant_args[{name!r}]={positions!r}: positions of {name}'s inputs, leaving at least one for a value"
            )
        forced[name] = positions
    return forced


def _check_required(required_ops, op_list, max_nodes) -> list:
    if isinstance(required_ops, (str, Op)) or not isinstance(required_ops, Iterable):
        raise InvalidArgument(f"required_ops={required_ops!r} must be a list of op names or Ops")
    resolved = _resolve_ops(list(required_ops)) if list(required_ops) else []
    for op in resolved:
        if op not in op_list:
            raise InvalidArgument(f"required_ops: {op.name!r} is not among ops; add it to ops")
    if len(resolved) > max_nodes:
        raise InvalidArgument(f"required_ops has {len(resolved)} ops but max_nodes={max_nodes}")
    return resolved


def _argument_strategy(op, position, shape):
    # An argument is an offset back from the newest value, reduced modulo the number of
    # values available where the node lands. So a node means something at any position, and
    # the shrinker can delete whole nodes from the list: offset 0 (the shrink target) is "the
    # value just before", which shrinks programs to chains, the easiest to read. A constant
    # is drawn one time in five (the shrinker prefers offsets).
    constant = st.sampled_from(_CONSTANTS).map(Constant)
    if position in shape.forced.get(op.name, ()):
        return constant
    offset = st.integers(0, shape.max_back)
    if not shape.constants or (position == 0 and op.method):
        return offset
    return st.integers(0, 4).flatmap(lambda k: constant if k == 4 else offset)


def _node_strategy(op, shape):
    if op.arity is not None:
        arity = st.just(op.arity)
    else:
        arity = st.sampled_from(shape.arities[op.name])
    return st.tuples(
        st.just(op), arity.flatmap(lambda k: st.tuples(*[_argument_strategy(op, j, shape) for j in range(k)]))
    )


@st.composite
def _programs(draw, op_list, shape, min_inputs, max_inputs, min_nodes, max_nodes, required):
    n_inputs = draw(st.integers(min_inputs, max_inputs))
    # one_of shrinks towards its first branch: the first op of `ops`.
    node = st.one_of([_node_strategy(op, shape) for op in op_list])
    drawn = draw(st.lists(node, min_size=max(min_nodes - len(required), 0), max_size=max_nodes - len(required)))
    for op in required:  # each at a drawn position (shrinking towards the front)
        drawn.insert(draw(st.integers(0, len(drawn)), label=f"position of {op.name}"), draw(_node_strategy(op, shape)))
    nodes = []
    for k, (op, args) in enumerate(drawn):
        available = n_inputs + k
        args = [a if isinstance(a, Constant) else available - 1 - a % available for a in args]
        if all(isinstance(a, Constant) for a in args):  # every node reads a value
            free = [j for j in range(len(args)) if j not in shape.forced.get(op.name, ())]
            args[free[0]] = available - 1
        nodes.append(Node(op, tuple(args)))
    for op in required:
        nodes = _on_the_output_path(nodes, n_inputs, op)
    return Program(n_inputs, nodes)


def _on_the_output_path(nodes, n_inputs, op) -> list:
    """Nodes rewired so that the output depends on a node of `op`: the first node after it that
    the output depends on reads it as its first value argument."""
    needed = _ancestors(nodes, n_inputs)
    positions = [k for k, node in enumerate(nodes) if node.op is op]
    if any(n_inputs + k in needed for k in positions):
        return nodes
    k = positions[-1]
    later = next(j for j in range(k + 1, len(nodes)) if n_inputs + j in needed)
    args = list(nodes[later].args)
    first = next(j for j, a in enumerate(args) if not isinstance(a, Constant))
    args[first] = n_inputs + k
    return nodes[:later] + [Node(nodes[later].op, tuple(args))] + nodes[later + 1 :]


def _ancestors(nodes, n_inputs) -> set:
    """Indices of the values the output depends on (the output included)."""
    needed = {n_inputs + len(nodes) - 1}
    for k in range(len(nodes) - 1, -1, -1):
        if n_inputs + k in needed:
            needed.update(nodes[k].indices)
    return needed


# -- inputs -----------------------------------------------------------------------------------


def valid_inputs(
    program: Program,
    *,
    min_value: float = -3.0,
    max_value: float = 3.0,
    max_magnitude: float = 1e3,
    kink_margin: float = 1e-2,
    domains: Optional[Mapping] = None,
    kinks: str = "avoid",
) -> st.SearchStrategy[tuple]:
    """Tuples of floats in [min_value, max_value], one per input of `program`, at which finite
    differences are meaningful (`Program.admits`): every op inside its domain, at least
    `kink_margin` from its kinks (relu, abs, leaky_relu at 0), every intermediate finite and at
    most `max_magnitude` in size (no overflow, moderate rounding error).

    `kinks="aim"` does the opposite on purpose: one input is solved for (by bisection) so that
    some node's kink quantity is 0 (to the last bit), to test how a check behaves *at* a kink;
    a program without a kink op is rejected. `kinks="avoid"` (the default) keeps away.

    Draws that miss are retried a few times, then the example is rejected (`hypothesis.reject`),
    as for a program such as `log(x0 - x0)` that has no valid input at all.

    >>> from hypothesis import find, settings
    >>> from autograd.testing import Program, valid_inputs
    >>> p = Program(1, [("log", 0)])
    >>> find(valid_inputs(p), lambda xs: True, settings=settings(database=None))
    (1.0,)
    """
    if not isinstance(program, Program):
        raise InvalidArgument(f"program={program!r} must be an autograd.testing.Program")
    _check_real("min_value", min_value)
    _check_real("max_value", max_value)
    _check_range("min_value", min_value, "max_value", max_value)
    _check_real("max_magnitude", max_magnitude, positive=True)
    _check_real("kink_margin", kink_margin, nonnegative=True)
    _check_kinks(kinks)
    domains = _check_domains(domains)
    coordinate = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False)
    if kinks == "aim":
        return _kink_inputs(program, coordinate, min_value, max_value, max_magnitude, domains)
    return _valid_inputs(program, coordinate, max_magnitude, kink_margin, domains)


def _check_kinks(kinks):
    if not isinstance(kinks, str):
        raise InvalidArgument(f"kinks={kinks!r} must be 'avoid' or 'aim'")
    if kinks not in ("avoid", "aim"):
        raise InvalidArgument(f"kinks={kinks!r} must be 'avoid' (stay kink_margin away) or 'aim' (land on one)")


# Grid points per input scanned for a sign change of a kink quantity, and bisection steps after.
_KINK_GRID = 32
_BISECTIONS = 200


def _kink_quantity(program, inputs, node_index, domains):
    """The first kink quantity of node `node_index` at `inputs`, or None where the program fails."""
    values = program.trace_or_none(inputs)
    if values is None:
        return None
    node = program.nodes[node_index]
    quantities = domain_of(node.op, domains).kinks(*node.arguments(values))
    return float(quantities[0]) if quantities else None


def _root(program, inputs, i, node_index, domains, low, high):
    """A value of input i within [low, high] putting the kink quantity of the node at 0 (or at
    the float next to 0's crossing), other inputs fixed; None if there is no sign change."""

    def q(x):
        moved = list(inputs)
        moved[i] = x
        return _kink_quantity(program, moved, node_index, domains)

    grid = [low + (high - low) * k / (_KINK_GRID - 1) for k in range(_KINK_GRID)]
    if low <= 0.0 <= high:
        grid = sorted(set(grid) | {0.0})
    previous = None
    for x in grid:
        value = q(x)
        if value is None:
            previous = None
            continue
        if value == 0.0:
            return x
        if previous is not None and (previous[1] > 0) != (value > 0):
            a, qa = previous
            b = x
            for _ in range(_BISECTIONS):
                middle = (a + b) / 2
                if middle in (a, b):
                    break
                qm = q(middle)
                if qm is None:
                    return None
                if qm == 0.0:
                    return middle
                if (qm > 0) == (qa > 0):
                    a, qa = middle, qm
                else:
                    b = middle
            return a
        previous = (x, value)
    return None


@st.composite
def _kink_inputs(draw, program, coordinate, low, high, max_magnitude, domains):
    kinked = [k for k, node in enumerate(program.nodes) if domain_of(node.op, domains).kinks is not None]
    if not kinked:
        reject()
    for _ in range(_ATTEMPTS):
        inputs = [draw(coordinate) for _ in range(program.n_inputs)]
        node_index = draw(st.sampled_from(kinked))
        i = draw(st.integers(0, program.n_inputs - 1))
        x = _root(program, inputs, i, node_index, domains, low, high)
        if x is None:
            continue
        inputs[i] = x
        if program.admits(inputs, domains=domains, max_magnitude=max_magnitude, avoid_kinks=False):
            return tuple(inputs)
    reject()


@st.composite
def _valid_inputs(draw, program, coordinate, max_magnitude, kink_margin, domains):
    for _ in range(_ATTEMPTS):
        inputs = tuple(draw(coordinate) for _ in range(program.n_inputs))
        if program.admits(inputs, domains=domains, max_magnitude=max_magnitude, kink_margin=kink_margin):
            return inputs
    reject()


def programs_and_inputs(
    *,
    ops: Optional[Iterable[Union[str, Op]]] = None,
    min_inputs: int = 1,
    max_inputs: int = 3,
    min_nodes: int = 1,
    max_nodes: int = 10,
    min_value: float = -3.0,
    max_value: float = 3.0,
    max_magnitude: float = 1e3,
    kink_margin: float = 1e-2,
    domains: Optional[Mapping] = None,
    kinks: str = "avoid",
    constants: bool = False,
    constant_args: Optional[Mapping] = None,
    required_ops: Iterable[Union[str, Op]] = (),
) -> st.SearchStrategy[Case]:
    """`Case`s `(program, inputs)`: a program from `programs(...)` and a point from
    `valid_inputs(program, ...)`; the options are theirs (`kinks="aim"` lands on a kink of
    each program, which then must contain relu, abs, leaky_relu or a user op with kinks). A
    program with no valid point is rejected and another drawn. A case unpacks as
    `program, inputs = case` and prints as runnable source and the call with its inputs.

    Coverage is visible: each example records a Hypothesis `event` per op it uses ("op tanh")
    and per op and sign of each input it got ("tanh: x < 0"), shown by pytest's
    `--hypothesis-show-statistics`. `required_ops=[my_op]` puts `my_op` on the way to the output
    of every program. An op whose domain admits less than 1% of the inputs in
    [min_value, max_value] is an `InvalidArgument` naming the op, not a test that silently never
    reaches it.

    >>> from hypothesis import find, settings
    >>> from autograd.testing import programs_and_inputs
    >>> case = find(programs_and_inputs(ops=["sqrt"]), lambda case: True, settings=settings(database=None))
    >>> case
    def program(x0):
        v1 = x0.sqrt()
        return v1
    program(1.0)
    >>> program, inputs = case
    >>> inputs
    (1.0,)
    """
    program_strategy = programs(
        ops=ops,
        min_inputs=min_inputs,
        max_inputs=max_inputs,
        min_nodes=min_nodes,
        max_nodes=max_nodes,
        domains=domains,
        constants=constants,
        constant_args=constant_args,
        required_ops=required_ops,
    )
    inputs_for = functools.partial(
        valid_inputs,
        min_value=min_value,
        max_value=max_value,
        max_magnitude=max_magnitude,
        kink_margin=kink_margin,
        domains=domains,
        kinks=kinks,
    )
    inputs_for(Program(1, [("neg", 0)]))  # validates the input options now, not at the first draw
    for op in _resolve_ops(ops):
        _check_reachable(op, domains, min_value, max_value, kink_margin)
    return program_strategy.flatmap(
        lambda program: inputs_for(program).map(lambda inputs: _recorded(Case(program, inputs)))
    )


# Probes of an op's domain, and the share of them it must admit to be tested at all.
_PROBES = 400
_REACHABLE = 0.01


def _check_reachable(op, domains, low, high, kink_margin) -> None:
    """InvalidArgument if op's domain admits under 1% of the input box: programs would almost
    never reach it (0.5 <= x <= 0.52 in [-3, 3] is 0.3%)."""
    domain = domain_of(op, domains)
    arity = op.arity or (domain.arities or (2,))[0]
    rng = random.Random(0)
    hits = 0
    for _ in range(_PROBES):
        point = [rng.uniform(low, high) for _ in range(arity)]
        try:
            hits += bool(domain.admits(point, kink_margin))
        except (ArithmeticError, ValueError, TypeError):
            pass
    if hits < _REACHABLE * _PROBES:
        raise InvalidArgument(
            f"op {op.name!r}: its domain ({domain.description or 'accepts'}) admits {hits} of {_PROBES} inputs drawn "
            f"from [{low}, {high}], so programs would almost never reach it and a test would pass without testing "
            f"it. Give min_value/max_value inside its domain, or describe a wider one with register_domain."
        )


def _recorded(case: Case) -> Case:
    """Hypothesis events for the case: each op used, and each op with the sign of each input."""
    program, inputs = case
    values = program.trace(inputs)
    for name in sorted(set(program.ops)):
        event(f"op {name}")
    for node in program.nodes:
        args = node.arguments(values)
        for j, x in enumerate(args):
            where = "x" if len(args) == 1 else f"input {j}"
            event(f"{node.op.name}: {where} {'< 0' if x < 0 else ('= 0' if x == 0 else '> 0')}")
    return case


# st.from_type(Program) and st.from_type(Case): registered here for a source checkout, and by
# dagrad's `hypothesis` entry point (autograd.testing.hypothesis_hook) when dagrad is installed.
register_type_strategies()
