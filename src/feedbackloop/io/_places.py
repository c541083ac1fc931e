"""Read a loop's place table (code -> name) from a CSV file."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from feedbackloop.errors import LoopFileError, Problem

__all__ = ["read_places"]


def read_places(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read a place table: a CSV file with the columns ``code`` and ``name``.

    Codes are read as text, exactly as written (``06001`` keeps its zero);
    other columns are ignored.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    dict of str to str
        Code -> name, in the file's order.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    LoopFileError
        Naming the file and every bad row: a missing column, a blank code or
        name, a code given twice.

    .. versionadded:: 0.2.0
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FileNotFoundError(f"place table not found: {p} (the loop's places:)") from None
    except UnicodeDecodeError as err:
        raise LoopFileError(str(p), [Problem("", f"not UTF-8 text ({err})")]) from err
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in ("code", "name") if c not in header]
    if missing:
        raise LoopFileError(
            str(p),
            [
                Problem(
                    "header",
                    f"no column {' or '.join(repr(c) for c in missing)} (columns: "
                    f"{', '.join(header) or 'none'}); the place table needs code and name",
                )
            ],
        )
    reader.fieldnames = header
    out: dict[str, str] = {}
    problems: list[Problem] = []
    for row_number, row in enumerate(reader, start=2):
        code, name = (row.get("code") or "").strip(), (row.get("name") or "").strip()
        where = f"row {row_number}"
        if not code or not name:
            problems.append(Problem(where, "a place needs both a code and a name"))
        elif code in out:
            problems.append(Problem(where, f"code {code!r} is given twice; name each place once"))
        else:
            out[code] = name
    if problems:
        raise LoopFileError(str(p), problems)
    return out
