"""Generate the bundled, ILLUSTRATIVE data of the example initiative (fixed seed).

The numbers are made up but shaped like the real thing: real county GEOIDs of
the San Francisco Bay Area, OMB race groups plus Hispanic or Latino (with the
overlap recorded), ACS-like 5-year periods with 90% margins of error, school
years for school measures, and a few small cells that a privacy policy would
suppress. The example reads them through three adapters:

- ``data/*.csv`` (the ``csv`` adapter): disconnected youth, graduation rates;
- ``census-cache/`` (the ``census`` adapter, offline): youth unemployment by
  race, eight ACS 5-year vintages, as responses of the Census Data API laid
  out exactly as :class:`feedbackloop.census.CensusClient` caches them
  (metadata documents and one data file per request);
- ``data/youth_works_annual_report.pdf`` (the ``pdf`` adapter): a mentoring
  partner's annual report with students matched by race and school year;
- ``data/youth_works_monthly_sessions.csv`` (the ``csv`` adapter): the mentoring
  program's sessions held each month, 2023-01 to 2025-06, rising after the
  changes its two PDSA cycles tested (``opportunity_youth_cycles.yaml``);
- ``data/community_survey.csv`` (the ``survey`` adapter): the initiative's
  2024 youth survey, one row per respondent aged 16-24, drawn in two strata
  (Alameda and San Francisco) by neighborhood clusters, with weights, a
  yes/no item ("In the past year, did you have a paid job?") and a Likert item.

``data/youth_unemployment_rate.csv`` holds the headline groups of the Census
cache as a flat file, for charts and tutorials that start from a CSV.

Run ``python -m feedbackloop.examples.generate [DIR]`` to rebuild the files
(default: this package's folder); it needs ``fpdf2`` for the PDF. The library
itself never runs it: the files ship with the package.
"""

from __future__ import annotations

import datetime as _dt
import json
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from feedbackloop import census
from feedbackloop._util import atomic_write_bytes, import_optional
from feedbackloop.series import TOTAL

__all__ = [
    "CENSUS_OPTIONS",
    "CENSUS_TABLE",
    "CENSUS_YEARS",
    "COMMUNITY_SURVEY",
    "COUNTIES",
    "MENTORING_PDF",
    "PROGRAM_MONTHS",
    "RACES",
    "SCHOOL_YEARS",
    "generate",
    "main",
]

SEED = 20261124

#: Real county GEOIDs (California, state 06).
COUNTIES = {
    "06001": "Alameda",
    "06013": "Contra Costa",
    "06075": "San Francisco",
    "06081": "San Mateo",
}

#: OMB minimum race categories (alone) and Hispanic or Latino, as the ACS reports them.
RACES = (
    "White alone, not Hispanic or Latino",
    "Black or African American alone",
    "Asian alone",
    "Hispanic or Latino",
)

_ACS_PERIODS = (
    "2011-2015",
    "2012-2016",
    "2013-2017",
    "2014-2018",
    "2015-2019",
    "2016-2020",
    "2017-2021",
    "2018-2022",
)
_SCHOOL_YEARS = ("2016/17", "2017/18", "2018/19", "2019/20", "2020/21", "2021/22", "2022/23")

#: ACS 5-year vintages in the Census cache (2015 covers 2011-2015 ... 2022 covers 2018-2022).
CENSUS_YEARS = tuple(range(2015, 2023))

#: The table the cache serves. The ACS publishes youth unemployment only as counts
#: (B23001, and B23002A-I by race); to show the census adapter reading rates by race
#: offline, the example's cache holds an INVENTED table of rates, "X23001", laid out
#: as ACS detailed tables are (an all-races table plus race iterations A-I).
CENSUS_TABLE = "X23001"

#: The census source's options in the example loop (besides ``year``, ``offline``
#: and ``cache_dir``); generate() plans its requests with exactly these.
CENSUS_OPTIONS: Mapping[str, Any] = {
    "dataset": "acs/acs5",
    "variables": {"youth_unemployment_rate": f"{CENSUS_TABLE}_001"},
    "by_race": True,
    "geography": "county:001,013,075,081",
    "within": {"state": "CA"},
}

#: When the illustrative responses were "retrieved" (fixed, so the files are reproducible).
RETRIEVED = "2024-01-15T17:00:00+00:00"

