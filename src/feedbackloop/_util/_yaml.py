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


#: Most nodes a document may expand to once its aliases are followed (a "billion laughs"
#: document of a few lines expands to billions and would exhaust memory downstream).
MAX_EXPANDED_NODES = 1_000_000


class _Walk:
    """One pass over a composed document: its line map, and what makes it unsafe to use."""

    def __init__(self) -> None:
        self.lines: dict[DocPath, int] = {}
        self.problems: list[Problem] = []
        self.aliases = False
        self._sizes: dict[int, int] = {}
        self._open: set[int] = set()
        self.too_big: str = "(document)"

    def where(self, path: DocPath, node: yaml.Node) -> str:
        return f"{format_path(path)} (line {node.start_mark.line + 1})"

    def visit(self, node: yaml.Node, path: DocPath) -> int:
        """Map the lines under ``node``; return how many nodes it expands to."""
        self.lines[path] = node.start_mark.line + 1
        key = id(node)
        if key in self._open:
            self.problems.append(
                Problem(
                    self.where(path, node),
                    "a YAML alias that contains itself (a cycle); write the value out instead",
                )
            )
            return 0
        if key in self._sizes:  # an alias of a node seen before: counted again, not re-mapped
            self.aliases = True
            return self._sizes[key]
        self._open.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for k, val in node.value:
                if isinstance(k, yaml.ScalarNode):
                    line = k.start_mark.line + 1
                    if k.value in seen and k.value != "<<":
                        self.problems.append(
                            Problem(
                                self.where((*path, k.value), k),
                                f"the key {k.value!r} appears twice (lines {seen[k.value]} "
                                f"and {line}); YAML would keep only the last: remove one",
                            )
                        )
                    seen.setdefault(k.value, line)
                    self.lines[(*path, k.value)] = line
                    total += self.visit(val, (*path, k.value))
                else:
                    total += self.visit(val, path)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                total += self.visit(item, (*path, i))
        self._open.discard(key)
        self._sizes[key] = total
        if total > MAX_EXPANDED_NODES and self.too_big == "(document)":
            self.too_big = self.where(path, node)  # the smallest part that is too big
        return total


class _Loader(yaml.SafeLoader):
    """Safe loading, with impossible dates reported at their line instead of a bare ValueError."""


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as err:  # 2024-02-30 matches the date pattern but is no date
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"{node.value!r} is not a valid date ({err}); correct it, or quote it to keep it "
            "as text",
            node.start_mark,
        ) from err


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def parse_yaml(
    text: str,
    source: str,
    error: Callable[[str, Sequence[Problem]], Exception] = LoopFileError,
) -> tuple[Any, dict[DocPath, int]]:
    """Parse YAML text safely, returning the data and a map of document paths to lines.

    Only plain YAML is accepted: no Python tags (safe loading), no key written
    twice in one mapping, no alias that contains itself, no aliases expanding
    to more than :data:`MAX_EXPANDED_NODES` nodes, no nesting deeper than the
    parser can follow; each is reported with its line.

    Parameters
    ----------
    text : str
        The document.
    source : str
        Its name in messages (the file).
    error : callable
        Builds the error raised for text that is not YAML, from ``(source, problems)``.
    """
    walk = _Walk()
    try:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
            if root is not None:
                size = walk.visit(root, ())
                if size > MAX_EXPANDED_NODES:
                    how = "once its aliases (*name) are followed " if walk.aliases else ""
                    walk.problems.append(
                        Problem(
                            walk.too_big,
                            f"the document expands to {size:,} values {how}(at most "
                            f"{MAX_EXPANDED_NODES:,} are read); write the values out",
                        )
                    )
                if walk.problems:
                    raise error(source, walk.problems)
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise error(source, [Problem(where, f"not valid YAML: {err.problem}")]) from err
    except yaml.reader.ReaderError as err:
        line = text.count("\n", 0, err.position) + 1
        raise error(source, [Problem(f"line {line}", f"not valid YAML: {err}")]) from err
    except yaml.YAMLError as err:
        raise error(source, [Problem("", f"not valid YAML: {err}")]) from err
    except RecursionError:
        raise error(
            source,
            [Problem("", "not valid YAML here: nested too deeply to read; flatten the document")],
        ) from None
    return data, walk.lines


def write_yaml(data: Mapping[str, Any], path: str | os.PathLike[str] | None = None) -> str:
    """Return ``data`` as YAML in the house layout, writing it atomically to ``path`` if given."""
    text = yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, width=100)
    if path is not None:
        atomic_write_text(path, text)
    return text
