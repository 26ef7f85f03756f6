"""Run W1-W4 and W3b, each in a fresh process, and print ratios against plain floats, micrograd and
PyTorch measured in that same process.

    python -m benchmarks            # full sizes (about a minute or two)
    python -m benchmarks --quick    # small sizes, fewer repeats (a smoke test)
    python -m benchmarks --workload W3   # one workload in this process, its results as JSON

Times are medians of repeated runs with Python's cycle collector ON (as users run), unless a
row says otherwise. Results also go to out/bench.json (or --out).
The workloads are in workloads.py, their measurement in measure.py, the table in report.py.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from autograd import write_atomically
from benchmarks.measure import WORKLOADS, run_workload
from benchmarks.report import machine, table


def run_isolated(name: str, quick: bool, repeats: int) -> dict:
    """One workload in a fresh interpreter, so its numbers do not depend on what ran before it
    (an earlier workload's imports, torch's ~150k objects among them, slow the cycle collector)."""
    command = [sys.executable, "-m", "benchmarks", "--workload", name, "--repeats", str(repeats)]
    if quick:
        command.append("--quick")
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"benchmark {name} failed (exit {done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats (a smoke test)")
    parser.add_argument("--repeats", type=int, default=None, help="runs per measurement (median); default 5, quick 3")
    parser.add_argument("--out", default=os.path.join("out", "bench.json"), help="where to write the JSON results")
    parser.add_argument("--workload", choices=WORKLOADS, help="run only this one, in this process, and print its results as JSON")
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 5)
    if args.workload:
        print(json.dumps(run_workload(args.workload, args.quick, repeats)))
        return
    results = {"machine": machine(), "quick": args.quick, "repeats": repeats}
    info = results["machine"]
    print(f"dagrad benchmarks: Python {info['python']}, {info['cpu']}, {info['cores']} cores; medians of {repeats} runs")
    print("each workload runs in a fresh process")
    for name in WORKLOADS:
        results[name] = run_isolated(name, args.quick, repeats)
    print(table(results))
    text = json.dumps(results, indent=2) + "\n"
    write_atomically(args.out, text)
    print(f"results written to {args.out}")


if __name__ == "__main__":
    main()
