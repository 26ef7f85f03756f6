"""A traced program exported to PyTorch: one schedule read by replay and export, every op of the
table exported, and names that cannot change the generated code.

Oracles: the tape's numpy replay, and the scalar engine run sample by sample (outputs, and
parameter gradients summed over the batch), in float64 to 1e-12.
"""

import ast
import io
import os
import tokenize

import numpy as np
import pytest

import autograd
from autograd import Value, define_op
from autograd.ops import INTERNAL_OPS, OPS
from autograd.tape.schedule import INPUT, OP, PARAM


@pytest.fixture(scope="module")
def torch():
    try:
        import torch
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("CI is set but PyTorch is not installed: the export tests must run in CI")
        pytest.skip("PyTorch is not installed (make test WITH_TORCH=1 installs it); CI runs these tests")
    return torch


def scale(numbers) -> float:
    return max(1.0, float(np.max(np.abs(numbers)))) if np.size(numbers) else 1.0


def assert_close(actual, expected, tol=1e-12):
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    error = np.max(np.abs(actual - expected)) if actual.size else 0.0
    assert error <= tol * scale(expected), f"max |difference| {error:.3g} > {tol:g} (scale {scale(expected):g})"


def scalar_path(fn, X, params):
    """Per-sample outputs (batch, outputs) and the parameters' gradients of their sum, by the engine."""
    for p in params:
        p.zero_grad()
    outs = []
    for row in X:
        result = fn(*(Value(float(x)) for x in row))
        outs.append(list(result) if isinstance(result, (list, tuple)) else [result])
    autograd.sum([v for out in outs for v in out]).backward()
    gradients = [p.grad for p in params]
    for p in params:
        p.zero_grad()
    return np.array([[v.data for v in out] for out in outs]), gradients


def exported(torch, tape, source: bool = False, **options):
    """The module of `tape.to_torch()`, or the class its `to_torch_source()` defines, run as a user would."""
    if not source:
        return tape.to_torch(**options)
    namespace = {"TORCH_OPS": options.get("torch_ops", {})}
    exec(compile(tape.to_torch_source(**options), "<generated>", "exec"), namespace)
    return namespace["TracedProgram"]()


def check_against_oracles(torch, fn, X, params, source=False, **options):
    """The export's outputs and summed parameter gradients equal the tape's and the scalar engine's."""
    tape = autograd.trace(fn, list(X[0]), params=params)
    expected, expected_gradients = scalar_path(fn, X, params)
    replayed = np.stack(tape.forward(np.array(X)), axis=1)
    assert_close(replayed, expected)
    assert_close(tape.backward(accumulate=False), expected_gradients)
    module = exported(torch, tape, source, **options)
    out = module(torch.tensor(np.array(X), dtype=torch.float64))
    got = out.detach().numpy().reshape(len(X), -1)
    assert_close(got, expected)
    if out.requires_grad:
        out.sum().backward()
    got_gradients = module.params.grad.numpy() if module.params.grad is not None else np.zeros(len(params))
    assert_close(got_gradients, expected_gradients)
    return tape


# -- 14: one schedule -------------------------------------------------------------------------------


def weights_beside_samples(variant: str):
    """A dot whose weights include a parameter-only node computed by the same op, at the same level,
    as a per-sample node (issue 21 item 14), in a few shapes."""
    p, q, r = Value(0.7, label="p"), Value(-0.3, label="q"), Value(1.1, label="r")

    def fn(x0, x1):
        if variant == "mul":  # p * 2 and x0 * 3: one mul step
            return autograd.dot([p * 2.0, q], [x0 * 3.0, x1])
        if variant == "tanh, x first":  # tanh(p) beside tanh(x0); the dot's weights second
            return autograd.dot([x0.tanh(), x1], [p.tanh(), q])
        if variant == "layer":  # two dots sharing x, weights from one mul step with per-sample nodes
            hidden = [x0 * 2.0, x1 * 2.0]
            w = [p * 2.0, q * 2.0, r * 2.0, p * 3.0]
            return [autograd.dot(w[:2], hidden).tanh(), autograd.dot(w[2:], hidden)]
        raise AssertionError(variant)

    return fn, [p, q, r]


@pytest.mark.parametrize("variant", ["mul", "tanh, x first", "layer"])
@pytest.mark.parametrize("batch", [1, 2, 17])
def test_static_weights_computed_beside_per_sample_nodes_export_at_any_batch(torch, variant, batch):
    fn, params = weights_beside_samples(variant)
    X = np.random.default_rng(batch).uniform(-2, 2, size=(batch, 2))
    tape = check_against_oracles(torch, fn, X, params)
    assert any(step.shared is not None for step in tape.schedule.steps)  # the matrix product is used
    check_against_oracles(torch, fn, X, params, source=True)


