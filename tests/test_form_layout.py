"""The 評価書 layouts as packaged data (issue 15, first step): catalog/form_layout.csv, bands.csv,
record_item_categories.csv, the forms' choice sets, and their readers in ``pia_analysis.catalog.layout``.

The consistency tests read the raw CSV as well as the readers, so an edit of the data that the reader would
paper over (a label copied into the layout, a band edge moved in one place only) still fails here.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest

from pia_analysis import catalog
from pia_analysis.catalog import CatalogError, choice_sets, rated_items, read_table, risk_catalog
from pia_analysis.catalog import layout as layout_module
from pia_analysis.catalog.layout import (FORMS, band_of, bands, form_layout, record_item_categories,
                                         record_item_category)
from pia_analysis.catalog.sub_measures import sub_measure_catalog
from pia_analysis.model.schema import MODEL_KEYS, PROCEDURE_KEYS

README = Path(catalog.__file__).with_name("README.md")
RAW = read_table("form_layout.csv")
KINDS = {"heading", "text", "choice", "multi_choice", "band", "date", "rated", "sub_measure", "check", "table",
         "repeat"}
REPEATS = {"", "file", "system", "outsourcing", "recipient", "change"}


def _vocabulary() -> tuple[dict[str, str], dict[str, str]]:
    """(families with an id placeholder -> line, concrete keys -> line) of the README's fill vocabulary."""
    text = README.read_text(encoding="utf-8").split("### The fill vocabulary", 1)[1]
    families, keys = {}, {}
    for line in text.splitlines():
        if m := re.match(r"- `([a-z_]+):<[a-z_]+>`", line):
            families[m.group(1)] = line
        elif m := re.match(r"- `([a-z_]+:[a-z_.]+)`", line):
            keys[m.group(1)] = line
    return families, keys


# --- the layout table ---------------------------------------------------------------------------------------


def test_each_form_is_an_ordered_tree_of_known_kinds():
    assert RAW["item_id"].is_unique
    for form in FORMS:
        rows = RAW.loc[RAW["form"] == form]
        assert not rows.empty and rows["order"].astype(int).is_unique
        assert rows["order"].astype(int).is_monotonic_increasing  # the file lists each form in the form's order
        assert rows["item_id"].str.startswith(f"{form}.").all()
        seen: set[str] = set()
        for item, parent in zip(rows["item_id"], rows["parent"]):
            assert not parent or parent in seen, f"{item}: parent {parent} is not an earlier row of {form}"
            seen.add(item)
    assert set(RAW["kind"]) <= KINDS and set(RAW["repeat"]) <= REPEATS
    assert set(RAW["confidence"]) <= {"confirmed", "recalled"}
    assert RAW["source"].str.len().gt(0).all() and RAW["form_version"].str.len().gt(0).all()
    assert set(RAW["optional"]) <= {"", "true"}


def test_rows_inside_a_repeated_block_carry_its_unit():
    for form in FORMS:
        rows = RAW.loc[RAW["form"] == form].set_index("item_id")
        for item, row in rows.iterrows():
            if row["kind"] == "repeat":
                assert row["repeat"], f"{item}: a repeat block names its unit"
            parent = row["parent"]
            if parent and rows.at[parent, "repeat"] and row["repeat"] != "change":
                # inside a file block, a row is per file or per a finer unit (委託事項, 提供先)
                assert row["repeat"], f"{item} sits in the {rows.at[parent, 'repeat']} block {parent}"


def test_the_full_form_has_the_sections_of_the_reference_in_order():
    full = form_layout("full")
    assert full["section"].unique().tolist() == ["表紙", "Ⅰ", "別添1", "Ⅱ", "別添2", "Ⅲ", "Ⅳ", "Ⅴ", "Ⅵ", "別添3"]
    top = full.loc[full["parent"] == ""]
    assert top["label_ja"].tolist() == [
        "表紙", "基本情報", "事務の内容", "特定個人情報ファイルの概要", "特定個人情報ファイル記録項目",
        "特定個人情報ファイルの取扱いプロセスにおけるリスク対策", "その他のリスク対策", "開示請求、問合せ", "評価実施手続",
        "（別添3）変更箇所"]
    # the cover and the 別添3 columns as the reference gives them [confirmed]
    by_parent = full.groupby("parent", sort=False)["label_ja"].apply(list)
    assert by_parent["full.cover"] == ["評価書番号", "評価書名", "個人のプライバシー等の権利利益の保護の宣言", "特記事項",
                                       "評価実施機関名", "公表日", "個人情報保護委員会 承認日【行政機関等のみ】"]
    assert by_parent["full.A3"] == ["変更日", "項目", "変更前の記載", "変更後の記載", "提出時期", "提出時期に係る説明"]
    # Ⅱ: the eight headings and items 1–7 of each file block, the 委託 ①–⑨ and 提供先 ①–⑦
    numbers = full.set_index("item_id")["number"]
    assert [numbers[f"full.II.{n}"] for n in range(1, 8)] == [str(n) for n in range(1, 8)]
    assert [numbers[f"full.II.4.{n}"] for n in range(1, 10)] == list("①②③④⑤⑥⑦⑧⑨")
    assert [numbers[f"full.II.5.{n}"] for n in range(1, 8)] == list("①②③④⑤⑥⑦")
    assert [numbers[f"full.II.3.{n}"] for n in range(1, 10)] == list("①②③④⑤⑥⑦⑧⑨")


