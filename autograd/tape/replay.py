"""Replay a tape over a batch with numpy: forward, then backward to the parameters' gradients.

A tape (made by `autograd.tape.record.trace`) is a list of slots, parents first: each is an
input (varies per sample), a parameter (shared by all samples), a constant, or an op applied
to earlier slots. `Tape.forward` / `Tape.backward` replay it over a batch: parameters' gradients
are summed over the batch. The tape runs its public `Schedule` (`autograd.tape.schedule`, the one
the PyTorch export reads too) step by step: all nodes of one level with the same op are one
numpy call on an array (nodes, batch), and a layer of dot nodes sharing their inputs is one
matrix product. Forwards, derivative rules and matrix forms are the op
table's own (its rules are ordinary arithmetic, which runs on arrays as it runs on floats).

Guards recorded while tracing are checked for every sample; a sample that would have taken
another branch raises `TraceError`.
"""

from __future__ import annotations

import operator

import numpy as np

from autograd import apply
from autograd.engine import checked_rule
from autograd.tape.arrays import array_forward as _array_forward
from autograd.tape.schedule import COMPARISONS, CONST, INPUT, OP, PARAM, Schedule
from autograd.value import accumulate_grads

__all__ = ["Tape", "TraceError"]


class TraceError(RuntimeError):
    """A traced program cannot be replayed for some sample (data-dependent control flow)."""


_COMPARE = dict(zip(COMPARISONS, (operator.lt, operator.le, operator.gt, operator.ge, operator.eq)))


class _Step:
    """One step of the schedule, compiled for numpy: its rows as indices of the value matrix (a
    slice when the rows are consecutive, as the layout makes most of them; numpy then gives
    views, not copies), and how to scatter gradients into rows that repeat."""

    __slots__ = (
        "op",
        "forward",
        "rows",
        "out",
        "needed",
        "ins",
        "skip",
        "plans",
        "w",
        "w_shape",
        "w_plan",
        "x",
        "x_plan",
    )

    def __init__(self, step, slots, wants):
        op = self.op = step.op
        self.forward = _array_forward(op) if step.shared is None else op.matrix_form[0]
        self.rows = list(step.rows)
        self.out = _index(self.rows)
        self.needed = step.needed  # False: the nodes feed guards only (or are frozen), so backward skips them
        if step.shared is None:  # elementwise: ins[k] holds the rows of every node's k-th input
            positions = [list(position) for position in step.inputs]
            self.ins = [_index(position) for position in positions]
            # A position whose rows need no gradient (inputs, constants, nodes computed without a
            # parameter, frozen nodes) runs no rule: its rule may be undefined there (d/dy x**y at x < 0).
            self.skip = [not any(wants[p] for p in position) for position in positions]
            self.plans = [_scatter_plan(position) for position in positions]
            self.w = self.w_shape = self.w_plan = self.x = self.x_plan = None
        else:  # op.matrix_form: w (nodes, n) rows that do not vary with the sample, x the shared rows
            weights, shared = list(step.weights), list(step.shared)
            self.w, self.w_shape, self.w_plan = _index(weights), (len(self.rows), len(shared)), _scatter_plan(weights)
            self.x, self.x_plan = _index(shared), _scatter_plan(shared)
            self.ins = self.skip = self.plans = None


def _wants_gradient(slots) -> list:
    """Per row: does backward need its gradient? Only the parameters' gradients are read, so a
    row needs one when a parameter is among it and its ancestors, through nodes that pass
    gradients on (`needed`: not frozen, leading to an output)."""
    wants = []
    for slot in slots:
        if slot.kind == PARAM:
            wants.append(slot.needed)
        else:
            wants.append(slot.kind == OP and slot.needed and any(wants[p] for p in slot.parents))
    return wants


def _index(rows: list):
    """`rows` as a slice when they are consecutive, else as an index array."""
    if rows and rows == list(range(rows[0], rows[0] + len(rows))):
        return slice(rows[0], rows[0] + len(rows))
    return np.array(rows, dtype=np.intp)


def _scatter_plan(rows: list):
    """How to add per-node gradients into `rows` of the gradient matrix: None when the rows are
    distinct (one indexed +=); else rounds of distinct rows, or "at" for many repeats."""
    seen: dict = {}
    rounds: list = []
    for i, row in enumerate(rows):
        r = seen.get(row, 0)
        seen[row] = r + 1
        if r == len(rounds):
            rounds.append([])
        rounds[r].append(i)
    if len(rounds) == 1:
        return None
    if len(rounds) > 8:
        return "at"
    return [(np.array(idx), np.array([rows[i] for i in idx])) for idx in rounds]


