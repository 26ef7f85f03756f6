"""The benchmark table: ratios against the baselines measured in the same process."""

from __future__ import annotations

import os
import platform


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
