"""Rated items (issue 13 §1): the 委託 block rated once, Section Ⅳ, stage declarations, その他のリスク.

Every model is hand-made (tests/coverage_models.py) and goes through the real loader.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from coverage_models import build, control, file, flow, small_tables, system, write_tables, zone
from pia_analysis import catalog, load_model, rating_check, section3_table, stage_coverage
from pia_analysis.cli import main
from pia_analysis.formats.workbook import load_workbook, save_workbook
from pia_analysis.model.errors import ModelError
from pia_analysis.outputs.section3 import write_section3

BLOCK = [f"outsource-{n}" for n in range(1, 6)]


def with_ratings(rows: list[tuple[str, str]]) -> dict[str, list[dict]]:
    tables = small_tables()
    tables["ratings"] = [{"risk_id": r, "rating": v} for r, v in rows]
    return tables


# --- the catalogue ---------------------------------------------------------------------------------


def test_rated_items_rate_every_risk_once_and_the_block_as_one():
    items = catalog.rated_items()
    assert items["rated_item_id"].tolist()[:9] == [*(f"acquire-{n}" for n in range(1, 5)),
                                                  *(f"use-{n}" for n in range(1, 5)), "outsource"]
    assert items.set_index("rated_item_id").loc["outsource", "risks"] == BLOCK
    assert items.loc[items["section"] == "Ⅳ", "rated_item_id"].tolist() == ["self-check", "audit", "training"]
    assert set(items["confidence"]) <= {"confirmed", "recalled"} and items["source"].str.len().gt(0).all()
    sets = catalog.choice_sets()
    four = sets.loc[sets["choice_set"] == "section4_rating"]
    assert four["label_ja"].tolist() == ["特に力を入れて行っている", "十分に行っている", "十分に行っていない"]
    assert four["sufficient"].tolist() == [True, True, False]


# --- the 委託 block --------------------------------------------------------------------------------


def test_one_outsource_row_rates_the_block_against_its_five_risks(tmp_path):
    model = build(tmp_path / "m", with_ratings([("outsource", "十分である")]))
    assert model.warnings == ()
    check = rating_check(model).set_index("risk_id")
    assert not set(BLOCK) & set(check.index)
    row = check.loc["outsource"]
    # small_tables: the scope of outsource is L3, A and C (3 elements) × 5 risks; only K5 (planned) maps
    assert (row["pairs"], row["covered"], row["planned"], row["gaps"]) == (15, 0, 2, 13)
    assert row["rating"] == "十分である" and row["status"] == "overclaimed"
    assert row["risks"] == BLOCK


def test_legacy_equal_rows_fold_into_one_with_a_located_warning(tmp_path):
    model = build(tmp_path / "m", with_ratings([(r, "十分である") for r in BLOCK]))
    assert model.ratings["risk_id"].tolist() == ["outsource"]
    assert model.ratings["rating"].tolist() == ["十分である"]
    assert len(model.warnings) == 5
    first = str(model.warnings[0])
    assert re.match(rf"{re.escape(str(tmp_path / 'm' / 'ratings.csv'))}:2: risk_id: 'outsource-1' is rated on its own",
                    first), first
    assert "write one row outsource,十分である in place of the rows" in first and "differ" not in first


def test_legacy_differing_rows_take_the_least_favourable_and_say_so(tmp_path):
    rows = [("outsource-1", "特に力を入れている"), ("outsource-2", "十分である"), ("outsource-3", "remaining")]
    model = build(tmp_path / "m", with_ratings(rows))
    assert model.ratings.set_index("risk_id").loc["outsource", "rating"] == "課題が残されている"
    assert len(model.warnings) == 3
    assert all("the least favourable, 課題が残されている, is taken" in str(w) for w in model.warnings)
    assert [w.line for w in model.warnings] == [2, 3, 4]


def test_cli_prints_the_warning_with_file_and_line_and_exits_0(tmp_path, capsys):
    path = write_tables(tmp_path / "m", with_ratings([("outsource-1", "十分である"), ("outsource-2", "課題が残されている")]))
    assert main(["validate", str(path)]) == 0
    err = capsys.readouterr().err
    assert f"warning: {path / 'ratings.csv'}:2: risk_id: 'outsource-1' is rated on its own" in err
    assert f"warning: {path / 'ratings.csv'}:3: risk_id:" in err and "課題が残されている, is taken" in err


def test_the_workbook_folds_legacy_rows_too(tmp_path):
    model = build(tmp_path / "m", with_ratings([("outsource", "十分である")]))
    book = save_workbook(model.replace(ratings=pd.DataFrame({"risk_id": ["outsource-1", "outsource-2"],
                                                             "rating": ["十分である", "十分である"]})),
                         tmp_path / "m.xlsx")
    back = load_workbook(book)
    assert back.ratings["risk_id"].tolist() == ["outsource"]
    assert [str(w).split(": risk_id")[0] for w in back.warnings] == [f"{book}[ratings]:2", f"{book}[ratings]:3"]


# --- Section Ⅳ -------------------------------------------------------------------------------------


def test_section4_items_are_rated_with_their_own_choices_and_checked_against_the_controls_naming_them(tmp_path):
    tables = with_ratings([("self-check", "十分に行っている"), ("audit", "sufficient"), ("training", "十分に行っていない")])
    tables["controls"] += [control("T1", ["training"], ["*"]), control("S1", ["self-check"], ["*"], status="planned")]
    model = build(tmp_path / "m", tables)
    check = rating_check(model).set_index("risk_id")
    assert check.loc["audit", "rating"] == "十分に行っている"  # the alias in Ⅳ's set
    assert check.loc["self-check", ["pairs", "covered", "planned", "gaps"]].tolist() == [1, 0, 1, 0]
    assert check.loc["self-check", "status"] == "consistent"
    assert check.loc["self-check", "status"] == "consistent"
    assert rating_check(model, strict=True).set_index("risk_id").loc["self-check", "status"] == "overclaimed"
    assert check.loc["audit", "status"] == "overclaimed"       # claimed, and no control names it
    assert check.loc["training", "status"] == "underclaimed"   # 十分に行っていない, yet an implemented control
    assert check.loc["training", "section"] == "Ⅳ"


def test_a_section3_word_on_a_section4_item_is_a_located_error(tmp_path):
    with pytest.raises(ModelError) as caught:
        build(tmp_path / "m", with_ratings([("training", "十分である"), ("use-2", "十分に行っている")]))
    text = str(caught.value)
    assert "ratings.csv:2: rating: '十分である' (Section Ⅲ's choice) is not a choice of 'training' (Section Ⅳ)" in text
    assert "ratings.csv:3: rating: '十分に行っている' (Section Ⅳ's choice) is not a choice of 'use-2' (Section Ⅲ)" in text


def test_controls_may_name_section4_items_but_not_unknown_ones(tmp_path):
    tables = small_tables()
    tables["controls"].append(control("X", ["trainings"], ["*"]))
    with pytest.raises(ModelError, match=r"controls.csv:8: mitigates: 'trainings' is not a known risk id"):
        build(tmp_path / "m", tables)


# --- stage declarations ----------------------------------------------------------------------------


def declared_model(tmp_path, declared: list[str], **meta) -> pd.DataFrame:
    """A model with acquisition, use and retention only; declaring every stage out that it can."""
    tables = {
        "zones": [zone("CORE"), zone("PUB", "resident")],
        "systems": [system("A", "CORE", holds=["F1"]), system("B", "CORE", kind="terminal", entry=0.05),
                    system("D", "PUB", operator="resident", kind="external", entry=0.1)],
        "files": [file("F1", 5000)],
        "flows": [flow("L1", "D", "A", "acquire", ["F1"], channel="窓口（対面）", interactive=True),
                  flow("L2", "B", "A", "use", ["F1"], interactive=True)],
        "controls": [control("K1", ["acquire-1", "acquire-2", "acquire-3", "acquire-4"], ["*"]),
                     control("K2", ["use-1", "use-2", "use-3", "use-4"], ["*"]),
                     control("K3", ["retain-1", "retain-2", "retain-3"], ["*"]),
                     control("K4", ["self-check", "audit", "training"], ["*"])],
        "ratings": [{"risk_id": r, "rating": "十分である"} for r in
                    [*(f"acquire-{n}" for n in range(1, 5)), *(f"use-{n}" for n in range(1, 5)),
                     *(f"retain-{n}" for n in range(1, 4))]]
                   + [{"risk_id": r, "rating": "十分に行っている"} for r in ("self-check", "audit", "training")],
    }
    return build(tmp_path, tables, meta={"declared_not_applicable": declared, **meta})


EVERY = ["outsource", "provide", "network_acquire", "network_provide"]


def test_declared_stages_show_as_not_applicable_with_the_reason(tmp_path):
    model = declared_model(tmp_path / "m", EVERY)
    assert model.declared_not_applicable == tuple(EVERY)
    stages = stage_coverage(model).set_index("stage")
    assert stages.loc["outsource", "declared"] == "委託しない"
    assert stages.loc["network", "declared"] == "接続しない（入手）・接続しない（提供）"
    assert stages.loc["acquire", "declared"] == ""
    check = rating_check(model).set_index("risk_id")
    assert check.loc["outsource", "status"] == "not_applicable" and check.loc["outsource", "declared"] == "委託しない"
    assert check.loc["network-2", "declared"] == "接続しない（入手）" and check.loc["network-6", "declared"] == "接続しない（提供）"
    table = section3_table(model).set_index("risk_id")
    assert table.loc["provide-1", "text"] == "対象外（宣言: 提供・移転しない）"
    assert table.loc["use-1", "text"] == ""


def test_no_nan_in_any_text_output_of_a_model_declaring_every_stage_out(tmp_path, capsys):
    path = tmp_path / "m"
    model = declared_model(path, EVERY)
    outputs = []
    for command in (["coverage"], ["section3"], ["findings"], ["validate"]):
        for fmt in ([], ["--format", "csv"]) if command != ["validate"] else ([],):
            assert main([*command, str(path), *fmt]) == 0
            outputs.append(capsys.readouterr().out)
    # the terminal table: 対象外 in the ratio cells, the declaration once in its column
    outsource_line = next(line for line in outputs[0].splitlines() if line.startswith("outsource"))
    assert "対象外" in outsource_line and "委託しない" in outsource_line, outputs[0]
    assert "対象外（宣言: 委託しない）" in outputs[1]  # CSV: the whole wording in each cell
    outputs.append(write_section3(model, tmp_path / "s3.md").read_text(encoding="utf-8"))
    assert main(["report", str(path), "--out", str(tmp_path / "pack")]) == 0
    capsys.readouterr()
    pack = tmp_path / "pack"
    outputs += [p.read_text(encoding="utf-8-sig") for p in [pack / "briefing.md", *sorted((pack / "tables").glob("*.csv"))]]
    for text in outputs:
        assert not re.search(r"\bnan\b", text, re.IGNORECASE), text[:2000]
    stage_csv = (pack / "tables" / "stage_coverage.csv").read_text(encoding="utf-8-sig")
    assert "対象外（宣言: 委託しない）" in stage_csv and "対象外（宣言: 提供・移転しない）" in stage_csv


def test_a_declaration_contradicted_by_a_flow_is_a_located_error(tmp_path):
    tables = small_tables()  # L3 A→C is an outsourcing flow; C is run by a contractor
    path = write_tables(tmp_path / "m", tables, meta={"declared_not_applicable": ["outsource"]})
    with pytest.raises(ModelError) as caught:
        load_model(path)
    messages = [str(p) for p in caught.value.problems]
    line = next(n for n, text in enumerate((path / "model.yaml").read_text().splitlines(), 1)
                if text.startswith("declared_not_applicable"))
    assert any(m.startswith(f"{path}/model.yaml:{line}: declared_not_applicable: declares 委託しない (outsource), "
                            f"but flow 'L3' ({path}/flows.csv:4) is of the outsource stage") for m in messages), messages
    assert any(f"system 'C' ({path}/systems.csv:4) is run by a contractor" in m for m in messages), messages


def test_network_declarations_are_told_by_the_direction_of_the_flow(tmp_path):
    def tables_with(source_op: str, target_op: str) -> dict:
        tables = small_tables()
        tables["zones"].append(zone("NET", "national"))
        tables["systems"] += [system("H", "NET", operator=source_op), system("M", "NET", operator=target_op)]
        tables["flows"].append(flow("N1", "H", "M", "network"))
        return tables

    # into the body's side (national → city): an acquisition; 接続しない（提供） stands, 接続しない（入手） does not
    build(tmp_path / "a", tables_with("national", "city"), meta={"declared_not_applicable": ["network_provide"]})
    with pytest.raises(ModelError, match=r"declares 接続しない（入手） \(network_acquire\), but flow 'N1'"):
        build(tmp_path / "b", tables_with("national", "city"), meta={"declared_not_applicable": ["network_acquire"]})
    # out of it: a provision
    build(tmp_path / "c", tables_with("city", "national"), meta={"declared_not_applicable": ["network_acquire"]})
    # between two outside systems the direction cannot be told: either declaration is contradicted
    with pytest.raises(ModelError, match=r"direction cannot be told"):
        build(tmp_path / "d", tables_with("national", "jlis"), meta={"declared_not_applicable": ["network_provide"]})


def test_a_rating_of_a_declared_out_item_is_a_located_error(tmp_path):
    tables = declared_model(tmp_path / "ok", ["provide"])  # loads
    assert "provide-1" not in set(tables.ratings["risk_id"])
    path = tmp_path / "m"
    declared_model(tmp_path / "x", [])  # the same model without the declaration
    raw = (tmp_path / "x" / "ratings.csv").read_text(encoding="utf-8") + "provide-1,十分である\n"
    write_tables(path, {}, meta={"declared_not_applicable": ["provide"]})
    for name in ("zones.csv", "systems.csv", "files.csv", "flows.csv", "controls.csv"):
        (path / name).write_bytes((tmp_path / "x" / name).read_bytes())
    (path / "ratings.csv").write_text(raw, encoding="utf-8")
    with pytest.raises(ModelError, match=r"ratings.csv:16: risk_id: rates 'provide-1', which the model declares not "
                                         r"applicable \(提供・移転しない"):
        load_model(path)


def test_an_unknown_declaration_is_refused(tmp_path):
    with pytest.raises(ModelError, match=r"declared_not_applicable: 'outsourcing' is not a declaration"):
        build(tmp_path / "m", small_tables(), meta={"declared_not_applicable": ["outsourcing"]})


def test_declarations_round_trip_through_the_workbook(tmp_path):
    model = declared_model(tmp_path / "m", ["outsource", "network_provide"],
                           other_risk_measures={"acquire": "窓口での二重確認", "other": "年1回の点検"})
    back = load_workbook(save_workbook(model, tmp_path / "m.xlsx"))
    assert back.meta["declared_not_applicable"] == ["outsource", "network_provide"]
    assert back.meta["other_risk_measures"] == {"acquire": "窓口での二重確認", "other": "年1回の点検"}


# --- その他のリスク ---------------------------------------------------------------------------------


def test_other_risk_rows_end_each_stage_and_section4(tmp_path, capsys):
    model = build(tmp_path / "m", small_tables(),
                  meta={"other_risk_measures": {"use": "端末の画面ロック", "other": "監査法人による外部監査"}})
    table = section3_table(model)
    others = table.loc[table["row_kind"] == "other_measures"].set_index("risk_id")
    assert others.loc["use-other", "text"] == "端末の画面ロック"
    assert others.loc["acquire-other", "text"] == "未記入"
    assert others.loc["other", "text"] == "監査法人による外部監査" and others.loc["other", "section"] == "Ⅳ"
    # each stage's free-text row comes right after its last rated item
    ids = table["risk_id"].tolist()
    assert ids.index("use-other") == ids.index("use-4") + 1
    assert ids.index("outsource-other") == ids.index("outsource") + 1
    text = write_section3(model, tmp_path / "s3.md").read_text(encoding="utf-8")
    assert "**使用におけるその他のリスク及びそのリスクに対する措置**: 端末の画面ロック" in text
    assert "**その他のリスク対策**: 監査法人による外部監査" in text
    assert main(["section3", str(tmp_path / "m"), "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records[-1]["risk_id"] == "other" and records[-1]["rating"] is None


def test_other_risk_measures_refuses_unknown_keys(tmp_path):
    with pytest.raises(ModelError, match=r"other_risk_measures.outsourcing: unknown key"):
        build(tmp_path / "m", small_tables(), meta={"other_risk_measures": {"outsourcing": "x"}})


def test_a_scenario_rates_a_section4_item_in_its_own_words(tmp_path):
    from pia_analysis import apply_scenario

    model = build(tmp_path / "m", small_tables())
    changed = apply_scenario(model, {"id": "x", "add": {"ratings": [{"risk_id": "training", "rating": "sufficient"},
                                                                    {"risk_id": "use-1", "rating": "sufficient"}]}})
    rated = changed.ratings.set_index("risk_id")["rating"]
    assert rated["training"] == "十分に行っている" and rated["use-1"] == "十分である"


def test_history_prints_the_warnings_of_each_version(tmp_path, capsys):
    old = write_tables(tmp_path / "old", with_ratings([("outsource-1", "十分である")]))
    new = write_tables(tmp_path / "new", with_ratings([("outsource", "十分である")]),
                       meta={"id": "small-2", "assessed_on": "2022-04-01", "previous": "../old"})
    assert main(["history", str(new)]) == 0
    err = capsys.readouterr().err
    assert f"warning: {old / 'ratings.csv'}:2: risk_id: 'outsource-1' is rated on its own" in err


def test_charts_say_why_a_stage_is_out(tmp_path):
    from pia_analysis import coverage_matrix
    from pia_analysis.charts.figures import coverage_heatmap, rating_check_chart, stage_coverage_chart

    model = declared_model(tmp_path / "m", EVERY)

    def texts(fig) -> str:
        found = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
        return "|".join(t.replace("\n", "") for t in found if isinstance(t, str))  # wrapped labels joined

    assert "対象外（宣言: 委託しない）" in texts(stage_coverage_chart(model, stage_coverage(model)))
    assert "対象外（宣言: 提供・移転しない）" in texts(coverage_heatmap(model, coverage_matrix(model)))
    assert "対象外（宣言: 接続しない（入手））" in texts(rating_check_chart(model, rating_check(model)))
    english = texts(stage_coverage_chart(model, stage_coverage(model), lang="en"))
    assert "Not applicable (declared: no outsourcing)" in english  # the declaration in English too


def test_history_says_a_declared_out_stage_is_out(tmp_path, capsys):
    path = tmp_path / "m"
    declared_model(path, EVERY)
    assert main(["history", str(path)]) == 0
    table = capsys.readouterr().out.split("版ごと・段階ごとの網羅率", 1)[1]  # stages by their Japanese names
    rows = {line.split()[0]: line.split()[1:] for line in table.splitlines()[3:] if line.strip()}
    assert rows["委託"] == ["対象外"] and rows["提供・移転"] == ["対象外"]
    assert rows["入手"] != ["対象外"]
