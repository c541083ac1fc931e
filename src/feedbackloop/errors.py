"""Every exception and warning feedbackloop raises.

One root, :class:`FeedbackloopError`; each concrete class also inherits the
builtin exception a caller would already catch, so ``except ValueError`` keeps
working around code that does not know feedbackloop::

    FeedbackloopError
    ├── LoopError(ValueError)                   the results graph is inconsistent
    │   ├── LoopValidationError                 every problem found, at once
    │   └── UnknownNodeError(KeyError)          a node id that is not in the loop
    ├── LoopFileError(ValueError)               a loop YAML file is malformed
    ├── IndicatorError(ValueError)              an indicator that is not well defined
    ├── UnitError(ValueError)                   unknown unit, impossible conversion
    ├── PeriodError(ValueError)                 a period label that does not parse
    ├── TargetError(ValueError)                 a target that is not well defined
    ├── BinnedMedianError(ValueError)           binned counts that give no median
    ├── SeriesError(ValueError)                 an IndicatorSeries operation refused
    │   ├── SeriesValidationError               a frame that is not a valid series
    │   └── NotAdditiveError                    summing rates, medians or percentages
    ├── SpcError(ValueError)                    a run or control chart that cannot be drawn
    ├── BoundaryError(ValueError)               map boundaries that cannot be read or keyed
    ├── WorkbookError(ValueError)               an Excel workbook that cannot be written as asked
    ├── PrivacyError                            disclosure control
    │   ├── PolicyError(ValueError)             a policy or audience table that is malformed
    │   ├── ExportRefusedError(PermissionError) data its audience may not see
    │   │   └── UnknownAudienceError(KeyError, ValueError)  an audience nobody defines
    │   ├── SuppressionError(ValueError)        a series that cannot be protected as asked
    │   ├── LinkageKeyError(ValueError)         a missing, empty or too short linkage key
    │   ├── PseudonymizationError(ValueError)   identifiers that cannot be tokenized
    │   └── BenchmarkError(ValueError)          a benchmark that would expose a partner
    ├── AdapterError                            source adapters
    │   ├── AdapterNotFoundError(LookupError)
    │   ├── AdapterLoadError(ImportError)
    │   ├── AdapterContractError(TypeError)
    │   ├── AdapterConflictError(ValueError)    a name registered twice
    │   ├── AdapterOptionError(TypeError)       options an adapter does not accept
    │   ├── AdapterSelectionError(LookupError)  no adapter, or several, claim a source
    │   └── SourceReadError(ValueError)         a source that could not be read
    │       ├── SpreadsheetReadError            CSV / Excel rows that make no series
    │       ├── CensusError                     .request (key removed), .status
    │       │   ├── CensusKeyError              invalid key (HTML page) or keyless redirect
    │       │   ├── CensusNotFoundError(LookupError)   dataset or year not found (404)
    │       │   ├── UnknownVariableError(LookupError)  with close names from variables.json
    │       │   │   └── UnknownTableError       a table (group) the vintage does not have
    │       │   ├── CensusGeographyError        geography or hierarchy not offered
    │       │   ├── CensusResponseError         anything that is not the expected JSON
    │       │   ├── CensusServerError           5xx / connection failures after retries
    │       │   ├── CensusTimeoutError(TimeoutError)   timeouts after retries
    │       │   └── CensusOfflineError          offline=True and the cache lacks something
    │       ├── PdfReadError                    .page
    │       │   ├── NotAPdfError                missing file, or no %PDF- header
    │       │   ├── EncryptedPdfError           password missing or wrong
    │       │   ├── NoTextLayerError            a scanned page: needs OCR
    │       │   ├── PageRangeError(IndexError)  a page the PDF does not have
    │       │   └── NoTableFoundError(LookupError)
    │       └── SurveyError                     .column, .rows: a survey file or design
    │           ├── SurveyDesignError           weights, replicate weights, strata, PSUs
    │           │   └── LonelyPsuError          a stratum with one PSU (.strata)
    │           └── CodebookError(LookupError)  value labels or answer codes off the codebook
    ├── PlanningFileError(ValueError)           inventory, agreement or plan file
    │   ├── InventoryError
    │   ├── AgreementError
    │   ├── ActionPlanError
    │   └── CycleLogError                       a PDSA cycle log
    ├── LinkageError                            matching records across agencies
    │   ├── LinkageInputError(ValueError)       a record file that cannot be linked as given
    │   │   └── DuplicateRecordError            record ids repeated within one agency
    │   ├── BlockingError(ValueError)           a blocking rule that yields no pairs
    │   └── IdentifierExportError(PermissionError)  raw identifiers the agreement forbids
    ├── PathNotAllowedError(PermissionError)    a file outside the loop's allowed folders
    ├── PosterError(RuntimeError)               headless Chromium could not print a poster
    ├── EngineError(RuntimeError)               DuckDB or Spark could not do the work
    │   ├── ScanError(ValueError)               .path, .column: no files, or schemas disagree
    │   └── EngineMemoryError(MemoryError)      .operation: the memory limit is too small
    └── MissingDependencyError(ImportError)     an optional extra is not installed
        ├── BrowserNotFoundError                no Chromium to print posters with
        └── JavaNotFoundError                   no Java for Spark

    FeedbackloopWarning(UserWarning)
    ├── LoopWarning                             a loop that is valid but suspicious
    ├── StatisticalWarning                      e.g. overlapping ACS periods compared
    ├── RoundingWarning                         a table that could not be rounded additively
    ├── BoundaryJoinWarning                     data codes and map shapes that do not match
    └── AdapterWarning(RuntimeWarning)          a plugin that could not be loaded

Warnings may also live beside the code that issues them; every error class
lives here, so ``from feedbackloop.errors import X`` works for all of them.

Every error passes its constructor arguments to ``Exception.__init__`` so that
it pickles (and so crosses process boundaries) unchanged.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ActionPlanError",
    "AdapterConflictError",
    "AdapterContractError",
    "AdapterError",
    "AdapterLoadError",
    "AdapterNotFoundError",
    "AdapterOptionError",
    "AdapterSelectionError",
    "AdapterWarning",
    "AgreementError",
    "BenchmarkError",
    "BinnedMedianError",
    "BlockingError",
    "BoundaryError",
    "BoundaryJoinWarning",
    "BrowserNotFoundError",
    "CensusError",
    "CensusGeographyError",
    "CensusKeyError",
    "CensusNotFoundError",
    "CensusOfflineError",
    "CensusResponseError",
    "CensusServerError",
    "CensusTimeoutError",
    "CodebookError",
    "CycleLogError",
    "DuplicateRecordError",
    "EncryptedPdfError",
    "EngineError",
    "EngineMemoryError",
    "ExportRefusedError",
    "FeedbackloopError",
    "FeedbackloopWarning",
    "IdentifierExportError",
    "IndicatorError",
    "InventoryError",
    "JavaNotFoundError",
    "LinkageError",
    "LinkageInputError",
    "LinkageKeyError",
    "LonelyPsuError",
    "LoopError",
    "LoopFileError",
    "LoopValidationError",
    "LoopWarning",
    "MissingDependencyError",
    "NoTableFoundError",
    "NoTextLayerError",
    "NotAPdfError",
    "NotAdditiveError",
    "PageRangeError",
    "PathNotAllowedError",
    "PdfReadError",
    "PeriodError",
    "PlanningFileError",
    "PolicyError",
    "PosterError",
    "PrivacyError",
    "Problem",
    "PseudonymizationError",
    "RoundingWarning",
    "ScanError",
    "SeriesError",
    "SeriesValidationError",
    "SourceReadError",
    "SpcError",
    "SpreadsheetReadError",
    "StatisticalWarning",
    "SuppressionError",
    "SurveyDesignError",
    "SurveyError",
    "TargetError",
    "UnitError",
    "UnknownAudienceError",
    "UnknownNodeError",
    "UnknownTableError",
    "UnknownVariableError",
    "WorkbookError",
]


class FeedbackloopError(Exception):
    """Root of every error raised by feedbackloop."""


class FeedbackloopWarning(UserWarning):
    """Root of every warning issued by feedbackloop."""


class LoopWarning(FeedbackloopWarning):
    """A feedback loop that is valid but probably not what was meant."""


class StatisticalWarning(FeedbackloopWarning):
    """A computation that is allowed but statistically questionable."""


class AdapterWarning(FeedbackloopWarning, RuntimeWarning):
    """An installed adapter plugin could not be listed, loaded or used."""


class RoundingWarning(FeedbackloopWarning):
    """A table for which no controlled (additive) rounding was found.

    .. versionadded:: 0.1.0
    """


class BoundaryJoinWarning(FeedbackloopWarning):
    """Places in the data with no shape, or shapes with no data, on a map.

    The message lists the codes; so do the attributes ``data_only`` and
    ``shapes_only`` (tuples of str) when the warning is issued by
    :func:`feedbackloop.plot.choropleth`.

    .. versionadded:: 0.2.0
    """

    data_only: tuple[str, ...] = ()
    shapes_only: tuple[str, ...] = ()


# --------------------------------------------------------------------------- loop


class Problem(tuple[str, str]):
    """One finding of a validation: ``(where, message)``.

    ``where`` names the place (a node id, a document path such as
    ``outcomes[2].horizon``, a row or column); ``message`` says what is wrong
    and what to do.
    """

    __slots__ = ()

    def __new__(cls, where: str, message: str) -> Self:
        """Create a problem found at ``where``."""
        return super().__new__(cls, (where, message))

    def __getnewargs__(self) -> tuple[str, str]:
        return (self[0], self[1])

    @property
    def where(self) -> str:
        """The place the problem was found."""
        return self[0]

    @property
    def message(self) -> str:
        """What is wrong, and what to do about it."""
        return self[1]

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


def _listing(header: str, problems: Sequence[Problem]) -> str:
    lines = [header]
    lines.extend(f"  - {p}" for p in problems)
    return "\n".join(lines)


class LoopError(FeedbackloopError, ValueError):
    """A results graph that breaks a rule of the feedback-loop model."""


class LoopValidationError(LoopError):
    """Every problem :meth:`FeedbackLoop.validate` found, listed at once.

    Attributes
    ----------
    loop_name : str
        The name of the loop that was validated.
    problems : tuple of Problem
        ``(where, message)`` pairs, one per broken rule.
    """

    def __init__(self, loop_name: str, problems: Sequence[Problem]) -> None:
        super().__init__(loop_name, tuple(problems))
        self.loop_name = loop_name
        self.problems = tuple(problems)

    def __str__(self) -> str:
        n = len(self.problems)
        return _listing(
            f"feedback loop {self.loop_name!r} has {n} problem{'s' if n != 1 else ''}:",
            self.problems,
        )


class UnknownNodeError(LoopError, KeyError):
    """A node id that the loop does not contain."""

    def __init__(self, node_id: str, known: Sequence[str] = ()) -> None:
        super().__init__(node_id, tuple(known))
        self.node_id = node_id
        self.known = tuple(known)

    def __str__(self) -> str:
        known = ", ".join(sorted(self.known)) or "none"
        return f"no node with id {self.node_id!r} in this loop (known ids: {known})"


class LoopFileError(FeedbackloopError, ValueError):
    """A loop document (YAML or dict) that cannot be turned into a loop.

    Attributes
    ----------
    source : str
        The file name, or ``"<dict>"`` for an in-memory document.
    problems : tuple of Problem
        Each problem's ``where`` is a document path (``outcomes[2].horizon``),
        followed by ``(line N)`` when the line is known.
    """

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        super().__init__(source, tuple(problems))
        self.source = source
        self.problems = tuple(problems)

    def __str__(self) -> str:
        n = len(self.problems)
        return _listing(
            f"{self.source}: {n} problem{'s' if n != 1 else ''} in the loop document:",
            self.problems,
        )


class UnitError(FeedbackloopError, ValueError):
    """A unit that is not known, or a conversion between incompatible units."""


class PeriodError(FeedbackloopError, ValueError):
    """A period label that cannot be parsed."""


class TargetError(FeedbackloopError, ValueError):
    """A target that is not well defined (e.g. no change or two kinds of change)."""


class IndicatorError(FeedbackloopError, ValueError):
    """An indicator that is not well defined (a performance measure without a quadrant...).

    .. versionadded:: 0.1.0
    """


# ------------------------------------------------------------------------- series


class BinnedMedianError(FeedbackloopError, ValueError):
    """Bins, counts or a survey design that give no median.

    Raised by :func:`feedbackloop.stats.binned_median` and
    :func:`feedbackloop.series.median_from_bins` for lower bounds that do not
    increase, negative counts, bins without a bound, or a design factor or
    sampling rate out of range.
    """


class SeriesError(FeedbackloopError, ValueError):
    """An :class:`IndicatorSeries` operation that was refused."""


class SpcError(FeedbackloopError, ValueError):
    """A run or control chart that cannot be drawn as asked.

    Points out of time order or repeated, a proportion outside [0, 1] on a p
    chart, missing or non-positive denominators, an unknown rule or chart kind.
    """


class BoundaryError(FeedbackloopError, ValueError):
    """Map boundaries that cannot be read, or whose places cannot be told apart.

    A file geopandas cannot open, no column holding the place codes, codes
    stored as numbers (leading zeros lost), the same code on two shapes.

    .. versionadded:: 0.2.0
    """


class WorkbookError(FeedbackloopError, ValueError):
    """An Excel workbook that cannot be written as asked.

    A text cell holding a character a workbook cannot store (a control
    character) or more characters than a cell holds (32,767), or a column name
    the sheet already uses. The message names the sheet, row and column.

    .. versionadded:: 0.2.0
    """


class SeriesValidationError(SeriesError):
    """A frame that does not make a valid indicator series.

    Attributes
    ----------
    indicator : str
        The indicator id the series was being built for.
    problems : tuple of Problem
        Every problem found, with the column and rows where it was found.
    """

    def __init__(self, indicator: str, problems: Sequence[Problem]) -> None:
        super().__init__(indicator, tuple(problems))
        self.indicator = indicator
        self.problems = tuple(problems)

    def __str__(self) -> str:
        n = len(self.problems)
        return _listing(
            f"data for indicator {self.indicator!r} is not a valid series "
            f"({n} problem{'s' if n != 1 else ''}):",
            self.problems,
        )


class NotAdditiveError(SeriesError):
    """Summing values that do not add up (rates, medians, percentages)."""


# ----------------------------------------------------------------------- adapters


class AdapterError(FeedbackloopError):
    """Root of the errors about source adapters."""


class AdapterNotFoundError(AdapterError, LookupError):
    """No adapter is installed under the name asked for."""

    def __init__(self, name: str, available: Sequence[str]) -> None:
        super().__init__(name, tuple(available))
        self.name = name
        self.available = tuple(available)

    def __str__(self) -> str:
        installed = ", ".join(self.available) or "none"
        return (
            f"no adapter named {self.name!r} (installed: {installed}); adapters come from "
            "packages that declare the 'feedbackloop.adapters' entry point"
        )


class AdapterLoadError(AdapterError, ImportError):
    """An adapter's entry point could not be imported."""


