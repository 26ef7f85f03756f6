"""Adding an op is one table entry: its method, operator, source and test domain come with it."""

import inspect
import math

import pytest
from hypothesis import given, settings

from autograd import OPS, Value, define_op
from autograd.ops import EXP, MUL, TANH
from autograd.testing import OpDomain, Program, domain_of, gradcheck, programs_and_inputs, register_domain

# One entry each, as a built-in op is written in autograd/ops.py: forward, rule(grad, out, *inputs)
# per input, a method with its docstring, an operator, and where it may be tested.
COSH = define_op(
    "test_entry_cosh", math.cosh, [lambda grad, out, x: grad * (EXP(x) - EXP(-x)) / 2],
    method="test_cosh", doc="Hyperbolic cosine. `Value(0.0).test_cosh().data == 1.0`",
    test_domain=OpDomain(accepts=lambda x: abs(x) <= 5.0, description="|x| <= 5"),
)
# x @ y: a smooth two-input op on an operator Python has and Value does not use.
HYPOT = define_op(
    "test_entry_hypot", math.hypot, [lambda grad, out, x, y: grad * x / out, lambda grad, out, x, y: grad * y / out],
    operator="@", method="test_hypot",
    test_domain=OpDomain(accepts=lambda x, y: abs(x) + abs(y) >= 0.5, description="away from (0, 0)"),
)


def test_the_entry_gives_value_a_method_with_its_docstring():
    x = Value(0.5)
    y = x.test_cosh()
    y.backward()
    assert y.op_entry is COSH and y.data == math.cosh(0.5) and x.grad == pytest.approx(math.sinh(0.5))
    assert Value.test_cosh.__doc__ == COSH.doc and Value.test_cosh.__name__ == "test_cosh"


def test_the_entry_gives_value_its_operator_in_both_directions_with_numbers_costing_no_node():
    x, y = Value(3.0), Value(4.0)
    assert (x @ y).data == 5.0 and (x @ 4).data == 5.0 and (3 @ y).data == 5.0 and x.test_hypot(y).data == 5.0
    z = 3 @ y
    z.backward()
    assert y.grad == pytest.approx(0.8) and z.parents[0].requires_grad is False


def test_program_source_writes_the_op_as_its_entry_says():
    p = Program(2, [(COSH, 0), (HYPOT, 2, 1), ("neg", 3), ("abs", 4), ("leaky_relu", 5, 0)])
    assert p.source.splitlines()[1:-1] == [
        "    v2 = x0.test_cosh()",
        "    v3 = v2 @ x1",
        "    v4 = -v3",
        "    v5 = abs(v4)",
        "    v6 = v5.leaky_relu(x0)",
    ]
    namespace = {}
    exec(p.source, namespace)  # the source runs: it is how the ops are written on Values
    assert namespace["program"](Value(0.5), Value(2.0)).data == p(0.5, 2.0)


def test_the_test_domain_is_what_testing_uses_and_register_domain_still_overrides_it():
    assert domain_of(COSH) is COSH.test_domain and domain_of("test_entry_hypot").description == "away from (0, 0)"
    assert Program(1, [(COSH, 0)]).admits([1.0]) and not Program(1, [(COSH, 0)]).admits([6.0])
    register_domain(COSH, accepts=lambda x: x >= 1.0, description="x >= 1 (test)")
    try:
        assert domain_of(COSH).description == "x >= 1 (test)"
    finally:
        from autograd.testing import DOMAINS

        DOMAINS.pop(COSH.name)
    assert domain_of(COSH) is COSH.test_domain


@settings(max_examples=30, deadline=None)
@given(programs_and_inputs(ops=[COSH, HYPOT, "mul"], max_nodes=4))
def test_gradcheck_passes_over_the_entries_test_domains(case):
    program, inputs = case
    assert gradcheck(program, inputs)
    values = program.trace(inputs)
    for node in program.nodes:  # the strategy kept every node inside its op's test domain
        assert domain_of(node.op).admits([values[a] for a in node.args])


