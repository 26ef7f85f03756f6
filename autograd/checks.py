"""The argument checks every public function uses, so that errors mean the same everywhere:
a wrong TYPE is a `TypeError`, a wrong VALUE (right type, out of range) a `ValueError`, and
both name the function, the argument and what was given.

>>> check_integer("fit", "epochs", 3, minimum=1)
3
>>> check_integer("fit", "epochs", "3", minimum=1)
Traceback (most recent call last):
...
TypeError: fit: epochs must be a positive integer, got str: '3'
>>> check_real("SGD", "lr", -1.0, low=0.0)
Traceback (most recent call last):
...
ValueError: SGD: lr must be a finite number >= 0, got -1.0
"""

from __future__ import annotations

import math
import numbers
from typing import Optional

__all__ = [
    "check_integer",
    "check_real",
    "check_choice",
    "check_format_spec",
    "is_real",
    "as_float",
    "too_large_for_float",
]


def is_real(value) -> bool:
    """A real number: int, float, bool, fractions, decimals, and numpy's real scalars (numpy's
    bool is no `numbers.Real`, yet `Value(np.bool_(True))` should work as `Value(True)` does).

    >>> is_real(2), is_real(0.5), is_real(True), is_real("2"), is_real(1j)
    (True, True, True, False, False)
    """
    if isinstance(value, numbers.Real):
        return True
    return (
        type(value).__module__ == "numpy"
        and getattr(value, "shape", None) == ()
        and getattr(value, "dtype", None) is not None
        and value.dtype.kind in "biuf"
    )


def _is_real(value) -> bool:
    """A real number other than a bool (of Python's or numpy's)."""
    return is_real(value) and not isinstance(value, bool) and not (hasattr(value, "dtype") and value.dtype.kind == "b")


def too_large_for_float(value) -> str:
    """What a number too large for a float is, said without printing its hundreds of digits.

    >>> too_large_for_float(10**400)
    'an integer of 401 digits'
    """
    if isinstance(value, numbers.Integral):
        try:
            return f"an integer of {len(str(abs(int(value))))} digits"
        except ValueError:  # more digits than Python converts to text (sys.get_int_max_str_digits)
            return f"an integer of {int(value).bit_length()} bits"
    return f"{type(value).__name__} {str(value)[:40]}"


def as_float(where: str, value) -> float:
    """`float(value)` for a real number; one too large for a float (an int of hundreds of digits)
    is an OverflowError naming `where` and the number, not Python's bare "int too large".

    >>> as_float("Value(data)", 10**400)
    Traceback (most recent call last):
    ...
    OverflowError: Value(data): an integer of 401 digits is too large for a float
    """
    try:
        return float(value)
    except OverflowError:
        raise OverflowError(f"{where}: {too_large_for_float(value)} is too large for a float") from None


def check_integer(where: str, name: str, value, *, minimum: Optional[int] = None, allow_none: bool = False):
    """`value` as an int: TypeError unless it is an integer (bool is not), ValueError below `minimum`."""
    if value is None and allow_none:
        return None
    kind = "a positive integer" if minimum == 1 else "an integer" if minimum is None else f"an integer >= {minimum}"
    kind += " or None" if allow_none else ""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where}: {name} must be {kind}, got {type(value).__name__}: {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{where}: {name} must be {kind}, got {value!r}")
    return int(value)


def check_real(
    where: str,
    name: str,
    value,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    high_open: bool = False,
    finite: bool = True,
    allow_none: bool = False,
):
    """`value` as a float: TypeError unless it is a real number (bool is not), ValueError when it
    is not finite (with `finite`) or outside [low, high] (or [low, high) with `high_open`)."""
    if value is None and allow_none:
        return None
    none = " or None" if allow_none else ""
    if not _is_real(value):
        raise TypeError(
            f"{where}: {name} must be a {'finite ' if finite else ''}number{none}, got {type(value).__name__}: {value!r}"
        )
    try:
        number = float(value)
    except OverflowError:  # an int of hundreds of digits: too large for a float, so not finite
        number = math.inf if value > 0 else -math.inf
        if finite:
            raise ValueError(
                f"{where}: {name} must be a finite number{none}, got {too_large_for_float(value)}"
            ) from None
    if finite and not math.isfinite(number):
        raise ValueError(f"{where}: {name} must be a finite number{none}, got {value!r}")
    if number < low or number > high or (high_open and number == high):
        if high == math.inf:
            rule = f"be a {'finite ' if finite else ''}number >= {low:g}{none}"
        else:
            rule = f"lie in [{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{where}: {name} must {rule}, got {value!r}")
    return number


def check_choice(where: str, name: str, value, choices):
    """`value` if it is one of `choices`; else ValueError listing them (TypeError if unhashable)."""
    try:
        ok = value in choices
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(f"{where}: unknown {name} {value!r}; choose one of {', '.join(map(repr, choices))}")
    return value


def check_format_spec(where: str, name: str, value, *, allow_callable: bool = False):
    """`value` if it is a format spec for floats (".4g"), or with `allow_callable` a callable;
    TypeError for another type, ValueError for a spec `format` rejects.

    >>> check_format_spec("to_dot", "number_format", ".3f")
    '.3f'
    >>> check_format_spec("to_dot", "number_format", "q")
    Traceback (most recent call last):
    ...
    ValueError: to_dot: invalid number_format 'q' (try '.4g' or '.6f')
    """
    if allow_callable and callable(value):
        return value
    if not isinstance(value, str):
        kind = "a format spec such as '.4g'" + (" or a callable" if allow_callable else "")
        raise TypeError(f"{where}: {name} must be {kind}, got {type(value).__name__}: {value!r}")
    try:
        format(1.5, value)
    except ValueError:
        raise ValueError(f"{where}: invalid {name} {value!r} (try '.4g' or '.6f')") from None
    return value
