"""Risk coverage of the six process stages: which (risk, element) pairs a mapped control covers.

The rule (see ``docs/coverage.md``):

* **Scope of a stage** — the flows of that stage and the systems at either end of them; for ``retain``
  also every system that holds a file; for ``outsource`` also every system operated by a contractor or
  a subcontractor.
* A pair (risk *r* of stage *S*, element *e* in the scope of *S*) is **covered** when some control
  mitigates *r*, applies to *e* (or to ``*``) and is *implemented on e*; **planned** when only controls
  planned on *e* do; otherwise a **gap**. ``missing`` controls count for nothing. A control's status on
  *e* is its row of ``control_status.csv`` for *e*, else its own ``status``
  (:attr:`~pia_analysis.Model.control_applications`).
* The risks of a stage are the packaged catalogue's items plus the model's extra risks of that stage.

Coverage says that a control is *mapped* to a pair, not that it works: it measures the completeness of
the assessment's mapping, never the quality of a measure.

Every function returns a new DataFrame sorted independently of the order of the model's rows.
"""

from __future__ import annotations

__all__ = ["PAIR_STATUSES", "RATING_STATUSES", "coverage_matrix", "coverage_pairs",
           "coverage_tables", "declared_out", "rating_check", "risk_coverage", "stage_coverage", "stage_scope"]

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import catalog
from ..model.model import Model, require_model
from ..model.schema import OUTSOURCED_OPERATORS, SUFFICIENT_RATINGS
from .attack_graph import control_statuses

#: Pair statuses, best first.
PAIR_STATUSES = ("covered", "planned", "gap")
#: Self-rating statuses of :func:`rating_check`.
RATING_STATUSES = ("consistent", "overclaimed", "underclaimed", "unrated", "out_of_scope", "not_applicable")
_TYPE_ORDER = {"flow": 0, "system": 1}


# ---------------------------------------------------------------------------------------------------
# scope and pairs


def stage_scope(model: Model) -> pd.DataFrame:
    """The elements in the scope of each stage, and why each is there.

    Parameters
    ----------
    model
        A loaded model.

    Returns
    -------
    DataFrame
        One row per (stage, element): ``stage, stage_no, element, element_type`` (``flow`` or ``system``)
        and ``reasons`` (a sorted list among ``flow``, ``endpoint``, ``holds_file``, ``contractor``).
        Sorted by stage (official order), element type (flows first), element id.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, stage_scope
    >>> scope = stage_scope(load_model(bundled_model_path()))
    >>> scope.loc[scope["stage"] == "retain", "element"].tolist()[:3]
    ['F22', 'ATENA', 'BACKUP']
    """
    require_model(model, "stage_scope")
    stage_no = catalog.stages().set_index("stage")["stage_no"].to_dict()
    scope = _scope(model)
    columns = ["stage", "stage_no", "element", "element_type", "reasons"]
    data: dict[str, list] = {c: [] for c in columns}
    for stage in sorted(scope, key=lambda st: stage_no[st]):
        elements, types, reasons = scope[stage]
        data["stage"] += [stage] * len(elements)
        data["stage_no"] += [stage_no[stage]] * len(elements)
        data["element"] += elements
        data["element_type"] += types
        data["reasons"] += [sorted(r) for r in reasons]
    frame = pd.DataFrame(data, columns=columns)
    if frame.empty:
        return frame.astype({"stage": "str", "stage_no": "int64", "element": "str", "element_type": "str"})
    return frame


def _scope(model: Model) -> dict[str, tuple[list[str], list[str], list[set[str]]]]:
    """Stage -> (elements, their types, their reasons) in scope order: flows first, then systems, by id."""
    reasons: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    flows = model.flows
    for stage, flow_id, source, target in zip(flows["stage"].tolist(), flows["flow_id"].tolist(),
                                              flows["source"].tolist(), flows["target"].tolist()):
        reasons[(stage, flow_id, "flow")].add("flow")
        reasons[(stage, source, "system")].add("endpoint")
        reasons[(stage, target, "system")].add("endpoint")
    systems = model.systems
    for system_id, holds, operator in zip(systems["system_id"].tolist(), systems["holds"].tolist(),
                                          systems["operator"].tolist()):
        if len(holds) > 0:
            reasons[("retain", system_id, "system")].add("holds_file")
        if operator in OUTSOURCED_OPERATORS:
            reasons[("outsource", system_id, "system")].add("contractor")
    out: dict[str, tuple[list[str], list[str], list[set[str]]]] = {}
    for (stage, element, element_type) in sorted(reasons, key=lambda k: (k[0], _TYPE_ORDER[k[2]], k[1])):
        elements, types, why = out.setdefault(stage, ([], [], []))
        elements.append(element)
        types.append(element_type)
        why.append(reasons[(stage, element, element_type)])
    return out


