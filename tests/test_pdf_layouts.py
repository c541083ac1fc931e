"""PDF tables as agencies publish them, generated with fpdf2 (no ruling lines unless said).

Each test writes a table of one shape with cells positioned by hand and no
borders, so columns are aligned by whitespace only, then reads it back:
two- and three-level headers, column-number rows, tables without a header,
and dashes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import feedbackloop
from feedbackloop.errors import SourceReadError
from feedbackloop.pdf import PdfTable, read_tables

fpdf = pytest.importorskip("fpdf")

#: One printed cell: text, first column (-1 for the label column), columns spanned, alignment.
Cell = tuple[str, int, int, str]


def layout_pdf(
    path: Path,
    lines: Sequence[Sequence[Cell]],
    *,
    label_w: float = 40,
    col_w: float = 18,
    size: float = 8,
    title: str | None = None,
) -> Path:
    """Write ``lines`` (one list of cells per printed line) as a borderless table."""
    pdf = fpdf.FPDF(format="letter")
    pdf.core_fonts_encoding = "windows-1252"  # en and em dashes in the core fonts
    pdf.add_page()
    y = 20.0
    if title:
        pdf.set_font("helvetica", size=size + 4)
        pdf.set_xy(15, y)
        pdf.cell(0, 7, title)
        y += 10
    pdf.set_font("helvetica", size=size)
    for line in lines:
        for text, c0, span, align in line:
            x = 15 if c0 < 0 else 15 + label_w + c0 * col_w
            pdf.set_xy(x, y)
            pdf.cell(label_w if c0 < 0 else span * col_w, 5, text, align=align)
        y += 5
    pdf.output(str(path))
    return path


def label(text: str) -> Cell:
    return (text, -1, 1, "L")


def right(texts: Sequence[str], start: int = 0) -> list[Cell]:
    return [(t, start + j, 1, "R") for j, t in enumerate(texts) if t]


def groups(texts: Sequence[str], span: int) -> list[Cell]:
    return [(t, span * k, span, "C") for k, t in enumerate(texts) if t]


def body(rows: Sequence[Sequence[str]]) -> list[list[Cell]]:
    return [[label(r[0]), *right(r[1:])] for r in rows]


def one(path: Path, **kwargs: Any) -> PdfTable:
    tables = read_tables(path, **kwargs)
    assert len(tables) == 1, tables
    return tables[0]


RACE_ROWS = [
    ["Alameda", "255,744", "188,980", "45,100", "47,220", "120,001", "118,500"],
    ["Butte", "80,123", "81,456", "2,100", "1,900", "15,300", "14,800"],
    ["Contra Costa", "200,500", "210,400", "40,000", "42,000", "90,000", "88,000"],
    ["Fresno", "150,000", "152,000", "25,000", "26,000", "250,000", "245,000"],
]
RACE_COLUMNS = (
    "County",
    "Non-Hispanic white / Male",
    "Non-Hispanic white / Female",
    "Non-Hispanic black / Male",
    "Non-Hispanic black / Female",
    "Hispanic / Male",
    "Hispanic / Female",
)


def _race_lines(*, wrapped: bool) -> list[list[Cell]]:
    if wrapped:
        head = [
            groups(["Non-Hispanic", "Non-Hispanic", "Hispanic"], 2),
            groups(["white", "black", ""], 2),
        ]
    else:
        head = [groups(["Non-Hispanic white", "Non-Hispanic black", "Hispanic"], 2)]
    return [*head, [label("County"), *right(["Male", "Female"] * 3)], *body(RACE_ROWS)]


def _check_race(t: PdfTable) -> None:
    assert t.columns == RACE_COLUMNS
    assert t.shape == (4, 7)
    assert t.frame["County"].tolist() == [r[0] for r in RACE_ROWS]
    for r, row in enumerate(RACE_ROWS):
        assert t.frame.iloc[r, 1:].tolist() == [float(v.replace(",", "")) for v in row[1:]]
    assert (t.kinds.iloc[:, 1:] == "number").all().all()


# ------------------------------------------------------------ two-level headers


def test_group_names_span_their_columns_instead_of_splitting_word_by_word(tmp_path: Path) -> None:
    path = layout_pdf(tmp_path / "race.pdf", _race_lines(wrapped=False), col_w=30)
    t = one(path)
    assert t.strategy == "text"
    _check_race(t)
    # The header as printed: a spanning heading sits in its first column.
    assert t.header_rows[0] == (
        "",
        "Non-Hispanic white",
        "",
        "Non-Hispanic black",
        "",
        "Hispanic",
        "",
    )
    assert not any("no header" in r for r in t.remarks)


def test_tightly_packed_columns_are_not_merged_and_wrapped_groups_join(tmp_path: Path) -> None:
    # 12 mm columns: "255,744" and "188,980" print closer than a usual column gap, and
    # the group names wrap over two lines ("Non-Hispanic" / "white").
    path = layout_pdf(tmp_path / "tight.pdf", _race_lines(wrapped=True), col_w=12)
    t = one(path)
    _check_race(t)
    assert not t.text.iloc[:, 1:].apply(lambda c: c.str.contains(" ")).any().any()


def test_survey_rounds_over_total_rural_urban(tmp_path: Path) -> None:
    # Short group names centred over three columns sit over the middle one only.
    rounds = ["Round 1", "Round 2"]
    rows = [
        ["Bihar", "12.5", "13.1", "9.8", "11.0", "11.9", "8.2"],
        ["Kerala", "7.4", "7.9", "6.8", "5.1", "5.5", "4.7"],
        ["Punjab", "9.0", "10.2", "7.7", "8.3", "9.1", "7.2"],
    ]
    lines = [groups(rounds, 3), [label("State"), *right(["Total", "Rural", "Urban"] * 2)]]
    t = one(layout_pdf(tmp_path / "rounds.pdf", [*lines, *body(rows)], col_w=20))
    assert t.columns == (
        "State",
        *(f"{r} / {s}" for r in rounds for s in ("Total", "Rural", "Urban")),
    )
    assert t.frame.set_index("State").loc["Kerala"].tolist() == [7.4, 7.9, 6.8, 5.1, 5.5, 4.7]


def test_a_heading_wrapped_over_two_lines_of_one_column_does_not_span(tmp_path: Path) -> None:
    # "Employees" over "Affected" is one heading of one column, not a group.
    lines = [
        [("Employees", 1, 1, "R")],
        [label("Month"), *right(["Notices", "Affected", "Closures"])],
        *body([["July 2015", "71", "8,574", "12"], ["August 2015", "69", "5,890", "9"]]),
    ]
    t = one(layout_pdf(tmp_path / "wrapped.pdf", lines, col_w=25))
    assert t.columns == ("Month", "Notices", "Employees Affected", "Closures")
    assert t.frame["Employees Affected"].tolist() == [8574.0, 5890.0]


SUBS = ["Male", "Female", "Total", "Rural", "Urban", "Number", "Percent"]
GROUPS = ["Asian", "Hispanic", "Round 1", "Round 2", "Urban areas", "Tribal", "Other"]
#: Years head groups too; a group line mixing a year with words would read as a data row.
YEARS = ["2000", "2010", "2020"]


@st.composite
def grouped_tables(draw: st.DrawFn) -> dict[str, Any]:
    n_sub = draw(st.integers(2, 3))
    subs = draw(st.permutations(SUBS))[:n_sub]
    n_groups = draw(st.integers(2, 3))
    names = draw(st.permutations(draw(st.sampled_from([GROUPS, YEARS]))))[:n_groups]
    ncols = n_sub * n_groups
    nrows = draw(st.integers(2, 6))
    labels = draw(st.permutations(["Alameda", "Butte", "Fresno", "Kern", "Marin", "Napa"]))
    values = [[draw(st.integers(0, 999_999)) for _ in range(ncols)] for _ in range(nrows)]
    return {
        "subs": subs,
        "names": names,
        "labels": labels[:nrows],
        "values": values,
        "col_w": draw(st.sampled_from([13, 16, 20])),
    }


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=grouped_tables())
def test_grouped_headers_read_back_as_group_slash_sub(tmp_path_factory, table) -> None:
    subs, names = table["subs"], table["names"]
    lines = [
        groups(names, len(subs)),
        [label("County"), *right(subs * len(names))],
        *(
            [label(lab), *right([f"{v:,}" for v in vals])]
            for lab, vals in zip(table["labels"], table["values"], strict=True)
        ),
    ]
    path = layout_pdf(tmp_path_factory.mktemp("grouped") / "g.pdf", lines, col_w=table["col_w"])
    t = one(path)
    # Every data row has one number per column: the columns come from the rows.
    assert t.columns == ("County", *(f"{g} / {s}" for g in names for s in subs))
    assert t.frame["County"].tolist() == table["labels"]
    assert t.frame.iloc[:, 1:].to_numpy().tolist() == table["values"]


# ---------------------------------------------------------- three-level headers


def _population_lines() -> list[list[Cell]]:
    rows = [
        ["Pune", "9,429,408", "3,678,226", "5,751,182", "4,924,105", "1,890,000", "3,034,105"],
        ["Nashik", "6,107,187", "3,500,000", "2,607,187", "3,157,186", "1,800,000", "1,357,186"],
        ["Thane", "11,060,148", "2,485,015", "8,575,133", "5,865,078", "1,300,000", "4,565,078"],
    ]
    return [
        [("Population by residence", 0, 6, "C")],
        groups(["Person", "Male"], 3),
        [label("District"), *right(["Total", "Rural", "Urban"] * 2)],
        *body(rows),
    ]


def test_three_level_header_gives_group_sub_names_and_keeps_the_title(tmp_path: Path) -> None:
    t = one(layout_pdf(tmp_path / "three.pdf", _population_lines(), col_w=20))
    assert t.columns == (
        "District",
        "Person / Total",
        "Person / Rural",
        "Person / Urban",
        "Male / Total",
        "Male / Rural",
        "Male / Urban",
    )
    assert t.title == "Population by residence"
    assert len(t.header_rows) == 2  # the title row is the title, not a header row
    f = t.frame.set_index("District")
    assert f.loc["Thane", "Person / Urban"] == 8575133
    assert f.loc["Nashik", "Person / Rural"] == 3500000
    assert (f["Person / Rural"] + f["Person / Urban"] == f["Person / Total"]).all()


def test_three_level_header_under_a_table_caption(tmp_path: Path) -> None:
    path = layout_pdf(
        tmp_path / "caption.pdf", _population_lines(), col_w=20, title="Table 5. Districts, 2011"
    )
    t = one(path)
    assert t.title == "Table 5. Districts, 2011 Population by residence"
    assert t.columns[1] == "Person / Total" and t.columns[-1] == "Male / Urban"


# --------------------------------------------------------- column-number rows


@pytest.mark.parametrize("style", ["plain", "parenthesised"])
def test_a_row_of_column_numbers_is_dropped_and_said(tmp_path: Path, style: str) -> None:
    numbers = [f"({i})" if style == "parenthesised" else str(i) for i in range(1, 8)]
    lines = [
        *_race_lines(wrapped=False)[:2],
        [(numbers[0], -1, 1, "L"), *right(numbers[1:])],
        *body(RACE_ROWS),
    ]
    t = one(layout_pdf(tmp_path / "numbered.pdf", lines, col_w=30))
    _check_race(t)
    (remark,) = [r for r in t.remarks if "column numbers" in r]
    assert f"({' '.join(numbers)})" in remark and "dropped" in remark


def test_a_column_number_row_in_a_ruled_table_is_not_data(tmp_path: Path) -> None:
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=8)
    with pdf.table() as table:
        for cells in [["County", "Male", "Female"], ["1", "2", "3"], *[r[:3] for r in RACE_ROWS]]:
            row = table.row()
            for text in cells:
                row.cell(text)
    path = tmp_path / "ruled.pdf"
    pdf.output(str(path))
    t = one(path)
    assert t.strategy == "lines"
    assert t.columns == ("County", "Male", "Female")
    assert t.frame["County"].tolist() == [r[0] for r in RACE_ROWS]
    assert any("column numbers under the header (1 2 3)" in r for r in t.remarks)


def test_small_numbers_that_are_not_consecutive_stay_data(tmp_path: Path) -> None:
    rows = [["", "1", "5", "7"], ["", "2", "4", "9"], ["", "3", "3", "11"]]
    lines = [[*right(r[1:])] for r in rows]
    t = one(layout_pdf(tmp_path / "small.pdf", lines))
    assert t.shape == (3, 3)
    assert t.frame.iloc[0].tolist() == [1.0, 5.0, 7.0]


# ----------------------------------------------------------- no header found


def test_a_table_without_header_names_its_columns_and_says_so(tmp_path: Path) -> None:
    t = one(layout_pdf(tmp_path / "nohead.pdf", body(RACE_ROWS)))
    assert t.columns == tuple(f"column_{i}" for i in range(1, 8))
    assert t.shape == (4, 7)
    assert t.header_rows == ()
    assert t.frame.iloc[0].tolist() == ["Alameda", 255744, 188980, 45100, 47220, 120001, 118500]
    assert "no header found above the first row; the columns are named column_1 to column_7" in (
        " ".join(t.remarks)
    )


def test_numbers_never_become_column_names(tmp_path: Path) -> None:
    rows = [r[1:] for r in RACE_ROWS]
    lines = [[("1,250,000", 2, 1, "R")], *([*right(r)] for r in rows)]
    t = one(layout_pdf(tmp_path / "numbers.pdf", lines))
    assert t.columns == tuple(f"column_{i}" for i in range(1, 7))
    assert t.shape == (4, 6)
    assert t.frame.iloc[0].tolist() == [255744, 188980, 45100, 47220, 120001, 118500]


# -------------------------------------------------------------------- dashes


def _dash_pdf(tmp_path: Path, legend: str | None = None) -> Path:
    rows = [
        ["Alameda", "1,200", "-", "\u2013"],
        ["Butte", "-", "\u2014", "-"],
        ["Fresno", "5", "6", "7"],
    ]
    lines = [[label("County"), *right(["Jobs", "Firms", "Sites"])], *body(rows)]
    if legend:
        lines += [[], [(legend, -1, 1, "L")]]
    return layout_pdf(tmp_path / "dash.pdf", lines)


def test_a_dash_is_not_available_by_default_never_zero_never_a_dropped_row(tmp_path: Path) -> None:
    t = one(_dash_pdf(tmp_path))
    assert t.frame["County"].tolist() == ["Alameda", "Butte", "Fresno"]
    assert t.kinds.loc[1].tolist() == ["text", "dash", "dash", "dash"]
    assert t.frame.loc[1, ["Jobs", "Firms", "Sites"]].isna().all()
    assert math.isnan(t.frame.loc[0, "Sites"]) and t.text.loc[0, "Sites"] == "\u2013"
    assert any("5 dash cell(s) read as not available" in r for r in t.remarks)
    zero = one(_dash_pdf(tmp_path), dash="zero")
    assert zero.frame.loc[1, ["Jobs", "Firms", "Sites"]].tolist() == [0.0, 0.0, 0.0]
    assert zero.kinds.equals(t.kinds)
    with pytest.raises(SourceReadError, match=r"dash must be one of .*'zero'.*got 'nil'"):
        read_tables(_dash_pdf(tmp_path), dash="nil")  # type: ignore[arg-type]


def test_a_legend_saying_dash_is_zero_is_quoted_not_applied(tmp_path: Path) -> None:
    t = one(_dash_pdf(tmp_path, legend="\u2013 Represents zero. X Not applicable."))
    assert t.frame.loc[1, ["Jobs", "Firms", "Sites"]].isna().all()
    (remark,) = [r for r in t.remarks if "dash" in r]
    assert "'\u2013 Represents zero.'" in remark and "pass dash='zero'" in remark


@pytest.mark.parametrize(
    ("dash", "status", "value"),
    [(None, "not_available", None), ("zero", "estimate", 0.0), ("missing", "missing", None)],
)
def test_the_adapter_gives_a_dash_its_status(
    tmp_path: Path, dash: str | None, status: str, value: float | None
) -> None:
    options: dict[str, Any] = {"columns": "measure", "period": 2020}
    if dash is not None:
        options["dash"] = dash
    series = feedbackloop.read("pdf", _dash_pdf(tmp_path), **options)
    df = series.table.to_pandas()
    butte = df[df["geography"] == "Butte"]
    assert len(butte) == 3  # a row of dashes is kept
    assert butte["status"].astype(str).tolist() == [status] * 3
    if value is None:
        assert butte["value"].isna().all()
    else:
        assert butte["value"].tolist() == [value] * 3
    fresno = df[df["geography"] == "Fresno"]
    assert fresno["value"].tolist() == [5.0, 6.0, 7.0]
