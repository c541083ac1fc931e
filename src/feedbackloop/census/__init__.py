"""Census Data API: ACS and decennial estimates with margins of error and honest statuses.

Read a pull into an :class:`~feedbackloop.IndicatorSeries` with
``feedbackloop.read("census", dataset=..., year=..., variables=..., geography=...)``
(or :func:`read_census`), or into a tidycensus-shaped DataFrame with
:func:`get_acs` / :func:`get_decennial`. :func:`load_variables` and
:func:`search_variables` browse a vintage's ``variables.json``. See the docs
page "Census data with margins of error".

:func:`plan_requests` lays out a pull's requests without sending them, and
:class:`ResponseCache` reads and writes the documented cache folder. Every
function and :class:`CensusClient` take ``transport=`` (an
:class:`httpx.BaseTransport`) to answer requests without the network, such as
:class:`feedbackloop.testing.CensusMock` in tests.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from feedbackloop.census._api import (
    EXCLUSIVE_RACES,
    RACE_NOTE,
    ClientOptions,
    get_acs,
    get_decennial,
    load_variables,
    plan_requests,
    read_census,
    search_variables,
    vintages,
)
from feedbackloop.census._cache import ResponseCache, default_cache_dir
from feedbackloop.census._client import (
    DEFAULT_BASE_URL,
    MAX_VARIABLES,
    CensusClient,
    DataRequest,
)
from feedbackloop.census._decode import ESTIMATE_SENTINELS, MOE_SENTINELS, decode
from feedbackloop.census._geo import (
    GEOGRAPHIES,
    STATES,
    GeographyQuery,
    GeoLevel,
    Hierarchy,
    fips_code,
    geography_level,
    state_fips,
)
from feedbackloop.census._meta import RACE_ITERATIONS, Variable, VariableTable
from feedbackloop.census._names import place_names
from feedbackloop.census._read import acs_period, minimum_requests
from feedbackloop.errors import (
    CensusError,
    CensusGeographyError,
    CensusKeyError,
    CensusNotFoundError,
    CensusOfflineError,
    CensusResponseError,
    CensusServerError,
    CensusTimeoutError,
    UnknownTableError,
    UnknownVariableError,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "ESTIMATE_SENTINELS",
    "EXCLUSIVE_RACES",
    "GEOGRAPHIES",
    "MAX_VARIABLES",
    "MOE_SENTINELS",
    "RACE_ITERATIONS",
    "RACE_NOTE",
    "STATES",
    "CensusClient",
    "CensusError",
    "CensusGeographyError",
    "CensusKeyError",
    "CensusNotFoundError",
    "CensusOfflineError",
    "CensusResponseError",
    "CensusServerError",
    "CensusTimeoutError",
    "ClientOptions",
    "DataRequest",
    "GeoLevel",
    "GeographyQuery",
    "Hierarchy",
    "ResponseCache",
    "UnknownTableError",
    "UnknownVariableError",
    "Variable",
    "VariableTable",
    "acs_period",
    "decode",
    "default_cache_dir",
    "fips_code",
    "geography_level",
    "get_acs",
    "get_decennial",
    "load_variables",
    "minimum_requests",
    "place_names",
    "plan_requests",
    "read_census",
    "search_variables",
    "state_fips",
    "vintages",
]
