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
- Ops: every built-in op has a PyTorch expression (softplus as `logaddexp(x, 0)`, exact for
  large x; sum, dot and logsumexp over each node's inputs). An op from `define_op` has none: give one with `torch_ops={"name": fn}`, fn taking
  one tensor per input (elementwise) and returning a tensor; without it the export raises
  `NotImplementedError` naming the op. `torch_ops` may also replace a built-in's expression.
- Unlike the tape, PyTorch does not raise on a domain error (log of a negative number is nan).
- The module's class is made from the source, so save the module's `state_dict()` (and the
  source, `module.source`), not the pickled module.

`to_torch_source` needs no PyTorch; `to_torch` does (`import autograd` never imports it).
"""

from __future__ import annotations

import itertools
import linecache
import re
import textwrap

from autograd.tape.replay import _CONST, _INPUT, _OP, _PARAM

__all__ = ["to_torch_source", "to_torch", "load_params", "TORCH_EXPRESSIONS"]

# Built-in op name -> its PyTorch expression over the operands' source text.
TORCH_EXPRESSIONS = {
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
    "leaky_relu": lambda a, slope: (f"torch.nn.functional.leaky_relu({a}, {slope})" if _is_number(slope)
                                    else f"torch.where({a} > 0, {a}, {slope} * {a})"),
    "sin": lambda a: f"torch.sin({a})",
    "cos": lambda a: f"torch.cos({a})",
    # relu's derivative as a node (1 for x > 0, else 0; its own derivative is 0: no gradient)
    "step": lambda a: f"torch.heaviside({a}.detach(), torch.zeros_like({a}))",
}
_REPEATS_OPERAND = ("softplus", "leaky_relu", "step")  # templates that write an operand twice
_INLINE_INDEX = 8  # index lists up to this long are written inline; longer ones are buffers
_COMPARISONS = ("<", "<=", ">", ">=", "==")

_counter = itertools.count(1)


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"\(?-?[0-9.e+-]+\)?|float\(\"-?(inf|nan)\"\)", text))


def _literal(x: float) -> str:
    if x != x or x in (float("inf"), float("-inf")):
        return f'float("{x}")'
    text = repr(float(x))
    return f"({text})" if text.startswith("-") else text


def _numbers(values, indent: str = "    ") -> str:
    """A list literal of `values`, wrapped."""
    body = ", ".join(repr(v) if isinstance(v, (int, str)) else repr(float(v)) for v in values)
    if len(body) < 80:
        return f"[{body}]"
    return "[\n" + textwrap.fill(body, 96, initial_indent=indent, subsequent_indent=indent) + ",\n]"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _identifier(name: str) -> str:
    return "op_" + re.sub(r"\W", "_", name)


class _Writer:
    """Builds the source of one module class from a tape."""

    def __init__(self, tape, torch_ops: dict, class_name: str):
        self.tape, self.torch_ops, self.class_name = tape, torch_ops, class_name
        self.kinds, self.payloads = tape._kinds, tape._payloads
        self.where = {}  # op row -> (tensor name, column, static)
        self.width = {}  # tensor name -> number of columns
        self.static_names = set()
        self.constants: dict = {}  # literal text -> index into CONSTANTS
        self.indices: list = []  # long index lists, as buffers index0, index1, ...
        self.forward: list = []
        self.user_ops: dict = {}  # op name -> identifier
        self.width["x"] = tape.n_inputs
        self.width["self.params"] = len(tape.params)

    # -- where a row's value lives ---------------------------------------------------------------
    def _source(self, row):
        """(tensor, column, static) of a row."""
        kind = self.kinds[row]
        if kind == _INPUT:
            return "x", self.payloads[row], False
        if kind == _PARAM:
            return "self.params", self.payloads[row], True
        if kind == _CONST:
            key = repr(float(self.payloads[row]))
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

    def _piece(self, name: str, cols: list, static: bool) -> str:
        width = len(self.constants) if name == "self.constants" else self.width[name]
        if name != "self.constants" and cols == list(range(width)):
            return name
        index = self._columns(cols)
        return f"{name}[{index}]" if static else f"{name}[:, {index}]"

    def gather(self, rows: list, literal: bool = True) -> tuple:
        """Source text of the rows' values side by side: (text, static). Static values (parameters,
        constants, what is computed from them only) have shape (len(rows),); the others
        (batch, len(rows)). With `literal`, rows that are all one constant give a number."""
        if literal and all(self.kinds[r] == _CONST for r in rows) and len({self.payloads[r] for r in rows}) == 1:
            return _literal(self.payloads[rows[0]]), True
        pieces = []  # [tensor, [columns], static]
        for row in rows:
            name, col, static = self._source(row)
            if pieces and pieces[-1][0] == name:
                pieces[-1][1].append(col)
            else:
                pieces.append([name, [col], static])
        static = all(piece[2] for piece in pieces)
        texts = []
        for name, cols, piece_static in pieces:
            text = self._piece(name, cols, piece_static)
            if piece_static and not static:
                text += ".expand(n, -1)"
            texts.append(text)
        if len(texts) == 1:
            return texts[0], static
        return f"torch.cat([{', '.join(texts)}]{'' if static else ', dim=1'})", static

    # -- the program -----------------------------------------------------------------------------
    def groups(self) -> list:
        """The op rows as [(op, rows, needed, shared)], in an order that computes parents first:
        one group per level, op, arity and form (the tape's own schedule)."""
        kinds, payloads = self.kinds, self.payloads
        rows = [r for r, kind in enumerate(kinds) if kind == _OP]
        level, static, order, seen = {}, {}, [], set()
        for root in rows:  # parents first, without recursion
            stack = [(root, False)]
            while stack:
                row, expanded = stack.pop()
                if row in seen:
                    continue
                if kinds[row] != _OP:
                    seen.add(row)
                    level[row], static[row] = 0, kinds[row] != _INPUT
                    continue
                if expanded:
                    seen.add(row)
                    parents = payloads[row][1]
                    level[row] = 1 + max(level[p] for p in parents)
                    static[row] = all(static[p] for p in parents)
                    order.append(row)
                else:
                    stack.append((row, True))
                    stack.extend((p, False) for p in payloads[row][1] if p not in seen)
        not_needed = set()
        for step in getattr(self.tape, "_steps", ()):  # nodes that pass no gradient on
            if not getattr(step, "needed", True):
                not_needed.update(step.rows)
        groups: dict = {}
        for row in order:
            op, parents = payloads[row]
            shared = None
            if op.name == "dot" and len(parents) % 2 == 0:
                half = len(parents) // 2
                if all(static[p] for p in parents[:half]):
                    shared = tuple(parents[half:])
                elif all(static[p] for p in parents[half:]):
                    shared = tuple(parents[:half])
            key = (level[row], op, len(parents), row not in not_needed, shared)
            groups.setdefault(key, []).append(row)
        result = [(key[1], rows, key[3], key[4]) for key, rows in groups.items()]
        # A matrix product needs its x shared by every node: a group of one node with its own x
        # is a plain dot. Sort by level, then by first row: a deterministic text.
        return sorted(result, key=lambda g: (level[g[1][0]], g[1][0]))

    def expression(self, op, rows: list, shared) -> tuple:
        """(source text, static, comment) of one group's values."""
        payloads = self.payloads
        parents = [payloads[r][1] for r in rows]
        m, arity = len(rows), len(parents[0])
        if op.name in self.torch_ops:
            identifier = self.user_ops.setdefault(op.name, _identifier(op.name))
            operands = [self.gather([ps[k] for ps in parents], literal=False) for k in range(arity)]
            return (f"{identifier}({', '.join(t for t, _ in operands)})", all(s for _, s in operands),
                    f"{op.name} (torch_ops)")
        if op.name == "dot":
            k = arity // 2
            if shared is not None:
                weights = [p for ps in parents for p in (ps[:k] if tuple(ps[k:]) == shared else ps[k:])]
                w, _ = self.gather(weights, literal=False)
                x, x_static = self.gather(list(shared), literal=False)
                return f"{x} @ {w}.view({m}, {k}).T", x_static, "dot: a matrix product"
            w, w_static = self.gather([p for ps in parents for p in ps[:k]], literal=False)
            x, x_static = self.gather([p for ps in parents for p in ps[k:]], literal=False)
            return self._sum_over(f"({w} * {x})", m, k), w_static and x_static, "dot"
        if op.name == "sum":
            flat, static = self.gather([p for ps in parents for p in ps], literal=False)
            if arity <= 4 and flat.startswith("torch.cat("):  # scattered terms: a + b reads better
                operands = [self.gather([ps[k] for ps in parents], literal=False) for k in range(arity)]
                return " + ".join(t for t, _ in operands), all(s for _, s in operands), "sum"
            return self._sum_over(flat, m, arity), static, "sum"
        if op.name == "logsumexp" and op.builtin:  # n-ary: log sum_i e^(x_i), over each node's inputs
            flat, static = self.gather([p for ps in parents for p in ps], literal=False)
            if m == 1:
                return f"torch.logsumexp({flat}, -1, keepdim=True)", static, "logsumexp"
            return f"torch.logsumexp({flat}.unflatten(-1, ({m}, {arity})), -1)", static, "logsumexp"
        template = TORCH_EXPRESSIONS.get(op.name) if op.builtin else None
        if template is None:
            raise NotImplementedError(
                f"Tape.to_torch: op {op.name!r} has no PyTorch counterpart "
                f"({'a built-in op the exporter does not know' if op.builtin else 'it was added with define_op'}); "
                f"pass torch_ops={{{op.name!r}: fn}}, where fn takes {arity} tensor(s) and returns a tensor "
                "(elementwise), e.g. for x ** 3: lambda x: x ** 3"
            )
        operands = [self.gather([ps[k] for ps in parents]) for k in range(arity)]
        if all(_is_number(t) for t, _ in operands):  # a node made from constants only
            operands[0] = self.gather([ps[0] for ps in parents], literal=False)
        texts = []
        for text, _ in operands:
            if op.name in _REPEATS_OPERAND and not _is_number(text) and not text.isidentifier():
                name = f"t{len(self.forward)}"  # the template repeats this operand: compute it once
                self.forward.append(f"{name} = {text}")
                text = name
            texts.append(text)
        return template(*texts), all(s for _, s in operands), op.name

    @staticmethod
    def _sum_over(text: str, m: int, k: int) -> str:
        if k == 1:
            return text
        if m == 1:
            return f"{text}.sum(-1, keepdim=True)"
        return f"{text}.unflatten(-1, ({m}, {k})).sum(-1)"

    def write(self) -> str:
        tape = self.tape
        for number, (op, rows, needed, shared) in enumerate(self.groups(), 1):
            text, static, what = self.expression(op, rows, shared)
            name = f"h{number}"
            if not needed:
                text = f"({text}).detach()"
            self.forward.append(f"{name} = {text}  # {what}, {len(rows)} node{'s' if len(rows) > 1 else ''}")
            self.width[name] = len(rows)
            for col, row in enumerate(rows):
                self.where[row] = (name, col, static)
        guards = [self._guard(*guard) for guard in tape._guards]
        out, static = self.gather(list(tape._outputs), literal=False)
        if static:
            out += ".expand(n, -1)"
        result = f"{out}[:, 0]" if len(tape._outputs) == 1 else out
        return self._assemble(guards, result)

    def _guard(self, row, kind, other, expected) -> str:
        x, _ = self.gather([row], literal=False)
        what = self.tape._labels[row]
        if kind in _COMPARISONS:
            y = self.gather([other[1]], literal=False)[0] if other[0] == "slot" else _literal(other[1])
            shown = self.tape._labels[other[1]] if other[0] == "slot" else repr(other[1])
            condition, message = f"{x} {kind} {y}", f"{what} {kind} {shown} was {expected} when traced"
        elif kind == "bool":
            condition, message = f"{x} != 0", f"bool({what}) was {expected} when traced"
        else:  # float() or detach(): the number left the graph, so it must not change
            condition, message = f"{x} == {_literal(expected)}", f"{kind}({what}) was {expected!r} when traced"
            expected = True
        if not expected:
            condition = f"~({condition})"
        return f"check_guard({condition}, {message!r})"

    def _assemble(self, guards: list, result: str) -> str:
        tape = self.tape
        n_ops = sum(kind == _OP for kind in self.kinds)
        lines = [
            f'"""PyTorch code generated by dagrad from a traced program ({_count(n_ops, "op")}, {_count(tape.n_inputs, "input")},',
            f"{_count(len(tape.params), 'parameter')}, {_count(len(tape._outputs), 'output')}).",
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
        if guards:
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
        lines += [
            "",
            f"class {self.class_name}(torch.nn.Module):",
            f"    def __init__(self, dtype=torch.float64):",
            "        super().__init__()",
            "        # params[i] is the traced program's parameter i (labels: PARAM_LABELS)",
            "        self.params = torch.nn.Parameter(torch.tensor(PARAMS, dtype=dtype))",
        ]
        if self.constants:
            lines.append('        self.register_buffer("constants", torch.tensor(CONSTANTS, dtype=dtype))')
        for i in range(len(self.indices)):
            lines.append(f'        self.register_buffer("index{i}", torch.tensor(INDEX{i}))')
        lines += [
            "",
            "    def forward(self, x):",
            f'        """x: (batch, {tape.n_inputs}); returns ' + (
                '(batch,)."""' if len(tape._outputs) == 1 else f'(batch, {len(tape._outputs)}): one column per output."""'),
            "        x = torch.as_tensor(x, dtype=self.params.dtype, device=self.params.device)",
            f"        if x.ndim != 2 or x.shape[1] != {tape.n_inputs}:",
            f'            raise ValueError(f"{self.class_name}: expected x of shape (batch, {tape.n_inputs}), got {{tuple(x.shape)}}")',
            "        n = x.shape[0]",
        ]
        lines += ["        " + line for line in self.forward]
        lines += ["        " + line for line in guards]
        lines += [f"        return {result}", "", ""]
        labels = [p.label or f"params[{i}]" for i, p in enumerate(tape.params)]
        lines.append(f"PARAMS = {_numbers([p.data for p in tape.params])}")
        lines.append(f"PARAM_LABELS = {_numbers(labels)}")
        if self.constants:
            lines.append(f"CONSTANTS = {_numbers([float(c) for c in self.constants])}")
        for i, cols in enumerate(self.indices):
            lines.append(f"INDEX{i} = {_numbers(cols)}")
        return "\n".join(lines) + "\n"


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
    if not str(class_name).isidentifier():
        raise ValueError(f"to_torch_source: class_name must be a Python identifier, got {class_name!r}")
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
        raise ImportError("Tape.to_torch needs PyTorch, which is not installed: pip install torch "
                          "(`pip install -e '.[torch]'` installs the tested version)") from None
    source = to_torch_source(tape, torch_ops=torch_ops, class_name=class_name)
    filename = f"<dagrad traced program {next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # tracebacks show the lines
    namespace = {"__name__": "dagrad_traced_program", "TORCH_OPS": dict(torch_ops or {})}
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