def test_the_export_writes_one_line_per_step_of_the_tapes_schedule(torch):
    fn, params = weights_beside_samples("layer")
    tape = autograd.trace(fn, [0.5, -1.0], params=params)
    lines = [line.strip() for line in tape.to_torch_source().splitlines() if line.strip().startswith("h")]
    steps = tape.schedule.steps
    assert len(lines) == len(steps)
    for number, (line, step) in enumerate(zip(lines, steps), 1):
        assert line.startswith(f"h{number} = ")
        assert line.endswith(f"  # {step.op.name}{': a matrix product' if step.shared else ''}, "
                             f"{len(step.rows)} node{'s' if len(step.rows) > 1 else ''}")


def test_the_schedule_is_public_and_describes_every_row():
    w = Value(0.5, label="w")
    tape = autograd.trace(lambda x: (w * x).tanh() if x > 0 else w, [1.0], params=[w])
    schedule = tape.schedule
    kinds = [slot.kind for slot in schedule.slots]
    assert kinds.count(INPUT) == 1 and kinds.count(PARAM) == 1 and kinds.count(OP) == len(tape) == 2
    for step in schedule.steps:  # parents first: a step reads rows written before it
        for position in step.inputs:
            for row in position:
                assert schedule.slots[row].kind != OP or any(row in s.rows for s in schedule.steps[: schedule.steps.index(step)])
    [guard] = schedule.guards
    assert (schedule.slots[guard.row].label, guard.kind, guard.other_value, guard.expected) == ("input 0", ">", 0.0, True)
    assert [schedule.slots[r].static for r in schedule.outputs] == [False]


# -- 15: every op of the table ------------------------------------------------------------------------

BUILTINS = sorted(op.name for op in {**OPS, **INTERNAL_OPS}.values() if op.builtin)
NARY_ARITY = {"logsumexp": 3, "log_softmax": 3}  # n-ary ops without test arities


def point(op, rng) -> list:
    """Inputs inside the op's test domain, 0.05 from its kinks."""
    arities = op.test_domain.arities if op.test_domain is not None else ()
    arity = op.arity or (max(arities) if arities else NARY_ARITY.get(op.name, 3))
    for _ in range(1000):
        xs = [float(x) for x in rng.uniform(-2.0, 2.0, size=arity)]
        if op.name == "leaky_relu":
            xs[1] = abs(xs[1]) / 4  # a slope
        if op.test_domain is None or op.test_domain.admits(xs, kink_margin=0.05):
            if op.name != "step" or abs(xs[0]) > 0.05:
                return xs
    raise AssertionError(f"no point found for {op.name}")


def op_program(op, base: list, variant: str):
    """`op` applied to parameters and per-sample inputs: "both" (each argument p_i + x_i), or
    parameters first then inputs ("params first"), or the other way round."""
    params = [Value(b, label=f"p{i}") for i, b in enumerate(base)]
    half = (len(base) + 1) // 2

    def fn(*xs):
        if variant == "both":
            args = [p + x for p, x in zip(params, xs)]
        else:
            args = params[:half] + list(xs[half:]) if variant == "params first" else list(xs[:half]) + params[half:]
        return op(*args)

    return fn, params


@pytest.mark.parametrize("variant", ["both", "params first", "inputs first"])
@pytest.mark.parametrize("name", BUILTINS)
def test_every_builtin_op_exports_with_dagrads_values_and_gradients(torch, name, variant):
    op = OPS.get(name) or INTERNAL_OPS[name]
    rng = np.random.default_rng(len(name))
    base = point(op, rng)
    fn, params = op_program(op, base, variant)
    if variant == "both":  # small per-sample offsets around the point
        X = rng.uniform(-1e-3, 1e-3, size=(5, len(base)))
    else:
        X = np.array(base) + rng.uniform(-1e-3, 1e-3, size=(5, len(base)))
    check_against_oracles(torch, fn, X, params)
    check_against_oracles(torch, fn, X, params, source=True)


def test_a_program_using_softmax_exports(torch):
    w = Value(0.4, label="w")

    def fn(x, y):
        probabilities = autograd.softmax([w * x, y, x * y, w])
        return probabilities[1] * w + probabilities[0]

    X = np.random.default_rng(0).uniform(-3, 3, size=(6, 2))
    check_against_oracles(torch, fn, X, [w])
    check_against_oracles(torch, fn, X, [w], source=True)
    big = np.array([[400.0, 300.0], [-250.0, 1.0]])  # large logits: shifted by the max, as dagrad does
    check_against_oracles(torch, fn, big, [w])


# -- 16: names in generated code ----------------------------------------------------------------------

HOSTILE = [
    "evil\nimport os; os.system('PWNED')  #",
    'quote"PWNED"',
    "single'PWNED'",
    'triple"""PWNED"""',
    "back\\PWNED\\",
    "line\u2028PWNED",
    "para\u2029PWNED",
    "nul\x00PWNED",
    "cr\rPWNED",
    "ff\x0cPWNED",
    "tab\tPWNED " * 20,  # long, with spaces: a list literal must wrap between items only
]


