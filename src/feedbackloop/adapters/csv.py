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
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from attrs import field, frozen

from feedbackloop.adapters._base import ADAPTER_API, Source, SourceInfo, source_label
from feedbackloop.adapters._options import option, parse_options, with_options
from feedbackloop.adapters._tabular import (
    KIDS_COUNT_CATEGORIES,
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
    "KIDS_COUNT_CATEGORIES",
    "CodesPaddedWarning",
    "CsvAdapter",
    "CsvOptions",
    "SpreadsheetReadError",
    "TabularRead",
]

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


# What a file that is not text CSV looks like, by its first bytes, and what to do.
_MAGIC = (
    (
        b"PK\x03\x04",
        "a ZIP archive, such as an Excel workbook (.xlsx)",
        "if it is a workbook, give it a .xlsx name and read it with the excel adapter",
    ),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an old-format Excel workbook (.xls)",
        "save it as .xlsx (then use the excel adapter) or as CSV",
    ),
    (b"%PDF-", "a PDF document", "read its tables with the pdf adapter (fl.read('pdf', path))"),
    (b"\x1f\x8b", "a gzip-compressed file", "decompress it first (gunzip)"),
    (b"PAR1", "a Parquet file", "read it with pyarrow.parquet, then IndicatorSeries.from_frame"),
)
# C0 control bytes that text CSV does not hold (tab, LF, CR and form feed excepted).
_CONTROLS = bytes(b for b in range(32) if b not in (9, 10, 12, 13))


def _binary_kind(head: bytes, encoding: str) -> tuple[str, str] | None:
    """Return what a file that is not text looks like and what to do; None for text."""
    for magic, kind, remedy in _MAGIC:
        if head.startswith(magic):
            return kind, remedy
    wide = codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))
    if not wide and b"\x00" in head:
        return (
            "a binary file (it holds NUL bytes)",
            "if it is UTF-16 text without a byte-order mark, pass encoding='utf-16'",
        )
    controls = len(head) - len(head.translate(None, _CONTROLS))
    if not wide and controls * 100 > len(head):
        return (
            f"a binary file ({controls} control bytes in the first {len(head)})",
            "export the table as CSV text",
        )
    return None


def _records(reader: Any, label: str) -> Iterator[tuple[int, list[str]]]:
    """Yield each record of a ``csv.reader`` with the file line it starts on.

    A field longer than the csv module's limit, or another fault of the reader,
    is refused with the line of the record it is in.
    """
    line = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except _csv.Error as err:
            if "field larger than field limit" in str(err):
                reason = (
                    f"a field longer than {_csv.field_size_limit():,} characters (a spreadsheet "
                    "cell holds at most 32,767); if a quote opened here is never closed, close "
                    "it, otherwise export the table again without it"
                )
            else:
                reason = f"the line cannot be split into fields ({err})"
            raise SpreadsheetReadError(
                f"line {line}: {reason}", adapter=_NAME, source=label
            ) from err
        yield line, record
        line = reader.line_num + 1


# Valid UTF-8 sequences of two to four bytes (what UTF-8 text outside ASCII is made of).
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_SCAN_BYTES = 1 << 24


@frozen
class _Mixed:
    """Where a file holds UTF-8 text and where it holds a byte that is not UTF-8."""

    utf8_line: int
    utf8: bytes  # the UTF-8 sequence and the bytes around it on its line
    bad_line: int
    bad: bytes  # the byte that is not UTF-8
    bad_context: bytes  # and the bytes around it on its line


def _around(piece: bytes, start: int, end: int, newline: bytes, width: int = 12) -> bytes:
    """Return the bytes of ``piece[start:end]`` with up to ``width`` more each side, on its line."""
    first = max(piece.rfind(newline, 0, start) + 1, start - width)
    stop = piece.find(newline, end)
    last = min(len(piece) if stop < 0 else stop, end + width)
    return piece[first:last].strip(b"\r\n")


def _pieces(path: Path, start: int) -> Iterator[bytes]:
    """Yield the file's bytes from ``start`` in pieces of whole lines (but very long lines)."""
    with path.open("rb") as fh:
        fh.seek(start)
        rest = b""
        while block := fh.read(_SCAN_BYTES):
            data = rest + block
            cut = data.rfind(b"\n") + 1 or len(data)
            yield data[:cut]
            rest = data[cut:]
        if rest:
            yield rest


