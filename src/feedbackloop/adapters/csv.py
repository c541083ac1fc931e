r"""The ``csv`` adapter: partner spreadsheets saved as CSV, read with pyarrow.

Reads tidy long files with a column mapping, Open SDG files and KIDS COUNT
exports without options, and wide files with ``wide=``; see the docs page
"Reading partner spreadsheets" for every option.

Examples
--------
>>> import feedbackloop as fl, pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "enrolled.csv"
>>> _ = path.write_text("Year,Sex,Units,Value\n2020,,Percentage (%),51.5\n"
...                     "2020,Female,Percentage (%),53.0\n2020,Male,Percentage (%),N/A\n")
>>> s = fl.read("csv", path)
>>> s.unit, s.dimensions, s.frame["value"].tolist()
('percent', ('Sex',), [51.5, 53.0, nan])
>>> s.frame["status"].tolist()
['estimate', 'estimate', 'not_available']
"""

from __future__ import annotations

import codecs
import csv as _csv
import io
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pyarrow as pa

from feedbackloop.adapters._base import ADAPTER_API, Source, SourceInfo, source_label
from feedbackloop.adapters._tabular import (
    Errors,
    Layout,
    ReadOptions,
    SpreadsheetReadError,
    TabularRead,
    _Problems,
    build_series,
    describe,
    numeric_columns,
    resolve_roles,
)
from feedbackloop.errors import AdapterWarning, SourceReadError

if TYPE_CHECKING:
    from feedbackloop.model import Indicator
    from feedbackloop.series import IndicatorSeries

__all__ = ["CsvAdapter", "SpreadsheetReadError", "TabularRead"]

_SUFFIXES = (".csv", ".tsv", ".txt")
_SAMPLE_BYTES = 1 << 20
_SAMPLE_ROWS = 1000
_NAME = "csv"


def _sniff_encoding(head: bytes, encoding: str | None) -> tuple[str, bytes]:
    """Return the encoding to use and the BOM to skip, from the first bytes."""
    if encoding is not None:
        bom = codecs.BOM_UTF8 if encoding.lower().replace("_", "-") in ("utf-8-sig",) else b""
        return ("utf-8" if bom else encoding), bom
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", codecs.BOM_UTF8
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", b""
    cut = head.rfind(b"\n")
    sample = head if cut < 0 or len(head) < _SAMPLE_BYTES else head[: cut + 1]
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252", b""
    return "utf-8", b""


