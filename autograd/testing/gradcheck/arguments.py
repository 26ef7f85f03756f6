"""Checking the checkers' own arguments, with errors that name the checker and the value."""

from __future__ import annotations

import math
import numbers

from autograd import Value

MODES = ("fwd", "rev")
MODE_NAMES = {"fwd": "forward mode", "rev": "reverse mode"}


def check_arguments(f, inputs, eps, atol, rtol, where: str):
    if not callable(f):
        raise TypeError(f"{where}: f must be callable, got {type(f).__name__}: {f!r}")
    for name, number, allow_zero in (("eps", eps, False), ("atol", atol, True), ("rtol", rtol, True)):
        if isinstance(number, bool) or not isinstance(number, numbers.Real):
            raise TypeError(f"{where}: {name} must be a real number, got {type(number).__name__}: {number!r}")
        if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
            bound = ">= 0" if allow_zero else "> 0"
            raise ValueError(f"{where}: {name} must be finite and {bound}, got {number!r}")
    if isinstance(inputs, (Value, numbers.Real)) and not isinstance(inputs, bool):
        inputs = [inputs]
    elif isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__iter__"):
        raise TypeError(
            f"{where}: inputs must be a sequence of numbers or Values, got {type(inputs).__name__}: {inputs!r}"
        )
    points, names = [], []
    for i, x in enumerate(inputs):
        if isinstance(x, Value):
            data, name = x.data, x.label or f"x{i}"
        elif isinstance(x, numbers.Real) and not isinstance(x, bool):
            data, name = float(x), f"x{i}"
        else:
            raise TypeError(f"{where}: inputs[{i}] must be a number or a Value, got {type(x).__name__}: {x!r}")
        if not math.isfinite(data):
            raise ValueError(f"{where}: inputs[{i}] must be finite, got {data!r}")
        points.append(data)
        names.append(name)
    if not points:
        raise ValueError(f"{where}: inputs is empty; there is nothing to differentiate")
    return points, names


def check_flag(name, value, where):
    if not isinstance(value, bool):
        raise TypeError(f"{where}: {name} must be True or False, got {type(value).__name__}: {value!r}")


def check_order(order, where):
    if isinstance(order, bool) or not isinstance(order, numbers.Integral):
        raise TypeError(f"{where}: order must be an int >= 1, got {type(order).__name__}: {order!r}")
    if order < 1:
        raise ValueError(f"{where}: order must be an int >= 1, got {order!r}")
    return int(order)


def check_modes(modes, where):
    if isinstance(modes, str):
        raise TypeError(
            f"{where}: modes must be a sequence of mode names such as ('fwd', 'rev'), got the string {modes!r}"
        )
    if not hasattr(modes, "__iter__"):
        raise TypeError(
            f"{where}: modes must be a sequence of 'fwd' and/or 'rev', got {type(modes).__name__}: {modes!r}"
        )
    checked = []
    for mode in modes:
        if not isinstance(mode, str):
            raise TypeError(f"{where}: each mode must be 'fwd' or 'rev', got {type(mode).__name__}: {mode!r}")
        if mode not in MODES:
            raise ValueError(f"{where}: unknown mode {mode!r}; the modes are 'fwd' (jvp) and 'rev' (grad)")
        if mode not in checked:
            checked.append(mode)
    if not checked:
        raise ValueError(f"{where}: modes is empty; give 'fwd', 'rev' or both")
    return tuple(checked)


def check_seed(seed, where):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise TypeError(f"{where}: seed must be an int or None, got {type(seed).__name__}: {seed!r}")


def check_directions(directions, fast, where):
    if isinstance(directions, bool) or not isinstance(directions, numbers.Integral):
        raise TypeError(f"{where}: directions must be an int >= 1, got {type(directions).__name__}: {directions!r}")
    if directions < 1:
        raise ValueError(f"{where}: directions must be an int >= 1, got {directions!r}")
    if directions != 1 and not fast:
        raise ValueError(
            f"{where}: directions={directions!r} counts fast mode's random projections; pass fast=True "
            "too (without it every entry is checked)"
        )
