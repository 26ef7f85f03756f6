"""`Program`: a straight-line program over the op table, runnable on floats, Values or anything.

Values 0..n_inputs-1 are the inputs x0, x1, ...; node k computes value n_inputs + k by applying
one op to earlier values (any of them, repeats allowed, so shared sub-expressions make DAGs)
and to numbers written in the program (`Constant`s: `x0 ** 2.0`, `2.0 * x0`). The last node is
the output. The strategies in `autograd.testing.strategies` generate programs;
`repr(program)` is Python source, so a failing example reads as code.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Callable, Mapping, Optional, Sequence, Union

from autograd.ops import OPS, Op
from autograd.testing.domains import domain_of
from autograd.value import Value, apply

__all__ = ["Case", "Constant", "Node", "Program"]


@dataclass(frozen=True)
class Constant:
    """A number written in a program, as an argument of a node: the `2.0` of `x0 ** 2.0`.

    >>> from autograd.testing import Constant, Program
    >>> Program(1, [("pow", 0, Constant(2.0)), ("mul", Constant(3.0), 1)])
    def program(x0):
        v1 = x0 ** 2.0
        v2 = 3.0 * v1
        return v2
    """

    value: float

    def __post_init__(self):
        if isinstance(self.value, bool) or not isinstance(self.value, numbers.Real) or not math.isfinite(self.value):
            raise ValueError(f"Constant: value must be a finite real number, got {self.value!r}")
        object.__setattr__(self, "value", float(self.value))

    def __repr__(self) -> str:
        return repr(self.value)


@dataclass(frozen=True)
class Node:
    """One step of a program: `op` applied to `args`, each the index of an earlier value (an
    int: inputs first, then one value per node) or a `Constant`."""

    op: Op
    args: tuple

    @property
    def indices(self) -> tuple:
        """The indices among `args` (the values this node reads; constants left out)."""
        return tuple(a for a in self.args if not isinstance(a, Constant))

    def arguments(self, values: Sequence) -> list:
        """The node's arguments: the values at its indices (of `values`, a program's trace so
        far), its constants as floats."""
        return [a.value if isinstance(a, Constant) else values[a] for a in self.args]


def _as_op(op: Union[str, Op]) -> Op:
    if isinstance(op, Op):
        return op
    if isinstance(op, str):
        if op not in OPS:
            raise ValueError(f"Program: unknown op {op!r}; known ops: {', '.join(sorted(OPS))}")
        return OPS[op]
    raise TypeError(f"Program: an op must be a name or an Op, got {type(op).__name__}: {op!r}")


class Program:
    """A straight-line program: `n_inputs` inputs x0, x1, ..., then `nodes`.

    Fields: `n_inputs` (an int >= 1) and `nodes`, a tuple of `Node`s (`node.op`, an `Op`;
    `node.args`, indices of earlier values or `Constant`s). The constructor also takes each node
    as a tuple `(op, *args)`: the op by name or `Op`, an int arg an index, a float (or
    `Constant`) a number written in the program.

    Call it (or `run`) on floats to get a float, on Values to get a Value (so it can be passed
    to `gradcheck` directly); `trace` returns every intermediate value; `repr` is its source.

    >>> from autograd.testing import Program
    >>> p = Program(2, [("mul", 0, 1), ("tanh", 2), ("add", 3, 2)])
    >>> p
    def program(x0, x1):
        v2 = x0 * x1
        v3 = v2.tanh()
        v4 = v3 + v2
        return v4
    >>> round(p(0.5, 2.0), 6)
    1.761594
    >>> from autograd.testing import gradcheck
    >>> gradcheck(p, [0.5, 2.0])
    True
    """

    __slots__ = ("n_inputs", "nodes")

    def __init__(self, n_inputs: int, nodes: Sequence):
        if isinstance(n_inputs, bool) or not isinstance(n_inputs, int) or n_inputs < 1:
            raise ValueError(f"Program: n_inputs must be an int >= 1, got {n_inputs!r}")
        checked = []
        for k, node in enumerate(nodes):
            if isinstance(node, Node):
                op, args = node.op, node.args
            else:
                op, *args = node
            op, args = _as_op(op), tuple(Constant(a) if isinstance(a, float) else a for a in args)
            available = n_inputs + k
            if not all(
                isinstance(a, Constant) or (isinstance(a, int) and not isinstance(a, bool) and 0 <= a < available)
                for a in args
            ):
                raise ValueError(
                    f"Program: node {k} ({op.name}) args {args} must be indices of earlier values (0..{available - 1}) "
                    "or Constants (floats)"
                )
            if args and all(isinstance(a, Constant) for a in args):
                raise ValueError(f"Program: node {k} ({op.name}) reads no value, only constants {args}")
            if op.arity is not None and len(args) != op.arity:
                raise ValueError(f"Program: node {k}: {op.name} takes {op.arity} inputs, got {len(args)}")
            if not args:
                raise ValueError(f"Program: node {k}: {op.name} needs at least one input")
            checked.append(Node(op, args))
        if not checked:
            raise ValueError("Program: needs at least one node")
        self.n_inputs = n_inputs
        self.nodes = tuple(checked)

    @classmethod
    def from_op(cls, op: Union[str, Op], n_inputs: Optional[int] = None) -> "Program":
        """The one-node program `op(x0, x1, ...)`; `n_inputs` defaults to the op's arity.

        >>> from autograd.testing import Program
        >>> Program.from_op("dot", 4)
        def program(x0, x1, x2, x3):
            v4 = autograd.dot([x0, x1], [x2, x3])
            return v4
        """
        op = _as_op(op)
        if n_inputs is None:
            if op.arity is None:
                raise ValueError(f"Program.from_op: {op.name} is n-ary; give n_inputs")
            n_inputs = op.arity
        return cls(n_inputs, [(op, *range(n_inputs))])

    # -- running -----------------------------------------------------------------------------
    def _check_inputs(self, inputs) -> list:
        inputs = list(inputs)
        if len(inputs) != self.n_inputs:
            raise ValueError(f"Program: expected {self.n_inputs} inputs, got {len(inputs)}")
        for i, x in enumerate(inputs):
            if not isinstance(x, (Value, numbers.Real)):
                raise TypeError(f"Program: inputs[{i}] must be a number or a Value, got {type(x).__name__}: {x!r}")
        return inputs

    def trace(self, inputs: Sequence) -> list:
        """Every value of the program: the inputs, then one per node (floats, or Values if any
        input is a Value). Domain errors propagate, naming the op.

        >>> from autograd.testing import Program
        >>> Program(1, [("exp", 0), ("neg", 1)]).trace([0.0])
        [0.0, 1.0, -1.0]
        """
        values = self._check_inputs(inputs)
        if not any(isinstance(x, Value) for x in values):
            values = [float(x) for x in values]
        for node in self.nodes:
            values.append(apply(node.op, *node.arguments(values)))
        return values

    def run(self, inputs: Sequence):
        """The output (last node) on `inputs`: a float for numbers, a Value if any input is one.

        >>> from autograd import Value
        >>> from autograd.testing import Program
        >>> p = Program(1, [("mul", 0, 0)])
        >>> p.run([3.0]), p.run([Value(3.0)]).data
        (9.0, 9.0)
        """
        return self.trace(inputs)[-1]

    def __call__(self, *inputs):
        return self.run(inputs)

    def run_with(self, implementations: Mapping[str, Callable], inputs: Sequence):
        """Run on another backend: `implementations[op_name](*args)` computes each node.

        Useful as an oracle (PyTorch, mpmath, numpy). Inputs are passed through unchanged.

        >>> import math
        >>> from autograd.testing import Program
        >>> Program(1, [("sin", 0), ("mul", 1, 0)]).run_with({"sin": math.sin, "mul": lambda a, b: a * b}, [0.0])
        0.0
        """
        values = list(inputs)
        if len(values) != self.n_inputs:
            raise ValueError(f"Program.run_with: expected {self.n_inputs} inputs, got {len(values)}")
        for node in self.nodes:
            try:
                implementation = implementations[node.op.name]
            except KeyError:
                raise KeyError(f"Program.run_with: no implementation given for op {node.op.name!r}") from None
            values.append(implementation(*node.arguments(values)))
        return values[-1]

    def admits(
        self,
        inputs: Sequence[float],
        *,
        domains: Optional[Mapping] = None,
        max_magnitude: float = 1e3,
        kink_margin: float = 1e-2,
        radius: float = 1e-3,
        avoid_kinks: bool = True,
    ) -> bool:
        """True when finite differences are meaningful at `inputs`: every node's inputs are in its
        op's domain and at least `kink_margin` from its kinks, every value is finite with
        |value| <= `max_magnitude`, and moving any one input by +-`radius` keeps every node in
        its domain and on the same side of every kink. With `avoid_kinks=False` kinks are not
        looked at (a point aimed at a kink on purpose).

        >>> from autograd.testing import Program
        >>> p = Program(1, [("relu", 0), ("log", 0)])
        >>> p.admits([2.0]), p.admits([0.05]), p.admits([-1.0])
        (True, False, False)
        """
        inputs = [float(x) for x in self._check_inputs(inputs)]
        node_domains = [domain_of(node.op, domains) for node in self.nodes]
        center = self.trace_or_none(inputs)
        if center is None or not all(math.isfinite(v) and abs(v) <= max_magnitude for v in center):
            return False
        signs = []
        for node, domain in zip(self.nodes, node_domains):
            args = node.arguments(center)
            if not domain.admits(args, kink_margin if avoid_kinks else 0.0):
                return False
            signs.append(domain.kink_signs(args) if avoid_kinks else ())
        for i in range(self.n_inputs):
            for step in (radius, -radius):
                moved = list(inputs)
                moved[i] += step
                values = self.trace_or_none(moved)
                if values is None or not all(math.isfinite(v) for v in values):
                    return False
                for node, domain, sign in zip(self.nodes, node_domains, signs):
                    args = node.arguments(values)
                    if not domain.admits(args) or (avoid_kinks and domain.kink_signs(args) != sign):
                        return False
        return True

    def trace_or_none(self, inputs) -> Optional[list]:
        """`trace(inputs)`, or None where an op fails (outside its domain) on the way."""
        try:
            return self.trace(inputs)
        except (ArithmeticError, ValueError, TypeError):  # TypeError: a user forward gave a complex
            return None

    # -- reading -----------------------------------------------------------------------------
    @property
    def ops(self) -> tuple:
        """The op names of the nodes, in order."""
        return tuple(node.op.name for node in self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def source(self) -> str:
        """Python source of a function computing the program on Values (needs `autograd` and
        `OPS` in scope for n-ary and user ops)."""
        names = [f"x{i}" for i in range(self.n_inputs)]
        lines = [f"def program({', '.join(names)}):"]
        for node in self.nodes:
            name = f"v{len(names)}"
            lines.append(
                f"    {name} = {_expression(node, [repr(a) if isinstance(a, Constant) else names[a] for a in node.args])}"
            )
            names.append(name)
        lines.append(f"    return {names[-1]}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.source

    __str__ = __repr__

    @property
    def imports(self) -> list:
        """The import lines the source needs beyond a Value: `import autograd` for n-ary ops,
        `from autograd import OPS` for ops written `OPS['name'](...)` (user ops)."""
        lines = []
        if any("autograd." in _expression(node, ["x"] * len(node.args)) for node in self.nodes):
            lines.append("import autograd")
        if any("OPS[" in _expression(node, ["x"] * len(node.args)) for node in self.nodes):
            lines.append("from autograd import OPS")
        return lines

    def _key(self):
        return (self.n_inputs, tuple((node.op.name, node.args) for node in self.nodes))

    def __eq__(self, other):
        return isinstance(other, Program) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())


def _expression(node: Node, args: list) -> str:
    """How the op is written on Values, as its table entry says (`Op.operator`, `Op.method`,
    `Op.source`): `x0 * x1`, `-x0`, `x0.tanh()`, `autograd.sum([x0, x1])`, else `OPS['name'](x0)`."""
    op = node.op
    if op.operator == "abs":
        return f"abs({args[0]})"
    if op.operator:
        return f"{op.operator}{args[0]}" if len(args) == 1 else f"{args[0]} {op.operator} {args[1]}"
    if op.method and not isinstance(node.args[0], Constant):
        return f"{args[0]}.{op.method}({', '.join(args[1:])})"
    if op.source is not None:
        return op.source(args)
    return f"OPS[{op.name!r}]({', '.join(args)})"


class Case(tuple):
    """A program and the inputs to run it at, as the strategies draw them: unpacks as
    `program, inputs = case`, and prints as runnable source and the call, so a shrunk failure
    can be pasted into a file and run.

    >>> from autograd.testing import Case, Program
    >>> Case(Program(1, [("exp", 0), ("mul", 1, 0)]), [0.5])
    def program(x0):
        v1 = x0.exp()
        v2 = v1 * x0
        return v2
    program(0.5)
    """

    __slots__ = ()

    def __new__(cls, program: Program, inputs: Sequence):
        return super().__new__(cls, (program, tuple(inputs)))

    @property
    def program(self) -> Program:
        return self[0]

    @property
    def inputs(self) -> tuple:
        return self[1]

    def __repr__(self) -> str:
        call = f"program({', '.join(repr(float(x)) for x in self.inputs)})"
        return "\n".join([*self.program.imports, self.program.source, call])

    def _repr_pretty_(self, printer, cycle) -> None:
        # Hypothesis's pretty printer: one line per source line, indented under "case=".
        for k, line in enumerate(repr(self).split("\n")):
            if k:
                printer.break_()
            printer.text(line)
