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

import math
import numbers
from typing import Iterable, Mapping, Optional, Union

from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from autograd.ops import OPS, Op
from autograd.testing.domains import OpDomain, domain_of
from autograd.testing.program import Node, Program

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
) -> st.SearchStrategy[Program]:
    """Random straight-line `Program`s: each node applies an op from `ops` to earlier values.

    `ops` are names or Ops; None means every built-in op (user ops, which a test suite may
    define on purpose wrong, are included only when named). Arguments may repeat and nodes may
    be used many times, so programs are DAGs (`a * a`, shared sub-expressions). An n-ary op
    gets a number of inputs from its domain's `arities` (`domains=` overrides the registry).
    Programs shrink towards fewer inputs and nodes, earlier ops of `ops`, and chains (each node
    using the one before it).

    >>> from hypothesis import find, settings
    >>> from autograd.testing import programs
    >>> find(programs(ops=["mul", "tanh"]), lambda p: "tanh" in p.ops, settings=settings(database=None))
    def program(x0):
        v1 = x0.tanh()
        return v1
    """
    _check_int("min_inputs", min_inputs, 1)
    _check_int("max_inputs", max_inputs, 1)
    _check_range("min_inputs", min_inputs, "max_inputs", max_inputs)
    _check_int("min_nodes", min_nodes, 1)
    _check_int("max_nodes", max_nodes, 1)
    _check_range("min_nodes", min_nodes, "max_nodes", max_nodes)
    op_list = _resolve_ops(ops)
    domains = _check_domains(domains)
    arities = {}
    for op in op_list:
        if op.arity is None:
            arities[op.name] = domain_of(op, domains).arities or (1, 2, 3)
    return _programs(op_list, arities, min_inputs, max_inputs, min_nodes, max_nodes)


def _node_strategy(op, arities, max_back):
    # A node's arguments are offsets back from the newest value, reduced modulo the number of
    # values available where the node lands. So a node means something at any position, and the
    # shrinker can delete whole nodes from the list: offset 0 (the shrink target) is "the value
    # just before", which shrinks programs to chains, the easiest to read.
    offset = st.integers(0, max_back)
    if op.arity is not None:
        offsets = st.lists(offset, min_size=op.arity, max_size=op.arity)
    else:
        offsets = st.sampled_from(arities[op.name]).flatmap(lambda k: st.lists(offset, min_size=k, max_size=k))
    return st.tuples(st.just(op), offsets)


@st.composite
def _programs(draw, op_list, arities, min_inputs, max_inputs, min_nodes, max_nodes):
    n_inputs = draw(st.integers(min_inputs, max_inputs))
    max_back = max_inputs + max_nodes - 2
    # one_of shrinks towards its first branch: the first op of `ops`.
    node = st.one_of([_node_strategy(op, arities, max_back) for op in op_list])
    drawn = draw(st.lists(node, min_size=min_nodes, max_size=max_nodes))
    nodes = []
    for k, (op, offsets) in enumerate(drawn):
        available = n_inputs + k
        nodes.append(Node(op, tuple(available - 1 - offset % available for offset in offsets)))
    return Program(n_inputs, nodes)


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
    values = program._safe_trace(inputs)
    if values is None:
        return None
    node = program.nodes[node_index]
    quantities = domain_of(node.op, domains).kinks(*[values[a] for a in node.args])
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
) -> st.SearchStrategy[tuple]:
    """Pairs `(program, inputs)`: a program from `programs(...)` and a point from
    `valid_inputs(program, ...)`; the options are theirs (`kinks="aim"` lands on a kink of
    each program, which then must contain relu, abs, leaky_relu or a user op with kinks). A
    program with no valid point is rejected and another drawn.

    >>> from hypothesis import find, settings
    >>> from autograd.testing import programs_and_inputs
    >>> program, inputs = find(programs_and_inputs(ops=["sqrt"]), lambda case: True, settings=settings(database=None))
    >>> program, inputs
    (def program(x0):
        v1 = x0.sqrt()
        return v1, (1.0,))
    """
    program_strategy = programs(
        ops=ops, min_inputs=min_inputs, max_inputs=max_inputs, min_nodes=min_nodes, max_nodes=max_nodes, domains=domains
    )
    # Validate the input options now, not at the first draw.
    valid_inputs(Program(1, [("neg", 0)]), min_value=min_value, max_value=max_value,
                 max_magnitude=max_magnitude, kink_margin=kink_margin, domains=domains, kinks=kinks)
    return program_strategy.flatmap(
        lambda program: st.tuples(
            st.just(program),
            valid_inputs(program, min_value=min_value, max_value=max_value, max_magnitude=max_magnitude,
                         kink_margin=kink_margin, domains=domains, kinks=kinks),
        )
    )
