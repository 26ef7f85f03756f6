"""What a picture draws: each graph node as its own box, inside an nn group box, or not at all.

`build_view(root, ...)` is read by the pictures (`dot.py` turns it into DOT text) and by the
explorer (its frames are built over the same boxes). A picture may leave part of the graph
out (a collapsed view, `max_nodes` with `partial=True`, `highlight_only`, or a root drawn
`within` a bigger graph): the View then counts, per box, the uses and inputs not drawn, so the
gradient a box shows can always be checked against what is on the picture.
"""

from __future__ import annotations

from collections import deque
from typing import Iterable, Optional

from autograd.checks import check_choice, check_integer
from autograd.engine import topological_order
from autograd.render import neurons
from autograd.render.style import natural_key
from autograd.value import Value

__all__ = ["View", "build_view", "nn_neurons", "GraphTooLargeError", "DEFAULT_MAX_NODES", "COLLAPSES"]

DEFAULT_MAX_NODES = 500
COLLAPSES = (None, "neuron", "layer")


class GraphTooLargeError(ValueError):
    """The picture would have more than `max_nodes` values; raise the limit, collapse, or pass `partial=True`."""


class View:
    """The boxes of a picture. A box is `("v", node)` for a value drawn as itself or `("g", i)`
    for `groups[i]`, an nn neuron or layer (`autograd.render.neurons.Group`); `box_of` maps
    every node to its box, or None when it is not drawn.

    `values` is the number of values (boxes that are not constants) before any cut, `cut`
    True when `max_nodes` with `partial=True` left some out.
    """

    def __init__(self, root: Value, nodes: list, context: list, collapse: Optional[str]):
        self.root = root
        self.nodes = nodes
        self.consumers: dict = {}
        for node in context:
            for parent in node.parents:
                self.consumers.setdefault(parent, []).append(node)
        self.groups: list = []
        self.absorbed: set = set()
        self.box_of: dict = {node: ("v", node) for node in nodes}
        self.cut = False
        if collapse is not None:
            self._collapse(collapse)
        self.values = self.count()

    def _collapse(self, collapse: str) -> None:
        in_graph = set(self.nodes)
        found = neurons.find_neurons(self.nodes, self.consumers)
        if collapse == "layer":
            found = neurons.find_layers(found)
        # Boxes numbered in name order ("neurons.2" before "neurons.10"): dot places a
        # layer's boxes in the order their edges come, so the picture reads top to bottom.
        found.sort(key=lambda group: natural_key(group.name))
        for group in found:
            if not all(m in in_graph for m in group.members):
                continue
            self.groups.append(group)
            for member in group.members:
                self.box_of[member] = ("g", len(self.groups) - 1)
        # A group box shows its parameters' gradients itself: they get no box of their own
        # (a weight shared by the boxes of several samples could not sit inside all of them).
        # Constant inputs used by one box only (floats given to a model) say nothing the box
        # does not: they are left out too.
        for group in self.groups:
            inside = set(group.members)
            hidden = (
                group.weights
                + group.biases
                + [
                    p
                    for m in group.members
                    for p in m.parents
                    if not p.parents and not p.requires_grad and all(c in inside for c in self.consumers.get(p, ()))
                ]
            )
            for param in hidden:
                self.box_of[param] = None
                self.absorbed.add(param)

    def boxes(self) -> list:
        """Drawn boxes: values in graph order, then groups by name ("neurons.2" before
        "neurons.10"), which is the order dot starts from when it places a layer's boxes."""
        seen, order = set(), []
        for node in self.nodes:
            box = self.box_of.get(node)
            if box is not None and box not in seen:
                seen.add(box)
                order.append(box)
        values = [b for b in order if b[0] == "v"]
        groups = sorted((b for b in order if b[0] == "g"), key=lambda b: natural_key(self.groups[b[1]].name))
        return values + groups

    def count(self) -> int:
        """Drawn boxes that are not constants."""
        return sum(1 for b in self.boxes() if not self.is_constant(b))

    def is_constant(self, box) -> bool:
        return box[0] == "v" and not box[1].parents and not box[1].requires_grad

    def group(self, box):
        """The Group drawn as `box`, or None for a value box."""
        return self.groups[box[1]] if box[0] == "g" else None

    def inputs_of(self, box) -> list:
        """Nodes feeding the box from outside it (with repeats, one per use)."""
        if box[0] == "v":
            return list(box[1].parents)
        group = self.groups[box[1]]
        inside = set(group.members)
        return [p for m in group.members for p in m.parents if p not in inside and p not in self.absorbed]

    def members_of(self, box) -> list:
        """The graph nodes drawn inside the box (the node itself for a value box)."""
        return [box[1]] if box[0] == "v" else list(self.groups[box[1]].members)

    def outputs_of(self, box) -> list:
        """What the box shows the data and grad of: the node, or a group's neuron outputs."""
        return [box[1]] if box[0] == "v" else list(self.groups[box[1]].outputs)

    def keep_only(self, kept: set) -> None:
        for node, box in list(self.box_of.items()):
            if box is not None and box not in kept:
                self.box_of[node] = None

    def nearest(self, limit: int) -> set:
        """The first `limit` non-constant boxes met walking back from the output (breadth
        first), and the constants they consume."""
        start = self.box_of[self.root]
        kept, queue, counted = {start}, deque([start]), 1
        while queue:
            box = queue.popleft()
            for parent in self.inputs_of(box):
                pbox = self.box_of.get(parent)
                if pbox is None or pbox in kept:
                    continue
                if self.is_constant(pbox):
                    kept.add(pbox)
                    continue
                if counted >= limit:
                    continue
                kept.add(pbox)
                counted += 1
                queue.append(pbox)
        return kept

    def missing_uses(self, box) -> int:
        """Uses of the box's nodes (edges into consumers outside the box) that are not drawn."""
        members = self.members_of(box)
        inside = set(members) if box[0] == "g" else ()
        missing = 0
        for node in members:
            for consumer in self.consumers.get(node, ()):
                if consumer not in inside and self.box_of.get(consumer) is None:
                    missing += 1
        return missing

    def missing_inputs(self, box) -> int:
        return sum(1 for p in self.inputs_of(box) if self.box_of.get(p) is None)