def test_built_in_ops_are_written_the_same_way():
    assert Value.tanh.__doc__ == TANH.doc and Value.__mul__.__qualname__ == "Value.__mul__"
    # help() shows the method as written: no hidden second input, leaky_relu's default slope
    assert str(inspect.signature(Value.tanh)) == "(self)" and str(inspect.signature(Value.leaky_relu)) == "(self, slope=0.01)"
    assert Value(-2.0).leaky_relu().data == -0.02
    assert domain_of("tanh") is TANH.test_domain and MUL.operator == "*"
    assert [name for name, op in OPS.items() if op.builtin and op.test_domain is None] == []


def test_a_method_or_operator_cannot_take_an_existing_name():
    with pytest.raises(ValueError, match="Value.backward is an attribute of Value"):
        define_op("test_entry_bad", math.exp, [lambda grad, out, x: grad * out], method="backward")
    with pytest.raises(ValueError, match="Value.__add__ is op 'add'"):
        define_op("test_entry_bad", lambda x, y: x + y, [lambda grad, out, x, y: grad] * 2, operator="+")
    with pytest.raises(ValueError, match="operator must be one of"):
        define_op("test_entry_bad", math.exp, [lambda grad, out, x: grad * out], operator="+")
    with pytest.raises(TypeError, match="one or two inputs"):
        define_op("test_entry_bad", lambda *xs: sum(xs), nary_rule=lambda grad, out, xs: [grad] * len(xs), method="s")
    assert "test_entry_bad" not in OPS and not hasattr(Value, "s")


def test_redefining_a_user_op_moves_its_method_to_the_new_entry():
    first = define_op("test_entry_twice", lambda x: 2 * x, [lambda grad, out, x: 2 * grad], method="test_twice")
    assert Value(1.0).test_twice().op_entry is first
    second = define_op("test_entry_twice", lambda x: 3 * x, [lambda grad, out, x: 3 * grad], method="test_twice")
    assert Value(1.0).test_twice().op_entry is second and Value(1.0).test_twice().data == 3.0
    define_op("test_entry_twice", lambda x: 3 * x, [lambda grad, out, x: 3 * grad])  # no method now
    assert not hasattr(Value, "test_twice")


# Value's methods inline `_compute` and `_node` (see `autograd.value._method`): the two paths
# must make the same node in every state a node can be made in.
def _slots(node):
    return node.data, node.op_entry, node._p0, node._p1, node.requires_grad, node.has_grad


@pytest.mark.parametrize("state", ["recording", "no_grad", "constant inputs", "tracing constants"])
def test_a_method_and_apply_make_the_same_node(state):
    import autograd.value

    constants = state in ("constant inputs", "tracing constants")
    x, y = Value(0.5, requires_grad=not constants), Value(-2.0, requires_grad=not constants)
    if state == "tracing constants":  # a tape being traced keeps op and parents on a constant node
        class NoGuards:
            def guard(self, node, kind, other, result):
                pass

        with autograd.value.tracing.recording(NoGuards()):
            _compare_methods_with_apply(state, x, y)
    else:
        _compare_methods_with_apply(state, x, y)


def _compare_methods_with_apply(state, x, y):
    from autograd import apply, no_grad
    from autograd.ops import LEAKY_RELU, NEG, SUB

    cases = [
        (lambda: x - y, (SUB, x, y)),
        (lambda: x - 3, (SUB, x, 3.0)),
        (lambda: 3 - x, (SUB, 3.0, x)),
        (lambda: x - True, (SUB, x, 1.0)),
        (lambda: -x, (NEG, x)),
        (lambda: x.tanh(), (TANH, x)),
        (lambda: y.leaky_relu(), (LEAKY_RELU, y, 0.01)),
    ]
    for by_method, (op, *args) in cases:
        if state == "no_grad":
            with no_grad():
                made, applied = by_method(), apply(op, *args)
        else:
            made, applied = by_method(), apply(op, *args)
        assert _slots(made) == _slots(applied), op.name
        assert made.op_entry is (None if state in ("no_grad", "constant inputs") else op)


