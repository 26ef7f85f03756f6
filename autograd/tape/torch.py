"""A traced program (`autograd.trace`) as PyTorch code: readable source, and a `torch.nn.Module`.

`to_torch_source(tape)` writes the tape as a PyTorch module class: the nodes of one level that
apply the same op become one tensor operation on a (batch, nodes) tensor, a layer of `dot`
nodes sharing their inputs becomes one matrix product (`x @ W.T`), and rows of `x` are samples,
as in `Tape.forward`. `to_torch(tape)` runs that source and returns an instance, so the code a
learner reads is the code that runs.

- Parameters: ONE `torch.nn.Parameter`, `params`, with `params[i]` = `tape.params[i]` (their
  labels are in the source's `PARAM_LABELS`); gradients of a loss summed over the batch equal
  the tape's (`module.params.grad[i]` is `tape.backward()[i]`). `load_params(tape, module)`
  copies trained numbers back into the Values.
- Constants and long index lists are buffers, so `module.to("cuda")` moves everything; the
  forward has no device-specific code.
- Guards (comparisons, `bool()`, `float()` on traced Values) are checked on every batch: a
  sample that would take another branch raises the source's `TraceError` (a RuntimeError).
- Nodes that pass no gradient on in the tape (`requires_grad=False` interior nodes) are detached.
- The module is written from the tape's public schedule (`tape.schedule`, which replay runs):
  one line per step, in the same order, with the same matrix products and frozen nodes.
- Ops: every built-in op of the table has a PyTorch expression (softplus as `logaddexp(x, 0)`,
  exact for large x; sum, dot, logsumexp and log_softmax, which `autograd.softmax` uses, over
  each node's inputs, log_softmax shifted by the max as dagrad computes it). An op from
  `define_op` has none: give one with `torch_ops={"name": fn}`, fn taking one tensor per input
  (elementwise) and returning a tensor; without it the export raises `NotImplementedError`
  naming the op. `torch_ops` may also replace a built-in's expression.
- Names (op names, labels, parameter labels) reach the source only inside string literals and
  comments, written with `repr` (line breaks, quotes and control characters escaped); user ops'
  functions are numbered (`torch_op1`). `class_name` must be an identifier the module does not
  define itself.
- Unlike the tape, PyTorch does not raise on a domain error (log of a negative number is nan).
- The module's class is made from the source, so save the module's `state_dict()` (and the
  source, `module.source`), not the pickled module.

`to_torch_source` needs no PyTorch; `to_torch` does (`import autograd` never imports it).
"""

from __future__ import annotations

import itertools
import keyword
import linecache
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from autograd.tape.schedule import COMPARISONS, CONST, INPUT, PARAM, Schedule

__all__ = ["to_torch_source", "to_torch", "load_params", "TORCH_EXPRESSIONS"]

# Built-in op name -> its PyTorch expression over the operands' source text.
TORCH_EXPRESSIONS: dict[str, Callable[..., str]] = {
    "add": lambda a, b: f"{a} + {b}",
    "sub": lambda a, b: f"{a} - {b}",
    "mul": lambda a, b: f"{a} * {b}",
    "div": lambda a, b: f"{a} / {b}",
    "pow": lambda a, b: f"{a} ** {b}",
    "neg": lambda a: f"-{a}",
    "abs": lambda a: f"torch.abs({a})",
    "exp": lambda a: f"torch.exp({a})",
    "log": lambda a: f"torch.log({a})",
    "sqrt": lambda a: f"torch.sqrt({a})",
    # log(1 + e^x) = logaddexp(x, 0): stable and exact for large x (F.softplus returns x above 20)
    "softplus": lambda a: f"torch.logaddexp({a}, torch.zeros_like({a}))",
    "tanh": lambda a: f"torch.tanh({a})",
    "sigmoid": lambda a: f"torch.sigmoid({a})",
    "relu": lambda a: f"torch.relu({a})",
    "leaky_relu": lambda a, slope: (
        f"torch.nn.functional.leaky_relu({a}, {slope})"
        if _is_number(slope)
        else f"torch.where({a} > 0, {a}, {slope} * {a})"
    ),
    "sin": lambda a: f"torch.sin({a})",
    "cos": lambda a: f"torch.cos({a})",
    # relu's derivative as a node (1 for x > 0, else 0; its own derivative is 0: no gradient)
    "step": lambda a: f"torch.heaviside({a}.detach(), torch.zeros_like({a}))",
}
# The n-ary built-ins (sum, dot, logsumexp, log_softmax) are written over each node's inputs by
# `_Writer._nary`; log_softmax with a helper function of the generated module, LOG_SOFTMAX_SOURCE.
NARY_OPS = ("sum", "dot", "logsumexp", "log_softmax")
_REPEATS_OPERAND = ("softplus", "leaky_relu", "step")  # templates that write an operand twice
_INLINE_INDEX = 8  # index lists up to this long are written inline; longer ones are buffers

