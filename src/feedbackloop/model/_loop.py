"""The feedback loop: a typed graph from strategies up to the shared result."""

from __future__ import annotations

import html
import warnings
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from attrs import field, frozen
from attrs import validators as v

from feedbackloop._util import import_optional, nonblank, str_tuple, write_yaml
from feedbackloop.errors import (
    LoopValidationError,
    LoopWarning,
    Problem,
    UnknownNodeError,
)
from feedbackloop.model import _codec
from feedbackloop.model._attachment import Attachment, as_attachment, as_attachments
from feedbackloop.model._indicator import Indicator
from feedbackloop.model._nodes import KeyDriver, Node, Outcome, SharedResult, Strategy, Tier

if TYPE_CHECKING:
    import networkx

    from feedbackloop.planning import Attachments

__all__ = ["FeedbackLoop", "LoopCheck"]


def _indicators(value: Iterable[Indicator]) -> tuple[Indicator, ...]:
    return tuple(value)


def _outcomes(value: Iterable[Outcome]) -> tuple[Outcome, ...]:
    return tuple(value)


def _key_drivers(value: Iterable[KeyDriver]) -> tuple[KeyDriver, ...]:
    return tuple(value)


def _strategies(value: Iterable[Strategy]) -> tuple[Strategy, ...]:
    return tuple(value)


