"""How backprop works here, in plain Python: the reference backward pass.

This is the algorithm. `autograd.engine` runs the same algorithm, made fast (a visit mark on
each node instead of a set, gradients held on the nodes instead of a dict, no argument lists
for one- and two-input ops); the test suite checks that both give identical gradients, first and
second order, on random programs. Read this one first.

1. Order the nodes so that every node comes after its parents (a topological order).
2. Seed d(root)/d(root) = 1.
3. Walk the order backwards. Each node's gradient is complete when it is reached (everything
   that uses it came later in the order, so it was processed already). Pass it on: each parent
   receives `rule(grad, out, *inputs)`, the op's local derivative times the upstream gradient,
   added (`+=`) to what the parent already holds, since a value used twice gets both uses.

>>> from autograd import Value
>>> x = Value(3.0); y = x * x + x
>>> reference_gradients(y)[x]
7.0
"""

from __future__ import annotations

from typing import Any

from autograd.engine import topological_order
from autograd.value import Value

__all__ = ["reference_gradients"]


def reference_gradients(root: Value, create_graph: bool = False) -> dict[Value, Any]:
    """{node: d(root)/d(node)} for every node of root's graph that needs a gradient.

    With `create_graph` the gradients are Values (rules run on Values), so they can be
    differentiated again.
    """
    grads: dict[Value, Any] = {root: Value(1.0, requires_grad=False) if create_graph else 1.0}
    for node in reversed(topological_order(root)):  # every node after all of its users
        if node not in grads or node.is_leaf:
            continue  # not on a path to root through nodes needing gradients, or nothing to pass on
        grad, op, parents = grads[node], node.op_entry, node.parents
        out, inputs = (node, parents) if create_graph else (node.data, [p.data for p in parents])
        if op.rules is not None:  # no rule for a constant: it may be undefined there (x ** 3 at x < 0)
            local = [rule(grad, out, *inputs) if p.requires_grad else None for p, rule in zip(parents, op.rules)]
        else:
            local = op.nary_rule(grad, out, inputs)
        for parent, contribution in zip(parents, local):
            if parent.requires_grad:  # a constant gets no gradient and passes none on
                grads[parent] = grads[parent] + contribution if parent in grads else contribution
    return grads
