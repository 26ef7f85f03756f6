"""Watching backprop: the backward pass as data (`backward_steps`), the paths of the chain rule
(`paths`) and a step-through explorer (`explore`: a Jupyter widget, or one self-contained page).

Only the engine's public graph walk and its backward-pass observer are used; the widget
library (anywidget) is imported only when a widget is shown.
"""

from autograd.explorer.steps import BackwardStep, BackwardSteps, Contribution, backward_steps
from autograd.explorer.chain import Path, TooManyPathsError, count_paths, paths
from autograd.explorer.page import offline_page, stylesheet

__all__ = [
    "backward_steps",
    "BackwardSteps",
    "BackwardStep",
    "Contribution",
    "paths",
    "count_paths",
    "Path",
    "TooManyPathsError",
    "explore",
    "Explorer",
    "GraphTooLargeError",
    "offline_page",
    "stylesheet",
]


def __getattr__(name):
    # The explorer builds pages and widgets: load it only when asked for.
    if name in ("explore", "Explorer", "GraphTooLargeError"):
        from autograd.explorer import player

        return getattr(player, name)
    raise AttributeError(f"module 'autograd.explorer' has no attribute {name!r}")