class AdapterContractError(AdapterError, TypeError):
    """An adapter class that does not implement the adapter contract."""


class AdapterConflictError(AdapterError, ValueError):
    """An adapter registered under a name another adapter already has.

    .. versionadded:: 0.1.0
    """


class AdapterOptionError(AdapterError, TypeError):
    """Options an adapter does not accept (misspelt or meant for another adapter)."""


class AdapterSelectionError(AdapterError, LookupError):
    """No adapter, or more than one, says it can read a source given without an adapter."""


class SourceReadError(AdapterError, ValueError):
    """A source that an adapter could not read.

    Attributes
    ----------
    adapter : str
        The adapter's name.
    source : str
        The source (path, URL without secrets, dataset) that failed.
    """

    def __init__(self, message: str, *, adapter: str = "", source: str = "") -> None:
        super().__init__(message, adapter, source)
        self.message = message
        self.adapter = adapter
        self.source = source

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_source_read_error, (self.message, self.adapter, self.source))

    def __str__(self) -> str:
        where = " ".join(x for x in (self.adapter and f"[{self.adapter}]", self.source) if x)
        return f"{where}: {self.message}" if where else self.message


def _rebuild_source_read_error(message: str, adapter: str, source: str) -> SourceReadError:
    return SourceReadError(message, adapter=adapter, source=source)


