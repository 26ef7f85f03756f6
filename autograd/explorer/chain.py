"""`paths`: the chain rule one path at a time.

d output / d leaf is the sum, over every path from `leaf` up to `output`, of the product of the
local derivatives along the path. A value used twice opens two paths (`a * a` has two edges
from `a`), which is why its gradient is a sum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from autograd.checks import check_integer
from autograd.engine import topological_order
from autograd.explorer.steps import local_derivatives, node_names
from autograd.render.style import display_name
from autograd.value import Value

__all__ = ["paths", "count_paths", "Path", "TooManyPathsError"]

DEFAULT_MAX_PATHS = 1000


class TooManyPathsError(ValueError):
    """More paths than `max_paths`; `count` says how many there are."""

    def __init__(self, message: str, count: int):
        super().__init__(message)
        self.count = count


@dataclass(frozen=True)
class Path:
    """One path from a leaf up to the output.

    `nodes` runs leaf -> output; `edges[i]` is `(child, k)`: the step from `nodes[i]` to
    `nodes[i + 1]` uses the k-th input slot of the child (so the two edges of `a * a` are two
    paths). `locals[i]` is d child / d parent on that edge, `product` their product.
    """

    nodes: tuple
    edges: tuple
    locals: tuple
    product: float
    names: tuple = ()

    def __str__(self) -> str:
        names = tuple(display_name(n) for n in (self.names or tuple(n.label or "?" for n in self.nodes)))
        parts = [names[0]]
        for name, d, (child, k), parent in zip(names[1:], self.locals, self.edges, self.nodes):
            # a value used twice by one op (a * a): say which use this path takes
            slot = f" (input {k + 1})" if sum(p is parent for p in child.parents) > 1 else ""
            parts.append(f" -[{_fmt(d)}]->{slot} {name}")
        return "".join(parts) + f"   product {_fmt(self.product)}"


def _fmt(x) -> str:
    # + 0.0: a product through a dead relu (0 × a negative local) reads "0", not "-0"
    return "undefined" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x + 0.0, ".6g")


def _graph(output, leaf, where: str) -> list:
    """The graph of `output` (topological order), after checking that paths to `leaf` make sense:
    a constant output has no backward pass (as `backward()` says), and a leaf outside its graph
    is a mistake worth naming (swapped arguments, or an unrelated value)."""
    if not isinstance(output, Value):
        raise TypeError(f"{where}: output must be a Value, got {type(output).__name__}: {output!r}")
    if not isinstance(leaf, Value):
        raise TypeError(f"{where}: leaf must be a Value, got {type(leaf).__name__}: {leaf!r}")
    if not output.requires_grad:
        raise ValueError(
            f"{where}: the output {output!r} is a constant (requires_grad=False): no gradient "
            "flows from it, so there are no paths (backward() raises too)"
        )
    order = topological_order(output)
    if leaf in set(order):
        return order
    if output in set(topological_order(leaf)):
        raise ValueError(
            f"{where}: {leaf!r} is computed from {output!r}, not the other way round: did you "
            f"swap the arguments? {where}(output, leaf) follows paths from leaf up to output"
        )
    raise ValueError(
        f"{where}: {output!r} does not depend on {leaf!r} (it is not in the output's graph), so "
        "there are no paths and d output / d leaf is 0; pass a value the output is computed from"
    )


def _counts(order: list, leaf: Value) -> dict:
    """Number of paths from `leaf` to each node (only nodes with at least one), parents first.
    A path passes only through values that take a gradient: a constant (requires_grad=False),
    even one computed from the leaf, stops the gradient as it stops `backward()`."""
    if not leaf.requires_grad:
        return {}
    counts = {leaf: 1}
    for node in order:
        if node is leaf or not node.requires_grad:
            continue
        n = sum(counts.get(p, 0) for p in node.parents)
        if n:
            counts[node] = n
    return counts


def count_paths(output: Value, leaf: Value) -> int:
    """How many paths run from `leaf` up to `output` (counted without listing them).

    >>> from autograd import Value
    >>> x = Value(1.0)
    >>> y = x
    >>> for _ in range(40):
    ...     y = y * y          # each level doubles the number of paths
    >>> count_paths(y, x)
    1099511627776
    """
    return _counts(_graph(output, leaf, "count_paths"), leaf).get(output, 0)


def paths(output: Value, leaf: Value, max_paths: Optional[int] = DEFAULT_MAX_PATHS) -> list:
    """Every path from `leaf` up to `output`, each with the product of its local derivatives.

    The products sum to d output / d leaf (the chain rule, one path at a time). A value used
    twice gives two paths. Path counts grow exponentially with depth, so more than `max_paths`
    paths raise `TooManyPathsError` saying how many there are (pass `max_paths=None` to list
    them anyway). Paths pass only through values that take a gradient, as `backward()` does:
    none reaches a constant leaf, and none crosses a value with `requires_grad=False` (then
    the list may be empty: the gradient is 0). A leaf outside output's graph, or swapped
    arguments, raise ValueError saying so; so does a constant output, as in `backward()`.

    >>> from autograd import Value, paths
    >>> x = Value(3.0, label="x")
    >>> y = x * x; y.label = "y"
    >>> z = y + x; z.label = "z"
    >>> for p in paths(z, x):
    ...     print(p)
    x -[3]-> (input 1) y -[1]-> z   product 3
    x -[3]-> (input 2) y -[1]-> z   product 3
    x -[1]-> z   product 1
    >>> [p.edges[0][1] for p in paths(z, x)]    # x * x: the first and the second input of y
    [0, 1, 1]
    >>> sum(p.product for p in paths(z, x)), 2 * 3.0 + 1
    (7.0, 7.0)
    """
    order = _graph(output, leaf, "paths")
    check_integer("paths", "max_paths", max_paths, minimum=1, allow_none=True)
    counts = _counts(order, leaf)
    total = counts.get(output, 0)
    if max_paths is not None and total > max_paths:
        raise TooManyPathsError(
            f"paths: there are {total:,} paths from {leaf.label or 'the leaf'} to {output.label or 'the output'}, "
            f"more than max_paths={max_paths}; pass a larger max_paths (or None), or ask for the paths "
            f"to a nearer node (d output / d leaf is still leaf.grad after backward())",
            total,
        )
    if total == 0:
        return []
    names = node_names(output, order)
    locals_cache: dict = {}

    def local(child: Value, k: int):
        if child not in locals_cache:
            locals_cache[child] = local_derivatives(child)
        return locals_cache[child][k]

    # Walk down from the output through nodes that depend on the leaf, without recursion; each
    # stack entry is a partial path output -> ... -> node, as the list of (child, k) edges taken.
    found = []
    stack: list[tuple[Value, tuple[tuple[Value, int], ...]]] = [(output, ())]
    while stack:
        node, edges = stack.pop()
        if node is leaf:
            edges = tuple(reversed(edges))  # leaf -> output
            nodes = (leaf,) + tuple(child for child, _ in edges)
            ds = tuple(local(child, k) for child, k in edges)
            product = 1.0
            for d in ds:
                product = math.nan if d is None else product * d
            found.append(Path(nodes, edges, ds, product, tuple(names[n] for n in nodes)))
            continue
        for k in reversed(range(len(node.parents))):
            parent = node.parents[k]
            if parent in counts:
                stack.append((parent, edges + ((node, k),)))
    return found
