"""The 評価書 answered from the model (pia_analysis.outputs.assessment_answers).

A small hand-made model (tests/models/assessment-v2, previous version assessment-v1) with hand-written expected
answers for every derivation, and the bundled Kitakyushu model for the layout-wide checks.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pandas as pd
import pytest

from pia_analysis import bundled_model_path, catalog, load_model
from pia_analysis.catalog.layout import FORMS, form_layout
from pia_analysis.model.schema import NOT_SET, NOT_SET_WORDS, OPERATORS
from pia_analysis.outputs.assessment_answers import (
    ANSWER_COLUMNS, ANSWER_STATUSES, PENDING_JA, assessment_answers, assessment_completeness,
)
from pia_analysis.util.errors import InvalidArgumentError

MODELS = Path(__file__).resolve().parent / "models"
SMALL = MODELS / "assessment-v2"


@pytest.fixture(scope="module")
def small():
    return load_model(SMALL)


@pytest.fixture(scope="module")
def full(small):
    return assessment_answers(small, form="full")


@pytest.fixture(scope="module")
def kitakyushu():
    return load_model(bundled_model_path())


@pytest.fixture(scope="module")
def kk_answers(kitakyushu):
    return assessment_answers(kitakyushu)


def _at(answers: pd.DataFrame, item_id: str, unit: str = "", parent_unit: str | None = None) -> pd.Series:
    rows = answers.loc[(answers["item_id"] == item_id) & (answers["unit"] == unit)]
    if parent_unit is not None:
        rows = rows.loc[rows["parent_unit"] == parent_unit]
    assert len(rows) == 1, f"{item_id} [{unit}]: {len(rows)} rows"
    return rows.iloc[0]


def _with(model, **attributes):
    """A copy of the model carrying document-only data: its tables, and ``document`` as model.yaml's block."""
    if "document" in attributes:
        attributes["meta"] = {**model.meta, "document": attributes.pop("document")}
    return model.replace(**attributes)


# ---------------------------------------------------------------------------------------------------------------
# the small model: every derivation against hand-written answers