# log_softmax(v_i; v_1..v_n) from the differences to the max, as `autograd.ops.LOG_SOFTMAX` computes
# it: exact for large inputs, where v_i - logsumexp(v) would lose the digits of its rounding.
LOG_SOFTMAX_SOURCE = """\
def log_softmax_term(first, others):
    \"\"\"log(exp(first) / sum exp(others)) over the last dimension of `others`, from the differences
    to the max (dagrad's log_softmax; the max only shifts, so it carries no gradient).\"\"\"
    shift = others.detach().amax(-1)
    shift = torch.where(torch.isfinite(shift), shift, torch.zeros_like(shift))
    return (first - shift) - torch.log(torch.exp(others - shift.unsqueeze(-1)).sum(-1))
"""

# Names the generated module defines itself: a class_name among them would replace one.
_MODULE_NAMES = {
    "torch",
    "TORCH_OPS",
    "TraceError",
    "check_guard",
    "log_softmax_term",
    "PARAMS",
    "PARAM_LABELS",
    "CONSTANTS",
}

_counter = itertools.count(1)


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"\(?-?[0-9.e+-]+\)?|float\(\"-?(inf|nan)\"\)", text))


def _literal(x: float) -> str:
    if x != x or x in (float("inf"), float("-inf")):
        return f'float("{x}")'
    text = repr(float(x))
    return f"({text})" if text.startswith("-") else text


def _numbers(values, indent: str = "    ") -> str:
    """A list literal of `values` (numbers or strings, each its own repr), wrapped between items,
    never inside a string literal."""
    items = [repr(v) if isinstance(v, (int, str)) else repr(float(v)) for v in values]
    if len(", ".join(items)) < 80:
        return f"[{', '.join(items)}]"
    lines = [""]
    for item in items:
        if lines[-1] and len(lines[-1]) + len(item) > 94:
            lines.append("")
        lines[-1] += f"{item}, "
    return "[\n" + "\n".join(indent + line.rstrip() for line in lines) + "\n]"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _shown(name: str) -> str:
    """A name as it may appear in a comment of generated code: its repr (quoted, every line break
    and control character escaped), so nothing in it ends the comment."""
    return repr(str(name))


