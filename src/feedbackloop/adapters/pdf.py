"""The ``pdf`` adapter: one table of a PDF as an indicator series.

Tables are found by :func:`feedbackloop.pdf.read_tables` (pdfplumber, the
``pdf`` extra, imported on first use).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
from attrs import field, frozen

from feedbackloop.adapters._base import ADAPTER_API, Source, SourceInfo, source_label
from feedbackloop.adapters._options import option, parse_options, with_options
from feedbackloop.errors import PdfReadError, PeriodError
from feedbackloop.model import Indicator
from feedbackloop.pdf import DashMeaning, PdfTable, TableStrategy, read_tables
from feedbackloop.period import Period
from feedbackloop.series import TOTAL, IndicatorSeries, Provenance

__all__ = ["PdfAdapter", "PdfOptions"]

_TOTAL_LABEL = re.compile(
    r"^(totals?|grand total|all (states|areas|ages|races|persons|people|categories))$",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_STATUS_OF_KIND = {
    "number": "estimate",
    "rounds_to_zero": "estimate",
    "empty": "missing",
    "not_applicable": "not_applicable",
    "not_available": "not_available",
    "suppressed": "suppressed",
    "text": "missing",
}


def _status_of_kind(dash: str) -> dict[str, str]:
    """Status of each cell kind; a dash is an estimate of 0 only with ``dash="zero"``."""
    dash_status = {"zero": "estimate", "missing": "missing"}.get(dash, "not_available")
    return {**_STATUS_OF_KIND, "dash": dash_status}


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if not slug or not slug[0].isalpha():
        slug = "pdf_" + slug
    return slug[:60].rstrip("_")


def _discover(doc: str) -> dict[str, Any]:
    return option(doc, discover=True)


@frozen(kw_only=True)
class PdfOptions:
    """Every option of the ``pdf`` adapter (the keywords of :meth:`PdfAdapter.read`).

    .. versionadded:: 0.1.0
    """

    pages: int | Iterable[int] | None = field(
        default=None, metadata=_discover("Pages to look at (from 1); default all.")
    )
    table: int = field(
        default=0, metadata=_discover("Which of the tables found (in page order) to read.")
    )
    rows: str = field(
        default="geography",
        metadata=option(
            'What the row labels are: "geography" (default) or the name of a dimension '
            '("offense"); a dimension\'s Total/All ... row becomes TOTAL.'
        ),
    )
    columns: str | None = field(
        default=None,
        metadata=option(
            "Name of a dimension the numeric columns are categories of (their Total column "
            'becomes TOTAL). Without it, one column is the indicator: value. "period" makes '
            "the column headings the periods (a table of years side by side); period= is "
            "then not given."
        ),
    )
    value: str | None = field(
        default=None,
        metadata=option(
            "The column holding the indicator when columns is not given (default: the only "
            "numeric column)."
        ),
    )
    select: Sequence[str] | None = field(
        default=None, metadata=option("Numeric columns to use with columns (default all).")
    )
    label: str | None = field(
        default=None,
        metadata=option("The column holding row labels (default the table's first text column)."),
    )
    geography: str | None = field(
        default=None,
        metadata=option("The place, when rows is a dimension (required then)."),
    )
    period: str | int | None = field(
        default=None,
        metadata=option(
            "The period of every value; default the single year in the table's title (or "
            'the column headings, with columns="period").'
        ),
    )
    indicator: Indicator | None = field(
        default=None,
        metadata=option("Default: a count indicator named after the value column or the title."),
    )
    unit: str | None = field(
        default=None, metadata=option("Unit of the values (default the indicator's).")
    )
    strategy: TableStrategy = field(
        default="auto", metadata=_discover("Passed to feedbackloop.pdf.read_tables.")
    )
    column_bounds: Sequence[float] | None = field(
        default=None,
        metadata=_discover("Passed to feedbackloop.pdf.read_tables as columns."),
    )
    password: str | None = field(
        default=None, metadata=_discover("Passed to feedbackloop.pdf.read_tables.")
    )
    dash: DashMeaning = field(
        default="not_available",
        metadata=option(
            'What a lone dash means: "not_available" (default; status not_available), '
            '"zero" (an estimate of 0, where the publisher\'s legend says "– Represents '
            'zero" or "- Nil") or "missing" (status missing). Passed to '
            "feedbackloop.pdf.read_tables."
        ),
    )


def _table(source: Source, opts: PdfOptions) -> PdfTable:
    """Return table ``opts.table`` of those :func:`~feedbackloop.pdf.read_tables` finds."""
    tables = read_tables(
        source,
        opts.pages,
        strategy=opts.strategy,
        columns=opts.column_bounds,
        password=opts.password,
        dash=opts.dash,
    )
    table = opts.table
    if not -len(tables) <= table < len(tables):
        listing = "; ".join(
            f"{i}: pages {t.pages}, {t.shape[0]} rows, columns {', '.join(t.columns[:4])}..."
            for i, t in enumerate(tables)
        )
        raise PdfReadError(
            f"table={table} does not exist: {len(tables)} table(s) found ({listing}); "
            "choose one of these indices",
            source=source_label(source),
        )
    return tables[table]


def _check_period_columns(chosen: Sequence[str], period: str | int | None, where: str) -> None:
    """With ``columns="period"``, every chosen column heading must be a period."""
    if period is not None:
        raise PdfReadError(
            f"columns='period' takes the periods from the column headings, so period="
            f"{period!r} cannot also be given; drop one of them",
            source=where,
        )
    bad = []
    for col in chosen:
        try:
            Period.parse(col)
        except PeriodError:
            bad.append(col)
    if bad:
        raise PdfReadError(
            "with columns='period' every numeric column heading must be a period, but "
            + ", ".join(map(repr, bad))
            + " "
            + ("is" if len(bad) == 1 else "are")
            + " not; leave "
            + ("it" if len(bad) == 1 else "them")
            + " out with select=[...] (the period columns: "
            + ", ".join(repr(c) for c in chosen if c not in bad)
            + ")",
            source=where,
        )


@frozen
class _Choice:
    """What ``read`` takes from the table: the label column, value columns and period."""

    label: str
    chosen: list[str]
    value: str | None
    period: str | int | None


def _choose(t: PdfTable, opts: PdfOptions, where: str) -> _Choice:
    """Pick the label column, the numeric columns read and the period; check they fit."""
    frame = t.frame
    label = opts.label or t.label_column
    if label is None or label not in frame.columns:
        raise PdfReadError(
            f"no row-label column {label!r} in the table; its columns are: "
            + ", ".join(t.columns)
            + "; name one with label=...",
            source=where,
        )
    numeric = [c for c in t.columns if c != label and frame[c].dtype.kind == "f"]
    value = opts.value
    if opts.columns is None:
        if value is None:
            if len(numeric) != 1:
                raise PdfReadError(
                    f"the table has {len(numeric)} numeric columns ("
                    + ", ".join(numeric)
                    + "); pick one with value=... or spread them over a dimension with "
                    "columns='<dimension name>'",
                    source=where,
                )
            value = numeric[0]
        chosen = [value]
    else:
        chosen = list(opts.select) if opts.select is not None else numeric
    missing = [c for c in chosen if c not in numeric]
    if missing:
        raise PdfReadError(
            f"not numeric columns of the table: {', '.join(map(repr, missing))}; numeric "
            "columns are: " + ", ".join(numeric),
            source=where,
        )
    return _Choice(label, chosen, value, _period(t, chosen, opts, where))


def _period(t: PdfTable, chosen: list[str], opts: PdfOptions, where: str) -> str | int | None:
    """Return the period of every value (None with ``columns="period"``); check ``rows``."""
    period = opts.period
    if opts.columns == "period":
        _check_period_columns(chosen, period, where)
    elif period is None:
        years = sorted(set(_YEAR.findall(t.title or "")))
        if len(years) != 1:
            raise PdfReadError(
                "give period=... (the table's title "
                + (f"{t.title!r} names {len(years)} years" if t.title else "was not found")
                + ")",
                source=where,
            )
        period = years[0]
    if opts.rows != "geography" and opts.geography is None:
        raise PdfReadError(
            f"rows={opts.rows!r} makes the row labels a dimension; give geography=... for the "
            "place the table describes",
            source=where,
        )
    return period


def _tidy(t: PdfTable, choice: _Choice, opts: PdfOptions) -> tuple[pd.DataFrame, list[str]]:
    """Return the chosen cells as a long frame, and the dimensions it has."""
    frame, kinds, columns, rows = t.frame, t.kinds, opts.columns, opts.rows
    by_period = columns == "period"
    labels = frame[choice.label].astype(str)
    keep = ~(kinds[choice.chosen] == "empty").all(axis=1)
    long_parts: list[pd.DataFrame] = []
    for col in choice.chosen:
        part = pd.DataFrame(
            {
                "row_label": labels[keep],
                "value": frame.loc[keep, col],
                "status": kinds.loc[keep, col].map(_status_of_kind(opts.dash)),
            }
        )
        if by_period:
            part["period"] = col
        elif columns is not None:
            part[columns] = TOTAL if _TOTAL_LABEL.match(col) else col
        long_parts.append(part)
    tidy = pd.concat(long_parts, ignore_index=True)
    if not by_period:
        tidy["period"] = str(choice.period)
    dims: list[str] = []
    if rows == "geography":
        tidy["geography"] = tidy["row_label"]
    else:
        tidy["geography"] = opts.geography
        tidy[rows] = tidy["row_label"].where(~tidy["row_label"].str.match(_TOTAL_LABEL), TOTAL)
        dims.append(rows)
    if columns is not None and not by_period:
        dims.append(columns)
    tidy = tidy.drop(columns="row_label")
    no_value = tidy["status"] != "estimate"
    tidy.loc[no_value, "value"] = float("nan")
    return tidy, dims


class PdfAdapter:
    """Read one table of a PDF (ruled, boxed or whitespace-aligned) into a series.

    ``feedbackloop.read("pdf", "report.pdf", pages=3, table=0, rows="geography",
    columns="check_type", period="2015-11")`` reads the first table on page 3;
    its row labels become places and its numeric columns the categories of a
    ``check_type`` dimension.

    .. versionadded:: 0.1.0
    """

    name: ClassVar[str] = "pdf"
    api_version: ClassVar[int] = ADAPTER_API
    description: ClassVar[str] = "Statistical tables in PDF files (ruled or whitespace layouts)"
    options: ClassVar[type[PdfOptions]] = PdfOptions

    def can_read(self, source: Source) -> bool:
        """Whether ``source`` is a ``.pdf`` path or a file starting with ``%PDF-``."""
        try:
            path = Path(source_label(source))
            if path.suffix.lower() == ".pdf":
                return True
            if path.is_file():
                with path.open("rb") as fh:
                    return fh.read(5) == b"%PDF-"
        except (OSError, ValueError, TypeError):
            return False
        return False

    @with_options(PdfOptions, discover=True)
    def discover(self, source: Source, **options: Any) -> SourceInfo:
        """Describe one table: its columns, numeric columns, pages and notes.

        Parameters
        ----------
        source : str or path
            The PDF file.
        {options}
        """
        opts = parse_options(PdfOptions, options, adapter=self.name, method="discover")
        t = _table(source, opts)
        numeric = [c for c in t.columns if c != t.label_column and t.frame[c].dtype.kind == "f"]
        years = tuple(sorted(set(_YEAR.findall(t.title or ""))))
        notes = [
            f"strategy {t.strategy}, pages {', '.join(map(str, t.pages))}",
            *(f"title: {t.title}" for _ in [0] if t.title),
            *(f"note {n.marker}: {n.text}" for n in t.notes if n.text),
            *t.remarks,
        ]
        return SourceInfo(
            adapter=self.name,
            source=source_label(source),
            columns=t.columns,
            periods=years,
            rows=t.shape[0],
            notes=notes,
            extra={"numeric_columns": tuple(numeric), "pages": t.pages, "strategy": t.strategy},
        )

    @with_options(PdfOptions)
    def read(self, source: Source, **options: Any) -> IndicatorSeries:
        """Read one table into an :class:`~feedbackloop.IndicatorSeries`.

        Parameters
        ----------
        source : str or path
            The PDF file.
        {options}

        Returns
        -------
        IndicatorSeries
            Cells ``(X)`` become status ``not_applicable``, ``(NA)`` and a
            lone dash ``not_available`` (a dash is an estimate of 0 with
            ``dash="zero"``), ``(D)`` ``suppressed``, empty cells ``missing``;
            rows with no value in any selected column (section headings) are
            left out, never a row of dashes.

        Raises
        ------
        SourceReadError
            The PDF or the table could not be read, or the mapping options do
            not fit the table (the message lists its columns).

        .. versionchanged:: 0.1.0
           ``columns="period"``; a dash is not available unless ``dash="zero"``.
        """
        opts = parse_options(PdfOptions, options, adapter=self.name, method="read")
        where = source_label(source)
        t = _table(source, opts)
        choice = _choose(t, opts, where)
        tidy, dims = _tidy(t, choice, opts)
        indicator = opts.indicator
        if indicator is None:
            value = choice.value
            base = value if opts.columns is None and value else (t.title or Path(where).stem)
            indicator = Indicator(
                id=_slug(base), name=base, unit=opts.unit or "count", direction="higher_is_better"
            )
        return IndicatorSeries.from_frame(
            tidy,
            indicator=indicator,
            unit=opts.unit,
            status="status",
            dimensions=dims,
            provenance=Provenance(
                adapter=self.name,
                source=where,
                options={
                    "pages": list(t.pages),
                    "table": opts.table,
                    "strategy": t.strategy,
                    "rows": opts.rows,
                    "columns": opts.columns,
                    "value": choice.value,
                },
            ),
        )
