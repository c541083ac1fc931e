"""The Census Data API adapter, against a stand-in that answers like the real API.

Most tests talk to :class:`feedbackloop.testing.CensusMock` through its httpx
transport: no sockets, no server. A handful (marked "over real HTTP") talk to the
same mock served by a loopback HTTP server (``census_server.py``), for what only a
wire shows: connection pooling and concurrency, timeouts that really elapse,
retries, a redirect that must not be followed, the HTTP libraries' logs.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import socket
import subprocess
import sys
import textwrap
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import feedbackloop as fl
from feedbackloop import census
from feedbackloop.adapters.census import CensusAdapter
from feedbackloop.census import (
    CensusError,
    CensusGeographyError,
    CensusKeyError,
    CensusNotFoundError,
    CensusOfflineError,
    CensusResponseError,
    CensusServerError,
    CensusTimeoutError,
    UnknownTableError,
    UnknownVariableError,
)
from feedbackloop.census._decode import decode_block, status_text
from feedbackloop.errors import NotAdditiveError, SourceReadError
from feedbackloop.examples import example_path
from feedbackloop.series import TOTAL, Status
from feedbackloop.testing import (
    AdapterContractTests,
    CensusFault,
    CensusMock,
    census_geography,
    census_row,
    census_variables,
)

sys.path.insert(0, str(Path(__file__).parent))
from census_server import CensusServer, Scripted

KEY = "s3cr3t-KEY-0123456789abcdef"
RACES = "ABCDEFGHI"
#: The base URL the mock answers at (any host would do; ``.test`` never resolves).
MOCK_URL = "https://api.census.test/data"
geo_row, modern_geography, variables_doc = census_row, census_geography, census_variables


# ------------------------------------------------------------ the stand-ins


def _acs5_2022() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    specs: dict[str, tuple[str, str, str]] = {
        f"B01001_{i:03d}E": (f"Estimate!!Total:!!Line {i}", "SEX BY AGE", "B01001")
        for i in (1, 2, 3)
    }
    income = "Estimate!!Median household income in the past 12 months (in 2022 dollars)"
    specs["B19013_001E"] = (income, "MEDIAN HOUSEHOLD INCOME", "B19013")
    for r in RACES:
        specs[f"B19013{r}_001E"] = (income, f"MEDIAN HOUSEHOLD INCOME ({r})", f"B19013{r}")
    specs["B99001_001E"] = ("Estimate!!Total:", "PEOPLE", "B99001")
    for r in RACES:
        specs[f"B99001{r}_001E"] = ("Estimate!!Total:", f"PEOPLE ({r})", f"B99001{r}")
    rows = [
        geo_row("040", "California", state="06"),
        geo_row("050", "San Francisco County, California", state="06", county="075"),
    ]
    for county, n in (("075", 3), ("081", 2)):
        for t in range(n):
            rows.append(
                geo_row(
                    "140",
                    f"Census Tract {t + 1}",
                    state="06",
                    county=county,
                    tract=f"{t + 1:04d}00",
                )
            )
    race_counts = {"A": 50, "B": 20, "C": 5, "D": 15, "E": 1, "F": 4, "G": 5, "H": 40, "I": 12}
    for i, row in enumerate(rows):
        for name in specs:
            stem = name[:-1]
            row[name] = str(1000 + 10 * i)
            row[stem + "M"] = str(50 + i)
            row[name + "A"] = None
            row[stem + "MA"] = None
        for r, v in race_counts.items():
            row[f"B99001{r}_001E"] = str(v * (i + 1))
            row[f"B99001{r}_001M"] = str(3 + i)
        row["B99001_001E"] = str(100 * (i + 1))  # = A..G
        row["B99001_001M"] = "-555555555"
    first_tract = rows[2]
    first_tract["B19013_001E"] = "250001"
    first_tract["B19013_001EA"] = "250,000+"
    first_tract["B19013_001M"] = "-333333333"
    first_tract["B19013_001MA"] = "***"
    rows[3]["B01001_001E"] = "-666666666"
    rows[3]["B01001_001M"] = "-222222222"
    rows[4]["B01001_002M"] = "-555555555"
    rows[5]["B01001_003E"] = None
    rows[5]["B01001_003M"] = None
    return variables_doc(specs), rows


def _add_synthetic(server: CensusMock | CensusServer) -> None:
    doc, rows = _acs5_2022()
    server.add(2022, "acs/acs5", variables=doc, geography=modern_geography(), rows=rows)
    # Real request -> value pairs (SOURCES.md, censusdata's live-API tests).
    doc15 = variables_doc({"B01001_001E": ("Estimate!!Total", "SEX BY AGE", "B01001")})
    il = geo_row("040", "Illinois", state="17")
    il.update({"B01001_001E": "12873761", "B01001_001M": "-555555555"})
    oak = geo_row("160", "Oakland city, California", state="06", place="53000")
    oak.update({"B01001_001E": "408073", "B01001_001M": "46"})
    server.add(2015, "acs/acs5", variables=doc15, geography=modern_geography(), rows=[il, oak])
    dp = {
        f"DP05_{i:04d}PE": (
            f"Percent!!SEX AND AGE!!Line {i}",
            "ACS DEMOGRAPHIC AND HOUSING ESTIMATES",
            "DP05",
        )
        for i in range(1, 85)
    }
    ca = geo_row("040", "California", state="06")
    for i in range(1, 85):
        ca[f"DP05_{i:04d}PE"] = str(1000 + i)
        ca[f"DP05_{i:04d}PM"] = "0.1"
    ca.update(
        {
            "DP05_0001PE": "38421464",
            "DP05_0017PE": "-888888888",
            "DP05_0081PE": "-888888888",
            "DP05_0082PE": "24280349",
        }
    )
    ca["DP05_0001PM"] = "-888888888"
    server.add(
        2015,
        "acs/acs5/profile",
        variables=variables_doc(dp, suffix="PE"),
        geography=modern_geography(),
        rows=[ca],
    )
    b02015 = variables_doc(
        {"B02015_009E": ("Estimate!!Total:!!Chinese", "ASIAN ALONE BY SELECTED GROUPS", "B02015")}
    )
    states = []
    for fips, name, e, m in (
        ("17", "Illinois", "655", "511"),
        ("13", "Georgia", "3162", "1336"),
        ("16", "Idaho", None, None),
        ("22", "Louisiana", "0", "224"),
        ("23", "Maine", None, None),
    ):
        row = geo_row("040", name, state=fips)
        row.update({"B02015_009E": e, "B02015_009M": m})
        states.append(row)
    server.add(2019, "acs/acs1", variables=b02015, geography=modern_geography(), rows=states)


@pytest.fixture(scope="module")
def _mock() -> CensusMock:
    mock = CensusMock(key=KEY)
    _add_synthetic(mock)
    return mock


@pytest.fixture
def mock(_mock: CensusMock, route_census: Callable[[httpx.BaseTransport], None]) -> CensusMock:
    """The mock, fresh for the test, answering every CensusClient the test makes.

    ``fl.read``, ``fl.collect`` and loop files build their clients themselves, so the
    clients are routed to the mock's transport (see ``route_census`` in conftest.py).
    """
    _mock.reset()
    _mock.latency = 0.0
    route_census(_mock.transport)
    return _mock


@pytest.fixture(scope="module")
def _server() -> Iterator[CensusServer]:
    with CensusServer(key=KEY) as srv:
        _add_synthetic(srv)
        yield srv


@pytest.fixture
def server(_server: CensusServer) -> CensusServer:
    """The loopback HTTP server (real sockets), fresh for the test."""
    _server.reset()
    return _server


@pytest.fixture
def real(mock: CensusMock, realdata: Path) -> CensusMock:
    """Add the vintages whose metadata are the real files in shared/realdata."""
    variables = json.loads((realdata / "census/censusdata_acsse_2019_variables.json").read_text())
    il = geo_row("040", "Illinois", state="17")
    il.update({"K202801_006E": "378926", "K202801_006M": "8741"})
    mock.add(2019, "acs/acsse", variables=variables, geography=modern_geography(), rows=[il])
    geography = json.loads((realdata / "census/census_api_2010_dec_sf1_geography.json").read_text())
    sf1 = variables_doc(
        {"P001001": ("Total", "TOTAL POPULATION", "P1")}, moe=False, annotations=False
    )
    rows = [
        geo_row("040", "California", state="06"),
        geo_row("050", "San Francisco County", state="06", county="075"),
        geo_row("140", "Census Tract 101", state="06", county="075", tract="010100"),
    ]
    for i, row in enumerate(rows):
        row["P001001"] = str(37253956 // (10**i))
    mock.add(2010, "dec/sf1", variables=sf1, geography=geography, rows=rows)
    return mock


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FEEDBACKLOOP_CENSUS_CACHE", str(tmp_path / "default-cache"))
    monkeypatch.setenv("CENSUS_API_KEY", KEY)
    monkeypatch.delenv("FEEDBACKLOOP_CENSUS_URL", raising=False)


def _opts(base_url: str, tmp_path: Path) -> dict[str, Any]:
    return {
        "base_url": base_url,
        "cache_dir": tmp_path / "cache",
        "backoff": 0.001,
        "progress": False,
    }


@pytest.fixture
def opts(mock: CensusMock, tmp_path: Path) -> dict[str, Any]:
    """Options for reads answered by the mock."""
    return _opts(MOCK_URL, tmp_path)


@pytest.fixture
def server_opts(server: CensusServer, tmp_path: Path) -> dict[str, Any]:
    """Options for reads answered over real HTTP."""
    return _opts(server.url, tmp_path)


def tracts(opts: dict[str, Any], **kw: Any) -> fl.IndicatorSeries:
    args: dict[str, Any] = {
        "dataset": "acs/acs5",
        "year": 2022,
        "geography": "tract",
        "within": {"state": "CA"},
        **opts,
    }
    args.update(kw)
    return fl.read("census", **args)


# ------------------------------------------------------------- the basics


def test_read_through_the_entry_point(server: CensusServer, server_opts: dict[str, Any]) -> None:
    """Over real HTTP: a whole read through the entry point, end to end."""
    s = fl.read(
        "census",
        dataset="acs/acs5",
        year=2022,
        variables={"median_income": "B19013_001"},
        geography="tract",
        within={"state": "06", "county": "075"},
        **server_opts,
    )
    assert s.indicator.id == "median_income" and s.unit == "USD"
    assert s.geographies == ("06075000100", "06075000200", "06075000300")
    assert [str(p) for p in s.periods] == ["2018-2022"]
    assert s.has_moe and s.dimensions == ()
    df = s.frame.set_index("geography")
    assert df.loc["06075000200", "value"] == 1030.0 and df.loc["06075000200", "moe"] == 53.0
    # top-coded median: the value is the bound, the status says so, the MOE is not computable
    assert df.loc["06075000100", "status"] == Status.TOP_CODED
    assert df.loc["06075000100", "value"] == 250001.0 and np.isnan(df.loc["06075000100", "moe"])
    prov = s.provenance
    assert prov is not None and prov.adapter == "census"
    assert prov.options["dataset"] == "acs/acs5" and prov.options["year"] == 2022
    assert "B19013_001E" in prov.options["variables"] and "B19013_001M" in prov.options["variables"]
    assert (
        prov.options["geography"] == "tract:*" and prov.options["within"] == "state:06 county:075"
    )
    assert prov.retrieved
    hits = server.data_hits()
    # every request sends the key (recorded as ***, checked against KEY)
    assert len(hits) == 1 and hits[0].param("key") == "***" and hits[0].key_valid
    assert hits[0].param("for") == "tract:*" and hits[0].param("in") == "state:06 county:075"


def test_real_request_value_pairs(mock: CensusMock, opts: dict[str, Any]) -> None:
    il = fl.read(
        "census",
        dataset="acs/acs5",
        year=2015,
        variables="B01001_001",
        geography="state:IL",
        **opts,
    )
    row = il.frame.iloc[0]
    assert (row["geography"], row["value"], row["moe"]) == ("17", 12873761.0, 0.0)
    assert row["status"] == Status.CONTROLLED  # -555555555: MOE 0, never a number
    oak = fl.read(
        "census",
        dataset="acs/acs5",
        year=2015,
        variables="B01001_001",
        geography="place:53000",
        within={"state": "California"},
        **opts,
    )
    assert oak.frame[["geography", "value"]].values.tolist() == [["0653000", 408073.0]]
    assert [str(p) for p in oak.periods] == ["2011-2015"]


def test_acs1_json_nulls_are_missing_not_zero(opts: dict[str, Any]) -> None:
    s = fl.read(
        "census", dataset="acs/acs1", year=2019, variables="B02015_009", geography="state", **opts
    )
    df = s.frame.set_index("geography")
    assert (df.loc["17", "value"], df.loc["17", "moe"]) == (655.0, 511.0)
    assert (df.loc["13", "value"], df.loc["13", "moe"]) == (3162.0, 1336.0)
    assert (df.loc["22", "value"], df.loc["22", "moe"]) == (0.0, 224.0)
    for idaho_or_maine in ("16", "23"):
        assert np.isnan(df.loc[idaho_or_maine, "value"])
        assert df.loc[idaho_or_maine, "status"] == Status.MISSING
    assert str(s.periods[0]) == "2019"


def test_sentinels_become_statuses(opts: dict[str, Any]) -> None:
    s = tracts(opts, variables=["B01001_001", "B01001_002", "B01001_003"])
    assert s.dimensions == ("variable",) and "variable" in s.non_additive
    df = s.frame.set_index(["geography", "variable"])
    nc = df.loc[("06075000200", "B01001_001")]
    assert nc["status"] == Status.NOT_COMPUTABLE and np.isnan(nc["value"]) and np.isnan(nc["moe"])
    ctl = df.loc[("06075000300", "B01001_002")]
    assert ctl["status"] == Status.CONTROLLED and ctl["moe"] == 0.0 and ctl["value"] == 1040.0
    miss = df.loc[("06081000100", "B01001_003")]
    assert miss["status"] == Status.MISSING and np.isnan(miss["value"])
    assert (df["moe"].dropna() >= 0).all() and (df["value"].dropna() >= 0).all()


def test_profile_84_variables_are_chunked_and_joined(
    mock: CensusMock, opts: dict[str, Any]
) -> None:
    names = [f"DP05_{i:04d}PE" for i in range(1, 85)]
    s = fl.read(
        "census",
        dataset="acs/acs5/profile",
        year=2015,
        variables=names,
        geography="state:06",
        moe=False,
        **opts,
    )
    hits = mock.data_requests()
    assert len(hits) == 2 == census.minimum_requests(84)
    assert all(len(h.param("get").split(",")) <= 50 for h in hits)  # type: ignore[union-attr]
    assert all(h.param("get").startswith("GEO_ID,") for h in hits)  # type: ignore[union-attr]
    df = s.frame.set_index("variable")
    assert len(df) == 84 and not s.has_moe
    assert df.loc["DP05_0001PE", "value"] == 38421464.0
    assert df.loc["DP05_0082PE", "value"] == 24280349.0
    for jam in ("DP05_0017PE", "DP05_0081PE"):
        assert df.loc[jam, "status"] == Status.NOT_APPLICABLE and np.isnan(df.loc[jam, "value"])
    assert df.loc["DP05_0050PE", "value"] == 1050.0  # from the second chunk
    mock.reset()
    with_moe = fl.read(
        "census",
        dataset="acs/acs5/profile",
        year=2015,
        variables=names,
        geography="state:06",
        **{**opts, "cache": False},
    )
    assert mock.count("data") == 4 == census.minimum_requests(168)
    df = with_moe.frame.set_index("variable")
    # a PM of -888888888 on a numeric PE: the value stands, its MOE is not computable
    assert df.loc["DP05_0001PE", "status"] == Status.MOE_NOT_COMPUTABLE
    assert np.isnan(df.loc["DP05_0001PE", "moe"]) and df.loc["DP05_0002PE", "moe"] == 0.1


def test_a_place_missing_from_one_response_is_joined_as_missing(
    mock: CensusMock, opts: dict[str, Any]
) -> None:
    import httpx

    # The first request (group(B19013)) answers without its first tract; the
    # other nine (race iterations) have it: it is kept, with its GEOID, and the
    # values the first response lacked are missing rather than invented.
    within = {"state": "06", "county": "075"}
    params = {"get": "group(B19013)", "for": "tract:*", "in": "state:06 county:075", "key": KEY}
    with httpx.Client(transport=mock.transport) as raw:
        rows = raw.get(f"{MOCK_URL}/2022/acs/acs5", params=params).json()
    dropped = rows.pop(1)
    geoid = "".join(dropped[-3:])
    mock.reset()
    mock.inject(CensusFault.reply(rows))
    s = tracts(opts, table="B19013", by_race=True, within=within, concurrency=1, cache=False)
    assert mock.data_requests()[0].param("get") == "group(B19013)"
    assert len(s) == 3 * 10 and s.geographies == ("06075000100", "06075000200", "06075000300")
    df = s.frame
    place = df[df["geography"] == geoid]
    total = place[place["race"] == TOTAL].iloc[0]
    assert total["status"] == Status.MISSING and np.isnan(total["value"])
    assert np.isnan(total["moe"])
    by_race = place[place["race"] != TOTAL]
    assert len(by_race) == 9 and by_race["value"].notna().all()


def test_a_response_with_text_for_a_number_names_the_column_and_request(
    mock: CensusMock, opts: dict[str, Any]
) -> None:
    body: list[list[str | None]] = [
        ["GEO_ID", "B01001_002E", "B01001_002M", "state", "county", "tract"],
        ["1400000US06075000100", "12", "3", "06", "075", "000100"],
        ["1400000US06075000200", "n/a", "3", "06", "075", "000200"],
    ]
    mock.inject(CensusFault.reply(body))
    with pytest.raises(CensusResponseError, match=r"'B01001_002E'.*not numbers.*'n/a'") as info:
        tracts(opts, variables="B01001_002", within={"state": "06", "county": "075"})
    assert "B01001_002E" in info.value.request and KEY not in info.value.request
    body[2][1] = "7"
    body[2][3] = None
    mock.inject(CensusFault.reply(body))
    with pytest.raises(CensusResponseError, match="row 2 of the response has no 'state' code"):
        tracts(opts, variables="B01001_002", within={"state": "06", "county": "075"}, cache=False)


def test_a_first_pull_fetches_both_metadata_documents_at_once(
    mock: CensusMock, opts: dict[str, Any], tmp_path: Path
) -> None:
    mock.latency = 0.1
    try:
        tracts(opts, variables="B01001_002", within={"state": "06", "county": "075"})
        assert mock.count("meta") == 2 and mock.max_in_flight == 2
        mock.reset()
        tracts(opts, variables="B01001_002", within={"state": "06", "county": "075"})
        assert len(mock.requests) == 0  # cached: no request at all
        tracts(
            {**opts, "cache_dir": tmp_path / "other"},
            variables="B01001_002",
            within={"state": "06", "county": "075"},
            concurrency=1,
        )
        assert mock.count("meta") == 2 and mock.max_in_flight == 1
    finally:
        mock.latency = 0.0


def test_chunks_run_concurrently_within_the_bound(
    server: CensusServer, server_opts: dict[str, Any]
) -> None:
    """Over real HTTP: the connection pool and thread pool keep to the bound."""
    names = [f"DP05_{i:04d}PE" for i in range(1, 85)]
    server.latency = 0.15
    try:
        fl.read(
            "census",
            dataset="acs/acs5/profile",
            year=2015,
            variables=names,
            geography="state:06",
            concurrency=4,
            **{**server_opts, "cache": False},
        )
        assert server.max_in_flight >= 2
        server.reset()
        fl.read(
            "census",
            dataset="acs/acs5/profile",
            year=2015,
            variables=names,
            geography="state:06",
            concurrency=1,
            **{**server_opts, "cache": False},
        )
        assert server.max_in_flight == 1
    finally:
        server.latency = 0.0


def test_progress_bar_for_multi_request_pulls(
    opts: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    names = [f"DP05_{i:04d}PE" for i in range(1, 85)]
    fl.read(
        "census",
        dataset="acs/acs5/profile",
        year=2015,
        variables=names,
        geography="state:06",
        **{**opts, "progress": True, "cache": False},
    )
    assert "4/4" in capsys.readouterr().err  # 84 estimates + 84 MOEs: 4 requests
    fl.read(
        "census",
        dataset="acs/acs5/profile",
        year=2015,
        variables=names,
        geography="state:06",
        **{**opts, "progress": None, "cache": False},
    )
    assert capsys.readouterr().err == ""  # stderr is not a terminal under pytest


def test_whole_table_is_one_group_request(mock: CensusMock, opts: dict[str, Any]) -> None:
    s = tracts(opts, table="B01001", within={"state": "06", "county": "081"})
    hits = mock.data_requests()
    assert [h.param("get") for h in hits] == ["group(B01001)"]
    assert s.categories("variable") == ("B01001_001", "B01001_002", "B01001_003")
    assert s.indicator.id == "b01001" and s.unit == "count"
    with pytest.raises(UnknownTableError, match="did you mean B01001"):
        tracts(opts, table="B01010")


# ------------------------------------------------------------------- race


def test_by_race_is_a_non_additive_race_dimension(mock: CensusMock, opts: dict[str, Any]) -> None:
    s = tracts(opts, variables={"people": "B99001_001"}, by_race=True)
    assert s.dimensions == ("race",) and s.non_additive == ("race",)
    assert set(s.categories("race")) == {*census.RACE_ITERATIONS.values(), TOTAL}
    assert (
        s.provenance is not None
        and "H (White alone, not Hispanic" in (s.provenance.options["race_note"])
    )
    with pytest.raises(NotAdditiveError, match="overlap"):
        s.collapse("race")
    # A-G are exclusive and exhaustive: they add up to the published total
    exclusive = s.filter(race=[*census.EXCLUSIVE_RACES, TOTAL])
    assert exclusive.check_additivity("race")["adds_up"].all()
    # ... while adding H and I would not
    assert not s.check_additivity("race")["adds_up"].any()
    row = s.frame.query("geography == '06075000100' and race == 'Hispanic or Latino'")
    assert row["value"].tolist() == [36.0]
    assert len(mock.data_requests()) == 1  # 10 variables x (E, M): one request


def test_by_race_table_and_errors(opts: dict[str, Any]) -> None:
    s = tracts(opts, table="B19013", by_race=True, within={"state": "06", "county": "075"})
    assert s.dimensions == ("variable", "race")
    assert len(s) == 3 * 10
    with pytest.raises(UnknownVariableError, match="already a race iteration"):
        tracts(opts, variables="B19013A_001", by_race=True)
    with pytest.raises(UnknownVariableError, match="no race iteration"):
        tracts(opts, variables="B01001_001", by_race=True)


# -------------------------------------------------------------- decoding


@pytest.mark.parametrize(
    ("estimate", "moe", "status", "value", "margin"),
    [
        ("-666666666", "-222222222", Status.NOT_COMPUTABLE, None, None),
        ("-999999999", "-999999999", Status.NOT_AVAILABLE, None, None),
        ("-888888888", "-888888888", Status.NOT_APPLICABLE, None, None),
        ("120", "-555555555", Status.CONTROLLED, 120.0, 0.0),
        ("120", "-222222222", Status.MOE_NOT_COMPUTABLE, 120.0, None),
        ("52000", "-333333333", Status.MOE_NOT_COMPUTABLE, 52000.0, None),
        ("120", None, Status.MOE_NOT_COMPUTABLE, 120.0, None),
        (None, None, Status.MISSING, None, None),
        ("0", "19", Status.ESTIMATE, 0.0, 19.0),
        ("-3.5", "1.2", Status.ESTIMATE, -3.5, 1.2),  # cprofile changes can be negative
    ],
)
def test_decode_one_cell(
    estimate: str | None,
    moe: str | None,
    status: Status,
    value: float | None,
    margin: float | None,
) -> None:
    v, m, s = census.decode(np.array([estimate], dtype=object), np.array([moe], dtype=object))
    assert s[0] == status.value
    assert np.isnan(v[0]) if value is None else v[0] == value
    assert m is not None
    assert np.isnan(m[0]) if margin is None else m[0] == margin


def test_annotations_win_over_numbers() -> None:
    v, m, s = census.decode(
        np.array(["2499", "250001", "77", "9"], dtype=object),
        np.array(["-333333333", "-333333333", "5", "-555555555"], dtype=object),
        estimate_annotation=np.array(["2,500-", "250,000+", "-", None], dtype=object),
        moe_annotation=np.array(["***", "***", None, "*****"], dtype=object),
    )
    assert list(s) == ["bottom_coded", "top_coded", "not_computable", "controlled"]
    assert v[0] == 2499.0 and v[1] == 250001.0 and np.isnan(v[2]) and m[3] == 0.0


def test_decode_refuses_text_that_is_not_a_number() -> None:
    with pytest.raises(CensusResponseError, match="not numbers"):
        census.decode(np.array(["12", "n/a"], dtype=object), None)


_CODES = [-666666666, -999999999, -888888888, -222222222, -333333333, -555555555]


@given(
    st.lists(
        st.one_of(st.none(), st.sampled_from(_CODES), st.integers(0, 10**8)),
        min_size=1,
        max_size=30,
    ),
    st.lists(
        st.one_of(st.none(), st.sampled_from(_CODES), st.integers(0, 10**6)),
        min_size=30,
        max_size=30,
    ),
)
def test_decoded_cells_are_never_sentinels(est: list[int | None], moe: list[int | None]) -> None:
    e = np.array([None if x is None else str(x) for x in est], dtype=object)
    m = np.array([None if x is None else str(x) for x in moe[: len(est)]], dtype=object)
    v, margin, status = census.decode(e, m)
    assert margin is not None
    assert not (v < 0).any() and not (margin < 0).any()
    for i, s in enumerate(status):
        assert Status(s).has_value == (not np.isnan(v[i]))
        if s == Status.CONTROLLED:
            assert margin[i] == 0.0
        if s == Status.ESTIMATE:
            assert not np.isnan(margin[i])


_CELL = st.one_of(st.none(), st.sampled_from(_CODES), st.integers(-5, 10**6))


@given(
    st.integers(1, 6).flatmap(
        lambda k: st.tuples(
            st.lists(st.lists(_CELL, min_size=4, max_size=4), min_size=k, max_size=k),
            st.lists(st.lists(_CELL, min_size=4, max_size=4), min_size=k, max_size=k),
            st.lists(st.booleans(), min_size=k, max_size=k),
        )
    )
)
def test_block_decoding_equals_decoding_each_variable(
    data: tuple[list[list[int | None]], list[list[int | None]], list[bool]],
) -> None:
    est, moe, has_margin = data

    def cells(row: list[int | None]) -> np.ndarray[Any, Any]:
        return np.array([None if x is None else str(x) for x in row], dtype=object)

    def numbers(row: list[int | None]) -> np.ndarray[Any, Any]:
        return np.array([np.nan if x is None else float(x) for x in row])

    # MOEs are never negative except for codes: a plain negative MOE is an error
    moe = [[x if x is None or x >= 0 or x in _CODES else -x for x in row] for row in moe]
    values = np.array([numbers(r) for r in est])
    margins = np.array(
        [numbers(r) if h else np.full(4, np.nan) for r, h in zip(moe, has_margin, strict=True)]
    )
    codes = decode_block(
        values, margins, moe_names=["m"] * len(est), has_margin=np.array(has_margin)
    )
    for j, (e, m, h) in enumerate(zip(est, moe, has_margin, strict=True)):
        v1, m1, s1 = census.decode(cells(e), cells(m) if h else None)
        assert list(status_text(codes[j])) == list(s1)
        np.testing.assert_array_equal(values[j], v1)
        np.testing.assert_array_equal(margins[j], m1 if m1 is not None else np.full(4, np.nan))


def test_nulls_given_as_nan_are_missing_and_nan_text_is_refused() -> None:
    v, _, s = census.decode(np.array(["5", np.nan, None], dtype=object), None)
    assert list(s) == ["estimate", "missing", "missing"] and v[0] == 5.0
    for text in ("nan", "inf", "1,234"):
        with pytest.raises(CensusResponseError, match="not numbers"):
            census.decode(np.array(["12", text], dtype=object), None)


def test_moe_level_scales_after_sentinels_are_decoded(opts: dict[str, Any]) -> None:
    df = census.get_acs(
        "tract",
        ["B01001_001", "B01001_002"],
        state="CA",
        county="075",
        year=2022,
        moe_level=95,
        **opts,
    )
    assert list(df.columns[:3]) == ["GEOID", "NAME", "variable"]
    got = df.set_index(["GEOID", "variable"])
    assert got.loc[("06075000300", "B01001_002"), "moe"] == 0.0  # controlled stays 0
    assert np.isnan(got.loc[("06075000200", "B01001_001"), "moe"])  # not 1.96/1.645 x code
    assert got.loc[("06075000100", "B01001_001"), "moe"] == pytest.approx(52 * 1.96 / 1.645)
    assert got.loc[("06075000100", "B01001_001"), "NAME"] == "Census Tract 1"


def test_get_acs_wide_and_get_decennial(real: CensusMock, opts: dict[str, Any]) -> None:
    wide = census.get_acs(
        "county", {"pop": "B01001_001"}, state="06", county=75, year=2022, output="wide", **opts
    )
    assert wide.columns.tolist() == ["GEOID", "NAME", "popE", "popM"]
    assert wide["GEOID"].tolist() == ["06075"]
    dec = census.get_decennial("county", "P001001", state="CA", year=2010, sumfile="sf1", **opts)
    assert dec[["GEOID", "variable", "value"]].values.tolist() == [["06075", "P001001", 3725395.0]]
    assert "moe" not in dec.columns


# --------------------------------------------------------------- metadata


def test_real_acsse_metadata(real: CensusMock, opts: dict[str, Any]) -> None:
    o = {k: v for k, v in opts.items() if k != "progress"}
    table = census.load_variables(2019, "acs/acsse", **o)
    # 340 K...E estimates in 59 tables (the file's 61 'group' values also count "N/A"
    # and GEO_ID's list of every group)
    assert len(table) == 340 and table["group"].nunique() == 59
    row = table.set_index("name").loc["K202801_006"]
    assert row["label"] == "Estimate!!Total:!!No computer"
    assert row["moe"] == "K202801_006M"  # from attributes: no ...M key exists
    hits = census.search_variables("no computer", year=2019, dataset="acs/acsse", **o)
    assert hits["name"].iloc[0] == "K202801_006"
    income = census.search_variables("median household income", year=2019, dataset="acs/acsse", **o)
    assert "MEDIAN HOUSEHOLD INCOME" in income["concept"].iloc[0]
    s = fl.read(
        "census",
        dataset="acs/acsse",
        year=2019,
        variables="K202801_006",
        geography="state:17",
        **opts,
    )
    assert s.frame[["geography", "value", "moe"]].values.tolist() == [["17", 378926.0, 8741.0]]
    assert real.count("meta") == 2  # variables.json once (memoised), geography.json once


def test_unknown_variable_suggests_close_names(real: CensusMock, opts: dict[str, Any]) -> None:
    with pytest.raises(UnknownVariableError) as info:
        fl.read(
            "census",
            dataset="acs/acsse",
            year=2019,
            variables="K202801_06",
            geography="state:17",
            **opts,
        )
    assert "K202801_006" in info.value.suggestions
    assert "did you mean" in str(info.value) and "search_variables" in str(info.value)
    with pytest.raises(UnknownVariableError, match="margin of error"):
        fl.read(
            "census",
            dataset="acs/acsse",
            year=2019,
            variables="K202801_006M",
            geography="state:17",
            **opts,
        )
    assert real.count("data") == 0  # checked before any data request


def test_unknown_variable_from_the_api(mock: CensusMock, opts: dict[str, Any]) -> None:
    mock.inject(CensusFault.http(400, "error: error: unknown variable 'B01001_002E'"))
    with pytest.raises(UnknownVariableError) as info:
        tracts(opts, variables="B01001_002")
    assert info.value.variable == "B01001_002E" and info.value.status == 400
    assert "B01001_002" in info.value.suggestions


# -------------------------------------------------------------- geography


def test_geography_helpers() -> None:
    assert census.state_fips("new york") == "36" and census.state_fips("PR") == "72"
    assert census.fips_code("tract", "1234.56") == "123456"
    assert census.fips_code("block group", 1) == "1"
    with pytest.raises(CensusGeographyError, match="postal code"):
        census.state_fips("Atlantis")
    with pytest.raises(CensusGeographyError, match="3 digit"):
        census.fips_code("county", "1234")
    with pytest.raises(CensusGeographyError, match="use one of"):
        census.geography_level("neighbourhood")


def test_hierarchy_checked_against_real_geography_json(
    real: CensusMock, opts: dict[str, Any]
) -> None:
    def sf1(geography: str, within: dict[str, Any] | None = None) -> fl.IndicatorSeries:
        return fl.read(
            "census",
            dataset="dec/sf1",
            year=2010,
            variables="P001001",
            geography=geography,
            within=within,
            **opts,
        )

    with pytest.raises(CensusGeographyError, match="tract needs county") as info:
        sf1("tract", {"state": "06"})  # 2010 SF1 has no county wildcard for tracts
    assert "within={'state': '06', 'county': '075'}" in str(info.value)
    with pytest.raises(CensusGeographyError, match="needs tract"):
        sf1("block group", {"state": "06", "county": "075"})
    with pytest.raises(CensusGeographyError, match="cannot take every county"):
        sf1("tract", {"state": "06", "county": "*"})
    with pytest.raises(CensusGeographyError, match="not place"):
        sf1("county", {"state": "06", "place": "53000"})
    assert real.count("data") == 0  # all refused before any data request
    s = sf1("tract", {"state": "CA", "county": "075"})
    assert s.geographies == ("06075010100",) and not s.has_moe
    county = sf1("county", {"state": "06"})  # summary level 050, not 313's "county"
    assert county.geographies == ("06075",)
    assert real.data_requests()[-1].param("for") == "county:*"


def test_modern_hierarchy_fills_wildcards(mock: CensusMock, opts: dict[str, Any]) -> None:
    s = tracts(opts, variables="B01001_002")  # county omitted: optional in current vintages
    assert len(s.geographies) == 5
    assert mock.data_requests()[0].param("in") == "state:06"
    with pytest.raises(CensusGeographyError, match="ZCTA"):
        tracts(opts, variables="B01001_002", geography="zcta")


# ----------------------------------------------------------------- errors


def test_dataset_or_year_not_found(mock: CensusMock, opts: dict[str, Any]) -> None:
    with pytest.raises(CensusNotFoundError, match="HTTP 404") as info:
        fl.read(
            "census",
            dataset="acs/acs1",
            year=2020,
            variables="B01001_001",
            geography="state",
            **opts,
        )
    assert "not released for 2020" in str(info.value) and info.value.status == 404


def test_invalid_key_html_page(mock: CensusMock, opts: dict[str, Any]) -> None:
    with pytest.raises(CensusKeyError, match="Invalid Key") as info:
        tracts(opts, variables="B01001_002", key="wrong-key-zz")
    assert "wrong-key-zz" not in str(info.value)


def test_keyless_redirect_is_never_followed(
    server: CensusServer, server_opts: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over real HTTP: httpx is handed a real redirect and must not follow it."""
    monkeypatch.delenv("CENSUS_API_KEY")
    with pytest.raises(CensusKeyError, match="redirect") as info:
        tracts(server_opts, variables="B01001_002")
    assert info.value.status == 302 and "key_signup.html" in str(info.value)
    assert server.count("signup") == 0
    assert server.data_hits()[0].param("key") is None


