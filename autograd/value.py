"""`Value`: one scalar node of the computation graph, and `apply`, which records an op.

A Value holds data, not behaviour: its `_op` points at a shared entry of the op table
(`autograd.ops`), and references run only child -> parent, so a dropped graph is freed by
reference counting alone.

The core never imports the tape (`autograd.tape`): the tape plugs in through ONE hook, `tracing`
(see `Tracing`), and reads the graph through public names only (`parents`, `op_entry`, ...).
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import math
import numbers
import threading
import weakref

__all__ = ["Value", "apply", "accumulate_grads", "tracing"]

# Recording is off inside `no_grad()`, per thread and per asyncio task (a context variable, as
# PyTorch's grad mode is thread-local). `_no_grad_blocks` counts the blocks open anywhere in the
# process: while it is 0, the usual case, an op reads that one global and never the (slower)
# context variable.
_no_grad_blocks = 0
_no_grad_lock = threading.Lock()
_recording_here = contextvars.ContextVar("autograd_recording", default=True)


def _recording() -> bool:
    """True unless a `no_grad()` block is open in this thread or task."""
    return not _no_grad_blocks or _recording_here.get()

# The engine's mark for "not visited by a backward pass running now" (see `Value._pass`).
_UNSEEN = object()

# `_pass` of a node that needs no gradient (a constant): no backward pass visits it.
_CONSTANT = object()


class Tracing:
    """The core's one hook for a tape (`autograd.tape`), which the core never imports.

    - `recorder`: None, except while `autograd.trace` runs a function in this thread (or asyncio
      task): then an object whose `guard(node, kind, other, result)` is told of every place
      where a Value's data leaves the graph (`<`, `<=`, `>`, `>=`; `==` in a rule's special case
      at 0; `bool`, `float`, `detach`), so a tape can check them for every sample. While there is
      a recorder, a node that needs no gradient still records its op and parents (as a
      constant), so a tape replays it. Set it with `with tracing.recording(recorder):`; a trace
      in one thread sees nothing of another's ops. `active` counts the traces running anywhere:
      while it is 0, the usual case, checking it is the whole cost of the hook.
    - `array_types`, `array_apply`: `apply` hands arguments of these types (numpy's ndarray
      once a tape is imported) to `array_apply(op, args)`, so a rule that calls a table op
      (`COS(x)`) runs on a tape's batches too. Set them with `register_arrays`.

    >>> class Guards:
    ...     def __init__(self): self.seen = []
    ...     def guard(self, node, kind, other, result): self.seen.append((kind, other, result))
    >>> guards = Guards()
    >>> with tracing.recording(guards):
    ...     x = Value(2.0)
    ...     _ = x > 1, bool(x)
    >>> guards.seen, tracing.recorder is None
    ([('>', 1, True), ('bool', None, True)], True)
    """

    __slots__ = ("active", "array_types", "array_apply", "_here", "_lock")

    def __init__(self):
        self.active = 0
        self.array_types: tuple = ()
        self.array_apply = None
        self._here = contextvars.ContextVar("autograd_recorder", default=None)
        self._lock = threading.Lock()

    @property
    def recorder(self):
        """This thread's (or task's) recorder; None when nothing is being traced here."""
        return self._here.get() if self.active else None

    def guard(self, node, kind: str, other, result) -> None:
        """Tell this thread's recorder, if any, that `node`'s data left the graph."""
        recorder = self.recorder
        if recorder is not None:
            recorder.guard(node, kind, other, result)

    @contextlib.contextmanager
    def recording(self, recorder):
        """Tell `recorder` about every guard while the block runs in this thread (no nesting)."""
        if self.recorder is not None:
            raise RuntimeError("trace: already tracing (trace cannot be nested)")
        token = self._here.set(recorder)
        with self._lock:
            self.active += 1
        try:
            yield recorder
        finally:
            self._here.reset(token)
            with self._lock:
                self.active -= 1

    def register_arrays(self, types: tuple, array_apply) -> None:
        """Let `apply(op, *args)` run `array_apply(op, args)` when an argument is one of `types`."""
        self.array_types = tuple(types)
        self.array_apply = array_apply


# The one instance the core reads (a tape sets it; see `Tracing`).
tracing = Tracing()

# Labels live outside the node (few nodes have one): a slot less on every node is less work for
# Python's cycle collector, which traverses every slot of every node while a graph grows.
_labels: "weakref.WeakKeyDictionary[Value, str]" = weakref.WeakKeyDictionary()


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
    # op with rules (a number input as a plain float: a number costs no node); any other op
    # (n-ary, or more inputs) has `_p0` None and the tuple of its
    # inputs in `_p1`. One tracked object per op instead of two halves the work of Python's
    # cycle collector while a graph is built (it dominated build time), and every slot costs it
    # time too, hence no more slots than these.
    __slots__ = ("data", "_grad", "_pass", "_p0", "_p1", "_op", "__weakref__")

    def __init__(self, data, label: str = "", *, requires_grad: bool = True):
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
    def requires_grad(self, value) -> None:
        if self._pass is not _UNSEEN and self._pass is not _CONSTANT:
            raise RuntimeError("requires_grad cannot change while a backward pass runs through the node")
        self._pass = _UNSEEN if value else _CONSTANT

    @property
    def label(self) -> str:
        """A name for display ("" if none): rendering, repr and parameter names use it."""
        return _labels.get(self, "")

    @label.setter
    def label(self, value) -> None:
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
    def grad(self, value) -> None:
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
    def op_entry(self):
        """The op-table entry (`autograd.ops.Op`) that made this node; None for a leaf. Read-only:
        its forward, rules and symbol, for code that walks a graph (pictures, checks, tapes).

        >>> x = Value(2.0); y = x.tanh()
        >>> y.op_entry.name, y.op_entry.arity, x.op_entry
        ('tanh', 1, None)
        """
        return self._op

    @property
    def parents(self) -> tuple:
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
            return () if p1 is None else p1
        if type(p0) is float or type(p1) is float:
            return _parents_with_constants(self)
        return (p0,) if p1 is None else (p0, p1)

    @property
    def is_leaf(self) -> bool:
        """True for a node with no parents (an input, a parameter or a constant)."""
        return self._op is None

    def backward(self, grad=1.0) -> None:
        """Backpropagate from this node, seeding d(self)/d(self) with `grad`.

        Leaves accumulate into `.grad` (call `zero_grad` between steps); interior nodes hold
        the gradient of this pass only.

        >>> a = Value(2.0); b = a * 3
        >>> b.backward(); b.backward(); a.grad, b.grad
        (6.0, 1.0)
        """
        from autograd.engine import backward

        backward(self, grad)

    def detach(self) -> "Value":
        """A new constant leaf (`requires_grad=False`) with the same data and label.

        >>> x = Value(2.0); y = (x * x).detach(); y.parents, y.requires_grad
        ((), False)
        """
        if tracing.active:
            tracing.guard(self, "detach", None, self.data)
        return Value(self.data, self.label, requires_grad=False)

    # -- copies ----------------------------------------------------------------------------------
    def __deepcopy__(self, memo) -> "Value":
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

    def __reduce__(self):
        # Pickle: leaves by reference (pickle's memo keeps a parameter shared by several pickled
        # Values one object), the ops above them as a flat list, so a deep graph needs no recursion.
        if self._op is None:
            return (_rebuilt, (self.data, self._grad, self.requires_grad, self.label, None, ()))
        index, entries = {}, []
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

    def _repr_mimebundle_(self, include=None, exclude=None):
        from autograd.render import repr_mimebundle

        return repr_mimebundle(self, include=include, exclude=exclude)

    # -- comparisons on data (no graph) ---------------------------------------------------
    def __lt__(self, other):
        return _compared(self, "<", other, self.data < _data_of(other, "<"))

    def __le__(self, other):
        return _compared(self, "<=", other, self.data <= _data_of(other, "<="))

    def __gt__(self, other):
        return _compared(self, ">", other, self.data > _data_of(other, ">"))

    def __ge__(self, other):
        return _compared(self, ">=", other, self.data >= _data_of(other, ">="))

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    # -- arithmetic and elementary functions ----------------------------------------------
    # Each operator and method comes from one op-table entry (`Op.method`, `Op.operator` in
    # `autograd.ops`), attached by `_attach` (below) when the entry is made: `x + y` records ADD.

    def __pos__(self):
        return self


def accumulate_grads(values, grads) -> None:
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


# ---------------------------------------------------------------------------------------
# Recording an op: forward on floats, errors named after the op, a node when recording.
# ---------------------------------------------------------------------------------------


def _is_real(x) -> bool:
    """A real number: int, float, bool, fractions, decimals, and numpy's real scalars (numpy's
    bool is no `numbers.Real`, yet `Value(np.bool_(True))` should work as `Value(True)` does)."""
    if isinstance(x, numbers.Real):
        return not isinstance(x, Value)
    return type(x).__module__ == "numpy" and getattr(x, "shape", None) == () and getattr(x, "dtype", None) is not None \
        and x.dtype.kind in "biuf"


def _as_float(data) -> float:
    if type(data) is float:
        return data
    if _is_real(data):
        return float(data)
    if isinstance(data, Value):
        raise TypeError("Value(data): data is already a Value; use v.data or v.detach()")
    raise TypeError(f"Value(data): data must be a real number, got {type(data).__name__}: {data!r}")


def _ancestors(root: Value) -> list:
    """`root` and every node it depends on, parents first (iterative)."""
    from autograd.engine import topological_order

    return topological_order(root)


def _rebuilt(data, grad, requires_grad, label, op, parents) -> Value:
    """A node with these fields (a copy's, or an unpickled one's)."""
    node = Value(data, label, requires_grad=requires_grad)
    node._grad = grad
    if op is not None:
        if isinstance(op, str):
            op = _op_named(op)
        node._p0, node._p1 = _slots(op, parents)
        node._op = op
    return node


def _op_named(name: str):
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


def _compared(node: Value, kind: str, other, result: bool) -> bool:
    """A comparison's result; while a tape is being traced it is also recorded as a guard."""
    if tracing.active:
        tracing.guard(node, kind, other, result)
    return result


