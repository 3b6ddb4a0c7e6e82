"""Interchange: the Open Threat Model export (valid against the OTM 0.2.0 schema) and the findings as SARIF/CSV."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pandas as pd
import pytest

import pia_analysis
from broken_cases import TINY
from model_factory import control, flow, make_model, system, zone
from pia_analysis import bundled_model_path, load_model, save_model
from pia_analysis.cli import main
from pia_analysis.analysis.findings import find_findings, rules
from pia_analysis.outputs.interchange import (
    FINDING_CSV_COLUMNS,
    findings_table,
    findings_to_csv,
    findings_to_sarif,
    to_otm,
    trust_rating,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
OTM_SCHEMA = json.loads((FIXTURES / "otm_schema-0.2.0.json").read_text(encoding="utf-8"))
BUNDLED = bundled_model_path()


@pytest.fixture(scope="module")
def bundled():
    return load_model(BUNDLED)


def validate_otm(document: dict) -> None:
    jsonschema.Draft7Validator.check_schema(OTM_SCHEMA)
    errors = sorted(jsonschema.Draft7Validator(OTM_SCHEMA).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def small_model(tmp_path: Path):
    return make_model(
        tmp_path,
        systems=[system("WEB", zone="NET", entry=0.3), system("APP", holds=["MN"], kind="store"),
                 system("DC_SRV", zone="DC", operator="contractor", holds=["MN"])],
        zones=[zone("NET", internet_facing=True), zone("DC", operator="contractor")],
        flows=[flow("F1", "WEB", "APP", interactive=True), flow("F2", "APP", "DC_SRV", files=["MN"], stage="outsource")],
        controls=[control("C1", ["F1"], 0.35), control("C2", ["*"], 0.0, status="planned"),
                  control("C3", ["APP"], 1.0, status="missing")],
    )


# --- OTM ---------------------------------------------------------------------------------------------


def test_to_otm_is_exported_from_the_package():
    assert pia_analysis.to_otm is to_otm


def test_otm_of_the_bundled_model_is_valid(bundled):
    document = to_otm(bundled)
    validate_otm(document)
    json.dumps(document, allow_nan=False)  # strict JSON
    assert document["otmVersion"] == "0.2.0" and document["project"]["id"] == "kitakyushu-juki-r3"
    assert [z["id"] for z in document["trustZones"]] == sorted(bundled.zones["zone_id"])
    assert [c["id"] for c in document["components"]] == sorted(bundled.systems["system_id"])
    assert [d["id"] for d in document["dataflows"]] == sorted(bundled.flows["flow_id"])
    assert [m["id"] for m in document["mitigations"]] == sorted(bundled.controls["control_id"])
    assert [t["id"] for t in document["threats"]] == bundled.risk_items["risk_id"].tolist()
    validate_otm(to_otm(bundled, lang="en"))


def test_otm_of_a_small_model_maps_every_element(tmp_path: Path):
    model = small_model(tmp_path)
    document = to_otm(model, lang="en")
    validate_otm(document)
    zones = {z["id"]: z for z in document["trustZones"]}
    assert zones["NET"]["risk"]["trustRating"] == 10 and zones["DC"]["risk"]["trustRating"] == 70
    assert zones["Z"]["attributes"]["internet_facing"] == "false"
    comps = {c["id"]: c for c in document["components"]}
    assert comps["DC_SRV"]["parent"] == {"trustZone": "DC"} and comps["APP"]["type"] == "store"
    attrs = comps["APP"]["attributes"]
    assert {"kind", "operator", "holds", "entry_likelihood", "holds_my_number", "source"} <= set(attrs)
    assert attrs["holds"] == "MN" and attrs["holds_my_number"] == "true" and attrs["entry_likelihood"] == "0"
    assert comps["WEB"]["attributes"]["entry_likelihood"] == "0.3"
    assert all(isinstance(v, str) for c in comps.values() for v in c["attributes"].values())
    assert comps["DC_SRV"]["assets"] == {"processed": ["MN"], "stored": ["MN"]}
    flows = {d["id"]: d for d in document["dataflows"]}
    assert flows["F1"]["bidirectional"] is True and flows["F2"]["bidirectional"] is False
    assert flows["F2"]["source"] == "APP" and flows["F2"]["destination"] == "DC_SRV" and flows["F2"]["assets"] == ["MN"]
    assert {k: flows["F2"]["attributes"][k] for k in ("stage", "files", "channel", "encrypted", "interactive")} == {
        "stage": "outsource", "files": "MN", "channel": "test", "encrypted": "false", "interactive": "false"}
    mitigations = {m["id"]: m for m in document["mitigations"]}
    assert [mitigations[c]["riskReduction"] for c in ("C1", "C2", "C3")] == [35, 0, 100]
    assert mitigations["C1"]["attributes"]["effectiveness"] == "0.35"
    # threat instances: the risks of the element's stages, with the controls that answer them
    threat_ids = {t["id"] for t in document["threats"]}
    f1 = {t["threat"]: t for t in flows["F1"]["threats"]}
    assert set(f1) == {"use-1", "use-2", "use-3", "use-4"} <= threat_ids
    assert f1["use-1"]["state"] == "mitigated"
    assert f1["use-1"]["mitigations"] == [{"mitigation": "C1", "state": "implemented"},
                                          {"mitigation": "C2", "state": "required"}]
    assert f1["use-2"] == {"threat": "use-2", "state": "exposed", "mitigations": []}
    app = {t["threat"]: t for t in comps["APP"]["threats"]}
    assert app["use-1"]["mitigations"][-1] == {"mitigation": "C3", "state": "recommended"}
    for element in list(comps.values()) + list(flows.values()):
        for instance in element["threats"]:
            assert instance["threat"] in threat_ids
            assert all(m["mitigation"] in mitigations for m in instance["mitigations"])


def test_otm_does_not_depend_on_row_order(bundled):
    shuffled = bundled.replace(**{name: getattr(bundled, name).iloc[::-1].reset_index(drop=True)
                                  for name in ("zones", "systems", "files", "flows", "controls", "ratings")})
    assert json.dumps(to_otm(shuffled), ensure_ascii=False) == json.dumps(to_otm(bundled), ensure_ascii=False)


def test_trust_rating():
    assert trust_rating(False, "city") == 100 and trust_rating(True, "city") == 10
    assert trust_rating(False, "resident") == 20 and trust_rating(True, "resident") == 10


# --- SARIF and CSV -----------------------------------------------------------------------------------


def test_sarif_has_one_result_per_open_finding_with_stable_fingerprints(bundled):
    log = findings_to_sarif(bundled)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run = log["runs"][0]
    driver_rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in driver_rules] == rules()["rule_id"].tolist()
    found = find_findings(bundled)
    open_ids = found.loc[found["status"] == "open", "finding_id"].tolist()
    results = run["results"]
    assert [r["partialFingerprints"]["findingId/v1"] for r in results] == open_ids
    assert len(set(open_ids)) == len(open_ids)
    for r in results:
        assert driver_rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["partialFingerprints"]["findingId/v1"].startswith(r["ruleId"] + "@")
        assert r["level"] in ("error", "warning", "note") and r["kind"] == "fail" and r["message"]["text"]
        assert r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].startswith("kitakyushu-juki-r3/")
    f17 = next(r for r in results if r["partialFingerprints"]["findingId/v1"] == "unencrypted-crossing@F17")
    assert f17["level"] == "error"
    assert f17["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": "kitakyushu-juki-r3/flows.csv"},
                                                       "region": {"startLine": 18}}
    assert findings_to_sarif(bundled) == log  # the same every run
    # a model built in memory (no files) is located where save_model would write each row
    detached = findings_table(bundled.replace(path=None)).set_index("finding_id")
    assert detached.loc["unencrypted-crossing@F17", "location"] == "flows.csv:18"
    json.dumps(log, allow_nan=False)


def test_sarif_from_a_workbook_names_the_sheet_row(tmp_path: Path):
    model = load_model(save_model(load_model(TINY), tmp_path / "tiny.xlsx"))
    log = findings_to_sarif(model, include_mitigated=True, lang="en")
    results = log["runs"][0]["results"]
    assert {r["kind"] for r in results} == {"fail", "pass"}
    assert all(r["level"] == "none" for r in results if r["kind"] == "pass")
    located = [r for r in results if "physicalLocation" in r["locations"][0]]
    assert located and all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "tiny.xlsx"
                           for r in located)
    assert all(r["properties"]["location"].startswith("tiny.xlsx[") for r in located)


def test_findings_csv(bundled, tmp_path: Path):
    out = findings_to_csv(bundled, tmp_path / "findings.csv")
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(table.columns) == FINDING_CSV_COLUMNS
    found = find_findings(bundled)
    assert table["finding_id"].tolist() == found.loc[found["status"] == "open", "finding_id"].tolist()
    row = table.set_index("finding_id").loc["unencrypted-crossing@F17"]
    assert (row["level"], row["file"], row["line"], row["location"]) == (
        "error", "kitakyushu-juki-r3/flows.csv", "18", "kitakyushu-juki-r3/flows.csv:18")
    assert findings_to_csv(bundled, tmp_path / "again.csv").read_bytes() == data
    assert len(findings_table(bundled, include_mitigated=True)) == len(found)


# --- command line ------------------------------------------------------------------------------------


def test_cli_exports_and_exit_codes(tmp_path: Path, capsys):
    otm = tmp_path / "model.otm.json"
    assert main(["export-otm", str(TINY), str(otm)]) == 0
    validate_otm(json.loads(otm.read_text(encoding="utf-8")))
    assert main(["export-otm", str(BUNDLED.with_suffix(".xlsx")), str(tmp_path / "k.json"), "--lang", "en"]) == 0
    assert main(["export-otm", str(TINY), str(tmp_path / "model.txt")]) == 2
    for name in ("f.sarif", "f.json", "f.csv"):
        assert main(["export-findings", str(TINY), str(tmp_path / name)]) == 0, name
    assert json.loads((tmp_path / "f.sarif").read_text(encoding="utf-8")) == \
        json.loads((tmp_path / "f.json").read_text(encoding="utf-8"))
    assert main(["export-findings", str(TINY), str(tmp_path / "f.txt")]) == 2
    with pytest.raises(SystemExit) as info:  # a usage error: argparse exits 2
        main(["export-findings", str(TINY), str(tmp_path / "g.csv"), "--threshold", "2"])
    assert info.value.code == 2
    assert main(["export-otm", str(tmp_path / "missing"), str(tmp_path / "m.json")]) == 1
    assert not (tmp_path / "m.json").exists()
    assert "Traceback" not in capsys.readouterr().err
