"""Peer benchmarking: each partner compared with anonymized peers it cannot identify.

This module is about *comparing partners*, not about speed: the repository's
``benchmarks/`` folder holds the speed benchmarks (timings of feedbackloop
against other tools), which are not part of the package.

In a collaborative, partners learn most by comparing their programs, and
share data only when no partner is exposed. :func:`benchmark` shows one
partner its own values beside its peers' values under pseudonyms ("Peer A",
"Peer B"...) and beside peer summaries (quartiles), with small cells
suppressed as this partner would otherwise see them: the partner's own
cells are treated as known, so they are never used to hide a peer's.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
from attrs import field, frozen

from feedbackloop.privacy import (
    BenchmarkError,
    NoDisclosureControl,
    Policy,
    RoundingPolicy,
    SuppressionPolicy,
    round_counts,
    suppress,
)
from feedbackloop.series import TOTAL, IndicatorSeries, Provenance

__all__ = ["MIN_PEERS", "Benchmark", "benchmark", "peer_label"]

#: Default minimum number of peers (so at least 5 participants with the viewer).
MIN_PEERS = 4
_ABSOLUTE_MIN_PEERS = 2


def peer_label(i: int) -> str:
    """Return the ``i``-th peer label: ``Peer A`` ... ``Peer Z``, ``Peer AA``...

    Examples
    --------
    >>> [peer_label(i) for i in (0, 1, 25, 26)]
    ['Peer A', 'Peer B', 'Peer Z', 'Peer AA']

    .. versionadded:: 0.1.0
    """
    letters = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        letters = chr(ord("A") + r) + letters
    return f"Peer {letters}"


@frozen(kw_only=True)
class Benchmark:
    """One partner's anonymized benchmark.

    Attributes
    ----------
    partner : str
        The partner it was made for (its rows keep this label).
    by : str
        The column that names partners.
    n_peers : int
        How many peers are compared.
    series : IndicatorSeries
        The partner's rows, its peers' rows under pseudonyms and the totals,
        with disclosure control applied; rows sorted by label, never by name.
    summary : pandas.DataFrame
        Per place, period and category: ``own`` value, ``all_partners``,
        ``peers_published`` and the peers' ``peer_q1``, ``peer_median``,
        ``peer_q3`` (from published peer values; missing when fewer than the
        minimum are published).

    .. versionadded:: 0.1.0
    """

    partner: str
    by: str
    n_peers: int
    series: IndicatorSeries = field(repr=False)
    summary: pd.DataFrame = field(repr=False, eq=False)


def _order_peers(
    peers: list[str], viewer: str, key: bytes | None, published: pd.DataFrame, by: str
) -> list[str]:
    """Order peers for labelling without revealing who is who.

    With a key: by HMAC(key, viewer | peer), stable across releases. Without:
    by the values the viewer can see anyway (largest first), ties by a hash.
    """
    if key is not None:
        return sorted(
            peers,
            key=lambda p: hmac.new(key, f"{viewer}\x1f{p}".encode(), hashlib.sha256).digest(),
        )
    others = [c for c in published.columns if c not in (by, "value")]
    vectors: dict[str, tuple[float, ...]] = {}
    for p in peers:
        rows = published[published[by] == p].sort_values(others)
        vals = rows["value"].to_numpy(dtype=np.float64)
        vectors[p] = tuple(-v if not math.isnan(v) else math.inf for v in vals)
    return sorted(
        peers,
        key=lambda p: (vectors[p], hashlib.sha256(f"feedbackloop-peer\x1f{p}".encode()).digest()),
    )


def _apply(
    series: IndicatorSeries,
    policy: Policy,
    known: np.ndarray[tuple[int], np.dtype[np.bool_]],
    geography_parents: Mapping[str, str] | None,
) -> IndicatorSeries:
    if isinstance(policy, SuppressionPolicy):
        return suppress(series, policy, known=known, geography_parents=geography_parents)
    if isinstance(policy, RoundingPolicy):
        return round_counts(series, policy, geography_parents=geography_parents)
    return series


def benchmark(
    series: IndicatorSeries,
    partner: str,
    *,
    by: str = "partner",
    policy: Policy | None = None,
    key: bytes | str | None = None,
    min_peers: int = MIN_PEERS,
    geography_parents: Mapping[str, str] | None = None,
) -> Benchmark:
    """Compare one partner with its peers, who stay anonymous.

    Parameters
    ----------
    series : IndicatorSeries
        Every partner's values: ``by`` is a dimension (or ``"geography"``)
        naming partners, with :data:`~feedbackloop.TOTAL` for "all partners".
    partner : str
        The partner the benchmark is for.
    by : str
        The column that names partners.
    policy : SuppressionPolicy, RoundingPolicy or NoDisclosureControl, optional
        Disclosure control (default ``SuppressionPolicy()``, threshold 11). With
        suppression, the partner's own rows count as known to it: they are
        shown and never used to hide a peer's cell.
    key : bytes or str, optional
        A secret of the backbone: peer labels are then ordered by keyed hash,
        so they stay the same across calls and releases while revealing
        nothing. Without a key, peers are labelled by the values the partner
        sees anyway (largest first).
    min_peers : int
        Refuse with fewer peers than this (default 4, so 5 participants). With
        one peer, it is identified by elimination; with two or three, a
        partner who knows the collaborative's members can usually tell them
        apart by size, and quartiles of three values are the values
        themselves. Never below 2.
    geography_parents : mapping, optional
        As for :func:`feedbackloop.privacy.suppress`.

    Returns
    -------
    Benchmark

    Raises
    ------
    BenchmarkError
        When ``by`` is not a column, ``partner`` is not in it, or there are too
        few peers.

    .. versionadded:: 0.1.0
    """
    if by != "geography" and by not in series.dimensions:
        raise BenchmarkError(
            f"series {series.indicator.id!r} has no column {by!r} naming partners "
            f"(dimensions: {', '.join(series.dimensions) or 'none'}); pass by=..."
        )
    if isinstance(min_peers, bool) or not isinstance(min_peers, int):
        raise TypeError(f"min_peers must be a whole number (got {min_peers!r})")
    if min_peers < _ABSOLUTE_MIN_PEERS:
        raise BenchmarkError(
            f"min_peers={min_peers} would expose peers: with a single peer, the peer is "
            f"identified by elimination; use at least {_ABSOLUTE_MIN_PEERS}"
        )
    names = [x for x in series.table.column(by).unique().to_pylist() if x not in (None, TOTAL)]
    if partner not in names:
        raise BenchmarkError(
            f"partner {partner!r} is not in column {by!r} of series {series.indicator.id!r} "
            f"({len(names)} partners); check the spelling"
        )
    peers = sorted(n for n in names if n != partner)
    if len(peers) < min_peers:
        raise BenchmarkError(
            f"benchmark for {partner!r} refused: {len(peers)} peer(s), fewer than the "
            f"minimum of {min_peers} needed to keep every peer anonymous; combine years or "
            "programs, or wait until more partners share data"
        )
    policy = SuppressionPolicy() if policy is None else policy
    if not isinstance(policy, SuppressionPolicy | RoundingPolicy | NoDisclosureControl):
        raise TypeError(f"policy must be a disclosure-control policy (got {policy!r})")
    raw_key = key.encode("utf-8") if isinstance(key, str) else key
    by_col = np.asarray(series.table.column(by).to_pylist(), dtype=object)
    known = np.asarray(by_col == partner, dtype=bool)
    protected = _apply(series, policy, known, geography_parents)

    published: pd.DataFrame = protected.table.select([*protected.keys, "value"]).to_pandas()
    order = _order_peers(peers, partner, raw_key, published, by)
    labels = {p: peer_label(i) for i, p in enumerate(order)}
    labels[partner] = partner
    labels[TOTAL] = TOTAL
    new_by = pa.array([labels[x] for x in by_col.tolist()], type=pa.string())
    table = protected.table.set_column(protected.table.column_names.index(by), by, new_by)
    sort_keys = [(c, "ascending") for c in protected.keys if c != by] + [(by, "ascending")]
    table = table.sort_by(sort_keys)
    view = protected.with_table(
        table,
        provenance=Provenance(adapter="benchmark", source=series.indicator.id),
        sensitive=False,
    )
    summary = _summary(view, partner, by, [labels[p] for p in peers], min_peers)
    return Benchmark(partner=partner, by=by, n_peers=len(peers), series=view, summary=summary)


def _summary(
    view: IndicatorSeries, partner: str, by: str, peer_labels: list[str], min_peers: int
) -> pd.DataFrame:
    df: pd.DataFrame = view.table.select([*view.keys, "value", "status"]).to_pandas()
    others = [c for c in view.keys if c != by]
    records: list[dict[str, object]] = []
    for key, sub in df.groupby(others, sort=True, dropna=False):
        key_t = key if isinstance(key, tuple) else (key,)
        own = sub[sub[by] == partner]
        total = sub[sub[by] == TOTAL]
        vals = sub[sub[by].isin(peer_labels)]["value"].dropna().to_numpy(dtype=np.float64)
        enough = len(vals) >= min_peers
        q1, med, q3 = np.percentile(vals, [25, 50, 75]) if enough else (np.nan,) * 3
        records.append(
            {
                **dict(zip(others, key_t, strict=True)),
                "own": float(own["value"].iloc[0]) if len(own) else np.nan,
                "own_status": str(own["status"].iloc[0]) if len(own) else None,
                "all_partners": float(total["value"].iloc[0]) if len(total) else np.nan,
                "peers_published": len(vals),
                "peer_q1": float(q1),
                "peer_median": float(med),
                "peer_q3": float(q3),
            }
        )
    return pd.DataFrame.from_records(records)
