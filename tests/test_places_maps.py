"""Places by name (loop places:, Census NAME), race x place charts, and maps."""

from __future__ import annotations

import io
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from feedbackloop import TOTAL, FeedbackLoop, IndicatorSeries, load_loop
from feedbackloop.census import place_names
from feedbackloop.errors import (
    BoundaryError,
    BoundaryJoinWarning,
    CensusError,
    LoopFileError,
    PathNotAllowedError,
    SeriesError,
)
from feedbackloop.examples import example_path, load_example

EXAMPLE = example_path().parent
COUNTIES = EXAMPLE / "opportunity_youth_counties.geojson"
WHITE, BLACK, ASIAN, HISPANIC = (
    "White alone, not Hispanic or Latino",
    "Black or African American alone",
    "Asian alone",
    "Hispanic or Latino",
)

# ------------------------------------------------------------ places by name


def test_the_example_names_its_four_counties() -> None:
    loop = load_example()
    assert loop.place_names() == {
        "06001": "Alameda County",
        "06013": "Contra Costa County",
        "06075": "San Francisco County",
        "06081": "San Mateo County",
    }
    assert loop.place_name("06075") == "San Francisco County"
    assert loop.place_name("06085") == "06085"  # no name: the code, as it is
    assert "illustrative" in (EXAMPLE / "opportunity_youth.yaml").read_text(encoding="utf-8")


def test_places_round_trip_through_yaml(tmp_path: Path) -> None:
    loop = load_example()
    path = tmp_path / "loop.yaml"
    loop.to_yaml(path)
    again = load_loop(path, validate=False)
    assert again.places == loop.places
    assert again == loop


def _minimal(**extra: object) -> dict[str, object]:
    return {"name": "x", "shared_result": {"id": "top", "title": "Top"}, **extra}


def test_an_unquoted_code_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text(
        "name: x\nshared_result: {id: top, title: Top}\nplaces:\n  06001: Alameda County\n",
        encoding="utf-8",
    )
    with pytest.raises(LoopFileError, match=r"places\.3073 \(line 4\).*quoted text"):
        load_loop(path, validate=False)


def test_blank_names_are_refused() -> None:
    with pytest.raises(LoopFileError, match=r"places\.06001.*name"):
        FeedbackLoop.from_dict(_minimal(places={"06001": " "}))
    with pytest.raises(ValueError, match="non-blank"):
        FeedbackLoop.from_dict(_minimal()).__class__(
            name="x", shared_result=load_example().shared_result, places={"": "Nowhere"}
        )


def test_places_from_a_csv_file(tmp_path: Path) -> None:
    (tmp_path / "places.csv").write_text(
        "code,name,population\n06001,Alameda County,1\n06013,Contra Costa County,2\n",
        encoding="utf-8",
    )
    (tmp_path / "loop.yaml").write_text(
        "name: x\nshared_result: {id: top, title: Top}\nplaces: places.csv\n", encoding="utf-8"
    )
    loop = load_loop(tmp_path / "loop.yaml", validate=False)
    assert loop.place_names() == {"06001": "Alameda County", "06013": "Contra Costa County"}
    assert loop.places_file == "places.csv"
    assert loop.to_dict()["places"] == "places.csv"  # written back as the file, not inlined


def test_a_bad_place_table_names_its_rows(tmp_path: Path) -> None:
    (tmp_path / "places.csv").write_text(
        "code,name\n06001,Alameda County\n06001,Alameda again\n06013,\n", encoding="utf-8"
    )
    (tmp_path / "loop.yaml").write_text(
        "name: x\nshared_result: {id: top, title: Top}\nplaces: places.csv\n", encoding="utf-8"
    )
    with pytest.raises(LoopFileError) as err:
        load_loop(tmp_path / "loop.yaml", validate=False)
    text = str(err.value)
    assert "row 3" in text and "twice" in text and "row 4" in text


def test_a_place_table_outside_the_loop_folder_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "secret.csv").write_text("code,name\n1,a\n", encoding="utf-8")
    (tmp_path / "loop").mkdir()
    (tmp_path / "loop" / "loop.yaml").write_text(
        "name: x\nshared_result: {id: top, title: Top}\nplaces: ../secret.csv\n",
        encoding="utf-8",
    )
    with pytest.raises(PathNotAllowedError):
        load_loop(tmp_path / "loop" / "loop.yaml", validate=False)