EXPECTED = {
    # (item_id, unit): (answer, status)
    ("full.cover.title", ""): ("テスト事務 全項目評価書", "derived"),
    ("full.cover.organisation", ""): ("テスト市", "model"),
    ("full.I.3", ""): ("住民記録ファイル\n税務ファイル", "derived"),
    ("full.I.6.1", ""): ("実施しない", "derived"),  # no network flow, both directions declared out
    # Ⅰ 2: the systems (kind system) holding or exchanging a file with My Numbers, systems.csv order
    ("full.I.2.1", "REG"): ("住民記録システム", "derived"),
    ("full.I.2.3", "REG"): ("届出人、委託先処理システム、福祉システム（他部署）", "derived"),  # not the terminal
    ("full.I.2.3", "VENDOR"): ("住民記録システム", "derived"),  # the subcontractor's terminal is not a system
    # Ⅱ per file: bands at their boundaries (9,999 and 10,000 people; 3 and 10 items)
    ("full.II.2.2", "REG_FILE"): ("1万人未満", "derived"),
    ("full.II.2.2", "TAX_FILE"): ("1万人以上10万人未満", "derived"),
    ("full.II.2.4", "REG_FILE"): ("10項目未満", "derived"),
    ("full.II.2.4", "TAX_FILE"): ("10項目以上50項目未満", "derived"),
    ("full.II.2.4.main", "REG_FILE"): ("個人番号、その他識別情報（内部番号）、4情報（氏名、性別、生年月日、住所）", "derived"),
    ("full.II.2.4.all", "REG_FILE"): ("別添2を参照", "derived"),
    # 入手元 from the sources' operators (the register's own terminal is no source); 入手方法 from the channels
    ("full.II.3.1", "REG_FILE"): ("本人又は本人の代理人", "derived"),
    ("full.II.3.2", "REG_FILE"): ("紙", "derived"),
    ("full.II.3.1", "TAX_FILE"): ("評価実施機関内の他部署、地方公共団体・地方独立行政法人", "derived"),
    ("full.II.3.2", "TAX_FILE"): ("電子メール、庁内連携システム", "derived"),  # the choice set's order
    # 委託: one 委託事項 (the contractor-run system), its subcontractor
    ("full.II.4", "REG_FILE"): ("委託する", "derived"),
    ("full.II.4.count", "REG_FILE"): ("1件", "derived"),
    ("full.II.4.item", "VENDOR"): ("委託先処理システム", "derived"),
    ("full.II.4.2", "VENDOR"): ("住民記録ファイル", "derived"),
    ("full.II.4.2.population", "VENDOR"): ("1万人未満", "derived"),
    ("full.II.4.4", "VENDOR"): ("専用線", "derived"),
    ("full.II.4.7", "VENDOR"): ("再委託する", "derived"),
    ("full.II.4.9", "VENDOR"): (PENDING_JA, "missing"),  # the terminal says not what it does: no name instead
    ("full.II.4.6", "VENDOR"): (PENDING_JA, "missing"),  # 委託先名: document-only
    ("full.II.4", "TAX_FILE"): ("委託しない", "derived"),
    ("full.II.4.count", "TAX_FILE"): ("0件", "derived"),
    # 提供・移転: a transfer to another department's system; two recipients of the tax file
    ("full.II.5", "REG_FILE"): ("移転を行っている", "derived"),
    ("full.II.5.recipient", "WELFARE"): ("福祉システム（他部署）", "derived"),
    ("full.II.5.3", "WELFARE"): ("住民記録ファイル（個人番号、4情報（氏名・性別・生年月日・住所）、住民票コード）", "derived"),
    ("full.II.5.6", "WELFARE"): ("その他（庁内連携）", "derived"),  # 庁内連携 is no 提供・移転方法 choice
    ("full.II.5", "TAX_FILE"): ("提供を行っている", "derived"),
    ("full.II.5.count", "TAX_FILE"): ("2件", "derived"),
    ("full.II.5.recipient", "OTHER_CITY"): ("他市システム", "derived"),
    ("full.II.5.6", "OTHER_CITY"): ("その他（LGWAN）", "derived"),  # LGWAN, not its substring LAN
    ("full.II.5.recipient", "NATIONAL"): ("国の機関のシステム", "derived"),
    ("full.II.5.4", "NATIONAL"): ("1万人以上10万人未満", "derived"),
    ("full.II.5.6", "NATIONAL"): ("電子記録媒体", "derived"),
    ("full.II.5.1", "NATIONAL"): (PENDING_JA, "missing"),  # 法令上の根拠: document-only
    # 保管場所: the holders, their zones and operators
    ("full.II.6.1", "REG_FILE"): ("住民記録システム（庁内ネットワーク、市）\n委託先処理システム（委託先データセンター、委託先）",
                                  "derived"),
    ("full.II.6.1", "TAX_FILE"): ("税務システム（庁内ネットワーク、市）", "derived"),
    ("full.II.6.2", "TAX_FILE"): (PENDING_JA, "missing"),
    ("full.A2.items", "REG_FILE"): ("1. 個人番号\n2. 4情報（氏名・性別・生年月日・住所）\n3. 住民票コード", "derived"),
    # Ⅲ: answered sub-measures, a text sub-measure from the controls naming it, ratings, other risks
    ("full.III.use-2.user-auth", ""): ("行っている", "model"),
    ("full.III.use-2.other", ""): ("・アクセス制御（実施済み）", "derived"),
    ("full.III.use-2.rating", ""): ("十分である", "model"),
    ("full.III.use-1.rating", ""): (PENDING_JA, "missing"),
    ("full.III.outsource.rating", ""): ("課題が残されている", "model"),
    ("full.III.2.other", ""): ("入手の際のその他のリスク対策（テスト）", "model"),
    ("full.III.4.declared.outsource", ""): ("☐", "model"),
    ("full.III.6.declared.network_acquire", ""): ("☑", "model"),
    ("full.III.6.declared.network_provide", ""): ("☑", "model"),
    ("full.III.retain-1.serious-incident", ""): ("発生なし", "model"),
    ("full.IV.1.2", ""): ("十分に行っている", "model"),
    ("full.IV.1.2.detail", ""): ("・監査（実施済み）", "derived"),
    # Ⅵ
    ("full.VI.1.2", ""): ("基礎項目評価の実施が義務付けられる", "derived"),
    ("full.VI.2.2", ""): ("令和7年1月10日～令和7年2月8日（30日間）", "derived"),  # both ends counted
    ("full.VI.2.4", ""): ("なし", "derived"),  # comments: 0
    ("full.A3", ""): ("3件", "derived"),  # F8 is filed under two items: ⑥提供・移転方法 and 提供先・移転先
    ("full.cover.approval", ""): ("", "empty_declared"),  # 【行政機関等のみ】
}


@pytest.mark.parametrize("key", list(EXPECTED), ids=[f"{i}[{u}]" for i, u in EXPECTED])
def test_small_model_answers_as_written_by_hand(full, key):
    row = _at(full, *key)
    assert (row["answer"], row["status"]) == EXPECTED[key]


def test_the_outsourcing_block_controls_cover_the_block(full):
    # the controls of the 委託 block: any control mitigating outsource-1…5; C2 is planned
    row = _at(full, "full.III.outsource.other")
    assert row["status"] == "missing"  # a text sub-measure no control names
    focused = assessment_answers(load_model(SMALL), form="focused")
    assert _at(focused, "focused.III.outsource.measures")["answer"] == "・委託契約の特記事項（計画中）"


def test_bands_keep_the_count_behind_them(full):
    assert _at(full, "full.II.2.2", "REG_FILE")["detail"] == "9,999人"
    assert _at(full, "full.II.2.4", "TAX_FILE")["detail"] == "10項目"


