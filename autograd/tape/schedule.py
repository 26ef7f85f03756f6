"""A tape's schedule: its rows (inputs, parameters, constants, ops) and the steps that compute them.

The schedule is made once, when a program is traced, and read by everything that runs the
program: `Tape.forward`/`Tape.backward` compile its steps to numpy index arrays, and the PyTorch
export (`autograd.tape.torch`) writes one line per step. One schedule, so replay and export
cannot group, order or freeze nodes differently. Its parts are named tuples: immutable, and
cheap to make for the thousands of rows of a traced model.

- `Slot`: one row, parents first: an input (varies per sample), a parameter (shared by all
  samples), a constant, or an op applied to earlier rows. `static` says whether the row is the
  same for every sample (computed from parameters and constants only); `needed` whether a
  gradient flows through it in backward.
- `Step`: one op applied to many rows of one level at once: elementwise (`inputs[k]` holds the
  rows of every node's k-th input), or as a matrix product (`Op.matrix_form`: each node's
  `weights` are static and its other half is the `shared` rows, the same for every node).
- `Guard`: a comparison, `bool()`, `float()` or `detach()` of a traced Value, checked per sample.

>>> import autograd
>>> from autograd import Value
>>> w = Value(0.5, label="w")
>>> schedule = autograd.trace(lambda x: (w * x).tanh(), [1.0], params=[w]).schedule
>>> [(slot.kind, slot.label) for slot in schedule.slots]
[('input', 'input 0'), ('param', 'w'), ('op', 'mul(...)'), ('op', 'tanh(...)')]
>>> [(step.op.name, step.rows, step.inputs) for step in schedule.steps]
[('mul', (2,), ((1,), (0,))), ('tanh', (3,), ((2,),))]
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional, Sequence, Union

__all__ = ["Slot", "Step", "Guard", "Schedule", "make_schedule", "INPUT", "PARAM", "CONST", "OP", "COMPARISONS"]

# What a row of a tape is.
INPUT, PARAM, CONST, OP = "input", "param", "const", "op"
# The guards that compare two numbers ("==" comes from rules with a special case at 0, e.g. pow's).
COMPARISONS = ("<", "<=", ">", ">=", "==")


class Slot(NamedTuple):
    """One row of a tape. `index`: the input's or parameter's position (else -1); `value`: a
    constant's number; `op` and `parents` (rows): an op node's. `label` names the row in messages."""

    kind: str
    index: int = -1  # type: ignore[assignment]  # the field shadows tuple.index (a public name)
    value: float = 0.0
    op: Any = None
    parents: tuple = ()
    label: str = ""
    static: bool = False  # the same for every sample: computed from parameters and constants only
    needed: bool = False  # backward passes a gradient through it (False: feeds guards only, or frozen)


class Step(NamedTuple):
    """`op` applied to every row of `rows` at once, over the whole batch.

    `inputs[k]`: the rows of every node's k-th input. For a matrix product (`shared` is not None,
    `op.matrix_form`), each node is `weights` (its static half, node after node) times `shared`
    (the rows of x, the same for every node). `needed` is False when backward skips the step."""

    op: Any
    rows: tuple
    inputs: tuple
    needed: bool
    shared: Optional[tuple] = None
    weights: Optional[tuple] = None


class Guard(NamedTuple):
    """A check of the traced path for every sample: `row` compared (`kind` in `COMPARISONS`)
    with the row `other_row` or the number `other_value`, or `bool()` of it ("bool"), or its
    number read by "float" or "detach"; `expected` is what it gave when traced."""

    row: int
    kind: str
    expected: Union[bool, float]
    other_row: Optional[int] = None
    other_value: Optional[float] = None


class Schedule(NamedTuple):
    """A traced program, parents first: `slots` (one per row), the `steps` that compute the op
    rows in order, the rows of the `outputs`, and the `guards`."""

    slots: tuple
    steps: tuple
    outputs: tuple
    guards: tuple

    def rows(self, kind: str) -> list:
        """The rows of one kind (`INPUT`, `PARAM`, `CONST`, `OP`), in order."""
        return [r for r, slot in enumerate(self.slots) if slot.kind == kind]


def make_schedule(
    slots: Sequence[Slot], outputs: Sequence[int], guards: Sequence[Guard] = (), frozen: Sequence[int] = ()
) -> Schedule:
    """Group `slots` (parents first; their `static`/`needed` are ignored) into steps and number
    the rows as the steps read and write them. `outputs`, `guards` and `frozen` (computed
    nodes that pass no gradient on: `requires_grad=False`) refer to positions in `slots`.

    Nodes are grouped by level (1 + their deepest parent's level), op, arity, whether backward
    needs them, and form, so one call runs a whole layer; nodes of an op with a `matrix_form`
    whose one half is static become one matrix product when they share the other half. Rows
    are then laid out inputs first, then per step its operands and its nodes, so a layer's
    weights and outputs are consecutive rows.

    >>> from autograd.ops import MUL
    >>> schedule = make_schedule([Slot(INPUT, index=0), Slot(PARAM, index=0), Slot(OP, op=MUL, parents=(0, 1))], [2])
    >>> [(slot.kind, slot.static, slot.needed) for slot in schedule.slots]
    [('input', False, True), ('param', True, True), ('op', False, True)]
    """
    needed = _needed(slots, outputs, set(frozen))
    static = _static(slots)
    groups = _groups(slots, needed, static)
    order = _layout(slots, groups)
    row = {slot: r for r, slot in enumerate(order)}
    renumber = lambda positions: tuple(map(row.__getitem__, positions))  # noqa: E731
    new_slots = tuple(
        Slot(slot.kind, slot.index, slot.value, slot.op, renumber(slot.parents), slot.label, static[s], needed[s])
        for s in order
        for slot in [slots[s]]
    )
    steps = tuple(
        Step(
            op,
            renumber(members),
            tuple(renumber(position) for position in _positions(slots, members)),
            is_needed,
            renumber(shared) if shared else None,
            renumber(_weights(slots, members, shared)) if shared else None,
        )
        for op, members, is_needed, shared in groups
    )
    new_guards = tuple(
        Guard(row[g.row], g.kind, g.expected, None if g.other_row is None else row[g.other_row], g.other_value)
        for g in guards
    )
    return Schedule(new_slots, steps, renumber(outputs), new_guards)


def _needed(slots, outputs, frozen) -> list:
    """Per slot: does backward pass a gradient through it (it leads to an output, not frozen)."""
    needed = [False] * len(slots)
    for s in outputs:
        needed[s] = True
    for s in range(len(slots) - 1, -1, -1):
        if slots[s].kind == OP and needed[s]:
            if s in frozen:
                needed[s] = False
                continue
            for p in slots[s].parents:
                needed[p] = True
    return needed


def _static(slots) -> list:
    """Per slot: the same for every sample (no input among its ancestors)."""
    static: list[bool] = []
    for slot in slots:
        static.append(all(static[p] for p in slot.parents) if slot.kind == OP else slot.kind != INPUT)
    return static


def _groups(slots, needed, static) -> list:
    """[(op, slots, needed, shared or None)] in level order (within a level, first slot first)."""
    level = [0] * len(slots)
    groups: dict = {}
    for s, slot in enumerate(slots):
        if slot.kind != OP:
            continue
        parents = slot.parents
        level[s] = 1 + max(level[p] for p in parents)
        shared = None
        if slot.op.matrix_form is not None and len(parents) % 2 == 0:
            half = len(parents) // 2
            if all(static[p] for p in parents[:half]):
                shared = tuple(parents[half:])
            elif all(static[p] for p in parents[half:]):
                shared = tuple(parents[:half])
        groups.setdefault((level[s], slot.op, len(parents), needed[s], shared), []).append(s)
    ordered = sorted(groups.items(), key=lambda item: item[0][0])  # stable: first slot first within a level
    return [(op, members, is_needed, shared) for (_, op, _, is_needed, shared), members in ordered]


def _positions(slots, members) -> list:
    """The slots of every member's k-th input, for each k."""
    return [list(position) for position in zip(*(slots[s].parents for s in members))]


def _weights(slots, members, shared) -> list:
    """Every member's static half (the one that is not `shared`), member after member."""
    half = len(shared)
    return [
        p
        for s in members
        for ps in [slots[s].parents]
        for p in (ps[:half] if tuple(ps[half:]) == shared else ps[half:])
    ]


def _layout(slots, groups) -> list:
    """The slots in row order: inputs; then per step the rows it reads and the rows it writes."""
    layout: dict[int, int] = {}

    def place(positions):
        for s in positions:
            layout.setdefault(s, len(layout))

    place(s for s, slot in enumerate(slots) if slot.kind == INPUT)
    for _, members, _, shared in groups:
        if shared:
            place(_weights(slots, members, shared) + list(shared))
        else:
            place(p for position in _positions(slots, members) for p in position)
        place(members)
    place(range(len(slots)))  # leaves that no step reads (an output or a guard's operand)
    return sorted(layout, key=layout.__getitem__)