class LinkageError(FeedbackloopError):
    """Root of the errors raised while linking records across agencies.

    .. versionadded:: 0.1.0
    """


class LinkageInputError(LinkageError, ValueError):
    """A record file that cannot be linked as given (missing column, bad date, encoding).

    .. versionadded:: 0.1.0
    """


class DuplicateRecordError(LinkageInputError):
    """Record ids repeated within one agency's file; ``.agency`` and ``.ids`` name them.

    .. versionadded:: 0.1.0
    """

    def __init__(self, message: str, agency: str = "", ids: Sequence[str] = ()) -> None:
        super().__init__(message, agency, tuple(ids))
        self.agency = agency
        self.ids = tuple(ids)

    def __str__(self) -> str:
        return str(self.args[0])


class BlockingError(LinkageError, ValueError):
    """A blocking rule that produced no candidate pairs; ``.rule`` names it.

    .. versionadded:: 0.1.0
    """

    def __init__(self, message: str, rule: str = "") -> None:
        super().__init__(message, rule)
        self.rule = rule

    def __str__(self) -> str:
        return str(self.args[0])


class IdentifierExportError(LinkageError, PermissionError):
    """Raw identifiers asked for in an output whose agreement does not allow them.

    .. versionadded:: 0.1.0
    """


class PathNotAllowedError(FeedbackloopError, PermissionError):
    """A file a loop document names that lies outside the folders it may read from.

    A loop's sources and attached files resolve inside the loop's folder, or
    inside a folder the user allows explicitly (the loop's ``data_roots:`` or
    ``--allow-path`` on the command line). Anything else is refused before it
    is opened.

    Attributes
    ----------
    path : str
        The path as written.
    what : str
        Where the document names it (``indicators[0].source.path``).
    allowed : tuple of str
        The folders that were allowed.

    .. versionadded:: 0.1.0
    """

    def __init__(self, path: str, what: str = "", allowed: Sequence[str] = ()) -> None:
        super().__init__(path, what, tuple(allowed))
        self.path = path
        self.what = what
        self.allowed = tuple(allowed)

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.path, self.what, self.allowed))

    def __str__(self) -> str:
        where = f"{self.what}: " if self.what else ""
        return (
            f"{where}{self.path!r} is outside the folders this loop may read from "
            f"({', '.join(self.allowed) or 'none'}); move the file there, or allow its folder "
            "with data_roots: in the loop file or --allow-path on the command line"
        )


