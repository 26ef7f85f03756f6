"""Writing files so that a crash never leaves half of one: `autograd.write_atomically`, public,
used by `render`, the explorer's pages and `nn`'s save (and by anyone saving results)."""

from __future__ import annotations

import os
from typing import Union

__all__ = ["write_atomically", "check_file_path"]


def check_file_path(where: str, path: Union[str, os.PathLike]) -> str:
    """`path` as a string, or IsADirectoryError naming `where` when it is an existing directory
    (a file cannot replace it), so a caller can refuse before doing the work.

    >>> import tempfile
    >>> check_file_path("render", tempfile.gettempdir())
    Traceback (most recent call last):
    ...
    IsADirectoryError: render: ... is a directory; give a file path (such as .../graph.svg)
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        example = os.path.join(path, "graph" + (os.path.splitext(path)[1] or ".svg"))
        raise IsADirectoryError(f"{where}: {path} is a directory; give a file path (such as {example})")
    return path


def write_atomically(path: Union[str, os.PathLike], data: Union[bytes, str], *, where: str = "write_atomically") -> str:
    """Write `data` (bytes, or text as UTF-8) to `path` completely or not at all; return the path.

    The data goes to a temporary file in the same directory, is flushed to disk, and is then
    renamed over `path` (an atomic step), so readers see the old file or the new one, never a
    part. The directory is created if missing; the file gets the mode a plain `open()` gives.
    An existing directory at `path` is an IsADirectoryError naming `where` (the caller).

    >>> import os, tempfile
    >>> from autograd import write_atomically
    >>> path = write_atomically(os.path.join(tempfile.mkdtemp(), "note.txt"), "hello")
    >>> open(path).read()
    'hello'
    """
    path = check_file_path(where, path)
    try:
        return _write(path, data)
    except OSError as error:
        # The failing call may have named the temporary file; the user knows only `path`.
        if error.errno is None:
            raise
        raise type(error)(error.errno, error.strerror, path) from error


def _write(path: str, data) -> str:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    import tempfile  # only when writing: keeps `import autograd` light

    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.splitext(path)[1])
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
