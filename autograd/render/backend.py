"""Which program turns DOT text into a picture, and running it.

Order: the program named by the environment variable `DAGRAD_DOT`, if set; else Graphviz's own
`dot` on PATH; else `graphviz-pure`, the pip-installed port of `dot` that comes with dagrad. The
pip one is looked for next to the running Python too, because a virtual environment's `bin`
is not always on PATH (a Jupyter kernel started from a venv, `.venv/bin/python script.py`).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import sysconfig
from dataclasses import dataclass
from typing import Callable, Optional

__all__ = ["Backend", "GraphvizNotFoundError", "find_backend", "render_backend", "run"]

ENV_VAR = "DAGRAD_DOT"
PIP_PROGRAM = "graphviz-pure"
# The formats dagrad offers, when the program can write them; "dot" is the DOT text itself.
OFFERED = ("svg", "png", "pdf", "jpeg", "dot")

INSTALL_HINT = (
    "install one of: 'pip install graphviz-pure' (comes with 'pip install dagrad'; no system "
    "package needed), or Graphviz itself ('apt-get install graphviz', 'brew install graphviz', "
    "'conda install graphviz'), or set DAGRAD_DOT to the path of a dot program; "
    "autograd.to_dot(value) gives the DOT text without any program"
)


class GraphvizNotFoundError(RuntimeError):
    """No program that turns DOT text into a picture could run (see `render_backend`)."""


@dataclass(frozen=True)
class Backend:
    """A dot-compatible program that runs: its path, name, version and output formats."""

    path: str
    name: str
    version: str
    formats: tuple

    def describe(self) -> str:
        return f"{self.name} {self.version} ({self.path})"


_cache: dict = {}


def _pip_candidates() -> list:
    """Where pip puts graphviz-pure's command: PATH, next to this Python, the scripts folders."""
    exe = PIP_PROGRAM + (".exe" if os.name == "nt" else "")
    folders = [os.path.dirname(sys.executable), sysconfig.get_path("scripts")]
    try:
        folders.append(sysconfig.get_path("scripts", f"{os.name}_user"))
    except KeyError:  # a scheme this Python does not have
        pass
    found = [shutil.which(PIP_PROGRAM)]
    found += [os.path.join(folder, exe) for folder in folders if folder]
    unique = []
    for path in found:
        if path and os.path.isfile(path) and os.access(path, os.X_OK) and path not in unique:
            unique.append(path)
    return unique


# What a picture file starts with, to tell a dot program's output from anything else it printed.
MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "jpeg": b"\xff\xd8\xff", "pdf": b"%PDF-"}
PROBE_TIMEOUT = 20.0  # seconds for `-V` and `-T?`


class _Timeout(Exception):
    """The program ran longer than its timeout (its whole process group was killed)."""


