"""The compiled batch path: trace a scalar function once, replay it over a batch with numpy.

A scalar graph recorded for one sample is the same for every sample, so `trace` records it
once into a flat tape of op-table entries (in creation order, which is topological) and
`Tape.forward` / `Tape.backward` replay it with numpy arrays of shape (batch,): inputs vary per
sample, parameters are scalars shared by all samples, and their gradients are summed over the
batch. The derivative rules are the op table's own (ordinary arithmetic runs on arrays as it
runs on floats); only forwards that call `math` need the numpy counterpart in `NUMPY_FORWARDS`.

A program whose Python control flow depends on data cannot be replayed: every comparison,
`bool()`, `float()` and `detach()` of a traced Value is recorded as a guard, checked for every
sample on replay; a sample that would have taken another branch raises `TraceError`.
Reading `.data` directly is invisible to the tracer: the number read is baked into the tape.

numpy is imported by this module only (`import autograd` stays light).
"""

from __future__ import annotations

import functools
import math
import operator
from typing import Callable, Optional, Sequence

import numpy as np

from autograd import value as _value_module
from autograd.engine import topological_order
from autograd.ops import Op
from autograd.value import Value, _compute

__all__ = ["trace", "Tape", "TraceError", "NUMPY_FORWARDS"]


class TraceError(RuntimeError):
    """A traced program cannot be replayed for some sample (data-dependent control flow)."""


# -- numpy forwards, one per built-in op name ---------------------------------------------------


def _np_sigmoid(x):
    with np.errstate(over="ignore"):  # both branches are computed; only the stable one is kept
        z = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + z), z / (1.0 + z))


def _np_sum(*xs):
    return functools.reduce(operator.add, xs)


def _np_dot(*xs):
    n = len(xs) // 2
    return functools.reduce(operator.add, map(operator.mul, xs[:n], xs[n:]))


NUMPY_FORWARDS: dict[str, Callable] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": np.power,
    "neg": operator.neg,
    "abs": np.abs,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "softplus": lambda x: np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x))),
    "tanh": np.tanh,
    "sigmoid": _np_sigmoid,
    "relu": lambda x: np.where(x > 0.0, x, 0.0),
    "leaky_relu": lambda x, slope: np.where(x > 0.0, x, slope * x),
    "sin": np.sin,
    "cos": np.cos,
    "sum": _np_sum,
    "dot": _np_dot,
}


def _array_forward(op: Op) -> Callable:
    """The op's forward on arrays: from NUMPY_FORWARDS, else the float forward elementwise."""
    forward = NUMPY_FORWARDS.get(op.name)
    if forward is not None and op.builtin:
        return forward
    return np.vectorize(op.forward, otypes=[float])


def _apply_on_arrays(op: Op, args):
    """`apply` for arguments that include arrays: a table op called inside a rule (`COS(x)`)."""
    with np.errstate(all="ignore"):
        return _array_forward(op)(*args)


_value_module._array_types = (np.ndarray,)
_value_module._array_apply = _apply_on_arrays


# -- tracing -------------------------------------------------------------------------------------

_INPUT, _PARAM, _CONST, _OP = range(4)

_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


class _Tracer:
    """Collects the guards while `trace` runs the function."""

    def __init__(self):
        self.guards = []  # (node, kind, other, result at trace time)

    def guard(self, node, kind, other, result):
        self.guards.append((node, kind, other, result))