def test_main_record_items_name_what_fell_into_other(full):
    row = _at(full, "full.II.2.4.main", "TAX_FILE")
    assert row["chosen"][-1] == "その他"
    assert row["detail"] == "その他に当たる項目: 口座情報"  # 所得, 扶養: 地方税関係
    assert set(row["chosen"]) <= set(row["choices"])


def test_subcontracting_follows_the_subcontractors_flow(small):
    without = small.replace(flows=small.flows.loc[small.flows["flow_id"] != "F6"].reset_index(drop=True))
    a = assessment_answers(without, form="full")
    assert _at(a, "full.II.4.7", "VENDOR")["answer"] == "再委託しない"
    # with no subcontracting, 再委託の許諾方法 and 再委託事項 are empty, not 【要記入】
    for item in ("full.II.4.8", "full.II.4.9"):
        assert (_at(a, item, "VENDOR")[["answer", "status"]].tolist()) == ["", "empty_declared"]


def test_outsourcing_csv_groups_the_units_and_fills_its_items(small):
    outsourcing = pd.DataFrame([{"outsourcing_id": "OS1", "name_ja": "住民記録の電算処理", "covers": ["VENDOR", "F5"],
                                 "content": "住民記録の処理", "contractor_name": "株式会社テスト", "contractor_handlers": 50,
                                 "source": "assumption: test"}])
    a = assessment_answers(_with(small, outsourcing=outsourcing), form="full")
    titles = a.loc[a["item_id"] == "full.II.4.item", ["unit", "answer"]].values.tolist()
    assert titles == [["OS1", "住民記録の電算処理"]]
    assert _at(a, "full.II.4.6", "OS1")[["answer", "status"]].tolist() == ["株式会社テスト", "document"]
    assert _at(a, "full.II.4.3", "OS1")["answer"] == "50人以上100人未満"  # 50: the lower edge is inclusive
    assert _at(a, "full.II.4.7", "OS1")["answer"] == "再委託する"


@pytest.mark.parametrize(("users", "band"), [(9, "10人未満"), (10, "10人以上50人未満"), (499, "100人以上500人未満"),
                                             (500, "500人以上1,000人未満"), (999, "500人以上1,000人未満"),
                                             (1000, "1,000人以上")])
def test_user_count_bands_at_their_boundaries(small, users, band):
    details = pd.DataFrame([{"file_id": "REG_FILE", "user_count": users, "source": "assumption: test"}])
    a = assessment_answers(_with(small, file_details=details), form="full")
    assert _at(a, "full.II.3.7.users", "REG_FILE")[["answer", "status"]].tolist() == [band, "document"]


@pytest.mark.parametrize(("retention", "answer", "status"), [
    (5, "5年", "document"), (6, "6年以上10年未満", "document"), (20, "20年以上", "document"),
    ("定められていない", "定められていない", "document"), ("not set", "定められていない", "document"),
    (None, PENDING_JA, "missing"),  # empty is 【要記入】, not 定められていない
])
def test_retention_three_states(small, retention, answer, status):
    details = pd.DataFrame([{"file_id": "TAX_FILE", "retention": retention, "source": ""}])
    a = assessment_answers(_with(small, file_details=details), form="full")
    assert _at(a, "full.II.6.2", "TAX_FILE")[["answer", "status"]].tolist() == [answer, status]


def test_document_data_fills_doc_items(small):
    m = _with(small, document={"disclosure.office": "テスト市 市民課", "inquiry": {"contact": "市民課 000-0000"},
                               "population_counted_on": pd.Timestamp("2025-03-31").date()})
    a = assessment_answers(m, form="full")
    assert _at(a, "full.V.1.1")[["answer", "status"]].tolist() == ["テスト市 市民課", "document"]
    assert _at(a, "full.V.2.1")["answer"] == "市民課 000-0000"  # nested keys too
    basic = assessment_answers(m, form="basic")
    assert _at(basic, "basic.II.1.counted_on")["answer"] == "令和7年3月31日"  # 和暦, as the form


def test_system_functions_from_the_systems_column(small):
    systems = small.systems.assign(functions=["住民記録の管理", "", "", "", "", "", "", "", ""])
    a = assessment_answers(small.replace(systems=systems), form="full")
    assert _at(a, "full.I.2.2", "REG")[["answer", "status"]].tolist() == ["住民記録の管理", "document"]
    assert _at(a, "full.I.2.2", "TAX")["status"] == "missing"


def test_form_answers_override_any_item(small):
    overrides = pd.DataFrame([
        {"item_id": "full.II.3.1", "unit": "TAX_FILE", "answer": "本人又は本人の代理人", "source": "analyst"},
        {"item_id": "full.II.2.2", "unit": "REG_FILE", "answer": 120000, "source": "analyst"},
        {"item_id": "full.I.1.2", "unit": "", "answer": "住民記録の事務", "source": "analyst"},
    ])
    a = assessment_answers(_with(small, form_answers=overrides), form="full")
    row = _at(a, "full.II.3.1", "TAX_FILE")
    assert row[["answer", "status", "source", "filled_from"]].tolist() == [
        "本人又は本人の代理人", "override", "analyst", "form_answers.csv"]
    assert row["chosen"] == ["本人又は本人の代理人"]
    assert _at(a, "full.II.2.2", "REG_FILE")["answer"] == "10万人以上100万人未満"  # a number is banded
    assert _at(a, "full.I.1.2")["answer"] == "住民記録の事務"
    assert _at(a, "full.II.3.1", "REG_FILE")["status"] == "derived"  # the other file keeps its derivation