def _scatter_add(G, rows, plan, contribution):
    if plan is None:
        G[rows] += contribution
    elif plan == "at":
        np.add.at(G, rows, np.broadcast_to(contribution, (len(rows),) + G.shape[1:]))
    else:
        contribution = np.broadcast_to(contribution, (len(rows),) + G.shape[1:])
        for idx, targets in plan:
            G[targets] += contribution[idx]


class Tape:
    """A traced scalar program, replayable over batches. Make one with `trace`.

    `forward(X)` takes rows of samples, shape (batch, n_inputs) (an array or a list of lists),
    and returns one array of shape (batch,) per output; `backward()` then returns the gradient
    of the summed (or `seed`-weighted) outputs with respect to each parameter, summed over the
    batch, and adds it to the parameters' `.grad` (as `Value.backward` does for leaves).

    Replay runs level by level: every node of one level with the same op is one numpy call over
    an array (nodes, batch), and a layer of dot nodes with shared inputs is one matrix product.
    That plan is public, `tape.schedule` (an `autograd.tape.schedule.Schedule`), and the PyTorch
    export writes the same one.
    """

    def __init__(self, n_inputs: int, params: list, schedule: Schedule):
        if not isinstance(schedule, Schedule):
            raise TypeError(f"Tape: schedule must be an autograd.tape.schedule.Schedule, got {type(schedule).__name__}")
        self.n_inputs = n_inputs
        self.params = params
        self.schedule = schedule  # public: what replay runs and the PyTorch export writes
        slots = schedule.slots
        wants = _wants_gradient(slots)
        self._steps = [_Step(step, slots, wants) for step in schedule.steps]  # the schedule, compiled for numpy
        self._input_rows = [(r, slots[r].index) for r in schedule.rows(INPUT)]
        param_rows = schedule.rows(PARAM)
        self._param_rows = _index(param_rows)
        self._param_index = [slots[r].index for r in param_rows]
        const_rows = schedule.rows(CONST)
        self._const_rows = _index(const_rows)
        self._const_values = np.array([slots[r].value for r in const_rows], dtype=float)
        self._values: np.ndarray | None = None  # the value matrix (rows, batch) of the latest forward
        self._gradients: np.ndarray | None = None  # the gradient matrix, reused between calls

    def __len__(self) -> int:
        """Number of recorded ops (instructions) on the tape."""
        return len(self.schedule.slots) - sum(len(self.schedule.rows(kind)) for kind in (INPUT, PARAM, CONST))

    def __repr__(self) -> str:
        schedule = self.schedule
        return (
            f"Tape({len(self)} ops in {len(schedule.steps)} steps, {self.n_inputs} inputs, {len(self.params)} params, "
            f"{len(schedule.outputs)} outputs, {len(schedule.guards)} guards)"
        )

    # -- export to PyTorch (autograd/tape/torch.py) -------------------------------------------
    def to_torch(self, dtype=None, device=None, *, torch_ops=None):
        """This program as a `torch.nn.Module` whose parameter `params` holds the tape's
        parameters; see `autograd.tape.torch.to_torch`. Needs PyTorch."""
        from autograd.tape.torch import to_torch

        return to_torch(self, dtype, device, torch_ops=torch_ops)

    def to_torch_source(self, *, torch_ops=None, class_name: str = "TracedProgram") -> str:
        """This program as readable PyTorch source (a module class); see
        `autograd.tape.torch.to_torch_source`. Needs no PyTorch."""
        from autograd.tape.torch import to_torch_source

        return to_torch_source(self, torch_ops=torch_ops, class_name=class_name)

    # -- forward -----------------------------------------------------------------------------
    def _columns(self, X) -> list:
        """The input columns of a batch given as rows of samples, whatever its type: a 2-D array
        or a list of lists (batch, n_inputs), as numpy, PyTorch and scikit-learn read them. A
        flat sequence is one sample, except for a one-input tape, where it is a batch."""
        n = self.n_inputs
        if isinstance(X, np.ndarray):
            A = X
        else:
            try:
                A = np.asarray(X, dtype=float)
            except (TypeError, ValueError) as error:
                raise type(error)(f"Tape.forward: X must be numbers of shape (batch, {n}): {error}") from None
        if A.ndim == 0 and n == 1:
            A = A.reshape(1, 1)
        elif A.ndim == 1:
            A = A.reshape(-1, 1) if n == 1 else A.reshape(1, -1)
        if A.ndim != 2 or A.shape[1] != n:
            hint = ""
            if A.ndim == 2 and A.shape[0] == n:
                hint = "; rows are samples: for columns of inputs pass the transpose (X.T)"
            raise ValueError(
                f"Tape.forward: X must have shape (batch, {n}) (one row per sample), got shape {A.shape}{hint}"
            )
        if A.dtype != float:
            try:
                A = A.astype(float)
            except (TypeError, ValueError) as error:
                raise TypeError(f"Tape.forward: X must hold real numbers: {error}") from None
        return [A[:, i] for i in range(n)]

    def forward(self, X) -> list:
        """Replay the program for every sample; one array of shape (batch,) per output.

        >>> import numpy as np
        >>> from autograd import Value, trace
        >>> w = Value(2.0)
        >>> tape = trace(lambda x: (w * x).relu(), [1.0], params=[w])
        >>> tape.forward(np.array([[1.0], [-1.0], [3.0]]))
        [array([2., 0., 6.])]
        """
        columns = self._columns(X)
        batch = columns[0].shape[0] if columns else 1
        if batch == 0:
            raise ValueError("Tape.forward: the batch is empty (0 samples)")
        V = self._values
        if V is None or V.shape[1] != batch:
            V = np.empty((len(self.schedule.slots), batch))
        self._values = None  # not valid for backward until this forward succeeds
        for r, i in self._input_rows:
            V[r] = columns[i]
        if self._param_index:
            V[self._param_rows] = np.array([self.params[i].data for i in self._param_index])[:, None]
        if len(self._const_values):
            V[self._const_rows] = self._const_values[:, None]
        with np.errstate(all="ignore"):  # non-finite results are explained below (rare path)
            self._run_forward(V, careful=False)
            if not np.isfinite(V).all():
                # A sample that takes another branch would not run these ops in the scalar
                # program: its TraceError comes before any error of theirs.
                self._check_guards(V, batch, finite_only=True)
                self._run_forward(V, careful=True)
        self._check_guards(V, batch)
        self._values = V
        return [V[s].copy() for s in self.schedule.outputs]

    __call__ = forward

    def _run_forward(self, V, careful: bool) -> None:
        """Every step in order. `careful`: check each step's results against the scalar path
        where they are not finite, so an error names the op, the values and the sample."""
        for step in self._steps:
            if step.w is not None:
                out = step.forward(V[step.w, 0].reshape(step.w_shape), V[step.x])
            else:
                try:
                    out = step.forward(*[V[rows] for rows in step.ins])
                except (ArithmeticError, ValueError, TypeError):
                    out = np.full((len(step.rows), V.shape[1]), np.nan)  # explained element by element
                    careful = True
            if careful:
                out = self._explain_nonfinite(step, V, np.array(np.broadcast_to(out, (len(step.rows), V.shape[1]))))
            V[step.out] = out

    def _explain_nonfinite(self, step, V, out):
        """Where finite inputs gave inf/nan (or the array forward failed), run the scalar forward:
        it raises the scalar path's error (naming the op and values) or gives the number."""
        for j, i in zip(*np.nonzero(~np.isfinite(out))):
            parents = self.schedule.slots[step.rows[j]].parents
            at = tuple(float(V[p, i]) for p in parents)
            # Non-finite inputs too: the scalar forward says whether they propagate (NaN does) or
            # are outside the op's domain (sin(inf) raises, where numpy gives NaN).
            try:
                out[j, i] = apply(step.op, *at)  # floats in: the scalar forward, errors named
            except Exception as error:
                raise type(error)(f"{error} (sample {int(i)} of the batch)") from None
        return out

    def _check_guards(self, V, batch, finite_only: bool = False):
        for guard in self.schedule.guards:
            x, kind, expected = V[guard.row], guard.kind, guard.expected
            y = None
            if kind in _COMPARE:
                y = V[guard.other_row] if guard.other_row is not None else guard.other_value
                got = _COMPARE[kind](x, y)
            elif kind == "bool":
                got = x != 0.0
            else:  # float() or detach(): the number left the graph, so it must not change
                got = x
            mismatch = got != expected
            if finite_only:  # only where the operands are finite (the rest is explained later)
                mismatch = mismatch & np.isfinite(x) & np.isfinite(0.0 if y is None else y)
            wrong = np.flatnonzero(np.broadcast_to(mismatch, (batch,)))
            if wrong.size:
                raise TraceError(self._guard_failure(guard, int(wrong[0]), x, y, batch))

    def _guard_failure(self, guard, i, x, y, batch) -> str:
        """The message for sample i, which the traced path does not apply to."""
        kind, expected, xi = guard.kind, guard.expected, float(x[i])
        what = self.schedule.slots[guard.row].label
        if kind in _COMPARE:
            yi = float(np.broadcast_to(y, (batch,))[i])
            detail = f"{what} {kind} {yi!r} was {expected} when traced but is {not expected} for sample {i} ({xi!r} {kind} {yi!r})"
        elif kind == "bool":
            detail = f"bool({what}) was {expected} when traced but is {not expected} for sample {i} (value {xi!r})"
        else:
            detail = f"{kind}({what}) was {expected!r} when traced but is {xi!r} for sample {i}"
        return (
            f"the traced program branches on data: {detail}. The tape cannot replay this sample; "
            "use the scalar path (or trace without branching on Values)"
        )

    # -- backward ----------------------------------------------------------------------------
    def backward(self, seed=None, *, accumulate: bool = True) -> list:
        """Gradients of sum over samples and outputs of `seed * output` w.r.t. each parameter.

        `seed`: None (1 for every sample and output), a number, an array of shape (batch,), or
        one of those per output. With `accumulate` the gradients are added to `param.grad`.

        >>> import numpy as np
        >>> from autograd import Value, trace
        >>> w = Value(2.0)
        >>> tape = trace(lambda x: w * x * x, [1.0], params=[w])
        >>> _ = tape.forward(np.array([[1.0], [2.0]]))
        >>> tape.backward(), w.grad            # d/dw (w 1 + w 4) = 5
        ([5.0], 5.0)
        """
        V = self._values
        if V is None:
            raise RuntimeError("Tape.backward: call forward first")
        if seed is None or not isinstance(seed, (list, tuple)):
            seeds = [1.0 if seed is None else seed] * len(self.schedule.outputs)
        else:
            seeds = list(seed)
            if len(seeds) != len(self.schedule.outputs):
                raise ValueError(f"Tape.backward: {len(self.schedule.outputs)} outputs, got {len(seeds)} seeds")
        G = self._gradients
        if G is None or G.shape != V.shape:
            G = self._gradients = np.zeros_like(V)
        else:
            G.fill(0.0)
        for slot, s in zip(self.schedule.outputs, seeds):
            G[slot] += s
        self._run_backward(G, V, careful=False)
        with np.errstate(over="ignore", invalid="ignore"):
            totals = G[self._param_rows].sum(axis=1) if self._param_index else np.zeros(0)
        # Non-finite gradients reach the parameters' totals (inf * 0 is NaN), so these few numbers
        # are all the fast path checks; the rare rest is explained as the scalar engine would.
        if not np.isfinite(totals).all():
            G.fill(0.0)
            for slot, s in zip(self.schedule.outputs, seeds):
                G[slot] += s
            self._run_backward(G, V, careful=True)
            with np.errstate(over="ignore", invalid="ignore"):
                totals = G[self._param_rows].sum(axis=1)
            if np.isfinite(V).all() and all(np.isfinite(s).all() for s in seeds):
                bad = int(np.flatnonzero(~np.isfinite(totals))[0])
                name = self.params[self._param_index[bad]].label or f"params[{self._param_index[bad]}]"
                raise OverflowError(f"Tape.backward: the gradient of {name} summed over the batch overflows a float")
        result = [0.0] * len(self.params)
        if self._param_index:
            for i, total in zip(self._param_index, totals.tolist()):
                result[i] = total
        if accumulate:
            accumulate_grads(self.params, result)
        return result

    def _run_backward(self, G, V, careful: bool) -> None:
        """Every needed step in reverse. `careful`: where a rule gives a non-finite gradient from
        finite numbers, run the scalar engine's rule on that sample, which raises its error."""
        with np.errstate(all="ignore"):
            for step in reversed(self._steps):
                if not step.needed:
                    continue
                op, g = step.op, G[step.out]
                if step.w is not None:
                    # W does not vary with the sample: its gradient is summed over the batch already,
                    # so it goes to column 0 (a row's total is the sum of its columns, read below).
                    W, X = V[step.w, 0].reshape(step.w_shape), V[step.x]
                    dW, dX = op.matrix_form[1](g, W, X)
                    if careful:
                        _check_matrix_step(op, g, W, X, dW, dX)
                    _scatter_add(G[:, 0], step.w, step.w_plan, dW.ravel())
                    _scatter_add(G, step.x, step.x_plan, dX)
                    continue
                out, inputs = V[step.out], [V[rows] for rows in step.ins]
                if op.rules is not None:
                    contributions = [
                        None if skip else _run_rule(op, rule, g, out, inputs) for rule, skip in zip(op.rules, step.skip)
                    ]
                else:
                    contributions = _run_rule(op, op.nary_rule, g, out, inputs, nary=True)
                if careful:
                    _check_step(op, g, out, inputs, contributions)
                for rows, plan, skip, c in zip(step.ins, step.plans, step.skip, contributions):
                    if not skip:
                        _scatter_add(G, rows, plan, c)

    def loss_and_grad(self, X, *, reduction: str = "mean", accumulate: bool = True) -> float:
        """Forward over the batch, then backward of the batch loss: the mean (or "sum") of the
        single output over the samples. Returns the loss; gradients go to `param.grad`.

        >>> import numpy as np
        >>> from autograd import Value, trace
        >>> w = Value(3.0)
        >>> tape = trace(lambda x, t: (w * x - t) ** 2, [1.0, 0.0], params=[w])
        >>> tape.loss_and_grad(np.array([[1.0, 1.0], [2.0, 0.0]])), w.grad   # mean(4, 36); mean(2*2*1, 2*6*2)
        (20.0, 14.0)
        """
        if reduction not in ("mean", "sum"):
            raise ValueError(f"Tape.loss_and_grad: reduction must be 'mean' or 'sum', got {reduction!r}")
        if len(self.schedule.outputs) != 1:
            raise ValueError(
                f"Tape.loss_and_grad: needs one output, the traced function has {len(self.schedule.outputs)}"
            )
        [out] = self.forward(X)
        weight = 1.0 / len(out) if reduction == "mean" else 1.0
        self.backward(weight, accumulate=accumulate)
        return float(np.sum(out) * weight)