class _Writer:
    """Builds the source of one module class from a tape's public schedule."""

    def __init__(self, tape, torch_ops: dict, class_name: str):
        self.tape, self.torch_ops, self.class_name = tape, torch_ops, class_name
        self.schedule = tape.schedule
        self.slots = self.schedule.slots
        self.where: dict = {}  # op row -> (tensor name, column, static)
        self.width = {"x": tape.n_inputs, "self.params": len(tape.params)}  # tensor name -> columns
        self.constants: dict = {}  # literal text -> index into CONSTANTS
        self.indices: list = []  # long index lists, as buffers index0, index1, ...
        self.forward: list = []
        self.user_ops: dict = {}  # op name -> identifier
        self.helpers: set = set()  # helper functions the source needs ("log_softmax")

    # -- where a row's value lives ---------------------------------------------------------------
    def _source(self, row):
        """(tensor, column, static) of a row."""
        slot = self.slots[row]
        if slot.kind == INPUT:
            return "x", slot.index, False
        if slot.kind == PARAM:
            return "self.params", slot.index, True
        if slot.kind == CONST:
            key = repr(float(slot.value))
            if key not in self.constants:
                self.constants[key] = len(self.constants)
            return "self.constants", self.constants[key], True
        return self.where[row]

    def _columns(self, cols: list) -> str:
        if cols == list(range(cols[0], cols[0] + len(cols))):
            return f"{cols[0]}:{cols[0] + len(cols)}"
        if len(cols) <= _INLINE_INDEX:
            return repr(cols)
        if cols not in self.indices:
            self.indices.append(cols)
        return f"self.index{self.indices.index(cols)}"

    def _piece(self, name: str, cols: list, static: bool, first_sample: bool = False) -> str:
        """The columns `cols` of tensor `name`; `first_sample`: of a (batch, nodes) tensor whose
        columns are the same for every sample, as a (len(cols),) tensor (sample 0's)."""
        width = len(self.constants) if name == "self.constants" else self.width[name]
        if first_sample:
            return f"{name}[0]" if cols == list(range(width)) else f"{name}[0, {self._columns(cols)}]"
        if name != "self.constants" and cols == list(range(width)):
            return name
        index = self._columns(cols)
        return f"{name}[{index}]" if static else f"{name}[:, {index}]"

    def gather(self, rows: list, literal: bool = True, static_rows: bool = False) -> tuple:
        """Source text of the rows' values side by side: (text, static). Static values (parameters,
        constants, what is computed from them only) have shape (len(rows),); the others
        (batch, len(rows)). With `literal`, rows that are all one constant give a number.
        `static_rows`: the rows are static in the schedule (a matrix product's weights): read
        them as a (len(rows),) tensor even where a step computed them beside per-sample nodes."""
        slots = self.slots
        if literal and all(slots[r].kind == CONST for r in rows) and len({slots[r].value for r in rows}) == 1:
            return _literal(slots[rows[0]].value), True
        pieces: list = []  # [tensor, [columns], static]
        for row in rows:
            name, col, static = self._source(row)
            if pieces and pieces[-1][0] == name:
                pieces[-1][1].append(col)
            else:
                pieces.append([name, [col], static])
        static = static_rows or all(piece[2] for piece in pieces)
        texts = []
        for name, cols, piece_static in pieces:
            text = self._piece(name, cols, piece_static, first_sample=static_rows and not piece_static)
            if piece_static and not static:
                text += ".expand(n, -1)"
            texts.append(text)
        if len(texts) == 1:
            return texts[0], static
        return f"torch.cat([{', '.join(texts)}]{'' if static else ', dim=1'})", static

    # -- the program -----------------------------------------------------------------------------
    def expression(self, step) -> tuple:
        """(source text, static, comment) of one step's values."""
        op = step.op
        if op.name in self.torch_ops:
            # numbered: nothing of a name (any string) reaches the code outside literals and comments
            identifier = self.user_ops.setdefault(op.name, f"torch_op{len(self.user_ops) + 1}")
            operands = [self.gather(list(position), literal=False) for position in step.inputs]
            return (
                f"{identifier}({', '.join(t for t, _ in operands)})",
                all(s for _, s in operands),
                f"{_shown(op.name)} (torch_ops)",
            )
        if op.builtin and op.name in NARY_OPS:
            return self._nary(step)
        template = TORCH_EXPRESSIONS.get(op.name) if op.builtin else None
        if template is None:
            raise NotImplementedError(
                f"Tape.to_torch: op {op.name!r} has no PyTorch counterpart "
                f"({'a built-in op the exporter does not know' if op.builtin else 'it was added with define_op'}); "
                f"pass torch_ops={{{op.name!r}: fn}}, where fn takes {len(step.inputs)} tensor(s) and returns a tensor "
                "(elementwise), e.g. for x ** 3: lambda x: x ** 3"
            )
        operands = [self.gather(list(position)) for position in step.inputs]
        if all(_is_number(t) for t, _ in operands):  # a node made from constants only
            operands[0] = self.gather(list(step.inputs[0]), literal=False)
        texts = []
        for text, _ in operands:
            if op.name in _REPEATS_OPERAND and not _is_number(text) and not text.isidentifier():
                name = f"t{len(self.forward)}"  # the template repeats this operand: compute it once
                self.forward.append(f"{name} = {text}")
                text = name
            texts.append(text)
        return template(*texts), all(s for _, s in operands), op.name

    def _nary(self, step) -> tuple:
        """(source text, static, comment) of a step of sum, dot, logsumexp or log_softmax nodes:
        each node's inputs side by side, then reduced over them."""
        name, rows, arity = step.op.name, list(step.rows), len(step.inputs)
        m, parents = len(rows), [self.slots[r].parents for r in rows]
        if name == "dot":
            k = arity // 2
            if step.shared is not None:
                w, _ = self.gather(list(step.weights), literal=False, static_rows=True)
                x, x_static = self.gather(list(step.shared), literal=False)
                return f"{x} @ {w}.reshape({m}, {k}).T", x_static, "dot: a matrix product"
            w, w_static = self.gather([p for ps in parents for p in ps[:k]], literal=False)
            x, x_static = self.gather([p for ps in parents for p in ps[k:]], literal=False)
            return self._sum_over(f"({w} * {x})", m, k), w_static and x_static, "dot"
        if name == "log_softmax":  # inputs (v_i, v_1..v_n): one node per class
            self.helpers.add("log_softmax")
            first, first_static = self.gather(list(step.inputs[0]), literal=False)
            others, static = self.gather([p for ps in parents for p in ps[1:]], literal=False)
            return (
                f"log_softmax_term({first}, {others}.unflatten(-1, ({m}, {arity - 1})))",
                static and first_static,
                name,
            )
        flat, static = self.gather([p for ps in parents for p in ps], literal=False)
        if name == "logsumexp":  # log sum_i e^(x_i), over each node's inputs
            if m == 1:
                return f"torch.logsumexp({flat}, -1, keepdim=True)", static, name
            return f"torch.logsumexp({flat}.unflatten(-1, ({m}, {arity})), -1)", static, name
        if arity <= 4 and flat.startswith("torch.cat("):  # sum of scattered terms: a + b reads better
            operands = [self.gather(list(position), literal=False) for position in step.inputs]
            return " + ".join(t for t, _ in operands), all(s for _, s in operands), name
        return self._sum_over(flat, m, arity), static, name

    @staticmethod
    def _sum_over(text: str, m: int, k: int) -> str:
        if k == 1:
            return text
        if m == 1:
            return f"{text}.sum(-1, keepdim=True)"
        return f"{text}.unflatten(-1, ({m}, {k})).sum(-1)"

    def write(self) -> str:
        for number, step in enumerate(self.schedule.steps, 1):
            text, static, what = self.expression(step)
            name = f"h{number}"
            if not step.needed:
                text = f"({text}).detach()"
            self.forward.append(f"{name} = {text}  # {what}, {_count(len(step.rows), 'node')}")
            self.width[name] = len(step.rows)
            for col, row in enumerate(step.rows):
                self.where[row] = (name, col, static)
        guards = [self._guard(guard) for guard in self.schedule.guards]
        outputs = list(self.schedule.outputs)
        out, static = self.gather(outputs, literal=False)
        if static:
            out += ".expand(n, -1)"
        result = f"{out}[:, 0]" if len(outputs) == 1 else out
        return "\n".join(self._header() + self._class(guards, result) + self._data()) + "\n"

    def _guard(self, guard) -> str:
        """A guard as a line of forward; the message (with labels) is a string literal (repr)."""
        kind, expected = guard.kind, guard.expected
        x, _ = self.gather([guard.row], literal=False)
        what = self.slots[guard.row].label
        if kind in COMPARISONS:
            if guard.other_row is not None:
                y, shown = self.gather([guard.other_row], literal=False)[0], self.slots[guard.other_row].label
            else:
                y, shown = _literal(guard.other_value), repr(guard.other_value)
            condition, message = f"{x} {kind} {y}", f"{what} {kind} {shown} was {expected} when traced"
        elif kind == "bool":
            condition, message = f"{x} != 0", f"bool({what}) was {expected} when traced"
        else:  # float() or detach(): the number left the graph, so it must not change
            condition, message = f"{x} == {_literal(expected)}", f"{kind}({what}) was {expected!r} when traced"
            expected = True
        if not expected:
            condition = f"~({condition})"
        return f"check_guard({condition}, {message!r})"

    # -- the text around forward's lines ---------------------------------------------------------
    def _header(self) -> list:
        tape, schedule = self.tape, self.schedule
        n_ops = len(tape)
        lines = [
            f'"""PyTorch code generated by dagrad from a traced program ({_count(n_ops, "op")}, {_count(tape.n_inputs, "input")},',
            f"{_count(len(tape.params), 'parameter')}, {_count(len(schedule.outputs), 'output')}).",
            "",
            "Each line of `forward` computes every node of one level that applies the same op, for",
            "every sample at once: a tensor (batch, nodes). Rows of x are samples.",
            '"""',
            "",
            "import torch",
            "",
        ]
        if self.user_ops:
            lines.append("# Ops added with define_op, as PyTorch functions (given as torch_ops={name: fn})")
            lines += [f"{identifier} = TORCH_OPS[{name!r}]" for name, identifier in self.user_ops.items()]
            lines.append("")
        if "log_softmax" in self.helpers:
            lines += ["", *LOG_SOFTMAX_SOURCE.splitlines(), ""]
        if self.schedule.guards:
            lines += [
                "",
                "class TraceError(RuntimeError):",
                '    """A sample takes another branch than the traced one: the program does not apply to it."""',
                "",
                "",
                "def check_guard(holds, message):",
                "    if not bool(torch.all(holds)):",
                '        raise TraceError(f"the traced program branches on data: {message}, but not for every sample")',
                "",
            ]
        return lines

    def _class(self, guards: list, result: str) -> list:
        n_inputs, n_outputs = self.tape.n_inputs, len(self.schedule.outputs)
        lines = [
            "",
            f"class {self.class_name}(torch.nn.Module):",
            "    def __init__(self, dtype=torch.float64):",
            "        super().__init__()",
            "        # params[i] is the traced program's parameter i (labels: PARAM_LABELS)",
            "        self.params = torch.nn.Parameter(torch.tensor(PARAMS, dtype=dtype))",
        ]
        if self.constants:
            lines.append('        self.register_buffer("constants", torch.tensor(CONSTANTS, dtype=dtype))')
        for i in range(len(self.indices)):
            lines.append(f'        self.register_buffer("index{i}", torch.tensor(INDEX{i}))')
        returns = '(batch,)."""' if n_outputs == 1 else f'(batch, {n_outputs}): one column per output."""'
        lines += [
            "",
            "    def forward(self, x):",
            f'        """x: (batch, {n_inputs}); returns ' + returns,
            "        x = torch.as_tensor(x, dtype=self.params.dtype, device=self.params.device)",
            f"        if x.ndim != 2 or x.shape[1] != {n_inputs}:",
            f'            raise ValueError(f"{self.class_name}: expected x of shape (batch, {n_inputs}), got {{tuple(x.shape)}}")',
            "        n = x.shape[0]",
        ]
        lines += ["        " + line for line in self.forward + guards]
        return lines + [f"        return {result}", "", ""]

    def _data(self) -> list:
        params = self.tape.params
        labels = [p.label or f"params[{i}]" for i, p in enumerate(params)]
        lines = [f"PARAMS = {_numbers([p.data for p in params])}", f"PARAM_LABELS = {_numbers(labels)}"]
        if self.constants:
            lines.append(f"CONSTANTS = {_numbers([float(c) for c in self.constants])}")
        lines += [f"INDEX{i} = {_numbers(cols)}" for i, cols in enumerate(self.indices)]
        return lines


