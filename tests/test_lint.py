"""The lint step of ``make test``: ruff (pycodestyle, pyflakes, numpy docstrings) over the repository.

The rules are in ``pyproject.toml`` (``[tool.ruff]``). ``PENDING`` names the files that do not pass yet while
issue 12's restructuring is under way; it may only shrink: a file listed there that passes fails this test,
so that it is taken off the list.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PENDING: frozenset[str] = frozenset({
    "pia_analysis/analysis/__init__.py",
    "pia_analysis/analysis/coverage.py",
    "pia_analysis/analysis/exposure.py",
    "pia_analysis/analysis/findings.py",
    "pia_analysis/analysis/judgments.py",
    "pia_analysis/analysis/provenance.py",
    "pia_analysis/catalog/__init__.py",
    "pia_analysis/cli.py",
    "pia_analysis/explorer.py",
    "pia_analysis/formats/__init__.py",
    "pia_analysis/formats/directory.py",
    "pia_analysis/formats/templates.py",
    "pia_analysis/formats/workbook.py",
    "pia_analysis/model/__init__.py",
    "pia_analysis/model/cells.py",
    "pia_analysis/model/checks.py",
    "pia_analysis/model/errors.py",
    "pia_analysis/model/model.py",
    "pia_analysis/model/mynumber.py",
    "pia_analysis/model/schema.py",
    "pia_analysis/synthetic.py",
    "pia_analysis/util/files.py",
    "pia_analysis/util/spreadsheet.py",
    "pia_analysis/whatif/__init__.py",
    "pia_analysis/whatif/scenario.py",
    "pia_analysis/whatif/versions.py",
    "tests/test_hostile_workbooks.py",
})


def _ruff() -> list[str]:
    # ruff is installed with the test extra; run it from the interpreter's environment
    exe = Path(sys.executable).with_name("ruff")
    return [str(exe)] if exe.exists() else [shutil.which("ruff") or "ruff"]


def _violations() -> dict[str, list[str]]:
    done = subprocess.run([*_ruff(), "check", "--output-format", "json", "--no-cache", "."], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode in (0, 1), done.stderr
    out: dict[str, list[str]] = {}
    for v in json.loads(done.stdout or "[]"):
        path = Path(v["filename"]).resolve().relative_to(ROOT).as_posix()
        out.setdefault(path, []).append(f"{path}:{v['location']['row']}:{v['location']['column']}: "
                                        f"{v['code']} {v['message']}")
    return out


@pytest.fixture(scope="module")
def violations() -> dict[str, list[str]]:
    return _violations()


def test_every_file_passes_ruff(violations):
    failing = {path: lines for path, lines in violations.items() if path not in PENDING}
    assert not failing, "ruff finds (fix them; `ruff check --fix` fixes some):\n" + "\n".join(
        line for lines in failing.values() for line in lines[:20])


def test_pending_list_only_shrinks(violations):
    passing = sorted(path for path in PENDING if path not in violations)
    assert not passing, f"these pass ruff now: take them off PENDING in tests/test_lint.py: {passing}"
