"""The procedure record (model.yaml ``procedure``) and its checks (pia_analysis.analysis.procedure)."""

from __future__ import annotations

import datetime as dt

import pytest

from coverage_models import build, small_tables, write_tables
from pia_analysis import ModelError, bundled_model_path, load_model, procedure_check, procedure_rules, review_schedule
from pia_analysis.analysis.judgments import add_years
from pia_analysis.analysis.procedure import PROCEDURE_CHECK_COLUMNS

D = dt.date
FULL = 400_000  # people: the threshold judgment requires a full assessment (全項目評価)


def record(start: D = D(2025, 6, 2), end: D = D(2025, 7, 1), **extra) -> dict:
    """A full assessment's procedure as model.yaml holds it: public comment start..end, then the rest in order."""
    comment = {"start": start, "end": end, "methods": "ホームページ、窓口", "comments": 0, "reflection": "意見なし"}
    comment.update(extra.pop("public_comment", {}))
    out = {"version_kind": "assessment", "assessment_form": "full", "basic_assessment_on": D(2025, 4, 1),
           "public_comment": comment,
           "third_party_check": {"held_on": D(2025, 8, 20), "body": "個人情報保護審査会", "method": "諮問",
                                 "result": "適合・妥当"},
           "submitted_on": D(2025, 9, 10), "published_on": D(2025, 9, 30)}
    out.update(extra)
    return out


def checks(tmp_path, procedure: dict | None, today: D = D(2026, 1, 1), population: int = FULL):
    meta = {"target_population": population}
    if procedure is not None:
        meta["procedure"] = procedure
    table = procedure_check(build(tmp_path, small_tables(), meta=meta), today=today)
    return table.set_index("check")


def test_the_columns_and_one_row_per_check(tmp_path):
    table = procedure_check(build(tmp_path, small_tables(), meta={"target_population": FULL, "procedure": record()}),
                            today=D(2026, 1, 1))
    assert list(table.columns) == PROCEDURE_CHECK_COLUMNS
    assert table["check"].tolist() == ["public_comment_required", "public_comment_period", "public_comment_record",
                                       "third_party_check", "submission_before_publication", "dates_in_order",
                                       "rerun_5_years", "yearly_review", "threshold_rerun"]
    assert set(table["status"]) == {"ok"}
    assert (table["source"] != "").all() and (table["rule"] != "").all()


# --- public comment: 30 days counted with both ends --------------------------------------------------------


def test_thirty_days_with_both_ends_counted_pass(tmp_path):
    row = checks(tmp_path, record(D(2025, 6, 2), D(2025, 7, 1))).loc["public_comment_period"]  # 30 days
    assert row["status"] == "ok"
    assert "30 days counted with both ends, 29 without the first day" in row["detail_en"]


def test_twenty_nine_days_flag_as_a_question(tmp_path):
    row = checks(tmp_path, record(D(2025, 6, 2), D(2025, 6, 30))).loc["public_comment_period"]
    assert row["status"] == "flag"
    assert "29 days counted with both ends, 28 without the first day" in row["detail_en"]
    assert row["question_en"].endswith("?") and "reason" in row["question_en"]
    assert row["rule_id"] == "public_comment_min_days" and "指針第5の3" in row["source"]


def test_twenty_nine_days_with_a_recorded_reason_pass(tmp_path):
    shortened = record(D(2025, 6, 2), D(2025, 6, 30), public_comment={"shortening_reason": "法改正の施行日に間に合わせるため"})
    row = checks(tmp_path, shortened).loc["public_comment_period"]
    assert row["status"] == "ok" and "法改正の施行日に間に合わせるため" in row["detail_ja"]
    assert row["question_en"] == ""


def test_public_comment_missing_for_a_full_assessment(tmp_path):
    procedure = record()
    del procedure["public_comment"]
    table = checks(tmp_path, procedure)
    assert table.loc["public_comment_required", "status"] == "missing"
    assert table.loc["public_comment_period", "status"] == "missing"