class MissingDependencyError(FeedbackloopError, ImportError):
    """An optional dependency (an extra) is needed but not installed."""


class BrowserNotFoundError(MissingDependencyError):
    """No headless Chromium to print posters with (Debian: ``apt-get install chromium``).

    .. versionadded:: 0.1.0
    """


class JavaNotFoundError(MissingDependencyError):
    """No Java runtime for Spark (Debian: ``apt-get install openjdk-17-jre-headless``).

    .. versionadded:: 0.1.0
    """


class EngineError(FeedbackloopError, RuntimeError):
    """An out-of-core engine (DuckDB, Spark) could not do the work asked of it.

    .. versionadded:: 0.1.0
    """


class ScanError(EngineError, ValueError):
    """Files to scan that do not exist or do not agree.

    Attributes
    ----------
    path : str or None
        The glob that matched nothing, or the file whose schema disagrees.
    column : str or None
        The column that is missing or of another type.

    .. versionadded:: 0.1.0
    """

    def __init__(self, message: str, *, path: str | None = None, column: str | None = None):
        super().__init__(message)
        self.path = path
        self.column = column

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_keyword_error, (type(self), str(self), dict(self.__dict__)))


class EngineMemoryError(EngineError, MemoryError):
    """The engine's memory limit is too small for an operation.

    Attributes
    ----------
    operation : str
        What was running (``"rollup"``, ``"collect"``...).

    .. versionadded:: 0.1.0
    """

    def __init__(self, message: str, *, operation: str):
        super().__init__(message)
        self.operation = operation

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_keyword_error, (type(self), str(self), dict(self.__dict__)))


