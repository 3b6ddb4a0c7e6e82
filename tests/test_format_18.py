"""Issue 18's additions to the model contract: systems' ``processes`` (files passing through, not kept), zones'
``parent_zone`` (nested zones), ``control_status.csv`` (a control's status per element) and ``triage.csv`` (the
analyst's decisions on findings); read by the one loader from a directory and a workbook with located errors and
warnings, written back unchanged, and the accessors the analyses read (``processed_files``,
``my_number_processed``, ``control_applications``)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from pia_analysis import ModelError, bundled_model_path, load_model, save_model
from pia_analysis.model.schema import FINDING_RULE_ELEMENTS, TABLE_BY_NAME

ROOT = Path(__file__).resolve().parent
TRANSIT = ROOT / "models" / "tiny-transit"
TINY = ROOT / "models" / "tiny"


def _copy(tmp_path: Path, **files: str | None) -> Path:
    """tiny-transit copied, with some files replaced (text) or removed (None)."""
    out = tmp_path / "model"
    shutil.copytree(TRANSIT, out)
    for name, text in files.items():
        path = out / name.replace("__", ".")
        if text is None:
            path.unlink()
        else:
            path.write_text(text, encoding="utf-8")
    return out


def _errors(path: Path) -> list[str]:
    with pytest.raises(ModelError) as caught:
        load_model(path)
    return [str(p) for p in caught.value.problems]


def _as_workbook(tmp_path: Path, directory: Path) -> Path:
    """The same model written as a workbook, with the rows of the directory (nothing checked on the way)."""
    from pia_analysis.formats.workbook import load_workbook  # noqa: F401 - the reader under test
    import openpyxl

    # a valid model is saved first, then the broken tables are typed into its sheets as text
    book = tmp_path / "model.xlsx"
    save_model(load_model(TRANSIT), book)
    wb = openpyxl.load_workbook(book)
    import csv

    for table in ("zones", "systems", "flows", "controls", "control_status", "triage"):
        ws = wb[table]
        ws.delete_rows(1, ws.max_row)
        with open(directory / f"{table}.csv", encoding="utf-8", newline="") as handle:
            for r, record in enumerate(csv.reader(handle), 1):
                for c, value in enumerate(record, 1):
                    if value:
                        ws.cell(r, c).value = value
                        ws.cell(r, c).data_type = "s"
    wb.save(book)
    return book


# ---------------------------------------------------------------------------------------------------
# the valid model: read, accessors, written back


def test_tiny_transit_loads_from_directory_and_workbook_without_warnings(tmp_path: Path) -> None:
    model = load_model(TRANSIT)
    assert model.warnings == ()
    book = save_model(model, tmp_path / "m.xlsx")
    again = load_model(book)
    assert again.warnings == ()
    for name in ("zones", "systems", "control_status", "triage"):
        assert getattr(again, name).astype(str).values.tolist() == getattr(model, name).astype(str).values.tolist()


def test_values_are_typed_and_words_normalised() -> None:
    model = load_model(TRANSIT)
    assert dict(zip(model.zones["zone_id"], model.zones["parent_zone"])) == {"CORE": "", "DMZ": "CORE", "DC": ""}
    assert model.systems.set_index("system_id").loc["WEB", "processes"] == ["REG_FILE"]
    # 未実施 → missing, as controls' status; 対応中 → fixing, 受容 → accepted; a 和暦 date read as a date
    assert list(model.control_status["status"]) == ["planned", "missing"]
    triage = model.triage.set_index("finding_id")
    assert list(triage["decision"]) == ["accepted", "false_positive", "fixing", "accepted"]
    assert triage.loc["exposed-mn-holder@REG", "decided_on"] == dt.date(2023, 4, 1)
    assert triage.loc["entry-no-control@TERM", "review_on"] is None


def test_processed_files_and_my_number_processed_count_transit_only() -> None:
    model = load_model(TRANSIT)
    assert model.processed_files == {"REG": frozenset(), "TERM": frozenset(), "WEB": frozenset({"REG_FILE"}),
                                     "SRV": frozenset()}
    assert model.my_number_processed["WEB"] == 1500
    # held records are unchanged by transit: WEB keeps nothing
    assert model.my_number_people["WEB"] == 0
    assert model.my_number_people["REG"] == 1500


def test_processed_accessors_without_the_column() -> None:
    # a model built in memory may have no processes column: nothing passes through
    model = load_model(TINY)
    bare = model.replace(systems=model.systems.drop(columns=["processes"]))
    assert set(bare.processed_files.values()) == {frozenset()}
    assert set(bare.my_number_processed.values()) == {0}


def test_control_applications_merge_overrides() -> None:
    model = load_model(TRANSIT)
    rows = [tuple(r) for r in model.control_applications[["control_id", "element", "status"]].itertuples(index=False)]
    assert rows == [("C1", "REG", "implemented"), ("C1", "TERM", "implemented"), ("C1", "F1", "planned"),
                    ("C2", "F2", "planned"), ("C3", "*", "implemented"), ("C3", "WEB", "missing")]
    first = model.control_applications.iloc[0]
    assert first["effectiveness"] == 0.5 and first["mitigates"] == ["use-2", "use-3"]


def test_control_applications_without_overrides_is_one_row_per_applies_to_element() -> None:
    model = load_model(TINY)
    frame = model.control_applications
    assert len(frame) == sum(len(a) for a in model.controls["applies_to"])
    assert (frame["status"] == frame["control_id"].map(dict(zip(model.controls["control_id"],
                                                                model.controls["status"])))).all()


def test_save_load_round_trip_directory(tmp_path: Path) -> None:
    model = load_model(TRANSIT)
    out = save_model(model, tmp_path / "copy")
    again = load_model(out)
    for name in ("zones", "systems", "flows", "controls", "control_status", "triage"):
        assert getattr(again, name).astype(str).values.tolist() == getattr(model, name).astype(str).values.tolist()
    assert (out / "control_status.csv").read_text(encoding="utf-8").splitlines()[0] == "control_id,element,status,source"


def test_unused_new_columns_and_tables_are_not_written(tmp_path: Path) -> None:
    # a model that uses none of issue 18's additions is written as before: no new column, no new file
    out = save_model(load_model(TINY), tmp_path / "copy")
    assert "parent_zone" not in (out / "zones.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "processes" not in (out / "systems.csv").read_text(encoding="utf-8").splitlines()[0]
    assert not (out / "control_status.csv").exists() and not (out / "triage.csv").exists()
    # a workbook is a form to fill in: its sheets keep every column, with its input message
    import openpyxl

    book = save_model(load_model(TINY), tmp_path / "tiny.xlsx")
    wb = openpyxl.load_workbook(book, read_only=True)
    assert "processes" in [c.value for c in next(wb["systems"].iter_rows(max_row=1))]
    assert {"control_status", "triage"} <= set(wb.sheetnames)


def test_bundled_model_loads_unchanged() -> None:
    model = load_model(bundled_model_path())
    assert model.control_status.empty and model.triage.empty
    assert set(model.my_number_processed.values()) == {0}


def test_finding_rule_elements_match_the_rules() -> None:
    from pia_analysis.analysis.findings.rules import RULES

    assert FINDING_RULE_ELEMENTS == {rule.rule_id: rule.element_type for rule in RULES}


# ---------------------------------------------------------------------------------------------------
# located errors, directory and workbook

ZONES_CYCLE = """\
zone_id,name_ja,name_en,internet_facing,operator,source,parent_zone
CORE,基幹系,Core,false,city,,DC
DMZ,中継区画,Relay,false,city,,CORE
DC,外部データセンター,Data centre,false,contractor,,DMZ
"""

CASES = {
    "parent cycle": ({"zones__csv": ZONES_CYCLE},
                     ["zones.csv:2: parent_zone: zones lie inside each other in a cycle: CORE → DC → DMZ → CORE"]),
    "parent self": ({"zones__csv": ZONES_CYCLE.replace(",DMZ\n", ",DC\n")},
                    ["zones.csv:4: parent_zone: is the zone itself"]),
    "parent unknown": ({"zones__csv": ZONES_CYCLE.replace(",DC\nDMZ", ",NOWHERE\nDMZ").replace(",DMZ\n", ",\n")},
                       ["zones.csv:2: parent_zone: 'NOWHERE' is not a known zone_id"]),
    "processes unknown": ({"systems__csv": (TRANSIT / "systems.csv").read_text(encoding="utf-8").replace(
        ",REG_FILE\n", ",REG_FILE;GHOST\n")}, ["systems.csv:4: processes: 'GHOST' is not a known file_id"]),
    "flow of a file neither held nor processed": (
        {"systems__csv": (TRANSIT / "systems.csv").read_text(encoding="utf-8").replace(",REG_FILE\n", ",\n")},
        ["flows.csv:2: files: carries 'REG_FILE', which neither 'TERM' nor 'WEB' holds (hint: add REG_FILE to the holds (kept there) or processes (passing through)"]),
    "override outside applies_to": ({"control_status__csv": "control_id,element,status\nC2,F1,implemented\n"},
                                    ["control_status.csv:2: element: 'C2' does not apply to 'F1'"]),
    "override of a * control on no element": ({"control_status__csv": "control_id,element,status\nC3,NOPE,missing\n"},
                                              ["control_status.csv:2: element: 'NOPE' is neither a system_id nor a "
                                               "flow_id"]),
    "override of an unknown control": ({"control_status__csv": "control_id,element,status\nC9,F1,missing\n"},
                                       ["control_status.csv:2: control_id: 'C9' is not a known control_id"]),
    "override duplicated": ({"control_status__csv": "control_id,element,status\nC1,F1,planned\nC1,F1,missing\n"},
                            ["control_status.csv:3: element: duplicate row 'C1', 'F1' (first on line 2)"]),
    "override bad status": ({"control_status__csv": "control_id,element,status\nC1,F1,perhaps\n"},
                            ["control_status.csv:2: status: 'perhaps' is not one of implemented, planned, missing, "
                             "unknown"]),
    "bad decision": ({"triage__csv": "finding_id,decision,reason,decided_by,decided_on\n"
                                     "orphan-system@WEB,ignored,x,me,2024-05-01\n"},
                     ["triage.csv:2: decision: 'ignored' is not one of accepted, false_positive, fixing"]),
    "missing reason": ({"triage__csv": "finding_id,decision,reason,decided_by,decided_on\n"
                                       "orphan-system@WEB,誤検知,,me,2024-05-01\n"},
                       ["triage.csv:2: reason: is empty: a decision false_positive needs its reason"]),
    "fixing without review_on": ({"triage__csv": "finding_id,decision,reason,decided_by,decided_on,review_on\n"
                                                 "orphan-system@WEB,fixing,,me,2024-05-01,\n"},
                                 ["triage.csv:2: review_on: is empty: a decision fixing needs its due date"]),
    "review before decision": ({"triage__csv": "finding_id,decision,reason,decided_by,decided_on,review_on\n"
                                               "orphan-system@WEB,accepted,ok,me,2024-05-01,2024-04-30\n"},
                               ["triage.csv:2: review_on: 2024-04-30 is before decided_on (2024-05-01)"]),
    "malformed finding id": ({"triage__csv": "finding_id,decision,reason,decided_by,decided_on\n"
                                             "orphan-system,accepted,ok,me,2024-05-01\n"},
                             ["triage.csv:2: finding_id: 'orphan-system' is not a finding id (rule@element)"]),
    "no decided_by": ({"triage__csv": "finding_id,decision,reason,decided_by,decided_on\n"
                                      "orphan-system@WEB,accepted,ok,,2024-05-01\n"},
                      ["triage.csv:2: decided_by: is empty"]),
    "duplicate decision": ({"triage__csv": "finding_id,decision,reason,decided_by,decided_on\n"
                                           "orphan-system@WEB,accepted,ok,me,2024-05-01\n"
                                           "orphan-system@WEB,accepted,ok,me,2024-05-01\n"},
                           ["triage.csv:3: finding_id: duplicate id 'orphan-system@WEB' (first on line 2)"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_located_errors(tmp_path: Path, case: str) -> None:
    files, expected = CASES[case]
    path = _copy(tmp_path, **files)
    found = _errors(path)
    for message in expected:
        assert any(f"{path}/{message}" in problem for problem in found), (message, found)
    assert len(found) == len(expected), found


@pytest.mark.parametrize("case", ["parent cycle", "override outside applies_to", "missing reason",
                                  "fixing without review_on", "malformed finding id", "processes unknown"])
def test_located_errors_in_a_workbook(tmp_path: Path, case: str) -> None:
    files, expected = CASES[case]
    book = _as_workbook(tmp_path, _copy(tmp_path, **files))
    found = _errors(book)
    assert len(found) == len(expected), found
    for message in expected:
        table, _, rest = message.partition(".csv:")
        line, _, text = rest.partition(": ")
        assert any(f"{book}[{table}]:{line}: {text}" in problem for problem in found), (message, found)


# ---------------------------------------------------------------------------------------------------
# located warnings

WARNINGS = {
    "held and processed": ({"systems__csv": (TRANSIT / "systems.csv").read_text(encoding="utf-8").replace(
        "REG_FILE,,assumption: test,\n", "REG_FILE,,assumption: test,REG_FILE\n", 1)},
        ["systems.csv:2: processes: 'REG_FILE' is both held and processed by 'REG': it is treated as held"]),
    "processed file no flow carries": ({"systems__csv": (TRANSIT / "systems.csv").read_text(encoding="utf-8").replace(
        ",REG_FILE\n", ",REG_FILE;CERT_FILE\n")},
        ["systems.csv:4: processes: 'CERT_FILE' passes through 'WEB', but no flow to or from 'WEB' carries it"]),
    "unknown rule": ({"triage__csv": "finding_id,decision,reason,decided_by,decided_on\n"
                                     "old-rule@WEB,accepted,ok,me,2024-05-01\n"},
                     ["triage.csv:2: finding_id: decision about a finding that no longer exists: 'old-rule' is no "
                      "rule of the findings"]),
    "element gone": ({"triage__csv": "finding_id,decision,reason,decided_by,decided_on\n"
                                     "unencrypted-crossing@WEB,accepted,ok,me,2024-05-01\n"
                                     "internet-reaches-mn@CORE,accepted,ok,me,2024-05-01\n"
                                     "rating-not-borne-out@use-9,accepted,ok,me,2024-05-01\n"
                                     "rating-not-borne-out@outsource,accepted,ok,me,2024-05-01\n"},
                     ["triage.csv:2: finding_id: decision about a finding that no longer exists: 'WEB' is no flow",
                      "triage.csv:4: finding_id: decision about a finding that no longer exists: 'use-9' is no rated "
                      "item"]),
}


@pytest.mark.parametrize("case", list(WARNINGS))
def test_located_warnings(tmp_path: Path, case: str) -> None:
    files, expected = WARNINGS[case]
    path = _copy(tmp_path, **files)
    found = [str(w) for w in load_model(path).warnings]
    assert len(found) == len(expected), found
    for message in expected:
        assert any(f"{path}/{message}" in w for w in found), (message, found)
    book = _as_workbook(tmp_path, path)
    in_book = [str(w) for w in load_model(book).warnings]
    assert len(in_book) == len(expected), in_book


def test_a_flow_may_carry_a_file_processed_at_one_end(tmp_path: Path) -> None:
    # F1 TERM → WEB carries REG_FILE, which TERM neither holds nor processes: WEB's processes suffice
    model = load_model(TRANSIT)
    assert model.flows.set_index("flow_id").loc["F1", "files"] == ["REG_FILE"]
    assert "REG_FILE" not in model.systems.set_index("system_id").loc["TERM", "holds"]


def test_tables_are_optional_files() -> None:
    assert TABLE_BY_NAME["control_status"].optional_file and TABLE_BY_NAME["triage"].optional_file
    assert not TABLE_BY_NAME["systems"].column("processes").required
    assert not TABLE_BY_NAME["zones"].column("parent_zone").required


# ---------------------------------------------------------------------------------------------------
# in memory, the shared part of a city workspace, synthetic models, the guides


def test_validate_tables_checks_the_new_tables_in_memory() -> None:
    from pia_analysis.model.checks import validate_tables

    model = load_model(TRANSIT)
    tables = {name: getattr(model, name) for name in TABLE_BY_NAME}
    assert validate_tables(tables, model.meta) == []
    status = model.control_status.copy()
    status.loc[0, "element"] = "F2"  # C1 does not apply to F2
    found = [str(p) for p in validate_tables({**tables, "control_status": status})]
    assert found == ["<model>/control_status.csv:2: element: 'C1' does not apply to 'F2' (hint: name an element of "
                     "its applies_to (REG;TERM;F1), or add F2 to its applies_to in controls.csv)"]


def _workspace(tmp_path: Path) -> Path:
    out = tmp_path / "ws"
    shutil.copytree(ROOT / "workspaces" / "good", out)
    return out


def test_a_shared_part_may_hold_control_status(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    # SC1 applies to ATENA;UNUSED (the affairs take ATENA), SC2 to * (juki takes MADO), SC3 to UNUSED only
    (ws / "shared" / "control_status.csv").write_text(
        "control_id,element,status,source\nSC1,ATENA,planned,a\nSC1,UNUSED,missing,b\nSC2,MADO,未実施,c\n"
        "SC3,UNUSED,missing,d\n", encoding="utf-8")
    juki = load_model(ws / "affairs" / "juki")
    zei = load_model(ws / "affairs" / "zei")
    assert [tuple(r) for r in juki.control_status[["control_id", "element", "status"]].itertuples(index=False)] == [
        ("SC1", "ATENA", "planned"), ("SC2", "MADO", "missing")]
    assert [tuple(r) for r in zei.control_status[["control_id", "element"]].itertuples(index=False)] == [
        ("SC1", "ATENA")]
    apps = juki.control_applications.set_index(["control_id", "element"])["status"]
    assert apps[("SC1", "ATENA")] == "planned" and apps[("SC2", "MADO")] == "missing" and apps[("SC2", "*")] == (
        "implemented")
    from pia_analysis.formats.directory import read_shared_part

    assert read_shared_part(ws / "shared").problems == ()


def test_a_shared_part_may_not_hold_triage(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    (ws / "shared" / "triage.csv").write_text("finding_id,decision,reason,decided_by,decided_on\n", encoding="utf-8")
    from pia_analysis.formats.directory import read_shared_part

    found = [str(p) for p in read_shared_part(ws / "shared").problems]
    assert len(found) == 1 and found[0].startswith(f"{ws / 'shared'}/triage.csv: is not a table of the shared part")
    assert "control_status.csv" in found[0]


def test_a_shared_zone_comes_with_the_zones_it_lies_inside(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    zones = (ws / "shared" / "zones.csv").read_text(encoding="utf-8").splitlines()
    # CORE (taken by both affairs) lies inside SPARE, which no affair's row names
    zones = [zones[0] + ",parent_zone", zones[1] + ",SPARE", zones[2] + ",", zones[3] + ","]
    (ws / "shared" / "zones.csv").write_text("\n".join(zones) + "\n", encoding="utf-8")
    zei = load_model(ws / "affairs" / "zei")
    assert dict(zip(zei.zones["zone_id"], zei.zones["parent_zone"]))["CORE"] == "SPARE"
    assert "SPARE" in set(zei.zones["zone_id"])


def test_a_shared_system_processing_a_shared_file_brings_the_file(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    text = (ws / "shared" / "systems.csv").read_text(encoding="utf-8").splitlines()
    # MADO (a shared terminal juki's flows name) processes SPARE_FILE, which nothing else brings
    text = [text[0] + ",processes"] + [line + (",SPARE_FILE" if line.startswith("MADO,") else ",")
                                       for line in text[1:]]
    (ws / "shared" / "systems.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    juki = load_model(ws / "affairs" / "juki")
    assert "SPARE_FILE" in set(juki.files["file_id"])
    assert juki.processed_files["MADO"] == frozenset({"SPARE_FILE"})
    # no flow of MADO carries it: the idle-transit warning, located in the shared file
    assert [str(w) for w in juki.warnings if w.column == "processes"] == [
        f"{ws / 'shared'}/systems.csv:4: processes: 'SPARE_FILE' passes through 'MADO', but no flow to or from "
        f"'MADO' carries it (hint: add it to the files of a flow of MADO in flows.csv, or remove it from processes)"]


@pytest.mark.parametrize("seed", [0, 1])
def test_synthetic_models_with_issue_18_data_round_trip(tmp_path: Path, seed: int) -> None:
    from pia_analysis import synthetic_model

    model = synthetic_model(2, seed=seed, processes=True, nested_zones=True, control_status=True)
    assert any(model.systems["processes"].map(len)) and model.zones["parent_zone"].astype(bool).any()
    assert not model.control_status.empty
    for target in (tmp_path / "m", tmp_path / "m.xlsx"):
        back = load_model(save_model(model, target))
        assert back.warnings == ()
        for name in ("zones", "systems", "control_status"):
            assert getattr(back, name).astype(str).values.tolist() == getattr(model, name).astype(
                str).values.tolist(), name
    # the other draws of the seed are those of a model without issue 18's data
    plain = synthetic_model(2, seed=seed)
    assert plain.systems.drop(columns=["processes"]).equals(model.systems.drop(columns=["processes"]))
    assert plain.controls.equals(model.controls) and plain.control_status.empty


def test_new_and_the_workbook_guide_describe_the_additions(tmp_path: Path) -> None:
    from pia_analysis.formats.templates import new_model

    out = new_model(tmp_path / "city")
    readme = (out / "README.md").read_text(encoding="utf-8")
    for text in ("## control_status.csv", "## triage.csv", "`processes`", "`parent_zone`", "経由のみで保管しない",
                 "false_positive 誤検知"):
        assert text in readme, text
    assert (out / "zones.csv").read_text(encoding="utf-8").startswith(
        "zone_id,name_ja,name_en,internet_facing,operator,source,government_cloud,parent_zone\n")
    import openpyxl

    book = new_model(tmp_path / "city.xlsx")
    guide = openpyxl.load_workbook(book, read_only=True)["guide"]
    cells = {str(c) for row in guide.iter_rows(values_only=True) for c in row if c}
    assert any("control_status" in c and "triage" in c and "processes" in c for c in cells)
    assert "triage" in cells and "control_status" in cells  # the rows of their columns


def test_model_format_doc_explains_the_additions() -> None:
    doc = (ROOT.parent / "docs" / "model-format.md").read_text(encoding="utf-8")
    for text in ("## Data in transit, nested zones, per-element status, triage (issue 18)",
                 "### `control_status.csv` (optional file)", "### `triage.csv` (optional file)",
                 "| `processes` |", "| `parent_zone` |", "decision about a\n  finding that no longer exists"):
        assert text in doc, text


def test_a_my_number_in_a_triage_reason_is_refused(tmp_path: Path) -> None:
    # the generic guard covers the new tables: a 12-digit number with a valid check digit is personal data
    from pia_analysis.model.mynumber import find_my_numbers

    number = next(f"12345678901{d}" for d in range(10) if find_my_numbers(f"12345678901{d}"))
    path = _copy(tmp_path, triage__csv="finding_id,decision,reason,decided_by,decided_on\n"
                                       f"orphan-system@WEB,accepted,本人 {number} の件,me,2024-05-01\n")
    found = _errors(path)
    assert len(found) == 1 and found[0].startswith(f"{path}/triage.csv:2: reason: ") and number not in found[0]


def test_an_element_of_star_is_not_an_element(tmp_path: Path) -> None:
    path = _copy(tmp_path, control_status__csv="control_id,element,status\nC3,*,missing\n")
    found = _errors(path)
    assert len(found) == 1 and found[0].startswith(f"{path}/control_status.csv:2: element: '*' is not a valid id")
