"""The ``excel`` adapter: partner workbooks (``.xlsx``), read with openpyxl.

openpyxl is an optional dependency (``pip install 'feedbackloop[excel]'``); it
is imported when a workbook is read, never when this module is imported. Sheets
are read like CSV files (same layouts and options, see "Reading partner
spreadsheets"); the header row is found below title rows and merged title cells
unless ``header_row`` says where it is.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
from attrs import field, frozen

from feedbackloop._util import import_optional, restore_formula
from feedbackloop.adapters._base import ADAPTER_API, Source, SourceInfo, source_label
from feedbackloop.adapters._options import option, parse_options, with_options
from feedbackloop.adapters._tabular import (
    CellProblems,
    CodesPaddedWarning,
    ReadOptions,
    SpreadsheetReadError,
    TabularRead,
    build_series,
    check_header,
    describe,
    numeric_columns,
    provenance_options,
    resolve_roles,
)
from feedbackloop.errors import AdapterWarning, SourceReadError
from feedbackloop.series import IndicatorSeries

__all__ = [
    "CodesPaddedWarning",
    "ExcelAdapter",
    "ExcelOptions",
    "SpreadsheetReadError",
    "TabularRead",
]

_NAME = "excel"
_SUFFIXES = (".xlsx", ".xlsm")
_HEADER_SEARCH = 50
_SAMPLE_ROWS = 1000


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        # text a spreadsheet would run as a formula was written with a leading
        # apostrophe (feedbackloop's own workbooks do this): read it as it was
        return restore_formula(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, _dt.datetime):
        return value.date().isoformat() if value.time() == _dt.time() else value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    return str(value)


def _looks_like(path: Path) -> str:
    """Say what a file openpyxl cannot open looks like, by its first bytes."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return "is it an .xlsx file?"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "it is an old-format .xls workbook: save it as .xlsx"
    if head.startswith(b"PK\x03\x04"):
        return "it is a ZIP file but not an .xlsx workbook openpyxl can read; save it again"
    if head.startswith(b"%PDF-"):
        return "it is a PDF document: read its tables with the pdf adapter"
    if head and b"\x00" not in head:
        return "it looks like text, not a workbook: if it is CSV, read it with the csv adapter"
    return "it is not an .xlsx workbook (a ZIP file)"


def _column_letter(n: int) -> str:
    """Return the sheet's letters for 1-based column ``n`` (1 -> A, 28 -> AB)."""
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


@frozen
class _Formula:
    """A formula cell without a value: its data row, cell reference and formula."""

    row: int
    ref: str
    formula: str


