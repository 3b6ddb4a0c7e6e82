"""The findings rule engine: findings derived from the model, the exposure results and the coverage.

Each rule (:class:`Rule`) is plain Python data plus plain Python predicates — nothing is ever evaluated
from a string. A rule names the elements it examines (flows, systems, zones or risk items) and, for
each one, answers two questions:

* **applies** — is the situation the rule is about present? If not, the finding is ``not_applicable``;
* **mitigated** — if it applies, does the model record what answers it? ``mitigated`` if so, else
  ``open``.

Every finding carries a stable id ``rule_id@element``, the stage and the catalogue risk ids it bears on,
a LINDDUN category, and a severity read from a 4 × 4 likelihood × impact grid (levels 1 negligible …
4 maximum, as in the CNIL method). The grid and the scales are data: ``catalog/severity_grid.csv`` and
``catalog/severity_scales.csv``; the channel words that mark in-person and removable-media flows are in
``catalog/channel_keywords.csv``. ``docs/findings.md`` documents each rule.

The severity of a finding is its *inherent* severity (before the mitigation is counted): a mitigated
finding keeps the severity of what it would be if the mitigation failed, so the two can be compared.
"""

from __future__ import annotations

__all__ = ["DEFAULT_EXPOSURE_THRESHOLD", "FINDING_COLUMNS", "FINDING_STATUSES", "FindingContext", "LINDDUN", "RULES",
           "Rule", "SeverityScale", "find_findings", "findings_summary", "impact_level", "likelihood_level", "rules",
           "severity_grid", "severity_of", "severity_scales"]

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from .. import catalog
from ..model.model import Model
from ..model.schema import STAGES
from .attack_graph import reachable_holdings
from . import coverage
from .exposure import exposure_and_paths

#: LINDDUN threat categories (the privacy threat taxonomy of KU Leuven).
LINDDUN = ("Linking", "Identifying", "Non-repudiation", "Detecting", "Data disclosure", "Unawareness",
           "Non-compliance")
FINDING_STATUSES = ("open", "mitigated", "not_applicable")
#: Default exposure threshold: a most-likely path probability above it is a finding.
DEFAULT_EXPOSURE_THRESHOLD = 0.01
FINDING_COLUMNS = ["finding_id", "rule_id", "element", "element_type", "status", "severity", "likelihood", "impact",
                   "stage", "risk_ids", "linddun", "title_ja", "title_en", "detail_ja", "detail_en"]
_CITY = "city"
_STATUTORY = ("jlis", "national")  # bodies that hold data by statute, under the national security standard


# ---------------------------------------------------------------------------------------------------
# severity grid (data)


def severity_grid() -> pd.DataFrame:
    """The 4 × 4 grid: likelihood (rows) × impact (columns) → severity level 1–4.

    Examples
    --------
    >>> severity_grid().loc[3, 4]
    np.int64(4)
    """
    grid = catalog.read_table("severity_grid.csv").astype("int64")
    out = grid.pivot(index="likelihood", columns="impact", values="severity")
    if out.shape != (4, 4) or out.isna().any().any():
        raise ValueError("catalog/severity_grid.csv must give a severity for each of the 16 cells")
    return out


def severity_scales() -> pd.DataFrame:
    """The labels and lower bounds of the likelihood, impact and severity levels.

    Examples
    --------
    >>> severity_scales().query("scale == 'impact'")["min_value"].tolist()
    [0.0, 1000.0, 10000.0, 300000.0]
    """
    scales = catalog.read_table("severity_scales.csv")
    scales["level"] = scales["level"].astype("int64")
    scales["min_value"] = pd.to_numeric(scales["min_value"].replace("", None)).astype("float64")
    return scales


@dataclass(frozen=True)
class SeverityScale:
    """The grid and the scales, read once (:meth:`load`) and then used for every finding of a run."""

    grid: dict[tuple[int, int], int]
    likelihood_bounds: tuple[float, ...]  # lower bound of levels 1, 2, 3, 4
    impact_bounds: tuple[float, ...]

    @classmethod
    def load(cls) -> SeverityScale:
        grid = severity_grid()
        scales = severity_scales()

        def bounds(scale: str) -> tuple[float, ...]:
            rows = scales.loc[scales["scale"] == scale].sort_values("level")
            if rows["level"].tolist() != [1, 2, 3, 4] or not rows["min_value"].is_monotonic_increasing:
                raise ValueError(f"catalog/severity_scales.csv: the {scale} scale needs levels 1-4 with rising bounds")
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
        return self._level(self.likelihood_bounds, float(probability))

    def impact(self, records: float) -> int:
        return self._level(self.impact_bounds, float(records))

    def severity(self, likelihood: int, impact: int) -> int:
        return self.grid[(int(likelihood), int(impact))]


def likelihood_level(probability: float) -> int:
    """The likelihood level (1–4) of a yearly probability, by ``catalog/severity_scales.csv``.

    Examples
    --------
    >>> [likelihood_level(p) for p in (0.0, 0.001, 0.0099, 0.01, 0.5)]
    [1, 2, 2, 3, 4]
    """
    return SeverityScale.load().likelihood(probability)


def impact_level(records: int) -> int:
    """The impact level (1–4) of the number of records (people) at stake.

    Examples
    --------
    >>> [impact_level(n) for n in (0, 999, 1000, 299_999, 300_000)]
    [1, 1, 2, 3, 4]
    """
    return SeverityScale.load().impact(records)


def severity_of(likelihood: int, impact: int) -> int:
    """The severity level of a likelihood and an impact level, from the grid.

    Examples
    --------
    >>> severity_of(1, 1), severity_of(2, 4), severity_of(4, 4)
    (1, 3, 4)
    """
    return SeverityScale.load().severity(likelihood, impact)


# ---------------------------------------------------------------------------------------------------
# the context the predicates read


