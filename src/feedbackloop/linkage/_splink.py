"""The probabilistic engine: Splink (Fellegi-Sunter) on DuckDB, run in process."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pandas as pd

from feedbackloop._util import import_optional
from feedbackloop.errors import BlockingError

__all__ = [
    "DEFAULT_BLOCKING",
    "ENGINE_COLUMNS",
    "blocked_pair_counts",
    "run_splink",
    "splink_settings",
]

#: Candidate pairs are records that agree on all the columns of at least one rule.
DEFAULT_BLOCKING: tuple[tuple[str, ...], ...] = (
    ("dob",),
    ("first_formal", "last"),
    ("last", "substr(dob, 1, 4)"),
    ("first_formal", "zip"),
)
#: The standardised columns Splink sees.
ENGINE_COLUMNS = ("record_id", "first", "first_formal", "last", "dob", "sex", "zip")
_SWAPPED = (
    "substr(dob_l, 1, 4) = substr(dob_r, 1, 4) AND substr(dob_l, 6, 2) = substr(dob_r, 9, 2) "
    "AND substr(dob_l, 9, 2) = substr(dob_r, 6, 2)"
)


def _splink() -> Any:
    return import_optional("splink", extra="linkage", purpose="probabilistic record linkage")


def _comparisons(has_ssn: bool) -> list[Any]:
    """Return the default comparisons for person records (documented in docs/linkage.md)."""
    cl = import_optional("splink.comparison_library", extra="linkage", purpose="linkage")
    cll = import_optional("splink.comparison_level_library", extra="linkage", purpose="linkage")
    first = cl.CustomComparison(
        output_column_name="first",
        comparison_levels=[
            cll.NullLevel("first"),
            cll.ExactMatchLevel("first"),
            cll.CustomLevel("first_formal_l = first_formal_r", "same formal name (nickname)"),
            cll.JaroWinklerLevel("first", 0.92),
            cll.JaroWinklerLevel("first", 0.8),
            cll.ElseLevel(),
        ],
    )
    dob = cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob"),
            cll.CustomLevel(_SWAPPED, "day and month swapped"),
            cll.DamerauLevenshteinLevel("dob", 1),
            cll.CustomLevel("substr(dob_l, 1, 4) = substr(dob_r, 1, 4)", "same year"),
            cll.ElseLevel(),
        ],
    )
    postcode = cl.CustomComparison(
        output_column_name="zip",
        comparison_levels=[
            cll.NullLevel("zip"),
            cll.ExactMatchLevel("zip"),
            cll.CustomLevel("substr(zip_l, 1, 3) = substr(zip_r, 1, 3)", "same 3-digit area"),
            cll.ElseLevel(),
        ],
    )
    out = [
        first,
        cl.NameComparison("last", jaro_winkler_thresholds=[0.92, 0.8]),
        dob,
        cl.ExactMatch("sex"),
        postcode,
    ]
    if has_ssn:
        out.append(cl.LevenshteinAtThresholds("ssn", [1]))
    return out


def splink_settings(
    *,
    blocking: Sequence[Sequence[str]] = DEFAULT_BLOCKING,
    has_ssn: bool = False,
    dedupe: bool = False,
) -> Any:
    """Return the ``splink.SettingsCreator`` :func:`~feedbackloop.linkage.link` uses.

    Parameters
    ----------
    blocking : sequence of sequence of str
        Blocking rules, each the columns (or SQL expressions) two records must
        share to be compared.
    has_ssn : bool
        Add a comparison of ``ssn`` (exact, or one digit off).
    dedupe : bool
        Also compare records within an agency (``link_and_dedupe``).

    Returns
    -------
    splink.SettingsCreator
    """
    splink = _splink()
    return splink.SettingsCreator(
        link_type="link_and_dedupe" if dedupe else "link_only",
        unique_id_column_name="record_id",
        comparisons=_comparisons(has_ssn),
        blocking_rules_to_generate_predictions=[splink.block_on(*rule) for rule in blocking],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def blocked_pair_counts(
    frames: Mapping[str, pd.DataFrame], blocking: Sequence[Sequence[str]]
) -> dict[str, int]:
    """Count the cross-agency pairs each blocking rule yields (rule text -> pairs)."""
    duckdb = import_optional("duckdb", extra="linkage", purpose="counting blocked pairs")
    con = duckdb.connect()
    try:
        union = pd.concat([f.assign(_agency=name) for name, f in frames.items()], ignore_index=True)
        con.register("recs", union)
        counts: dict[str, int] = {}
        for rule in blocking:
            keys = ", ".join(f"({c}) AS k{i}" for i, c in enumerate(rule))
            names = ", ".join(f"k{i}" for i in range(len(rule)))
            nonnull = " AND ".join(f"({c}) IS NOT NULL" for c in rule)
            sql = (
                f"WITH k AS (SELECT {keys}, _agency, count(*) AS n FROM recs WHERE {nonnull} "
                f"GROUP BY ALL), g AS (SELECT sum(n) AS t, sum(n * n) AS s FROM k "
                f"GROUP BY {names}) SELECT coalesce(sum((t * t - s) / 2), 0) FROM g"
            )
            counts[" & ".join(rule)] = int(con.execute(sql).fetchone()[0])
    finally:
        con.close()
    return counts


def check_blocking(counts: Mapping[str, int]) -> None:
    """Refuse a blocking rule that yields no pairs, suggesting another."""
    for rule, n in counts.items():
        if n == 0:
            raise BlockingError(
                f"the blocking rule {rule!r} yields no candidate pairs between agencies: "
                "the agencies never agree on those columns (is one of them empty, or "
                "formatted differently?); drop the rule or use another, e.g. "
                "('last', 'substr(dob, 1, 4)') or ('first_formal', 'zip')",
                rule,
            )


@contextlib.contextmanager
def _quiet_splink() -> Iterator[None]:
    log = logging.getLogger("splink")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def run_splink(
    frames: Mapping[str, pd.DataFrame],
    settings: Any,
    *,
    review_floor: float,
    u_pairs: float = 2e6,
    seed: int = 0,
) -> pd.DataFrame:
    """Train m/u parameters, score candidate pairs and return them (above ``review_floor``).

    ``frames`` are the standardised records of each agency (columns
    :data:`ENGINE_COLUMNS`, plus ``ssn`` where present). The pairs come back as
    ``agency_l``, ``record_id_l``, ``agency_r``, ``record_id_r``,
    ``match_weight``, ``match_probability`` and the comparison levels
    (``gamma_*``).
    """
    splink = _splink()
    with _quiet_splink():
        db = splink.DuckDBAPI()
        tables = [
            db.register(df, dataset_display_name=name, table_name=f"fl_agency_{i}")
            for i, (name, df) in enumerate(frames.items())
        ]
        linker = splink.Linker(tables, settings, log_level=None)
        train = linker.training
        train.estimate_probability_two_random_records_match(
            [splink.block_on("first_formal", "last", "dob")], recall=0.7
        )
        train.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
        train.estimate_parameters_using_expectation_maximisation(splink.block_on("dob"))
        train.estimate_parameters_using_expectation_maximisation(
            splink.block_on("first_formal", "last")
        )
        pairs = linker.inference.predict(threshold_match_probability=review_floor)
        out: pd.DataFrame = pairs.as_pandas_dataframe()
    keep = [
        "source_dataset_l",
        "record_id_l",
        "source_dataset_r",
        "record_id_r",
        "match_weight",
        "match_probability",
    ]
    gammas = [c for c in out.columns if c.startswith("gamma_")]
    out = out[keep + gammas].rename(
        columns={"source_dataset_l": "agency_l", "source_dataset_r": "agency_r"}
    )
    return out.reset_index(drop=True)
