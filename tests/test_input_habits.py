"""Input habits of Japanese offices (issue 14): Japanese words for coded values, 和暦 and slashed dates, Excel
date cells, percentages typed as whole numbers, in CSV, workbook, scenario and model.yaml alike."""

from __future__ import annotations

import datetime as dt
import shutil
import unicodedata
from pathlib import Path

import openpyxl
import pytest
import yaml

from pia_analysis import load_model
from pia_analysis.catalog import read_table, stages
from pia_analysis.formats.workbook import save_workbook
from pia_analysis.model.cells import parse_cell, parse_meta_value, parse_procedure
from pia_analysis.model.errors import ModelError
from pia_analysis.model.japanese import DateTextError, alias_value, eras, parse_date_text
from pia_analysis.model.schema import (OPERATORS, PROCEDURE_CHOICES, STATUSES, TABLE_BY_NAME, TABLES, TableRef,
                                       format_reference_markdown)
from pia_analysis.whatif.apply import apply_scenario
from pia_analysis.whatif.scenario import load_scenario

TINY = Path(__file__).parent / "models" / "tiny"
ALIASES = read_table("value_aliases.csv")


def _choices(field: str) -> tuple[str, ...]:
    if field == "bool":
        return ("true", "false")
    if field in PROCEDURE_CHOICES:
        return PROCEDURE_CHOICES[field]
    return next(c.choices for t in TABLES for c in t.columns if c.name == field and c.kind == "enum")


def _column(field: str):
    return next((t, c) for t in TABLES for c in t.columns if c.name == field and c.kind == "enum")


# --- the alias table -------------------------------------------------------------------------------------


def test_every_alias_names_a_value_of_its_field_and_has_a_source():
    for field, alias, value, source, confidence in ALIASES.itertuples(index=False):
        pending = field == "status" and value == "unknown" and "unknown" not in STATUSES  # issue 13's new status
        assert value in _choices(field) or pending, (field, alias, value)
        assert source.strip() and confidence in {"confirmed", "recalled", "project"}, alias
    folded = ALIASES.assign(key=[unicodedata.normalize("NFKC", a).lower() for a in ALIASES["alias"]])
    assert not folded.duplicated(["field", "key"]).any(), "a word listed twice in a field"


def test_the_form_s_short_stage_names_are_aliases_and_every_operator_has_a_japanese_word():
    for stage, short in stages()[["stage", "short_ja"]].itertuples(index=False):
        assert alias_value("stage", short) == stage
    assert all(alias_value("operator", w) == o for w, o in
               [("市", "city"), ("町", "city"), ("委託先", "contractor"), ("再委託先", "subcontractor"),
                ("J-LIS", "jlis"), ("地方公共団体情報システム機構", "jlis"), ("国", "national"), ("住民", "resident")])
    assert set(ALIASES.loc[ALIASES["field"] == "operator", "value"]) == set(OPERATORS)


@pytest.mark.parametrize("field,alias,value", [tuple(r) for r in ALIASES[["field", "alias", "value"]].itertuples(
    index=False) if r[0] not in PROCEDURE_CHOICES])
def test_each_word_is_read_by_the_one_cell_parser(field, alias, value):
    found: list = []
    if field == "bool":
        col = TABLE_BY_NAME["flows"].column("encrypted")
        assert parse_cell(col, alias, TableRef("flows"), 2, found) is (value == "true")
        assert parse_meta_value("serious_incident", alias, "bool", "model.yaml", 9, found) is (value == "true")
    else:
        table, col = _column(field)
        got = parse_cell(col, f" {alias} ", TableRef(table.name), 2, found)
        if value not in col.choices:  # `unknown` before issue 13's status lands: refused, not mistaken
            assert found and "is not one of" in str(found[0])
            return
        assert got == value
    assert found == []


def test_full_width_forms_of_a_word_are_read_too():
    col = TABLE_BY_NAME["systems"].column("operator")
    assert parse_cell(col, "Ｊ－ＬＩＳ", TableRef("systems"), 2, []) == "jlis"


