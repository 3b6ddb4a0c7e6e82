"""The interactive explorer: what-if changes to a model, and their effect on exposure and stage coverage.

:func:`explore` builds a JupyterLab widget (ipywidgets) on plain functions that do all the work and can be
used, and are tested, without any widget:

* :func:`with_control_status` — the model with one control's ``status`` changed;
* :func:`with_flow_blocked` — the model with one or more flows blocked;
* :func:`with_scenario` — the model changed by a scenario (one of the model's ``scenarios/`` by name, or a file);
* :func:`apply_changes` — all three at once (a :class:`Changes`), with the log of every change made;
* :func:`explorer_state` — the changed model analysed against the unchanged one (:class:`ExplorerState`:
  exposure and stage coverage before and after, and their deltas);
* :func:`system_view` — one system: its exposure row, its most likely attack paths and its blast radius.

**The blocking rule.** Blocking a flow *removes* it from the model, exactly as a scenario's
``remove: {flows: [id]}`` does (:func:`pia_analysis.whatif.scenario.apply_scenario`): its arcs leave the attack
graph (both directions of an interactive flow; a parallel flow between the same systems then becomes the
easiest arc, the rule of :func:`pia_analysis.analysis.exposure.hardening_candidates`), its (risk, flow) pairs leave the
scope of its stage, its id is dropped from the controls' ``applies_to`` and a control left applying to
nothing is removed. The systems at its ends stay. A blocked flow is a flow that no longer exists, not a flow
with a perfect control on it.

**Order.** :func:`apply_changes` applies the scenario first, then the control statuses, then the blocked
flows, so a control or flow the scenario adds can be toggled or blocked too. Every delta is against the
model as given (before the scenario).

``docs/explorer.md`` describes each control of the widget and the limits. ipywidgets is imported only by
:func:`explore`, so importing this module (or ``pia_analysis``) does not need it.
"""

from __future__ import annotations

__all__ = [
    "CHART_KINDS",
    "CONTROL_STATUSES",
    "EFFECT_COLUMNS",
    "Changes",
    "Explorer",
    "ExplorerState",
    "SystemView",
    "apply_changes",
    "explore",
    "explorer_state",
    "scenario_choices",
    "system_view",
    "with_control_status",
    "with_flow_blocked",
    "with_scenario",
]

import base64
import difflib
import html
import io
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .analysis.coverage import stage_coverage
from .analysis.exposure import BlastRadius, attack_paths, blast_radius, node_exposure, simulate_compromise
from .model.model import Model
from .whatif.scenario import (
    Scenario,
    apply_with_log,
    as_scenario,
    coverage_delta_table,
    exposure_delta_table,
    bundled_scenarios,
    load_scenario,
)
from .model.schema import STATUSES

#: The statuses a control can be given (those of ``controls.csv``).
CONTROL_STATUSES: tuple[str, ...] = tuple(STATUSES)
#: Columns of :attr:`ExplorerState.effects`: which explorer change caused the row, then the columns of
#: :func:`pia_analysis.whatif.scenario.scenario_effects`.
EFFECT_COLUMNS = ["change", "op", "table", "id", "column", "before", "after", "cause"]
#: The charts the explorer can draw (``none`` draws nothing).
CHART_KINDS = ("exposure", "coverage", "dataflow", "none")
_HEADLINE_METRICS = ("max_mn_exposure", "records_at_stake", "reached_systems", "covered_pairs", "gaps", "coverage")


# ---------------------------------------------------------------------------------------------------
# errors