def test_census_place_names_come_from_the_name_column() -> None:
    table = pd.DataFrame(
        {
            "GEOID": ["06001", "06001", "06013"],
            "NAME": ["Alameda County, California"] * 2 + ["Contra Costa County, California"],
            "variable": ["a", "b", "a"],
        }
    )
    assert place_names(table) == {
        "06001": "Alameda County, California",
        "06013": "Contra Costa County, California",
    }
    with pytest.raises(CensusError, match="two names"):
        place_names(table.assign(NAME=["A", "B", "C"]))
    with pytest.raises(CensusError, match="NAME"):
        place_names(table.drop(columns="NAME"))


# ------------------------------------------------------------ race x place

pytest.importorskip("matplotlib", reason="charts need the plot extra")
from matplotlib.colors import to_hex  # noqa: E402

from feedbackloop import plot  # noqa: E402


def _example_frame() -> pd.DataFrame:
    df = pd.read_csv(
        EXAMPLE / "data" / "youth_unemployment_rate.csv",
        dtype={"geography": str, "period": str, "race": str},
    )
    return df.assign(status="estimate")


def _series(df: pd.DataFrame) -> IndicatorSeries:
    ind = load_example().indicator("youth_unemployment_rate")
    return IndicatorSeries.from_frame(
        df, indicator=ind, moe="moe", status="status", dimensions=["race"]
    )


def _withhold(df: pd.DataFrame, geo: str, race: str, status: str = "suppressed") -> pd.DataFrame:
    df = df.copy()
    at = (df["geography"] == geo) & (df["race"] == race)
    df.loc[at, ["value", "moe"]] = np.nan
    df.loc[at, "status"] = status
    return df


@pytest.fixture(scope="module")
def latest() -> pd.DataFrame:
    df = _example_frame()
    return df[df["period"] == "2018-2022"].reset_index(drop=True)


def _value(df: pd.DataFrame, geo: str, race: str) -> float:
    return float(df.loc[(df["geography"] == geo) & (df["race"] == race), "value"].iloc[0])


def test_small_multiples_one_panel_per_group_places_ranked(latest: pd.DataFrame) -> None:
    names = load_example().place_names()
    axes = plot.small_multiples(_series(latest), "race", names=names)
    assert [a.get_title(loc="left").replace("\n", " ") for a in axes] == [
        WHITE,
        BLACK,
        ASIAN,
        HISPANIC,
    ]
    for ax, race in zip(axes, (WHITE, BLACK, ASIAN, HISPANIC), strict=True):
        labels = [t.get_text() for t in ax.get_yticklabels()]
        by_name = {v: k for k, v in names.items()}
        values = [_value(latest, by_name[label], race) for label in labels]
        assert values == sorted(values, reverse=True)  # highest at the top
        assert len(labels) == 4
        # the reference marks sit at each place's all-groups value, row by row
        (ref,) = [c for c in ax.collections if c.get_gid() == "reference"]
        xs = ref.get_offsets()[:, 0]
        expected = [_value(latest, by_name[label], TOTAL) for label in labels]
        np.testing.assert_allclose(xs, expected)


def test_small_multiples_order_and_no_reference(latest: pd.DataFrame) -> None:
    axes = plot.small_multiples(_series(latest), "race", order=[HISPANIC, BLACK], reference=None)
    assert [a.get_title(loc="left") for a in axes] == [HISPANIC, BLACK]
    assert not [c for a in axes for c in a.collections if c.get_gid() == "reference"]
    with pytest.raises(SeriesError, match="'Pacific'"):
        plot.small_multiples(_series(latest), "race", order=["Pacific"])
    with pytest.raises(SeriesError, match="not a dimension"):
        plot.small_multiples(_series(latest), "sex")


def test_small_multiples_never_draw_a_withheld_value(latest: pd.DataFrame) -> None:
    df = _withhold(latest, "06013", ASIAN)
    axes = plot.small_multiples(_series(df), "race")
    asian = axes[2]
    labels = [t.get_text() for t in asian.get_yticklabels()]
    assert labels[-1] == "06013"  # listed last, under the ranked places
    notes = [t.get_text() for t in asian.texts if t.get_gid() == "note"]
    assert notes == ["suppressed"]
    (points,) = [c for c in asian.collections if c.get_gid() == "estimate"]
    assert len(points.get_offsets()) == 3


