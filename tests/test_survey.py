"""Survey estimates: every variance method against hand-computed numbers, domains, statuses,
Likert and multi-select items, SPSS/Stata round trips and every bad-input error."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import feedbackloop as fl
from feedbackloop.errors import (
    CodebookError,
    LonelyPsuError,
    SurveyDesignError,
    SurveyError,
)
from feedbackloop.privacy import SuppressionPolicy
from feedbackloop.series import TOTAL
from feedbackloop.survey import SurveyDesign, estimate

Z = 1.645


def _row(s: fl.IndicatorSeries, **where: str) -> pd.Series:
    f = s.frame
    for k, v in where.items():
        f = f[f[k] == v]
    assert len(f) == 1, f
    return f.iloc[0]


def _est(df: pd.DataFrame, **kw: object) -> fl.IndicatorSeries:
    kw.setdefault("period", "2022")
    kw.setdefault("policy", None)
    kw.setdefault("min_n", 1)
    return estimate(df, **kw)  # type: ignore[arg-type]


# ------------------------------------------------------------ replicate methods

TINY = pd.DataFrame(
    {
        "y": [1, 0, 1, 1],
        "w": [10.0, 20.0, 30.0, 40.0],
        "r1": [12.0, 18.0, 30.0, 40.0],
        "r2": [10.0, 20.0, 36.0, 34.0],
        "r3": [8.0, 22.0, 30.0, 44.0],
        "r4": [10.0, 24.0, 28.0, 40.0],
    }
)


def _replicate_reference(coef: float) -> tuple[float, float]:
    """The proportion and its variance, written out record by record."""

    def prop(col: str) -> float:
        return sum(TINY[col] * TINY["y"]) / sum(TINY[col])

    theta = prop("w")
    return theta, coef * sum((prop(f"r{r}") - theta) ** 2 for r in range(1, 5))


@pytest.mark.parametrize(
    ("method", "rho", "coef"),
    [("sdr", None, 4 / 4), ("jk1", None, 3 / 4), ("brr", None, 1 / 4), ("fay", 0.5, 1 / 1)],
)
def test_replicate_methods_match_their_formulas(
    method: str, rho: float | None, coef: float
) -> None:
    design = SurveyDesign(
        weights="w",
        replicate_weights="r",
        replicate_method=method,
        fay_rho=rho,  # type: ignore[arg-type]
    )
    row = _row(_est(TINY, value="y", design=design))
    theta, var = _replicate_reference(coef)
    assert theta == pytest.approx(0.8)
    assert row["value"] == pytest.approx(80.0)
    assert row["moe"] == pytest.approx(Z * math.sqrt(var) * 100)
    assert row["n_unweighted"] == 4


def test_sdr_total_by_hand() -> None:
    # Total of y: 80; replicates 82, 80, 82, 78: Σ(θr-θ)² = 4+0+4+4 = 12; 4/4 · 12.
    design = SurveyDesign(
        weights="w", replicate_weights=["r1", "r2", "r3", "r4"], replicate_method="sdr"
    )
    row = _row(_est(TINY, value="y", measure="total", design=design))
    assert row["value"] == 80.0
    assert row["moe"] == pytest.approx(Z * math.sqrt(12.0))


# ------------------------------------------------------------ linearisation


def test_weights_alone_are_a_simple_random_sample_with_replacement() -> None:
    df = pd.DataFrame({"y": [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]})
    row = _row(_est(df, value="y"))
    # p = 0.4, Var = p(1-p)/(n-1) for equal weights, each record its own PSU.
    assert row["value"] == pytest.approx(40.0)
    assert row["moe"] == pytest.approx(Z * math.sqrt(0.24 / 9) * 100)


def _clustered(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for h in range(3):
        for c in range(3 + h):
            for _ in range(int(rng.integers(2, 6))):
                rows.append(
                    (
                        f"s{h}",
                        f"c{c}",
                        rng.uniform(1, 5),
                        int(rng.integers(0, 2)),
                        rng.choice(["F", "M"]),
                        10 + h,
                    )
                )
    return pd.DataFrame(rows, columns=["st", "cl", "w", "y", "sex", "N"])


def _taylor_reference(df: pd.DataFrame, sex: str | None, fpc: bool) -> tuple[float, float]:
    """Domain ratio variance, PSUs with replacement, written out stratum by stratum."""
    dom = (df["sex"] == sex) if sex else pd.Series(True, index=df.index)
    wd = df["w"] * dom
    theta = (wd * df["y"]).sum() / wd.sum()
    z = wd * (df["y"] - theta) / wd.sum()
    var = 0.0
    for _h, g in df.assign(z=z).groupby("st"):
        tot = g.groupby("cl")["z"].sum()
        n_h = len(tot)
        f = n_h / g["N"].iloc[0] if fpc else 0.0
        var += n_h / (n_h - 1) * (1 - f) * ((tot - tot.mean()) ** 2).sum()
    return theta, var


@pytest.mark.parametrize("fpc", [False, True])
def test_stratified_cluster_domains_use_the_whole_design(fpc: bool) -> None:
    df = _clustered()
    design = SurveyDesign(weights="w", strata="st", clusters="cl", fpc="N" if fpc else None)
    s = _est(df, value="y", design=design, dimensions=["sex"])
    for sex in ("F", "M", None):
        theta, var = _taylor_reference(df, sex, fpc)
        row = _row(s, sex=sex or TOTAL)
        assert row["value"] == pytest.approx(theta * 100)
        assert row["moe"] == pytest.approx(Z * math.sqrt(var) * 100)
    # A cut-down file (only women) loses PSUs without women: a different, wrong answer.
    cut = _est(
        df[df["sex"] == "F"].reset_index(drop=True),
        value="y",
        design=SurveyDesign(weights="w", strata="st", clusters="cl"),
    )
    assert _row(cut)["value"] == pytest.approx(_row(s, sex="F")["value"])


def test_mean_and_total_linearised() -> None:
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "w": [1.0, 1.0, 2.0, 2.0]})
    mean = _row(_est(df, value="x", measure="mean", design=SurveyDesign(weights="w")))
    assert mean["value"] == pytest.approx(17 / 6)
    z = np.array([1.0, 1.0, 2.0, 2.0]) * (df["x"] - 17 / 6) / 6
    var = 4 / 3 * ((z - z.mean()) ** 2).sum()
    assert mean["moe"] == pytest.approx(Z * math.sqrt(var))
    total = _row(_est(df, value="x", measure="total", design=SurveyDesign(weights="w")))
    t = np.array([1.0, 2.0, 6.0, 8.0])
    assert total["value"] == 17.0
    assert total["moe"] == pytest.approx(Z * math.sqrt(4 / 3 * ((t - t.mean()) ** 2).sum()))


# ------------------------------------------------------------ lonely PSUs


def _lonely() -> pd.DataFrame:
    return pd.DataFrame(
        {"st": [1, 1, 1, 2], "cl": [1, 2, 2, 9], "y": [1, 0, 1, 1], "w": [1.0, 2.0, 3.0, 3.0]}
    )


def test_lonely_psu_is_refused_naming_the_stratum_and_fixes() -> None:
    with pytest.raises(LonelyPsuError, match=r"[Cc]ollapse") as err:
        _est(_lonely(), value="y", design=SurveyDesign(weights="w", strata="st", clusters="cl"))
    assert err.value.strata == ("2",)
    assert "certainty" in str(err.value) and "adjust" in str(err.value)


def test_lonely_psu_certainty_and_adjust() -> None:
    df = _lonely()
    t = df["w"] * df["y"]  # PSU totals of y for a total: s1: c1=1, c2=3; s2: c9=3
    cert = _row(
        _est(
            df,
            value="y",
            measure="total",
            design=SurveyDesign(weights="w", strata="st", clusters="cl", lonely_psu="certainty"),
        )
    )
    assert t.sum() == cert["value"] == 7.0
    assert cert["moe"] == pytest.approx(Z * math.sqrt(2 * ((1 - 2) ** 2 + (3 - 2) ** 2)))
    adj = _row(
        _est(
            df,
            value="y",
            measure="total",
            design=SurveyDesign(weights="w", strata="st", clusters="cl", lonely_psu="adjust"),
        )
    )
    grand = 7.0 / 3  # R survey "adjust": the lonely PSU centred at the mean of all PSU totals
    assert adj["moe"] == pytest.approx(Z * math.sqrt(4.0 + (3 - grand) ** 2))


# ------------------------------------------------------------ statuses


def test_min_n_and_privacy_threshold() -> None:
    df = pd.DataFrame({"y": [1, 0] * 20 + [1] * 5, "g": ["a"] * 40 + ["b"] * 5})
    s = estimate(
        df,
        value="y",
        dimensions=["g"],
        period="2022",
        policy=SuppressionPolicy(threshold=3),
        min_n=30,
    )
    assert _row(s, g="a")["status"] == "estimate"
    assert _row(s, g="b")["status"] == "small_sample"
    assert _row(s, g="b")["n_unweighted"] == 5
    s = estimate(
        df, value="y", dimensions=["g"], period="2022", policy=SuppressionPolicy(threshold=11)
    )
    b = _row(s, g="b")
    assert b["status"] == "suppressed"
    assert math.isnan(b["value"]) and math.isnan(b["moe"]) and math.isnan(b["n_unweighted"])


# ------------------------------------------------------------ Likert and multi-select

LIKERT = ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]


def _likert(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    q = pd.Categorical(rng.choice(LIKERT, n), categories=LIKERT, ordered=True)
    return pd.DataFrame(
        {"q": q, "w": rng.uniform(1, 3, n), "a": rng.integers(0, 2, n), "b": rng.integers(0, 2, n)}
    )


def test_likert_shares_top_two_box_and_recode() -> None:
    df = _likert()
    d = SurveyDesign(weights="w")
    shares = _est(df, value="q", design=d)
    assert list(shares.frame["answer"]) == LIKERT
    assert shares.frame["value"].sum() == pytest.approx(100.0)
    top = _row(_est(df, value="q", design=d, success=["Agree", "Strongly agree"]))
    both = shares.frame.set_index("answer")["value"]
    assert top["value"] == pytest.approx(both["Agree"] + both["Strongly agree"])
    rec = _est(df, value="q", design=d, recode={"Top two": ["Agree", "Strongly agree"]})
    assert _row(rec, answer="Top two")["value"] == pytest.approx(top["value"])
    assert _row(rec, answer="Top two")["moe"] == pytest.approx(top["moe"])
    with pytest.raises(CodebookError, match="no answer 'Agre'"):
        _est(df, value="q", design=d, success=["Agre"])


def test_multi_select_shares_per_item() -> None:
    df = _likert()
    s = _est(df, value=["a", "b"], design=SurveyDesign(weights="w"))
    a = (df["w"] * df["a"]).sum() / df["w"].sum() * 100
    assert _row(s, answer="a")["value"] == pytest.approx(a)


@given(st.lists(st.tuples(st.integers(0, 1), st.floats(0.5, 10)), min_size=3, max_size=30))
def test_proportions_lie_between_0_and_100(rows: list[tuple[int, float]]) -> None:
    df = pd.DataFrame(rows, columns=["y", "w"])
    row = _row(_est(df, value="y", design=SurveyDesign(weights="w")))
    assert 0.0 <= row["value"] <= 100.0
    assert row["moe"] >= 0.0


# ------------------------------------------------------------ files


def test_sav_and_dta_round_trip_value_labels(tmp_path: Path) -> None:
    pyreadstat = pytest.importorskip("pyreadstat")
    df = pd.DataFrame(
        {"q": [1, 2, 2, 3, 3, 3], "sex": [1, 2, 1, 2, 1, 2], "w": [1.0, 2.0, 1.0, 1.0, 2.0, 1.0]}
    )
    labels = {"q": {1: "No", 2: "Maybe", 3: "Yes"}, "sex": {1: "Female", 2: "Male"}}
    sav, dta = tmp_path / "s.sav", tmp_path / "s.dta"
    pyreadstat.write_sav(df, str(sav), variable_value_labels=labels)
    pyreadstat.write_dta(df, str(dta), variable_value_labels=labels)
    for path in (sav, dta):
        s = fl.read(
            "survey",
            path,
            value="q",
            dimensions=["sex"],
            weights="w",
            period="2022",
            policy=None,
            min_n=1,
        )
        assert set(s.frame["answer"]) == {"No", "Maybe", "Yes"}
        assert set(s.frame["sex"]) == {"Female", "Male", TOTAL}
        yes = _row(s, answer="Yes", sex=TOTAL)["value"]
        assert yes == pytest.approx(4 / 8 * 100)


def test_code_outside_codebook_and_duplicate_labels(tmp_path: Path) -> None:
    pyreadstat = pytest.importorskip("pyreadstat")
    df = pd.DataFrame({"q": [1, 2, 7], "w": [1.0, 1.0, 1.0]})
    path = tmp_path / "bad.sav"
    pyreadstat.write_sav(df, str(path), variable_value_labels={"q": {1: "No", 2: "Yes"}})
    with pytest.raises(CodebookError, match="outside its codebook") as err:
        fl.read("survey", path, value="q", weights="w", period="2022")
    assert err.value.column == "q" and err.value.rows == (3,)
    with pytest.raises(CodebookError, match="one label to several codes"):
        fl.read(
            "survey", path, value="q", period="2022", codebook={"q": {1: "No", 2: "No", 7: "Yes"}}
        )


def test_csv_through_the_adapter_with_codebook(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("puma,q,w\n00101,1,2\n00101,2,1\n00102,2,1\n00102,1,1\n")
    s = fl.read(
        "survey",
        path,
        value="q",
        geography="puma",
        weights="w",
        period="2022",
        codebook={"q": {1: "Yes", 2: "No"}},
        success="Yes",
        policy=None,
        min_n=1,
    )
    assert list(s.frame["geography"]) == ["00101", "00102"]
    assert list(s.frame["value"]) == pytest.approx([200 / 3, 50.0])
    assert "survey" in fl.adapters.available()


# ------------------------------------------------------------ bad input


def test_bad_weights_are_located() -> None:
    df = pd.DataFrame({"y": [1, 0, 1], "w": [1.0, None, 2.0]})
    with pytest.raises(SurveyDesignError, match="missing") as err:
        _est(df, value="y", design=SurveyDesign(weights="w"))
    assert err.value.rows == (2,) and err.value.column == "w"
    df["w"] = [1.0, -1.0, 2.0]
    with pytest.raises(SurveyDesignError, match="negative"):
        _est(df, value="y", design=SurveyDesign(weights="w"))
    with pytest.raises(SurveyDesignError, match="not in the data"):
        _est(df, value="y", design=SurveyDesign(weights="pw"))


def test_replicate_count_must_fit_the_method() -> None:
    df = TINY.assign(r5=TINY["w"])
    with pytest.raises(SurveyDesignError, match="5 replicate weights do not fit"):
        _est(
            df,
            value="y",
            design=SurveyDesign(weights="w", replicate_weights="r", replicate_method="sdr"),
        )
    with pytest.raises(SurveyDesignError, match="fay_rho"):
        SurveyDesign(replicate_weights="r", replicate_method="fay")
    with pytest.raises(SurveyDesignError, match="not both"):
        SurveyDesign(replicate_weights="r", replicate_method="brr", strata="st")
    with pytest.raises(SurveyDesignError, match="go together"):
        SurveyDesign(replicate_weights="r")


def test_missing_answers_are_refused_or_excluded_by_choice() -> None:
    df = pd.DataFrame({"y": [1.0, None, 0.0, 1.0], "w": [1.0, 1.0, 1.0, 1.0]})
    with pytest.raises(SurveyError, match=r"rows 2\b"):
        _est(df, value="y")
    row = _row(_est(df, value="y", missing="exclude"))
    assert row["value"] == pytest.approx(200 / 3) and row["n_unweighted"] == 3


def test_missing_category_is_refused() -> None:
    df = pd.DataFrame({"y": [1, 0, 1], "race": ["A", None, "B"]})
    with pytest.raises(SurveyError, match="'race' is missing") as err:
        _est(df, value="y", dimensions=["race"])
    assert err.value.rows == (2,)
