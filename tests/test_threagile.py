"""Threagile models in, through OTM: the translation of Threagile's own example (and of its split test model,
read through includes), checked against the OTM 0.2.0 schema and against the YAML read independently; the
reader's located errors and refusals."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from pia_analysis import ModelError
from pia_analysis.cli import main
from pia_analysis.formats import validate
from pia_analysis.formats.otm import UNZONED, OtmText, validate_otm
from pia_analysis.formats.threagile import (ENCRYPTED_PROTOCOLS, from_threagile, is_threagile, read_threagile,
                                            threagile_to_otm, translate_threagile)

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLE = FIXTURES / "threagile" / "example" / "threagile.yaml"
SPLIT = FIXTURES / "threagile" / "split"
OTM_SCHEMA = json.loads((FIXTURES / "otm_schema-0.2.0.json").read_text(encoding="utf-8"))
ON = dt.date(2026, 4, 1)


def _plain(path: Path) -> dict:
    """The example read by PyYAML's plain safe loader (merge keys expanded): the independent expectation."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _schema_errors(document: dict) -> list[str]:
    """The OTM 0.2.0 schema's complaints, but the one departure: a component in no zone has ``parent: {}``
    (which the importer reads as its zone UNZONED; the schema requires a parent)."""
    errors = jsonschema.Draft7Validator(OTM_SCHEMA).iter_errors(document)
    unzoned = {i for i, c in enumerate(document.get("components") or []) if c.get("parent") == {}}
    return [f"{list(e.path)}: {e.message}" for e in sorted(errors, key=lambda e: list(e.path))
            if not (list(e.path)[:1] == ["components"] and list(e.path)[1] in unzoned
                    and list(e.path)[2:] == ["parent"])]


@pytest.fixture(scope="module")
def example():
    return translate_threagile(read_threagile(EXAMPLE), source_name=EXAMPLE.name)


def _problems(excinfo) -> list[str]:
    return [str(p) for p in excinfo.value.problems]


# ---------------------------------------------------------------------------------------------------
# the example


def test_example_is_valid_otm(example):
    assert _schema_errors(example.otm) == []
    assert validate_otm(OtmText(example.otm, {}, "threagile.yaml")) == []  # the importer's own checks
    assert example.otm["otmVersion"] == "0.2.0"
    assert json.loads(json.dumps(example.otm)) == example.otm  # JSON-ready


def test_example_counts_match_the_yaml(example):
    raw = _plain(EXAMPLE)
    otm = example.otm
    tech = raw["technical_assets"]
    links = [(asset["id"], title, link) for asset in tech.values()
             for title, link in (asset.get("communication_links") or {}).items()]
    boundaries = raw["trust_boundaries"]
    inside = {a for b in boundaries.values() for a in (b.get("technical_assets_inside") or [])}
    unzoned = [a["id"] for a in tech.values() if a["id"] not in inside]
    assert unzoned  # the example has assets outside every boundary (the customer's browser …)
    assert [a["id"] for a in otm["assets"]] == [d["id"] for d in raw["data_assets"].values()]
    assert [c["id"] for c in otm["components"]] == [a["id"] for a in tech.values()]
    assert [z["id"] for z in otm["trustZones"]] == [b["id"] for b in boundaries.values()]
    assert len(otm["dataflows"]) == len(links)
    assert {f["source"] for f in otm["dataflows"]} <= {c["id"] for c in otm["components"]}
    assert {c["id"] for c in otm["components"] if c["parent"] == {}} == set(unzoned)


def test_nested_boundary_becomes_parent_zone(example):
    raw = _plain(EXAMPLE)
    expected = {child: b["id"] for b in raw["trust_boundaries"].values()
                for child in (b.get("trust_boundaries_nested") or [])}
    assert expected  # Application Network holds the DMZs and the auth environment
    parents = {z["id"]: z["parent"]["trustZone"] for z in example.otm["trustZones"] if "parent" in z}
    assert parents == expected
    # A technical asset sits in its innermost boundary, never in the outer one.
    zone = {c["id"]: c["parent"].get("trustZone") for c in example.otm["components"]}
    for b in raw["trust_boundaries"].values():
        for asset in b.get("technical_assets_inside") or []:
            assert zone[asset] == b["id"]