def _cell_text(ax: object, geo: str, race: str) -> str:
    gid = f"text:{geo}|{race}"
    return next(t.get_text() for t in ax.texts if t.get_gid() == gid)  # type: ignore[attr-defined]


def _patch(ax: object, gid: str) -> object:
    return next(p for p in ax.patches if p.get_gid() == gid)  # type: ignore[attr-defined]


def test_heat_table_labels_withheld_cells_and_never_their_value(latest: pd.DataFrame) -> None:
    hidden = _value(latest, "06013", ASIAN)
    df = _withhold(latest, "06013", ASIAN)
    df = _withhold(df, "06075", HISPANIC, status="missing")
    df.loc[(df["geography"] == "06081") & (df["race"] == ASIAN), "moe"] = 12.0  # CV > 40%
    ax = plot.heat_table(_series(df), "race", names=load_example().place_names())
    assert ax.get_xticklabels()[0].get_text() == "all groups"
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "Alameda County",
        "Contra Costa County",
        "San Francisco County",
        "San Mateo County",
    ]
    assert _cell_text(ax, "06013", ASIAN) == "suppressed"
    assert _cell_text(ax, "06075", HISPANIC) == "no data"
    assert _cell_text(ax, "06001", BLACK) == f"{_value(latest, '06001', BLACK):.1f}\n±1.5"
    assert _cell_text(ax, "06081", ASIAN).endswith("†")
    drawn = [t.get_text() for t in ax.texts if t.get_gid() == f"text:06013|{ASIAN}"]
    assert drawn == ["suppressed"] and f"{hidden:.1f}" not in drawn[0]
    grey = to_hex(_patch(ax, f"cell:06013|{ASIAN}").get_facecolor())  # type: ignore[attr-defined]
    white = to_hex(_patch(ax, f"cell:06075|{HISPANIC}").get_facecolor())  # type: ignore[attr-defined]
    shown = {
        to_hex(p.get_facecolor())
        for p in ax.patches
        if str(p.get_gid()).startswith("cell:") and "06013|" + ASIAN not in str(p.get_gid())
    }
    assert grey == "#d4d4d4" and white == "#ffffff" and grey != white
    # the suppressed cell's colour is not a colour of the scale
    assert grey not in shown - {white, grey}
    assert _patch(ax, f"hatch:06081|{ASIAN}").get_hatch() == "///"  # type: ignore[attr-defined]
    legend = ax.get_figure().legends[0]  # type: ignore[union-attr]
    assert [t.get_text() for t in legend.get_texts()] == [
        "unreliable (CV > 40%), marked †",
        "suppressed (withheld to protect privacy)",
        "no data",
    ]


def test_labels_with_markup_and_dollars_stay_literal(latest: pd.DataFrame) -> None:
    names = {"06001": "<script>alert(1)</script> $5 & $6"}
    ax = plot.heat_table(_series(latest), "race", names=names)
    fig = ax.get_figure()
    assert fig is not None
    out = io.StringIO()
    import matplotlib

    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(out, format="svg")
    svg = out.getvalue()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; $5 &amp; $6" in svg
    assert "<script>" not in svg
    axes = plot.small_multiples(_series(latest), "race", names=names)
    assert r"<script>alert(1)</script> \$5 & \$6" in [
        t.get_text() for t in axes[0].get_yticklabels()
    ]


def test_existing_charts_take_names(latest: pd.DataFrame) -> None:
    names = load_example().place_names()
    series = _series(_example_frame())
    ax = plot.trend(series, geography="06075", names=names)
    assert "(San Francisco County)" in ax.get_title(loc="left")
    axes = plot.breakdown(series, ["race", "geography"], names=names)
    assert [a.get_title() for a in axes] == [
        "Alameda County",
        "Contra Costa County",
        "San Francisco County",
        "San Mateo County",
    ]
    ax = plot.disparity(series, "race", geography="06001", names=names)
    assert "Alameda County" in ax.get_title(loc="left")


# ------------------------------------------------------------------- maps

pytest.importorskip("geopandas", reason="maps need the maps extra")
pytest.importorskip("mapclassify", reason="maps need the maps extra")


