"""The findings rule engine: what a rule is, what its predicates read, and how the rules are run.

The rules themselves (predicates, texts, risk ids and metadata together) are in
:mod:`pia_analysis.analysis.findings.rules`; the engine names none of them.

Each rule (:class:`Rule`) is plain Python data plus plain Python predicates — nothing is ever evaluated
from a string. A rule names the elements it examines (flows, systems, zones or risk items) and, for
each one, answers two questions:

* **applies** — is the situation the rule is about present? If not, the finding is ``not_applicable``;
* **mitigated** — if it applies, does the model record what answers it? ``mitigated`` if so, else
  ``open``.

Every finding carries a stable id ``rule_id@element``, the stage and the catalogue risk ids it bears on,
a LINDDUN category, and a risk level read from a 4 × 4 likelihood × impact grid (levels 1 low …
4 critical, as in the CNIL method). The grid and the scales are data: ``catalog/risk_level_grid.csv`` and
``catalog/risk_scales.csv``; the channel words that mark in-person and removable-media flows are in
``catalog/channel_keywords.csv``. ``docs/findings.md`` documents each rule.

The risk level of a finding is its *inherent* risk level (before the mitigation is counted): a mitigated
finding keeps the risk level of what it would be if the mitigation failed, so the two can be compared.
"""

from __future__ import annotations

__all__ = ["DEFAULT_EXPOSURE_THRESHOLD", "FINDING_COLUMNS", "FINDING_STATUSES", "LINDDUN", "FindingContext",
           "RiskScale", "Rule", "evaluate", "impact_level", "likelihood_level", "risk_level_grid", "risk_level_of",
           "risk_scales", "rule_table", "summarise"]

import bisect
import contextlib
import contextvars
import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from ... import catalog
from ...catalog import CatalogError
from ...model.model import Model
from ...model.schema import TABLES
from ...model.organisation import OrganisationKind, organisation_kind
from .. import coverage
from ..attack_graph import (ControlStatus, Net, build_net, control_statuses, gc_paused, reachable_holdings,
                            shared_nets)
from ..exposure import exposure_and_paths
from ..provenance import assumed_rows

#: LINDDUN threat categories (the privacy threat taxonomy of KU Leuven).
LINDDUN = ("Linking", "Identifying", "Non-repudiation", "Detecting", "Data disclosure", "Unawareness",
           "Non-compliance")
FINDING_STATUSES = ("open", "mitigated", "not_applicable")
#: Default exposure threshold: a most-likely path probability above it is a finding.
DEFAULT_EXPOSURE_THRESHOLD = 0.01
FINDING_COLUMNS = ["finding_id", "rule_id", "element", "element_type", "status", "risk_level", "likelihood", "impact",
                   "stage", "risk_ids", "linddun", "title_ja", "title_en", "detail_ja", "detail_en", "assumed",
                   "assumptions"]


# ---------------------------------------------------------------------------------------------------
# risk-level grid (data)


def risk_level_grid() -> pd.DataFrame:
    """The 4 × 4 grid: likelihood (rows) × impact (columns) → risk level 1–4.

    Returns
    -------
    DataFrame
        A 4 × 4 table of ``int64`` risk levels 1–4: index ``likelihood`` 1–4, columns ``impact`` 1–4.

    References
    ----------
    CNIL, *Privacy Impact Assessment (PIA) — Knowledge bases* (2018): the four levels negligible, limited,
    significant and maximum of likelihood and severity, and the risk map they span.

    Examples
    --------
    >>> from pia_analysis import risk_level_grid
    >>> risk_level_grid().loc[3, 4]
    np.int64(4)
    """
    grid = catalog.read_table("risk_level_grid.csv").astype("int64")
    out = grid.pivot(index="likelihood", columns="impact", values="risk_level")
    if out.shape != (4, 4) or out.isna().any().any():
        raise CatalogError("catalog/risk_level_grid.csv must give a risk level for each of the 16 cells")
    return out


def risk_scales() -> pd.DataFrame:
    """The labels and lower bounds of the likelihood, impact and risk levels.

    Returns
    -------
    DataFrame
        Columns of ``catalog/risk_scales.csv``: ``scale`` (likelihood, impact or risk_level), ``level``
        (``int64``, 1–4), its labels and ``min_value`` (``float64`` lower bound: a yearly probability for
        likelihood, a number of records for impact; NaN for risk_level).

    Examples
    --------
    >>> from pia_analysis import risk_scales
    >>> risk_scales().query("scale == 'impact'")["min_value"].tolist()
    [0.0, 1000.0, 10000.0, 300000.0]
    """
    scales = catalog.read_table("risk_scales.csv")
    scales["level"] = scales["level"].astype("int64")
    scales["min_value"] = pd.to_numeric(scales["min_value"].replace("", None)).astype("float64")
    return scales


