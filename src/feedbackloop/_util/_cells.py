"""Spreadsheet cells that cannot run as formulas (CSV / formula injection).

A spreadsheet opening a CSV or XLSX file runs a text cell that starts with
``=``, ``+``, ``-`` or ``@`` as a formula, and some also act on a leading tab
or carriage return (OWASP, "CSV Injection"). Every CSV and XLSX file the
library writes passes its cells through :func:`neutralize_formula`, which
prefixes such text with an apostrophe, the spreadsheet's own "this is text"
mark; :func:`restore_formula` undoes it when the library reads its file back.
Numbers, including negative ones, are not text and stay numbers; so does text
that is exactly a number (``-5``, ``+1.5e3``), which no spreadsheet can run.
"""

from __future__ import annotations

import re
from typing import TypeVar

__all__ = ["FORMULA_TRIGGERS", "neutralize_formula", "restore_formula"]

#: The first characters that make a spreadsheet treat a text cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

_T = TypeVar("_T")

# Text that would run (after any apostrophes already there): the apostrophes are
# counted too, so that text which already starts with one reads back unchanged.
_RUNS = re.compile(r"'*[=+\-@\t\r]")
_NEUTRALIZED = re.compile(r"'+[=+\-@\t\r]")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralize_formula(value: _T) -> _T | str:
    """Return ``value`` so that a spreadsheet cannot run it as a formula.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    (possibly after apostrophes) gets one more apostrophe in front; text that
    is exactly a number and every non-text value are returned unchanged.

    Examples
    --------
    >>> print(neutralize_formula("=1+1"), neutralize_formula("@SUM(A1)"))
    '=1+1 '@SUM(A1)
    >>> neutralize_formula("-5"), neutralize_formula(-5), neutralize_formula("Meet")
    ('-5', -5, 'Meet')
    """
    if not isinstance(value, str) or not _RUNS.match(value) or _NUMBER.fullmatch(value):
        return value
    return "'" + value


def restore_formula(text: str) -> str:
    """Undo :func:`neutralize_formula`: drop the apostrophe it added.

    Examples
    --------
    >>> restore_formula("'=1+1"), restore_formula("''@x"), restore_formula("'quoted")
    ('=1+1', "'@x", "'quoted")
    """
    return text[1:] if _NEUTRALIZED.match(text) else text