def _rebuild_keyword_error(
    cls: type[EngineError], message: str, state: dict[str, Any]
) -> EngineError:
    """Unpickle an engine error whose attributes are keyword arguments."""
    err = cls.__new__(cls)
    EngineError.__init__(err, message)
    err.__dict__.update(state)
    return err


class PosterError(FeedbackloopError, RuntimeError):
    """Headless Chromium ran but did not print a poster (it crashed or timed out).

    .. versionadded:: 0.1.0
    """


# ------------------------------------------------------------------------ privacy


class PrivacyError(FeedbackloopError):
    """Root of the errors raised by :mod:`feedbackloop.privacy`.

    .. versionadded:: 0.1.0
    """


class PolicyError(PrivacyError, ValueError):
    """A disclosure-control policy (or table of audiences) that is malformed.

    .. versionadded:: 0.1.0
    """


class ExportRefusedError(PrivacyError, PermissionError):
    """An export that would share data its audience may not see.

    Raised when a series marked ``sensitive`` is exported without an audience.

    .. versionadded:: 0.1.0
    """


class UnknownAudienceError(ExportRefusedError, KeyError, ValueError):
    """An audience that no policy table or data-sharing agreement defines.

    One class for both places (an ``export`` policy table and an agreement's
    ``audiences``), so catching it catches every unknown audience.

    Attributes
    ----------
    audience : str
        The audience asked for.
    known : tuple of str
        The audiences that are defined.
    agreement : str
        The agreement asked, when an agreement was ("" for a policy table).

    .. versionadded:: 0.1.0
    """

    def __init__(self, audience: str, known: Sequence[str], agreement: str = "") -> None:
        super().__init__(audience, tuple(known), agreement)
        self.audience = audience
        self.known = tuple(known)
        self.agreement = agreement

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.audience, self.known, self.agreement))

    def __str__(self) -> str:
        known = ", ".join(self.known) or "none"
        if self.agreement:
            return (
                f"agreement {self.agreement!r} names no audience {self.audience!r} "
                f"(audiences: {known}); add it under audiences"
            )
        return (
            f"unknown audience {self.audience!r}; the agreement defines: {known} "
            f"(pass policies={{{self.audience!r}: ...}} to define it)"
        )