class _ControlIndex:
    """The controls that mitigate each risk, by their status **on each element** (``missing`` counts for nothing).

    Read from :attr:`~pia_analysis.Model.control_applications`: a control implemented on one element and
    planned on another (``control_status.csv``) covers the first and plans the second. ``by_risk[status][risk]``
    lists (control id, the elements it has that status on, ``*`` included) and ``targets[status][risk]`` the
    elements (not ``*``) some control names for the risk; ``star_ids[status][risk]`` maps the ids of the
    controls applying to ``*`` with that status to the elements where an override gives them another status
    (a ``*`` control "missing at X" leaves X alone to the other controls). The (risk, element) → ids table of
    :meth:`controls` is built only when asked for: with tens of thousands of controls (a national model) it has
    over half a million entries.
    """

    def __init__(self, model: Model) -> None:
        self.by_risk: dict[str, dict[str, list[tuple[str, list[str]]]]] = {"implemented": defaultdict(list),
                                                                           "planned": defaultdict(list)}
        self.targets: dict[str, dict[str, set[str]]] = {"implemented": defaultdict(set), "planned": defaultdict(set)}
        self.star_ids: dict[str, dict[str, dict[str, frozenset[str]]]] = {"implemented": defaultdict(dict),
                                                                          "planned": defaultdict(dict)}
        for c in control_statuses(model):
            if not c.on:  # one status on every element (most controls): as before issue 18
                if c.status in self.by_risk:
                    for risk in c.mitigates:
                        self.by_risk[c.status][risk].append((c.control_id, c.applies_to))
                        self.targets[c.status][risk].update(c.applies_to)
                        if "*" in c.applies_to:
                            self.star_ids[c.status][risk][c.control_id] = frozenset()
                continue
            by_status: dict[str, list[str]] = {}
            for element in dict.fromkeys([*c.applies_to, *c.on]):
                by_status.setdefault(c.on.get(element, c.status), []).append(element)
            # the elements where a '*' control's own status does not hold
            excepted = frozenset(e for e, st in c.on.items() if st != c.status)
            for status, elements in by_status.items():
                if status not in self.by_risk:
                    continue
                for risk in c.mitigates:
                    self.by_risk[status][risk].append((c.control_id, elements))
                    self.targets[status][risk].update(elements)
                    if "*" in elements:
                        self.star_ids[status][risk][c.control_id] = excepted
        for named in self.targets.values():  # '*' is no element (its controls are in star_ids)
            for risk_targets in named.values():
                risk_targets.discard("*")
        self._table: dict[str, dict[tuple[str, str], list[str]]] = {}

    @classmethod
    def build(cls, model: Model) -> _ControlIndex:
        return cls(model)

    def table(self, status: str) -> dict[tuple[str, str], list[str]]:
        """(risk, element or ``*``) → the ids of the controls of ``status`` there (in control order)."""
        if status not in self._table:
            table: dict[tuple[str, str], list[str]] = defaultdict(list)
            for risk, controls in self.by_risk[status].items():
                for control_id, applies_to in controls:
                    for target in applies_to:
                        table[(risk, target)].append(control_id)
            self._table[status] = table
        return self._table[status]

    def controls(self, status: str, risk: str, element: str) -> list[str]:
        table = self.table(status)
        return sorted(set(table.get((risk, element), [])) | set(self.star(status, risk, element)))

    def star(self, status: str, risk: str, element: str | None = None) -> list[str]:
        """The sorted ids of the ``*`` controls of ``status`` mitigating ``risk`` (on ``element``, if given)."""
        found = self.star_ids[status].get(risk, {})
        return sorted(c for c, excepted in found.items() if element is None or element not in excepted)

    def star_overridden(self, status: str, risk: str) -> bool:
        """Whether some ``*`` control of ``status`` on ``risk`` has another status on some element."""
        return any(self.star_ids[status].get(risk, {}).values())

    def star_excepted(self, status: str, risk: str) -> frozenset[str] | None:
        """The elements no ``*`` control of ``status`` on ``risk`` covers (None when there is no such control)."""
        found = self.star_ids[status].get(risk)
        if not found:
            return None
        return frozenset.intersection(*found.values())

    def deciding(self, status: str, risk: str, elements: set[str]) -> set[str]:
        """The ids of the controls of ``status`` mitigating ``risk`` on one of ``elements`` or on ``*`` there."""
        star = self.star_ids[status].get(risk, {})
        return {control_id for control_id, applies_to in self.by_risk[status].get(risk, ())
                if not elements.isdisjoint(applies_to)
                or (control_id in star and not elements <= star[control_id])}


