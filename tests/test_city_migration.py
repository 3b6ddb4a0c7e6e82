"""The migration of a city to the government cloud (pia_analysis.whatif.migration; docs/government-cloud.md,
"Migrating a city"): a scenario over a workspace, the per-affair classification against the change rules'
catalogue, exposure and coverage recomputed, the bundled 'after' city, and bad input refused with nothing written."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pandas as pd
import pytest

from pia_analysis import (bundled_workspace_path, catalog, city_migration, load_workspace, shared_change_impact,
                          write_city_scenario)
from pia_analysis.analysis.coverage import stage_coverage
from pia_analysis.analysis.exposure import node_exposure
from pia_analysis.cli import main
from pia_analysis.model.errors import ModelError
from pia_analysis.util.errors import InvalidArgumentError
from pia_analysis.util.files import OutputRefused
from pia_analysis.whatif.migration import apply_city_scenario

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workspace_cases import MIGRATION, WORKSPACES, build  # noqa: E402

#: The core systems of the example city a 標準準拠システム replaces (docs/government-cloud.md, "Migrating a city").
CORE = ["ATENA", "juki:JUKI_REC", "juminzei:ZEI_SYS", "kokuho:KOKUHO_SYS"]
ONE = WORKSPACES / "register_at_conbini"


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _rules() -> pd.DataFrame:
    return catalog.read_table("change_rules.csv").set_index("rule_id")


@pytest.fixture(scope="module")
def city():
    return load_workspace(bundled_workspace_path())


@pytest.fixture(scope="module")
def moved(city):
    return city_migration(city, CORE)


# ---------------------------------------------------------------------------------------------------
# the example city: each affair's class and reasons, as the change rules' catalogue says


def test_every_affair_of_the_example_city_is_an_important_change_by_the_catalogues_rules(moved):
    rules = _rules()
    # each affair's own core system and the shared 統合宛名 hold My Number files, were run by the city in its core
    # network and go to a tenancy run by the cloud provider, operated by the vendor. The catalogue: a system newly
    # run by a contractor is new-outsourcing (Ⅱ 4); a My Number holder moving to a zone of another operator is
    # mn-storage-moved (Ⅱ 6 ①保管場所); both important.
    expected = {"new-outsourcing", "mn-storage-moved"}
    assert {rules.at[r, "change_class"] for r in expected} == {"important"}
    table = moved.affairs.set_index("affair_id")
    assert list(table.index) == ["juki", "juminzei", "kokuho"]
    own = {"juki": "JUKI_REC", "juminzei": "ZEI_SYS", "kokuho": "KOKUHO_SYS"}
    for affair_id, system in own.items():
        row = table.loc[affair_id]
        assert row["change_class_ja"] == "重要な変更" and set(row["rules"]) == expected
        assert sorted(row["moved"]) == sorted([system, "ATENA"])
        changes = moved.impact.changes.loc[moved.impact.changes["affair_id"] == affair_id].set_index("id")
        for s in (system, "ATENA"):
            assert set(changes.at[s, "rules"]) == expected and changes.at[s, "change_class"] == "important"
        for rule in expected:
            assert f"[{rule}]" in row["reasons_ja"]
        # (別添3): for each moved system, one row 事前 per item the two rules name, worded as the catalogue
        sheet = moved.sheets.loc[moved.sheets["affair_id"] == affair_id]
        early = sheet.loc[sheet["区分"] == "重要な変更"]
        assert len(early) == 4 and set(early["規則"]) == expected
        # one move, one submission: every row of the affair goes before the move with the re-assessment
        assert set(sheet["提出時期"]) == {"事前"}
        names = dict(zip(moved.workspace.models[affair_id].systems["system_id"],
                         moved.workspace.models[affair_id].systems["name_ja"]))
        for s in (system, "ATENA"):
            for rule in expected:
                assert f"{rules.at[rule, 'form_item_ja']}（{names[s]}）" in set(early["項目"])
        assert row["sheet_rows"] == len(sheet)


def test_the_rest_of_the_move_is_a_revision(moved):
    # the tenancy zone and the flows put on the connection line: 評価書の修正 (other-change); alone they would be
    # filed 事後, but they are rows of the same move as the 重要な変更, submitted with it before the move
    later = moved.impact.changes.loc[moved.impact.changes["change_class"] != "important"]
    assert set(later["change_class"]) == {"revision"}
    assert set(later.loc[later["table"] == "zones", "id"]) == {"GOVCLOUD"}
    assert set(later["table"]) == {"zones", "flows"}
    assert set(moved.impact.sheets.loc[moved.impact.sheets["区分"] == "評価書の修正", "提出時期"]) == {"事後"}
    sheet = moved.sheets.loc[moved.sheets["区分"] == "評価書の修正"]
    assert set(sheet["提出時期"]) == {"事前"}
    assert all(w.endswith("同じ移行の重要な変更とともに、変更前に評価を再実施して提出する") for w in sheet["提出時期に係る説明"])


def test_the_intermediate_server_and_the_counter_stay(moved):
    shared = moved.workspace.shared["systems"].set_index("system_id")
    assert shared.at["MIDDLE_SRV", "zone_id"] == "MIDDLE" and shared.at["MADOGUCHI", "zone_id"] == "CORE"
    assert shared.at["ATENA", "zone_id"] == "GOVCLOUD" and shared.at["ATENA", "operator"] == "contractor"
    zones = moved.workspace.shared["zones"].set_index("zone_id")
    assert zones.at["GOVCLOUD", "operator"] == "cloud_provider" and bool(zones.at["GOVCLOUD", "government_cloud"])
    assert zones.at["GOVCLOUD", "source"].startswith("assumption:")


def test_exposure_and_coverage_before_and_after_are_recomputable(city, moved):
    for affair_id in city.models:
        old, new = city.models[affair_id], moved.workspace.models[affair_id]
        rows = moved.exposure.loc[moved.exposure["affair_id"] == affair_id].set_index("holder_id")
        mn = set(old.my_number_files)
        holders = [s for s, h in zip(old.systems["system_id"], old.systems["holds"]) if mn & set(h)]
        assert list(rows.index) == holders
        for model, column in ((old, "exposure_before"), (new, "exposure_after")):
            exposure = node_exposure(model).set_index("system_id")["exposure"]
            assert all(math.isclose(rows.at[h, column], exposure[h]) for h in holders)
        row = moved.affairs.set_index("affair_id").loc[affair_id]
        assert math.isclose(row["exposure_max_before"], rows["exposure_before"].max())
        cov = moved.coverage.loc[moved.coverage["affair_id"] == affair_id].set_index("stage")
        for model, column, overall in ((old, "coverage_before", row["coverage_before"]),
                                       (new, "coverage_after", row["coverage_after"])):
            table = stage_coverage(model).set_index("stage")
            scoped = table.loc[table["in_scope"].astype(bool)]
            for stage in scoped.index:
                assert math.isclose(cov.at[stage, column], scoped.at[stage, "coverage"])
            assert math.isclose(overall, scoped["covered"].sum() / scoped["pairs"].sum())
    # the move changes zones, operators and channels, not flows or controls: exposure does not move
    assert (moved.exposure["delta"] == 0).all()
    # the vendor's new 委託 brings the outsourcing stage into kokuho's scope (it had none)
    kokuho = moved.coverage.set_index(["affair_id", "stage"]).loc[("kokuho", "outsource")]
    assert math.isnan(kokuho["coverage_before"]) and kokuho["coverage_after"] == 0.0


def test_controls_naming_a_moved_system_are_questions_not_changes(city, moved):
    questions = moved.questions.set_index("control_id")
    # the core network's isolation names ATENA: after the move it may not hold in the tenancy; it is kept as it is
    assert questions.at["SC-CORE-ISOLATION", "affair_id"] == "shared"
    assert questions.at["SC-CORE-ISOLATION", "moved"] == ["ATENA"]
    assert questions.at["J-STAFF-AUTH", "moved"] == ["JUKI_REC"]
    before = city.shared["controls"].set_index("control_id").at["SC-CORE-ISOLATION", "applies_to"]
    after = moved.workspace.shared["controls"].set_index("control_id").at["SC-CORE-ISOLATION", "applies_to"]
    assert before == after
    assert moved.cloud_to_cloud.empty


def test_the_bundled_after_city_is_what_the_migration_writes(city, moved, tmp_path):
    bundled = bundled_workspace_path("example-city-cloud")
    written = write_city_scenario(city, moved.scenario, tmp_path / "after")
    assert _tree(tmp_path / "after") == _tree(bundled), \
        "regenerate: pia-analysis city migrate data/example-city --systems " + ",".join(CORE) + \
        " --out data/example-city-cloud"
    after = load_workspace(bundled)
    assert shared_change_impact(written, after).affairs["change_class"].tolist() == ["none"] * 3
    for table in ("zones", "systems", "flows"):
        assert after.shared[table]["source" if table != "flows" else "source_ref"].str.startswith("assumption:").all()


def test_a_second_move_of_a_system_already_in_the_cloud_is_reported(moved):
    again = city_migration(moved.workspace, ["ATENA"])
    assert again.cloud_to_cloud.to_dict("records") == [{"system_id": "ATENA", "zone_before": "GOVCLOUD",
                                                       "zone_after": "GOVCLOUD"}]
    assert set(again.affairs["change_class"]) == {"none"}
    other = city_migration(moved.workspace, ["ATENA"], zone_id="GOVCLOUD2")
    assert other.cloud_to_cloud["zone_after"].tolist() == ["GOVCLOUD2"]
    # the same provider's other tenancy: no other operator, so no mn-storage-moved (change_rules.csv): a revision
    assert set(other.affairs["change_class_ja"]) == {"評価書の修正"}


# ---------------------------------------------------------------------------------------------------
# a hand-made city where the move touches one affair


def test_the_hand_made_workspace_is_what_its_definition_makes(tmp_path):
    case = MIGRATION[0]
    assert _tree(build(case, tmp_path)) == _tree(WORKSPACES / case.name), "run: python tests/workspace_cases.py"


def test_moving_a_system_one_affair_takes_touches_that_affair_only():
    ws = load_workspace(ONE)
    m = city_migration(ws, "CONBINI")
    table = m.affairs.set_index("affair_id")
    # zei never takes CONBINI (its closure: ATENA, CORE): 変更なし
    assert table.at["zei", "change_class_ja"] == "変更なし" and table.at["zei", "sheet_rows"] == 0
    # juki keeps REG_FILE (My Numbers) at CONBINI; CONBINI goes from the contractor's DC to the provider's tenancy
    # still run by the contractor: only mn-storage-moved (another operator's zone), not new-outsourcing
    assert table.at["juki", "change_class_ja"] == "重要な変更" and table.at["juki", "rules"] == ["mn-storage-moved"]
    sheet = m.sheets.set_index("規則")
    assert sheet.at["mn-storage-moved", "提出時期"] == "事前"
    assert sheet.at["mn-storage-moved", "項目"] == \
        _rules().at["mn-storage-moved", "form_item_ja"] + "（コンビニ交付システム）"
    # juki's model no longer takes the data centre (no system of it is there): a row of the same move, 事前
    assert "DC" not in m.workspace.models["juki"].zones["zone_id"].tolist()
    assert (m.sheets["区分"] == "重要な変更").sum() == 1 and set(m.sheets["提出時期"]) == {"事前"}
    # the original files are untouched
    assert load_workspace(ONE).models["juki"].systems.set_index("system_id").at["CONBINI", "zone_id"] == "DC"


def test_a_scenario_file_on_the_workspace_from_the_command_line(tmp_path, capsys):
    scenario = tmp_path / "move.yaml"
    scenario.write_text("id: move\nset:\n  systems:\n    CONBINI: {operator: subcontractor}\n", encoding="utf-8")
    assert main(["city", "impact", str(ONE), "--scenario", str(scenario), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "1 of 2 affair(s) changed" in out and "変更なし" in out


# ---------------------------------------------------------------------------------------------------
# bad input: refused, located, nothing written


def test_an_unknown_system_and_an_affairs_own_system_named_bare_are_refused(city):
    with pytest.raises(InvalidArgumentError, match="no system 'NOPE'"):
        city_migration(city, ["NOPE"])
    with pytest.raises(InvalidArgumentError, match=r"'JUKI_REC' is not a shared system.*juki:JUKI_REC"):
        city_migration(city, ["JUKI_REC"])
    with pytest.raises(InvalidArgumentError, match="affair 'juki' has no system 'ZEI_SYS'"):
        city_migration(city, ["juki:ZEI_SYS"])


def test_a_scenario_naming_unknown_ids_is_located_at_its_lines(tmp_path):
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("id: bad\nset:\n  systems:\n    REG: {operator: contractor}\n"
                        "    zei:NOPE: {operator: contractor}\n", encoding="utf-8")
    with pytest.raises(ModelError) as info:
        apply_city_scenario(load_workspace(ONE), scenario)
    text = [str(p) for p in info.value.problems]
    assert any(t.startswith(f"{scenario}:4: system_id: 'REG' is not in the shared part") and "juki:REG" in t
               for t in text)
    assert any(t.startswith(f"{scenario}:5: system_id: cannot set 'zei:NOPE'") for t in text)


def test_a_change_the_loader_refuses_is_located_in_the_workspace_and_nothing_is_written(tmp_path):
    # the shared system moved into a zone nobody defines: the loader's problem, at the workspace's own file
    scenario = {"id": "nowhere", "set": {"systems": {"CONBINI": {"zone_id": "MOON"}}}}
    with pytest.raises(ModelError) as info:
        write_city_scenario(load_workspace(ONE), scenario, tmp_path / "out")
    assert any(str(ONE / "shared" / "systems.csv") in str(p) and "MOON" in str(p) and "once the change" in str(p)
               and "the workspace itself is valid" in str(p)
               for p in info.value.problems)
    assert not (tmp_path / "out").exists() and list(tmp_path.iterdir()) == []


def test_the_cli_refuses_a_folder_with_files_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["city", "migrate", str(ONE), "--systems", "CONBINI", "--out", str(out)]) == 2
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert "choose an empty or new folder for --out" in capsys.readouterr().err
    assert main(["city", "migrate", str(ONE), "--systems", "REG", "--out", str(tmp_path / "new")]) == 2
    err = capsys.readouterr().err
    assert "error: --systems: 'REG' is not a shared system" in err and "Traceback" not in err
    assert not (tmp_path / "new").exists()
    with pytest.raises(OutputRefused):
        write_city_scenario(load_workspace(ONE), {"id": "x"}, ONE / "inside")


def test_the_cli_writes_the_moved_city_and_prints_the_table(tmp_path, capsys):
    out, scenario = tmp_path / "city-cloud", tmp_path / "move.yaml"
    assert main(["city", "migrate", str(ONE), "--systems", "CONBINI", "--out", str(out), "--scenario-out",
                 str(scenario), "--lang", "en"]) == 0
    text = capsys.readouterr().out
    assert "Per affair" in text and "mn-storage" in text and "(別添3) 変更箇所" in text
    moved = load_workspace(out)
    assert moved.shared["systems"].set_index("system_id").at["CONBINI", "zone_id"] == "GOVCLOUD"
    # the scenario file written beside applies to the original and gives the same workspace
    again = apply_city_scenario(load_workspace(ONE), scenario)
    assert shared_change_impact(moved, again).affairs["change_class"].tolist() == ["none", "none"]


# ---------------------------------------------------------------------------------------------------
# the trials' findings (coord/TRIAL16_USER_FINDINGS.md, TRIAL16_ATTACK_FINDINGS.md)


GOOD = WORKSPACES / "good"


def _declaring(tmp_path: Path) -> Path:
    """The hand-made city whose affair zei declares 委託しない (valid: a city-run tax system, no outsourcing)."""
    import shutil

    folder = tmp_path / "city"
    shutil.copytree(GOOD, folder)
    with (folder / "affairs" / "zei" / "model.yaml").open("a", encoding="utf-8") as handle:
        handle.write("# the form's check box\ndeclared_not_applicable: [outsource]\n")
    load_workspace(folder)  # valid as it is
    return folder


def test_moving_an_affair_that_declares_no_outsourcing_drops_the_declaration_as_an_important_change(tmp_path):
    folder = _declaring(tmp_path)
    m = city_migration(load_workspace(folder), ["zei:TAX"])
    assert m.declarations == {"zei": []}
    zei = m.workspace.models["zei"]
    assert not zei.meta.get("declared_not_applicable")
    assert "declared_not_applicable" not in (Path(zei.path) / "model.yaml").read_text(encoding="utf-8")
    row = m.affairs.set_index("affair_id").loc["zei"]
    assert row["change_class_ja"] == "重要な変更" and "new-outsourcing" in row["rules"]
    sheet = m.sheets.loc[m.sheets["affair_id"] == "zei"]
    items = set(sheet["項目"])
    assert "Ⅲ 4 [ ]委託しない" in items and any(i.startswith("Ⅱ 4 特定個人情報ファイルの取扱いの委託") for i in items)
    # the original is untouched; the written copy is the one checked
    assert "declared_not_applicable: [outsource]" in (folder / "affairs" / "zei" / "model.yaml").read_text("utf-8")
    out = tmp_path / "moved"
    assert main(["city", "migrate", str(folder), "--systems", "zei:TAX", "--out", str(out)]) == 0
    assert not load_workspace(out).models["zei"].meta.get("declared_not_applicable")


def test_a_refused_move_names_the_change_not_the_workspace_nor_a_scratch_path(tmp_path, capsys):
    folder = _declaring(tmp_path)
    # the city runs the tax system itself in the tenancy: no outsourcing, the declaration stays; but a flow to
    # the contractor's convenience store system would contradict it: make one by hand in a scenario
    scenario = tmp_path / "s.yaml"
    scenario.write_text("id: s\nset:\n  systems:\n    zei:TAX: {operator: contractor}\n", encoding="utf-8")
    assert main(["city", "impact", str(folder), "--scenario", str(scenario)]) == 1
    err = capsys.readouterr().err
    assert "pia-city-" not in err and "/tmp/pia" not in err
    assert str(folder / "affairs" / "zei" / "model.yaml") in err and str(folder / "affairs" / "zei" / "systems.csv") in err
    assert "the workspace itself is valid" in err and f"once the change {scenario}" in err


def test_the_move_is_dated_on_its_own_day(tmp_path, capsys):
    import datetime as dt

    m = city_migration(load_workspace(ONE), "CONBINI", on=dt.date(2026, 4, 1))
    assert set(m.sheets["変更日"]) == {"2026-04-01"} and set(m.impact.sheets["変更日"]) == {"2024-04-01"}
    assert main(["city", "migrate", str(ONE), "--systems", "CONBINI", "--out", str(tmp_path / "o"), "--on",
                 "令和8年4月1日", "--format", "json"]) == 0
    import json

    assert {r["変更日"] for r in json.loads(capsys.readouterr().out)["sheets"]} == {"2026-04-01"}
    today = dt.date.today().isoformat()
    assert set(city_migration(load_workspace(ONE), "CONBINI").sheets["変更日"]) == {today}


def test_only_the_bodys_own_systems_move(tmp_path, capsys):
    ws = load_workspace(bundled_workspace_path())
    for name, why in (("RESIDENT", "kind 'external'"), ("STORE_KIOSK", "kind 'terminal'"),
                      ("IPNS_HUB", "run by"), ("MIDDLE_SRV", "run by")):
        with pytest.raises(InvalidArgumentError, match=f"'{name}' cannot move to the government cloud: it is.*{why}"):
            city_migration(ws, [name])
    assert main(["city", "migrate", str(bundled_workspace_path()), "--systems", "RESIDENT", "--out",
                 str(tmp_path / "o")]) == 2
    assert "--systems: 'RESIDENT' cannot move" in capsys.readouterr().err and not (tmp_path / "o").exists()
    # a system of a shared id named with an affair: it is the shared one
    with pytest.raises(InvalidArgumentError, match="'ATENA' is a shared system: name it ATENA"):
        city_migration(ws, ["juki:ATENA"])


def test_an_affairs_own_copy_of_a_shared_id_does_not_move_and_says_so(tmp_path):
    import shutil

    folder = tmp_path / "city"
    shutil.copytree(GOOD, folder)
    # zei saved standalone: no shared part taken, its own copy of the addressee system and of the core network
    zei = folder / "affairs" / "zei"
    model_yaml = (zei / "model.yaml").read_text(encoding="utf-8")
    (zei / "model.yaml").write_text(model_yaml.replace("shared: ../../shared\n", ""), encoding="utf-8")
    (zei / "holdings.csv").unlink()
    with (zei / "zones.csv").open("a", encoding="utf-8") as handle:
        handle.write("CORE,基幹系ネットワーク,Core network,false,city,assumption: test\n")
    with (zei / "systems.csv").open("a", encoding="utf-8") as handle:
        handle.write("ATENA,団体内統合宛名システム,Integrated addressee system,CORE,system,city,TAX_FILE,,"
                     "assumption: test\n")
    ws = load_workspace(folder)
    assert "ATENA" not in ws.models["zei"].shared_ids
    row = city_migration(ws, ["ATENA"]).affairs.set_index("affair_id").loc["zei"]
    assert row["moved"] == [] and "ATENA is the affair's own row, not the shared ATENA" in row["reasons_en"]


def test_a_shared_folder_outside_the_workspace_is_refused_at_city_yaml(tmp_path, capsys):
    import shutil

    outside, folder = tmp_path / "elsewhere", tmp_path / "city"
    shutil.copytree(GOOD / "shared", outside)
    shutil.copytree(GOOD, folder)
    shutil.rmtree(folder / "shared")
    (folder / "shared").symlink_to(outside, target_is_directory=True)
    before = _tree(outside)
    ws = load_workspace(folder)
    with pytest.raises(ModelError, match="the shared folder is outside the workspace folder"):
        city_migration(ws, ["ATENA"])
    assert main(["city", "migrate", str(folder), "--systems", "ATENA", "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert f"{folder / 'city.yaml'}:5: shared: the shared folder is outside" in err and "Traceback" not in err
    scenario = tmp_path / "s.yaml"
    scenario.write_text("id: s\nset:\n  systems:\n    ATENA: {operator: contractor}\n", encoding="utf-8")
    assert main(["city", "impact", str(folder), "--scenario", str(scenario)]) == 1
    assert "outside the workspace folder" in capsys.readouterr().err
    assert _tree(outside) == before and not (tmp_path / "o").exists()


def test_a_failed_write_leaves_neither_the_workspace_nor_the_scenario_file(tmp_path, monkeypatch, capsys):
    from pia_analysis.whatif import migration as module

    def broken(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "write_new_dir", broken)
    out, scenario = tmp_path / "o", tmp_path / "s.yaml"
    assert main(["city", "migrate", str(ONE), "--systems", "CONBINI", "--out", str(out), "--scenario-out",
                 str(scenario)]) == 130
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    # interrupted while the scenario file is written: the workspace is not written either
    from pia_analysis.util import files

    monkeypatch.setattr(files, "write_file", broken)
    assert main(["city", "migrate", str(ONE), "--systems", "CONBINI", "--out", str(out), "--scenario-out",
                 str(scenario)]) == 130
    assert list(tmp_path.iterdir()) == []


def test_the_impact_headline_counts_a_removed_affair(tmp_path, capsys):
    import shutil

    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(GOOD, old)
    shutil.copytree(GOOD, new)
    text = (new / "city.yaml").read_text(encoding="utf-8")
    (new / "city.yaml").write_text(text[:text.index("  - id: zei")], encoding="utf-8")
    assert main(["city", "impact", str(old), str(new), "--lang", "en"]) == 0
    assert "1 of 2 affair(s) changed" in capsys.readouterr().out


def test_outsourcing_reasons_use_names_and_the_operators_word_and_say_re_outsourcing(tmp_path):
    m = city_migration(load_workspace(ONE), ["juki:REG"])
    reasons = m.affairs.set_index("affair_id").at["juki", "reasons_ja"]
    assert "住民記録システム（REG）を委託先が運用する（委託の追加）" in reasons and "contractor" not in reasons
    # the convenience-store system's contractor hands it to a subcontractor: a new re-outsourcing (再委託), the
    # rule 委託・再委託の追加 of catalog/change_rules.csv, worded as such
    assert _rules().at["new-outsourcing", "title_ja"] == "委託・再委託の追加"
    scenario = {"id": "sub", "set": {"systems": {"CONBINI": {"operator": "subcontractor"}}}}
    impact = shared_change_impact(load_workspace(ONE), apply_city_scenario(load_workspace(ONE), scenario))
    row = impact.affairs.set_index("affair_id").loc["juki"]
    assert "コンビニ交付システム（CONBINI）の運用が委託先から再委託先に移る（再委託の追加）" in row["reasons_ja"]
    assert "(a new re-outsourcing)" in row["reasons_en"] and "subcontractor" not in row["reasons_ja"]


def test_the_option_at_fault_is_named_and_a_my_number_given_as_a_system_is_masked(tmp_path, capsys):
    out = str(tmp_path / "o")
    assert main(["city", "migrate", str(ONE), "--systems", "CONBINI", "--zone", "CORE", "--out", out]) == 2
    assert "error: --zone: zone 'CORE' is in the model but is not a government-cloud zone" in capsys.readouterr().err
    # an affair's own zone as the tenancy: said before any copy is made, naming the option
    assert main(["city", "migrate", str(ONE), "--systems", "CONBINI", "--zone", "JUKI_Z", "--out", out]) == 2
    assert "error: --zone: zone 'JUKI_Z' is affair 'juki''s own zone" in capsys.readouterr().err
    assert main(["city", "migrate", str(ONE), "--systems", "123456789018", "--out", out]) == 2
    err = capsys.readouterr().err
    assert "123456789018" not in err and "--systems: no system" in err
