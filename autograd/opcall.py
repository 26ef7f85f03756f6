"""Applying an op: `apply`, and Value's methods and operators made from the op table's entries.

Every node of a graph is made here: the op's float forward runs, an error names the op and its
inputs, and the node records its op and parents when grad mode (`autograd.gradmode`) says so.
Each op-table entry (`autograd.ops`) gives Value the method (`x.tanh()`) and operator
(`x + y`) it names, through `_attach`.
"""

from __future__ import annotations

import inspect
import math
from typing import TYPE_CHECKING, Any, Callable

from autograd import gradmode as _gradmode
from autograd.checks import as_float, is_real
from autograd.gradmode import _recording_here
from autograd.tracing import tracing
from autograd.value import _CONSTANT, _UNSEEN, Value

if TYPE_CHECKING:
    from autograd.opentry import Op

__all__ = ["apply"]


def _number(x, op) -> float:
    """A number used in an op, as a float (how it is stored in the graph)."""
    if is_real(x):
        return as_float(op.name, x)
    raise TypeError(f"{op.name}: unsupported operand of type {type(x).__name__}: {x!r}")


def _forward_error(op, inputs, error: Exception) -> Exception:
    """The float forward raised: say which op, on which values, and why."""
    args = ", ".join(repr(x) for x in inputs)
    if isinstance(error, OverflowError):
        reason = f"result overflows a float ({error})"
    elif isinstance(error, ValueError) and op.domain:
        reason = op.domain
    else:
        reason = str(error)
    kind = next(k for k in _ERROR_KINDS if isinstance(error, k))
    return kind(f"{op.name}({args}): {reason}")


# The most specific builtin class first, so the re-raised error keeps its meaning.
_ERROR_KINDS = (ZeroDivisionError, OverflowError, ArithmeticError, ValueError, TypeError)


def _nonfinite_error(op, inputs, out: float):
    """Finite inputs gave inf/nan: overflow. Non-finite inputs propagate (IEEE 754)."""
    if all(math.isfinite(x) for x in inputs):
        args = ", ".join(repr(x) for x in inputs)
        if math.isnan(out):
            return ValueError(f"{op.name}({args}): result is NaN for finite inputs")
        return OverflowError(f"{op.name}({args}): result {out} overflows a float")
    return None


def _compute(op, inputs) -> float:
    try:
        out = op.forward(*inputs)
    except (ValueError, ArithmeticError, TypeError) as error:
        raise _forward_error(op, inputs, error) from None
    if out - out:  # inf or nan give nan, which is truthy; finite gives 0.0 (cheap on the hot path)
        _check_nonfinite(op, inputs, out)
    return out


def _check_nonfinite(op, inputs, out: float) -> None:
    error = _nonfinite_error(op, inputs, out)
    if error is not None:
        raise error


_new = object.__new__


def _node(op, out: float, p0, p1, needs_grad: bool) -> Value:
    """The one node builder: the op's result `out`, with its inputs in the parent slots (`p0`,
    `p1`: see `_slots`). It is recorded in the graph only when recording and some input needs a
    gradient (as in PyTorch); otherwise it is a constant leaf, so no rule ever runs for it."""
    node = _new(Value)
    node.data = out
    node._grad = None
    if needs_grad and (not _gradmode._no_grad_blocks or _recording_here.get()):
        node._pass = _UNSEEN
        node._p0 = p0
        node._p1 = p1
        node._op = op
    elif tracing.active and tracing.recorder is not None:
        # While a tape is traced, a node that needs no gradient (inside `no_grad()`, or from
        # constants) still records its op and parents, as a constant: backward never visits it,
        # and the tape replays it for every sample instead of baking in its traced value.
        node._pass = _CONSTANT
        node._p0 = p0
        node._p1 = p1
        node._op = op
    else:
        node._pass = _CONSTANT
        node._p0 = node._p1 = None
        node._op = None
    return node


def _slots(op: Op, parents: tuple) -> tuple:
    """The parent slots `(_p0, _p1)` for `parents` (Values). The engine reads the kind of rule
    from the layout: an op with one or two rules keeps its inputs in `_p0`, `_p1` (a number as a
    float, in `_p1` only); any other (n-ary, or more rules) has `_p0` None and the tuple of its
    inputs in `_p1` (Values, but for a number first of two inputs, as in `3 - x`)."""
    if op.rules is not None and len(parents) <= 2:
        return (parents + (None,))[:2]
    return None, parents


