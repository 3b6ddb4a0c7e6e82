"""The assessment procedure (Ⅵ 評価実施手続), as recorded in model.yaml's ``procedure`` block, checked.

:func:`procedure_check` holds the recorded dates and texts to the rules of ``catalog/procedure_rules.csv``
(public comment for a full assessment, at least 30 days counted with both ends unless a 特段の理由 is
recorded; the third-party check between the public comment and the submission; submission before
publication; the 5-year re-run and the yearly review, both duties to endeavour counted from the publication;
the re-run a heavier threshold result requires). One row per check; ``docs/procedure.md`` explains each.
"""

from __future__ import annotations

__all__ = ["PROCEDURE_CHECK_COLUMNS", "procedure_check"]

import datetime as dt
from typing import Any

import pandas as pd

from ..model.model import Model, require_model
from .judgments import ASSESSMENT_CODES, add_years, procedure_rules, required_assessment

#: The columns of :func:`procedure_check`'s table.
PROCEDURE_CHECK_COLUMNS = ["check", "item_ja", "status", "detail_ja", "detail_en", "question_ja", "question_en",
                           "rule_id", "rule", "rule_ja", "duty", "confidence", "form_version", "source",
                           "record_source", "basis_ja", "basis_en"]
_FORM_JA = {"none": "評価なし", "basic": "基礎項目評価", "focused": "重点項目評価", "full": "全項目評価"}
_FORM_EN = {"none": "no assessment", "basic": "basic assessment", "focused": "focused assessment",
            "full": "full assessment"}


# The steps of ``procedure_order`` (catalog value, in order) in words; a step the assessment does not need
# (public comment, third-party check for a basic assessment) is left out of the order it is held to.
_STEP_WORDS = {"basic_assessment_on": ("基礎項目評価", "basic assessment"),
               "public_comment": ("意見聴取", "public comment"),
               "third_party_check": ("第三者点検", "third-party check"),
               "submitted_on": ("委員会への提出", "submission to the Commission"),
               "published_on": ("公表", "publication")}
# Every check with its form item and rule, in order (all of them not required when no assessment is)
_CHECKS = (("public_comment_required", "国民・住民等からの意見の聴取", "public_comment_forms"),
           ("public_comment_period", "国民・住民等からの意見の聴取", "public_comment_min_days"),
           ("public_comment_record", "国民・住民等からの意見の聴取", "public_comment_forms"),
           ("third_party_check", "第三者点検", "third_party_check_forms"),
           ("submission_before_publication", "提出と公表", "procedure_order"),
           ("dates_in_order", "手続の日付の順序", "procedure_order"),
           ("rerun_5_years", "5年以内の再実施", "rerun_years"),
           ("yearly_review", "年1回の見直し", "review_years"),
           ("threshold_rerun", "しきい値判断の結果", "threshold_rerun"))


def _day(day: dt.date) -> str:
    return day.isoformat()


