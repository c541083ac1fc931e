"""Column headers: which columns each heading spans, column-number rows, column names.

A whitespace table prints its header as words over the columns the data rows
define. A heading over one column sits over that column; a group heading
(``Non-Hispanic white`` over ``Male`` and ``Female``) sits over the columns it
spans and is kept whole, never split word by word.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from feedbackloop.pdf._cells import split_markers
from feedbackloop.pdf._layout import Line, Word

__all__ = [
    "HEADER_GAP",
    "Columns",
    "Group",
    "header_groups",
    "is_numbering",
    "name_columns",
    "numbering_numbers",
    "text_header",
]

#: Header words closer than this fraction of the font size are one heading.
HEADER_GAP = 0.5
_NUMBERING = re.compile(
    r"^(\d{1,3}\s*=?|[(\[]\d{1,3}[)\]]|"
    r"\(?\s*\d{1,3}\s*(?:to|-|–|\+)\s*\d{1,3}\s*\)?(?:\s*[+\-]\s*\d{1,3})*)$"
)
_FIRST_INT = re.compile(r"\d+")


class Group:
    """Words of one header line that fall in one column (or span columns ``c0..c1``)."""

    __slots__ = ("bottom", "c0", "c1", "markers", "text", "top", "x0", "x1")

    def __init__(self, words: list[Word], c0: int, c1: int):
        self.text = " ".join(w.text for w in words)
        self.markers = [m for w in words for m in (*w.lead, *w.markers)]
        self.c0 = c0
        self.c1 = c1
        self.top = min(w.top for w in words)
        self.bottom = max(w.bottom for w in words)
        self.x0 = words[0].x0
        self.x1 = words[-1].x1

    def __repr__(self) -> str:
        return f"Group({self.text!r}, {self.c0}-{self.c1})"


def header_groups(
    line_cells: list[list[Word]], spans: Mapping[int, tuple[int, int]] | None = None
) -> list[Group]:
    """One group per non-empty cell (``spans`` widens cell ``j`` to ``spans[j]``)."""
    groups = []
    for j, words in enumerate(line_cells):
        if words:
            c0, c1 = spans.get(j, (j, j)) if spans else (j, j)
            groups.append(Group(words, c0, c1))
    return groups


# ------------------------------------------------------------------ column numbers


def numbering_numbers(texts: Sequence[str]) -> list[int] | None:
    """Return the column numbers of a row like ``1 2 3 ... 10`` or ``(1) (2) (3)``, else ``None``.

    Every text must be a column number (``2=`` and ``(3 to 6)+14`` forms allowed)
    and their first integers must be consecutive: ``1 5 7`` is data, not numbering.
    """
    if len(texts) < 2 or not all(_NUMBERING.match(t) for t in texts):
        return None
    numbers = [int(m.group()) for t in texts if (m := _FIRST_INT.search(t))]
    if any(b != a + 1 for a, b in itertools.pairwise(numbers)):
        return None
    return numbers


def is_numbering(texts: Sequence[str], after_numbering: bool) -> bool:
    """Whether a line is column numbering, or the formulas continuing one (``(3 to 6)+14``)."""
    if numbering_numbers(texts) is not None:
        return True
    return after_numbering and bool(texts) and all(_NUMBERING.match(t) for t in texts)


# -------------------------------------------------------------- spans of headings


class Columns(NamedTuple):
    """What the body rows say about the columns, for placing header words."""

    #: Column boundaries, outer edges included.
    bounds: Sequence[float]
    #: Horizontal extent of what the body prints in each column (``None`` when empty).
    extents: Sequence[tuple[float, float] | None]
    #: The span a rule drawn under a heading gives it, if any.
    ruled_span: Callable[[Group], tuple[int, int] | None]


def _phrases(words: Sequence[Word], gap: float) -> list[list[Word]]:
    out: list[list[Word]] = []
    for w in words:
        if out and w.x0 - out[-1][-1].x1 < gap * w.size:
            out[-1].append(w)
        else:
            out.append([w])
    return out


def _slot(cols: Columns, x: float) -> int:
    inner = cols.bounds[1:-1]
    return bisect.bisect_right(inner, x)


def _blocks(texts: Sequence[str]) -> list[tuple[int, int]]:
    """Find a run of repeated sub-headings (``Male Female Male Female``), one block a repeat."""
    n = len(texts)
    best: list[tuple[int, int]] = []
    for p in range(2, n // 2 + 1):
        for s in range(n - 2 * p + 1):
            unit = [t.lower() for t in texts[s : s + p]]
            if not all(unit) or len(set(unit)) < p:
                continue
            reps = 1
            while [t.lower() for t in texts[s + reps * p : s + (reps + 1) * p]] == unit:
                reps += 1
            if reps >= 2 and reps * p > sum(b - a + 1 for a, b in best):
                best = [(s + k * p, s + (k + 1) * p - 1) for k in range(reps)]
    return best


def _candidate_span(
    g: Group, cols: Columns, blocks: Sequence[tuple[int, int]]
) -> tuple[int, int] | None:
    """Return the columns a heading sits over, when it sits over more than one.

    It is centred in a block of repeated sub-headings (unless it reaches past
    the block), overlaps what two or more columns print, or straddles the
    boundary between two columns.
    """
    geo: tuple[int, int] | None = None
    touched = [
        j for j, e in enumerate(cols.extents) if e and g.x1 > e[0] + 0.5 and g.x0 < e[1] - 0.5
    ]
    width = g.x1 - g.x0
    if len(touched) >= 2:
        geo = touched[0], touched[-1]
    else:
        for j, b in enumerate(cols.bounds[1:-1]):
            if g.x0 < b < g.x1 and min(b - g.x0, g.x1 - b) >= 0.25 * width:
                geo = j, j + 1
                break
    centre = (g.x0 + g.x1) / 2
    for a, b in blocks:
        inside = cols.bounds[a] <= centre <= cols.bounds[b + 1]
        if inside and (geo is None or a <= geo[0] <= geo[1] <= b):
            return a, b
    return geo


def _with_headings(cols: Columns, line: Sequence[Group]) -> Columns:
    """Widen each column's extent by its sub-heading; boundaries midway between extents."""
    extents = list(cols.extents)
    for g in line:
        if g.c0 == g.c1:
            e = extents[g.c0]
            extents[g.c0] = (min(e[0], g.x0), max(e[1], g.x1)) if e else (g.x0, g.x1)
    bounds = list(cols.bounds)
    for j in range(1, len(bounds) - 1):
        left, right = extents[j - 1], extents[j]
        if left and right and left[1] < right[0]:
            bounds[j] = (left[1] + right[0]) / 2
    return cols._replace(extents=extents, bounds=bounds)


