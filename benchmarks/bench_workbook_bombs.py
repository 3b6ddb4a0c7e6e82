"""Time and peak memory of ``pia-analysis validate`` on workbook resource bombs (issue 11).

Each measurement is a fresh ``python -m pia_analysis.cli validate BOMB`` process, with the package taken
from ``--code`` (``PYTHONPATH``), a wall-clock timeout and an address-space limit (``RLIMIT_AS``) so that a
bomb cannot take the machine down; the peak RSS is the child's ``ru_maxrss`` from ``os.wait4``. The bombs
are built by ``tests/hostile_workbooks.py`` (the valid workbook of ``tests/models/tiny`` with rows added):

- ``xfd-36kb``: 2,000 rows below the guide, each with one text cell in column XFD (the issue's 36 KB kind);
- ``xfd-4.9mb``: 970,000 such rows (the issue's 4.9 MB kind);
- ``xfd-at-size-cap``: 900,000 such rows and random text, 25 MB on disk (just under the 25 MiB cap);
- ``cells-over-budget`` / ``cells-under-budget``: 1.04 million / 0.99 million real numbers in columns A-Z
  (the cell budget is 1,000,000);
- ``xfd-empty-cells``: 990,000 rows, each with an empty (styled) cell in column XFD: accepted, nothing padded;
- ``empty-rows-4m``: 4 million empty ``<row/>`` elements (the XML element budget);
- ``shared-strings-1.5m``: 1.5 million shared strings (openpyxl reads them all on opening);
- ``tiny``: the valid workbook itself, for scale.

Usage (after, then before on an untouched checkout)::

    python benchmarks/bench_workbook_bombs.py
    python benchmarks/bench_workbook_bombs.py --code /path/to/old/checkout --timeout 120 --limit-gb 6
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def build(bombs: Path) -> dict[str, Path]:
    """Write the bombs into ``bombs`` (once: existing files are reused)."""
    import hostile_workbooks as hw

    bombs.mkdir(parents=True, exist_ok=True)
    names = ["tiny.xlsx", "xfd-36kb.xlsx", "xfd-4.9mb.xlsx", "xfd-at-size-cap.xlsx", "cells-over-budget.xlsx",
             "cells-under-budget.xlsx", "xfd-empty-cells.xlsx", "empty-rows-4m.xlsx", "shared-strings-1.5m.xlsx"]
    if not all((bombs / n).is_file() for n in names):
        (bombs / "tiny.xlsx").write_bytes(hw.base_workbook())
        for name, data in hw.benchmark_bombs().items():
            (bombs / name).write_bytes(data)
    return {n.removesuffix(".xlsx"): bombs / n for n in names}


def measure(python: str, code: Path, path: Path, timeout: float, limit_gb: float) -> dict:
    """One ``validate`` run: wall and CPU seconds, peak RSS (MB), exit code, and the first line of its message."""
    limit = int(limit_gb * 2**30)

    def limits() -> None:  # in the child: a bomb hits the limit (MemoryError) instead of the machine
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = dict(os.environ, PYTHONPATH=str(code), PYTHONHASHSEED="0")
    with tempfile.TemporaryDirectory() as scratch, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen([python, "-m", "pia_analysis.cli", "validate", str(path)], cwd=scratch, env=env,
                                stdout=subprocess.DEVNULL, stderr=err, preexec_fn=limits)
        status, usage, timed_out = None, None, False
        while status is None:
            pid, wait_status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                status, usage = wait_status, ru
            elif time.perf_counter() - started > timeout:
                proc.kill()
                _pid, status, usage = os.wait4(proc.pid, 0)
                timed_out = True
            else:
                time.sleep(0.05)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        lines = err.read().decode("utf-8", "replace").splitlines()
    message = next((line.strip() for line in lines[1:2]), lines[0] if lines else "")
    if "MemoryError" in "\n".join(lines):
        outcome = f"MemoryError at the {limit_gb:g} GB limit"
    elif timed_out:
        outcome = f"stopped after {timeout:g} s"
    else:
        outcome = f"exit {proc.returncode}"
    return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "outcome": outcome,
            "message": message.replace(str(path), path.name)[:160]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose pia_analysis is measured")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--bombs", type=Path, default=Path(tempfile.gettempdir()) / "pia-workbook-bombs")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--limit-gb", type=float, default=6)
    parser.add_argument("--only", nargs="*", help="names of the bombs to run (default: all)")
    args = parser.parse_args(argv)
    bombs = build(args.bombs)
    print(f"code: {args.code}  load average: {os.getloadavg()[0]:.1f}")
    print("| workbook | size | wall s | CPU s | peak MB | outcome | message |")
    print("|---|---:|---:|---:|---:|---|---|")
    for name, path in bombs.items():
        if args.only and name not in args.only:
            continue
        r = measure(args.python, args.code, path, args.timeout, args.limit_gb)
        size = path.stat().st_size
        shown = f"{size / 10**6:.1f} MB" if size >= 10**6 else f"{size / 1000:.0f} KB"
        print(f"| {name} | {shown} | {r['seconds']:.1f} | {r['cpu']:.1f} | {r['rss_mb']:,.0f} | {r['outcome']} "
              f"| {r['message']} |",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
