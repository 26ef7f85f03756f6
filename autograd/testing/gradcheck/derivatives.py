"""The analytic side: derivatives of f of every order, in forward or reverse mode."""

from __future__ import annotations

# pytest leaves this module's frames out of a failing test's traceback: the failure is the
# report, not the checker's code (`--fulltrace` shows them).
__tracebackhide__ = True

from typing import Any

from autograd import Value, grad
from autograd.forward import push_forward


def make_leaves(points, names):
    return [Value(x, label=name) for x, name in zip(points, names)]


def call_f(f, leaves, where):
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(
            f"{where}: f must return a Value computed from its inputs, got {type(out).__name__}: {out!r}"
            " (a float carries no graph to differentiate; to check a plain-float function against a gradient "
            "you wrote, use check_vjp(f, grad_f, inputs))"
        )
    return out


def as_node(x):
    return x if isinstance(x, Value) else Value(float(x), requires_grad=False)


def derivatives(out, leaves, mode, create_graph) -> list:
    """d(out)/d(leaf) for every leaf: one backward pass (rev) or one forward sweep per leaf (fwd)."""
    if mode == "rev":  # a derivative may be constant (x * 2 has d2/dx2 = 0): its gradients are 0
        return grad(out, leaves, create_graph=create_graph, allow_constant=True)
    n = len(leaves)
    return [push_forward(out, leaves, [1.0 if j == i else 0.0 for j in range(n)], create_graph) for i in range(n)]


def partials(f, leaves, order: int, where: str, keep_graph_last: bool = True, mode: str = "rev") -> list:
    """[(index tuple, d^order f / dx_index)] for every index tuple; Values (or floats when
    `keep_graph_last` is False, which differentiates the last level on the float path)."""
    level: list[tuple[tuple[int, ...], Any]] = [((), call_f(f, leaves, where))]
    for depth in range(order):
        create_graph = keep_graph_last or depth < order - 1
        level = [
            (wrt + (i,), g if create_graph else data_of(g))
            for wrt, out in level
            for i, g in enumerate(derivatives(as_node(out), leaves, mode, create_graph))
        ]
    return level


def data_of(x) -> float:
    return x.data if isinstance(x, Value) else float(x)
