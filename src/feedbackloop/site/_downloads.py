"""CSV and XLSX downloads of a chart's data, with no cell a spreadsheet would run."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import pandas as pd

from feedbackloop._util import (
    atomic_path,
    atomic_write_text,
    import_optional,
    neutralize_formula,
)

__all__ = ["safe_cells", "write_csv", "write_xlsx"]


def _safe(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
    if isinstance(value, bool | int | float):
        return value
    return neutralize_formula(str(value))


def safe_cells(frame: pd.DataFrame) -> list[list[Any]]:
    """Return ``frame``'s header and rows as plain cells, text neutralised, NA as ``None``."""
    rows = [[_safe(c) for c in frame.columns]]
    rows += [[_safe(v) for v in rec] for rec in frame.itertuples(index=False, name=None)]
    return rows


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as CSV (UTF-8), atomically; blank cells for missing values."""
    cells = safe_cells(frame)
    buf = io.StringIO()
    pd.DataFrame(cells[1:], columns=cells[0]).to_csv(buf, index=False, lineterminator="\n")
    atomic_write_text(path, buf.getvalue())


def write_xlsx(frame: pd.DataFrame, path: Path, *, title: str) -> None:
    """Write ``frame`` as one sheet of an XLSX workbook, atomically (needs openpyxl)."""
    openpyxl = import_optional("openpyxl", extra="excel", purpose="writing XLSX downloads")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "data"
    for row in safe_cells(frame):
        ws.append(row)
    about = wb.create_sheet("README")
    about.append(["What", neutralize_formula(title)])
    about.append(["Note", "Withheld values are blank: they protect privacy and are never shown."])
    with atomic_path(path) as tmp:
        wb.save(tmp)
