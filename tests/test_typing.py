"""What type checkers see of the public API matches what runs.

Value's operators and methods are attached at run time from the op table, so `value.py` declares
them for type checkers in an `if TYPE_CHECKING:` block; this keeps that block in step with the
table: a new built-in op with a method or operator must be declared there too.
"""

import ast
import inspect
from pathlib import Path

import autograd
from autograd.ops import INTERNAL_OPS, OPS
from autograd.value import Value

VALUE_PY = Path(autograd.__file__).with_name("value.py")


def declared_for_type_checkers() -> dict:
    """{name: parameter names} of the functions in Value's `if TYPE_CHECKING:` block."""
    tree = ast.parse(VALUE_PY.read_text(encoding="utf-8"))
    [value_class] = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Value"]
    [block] = [n for n in value_class.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"]
    return {f.name: [a.arg for a in f.args.args] for f in block.body if isinstance(f, ast.FunctionDef)}


# Python's special methods behind each operator an op entry may name.
SPECIAL = {
    "+": ["__add__", "__radd__"], "-": ["__sub__", "__rsub__"], "*": ["__mul__", "__rmul__"],
    "/": ["__truediv__", "__rtruediv__"], "**": ["__pow__", "__rpow__"],
}
UNARY_SPECIAL = {"-": ["__neg__"], "abs": ["__abs__"]}


def test_every_builtin_operator_and_method_is_declared_and_nothing_else():
    attached = set()
    for op in list(OPS.values()) + list(INTERNAL_OPS.values()):
        if op.builtin:
            attached.update([op.method] if op.method else [])
            attached.update((UNARY_SPECIAL if op.arity == 1 else SPECIAL).get(op.operator, []))
    assert {"__add__", "__rmul__", "__neg__", "tanh", "leaky_relu"} <= attached
    assert all(callable(getattr(Value, name)) for name in attached)
    declared = set(declared_for_type_checkers())
    assert not attached - declared, f"declare these in value.py's `if TYPE_CHECKING:` block: {sorted(attached - declared)}"
    assert not declared - attached, f"no built-in op attaches these any more: {sorted(declared - attached)}"


def test_declared_methods_take_what_the_attached_ones_take():
    declared = declared_for_type_checkers()
    for name, parameters in declared.items():
        signature = inspect.signature(getattr(Value, name))
        runtime = [p for p in signature.parameters if p not in ("args", "kwargs")]
        assert parameters[: len(runtime)] == runtime or name == "__pow__", (name, parameters, runtime)
