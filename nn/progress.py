"""`fit`'s progress bar: a tqdm bar, one tick per epoch with the loss and accuracy; or nothing."""

from __future__ import annotations

import sys
from typing import Optional

__all__ = ["ProgressBar"]


class ProgressBar:
    """A context manager: `epoch_done(loss, accuracy)` after every epoch; closed on exit.
    progress=None shows a bar only when stderr is a terminal (tqdm is imported only then),
    False never, True always (ImportError without tqdm).

    >>> with ProgressBar(False, epochs=3) as bar:
    ...     bar.epoch_done(0.5, None)
    """

    def __init__(self, progress: Optional[bool], epochs: int):
        self._bar = _progress_bar(progress, epochs)

    def epoch_done(self, loss: float, accuracy: Optional[float]) -> None:
        if self._bar is None:
            return
        postfix = {"loss": f"{loss:.4g}"}
        if accuracy is not None:
            postfix["acc"] = f"{accuracy:.3f}"
        self._bar.set_postfix(postfix, refresh=False)
        self._bar.update(1)

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.close()


def _progress_bar(progress, epochs: int):
    """A tqdm bar, or None. progress=None shows one only when stderr is a terminal."""
    if progress is None:
        progress = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        if progress:
            try:
                import tqdm  # noqa: F401 - only to see whether it is there
            except ImportError:
                return None
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        raise ImportError("fit: progress=True needs tqdm (pip install tqdm)") from None
    return tqdm(total=epochs, desc="fit", unit="epoch", dynamic_ncols=True)
