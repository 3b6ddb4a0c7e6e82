"""The analyst's triage of the findings: accepted, false positive or being fixed, carried onto each finding.

A model may keep the analyst's decisions in ``triage.csv`` (:attr:`pia_analysis.Model.triage`: ``finding_id,
decision, reason, decided_by, decided_on, review_on, source``, keyed by the stable finding id ``rule@element``).
:func:`apply_triage` adds to a findings table what was decided and what that means on a given day
(``decision_state``); the finding's ``status`` stays the analysis' verdict (open, mitigated, not applicable), so
that accepting a risk never reads as mitigating it (version comparisons keep reading ``status``).

``decision_state`` is one of :data:`DECISION_STATES`:

* ``undecided`` — no decision;
* ``accepted``, ``false_positive``, ``fixing`` — the decision, while it holds;
* ``reopened`` — a decision whose ``review_on`` lies before the day judged on (``as_of > review_on``): the
  finding is shown as open again until the analyst decides anew. A ``fixing`` decision's ``review_on`` is its
  due date, so a fix not done by then reopens the finding.

:func:`shown_open` is what every output counts as "needs action": status ``open`` and state ``undecided`` or
``reopened``. docs/triage.md documents the rules and a worked example.
"""

from __future__ import annotations

__all__ = ["DECIDED_STATES", "DECISION_STATES", "TRIAGE_COLUMNS", "apply_triage", "decided", "decisions",
           "shown_open", "triage_counts", "triage_warnings"]

import datetime as dt
from typing import Any

import pandas as pd

from ...model.errors import Problem
from ...model.model import Model
from ...model.schema import TABLE_BY_NAME, TableRef

#: The columns :func:`apply_triage` adds to a findings table, in this order.
TRIAGE_COLUMNS = ["decision", "decision_reason", "decided_by", "decided_on", "review_on", "decision_state"]
#: Every value of ``decision_state``.
DECISION_STATES = ("undecided", "accepted", "false_positive", "fixing", "reopened")
#: The states of a decision that still holds: such a finding is not shown as open.
DECIDED_STATES = ("accepted", "false_positive", "fixing")
_DECISIONS = ("accepted", "false_positive", "fixing")
# The decision words the format accepts beside the codes (model/schema.py maps them on load; repeated here so
# that a table built in memory with the Japanese words reads the same).
_DECISION_WORDS = {"受容": "accepted", "誤検知": "false_positive", "対応中": "fixing"}
_TABLE_COLUMNS = ["finding_id", "decision", "reason", "decided_by", "decided_on", "review_on", "source"]


def _day(value: Any) -> dt.date | None:
    """A date cell as a date: a date, a timestamp or ISO text; None when empty."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None  # the loader reports a malformed date; here it only cannot count


def _text(value: Any) -> str:
    """A text cell, "" when empty."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def decisions(model: Model) -> pd.DataFrame:
    """The model's triage table (``triage.csv``), empty with its columns when the model has none.

    Parameters
    ----------
    model
        A loaded model (or one built in memory).

    Returns
    -------
    DataFrame
        ``finding_id, decision, reason, decided_by, decided_on, review_on, source`` in file order;
        ``decision`` in codes (accepted, false_positive, fixing), dates as :class:`datetime.date` or None.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model
    >>> from pia_analysis.analysis.findings.triage import decisions
    >>> len(decisions(load_model(bundled_model_path())))
    0
    """
    table = getattr(model, "triage", None)
    if table is None or not len(table):
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in _TABLE_COLUMNS})
    out = pd.DataFrame({c: (table[c] if c in table else [""] * len(table)) for c in _TABLE_COLUMNS}).reset_index(
        drop=True)
    out["finding_id"] = [_text(v) for v in out["finding_id"]]
    out["decision"] = [_DECISION_WORDS.get(_text(v), _text(v)) for v in out["decision"]]
    for col in ("reason", "decided_by", "source"):
        out[col] = [_text(v) for v in out[col]]
    for col in ("decided_on", "review_on"):
        out[col] = pd.Series([_day(v) for v in out[col]], dtype=object)
    return out


def _state(decision: str, review_on: dt.date | None, as_of: dt.date) -> str:
    if decision not in _DECISIONS:
        return "undecided"
    if review_on is not None and as_of > review_on:
        return "reopened"  # past its review (or, for fixing, its due) date: the finding needs a look again
    return decision


def apply_triage(findings: pd.DataFrame, model: Model, as_of: dt.date | None = None) -> pd.DataFrame:
    """``findings`` with the analyst's decisions and what they mean on ``as_of``.

    Parameters
    ----------
    findings
        A table of :func:`~pia_analysis.analysis.findings.find_findings` (``finding_id`` and ``status`` at least).
    model
        The model whose triage table (:func:`decisions`) is applied.
    as_of
        The day the review dates are judged on (default: today's date). Pass it for a reproducible result.

    Returns
    -------
    DataFrame
        A copy of ``findings`` with :data:`TRIAGE_COLUMNS` added (replaced if there): ``decision`` (code or ""),
        ``decision_reason``, ``decided_by``, ``decided_on`` and ``review_on`` (ISO dates or "") as text, and
        ``decision_state`` (one of :data:`DECISION_STATES`). ``status`` is unchanged. ``attrs["triage_as_of"]``
        holds ``as_of``.

    Examples
    --------
    >>> import datetime as dt
    >>> from pia_analysis import bundled_model_path, find_findings, load_model
    >>> from pia_analysis.analysis.findings.triage import apply_triage
    >>> model = load_model(bundled_model_path())
    >>> out = apply_triage(find_findings(model), model, as_of=dt.date(2026, 11, 30))
    >>> sorted(set(out["decision_state"]))
    ['undecided']
    """
    as_of = as_of or dt.date.today()
    table = decisions(model)
    by_id = {r["finding_id"]: r for r in table.to_dict("records")}
    out = findings.drop(columns=[c for c in TRIAGE_COLUMNS if c in findings.columns]).copy()
    rows = [by_id.get(f, {}) for f in out["finding_id"]]

    def iso(day: dt.date | None) -> str:
        return day.isoformat() if day is not None else ""

    out["decision"] = [r.get("decision", "") for r in rows]
    out["decision_reason"] = [r.get("reason", "") for r in rows]
    out["decided_by"] = [r.get("decided_by", "") for r in rows]
    out["decided_on"] = [iso(r.get("decided_on")) for r in rows]
    out["review_on"] = [iso(r.get("review_on")) for r in rows]
    out["decision_state"] = [_state(r.get("decision", ""), r.get("review_on"), as_of) for r in rows]
    out.attrs["triage_as_of"] = as_of
    return out


