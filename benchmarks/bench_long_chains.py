"""Benchmark of commands that walk a long ``previous`` chain (a script, not a test).

A model names its earlier version with ``previous:``; ``validate`` checks that the chain ends,
``history`` loads every version and compares each with the one before, ``diff`` loads two versions.
Each of them must take time linear in the length of the chain (issue 11: 1,000 versions under 10 s).

The chains are built in a temporary directory from ``tests/models/tiny``: ``v0001`` … ``vN``, each a
model directory whose ``model.yaml`` has its own id and ``previous: ../v<N-1>`` (the first has none).
Each measurement is one ``python -m pia_analysis.cli …`` process (imports included), run in a scratch
directory so that it imports the package found on ``PYTHONPATH``; a run over ``--timeout`` is stopped
and reported as such.

Run it from the repository root::

    .venv/bin/python benchmarks/bench_long_chains.py                       # this code
    PYTHONPATH=/path/to/other/checkout .venv/bin/python benchmarks/bench_long_chains.py --timeout 300

``--lengths 50 200`` chooses the chain lengths (default 50, 200 and 1,000); ``--only history`` the
commands; ``--vary`` makes every version's tables different (a record count), so that no version can
share another's tables or analyses; ``--json FILE`` saves the results.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "models" / "tiny"
COMMANDS = ("validate", "history", "diff")


def build_chain(root: Path, length: int, vary: bool = False) -> list[Path]:
    """Directories ``root/v0001`` … of a chain of ``length`` versions of the tiny model, oldest first.

    ``vary``: each version's register file holds a different number of records, so that no two versions
    have the same tables (nothing can be shared between versions)."""
    meta = (TINY / "model.yaml").read_text(encoding="utf-8")
    dirs = []
    for i in range(1, length + 1):
        d = root / f"v{i:04d}"
        shutil.copytree(TINY, d)
        text = meta.replace("id: tiny", f"id: tiny-v{i:04d}", 1)
        if i > 1:
            text += f"previous: ../v{i - 1:04d}\n"
        (d / "model.yaml").write_text(text, encoding="utf-8")
        if vary:
            files = (d / "files.csv").read_text(encoding="utf-8")
            (d / "files.csv").write_text(files.replace(",1500,", f",{1500 + i},", 1), encoding="utf-8")
        dirs.append(d)
    return dirs


def run(command: list[str], timeout: float, cwd: Path) -> tuple[float | None, int | None, str]:
    """(wall seconds or None when stopped, exit code, the first line of stderr on failure)."""
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "pia_analysis.cli", *command], cwd=cwd, timeout=timeout,
                              capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    except subprocess.TimeoutExpired:
        return None, None, f"stopped after {timeout:.0f} s"
    elapsed = time.perf_counter() - start
    note = "" if proc.returncode == 0 else (proc.stderr.strip().splitlines() or [""])[-1][:200]
    return elapsed, proc.returncode, note


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[50, 200, 1000])
    parser.add_argument("--only", nargs="+", choices=COMMANDS, default=list(COMMANDS))
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--vary", action="store_true", help="no two versions with the same tables")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="pia-chains-") as tmp:
        scratch = Path(tmp) / "scratch"
        scratch.mkdir()
        for length in args.lengths:
            dirs = build_chain(Path(tmp) / f"chain{length}", length, args.vary)
            newest = str(dirs[-1])
            commands = {"validate": ["validate", newest], "history": ["history", newest],
                        "diff": ["diff", str(dirs[-2] if length > 1 else dirs[-1]), newest]}
            for name in args.only:
                seconds, code, note = run(commands[name], args.timeout, scratch)
                results.append({"versions": length, "command": name, "seconds": seconds, "exit": code, "note": note})
                shown = "stopped" if seconds is None else f"{seconds:.2f} s"
                print(f"{length:>6} versions  {name:<9} {shown:>10}  exit {code}  {note}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
