"""Findings derived from the model, the exposure results and the coverage: the rules and how to run them.

Each rule (:class:`Rule`) is plain Python data plus plain Python predicates — nothing is ever evaluated
from a string. A rule names the elements it examines (flows, systems, zones or risk items) and, for
each one, answers two questions:

* **applies** — is the situation the rule is about present? If not, the finding is ``not_applicable``;
* **mitigated** — if it applies, does the model record what answers it? ``mitigated`` if so, else
  ``open``.

Every finding carries a stable id ``rule_id@element``, the stage and the catalogue risk ids it bears on,
a LINDDUN category, and a CNIL risk level read from a 4 × 4 likelihood × impact grid (levels 1 negligible …
4 maximum, as in the CNIL method). The grid and the scales are data: ``catalog/severity_grid.csv`` and
``catalog/severity_scales.csv``; the channel words that mark in-person and removable-media flows are in
``catalog/channel_keywords.csv``. ``docs/findings.md`` documents each rule.

The severity of a finding is its *inherent* severity (before the mitigation is counted): a mitigated
finding keeps the severity of what it would be if the mitigation failed, so the two can be compared.

Where things are: :mod:`.engine` (the context the predicates read, :class:`Rule`, the evaluation and the
severity scale), :mod:`.rules` (every rule, its predicates beside its texts and metadata). This module
runs :data:`RULES` by default.
"""

from __future__ import annotations

__all__ = ["DEFAULT_EXPOSURE_THRESHOLD", "FINDING_COLUMNS", "FINDING_STATUSES", "LINDDUN", "RULES", "FindingContext",
           "Rule", "SeverityScale", "find_findings", "findings_summary", "impact_level", "likelihood_level", "rules",
           "severity_grid", "severity_of", "severity_scales"]

from collections.abc import Iterable

import pandas as pd

from ...model.model import Model
from .engine import (
    DEFAULT_EXPOSURE_THRESHOLD,
    FINDING_COLUMNS,
    FINDING_STATUSES,
    LINDDUN,
    FindingContext,
    Rule,
    SeverityScale,
    evaluate,
    impact_level,
    likelihood_level,
    rule_table,
    severity_grid,
    severity_of,
    severity_scales,
    summarise,
)
from .rules import RULES


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
    return rule_table(RULES)


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
        The path probability (per year) above which an exposed My Number holder (and an internet-facing
        zone reaching one) is a finding.
    rule_set
        The rules to run (default: :data:`RULES`).
    rating_check
        :func:`pia_analysis.analysis.coverage.rating_check` of ``model``, when you have it (computed when
        None).

    Returns
    -------
    DataFrame
        ``finding_id, rule_id, element, element_type, status, severity, likelihood, impact, stage,
        risk_ids, linddun, title_ja, title_en, detail_ja, detail_en``, sorted by severity (highest
        first), then likelihood and impact (highest first), then ``finding_id``. ``severity``,
        ``likelihood`` and ``impact`` are ``int64`` levels 1–4; ``risk_ids`` lists. Details are empty for
        not-applicable findings.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> found = find_findings(load_model(bundled_model_path()))
    >>> row = found.set_index("finding_id").loc["unencrypted-crossing@F17"]
    >>> row["status"], int(row["severity"])
    ('open', 4)
    """
    return evaluate(model, RULES if rule_set is None else rule_set, include_all=include_all,
                    exposure_threshold=exposure_threshold, rating_check=rating_check)


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
    >>> from pia_analysis import load_model, bundled_model_path
    >>> s = findings_summary(find_findings(load_model(bundled_model_path())))
    >>> list(s.columns)
    ['rule_id', 'open', 'mitigated', 'not_applicable', 'total']
    """
    return summarise(findings, [r.rule_id for r in RULES])