def _check_class_name(class_name) -> str:
    """A name the generated module can define its class by and `to_torch` can find it by."""
    name = class_name if isinstance(class_name, str) else None
    if (
        name is None
        or not name.isidentifier()
        or keyword.iskeyword(name)
        or name in _MODULE_NAMES
        or re.fullmatch(r"INDEX[0-9]+|torch_op[0-9]+", name)
        or unicodedata.normalize("NFKC", name) != name
    ):
        raise ValueError(
            "to_torch_source: class_name must be a Python identifier (not a keyword, in NFKC form) that the "
            f"generated module does not use itself ({', '.join(sorted(_MODULE_NAMES))}, INDEX<i>, torch_op<i>), "
            f"got {class_name!r}"
        )
    return name


def to_torch_source(tape, *, torch_ops=None, class_name: str = "TracedProgram") -> str:
    """The traced program as the source of a PyTorch module class `class_name` (a string; no
    PyTorch needed to write it). Also `tape.to_torch_source()`.

    Running the source defines the class (and, with user ops, needs `TORCH_OPS`, the
    `torch_ops` mapping, in its namespace); `to_torch` does exactly that.

    >>> import autograd
    >>> from autograd import Value
    >>> w, b = Value(0.5, label="w"), Value(1.0, label="b")
    >>> tape = autograd.trace(lambda x: (w * x + b).tanh(), [0.0], params=[w, b])
    >>> print(tape.to_torch_source())  # doctest: +ELLIPSIS
    \"\"\"PyTorch code generated by dagrad from a traced program (3 ops, 1 input,
    ...
        def forward(self, x):
            \"\"\"x: (batch, 1); returns (batch,).\"\"\"
            ...
            h1 = self.params[0:1] * x  # mul, 1 node
            h2 = h1 + self.params[1:2]  # add, 1 node
            h3 = torch.tanh(h2)  # tanh, 1 node
            return h3[:, 0]
    <BLANKLINE>
    <BLANKLINE>
    PARAMS = [0.5, 1.0]
    PARAM_LABELS = ['w', 'b']
    <BLANKLINE>
    """
    torch_ops = dict(torch_ops or {})
    for name, fn in torch_ops.items():
        if not callable(fn):
            raise TypeError(f"to_torch: torch_ops[{name!r}] must be a function of tensors, got {fn!r}")
    class_name = _check_class_name(class_name)
    if not isinstance(getattr(tape, "schedule", None), Schedule):
        raise TypeError(f"to_torch_source: expected an autograd Tape (from autograd.trace), got {type(tape).__name__}")
    return _Writer(tape, torch_ops, class_name).write()