def test_a_declared_out_stage_has_no_risk_rows(full):
    network = full.loc[full["item_id"].str.startswith(("full.III.network-", "full.III.6."))]
    answered = network.loc[network["status"] != ""]
    checks = answered["kind"] == "check"
    assert (answered.loc[checks, "answer"] == "☑").all()
    assert (answered.loc[~checks, "status"] == "empty_declared").all()
    assert (answered.loc[~checks, "answer"] == "").all()


def test_change_rows_against_the_previous_version(full):
    rows = full.loc[full["section"] == "別添3"]
    changes = rows.loc[rows["unit"] != ""].pivot(index="unit", columns="item_id", values="answer")
    assert changes.to_dict("records") == [
        {"full.A3.date": "令和7年4月1日", "full.A3.item": "Ⅱ 2 基本情報 (②対象となる本人の数 ④記録される項目)（住民記録ファイル）",
         "full.A3.before": "記録される人数：9,000人（1万人未満）", "full.A3.after": "記録される人数：9,999人（1万人未満）",
         "full.A3.timing": "事後",
         "full.A3.timing_note": "評価書の修正（その他の変更）: 重要な変更に当たらないため、変更後に提出し公表する"},
        {"full.A3.date": "令和7年4月1日", "full.A3.item": "Ⅱ 5 特定個人情報の提供・移転 ⑥提供・移転方法（税務システム → 国の機関のシステム）",
         "full.A3.before": "記載なし",
         "full.A3.after": "税務システム → 国の機関のシステム（段階：提供・移転／運ぶファイル：税務ファイル／暗号化されているか：はい）",
         "full.A3.timing": "事前",
         "full.A3.timing_note": "重要な変更（特定個人情報の新たな流れ）: 変更前に評価を再実施し、提出する"},
        # the new flow to the national agency is a new 提供先 too (new-recipient): a row for that item
        {"full.A3.date": "令和7年4月1日", "full.A3.item": "Ⅱ 5 特定個人情報の提供・移転 提供先・移転先（税務システム → 国の機関のシステム）",
         "full.A3.before": "記載なし",
         "full.A3.after": "税務システム → 国の機関のシステム（段階：提供・移転／運ぶファイル：税務ファイル／暗号化されているか：はい）",
         "full.A3.timing": "事前",
         "full.A3.timing_note": "重要な変更（提供先・移転先の追加）: 変更前に評価を再実施し、提出する"},
    ]


def test_without_a_previous_version_there_are_no_change_rows(small):
    first = load_model(MODELS / "assessment-v1")
    a = assessment_answers(first, form="basic")
    assert _at(a, "basic.changes")[["answer", "detail"]].tolist() == ["なし", "前の版（model.yaml previous）がない"]
    assert not (a["unit_kind"] == "change").any()


def test_a_scenario_change_shows_in_the_change_rows(small):
    # the round trip: change one control, regenerate, (別添3) lists exactly that change
    controls = small.controls.copy()
    controls.loc[controls["control_id"] == "C2", "status"] = "implemented"
    changed = small.replace(controls=controls)
    a = assessment_answers(changed, form="full", previous=small)
    items = a.loc[a["item_id"] == "full.A3.item", "answer"].tolist()
    assert len(items) == 1 and items[0].endswith(f"（{small.element_name('C2')}）") and "C2" not in items[0]
    assert _at(a, "full.A3.before", "1")["answer"] == "状況：予定"
    assert _at(a, "full.A3.after", "1")["answer"] == "状況：実施済み"


def test_a_recipient_of_two_files_is_given_only_the_blocks_file_in_each_block(small):
    # Ⅱ 5 ③ is per file: the national system receiving both files lists the register file in the register's
    # block and the tax file in the tax block, never both in one
    extra = pd.DataFrame([{**small.flows.iloc[0].to_dict(), "flow_id": "F99", "source": "REG", "target": "NATIONAL",
                           "files": ["REG_FILE"], "stage": "provide", "channel": "LGWAN"}])
    a = assessment_answers(small.replace(flows=pd.concat([small.flows, extra], ignore_index=True)), form="full")
    register = _at(a, "full.II.5.3", "NATIONAL", parent_unit="REG_FILE")["answer"]
    tax = _at(a, "full.II.5.3", "NATIONAL", parent_unit="TAX_FILE")["answer"]
    assert register.startswith("住民記録ファイル（") and "税務ファイル" not in register
    assert tax.startswith("税務ファイル") and "住民記録ファイル" not in tax
    assert _at(a, "full.II.5.4", "NATIONAL", parent_unit="REG_FILE")["answer"] == "1万人未満"  # that file's records


