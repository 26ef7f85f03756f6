"""Forward mode: push tangents from the inputs through a recorded graph to its outputs.

There is no second set of rules. An op's local partial d(out)/d(input i) is its reverse rule
called with an upstream gradient of 1, `rules[i](1, out, *inputs)`, because every rule is
linear in its upstream gradient. A node's tangent is then sum_i partial_i * tangent(input_i),
computed in topological order: one sweep gives the derivative of every output along one
direction (reverse mode gives the derivative of one output along every input).

`push_forward` works on a graph already built (the forward twin of `autograd.grad`); `jvp`
builds the graph of a function and pushes tangents through it. With `create_graph=True`
(or any Value among inputs and tangents in `jvp`) the partials are computed on Values, so the
tangents are Values that can be differentiated again, by either mode.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Sequence

from autograd.checks import as_float
from autograd.engine import topological_order
from autograd.value import Value

__all__ = ["jvp", "push_forward", "local_partials"]


def local_partials(node: Value, create_graph: bool = False, *, only=None, strict: bool = True) -> list:
    """d(node)/d(parent) for each parent of `node` (in order, repeats kept), from the op's rules.

    Floats, or Values with their own graph when `create_graph` is True. A leaf has none.
    Each rule runs on its own, so one input's partial never depends on another's being
    defined: at x = -2, `x ** 3` has the base partial 12 although d/dy x**y (x**y log x) is
    undefined there. `only` (positions of parents) restricts the work to those partials, the
    rest being None: forward mode asks only for the inputs whose tangent is not 0, so an
    exponent that does not move is never differentiated. A rule that fails at this point
    raises its error naming the op and its inputs, or, with `strict=False` (pictures, the
    explorer), gives None in its place. With `strict`, a float partial that is not finite
    although the output and inputs are raises OverflowError (ValueError for NaN), as in the
    backward pass.

    >>> from autograd import Value
    >>> x, y = Value(3.0), Value(2.0)
    >>> local_partials(x * y), local_partials(x.relu()), local_partials(x.log())
    ([2.0, 3.0], [1.0], [0.3333333333333333])
    >>> local_partials(Value(-2.0) ** 3, strict=False)    # base 3x^2; exponent: log(-2) undefined
    [12.0, None]
    """
    op = node.op_entry
    if op is None:
        return []
    parents = node.parents
    # The rules are duck-typed: they run on Values (create_graph) or on floats.
    out: Any
    inputs: Sequence[Any]
    if create_graph:
        out, inputs = node, parents
    else:
        out, inputs = node.data, [p.data for p in parents]
    wanted = range(len(parents)) if only is None else set(only)
    if op.rules is None:  # an n-ary rule gives every partial at once
        partials = _run(op, lambda: list(op.nary_rule(1.0, out, inputs)), parents, strict)
        partials = [None] * len(parents) if partials is None else partials
        results = [partials[k] if k in wanted else None for k in range(len(parents))]
    else:
        results = [
            _run(op, lambda rule=rule: rule(1.0, out, *inputs), parents, strict) if k in wanted else None
            for k, rule in enumerate(op.rules)
        ]
    if strict and not create_graph:
        for k, d in enumerate(results):
            if d is not None:
                _check_finite(op, parents, d, [out, *inputs], f"d/d(input {k})")
    return results


def _run(op, compute, parents, strict: bool):
    """`compute()`, a rule's result; its error names the op and the inputs (None if not strict)."""
    try:
        return compute()
    except (ArithmeticError, ValueError) as error:
        if not strict:
            return None
        at = ", ".join(repr(p.data) for p in parents)
        raise type(error)(f"forward-mode partial of {op.name}({at}): {error}") from error


def _check_finite(op, parents, result: float, sources: list, what: str) -> None:
    """Forward mode's overflow policy, the backward pass's: a number that is not finite although
    every number it came from is raises OverflowError (ValueError for NaN) naming the op and its
    inputs; non-finite numbers that come from the data propagate (IEEE 754)."""
    if math.isfinite(result) or not all(math.isfinite(x) for x in sources):
        return
    at = ", ".join(repr(p.data) for p in parents)
    if math.isnan(result):
        raise ValueError(f"forward mode of {op.name}({at}): {what} is NaN for finite numbers")
    raise OverflowError(f"forward mode of {op.name}({at}): {what} is {result!r}: it overflows a float")