@dataclass(frozen=True)
class RiskScale:
    """The grid and the scales, read once (:meth:`load`) and then used for every finding of a run."""

    grid: dict[tuple[int, int], int]
    likelihood_bounds: tuple[float, ...]  # lower bound of levels 1, 2, 3, 4
    impact_bounds: tuple[float, ...]

    @classmethod
    def load(cls) -> RiskScale:
        """Read the grid and the scales from the catalogue, checking that each scale rises over levels 1–4."""
        grid = risk_level_grid()
        scales = risk_scales()

        def bounds(scale: str) -> tuple[float, ...]:
            rows = scales.loc[scales["scale"] == scale].sort_values("level")
            if rows["level"].tolist() != [1, 2, 3, 4] or not rows["min_value"].is_monotonic_increasing:
                raise CatalogError(f"catalog/risk_scales.csv: the {scale} scale needs levels 1-4 with rising bounds")
            return tuple(float(v) for v in rows["min_value"])

        cells = {(int(lk), int(im)): int(grid.loc[lk, im]) for lk in grid.index for im in grid.columns}
        return cls(cells, bounds("likelihood"), bounds("impact"))

    @staticmethod
    def _level(bounds: tuple[float, ...], value: float) -> int:
        # The number of lower bounds at or below the value (bounds rise, see load), at least 1.
        if value != value:  # NaN is at or above no bound
            return 1
        return max(1, bisect.bisect_right(bounds, value))

    def likelihood(self, probability: float) -> int:
        """The likelihood level (1–4) of a yearly probability."""
        return self._level(self.likelihood_bounds, float(probability))

    def impact(self, records: float) -> int:
        """The impact level (1–4) of a number of records (people)."""
        return self._level(self.impact_bounds, float(records))

    def risk_level(self, likelihood: int, impact: int) -> int:
        """The risk level (1–4) of a likelihood and an impact level."""
        return self.grid[(int(likelihood), int(impact))]


def likelihood_level(probability: float) -> int:
    """The likelihood level (1–4) of a yearly probability, by ``catalog/risk_scales.csv``.

    Parameters
    ----------
    probability
        A probability per year, in [0, 1].

    Returns
    -------
    int
        The level 1–4: the number of lower bounds of the likelihood scale at or below ``probability``.

    Examples
    --------
    >>> from pia_analysis import likelihood_level
    >>> [likelihood_level(p) for p in (0.0, 0.001, 0.0099, 0.01, 0.5)]
    [1, 2, 2, 3, 4]
    """
    return RiskScale.load().likelihood(probability)


def impact_level(records: int) -> int:
    """The impact level (1–4) of the number of records (people) at stake.

    Parameters
    ----------
    records
        A number of records (people).

    Returns
    -------
    int
        The level 1–4 of the impact scale.

    Examples
    --------
    >>> from pia_analysis import impact_level
    >>> [impact_level(n) for n in (0, 999, 1000, 299_999, 300_000)]
    [1, 1, 2, 3, 4]
    """
    return RiskScale.load().impact(records)


def risk_level_of(likelihood: int, impact: int) -> int:
    """The risk level of a likelihood and an impact level, from the grid.

    Parameters
    ----------
    likelihood
        A likelihood level 1–4.
    impact
        An impact level 1–4.

    Returns
    -------
    int
        The risk level 1–4 of the grid's cell.

    Examples
    --------
    >>> from pia_analysis import risk_level_of
    >>> risk_level_of(1, 1), risk_level_of(2, 4), risk_level_of(4, 4)
    (1, 3, 4)
    """
    return RiskScale.load().risk_level(likelihood, impact)


# ---------------------------------------------------------------------------------------------------
# the context the predicates read


def _records(frame: pd.DataFrame) -> list[dict]:
    """``frame.to_dict("records")`` (plain Python values), built column-wise.

    Several times faster than pandas' own on the tens of thousands of rows of a national model.
    """
    columns = [str(c) for c in frame.columns]
    return [dict(zip(columns, values)) for values in zip(*(frame[c].tolist() for c in frame.columns))]


