"""Fuzzing: whatever bytes a CSV file or a loop YAML file holds, only the error tree escapes.

Every exception raised must be a :class:`feedbackloop.errors.FeedbackloopError`
(no ``UnicodeDecodeError``, ``csv.Error``, ``RecursionError``, ``TypeError``...).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

import feedbackloop as fl
from feedbackloop import load_loop
from feedbackloop.errors import FeedbackloopError, FeedbackloopWarning
from reliability._catalogue import in_tree

CELLS = st.sampled_from(
    [
        "06",
        "06075",
        "2020",
        "2020-Q3",
        "2015-2019",
        "1",
        "-5",
        "1,234",
        "50%",
        "N/A",
        "",
        "-",
        "abc",
        "nan",
        "inf",
        "=1+1",
        '"',
        '""',
        "é",
        "\x00",
        "1e400",
        "  7 ",
        "(X)",
        "$3",
    ]
)
HEADERS = st.sampled_from(
    ["geography", "period", "value", "moe", "sex", "Year", "Value", "Units", "GeoCode", "", "value"]
)


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    header = draw(st.lists(HEADERS, min_size=1, max_size=6))
    rows = draw(st.lists(st.lists(CELLS, min_size=0, max_size=7), max_size=8))
    sep = draw(st.sampled_from([",", ";", "\t"]))
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = end.join(sep.join(r) for r in [header, *rows]) + draw(st.sampled_from(["", end]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    data = text.encode(encoding, errors="replace")
    noise = draw(st.binary(max_size=8))
    at = draw(st.integers(0, len(data)))
    return data[:at] + noise + data[at:] if draw(st.booleans()) else data


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _quietly(call: object) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FeedbackloopWarning)
        in_tree(call)  # type: ignore[arg-type]


@given(data=csv_bytes())
@example(data=b"geography,period,value\n06,2020,1\n")
@example(data=b"PK\x03\x04\x81\x8d\x8f\x90\x9d")
def test_the_csv_reader_raises_only_its_own_errors(scratch: Path, data: bytes) -> None:
    path = scratch / "fuzz.csv"
    path.write_bytes(data)
    _quietly(lambda: fl.read("csv", path, unit="count"))
    _quietly(lambda: fl.read("csv", path, unit="count", errors="collect"))


LOOP_KEYS = [
    "name",
    "indicators",
    "shared_result",
    "outcomes",
    "key_drivers",
    "strategies",
    "id",
    "title",
    "unit",
    "direction",
    "kind",
    "quadrant",
    "horizon",
    "contributes_to",
    "partners",
    "target",
    "baseline",
    "period",
    "value",
    "data_roots",
    "source",
    "path",
    "adapter",
    "options",
    "dimensions",
    "relative_change",
    "inventory",
    "action_plan",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 3000),
    st.floats(allow_nan=True),
    st.sampled_from(
        [
            "employment",
            "percent",
            "6-10",
            "3-6",
            "2020",
            "higher_is_better",
            "how_much",
            "../x.csv",
            "",
            "é",
        ]
    ),
    st.text(max_size=5),
)
DOCS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(LOOP_KEYS), st.text(max_size=4)), inner, max_size=5
        ),
    ),
    max_leaves=25,
)


@given(doc=st.dictionaries(st.sampled_from(LOOP_KEYS), DOCS, max_size=7))
def test_the_loop_reader_raises_only_its_own_errors_for_any_document(
    scratch: Path, doc: dict[str, object]
) -> None:
    path = scratch / "fuzz.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    _quietly(lambda: load_loop(path))


YAML_BITS = st.sampled_from(
    [
        "name: x\n",
        "indicators:\n",
        "  - id: a\n",
        "    unit: percent\n",
        "- ",
        "[",
        "]",
        "{",
        "}",
        "&a ",
        "*a ",
        "!!python/object:os.system ",
        "!!str ",
        "? ",
        ": ",
        "\t",
        "'",
        '"',
        "---\n",
        "...\n",
        "#",
        "%YAML 1.1\n",
        "<<: *a\n",
        "\x00",
        "\ufeff",
        "é",
        "\n",
        "  ",
        "a",
        "1",
    ]
)


@given(parts=st.lists(YAML_BITS, max_size=30), raw=st.binary(max_size=6))
@example(parts=["a: &a [*a]\n"], raw=b"")
@example(parts=["[" * 400], raw=b"")
def test_the_loop_reader_raises_only_its_own_errors_for_any_text(
    scratch: Path, parts: list[str], raw: bytes
) -> None:
    path = scratch / "fuzz.yaml"
    path.write_bytes("".join(parts).encode("utf-8") + raw)
    _quietly(lambda: load_loop(path))


def test_in_tree_refuses_an_outside_error() -> None:
    with pytest.raises(AssertionError, match="escaped the error tree"):
        in_tree(lambda: {}["x"])
    assert in_tree(lambda: (_ for _ in ()).throw(FeedbackloopError("fine"))) is None
