"""Toy datasets as plain Python lists, seeded with `random.Random(seed)`; no numpy needed.

Each generator returns `(X, y)`: X a list of `[x1, x2, ...]` float lists, y a list of int class
labels 0..k-1, shuffled. For hinge loss (targets -1/+1) convert binary labels with `to_signed`.
"""

from __future__ import annotations

import math
import numbers
import random

__all__ = ["xor", "make_moons", "make_circles", "make_spirals", "make_blobs", "train_test_split", "to_signed"]


def _check_n(where: str, n, minimum: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < minimum:
        raise ValueError(f"{where}: n must be an integer >= {minimum}, got {n!r}")
    return int(n)


def _check_noise(where: str, noise) -> float:
    # The ignore: typeshed's numbers.Real declares __lt__ and __le__ but no __ge__
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not noise >= 0 or math.isinf(noise):  # type: ignore[operator]
        raise ValueError(f"{where}: noise must be a finite number >= 0, got {noise!r}")
    return float(noise)


def _shuffled(X: list, y: list, rng: random.Random) -> tuple:
    order = list(range(len(X)))
    rng.shuffle(order)
    return [X[i] for i in order], [y[i] for i in order]


def _split_evenly(n: int, parts: int) -> list:
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]


def xor() -> tuple:
    """The four XOR points and labels (not shuffled).

    >>> xor()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    """
    return [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0]


def to_signed(y) -> list:
    """Binary labels 0/1 as -1/+1 (what `hinge_loss` expects); -1/+1 pass through.

    >>> to_signed([0, 1, 1])
    [-1, 1, 1]
    """
    out = []
    for i, label in enumerate(y):
        if label in (0, 1):
            out.append(2 * int(label) - 1)
        elif label == -1:
            out.append(-1)
        else:
            raise ValueError(f"to_signed: labels must be 0/1 (or -1/+1), got y[{i}] = {label!r}")
    return out


def make_moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple:
    """Two interleaving half circles (as scikit-learn's make_moons), with Gaussian noise.

    The upper moon is label 0 (ceil(n/2) points), the lower one label 1.

    >>> X, y = make_moons(10, seed=0)
    >>> len(X), sorted(set(y)), X == make_moons(10, seed=0)[0]
    (10, [0, 1], True)
    """
    n = _check_n("make_moons", n, 2)
    noise = _check_noise("make_moons", noise)
    rng = random.Random(seed)
    n_upper, n_lower = _split_evenly(n, 2)
    X, y = [], []
    for count, label in ((n_upper, 0), (n_lower, 1)):
        for i in range(count):
            angle = math.pi * i / max(count - 1, 1)
            if label == 0:
                point = [math.cos(angle), math.sin(angle)]
            else:
                point = [1.0 - math.cos(angle), 0.5 - math.sin(angle)]
            X.append([c + rng.gauss(0.0, noise) for c in point])
            y.append(label)
    return _shuffled(X, y, rng)


def make_circles(n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int = 0) -> tuple:
    """A circle of radius `factor` (label 1) inside the unit circle (label 0), with noise.

    >>> X, y = make_circles(8, noise=0.0, seed=0)
    >>> sorted({round(math.hypot(*x), 9) for x in X})
    [0.5, 1.0]
    """
    n = _check_n("make_circles", n, 2)
    noise = _check_noise("make_circles", noise)
    if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not 0 < factor < 1:
        raise ValueError(f"make_circles: factor must lie in (0, 1), got {factor!r}")
    rng = random.Random(seed)
    X, y = [], []
    for count, radius, label in zip(_split_evenly(n, 2), (1.0, float(factor)), (0, 1)):
        for i in range(count):
            angle = 2 * math.pi * i / count
            X.append(
                [radius * math.cos(angle) + rng.gauss(0.0, noise), radius * math.sin(angle) + rng.gauss(0.0, noise)]
            )
            y.append(label)
    return _shuffled(X, y, rng)