def to_torch(tape, dtype=None, device=None, *, torch_ops=None, class_name: str = "TracedProgram"):
    """The traced program as a `torch.nn.Module` (float64 unless `dtype`) whose one parameter
    `params` holds the tape's parameters and whose forward maps x (batch, n_inputs) to the
    outputs, (batch,) for one output. It runs `to_torch_source(tape)`; the text is kept as
    `module.source`. Also `tape.to_torch()`. Needs PyTorch.

    >>> import torch, autograd
    >>> from autograd import Value
    >>> w = Value(2.0)
    >>> tape = autograd.trace(lambda x: (w * x).sin(), [0.0], params=[w])
    >>> module = tape.to_torch()
    >>> X = torch.tensor([[0.25], [1.0]], dtype=torch.float64)
    >>> torch.allclose(module(X), torch.sin(2 * X[:, 0]), rtol=0, atol=1e-15)
    True
    >>> module(X).sum().backward()
    >>> _ = tape.forward(X.numpy()); [g] = tape.backward()
    >>> abs(module.params.grad[0].item() - g) < 1e-12
    True
    """
    try:
        import torch
    except ImportError:
        raise ImportError(
            "Tape.to_torch needs PyTorch, which is not installed: pip install torch "
            "(`pip install -e '.[torch]'` installs the tested version)"
        ) from None
    source = to_torch_source(tape, torch_ops=torch_ops, class_name=class_name)
    filename = f"<dagrad traced program {next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # tracebacks show the lines
    namespace: dict[str, Any] = {"__name__": "dagrad_traced_program", "TORCH_OPS": dict(torch_ops or {})}
    exec(compile(source, filename, "exec"), namespace)
    module = namespace[class_name](dtype=torch.float64 if dtype is None else dtype)
    if device is not None:
        module = module.to(device)
    module.source = source
    return module


def load_params(tape, module) -> None:
    """Copy the numbers of `module.params` (a module from `to_torch`, e.g. after training in
    PyTorch) into the tape's parameter Values.

    >>> import torch, autograd
    >>> from autograd import Value
    >>> w = Value(2.0)
    >>> tape = autograd.trace(lambda x: w * x, [0.0], params=[w])
    >>> module = tape.to_torch()
    >>> with torch.no_grad(): module.params[0] = 3.5
    >>> load_params(tape, module); w.data
    3.5
    """
    numbers = module.params.detach().to("cpu").double().tolist()
    if len(numbers) != len(tape.params):
        raise ValueError(f"load_params: the module has {len(numbers)} parameters, the tape {len(tape.params)}")
    for value, number in zip(tape.params, numbers):
        value.data = number
