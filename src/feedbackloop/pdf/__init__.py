"""Statistical tables out of PDFs: :func:`read_tables` returns :class:`PdfTable` objects.

pdfplumber (the ``pdf`` extra) does the PDF parsing; it is imported when
:func:`read_tables` is first called, not when this package is imported.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from feedbackloop.errors import (
    EncryptedPdfError,
    NoTableFoundError,
    NotAPdfError,
    NoTextLayerError,
    PageRangeError,
    PdfReadError,
)
from feedbackloop.pdf._cells import CellKind, parse_cell
from feedbackloop.pdf._read import (
    DASH_MEANINGS,
    STRATEGIES,
    DashMeaning,
    TableStrategy,
    read_tables,
)
from feedbackloop.pdf._table import Note, PdfTable

__all__ = [
    "DASH_MEANINGS",
    "STRATEGIES",
    "CellKind",
    "DashMeaning",
    "EncryptedPdfError",
    "NoTableFoundError",
    "NoTextLayerError",
    "NotAPdfError",
    "Note",
    "PageRangeError",
    "PdfReadError",
    "PdfTable",
    "TableStrategy",
    "parse_cell",
    "read_tables",
]