def _mixed_encodings(path: Path, start: int, newline: bytes) -> _Mixed | None:
    """Find UTF-8 multibyte sequences beside bytes invalid as UTF-8 (one pass, in C)."""
    utf8: tuple[int, bytes] | None = None
    bad: tuple[int, bytes, bytes] | None = None
    line = 1
    for piece in _pieces(path, start):
        if utf8 is None and (m := _UTF8_MULTIBYTE.search(piece)):
            context = _around(piece, m.start(), m.end(), newline)
            utf8 = (line + piece.count(newline, 0, m.start()), context)
        if bad is None:
            failed = _undecodable(piece, "utf-8")
            if failed is not None:
                at = failed.start
                context = _around(piece, at, at + 1, newline)
                bad = (line + piece.count(newline, 0, at), piece[at : at + 1], context)
        if utf8 is not None and bad is not None:
            return _Mixed(utf8[0], utf8[1], *bad)
        line += piece.count(newline)
    return None


def _undecodable(sample: bytes, encoding: str) -> UnicodeDecodeError | None:
    try:
        sample.decode(encoding)
    except UnicodeDecodeError as err:
        return err
    return None


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
        self.given = encoding
        self.encoding, self.bom = _sniff_encoding(head, encoding)
        self.guessed = encoding is None and self.encoding == "cp1252"
        self.tried = ["utf-8", "cp1252"] if self.guessed else [self.encoding]
        self.head = head
        self._check_text(encoding)
        if self.guessed:
            self._refuse_mixed()
        self._lines: tuple[np.ndarray[Any, Any], list[tuple[int, str]]] | None = None

    def _check_text(self, given: str | None) -> None:
        """Refuse a binary file, or one whose first megabyte is not text in its encoding."""
        try:
            kind = _binary_kind(self.head, self.encoding)
        except LookupError as err:
            raise SourceReadError(
                f"encoding={given!r} is not an encoding Python knows; use e.g. 'utf-8', "
                "'cp1252', 'latin-1' or 'utf-16'",
                adapter=_NAME,
                source=self.label,
            ) from err
        if kind is not None:
            raise SourceReadError(
                f"not a text CSV file: it looks like {kind[0]}; {kind[1]}",
                adapter=_NAME,
                source=self.label,
            )
        if self.encoding == "utf-8" and given is None:
            return  # _sniff_encoding decoded it already
        data = self.head[len(self.bom) :]
        if not self.complete:
            data = data[: data.rfind(b"\n") + 1]
        failed = _undecodable(data, self.encoding)
        if failed is not None:
            bad = failed.object[failed.start : failed.start + 1].hex()
            at = failed.start + len(self.bom)
            raise self._decode_error(failed, f"byte 0x{bad} at offset {at}")

    def _refuse_mixed(self) -> None:
        """Refuse a file holding both UTF-8 text and bytes that are not UTF-8.

        Decoded whole as cp1252, its UTF-8 letters would turn into mojibake
        (``Montréal`` -> ``MontrÃ©al``) without a word; nothing is guessed.
        """
        mixed = _mixed_encodings(self.path, len(self.bom), self._newline())
        if mixed is None:
            return
        text = mixed.utf8.decode("utf-8", errors="replace")
        garbled = mixed.utf8.decode("cp1252", errors="replace")
        other = mixed.bad_context.decode("cp1252", errors="replace")
        raise SourceReadError(
            f"the file mixes two encodings: line {mixed.bad_line} has byte 0x{mixed.bad.hex()}, "
            f"which is not UTF-8 ({other!r} if it is cp1252), but line {mixed.utf8_line} holds "
            f"UTF-8 text ({text!r}), which cp1252 would garble into {garbled!r}; nothing is "
            "guessed. Save the file again in one encoding (UTF-8), or pass encoding='cp1252' "
            "(or the encoding it was saved in) to read it all in that one",
            adapter=_NAME,
            source=self.label,
        )

    def _decode_error(self, err: Exception, where: str) -> SourceReadError:
        tried = (
            f"decodes as neither {' nor '.join(self.tried)} (tried both)"
            if len(self.tried) > 1
            else f"does not decode as {self.tried[0]}"
        )
        return SourceReadError(
            f"the file is not readable text: it {tried} ({where}); pass encoding=... with the "
            "encoding it was saved in (e.g. 'latin-1', 'utf-16', 'cp1250', 'shift_jis')",
            adapter=_NAME,
            source=self.label,
        )

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
        for _, r in _records(reader, self.label):
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
        check_header(header, self.label, _NAME)
        body = [r for r in records[1 : rows + 1] if len(r) == len(header)]
        complete = self.complete and not stopped
        cols = {h: pa.array([r[i] for r in body], pa.string()) for i, h in enumerate(header)}
        return pa.table(cols), complete

    def header(self) -> list[str]:
        return list(self.sample(0)[0].column_names)

    def read(
        self, columns: Sequence[str], numeric: Sequence[str], problems: CellProblems
    ) -> pa.Table:
        """Read every row with pyarrow: keys as dictionaries, numbers as float64 if clean."""
        reader = _ArrowRead(self, columns, numeric)
        table = None
        for typed in (True, False):
            try:
                table = reader.attempt(self.encoding, typed)
                break
            except pa.ArrowInvalid as err:
                text = str(err)
                if "invalid UTF8" in text or "UTF-8" in text:
                    table = self._read_as_cp1252(reader, err)
                    break
                if typed and "conversion error" in text:
                    continue
                raise self._error(err) from err
            except UnicodeDecodeError as err:  # the Python codec behind a non-UTF-8 read
                raise self._decode_error(err, f"past the first megabyte: {err}") from err
        assert table is not None
        if _longest_text(table) > _csv.field_size_limit():
            self._scan(len(columns))  # refuses the field with its line
        renamed = [c.strip() for c in table.column_names]
        if reader.bad_rows:
            self._report_bad_lines(reader.bad_rows, len(renamed), problems)
        return table.rename_columns(renamed)

    def _newline(self) -> bytes:
        return b"\n" if b"\n" in self.head or b"\r" not in self.head else b"\r"

    def _first_bad_byte(self) -> str | None:
        """Say where the first byte that is not UTF-8 is (line and byte), if there is one."""
        line = 1
        newline = self._newline()
        for piece in _pieces(self.path, len(self.bom)):
            failed = _undecodable(piece, "utf-8")
            if failed is not None:
                at = failed.start
                where = line + piece.count(newline, 0, at)
                return f"line {where}: byte 0x{piece[at : at + 1].hex()}"
            line += piece.count(newline)
        return None

    def _read_as_cp1252(self, reader: _ArrowRead, err: pa.ArrowInvalid) -> pa.Table:
        """Read as cp1252 a file whose first megabyte is UTF-8 but not the rest.

        Only when no encoding was given, and not when the file holds UTF-8 text
        too (see :meth:`_refuse_mixed`).
        """
        if self.encoding != "utf-8" or self.given is not None:
            where = self._first_bad_byte() if self.encoding == "utf-8" else None
            raise self._decode_error(err, where or f"past the first megabyte: {err}") from err
        self.encoding = "cp1252"
        self.guessed = True
        self.tried.append(self.encoding)
        self._refuse_mixed()
        try:
            return reader.attempt(self.encoding, False)
        except pa.ArrowInvalid as err2:
            raise self._error(err2) from err2
        except UnicodeDecodeError as err2:
            raise self._decode_error(err2, f"past the first megabyte: {err2}") from err2

    def _report_bad_lines(self, bad_rows: list[str], width: int, problems: CellProblems) -> None:
        """List the lines that do not split into the header's fields."""
        lines = self._scan(width)[1]
        for line, record in lines:
            problems.add_line(
                f"line {line}", "", record, f"does not have {width} fields like the header"
            )
        if not lines:  # the scan found nothing: report what pyarrow saw
            for record in bad_rows:
                problems.add_line("a line", "", record, "does not split into the header's fields")

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
                header_seen = False
                for first, record in _records(reader, self.label):
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