def _unknown(kind: str, key: Any, known: Iterable[str], where: str = "the model") -> ValueError:
    """A ValueError naming an unknown id and the nearest known ones."""
    known = sorted(str(k) for k in known)
    near = difflib.get_close_matches(str(key), known, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    listing = ", ".join(known[:12]) + (f", … ({len(known)} in all)" if len(known) > 12 else "")
    return ValueError(f"{key!r} is not a {kind} of {where}{hint} (known: {listing or 'none'})")


# ---------------------------------------------------------------------------------------------------
# changing a model


def with_control_status(model: Model, control_id: str, status: str) -> Model:
    """A copy of ``model`` where control ``control_id`` has ``status`` (implemented, planned or missing).

    Only the ``status`` cell changes; the model is otherwise the same (the graph is rebuilt lazily).
    Implemented controls count in the exposure (their effectiveness) and in the coverage; planned ones
    only as ``planned`` in the coverage; missing ones not at all.

    Raises
    ------
    ValueError
        When ``control_id`` is not a control of the model or ``status`` not one of
        :data:`CONTROL_STATUSES`.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> m = with_control_status(load_model(bundled_model_path()), "C-STORE-FW", "missing")
    >>> m.controls.set_index("control_id").at["C-STORE-FW", "status"]
    'missing'
    """
    if status not in CONTROL_STATUSES:
        raise ValueError(f"{status!r} is not a control status: use one of {', '.join(CONTROL_STATUSES)}")
    ids = model.controls["control_id"]
    mask = ids == control_id
    if not mask.any():
        raise _unknown("control", control_id, ids)
    controls = model.controls.copy()
    controls.loc[mask, "status"] = status
    return model.replace(controls=controls)


def _flow_ids(flow_ids: str | Iterable[str]) -> list[str]:
    ids = [flow_ids] if isinstance(flow_ids, str) else list(flow_ids)
    return list(dict.fromkeys(ids))  # each once, in the order given


def _block(model: Model, flow_ids: list[str]) -> tuple[Model, list[dict[str, Any]]]:
    known = set(model.flows["flow_id"])
    for fid in flow_ids:
        if fid not in known:
            raise _unknown("flow", fid, known)
    if not flow_ids:
        return model, []
    # The scenario machinery removes the flows with their cascades and re-checks the changed tables.
    return apply_with_log(model, as_scenario({"id": "explorer-block", "remove": {"flows": sorted(flow_ids)}}))


def with_flow_blocked(model: Model, flow_id: str | Iterable[str]) -> Model:
    """A copy of ``model`` with a flow (or several) blocked: removed, with the cascades of a scenario.

    See the module documentation for the rule: the flow's arcs leave the attack graph, its pairs leave the
    coverage scope, its id leaves the controls' ``applies_to`` (a control left applying to nothing is
    removed). The systems at its ends stay.

    Raises
    ------
    ValueError
        When a ``flow_id`` is not a flow of the model.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> m = with_flow_blocked(load_model(bundled_model_path()), "F20")
    >>> "F20" in set(m.flows["flow_id"]), m.graph.has_edge("VENDOR_TERM", "JUKI_REC")
    (False, False)
    """
    return _block(model, _flow_ids(flow_id))[0]


def scenario_choices(model: Model, lang: str = "ja") -> dict[str, str]:
    """The model's bundled scenarios (the ``scenarios/`` folder beside it): file name without ``.yaml`` -> title.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> choices = scenario_choices(load_model(bundled_model_path()), lang="en")
    >>> choices["store-firewall-fails"]
    'The store-side firewall fails (convenience-store issuance)'
    """
    return {path.stem: load_scenario(path).title(lang) for path in bundled_scenarios(model)}


def _resolve_scenario(model: Model, scenario: Scenario | str | os.PathLike[str] | Mapping[str, Any]) -> Scenario:
    if isinstance(scenario, (Scenario, Mapping)):
        return as_scenario(scenario)
    by_name = {p.stem: p for p in bundled_scenarios(model)}
    if isinstance(scenario, str) and scenario in by_name:
        return load_scenario(by_name[scenario])
    path = Path(scenario)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return load_scenario(path)
    where = f"the scenarios of {model.path / 'scenarios'}" if model.path is not None else "the model's scenarios"
    raise _unknown("scenario", str(scenario), by_name, where)


def with_scenario(model: Model, scenario: Scenario | str | os.PathLike[str] | Mapping[str, Any]) -> Model:
    """``model`` changed by a scenario: the name of one of its bundled scenarios (:func:`scenario_choices`),
    a scenario file, a :class:`~pia_analysis.whatif.scenario.Scenario` or a mapping with the keys of a file.

    Raises
    ------
    ValueError
        When the name is neither a bundled scenario nor a ``.yaml`` file;
        :class:`~pia_analysis.model.errors.ModelError` (a ValueError) when the scenario does not apply.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> m = with_scenario(load_model(bundled_model_path()), "store-firewall-fails")
    >>> m.controls.set_index("control_id").at["C-STORE-FW", "status"]
    'missing'
    """
    return apply_with_log(model, _resolve_scenario(model, scenario))[0]


@dataclass(frozen=True)
class Changes:
    """What the explorer changes in a model: a scenario, control statuses, blocked flows.

    Attributes
    ----------
    scenario
        ``None``, the name of one of the model's bundled scenarios (:func:`scenario_choices`), a scenario
        file, a :class:`~pia_analysis.whatif.scenario.Scenario` or a mapping with the keys of a scenario file.
    controls
        ``(control_id, status)`` pairs, sorted by id (give a mapping to :meth:`of`).
    blocked_flows
        Flow ids, sorted.
    """

    scenario: Any = None
    controls: tuple[tuple[str, str], ...] = ()
    blocked_flows: tuple[str, ...] = ()

    @classmethod
    def of(cls, changes: Changes | Mapping[str, Any] | None) -> Changes:
        """A :class:`Changes` from ``None`` (no change), a :class:`Changes`, or a mapping with the keys
        ``scenario``, ``controls`` (control_id -> status) and ``blocked_flows`` (ids).

        Examples
        --------
        >>> Changes.of({"controls": {"C2": "missing", "C1": "planned"}, "blocked_flows": ["F9", "F1"]})
        Changes(scenario=None, controls=(('C1', 'planned'), ('C2', 'missing')), blocked_flows=('F1', 'F9'))
        """
        if changes is None:
            return cls()
        if isinstance(changes, Changes):
            return changes
        if not isinstance(changes, Mapping):
            raise TypeError(f"changes must be a Changes or a mapping, not {type(changes).__name__}")
        unknown = sorted(set(changes) - {"scenario", "controls", "blocked_flows"})
        if unknown:
            raise ValueError(f"unknown key(s) in changes: {', '.join(unknown)} "
                             "(the keys are scenario, controls, blocked_flows)")
        controls = changes.get("controls") or {}
        if not isinstance(controls, Mapping):
            controls = dict(controls)  # (id, status) pairs
        scenario = changes.get("scenario") or None
        return cls(scenario=scenario,
                   controls=tuple(sorted((str(k), str(v)) for k, v in controls.items())),
                   blocked_flows=tuple(sorted(_flow_ids(changes.get("blocked_flows") or ()))))

    @property
    def is_empty(self) -> bool:
        return self.scenario is None and not self.controls and not self.blocked_flows

    def scenario_label(self) -> str:
        """How the scenario is named in tables: its bundled name, its file name, or its id."""
        s = self.scenario
        if s is None:
            return ""
        if isinstance(s, Scenario):
            return s.id
        if isinstance(s, Mapping):
            return str(s.get("id", "scenario"))
        return Path(s).stem if isinstance(s, os.PathLike) or str(s).endswith((".yaml", ".yml")) else str(s)


def apply_changes(model: Model, changes: Changes | Mapping[str, Any] | None) -> tuple[Model, pd.DataFrame]:
    """Apply :class:`Changes` to ``model``: the scenario, then the control statuses, then the blocked flows.

    Returns
    -------
    (Model, DataFrame)
        The changed model and every change made (columns :data:`EFFECT_COLUMNS`; ``change`` names the
        explorer change: ``scenario <name>``, ``control <id>`` or ``block <ids>``; cascades included).
        A control given the status it already has changes nothing and logs nothing.

    Raises
    ------
    ValueError
        For an unknown scenario, control, status or flow (after the scenario: a control or flow it adds may
        be changed, one it removes may not).

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> m, fx = apply_changes(load_model(bundled_model_path()), {"blocked_flows": ["F18"]})
    >>> fx[["change", "op", "table", "id"]].values.tolist()[:2]
    [['block F18', 'remove', 'flows', 'F18'], ['block F18', 'remove', 'controls', 'C-STORE-FW']]
    """
    changes = Changes.of(changes)
    rows: list[dict[str, Any]] = []
    out = model
    if changes.scenario is not None:
        scenario = _resolve_scenario(model, changes.scenario)
        out, log = apply_with_log(out, scenario)
        rows += [{"change": f"scenario {changes.scenario_label()}", **r} for r in log]
    if changes.controls:
        statuses = dict(zip(out.controls["control_id"], out.controls["status"]))
        for cid, status in changes.controls:
            if cid not in statuses:
                raise _unknown("control", cid, statuses, "the model" if changes.scenario is None
                               else f"the model after scenario {changes.scenario_label()}")
            if status not in CONTROL_STATUSES:
                raise ValueError(f"{status!r} is not a control status (for {cid}): use one of "
                                 f"{', '.join(CONTROL_STATUSES)}")
            if statuses[cid] == status:
                continue
            out = with_control_status(out, cid, status)
            rows.append({"change": f"control {cid}", "op": "set", "table": "controls", "id": cid,
                         "column": "status", "before": statuses[cid], "after": status, "cause": "explorer"})
    if changes.blocked_flows:
        out, log = _block(out, list(changes.blocked_flows))
        label = "block " + ", ".join(changes.blocked_flows)
        rows += [{"change": label, **r, "cause": "explorer" if r["cause"] == "scenario" else r["cause"]}
                 for r in log]
    return out, pd.DataFrame(rows, columns=EFFECT_COLUMNS)


# ---------------------------------------------------------------------------------------------------
# the analysed state


@dataclass
class ExplorerState:
    """A changed model analysed against the model as given (see :func:`explorer_state`).

    Attributes
    ----------
    base, model : Model
        The model as given and the changed model.
    changes : Changes
        What was changed.
    effects : DataFrame
        Every change made, cascades included (:data:`EFFECT_COLUMNS`).
    exposure_before, exposure_after : DataFrame
        :func:`~pia_analysis.analysis.exposure.node_exposure` of each.
    coverage_before, coverage_after : DataFrame
        :func:`~pia_analysis.analysis.coverage.stage_coverage` of each.
    exposure_delta : DataFrame
        Per system (of either model): ``exposure`` and ``records_at_stake`` before, after and delta, the
        entry point and path of each, ``presence`` (both / added / removed); largest change first (the
        table of :class:`pia_analysis.whatif.scenario.Comparison`).
    coverage_delta : DataFrame
        Per stage in official order: pairs, covered, gaps, coverage before and after, ``coverage_delta``.
    """

    base: Model
    model: Model
    changes: Changes
    effects: pd.DataFrame
    exposure_before: pd.DataFrame
    exposure_after: pd.DataFrame
    coverage_before: pd.DataFrame
    coverage_after: pd.DataFrame
    exposure_delta: pd.DataFrame
    coverage_delta: pd.DataFrame

    def headline(self) -> pd.DataFrame:
        """``metric, before, after, delta, note``: ``max_mn_exposure`` (the most exposed My Number holder,
        named in ``note``), ``records_at_stake`` (sum over systems), ``reached_systems`` (exposure > 0),
        ``covered_pairs``, ``gaps`` and ``coverage`` (covered / pairs over all stages)."""
        def side(exp: pd.DataFrame, cov: pd.DataFrame) -> dict[str, tuple[float, str]]:
            holders = exp.loc[exp["holds_my_number"]]
            top = (holders.sort_values(["exposure", "system_id"], ascending=[False, True], kind="stable").iloc[0]
                   if len(holders) else None)
            pairs, covered = int(cov["pairs"].sum()), int(cov["covered"].sum())
            return {
                "max_mn_exposure": (float(top["exposure"]), str(top["system_id"])) if top is not None else (0.0, ""),
                "records_at_stake": (float(exp["records_at_stake"].sum()), ""),
                "reached_systems": (float((exp["exposure"] > 0).sum()), ""),
                "covered_pairs": (float(covered), ""),
                "gaps": (float(cov["gaps"].sum()), ""),
                "coverage": (covered / pairs if pairs else math.nan, ""),
            }

        before = side(self.exposure_before, self.coverage_before)
        after = side(self.exposure_after, self.coverage_after)
        rows = []
        for metric in _HEADLINE_METRICS:
            (b, nb), (a, na) = before[metric], after[metric]
            rows.append({"metric": metric, "before": b, "after": a, "delta": a - b,
                         "note": nb if nb == na else f"{nb} → {na}".strip()})
        return pd.DataFrame(rows, columns=["metric", "before", "after", "delta", "note"])

    def changed_exposure(self, tolerance: float = 1e-12) -> pd.DataFrame:
        """The rows of :attr:`exposure_delta` whose exposure changed (or whose system came or went)."""
        d = self.exposure_delta
        return d.loc[(d["exposure_delta"].abs() > tolerance) | (d["presence"] != "both")].reset_index(drop=True)

    def changed_coverage(self) -> pd.DataFrame:
        """The rows of :attr:`coverage_delta` whose pairs, covered pairs or gaps changed."""
        d = self.coverage_delta
        moved = ((d["pairs_before"] != d["pairs_after"]) | (d["covered_before"] != d["covered_after"])
                 | (d["gaps_before"] != d["gaps_after"]))
        return d.loc[moved].reset_index(drop=True)

    def exposure_of(self, system_id: str) -> tuple[float, float]:
        """(before, after) exposure of one system (0 where it does not exist)."""
        d = self.exposure_delta.set_index("system_id")
        if system_id not in d.index:
            raise _unknown("system", system_id, d.index, "either model")
        return float(d.at[system_id, "exposure_before"]), float(d.at[system_id, "exposure_after"])


def explorer_state(model: Model, changes: Changes | Mapping[str, Any] | None = None) -> ExplorerState:
    """Apply ``changes`` to ``model`` and analyse both: exposure and stage coverage before and after, deltas.

    Parameters
    ----------
    model
        The model as given (the base of every delta).
    changes
        A :class:`Changes`, a mapping ``{"scenario": name, "controls": {id: status}, "blocked_flows": [ids]}``
        (any key may be left out), or ``None`` (no change: every delta is 0).

    Raises
    ------
    ValueError
        For an unknown scenario, control, status or flow (see :func:`apply_changes`).

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> st = explorer_state(load_model(bundled_model_path()), {"controls": {"C-STORE-FW": "missing"}})
    >>> before, after = st.exposure_of("JLIS_CENTRE")  # the kiosk's step loses the factor 1 - 0.8
    >>> round(after / before, 6)
    5.0
    """
    return _state(model, changes, node_exposure(model), stage_coverage(model))


def _state(model: Model, changes: Changes | Mapping[str, Any] | None, exp_b: pd.DataFrame,
           cov_b: pd.DataFrame) -> ExplorerState:
    """:func:`explorer_state` with the analyses of ``model`` already done (the widget keeps them)."""
    changes = Changes.of(changes)
    changed, effects = apply_changes(model, changes)
    exp_a, cov_a = node_exposure(changed), stage_coverage(changed)
    return ExplorerState(base=model, model=changed, changes=changes, effects=effects,
                         exposure_before=exp_b, exposure_after=exp_a, coverage_before=cov_b, coverage_after=cov_a,
                         exposure_delta=exposure_delta_table(exp_b, exp_a), coverage_delta=coverage_delta_table(cov_b, cov_a))


# ---------------------------------------------------------------------------------------------------
# one system


@dataclass(frozen=True)
class SystemView:
    """One system of a model: its exposure, its most likely attack paths, its blast radius, its controls.

    Attributes
    ----------
    system_id, name_ja, name_en, zone_id : str
        The system.
    exposure : dict
        Its row of :func:`~pia_analysis.analysis.exposure.node_exposure` (``exposure``, ``path``, ``entry_point``,
        ``zone_crossings``, ``records_at_stake``, ``holds_my_number``, ``reached_by``, ``betweenness``, …).
    paths : DataFrame
        :func:`~pia_analysis.analysis.exposure.attack_paths` (the ``k`` most likely paths to it; empty when unreached).
    blast : BlastRadius
        :func:`~pia_analysis.analysis.exposure.blast_radius`: what an attacker reaches once it has fallen.
    controls : DataFrame
        The controls whose ``applies_to`` names the system: ``control_id, name_ja, name_en, status,
        effectiveness``, by id.
    """

    system_id: str
    name_ja: str
    name_en: str
    zone_id: str
    exposure: dict[str, Any]
    paths: pd.DataFrame
    blast: BlastRadius
    controls: pd.DataFrame = field(repr=False)

    def name(self, lang: str = "ja") -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_ja


def system_view(model: Model, system_id: str, k: int = 3, exposure: pd.DataFrame | None = None) -> SystemView:
    """The :class:`SystemView` of ``system_id``: exposure row, ``k`` most likely attack paths, blast radius.

    Parameters
    ----------
    model
        A model (typically :attr:`ExplorerState.model`, the changed one).
    system_id
        A system of the model.
    k
        How many attack paths.
    exposure
        :func:`~pia_analysis.analysis.exposure.node_exposure` of ``model``, when already computed.

    Raises
    ------
    ValueError
        When ``system_id`` is not a system of the model, or ``k < 1``.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> v = system_view(load_model(bundled_model_path()), "JUKI_REC", k=2)
    >>> round(v.exposure["exposure"], 6), v.paths["entry_point"].tolist(), len(v.blast.systems)
    (0.025, ['VENDOR_TERM', 'JUKI_TERM'], 20)
    """
    ids = model.systems["system_id"]
    if not (ids == system_id).any():
        raise _unknown("system", system_id, ids)
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    table = node_exposure(model) if exposure is None else exposure
    row = table.set_index("system_id").loc[system_id].to_dict()
    controls = model.controls.loc[model.controls["applies_to"].map(lambda targets: system_id in targets),
                                  ["control_id", "name_ja", "name_en", "status", "effectiveness"]]
    controls = controls.sort_values("control_id", kind="stable").reset_index(drop=True)
    return SystemView(system_id=system_id, name_ja=str(row.pop("name_ja")), name_en=str(row.pop("name_en")),
                      zone_id=str(row["zone_id"]), exposure=row, paths=attack_paths(model, system_id, k=k),
                      blast=blast_radius(model, system_id), controls=controls)


# ---------------------------------------------------------------------------------------------------
# HTML of the widget (plain functions of the results, so the widget only places them)


def _p(x: float) -> str:
    """A probability in a table: three significant digits, 0 as 0."""
    return "0" if x == 0 else f"{x:.3g}"


def _table_html(frame: pd.DataFrame, empty: str) -> str:
    if frame.empty:
        return f"<p><i>{html.escape(empty)}</i></p>"
    out = frame.copy()
    for col in out.columns:
        out[col] = out[col].map(lambda v: " → ".join(map(str, v)) if isinstance(v, list) else v)
    return out.to_html(index=False, border=0, classes="pia-table", na_rep="–")


def _headline_html(state: ExplorerState) -> str:
    h = state.headline()
    labels = {"max_mn_exposure": "highest exposure of a My Number holder", "records_at_stake":
              "records at stake (Σ exposure × records)", "reached_systems": "systems reachable",
              "covered_pairs": "covered (risk × element) pairs", "gaps": "gaps", "coverage": "coverage (all stages)"}
    rows = []
    for r in h.itertuples():
        if r.metric == "coverage":
            b, a = (f"{x:.1%}" if not math.isnan(x) else "–" for x in (r.before, r.after))
            d = f"{r.delta * 100:+.1f} pt" if not math.isnan(r.delta) else "–"
        elif r.metric == "max_mn_exposure":
            b, a, d = _p(r.before), _p(r.after), f"{r.delta:+.3g}"
        else:
            b, a, d = f"{r.before:,.0f}", f"{r.after:,.0f}", f"{r.delta:+,.0f}"
        rows.append({"": labels[r.metric], "base": b, "changed": a, "Δ": d, "note": r.note})
    return _table_html(pd.DataFrame(rows), "")


def _changes_html(state: ExplorerState) -> str:
    c = state.changes
    if c.is_empty:
        return "<b>Changes:</b> none (the model as given)"
    parts = []
    if c.scenario is not None:
        parts.append(f"scenario <code>{html.escape(c.scenario_label())}</code>")
    parts += [f"<code>{html.escape(cid)}</code> → {html.escape(s)}" for cid, s in c.controls]
    if c.blocked_flows:
        parts.append("blocked " + ", ".join(f"<code>{html.escape(f)}</code>" for f in c.blocked_flows))
    cascades = state.effects.loc[state.effects["cause"].ne("explorer") & state.effects["cause"].ne("scenario")]
    extra = f" ({len(cascades)} cascaded change{'s' if len(cascades) != 1 else ''})" if len(cascades) else ""
    return "<b>Changes:</b> " + "; ".join(parts) + extra


def _exposure_html(state: ExplorerState, lang: str) -> str:
    d = state.changed_exposure()
    name = "name_en" if lang == "en" else "name_ja"
    rows = pd.DataFrame({
        "system": d["system_id"], "name": d[name],
        "My Number": d["holds_my_number"].map({True: "yes", False: ""}),
        "base": d["exposure_before"].map(_p), "changed": d["exposure_after"].map(_p),
        "×": [f"{a / b:.3g}" if b > 0 else ("new" if a > 0 else "–")
              for b, a in zip(d["exposure_before"], d["exposure_after"])],
        "records at stake Δ": d["records_at_stake_delta"].map(lambda x: f"{x:+,.0f}"),
        "path (changed)": d["path_after"],
    })
    return _table_html(rows, "No system's exposure changes.")


def _coverage_html(state: ExplorerState) -> str:
    d = state.coverage_delta
    pct = lambda x: "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1%}"  # noqa: E731
    rows = pd.DataFrame({
        "stage": d["stage"], "name": d["name_ja"],
        "pairs": [f"{b} → {a}" if b != a else str(b) for b, a in zip(d["pairs_before"], d["pairs_after"])],
        "covered": [f"{b} → {a}" if b != a else str(b) for b, a in zip(d["covered_before"], d["covered_after"])],
        "gaps": [f"{b} → {a}" if b != a else str(b) for b, a in zip(d["gaps_before"], d["gaps_after"])],
        "coverage base": d["coverage_before"].map(pct), "coverage changed": d["coverage_after"].map(pct),
        "Δ (pt)": d["coverage_delta"].map(lambda x: "–" if math.isnan(x) else f"{x * 100:+.1f}"),
    })
    return _table_html(rows, "")


def _system_html(view: SystemView, base_exposure: float | None, lang: str) -> str:
    e = view.exposure
    head = (f"<h4>{html.escape(view.system_id)} — {html.escape(view.name(lang))} "
            f"<small>(zone {html.escape(view.zone_id)})</small></h4>")
    if e["exposure"] > 0:
        line = (f"Exposure <b>{_p(e['exposure'])}</b> a year"
                + (f" (base {_p(base_exposure)})" if base_exposure is not None
                   and abs(base_exposure - e["exposure"]) > 1e-12 else "")
                + f"; most likely path {html.escape(' → '.join(e['path']))}; reached by {e['reached_by']} entry "
                f"point(s); records at stake {e['records_at_stake']:,.0f}.")
    else:
        line = ("No entry point reaches it (exposure 0)"
                + (f"; base {_p(base_exposure)}" if base_exposure else "") + ".")
    paths = view.paths.assign(probability=view.paths["probability"].map(_p))
    b = view.blast
    name = "name_en" if lang == "en" else "name_ja"
    reached = b.systems.assign(probability=b.systems["probability"].map(_p))[
        ["system_id", name, "probability", "hops", "records", "holds_my_number"]]
    controls = view.controls[["control_id", name, "status", "effectiveness"]]
    return (head + f"<p>{line}</p>"
            + f"<b>Most likely attack paths</b>{_table_html(paths, 'No attack path reaches it.')}"
            + f"<b>Blast radius once it has fallen</b><p>{len(b.systems)} system(s) reachable; files "
            f"{', '.join(b.files['file_id']) or 'none'}; {b.total_records:,} records "
            f"({b.my_number_records:,} with My Numbers; largest file {b.max_records:,}).</p>"
            + _table_html(reached, "")
            + f"<b>Controls naming it</b>{_table_html(controls, 'None.')}")


def _figure_output(fig: Any, dpi: int, label: str) -> dict[str, Any]:
    """A display_data output (nbformat) holding the figure as PNG, for ``ipywidgets.Output.outputs``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": base64.b64encode(buf.getvalue()).decode("ascii"), "text/plain": f"<{label}>"}}


def _chart(state: ExplorerState, kind: str, lang: str, trials: int) -> Any:
    from .charts import figures as charts
    from .charts.dataflow import dataflow_diagram

    model = state.model
    if kind == "exposure":
        if trials > 0:
            sim = simulate_compromise(model, trials=trials, seed=0)
        else:  # no Monte Carlo: the chart draws no marker
            sim = pd.DataFrame({"system_id": model.systems["system_id"], "probability": np.nan, "ci_low": np.nan,
                                "ci_high": np.nan, "trials": np.nan})
        return charts.exposure_ranking_chart(model, exposure=state.exposure_after, simulation=sim, lang=lang)
    if kind == "coverage":
        return charts.stage_coverage_chart(model, coverage=state.coverage_after, lang=lang)
    if kind == "dataflow":
        return dataflow_diagram(model, exposure=state.exposure_after, lang=lang)
    raise ValueError(f"{kind!r} is not a chart of the explorer: use one of {', '.join(CHART_KINDS)}")


# ---------------------------------------------------------------------------------------------------
# the widget


_CSS = ("<style>.pia-table{border-collapse:collapse;font-size:12px;margin:2px 0 8px}"
        ".pia-table th,.pia-table td{padding:2px 8px;text-align:left;border-bottom:1px solid #ddd}</style>")


class Explorer:
    """The controller behind :func:`explore`: the widgets, the current changes and the current results.

    ``widget`` is the ipywidgets box to display. ``controls`` holds the input widgets by role
    (``scenario``, ``system``, ``control``, ``status``, ``flows``, ``chart``, ``reset``) and ``outputs`` the
    output widgets (``message``, ``changes``, ``headline``, ``system``, ``exposure``, ``coverage``,
    ``chart``). Setting a control's ``value`` (as a user does) updates :attr:`state` (an
    :class:`ExplorerState`), :attr:`view` (a :class:`SystemView` of the chosen system in the changed
    model) and the outputs. The chart is drawn only while the chart tab is shown.
    """

    def __init__(self, model: Model, *, system: str | None = None, lang: str = "ja", k: int = 3,
                 trials: int = 10_000, chart: str = "exposure", dpi: int = 80):
        import ipywidgets as w

        if lang not in ("ja", "en"):
            raise ValueError(f"lang must be 'ja' or 'en', not {lang!r}")
        if chart not in CHART_KINDS:
            raise ValueError(f"{chart!r} is not a chart of the explorer: use one of {', '.join(CHART_KINDS)}")
        if k < 1 or trials < 0:
            raise ValueError("k must be at least 1 and trials at least 0")
        self.base = model
        self.lang, self.k, self.trials, self.dpi = lang, k, trials, dpi
        self.scenario: str | None = None
        self.overrides: dict[str, str] = {}
        self.blocked: tuple[str, ...] = ()
        self._initial = explorer_state(model)  # the analyses of the model as given, done once
        self.state: ExplorerState = self._initial
        self.view: SystemView | None = None
        self.figure: Any = None  # the last chart drawn
        self.chart_drawn: str | None = None  # its kind, None when the chart is out of date
        self._muted = False
        self._scenario_model = model

        choices = scenario_choices(model, lang)
        layout = w.Layout(width="100%")
        style = {"description_width": "110px"}
        self.controls = {
            "scenario": w.Dropdown(options=[("(none)", "")] + [(f"{k} — {t}", k) for k, t in choices.items()],
                                   value="", description="Scenario", layout=layout, style=style),
            "system": w.Dropdown(description="System", layout=layout, style=style),
            "control": w.Dropdown(description="Control", layout=layout, style=style),
            "status": w.ToggleButtons(options=list(CONTROL_STATUSES), description="Its status", style=style),
            "flows": w.SelectMultiple(description="Blocked flows", rows=8, layout=layout, style=style),
            "chart": w.ToggleButtons(options=[("exposure ranking", "exposure"), ("stage coverage", "coverage"),
                                              ("data-flow diagram", "dataflow"), ("none", "none")],
                                     value=chart, description="Chart", style=style),
            "reset": w.Button(description="Reset all changes", icon="undo"),
        }
        self.outputs = {
            "message": w.HTML(), "changes": w.HTML(), "headline": w.HTML(), "system": w.HTML(),
            "exposure": w.HTML(), "coverage": w.HTML(), "chart": w.Output(),
        }
        self.tabs = w.Tab(children=[
            w.VBox([self.controls["chart"], self.outputs["chart"]]),
            self.outputs["system"], self.outputs["exposure"], self.outputs["coverage"],
        ])
        for i, title in enumerate(["Chart", "System", "Exposure changes", "Stage coverage"]):
            self.tabs.set_title(i, title)
        self._fill_options(system)

        c = self.controls
        c["scenario"].observe(self._on_scenario, names="value")
        c["system"].observe(self._on_system, names="value")
        c["control"].observe(self._on_control, names="value")
        c["status"].observe(self._on_status, names="value")
        c["flows"].observe(self._on_flows, names="value")
        c["chart"].observe(lambda _change: self._draw_chart(), names="value")
        c["reset"].on_click(lambda _button: self.reset())
        self.tabs.observe(lambda _change: self._draw_chart(), names="selected_index")

        title = w.HTML(f"{_CSS}<h3>{html.escape(model.title(lang))} <small>({html.escape(model.id)})</small></h3>")
        self.widget = w.VBox([
            title, c["scenario"], c["system"], w.HBox([c["control"], c["status"]]), c["flows"], c["reset"],
            self.outputs["message"], self.outputs["changes"], self.outputs["headline"], self.tabs,
        ])
        self.widget.explorer = self  # so that the displayed widget leads back here
        self.refresh()

    # -- options -------------------------------------------------------------------------------------

    def _fill_options(self, system: str | None = None) -> None:
        """Options of the system, control and flow widgets from the model after the scenario."""
        m = self._scenario_model
        name = "name_en" if self.lang == "en" else "name_ja"
        systems = m.systems.sort_values("system_id", kind="stable")
        c = self.controls
        self._muted = True
        try:
            old = system or c["system"].value
            c["system"].options = [(f"{s} — {n}", s) for s, n in zip(systems["system_id"], systems[name])]
            if old not in set(systems["system_id"]):
                if system is not None:
                    raise _unknown("system", system, systems["system_id"])
                exp = node_exposure(m)
                holders = exp.loc[exp["holds_my_number"]]  # default: the most exposed My Number holder
                old = holders.iloc[0]["system_id"] if len(holders) else exp.iloc[0]["system_id"]
            c["system"].value = old
            controls = m.controls.sort_values("control_id", kind="stable")
            old_control = c["control"].value
            c["control"].options = [(f"{i} — {n}", i) for i, n in zip(controls["control_id"], controls[name])]
            if old_control in set(controls["control_id"]):
                c["control"].value = old_control
            c["status"].value = self._status_of(c["control"].value)
            flows = m.flows.sort_values("flow_id", kind="stable")
            c["flows"].options = [(f"{f}  {s} → {t}  ({st})", f) for f, s, t, st in
                                  zip(flows["flow_id"], flows["source"], flows["target"], flows["stage"])]
            c["flows"].value = tuple(f for f in self.blocked if f in set(flows["flow_id"]))
        finally:
            self._muted = False

    def _status_of(self, control_id: str | None) -> str | None:
        if control_id is None:
            return None
        if control_id in self.overrides:
            return self.overrides[control_id]
        controls = self._scenario_model.controls.set_index("control_id")
        return str(controls.at[control_id, "status"]) if control_id in controls.index else None

    # -- events --------------------------------------------------------------------------------------

    def _on_scenario(self, change: dict[str, Any]) -> None:
        if self._muted:
            return
        name = change["new"] or None
        try:
            scenario_model = with_scenario(self.base, name) if name else self.base
        except ValueError as exc:
            self._muted = True  # back to the scenario in force
            try:
                self.controls["scenario"].value = self.scenario or ""
            finally:
                self._muted = False
            self._message(f"Scenario {name} does not apply: {exc}", error=True)
            return
        self.scenario, self._scenario_model = name, scenario_model
        # Changes that name what the scenario removed are dropped, and said so.
        controls, flows = set(scenario_model.controls["control_id"]), set(scenario_model.flows["flow_id"])
        dropped = [c for c in self.overrides if c not in controls] + [f for f in self.blocked if f not in flows]
        self.overrides = {c: s for c, s in self.overrides.items() if c in controls}
        self.blocked = tuple(f for f in self.blocked if f in flows)
        self._fill_options()
        self.refresh(note=f"Dropped (the scenario removes them): {', '.join(dropped)}." if dropped else "")

    def _on_system(self, _change: dict[str, Any]) -> None:
        if not self._muted:
            self._show_system()

    def _on_control(self, change: dict[str, Any]) -> None:
        if self._muted:
            return
        self._muted = True  # showing the control's status is not a change of it
        try:
            self.controls["status"].value = self._status_of(change["new"])
        finally:
            self._muted = False

    def _on_status(self, change: dict[str, Any]) -> None:
        if self._muted or change["new"] is None:
            return
        cid = self.controls["control"].value
        own = str(self._scenario_model.controls.set_index("control_id").at[cid, "status"])
        if change["new"] == own:
            self.overrides.pop(cid, None)
        else:
            self.overrides[cid] = change["new"]
        self.refresh()

    def _on_flows(self, change: dict[str, Any]) -> None:
        if not self._muted:
            self.blocked = tuple(sorted(change["new"]))
            self.refresh()

    # -- programmatic use ----------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the model as given: no scenario, no control change, no blocked flow."""
        self.scenario, self._scenario_model, self.overrides, self.blocked = None, self.base, {}, ()
        self._muted = True
        try:
            self.controls["scenario"].value = ""
        finally:
            self._muted = False
        self._fill_options()
        self.refresh()

    @property
    def changes(self) -> Changes:
        """The current changes."""
        return Changes.of({"scenario": self.scenario, "controls": self.overrides, "blocked_flows": self.blocked})

    def refresh(self, note: str = "") -> None:
        """Recompute :attr:`state` from the current changes and update every output."""
        try:
            state = _state(self.base, self.changes, self._initial.exposure_before, self._initial.coverage_before)
        except ValueError as exc:  # pragma: no cover - the widgets offer only valid choices
            self._message(str(exc), error=True)
            return
        self.state = state
        self._message(note)
        self.outputs["changes"].value = _changes_html(state)
        self.outputs["headline"].value = _headline_html(state)
        self.outputs["exposure"].value = _exposure_html(state, self.lang)
        self.outputs["coverage"].value = _coverage_html(state)
        self._show_system()
        self.chart_drawn = None
        self._draw_chart()

    def _message(self, text: str, error: bool = False) -> None:
        colour = "#D55E00" if error else "#555555"
        self.outputs["message"].value = f'<span style="color:{colour}">{html.escape(text)}</span>' if text else ""

    def _show_system(self) -> None:
        sid = self.controls["system"].value
        if sid is None:
            return
        self.view = system_view(self.state.model, sid, k=self.k, exposure=self.state.exposure_after)
        before = self.state.exposure_delta.set_index("system_id")
        base = float(before.at[sid, "exposure_before"]) if sid in before.index else None
        self.outputs["system"].value = _system_html(self.view, base, self.lang)

    def _draw_chart(self) -> None:
        kind = self.controls["chart"].value
        out = self.outputs["chart"]
        if kind == "none":
            out.outputs, self.figure, self.chart_drawn = (), None, "none"
            return
        if self.tabs.selected_index != 0 or self.chart_drawn == kind:
            return  # hidden (drawn when its tab is shown) or up to date
        self.figure = _chart(self.state, kind, self.lang, self.trials)
        out.outputs = (_figure_output(self.figure, self.dpi, f"{kind} chart"),)
        self.chart_drawn = kind


