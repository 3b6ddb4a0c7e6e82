"""The command line: exit codes, messages, no tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from broken_cases import BROKEN, CASES, TINY
from pia_analysis import bundled_model_path
from pia_analysis.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONHASHSEED="0")
    return subprocess.run([sys.executable, "-m", "pia_analysis.cli", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


def test_validate_ok_prints_a_summary(capsys):
    from pia_analysis import load_model

    model = load_model(bundled_model_path())
    assert main(["validate", str(bundled_model_path()), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert f"zones 11, systems 20, files 3, flows 22, controls {len(model.controls)}" in out
    assert "entry points 7: JUKI_TERM, OTHER_BODY, OTHER_CS, RESIDENT, STORE_KIOSK, SUBCON_TERM, VENDOR_TERM" in out
    assert "files with My Numbers 3: HONNIN_FILE, JUKI_FILE, SOUFU_FILE" in out


def test_validate_bad_model_exits_1_with_every_located_problem():
    proc = run_cli("validate", str(BROKEN / "unknown_zone"))
    assert proc.returncode == 1
    assert "systems.csv:4: zone_id: 'DX' is not a known zone_id" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_broken_model_exits_1_without_traceback(case, capsys):
    assert main(["validate", str(BROKEN / case.name)]) == 1
    captured = capsys.readouterr()
    assert case.expect in captured.err
    assert "Traceback" not in captured.err


def test_usage_errors_exit_2():
    assert run_cli().returncode == 2
    assert run_cli("validate").returncode == 2
    proc = run_cli("frobnicate", str(TINY))
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
    assert run_cli("exposure", str(TINY), "--format", "yaml").returncode == 2


def test_missing_directory_exits_1(tmp_path: Path):
    proc = run_cli("validate", str(tmp_path / "nope"))
    assert proc.returncode == 1
    assert "is not a directory" in proc.stderr


def test_report_writes_the_pack(tmp_path: Path):
    out = tmp_path / "pack"
    assert main(["report", str(TINY), "--out", str(out)]) == 0
    assert (out / "briefing.pdf").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no partial directories left behind"


def test_report_on_a_bad_model_writes_nothing(tmp_path: Path):
    out = tmp_path / "pack"
    assert main(["report", str(BROKEN / "bad_kind"), "--out", str(out)]) == 1
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_json_output_is_strict_json(capsys):
    import json

    assert main(["coverage", str(TINY), "--format", "json"]) == 0
    text = capsys.readouterr().out
    assert "NaN" not in text
    rows = json.loads(text)
    acquire = next(r for r in rows if r["stage"] == "acquire")
    assert acquire["in_scope"] is False and acquire["coverage"] is None  # out of scope, not 100 %


def test_findings_threshold_and_all(capsys):
    import json

    assert main(["findings", str(bundled_model_path()), "--format", "json", "--threshold", "0.02"]) == 0
    strict = json.loads(capsys.readouterr().out)
    assert main(["findings", str(bundled_model_path()), "--format", "json", "--threshold", "0.001", "--all"]) == 0
    lax = json.loads(capsys.readouterr().out)
    exposed = lambda rows: {r["element"] for r in rows if r["rule_id"] == "exposed-mn-holder" and r["status"] == "open"}  # noqa: E731
    assert exposed(strict) < exposed(lax)
    assert any(r["status"] == "not_applicable" for r in lax)
    assert not any(r["status"] == "not_applicable" for r in strict)
    assert run_cli("findings", str(TINY), "--threshold", "2").returncode == 2


def test_section3_refuses_an_unknown_suffix(tmp_path: Path):
    proc = run_cli("section3", str(TINY), "--out", str(tmp_path / "s3.csv"))
    assert proc.returncode == 2
    assert "written as .xlsx or .md" in proc.stderr
    assert not (tmp_path / "s3.csv").exists()
