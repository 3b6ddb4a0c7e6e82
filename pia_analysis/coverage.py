"""Risk coverage of the six process stages: which (risk, element) pairs a mapped control covers.

The rule (see ``docs/coverage.md``):

* **Scope of a stage** — the flows of that stage and the systems at either end of them; for ``retain``
  also every system that holds a file; for ``outsource`` also every system operated by a contractor or
  a subcontractor.
* A pair (risk *r* of stage *S*, element *e* in the scope of *S*) is **covered** when some
  *implemented* control mitigates *r* and applies to *e* (or to ``*``); **planned** when only planned
  controls do; otherwise a **gap**. ``missing`` controls count for nothing.
* The risks of a stage are the packaged catalogue's items plus the model's extra risks of that stage.

Coverage says that a control is *mapped* to a pair, not that it works: it measures the completeness of
the assessment's mapping, never the quality of a measure.

Every function returns a new DataFrame sorted independently of the order of the model's rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import catalog
from .model import Model

#: Pair statuses, best first.
PAIR_STATUSES = ("covered", "planned", "gap")
#: Self-rating statuses of :func:`rating_check`.
RATING_STATUSES = ("consistent", "overclaimed", "underclaimed", "unrated", "out_of_scope")
#: Operators whose systems enter the scope of the ``outsource`` stage.
OUTSOURCE_OPERATORS = ("contractor", "subcontractor")
_RATED_SUFFICIENT = ("特に力を入れている", "十分である")
_RATED_REMAINING = "課題が残されている"
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

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> scope = stage_scope(load_model(bundled_model_path()))
    >>> scope.loc[scope["stage"] == "retain", "element"].tolist()[:3]
    ['F22', 'ATENA', 'BACKUP']
    """
    stage_no = catalog.stages().set_index("stage")["stage_no"].to_dict()
    reasons: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for flow in model.flows.itertuples(index=False):
        reasons[(flow.stage, flow.flow_id, "flow")].add("flow")
        reasons[(flow.stage, flow.source, "system")].add("endpoint")
        reasons[(flow.stage, flow.target, "system")].add("endpoint")
    for system in model.systems.itertuples(index=False):
        if len(system.holds) > 0:
            reasons[("retain", system.system_id, "system")].add("holds_file")
        if system.operator in OUTSOURCE_OPERATORS:
            reasons[("outsource", system.system_id, "system")].add("contractor")
    rows = [
        {"stage": s, "stage_no": stage_no[s], "element": e, "element_type": t, "reasons": sorted(r)}
        for (s, e, t), r in reasons.items()
    ]
    frame = pd.DataFrame(rows, columns=["stage", "stage_no", "element", "element_type", "reasons"])
    if frame.empty:
        return frame.astype({"stage": "str", "stage_no": "int64", "element": "str", "element_type": "str"})
    frame["_t"] = frame["element_type"].map(_TYPE_ORDER)
    frame = frame.sort_values(["stage_no", "_t", "element"], kind="stable").drop(columns="_t")
    return frame.reset_index(drop=True)


@dataclass(frozen=True)
class _ControlIndex:
    """The control ids that mitigate a risk on an element, by status (``*`` kept as its own key)."""

    by_status: dict[str, dict[tuple[str, str], list[str]]]

    @classmethod
    def build(cls, model: Model) -> _ControlIndex:
        by_status: dict[str, dict[tuple[str, str], list[str]]] = {"implemented": defaultdict(list),
                                                                  "planned": defaultdict(list)}
        for control in model.controls.itertuples(index=False):
            if control.status not in by_status:  # "missing" controls count for nothing
                continue
            for risk in control.mitigates:
                for target in control.applies_to:
                    by_status[control.status][(risk, target)].append(control.control_id)
        return cls(by_status)

    def controls(self, status: str, risk: str, element: str) -> list[str]:
        table = self.by_status[status]
        return sorted(set(table.get((risk, element), [])) | set(table.get((risk, "*"), [])))