def test_stored_and_processed(example):
    raw = _plain(EXAMPLE)
    components = {c["id"]: c for c in example.otm["components"]}
    link_data: dict[str, set[str]] = {}
    for asset in raw["technical_assets"].values():
        for link in (asset.get("communication_links") or {}).values():
            link_data.setdefault(link["target"], set()).update(link.get("data_assets_sent") or [],
                                                                link.get("data_assets_received") or [])
    held_somewhere = processed_only = 0
    for asset in raw["technical_assets"].values():
        stored = asset.get("data_assets_stored") or []
        c = components[asset["id"]]
        assert c["assets"]["stored"] == stored
        declared = set(asset.get("data_assets_processed") or []) - set(stored)
        # Threagile's parser: a link's data is processed by its target too.
        assert set(c["assets"]["processed"]) == declared | (link_data.get(asset["id"], set()) - set(stored))
        assert not set(c["assets"]["processed"]) & set(stored)  # a file held is not also "processed"
        held_somewhere += bool(stored)
        processed_only += bool(c["assets"]["processed"]) and not stored
    assert held_somewhere and processed_only  # both kinds occur: the load balancer only passes data through
    assert components["load-balancer"]["assets"]["stored"] == []
    assert "customer-accounts" in components["load-balancer"]["assets"]["processed"]


def test_links_become_dataflows(example):
    raw = _plain(EXAMPLE)
    flows = {f["id"]: f for f in example.otm["dataflows"]}
    for asset in raw["technical_assets"].values():
        for title, link in (asset.get("communication_links") or {}).items():
            slug = "-".join("".join(ch if ch.isalnum() else " " for ch in title.lower()).split())
            f = flows[f"{asset['id']}>{slug}"]  # Threagile's own link id
            sent, received = link.get("data_assets_sent") or [], link.get("data_assets_received") or []
            assert (f["source"], f["destination"]) == (asset["id"], link["target"])
            assert set(f.get("assets", [])) == set(sent) | set(received)
            assert f["bidirectional"] is (bool(sent) and bool(received) and not link.get("readonly"))
            encrypted = link["protocol"] in ENCRYPTED_PROTOCOLS or link.get("vpn") is True
            assert ("encrypted" in f["tags"]) is encrypted and ("unencrypted" in f["tags"]) is not encrypted
            assert f"protocol:{link['protocol']}" in f["tags"] and "attributes" not in f
    by_protocol = {t.split(":")[1]: "encrypted" in f["tags"] for f in flows.values() for t in f["tags"]
                   if t.startswith("protocol:")}
    assert by_protocol["https"] and by_protocol["ssh"] and by_protocol["ldaps"]
    assert not by_protocol["http"] and not by_protocol["jdbc"] and not by_protocol["nfs"]
    readonly = [f for f in flows.values() if "readonly" in f["tags"]]
    assert readonly and not any(f["bidirectional"] for f in readonly)


def test_component_kinds(example):
    kinds = {c["id"]: next((t for t in c["tags"] if t in ("store", "terminal", "network")), "system")
             for c in example.otm["components"]}
    assert kinds["backoffice-client"] == "terminal"  # desktop
    assert kinds["sql-database"] == kinds["contract-file-server"] == kinds["ldap-auth-server"] == "store"
    assert kinds["load-balancer"] == "network"
    assert kinds["erp-system"] == "system"
    internet = {a["id"] for a in _plain(EXAMPLE)["technical_assets"].values() if a.get("internet")}
    assert {c["id"] for c in example.otm["components"] if "external" in c["tags"]} == internet