def on_paths(nodes: list, targets: Iterable[Value]) -> set:
    """Nodes lying on some path from the output down to one of `targets`."""
    reached = set(targets)
    for node in nodes:  # parents come first, so one pass finds everything that depends on a target
        if node not in reached and any(p in reached for p in node.parents):
            reached.add(node)
    return reached


def build_view(
    root: Value,
    *,
    collapse: Optional[str] = None,
    within: Optional[Value] = None,
    highlight=None,
    highlight_only: bool = False,
    max_nodes: Optional[int] = None,
    partial: bool = False,
    where: str = "to_dot",
) -> tuple:
    """The View of root's graph for these options (see `autograd.to_dot`), and the set of
    highlighted nodes.

    >>> from autograd import Value
    >>> x = Value(2.0, label="x"); y = (x * x).tanh()
    >>> view, _ = build_view(y, max_nodes=2, partial=True)
    >>> view.values, view.count(), view.cut
    (3, 2, True)
    """
    if not isinstance(root, Value):
        raise TypeError(f"{where}: expected a Value, got {type(root).__name__}: {root!r}")
    check_choice(where, "collapse", collapse, COLLAPSES)
    check_integer(where, "max_nodes", max_nodes, minimum=1, allow_none=True)
    nodes = topological_order(root)
    targets = _targets(root, nodes, highlight, highlight_only, where)
    on_path = on_paths(nodes, targets) if targets else set()
    view = View(root, nodes, _context(root, within, where) or nodes, collapse)
    if highlight_only:
        view.keep_only({view.box_of[n] for n in on_path})
    if max_nodes is not None and view.count() > max_nodes:
        if not partial:
            raise GraphTooLargeError(
                f"{where}: the picture would have {view.count()} values (not counting ops and constants), "
                f"more than max_nodes={max_nodes}; pass collapse='neuron' or 'layer', partial=True "
                f"(draws the {max_nodes} nearest the output), or max_nodes=None to draw it all"
            )
        view.keep_only(view.nearest(max_nodes))
        view.cut = True
    return view, on_path


def _context(root: Value, within: Optional[Value], where: str) -> Optional[list]:
    """The bigger graph whose uses of the drawn values are counted, or None."""
    if within is None:
        return None
    if not isinstance(within, Value):
        raise TypeError(f"{where}: within must be a Value, got {type(within).__name__}: {within!r}")
    context = topological_order(within)
    if root not in set(context):
        raise ValueError(f"{where}: within={within!r} does not depend on the drawn value {root!r}")
    return context


def _targets(root: Value, nodes: list, highlight, highlight_only: bool, where: str) -> list:
    targets = [highlight] if isinstance(highlight, Value) else list(highlight or ())
    in_graph = set(nodes)
    for t in targets:
        if t not in in_graph:
            raise ValueError(f"{where}: highlight node {t!r} is not in the graph of {root!r}")
    if highlight_only and not targets:
        raise ValueError(f"{where}: highlight_only=True needs highlight= (a Value or several)")
    return targets


def nn_neurons(root: Value) -> int:
    """How many nn neuron applications root's graph has (what `collapse="neuron"` would draw as
    boxes): the advice for a graph too big or too slow suggests collapsing only when it helps.

    >>> import nn
    >>> nn_neurons((nn.MLP(2, [3, 1], seed=0)([1.0, 2.0]) - 1) ** 2), nn_neurons(Value(1.0) * 2)
    (4, 0)
    """
    return len(build_view(root, collapse="neuron", where="nn_neurons")[0].groups)
