"""Watching backprop: the backward pass as data (`backward_steps`), the paths of the chain rule
(`paths`) and a step-through explorer (`explore`: a Jupyter widget, or one self-contained page).

Reading order: `steps.py` records the engine's own backward pass (its observer);
`chain.py` lists the paths of the chain rule; `build.py` is `explore` (it checks the arguments
and builds the frames of `frames.py` over render's View of the graph, or hands a collapsed view
to `collapsed.py`); `drawing.py` draws the SVG with the pictures' look (`autograd.render.style`)
and program; `player.py` holds the result (`Explorer`) and writes the page or the widget
(anywidget, imported only when a widget is shown; `explorer.js` plays the frames).
"""

from autograd.explorer.build import explore
from autograd.explorer.chain import Path, TooManyPathsError, count_paths, paths
from autograd.explorer.page import offline_page, stylesheet, widget_class
from autograd.explorer.player import Explorer
from autograd.explorer.steps import BackwardStep, BackwardSteps, Contribution, backward_steps
from autograd.render.view import GraphTooLargeError

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
    "widget_class",
]