def test_a_changed_answer_per_unit_shows_in_the_change_rows_as_item_at_unit(small):
    # form_answers.csv is keyed by item and unit: the 別添3 row names both, so a per-file override is findable
    before = pd.DataFrame([
        {"item_id": "full.II.3.1", "unit": "TAX_FILE", "answer": "本人又は本人の代理人", "source": "analyst"},
        {"item_id": "full.II.3.1", "unit": "REG_FILE", "answer": "本人又は本人の代理人", "source": "analyst"}])
    after = before.copy()
    after.loc[0, "answer"] = "評価実施機関内の他部署"
    a = assessment_answers(_with(small, form_answers=after), form="full",
                           previous=_with(small, form_answers=before))
    items = a.loc[a["item_id"] == "full.A3.item", "answer"].tolist()
    assert items == ["Ⅱ 3 特定個人情報の入手・使用 ①入手元（税務ファイル）"]
    assert _at(a, "full.A3.before", "1")["answer"] == "本人又は本人の代理人"
    assert _at(a, "full.A3.after", "1")["answer"] == "評価実施機関内の他部署"
    assert _at(a, "full.A3.timing", "1")["answer"] == "事前"  # 入手元 is an item of 重要な変更


def test_retention_not_set_in_any_word_reads_as_the_loaders_value(small):
    # the loader reads 定められていない / 定めなし / not set as NOT_SET; an override in any of them bands the same
    for word in (*NOT_SET_WORDS, NOT_SET):
        overrides = pd.DataFrame([{"item_id": "full.II.6.2", "unit": "REG_FILE", "answer": word, "source": "a"}])
        a = assessment_answers(_with(small, form_answers=overrides), form="full")
        assert _at(a, "full.II.6.2", "REG_FILE")["answer"] == "定められていない", word


def test_forms_auto_follow_the_threshold(small, kitakyushu):
    assert assessment_answers(small)["form"].unique().tolist() == ["basic"]
    assert assessment_answers(kitakyushu)["form"].unique().tolist() == ["basic", "full"]
    with pytest.raises(InvalidArgumentError, match="form must be"):
        assessment_answers(small, form="complete")


def test_basic_form_threshold_items(small):
    a = assessment_answers(small, form="basic")
    assert _at(a, "basic.II.1")[["answer", "detail"]].tolist() == ["1,000人以上1万人未満", "9,999人"]
    assert _at(a, "basic.II.2")["answer"] == "500人未満"
    assert _at(a, "basic.II.3.1")["answer"] == "発生なし"
    assert _at(a, "basic.III")["answer"] == "基礎項目評価の実施が義務付けられる"
    assert _at(a, "basic.IV.1")["answer"] == "基礎項目評価書及び全項目評価書"  # procedure.assessment_form: full
    # optional rows the model does not answer are kept but not shown
    row = _at(a, "basic.IV.manual_work")
    assert (row["show"], row["status"]) == (False, "empty_declared")


def test_completeness_counts_the_answers(full):
    c = assessment_completeness(full)
    total = c.loc[c["section"] == "計"].iloc[0]
    items = full.loc[(full["status"] != "") & full["show"] & (full["kind"] != "repeat")]
    changes = items.loc[items["unit_kind"] == "change"]  # the 別添3 rows: counted apart
    items = items.loc[items["unit_kind"] != "change"]
    assert total["items"] == len(items) and total["change_rows"] == changes["unit"].nunique() == 3
    for status in ANSWER_STATUSES:
        assert total[status] == (items["status"] == status).sum()
    section2 = c.loc[c["section"] == "Ⅱ"].iloc[0]
    assert "⑥ 委託先名 [VENDOR] ← outsourcing.csv contractor_name" in section2["missing_items"].splitlines()
    assert "⑥ 事務担当部署 [REG_FILE] ← file_details.csv department" in section2["missing_items"].splitlines()
    assert c["section"].tolist()[:3] == ["表紙", "Ⅰ", "別添1"]


def test_completeness_refuses_another_frame():
    with pytest.raises(InvalidArgumentError, match="answers lack"):
        assessment_completeness(pd.DataFrame({"form": []}))


# ---------------------------------------------------------------------------------------------------------------
# the bundled model: every item of each form, in order


def _layout_order_kept(answers: pd.DataFrame, form: str) -> None:
    layout = form_layout(form)
    rows = answers.loc[answers["form"] == form]
    # every item appears, except the blocks of units the model has none of (委託事項 of a file without outsourcing)
    repeat_units = {"outsourcing", "recipient", "change"}
    blocks = layout.loc[layout["repeat"].isin(repeat_units), "item_id"]
    missing = set(layout["item_id"]) - set(rows["item_id"]) - set(blocks)
    assert not missing
    # the order of first appearance within each unit follows the layout's order
    position = dict(zip(layout["item_id"], layout["order"]))
    for _unit, group in rows.groupby(["unit", "parent_unit"], sort=False):
        orders = [position[i] for i in group["item_id"]]
        assert orders == sorted(orders)
    # the items in the order they first appear: the form's order (blocks repeat, but never run backwards)
    first = [position[i] for i in dict.fromkeys(rows["item_id"])]
    assert first == sorted(first)


