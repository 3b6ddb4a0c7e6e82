"""The comparison of two models: their analyses side by side, and what changed.

:func:`compare` runs the exposure, stage coverage and findings analyses on two models (through the one
pipeline, :func:`~pia_analysis.analysis.pipeline.analyse`) and lines them up in a :class:`Comparison`: a
model and the same model changed by a scenario (:func:`~pia_analysis.whatif.apply.apply_scenario`), two
versions of a model (:func:`~pia_analysis.whatif.versions.diff`), or a model and the explorer's changes to it
(:class:`pia_analysis.explorer.ExplorerState` is a :class:`Comparison` with the changes made).
"""

from __future__ import annotations

__all__ = [
    "COVERAGE_DELTA_COLUMNS",
    "EXPOSURE_CHANGES",
    "EXPOSURE_DELTA_COLUMNS",
    "FINDINGS_DELTA_COLUMNS",
    "FINDING_CHANGES",
    "Comparison",
    "compare",
    "exposure_change",
]

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..analysis.pipeline import Analysis, analyse
from ..model.model import Model, check_same_assessment, require_model
from .apply import unknown_id

EXPOSURE_DELTA_COLUMNS = [
    "system_id", "name_ja", "name_en", "holds_my_number", "presence", "change", "what_changed", "exposure_before",
    "exposure_after", "exposure_delta", "records_at_stake_before", "records_at_stake_after", "records_at_stake_delta",
    "entry_point_before", "entry_point_after", "path_before", "path_after", "zone_crossings_before",
    "zone_crossings_after",
]
COVERAGE_DELTA_COLUMNS = [
    "stage", "stage_no", "name_ja", "pairs_before", "pairs_after", "covered_before", "covered_after",
    "gaps_before", "gaps_after", "coverage_before", "coverage_after", "coverage_delta",
]
FINDINGS_DELTA_COLUMNS = [
    "finding_id", "rule_id", "element", "change", "status_before", "status_after", "risk_level_before",
    "risk_level_after", "title_ja", "title_en",
]
#: The analyses of each model a comparison lines up (names of :data:`pia_analysis.analysis.pipeline.ANALYSES`).
COMPARED_ANALYSES = ("exposure", "stage_coverage", "findings")
#: Kinds of change of a system's exposure row (column ``change`` of :attr:`Comparison.exposure_delta`):
#: ``added`` / ``removed`` (the system is in one model only), ``exposure_changed`` (its probability moved),
#: ``path_changed`` (the same probability by another most likely path or from another entry point: the council's
#: question "does the attacker now come in elsewhere?"), ``zone_crossings_changed`` (the same path and
#: probability, but a system on it moved zone, so the path crosses more or fewer zone boundaries), ``unchanged``.
EXPOSURE_CHANGES = ("added", "removed", "exposure_changed", "path_changed", "zone_crossings_changed", "unchanged")
#: Below this, two exposures are the same probability (floating-point noise of products of factors).
EXPOSURE_TOLERANCE = 1e-12
#: Kinds of finding changes, in display order.
FINDING_CHANGES = ("appeared", "disappeared", "risk_level_changed", "status_changed")