class _ArrowRead:
    """Reads of one CSV file's rows with pyarrow, keeping the lines it could not split."""

    def __init__(self, f: _CsvFile, columns: Sequence[str], numeric: Sequence[str]) -> None:
        self.f = f
        self.columns = columns
        self.numeric = numeric
        self.raw = dict(zip(columns, f.raw_header, strict=False))
        self.bad_rows: list[str] = []

    def _on_invalid(self, row: Any) -> str:
        self.bad_rows.append(str(row.text))
        return "skip"

    def attempt(self, encoding: str, typed: bool) -> pa.Table:
        """Read fast (newlines never inside quotes); re-read if that was wrong."""
        try:
            table = self.once(encoding, typed, newlines=False)
        except pa.ArrowInvalid as err:
            if "conversion error" in str(err) or "UTF8" in str(err):
                raise
            return self.once(encoding, typed, newlines=True)
        if self.bad_rows or _has_line_breaks(table):
            # A quoted value holds a line break: pyarrow's parallel reader may have
            # split the file inside it, so read again the careful (serial) way.
            return self.once(encoding, typed, newlines=True)
        return table

    def once(self, encoding: str, typed: bool, *, newlines: bool) -> pa.Table:
        """Read the whole file once: numbers as float64 (``typed``) or text, keys coded."""
        numeric = self.numeric
        types: dict[str, pa.DataType] = {
            self.raw.get(c, c): (
                pa.float64()
                if typed and c in numeric
                else pa.string()
                if c in numeric
                else pa.dictionary(pa.int32(), pa.string())
            )
            for c in self.columns
        }
        self.bad_rows.clear()
        return _unify(
            pcsv.read_csv(
                self.f.path,
                read_options=pcsv.ReadOptions(
                    encoding=encoding, skip_rows=self.f.skip_rows, column_names=None
                ),
                parse_options=pcsv.ParseOptions(
                    delimiter=self.f.delimiter,
                    newlines_in_values=newlines,
                    invalid_row_handler=self._on_invalid,
                ),
                convert_options=pcsv.ConvertOptions(
                    column_types=types,
                    strings_can_be_null=False,
                    null_values=[""],
                    quoted_strings_can_be_null=False,
                ),
            )
        )


