"""pytm's JSON models in, through OTM: pytm's own test input and a richer model after its sample tm.py,
checked against the JSON read independently and against the OTM 0.2.0 schema; located errors; the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

from pia_analysis import ModelError, from_pytm
from pia_analysis.cli import main
from pia_analysis.formats import validate
from pia_analysis.formats.otm import UNZONED, OtmText, validate_otm
from pia_analysis.formats.pytm import is_pytm, pytm_to_otm, read_pytm, translate_pytm

FIXTURES = Path(__file__).parent / "fixtures"
INPUT = FIXTURES / "pytm" / "input.json"
SAMPLE = FIXTURES / "pytm" / "sample.json"
OTM_SCHEMA = json.loads((FIXTURES / "otm_schema-0.2.0.json").read_text(encoding="utf-8"))
ON = dt.date(2026, 4, 1)


def _raw(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _schema_errors(document: dict) -> list[str]:
    """The OTM 0.2.0 schema's complaints but the one departure (``parent: {}`` of a component in no zone)."""
    errors = jsonschema.Draft7Validator(OTM_SCHEMA).iter_errors(document)
    unzoned = {i for i, c in enumerate(document.get("components") or []) if c.get("parent") == {}}
    return [f"{list(e.path)}: {e.message}" for e in errors
            if not (list(e.path)[:1] == ["components"] and list(e.path)[1] in unzoned
                    and list(e.path)[2:] == ["parent"])]


def _problems(excinfo) -> list[str]:
    return [str(p) for p in excinfo.value.problems]


