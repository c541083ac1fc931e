"""Read and write loop YAML files, reporting every problem with its path and line.

The document <-> loop codec lives in :mod:`feedbackloop.model` (no files, no
YAML there); this module adds the files: UTF-8 text, safe YAML with a line map,
atomic writes.
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs

from feedbackloop._util import atomic_write_text, parse_yaml, resolve_confined, write_yaml
from feedbackloop.errors import LoopFileError, Problem
from feedbackloop.io._places import read_places
from feedbackloop.model import FeedbackLoop

__all__ = ["atomic_write_text", "dump_yaml", "load_loop"]


def load_loop(path: str | os.PathLike[str], *, validate: bool = True) -> FeedbackLoop:
    """Load a feedback loop from a YAML file.

    Parameters
    ----------
    path : str or path-like
        The loop file.
    validate : bool
        Also check the graph rules (:meth:`FeedbackLoop.validate`); warnings
        are issued as :class:`~feedbackloop.errors.LoopWarning`.

    Returns
    -------
    FeedbackLoop

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    LoopFileError
        If the document is malformed: every problem, with its path inside the
        document and its line, e.g. ``outcomes[2].horizon (line 31): must be
        one of 3-6, 6-10 (got '5-8')``.
    LoopValidationError
        If ``validate`` and the graph breaks a rule.
    PathNotAllowedError
        If ``places:`` names a CSV file outside the loop's folder and ``data_roots``.

    .. versionchanged:: 0.2.0
       A ``places:`` CSV file is read into :attr:`FeedbackLoop.places`.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"loop file not found: {p}") from None
    except UnicodeDecodeError as err:
        raise LoopFileError(
            str(p), [Problem("", f"not UTF-8 text ({err}); save the file as UTF-8")]
        ) from err
    data, lines = parse_yaml(text, str(p))
    loop = attrs.evolve(
        FeedbackLoop.from_dict(data, source=str(p), lines=lines),
        base_dir=str(p.resolve().parent),
    )
    if loop.places_file is not None:
        table = resolve_confined(
            loop.places_file, base=p.resolve().parent, roots=loop.data_roots, what="places"
        )
        loop = attrs.evolve(loop, places=read_places(table))
    if validate:
        loop.validate()
    return loop


def dump_yaml(loop: FeedbackLoop, path: str | os.PathLike[str] | None = None) -> str:
    """Return ``loop`` as YAML, writing it atomically to ``path`` when given."""
    return write_yaml(loop.to_dict(), path)
