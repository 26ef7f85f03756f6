"""Grad mode: whether ops record the graph (`no_grad`, `is_recording`).

Recording is off inside `no_grad()`, per thread and per asyncio task (a context variable, as
PyTorch's grad mode is thread-local). `_no_grad_blocks` counts the blocks open anywhere in the
process: while it is 0, the usual case, an op reads that one number and never the (slower)
context variable (see `autograd.opcall`, which builds the nodes).
"""

from __future__ import annotations

import contextvars
import functools
import threading
from typing import Any, Callable, Optional, TypeVar

__all__ = ["no_grad", "is_recording"]

_no_grad_blocks = 0
_no_grad_lock = threading.Lock()
_recording_here: contextvars.ContextVar[bool] = contextvars.ContextVar("autograd_recording", default=True)

F = TypeVar("F", bound=Callable[..., Any])


def _recording() -> bool:
    """True unless a `no_grad()` block is open in this thread or task."""
    return not _no_grad_blocks or _recording_here.get()


class no_grad:
    """Inside this block (or a function decorated with it) ops record no parents.

    Results are constant leaves (`requires_grad=False`): nothing is kept for backward. Use it
    as `with no_grad():`, as a decorator `@no_grad()` or `@no_grad`. The switch is per thread
    and per asyncio task: a block in one thread leaves recording on in the others.

    >>> from autograd import Value
    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.parents, y.data
    ((), 4.0)
    >>> @no_grad
    ... def square(v):
    ...     return v * v
    >>> square(x).requires_grad
    False
    """

    def __new__(cls, func: Optional[Callable[..., Any]] = None) -> Any:
        if func is None:
            return super().__new__(cls)
        if not callable(func):
            raise TypeError(
                f"no_grad: takes no arguments (or decorates a function), got {type(func).__name__}: {func!r}"
            )
        return cls()(func)  # @no_grad without parentheses

    def __init__(self, func: Optional[Callable[..., Any]] = None) -> None:
        self._tokens: list[contextvars.Token[bool]] = []

    def __enter__(self) -> None:
        global _no_grad_blocks
        with _no_grad_lock:
            _no_grad_blocks += 1
        self._tokens.append(_recording_here.set(False))

    def __exit__(self, *exc_info: object) -> None:
        global _no_grad_blocks
        _recording_here.reset(self._tokens.pop())
        with _no_grad_lock:
            _no_grad_blocks -= 1

    def __call__(self, func: F) -> F:
        if not callable(func):
            raise TypeError(f"no_grad(): decorates a function, got {type(func).__name__}: {func!r}")

        @functools.wraps(func)
        def without_grad(*args: Any, **kwargs: Any) -> Any:
            with no_grad():
                return func(*args, **kwargs)

        return without_grad  # type: ignore[return-value]


def is_recording() -> bool:
    """False inside `no_grad()` (in this thread or asyncio task).

    >>> is_recording()
    True
    """
    return _recording()
