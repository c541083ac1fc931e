"""Finding tables on PDF pages and turning them into :class:`PdfTable` objects."""

from __future__ import annotations

import bisect
import itertools
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, NamedTuple, cast

import numpy as np
import pandas as pd

from feedbackloop._util import import_optional
from feedbackloop.errors import (
    EncryptedPdfError,
    NoTableFoundError,
    NotAPdfError,
    NoTextLayerError,
    PageRangeError,
    PdfReadError,
)
from feedbackloop.pdf._cells import CellKind, ParsedCell, parse_cell, split_markers, value_like
from feedbackloop.pdf._header import (
    Columns,
    Group,
    header_groups,
    is_numbering,
    name_columns,
    text_header,
)
from feedbackloop.pdf._layout import (
    PHRASE_GAP,
    SUPERSCRIPT_RATIO,
    Line,
    Word,
    build_lines,
    split_values,
)
from feedbackloop.pdf._table import Note, PdfTable

__all__ = ["DASH_MEANINGS", "STRATEGIES", "DashMeaning", "TableStrategy", "read_tables"]

#: How :func:`read_tables` finds columns (not :class:`feedbackloop.Strategy`, a loop node).
TableStrategy = Literal["auto", "lines", "rects", "text", "explicit"]
#: The strategies :func:`read_tables` accepts.
STRATEGIES: tuple[str, ...] = ("auto", "lines", "rects", "text", "explicit")
TableSetting = float | int | str | bool | Sequence[float]
#: What a lone dash in a numeric column means (see :func:`read_tables`).
DashMeaning = Literal["not_available", "zero", "missing"]
#: The meanings :func:`read_tables` accepts for ``dash``.
DASH_MEANINGS: tuple[str, ...] = ("not_available", "zero", "missing")

_BBox = tuple[float, float, float, float]
#: Per line: (is a row line, is a column-numbering line, its tokens: phrases, values split).
_LineInfo = tuple[bool, bool, list[list[Word]]]
_YEAR = re.compile(r"^(19|20)\d\d$")
_TITLE = re.compile(r"^(table|tableau|tabla|exhibit)\b", re.IGNORECASE)
_TRAILING_DOTS = re.compile(r"(\s+\.)+$|\s*\.{2,}$")
_TRAILING_DIGIT = re.compile(r"^(.*\D)\s(\d{1,2})$")
_STAR_NOTE = re.compile(r"^(\*{1,3}|[†‡§¶])\s*(\S.*)$")
_PAREN_NOTE = re.compile(r"^\((\d{1,2}|[a-z])\)\s+(\S.*)$")
_DASH_LEGEND = re.compile(
    r"(?:^|\s)[-–—]\s*(?:represents|denotes|indicates|means|=|:)?\s*(?:zero|nil)\b[^.;]*\.?",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------- pieces


class _Piece:
    """A table found on one page, before typing and stitching."""

    def __init__(
        self,
        *,
        page: int,
        strategy: str,
        bounds: list[float],
        header: list[list[Group]],
        numbering: list[bool],
        rows: list[list[list[Word]]],
        title: str | None,
        bbox: _BBox,
        remarks: list[str],
        used: set[int],
    ):
        self.page = page
        self.strategy = strategy
        self.bounds = bounds
        self.header = header
        self.numbering = numbering
        self.rows = rows
        self.title = title
        self.bbox = bbox
        self.remarks = remarks
        self.used = used
        #: A lone row without header: kept only if it continues a table of the page before.
        self.orphan = False
        #: A legend line of the page saying a dash is zero ("– Represents zero.").
        self.dash_legend: str | None = None

    @property
    def has_header(self) -> bool:
        """Whether a header line other than column numbering was found."""
        return not all(self.numbering)

    @property
    def ncols(self) -> int:
        return len(self.bounds) - 1

    def extents(self) -> list[tuple[float, float] | None]:
        """Return the horizontal extent of the words of each column, ``None`` when empty."""
        out: list[tuple[float, float] | None] = []
        for c in range(self.ncols):
            words = [w for row in self.rows for w in row[c]]
            out.append((min(w.x0 for w in words), max(w.x1 for w in words)) if words else None)
        return out


def _assign(words: Iterable[Word], bounds: Sequence[float]) -> list[list[Word]]:
    inner = bounds[1:-1]
    cells: list[list[Word]] = [[] for _ in range(len(bounds) - 1)]
    for w in words:
        cells[bisect.bisect_right(inner, w.center)].append(w)
    return cells


def _in_range(line: Line, x0: float, x1: float) -> list[Word]:
    return [w for w in line.words if x0 <= w.center <= x1]


def _cluster(values: Iterable[float], tol: float) -> list[float]:
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(g) / len(g) for g in out]


def _is_value_cell(words: list[Word]) -> bool:
    return bool(words) and value_like(" ".join(w.text for w in words))


def _value_count(cells: list[list[Word]]) -> int:
    return sum(1 for c in cells[1:] if _is_value_cell(c)) + (
        1 if cells and _is_value_cell(cells[0]) and len(cells) > 1 else 0
    )


# ------------------------------------------------------------------ rules (graphics)


class _Rules:
    """Horizontal and vertical ruling segments of a page (lines and thin rectangles)."""

    def __init__(self, page: Any):
        self.h: list[_BBox] = []
        self.v: list[_BBox] = []
        for obj in (*page.lines, *page.rects, *page.curves):
            x0, top, x1, bottom = obj["x0"], obj["top"], obj["x1"], obj["bottom"]
            if bottom - top <= 2.0 and x1 - x0 > 2.0:
                self.h.append((x0, top, x1, bottom))
            elif x1 - x0 <= 2.0 and bottom - top > 2.0:
                self.v.append((x0, top, x1, bottom))
        # Join collinear pieces (a rule drawn one column at a time) into one rule.
        merged: list[list[float]] = []
        for x0, top, x1, bottom in sorted(self.h, key=lambda r: (round(r[1]), r[0])):
            last = merged[-1] if merged else None
            if last is not None and abs(last[1] - top) <= 0.6 and x0 <= last[2] + 1.5:
                last[2] = max(last[2], x1)
                last[3] = max(last[3], bottom)
            else:
                merged.append([x0, top, x1, bottom])
        self.h = [(a, b, c, d) for a, b, c, d in merged]

    def h_between(self, y0: float, y1: float, x0: float, x1: float, *, frac: float) -> bool:
        """Whether a rule covering ``frac`` of ``[x0, x1]`` lies between ``y0`` and ``y1``."""
        width = x1 - x0
        for rx0, rtop, rx1, _ in self.h:
            if y0 <= rtop <= y1 and min(rx1, x1) - max(rx0, x0) >= frac * width:
                return True
        return False

    def v_around(self, x: float, y: float) -> tuple[float, float]:
        """Return the nearest vertical rules left and right of ``(x, y)`` (inf when none)."""
        lo, hi = -math.inf, math.inf
        for x0, top, x1, bottom in self.v:
            if top - 1 <= y <= bottom + 1:
                xm = (x0 + x1) / 2
                if xm < x:
                    lo = max(lo, xm)
                elif xm > x:
                    hi = min(hi, xm)
        return lo, hi

    def below(self, g: Group, size: float, x0: float, x1: float) -> _BBox | None:
        """Return a partial-width rule just under a header group (a spanning header)."""
        mid = (g.x0 + g.x1) / 2
        for r in self.h:
            if (
                g.bottom - 1 <= r[1] <= g.bottom + 1.6 * size
                and r[0] - 1 <= mid <= r[2] + 1
                and r[2] - r[0] < 0.9 * (x1 - x0)
            ):
                return r
        return None