class _CsvFile:
    """One CSV file: its encoding, header and where each data row sits."""

    def __init__(
        self, source: Source, *, encoding: str | None, delimiter: str, skip_rows: int
    ) -> None:
        self.label = source_label(source)
        self.path = Path(self.label)
        self.delimiter = delimiter
        self.skip_rows = skip_rows
        try:
            with self.path.open("rb") as fh:
                head = fh.read(_SAMPLE_BYTES)
        except OSError as err:
            raise SourceReadError(
                f"cannot open the file: {err.strerror or err}; check the path",
                adapter=_NAME,
                source=self.label,
            ) from err
        self.complete = len(head) < _SAMPLE_BYTES
        self.encoding, self.bom = _sniff_encoding(head, encoding)
        self.guessed = encoding is None and self.encoding == "cp1252"
        self.head = head
        self._lines: tuple[np.ndarray[Any, Any], list[tuple[int, str]]] | None = None

    def _text_head(self) -> str:
        data = self.head[len(self.bom) :]
        if not self.complete:
            cut = data.rfind(b"\n")
            data = data[: cut + 1] if cut >= 0 else data
        return data.decode(self.encoding, errors="replace")

    def sample(self, rows: int = _SAMPLE_ROWS) -> tuple[pa.Table, bool]:
        """Return the first ``rows`` data rows as text columns, and whether that is all."""
        reader = _csv.reader(io.StringIO(self._text_head(), newline=""), delimiter=self.delimiter)
        records = []
        stopped = False
        for r in reader:
            if r:
                records.append(r)
            if len(records) > self.skip_rows + rows:
                stopped = True
                break
        records = records[self.skip_rows :]
        if not records:
            raise SourceReadError(
                "the file is empty (no header row)", adapter=_NAME, source=self.label
            )
        self.raw_header = list(records[0])
        header = [h.strip() for h in records[0]]
        _check_header(header, self.label)
        body = [r for r in records[1 : rows + 1] if len(r) == len(header)]
        complete = self.complete and not stopped
        cols = {h: pa.array([r[i] for r in body], pa.string()) for i, h in enumerate(header)}
        return pa.table(cols), complete

    def header(self) -> list[str]:
        return list(self.sample(0)[0].column_names)

    def read(self, columns: Sequence[str], numeric: Sequence[str], problems: _Problems) -> pa.Table:
        """Read every row with pyarrow: keys as dictionaries, numbers as float64 if clean."""
        import pyarrow.csv as pcsv

        bad_rows: list[str] = []

        def on_invalid(row: Any) -> str:
            bad_rows.append(str(row.text))
            return "skip"

        raw = dict(zip(columns, self.raw_header, strict=False))

        def attempt(encoding: str, typed: bool) -> pa.Table:
            """Read fast (newlines never inside quotes); re-read if that was wrong."""
            try:
                table = once(encoding, typed, newlines=False)
            except pa.ArrowInvalid as err:
                if "conversion error" in str(err) or "UTF8" in str(err):
                    raise
                return once(encoding, typed, newlines=True)
            if bad_rows or _has_line_breaks(table):
                # A quoted value holds a line break: pyarrow's parallel reader may have
                # split the file inside it, so read again the careful (serial) way.
                return once(encoding, typed, newlines=True)
            return table

        def once(encoding: str, typed: bool, *, newlines: bool) -> pa.Table:
            types: dict[str, pa.DataType] = {
                raw.get(c, c): (
                    pa.float64()
                    if typed and c in numeric
                    else pa.string()
                    if c in numeric
                    else pa.dictionary(pa.int32(), pa.string())
                )
                for c in columns
            }
            bad_rows.clear()
            return _unify(
                pcsv.read_csv(
                    self.path,
                    read_options=pcsv.ReadOptions(
                        encoding=encoding, skip_rows=self.skip_rows, column_names=None
                    ),
                    parse_options=pcsv.ParseOptions(
                        delimiter=self.delimiter,
                        newlines_in_values=newlines,
                        invalid_row_handler=on_invalid,
                    ),
                    convert_options=pcsv.ConvertOptions(
                        column_types=types,
                        strings_can_be_null=False,
                        null_values=[""],
                        quoted_strings_can_be_null=False,
                    ),
                )
            )

        encoding = self.encoding
        table = None
        for typed in (True, False):
            try:
                table = attempt(encoding, typed)
                break
            except pa.ArrowInvalid as err:
                text = str(err)
                if "invalid UTF8" in text or "UTF-8" in text:
                    if self.encoding != "utf-8" or encoding != "utf-8":
                        raise self._error(err) from err
                    encoding = "cp1252"
                    self.encoding = encoding
                    self.guessed = True
                    try:
                        table = attempt(encoding, False)
                        break
                    except pa.ArrowInvalid as err2:
                        raise self._error(err2) from err2
                if typed and "conversion error" in text:
                    continue
                raise self._error(err) from err
        assert table is not None
        renamed = [c.strip() for c in table.column_names]
        table = table.rename_columns(renamed)
        if bad_rows:
            lines = self._scan(len(renamed))[1]
            for line, record in lines:
                problems.add_line(
                    f"line {line}",
                    "",
                    record,
                    f"does not have {len(renamed)} fields like the header",
                )
            if not lines:  # the scan found nothing: report what pyarrow saw
                for record in bad_rows:
                    problems.add_line(
                        "a line", "", record, "does not split into the header's fields"
                    )
        return table

    def _error(self, err: Exception) -> SourceReadError:
        return SourceReadError(
            f"cannot parse the file as {self.encoding} CSV with delimiter "
            f"{self.delimiter!r}: {err}; set encoding=... or delimiter=...",
            adapter=_NAME,
            source=self.label,
        )

    def _scan(self, width: int) -> tuple[np.ndarray[Any, Any], list[tuple[int, str]]]:
        """Line where each data row starts, and lines with the wrong number of fields."""
        if self._lines is None:
            starts: list[int] = []
            bad: list[tuple[int, str]] = []
            with self.path.open("r", encoding=self.encoding, errors="replace", newline="") as fh:
                if self.bom and fh.read(1) != "\ufeff":
                    fh.seek(0)
                reader = _csv.reader(fh, delimiter=self.delimiter)
                skipped = 0
                line = 1
                header_seen = False
                for record in reader:
                    first = line
                    line = reader.line_num + 1
                    if not record:
                        continue
                    if skipped < self.skip_rows:
                        skipped += 1
                        continue
                    if not header_seen:
                        header_seen = True
                        continue
                    if len(record) != width:
                        bad.append((first, self.delimiter.join(record)))
                        continue
                    starts.append(first)
            self._lines = (np.asarray(starts, dtype=np.int64), bad)
        return self._lines

    def locate(self, width: int) -> Any:
        def where(rows: np.ndarray[Any, Any]) -> list[str]:
            starts = self._scan(width)[0]
            return [
                f"line {int(starts[r])}" if 0 <= r < len(starts) else f"data row {int(r) + 1}"
                for r in rows
            ]

        return where