#: School years of the mentoring partner's report.
SCHOOL_YEARS = ("2018/19", "2019/20", "2020/21", "2021/22", "2022/23")

#: The mentoring partner's report, relative to the examples folder.
MENTORING_PDF = "data/youth_works_annual_report.pdf"

#: The months of the mentoring program's data (2023-01 to 2025-06).
PROGRAM_MONTHS = tuple(f"{y}-{m:02d}" for y in (2023, 2024, 2025) for m in range(1, 13))[:30]
#: The program data has its own seed, so that the older files stay as they were.
_PROGRAM_SEED = 20240108
#: Mean sessions a month: the baseline; cycle 1 (reminders to mentors, 2024-01 to
#: 2024-04, adapted); between the cycles; cycle 2 (reminders to mentors and families
#: and a make-up slot, tested at three schools 2024-09 to 2024-12); adopted everywhere.
_SESSION_LEVELS = ((12, 140.0), (4, 147.0), (4, 145.0), (4, 158.0), (6, 178.0))

#: The community survey, relative to the examples folder.
COMMUNITY_SURVEY = "data/community_survey.csv"
#: The survey has its own seed too.
_SURVEY_SEED = 20240601
#: Stratum (county) -> (neighborhood clusters sampled, youth aged 16-24 in the county).
_SURVEY_STRATA = {"06001": (8, 190_000), "06075": (6, 80_000)}
#: Race shares of respondents, and each group's chance of a paid job in the past year.
_SURVEY_RACES = {RACES[0]: (0.30, 0.62), RACES[1]: (0.17, 0.41), RACES[2]: (0.03, 0.55),
                 RACES[3]: (0.50, 0.47)}  # fmt: skip
LIKERT = ("Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree")

_ITERATION_CONCEPT = {
    "A": "WHITE ALONE",
    "B": "BLACK OR AFRICAN AMERICAN ALONE",
    "C": "AMERICAN INDIAN AND ALASKA NATIVE ALONE",
    "D": "ASIAN ALONE",
    "E": "NATIVE HAWAIIAN AND OTHER PACIFIC ISLANDER ALONE",
    "F": "SOME OTHER RACE ALONE",
    "G": "TWO OR MORE RACES",
    "H": "WHITE ALONE, NOT HISPANIC OR LATINO",
    "I": "HISPANIC OR LATINO",
}
#: The race iterations whose values are the flat CSV's groups.
_FROM_CSV = {"B": RACES[1], "D": RACES[2], "H": RACES[0], "I": RACES[3]}
_CONCEPT = "UNEMPLOYMENT RATE OF THE CIVILIAN POPULATION 16 TO 24 YEARS"
_LABEL = "Estimate!!Unemployment rate!!Civilian labor force 16 to 24 years"


def _rate_frame(
    rng: np.random.Generator,
    base: float,
    trend: float,
    race_gap: dict[str, float],
    periods: tuple[str, ...],
    moe_scale: float,
) -> pd.DataFrame:
    rows = []
    for geo in COUNTIES:
        geo_shift = rng.normal(0, base * 0.08)
        for t, period in enumerate(periods):
            values = {}
            for race in RACES:
                v = base + geo_shift + trend * t + race_gap.get(race, 0.0) + rng.normal(0, 0.4)
                values[race] = max(v, 0.5)
            values[TOTAL] = float(np.mean(list(values.values())))
            for race, v in values.items():
                small = race != TOTAL and race.startswith("Black") and geo == "06081"
                moe = moe_scale * (3.0 if small else 1.0) * (0.6 if race == TOTAL else 1.0)
                rows.append(
                    {
                        "geography": geo,
                        "period": period,
                        "race": race,
                        "value": round(v, 1),
                        "moe": round(moe * rng.uniform(0.8, 1.2), 1),
                    }
                )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ census cache


