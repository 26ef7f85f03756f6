"""`Value`: one scalar node of the computation graph.

A Value holds data, not behaviour: its `_op` points at a shared entry of the op table
(`autograd.ops`), and references run only child -> parent, so a dropped graph is freed by
reference counting alone. The rest of the core, by idea:

- `autograd.opcall`: applying an op (`apply`), and Value's methods and operators, made from the
  op table's entries (`x + y`, `x.tanh()`);
- `autograd.gradmode`: `no_grad` and `is_recording`;
- `autograd.tracing`: the one hook through which a tape (`autograd.tape`) sees the graph being
  built; the core never imports the tape;
- `autograd.engine`: the backward pass.

`apply` and `tracing` are importable from here too, as before the split.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Iterable, Optional, Union

from autograd.checks import as_float, is_real
from autograd.tracing import tracing

__all__ = ["Value", "apply", "accumulate_grads", "tracing"]

# What an op takes besides Values: a number (an int or a numpy scalar is stored as a float).
Operand = Union["Value", float]

# The engine's mark for "not visited by a backward pass running now" (see `Value._pass`).
_UNSEEN = object()

# `_pass` of a node that needs no gradient (a constant): no backward pass visits it.
_CONSTANT = object()

# Labels live outside the node (few nodes have one): a slot less on every node is less work for
# Python's cycle collector, which traverses every slot of every node while a graph grows.
_labels: weakref.WeakKeyDictionary[Value, str] = weakref.WeakKeyDictionary()


class Value:
    """A scalar that records the operations applied to it.

    `data` is a float; `grad` is d(output)/d(this node) after a backward pass (0.0 before).
    `parents` is the ordered tuple of inputs (repeats kept: `a * a` has parents `(a, a)`),
    `op` the name of the op that made the node ("" for a leaf).

    Comparisons: `==`/`!=` and `hash` are by identity (a Value is a graph node, usable as a
    dict key); `<`, `<=`, `>`, `>=` compare `data` and return a plain bool (no graph).

    >>> x = Value(3.0, label="x")
    >>> y = x * x + 1
    >>> y.backward()
    >>> y.data, x.grad
    (10.0, 6.0)
    """

    # `_pass` belongs to the engine: a node's gradient while a backward pass runs, and
    # `_UNSEEN` between passes (a per-node visit mark, cheaper than a set of visited nodes).
    # It is `_CONSTANT` for a node with requires_grad=False: the flag costs no slot of its own.
    # Parents live in slots, not a tuple: `_p0` and `_p1` hold the inputs of a unary or binary
    # op with rules, `_p0` always a Value and a number input as a plain float in `_p1` (a number
    # costs no node); any other op (n-ary, more inputs, or a number first: `3 - x`) has `_p0`
    # None and the tuple of its inputs in `_p1`. One tracked object per op instead of two halves the work of Python's
    # cycle collector while a graph is built (it dominated build time), and every slot costs it
    # time too, hence no more slots than these.
    __slots__ = ("data", "_grad", "_pass", "_p0", "_p1", "_op", "__weakref__")
    data: float
    _grad: Any  # None, a float, or a Value (a gradient kept by a create_graph pass)
    _pass: Any
    _p0: Any
    _p1: Any
    _op: Any  # the `autograd.ops.Op` entry, None for a leaf

    def __init__(self, data: float, label: str = "", *, requires_grad: bool = True) -> None:
        self.data = _as_float(data)
        self._grad = None
        self._pass = _UNSEEN if requires_grad else _CONSTANT
        self._p0 = self._p1 = None
        self._op = None
        if label is not None and not isinstance(label, str):
            label = str(label)
        if label:
            _labels[self] = label

    @property
    def requires_grad(self) -> bool:
        """False for a constant: it gets no gradient, and nothing flows through it to its parents."""
        return self._pass is not _CONSTANT

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self._pass is not _UNSEEN and self._pass is not _CONSTANT:
            raise RuntimeError("requires_grad cannot change while a backward pass runs through the node")
        self._pass = _UNSEEN if value else _CONSTANT

    @property
    def label(self) -> str:
        """A name for display ("" if none): rendering, repr and parameter names use it."""
        return _labels.get(self, "")

    @label.setter
    def label(self, value: Optional[str]) -> None:
        value = "" if value is None else str(value)
        if value:
            _labels[self] = value
        else:
            _labels.pop(self, None)

    # -- gradient -------------------------------------------------------------------------
    @property
    def grad(self) -> float:
        """d(output)/d(self) from the latest backward pass; leaves accumulate across passes."""
        return 0.0 if self._grad is None else self._grad

    @grad.setter
    def grad(self, value: Optional[float]) -> None:
        self._grad = None if value is None else _as_float(value)

    @property
    def has_grad(self) -> bool:
        """True once a backward pass has reached this node (False again after `zero_grad`).

        >>> x = Value(1.0); x.has_grad
        False
        """
        return self._grad is not None

    def zero_grad(self) -> None:
        """Forget this node's gradient: `grad` reads 0.0 and `has_grad` is False.

        >>> x = Value(2.0); (x * x).backward(); x.zero_grad(); x.grad
        0.0
        """
        self._grad = None

    @property
    def op(self) -> str:
        """Name of the op that produced this node; "" for a leaf."""
        return "" if self._op is None else self._op.name

    @property
    def op_entry(self) -> Any:
        """The op-table entry (`autograd.ops.Op`) that made this node; None for a leaf. Read-only:
        its forward, rules and symbol, for code that walks a graph (pictures, checks, tapes).

        >>> x = Value(2.0); y = x.tanh()
        >>> y.op_entry.name, y.op_entry.arity, x.op_entry
        ('tanh', 1, None)
        """
        return self._op

    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs of the op that made this node, in order (repeats kept); () for a leaf.

        A number used in an op (`x * 2`) is stored as a number; here it appears as a constant
        Value (`requires_grad=False`), made when first asked for and then kept.

        >>> a = Value(2.0); (a * a).parents == (a, a)
        True
        >>> [(p.data, p.requires_grad) for p in (a * 3).parents]
        [(2.0, True), (3.0, False)]
        """
        p0, p1 = self._p0, self._p1
        if p0 is None:
            if p1 is None:
                return ()
            return _parents_with_constants(self) if type(p1[0]) is float else p1
        if type(p1) is float:
            return _parents_with_constants(self)
        return (p0,) if p1 is None else (p0, p1)

    @property
    def is_leaf(self) -> bool:
        """True for a node with no parents (an input, a parameter or a constant)."""
        return self._op is None

    def backward(self, grad: float = 1.0) -> None:
        """Backpropagate from this node, seeding d(self)/d(self) with `grad`.

        Leaves accumulate into `.grad` (call `zero_grad` between steps); interior nodes hold
        the gradient of this pass only.

        >>> a = Value(2.0); b = a * 3
        >>> b.backward(); b.backward(); a.grad, b.grad
        (6.0, 1.0)
        """
        from autograd.engine import backward

        backward(self, grad)

    def detach(self) -> Value:
        """A new constant leaf (`requires_grad=False`) with the same data and label.

        >>> x = Value(2.0); y = (x * x).detach(); y.parents, y.requires_grad
        ((), False)
        """
        if tracing.active:
            tracing.guard(self, "detach", None, self.data)
        return Value(self.data, self.label, requires_grad=False)

    # -- copies ----------------------------------------------------------------------------------
    def __deepcopy__(self, memo: dict) -> Value:
        """A copy of this node and of every node it depends on: data, grad, requires_grad, label,
        op and parents (nodes shared in the original are shared in the copy). No recursion, so
        a deep graph copies too.

        >>> import copy
        >>> x = Value(2.0, label="x"); y = x * x; y.backward()
        >>> y2 = copy.deepcopy(y); x2 = y2.parents[0]
        >>> (x2.data, x2.grad, x2.label, y2.parents == (x2, x2), x2 is x)
        (2.0, 4.0, 'x', True, False)
        """
        for node in _ancestors(self):
            if id(node) not in memo:
                parents = tuple(memo[id(p)] for p in node.parents)
                memo[id(node)] = _rebuilt(node.data, node._grad, node.requires_grad, node.label, node._op, parents)
        return memo[id(self)]

    def __reduce__(self) -> tuple:
        # Pickle: leaves by reference (pickle's memo keeps a parameter shared by several pickled
        # Values one object), the ops above them as a flat list, so a deep graph needs no recursion.
        if self._op is None:
            return (_rebuilt, (self.data, self._grad, self.requires_grad, self.label, None, ()))
        index: dict[Value, int] = {}
        entries: list[Any] = []  # a leaf, or (data, grad, requires_grad, label, op name, parent indices)
        for node in _ancestors(self):
            index[node] = len(entries)
            if node._op is None:
                entries.append(node)
            else:
                parents = tuple(index[p] for p in node.parents)
                entries.append((node.data, node._grad, node.requires_grad, node.label, node._op.name, parents))
        return (_unpickled_graph, (entries,))

    # -- representation and conversion -----------------------------------------------------
    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self) -> float:
        if tracing.active:
            tracing.guard(self, "float", None, self.data)
        return self.data

    def __bool__(self) -> bool:
        result = self.data != 0.0
        if tracing.active:
            tracing.guard(self, "bool", None, result)
        return result

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        from autograd.render import repr_mimebundle

        return repr_mimebundle(self, include=include, exclude=exclude)

    # -- comparisons on data (no graph) ---------------------------------------------------
    def __lt__(self, other: Union[Value, float]) -> bool:
        return _compared(self, "<", other, self.data < _data_of(other, "<"))

    def __le__(self, other: Union[Value, float]) -> bool:
        return _compared(self, "<=", other, self.data <= _data_of(other, "<="))

    def __gt__(self, other: Union[Value, float]) -> bool:
        return _compared(self, ">", other, self.data > _data_of(other, ">"))

    def __ge__(self, other: Union[Value, float]) -> bool:
        return _compared(self, ">=", other, self.data >= _data_of(other, ">="))

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    # -- arithmetic and elementary functions ----------------------------------------------
    # Each operator and method comes from one op-table entry (`Op.method`, `Op.operator` in
    # `autograd.ops`), attached by `autograd.opcall._attach` when the entry is made: `x + y` records ADD.

    def __pos__(self) -> Value:
        return self

    if TYPE_CHECKING:  # what the op table attaches, for type checkers (tests/test_typing.py keeps it in step)

        def __add__(self, other: Operand) -> Value: ...
        def __radd__(self, other: Operand) -> Value: ...
        def __sub__(self, other: Operand) -> Value: ...
        def __rsub__(self, other: Operand) -> Value: ...
        def __mul__(self, other: Operand) -> Value: ...
        def __rmul__(self, other: Operand) -> Value: ...
        def __truediv__(self, other: Operand) -> Value: ...
        def __rtruediv__(self, other: Operand) -> Value: ...
        def __pow__(self, other: Operand, modulo: None = None) -> Value: ...
        def __rpow__(self, other: Operand) -> Value: ...
        def __neg__(self) -> Value: ...
        def __abs__(self) -> Value: ...
        def exp(self) -> Value: ...
        def log(self) -> Value: ...
        def sqrt(self) -> Value: ...
        def softplus(self) -> Value: ...
        def tanh(self) -> Value: ...
        def sigmoid(self) -> Value: ...
        def relu(self) -> Value: ...
        def leaky_relu(self, slope: Operand = 0.01) -> Value: ...
        def sin(self) -> Value: ...
        def cos(self) -> Value: ...

        # A user's op (`define_op(..., method="cube")`) attaches its method at run time, unknown to
        # a type checker: `cube(x)`, calling the op, type-checks.


