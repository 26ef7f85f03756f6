"""Where each op may be tested: its domain (with a safety margin), its kinks, its arities.

The strategies draw inputs for which every op of a program is inside its domain, away from its
kinks and from overflow, so finite differences are meaningful there. Each op says where in its
table entry (`test_domain=`, for built-in ops and for `define_op`); `register_domain` describes
or overrides one afterwards (or pass `domains=` to a strategy). An op with no description is
taken to be smooth and defined everywhere.
"""

from __future__ import annotations

from typing import Callable, Mapping, Optional, Sequence, Union

from autograd.opdomain import OpDomain
from autograd.ops import OPS, Op

__all__ = ["OpDomain", "DOMAINS", "register_domain", "domain_of"]


# The built-in ops' domains are in their table entries (`Op.test_domain` in `autograd.ops`);
# `register_domain` adds to or overrides them here, keyed by op name.
DOMAINS: dict[str, OpDomain] = {name: op.test_domain for name, op in OPS.items() if op.builtin and op.test_domain}

_DEFAULT = OpDomain(description="everywhere (no domain registered)")
_DEFAULT_NARY = OpDomain(arities=(1, 2, 3), description="everywhere (no domain registered)")


def _name(op: Union[str, Op]) -> str:
    if isinstance(op, Op):
        return op.name
    if isinstance(op, str):
        return op
    raise TypeError(f"expected an op name or an Op, got {type(op).__name__}: {op!r}")


def register_domain(
    op: Union[str, Op],
    domain: Optional[OpDomain] = None,
    *,
    accepts: Optional[Callable[..., bool]] = None,
    kinks: Optional[Callable[..., Sequence[float]]] = None,
    arities: Sequence[int] = (),
    description: str = "",
) -> OpDomain:
    """Describe where op `op` (a name or an `Op`) may be tested; returns the `OpDomain`.

    Give an `OpDomain`, or its fields as keywords. The strategies use it for every program
    containing the op; a strategy's `domains=` argument overrides it for that strategy only.

    >>> from autograd import define_op
    >>> from autograd.testing import register_domain, domain_of
    >>> inv = define_op("doctest_inv", lambda x: 1 / x, [lambda grad, out, x: -grad * out * out])
    >>> _ = register_domain(inv, accepts=lambda x: abs(x) >= 0.1, description="|x| >= 0.1")
    >>> domain_of("doctest_inv").description
    '|x| >= 0.1'
    """
    name = _name(op)
    if domain is None:
        domain = OpDomain(accepts=accepts, kinks=kinks, arities=tuple(arities), description=description)
    elif not isinstance(domain, OpDomain):
        raise TypeError(f"register_domain({name!r}): domain must be an OpDomain, got {domain!r}")
    elif accepts is not None or kinks is not None or arities or description:
        raise TypeError(f"register_domain({name!r}): give an OpDomain or keywords, not both")
    DOMAINS[name] = domain
    return domain


def domain_of(op: Union[str, Op], domains: Optional[Mapping] = None) -> OpDomain:
    """The domain of `op`: from `domains` (name or Op keys), else the registry (`register_domain`),
    else the op's own `test_domain`, else "everywhere".

    >>> from autograd.testing import domain_of
    >>> domain_of("log").description
    'x >= 0.1'
    """
    name = _name(op)
    if domains:
        for key, domain in domains.items():
            if _name(key) == name:
                return domain
    if name in DOMAINS:
        return DOMAINS[name]
    table_op = op if isinstance(op, Op) else OPS.get(name)
    if table_op is not None and table_op.test_domain is not None:
        return table_op.test_domain
    return _DEFAULT_NARY if table_op is not None and table_op.arity is None else _DEFAULT