class SuppressionError(PrivacyError, ValueError):
    """A series that cannot be protected as asked (no counts, negative counts...).

    .. versionadded:: 0.1.0
    """


class LinkageKeyError(PrivacyError, ValueError):
    """A linkage key that is missing, empty or too short to resist guessing.

    .. versionadded:: 0.1.0
    """


class PseudonymizationError(PrivacyError, ValueError):
    """Identifiers that cannot be turned into tokens (missing fields or values).

    .. versionadded:: 0.1.0
    """


class BenchmarkError(PrivacyError, ValueError):
    """A benchmark that was refused because it could expose a partner.

    .. versionadded:: 0.1.0
    """


# ---------------------------------------------------------------- source engines


class SpreadsheetReadError(SourceReadError):
    """Rows of a spreadsheet that do not make a valid indicator series.

    The message lists each problem with its column and the file lines (or sheet
    rows) where it occurs; :attr:`rejected` holds every offending row.

    Attributes
    ----------
    rejected : pandas.DataFrame or None
        One row per offending cell: ``location``, ``column``, ``value``, ``reason``.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        message: str,
        *,
        adapter: str = "",
        source: str = "",
        rejected: pd.DataFrame | None = None,
    ) -> None:
        super().__init__(message, adapter=adapter, source=source)
        self.rejected = rejected

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_error, (self.message, self.adapter, self.source, self.rejected))


def _rebuild_error(
    message: str, adapter: str, source: str, rejected: pd.DataFrame | None
) -> SpreadsheetReadError:
    return SpreadsheetReadError(message, adapter=adapter, source=source, rejected=rejected)


def _rebuild_census_error(cls: type[CensusError], state: dict[str, Any]) -> CensusError:
    # Through the constructor: CensusTimeoutError's layout (OSError) forbids cls.__new__.
    accepted = inspect.signature(cls.__init__).parameters
    kwargs = {k: v for k, v in state.items() if k in accepted and k != "message"}
    obj = cls(state["message"], **kwargs)
    obj.__dict__.update(state)
    return obj


class CensusError(SourceReadError):
    """A Census Data API request that failed, or a pull that cannot be made.

    Attributes
    ----------
    request : str
        The request (URL or ``year/dataset?get=...``) with the key removed.
    status : int or None
        The HTTP status, when there was a response.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self, message: str, *, source: str = "", request: str = "", status: int | None = None
    ) -> None:
        super().__init__(message, adapter="census", source=source)
        self.request = request
        self.status = status

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_census_error, (type(self), dict(self.__dict__)))


