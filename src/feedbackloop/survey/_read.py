"""Read a survey export (CSV, XLSX, SPSS, Stata) straight into an indicator series."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from feedbackloop.errors import SurveyError
from feedbackloop.series import IndicatorSeries
from feedbackloop.survey._design import SurveyDesign
from feedbackloop.survey._estimate import estimate
from feedbackloop.survey._files import Codebook, apply_codebook, read_columns, read_header

__all__ = ["read_survey"]


def _needed(
    columns: Sequence[str], design: SurveyDesign, used: Sequence[str], source: str
) -> list[str]:
    """Return the columns to read: the item, keys and design (a replicate prefix expanded)."""
    wanted = [*used, *design.columns()]
    missing = [c for c in wanted if c not in columns]
    if missing:
        raise SurveyError(
            f"columns {', '.join(map(repr, missing))} are not in the file (it has "
            f"{', '.join(columns[:30])}{' ...' if len(columns) > 30 else ''})",
            source=source,
            column=missing[0],
        )
    prefix = design.replicate_weights
    if isinstance(prefix, str):
        pattern = re.compile(rf"^{re.escape(prefix)}[0-9]+$", re.IGNORECASE)
        wanted += [c for c in columns if pattern.match(c)]
    return list(dict.fromkeys(wanted))


def read_survey(
    path: str | os.PathLike[str],
    *,
    value: str | Sequence[str],
    design: SurveyDesign | None = None,
    dimensions: Sequence[str] = (),
    geography: str | None = None,
    codebook: Codebook | None = None,
    **options: Any,
) -> IndicatorSeries:
    """Read a survey export and estimate ``value`` by ``dimensions`` (see :func:`estimate`).

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.xlsx``, ``.sav`` or ``.dta`` file.
    value, design, dimensions, geography
        As for :func:`feedbackloop.survey.estimate`.
    codebook : mapping, optional
        Value labels by column (``{"q1": {1: "Disagree", ...}}``), added to
        (and overriding) those the file carries.
    **options
        The other keywords of :func:`feedbackloop.survey.estimate`.

    Returns
    -------
    IndicatorSeries

    Raises
    ------
    SurveyError
        A file that cannot be read, columns it lacks.
    CodebookError
        A code outside the codebook, or one label for several codes.
    """
    source = os.fspath(path)
    design = design or SurveyDesign()
    names, labels = read_header(path)
    items = [value] if isinstance(value, str) else list(value)
    keys = [*dimensions, *([geography] if geography else [])]
    columns = _needed(names, design, [*items, *keys], source)
    frame = read_columns(path, columns, text=keys)
    book: dict[str, Mapping[Any, str]] = {**labels, **(codebook or {})}
    frame = apply_codebook(frame, book, [*items, *dimensions], source)
    return estimate(
        frame,
        value=value,
        design=design,
        dimensions=dimensions,
        geography=geography,
        source=source,
        **options,
    )
