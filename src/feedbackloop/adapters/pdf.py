"""The ``pdf`` adapter: one table of a PDF as an indicator series.

Tables are found by :func:`feedbackloop.pdf.read_tables` (pdfplumber, the
``pdf`` extra, imported on first use).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from feedbackloop.adapters._base import ADAPTER_API, Source, SourceInfo, source_label
from feedbackloop.errors import PdfReadError

if TYPE_CHECKING:
    import pandas as pd

    from feedbackloop.model import Indicator
    from feedbackloop.pdf import PdfTable
    from feedbackloop.series import IndicatorSeries

__all__ = ["PdfAdapter"]

_TOTAL_LABEL = re.compile(
    r"^(totals?|grand total|all (states|areas|ages|races|persons|people|categories))$",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_STATUS_OF_KIND = {
    "number": "estimate",
    "dash": "estimate",
    "rounds_to_zero": "estimate",
    "empty": "missing",
    "not_applicable": "not_applicable",
    "not_available": "not_available",
    "suppressed": "suppressed",
    "text": "missing",
}


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if not slug or not slug[0].isalpha():
        slug = "pdf_" + slug
    return slug[:60].rstrip("_")


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

    def _table(
        self,
        source: Source,
        pages: int | Iterable[int] | None,
        table: int,
        strategy: Literal["auto", "lines", "rects", "text", "explicit"],
        column_bounds: Sequence[float] | None,
        password: str | None,
        dash: Literal["zero", "missing"],
    ) -> PdfTable:
        from feedbackloop.pdf import read_tables

        tables = read_tables(
            source,
            pages,
            strategy=strategy,
            columns=column_bounds,
            password=password,
            dash=dash,
        )
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

    @staticmethod
    def _check_period_columns(chosen: Sequence[str], period: str | int | None, where: str) -> None:
        """With ``columns="period"``, every chosen column heading must be a period."""
        from feedbackloop.errors import PeriodError
        from feedbackloop.period import Period

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

    def discover(
        self,
        source: Source,
        *,
        pages: int | Iterable[int] | None = None,
        table: int = 0,
        strategy: Literal["auto", "lines", "rects", "text", "explicit"] = "auto",
        column_bounds: Sequence[float] | None = None,
        password: str | None = None,
    ) -> SourceInfo:
        """Describe one table: its columns, numeric columns, pages and notes.

        Parameters are those of :meth:`read`.
        """
        t = self._table(source, pages, table, strategy, column_bounds, password, "zero")
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

    def read(
        self,
        source: Source,
        *,
        pages: int | Iterable[int] | None = None,
        table: int = 0,
        rows: str = "geography",
        columns: str | None = None,
        value: str | None = None,
        select: Sequence[str] | None = None,
        label: str | None = None,
        geography: str | None = None,
        period: str | int | None = None,
        indicator: Indicator | None = None,
        unit: str | None = None,
        strategy: Literal["auto", "lines", "rects", "text", "explicit"] = "auto",
        column_bounds: Sequence[float] | None = None,
        password: str | None = None,
        dash: Literal["zero", "missing"] = "zero",
    ) -> IndicatorSeries:
        """Read one table into an :class:`~feedbackloop.IndicatorSeries`.

        Parameters
        ----------
        source : str or path
            The PDF file.
        pages : int or iterable of int, optional
            Pages to look at (from 1); default all.
        table : int
            Which of the tables found (in page order) to read.
        rows : str
            What the row labels are: ``"geography"`` (default) or the name of a
            dimension (``"offense"``); a dimension's ``Total``/``All ...`` row
            becomes :data:`~feedbackloop.TOTAL`.
        columns : str, optional
            Name of a dimension the numeric columns are categories of (their
            ``Total`` column becomes :data:`~feedbackloop.TOTAL`). Without it,
            one column is the indicator: ``value``. ``"period"`` makes the
            column headings the periods (``2018/19``, ``2019/20``...: a table of
            years side by side); ``period=`` is then not given.

            .. versionchanged:: 0.1.0
               ``columns="period"``.
        value : str, optional
            The column holding the indicator when ``columns`` is not given
            (default: the only numeric column).
        select : sequence of str, optional
            Numeric columns to use with ``columns`` (default all).
        label : str, optional
            The column holding row labels (default the table's first text column).
        geography : str, optional
            The place, when ``rows`` is a dimension (required then).
        period : str or int, optional
            The period of every value; default the single year in the table's
            title (or the column headings, with ``columns="period"``).
        indicator : Indicator, optional
            Default: a count indicator named after the value column or the title.
        unit : str, optional
            Unit of the values (default the indicator's).
        strategy, column_bounds, password, dash
            Passed to :func:`feedbackloop.pdf.read_tables` (``column_bounds`` as ``columns``).

        Returns
        -------
        IndicatorSeries
            Cells ``(X)`` become status ``not_applicable``, ``(NA)``
            ``not_available``, ``(D)`` ``suppressed``, empty cells ``missing``;
            rows with no value in any selected column (section headings) are
            left out.

        Raises
        ------
        SourceReadError
            The PDF or the table could not be read, or the mapping options do
            not fit the table (the message lists its columns).
        """
        import pandas as pd

        from feedbackloop.model import Indicator as _Indicator
        from feedbackloop.series import TOTAL, IndicatorSeries, Provenance

        where = source_label(source)
        t = self._table(source, pages, table, strategy, column_bounds, password, dash)
        frame, kinds = t.frame, t.kinds
        label = label or t.label_column
        if label is None or label not in frame.columns:
            raise PdfReadError(
                f"no row-label column {label!r} in the table; its columns are: "
                + ", ".join(t.columns)
                + "; name one with label=...",
                source=where,
            )
        numeric = [c for c in t.columns if c != label and frame[c].dtype.kind == "f"]
        if columns is None:
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
            chosen = list(select) if select is not None else numeric
        missing = [c for c in chosen if c not in numeric]
        if missing:
            raise PdfReadError(
                f"not numeric columns of the table: {', '.join(map(repr, missing))}; numeric "
                "columns are: " + ", ".join(numeric),
                source=where,
            )
        by_period = columns == "period"
        if by_period:
            self._check_period_columns(chosen, period, where)
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
        if rows != "geography" and geography is None:
            raise PdfReadError(
                f"rows={rows!r} makes the row labels a dimension; give geography=... for the "
                "place the table describes",
                source=where,
            )
        labels = frame[label].astype(str)
        keep = ~(kinds[chosen] == "empty").all(axis=1)
        long_parts: list[pd.DataFrame] = []
        for col in chosen:
            part = pd.DataFrame(
                {
                    "row_label": labels[keep],
                    "value": frame.loc[keep, col],
                    "status": kinds.loc[keep, col].map(_STATUS_OF_KIND),
                }
            )
            if by_period:
                part["period"] = col
            elif columns is not None:
                part[columns] = TOTAL if _TOTAL_LABEL.match(col) else col
            long_parts.append(part)
        tidy = pd.concat(long_parts, ignore_index=True)
        if not by_period:
            tidy["period"] = str(period)
        dims: list[str] = []
        if rows == "geography":
            tidy["geography"] = tidy["row_label"]
        else:
            tidy["geography"] = geography
            tidy[rows] = tidy["row_label"].where(~tidy["row_label"].str.match(_TOTAL_LABEL), TOTAL)
            dims.append(rows)
        if columns is not None and not by_period:
            dims.append(columns)
        tidy = tidy.drop(columns="row_label")
        no_value = tidy["status"] != "estimate"
        tidy.loc[no_value, "value"] = float("nan")
        if indicator is None:
            base = value if columns is None and value else (t.title or Path(where).stem)
            indicator = _Indicator(
                id=_slug(base),
                name=base,
                unit=unit or "count",
                direction="higher_is_better",
            )
        return IndicatorSeries.from_frame(
            tidy,
            indicator=indicator,
            unit=unit,
            status="status",
            dimensions=dims,
            provenance=Provenance(
                adapter=self.name,
                source=where,
                options={
                    "pages": list(t.pages),
                    "table": table,
                    "strategy": t.strategy,
                    "rows": rows,
                    "columns": columns,
                    "value": value,
                },
            ),
        )