def test_public_comment_not_required_for_a_revision_or_a_basic_assessment(tmp_path):
    revision = {"version_kind": "revision", "assessment_form": "full", "assessment_published_on": D(2025, 9, 30),
                "submitted_on": D(2026, 3, 1), "published_on": D(2026, 3, 10)}
    table = checks(tmp_path / "rev", revision)
    assert table.loc[["public_comment_required", "public_comment_period", "third_party_check"], "status"].eq(
        "not_required").all()
    basic = checks(tmp_path / "basic", {"assessment_form": "basic", "published_on": D(2025, 9, 30)}, population=5000)
    assert basic.loc["public_comment_required", "status"] == "not_required"
    assert basic.loc["threshold_rerun", "status"] == "ok"


# --- order of the steps ------------------------------------------------------------------------------------


def test_third_party_check_must_follow_the_comment_and_precede_submission(tmp_path):
    early = record(third_party_check={"held_on": D(2025, 7, 1)})  # the last day of the public comment
    assert checks(tmp_path / "a", early).loc["third_party_check", "status"] == "flag"
    late = record(third_party_check={"held_on": D(2025, 9, 11)})  # after the submission
    row = checks(tmp_path / "b", late).loc["third_party_check"]
    assert row["status"] == "flag" and "after the submission" in row["detail_en"]
    next_day = record(third_party_check={"held_on": D(2025, 7, 2)})
    assert checks(tmp_path / "c", next_day).loc["third_party_check", "status"] == "ok"


def test_publication_before_submission_flags(tmp_path):
    table = checks(tmp_path, record(submitted_on=D(2025, 10, 1)))
    assert table.loc["submission_before_publication", "status"] == "flag"
    # the third-party check (2025-08-20) still precedes the submission: only this check flags
    assert table.loc["third_party_check", "status"] == "ok"


def test_dates_out_of_order(tmp_path):
    table = checks(tmp_path, record(basic_assessment_on=D(2025, 6, 10), reviews=[D(2025, 9, 1)]))
    row = table.loc["dates_in_order"]
    assert row["status"] == "flag"
    assert "basic_assessment_on 2025-06-10 > public_comment.start 2025-06-02" in row["detail_en"]
    assert "reviews 2025-09-01 < published_on 2025-09-30" in row["detail_en"]


# --- the 5-year re-run and the yearly review, from the publication ---------------------------------------------


def test_five_years_count_from_the_publication(tmp_path):
    procedure = record()
    due = add_years(procedure["published_on"], 5)  # 2030-09-30, not five years from the meeting or submission
    on_time = checks(tmp_path / "a", procedure, today=due).loc["rerun_5_years"]
    assert on_time["status"] == "ok" and "2030-09-30" in on_time["detail_en"]
    late = checks(tmp_path / "b", procedure, today=due + dt.timedelta(days=1)).loc["rerun_5_years"]
    assert late["status"] == "flag" and late["duty"] == "endeavour"
    assert "努めるもの" in late["detail_ja"] and "overdue" not in late["detail_en"].lower()


def test_a_revision_does_not_restart_the_five_years(tmp_path):
    revision = {"version_kind": "revision", "assessment_form": "full", "assessment_published_on": D(2025, 9, 30),
                "submitted_on": D(2028, 3, 1), "published_on": D(2028, 3, 10)}
    row = checks(tmp_path, revision, today=D(2030, 10, 1)).loc["rerun_5_years"]
    assert row["status"] == "flag" and "2030-09-30" in row["detail_en"]
    model = build(tmp_path / "m", small_tables(), meta={"target_population": FULL, "procedure": revision})
    assert review_schedule(model, today=D(2030, 10, 1)).rerun_due == D(2030, 9, 30)


