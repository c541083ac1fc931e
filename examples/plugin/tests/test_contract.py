"""The plugin checks itself against feedbackloop's adapter contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from feedbackloop_jsonl import JsonLinesAdapter

from feedbackloop.testing import AdapterContractTests


def write_sample(folder: Path) -> Path:
    path = folder / "employed.jsonl"
    rows = [
        {"geography": "06075", "period": "2022", "sex": "F", "value": 1200, "moe": 150},
        {"geography": "06075", "period": "2022", "sex": "M", "value": 1100, "moe": 140},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


class TestJsonLinesAdapter(AdapterContractTests):
    adapter_class = JsonLinesAdapter

    @pytest.fixture
    def source(self, tmp_path: Path) -> str:
        return str(write_sample(tmp_path))


def test_values_are_read(tmp_path: Path) -> None:
    series = JsonLinesAdapter().read(write_sample(tmp_path))
    assert series.frame["value"].tolist() == [1200.0, 1100.0]
    assert series.dimensions == ("sex",)