def _unify(table: pa.Table) -> pa.Table:
    """Put each dictionary column in one chunk with one dictionary (read in parallel blocks)."""
    for i, col in enumerate(table.columns):
        if pa.types.is_dictionary(col.type) and col.num_chunks != 1:
            table = table.set_column(i, table.field(i), pa.chunked_array([col.combine_chunks()]))
    return table


def _has_line_breaks(table: pa.Table) -> bool:
    """Whether any text cell holds a line break or a quote (signs of a split record)."""
    import pyarrow.compute as pc

    for col in table.columns:
        arr = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
        if pa.types.is_dictionary(arr.type):
            arr = arr.dictionary
        if (
            pa.types.is_string(arr.type)
            and pc.any(pc.match_substring_regex(arr, '[\r\n"]')).as_py()
        ):
            return True
    return False


def _check_header(header: list[str], label: str) -> None:
    empty = [i + 1 for i, h in enumerate(header) if not h]
    dup = sorted({h for h in header if h and header.count(h) > 1})
    if empty or dup:
        parts = []
        if empty:
            parts.append(f"header cells {empty} are empty")
        if dup:
            parts.append(f"header names repeat: {', '.join(map(repr, dup))}")
        raise SourceReadError(
            "; ".join(parts) + "; every column needs a distinct name (if the header is not "
            "on the first line, pass skip_rows=...)",
            adapter=_NAME,
            source=label,
        )


