"""Every CLI command on every broken input: exit 1, the located message, no traceback, no output left behind.

The corpus is ``tests/broken_cases.py`` (see ``docs/bad-input.md``). Commands run in-process through
``pia_analysis.cli.main`` (fast); a few run as subprocesses to prove no traceback reaches stderr.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from broken_cases import (ACCEPTED_CASES, BROKEN, CASES, GENERATED_CASES, GENERATED_SCENARIO_CASES, ROOT,
                          SCENARIO_CASES, SCENARIOS, TINY, build_case, build_scenario_case)
from pia_analysis.cli import main

VALID_SCENARIO = "id: ok\nset:\n  controls:\n    C1: {status: missing}\n"


def model_commands(model: Path, tmp: Path) -> list[list[str]]:
    """Every command that reads a model, with ``model`` where a model directory goes."""
    m, t = str(model), str(TINY)
    scenario = tmp / "ok.yaml"
    scenario.write_text(VALID_SCENARIO, encoding="utf-8")
    return [
        ["validate", m],
        ["report", m, "--out", str(tmp / "pack")],
        ["assessment", m, "--out", str(tmp / "assessment"), "--form", "basic"],
        ["exposure", m, "--format", "json"],
        ["exposure", m, "--given", "NOT_CHECKED_BEFORE_THE_MODEL"],
        ["fix-first", m],
        ["importance", m, "--of", "flows", "--format", "json"],
        ["coverage", m],
        ["findings", m, "--all"],
        ["section3", m],
        ["section3", m, "--out", str(tmp / "s3.xlsx")],
        ["scenario", m, str(scenario), "--report", str(tmp / "scenario-pack")],
        ["diff", m, t],
        ["diff", t, m, "--format", "json"],
        ["history", m],
        ["convert", m, str(tmp / "converted.xlsx")],
        ["export-otm", m, str(tmp / "model.otm.json")],
        ["export-findings", m, str(tmp / "findings.sarif")],
        ["export-findings", m, str(tmp / "findings.csv")],
    ]


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_refused(argv: list[str], code: int, out: str, err: str, expect: str) -> None:
    where = " ".join(argv)
    assert code == 1, f"{where}: exit {code}\n{err}"
    assert "Traceback" not in err + out and "internal error" not in err, f"{where}:\n{err}"
    assert out == "", f"{where}: printed to stdout although the input is refused:\n{out}"
    assert expect in err.replace(f"{ROOT}/", ""), f"{where}: {expect!r} not in\n{err}"
    assert err.startswith("error: "), f"{where}:\n{err}"


def assert_nothing_written(tmp: Path, keep: set[str]) -> None:
    left = sorted(p.name for p in tmp.iterdir() if p.name not in keep)
    assert left == [], f"output (or .partial directories) left behind: {left}"


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("generated")
    for case in GENERATED_CASES:
        build_case(case, root)
    return root


@pytest.mark.parametrize("case", CASES + GENERATED_CASES, ids=[c.name for c in CASES + GENERATED_CASES])
def test_every_command_refuses_a_broken_model(case, tmp_path: Path, capsys, request):
    model = BROKEN / case.name if case in CASES else request.getfixturevalue("generated") / case.name
    commands = model_commands(model, tmp_path)
    for argv in commands:
        code, out, err = run(argv, capsys)
        assert_refused(argv, code, out, err, case.expect)
    assert_nothing_written(tmp_path, {"ok.yaml"})


ALL_SCENARIOS = SCENARIO_CASES + GENERATED_SCENARIO_CASES


@pytest.mark.parametrize("case", ALL_SCENARIOS, ids=[c.name for c in ALL_SCENARIOS])
def test_the_scenario_command_refuses_a_broken_scenario(case, tmp_path: Path, capsys):
    work = tmp_path / "work"
    work.mkdir()
    path = SCENARIOS / f"{case.name}.yaml" if case in SCENARIO_CASES else build_scenario_case(case, tmp_path / "scenarios")
    for argv in (["scenario", str(TINY), str(path)],
                 ["scenario", str(TINY), str(path), "--format", "json"],
                 ["scenario", str(TINY), str(path), "--report", str(work / "pack"), "--lang", "en"]):
        code, out, err = run(argv, capsys)
        assert_refused(argv, code, out, err, case.expect)
    assert_nothing_written(work, set())


@pytest.mark.parametrize("case", ACCEPTED_CASES, ids=[c.name for c in ACCEPTED_CASES])
def test_accepted_inputs_work_in_every_quick_command(case, tmp_path: Path, capsys):
    model = str(build_case(case, tmp_path))
    for argv in (["validate", model], ["exposure", model], ["coverage", model], ["findings", model, "--all"],
                 ["section3", model], ["fix-first", model], ["importance", model]):
        code, out, err = run(argv, capsys)
        assert code == 0, f"{' '.join(argv)}: exit {code}\n{err}"
        assert "Traceback" not in err and out


@pytest.mark.parametrize("where", ["missing", "a_file", "too_long", "model_yaml_of_nothing"])
def test_every_command_refuses_a_path_that_is_not_a_model_directory(where: str, tmp_path: Path, capsys):
    work = tmp_path / "work"
    work.mkdir()
    path = {"missing": tmp_path / "nope", "a_file": TINY / "systems.csv", "too_long": Path("x" * 5000),
            "model_yaml_of_nothing": tmp_path / "nope" / "model.yaml"}[where]
    for argv in model_commands(path, work):
        code, out, err = run(argv, capsys)
        assert_refused(argv, code, out, err, "is not a directory (hint: give the path of a model directory")
    assert_nothing_written(work, {"ok.yaml"})


@pytest.mark.parametrize("where", ["missing", "a_directory", "too_long"])
def test_the_scenario_command_refuses_a_path_that_is_not_a_scenario_file(where: str, tmp_path: Path, capsys):
    path = {"missing": tmp_path / "nope.yaml", "a_directory": tmp_path, "too_long": Path("x" * 5000)}[where]
    code, out, err = run(["scenario", str(TINY), str(path), "--report", str(tmp_path / "pack")], capsys)
    assert_refused(["scenario"], code, out, err, ": is not a file (hint: give the path of a scenario .yaml file)")
    assert not (tmp_path / "pack").exists()


def test_a_file_that_cannot_be_read_is_a_located_problem(tmp_path: Path, capsys, monkeypatch):
    model = build_case(ACCEPTED_CASES[0], tmp_path)  # a valid model
    original = Path.read_bytes

    def refuse(self):
        if self.name == "flows.csv":
            raise PermissionError(13, "Permission denied")
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    code, out, err = run(["validate", str(model)], capsys)
    assert_refused(["validate"], code, out, err, f"{model}/flows.csv: cannot be read (Permission denied)")


def test_a_model_changed_into_an_empty_one_is_refused_not_reported(tmp_path: Path, capsys):
    scenario = tmp_path / "empty.yaml"
    scenario.write_text("id: empty\nremove: {zones: [CORE, DC]}\n", encoding="utf-8")
    code, out, err = run(["scenario", str(TINY), str(scenario), "--report", str(tmp_path / "pack")], capsys)
    assert_refused(["scenario"], code, out, err, "zones.csv:1: has a header but no rows")
    assert_nothing_written(tmp_path, {"empty.yaml"})


# --- as subprocesses: what a user's terminal shows ------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONHASHSEED="0")
    return subprocess.run([sys.executable, "-m", "pia_analysis.cli", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


@pytest.mark.parametrize("argv,expect", [
    (["validate", "tests/broken/yaml_deeply_nested"], "model.yaml: is not valid YAML: it is nested too deeply"),
    (["history", "tests/broken/previous_cycle"], "previous: the chain of previous versions loops back to"),
    (["report", "tests/broken/records_too_large", "--out", "{tmp}/pack"], "records: '99999999999999999999' is too large"),
    (["scenario", "tests/models/tiny", "tests/broken/scenarios/scenario_recursive_anchor.yaml", "--report", "{tmp}/pack"],
     "scenario_recursive_anchor.yaml:4: column 15: is not valid YAML"),
    (["section3", "tests/broken/utf16_file", "--out", "{tmp}/s3.xlsx"], "zones.csv:1: is UTF-16 text"),
], ids=["validate", "history", "report", "scenario", "section3"])
def test_no_traceback_reaches_the_terminal(argv, expect, tmp_path: Path):
    proc = run_cli(*[a.format(tmp=tmp_path) for a in argv])
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert expect in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_50_mib_model_is_refused_quickly_in_a_subprocess(generated: Path):
    proc = run_cli("validate", str(generated / "file_of_50_mib"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "systems.csv: is 50.0 MiB, over the 25 MiB limit" in proc.stderr