def _area(ax: object, code: str) -> object:
    return _patch(ax, f"area:{code}")


def test_the_highest_county_is_in_the_top_quantile(latest: pd.DataFrame) -> None:
    ax = plot.choropleth(_series(latest), COUNTIES, k=4)
    totals = latest[latest["race"] == TOTAL].set_index("geography")["value"]
    top, bottom = totals.idxmax(), totals.idxmin()
    assert (top, bottom) == ("06013", "06081")
    legend = ax.get_figure().legends[0]  # type: ignore[union-attr]
    assert legend.get_title().get_text() == "percent\nquantiles, 4 classes"
    classes = [to_hex(h.get_facecolor()) for h in legend.legend_handles]
    assert to_hex(_area(ax, top).get_facecolor()) == classes[3]  # type: ignore[attr-defined]
    assert to_hex(_area(ax, bottom).get_facecolor()) == classes[0]  # type: ignore[attr-defined]
    labels = {t.get_gid(): t.get_text() for t in ax.texts}
    assert labels["label:06075"] == "San Francisco\nCounty"  # the GeoJSON's NAME


@pytest.mark.parametrize(
    ("scheme", "title"),
    [("natural_breaks", "natural breaks (Fisher-Jenks)"), ("equal_interval", "equal intervals")],
)
def test_the_legend_names_the_scheme(latest: pd.DataFrame, scheme: str, title: str) -> None:
    ax = plot.choropleth(_series(latest), COUNTIES, scheme=scheme, k=2)  # type: ignore[arg-type]
    legend = ax.get_figure().legends[0]  # type: ignore[union-attr]
    assert legend.get_title().get_text() == f"percent\n{title}, 2 classes"
    assert to_hex(_area(ax, "06013").get_facecolor()) == to_hex(  # type: ignore[attr-defined]
        legend.legend_handles[1].get_facecolor()
    )


def test_suppressed_unreliable_and_missing_areas_are_drawn_distinctly(
    latest: pd.DataFrame,
) -> None:
    df = _withhold(latest, "06013", TOTAL)
    df.loc[(df["geography"] == "06081") & (df["race"] == TOTAL), "moe"] = 15.0
    df = df[df["geography"] != "06075"]
    with pytest.warns(BoundaryJoinWarning, match="06075"):
        ax = plot.choropleth(_series(df), COUNTIES)
    suppressed, missing = _area(ax, "06013"), _area(ax, "06075")
    assert to_hex(suppressed.get_facecolor()) == "#d4d4d4"  # type: ignore[attr-defined]
    assert to_hex(missing.get_facecolor()) == "#ffffff"  # type: ignore[attr-defined]
    hatches = {
        code: _patch(ax, f"hatch:{code}").get_hatch()  # type: ignore[attr-defined]
        for code in ("06013", "06075", "06081")
    }
    assert hatches == {"06013": "xxx", "06075": "...", "06081": "///"}
    assert not [p for p in ax.patches if p.get_gid() == "hatch:06001"]
    # the unreliable county keeps the colour of its class; the others are not of the scale
    legend = ax.get_figure().legends[0]  # type: ignore[union-attr]
    scale = {to_hex(h.get_facecolor()) for h in legend.legend_handles[:2]}
    assert to_hex(_area(ax, "06081").get_facecolor()) in scale  # type: ignore[attr-defined]
    assert {"#d4d4d4", "#ffffff"}.isdisjoint(scale)
    assert [t.get_text() for t in legend.get_texts()][2:] == [
        "unreliable (CV > 40%)",
        "suppressed (withheld to protect privacy)",
        "no data",
    ]


def test_join_problems_are_warned_with_the_codes(latest: pd.DataFrame) -> None:
    extra = latest[latest["geography"] == "06001"].assign(geography="06085")
    df = pd.concat([latest[latest["geography"] != "06081"], extra])
    with pytest.warns(BoundaryJoinWarning) as caught:
        plot.choropleth(_series(df), COUNTIES)
    (w,) = caught
    message = str(w.message)
    assert "no shape: 06085" in message and "no data (drawn as 'no data'): 06081" in message
    assert "vintage" in message
    assert w.message.data_only == ("06085",)  # type: ignore[union-attr]
    assert w.message.shapes_only == ("06081",)  # type: ignore[union-attr]
    tracts = latest.assign(geography=latest["geography"] + "400100")
    with pytest.warns(BoundaryJoinWarning, match=r"11 characters and the shapes' 5"):
        plot.choropleth(_series(tracts), COUNTIES)


