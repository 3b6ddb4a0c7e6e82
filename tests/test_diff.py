"""Versions: row and key differences, the change classes and their rules, (別添3), the h26 → h28 → r3 chain,
history, CLI."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd

import pytest

from broken_cases import TINY
from pia_analysis import bundled_model_path, load_model
from pia_analysis.cli import main
from pia_analysis.model.schema import MODEL_KEYS, TABLES
from pia_analysis.model.errors import DifferentAssessmentError
from pia_analysis.whatif.compare import compare
from pia_analysis.whatif.versions import (
    CHANGE_RULES,
    change_rules,
    diff,
    first_given,
    history_coverage,
    version_chain,
    version_history,
)
from pia_analysis.whatif.apply import apply_scenario

MODELS = Path(__file__).parent / "models"
H26, H28, R3 = (bundled_model_path(f"kitakyushu-juki-{v}") for v in ("h26", "h28", "r3"))
NEW_SYSTEM = {"system_id": "NEW", "name_ja": "新システム", "zone_id": "CORE", "kind": "system", "operator": "city",
              "holds": "", "source": "assumption: test"}


@pytest.fixture(scope="module")
def tiny():
    return load_model(TINY)


@pytest.fixture(scope="module")
def chain():
    return {m.id: m for m in version_chain(R3)}


def changed(model, **scenario):
    return apply_scenario(model, {"id": "t", **scenario})


def rules_fired(d) -> dict[str, list[str]]:
    """table:id -> the rule ids that fired on every change (['other-change'] when no specific rule did)."""
    return {f"{t}:{i}": r for t, i, r in d.changes[["table", "id", "rules"]].itertuples(index=False)}


# --- row differences on a small model --------------------------------------------------------------


def test_no_change(tiny):
    d = diff(tiny, tiny)
    assert d.changes.empty and d.fields.empty and d.classification == "none" and not d.is_important
    assert d.verdict("ja") == "変更はありません。"


def test_added_removed_and_changed_rows_with_fields(tiny):
    new = changed(tiny, remove={"controls": ["C3"]},
                  add={"systems": [NEW_SYSTEM]},
                  set={"controls": {"C1": {"effectiveness": 0.6, "applies_to": "REG"}},
                       "model": {"handlers": 25}})
    d = diff(tiny, new)
    got = d.changes[["table", "id", "change", "fields"]].values.tolist()
    assert got == [
        ["model", "handlers", "changed", ["handlers: 20 → 25"]],
        ["systems", "NEW", "added", []],
        ["controls", "C1", "changed", ["applies_to: REG;TERM → REG", "effectiveness: 0.5 → 0.6"]],
        ["controls", "C3", "removed", []],
    ]
    assert d.fields.values.tolist() == [
        ["model", "handlers", "handlers", 20, 25],
        ["controls", "C1", "applies_to", ["REG", "TERM"], ["REG"]],
        ["controls", "C1", "effectiveness", 0.5, 0.6],
    ]
    # C3 (implemented) removed: a measure removed is a 重要な変更; C1 covers fewer elements: weakened too
    assert d.classification == "important"
    assert d.changes.set_index("id").at["C3", "reasons_en"] == "[control-removed] the measure C3 (implemented) is removed"
    assert d.summary().set_index("table").loc["controls"].tolist() == [0, 1, 1, 2, 0, 0]


def test_provenance_changes_are_ignored_unless_asked(tiny):
    new = changed(tiny, set={"zones": {"CORE": {"source": "assumption: reworded"}}})
    assert diff(tiny, new).changes.empty
    assert diff(tiny, new, provenance=True).changes["id"].tolist() == ["CORE"]


def test_the_diff_carries_the_analysis_deltas(tiny):
    new = changed(tiny, set={"systems": {"TERM": {"entry_likelihood": 0.2}}})
    d = diff(tiny, new)
    exp = d.comparison.exposure_delta.set_index("system_id")
    assert exp.at["REG", "exposure_after"] == pytest.approx(2 * exp.at["REG", "exposure_before"])
    json.dumps(d.to_dict())


# --- the important-change rules: each firing and not -----------------------------------------------


MN_FLOW = {"flow_id": "F3", "source": "SRV", "target": "REG", "files": "REG_FILE", "stage": "use",
           "interactive": False, "encrypted": True}


@pytest.mark.parametrize("scenario, key, rule", [
    # new-mn-file: a new file with My Numbers; an existing file that starts holding them
    ({"add": {"files": [{"file_id": "TAX", "name_ja": "税", "records": 10, "contains_my_number": True}]}},
     "files:TAX", "new-mn-file"),
    ({"set": {"files": {"CERT_FILE": {"contains_my_number": True}}}}, "files:CERT_FILE", "new-mn-file"),
    # new-mn-holder: a new system holding My Numbers; an existing one that starts to
    ({"add": {"systems": [{**NEW_SYSTEM, "holds": "REG_FILE"}]}}, "systems:NEW", "new-mn-holder"),
    ({"set": {"systems": {"TERM": {"holds": "REG_FILE"}}}}, "systems:TERM", "new-mn-holder"),
    # new-mn-flow: a new flow carrying My Numbers; an existing flow re-routed
    ({"add": {"flows": [MN_FLOW]}}, "flows:F3", "new-mn-flow"),
    ({"set": {"flows": {"F1": {"source": "SRV"}}}}, "flows:F1", "new-mn-flow"),
    # new-outsourcing: an outsource flow, a contractor-run system, a subcontractor instead of a contractor
    ({"add": {"flows": [{**MN_FLOW, "files": "", "stage": "outsource"}]}}, "flows:F3", "new-outsourcing"),
    ({"set": {"flows": {"F1": {"stage": "outsource"}}}}, "flows:F1", "new-outsourcing"),
    ({"add": {"systems": [{**NEW_SYSTEM, "operator": "subcontractor"}]}}, "systems:NEW", "new-outsourcing"),
    ({"set": {"systems": {"SRV": {"operator": "subcontractor"}}}}, "systems:SRV", "new-outsourcing"),
    ({"set": {"zones": {"CORE": {"operator": "contractor"}}}}, "zones:CORE", "new-outsourcing"),
    # new-recipient: a provide/network flow carrying My Numbers to a system that received none before
    ({"add": {"flows": [{**MN_FLOW, "stage": "provide"}]}}, "flows:F3", "new-recipient"),
    ({"set": {"flows": {"F2": {"stage": "network"}}}}, "flows:F2", "new-recipient"),
    # mn-storage-moved: a My Number holder moves to a zone with another operator
    ({"set": {"systems": {"REG": {"zone_id": "DC"}}}}, "systems:REG", "mn-storage-moved"),
    # new-record-items: a My Number file records more items
    ({"set": {"files": {"REG_FILE": {"items": "個人番号;4情報;税額"}}}}, "files:REG_FILE", "new-record-items"),
    # threshold-up: 1,500 people (basic) → 150,000 (focused), or 500 handlers in the 10,000–99,999 band
    ({"set": {"model": {"target_population": 150000}}}, "model:target_population", "threshold-up"),
])
def test_each_rule_fires(tiny, scenario, key, rule):
    d = diff(tiny, changed(tiny, **scenario))
    assert rule in rules_fired(d)[key], d.changes
    assert d.is_important and d.classification == "important"
    assert d.changes.set_index(["table", "id"]).loc[tuple(key.split(":")), "change_class_ja"] == "重要な変更"


@pytest.mark.parametrize("scenario, key", [
    ({"add": {"files": [{"file_id": "MEMO", "name_ja": "メモ", "records": 10, "contains_my_number": False}]}}, "files:MEMO"),
    ({"set": {"files": {"REG_FILE": {"contains_my_number": False}}}}, "files:REG_FILE"),
    ({"add": {"systems": [NEW_SYSTEM]}}, "systems:NEW"),  # a city system holding nothing
    ({"set": {"systems": {"SRV": {"holds": "REG_FILE"}}}}, "systems:SRV"),  # holds less
    ({"add": {"flows": [{**MN_FLOW, "files": "CERT_FILE"}]}}, "flows:F3"),  # no My Numbers, use stage
    ({"set": {"flows": {"F1": {"encrypted": True, "channel": "暗号化LAN"}}}}, "flows:F1"),
    ({"set": {"flows": {"F2": {"stage": "retain"}}}}, "flows:F2"),  # out of outsourcing: no new outsourcing
    ({"set": {"systems": {"SRV": {"operator": "contractor", "name_ja": "発行サーバ（改称）"}}}}, "systems:SRV"),
    ({"set": {"systems": {"TERM": {"zone_id": "DC", "entry_likelihood": 0.5}}}}, "systems:TERM"),  # holds nothing
    ({"set": {"files": {"REG_FILE": {"items": "個人番号", "records": 1600}}}}, "files:REG_FILE"),  # fewer items
    ({"set": {"model": {"target_population": 9999}}}, "model:target_population"),  # still basic
    ({"set": {"model": {"target_population": 999}}}, "model:target_population"),  # lighter: none
    ({"remove": {"systems": ["SRV"]}}, "systems:SRV"),
])
def test_changes_outside_the_rules_are_not_important(tiny, scenario, key):
    d = diff(tiny, changed(tiny, **scenario))
    assert not d.is_important and d.classification in ("revision", "formal"), d.changes
    assert not set(rules_fired(d)[key]) & {r.rule_id for r in CHANGE_RULES if r.change_class == "important"}


# --- the three classes: important (a measure removed or weakened), revision, formal ------------------


@pytest.mark.parametrize("scenario, key, rule", [
    ({"remove": {"controls": ["C3"]}}, "controls:C3", "control-removed"),  # implemented
    ({"remove": {"controls": ["C2"]}}, "controls:C2", "control-removed"),  # planned: a stated measure
    ({"set": {"controls": {"C1": {"status": "planned"}}}}, "controls:C1", "control-weakened"),
    ({"set": {"controls": {"C1": {"status": "missing"}}}}, "controls:C1", "control-weakened"),
    ({"set": {"controls": {"C2": {"status": "missing"}}}}, "controls:C2", "control-weakened"),  # planned → missing
    ({"set": {"controls": {"C1": {"effectiveness": 0.4}}}}, "controls:C1", "control-weakened"),
    ({"set": {"controls": {"C1": {"mitigates": "use-2"}}}}, "controls:C1", "control-weakened"),
    ({"set": {"controls": {"C1": {"applies_to": "REG"}}}}, "controls:C1", "control-weakened"),
    # stronger on one side, weaker on the other: the weaker side decides
    ({"set": {"controls": {"C1": {"status": "planned", "effectiveness": 0.9}}}}, "controls:C1", "control-weakened"),
    ({"set": {"flows": {"F2": {"encrypted": False}}}}, "flows:F2", "encryption-off"),
    ({"set": {"ratings": {"use-2": {"rating": "課題が残されている"}}}}, "ratings:use-2", "rating-worse"),
])
def test_removing_or_weakening_a_measure_is_important(tiny, scenario, key, rule):
    d = diff(tiny, changed(tiny, **scenario))
    row = d.changes.assign(key=d.changes["table"] + ":" + d.changes["id"]).set_index("key").loc[key]
    assert (row["change_class"], row["change_class_ja"], row["rule"]) == ("important", "重要な変更", rule), d.changes
    assert d.classification == "important"
    sheet = d.change_sheet()
    assert sheet["提出時期"].tolist() == ["事前"] and sheet.at[0, "規則"] == rule


@pytest.mark.parametrize("scenario, key, rule", [
    ({"add": {"controls": [{"control_id": "C9", "name_ja": "監査", "mitigates": "use-2", "applies_to": "REG",
                            "effectiveness": 0.3, "status": "planned", "source": "assumption: test"}]}},
     "controls:C9", "control-added"),
    ({"set": {"controls": {"C2": {"status": "implemented"}}}}, "controls:C2", "control-strengthened"),
    ({"set": {"controls": {"C1": {"effectiveness": 0.7, "applies_to": "REG;TERM;SRV"}}}}, "controls:C1",
     "control-strengthened"),
    ({"set": {"flows": {"F1": {"encrypted": True}}}}, "flows:F1", "encryption-on"),
    ({"set": {"ratings": {"use-2": {"rating": "特に力を入れている"}}}}, "ratings:use-2", "rating-better"),
    ({"remove": {"systems": ["SRV"]}}, "systems:SRV", "element-removed"),
    # C2 applied only to F2, removed with SRV: removed with what it protected
    ({"remove": {"systems": ["SRV"]}}, "controls:C2", "element-removed"),
    ({"set": {"files": {"REG_FILE": {"records": 1600}}}}, "files:REG_FILE", "other-change"),
])
def test_adding_or_strengthening_a_measure_is_a_revision(tiny, scenario, key, rule):
    d = diff(tiny, changed(tiny, **scenario))
    row = d.changes.assign(key=d.changes["table"] + ":" + d.changes["id"]).set_index("key").loc[key]
    assert (row["change_class"], row["change_class_ja"], row["rule"]) == ("revision", "評価書の修正", rule), d.changes
    assert d.classification == "revision" and not d.is_important
    assert "評価書の修正" in d.verdict("ja") and "軽微" not in d.verdict("ja") and "minor" not in d.verdict("en").lower()
    assert set(d.change_sheet()["提出時期"]) == {"事後"}


def test_removing_a_control_that_protected_nothing_is_a_revision(tiny):
    base = changed(tiny, set={"controls": {"C2": {"status": "missing"}}})
    d = diff(base, changed(base, remove={"controls": ["C2"]}))
    assert d.changes.set_index("id").at["C2", "change_class"] == "revision"
    assert d.changes.set_index("id").at["C2", "rule"] == "other-change"


def test_a_renamed_element_with_nothing_else_changed_is_formal(tiny):
    d = diff(tiny, changed(tiny, set={"controls": {"C1": {"name_ja": "アクセス制御（改称）", "name_en": "Access"}},
                                      "systems": {"SRV": {"name_ja": "発行サーバ（改称）"}}}))
    assert d.changes["change_class"].tolist() == ["formal", "formal"] and set(d.changes["rule"]) == {"renamed"}
    assert d.classification == "formal" and d.verdict("ja") == "形式的な変更のみです（2 件）。"
    sheet = d.change_sheet()
    assert sheet["区分"].tolist() == ["形式的な変更"] * 2 and sheet["提出時期"].tolist() == ["事後"] * 2
    # renamed and weakened: the weakening decides
    d = diff(tiny, changed(tiny, set={"controls": {"C1": {"name_ja": "改称", "status": "planned"}}}))
    assert d.changes.at[0, "change_class"] == "important" and d.changes.at[0, "rules"] == ["control-weakened"]


def test_the_change_sheet_has_the_form_columns_and_the_wording(tiny):
    new = changed(tiny, remove={"controls": ["C3"]}, set={"flows": {"F2": {"encrypted": False}}})
    sheet = diff(tiny, new).change_sheet()
    assert list(sheet.columns) == ["変更日", "項目", "変更前の記載", "変更後の記載", "提出時期", "提出時期に係る説明",
                                   "区分", "規則", "変更日の根拠", "model_ref"]
    by_rule = sheet.set_index("規則")
    # the form's words: the column by its meaning (model/schema.py), a truth value in words, never the column name
    assert by_rule.at["encryption-off", "変更前の記載"] == "暗号化されているか：はい"
    assert by_rule.at["encryption-off", "変更後の記載"] == "暗号化されているか：いいえ"
    assert by_rule.at["encryption-off", "項目"].endswith("（住民記録システム → 発行サーバ）"), by_rule.at["encryption-off", "項目"]
    assert by_rule.at["control-removed", "変更後の記載"] == "記載なし"
    assert by_rule.at["control-removed", "変更前の記載"].startswith("公表（状況：実施済み／")
    assert by_rule.at["control-removed", "項目"].startswith("Ⅲ ")
    # the analysts' ids stay, in the trailing column
    assert by_rule.at["encryption-off", "model_ref"] == "flows F2: encrypted"
    assert by_rule.at["control-removed", "model_ref"] == "controls C3"
    # no submission recorded: the assessment day, and the sheet says so
    assert (sheet["変更日"] == str(new.meta["assessed_on"])).all()
    assert sheet["変更日の根拠"].str.startswith("評価実施日（assessed_on").all()
    assert sheet["提出時期に係る説明"].str.startswith("重要な変更").all()


def test_the_change_date_is_the_submission_of_the_newer_version():
    h28, r3 = (load_model(bundled_model_path(f"kitakyushu-juki-{v}")) for v in ("h28", "r3"))
    sheet = diff(h28, r3).change_sheet()
    assert len(sheet) and (sheet["変更日"] == r3.meta["procedure"]["submitted_on"].isoformat()).all()
    assert (sheet["変更日"] != r3.meta["assessed_on"].isoformat()).all()
    assert (sheet["変更日の根拠"] == "提出日（procedure.submitted_on）").all()


def test_a_recipient_that_already_received_is_not_new(tiny):
    base = changed(tiny, set={"flows": {"F2": {"stage": "provide"}}})
    assert "new-recipient" in rules_fired(diff(tiny, base))["flows:F2"]  # F2 carries the register file
    d = diff(base, changed(base, add={"flows": [{**MN_FLOW, "source": "TERM", "target": "SRV",
                                                 "stage": "provide"}]}))
    assert "new-recipient" not in rules_fired(d)["flows:F3"]


def test_a_flow_without_my_numbers_makes_no_new_recipient(tiny):
    # a certificate or a request provides no 特定個人情報: its target is no 提供先
    d = diff(tiny, changed(tiny, add={"flows": [{**MN_FLOW, "files": "", "stage": "provide"}]}))
    assert "new-recipient" not in rules_fired(d)["flows:F3"]


def test_a_control_added_as_unknown_is_not_a_measure_added(tiny):
    control = {"control_id": "C9", "name_ja": "保険", "name_en": "Insurance", "mitigates": "retain-1",
               "applies_to": "*", "effectiveness": 0, "status": "unknown", "source": "minutes: 不明"}
    fired = rules_fired(diff(tiny, changed(tiny, add={"controls": [control]})))
    assert fired["controls:C9"] == ["other-change"]
    assert rules_fired(diff(tiny, changed(tiny, add={"controls": [{**control, "status": "planned"}]})))[
        "controls:C9"] == ["control-added"]


def test_a_copied_procedure_block_is_not_the_change_day(tiny):
    old = tiny.replace(meta={**tiny.meta, "procedure": {"submitted_on": dt.date(2020, 5, 1)}})
    new = old.replace(meta={**old.meta, "assessed_on": dt.date(2021, 6, 1), "title_ja": "改題"})
    sheet = diff(old, new).change_sheet()
    assert (sheet["変更日"] == "2021-06-01").all() and sheet["変更日の根拠"].str.contains("前の版の記録").all()


def test_the_rules_are_documented_as_data():
    table = change_rules()
    assert table["rule_id"].tolist() == [r.rule_id for r in CHANGE_RULES] and table["rule_id"].is_unique
    assert set(table["confidence"]) <= {"confirmed", "recalled", "project"}
    assert set(table["change_class"]) == {"important", "revision", "formal"}
    assert table["source"].str.len().min() > 20 and (table["form_version"] != "").all()
    assert table["rule_id"].iloc[-1] == "other-change"  # the catch-all is tried last


# --- the Kitakyushu chain h26 → h28 → r3 -----------------------------------------------------------


def test_the_chain_is_oldest_first(chain):
    assert list(chain) == ["kitakyushu-juki-h26", "kitakyushu-juki-h28", "kitakyushu-juki-r3"]
    assert [str(m.meta["assessed_on"]) for m in chain.values()] == ["2014-12-01", "2016-12-01", "2021-11-09"]


def test_h26_predates_the_convenience_store(chain):
    h26, h28 = chain["kitakyushu-juki-h26"], chain["kitakyushu-juki-h28"]
    store = {"CONV_SRV", "JLIS_CENTRE", "STORE_KIOSK"}
    assert not store & set(h26.systems["system_id"]) and store <= set(h28.systems["system_id"])
    assert not {"F17", "F18", "F19"} & set(h26.flows["flow_id"])
    assert not {"C-STORE-FW", "C-CARD-PIN", "C-CARD-SUSPEND", "C-DC-SECURITY"} & set(h26.controls["control_id"])


@pytest.mark.parametrize("version", ["h26", "h28"])
def test_every_row_of_the_versions_is_sourced_or_an_assumption(version):
    model = load_model(bundled_model_path(f"kitakyushu-juki-{version}"))
    for name, col in (("zones", "source"), ("systems", "source"), ("files", "source"), ("flows", "source_ref"),
                      ("controls", "source")):
        frame = getattr(model, name)
        bad = frame.loc[~frame[col].str.contains(r"minutes|ppc_assessment_facts|assumption", regex=True)]
        assert bad.empty, f"{version} {name}: {list(bad.iloc[:, 0])}"
    assert (bundled_model_path(f"kitakyushu-juki-{version}") / "README.md").is_file()


def test_h28_against_h26_is_an_important_change(chain):
    d = diff(chain["kitakyushu-juki-h26"], chain["kitakyushu-juki-h28"])
    assert d.is_important
    fired = rules_fired(d)
    assert "new-mn-holder" in fired["systems:CONV_SRV"]  # the off-site server holds the register
    assert "new-outsourcing" in fired["systems:CONV_SRV"] and "new-outsourcing" in fired["flows:F17"]
    # the certificate flows carry no My Number file: the centre and the kiosk are no new 提供先
    assert "new-recipient" not in fired.get("flows:F18", []) and "new-recipient" not in fired.get("flows:F19", [])
    assert set(d.important["id"]) == {"OFFSITE", "CONV_SRV", "F17"}
    assert d.ids("flows", "added") == ["F17", "F18", "F19"] and d.ids("flows", "removed") == []
    # the store controls, added or extended to the new systems, are revisions of the 評価書
    assert fired["controls:C-LGWAN"] == ["control-strengthened"] and fired["controls:C-STORE-FW"] == ["control-added"]
    sheet = d.change_sheet()
    # one row per form item the important rules name (change_rules.csv): the new data centre and the server are
    # each a new 保管場所 (Ⅱ 6 ①) and a new 委託 (Ⅱ 4); the new flow's Ⅱ 4 ④ is a part of Ⅱ 4, so one row
    early = sheet.loc[sheet["提出時期"] == "事前"]
    assert sorted(zip(early["model_ref"].str.split().str[1], early["規則"])) == [
        ("CONV_SRV", "new-mn-holder"), ("CONV_SRV", "new-outsourcing"), ("F17", "new-mn-flow"),
        ("OFFSITE", "new-mn-holder"), ("OFFSITE", "new-outsourcing")]
    assert early["項目"].str.startswith("Ⅱ 6 特定個人情報の保管・消去 ①保管場所").sum() == 2


def test_r3_against_h28_is_a_revision_as_the_minutes_say(chain):
    # 前回から大きな変更点はない: no measure removed or weakened, only added (planned or missing) controls
    d = diff(chain["kitakyushu-juki-h28"], chain["kitakyushu-juki-r3"])
    assert d.classification == "revision" and not d.is_important
    controls = d.changes.loc[d.changes["table"] == "controls"].set_index("id")["rule"]
    # the leak insurance is recorded as unknown: no measure added, another change (a revision)
    assert controls.pop("C-LEAK-INSURANCE") == "other-change" and set(controls) == {"control-added"}
    rows = d.changes.loc[d.changes["table"] != "model"]
    # fewer residents (records), and the open items of the 2021 review (planned or missing controls)
    assert {"HONNIN_FILE", "JUKI_FILE", "SOUFU_FILE", "C-LEAK-INSURANCE"} <= set(rows["id"])
    assert set(rows["table"]) <= {"files", "controls", "ratings"}  # no system, flow or zone changed


def test_version_history(chain):
    h = version_history(R3)
    assert h["version"].tolist() == list(chain)
    assert h["vs_previous"].tolist() == ["", "important", "revision"]
    assert h["mn_holders_outside_city"].tolist() == [3, 4, 4]  # the off-site server joins J-LIS's three
    assert (h["required"] == "full").all()
    cov = history_coverage(R3)
    assert cov["stage"].tolist() == ["acquire", "use", "outsource", "provide", "network", "retain"]
    values = cov.drop(columns=["stage", "name_ja"]).to_numpy()
    assert ((values >= 0) & (values <= 1)).all()


def test_history_of_a_model_without_previous(tiny):
    h = version_history(tiny)
    assert h["version"].tolist() == ["tiny"] and h.at[0, "vs_previous"] == ""


# --- command line ----------------------------------------------------------------------------------


def test_cli_diff_table_and_json(capsys):
    assert main(["diff", str(H26), str(H28)]) == 0
    out = capsys.readouterr().out
    assert "重要な変更が 3 件あります" in out and "CONV_SRV" in out and "new-mn-holder" in out
    assert main(["diff", str(H28), str(R3), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["classification"] == "revision" and data["old"] == "kitakyushu-juki-h28"
    assert data["change_sheet"][0]["提出時期"] == "事後"


def test_cli_diff_csv_prints_the_change_sheet(capsys):
    assert main(["diff", str(H26), str(H28), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == \
        "変更日,項目,変更前の記載,変更後の記載,提出時期,提出時期に係る説明,区分,規則,変更日の根拠,model_ref"
    assert out.count(",事前,") == 5 and "軽微" not in out  # Ⅱ 6 and Ⅱ 4 for OFFSITE and CONV_SRV, Ⅱ 4 ④ for F17


def test_the_r3_measures_dropped_are_important_changes():
    # The store firewall, the breach response and the re-outsourcing approval removed, and two links no
    # longer encrypted: every one a 重要な変更 with its (別添3) row, submitted beforehand.
    r3 = load_model(R3)
    links = r3.flows.loc[r3.flows["encrypted"], "flow_id"].tolist()[:2]
    new = changed(r3, remove={"controls": ["C-STORE-FW", "C-BREACH-RESPONSE", "C-SUBCON-APPROVAL"]},
                  set={"flows": {f: {"encrypted": False} for f in links}})
    d = diff(r3, new)
    assert d.classification == "important" and "重要な変更が 5 件" in d.verdict("ja")
    assert sorted(d.important["id"]) == sorted(["C-BREACH-RESPONSE", "C-STORE-FW", "C-SUBCON-APPROVAL", *links])
    assert (d.change_sheet()["提出時期"] == "事前").all() and len(d.change_sheet()) == 5
    # the same as the committee's scenarios put it: set missing instead of removed
    d = diff(r3, changed(r3, set={"controls": {"C-STORE-FW": {"status": "missing"}}}))
    assert d.important["rule"].tolist() == ["control-weakened"]


def test_cli_diff_bad_model_exits_1(tmp_path, capsys):
    assert main(["diff", str(H26), str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err
    assert "is not a directory" in err and "Traceback" not in err


def test_cli_diff_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["diff", str(H26)])
    assert exc.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_cli_history(capsys):
    assert main(["history", str(R3), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "3 version(s), oldest first" in out and out.index("juki-h26") < out.index("juki-r3")
    assert main(["history", str(R3), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [v["vs_previous"] for v in data["versions"]] == ["", "important", "revision"]
    assert len(data["coverage"]) == 6


def test_cli_history_bad_model_exits_1(tmp_path, capsys):
    assert main(["history", str(tmp_path)]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_frames_are_plain(chain):
    # the diff tables are ordinary DataFrames (no Styler), sorted: model keys, then tables in format order
    d = diff(chain["kitakyushu-juki-h26"], chain["kitakyushu-juki-h28"])
    assert isinstance(d.changes, pd.DataFrame)
    tables = d.changes["table"].tolist()
    assert tables == sorted(tables, key=["model", "zones", "systems", "files", "flows", "controls", "risks",
                                         "ratings"].index)


# --- only versions of one assessment are compared ---------------------------------------------------


def test_models_of_different_organisations_are_not_diffed_or_compared(tiny):
    r3 = load_model(R3)
    for check in (diff, compare):
        with pytest.raises(DifferentAssessmentError) as info:
            check(r3, tiny)
        assert "organisation '北九州市' ≠ 'テスト市'" in str(info.value)
        assert str(r3.path) in str(info.value) and str(tiny.path) in str(info.value)
    other_affairs = tiny.replace(meta={**tiny.meta, "affairs": "地方税に関する事務"})
    with pytest.raises(DifferentAssessmentError, match="affairs '住民基本台帳に関する事務' ≠ '地方税に関する事務'"):
        diff(tiny, other_affairs)


def test_the_cli_refuses_to_diff_two_assessments_in_one_line(tiny, capsys):
    assert main(["diff", str(R3), str(TINY)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("pia-analysis: error: ")
    assert "are not versions of one assessment: organisation '北九州市' ≠ 'テスト市'" in err


def test_every_change_rule_is_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "versions.md").read_text(encoding="utf-8")
    assert all(f"| `{r.rule_id}` | {r.change_class} |" in doc for r in CHANGE_RULES)
    assert "軽微" not in doc and "minor" not in doc.lower()


def test_a_catalogue_rule_without_a_predicate_is_a_catalog_error(monkeypatch):
    from pia_analysis.catalog import CatalogError
    from pia_analysis.whatif import versions

    good = versions.read_table("change_rules.csv")
    bad = pd.concat([good, good.tail(1).assign(rule_id="made-up", change_class="trivial")], ignore_index=True)
    monkeypatch.setattr(versions, "read_table", lambda name: bad)
    with pytest.raises(CatalogError, match=r"made-up.*no predicate.*'trivial' is not one of"):
        versions._load_rules()


def test_the_form_item_comes_from_the_catalogue(tiny):
    d = diff(tiny, changed(tiny, set={"model": {"target_population": 1600},
                                      "flows": {"F2": {"channel": "専用線"}}}))
    items = d.changes.set_index("id")["form_item_ja"]
    assert items["target_population"] == "Ⅱ 2 基本情報 ②対象となる本人の数"
    assert items["F2"].startswith("Ⅱ 4 特定個人情報ファイルの取扱いの委託")  # F2 is an outsource flow



@pytest.mark.parametrize("stage, item", [("use", "Ⅱ 3 特定個人情報の入手・使用 ⑧使用方法"),
                                         ("outsource", "Ⅱ 4 特定個人情報ファイルの取扱いの委託"),
                                         ("provide", "Ⅱ 5 特定個人情報の提供・移転"),
                                         ("retain", "Ⅱ 6 特定個人情報の保管・消去")])
def test_a_new_flows_form_item_follows_its_stage(tiny, stage, item):
    """A new flow with My Numbers is filed under its stage's item (change_items.csv), not always Ⅱ 3 ② / Ⅱ 5 ⑥."""
    d = diff(tiny, changed(tiny, add={"flows": [{**MN_FLOW, "stage": stage}]}))
    row = d.changes.set_index("id").loc["F3"]
    assert "new-mn-flow" in row["rules"] and row["form_item_ja"].startswith(item)
    assert "入手方法 / Ⅱ 5" not in row["form_item_ja"]


