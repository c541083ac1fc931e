"""Reading sources through adapters: ``read``, ``discover`` and ``collect``."""

from __future__ import annotations

import glob
import inspect
import os
import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from attrs import field, frozen

from feedbackloop._util import import_optional, module_available, resolve_confined
from feedbackloop.adapters._base import Source, SourceAdapter, SourceInfo, source_label
from feedbackloop.adapters._options import options_of, unknown_options
from feedbackloop.adapters._registry import available, get, load_all
from feedbackloop.engines import scan
from feedbackloop.engines import table as open_table
from feedbackloop.errors import (
    AdapterOptionError,
    AdapterSelectionError,
    AdapterWarning,
    EngineError,
    FeedbackloopError,
    PathNotAllowedError,
    ScanError,
    SourceReadError,
)

if TYPE_CHECKING:
    from feedbackloop.model import FeedbackLoop, Indicator
    from feedbackloop.series import IndicatorSeries

__all__ = ["CollectResult", "collect", "discover", "read"]


def _check_options(adapter: SourceAdapter, method: str, options: Mapping[str, Any]) -> None:
    accepted = options_of(adapter, method)
    unknown = set(options) - set(accepted)
    if unknown:
        raise unknown_options(adapter.name, method, unknown, accepted)


def _check_source(adapter: SourceAdapter, method: str, source: Source | None) -> None:
    if source is not None:
        return
    first = next(iter(inspect.signature(getattr(adapter, method)).parameters.values()))
    if first.default is inspect.Parameter.empty:
        raise AdapterOptionError(
            f"adapter {adapter.name!r} {method}() needs a source (a path, URL or dataset)"
        )


def _choose(adapter: str | None, source: Source | None) -> SourceAdapter:
    if adapter is not None:
        return get(adapter)
    if source is None:
        raise AdapterSelectionError(
            "give an adapter name when there is no source to recognise, e.g. "
            "feedbackloop.read('census', dataset=..., ...)"
        )
    candidates: list[SourceAdapter] = []
    for impl in load_all().values():
        try:
            if impl.can_read(source):
                candidates.append(impl)
        except Exception as err:  # noqa: BLE001 - a broken plugin must not break the others
            warnings.warn(
                f"adapter {impl.name!r} failed in can_read({source_label(source)!r}): "
                f"{type(err).__name__}: {err}",
                AdapterWarning,
                stacklevel=3,
            )
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise AdapterSelectionError(
            f"no installed adapter recognises {source_label(source)!r} (installed: "
            f"{', '.join(available()) or 'none'}); name one with adapter=..."
        )
    raise AdapterSelectionError(
        f"several adapters can read {source_label(source)!r}: "
        f"{', '.join(c.name for c in candidates)}; choose one with adapter=..."
    )


def read(adapter: str | None, source: Source | None = None, /, **options: Any) -> IndicatorSeries:
    """Read ``source`` with an adapter into an :class:`~feedbackloop.IndicatorSeries`.

    Parameters
    ----------
    adapter : str or None
        An adapter name from :func:`feedbackloop.adapters.available`; ``None``
        asks every adapter's ``can_read`` and uses the only one that says yes.
    source : str or path, optional
        A file path, URL or dataset identifier; adapters for APIs (``census``)
        may take everything as options instead.
    **options
        The adapter's read options (see its ``read`` signature, or
        :func:`feedbackloop.adapters.options_of`).

    Returns
    -------
    IndicatorSeries

    Raises
    ------
    AdapterNotFoundError
        Unknown adapter name (the message lists the installed ones).
    AdapterSelectionError
        ``adapter=None`` and not exactly one adapter recognises the source.
    AdapterOptionError
        An option the adapter does not accept.
    SourceReadError
        The adapter could not read the source.
    """
    impl = _choose(adapter, source)
    _check_options(impl, "read", options)
    _check_source(impl, "read", source)
    # _check_source let None through only to adapters whose source is optional.
    series: IndicatorSeries = impl.read(cast(Source, source), **options)
    return series