def _data_of(other, op_name: str) -> float:
    if isinstance(other, Value):
        return other.data
    if _is_real(other):
        return other
    raise TypeError(f"{op_name}: cannot compare a Value with {type(other).__name__}: {other!r}")


def _number(x, op) -> float:
    """A number used in an op, as a float (how it is stored in the graph)."""
    if _is_real(x):
        return float(x)
    raise TypeError(f"{op.name}: unsupported operand of type {type(x).__name__}: {x!r}")


# The constant Values standing for the numbers stored in a node's parent slots, made when
# `parents` is first read (by a picture, a tape, a walk of the graph), never on the hot path.
_constants: "weakref.WeakKeyDictionary[Value, tuple]" = weakref.WeakKeyDictionary()


def _parents_with_constants(node: Value) -> tuple:
    parents = _constants.get(node)
    if parents is None:
        slots = (node._p0,) if node._p1 is None else (node._p0, node._p1)
        parents = tuple(Value(p, requires_grad=False) if type(p) is float else p for p in slots)
        _constants[node] = parents
    return parents


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
    if needs_grad and (not _no_grad_blocks or _recording_here.get()):
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


def _slots(op, parents: tuple) -> tuple:
    """The parent slots `(_p0, _p1)` for `parents`. The engine reads the kind of rule from the
    layout: an op with one or two rules keeps its inputs in `_p0`, `_p1` (a number as a float);
    any other (n-ary, or more rules) has `_p0` None and the tuple of its inputs in `_p1`."""
    if op.rules is not None and len(parents) <= 2:
        return (parents + (None,))[:2]
    return None, parents