@dataclass
class FindingContext:
    """What the rule predicates read: the model and views derived from it, computed once and lazily.

    ``exposure_threshold`` is the path probability above which an exposed My Number holder is open.
    """

    model: Model
    exposure_threshold: float = DEFAULT_EXPOSURE_THRESHOLD
    _cache: dict = field(default_factory=dict, repr=False)

    # -- tables as dicts -----------------------------------------------------------------------------
    @cached_property
    def kind(self) -> OrganisationKind:
        """The kind of the model's body: the word the findings' titles name it by (市, 町 …, 団体)."""
        return organisation_kind(self.model.meta)

    @cached_property
    def scale(self) -> RiskScale:
        """The risk-level grid and scales of the catalogue, read once per run."""
        return RiskScale.load()

    @cached_property
    def systems(self) -> dict[str, dict]:
        """The systems as dicts, by system id."""
        return {r["system_id"]: r for r in _records(self.model.systems)}

    @cached_property
    def flows(self) -> dict[str, dict]:
        """The flows as dicts, by flow id."""
        return {r["flow_id"]: r for r in _records(self.model.flows)}

    @cached_property
    def flows_between(self) -> dict[tuple[str, str], list[str]]:
        """(system, system) → the ids of the flows an attack may take from the first to the second.

        A flow from source to target, and an interactive one the other way too (the attack graph's arcs):
        looked up per step of an exposure path, instead of scanning every flow for each finding (a national
        model's 3,614 exposed holders × 33,130 flows took most of its whole analysis).
        """
        out: dict[tuple[str, str], list[str]] = {}
        for fid, f in self.flows.items():
            out.setdefault((f["source"], f["target"]), []).append(fid)
            if f["interactive"]:
                out.setdefault((f["target"], f["source"]), []).append(fid)
        return out

    @cached_property
    def _control_records(self) -> list[dict]:
        """Every control as a dict (any status), read once per context."""
        return _records(self.model.controls)

    @cached_property
    def zones(self) -> dict[str, dict]:
        """The zones as dicts, by zone id."""
        return {r["zone_id"]: r for r in _records(self.model.zones)}

    @cached_property
    def records(self) -> dict[str, int]:
        """The number of records of each file, by file id."""
        return dict(zip(self.model.files["file_id"], self.model.files["records"].astype(int)))

    @cached_property
    def mn_files(self) -> frozenset[str]:
        """The ids of the files with My Numbers."""
        return self.model.my_number_files

    @cached_property
    def keywords(self) -> dict[str, tuple[str, ...]]:
        """The channel words of each kind (``in_person``, ``removable_media``), from the catalogue."""
        table = catalog.read_table("channel_keywords.csv")
        return {kind: tuple(group["keyword"]) for kind, group in table.groupby("kind")}

    @cached_property
    def implemented(self) -> list[dict]:
        """The controls implemented on some element (or everywhere) as dicts."""
        ids = set(self._implemented_where)
        return [c for c in self._control_records if c["control_id"] in ids]

    @cached_property
    def _implemented_where(self) -> dict[str, list[str] | ControlStatus]:
        """Control id → the elements it is implemented on; for a ``*`` control, the control itself.

        A control's status on an element is its ``control_status.csv`` row there, else its own
        (:attr:`~pia_analysis.Model.control_applications`). A ``*`` control stays organisation-wide wherever it
        is implemented: it names no element (the rules that ask for a control *naming* a system leave it out),
        and on each element it counts where its status there is implemented (:meth:`controls_on`).
        """
        out: dict[str, list[str] | ControlStatus] = {}
        for c in control_statuses(self.model):
            if "*" in c.applies_to:
                if c.status == "implemented" or "implemented" in c.on.values():
                    out[c.control_id] = c
            elif not c.on:  # one status everywhere (most controls)
                if c.status == "implemented":
                    out[c.control_id] = list(dict.fromkeys(c.applies_to))
            else:
                on = [e for e in dict.fromkeys(c.applies_to) if c.status_on(e) == "implemented"]
                if on:
                    out[c.control_id] = on
        return out

    @cached_property
    def _controls_by_target(self) -> tuple[dict[str, list[dict]], list[tuple[dict, ControlStatus]]]:
        """The controls implemented on each element they name, and the ``*`` ones implemented somewhere."""
        by_target: dict[str, list[dict]] = {}
        star: list[tuple[dict, ControlStatus]] = []
        where = self._implemented_where
        for c in self.implemented:
            on = where[c["control_id"]]
            if isinstance(on, ControlStatus):
                star.append((c, on))
            else:
                for target in on:
                    by_target.setdefault(target, []).append(c)
        return by_target, star

    @cached_property
    def flows_of(self) -> dict[str, list[str]]:
        """System id → the sorted ids of the flows that touch it."""
        out: dict[str, list[str]] = {s: [] for s in self.systems}
        for fid, f in self.flows.items():
            out[f["source"]].append(fid)
            out[f["target"]].append(fid)
        return {s: sorted(v) for s, v in out.items()}

    @cached_property
    def _assumed(self) -> dict[str, set[str]]:
        return assumed_rows(self.model)

    @cached_property
    def _controls_named(self) -> dict[str, list[dict]]:
        """Every control (any status) by the element it names (not ``*``)."""
        out: dict[str, list[dict]] = {}
        for c in self._control_records:
            for target in dict.fromkeys(c["applies_to"]):
                if target != "*":
                    out.setdefault(target, []).append(c)
        return out

    def assumptions(self, element_type: str, element: str, risk_ids: list[str],
                    evidence: Iterable[str] = ()) -> list[str]:
        """The rows a finding rests on whose ``source`` starts with ``assumption:``, as ``table:id``.

        A finding rests on its element's row (a system's zone too: where it runs decides several rules)
        and on the controls named on the element for the finding's risks (those that mitigate it, or whose
        status makes it open), and on the systems and flows of ``evidence`` (the rule's ``evidence_of``: an
        exposure path); a finding on a risk rests on the controls that mitigate that risk and on the rating of
        the rated item it belongs to.
        """
        assumed = self._assumed
        refs: list[str] = []
        if element_type == "risk":
            rows = [c for c in self._control_records if element in c["mitigates"]]
            refs = [f"controls:{c['control_id']}" for c in rows if c["control_id"] in assumed["controls"]]
            # a finding on a rated item rests on its rating too (the rating of the 委託 block for outsource-N)
            rated = {element, *(item for item, risks in zip(self.model.rated_items["rated_item_id"],
                                                             self.model.rated_items["risks"]) if element in risks)}
            refs += [f"ratings:{r}" for r in sorted(rated & assumed.get("ratings", set()))]
            return sorted(dict.fromkeys(refs))
        table = {"system": "systems", "flow": "flows", "zone": "zones", "file": "files"}.get(element_type)
        if table and element in assumed.get(table, ()):
            refs.append(f"{table}:{element}")
        if element_type == "system" and element in self.systems:
            zone = self.systems[element]["zone_id"]
            if zone in assumed["zones"]:
                refs.append(f"zones:{zone}")
        wanted = set(risk_ids)
        for c in self._controls_named.get(element, []):
            if (not wanted or wanted & set(c["mitigates"])) and c["control_id"] in assumed["controls"]:
                refs.append(f"controls:{c['control_id']}")
        # the other elements the finding's evidence passes through (an exposure path: its entry point's
        # likelihood and each step are rows of the model)
        for other in evidence:
            for table in ("systems", "flows"):
                if other != element and other in assumed.get(table, ()):
                    refs.append(f"{table}:{other}")
        return sorted(dict.fromkeys(refs))

    # -- derived facts -------------------------------------------------------------------------------
    def zone_operator(self, system_id: str) -> str:
        """The operator of the zone of ``system_id``."""
        return str(self.zones[self.systems[system_id]["zone_id"]]["operator"])

    @cached_property
    def _mn_held(self) -> dict[str, tuple[str, ...]]:
        mn = self.mn_files
        return {sid: tuple(sorted(f for f in s["holds"] if f in mn)) for sid, s in self.systems.items()}

    def mn_held(self, system_id: str) -> list[str]:
        """The sorted ids of the My Number files ``system_id`` holds."""
        return list(self._mn_held[system_id])

    def mn_records_held(self, system_id: str) -> int:
        """The records of the largest My Number file ``system_id`` holds (0 if none)."""
        return max((self.records[f] for f in self.mn_held(system_id)), default=0)

    @cached_property
    def _mn_records_reachable(self) -> dict[str, int]:
        # the movement rule of the attack graph, swept once for every system
        return {sid: int(n) for sid, n in reachable_holdings(self.model).items()}

    def mn_records_reachable(self, system_id: str) -> int:
        """The most My Number records an attacker holding ``system_id`` can reach (itself included).

        By the movement rule of :func:`pia_analysis.analysis.attack_graph.reachable_holdings`.
        """
        return self._mn_records_reachable[system_id]

    def controls_on(self, element: str, risks: Iterable[str] | None = None, star: bool = True) -> list[str]:
        """The sorted ids of the controls implemented on ``element`` (or on ``*`` when ``star``).

        With ``risks``, only those mitigating one of them.
        """
        key = ("controls_on", element, None if risks is None else tuple(risks), star)
        if key in self._cache:
            return list(self._cache[key])
        wanted = set(risks) if risks is not None else None
        by_target, star_controls = self._controls_by_target
        candidates = by_target.get(element, [])
        if star:  # a '*' control counts where its status is implemented (everywhere, but for its overrides)
            candidates = candidates + [c for c, status in star_controls if status.status_on(element) == "implemented"]
        out = set()
        for c in candidates:
            if wanted is None or not wanted.isdisjoint(c["mitigates"]):
                out.add(c["control_id"])
        self._cache[key] = result = sorted(out)
        return list(result)

    def channel_is(self, flow_id: str, kind: str) -> bool:
        """Whether the channel of ``flow_id`` contains a channel word of ``kind``."""
        channel = str(self.flows[flow_id].get("channel") or "")
        return any(word in channel for word in self.keywords.get(kind, ()))

    @cached_property
    def _risk_ids_by_stage(self) -> dict[str, list[str]]:
        items = self.model.risk_items
        out: dict[str, list[str]] = {}
        for stage, risk_id in zip(items["stage"].tolist(), items["risk_id"].tolist()):
            out.setdefault(stage, []).append(risk_id)
        return out

    def risk_ids_of_stage(self, stage: str) -> list[str]:
        """The risk ids of ``stage`` (extra risks included), in the model's order."""
        return list(self._risk_ids_by_stage.get(stage, []))

    @cached_property
    def rating_check(self) -> pd.DataFrame:
        """:func:`pia_analysis.analysis.coverage.rating_check` of the model, indexed by risk id.

        The one given to :func:`evaluate`, if any.
        """
        given = self._cache.get("rating_check")
        if given is None:
            given = coverage.rating_check(self.model)
        return given.set_index("risk_id")

    @cached_property
    def rating_rows(self) -> dict[str, dict]:
        """The rows of :attr:`rating_check` as dicts, by risk id (a rule reads them one at a time)."""
        table = self.rating_check
        return dict(zip(table.index, _records(table)))

    # -- exposure -----------------------------------------------------------------------------------
    def _exposure(self, model: Model) -> pd.DataFrame:
        # exposure and path of node_exposure (the rules read nothing else), indexed by system id
        return exposure_and_paths(model)

    def exposure_paths(self, table: pd.DataFrame) -> dict[str, list[str]]:
        """System id → path of one of the exposure tables above."""
        key = ("paths", id(table))
        if key not in self._cache:
            self._cache[key] = (table, dict(zip(table.index, table["path"].tolist())))
        return self._cache[key][1]

    def exposure_values(self, table: pd.DataFrame) -> dict[str, float]:
        """System id → exposure of one of the exposure tables above, as plain floats (looked up often)."""
        key = ("values", id(table))
        if key not in self._cache:
            self._cache[key] = (table, {k: float(v) for k, v in table["exposure"].items()})
        return self._cache[key][1]

    @cached_property
    def exposure(self) -> pd.DataFrame:
        """node_exposure of the model, indexed by system id."""
        return self._exposure(self.model)

    @cached_property
    def _raw_model(self) -> Model:
        """The model with every control removed, one object per context (so its attack graph is built once)."""
        return self.model.replace(controls=self.model.controls.iloc[0:0])

    @cached_property
    def raw_exposure(self) -> pd.DataFrame:
        """node_exposure with every control removed: the exposure the controls have to bring down.

        The rules read only its values, :attr:`raw_exposure_values`, which do without the paths.
        """
        return self._exposure(self._raw_model)

    @cached_property
    def _raw_arcs(self) -> list[tuple[int, int]]:
        """The moves with every control removed, by system index (the attack graph's id order).

        Without controls every flow passes and every system can be entered, so each flow is a move (an
        interactive one both ways) and only a loop moves nobody: read from the flows, without building the
        attack graph of the model without controls (the arcs' probabilities would all be 1).
        """
        pos = build_net(self.model).pos
        flows = self.model.flows
        out: list[tuple[int, int]] = []
        for source, target, interactive in zip(flows["source"].tolist(), flows["target"].tolist(),
                                               flows["interactive"].tolist()):
            u, v = pos[source], pos[target]
            if u != v:
                out.append((u, v))
                if interactive:
                    out.append((v, u))
        return out

    @cached_property
    def raw_exposure_values(self) -> dict[str, float]:
        """System id → exposure with every control removed: the ``exposure`` column of :attr:`raw_exposure`.

        Without controls every step passes (p = q = 1), so a system's exposure is the highest
        ``entry_likelihood`` of the entry points that reach it (a product of ones changes no float), 0 when
        none does: one labelling pass. The table's most likely paths cost far more here: with every step
        equally likely its ties go to the lexicographically smallest path, which wanders through the whole
        graph (10,000 systems: paths thousands of systems long, most of a run that did not finish).
        """
        net = build_net(self.model)  # its systems, in the same (id) order, with their entry likelihoods
        starts = {i: e * 1.0 for i, e in enumerate(net.e) if e * 1.0 > 0}  # e · q, q = 1 without controls
        entries = sorted(starts, key=lambda i: (-starts[i], i))
        first = _first_connected(len(net.ids), self._raw_arcs, entries, downstream=True)
        return {sid: starts[entries[first[i]]] if first[i] < len(entries) else 0.0 for i, sid in enumerate(net.ids)}

    def zone_exposure(self, zone_id: str, with_controls: bool) -> pd.DataFrame:
        """The exposure table when every system of ``zone_id`` is an entry point of likelihood 1.

        No other system is one: the zone is assumed compromised, and the exposure is conditional on it.
        A whole table (every system's most likely path) per zone: the rules read only its best My Number
        holder, :meth:`zone_best`, which gives the same value without building the table.
        """
        key = ("zone", zone_id, with_controls)
        if key not in self._cache:
            systems = self.model.systems.copy()
            systems["entry_likelihood"] = (systems["zone_id"] == zone_id).astype("float64")
            changes = {"systems": systems}
            if not with_controls:
                changes["controls"] = self.model.controls.iloc[0:0]
            self._cache[key] = self._exposure(self.model.replace(**changes))
        return self._cache[key]

    @cached_property
    def _zone_systems(self) -> dict[str, list[int]]:
        """Zone id → the indices (in the attack graph's id order) of its systems."""
        out: dict[str, list[int]] = {}
        for i, zone in enumerate(build_net(self.model).zone):
            out.setdefault(zone, []).append(i)
        return out

    @cached_property
    def _raw_zone_reach(self) -> dict[str, tuple[str | None, int]]:
        """Zone id → the My Number holders its systems reach with every control removed.

        As ``(the reached holder of smallest id or None, the most My Number records of a reached holder)``.
        Without controls every step passes (p = q = 1) and the zone's systems start with probability
        1 · 1, so the exposure of :meth:`zone_exposure` (``with_controls=False``) is exactly 1.0 at every
        system the zone reaches and 0 elsewhere: which holders a zone reaches is all that table says. Two
        labelling passes answer it for every zone at once, where one table per internet-facing zone cost
        O(zones · systems · log systems) (10,000 systems did not finish in 15 minutes).
        """
        net = build_net(self.model)  # its systems, in the same (id) order
        holders = [net.pos[s] for s in self._mn_holders]  # id order
        by_records = sorted(holders, key=lambda i: (-self.mn_records_held(net.ids[i]), i))
        first_by_id = _first_connected(len(net.ids), self._raw_arcs, holders, downstream=False)
        first_by_records = _first_connected(len(net.ids), self._raw_arcs, by_records, downstream=False)
        out: dict[str, tuple[str | None, int]] = {}
        for zone, members in self._zone_systems.items():
            k = min(first_by_id[i] for i in members)
            r = min(first_by_records[i] for i in members)
            out[zone] = (net.ids[holders[k]] if k < len(holders) else None,
                         self.mn_records_held(net.ids[by_records[r]]) if r < len(by_records) else 0)
        return out

    def _zone_best_controlled(self, zone_id: str) -> tuple[float, str | None, list[str]]:
        key = ("zone_best", zone_id)
        if key not in self._cache:
            net = build_net(self.model)
            holders = frozenset(net.pos[s] for s in self._mn_holders)
            # the zone's systems as entry points of likelihood 1 (e · q = 1.0 · q), as zone_exposure sets them
            starts = {i: 1.0 * net.q[i] for i in self._zone_systems.get(zone_id, [])}
            with gc_paused():
                value, found = _best_reached(net, starts, holders)
            self._cache[key] = (value, net.ids[found[-1]], [net.ids[j] for j in found]) if found else (0.0, None, [])
        return self._cache[key]

    def zone_best(self, zone_id: str, with_controls: bool) -> tuple[float, str | None]:
        """The highest exposure of a My Number holder when ``zone_id`` is compromised, and that holder.

        The values of :meth:`zone_exposure` over the My Number holders: the highest, and the holder of
        smallest id that has it; ``(0.0, None)`` when no holder is reached (with a probability above 0).
        """
        if not with_controls:
            who = self._raw_zone_reach.get(zone_id, (None, 0))[0]
            return (1.0, who) if who is not None else (0.0, None)
        value, who, _path = self._zone_best_controlled(zone_id)
        return value, who

    def zone_best_path(self, zone_id: str) -> list[str]:
        """The most likely path (system ids) to the holder of :meth:`zone_best` with the controls; [] if none.

        A holder that only the model without controls reaches has no path with them ([]), as its row of
        :meth:`zone_exposure` says (barring a path whose product underflows to 0.0 in floating point).
        """
        return list(self._zone_best_controlled(zone_id)[2])

    def zone_records_reached(self, zone_id: str) -> int:
        """The most My Number records of a holder ``zone_id`` reaches with every control removed (0 if none).

        The largest My Number file of each holder whose exposure in :meth:`zone_exposure`
        (``with_controls=False``) is above 0.
        """
        return self._raw_zone_reach.get(zone_id, (None, 0))[1]

    @cached_property
    def _mn_holders(self) -> tuple[str, ...]:
        return tuple(sorted(s for s in self.systems if self.mn_held(s)))

    def mn_holders(self) -> list[str]:
        """The sorted ids of the systems holding a My Number file."""
        return list(self._mn_holders)

    @cached_property
    def zones_with_systems(self) -> frozenset[str]:
        """The ids of the zones that have at least one system."""
        return frozenset(s["zone_id"] for s in self.systems.values())