class Tape:
    """A traced scalar program, replayable over batches. Make one with `trace`.

    `forward(X)` takes an array of shape (batch, n_inputs) (or a sequence of n_inputs columns)
    and returns one array of shape (batch,) per output; `backward()` then returns the gradient
    of the summed (or `seed`-weighted) outputs with respect to each parameter, summed over the
    batch, and adds it to the parameters' `.grad` (as `Value.backward` does for leaves).
    """

    def __init__(self, n_inputs, params, kinds, payloads, outputs, guards, labels):
        self.n_inputs = n_inputs
        self.params = params
        self._kinds = kinds  # per slot: _INPUT, _PARAM, _CONST or _OP
        self._payloads = payloads  # input index, param index, constant float, or (op, parent slots)
        self._outputs = outputs  # slot of each output
        self._guards = guards  # (slot, kind, other slot or constant, traced result)
        self._labels = labels
        self._values = None
        self._forwards = {}

    def __len__(self) -> int:
        """Number of recorded ops (instructions) on the tape."""
        return sum(kind == _OP for kind in self._kinds)

    def __repr__(self) -> str:
        return (f"Tape({len(self)} ops, {self.n_inputs} inputs, {len(self.params)} params, "
                f"{len(self._outputs)} outputs, {len(self._guards)} guards)")

    # -- forward -----------------------------------------------------------------------------
    def _columns(self, X) -> list:
        if isinstance(X, np.ndarray) and X.ndim == 2:
            columns = [X[:, i] for i in range(X.shape[1])]
        elif isinstance(X, np.ndarray) and X.ndim == 1 and self.n_inputs == 1:
            columns = [X]
        else:
            columns = [np.asarray(c, dtype=float) for c in X]
            if columns and columns[0].ndim == 0:  # one sample given as a flat list
                columns = [c.reshape(1) for c in columns]
        if len(columns) != self.n_inputs:
            raise ValueError(f"Tape.forward: the traced function takes {self.n_inputs} inputs, got {len(columns)} columns")
        columns = [np.asarray(c, dtype=float) for c in columns]
        sizes = {c.shape for c in columns}
        if len(sizes) > 1 or any(len(s) != 1 for s in sizes):
            raise ValueError(f"Tape.forward: every input column must have shape (batch,), got {sorted(sizes)}")
        return columns

    def forward(self, X) -> list:
        """Replay the program for every sample; one array of shape (batch,) per output.

        >>> import numpy as np
        >>> from autograd import Value
        >>> w = Value(2.0)
        >>> tape = trace(lambda x: (w * x).relu(), [1.0], params=[w])
        >>> tape.forward(np.array([[1.0], [-1.0], [3.0]]))
        [array([2., 0., 6.])]
        """
        columns = self._columns(X)
        self.batch = batch = columns[0].shape[0] if columns else 1
        values = [None] * len(self._kinds)
        params = self.params
        with np.errstate(all="ignore"):  # non-finite results are checked below, per op
            for slot, (kind, payload) in enumerate(zip(self._kinds, self._payloads)):
                if kind == _OP:
                    op, parents = payload
                    inputs = [values[p] for p in parents]
                    forward = self._forwards.get(op)
                    if forward is None:
                        forward = self._forwards[op] = _array_forward(op)
                    try:
                        out = forward(*inputs)
                    except (ArithmeticError, ValueError, TypeError):
                        out = None
                    if out is None or not np.all(np.isfinite(out)):
                        out = self._check_sample(op, inputs, out, batch)
                    values[slot] = out
                elif kind == _INPUT:
                    values[slot] = columns[payload]
                elif kind == _PARAM:
                    values[slot] = params[payload].data
                else:
                    values[slot] = payload
        self._values = values
        self._check_guards(values, batch)
        return [np.broadcast_to(np.asarray(values[s], dtype=float), (batch,)) for s in self._outputs]

    __call__ = forward

    def _check_sample(self, op, inputs, out, batch):
        """A forward raised or gave inf/nan somewhere: run the scalar forward on the first such
        sample, so the error is the scalar path's (naming the op and the values)."""
        if out is None:
            bad = range(batch)
        else:
            bad = np.flatnonzero(~np.isfinite(np.broadcast_to(out, (batch,))))
        for i in bad:
            at = tuple(float(np.broadcast_to(x, (batch,))[i]) for x in inputs)
            try:
                _compute(op, at)
            except Exception as error:
                raise type(error)(f"{error} (sample {i} of the batch)") from None
            if out is None:  # the array forward failed where the scalar one works: elementwise
                return np.vectorize(op.forward, otypes=[float])(*inputs)
        return out  # inf/nan from non-finite inputs propagate, as on the scalar path

    def _check_guards(self, values, batch):
        for slot, kind, other, expected in self._guards:
            x = values[slot]
            if kind in _COMPARE:
                y = values[other[1]] if other[0] == "slot" else other[1]
                got = _COMPARE[kind](x, y)
            elif kind == "bool":
                got = x != 0.0
            else:  # float() or detach(): the number left the graph, so it must not change
                got = x
            wrong = np.flatnonzero(np.broadcast_to(got != expected, (batch,)))
            if wrong.size:
                i = int(wrong[0])
                xi = float(np.broadcast_to(x, (batch,))[i])
                what = self._labels[slot]
                if kind in _COMPARE:
                    yi = float(np.broadcast_to(y, (batch,))[i])
                    detail = f"{what} {kind} {yi!r} was {expected} when traced but is {not expected} for sample {i} ({xi!r} {kind} {yi!r})"
                elif kind == "bool":
                    detail = f"bool({what}) was {expected} when traced but is {not expected} for sample {i} (value {xi!r})"
                else:
                    detail = f"{kind}({what}) was {expected!r} when traced but is {xi!r} for sample {i}"
                raise TraceError(
                    f"the traced program branches on data: {detail}. The tape cannot replay this sample; "
                    "use the scalar path (or trace without branching on Values)"
                )

    # -- backward ----------------------------------------------------------------------------
    def backward(self, seed=None, *, accumulate: bool = True) -> list:
        """Gradients of sum over samples and outputs of `seed * output` w.r.t. each parameter.

        `seed`: None (1 for every sample and output), a number, an array of shape (batch,), or
        one of those per output. With `accumulate` the gradients are added to `param.grad`.

        >>> import numpy as np
        >>> from autograd import Value
        >>> w = Value(2.0)
        >>> tape = trace(lambda x: w * x * x, [1.0], params=[w])
        >>> _ = tape.forward(np.array([[1.0], [2.0]]))
        >>> tape.backward(), w.grad            # d/dw (w 1 + w 4) = 5
        ([5.0], 5.0)
        """
        values = self._values
        if values is None:
            raise RuntimeError("Tape.backward: call forward first")
        batch = self.batch
        if seed is None or not isinstance(seed, (list, tuple)):
            seeds = [1.0 if seed is None else seed] * len(self._outputs)
        else:
            seeds = list(seed)
            if len(seeds) != len(self._outputs):
                raise ValueError(f"Tape.backward: {len(self._outputs)} outputs, got {len(seeds)} seeds")
        grads = [None] * len(values)
        for slot, s in zip(self._outputs, seeds):
            s = np.broadcast_to(np.asarray(s, dtype=float), (batch,))
            grads[slot] = s if grads[slot] is None else grads[slot] + s
        kinds, payloads = self._kinds, self._payloads
        with np.errstate(all="ignore"):
            for slot in range(len(values) - 1, -1, -1):
                g = grads[slot]
                if g is None or kinds[slot] != _OP:
                    continue
                op, parents = payloads[slot]
                out = values[slot]
                inputs = [values[p] for p in parents]
                if op.rules is not None:
                    contributions = [
                        _run_rule(op, rule, g, out, inputs) if kinds[p] != _CONST else None
                        for p, rule in zip(parents, op.rules)
                    ]
                else:
                    contributions = _run_rule(op, op.nary_rule, g, out, inputs, nary=True)
                for p, c in zip(parents, contributions):
                    if kinds[p] == _CONST or c is None:
                        continue
                    grads[p] = c if grads[p] is None else grads[p] + c
        result = [0.0] * len(self.params)
        for slot, (kind, payload) in enumerate(zip(kinds, payloads)):
            if kind == _PARAM and grads[slot] is not None:
                result[payload] = float(np.sum(np.broadcast_to(grads[slot], (batch,))))
        if accumulate:
            for p, g in zip(self.params, result):
                p.grad = g if p._grad is None else p._grad + g
        return result

    def loss_and_grad(self, X, *, reduction: str = "mean", accumulate: bool = True) -> float:
        """Forward over the batch, then backward of the batch loss: the mean (or "sum") of the
        single output over the samples. Returns the loss; gradients go to `param.grad`.

        >>> import numpy as np
        >>> from autograd import Value
        >>> w = Value(3.0)
        >>> tape = trace(lambda x, t: (w * x - t) ** 2, [1.0, 0.0], params=[w])
        >>> tape.loss_and_grad(np.array([[1.0, 1.0], [2.0, 0.0]])), w.grad   # mean(4, 36); mean(2*2*1, 2*6*2)
        (20.0, 14.0)
        """
        if reduction not in ("mean", "sum"):
            raise ValueError(f"Tape.loss_and_grad: reduction must be 'mean' or 'sum', got {reduction!r}")
        if len(self._outputs) != 1:
            raise ValueError(f"Tape.loss_and_grad: needs one output, the traced function has {len(self._outputs)}")
        [out] = self.forward(X)
        weight = 1.0 / self.batch if reduction == "mean" else 1.0
        self.backward(weight, accumulate=accumulate)
        return float(np.sum(out) * weight)


