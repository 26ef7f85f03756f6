"""The table and the messages of a report."""

from __future__ import annotations

from autograd import Op
from autograd.testing.gradcheck.arguments import MODE_NAMES


def _table(rows) -> str:
    header = ("", "derivative", "input", "value", "analytic", "numeric", "abs error", "rel error")
    body = [
        (
            "FAIL" if r.failed else ("kink" if r.kink is not None else ""),
            r.name,
            r.input_name,
            f"{r.input_value:.6g}",
            f"{r.analytic:.10g}",
            f"{r.numeric:.10g}",
            f"{r.abs_error:.3g}",
            f"{r.rel_error:.3g}",
        )
        for r in rows
    ]
    widths = [max(len(line[c]) for line in [header] + body) for c in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in [header] + body)


def _kind(order, mode, show_mode) -> str:
    kind = {1: "first derivatives", 2: "second derivatives"}.get(order, f"order-{order} derivatives")
    return f"{kind} ({MODE_NAMES[mode]})" if show_mode else kind


def _notes(rows, eps) -> list:
    notes = []
    for row in rows:
        if row.kink is not None:
            notes.append(f"{row.name}: {row.kink}")
    big = [row for row in rows if row.failed and row.step >= 1e4 * eps]
    if big:
        row = big[0]
        notes.append(
            f"note: steps are relative to |x| (h = eps * max(1, |x|)): {row.input_name} = {row.input_value:.6g} "
            f"moved by {row.step:.3g}; a function that varies on a smaller scale there (sin at 1e11) cannot "
            "be checked by finite differences"
        )
    return notes


def failure_message(where, f, rows, order, mode, show_mode, eps, atol, rtol, faults, checked, fast_row) -> str:
    failures = sum(r.failed for r in rows)
    lines = []
    if fast_row is not None:
        lines.append(
            f"{where}: fast mode: a random projection of the {_kind(order, mode, show_mode)} differs from central "
            f"finite differences (analytic {fast_row.analytic:.10g}, numeric {fast_row.numeric:.10g}); the full table:"
        )
    lines += [
        f"{where}: {failures} of {len(rows)} {_kind(order, mode, show_mode)} differ from central finite differences",
        f"(eps={eps!r}, atol={atol!r}, rtol={rtol!r}; an entry fails when "
        f"|analytic - numeric| > atol + rtol * |numeric|)",
        f"f = {indented(describe(f))}",
    ]
    # The explanation before the table, so the table stays the end of the message.
    if faults:
        lines += [str(fault) for fault in faults]
    elif checked:
        lines.append(
            f"no node at fault: each of the {checked} ops in f's graph, checked alone at the inputs it saw, agrees with "
            "finite differences. The mismatch comes from outside the op table: f may read .data or float() of a Value "
            "(cutting the graph), branch on a value, or be ill-conditioned at this point. To check a function written "
            "on plain floats against a gradient you wrote, use check_vjp(f, grad_f, inputs)."
        )
    lines += _notes(rows, eps)
    lines.append(_table(rows))
    return "\n".join(lines)


def passed_message(where, levels, eps, atol, rtol, show_mode) -> str:
    lines = []
    for order, mode, rows in levels:
        what = _kind(order, mode, show_mode)
        if len(rows) == 1 and not rows[0].wrt:
            lines.append(
                f"{where}: a random projection of the {what} agrees with central finite differences (fast mode)"
            )
        else:
            lines.append(f"{where}: all {len(rows)} {what} agree with central finite differences")
    lines.append(f"(eps={eps!r}, atol={atol!r}, rtol={rtol!r})")
    for _order, _mode, rows in levels:
        lines.append(_table(rows))
        lines += _notes(rows, eps)
    return "\n".join(lines)


def upstream_message(where, f, levels, eps, atol, rtol, show_mode, faults) -> str:
    """f's derivatives agree with finite differences, but a rule ignores its upstream gradient."""
    lines = [
        f"{where}: the derivatives of f agree with central finite differences here, but a rule in f's graph "
        "ignores its upstream gradient, so it is wrong wherever the op is not the output",
        f"f = {indented(describe(f))}",
        *[str(fault) for fault in faults],
    ]
    return "\n".join(lines) + "\n" + passed_message(where, levels, eps, atol, rtol, show_mode)


def describe(f) -> str:
    """How to name f in a message: a function by its qualified name, an op by its op name, a
    Program (or other callable) by its repr, which for a Program is its source."""
    if isinstance(f, Op):
        return f"op {f.name!r}"
    name = getattr(f, "__qualname__", None)
    return name if isinstance(name, str) else repr(f)


def indented(text: str) -> str:
    return text.replace("\n", "\n    ")