def _records(frame: pd.DataFrame) -> list[dict]:
    """``frame.to_dict("records")`` (plain Python values), built column-wise: several times faster on the
    tens of thousands of rows of a national model."""
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
    def scale(self) -> SeverityScale:
        return SeverityScale.load()

    @cached_property
    def systems(self) -> dict[str, dict]:
        return {r["system_id"]: r for r in _records(self.model.systems)}

    @cached_property
    def flows(self) -> dict[str, dict]:
        return {r["flow_id"]: r for r in _records(self.model.flows)}

    @cached_property
    def zones(self) -> dict[str, dict]:
        return {r["zone_id"]: r for r in _records(self.model.zones)}

    @cached_property
    def records(self) -> dict[str, int]:
        return dict(zip(self.model.files["file_id"], self.model.files["records"].astype(int)))

    @cached_property
    def mn_files(self) -> frozenset[str]:
        return self.model.my_number_files

    @cached_property
    def keywords(self) -> dict[str, tuple[str, ...]]:
        table = catalog.read_table("channel_keywords.csv")
        return {kind: tuple(group["keyword"]) for kind, group in table.groupby("kind")}

    @cached_property
    def implemented(self) -> list[dict]:
        return [c for c in _records(self.model.controls) if c["status"] == "implemented"]

    @cached_property
    def _controls_by_target(self) -> tuple[dict[str, list[dict]], list[dict]]:
        """The implemented controls by the element they name, and those that apply to ``*``."""
        by_target: dict[str, list[dict]] = {}
        star: list[dict] = []
        for c in self.implemented:
            for target in dict.fromkeys(c["applies_to"]):
                if target == "*":
                    star.append(c)
                else:
                    by_target.setdefault(target, []).append(c)
        return by_target, star

    @cached_property
    def flows_of(self) -> dict[str, list[str]]:
        """system id → the sorted ids of the flows that touch it."""
        out: dict[str, list[str]] = {s: [] for s in self.systems}
        for fid, f in self.flows.items():
            out[f["source"]].append(fid)
            out[f["target"]].append(fid)
        return {s: sorted(v) for s, v in out.items()}

    # -- derived facts -------------------------------------------------------------------------------
    def zone_operator(self, system_id: str) -> str:
        return str(self.zones[self.systems[system_id]["zone_id"]]["operator"])

    @cached_property
    def _mn_held(self) -> dict[str, tuple[str, ...]]:
        mn = self.mn_files
        return {sid: tuple(sorted(f for f in s["holds"] if f in mn)) for sid, s in self.systems.items()}

    def mn_held(self, system_id: str) -> list[str]:
        return list(self._mn_held[system_id])

    def mn_records_held(self, system_id: str) -> int:
        return max((self.records[f] for f in self.mn_held(system_id)), default=0)

    @cached_property
    def _mn_records_reachable(self) -> dict[str, int]:
        # the movement rule of the attack graph, swept once for every system
        return {sid: int(n) for sid, n in reachable_holdings(self.model).items()}

    def mn_records_reachable(self, system_id: str) -> int:
        """The most My Number records an attacker holding ``system_id`` can reach (itself included), by
        :func:`pia_analysis.analysis.attack_graph.reachable_holdings`."""
        return self._mn_records_reachable[system_id]

    def controls_on(self, element: str, risks: Iterable[str] | None = None, star: bool = True) -> list[str]:
        """Implemented controls applying to ``element`` (or to ``*`` when ``star``), optionally limited
        to those mitigating one of ``risks``; sorted ids."""
        key = ("controls_on", element, None if risks is None else tuple(risks), star)
        if key in self._cache:
            return list(self._cache[key])
        wanted = set(risks) if risks is not None else None
        by_target, star_controls = self._controls_by_target
        candidates = by_target.get(element, [])
        if star:
            candidates = candidates + star_controls
        out = set()
        for c in candidates:
            if wanted is None or not wanted.isdisjoint(c["mitigates"]):
                out.add(c["control_id"])
        self._cache[key] = result = sorted(out)
        return list(result)

    def channel_is(self, flow_id: str, kind: str) -> bool:
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
        return list(self._risk_ids_by_stage.get(stage, []))

    @cached_property
    def rating_check(self) -> pd.DataFrame:
        """:func:`pia_analysis.analysis.coverage.rating_check` of the model, indexed by risk id (the one given to
        :func:`find_findings`, if any)."""
        given = self._cache.get("rating_check")
        if given is None:
            given = coverage.rating_check(self.model)
        return given.set_index("risk_id")

    # -- exposure -----------------------------------------------------------------------------------
    def _exposure(self, model: Model) -> pd.DataFrame:
        # exposure and path of node_exposure (the rules read nothing else), indexed by system id
        return exposure_and_paths(model)

    def exposure_paths(self, table: pd.DataFrame) -> dict[str, list[str]]:
        """system id → path of one of the exposure tables above."""
        key = ("paths", id(table))
        if key not in self._cache:
            self._cache[key] = (table, dict(zip(table.index, table["path"].tolist())))
        return self._cache[key][1]

    def exposure_values(self, table: pd.DataFrame) -> dict[str, float]:
        """system id → exposure of one of the exposure tables above, as plain floats (looked up often)."""
        key = ("values", id(table))
        if key not in self._cache:
            self._cache[key] = (table, {k: float(v) for k, v in table["exposure"].items()})
        return self._cache[key][1]

    @cached_property
    def exposure(self) -> pd.DataFrame:
        """node_exposure of the model, indexed by system id."""
        return self._exposure(self.model)

    @cached_property
    def raw_exposure(self) -> pd.DataFrame:
        """node_exposure with every control removed: the exposure the controls have to bring down."""
        return self._exposure(self.model.replace(controls=self.model.controls.iloc[0:0]))

    def zone_exposure(self, zone_id: str, with_controls: bool) -> pd.DataFrame:
        """node_exposure when every system of ``zone_id`` is an entry point of likelihood 1 and no other
        system is (the zone is assumed compromised: the exposure is conditional on it)."""
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
    def _mn_holders(self) -> tuple[str, ...]:
        return tuple(sorted(s for s in self.systems if self.mn_held(s)))

    def mn_holders(self) -> list[str]:
        return list(self._mn_holders)

    @cached_property
    def zones_with_systems(self) -> frozenset[str]:
        return frozenset(s["zone_id"] for s in self.systems.values())


