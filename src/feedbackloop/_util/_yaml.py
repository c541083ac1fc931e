"""YAML in and out: safe parsing with a map of document paths to lines, and the house layout."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import yaml

from feedbackloop._util._atomic import atomic_write_text
from feedbackloop.errors import LoopFileError, Problem

__all__ = ["DocPath", "format_path", "line_of", "locate", "parse_yaml", "write_yaml"]

#: A place in a document: mapping keys and sequence indices from the root.
DocPath = tuple[str | int, ...]


def format_path(path: DocPath) -> str:
    """Spell a document path as in messages: ``outcomes[2].horizon``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(document)"


def line_of(path: DocPath, lines: Mapping[DocPath, int]) -> int | None:
    """Return the line of ``path`` in a YAML document, or of its nearest parent that has one."""
    p = path
    while True:
        if p in lines:
            return lines[p]
        if not p:
            return None
        p = p[:-1]


def locate(path: DocPath, lines: Mapping[DocPath, int]) -> str:
    """Name a place in a YAML document for messages: ``outcomes[2].horizon (line 31)``."""
    line = line_of(path, lines)
    return format_path(path) + (f" (line {line})" if line is not None else "")


def _line_map(node: yaml.Node, path: DocPath, out: dict[DocPath, int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, val in node.value:
            if isinstance(key, yaml.ScalarNode):
                out[(*path, key.value)] = key.start_mark.line + 1
                _line_map(val, (*path, key.value), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_map(item, (*path, i), out)


def parse_yaml(
    text: str,
    source: str,
    error: Callable[[str, Sequence[Problem]], Exception] = LoopFileError,
) -> tuple[Any, dict[DocPath, int]]:
    """Parse YAML text safely, returning the data and a map of document paths to lines.

    Parameters
    ----------
    text : str
        The document.
    source : str
        Its name in messages (the file).
    error : callable
        Builds the error raised for text that is not YAML, from ``(source, problems)``.
    """
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise error(source, [Problem(where, f"not valid YAML: {err.problem}")]) from err
    except yaml.YAMLError as err:
        raise error(source, [Problem("", f"not valid YAML: {err}")]) from err
    lines: dict[DocPath, int] = {}
    if root is not None:
        _line_map(root, (), lines)
    return data, lines


def write_yaml(data: Mapping[str, Any], path: str | os.PathLike[str] | None = None) -> str:
    """Return ``data`` as YAML in the house layout, writing it atomically to ``path`` if given."""
    text = yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, width=100)
    if path is not None:
        atomic_write_text(path, text)
    return text
