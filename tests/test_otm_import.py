"""import-otm (issue 18, WP4): OTM documents in, located errors, and export-otm → import-otm giving back the model.

Fixtures (tests/fixtures/otm, see tests/fixtures/README.md): the OTM project's EXAMPLE.json / EXAMPLE.yaml
(Apache-2.0) and OWASP pytm's sample model translated by hand (MIT).
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pia_analysis import bundled_model_path, from_otm, load_model, save_model, to_otm
from pia_analysis.cli import main
from pia_analysis.formats import validate
from pia_analysis.formats.otm import UNZONED, OtmText, import_report, otm_schema, read_otm, validate_otm
from pia_analysis.model.errors import ModelError
from pia_analysis.model.schema import TABLES
from pia_analysis.synthetic import synthetic_model

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "otm"
ON = dt.date(2026, 4, 1)
MODELS = [bundled_model_path(), bundled_model_path("kitakyushu-juki-h28"), bundled_model_path("kitakyushu-juki-h26"),
          *sorted(p for p in (ROOT / "tests" / "models").iterdir() if (p / "model.yaml").is_file())]


def _sorted(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Rows in the order of their key, then of their whole text (form_answers repeats its key)."""
    text = ["\x1f".join(map(repr, row)) for row in frame.itertuples(index=False, name=None)]
    order = sorted(range(len(frame)), key=lambda i: (str(frame[key].iloc[i]), text[i]))
    return frame.iloc[order].reset_index(drop=True)


def assert_same_model(before, after) -> None:
    for table in TABLES:
        a, b = getattr(before, table.name), getattr(after, table.name)
        assert list(a.columns) == list(b.columns), table.name
        pd.testing.assert_frame_equal(_sorted(a, table.key), _sorted(b, table.key), obj=table.name)
    assert after.meta == before.meta


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.name)
def test_export_then_import_gives_back_an_equal_model(path):
    model = load_model(path)
    result = from_otm(json.loads(json.dumps(to_otm(model))), "model.otm.json")
    assert_same_model(model, result.model)
    assert result.placeholders == () and result.remainder.empty and result.assumptions.empty
    # every row of the five element tables kept the source written in its attributes
    assert result.kept_source == sum(len(getattr(model, t)) for t in ("zones", "systems", "files", "flows", "controls"))


def test_the_round_trip_survives_english_names_and_a_shuffled_document():
    model = load_model(bundled_model_path())
    doc = to_otm(model, lang="en")
    for key in ("components", "dataflows", "trustZones", "assets", "mitigations"):
        doc[key].reverse()
    assert_same_model(model, from_otm(doc, "en.otm.json").model)


def test_the_round_trip_keeps_extra_columns_and_saved_models_load(tmp_path):
    model = load_model(ROOT / "tests" / "models" / "tiny")
    systems = model.systems.assign(memo=[f"note {i}" for i in range(len(model.systems))])
    model = model.replace(systems=systems)
    back = from_otm(to_otm(model), "m.otm.json").model
    assert back.systems.set_index("system_id")["memo"].to_dict() == systems.set_index("system_id")["memo"].to_dict()
    out = save_model(back, tmp_path / "again")
    assert_same_model(model, load_model(out))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(municipalities=st.integers(1, 3), seed=st.integers(0, 10_000), processes=st.booleans(),
       nested_zones=st.booleans(), control_status=st.booleans())
@example(municipalities=2, seed=5, processes=True, nested_zones=True, control_status=True)  # all three, always
def test_random_models_round_trip(municipalities, seed, processes, nested_zones, control_status):
    # issue 18's data drawn in by synthetic_model: files processed in transit, nested zones, per-element statuses
    drawn = synthetic_model(municipalities, seed=seed, processes=processes, nested_zones=nested_zones,
                            control_status=control_status)
    with tempfile.TemporaryDirectory() as tmp:
        model = load_model(save_model(drawn, Path(tmp) / "m"))  # compared as loaded (the loader's dtypes)
        back = from_otm(to_otm(model), "s.otm.json").model
        assert_same_model(model, back)


def test_the_random_models_do_carry_issue_18s_data():
    model = synthetic_model(2, seed=5, processes=True, nested_zones=True, control_status=True)
    assert model.systems["processes"].map(len).sum() > 0
    assert (model.zones["parent_zone"] != "").any() and len(model.control_status) > 0


