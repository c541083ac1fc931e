"""Client records to Results-Based Accountability performance measures.

RBA asks three questions of a program (domain.md §5, the performance-measure
quadrants): *how much did we do* (clients served), *how well did we do it*
(% completing) and *is anyone better off* (% better off). :func:`from_records`
answers each from client-level records, disaggregated and with every margin
(``TOTAL``) computed from the records themselves, counting each client once
per cell. Percentages keep their numerator and denominator so that
:func:`feedbackloop.privacy.suppress` can find and protect small cells, and
the series is marked ``sensitive`` so it is never shared without an audience.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from feedbackloop.errors import PeriodError, Problem, SeriesValidationError
from feedbackloop.model import Indicator
from feedbackloop.period import Period
from feedbackloop.series import TOTAL, IndicatorSeries, Provenance, Status

__all__ = [
    "FLAG_WORDS",
    "MEASURES",
    "Measure",
    "from_records",
    "measure_indicator",
    "performance_measures",
]

Measure = Literal["served", "completed", "better_off"]
#: The measures :func:`from_records` computes, in RBA order.
MEASURES: tuple[Measure, ...] = ("served", "completed", "better_off")

_QUADRANT = {"served": "how_much", "completed": "how_well", "better_off": "better_off"}
_NAME = {
    "served": "clients served",
    "completed": "% of clients completing",
    "better_off": "% of assessed clients better off",
}
_CLIENT = "__client"
#: Text accepted as a true/false flag (compared stripped and lower-cased), and its value.
FLAG_WORDS: dict[str, float] = {
    "true": 1.0,
    "yes": 1.0,
    "y": 1.0,
    "1": 1.0,
    "false": 0.0,
    "no": 0.0,
    "n": 0.0,
    "0": 0.0,
}


def measure_indicator(program: str, measure: Measure) -> Indicator:
    """Return the indicator :func:`from_records` describes ``measure`` of ``program`` with.

    Its id is ``{program}_{measure}``; ``served`` counts people (summed),
    the two others are percentages (ratios).
    """
    counts = measure == "served"
    return Indicator(
        id=f"{program}_{measure}",
        name=f"{program.replace('_', ' ').capitalize()}: {_NAME[measure]}",
        unit="people" if counts else "percent",
        direction="higher_is_better",
        kind="performance",
        quadrant=_QUADRANT[measure],
        aggregation="sum" if counts else "ratio",
        description={
            "served": "Distinct clients with at least one record in the period.",
            "completed": "Clients who completed the program, out of clients served.",
            "better_off": (
                "Clients assessed as better off, out of clients with an assessment "
                "(clients without one are left out of the denominator)."
            ),
        }[measure],
    )


def _flags(series: pd.Series[Any], column: str, problems: list[Problem]) -> pd.Series[float]:
    """Return 1.0/0.0/NaN from booleans, 0/1 or yes/no text."""
    words = FLAG_WORDS

    def one(x: object) -> float:
        if x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NA:
            return np.nan
        if isinstance(x, bool | np.bool_):
            return float(x)
        if isinstance(x, int | float | np.integer | np.floating) and float(x) in (0.0, 1.0):
            return float(x)
        if isinstance(x, str) and x.strip().lower() in words:
            return words[x.strip().lower()]
        return -1.0

    out = series.map(one).astype(np.float64)
    bad = (out == -1.0).to_numpy()
    if bad.any():
        rows = np.flatnonzero(bad)[:8].tolist()
        examples = ", ".join(repr(x) for x in pd.unique(series[bad])[:3])
        problems.append(
            Problem(column, f"rows {rows} are not true/false (e.g. {examples}); use booleans")
        )
    return out


def _period_labels(values: pd.Series[Any], column: str, problems: list[Problem]) -> list[str]:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        years = pd.DatetimeIndex(values).year
        return [str(int(y)) for y in years]
    out: list[str] = []
    cache: dict[object, str] = {}
    for pos, raw in enumerate(values.tolist()):
        if raw not in cache:
            try:
                cache[raw] = str(Period.parse(raw))
            except (PeriodError, TypeError) as err:
                problems.append(Problem(column, f"row {pos}: {err}"))
                cache[raw] = ""
        out.append(cache[raw])
    return out


def from_records(
    df: pd.DataFrame,
    measure: Measure = "served",
    *,
    program: str = "program",
    indicator: Indicator | None = None,
    client: str | None = None,
    period: str = "period",
    geography: str | None = None,
    dimensions: Sequence[str] = (),
    completed: str = "completed",
    better_off: str = "better_off",
    geography_total: bool = False,
    sensitive: bool = True,
) -> IndicatorSeries:
    """Aggregate client-level records into one RBA performance measure.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per client record (service, enrollment...).
    measure : {"served", "completed", "better_off"}
        ``served``: distinct clients (how much; unit ``people``);
        ``completed``: % of clients served who completed (how well);
        ``better_off``: % of clients with an assessment who are better off.
    program : str
        Slug naming the program; the indicator id is ``{program}_{measure}``.
    indicator : Indicator, optional
        Use this indicator instead (its unit must match the measure).
    client : str, optional
        Column identifying clients (e.g. the token from
        :func:`feedbackloop.privacy.pseudonymize`): each client counts once per
        cell, completed/better off if any of its records is. Without it, every
        record is a client.
    period : str
        Column of period labels (``2024``, ``FY2024``...) or dates (binned to
        calendar years).
    geography : str, optional
        Column of place codes; without it every record is in
        :data:`~feedbackloop.TOTAL`.
    dimensions : sequence of str
        Disaggregation columns (``race``, ``sex``...); every combination of
        categories and totals is computed.
    completed, better_off : str
        Columns of true/false flags (``better_off`` may be missing: not
        assessed). ``completed`` may not be missing.
    geography_total : bool
        Also compute all-places (``TOTAL``) rows.
    sensitive : bool
        Mark the series as needing an audience to be exported (default).

    Returns
    -------
    IndicatorSeries
        With ``numerator`` and ``denominator`` for the percentages.

    Raises
    ------
    SeriesValidationError
        Listing every problem with the records (missing columns, missing
        categories, flags that are not true/false).

    Examples
    --------
    >>> import pandas as pd
    >>> recs = pd.DataFrame({"client": ["a", "a", "b", "c"], "period": 2024,
    ...                      "sex": ["F", "F", "M", "F"],
    ...                      "completed": [False, True, False, True]})
    >>> s = from_records(recs, "completed", program="tutoring", client="client",
    ...                  dimensions=["sex"])
    >>> s.frame[["sex", "value", "numerator", "denominator"]]
           sex  value  numerator  denominator
    0        F  100.0        2.0          2.0
    1        M    0.0        0.0          1.0
    2  (total)   66.7        2.0          3.0

    .. versionadded:: 0.1.0
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)} (got {measure!r})")
    ind = measure_indicator(program, measure) if indicator is None else indicator
    dims = list(dimensions)
    flag_column = {"completed": completed, "better_off": better_off}.get(measure)
    _require_columns(df, ind, [period, *dims, geography, client, flag_column])
    work = _work_frame(
        df,
        ind,
        measure,
        client=client,
        period=period,
        geography=geography,
        dims=dims,
        flag_column=flag_column,
    )
    axes = dims + (["geography"] if geography is not None and geography_total else [])
    keys = ["geography", "period", *dims]
    out = _count_cells(work, keys, axes)
    return _measure_series(out, measure, ind, keys, dims, sensitive)