def test_every_row_has_words_after_the_catalogue_lookup():
    for form in FORMS:
        rows = form_layout(form)
        assert ((rows["label_ja"] != "") | (rows["number"] != "")).all()
        assert (rows.loc[rows["kind"] != "repeat", "label_ja"] != "").all()
        assert (rows["label_en"] != "").all()


def test_choice_and_band_items_name_an_existing_set():
    sets = choice_sets()
    multiple = sets.groupby("choice_set")["multiple"].first()
    band_sets = set(read_table("bands.csv")["band_set"])
    for form in FORMS:
        for row in form_layout(form).itertuples():
            if row.kind in ("choice", "rated", "sub_measure") and row.choice_set:
                assert row.choice_set in multiple.index and not multiple[row.choice_set], row.item_id
            if row.kind in ("choice", "rated"):
                assert row.choice_set, f"{row.item_id}: a choice names its set"
            if row.kind == "multi_choice":
                assert row.choice_set == "record_item_categories" or multiple[row.choice_set], row.item_id
            if row.kind == "band":
                assert row.choice_set in band_sets, row.item_id
            if row.kind in ("text", "date", "heading", "check", "table", "repeat"):
                assert not row.choice_set, row.item_id


def test_section3_reuses_the_catalogue_ids_and_never_copies_their_wording():
    # rows that point into the catalogue leave their words there
    pointed = RAW.loc[(RAW["ref"] != "") & (RAW["form"] == "full")]
    assert (pointed.loc[pointed["kind"].isin(["sub_measure", "check"]), "label_ja"] == "").all()
    catalogue_words = set(sub_measure_catalog()["label_ja"]) | set(risk_catalog()["name_ja"])
    generic = {"リスクに対する措置の内容", "その他の措置の内容"}  # the form's own repeated words, not one row's
    assert not (set(RAW["label_ja"]) & (catalogue_words - generic))


def test_full_section3_lists_every_rated_item_and_sub_measure_exactly_once_in_order():
    full = form_layout("full")
    s3 = full.loc[full["section"] == "Ⅲ"]
    rated_fills = s3.loc[s3["kind"] == "rated", "fill"].str.removeprefix("rated:").tolist()
    items = rated_items()
    assert rated_fills == items.loc[items["section"] == "Ⅲ", "rated_item_id"].tolist()
    subs = s3.loc[s3["kind"] == "sub_measure", "fill"].str.removeprefix("sub_measure:").tolist()
    assert subs == sub_measure_catalog()["sub_measure_id"].tolist()
    s4 = full.loc[full["section"] == "Ⅳ"]
    assert s4.loc[s4["kind"] == "rated", "fill"].tolist() == ["rated:self-check", "rated:audit", "rated:training"]
    # the 委託 block: its five risks as the heading, no リスク number, one rating
    block = s3.loc[s3["item_id"].str.startswith("full.III.outsource")]
    assert (block["kind"] == "rated").sum() == 1
    assert block.loc[block["kind"] == "heading", "ref"].tolist() == [
        "rated:outsource", *(f"risk:outsource-{n}" for n in range(1, 6))]
    assert not block["number"].str.startswith("リスク").any()
    # every stage: its heading, its check boxes, その他のリスク last
    for stage, no in zip(catalog.stages()["stage"], catalog.stages()["stage_no"]):
        children = s3.loc[s3["parent"] == f"full.III.{no}"]
        assert children["item_id"].iloc[-1] == f"full.III.{no}.other"
        assert children["fill"].iloc[-1] == f"other_risk:{stage}"
    checks = s3.loc[s3["kind"] == "check", "fill"].tolist()
    assert checks == ["declaration:outsource", "declaration:provide", "declaration:network_acquire",
                      "declaration:network_provide"]
    labels = full.set_index("item_id")["label_ja"]
    assert labels["full.III.4.declared.outsource"] == "委託しない"
    assert labels["full.III.use-2.user-auth"] == "ユーザ認証の管理"


