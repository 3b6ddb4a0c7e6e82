"""The committee's portfolio: one row per affair of a city, in the order the affairs need attention.

A review committee looks at every assessment of its body at once: which 評価書 is due, which has an open
procedure question, which leaves a stage uncovered, which keeps My Numbers most exposed. :func:`city_portfolio`
gathers, for each affair of a loaded workspace, what the analyses of one model already compute
(:func:`~pia_analysis.analysis.pipeline.analyse`: the threshold judgment, the review schedule, the stage
coverage, the exposure, the findings, the Monte Carlo; :func:`~pia_analysis.analysis.procedure.procedure_check`)
and sorts the affairs by the attention rule of ``catalog/attention_rules.csv`` (``docs/city.md``, "The
committee's portfolio").
"""

from __future__ import annotations

__all__ = ["PORTFOLIO_COLUMNS", "attention_rules", "city_open_findings", "city_portfolio", "day_words"]

import datetime as dt
import math
from typing import Any

import pandas as pd

from ..analysis.exposure import node_exposure
from ..analysis.pipeline import analyse
from ..analysis.procedure import procedure_check
from ..catalog import read_table
from ..catalog import stages as catalog_stages
from ..formats.workspace import Workspace, require_workspace
from ..util.errors import InvalidArgumentError
from ..util.seeds import affair_seed
from ..util.words import percent
from .city import NAMESPACE_SEP, city_model


def _stage_codes() -> list[str]:
    return list(catalog_stages()["stage"])


def _level_words() -> dict[int, tuple[str, str]]:
    """Risk level → (Japanese, English) words of ``catalog/risk_scales.csv`` (4 重大 critical … 1 低 low)."""
    scales = read_table("risk_scales.csv")
    rows = scales.loc[scales["scale"] == "risk_level"]
    return {int(level): (ja, en) for level, ja, en in zip(rows["level"], rows["label_ja"], rows["label_en"])}


def _finding_columns() -> list[str]:
    return [f"findings_{en}" for _level, (_ja, en) in sorted(_level_words().items(), reverse=True)]


#: The columns of :func:`city_portfolio`, in order (the stage and level columns follow the catalogue).
PORTFOLIO_COLUMNS = (
    ["attention", "affair_id", "name", "model_id", "form_code", "form_ja", "form_en", "target_population",
     "last_published", "rerun_due", "rerun_overdue", "review_due", "review_overdue", "next_date", "days_to_next",
     "procedure_flags", "procedure_flags_ja", "procedure_flags_en", "procedure_missing"]
    + [f"coverage_{s}" for s in _stage_codes()]
    + ["weakest_stage", "weakest_coverage", "holder_id", "holder_name_ja", "holder_name_en", "holder_records",
       "holder_exposure", "holder_exposure_city", "holder_compromise", "holder_compromise_low",
       "holder_compromise_high"]
    + _finding_columns()
    + ["findings_open", "attention_reason", "attention_reason_ja", "attention_reason_en"])


def attention_rules() -> pd.DataFrame:
    """The attention rule of the portfolio, as ``catalog/attention_rules.csv`` states it.

    Returns
    -------
    DataFrame
        One row per reason in ``rank`` order (int64, 1 first): ``reason`` (``overdue``, ``high_findings``,
        ``due_soon``, ``low_coverage``, ``none``), ``parameter``, ``value`` (float, NaN where the reason has no
        threshold), ``unit``, ``reason_ja``, ``reason_en``, ``source``, ``confidence``.

    Raises
    ------
    pia_analysis.catalog.CatalogError
        When the packaged table cannot be read.

    Examples
    --------
    >>> from pia_analysis.whatif.portfolio import attention_rules
    >>> rules = attention_rules()
    >>> rules["reason"].tolist()
    ['overdue', 'high_findings', 'due_soon', 'low_coverage', 'none']
    >>> due = rules.set_index("reason").loc["due_soon"]
    >>> float(due["value"]), str(due["unit"])
    (90.0, 'days')
    """
    rules = read_table("attention_rules.csv")
    rules["rank"] = rules["rank"].astype("int64")
    rules["value"] = pd.to_numeric(rules["value"].replace("", float("nan")))
    return rules.sort_values("rank", kind="stable").reset_index(drop=True)