class CensusKeyError(CensusError):
    """The API refused the key: an HTML "Invalid Key" page, or a redirect for a missing key.

    .. versionadded:: 0.1.0
    """


class CensusNotFoundError(CensusError, LookupError):
    """The dataset or year does not exist at the API (HTTP 404).

    .. versionadded:: 0.1.0
    """


class UnknownVariableError(CensusError, LookupError):
    """A variable the vintage's ``variables.json`` does not list.

    Attributes
    ----------
    variable : str
        The name asked for.
    suggestions : tuple of str
        Close names from ``variables.json`` (may be empty).

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        message: str,
        *,
        variable: str,
        suggestions: Sequence[str] = (),
        source: str = "",
        request: str = "",
        status: int | None = None,
    ) -> None:
        super().__init__(message, source=source, request=request, status=status)
        self.variable = variable
        self.suggestions = tuple(suggestions)


class UnknownTableError(UnknownVariableError):
    """A table (variable group) the vintage does not have.

    .. versionadded:: 0.1.0
    """


class CensusGeographyError(CensusError):
    """A geography, or a geography hierarchy, the vintage does not offer.

    .. versionadded:: 0.1.0
    """


class CensusResponseError(CensusError):
    """A response that is not the JSON the API documents (HTML, truncated, ragged rows...).

    .. versionadded:: 0.1.0
    """


class CensusServerError(CensusError):
    """Server errors (5xx, 429) or connection failures that outlasted the retries.

    .. versionadded:: 0.1.0
    """


class CensusTimeoutError(CensusError, TimeoutError):
    """Requests that kept timing out after the retries.

    .. versionadded:: 0.1.0
    """


class CensusOfflineError(CensusError):
    """``offline=True`` and the cache does not hold everything the pull needs.

    Attributes
    ----------
    missing : tuple of str
        Each missing request (key-free) and the cache file it would be read from.

    .. versionadded:: 0.1.0
    """

    def __init__(self, message: str, *, missing: Sequence[str] = (), source: str = "") -> None:
        super().__init__(message, source=source)
        self.missing = tuple(missing)


class PdfReadError(SourceReadError):
    """A PDF, or a page of it, that could not be read as tables.

    Attributes
    ----------
    source : str
        The file.
    page : int or None
        The page (numbered from 1) where it happened, if one page is to blame.

    .. versionadded:: 0.1.0
    """

    def __init__(self, message: str, *, source: str = "", page: int | None = None) -> None:
        super().__init__(message, adapter="pdf", source=source)
        self.page = page

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_pdf_error, (type(self), self.message, self.source, self.page))

    def __str__(self) -> str:
        where = self.source + (f", page {self.page}" if self.page is not None else "")
        return f"[pdf] {where}: {self.message}" if where else f"[pdf] {self.message}"


def _rebuild_pdf_error(
    cls: type[PdfReadError], message: str, source: str, page: int | None
) -> PdfReadError:
    return cls(message, source=source, page=page)


class NotAPdfError(PdfReadError):
    """The file does not exist, or is not a PDF (no ``%PDF-`` header).

    .. versionadded:: 0.1.0
    """


class EncryptedPdfError(PdfReadError):
    """The PDF is encrypted and the password is missing or wrong.

    .. versionadded:: 0.1.0
    """


class NoTextLayerError(PdfReadError):
    """A page is an image (a scan) without a text layer: it needs OCR first.

    .. versionadded:: 0.1.0
    """


class PageRangeError(PdfReadError, IndexError):
    """A page number that the PDF does not have.

    .. versionadded:: 0.1.0
    """


class NoTableFoundError(PdfReadError, LookupError):
    """No table was found on the pages asked for.

    .. versionadded:: 0.1.0
    """


# ------------------------------------------------------------------------ surveys


class SurveyError(SourceReadError):
    """A survey file, or the design declared for it, that gives no honest estimate.

    Attributes
    ----------
    source : str
        The file (or ``<frame>`` for a DataFrame).
    column : str
        The column to blame, if one is.
    rows : tuple of int
        The offending data rows, numbered from 1 (at most the first 20).

    .. versionadded:: 0.1.0
    """

    def __init__(
        self, message: str, *, source: str = "", column: str = "", rows: Sequence[int] = ()
    ) -> None:
        super().__init__(message, adapter="survey", source=source)
        self.column = column
        self.rows = tuple(rows)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_census_error, (type(self), dict(self.__dict__)))


class SurveyDesignError(SurveyError):
    """Weights missing or negative, replicate weights that do not fit the method, bad PSUs.

    .. versionadded:: 0.1.0
    """


class LonelyPsuError(SurveyDesignError):
    """A stratum with a single PSU, whose variance cannot be estimated.

    Attributes
    ----------
    strata : tuple of str
        The strata with one PSU.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        message: str,
        *,
        source: str = "",
        column: str = "",
        rows: Sequence[int] = (),
        strata: Sequence[str] = (),
    ) -> None:
        super().__init__(message, source=source, column=column, rows=rows)
        self.strata = tuple(strata)