def make_spirals(n: int = 100, classes: int = 2, noise: float = 0.2, seed: int = 0) -> tuple:
    """`classes` interleaved spiral arms (CS231n's toy data), n points in all, radius up to 1.
    `noise` is the standard deviation of the angle (radians).

    >>> X, y = make_spirals(9, classes=3, seed=0)
    >>> [y.count(k) for k in range(3)], max(math.hypot(*x) for x in X) <= 1.0
    ([3, 3, 3], True)
    """
    n = _check_n("make_spirals", n, 2)
    classes = _check_n("make_spirals", classes, 2)
    noise = _check_noise("make_spirals", noise)
    rng = random.Random(seed)
    X, y = [], []
    for label, count in enumerate(_split_evenly(n, classes)):
        for i in range(count):
            radius = i / max(count - 1, 1)
            angle = label * 2 * math.pi / classes + 4.0 * radius + rng.gauss(0.0, noise)
            X.append([radius * math.sin(angle), radius * math.cos(angle)])
            y.append(label)
    return _shuffled(X, y, rng)


def make_blobs(
    n: int = 100, centers=3, std: float = 1.0, dim: int = 2, box: tuple = (-10.0, 10.0), seed: int = 0
) -> tuple:
    """Gaussian blobs: `centers` is a count (centres drawn uniformly in `box` per coordinate) or
    a list of centre points; label k is the k-th centre.

    >>> X, y = make_blobs(6, centers=[[0.0, 0.0], [5.0, 5.0]], std=0.0, seed=0)
    >>> sorted(map(tuple, X))
    [(0.0, 0.0), (0.0, 0.0), (0.0, 0.0), (5.0, 5.0), (5.0, 5.0), (5.0, 5.0)]
    """
    n = _check_n("make_blobs", n)
    std = _check_noise("make_blobs", std)
    rng = random.Random(seed)
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        dim = _check_n("make_blobs", dim)
        low, high = box
        points = [[rng.uniform(low, high) for _ in range(dim)] for _ in range(_check_n("make_blobs", centers))]
    else:
        points = [[float(c) for c in centre] for centre in centers]
        if not points or len({len(p) for p in points}) != 1:
            raise ValueError(
                f"make_blobs: centers must be a count or a non-empty list of equal-length points, got {centers!r}"
            )
    X, y = [], []
    for label, count in enumerate(_split_evenly(n, len(points))):
        for _ in range(count):
            X.append([c + rng.gauss(0.0, std) for c in points[label]])
            y.append(label)
    return _shuffled(X, y, rng)


def train_test_split(X, y, test_fraction: float = 0.25, seed: int = 0) -> tuple:
    """Shuffle and split into `(X_train, X_test, y_train, y_test)` (scikit-learn's order).
    The test part has round(test_fraction * n) samples, at least 1 and at most n - 1.

    >>> X_train, X_test, y_train, y_test = train_test_split([[0], [1], [2], [3]], [0, 1, 2, 3], 0.25, seed=0)
    >>> len(X_train), len(X_test), sorted(y_train + y_test)
    (3, 1, [0, 1, 2, 3])
    """
    X, y = list(X), list(y)
    if len(X) != len(y):
        raise ValueError(f"train_test_split: X has {len(X)} samples but y has {len(y)}")
    if len(X) < 2:
        raise ValueError(f"train_test_split: needs at least 2 samples, got {len(X)}")
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, numbers.Real) or not 0 < test_fraction < 1:
        raise ValueError(f"train_test_split: test_fraction must lie in (0, 1), got {test_fraction!r}")
    n_test = min(max(round(test_fraction * len(X)), 1), len(X) - 1)
    order = list(range(len(X)))
    random.Random(seed).shuffle(order)
    test, train = order[:n_test], order[n_test:]
    return [X[i] for i in train], [X[i] for i in test], [y[i] for i in train], [y[i] for i in test]
