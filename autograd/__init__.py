"""dagrad's autograd: a scalar automatic-differentiation engine.

>>> from autograd import Value
>>> x = Value(2.0, label="x")
>>> y = x * x + x.sin()
>>> y.backward()
>>> round(x.grad, 6)
3.583853

Reading order, for a contributor (each file says what it holds in its first lines):

1. `reference.py`: the backward algorithm in twenty plain lines (`reference_gradients`).
2. `value.py`: `Value`, one node of the graph (data, grad, parents, op).
3. `ops.py`: the op table, each op's forward and derivative rules side by side; to add an op,
   add an entry there. What an entry is, and `define_op`: `opentry.py`; forwards and rules that
   need more than a line: `opmath.py`.
4. `opcall.py`: applying an op makes a node (`apply`, and `x + y`, `x.tanh()`).
5. `engine.py`: the backward pass of `reference.py` made fast (`backward`, `grad`,
   `observe_backward` to watch it step by step, `topological_order`).
6. Around them: `gradmode.py` (`no_grad`), `forward.py` (forward mode, `jvp`), `functional.py`
   (`sum`, `dot`, `softmax`), `tracing.py` (the one hook a tape plugs into), `checks.py`
   (argument checks), `files.py` (`write_atomically`).
7. The packages, each on the public API above: `render` (pictures), `explorer` (watching
   backprop), `tape` (compiled batches and PyTorch export), `testing` (gradcheck, strategies).
"""

from typing import Any

from autograd.engine import backward, grad, is_recording, no_grad, observe_backward, topological_order
from autograd.files import write_atomically
from autograd.forward import jvp
from autograd.functional import dot, logsumexp, mean, softmax, sum
from autograd.ops import OPS, Op, define_op
from autograd.reference import reference_gradients
from autograd.render import GraphvizNotFoundError, draw_dot, render, render_backend, to_dot, to_svg
from autograd.value import Value, apply

__all__ = [
    "Value",
    "Op",
    "OPS",
    "apply",
    "define_op",
    "backward",
    "grad",
    "jvp",
    "no_grad",
    "is_recording",
    "topological_order",
    "observe_backward",
    "reference_gradients",
    "sum",
    "mean",
    "dot",
    "softmax",
    "logsumexp",
    "to_dot",
    "draw_dot",
    "render",
    "render_backend",
    "to_svg",
    "GraphvizNotFoundError",
    "write_atomically",
    "trace",
    "Tape",
    "TraceError",
    "backward_steps",
    "paths",
    "explore",
]


def __getattr__(name: str) -> Any:
    # The compiled batch path needs numpy: import it only when asked for.
    if name in ("trace", "Tape", "TraceError"):
        from autograd import tape

        return getattr(tape, name)
    # Watching backprop (autograd.explorer): loaded on first use; the widget library only when shown.
    if name in ("backward_steps", "paths", "explore"):
        import autograd.explorer as _explorer

        return getattr(_explorer, name)
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")


# The one place the version lives: pyproject.toml reads it (dynamic version), the docs' changelog
# and CHANGELOG.md name it.
__version__ = "0.1.0"