def _require_columns(df: pd.DataFrame, ind: Indicator, columns: Sequence[str | None]) -> None:
    """Refuse records that lack a column the measure needs (``None``: not needed)."""
    problems = [
        Problem(c, "column not found; columns are: " + ", ".join(df.columns))
        for c in columns
        if c is not None and c not in df.columns
    ]
    if problems:
        raise SeriesValidationError(ind.id, problems)


def _missing_rows(values: pd.Series[Any]) -> list[int] | None:
    """Return the first 8 positions holding no value, ``None`` when every row has one."""
    miss = values.isna().to_numpy()
    return np.flatnonzero(miss)[:8].tolist() if miss.any() else None


def _work_frame(
    df: pd.DataFrame,
    ind: Indicator,
    measure: Measure,
    *,
    client: str | None,
    period: str,
    geography: str | None,
    dims: list[str],
    flag_column: str | None,
) -> pd.DataFrame:
    """Return the records as key columns, a client id and a 1/0/NaN ``__flag``.

    Raises :class:`SeriesValidationError` listing every problem found.
    """
    problems: list[Problem] = []
    work = pd.DataFrame(index=df.index)
    work["period"] = _period_labels(df[period], period, problems)
    work["geography"] = TOTAL if geography is None else df[geography].astype(object)
    for c in [*dims, *([geography] if geography is not None else [])]:
        rows = _missing_rows(df[c])
        if rows is not None:
            problems.append(
                Problem(
                    c,
                    f"rows {rows} have no value; give them a "
                    "category such as 'Unknown' (dropping them would undercount)",
                )
            )
    for d in dims:
        work[d] = df[d].astype(str)
    if client is not None:
        rows = _missing_rows(df[client])
        if rows is not None:
            problems.append(Problem(client, f"rows {rows} have no client id"))
        work[_CLIENT] = df[client].astype(str)
    else:
        work[_CLIENT] = np.arange(len(df)).astype(str)
    if flag_column is None:
        work["__flag"] = 1.0
    else:
        flag = _flags(df[flag_column], flag_column, problems)
        rows = _missing_rows(flag) if measure == "completed" else None
        if rows is not None:
            problems.append(
                Problem(
                    flag_column,
                    f"rows {rows} are missing; record whether each "
                    "client completed (e.g. df[col].fillna(False) if blank means no)",
                )
            )
        work["__flag"] = flag
    if len(df) == 0:
        problems.append(Problem("", "there are no records"))
    if problems:
        raise SeriesValidationError(ind.id, problems)
    if geography is not None:
        work["geography"] = work["geography"].astype(str)
    return work


