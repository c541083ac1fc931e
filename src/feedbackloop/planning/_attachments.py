"""Read the files a loop document attaches: data inventory, agreements, action plan, cycle log."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from attrs import field, frozen

from feedbackloop._util import resolve_confined
from feedbackloop.planning.actions import ActionPlan
from feedbackloop.planning.agreements import DataSharingAgreement, load_agreements
from feedbackloop.planning.cycles import CycleLog
from feedbackloop.planning.inventory import DataInventory

if TYPE_CHECKING:
    from feedbackloop.model import Attachment, FeedbackLoop

__all__ = ["Attachments", "load_attachments"]


def _agreements(value: Iterable[DataSharingAgreement]) -> tuple[DataSharingAgreement, ...]:
    return tuple(value)


@frozen(kw_only=True)
class Attachments:
    """What a loop's attached files hold (each ``None`` or empty when not attached).

    .. versionadded:: 0.1.0
    """

    inventory: DataInventory | None = None
    agreements: tuple[DataSharingAgreement, ...] = field(default=(), converter=_agreements)
    action_plan: ActionPlan | None = None
    cycles: CycleLog | None = None


_PLAN_OPTIONS = ("plan_year", "sheet", "ignore_columns")


def _resolve(att: Attachment, base: Path, roots: tuple[str, ...], key: str) -> Path:
    p = resolve_confined(att.path, base=base, roots=roots, what=key)
    if not p.exists():
        raise FileNotFoundError(f"the loop's {key}: {att.path!r} not found (looked for {p})")
    return p


def load_attachments(
    loop: FeedbackLoop,
    base_dir: str | Path | None = None,
    *,
    allow_paths: Iterable[str | os.PathLike[str]] = (),
) -> Attachments:
    """Read every file ``loop`` attaches, resolving relative paths against ``base_dir``.

    Paths must lie inside ``base_dir``, the loop's ``data_roots`` or
    ``allow_paths``; any other is refused before it is opened.

    Raises
    ------
    FileNotFoundError
        If an attached file is missing.
    PathNotAllowedError
        If an attached file lies outside the allowed folders.
    ValueError
        If a file is malformed (an ``InventoryError``, ``AgreementError`` or
        ``ActionPlanError`` or ``CycleLogError`` listing every problem), or an
        option is unknown.
    """
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    roots = (*loop.data_roots, *(os.fspath(p) for p in allow_paths))
    inventory = None
    if loop.inventory is not None:
        _no_options(loop.inventory, "inventory", ())
        inventory = DataInventory.load(_resolve(loop.inventory, base, roots, "inventory"))
    agreements: list[DataSharingAgreement] = []
    if loop.agreements:
        for i, att in enumerate(loop.agreements):
            _no_options(att, f"agreements[{i}]", ())
            agreements.extend(load_agreements(_resolve(att, base, roots, f"agreements[{i}]")))
    plan = None
    if loop.action_plan is not None:
        _no_options(loop.action_plan, "action_plan", _PLAN_OPTIONS)
        opts = dict(loop.action_plan.options)
        plan = ActionPlan.load(
            _resolve(loop.action_plan, base, roots, "action_plan"),
            plan_year=opts.get("plan_year"),
            sheet=opts.get("sheet"),
            ignore_columns=opts.get("ignore_columns") or (),
        )
    cycles = None
    if loop.cycles is not None:
        _no_options(loop.cycles, "cycles", ("sheet",))
        cycles = CycleLog.load(
            _resolve(loop.cycles, base, roots, "cycles"), sheet=loop.cycles.options.get("sheet")
        )
    return Attachments(inventory=inventory, agreements=agreements, action_plan=plan, cycles=cycles)


def _no_options(att: Attachment, key: str, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(att.options) - set(allowed))
    if unknown:
        raise ValueError(
            f"the loop's {key} has unknown option(s) {', '.join(map(repr, unknown))}; "
            f"accepted: {', '.join(allowed) or 'none'}"
        )