def test_no_content_is_an_empty_result(mock: CensusMock, opts: dict[str, Any]) -> None:
    s = tracts(opts, variables="B01001_002", within={"state": "06", "county": "001"})
    assert len(s) == 0
    assert mock.count("data") == 1


def test_server_errors_are_retried_with_backoff(
    server: CensusServer, server_opts: dict[str, Any]
) -> None:
    """Over real HTTP: 5xx answers on a kept-alive connection are retried."""
    server.script(Scripted(503), Scripted(502))
    s = tracts(server_opts, variables="B01001_002", within={"state": "06", "county": "075"})
    assert len(s) == 3 and server.count("data") == 3
    server.reset()
    server.script(*[Scripted(500)] * 3)
    with pytest.raises(CensusServerError, match="after 3 attempt") as info:
        tracts(server_opts, variables="B01001_002", retries=2, cache=False)
    assert server.count("data") == 3 and "HTTP 500" in str(info.value)


def test_timeouts(server: CensusServer, server_opts: dict[str, Any]) -> None:
    """Over real HTTP: read timeouts that really elapse."""
    server.script(Scripted(delay=0.6, then_normal=True))
    s = tracts(server_opts, variables="B01001_002", timeout=0.2, retries=1)
    assert len(s) == 5 and server.count("data") == 2
    server.reset()
    server.script(*[Scripted(delay=0.6, then_normal=True)] * 2)
    with pytest.raises(CensusTimeoutError, match="timed out 2 time") as info:
        tracts(server_opts, variables="B01001_002", timeout=0.2, retries=1, cache=False)
    assert isinstance(info.value, TimeoutError) and isinstance(info.value, SourceReadError)