def _uncalculated(ws: _Sheet, columns: Sequence[str], problems: CellProblems) -> None:
    """Report the formula cells of ``columns`` that hold no calculated value."""
    for column, cells in ws.formulas_without_values(columns).items():
        refs = ", ".join(c.ref for c in cells[:10]) + (", ..." if len(cells) > 10 else "")
        problems.add(
            column,
            np.asarray([c.row for c in cells], dtype=np.int64),
            [c.formula for c in cells],
            f"a formula without a calculated value (cell {refs}): the workbook was saved by a "
            "tool that does not calculate formulas; open it in Excel or LibreOffice and save "
            "it, or export the values",
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Sheet:
    """The table on one worksheet: header, data rows and their sheet row numbers."""

    def __init__(
        self,
        source: Source,
        *,
        sheet: str | int | None,
        header_row: int | None,
        limit: int | None = None,
    ) -> None:
        openpyxl = import_optional("openpyxl", extra="excel", purpose="reading Excel workbooks")
        self.label = source_label(source)
        path = self.path = Path(self.label)
        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except FileNotFoundError as err:
            raise SourceReadError(
                "cannot open the workbook: no such file; check the path",
                adapter=_NAME,
                source=self.label,
            ) from err
        except Exception as err:  # openpyxl raises many types for files it cannot read
            raise SourceReadError(
                f"cannot open the workbook ({type(err).__name__}: {err}); {_looks_like(path)}",
                adapter=_NAME,
                source=self.label,
            ) from err
        try:
            names = list(wb.sheetnames)
            if sheet is None:
                ws = wb.worksheets[0]
            elif isinstance(sheet, int):
                if not 0 <= sheet < len(names):
                    raise SourceReadError(
                        f"sheet={sheet} is out of range; the workbook has {len(names)} sheet(s): "
                        + ", ".join(map(repr, names)),
                        adapter=_NAME,
                        source=self.label,
                    )
                ws = wb.worksheets[sheet]
            elif sheet in names:
                ws = wb[sheet]
            else:
                raise SourceReadError(
                    f"no sheet named {sheet!r}; the sheets are: " + ", ".join(map(repr, names)),
                    adapter=_NAME,
                    source=self.label,
                )
            self.sheet_name = str(ws.title)
            self.sheets = names
            rows = ws.iter_rows(values_only=True)
            self._load(rows, header_row, limit)
        finally:
            wb.close()

    def _load(self, rows: Any, header_row: int | None, limit: int | None) -> None:
        head: list[tuple[int, tuple[Any, ...]]] = []
        found: int | None = None
        for number, row in enumerate(rows, start=1):
            head.append((number, tuple(row)))
            if header_row is not None:
                if number == header_row:
                    found = len(head) - 1
                    break
            elif len(head) >= _HEADER_SEARCH:
                break
        if header_row is None:
            found = _guess_header([r for _, r in head])
        if found is None or not head:
            where = f"row {header_row}" if header_row is not None else "the first rows"
            raise SourceReadError(
                f"no header row found in {where} of sheet {getattr(self, 'sheet_name', '')!r}; "
                "pass header_row=... (1-based sheet row)",
                adapter=_NAME,
                source=self.label,
            )
        self.header_row = head[found][0]
        raw_header = head[found][1]
        width = max(
            (i + 1 for i, v in enumerate(raw_header) if v is not None and str(v).strip()),
            default=0,
        )
        header = [_cell_text(v).strip() for v in raw_header[:width]]
        check_header(header, f"{self.label} [{self.sheet_name}]", _NAME)
        self.header = header
        data: list[tuple[Any, ...]] = []
        numbers: list[int] = []

        def take(number: int, row: tuple[Any, ...]) -> bool:
            cells = tuple(row[:width]) + (None,) * (width - len(row[:width]))
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                return True
            data.append(cells)
            numbers.append(number)
            return limit is None or len(data) < limit

        going = True
        for number, row in head[found + 1 :]:
            going = take(number, row)
            if not going:
                break
        if going:
            for number, row in enumerate(rows, start=head[-1][0] + 1):
                if not take(number, tuple(row)):
                    break
        self.data = data
        self.numbers = np.asarray(numbers, dtype=np.int64)
        self.complete = limit is None or len(data) < limit

    def table(self, numeric: Sequence[str] = ()) -> pa.Table:
        """Cells as Arrow columns: numeric columns of plain numbers stay float64."""
        cols: dict[str, pa.Array] = {}
        for i, name in enumerate(self.header):
            cells = [r[i] for r in self.data]
            if name in numeric and all(c is None or _is_number(c) for c in cells):
                cols[name] = pa.array(
                    [None if c is None else float(c) for c in cells], type=pa.float64()
                )
            else:
                cols[name] = pa.array([_cell_text(c) for c in cells], type=pa.string())
        return pa.table(cols) if cols else pa.table({})

    def formulas_without_values(self, columns: Sequence[str]) -> dict[str, list[_Formula]]:
        """Return the empty cells of ``columns`` that hold a formula, by column.

        Such a formula was never calculated: the workbook was saved by a tool
        that writes formulas without their values. Only rows with an empty cell
        are looked at again (with the formulas, not the values).
        """
        at = [self.header.index(c) for c in columns if c in self.header]
        empty = {
            int(self.numbers[r]): r
            for r, row in enumerate(self.data)
            if any(row[i] is None for i in at)
        }
        if not empty:
            return {}
        openpyxl = import_optional("openpyxl", extra="excel", purpose="reading Excel workbooks")
        wb = openpyxl.load_workbook(self.path, read_only=True, data_only=False)
        found: dict[str, list[_Formula]] = {}
        try:
            rows = wb[self.sheet_name].iter_rows(
                min_row=min(empty), max_row=max(empty), values_only=True
            )
            for number, cells in enumerate(rows, start=min(empty)):
                r = empty.get(number, -1)
                for i in at if r >= 0 else ():
                    if self.data[r][i] is None and i < len(cells) and cells[i] is not None:
                        ref = f"{_column_letter(i + 1)}{number}"
                        found.setdefault(self.header[i], []).append(_Formula(r, ref, str(cells[i])))
        finally:
            wb.close()
        return found

    def numeric_cells(self, column: str) -> np.ndarray[Any, Any]:
        i = self.header.index(column)
        return np.flatnonzero([_is_number(r[i]) for r in self.data])

    def locate(self, rows: np.ndarray[Any, Any]) -> list[str]:
        return [f"sheet {self.sheet_name!r} row {int(self.numbers[r])}" for r in rows]


def _guess_header(rows: list[tuple[Any, ...]]) -> int | None:
    """Return the first row filled at least half as wide as the widest first rows.

    Title rows (one merged cell) and notes above a table have one or two filled
    cells; the header is the first row as wide as the table.
    """

    def filled(row: tuple[Any, ...]) -> int:
        return sum(1 for v in row if v is not None and str(v).strip())

    counts = [filled(r) for r in rows]
    if not counts or max(counts) == 0:
        return None
    widest = max(counts)
    for i, c in enumerate(counts):
        if (c >= 2 and c * 2 >= widest) or c == widest:
            return i
    return None


@frozen(kw_only=True)
class ExcelOptions(ReadOptions):
    """Every option of the ``excel`` adapter: the spreadsheet options and the sheet's own.

    The fields are the keywords of :meth:`ExcelAdapter.read` (and, those marked
    so, of :meth:`ExcelAdapter.discover`).

    .. versionadded:: 0.1.0
    """

    sheet: str | int | None = field(
        default=None,
        metadata=option(
            "Sheet name or 0-based position (default: the first sheet).", discover=True
        ),
    )
    header_row: int | None = field(
        default=None,
        metadata=option(
            "1-based sheet row of the header (default: the first row as wide as the table, "
            "so title rows and merged title cells above it are skipped).",
            discover=True,
        ),
    )


class ExcelAdapter:
    """Read tables from ``.xlsx`` workbooks into indicator series.

    Takes the options of :class:`~feedbackloop.adapters.csv.CsvAdapter` (layouts,
    column and code mappings, missing markers, ``wide=``...) plus ``sheet`` and
    ``header_row``; locations in errors are sheet rows. Needs openpyxl
    (``pip install 'feedbackloop[excel]'``).

    .. versionadded:: 0.1.0
    """

    name: ClassVar[str] = _NAME
    api_version: ClassVar[int] = ADAPTER_API
    description: ClassVar[str] = "Excel workbooks (.xlsx): one table per sheet, via openpyxl"
    options: ClassVar[type[ExcelOptions]] = ExcelOptions

    def can_read(self, source: Source) -> bool:
        """Whether ``source`` is an ``.xlsx``/``.xlsm`` file path (by its suffix only)."""
        try:
            label = source_label(source)
        except TypeError:
            return False
        return "://" not in label and Path(label).suffix.lower() in _SUFFIXES

    @with_options(ExcelOptions, discover=True)
    def discover(self, source: Source, **options: Any) -> SourceInfo:
        """Describe one sheet from its first 1,000 rows.

        Parameters
        ----------
        source : str or path
            The workbook.
        {options}

        Returns
        -------
        SourceInfo
            As for the CSV adapter, plus ``extra["sheets"]``, ``extra["sheet"]``
            and ``extra["header_row"]``.
        """
        opts = parse_options(ExcelOptions, options, adapter=self.name, method="discover")
        ws = _Sheet(source, sheet=opts.sheet, header_row=opts.header_row, limit=_SAMPLE_ROWS)
        table = ws.table()
        _, found = describe(table, opts, complete=ws.complete, adapter=self.name, source=ws.label)
        return SourceInfo(
            adapter=self.name,
            source=ws.label,
            columns=tuple(ws.header),
            dimensions=found["dimensions"],
            periods=found["periods"],
            units=found["units"],
            rows=table.num_rows if ws.complete else None,
            notes=found["notes"],
            extra={
                **found["extra"],
                "sheets": tuple(ws.sheets),
                "sheet": ws.sheet_name,
                "header_row": ws.header_row,
            },
        )

    @with_options(ExcelOptions)
    def read(self, source: Source, **options: Any) -> IndicatorSeries:
        """Read one sheet into a validated :class:`~feedbackloop.IndicatorSeries`.

        Options are those of :meth:`feedbackloop.adapters.csv.CsvAdapter.read`
        (but the CSV file's encoding, delimiter and skip_rows) plus ``sheet`` and
        ``header_row``. Cells holding numbers are taken as they are; text cells
        are parsed like CSV cells. Geography codes stored as numbers are refused
        (leading zeros are lost): format that column as text.

        Parameters
        ----------
        source : str or path
            The workbook.
        {options}

        Returns
        -------
        IndicatorSeries

        Raises
        ------
        SpreadsheetReadError
            Every offending cell, with its sheet row.
        SourceReadError
            The workbook or sheet cannot be read, or options do not fit it.
        MissingDependencyError
            openpyxl is not installed.
        """
        return self._read(source, options, warn=True, method="read").series

    @with_options(ExcelOptions, defaults={"errors": "collect"})
    def read_report(self, source: Source, *, warn: bool = False, **options: Any) -> TabularRead:
        """Read like :meth:`read` and also return the rejected-rows report.

        Parameters
        ----------
        source : str or path
            The workbook.
        {options}
        warn : bool
            Warn when rows are left out (as :meth:`read` does).

        Returns
        -------
        TabularRead
            ``.series`` and ``.rejected``; ``errors`` defaults to ``"collect"``.
        """
        given = {"errors": "collect", **options}
        return self._read(source, given, warn=warn, method="read_report")

    def _read(
        self, source: Source, given: Mapping[str, Any], *, warn: bool, method: str
    ) -> TabularRead:
        opts = parse_options(ExcelOptions, given, adapter=self.name, method=method)
        ws = _Sheet(source, sheet=opts.sheet, header_row=opts.header_row)
        roles = resolve_roles(ws.header, opts, adapter=self.name, source=ws.label)
        table = ws.table(numeric_columns(roles))
        problems = CellProblems()
        _uncalculated(ws, [c for c in ws.header if c not in roles.ignored], problems)
        if roles.geography is not None and not (opts.pad_codes and opts.geography_level):
            rows = ws.numeric_cells(roles.geography)
            problems.add(
                roles.geography,
                rows,
                [_cell_text(ws.data[r][ws.header.index(roles.geography)]) for r in rows],
                "place codes stored as numbers lose leading zeros; format the column as text "
                "(or pass geography_level=..., pad_codes=True to pad them)",
            )
        result = build_series(
            table,
            opts,
            adapter=self.name,
            source=ws.label,
            locate=ws.locate,
            provenance_options={**provenance_options(ExcelOptions, given), "sheet": ws.sheet_name},
            roles=roles,
            extra_problems=problems,
        )
        if warn and not result.rejected.empty:
            warnings.warn(
                f"{ws.label}: left out {result.rejected['row'].nunique()} row(s) with problems "
                f"(first: {result.rejected['location'].iloc[0]}, "
                f"{result.rejected['reason'].iloc[0]}); ExcelAdapter().read_report(...) "
                "returns the full list",
                AdapterWarning,
                stacklevel=3,
            )
        return result
