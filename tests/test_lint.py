"""The lint step of ``make test``: ruff (pycodestyle, pyflakes, numpy docstrings) over the repository.

The rules are in ``pyproject.toml`` (``[tool.ruff]``); every file of the repository passes them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent



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


def test_every_file_passes_ruff():
    failing = _violations()
    assert not failing, "ruff finds (fix them; `ruff check --fix` fixes some):\n" + "\n".join(
        line for lines in failing.values() for line in lines[:20])

