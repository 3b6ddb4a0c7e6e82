"""The sub-measures of Section Ⅲ: the packaged catalogue, the model's answers and their checks, the controls
that name them, the analysis (未回答 never guessed), the Section Ⅲ output and the diff."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from model_factory import control, flow, system, write_model
from pia_analysis import ModelError, diff, load_model, save_model, sub_measure_answers
from pia_analysis.analysis.judgments import required_assessment
from pia_analysis.catalog import choice_sets
from pia_analysis.catalog.sub_measures import sub_measure_catalog
from pia_analysis.outputs.section3 import write_section3

SYSTEMS = [system("E", entry=0.5), system("T", holds=["MN"])]
FLOWS = [flow("F1", "E", "T", files=["MN"])]


def _write_answers(directory: Path, rows: list[tuple[str, str, str, str]]) -> None:
    with open(directory / "sub_measures.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["sub_measure_id", "answer", "detail", "source"])
        writer.writerows(rows)


def _model(tmp_path: Path, answers: list[tuple[str, str, str, str]] | None = None, controls=(), name="model",
           meta=None) -> Path:
    directory = write_model(tmp_path / name, SYSTEMS, FLOWS,
                            controls or [control("C1", ["F1"], 0.5)], meta=meta)
    if answers is not None:
        _write_answers(directory, answers)
    return directory


# --- the catalogue ---------------------------------------------------------------------------------------


def test_catalogue_has_every_row_of_the_reference_table_per_stage():
    # ppc_form_structure.md §1 Ⅲ: the sub-measures of each stage, 「…の内容」 rows and ⑨ ⑩ 消去手順 included
    cat = sub_measure_catalog()
    assert cat.groupby("stage").size().to_dict() == {"acquire": 9, "use": 10, "outsource": 8, "provide": 5,
                                                     "network": 7, "retain": 14}
    assert cat["sub_measure_id"].is_unique and cat["order"].is_monotonic_increasing
    # every rated item has its sub-measures; the 委託 block is one rated item, its risks have none of their own
    assert set(cat["rated_item"]) == ({f"acquire-{n}" for n in range(1, 5)} | {f"use-{n}" for n in range(1, 5)}
                                      | {"outsource"} | {f"provide-{n}" for n in range(1, 4)}
                                      | {f"network-{n}" for n in range(1, 8)} | {f"retain-{n}" for n in range(1, 4)})
    assert cat.loc[cat["rated_item"] == "outsource", "label_ja"].tolist() == [
        "情報保護管理体制の確認", "特定個人情報ファイルの閲覧者・更新者の制限", "特定個人情報ファイルの取扱いの記録",
        "特定個人情報の提供ルール", "特定個人情報の消去ルール", "委託契約書中の特定個人情報ファイルの取扱いに関する規定",
        "再委託先による特定個人情報ファイルの適切な取扱いの確保", "その他の措置の内容"]
    retain1 = cat.loc[cat["rated_item"] == "retain-1"]
    assert retain1["number"].tolist() == ["①", "②", "③", "④", "⑤", "⑥", "⑦", "⑧", "⑨", "⑩", ""]
    assert set(cat["confidence"]) <= {"confirmed", "recalled"} and all(cat["source"]) and all(cat["form_version"])


def test_catalogue_choice_sets_are_the_forms():
    cat = sub_measure_catalog().set_index("sub_measure_id")
    choices = cat["choices"].to_dict()
    assert choices["use-2.user-auth"] == ("行っている", "行っていない")
    assert choices["use-2.usage-log"] == ("記録を残している", "記録を残していない")
    assert choices["outsource.viewer-restriction"] == ("制限している", "制限していない")
    assert choices["outsource.subcontract"] == ("特に力を入れて行っている", "十分に行っている", "十分に行っていない",
                                                "再委託していない")
    assert choices["retain-1.nisc"][-1] == "政府機関ではない"
    assert choices["retain-1.staff-awareness"][0] == "特に力を入れて周知している"
    assert choices["retain-1.serious-incident"] == ("発生あり", "発生なし")
    assert choices["retain-1.deceased-numbers"] == ("保管している", "保管していない")
    assert choices["retain-3.erasure-procedure"] == ("定めている", "定めていない")
    assert cat.at["retain-3.erasure-procedure", "detail_label_ja"] == "手順の内容"
    # text rows have no choices; every 「…の内容」 row is text
    text = cat.loc[cat["kind"] == "text"]
    assert (text["choices"].map(len) == 0).all() and text["label_ja"].str.endswith(("の内容", "の確認")).all()
    # ⑨ is the personal-information question of 3 years, with the 重点 form's Ⅲ7 ② noted, not the threshold input
    nine = cat.loc["retain-1.serious-incident"]
    assert "個人情報に関する重大事故" in nine["label_ja"] and "過去3年以内" in nine["label_ja"]
    assert "Ⅲ7 ②" in nine["note"] and "serious_incident" in nine["note"] and nine["confidence"] == "confirmed"
    # the form item as (別添3) names it
    assert cat.at["use-2.user-auth", "form_item_ja"] == "Ⅲ 3 リスク2 ユーザ認証の管理"
    assert cat.at["outsource.subcontract", "form_item_ja"].startswith("Ⅲ 4 委託 再委託先")


def test_choice_sets_rank_the_levels_and_leave_facts_unranked():
    sets = choice_sets()
    ranked = sets.dropna(subset=["favourable_rank"])
    # within a set, the form lists the most favourable first
    for _name, group in ranked.groupby("choice_set"):
        assert group["favourable_rank"].tolist() == list(range(1, len(group) + 1))
    # the sets of the sub-measures (the forms' other sets, 入手元 …, report facts and are all unranked:
    # tests/test_form_layout.py)
    measured = sets.loc[sets["choice_set"].isin(set(sub_measure_catalog()["choice_set"]))]
    unranked = set(measured.loc[measured["favourable_rank"].isna(), "label_ja"])
    assert unranked == {"再委託していない", "政府機関ではない", "発生あり", "発生なし", "保管している", "保管していない"}
    assert set(sets["confidence"]) <= {"confirmed", "recalled"} and all(sets["source"])


# --- the answers and their checks ------------------------------------------------------------------------


def test_answers_are_checked_all_at_once_and_located(tmp_path: Path):
    directory = _model(tmp_path, [
        ("use-2.user-auth", "行っている", "ID とパスワード", "test"),        # line 2: fine
        ("use-2.user-auht", "行っている", "", "test"),                    # 3: unknown id
        ("use-2.usage-log", "たぶん", "", "test"),                        # 4: not a choice
        ("acquire-2.measures", "行っている", "窓口で確認", "test"),         # 5: a choice given to a text row
        ("acquire-1.other", "", "", "test"),                             # 6: text row without text
        ("use-2.user-auth", "行っていない", "", "test"),                  # 7: duplicate
        ("retain-1.serious-incident", "", "", "test"),                   # 8: choice row without a choice
    ])
    with pytest.raises(ModelError) as info:
        load_model(directory)
    text = str(info.value)
    where = f"{directory}/sub_measures.csv"
    assert f"{where}:3: sub_measure_id: 'use-2.user-auht' is not a sub-measure of the catalogue; did you mean " \
           "use-2.user-auth" in text
    assert "the sub-measures of use-2 are use-2.user-auth, use-2.access-rights-lifecycle" in text
    assert f"{where}:4: answer: 'たぶん' is not a choice of use-2.usage-log" in text
    assert "the choices are 記録を残している / 記録を残していない" in text
    assert f"{where}:5: answer: acquire-2.measures (リスクに対する措置の内容) is answered by text" in text
    assert "write the text in detail and leave answer empty" in text
    assert f"{where}:6: detail: is empty" in text
    assert f"{where}:7: sub_measure_id: duplicate id 'use-2.user-auth' (first on line 2)" in text
    assert f"{where}:8: answer: is empty (hint: the choices are 発生あり / 発生なし" in text
    assert len(info.value.problems) == 6


def test_controls_name_sub_measures_and_unknown_ones_are_located(tmp_path: Path):
    good = _model(tmp_path, [], controls=[control("C1", ["F1"], 0.5, sub_measures=["use-2.user-auth",
                                                                                   "use-2.access-rights"]),
                                          control("C2", ["*"], 0.0, sub_measures=["use-2.user-auth"])])
    t = sub_measure_answers(load_model(good)).set_index("sub_measure_id")
    assert t.at["use-2.user-auth", "controls"] == ["C1", "C2"] and t.at["use-2.access-rights", "controls"] == ["C1"]
    assert t.at["use-2.usage-log", "controls"] == []
    bad = _model(tmp_path, None, name="bad", controls=[control("C1", ["F1"], 0.5, sub_measures=["use-2.nope"])])
    with pytest.raises(ModelError, match=r"controls.csv:2: sub_measures: 'use-2.nope' is not a sub-measure"):
        load_model(bad)


# --- the analysis ----------------------------------------------------------------------------------------


def test_unanswered_is_shown_as_such_never_guessed(tmp_path: Path):
    model = load_model(_model(tmp_path, [
        ("use-2.user-auth", "行っていない", "", "minutes p.3"),
        ("acquire-3.identity-check", "", "窓口で本人確認書類を確認する", "minutes p.2"),
    ]))
    t = sub_measure_answers(model)
    assert len(t) == len(sub_measure_catalog()) and not t.isna().any().any()
    by_id = t.set_index("sub_measure_id")
    assert by_id.loc["use-2.user-auth", ["answer", "status", "source"]].tolist() == ["行っていない", "answered",
                                                                                     "minutes p.3"]
    assert by_id.loc["acquire-3.identity-check", ["answer", "detail", "status"]].tolist() == [
        "", "窓口で本人確認書類を確認する", "answered"]
    rest = t.loc[~t["sub_measure_id"].isin(["use-2.user-auth", "acquire-3.identity-check"])]
    assert set(rest["answer"]) == {"未回答"} and set(rest["status"]) == {"unanswered"}
    assert set(rest["detail"]) == {""} and set(rest["source"]) == {""}


def test_a_model_without_the_table_answers_nothing(tmp_path: Path):
    t = sub_measure_answers(load_model(_model(tmp_path)))
    assert set(t["status"]) == {"unanswered"} and set(t["answer"]) == {"未回答"}


def test_declared_out_stages_are_not_applicable_not_unanswered(tmp_path: Path):
    model = load_model(_model(tmp_path, [("outsource.handling-log", "記録を残している", "", "t")]))
    declared = model.replace(meta={**model.meta, "declared_not_applicable": ["outsource", "network_provide"]})
    t = sub_measure_answers(declared).set_index("sub_measure_id")
    assert t.at["outsource.handling-log", "status"] == "not_applicable"
    assert t.at["outsource.handling-log", "answer"] == "対象外" and "委託しない" in t.at["outsource.handling-log",
                                                                                          "detail"]
    assert t.at["network-5.measures", "status"] == "not_applicable"
    assert t.at["network-4.measures", "status"] == "unanswered"  # 接続しない（提供） leaves acquisition in


def test_the_incident_sub_measure_is_not_the_threshold_input(tmp_path: Path):
    meta = {"target_population": 50_000, "handlers": 100, "serious_incident": False}
    without = load_model(_model(tmp_path, [], meta=meta, name="a"))
    occurred = load_model(_model(tmp_path, [("retain-1.serious-incident", "発生あり", "2023年に誤送付", "t")],
                                 meta=meta, name="b"))
    assert sub_measure_answers(occurred).set_index("sub_measure_id").at["retain-1.serious-incident",
                                                                        "answer"] == "発生あり"
    assert required_assessment(occurred).code == required_assessment(without).code == "basic"
    # whereas the threshold input itself does change it
    incident = load_model(_model(tmp_path, [], meta={**meta, "serious_incident": True}, name="c"))
    assert required_assessment(incident).code != "basic"


# --- formats and outputs ---------------------------------------------------------------------------------


def test_the_answers_round_trip_through_a_workbook(tmp_path: Path):
    model = load_model(_model(tmp_path, [("use-2.user-auth", "行っている", "ICカードと暗証番号", "t"),
                                         ("retain-1.other", "", "施錠", "t")],
                              controls=[control("C1", ["F1"], 0.5, sub_measures=["use-2.user-auth"])]))
    book = save_model(model, tmp_path / "m.xlsx")
    again = load_model(book)
    pd.testing.assert_frame_equal(again.sub_measures, model.sub_measures)
    assert again.controls["sub_measures"].tolist() == [["use-2.user-auth"]]
    assert "sub_measures" in openpyxl.load_workbook(book).sheetnames


def test_section3_output_shows_the_sub_measures(tmp_path: Path):
    model = load_model(_model(tmp_path, [("use-2.user-auth", "行っている", "ICカード", "議事録")]))
    book = write_section3(model, tmp_path / "s3.xlsx")
    sheet = pd.read_excel(book, sheet_name="sub_measures", keep_default_na=False).set_index("sub_measure_id")
    assert sheet.at["use-2.user-auth", "answer"] == "行っている" and sheet.at["retain-1.nisc", "answer"] == "未回答"
    legend = pd.read_excel(book, sheet_name="columns")
    assert legend.loc[legend["sheet"] == "sub_measures", "見出し"].tolist()[:1] == ["細目ID"]
    text = write_section3(model, tmp_path / "s3.md").read_text(encoding="utf-8")
    assert "| use-2 |  | ユーザ認証の管理 | 行っている | ICカード |  | 議事録 |" in text
    assert "| retain-1 | ⑨ | 過去3年以内に、評価実施機関において、個人情報に関する重大事故が発生したか | 未回答 |" in text


# --- the diff ---------------------------------------------------------------------------------------------


def _versions(tmp_path: Path, before: list[tuple[str, str, str, str]], after: list[tuple[str, str, str, str]]):
    return (load_model(_model(tmp_path, before, name="old")), load_model(_model(tmp_path, after, name="new")))


def test_an_answer_made_worse_is_an_important_change_with_its_form_item(tmp_path: Path):
    old, new = _versions(tmp_path, [("use-2.user-auth", "行っている", "ICカード", "t"),
                                    ("retain-1.safety-rules", "特に力を入れて整備している", "", "t")],
                         [("use-2.user-auth", "行っていない", "ICカード", "t"),
                          ("retain-1.safety-rules", "十分に整備している", "", "t")])
    d = diff(old, new)
    assert d.is_important
    rows = d.changes.set_index("id")
    assert rows.loc["use-2.user-auth", ["change_class", "rule"]].tolist() == ["important", "sub-measure-worse"]
    assert rows.at["retain-1.safety-rules", "rule"] == "sub-measure-worse"
    assert rows.at["use-2.user-auth", "form_item_ja"] == "Ⅲ 3 リスク2 ユーザ認証の管理"
    by_item = d.change_sheet().set_index("項目")
    auth = by_item.loc["Ⅲ 3 リスク2 ユーザ認証の管理"]
    assert auth[["変更前の記載", "変更後の記載", "提出時期", "区分"]].tolist() == [
        "行っている", "行っていない", "事前", "重要な変更"]
    assert by_item.loc["Ⅲ 7 リスク1 ③安全管理規程", "提出時期"] == "事前"


def test_an_answer_made_better_or_a_rewritten_text_is_a_revision(tmp_path: Path):
    old, new = _versions(tmp_path, [("use-2.user-auth", "行っていない", "", "t"),
                                    ("retain-3.erasure-procedure", "定めている", "年1回消去", "t")],
                         [("use-2.user-auth", "行っている", "", "t"),
                          ("retain-3.erasure-procedure", "定めている", "月1回消去", "t")])
    d = diff(old, new)
    assert not d.is_important and d.classification == "revision"
    rows = d.changes.set_index("id")
    assert rows.at["use-2.user-auth", "rule"] == "sub-measure-better"
    assert rows.at["retain-3.erasure-procedure", "rule"] == "sub-measure-detail"
    sheet = d.change_sheet().set_index("規則")
    assert sheet.loc["sub-measure-better", ["提出時期", "区分"]].tolist() == ["事後", "評価書の修正"]
    assert sheet.loc["sub-measure-detail", "変更後の記載"] == "月1回消去"
    assert sheet.loc["sub-measure-detail", "項目"].startswith("Ⅲ 7 リスク3 消去手順")


def test_unranked_answers_are_revisions_and_answers_in_one_version_only_are_not_changes(tmp_path: Path):
    # ⑨ reports a fact and 政府機関ではない is not a level of the measure: no rank, so a revision; an answer
    # recorded in one version only is 未回答 (unknown) in the other, not a change of the 評価書
    old, new = _versions(tmp_path, [("retain-1.serious-incident", "発生なし", "", "t"),
                                    ("retain-1.nisc", "十分に遵守している", "", "t"),
                                    ("use-2.usage-log", "記録を残している", "", "t")],
                         [("retain-1.serious-incident", "発生あり", "誤送付", "t"),
                          ("retain-1.nisc", "政府機関ではない", "", "t"),
                          ("use-2.user-auth", "行っていない", "", "t")])
    d = diff(old, new)
    assert d.changes["id"].tolist() == ["retain-1.nisc", "retain-1.serious-incident"]
    assert set(d.changes["change_class"]) == {"revision"} and set(d.changes["rule"]) == {"other-change",
                                                                                          "sub-measure-detail"}


def test_the_source_of_an_answer_is_provenance(tmp_path: Path):
    old, new = _versions(tmp_path, [("use-2.user-auth", "行っている", "", "minutes p.3")],
                         [("use-2.user-auth", "行っている", "", "minutes p.4")])
    assert diff(old, new).changes.empty
    assert diff(old, new, provenance=True).changes["id"].tolist() == ["use-2.user-auth"]


# --- the bundled model ------------------------------------------------------------------------------------


def test_the_bundled_r3_model_answers_only_what_the_minutes_say():
    from pia_analysis import bundled_model_path

    model = load_model(bundled_model_path())
    t = sub_measure_answers(model)
    answered = t.loc[t["status"] == "answered"]
    assert answered["sub_measure_id"].tolist() == ["retain-1.serious-incident"]
    assert answered["answer"].tolist() == ["発生なし"]
    assert answered["source"].str.startswith("minutes 2021-11-09").all()
    assert "大きな情報漏えい事故などが発生していない" in answered["source"].iloc[0]
    assert (t.loc[t["status"] != "answered", "answer"] == "未回答").all()
    # the threshold input is a separate question, not set from ⑨
    assert "serious_incident" not in model.meta or model.meta["serious_incident"] is False
