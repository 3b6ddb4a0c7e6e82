"""Across the affairs of a city workspace (pia_analysis.whatif.city, docs/city.md "Across the affairs").

On the hand-made workspaces of ``tests/workspaces``: ``good`` (two affairs, juki and zei, sharing the addressee
system ATENA), and its later versions ``shared_system_changed`` (ATENA moved to the contractor's data centre) and
``shared_control_removed`` (ATENA's access control SC1 removed); other changes are made on copies.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from pia_analysis import (  # noqa: E402
    affair_holdings, city_model, cross_affair_exposure, load_workspace, node_exposure, shared_change_impact,
)
from pia_analysis.model.errors import ModelTypeError  # noqa: E402
from workspace_cases import CHANGED, GOOD, WORKSPACES, build  # noqa: E402


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _edited(tmp_path: Path, *edits: tuple[str, str, str]) -> Path:
    """A copy of the good workspace with ``(file, old, new)`` edits (each ``old`` must be there)."""
    out = tmp_path / "ws"
    shutil.copytree(GOOD, out)
    for file, old, new in edits:
        path = out / file
        text = path.read_text(encoding="utf-8")
        assert old in text, (file, old)
        path.write_text(text.replace(old, new), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def good():
    return load_workspace(GOOD)


@pytest.mark.parametrize("case", CHANGED, ids=[c.name for c in CHANGED])
def test_the_changed_workspaces_are_what_their_definitions_make(case, tmp_path):
    assert _tree(build(case, tmp_path)) == _tree(WORKSPACES / case.name), "run: python tests/workspace_cases.py"
    load_workspace(WORKSPACES / case.name)  # a later version, valid


# --- who keeps what where ----------------------------------------------------------------------------


def test_a_shared_system_holds_and_carries_each_affairs_files(good):
    table = affair_holdings(good)
    atena = table[table["system_id"] == "ATENA"].set_index("affair_id")
    assert atena.loc["juki", "files_held"] == ["REG_FILE"] and atena.loc["zei", "files_held"] == ["TAX_FILE"]
    assert atena["shared"].all() and atena["my_number"].all()
    assert atena["my_number_records"].to_dict() == {"juki": 1500, "zei": 1200}  # the affair's own file, not 宛名
    # a terminal holds nothing but carries its affair's file; a shared system with nothing of an affair has no row
    term = table.set_index("system_id").loc["juki:TERM"]
    assert term["files_held"] == [] and term["files_carried"] == ["REG_FILE"] and term["affair_system_id"] == "TERM"
    assert "CONBINI" not in set(table["system_id"]) and "UNUSED" not in set(table["system_id"])


# --- the city as one model ---------------------------------------------------------------------------


def test_the_city_model_keeps_two_affairs_ids_apart(tmp_path):
    # both affairs call their terminal TERM: two systems in the city, each with its own flows and controls
    ws = load_workspace(_edited(tmp_path, *((f"affairs/zei/{f}", "TAX_TERM", "TERM")
                                           for f in ("systems.csv", "flows.csv", "controls.csv"))))
    city = city_model(ws)
    ids = city.systems["system_id"].tolist()
    assert "juki:TERM" in ids and "zei:TERM" in ids and "TERM" not in ids
    flows = city.flows.set_index("flow_id")
    assert (flows.loc["zei:T1", "source"], flows.loc["zei:T2", "target"]) == ("zei:TERM", "ATENA")
    assert city.controls.set_index("control_id").at["zei:T-C1", "applies_to"] == ["zei:TERM", "zei:TAX"]
    assert len(city.systems) == len(set(ids))  # every shared system once, though both affairs use ATENA


def test_the_city_model_is_the_union_of_the_affairs(good):
    city = city_model(good)
    shared = set(good.shared["systems"]["system_id"])
    own = {f"{a}:{s}" for a, m in good.models.items() for s in m.systems["system_id"] if s not in m.shared_ids}
    assert set(city.systems["system_id"]) == shared | own
    assert city.shared_ids >= shared and city.meta["organisation"] == good.organisation
    assert node_exposure(city)["exposure"].between(0, 1).all()  # an ordinary model for the analyses


# --- exposure through shared systems -----------------------------------------------------------------


def test_an_attacker_at_the_shared_system_reaches_every_affairs_holdings(good):
    table = cross_affair_exposure(good)
    at_atena = table[(table["shared_system_id"] == "ATENA") & (table["hops"] == 0)]
    assert at_atena.set_index("affair_id")["affair_files"].to_dict() == {"juki": ["REG_FILE"], "zei": ["TAX_FILE"]}
    # the counter terminal MADO reaches ATENA through SF1, past SC1 (0.5)
    via_mado = table[table["shared_system_id"] == "MADO"]
    assert set(via_mado["affair_id"]) == {"juki", "zei"} and via_mado["probability"].tolist() == [0.5, 0.5]


def test_the_city_shows_exposure_an_affair_alone_does_not_see(good):
    table = cross_affair_exposure(good).set_index(["affair_id", "shared_system_id", "holder_id"])
    zei = table.loc[("zei", "ATENA", "ATENA")]
    city = node_exposure(city_model(good)).set_index("system_id")["exposure"]
    assert zei["exposure_city"] == pytest.approx(city["ATENA"])
    # juki's register terminal reaches ATENA (TERM → REG → ATENA) in the city, not in zei's model
    assert zei["exposure_city"] > zei["exposure_affair"]
    assert table.loc[("juki", "ATENA", "ATENA"), "exposure_city"] == pytest.approx(zei["exposure_city"])


def test_removing_the_shared_control_raises_the_onward_probability():
    before = cross_affair_exposure(load_workspace(GOOD))
    after = cross_affair_exposure(load_workspace(WORKSPACES / "shared_control_removed"))
    key = ["affair_id", "shared_system_id", "holder_id"]
    merged = before.merge(after, on=key, suffixes=("_before", "_after"))
    mado = merged[merged["shared_system_id"] == "MADO"]
    assert (mado["probability_after"] > mado["probability_before"]).all()
    assert (merged["exposure_city_after"] >= merged["exposure_city_before"]).all()


# --- a change to the shared part, per affair ---------------------------------------------------------


def test_a_shared_system_moved_is_an_important_change_in_both_affairs(good):
    impact = shared_change_impact(good, load_workspace(WORKSPACES / "shared_system_changed"))
    rows = impact.affairs.set_index("affair_id")
    assert rows["change_class_ja"].to_dict() == {"juki": "重要な変更", "zei": "重要な変更"}
    assert all("ATENA" in ids for ids in rows["shared_changes"])
    assert all("[new-outsourcing]" in r for r in rows["reasons_ja"])
    # zei gets the data centre zone with ATENA (juki had it already, for CONBINI)
    assert rows.loc["zei", "shared_changes"] == ["DC", "ATENA"] and rows.loc["juki", "shared_changes"] == ["ATENA"]
    sheets = impact.sheets
    assert set(sheets["affair_id"]) == {"juki", "zei"} and set(sheets["提出時期"]) == {"事前"}
    assert rows["sheet_rows"].to_dict() == sheets["affair_id"].value_counts().to_dict()


def test_a_shared_control_removed_is_an_important_change_in_both_affairs(good):
    impact = shared_change_impact(good, load_workspace(WORKSPACES / "shared_control_removed"))
    rows = impact.affairs.set_index("affair_id")
    assert rows["change_class"].tolist() == ["important", "important"]
    assert rows["elements"].tolist() == [["SC1"], ["SC1"]]
    assert all(r.startswith("[control-removed]") for r in rows["reasons_ja"])
    assert impact.changes[["affair_id", "table", "id", "change"]].values.tolist() == [
        ["juki", "controls", "SC1", "removed"], ["zei", "controls", "SC1", "removed"]]


def test_a_shared_system_one_affair_uses_touches_that_affair_alone(good, tmp_path):
    # CONBINI is in juki's closure only (shared_systems: [CONBINI])
    new = load_workspace(_edited(tmp_path, ("shared/systems.csv", "CONBINI,コンビニ交付システム,Convenience-store "
                                            "issuance,DC,system,contractor,", "CONBINI,コンビニ交付システム,"
                                            "Convenience-store issuance,DC,system,subcontractor,")))
    impact = shared_change_impact(good, new)
    rows = impact.affairs.set_index("affair_id")
    assert rows.loc["juki", "shared_changes"] == ["CONBINI"] and rows.loc["juki", "change_class"] != "none"
    assert (rows.loc["zei", "change_class"], rows.loc["zei", "change_class_ja"], rows.loc["zei", "changes"]) == (
        "none", "変更なし", 0)
    assert set(impact.sheets["affair_id"]) == {"juki"} and "zei" in impact.diffs


def test_a_change_no_affair_uses_touches_none(good, tmp_path):
    # SC3 applies to UNUSED only, a shared system no affair takes
    new = load_workspace(_edited(tmp_path, ("shared/controls.csv", "SC3,予備システムの監視,Monitoring of the spare "
                                            "system,use-3,UNUSED,0.3,implemented,assumption: test\n", "")))
    impact = shared_change_impact(good, new)
    assert impact.affairs["change_class"].tolist() == ["none", "none"]
    assert impact.sheets.empty and list(impact.sheets.columns) == ["affair_id"]


def test_the_most_consequential_affair_comes_first(good, tmp_path):
    # only zei changes (its own control weakened: 評価書の修正 or more), so zei is listed before juki
    new = load_workspace(_edited(tmp_path, ("affairs/zei/controls.csv", "TAX_TERM;TAX,0.5,implemented",
                                            "TAX_TERM;TAX,0.5,planned")))
    table = shared_change_impact(good, new).affairs
    assert table["affair_id"].tolist() == ["zei", "juki"] and table.loc[1, "change_class"] == "none"
    assert table.loc[0, "shared_changes"] == []  # the affair's own row, not the shared part's


def test_an_affair_in_one_version_only_is_listed(good, tmp_path):
    folder = _edited(tmp_path, ("city.yaml", "  - id: zei\n    name: 個人住民税に関する事務\n    model: affairs/zei\n"
                                "    source: \"assumption: test workspace\"\n", ""))
    impact = shared_change_impact(good, load_workspace(folder))
    rows = impact.affairs.set_index("affair_id")
    assert rows.loc["zei", "status"] == "removed" and rows.loc["juki", "status"] == "compared"
    assert set(impact.diffs) == {"juki"}


def test_a_path_is_refused_with_how_to_load(good):
    for call in (lambda: affair_holdings(str(GOOD)), lambda: cross_affair_exposure(GOOD),
                 lambda: shared_change_impact(good, GOOD)):
        with pytest.raises(ModelTypeError, match="load_workspace"):
            call()


# --- pia-analysis city impact ------------------------------------------------------------------------


def test_city_impact_prints_the_table_per_affair_and_the_sheet(capsys):
    from pia_analysis.cli import main

    assert main(["city", "impact", str(GOOD), str(WORKSPACES / "shared_system_changed")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("テスト市: 事務 2 件のうち 2 件に変更") and "重要な変更" in out and "(別添3) 変更箇所" in out
    assert main(["city", "impact", str(GOOD), str(WORKSPACES / "shared_control_removed"), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("affair_id,変更日,項目") and [line.split(",")[0] for line in lines[1:]] == ["juki", "zei"]


def test_city_impact_json_has_every_affair(capsys):
    import json

    from pia_analysis.cli import main

    assert main(["city", "impact", str(GOOD), str(GOOD), "--format", "json", "--lang", "en"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [(a["affair_id"], a["change_class"]) for a in payload["affairs"]] == [("juki", "none"), ("zei", "none")]
    assert payload["sheets"] == []


def test_city_impact_reports_both_broken_workspaces_at_once(capsys):
    from pia_analysis.cli import main

    assert main(["city", "impact", str(WORKSPACES / "two_mistakes"), str(WORKSPACES / "missing_model")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "two_mistakes" in err and "affairs/zeimu" in err
