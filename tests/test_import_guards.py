"""Issue 18's import guards: no real-looking My Number gets through ``import-otm`` (OTM or Threagile), our own
project attributes are checked rather than dropped, keys given twice are refused, and the Threagile reader's
messages read plainly.

The My Number tests use 123456789018 (valid check digit; the loader's own example) and check that it appears
nowhere: not on stdout or stderr, not in any file, and that the destination folder is never made.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pia_analysis.cli import main
from pia_analysis.formats.otm import OtmText, from_otm, my_number_problems, read_otm, validate_otm
from pia_analysis.formats.threagile import read_threagile, translate_threagile
from pia_analysis.model.errors import ModelError

FIXTURES = Path(__file__).parent / "fixtures" / "threagile"
NUMBER = "123456789018"  # valid check digit
FULL_WIDTH = "１２３４ ５６７８ ９０１８"  # the same number, as a Japanese form would type it
MASKED = "**** **** **18"


def _otm(**extra) -> dict:
    """A small valid OTM document; ``extra`` replaces top-level keys."""
    doc = {"otmVersion": "0.2.0", "project": {"name": "P", "id": "p"},
           "trustZones": [{"id": "Z1", "name": "Z1", "risk": {"trustRating": 50}}],
           "components": [{"id": "A", "name": "A", "type": "web-server", "parent": {"trustZone": "Z1"}}]}
    doc.update(extra)
    return doc


def _problems(excinfo: pytest.ExceptionInfo) -> list[str]:
    return [str(p) for p in excinfo.value.problems]


def _refused_everywhere(tmp_path: Path, capsys, src: Path, digits: str = NUMBER) -> str:
    """Run import-otm on ``src``: exit 1, nothing written, the number nowhere; return what was printed."""
    out = tmp_path / "out"
    inputs = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert main(["import-otm", str(src), str(out), "--lang", "en"]) == 1
    printed = capsys.readouterr()
    text = printed.out + printed.err
    assert not out.exists()
    for shown in (digits, NUMBER):
        assert shown not in text
    # no file was made or changed anywhere under the test folder (the inputs are the only files)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == inputs
    assert MASKED in text and "nothing was written" in text
    return text


# ---------------------------------------------------------------------------------------------------
# My Numbers: Threagile


def _threagile_copy(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(FIXTURES / "example", target)
    return target / "threagile.yaml"


@pytest.mark.parametrize("digits", [NUMBER, FULL_WIDTH])
def test_threagile_value_with_a_my_number_is_refused_located(tmp_path, capsys, digits):
    path = _threagile_copy(tmp_path)
    text = path.read_text(encoding="utf-8")
    old = "Owned and managed by end-user customer"
    line = text.splitlines().index(f"    justification_out_of_scope: {old}") + 1
    path.write_text(text.replace(old, f"番号 {digits} の件"), encoding="utf-8")
    printed = _refused_everywhere(tmp_path, capsys, path, digits)
    assert (f"threagile.yaml:{line}: technical_assets/Customer Web Client/justification_out_of_scope: contains "
            f"what looks like a real My Number ({MASKED}, valid check digit)") in printed


def test_threagile_key_and_included_file_are_scanned(tmp_path, capsys):
    top = tmp_path / "threagile.yaml"
    top.write_text("threagile_version: 1.0.0\ntitle: T\nincludes: [more.yaml]\n", encoding="utf-8")
    (tmp_path / "more.yaml").write_text(f"abuse_cases:\n  Theft of {NUMBER}: As a thief.\n"
                                        f"risk_tracking:\n  x:\n    justification: '{NUMBER}'\n", encoding="utf-8")
    printed = _refused_everywhere(tmp_path, capsys, top)
    more = tmp_path / "more.yaml"
    assert f"{more}:2: abuse_cases/Theft of ************: contains what looks like a real My Number" in printed
    assert f"{more}:5: risk_tracking/x/justification: contains what looks like a real My Number" in printed
    # only the numbers are reported: no other check runs on a document that holds one
    assert "2 problem(s)" in printed


def test_threagile_in_memory_is_scanned_too():
    with pytest.raises(ModelError) as excinfo:
        translate_threagile({"threagile_version": "1.0.0", "title": f"case {NUMBER}"}, source_name="t.yaml")
    assert _problems(excinfo) == [f"t.yaml: $.title: contains what looks like a real My Number ({MASKED}, valid "
                                  "check digit) (hint: a model describes systems and must hold no personal data: "
                                  "remove the number)"]


# ---------------------------------------------------------------------------------------------------
# My Numbers: OTM


def test_otm_attribute_key_with_a_my_number_is_refused(tmp_path, capsys):
    doc = _otm()
    doc["components"][0]["attributes"] = {NUMBER: "x"}
    src = tmp_path / "k.json"
    src.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    line = next(n for n, text in enumerate(src.read_text().splitlines(), 1) if NUMBER in text)
    printed = _refused_everywhere(tmp_path, capsys, src)
    assert f'k.json:{line}: $.components[0].attributes["************"]: contains' in printed


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_otm_values_anywhere_are_refused(tmp_path, capsys, suffix):
    doc = _otm(threats=[{"id": "T1", "name": "T", "categories": ["x"], "risk": {"likelihood": 50, "impact": 50},
                         "description": f"番号 {FULL_WIDTH}"}])
    doc["project"]["attributes"] = {"note": int(NUMBER)}  # a JSON number is read too
    src = tmp_path / f"v{suffix}"
    src.write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
    printed = _refused_everywhere(tmp_path, capsys, src, FULL_WIDTH)
    assert "$.project.attributes.note: contains what looks like a real My Number" in printed
    assert "$.threats[0].description: contains what looks like a real My Number" in printed


def test_otm_in_memory_is_scanned_before_other_checks():
    doc = _otm(dataflows=[{"id": "F", "name": "f", "source": NUMBER, "destination": "A"}])
    problems = [str(p) for p in validate_otm(OtmText(doc, {}, "m.otm"))]
    # the unknown dataflow end would repeat the value: only the number is reported
    assert problems == [f"m.otm: $.dataflows[0].source: contains what looks like a real My Number ({MASKED}, "
                        "valid check digit) (hint: a model describes systems and must hold no personal data: "
                        "remove the number)"]
    with pytest.raises(ModelError):
        from_otm(doc, "m.otm")
    assert my_number_problems({"a": [1, "no number 123456789012"]}, "x") == []


# ---------------------------------------------------------------------------------------------------
# our own attributes and keys given twice


@pytest.mark.parametrize(("value", "message"), [
    ("id: [unclosed\n", "is not valid YAML (line 2 of the text)"),
    ("- a\n- b\n", "is a list, not a mapping of model.yaml keys"),
    ("id: !!python/object/apply:os.system ['true']\n", "is not valid YAML (line 1 of the text): could not "
                                                        "determine a constructor"),
    ("id: x\nid: y\n", "line 2 of the text: the key 'id' is given twice (first on line 1)"),
    ("id: !!binary aGVsbG8=\n", "line 1 of the text: the tag !!binary is not allowed"),
    (["id: x"], "is list, not the text of a model.yaml"),
])
def test_malformed_model_yaml_attribute_is_a_located_error(tmp_path, value, message):
    doc = _otm()
    doc["project"]["attributes"] = {"pia-model.yaml": value}
    src = tmp_path / "m.json"
    src.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    line = next(n for n, text in enumerate(src.read_text().splitlines(), 1) if '"pia-model.yaml"' in text)
    problems = validate_otm(read_otm(src))
    assert [str(p) for p in problems if "pia-model.yaml" in p.column] and all(
        p.line == line for p in problems), [str(p) for p in problems]
    assert any(f'm.json:{line}: $.project.attributes["pia-model.yaml"]: {message}' in str(p) for p in problems), \
        [str(p) for p in problems]


@pytest.mark.parametrize(("value", "message"), [
    ("{not json", "is not valid JSON: Expecting property name"),
    ('["systems"]', "is not an object of column-name lists by table"),
    ('{"systems": ["a"], "systems": ["b"]}', "gives the key 'systems' twice"),
    ('{"nosuch": ["a"]}', "names 'nosuch', which is not a table of a model"),
])
def test_malformed_extra_columns_attribute_is_a_located_error(value, message):
    doc = _otm()
    doc["project"]["attributes"] = {"pia-extra-columns": value}
    problems = [str(p) for p in validate_otm(OtmText(doc, {}, "m.otm"))]
    assert any(p.startswith(f'm.otm: $.project.attributes["pia-extra-columns"]: {message}') for p in problems), \
        problems


def test_unknown_or_non_text_table_attribute_is_an_error():
    doc = _otm()
    doc["project"]["attributes"] = {"pia-table:nosuch": "a,b\n", "pia-table:ratings": ["x"]}
    problems = [str(p) for p in validate_otm(OtmText(doc, {}, "m.otm"))]
    assert any("pia-table:nosuch\"]: names 'nosuch', which is not a table of a model" in p for p in problems)
    assert any("pia-table:ratings\"]: is list, not the CSV text of the table" in p for p in problems)


def test_keys_given_twice_are_refused_json_and_yaml(tmp_path):
    src = tmp_path / "d.json"
    src.write_text('{"otmVersion": "0.2.0",\n "project": {"name": "P", "id": "p"},\n'
                   ' "project": {"name": "Q", "id": "q"}}\n', encoding="utf-8")
    with pytest.raises(ModelError) as excinfo:
        read_otm(src)
    assert _problems(excinfo) == [f"{src}:3: $.project: the key 'project' is given twice in one mapping (first on "
                                  "line 2) (hint: JSON and YAML readers keep only the last value silently: remove "
                                  "or rename one)"]
    src = tmp_path / "d.yaml"
    src.write_text("otmVersion: 0.2.0\nproject:\n  name: P\n  id: p\n  name: Q\n", encoding="utf-8")
    with pytest.raises(ModelError) as excinfo:
        read_otm(src)
    assert _problems(excinfo)[0].startswith(f"{src}:5: $.project.name: the key 'name' is given twice in one "
                                            "mapping (first on line 3)")
    top = tmp_path / "threagile.yaml"
    top.write_text("threagile_version: 1.0.0\ntitle: A\ntitle: B\n", encoding="utf-8")
    with pytest.raises(ModelError) as excinfo:
        read_threagile(top)
    assert _problems(excinfo)[0].startswith(f"{top}:3: title: is given twice in one mapping (first on line 2)")


# ---------------------------------------------------------------------------------------------------
# Threagile messages


def test_include_of_a_folder_and_a_cycle_are_located(tmp_path):
    top = tmp_path / "threagile.yaml"
    top.write_text("threagile_version: 1.0.0\ntitle: T\nincludes:\n  - .\n  - a.yaml\n", encoding="utf-8")
    (tmp_path / "a.yaml").write_text("description: x\nincludes: [threagile.yaml]\n", encoding="utf-8")
    with pytest.raises(ModelError) as excinfo:
        read_threagile(top)
    assert _problems(excinfo) == [
        f"{top}:4: includes/0: . is a folder, not a YAML file (hint: name a .yaml file of the model's folder)",
        f"{tmp_path / 'a.yaml'}:2: includes/0: includes threagile.yaml, which includes this file again "
        "(threagile.yaml → a.yaml → threagile.yaml) (hint: remove the include that leads back)"]


def test_unknown_nested_boundary_hint_says_boundaries(tmp_path):
    top = tmp_path / "threagile.yaml"
    top.write_text("threagile_version: 1.0.0\ntitle: T\ntrust_boundaries:\n  Z:\n    id: z\n"
                   "    trust_boundaries_nested: [nope]\n", encoding="utf-8")
    with pytest.raises(ModelError) as excinfo:
        read_threagile(top)
    assert _problems(excinfo) == [f"{top}:6: trust_boundaries/Z/trust_boundaries_nested/0: 'nope' is not the id of "
                                  "any trust boundary (hint: use one of the ids of trust boundaries, or add it there)"]


def test_parent_with_both_zone_and_component_reads_plainly():
    doc = _otm()
    doc["components"].append({"id": "B", "name": "B", "type": "x", "parent": {"trustZone": "Z1", "component": "A"}})
    doc["components"].append({"id": "C", "name": "C", "type": "x", "parent": {"zone": "Z1"}})
    problems = [str(p) for p in validate_otm(OtmText(doc, {}, "m.otm"))]
    assert "m.otm: $.components[1].parent: names both a trustZone and a component (hint: a parent is one trust " \
           "zone or one component: keep one)" in problems
    assert any(p.startswith("m.otm: $.components[2].parent: names neither a trustZone nor a component")
               for p in problems), problems
    assert not any("valid under each of" in p or "is not valid under any" in p for p in problems)


def test_wrong_type_and_python_tag_read_plainly(tmp_path):
    problems = [str(p) for p in validate_otm(OtmText(_otm(components={"A": 1}), {}, "m.otm"))]
    assert 'm.otm: $.components: {"A": 1} is not of type array or null (hint: write an array or null here)' \
        in problems, problems
    src = tmp_path / "t.yaml"
    src.write_text("otmVersion: 0.2.0\nx: !!python/object/apply:os.system ['true']\n", encoding="utf-8")
    with pytest.raises(ModelError) as excinfo:
        read_otm(src)
    assert _problems(excinfo)[0].startswith(f"{src}:2: is not valid YAML: could not determine a constructor")
    assert _problems(excinfo)[0].endswith("(hint: only plain data is read: remove the tag (!!python/… and the like))")
