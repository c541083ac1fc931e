"""The ``survey`` adapter: survey exports (CSV, XLSX, SPSS, Stata) into estimates with MOEs.

::

    feedbackloop.read("survey", "psam_p06.csv", value="employed", measure="proportion",
                      dimensions=["race", "sex"], geography="PUMA", period="2022",
                      weights="PWGTP", replicate_weights="PWGTP", replicate_method="sdr")

The design is declared with options (weights, strata, clusters, fpc, or
replicate weights with their method); every cell is a domain of the whole
design. The work is done by :mod:`feedbackloop.survey`; pyreadstat (the
``survey`` extra) is imported only for ``.sav`` and ``.dta`` files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

from attrs import field, frozen

from feedbackloop.adapters._base import ADAPTER_API, Source, SourceInfo, source_label
from feedbackloop.adapters._options import option, parse_options, with_options
from feedbackloop.errors import SurveyError
from feedbackloop.model import Indicator
from feedbackloop.privacy import SuppressionPolicy
from feedbackloop.series import IndicatorSeries
from feedbackloop.survey import Codebook, SurveyDesign, read_header, read_survey

__all__ = ["SurveyAdapter", "SurveyOptions"]

_CLAIMED = (".sav", ".zsav", ".dta")  # .csv and .xlsx belong to the csv and excel adapters


@frozen(kw_only=True)
class SurveyOptions:
    """Every option of the ``survey`` adapter (see :func:`feedbackloop.survey.estimate`).

    .. versionadded:: 0.1.0
    """

    value: str | Sequence[str] | None = field(
        default=None,
        metadata=option(
            "The item: a 0/1 column, a categorical answer (a share per answer), a number, "
            "or a list of 0/1 columns (a multi-select item)."
        ),
    )
    measure: Literal["proportion", "mean", "total"] = field(
        default="proportion", metadata=option("proportion (percent), mean or total.")
    )
    dimensions: Sequence[str] = field(
        default=(), metadata=option("Disaggregation columns (race, sex, age group...).")
    )
    geography: str | None = field(
        default=None, metadata=option("A column of place codes (e.g. PUMA), read as text.")
    )
    geography_code: str = field(
        default="sample", metadata=option("The place code when geography is not given.")
    )
    period: str | None = field(
        default=None, metadata=option('The period the survey covers ("2022", "2018-2022").')
    )
    weights: str | None = field(
        default=None, metadata=option("The full-sample weight column (default: all 1).")
    )
    strata: str | None = field(default=None, metadata=option("The stratum column."))
    clusters: str | None = field(
        default=None, metadata=option("The PSU column (nested in strata); default: records.")
    )
    fpc: str | None = field(
        default=None, metadata=option("A column of stratum population counts (the FPC).")
    )
    replicate_weights: str | Sequence[str] | None = field(
        default=None,
        metadata=option('A replicate weight prefix ("PWGTP" -> PWGTP1..80) or the columns.'),
    )
    replicate_method: Literal["sdr", "jk1", "brr", "fay"] | None = field(
        default=None,
        metadata=option("sdr (ACS, 4/R), jk1 ((R-1)/R), brr (1/R) or fay (1/(R(1-rho)^2))."),
    )
    fay_rho: float | None = field(default=None, metadata=option("Fay's rho, with method fay."))
    replicate_scale: float | None = field(
        default=None,
        metadata=option("The replicate variance multiplier, replacing the method's own."),
    )
    lonely_psu: Literal["fail", "certainty", "adjust"] = field(
        default="fail", metadata=option("A stratum with one PSU: fail, certainty or adjust.")
    )
    success: str | Sequence[str] | None = field(
        default=None,
        metadata=option("Answers that count, for one proportion (top-two box)."),
    )
    recode: Mapping[str, Sequence[str]] | None = field(
        default=None, metadata=option("New answer -> the answers it groups.")
    )
    codebook: Codebook | None = field(
        default=None, metadata=option("Value labels by column: {column: {code: label}}.")
    )
    missing: Literal["error", "exclude"] = field(
        default="error",
        metadata=option("A missing answer: refuse, or leave it out of every universe."),
    )
    totals: bool = field(default=True, metadata=option("Add each dimension's (total) margin."))
    min_n: int = field(default=30, metadata=option("Cells with fewer records are small_sample."))
    policy: SuppressionPolicy | None = field(
        factory=SuppressionPolicy,
        metadata=option("Suppress cells whose unweighted count the policy calls small."),
    )
    indicator: Indicator | None = field(
        default=None, metadata=option("What the values measure (default: made from value).")
    )
    unit: str | None = field(
        default=None, metadata=option("The unit of a mean or total (default count).")
    )

    def design(self) -> SurveyDesign:
        """Return the declared design."""
        return SurveyDesign(
            weights=self.weights,
            strata=self.strata,
            clusters=self.clusters,
            fpc=self.fpc,
            replicate_weights=self.replicate_weights,
            replicate_method=self.replicate_method,
            fay_rho=self.fay_rho,
            replicate_scale=self.replicate_scale,
            lonely_psu=self.lonely_psu,
        )


class SurveyAdapter:
    """Read survey microdata into proportions, means or totals with design-based MOEs.

    Claims ``.sav``/``.dta`` files by itself; name it (``fl.read("survey", ...)``)
    for CSV and XLSX exports, which the csv and excel adapters claim.

    .. versionadded:: 0.1.0
    """

    name: ClassVar[str] = "survey"
    api_version: ClassVar[int] = ADAPTER_API
    description: ClassVar[str] = (
        "Survey microdata (CSV, XLSX, SPSS, Stata) with a declared design: estimates with MOEs"
    )
    options: ClassVar[type[SurveyOptions]] = SurveyOptions

    def can_read(self, source: Source) -> bool:
        """Whether ``source`` is an SPSS or Stata file (by suffix; never raises)."""
        try:
            return Path(source_label(source)).suffix.lower() in _CLAIMED
        except (TypeError, ValueError):
            return False

    @with_options(SurveyOptions, discover=True)
    def discover(self, source: Source, **options: Any) -> SourceInfo:
        """List the columns and the value labels a survey file carries.

        Parameters
        ----------
        source : str or path
            The survey file.
        {options}
        """
        parse_options(SurveyOptions, options, adapter=self.name, method="discover")
        names, labels = read_header(source)
        return SourceInfo(
            adapter=self.name,
            source=source_label(source),
            columns=tuple(names),
            extra={"value_labels": labels},
        )

    @with_options(SurveyOptions)
    def read(self, source: Source, **options: Any) -> IndicatorSeries:
        """Estimate ``value`` by ``dimensions`` from a survey file.

        Parameters
        ----------
        source : str or path
            A ``.csv``, ``.xlsx``, ``.sav`` or ``.dta`` file.
        {options}

        Returns
        -------
        IndicatorSeries
            With ``moe`` (90%), ``n_unweighted`` and statuses ``small_sample``
            and ``suppressed``.

        Raises
        ------
        feedbackloop.errors.SurveyError
            Located (column, rows): see :mod:`feedbackloop.survey`.
        """
        opts = parse_options(SurveyOptions, options, adapter=self.name, method="read")
        if opts.value is None or opts.period is None:
            raise SurveyError(
                "the survey adapter needs value= (the item) and period= (e.g. '2022')"
            )
        return read_survey(
            source,
            value=opts.value,
            design=opts.design(),
            dimensions=tuple(opts.dimensions),
            geography=opts.geography,
            codebook=opts.codebook,
            measure=opts.measure,
            geography_code=opts.geography_code,
            period=opts.period,
            indicator=opts.indicator,
            unit=opts.unit,
            success=opts.success,
            recode=opts.recode,
            missing=opts.missing,
            totals=opts.totals,
            min_n=opts.min_n,
            policy=opts.policy,
        )