def _unify(table: pa.Table) -> pa.Table:
    """Put each dictionary column in one chunk with one dictionary (read in parallel blocks)."""
    for i, col in enumerate(table.columns):
        if pa.types.is_dictionary(col.type) and col.num_chunks != 1:
            table = table.set_column(i, table.field(i), pa.chunked_array([col.combine_chunks()]))
    return table


def _longest_text(table: pa.Table) -> int:
    """Return the length in characters of the longest text cell (dictionaries: their texts)."""
    longest = 0
    for col in table.columns:
        for arr in col.chunks:
            if pa.types.is_dictionary(arr.type):
                arr = arr.dictionary
            if len(arr) and (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
                longest = max(longest, pc.max(pc.utf8_length(arr)).as_py() or 0)
    return longest


def _has_line_breaks(table: pa.Table) -> bool:
    """Whether any text cell holds a line break or a quote (signs of a split record)."""
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


@frozen(kw_only=True)
class CsvOptions(ReadOptions):
    """Every option of the ``csv`` adapter: the spreadsheet options and the file's own.

    The fields are the keywords of :meth:`CsvAdapter.read` (and, those marked so,
    of :meth:`CsvAdapter.discover`); see :class:`Option
    <feedbackloop.adapters.Option>` and ``feedbackloop.adapters.options_of``.

    .. versionadded:: 0.1.0
    """

    encoding: str | None = field(
        default=None,
        metadata=option(
            "Default: UTF-8 (a BOM is skipped), else cp1252 when the bytes are not UTF-8.",
            discover=True,
        ),
    )
    delimiter: str = field(default=",", metadata=option("Field separator.", discover=True))
    skip_rows: int = field(
        default=0, metadata=option("Lines above the header (titles, notes).", discover=True)
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

    options: ClassVar[type[CsvOptions]] = CsvOptions

    @with_options(CsvOptions, discover=True)
    def discover(self, source: Source, **options: Any) -> SourceInfo:
        """Describe a CSV file from its first rows (at most 1 MB is read).

        Parameters
        ----------
        source : str or path
            The file.
        {options}

        Returns
        -------
        SourceInfo
            Columns, the dimensions :meth:`read` would make, periods and units
            seen in the sample, the layout recognised (``extra["layout"]``),
            the encoding, and ``rows`` when the whole file fit in the sample.
        """
        opts = parse_options(CsvOptions, options, adapter=self.name, method="discover")
        f = _CsvFile(
            source, encoding=opts.encoding, delimiter=opts.delimiter, skip_rows=opts.skip_rows
        )
        table, complete = f.sample()
        _, found = describe(table, opts, complete=complete, adapter=self.name, source=f.label)
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

    @with_options(CsvOptions)
    def read(self, source: Source, **options: Any) -> IndicatorSeries:
        """Read a CSV file into a validated :class:`~feedbackloop.IndicatorSeries`.

        Parameters
        ----------
        source : str or path
            The CSV file.
        {options}

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
        AdapterOptionError
            A keyword that is not an option (close matches are suggested).
        """
        return self._read(source, options, warn=True, method="read").series

    @with_options(CsvOptions, defaults={"errors": "collect"})
    def read_report(self, source: Source, *, warn: bool = False, **options: Any) -> TabularRead:
        """Read like :meth:`read` and also return the rejected-rows report.

        Takes the options of :meth:`read`; ``errors`` defaults to ``"collect"``.

        Parameters
        ----------
        source : str or path
            The CSV file.
        {options}
        warn : bool
            Warn when rows are left out (as :meth:`read` does).

        Returns
        -------
        TabularRead
            ``.series`` and ``.rejected`` (a DataFrame: ``location``, ``column``,
            ``value``, ``reason``; empty when every row was read).
        """
        given = {"errors": "collect", **options}
        return self._read(source, given, warn=warn, method="read_report")

    def _read(
        self, source: Source, given: Mapping[str, Any], *, warn: bool, method: str
    ) -> TabularRead:
        opts = parse_options(CsvOptions, given, adapter=self.name, method=method)
        f = _CsvFile(
            source, encoding=opts.encoding, delimiter=opts.delimiter, skip_rows=opts.skip_rows
        )
        header = f.header()
        roles = resolve_roles(header, opts, adapter=self.name, source=f.label)
        problems = CellProblems()
        table = f.read(header, numeric_columns(roles), problems)
        result = build_series(
            table,
            opts,
            adapter=self.name,
            source=f.label,
            locate=f.locate(len(header)),
            provenance_options={**provenance_options(CsvOptions, given), "encoding": f.encoding},
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