def names_outside_literals(source: str) -> list:
    """Tokens other than comments and string literals that contain the marker."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [t.string for t in tokens if "PWNED" in t.string and t.type not in (tokenize.COMMENT, tokenize.STRING)]


@pytest.mark.parametrize("name", HOSTILE, ids=[f"name{i}" for i in range(len(HOSTILE))])
def test_a_hostile_name_stays_inside_comments_and_string_literals(torch, name):
    op = define_op(name, lambda x: 2.0 * x, [lambda g, out, x: 2.0 * g])
    w = Value(0.5, label=name)

    def fn(x):
        h = op(w * x)
        h.label = name
        if h > -100.0:  # a guard: its message quotes the label
            return h + w
        return h

    tape = autograd.trace(fn, [1.0], params=[w])
    torch_ops = {name: lambda t: 2.0 * t}
    source = tape.to_torch_source(torch_ops=torch_ops)
    ast.parse(source)
    assert names_outside_literals(source) == []
    assert not any(c in source for c in "\x00\u2028\u2029\r\x0c")  # escaped wherever they appear
    namespace = {"TORCH_OPS": torch_ops}
    exec(compile(source, "<generated>", "exec"), namespace)
    assert namespace["PARAM_LABELS"] == [name]  # the label survives exactly
    X = np.array([[1.0], [-2.0], [3.0]])
    out = tape.to_torch(torch_ops=torch_ops)(torch.tensor(X))
    assert_close(out.detach().numpy(), tape.forward(X)[0])
    with pytest.raises(RuntimeError, match="branches on data"):
        tape.to_torch(torch_ops=torch_ops)(torch.tensor([[-1000.0]]))


def test_op_names_that_are_not_python_names_get_distinct_functions(torch):
    minus = define_op("a-b", lambda x: x - 1.0, [lambda g, out, x: g])
    plus = define_op("a+b", lambda x: x + 1.0, [lambda g, out, x: g])
    w = Value(2.0)
    tape = autograd.trace(lambda x: minus(w * x) * plus(x), [1.0], params=[w])
    torch_ops = {"a-b": lambda t: t - 1.0, "a+b": lambda t: t + 1.0}
    X = np.array([[1.0], [3.0]])
    out = tape.to_torch(torch_ops=torch_ops)(torch.tensor(X))
    assert_close(out.detach().numpy(), [(2 * 1 - 1) * (1 + 1), (2 * 3 - 1) * (3 + 1)])


@pytest.mark.parametrize("class_name", ["class", "torch", "PARAMS", "TraceError", "INDEX0", "torch_op1", "ﬁ", "a b", "", 3])
def test_a_class_name_the_module_cannot_use_is_refused(class_name):
    tape = autograd.trace(lambda x: x * 2.0, [1.0])
    with pytest.raises(ValueError, match="class_name must be a Python identifier"):
        tape.to_torch_source(class_name=class_name)


def test_the_export_wants_a_tape():
    from autograd.tape.torch import to_torch_source

    with pytest.raises(TypeError, match="expected an autograd Tape"):
        to_torch_source(object())


# -- seams: the exports read public names only, and import no module that imports them -------------

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPORTS = {  # module -> modules it must not import (they import it: the circles issue 23 removed)
    "autograd/tape/torch.py": {"autograd.tape.replay", "autograd.tape.record"},
    "nn/torch_export.py": {"nn.layers", "nn.optim"},
    "nn/compiled.py": set(),
}


def imports_and_private_reads(path: str) -> tuple:
    tree = ast.parse(open(os.path.join(ROOT, path), encoding="utf-8").read())
    imported, private = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
            imported.update(f"{node.module}.{alias.name}" for alias in node.names)
            private += [alias.name for alias in node.names if alias.name.startswith("_")]
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                private.append(ast.unparse(node))
    return imported, private


@pytest.mark.parametrize("path", sorted(EXPORTS))
def test_the_exports_use_public_names_and_make_no_import_circle(path):
    imported, private = imports_and_private_reads(path)
    assert private == []
    assert imported & EXPORTS[path] == set()


@pytest.mark.parametrize("seed", range(30))
def test_random_programs_export_with_the_tapes_numbers_at_batch_17(torch, seed):
    from test_tape import random_program  # programs of 40 ops over 3 inputs and 4 parameters, with dots

    fn, params = random_program(seed)
    X = np.random.default_rng(seed).uniform(-2, 2, size=(17, 3))
    tape = autograd.trace(fn, list(X[0]), params=params)
    expected = np.stack(tape.forward(X), axis=1)
    gradient = tape.backward(accumulate=False)
    module = tape.to_torch()
    out = module(torch.tensor(X))
    assert_close(out.detach().numpy().reshape(expected.shape), expected)
    if out.requires_grad:
        out.sum().backward()
    assert_close(module.params.grad.numpy() if module.params.grad is not None else np.zeros(len(params)), gradient)