def _first_connected(n: int, arcs: Iterable[tuple[int, int]], order: list[int], downstream: bool) -> list[int]:
    """For each of ``n`` systems (by index), the position in ``order`` of the first of those it is connected to.

    Connected by moves (``arcs``, ``(u, v)`` pairs of indices), itself included: with ``downstream``, the
    first system of ``order`` that reaches it; without, the first one it reaches; ``len(order)`` when none. One search
    per system of ``order``, in that order (forward from it downstream, backward otherwise), each stopping
    at the systems already labelled: they are connected to an earlier one, and so is everything beyond
    them, so every system and arc is visited once in all.
    """
    nxt: list[list[int]] = [[] for _ in range(n)]
    for u, v in arcs:
        if downstream:
            nxt[u].append(v)
        else:
            nxt[v].append(u)
    none = len(order)
    label = [none] * n
    for k, origin in enumerate(order):
        if label[origin] != none:
            continue  # connected to an earlier one itself, and so is all beyond it
        label[origin] = k
        stack = [origin]
        while stack:
            v = stack.pop()
            for u in nxt[v]:
                if label[u] == none:
                    label[u] = k
                    stack.append(u)
    return label


def _best_reached(net: Net, starts: dict[int, float], targets: frozenset[int]) -> tuple[float, tuple[int, ...]]:
    """The highest most-likely-path probability from ``starts`` to one of ``targets``, and that path.

    :func:`pia_analysis.analysis.attack_graph.most_likely` (the same heap, keys and float operations, so the
    same values and paths) stopped once no target can still reach the highest value: Dijkstra settles
    systems in falling probability, so the first target settled has it, and every target tied with it is
    settled before any lower key. Of the tied targets, the one of smallest index (id order). A probability
    of 0.0 (a product that underflowed) counts as unreached, as a strict ``>`` over the table would.
    Returns ``(0.0, ())`` when no target is reached.
    """
    n = len(net.ids)
    done = [False] * n
    heap = [(-p0, (s,)) for s, p0 in starts.items() if p0 > 0]
    heapq.heapify(heap)
    q = net.q
    best = 0.0
    tied: list[tuple[int, ...]] = []
    while heap:
        neg, pth = heapq.heappop(heap)
        v = pth[-1]
        if done[v]:
            continue
        if -neg <= 0.0 or (tied and -neg < best):
            break  # every key left is lower: no target can reach the highest value any more
        done[v] = True
        if v in targets:
            best = -neg
            tied.append(pth)
        for w, found in net.succ[v]:
            if done[w]:
                continue
            step = found[0].p * q[w]
            if step > 0.0:
                heapq.heappush(heap, (neg * step, pth + (w,)))
    if not tied:
        return 0.0, ()
    return best, min(tied, key=lambda pth: pth[-1])


