"""An oracle for an engine you wrote yourself: `check_engine` runs random programs on your
engine and on dagrad, and compares every value, every gradient (and second derivatives, when
your engine can differentiate a gradient again).

You describe your engine in a few lines: how to make a leaf from a float, which ops it has
(dagrad's op names, applied as Python writes them: `a + b`, `a ** 2.0`, `2.0 * a`, `a.tanh()`,
or your own function per op), how to run backward from a value and how to read a leaf's
gradient. Programs include numbers in expressions, values used many times, and deep chains. A
failure is shrunk by Hypothesis to the smallest program and says what went wrong: an op's
forward or rule (each op is re-run alone on your engine), an op that ignores its upstream
gradient, or the accumulation of gradients of a value used more than once.

Importing this module imports hypothesis.
"""

from __future__ import annotations

import math
import operator
from typing import Any, Callable, Mapping, Optional, Sequence, Union

from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from autograd import OPS, Value, grad
from autograd.testing.program import Case, Constant, Node, Program
from autograd.testing.strategies import programs_and_inputs

__all__ = ["check_engine", "EngineMismatch"]

# pytest leaves this module's frames out of a failing test's traceback (the message is the report).
__tracebackhide__ = True

_OPERATORS = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
    "neg": operator.neg,
    "abs": abs,
}


class EngineMismatch(AssertionError):
    """Your engine and dagrad disagree; the message names the program, the quantity and the
    fault. Attributes: `case` (the shrunk program and inputs), `what`, `got`, `expected`."""

    def __init__(self, message: str, case: Case, what: str, got, expected):
        super().__init__(message)
        self.case, self.what, self.got, self.expected = case, what, got, expected


class _Engine:
    """The adapter: the user's functions, checked once."""

    def __init__(self, leaf, backward, read_grad, ops, data, differentiate):
        self.leaf, self.backward, self.read_grad = leaf, backward, read_grad
        self.data = data or (lambda value: value.data)
        self.differentiate = differentiate
        self.implementations = _implementations(ops)

    def number(self, value) -> float:
        return float(self.data(value)) if not isinstance(value, (int, float)) else float(value)

    def run(self, program: Program, leaves: list) -> list:
        values = list(leaves)
        for node in program.nodes:
            values.append(self.implementations[node.op.name](*node.arguments(values)))
        return values


def _implementations(ops) -> dict:
    if isinstance(ops, Mapping):
        unknown = [name for name in ops if name not in OPS]
        if unknown:
            raise ValueError(f"check_engine: unknown op names {unknown}; dagrad's ops: {', '.join(OPS)}")
        for name, function in ops.items():
            if not callable(function):
                raise TypeError(f"check_engine: ops[{name!r}] must be callable, got {function!r}")
        return dict(ops)
    if isinstance(ops, str) or not isinstance(ops, Sequence) or not ops:
        raise TypeError(
            f"check_engine: ops must be a list of dagrad op names or a mapping name -> function, got {ops!r}"
        )
    found = {}
    for name in ops:
        if name not in OPS:
            raise ValueError(f"check_engine: unknown op {name!r}; dagrad's ops: {', '.join(OPS)}")
        if name in _OPERATORS:
            found[name] = _OPERATORS[name]
        elif OPS[name].method:
            found[name] = (lambda method: lambda a, *rest: getattr(a, method)(*rest))(OPS[name].method)
        else:
            raise ValueError(
                f"check_engine: {name!r} has no Python operator or method; give ops={{{name!r}: your_function}}"
            )
    return found