def city_open_findings(ws: Workspace) -> pd.DataFrame:
    """The open findings of every affair, each marked whether it concerns a shared element.

    A finding on an element of the shared part (a shared system, flow, zone or control: ``Model.shared_ids``)
    shows in every affair that uses the element: the same gap, found once per affair. Counted city-wide, it is
    one finding (``city_key`` joins the copies); counted per affair, it stays in each (as the portfolio's
    ``findings_open``).

    Parameters
    ----------
    ws
        A loaded workspace.

    Returns
    -------
    DataFrame
        One row per open finding per affair, the affairs in city.yaml's order and each affair's findings in the
        order of :func:`~pia_analysis.analysis.findings.find_findings` (highest risk level first): ``affair_id``,
        ``finding_id``, ``rule_id``, ``element``, ``element_type``, ``shared`` (bool), ``city_key`` (the
        ``finding_id`` for a shared element, ``affair:finding_id`` otherwise), ``risk_level`` (int64 1–4),
        ``title_ja``, ``title_en``, ``assumed`` (bool: it rests on an ``assumption:`` row).

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``ws`` is not a loaded Workspace.

    Examples
    --------
    >>> from pia_analysis import load_workspace
    >>> from pia_analysis.whatif.portfolio import city_open_findings
    >>> found = city_open_findings(load_workspace("tests/workspaces/good"))
    >>> len(found) >= found["city_key"].nunique()
    True
    """
    from ..analysis.findings import find_findings

    require_workspace(ws, "city_portfolio")
    columns = ["affair_id", "finding_id", "rule_id", "element", "element_type", "shared", "city_key",
               "risk_level", "title_ja", "title_en", "assumed"]
    frames = []
    for affair_id, model in ws.models.items():
        found = find_findings(model)
        found = found.loc[found["status"] == "open"].copy()
        shared = found["element"].isin(model.shared_ids)
        found["affair_id"] = affair_id
        found["shared"] = shared.astype(bool)
        found["city_key"] = [fid if sh else f"{affair_id}{NAMESPACE_SEP}{fid}"
                             for fid, sh in zip(found["finding_id"], shared)]
        frames.append(found[columns])
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    return out.astype({"risk_level": "int64", "shared": "bool", "assumed": "bool"})