_COVERED, _PLANNED, _GAP = 0, 1, 2


@dataclass
class _Statuses:
    """The status of every (risk, element) pair as small integer codes, without the pairs' control lists.

    What :func:`stage_coverage`, :func:`risk_coverage` and :func:`coverage_matrix` need, computed from the
    controls (sparse: a risk's pairs start as gaps and only the elements a control names are updated),
    in a fraction of the time :func:`coverage_pairs` takes to build a row per pair — a national model has
    over half a million pairs.
    """

    scope: dict[str, tuple[list[str], list[str], list[set[str]]]]
    index: _ControlIndex
    codes: dict[str, np.ndarray]  # risk id -> status code of each element of its stage's scope

    @classmethod
    def build(cls, model: Model) -> _Statuses:
        scope = _scope(model)
        index = _ControlIndex.build(model)
        positions = {stage: {e: i for i, e in enumerate(elements)} for stage, (elements, _t, _r) in scope.items()}
        codes: dict[str, np.ndarray] = {}
        for risk_id, stage in zip(model.risk_items["risk_id"].tolist(), model.risk_items["stage"].tolist()):
            pos = positions.get(stage, {})
            code = np.full(len(pos), _GAP, dtype=np.int8)
            for status, value in (("planned", _PLANNED), ("implemented", _COVERED)):  # implemented wins
                excepted = index.star_excepted(status, risk_id)
                if excepted is not None:
                    if excepted:  # a '*' control overridden on some elements: those keep what they had
                        keep = np.array([e in excepted for e in pos], dtype=bool)
                        code[~keep] = value
                    else:
                        code[:] = value
                named = [pos[t] for t in index.targets[status].get(risk_id, ()) if t in pos]
                code[named] = value
            codes[risk_id] = code
        return cls(scope, index, codes)

    def counts(self, risk_id: str) -> tuple[int, int, int]:
        """(covered, planned, gaps) of a risk."""
        found = np.bincount(self.codes[risk_id], minlength=3)
        return int(found[_COVERED]), int(found[_PLANNED]), int(found[_GAP])