def discover(adapter: str | None, source: Source | None = None, /, **options: Any) -> SourceInfo:
    """Describe ``source`` (columns, dimensions, periods, units) without reading all of it.

    Parameters and errors are those of :func:`read`.

    Returns
    -------
    SourceInfo
    """
    impl = _choose(adapter, source)
    _check_options(impl, "discover", options)
    _check_source(impl, "discover", source)
    info: SourceInfo = impl.discover(cast(Source, source), **options)
    return info


def _failures(value: Mapping[str, FeedbackloopError]) -> Mapping[str, FeedbackloopError]:
    return dict(value)


def _series(value: Mapping[str, IndicatorSeries]) -> Mapping[str, IndicatorSeries]:
    return dict(value)


def _ids(value: Any) -> tuple[str, ...]:
    return tuple(value)


@frozen
class CollectResult(Mapping[str, "IndicatorSeries"]):
    """The series :func:`collect` read, keyed by indicator id, and what failed.

    Behaves as a read-only mapping of the series that were read.

    Attributes
    ----------
    series : mapping of str to IndicatorSeries
        What was read.
    failures : mapping of str to FeedbackloopError
        Indicator id to the error its source raised.
    without_source : tuple of str
        Indicators that declare no source.
    """

    series: Mapping[str, IndicatorSeries] = field(converter=_series)
    failures: Mapping[str, FeedbackloopError] = field(converter=_failures)
    without_source: tuple[str, ...] = field(converter=_ids)

    def __getitem__(self, key: str) -> IndicatorSeries:
        return self.series[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.series)

    def __len__(self) -> int:
        return len(self.series)

    @property
    def ok(self) -> bool:
        """Whether every declared source was read."""
        return not self.failures

    def report(self) -> str:
        """Return a plain-text report: read, failed (with the reason), without a source."""
        lines = [f"read {len(self.series)} source(s), {len(self.failures)} failed"]
        lines += [f"  ok      {k}: {len(v)} rows" for k, v in self.series.items()]
        lines += [f"  FAILED  {k}: {v}" for k, v in self.failures.items()]
        if self.without_source:
            lines.append("  no source: " + ", ".join(self.without_source))
        return "\n".join(lines)

    def raise_for_failures(self) -> CollectResult:
        """Raise :class:`SourceReadError` listing every failure, if any source failed.

        Returns
        -------
        CollectResult
            ``self``, when nothing failed (so calls chain).
        """
        if self.failures:
            first = next(iter(self.failures.values()))
            raise SourceReadError(self.report()) from first
        return self


def _progress(total: int, enabled: bool | None) -> Any:
    if enabled is None:
        enabled = sys.stderr.isatty()
    if enabled and total > 1 and module_available("tqdm"):
        tqdm = import_optional("tqdm.auto", extra="census", purpose="a progress bar").tqdm
        return tqdm(total=total, desc="collect", unit="source")
    return None


@frozen
class _Confine:
    """Where a loop's files may be: its folder and the roots its author or user allowed."""

    base: Path
    roots: tuple[str, ...]

    def resolve(self, path: str | None, what: str) -> str | None:
        if path is None or "://" in path:
            return path
        return str(resolve_confined(path, base=self.base, roots=self.roots, what=what))

    def files(self, path: str, what: str) -> tuple[str, ...]:
        """Expand a pooled dataset's glob, file or folder; every match must be allowed too."""
        if "://" in path:
            raise ScanError(
                f"{what}: a pooled dataset is local Parquet files (a glob, a file or a folder), "
                f"not {path!r}; scan remote tables with feedbackloop.scan(table)",
                path=path,
            )
        pattern = self.resolve(path, what)
        assert pattern is not None
        if Path(pattern).is_dir():
            pattern = os.path.join(pattern, "**", "*.parquet")
        matches = sorted(glob.glob(pattern, recursive=True))
        if not matches:
            raise ScanError(
                f"{what}: no files match {path!r} (looked for {pattern}); check the path, "
                "which is relative to the loop file's folder",
                path=path,
            )
        # A match may be a symbolic link that leads outside: each is checked, resolved.
        return tuple(str(self.resolve(m, what)) for m in matches)