def _method(op: Op, reflected: bool = False) -> Callable[..., Value]:
    """Value's method or operator for an op of one or two inputs: `x.tanh()`, `x * y`, and with
    `reflected` `2 * x` (which Python runs as `x.__rmul__(2)`). A number input is stored as a
    float in the second parent slot: it costs no node. Its signature is exact, `(self)` for one
    input and `(self, other)` for two, so a call that help() would not show is Python's own
    TypeError.

    Each does what `apply(op, x, y)` does, with `_compute` (forward and error check) and `_node`
    (the node) written out inline, for every such op and operator: it runs once per op of every
    graph, and calling those two functions instead costs about 10% more per op of a graph built
    and differentiated (callgrind: 9,450 instead of 8,620 instructions per op on a random DAG;
    one merged call still costs 5%). Keep these copies in step: tests/test_op_entry.py checks
    that every path makes the same node in every state.
    """
    if op.arity == 1:
        return _unary_method(op)
    return _reflected_method(op) if reflected else _binary_method(op)


def _unary_method(op: Op) -> Callable[[Value], Value]:
    forward = op.forward

    def unary(self: Value) -> Value:
        a = self.data
        # = _compute(op, inputs)
        try:
            out = forward(a)
        except (ValueError, ArithmeticError, TypeError) as error:
            raise _forward_error(op, (a,), error) from None
        if out - out:  # inf or nan (see _compute)
            _check_nonfinite(op, (a,), out)
        # = _node(op, out, self, None, needs_grad)
        node = _new(Value)
        node.data = out
        node._grad = None
        if self._pass is not _CONSTANT and (not _gradmode._no_grad_blocks or _recording_here.get()):
            node._pass = _UNSEEN
            node._p0 = self
            node._p1 = None
            node._op = op
        elif tracing.active and tracing.recorder is not None:
            node._pass = _CONSTANT
            node._p0 = self
            node._p1 = None
            node._op = op
        else:
            node._pass = _CONSTANT
            node._p0 = node._p1 = None
            node._op = None
        return node

    return unary


def _binary_method(op: Op) -> Callable[[Value, Any], Value]:
    forward = op.forward

    def binary(self: Value, other: Any) -> Value:
        # The parents self and other, and the floats a and b that the forward runs on.
        a = self.data
        if isinstance(other, Value):
            needs_grad = self._pass is not _CONSTANT or other._pass is not _CONSTANT
            b = other.data
        else:
            needs_grad = self._pass is not _CONSTANT
            other = b = other if type(other) is float else _number(other, op)
        # = _compute(op, inputs)
        try:
            out = forward(a, b)
        except (ValueError, ArithmeticError, TypeError) as error:
            raise _forward_error(op, (a, b), error) from None
        if out - out:  # inf or nan (see _compute)
            _check_nonfinite(op, (a, b), out)
        # = _node(op, out, self, other, needs_grad)
        node = _new(Value)
        node.data = out
        node._grad = None
        if needs_grad and (not _gradmode._no_grad_blocks or _recording_here.get()):
            node._pass = _UNSEEN
            node._p0 = self
            node._p1 = other
            node._op = op
        elif tracing.active and tracing.recorder is not None:
            node._pass = _CONSTANT
            node._p0 = self
            node._p1 = other
            node._op = op
        else:
            node._pass = _CONSTANT
            node._p0 = node._p1 = None
            node._op = None
        return node

    return binary


def _reflected_method(op: Op) -> Callable[[Value, Any], Value]:
    """`other <op> self`, which Python runs as `self.__rop__(other)` when `other` is a number
    (`2 * x`, `3 - x`). A number sits in the second parent slot only, so that the engine's hot
    loop needs no check on the first: with a number first, the inputs keep their order in the
    general layout, `_p1 = (2.0, x)` (see `_slots`). Not the hot path: `apply` does the work."""

    def reflected(self: Value, other: Any) -> Value:
        return apply(op, other, self)

    return reflected


def _named_method(op):
    """The method `x.name(...)` for an op's entry: `_method`'s, taking its second input under the
    name and default that help() shows (`x.leaky_relu(slope=0.2)`, `x.leaky_relu()`)."""
    method = _method(op)
    signature = _signature(op)
    if op.arity != 2:
        return method, signature
    second = list(signature.parameters.values())[1]
    if second.name == "other":  # `_method`'s own parameter: only its default to set
        if second.default is not inspect.Parameter.empty:
            method.__defaults__ = (second.default,)
        return method, signature
    fast = method

    def method(self, *args, **kwargs):
        if len(args) == 1 and not kwargs:  # x.leaky_relu(0.2): no binding to do
            return fast(self, args[0])
        try:
            bound = signature.bind(self, *args, **kwargs)
        except TypeError as error:  # what help() does not show
            raise TypeError(f"Value.{op.method}{signature}: {error}") from None
        bound.apply_defaults()
        return fast(*bound.args)

    return method, signature