# ---------------------------------------------------------------------------------------------------
# rules as data


@dataclass(frozen=True)
class Rule:
    """One rule of the engine.

    ``stage`` is a stage code, or ``""`` when the stage is the examined element's (then ``stage_of``
    gives it, and the finding keeps only the ``risk_ids`` of that stage). ``likelihood``/``impact`` are
    the defaults; ``score`` may give them per element. ``mitigated`` is None for a rule that nothing in
    the model can mitigate (only a correction of the model closes it).
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

    def __post_init__(self) -> None:
        if self.linddun is not None and self.linddun not in LINDDUN:
            raise ValueError(f"{self.rule_id}: unknown LINDDUN category {self.linddun!r}")
        if "@" in self.rule_id:
            raise ValueError(f"{self.rule_id}: a rule id may not contain '@' (finding ids are rule@element)")


# -- shared helpers of the predicates --------------------------------------------------------------


def _sys_ja(ctx: FindingContext, sid: str) -> str:
    return f"{sid}（{ctx.systems[sid]['name_ja']}）"


def _sys_en(ctx: FindingContext, sid: str) -> str:
    name = ctx.systems[sid].get("name_en") or ""
    return f"{sid} ({name})" if name else sid


def _flow_stage(ctx: FindingContext, fid: str) -> str:
    return str(ctx.flows[fid]["stage"])


def _flow_mn(ctx: FindingContext, fid: str) -> list[str]:
    return sorted(f for f in ctx.flows[fid]["files"] if f in ctx.mn_files)


def _flow_records(ctx: FindingContext, fid: str, my_number_only: bool = True) -> int:
    files = _flow_mn(ctx, fid) if my_number_only else ctx.flows[fid]["files"]
    return max((ctx.records[f] for f in files), default=0)


def _zones_of_flow(ctx: FindingContext, fid: str) -> tuple[str, str]:
    f = ctx.flows[fid]
    return ctx.systems[f["source"]]["zone_id"], ctx.systems[f["target"]]["zone_id"]


# -- rule 1: a flow carrying a My Number file across zones without encryption -----------------------


def _crossing_applies(ctx: FindingContext, fid: str) -> bool:
    src, dst = _zones_of_flow(ctx, fid)
    # Paper and in-person channels (窓口, 対面 …) cannot be encrypted: their risk is the counter's
    # identity check and handling, which other rules and the acquire coverage look at.
    return bool(_flow_mn(ctx, fid)) and src != dst and not ctx.channel_is(fid, "in_person")


def _crossing_score(ctx: FindingContext, fid: str) -> tuple[int, int]:
    src, dst = _zones_of_flow(ctx, fid)
    internet = ctx.zones[src]["internet_facing"] or ctx.zones[dst]["internet_facing"]
    other_operator = ctx.zones[src]["operator"] != ctx.zones[dst]["operator"]
    likelihood = 4 if internet else 3 if other_operator else 2
    return likelihood, ctx.scale.impact(_flow_records(ctx, fid))


def _crossing_detail(ctx: FindingContext, fid: str) -> tuple[str, str]:
    f = ctx.flows[fid]
    src, dst = _zones_of_flow(ctx, fid)
    files = "、".join(_flow_mn(ctx, fid)) or "なし"
    enc_ja = "暗号化あり" if f["encrypted"] else "暗号化なし"
    enc_en = "encrypted" if f["encrypted"] else "not encrypted"
    channel = f.get("channel") or "-"
    ja = (f"{fid}: {f['source']}→{f['target']}（ゾーン {src}→{dst}、経路 {channel}）が個人番号を含む {files} を"
          f"運ぶ（{enc_ja}、最大 {_flow_records(ctx, fid):,} 件）。")
    en = (f"{fid}: {f['source']}→{f['target']} (zones {src}→{dst}, channel {channel}) carries "
          f"{', '.join(_flow_mn(ctx, fid)) or 'none'} with My Numbers ({enc_en}; up to {_flow_records(ctx, fid):,} records).")
    return ja, en


# -- rule 2: a My Number file held in a zone not operated by the city --------------------------------

_OUTSIDE_RISKS = ("retain-1", "retain-3", "outsource-1", "outsource-3")


def _outside_applies(ctx: FindingContext, sid: str) -> bool:
    return bool(ctx.mn_held(sid)) and ctx.zone_operator(sid) != _CITY


def _outside_mitigated(ctx: FindingContext, sid: str) -> bool:
    # An organisation-wide (*) measure of the city does not bind another operator: only a control that
    # names this system counts.
    return bool(ctx.controls_on(sid, _OUTSIDE_RISKS, star=False))


def _outside_score(ctx: FindingContext, sid: str) -> tuple[int, int]:
    likelihood = 2 if ctx.zone_operator(sid) in _STATUTORY else 3
    return likelihood, ctx.scale.impact(ctx.mn_records_held(sid))


def _outside_detail(ctx: FindingContext, sid: str) -> tuple[str, str]:
    zone = ctx.systems[sid]["zone_id"]
    op = ctx.zone_operator(sid)
    controls = ctx.controls_on(sid, _OUTSIDE_RISKS, star=False)
    files = ctx.mn_held(sid)
    ja = (f"{_sys_ja(ctx, sid)} がゾーン {zone}（運用: {op}）で {'、'.join(files)} を保有する。"
          f"保管・委託の対策: {'、'.join(controls) or 'なし'}。")
    en = (f"{_sys_en(ctx, sid)} holds {', '.join(files)} in zone {zone} (operated by {op}). "
          f"Storage/outsourcing controls naming it: {', '.join(controls) or 'none'}.")
    return ja, en


# -- rule 3: a path from an entry point to a My Number holder above the threshold --------------------


def _exposed_applies(ctx: FindingContext, sid: str) -> bool:
    return bool(ctx.mn_held(sid)) and ctx.exposure_values(ctx.raw_exposure)[sid] > ctx.exposure_threshold


def _exposed_mitigated(ctx: FindingContext, sid: str) -> bool:
    return ctx.exposure_values(ctx.exposure)[sid] <= ctx.exposure_threshold


def _exposed_score(ctx: FindingContext, sid: str) -> tuple[int, int]:
    return ctx.scale.likelihood(ctx.exposure_values(ctx.exposure)[sid]), ctx.scale.impact(ctx.mn_records_held(sid))


def _exposed_detail(ctx: FindingContext, sid: str) -> tuple[str, str]:
    value = ctx.exposure_values(ctx.exposure)[sid]
    raw = ctx.exposure_values(ctx.raw_exposure)[sid]
    path = " → ".join(ctx.exposure_paths(ctx.exposure)[sid]) or "-"
    ja = (f"{_sys_ja(ctx, sid)} への最も起こりやすい経路 {path}: 確率 {value:.4f}"
          f"（対策なしでは {raw:.4f}、しきい値 {ctx.exposure_threshold:g}）。")
    en = (f"Most likely path to {_sys_en(ctx, sid)}: {path}, probability {value:.4f} "
          f"({raw:.4f} without controls; threshold {ctx.exposure_threshold:g}).")
    return ja, en


# -- rule 4: a subcontractor with access and no prior-approval control -------------------------------


def _is_subcontractor(ctx: FindingContext, sid: str) -> bool:
    return ctx.systems[sid]["operator"] == "subcontractor" or ctx.zone_operator(sid) == "subcontractor"


def _subcon_applies(ctx: FindingContext, sid: str) -> bool:
    # "access": a flow touches the system or it holds a file; an idle subcontractor system reaches nothing.
    return _is_subcontractor(ctx, sid) and bool(ctx.flows_of[sid] or len(ctx.systems[sid]["holds"]))


def _subcon_mitigated(ctx: FindingContext, sid: str) -> bool:
    return bool(ctx.controls_on(sid, ("outsource-5",)))


def _subcon_score(ctx: FindingContext, sid: str) -> tuple[int, int]:
    return 2, ctx.scale.impact(ctx.mn_records_reachable(sid))


def _subcon_detail(ctx: FindingContext, sid: str) -> tuple[str, str]:
    controls = ctx.controls_on(sid, ("outsource-5",))
    flows = ctx.flows_of[sid]
    ja = (f"再委託先 {_sys_ja(ctx, sid)}（フロー: {'、'.join(flows) or 'なし'}、到達しうる個人番号 "
          f"{ctx.mn_records_reachable(sid):,} 件）。再委託の事前許可（outsource-5）: {'、'.join(controls) or 'なし'}。")
    en = (f"Subcontractor system {_sys_en(ctx, sid)} (flows: {', '.join(flows) or 'none'}; My Number records "
          f"reachable: {ctx.mn_records_reachable(sid):,}). Prior approval (outsource-5): {', '.join(controls) or 'none'}.")
    return ja, en


# -- rule 5: an internet-facing zone that reaches a My Number holder ---------------------------------


def _zone_has_systems(ctx: FindingContext, zid: str) -> bool:
    return zid in ctx.zones_with_systems


def _zone_best(ctx: FindingContext, zid: str, with_controls: bool) -> tuple[float, str | None]:
    """The highest exposure of a My Number holder when zone ``zid`` is compromised, and that holder."""
    key = ("zone_best", zid, with_controls)
    if key not in ctx._cache:
        exp = ctx.exposure_values(ctx.zone_exposure(zid, with_controls))
        best, who = 0.0, None
        for sid in ctx.mn_holders():
            value = exp[sid]
            if value > best:
                best, who = value, sid
        ctx._cache[key] = (best, who)
    return ctx._cache[key]


def _internet_applies(ctx: FindingContext, zid: str) -> bool:
    return bool(ctx.zones[zid]["internet_facing"]) and _zone_has_systems(ctx, zid) and _zone_best(ctx, zid, False)[0] > 0


def _internet_mitigated(ctx: FindingContext, zid: str) -> bool:
    return _zone_best(ctx, zid, True)[0] <= ctx.exposure_threshold


def _internet_score(ctx: FindingContext, zid: str) -> tuple[int, int]:
    best, _who = _zone_best(ctx, zid, True)
    raw = ctx.exposure_values(ctx.zone_exposure(zid, False))
    reached = max((ctx.mn_records_held(s) for s in ctx.mn_holders() if raw[s] > 0), default=0)
    return ctx.scale.likelihood(best), ctx.scale.impact(reached)


def _internet_detail(ctx: FindingContext, zid: str) -> tuple[str, str]:
    best, who = _zone_best(ctx, zid, True)
    raw, raw_who = _zone_best(ctx, zid, False)
    target = who or raw_who
    path = " → ".join(ctx.zone_exposure(zid, True).loc[target, "path"]) if target else ""
    ja = (f"インターネットに面したゾーン {zid}（{ctx.zones[zid]['name_ja']}）から個人番号保有システムに到達しうる。"
          f"ゾーンが侵害された場合の最大到達確率 {best:.4f}（対策なしでは {raw:.4f}）: {path or '-'}。")
    en = (f"Internet-facing zone {zid} reaches a My Number holder. Highest probability if the zone is "
          f"compromised: {best:.4f} ({raw:.4f} without controls): {path or '-'}.")
    return ja, en


# -- rule 6: removable media without encryption ------------------------------------------------------

_MEDIA_RISKS = ("acquire-4", "use-4", "outsource-3", "provide-2", "retain-1")


def _media_applies(ctx: FindingContext, fid: str) -> bool:
    return ctx.channel_is(fid, "removable_media") and len(ctx.flows[fid]["files"]) > 0


def _media_detail(ctx: FindingContext, fid: str) -> tuple[str, str]:
    f = ctx.flows[fid]
    records = _flow_records(ctx, fid, my_number_only=False)
    ja = (f"{fid}: {f['source']}→{f['target']} は媒体（{f.get('channel')}）で {'、'.join(f['files'])} を運ぶ"
          f"（{'暗号化あり' if f['encrypted'] else '暗号化なし'}、最大 {records:,} 件）。")
    en = (f"{fid}: {f['source']}→{f['target']} carries {', '.join(f['files'])} on removable media ({f.get('channel')}; "
          f"{'encrypted' if f['encrypted'] else 'not encrypted'}; up to {records:,} records).")
    return ja, en


# -- rule 7: a My Number store with no control on the retain risks -----------------------------------


def _retain_risks(ctx: FindingContext) -> list[str]:
    return ctx.risk_ids_of_stage("retain")


def _store_mitigated(ctx: FindingContext, sid: str) -> bool:
    # Only controls that name the store count: an organisation-wide (*) control, such as publishing a
    # leak, says nothing about how this store keeps and erases its file.
    return bool(ctx.controls_on(sid, _retain_risks(ctx), star=False))


def _store_detail(ctx: FindingContext, sid: str) -> tuple[str, str]:
    controls = ctx.controls_on(sid, _retain_risks(ctx), star=False)
    ja = (f"{_sys_ja(ctx, sid)} は {'、'.join(ctx.mn_held(sid))} を保有する。保管・消去リスクの対策（このシステムを"
          f"名指しするもの）: {'、'.join(controls) or 'なし'}。")
    en = (f"{_sys_en(ctx, sid)} holds {', '.join(ctx.mn_held(sid))}. Controls on the retain risks naming it: "
          f"{', '.join(controls) or 'none'}.")
    return ja, en


# -- rule 8: a self-rating not borne out by coverage -------------------------------------------------


def _rating_applies(ctx: FindingContext, rid: str) -> bool:
    return ctx.rating_check.loc[rid, "status"] in ("consistent", "overclaimed", "underclaimed")


def _rating_mitigated(ctx: FindingContext, rid: str) -> bool:
    return ctx.rating_check.loc[rid, "status"] == "consistent"


def _rating_score(ctx: FindingContext, rid: str) -> tuple[int, int]:
    row = ctx.rating_check.loc[rid]
    if row["status"] == "underclaimed":
        return 1, 1  # paperwork out of date; no protection is missing
    coverage = float(row["coverage"]) if pd.notna(row["coverage"]) else 0.0
    likelihood = 3 if coverage < 0.5 else 2
    impact = 3 if row["rating"] == "特に力を入れている" else 2
    return likelihood, impact


def _rating_detail(ctx: FindingContext, rid: str) -> tuple[str, str]:
    row = ctx.rating_check.loc[rid]
    rating = row["rating"] if pd.notna(row["rating"]) else "未評価"
    ja = (f"{rid}（{row['name_ja']}）: 自己評価「{rating}」、対象 {row['pairs']} 組のうち実施済み対策 {row['covered']}、"
          f"計画中 {row['planned']}、未対策 {row['gaps']}（判定 {row['status']}）。")
    en = (f"{rid}: self-rating {rating}; of {row['pairs']} pairs {row['covered']} covered, {row['planned']} planned, "
          f"{row['gaps']} gaps (status {row['status']}).")
    return ja, en


# -- rule 9: an entry point with no control at all ---------------------------------------------------


def _entry_controls(ctx: FindingContext, sid: str) -> list[str]:
    # Controls that name the entry point or a flow touching it (they lower its entering or passing
    # probability); organisation-wide (*) controls are not counted, or every entry would look guarded.
    out = set(ctx.controls_on(sid, star=False))
    for fid in ctx.flows_of[sid]:
        out |= set(ctx.controls_on(fid, star=False))
    return sorted(out)


def _entry_stage(ctx: FindingContext, sid: str) -> str:
    order = {s: i for i, s in enumerate(STAGES)}
    stages = sorted({ctx.flows[f]["stage"] for f in ctx.flows_of[sid]}, key=order.get)
    return stages[0] if stages else ""


def _entry_detail(ctx: FindingContext, sid: str) -> tuple[str, str]:
    controls = _entry_controls(ctx, sid)
    p = float(ctx.systems[sid]["entry_likelihood"])
    ja = (f"入口 {_sys_ja(ctx, sid)}（年間の発生確率 {p:g}、到達しうる個人番号 {ctx.mn_records_reachable(sid):,} 件）。"
          f"入口またはそのフローを名指しする実施済み対策: {'、'.join(controls) or 'なし'}。")
    en = (f"Entry point {_sys_en(ctx, sid)} (yearly likelihood {p:g}; My Number records reachable "
          f"{ctx.mn_records_reachable(sid):,}). Implemented controls naming it or its flows: {', '.join(controls) or 'none'}.")
    return ja, en


# -- rule 10: a system no flow touches ---------------------------------------------------------------


def _orphan_score(ctx: FindingContext, sid: str) -> tuple[int, int]:
    held = max((ctx.records[f] for f in ctx.systems[sid]["holds"]), default=0)
    return 1, ctx.scale.impact(held)


def _orphan_detail(ctx: FindingContext, sid: str) -> tuple[str, str]:
    holds = list(ctx.systems[sid]["holds"])
    ja = f"{_sys_ja(ctx, sid)} にはどのフローも接続していない（保有ファイル: {'、'.join(holds) or 'なし'}）。"
    en = f"No flow touches {_sys_en(ctx, sid)} (files held: {', '.join(holds) or 'none'})."
    return ja, en


def _all_systems(ctx: FindingContext) -> list[str]:
    return sorted(ctx.systems)


def _all_flows(ctx: FindingContext) -> list[str]:
    return sorted(ctx.flows)


RULES: tuple[Rule, ...] = (
    Rule(
        rule_id="unencrypted-crossing",
        title_ja="個人番号を含むファイルを暗号化せずにゾーンを越えて運ぶフロー",
        title_en="Flow carrying a My Number file across zones without encryption",
        explanation_ja="ネットワーク区画の境界を越える通信は、盗聴・なりすまし・誤送信の機会が増える。閉域網であっても"
                       "暗号化しなければ、経路上の機器や委託先の回線で漏えいしうる。",
        explanation_en="A flow that leaves its zone passes devices and lines the zone does not control; on a closed "
                       "network too, data sent in clear can leak on the way.",
        stage="",
        risk_ids=("acquire-4", "use-2", "outsource-1", "provide-2", "network-2", "network-4", "network-6", "retain-1"),
        linddun="Data disclosure",
        element_type="flow",
        applicability_ja="フローが個人番号を含むファイルを運び、送信元と送信先のゾーンが異なり、経路が窓口・対面・紙など"
                         "（catalog/channel_keywords.csv の in_person）でないこと。",
        applicability_en="The flow carries a file with My Numbers, its two ends are in different zones, and its "
                         "channel is not in-person or paper (in_person words of catalog/channel_keywords.csv).",
        mitigated_by_ja="フローの encrypted が true。",
        mitigated_by_en="The flow is marked encrypted.",
        elements=_all_flows,
        applies=_crossing_applies,
        mitigated=lambda ctx, fid: bool(ctx.flows[fid]["encrypted"]),
        detail=_crossing_detail,
        score=_crossing_score,
        stage_of=_flow_stage,
    ),
    Rule(
        rule_id="mn-outside-city",
        title_ja="市が運用しないゾーンに保有される個人番号ファイル",
        title_en="My Number file held in a zone the city does not operate",
        explanation_ja="委託先・他団体・機構などのゾーンにある特定個人情報は、市の直接の管理が及ばない。保管と消去の"
                       "対策がそのシステムについて評価書に記載されている必要がある。",
        explanation_en="Specific personal information in a contractor's, another body's or J-LIS's zone is out of the "
                       "city's direct control; the assessment must state the storage and erasure measures there.",
        stage="retain",
        risk_ids=_OUTSIDE_RISKS,
        linddun="Data disclosure",
        element_type="system",
        applicability_ja="システムが個人番号を含むファイルを保有し、そのゾーンの運用者が city でないこと。",
        applicability_en="The system holds a file with My Numbers and its zone's operator is not the city.",
        mitigated_by_ja="このシステムを名指しする（* でない）実施済み対策が retain-1、retain-3、outsource-1、outsource-3 "
                        "のいずれかを軽減すること。",
        mitigated_by_en="An implemented control naming the system (not *) mitigates retain-1, retain-3, outsource-1 "
                        "or outsource-3.",
        elements=_all_systems,
        applies=_outside_applies,
        mitigated=_outside_mitigated,
        detail=_outside_detail,
        score=_outside_score,
    ),
    Rule(
        rule_id="exposed-mn-holder",
        title_ja="入口から個人番号保有システムへの経路の確率がしきい値を超える",
        title_en="Path from an entry point to a My Number holder above the threshold",
        explanation_ja="攻撃グラフ上で、入口から個人番号を保有するシステムまでの最も起こりやすい経路の確率が"
                       "しきい値（既定 0.01/年）を超えている。",
        explanation_en="On the attack graph, the most likely path from an entry point to a system holding My Numbers "
                       "has a probability above the threshold (default 0.01 a year).",
        stage="retain",
        risk_ids=("use-2", "retain-1"),
        linddun="Data disclosure",
        element_type="system",
        applicability_ja="個人番号を保有するシステムで、対策をすべて除いた場合の曝露（最も起こりやすい経路の確率）が"
                         "しきい値を超えること。",
        applicability_en="A system holding My Numbers whose exposure with every control removed is above the threshold.",
        mitigated_by_ja="実施済み対策を含めた曝露がしきい値以下であること。",
        mitigated_by_en="Its exposure with the implemented controls is at or below the threshold.",
        elements=_all_systems,
        applies=_exposed_applies,
        mitigated=_exposed_mitigated,
        detail=_exposed_detail,
        score=_exposed_score,
    ),
    Rule(
        rule_id="subcontractor-unapproved",
        title_ja="事前許可の対策がない再委託先のアクセス",
        title_en="Subcontractor with access and no prior-approval control",
        explanation_ja="再委託は委託元（市）の事前許可を条件とし、再委託先にも委託先と同等の安全管理を求める必要がある"
                       "（委託リスク5）。",
        explanation_en="Re-outsourcing needs the city's prior approval and the same safeguards as the contractor "
                       "(outsourcing risk 5).",
        stage="outsource",
        risk_ids=("outsource-5",),
        linddun="Non-compliance",
        element_type="system",
        applicability_ja="システムまたはそのゾーンの運用者が subcontractor で、フローが接続しているかファイルを保有すること。",
        applicability_en="The system or its zone is operated by a subcontractor, and a flow touches it or it holds a file.",
        mitigated_by_ja="outsource-5 を軽減する実施済み対策がこのシステム（または *）に適用されていること。",
        mitigated_by_en="An implemented control mitigating outsource-5 applies to the system (or to *).",
        elements=_all_systems,
        applies=_subcon_applies,
        mitigated=_subcon_mitigated,
        detail=_subcon_detail,
        score=_subcon_score,
    ),
    Rule(
        rule_id="internet-reaches-mn",
        title_ja="インターネットに面したゾーンから個人番号保有システムに到達できる",
        title_en="Internet-facing zone that reaches a My Number holder",
        explanation_ja="インターネットに面したゾーンは侵害を前提に考える。そこから個人番号保有システムへフローで"
                       "到達できるなら、その経路の対策が十分に確率を下げている必要がある。",
        explanation_en="An internet-facing zone is assumed compromised; if flows lead from it to a My Number holder, "
                       "the controls on the way must bring the probability down.",
        stage="retain",
        risk_ids=("use-2", "retain-1"),
        linddun="Data disclosure",
        element_type="zone",
        applicability_ja="ゾーンがインターネットに面し、そのシステムを入口（確率1）としたとき、対策を除いて個人番号保有"
                         "システムに到達できること。",
        applicability_en="The zone is internet-facing and, taking its systems as entry points of likelihood 1, a My "
                         "Number holder is reachable with the controls removed.",
        mitigated_by_ja="同じ条件で実施済み対策を含めた最大到達確率が曝露しきい値以下であること。",
        mitigated_by_en="Under the same assumption, the highest probability with the implemented controls is at or "
                        "below the exposure threshold.",
        elements=lambda ctx: sorted(ctx.zones),
        applies=_internet_applies,
        mitigated=_internet_mitigated,
        detail=_internet_detail,
        score=_internet_score,
    ),
    Rule(
        rule_id="media-unencrypted",
        title_ja="暗号化されていない可搬媒体",
        title_en="Removable media without encryption",
        explanation_ja="可搬媒体は紛失・盗難が起こりやすい。暗号化されていなければ、紛失がそのまま漏えいになる。",
        explanation_en="Removable media get lost or stolen; unencrypted, a loss is a leak.",
        stage="",
        risk_ids=_MEDIA_RISKS,
        linddun="Data disclosure",
        element_type="flow",
        applicability_ja="フローの経路が媒体を示し（catalog/channel_keywords.csv の removable_media、例: 媒体）、ファイルを運ぶこと。",
        applicability_en="The flow's channel names removable media (removable_media words of "
                         "catalog/channel_keywords.csv, e.g. 媒体) and it carries a file.",
        mitigated_by_ja="フローの encrypted が true。",
        mitigated_by_en="The flow is marked encrypted.",
        elements=_all_flows,
        applies=_media_applies,
        mitigated=lambda ctx, fid: bool(ctx.flows[fid]["encrypted"]),
        detail=_media_detail,
        likelihood=3,
        score=lambda ctx, fid: (3, ctx.scale.impact(_flow_records(ctx, fid, my_number_only=False))),
        stage_of=_flow_stage,
    ),
    Rule(
        rule_id="mn-store-no-retain-control",
        title_ja="保管・消去リスクの対策がない個人番号の保管先",
        title_en="My Number store with no control on the retain risks",
        explanation_ja="個人番号を保有するシステムごとに、漏えい・滅失・毀損、古い情報、消去の対策が必要である。",
        explanation_en="Every system that keeps My Numbers needs measures against leaks, outdated data and "
                       "data never erased.",
        stage="retain",
        risk_ids=("retain-1", "retain-2", "retain-3"),
        linddun="Non-compliance",
        element_type="system",
        applicability_ja="システムが個人番号を含むファイルを保有すること。",
        applicability_en="The system holds a file with My Numbers.",
        mitigated_by_ja="このシステムを名指しする（* でない）実施済み対策が保管・消去段階のリスク（追加リスクを含む）の"
                        "いずれかを軽減すること。",
        mitigated_by_en="An implemented control naming the system (not *) mitigates one of the retain-stage risks "
                        "(extra risks included).",
        elements=_all_systems,
        applies=lambda ctx, sid: bool(ctx.mn_held(sid)),
        mitigated=_store_mitigated,
        detail=_store_detail,
        score=lambda ctx, sid: (2, ctx.scale.impact(ctx.mn_records_held(sid))),
    ),
    Rule(
        rule_id="rating-not-borne-out",
        title_ja="対策の網羅状況に裏付けられない自己評価",
        title_en="Self-rating not borne out by coverage",
        explanation_ja="「十分である」「特に力を入れている」としたリスクに対策のない要素が残る（過大評価）、または"
                       "「課題が残されている」としたリスクがすべて対策済み（評価書かモデルが古い）。",
        explanation_en="A risk rated 十分である or 特に力を入れている has elements with no control (overclaimed), or a "
                       "risk rated 課題が残されている is fully covered (the rating or the model is out of date).",
        stage="",
        risk_ids=(),
        linddun="Non-compliance",
        element_type="risk",
        applicability_ja="リスクに自己評価があり、その段階の対象要素が1つ以上あること（rating_check の status が "
                         "consistent、overclaimed、underclaimed）。",
        applicability_en="The risk is rated and its stage has an element in scope (rating_check status consistent, "
                         "overclaimed or underclaimed).",
        mitigated_by_ja="rating_check の status が consistent。",
        mitigated_by_en="rating_check status consistent.",
        elements=lambda ctx: list(ctx.model.risk_items["risk_id"]),
        applies=_rating_applies,
        mitigated=_rating_mitigated,
        detail=_rating_detail,
        score=_rating_score,
        stage_of=lambda ctx, rid: str(ctx.rating_check.loc[rid, "stage"]),
    ),
    Rule(
        rule_id="entry-no-control",
        title_ja="対策がまったくない入口",
        title_en="Entry point with no control at all",
        explanation_ja="攻撃や不正の起点となりうる入口に、入口自体にもその通信にも対策が記載されていない。",
        explanation_en="An entry point where misuse or attack can start has no control on itself or on its flows.",
        stage="",
        risk_ids=("acquire-2", "use-2", "outsource-1", "provide-1", "network-5", "retain-1"),
        linddun="Data disclosure",
        element_type="system",
        applicability_ja="システムの entry_likelihood が 0 より大きいこと。",
        applicability_en="The system's entry_likelihood is above 0.",
        mitigated_by_ja="このシステム、またはこれに接続するフローを名指しする（* でない）実施済み対策があること。",
        mitigated_by_en="An implemented control names the system or a flow touching it (not *).",
        elements=_all_systems,
        applies=lambda ctx, sid: float(ctx.systems[sid]["entry_likelihood"]) > 0,
        mitigated=lambda ctx, sid: bool(_entry_controls(ctx, sid)),
        detail=_entry_detail,
        score=lambda ctx, sid: (ctx.scale.likelihood(float(ctx.systems[sid]["entry_likelihood"])),
                                ctx.scale.impact(ctx.mn_records_reachable(sid))),
        stage_of=_entry_stage,
    ),
    Rule(
        rule_id="orphan-system",
        title_ja="どのフローにも接続していないシステム",
        title_en="System no flow touches (orphan)",
        explanation_ja="フローのないシステムは、モデルの記載漏れか、使われずに残ったデータ（古いまま・消去されない）の"
                       "可能性がある。",
        explanation_en="A system without flows is either a gap in the model or a leftover whose data is kept "
                       "outdated and never erased.",
        stage="retain",
        risk_ids=("retain-2", "retain-3"),
        linddun="Non-compliance",
        element_type="system",
        applicability_ja="どのフローの送信元・送信先にもならないシステムであること。",
        applicability_en="No flow has the system as its source or target.",
        mitigated_by_ja="なし（モデルを正すか、システムを廃止して閉じる）。",
        mitigated_by_en="Nothing in the model: correct the model or retire the system.",
        elements=_all_systems,
        applies=lambda ctx, sid: not ctx.flows_of[sid],
        mitigated=None,
        detail=_orphan_detail,
        likelihood=1,
        score=_orphan_score,
    ),
)


# ---------------------------------------------------------------------------------------------------
# public API


def rules() -> pd.DataFrame:
    """The rule table (one row per rule, in definition order).

    Returns
    -------
    DataFrame
        ``rule_id, title_ja, title_en, explanation_ja, explanation_en, stage, risk_ids, linddun,
        element_type, likelihood, impact, severity, applicability_ja, applicability_en, mitigated_by_ja,
        mitigated_by_en`` — ``stage`` is empty for rules whose stage is the element's; ``likelihood`` and
        ``impact`` are the defaults (several rules score per element, see docs/findings.md).

    Examples
    --------
    >>> table = rules()
    >>> len(table), table["rule_id"].is_unique
    (10, True)
    """
    scale = SeverityScale.load()
    rows = []
    for r in RULES:
        rows.append({
            "rule_id": r.rule_id, "title_ja": r.title_ja, "title_en": r.title_en,
            "explanation_ja": r.explanation_ja, "explanation_en": r.explanation_en,
            "stage": r.stage, "risk_ids": list(r.risk_ids), "linddun": r.linddun, "element_type": r.element_type,
            "likelihood": r.likelihood, "impact": r.impact, "severity": scale.severity(r.likelihood, r.impact),
            "applicability_ja": r.applicability_ja, "applicability_en": r.applicability_en,
            "mitigated_by_ja": r.mitigated_by_ja, "mitigated_by_en": r.mitigated_by_en,
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
    if rule.rule_id == "rating-not-borne-out":
        risk_ids = [element]
    elif not rule.stage:  # the element's stage: keep the rule's risks of that stage
        risk_ids = [r for r in rule.risk_ids if r.rsplit("-", 1)[0] == stage]
    else:
        risk_ids = list(rule.risk_ids)
    detail_ja, detail_en = rule.detail(ctx, element) if applies else ("", "")
    return {
        "finding_id": f"{rule.rule_id}@{element}", "rule_id": rule.rule_id, "element": element,
        "element_type": rule.element_type, "status": status, "severity": ctx.scale.severity(likelihood, impact),
        "likelihood": int(likelihood), "impact": int(impact), "stage": stage, "risk_ids": risk_ids,
        "linddun": rule.linddun or "", "title_ja": rule.title_ja, "title_en": rule.title_en,
        "detail_ja": detail_ja, "detail_en": detail_en,
    }


def find_findings(model: Model, include_all: bool = False,
                  exposure_threshold: float = DEFAULT_EXPOSURE_THRESHOLD,
                  rule_set: Iterable[Rule] | None = None, rating_check: pd.DataFrame | None = None
                  ) -> pd.DataFrame:
    """Run every rule on every element it examines.

    Parameters
    ----------
    model
        A loaded model.
    include_all
        Also return the ``not_applicable`` findings (by default only ``open`` and ``mitigated``).
    exposure_threshold
        The path probability above which an exposed My Number holder (and an internet-facing zone
        reaching one) is a finding.
    rule_set
        The rules to run (default: :data:`RULES`).
    rating_check
        :func:`pia_analysis.analysis.coverage.rating_check` of ``model``, when you have it (computed when None).

    Returns
    -------
    DataFrame
        ``finding_id, rule_id, element, element_type, status, severity, likelihood, impact, stage,
        risk_ids, linddun, title_ja, title_en, detail_ja, detail_en``, sorted by severity (highest
        first), then likelihood and impact (highest first), then ``finding_id``. Details are empty for not-applicable findings.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> found = find_findings(load_model(bundled_model_path()))
    >>> row = found.set_index("finding_id").loc["unencrypted-crossing@F17"]
    >>> row["status"], int(row["severity"])
    ('open', 4)
    """
    ctx = FindingContext(model, exposure_threshold=exposure_threshold)
    if rating_check is not None:
        ctx._cache["rating_check"] = rating_check
    rules_run = RULES if rule_set is None else tuple(rule_set)
    # Most (rule, element) pairs do not apply; unless they are asked for, they are dropped as soon as that
    # is known (a national model has a few hundred thousand pairs and a few tens of thousands of findings).
    rows = [row for rule in rules_run for element in rule.elements(ctx)
            if (row := _evaluate(rule, ctx, element, keep_not_applicable=include_all)) is not None]
    if not rows and not include_all:  # nothing applies: the table with its usual (empty) columns
        rows = [_evaluate(rule, ctx, element) for rule in rules_run for element in rule.elements(ctx)]
    frame = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    if not include_all:
        frame = frame.loc[frame["status"] != "not_applicable"]
    frame = frame.astype({"severity": "int64", "likelihood": "int64", "impact": "int64"})
    # most severe first; within a severity, the most likely and then the largest impact (ties by id)
    frame = frame.sort_values(["severity", "likelihood", "impact", "finding_id"], ascending=[False, False, False, True],
                              kind="stable")
    return frame.reset_index(drop=True)


def findings_summary(findings: pd.DataFrame) -> pd.DataFrame:
    """Counts of findings by rule and status (rules in definition order, statuses open, mitigated,
    not_applicable; absent combinations as 0).

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> s = findings_summary(find_findings(load_model(bundled_model_path())))
    >>> list(s.columns)
    ['rule_id', 'open', 'mitigated', 'not_applicable', 'total']
    """
    order = [r.rule_id for r in RULES]
    counts = pd.crosstab(findings["rule_id"], findings["status"]) if len(findings) else pd.DataFrame()
    counts = counts.reindex(index=order, columns=list(FINDING_STATUSES), fill_value=0).fillna(0).astype("int64")
    counts.columns.name = None
    counts["total"] = counts.sum(axis=1)
    return counts.rename_axis("rule_id").reset_index()