def check_engine(
    *,
    leaf: Callable[[float], object],
    backward: Callable[[object], None],
    grad_of: Callable[[object], float],
    ops: Union[Sequence[str], Mapping[str, Callable]],
    data: Optional[Callable[[object], float]] = None,
    differentiate: Optional[Callable] = None,
    constant_args: Optional[Mapping] = None,
    max_examples: int = 200,
    max_nodes: int = 6,
    deep_nodes: int = 20,
    min_value: float = -3.0,
    max_value: float = 3.0,
    rtol: float = 1e-7,
    atol: float = 1e-9,
    seed: Optional[int] = None,
) -> None:
    """Check your engine against dagrad on random programs; returns None, or raises
    `EngineMismatch` (an AssertionError) for the smallest program found where they disagree.

    - `leaf(x)`: a new leaf of your engine holding the float x.
    - `ops`: dagrad op names your engine has (`autograd.OPS` lists them: add, sub, mul, div,
      pow, neg, abs, exp, log, sqrt, softplus, tanh, sigmoid, relu, leaky_relu, sin, cos, ...),
      applied as Python writes them (`a + b`, `a ** 2.0`, `2.0 * a`, `a.tanh()`); or a mapping
      from those names to functions of your values (and floats, for numbers in expressions).
    - `backward(out)` runs your backward pass from out; `grad_of(leaf)` reads a leaf's gradient;
      `data(value)` reads a value's number (default: `value.data`).
    - `differentiate(out, leaves)`, if your engine can differentiate a gradient again: the
      derivatives of out w.r.t. the leaves, as your engine's values; second derivatives are
      then checked too.
    - `constant_args={"pow": (1,)}`: argument positions your engine takes as plain numbers
      only (micrograd's `**`).

    Each example builds a program (numbers in expressions, values used several times; one in
    three a deep program of up to `deep_nodes` ops), runs it on fresh leaves of your engine and
    compares every value and every leaf's gradient with dagrad's (within atol + rtol * |x|).
    `max_examples` programs are tried; `seed` makes the run reproducible.

    >>> import math
    >>> class V:  # a tiny engine: + and * only
    ...     def __init__(self, data, parents=(), rule=None):
    ...         self.data, self.grad, self.parents, self.rule = data, 0.0, parents, rule
    ...     def __add__(self, other):
    ...         other = other if isinstance(other, V) else V(other)
    ...         return V(self.data + other.data, (self, other), lambda g: (g, g))
    ...     def __mul__(self, other):
    ...         other = other if isinstance(other, V) else V(other)
    ...         return V(self.data * other.data, (self, other), lambda g: (g * other.data, g * self.data))
    ...     __radd__, __rmul__ = __add__, __mul__
    ...     def backward(self):
    ...         order, seen = [], set()
    ...         def visit(v):
    ...             if id(v) not in seen:
    ...                 seen.add(id(v))
    ...                 for p in v.parents:
    ...                     visit(p)
    ...                 order.append(v)
    ...         visit(self)
    ...         self.grad = 1.0
    ...         for v in reversed(order):
    ...             if v.rule:
    ...                 for p, g in zip(v.parents, v.rule(v.grad)):
    ...                     p.grad += g
    >>> from autograd.testing import check_engine
    >>> check_engine(leaf=V, ops=["add", "mul"], backward=lambda out: out.backward(),
    ...              grad_of=lambda leaf: leaf.grad, max_examples=30, seed=0)
    """
    engine = _Engine(leaf, backward, grad_of, ops, data, differentiate)
    names = list(engine.implementations)
    options: dict[str, Any] = {  # programs_and_inputs' keyword arguments shared by both strategies
        "ops": names,
        "constants": True,
        "constant_args": constant_args,
        "min_value": min_value,
        "max_value": max_value,
    }
    cases = st.one_of(
        programs_and_inputs(max_nodes=max_nodes, **options),
        programs_and_inputs(min_inputs=1, max_inputs=2, min_nodes=1, max_nodes=deep_nodes, **options),
    )

    @settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        print_blob=False,
        suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(case=cases)
    def against_dagrad(case):
        _check_case(engine, case, rtol, atol)

    if seed is not None:
        against_dagrad = hypothesis_seed(seed)(against_dagrad)
    against_dagrad()


def _close(got: float, expected: float, rtol: float, atol: float) -> bool:
    if math.isnan(got) or math.isnan(expected):
        return math.isnan(got) and math.isnan(expected)
    return abs(got - expected) <= atol + rtol * max(abs(got), abs(expected))


def _check_case(engine: _Engine, case: Case, rtol: float, atol: float) -> None:
    program, inputs = case
    n = program.n_inputs
    expected_values = program.trace(inputs)
    dagrad_leaves = [Value(x) for x in inputs]
    expected_grads = grad(program.run(dagrad_leaves), dagrad_leaves, allow_constant=True)
    leaves = [engine.leaf(x) for x in inputs]
    values = _run(engine, program, leaves, case)
    for k, node in enumerate(program.nodes):
        got = engine.number(values[n + k])
        if not _close(got, expected_values[n + k], rtol, atol):
            fault = f"op at fault: {node.op.name}'s forward (the value of v{n + k} is computed by it alone from right inputs)"
            _fail(case, f"the value of v{n + k}", got, expected_values[n + k], fault)
    engine.backward(values[-1])
    for i, leaf in enumerate(leaves):
        got = engine.number(engine.read_grad(leaf))
        if not _close(got, expected_grads[i], rtol, atol):
            _fail(
                case,
                f"the gradient of x{i}",
                got,
                expected_grads[i],
                _blame(engine, program, expected_values, rtol, atol),
            )
    if engine.differentiate is not None:
        _check_second_order(engine, case, rtol, atol)


def _run(engine, program, leaves, case) -> list:
    try:
        return engine.run(program, leaves)
    except Exception as error:  # the user's engine: any exception is a finding, reported with the program
        raise EngineMismatch(
            f"check_engine: your engine raised {type(error).__name__}: {error}\nwhile running:\n{case!r}\n"
            "(if your engine does not support this form, leave the op out of ops, or pass constant_args)",
            case,
            "running the program",
            error,
            None,
        ) from error


