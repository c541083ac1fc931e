"""Page text as lines and words: superscript footnote markers and leader dots taken out.

Works on pdfplumber's char dictionaries (``text``, ``x0``, ``x1``, ``top``,
``bottom``, ``size``, ``upright``) but imports nothing from it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from feedbackloop.pdf._cells import CellKind, parse_cell, value_like

__all__ = ["Line", "Word", "build_lines", "split_values"]

#: A char smaller than this fraction of its line's body size, and raised, is a superscript.
SUPERSCRIPT_RATIO = 0.8
#: Word break: a gap wider than this fraction of the font size.
WORD_GAP = 0.2
#: Phrase break (a likely column gap): a gap wider than this fraction of the font size.
PHRASE_GAP = 0.8


class Word:
    """A run of chars without a gap; ``markers`` are superscripts glued to it."""

    __slots__ = ("bottom", "lead", "markers", "size", "text", "top", "x0", "x1")

    def __init__(self, text: str, x0: float, x1: float, top: float, bottom: float, size: float):
        self.text = text
        self.x0 = x0
        self.x1 = x1
        self.top = top
        self.bottom = bottom
        self.size = size
        self.markers: list[str] = []
        self.lead: list[str] = []

    @property
    def center(self) -> float:
        """Horizontal middle."""
        return (self.x0 + self.x1) / 2

    def __repr__(self) -> str:
        return f"Word({self.text!r}, {self.x0:.1f}-{self.x1:.1f})"


class Line:
    """One visual line of text: words left to right, body font size, vertical extent."""

    __slots__ = ("bottom", "leaders", "size", "top", "words")

    def __init__(self, words: list[Word], top: float, bottom: float, size: float, leaders: bool):
        self.words = words
        self.top = top
        self.bottom = bottom
        self.size = size
        self.leaders = leaders

    @property
    def x0(self) -> float:
        """Left edge."""
        return self.words[0].x0

    @property
    def x1(self) -> float:
        """Right edge."""
        return self.words[-1].x1

    @property
    def text(self) -> str:
        """The words joined by spaces."""
        return " ".join(w.text for w in self.words)

    def phrases(self, gap: float = PHRASE_GAP) -> list[list[Word]]:
        """Group words separated by less than ``gap`` × font size."""
        out: list[list[Word]] = []
        for w in self.words:
            if out and w.x0 - out[-1][-1].x1 < gap * self.size:
                out[-1].append(w)
            else:
                out.append([w])
        return out

    def tokens(self, gap: float = PHRASE_GAP) -> list[list[Word]]:
        """Phrases, with values printed close together split apart (see :func:`split_values`)."""
        return [t for p in self.phrases(gap) for t in split_values(p, self.size)]

    def __repr__(self) -> str:
        return f"Line({self.text!r}, top={self.top:.1f})"


#: Two values closer than this fraction of the font size may be one number (``98 452``).
NUMBER_JOIN = 0.4


def split_values(phrase: list[Word], size: float) -> list[list[Word]]:
    """Split a phrase where one value ends and the next begins (``255,744 188,980``).

    Columns packed tightly print their values closer than a column gap; each value
    is its own token. Words stay together when they read as one number together
    (``11,062 .6``, or ``98 452`` with a thin gap), and text is never split off.
    """
    if len(phrase) < 2 or not value_like(phrase[0].text):
        return [phrase]
    out: list[list[Word]] = [[phrase[0]]]
    for w in phrase[1:]:
        cur = out[-1]
        text = " ".join(x.text for x in cur)
        if not value_like(text) or not value_like(w.text):
            cur.append(w)
            continue
        joined = parse_cell(f"{text} {w.text}")
        if joined.kind is CellKind.NUMBER and w.x0 - cur[-1].x1 < NUMBER_JOIN * size:
            cur.append(w)
        else:
            out.append([w])
    return out


def _cluster_lines(chars: Sequence[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """Group chars into visual lines by their vertical middle, biggest chars leading."""
    order = sorted(chars, key=lambda c: (c["top"] + c["bottom"]) / 2)
    groups: list[list[Mapping[str, Any]]] = []
    ref_mid = ref_size = 0.0
    for c in order:
        mid = (c["top"] + c["bottom"]) / 2
        size = c["size"] or (c["bottom"] - c["top"])
        if groups and abs(mid - ref_mid) <= 0.5 * max(size, ref_size):
            groups[-1].append(c)
            if size > ref_size * 1.05:
                ref_mid, ref_size = mid, size
        else:
            groups.append([c])
            ref_mid, ref_size = mid, size
    return groups


def _body_size(chars: Iterable[Mapping[str, Any]]) -> float:
    counts = Counter(round(c["size"], 1) for c in chars if not c["text"].isspace())
    if not counts:
        return 0.0
    top = max(counts.values())
    return float(max(size for size, n in counts.items() if n == top))


def _leader_mask(chars: Sequence[Mapping[str, Any]]) -> list[bool]:
    """Mark runs of three or more dots (spaces between them allowed): leader dots."""
    mask = [False] * len(chars)
    i = 0
    n = len(chars)
    while i < n:
        if chars[i]["text"].strip() != ".":
            i += 1
            continue
        j = i
        dots = []
        while j < n and (chars[j]["text"].strip() in (".", "")):
            if chars[j]["text"].strip() == ".":
                dots.append(j)
            j += 1
        if len(dots) >= 3:
            for k in range(i, dots[-1] + 1):
                mask[k] = True
        i = j
    return mask


def _clean_marker(text: str) -> str:
    return text.strip().strip("()[]").strip(",") or text.strip()


class _WordBuilder:
    """The words of one line so far, built char by char (left to right).

    Holds the word being read (``cur``), the superscript being read
    (``sup_text``) and superscripts waiting for the next word (``pending_sup``).
    """

    __slots__ = (
        "body",
        "cur",
        "pending_sup",
        "space_seen",
        "sup_start",
        "sup_text",
        "sup_x1",
        "words",
    )

    def __init__(self, body: float):
        self.body = body
        self.words: list[Word] = []
        self.pending_sup: list[tuple[str, float]] = []
        self.sup_text = ""
        self.sup_start = self.sup_x1 = 0.0
        self.space_seen = False
        self.cur: list[Mapping[str, Any]] = []

    def flush(self) -> None:
        """End the current word; superscripts waiting lead it or trail the word before."""
        cur = self.cur
        if not cur:
            return
        body = self.body
        words = self.words
        text = "".join(c["text"] for c in cur).strip()
        w = Word(
            text,
            cur[0]["x0"],
            cur[-1]["x1"],
            min(c["top"] for c in cur),
            max(c["bottom"] for c in cur),
            body,
        )
        for marker, end in self.pending_sup:
            if w.x0 - end < 0.6 * body or not words:
                w.lead.append(marker)
            else:
                words[-1].markers.append(marker)
        self.pending_sup.clear()
        words.append(w)
        cur.clear()

    def flush_sup(self) -> None:
        """End the current superscript: a marker of the word it touches, or waiting."""
        if not self.sup_text:
            return
        marker = _clean_marker(self.sup_text)
        body = self.body
        cur = self.cur
        words = self.words
        if cur and not self.space_seen and self.sup_start - cur[-1]["x1"] < 0.5 * body:
            self.flush()
            words[-1].markers.append(marker)
        elif (
            not cur and words and not self.space_seen and self.sup_start - words[-1].x1 < 0.5 * body
        ):
            words[-1].markers.append(marker)
        else:
            self.flush()
            self.pending_sup.append((marker, self.sup_x1))
        self.sup_text = ""

    def superscript(self, c: Mapping[str, Any]) -> None:
        """Add a superscript char (a gap wider than half its size starts another marker)."""
        if not self.sup_text:
            self.sup_start = c["x0"]
        elif c["x0"] - self.sup_x1 > 0.5 * c["size"]:
            self.flush_sup()
            self.sup_start = c["x0"]
        self.sup_text += c["text"]
        self.sup_x1 = c["x1"]

    def char(self, c: Mapping[str, Any]) -> None:
        """Add a body char (a gap wider than a word break starts another word)."""
        cur = self.cur
        if cur:
            gap = c["x0"] - cur[-1]["x1"]
            limit = (0.1 if self.space_seen else WORD_GAP) * max(c["size"], 1.0)
            if gap > limit:
                self.flush()
        cur.append(c)
        self.space_seen = False

    def finish(self) -> list[Word]:
        """End the line and return its words (markers left waiting go to the last word)."""
        self.flush_sup()
        self.flush()
        if self.pending_sup and self.words:
            self.words[-1].markers.extend(m for m, _ in self.pending_sup)
        return self.words


def _line_words(
    row: Sequence[Mapping[str, Any]],
    leaders: Sequence[bool],
    body: float,
    baseline: float,
    superscript_ratio: float,
) -> list[Word]:
    """Words of one line (chars sorted left to right), superscripts attached as markers."""
    builder = _WordBuilder(body)
    small = superscript_ratio * body
    raised = baseline - 0.15 * body
    for idx, c in enumerate(row):
        if leaders[idx]:
            builder.flush_sup()
            builder.flush()
            builder.space_seen = True
            continue
        t = c["text"]
        if c["size"] < small and c["bottom"] < raised and not t.isspace():
            builder.superscript(c)
            continue
        if builder.sup_text:
            builder.flush_sup()
        if t.isspace():
            builder.space_seen = True
            continue
        builder.char(c)
    return builder.finish()


def build_lines(
    chars: Sequence[Mapping[str, Any]], *, superscript_ratio: float = SUPERSCRIPT_RATIO
) -> list[Line]:
    """Turn a page's chars into lines of words, top to bottom.

    Superscripts (chars smaller than ``superscript_ratio`` × the line's body
    size whose baseline is raised) are removed from the text and attached as
    footnote markers to the word they touch. Leader dots are dropped.
    """
    upright = [c for c in chars if c.get("upright", True)]
    lines: list[Line] = []
    for group in _cluster_lines(upright):
        body = _body_size(group)
        if body <= 0:
            continue
        body_bottoms = sorted(c["bottom"] for c in group if abs(c["size"] - body) < 0.05 * body)
        baseline = body_bottoms[len(body_bottoms) // 2] if body_bottoms else group[0]["bottom"]
        row = sorted(group, key=lambda c: c["x0"])
        leaders = _leader_mask(row)
        words = _line_words(row, leaders, body, baseline, superscript_ratio)
        if not words:
            continue
        top = min(w.top for w in words)
        bottom = max(w.bottom for w in words)
        lines.append(Line(words, top, bottom, body, any(leaders)))
    lines.sort(key=lambda ln: (ln.top, ln.x0))
    return lines
