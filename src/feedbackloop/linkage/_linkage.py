"""link(): records of several agencies -> a pseudonymous crosswalk, scored pairs, a report."""

from __future__ import annotations

import hashlib
import hmac
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import pandas as pd
from attrs import field, frozen

from feedbackloop._util import atomic_path
from feedbackloop.errors import IdentifierExportError, LinkageInputError
from feedbackloop.linkage._prepare import (
    DEFAULT_COLUMNS,
    IDENTIFIERS,
    NICKNAMES,
    check_key,
    standardize,
)
from feedbackloop.linkage._quality import LinkageQuality, quality_report
from feedbackloop.linkage._splink import (
    DEFAULT_BLOCKING,
    ENGINE_COLUMNS,
    blocked_pair_counts,
    check_blocking,
    run_splink,
    splink_settings,
)
from feedbackloop.linkage._tokens import TOKEN_FIELDS, tokens_for

__all__ = ["GROUP_COLUMNS", "Linkage", "link"]

#: Columns :meth:`Linkage.quality` reports match rates by, where present.
GROUP_COLUMNS = ("race", "ethnicity", "sex", "gender")
_TABLES = ("analysis", "crosswalk", "pairs")


def _frame_field() -> object:
    return field(eq=False, repr=False)


@frozen(kw_only=True)
class Linkage:
    """The result of :func:`link`.

    Attributes
    ----------
    method : {"probabilistic", "deterministic"}
    threshold : float
        Match probability at or above which two records are the same person.
    crosswalk : pandas.DataFrame
        ``agency``, ``record_id`` (text), ``person_id``: one row per input
        record; ``person_id`` is a keyed pseudonym (HMAC-SHA-256 under the
        project key), the same for every record of one person.
    pairs : pandas.DataFrame
        Scored candidate pairs: ``agency_l``, ``record_id_l``, ``agency_r``,
        ``record_id_r``, ``match_weight``, ``match_probability`` and the
        comparison level of each field (``gamma_*``); no names or dates.
    identifiers_allowed : bool
        Whether the agreement lets raw identifiers into outputs.
    inputs : dict of str to pandas.DataFrame
        The agencies' files as given (identifiers included: for the data
        partner only; outputs leave them out unless allowed).
    identifier_columns : dict of str to tuple of str
        Agency -> its columns that are identifiers (left out of outputs).
    record_id_columns : dict of str to str
        Agency -> the column holding its record ids.

    .. versionadded:: 0.1.0
    """

    method: str
    threshold: float
    crosswalk: pd.DataFrame = field(eq=False, repr=False)
    pairs: pd.DataFrame = field(eq=False, repr=False)
    identifiers_allowed: bool = False
    inputs: dict[str, pd.DataFrame] = field(eq=False, repr=False)
    identifier_columns: dict[str, tuple[str, ...]] = field(eq=False, repr=False)
    record_id_columns: dict[str, str] = field(eq=False, repr=False)

    @property
    def agencies(self) -> tuple[str, ...]:
        """The agencies linked, in the order given."""
        return tuple(self.inputs)

    def quality(
        self,
        by: Sequence[str] | None = None,
        *,
        tolerance: float = 0.1,
        min_records: int = 50,
        review_size: int = 20,
        review_band: float = 0.15,
        seed: int = 0,
    ) -> LinkageQuality:
        """Report match rates overall and by group, estimated precision and recall.

        Parameters
        ----------
        by : sequence of str, optional
            Columns to report match rates by; default those of
            :data:`GROUP_COLUMNS` present in any agency's file.
        tolerance : float
            A group whose match rate differs from the typical (median) group's
            of the same column and agency by more than this share of it (0.1:
            10%), and by more than three binomial standard errors, is named in
            a :class:`MatchRateWarning`.
        min_records : int
            Groups smaller than this are reported but never warned about.
        review_size : int
            Borderline pairs sampled for clerical review.
        review_band : float
            Pairs within this distance of the threshold are borderline.
        seed : int
            Seed of the review sample.

        Returns
        -------
        LinkageQuality

        Warns
        -----
        MatchRateWarning
            Once per group whose match rate differs enough to bias results.
        """
        if by is None:
            by = [c for c in GROUP_COLUMNS if any(c in f.columns for f in self.inputs.values())]
        matched = _matched(self.crosswalk)
        parts = []
        for agency, df in self.inputs.items():
            id_col = self.record_id_columns[agency]
            part = pd.DataFrame({"agency": agency, "record_id": df[id_col].astype(str).str.strip()})
            for col in by:
                values = df[col] if col in df.columns else pd.Series(None, index=df.index)
                part[col] = values.astype("string").to_numpy()
            parts.append(part)
        records = pd.concat(parts, ignore_index=True)
        records["matched"] = [
            matched[(a, r)] for a, r in zip(records["agency"], records["record_id"], strict=True)
        ]
        return quality_report(
            method=self.method,
            records=records,
            pairs=self.pairs,
            threshold=self.threshold,
            by=list(by),
            tolerance=tolerance,
            min_records=min_records,
            review_size=review_size,
            review_band=review_band,
            seed=seed,
        )

    def analysis(self, *, include_identifiers: bool = False) -> pd.DataFrame:
        """Return the linked analysis file: every record with its ``person_id``, no identifiers.

        Parameters
        ----------
        include_identifiers : bool
            Keep names, dates of birth, addresses and other identifier columns;
            refused unless the linkage was made with ``identifiers_allowed=True``.

        Returns
        -------
        pandas.DataFrame
            ``person_id``, ``agency`` and each agency's other columns (absent
            where an agency has no such column); ``record_id`` only with
            identifiers.

        Raises
        ------
        IdentifierExportError
            For ``include_identifiers=True`` without permission.
        """
        self._check_permission(include_identifiers, "the analysis file")
        parts = []
        for agency, df in self.inputs.items():
            id_col = self.record_id_columns[agency]
            out = df.copy()
            cw = self.crosswalk[self.crosswalk["agency"] == agency].set_index("record_id")
            ids = out[id_col].astype(str).str.strip()
            drop = [] if include_identifiers else [*self.identifier_columns[agency], id_col]
            out = out.drop(columns=[c for c in drop if c in out.columns])
            out.insert(0, "agency", agency)
            out.insert(0, "person_id", cw["person_id"].reindex(ids.to_numpy()).to_numpy())
            parts.append(out)
        return pd.concat(parts, ignore_index=True)

    def to_parquet(
        self,
        path: str | os.PathLike[str],
        *,
        table: Literal["analysis", "crosswalk", "pairs"] = "analysis",
        include_identifiers: bool = False,
    ) -> Path:
        """Write the analysis file (default), the crosswalk or the scored pairs to Parquet.

        Parameters
        ----------
        path : path-like
            The file to write (written atomically).
        table : {"analysis", "crosswalk", "pairs"}
            Which table.
        include_identifiers : bool
            For the analysis file: keep identifier columns (needs
            ``identifiers_allowed=True``).

        Returns
        -------
        pathlib.Path

        Raises
        ------
        IdentifierExportError
            For identifiers without permission.
        LinkageInputError
            For an unknown ``table``.
        """
        if table not in _TABLES:
            raise LinkageInputError(f"table must be one of {_TABLES}, got {table!r}")
        self._check_permission(include_identifiers, f"{os.fspath(path)!r}")
        frames = {"crosswalk": self.crosswalk, "pairs": self.pairs}
        df = (
            frames[table]
            if table in frames
            else self.analysis(include_identifiers=include_identifiers)
        )
        with atomic_path(path) as tmp:
            df.to_parquet(tmp, index=False)
        return Path(path)

    def _check_permission(self, include: bool, where: str) -> None:
        if include and not self.identifiers_allowed:
            raise IdentifierExportError(
                f"refusing to write raw identifiers (names, dates of birth, addresses, ids) "
                f"into {where}: this linkage was made with identifiers_allowed=False; pass "
                "identifiers_allowed=True to link() only where the data-sharing agreement "
                "lets that audience see identifiers, or leave include_identifiers=False"
            )