def _count_cells(work: pd.DataFrame, keys: list[str], axes: list[str]) -> pd.DataFrame:
    """Count clients in every cell and every margin (each subset of ``axes`` totalled).

    Returns one row per cell, sorted by key with ``TOTAL`` last: ``served``
    (clients), ``hits`` (clients flagged) and ``assessed`` (clients with a flag).
    """
    parts: list[pd.DataFrame] = []
    for r in range(len(axes) + 1):
        for totalled in itertools.combinations(axes, r):
            view = work.copy() if totalled else work
            for a in totalled:
                view[a] = TOTAL
            # one row per client and cell: any record counts
            per_client = view.groupby([*keys, _CLIENT], sort=False, dropna=False)["__flag"]
            clients = per_client.max().reset_index()
            grouped = clients.groupby(keys, sort=False, dropna=False)["__flag"]
            agg = pd.DataFrame(
                {
                    "served": grouped.size(),
                    "hits": grouped.sum(min_count=0),
                    "assessed": grouped.count(),
                }
            ).reset_index()
            parts.append(agg)
    out = pd.concat(parts, ignore_index=True)
    order = {k: [v for v in sorted(out[k].unique()) if v != TOTAL] + [TOTAL] for k in keys}
    for k in keys:
        out[k] = pd.Categorical(out[k], categories=order[k], ordered=True)
    out = out.sort_values(keys).reset_index(drop=True)
    for k in keys:
        out[k] = out[k].astype(str)
    return out


def _measure_series(
    out: pd.DataFrame,
    measure: Measure,
    ind: Indicator,
    keys: list[str],
    dims: list[str],
    sensitive: bool,
) -> IndicatorSeries:
    """Turn cell counts into the measure: a count of clients, or a percentage with its counts."""
    prov = Provenance(adapter="records", source="client records", options={"measure": measure})
    if measure == "served":
        out["value"] = out["served"].astype(np.float64)
        return IndicatorSeries.from_frame(
            out[[*keys, "value"]],
            indicator=ind,
            dimensions=dims,
            provenance=prov,
            sensitive=sensitive,
        )
    den = (out["served"] if measure == "completed" else out["assessed"]).astype(np.float64)
    num = out["hits"].astype(np.float64)
    out["numerator"], out["denominator"] = num, den
    with np.errstate(divide="ignore", invalid="ignore"):
        out["value"] = np.where(den > 0, np.round(100.0 * num / den, 1), np.nan)
    out["status"] = np.where(den > 0, Status.ESTIMATE.value, Status.NOT_COMPUTABLE.value)
    return IndicatorSeries.from_frame(
        out[[*keys, "value", "numerator", "denominator", "status"]],
        indicator=ind,
        dimensions=dims,
        provenance=prov,
        sensitive=sensitive,
    )


def performance_measures(
    df: pd.DataFrame,
    *,
    measures: Sequence[Measure] = MEASURES,
    program: str = "program",
    client: str | None = None,
    period: str = "period",
    geography: str | None = None,
    dimensions: Sequence[str] = (),
    completed: str = "completed",
    better_off: str = "better_off",
    geography_total: bool = False,
    sensitive: bool = True,
) -> dict[str, IndicatorSeries]:
    """Compute several RBA performance measures at once (see :func:`from_records`).

    Returns
    -------
    dict
        Measure name (``served``, ``completed``, ``better_off``) to series.

    .. versionadded:: 0.1.0
    """
    return {
        m: from_records(
            df,
            m,
            program=program,
            client=client,
            period=period,
            geography=geography,
            dimensions=dimensions,
            completed=completed,
            better_off=better_off,
            geography_total=geography_total,
            sensitive=sensitive,
        )
        for m in measures
    }