def _call(args: list, data: bytes = b"", timeout: Optional[float] = None):
    """Run a program; (returncode, stdout, stderr). On a timeout the program and every process
    it started are killed (its own process group), and _Timeout is raised."""
    import subprocess  # only when drawing: keeps `import autograd` light

    timeout = PROBE_TIMEOUT if timeout is None else timeout
    group = os.name == "posix"
    with subprocess.Popen(
        args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=group
    ) as process:
        try:
            out, err = process.communicate(data, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(process, group)
            process.communicate()
            raise _Timeout from None
        except BaseException:  # KeyboardInterrupt included: leave nothing running
            _kill(process, group)
            raise
    return process.returncode, out, err


def _kill(process, group: bool) -> None:
    if group:
        import signal

        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:  # already gone
            pass
    else:
        process.kill()


def _probe(path: str) -> Optional[Backend]:
    """Run `path -V` and `path -T?`; None when the program does not run like dot. A program
    that does not answer within PROBE_TIMEOUT raises _Timeout."""
    try:
        code, out, err = _call([path, "-V"])
        _, listing_out, listing_err = _call([path, "-T?"])
    except OSError:
        return None
    text = (err + out).decode("utf-8", "replace")
    match = re.search(r"version\s+(\S+)", text)
    if code != 0 or match is None:
        return None
    # dot answers an unknown -T with the list of the formats it can write.
    listed = (listing_err + listing_out).decode("utf-8", "replace").partition("Use one of:")[2]
    names = {word.split(":")[0] for word in listed.split()}
    formats = tuple(f for f in OFFERED if f == "dot" or f in names)
    name = os.path.basename(path)
    name = name[:-4] if name.lower().endswith(".exe") else name
    return Backend(path=path, name=name, version=match.group(1), formats=formats)


def find_backend(where: str = "render") -> Backend:
    """The program to use now (cached per DAGRAD_DOT and PATH); raises GraphvizNotFoundError."""
    key = (os.environ.get(ENV_VAR), os.environ.get("PATH"), sys.executable)
    if key in _cache:
        return _cache[key]
    chosen = os.environ.get(ENV_VAR)
    if chosen:
        # An explicit choice that does not work is an error, never a silent fallback.
        path = shutil.which(chosen)
        try:
            backend = _probe(path) if path else None
        except _Timeout:
            raise TimeoutError(
                f"{where}: {ENV_VAR}={chosen!r} ({path}) did not answer '-V' within {PROBE_TIMEOUT:g} s "
                f"(stopped); it does not run like Graphviz's dot: unset it or {INSTALL_HINT}"
            ) from None
        if backend is None:
            raise GraphvizNotFoundError(
                f"{where}: {ENV_VAR}={chosen!r} is not a program that runs like Graphviz's dot "
                f"({'not found' if path is None else path + ' -V failed'}); unset it or {INSTALL_HINT}"
            )
    else:
        backend, hung = None, []
        for path in [shutil.which("dot")] + _pip_candidates():
            try:
                backend = _probe(path) if path else None
            except _Timeout:
                hung.append(path)
                backend = None
            if backend is not None:
                break
        if backend is None:
            stuck = f" ({', '.join(hung)} did not answer '-V' within {PROBE_TIMEOUT:g} s)" if hung else ""
            raise GraphvizNotFoundError(
                f"{where}: no program to draw the graph: neither Graphviz's 'dot' nor 'graphviz-pure' "
                f"was found on PATH or next to {sys.executable}{stuck}; {INSTALL_HINT}"
            )
    _cache[key] = backend
    return backend


def render_backend() -> str:
    """The program that draws graphs here and its version, e.g. 'graphviz-pure 0.2.2 (/venv/bin/graphviz-pure)'.

    Order: the program named by the environment variable DAGRAD_DOT, else Graphviz's `dot` on
    PATH, else the pip-installed `graphviz-pure`. Raises GraphvizNotFoundError (with the ways to
    install one) when none can run.

    >>> import autograd
    >>> autograd.render_backend().split()[0] in ("dot", "graphviz-pure") or "DAGRAD_DOT" in os.environ
    True
    """
    return find_backend("render_backend").describe()


def run(dot_text: str, fmt: str, *, timeout: float, where: str, advice: Optional[Callable[[], str]] = None) -> bytes:
    """Run the backend on `dot_text`; the picture's bytes in format `fmt`.

    The layout limits for the graph's size are added if the text lacks them, and the fonts
    fitted to the format (`layout.py`). `where` starts every error message (the operation and
    the user's file name). On a timeout the program and every process it started are stopped,
    and the TimeoutError ends with `advice()`: what the caller can do (the options it has).
    """
    from autograd.render import layout  # the limits (DOT text not made by to_dot: the explorer's) and fonts

    backend = find_backend(where)
    dot_text = layout.fonts_for(layout.with_budget(dot_text), fmt, backend.name)
    if fmt not in backend.formats:
        raise ValueError(
            f"{where}: {backend.name} cannot write {fmt!r}; it writes {', '.join(backend.formats)}"
            + (" (for pdf install Graphviz: apt-get/brew/conda install graphviz)" if fmt == "pdf" else "")
        )
    try:
        code, out, err = _call([backend.path, f"-T{fmt}"], dot_text.encode("utf-8"), timeout)
    except _Timeout:
        what = advice() if advice is not None else "draw a smaller graph"
        raise TimeoutError(
            f"{where}: {backend.name} took longer than {timeout:g} s to lay out the graph (stopped); {what}"
        ) from None
    if code != 0 or not out:
        message = err.decode("utf-8", "replace").strip() or f"exit status {code}"
        raise RuntimeError(f"{where}: {backend.name} {backend.version} failed: {message}")
    data = _checked(out, fmt, backend, where)
    return layout.svg_fonts(data) if fmt == "svg" else data


def _checked(data: bytes, fmt: str, backend: Backend, where: str) -> bytes:
    """`data` if it looks like a `fmt` file (SVG: UTF-8 text with an <svg> element; PNG, JPEG,
    PDF: their signature), else a RuntimeError: the program printed something else."""
    if fmt == "svg":
        try:
            ok = "<svg" in data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise RuntimeError(
                f"{where}: {backend.describe()} printed SVG that is not UTF-8 text (byte {data[error.start]:#04x} at "
                f"position {error.start}); is it a dot program? (set by {ENV_VAR}, or found on PATH)"
            ) from None
    else:
        ok = fmt not in MAGIC or data.startswith(MAGIC[fmt])
    if not ok:
        raise RuntimeError(
            f"{where}: {backend.describe()} printed something that is not a {fmt} picture "
            f"(it starts {data[:16]!r}); is it a dot program? (set by {ENV_VAR}, or found on PATH)"
        )
    return data
