"""The city workspace (issue 16): the shared part, the closure each affair gets, located errors, ``city validate``.

The hand-made workspaces are under ``tests/workspaces/``: ``good`` (two affairs sharing a zone, systems, a file
and controls) and one broken copy per mistake, written by ``tests/workspace_cases.py``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pia_analysis import bundled_model_path, load_model, save_model
from pia_analysis.analysis.coverage import stage_coverage
from pia_analysis.analysis.exposure import node_exposure
from pia_analysis.cli import main
from pia_analysis.formats import row_places
from pia_analysis.formats.directory import read_table
from pia_analysis.formats.workbook import save_workbook
from pia_analysis.formats.workspace import load_workspace, shared_use, validate_workspace
from pia_analysis.model.errors import ModelError
from pia_analysis.model.model import Model
from pia_analysis.model.schema import TABLES

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workspace_cases import CASES, GOOD, WORKSPACES, build  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _copy(tmp_path: Path) -> Path:
    out = tmp_path / "city"
    shutil.copytree(GOOD, out)
    return out


# -- the closure -------------------------------------------------------------------------------------------------


def test_an_affair_gets_what_it_references_and_no_more():
    juki = load_model(GOOD / "affairs" / "juki")
    # ATENA (its flow F2, its holdings), CONBINI (shared_systems), MADO (the end of SF1, which its control C2
    # names); their zones; the shared file ATENA holds; the flows between them; the controls on them and on *
    assert juki.shared_ids == {"ATENA", "CONBINI", "MADO", "CORE", "DC", "ATENA_FILE", "SF1", "SF2", "SC1", "SC2"}
    assert list(juki.systems["system_id"]) == ["REG", "TERM", "ATENA", "CONBINI", "MADO"]
    # the unused shared system, its zone, file, flow and the control only on it are not there
    for table, unused in (("systems", "UNUSED"), ("zones", "SPARE"), ("files", "SPARE_FILE"), ("flows", "SF3"),
                          ("controls", "SC3")):
        assert unused not in set(getattr(juki, table).iloc[:, 0]), (table, unused)
    controls = juki.controls.set_index("control_id")
    assert controls.at["SC1", "applies_to"] == ["ATENA"]  # cut to the included elements (UNUSED dropped)
    assert controls.at["SC2", "applies_to"] == ["*"]
    holds = juki.systems.set_index("system_id")["holds"]
    assert holds["ATENA"] == ["ATENA_FILE", "REG_FILE"]  # holdings.csv: the affair's file kept at the shared system
    assert list(juki.holdings["file_id"]) == ["REG_FILE"]


def test_another_affair_gets_its_own_closure():
    zei = load_model(GOOD / "affairs" / "zei")
    assert zei.shared_ids == {"ATENA", "CORE", "ATENA_FILE", "SC1", "SC2"}
    assert list(zei.flows["flow_id"]) == ["T1", "T2"]  # SF1, SF2: an end is not included
    assert list(zei.zones["zone_id"]) == ["CORE"]  # the affair's zones.csv has only its header
    assert zei.systems.set_index("system_id").at["ATENA", "holds"] == ["ATENA_FILE", "TAX_FILE"]


def test_each_affair_loads_alone_and_analyses():
    for affair in ("juki", "zei"):
        model = load_model(GOOD / "affairs" / affair)
        exposure = node_exposure(model).set_index("system_id")
        # the shared addressee system is reached and holds what every affair keeps there
        assert exposure.at["ATENA", "exposure"] > 0
        assert model.my_number_people["ATENA"] == 1500
        coverage = stage_coverage(model).set_index("stage")
        assert coverage.at["use", "pairs"] > 0
        assert not model.warnings  # the shared 宛名 file (1,500) is not the tax affair's population (1,200)


def test_shared_rows_are_located_in_the_shared_files():
    model = load_model(GOOD / "affairs" / "juki")
    _naming, places = row_places(model)
    where = {sid: (str(place), line) for sid, (place, line) in zip(model.systems["system_id"], places["systems"])}
    assert where["REG"] == ("systems.csv", 2)
    assert where["CONBINI"][0].endswith("tests/workspaces/good/shared/systems.csv") and where["CONBINI"][1] == 3
    assert where["MADO"][1] == 4


def test_an_unknown_shared_system_is_located_in_the_model_yaml(tmp_path):
    city = _copy(tmp_path)
    yaml_path = city / "affairs" / "juki" / "model.yaml"
    yaml_path.write_text(yaml_path.read_text(encoding="utf-8").replace("[CONBINI]", "[CONBINI, KIOSK]"),
                         encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        load_model(city / "affairs" / "juki")
    assert [str(p).split(" (hint")[0] for p in caught.value.problems] == [
        f"{city}/affairs/juki/model.yaml:10: shared_systems: 'KIOSK' is not a system of the shared part "
        f"({city}/shared/systems.csv)"]


def test_holdings_without_a_shared_part_is_an_error(tmp_path):
    city = _copy(tmp_path)
    yaml_path = city / "affairs" / "zei" / "model.yaml"
    yaml_path.write_text(yaml_path.read_text(encoding="utf-8").replace("shared: ../../shared\n", ""), encoding="utf-8")
    problems = [str(p) for p in pytest.raises(ModelError, load_model, city / "affairs" / "zei").value.problems]
    assert any("holdings.csv:2: lists files kept at shared systems, but model.yaml names no shared part" in p
               for p in problems)


def test_an_affair_workbook_takes_the_shared_part_relative_to_its_folder(tmp_path):
    city = _copy(tmp_path)
    folder = city / "affairs" / "juki"
    own = {t.name: read_table(folder, t, str(folder), []).frame for t in TABLES}
    meta = load_model(folder).meta
    save_workbook(Model(meta={**meta, "shared": "../shared"}, path=None, **own), city / "affairs" / "juki.xlsx")
    from_book = load_model(city / "affairs" / "juki.xlsx")
    from_folder = load_model(folder)
    assert from_book.shared_ids == from_folder.shared_ids
    assert from_book.systems.equals(from_folder.systems)
    _naming, places = row_places(from_book)
    assert str(places["systems"][2][0]).endswith("shared/systems.csv")  # ATENA, in the shared CSV file


def test_saving_an_affair_writes_it_standalone(tmp_path):
    model = load_model(GOOD / "affairs" / "juki")
    out = save_model(model, tmp_path / "juki-alone")
    again = load_model(out)
    assert "shared" not in again.meta and not again.shared_ids and again.holdings.empty
    for table in ("zones", "systems", "files", "flows", "controls"):
        assert getattr(again, table).equals(getattr(model, table)), table


@pytest.mark.parametrize("dst", ["juki.xlsx", "juki-dir"])
def test_converting_an_affair_writes_it_standalone_and_it_round_trips(dst, tmp_path, capsys):
    # the attack trial: convert W/affairs/kokuho k.xlsx kept 'shared' and inlined the shared rows: never valid
    model = load_model(GOOD / "affairs" / "juki")
    out = tmp_path / dst
    assert main(["convert", str(GOOD / "affairs" / "juki"), str(out)]) == 0
    again = load_model(out)
    assert "shared" not in again.meta and "shared_systems" not in again.meta and not again.shared_ids
    for table in ("zones", "systems", "files", "flows", "controls"):
        assert getattr(again, table).reset_index(drop=True).equals(getattr(model, table).reset_index(drop=True)), \
            table
    back = tmp_path / "back"
    assert main(["convert", str(out), str(back)]) == 0  # and back: the same model again
    assert load_model(back).systems.reset_index(drop=True).equals(model.systems.reset_index(drop=True))
    assert main(["validate", str(out)]) == 0


def test_a_warning_on_a_shared_row_names_the_shared_file_once(tmp_path, capsys):
    # the attack trial: affairs/juki/zones.csv:6 (a file of 3 lines), once per affair; the row is shared/zones.csv
    ws = _copy(tmp_path)
    zones = ws / "shared" / "zones.csv"
    lines = zones.read_text(encoding="utf-8").splitlines()
    zones.write_text("\n".join([lines[0] + ",government_cloud", lines[1] + ",TRUE", *(x + "," for x in lines[2:])])
                     + "\n", encoding="utf-8")
    model = load_model(ws / "affairs" / "juki")
    found = [w for w in model.warnings if "government-cloud tenancy" in w.message]
    assert len(found) == 1 and Path(str(found[0].file)).resolve() == zones.resolve() and found[0].line == 2
    workspace = load_workspace(ws)
    cloud = [str(w) for w in workspace.warnings if "government-cloud tenancy" in w.message]
    assert len(cloud) == 1 and cloud[0].startswith(f"{ws / 'shared' / 'zones.csv'}:2: operator: zone 'CORE'"), cloud
    assert main(["city", "validate", str(ws), "--lang", "en"]) == 0
    err = capsys.readouterr().err
    assert err.count("government-cloud tenancy") == 1 and "affairs/juki/zones.csv" not in err


def test_an_unknown_file_in_holdings_blames_only_the_holdings_row(tmp_path):
    # the attack trial: ATENA,NOFILE also gave "shared/systems.csv:2: holds: 'NOFILE'", a correct shared row
    ws = _copy(tmp_path)
    holdings = ws / "affairs" / "juki" / "holdings.csv"
    holdings.write_text(holdings.read_text(encoding="utf-8") + "ATENA,NOFILE,assumption: test\n", encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        load_model(ws / "affairs" / "juki")
    found = [str(p) for p in caught.value.problems]
    assert len(found) == 1 and "holdings.csv:3: file_id: 'NOFILE' is not a known file_id" in found[0], found


# -- a model without a shared part is unchanged ------------------------------------------------------------------


def test_a_model_without_shared_loads_exactly_its_own_tables():
    model = load_model(bundled_model_path())
    assert model.shared_ids == frozenset() and model.holdings.empty
    for table in ("zones", "systems", "files", "flows", "controls"):
        raw = read_table(model.path, next(t for t in TABLES if t.name == table), str(model.path), [])
        assert getattr(model, table).equals(raw.frame), table
    _naming, places = row_places(model)
    assert all(str(place) == f"{table}.csv" for table in ("systems", "flows") for place, _l in places[table])


# -- the workspace -----------------------------------------------------------------------------------------------


def test_the_good_workspace_loads():
    ws = load_workspace(GOOD)
    assert ws.organisation == "テスト市" and ws.organisation_kind == "市"
    assert list(ws.affairs.columns) == ["affair_id", "name", "model_path", "source"]
    assert list(ws.models) == ["juki", "zei"]
    assert list(ws.shared["systems"]["system_id"]) == ["ATENA", "CONBINI", "MADO", "UNUSED"]
    use = shared_use(ws).set_index("id")
    assert use.at["ATENA", "affairs"] == ["juki", "zei"] and use.at["SC3", "affairs"] == []
    assert validate_workspace(GOOD) == [] and validate_workspace(GOOD / "city.yaml") == []


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_broken_workspace_is_located(case, tmp_path, monkeypatch):
    built = build(case, tmp_path)
    committed = WORKSPACES / case.name
    assert _tree(built) == _tree(committed), "run: python tests/workspace_cases.py"
    monkeypatch.chdir(ROOT)  # the messages name the workspace as given: relative to the checkout
    problems = [str(p) for p in validate_workspace(Path("tests/workspaces") / case.name)]
    for expected in case.expect:
        assert any(f"tests/workspaces/{case.name}/{expected}" in p for p in problems), (expected, problems)
    assert len(problems) == len(case.expect), problems  # no cascade of follow-up problems
    with pytest.raises(ModelError):
        load_workspace(committed)


def test_every_problem_is_found_at_once():
    problems = validate_workspace(WORKSPACES / "two_mistakes")
    assert {p.message.split("]")[0] for p in problems} == {"[juki", "[zei"}


def test_an_affair_name_that_differs_is_a_warning(tmp_path):
    city = _copy(tmp_path)
    index = city / "city.yaml"
    index.write_text(index.read_text(encoding="utf-8").replace("name: 個人住民税に関する事務", "name: 住民税"),
                     encoding="utf-8")
    ws = load_workspace(city)
    assert [str(w).split(" (hint")[0] for w in ws.warnings] == [
        f"{city}/city.yaml:12: affairs.name: [zei] '住民税' differs from the model's affairs '個人住民税に関する事務'"]
    assert len(validate_workspace(city, strict=True)) == 1
    with pytest.raises(ModelError):
        load_workspace(city, strict=True)


@pytest.mark.parametrize("text, expected", [
    ("organisation: テスト市\naffairs: []\n", "city.yaml:2: affairs: must be a non-empty list of affairs"),
    ("organisation: !!python/object/apply:os.system ['echo hi']\naffairs: []\n", "city.yaml:1: column 15: is not "
     "valid YAML"),
    ("organisation: テスト\x07市\naffairs: []\n", "city.yaml:1: holds the control character U+0007"),
    ("organisation: テスト市\norganisation: テスト市\naffairs: []\n", "city.yaml:2: organisation: appears twice"),
    ("organisation: テスト市\ncolour: blue\naffairs:\n  - id: a b\n    name: x\n    model: m\n",
     "city.yaml:2: colour: unknown key"),
    ("organisation: テスト市\naffairs:\n  - id: a b\n    name: x\n    model: m\n",
     "city.yaml:3: affairs.id: 'a b' is not a valid id"),
    ("affairs:\n  - id: a\n    model: m\n", "city.yaml: organisation: required key is missing"),
])
def test_a_bad_index_is_located(tmp_path, text, expected):
    (tmp_path / "city.yaml").write_text(text, encoding="utf-8")
    problems = [str(p) for p in validate_workspace(tmp_path)]
    assert any(f"{tmp_path}/{expected}" in p for p in problems), problems


def test_a_missing_index_or_folder(tmp_path):
    assert [str(p).split(" (hint")[0] for p in validate_workspace(tmp_path)] == [f"{tmp_path}/city.yaml: is missing"]
    assert "is not a folder" in str(validate_workspace(tmp_path / "nowhere")[0])


def test_a_shared_part_of_its_own_problems_is_checked_once(tmp_path):
    city = _copy(tmp_path)
    systems = city / "shared" / "systems.csv"
    systems.write_text(systems.read_text(encoding="utf-8").replace("MADO,総合窓口端末,One-stop counter terminal,CORE",
                                                                   "MADO,総合窓口端末,One-stop counter terminal,LOBBY"),
                       encoding="utf-8")
    problems = [str(p) for p in validate_workspace(city)]
    located = [p for p in problems if "shared/systems.csv:4: zone_id: 'LOBBY' is not a known zone_id" in p]
    assert len(located) == 1, problems  # not again for juki, which uses MADO


# -- the command line --------------------------------------------------------------------------------------------


def test_city_validate_prints_a_summary(capsys):
    assert main(["city", "validate", str(GOOD), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: テスト市 (good) — 2 affair(s); shared part: zones 3, systems 4")
    assert "ATENA" in out and "juki, zei" in out and "(unused)" in out


def test_city_validate_exits_1_with_every_problem_located(capsys):
    assert main(["city", "validate", str(WORKSPACES / "two_mistakes")]) == 1
    err = capsys.readouterr().err
    assert "is not valid: 2 problem(s)" in err and "[juki]" in err and "[zei]" in err


def test_city_validate_strict_makes_warnings_errors(tmp_path, capsys):
    city = _copy(tmp_path)
    index = city / "city.yaml"
    index.write_text(index.read_text(encoding="utf-8").replace("name: 個人住民税に関する事務", "name: 住民税"),
                     encoding="utf-8")
    assert main(["city", "validate", str(city)]) == 0
    assert "warning:" in capsys.readouterr().err
    assert main(["city", "validate", str(city), "--strict"]) == 1


def test_city_validate_never_shows_a_traceback(tmp_path):
    (tmp_path / "city.yaml").write_bytes(b"organisation: \xff\xfe\x00\n")
    for target in (tmp_path, WORKSPACES / "missing_model", tmp_path / "nowhere"):
        run = subprocess.run([sys.executable, "-m", "pia_analysis.entry", "city", "validate", str(target)],
                             capture_output=True, text=True, cwd=ROOT)
        assert run.returncode == 1, run.stderr
        assert "Traceback" not in run.stderr and "error: the workspace at" in run.stderr
    usage = subprocess.run([sys.executable, "-m", "pia_analysis.entry", "city"], capture_output=True, text=True,
                           cwd=ROOT)
    assert usage.returncode == 2 and "Traceback" not in usage.stderr


def test_every_command_works_on_an_affair(capsys):
    affair = str(GOOD / "affairs" / "juki")
    for command in (["validate", affair], ["exposure", affair, "--format", "csv"], ["coverage", affair],
                    ["findings", affair, "--format", "json"]):
        assert main(command) == 0, command
    out = capsys.readouterr().out
    assert "ATENA" in out


def test_the_workspace_frames_are_plain_tables():
    ws = load_workspace(GOOD)
    assert isinstance(ws.affairs, pd.DataFrame) and ws.affairs["model_path"].map(Path.is_dir).all()


# -- the bundled example city ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example():
    from pia_analysis import bundled_workspace_path

    return load_workspace(bundled_workspace_path(), strict=True)


def test_the_example_city_validates_with_three_affairs(example):
    assert example.organisation == "緑ヶ丘市"
    assert list(example.affairs["affair_id"]) == ["juki", "juminzei", "kokuho"]
    assert list(example.affairs["name"]) == ["住民基本台帳に関する事務", "個人住民税の賦課徴収に関する事務",
                                             "国民健康保険に関する事務"]
    use = shared_use(example).set_index("id")["affairs"]
    # the systems the issue names are shared: 統合宛名, 中間サーバー (and its terminal), 総合窓口, コンビニ交付
    for shared in ("ATENA", "MIDDLE_SRV", "MIDDLE_TERM", "MADOGUCHI"):
        assert use[shared] == ["juki", "juminzei", "kokuho"], shared
    for shared in ("CONV_SRV", "JLIS_CENTRE", "STORE_KIOSK"):
        assert use[shared] == ["juki", "juminzei"], shared


def test_every_row_of_the_example_city_is_an_assumption(example):
    frames = [(f"shared/{name}", frame) for name, frame in example.shared.items()]
    for affair, model in example.models.items():
        own = {t: getattr(model, t) for t in ("zones", "systems", "files", "flows", "controls", "ratings",
                                               "holdings")}
        # the affair's own rows (holdings name shared systems, but are the affair's)
        frames += [(f"{affair}/{t}", f if t in ("ratings", "holdings") else f[~f.iloc[:, 0].isin(model.shared_ids)])
                   for t, f in own.items()]
    for where, frame in frames:
        column = "source_ref" if where.endswith("flows") else "source"
        assert len(frame) and frame[column].str.startswith("assumption: ").all(), where


def test_each_example_affair_analyses_alone(example):
    for affair, model in example.models.items():
        alone = load_model(model.path)
        assert alone.shared_ids == model.shared_ids
        exposure = node_exposure(alone).set_index("system_id")
        # what every affair keeps at the shared addressee system is at stake there
        assert alone.my_number_people["ATENA"] == 310000 and exposure.at["ATENA", "exposure"] > 0, affair
        assert stage_coverage(alone)["pairs"].sum() > 0
    # the counter system holds the files of the affairs that accept notifications there, and no other's
    counter = {a: m.systems.set_index("system_id").at["MADOGUCHI", "holds"] for a, m in example.models.items()}
    assert counter == {"juki": ["JUKI_FILE"], "juminzei": [], "kokuho": ["KOKUHO_FILE"]}


def test_a_model_that_is_neither_folder_nor_workbook_is_said_so(tmp_path):
    ws = _copy(tmp_path)
    text = (ws / "city.yaml").read_text(encoding="utf-8")
    (ws / "city.yaml").write_text(text.replace("model: affairs/zei", "model: /dev/null"), encoding="utf-8")
    found = [str(p) for p in validate_workspace(ws)]
    assert any("[zei] '/dev/null' is not a folder or workbook" in p for p in found), found
    assert not any("does not exist" in p for p in found)


def test_the_shared_part_is_parsed_once_for_all_the_affairs(monkeypatch):
    # the attack trial: a 100,000-row shared part was parsed again for every affair (76 s for three)
    import pia_analysis.formats.directory as directory

    calls = []
    real = directory.read_shared_part

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(directory, "read_shared_part", counting)
    workspace = load_workspace(GOOD)
    assert len(workspace.models) == 2 and len(calls) == 1  # the affairs' loads share one read
    load_model(GOOD / "affairs" / "juki")  # outside a workspace load nothing is remembered: read again
    assert len(calls) == 2
