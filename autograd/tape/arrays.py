"""Ops on numpy arrays: an op's forward over a batch, and the core's hook that lets a table op
called inside a rule (`COS(x)` in sin's rule) run on a tape's arrays.

Importing this module registers the hook (`autograd.value.tracing.register_arrays`); the core
never imports numpy or the tape.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from autograd.ops import Op
from autograd.value import tracing

__all__ = ["array_forward"]


def array_forward(op: Op) -> Callable:
    """The op's forward on arrays: its table entry's `array_forward`, else the float forward
    element by element.

    >>> from autograd.ops import TANH, define_op
    >>> array_forward(TANH)(np.array([0.0, 1.0])).round(4)
    array([0.    , 0.7616])
    >>> array_forward(define_op("twice", lambda x: 2 * x, [lambda g, out, x: 2 * g]))(np.array([1.0, 3.0]))
    array([2., 6.])
    """
    return op.array_forward or np.vectorize(op.forward, otypes=[float])


def _apply_on_arrays(op: Op, args):
    """`apply` for arguments that include arrays: a table op called inside a rule (`COS(x)`)."""
    with np.errstate(all="ignore"):
        return array_forward(op)(*args)


tracing.register_arrays((np.ndarray,), _apply_on_arrays)
