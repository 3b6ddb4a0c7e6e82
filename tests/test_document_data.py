"""The document-only data of the 評価書 in the model contract (issue 15): model.yaml's ``document`` block, the
tables file_details, outsourcing, recipients and form_answers, systems' ``functions`` and the two procedure
keys; read by the one loader (directory and workbook) with located errors, written back unchanged."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from pia_analysis import ModelError, bundled_model_path, load_model, save_model
from pia_analysis.catalog.layout import FORMS, form_layout
from pia_analysis.model.schema import DOCUMENT_KEYS, PROCEDURE_FILLS, PROCEDURE_KEYS, TABLE_BY_NAME, TABLES

DOCUMENT_YAML = """\
document:
  department: 市民文化スポーツ局 戸籍住民課
  population_counted_on: 令和3年4月1日
  disclosure:
    office: 情報公開室
    fee: 無料
  inquiry:
    contact: 戸籍住民課
"""

FILE_DETAILS = """\
file_id,file_kind,purpose,user_count,retention,holding_start,source
JUKI_FILE,システム用ファイル,住民の居住関係の公証,120,定められていない,2015-10-05,minutes p.1
HONNIN_FILE,other,,,5年,,
SOUFU_FILE,,,0,0,,
"""

OUTSOURCING = """\
outsourcing_id,name_ja,covers,contractor_name,contractor_handlers
CONV,証明書のコンビニ交付,CONV_SRV;F17,,
MAINT,住民記録システムの保守,VENDOR_TERM;F20;F21;SUBCON_TERM,,15
"""

RECIPIENTS = """\
system_id,legal_basis,use
PREF_SRV,住民基本台帳法第30条の7,本人確認情報の保存
"""

FORM_ANSWERS = """\
item_id,unit,answer,source
full.II.3.1,JUKI_FILE,本人又は本人の代理人,minutes
full.II.2.2,HONNIN_FILE,932000,
full.II.6.2,JUKI_FILE,定められていない,
full.I.1.2,,事務の内容,
"""


def _model(tmp_path: Path, **files: str) -> Path:
    """The bundled model copied (without previous), with the document data given as file texts."""
    out = tmp_path / "model"
    shutil.copytree(bundled_model_path(), out, ignore=shutil.ignore_patterns("scenarios"))
    yaml_text = (out / "model.yaml").read_text(encoding="utf-8")
    yaml_text = re.sub(r"^previous:.*\n", "", yaml_text, flags=re.M)
    # the bundled model's own document-only data left out: each test gives its own
    yaml_text = yaml_text[: yaml_text.index("\ndocument:")] + "\n" if "\ndocument:" in yaml_text else yaml_text
    for name in ("file_details", "outsourcing", "recipients", "form_answers"):
        (out / f"{name}.csv").unlink(missing_ok=True)
    if "document" in files:
        yaml_text += files.pop("document")
    (out / "model.yaml").write_text(yaml_text, encoding="utf-8")
    for name, text in files.items():
        (out / f"{name}.csv").write_text(text, encoding="utf-8")
    return out


def _problems(path: Path) -> list[str]:
    with pytest.raises(ModelError) as info:
        load_model(path)
    return [str(p) for p in info.value.problems]


def test_every_doc_key_of_the_layouts_has_one_place_in_the_model():
    # the 59 doc: keys of catalog/form_layout.csv: each filled by one document key, procedure key or column
    used = {fill.split(":", 1)[1] for form in FORMS for fill in form_layout(form)["fill"] if fill.startswith("doc:")}
    places = ([fills for _kind, _meaning, fills in DOCUMENT_KEYS.values() if fills]
              + list(PROCEDURE_FILLS.values())
              + [c.fills for t in TABLES for c in t.columns if c.fills])
    assert len(places) == len(set(places)), "a doc: key filled from two places"
    # derive:public_comment_opinions reads doc:public_comment_opinions (catalog/README.md's fill vocabulary)
    readme = (Path(__file__).parents[1] / "pia_analysis" / "catalog" / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"`doc:(\w+)`", readme))
    assert used <= listed and set(places) == listed
    assert set(PROCEDURE_FILLS) <= set(PROCEDURE_KEYS)


def test_absent_document_data_gives_empty_tables_and_block():
    model = load_model(bundled_model_path())
    assert model.document == {} or isinstance(model.document, dict)
    for name in ("file_details", "outsourcing", "recipients", "form_answers"):
        frame = getattr(model, name)
        assert list(frame.columns) == TABLE_BY_NAME[name].column_names
    assert "functions" in model.systems.columns


def test_document_data_is_read_typed_and_kept_by_both_formats(tmp_path):
    path = _model(tmp_path, document=DOCUMENT_YAML, file_details=FILE_DETAILS, outsourcing=OUTSOURCING,
                  recipients=RECIPIENTS, form_answers=FORM_ANSWERS)
    model = load_model(path)
    assert model.document == {"department": "市民文化スポーツ局 戸籍住民課",
                              "population_counted_on": dt.date(2021, 4, 1),
                              "disclosure.office": "情報公開室", "disclosure.fee": "無料",
                              "inquiry.contact": "戸籍住民課"}
    details = model.file_details.set_index("file_id")
    assert details.loc["JUKI_FILE", "file_kind"] == "system" and details.loc["HONNIN_FILE", "file_kind"] == "other"
    # retention: years, not set, and empty (not given) are three different values; 0 years is a value too
    assert details["retention"].tolist() == ["not set", 5, 0]
    # user_count: empty is not given, never 0
    assert details["user_count"].tolist() == [120, None, 0]
    assert details.loc["JUKI_FILE", "holding_start"] == dt.date(2015, 10, 5)
    assert details.loc["HONNIN_FILE", "holding_start"] is None
    assert model.outsourcing.set_index("outsourcing_id").loc["MAINT", "covers"] == [
        "VENDOR_TERM", "F20", "F21", "SUBCON_TERM"]
    # directory → workbook → directory: the same tables and block
    book = save_model(model, tmp_path / "copy.xlsx")
    again = load_model(book)
    back = load_model(save_model(again, tmp_path / "copy"))
    for other in (again, back):
        assert other.document == model.document
        for name in ("file_details", "outsourcing", "recipients", "form_answers", "systems"):
            assert getattr(other, name).equals(getattr(model, name)), name


def test_bad_document_data_is_reported_located_all_at_once(tmp_path):
    bad_yaml = "document:\n  departmnt: x\n  population_counted_on: 2021-02-30\n  disclosure: 情報公開室\n"
    bad_details = ("file_id,file_kind,user_count,retention\n"
                   "NOFILE,紙,-3,five\n"
                   "JUKI_FILE,,12人,20年\n")
    bad_outsourcing = ("outsourcing_id,name_ja,covers\n"
                       "A,a,JUKI_REC;F17\n"
                       "B,b,F17;F01;NOWHERE\n")
    bad_recipients = "system_id,use\nJUKI_TERM,x\nNOWHERE,y\n"
    bad_answers = ("item_id,unit,answer\n"
                   "full.II.9.9,,x\n"
                   "full.II.2.1,JUKI_FILE,紙\n"
                   "full.II.2.1,,システム用ファイル\n"
                   "full.I.1.2,JUKI_FILE,x\n"
                   "full.II.3.7.users,JUKI_FILE,many\n"
                   "full.II.3.7.users,NOFILE,5\n"
                   "full.II.5.1,JUKI_TERM,x\n"
                   "full.III.acquire-1.rating,,十分である\n"
                   "full.cover.approval,,2021-13-01\n")
    path = _model(tmp_path, document=bad_yaml, file_details=bad_details, outsourcing=bad_outsourcing,
                  recipients=bad_recipients, form_answers=bad_answers)
    found = "\n".join(_problems(path))
    expected = [
        r"model\.yaml:\d+: document\.departmnt: unknown key",
        r"model\.yaml:\d+: document\.population_counted_on: .*2021-02-30",
        r"model\.yaml:\d+: document\.disclosure: must be a block of keys",
        r"file_details\.csv:2: file_id: 'NOFILE' is not a known file_id",
        r"file_details\.csv:2: file_kind: '紙' is not one of system, other",
        r"file_details\.csv:2: user_count: '-3' is not a whole number",
        r"file_details\.csv:2: retention: 'five' is not a whole number of years or 定められていない",
        r"file_details\.csv:3: user_count: '12人' is not a whole number",
        r"outsourcing\.csv:2: covers: system 'JUKI_REC' is run by city, not by a contractor",
        r"outsourcing\.csv:3: covers: 'F17' is already covered by another 委託事項 \(line 2\)",
        r"outsourcing\.csv:3: covers: flow 'F01' is not of the outsource stage",
        r"outsourcing\.csv:3: covers: 'NOWHERE' is neither a system_id nor a flow_id",
        r"recipients\.csv:2: system_id: 'JUKI_TERM' is not the target of a provide flow",
        r"recipients\.csv:3: system_id: 'NOWHERE' is not a known system_id",
        r"form_answers\.csv:2: item_id: 'full\.II\.9\.9' is not a layout item",
        r"form_answers\.csv:3: answer: '紙' is not a choice of full\.II\.2\.1",
        r"form_answers\.csv:4: unit: is empty \(hint: full\.II\.2\.1 is written per file",
        r"form_answers\.csv:5: unit: full\.I\.1\.2 is an item of the whole document",
        r"form_answers\.csv:6: answer: 'many' is neither a number of people nor a band of users",
        r"form_answers\.csv:7: unit: 'NOFILE' is not a file unit",
        r"form_answers\.csv:8: unit: 'JUKI_TERM' is not a recipient unit",
        r"form_answers\.csv:9: answer: .*is a rating \(hint: write it in ratings\.csv",
        r"form_answers\.csv:10: answer: .*2021-13-01",
    ]
    for pattern in expected:
        assert re.search(pattern, found), (pattern, found)
    # 20年 is a whole number of years: no problem on line 3's retention
    assert "file_details.csv:3: retention" not in found


def test_form_answer_items_exist_in_the_layout():
    assert "full.III.acquire-1.rating" in set(form_layout("full")["item_id"])


def test_a_my_number_in_document_data_is_refused(tmp_path):
    number = "123456789018"  # a valid check digit (tests/test_hostile_inputs.py uses the same construction)
    from pia_analysis.model.mynumber import find_my_numbers

    assert find_my_numbers(number), "the test number must look like a real My Number"
    path = _model(tmp_path, document=f"document:\n  remarks: 番号 {number}\n",
                  file_details=f"file_id,purpose\nJUKI_FILE,{number}\n")
    found = "\n".join(_problems(path))
    assert re.search(r"model\.yaml:\d+: .*looks like a real My Number", found)
    assert re.search(r"file_details\.csv:2: purpose: .*looks like a real My Number", found)
    assert number not in found


def test_workbook_document_sheet_problems_are_located(tmp_path):
    import openpyxl

    path = _model(tmp_path, document=DOCUMENT_YAML)
    book = save_model(load_model(path), tmp_path / "m.xlsx")
    wb = openpyxl.load_workbook(book)
    ws = wb["document"]
    keys = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    assert keys[0] == "key" and "disclosure.office" in keys and "disclosure" not in keys
    row = keys.index("handlers_counted_on") + 1
    ws.cell(row, 2, "R3.13.1")
    ws.cell(ws.max_row + 1, 1, "unknown_key")
    ws.cell(ws.max_row, 2, "x")
    wb["model"].append(["document", "{department: x}"])
    wb.save(book)
    found = "\n".join(_problems(book))
    assert re.search(rf"m\.xlsx\[document\]:{row}: document\.handlers_counted_on: ", found), found
    assert re.search(r"m\.xlsx\[document\]:\d+: document\.unknown_key: unknown key", found), found
    assert re.search(r"m\.xlsx\[model\]:\d+: document: is written on the document sheet", found), found


def test_diff_classes_changes_to_document_data_by_the_catalogue(tmp_path):
    from pia_analysis import diff
    from pia_analysis.catalog import read_table

    model = load_model(_model(tmp_path, document=DOCUMENT_YAML, file_details=FILE_DETAILS, outsourcing=OUTSOURCING,
                              recipients=RECIPIENTS, form_answers=FORM_ANSWERS))
    details = model.file_details.copy()
    details.loc[0, "retention"] = 10  # 保管期間: a revision
    details.loc[1, "purpose"] = "新たに記入"  # given in one version only: not compared
    outsourcing = model.outsourcing.copy()
    outsourcing.loc[1, "contractor_handlers"] = 30  # 委託先における取扱者数: a revision
    outsourcing.loc[0, "name_ja"] = "証明書のコンビニ交付（全国）"  # 委託事項: important, though only a name
    answers = model.form_answers.copy()
    answers.loc[0, "answer"] = "評価実施機関内の他部署"  # 入手元 of JUKI_FILE: important
    answers.loc[3, "answer"] = "住民の届出を受けて記録する"  # 事務の内容: a revision, named by its layout row
    document = {**model.meta["document"], "disclosure": {"office": "市民情報室", "fee": "無料"}}
    changed = model.replace(file_details=details, outsourcing=outsourcing, form_answers=answers,
                            meta={**model.meta, "document": document})
    rows = diff(model, changed).changes.set_index(["table", "id"])
    assert set(rows.index) == {("model", "document.disclosure.office"), ("file_details", "JUKI_FILE"),
                               ("outsourcing", "CONV"), ("outsourcing", "MAINT"),
                               ("form_answers", "full.II.3.1@JUKI_FILE"), ("form_answers", "full.I.1.2")}
    expect = {
        ("model", "document.disclosure.office"): ("revision", "Ⅴ 1 特定個人情報の開示・訂正・利用停止請求 ①請求先"),
        ("file_details", "JUKI_FILE"): ("revision", "Ⅱ 6 特定個人情報の保管・消去 ②保管期間"),
        ("outsourcing", "CONV"): ("important", "Ⅱ 4 特定個人情報ファイルの取扱いの委託 委託事項"),
        ("outsourcing", "MAINT"): ("revision", "Ⅱ 4 ③委託先における取扱者数"),
        ("form_answers", "full.II.3.1@JUKI_FILE"): ("important", "Ⅱ 3 特定個人情報の入手・使用 ①入手元"),
        ("form_answers", "full.I.1.2"): ("revision", "Ⅰ ② 事務の内容"),
    }
    for key, (cls, item) in expect.items():
        assert (rows.at[key, "change_class"], rows.at[key, "form_item_ja"]) == (cls, item), key
    # every column and key of the document-only data has its row (form item and class) in change_items.csv
    items = read_table("change_items.csv")
    classed = {(t, d) for t, d, c in items[["table", "detail", "change_class"]].itertuples(index=False) if c}
    for table in ("file_details", "outsourcing", "recipients"):
        for column in TABLE_BY_NAME[table].columns:
            if column.fills:
                assert (table, column.name) in classed, (table, column.name)
    for key, (kind, _meaning, _fills) in DOCUMENT_KEYS.items():
        if kind != "block" and key != "source":  # the block's source is provenance, never compared
            assert ("model", f"document.{key}") in classed, key
    layout = {i for form in FORMS for i in form_layout(form)["item_id"]}
    assert {d for t, d in classed if t == "form_answers" and d} <= layout


def test_the_bundled_model_fills_only_what_the_minutes_say_each_with_its_line():
    model = load_model(bundled_model_path())
    assert set(model.document) == {"affair_description", "department", "population_counted_on", "source"}
    assert model.document["population_counted_on"] == dt.date(2021, 10, 1)
    # no legal basis, contact or disclosure office: the minutes give none
    assert not any(key.startswith(("legal_basis", "disclosure", "inquiry")) for key in model.document)
    assert (model.recipients["legal_basis"] == "").all() and (model.outsourcing["contractor_name"] == "").all()
    assert (model.file_details["retention"].isna()).all() and model.file_details["user_count"].isna().all()
    filled = [(name, row) for name in ("file_details", "outsourcing", "recipients")
              for row in getattr(model, name).to_dict("records")]
    assert filled and all(re.search(r"minutes 2021-11-09 lines \d+", row["source"]) for _n, row in filled)
    functions = model.systems.loc[model.systems["functions"] != ""]
    assert len(functions) == 7
    assert all(re.search(r"functions: minutes 2021-11-09 lines \d+", src) for src in functions["source"])
    # the earlier versions state none of it: the diff against h28 compares nothing of it
    from pia_analysis import diff, load_chain

    r3, h28 = load_chain(bundled_model_path())[:2]
    changes = diff(h28, r3).changes
    assert not changes["table"].isin(["file_details", "outsourcing", "recipients", "form_answers"]).any()
    assert not changes["id"].astype(str).str.startswith("document.").any()
    assert not changes["fields"].map(lambda fields: any(f.startswith("functions:") for f in fields)).any()


def test_new_models_offer_every_document_key_and_table(tmp_path):
    import openpyxl

    from pia_analysis.formats.directory import read_directory_meta
    from pia_analysis.formats.templates import new_model

    folder = new_model(tmp_path / "city-juki", xlsx=False, assessed_on=dt.date(2025, 4, 1))
    text = (folder / "model.yaml").read_text(encoding="utf-8")
    # `new` writes the placeholder population 0, which the loader refuses: give the town's number first
    text = re.sub(r"^target_population: 0\b", "target_population: 8000", text, flags=re.M)
    assert "target_population: 8000" in text
    (folder / "model.yaml").write_text(text, encoding="utf-8")
    for key in DOCUMENT_KEYS:
        assert re.search(rf"^\s+{re.escape(key.rsplit('.', 1)[-1])}:$", text, flags=re.M), key
    for name in ("file_details", "outsourcing", "recipients", "form_answers"):
        assert (folder / f"{name}.csv").read_text(encoding="utf-8") == ",".join(
            TABLE_BY_NAME[name].column_names) + "\n"
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "`document.disclosure.office`" in readme and "## file_details.csv" in readme
    assert "document" not in read_directory_meta(folder)  # every key without a value: nothing given
    filled = text.replace("\n    office:\n", "\n    office: 市民情報室\n")
    (folder / "model.yaml").write_text(filled, encoding="utf-8")
    assert read_directory_meta(folder)["document"] == {"disclosure": {"office": "市民情報室"}}
    book = new_model(tmp_path / "city-juki", xlsx=True, assessed_on=dt.date(2025, 4, 1))
    sheet = openpyxl.load_workbook(book)["document"]
    keys = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert keys == [k for k, (kind, _m, _f) in DOCUMENT_KEYS.items() if kind != "block"]


def test_a_scenario_removing_what_the_document_data_describes_takes_it_along():
    from pia_analysis.whatif.apply import apply_scenario

    model = load_model(bundled_model_path())
    changed = apply_scenario(model, {"id": "x", "remove": {"systems": ["CONV_SRV"], "flows": ["F12"]}})
    covers = changed.outsourcing.set_index("outsourcing_id")["covers"]
    assert covers["CONVENIENCE"] == [] and covers["SYSTEM_SUPPORT"] == ["VENDOR_TERM", "F20", "F21", "SUBCON_TERM"]
    assert "CARD_MGMT" not in set(changed.recipients["system_id"])  # F12 was the only provide flow to it
    assert changed.file_details.equals(model.file_details)


def test_a_my_number_on_the_document_sheet_is_refused_unprinted(tmp_path):
    import openpyxl

    number = "123456789018"
    book = save_model(load_model(bundled_model_path()), tmp_path / "m.xlsx")
    wb = openpyxl.load_workbook(book)
    ws = wb["document"]
    row = [c.value for c in ws["A"]].index("remarks") + 1
    ws.cell(row, 2, f"番号 {number}")
    wb.save(book)
    found = "\n".join(_problems(book))
    assert re.search(rf"m\.xlsx\[document\]:{row}: .*looks like a real My Number", found), found
    assert number not in found
