"""Findings derived from the model, the exposure results and the coverage: the rules and how to run them.

Each rule (:class:`Rule`) is plain Python data plus plain Python predicates — nothing is ever evaluated
from a string. A rule names the elements it examines (flows, systems, zones or risk items) and, for
each one, answers two questions:

* **applies** — is the situation the rule is about present? If not, the finding is ``not_applicable``;
* **mitigated** — if it applies, does the model record what answers it? ``mitigated`` if so, else
  ``open``.

Every finding carries a stable id ``rule_id@element``, the stage and the catalogue risk ids it bears on,
a LINDDUN category, and a CNIL risk level read from a 4 × 4 likelihood × impact grid (levels 1 low …
4 critical, as in the CNIL method). The grid and the scales are data: ``catalog/risk_level_grid.csv`` and
``catalog/risk_scales.csv``; the channel words that mark in-person and removable-media flows are in
``catalog/channel_keywords.csv``. ``docs/findings.md`` documents each rule.

The risk level of a finding is its *inherent* risk level (before the mitigation is counted): a mitigated
finding keeps the risk level of what it would be if the mitigation failed, so the two can be compared.

Where things are: :mod:`.engine` (the context the predicates read, :class:`Rule`, the evaluation and the
risk scales), :mod:`.rules` (every rule, its predicates beside its texts and metadata). This module
runs :data:`RULES` by default.
"""

from __future__ import annotations

__all__ = ["DECISION_STATES", "DEFAULT_EXPOSURE_THRESHOLD", "FINDING_COLUMNS", "FINDING_STATUSES", "LINDDUN", "RULES",
           "TRIAGE_COLUMNS", "FindingContext", "RiskScale", "Rule", "find_findings", "findings_summary",
           "impact_level", "likelihood_level", "risk_level_grid", "risk_level_of", "risk_scales", "rules"]

import datetime as dt
from collections.abc import Iterable

import pandas as pd

from ...model.model import Model, require_model
from .engine import (
    DEFAULT_EXPOSURE_THRESHOLD,
    FINDING_COLUMNS,
    FINDING_STATUSES,
    LINDDUN,
    FindingContext,
    RiskScale,
    Rule,
    evaluate,
    impact_level,
    likelihood_level,
    risk_level_grid,
    risk_level_of,
    risk_scales,
    rule_table,
    summarise,
)
from .rules import RULES
# (the triage helpers are used from .triage: apply_triage, shown_open … are not re-exported here)
from .triage import DECISION_STATES, TRIAGE_COLUMNS, apply_triage, triage_warnings


def rules(model: Model | None = None) -> pd.DataFrame:
    """The rule table (one row per rule, in definition order).

    Parameters
    ----------
    model
        The model whose body the titles and explanations name by its own word (市, 町 …); None: the
        neutral 団体 ("the organisation").

    Returns
    -------
    DataFrame
        ``rule_id, title_ja, title_en, explanation_ja, explanation_en, stage, risk_ids, linddun,
        element_type, likelihood, impact, risk_level, applicability_ja, applicability_en, mitigated_by_ja,
        mitigated_by_en`` — ``stage`` is empty for rules whose stage is the element's; ``likelihood`` and
        ``impact`` are the defaults (several rules score per element, see docs/findings.md).

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is given and is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis import rules
    >>> table = rules()
    >>> len(table), table["rule_id"].is_unique
    (12, True)
    """
    if model is not None:
        require_model(model, "rules")
    return rule_table(RULES, model)


def find_findings(model: Model, include_all: bool = False,
                  exposure_threshold: float = DEFAULT_EXPOSURE_THRESHOLD,
                  rule_set: Iterable[Rule] | None = None, rating_check: pd.DataFrame | None = None,
                  as_of: dt.date | None = None) -> pd.DataFrame:
    """Run every rule on every element it examines.

    Parameters
    ----------
    model
        A loaded model.
    include_all
        Also return the ``not_applicable`` findings (by default only ``open`` and ``mitigated``).
    exposure_threshold
        The path probability (per year) above which an exposed My Number holder (and an internet-facing
        zone reaching one) is a finding.
    rule_set
        The rules to run (default: :data:`RULES`).
    rating_check
        :func:`pia_analysis.analysis.coverage.rating_check` of ``model``, when you have it (computed when
        None).
    as_of
        The day the analyst's decisions (``triage.csv``) are judged on: a decision past its ``review_on``
        reopens its finding (default: today's date; pass it for a reproducible result). See
        :func:`~pia_analysis.analysis.findings.triage.apply_triage`.

    Returns
    -------
    DataFrame
        ``finding_id, rule_id, element, element_type, status, risk_level, likelihood, impact, stage,
        risk_ids, linddun, title_ja, title_en, detail_ja, detail_en, assumed, assumptions``, then the triage
        columns ``decision, decision_reason, decided_by, decided_on, review_on, decision_state``
        (:data:`TRIAGE_COLUMNS`; ``status`` stays the analysis' verdict), sorted by
        risk level (highest first), then likelihood and impact (highest first), then ``finding_id``.
        ``risk_level``, ``likelihood`` and ``impact`` are ``int64`` levels 1–4; ``risk_ids`` lists.
        Details are empty for not-applicable findings. ``assumptions`` lists the rows (``table:id``) the
        finding rests on whose ``source`` starts with ``assumption:`` (its element, a system's zone, the
        controls named on it for its risks; for a risk, the controls mitigating it); ``assumed`` (bool)
        is true when there is one. ``attrs["triage_warnings"]`` lists located warnings (decisions about
        findings now mitigated or not applicable, :func:`~pia_analysis.analysis.findings.triage.triage_warnings`);
        ``attrs["triage_as_of"]`` the day judged on.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, find_findings, load_model
    >>> found = find_findings(load_model(bundled_model_path()))
    >>> row = found.set_index("finding_id").loc["unencrypted-crossing@F17"]
    >>> row["status"], int(row["risk_level"])
    ('open', 4)
    """
    require_model(model, "find_findings")
    # With decisions, keep the not-applicable findings until the warnings have told them apart from the rest
    # (evaluating them costs nothing more: every rule examines every element anyway).
    triaged = getattr(model, "triage", None) is not None and len(model.triage) > 0
    found = evaluate(model, RULES if rule_set is None else rule_set, include_all=include_all or triaged,
                     exposure_threshold=exposure_threshold, rating_check=rating_check)
    found = apply_triage(found, model, as_of)
    warnings = triage_warnings(found, model) if triaged else []
    if triaged and not include_all:
        found = found.loc[found["status"] != "not_applicable"].reset_index(drop=True)
    found.attrs["triage_as_of"] = as_of or dt.date.today()
    found.attrs["triage_warnings"] = warnings
    return found


def findings_summary(findings: pd.DataFrame) -> pd.DataFrame:
    """Counts of findings by rule and status.

    Parameters
    ----------
    findings
        The table of :func:`find_findings`.

    Returns
    -------
    DataFrame
        Columns ``rule_id, open, mitigated, not_applicable, total`` (``int64`` counts): every rule of
        :data:`RULES` in definition order, absent combinations as 0.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, find_findings, findings_summary, load_model
    >>> s = findings_summary(find_findings(load_model(bundled_model_path())))
    >>> list(s.columns)
    ['rule_id', 'open', 'mitigated', 'not_applicable', 'total']
    """
    return summarise(findings, [r.rule_id for r in RULES])
