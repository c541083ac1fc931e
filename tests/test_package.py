from __future__ import annotations

import importlib
import json
import subprocess
import sys

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