def _variables_doc(year: int) -> dict[str, Any]:
    """Return a ``variables.json`` subset: geography predicates, GEO_ID, NAME, the table."""
    spec = "Census API Geography Specification"
    tables = [CENSUS_TABLE] + [CENSUS_TABLE + letter for letter in _ITERATION_CONCEPT]
    variables: dict[str, Any] = {
        "for": {
            "label": "Census API FIPS 'for' clause",
            "concept": spec,
            "predicateType": "fips-for",
            "group": "N/A",
            "limit": 0,
            "predicateOnly": True,
        },
        "in": {
            "label": "Census API FIPS 'in' clause",
            "concept": spec,
            "predicateType": "fips-in",
            "group": "N/A",
            "limit": 0,
            "predicateOnly": True,
        },
        "ucgid": {
            "label": "Uniform Census Geography Identifier clause",
            "concept": spec,
            "predicateType": "ucgid",
            "group": "N/A",
            "limit": 0,
            "predicateOnly": True,
            "hasGeoCollectionSupport": True,
        },
        "GEO_ID": {
            "label": "Geography",
            "concept": _CONCEPT,
            "predicateType": "string",
            "group": ",".join(tables),
            "limit": 0,
            "predicateOnly": True,
        },
        "NAME": {
            "label": "Geographic Area Name",
            "concept": _CONCEPT,
            "predicateType": "string",
            "group": "N/A",
            "limit": 0,
            "predicateOnly": True,
        },
    }
    for table in tables:
        letter = table[len(CENSUS_TABLE) :]
        concept = _CONCEPT + (f" ({_ITERATION_CONCEPT[letter]})" if letter else "")
        name = f"{table}_001"
        variables[f"{name}E"] = {
            "label": _LABEL,
            "concept": concept + " (ILLUSTRATIVE)",
            "predicateType": "float",
            "group": table,
            "limit": 0,
            "attributes": f"{name}EA,{name}M,{name}MA",
        }
    return {"variables": variables}


def _geography_doc(year: int) -> dict[str, Any]:
    """Return a ``geography.json`` subset: nation, state and county, as ACS vintages have."""
    ref = f"{year}-01-01"
    return {
        "fips": [
            {"name": "us", "geoLevelDisplay": "010", "referenceDate": ref},
            {"name": "state", "geoLevelDisplay": "040", "referenceDate": ref},
            {
                "name": "county",
                "geoLevelDisplay": "050",
                "referenceDate": ref,
                "requires": ["state"],
                "wildcard": ["state"],
                "optionalWithWCFor": "state",
            },
        ]
    }


def _groups_doc(year: int) -> dict[str, Any]:
    """Return a ``groups.json`` subset: the table and its race iterations."""
    groups = []
    for letter in ("", *_ITERATION_CONCEPT):
        table = CENSUS_TABLE + letter
        concept = _CONCEPT + (f" ({_ITERATION_CONCEPT[letter]})" if letter else "")
        groups.append(
            {
                "name": table,
                "description": concept + " (ILLUSTRATIVE)",
                "variables": f"https://api.census.gov/data/{year}/acs/acs5/groups/{table}.json",
            }
        )
    return {"groups": groups}


def _cell(value: float) -> str:
    return f"{value:.1f}"


def _census_cells(
    unemployment: pd.DataFrame, rng: np.random.Generator
) -> dict[tuple[str, int, str], tuple[str | None, str | None]]:
    """(county GEOID, vintage, iteration letter or "") -> (estimate, MOE) as the API sends them.

    The all-races estimate and iterations B, D, H and I are the flat CSV's values;
    the other iterations are drawn from ``rng``. A few cells are what the API sends
    when it cannot give a number: null (no estimate), -666666666 with -222222222
    (too few sample cases), and a number whose MOE is -222222222.
    """
    flat = {
        (str(g), str(p), str(r)): (float(v), float(m))
        for g, p, r, v, m in zip(
            unemployment["geography"],
            unemployment["period"],
            unemployment["race"],
            unemployment["value"].to_numpy(dtype=float),
            unemployment["moe"].to_numpy(dtype=float),
            strict=True,
        )
    }
    cells: dict[tuple[str, int, str], tuple[str | None, str | None]] = {}
    for geo in COUNTIES:
        for year, period in zip(CENSUS_YEARS, _ACS_PERIODS, strict=True):

            def at(race: str, geo: str = geo, period: str = period) -> tuple[float, float]:
                return flat[(geo, period, race)]

            total, total_moe = at(TOTAL)
            cells[(geo, year, "")] = (_cell(total), _cell(total_moe))
            for letter, race in _FROM_CSV.items():
                v, m = at(race)
                cells[(geo, year, letter)] = (_cell(v), _cell(m))
            white, white_moe = at(RACES[0])
            cells[(geo, year, "A")] = (
                _cell(white + 0.9 + rng.normal(0, 0.3)),
                _cell(white_moe * rng.uniform(0.8, 0.95)),
            )
            cells[(geo, year, "C")] = (
                _cell(total + 7.5 + rng.normal(0, 2.0)),
                _cell(rng.uniform(7.0, 12.0)),
            )
            if geo in ("06013", "06081"):
                cells[(geo, year, "E")] = ("-666666666", "-222222222")
            else:
                cells[(geo, year, "E")] = (
                    _cell(total + 4.0 + rng.normal(0, 3.0)),
                    _cell(rng.uniform(10.0, 16.0)),
                )
            hispanic, _ = at(RACES[3])
            cells[(geo, year, "F")] = (
                _cell(hispanic - 0.5 + rng.normal(0, 0.6)),
                _cell(rng.uniform(1.8, 3.2)),
            )
            cells[(geo, year, "G")] = (
                _cell(total + 1.5 + rng.normal(0, 0.6)),
                _cell(rng.uniform(2.0, 3.5)),
            )
    # No American Indian and Alaska Native estimate for San Mateo in the first vintages.
    for year in CENSUS_YEARS[:2]:
        cells[("06081", year, "C")] = (None, None)
    # A published estimate whose margin of error could not be computed.
    white_sf = cells[("06075", CENSUS_YEARS[0], "A")]
    cells[("06075", CENSUS_YEARS[0], "A")] = (white_sf[0], "-222222222")
    return cells