def test_a_method_given_the_wrong_number_of_inputs_says_which_op():
    with pytest.raises(TypeError, match=r"Value.tanh\(\) takes 1 positional argument but 2 were given"):
        Value(0.5).tanh(2.0)
    with pytest.raises(TypeError, match=r"Value.leaky_relu\(self, slope=0.01\): too many positional arguments"):
        Value(0.5).leaky_relu(0.1, 0.2)
    with pytest.raises(TypeError, match=r"Value.leaky_relu\(self, slope=0.01\): got an unexpected keyword argument 'alpha'"):
        Value(0.5).leaky_relu(alpha=0.1)


def _example_arguments(parameters):
    """Arguments for the parameters after self: a number each (0.5, 0.25, ...)."""
    return [0.5 / 2**k for k in range(len(parameters))]


# Every built-in entry, and user entries with a method of one input, of two ("other"), and of two
# with a named second input and a default (as leaky_relu's slope).
define_op("test_sig_twice", lambda x: 2 * x, [lambda g, out, x: 2 * g], method="test_sig_twice")
define_op("test_sig_hypot", math.hypot, [lambda g, out, x, y: g * x / out, lambda g, out, x, y: g * y / out], method="test_sig_hypot")
define_op(
    "test_sig_scaled", lambda x, scale=2.0: scale * x,
    [lambda g, out, x, scale: g * scale, lambda g, out, x, scale: g * x], method="test_sig_scaled",
)
SIGNATURE_CASES = sorted(name for name, op in OPS.items() if op.builtin) + ["test_sig_twice", "test_sig_hypot", "test_sig_scaled"]


@pytest.mark.parametrize("name", SIGNATURE_CASES)
def test_every_method_accepts_exactly_its_signature_positionally_and_by_keyword(name):
    # Issue 21 item 22: `Value(-2.0).leaky_relu(slope=0.2)` raised TypeError while help() showed
    # (self, slope=0.01). Every method and operator made from the table: what inspect.signature
    # (hence help()) shows is what it accepts, positionally and by keyword, defaults included,
    # and one argument more is a TypeError.
    op = OPS[name]
    names = [op.method] if op.method else []
    if op.operator:
        names += _operator_methods(op)
    for method_name in names:
        method = getattr(Value, method_name)
        parameters = list(inspect.signature(method).parameters.values())[1:]
        if method_name == "__pow__":  # pow(x, y, modulo): the modulo is refused with its own TypeError
            assert parameters[-1].name == "modulo" and parameters[-1].default is None
            parameters = parameters[:-1]
        assert [p.kind for p in parameters] == [inspect.Parameter.POSITIONAL_OR_KEYWORD] * len(parameters), method_name
        x = Value(1.5)
        args = _example_arguments(parameters)
        by_position = method(x, *args)
        by_keyword = method(x, **{p.name: a for p, a in zip(parameters, args)})
        expected = op.forward(*([1.5] + args)) if not method_name.startswith("__r") else op.forward(*(args + [1.5]))
        assert by_position.data == by_keyword.data == expected, method_name
        required = [p for p in parameters if p.default is inspect.Parameter.empty]
        if len(required) < len(parameters):  # defaults: omitting them uses them
            defaults = [p.default for p in parameters[len(required):]]
            assert method(x, *args[: len(required)]).data == op.forward(1.5, *args[: len(required)], *defaults)
        with pytest.raises(TypeError):
            method(x, *args, 0.125)
        with pytest.raises(TypeError):
            method(x, not_a_parameter=1.0)
    assert names or op.arity is None or not op.builtin, f"{name}: a built-in op of one or two inputs with no method or operator"


def _operator_methods(op):
    from autograd.opcall import _BINARY_OPERATORS, _UNARY_OPERATORS

    if op.arity == 1:
        return [_UNARY_OPERATORS[op.operator]]
    stem = _BINARY_OPERATORS[op.operator]
    return [f"__{stem}__", f"__r{stem}__"]
