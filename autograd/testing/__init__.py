"""Public testing tools: gradient checks and hypothesis strategies for random programs.

`gradcheck`, `gradgradcheck`, `check_grads`, `check_vjp` (a plain-float function against its
hand-written gradient) and `numerical_grad` need only the engine. `Program`, `Node`,
`Constant`, `Case`, `OpDomain` and `register_domain` need only the engine too. The hypothesis
strategies (`programs`, `valid_inputs`, `programs_and_inputs`) live in
`autograd.testing.strategies` and are imported on first use, so hypothesis is needed only by
code that uses them; so do `graph_machine` (`autograd.testing.stateful`), a Hypothesis state
machine that interleaves graph building, backward, zero_grad, no_grad, detach, deepcopy,
define_op and grad(create_graph=True) and checks every gradient (and second derivative) against
finite differences, and `check_engine` (`autograd.testing.oracle`), dagrad as the oracle for an
engine you wrote yourself.

>>> from autograd.testing import gradcheck
>>> gradcheck(lambda x: x.exp().sin(), [0.3])
True
"""

from autograd.testing.domains import DOMAINS, OpDomain, domain_of, register_domain
from autograd.testing.gradcheck import (
    DerivativeRow,
    Fault,
    FiniteDifferenceError,
    GradcheckError,
    GradcheckReport,
    Kink,
    check_grads,
    check_vjp,
    gradcheck,
    gradgradcheck,
    numerical_grad,
)
from autograd.testing.program import Case, Constant, Node, Program

_STRATEGIES = ("programs", "valid_inputs", "programs_and_inputs")
_STATEFUL = ("graph_machine", "GraphMachine")
_ORACLE = ("check_engine", "EngineMismatch")

__all__ = [
    "gradcheck",
    "gradgradcheck",
    "check_grads",
    "check_vjp",
    "numerical_grad",
    "GradcheckError",
    "FiniteDifferenceError",
    "DerivativeRow",
    "GradcheckReport",
    "Fault",
    "Kink",
    "Program",
    "Node",
    "Constant",
    "Case",
    "OpDomain",
    "DOMAINS",
    "register_domain",
    "domain_of",
    *_STRATEGIES,
    *_STATEFUL,
    *_ORACLE,
]


def __getattr__(name):
    # The strategies import hypothesis: load them only when asked for (PEP 562).
    if name in _STRATEGIES:
        from autograd.testing import strategies

        return getattr(strategies, name)
    if name in _STATEFUL:
        from autograd.testing import stateful

        return getattr(stateful, name)
    if name in _ORACLE:
        from autograd.testing import oracle

        return getattr(oracle, name)
    raise AttributeError(f"module 'autograd.testing' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_STRATEGIES) | set(_STATEFUL) | set(_ORACLE))
