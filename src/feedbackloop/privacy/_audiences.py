"""Who may see what: any policy from plain data, the audience table, and export.

The top of the package: it knows every policy (:class:`SuppressionPolicy` and
:func:`suppress` in ``_suppress``, :class:`RoundingPolicy` and
:func:`round_counts` in ``_round``) and adds the one that does nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeAlias

from attrs import frozen

from feedbackloop.errors import (
    ExportRefusedError,
    PolicyError,
    UnknownAudienceError,
)
from feedbackloop.privacy._round import RoundingPolicy
from feedbackloop.privacy._suppress import SuppressionPolicy
from feedbackloop.series import IndicatorSeries

__all__ = [
    "DEFAULT_AUDIENCES",
    "NoDisclosureControl",
    "Policy",
    "audiences_from_dict",
    "export",
    "policy_from_dict",
]


@frozen(kw_only=True)
class NoDisclosureControl:
    """No disclosure control: the audience may see every value.

    For the backbone organization that holds the data under the agreement.

    .. versionadded:: 0.1.0
    """

    method: ClassVar[str] = "none"

    def apply(
        self,
        series: IndicatorSeries,
        *,
        geography_parents: Mapping[str, str] | None = None,
    ) -> IndicatorSeries:
        """Return ``series`` unchanged."""
        return series

    def to_dict(self) -> dict[str, Any]:
        """Return the policy as plain data (the inverse of :func:`policy_from_dict`)."""
        return {"method": self.method}


#: Any disclosure-control policy.
Policy: TypeAlias = SuppressionPolicy | RoundingPolicy | NoDisclosureControl

_METHODS: dict[str, type[SuppressionPolicy | RoundingPolicy | NoDisclosureControl]] = {
    "suppress": SuppressionPolicy,
    "suppression": SuppressionPolicy,
    "round": RoundingPolicy,
    "rounding": RoundingPolicy,
    "none": NoDisclosureControl,
}


def policy_from_dict(mapping: Mapping[str, Any] | Policy) -> Policy:
    """Build a policy from plain data, as written in a YAML agreement.

    Parameters
    ----------
    mapping : mapping or policy
        ``method`` is ``suppress`` (the default), ``round`` or ``none``; the
        other keys are the policy's fields. A policy passes through unchanged.

    Returns
    -------
    SuppressionPolicy, RoundingPolicy or NoDisclosureControl

    Raises
    ------
    PolicyError
        For an unknown method or unknown/invalid fields.

    Examples
    --------
    >>> policy_from_dict({"threshold": 11})
    SuppressionPolicy(threshold=11, allow_zero=True, complementary=True, protect_complement=True)
    >>> policy_from_dict({"method": "round", "base": 5})
    RoundingPolicy(base=5)
    >>> policy_from_dict({"method": "none"})
    NoDisclosureControl()

    .. versionadded:: 0.1.0
    """
    if isinstance(mapping, SuppressionPolicy | RoundingPolicy | NoDisclosureControl):
        return mapping
    if not isinstance(mapping, Mapping):
        raise PolicyError(
            f"a policy must be a mapping such as {{'threshold': 11}} (got {mapping!r})"
        )
    data = dict(mapping)
    method = str(data.pop("method", "suppress")).strip().lower()
    cls = _METHODS.get(method)
    if cls is None:
        raise PolicyError(
            f"unknown disclosure-control method {method!r}; use one of: suppress, round, none"
        )
    allowed = {a.name for a in cls.__attrs_attrs__}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise PolicyError(
            f"{method} policy does not take {', '.join(map(repr, unknown))}; "
            f"it takes: {', '.join(sorted(allowed)) or 'no options'}"
        )
    try:
        return cls(**data)
    except (TypeError, ValueError) as err:
        if isinstance(err, PolicyError):
            raise
        raise PolicyError(f"invalid {method} policy {mapping!r}: {err}") from err


#: The audiences of a typical data-sharing agreement and what each may see.
#: ``backbone`` holds the data (no control); ``partners`` share under the
#: agreement (counts under 5 withheld, the usual k = 5); ``public`` follows the
#: CMS cell-size rule (1-10 withheld). Override them with the agreement's own.
DEFAULT_AUDIENCES: Mapping[str, Policy] = {
    "backbone": NoDisclosureControl(),
    "partners": SuppressionPolicy(threshold=5),
    "public": SuppressionPolicy(threshold=11),
}


def audiences_from_dict(
    mapping: Mapping[str, Mapping[str, Any] | Policy] | None,
) -> dict[str, Policy]:
    """Return the audience table: :data:`DEFAULT_AUDIENCES` updated with ``mapping``.

    Parameters
    ----------
    mapping : mapping, optional
        Audience name to a policy or its plain-data form, e.g. from the
        ``audiences:`` block of a data-sharing agreement.

    Returns
    -------
    dict
        Audience name to policy.

    Examples
    --------
    >>> table = audiences_from_dict({"partners": {"threshold": 11}})
    >>> table["partners"].threshold, sorted(table)
    (11, ['backbone', 'partners', 'public'])

    .. versionadded:: 0.1.0
    """
    table: dict[str, Policy] = dict(DEFAULT_AUDIENCES)
    for name, policy in (mapping or {}).items():
        if not isinstance(name, str) or not name.strip():
            raise PolicyError(f"audience names must be non-empty text (got {name!r})")
        try:
            table[name.strip()] = policy_from_dict(policy)
        except PolicyError as err:
            raise PolicyError(f"audience {name!r}: {err}") from err
    return table


def export(
    series: IndicatorSeries,
    audience: str | None,
    policies: Mapping[str, Mapping[str, Any] | Policy] | None = None,
    *,
    geography_parents: Mapping[str, str] | None = None,
) -> IndicatorSeries:
    """Return ``series`` as ``audience`` may see it.

    Parameters
    ----------
    series : IndicatorSeries
        The data.
    audience : str or None
        ``"backbone"``, ``"partners"``, ``"public"`` or an audience defined in
        ``policies``. ``None`` is allowed only for series not marked sensitive
        (and returns them unchanged).
    policies : mapping, optional
        Audience name to policy, overriding :data:`DEFAULT_AUDIENCES` (e.g.
        from the data-sharing agreement).
    geography_parents : mapping, optional
        Child geography to the geography that totals it (see :func:`suppress`).

    Returns
    -------
    IndicatorSeries
        With the audience's policy applied; no longer marked sensitive unless
        the policy is :class:`NoDisclosureControl`.

    Raises
    ------
    ExportRefusedError
        If the series is sensitive and no audience is given.
    UnknownAudienceError
        If the audience is not defined.

    .. versionadded:: 0.1.0
    """
    if audience is None:
        if series.sensitive:
            raise ExportRefusedError(
                f"series {series.indicator.id!r} is marked sensitive and cannot be exported "
                "without an audience; pass audience='public', 'partners' or 'backbone' "
                "(or one defined by your data-sharing agreement)"
            )
        return series
    table = audiences_from_dict(policies)
    policy = table.get(audience)
    if policy is None:
        raise UnknownAudienceError(audience, sorted(table))
    out = policy.apply(series, geography_parents=geography_parents)
    if not isinstance(policy, NoDisclosureControl) and out.sensitive:
        out = out.with_table(out.table, sensitive=False)
    return out
