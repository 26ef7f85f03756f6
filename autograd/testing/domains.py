"""Where each op may be tested: its domain (with a safety margin), its kinks, its arities.

The strategies draw inputs for which every op of a program is inside its domain, away from its
kinks and from overflow, so finite differences are meaningful there. Built-in ops are described
here, keyed by op name; describe your own op with `register_domain` (or pass `domains=` to a
strategy). An op with no description is taken to be smooth and defined everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping, Optional, Sequence, Union

from autograd.ops import OPS, Op

__all__ = ["OpDomain", "DOMAINS", "register_domain", "domain_of"]


@dataclass(frozen=True)
class OpDomain:
    """Where an op's float inputs are safe to differentiate by finite differences.

    - `accepts(*inputs) -> bool`: True where the op is defined, with a margin from the edge
      (log wants x >= 0.1, not x > 0: at 1e-7, x - eps is already outside). None: everywhere.
    - `kinks(*inputs) -> sequence of floats`: quantities that are 0 exactly where the op is not
      differentiable (relu: `lambda x: [x]`); inputs are kept at least `kink_margin` away.
    - `arities`: for an n-ary op, the numbers of inputs a program may give it.

    >>> from autograd.testing import OpDomain
    >>> safe_log = OpDomain(accepts=lambda x: x >= 0.1, description="x >= 0.1")
    >>> safe_log.admits((2.0,)), safe_log.admits((0.0,))
    (True, False)
    >>> OpDomain(kinks=lambda x: [x]).admits((1e-9,), kink_margin=1e-2)
    False
    """

    accepts: Optional[Callable[..., bool]] = None
    kinks: Optional[Callable[..., Sequence[float]]] = None
    arities: tuple = ()
    description: str = ""

    def __post_init__(self):
        if self.accepts is not None and not callable(self.accepts):
            raise TypeError(f"OpDomain: accepts must be callable or None, got {self.accepts!r}")
        if self.kinks is not None and not callable(self.kinks):
            raise TypeError(f"OpDomain: kinks must be callable or None, got {self.kinks!r}")
        arities = tuple(self.arities)
        if not all(isinstance(a, int) and not isinstance(a, bool) and a >= 1 for a in arities):
            raise ValueError(f"OpDomain: arities must be ints >= 1, got {self.arities!r}")
        object.__setattr__(self, "arities", arities)

    def admits(self, inputs: Sequence[float], kink_margin: float = 0.0) -> bool:
        """True when `inputs` are accepted and every kink quantity is at least `kink_margin` from 0."""
        if self.accepts is not None and not self.accepts(*inputs):
            return False
        if self.kinks is not None and any(not abs(k) >= kink_margin for k in self.kinks(*inputs)):
            return False
        return True

    def kink_signs(self, inputs: Sequence[float]) -> tuple:
        """The signs of the kink quantities: which smooth piece of the op `inputs` are on."""
        if self.kinks is None:
            return ()
        return tuple(k > 0 for k in self.kinks(*inputs))


def _at_least(margin):
    return lambda x: x >= margin


def _x_kink(x, *rest):
    return [x]


# Margins keep a checked point (and every x +- eps) well inside the domain and keep curvature,
# hence finite-difference error, moderate. Overflow is also bounded globally by the strategies'
# max_magnitude on every intermediate.
DOMAINS: dict[str, OpDomain] = {
    "add": OpDomain(description="everywhere"),
    "sub": OpDomain(description="everywhere"),
    "mul": OpDomain(description="everywhere"),
    "neg": OpDomain(description="everywhere"),
    "div": OpDomain(accepts=lambda x, y: abs(y) >= 0.1, description="|divisor| >= 0.1"),
    # A negative base needs an integer exponent, which a perturbed exponent is not.
    "pow": OpDomain(accepts=lambda x, y: x >= 0.1 and abs(y) <= 10.0, description="base >= 0.1, |exponent| <= 10"),
    "abs": OpDomain(kinks=_x_kink, description="everywhere; kink at 0"),
    "exp": OpDomain(accepts=lambda x: x <= 50.0, description="x <= 50 (exp(710) overflows)"),
    "log": OpDomain(accepts=_at_least(0.1), description="x >= 0.1"),
    "sqrt": OpDomain(accepts=_at_least(0.1), description="x >= 0.1"),
    "softplus": OpDomain(description="everywhere"),
    "tanh": OpDomain(description="everywhere"),
    "sigmoid": OpDomain(description="everywhere"),
    "relu": OpDomain(kinks=_x_kink, description="everywhere; kink at 0"),
    "leaky_relu": OpDomain(kinks=_x_kink, description="everywhere; kink at x = 0 (any slope)"),
    "sin": OpDomain(accepts=math.isfinite, description="finite x"),
    "cos": OpDomain(accepts=math.isfinite, description="finite x"),
    "sum": OpDomain(arities=(1, 2, 3, 4), description="everywhere"),
    "dot": OpDomain(arities=(2, 4), description="everywhere; an even number of inputs (w..., x...)"),
}

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
    >>> inv = define_op("doctest_inv", lambda x: 1 / x, [lambda g, out, x: -g * out * out])
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
    """The domain of `op`: from `domains` (name or Op keys), else the registry, else "everywhere".

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
    return _DEFAULT_NARY if table_op is not None and table_op.arity is None else _DEFAULT