class CodebookError(SurveyError, LookupError):
    """Value labels that do not match the codes, or an answer code outside the codebook.

    .. versionadded:: 0.1.0
    """


# ----------------------------------------------------------------------- planning


class PlanningFileError(FeedbackloopError, ValueError):
    """A data inventory, agreement or action-plan document that cannot be read.

    Attributes
    ----------
    source : str
        The file name (or ``"<dict>"``, ``"<rows>"`` for in-memory documents).
    problems : tuple of Problem
        Every problem found; ``where`` names the row and column (spreadsheets)
        or the document path and line (YAML).

    .. versionadded:: 0.1.0
    """

    what = "document"

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        super().__init__(source, tuple(problems))
        self.source = source
        self.problems = tuple(problems)

    def __str__(self) -> str:
        n = len(self.problems)
        lines = [f"{self.source}: {n} problem{'s' if n != 1 else ''} in the {self.what}:"]
        lines.extend(f"  - {p}" for p in self.problems)
        return "\n".join(lines)


class InventoryError(PlanningFileError):
    """A data inventory (YAML or CSV) that cannot be read; every problem is listed.

    .. versionadded:: 0.1.0
    """

    what = "data inventory"


class AgreementError(PlanningFileError):
    """A data-sharing agreement document that cannot be read; every problem is listed.

    .. versionadded:: 0.1.0
    """

    what = "data-sharing agreement"


class ActionPlanError(PlanningFileError):
    """An action plan (YAML or spreadsheet) that cannot be read; every problem is listed.

    Each problem names the row and column (``row 7, column 'Stop' (E)``) or the
    document path and line (``actions[3].stop (line 21)``).

    .. versionadded:: 0.1.0
    """

    what = "action plan"


class CycleLogError(PlanningFileError):
    """A PDSA cycle log (YAML or spreadsheet) that cannot be read; every problem is listed.

    Each problem names the row and column (``row 4, column 'Start' (K)``) or the
    document path and line (``cycles[1].plan.start (line 30)``).

    .. versionadded:: 0.1.0
    """

    what = "cycle log"
