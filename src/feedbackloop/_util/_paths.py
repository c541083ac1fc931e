"""Confine the files a loop document names to the folders its author allowed."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from feedbackloop.errors import PathNotAllowedError

__all__ = ["resolve_confined"]


def resolve_confined(
    path: str | os.PathLike[str],
    *,
    base: str | os.PathLike[str],
    roots: Iterable[str | os.PathLike[str]] = (),
    what: str,
) -> Path:
    """Resolve ``path`` against ``base`` and check it lies inside ``base`` or one of ``roots``.

    Symbolic links and ``..`` are resolved before the check, so neither can
    lead outside. Nothing is opened: a refused path is never read.

    Parameters
    ----------
    path : str or path-like
        The path as written in the document (relative to ``base``, or absolute).
    base : str or path-like
        The loop's folder: always allowed.
    roots : iterable of path-like
        Further folders allowed (the loop's ``data_roots:``, ``--allow-path``);
        relative ones resolve against ``base``.
    what : str
        What names the path in the document, for the message
        (``indicators[2].source.path``).

    Returns
    -------
    pathlib.Path
        The resolved path.

    Raises
    ------
    PathNotAllowedError
        If the resolved path is outside every allowed folder.
    """
    base_dir = Path(base).expanduser().resolve()
    allowed = [base_dir, *((base_dir / Path(r).expanduser()).resolve() for r in roots)]
    target = (base_dir / Path(path).expanduser()).resolve()
    if any(target == root or target.is_relative_to(root) for root in allowed):
        return target
    raise PathNotAllowedError(os.fspath(path), what=what, allowed=[str(a) for a in allowed])