def coverage_pairs(model: Model) -> pd.DataFrame:
    """Every (risk, element) pair in scope with its status and the controls that decide it.

    Parameters
    ----------
    model
        A loaded model.

    Returns
    -------
    DataFrame
        ``stage, stage_no, risk_id, risk_no, element, element_type, status, implemented, planned`` —
        ``status`` is ``covered``, ``planned`` or ``gap``; ``implemented`` and ``planned`` are the sorted
        lists of the ids of the implemented and planned controls that mitigate the risk and apply to the
        element or to ``*``. Sorted by risk (official order), element type (flows first), element id.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, coverage_pairs, load_model
    >>> pairs = coverage_pairs(load_model(bundled_model_path()))
    >>> pairs.loc[(pairs["risk_id"] == "acquire-1") & (pairs["element"] == "F01"), "implemented"].item()
    ['C-COUNTER-ID']
    """
    require_model(model, "coverage_pairs")
    scope = stage_scope(model)
    index = _ControlIndex.build(model)
    columns = ["stage", "stage_no", "risk_id", "risk_no", "element", "element_type", "status", "implemented", "planned"]
    by_stage: dict[str, tuple[list[str], list[str]]] = {}
    for stage, element, element_type in zip(scope["stage"].tolist(), scope["element"].tolist(),
                                            scope["element_type"].tolist()):
        elements, types = by_stage.setdefault(stage, ([], []))
        elements.append(element)
        types.append(element_type)
    data: dict[str, list] = {c: [] for c in columns}
    # risk_items is in official order and each stage's scope is sorted by element type (flows first) and
    # id, so the pairs come out in their final order: no sort needed (it would cost seconds on a national
    # model of a few hundred thousand pairs).
    for risk in model.risk_items.itertuples(index=False):
        elements, types = by_stage.get(risk.stage, ([], []))
        if not elements:
            continue
        impl_star = index.star("implemented", risk.risk_id)
        plan_star = index.star("planned", risk.risk_id)
        # a '*' control overridden on some element (control_status.csv) is looked up per element
        impl_some = index.star_overridden("implemented", risk.risk_id)
        plan_some = index.star_overridden("planned", risk.risk_id)
        impl_table = index.table("implemented")
        plan_table = index.table("planned")
        statuses, impl_lists, plan_lists = [], [], []
        for element in elements:
            implemented = _merged(impl_table.get((risk.risk_id, element)),
                                  index.star("implemented", risk.risk_id, element) if impl_some else impl_star)
            planned = _merged(plan_table.get((risk.risk_id, element)),
                              index.star("planned", risk.risk_id, element) if plan_some else plan_star)
            statuses.append("covered" if implemented else "planned" if planned else "gap")
            impl_lists.append(implemented)
            plan_lists.append(planned)
        n = len(elements)
        data["stage"] += [risk.stage] * n
        data["stage_no"] += [risk.stage_no] * n
        data["risk_id"] += [risk.risk_id] * n
        data["risk_no"] += [risk.risk_no] * n
        data["element"] += elements
        data["element_type"] += types
        data["status"] += statuses
        data["implemented"] += impl_lists
        data["planned"] += plan_lists
    return pd.DataFrame(data, columns=columns)


def _merged(specific: list[str] | None, star: list[str]) -> list[str]:
    """The sorted ids of the controls naming an element and of those applying to ``*`` (a new list)."""
    if not specific:
        return list(star)
    return sorted(set(specific) | set(star))


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """Numerator / denominator as floats, NaN where the denominator is 0 (out of scope is not 100 %)."""
    num = numerator.astype("float64")
    den = denominator.astype("float64")
    return (num / den.where(den > 0, np.nan)).astype("float64")


# ---------------------------------------------------------------------------------------------------
# summaries


def stage_coverage(model: Model) -> pd.DataFrame:
    """Coverage of each of the six stages, in official order.

    Parameters
    ----------
    model
        A loaded model.

    Returns
    -------
    DataFrame
        One row per stage (six, official order; a fresh ``RangeIndex``); columns (dtype)

        ``stage`` (str), ``stage_no`` (int64), ``name_ja`` (str)
            the stage's code, number (1–6) and official name;
        ``elements``, ``risks``, ``pairs`` (int64, counts)
            elements in scope, risks of the stage, and ``pairs`` = elements × risks;
        ``covered``, ``planned``, ``gaps`` (int64, counts of pairs)
            pairs covered by an implemented control, by a planned control only, and by none;
        ``coverage``, ``coverage_if_planned`` (float64, ratios in [0, 1])
            covered / pairs and (covered + planned) / pairs; NaN (not 100 %) for a stage with no element
            in scope;
        ``in_scope`` (bool)
            whether any element is in the stage's scope;
        ``declared`` (str)
            the form's words of the model's stage declarations about the stage (``委託しない``,
            ``接続しない（入手）・接続しない（提供）`` …; ``declared_not_applicable``), ``""`` for none: outputs show
            such a stage as 対象外 with this reason.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, stage_coverage
    >>> table = stage_coverage(load_model(bundled_model_path()))
    >>> table["stage"].tolist()
    ['acquire', 'use', 'outsource', 'provide', 'network', 'retain']
    >>> table["pairs"].tolist()
    [48, 20, 35, 51, 49, 30]
    """
    require_model(model, "stage_coverage")
    return _stage_coverage(model, _Statuses.build(model))


