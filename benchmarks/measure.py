"""Measuring the workloads W1-W4 and W3b in this process: each `wN` fills `results[name]` with
the timings of dagrad and of its baselines (plain floats; micrograd and PyTorch when installed).
"""

from __future__ import annotations

import gc
import math
import statistics
import sys
import time
import tracemalloc
import weakref

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