def test_connection_refused(tmp_path: Path) -> None:
    """Over real sockets (no server: a port nobody listens on)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(CensusServerError, match="ConnectError"):
        tracts(_opts(f"http://127.0.0.1:{port}/data", tmp_path), variables="B01001_002", retries=1)


@pytest.mark.parametrize(
    ("scripted", "match"),
    [
        (CensusFault.reply(b'[["B01001_002E","state"],["1"'), "not valid JSON"),
        (CensusFault.truncated(), "not valid JSON"),
        (CensusFault.html(), "HTML page"),
        (CensusFault.reply([["GEO_ID", "B01001_002E"], ["x"]]), "row 1 has 1"),
        (CensusFault.reply([["GEO_ID", "B01001_002E"], ["x", 5]]), "every value as text"),
        (CensusFault.reply({"error": "nope"}), "array of rows"),
        (CensusFault.http(418, "teapot"), "HTTP 418"),
    ],
)
def test_responses_that_are_not_the_expected_json(
    mock: CensusMock, opts: dict[str, Any], scripted: CensusFault, match: str
) -> None:
    mock.inject(scripted)
    with pytest.raises(CensusError, match=match):
        tracts(opts, variables="B01001_002", cache=False)


def test_missing_options_are_clear_errors(opts: dict[str, Any]) -> None:
    with pytest.raises(CensusError, match="needs dataset="):
        fl.read("census", variables="B01001_001", geography="state", **opts)
    with pytest.raises(CensusError, match="needs geography="):
        fl.read("census", dataset="acs/acs5", year=2022, variables="B01001_001", **opts)
    with pytest.raises(CensusError, match="name what to read"):
        tracts(opts)
    with pytest.raises(fl.errors.AdapterOptionError, match="geograpy"):
        fl.read("census", dataset="acs/acs5", year=2022, geograpy="state")


# ------------------------------------------------------------------ cache


def _all_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() + str(p).encode() for p in root.rglob("*") if p.is_file())


def test_second_run_makes_zero_requests(mock: CensusMock, opts: dict[str, Any]) -> None:
    first = tracts(opts, variables=["B01001_001", "B19013_001"])
    n_first = len(mock.requests)
    assert n_first == 3  # geography.json, variables.json, one data request
    second = tracts(opts, variables=["B01001_001", "B19013_001"])
    assert len(mock.requests) == n_first  # zero requests
    assert second.table.equals(first.table)
    assert second.provenance is not None and second.provenance.options["from_cache"] == 1
    assert second.provenance.retrieved == first.provenance.retrieved  # type: ignore[union-attr]
    root = Path(opts["cache_dir"])
    assert (root / "2022/acs/acs5/variables.json").is_file()
    assert (root / "2022/acs/acs5/geography.json").is_file()
    envelope = json.loads(next((root / "2022/acs/acs5/data").glob("*.json")).read_text())
    assert envelope["request"].startswith("2022/acs/acs5?get=GEO_ID,B01001_001E")
    assert envelope["body"][0][0] == "GEO_ID"
    tracts(opts, variables=["B01001_001", "B19013_001"], max_age=0)
    assert mock.count("data") == 2  # expired: fetched again


def test_offline_uses_only_the_cache(mock: CensusMock, opts: dict[str, Any]) -> None:
    with pytest.raises(CensusOfflineError, match="not in the cache") as info:
        tracts(opts, variables="B01001_002", offline=True)
    assert "variables.json" in str(info.value) or "geography.json" in str(info.value)
    assert len(mock.requests) == 0
    online = tracts(opts, variables="B01001_002")
    before = {p: p.stat().st_mtime_ns for p in Path(opts["cache_dir"]).rglob("*")}
    mock.reset()
    offline = tracts(opts, variables="B01001_002", offline=True, max_age=0)
    assert offline.table.equals(online.table) and len(mock.requests) == 0
    assert {p: p.stat().st_mtime_ns for p in Path(opts["cache_dir"]).rglob("*")} == before
    with pytest.raises(CensusOfflineError) as info:
        tracts(opts, variables=["B01001_002", "B01001_003"], offline=True)
    assert len(info.value.missing) == 1
    assert "get=GEO_ID,B01001_002E,B01001_002M,B01001_003E" in info.value.missing[0]
    assert len(mock.requests) == 0


def test_a_read_only_shipped_cache_works_offline(
    mock: CensusMock, opts: dict[str, Any], tmp_path: Path
) -> None:
    tracts(opts, variables="B01001_002")
    shipped = tmp_path / "shipped"
    import shutil

    shutil.copytree(opts["cache_dir"], shipped)
    for p in shipped.rglob("*"):
        p.chmod(0o555 if p.is_dir() else 0o444)
    mock.reset()
    try:
        s = tracts(
            {**opts, "cache_dir": shipped, "base_url": "http://127.0.0.1:9/nowhere"},
            variables="B01001_002",
            offline=True,
        )
        assert len(s) == 5 and len(mock.requests) == 0
    finally:
        for p in shipped.rglob("*"):
            p.chmod(0o755 if p.is_dir() else 0o644)


# -------------------------------------------------------------- the key


def test_the_key_never_leaks(
    server: CensusServer, server_opts: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """Over real HTTP: nothing the HTTP libraries log, nor any error, shows the key."""
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []

    def capture(**kw: Any) -> None:
        try:
            tracts(server_opts, variables="B01001_002", **{"cache": False, **kw})
        except CensusError as err:
            texts.extend(
                [str(err), repr(err), err.request, "".join(traceback.format_exception(err))]
            )
            texts.append(str(pickle.loads(pickle.dumps(err))))

    server.script(Scripted(503), Scripted(200, b"<html>oops</html>", "text/html"))
    capture(retries=1)
    server.script(Scripted(404, b"<html>nope</html>", "text/html"))
    capture()
    server.script(Scripted(302, b"", "text/html", {"Location": f"/x?key={KEY}"}))
    capture()
    server.script(Scripted(200, b"[[1]]", "application/json"))
    capture()
    server.script(Scripted(delay=0.5, then_normal=True))
    capture(timeout=0.1, retries=0)
    server.script(Scripted(400, b"error: error: unknown variable 'B01001_002E'", "text/plain"))
    capture()
    assert len(texts) == 6 * 5
    s = tracts(server_opts, variables=["B01001_002", "B19013_001"])
    texts.append(json.dumps(s.provenance.to_dict()))  # type: ignore[union-attr]
    texts.append(repr(census.CensusClient(key=KEY)))
    texts.append(caplog.text)
    assert "retrying" in caplog.text  # the log says something, without the key
    for text in texts:
        assert KEY not in text
    assert KEY.encode() not in _all_bytes(Path(server_opts["cache_dir"]))
    assert all(h.param("key") == "***" and h.key_valid for h in server.data_hits())


def test_key_in_a_source_url_is_used_but_not_kept(
    mock: CensusMock, opts: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CENSUS_API_KEY")
    url = f"{MOCK_URL}/2019/acs/acs1?get=NAME,B02015_009E,B02015_009M&for=state:*&key={KEY}"
    assert CensusAdapter().can_read(url)
    s = fl.read("census", url, cache_dir=opts["cache_dir"], progress=False)
    assert len(s) == 5 and s.provenance is not None
    assert KEY not in json.dumps(s.provenance.to_dict())
    assert mock.data_requests()[0].param("key") == "***"
    assert mock.data_requests()[0].key_valid
    with pytest.raises(CensusError) as info:
        fl.read("census", f"ftp://example.org/data?key={KEY}")
    assert KEY not in str(info.value)


def test_environment_variables(
    mock: CensusMock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FEEDBACKLOOP_CENSUS_URL", MOCK_URL)
    s = fl.read(
        "census",
        dataset="acs/acs5",
        year=2015,
        variables="B01001_001",
        geography="state:17",
        progress=False,
    )
    assert s.frame["value"].tolist() == [12873761.0]
    assert list((tmp_path / "default-cache").rglob("data/*.json"))  # the env cache dir


# ---------------------------------------------------- contract and loops


class TestCensusContract(AdapterContractTests):
    adapter_class = CensusAdapter

    @pytest.fixture(autouse=True)
    def _url(self, mock: CensusMock, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("FEEDBACKLOOP_CENSUS_URL", MOCK_URL)

    @pytest.fixture
    def source(self, mock: CensusMock) -> str:
        return f"{MOCK_URL}/2022/acs/acs5?get=B19013_001E&for=tract:*&in=state:06"


def test_discover_reads_metadata_only(mock: CensusMock, opts: dict[str, Any]) -> None:
    info = fl.discover(
        "census",
        "2022/acs/acs5",
        base_url=opts["base_url"],
        cache_dir=opts["cache_dir"],
        variables=["B19013_001", "B01001_002"],
        geography="tract",
        within={"state": "06"},
    )
    assert info.columns == ("B19013_001", "B01001_002")
    assert info.periods == ("2018-2022",) and info.dimensions == ("variable",)
    assert info.extra["moe"]["B19013_001"] == "B19013_001M"
    assert "tract" in info.extra["geographies"] and mock.count("data") == 0


def test_collect_a_loop_with_a_census_source(
    mock: CensusMock, opts: dict[str, Any], tmp_path: Path
) -> None:
    loop_file = tmp_path / "loop.yaml"
    loop_file.write_text(
        textwrap.dedent(f"""\
        name: Census loop
        indicators:
          - id: median_income
            name: Median household income
            unit: USD
            direction: higher_is_better
            dimensions: [geography]
            source:
              adapter: census
              options:
                dataset: acs/acs5
                year: 2022
                variables: {{median_income: B19013_001}}
                geography: tract
                within: {{state: CA, county: "075"}}
                base_url: {MOCK_URL}
                cache_dir: {opts["cache_dir"]}
                progress: false
        shared_result:
          id: prosperity
          title: Prosperous families
          indicators: [median_income]
        """),
        encoding="utf-8",
    )
    loop = fl.load_loop(loop_file)
    result = fl.collect(loop, progress=False).raise_for_failures()
    s = result["median_income"]
    assert s.indicator.name == "Median household income"  # the loop's indicator
    assert s.geographies == ("06075000100", "06075000200", "06075000300")
    assert s.provenance is not None and s.provenance.adapter == "census"


def test_errors_pickle_with_their_type_and_details() -> None:
    err = UnknownVariableError("unknown", variable="X", suggestions=["Y"], source="2022/acs/acs5")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is UnknownVariableError and back.suggestions == ("Y",)
    assert str(back) == str(err)
    off = pickle.loads(pickle.dumps(CensusOfflineError("m", missing=["a"])))
    assert off.missing == ("a",)
    slow = pickle.loads(pickle.dumps(CensusTimeoutError("t", request="r")))
    assert isinstance(slow, TimeoutError) and slow.request == "r" and str(slow) == "[census]: t"


def test_import_stays_light() -> None:
    code = (
        "import sys, feedbackloop, feedbackloop.census, feedbackloop.adapters.census\n"
        "bad = [m for m in ('httpx', 'tqdm', 'platformdirs') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


# ------------------------------------------------------ several vintages


def test_several_vintages_make_one_series(mock: CensusMock, opts: dict[str, Any]) -> None:
    doc, rows = _acs5_2022()
    older = [dict(r, B99001_001E=str(int(str(r["B99001_001E"])) - 7)) for r in rows]
    mock.add(2021, "acs/acs5", variables=doc, geography=modern_geography(), rows=older)
    s = tracts(opts, year=[2021, 2022], variables={"people": "B99001_001"}, by_race=True)
    assert [str(p) for p in s.periods] == ["2017-2021", "2018-2022"]
    assert s.dimensions == ("race",) and s.non_additive == ("race",)
    total = s.frame[(s.frame["race"] == TOTAL) & (s.frame["geography"] == "06075000100")]
    assert total.sort_values("period")["value"].tolist() == [293.0, 300.0]
    prov = s.provenance
    assert prov is not None and prov.options["year"] == [2021, 2022]
    assert prov.source.endswith("/{2021,2022}/acs/acs5")
    assert prov.options["requests"] == 2 and len(mock.data_requests()) == 2  # one per vintage
    # the second run reads both vintages from the cache
    mock.reset()
    again = tracts(opts, year=[2021, 2022], variables={"people": "B99001_001"}, by_race=True)
    assert again.frame.equals(s.frame) and mock.count("data") == 0
    assert again.provenance is not None and again.provenance.options["from_cache"] == 2
    # a vintage the API does not have fails with its own name
    with pytest.raises(CensusNotFoundError, match="2014/acs/acs5"):
        tracts(opts, year=[2014, 2022], variables="B99001_001")
    info = fl.discover(
        "census",
        dataset="acs/acs5",
        year=[2021, 2022],
        variables="B99001_001",
        base_url=opts["base_url"],
        cache_dir=opts["cache_dir"],
    )
    assert info.periods == ("2017-2021", "2018-2022")


@pytest.mark.parametrize(
    ("year", "message"),
    [
        ([], "empty list"),
        ([2021, 2022, 2021], "2021 more than once"),
        ([2021, True], "a list of years"),
        ("twenty", "a list of years"),
    ],
)
def test_vintages_are_checked(year: Any, message: str) -> None:
    with pytest.raises(CensusError, match=message):
        census.vintages(year)
    assert census.vintages(2022) == (2022,) and census.vintages([2015, 2016]) == (
        2015,
        2016,
    )


def test_geography_codes_may_be_a_comma_list(mock: CensusMock, opts: dict[str, Any]) -> None:
    s = tracts(
        opts,
        variables="B01001_001",
        geography="county:075,081",
        within={"state": "CA"},
    )
    assert mock.data_requests()[0].param("for") == "county:075,081"
    hierarchy = census.Hierarchy(modern_geography(), "test")
    assert hierarchy.resolve("state:CA, IL").for_clause == "state:06,17"
    assert s.provenance is not None and s.provenance.options["geography"] == "county:075,081"


def test_cached_metadata_is_parsed_once_per_process(tmp_path: Path) -> None:
    """A new client per read must not re-parse a vintage's (large) cached variables.json."""
    meta = tmp_path / "2022" / "acs" / "acs5" / "variables.json"
    meta.parent.mkdir(parents=True)
    meta.write_text('{"variables": {"B01001_001E": {"label": "Estimate!!Total:"}}}')
    first = census.CensusClient(cache_dir=tmp_path, offline=True)
    second = census.CensusClient(cache_dir=tmp_path, offline=True)
    doc = first.metadata(2022, "acs/acs5", "variables.json")
    assert second.metadata(2022, "acs/acs5", "variables.json") is doc
    # A changed file is read again, never served stale.
    meta.write_text('{"variables": {"B19013_001E": {"label": "Estimate!!Median"}}}')
    os.utime(meta, ns=(meta.stat().st_mtime_ns + 10**9,) * 2)
    third = census.CensusClient(cache_dir=tmp_path, offline=True)
    assert "B19013_001E" in third.metadata(2022, "acs/acs5", "variables.json")["variables"]