def _stage_coverage(model: Model, statuses: _Statuses) -> pd.DataFrame:
    stages = catalog.stages()[["stage", "stage_no", "name_ja"]]
    risks = model.risk_items.groupby("stage").size()
    counts = {col: defaultdict(int) for col in ("covered", "planned", "gaps")}
    for risk_id, stage in zip(model.risk_items["risk_id"].tolist(), model.risk_items["stage"].tolist()):
        for col, n in zip(("covered", "planned", "gaps"), statuses.counts(risk_id)):
            counts[col][stage] += n
    out = stages.copy()
    out["elements"] = pd.Series([len(statuses.scope.get(st, ((),))[0]) for st in out["stage"]],
                                index=out.index, dtype="int64")
    out["risks"] = out["stage"].map(risks).fillna(0).astype("int64")
    out["pairs"] = out["elements"] * out["risks"]
    for col in ("covered", "planned", "gaps"):
        out[col] = pd.Series([counts[col].get(st, 0) for st in out["stage"]], index=out.index, dtype="int64")
    out["coverage"] = _ratio(out["covered"], out["pairs"])
    out["coverage_if_planned"] = _ratio(out["covered"] + out["planned"], out["pairs"])
    out["in_scope"] = out["pairs"] > 0
    out["declared"] = _stage_declarations(model, out["stage"].tolist())
    return out.reset_index(drop=True)


def _stage_declarations(model: Model, stages: list[str]) -> list[str]:
    """For each stage, the form's words of the model's declarations about it (``委託しない`` …), ``""`` for none."""
    declared = set(model.declared_not_applicable)
    table = catalog.stage_declarations()
    words: dict[str, list[str]] = defaultdict(list)
    for declaration, stage, label in zip(table["declaration"], table["stage"], table["label_ja"]):
        if declaration in declared:
            words[stage].append(label)
    return ["・".join(words.get(stage, [])) for stage in stages]


def risk_coverage(model: Model) -> pd.DataFrame:
    """Coverage of each risk item (catalogue and model extras), in official order.

    Parameters
    ----------
    model
        A loaded model.

    Returns
    -------
    DataFrame
        ``risk_id, stage, stage_no, risk_no, name_ja, origin, pairs, covered, planned, gaps, coverage,
        coverage_if_planned, in_scope, implemented, planned_controls, uncovered, gap_elements``:
        ``pairs`` is the number of elements in the stage's scope; ``implemented`` / ``planned_controls``
        list the controls (sorted ids) that decide at least one of the risk's pairs — an implemented
        control, or a planned one on a pair no implemented control covers yet; ``uncovered`` lists the
        elements not covered by an implemented control (planned or gap), ``gap_elements`` those with no
        control at all.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, risk_coverage
    >>> row = risk_coverage(load_model(bundled_model_path())).set_index("risk_id").loc["outsource-5"]
    >>> row["implemented"], row["covered"], row["pairs"]
    (['C-DEV-ENV', 'C-SUBCON-APPROVAL'], np.int64(7), np.int64(7))
    """
    require_model(model, "risk_coverage")
    return _risk_coverage(model, _Statuses.build(model))


def _risk_coverage(model: Model, statuses: _Statuses) -> pd.DataFrame:
    index = statuses.index
    out = model.risk_items[["risk_id", "stage", "stage_no", "risk_no", "name_ja", "origin"]].copy()
    found = {r: statuses.counts(r) for r in out["risk_id"]}
    out["pairs"] = pd.Series([len(statuses.codes[r]) for r in out["risk_id"]], index=out.index, dtype="int64")
    for k, col in enumerate(("covered", "planned", "gaps")):
        out[col] = pd.Series([found[r][k] for r in out["risk_id"]], index=out.index, dtype="int64")
    out["coverage"] = _ratio(out["covered"], out["pairs"])
    out["coverage_if_planned"] = _ratio(out["covered"] + out["planned"], out["pairs"])
    out["in_scope"] = out["pairs"] > 0

    def controls(risk_id: str, stage: str, status: str, code_value: int) -> list[str]:
        # The controls of ``status`` that decide at least one pair of the risk: those naming an element of
        # that status, and the '*' ones when any pair has it (a '*' control decides them all).
        code = statuses.codes[risk_id]
        elements = statuses.scope.get(stage, ([], [], []))[0]
        decided = {elements[i] for i in np.flatnonzero(code == code_value)}
        return sorted(index.deciding(status, risk_id, decided)) if decided else []

    def elements_where(risk_id: str, stage: str, values: tuple[int, ...]) -> list[str]:
        code = statuses.codes[risk_id]
        elements = statuses.scope.get(stage, ([], [], []))[0]
        return [elements[i] for i in np.flatnonzero(np.isin(code, values))]

    risk_stage = list(zip(out["risk_id"].tolist(), out["stage"].tolist()))
    out["implemented"] = [controls(r, st, "implemented", _COVERED) for r, st in risk_stage]
    out["planned_controls"] = [controls(r, st, "planned", _PLANNED) for r, st in risk_stage]
    out["uncovered"] = [elements_where(r, st, (_PLANNED, _GAP)) for r, st in risk_stage]
    out["gap_elements"] = [elements_where(r, st, (_GAP,)) for r, st in risk_stage]
    return out.reset_index(drop=True)


