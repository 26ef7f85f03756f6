"""How long a picture's layout takes: random long-range DAGs and MLP losses, for each dot program.

    python -m benchmarks.render            # 100, 300, 500, 1000-value DAGs and MLP losses
    python -m benchmarks.render --quick    # the small graphs only (a smoke test)
    python -m benchmarks.render --defaults # also Graphviz's default limits, for comparison (slow)

Each row is one run of the program on the DOT text `to_dot` writes (with the layout limits that
`autograd.render.layout` picks for the graph's size): wall seconds, CPU seconds of the program,
the estimated nodes dot handles ("cost": real + virtual) and the tier. The machine is shared, so
the load average is printed before and after: wall time grows with it, CPU time much less.
Then what the user-facing calls do with the 1,000-value DAG: `render` refuses it (over the
default max_nodes) and the Jupyter display draws the values nearest the output.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import time

from autograd import Value, to_dot
from autograd.render import layout
from autograd.render.view import DEFAULT_MAX_NODES

SIZES = (100, 300, 500, 1000)
QUICK_SIZES = (100,)


def long_range_dag(n: int, seed: int = 0) -> Value:
    """A random DAG of `n` values: each add or mul uses the value before it and one chosen
    uniformly among all earlier ones (so its edges reach back far), each tanh the value before.

    >>> root = long_range_dag(50); root.backward()
    >>> from autograd.engine import topological_order
    >>> len(topological_order(root))
    50
    """
    rng = random.Random(seed)
    values = [Value(rng.uniform(-1, 1), label=f"x{i}") for i in range(4)]
    while len(values) < n:
        op, last = rng.choice(("add", "mul", "tanh")), values[-1]
        if op == "tanh":
            values.append(last.tanh())
        else:
            other = rng.choice(values[:-1])
            values.append(last + other if op == "add" else last * other)
    return values[-1]


def mlp_loss(width: int, batch: int = 1) -> Value:
    """The squared-error loss of nn.MLP(2, [width, width, 1]) on `batch` points (a layered graph)."""
    import nn

    model = nn.MLP(2, [width, width, 1], seed=0)
    loss = sum(((model([0.5 - 0.1 * k, -0.3 + 0.2 * k]) - 1.0) ** 2 for k in range(batch)), Value(0.0))
    return loss


def programs() -> list:
    """(name, path) of each dot program present: Graphviz's `dot` and the pip-installed graphviz-pure."""
    found = []
    dot = shutil.which("dot")
    if dot:
        found.append(("dot", dot))
    beside = os.path.join(os.path.dirname(sys.executable), "graphviz-pure")
    pure = shutil.which("graphviz-pure") or (beside if os.path.exists(beside) else None)
    if pure:
        found.append(("graphviz-pure", pure))
    return found


def _version(path: str) -> str:
    done = subprocess.run([path, "-V"], capture_output=True, text=True, check=False)
    return (done.stderr + done.stdout).strip().splitlines()[0] if done.returncode == 0 else path


def time_layout(program: str, dot_text: str, timeout: float) -> tuple:
    """(wall seconds, CPU seconds) of `program -Tsvg` on dot_text; (None, None) past the timeout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        subprocess.run(
            [program, "-Tsvg"], input=dot_text.encode("utf-8"), capture_output=True, timeout=timeout, check=True
        )
    except subprocess.TimeoutExpired:
        return None, None
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def graphs(quick: bool) -> list:
    """(name, root) of the graphs measured, each after backward()."""
    chosen = [(f"random long-range DAG, {n} values", long_range_dag(n)) for n in (QUICK_SIZES if quick else SIZES)]
    chosen.append(("MLP(2,[16,16,1]) loss, 1 point", mlp_loss(16)))
    if not quick:
        chosen.append(("MLP(2,[8,8,1]) loss, 4 points", mlp_loss(8, batch=4)))
    for _, root in chosen:
        root.backward()
    return chosen


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


def _seconds(wall, cpu, timeout) -> str:
    return f"> {timeout:.0f} s (timed out)" if wall is None else f"{wall:6.2f} s wall {cpu:6.2f} s CPU"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.render", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the small graphs only")
    parser.add_argument("--defaults", action="store_true", help="also lay out with Graphviz's default limits (slow)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a layout is given up")
    args = parser.parse_args(argv)
    found = programs()
    print(f"layout time of to_dot's text; {_load()}")
    if not found:
        print("no dot program found: pip install graphviz-pure")
        return
    measured = graphs(args.quick)
    for _name, path in found:
        print(f"\n{_version(path)} ({path})")
        for title, root in measured:
            text = to_dot(root)
            cost = layout.layout_cost(text)
            wall, cpu = time_layout(path, text, args.timeout)
            print(
                f"  {title:36} {_seconds(wall, cpu, args.timeout)}   cost {cost:7,}  {layout.budget(text)}", flush=True
            )
            if args.defaults:
                plain = "".join(
                    line + "\n"
                    for line in text.splitlines()
                    if not line.startswith(("\t" + layout.MARKER, "\tgraph [nslimit"))
                )
                wall, cpu = time_layout(path, plain, min(args.timeout, 60.0))
                print(
                    f"  {'  same, Graphviz default limits':36} {_seconds(wall, cpu, min(args.timeout, 60.0))}",
                    flush=True,
                )
    if not args.quick:
        _user_facing(measured)
    print(f"\n{_load()}")


def _user_facing(measured: list) -> None:
    """What `render`, the Jupyter display and `explore` do with the random DAGs, at their
    default max_nodes: draw (in how long), draw part, or refuse (in how long)."""
    import re
    import tempfile

    from autograd import explore, render
    from autograd.render import GraphTooLargeError, repr_mimebundle

    print(f"\nwhat users get, default limits (render/display: max_nodes={DEFAULT_MAX_NODES}; explore: 150 values):")
    folder = tempfile.mkdtemp()
    for title, root in measured:
        if not title.startswith("random"):
            continue
        n = title.rsplit(", ", 1)[1]
        start = time.perf_counter()
        try:
            render(root, os.path.join(folder, "graph.svg"))
            done = f"drawn in {time.perf_counter() - start:.2f} s"
        except GraphTooLargeError:
            done = f"refused in {time.perf_counter() - start:.2f} s (GraphTooLargeError says what to pass)"
        start = time.perf_counter()
        bundle = repr_mimebundle(root)
        seconds = time.perf_counter() - start
        part = re.search(r"shows the (\d+) nearest", bundle["text/plain"])
        shown = f"{part.group(1)} values nearest the output" if part else "all of it"
        print(f"  {n:11} render: {done}; Jupyter display: {shown} in {seconds:.2f} s")
    start = time.perf_counter()
    ex = explore(long_range_dag(150))
    print(
        f"  explore(random long-range DAG, 150 values): {len(ex.frames)} frames, laid out and built in {time.perf_counter() - start:.2f} s"
    )


if __name__ == "__main__":
    main()