def test_the_export_is_deterministic_and_valid_against_the_packaged_schema():
    import jsonschema

    model = load_model(bundled_model_path())
    first, second = json.dumps(to_otm(model), sort_keys=False), json.dumps(to_otm(load_model(bundled_model_path())))
    assert first == second
    jsonschema.Draft7Validator(otm_schema()).validate(json.loads(first))
    assert otm_schema() == json.loads((ROOT / "tests" / "fixtures" / "otm_schema-0.2.0.json").read_text("utf-8"))


# ---------------------------------------------------------------------------------------------------
# broken documents: every error located, with its path and line


BROKEN = {
    "otmVersion": "0.2.0",
    "project": {"name": "Broken", "id": "broken"},
    "trustZones": [{"id": "Z", "name": "Zone", "risk": {"trustRating": 100}}],
    "components": [
        {"id": "A", "name": "A", "type": "web-server", "parent": {"trustZone": "Z"}},
        {"name": "no id", "type": "database", "parent": {"trustZone": "Z"}},
        {"id": "C", "name": 7, "type": "database", "parent": {"trustZone": "Z"}},
        {"id": "D", "name": "D", "type": "database", "parent": {"trustZone": "NOWHERE"}},
    ],
    "dataflows": [{"id": "F", "name": "F", "source": "A", "destination": "GHOST", "bidirectional": False}],
}


def _write(tmp_path: Path, suffix: str) -> Path:
    import yaml

    path = tmp_path / f"broken{suffix}"
    text = json.dumps(BROKEN, indent=2) if suffix == ".json" else yaml.safe_dump(BROKEN, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text("utf-8").splitlines(), 1) if needle in line)


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_broken_documents_list_every_error_located(tmp_path, suffix):
    path = _write(tmp_path, suffix)
    problems = validate_otm(read_otm(path))
    by_path = {p.column: p for p in problems}
    assert set(by_path) == {"$.components[1]", "$.components[2].name", "$.components[3].parent.trustZone",
                            "$.dataflows[0].destination"}, [str(p) for p in problems]
    assert "'id' is missing" in by_path["$.components[1]"].message
    assert "not of type string" in by_path["$.components[2].name"].message
    assert "'NOWHERE' is not the id of any trustZone" in by_path["$.components[3].parent.trustZone"].message
    assert "'GHOST' is neither a component nor a trust zone" in by_path["$.dataflows[0].destination"].message
    assert all(p.file == str(path) for p in problems)
    # each at the line of the value named
    assert by_path["$.components[2].name"].line == _line_of(path, "7")
    assert by_path["$.components[3].parent.trustZone"].line == _line_of(path, "NOWHERE")
    assert by_path["$.dataflows[0].destination"].line == _line_of(path, "GHOST")
    first = _line_of(path, "no id")
    assert by_path["$.components[1]"].line in (first - 1, first)  # the item starts at its first key
    assert str(by_path["$.dataflows[0].destination"]).startswith(f"{path}:{_line_of(path, 'GHOST')}: "
                                                                 "$.dataflows[0].destination: ")
    with pytest.raises(ModelError) as caught:
        from_otm(read_otm(path))
    assert len(caught.value.problems) == 4


def test_ids_a_model_cannot_keep_duplicates_and_bad_versions_are_errors():
    doc = {"otmVersion": "9.9", "project": {"name": "x", "id": "x"},
           "trustZones": [{"id": "Z", "name": "z", "risk": {"trustRating": 100}}],
           "components": [{"id": "has space", "name": "a", "type": "t", "parent": {"trustZone": "Z"}},
                          {"id": "B", "name": "b", "type": "t", "parent": {"trustZone": "Z"}},
                          {"id": "B", "name": "b2", "type": "t", "parent": {"trustZone": "Z"}}],
           "dataflows": [{"id": "B", "name": "f", "source": "B", "destination": "B"}]}
    messages = {p.column: p.message for p in validate_otm(OtmText(doc, {}, "x.otm"))}
    assert "is not read" in messages["$.otmVersion"]
    assert "space" in messages["$.components[0].id"]
    assert "used twice" in messages["$.components[2].id"]
    assert "names a component and a dataflow" in messages["$.dataflows[0].id"]