# -------------------------------------------------------------------- lines strategy


def _lines_pieces(
    page: Any,
    lines: list[Line],
    settings: Mapping[str, Any],
    strategy: str,
) -> tuple[list[_Piece], list[str]]:
    """Tables pdfplumber finds from ruling lines, and why rejected boxes were rejected."""
    pieces: list[_Piece] = []
    rejected: list[str] = []
    for t in page.find_tables(dict(settings)):
        piece = _ruled_piece(page, lines, t, strategy, rejected)
        if piece is not None:
            pieces.append(piece)
    return pieces, rejected


def _ruled_piece(
    page: Any, lines: list[Line], t: Any, strategy: str, rejected: list[str]
) -> _Piece | None:
    """Turn one ruled box into a piece, or say in ``rejected`` why it is not a table."""
    x0, top, x1, bottom = t.bbox
    tl = _lines_in_box(lines, t.bbox)
    if not tl or (len(tl) < 2 and not _is_value_line(tl[0][1])):
        return None
    size = sorted(lines[i].size for i, _ in tl)[len(tl) // 2]
    bounds = _cluster([c[0] for c in t.cells] + [c[2] for c in t.cells], 2.0)
    cells_per_line = [_assign(ws, bounds) for _, ws in tl]
    nvals = [_value_count(c) for c in cells_per_line]
    if not any(nvals):
        rejected.append(f"ruled box at {_fmt_box(t.bbox)} holds no numbers or dates")
        return None
    # Larger type at the top is a title; lines after the last one holding values are notes.
    big = [k for k in range(len(tl)) if lines[tl[k][0]].size > 1.15 * size]
    lead = 0
    while lead < len(tl) and lead in big:
        lead += 1
    last = max(k for k, n in enumerate(nvals) if n)
    title_parts = [" ".join(w.text for w in ws) for _, ws in tl[:lead]]
    tl = tl[lead : last + 1]
    cells_per_line = cells_per_line[lead : last + 1]
    nvals = nvals[lead : last + 1]
    first = next(k for k, n in enumerate(nvals) if n)
    numbered = _numbering_lines(tl, first, size)
    first += numbered
    bounds = _drop_gap_columns(bounds, cells_per_line[first:], size)
    if len(bounds) < 3:
        rejected.append(f"ruled box at {_fmt_box(t.bbox)} has fewer than 2 columns")
        return None
    cells_per_line = [_assign(ws, bounds) for _, ws in tl]
    head = tl[: first - numbered]
    header = _ruled_header(lines, head, cells_per_line, t.cells, bounds, title_parts)
    numbering = [False] * len(header) + [True] * numbered
    header += [header_groups(cells_per_line[k]) for k in range(first - numbered, first)]
    ys = _cluster([c[1] for c in t.cells] + [c[3] for c in t.cells], 2.0)
    bands = [bisect.bisect_right(ys, (lines[i].top + lines[i].bottom) / 2) for i, _ in tl]
    rows, packed = _ruled_rows(cells_per_line[first:], nvals[first:], bands[first:])
    remarks: list[str] = []
    if packed:
        remarks.append(
            f"page {page.page_number}: ruling lines hold several text rows per cell "
            f"({packed} cells); rows were taken from the text lines"
        )
    kind = strategy
    if strategy == "lines" and _filled_rects(page, t.bbox) >= max(4, 2 * len(tl)):
        kind = "rects"
    piece = _Piece(
        page=page.page_number,
        strategy=kind,
        bounds=bounds,
        header=header,
        numbering=numbering,
        rows=rows,
        title=" ".join(title_parts) or None,
        bbox=(x0, top, x1, bottom),
        remarks=remarks,
        used={i for i, _ in tl},
    )
    if len(rows) == 1 and not piece.has_header:
        piece.orphan = True
    return piece


def _numbering_lines(tl: Sequence[tuple[int, list[Word]]], first: int, size: float) -> int:
    """How many lines from ``first`` on are column numbering (``1 2 3 ...``), with data after."""
    n = 0
    while first + n < len(tl) - 1:
        phrases = [t for p in _split_phrases(tl[first + n][1], size) for t in split_values(p, size)]
        if not is_numbering(_texts(phrases), n > 0):
            break
        n += 1
    return n


def _split_phrases(words: Sequence[Word], size: float) -> list[list[Word]]:
    out: list[list[Word]] = []
    for w in words:
        if out and w.x0 - out[-1][-1].x1 < PHRASE_GAP * size:
            out[-1].append(w)
        else:
            out.append([w])
    return out


def _lines_in_box(lines: list[Line], bbox: _BBox) -> list[tuple[int, list[Word]]]:
    """Lines whose middle is inside ``bbox``, with their words inside it (none left empty)."""
    x0, top, x1, bottom = bbox
    idx = [
        i
        for i, ln in enumerate(lines)
        if top - 1 <= (ln.top + ln.bottom) / 2 <= bottom + 1 and ln.x1 >= x0 and ln.x0 <= x1
    ]
    tl = [(i, _in_range(lines[i], x0, x1)) for i in idx]
    return [(i, ws) for i, ws in tl if ws]


def _drop_gap_columns(
    bounds: list[float], body: Sequence[list[list[Word]]], size: float
) -> list[float]:
    """Drop narrow columns without body text (gaps between filled cell rectangles)."""
    body_cols = {j for cells in body for j, c in enumerate(cells) if c}
    keep = [bounds[0]]
    for j in range(len(bounds) - 1):
        if j not in body_cols and bounds[j + 1] - bounds[j] < 3 * size:
            if j == len(bounds) - 2 and len(keep) > 1:
                keep[-1] = bounds[-1]
            continue
        keep.append(bounds[j + 1])
    if len(keep) > 1:
        keep[0], keep[-1] = bounds[0], bounds[-1]
    return keep


def _ruled_header(
    lines: list[Line],
    head: Sequence[tuple[int, list[Word]]],
    cells_per_line: Sequence[list[list[Word]]],
    boxes: Sequence[_BBox],
    bounds: Sequence[float],
    title_parts: list[str],
) -> list[list[Group]]:
    """Header lines of a ruled table, top to bottom.

    A first line whose words share one cell spanning most columns is a title:
    it is appended to ``title_parts`` instead.
    """
    header: list[list[Group]] = []
    ncols = len(bounds) - 1
    centers = [(bounds[j] + bounds[j + 1]) / 2 for j in range(ncols)]
    for k, (i, ws) in enumerate(head):
        ln = lines[i]
        mid = (ln.top + ln.bottom) / 2
        owners = [_cell_of(boxes, w.center, mid) for w in ws]
        if owners and all(o is not None and o == owners[0] for o in owners):
            cell = owners[0]
            assert cell is not None
            covered = [j for j, c in enumerate(centers) if cell[0] <= c <= cell[2]]
            if len(covered) >= max(2, 0.75 * ncols) and not header:
                title_parts.append(" ".join(w.text for w in ws))
                continue
        header.append(_ruled_header_line(cells_per_line[k], ws, boxes, centers, mid))
    return header


def _ruled_rows(
    cells_per_line: Sequence[list[list[Word]]], nvals: Sequence[int], bands: Sequence[int]
) -> tuple[list[list[list[Word]]], int]:
    """Body rows from the lines in each horizontal band between rules.

    A band holding several lines with values holds several rows (the rules are
    sparser than the text); returns the rows and how many such bands there were.
    """
    rows: list[list[list[Word]]] = []
    packed = 0
    k = 0
    while k < len(cells_per_line):
        band = bands[k]
        members = [k]
        while k + len(members) < len(cells_per_line) and bands[k + len(members)] == band:
            members.append(k + len(members))
        k += len(members)
        with_values = [m for m in members if nvals[m]]
        if len(with_values) >= 2:
            packed += 1
            pending: list[list[list[Word]]] = []
            for m in members:
                pending.append(cells_per_line[m])
                if nvals[m]:
                    rows.append(_merge_cells(pending))
                    pending = []
            if pending and rows:
                rows[-1] = _merge_cells([rows[-1], *pending])
        else:
            rows.append(_merge_cells([cells_per_line[m] for m in members]))
    return rows, packed


def _filled_rects(page: Any, bbox: _BBox) -> int:
    """Count filled, unstroked rectangles inside ``bbox`` (a grid drawn as cell fills)."""
    x0, top, x1, bottom = bbox
    return sum(
        1
        for r in page.rects
        if r["fill"]
        and not r["stroke"]
        and r["x1"] - r["x0"] > 2
        and r["bottom"] - r["top"] > 2
        and r["x0"] >= x0 - 1
        and r["x1"] <= x1 + 1
        and r["top"] >= top - 1
        and r["bottom"] <= bottom + 1
    )


def _ruled_header_line(
    cells: list[list[Word]],
    words: list[Word],
    boxes: Sequence[_BBox],
    centers: Sequence[float],
    mid: float,
) -> list[Group]:
    """Header groups of one line of a ruled table; a phrase alone in a merged cell spans it."""
    by_box: dict[_BBox | None, list[Word]] = {}
    for w in words:
        by_box.setdefault(_cell_of(boxes, w.center, mid), []).append(w)
    groups: list[Group] = []
    spanned: set[int] = set()
    for box, ws in by_box.items():
        if box is None:
            continue
        covered = [c for c, x in enumerate(centers) if box[0] <= x <= box[2]]
        one_phrase = all(b.x0 - a.x1 < 0.8 * a.size for a, b in itertools.pairwise(ws))
        if len(covered) > 1 and one_phrase:
            groups.append(Group(ws, covered[0], covered[-1]))
            spanned.update(id(w) for w in ws)
    for j, cell_words in enumerate(cells):
        rest = [w for w in cell_words if id(w) not in spanned]
        if rest:
            groups.append(Group(rest, j, j))
    groups.sort(key=lambda g: g.c0)
    return groups


def _fmt_box(b: _BBox) -> str:
    return "(" + ", ".join(f"{v:.0f}" for v in b) + ")"


def _area(b: _BBox) -> float:
    return (b[2] - b[0]) * (b[3] - b[1])


def _cell_of(cells: Sequence[_BBox], x: float, y: float) -> _BBox | None:
    best: _BBox | None = None
    for c in cells:
        inside = c[0] <= x <= c[2] and c[1] <= y <= c[3]
        if inside and (best is None or _area(c) < _area(best)):
            best = c
    return best


def _merge_cells(parts: Sequence[list[list[Word]]]) -> list[list[Word]]:
    out: list[list[Word]] = [[] for _ in parts[0]]
    for cells in parts:
        for j, words in enumerate(cells):
            out[j].extend(words)
    return out


# --------------------------------------------------------------------- text strategy


def _texts(phrases: Sequence[list[Word]]) -> list[str]:
    return [" ".join(w.text for w in p) for p in phrases]


def _row_like(phrases: list[list[Word]]) -> bool:
    if len(phrases) < 2:
        return False
    values = sum(1 for p in phrases[1:] if _is_value_cell(p))
    return values >= 1


def _text_pieces(
    page_number: int,
    lines: list[Line],
    skip: set[int],
    rules: _Rules,
    explicit: Sequence[float] | None,
) -> list[_Piece]:
    """Tables found from whitespace between aligned text (or ``explicit`` boundaries)."""
    info = _line_info(lines, skip)
    pieces = []
    for block in _row_blocks(lines, info, skip):
        row_idx = [i for i in block if info[i][0]]
        if explicit is None and len(row_idx) < 2:
            if len(block) == 1 and row_idx:
                orphan = _orphan_piece(page_number, lines, info, block[0])
                if orphan is not None:
                    pieces.append(orphan)
            continue
        if explicit is not None:
            bounds = sorted(float(x) for x in explicit)
        else:
            bounds = _projection(
                [p for i in row_idx for p in info[i][2]], min(lines[i].size for i in row_idx)
            )
        if len(bounds) < 3:
            continue
        piece = _build_text_piece(page_number, lines, info, block, bounds, rules, skip)
        if piece is not None:
            if explicit is not None:
                piece.strategy = "explicit"
            pieces.append(piece)
    return pieces


def _line_info(lines: list[Line], skip: set[int]) -> list[_LineInfo]:
    """Classify every line (lines in ``skip``, already used, are neither rows nor numbering)."""
    info: list[_LineInfo] = []
    for i, ln in enumerate(lines):
        if i in skip:
            info.append((False, False, []))
            continue
        phrases = ln.tokens()
        after = i > 0 and info[i - 1][1]
        numbering = is_numbering(_texts(phrases), after)
        info.append((not numbering and _row_like(phrases), numbering, phrases))
    return info


def _row_blocks(lines: list[Line], info: list[_LineInfo], skip: set[int]) -> list[list[int]]:
    """Blocks of consecutive row lines, label-only lines allowed between them."""
    blocks: list[list[int]] = []
    cur: list[int] = []
    pending: list[int] = []
    label_right = math.inf
    for i, ln in enumerate(lines):
        if i in skip:
            continue
        row, _numbering, phrases = info[i]
        if row:
            last = lines[(pending or cur)[-1]] if cur else None
            if last is not None and ln.top - last.bottom > 3.0 * ln.size:
                blocks.append(cur)
                cur, pending = [], []
            if cur:
                cur.extend(pending)
            pending = []
            cur.append(i)
            label_right = min(label_right, phrases[1][0].x0) if cur else label_right
            if len(cur) == 1:
                label_right = phrases[1][0].x0
            continue
        if cur and len(phrases) == 1 and phrases[0][-1].x1 < label_right:
            pending.append(i)
            continue
        if cur:
            blocks.append(cur)
        cur, pending = [], []
        label_right = math.inf
    if cur:
        blocks.append(cur)
    return blocks


def _is_value_line(words: list[Word]) -> bool:
    return any(value_like(w.text) for w in words[1:])


def _orphan_piece(
    page_number: int,
    lines: list[Line],
    info: list[_LineInfo],
    i: int,
) -> _Piece | None:
    """Return a one-row piece (a table's last row alone on a page) for possible stitching."""
    phrases = info[i][2]
    bounds = _projection(phrases, lines[i].size)
    ln = lines[i]
    piece = _Piece(
        page=page_number,
        strategy="text",
        bounds=bounds,
        header=[],
        numbering=[],
        rows=[_assign(ln.words, bounds)],
        title=None,
        bbox=(bounds[0], ln.top, bounds[-1], ln.bottom),
        remarks=[],
        used={i},
    )
    piece.orphan = True
    return piece


def _projection(phrases: list[list[Word]], size: float) -> list[float]:
    spans = sorted((p[0].x0, p[-1].x1) for p in phrases)
    merged: list[list[float]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1] + 0.25 * size:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    bounds = [merged[0][0] - 1.0]
    for left, right in itertools.pairwise(merged):
        bounds.append((left[1] + right[0]) / 2)
    bounds.append(merged[-1][1] + 1.0)
    return bounds


def _build_text_piece(
    page_number: int,
    lines: list[Line],
    info: list[_LineInfo],
    block: list[int],
    bounds: list[float],
    rules: _Rules,
    skip: set[int],
) -> _Piece | None:
    """Turn one block of row lines into a piece: its header above, its title, its rows."""
    x0, x1 = bounds[0], bounds[-1]
    size = lines[block[0]].size
    cells = {i: _assign(_in_range(lines[i], x0 - size, x1 + size), bounds) for i in block}
    # A first line of years (or column numbers) is a header, not data.
    while block and _all_years(cells[block[0]]) and len(block) > 2:
        block = block[1:]
    head_start = block[0]
    header_idx = _header_lines_above(lines, info, block[0], bounds, rules, skip, size)
    first_body = block.index(head_start)
    header_idx += block[:first_body]
    title = _title_above(lines, header_idx[0] if header_idx else block[0], size, skip)
    body_cells = [cells[i] for i in block]
    cols = Columns(
        bounds=bounds,
        extents=_content_extents(body_cells),
        ruled_span=_rule_spans(rules, bounds, _content_centers(body_cells, bounds), size),
    )
    header, numbering_flags, header_title = text_header(
        [lines[i] for i in header_idx], [info[i][1] for i in header_idx], cols
    )
    if header_title:
        title = f"{title} {header_title}" if title else header_title
    body = block[first_body:]
    rows = _text_rows([cells[i] for i in body], [info[i][0] for i in body])
    used = set(header_idx) | set(block)
    top = min(lines[i].top for i in used)
    bottom = max(lines[i].bottom for i in used)
    return _Piece(
        page=page_number,
        strategy="text",
        bounds=bounds,
        header=header,
        numbering=numbering_flags,
        rows=rows,
        title=title,
        bbox=(x0, top, x1, bottom),
        remarks=[],
        used=used,
    )


def _header_lines_above(
    lines: list[Line],
    info: list[_LineInfo],
    first_row: int,
    bounds: Sequence[float],
    rules: _Rules,
    skip: set[int],
    size: float,
) -> list[int]:
    """Walk up from the first row line and return the header lines, top to bottom.

    The walk stops at a row line, a title (larger type or "Table ..."), a line
    wider than most of the table, a wide gap, or a rule once a header line
    (other than column numbering) was found; at most 8 lines.
    """
    x0, x1 = bounds[0], bounds[-1]
    width = x1 - x0
    header_idx: list[int] = []
    real = 0
    prev_top = lines[first_row].top
    j = first_row - 1
    while j >= 0 and len(header_idx) < 8:
        ln = lines[j]
        if j in skip or ln.x1 < x0 or ln.x0 > x1:
            j -= 1
            continue
        row, numbering, phrases = info[j]
        ruled = rules.h_between(ln.bottom - 0.5, prev_top + 0.5, x0, x1, frac=0.8)
        if ruled and real:
            break
        years = _all_years(_assign(ln.words, bounds))
        if row and not numbering and not years:
            break
        if not numbering and not years and _numbers_only(phrases):
            break  # numbers are data, never column names
        if ln.size > 1.15 * size or _TITLE.match(ln.text):
            break
        if any(p[-1].x1 - p[0].x0 > 0.6 * width for p in phrases):
            break
        if prev_top - ln.bottom > 2.5 * size and not ruled:
            break
        header_idx.append(j)
        if not numbering:
            real += 1
        prev_top = ln.top
        j -= 1
    header_idx.reverse()
    return header_idx


def _rule_spans(
    rules: _Rules, bounds: Sequence[float], centers: Sequence[float], size: float
) -> Callable[[Group], tuple[int, int] | None]:
    """Return the function giving a heading's span from a partial-width rule drawn under it.

    The heading spans the columns the rule covers (between the vertical rules
    around it), when those include the column under the heading.
    """
    x0, x1 = bounds[0], bounds[-1]
    inner = bounds[1:-1]

    def span(g: Group) -> tuple[int, int] | None:
        r = rules.below(g, size, x0, x1)
        if r is None:
            return None
        c = bisect.bisect_right(inner, (g.x0 + g.x1) / 2)
        lo, hi = rules.v_around((g.x0 + g.x1) / 2, (g.top + g.bottom) / 2)
        covered = [k for k, xc in enumerate(centers) if max(r[0], lo) <= xc <= min(r[2], hi)]
        if len(covered) > 1 and c in covered:
            return covered[0], covered[-1]
        return None

    return span


def _content_extents(rows: Sequence[list[list[Word]]]) -> list[tuple[float, float] | None]:
    """Horizontal extent of what the body prints in each column (``None`` when empty)."""
    out: list[tuple[float, float] | None] = []
    for c in range(len(rows[0]) if rows else 0):
        words = [w for row in rows for w in row[c]]
        out.append((min(w.x0 for w in words), max(w.x1 for w in words)) if words else None)
    return out


def _text_rows(
    line_cells: Sequence[list[list[Word]]], is_row: Sequence[bool]
) -> list[list[list[Word]]]:
    """Body rows: label-only lines join the next row when it continues them."""
    rows: list[list[list[Word]]] = []
    label_only: list[list[list[Word]]] = []
    for cells, row in zip(line_cells, is_row, strict=True):
        if not row:
            label_only.append(cells)
            continue
        label = cells[0]
        continues = bool(label_only) and (
            not label or label[0].text[:1].islower() or label_only[-1][0][-1].text.endswith("-")
        )
        if continues:
            rows.extend(label_only[:-1])
            rows.append(_merge_cells([label_only[-1], cells]))
        else:
            rows.extend(label_only)
            rows.append(cells)
        label_only = []
    rows.extend(label_only)
    return rows


def _content_centers(rows: Sequence[list[list[Word]]], bounds: Sequence[float]) -> list[float]:
    """Middle of what the body prints in each column (boundaries sit in the gaps)."""
    out = []
    for c in range(len(bounds) - 1):
        words = [w for row in rows for w in row[c]]
        if words:
            out.append((min(w.x0 for w in words) + max(w.x1 for w in words)) / 2)
        else:
            out.append((bounds[c] + bounds[c + 1]) / 2)
    return out


def _all_years(cells: list[list[Word]]) -> bool:
    texts = [" ".join(w.text for w in c) for c in cells[1:] if c]
    return len(texts) >= 2 and all(_YEAR.match(t) for t in texts)


def _numbers_only(phrases: Sequence[list[Word]]) -> bool:
    """Whether every phrase is a value other than a year (``2019`` may head a column)."""
    texts = _texts(phrases)
    return bool(texts) and all(value_like(t) and not _YEAR.match(t) for t in texts)


def _title_above(lines: list[Line], first: int, size: float, skip: set[int]) -> str | None:
    found: list[str] = []
    for j in range(first - 1, max(first - 8, -1), -1):
        if j in skip:
            break
        ln = lines[j]
        if ln.size > 1.15 * size or _TITLE.match(ln.text):
            found.append(ln.text)
            if _TITLE.match(ln.text):
                break
        elif found:
            break
    return " ".join(reversed(found)) or None


# -------------------------------------------------------------------- header naming


# ------------------------------------------------------------------- footnote texts


def _footnotes(lines: Sequence[Line]) -> list[tuple[str, str, float]]:
    found: list[tuple[str, str, float]] = []
    for ln in lines:
        words = ln.words
        starts = [k for k, w in enumerate(words) if w.lead]
        if starts:
            for n, k in enumerate(starts):
                end = starts[n + 1] if n + 1 < len(starts) else len(words)
                text = " ".join(w.text for w in words[k:end])
                found += [(marker, text, ln.top) for marker in words[k].lead]
            continue
        m = _STAR_NOTE.match(ln.text) or _PAREN_NOTE.match(ln.text)
        if m:
            found.append((m.group(1), m.group(2), ln.top))
    return found


def _definitions(
    parts: Sequence[_Piece], page_notes: Mapping[int, list[tuple[str, str, float]]]
) -> dict[str, tuple[str, int]]:
    """Footnote texts for a table: below it on its last page first, then its pages, then next."""
    last = parts[-1]
    ranked: list[tuple[int, float, str, str, int]] = []
    pages = [p.page for p in parts]
    for p in dict.fromkeys([*pages, last.page + 1]):
        for marker, text, top in page_notes.get(p, []):
            below = p == last.page and top >= last.bbox[3]
            later = p > last.page
            rank = 0 if below else (1 if later else 2)
            ranked.append((rank, top, marker, text, p))
    out: dict[str, tuple[str, int]] = {}
    for _, _, marker, text, p in sorted(ranked, key=lambda r: (r[0], r[1])):
        out.setdefault(marker, (text, p))
    return out


# --------------------------------------------------------------------- finishing


def _same_columns(a: _Piece, b: _Piece) -> bool:
    if b.strategy == "text" and a.strategy in ("text", "explicit"):
        # Whitespace columns: the later page's words must sit in the same column boxes.
        b_ext = b.extents()
        if b.orphan or b.ncols != a.ncols:
            words = [w for row in b.rows for cell in row for w in cell]
            cells = _assign(words, a.bounds)
            b_ext = [(min(w.x0 for w in c), max(w.x1 for w in c)) if c else None for c in cells]
        a_ext = a.extents()
        if len(b_ext) != len(a_ext):
            return False
        for j, ext in enumerate(b_ext):
            if ext is None:
                continue
            if not a.bounds[j] - 2 <= ext[0] and ext[1] <= a.bounds[j + 1] + 2:
                return False
            if a_ext[j] is None:
                return False
        return True
    if a.ncols != b.ncols:
        return False
    tol = 4.0
    return all(abs(x - y) <= tol for x, y in zip(a.bounds, b.bounds, strict=True))


def _cell_text(words: list[Word]) -> tuple[str, list[str]]:
    markers = [m for w in words for m in (*w.lead, *w.markers)]
    return " ".join(w.text for w in words), markers


#: Footnote marker -> the cells carrying it: (row or ``None`` for the header, column name).
_NoteCells = dict[str, list[tuple[int | None, str]]]


def _finish(
    parts: list[_Piece],
    source: str,
    page_notes: Mapping[int, list[tuple[str, str, float]]],
    dash: str,
) -> PdfTable:
    """Type, name and annotate one table (``parts``: its pieces, one per page)."""
    first = parts[0]
    names, header_markers, header_rows = name_columns(first.header, first.numbering, first.ncols)
    ncols = first.ncols
    texts, markers = _cell_texts(parts)
    parsed = [[parse_cell(t) for t in row] for row in texts]
    numeric = _numeric_columns(parsed, ncols)
    defined = _definitions(parts, page_notes)
    data: dict[str, Any] = {}
    kind_cols: dict[str, list[str]] = {}
    text_cols: dict[str, list[str]] = {}
    note_cells: _NoteCells = {}
    for c, name in enumerate(names):
        for ms in header_markers[c]:
            for hm in ms:
                note_cells.setdefault(hm, []).append((None, name))
        if numeric[c]:
            column = _numeric_column(parsed, texts, markers, c, name, dash, note_cells)
        else:
            column = _text_column(texts, markers, c, name, defined, note_cells)
        data[name], kind_cols[name], text_cols[name] = column
    notes = []
    for marker, where in note_cells.items():
        note_text, note_page = defined.get(marker, (None, None))
        notes.append(Note(marker=marker, text=note_text, cells=tuple(where), page=note_page))
    remarks = [*_header_remarks(first, header_rows), *(r for p in parts for r in p.remarks)]
    remarks += _dash_remarks(parts, parsed, dash)
    if len(parts) > 1:
        remarks.append(
            "stitched from pages " + ", ".join(str(p.page) for p in parts) + " (same columns, "
            "no header on the later pages)"
        )
    return PdfTable(
        frame=pd.DataFrame(data, columns=names),
        kinds=pd.DataFrame(kind_cols, columns=names),
        text=pd.DataFrame(text_cols, columns=names),
        pages=tuple(dict.fromkeys(p.page for p in parts)),
        header_rows=header_rows,
        notes=notes,
        strategy=first.strategy,
        title=first.title,
        label_column=names[0] if ncols and not numeric[0] else None,
        bbox=[(p.page, p.bbox) for p in parts],
        remarks=remarks,
        source=source,
    )


def _header_remarks(first: _Piece, header_rows: Sequence[tuple[str, ...]]) -> list[str]:
    """Say when no header was found, and when a row of column numbers was dropped."""
    out = []
    if not first.has_header:
        out.append(
            f"page {first.page}: no header found above the first row; the columns are named "
            f"column_1 to column_{first.ncols}"
        )
    numbered = [row for row, n in zip(header_rows, first.numbering, strict=True) if n]
    if numbered:
        shown = " ".join(t for t in numbered[0] if t)
        out.append(
            f"page {first.page}: the row of column numbers under the header ({shown}) was "
            "dropped: it numbers the columns and is not data"
        )
    return out


def _dash_remarks(
    parts: Sequence[_Piece], parsed: Sequence[Sequence[ParsedCell]], dash: str
) -> list[str]:
    """Say what dashes were read as, quoting the page's legend when it says a dash is zero."""
    dashes = sum(1 for row in parsed for cell in row if cell.kind is CellKind.DASH)
    if not dashes:
        return []
    if dash == "zero":
        return [f"{dashes} dash cell(s) read as 0 (dash='zero')"]
    legend = next((p.dash_legend for p in parts if p.dash_legend), None)
    out = f"{dashes} dash cell(s) read as not available (NaN)"
    if legend:
        out += f"; the page's legend says {legend!r}: pass dash='zero' to read them as 0"
    return [out]


def _cell_texts(parts: Sequence[_Piece]) -> tuple[list[list[str]], list[list[list[str]]]]:
    """Every body cell's text and superscript markers, rows of all pages in order."""
    texts: list[list[str]] = []
    markers: list[list[list[str]]] = []
    for part in parts:
        for piece_row in part.rows:
            t_row, m_row = [], []
            for words in piece_row:
                t, m = _cell_text(words)
                t_row.append(t)
                m_row.append(m)
            texts.append(t_row)
            markers.append(m_row)
    return texts, markers


def _numeric_columns(parsed: Sequence[Sequence[ParsedCell]], ncols: int) -> list[bool]:
    """Whether each column holds numbers.

    A column is numeric without text cells and with some value; past the first
    column, an empty column is numeric too.
    """
    numeric = []
    for c in range(ncols):
        kinds = [row[c].kind for row in parsed]
        has_value = any(k is not CellKind.EMPTY for k in kinds)
        all_empty = not has_value
        numeric.append((CellKind.TEXT not in kinds and has_value) or (all_empty and c > 0))
    return numeric


def _numeric_column(
    parsed: Sequence[Sequence[ParsedCell]],
    texts: Sequence[Sequence[str]],
    markers: Sequence[Sequence[list[str]]],
    c: int,
    name: str,
    dash: str,
    note_cells: _NoteCells,
) -> tuple[Any, list[str], list[str]]:
    """Column ``c`` as floats (a dash is NaN, or 0 with ``dash="zero"``), kinds and texts."""
    values = np.full(len(parsed), np.nan)
    kinds_out: list[str] = []
    shown: list[str] = []
    for r, row in enumerate(parsed):
        cell = row[c]
        kinds_out.append(cell.kind.value)
        if cell.kind is CellKind.DASH:
            values[r] = 0.0 if dash == "zero" else np.nan
        else:
            values[r] = cell.value
        for cm in (*cell.markers, *markers[r][c]):
            note_cells.setdefault(cm, []).append((r, name))
        shown.append(split_markers(texts[r][c])[0])
    return values, kinds_out, shown


def _text_column(
    texts: Sequence[Sequence[str]],
    markers: Sequence[Sequence[list[str]]],
    c: int,
    name: str,
    defined: Mapping[str, tuple[str, int]],
    note_cells: _NoteCells,
) -> tuple[Any, list[str], list[str]]:
    """Column ``c`` as cleaned text (markers and leader dots off), its kinds and texts."""
    col: list[str] = []
    kinds_out: list[str] = []
    for r, row_texts in enumerate(texts):
        cleaned, stars = split_markers(row_texts[c])
        cleaned = _TRAILING_DOTS.sub("", cleaned).strip()
        found = list(stars) + markers[r][c]
        digit = _TRAILING_DIGIT.match(cleaned)
        if digit and digit.group(2) in defined and c == 0:
            cleaned = digit.group(1).strip()
            found.append(digit.group(2))
        for mk in found:
            note_cells.setdefault(mk, []).append((r, name))
        col.append(cleaned)
        kinds_out.append(CellKind.TEXT.value if cleaned else CellKind.EMPTY.value)
    return col, kinds_out, list(col)


# ------------------------------------------------------------------------ opening


def _check_file(path: Path, label: str) -> None:
    try:
        with path.open("rb") as fh:
            head = fh.read(1024)
    except FileNotFoundError as err:
        raise NotAPdfError("file not found; check the path", source=label) from err
    except IsADirectoryError as err:
        raise NotAPdfError("is a directory, not a PDF file", source=label) from err
    except OSError as err:
        raise NotAPdfError(f"cannot be opened ({err.strerror})", source=label) from err
    if b"%PDF-" not in head:
        shown = head[:8]
        raise NotAPdfError(
            f"is not a PDF (it starts with {shown!r}, not '%PDF-'); for spreadsheets or CSV "
            "files use the 'excel' or 'csv' adapter",
            source=label,
        )


def _open(path: Path, label: str, password: str | None) -> Any:
    """Open the PDF with pdfplumber; a wrong or missing password, or a damaged file, is named."""
    pdfplumber = import_optional("pdfplumber", extra="pdf", purpose="reading tables from PDFs")
    pdfdocument = import_optional(
        "pdfminer.pdfdocument", extra="pdf", purpose="reading tables from PDFs"
    )
    try:
        return pdfplumber.open(path, password=password)
    except Exception as err:
        inner = err.args[0] if err.args else err
        if isinstance(inner, pdfdocument.PDFPasswordIncorrect | pdfdocument.PDFEncryptionError):
            what = "the password given is wrong" if password else "it needs a password"
            raise EncryptedPdfError(
                f"the PDF is encrypted and {what}; pass password=... or save an unencrypted "
                "copy first",
                source=label,
            ) from err
        raise PdfReadError(
            f"the PDF could not be parsed ({type(inner).__name__}: {inner}); it may be damaged, "
            "try re-saving it",
            source=label,
        ) from err


def _check_table_settings(
    pdf: Any, settings: dict[str, Any], table_settings: Mapping[str, TableSetting], label: str
) -> None:
    """Let pdfplumber check the table settings given (closing the PDF if it refuses them)."""
    if not table_settings:
        return
    table = import_optional("pdfplumber.table", extra="pdf", purpose="reading tables from PDFs")
    try:
        table.TableSettings.resolve(settings)
    except (ValueError, TypeError) as err:
        pdf.close()
        raise PdfReadError(
            f"pdfplumber refused the table settings {dict(table_settings)!r}: {err}; see "
            "pdfplumber's TableSettings for the names it accepts",
            source=label,
        ) from err


def _page_numbers(pages: int | Iterable[int] | None, count: int, label: str) -> list[int]:
    if pages is None:
        return list(range(1, count + 1))
    wanted = [pages] if isinstance(pages, int) else list(pages)
    for p in wanted:
        if isinstance(p, bool) or not isinstance(p, int) or not 1 <= p <= count:
            raise PageRangeError(
                f"page {p!r} does not exist: the PDF has {count} page"
                f"{'s' if count != 1 else ''}, numbered 1 to {count}",
                source=label,
                page=p if isinstance(p, int) else None,
            )
    return sorted(set(wanted))


def read_tables(
    path: str | os.PathLike[str],
    pages: int | Iterable[int] | None = None,
    *,
    strategy: TableStrategy = "auto",
    columns: Sequence[float] | None = None,
    password: str | None = None,
    dash: DashMeaning = "not_available",
    stitch: bool = True,
    superscript_ratio: float = SUPERSCRIPT_RATIO,
    **table_settings: TableSetting,
) -> list[PdfTable]:
    """Read every table on the pages asked for.

    Parameters
    ----------
    path : str or path-like
        The PDF file.
    pages : int or iterable of int, optional
        Page numbers, counted from 1; default every page.
    strategy : {"auto", "lines", "rects", "text", "explicit"}
        How to find columns. ``"auto"`` (default) uses ruling lines or cell
        rectangles where they form a grid holding numbers, and whitespace
        between aligned text elsewhere on the page; ``"lines"``/``"rects"``
        use only the graphics, ``"text"`` only whitespace, ``"explicit"`` the
        x positions given in ``columns``.
    columns : sequence of float, optional
        Column boundaries in PDF points from the left edge, outer edges
        included (implies ``strategy="explicit"``).
    password : str, optional
        Password of an encrypted PDF.
    dash : {"not_available", "zero", "missing"}
        What a lone dash (``-``, ``–``, ``—``) means in a numeric column.
        ``"not_available"`` (default): NaN, the value is not available. ``"zero"``:
        0.0, for a publisher whose legend says so ("– Represents zero", "- Nil");
        when a page carries such a legend and ``dash`` is not ``"zero"``, the
        table's ``remarks`` say so. ``"missing"``: NaN as well (the adapter gives
        status ``missing`` rather than ``not_available``). Either way ``kinds``
        says ``"dash"``.
    stitch : bool
        Join a table that continues on the next page (no header there, same
        columns) into one table.
    superscript_ratio : float
        Chars smaller than this fraction of their line's body size, and
        raised, are footnote markers.
    **table_settings
        pdfplumber table settings for the ruled strategies, e.g.
        ``snap_tolerance=5``, ``intersection_tolerance=5``.

    Returns
    -------
    list of PdfTable
        In page order, top to bottom.

    Raises
    ------
    NotAPdfError, EncryptedPdfError, PageRangeError, NoTextLayerError, NoTableFoundError
        Each a :class:`~feedbackloop.errors.SourceReadError` naming the file
        and page and saying what to do.

    Examples
    --------
    >>> from feedbackloop.pdf import read_tables
    >>> read_tables("missing.pdf")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    feedbackloop.errors.NotAPdfError: [pdf] missing.pdf: file not found; check the path

    .. versionadded:: 0.1.0
    """
    label = os.fspath(path)
    strategy = _check_options(strategy, columns, dash, label)
    settings: dict[str, Any] = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
    settings.update(table_settings)
    if strategy == "rects":
        settings.setdefault("snap_tolerance", 3)
    reading = _Reading(
        label=label,
        strategy=strategy,
        settings=settings,
        table_settings=table_settings,
        columns=list(columns) if columns is not None else None,
        superscript_ratio=superscript_ratio,
        dash=dash,
    )
    file = Path(path)
    _check_file(file, label)
    pdf = _open(file, label, password)
    _check_table_settings(pdf, settings, table_settings, label)
    pieces: list[_Piece] = []
    page_notes: dict[int, list[tuple[str, str, float]]] = {}
    looked: list[str] = []
    try:
        wanted = _page_numbers(pages, len(pdf.pages), label)
        for number in wanted:
            page = pdf.pages[number - 1]
            pieces += _page_pieces(page, number, reading, looked, page_notes)
            page.close()
    finally:
        pdf.close()
    if not pieces:
        raise _no_table(wanted, strategy, looked, label)
    groups = [g for g in _stitch(pieces, stitch) if not g[0].orphan]
    if not groups:
        raise _no_table(wanted, strategy, looked, label)
    return [_finish(g, label, page_notes, dash) for g in groups]


def _check_options(
    strategy: str, columns: Sequence[float] | None, dash: str, label: str
) -> TableStrategy:
    """Return the strategy to use (``columns`` implies ``"explicit"``), or refuse the options."""
    if columns is not None:
        strategy = "explicit"
        if len(columns) < 2:
            raise PdfReadError(
                f"columns= needs at least two x positions (got {list(columns)!r}): the left "
                "edge, any boundaries, and the right edge",
                source=label,
            )
    if strategy not in STRATEGIES:
        raise PdfReadError(
            f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}",
            source=label,
        )
    if strategy == "explicit" and columns is None:
        raise PdfReadError(
            "strategy='explicit' needs columns=[x0, x1, ...] (boundaries in points)",
            source=label,
        )
    if dash not in DASH_MEANINGS:
        raise PdfReadError(
            f"dash must be one of {', '.join(map(repr, DASH_MEANINGS))} (got {dash!r}); "
            "use 'zero' only where the publisher's legend says a dash means zero",
            source=label,
        )
    return cast(TableStrategy, strategy)  # one of STRATEGIES, checked above


