"""`backward_steps`: the engine's backward pass as data, one step per node it processes.

The steps are recorded by the engine's own pass (`autograd.engine.observe_backward`), so they
are what `backward()` computes, in the order it computes it, not a second implementation of
the chain rule. Local derivatives (d node / d parent) come from the op's own rules with an
upstream gradient of 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Optional

from autograd.checks import check_format_spec
from autograd.engine import observe_backward, topological_order
from autograd.forward import local_partials
from autograd.render.style import display_name
from autograd.value import Value

__all__ = ["backward_steps", "BackwardSteps", "BackwardStep", "Contribution", "local_derivatives", "node_names"]


@dataclass(frozen=True)
class Contribution:
    """What one step passes to one parent (one edge of the graph).

    `local` is d node / d parent (None where the rule is undefined), `contribution` what the
    engine added to the parent's gradient (upstream × local), and `total` the parent's running
    gradient right after adding it. A constant parent gets nothing: all three are None.
    """

    parent: Value
    index: int  # position among the node's parents (repeats kept: `a * a` has 0 and 1)
    local: Optional[float]
    contribution: Optional[float]
    total: Optional[float]
    previous: Optional[float] = None  # the parent's total before this one (None: its first)

    @property
    def is_merge(self) -> bool:
        """True when the parent already held a gradient: this step is a `grad += contribution`."""
        return self.previous is not None


@dataclass(frozen=True)
class BackwardStep:
    """One node processed by the backward pass: its complete upstream gradient d root / d node,
    and what it passes to each parent."""

    number: int  # 1, 2, ... in the engine's order
    node: Value
    upstream: float
    contributions: tuple

    @property
    def op(self) -> str:
        return self.node.op


class BackwardSteps:
    """The steps of one backward pass from `root`, in engine order (a sequence of `BackwardStep`).

    `grads` maps every node that gets a gradient (the root included) to its final total, which
    equals what `root.backward()` writes. `names` maps nodes to the names used in the table
    (the label, else `v<i>` with i the node's place in `topological_order(root)`, as in the
    pictures). `str()` is a table.
    """

    def __init__(self, root: Value, steps: list, grads: dict, names: dict, number_format: str = ".6g"):
        self.root = root
        self.steps = tuple(steps)
        self.grads = grads
        self.names = names
        self.number_format = number_format

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[BackwardStep]:
        return iter(self.steps)

    def __getitem__(self, i):
        return self.steps[i]

    def grad(self, node: Value) -> float:
        """The gradient the pass gives `node` (0.0 for a node it does not reach)."""
        return self.grads.get(node, 0.0)

    def name(self, node: Value) -> str:
        """node's name in the table: its label (shortened, as pictures show it) or v<i>."""
        return display_name(self.names.get(node, node.label or "?"))

    def _fmt(self, x) -> str:
        # + 0.0: 0 × a negative upstream (a dead relu) reads "0", not "-0"
        return "-" if x is None else format(x + 0.0, self.number_format)

    def rows(self) -> list:
        """The table as rows of strings (header first)."""
        rows = [["step", "node", "op", "upstream", "parent", "local", "contribution", "total"]]
        for step in self.steps:
            for k, c in enumerate(step.contributions):
                first = k == 0
                total = self._fmt(c.total)
                if c.is_merge:
                    total += " (+=)"
                rows.append(
                    [
                        str(step.number) if first else "",
                        self.name(step.node) if first else "",
                        step.node.op if first else "",
                        self._fmt(step.upstream) if first else "",
                        self.name(c.parent),
                        self._fmt(c.local),
                        self._fmt(c.contribution),
                        total,
                    ]
                )
        return rows

    def __str__(self) -> str:
        rows = self.rows()
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        left = {1, 2, 4}  # names left-aligned, numbers right-aligned
        lines = []
        for r in rows:
            cells = [c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))]
            lines.append("  ".join(cells).rstrip())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<BackwardSteps: {len(self.steps)} steps from {self.name(self.root)}>\n{self}"

    def _repr_html_(self) -> str:
        import html

        rows = self.rows()
        head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def node_names(root: Value, order: Optional[list] = None) -> dict:
    """Display names: the label, else `v<i>` with i the place in `topological_order(root)`
    (the ids the pictures use). Repeated labels get `#i` appended so every name is unique.

    >>> from autograd import Value
    >>> x = Value(1.0, label="x"); y = x * 2
    >>> sorted(node_names(y).values())
    ['v1', 'v2', 'x']
    """
    order = topological_order(root) if order is None else order
    names: dict[Value, str] = {}
    seen: dict[str, int] = {}  # label -> how many nodes carry it
    for node in order:
        seen[node.label] = seen.get(node.label, 0) + 1
    for i, node in enumerate(order):
        label = node.label
        names[node] = f"v{i}" if not label else (label if seen[label] == 1 else f"{label}#{i}")
    return names


