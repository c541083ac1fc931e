"""The adapter plugin system: discovery, loading, contract checks, read/discover/collect."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import feedbackloop as fl
from feedbackloop import FeedbackLoop, Indicator, SharedResult, SourceSpec
from feedbackloop.adapters import _registry
from feedbackloop.errors import (
    AdapterContractError,
    AdapterLoadError,
    AdapterNotFoundError,
    AdapterOptionError,
    AdapterSelectionError,
    AdapterWarning,
    SourceReadError,
)
from feedbackloop.testing import AdapterContractTests, MemoryAdapter

PLUGIN_REQUIRED = os.environ.get("FEEDBACKLOOP_REQUIRE_PLUGIN") == "1"


def tidy(n: int = 2) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "geography": ["06075"] * n,
            "period": [str(2020 + i) for i in range(n)],
            "value": [float(10 * (i + 1)) for i in range(n)],
            "moe": [1.0] * n,
        }
    )


@pytest.fixture
def memory() -> Iterator[type[MemoryAdapter]]:
    fl.adapters.register(MemoryAdapter, replace=True)
    try:
        yield MemoryAdapter
    finally:
        fl.adapters.unregister("memory")
        MemoryAdapter.clear()


@pytest.fixture
def fake_plugins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """Install fabricated entry points next to the real ones; return a setter."""
    real = _registry.entry_points

    def install(modules: dict[str, str], points: list[tuple[str, str]]) -> None:
        for name, code in modules.items():
            (tmp_path / f"{name}.py").write_text(textwrap.dedent(code), encoding="utf-8")
        monkeypatch.syspath_prepend(str(tmp_path))
        fake = [EntryPoint(n, v, _registry.GROUP) for n, v in points]

        def entry_points(*, group: str) -> list[EntryPoint]:
            return [*real(group=group), *fake]

        monkeypatch.setattr(_registry, "entry_points", entry_points)
        _registry.refresh()

    yield install
    monkeypatch.undo()
    _registry.refresh()


GOOD = """
from typing import ClassVar
from feedbackloop.adapters import ADAPTER_API, SourceInfo

class Good:
    name: ClassVar[str] = "good"
    api_version: ClassVar[int] = ADAPTER_API
    description: ClassVar[str] = "fine"
    def can_read(self, source):
        return str(source).endswith(".good")
    def discover(self, source):
        return SourceInfo(adapter="good", source=str(source), columns=("value",))
    def read(self, source, *, indicator=None):
        raise NotImplementedError
"""

BROKEN_CONTRACT = """
class Bad:
    name = "bad"
    api_version = 99
    description = "breaks every rule"
    def can_read(self, source):
        return True
    def read(self, source, **options):
        return None
