"""`fit(compiled=...)`: the model's output and the loss's per-sample term traced once with
`autograd.trace`, then replayed over whole batches with numpy. Same numbers as the scalar path
(to rounding); a model whose trace cannot be replayed raises `autograd.TraceError`.
"""

from __future__ import annotations

from typing import Optional

import autograd
from autograd import no_grad
from nn.evaluate import decide
from nn.losses import LOSSES, SAMPLE_TERMS, l2_regularization
from nn.module import Module

__all__ = ["CompiledPath", "compiled_path"]


class CompiledPath:
    """The model's output and the loss's per-sample term, traced once; batches replayed with numpy."""

    def __init__(self, model, loss_name: str, X: list, y: list):
        import numpy  # the compiled path's one extra dependency

        self.np = numpy
        self.term, self.reduction = SAMPLE_TERMS[loss_name]
        with no_grad():  # the scalar loss validates the targets (hinge needs -1/+1, ...); the tape would not
            LOSSES[loss_name]([0.0] * len(y), y)
        self.params = model.parameters()

        def output_and_term(*features_and_target):
            out = model(list(features_and_target[:-1]))
            return [out, self.term(out, features_and_target[-1])]

        self.tape = autograd.trace(output_and_term, list(X[0]) + [float(y[0])], params=self.params)

    def _rows(self, X, y):
        return self.np.array([list(x) + [float(t)] for x, t in zip(X, y)], dtype=float)

    def loss_and_gradients(self, X_batch: list, y_batch: list, l2: float) -> float:
        """What `loss_and_gradients` computes, over the batch at once; grads accumulate."""
        _, terms = self.tape.forward(self._rows(X_batch, y_batch))
        weight = 1.0 / len(X_batch) if self.reduction == "mean" else 1.0
        self.tape.backward([0.0, weight])
        loss = float(self.np.sum(terms)) * weight
        if l2:
            regularization = l2_regularization(self.params, l2)
            regularization.backward()
            loss += regularization.data
        return loss

    def outputs(self, X: list) -> list:
        """The model's output for every sample (the target column is unused: 0)."""
        out, _ = self.tape.forward(self._rows(X, [0.0] * len(X)))
        return out.tolist()

    def accuracy(self, X: list, y: list, decision: str) -> float:
        """What `accuracy(model, X, y, decision)` gives, from one replay of the whole set."""
        predictions = [decide(out, decision) for out in self.outputs(X)]
        return sum(p == t for p, t in zip(predictions, y)) / len(y)


def compiled_path(compiled, model, loss_name, several_outputs: bool, X, y) -> Optional[CompiledPath]:
    """The compiled path fit should use, or None for the scalar path (compiled=False, or
    "auto" when it does not apply). compiled=True says why it cannot be used."""
    if compiled is False:
        return None
    if compiled not in (True, "auto"):
        raise ValueError(f"fit: compiled must be True, False or 'auto', got {compiled!r}")
    if loss_name not in SAMPLE_TERMS:
        reason = (
            f"loss {loss_name!r} is not one of {', '.join(map(repr, SAMPLE_TERMS))}"
            if loss_name
            else "a custom loss callable cannot be traced per sample"
        )
    elif several_outputs:
        reason = "the model has several outputs (the compiled path handles one)"
    elif not isinstance(model, Module):
        reason = "the model is not an nn.Module (its parameters are unknown)"
    else:
        try:
            return CompiledPath(model, loss_name, X, y)
        except ImportError:
            reason = "numpy is not installed (pip install numpy)"
        except autograd.TraceError as error:
            reason = f"the model cannot be traced: {error}"
    if compiled is True:
        raise ValueError(f"fit(compiled=True): {reason}; use compiled=False or 'auto'")
    return None
