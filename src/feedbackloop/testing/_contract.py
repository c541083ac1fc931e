"""The contract tests third-party adapters subclass (needs pytest)."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, ClassVar

import pytest

from feedbackloop.adapters import Source, SourceInfo, contract_problems
from feedbackloop.errors import FeedbackloopError
from feedbackloop.series import IndicatorSeries

__all__ = ["AdapterContractTests"]


class AdapterContractTests:
    """Pytest checks of the adapter contract, for adapter authors to subclass.

    Subclass it in your package's tests, name your adapter class and give a
    source it can read::

        from feedbackloop.testing import AdapterContractTests

        class TestMyAdapter(AdapterContractTests):
            adapter_class = MyAdapter

            @pytest.fixture
            def source(self, tmp_path):
                return write_sample(tmp_path)

    ``unreadable_source`` (a fixture too) defaults to a path that does not
    exist; ``read_options`` (a dict) is passed to every ``read``.

    .. versionadded:: 0.1.0
    """

    adapter_class: ClassVar[type[Any]]
    read_options: ClassVar[dict[str, Any]] = {}

    def _adapter(self) -> Any:
        return self.adapter_class()

    @pytest.fixture
    def unreadable_source(self, tmp_path: Path) -> Source:
        """Return a source no adapter can read: a file that does not exist."""
        return str(tmp_path / "does-not-exist.nothing")

    def test_keeps_the_contract(self) -> None:
        """Name, API version, description, method signatures and options are right."""
        assert contract_problems(self.adapter_class) == []

    def test_name_is_a_lowercase_identifier(self) -> None:
        """The name can be an entry-point name and a Python identifier."""
        name = self.adapter_class.name
        assert isinstance(name, str) and name.isidentifier() and name == name.lower()

    def test_can_read_its_source(self, source: Source) -> None:
        """``can_read`` says yes to a source the adapter reads."""
        assert self._adapter().can_read(source) is True

    def test_can_read_says_no_without_raising(self, unreadable_source: Source) -> None:
        """``can_read`` is a cheap guess that never raises."""
        assert self._adapter().can_read(unreadable_source) in (True, False)

    def test_discover_describes_the_source(self, source: Source) -> None:
        """``discover`` returns a SourceInfo naming the adapter and some columns."""
        info = self._adapter().discover(source)
        assert isinstance(info, SourceInfo)
        assert info.adapter == self.adapter_class.name
        assert info.columns

    def test_read_returns_a_series_with_provenance(self, source: Source) -> None:
        """``read`` returns a non-empty IndicatorSeries that names the adapter."""
        series = self._adapter().read(source, **self.read_options)
        assert isinstance(series, IndicatorSeries)
        assert len(series) > 0
        assert series.provenance is not None
        assert series.provenance.adapter == self.adapter_class.name

    def test_read_options_are_keyword_only(self) -> None:
        """Every option after the source is keyword-only."""
        params = list(inspect.signature(self.adapter_class.read).parameters.values())[2:]
        assert all(p.kind is p.KEYWORD_ONLY for p in params)

    def test_unreadable_source_is_a_feedbackloop_error(self, unreadable_source: Source) -> None:
        """A source the adapter cannot read raises a FeedbackloopError, not a bare one."""
        with pytest.raises(FeedbackloopError):
            self._adapter().read(unreadable_source, **self.read_options)