# ---------------------------------------------------------------------------------------------------
# rules as data


@dataclass(frozen=True)
class Rule:
    """One rule of the engine.

    ``stage`` is a stage code, or ``""`` when the stage is the examined element's (then ``stage_of``
    gives it, and the finding keeps only the ``risk_ids`` of that stage). ``risk_ids_of``, when given,
    names the risk ids of each element's finding instead (a rule about risk items bears on the item
    itself). ``likelihood``/``impact`` are the defaults; ``score`` may give them per element.
    ``mitigated`` is None for a rule that nothing in the model can mitigate (only a correction of the
    model closes it).
    """

    rule_id: str
    title_ja: str
    title_en: str
    explanation_ja: str
    explanation_en: str
    stage: str
    risk_ids: tuple[str, ...]
    linddun: str | None
    element_type: str  # flow, system, zone or risk
    applicability_ja: str
    applicability_en: str
    mitigated_by_ja: str
    mitigated_by_en: str
    elements: Callable[[FindingContext], Iterable[str]]
    applies: Callable[[FindingContext, str], bool]
    mitigated: Callable[[FindingContext, str], bool] | None
    detail: Callable[[FindingContext, str], tuple[str, str]]
    likelihood: int = 2
    impact: int = 2
    score: Callable[[FindingContext, str], tuple[int, int]] | None = None
    stage_of: Callable[[FindingContext, str], str] | None = None
    risk_ids_of: Callable[[FindingContext, str], Iterable[str]] | None = None
    #: the other systems and flows a finding's evidence passes through (an exposure path), for its assumptions
    evidence_of: Callable[[FindingContext, str], Iterable[str]] | None = None
    #: where the rule's situation comes from (a guideline, a public document) and how sure that is
    #: (``confirmed``, ``recalled`` or ``project``, as in the catalogue); empty: the project's own rule
    source: str = ""
    confidence: str = ""

    def worded(self, text: str, kind: OrganisationKind) -> str:
        """One of the rule's texts with the body named by its own word: ``{body}`` → 町, ``{the_body}`` → the town.

        The titles and explanations say 「{body}が運用しない…」; a finding of a town's model says 町, of a
        model whose body has no kind of its own the neutral 団体 (:func:`pia_analysis.model.organisation.
        organisation_kind`, the function the briefing uses for the same word).
        """
        return text.replace("{body}", kind.word_ja).replace("{the_body}", kind.the())

    def title(self, lang: str, kind: OrganisationKind) -> str:
        """The rule's title in ``lang`` with the body's word filled in (never the raw ``title_ja``/``title_en``).

        Every reader of a rule's title (finding tables, charts' legends) goes through this, so no output
        shows the template's ``{body}``.
        """
        return self.worded(self.title_en if lang == "en" else self.title_ja, kind)

    def __post_init__(self) -> None:
        """Refuse an unknown LINDDUN category and a rule id that cannot make a finding id."""
        if self.confidence not in ("", "confirmed", "recalled", "project"):
            raise ValueError(f"{self.rule_id}: confidence {self.confidence!r} is not confirmed, recalled or project")
        if self.linddun is not None and self.linddun not in LINDDUN:
            raise ValueError(f"{self.rule_id}: unknown LINDDUN category {self.linddun!r}")
        if "@" in self.rule_id:
            raise ValueError(f"{self.rule_id}: a rule id may not contain '@' (finding ids are rule@element)")