def test_unknown_is_read_once_it_is_a_status():
    found: list = []
    got = parse_cell(TABLE_BY_NAME["controls"].column("status"), "不明", TableRef("controls"), 2, found)
    if "unknown" in STATUSES:
        assert got == "unknown" and not found
    else:
        assert found and "'不明' is not one of implemented, planned, missing" in str(found[0])


def test_procedure_choices_in_japanese():
    found: list = []
    block = parse_procedure({"version_kind": "修正", "assessment_form": "基礎項目評価"}, "model.yaml", 3, found, {})
    assert block == {"version_kind": "revision", "assessment_form": "basic"} and not found
    parse_procedure({"assessment_form": "簡易"}, "model.yaml", 3, found, {})
    assert "basic (基礎項目評価 / 基礎)" in found[0].hint


def test_a_refused_value_s_hint_lists_the_japanese_words():
    found: list = []
    parse_cell(TABLE_BY_NAME["flows"].column("stage"), "閲覧", TableRef("flows"), 4, found)
    assert str(found[0]).startswith("flows.csv:4: stage: '閲覧' is not one of acquire, use")
    assert "acquire (入手)" in found[0].hint and "retain (保管・消去 / 保管 / 消去)" in found[0].hint
    found.clear()
    parse_cell(TABLE_BY_NAME["zones"].column("internet_facing"), "たぶん", TableRef("zones"), 2, found)
    assert "○/×" in found[0].hint and "あり/なし" in found[0].hint


def test_the_model_format_doc_lists_the_words_side_by_side():
    text = format_reference_markdown()
    assert "`acquire` (入手)" in text and "`contractor` (委託先 / 受託者)" in text
    assert "`basic` (基礎項目評価 / 基礎)" in text and "○ ◯ 〇" in text and "| 令和 | R | 2019-05-01 |" in text
    doc = (Path(__file__).parent.parent / "docs" / "model-format.md").read_text(encoding="utf-8")
    assert text in doc, "run: python -m pia_analysis.model.schema --doc"


# --- a whole model typed the Japanese way ------------------------------------------------------------------


def _japanese_copy(tmp_path: Path) -> Path:
    """The tiny model with every coded value written as a Japanese office writes it."""
    root = shutil.copytree(TINY, tmp_path / "ja")
    swaps = {
        "zones.csv": [(",false,city,", ",×,市,"), (",false,contractor,", ",なし,委託先,")],
        "systems.csv": [(",system,city,", ",システム,市,"), (",terminal,city,", ",端末,市,")],
        "flows.csv": [(",use,", ",使用,"), (",outsource,", ",委託,"), (",true,false,", ",○,×,"),
                      (",false,true,", ",×,✓,")],
        "controls.csv": [(",implemented,", ",実施済み,"), (",planned,", ",計画中,")],
        "files.csv": [(",true,", ",○,"), (",false,", ",×,")],
    }
    for name, pairs in swaps.items():
        path = root / name
        text = path.read_text(encoding="utf-8")
        for old, new in pairs:
            assert old in text, (name, old)
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    meta = (root / "model.yaml").read_text(encoding="utf-8").replace("assessed_on: 2024-04-01", "assessed_on: 令和6年4月1日")
    (root / "model.yaml").write_text(meta.replace("serious_incident: false", "serious_incident: なし"), encoding="utf-8")
    return root


def _same_model(a, b) -> None:
    import pandas as pd

    for table in TABLES:
        pd.testing.assert_frame_equal(getattr(a, table.name), getattr(b, table.name), obj=table.name)
    assert a.meta == b.meta


def test_a_model_directory_in_japanese_words_loads_like_the_english_one(tmp_path: Path):
    _same_model(load_model(_japanese_copy(tmp_path)), load_model(TINY))


