"""The graph walk and the one backward pass: `topological_order`, `grad`, `backward`, `no_grad`.

Nothing here recurses, so graphs of any depth work with the default recursion limit.
"""

from __future__ import annotations

import contextlib
import numbers
from typing import Iterator, Sequence, Union

from autograd import value as _value_module
from autograd.value import Value

__all__ = ["topological_order", "grad", "backward", "no_grad", "is_recording"]


def topological_order(root: Value) -> list[Value]:
    """Every node `root` depends on, each after all of its parents (`root` last).

    Iterative depth-first search; parents are visited in their stored order, so the order is
    deterministic for a given graph.

    >>> a = Value(1.0, "a"); b = a * a; c = b + a
    >>> [v.label or v.op for v in topological_order(c)]
    ['a', 'mul', 'add']
    """
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list = [(root, False)]
    push, pop, append, mark = stack.append, stack.pop, order.append, visited.add
    while stack:
        node, parents_done = pop()
        if parents_done:
            append(node)
        elif node not in visited:
            mark(node)
            push((node, True))
            for parent in reversed(node.parents):
                if parent not in visited:
                    push((parent, False))
    return order


def _backpropagate(root: Value, seed, create_graph: bool) -> dict:
    """d(root)/d(node) for every node that needs a gradient, keyed by node.

    Walks the nodes in reverse topological order, so each node's gradient is complete before
    it is passed on. With `create_graph` the rules run on Values and build a new graph.
    """
    grads = {root: seed}
    for node in reversed(topological_order(root)):
        op = node._op
        if op is None:
            continue
        g = grads.get(node)
        if g is None:  # only below a node a user marked requires_grad=False
            continue
        parents = node.parents
        if create_graph:
            out, inputs = node, parents
        else:
            out, inputs = node.data, [p.data for p in parents]
        try:
            if op.rules is not None:
                for parent, rule in zip(parents, op.rules):
                    if parent.requires_grad:
                        contribution = rule(g, out, *inputs)
                        previous = grads.get(parent)
                        grads[parent] = contribution if previous is None else previous + contribution
            else:
                for parent, contribution in zip(parents, op.nary_rule(g, out, inputs)):
                    if parent.requires_grad:
                        previous = grads.get(parent)
                        grads[parent] = contribution if previous is None else previous + contribution
        except (ArithmeticError, ValueError) as error:
            at = ", ".join(repr(p.data) for p in parents)
            raise type(error)(f"backward of {op.name}({at}): {error}") from error
    return grads


def _check_seed(seed, where: str):
    if isinstance(seed, Value):
        return seed
    if isinstance(seed, numbers.Real) and not isinstance(seed, bool):
        return float(seed)
    raise TypeError(f"{where}: the seed gradient must be a real number, got {type(seed).__name__}: {seed!r}")


def backward(root: Value, grad=1.0) -> None:
    """Write d(root)/d(node) into `.grad` of every node in root's graph.

    Leaves accumulate (add to what they hold, like PyTorch); interior nodes are overwritten
    with this pass's gradient. Nodes with `requires_grad=False` (constants) are untouched.

    >>> x = Value(3.0); y = x * x
    >>> backward(y); x.grad
    6.0
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward: expected a Value, got {type(root).__name__}: {root!r}")
    seed = _check_seed(grad, "backward")
    if isinstance(seed, Value):
        seed = seed.data
    for node, g in _backpropagate(root, seed, create_graph=False).items():
        if node.parents or node._grad is None:
            node._grad = g
        else:
            node._grad += g


def grad(
    output: Value,
    inputs: Union[Value, Sequence[Value]],
    create_graph: bool = False,
    grad_output=1.0,
) -> list:
    """Gradients of `output` with respect to each of `inputs`, as a list; no `.grad` changes.

    With `create_graph=False` the gradients are floats. With `create_graph=True` they are
    Values whose own graph can be differentiated again (second and higher derivatives,
    Hessian-vector products). An input that `output` does not depend on gets 0.

    >>> x = Value(3.0)
    >>> [dy] = grad(x ** 3, [x], create_graph=True)
    >>> [d2y] = grad(dy, [x])
    >>> dy.data, d2y
    (27.0, 18.0)
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}: {output!r}")
    single = isinstance(inputs, Value)
    inputs = [inputs] if single else list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs[{i}] must be a Value, got {type(x).__name__}: {x!r}")
    seed = _check_seed(grad_output, "grad")
    if create_graph:
        if not isinstance(seed, Value):
            seed = Value(seed, requires_grad=False)
        zero = Value(0.0, requires_grad=False)
        grads = _backpropagate(output, seed, create_graph=True)
        return [grads.get(x, zero) for x in inputs]
    if isinstance(seed, Value):
        seed = seed.data
    grads = _backpropagate(output, seed, create_graph=False)
    return [grads.get(x, 0.0) for x in inputs]


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block (or a function decorated with it) ops record no parents.

    Results are constant leaves (`requires_grad=False`): nothing is kept for backward. Not
    thread-safe: the switch is global to the process.

    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.parents, y.data
    ((), 4.0)
    """
    previous = _value_module._recording
    _value_module._recording = False
    try:
        yield
    finally:
        _value_module._recording = previous


def is_recording() -> bool:
    """False inside `no_grad()`.

    >>> is_recording()
    True
    """
    return _value_module._recording
