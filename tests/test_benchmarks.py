"""The benchmarks keep running: `python -m benchmarks --quick` in a subprocess, its JSON checked.

Only what the run computed is asserted (sizes, that every timing is a positive number, memory
per op, the refcount result), never how fast it was: speed is reported, not tested.
"""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_quick_benchmark_run_writes_its_table_and_json(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--repeats", "1", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    for workload in ("W1", "W2", "W3", "W3b", "W4"):
        assert workload in done.stdout
    results = json.loads(out.read_text())
    assert results["quick"] is True and results["W1"]["n_ops"] > 0
    for key in ("float_s", "dagrad_s", "dagrad_gc_off_s"):
        assert results["W1"][key] > 0
    assert results["W2"]["dagrad_s"] > 0 and results["W2"]["tape_s"] > 0 and results["W2"]["tape_ops"] > 0
    assert results["W3"]["dagrad_s"] > 0  # the chain completed at the default recursion limit
    assert results["W3"]["recursion_limit"] == 1000
    assert results["W3b"]["n_ops"] == 100_000 and results["W3b"]["dagrad_s"] > 0
    w4 = results["W4"]
    assert 0 < w4["dagrad_bytes_per_op"] < 1000 and w4["dagrad_freed_without_gc"] is True