def apply(op: Op, *args: Any) -> Any:
    """Apply an op-table entry to Values and/or numbers.

    With at least one Value among `args` the result is a new Value recorded in the graph;
    with numbers only it is a float computed by the op's forward (the fast path that the
    derivative rules use during a first-order backward pass).

    >>> from autograd.ops import MUL
    >>> apply(MUL, 2.0, 3.0)
    6.0
    >>> apply(MUL, Value(2.0), 3.0).data
    6.0
    """
    if op.arity is not None and len(args) != op.arity:
        raise TypeError(f"{op.name}: expected {op.arity} inputs, got {len(args)}")
    inputs, some_value, needs_grad, converted = [], False, False, False
    for a in args:
        if isinstance(a, Value):
            some_value = True
            needs_grad = needs_grad or a._pass is not _CONSTANT
            inputs.append(a.data)
        elif type(a) is float:
            inputs.append(a)
        elif tracing.array_types and isinstance(a, tracing.array_types):  # a tape's batch of samples
            return tracing.array_apply(op, args)
        else:
            inputs.append(_number(a, op))
            converted = True
    out = _compute(op, tuple(inputs))
    if not some_value:  # numbers only: a number (how rules run in a first-order backward pass)
        return out
    if converted:  # an int, a numpy scalar...: stored as the float it was computed with
        args = tuple(a if isinstance(a, Value) else x for a, x in zip(args, inputs))
    if op.rules is not None and len(args) <= 2:  # the parent slots (see `_slots`)
        if type(args[0]) is not float:
            return _node(op, out, args[0], args[1] if len(args) == 2 else None, needs_grad)
        return _node(op, out, None, args, needs_grad)  # a number first (`2 * x`): in the tuple
    # the tuple layout holds Values only (but for a number first of two inputs, above): a number
    # becomes a constant leaf
    return _node(
        op, out, None, tuple(a if isinstance(a, Value) else Value(a, requires_grad=False) for a in args), needs_grad
    )


# Python's operators and the special methods behind them: a binary operator in both directions
# (`x + 2` calls `x.__add__(2)`, `2 + x` calls `x.__radd__(2)`), and the unary ones.
_BINARY_OPERATORS = {
    "+": "add",
    "-": "sub",
    "*": "mul",
    "/": "truediv",
    "//": "floordiv",
    "%": "mod",
    "**": "pow",
    "@": "matmul",
}
_UNARY_OPERATORS = {"-": "__neg__", "abs": "__abs__", "~": "__invert__"}

# Which op attached each method or operator of Value (by name): a user op may replace its own,
# never a built-in one or another attribute of Value.
_attached: dict = {}


def _attach(op) -> None:
    """Give Value the method (`x.tanh()`) and the operator (`x + y`) that `op`'s entry names.

    A default of the forward's second input (leaky_relu's `slope=0.01`) is the method's default.
    """
    unary = op.arity == 1
    methods = {}
    if op.method:
        methods[op.method], signature = _named_method(op)
        methods[op.method].__signature__ = signature  # what help() shows: (self), (self, slope=0.01)
    if op.operator and unary:
        methods[_UNARY_OPERATORS[op.operator]] = _method(op)
    elif op.operator:
        stem = _BINARY_OPERATORS[op.operator]
        methods[f"__{stem}__"], methods[f"__r{stem}__"] = _method(op), _method(op, reflected=True)
        if stem == "pow":
            methods["__pow__"] = _no_modulo(methods["__pow__"])
    for name in methods:
        owner = _attached.get(name)
        if owner is not None and owner is not op or owner is None and hasattr(Value, name):
            taken = f"op {owner.name!r}'s" if owner is not None else "an attribute of Value"
            raise ValueError(f"{op.name}: Value.{name} is {taken}; choose another name")
    for name, method in methods.items():
        method.__name__, method.__qualname__, method.__doc__ = name, f"Value.{name}", op.doc
        setattr(Value, name, method)
        _attached[name] = op


def _signature(op) -> inspect.Signature:
    """The method's signature: `(self)` for one input; for two, `(self, other)`, or the name and
    default of the forward's second parameter when it has them (`(self, slope=0.01)`)."""
    parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    if op.arity == 2:
        name, default = "other", inspect.Parameter.empty
        try:
            second = list(inspect.signature(getattr(op.forward, "__wrapped__", op.forward)).parameters.values())[1]
            if second.kind in (second.POSITIONAL_ONLY, second.POSITIONAL_OR_KEYWORD):
                name, default = second.name, second.default
        except (ValueError, TypeError, IndexError):  # a builtin without a signature, or *args
            pass
        parameters.append(inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default))
    return inspect.Signature(parameters)


def _detach(op) -> None:
    """Take the methods and operators that `op` attached off Value (a user op being redefined)."""
    for name in [name for name, owner in _attached.items() if owner is op]:
        delattr(Value, name)
        del _attached[name]


def _no_modulo(method):
    """`__pow__` as `method` does it, but `pow(x, y, modulo)` (which passes a third argument)
    raises a TypeError saying why it cannot work, rather than one about argument counts."""

    def __pow__(self, other, modulo=None):
        if modulo is not None:
            raise TypeError("pow: a three-argument pow (modulo) is not differentiable")
        return method(self, other)

    return __pow__
