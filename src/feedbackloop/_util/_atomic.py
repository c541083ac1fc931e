"""Atomic writes: a temporary file in the target's folder, then one rename.

A reader never sees half a file, and an interrupted writer leaves the old file
intact (and no temporary file behind).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "file_mode"]


def file_mode(target: Path) -> int:
    """Return the permission bits for a new ``target``: its current ones, else 0666 - umask."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mask = os.umask(0o022)
        os.umask(mask)
        return 0o666 & ~mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, parents: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    Whatever the block writes to the yielded path becomes ``path`` in one
    rename when the block ends without an exception; otherwise the temporary
    file is removed and ``path`` is left as it was.

    Parameters
    ----------
    path : str or path-like
        The file to write.
    parents : bool
        Create missing parent folders first.
    """
    target = Path(path)
    if parents:
        target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        # mkstemp creates the file private (0600); give it the mode a plain open() would
        # (or the mode of the file it replaces), so a written report can be shared as usual.
        os.chmod(tmp, file_mode(target))
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, parents: bool = False) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, then rename)."""
    with atomic_path(path, parents=parents) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` atomically as UTF-8 with Unix line ends."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
