"""Official judgments: which assessment is required, when to review it, and the Section Ⅲ risk table.

* :func:`threshold_judgment` — the しきい値判断 from the number of people in the file, the number of
  handlers and a serious incident concerning specific personal information (特定個人情報) within the past
  year, by the table in ``catalog/thresholds.csv`` (replaceable data: part of
  the table is marked [recalled] in the facts note, see ``docs/judgments.md``).
* :func:`review_schedule` — the yearly review and the 5-year re-run of a model's assessment, and the
  dates of its earlier versions (the ``previous`` chain), flagged when overdue against a given date.
* :func:`section3_table` / :func:`write_section3` — the risks of Section Ⅲ in the official order, each
  with the self-rating, the controls, the coverage and the open findings (written to Excel or Markdown
  by :mod:`pia_analysis.outputs.section3`).
"""

from __future__ import annotations

__all__ = ["ASSESSMENT_CODES", "ReviewSchedule", "SECTION3_COLUMNS",
           "PROCEDURE_RULE_IDS", "ThresholdJudgment", "add_years",
           "procedure_rules", "required_assessment", "review_schedule",
           "section3_table", "threshold_judgment", "threshold_table"]

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import catalog
from ..catalog import CatalogError
from ..model.model import Model, require_model
from ..util.errors import InvalidArgumentError

#: Assessment codes, least to most demanding.
ASSESSMENT_CODES = ("none", "basic", "focused", "full")
_TRIGGERS = ("", "handlers_or_incident")
#: The rules of catalog/procedure_rules.csv the code reads, and the columns each row has.
PROCEDURE_RULE_IDS = ("public_comment_forms", "public_comment_min_days", "public_comment_counting",
                      "third_party_check_forms", "procedure_order", "rerun_years", "review_years",
                      "threshold_rerun")
# ``source`` is the analyst's provenance (reference files, minutes); ``basis_ja``/``basis_en`` the provision a
# council reader can look up (指針 第5の3, 規則 第15条), the only one the council pages show
_PROCEDURE_RULE_COLUMNS = ["rule_id", "value", "unit", "duty", "rule_ja", "rule_en", "confidence", "form_version",
                           "source", "basis_ja", "basis_en"]
_COUNTINGS = ("both_ends", "without_first_day")


def procedure_rules() -> pd.DataFrame:
    """The rules of the assessment procedure (``catalog/procedure_rules.csv``), indexed by ``rule_id``.

    The parameters (30 days of public comment, counted with both ends; the forms that need public comment
    and a third-party check; the 5-year re-run and the yearly review, both duties to endeavour) are data,
    each with its ``duty`` (``mandatory`` / ``endeavour``), ``confidence`` (confirmed / recalled), the
    ``form_version`` it reflects, its ``source`` (the analyst's provenance) and ``basis_ja``/``basis_en`` (the
    provision of the 指針 or 規則 a council reader can look up); ``docs/procedure.md`` explains each.

    Returns
    -------
    DataFrame
        One row per rule, indexed by ``rule_id``; every column text (``value`` as written).

    Raises
    ------
    pia_analysis.catalog.CatalogError
        When the file lacks a rule or a column, or a value cannot be read (an editing mistake).

    Examples
    --------
    >>> from pia_analysis.analysis.judgments import procedure_rules
    >>> rules = procedure_rules()
    >>> rules.loc["public_comment_min_days", "value"], rules.loc["rerun_years", "duty"]
    ('30', 'endeavour')
    """
    table = catalog.read_table("procedure_rules.csv")
    name = "catalog/procedure_rules.csv"
    if list(table.columns) != _PROCEDURE_RULE_COLUMNS:
        raise CatalogError(f"{name}: the columns must be {', '.join(_PROCEDURE_RULE_COLUMNS)}")
    table = table.set_index("rule_id")
    missing = [r for r in PROCEDURE_RULE_IDS if r not in table.index]
    if missing or table.index.duplicated().any():
        raise CatalogError(f"{name}: each of the rules {', '.join(PROCEDURE_RULE_IDS)} must appear once "
                           f"(missing: {', '.join(missing) or 'none'})")
    problems = [f"{r}: {table.loc[r, 'value']!r} is not a whole number > 0"
                for r in ("public_comment_min_days", "rerun_years", "review_years")
                if not table.loc[r, "value"].isdigit() or int(table.loc[r, "value"]) <= 0]
    problems += [f"{r}: {code!r} is not an assessment code" for r in ("public_comment_forms", "third_party_check_forms")
                 for code in table.loc[r, "value"].split(";") if code.strip() not in ASSESSMENT_CODES]
    if table.loc["public_comment_counting", "value"] not in _COUNTINGS:
        problems.append(f"public_comment_counting: write one of {', '.join(_COUNTINGS)}")
    problems += [f"{r}: duty {d!r} is not mandatory or endeavour" for r, d in table["duty"].items()
                 if d not in ("mandatory", "endeavour")]
    problems += [f"{r}: confidence {c!r} is not confirmed or recalled" for r, c in table["confidence"].items()
                 if c not in ("confirmed", "recalled")]
    if problems:
        raise CatalogError(f"{name}: " + "; ".join(problems))
    return table