def procedure_check(model: Model, today: dt.date | None = None) -> pd.DataFrame:
    """The checks of the assessment procedure recorded in ``model.yaml``'s ``procedure`` block.

    Each check gives a status: ``ok``, ``flag`` (the record breaks a rule, or a duty to endeavour has
    lapsed: a question for the committee, in ``question_ja``/``question_en``), ``missing`` (the record
    lacks what the check needs) or ``not_required`` (the rule does not apply to this version). The rules
    and their parameters are ``catalog/procedure_rules.csv`` (:func:`~pia_analysis.analysis.judgments.procedure_rules`).

    The checks, in order: ``public_comment_required``, ``public_comment_period`` (days counted with both
    ends; the count without the first day is reported too), ``public_comment_record``,
    ``third_party_check`` (after the public comment ends, before submission), ``submission_before_publication``,
    ``dates_in_order``, ``rerun_5_years`` (from the publication of the latest assessment; a revision does
    not restart it), ``yearly_review`` (from the latest publication or recorded review) and
    ``threshold_rerun`` (a threshold result heavier than the form submitted).

    Parameters
    ----------
    model
        A loaded model; its ``meta["procedure"]`` (absent: every record is missing).
    today
        The date to judge the re-run and the yearly review against. Pass it explicitly in notebooks and
        tests; ``None`` uses the wall clock (:meth:`datetime.date.today`), for interactive use only.

    Returns
    -------
    DataFrame
        One row per check, columns :data:`PROCEDURE_CHECK_COLUMNS` (all text): ``check``, ``item_ja``,
        ``status``, ``detail_ja``, ``detail_en``, ``question_ja``, ``question_en`` (empty unless flagged or
        missing), ``rule_id``, ``rule`` (English), ``rule_ja``, ``duty`` (``mandatory`` / ``endeavour``),
        ``confidence``, ``form_version``, ``source`` (of the rule, for analysts), ``record_source`` (of the record)
        and ``basis_ja``/``basis_en`` (the provision the rule rests on, for the council pages).

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).
    pia_analysis.catalog.CatalogError
        When ``catalog/procedure_rules.csv`` cannot be read as rules.

    Examples
    --------
    >>> import datetime as dt
    >>> from pia_analysis import bundled_model_path, load_model, procedure_check
    >>> checks = procedure_check(load_model(bundled_model_path()), today=dt.date(2022, 1, 31))
    >>> checks.set_index("check").loc["public_comment_period", ["status", "detail_en"]].tolist()[0]
    'flag'
    """
    require_model(model, "procedure_check")
    today = dt.date.today() if today is None else today
    rules = procedure_rules()
    record: dict[str, Any] = model.meta.get("procedure") or {}
    comment: dict[str, Any] = record.get("public_comment") or {}
    third: dict[str, Any] = record.get("third_party_check") or {}
    kind = record.get("version_kind", "assessment")
    judgment = required_assessment(model)
    form = record.get("assessment_form")
    # which form the rules apply to: the one submitted, else the one the threshold judgment requires
    applied = form if form is not None else judgment.code
    applied_note_ja = "" if form is not None else (
        f"（提出した評価書の種類が記録されていないため、しきい値判断の{_FORM_JA[applied]}として）")
    applied_note_en = "" if form is not None else (f" (the form submitted is not recorded: taken as the "
                                                   f"{_FORM_EN[applied]} the threshold judgment requires)")
    rows: list[dict[str, str]] = []

    worded: dict[str, tuple[str, str]] = {}  # rule id → its wording for this assessment, where it differs

    def add(check: str, item_ja: str, rule_id: str, status: str, ja: str, en: str, q_ja: str = "",
            q_en: str = "") -> None:
        rule = rules.loc[rule_id]
        rule_ja, rule_en = worded.get(rule_id, (rule["rule_ja"], rule["rule_en"]))
        rows.append({"check": check, "item_ja": item_ja, "status": status, "detail_ja": ja, "detail_en": en,
                     "question_ja": q_ja if status in ("flag", "missing") else "",
                     "question_en": q_en if status in ("flag", "missing") else "",
                     "rule_id": rule_id, "rule": rule_en, "rule_ja": rule_ja, "duty": rule["duty"],
                     "confidence": rule["confidence"], "form_version": rule["form_version"],
                     "source": rule["source"], "record_source": str(record.get("source", "")),
                     "basis_ja": rule["basis_ja"], "basis_en": rule["basis_en"]})

    if applied == "none":
        # no assessment is required and none was submitted: no step of the procedure is asked for
        for check, item, rule_id in _CHECKS:
            add(check, item, rule_id, "not_required",
                f"しきい値判断の結果、特定個人情報保護評価の実施は義務付けられていない（{judgment.label_ja}）",
                f"the threshold judgment requires no assessment ({judgment.label_en}): nothing to check")
        return pd.DataFrame(rows, columns=PROCEDURE_CHECK_COLUMNS)

    # --- public comment (全項目評価 only; a revision is not put to public comment)
    comment_forms = {c.strip() for c in rules.loc["public_comment_forms", "value"].split(";")}
    needs_comment = applied in comment_forms and kind == "assessment"
    check_forms = {c.strip() for c in rules.loc["third_party_check_forms", "value"].split(";")}
    needs_check = applied in check_forms and kind == "assessment"
    # the order the steps come in, of the steps this assessment has (a basic assessment: no public comment)
    steps = [step.strip() for step in rules.loc["procedure_order", "value"].split(";")
             if step.strip() in _STEP_WORDS and (step.strip() != "public_comment" or needs_comment)
             and (step.strip() != "third_party_check" or needs_check)]
    worded["procedure_order"] = ("、".join(_STEP_WORDS[st][0] for st in steps) + "の順に行う",
                                 "the steps come in order: " + "; ".join(_STEP_WORDS[st][1] for st in steps))
    item = "国民・住民等からの意見の聴取"
    if not needs_comment:
        why_ja = "評価書の修正であり" if kind == "revision" else f"{_FORM_JA[applied]}であり"
        why_en = "a revision (評価書の修正)" if kind == "revision" else f"a {_FORM_EN[applied]}"
        for check in ("public_comment_required", "public_comment_period", "public_comment_record"):
            add(check, item, "public_comment_forms" if check != "public_comment_period" else "public_comment_min_days",
                "not_required", f"{why_ja}、意見聴取は求められない{applied_note_ja}",
                f"{why_en}: no public comment is required{applied_note_en}")
    else:
        start, end = comment.get("start"), comment.get("end")
        if start is None or end is None:
            add("public_comment_required", item, "public_comment_forms", "missing",
                f"{_FORM_JA[applied]}には意見聴取が必要だが、その期間が記録されていない{applied_note_ja}",
                f"a {_FORM_EN[applied]} needs a public comment, and none is recorded "
                f"(procedure.public_comment.start/end){applied_note_en}",
                "意見聴取はいつからいつまで行われたか。", "When was the public comment held?")
        else:
            add("public_comment_required", item, "public_comment_forms", "ok",
                f"{_FORM_JA[applied]}の意見聴取: {_day(start)}〜{_day(end)}{applied_note_ja}",
                f"{_FORM_EN[applied]}: public comment {_day(start)} to {_day(end)}{applied_note_en}")
        minimum = int(rules.loc["public_comment_min_days", "value"])
        both_ends = rules.loc["public_comment_counting", "value"] == "both_ends"
        if start is None or end is None:
            add("public_comment_period", item, "public_comment_min_days", "missing",
                "期間が記録されていないため日数を数えられない", "no period recorded: the days cannot be counted",
                "意見聴取の期間は何日だったか。", "How many days did the public comment last?")
        elif end < start:
            add("public_comment_period", item, "public_comment_min_days", "flag",
                f"最終日 {_day(end)} が初日 {_day(start)} より前", f"the last day {_day(end)} precedes the first "
                f"{_day(start)}", "意見聴取の日付は正しいか。", "Are the dates of the public comment right?")
        else:
            with_ends = (end - start).days + 1
            without_first = (end - start).days
            days = with_ends if both_ends else without_first
            counts_ja = f"{with_ends}日（初日と最終日を含む）、初日を除くと{without_first}日"
            counts_en = f"{with_ends} days counted with both ends, {without_first} without the first day"
            reason = comment.get("shortening_reason")
            if days >= minimum:
                add("public_comment_period", item, "public_comment_min_days", "ok",
                    f"{counts_ja}: {minimum}日以上", f"{counts_en}: at least {minimum}")
            elif reason:
                add("public_comment_period", item, "public_comment_min_days", "ok",
                    f"{counts_ja}: {minimum}日未満だが、短縮する特段の理由が記録されている: {reason}",
                    f"{counts_en}: under {minimum}, with the 特段の理由 recorded: {reason}")
            else:
                add("public_comment_period", item, "public_comment_min_days", "flag",
                    f"{counts_ja}: {minimum}日未満で、短縮する特段の理由（Ⅵ 2 ③）が記録されていない",
                    f"{counts_en}: under {minimum}, and no 特段の理由 for the shorter period (Ⅵ 2 ③) is recorded",
                    f"意見聴取は{days}日間で、原則の{minimum}日に満たない。評価書に期間を短縮する特段の理由は"
                    "記載されているか。",
                    f"The public comment lasted {days} days, under the {minimum} the rule asks for: does the "
                    "評価書 state a reason for the shorter period?")
        absent = [k for k in ("methods", "comments", "reflection") if k not in comment]
        if absent:
            add("public_comment_record", item, "public_comment_forms", "missing",
                f"記録されていない項目: {', '.join(absent)}（Ⅵ 2 ① 方法、④ 主な意見、⑤ 評価書への反映）",
                f"not recorded: {', '.join(absent)} (Ⅵ 2 ① method, ④ comments, ⑤ reflection)",
                "意見聴取の方法、寄せられた意見とその反映は評価書にどう記載されているか。",
                "How does the 評価書 record the method, the comments received and their reflection?")
        else:
            add("public_comment_record", item, "public_comment_forms", "ok",
                f"方法: {comment['methods']}; 意見 {comment['comments']}件; 反映: {comment['reflection']}",
                f"method: {comment['methods']}; {comment['comments']} comment(s); reflection: {comment['reflection']}")

    # --- third-party check (地方公共団体等の全項目評価)
    item = "第三者点検"
    held, submitted, published = third.get("held_on"), record.get("submitted_on"), record.get("published_on")
    if not needs_check:
        add("third_party_check", item, "third_party_check_forms", "not_required",
            f"{'評価書の修正' if kind == 'revision' else _FORM_JA[applied]}には第三者点検は求められない"
            f"{applied_note_ja}",
            f"a {'revision' if kind == 'revision' else _FORM_EN[applied]} needs no third-party check{applied_note_en}")
    elif held is None:
        add("third_party_check", item, "third_party_check_forms", "missing",
            "第三者点検の実施日が記録されていない（procedure.third_party_check.held_on）",
            "no date of the third-party check is recorded (procedure.third_party_check.held_on)",
            "第三者点検はいつ、どの機関が行ったか。", "When and by whom was the third-party check done?")
    else:
        wrong_ja, wrong_en = [], []
        end = comment.get("end")
        if end is not None and held <= end:
            wrong_ja.append(f"意見聴取の終了（{_day(end)}）より後ではない")
            wrong_en.append(f"not after the public comment ended ({_day(end)})")
        if submitted is not None and held > submitted:
            wrong_ja.append(f"提出（{_day(submitted)}）より後")
            wrong_en.append(f"after the submission ({_day(submitted)})")
        said = "; ".join(f"{k}: {third[k]}" for k in ("body", "method", "result") if k in third)
        if wrong_ja:
            add("third_party_check", item, "third_party_check_forms", "flag",
                f"第三者点検 {_day(held)} は" + "、".join(wrong_ja), f"the third-party check of {_day(held)} is "
                + " and ".join(wrong_en), "第三者点検は意見聴取の後、提出の前に行われたか。",
                "Was the third-party check held after the public comment and before the submission?")
        else:
            add("third_party_check", item, "third_party_check_forms", "ok",
                f"第三者点検 {_day(held)}" + (f"（{said}）" if said else ""),
                f"third-party check on {_day(held)}" + (f" ({said})" if said else ""))

    # --- submission and publication
    item = "提出と公表"
    if submitted is None or published is None:
        absent = [k for k, v in (("submitted_on", submitted), ("published_on", published)) if v is None]
        add("submission_before_publication", item, "procedure_order", "missing",
            f"記録されていない: {', '.join(absent)}", f"not recorded: {', '.join(absent)}",
            "評価書はいつ提出され、いつ公表されたか。", "When was the 評価書 submitted and published?")
    elif published < submitted:
        add("submission_before_publication", item, "procedure_order", "flag",
            f"公表 {_day(published)} が提出 {_day(submitted)} より前",
            f"published {_day(published)} before its submission {_day(submitted)}",
            "評価書は提出の前に公表されたのか。日付は正しいか。",
            "Was the 評価書 published before it was submitted? Are the dates right?")
    else:
        add("submission_before_publication", item, "procedure_order", "ok",
            f"提出 {_day(submitted)}、公表 {_day(published)}",
            f"submitted {_day(submitted)}, published {_day(published)}")

    # --- every recorded date in the order of the procedure (pairs the checks above judge are left to them)
    chain = [("basic_assessment_on", record.get("basic_assessment_on")), ("public_comment.start", comment.get("start")),
             ("public_comment.end", comment.get("end")), ("third_party_check.held_on", held),
             ("submitted_on", submitted), ("published_on", published)]
    known = [(k, v) for k, v in chain if v is not None]
    judged = {("public_comment.start", "public_comment.end"), ("public_comment.end", "third_party_check.held_on"),
              ("third_party_check.held_on", "submitted_on"), ("submitted_on", "published_on")}
    wrong = [f"{a} {_day(x)} > {b} {_day(y)}" for (a, x), (b, y) in zip(known, known[1:])
             if (a, b) not in judged and x > y]
    if published is not None:
        wrong += [f"reviews {_day(r)} < published_on {_day(published)}" for r in record.get("reviews", [])
                  if r < published]
    item = "手続の日付の順序"
    if len(known) < 2:
        add("dates_in_order", item, "procedure_order", "missing", "日付が2つ以上記録されていない",
            "fewer than two dates recorded", "手続の各段階はいつ行われたか。",
            "When was each step of the procedure done?")
    elif wrong:
        add("dates_in_order", item, "procedure_order", "flag", "順序が逆: " + "; ".join(wrong),
            "out of order: " + "; ".join(wrong), "手続の日付は正しいか。", "Are the dates of the procedure right?")
    else:
        add("dates_in_order", item, "procedure_order", "ok",
            "記録された日付は手続の順: " + " ≤ ".join(_day(v) for _k, v in known),
            "the recorded dates follow the procedure: " + " ≤ ".join(_day(v) for _k, v in known))

    # --- the 5-year re-run (努めるもの), from the publication of the latest assessment
    years = int(rules.loc["rerun_years", "value"])
    item = "5年以内の再実施"
    base = record.get("assessment_published_on") if kind == "revision" else published
    if base is None:
        key = "procedure.assessment_published_on" if kind == "revision" else "procedure.published_on"
        add("rerun_5_years", item, "rerun_years", "missing",
            f"最新の評価（実施・再実施）の公表日が記録されていない（{key}）",
            f"the publication date of the latest assessment is not recorded ({key})",
            "最新の評価書（実施・再実施）はいつ公表されたか。", "When was the latest assessment published?")
    else:
        due = add_years(base, years)
        since_ja = "修正する評価の公表" if kind == "revision" else "公表"
        since_en = "the publication of the assessment this revision amends" if kind == "revision" else "its publication"
        if today > due:
            add("rerun_5_years", item, "rerun_years", "flag",
                f"{since_ja}（{_day(base)}）から{years}年（{_day(due)}）を{today.isoformat()}時点で経過している。"
                "再実施は努めるものとされている",
                f"{years} years from {since_en} ({_day(base)}) ended on {_day(due)}, before {today.isoformat()}; "
                "the re-run is a duty to endeavour (努めるもの)",
                f"{since_ja}から{years}年以内の再実施に努めるものとされている。再実施は行われたか、予定されているか。",
                f"The rules ask the body to endeavour to re-run the assessment within {years} years of "
                f"{since_en}: has it been re-run, or is it planned?")
        else:
            add("rerun_5_years", item, "rerun_years", "ok",
                f"{since_ja}（{_day(base)}）から{years}年: {_day(due)}まで（あと{(due - today).days}日）",
                f"{years} years from {since_en} ({_day(base)}): by {_day(due)} ({(due - today).days} days left)")

    # --- the yearly review (努めるもの), from the latest publication or recorded review
    years = int(rules.loc["review_years", "value"])
    item = "年1回の見直し"
    marks = [d for d in [published, *record.get("reviews", [])] if d is not None]
    if not marks:
        add("yearly_review", item, "review_years", "missing", "公表日も見直しの記録もない",
            "neither a publication date nor a review is recorded", "評価書はいつ公表され、その後いつ見直されたか。",
            "When was the 評価書 published, and when reviewed since?")
    else:
        latest = max(marks)
        due = add_years(latest, years)
        what_ja = "公表" if latest == published else "見直し"
        what_en = "publication" if latest == published else "review"
        if today > due:
            add("yearly_review", item, "review_years", "flag",
                f"最新の{what_ja}（{_day(latest)}）から{years}年（{_day(due)}）を経過している。見直しは努めるものとされている",
                f"{years} year(s) from the latest {what_en} ({_day(latest)}) ended on {_day(due)}; the review is a "
                "duty to endeavour (努めるもの)",
                f"最新の{what_ja}から{years}年以内の見直しに努めるものとされている。その後の見直しは行われたか。",
                f"The rules ask for a review within {years} year(s) of the latest {what_en}: has one been done?")
        else:
            add("yearly_review", item, "review_years", "ok", f"最新の{what_ja}（{_day(latest)}）から: {_day(due)}まで",
                f"from the latest {what_en} ({_day(latest)}): by {_day(due)}")

    # --- a threshold result heavier than the form submitted: re-run (mandatory)
    item = "しきい値判断の結果"
    if form is None:
        add("threshold_rerun", item, "threshold_rerun", "missing",
            f"提出した評価書の種類が記録されていない（procedure.assessment_form）。しきい値判断: {judgment.label_ja}",
            f"the form submitted is not recorded (procedure.assessment_form); the threshold judgment: "
            f"{judgment.label_en}",
            "提出した評価書はどの種類か。", "Which assessment was submitted?")
    elif ASSESSMENT_CODES.index(judgment.code) > ASSESSMENT_CODES.index(form):
        add("threshold_rerun", item, "threshold_rerun", "flag",
            f"しきい値判断は{judgment.label_ja}を求めるが、提出したのは{_FORM_JA[form]}。評価の再実施が必要（義務）",
            f"the threshold judgment requires a {judgment.label_en} but a {_FORM_EN[form]} was submitted: the "
            "assessment must be re-run (mandatory)",
            f"しきい値判断の結果は{judgment.label_ja}。{_FORM_JA[form]}からの再実施は行われるか。",
            f"The threshold judgment now requires a {judgment.label_en}: when will the assessment be re-run?")
    else:
        add("threshold_rerun", item, "threshold_rerun", "ok",
            f"しきい値判断 {judgment.label_ja}; 提出 {_FORM_JA[form]}",
            f"threshold judgment: {judgment.label_en}; submitted: {_FORM_EN[form]}")
    return pd.DataFrame(rows, columns=PROCEDURE_CHECK_COLUMNS)