# "No second input": the default of `other` in a method made by `_method`.
_NO_INPUT = object()


def _method(op, reflected: bool = False):
    """Value's method or operator for an op of one or two inputs: `x.tanh()`, `x * y`, and with
    `reflected` `2 * x` (which Python runs as `x.__rmul__(2)`). A number input is stored as a
    float in the parent slot: it costs no node.

    It does what `apply(op, x, y)` does, with `_compute` (forward and error check) and `_node`
    (the node) written out inline, once, here, for every such op and operator: it runs once per
    op of every graph, and calling those two functions instead costs about 10% more per op of
    a graph built and differentiated (callgrind: 9,450 instead of 8,620 instructions per op on a
    random DAG; one merged call still costs 5%). Keep the three in step: tests/test_op_entry.py
    checks that both paths make the same node in every state.
    """
    forward = op.forward

    def method(self, other=_NO_INPUT):
        # The parents p0 (and p1) and the floats a (and b) that the forward runs on.
        if other is _NO_INPUT:  # one input
            p0, p1, a = self, None, self.data
            needs_grad = self._pass is not _CONSTANT
        else:
            if isinstance(other, Value):
                needs_grad = self._pass is not _CONSTANT or other._pass is not _CONSTANT
                b = other.data
            else:
                needs_grad = self._pass is not _CONSTANT
                other = b = other if type(other) is float else _number(other, op)
            if reflected:  # separate statements, not one conditional tuple: no tuple built per op
                p0, p1, a = other, self, b
                b = self.data
            else:
                p0, p1, a = self, other, self.data
        # = _compute(op, inputs)
        try:
            out = forward(a) if p1 is None else forward(a, b)
        except (ValueError, ArithmeticError, TypeError) as error:
            raise _forward_error(op, (a,) if p1 is None else (a, b), error) from None
        if out - out:  # inf or nan (see _compute)
            _check_nonfinite(op, (a,) if p1 is None else (a, b), out)
        # = _node(op, out, p0, p1, needs_grad)
        node = _new(Value)
        node.data = out
        node._grad = None
        if needs_grad and (not _no_grad_blocks or _recording_here.get()):
            node._pass = _UNSEEN
            node._p0 = p0
            node._p1 = p1
            node._op = op
        elif tracing.active and tracing.recorder is not None:
            node._pass = _CONSTANT
            node._p0 = p0
            node._p1 = p1
            node._op = op
        else:
            node._pass = _CONSTANT
            node._p0 = node._p1 = None
            node._op = None
        return node

    return method