def _tangent_terms(node: Value, parents: tuple, moving: list, tangents: list, create_graph: bool) -> list:
    """d(node)/d(parents[k]) * tangent_k for each k in `moving`. Only moving inputs: one that does
    not move (a constant exponent) needs no derivative, and its rule may be undefined here
    (d/dy x**y at x < 0). A rule is linear in its upstream gradient, so it is called with the
    tangent in that place: the numbers are those of a backward pass seeded with the tangent,
    in the same order (1/x at 1e-200 with tangent 1e-200 gives -1e200, where the partial
    -1e400 alone would overflow). An n-ary rule gives every partial at once: times the tangent."""
    op = node.op_entry
    out, inputs = (node, parents) if create_graph else (node.data, [p.data for p in parents])
    if op.rules is None:
        partials = local_partials(node, create_graph, only=moving)
        terms = [partials[k] * t for k, t in zip(moving, tangents)]
    else:
        terms = [
            _run(op, lambda k=k, t=t: op.rules[k](t, out, *inputs), parents, strict=True)
            for k, t in zip(moving, tangents)
        ]
    if not create_graph:
        for k, t, term in zip(moving, tangents, terms):
            if type(term) is float and type(t) is float:
                _check_finite(op, parents, term, [out, *inputs, t], f"the tangent term of input {k}")
    return terms


def _as_tangent(t, where: str, i: int):
    if type(t) is float or isinstance(t, Value):
        return t
    if isinstance(t, numbers.Real) and not isinstance(t, bool):
        return as_float(f"{where}: tangents[{i}]", t)
    raise TypeError(f"{where}: tangents[{i}] must be a number or a Value, got {type(t).__name__}: {t!r}")


def push_forward(outputs, inputs: Sequence[Value], tangents: Sequence, create_graph: bool = False):
    """The directional derivative of `outputs` when `inputs` move along `tangents`.

    The forward twin of `autograd.grad`: `outputs` (a Value or a list of Values) must already
    be computed from `inputs` (Values). Returns one tangent per output (a single one for a
    single output): sum_i d(output)/d(inputs[i]) * tangents[i]. Floats, or with `create_graph`
    Values whose graph can be differentiated again. An output that does not depend on the
    inputs gets 0. No `.grad` changes.

    >>> from autograd import Value
    >>> x, y = Value(3.0), Value(2.0)
    >>> push_forward(x * x * y, [x, y], [1.0, 0.0])   # d/dx x**2 y = 2xy
    12.0
    >>> push_forward([x * y, x + y], [x, y], [1.0, 1.0])
    [5.0, 2.0]
    """
    single = isinstance(outputs, Value)
    outputs = [outputs] if single else list(outputs)
    for k, out in enumerate(outputs):
        if not isinstance(out, Value):
            raise TypeError(f"push_forward: outputs[{k}] must be a Value, got {type(out).__name__}: {out!r}")
    inputs = list(inputs)
    tangents = list(tangents)
    if len(inputs) != len(tangents):
        raise ValueError(f"push_forward: {len(inputs)} inputs but {len(tangents)} tangents; give one tangent per input")
    tangent: dict[Value, Any] = {}  # node -> its tangent so far (absent: 0)
    for i, (x, t) in enumerate(zip(inputs, tangents)):
        if not isinstance(x, Value):
            raise TypeError(f"push_forward: inputs[{i}] must be a Value, got {type(x).__name__}: {x!r}")
        t = _as_tangent(t, "push_forward", i)
        if isinstance(t, float) and t == 0.0:
            continue
        tangent[x] = tangent[x] + t if x in tangent else t
    for node in topological_order(outputs):  # one walk for all outputs: a shared trunk once
        if node.op_entry is None or node in tangent or not node.requires_grad:
            continue  # a leaf, an input given as an interior node, or a constant (as in backward)
        parents = node.parents
        moving = [k for k, p in enumerate(parents) if p in tangent]
        if not moving:
            continue
        terms = _tangent_terms(node, parents, moving, [tangent[parents[k]] for k in moving], create_graph)
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        if type(total) is float and len(terms) > 1:
            _check_finite(node.op_entry, parents, total, terms, "the sum of the terms")
        tangent[node] = total
    zero = Value(0.0, requires_grad=False) if create_graph else 0.0
    results = []
    for out in outputs:
        t = tangent.get(out, zero)
        if create_graph and not isinstance(t, Value):
            t = Value(float(t), requires_grad=False)  # partials that were plain numbers (relu's 0 or 1)
        elif not create_graph:
            t = t.data if isinstance(t, Value) else float(t)
        results.append(t)
    return results[0] if single else results


