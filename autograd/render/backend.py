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
from typing import Optional

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


def _probe(path: str) -> Optional[Backend]:
    """Run `path -V` and `path -T?`; None when the program does not run like dot."""
    import subprocess  # only when drawing: keeps `import autograd` light

    try:
        version = subprocess.run([path, "-V"], capture_output=True, timeout=20, check=False)
        listing = subprocess.run([path, "-T?"], capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    text = (version.stderr + version.stdout).decode("utf-8", "replace")
    match = re.search(r"version\s+(\S+)", text)
    if version.returncode != 0 or match is None:
        return None
    # dot answers an unknown -T with the list of the formats it can write.
    listed = (listing.stderr + listing.stdout).decode("utf-8", "replace").partition("Use one of:")[2]
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
        backend = _probe(path) if path else None
        if backend is None:
            raise GraphvizNotFoundError(
                f"{where}: {ENV_VAR}={chosen!r} is not a program that runs like Graphviz's dot "
                f"({'not found' if path is None else path + ' -V failed'}); unset it or {INSTALL_HINT}"
            )
    else:
        backend = None
        for path in [shutil.which("dot")] + _pip_candidates():
            backend = _probe(path) if path else None
            if backend is not None:
                break
        if backend is None:
            raise GraphvizNotFoundError(
                f"{where}: no program to draw the graph: neither Graphviz's 'dot' nor 'graphviz-pure' "
                f"was found on PATH or next to {sys.executable}; {INSTALL_HINT}"
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


def run(dot_text: str, fmt: str, *, timeout: float, where: str) -> bytes:
    """Run the backend on `dot_text`; the picture's bytes in format `fmt`.

    The layout limits for the graph's size are added if the text lacks them (`layout.py`).
    `where` starts every error message (the operation and the user's file name).
    """
    import subprocess

    from autograd.render.layout import with_budget  # DOT text not made by to_dot (the explorer's)

    dot_text = with_budget(dot_text)
    backend = find_backend(where)
    if fmt not in backend.formats:
        raise ValueError(
            f"{where}: {backend.name} cannot write {fmt!r}; it writes {', '.join(backend.formats)}"
            + (" (for pdf install Graphviz: apt-get/brew/conda install graphviz)" if fmt == "pdf" else "")
        )
    try:
        done = subprocess.run(
            [backend.path, f"-T{fmt}"], input=dot_text.encode("utf-8"), capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise TimeoutError(
            f"{where}: {backend.name} took longer than {timeout} s; draw a smaller graph "
            f"(collapse='neuron', max_nodes=...) or pass a larger timeout="
        ) from None
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        raise RuntimeError(f"{where}: {backend.name} {backend.version} failed: {message}")
    return done.stdout
