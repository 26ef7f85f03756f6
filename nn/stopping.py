"""`fit`'s stopping criteria, checked after each epoch, and the reasons it records."""

from __future__ import annotations

import math
from typing import Callable, Optional

from autograd.checks import check_integer, check_real

__all__ = ["Stopping", "STOP_REASONS"]

# "stopped": the stop button of the live view (fit(live=True)) was pressed.
STOP_REASONS = ("all_correct", "loss_tol", "no_improvement", "callback", "max_epochs", "stopped")


class Stopping:
    """When `fit` stops, checked after each epoch in this order: `all_correct` (training
    accuracy 1.0: "all_correct"), `tol` (epoch loss <= tol: "loss_tol"), `patience` (no loss
    decrease by more than `min_delta` for that many epochs: "no_improvement"), `callback(epoch,
    history)` returning True ("callback"). The callback sees every epoch, including the one
    where another criterion stops.

    >>> from types import SimpleNamespace as History
    >>> stopping = Stopping(patience=2)
    >>> [stopping.reason(epoch, History(loss=[loss], accuracy=[None])) for epoch, loss in enumerate([3.0, 2.0, 2.0, 2.5])]
    [None, None, None, 'no_improvement']
    """

    def __init__(
        self,
        all_correct: bool = False,
        tol: Optional[float] = None,
        patience: Optional[int] = None,
        min_delta: float = 0.0,
        callback: Optional[Callable] = None,
    ):
        self.all_correct = all_correct
        self.patience = check_integer("fit", "patience", patience, minimum=1, allow_none=True)
        self.tol = check_real("fit", "tol", tol, low=-math.inf, allow_none=True)
        self.min_delta = check_real("fit", "min_delta", min_delta, low=0.0, allow_none=True)
        if callback is not None and not callable(callback):
            raise TypeError(f"fit: callback must be callable(epoch, history), got {callback!r}")
        self.callback = callback
        self.best_loss, self.epochs_without_improvement = math.inf, 0

    def check_decision(self, decision: Optional[str]) -> None:
        """`all_correct` needs a rule that turns outputs into class labels."""
        if self.all_correct and decision is None:
            raise ValueError(
                "fit: stop_when_all_correct needs class-label targets (no decision rule fits these targets)"
            )

    def reason(self, epoch: int, history) -> Optional[str]:
        """Why training stops after this epoch (one of STOP_REASONS), or None to go on."""
        callback_wants_stop = self.callback is not None and self.callback(epoch, history) is True
        loss, accuracy = history.loss[-1], history.accuracy[-1]
        if loss < self.best_loss - self.min_delta:
            self.best_loss, self.epochs_without_improvement = loss, 0
        else:
            self.epochs_without_improvement += 1
        if self.all_correct and accuracy == 1.0:
            return "all_correct"
        if self.tol is not None and loss <= self.tol:
            return "loss_tol"
        if self.patience is not None and self.epochs_without_improvement >= self.patience:
            return "no_improvement"
        if callback_wants_stop:
            return "callback"
        return None