def test_a_document_that_is_not_json_is_located(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{\n  "otmVersion": "0.2.0",\n  "project": {\n}}}\n', encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        read_otm(path)
    assert caught.value.problems[0].line == 4 and "not valid JSON" in caught.value.problems[0].message


def test_a_value_the_model_refuses_is_located_in_the_document():
    model = load_model(ROOT / "tests" / "models" / "tiny")
    doc = to_otm(model)
    doc["components"][1]["attributes"]["entry_likelihood"] = "2.5"
    with pytest.raises(ModelError) as caught:
        from_otm(OtmText(doc, {}, "t.otm.json"))
    (problem,) = caught.value.problems
    assert problem.file == "t.otm.json" and problem.column == "$.components[1].attributes.entry_likelihood"


# ---------------------------------------------------------------------------------------------------
# foreign documents


def test_components_outside_every_zone_go_to_the_unzoned_zone_as_an_assumption():
    doc = {"otmVersion": "0.2.0", "project": {"name": "Shop", "id": "shop", "owner": "Shop Ltd"},
           "trustZones": [{"id": "net", "name": "Internet", "risk": {"trustRating": 5}}],
           "components": [{"id": "user", "name": "User", "type": "actor", "parent": {"trustZone": "net"}},
                          {"id": "web", "name": "Web", "type": "web-server"},
                          {"id": "inner", "name": "Inner", "type": "database", "parent": {"component": "web"}}],
           "dataflows": [{"id": "f1", "name": "f1", "source": "user", "destination": "web", "tags": ["https"]}]}
    result = from_otm(doc, "shop.otm.json", assessed_on=ON)
    m = result.model
    zones = m.systems.set_index("system_id")["zone_id"]
    assert zones.to_dict() == {"user": "net", "web": UNZONED, "inner": UNZONED}
    unzoned = m.zones.set_index("zone_id").loc[UNZONED]
    assert unzoned["source"].startswith("assumption: import-otm: 2 components had no trust zone")
    assert m.systems.set_index("system_id").loc["inner", "otm_parent_component"] == "web"
    # entry points (DESIGN18 Q4): the internet-facing zone's component, as an assumption
    entry = m.systems.set_index("system_id")["entry_likelihood"]
    assert entry["user"] == 0.1 and entry["web"] == 0
    assert "entry_likelihood 0.1" in m.systems.set_index("system_id").loc["user", "source"]
    assert m.flows["encrypted"].tolist() == [True]
    assert m.flows["source_ref"].iloc[0] == "assumption: stage use (not given); otm:shop.otm.json#/dataflows/f1"
    assert m.meta["organisation"] == "Shop Ltd" and m.meta["assessed_on"] == ON and m.meta["target_population"] == 0
    assert set(result.placeholders) == {"affairs", "assessed_on", "target_population"}
    assert "$.components[2].parent.component" in result.remainder["otm_path"].tolist()


def test_the_import_report_lists_placeholders_assumptions_and_the_remainder():
    doc = {"otmVersion": "0.2.0", "project": {"name": "Shop", "id": "shop", "ownerContact": "a@b.example"},
           "components": [{"id": "web", "name": "Web", "type": "web-server"}]}
    result = from_otm(doc, "shop.otm.json", assessed_on=ON)
    en, ja = import_report(result, "shop.otm.json", "en"), import_report(result, "shop.otm.json", "ja")
    assert "## Placeholders (fill them in)" in en and "- model.yaml `organisation`" in en
    assert "`$.project.ownerContact`" in en and "| web |" not in en
    assert "## 取り込めなかったもの" in ja and "`$.project.ownerContact`" in ja
    assert "systems `web`" in en and "no trust zone" in en


# ---------------------------------------------------------------------------------------------------
# the command