def test_a_new_zone_holding_a_new_my_number_store_is_the_same_change_as_the_store(tiny):
    """遠隔地バックアップ拠点 (new zone) and バックアップストレージ (new system in it holding My Numbers): both 事前."""
    zone = {"zone_id": "BACKUP", "name_ja": "遠隔地バックアップ拠点", "internet_facing": False, "operator": "city",
            "source": "assumption: test"}
    store = {**NEW_SYSTEM, "system_id": "STORE", "zone_id": "BACKUP", "holds": "REG_FILE"}
    d = diff(tiny, changed(tiny, add={"zones": [zone], "systems": [store]}))
    classes = d.changes.set_index(["table", "id"])["change_class"]
    assert classes[("zones", "BACKUP")] == classes[("systems", "STORE")] == "important"
    assert "new-mn-holder" in rules_fired(d)["zones:BACKUP"]
    sheet = d.change_sheet()
    assert set(sheet.loc[sheet["項目"].str.startswith("Ⅱ 6"), "提出時期"]) == {"事前"}
    # a new zone with nothing that holds My Numbers stays outside the rule
    empty = diff(tiny, changed(tiny, add={"zones": [zone]}))
    assert "new-mn-holder" not in rules_fired(empty)["zones:BACKUP"]


# ---------------------------------------------------------------------------------------------------
# (別添3) in the form's words; data first given in the newer version