def accumulate_grads(values: Iterable[Value], grads: Iterable[float]) -> None:
    """Add each float of `grads` to the `.grad` of the Value at the same place in `values`, as a
    backward pass does for leaves (a tape adds its batch gradients to the parameters this way).

    >>> a, b = Value(1.0), Value(2.0); (a * b).backward()
    >>> accumulate_grads([a, b], [0.5, 0.25]); a.grad, b.grad
    (2.5, 1.25)
    """
    for value, g in zip(values, grads):
        if type(g) is not float:
            g = _as_float(g)
        value._grad = g if value._grad is None else value._grad + g


# -- numbers -----------------------------------------------------------------------------------


def _as_float(data: Any) -> float:
    if type(data) is float:
        return data
    if is_real(data):
        return as_float("Value(data)", data)
    if isinstance(data, Value):
        raise TypeError("Value(data): data is already a Value; use v.data or v.detach()")
    raise TypeError(f"Value(data): data must be a real number, got {type(data).__name__}: {data!r}")


# -- copies and pickles (`Value.__deepcopy__`, `Value.__reduce__`) ---------------------------


def _ancestors(root: Value) -> list[Value]:
    """`root` and every node it depends on, parents first (iterative)."""
    from autograd.engine import topological_order

    return topological_order(root)