def day_words(day: dt.date, lang: str = "ja") -> str:
    """A date as a lay reader reads it: 2026年10月1日, 1 October 2026 (never 10/1, which reads two ways).

    Parameters
    ----------
    day
        A date.
    lang
        ``"ja"`` (default) or ``"en"``.

    Returns
    -------
    str
        The date in words of ``lang`` (the English month names do not depend on the locale).

    Examples
    --------
    >>> import datetime as dt
    >>> from pia_analysis.whatif.portfolio import day_words
    >>> day_words(dt.date(2026, 10, 1)), day_words(dt.date(2026, 10, 1), "en")
    ('2026年10月1日', '1 October 2026')
    """
    if lang != "en":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def city_portfolio(ws: Workspace, today: dt.date | None = None, *, trials: int = 0, seed: int = 0) -> pd.DataFrame:
    """One row per affair of the city: what the committee needs to know, sorted by what needs attention first.

    Each affair's model (loaded with its part of the shared part) goes once through
    :func:`~pia_analysis.analysis.pipeline.analyse` (exposure, stage coverage, findings, judgments; the Monte
    Carlo when ``trials`` > 0) and :func:`~pia_analysis.analysis.procedure.procedure_check`; the exposure of
    its holders in the whole city comes from :func:`~pia_analysis.whatif.city.city_model`. The order follows
    ``catalog/attention_rules.csv`` (:func:`attention_rules`): the first reason that holds places an affair —
    1 ``overdue`` (a 5-year re-run or yearly review past due on ``today``, or a procedure check flagged), 2
    ``high_findings`` (an open finding at risk level 3 高 or above), 3 ``due_soon`` (a re-run or review due
    within 90 days), 4 ``low_coverage`` (the weakest stage below 50 %), 5 ``none``; within one reason, more open
    findings at the high levels first (重大 before 高), then the nearest date, then the lowest coverage, then
    city.yaml's order.

    Parameters
    ----------
    ws
        A loaded workspace (:func:`~pia_analysis.formats.workspace.load_workspace`).
    today
        The committee's day, which the dates are judged against (default: the wall clock,
        :meth:`datetime.date.today`, as :func:`~pia_analysis.analysis.procedure.procedure_check`: a re-run
        that lapsed since the last assessment shows; pass the day for a table that does not change).
    trials
        Monte Carlo trials per affair (0: none; the three ``holder_compromise`` columns are then NaN).
    seed
        The run's seed: each affair's draws use :func:`~pia_analysis.util.seeds.affair_seed` (``seed``, the
        organisation, the affair id), so a run over many workers gives the same numbers.

    Returns
    -------
    DataFrame
        One row per affair, columns :data:`PORTFOLIO_COLUMNS` (a fresh ``RangeIndex``, attention order):

        ``attention`` (int64, 1 = first), ``affair_id``, ``name`` (city.yaml's), ``model_id``
            the affair and its place in the order;
        ``form_code``, ``form_ja``, ``form_en`` (str), ``target_population`` (int64, people)
            the assessment the threshold judgment requires
            (:func:`~pia_analysis.analysis.judgments.required_assessment`) and the population it rests on;
        ``last_published`` (date or None)
            ``procedure.published_on`` of the affair's model.yaml (None: not recorded);
        ``rerun_due``, ``review_due`` (date), ``rerun_overdue``, ``review_overdue`` (bool)
            the 5-year re-run (再実施) and the yearly review (見直し) of
            :func:`~pia_analysis.analysis.judgments.review_schedule`: the date each is (or was) due on ``today``;
        ``next_date`` (date), ``days_to_next`` (int64, days; negative: overdue by so many days)
            the nearer of the two, from ``today``;
        ``procedure_flags`` (int64), ``procedure_flags_ja``, ``procedure_flags_en`` (list of str),
        ``procedure_missing`` (int64)
            the procedure checks flagged (their form items, in words) and those the record cannot answer;
        ``coverage_<stage>`` (float64, share in [0, 1]; NaN for a stage with nothing in scope)
            one column per stage of ``catalog/stages.csv`` (``coverage_acquire`` …): pairs covered by an
            implemented control / pairs (:func:`~pia_analysis.analysis.coverage.stage_coverage`);
        ``weakest_stage`` (str, "" when no stage is in scope), ``weakest_coverage`` (float64)
            the stage in scope with the lowest coverage (the first in the form's order on a tie);
        ``holder_id``, ``holder_name_ja``, ``holder_name_en``, ``holder_records`` (int64, people)
            the affair's most exposed My Number holder (highest ``exposure`` in the affair's model; on a tie
            the larger file, then the id) and its largest My Number file; "" and 0 when none;
        ``holder_exposure``, ``holder_exposure_city`` (float64, probability per year)
            its exposure (:func:`~pia_analysis.analysis.exposure.node_exposure`) in the affair's model, as its
            評価書 sees it, and in the whole city (from every affair's entry points);
        ``holder_compromise``, ``holder_compromise_low``, ``holder_compromise_high`` (float64)
            the Monte Carlo probability of its compromise per year and the 95 % interval
            (:func:`~pia_analysis.analysis.simulation.simulate_compromise`), NaN when ``trials`` is 0;
        ``findings_critical``, ``findings_high``, ``findings_moderate``, ``findings_low`` (int64)
            open findings at each risk level (``catalog/risk_scales.csv``); ``findings_open`` their sum;
        ``attention_reason`` (str), ``attention_reason_ja``, ``attention_reason_en`` (str)
            the reason of :func:`attention_rules` that places the affair, and the sentence that says why.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``ws`` is not a loaded Workspace.
    pia_analysis.util.errors.InvalidArgumentError
        When ``trials`` or ``seed`` is not a non-negative integer.

    Examples
    --------
    >>> import datetime as dt
    >>> from pia_analysis import bundled_workspace_path, city_portfolio, load_workspace
    >>> table = city_portfolio(load_workspace(bundled_workspace_path()), today=dt.date(2026, 4, 1))
    >>> table[["attention", "affair_id", "attention_reason", "findings_critical"]].values.tolist()
    [[1, 'juki', 'high_findings', 4], [2, 'kokuho', 'high_findings', 2], [3, 'juminzei', 'high_findings', 1]]
    >>> row = table.iloc[0]
    >>> str(row["holder_id"]), int(row["holder_records"]), str(row["weakest_stage"])
    ('JUKI_REC', 302000, 'network')
    """
    require_workspace(ws, "city_portfolio")
    for what, value in (("trials", trials), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidArgumentError(f"{what} must be a non-negative integer, not {value!r}")
    today = dt.date.today() if today is None else today
    stage_table = catalog_stages()
    stages = list(stage_table["stage"])
    short = {s: (ja, en) for s, ja, en in zip(stage_table["stage"], stage_table["short_ja"], stage_table["short_en"])}
    levels = _level_words()
    rules = attention_rules().set_index("reason")
    high_level = int(rules.at["high_findings", "value"])
    soon_days = int(rules.at["due_soon", "value"])
    low_share = float(rules.at["low_coverage", "value"])
    rank = {reason: int(r) for reason, r in rules["rank"].items()}
    # the exposure of each holder in the whole city: one attack graph for all the affairs
    city = city_model(ws)
    city_exposure = dict(zip(*(node_exposure(city)[c] for c in ("system_id", "exposure"))))
    names = dict(zip(ws.affairs["affair_id"], ws.affairs["name"]))
    parts = ("exposure", "stage_coverage", "findings", "judgments") + (("simulation",) if trials else ())
    rows, keys = [], []
    for order, (affair_id, model) in enumerate(ws.models.items()):
        a = analyse(model, today=today, trials=max(trials, 1),
                    seed=affair_seed(seed, ws.organisation, affair_id), only=parts)
        checks = procedure_check(model, today=today)
        flagged = checks.loc[checks["status"] == "flag"]
        s = a.schedule
        next_date = min(s.rerun_due, s.yearly_review_due)
        row: dict[str, Any] = {
            "affair_id": affair_id, "name": str(names[affair_id]), "model_id": model.id,
            "form_code": a.threshold.code, "form_ja": a.threshold.label_ja, "form_en": a.threshold.label_en,
            "target_population": int(model.meta["target_population"]),
            "last_published": (model.meta.get("procedure") or {}).get("published_on"),
            "rerun_due": s.rerun_due, "rerun_overdue": bool(s.rerun_overdue),
            "review_due": s.yearly_review_due, "review_overdue": bool(s.yearly_review_overdue),
            "next_date": next_date, "days_to_next": (next_date - today).days,
            "procedure_flags": len(flagged),
            # one form item may carry two checks (the public comment's period and record): named once
            "procedure_flags_ja": list(dict.fromkeys(flagged["item_ja"])),
            "procedure_flags_en": list(dict.fromkeys(flagged["check"].str.replace("_", " "))),
            "procedure_missing": int((checks["status"] == "missing").sum()),
        }
        cov = a.stage_coverage.set_index("stage")
        for stage in stages:
            row[f"coverage_{stage}"] = float(cov.at[stage, "coverage"]) if cov.at[stage, "in_scope"] else math.nan
        in_scope = [(row[f"coverage_{st}"], i, st) for i, st in enumerate(stages) if cov.at[st, "in_scope"]]
        weakest = min(in_scope) if in_scope else (math.nan, 0, "")
        row["weakest_stage"], row["weakest_coverage"] = weakest[2], float(weakest[0])
        # the most exposed holder of My Numbers, as the affair's own analyses see it
        people = model.my_number_people
        exposure = a.exposure.loc[a.exposure["system_id"].map(lambda sid: people.get(sid, 0) > 0)]
        holder = ""
        if len(exposure):
            best = sorted(zip(exposure["exposure"], exposure["system_id"]),
                          key=lambda pair: (-pair[0], -people[pair[1]], pair[1]))[0]
            holder = str(best[1])
        row["holder_id"] = holder
        row["holder_name_ja"] = model.element_name(holder, "ja") if holder else ""
        row["holder_name_en"] = model.element_name(holder, "en") if holder else ""
        row["holder_records"] = int(people.get(holder, 0)) if holder else 0
        exposure_of = dict(zip(a.exposure["system_id"], a.exposure["exposure"]))
        row["holder_exposure"] = float(exposure_of[holder]) if holder else math.nan
        city_id = holder if holder in model.shared_ids else f"{affair_id}{NAMESPACE_SEP}{holder}"
        row["holder_exposure_city"] = float(city_exposure[city_id]) if holder else math.nan
        sim = (a.simulation.set_index("system_id").loc[holder] if trials and holder else None)
        for column, field in (("holder_compromise", "probability"), ("holder_compromise_low", "ci_low"),
                              ("holder_compromise_high", "ci_high")):
            row[column] = float(sim[field]) if sim is not None else math.nan
        open_f = a.findings.loc[a.findings["status"] == "open"]
        counts = open_f["risk_level"].value_counts()
        for level, (_ja, en) in levels.items():
            row[f"findings_{en}"] = int(counts.get(level, 0))
        row["findings_open"] = len(open_f)
        high = [int(counts.get(level, 0)) for level in sorted(levels, reverse=True) if level >= high_level]
        reason, ja, en = _reason(row, high, high_level, soon_days, low_share, levels, short)
        row["attention_reason"], row["attention_reason_ja"], row["attention_reason_en"] = reason, ja, en
        weakest_key = row["weakest_coverage"] if in_scope else 1.0
        keys.append((rank[reason], [-n for n in high], row["days_to_next"], weakest_key, order))
        rows.append(row)
    ordered = [row for _key, row in sorted(zip(keys, rows), key=lambda pair: pair[0])]
    for i, row in enumerate(ordered, start=1):
        row["attention"] = i
    out = pd.DataFrame(ordered, columns=PORTFOLIO_COLUMNS)
    ints = ["attention", "target_population", "days_to_next", "procedure_flags", "procedure_missing",
            "holder_records", "findings_open", *_finding_columns()]
    floats = [c for c in PORTFOLIO_COLUMNS if c.startswith(("coverage_", "holder_exposure", "holder_compromise"))]
    return out.astype({**{c: "int64" for c in ints}, **{c: "float64" for c in floats + ["weakest_coverage"]},
                       "rerun_overdue": "bool", "review_overdue": "bool"})


def _reason(row: dict[str, Any], high: list[int], high_level: int, soon_days: int,
            low_share: float, levels: dict[int, tuple[str, str]],
            short: dict[str, tuple[str, str]]) -> tuple[str, str, str]:
    """The first reason of the attention rule that holds for ``row``, and its sentence in Japanese and English."""
    if row["rerun_overdue"] or row["review_overdue"] or row["procedure_flags"]:
        ja, en = [], []
        if row["rerun_overdue"]:
            ja.append(f"5年以内の再実施の期限（{day_words(row['rerun_due'], 'ja')}）を過ぎている")
            en.append(f"the 5-year re-run was due on {day_words(row['rerun_due'], 'en')}")
        if row["review_overdue"]:
            ja.append(f"年1回の見直しの期限（{day_words(row['review_due'], 'ja')}）を過ぎている")
            en.append(f"the yearly review was due on {day_words(row['review_due'], 'en')}")
        if row["procedure_flags"]:
            ja.append(f"評価実施手続の確認事項 {row['procedure_flags']} 件（{'・'.join(row['procedure_flags_ja'])}）")
            en.append(f"{row['procedure_flags']} procedure question{'s' if row['procedure_flags'] > 1 else ''} "
                      f"({', '.join(row['procedure_flags_en'])})")
        return "overdue", "、".join(ja), "; ".join(en)
    if sum(high):
        named = [(n, levels[level]) for n, level in zip(high, sorted(levels, reverse=True)) if n]
        ja = "未対応の指摘 " + "・".join(f"{words[0]} {n} 件" for n, words in named)
        en = "open findings: " + ", ".join(f"{n} {words[1]}" for n, words in named)
        return "high_findings", ja, en
    if row["days_to_next"] <= soon_days:
        what_ja = "5年以内の再実施" if row["next_date"] == row["rerun_due"] else "年1回の見直し"
        what_en = "the 5-year re-run" if row["next_date"] == row["rerun_due"] else "the yearly review"
        return ("due_soon", f"{what_ja}の期限（{day_words(row['next_date'], 'ja')}）まで {row['days_to_next']} 日",
                f"{what_en} is due in {row['days_to_next']} days ({day_words(row['next_date'], 'en')})")
    if row["weakest_stage"] and row["weakest_coverage"] < low_share:
        ja_stage, en_stage = short[row["weakest_stage"]]
        share_ja, share_en = percent(row["weakest_coverage"], "ja"), percent(row["weakest_coverage"], "en")
        return ("low_coverage", f"網羅状況が最も低い段階は「{ja_stage}」で {share_ja}",
                f"the weakest stage, {en_stage.lower()}, is {share_en} covered")
    return ("none", "期限・手続・指摘・網羅状況に急ぐものなし",
            "nothing pressing in dates, procedure, findings or coverage")