_COLUMN_NAMES = sorted({c.name for t in TABLES for c in t.columns if "_" in c.name} | {"records", "status", "stage",
                        "mitigates", "holds", "items", "rating", "answer", "detail", "encrypted", "operator"})


def _form_text(sheet):
    return "\n".join(sheet[["項目", "変更前の記載", "変更後の記載", "提出時期に係る説明"]].astype(str).agg("\n".join, axis=1))


@pytest.mark.parametrize("pair", [("assessment-v1", "assessment-v2"), ("kitakyushu-juki-h28", "kitakyushu-juki-r3"),
                                  ("kitakyushu-juki-h26", "kitakyushu-juki-h28")])
def test_the_change_sheet_speaks_the_form_and_keeps_the_ids_in_model_ref(pair):
    old, new = (load_model(MODELS / p if p.startswith("assessment") else bundled_model_path(p)) for p in pair)
    sheet = diff(old, new).change_sheet()
    text = _form_text(sheet)
    # an id inside a name (市町村CS) is the name; the English title is the title
    for name in sorted({str(n) for m in (old, new) for t in TABLES if "name_ja" in getattr(m, t.name)
                        for n in getattr(m, t.name)["name_ja"]} | {str(m.meta.get("title_en")) for m in (old, new)},
                       key=len, reverse=True):
        text = text.replace(name, "")
    ids = {str(i) for m in (old, new) for t in TABLES for i in getattr(m, t.name)[t.key]} | set(MODEL_KEYS)
    assert not [i for i in ids if re.search(rf"(?<![A-Za-z0-9_\-]){re.escape(i)}(?![A-Za-z0-9_\-])", text)], text
    assert not [c for c in _COLUMN_NAMES if re.search(rf"\b{c}\b", text)], text
    assert not re.search(r"[a-z_]+: ", text), text  # no key: value
    # the ids are kept for analysts, one element per row
    refs = sheet.loc[sheet["規則"] != "first-given", "model_ref"]
    assert refs.str.match(r"^(model|zones|systems|files|flows|controls|ratings|sub_measures|file_details|"
                          r"outsourcing|recipients|form_answers) \S+").all(), refs