def _json_bytes(doc: Mapping[str, Any]) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _write_census_cache(root: Path, unemployment: pd.DataFrame) -> list[Path]:
    """Write the Census cache (metadata, then one data file per planned request)."""
    if root.exists():
        shutil.rmtree(root)
    cache = census.ResponseCache(root, None)
    written: list[Path] = []
    for year in CENSUS_YEARS:
        for name, doc in (
            ("variables.json", _variables_doc(year)),
            ("geography.json", _geography_doc(year)),
            ("groups.json", _groups_doc(year)),
        ):
            path = cache.meta_path(year, str(CENSUS_OPTIONS["dataset"]), name)
            atomic_write_bytes(path, _json_bytes(doc), parents=True)
            written.append(path)
    cells = _census_cells(unemployment, np.random.default_rng([SEED, 23001]))
    # The requests the census adapter will make, planned from the metadata just written.
    with census.CensusClient(cache_dir=root, offline=True, key="") as client:
        requests = census.plan_requests(
            dataset=str(CENSUS_OPTIONS["dataset"]),
            year=CENSUS_YEARS,
            variables=CENSUS_OPTIONS["variables"],
            geography=str(CENSUS_OPTIONS["geography"]),
            within=CENSUS_OPTIONS["within"],
            by_race=bool(CENSUS_OPTIONS["by_race"]),
            client=client,
        )
    for request in requests:
        path = cache.data_path(request.year, request.dataset, request.label)
        # The envelope CensusClient writes, with a fixed retrieval time.
        cache.store_data(
            path, request.label, 200, _census_body(request, cells), retrieved=RETRIEVED
        )
        written.append(path)
    return written


def _census_body(
    request: census.DataRequest,
    cells: Mapping[tuple[str, int, str], tuple[str | None, str | None]],
) -> bytes:
    """Return the API's answer to ``request``: a header, then one row per county, per line."""
    header: list[str | None] = [*request.get, "state", "county"]
    rows: list[list[str | None]] = [header]
    for geo in COUNTIES:
        row: list[str | None] = []
        for column in request.get:
            if column == "GEO_ID":
                row.append(f"0500000US{geo}")
                continue
            table, _, line = column.partition("_")
            estimate, moe = cells[(geo, request.year, table[len(CENSUS_TABLE) :])]
            row.append(estimate if line.endswith("E") else moe)
        rows.append([*row, geo[:2], geo[2:]])
    body = "[" + ",\n".join(json.dumps(r, separators=(",", ":")) for r in rows) + "]"
    return body.encode()


# ------------------------------------------------------------------ partner PDF