def _line_groups(
    words: Sequence[Word], cols: Columns, below: set[int], blocks: Sequence[tuple[int, int]]
) -> list[Group]:
    """Place one header line: spanning headings whole, the other words by column."""
    ncols = len(cols.bounds) - 1
    singles: list[list[Word]] = [[] for _ in range(ncols)]
    spans: list[Group] = []
    for phrase in _phrases(words, HEADER_GAP):
        g = Group(phrase, 0, 0)
        span = cols.ruled_span(g)
        if span is None and len(below) >= 2:
            cand = _candidate_span(g, cols, blocks)
            if cand is not None and sum(1 for c in range(cand[0], cand[1] + 1) if c in below) >= 2:
                span = cand
        if span is not None and span[1] > span[0]:
            g.c0, g.c1 = span
            spans.append(g)
            continue
        for w in phrase:
            singles[_slot(cols, w.center)].append(w)
    spans.sort(key=lambda g: g.c0)
    if any(a.c1 >= b.c0 for a, b in itertools.pairwise(spans)):
        # Overlapping spans: the geometry is not a group layout; place word by word.
        singles = [[] for _ in range(ncols)]
        for w in words:
            singles[_slot(cols, w.center)].append(w)
        spans = []
    return sorted([*spans, *header_groups(singles)], key=lambda g: g.c0)