def test_a_workbook_in_japanese_words_loads_like_the_english_one(tmp_path: Path):
    book = save_workbook(load_model(TINY), tmp_path / "model.xlsx")
    wb = openpyxl.load_workbook(book)
    header = {c.value: c.column_letter for c in wb["flows"][1]}
    wb["flows"][f"{header['stage']}2"] = "使用"
    wb["flows"][f"{header['encrypted']}3"] = "○"
    header = {c.value: c.column_letter for c in wb["controls"][1]}
    wb["controls"][f"{header['status']}3"] = "計画中"
    header = {c.value: c.column_letter for c in wb["zones"][1]}
    wb["zones"][f"{header['operator']}3"] = "委託先"
    meta = wb["model"]
    row = next(r for r in range(1, meta.max_row + 1) if meta.cell(r, 1).value == "assessed_on")
    meta.cell(row, 2).value = "R6.4.1"
    wb.save(book)
    _same_model(load_model(book), load_model(TINY))


def test_a_scenario_in_japanese_words(tmp_path: Path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"id": "s", "title_ja": "計画の実施", "title_en": "plan done",
                                    "set": {"controls": {"C2": {"status": "実施済み"}},
                                            "flows": {"F1": {"encrypted": "○"}}}},
                                   allow_unicode=True), encoding="utf-8")
    changed = apply_scenario(load_model(TINY), load_scenario(path))
    assert changed.controls.set_index("control_id").at["C2", "status"] == "implemented"
    assert bool(changed.flows.set_index("flow_id").at["F1", "encrypted"]) is True


# --- dates ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text,day", [
    ("令和6年4月1日", "2024-04-01"), ("R6.4.1", "2024-04-01"), ("r06.04.01", "2024-04-01"), ("R6/4/1", "2024-04-01"),
    ("令和元年5月1日", "2019-05-01"), ("H28.12.1", "2016-12-01"), ("平成28年12月1日", "2016-12-01"),
    ("平成31年4月30日", "2019-04-30"), ("㋿6年4月1日", "2024-04-01"), ("令和６年４月１日", "2024-04-01"),
    ("2024/4/1", "2024-04-01"), ("2024-4-1", "2024-04-01"), ("2024年4月1日", "2024-04-01"), ("2024.4.1", "2024-04-01"),
    ("2024-04-01", "2024-04-01"), ("2024/4/1 0:00", "2024-04-01"), ("2024-04-01T00:00:00", "2024-04-01"),
    (dt.datetime(2024, 4, 1), "2024-04-01"), (dt.date(2024, 4, 1), "2024-04-01"),
])
def test_each_date_form_is_read(text, day):
    assert parse_date_text(text).isoformat() == day
    found: list = []
    assert parse_meta_value("assessed_on", text, "date", "model.yaml", 6, found).isoformat() == day and not found


@pytest.mark.parametrize("text,message,hint", [
    ("2024-04-01 10:30", "'2024-04-01 10:30' has a time of day (10:30)", "drop the time 10:30"),
    ("2024/4/1 9:05:00", "has a time of day (9:05)", "write the day alone, 2024/4/1"),
    ("2024/4/1 9:05:30", "has a time of day (9:05:30)", "drop the time 9:05:30"),
    ("2024-04-01 10時30分", "has a time of day (10時30分)", "drop the time 10時30分"),
    (dt.datetime(2024, 4, 1, 10, 30), "2024-04-01T10:30:00 has a time of day (10:30)", "drop the time 10:30"),
    ("R6.2.30", "'R6.2.30' is not a date: February 令和6年 (2024) has 29 days", "check the day"),
    ("2023-02-29", "is not a date: February 2023 has 28 days", "check the day"),
    ("令和1年4月1日", "令和 began on 2019-05-01", "平成"),
    ("平成32年1月1日", "平成 ended on 2019-04-30", "令和2年1月1日 (2020-01-01)"),
    ("X6.4.1", "'X' is not an era", "令和 (R)"),
    ("2024-13-01", "there is no month 13", "check the month"),
    ("45383", "'45383' is not a date", "Excel date serial number (2024-04-01)"),
    ("来年度", "'来年度' is not a date", "令和3年11月9日, R3.11.9"),
])
def test_a_refused_date_is_located_with_a_hint(text, message, hint):
    found: list = []
    assert parse_meta_value("assessed_on", text, "date", "model.yaml", 6, found) is None
    (problem,) = found
    assert str(problem).startswith("model.yaml:6: assessed_on: ") and message in problem.message, str(problem)
    assert hint in problem.hint, problem.hint


