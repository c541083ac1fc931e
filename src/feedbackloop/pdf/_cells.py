"""Reading the text of one table cell: numbers, dashes, symbols and footnote markers."""

from __future__ import annotations

import enum
import math
import re

from attrs import frozen

__all__ = ["CellKind", "ParsedCell", "parse_cell", "split_markers"]


class CellKind(enum.StrEnum):
    """What a table cell holds, recorded beside the parsed number.

    .. versionadded:: 0.1.0
    """

    #: An ordinary number (thousands separators, decimals, sign and ``%`` removed).
    NUMBER = "number"
    #: Text that is not a number (row labels, dates, names).
    TEXT = "text"
    #: Nothing printed in the cell.
    EMPTY = "empty"
    #: A lone dash (``-``, ``–``, ``—``): not available, unless the publisher's legend
    #: says it is zero (``read_tables(dash="zero")``).
    DASH = "dash"
    #: ``(X)``: not applicable. Never a zero.
    NOT_APPLICABLE = "not_applicable"
    #: ``(NA)``, ``NA``, ``N/A``, ``n.a.``, ``(S)``: not available.
    NOT_AVAILABLE = "not_available"
    #: ``(D)``: withheld to avoid disclosing data of individual respondents.
    SUPPRESSED = "suppressed"
    #: ``(Z)``: rounds to zero (less than half the unit shown).
    ROUNDS_TO_ZERO = "rounds_to_zero"

    @property
    def is_value(self) -> bool:
        """Whether a numeric column may hold a cell of this kind."""
        return self is not CellKind.TEXT


@frozen
class ParsedCell:
    """The reading of one cell: a value (NaN when there is none), its kind, footnote markers."""

    value: float
    kind: CellKind
    markers: tuple[str, ...] = ()
    percent: bool = False


_DASHES = frozenset({"-", "–", "—", "‒", "−", "--", "---", "- -", "––"})
_SYMBOLS = {
    "(x)": CellKind.NOT_APPLICABLE,
    "x": CellKind.NOT_APPLICABLE,
    "(na)": CellKind.NOT_AVAILABLE,
    "na": CellKind.NOT_AVAILABLE,
    "n/a": CellKind.NOT_AVAILABLE,
    "n.a.": CellKind.NOT_AVAILABLE,
    "n.a": CellKind.NOT_AVAILABLE,
    "(s)": CellKind.NOT_AVAILABLE,
    "(d)": CellKind.SUPPRESSED,
    "(z)": CellKind.ROUNDS_TO_ZERO,
}
_LEAD_STARS = re.compile(r"^(\*+|[†‡§¶]+)\s*(?=\S)")
_TRAIL_STARS = re.compile(r"(?<=\S)\s*(\*+|[†‡§¶]+)$")
_SPACE_BEFORE_POINT = re.compile(r"(\d)\s+([.,]\d)")
_SPACE_AFTER_POINT = re.compile(r"(\d[.])\s+(\d)")
_NUMBER = re.compile(
    r"""^(?P<sign>[-−–+])?\s*
        (?P<open>\()?\s*
        (?P<cur>[$€£¥₹])?\s*
        (?P<int>\d{1,3}(?:,\d{3})+|\d{1,3}(?:[ \u2009\u202f]\d{3})+|\d+)?
        (?P<frac>\.\d+)?
        \s*(?P<close>\))?
        \s*(?P<pct>%)?$""",
    re.VERBOSE,
)


def split_markers(text: str) -> tuple[str, tuple[str, ...]]:
    """Remove leading and trailing footnote stars or daggers (``*Other``, ``Inc.**``).

    Returns
    -------
    tuple
        The text without markers and the markers found, in reading order.
    """
    markers: list[str] = []
    lead = _LEAD_STARS.match(text)
    if lead:
        markers.append(lead.group(1))
        text = text[lead.end() :]
    trail = _TRAIL_STARS.search(text)
    if trail:
        markers.append(trail.group(1))
        text = text[: trail.start()]
    return text.strip(), tuple(markers)


def _number(text: str) -> tuple[float, bool] | None:
    compact = _SPACE_AFTER_POINT.sub(r"\1\2", _SPACE_BEFORE_POINT.sub(r"\1\2", text))
    m = _NUMBER.match(compact)
    if m is None or (m.group("int") is None and m.group("frac") is None):
        return None
    if bool(m.group("open")) != bool(m.group("close")):
        return None
    digits = re.sub(r"[, \u2009\u202f]", "", m.group("int") or "0") + (m.group("frac") or "")
    value = float(digits)
    negative = m.group("sign") in ("-", "−", "–") or bool(m.group("open"))
    if m.group("open") and m.group("sign"):
        return None
    return (-value if negative else value), bool(m.group("pct"))


def parse_cell(text: str) -> ParsedCell:
    """Read the text of one cell.

    Handles thousands separators (present or not), a stray space around the
    decimal point (``11,062 .6``), negatives (``-0.06``, ``−3``, ``(1,234)``),
    percent signs, a lone dash, the Census symbols ``(X)``, ``(NA)``, ``(D)``,
    ``(S)``, ``(Z)``, and footnote stars glued to the value (``1,234*``).

    Parameters
    ----------
    text : str
        The cell text, superscript markers already removed.

    Returns
    -------
    ParsedCell
        ``value`` is NaN unless the cell is a number (a dash gives NaN here;
        the caller decides whether a dash means zero).

    Examples
    --------
    >>> parse_cell("11,062 .6").value
    11062.6
    >>> parse_cell("(X)").kind
    <CellKind.NOT_APPLICABLE: 'not_applicable'>
    >>> parse_cell("-0.06").value
    -0.06

    .. versionadded:: 0.1.0
    """
    stripped = " ".join(text.split())
    if not stripped:
        return ParsedCell(math.nan, CellKind.EMPTY)
    if stripped in _DASHES:
        return ParsedCell(math.nan, CellKind.DASH)
    symbol = _SYMBOLS.get(stripped.lower())
    if symbol is not None:
        value = 0.0 if symbol is CellKind.ROUNDS_TO_ZERO else math.nan
        return ParsedCell(value, symbol)
    core, markers = split_markers(stripped)
    if core in _DASHES:
        return ParsedCell(math.nan, CellKind.DASH, markers)
    parsed = _number(core)
    if parsed is None:
        return ParsedCell(math.nan, CellKind.TEXT, markers)
    return ParsedCell(parsed[0], CellKind.NUMBER, markers, parsed[1])


_DATE = re.compile(r"^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}$")


def value_like(text: str) -> bool:
    """Whether ``text`` reads as a table value (a number, dash, symbol or date)."""
    if _DATE.match(text.strip()):
        return True
    return parse_cell(text).kind not in (CellKind.TEXT, CellKind.EMPTY)