# ---------------------------------------------------------------------------------------------------
# running the rules


def rule_table(rule_set: Iterable[Rule], model: Model | None = None) -> pd.DataFrame:
    """The metadata of some rules, one row per rule, in the order given.

    Parameters
    ----------
    rule_set
        The rules (:data:`pia_analysis.analysis.findings.RULES`, or a subset).
    model
        The model whose body the titles and explanations name by its own word (市, 町 …); None: the
        neutral 団体 ("the organisation").

    Returns
    -------
    DataFrame
        ``rule_id, title_ja, title_en, explanation_ja, explanation_en, stage, risk_ids, linddun,
        element_type, likelihood, impact, risk_level, applicability_ja, applicability_en, mitigated_by_ja,
        mitigated_by_en, source, confidence`` — ``stage`` is empty for rules whose stage is the element's;
        ``risk_ids`` a list; ``likelihood``, ``impact`` and ``risk_level`` the default levels 1–4 (several
        rules score per element, see docs/findings.md); ``confidence`` is ``project`` for a rule that names
        no source.

    Examples
    --------
    >>> from pia_analysis.analysis.findings.engine import rule_table
    >>> from pia_analysis.analysis.findings import RULES
    >>> rule_table(RULES[:2])["rule_id"].tolist()
    ['unencrypted-crossing', 'mn-outside-city']
    >>> rule_table(RULES[1:2])["title_en"].tolist()
    ['My Number file held in a zone the organisation does not operate']
    """
    scale = RiskScale.load()
    kind = organisation_kind(model.meta if model is not None else {})
    rows = []
    for r in rule_set:
        rows.append({
            "rule_id": r.rule_id, "title_ja": r.worded(r.title_ja, kind), "title_en": r.worded(r.title_en, kind),
            "explanation_ja": r.worded(r.explanation_ja, kind), "explanation_en": r.worded(r.explanation_en, kind),
            "stage": r.stage, "risk_ids": list(r.risk_ids), "linddun": r.linddun, "element_type": r.element_type,
            "likelihood": r.likelihood, "impact": r.impact, "risk_level": scale.risk_level(r.likelihood, r.impact),
            "applicability_ja": r.applicability_ja, "applicability_en": r.applicability_en,
            "mitigated_by_ja": r.mitigated_by_ja, "mitigated_by_en": r.mitigated_by_en,
            "source": r.source, "confidence": r.confidence or "project",
        })
    return pd.DataFrame(rows)