def jvp(f: Callable, inputs: Sequence, tangents: Sequence, *, create_graph=None):
    """f's value at `inputs` and its directional derivative along `tangents`: (f(x), J(x) t).

    Forward mode, as in `jax.jvp`: `f(*values)` returns a Value (or a list of Values, then both
    results are lists); `inputs` and `tangents` are sequences of numbers or Values, one tangent
    per input. One forward sweep gives the derivative of every output along one direction.

    With plain numbers the results are floats. If any input or tangent is a Value (or with
    `create_graph=True`) the graph is kept: the value is f's output Value, computed from your
    input Values, and the tangent a Value computed from inputs and tangents, so it can be
    differentiated again (reverse over forward: `autograd.grad(tangent, inputs)`).

    >>> from autograd import Value, grad, jvp
    >>> jvp(lambda x, y: x * x * y, [3.0, 2.0], [1.0, 0.0])    # (x^2 y, 2xy)
    (18.0, 12.0)
    >>> jvp(lambda x: [x.sin(), x * x], [0.0], [2.0])         # two outputs, one sweep
    ([0.0, 0.0], [2.0, 0.0])
    >>> x = Value(3.0)
    >>> value, tangent = jvp(lambda x: x ** 3, [x], [1.0])    # 3x^2, as a Value
    >>> tangent.data, grad(tangent, [x])                      # and its derivative 6x
    (27.0, [18.0])
    """
    if not callable(f):
        raise TypeError(f"jvp: f must be callable, got {type(f).__name__}: {f!r}")
    for name, seq in (("inputs", inputs), ("tangents", tangents)):
        if isinstance(seq, (str, bytes, Value, numbers.Number)) or not hasattr(seq, "__iter__"):
            raise TypeError(
                f"jvp: {name} must be a sequence (one entry per input of f), got {type(seq).__name__}: {seq!r}"
            )
    inputs, tangents = list(inputs), list(tangents)
    if len(inputs) != len(tangents):
        raise ValueError(f"jvp: {len(inputs)} inputs but {len(tangents)} tangents; give one tangent per input")
    for i, x in enumerate(inputs):
        if not isinstance(x, Value) and (not isinstance(x, numbers.Real) or isinstance(x, bool)):
            raise TypeError(f"jvp: inputs[{i}] must be a number or a Value, got {type(x).__name__}: {x!r}")
    tangents = [_as_tangent(t, "jvp", i) for i, t in enumerate(tangents)]
    if create_graph is None:
        create_graph = any(isinstance(v, Value) for v in inputs + tangents)
    leaves = [x if isinstance(x, Value) else Value(as_float(f"jvp: inputs[{i}]", x)) for i, x in enumerate(inputs)]
    out = f(*leaves)
    single = not isinstance(out, (list, tuple))
    outs = [out] if single else list(out)
    for k, o in enumerate(outs):
        if not isinstance(o, Value):
            raise TypeError(
                f"jvp: f must return a Value (or a list of Values) computed from its inputs, got "
                f"{type(o).__name__}: {o!r}" + ("" if single else f" at output {k}")
            )
    derivatives = push_forward(outs, leaves, tangents, create_graph=create_graph)
    values = outs if create_graph else [o.data for o in outs]
    return (values[0], derivatives[0]) if single else (values, derivatives)