def _places(value: Mapping[str, str] | None) -> dict[str, str]:
    """Return the place table as a dict, checking that codes and names are non-blank text."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"places must be a mapping of place codes to names (got {value!r})")
    out: dict[str, str] = {}
    for code, name in value.items():
        if not isinstance(code, str) or not code.strip():
            raise ValueError(
                f"places: a place code must be non-blank text (got {code!r}); quote codes "
                "such as '06001' so that they keep their leading zeros"
            )
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"places: the name of {code!r} must be non-blank text (got {name!r})")
        out[code] = name
    return out


@frozen
class LoopCheck:
    """What :meth:`FeedbackLoop.check` found: errors and warnings.

    .. versionadded:: 0.1.0
    """

    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        """``True`` when there are no errors (warnings allowed)."""
        return not self.errors


@frozen(kw_only=True)
class FeedbackLoop:
    """A collective-impact initiative's data-driven feedback loop.

    The graph runs up a ladder: :class:`Strategy` → :class:`KeyDriver` →
    :class:`Outcome` (3–6 years) → :class:`Outcome` (6–10 years) →
    :class:`SharedResult`. Each node names the indicators that measure it.

    Construction checks each value (ids, units, targets); the rules that tie
    nodes together are checked by :meth:`validate`, which reports every
    problem at once, so an incomplete loop can still be built and inspected.

    Parameters
    ----------
    name : str
        The initiative's name.
    shared_result : SharedResult
        The north star.
    indicators : tuple of Indicator
        Every indicator the nodes refer to.
    outcomes, key_drivers, strategies : tuple
        The other nodes.
    description : str
        Free text.
    inventory : Attachment, optional
        The data inventory file (YAML or CSV), see :mod:`feedbackloop.planning.inventory`.
    agreements : tuple of Attachment
        Data-sharing agreement files (YAML), see :mod:`feedbackloop.planning.agreements`.
    action_plan : Attachment, optional
        The action plan (YAML, CSV or XLSX), see :mod:`feedbackloop.planning.actions`.
    cycles : Attachment, optional
        The PDSA cycle log (YAML, CSV or XLSX), see :mod:`feedbackloop.planning.cycles`.
    data_roots : tuple of str
        Folders, besides the loop's own folder, that data sources and attached
        files may be read from (relative ones resolve against the loop's
        folder). A path outside all of them is refused before it is opened.
    places : mapping of str to str
        Place codes (as in the data's ``geography`` column) to the names charts,
        tables and files show: ``{"06001": "Alameda County"}``. The codes stay
        in the data; see :meth:`place_name`.
    places_file : str, optional
        A CSV file (columns ``code`` and ``name``) holding the place table, as
        the loop file names it; :func:`~feedbackloop.io.load_loop` reads it into
        ``places``.
    base_dir : str, optional
        The folder the loop was loaded from (set by :func:`load_loop`): relative
        source and attachment paths are resolved against it. Not part of the
        loop's value: it is ignored by ``==`` and not written to YAML.

    .. versionadded:: 0.1.0
    """

    name: str = field(validator=nonblank)
    shared_result: SharedResult = field(validator=v.instance_of(SharedResult))
    indicators: tuple[Indicator, ...] = field(default=(), converter=_indicators)
    outcomes: tuple[Outcome, ...] = field(default=(), converter=_outcomes)
    key_drivers: tuple[KeyDriver, ...] = field(default=(), converter=_key_drivers)
    strategies: tuple[Strategy, ...] = field(default=(), converter=_strategies)
    description: str = ""
    inventory: Attachment | None = field(default=None, converter=as_attachment)
    agreements: tuple[Attachment, ...] = field(default=(), converter=as_attachments)
    action_plan: Attachment | None = field(default=None, converter=as_attachment)
    cycles: Attachment | None = field(default=None, converter=as_attachment)
    data_roots: tuple[str, ...] = field(default=(), converter=str_tuple)
    places: Mapping[str, str] = field(factory=dict, converter=_places, hash=False)
    places_file: str | None = None
    base_dir: str | None = field(default=None, eq=False, repr=False)

    # ------------------------------------------------------------------ access

    @property
    def nodes(self) -> tuple[Node, ...]:
        """Every node, from the shared result down the ladder."""
        return (self.shared_result, *self.outcomes, *self.key_drivers, *self.strategies)

    @cached_property
    def _node_index(self) -> dict[str, Node]:
        index: dict[str, Node] = {}
        for n in self.nodes:
            index.setdefault(n.id, n)
        return index

    @cached_property
    def _indicator_index(self) -> dict[str, Indicator]:
        index: dict[str, Indicator] = {}
        for i in self.indicators:
            index.setdefault(i.id, i)
        return index

    def node(self, node_id: str) -> Node:
        """Return the node with id ``node_id``.

        Raises
        ------
        UnknownNodeError
            If there is no such node (the message lists the known ids).
        """
        try:
            return self._node_index[node_id]
        except KeyError:
            raise UnknownNodeError(node_id, list(self._node_index)) from None

    def __getitem__(self, node_id: str) -> Node:
        return self.node(node_id)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._node_index

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def indicator(self, indicator_id: str) -> Indicator:
        """Return the indicator with id ``indicator_id``.

        Raises
        ------
        KeyError
            If the loop defines no such indicator.
        """
        try:
            return self._indicator_index[indicator_id]
        except KeyError:
            known = ", ".join(sorted(self._indicator_index)) or "none"
            raise KeyError(
                f"no indicator {indicator_id!r} in loop {self.name!r} (defined: {known})"
            ) from None

    def place_name(self, code: str) -> str:
        """Return the name of the place ``code``, or the code itself when the loop names none.

        Examples
        --------
        >>> from feedbackloop.examples import load_example
        >>> loop = load_example()
        >>> loop.place_name("06001"), loop.place_name("99999")
        ('Alameda County', '99999')

        .. versionadded:: 0.2.0
        """
        return self.places.get(code, code)

    def place_names(self) -> dict[str, str]:
        """Return the loop's place table, code -> name (a copy), for charts' ``names=``.

        .. versionadded:: 0.2.0
        """
        return dict(self.places)

    def by_tier(self, tier: Tier) -> tuple[Node, ...]:
        """Return the nodes on one rung of the ladder."""
        return tuple(n for n in self.nodes if n.tier == tier)

    def nodes_measured_by(self, indicator_id: str) -> tuple[Node, ...]:
        """Return the nodes that list ``indicator_id`` among their indicators."""
        return tuple(n for n in self.nodes if indicator_id in n.indicators)

    # ------------------------------------------------------------------ graph

    @cached_property
    def _upstream(self) -> dict[str, list[str]]:
        """For each node id, the ids of the nodes that contribute to it."""
        up: dict[str, list[str]] = {n.id: [] for n in self.nodes}
        for n in self.nodes:
            for target in n.contributes_to:
                if target in up:
                    up[target].append(n.id)
        return up

    def contributors(self, node_id: str) -> tuple[Node, ...]:
        """Return every node upstream of ``node_id`` (direct or not), nearest first.

        Parameters
        ----------
        node_id : str
            The node whose contributors are wanted.

        Returns
        -------
        tuple of Node
            Breadth-first from ``node_id``, each node once.
        """
        self.node(node_id)
        seen: dict[str, None] = {}
        queue = deque(self._upstream[node_id])
        while queue:
            nid = queue.popleft()
            if nid in seen or nid == node_id:
                continue
            seen[nid] = None
            queue.extend(self._upstream.get(nid, ()))
        return tuple(self._node_index[i] for i in seen)

    def path(self, from_id: str, to_id: str) -> tuple[str, ...] | None:
        """Return the shortest chain of links from ``from_id`` up to ``to_id``.

        Returns
        -------
        tuple of str or None
            Node ids from ``from_id`` to ``to_id`` inclusive, or ``None`` when
            ``from_id`` does not contribute to ``to_id``.
        """
        self.node(from_id)
        self.node(to_id)
        previous: dict[str, str | None] = {from_id: None}
        queue = deque([from_id])
        while queue:
            nid = queue.popleft()
            if nid == to_id:
                chain = [nid]
                while (p := previous[chain[-1]]) is not None:
                    chain.append(p)
                return tuple(reversed(chain))
            for nxt in self._node_index[nid].contributes_to:
                if nxt in self._node_index and nxt not in previous:
                    previous[nxt] = nid
                    queue.append(nxt)
        return None

    def unmeasured(self) -> tuple[Node, ...]:
        """Return the nodes that name no indicator."""
        return tuple(n for n in self.nodes if not n.indicators)

    # ------------------------------------------------------------- validation

    def check(self) -> LoopCheck:
        """Check the graph rules and return every error and warning found.

        Errors: duplicate ids; links to unknown ids; links that point down or
        sideways the ladder; cycles; a shared result that links onward;
        indicators referenced (by nodes, targets or ``proxy_for``) but not
        defined; a target on an indicator its node does not list; nodes with
        no path to the shared result.

        Warnings: nodes with no indicator; links that skip a rung; indicators
        defined but used by no node.

        Returns
        -------
        LoopCheck
        """
        errors: list[Problem] = []
        warns: list[Problem] = []
        defined = self._check_ids(errors)
        for n in self.nodes:
            self._check_node_indicators(n, defined, errors, warns)
            self._check_links(n, errors, warns)
        for cycle in self._cycles():
            errors.append(Problem(cycle[0], "cycle: " + " → ".join((*cycle, cycle[0]))))
        self._check_reach(errors)
        used = {i for n in self.nodes for i in n.indicators}
        used |= {i.proxy_for for i in self.indicators if i.proxy_for}
        for ind in self.indicators:
            if ind.id not in used:
                warns.append(Problem(f"indicators.{ind.id}", "defined but measures no node"))
        return LoopCheck(errors=tuple(errors), warnings=tuple(warns))

    def _check_ids(self, errors: list[Problem]) -> set[str]:
        """Check for duplicate ids, a dangling ``proxy_for`` and an onward shared result.

        Returns the ids of the defined indicators.
        """
        seen_nodes: dict[str, str] = {}
        for n in self.nodes:
            if n.id in seen_nodes:
                errors.append(
                    Problem(
                        n.id,
                        f"duplicate node id (used by a {seen_nodes[n.id]} and a "
                        f"{n.tier.label}); give each node its own id",
                    )
                )
            else:
                seen_nodes[n.id] = n.tier.label
        seen_ind: set[str] = set()
        for ind in self.indicators:
            if ind.id in seen_ind:
                errors.append(Problem(f"indicators.{ind.id}", "duplicate indicator id"))
            seen_ind.add(ind.id)
        for ind in self.indicators:
            if ind.proxy_for is not None and ind.proxy_for not in seen_ind:
                errors.append(
                    Problem(
                        f"indicators.{ind.id}",
                        f"proxy_for names {ind.proxy_for!r}, which is not a defined indicator",
                    )
                )
        if self.shared_result.contributes_to:
            errors.append(
                Problem(
                    self.shared_result.id,
                    "the shared result is the top of the loop and cannot contribute_to "
                    f"anything (got {', '.join(self.shared_result.contributes_to)})",
                )
            )
        return seen_ind

    @staticmethod
    def _check_node_indicators(
        n: Node, defined: set[str], errors: list[Problem], warns: list[Problem]
    ) -> None:
        """Check that a node's indicators and targets are defined, and that it has one."""
        for ind_id in n.indicators:
            if ind_id not in defined:
                errors.append(
                    Problem(
                        n.id,
                        f"indicator {ind_id!r} is referenced but not defined; "
                        "add it to the loop's indicators",
                    )
                )
        for t in n.targets:
            if t.indicator not in defined:
                errors.append(
                    Problem(n.id, f"target on {t.indicator!r}, which is not a defined indicator")
                )
            elif t.indicator not in n.indicators:
                errors.append(
                    Problem(
                        n.id,
                        f"target on {t.indicator!r}, which is not among the "
                        "node's indicators; list it under indicators",
                    )
                )
        if not n.indicators:
            warns.append(
                Problem(n.id, f"{n.tier.label} has no indicator: how will you know it moved?")
            )

    def _check_links(self, n: Node, errors: list[Problem], warns: list[Problem]) -> None:
        """Check that links go to known nodes, up the ladder, one rung at a time."""
        if isinstance(n, SharedResult):
            return
        index = self._node_index
        for target_id in n.contributes_to:
            target = index.get(target_id)
            if target is None:
                errors.append(
                    Problem(n.id, f"contributes_to {target_id!r}, which is not a node of this loop")
                )
            elif target.tier <= n.tier:
                way = "sideways" if target.tier == n.tier else "down"
                errors.append(
                    Problem(
                        n.id,
                        f"link to {target_id!r} points {way} the ladder "
                        f"({n.tier.label} → {target.tier.label}); links must go from "
                        "strategies to key drivers to outcomes to the shared result",
                    )
                )
            elif target.tier - n.tier > 1:
                warns.append(
                    Problem(
                        n.id,
                        f"link to {target_id!r} skips a rung "
                        f"({n.tier.label} → {target.tier.label})",
                    )
                )

    def _check_reach(self, errors: list[Problem]) -> None:
        """Check that every node has a path to the shared result."""
        top = self.shared_result.id
        if top in self._node_index:
            reaching = {top, *(c.id for c in self.contributors(top))}
        else:
            reaching = set()
        for n in self.nodes:
            if n.id not in reaching:
                errors.append(
                    Problem(
                        n.id,
                        f"{n.tier.label} has no path to the shared result "
                        f"{top!r}; add a contributes_to link",
                    )
                )

    def _cycles(self) -> list[tuple[str, ...]]:
        """Find elementary cycles (one per strongly connected component)."""
        index = self._node_index
        color: dict[str, int] = {}
        stack: list[str] = []
        cycles: list[tuple[str, ...]] = []
        reported: set[frozenset[str]] = set()

        def visit(start: str) -> None:
            # iterative DFS to stay safe on deep graphs
            work: list[tuple[str, Iterator[str]]] = [(start, iter(index[start].contributes_to))]
            color[start] = 1
            stack.append(start)
            while work:
                nid, it = work[-1]
                nxt = next(it, None)
                if nxt is None:
                    work.pop()
                    stack.pop()
                    color[nid] = 2
                    continue
                if nxt not in index:
                    continue
                if color.get(nxt, 0) == 0:
                    color[nxt] = 1
                    stack.append(nxt)
                    work.append((nxt, iter(index[nxt].contributes_to)))
                elif color[nxt] == 1:
                    cyc = tuple(stack[stack.index(nxt) :])
                    key = frozenset(cyc)
                    if key not in reported:
                        reported.add(key)
                        cycles.append(cyc)

        for nid in index:
            if color.get(nid, 0) == 0:
                visit(nid)
        return cycles

    def validate(self, *, warn: bool = True) -> FeedbackLoop:
        """Raise if the graph breaks a rule; otherwise return the loop.

        Parameters
        ----------
        warn : bool
            Issue each warning of :meth:`check` as a :class:`LoopWarning`.

        Returns
        -------
        FeedbackLoop
            ``self``, so calls chain.

        Raises
        ------
        LoopValidationError
            Listing every error at once, each naming its node and rule.
        """
        result = self.check()
        if result.errors:
            raise LoopValidationError(self.name, result.errors)
        if warn:
            for w in result.warnings:
                warnings.warn(f"loop {self.name!r}: {w}", LoopWarning, stacklevel=2)
        return self

    # ------------------------------------------------------------------ export

    def to_networkx(self) -> networkx.DiGraph:
        """Return the loop as a :class:`networkx.DiGraph` (edges point up).

        Node attributes: ``tier``, ``kind``, ``title``, ``indicators``.
        Requires the ``graph`` extra.
        """
        nx = import_optional("networkx", extra="graph", purpose="FeedbackLoop.to_networkx()")
        g = nx.DiGraph(name=self.name)
        for n in self.nodes:
            g.add_node(n.id, tier=n.tier, kind=n.kind, title=n.title, indicators=n.indicators)
        for n in self.nodes:
            for t in n.contributes_to:
                if t in self._node_index:
                    g.add_edge(n.id, t)
        return g

    def to_mermaid(self) -> str:
        """Return a Mermaid flowchart of the loop, tiers from left to right.

        Examples
        --------
        >>> from feedbackloop.examples import load_example
        >>> print(load_example().to_mermaid().splitlines()[0])
        flowchart LR
        """
        lines = ["flowchart LR"]
        for tier in Tier:
            members = self.by_tier(tier)
            if not members:
                continue
            lines.append(f'  subgraph {tier.name.lower()}["{tier.label}"]')
            lines.extend(f'    {n.id}["{_mermaid_text(n.title)}"]' for n in members)
            lines.append("  end")
        lines.extend(f"  {n.id} --> {t}" for n in self.nodes for t in n.contributes_to if t in self)
        return "\n".join(lines)

    def tree(self) -> str:
        """Return a readable text tree: the shared result, then its contributors.

        A node reached again through another path is shown once in full and
        then as ``(see above)``.
        """
        lines = [f"{self.name}"]
        shown: set[str] = set()

        def render(node: Node, prefix: str, last: bool, depth: int) -> None:
            branch = "" if depth == 0 else ("└── " if last else "├── ")
            inds = f"  [{', '.join(node.indicators)}]" if node.indicators else "  [no indicator]"
            extra = ""
            if isinstance(node, Strategy) and node.partners:
                extra = f"  partners: {', '.join(node.partners)}"
            if node.id in shown:
                lines.append(f"{prefix}{branch}{node.tier.label}: {node.id} (see above)")
                return
            shown.add(node.id)
            lines.append(
                f"{prefix}{branch}{node.tier.label}: {node.id} — {node.title}{inds}{extra}"
            )
            for t in node.targets:
                lines.append(
                    f"{prefix}{'' if depth == 0 else ('    ' if last else '│   ')}"
                    f"    target: {t.indicator} {t.baseline.value:g} ({t.baseline.period}) → "
                    f"{t.level:g} ({t.period})"
                )
            kids = [self._node_index[k] for k in self._upstream.get(node.id, ())]
            child_prefix = prefix + ("" if depth == 0 else ("    " if last else "│   "))
            for i, kid in enumerate(kids):
                render(kid, child_prefix, i == len(kids) - 1, depth + 1)

        render(self.shared_result, "", True, 0)
        orphans = [n for n in self.nodes if n.id not in shown]
        if orphans:
            lines.append("not connected to the shared result:")
            lines.extend(f"  {n.tier.label}: {n.id} — {n.title}" for n in orphans)
        return "\n".join(lines)

    def __repr__(self) -> str:
        counts = ", ".join(
            f"{len(self.by_tier(t))} {t.label if len(self.by_tier(t)) == 1 else t.plural}"
            for t in reversed(Tier)
            if t is not Tier.SHARED_RESULT
        )
        return (
            f"<FeedbackLoop {self.name!r}: shared result {self.shared_result.id!r}; {counts}; "
            f"{len(self.indicators)} indicators>"
        )

    def _repr_html_(self) -> str:
        rows = []
        for tier in reversed(Tier):
            for n in self.by_tier(tier):
                targets = "; ".join(
                    f"{t.indicator}: {t.baseline.value:g} → {t.level:g} by {t.period}"
                    for t in n.targets
                )
                rows.append(
                    "<tr>"
                    f"<td>{html.escape(tier.label)}</td><td><code>{html.escape(n.id)}</code></td>"
                    f"<td>{html.escape(n.title)}</td>"
                    f"<td>{html.escape(', '.join(n.indicators)) or '<em>none</em>'}</td>"
                    f"<td>{html.escape(targets)}</td>"
                    f"<td>{html.escape(', '.join(n.contributes_to))}</td>"
                    "</tr>"
                )
        return (
            f"<div class='feedbackloop'><strong>{html.escape(self.name)}</strong>"
            "<table><thead><tr><th>tier</th><th>id</th><th>title</th><th>indicators</th>"
            "<th>targets</th><th>contributes to</th></tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table></div>"
        )

    # ------------------------------------------------------------ attachments

    def attachments(
        self, base_dir: str | Path | None = None, *, allow_paths: Iterable[str] = ()
    ) -> Attachments:
        """Read the files attached to the loop: inventory, agreements, action plan, cycle log.

        Parameters
        ----------
        base_dir : path, optional
            The folder relative paths are resolved against (default the loop
            file's folder when it was loaded from a file, else the current
            directory).
        allow_paths : iterable of str
            Folders besides ``base_dir`` and ``data_roots`` that attached files
            may lie in; any other path is refused before it is opened
            (:class:`~feedbackloop.errors.PathNotAllowedError`).

        Returns
        -------
        Attachments

        Raises
        ------
        FileNotFoundError
            If an attached file is missing (the message names the loop key).
        InventoryError, AgreementError, ActionPlanError, CycleLogError
            If an attached file is malformed (every problem, with row and column).
        """
        from feedbackloop.planning import load_attachments

        return load_attachments(
            self, base_dir if base_dir is not None else self.base_dir, allow_paths=allow_paths
        )

    # ---------------------------------------------------------------- file I/O

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        source: str = "<dict>",
        lines: Mapping[tuple[str | int, ...], int] | None = None,
    ) -> Self:
        """Build a loop from a document shaped like the loop YAML format.

        Parameters
        ----------
        data : mapping
            The document.
        source : str
            Its name in messages (the file name).
        lines : mapping, optional
            Document path -> line number (from the YAML parser), so that each
            problem names its line.

        Raises
        ------
        LoopFileError
            Listing every problem with its path in the document.
        """
        return _codec.loop_from_dict(data, loop_type=cls, source=source, lines=lines)

    def to_dict(self) -> dict[str, Any]:
        """Return the loop as plain data in the loop YAML format."""
        return _codec.loop_to_dict(self)

    def to_yaml(self, path: str | Path | None = None) -> str:
        """Return the loop as YAML text, and write it atomically to ``path`` if given."""
        return write_yaml(_codec.loop_to_dict(self), path)


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")