def coverage_pairs(model: Model) -> pd.DataFrame:
    """Every (risk, element) pair in scope with its status and the controls that decide it.

    Returns
    -------
    DataFrame
        ``stage, stage_no, risk_id, risk_no, element, element_type, status, implemented, planned`` —
        ``status`` is ``covered``, ``planned`` or ``gap``; ``implemented`` and ``planned`` are the sorted
        lists of the ids of the implemented and planned controls that mitigate the risk and apply to the
        element or to ``*``. Sorted by risk (official order), element type (flows first), element id.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> pairs = coverage_pairs(load_model(bundled_model_path()))
    >>> pairs.loc[(pairs["risk_id"] == "acquire-1") & (pairs["element"] == "F01"), "implemented"].item()
    ['C-COUNTER-ID', 'C-STAFF-TRAINING']
    """
    scope = stage_scope(model)
    index = _ControlIndex.build(model)
    rows = []
    for risk in model.risk_items.itertuples(index=False):
        elements = scope.loc[scope["stage"] == risk.stage]
        for element, element_type in zip(elements["element"], elements["element_type"]):
            implemented = index.controls("implemented", risk.risk_id, element)
            planned = index.controls("planned", risk.risk_id, element)
            status = "covered" if implemented else "planned" if planned else "gap"
            rows.append({"stage": risk.stage, "stage_no": risk.stage_no, "risk_id": risk.risk_id,
                         "risk_no": risk.risk_no, "element": element, "element_type": element_type,
                         "status": status, "implemented": implemented, "planned": planned})
    columns = ["stage", "stage_no", "risk_id", "risk_no", "element", "element_type", "status", "implemented", "planned"]
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty:
        return frame
    # risk_items is already in official order; keep it and order elements within each risk.
    frame["_r"] = frame["risk_id"].map({r: i for i, r in enumerate(model.risk_items["risk_id"])})
    frame["_t"] = frame["element_type"].map(_TYPE_ORDER)
    frame = frame.sort_values(["_r", "_t", "element"], kind="stable").drop(columns=["_r", "_t"])
    return frame.reset_index(drop=True)


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator as floats, NaN where the denominator is 0 (out of scope is not 100 %)."""
    num = numerator.astype("float64")
    den = denominator.astype("float64")
    return (num / den.where(den > 0, np.nan)).astype("float64")


def _counts(pairs: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    counts = pd.crosstab([pairs[c] for c in by], pairs["status"]) if len(pairs) else pd.DataFrame()
    counts = counts.reindex(columns=list(PAIR_STATUSES), fill_value=0).rename(columns={"gap": "gaps"})
    counts.columns.name = None
    return counts.astype("int64")


# ---------------------------------------------------------------------------------------------------
# summaries


def stage_coverage(model: Model) -> pd.DataFrame:
    """Coverage of each of the six stages, in official order.

    Returns
    -------
    DataFrame
        ``stage, stage_no, name_ja, elements, risks, pairs, covered, planned, gaps, coverage,
        coverage_if_planned, in_scope``: ``elements`` in scope, ``risks`` of the stage, ``pairs`` =
        elements × risks; ``coverage`` = covered / pairs; ``coverage_if_planned`` =
        (covered + planned) / pairs. A stage with no element in scope has ``in_scope`` False and NaN
        ratios (not 100 %).

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> table = stage_coverage(load_model(bundled_model_path()))
    >>> table["stage"].tolist()
    ['acquire', 'use', 'outsource', 'provide', 'network', 'retain']
    >>> table["pairs"].tolist()
    [48, 20, 35, 51, 49, 30]
    """
    stages = catalog.stages()[["stage", "stage_no", "name_ja"]]
    scope = stage_scope(model)
    elements = scope.groupby("stage").size() if len(scope) else pd.Series(dtype="int64")
    risks = model.risk_items.groupby("stage").size()
    counts = _counts(coverage_pairs(model), ["stage"])
    out = stages.copy()
    out["elements"] = out["stage"].map(elements).fillna(0).astype("int64")
    out["risks"] = out["stage"].map(risks).fillna(0).astype("int64")
    out["pairs"] = out["elements"] * out["risks"]
    for col in ("covered", "planned", "gaps"):
        out[col] = out["stage"].map(counts[col]).fillna(0).astype("int64") if len(counts) else 0
    out["coverage"] = _ratio(out["covered"], out["pairs"])
    out["coverage_if_planned"] = _ratio(out["covered"] + out["planned"], out["pairs"])
    out["in_scope"] = out["pairs"] > 0
    return out.reset_index(drop=True)


def risk_coverage(model: Model) -> pd.DataFrame:
    """Coverage of each risk item (catalogue and model extras), in official order.

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

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> row = risk_coverage(load_model(bundled_model_path())).set_index("risk_id").loc["outsource-5"]
    >>> row["implemented"], row["covered"], row["pairs"]
    (['C-DEV-ENV', 'C-SUBCON-APPROVAL'], np.int64(7), np.int64(7))
    """
    pairs = coverage_pairs(model)
    counts = _counts(pairs, ["risk_id"])
    out = model.risk_items[["risk_id", "stage", "stage_no", "risk_no", "name_ja", "origin"]].copy()
    total = pairs.groupby("risk_id").size() if len(pairs) else pd.Series(dtype="int64")
    out["pairs"] = out["risk_id"].map(total).fillna(0).astype("int64")
    for col in ("covered", "planned", "gaps"):
        out[col] = out["risk_id"].map(counts[col]).fillna(0).astype("int64") if len(counts) else 0
    out["coverage"] = _ratio(out["covered"], out["pairs"])
    out["coverage_if_planned"] = _ratio(out["covered"] + out["planned"], out["pairs"])
    out["in_scope"] = out["pairs"] > 0

    by_risk: dict[str, list[dict]] = {}
    for row in pairs.to_dict("records"):  # in pair order: flows first, then systems
        by_risk.setdefault(row["risk_id"], []).append(row)

    def collect(risk_id: str, column: str, statuses: tuple[str, ...]) -> list[str]:
        return sorted({c for row in by_risk.get(risk_id, []) if row["status"] in statuses for c in row[column]})

    def elements(risk_id: str, statuses: tuple[str, ...]) -> list[str]:
        return [row["element"] for row in by_risk.get(risk_id, []) if row["status"] in statuses]

    out["implemented"] = [collect(r, "implemented", ("covered",)) for r in out["risk_id"]]
    out["planned_controls"] = [collect(r, "planned", ("planned",)) for r in out["risk_id"]]
    out["uncovered"] = [elements(r, ("planned", "gap")) for r in out["risk_id"]]
    out["gap_elements"] = [elements(r, ("gap",)) for r in out["risk_id"]]
    return out.reset_index(drop=True)


def coverage_matrix(model: Model, if_planned: bool = False) -> pd.DataFrame:
    """Stages × systems: the coverage ratio of the pairs whose element is that system.

    A cell is covered / pairs over the risks of the stage for that one system (``if_planned``: counting
    planned controls as if they had landed). It is NaN where the system is not in the stage's scope.
    Flows are not columns: their pairs count in :func:`stage_coverage` and :func:`coverage_pairs` only.

    Returns
    -------
    DataFrame
        Index ``stage`` (the six codes, official order), one column per system id (sorted), floats.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> m = coverage_matrix(load_model(bundled_model_path()))
    >>> m.loc["retain", "BACKUP"], bool(np.isnan(m.loc["network", "BACKUP"]))
    (np.float64(0.6666666666666666), True)
    """
    stages = catalog.stages()["stage"].tolist()
    systems = sorted(model.systems["system_id"])
    pairs = coverage_pairs(model)
    pairs = pairs.loc[pairs["element_type"] == "system"] if len(pairs) else pairs
    out = pd.DataFrame(np.nan, index=pd.Index(stages, name="stage"), columns=pd.Index(systems, name="system"))
    if len(pairs):
        good = ("covered", "planned") if if_planned else ("covered",)
        grouped = pairs.assign(good=pairs["status"].isin(good)).groupby(["stage", "element"])["good"].mean()
        for (stage, element), value in grouped.items():
            out.loc[stage, element] = float(value)
    return out


def rating_check(model: Model, strict: bool = False) -> pd.DataFrame:
    """Compare each risk's self-rating (ratings.csv) with its coverage.

    Status, decided in this order:

    * ``unrated`` — no rating for the risk (the form needs one for every item);
    * ``out_of_scope`` — no element in the stage's scope, so coverage says nothing;
    * ``overclaimed`` — rated 特に力を入れている or 十分である with at least one gap (``strict``: a
      planned-only pair counts as a gap too, since a planned control is not in place yet);
    * ``underclaimed`` — rated 課題が残されている while every pair is covered by an implemented control
      (the rating or the model is out of date);
    * ``consistent`` — otherwise.

    Returns
    -------
    DataFrame
        ``risk_id, stage, stage_no, risk_no, name_ja, rating, pairs, covered, planned, gaps, coverage,
        status`` in official order; ``rating`` is NaN when unrated.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> check = rating_check(load_model(bundled_model_path()))
    >>> check.set_index("risk_id").loc["acquire-4", ["rating", "status"]].tolist()
    ['十分である', 'overclaimed']
    """
    cov = risk_coverage(model)
    ratings = model.ratings.set_index("risk_id")["rating"] if len(model.ratings) else pd.Series(dtype="str")
    out = cov[["risk_id", "stage", "stage_no", "risk_no", "name_ja"]].copy()
    out["rating"] = out["risk_id"].map(ratings).astype("str")
    for col in ("pairs", "covered", "planned", "gaps", "coverage"):
        out[col] = cov[col]

    def status(row: pd.Series) -> str:
        if pd.isna(row["rating"]):
            return "unrated"
        if row["pairs"] == 0:
            return "out_of_scope"
        short = row["gaps"] + (row["planned"] if strict else 0)
        if row["rating"] in _RATED_SUFFICIENT and short > 0:
            return "overclaimed"
        if row["rating"] == _RATED_REMAINING and row["covered"] == row["pairs"]:
            return "underclaimed"
        return "consistent"

    out["status"] = out.apply(status, axis=1).astype("str") if len(out) else pd.Series(dtype="str")
    return out.reset_index(drop=True)