def local_derivatives(node: Value) -> list:
    """d node / d parent for each parent (repeats kept), from the op's own rules with an upstream
    gradient of 1; None where a rule is undefined at this point. [] for a leaf.

    >>> from autograd import Value
    >>> x = Value(3.0); y = Value(2.0)
    >>> local_derivatives(x * y)
    [2.0, 3.0]
    """
    return [None if d is None else float(d) for d in local_partials(node, strict=False)]


def backward_steps(root: Value, number_format: str = ".6g") -> BackwardSteps:
    """The backward pass from `root` as data, in the order the engine runs it.

    Each step is one op node: its complete upstream gradient d root / d node, and per parent
    the local derivative, the contribution (local × upstream) and the parent's running total
    after adding it. Recorded by the engine's one backward pass; changes no `.grad`. A constant
    `root` (requires_grad=False) is a ValueError, as in `backward()`.

    >>> from autograd import Value, backward_steps
    >>> a = Value(3.0, label="a"); b = Value(2.0, label="b")
    >>> c = a * b; c.label = "c"
    >>> d = c + a; d.label = "d"
    >>> steps = backward_steps(d)
    >>> print(steps)
    step  node  op   upstream  parent  local  contribution     total
       1  d     add         1  c           1             1         1
                               a           1             1         1
       2  c     mul         1  a           2             2  3 (+=)
                               b           3             3         3
    >>> steps.grad(a), steps.grad(b), a.grad      # a is used twice: 1 + 2; no .grad written
    (3.0, 3.0, 0.0)
    >>> d.backward(); a.grad == steps.grad(a)
    True
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps: expected a Value, got {type(root).__name__}: {root!r}")
    check_format_spec("backward_steps", "number_format", number_format)
    raw = []

    def observer(node, upstream, contributions, totals):
        raw.append((node, upstream, list(contributions), list(totals)))

    if not root.requires_grad:  # as backward() does: a constant has no backward pass to record
        raise ValueError(
            f"backward_steps: the output {root!r} is a constant (requires_grad=False): no "
            "gradient flows from it, so there are no steps (backward() raises too)"
        )
    grads = observe_backward(root, observer)

    steps: list[BackwardStep] = []
    running: dict[Value, float] = {}  # each parent's total so far
    for number, (node, upstream, contributions, totals) in enumerate(raw, start=1):
        locals_ = local_derivatives(node)
        edges = []
        for k, (parent, contribution, total) in enumerate(zip(node.parents, contributions, totals)):
            if total is None:  # a constant: nothing flows to it
                edges.append(Contribution(parent, k, locals_[k], None, None))
                continue
            edges.append(Contribution(parent, k, locals_[k], float(contribution), float(total), running.get(parent)))
            running[parent] = float(total)
        steps.append(BackwardStep(number, node, float(upstream), tuple(edges)))
    return BackwardSteps(root, steps, grads, node_names(root), number_format)