def shown_open(findings: pd.DataFrame) -> pd.Series:
    """Which findings need action: status ``open`` and no decision that still holds.

    Every "open" count and list of the outputs uses it; a table without ``decision_state`` (not triaged)
    counts its open findings.

    Parameters
    ----------
    findings
        A findings table, triaged by :func:`apply_triage` or not.

    Returns
    -------
    Series of bool
        Aligned with ``findings``.

    Examples
    --------
    >>> import pandas as pd
    >>> from pia_analysis.analysis.findings.triage import shown_open
    >>> f = pd.DataFrame({"status": ["open", "open", "open", "mitigated"],
    ...                   "decision_state": ["undecided", "accepted", "reopened", "undecided"]})
    >>> shown_open(f).tolist()
    [True, False, True, False]
    """
    is_open = findings["status"] == "open"
    if "decision_state" not in findings:
        return is_open
    return is_open & ~findings["decision_state"].isin(DECIDED_STATES)


def decided(findings: pd.DataFrame) -> pd.Series:
    """Which findings carry a decision that still holds (accepted, false positive, fixing): hidden by default.

    Parameters
    ----------
    findings
        A findings table, triaged by :func:`apply_triage` or not.

    Returns
    -------
    Series of bool
        Aligned with ``findings``; all False for a table without ``decision_state``.

    Examples
    --------
    >>> import pandas as pd
    >>> from pia_analysis.analysis.findings.triage import decided
    >>> decided(pd.DataFrame({"status": ["open", "open"], "decision_state": ["fixing", "reopened"]})).tolist()
    [True, False]
    """
    if "decision_state" not in findings:
        return pd.Series(False, index=findings.index)
    return findings["decision_state"].isin(DECIDED_STATES)


def triage_counts(findings: pd.DataFrame) -> dict[str, int]:
    """How the analysis' open findings stand: still open, accepted, false positive, being fixed, reopened.

    Parameters
    ----------
    findings
        A triaged findings table (:func:`apply_triage`).

    Returns
    -------
    dict of str to int
        ``open`` (:func:`shown_open`, the reopened included), ``accepted``, ``false_positive``, ``fixing``,
        ``reopened``, each among the findings whose status is ``open``.

    Examples
    --------
    >>> import pandas as pd
    >>> from pia_analysis.analysis.findings.triage import triage_counts
    >>> f = pd.DataFrame({"status": ["open", "open", "open"],
    ...                   "decision_state": ["undecided", "accepted", "reopened"]})
    >>> triage_counts(f)
    {'open': 2, 'accepted': 1, 'false_positive': 0, 'fixing': 0, 'reopened': 1}
    """
    is_open = findings["status"] == "open"
    states = findings.loc[is_open, "decision_state"] if "decision_state" in findings else pd.Series([], dtype=object)
    return {"open": int(shown_open(findings).sum()),
            **{s: int((states == s).sum()) for s in ("accepted", "false_positive", "fixing", "reopened")}}


_STATUS_WORDS = {"mitigated": "is now mitigated", "not_applicable": "no longer applies (not applicable)"}


def triage_warnings(findings: pd.DataFrame, model: Model) -> list[Problem]:
    """Located warnings for decisions about findings the analysis no longer raises as open.

    A decision about a finding now ``mitigated`` or ``not_applicable`` has nothing left to decide: it is kept
    (``--decided`` shows it) and the warning suggests deleting it. A decision whose finding is absent from
    ``findings`` is not warned about here: the loader warns about ids no rule or element answers.

    Parameters
    ----------
    findings
        :func:`~pia_analysis.analysis.findings.find_findings` of ``model`` with ``include_all=True`` (the
        not-applicable findings are needed to tell them apart).
    model
        The model whose triage table is checked.

    Returns
    -------
    list of Problem
        One per such decision, in file order: ``triage.csv:LINE: finding_id: …``.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, find_findings, load_model
    >>> from pia_analysis.analysis.findings.triage import triage_warnings
    >>> model = load_model(bundled_model_path())
    >>> triage_warnings(find_findings(model, include_all=True), model)
    []
    """
    status = dict(zip(findings["finding_id"], findings["status"]))
    out = []
    for i, row in enumerate(decisions(model).to_dict("records")):
        now = status.get(row["finding_id"])
        if now in _STATUS_WORDS:
            out.append(Problem(TableRef("triage") if "triage" in TABLE_BY_NAME else "triage.csv", i + 2, "finding_id",
                               f"a decision ({row['decision']}) about {row['finding_id']}, which "
                               f"{_STATUS_WORDS[now]}: nothing is left to decide",
                               "delete the row, or keep it as a record (findings --decided shows it)"))
    return out
