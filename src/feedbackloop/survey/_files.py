"""Survey exports into a frame: CSV, XLSX, SPSS ``.sav`` and Stata ``.dta``.

Only the columns an estimate needs are read. Value labels (from the file, or a
``codebook`` mapping given for any format) turn codes into ordered categories;
a code the codebook does not know, or two codes sharing one label, is a
:class:`~feedbackloop.errors.CodebookError` naming the column and rows.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from feedbackloop._util import import_optional
from feedbackloop.errors import CodebookError, SurveyError

__all__ = ["FORMATS", "Codebook", "apply_codebook", "read_columns"]

#: File suffixes the survey reader understands.
FORMATS = (".csv", ".txt", ".xlsx", ".xlsm", ".sav", ".zsav", ".dta")

#: Value labels by column: ``{"q1": {1: "Disagree", 2: "Agree"}}``.
Codebook = Mapping[str, Mapping[Any, str]]
_SHOWN = 20


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise SurveyError(
            f"cannot read {suffix or 'a file without suffix'!r} as a survey export: use "
            f"{', '.join(FORMATS)} (or read it yourself and pass the frame)",
            source=str(path),
        )
    if not path.is_file():
        raise SurveyError("no such file", source=str(path))
    return suffix


def _readstat(suffix: str) -> Any:
    reader = import_optional("pyreadstat", extra="survey", purpose="reading SPSS and Stata files")
    return reader.read_dta if suffix == ".dta" else reader.read_sav


def read_header(path: str | os.PathLike[str]) -> tuple[list[str], dict[str, dict[Any, str]]]:
    """Return a file's column names and the value labels it carries (none for CSV/XLSX)."""
    p = Path(path)
    suffix = _suffix(p)
    if suffix in (".csv", ".txt"):
        return [str(c) for c in pd.read_csv(p, nrows=0).columns], {}
    if suffix in (".xlsx", ".xlsm"):
        import_optional("openpyxl", extra="excel", purpose="reading XLSX survey exports")
        return [str(c) for c in pd.read_excel(p, nrows=0).columns], {}
    _, meta = _readstat(suffix)(str(p), metadataonly=True)
    return list(meta.column_names), {k: dict(v) for k, v in meta.variable_value_labels.items()}


def read_columns(
    path: str | os.PathLike[str], columns: Iterable[str], text: Iterable[str] = ()
) -> pd.DataFrame:
    """Read ``columns`` of a survey file as raw codes (``text`` columns as text, zeros kept)."""
    p = Path(path)
    suffix = _suffix(p)
    cols = list(dict.fromkeys(columns))
    as_text = {c: str for c in text if c in cols}
    if suffix in (".csv", ".txt"):
        return pd.read_csv(p, usecols=cols, dtype=as_text, keep_default_na=True)
    if suffix in (".xlsx", ".xlsm"):
        return pd.read_excel(p, usecols=cols, dtype=as_text)
    frame, _ = _readstat(suffix)(str(p), usecols=cols, apply_value_formats=False)
    return pd.DataFrame(frame)


def _rows(mask: np.ndarray[Any, Any]) -> tuple[int, ...]:
    return tuple(int(i) + 1 for i in np.flatnonzero(mask)[:_SHOWN])


def _same(code: Any, key: Any) -> bool:
    try:
        return bool(code == key) or float(code) == float(key)
    except (TypeError, ValueError):
        return str(code) == str(key)


def _categories(
    values: pd.Series[Any], labels: Mapping[Any, str], column: str, source: str
) -> pd.Series[Any]:
    """Map codes to their labels as an ordered categorical (codebook order)."""
    names = [str(v) for v in labels.values()]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise CodebookError(
            f"value labels of {column!r} give one label to several codes ({', '.join(dup)}): "
            "fix the codebook so each code has its own label",
            source=source,
            column=column,
        )
    keys = list(labels)
    order = sorted(range(len(keys)), key=lambda i: (not _numeric(keys[i]), _sort_key(keys[i])))
    present = values.dropna().unique()
    lookup: dict[Any, str] = {}
    unknown = []
    for code in present:
        hit = next((keys[i] for i in order if _same(code, keys[i])), None)
        if hit is None:
            unknown.append(code)
        else:
            lookup[code] = str(labels[hit])
    if unknown:
        bad = values.isin(unknown).to_numpy()
        raise CodebookError(
            f"{column!r} has codes outside its codebook ({', '.join(map(repr, unknown[:5]))}) "
            f"in rows {', '.join(map(str, _rows(bad)))}; add them to the codebook (or declare "
            "them missing) rather than have them dropped",
            source=source,
            column=column,
            rows=_rows(bad),
        )
    cats = pd.Categorical(
        values.map(lookup), categories=[str(labels[keys[i]]) for i in order], ordered=True
    )
    return pd.Series(cats, index=values.index, name=column)


def _numeric(x: Any) -> bool:
    try:
        float(x)
    except (TypeError, ValueError):
        return False
    return True


def _sort_key(x: Any) -> Any:
    return float(x) if _numeric(x) else str(x)


def apply_codebook(
    frame: pd.DataFrame, codebook: Codebook, columns: Iterable[str], source: str
) -> pd.DataFrame:
    """Turn the codes of ``columns`` that have value labels into ordered categories."""
    out = frame.copy(deep=False)
    for c in columns:
        labels = codebook.get(c)
        if labels:
            out[c] = _categories(frame[c], labels, c, source)
    return out
