"""f's graph at the checked point and names for its nodes (x0, v1, v2, ... as in the messages)."""

from __future__ import annotations

from autograd import Value, topological_order
from autograd.testing.gradcheck.derivatives import make_leaves


def graph_of(f, points, names):
    """f's graph at points: (leaves, output, nodes in topological order), or None if f fails."""
    leaves = make_leaves(points, names)
    try:
        out = f(*leaves)
    except (ArithmeticError, ValueError, TypeError):
        return None
    if not isinstance(out, Value):
        return None
    return leaves, out, topological_order(out)


class Namer:
    """Names for the nodes of one graph: inputs by their names, interior nodes v1, v2, ... in
    topological order, constants by their value."""

    def __init__(self, leaves, nodes):
        self.names = {leaf: leaf.label for leaf in leaves}
        self.constants = set()
        k = 0
        for node in nodes:
            if node in self.names:
                continue
            if node.op_entry is None:
                self.names[node] = f"{node.data:.6g}"
                self.constants.add(node)
            else:
                k += 1
                self.names[node] = f"v{k}"
        self.interior = k

    def name(self, node) -> str:
        return self.names.get(node, "?")

    def describe(self, node) -> str:
        args = ", ".join(self.name(p) if p in self.constants else f"{self.name(p)}={p.data:.6g}" for p in node.parents)
        label = f" (label {node.label!r})" if node.label else ""
        return f"{self.name(node)} = {node.op_entry.name}({args}){label}"