def test_remainder_lists_what_otm_cannot_carry(example):
    raw = _plain(EXAMPLE)
    by_section: dict[str, list[str]] = {}
    for item in example.remainder:
        by_section.setdefault(item.path.split("/")[0], []).append(item.element_id)
    out_of_scope = [a["id"] for a in raw["technical_assets"].values() if a.get("out_of_scope")]
    assert by_section["technical_assets"] == out_of_scope
    assert by_section["risk_tracking"] == list(raw["risk_tracking"])
    assert by_section["abuse_cases"] == list(raw["abuse_cases"])
    assert by_section["security_requirements"] == list(raw["security_requirements"])
    assert by_section["questions"] == list(raw["questions"])
    assert by_section["shared_runtimes"] == [r["id"] for r in raw["shared_runtimes"].values()]
    assert by_section["individual_risk_categories"] == [r["id"] for r in raw["individual_risk_categories"].values()]
    accepted = next(i for i in example.remainder if i.element_id == "untrusted-deserialization@erp-system")
    assert "accepted" in accepted.what and "triage" in accepted.reason
    # Out-of-scope assets stay in the model (their links matter) and say so.
    assert set(out_of_scope) <= {c["id"] for c in example.otm["components"]}


def test_translation_is_deterministic():
    first = json.dumps(threagile_to_otm(read_threagile(EXAMPLE), source_name="t"), sort_keys=True)
    again = json.dumps(threagile_to_otm(read_threagile(EXAMPLE), source_name="t"), sort_keys=True)
    assert first == again


def test_includes_give_the_flat_model():
    """Threagile's split test model (main.yaml and its includes, two levels) equals its flat all.yaml."""
    split = translate_threagile(read_threagile(SPLIT / "main.yaml"), source_name="m")
    flat = translate_threagile(read_threagile(SPLIT / "all.yaml"), source_name="m")

    def by_id(doc):
        return {k: sorted(v, key=lambda e: e["id"]) if isinstance(v, list) else v for k, v in doc.items()}

    assert by_id(split.otm) == by_id(flat.otm)
    assert sorted(split.remainder, key=repr) == sorted(flat.remainder, key=repr)
    assert len(split.otm["components"]) == len(_plain(SPLIT / "all.yaml")["technical_assets"])


def test_is_threagile(tmp_path):
    otm = tmp_path / "model.otm.yaml"
    otm.write_text("otmVersion: 0.2.0\nproject: {name: x, id: x}\n", encoding="utf-8")
    assert is_threagile(EXAMPLE) and is_threagile(SPLIT / "main.yaml")
    assert not is_threagile(otm) and not is_threagile(tmp_path / "missing.yaml")


# ---------------------------------------------------------------------------------------------------
# small models: semantics and errors