def _write(tmp_path: Path, doc: dict, name: str = "tm.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------------
# pytm's own test input


def test_pytms_input_imports_with_its_counts():
    raw = _raw(INPUT)
    imported = from_pytm(INPUT, assessed_on=ON)
    model = imported.model
    in_no_boundary = [e["name"] for e in raw["elements"] if "inBoundary" not in e]
    assert in_no_boundary  # the Web Server lies outside every boundary
    # every boundary a zone, plus UNZONED for the elements in none
    assert len(model.zones) == len(raw["boundaries"]) + 1
    assert len(model.systems) == len(raw["elements"])
    assert len(model.flows) == len(raw["flows"])
    assert len(model.files) == len(raw["data"])
    unzoned = model.systems.loc[model.systems["zone_id"] == UNZONED, "name_en"].tolist()
    assert unzoned == in_no_boundary
    # the names are kept, the ids are slugs
    assert model.systems["name_en"].tolist() == [e["name"] for e in raw["elements"]]
    assert "Web-Server" in set(model.systems["system_id"])
    # the flows' ends follow the JSON's source and sink
    name_of = dict(zip(model.systems["system_id"], model.systems["name_en"]))
    assert [(name_of[s], name_of[t]) for s, t in zip(model.flows["source"], model.flows["target"])] == \
        [(f["source"], f["sink"]) for f in raw["flows"]]
    # the model's own settings are listed, not dropped
    listed = set(imported.remainder["otm_path"])
    assert {"$.isOrdered", "$.onDuplicates"} <= listed


def test_pytms_input_is_valid_otm():
    otm = translate_pytm(read_pytm(INPUT), source_name=INPUT.name).otm
    assert _schema_errors(otm) == []
    assert validate_otm(OtmText(otm, {}, INPUT.name)) == []
    assert json.loads(json.dumps(otm)) == otm


# ---------------------------------------------------------------------------------------------------
# the richer sample


@pytest.fixture(scope="module")
def sample():
    return from_pytm(SAMPLE, assessed_on=ON)


def _row(frame, key, value):
    return frame.loc[frame[key] == value].iloc[0]


def test_sample_zones_nest_and_the_web_server_is_unzoned(sample):
    zones, systems = sample.model.zones, sample.model.systems
    assert _row(zones, "zone_id", "Server-DB")["parent_zone"] == "AWS-VPC"
    assert not _row(zones, "zone_id", "AWS-VPC")["parent_zone"]  # the outer boundary lies in none
    assert _row(systems, "system_id", "Web-Server")["zone_id"] == UNZONED
    assert _row(systems, "system_id", "SQL-Database")["zone_id"] == "Server-DB"
    # a boundary named for the internet faces it: its rating gives the importer's operator for 10
    assert _row(zones, "zone_id", "Internet")["operator"] == "resident"
    assert _row(zones, "zone_id", "AWS-VPC")["operator"] == "city"


def test_sample_kinds(sample):
    kinds = dict(zip(sample.model.systems["system_id"], sample.model.systems["kind"]))
    assert kinds == {"User": "external", "Web-Server": "system", "AWS-Lambda": "system", "Audit-Process": "system",
                     "SQL-Database": "store", "Real-Identity-Database": "store"}
    user = _row(sample.model.systems, "system_id", "User")
    assert user["entry_likelihood"] > 0  # an actor is an entry point (the importer's assumption)


def test_sample_stored_and_processed(sample):
    systems = sample.model.systems.set_index("system_id")
    token, comments = "Token-verifying-user-identity", "Comments-in-HTML-or-Markdown"
    # the token is processed by the web server and the lambda, stored nowhere
    assert not any(token in h for h in systems["holds"])
    assert token in systems.loc["Web-Server", "processes"] and token in systems.loc["AWS-Lambda", "processes"]
    # a Datastore receiving the comments stores them; the Web Server passing them only processes them
    assert comments in systems.loc["SQL-Database", "holds"]
    assert comments in systems.loc["Web-Server", "processes"] and comments not in systems.loc["Web-Server", "holds"]
    # a Datastore a flow reads from holds what it sends
    assert systems.loc["Real-Identity-Database", "holds"] == ["Real-identity-My-Number"]
    # isStored: true → stored by the flow's sink, even one that is no Datastore
    assert "Audit-log-line" in systems.loc["Audit-Process", "holds"]
    assert "Audit-log-line" in systems.loc["AWS-Lambda", "processes"]


def test_sample_my_number_and_flows(sample):
    files = sample.model.files.set_index("file_id")
    assert bool(files.loc["Real-identity-My-Number", "contains_my_number"])
    assert not bool(files.loc["Token-verifying-user-identity", "contains_my_number"])
    flows = sample.model.flows.set_index("flow_id")
    assert bool(flows.loc["User>User-enters-comments", "encrypted"])  # HTTPS
    assert bool(flows.loc["Web-Server>Verify-the-token", "encrypted"])  # controls.isEncrypted over HTTP
    assert not bool(flows.loc["Web-Server>Insert-query-with-comments", "encrypted"])  # MySQL
    # two flows share a name in pytm: the second gets a suffix
    assert {"Web-Server>Show-comments", "Web-Server>Show-comments-2"} <= set(flows.index)


def test_sample_remainder(sample):
    rem = sample.remainder.set_index("otm_path")
    assert "isHardened" in rem.loc["$.elements[1].controls", "what"]
    assert "sanitizesInput" not in rem.loc["$.elements[1].controls", "what"]  # false: nothing to list
    assert "OS" in rem.loc["$.elements[1]", "what"]
    assert "storesPII" in rem.loc["$.elements[5]", "what"]
    assert "dstPort" in rem.loc["$.flows[0]", "what"]
    assert "isResponse" in rem.loc["$.flows[6]", "what"]
    assert {"$.isOrdered", "$.mergeResponses", "$.assumptions"} <= set(rem.index)


def test_translation_is_deterministic():
    raw = _raw(SAMPLE)
    assert pytm_to_otm(raw, source_name="a.json") == pytm_to_otm(_raw(SAMPLE), source_name="a.json")


def test_is_pytm(tmp_path):
    assert is_pytm(INPUT) and is_pytm(SAMPLE)
    assert not is_pytm(_write(tmp_path, {"otmVersion": "0.2.0", "components": []}, "o.json"))
    assert not is_pytm(_write(tmp_path, {"name": "x"}, "n.json"))
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    assert not is_pytm(tmp_path / "bad.json")
    assert not is_pytm(tmp_path / "missing.json")


# ---------------------------------------------------------------------------------------------------
# located errors


def test_malformed_model_is_located_all_at_once(tmp_path):
    doc = _raw(SAMPLE)
    doc["elements"][2]["inBoundary"] = "Nowhere"
    doc["elements"][3]["__class__"] = "Robot"
    del doc["elements"][4]["name"]
    doc["elements"][5]["name"] = "User"  # a duplicate name
    doc["data"][0]["classification"] = "VERY_SECRET"
    doc["flows"][1]["data"] = ["Unknown datum"]
    doc["flows"][2]["sink"] = "Ghost"
    doc["boundaries"].append({"name": "AWS  VPC"})  # gives the id of "AWS VPC"
    path = _write(tmp_path, doc)
    with pytest.raises(ModelError) as excinfo:
        read_pytm(path)
    problems = _problems(excinfo)
    lines = path.read_text(encoding="utf-8").splitlines()

    def line_of(text: str, after: int = 0) -> int:
        return next(i for i, s in enumerate(lines, 1) if i > after and text in s)

    text = "\n".join(problems)
    nowhere = line_of('"Nowhere"')
    assert f"{path}:{nowhere}: $.elements[2].inBoundary: 'Nowhere' is not the name of any boundary" in text
    assert "$.elements[3].__class__: 'Robot' is not a pytm element class" in text
    assert "$.elements[4].name: is missing" in text
    assert "$.elements[5].name: 'User' is also the name of elements[0]" in text
    assert "$.data[0].classification: 'VERY_SECRET' is not one of pytm's values" in text
    assert "$.flows[1].data[0]: 'Unknown datum' is not the name of any datum" in text
    assert "$.flows[2].sink: 'Ghost' is not the name of any element" in text
    assert "$.boundaries[3].name: 'AWS  VPC' gives the id 'AWS-VPC', as 'AWS VPC' does" in text
    # and what follows from them: the flows naming the element renamed or left without a name
    assert "$.flows[1].sink: 'SQL Database' is not the name of any element" in text
    assert "$.flows[3].source: 'Real Identity Database' is not the name of any element" in text
    assert len(problems) == 10


def test_wrong_types_and_circles_are_located(tmp_path):
    doc = {"name": "x", "boundaries": [{"name": "A", "inBoundary": "B"}, {"name": "B", "inBoundary": "A"},
                                       {"name": "C", "inBoundary": ["A"]}],
           "data": [{"name": "D", "isPII": "yes"}],
           "elements": [{"__class__": "Server", "name": 7}, {"name": "E"}, {"__class__": ["Server"], "name": "G",
                                                                            "inBoundary": {"name": "A"}}],
           "flows": [{"name": "F", "source": "E", "data": "D"}, {"source": "E", "sink": "E"}]}
    with pytest.raises(ModelError) as excinfo:
        read_pytm(_write(tmp_path, doc))
    text = "\n".join(_problems(excinfo))
    assert "the boundaries lie in a circle (A → B → A)" in text
    assert "$.boundaries[2].inBoundary: must be the name of a boundary, not ['A']" in text
    assert "$.data[0].isPII: must be true or false" in text
    assert "$.elements[0].name: must be text" in text
    assert "$.flows[0].sink: is missing" in text
    assert "$.flows[0].data: must be a list of names of data" in text
    assert "$.flows[1].name: is missing" in text
    assert "$.flows[1].sink: is the source itself" in text
    assert "$.elements[2].__class__: ['Server'] is not a pytm element class" in text
    assert "$.elements[2].inBoundary: must be the name of a boundary, not {'name': 'A'}" in text


def test_invalid_json_and_no_name_are_located(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "name": "x",\n  "elements": [\n', encoding="utf-8")
    with pytest.raises(ModelError) as excinfo:
        read_pytm(bad)
    assert _problems(excinfo)[0].startswith(f"{bad}:4: is not valid JSON")
    with pytest.raises(ModelError) as excinfo:
        translate_pytm({"elements": []}, source_name="tm.json")
    assert _problems(excinfo) == ["tm.json: $.name: is missing (hint: a pytm model has a name (pytm refuses a "
                                  "model without one))"]


# ---------------------------------------------------------------------------------------------------
# the command line


def test_cli_import_otm_reads_a_pytm_model(tmp_path, capsys):
    out = tmp_path / "imported"
    assert main(["import-otm", str(SAMPLE), str(out), "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert "imported sample.json" in printed
    report = (out / "import-report.md").read_text("utf-8")
    assert "$.elements[1].controls" in report and "isHardened" in report
    systems = (out / "systems.csv").read_text("utf-8").splitlines()
    assert len(systems) == 1 + len(_raw(SAMPLE)["elements"])
    # what is left is the placeholders of model.yaml to fill in, nothing in the tables
    assert {p.file.rsplit("/", 1)[-1] for p in validate(out)} == {"model.yaml"}


def test_cli_import_otm_locates_pytm_errors(tmp_path, capsys):
    doc = _raw(INPUT)
    doc["flows"][0]["source"] = "Nobody"
    broken = _write(tmp_path, doc)
    out = tmp_path / "imported"
    assert main(["import-otm", str(broken), str(out)]) == 1
    err = capsys.readouterr()
    line = next(i for i, s in enumerate(broken.read_text("utf-8").splitlines(), 1) if '"Nobody"' in s)
    assert f"{broken}:{line}: $.flows[0].source: 'Nobody' is not the name of any element" in err.out + err.err
    assert not out.exists()


def test_japanese_names_and_an_elements_own_data(tmp_path):
    doc = {"name": "住民記録", "boundaries": [{"name": "庁内 LAN"}],
           "data": [{"name": "住民票（個人番号）"}, {"name": "照会"}],
           "elements": [{"__class__": "Datastore", "name": "住民記録 DB", "inBoundary": "庁内 LAN",
                         "data": ["住民票（個人番号）"]},
                        {"__class__": "Process", "name": "窓口端末", "inBoundary": "庁内 LAN", "data": ["照会"]}],
           "flows": [{"name": "照会", "source": "窓口端末", "sink": "住民記録 DB", "data": ["照会"]}]}
    imported = from_pytm(_write(tmp_path, doc), assessed_on=ON)
    systems = imported.model.systems.set_index("system_id")
    # the Japanese letters stay in the id, the space becomes '-'; the name is kept whole
    assert systems.loc["住民記録-DB", "name_ja"] == "住民記録 DB"
    assert systems.loc["住民記録-DB", "zone_id"] == "庁内-LAN"
    # an element's own data: held by a Datastore, processed by the rest; the flow's datum is held at the store
    assert sorted(systems.loc["住民記録-DB", "holds"]) == sorted(["照会", "住民票-個人番号"])
    assert systems.loc["窓口端末", "processes"] == ["照会"]
    assert bool(imported.model.files.set_index("file_id").loc["住民票-個人番号", "contains_my_number"])


def test_a_pytm_model_without_elements_is_located_in_pytm_terms(tmp_path):
    path = tmp_path / "empty.json"
    path.write_text('{\n "name": "x",\n "elements": []\n}\n', encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        from_pytm(path, assessed_on=dt.date(2026, 4, 1))
    text = str(caught.value)
    assert f"{path}:3: $.elements: has no element" in text and "components" not in text