@pytest.mark.parametrize("form", FORMS)
def test_kitakyushu_every_item_present_in_order(kitakyushu, form):
    answers = assessment_answers(kitakyushu, form=form)
    assert list(answers.columns) == ANSWER_COLUMNS
    _layout_order_kept(answers, form)
    assert set(answers["status"]) <= {"", *ANSWER_STATUSES}
    assert (answers.loc[answers["status"] == "missing", "answer"] == PENDING_JA).all()
    assert not answers["filled_from"].loc[answers["status"] != ""].eq("").any()


@pytest.mark.parametrize("form", FORMS)
def test_kitakyushu_each_choice_item_has_one_answer_or_is_missing(kitakyushu, form):
    answers = assessment_answers(kitakyushu, form=form)
    answered = answers.loc[answers["status"].isin(["derived", "model", "document", "override"])]
    single = answered.loc[answered["kind"].isin(["choice", "band", "rated"])
                          | (answered["kind"] == "sub_measure") & answered["choices"].map(bool)]
    for row in single.itertuples():
        assert len(row.chosen) == 1 and row.chosen[0] in row.choices, (row.item_id, row.unit, row.chosen)
    multi = answered.loc[answered["kind"] == "multi_choice"]
    for row in multi.itertuples():
        assert row.chosen and set(row.chosen) <= set(row.choices), (row.item_id, row.unit, row.chosen)


def test_kitakyushu_the_outsourcing_block_has_one_rating(kk_answers):
    for form, item in (("full", "full.III.outsource.rating"), ("basic", "basic.IV.outsource")):
        rows = kk_answers.loc[(kk_answers["form"] == form) & (kk_answers["item_id"] == item)]
        assert len(rows) == 1 and rows.iloc[0]["answer"] == "十分である"
    labels = kk_answers.loc[kk_answers["item_id"].str.startswith("full.III.outsource"), "kind"]
    assert (labels == "rated").sum() == 1


def test_kitakyushu_a_declared_out_stage_shows_no_risk_rows(kitakyushu):
    declared = kitakyushu.replace(meta={**kitakyushu.meta, "declared_not_applicable": ["outsource"]})
    a = assessment_answers(declared, form="full")
    assert _at(a, "full.III.4.declared.outsource")["answer"] == "☑"
    block = a.loc[a["item_id"].str.startswith(("full.III.outsource", "full.III.4.other")) & (a["status"] != "")]
    assert len(block) == 10 and (block["status"] == "empty_declared").all() and (block["answer"] == "").all()
    basic = assessment_answers(declared, form="basic")
    assert _at(basic, "basic.IV.outsource")["status"] == "empty_declared"


def test_kitakyushu_derivations(kk_answers):
    full = kk_answers.loc[kk_answers["form"] == "full"]
    assert _at(full, "full.II.3.1", "JUKI_FILE")["answer"] == "本人又は本人の代理人"
    assert _at(full, "full.II.3.2", "HONNIN_FILE")["answer"] == "専用線"
    outsourcing = full.loc[full["item_id"] == "full.II.4.item", "unit"].tolist()
    assert outsourcing == ["CONVENIENCE", "SYSTEM_SUPPORT"]  # outsourcing.csv's rows, in its order
    assert _at(full, "full.II.4.7", "SYSTEM_SUPPORT")["answer"] == "再委託する"  # covers the subcontractor's terminal
    assert _at(full, "full.II.4.7", "CONVENIENCE")["answer"] == "再委託しない"
    assert full.loc[full["item_id"] == "full.II.5.recipient", "unit"].tolist() == [
        "ATENA", "PREF_SRV", "OTHER_CS", "CARD_MGMT"]
    # J-LIS's own servers pass the data on among themselves: not the city's provision
    assert "NATIONAL_SRV" not in set(full.loc[full["item_id"] == "full.II.5.recipient", "unit"])
    assert _at(full, "full.VI.2.2")["answer"] == "令和3年9月10日～令和3年10月8日（29日間）"


def test_kitakyushu_answers_are_deterministic_and_fast(kitakyushu):
    start = time.perf_counter()
    first = assessment_answers(kitakyushu)
    elapsed = time.perf_counter() - start
    second = assessment_answers(kitakyushu)
    pd.testing.assert_frame_equal(first, second)
    # the budget is 5 s for the whole document, writing included; the answers take about 1 s
    assert elapsed < 5, f"assessment_answers took {elapsed:.2f} s"


# ---------------------------------------------------------------------------------------------------------------
# the catalogue tables the derivations read