def coverage_matrix(model: Model, if_planned: bool = False) -> pd.DataFrame:
    """Stages × systems: the coverage ratio of the pairs whose element is that system.

    A cell is covered / pairs over the risks of the stage for that one system (``if_planned``: counting
    planned controls as if they had landed). It is NaN where the system is not in the stage's scope.
    Flows are not columns: their pairs count in :func:`stage_coverage` and :func:`coverage_pairs` only.

    Parameters
    ----------
    model
        A loaded model.
    if_planned
        Count planned controls as if they were implemented.

    Returns
    -------
    DataFrame
        Index ``stage`` (str: the six codes, official order); one column per system id (sorted, the
        columns' name is ``system``); float64 ratios in [0, 1] (covered / pairs), NaN where the system is
        not in the stage's scope.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> import numpy as np
    >>> from pia_analysis import bundled_model_path, coverage_matrix, load_model
    >>> m = coverage_matrix(load_model(bundled_model_path()))
    >>> m.loc["retain", "BACKUP"], bool(np.isnan(m.loc["network", "BACKUP"]))
    (np.float64(0.6666666666666666), True)
    """
    require_model(model, "coverage_matrix")
    return _coverage_matrix(model, _Statuses.build(model), if_planned)


def _coverage_matrix(model: Model, statuses: _Statuses, if_planned: bool = False) -> pd.DataFrame:
    stages = catalog.stages()["stage"].tolist()
    systems = sorted(model.systems["system_id"])
    good_max = _PLANNED if if_planned else _COVERED
    out = pd.DataFrame(np.nan, index=pd.Index(stages, name="stage"), columns=pd.Index(systems, name="system"))
    column = {sid: j for j, sid in enumerate(systems)}
    values = out.to_numpy(copy=True)
    risks_of: dict[str, list[str]] = defaultdict(list)
    for risk_id, stage in zip(model.risk_items["risk_id"].tolist(), model.risk_items["stage"].tolist()):
        risks_of[stage].append(risk_id)
    for i, stage in enumerate(stages):
        elements, types, _why = statuses.scope.get(stage, ([], [], []))
        if not elements or not risks_of[stage]:
            continue
        # the share of the stage's risks whose pair with the system is good: k / n, as a mean would give
        good = np.zeros(len(elements), dtype=np.int64)
        for risk_id in risks_of[stage]:
            good += statuses.codes[risk_id] <= good_max
        n = len(risks_of[stage])
        for e, t, k in zip(elements, types, good.tolist()):
            if t == "system" and e in column:
                values[i, column[e]] = k / n
    out = pd.DataFrame(values, index=out.index, columns=out.columns)
    return out


def declared_out(model: Model) -> dict[str, str]:
    """The rated items a stage declaration of the model puts out of scope, with the declaration's words.

    Parameters
    ----------
    model
        A loaded model.

    Returns
    -------
    dict of str to str
        Rated item id → the form's words of the declaration (``委託しない`` …), for each item declared out.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model
    >>> from pia_analysis.analysis.coverage import declared_out
    >>> m = load_model(bundled_model_path())
    >>> declared_out(m), declared_out(m.replace(meta={**m.meta, "declared_not_applicable": ["outsource"]}))
    ({}, {'outsource': '委託しない'})
    """
    require_model(model, "declared_out")
    declared = set(model.declared_not_applicable)
    if not declared:
        return {}
    words = catalog.stage_declarations().set_index("declaration")["label_ja"].to_dict()
    items = model.rated_items
    return {item: words[by] for item, by in zip(items["rated_item_id"], items["declared_by"]) if by in declared}