def _rebuilt(data: float, grad: Any, requires_grad: bool, label: str, op: Any, parents: tuple) -> Value:
    """A node with these fields (a copy's, or an unpickled one's)."""
    node = Value(data, label, requires_grad=requires_grad)
    node._grad = grad
    if op is not None:
        if isinstance(op, str):
            op = _op_named(op)
        node._p0, node._p1 = _slots(op, parents)
        node._op = op
    return node


def _op_named(name: str) -> Any:
    from autograd.ops import INTERNAL_OPS, OPS

    op = OPS.get(name) or INTERNAL_OPS.get(name)
    if op is None:
        raise ValueError(f"unpickling a Value: its op {name!r} is not defined here (define_op it before loading)")
    return op


def _unpickled_graph(entries: list) -> Value:
    nodes = []
    for entry in entries:
        if isinstance(entry, Value):
            nodes.append(entry)
        else:
            data, grad, requires_grad, label, op, parents = entry
            nodes.append(_rebuilt(data, grad, requires_grad, label, op, tuple(nodes[i] for i in parents)))
    return nodes[-1]


# -- comparisons and parents ---------------------------------------------------------------


def _compared(node: Value, kind: str, other: Any, result: bool) -> bool:
    """A comparison's result; while a tape is being traced it is also recorded as a guard."""
    if tracing.active:
        tracing.guard(node, kind, other, result)
    return result


def _data_of(other: Any, op_name: str) -> float:
    if isinstance(other, Value):
        return other.data
    if is_real(other):
        return other
    raise TypeError(f"{op_name}: cannot compare a Value with {type(other).__name__}: {other!r}")


# The constant Values standing for the numbers stored in a node's parent slots, made when
# `parents` is first read (by a picture, a tape, a walk of the graph), never on the hot path.
_constants: weakref.WeakKeyDictionary[Value, tuple[Value, ...]] = weakref.WeakKeyDictionary()


def _parents_with_constants(node: Value) -> tuple[Value, ...]:
    parents = _constants.get(node)
    if parents is None:
        slots = node._p1 if node._p0 is None else (node._p0, node._p1)
        parents = tuple(Value(p, requires_grad=False) if type(p) is float else p for p in slots)
        _constants[node] = parents
    return parents


# `apply` and the methods and operators of Value live in `autograd.opcall`, which needs `Value`;
# the op table (`autograd.ops`) needs both, and each of its entries attaches its methods and
# operators to Value as it is made. So both are imported last.
import autograd.ops  # noqa: E402,F401
from autograd.opcall import _slots, apply  # noqa: E402