def test_every_catalogue_reference_in_a_fill_exists():
    rated = set(rated_items()["rated_item_id"])
    subs = set(sub_measure_catalog()["sub_measure_id"])
    declarations = set(catalog.stage_declarations()["declaration"])
    others = set(catalog.stages()["stage"]) | {"other"}
    for fill in RAW["fill"]:
        family, _, key = fill.partition(":")
        allowed = {"rated": rated, "controls": rated, "sub_measure": subs, "declaration": declarations,
                   "other_risk": others, "model": set(MODEL_KEYS), "procedure": set(PROCEDURE_KEYS)}.get(family)
        if allowed is not None:
            assert key in allowed, f"{fill} names nothing"


def test_every_fill_key_is_in_the_documented_vocabulary_and_every_documented_key_is_used():
    families, keys = _vocabulary()
    assert set(families) == {"model", "procedure", "rated", "sub_measure", "declaration", "other_risk", "controls",
                             "fixed"}
    used = set(RAW["fill"]) - {""}
    for fill in used:
        family = fill.partition(":")[0]
        assert family in families or fill in keys, f"{fill} is not in catalog/README.md's fill vocabulary"
        assert family not in ("derive", "doc") or fill in keys, f"{fill} is not listed in catalog/README.md"
    text = "\n".join(keys.values())
    for key in keys:
        # a documented key that no row uses must at least be an input of another key (no stale vocabulary)
        assert key in used or text.count(f"`{key}`") > 1, f"{key} is documented but unused"