def rating_check(model: Model, strict: bool = False, coverage: pd.DataFrame | None = None) -> pd.DataFrame:
    """Compare each rated item's self-rating (ratings.csv) with the coverage of the risks it rates.

    A rated item is what the form rates (:func:`pia_analysis.catalog.rated_items`): each risk of Section Ⅲ,
    the 委託 block (``outsource``: its pairs are those of the five outsourcing risks together), and Section
    Ⅳ's ``self-check``, ``audit`` and ``training``, each judged as one pair, the organisation: covered when an
    implemented control names it in ``mitigates``, planned when only planned ones do. Status, decided in
    this order:

    * ``not_applicable`` — a stage declaration of the model (``declared_not_applicable``) puts the item out
      of scope (the form leaves it blank);
    * ``unrated`` — no rating for the item (the form needs one for every item);
    * ``out_of_scope`` — no element in the stage's scope, so coverage says nothing;
    * ``overclaimed`` — rated with a choice that claims the measures are enough (特に力を入れている, 十分である;
      特に力を入れて行っている, 十分に行っている: ``sufficient`` in ``catalog/choice_sets.csv``) with at least
      one gap (``strict``: a planned-only pair counts as a gap too, since a planned control is not in place yet);
    * ``underclaimed`` — rated with the choice that does not (課題が残されている, 十分に行っていない) while
      every pair is covered by an implemented control (the rating or the model is out of date);
    * ``consistent`` — otherwise.

    ``coverage`` is :func:`risk_coverage` of the model when you have it (computed when None).

    Parameters
    ----------
    model
        A loaded model.
    strict
        Count a pair covered only by planned controls as a gap.
    coverage
        :func:`risk_coverage` of ``model``, when already computed.

    Returns
    -------
    DataFrame
        One row per rated item, in the form's order (Ⅲ stage by stage, then Ⅳ; a fresh ``RangeIndex``);
        columns (dtype)

        ``risk_id`` (str)
            the rated item (as ``ratings.csv`` names it: a risk id, ``outsource``, ``self-check`` …);
        ``section`` (str), ``stage`` (str; ``""`` for Ⅳ), ``stage_no``, ``risk_no`` (int64; 0 and the item's
            number for Ⅳ), ``form_item_ja``, ``name_ja``, ``name_en`` (str)
            where the form lists it, and its name;
        ``risks`` (object: list of str)
            the risk ids it rates (the five outsourcing risks for ``outsource``; its own id otherwise);
        ``rating`` (str)
            the self-rating in official Japanese; NaN when unrated;
        ``pairs``, ``covered``, ``planned``, ``gaps`` (int64, counts of pairs)
            as in :func:`stage_coverage`, over the risks it rates (1 pair for a Ⅳ item);
        ``coverage`` (float64, ratio in [0, 1])
            covered / pairs; NaN when out of scope;
        ``status`` (str)
            one of ``not_applicable``, ``unrated``, ``out_of_scope``, ``overclaimed``, ``underclaimed``,
            ``consistent``;
        ``declared`` (str)
            the form's words of the declaration that puts it out of scope (``委託しない`` …), ``""`` otherwise.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, rating_check
    >>> check = rating_check(load_model(bundled_model_path())).set_index("risk_id")
    >>> check.loc["acquire-4", ["rating", "status"]].tolist()
    ['十分である', 'overclaimed']
    >>> int(check.loc["outsource", "pairs"]), check.loc["training", "section"]
    (35, 'Ⅳ')
    """
    require_model(model, "rating_check")
    cov = risk_coverage(model) if coverage is None else coverage
    items = model.rated_items
    ratings = _ratings_by_item(model)
    by_risk = cov.set_index("risk_id")
    organisation = _organisation_items(model)
    sufficient = set(SUFFICIENT_RATINGS)
    out_words = declared_out(model)
    rows = []
    for item in items.itertuples(index=False):
        if item.section == "Ⅳ":
            pairs, covered, planned, gaps = 1, *organisation.get(item.rated_item_id, (0, 0, 1))
        else:
            found = by_risk.reindex([r for r in item.risks if r in by_risk.index])
            pairs, covered, planned, gaps = (int(found[c].sum()) for c in ("pairs", "covered", "planned", "gaps"))
        rating = ratings.get(item.rated_item_id)
        if item.rated_item_id in out_words:
            status = "not_applicable"
        elif rating is None:
            status = "unrated"
        elif pairs == 0:
            status = "out_of_scope"
        elif rating in sufficient and gaps + (planned if strict else 0) > 0:
            status = "overclaimed"
        elif rating not in sufficient and covered == pairs:
            status = "underclaimed"
        else:
            status = "consistent"
        rows.append({"risk_id": item.rated_item_id, "section": item.section, "stage": item.stage,
                     "stage_no": _STAGE_NO.get(item.stage, 0), "risk_no": int(item.item_no),
                     "form_item_ja": item.form_item_ja, "name_ja": item.name_ja, "name_en": item.name_en,
                     "risks": list(item.risks), "rating": rating if rating is not None else np.nan,
                     "pairs": pairs, "covered": covered, "planned": planned, "gaps": gaps,
                     "coverage": covered / pairs if pairs else np.nan, "status": status,
                     "declared": out_words.get(item.rated_item_id, "")})
    columns = ["risk_id", "section", "stage", "stage_no", "risk_no", "form_item_ja", "name_ja", "name_en", "risks",
               "rating", "pairs", "covered", "planned", "gaps", "coverage", "status", "declared"]
    out = pd.DataFrame(rows, columns=columns)
    out = out.astype({"stage_no": "int64", "risk_no": "int64", "pairs": "int64", "covered": "int64",
                      "planned": "int64", "gaps": "int64", "coverage": "float64"})
    out["rating"] = out["rating"].astype("str").where(out["rating"].notna(), np.nan)
    return out.reset_index(drop=True)