def explore(model: Model | str | os.PathLike[str], *, system: str | None = None, lang: str = "ja", k: int = 3,
            trials: int = 10_000, chart: str = "exposure", dpi: int = 80) -> Any:
    """The interactive explorer of a model, for JupyterLab (needs ipywidgets).

    Choose a scenario of the model, a system (its most likely attack paths and blast radius), change any
    control's status, block flows; the headline numbers, the exposure and coverage tables and the chart
    follow. See ``docs/explorer.md``.

    Parameters
    ----------
    model
        A loaded model, or the path of a model directory.
    system
        The system shown first (default: the most exposed system holding My Numbers).
    lang
        ``"ja"`` or ``"en"``: names of systems and controls, and the charts.
    k
        How many attack paths the system tab lists.
    trials
        Monte Carlo trials of the exposure chart (seed 0); 0 skips the Monte Carlo.
    chart
        The chart shown first: one of :data:`CHART_KINDS`.
    dpi
        Resolution of the charts (they are A4 pages).

    Returns
    -------
    ipywidgets.VBox
        The widget; its ``explorer`` attribute is the :class:`Explorer` behind it (current ``state``,
        ``view``, ``changes``; ``controls`` and ``outputs`` by role).
    """
    if not isinstance(model, Model):
        from .formats import load_model

        model = load_model(model)
    return Explorer(model, system=system, lang=lang, k=k, trials=trials, chart=chart, dpi=dpi).widget