# ---------------------------------------------------------------------------------------------------
# threshold judgment (しきい値判断)


@dataclass(frozen=True)
class ThresholdJudgment:
    """The required assessment.

    ``code`` is ``none``, ``basic``, ``focused`` or ``full``; ``label_ja`` the official wording
    (なし, 基礎項目評価, 重点項目評価＋基礎項目評価, 全項目評価＋基礎項目評価). ``rule`` is the matched row of
    ``catalog/thresholds.csv`` as text, ``confidence`` its mark (confirmed / recalled), and
    ``handlers_assumed`` True when ``handlers`` was not given and taken as below the handler threshold.
    """

    code: str
    label_ja: str
    label_en: str
    target_population: int
    handlers: int | None
    serious_incident: bool
    rule: str
    confidence: str
    source: str
    handlers_assumed: bool

    def as_dict(self) -> dict[str, object]:
        """The fields as a dict (for display or JSON)."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def __getitem__(self, key: str) -> object:
        """Dict-style access to a field, e.g. ``judgment["code"]``."""
        if key not in self.__dataclass_fields__:
            raise KeyError(key)
        return getattr(self, key)


def threshold_table() -> pd.DataFrame:
    """The threshold table (``catalog/thresholds.csv``), typed; rows are tried in order, first match wins.

    Returns
    -------
    DataFrame
        One row per rule of ``catalog/thresholds.csv`` in the order they are tried, with its typed bounds
        (``NaN`` where a bound is open), the ``code`` and labels of the assessment it requires, and its
        ``confidence`` and ``source``.

    Examples
    --------
    >>> from pia_analysis import threshold_table
    >>> threshold_table()["code"].tolist()
    ['none', 'basic', 'focused', 'basic', 'full', 'focused', 'full']
    """
    table = catalog.read_table("thresholds.csv")
    for col in ("population_min", "population_max", "handlers_min"):
        table[col] = pd.to_numeric(table[col].replace("", None)).astype("Float64")
    bad = sorted(set(table["trigger"]) - set(_TRIGGERS)) + sorted(set(table["code"]) - set(ASSESSMENT_CODES))
    if bad:
        raise CatalogError(f"catalog/thresholds.csv: unknown trigger or code {bad}")
    return table


def threshold_judgment(target_population: int, handlers: int | None = None,
                       serious_incident: bool = False) -> ThresholdJudgment:
    """The assessment required for a file of ``target_population`` people (しきい値判断).

    Parameters
    ----------
    target_population
        対象人数: the number of people whose information the file holds.
    handlers
        取扱者数: the number of people handling it, the contractor's staff included. ``None`` (unknown) is
        taken as below the handler threshold and flagged in ``handlers_assumed``.
    serious_incident
        重大事故, the threshold input 「過去1年以内に、評価実施機関において特定個人情報に関する重大事故が発生したか」:
        a serious incident concerning specific personal information at the body within the past year (not
        the form's Ⅲ7 リスク1 ⑨, personal information within 3 years).

    Returns
    -------
    ThresholdJudgment
        The required assessment, the rule that decided it and whether ``handlers`` was assumed.

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        When ``target_population`` or ``handlers`` is negative.

    Examples
    --------
    >>> from pia_analysis import threshold_judgment
    >>> threshold_judgment(932_000).label_ja
    '全項目評価＋基礎項目評価'
    >>> threshold_judgment(50_000, handlers=500).code, threshold_judgment(50_000, handlers=499).code
    ('focused', 'basic')
    """
    if int(target_population) < 0:
        raise InvalidArgumentError(f"target_population must be >= 0, got {target_population}")
    if handlers is not None and int(handlers) < 0:
        raise InvalidArgumentError(f"handlers must be >= 0, got {handlers}")
    population = int(target_population)
    table = threshold_table().to_dict("records")

    def in_band(row: dict) -> bool:
        low, high = row["population_min"], row["population_max"]
        return not ((pd.notna(low) and population < low) or (pd.notna(high) and population > high))

    # An unknown handler count matters only where a row of the band depends on it.
    assumed = (handlers is None and not serious_incident
               and any(r["trigger"] == "handlers_or_incident" and in_band(r) for r in table))
    for row in table:
        if not in_band(row):
            continue
        if row["trigger"] == "handlers_or_incident":
            limit = row["handlers_min"]
            many = handlers is not None and pd.notna(limit) and int(handlers) >= limit
            if not (many or serious_incident):
                continue
        low, high = row["population_min"], row["population_max"]
        span = f"{int(low):,}–{int(high):,}" if pd.notna(high) else f"≥ {int(low):,}"
        condition = (f" and (handlers ≥ {int(row['handlers_min'])} or a serious incident concerning specific "
                     "personal information within the past year)"
                     if row["trigger"] == "handlers_or_incident"
                     else " (otherwise)" if any(r["trigger"] and in_band(r) for r in table) else "")
        return ThresholdJudgment(
            code=row["code"], label_ja=row["label_ja"], label_en=row["label_en"],
            target_population=population, handlers=None if handlers is None else int(handlers),
            serious_incident=bool(serious_incident), rule=f"population {span}{condition}",
            confidence=row["confidence"], source=row["source"], handlers_assumed=assumed,
        )
    raise CatalogError(f"catalog/thresholds.csv has no row for a population of {population}")


def required_assessment(model: Model) -> ThresholdJudgment:
    """:func:`threshold_judgment` of a model's ``target_population``, ``handlers`` and ``serious_incident``.

    Parameters
    ----------
    model
        A loaded model (its ``meta`` gives the population, handlers and incidents).

    Returns
    -------
    ThresholdJudgment
        The required assessment (see :func:`threshold_judgment`).

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, required_assessment
    >>> required_assessment(load_model(bundled_model_path())).code
    'full'
    """
    require_model(model, "required_assessment")
    meta = model.meta
    return threshold_judgment(int(meta["target_population"]), meta.get("handlers"),
                              bool(meta.get("serious_incident", False)))


# ---------------------------------------------------------------------------------------------------
# review schedule


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` plus whole years; 29 February becomes 28 February in a common year.

    Parameters
    ----------
    day
        A date.
    years
        Whole years to add (may be negative).

    Returns
    -------
    datetime.date
        The same day and month ``years`` later (28 February for 29 February in a common year).

    Examples
    --------
    >>> import datetime as dt
    >>> from pia_analysis import add_years
    >>> add_years(dt.date(2020, 2, 29), 1)
    datetime.date(2021, 2, 28)
    """
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class ReviewSchedule:
    """The review dates of a model's assessment as seen on ``today``.

    The dates count from the **publication** of the 評価書 (``procedure.published_on`` of model.yaml), as the
    rules do (``catalog/procedure_rules.csv``); only when no publication date is recorded they count from
    ``assessed_on``, and ``counted_from_key`` and ``note`` say so. ``counted_from`` is that date.
    ``yearly_review_due`` = the latest of ``counted_from`` and the recorded reviews (``procedure.reviews``)
    + 1 year. ``next_yearly_review`` rolls that date forward by whole years to the first one on or after
    ``today``. ``rerun_due`` = the publication of the latest assessment (a revision's
    ``procedure.assessment_published_on``: revisions do not restart it) + 5 years. ``history`` lists
    (model id, assessed_on) of the ``previous`` chain (:attr:`Model.earlier_versions
    <pia_analysis.model.model.Model>`, as the loader read it) and this model, oldest first;
    ``longest_interval_years`` is the longest gap between two consecutive versions (None with no earlier
    version).
    """

    model_id: str
    assessed_on: dt.date
    today: dt.date
    yearly_review_due: dt.date
    yearly_review_overdue: bool
    next_yearly_review: dt.date
    rerun_due: dt.date
    rerun_overdue: bool
    days_to_rerun: int
    history: tuple[tuple[str, dt.date], ...]
    longest_interval_years: float | None
    counted_from: dt.date | None = None
    counted_from_key: str = "assessed_on"
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        """The fields as a dict (for display or JSON)."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def __getitem__(self, key: str) -> object:
        """Dict-style access to a field, e.g. ``schedule["rerun_due"]``."""
        if key not in self.__dataclass_fields__:
            raise KeyError(key)
        return getattr(self, key)

    def as_frame(self) -> pd.DataFrame:
        """The schedule as a small table ``item, item_ja, date, status``.

        The earlier versions (oldest first), the assessment of record, its publication (when recorded:
        ``planned`` while after ``today``), then the reviews due.
        """
        rows = [(f"earlier version {mid}", f"過去の評価 {mid}", day, "done") for mid, day in self.history[:-1]]
        rows += [("assessment of record", "評価実施日", self.assessed_on, "done")]
        if self.counted_from_key == "published_on":
            # judged before the publication (a briefing on the committee's day): the publication is still planned
            rows.append(("publication", "公表日", self.counted_from,
                         "done" if self.counted_from <= self.today else "planned"))
        rows += [
            ("yearly review", "年1回の見直し", self.yearly_review_due,
             "overdue" if self.yearly_review_overdue else "due"),
            ("next yearly review", "次回の年次見直し", self.next_yearly_review, "planned"),
            ("5-year re-run", "5年以内の再実施", self.rerun_due, "overdue" if self.rerun_overdue else "due"),
        ]
        return pd.DataFrame(rows, columns=["item", "item_ja", "date", "status"])


def review_schedule(model: Model, today: dt.date | None = None) -> ReviewSchedule:
    """The yearly review and the 5-year re-run of ``model``'s assessment, against ``today``.

    Parameters
    ----------
    model
        A loaded model: ``meta['procedure']['published_on']`` is the publication of its 評価書 (absent:
        ``meta['assessed_on']``, said in the schedule's ``note``).
    today
        The date to judge against. Pass it explicitly in notebooks and tests; ``None`` uses the wall
        clock (:meth:`datetime.date.today`), for interactive use only.

    Returns
    -------
    ReviewSchedule
        The review and re-run dates, whether each is overdue on ``today``, and the version history.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> import datetime as dt
    >>> from pia_analysis import bundled_model_path, load_model, review_schedule
    >>> s = review_schedule(load_model(bundled_model_path()), today=dt.date(2026, 11, 28))
    >>> s.counted_from_key, s.rerun_due, s.rerun_overdue, s.next_yearly_review
    ('published_on', datetime.date(2026, 12, 20), False, datetime.date(2026, 12, 20))
    """
    require_model(model, "review_schedule")
    today = dt.date.today() if today is None else today
    rules = procedure_rules()
    review_years, rerun_years = int(rules.loc["review_years", "value"]), int(rules.loc["rerun_years", "value"])
    assessed = model.meta["assessed_on"]
    procedure = model.meta.get("procedure") or {}
    published = procedure.get("published_on")
    base, key, note = (published, "published_on", "") if published is not None else (
        assessed, "assessed_on", "no publication date recorded (procedure.published_on): counted from assessed_on")
    latest = max([base, *procedure.get("reviews", [])])
    yearly = add_years(latest, review_years)
    k = review_years
    following = yearly
    while following < today:  # roll forward to the first anniversary on or after today
        k += 1
        following = add_years(latest, k)
    # a revision (評価書の修正) does not restart the 5 years: they run from the assessment it revises
    rerun_base = (procedure.get("assessment_published_on", base) if procedure.get("version_kind") == "revision"
                  else base)
    rerun = add_years(rerun_base, rerun_years)
    history = tuple(reversed(model.earlier_versions)) + ((model.id, assessed),)
    days = [b[1] - a[1] for a, b in zip(history, history[1:])]
    longest = round(max(days).days / 365.25, 2) if days else None
    return ReviewSchedule(
        model_id=model.id, assessed_on=assessed, today=today,
        yearly_review_due=yearly, yearly_review_overdue=today > yearly, next_yearly_review=following,
        rerun_due=rerun, rerun_overdue=today > rerun, days_to_rerun=(rerun - today).days,
        history=history, longest_interval_years=longest, counted_from=base, counted_from_key=key, note=note,
    )


# ---------------------------------------------------------------------------------------------------
# Section Ⅲ table

SECTION3_COLUMNS = ["section", "stage_no", "stage", "stage_ja", "row_kind", "risk_no", "risk_id", "form_item_ja",
                    "name_ja", "name_en", "origin", "rating", "implemented_controls", "planned_controls", "pairs",
                    "covered", "planned", "gaps", "coverage", "rating_status", "open_findings", "assumed_findings",
                    "decided_findings", "text"]

#: How Section III names the analyst's decisions beside a finding id (docs/triage.md).
DECISION_WORDS_JA = {"accepted": "受容", "false_positive": "誤検知", "fixing": "対応中"}

#: The text of a free-text row the model leaves empty, and of a declared-out item (with the declaration).
NOT_WRITTEN_JA = "未記入"
NOT_APPLICABLE_JA = "対象外（宣言: {}）"


def section3_table(model: Model, check: pd.DataFrame | None = None, findings: pd.DataFrame | None = None,
                   as_of: dt.date | None = None) -> pd.DataFrame:
    """Sections Ⅲ and Ⅳ as the form has them: each rated item with what the model says, and the free-text rows.

    Section Ⅲ stage by stage (2 to 7): each rated item (リスク1 …; the 委託 block as one row, rating its five
    risks), then the stage's 「その他のリスク及びそのリスクに対する措置」 row; then Section Ⅳ: 1 監査 ①自己点検
    ②監査, 2 従業者に対する教育・啓発 and the free-text 3 その他のリスク対策. The free text is the model's
    ``other_risk_measures`` (``未記入`` when it has none); a rated item a stage declaration puts out of scope
    says so in ``text`` (``対象外（宣言: 委託しない）``).

    Parameters
    ----------
    model
        A loaded model.
    check
        :func:`pia_analysis.analysis.coverage.rating_check` of ``model``, when already computed.
    findings
        :func:`pia_analysis.analysis.findings.find_findings` of ``model`` (defaults), when already computed.
    as_of
        The day the analyst's decisions are judged on when ``findings`` is computed here (default: today's
        date; see :func:`~pia_analysis.analysis.findings.triage.apply_triage`).

    Returns
    -------
    DataFrame
        One row per row of the form, in its order (a fresh ``RangeIndex``); columns (dtype)

        ``section`` (str: ``Ⅲ`` or ``Ⅳ``), ``stage_no`` (int64; 0 in Ⅳ), ``stage``, ``stage_ja`` (str)
            where the form has it: the stage's number, code and name (Ⅳ: ``""`` and ``その他のリスク対策``);
        ``row_kind`` (str)
            ``rated`` (a rated item) or ``other_measures`` (the free-text row that ends a stage, or Ⅳ 3);
        ``risk_no`` (int64), ``risk_id``, ``form_item_ja``, ``name_ja``, ``name_en`` (str), ``origin`` (str)
            the item: its number, id (a rated item id; ``<stage>-other`` and ``other`` for the free-text
            rows), the form's place and wording; ``origin`` is ``catalog`` or ``model`` (an extra risk);
        ``rating`` (str)
            the self-rating in official Japanese; NaN when unrated and on free-text rows;
        ``implemented_controls``, ``planned_controls`` (object: list of str)
            every control of that status mapped to a risk the item rates (wherever it applies — the form
            describes the measures, the coverage columns say where they reach);
        ``pairs``, ``covered``, ``planned``, ``gaps`` (int64, counts of pairs; 0 on free-text rows)
            as in :func:`~pia_analysis.analysis.coverage.rating_check`;
        ``coverage`` (float64, ratio in [0, 1])
            covered / pairs; NaN when out of scope and on free-text rows;
        ``rating_status`` (str)
            the ``status`` of :func:`~pia_analysis.analysis.coverage.rating_check`; ``free_text`` on free-text rows;
        ``open_findings`` (object: list of str)
            the ids of the open findings bearing on a risk the item rates that need action
            (:func:`~pia_analysis.analysis.findings.triage.shown_open`: no decision, or one past its review date);
        ``assumed_findings`` (object: list of str)
            those of them that rest on an assumption (the findings' ``assumed`` column: a row they are
            built on has a source starting with ``assumption:``);
        ``decided_findings`` (object: list of str)
            the open findings bearing on it that the analyst decided (``triage.csv``), each as
            ``id（受容）``, ``id（誤検知）`` or ``id（対応中 〜2027-03-31）`` (the due date);
        ``text`` (str)
            the free text of an ``other_measures`` row (``未記入`` when none); ``対象外（宣言: …）`` for a rated
            item declared out; ``""`` otherwise.

    ``check`` (:func:`pia_analysis.analysis.coverage.rating_check`) and ``findings``
    (:func:`pia_analysis.analysis.findings.find_findings` with its defaults) are computed when None; pass them when
    you have them (the briefing does), to avoid computing them twice.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, section3_table
    >>> t = section3_table(load_model(bundled_model_path()))
    >>> t["risk_id"].tolist()[:2], t["rating"].tolist()[:2], len(t)
    (['acquire-1', 'acquire-2'], ['十分である', '十分である'], 32)
    >>> t.loc[t["risk_id"] == "outsource", "pairs"].item()
    35
    """
    require_model(model, "section3_table")
    from .coverage import rating_check
    from .findings import find_findings
    from .findings.triage import decided, shown_open

    check = rating_check(model) if check is None else check
    findings = find_findings(model, as_of=as_of) if findings is None else findings
    open_findings = findings.loc[shown_open(findings)]
    # the open findings the analyst decided: named with the decision, not counted as needing action
    held = findings.loc[(findings["status"] == "open") & decided(findings)]
    decided_by_risk: dict[str, list[str]] = {}
    for finding_id, risk_ids, decision, review_on in zip(held["finding_id"].tolist(), held["risk_ids"].tolist(),
                                                         held["decision"].tolist(), held["review_on"].tolist()):
        word = DECISION_WORDS_JA[decision] + (f" 〜{review_on}" if decision == "fixing" and review_on else "")
        for r in dict.fromkeys(risk_ids):
            decided_by_risk.setdefault(r, []).append(f"{finding_id}（{word}）")
    stages = catalog.stages().set_index("stage")
    origin = dict(zip(model.rated_items["rated_item_id"], model.rated_items["origin"]))

    by_risk: dict[tuple[str, str], list[str]] = {}
    # by the status on each element (control_status.csv): a control implemented on one system and planned on
    # a flow is listed under both, as it is both in place and still to come
    apps = model.control_applications
    for control_id, status, mitigates in dict.fromkeys(
            (c, s, tuple(m)) for c, s, m in zip(apps["control_id"].tolist(), apps["status"].tolist(),
                                                apps["mitigates"].tolist())):
        for risk_id in dict.fromkeys(mitigates):
            by_risk.setdefault((risk_id, status), []).append(control_id)
    open_by_risk: dict[str, list[str]] = {}
    for finding_id, risk_ids in zip(open_findings["finding_id"].tolist(), open_findings["risk_ids"].tolist()):
        for r in dict.fromkeys(risk_ids):
            open_by_risk.setdefault(r, []).append(finding_id)

    def mapped(risks: list[str], status: str) -> list[str]:
        return sorted({c for r in risks for c in by_risk.get((r, status), [])})

    assumed = set(open_findings.loc[open_findings["assumed"], "finding_id"]) if "assumed" in open_findings else set()
    texts = model.meta.get("other_risk_measures") or {}
    rows: list[dict] = []

    def other_row(section: str, stage: str) -> dict:
        if stage:
            name_ja = f"{stages.at[stage, 'short_ja']}におけるその他のリスク及びそのリスクに対する措置"
            name_en = f"Other risks of {stages.at[stage, 'name_en'].split(' (')[0].lower()} and their measures"
            form_item = f"Ⅲ{stages.at[stage, 'stage_no']} その他のリスク"
        else:
            name_ja, name_en, form_item = "その他のリスク対策", "Other risk measures", "Ⅳ3 その他のリスク対策"
        return {"section": section, "stage_no": int(stages.at[stage, "stage_no"]) if stage else 0, "stage": stage,
                "stage_ja": stages.at[stage, "short_ja"] if stage else "その他のリスク対策",
                "row_kind": "other_measures", "risk_no": 0, "risk_id": f"{stage}-other" if stage else "other",
                "form_item_ja": form_item, "name_ja": name_ja, "name_en": name_en, "origin": "catalog",
                "rating": np.nan, "implemented_controls": [], "planned_controls": [], "pairs": 0, "covered": 0,
                "planned": 0, "gaps": 0, "coverage": np.nan, "rating_status": "free_text", "open_findings": [],
                "assumed_findings": [], "decided_findings": [],
                "text": texts.get(stage or "other", NOT_WRITTEN_JA)}

    records = check.to_dict("records")
    for i, r in enumerate(records):
        rows.append({
            "section": r["section"], "stage_no": r["stage_no"], "stage": r["stage"],
            "stage_ja": stages.at[r["stage"], "short_ja"] if r["stage"] else "その他のリスク対策",
            "row_kind": "rated", "risk_no": r["risk_no"], "risk_id": r["risk_id"], "form_item_ja": r["form_item_ja"],
            "name_ja": r["name_ja"], "name_en": r["name_en"], "origin": origin.get(r["risk_id"], "catalog"),
            "rating": r["rating"], "implemented_controls": mapped(r["risks"], "implemented"),
            "planned_controls": mapped(r["risks"], "planned"), "pairs": r["pairs"], "covered": r["covered"],
            "planned": r["planned"], "gaps": r["gaps"], "coverage": r["coverage"], "rating_status": r["status"],
            "open_findings": sorted({f for x in r["risks"] for f in open_by_risk.get(x, [])}),
            "assumed_findings": sorted({f for x in r["risks"] for f in open_by_risk.get(x, []) if f in assumed}),
            "decided_findings": sorted({f for x in r["risks"] for f in decided_by_risk.get(x, [])}),
            "text": NOT_APPLICABLE_JA.format(r["declared"]) if r["declared"] else ""})
        following = records[i + 1] if i + 1 < len(records) else None
        if r["section"] == "Ⅲ" and (following is None or following["stage"] != r["stage"]):
            rows.append(other_row("Ⅲ", r["stage"]))
    rows.append(other_row("Ⅳ", ""))
    out = pd.DataFrame(rows, columns=SECTION3_COLUMNS)
    return out.astype({"stage_no": "int64", "risk_no": "int64", "pairs": "int64", "covered": "int64",
                       "planned": "int64", "gaps": "int64", "coverage": "float64"}).reset_index(drop=True)