class _Reading(NamedTuple):
    """What one :func:`read_tables` call asked for, once checked."""

    label: str
    strategy: TableStrategy
    #: pdfplumber table settings for the ruled strategies (defaults filled in).
    settings: dict[str, Any]
    #: The settings the caller gave (quoted when pdfplumber refuses them).
    table_settings: Mapping[str, TableSetting]
    columns: list[float] | None
    superscript_ratio: float
    #: What a lone dash means: "not_available" (default), "zero" or "missing".
    dash: str


def _page_pieces(
    page: Any,
    number: int,
    reading: _Reading,
    looked: list[str],
    page_notes: dict[int, list[tuple[str, str, float]]],
) -> list[_Piece]:
    """Return the tables of one page, top to bottom; its footnotes go into ``page_notes``.

    Ruled tables are found first (``auto``, ``lines``, ``rects``; why boxes were
    rejected goes into ``looked``), then whitespace tables in the rest of the page.
    """
    chars = page.chars
    if not chars:
        if page.images:
            raise NoTextLayerError(
                "the page is an image without a text layer (a scan?); it needs OCR "
                "first, e.g. `ocrmypdf in.pdf out.pdf`, then read the OCRed file",
                source=reading.label,
                page=number,
            )
        return []
    strategy = reading.strategy
    lines = build_lines(chars, superscript_ratio=reading.superscript_ratio)
    rules = _Rules(page)
    found: list[_Piece] = []
    if strategy in ("auto", "lines", "rects"):
        try:
            found, rejected = _lines_pieces(
                page, lines, reading.settings, "rects" if strategy == "rects" else "lines"
            )
        except (ValueError, TypeError) as err:
            raise PdfReadError(
                f"pdfplumber refused the table settings {dict(reading.table_settings)!r}: {err}",
                source=reading.label,
                page=number,
            ) from err
        looked += rejected
    if strategy in ("auto", "text", "explicit"):
        skip = {i for p in found for i in p.used}
        found += _text_pieces(number, lines, skip, rules, reading.columns)
    found.sort(key=lambda p: p.bbox[1])
    used = {i for p in found for i in p.used}
    page_notes[number] = _footnotes([ln for i, ln in enumerate(lines) if i not in used])
    legend = next((m.group().strip() for ln in lines if (m := _DASH_LEGEND.search(ln.text))), None)
    for piece in found:
        piece.dash_legend = legend
    return found