def _evaluate(rule: Rule, ctx: FindingContext, element: str, keep_not_applicable: bool = True) -> dict | None:
    applies = bool(rule.applies(ctx, element))
    if not applies and not keep_not_applicable:
        return None
    if not applies:
        status = "not_applicable"
    elif rule.mitigated is not None and rule.mitigated(ctx, element):
        status = "mitigated"
    else:
        status = "open"
    likelihood, impact = (rule.likelihood, rule.impact)
    if applies and rule.score is not None:
        likelihood, impact = rule.score(ctx, element)
    stage = rule.stage or (rule.stage_of(ctx, element) if rule.stage_of else "")
    if rule.risk_ids_of is not None:
        risk_ids = list(rule.risk_ids_of(ctx, element))
    elif not rule.stage:  # the element's stage: keep the rule's risks of that stage
        risk_ids = [r for r in rule.risk_ids if r.rsplit("-", 1)[0] == stage]
    else:
        risk_ids = list(rule.risk_ids)
    detail_ja, detail_en = rule.detail(ctx, element) if applies else ("", "")
    evidence = list(rule.evidence_of(ctx, element)) if applies and rule.evidence_of else []
    assumptions = ctx.assumptions(rule.element_type, element, risk_ids, evidence) if applies else []
    # a rule's titles are the same for every element: worded once per run, not once per finding
    titles = ctx._cache.get(("titles", rule.rule_id))
    if titles is None:
        titles = ctx._cache[("titles", rule.rule_id)] = (rule.title("ja", ctx.kind), rule.title("en", ctx.kind))
    title_ja, title_en = titles
    return {
        "finding_id": f"{rule.rule_id}@{element}", "rule_id": rule.rule_id, "element": element,
        "element_type": rule.element_type, "status": status, "risk_level": ctx.scale.risk_level(likelihood, impact),
        "likelihood": int(likelihood), "impact": int(impact), "stage": stage, "risk_ids": risk_ids,
        "linddun": rule.linddun or "", "title_ja": title_ja, "title_en": title_en,
        "detail_ja": detail_ja, "detail_en": detail_en,
        "assumed": bool(assumptions), "assumptions": assumptions,
    }


# The views of a FindingContext that read no control: the same for two models that differ only in their
# controls (a model and :func:`~pia_analysis.analysis.pipeline.with_planned_implemented` of it).
_CONTROL_FREE_VIEWS = ("kind", "scale", "systems", "flows", "flows_between", "zones", "records", "mn_files",
                       "keywords", "flows_of", "_mn_held", "_mn_holders", "zones_with_systems", "raw_exposure",
                       "_risk_ids_by_stage")
