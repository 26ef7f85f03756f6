"""How long gradient checks take: fast mode (one random projection) against the full table.

    python -m benchmarks.gradcheck            # 1,000 inputs, fast mode; full table at 100 and 1,000
    python -m benchmarks.gradcheck --quick    # smaller sizes (a smoke test)

f(x) = sum_i tanh(x_i) * x_i + (sum_i x_i)^2 / n, so every input reaches the output through
its own ops and through a shared n-ary sum. Times are medians of a few runs (seconds).
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import autograd
from autograd.testing import gradcheck


def f(*xs):
    total = autograd.sum(list(xs))
    return autograd.sum([x.tanh() * x for x in xs]) + total * total / len(xs)


def _time(run, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    args = parser.parse_args(argv)
    fast_sizes = (100,) if args.quick else (1000, 10000)
    full_sizes = (30,) if args.quick else (100, 1000)
    repeats = 1 if args.quick else 5
    print(f"{'mode':<6} {'inputs':>7} {'seconds':>9}")
    for n in fast_sizes:
        xs = [math.sin(k) for k in range(n)]
        seconds = _time(lambda: gradcheck(f, xs, fast=True), repeats)
        print(f"{'fast':<6} {n:>7} {seconds:>9.4f}")
    for n in full_sizes:
        xs = [math.sin(k) for k in range(n)]
        seconds = _time(lambda: gradcheck(f, xs), 1 if n > 100 else repeats)
        print(f"{'full':<6} {n:>7} {seconds:>9.4f}")


if __name__ == "__main__":
    main()