def _run_rule(op, rule, g, out, inputs, nary=False):
    """A table rule on arrays; a rule that only works on numbers runs elementwise."""
    try:
        return rule(g, out, inputs) if nary else rule(g, out, *inputs)
    except (TypeError, ValueError):  # e.g. `if x == 0` on an array, or math.* on an array
        if nary:
            raise TraceError(f"backward of {op.name}: its nary_rule does not run on arrays") from None
        return np.vectorize(lambda *a: float(rule(*a)), otypes=[float])(g, out, *inputs)


def trace(fn: Callable, example: Sequence[float], params: Optional[Sequence[Value]] = None) -> Tape:
    """Record `fn(*inputs)` once, at the sample `example`, into a `Tape` for batched replay.

    `fn` takes one Value per entry of `example` (the inputs that vary per sample) and returns a
    Value or a list of Values. `params` are the leaves shared by all samples whose gradients
    are wanted (e.g. `model.parameters()`); None takes every leaf that requires a gradient and
    is not an input. Any other leaf is a constant. Comparisons on Values become guards.

    >>> import numpy as np
    >>> from autograd import Value
    >>> w, b = Value(0.5), Value(1.0)
    >>> tape = trace(lambda x: (w * x + b).tanh(), [0.0], params=[w, b])
    >>> [out] = tape.forward(np.array([[0.0], [2.0]])); out.round(6)
    array([0.761594, 0.964028])
    """
    if not callable(fn):
        raise TypeError(f"trace: fn must be callable, got {fn!r}")
    if _value_module._tracer is not None:
        raise RuntimeError("trace: already tracing (trace cannot be nested)")
    example = [float(x) for x in example]
    inputs = [Value(x, label=f"input {i}") for i, x in enumerate(example)]
    tracer = _Tracer()
    _value_module._tracer = tracer
    try:
        result = fn(*inputs)
    finally:
        _value_module._tracer = None
    outputs = list(result) if isinstance(result, (list, tuple)) else [result]
    outputs = [o if isinstance(o, Value) else Value(o, requires_grad=False) for o in outputs]
    if not outputs:
        raise ValueError("trace: fn returned no outputs")

    # Every node the outputs and the guards need, parents first.
    order, slots = [], {}
    roots = outputs + [node for node, *_ in tracer.guards]
    roots += [other for _, _, other, _ in tracer.guards if isinstance(other, Value)]
    for root in roots:
        for node in topological_order(root):
            if node not in slots:
                slots[node] = len(order)
                order.append(node)

    input_index = {node: i for i, node in enumerate(inputs)}
    if params is None:
        params = [n for n in order if not n.parents and n.requires_grad and n not in input_index]
    params = list(params)
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"trace: params[{i}] must be a Value, got {type(p).__name__}: {p!r}")
    param_index = {p: i for i, p in enumerate(params)}

    kinds, payloads, labels = [], [], []
    for node in order:
        if node in input_index:
            kinds.append(_INPUT)
            payloads.append(input_index[node])
        elif node in param_index:
            kinds.append(_PARAM)
            payloads.append(param_index[node])
        elif not node.parents:  # a constant, or a leaf that is not among params
            kinds.append(_CONST)
            payloads.append(node.data)
        else:
            kinds.append(_OP)
            payloads.append((node._op, tuple(slots[p] for p in node.parents)))
        labels.append(node.label or (f"{node.op}(...)" if node.parents else repr(node.data)))

    guards = []
    for node, kind, other, result in tracer.guards:
        if isinstance(other, Value):
            other = ("slot", slots[other])
        elif other is not None:
            other = ("const", float(other))
        guards.append((slots[node], kind, other, result))
    return Tape(len(inputs), params, kinds, payloads, [slots[o] for o in outputs], guards, labels)