# ------------------------------------------------------------ transport=


def _income_mock(**kw: Any) -> CensusMock:
    """A small mock: one county's median household income, 2022 ACS 5-year."""
    mock = CensusMock(**kw)
    income = ("Estimate!!Median household income", "MEDIAN HOUSEHOLD INCOME", "B19013")
    mock.add(
        2022,
        "acs/acs5",
        variables=census_variables({"B19013_001E": income}),
        geography=census_geography(),
        rows=[
            census_row(
                "050",
                "San Francisco County, California",
                state="06",
                county="075",
                values={"B19013_001E": "136689", "B19013_001M": "2096"},
            )
        ],
    )
    return mock


COUNTY: dict[str, Any] = {
    "dataset": "acs/acs5",
    "year": 2022,
    "geography": "county:075",
    "within": {"state": "CA"},
}


def test_a_client_sends_through_the_transport_it_is_given(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("variables.json"):
            return httpx.Response(200, json=census_variables({}))
        return httpx.Response(404, text="<html>no</html>")

    transport = httpx.MockTransport(answer)
    with census.CensusClient(
        transport=transport, key=KEY, cache_dir=tmp_path, base_url="https://x.test/data"
    ) as client:
        assert len(client.variables(2022, "acs/acs5")) == 0
        with pytest.raises(CensusNotFoundError):
            client.hierarchy(2022, "acs/acs5")
    assert [r.url.path for r in seen] == [
        "/data/2022/acs/acs5/variables.json",
        "/data/2022/acs/acs5/geography.json",
    ]
    assert all(r.url.params["key"] == KEY for r in seen)  # sent, as over the network
    assert (tmp_path / "2022/acs/acs5/variables.json").is_file()  # and cached as usual
    # the client does not close a transport it was given: it can serve another client
    with census.CensusClient(transport=transport, cache=False) as again:
        assert len(again.variables(2022, "acs/acs5")) == 0


def test_every_function_passes_transport_through() -> None:
    mock = _income_mock()
    s = census.read_census(variables="B19013_001", **COUNTY, transport=mock.transport, cache=False)
    assert s.frame["value"].tolist() == [136689.0]
    acs = census.get_acs(
        "county", "B19013_001", state="CA", county="075", year=2022, **mock.options()
    )
    assert acs[["GEOID", "estimate", "moe"]].values.tolist() == [["06075", 136689.0, 2096.0]]
    assert census.load_variables(2022, **mock.options())["name"].tolist() == ["B19013_001"]
    found = census.search_variables("median income", year=2022, **mock.options())
    assert found["name"].tolist() == ["B19013_001"]
    (request,) = census.plan_requests(variables="B19013_001", **COUNTY, **mock.options())
    assert request.get == ("GEO_ID", "B19013_001E", "B19013_001M", "B19013_001EA", "B19013_001MA")
    assert mock.count("data") == 2 and mock.count("meta") >= 2
    with mock.client() as client, pytest.raises(CensusError, match="not both"):
        census.read_census(variables="B19013_001", **COUNTY, client=client, transport=None)


def test_get_decennial_through_a_transport() -> None:
    mock = CensusMock()
    mock.add(
        2020,
        "dec/pl",
        variables=census_variables(
            {"P1_001N": ("!!Total:", "RACE", "P1")}, moe=False, annotations=False, suffix="N"
        ),
        geography=census_geography(),
        rows=[census_row("040", "California", state="06", values={"P1_001N": "39538223"})],
    )
    dec = census.get_decennial(
        "state", "P1_001N", state="CA", year=2020, sumfile="pl", **mock.options()
    )
    assert dec[["GEOID", "variable", "value"]].values.tolist() == [["06", "P1_001N", 39538223.0]]


def test_the_census_adapter_reads_through_a_routed_transport(mock: CensusMock) -> None:
    s = fl.read("census", "2022/acs/acs5", variables="B01001_001", geography="state:06")
    assert s.frame["value"].tolist() == [1000.0]
    assert mock.count("data") == 1  # the mock answered; no network


# ------------------------------------------------------------ the mock


def test_the_mock_records_requests_with_the_key_hidden() -> None:
    mock = _income_mock(key=KEY)
    census.read_census(variables="B19013_001", **COUNTY, **mock.options())
    (data,) = mock.data_requests()
    assert data.path == "/data/2022/acs/acs5" and data.kind == "data"
    assert data.param("for") == "county:075" and data.param("in") == "state:06"
    assert data.param("key") == "***" and data.has_key and data.key_valid
    assert KEY not in repr(mock.requests) and KEY not in repr(mock)
    with pytest.raises(CensusKeyError, match="Invalid Key"):
        census.read_census(variables="B19013_001", **COUNTY, **mock.options(key="wrong"))
    assert mock.data_requests()[-1].key_valid is False
    assert "wrong" not in repr(mock.requests)
    mock.reset()
    assert mock.requests == [] and mock.max_in_flight == 0


@pytest.mark.parametrize(
    ("fault", "error", "match"),
    [
        (CensusFault.http(500), CensusServerError, "HTTP 500"),
        (CensusFault.http(503), CensusServerError, "HTTP 503"),
        (CensusFault.rate_limited(retry_after=0.01), CensusServerError, "HTTP 429"),
        (CensusFault.http(404), CensusNotFoundError, "HTTP 404"),
        (CensusFault.http(403, "Forbidden"), CensusKeyError, "refused access"),
        (CensusFault.html(), CensusResponseError, "HTML page"),
        (CensusFault.invalid_key(), CensusKeyError, "Invalid Key"),
        (CensusFault.truncated(), CensusResponseError, "not valid JSON"),
        (CensusFault.truncated(keep=0.0), CensusResponseError, "not valid JSON"),
        (CensusFault.redirect(), CensusKeyError, "redirect"),
        (CensusFault.timeout(), CensusTimeoutError, "ReadTimeout"),
        (CensusFault.connection_error(), CensusServerError, "ConnectError"),
        (CensusFault.reply([["NAME"], ["x"]]), CensusResponseError, "no 'county' column"),
    ],
    ids=lambda x: x.__name__ if isinstance(x, type) else None,
)
def test_the_mock_injects_faults(fault: CensusFault, error: type[Exception], match: str) -> None:
    mock = _income_mock()
    retried = fault.error is not None or (
        fault.truncate is None and fault.status in (429, 500, 502, 503, 504)
    )
    mock.inject(*[fault] * 3)
    t0 = time.perf_counter()
    with pytest.raises(error, match=match):
        census.read_census(variables="B19013_001", **COUNTY, **mock.options(retries=2))
    assert time.perf_counter() - t0 < 1.0  # a timeout is raised at once, not waited for
    assert mock.count("data") == (3 if retried else 1)  # 2 retries, or none
    assert mock.count("signup") == 0  # a redirect is never followed


def test_faults_are_used_once_in_order_and_retries_recover() -> None:
    mock = _income_mock()
    mock.inject(CensusFault.http(503), CensusFault.timeout(), CensusFault.rate_limited(0))
    s = census.read_census(variables="B19013_001", **COUNTY, **mock.options())
    assert s.frame["value"].tolist() == [136689.0] and mock.count("data") == 4
    mock.reset()
    mock.inject(CensusFault.http(503))
    mock.reset()  # forgets unused faults
    census.read_census(variables="B19013_001", **COUNTY, **mock.options(retries=0))
    assert mock.count("data") == 1


def test_faults_for_metadata_and_slow_answers() -> None:
    mock = _income_mock()
    mock.inject(CensusFault.http(404, on="meta"))
    with pytest.raises(CensusNotFoundError):
        census.load_variables(2022, **mock.options())
    assert mock.count("data") == 0
    mock.inject(CensusFault.truncated(on="any"))
    with pytest.raises(CensusResponseError, match="not valid JSON"):
        census.load_variables(2022, **mock.options())
    mock.inject(CensusFault.slow(0.2))
    t0 = time.perf_counter()
    s = census.read_census(variables="B19013_001", **COUNTY, **mock.options())
    assert time.perf_counter() - t0 >= 0.2 and len(s) == 1  # waited, then answered
    with pytest.raises(ValueError, match="on="):
        CensusFault(on="everything")  # type: ignore[arg-type]


def test_the_mock_answers_like_the_server_it_backs(server: CensusServer) -> None:
    """The loopback server is a wrapper: the same request gets the same bytes from both."""
    mock = server.mock
    params: list[tuple[str, str | int | float | bool | None]] = [
        ("get", "NAME,B01001_001E"),
        ("for", "tract:*"),
        ("in", "state:06"),
        ("key", KEY),
    ]
    with httpx.Client() as wire, httpx.Client(transport=mock.transport) as direct:
        for path in ("2022/acs/acs5", "2022/acs/acs5/variables.json", "1999/acs/acs5"):
            over_http = wire.get(f"{server.url}/{path}", params=params)
            in_process = direct.get(f"{MOCK_URL}/{path}", params=params)
            assert over_http.status_code == in_process.status_code
            assert over_http.content == in_process.content
            assert over_http.headers["content-type"] == in_process.headers["content-type"]
    assert server.count("data") == 4 and server.count("meta") == 2


def test_the_mock_serves_a_cache_folder(tmp_path: Path) -> None:
    """The bundled example's cache: metadata byte for byte, recorded data answers."""
    shipped = example_path().parent / "census-cache"
    mock = CensusMock(cache_dir=shipped)
    options: dict[str, Any] = {
        "dataset": "acs/acs5",
        "year": [2021, 2022],
        "variables": {"rate": "X23001_001"},
        "by_race": True,
        "geography": "county:001,013,075,081",
        "within": {"state": "CA"},
    }
    online = census.read_census(**options, **mock.options())
    offline = census.read_census(**options, cache_dir=shipped, offline=True)
    assert online.frame.equals(offline.frame)
    assert mock.count("data") == 2 and mock.count("meta") == 4
    with httpx.Client(transport=mock.transport) as raw:
        meta = raw.get(f"{MOCK_URL}/2022/acs/acs5/groups.json")
        assert meta.content == (shipped / "2022/acs/acs5/groups.json").read_bytes()
        assert raw.get(f"{MOCK_URL}/2013/acs/acs5/variables.json").status_code == 404
    with pytest.raises(LookupError, match="holds no answer to 2022/acs/acs5"):
        census.read_census(**{**options, "year": 2022, "by_race": False}, **mock.options())


def test_the_mock_counts_requests_in_flight() -> None:
    mock = _income_mock(latency=0.1)
    census.read_census(variables="B19013_001", **COUNTY, **mock.options())
    assert mock.max_in_flight == 2  # variables.json and geography.json together
    assert mock.in_flight == 0


def test_importing_the_mock_needs_no_httpx() -> None:
    code = (
        "import sys\n"
        "from feedbackloop.testing import CensusMock, CensusFault\n"
        "m = CensusMock(key='k'); m.inject(CensusFault.timeout())\n"
        "assert m.answer('/data/2022/acs/acs5', [('key', 'k')]).error == 'timeout'\n"
        "bad = [n for n in ('httpx', 'tqdm', 'platformdirs') if n in sys.modules]\n"
        "assert not bad, bad\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
