"""Checks for the notebooks' exercises: a clear right or wrong, with a hint, and never an exception.

An exercise cell ships with `...` (the Ellipsis) where the learner's answer goes; its check cell
then says the exercise is still open. Each worked answer sits in a collapsed cell (tagged
`answer`) right after the check; it runs the same check on the reference answer and asserts it
passes, so the notebooks still run top to bottom in CI and the reference answers stay right.

>>> ok = check("2 + 3", 5, 5)
right: 2 + 3 = 5
>>> bool(ok)
True
>>> ok = check("2 + 3", 6, 5, hint="add the two numbers")
not yet: 2 + 3 is not 6.  Hint: add the two numbers
>>> bool(ok)
False
>>> ok = check("2 + 3", ..., 5, hint="add the two numbers")
open: replace the ... in the exercise cell with your answer and run it again.  Hint: add the two numbers
>>> ok = check("the partial derivatives", [1, 2.0000001], [1, 2.0000000004], tol=1e-6)
right: the partial derivatives = [1, 2]
>>> ok = check("a word", "add", "add")
right: a word = 'add'
"""

import math


def _close(yours, expected, tol):
    if isinstance(expected, (list, tuple)):
        return (isinstance(yours, (list, tuple)) and len(yours) == len(expected)
                and all(_close(a, b, tol) for a, b in zip(yours, expected)))
    if isinstance(expected, bool) or isinstance(expected, str):
        return yours == expected
    try:
        return math.isclose(float(yours), float(expected), rel_tol=tol, abs_tol=tol * 1e-3)
    except (TypeError, ValueError):
        return False


def _show(value):
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:.9g}"
    return repr(value)


class Checked:
    """The outcome of a check: true when right. Shows nothing as a cell's last value (the message is printed)."""

    def __init__(self, right):
        self.right = right

    def __bool__(self):
        return self.right

    def __repr__(self):
        return f"Checked(right={self.right})"

    def _ipython_display_(self):
        pass


def check(question, yours, expected, *, hint="", tol=1e-6):
    """Print whether `yours` answers `question` (numbers to a relative `tol`); return True if so.

    `yours` is `...` while the exercise is open. Never raises: a wrong answer is a message.
    """
    tail = f"  Hint: {hint}" if hint else ""
    if yours is Ellipsis:
        print(f"open: replace the ... in the exercise cell with your answer and run it again.{tail}")
        return Checked(False)
    if _close(yours, expected, tol):
        print(f"right: {question} = {_show(expected)}")
        return Checked(True)
    print(f"not yet: {question} is not {_show(yours)}.{tail}")
    return Checked(False)
