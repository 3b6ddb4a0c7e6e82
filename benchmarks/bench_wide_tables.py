"""Benchmark of ``validate`` on CSV tables near the 25 MiB size cap (a script, not a test; issue 11).

Each model is ``tests/models/tiny`` with ``systems.csv`` grown to about 25 MiB in one of four ways:

* ``wide-header``: a header of millions of extra column names (refused at the header: at most 256 columns);
* ``256-columns``: 247 extra columns (256 in all, the limit) and as many rows as fit;
* ``many-rows``: valid system rows (each its own id) until the size is reached;
* ``long-row``: a normal header and one row of millions of commas;
* ``256-columns-at-limit``, ``many-rows-at-limit``: the same, with just under the 1,000,000 cells a model
  may hold (the worst case that validates).

Each measurement is one ``python -m pia_analysis.cli validate`` process (imports included): wall seconds and
peak RSS (``ru_maxrss`` via ``os.wait4``). Goal: any CSV under the cap validates (or is refused) in < 10 s.

    .venv/bin/python benchmarks/bench_wide_tables.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "models" / "tiny"
TARGET = 25 * 2**20 - 64 * 1024  # just under the 25 MiB cap


def _grow(path: Path, kind: str) -> None:
    # "...-at-limit": as many rows as the cell limit allows (990,000 cells in all the tables), not the size
    cells = 990_000 if kind.endswith("-at-limit") else 10**9
    kind = kind.removesuffix("-at-limit")
    lines = path.read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        if kind == "wide-header":
            names, size, i = [], len(header), 0
            while size < TARGET:
                names.append(f"x{i}")
                size += len(names[-1]) + 1
                i += 1
            fh.write(header + "," + ",".join(names) + "\n" + "\n".join(rows) + "\n")
        elif kind == "256-columns":
            extra = 256 - header.count(",") - 1
            fh.write(header + "," + ",".join(f"x{i}" for i in range(extra)) + "\n")
            size, n = 0, 0
            row_tail = "," + ",".join("v" for _ in range(extra))
            for r in rows:
                fh.write(r + row_tail + "\n")
            base = rows[1]  # TERM: a terminal in CORE holding nothing
            while size < TARGET and (n + 40) * 256 < cells:
                line = f"T{n}" + base[base.index(","):] + row_tail + "\n"
                fh.write(line)
                size += len(line.encode())
                n += 1
        elif kind == "many-rows":
            fh.write(header + "\n" + "\n".join(rows) + "\n")
            base, size, n = rows[1], 0, 0
            while size < TARGET and (n + 40) * 9 < cells:
                line = f"T{n}" + base[base.index(","):] + "\n"
                fh.write(line)
                size += len(line.encode())
                n += 1
        elif kind == "long-row":
            fh.write(header + "\n" + "\n".join(rows) + "\n" + "X" + "," * (TARGET - 200) + "\n")
        else:
            raise ValueError(kind)


def main() -> int:
    kinds = sys.argv[1:] or ["wide-header", "256-columns", "many-rows", "long-row", "256-columns-at-limit",
                             "many-rows-at-limit"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            model = Path(tmp) / kind
            shutil.copytree(TINY, model)
            _grow(model / "systems.csv", kind)
            size = (model / "systems.csv").stat().st_size
            start = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-m", "pia_analysis.cli", "validate", str(model)], cwd=tmp, env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            out = proc.stdout.read().decode("utf-8", "replace") if proc.stdout else ""
            _pid, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            first = next((line.strip() for line in out.splitlines()[1:2]), out.strip()[:160])
            print(f"| {kind} | {size / 2**20:.1f} MiB | {wall:.1f} | {usage.ru_maxrss // 1024} | "
                  f"exit {os.waitstatus_to_exitcode(status)}: {first.replace(tmp + '/', '')[:150]} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