def _check_step(op, g, out, inputs, contributions) -> None:
    """A step's contributions that are not finite where every number they came from is: the
    scalar engine's rule on that sample raises its error (`checked_rule`), naming the sample."""
    shape = np.broadcast(g, out, *inputs).shape
    g, out, *inputs = (np.broadcast_to(a, shape) for a in (g, out, *inputs))
    finite = np.isfinite(g) & np.isfinite(out)
    for a in inputs:
        finite &= np.isfinite(a)
    for k, c in enumerate(contributions):
        if c is None:
            continue
        bad = np.argwhere(finite & ~np.isfinite(np.broadcast_to(c, shape)))
        for j, i in bad:
            at = [float(a[j, i]) for a in inputs]
            try:
                if op.rules is not None:
                    checked_rule(op, k, op.rules[k], float(g[j, i]), float(out[j, i]), at)
                else:
                    checked_rule(op, None, op.nary_rule, float(g[j, i]), float(out[j, i]), at)
            except (ArithmeticError, ValueError) as error:
                raise type(error)(f"{error} (sample {int(i)} of the batch)") from None


def _check_matrix_step(op, g, W, X, dW, dX) -> None:
    """A matrix step (a layer of dots) whose gradient overflowed from finite numbers."""
    if not (np.isfinite(g).all() and np.isfinite(W).all() and np.isfinite(X).all()):
        return
    bad = np.argwhere(~np.isfinite(dX))
    if bad.size:
        i = int(bad[0][1])
        raise OverflowError(f"backward of {op.name}: a gradient overflows a float (sample {i} of the batch)")
    if not np.isfinite(dW).all():
        raise OverflowError(f"backward of {op.name}: a weight's gradient summed over the batch overflows a float")


def _run_rule(op, rule, g, out, inputs, nary=False):
    """A table rule on arrays; a rule that only works on numbers runs elementwise."""
    try:
        return rule(g, out, inputs) if nary else rule(g, out, *inputs)
    except (TypeError, ValueError):  # e.g. `if x == 0` on an array, or math.* on an array
        if nary:
            raise TraceError(f"backward of {op.name}: its nary_rule does not run on arrays") from None
        return np.vectorize(lambda *a: _scalar_rule(op, rule, *a), otypes=[float])(g, out, *inputs)


def _scalar_rule(op, rule, g, out, *inputs) -> float:
    """One element of a rule run elementwise; its error names the op and the inputs, as the
    scalar engine's does."""
    try:
        return float(rule(g, out, *inputs))
    except (ArithmeticError, ValueError) as error:
        at = ", ".join(repr(float(x)) for x in inputs)
        raise type(error)(f"backward of {op.name}({at}): {error}") from None