def test_no_warning_when_everything_joins(latest: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plot.choropleth(_series(latest), COUNTIES)


def test_boundaries_from_topojson_geopackage_and_shapefile(tmp_path: Path) -> None:
    topo = {
        "type": "Topology",
        "objects": {
            "areas": {
                "type": "GeometryCollection",
                "geometries": [
                    {"type": "Polygon", "arcs": [[0]], "properties": {"GEOID": "06001"}},
                    {"type": "Polygon", "arcs": [[1]], "properties": {"GEOID": "06013"}},
                ],
            }
        },
        "arcs": [
            [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]],
            [[1, 0], [2, 0], [2, 1], [1, 1], [1, 0]],
        ],
    }
    (tmp_path / "areas.topojson").write_text(json.dumps(topo), encoding="utf-8")
    shapes = plot.read_boundaries(tmp_path / "areas.topojson")
    assert list(shapes["code"]) == ["06001", "06013"]
    counties = plot.read_boundaries(COUNTIES)
    assert list(counties["name"])[:1] == ["San Francisco County"]
    for name in ("counties.gpkg", "counties.shp"):
        counties.to_file(tmp_path / name)
        again = plot.read_boundaries(tmp_path / name, key="code")
        assert list(again["code"]) == list(counties["code"])


def test_bad_boundaries_are_refused_clearly(tmp_path: Path) -> None:
    doc = json.loads(COUNTIES.read_text(encoding="utf-8"))
    for feature in doc["features"]:  # codes written as numbers: 06075 became 6075
        feature["properties"]["GEOID"] = int(feature["properties"]["GEOID"])
    (tmp_path / "numbers.geojson").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(BoundaryError, match=r"must be text.*6075"):
        plot.read_boundaries(tmp_path / "numbers.geojson")
    with pytest.raises(BoundaryError, match=r"no column 'FIPS'.*GEOID, NAME, note"):
        plot.read_boundaries(COUNTIES, key="FIPS")
    doc = json.loads(COUNTIES.read_text(encoding="utf-8"))
    doc["features"][1]["properties"]["GEOID"] = "06075"
    (tmp_path / "twice.geojson").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(BoundaryError, match="more than one shape: 06075"):
        plot.read_boundaries(tmp_path / "twice.geojson")
    (tmp_path / "junk.geojson").write_text("not json", encoding="utf-8")
    with pytest.raises(BoundaryError, match="cannot read map boundaries"):
        plot.read_boundaries(tmp_path / "junk.geojson")


def test_a_neighborhood_map_from_a_tract_rollup(tmp_path: Path) -> None:
    from feedbackloop.model import Indicator

    tracts = ["06001400100", "06001400200", "06001400300"]
    frame = pd.DataFrame(
        {"geography": tracts, "period": "2022", "value": [100.0, 50.0, 30.0], "moe": 10.0}
    )
    ind = Indicator(
        id="youth", name="Youth", unit="count", direction="higher_is_better", aggregation="sum"
    )
    series = IndicatorSeries.from_frame(frame, indicator=ind, moe="moe")
    hoods = series.rollup(mapping={tracts[0]: "north", tracts[1]: "north", tracts[2]: "south"})
    doc = json.loads(COUNTIES.read_text(encoding="utf-8"))
    doc["features"] = doc["features"][:2]
    doc["features"][0]["properties"].update(GEOID="north", NAME="North")
    doc["features"][1]["properties"].update(GEOID="south", NAME="South")
    (tmp_path / "hoods.geojson").write_text(json.dumps(doc), encoding="utf-8")
    ax = plot.choropleth(hoods, tmp_path / "hoods.geojson", k=2)
    legend = ax.get_figure().legends[0]  # type: ignore[union-attr]
    assert [t.get_text() for t in legend.get_texts()] == ["30.0 – 90.0", "90.0 – 150.0"]
    assert to_hex(_area(ax, "north").get_facecolor()) == to_hex(  # type: ignore[attr-defined]
        legend.legend_handles[1].get_facecolor()
    )
    assert re.sub(r"\s+", " ", ax.get_title(loc="left")) == "Youth, 2022"
