"""Anonymized benchmarking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from feedbackloop import TOTAL, Indicator, IndicatorSeries
from feedbackloop.benchmarking import Benchmark, benchmark, peer_label
from feedbackloop.privacy import BenchmarkError, NoDisclosureControl, SuppressionPolicy

COUNT = Indicator(id="served", name="Served", unit="people", direction="higher_is_better")
PARTNERS = {"Acme": 40, "Beacon": 25, "Cedar": 7, "Delta": 60, "Elm": 33, "Fir": 18}


def partner_series(values: dict[str, int] = PARTNERS) -> IndicatorSeries:
    names = [*values, TOTAL]
    vals = [*values.values(), sum(values.values())]
    df = pd.DataFrame({"geography": "g", "period": "2024", "partner": names, "value": vals})
    return IndicatorSeries.from_frame(df, indicator=COUNT, dimensions=["partner"])


def test_partner_sees_itself_and_anonymous_peers() -> None:
    b = benchmark(partner_series(), "Beacon", key="k" * 32)
    assert isinstance(b, Benchmark) and b.n_peers == 5
    f = b.series.frame
    labels = set(f["partner"])
    assert labels == {"Beacon", TOTAL, *(peer_label(i) for i in range(5))}
    for name in set(PARTNERS) - {"Beacon"}:
        assert name not in labels
        assert name.encode() not in b.series.to_arrow().to_string().encode()
    assert f.loc[f["partner"] == "Beacon", "value"].item() == 25
    # Cedar's 7 is withheld, and so is a complement (not Beacon's own cell)
    assert f["status"].isin(["suppressed"]).sum() == 1
    assert f["status"].isin(["suppressed_complementary"]).sum() >= 1
    assert f.loc[f["partner"] == "Beacon", "status"].item() == "estimate"
    # rows are sorted by label, never by the hidden names
    assert f["partner"].tolist() == sorted(f["partner"].tolist())


def test_labels_are_stable_with_a_key_and_differ_between_viewers() -> None:
    s = partner_series()
    key = b"backbone secret that is long enough"

    def mapping(viewer: str) -> dict[float, str]:
        f = benchmark(s, viewer, key=key, policy=NoDisclosureControl()).series.frame
        return dict(zip(f["value"], f["partner"], strict=True))

    assert mapping("Acme") == mapping("Acme")
    a, b = mapping("Acme"), mapping("Elm")
    shared = {v for v in a if v in b and a[v].startswith("Peer") and b[v].startswith("Peer")}
    assert len(shared) == 4
    assert any(a[v] != b[v] for v in shared)


def test_without_a_key_labels_follow_visible_values_not_names() -> None:
    f = benchmark(partner_series(), "Acme", policy=NoDisclosureControl()).series.frame
    peers = f[f["partner"].str.startswith("Peer")].sort_values("partner")
    assert peers["value"].tolist() == [60, 33, 25, 18, 7]  # largest first
    renamed = {f"z{k}": v for k, v in reversed(PARTNERS.items())}
    renamed["Acme"] = renamed.pop("zAcme")
    g = benchmark(partner_series(renamed), "Acme", policy=NoDisclosureControl()).series.frame
    assert g["partner"].tolist() == f["partner"].tolist()
    assert g["value"].tolist() == f["value"].tolist()


def test_summary_gives_quartiles_of_published_peers() -> None:
    b = benchmark(partner_series(), "Acme", policy=NoDisclosureControl())
    row = b.summary.iloc[0]
    peers = np.array([25, 7, 60, 33, 18])
    assert row["own"] == 40 and row["all_partners"] == 183
    assert row["peers_published"] == 5
    assert row["peer_median"] == np.median(peers)
    assert (row["peer_q1"], row["peer_q3"]) == tuple(np.percentile(peers, [25, 75]))
    s = benchmark(partner_series(), "Acme", policy=SuppressionPolicy(threshold=11)).summary
    assert s["peers_published"].item() <= 3
    assert np.isnan(s["peer_median"].item())  # fewer published peers than the minimum


def test_too_few_peers_is_refused() -> None:
    small = partner_series({"Acme": 40, "Beacon": 25, "Cedar": 30, "Delta": 60})
    with pytest.raises(BenchmarkError, match="3 peer\\(s\\), fewer than the minimum of 4"):
        benchmark(small, "Acme")
    assert benchmark(small, "Acme", min_peers=3).n_peers == 3
    with pytest.raises(BenchmarkError, match="identified by elimination"):
        benchmark(small, "Acme", min_peers=1)
    with pytest.raises(BenchmarkError, match="not in column 'partner'"):
        benchmark(small, "Zeta")
    with pytest.raises(BenchmarkError, match="no column 'agency'"):
        benchmark(small, "Acme", by="agency")