def apply(op, *args):
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
        return _node(op, out, args[0], args[1] if len(args) == 2 else None, needs_grad)
    # the tuple layout holds Values only: a number becomes a constant leaf
    return _node(op, out, None, tuple(a if isinstance(a, Value) else Value(a, requires_grad=False) for a in args), needs_grad)


# Python's operators and the special methods behind them: a binary operator in both directions
# (`x + 2` calls `x.__add__(2)`, `2 + x` calls `x.__radd__(2)`), and the unary ones.
_BINARY_OPERATORS = {
    "+": "add", "-": "sub", "*": "mul", "/": "truediv", "//": "floordiv", "%": "mod", "**": "pow", "@": "matmul",
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
        methods[op.method] = method = _method(op)
        method.__signature__ = _signature(op)  # what help() shows: (self), (self, slope=0.01)
        if not unary:
            default = method.__signature__.parameters[list(method.__signature__.parameters)[1]].default
            if default is not inspect.Parameter.empty:
                method.__defaults__ = (default,)
    if op.operator and unary:
        methods[_UNARY_OPERATORS[op.operator]] = _method(op)
    elif op.operator:
        stem = _BINARY_OPERATORS[op.operator]
        methods[f"__{stem}__"], methods[f"__r{stem}__"] = _method(op), _method(op, reflected=True)
        if stem == "pow":
            methods["__pow__"] = _no_modulo(methods["__pow__"])
    for name, method in methods.items():
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


# The op table needs `Value` and `apply` (its rules run on Values too), so it is imported last;
# each of its entries attaches its methods and operators as it is made.
import autograd.ops  # noqa: E402,F401
