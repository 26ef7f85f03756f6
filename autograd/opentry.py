"""What an op-table entry is (`Op`), the tables (`OPS`, `INTERNAL_OPS`), and how entries are made:
`define_op` for a user's op, `builtin` for the table in `autograd.ops`.

Making an entry gives Value the method and operator it names (`autograd.opcall`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

from autograd import opcall as _opcall
from autograd.checks import is_real
from autograd.opcall import apply
from autograd.opdomain import OpDomain
from autograd.value import Value

__all__ = ["Op", "OPS", "INTERNAL_OPS", "define_op", "builtin"]


@dataclass(frozen=True, eq=False, repr=False)
class Op:
    """One entry of the op table. Calling it applies the op to Values or numbers.

    >>> from autograd.ops import TANH
    >>> TANH(0.0), TANH.name, TANH
    (0.0, 'tanh', <op 'tanh': 1 input>)
    """

    def __repr__(self) -> str:
        # One line: the generated repr printed every field, rules as lambdas, 15 lines in a
        # Hypothesis failure report.
        arity = "n-ary" if self.arity is None else f"{self.arity} input{'' if self.arity == 1 else 's'}"
        return f"<op {self.name!r}: {arity}>"

    name: str
    forward: Callable[..., float]
    rules: Optional[tuple] = None  # one rule(grad, out, *inputs) per input
    # The forward on numpy arrays, elementwise, for a tape's batches; None: `forward` runs
    # element by element (correct, slower).
    array_forward: Optional[Callable] = None
    nary_rule: Optional[Callable] = None  # rule(grad, out, inputs) -> one gradient per input
    # (forward(W, X), rule(G, W, X) -> (dW, dX)): many nodes of an n-ary op as one matrix
    # product, for a tape's batches (see DOT); None for ops that have no such form.
    matrix_form: Optional[tuple] = None
    symbol: str = ""  # how the renderer draws the op node
    domain: str = ""  # the valid inputs, quoted in the error when forward rejects them (cf. test_domain)
    builtin: bool = field(default=False, repr=False)
    # How the op is written on Values: Value's methods and operators are made from these.
    method: str = ""  # `x.method()`, or `x.method(y)` for two inputs: "tanh" gives Value.tanh
    doc: str = ""  # the method's docstring, with a tiny example
    # A Python operator: binary "+", "-", "*", "/", "**" (both `x + 2` and `2 + x`), unary "-" or "abs"
    operator: str = ""
    # Python source for a call, given its arguments' source (Program prints it), when the op
    # has neither method nor operator; None: `OPS["name"](x, y)`.
    source: Optional[Callable[[list], str]] = field(default=None, repr=False)
    # Where the op may be tested by finite differences (its kinks, a margin inside its domain),
    # read by `autograd.testing`; None: smooth and defined everywhere.
    test_domain: Optional[OpDomain] = field(default=None, repr=False)

    @property
    def arity(self) -> Optional[int]:
        """Number of inputs; None for an n-ary op."""
        return None if self.rules is None else len(self.rules)

    def __call__(self, *args: Any) -> Any:
        return apply(self, *args)


OPS: dict[str, Op] = {}

# Ops that derivative rules and `autograd.functional` use but that are not offered as ops of
# their own (so not in OPS, and not drawn by the random-program strategies). Keyed by name, so
# a pickled graph can find them again.
INTERNAL_OPS: dict[str, Op] = {}


def define_op(
    name: str,
    forward: Callable[..., float],
    rules: Optional[Sequence[Callable]] = None,
    *,
    nary_rule: Optional[Callable] = None,
    array_forward: Optional[Callable] = None,
    symbol: str = "",
    domain: str = "",
    method: str = "",
    doc: str = "",
    operator: str = "",
    test_domain: Optional[OpDomain] = None,
) -> Op:
    """Add an op to the table and return it; call the result on Values or numbers.

    `forward` computes the output from float inputs. Give either `rules`, one derivative
    rule `rule(grad, out, *inputs)` per input, or `nary_rule(grad, out, inputs)` returning
    one gradient per input for an op taking any number of inputs. Write rules with
    arithmetic and table ops so they also run on Values (higher-order derivatives).
    `array_forward`, the forward on numpy arrays, makes the op fast on a tape (`autograd.trace`);
    without it a tape runs `forward` element by element. Redefining a user op replaces it; built-in names are reserved.

    As for a built-in op, `method="name"` (with its `doc`) makes `x.name()` record the op,
    `operator` a Python operator (see `Op.operator`; one not taken yet), and `test_domain`
    (an `OpDomain`) tells `autograd.testing` where the op may be checked.

    >>> import math
    >>> from autograd import Value, define_op
    >>> cube = define_op("cube", lambda x: x ** 3, [lambda grad, out, x: grad * 3 * x * x], method="cube")
    >>> x = Value(2.0); y = x.cube(); y.backward()
    >>> y.data, x.grad, y.op, cube(2.0)
    (8.0, 12.0, 'cube', 8.0)
    """
    existing = _check_definition(name, forward, rules, nary_rule, array_forward, method, operator, test_domain)
    checked_rules = None if rules is None else tuple(_checked_rule(name, i, rule) for i, rule in enumerate(rules))
    op = Op(
        name,
        _float_result(name, forward),
        checked_rules,
        array_forward,
        None if nary_rule is None else _checked_nary_rule(name, nary_rule),
        symbol=symbol or name,
        domain=domain,
        method=method,
        doc=doc,
        operator=operator,
        test_domain=test_domain,
    )
    if existing is not None:
        _opcall._detach(existing)
    try:
        _opcall._attach(op)
    except ValueError:  # a method or operator that is taken: the op it replaced stays
        if existing is not None:
            _opcall._attach(existing)
        raise
    OPS[name] = op
    return op


def _check_definition(
    name: Any,
    forward: Any,
    rules: Any,
    nary_rule: Any,
    array_forward: Any,
    method: Any,
    operator: Any,
    test_domain: Any,
) -> Optional[Op]:
    """`define_op`'s arguments checked (a clear error naming the op for each mistake); the user
    op of that name that the new one replaces, if any."""
    if not isinstance(name, str):
        raise TypeError(f"define_op: name must be a string, got {type(name).__name__}: {name!r}")
    if not name:
        raise ValueError("define_op: name must be a non-empty string, got ''")
    existing = OPS.get(name)
    if existing is not None and existing.builtin:
        raise ValueError(f"define_op: {name!r} is a built-in op and cannot be redefined")
    if not callable(forward):
        raise TypeError(f"define_op({name!r}): forward must be callable, got {forward!r}")
    if array_forward is not None and not callable(array_forward):
        raise TypeError(f"define_op({name!r}): array_forward must be callable, got {array_forward!r}")
    if (rules is None) == (nary_rule is None):
        raise TypeError(f"define_op({name!r}): give exactly one of rules= or nary_rule=")
    if rules is not None:
        rules = tuple(rules)
        if not rules or not all(callable(r) for r in rules):
            raise TypeError(f"define_op({name!r}): rules must be a non-empty sequence of callables")
    if (method or operator) and (rules is None or len(rules) > 2):
        raise TypeError(f"define_op({name!r}): a method or operator needs an op of one or two inputs")
    if method and not (isinstance(method, str) and method.isidentifier() and not method.startswith("_")):
        raise ValueError(f"define_op({name!r}): method must be a public Python name, got {method!r}")
    if operator:
        allowed = _opcall._UNARY_OPERATORS if len(rules) == 1 else _opcall._BINARY_OPERATORS
        if operator not in allowed:
            raise ValueError(f"define_op({name!r}): operator must be one of {sorted(allowed)}, got {operator!r}")
    if test_domain is not None and not isinstance(test_domain, OpDomain):
        raise TypeError(f"define_op({name!r}): test_domain must be an OpDomain, got {test_domain!r}")
    return existing


def _float_result(name: str, forward: Callable[..., Any]) -> Callable[..., float]:
    """A user forward may return an int or a numpy scalar; anything else is a clear error."""

    @functools.wraps(forward)  # keeps its defaults visible to `_attach` (as `__wrapped__`)
    def checked(*inputs: float) -> float:
        out = forward(*inputs)
        try:
            return float(out)
        except (TypeError, ValueError):
            raise TypeError(f"{name}: forward must return a real number, got {out!r}") from None

    return checked


def _is_gradient(x: Any) -> bool:
    """What a rule may return: a number, a Value (create_graph) or an array (a tape's batch)."""
    return (
        isinstance(x, (float, int, Value))
        and not isinstance(x, bool)
        or is_real(x)
        or hasattr(x, "shape")
        and hasattr(x, "dtype")
    )


def _not_a_gradient(name: str, which: str, result: Any) -> TypeError:
    return TypeError(
        f"{name}: derivative {which} must return a number (or a Value), got {type(result).__name__}: {result!r}"
    )


def _checked_rule(name: str, index: int, rule: Callable) -> Callable:
    """A user rule whose result is checked, as `_float_result` checks a user forward: a rule
    returning a string or None would otherwise end up in `.grad`."""

    @functools.wraps(rule)
    def checked(grad: Any, out: Any, *inputs: Any) -> Any:
        result = rule(grad, out, *inputs)
        if not _is_gradient(result):
            raise _not_a_gradient(name, f"rule {index}", result)
        return result

    return checked


def _checked_nary_rule(name: str, rule: Callable) -> Callable:
    @functools.wraps(rule)
    def checked(grad: Any, out: Any, inputs: Sequence[Any]) -> list[Any]:
        result = list(rule(grad, out, inputs))
        if len(result) != len(inputs):
            raise ValueError(f"{name}: nary_rule returned {len(result)} gradients for {len(inputs)} inputs")
        for r in result:
            if not _is_gradient(r):
                raise _not_a_gradient(name, "nary_rule", r)
        return result

    return checked


def builtin(
    name: str,
    forward: Callable[..., float],
    rules: Optional[tuple] = None,
    *,
    table: dict[str, Op] = OPS,
    symbol: str = "",
    **fields: Any,
) -> Op:
    """A built-in entry of the table, with Value's methods and operators for it (see `Op`)."""
    op = Op(name, forward, rules, symbol=symbol or fields.get("operator") or name, builtin=True, **fields)
    _opcall._attach(op)
    table[name] = op
    return op
