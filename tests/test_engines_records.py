"""Record-level map stages on the engines: the same tokens as in memory, batch by batch."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from feedbackloop.errors import PseudonymizationError
from feedbackloop.privacy import pseudonymize

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

pytest.importorskip("duckdb", reason="the engines need the duckdb extra: feedbackloop[duckdb]")
pytest.importorskip("ibis", reason="the engines need the duckdb extra: feedbackloop[duckdb]")

from feedbackloop import engines  # noqa: E402

KEY = "k" * 32
FIELDS = ["ssn", "dob", "name"]


def _clients(n: int = 60) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ssn": [f"{100000000 + 7 * i:09d}" for i in range(n)],
            "dob": [f"19{50 + i % 40}-0{1 + i % 9}-1{i % 9}" for i in range(n)],
            "name": [f" Name-{i % 13} " for i in range(n)],
            "school": [f"S{i % 4}" for i in range(n)],
            "visits": pd.array([i if i % 5 else None for i in range(n)], dtype="Int64"),
        }
    )


@pytest.fixture(params=["duckdb", "spark"])
def engine(request: pytest.FixtureRequest) -> str:
    if request.param == "spark":
        pytest.importorskip("pyspark", reason="PySpark is not installed: feedbackloop[spark]")
        if shutil.which("java") is None:
            pytest.skip("no Java runtime: apt-get install openjdk-17-jre-headless")
    return str(request.param)


def _write(tmp_path: Path, df: pd.DataFrame, parts: int = 3) -> str:
    folder = tmp_path / "records"
    folder.mkdir()
    step = -(-len(df) // parts)
    for i in range(parts):
        chunk = df.iloc[i * step : (i + 1) * step]
        pq.write_table(pa.Table.from_pandas(chunk, preserve_index=False), folder / f"{i}.parquet")
    return str(folder / "*.parquet")


def test_tokens_are_the_in_memory_tokens(tmp_path: Path, engine: str) -> None:
    df = _clients()
    files = engines.pseudonymize(
        _write(tmp_path, df),
        FIELDS,
        KEY,
        tmp_path / "out",
        engine=engine,  # type: ignore[arg-type]
        batch_rows=7,  # many batches, across files
    )
    got = pa.concat_tables([pq.read_table(f) for f in files]).to_pandas()
    want = pseudonymize(df, FIELDS, KEY)
    assert list(got.columns) == ["token", "school", "visits"]
    assert len(got) == len(want) == 60
    got = got.sort_values("token").reset_index(drop=True)
    want = want.sort_values("token").reset_index(drop=True)
    assert got["token"].tolist() == want["token"].tolist()
    assert got["school"].tolist() == want["school"].tolist()
    assert got["visits"].astype("Int64").tolist() == want["visits"].tolist()


def test_errors_name_the_record_and_its_batch(tmp_path: Path) -> None:
    df = _clients(30)
    df.loc[23, "ssn"] = None
    glob = _write(tmp_path, df, parts=1)
    with pytest.raises(PseudonymizationError, match=r"starting at record 20.*rows \[3\]"):
        engines.pseudonymize(glob, FIELDS, KEY, tmp_path / "out", batch_rows=10)
    with pytest.raises(PseudonymizationError, match=r"'email'.*not found"):
        engines.pseudonymize(glob, ["email"], KEY, tmp_path / "out2")
    with pytest.raises(PseudonymizationError, match="already exists"):
        engines.pseudonymize(glob, ["ssn"], KEY, tmp_path / "out3", column="school")


def test_kept_identifiers_and_dates_match_memory(tmp_path: Path) -> None:
    df = _clients(12)
    df["dob"] = [f"0{1 + i % 9}/1{i % 9}/1980" for i in range(12)]
    kwargs: dict[str, Any] = {"drop": False, "dates": ["dob"], "date_format": "%m/%d/%Y"}
    files = engines.pseudonymize(
        _write(tmp_path, df), FIELDS, KEY, tmp_path / "out", batch_rows=5, **kwargs
    )
    got = pa.concat_tables([pq.read_table(f) for f in files]).to_pandas()
    want = pseudonymize(df, FIELDS, KEY, **kwargs)
    assert list(got.columns) == list(want.columns) == ["token", *df.columns]
    assert got["token"].tolist() == want["token"].tolist()
    assert got["ssn"].tolist() == df["ssn"].tolist()
