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