_CONTEXTS: contextvars.ContextVar[list[FindingContext] | None] = contextvars.ContextVar("finding_contexts",
                                                                                       default=None)


@contextlib.contextmanager
def shared_contexts() -> Iterator[None]:
    """Within this block, runs of :func:`evaluate` on models that differ only in their controls share views.

    The briefing finds the findings of a model and of the model once its planned controls are in place;
    the second run takes the first's control-free views (the tables as dicts, the flows between systems,
    the exposure with every control removed) instead of computing them again (seconds on a national model).
    Outside the block nothing is kept; inside it, do not change the models.

    Yields
    ------
    None
        Nothing: the block only scopes the sharing.
    """
    if _CONTEXTS.get() is not None:  # nested: keep the outer block's contexts
        yield
        return
    token = _CONTEXTS.set([])
    try:
        yield
    finally:
        _CONTEXTS.reset(token)


def _differs_in_controls_only(a: Model, b: Model) -> bool:
    return a.meta == b.meta and all(getattr(a, t.name) is getattr(b, t.name) for t in TABLES if t.name != "controls")


def _borrow(ctx: FindingContext) -> None:
    """Give ``ctx`` the control-free views already computed by an earlier context of the block, if any."""
    contexts = _CONTEXTS.get()
    if contexts is None:
        return
    for other in contexts:
        if _differs_in_controls_only(other.model, ctx.model):
            for name in _CONTROL_FREE_VIEWS:
                if name in other.__dict__:  # a cached_property computed there
                    ctx.__dict__[name] = other.__dict__[name]
            break
    contexts.append(ctx)


def evaluate(model: Model, rule_set: Iterable[Rule], include_all: bool = False,
             exposure_threshold: float = DEFAULT_EXPOSURE_THRESHOLD, rating_check: pd.DataFrame | None = None
             ) -> pd.DataFrame:
    """Run the given rules on every element each examines: the findings table.

    Parameters
    ----------
    model
        A loaded model.
    rule_set
        The rules to run, in order.
    include_all
        Also return the ``not_applicable`` findings (by default only ``open`` and ``mitigated``).
    exposure_threshold
        The path probability (per year) above which an exposed My Number holder is a finding.
    rating_check
        :func:`pia_analysis.analysis.coverage.rating_check` of ``model``, when you have it (computed when
        a rule needs it).

    Returns
    -------
    DataFrame
        The columns of :data:`FINDING_COLUMNS`, sorted by risk level (highest first), then likelihood and
        impact (highest first), then ``finding_id`` (see
        :func:`pia_analysis.analysis.findings.find_findings`).

    Examples
    --------
    >>> from pia_analysis.analysis.findings.engine import evaluate
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.findings import RULES
    >>> found = evaluate(load_model(bundled_model_path()), [r for r in RULES if r.rule_id == "orphan-system"])
    >>> len(found)
    0
    """
    ctx = FindingContext(model, exposure_threshold=exposure_threshold)
    _borrow(ctx)
    if rating_check is not None:
        ctx._cache["rating_check"] = rating_check
    rules_run = tuple(rule_set)
    # Most (rule, element) pairs do not apply; unless they are asked for, they are dropped as soon as that
    # is known (a national model has a few hundred thousand pairs and a few tens of thousands of findings).
    # The rules read the attack graphs of the model and of the model without controls many times (exposure,
    # reachable records, the internet zones): within the block each is built once.
    with shared_nets():
        rows = [row for rule in rules_run for element in rule.elements(ctx)
                if (row := _evaluate(rule, ctx, element, keep_not_applicable=include_all)) is not None]
        if not rows and not include_all:  # nothing applies: the table with its usual (empty) columns
            rows = [_evaluate(rule, ctx, element) for rule in rules_run for element in rule.elements(ctx)]
    frame = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    if not include_all:
        frame = frame.loc[frame["status"] != "not_applicable"]
    frame = frame.astype({"risk_level": "int64", "likelihood": "int64", "impact": "int64", "assumed": "bool"})
    # highest risk level first; within a risk level, the most likely and then the largest impact (ties by id)
    frame = frame.sort_values(["risk_level", "likelihood", "impact", "finding_id"],
                              ascending=[False, False, False, True], kind="stable")
    return frame.reset_index(drop=True)


def summarise(findings: pd.DataFrame, rule_ids: Iterable[str]) -> pd.DataFrame:
    """Counts of findings by rule and status, for the rules named (absent combinations as 0).

    Parameters
    ----------
    findings
        A findings table (:func:`evaluate`).
    rule_ids
        The rules to count, in the order of the rows.

    Returns
    -------
    DataFrame
        Columns ``rule_id, open, mitigated, not_applicable, total`` (``int64`` counts), one row per rule.

    Examples
    --------
    >>> import pandas as pd
    >>> from pia_analysis.analysis.findings.engine import FINDING_COLUMNS, summarise
    >>> empty = pd.DataFrame(columns=FINDING_COLUMNS)
    >>> summarise(empty, ["orphan-system"]).to_dict("records")
    [{'rule_id': 'orphan-system', 'open': 0, 'mitigated': 0, 'not_applicable': 0, 'total': 0}]
    """
    order = list(rule_ids)
    counts = pd.crosstab(findings["rule_id"], findings["status"]) if len(findings) else pd.DataFrame()
    counts = counts.reindex(index=order, columns=list(FINDING_STATUSES), fill_value=0).fillna(0).astype("int64")
    counts.columns.name = None
    counts["total"] = counts.sum(axis=1)
    return counts.rename_axis("rule_id").reset_index()
