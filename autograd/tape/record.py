"""Recording a tape: run a scalar function once, on Values, and keep its graph as a program.

`trace` runs `fn` on one sample and walks the graph it built (through the public graph walk:
`topological_order`, `parents`, `op_entry`) into a `Tape`'s slots. A program whose Python
control flow depends on data cannot be replayed: every comparison, `bool()`, `float()` and
`detach()` of a traced Value is recorded as a guard (the core reports them through its one hook,
`autograd.value.tracing`), checked for every sample on replay. Reading `.data` directly is
invisible to the tracer: the number read is baked into the tape.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

from autograd import Value, topological_order
from autograd.tape.replay import Tape
from autograd.tape.schedule import CONST, INPUT, OP, PARAM, Guard, Slot, make_schedule
from autograd.value import tracing

__all__ = ["trace"]


class _Tracer:
    """Collects the guards while `trace` runs the function."""

    def __init__(self):
        self.guards = []  # (node, kind, other, result at trace time)

    def guard(self, node, kind, other, result):
        self.guards.append((node, kind, other, result))


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
    if tracing.recorder is not None:
        raise RuntimeError("trace: already tracing (trace cannot be nested)")
    example = [float(x) for x in example]
    inputs = [Value(x, label=f"input {i}") for i, x in enumerate(example)]
    tracer = _Tracer()
    with tracing.recording(tracer):
        result = fn(*inputs)
    outputs = list(result) if isinstance(result, (list, tuple)) else [result]
    outputs = [o if isinstance(o, Value) else Value(o, requires_grad=False) for o in outputs]
    if not outputs:
        raise ValueError("trace: fn returned no outputs")

    # Every node the outputs and the guards need, parents first.
    order: list[Value] = []
    slots: dict[Value, int] = {}
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

    slot_list = [_slot(node, input_index, param_index, slots) for node in order]
    guards = [_guard(slots, *guard) for guard in tracer.guards]
    frozen = [slots[node] for node in order if node.parents and not node.requires_grad]
    return Tape(len(inputs), params, make_schedule(slot_list, [slots[o] for o in outputs], guards, frozen))


def _slot(node, input_index, param_index, slots) -> Slot:
    """A node of the traced graph as a row of the tape (its parents as positions in `slots`)."""
    parents = node.parents
    label = node.label or (f"{node.op}(...)" if parents else repr(node.data))
    if node in input_index:
        return Slot(INPUT, input_index[node], 0.0, None, (), label)
    if node in param_index:
        return Slot(PARAM, param_index[node], 0.0, None, (), label)
    if not parents:  # a constant, or a leaf that is not among params
        return Slot(CONST, -1, node.data, None, (), label)
    return Slot(OP, -1, 0.0, node.op_entry, tuple(map(slots.__getitem__, parents)), label)


def _guard(slots, node, kind, other, result) -> Guard:
    if isinstance(other, Value):
        return Guard(slots[node], kind, result, other_row=slots[other])
    return Guard(slots[node], kind, result, other_value=None if other is None else float(other))