def test_dates_in_the_procedure_block_are_read_the_same_way():
    found: list = []
    block = parse_procedure({"published_on": "R3.12.20", "reviews": ["令和4年12月1日", "2023/12/1"],
                             "third_party_check": {"held_on": "令和3年11月9日"}}, "model.yaml", 10, found,
                            {"published_on": 11})
    assert not found
    assert block["published_on"] == dt.date(2021, 12, 20)
    assert block["reviews"] == [dt.date(2022, 12, 1), dt.date(2023, 12, 1)]
    assert block["third_party_check"]["held_on"] == dt.date(2021, 11, 9)
    parse_procedure({"published_on": "R3.2.29"}, "model.yaml", 10, found, {"published_on": 11})
    assert str(found[0]).startswith("model.yaml:11: procedure.published_on: 'R3.2.29' is not a date: February")


def test_model_yaml_dates_in_japanese_and_a_time_refused(tmp_path: Path):
    root = shutil.copytree(TINY, tmp_path / "m")
    text = (root / "model.yaml").read_text(encoding="utf-8")
    (root / "model.yaml").write_text(text.replace("2024-04-01", "'2024-04-01 09:30'"), encoding="utf-8")
    with pytest.raises(ModelError) as info:
        load_model(root)
    (problem,) = info.value.problems
    assert "assessed_on: '2024-04-01 09:30' has a time of day (9:30)" in str(problem)
    assert "drop the time 9:30" in str(problem)


def test_an_excel_date_cell_at_midnight_is_a_day_and_with_a_time_is_refused(tmp_path: Path):
    book = save_workbook(load_model(TINY), tmp_path / "model.xlsx")
    wb = openpyxl.load_workbook(book)
    meta = wb["model"]
    row = next(r for r in range(1, meta.max_row + 1) if meta.cell(r, 1).value == "assessed_on")
    assert isinstance(meta.cell(row, 2).value, dt.datetime)  # how Excel (and openpyxl) gives a date cell
    meta.cell(row, 2).value = dt.datetime(2024, 4, 1, 0, 0)
    wb.save(book)
    assert load_model(book).meta["assessed_on"] == dt.date(2024, 4, 1)
    meta.cell(row, 2).value = dt.datetime(2024, 4, 1, 14, 45)
    wb.save(book)
    with pytest.raises(ModelError) as info:
        load_model(book)
    (problem,) = info.value.problems
    assert f"[model]:{row}: assessed_on: " in str(problem) and "has a time of day (14:45" in problem.message
    assert "drop the time 14:45" in problem.hint


def test_the_era_table_is_data_with_its_source():
    table = eras()
    assert table["era"].tolist()[-2:] == ["平成", "令和"]
    assert table.set_index("era").at["平成", "last_day"] == dt.date(2019, 4, 30)
    assert (table["source"].str.len() > 0).all() and set(table["confidence"]) <= {"confirmed", "recalled"}
    with pytest.raises(DateTextError):
        parse_date_text("昭和64年1月8日")  # the first day of 平成


# --- percentages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("table,column,raw,asked", [
    ("systems", "entry_likelihood", "2", "did you mean 2 % (0.02)?"),
    ("controls", "effectiveness", "30", "did you mean 30 % (0.3)?"),
    ("systems", "entry_likelihood", "2.5", "did you mean 2.5 % (0.025)?"),
])
def test_a_probability_above_one_asks_whether_it_is_a_percentage(table, column, raw, asked):
    found: list = []
    assert parse_cell(TABLE_BY_NAME[table].column(column), raw, TableRef(table), 3, found) == 0.0
    (problem,) = found
    assert problem.message == f"'{raw}' is outside [0, 1]" and problem.hint.startswith(asked)


def test_no_percent_question_when_it_cannot_be_one():
    for raw in ("150", "-1", "200%"):
        found: list = []
        parse_cell(TABLE_BY_NAME["systems"].column("entry_likelihood"), raw, TableRef("systems"), 3, found)
        assert found and "did you mean" not in found[0].hint
    assert parse_cell(TABLE_BY_NAME["systems"].column("entry_likelihood"), "2%", TableRef("systems"), 3, []) == 0.02