def _write_mentoring_pdf(path: Path, served: pd.DataFrame) -> Path:
    """Write the mentoring partner's annual report: one ruled table, years side by side."""
    fpdf = import_optional("fpdf", extra="test", purpose="writing the example's PDF (fpdf2)")
    table = served.pivot(index="race", columns="period", values="value")
    table = table.loc[[*RACES, TOTAL], list(SCHOOL_YEARS)]
    pdf = fpdf.FPDF(format="letter")
    pdf.set_creation_date(_dt.datetime(2024, 1, 15, 17, 0, tzinfo=_dt.UTC))
    pdf.set_title("Youth Works mentoring: annual report to the Opportunity Youth backbone")
    pdf.set_author("Youth Works (illustrative)")
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    _pdf_heading(pdf)
    _pdf_table(pdf, table)
    pdf.ln(3)
    pdf.set_font("helvetica", size=8)
    pdf.multi_cell(
        0,
        4,
        "Students are counted once per school year. Hispanic or Latino students of any race "
        "are counted as Hispanic or Latino. Counts are shared with the backbone under the "
        "data-sharing agreement; counts under 11 are not to be published.",
        **_NEXT_LINE,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pdf.output(str(tmp))
    tmp.replace(path)
    return path


#: fpdf2's "go to the start of the next line" after a cell (``XPos.LMARGIN``, ``YPos.NEXT``).
_NEXT_LINE: dict[str, str] = {"new_x": "LMARGIN", "new_y": "NEXT"}


def _pdf_heading(pdf: Any) -> None:
    """Write the report's title, subtitle, illustrative notice and introduction."""
    pdf.set_font("helvetica", "B", 14)
    pdf.cell(0, 8, "Youth Works School-Based Mentoring", **_NEXT_LINE)
    pdf.set_font("helvetica", size=10)
    pdf.cell(
        0,
        6,
        "Annual report to the Opportunity Youth backbone, San Francisco, 2022/23",
        **_NEXT_LINE,
    )
    pdf.set_font("helvetica", "I", 8)
    pdf.cell(
        0,
        5,
        "ILLUSTRATIVE: an invented partner and invented numbers, made by "
        "feedbackloop.examples.generate.",
        **_NEXT_LINE,
    )
    pdf.ln(4)
    pdf.set_font("helvetica", size=10)
    pdf.multi_cell(
        0,
        5,
        "Volunteer mentors meet weekly with students referred for chronic absence at "
        "partner high schools in the San Francisco Unified School District. The table "
        "counts the students matched with a mentor in each school year.",
        **_NEXT_LINE,
    )


def _pdf_table(pdf: Any, table: pd.DataFrame) -> None:
    """Write Table 1, students matched by race and school year, with its caption."""
    pdf.ln(4)
    pdf.set_font("helvetica", "B", 10)
    pdf.cell(0, 6, "Table 1. Students matched with a mentor, by race and ethnicity", **_NEXT_LINE)
    pdf.set_font("helvetica", size=9)
    align = ("LEFT", *("RIGHT" for _ in SCHOOL_YEARS))
    with pdf.table(
        col_widths=(66, *(20 for _ in SCHOOL_YEARS)),
        width=166,
        text_align=align,
        first_row_as_headings=True,
    ) as grid:
        head = grid.row()
        head.cell("Race and ethnicity")
        for year in SCHOOL_YEARS:
            head.cell(year)
        for race, counts in table.iterrows():
            row = grid.row()
            row.cell("Total" if race == TOTAL else str(race))
            for n in counts:
                row.cell(f"{int(n):,}")


# ------------------------------------------------------------------ everything


def _rate_frames(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return the youth unemployment, disconnected youth and graduation rates, in that order."""
    unemployment = _rate_frame(
        rng,
        base=15.5,
        trend=-0.35,
        race_gap={
            "Black or African American alone": 7.0,
            "Hispanic or Latino": 3.5,
            "Asian alone": -2.0,
            "White alone, not Hispanic or Latino": -3.0,
        },
        periods=_ACS_PERIODS,
        moe_scale=1.4,
    )
    disconnected = _rate_frame(
        rng,
        base=11.0,
        trend=-0.2,
        race_gap={
            "Black or African American alone": 6.0,
            "Hispanic or Latino": 2.5,
            "Asian alone": -3.0,
            "White alone, not Hispanic or Latino": -2.5,
        },
        periods=_ACS_PERIODS,
        moe_scale=1.6,
    )
    graduation = _rate_frame(
        rng,
        base=84.0,
        trend=0.6,
        race_gap={
            "Black or African American alone": -9.0,
            "Hispanic or Latino": -6.0,
            "Asian alone": 6.0,
            "White alone, not Hispanic or Latino": 4.0,
        },
        periods=_SCHOOL_YEARS,
        moe_scale=0.0,
    )
    return unemployment, disconnected, graduation


def generate(folder: str | Path) -> list[Path]:
    """Write the example's data into ``folder``; return the paths written.

    Parameters
    ----------
    folder : str or path
        The examples folder: CSV files and the PDF go to ``folder/data``, the
        Census cache to ``folder/census-cache`` (replaced as a whole).

    Returns
    -------
    list of pathlib.Path

    .. versionadded:: 0.1.0
    """
    rng = np.random.default_rng(SEED)
    root = Path(folder)
    out = root / "data"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    unemployment, disconnected, graduation = _rate_frames(rng)
    graduation = graduation.drop(columns=["moe"])
    for name, frame in (
        ("youth_unemployment_rate", unemployment),
        ("disconnected_youth_rate", disconnected),
        ("hs_graduation_rate", graduation),
    ):
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False, lineterminator="\n")
        written.append(path)
    written += _write_census_cache(root / "census-cache", unemployment)
    # A program's count measure: a growing program (with a dip in the first pandemic
    # year) and small cells: Asian students 2 to 8 a year, White students near 10.
    served: list[dict[str, str | int]] = []
    for year, total in zip(SCHOOL_YEARS, (62, 88, 71, 118, 154), strict=True):
        asian = int(rng.integers(2, 9))
        white = round(total * 0.14 * rng.uniform(0.8, 1.2))
        black = round(total * 0.40 * rng.uniform(0.9, 1.1))
        counts = {RACES[0]: white, RACES[1]: black, RACES[2]: asian}
        counts[RACES[3]] = total - white - black - asian
        counts[TOTAL] = total
        served += [{"period": year, "race": r, "value": n} for r, n in counts.items()]
    written.append(_write_mentoring_pdf(root / MENTORING_PDF, pd.DataFrame(served)))
    written.append(_write_sessions(out / "youth_works_monthly_sessions.csv"))
    written.append(_write_community_survey(root / COMMUNITY_SURVEY))
    return written


def _write_community_survey(path: Path) -> Path:
    """Write the youth survey: two strata, neighborhood clusters, weights, two items."""
    rng = np.random.default_rng(_SURVEY_SEED)
    races = list(_SURVEY_RACES)
    share = np.array([_SURVEY_RACES[r][0] for r in races])
    rows: list[dict[str, Any]] = []
    for county, (clusters, youth) in _SURVEY_STRATA.items():
        sizes = rng.integers(18, 31, clusters)
        for c, size in enumerate(sizes, start=1):
            weight = youth / clusters / size  # every cluster carries its share of youth
            shift = rng.normal(0, 0.06)  # neighbors are alike: the design effect
            for _ in range(int(size)):
                race = races[int(rng.choice(len(races), p=share))]
                job = rng.random() < _SURVEY_RACES[race][1] + shift
                agree = int(np.clip(rng.normal(2.6 + 0.5 * job, 1.0), 0, 4).round())
                rows.append(
                    {
                        "respondent": len(rows) + 1,
                        "county": county,
                        "cluster": f"{county}-{c:02d}",
                        "weight": round(weight * rng.uniform(0.85, 1.15), 2),
                        "race": race,
                        "sex": str(rng.choice(["Female", "Male"])),
                        "paid_job": "Yes" if job else "No",
                        "connected": LIKERT[agree],
                    }
                )
    pd.DataFrame(rows).to_csv(path, index=False, lineterminator="\n")
    return path


def _write_sessions(path: Path) -> Path:
    """Write the mentoring program's monthly sessions (San Francisco) as a tidy CSV."""
    rng = np.random.default_rng(_PROGRAM_SEED)
    means = [level for months, level in _SESSION_LEVELS for _ in range(months)]
    values = [round(m + rng.normal(0, 5.0)) for m in means]
    frame = pd.DataFrame({"geography": "06075", "period": PROGRAM_MONTHS, "value": values})
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m feedbackloop.examples.generate [DIR]``.

    .. versionadded:: 0.1.0
    """
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path(__file__).parent
    for p in generate(folder):
        print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