def test_yearly_review_counts_from_the_latest_review(tmp_path):
    procedure = record(reviews=[D(2026, 9, 1)])
    assert checks(tmp_path / "a", procedure, today=D(2027, 9, 1)).loc["yearly_review", "status"] == "ok"
    row = checks(tmp_path / "b", procedure, today=D(2027, 9, 2)).loc["yearly_review"]
    assert row["status"] == "flag" and "2026-09-01" in row["detail_en"] and row["duty"] == "endeavour"


def test_a_heavier_threshold_result_requires_a_rerun(tmp_path):
    row = checks(tmp_path, record(assessment_form="focused"), population=FULL).loc["threshold_rerun"]
    assert row["status"] == "flag" and row["duty"] == "mandatory" and "must be re-run" in row["detail_en"]


def test_no_record_is_missing_not_ok(tmp_path):
    table = checks(tmp_path, None)
    assert set(table["status"]) == {"missing"}
    assert (table["question_en"] != "").all()


# --- Kitakyushu r3 and the record as data ---------------------------------------------------------------------


def test_kitakyushu_public_comment_flags_29_days():
    model = load_model(bundled_model_path())
    table = procedure_check(model, today=D(2022, 1, 31)).set_index("check")
    row = table.loc["public_comment_period"]
    assert row["status"] == "flag" and "29 days counted with both ends, 28 without the first day" in row["detail_en"]
    assert table.loc["third_party_check", "status"] == "ok" and "北九州市個人情報保護審査会" in table.loc[
        "third_party_check", "detail_ja"]
    published = model.meta["procedure"]["published_on"]
    assert "assumption" in model.meta["procedure"]["source"]
    assert add_years(published, 5).isoformat() in table.loc["rerun_5_years", "detail_en"]


def test_the_rules_are_packaged_data_with_their_marks():
    rules = procedure_rules()
    assert rules.loc["public_comment_min_days", "value"] == "30"
    assert rules.loc["public_comment_counting", "value"] == "both_ends"
    assert set(rules["confidence"]) <= {"confirmed", "recalled"} and (rules["form_version"] != "").all()


def test_bad_procedure_values_are_located_all_at_once(tmp_path):
    model = write_tables(tmp_path, small_tables())
    text = (model / "model.yaml").read_text(encoding="utf-8")
    (model / "model.yaml").write_text(text + "procedure:\n  version_kind: redo\n  public_comment:\n"
                                      "    start: 2025-06-31\n    colour: red\n  reviews: [1989-12-31]\n"
                                      "  published_on: 2025-09-30\n", encoding="utf-8")
    with pytest.raises(ModelError) as info:
        load_model(model)
    lines = [str(p) for p in info.value.problems]
    first = len(text.splitlines()) + 1
    assert any(f"model.yaml:{first + 1}: procedure.version_kind: 'redo' is not one of assessment, revision" in p
               for p in lines), lines
    assert any(f"model.yaml:{first + 3}: procedure.public_comment.start: '2025-06-31' is not a date" in p
               for p in lines), lines
    assert any(f"model.yaml:{first + 4}: procedure.public_comment.colour: unknown key" in p for p in lines), lines
    assert any(f"model.yaml:{first + 5}: procedure.reviews: 1989-12-31 is outside 1990-01-01" in p
               for p in lines), lines


def test_the_record_survives_a_workbook_round_trip(tmp_path):
    from pia_analysis import save_model

    model = build(tmp_path / "m", small_tables(), meta={"target_population": FULL, "procedure": record()})
    save_model(model, tmp_path / "m.xlsx")
    assert load_model(tmp_path / "m.xlsx").meta["procedure"] == model.meta["procedure"]
    save_model(model, tmp_path / "copy")
    assert load_model(tmp_path / "copy").meta["procedure"] == model.meta["procedure"]


