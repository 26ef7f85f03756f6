"""The core's one hook for a tape (`autograd.tape`), which the core never imports: `tracing`.

A tape plugs in here and reads the graph through public names only (`parents`, `op_entry`, ...).
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from typing import Any, Callable, Iterator

__all__ = ["Tracing", "tracing"]


class Tracing:
    """The core's one hook for a tape (`autograd.tape`), which the core never imports.

    - `recorder`: None, except while `autograd.trace` runs a function in this thread (or asyncio
      task): then an object whose `guard(node, kind, other, result)` is told of every place
      where a Value's data leaves the graph (`<`, `<=`, `>`, `>=`; `==` in a rule's special case
      at 0; `bool`, `float`, `detach`), so a tape can check them for every sample. While there is
      a recorder, a node that needs no gradient still records its op and parents (as a
      constant), so a tape replays it. Set it with `with tracing.recording(recorder):`; a trace
      in one thread sees nothing of another's ops. `active` counts the traces running anywhere:
      while it is 0, the usual case, checking it is the whole cost of the hook.
    - `array_types`, `array_apply`: `apply` hands arguments of these types (numpy's ndarray
      once a tape is imported) to `array_apply(op, args)`, so a rule that calls a table op
      (`COS(x)`) runs on a tape's batches too. Set them with `register_arrays`.

    >>> from autograd import Value
    >>> class Guards:
    ...     def __init__(self): self.seen = []
    ...     def guard(self, node, kind, other, result): self.seen.append((kind, other, result))
    >>> guards = Guards()
    >>> with tracing.recording(guards):
    ...     x = Value(2.0)
    ...     _ = x > 1, bool(x)
    >>> guards.seen, tracing.recorder is None
    ([('>', 1, True), ('bool', None, True)], True)
    """

    __slots__ = ("active", "array_types", "array_apply", "_here", "_lock")

    def __init__(self) -> None:
        self.active = 0
        self.array_types: tuple[type, ...] = ()
        self.array_apply: Callable[[Any, tuple], Any] = _no_arrays
        self._here: contextvars.ContextVar[Any] = contextvars.ContextVar("autograd_recorder", default=None)
        self._lock = threading.Lock()

    @property
    def recorder(self) -> Any:
        """This thread's (or task's) recorder; None when nothing is being traced here."""
        return self._here.get() if self.active else None

    def guard(self, node: Any, kind: str, other: Any, result: Any) -> None:
        """Tell this thread's recorder, if any, that `node`'s data left the graph."""
        recorder = self.recorder
        if recorder is not None:
            recorder.guard(node, kind, other, result)

    @contextlib.contextmanager
    def recording(self, recorder: Any) -> Iterator[Any]:
        """Tell `recorder` about every guard while the block runs in this thread (no nesting)."""
        if self.recorder is not None:
            raise RuntimeError("trace: already tracing (trace cannot be nested)")
        token = self._here.set(recorder)
        with self._lock:
            self.active += 1
        try:
            yield recorder
        finally:
            self._here.reset(token)
            with self._lock:
                self.active -= 1

    def register_arrays(self, types: tuple[type, ...], array_apply: Callable[[Any, tuple], Any]) -> None:
        """Let `apply(op, *args)` run `array_apply(op, args)` when an argument is one of `types`."""
        self.array_types = tuple(types)
        self.array_apply = array_apply


def _no_arrays(op: Any, args: tuple) -> Any:
    """`array_apply` before a tape registers one (never called: `array_types` is empty until then)."""
    raise TypeError(f"{op.name}: no array support is registered (import autograd.tape)")


# The one instance the core reads (a tape sets it; see `Tracing`).
tracing = Tracing()