def text_header(
    lines: Sequence[Line], numbering: Sequence[bool], cols: Columns
) -> tuple[list[list[Group]], list[bool], str | None]:
    """Header groups of a whitespace table, bottom line first placed, then the lines above.

    A heading spans several columns only over sub-headings of its own (so a
    one-level header never spans). A single heading on the top line over two or
    more group headings is the table's title, not part of the column names.

    Returns
    -------
    tuple
        The groups of each line (top to bottom), their numbering flags, and the
        title found in the header (or ``None``).
    """
    x0, x1 = cols.bounds[0], cols.bounds[-1]
    size = min((ln.size for ln in lines), default=1.0)
    words = [[w for w in ln.words if x0 - 3 * size <= w.center <= x1 + 3 * size] for ln in lines]
    groups: list[list[Group]] = [[] for _ in lines]
    below: set[int] = set()
    blocks: list[tuple[int, int]] = []
    for k in range(len(lines) - 1, -1, -1):
        if not words[k]:
            continue
        groups[k] = _line_groups(words[k], cols, below if not numbering[k] else set(), blocks)
        if numbering[k]:
            continue
        if not below:
            texts = [""] * (len(cols.bounds) - 1)
            for g in groups[k]:
                texts[g.c0] = g.text
            blocks = _blocks(texts)
            cols = _with_headings(cols, groups[k])
        below.update(c for g in groups[k] for c in range(g.c0, g.c1 + 1))
    real = [k for k in range(len(lines)) if not numbering[k] and groups[k]]
    title = None
    if len(real) >= 3:
        top, nxt = groups[real[0]], groups[real[1]]
        if len(top) == 1 and top[0].c1 > top[0].c0 >= 1 and sum(g.c1 > g.c0 for g in nxt) >= 2:
            title = top[0].text
            keep = [k for k in range(len(lines)) if k != real[0]]
            return [groups[k] for k in keep], [numbering[k] for k in keep], title
    return groups, list(numbering), title


# -------------------------------------------------------------------- header naming


class _Cell:
    """One heading with the lines it wraps over."""

    def __init__(self, g: Group):
        self.c0, self.c1 = g.c0, g.c1
        self.texts = [g.text]
        self.markers = list(g.markers)


def _header_cells(
    header: Iterable[list[Group]], numbering: Iterable[bool], ncols: int
) -> tuple[list[_Cell], list[tuple[str, ...]]]:
    """Headings joined over wrapped lines (same span, one under the other), and rows as printed."""
    cells: list[_Cell] = []
    last: list[_Cell | None] = [None] * ncols
    rows_text: list[tuple[str, ...]] = []
    for groups, is_numbering in zip(header, numbering, strict=True):
        row = [""] * ncols
        for g in groups:
            row[g.c0] = (row[g.c0] + " " + g.text).strip()
        rows_text.append(tuple(row))
        if is_numbering:
            continue
        for g in groups:
            prev = last[g.c0]
            span = range(g.c0, g.c1 + 1)
            if (
                prev is not None
                and (prev.c0, prev.c1) == (g.c0, g.c1)
                and all(last[c] is prev for c in span)
            ):
                prev.texts.append(g.text)
                prev.markers.extend(g.markers)
                continue
            cell = _Cell(g)
            cells.append(cell)
            for c in span:
                last[c] = cell
    return cells, rows_text


def name_columns(
    header: list[list[Group]], numbering: list[bool], ncols: int
) -> tuple[list[str], list[list[tuple[str, ...]]], tuple[tuple[str, ...], ...]]:
    """Column names from header lines: wrapped lines join with spaces, levels with " / "."""
    cells, rows_text = _header_cells(header, numbering, ncols)
    names: list[str] = []
    markers: list[list[tuple[str, ...]]] = []
    for c in range(ncols):
        parts: list[str] = []
        col_markers: list[tuple[str, ...]] = []
        for cell in cells:
            if cell.c0 <= c <= cell.c1:
                text, stars = split_markers(" ".join(cell.texts))
                text = " ".join(text.split())
                if text and (not parts or parts[-1] != text):
                    parts.append(text)
                col_markers.append((*stars, *cell.markers))
        names.append(" / ".join(parts))
        markers.append(col_markers)
    seen: dict[str, int] = {}
    for c, name in enumerate(names):
        base = name or f"column_{c + 1}"
        n = seen.get(base, 0) + 1
        seen[base] = n
        names[c] = base if n == 1 else f"{base} ({n})"
    return names, markers, tuple(rows_text)