def _stitch(pieces: list[_Piece], stitch: bool) -> list[list[_Piece]]:
    """Group pieces into tables, in page order.

    With ``stitch``, a page's first piece continues the previous page's last one
    when their columns match and it has no header, or the same one.
    """
    groups: list[list[_Piece]] = []
    for piece in pieces:
        if stitch and groups:
            prev = groups[-1][-1]
            first_on_page = piece is next(p for p in pieces if p.page == piece.page)
            last_on_page = prev is [p for p in pieces if p.page == prev.page][-1]
            if (
                piece.page == prev.page + 1
                and first_on_page
                and last_on_page
                and _same_columns(prev, piece)
                and (not piece.has_header or _header_equal(piece, groups[-1][0]))
            ):
                if piece.orphan or piece.ncols != prev.ncols:
                    piece.rows = [
                        _assign([w for cell in row for w in cell], prev.bounds)
                        for row in piece.rows
                    ]
                    piece.bounds = prev.bounds
                piece.orphan = False
                groups[-1].append(piece)
                continue
        groups.append([piece])
    return groups


def _no_table(wanted: list[int], strategy: str, looked: list[str], label: str) -> NoTableFoundError:
    which = ", ".join(map(str, wanted)) if len(wanted) < 8 else f"{wanted[0]}-{wanted[-1]}"
    extra = f" ({'; '.join(looked[:3])})" if looked else ""
    return NoTableFoundError(
        f"no table found on page(s) {which} with strategy={strategy!r}{extra}; try "
        "strategy='text', or columns=[...] with the column boundaries in points",
        source=label,
        page=wanted[0] if len(wanted) == 1 else None,
    )


def _header_equal(a: _Piece, b: _Piece) -> bool:
    def names(p: _Piece) -> list[str]:
        return name_columns(p.header, p.numbering, p.ncols)[0]

    return names(a) == names(b)