@dataclass
class Comparison:
    """The analyses of two models side by side (see :func:`compare`).

    Attributes
    ----------
    base, other : Model
        The models compared (``other`` is typically ``base`` changed by a scenario, or a newer version).
    label_before, label_after : str
        Short names of the two, for tables and charts.
    exposure_before, exposure_after : DataFrame
        :func:`~pia_analysis.analysis.exposure.node_exposure` of each.
    coverage_before, coverage_after : DataFrame
        :func:`~pia_analysis.analysis.coverage.stage_coverage` of each.
    exposure_delta : DataFrame
        Per system (of either model): before, after and delta of ``exposure`` and ``records_at_stake``;
        ``presence`` is ``both``, ``added`` or ``removed`` (a system absent from a model counts 0); the
        entry point, path and zone crossings of each; ``change`` (one of :data:`EXPOSURE_CHANGES`) and
        ``what_changed`` (a list of ``exposure``, ``entry_point``, ``path``, ``zone_crossings``: every part
        that differs). Sorted by the size of the change (largest first), then ``system_id``.
    coverage_delta : DataFrame
        Per stage, in official order: pairs, covered pairs, gaps and coverage before and after, and
        ``coverage_delta`` (NaN where a stage is out of scope in either model).
    findings_before, findings_after : DataFrame or None
        :func:`~pia_analysis.analysis.findings.find_findings` of each (open and mitigated findings); None
        when the findings were not compared (the explorer's comparisons).
    findings_delta : DataFrame or None
        The findings that appear, disappear, or change risk level or status, by their stable
        ``finding_id``; ``change`` is one of :data:`FINDING_CHANGES`. None with the findings.
    """

    base: Model
    other: Model
    label_before: str
    label_after: str
    exposure_before: pd.DataFrame
    exposure_after: pd.DataFrame
    coverage_before: pd.DataFrame
    coverage_after: pd.DataFrame
    exposure_delta: pd.DataFrame
    coverage_delta: pd.DataFrame
    findings_before: pd.DataFrame | None = None
    findings_after: pd.DataFrame | None = None
    findings_delta: pd.DataFrame | None = None

    @classmethod
    def of(cls, before: Analysis, after: Analysis, label_before: str = "", label_after: str = "",
           **extra: Any) -> Comparison:
        """The comparison of two analysed models (their exposure and stage coverage; their findings if run).

        ``extra`` holds the fields of a subclass (the explorer's changes).

        Examples
        --------
        >>> from pia_analysis.whatif.compare import COMPARED_ANALYSES
        >>> from pia_analysis import analyse, bundled_model_path, Comparison, load_model
        >>> a = analyse(load_model(bundled_model_path()), only=COMPARED_ANALYSES)
        >>> Comparison.of(a, a).findings_delta.empty
        True
        """
        findings = before.findings is not None and after.findings is not None
        return cls(
            base=before.model, other=after.model, label_before=label_before, label_after=label_after,
            exposure_before=before.exposure, exposure_after=after.exposure,
            coverage_before=before.stage_coverage, coverage_after=after.stage_coverage,
            exposure_delta=_exposure_delta(before.exposure, after.exposure),
            coverage_delta=_coverage_delta(before.stage_coverage, after.stage_coverage),
            findings_before=before.findings if findings else None, findings_after=after.findings if findings else None,
            findings_delta=_findings_delta(before.findings, after.findings) if findings else None,
            **extra,
        )

    def headline(self) -> pd.DataFrame:
        """Headline numbers: ``metric, before, after, delta`` and ``note`` (the system concerned).

        See :func:`headline_table`; the finding metrics only when the findings were compared.

        Examples
        --------
        >>> from pia_analysis import bundled_model_path, compare, load_model
        >>> m = load_model(bundled_model_path())
        >>> compare(m, m).headline()["metric"].tolist()[:3]
        ['max_mn_exposure', 'records_at_stake', 'reached_systems']
        """
        return headline_table(self.exposure_before, self.exposure_after, self.coverage_before, self.coverage_after,
                              self.findings_before, self.findings_after)

    @property
    def findings_appeared(self) -> list[str]:
        """The ids of the findings present only after."""
        return self._findings("appeared")

    @property
    def findings_disappeared(self) -> list[str]:
        """The ids of the findings present only before."""
        return self._findings("disappeared")

    @property
    def findings_changed(self) -> list[str]:
        """The ids of the findings present in both whose risk level or status changed."""
        return self._findings("risk_level_changed", "status_changed")

    def _findings(self, *changes: str) -> list[str]:
        d = self.findings_delta
        if d is None:
            return []
        return sorted(d.loc[d["change"].isin(changes), "finding_id"])

    def exposure_of(self, system_id: str) -> tuple[float, float]:
        """(before, after) exposure of one system (0 in the model where it does not exist).

        Raises
        ------
        UnknownIdError
            (a KeyError and a ValueError) when neither model has the system.

        Examples
        --------
        >>> from pia_analysis import bundled_model_path, compare, load_model
        >>> m = load_model(bundled_model_path())
        >>> compare(m, m).exposure_of("JUKI_REC")
        (0.025, 0.025)
        """
        d = self.exposure_delta.set_index("system_id")
        if system_id not in d.index:
            raise unknown_id("system", system_id, d.index, "either model")
        return float(d.at[system_id, "exposure_before"]), float(d.at[system_id, "exposure_after"])

    def changed_exposure(self, tolerance: float = EXPOSURE_TOLERANCE) -> pd.DataFrame:
        """The rows of :attr:`exposure_delta` that changed: exposure, most likely path, entry point or zone crossings.

        A system whose probability is the same but whose most likely path now starts elsewhere is a change
        (``change`` is ``path_changed``), as is one that came or went (``added``, ``removed``).

        Parameters
        ----------
        tolerance
            Exposures closer than this are the same probability.

        Returns
        -------
        DataFrame
            The changed rows, in the order of :attr:`exposure_delta`.

        Examples
        --------
        >>> from pia_analysis import bundled_model_path, compare, load_model
        >>> m = load_model(bundled_model_path())
        >>> compare(m, m).changed_exposure().empty
        True
        """
        d = self.exposure_delta
        if tolerance == EXPOSURE_TOLERANCE:
            moved = d["change"].ne("unchanged")
        else:  # another tolerance: judge the exposure again, keep the path changes
            kinds = [exposure_change(r, tolerance)[0] for r in d.to_dict("records")]
            moved = pd.Series(kinds, index=d.index).ne("unchanged")
        return d.loc[moved].reset_index(drop=True)

    def changed_coverage(self) -> pd.DataFrame:
        """The rows of :attr:`coverage_delta` whose pairs, covered pairs or gaps changed.

        Examples
        --------
        >>> from pia_analysis import bundled_model_path, compare, load_model
        >>> from pia_analysis.whatif.apply import with_control_status
        >>> m = load_model(bundled_model_path())
        >>> compare(m, with_control_status(m, "C-STORE-FW", "missing")).changed_coverage()["stage"].tolist()
        ['provide']
        """
        d = self.coverage_delta
        moved = ((d["pairs_before"] != d["pairs_after"]) | (d["covered_before"] != d["covered_after"])
                 | (d["gaps_before"] != d["gaps_after"]))
        return d.loc[moved].reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: labels, headline, exposure changes by kind and row, coverage per stage, findings.

        Examples
        --------
        >>> from pia_analysis import bundled_model_path, compare, load_model
        >>> m = load_model(bundled_model_path())
        >>> list(compare(m, m, "before", "after").to_dict())
        ['before', 'after', 'headline', 'exposure_changes', 'exposure', 'coverage', 'findings']
        """
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: plain_value(v) for k, v in row.items()} for row in frame.to_dict("records")]

        return {
            "before": self.label_before,
            "after": self.label_after,
            "headline": records(self.headline()),
            # how many systems changed in each way (a changed path at the same probability is a change)
            "exposure_changes": {kind: int(n) for kind, n in
                                 self.changed_exposure()["change"].value_counts().reindex(
                                     [k for k in EXPOSURE_CHANGES if k != "unchanged"], fill_value=0).items()},
            "exposure": records(self.changed_exposure()),
            "coverage": records(self.coverage_delta),
            "findings": records(self.findings_delta) if self.findings_delta is not None else [],
        }


def max_mn_exposure(exposure: pd.DataFrame) -> tuple[float, str]:
    """The highest exposure of a system holding My Numbers, and that system (ties: the first id).

    Parameters
    ----------
    exposure
        :func:`~pia_analysis.analysis.exposure.node_exposure` of a model.

    Returns
    -------
    (float, str)
        The exposure (a probability per year) and the ``system_id``; ``(0.0, "")`` when no system holds
        My Numbers.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> value, system = max_mn_exposure(analyse(load_model(bundled_model_path()), only=("exposure",)).exposure)
    >>> system
    'JUKI_REC'
    """
    holders = exposure.loc[exposure["holds_my_number"]]
    if not len(holders):
        return 0.0, ""
    top = holders.sort_values(["exposure", "system_id"], ascending=[False, True], kind="stable").iloc[0]
    return float(top["exposure"]), str(top["system_id"])


def _headline_side(exp: pd.DataFrame, cov: pd.DataFrame, fnd: pd.DataFrame | None) -> dict[str, tuple[float, str]]:
    pairs = int(cov["pairs"].sum())
    covered = int(cov["covered"].sum())
    out = {
        "max_mn_exposure": max_mn_exposure(exp),
        "records_at_stake": (float(exp["records_at_stake"].sum()), ""),
        "reached_systems": (float((exp["exposure"] > 0).sum()), ""),
        "covered_pairs": (float(covered), ""),
        "gaps": (float(cov["gaps"].sum()), ""),
        "coverage": (covered / pairs if pairs else float("nan"), ""),
    }
    if fnd is not None:
        open_ = fnd.loc[fnd["status"] == "open"]
        out["open_findings"] = (float(len(open_)), "")
        out["open_risk_level_4"] = (float((open_["risk_level"] == 4).sum()), "")
    return out


def headline_table(exposure_before: pd.DataFrame, exposure_after: pd.DataFrame, coverage_before: pd.DataFrame,
                   coverage_after: pd.DataFrame, findings_before: pd.DataFrame | None = None,
                   findings_after: pd.DataFrame | None = None) -> pd.DataFrame:
    """Headline numbers of two models from their analyses: ``metric, before, after, delta, note``.

    Parameters
    ----------
    exposure_before, exposure_after
        :func:`~pia_analysis.analysis.exposure.node_exposure` of each model.
    coverage_before, coverage_after
        :func:`~pia_analysis.analysis.coverage.stage_coverage` of each model.
    findings_before, findings_after
        :func:`~pia_analysis.analysis.findings.find_findings` of each model, or None (then the two finding
        metrics are left out).

    Returns
    -------
    DataFrame
        One row per metric: ``max_mn_exposure`` (the highest exposure of a
        system holding My Numbers, a probability per year; ``note`` names the system, ``A → B`` when it
        changes), ``records_at_stake`` (sum over systems of exposure × records held: expected records
        reached), ``reached_systems`` (systems with exposure > 0), ``covered_pairs``, ``gaps``, ``coverage``
        (covered / pairs over all stages; NaN without pairs), and with the findings ``open_findings`` and
        ``open_risk_level_4``.
        ``before``, ``after`` and ``delta`` are float64, ``note`` a string.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> a = analyse(load_model(bundled_model_path()), only=COMPARED_ANALYSES)
    >>> h = headline_table(a.exposure, a.exposure, a.stage_coverage, a.stage_coverage)
    >>> h["metric"].tolist()
    ['max_mn_exposure', 'records_at_stake', 'reached_systems', 'covered_pairs', 'gaps', 'coverage']
    >>> h.at[0, "note"]
    'JUKI_REC'
    """
    findings = findings_before is not None and findings_after is not None
    before = _headline_side(exposure_before, coverage_before, findings_before if findings else None)
    after = _headline_side(exposure_after, coverage_after, findings_after if findings else None)
    rows = []
    for metric in before:
        (b, nb), (a, na) = before[metric], after[metric]
        note = nb if nb == na else f"{nb} → {na}".strip()
        rows.append({"metric": metric, "before": b, "after": a, "delta": a - b, "note": note})
    return pd.DataFrame(rows, columns=["metric", "before", "after", "delta", "note"])


def plain_value(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [plain_value(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def exposure_change(row: dict[str, Any], tolerance: float = EXPOSURE_TOLERANCE) -> tuple[str, list[str]]:
    """The kind of change of one system's row and the parts that differ (see :data:`EXPOSURE_CHANGES`).

    Parameters
    ----------
    row
        A row of :attr:`Comparison.exposure_delta` (``presence``, ``exposure_before/after``,
        ``entry_point_before/after``, ``path_before/after``, ``zone_crossings_before/after``).
    tolerance
        Exposures closer than this are the same probability.

    Returns
    -------
    (str, list of str)
        The kind (one of :data:`EXPOSURE_CHANGES`, the first that applies in that order) and the parts that
        differ, among ``exposure``, ``entry_point``, ``path``, ``zone_crossings`` (empty for a system in one
        model only, where everything differs).

    Examples
    --------
    >>> from pia_analysis.whatif.compare import exposure_change
    >>> exposure_change({"presence": "both", "exposure_before": 0.025, "exposure_after": 0.025,
    ...                  "entry_point_before": "VENDOR_TERM", "entry_point_after": "JUKI_TERM",
    ...                  "path_before": ["VENDOR_TERM", "JUKI_REC"], "path_after": ["JUKI_TERM", "JUKI_REC"],
    ...                  "zone_crossings_before": 0, "zone_crossings_after": 1})
    ('path_changed', ['entry_point', 'path', 'zone_crossings'])
    """
    if row["presence"] != "both":
        return str(row["presence"]), []
    parts = []
    if abs(float(row["exposure_after"]) - float(row["exposure_before"])) > tolerance:
        parts.append("exposure")
    if row["entry_point_before"] != row["entry_point_after"]:
        parts.append("entry_point")
    if list(row["path_before"]) != list(row["path_after"]):
        parts.append("path")
    if int(row["zone_crossings_before"]) != int(row["zone_crossings_after"]):
        parts.append("zone_crossings")
    if "exposure" in parts:
        return "exposure_changed", parts
    if "path" in parts or "entry_point" in parts:
        return "path_changed", parts
    if parts:
        return "zone_crossings_changed", parts
    return "unchanged", parts


def _exposure_delta(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    b = before.set_index("system_id")
    a = after.set_index("system_id")
    rows = []
    for sid in sorted(set(b.index) | set(a.index)):
        in_b, in_a = sid in b.index, sid in a.index
        src = a.loc[sid] if in_a else b.loc[sid]
        eb = float(b.at[sid, "exposure"]) if in_b else 0.0
        ea = float(a.at[sid, "exposure"]) if in_a else 0.0
        rb = float(b.at[sid, "records_at_stake"]) if in_b else 0.0
        ra = float(a.at[sid, "records_at_stake"]) if in_a else 0.0
        row = {
            "system_id": sid, "name_ja": src["name_ja"], "name_en": src["name_en"],
            "holds_my_number": bool(src["holds_my_number"]),
            "presence": "both" if in_b and in_a else ("added" if in_a else "removed"),
            "exposure_before": eb, "exposure_after": ea, "exposure_delta": ea - eb,
            "records_at_stake_before": rb, "records_at_stake_after": ra, "records_at_stake_delta": ra - rb,
            "entry_point_before": b.at[sid, "entry_point"] if in_b else "",
            "entry_point_after": a.at[sid, "entry_point"] if in_a else "",
            "path_before": list(b.at[sid, "path"]) if in_b else [],
            "path_after": list(a.at[sid, "path"]) if in_a else [],
            "zone_crossings_before": int(b.at[sid, "zone_crossings"]) if in_b else 0,
            "zone_crossings_after": int(a.at[sid, "zone_crossings"]) if in_a else 0,
        }
        row["change"], row["what_changed"] = exposure_change(row)
        rows.append(row)
    out = pd.DataFrame(rows, columns=EXPOSURE_DELTA_COLUMNS)
    out = out.astype({"holds_my_number": "bool", "exposure_before": "float64", "exposure_after": "float64",
                      "exposure_delta": "float64", "records_at_stake_before": "float64",
                      "records_at_stake_after": "float64", "records_at_stake_delta": "float64",
                      "zone_crossings_before": "int64", "zone_crossings_after": "int64"})
    # Rows are in id order, so a stable sort on the size of the change breaks ties by id; a changed path at
    # the same probability (delta 0) comes after every moved probability, before the unchanged rows.
    key = pd.DataFrame({"_d": -out["exposure_delta"].abs(), "_u": out["change"].eq("unchanged")})
    order = key.sort_values(["_u", "_d"], kind="stable").index
    return out.loc[order].reset_index(drop=True)


def _coverage_delta(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    b = before.set_index("stage")
    a = after.set_index("stage")
    rows = []
    for stage in before["stage"]:  # the official order (both tables list the six stages)
        rows.append({
            "stage": stage, "stage_no": int(b.at[stage, "stage_no"]), "name_ja": b.at[stage, "name_ja"],
            "pairs_before": int(b.at[stage, "pairs"]), "pairs_after": int(a.at[stage, "pairs"]),
            "covered_before": int(b.at[stage, "covered"]), "covered_after": int(a.at[stage, "covered"]),
            "gaps_before": int(b.at[stage, "gaps"]), "gaps_after": int(a.at[stage, "gaps"]),
            "coverage_before": float(b.at[stage, "coverage"]), "coverage_after": float(a.at[stage, "coverage"]),
        })
    out = pd.DataFrame(rows, columns=COVERAGE_DELTA_COLUMNS[:-1])
    out["coverage_delta"] = out["coverage_after"] - out["coverage_before"]
    return out


def _findings_delta(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    b = before.set_index("finding_id")
    a = after.set_index("finding_id")
    rows = []
    for fid in sorted(set(b.index) | set(a.index)):
        in_b, in_a = fid in b.index, fid in a.index
        if in_b and in_a:
            sb, sa = int(b.at[fid, "risk_level"]), int(a.at[fid, "risk_level"])
            if sb != sa:
                change = "risk_level_changed"
            elif b.at[fid, "status"] != a.at[fid, "status"]:
                change = "status_changed"
            else:
                continue
        else:
            change = "appeared" if in_a else "disappeared"
        src = a.loc[fid] if in_a else b.loc[fid]
        rows.append({
            "finding_id": fid, "rule_id": src["rule_id"], "element": src["element"], "change": change,
            "status_before": b.at[fid, "status"] if in_b else "", "status_after": a.at[fid, "status"] if in_a else "",
            "risk_level_before": int(b.at[fid, "risk_level"]) if in_b else 0,
            "risk_level_after": int(a.at[fid, "risk_level"]) if in_a else 0,
            "title_ja": src["title_ja"], "title_en": src["title_en"],
        })
    out = pd.DataFrame(rows, columns=FINDINGS_DELTA_COLUMNS)
    out = out.astype({"risk_level_before": "int64", "risk_level_after": "int64"})
    rank = {c: i for i, c in enumerate(FINDING_CHANGES)}
    key = out.assign(_c=out["change"].map(rank), _s=-out[["risk_level_before", "risk_level_after"]].max(axis=1))
    return out.loc[key.sort_values(["_c", "_s", "finding_id"], kind="stable").index].reset_index(drop=True)


def compare(base: Model, other: Model, label_before: str | None = None, label_after: str | None = None) -> Comparison:
    """Run the exposure, coverage and findings analyses on two models and line the results up.

    Parameters
    ----------
    base, other
        The models (e.g. a model and the same model changed by
        :func:`~pia_analysis.whatif.apply.apply_scenario`).
    label_before, label_after
        Short names for tables and charts (default: the models' ids; ``"scenario"`` for ``other`` when
        the ids are equal).

    Returns
    -------
    Comparison
        The analyses of both (:data:`COMPARED_ANALYSES`, run once each by
        :func:`~pia_analysis.analysis.pipeline.analyse`) and their deltas.

    Raises
    ------
    DifferentAssessmentError
        When ``organisation`` or ``affairs`` differ (:func:`~pia_analysis.model.model.check_same_assessment`).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, compare, load_model
    >>> from pia_analysis.whatif.apply import apply_scenario
    >>> m = load_model(bundled_model_path())
    >>> c = compare(m, apply_scenario(m, bundled_model_path() / "scenarios" / "store-firewall-fails.yaml"))
    >>> before, after = c.exposure_of("JLIS_CENTRE")  # the kiosk's step loses the firewall's factor 1 - 0.8
    >>> round(after / before, 6)
    5.0
    >>> list(c.coverage_delta["stage"])
    ['acquire', 'use', 'outsource', 'provide', 'network', 'retain']
    """
    require_model(base, "compare")
    require_model(other, "compare")
    check_same_assessment(base, other)  # a user may pass two models: only versions of one assessment compare
    before = label_before or base.id
    after = label_after or (other.id if other.id != base.id else "scenario")
    return Comparison.of(analyse(base, only=COMPARED_ANALYSES), analyse(other, only=COMPARED_ANALYSES), before, after)