_STAGE_NO = {"acquire": 2, "use": 3, "outsource": 4, "provide": 5, "network": 6, "retain": 7}


def _ratings_by_item(model: Model) -> dict[str, str]:
    """The rating of each rated item; rows naming a risk of a block folded as the readers fold them."""
    from ..model.rated import fold_ratings

    if model.ratings.empty:
        return {}
    folded, _warnings = fold_ratings(model.ratings[["risk_id", "rating"]], model.rated_items)
    return dict(zip(folded["risk_id"], folded["rating"]))


def _organisation_items(model: Model) -> dict[str, tuple[int, int, int]]:
    """Section Ⅳ's items as one pair each, the organisation: (covered, planned, gaps) by the controls naming it."""
    # a control counts with every status it has on some element (implemented somewhere covers the item)
    named: dict[str, set[str]] = defaultdict(set)
    for c in control_statuses(model):
        for risk in c.mitigates:
            named[risk].add(c.status)
            named[risk].update(c.on.values())
    out = {}
    for item in model.rated_items.loc[model.rated_items["section"] == "Ⅳ", "rated_item_id"]:
        statuses = named.get(item, set())
        out[item] = (1, 0, 0) if "implemented" in statuses else (0, 1, 0) if "planned" in statuses else (0, 0, 1)
    return out


def coverage_tables(model: Model) -> dict[str, pd.DataFrame]:
    """Four coverage tables of a model from one computation of the pairs' statuses.

    :func:`stage_coverage`, :func:`risk_coverage`, :func:`coverage_matrix` and :func:`rating_check` of a model,
    by those names, from one computation of the pairs' statuses (what the briefing needs).

    Parameters
    ----------
    model
        A loaded model.

    Returns
    -------
    dict of str to DataFrame
        The four tables under the keys ``stage_coverage``, ``risk_coverage``, ``coverage_matrix`` and
        ``rating_check``, equal to what the four functions return.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, coverage_tables, load_model
    >>> list(coverage_tables(load_model(bundled_model_path())))
    ['stage_coverage', 'risk_coverage', 'coverage_matrix', 'rating_check']
    """
    require_model(model, "coverage_tables")
    statuses = _Statuses.build(model)
    risk = _risk_coverage(model, statuses)
    return {
        "stage_coverage": _stage_coverage(model, statuses),
        "risk_coverage": risk,
        "coverage_matrix": _coverage_matrix(model, statuses),
        "rating_check": rating_check(model, coverage=risk),
    }