def test_the_shorter_forms():
    focused = form_layout("focused")
    assert focused["section"].unique().tolist() == ["表紙", "Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "変更箇所"]
    s3 = focused.set_index("item_id")
    # Ⅲ 8 監査, 9 従業者に対する教育・啓発, 10 その他のリスク対策; Ⅲ7 ② the serious incident [confirmed]
    assert [s3.at[f"focused.III.{n}", "number"] for n in (8, 9, 10)] == ["8", "9", "10"]
    assert s3.at["focused.III.10", "fill"] == "other_risk:other"
    assert s3.loc["focused.III.retain-1.serious-incident", ["number", "label_ja", "fill"]].tolist() == [
        "②", "個人情報に関する重大事故の発生", "sub_measure:retain-1.serious-incident"]
    assert s3.at["focused.III.retain-1.serious-incident", "confidence"] == "confirmed"
    # no public comment, no 第三者点検
    assert not focused["fill"].str.startswith(("procedure:public_comment", "procedure:third_party")).any()
    basic = form_layout("basic").set_index("item_id")
    assert basic.at["basic.II.1", "choice_set"] == "basic_population"
    assert basic.at["basic.II.2", "choice_set"] == "basic_handlers"
    assert basic.at["basic.II.3.1", "fill"] == "model:serious_incident"
    assert "過去1年以内" in basic.at["basic.II.3.1", "label_ja"] and "特定個人情報" in basic.at["basic.II.3.1", "label_ja"]
    assert basic.at["basic.III", "choice_set"] == "threshold_result"
    rated = basic.loc[basic["kind"] == "rated", "fill"].tolist()
    assert rated == ["rated:acquire-1", "rated:use-1", "rated:use-2", "rated:outsource", "rated:provide-1",
                     "rated:network-1", "rated:network-5", "rated:retain-1", "rated:audit", "rated:training"]
    assert basic.index[basic["optional"]].tolist() == ["basic.IV.manual_work", "basic.IV.top_priority"]
    assert (basic.loc[basic["kind"] == "check", "fill"].str.removeprefix("declaration:").tolist()
            == catalog.stage_declarations()["declaration"].tolist())


def test_a_broken_layout_is_a_catalogue_error(monkeypatch):
    def broken(name):
        table = read_table(name)
        if name == "form_layout.csv":
            table.loc[table["item_id"] == "basic.I.1.1", "parent"] = "basic.nowhere"
            table.loc[table["item_id"] == "basic.I.2", "ref"] = "risk:acquire-9"
        return table

    monkeypatch.setattr(layout_module, "read_table", broken)
    with pytest.raises(CatalogError, match="basic.nowhere.*acquire-9|acquire-9.*basic.nowhere"):
        form_layout("basic")
    with pytest.raises(ValueError, match="full, focused, basic"):
        form_layout("zenkoumoku")


# --- the choice sets ---------------------------------------------------------------------------------------


def test_the_forms_choice_sets_are_the_references():
    sets = choice_sets()
    labels = sets.groupby("choice_set", sort=False)["label_ja"].apply(list)
    assert labels["acquisition_source"] == ["本人又は本人の代理人", "評価実施機関内の他部署", "行政機関・独立行政法人等",
                                            "地方公共団体・地方独立行政法人", "民間事業者", "その他"]
    assert labels["acquisition_method"] == ["紙", "電子記録媒体（フラッシュメモリを除く。）", "フラッシュメモリ", "電子メール",
                                            "専用線", "庁内連携システム", "情報提供ネットワークシステム", "その他"]
    assert labels["provision_method"] == ["情報提供ネットワークシステム", "専用線", "電子メール", "電子記録媒体",
                                          "フラッシュメモリ", "紙", "その他"]
    assert labels["file_kind"] == ["システム用ファイル", "その他の電子ファイル（表計算ファイル等）"]
    assert labels["outsourcing_status"] == ["委託する", "委託しない"]
    assert labels["provision_status"] == ["提供を行っている", "移転を行っている", "行っていない"]
    assert labels["submission_timing"] == ["事前", "事後"]
    assert labels["incident"] == ["発生あり", "発生なし"]
    multiple = sets.groupby("choice_set")["multiple"].agg(set)
    assert {name for name, m in multiple.items() if m == {True}} == {
        "acquisition_source", "acquisition_method", "provision_method", "provision_status"}
    assert all(len(m) == 1 for m in multiple)  # a set is multi-select as a whole
    # the forms' own sets report facts: unranked, and no claim that measures are enough
    own = sets.loc[sets["source"].str.contains("a fact, not a level of a measure")]
    assert len(set(own["choice_set"])) == 11 and own["favourable_rank"].isna().all() and not own["sufficient"].any()
    # the threshold result and the forms submitted answer to the codes of thresholds.csv
    codes = set(read_table("thresholds.csv")["code"])
    result = sets.loc[sets["choice_set"] == "threshold_result"]
    assert {a for aliases in result["aliases"] for a in aliases} == codes
    forms = sets.loc[sets["choice_set"] == "submitted_forms"]
    assert [a for aliases in forms["aliases"] for a in aliases] == ["basic", "focused", "full"]


# --- the bands ---------------------------------------------------------------------------------------------

EDGES = {
    "population": [(0, "1万人未満"), (10_000, "1万人以上10万人未満"), (100_000, "10万人以上100万人未満"),
                   (1_000_000, "100万人以上1,000万人未満"), (10_000_000, "1,000万人以上")],
    "users": [(0, "10人未満"), (10, "10人以上50人未満"), (50, "50人以上100人未満"), (100, "100人以上500人未満"),
              (500, "500人以上1,000人未満"), (1000, "1,000人以上")],
    "record_items": [(0, "10項目未満"), (10, "10項目以上50項目未満"), (50, "50項目以上100項目未満"),
                     (100, "100項目以上")],
    "retention": [(0, "1年未満"), (1, "1年"), (2, "2年"), (3, "3年"), (4, "4年"), (5, "5年"), (6, "6年以上10年未満"),
                  (10, "10年以上20年未満"), (20, "20年以上")],
    "basic_population": [(0, "1,000人未満（任意実施）"), (1000, "1,000人以上1万人未満"), (10_000, "1万人以上10万人未満"),
                         (100_000, "10万人以上30万人未満"), (300_000, "30万人以上")],
    "basic_handlers": [(0, "500人未満"), (500, "500人以上")],
}


@pytest.mark.parametrize("band_set", sorted(EDGES))
def test_band_of_is_right_at_every_edge(band_set):
    edges = EDGES[band_set]
    for i, (lower, label) in enumerate(edges):
        assert band_of(band_set, lower) == label
        if i:
            assert band_of(band_set, lower - 1) == edges[i - 1][1]  # the whole number just below the edge
            assert band_of(band_set, lower - 0.001) == edges[i - 1][1]
    assert band_of(band_set, 10**12) == edges[-1][1]
    assert bands(band_set)["label_ja"].tolist()[:len(edges)] == [label for _, label in edges]


def test_the_retention_period_not_set_and_bad_values():
    assert band_of("retention", None) == "定められていない"
    assert band_of("retention", 1.5) == "1年"
    with pytest.raises(ValueError, match="not set"):
        band_of("population", None)
    for bad in (-1, math.nan, True, "10"):
        with pytest.raises(ValueError, match="number >= 0"):
            band_of("users", bad)
    with pytest.raises(ValueError, match="band set"):
        bands("households")


def test_the_basic_bands_take_their_edges_from_the_thresholds_the_one_place():
    raw = read_table("bands.csv")
    basic = raw.loc[raw["band_set"].str.startswith("basic_")]
    assert (basic["lower"] == "").all() and (basic["upper"] == "").all()  # not a second copy of the edges
    thresholds = read_table("thresholds.csv")
    lowers = sorted({int(v) for v in thresholds["population_min"]})
    assert bands("basic_population")["lower"].tolist() == lowers
    assert bands("basic_handlers")["lower"].tolist() == [0, *sorted({int(v) for v in thresholds["handlers_min"] if v})]
    # the band printed for a population is the band the threshold judgment used
    for row in thresholds.itertuples():
        top = int(row.population_max) if row.population_max else 10**9
        assert band_of("basic_population", int(row.population_min)) == band_of("basic_population", top)
        if row.population_max:
            assert band_of("basic_population", top + 1) != band_of("basic_population", top)


def test_a_threshold_edge_moved_moves_the_printed_band(monkeypatch):
    def moved(name):
        table = read_table(name)
        if name == "thresholds.csv":
            table["handlers_min"] = table["handlers_min"].replace("500", "400")
        return table

    monkeypatch.setattr(layout_module, "read_table", moved)
    assert band_of("basic_handlers", 450) == "500人以上"  # the label is the form's: the data now disagree with it
    assert bands("basic_handlers")["lower"].tolist() == [0, 400]


def test_bands_with_a_gap_are_a_catalogue_error(monkeypatch):
    def gap(name):
        table = read_table(name)
        if name == "bands.csv":
            table.loc[(table["band_set"] == "users") & (table["order"] == "3"), "lower"] = "60"
        return table

    monkeypatch.setattr(layout_module, "read_table", gap)
    with pytest.raises(CatalogError, match="users: bands must run from 0 upwards"):
        bands("users")


# --- the record-item categories ----------------------------------------------------------------------------


def test_the_record_item_categories_are_the_references():
    cats = record_item_categories()
    assert cats.groupby("category_ja", sort=False)["item_ja"].apply(list).to_dict() == {
        "識別情報": ["個人番号", "個人番号対応符号", "その他識別情報（内部番号）"],
        "連絡先等情報": ["4情報（氏名、性別、生年月日、住所）", "連絡先（電話番号等）", "その他住民票関係情報"],
        "業務関係情報": ["国税関係", "地方税関係", "健康・医療関係", "医療保険関係", "児童福祉・子育て関係", "障害者福祉関係",
                         "生活保護・社会福祉関係", "介護・高齢者福祉関係", "雇用・労働関係", "年金関係", "学校・教育関係",
                         "災害関係", "その他"]}
    has_keywords = cats["keywords_ja"].str.len().gt(0) & cats["keywords_en"].str.len().gt(0)
    assert cats.loc[~has_keywords, "item_id"].tolist() == ["other"]
    assert set(cats["confidence"]) <= {"confirmed", "recalled"} and cats["source"].str.len().gt(0).all()


def test_the_bundled_files_items_fall_in_the_expected_categories():
    files = pd.read_csv(Path(__file__).resolve().parent.parent / "data/kitakyushu-juki-r3/files.csv", dtype=str)
    got = {item: record_item_category(item) for items in files["items"] for item in items.split(";")}
    assert got == {
        "個人番号": "my_number", "4情報（氏名・性別・生年月日・住所）": "four_items", "住民票コード": "internal_number",
        "医療保険関係情報": "health_insurance", "障害者福祉関係情報": "disability", "児童福祉・子育て関係情報": "child",
        "介護・高齢者福祉関係情報": "care", "年金関係情報": "pension", "学校・教育関係情報": "education",
        "異動履歴": "resident_record", "通知カード及び交付申請書の送付先情報": "contact"}
    assert record_item_category("Health insurance number") == "health_insurance"
    assert record_item_category("") == "other"