class CsvAdapter:
    """Read partner CSV files into indicator series.

    Recognises three layouts without options: *tidy* long files (one row per
    place × period × category, columns named ``geography``/``period``/``value``
    or mapped with options), *Open SDG* data files (``Year``, disaggregation
    columns where an empty cell is the total, ``Value``, attribute columns such
    as ``Units`` and ``Observation status``) and *KIDS COUNT* exports
    (``Location, Category, TimeFrame, DataFormat, Data``). Wide files are melted
    with ``wide=``.

    .. versionadded:: 0.1.0
    """

    name: ClassVar[str] = _NAME
    api_version: ClassVar[int] = ADAPTER_API
    description: ClassVar[str] = (
        "CSV files: tidy long tables, Open SDG and KIDS COUNT layouts, wide tables"
    )

    def can_read(self, source: Source) -> bool:
        """Whether ``source`` is a ``.csv``/``.tsv`` file path (by its suffix only)."""
        try:
            label = source_label(source)
        except TypeError:
            return False
        return "://" not in label and Path(label).suffix.lower() in _SUFFIXES

    def discover(
        self,
        source: Source,
        *,
        encoding: str | None = None,
        delimiter: str = ",",
        skip_rows: int = 0,
        layout: Layout = "auto",
        value: str | None = None,
        geography: str | None = None,
        period: str | None = None,
        dimensions: Sequence[str] | None = None,
        category: str | None = None,
        category_map: Mapping[str, Mapping[str, str]] | None = None,
        column_mapping: Mapping[str, str] | str | os.PathLike[str] | None = None,
        wide: str | None = None,
        wide_columns: Sequence[str] | None = None,
    ) -> SourceInfo:
        """Describe a CSV file from its first rows (at most 1 MB is read).

        Parameters
        ----------
        source : str or path
            The file.
        encoding, delimiter, skip_rows, layout, value, geography, period, dimensions, \
category, category_map, column_mapping, wide, wide_columns
            As for :meth:`read`.

        Returns
        -------
        SourceInfo
            Columns, the dimensions :meth:`read` would make, periods and units
            seen in the sample, the layout recognised (``extra["layout"]``),
            the encoding, and ``rows`` when the whole file fit in the sample.
        """
        f = _CsvFile(source, encoding=encoding, delimiter=delimiter, skip_rows=skip_rows)
        table, complete = f.sample()
        opts = ReadOptions(
            layout=layout,
            value=value,
            geography=geography,
            period=period,
            dimensions=dimensions,
            category=category,
            category_map=category_map,
            column_mapping=column_mapping,
            wide=wide,
            wide_columns=wide_columns,
        )
        _, found = describe(table, opts, complete=complete)
        notes = list(found["notes"])
        if f.guessed:
            notes.append("not UTF-8: decoded as cp1252 (pass encoding=... if that is wrong)")
        return SourceInfo(
            adapter=self.name,
            source=f.label,
            columns=tuple(table.column_names),
            dimensions=found["dimensions"],
            periods=found["periods"],
            units=found["units"],
            rows=table.num_rows if complete else None,
            notes=tuple(notes),
            extra={**found["extra"], "encoding": f.encoding},
        )

    def read(
        self,
        source: Source,
        *,
        indicator: Indicator | str | None = None,
        unit: str | None = None,
        value: str | None = None,
        moe: str | None = None,
        geography: str | None = None,
        period: str | None = None,
        dimensions: Sequence[str] | None = None,
        numerator: str | None = None,
        denominator: str | None = None,
        status: str | None = None,
        default_geography: str | None = None,
        column_mapping: Mapping[str, str] | str | os.PathLike[str] | None = None,
        code_mapping: Mapping[str, Mapping[str, str]] | str | os.PathLike[str] | None = None,
        category: str | None = None,
        category_map: Mapping[str, Mapping[str, str]] | None = None,
        total: str | Sequence[str] | None = None,
        wide: str | None = None,
        wide_columns: Sequence[str] | None = None,
        select: Mapping[str, str | Sequence[str]] | None = None,
        missing: Mapping[str, str] | Sequence[str] | None = None,
        thousands: str | None = ",",
        decimal: str = ".",
        multiplier: float = 1.0,
        layout: Layout = "auto",
        encoding: str | None = None,
        delimiter: str = ",",
        skip_rows: int = 0,
        errors: Errors = "raise",
    ) -> IndicatorSeries:
        """Read a CSV file into a validated :class:`~feedbackloop.IndicatorSeries`.

        Parameters
        ----------
        source : str or path
            The CSV file.
        indicator : Indicator or str, optional
            What the values measure; a string is used as the indicator's name
            (default: the file name). An Indicator's unit must be compatible
            with the file's unit.
        unit : str, optional
            The values' unit; default from a ``Units``/``Unit measure``/``DataFormat``
            column, ``%`` or currency signs in the values, or the indicator.
        value, moe, geography, period, numerator, denominator, status : str, optional
            The file's column for each part of the series (defaults: standard
            names such as ``value``/``Value``, ``geography``/``GEOID``,
            ``period``/``Year``; fixed names in the Open SDG and KIDS COUNT layouts).
        dimensions : sequence of str, optional
            Disaggregation columns; default every column with no other part.
            Columns left out are not read.
        default_geography : str, optional
            Place code for rows without one (files about one place). Open SDG
            headline rows default to the single GeoCode the file gives them, else
            :data:`~feedbackloop.TOTAL`.
        column_mapping : mapping or path, optional
            Rename columns (``{"Sex": "sex"}``), or an Open SDG ``column_mapping.csv``.
        code_mapping : mapping or path, optional
            Recode categories per column (``{"sex": {"Male": "M"}}``), or an Open
            SDG ``code_mapping.csv``.
        category : str, optional
            A column that mixes several dimensions (KIDS COUNT's ``Category``).
        category_map : mapping, optional
            Each label of ``category`` to its ``{dimension: category}``; the
            dimensions it does not name are :data:`~feedbackloop.TOTAL`
            (``{"All Students": {}, "Female Students": {"sex": "Female"}}``).
        total : str or sequence of str, optional
            Category labels meaning "all categories" (default: an empty cell in
            the Open SDG and KIDS COUNT layouts, nothing otherwise).
        wide : str, optional
            Melt a wide table: ``"period"`` when the columns are years, or the
            name of the dimension the column headers become.
        wide_columns : sequence of str, optional
            The columns to melt (default: year-like headers for
            ``wide="period"``, otherwise every unassigned column).
        select : mapping, optional
            Keep only rows whose column has one of the given values
            (``{"Units": "Number"}``), for files holding several series.
        missing : mapping or sequence of str, optional
            Cell texts meaning "no value" (default ``""``, ``-``: missing;
            ``N/A``, ``NA``: not_available; ``(X)``: not_applicable); a mapping
            gives each its :class:`~feedbackloop.Status`.
        thousands, decimal : str
            Number separators (``thousands=None`` refuses grouped numbers).
        multiplier : float
            Multiply values and MOEs (``1000`` for a table "in thousands");
            Open SDG ``Unit multiplier`` columns are applied too.
        layout : {"auto", "tidy", "open_sdg", "kids_count"}
            Force a layout instead of recognising it from the header.
        encoding : str, optional
            Default: UTF-8 (a BOM is skipped), else cp1252 when the bytes are not
            UTF-8.
        delimiter : str
            Field separator.
        skip_rows : int
            Lines above the header (titles, notes).
        errors : {"raise", "collect"}
            ``"raise"``: one :class:`SpreadsheetReadError` listing every
            offending row (line and column). ``"collect"``: leave those rows out,
            warn with the count, and keep the report (see :meth:`read_report`).

        Returns
        -------
        IndicatorSeries

        Raises
        ------
        SpreadsheetReadError
            Cells that are not numbers or periods, unknown categories, repeated
            keys, bad statuses: every one, with its line.
        SourceReadError
            The file cannot be opened or parsed, or options do not fit it.
        """
        return self.read_report(
            source,
            indicator=indicator,
            unit=unit,
            value=value,
            moe=moe,
            geography=geography,
            period=period,
            dimensions=dimensions,
            numerator=numerator,
            denominator=denominator,
            status=status,
            default_geography=default_geography,
            column_mapping=column_mapping,
            code_mapping=code_mapping,
            category=category,
            category_map=category_map,
            total=total,
            wide=wide,
            wide_columns=wide_columns,
            select=select,
            missing=missing,
            thousands=thousands,
            decimal=decimal,
            multiplier=multiplier,
            layout=layout,
            encoding=encoding,
            delimiter=delimiter,
            skip_rows=skip_rows,
            errors=errors,
            warn=True,
        ).series

    def read_report(
        self,
        source: Source,
        *,
        indicator: Indicator | str | None = None,
        unit: str | None = None,
        value: str | None = None,
        moe: str | None = None,
        geography: str | None = None,
        period: str | None = None,
        dimensions: Sequence[str] | None = None,
        numerator: str | None = None,
        denominator: str | None = None,
        status: str | None = None,
        default_geography: str | None = None,
        column_mapping: Mapping[str, str] | str | os.PathLike[str] | None = None,
        code_mapping: Mapping[str, Mapping[str, str]] | str | os.PathLike[str] | None = None,
        category: str | None = None,
        category_map: Mapping[str, Mapping[str, str]] | None = None,
        total: str | Sequence[str] | None = None,
        wide: str | None = None,
        wide_columns: Sequence[str] | None = None,
        select: Mapping[str, str | Sequence[str]] | None = None,
        missing: Mapping[str, str] | Sequence[str] | None = None,
        thousands: str | None = ",",
        decimal: str = ".",
        multiplier: float = 1.0,
        layout: Layout = "auto",
        encoding: str | None = None,
        delimiter: str = ",",
        skip_rows: int = 0,
        errors: Errors = "collect",
        warn: bool = False,
    ) -> TabularRead:
        """Read like :meth:`read` and also return the rejected-rows report.

        Takes the options of :meth:`read`; ``errors`` defaults to ``"collect"``.

        Returns
        -------
        TabularRead
            ``.series`` and ``.rejected`` (a DataFrame: ``location``, ``column``,
            ``value``, ``reason``; empty when every row was read).
        """
        options = {k: v for k, v in locals().items() if k not in ("self", "source", "warn")}
        opts = ReadOptions(**{k: v for k, v in options.items() if k not in _FILE_OPTIONS})
        f = _CsvFile(source, encoding=encoding, delimiter=delimiter, skip_rows=skip_rows)
        header = f.header()
        roles = resolve_roles(header, opts)
        problems = _Problems()
        table = f.read(header, numeric_columns(roles), problems)
        result = build_series(
            table,
            opts,
            adapter=self.name,
            source=f.label,
            locate=f.locate(len(header)),
            provenance_options=_provenance(options, f.encoding),
            roles=roles,
            extra_problems=problems,
        )
        if warn and not result.rejected.empty:
            warnings.warn(
                f"{f.label}: left out {result.rejected['row'].nunique()} row(s) with problems "
                f"(first: {result.rejected['location'].iloc[0]}, "
                f"{result.rejected['reason'].iloc[0]}); CsvAdapter().read_report(...) returns "
                "the full list",
                AdapterWarning,
                stacklevel=3,
            )
        return result


_FILE_OPTIONS = frozenset({"encoding", "delimiter", "skip_rows", "sheet", "header_row"})


def _provenance(options: Mapping[str, Any], encoding: str) -> dict[str, Any]:
    """Return the options worth recording, as JSON-ready values."""
    out: dict[str, Any] = {}
    for k, v in options.items():
        if v is None or (k == "errors" and v == "raise"):
            continue
        if k == "indicator" and not isinstance(v, str):
            continue
        if isinstance(v, os.PathLike):
            v = os.fspath(v)
        elif isinstance(v, Mapping):
            v = {str(a): (dict(b) if isinstance(b, Mapping) else b) for a, b in v.items()}
        elif isinstance(v, tuple | list):
            v = list(v)
        out[k] = v
    defaults = {
        "thousands": ",",
        "decimal": ".",
        "multiplier": 1.0,
        "layout": "auto",
        "delimiter": ",",
        "skip_rows": 0,
    }
    out = {k: v for k, v in out.items() if defaults.get(k, object()) != v}
    out["encoding"] = encoding
    return out
