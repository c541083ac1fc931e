from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import feedbackloop

PUBLIC_MODULES = [
    "feedbackloop",
    "feedbackloop.model",
    "feedbackloop.io",
    "feedbackloop.errors",
    "feedbackloop.units",
    "feedbackloop.stats",
    "feedbackloop.period",
    "feedbackloop.series",
    "feedbackloop.privacy",
    "feedbackloop.measures",
    "feedbackloop.census",
    "feedbackloop.pdf",
    "feedbackloop.benchmarking",
    "feedbackloop.adapters",
    "feedbackloop.planning",
    "feedbackloop.inventory",
    "feedbackloop.agreements",
    "feedbackloop.actions",
    "feedbackloop.plot",
    "feedbackloop.report",
    "feedbackloop.testing",
    "feedbackloop.examples",
]


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_all_is_sorted_and_resolvable(name: str) -> None:
    mod = importlib.import_module(name)
    names = list(mod.__all__)

    def isort_key(n: str) -> tuple[int, str]:  # ruff RUF022: CONSTANTS, Classes, functions
        return (0 if n.isupper() else 1 if n[0].isupper() else 2, n)

    assert names == sorted(names, key=isort_key), f"{name}.__all__ is not sorted"
    for attr in names:
        assert getattr(mod, attr) is not None, f"{name}.{attr} does not resolve"


def test_version() -> None:
    assert isinstance(feedbackloop.__version__, str)


def test_import_is_light() -> None:
    """`import feedbackloop` loads neither pandas nor any optional heavy dependency."""
    code = (
        "import sys, json, feedbackloop, feedbackloop.model; "
        "print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    heavy = {
        "pandas",
        "pyarrow",
        "httpx",
        "pdfplumber",
        "matplotlib",
        "openpyxl",
        "pint",
        "networkx",
        "scipy",
        "hypothesis",
        "tqdm",
    }
    assert loaded & heavy == set()


def test_errors_share_one_root_and_builtin_bases() -> None:
    from feedbackloop import errors

    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, Exception) and not issubclass(obj, Warning):
            assert issubclass(obj, errors.FeedbackloopError), name
    assert issubclass(errors.UnknownNodeError, KeyError)
    assert issubclass(errors.AdapterNotFoundError, LookupError)
    assert issubclass(errors.MissingDependencyError, ImportError)
    assert issubclass(errors.AdapterWarning, errors.FeedbackloopWarning)


def test_io_keeps_atomic_write_text(tmp_path: Path) -> None:
    from feedbackloop import io

    target = tmp_path / "out.txt"
    io.atomic_write_text(target, "héllo\n")
    assert target.read_text(encoding="utf-8") == "héllo\n"
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]


def test_entry_point_targets_resolve() -> None:
    from importlib.metadata import entry_points

    from feedbackloop.adapters import contract_problems

    found = {ep.name: ep for ep in entry_points(group="feedbackloop.adapters")}
    expected = {
        "csv": "feedbackloop.adapters.csv:CsvAdapter",
        "excel": "feedbackloop.adapters.excel:ExcelAdapter",
        "census": "feedbackloop.adapters.census:CensusAdapter",
        "pdf": "feedbackloop.adapters.pdf:PdfAdapter",
    }
    for name, target in expected.items():
        assert found[name].value == target
        cls = found[name].load()
        assert isinstance(cls, type) and not contract_problems(cls), name
    (main,) = [ep for ep in entry_points(group="console_scripts") if ep.name == "feedbackloop"]
    assert main.value == "feedbackloop.cli:main"
    assert callable(main.load())