def _check_second_order(engine, case, rtol, atol) -> None:
    program, inputs = case
    dagrad_leaves = [Value(x) for x in inputs]
    first = grad(program.run(dagrad_leaves), dagrad_leaves, create_graph=True, allow_constant=True)
    leaves = [engine.leaf(x) for x in inputs]
    derivatives = engine.differentiate(engine.run(program, leaves)[-1], leaves)
    for i, (d, expected_d) in enumerate(zip(derivatives, first)):
        row = (
            grad(expected_d, dagrad_leaves, allow_constant=True)
            if isinstance(expected_d, Value)
            else [0.0] * len(leaves)
        )
        got_row = engine.differentiate(d, leaves)
        for j, (got, expected) in enumerate(zip(got_row, row)):
            if not _close(engine.number(got), expected, rtol, atol):
                _fail(
                    case,
                    f"the second derivative d2/dx{i} dx{j}",
                    engine.number(got),
                    expected,
                    "a rule that is right at first order but not differentiable again (it reads .data or float())",
                )


def _fail(case: Case, what: str, got: float, expected: float, fault: str):
    raise EngineMismatch(
        f"check_engine: {what}: your engine gives {got!r}, dagrad {expected!r}\n{fault}\n"
        f"the program (shrunk by Hypothesis; it runs on dagrad as written):\n{case!r}",
        case,
        what,
        got,
        expected,
    )


def _blame(engine: _Engine, program: Program, values: list, rtol: float, atol: float) -> str:
    """Which op or which accumulation is wrong: each op alone on fresh leaves of your engine,
    then each op under an upstream gradient other than 1, then the values used more than once."""
    for k, node in enumerate(program.nodes):
        fault = _op_alone(engine, node, node.arguments(values), rtol, atol, f"v{program.n_inputs + k}")
        if fault:
            return fault
    uses: dict[int, int] = {}  # value index -> how many node arguments read it
    for node in program.nodes:
        for a in node.indices:
            uses[a] = uses.get(a, 0) + 1
    shared = [f"{_name(a, program)} ({count} uses)" for a, count in sorted(uses.items()) if count > 1]
    if shared:
        return (
            "accumulation at fault: every op alone is right, and a value is used more than once: "
            + ", ".join(shared)
            + ". A value's gradient is the sum over its uses, so each rule must add to it (grad += ...), "
            "not overwrite it (grad = ...)"
        )
    return (
        "no single op and no shared value explains it: check the order of your backward pass (reverse "
        "topological order: every use of a value before the value)"
    )


def _name(index: int, program: Program) -> str:
    return f"x{index}" if index < program.n_inputs else f"v{index}"


def _op_alone(engine, node: Node, args: list, rtol, atol, label) -> str:
    """The op of `node` alone on your engine at the inputs it saw (distinct leaves for each
    value argument), its gradients against dagrad's; then the same under an upstream gradient
    of 2 (the output multiplied by 2.0 with your mul, if mul is among your ops and right)."""
    for scale in (None, 2.0):
        if scale is not None and "mul" not in engine.implementations:
            break
        mine, theirs = _alone(engine, node, args, scale), _alone_dagrad(node, args, scale)
        if mine is None:
            continue
        for j, (got, expected) in enumerate(zip(mine, theirs)):
            if not _close(got, expected, rtol, atol):
                shown = ", ".join(repr(a) for a in args)
                if scale is None:
                    return (
                        f"op at fault: {node.op.name} ({label}): alone on your engine at ({shown}), the gradient "
                        f"of its input {j} is {got!r} where dagrad gives {expected!r}"
                    )
                return (
                    f"op at fault: {node.op.name} ({label}) ignores its upstream gradient: alone its gradients "
                    f"are right, but with its output times 2.0 the gradient of input {j} is {got!r}, not "
                    f"{expected!r} (a rule must multiply by out.grad)"
                )
    return ""


def _alone(engine, node, args, scale) -> Optional[list]:
    leaves = {j: engine.leaf(a) for j, a in enumerate(args) if not isinstance(node.args[j], Constant)}
    call = [leaves.get(j, a) for j, a in enumerate(args)]
    try:
        out = engine.implementations[node.op.name](*call)
        if scale is not None:
            out = engine.implementations["mul"](out, scale)
        engine.backward(out)
        return [engine.number(engine.read_grad(leaf)) for leaf in leaves.values()]
    except Exception:  # noqa: BLE001 - the program run already reported the engine's own errors
        return None


def _alone_dagrad(node, args, scale) -> list:
    leaves = {j: Value(a) for j, a in enumerate(args) if not isinstance(node.args[j], Constant)}
    out = node.op(*[leaves.get(j, a) for j, a in enumerate(args)])
    if scale is not None:
        out = out * scale
    return grad(out, list(leaves.values()), allow_constant=True)