_POOLED_OPTIONS = {"memory_limit": False, "temp_directory": True, "database": True}


@frozen
class _Pooled:
    """A pooled dataset (Parquet files, confined and listed, or an engine's table) to scan."""

    files: tuple[str, ...]
    indicator: Indicator
    engine: str
    options: dict[str, Any]
    table: str | None = None

    def read(self) -> IndicatorSeries:
        if self.table is None:
            lazy = scan(
                list(self.files), indicator=self.indicator, engine=self.engine, **self.options
            )
            return lazy.collect()
        where = f"indicator {self.indicator.id!r}"
        try:
            table = open_table(self.table, engine=self.engine, **self.options)
        except ScanError as err:
            raise ScanError(f"{where}: {err}", path=err.path) from err
        return scan(table, indicator=self.indicator).collect()


def _prepare_pooled(
    indicator: Indicator, where: str, confine: _Confine, engine: str | None
) -> _Pooled:
    """Check a pooled source's options and list its files (nothing is opened)."""
    spec = indicator.source
    assert spec is not None and spec.engine is not None
    allowed = set(_POOLED_OPTIONS) - ({"database"} if spec.table is None else set())
    unknown = sorted(set(spec.options) - allowed)
    if unknown:
        raise AdapterOptionError(
            f"indicator {indicator.id!r}: a pooled source takes the options "
            f"{', '.join(sorted(allowed))}, not {unknown[0]!r} ({where}.options)"
        )
    options = dict(spec.options)
    for name, value in options.items():
        if _POOLED_OPTIONS[name] and isinstance(value, str):
            options[name] = confine.resolve(value, f"{where}.options.{name}")
    if spec.table is None:
        assert spec.path is not None
        files = confine.files(spec.path, f"{where}.path")
        return _Pooled(files, indicator, engine or spec.engine, options)
    on = engine or spec.engine
    if (on == "duckdb") != ("database" in options):
        raise AdapterOptionError(
            f"indicator {indicator.id!r}: a table on DuckDB is read from a database file "
            f"({where}.options.database); a table on Spark from Spark's catalog (no database)"
            + (f"; --engine {on} cannot move a {spec.engine} table" if on != spec.engine else "")
        )
    return _Pooled((), indicator, on, options, table=spec.table)


@frozen
class _Prepared:
    """An indicator's source, resolved and checked, ready to read."""

    impl: SourceAdapter
    source: str | None
    options: dict[str, Any]

    def read(self) -> IndicatorSeries:
        series: IndicatorSeries = self.impl.read(cast(Source, self.source), **self.options)
        return series


def _prepare(indicator: Indicator, where: str, confine: _Confine) -> _Prepared:
    """Resolve and check an indicator's source and options (nothing is opened)."""
    spec = indicator.source
    assert spec is not None and spec.adapter is not None
    impl = get(spec.adapter)
    options = dict(spec.options)
    accepted = options_of(impl, "read")
    if "indicator" in accepted and "indicator" not in options:
        options["indicator"] = indicator
    _check_options(impl, "read", options)
    for name, value in options.items():
        if isinstance(value, str) and accepted[name].path:
            options[name] = confine.resolve(value, f"{where}.options.{name}")
    source = confine.resolve(spec.path, f"{where}.path")
    try:
        _check_source(impl, "read", source)
    except AdapterOptionError as err:
        raise AdapterOptionError(
            f"indicator {indicator.id!r}: {err}; add 'path:' to its source in the loop file"
        ) from err
    return _Prepared(impl, source, options)