def test_the_procedure_command(capsys):
    from pia_analysis.cli import main

    assert main(["procedure", str(bundled_model_path()), "--format", "csv", "--today", "2026-11-28"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("check,item_ja,status,detail_ja,detail_en")
    assert any(line.startswith("public_comment_period,") and ",flag," in line for line in lines)
    with pytest.raises(SystemExit) as info:
        main(["procedure", str(bundled_model_path()), "--today", "2026-02-30"])
    assert info.value.code == 2 and "is not a date" in capsys.readouterr().err


INTERNAL_SOURCES = ("minutes", ".md", "§", "wikipedia", "expydoc", "http", "kitakyushu", "北九州")


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("path", [bundled_model_path(), pytest.param("town", id="town")])
def test_the_council_questions_cite_provisions_not_the_analysts_files(path, lang):
    """The questions page cites the 指針/規則 (basis_ja/basis_en), never reference files or another body's
    minutes: a village's council reads no Kitakyushu minutes as the source of its own duties."""
    from pathlib import Path

    from pia_analysis import analyse
    from pia_analysis.outputs.briefing import committee_questions

    model = load_model(Path(__file__).parent / "models" / "town" if path == "town" else path)
    questions = committee_questions(analyse(model, only=("judgments",)), lang=lang)
    procedure = questions.loc[questions.iloc[:, 0].str.startswith("手続" if lang == "ja" else "procedure")]
    assert len(procedure) > 0
    for cited in procedure.iloc[:, 3]:
        assert cited and not any(s in cited.casefold() for s in INTERNAL_SOURCES), cited
        assert ("指針" in cited or "規則" in cited or "行政手続法" in cited) if lang == "ja" else (
            "Guidelines" in cited or "Rules" in cited or "Act" in cited), cited


def test_every_procedure_rule_has_a_provision_for_the_council():
    rules = procedure_rules()
    for column in ("basis_ja", "basis_en"):
        assert rules[column].str.strip().astype(bool).all(), column
        assert not rules[column].str.casefold().str.contains("minutes|\\.md|§", regex=True).any(), column


@pytest.mark.parametrize("population, steps_absent, steps_present", [
    (5_000, ("意見聴取", "第三者点検"), ("基礎項目評価", "委員会への提出", "公表")),
    (FULL, (), ("意見聴取", "第三者点検", "公表")),
])
def test_the_order_a_procedure_is_held_to_has_only_the_steps_its_assessment_needs(tmp_path, population,
                                                                                  steps_absent, steps_present):
    """A basic assessment needs no public comment and no third-party check (the cover says 不要): the order its
    questions quote names neither; a full assessment's names both."""
    table = checks(tmp_path, None, population=population)
    order = table.loc[table["rule_id"] == "procedure_order"]
    assert len(order) == 2 and set(order["status"]) == {"missing"}
    for rule_ja, rule_en in zip(order["rule_ja"], order["rule"]):
        assert all(s not in rule_ja for s in steps_absent), rule_ja
        assert all(s in rule_ja for s in steps_present), rule_ja
        assert ("public comment" in rule_en) == bool(not steps_absent), rule_en


@pytest.mark.parametrize("procedure", [None, {"published_on": D(2025, 9, 30)}])
def test_no_assessment_required_asks_no_procedure_question(tmp_path, procedure):
    """At 500 people no assessment is required (and none was submitted): every check is not_required, so the
    council's questions page asks nothing of the procedure."""
    from pia_analysis import analyse
    from pia_analysis.outputs.briefing import committee_questions

    table = checks(tmp_path / "c", procedure, population=500)
    assert set(table["status"]) == {"not_required"}, table["status"]
    assert table["question_ja"].eq("").all() and table["detail_ja"].str.contains("義務付けられていない").all()
    meta = {"target_population": 500, **({"procedure": procedure} if procedure else {})}
    questions = committee_questions(analyse(build(tmp_path / "q", small_tables(), meta=meta), only=("judgments",)))
    assert not questions["区分"].str.startswith("手続").any(), questions