def test_fill_keys_cover_the_documented_vocabulary():
    readme = (Path(catalog.__file__).with_name("README.md")).read_text(encoding="utf-8")
    documented = set(re.findall(r"^- `((?:derive|doc):[a-z_0-9]+)`", readme, re.M))
    table = catalog.read_table("fill_keys.csv")
    assert set(table["key"]) == documented
    assert not table["model_place"].eq("").any()
    places = table.loc[table["key"].str.startswith("doc:"), "model_place"].str.partition(":")[0]
    assert set(places) <= {"document", "procedure", "file_details", "outsourcing", "recipients", "systems"}


def test_every_derive_key_has_its_derivation():
    from pia_analysis.outputs import assessment_answers as module

    used = {f.partition(":")[2] for form in FORMS for f in form_layout(form)["fill"] if f.startswith("derive:")}
    assert used <= set(module._DERIVE)
    for key in used:
        assert module._DERIVE[key].__doc__, key


def test_channel_keyword_methods_are_choices_of_their_sets():
    keywords = catalog.read_table("channel_keywords.csv")
    sets = catalog.choice_sets()
    for column in ("acquisition_method", "provision_method"):
        labels = set(sets.loc[sets["choice_set"] == column, "label_ja"])
        used = set(keywords[column]) - {""}
        assert used <= labels, used - labels
    assert not keywords["keyword"].duplicated().any()


def test_acquisition_source_rules_name_operators_and_choices():
    rules = catalog.read_table("acquisition_source_rules.csv")
    sets = catalog.choice_sets()
    assert set(rules["operator"]) <= set(OPERATORS)
    assert set(rules["choice"]) <= set(sets.loc[sets["choice_set"] == "acquisition_source", "label_ja"])


@pytest.mark.parametrize("band_set", ["population", "users", "record_items", "retention", "basic_population",
                                      "basic_handlers"])
def test_the_cached_band_labels_agree_with_band_of_at_every_edge(small, band_set):
    from pia_analysis.catalog.layout import band_of, bands
    from pia_analysis.outputs.assessment_answers import _Context

    ctx = _Context(small, "full", None)
    table = bands(band_set)
    edges = {int(v) for col in ("lower", "upper") for v in table[col].dropna()}
    for value in sorted({0, *edges, *(e - 1 for e in edges if e), *(e + 1 for e in edges)}):
        assert ctx.band_label(band_set, value) == band_of(band_set, value), (band_set, value)
    if (table["interval"] == "").any():
        assert ctx.band_label(band_set, None) == band_of(band_set, None)


def test_a_thousand_system_model_is_answered_in_time():
    from pia_analysis import synthetic_model

    model = synthetic_model(90)  # 999 systems, 270 files with My Numbers
    start = time.perf_counter()
    answers = assessment_answers(model)
    elapsed = time.perf_counter() - start
    # the budget is 30 s for the documents of a 1,000-system model; the answers take about 3 s
    assert elapsed < 30, f"{elapsed:.1f} s"
    assert answers.loc[answers["item_id"] == "full.II", "unit"].nunique() == 270


def test_overrides_of_multi_choice_and_outsourcing_units(small):
    overrides = pd.DataFrame([
        {"item_id": "full.II.3.2", "unit": "TAX_FILE", "answer": "紙;電子メール", "source": "analyst"},
        # a derived 委託事項 is named by its contractor-run system or by its outsource flow
        {"item_id": "full.II.4.6", "unit": "F5", "answer": "株式会社テスト", "source": "analyst"},
    ])
    a = assessment_answers(_with(small, form_answers=overrides), form="full")
    row = _at(a, "full.II.3.2", "TAX_FILE")
    assert (row["answer"], row["chosen"], row["status"]) == ("紙、電子メール", ["紙", "電子メール"], "override")
    assert _at(a, "full.II.4.6", "VENDOR")[["answer", "status"]].tolist() == ["株式会社テスト", "override"]


@pytest.mark.parametrize(("retention", "answer"), [("5年", "5年"), ("定めなし", "定められていない")])
def test_retention_as_written(small, retention, answer):
    details = pd.DataFrame([{"file_id": "TAX_FILE", "retention": retention, "source": ""}])
    a = assessment_answers(_with(small, file_details=details), form="full")
    assert _at(a, "full.II.6.2", "TAX_FILE")["answer"] == answer


def test_depth_follows_the_layout(full):
    assert _at(full, "full.II", "REG_FILE")["depth"] == 0
    assert _at(full, "full.II.3", "REG_FILE")["depth"] == 1
    assert _at(full, "full.II.3.7.users", "REG_FILE")["depth"] == 3


def test_a_model_without_my_number_files_leaves_the_file_block_to_fill(small):
    files = small.files.assign(contains_my_number=False)
    a = assessment_answers(small.replace(files=files), form="full", previous=small)
    block = a.loc[a["item_id"].str.startswith("full.II") & (a["status"] != "")]
    assert set(block["unit"]) == {""}  # written once, without a unit
    assert (block.loc[block["item_id"] == "full.II.2.2", "answer"] == PENDING_JA).all()
    assert _at(a, "full.I.3")["answer"] == PENDING_JA