def _adapter_bug(indicator: Indicator, err: Exception) -> SourceReadError:
    spec = indicator.source
    return SourceReadError(
        f"{type(err).__name__}: {err} (a bug in the adapter; report it to its authors)",
        adapter=(spec.adapter or f"engine {spec.engine}") if spec else "",
        source=(spec.path or "") if spec else "",
    )


def collect(
    loop: FeedbackLoop,
    *,
    base_dir: str | Path | None = None,
    allow_paths: Iterable[str | os.PathLike[str]] = (),
    progress: bool | None = None,
    engine: str | None = None,
) -> CollectResult:
    """Read the source of every indicator in ``loop`` that declares one.

    One failing source never loses the others: its error is kept in
    :attr:`CollectResult.failures` and the rest are read.

    Parameters
    ----------
    loop : FeedbackLoop
    base_dir : path, optional
        Directory relative paths are resolved against; default the folder
        of the loop file (``loop.base_dir``, set by :func:`~feedbackloop.load_loop`),
        else the current directory. Resolved are each
        source's ``path`` and every option given as text that the adapter
        declares as a path (:attr:`Option.path <feedbackloop.adapters.Option.path>`;
        for an adapter that declares no ``options``, a ``read`` parameter whose
        annotation accepts :class:`os.PathLike`), e.g. the census adapter's
        ``cache_dir`` or the csv adapter's ``column_mapping`` file. URLs are
        left as they are.
    allow_paths : iterable of path-like
        Folders, besides ``base_dir`` and the loop's ``data_roots``, that
        sources may be read from. Every other path, relative (``../``) or
        absolute, is refused with :class:`~feedbackloop.errors.PathNotAllowedError`
        before it is opened, so a loop file from elsewhere cannot make
        feedbackloop read (and echo) any file on the machine.
    progress : bool, optional
        Show a progress bar (needs ``tqdm``); default when stderr is a terminal.
    engine : {"duckdb", "spark"}, optional
        Scan every pooled source (``source: {engine: ..., path: ...}``) on
        this engine instead of the one its source names. Sources read by
        adapters are read as before. A pooled source's glob is expanded
        before anything is read, and every file it matches must lie in the
        allowed folders.

    Returns
    -------
    CollectResult

    Raises
    ------
    PathNotAllowedError
        A source path or path option outside the allowed folders (before any
        source is read). Every other problem is kept per indicator.
    EngineError
        ``engine`` is not ``"duckdb"`` or ``"spark"``.
    """
    if engine is not None and engine not in ("duckdb", "spark"):
        raise EngineError(f"engine must be 'duckdb' or 'spark' (got {engine!r})")
    if base_dir is None:
        base_dir = loop.base_dir
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    confine = _Confine(base, (*loop.data_roots, *(os.fspath(p) for p in allow_paths)))
    without = [i.id for i in loop.indicators if i.source is None]
    failures: dict[str, FeedbackloopError] = {}
    ready: dict[str, tuple[Indicator, _Prepared | _Pooled]] = {}
    # Every path is checked before any source is opened: one outside the allowed
    # folders stops the whole collection (the loop file asks for what it must not).
    for i, indicator in enumerate(loop.indicators):
        if indicator.source is None:
            continue
        where = f"indicators[{i}].source"
        try:
            ready[indicator.id] = (
                indicator,
                _prepare_pooled(indicator, where, confine, engine)
                if indicator.source.engine is not None
                else _prepare(indicator, where, confine),
            )
        except PathNotAllowedError:
            raise
        except FeedbackloopError as err:
            failures[indicator.id] = err
    bar = _progress(len(ready), progress)
    series: dict[str, IndicatorSeries] = {}
    try:
        for key, (indicator, prepared) in ready.items():
            try:
                series[key] = prepared.read()
            except FeedbackloopError as err:
                failures[key] = err
            except Exception as err:  # noqa: BLE001 - a plugin bug must not lose the others
                failures[key] = _adapter_bug(indicator, err)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return CollectResult(series=series, failures=failures, without_source=without)