"""


# ---------------------------------------------------------------- discovery


def test_builtins_are_listed_through_entry_points() -> None:
    listing = fl.adapters.available()
    for name in ("csv", "excel"):
        assert listing[name].distribution == "feedbackloop"
        assert listing[name].target.startswith(f"feedbackloop.adapters.{name}:")
    assert list(listing) == sorted(listing)


def test_listing_imports_nothing() -> None:
    code = (
        "import sys, feedbackloop as fl; fl.adapters.available(); "
        "print([m for m in ('feedbackloop.adapters.csv', 'feedbackloop_jsonl', 'openpyxl') "
        "if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_unknown_adapter_lists_installed_ones() -> None:
    with pytest.raises(AdapterNotFoundError, match=r"no adapter named 'nope' \(installed: .*csv"):
        fl.adapters.get("nope")
    with pytest.raises(LookupError):
        fl.read("nope", "x.csv")


def test_broken_plugin_warns_and_breaks_nothing_else(fake_plugins: Any) -> None:
    fake_plugins(
        {"fl_good": GOOD, "fl_bad": BROKEN_CONTRACT, "fl_crash": "raise RuntimeError('boom')"},
        [("good", "fl_good:Good"), ("bad", "fl_bad:Bad"), ("crash", "fl_crash:Thing")],
    )
    assert {"good", "bad", "crash"} <= set(fl.adapters.available())
    with pytest.raises(AdapterLoadError, match=r"'crash' \(fl_crash:Thing.*RuntimeError: boom"):
        fl.adapters.get("crash")
    with pytest.raises(AdapterContractError) as info:
        fl.adapters.get("bad")
    msg = str(info.value)
    for part in ("missing 'discover'", "api_version is 99", "must not take **kwargs"):
        assert part in msg
    with pytest.warns(AdapterWarning) as record:
        info2 = fl.discover(None, "data.good")
    assert info2.adapter == "good"
    warned = " ".join(str(w.message) for w in record)
    assert "crash" in warned and "bad" in warned


def test_duplicate_names_warn_and_resolve_deterministically(fake_plugins: Any) -> None:
    fake_plugins({"fl_good": GOOD}, [("csv", "fl_good:Good")])
    with pytest.warns(AdapterWarning, match="'csv' is declared more than once"):
        listing = fl.adapters.available()
    assert listing["csv"].distribution == "feedbackloop"


def test_entry_point_name_must_match_class_name(fake_plugins: Any) -> None:
    fake_plugins({"fl_good": GOOD}, [("other", "fl_good:Good")])
    with pytest.raises(AdapterContractError, match="must be the same"):
        fl.adapters.get("other")


def test_register_checks_the_contract_and_names() -> None:
    class NoRead:
        name = "noread"
        api_version = fl.adapters.ADAPTER_API
        description = "x"

        def can_read(self, source: str) -> bool:
            return False

        def discover(self, source: str, *args: Any) -> None:
            return None

    with pytest.raises(AdapterContractError, match=r"missing 'read'.*must not take \*args"):
        fl.adapters.register(NoRead)
    fl.adapters.register(MemoryAdapter.__module__ + ":MemoryAdapter")
    try:
        with pytest.raises(ValueError, match="already exists"):
            fl.adapters.register(MemoryAdapter)
    finally:
        fl.adapters.unregister("memory")


# ------------------------------------------------------------ read/discover


def test_read_and_discover_through_a_registered_adapter(memory: type[MemoryAdapter]) -> None:
    source = memory.put("jobs", tidy(3))
    info = fl.discover("memory", source)
    assert info.rows == 3 and info.periods == ("2020", "2021", "2022")
    series = fl.read(None, source)
    assert series.frame["value"].tolist() == [10.0, 20.0, 30.0]
    assert series.provenance is not None and series.provenance.adapter == "memory"
    with pytest.raises(AdapterOptionError, match=r"does not take 'dimension'.*dimensions"):
        fl.read("memory", source, dimension=["sex"])
    with pytest.raises(AdapterSelectionError, match="no installed adapter recognises"):
        fl.read(None, "something.unknown-format")


class TestMemoryAdapterContract(AdapterContractTests):
    adapter_class = MemoryAdapter

    @pytest.fixture
    def source(self) -> Iterator[str]:
        yield MemoryAdapter.put("contract", tidy())
        MemoryAdapter.clear()


# ------------------------------------------------------------------ collect


def loop_with_sources(*specs: SourceSpec | None) -> FeedbackLoop:
    indicators = tuple(
        Indicator(id=f"i{k}", name=f"I{k}", unit="count", direction="higher_is_better", source=s)
        for k, s in enumerate(specs)
    )
    return FeedbackLoop(
        name="Collect",
        indicators=indicators,
        shared_result=SharedResult(id="r", title="R", indicators=tuple(i.id for i in indicators)),
    )


def test_collect_keeps_going_past_a_bad_source(memory: type[MemoryAdapter]) -> None:
    ok = memory.put("ok", tidy())
    loop = loop_with_sources(
        SourceSpec(adapter="memory", path=ok),
        SourceSpec(adapter="memory", path="memory://missing"),
        SourceSpec(adapter="nope", path="x"),
        None,
    )
    result = fl.collect(loop, progress=False)
    assert list(result) == ["i0"]
    assert result["i0"].indicator.id == "i0"  # the loop's indicator is used
    assert isinstance(result.failures["i1"], SourceReadError)
    assert isinstance(result.failures["i2"], AdapterNotFoundError)
    assert result.without_source == ("i3",)
    assert not result.ok
    report = result.report()
    assert "FAILED  i1" in report and "no source: i3" in report
    with pytest.raises(SourceReadError, match="2 failed"):
        result.raise_for_failures()


def test_collect_resolves_paths_against_base_dir(tmp_path: Path) -> None:
    pytest.importorskip("feedbackloop_jsonl", reason="the example plugin is not installed")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "jobs.jsonl").write_text(
        json.dumps({"geography": "06", "period": "2020", "value": 5}) + "\n", encoding="utf-8"
    )
    loop = loop_with_sources(SourceSpec(adapter="jsonl", path="data/jobs.jsonl"))
    result = fl.collect(loop, base_dir=tmp_path, progress=False).raise_for_failures()
    assert result["i0"].frame["value"].tolist() == [5.0]


# ------------------------------------------------------------ the plugin


@pytest.fixture
def plugin() -> Any:
    try:
        import feedbackloop_jsonl
    except ImportError:
        if PLUGIN_REQUIRED:
            raise
        pytest.skip("examples/plugin is not installed (pip install ./examples/plugin)")
    return feedbackloop_jsonl


def test_third_party_plugin_is_discovered_and_used(plugin: Any, tmp_path: Path) -> None:
    info = fl.adapters.available()["jsonl"]
    assert (info.distribution, info.version) == ("feedbackloop-jsonl", "0.1.0")
    assert info.target == "feedbackloop_jsonl:JsonLinesAdapter"
    path = tmp_path / "enrolled.jsonl"
    lines = [
        {"geography": "06075", "period": "2021", "sex": "F", "value": 7, "moe": 2},
        {"geography": "06075", "period": "2021", "sex": "M", "value": 9, "moe": 3},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    series = fl.read(None, path)  # picked by can_read
    assert series.dimensions == ("sex",)
    assert series.frame["value"].tolist() == [7.0, 9.0]
    assert fl.discover("jsonl", path).dimensions == ("sex",)


def test_plugin_contract_tests_pass(plugin: Any) -> None:
    tests = Path(__file__).parents[1] / "examples" / "plugin" / "tests"
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "9 passed" in out.stdout


# ------------------------------------------------------------ declared options

DECLARED = """
from typing import Any, ClassVar
from attrs import field, frozen
from feedbackloop.adapters import (
    ADAPTER_API, SourceInfo, option, parse_options, with_options,
)

