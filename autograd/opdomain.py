"""`OpDomain`: where an op may be tested by finite differences (`Op.test_domain`).

It lives beside the op table, not in `autograd.testing`, so that a table entry can say where its
op may be tested without importing the testing package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

__all__ = ["OpDomain"]


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
