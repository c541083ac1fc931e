"""What :func:`feedbackloop.pdf.read_tables` returns: tables with their notes."""

from __future__ import annotations

from typing import Any

import attrs
import pandas as pd
from attrs import field, frozen

__all__ = ["Note", "PdfTable"]


def _tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value)


def _frame_eq(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    return bool(a.equals(b))


@frozen(kw_only=True)
class Note:
    """A footnote marker found in a table, with the footnote text found on the page.

    Parameters
    ----------
    marker : str
        The marker as printed, without parentheses: ``"2"``, ``"*"``, ``"**"``.
    text : str or None
        The footnote's text when the page defines it (``"Includes …"``), else ``None``.
    cells : tuple of (int or None, str)
        Where the marker sits: ``(row, column)`` with ``row`` the position in
        :attr:`PdfTable.frame` (``None`` for the column header) and ``column``
        the frame column name.
    page : int or None
        The page the footnote text was found on.

    .. versionadded:: 0.1.0
    """

    marker: str
    text: str | None = None
    cells: tuple[tuple[int | None, str], ...] = field(default=(), converter=_tuple)
    page: int | None = None


@frozen(kw_only=True)
class PdfTable:
    """One table read from a PDF, possibly stitched over several pages.

    Attributes
    ----------
    frame : pandas.DataFrame
        One column per table column, named from the (possibly multi-row)
        header; numeric columns hold floats (separators, signs, ``%`` and
        footnote markers removed; a dash gives NaN, or 0.0 with ``dash="zero"``;
        see ``kinds``),
        text columns hold cleaned strings (leader dots and markers removed).
    kinds : pandas.DataFrame
        Same shape as ``frame``: the :class:`CellKind` value of every cell
        (``"number"``, ``"dash"``, ``"not_applicable"``, ``"empty"``, ...).
    text : pandas.DataFrame
        Same shape: the cell text as printed (markers removed).
    pages : tuple of int
        Pages the table spans, numbered from 1.
    header_rows : tuple of tuple of str
        The header lines as printed, one cell per column (a spanning cell's text
        sits in its first column), a row of column numbers included; empty when
        no header was found (the columns are then ``column_1``, ``column_2``, ...).
    notes : tuple of Note
        Footnote markers found in the table, linked to their cells.
    strategy : str
        How columns were found: ``"lines"``, ``"rects"``, ``"text"`` or ``"explicit"``.
    title : str or None
        A caption found just above the table (``"Table 324. Arrests by ..."``),
        followed by a title row spanning the top of a three-level header.
    label_column : str or None
        The column holding row labels, if the first column is text.
    bbox : tuple of (int, (float, float, float, float))
        The table's box on each page, ``(x0, top, x1, bottom)`` in PDF points.
    remarks : tuple of str
        Decisions taken while reading: rows split, pages stitched, no header
        found, a row of column numbers dropped, what dashes were read as (and
        the page's legend when it says a dash is zero).
    source : str
        The file.

    .. versionadded:: 0.1.0
    """

    frame: pd.DataFrame = field(eq=attrs.cmp_using(eq=_frame_eq), hash=False, repr=False)
    kinds: pd.DataFrame = field(eq=attrs.cmp_using(eq=_frame_eq), hash=False, repr=False)
    text: pd.DataFrame = field(eq=attrs.cmp_using(eq=_frame_eq), hash=False, repr=False)
    pages: tuple[int, ...] = field(converter=_tuple)
    header_rows: tuple[tuple[str, ...], ...] = field(default=(), converter=_tuple)
    notes: tuple[Note, ...] = field(default=(), converter=_tuple)
    strategy: str = "text"
    title: str | None = None
    label_column: str | None = None
    bbox: tuple[tuple[int, tuple[float, float, float, float]], ...] = field(
        default=(), converter=_tuple
    )
    remarks: tuple[str, ...] = field(default=(), converter=_tuple)
    source: str = ""

    @property
    def columns(self) -> tuple[str, ...]:
        """The column names."""
        return tuple(map(str, self.frame.columns))

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, columns)`` of :attr:`frame`."""
        rows, cols = self.frame.shape
        return int(rows), int(cols)

    def notes_for(self, row: int | None, column: str) -> tuple[Note, ...]:
        """Return the notes attached to one cell (``row=None`` for the header)."""
        return tuple(n for n in self.notes if (row, column) in n.cells)

    def __repr__(self) -> str:
        pages = f"{self.pages[0]}" if len(self.pages) == 1 else f"{self.pages[0]}-{self.pages[-1]}"
        rows, cols = self.shape
        return (
            f"<PdfTable page {pages}: {rows} rows x {cols} columns, strategy={self.strategy!r}, "
            f"{len(self.notes)} note(s)>"
        )