@frozen(kw_only=True)
class Opts:
    unit: str | None = field(default=None, metadata=option("The unit.", discover=True))
    lookup: str | None = field(default=None, metadata=option("A lookup file.", path=True))

class Declared:
    name: ClassVar[str] = "declared"
    api_version: ClassVar[int] = ADAPTER_API
    description: ClassVar[str] = "declares its options"
    options: ClassVar[type[Opts]] = Opts
    seen: ClassVar[list[Any]] = []

    def can_read(self, source):
        return str(source).endswith(".declared")

    @with_options(Opts, discover=True)
    def discover(self, source, **options):
        parse_options(Opts, options, adapter=self.name, method="discover")
        return SourceInfo(adapter="declared", source=str(source), columns=("value",))

    @with_options(Opts)
    def read(self, source, **options):
        self.seen.append(parse_options(Opts, options, adapter=self.name))
        raise NotImplementedError
"""


def test_declared_options_make_the_signature_and_are_checked(fake_plugins: Any) -> None:
    fake_plugins({"fl_declared": DECLARED}, [("declared", "fl_declared:Declared")])
    impl = fl.adapters.get("declared")
    assert list(inspect.signature(impl.read).parameters) == ["source", "unit", "lookup"]
    assert list(inspect.signature(impl.discover).parameters) == ["source", "unit"]
    assert "lookup : str | None, default None" in (type(impl).read.__doc__ or "")
    opts = fl.adapters.options_of(impl)
    assert (opts["lookup"].path, opts["unit"].path, opts["unit"].discover) == (True, False, True)
    with pytest.raises(AdapterOptionError, match=r"does not take 'units' \(did you mean 'unit'"):
        fl.read("declared", "x.declared", units="count")
    with pytest.raises(AdapterOptionError, match=r"discover\(\) does not take 'lookup'"):
        fl.discover("declared", "x.declared", lookup="a.csv")
    # collect resolves declared path options against the loop's folder
    loop = loop_with_sources(
        SourceSpec(adapter="declared", path="x.declared", options={"lookup": "maps/a.csv"})
    )
    result = fl.collect(loop, base_dir="/data/loop", progress=False)
    assert isinstance(result.failures["i0"], SourceReadError)  # NotImplementedError, wrapped
    seen = type(impl).seen[-1]  # type: ignore[attr-defined]
    assert Path(seen.lookup) == Path("/data/loop/maps/a.csv")


def test_bad_option_declarations_are_contract_errors() -> None:
    from attrs import field, frozen

    from feedbackloop.adapters import option

    @frozen(kw_only=True)
    class Opts:
        unit: str | None = field(default=None, metadata=option("The unit.", path="yes"))  # type: ignore[arg-type]
        needed: str = field(metadata=option("No default."))

    class Spelt:
        name = "spelt"
        api_version = fl.adapters.ADAPTER_API
        description = "x"
        options = Opts

        def can_read(self, source: str) -> bool:
            return False

        def discover(self, source: str) -> None:
            return None

        def read(self, source: str, *, unit: str | None = None, extra: int = 0) -> None:
            return None

    with pytest.raises(AdapterContractError) as info:
        fl.adapters.register(Spelt)
    msg = str(info.value)
    assert "'spelt'" in msg
    assert "option 'unit': path must be True or False" in msg
    assert "option 'needed' needs a default" in msg

    @frozen(kw_only=True)
    class Fine:
        unit: str | None = field(default=None, metadata=option("The unit."))

    Spelt.options = Fine  # type: ignore[assignment]
    problems = fl.adapters.contract_problems(Spelt)
    assert problems == ["read() takes 'extra', which options does not declare"]
    Spelt.options = {"unit": "x"}  # type: ignore[assignment]
    assert fl.adapters.contract_problems(Spelt) == [
        "options must be an attrs class whose fields are the options, not dict"
    ]


def test_options_without_a_declaration_come_from_the_signature() -> None:
    class Legacy:
        name = "legacy"

        def read(
            self, source: str, *, cache_dir: str | os.PathLike[str] | None = None, n: int = 1
        ) -> None:
            return None

        def discover(self, source: str) -> None:
            return None

    opts = fl.adapters.options_of(Legacy(), "read")
    assert list(opts) == ["cache_dir", "n"]
    assert opts["cache_dir"].path and not opts["n"].path and opts["n"].default == 1
    assert fl.adapters.options_of(Legacy, "discover") == {}
    census = fl.adapters.options_of(fl.adapters.get("census"))
    assert census["cache_dir"].path and not census["key"].path


def test_builtin_adapters_declare_their_options() -> None:
    for name in ("csv", "excel", "census", "pdf"):
        impl = fl.adapters.get(name)
        assert fl.adapters.contract_problems(type(impl)) == []
        declared = fl.adapters.options_of(impl)
        params = list(inspect.signature(impl.read).parameters)[1:]
        assert [p for p in params if p != "warn"] == list(declared), name
    csv = fl.adapters.options_of(fl.adapters.get("csv"))
    assert {n for n, o in csv.items() if o.path} == {"column_mapping", "code_mapping"}