def test_cli_import_writes_the_model_and_the_report_and_the_loader_ignores_it(tmp_path, capsys):
    otm = tmp_path / "tiny.otm.json"
    model = load_model(ROOT / "tests" / "models" / "tiny")
    otm.write_text(json.dumps(to_otm(model)), encoding="utf-8")
    out = tmp_path / "imported"
    assert main(["import-otm", str(otm), str(out), "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert "imported tiny.otm.json" in printed and "the model validates" in printed
    assert (out / "import-report.md").read_text("utf-8").startswith("# Import of tiny.otm.json")
    assert validate(out) == []
    assert_same_model(model, load_model(out))
    # an existing model directory: refused without --force; with it only the import's files are replaced
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["import-otm", str(otm), str(out)]) == 2
    assert main(["import-otm", str(otm), str(out), "--force"]) == 0
    assert (out / "notes.txt").read_text("utf-8") == "mine"
    other = tmp_path / "photos"
    other.mkdir()
    (other / "a.jpg").write_bytes(b"x")
    assert main(["import-otm", str(otm), str(other), "--force"]) == 2
    assert sorted(p.name for p in other.iterdir()) == ["a.jpg"]


def test_cli_an_invalid_document_writes_nothing(tmp_path, capsys):
    path = _write(tmp_path, ".yaml")
    out = tmp_path / "never"
    assert main(["import-otm", str(path), str(out)]) == 1
    err = capsys.readouterr().err
    assert "nothing was written" in err and "$.dataflows[0].destination" in err
    assert not out.exists()


def test_cli_a_foreign_document_prints_what_is_left_to_fill(tmp_path, capsys):
    doc = {"otmVersion": "0.2.0", "project": {"name": "Shop", "id": "shop"},
           "components": [{"id": "web", "name": "Web", "type": "web-server"}]}
    path = tmp_path / "shop.otm.yaml"
    import yaml

    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    assert main(["import-otm", str(path), str(tmp_path / "shop"), "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert "left to fill in" in printed and "target_population" in printed
    doc["project"]["description"] = "a shop"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    assert main(["import-otm", str(path), str(tmp_path / "shop-ja"), "--lang", "ja"]) == 0
    printed = capsys.readouterr().out
    assert "$.project.description: プロジェクトの説明 (model.yaml に対応するキーがない)" in printed


def test_the_export_states_instances_per_element_parents_and_processed_files():
    model = load_model(ROOT / "tests" / "models" / "tiny-transit")
    doc = to_otm(model)
    zones = {z["id"]: z for z in doc["trustZones"]}
    assert zones["DMZ"]["parent"] == {"trustZone": "CORE"} and "parent" not in zones["CORE"]
    web = next(c for c in doc["components"] if c["id"] == "WEB")
    assert web["assets"]["stored"] == [] and "REG_FILE" in web["assets"]["processed"]

    def states(element_id: str, control: str) -> set[str]:
        element = next(e for e in doc["components"] + doc["dataflows"] if e["id"] == element_id)
        return {m["state"] for t in element["threats"] for m in t["mitigations"] if m["mitigation"] == control}

    # C1 is implemented (its own status) on REG and planned (control_status.csv) on F1
    assert states("REG", "C1") == {"implemented"} and states("F1", "C1") == {"required"}
    # the organisation-wide C3 (retain-1) is missing at WEB alone, which holds nothing (no retain threat there)
    assert states("REG", "C3") == {"implemented"} and states("WEB", "C3") == set()
    attrs = doc["project"]["attributes"]
    assert attrs["pia-table:control_status"].splitlines()[0] == "control_id,element,status,source"
    assert "pia-table:triage" in attrs and "pia-model.yaml" in attrs


# ---------------------------------------------------------------------------------------------------
# the OTM project's example and pytm's sample


@pytest.mark.parametrize("name", ["EXAMPLE.json", "EXAMPLE.yaml"])
def test_the_otm_example_imports_with_its_remainder(name):
    result = from_otm(read_otm(FIXTURES / name), assessed_on=ON)
    m = result.model
    assert (len(m.zones), len(m.systems), len(m.files), len(m.flows), len(m.risks), len(m.controls)) == (2, 4, 2, 2, 1, 1)
    systems = m.systems.set_index("system_id")
    assert systems.loc["web-service", "processes"] == ["cc-data"]  # processed − stored
    assert systems.loc["web-service", "holds"] == ["public-info"]
    assert systems.loc["customer-database", "kind"] == "store" and systems.loc["web-client", "kind"] == "external"
    assert systems.loc["web-client", "entry_likelihood"] == 0.1  # tagged external (Q4), an assumption
    assert m.flows["interactive"].all()
    control = m.controls.iloc[0]
    assert control["effectiveness"] == 0.5 and control["mitigates"] == [m.risks["risk_id"].iloc[0]]
    assert control["applies_to"] == ["cc-store-in-db", "web-service"]
    # implemented on the component, required on the flow: a tie, read as the weaker status, the other an override
    assert control["status"] == "planned"
    assert m.control_status[["element", "status"]].values.tolist() == [["web-service", "implemented"]]
    assert m.risks["source"].iloc[0].startswith("assumption: stage use (no stage category); otm:")
    assert systems.loc["web-service", "source"].endswith(f"otm:{name}#/components/web-service")
    left = result.remainder.set_index("otm_path")
    assert "no component or dataflow applies it" in left.loc["$.mitigations[1]", "reason"]
    for path in ("$.representations[0]", "$.threats[0].cwes", "$.threats[0].risk", "$.project.ownerContact",
                 "$.assets[0].risk", "$.components[1].threats[0].state"):
        assert path in left.index, path
    assert set(result.placeholders) == {"affairs", "assessed_on", "target_population"}
    # 20 items before the user trial of issue 18, the 8 descriptions of zones, components and assets, and the
    # threat's STRIDE categories (its stage is the only category a risk item has)
    assert len(result.remainder) == 29
    assert left.loc["$.threats[0].categories", "what"] == "threat categories Spoofing, Tampering"
    for path in ("$.trustZones[1].description", "$.components[3].description", "$.assets[1].description"):
        assert left.loc[path, "reason"] == "a row has a name only", path


def test_the_json_and_yaml_examples_give_the_same_model():
    a = from_otm(read_otm(FIXTURES / "EXAMPLE.json"), "EXAMPLE", assessed_on=ON)
    b = from_otm(read_otm(FIXTURES / "EXAMPLE.yaml"), "EXAMPLE", assessed_on=ON)
    assert_same_model(a.model, b.model)
    assert a.remainder.equals(b.remainder)


def test_the_pytm_sample_puts_the_web_server_outside_every_zone_and_the_token_in_transit():
    result = from_otm(read_otm(FIXTURES / "pytm-sample.otm.yaml"), assessed_on=ON)
    m = result.model
    assert (len(m.zones), len(m.systems), len(m.files), len(m.flows), len(m.controls)) == (4, 5, 7, 6, 0)
    web = m.systems.set_index("system_id").loc["web-server"]
    assert web["zone_id"] == UNZONED and web["holds"] == [] and "user-id-token" in web["processes"]
    assert m.my_number_files == frozenset({"user-id-token"})
    assert m.my_number_people["web-server"] == 0  # processed, not held: nothing at stake there
    assert "real-identity-database" in set(m.systems.loc[m.systems["holds"].map(lambda h: "user-id-token" in h),
                                                         "system_id"])
    assert m.zones.set_index("zone_id").loc["internet", "internet_facing"]
    assert UNZONED in set(result.assumptions["id"])
    assert "$.project.attributes[\"pytm-assumption\"]" in set(result.remainder["otm_path"])
    # what issue 18 found false: no holder or retention finding at the web server; its crossing still open
    from pia_analysis import find_findings

    findings = find_findings(m.replace(meta=dict(m.meta, target_population=100)))
    ids = set(findings.loc[findings["status"] == "open", "finding_id"])
    assert "unencrypted-crossing@user-to-web" in ids
    assert not {i for i in ids if i.endswith("@web-server")}, ids


# ---------------------------------------------------------------------------------------------------
# after the user trial: --force never destroys data, nothing dropped silently, negated My Number


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_force_refuses_a_model_directory_holding_data_the_document_does_not_carry(tmp_path, capsys, lang):
    doc = {"otmVersion": "0.2.0", "project": {"name": "Town", "id": "town"},
           "assets": [{"id": "reg", "name": "Register", "risk": {"confidentiality": 100, "integrity": 100,
                                                                   "availability": 100}}],
           "components": [{"id": "sv", "name": "Server", "type": "web-service", "assets": {"stored": ["reg"]}}]}
    otm = tmp_path / "town.otm.json"
    otm.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "town"
    assert main(["import-otm", str(otm), str(out)]) == 0
    # a re-import over its own untouched result replaces it (nothing of the analyst's is there yet)
    assert main(["import-otm", str(otm), str(out), "--force"]) == 0
    # the analyst fills in the model and triages findings
    meta = (out / "model.yaml").read_text("utf-8").replace("target_population: 0", "target_population: 12000")
    (out / "model.yaml").write_text(meta, encoding="utf-8")
    files = pd.read_csv(out / "files.csv", dtype=str, keep_default_na=False)
    files.loc[0, "records"] = "12000"
    files.to_csv(out / "files.csv", index=False, lineterminator="\n")
    (out / "triage.csv").write_text("finding_id,decision,reason\nx@sv,accepted,checked\n", encoding="utf-8")
    before = _snapshot(out)
    capsys.readouterr()
    assert main(["import-otm", str(otm), str(out), "--force", "--lang", lang]) == 1
    err = capsys.readouterr().err
    assert _snapshot(out) == before  # byte-identical: nothing written, nothing deleted
    for name in ("triage.csv", "model.yaml", "files.csv", "target_population", "pia-analysis diff"):
        assert name in err, name
    assert ("nothing was written" in err) == (lang == "en") and ("何も書きませんでした" in err) == (lang == "ja")
    assert ("does not carry this table" in err) == (lang == "en") and ("文書はこの表を運ばない" in err) == (lang == "ja")
    # moving the files away, as the message says, lets the import run
    (out / "triage.csv").unlink()
    assert main(["import-otm", str(otm), str(out), "--force"]) == 1  # model.yaml, files.csv still filled in


def test_force_replaces_a_model_whose_tables_the_own_export_carries(tmp_path):
    model = load_model(bundled_model_path())  # ratings, recipients, sub_measures … travel as pia-table
    # (previous names a folder beside data/, which tmp_path has not)
    model = model.replace(meta={k: v for k, v in model.meta.items() if k != "previous"})
    otm = tmp_path / "juki.otm.json"
    otm.write_text(json.dumps(to_otm(model)), encoding="utf-8")
    out = tmp_path / "juki"
    save_model(model, out)
    assert (out / "ratings.csv").is_file()
    assert main(["import-otm", str(otm), str(out), "--force"]) == 0
    assert_same_model(model, load_model(out))


def test_import_losses_names_each_file_and_the_threagile_case_carries_nothing(tmp_path):
    from pia_analysis.formats.otm import import_losses

    model = load_model(ROOT / "tests" / "models" / "tiny")
    save_model(model, tmp_path / "m")
    assert import_losses(to_otm(model), tmp_path / "m") == []
    names = [name for name, _what in import_losses({}, tmp_path / "m")]
    assert "model.yaml" in names and "files.csv" in names
    assert not {"zones.csv", "systems.csv", "flows.csv", "controls.csv"} & set(names)


def test_descriptions_and_catalogue_threats_are_listed_in_the_remainder():
    from pia_analysis import catalog

    risk = catalog.risk_catalog()["risk_id"].iloc[0]
    doc = {"otmVersion": "0.2.0", "project": {"name": "T", "id": "t"},
           "trustZones": [{"id": "z", "name": "Z", "description": "the LAN", "risk": {"trustRating": 100}}],
           "assets": [{"id": "a", "name": "A", "description": "records", "risk": {"confidentiality": 1,
                                                                                  "integrity": 1, "availability": 1}}],
           "components": [{"id": "c1", "name": "C1", "type": "web-service", "description": "front",
                           "parent": {"trustZone": "z"}, "assets": {"stored": ["a"]}},
                          {"id": "c2", "name": "C2", "type": "web-service", "description": " ",
                           "parent": {"trustZone": "z"}}],
           "dataflows": [{"id": "f", "name": "F", "source": "c1", "destination": "c2", "description": "nightly",
                          "assets": ["a"]}],
           "threats": [{"id": risk, "name": "their name", "description": "their words", "categories": [],
                        "risk": {"likelihood": 50, "impact": 50}}]}
    left = from_otm(doc, assessed_on=ON).remainder.set_index("otm_path")
    for path in ("$.trustZones[0].description", "$.assets[0].description", "$.components[0].description",
                 "$.dataflows[0].description", "$.threats[0].name", "$.threats[0].risk", "$.threats[0].description"):
        assert path in left.index, path
    assert "$.components[1].description" not in left.index  # blank: nothing to lose
    assert left.loc["$.components[0].description", "reason"] == "a row has a name only"
    assert "catalogue" in left.loc["$.threats[0].name", "reason"]


def test_the_otm_example_lists_every_description_it_drops():
    result = from_otm(read_otm(FIXTURES / "EXAMPLE.json"), assessed_on=ON)
    doc = json.loads((FIXTURES / "EXAMPLE.json").read_text("utf-8"))
    described = sum(bool(str(item.get("description") or "").strip())
                    for key in ("trustZones", "components", "assets", "dataflows") for item in doc.get(key) or [])
    paths = set(result.remainder["otm_path"])
    assert sum(p.endswith(".description") and not p.startswith(("$.threats", "$.mitigations", "$.project")) for p in paths) \
        == described


@pytest.mark.parametrize(("description", "expected"), [
    ("戸籍の附票の記載事項（個人番号は含まない）", False),
    ("マイナンバーを含みません", False),
    ("個人番号なし", False),
    ("a register without My Number", False),
    ("my number is not stored here", False),
    ("住民票の記載事項と個人番号", True),
    ("names and My Numbers of residents", True),
])
def test_the_my_number_guess_reads_a_negated_description_as_no_evidence(description, expected):
    doc = {"otmVersion": "0.2.0", "project": {"name": "T", "id": "t"},
           "assets": [{"id": "a", "name": "附票ファイル", "description": description,
                       "risk": {"confidentiality": 1, "integrity": 1, "availability": 1}}],
           "components": [{"id": "c", "name": "C", "type": "web-service", "assets": {"stored": ["a"]}}]}
    result = from_otm(doc, assessed_on=ON)
    files = result.model.files.set_index("file_id")
    assert bool(files.loc["a", "contains_my_number"]) is expected
    assert files.loc["a", "source"].startswith("assumption: ")  # still a guess
    # the name is read whatever the description says
    doc["assets"][0]["name"] = "住民基本台帳ファイル（個人番号を含む）"
    assert bool(from_otm(doc, assessed_on=ON).model.files["contains_my_number"].iloc[0])


def test_a_flow_carrying_an_asset_neither_end_holds_is_hinted_in_otm_terms():
    doc = {"otmVersion": "0.2.0", "project": {"name": "T", "id": "t"},
           "assets": [{"id": "a", "name": "A", "risk": {"confidentiality": 1, "integrity": 1, "availability": 1}}],
           "components": [{"id": "c1", "name": "C1", "type": "web-service"},
                          {"id": "c2", "name": "C2", "type": "web-service"}],
           "dataflows": [{"id": "f", "name": "F", "source": "c1", "destination": "c2", "assets": ["a"]}]}
    with pytest.raises(ModelError) as caught:
        from_otm(doc, assessed_on=ON)
    text = "\n".join(map(str, caught.value.problems))
    assert "$.dataflows[0]" in text and "assets.stored or assets.processed of component 'c1' or 'c2'" in text
    assert "systems.csv" not in text


def test_the_japanese_report_gives_every_remainder_row_and_assumption_in_japanese():
    from pia_analysis import catalog

    risk = catalog.risk_catalog()["risk_id"].iloc[0]
    odd = {"otmVersion": "0.2.0", "project": {"name": "T", "id": "t", "owner": "Town"},
           "trustZones": [{"id": "z", "name": "Z", "description": "LAN", "risk": {"trustRating": 5},
                           "attributes": {"vlan": 10}}],
           "components": [{"id": "c1", "name": "C1", "type": "web-service", "parent": {"trustZone": "z"},
                           "tags": ["external"],
                           "threats": [{"threat": risk, "state": "exposed",
                                        "mitigations": [{"mitigation": "m", "state": "maybe"}]}]},
                          {"id": "c2", "name": "C2", "type": "database", "parent": {"component": "c1"}},
                          {"id": "c3", "name": "C3", "type": "service", "parent": {"trustZone": "z"}}],
           "dataflows": [{"id": "f", "name": "F", "source": "c1", "destination": "z"}],
           "threats": [{"id": risk, "name": "theirs", "categories": [],
                        "risk": {"likelihood": 1, "impact": 1}}],
           "mitigations": [{"id": "m", "name": "M", "description": "a lock", "riskReduction": 10},
                           {"id": "m2", "name": "M2", "riskReduction": 10}]}
    for doc in (read_otm(FIXTURES / "EXAMPLE.json"), read_otm(FIXTURES / "pytm-sample.otm.yaml"), odd):
        result = from_otm(doc, "x.otm.json", assessed_on=ON)
        ja, en = import_report(result, "x.otm.json", "ja"), import_report(result, "x.otm.json", "en")
        rows = {line.split(" | ")[0]: line for line in ja.splitlines() if line.startswith("| `")}
        for r in result.remainder.itertuples(index=False):
            line = rows[f"| `{r.otm_path}`"]
            assert f" {r.what} |" not in line and f" {r.reason} |" not in line, line
            assert f"| {r.what} | {r.reason} |" in en  # English stays English
        for r in result.assumptions.itertuples(index=False):
            for part in r.assumption.split("; "):
                assert part not in ja, part
                assert part in en


def test_an_otm_without_components_is_located_in_otm_terms(tmp_path):
    from pia_analysis.model.errors import ModelError

    path = tmp_path / "min.json"
    path.write_text('{"otmVersion": "0.2.0", "project": {"name": "P", "id": "p"}}', encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        from_otm(read_otm(path), assessed_on=dt.date(2026, 4, 1))
    text = str(caught.value)
    assert "$.components: has no component" in text and "$.trustZones: has no trust zone" in text
    assert "header" not in text and ".csv" not in text  # no words of the CSV tables the user never wrote


def test_instances_of_one_element_that_disagree_are_a_listed_guess(tmp_path):
    doc = {"otmVersion": "0.2.0", "project": {"name": "P", "id": "p"},
           "trustZones": [{"id": "Z", "name": "Z", "risk": {"trustRating": 100}}],
           "components": [{"id": "A", "name": "A", "type": "database", "parent": {"trustZone": "Z"},
                           "threats": [{"threat": "T1", "state": "exposed", "mitigations": [{"mitigation": "M1", "state": "implemented"}]},
                                       {"threat": "T2", "state": "exposed", "mitigations": [{"mitigation": "M1", "state": "required"}]}]}],
           "threats": [{"id": "T1", "name": "T1", "risk": {"likelihood": 5, "impact": 5}},
                       {"id": "T2", "name": "T2", "risk": {"likelihood": 5, "impact": 5}}],
           "mitigations": [{"id": "M1", "name": "M1", "riskReduction": 50}]}
    result = from_otm(doc, "c.json", assessed_on=dt.date(2026, 4, 1))
    control = result.model.controls.set_index("control_id").loc["M1"]
    assert control["status"] == "planned"  # the weaker of implemented and required, never silently
    assert "status on A: the weaker of implemented, planned" in control["source"]
    assert any("the weaker of" in a for a in result.assumptions["assumption"])


def test_import_with_today_gives_the_same_bytes_in_any_time_zone(tmp_path, monkeypatch, capsys):
    outs = []
    for zone in ("UTC", "Asia/Tokyo", "America/Los_Angeles"):
        monkeypatch.setenv("TZ", zone)
        out = tmp_path / zone.replace("/", "_")
        assert main(["import-otm", str(FIXTURES / "EXAMPLE.json"), str(out), "--today", "2026-04-01"]) == 0
        outs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    capsys.readouterr()
    assert outs[0] == outs[1] == outs[2]
    assert b"assessed_on: 2026-04-01" in outs[0]["model.yaml"]


def test_threat_categories_and_references_are_listed_not_dropped():
    doc = {"otmVersion": "0.2.0", "project": {"name": "P", "id": "p"},
           "trustZones": [{"id": "Z", "name": "Z", "risk": {"trustRating": 100}}],
           "components": [{"id": "A", "name": "A", "type": "database", "parent": {"trustZone": "Z"}}],
           "threats": [{"id": "T9", "name": "Spoofed client", "categories": ["Spoofing", "use"],
                        "references": ["https://example.org/x"], "risk": {"likelihood": 5, "impact": 5}}]}
    result = from_otm(doc, "t.json", assessed_on=dt.date(2026, 4, 1))
    assert result.model.risks.set_index("risk_id").loc["T9", "stage"] == "use"
    listed = dict(zip(result.remainder["otm_path"], result.remainder["what"]))
    assert listed["$.threats[0].categories"] == "threat categories Spoofing"
    assert listed["$.threats[0].references"] == "threat references"
    ja = import_report(result, "t.json", "ja")
    assert "脅威の分類 Spoofing" in ja and "リスク項目の分類は段階だけ" in ja
