"""dagrad's autograd: a scalar automatic-differentiation engine.

>>> from autograd import Value
>>> x = Value(2.0, label="x")
>>> y = x * x + x.sin()
>>> y.backward()
>>> round(x.grad, 6)
3.583853
"""

from autograd.value import Value, apply
from autograd.ops import OPS, Op, define_op
from autograd.engine import backward, grad, is_recording, no_grad, topological_order
from autograd.forward import jvp
from autograd.functional import dot, logsumexp, mean, softmax, sum
from autograd.files import write_atomically
from autograd.render import GraphvizNotFoundError, draw_dot, render, render_backend, to_dot, to_svg

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


def __getattr__(name):
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