def _matched(crosswalk: pd.DataFrame) -> dict[tuple[str, str], bool]:
    spans = crosswalk.groupby("person_id")["agency"].nunique()
    multi = crosswalk["person_id"].map(spans) > 1
    return dict(
        zip(
            zip(crosswalk["agency"], crosswalk["record_id"], strict=True),
            multi.tolist(),
            strict=True,
        )
    )


def _person_id(key: bytes, label: str) -> str:
    return hmac.new(key, f"feedbackloop-person|{label}".encode(), hashlib.sha256).hexdigest()


def _clusters(nodes: list[tuple[str, str]], edges: pd.DataFrame) -> dict[tuple[str, str], int]:
    """Return the connected components (union-find) of records joined by accepted pairs."""
    index = {n: i for i, n in enumerate(nodes)}
    parent = list(range(len(nodes)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    cols = ["agency_l", "record_id_l", "agency_r", "record_id_r"]
    for al, rl, ar, rr in edges[cols].itertuples(index=False, name=None):
        a, b = find(index[(al, rl)]), find(index[(ar, rr)])
        if a != b:
            parent[max(a, b)] = min(a, b)
    return {n: find(i) for n, i in index.items()}


def _crosswalk_from_pairs(
    std: Mapping[str, pd.DataFrame], pairs: pd.DataFrame, threshold: float, key: bytes
) -> pd.DataFrame:
    nodes = [(a, r) for a, df in std.items() for r in df["record_id"]]
    comp = _clusters(nodes, pairs[pairs["match_probability"] >= threshold])
    first: dict[int, tuple[str, str]] = {}
    for node in sorted(nodes):
        first.setdefault(comp[node], node)
    return pd.DataFrame(
        {
            "agency": [a for a, _ in nodes],
            "record_id": [r for _, r in nodes],
            "person_id": [_person_id(key, "record|" + "|".join(first[comp[n]])) for n in nodes],
        }
    )


def _resolve_columns(columns: Mapping[str, str] | None) -> dict[str, str]:
    cols = {c: c for c in (*DEFAULT_COLUMNS, "ssn")}
    unknown = sorted(set(columns or {}) - set(cols))
    if unknown:
        raise LinkageInputError(
            f"columns= names unknown standard column(s) {unknown}; the standard columns are "
            f"{', '.join((*DEFAULT_COLUMNS, 'ssn'))} (map each to your file's column name)"
        )
    cols.update(columns or {})
    return cols


def _probabilistic(
    std: Mapping[str, pd.DataFrame],
    *,
    threshold: float,
    blocking: Sequence[Sequence[str]],
    dedupe: bool,
    review_floor: float,
    seed: int,
) -> pd.DataFrame:
    has_ssn = all("ssn" in df.columns for df in std.values())
    engine = {a: df[[*ENGINE_COLUMNS, *(["ssn"] if has_ssn else [])]] for a, df in std.items()}
    check_blocking(blocked_pair_counts(engine, blocking))
    settings = splink_settings(blocking=blocking, has_ssn=has_ssn, dedupe=dedupe)
    return run_splink(engine, settings, review_floor=min(review_floor, threshold), seed=seed)


def link(
    agencies: Mapping[str, pd.DataFrame],
    *,
    key: bytes | str,
    method: Literal["probabilistic", "deterministic"] = "probabilistic",
    columns: Mapping[str, str] | None = None,
    date_formats: Mapping[str, str] | None = None,
    threshold: float = 0.8,
    blocking: Sequence[Sequence[str]] = DEFAULT_BLOCKING,
    fields: Sequence[str] = TOKEN_FIELDS,
    identifiers_allowed: bool = False,
    dedupe: bool = False,
    nicknames: Mapping[str, str] = NICKNAMES,
    review_floor: float = 0.5,
    seed: int = 0,
) -> Linkage:
    """Link the records of two or more agencies that describe the same people.

    ``method="probabilistic"`` (default) runs Splink (Fellegi-Sunter, on DuckDB
    in process): names, nicknames, date of birth (with day and month swapped
    and one-digit typos), sex, ZIP code and SSN where every agency has one are
    compared; m and u are trained on the data (u by random sampling, m by
    expectation maximisation); pairs at or above ``threshold`` are joined into
    people. ``method="deterministic"`` joins records whose keyed tokens of
    ``fields`` agree exactly (see :func:`tokenize`); agencies that may not
    share identifiers send tokens instead (a ``token`` column).

    Parameters
    ----------
    agencies : mapping of str to pandas.DataFrame
        Agency name -> its records: ``record_id``, ``first``, ``last``,
        ``dob``, ``sex``, ``race``, ``zip`` (``ssn`` optional), renamed with
        ``columns``. Other columns travel to the analysis file.
    key : bytes or str
        The project's secret key (at least 32 bytes); person ids are HMACs under it.
    method : {"probabilistic", "deterministic"}
    columns : mapping of str to str, optional
        Standard name -> your column (``{"first": "given_name"}``), for every agency.
    date_formats : mapping of str to str, optional
        Agency -> :meth:`~datetime.datetime.strptime` format of its ``dob``
        when not ISO (``{"schools": "%m/%d/%Y"}``).
    threshold : float
        Match probability at or above which a pair is the same person.
    blocking : sequence of sequence of str
        Blocking rules (probabilistic): columns or SQL expressions over the
        standardised columns (``first``, ``first_formal``, ``last``, ``dob``,
        ``sex``, ``zip``) two records must share to be compared.
    fields : sequence of str
        Token fields (deterministic).
    identifiers_allowed : bool
        Whether the data-sharing agreement lets this output's audience see raw
        identifiers; without it, :meth:`Linkage.analysis` and
        :meth:`Linkage.to_parquet` refuse them.
    dedupe : bool
        Also link records of one agency to each other (probabilistic).
    nicknames : mapping of str to str
        Nickname -> formal first name (default :data:`NICKNAMES`).
    review_floor : float
        Pairs scored at least this are kept in :attr:`Linkage.pairs`.
    seed : int
        Seed for the random sampling of u parameters and of the review sample.

    Returns
    -------
    Linkage

    Raises
    ------
    LinkageKeyError
        For a key that is too short.
    LinkageInputError
        For a missing column, an undecoded or mis-decoded text value, or a
        date not in the agency's format (naming agency, column and row).
    DuplicateRecordError
        For record ids repeated within one agency (naming them).
    PseudonymizationError
        Deterministic: records missing a token field (listed by row).
    BlockingError
        For a blocking rule that yields no pairs (naming it).
    MissingDependencyError
        Without the ``linkage`` extra (probabilistic).
    """
    raw_key = check_key(key)
    if len(agencies) < 2:
        raise LinkageInputError(f"link needs two or more agencies, got {list(agencies)}")
    if not 0 < threshold < 1 or math.isnan(threshold):
        raise LinkageInputError(f"threshold must be between 0 and 1, got {threshold!r}")
    cols = _resolve_columns(columns)
    formats = date_formats or {}
    if method == "deterministic":
        tokens = {
            a: tokens_for(a, df, raw_key, cols, fields, formats.get(a), nicknames)
            for a, df in agencies.items()
        }
        return _deterministic(agencies, tokens, raw_key, cols, identifiers_allowed)
    if method != "probabilistic":
        raise LinkageInputError(
            f"method must be 'probabilistic' or 'deterministic', got {method!r}"
        )
    std = {
        a: standardize(a, df, cols, date_format=formats.get(a), nicknames=nicknames)
        for a, df in agencies.items()
    }
    pairs = _probabilistic(
        std,
        threshold=threshold,
        blocking=blocking,
        dedupe=dedupe,
        review_floor=review_floor,
        seed=seed,
    )
    return Linkage(
        method="probabilistic",
        threshold=threshold,
        crosswalk=_crosswalk_from_pairs(std, pairs, threshold, raw_key),
        pairs=pairs,
        identifiers_allowed=identifiers_allowed,
        inputs=dict(agencies),
        identifier_columns=_identifier_columns(agencies, cols),
        record_id_columns=dict.fromkeys(agencies, cols["record_id"]),
    )


def _identifier_columns(
    agencies: Mapping[str, pd.DataFrame], cols: Mapping[str, str]
) -> dict[str, tuple[str, ...]]:
    names = {cols.get(c, c) for c in IDENTIFIERS} | set(IDENTIFIERS) | {"token"}
    return {a: tuple(c for c in df.columns if c in names) for a, df in agencies.items()}


def _deterministic(
    agencies: Mapping[str, pd.DataFrame],
    tokens: Mapping[str, pd.Series],
    key: bytes,
    cols: Mapping[str, str],
    identifiers_allowed: bool,
) -> Linkage:
    parts = [
        pd.DataFrame({"agency": a, "record_id": t.index.astype(str), "token": t.to_numpy()})
        for a, t in tokens.items()
    ]
    allrec = pd.concat(parts, ignore_index=True)
    crosswalk = pd.DataFrame(
        {
            "agency": allrec["agency"],
            "record_id": allrec["record_id"],
            "person_id": [_person_id(key, "token|" + t) for t in allrec["token"]],
        }
    )
    merged = allrec.merge(allrec, on="token", suffixes=("_l", "_r"))
    pairs = merged[merged["agency_l"] < merged["agency_r"]].drop(columns="token")
    pairs = pairs.assign(match_weight=math.inf, match_probability=1.0).reset_index(drop=True)
    return Linkage(
        method="deterministic",
        threshold=1.0 - 1e-9,
        crosswalk=crosswalk,
        pairs=pairs[
            [
                "agency_l",
                "record_id_l",
                "agency_r",
                "record_id_r",
                "match_weight",
                "match_probability",
            ]
        ],
        identifiers_allowed=identifiers_allowed,
        inputs=dict(agencies),
        identifier_columns=_identifier_columns(agencies, cols),
        record_id_columns=dict.fromkeys(agencies, cols["record_id"]),
    )
