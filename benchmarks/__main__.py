"""Run W1-W4 (and W3b), each in a fresh process, and print ratios against plain floats, micrograd and
PyTorch measured in that same process.

    python -m benchmarks            # full sizes (about a minute or two)
    python -m benchmarks --quick    # small sizes, fewer repeats (a smoke test)
    python -m benchmarks --workload W3   # one workload in this process, its results as JSON

Times are medians of repeated runs with Python's cycle collector ON (as users run), unless a
row says otherwise. Results also go to out/bench.json (or --out).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
import weakref

from autograd.files import write_atomically
from benchmarks import workloads as W


def median_time(fn, repeats: int, setup=None) -> float:
    """Median wall time of fn(state) over `repeats` runs; setup() (untimed) makes the state.
    Whatever fn returns is dropped inside the timed region (freeing a graph is part of the cost)."""
    times = []
    for _ in range(repeats):
        state = setup() if setup else None
        start = time.perf_counter()
        fn(state)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def try_import(name):
    try:
        return __import__(name)
    except ImportError:
        return None


# -- W1 --------------------------------------------------------------------------------------------


def w1(n_ops, repeats, results):
    import autograd

    leaves, program = W.random_program(n_ops)
    row = {"n_ops": n_ops}
    row["float_s"] = median_time(lambda _: W.evaluate_floats(leaves, program), repeats)

    def dagrad_run(_):
        _, out = W.build_graph(autograd.Value, leaves, program)
        out.backward()

    row["dagrad_s"] = median_time(dagrad_run, repeats)
    gc.disable()
    try:
        row["dagrad_gc_off_s"] = median_time(dagrad_run, repeats)
    finally:
        gc.enable()
    mg = try_import("micrograd.engine")
    if mg is not None:
        from micrograd.engine import Value as MValue

        tanh = W.micrograd_tanh(MValue)
        ops = W.value_ops(MValue)
        ops["tanh"] = lambda x, _: tanh(x)

        def micrograd_run(_):
            values = [MValue(x) for x in leaves]
            for name, i, j in program:
                values.append(ops[name](values[i], values[j]))
            values[-1].backward()

        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 10 * n_ops))  # its recursive sort needs it (dagrad: no)
        try:
            row["micrograd_s"] = median_time(micrograd_run, max(1, repeats // 2))
        finally:
            sys.setrecursionlimit(limit)
    results["W1"] = row


# -- W2 --------------------------------------------------------------------------------------------


def dagrad_model(seed=0):
    """The benchmarked network, nn.MLP(2, [16, 16, 1]) (an import error here is a real failure)."""
    import nn

    model = nn.MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=seed)
    return model, model.parameters()


def w2(repeats, results):
    import autograd

    X, y = W.make_moons(100)
    row = {"batch": len(X)}
    model, params = dagrad_model()

    def dagrad_step(_):
        for p in params:
            p.zero_grad()
        loss = autograd.mean([(1 - t * model(x)).relu() for x, t in zip(X, y)])
        loss.backward()
        W.sgd(params)

    row["dagrad_s"] = median_time(dagrad_step, repeats)

    np = try_import("numpy")
    if np is not None:
        start = time.perf_counter()
        tape = autograd.trace(lambda x0, x1, t: (1 - t * model([x0, x1])).relu(), X[0] + [y[0]], params=params)
        row["tape_trace_s"] = time.perf_counter() - start
        XY = np.array([x + [t] for x, t in zip(X, y)])

        def tape_step(_):
            for p in params:
                p.zero_grad()
            tape.loss_and_grad(XY)
            W.sgd(params)

        row["tape_s"] = median_time(tape_step, repeats * 4)
        row["tape_ops"] = len(tape)

    if try_import("micrograd.nn") is not None:
        from micrograd.nn import MLP

        mmodel = MLP(2, [16, 16, 1])

        def micrograd_step(_):
            mmodel.zero_grad()
            scores = [mmodel(x) for x in X]
            loss = sum((1 + -t * s).relu() for t, s in zip(y, scores)) * (1.0 / len(y))
            loss.backward()
            for p in mmodel.parameters():
                p.data -= W.LR * p.grad

        row["micrograd_s"] = median_time(micrograd_step, max(1, repeats // 2))

    torch = try_import("torch")
    if torch is not None:
        torch.manual_seed(0)
        net = torch.nn.Sequential(
            torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1)
        ).double()
        tX, ty = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)

        def torch_step(_):
            net.zero_grad()
            loss = torch.relu(1 - ty * net(tX).squeeze(1)).mean()
            loss.backward()
            with torch.no_grad():
                for p in net.parameters():
                    p -= W.LR * p.grad

        torch_step(None)  # warm-up
        row["torch_s"] = median_time(torch_step, repeats * 4)
        row["torch_threads"] = torch.get_num_threads()
    results["W2"] = row


# -- W3 --------------------------------------------------------------------------------------------


def w3(n, repeats, results):
    import autograd

    row = {"n_ops": n, "recursion_limit": sys.getrecursionlimit()}
    rate_f = 1.0000001

    def float_chain(_):
        y = 1.0
        for _ in range(n):
            y = y * rate_f
        return y

    row["float_s"] = median_time(float_chain, repeats)

    def dagrad_chain(_):
        x = autograd.Value(1.0)
        rate = autograd.Value(rate_f, requires_grad=False)
        y = x
        for _ in range(n):
            y = y * rate
        y.backward()
        assert math.isclose(x.grad, rate_f**n, rel_tol=1e-9)

    row["dagrad_s"] = median_time(dagrad_chain, repeats)

    if try_import("micrograd.engine") is not None:
        from micrograd.engine import Value as MValue

        y = x = MValue(1.0)
        for _ in range(n):
            y = y * rate_f
        try:
            y.backward()
            row["micrograd"] = "ok"
        except RecursionError:
            row["micrograd"] = "RecursionError"
        del x, y
        gc.collect()

    torch = try_import("torch")
    if torch is not None:
        m = min(n, 100_000)  # 0-dim tensors are slow: measure a shorter chain, report per op

        def torch_chain(_):
            x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
            y = x
            for _ in range(m):
                y = y * rate_f
            y.backward()

        row["torch_n_ops"] = m
        row["torch_s"] = median_time(torch_chain, max(1, repeats // 2))
    results["W3"] = row


def w3b(n, repeats, results):
    """W3 as users write it: `y = y * 1.0001 + 0.0001`, numbers in the expression (2 ops a step)."""
    import autograd

    steps = n // 2
    row = {"n_ops": 2 * steps}

    def float_chain(_):
        y = 1.0
        for _ in range(steps):
            y = y * 1.0001 + 0.0001
        return y

    row["float_s"] = median_time(float_chain, repeats)

    def dagrad_chain(_):
        x = autograd.Value(1.0)
        y = x
        for _ in range(steps):
            y = y * 1.0001 + 0.0001
        y.backward()
        assert math.isclose(x.grad, 1.0001**steps, rel_tol=1e-9)

    row["dagrad_s"] = median_time(dagrad_chain, repeats)
    results["W3b"] = row


# -- W4 --------------------------------------------------------------------------------------------


def bytes_per_op(build, n_ops):
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    graph = build()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (after - before) / n_ops, graph


def freed_by_refcounting(holder: list) -> bool:
    """Drop the only reference to a (leaves, output) graph with the cycle collector off."""
    probe = weakref.ref(holder[0][1])
    gc.disable()
    try:
        holder.clear()
        return probe() is None
    finally:
        gc.enable()
        gc.collect()


def w4(n_ops, results):
    import autograd

    leaves, program = W.random_program(n_ops)
    row = {"n_ops": n_ops}
    per_op, graph = bytes_per_op(lambda: W.build_graph(autograd.Value, leaves, program), n_ops)
    row["dagrad_bytes_per_op"] = per_op
    holder = [graph]
    del graph
    row["dagrad_freed_without_gc"] = freed_by_refcounting(holder)
    if try_import("micrograd.engine") is not None:
        from micrograd.engine import Value as MValue

        tanh = W.micrograd_tanh(MValue)
        ops = W.value_ops(MValue)
        ops["tanh"] = lambda x, _: tanh(x)

        def build():
            values = [MValue(x) for x in leaves]
            for name, i, j in program:
                values.append(ops[name](values[i], values[j]))
            return values[:len(leaves)], values[-1]

        per_op, graph = bytes_per_op(build, n_ops)
        row["micrograd_bytes_per_op"] = per_op
        holder = [graph]
        del graph
        row["micrograd_freed_without_gc"] = freed_by_refcounting(holder)
    results["W4"] = row


# -- report ----------------------------------------------------------------------------------------


def table(results) -> str:
    lines = []
    r = results["W1"]
    n = r["n_ops"]
    ns = lambda s, k=n: f"{s / k * 1e9:,.0f} ns/op"  # noqa: E731
    lines.append(f"W1  random DAG, {n:,} ops, forward+backward (target: <= 8x plain floats)")
    lines.append(f"    plain floats (forward only)   {ns(r['float_s'])}")
    lines.append(f"    dagrad                        {ns(r['dagrad_s'])}   {r['dagrad_s'] / r['float_s']:.1f}x floats")
    lines.append(f"    dagrad, cycle collector off   {ns(r['dagrad_gc_off_s'])}   {r['dagrad_gc_off_s'] / r['float_s']:.1f}x floats")
    if "micrograd_s" in r:
        lines.append(f"    micrograd 0.1.0               {ns(r['micrograd_s'])}   {r['micrograd_s'] / r['float_s']:.1f}x floats, "
                     f"dagrad {r['micrograd_s'] / r['dagrad_s']:.1f}x faster (recursion limit raised for it)")
    else:
        lines.append("    micrograd                     not installed")
    r = results["W2"]
    ms = lambda s: f"{s * 1e3:,.2f} ms"  # noqa: E731
    lines.append(f"W2  one SGD step, nn.MLP(2,[16,16,1]), {r['batch']} moons points, hinge loss")
    lines.append("    (targets: scalar >= 10x micrograd; tape <= 3x PyTorch or >= 100x micrograd)")
    mg = r.get("micrograd_s")
    lines.append(f"    micrograd 0.1.0               {ms(mg)}" if mg else "    micrograd                     not installed")
    lines.append(f"    dagrad scalar                 {ms(r['dagrad_s'])}" + (f"   {mg / r['dagrad_s']:.1f}x faster than micrograd" if mg else ""))
    if "tape_s" in r:
        extra = f"   {mg / r['tape_s']:.0f}x faster than micrograd" if mg else ""
        if "torch_s" in r:
            extra += f", {r['tape_s'] / r['torch_s']:.2f}x PyTorch"
        lines.append(f"    dagrad tape ({r['tape_ops']} ops)        {ms(r['tape_s'])}{extra}  (trace once: {ms(r['tape_trace_s'])})")
    else:
        lines.append("    dagrad tape                   numpy not installed")
    lines.append(f"    PyTorch (vectorized, float64) {ms(r['torch_s'])}" if "torch_s" in r else "    PyTorch                       not installed")
    r = results["W3"]
    lines.append(f"W3  chain of {r['n_ops']:,} ops, forward+backward, recursion limit {r['recursion_limit']} (target: <= 50x floats)")
    lines.append(f"    plain floats                  {ns(r['float_s'], r['n_ops'])}")
    lines.append(f"    dagrad                        {ns(r['dagrad_s'], r['n_ops'])}   {r['dagrad_s'] / r['float_s']:.1f}x floats")
    lines.append(f"    micrograd                     {r.get('micrograd', 'not installed')}")
    if "torch_s" in r:
        per = r["torch_s"] / r["torch_n_ops"]
        lines.append(f"    PyTorch 0-dim tensors         {per * 1e9:,.0f} ns/op   {per / (r['float_s'] / r['n_ops']):.0f}x floats "
                     f"(chain of {r['torch_n_ops']:,})")
    r, w3 = results["W3b"], results["W3"]
    per_op, w3_per_op = r["dagrad_s"] / r["n_ops"], w3["dagrad_s"] / w3["n_ops"]
    lines.append(f"W3b chain y = y * 1.0001 + 0.0001 written with numbers, {r['n_ops']:,} ops (target: <= 1.3x W3's cost per op)")
    lines.append(f"    plain floats                  {ns(r['float_s'], r['n_ops'])}")
    lines.append(f"    dagrad                        {per_op * 1e9:,.0f} ns/op   {r['dagrad_s'] / r['float_s']:.1f}x floats, "
                 f"{per_op / w3_per_op:.2f}x W3 per op")
    r = results["W4"]
    lines.append(f"W4  memory of a {r['n_ops']:,}-op graph (tracemalloc; target: <= 250 B/op, freed by refcounting)")
    lines.append(f"    dagrad                        {r['dagrad_bytes_per_op']:.0f} B/op, freed without the cycle collector: "
                 f"{r['dagrad_freed_without_gc']}")
    if "micrograd_bytes_per_op" in r:
        lines.append(f"    micrograd 0.1.0               {r['micrograd_bytes_per_op']:.0f} B/op, freed without the cycle collector: "
                     f"{r['micrograd_freed_without_gc']}")
    return "\n".join(lines)


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"python": platform.python_version(), "platform": platform.platform(), "cpu": cpu, "cores": os.cpu_count()}


WORKLOADS = ("W1", "W2", "W3", "W3b", "W4")


def run_workload(name: str, quick: bool, repeats: int) -> dict:
    """One workload's results, measured in this process."""
    n_ops = 10_000 if quick else 100_000
    results: dict = {}
    if name == "W1":
        w1(n_ops, repeats, results)
    elif name == "W2":
        w2(repeats, results)
    elif name == "W3":
        w3(100_000 if quick else 1_000_000, max(1, repeats - 2), results)
    elif name == "W3b":
        w3b(100_000 if quick else 1_000_000, max(1, repeats - 2), results)
    else:
        w4(n_ops, results)
    return results[name]


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