def _model(tmp_path: Path, text: str, name: str = "threagile.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


SMALL = """\
threagile_version: 1.0.0
title: Small
data_assets:
  Resident Record:
    id: resident
    tags: [my-number]
technical_assets:
  Browser:
    id: browser
    type: external-entity
    technology: browser
    internet: true
    communication_links:
      Upload:
        target: web
        protocol: http
        data_assets_sent: [resident]
  Web:
    id: web
    technology: web-server
    communication_links:
      Read:
        target: db
        protocol: jdbc-encrypted
        readonly: true
        data_assets_sent: [resident]
        data_assets_received: [resident]
  DB:
    id: db
    type: datastore
    technology: database
    data_assets_stored: [resident]
trust_boundaries:
  Outer:
    id: outer
    technical_assets_inside: [web]
    trust_boundaries_nested: [inner]
  Inner:
    id: inner
    type: execution-environment
    technical_assets_inside: [db]
"""


def test_small_model_semantics(tmp_path):
    t = translate_threagile(read_threagile(_model(tmp_path, SMALL)), source_name="threagile.yaml")
    assert _schema_errors(t.otm) == []
    components = {c["id"]: c for c in t.otm["components"]}
    assert components["browser"]["parent"] == {}
    assert components["web"]["assets"] == {"stored": [], "processed": ["resident"]}  # data passes through
    assert components["db"]["assets"] == {"stored": ["resident"], "processed": []}
    zones = {z["id"]: z for z in t.otm["trustZones"]}
    assert zones["inner"]["parent"] == {"trustZone": "outer"} and "parent" not in zones["outer"]
    flows = {f["id"]: f for f in t.otm["dataflows"]}
    assert flows["browser>upload"]["bidirectional"] is False and "unencrypted" in flows["browser>upload"]["tags"]
    assert flows["web>read"]["bidirectional"] is False  # readonly: one-way although data goes both ways
    assert "encrypted" in flows["web>read"]["tags"]
    resident = t.otm["assets"][0]
    assert resident["name"] == "Resident Record" and resident["tags"] == ["my-number"]  # for the My Number guess
    assert not any("attributes" in c for c in t.otm["components"])  # foreign attributes would only be listed


def test_small_model_imports(tmp_path):
    imported = from_threagile(_model(tmp_path, SMALL), assessed_on=ON)
    m = imported.model
    systems = m.systems.set_index("system_id")
    assert systems["zone_id"].to_dict() == {"browser": UNZONED, "web": "outer", "db": "inner"}
    assert systems["kind"].to_dict() == {"browser": "external", "web": "system", "db": "store"}
    assert systems.loc["browser", "entry_likelihood"] == 0.1  # on the internet: the entry point, assumed
    assert systems.loc["web", "holds"] == [] and systems.loc["web", "processes"] == ["resident"]
    assert systems.loc["db", "holds"] == ["resident"]
    assert m.zones.set_index("zone_id").loc["inner", "parent_zone"] == "outer"
    files = m.files.set_index("file_id")
    assert bool(files.loc["resident", "contains_my_number"])  # guessed by the importer from the tag
    assert "contains_my_number true" in files.loc["resident", "source"]
    flows = m.flows.set_index("flow_id")
    assert flows[["interactive", "encrypted"]].to_dict("index") == {
        "browser>upload": {"interactive": False, "encrypted": False},
        "web>read": {"interactive": False, "encrypted": True}}


def test_unknown_top_level_key_is_listed(tmp_path):
    t = translate_threagile(yaml.safe_load(SMALL + "custom_thing: {a: 1}\n"), source_name="x.yaml")
    assert [(r.path, r.what) for r in t.remainder] == [("custom_thing", "model key")]


def test_malformed_model_errors_are_located(tmp_path):
    broken = SMALL.replace("        target: db\n", "        target: dbx\n") \
                  .replace("    id: resident\n", "") \
        + "  Loop:\n    id: loop\n    trust_boundaries_nested: [loop2]\n" \
          "  Loop2:\n    id: loop2\n    trust_boundaries_nested: [loop]\n"
    path = _model(tmp_path, broken)
    with pytest.raises(ModelError) as excinfo:
        read_threagile(path)
    problems = _problems(excinfo)
    lines = broken.splitlines()

    def line_of(text: str, after: int = 0) -> int:
        return next(n for n, line in enumerate(lines, 1) if n > after and text in line)

    expected = [
        f"{path}:{line_of('Resident Record:')}: data_assets/Resident Record/id: is missing",
        f"{path}:{line_of('target: dbx')}: technical_assets/Web/communication_links/Read/target: 'dbx' is not",
        f"{path}:{line_of('trust_boundaries_nested: [loop2]')}: trust_boundaries/Loop/trust_boundaries_nested: "
        f"the boundaries are nested in a circle",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in problems), (start, problems)
    # Every reference to the missing data asset id is reported too (all at once), each at its line.
    assert sum("'resident' is not the id of any data asset" in p for p in problems) == broken.count("[resident]")
    assert all(":" in p.split(" ")[0] for p in problems)


def test_asset_in_two_boundaries_and_boundary_nested_twice(tmp_path):
    text = SMALL + "  Other:\n    id: other\n    technical_assets_inside: [db]\n    trust_boundaries_nested: [inner]\n"
    with pytest.raises(ModelError) as excinfo:
        read_threagile(_model(tmp_path, text))
    problems = _problems(excinfo)
    assert any("'db' is already inside the trust boundary 'inner'" in p for p in problems)
    assert any("'inner' is already nested in 'outer'" in p for p in problems)


def test_links_with_the_same_id_are_refused(tmp_path):
    text = SMALL.replace("      Upload:\n", "      Up Load:\n        target: web\n      Up-load:\n")
    with pytest.raises(ModelError) as excinfo:
        read_threagile(_model(tmp_path, text))
    line = text.splitlines().index("      Up-load:") + 1
    assert _problems(excinfo) == [f"{tmp_path / 'threagile.yaml'}:{line}: technical_assets/Browser/"
                                  f"communication_links/Up-load: has the same link id 'browser>up-load' as the link "
                                  f"'Up Load' (hint: Threagile's link id is the title in lower case with '-' for "
                                  f"other characters: retitle one of the two)"]


def test_invalid_yaml_and_refused_tags_are_located(tmp_path):
    with pytest.raises(ModelError) as excinfo:
        read_threagile(_model(tmp_path, "threagile_version: 1.0.0\ntitle: [unclosed\n"))
    assert "threagile.yaml:3: column" in _problems(excinfo)[0] and "is not valid YAML" in _problems(excinfo)[0]
    with pytest.raises(ModelError) as excinfo:
        read_threagile(_model(tmp_path, "threagile_version: 1.0.0\ntitle: !!binary aGVsbG8=\n"))
    assert "threagile.yaml:2: column 8: the tag !!binary is not allowed" in _problems(excinfo)[0]
    with pytest.raises(ModelError) as excinfo:
        read_threagile(_model(tmp_path, "title: no version\n"))
    assert "threagile_version: is missing" in _problems(excinfo)[0]


def test_merge_keys_are_read(tmp_path):
    text = SMALL.replace("  Resident Record:\n    id: resident\n",
                         "  Resident Record: &base\n    id: resident\n    confidentiality: strictly-confidential\n") \
        .replace("technical_assets:\n", "  Copy:\n    <<: *base\n    id: copy\ntechnical_assets:\n", 1)
    otm = threagile_to_otm(read_threagile(_model(tmp_path, text)), source_name="x")
    assets = {a["id"]: a for a in otm["assets"]}
    assert assets["copy"]["risk"]["confidentiality"] == assets["resident"]["risk"]["confidentiality"] == 100


def test_includes_stay_in_the_folder_and_refuse_cycles(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (tmp_path / "outside.yaml").write_text("title: outside\n", encoding="utf-8")
    top = _model(model, "threagile_version: 1.0.0\nincludes:\n  - ../outside.yaml\n  - a.yaml\n  - nothere.yaml\n")
    (model / "a.yaml").write_text("includes: [b.yaml]\ntitle: A\n", encoding="utf-8")
    (model / "b.yaml").write_text("includes: [a.yaml]\n", encoding="utf-8")
    with pytest.raises(ModelError) as excinfo:
        read_threagile(top)
    problems = _problems(excinfo)
    assert any(p.startswith(f"{top}:3: includes/0: ../outside.yaml lies outside the model's folder")
               for p in problems), problems
    assert any(p.startswith(f"{top}:5: includes/2: nothere.yaml does not exist") for p in problems), problems
    # located at the include that closes the circle
    assert any(p.startswith(f"{model / 'b.yaml'}:1: includes/0: includes a.yaml, which includes this file again "
                            "(a.yaml → b.yaml → a.yaml)") for p in problems), problems
    # A link out of the folder is refused too.
    (model / "a.yaml").write_text("title: A\n", encoding="utf-8")
    (model / "nothere.yaml").symlink_to(tmp_path / "outside.yaml")
    top.write_text("threagile_version: 1.0.0\nincludes:\n  - a.yaml\n  - nothere.yaml\n", encoding="utf-8")
    with pytest.raises(ModelError) as excinfo:
        read_threagile(top)
    assert [p.split(": ")[1] for p in _problems(excinfo)] == ["includes/1"]


def test_conflicting_include_is_located_at_both_places(tmp_path):
    top = _model(tmp_path, "threagile_version: 1.0.0\ntitle: One\nincludes: [other.yaml]\n")
    other = tmp_path / "other.yaml"
    other.write_text("\n\ntitle: Two\n", encoding="utf-8")
    with pytest.raises(ModelError) as excinfo:
        read_threagile(top)
    assert _problems(excinfo) == [f"{other}:3: title: is 'Two' here but 'One' in {top}:2 "
                                  f"(hint: give the value in one file only)"]


def test_split_fixture_copy_reads_in_another_folder(tmp_path):
    """The includes are read relative to the including file, wherever the model lies."""
    copy = tmp_path / "split"
    shutil.copytree(SPLIT, copy)
    assert read_threagile(copy / "main.yaml") == read_threagile(SPLIT / "main.yaml")


# ---------------------------------------------------------------------------------------------------
# through the OTM importer


def test_example_imports_with_expected_counts():
    raw = _plain(EXAMPLE)
    imported = from_threagile(EXAMPLE, assessed_on=ON)
    m = imported.model
    tech = raw["technical_assets"]
    boundaries = raw["trust_boundaries"]
    inside = {a: b["id"] for b in boundaries.values() for a in (b.get("technical_assets_inside") or [])}
    links = sum(len(a.get("communication_links") or {}) for a in tech.values())
    assert (len(m.zones), len(m.systems), len(m.files), len(m.flows)) == (
        len(boundaries) + 1, len(tech), len(raw["data_assets"]), links)  # + UNZONED
    zone = m.systems.set_index("system_id")["zone_id"].to_dict()
    assert zone == {a["id"]: inside.get(a["id"], UNZONED) for a in tech.values()}
    parents = m.zones.set_index("zone_id")["parent_zone"].to_dict()
    for b in boundaries.values():
        for child in b.get("trust_boundaries_nested") or []:
            assert parents[child] == b["id"]
    systems = m.systems.set_index("system_id")
    for a in tech.values():
        assert sorted(systems.loc[a["id"], "holds"]) == sorted(a.get("data_assets_stored") or [])
    assert systems.loc["load-balancer", "holds"] == [] and "customer-accounts" in systems.loc["load-balancer",
                                                                                               "processes"]
    # the remainder: Threagile's first (with its paths), then the OTM importer's
    what = imported.remainder.set_index("otm_path")["what"]
    out_of_scope = [f"technical_assets/{t}/out_of_scope" for t, a in tech.items() if a.get("out_of_scope")]
    assert out_of_scope and all(what[p] == "out of scope" for p in out_of_scope)
    assert sum(p.startswith("risk_tracking/") for p in what.index) == len(raw["risk_tracking"])
    assert sum(p.startswith("abuse_cases/") for p in what.index) == len(raw["abuse_cases"])
    assert sum(p.startswith("security_requirements/") for p in what.index) == len(raw["security_requirements"])
    assert imported.remainder["otm_path"].iloc[0] == out_of_scope[0]
    assert any(p.startswith("$.assets") for p in what.index)  # the importer's own (CIA values)
    assert any(a["table"] == "zones" and a["id"] == UNZONED for a in imported.assumptions.to_dict("records"))


def test_cli_import_otm_reads_a_threagile_file(tmp_path, capsys):
    out = tmp_path / "imported"
    assert main(["import-otm", str(EXAMPLE), str(out), "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert "imported threagile.yaml" in printed
    assert "risk_tracking/untrusted-deserialization@erp-system: risk tracking (status accepted)" in printed
    report = (out / "import-report.md").read_text("utf-8")
    assert "untrusted-deserialization@erp-system" in report and "Denial-of-Service" in report
    systems = (out / "systems.csv").read_text("utf-8").splitlines()
    assert len(systems) == 1 + len(_plain(EXAMPLE)["technical_assets"])
    # what is left is the placeholders of model.yaml to fill in, nothing in the tables
    assert {p.file.rsplit("/", 1)[-1] for p in validate(out)} == {"model.yaml"}


def test_cli_import_otm_locates_threagile_errors(tmp_path, capsys):
    broken = _model(tmp_path, SMALL.replace("        target: db\n", "        target: dbx\n"))
    out = tmp_path / "imported"
    assert main(["import-otm", str(broken), str(out)]) == 1
    err = capsys.readouterr()
    line = SMALL.splitlines().index("        target: db") + 1
    assert f"{broken}:{line}: technical_assets/Web/communication_links/Read/target: 'dbx'" in err.out + err.err
    assert not out.exists()  # nothing written