def test_counts_are_in_people_with_the_band_and_measures_in_the_forms_words():
    h28, r3 = (load_model(bundled_model_path(f"kitakyushu-juki-{v}")) for v in ("h28", "r3"))
    sheet = diff(h28, r3).change_sheet().set_index("model_ref")
    assert sheet.at["model target_population", "変更後の記載"] == "932,000人（10万人以上100万人未満）"
    assert sheet.at["files HONNIN_FILE: records", "変更前の記載"] == "記録される人数：957,000人（10万人以上100万人未満）"
    assert sheet.at["files HONNIN_FILE: records", "項目"].endswith("（本人確認情報ファイル）")
    audit = sheet.at["controls C-LOG-AUDIT", "変更後の記載"]
    assert audit.startswith("操作ログの定期監査（状況：予定／") and "30%" in audit
    assert "従業者が事務外で使用するリスク" in audit and "住民記録システム" in audit, audit
    assert sheet.at["controls C-LOG-AUDIT", "変更前の記載"] == "記載なし"
    assert sheet.at["controls C-LOG-AUDIT", "項目"].endswith("（操作ログの定期監査）")


def test_data_first_given_in_the_newer_version_is_one_note_not_rows():
    # h28 records no document block, file details, outsourcing, recipients or sub-measures; r3 does
    h28, r3 = (load_model(bundled_model_path(f"kitakyushu-juki-{v}")) for v in ("h28", "r3"))
    assert first_given(h28, r3) == ["document", "file_details", "outsourcing", "recipients", "sub_measures"]
    sheet = diff(h28, r3).change_sheet()
    notes = sheet.loc[sheet["規則"] == "first-given"]
    assert len(notes) == 1 and notes.iloc[0]["区分"] == "注記" and notes.iloc[0]["変更前の記載"] == "記載なし"
    assert notes.iloc[0]["model_ref"] == "document; file_details; outsourcing; recipients; sub_measures"
    assert not sheet["model_ref"].str.match(r"^(file_details|outsourcing|recipients|sub_measures|form_answers) ").any()
    # both versions record them: rows are compared as any other, and there is no note
    details = r3.file_details.copy()
    details.loc[0, "purpose"] = "住民に関する記録を正確かつ迅速に行うため"
    d = diff(r3, r3.replace(file_details=details))
    sheet = d.change_sheet()
    assert "first-given" not in set(sheet["規則"]) and first_given(r3, r3) == []
    row = sheet.set_index("model_ref").loc[f"file_details {details.loc[0, 'file_id']}: purpose"]
    assert row["変更後の記載"] == "住民に関する記録を正確かつ迅速に行うため" and row["項目"].startswith("Ⅱ 3 "), row


def test_the_assessments_change_table_notes_first_given_data_once_without_a_row():
    from pia_analysis.outputs.assessment_answers import assessment_answers

    h28, r3 = (load_model(bundled_model_path(f"kitakyushu-juki-{v}")) for v in ("h28", "r3"))
    a = assessment_answers(r3, form="full", previous=h28)
    head = a.loc[a["item_id"] == "full.A3", "answer"].tolist()
    assert len(head) == 1 and "この版で初めて記録" in head[0], head
    items = a.loc[a["item_id"] == "full.A3.item", "answer"].tolist()
    assert items and not any("初めて記録" in i for i in items)
    assert head[0].startswith(f"{len(items)}件")