def test_a_risks_measures_in_the_full_form_come_from_the_controls_that_mitigate_it(small, full):
    """全項目 Ⅲ リスクに対する措置の内容: as the 重点 form, from the controls whose mitigates names the risk."""
    row = _at(full, "full.III.use-3.measures")
    names = [n for n, m in zip(small.controls["name_ja"], small.controls["mitigates"]) if "use-3" in (m or [])]
    assert row["status"] == "derived" and names
    assert [line[1:].rsplit("（", 1)[0] for line in row["answer"].splitlines()] == names
    assert row["source"].startswith("controls ")
    pending = _at(full, "full.III.use-4.measures")
    assert pending["status"] == "missing"
    assert pending["filled_from"] == "sub_measures.csv use-4.measures; controls.csv mitigates use-4"
    c = assessment_completeness(full)
    assert "controls.csv mitigates use-4" in c.loc[c["section"] == "Ⅲ", "missing_items"].iloc[0]


def test_the_storage_place_names_the_bodys_own_systems_by_its_own_word():
    """保管場所 of a 町's systems says 町, never 市 (the organisation kind's word; others 委託先, J-LIS …)."""
    town = load_model(MODELS / "town")
    answers = assessment_answers(town, form="full")
    places = "\n".join(answers.loc[answers["item_id"] == "full.II.6.1", "answer"])
    assert "、町）" in places and "、市）" not in places and "、J-LIS）" in places


def test_the_change_rows_are_counted_apart_from_the_items_filled(small):
    """別添3's rows are not items the model fills: the share filled is that of the model without a previous version."""
    alone = small.replace(meta={k: v for k, v in small.meta.items() if k != "previous"})
    with_changes = assessment_completeness(assessment_answers(small, form="basic"))
    without = assessment_completeness(assessment_answers(alone, form="basic"))
    total = with_changes.loc[with_changes["section"] == "計"].iloc[0]
    assert total["change_rows"] == (assessment_answers(small, form="basic")["item_id"] == "basic.changes.item").sum() > 0
    assert without.loc[without["section"] == "計", "change_rows"].iloc[0] == 0
    columns = ["section", "items", "model", "derived", "missing", "filled_share"]
    pd.testing.assert_frame_equal(with_changes[columns], without[columns])


def test_every_banded_number_carries_its_unit(small, kk_answers):
    """A band's detail gives the value with its unit (（25人）, （7年）), read from the model or derived alike."""
    details = pd.DataFrame([{"file_id": "REG_FILE", "user_count": 25, "source": "assumption: test"},
                            {"file_id": "TAX_FILE", "retention": 7, "source": "assumption: test"}])
    a = assessment_answers(_with(small, file_details=details), form="full")
    assert _at(a, "full.II.3.7.users", "REG_FILE")["detail"] == "25人"
    assert _at(a, "full.II.6.2", "TAX_FILE")["detail"] == "7年"
    bands = pd.concat([a, kk_answers]).query("kind == 'band' and detail != ''")["detail"]
    numbers = bands[bands.str.match(r"^[\d,]+")]
    assert len(numbers) > 5 and numbers.str.fullmatch(r"[\d,]+(人|年|項目)").all()


def test_income_and_dependants_are_local_tax_information_and_income_tax_national():
    """A 個人住民税 file's 所得, 扶養, 給与収入, 源泉徴収税額 are 地方税関係 (not その他); 所得税 stays 国税関係."""
    from pia_analysis.catalog.layout import record_item_category

    assert [record_item_category(i) for i in ("所得", "扶養", "給与収入", "源泉徴収税額", "所得税")] == [
        "local_tax", "local_tax", "local_tax", "local_tax", "national_tax"]


def test_dates_are_printed_in_japanese_era_as_the_form(full):
    """Every date the document prints is 和暦 (令和7年4月1日), never ISO."""
    assert _at(full, "full.A3.date", "1")["answer"] == "令和7年4月1日"
    printed = "\n".join(full["answer"].astype(str))
    assert not re.search(r"\d{4}-\d{2}-\d{2}", printed)


def test_what_is_subcontracted_is_what_the_subcontractors_systems_do(small):
    """再委託事項: the subcontractor-run systems' functions, never a system's name (【要記入】 without them)."""
    systems = small.systems.copy()
    systems["functions"] = [("住民記録システムの保守作業" if s == "SUBCON" else None) for s in systems["system_id"]]
    a = assessment_answers(small.replace(systems=systems), form="full")
    assert _at(a, "full.II.4.9", "VENDOR")[["answer", "status"]].tolist() == ["住民記録システムの保守作業", "derived"]


def test_a_wrong_outsourcing_unit_is_named_in_good_english(tmp_path):
    import shutil

    from pia_analysis.model.errors import ModelError

    shutil.copytree(SMALL, tmp_path / "m")
    (tmp_path / "m" / "form_answers.csv").write_text("item_id,unit,answer\nfull.II.4.6,NOPE,x\n", encoding="utf-8")
    with pytest.raises(ModelError) as err:
        load_model(tmp_path / "m")
    assert "'NOPE' is not an outsourcing unit of this model" in str(err.value)
