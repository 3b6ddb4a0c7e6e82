"""Benchmark of the briefing pack: ``pia-analysis report`` as a whole process (a script, not a test; issue 17).

Runs ``pia-analysis report MODEL --out DIR`` (imports, loading, analysis, charts, PDF, tables) a few times,
alternating the default (the chart files written in a forked child beside the PDF: util/side_by_side) with
``PIA_ANALYSIS_SERIAL=1`` (everything in one process), and prints for each run the wall time, the CPU time
of the process and its children (user + sys) and the load average, beside the goals:

* Kitakyushu (the bundled model) in under 3 s;
* the national model (:func:`pia_analysis.synthetic.national_model`, saved first) in under 30 s.

The machine's load matters: give the load average with every figure (wall time on a busy machine says
little; CPU time says what the pack costs).

Run it from the repository root::

    PYTHONHASHSEED=0 .venv/bin/python benchmarks/bench_report.py
    PYTHONHASHSEED=0 .venv/bin/python benchmarks/bench_report.py --national 300 --repeat 1

``--national N`` measures the national model's first N municipalities (1741: the whole country) instead
of Kitakyushu. With ``--check`` the exit status is 1 when the default mode misses its goal.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_KITAKYUSHU = 3.0  # seconds, whole process
GOAL_NATIONAL = 30.0  # seconds, whole process


def run_report(model: Path, out: Path, serial: bool) -> tuple[float, float]:
    """Wall and CPU seconds (user + sys of the process and its children) of one ``pia-analysis report``."""
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, PYTHONHASHSEED="0")
    if serial:
        env["PIA_ANALYSIS_SERIAL"] = "1"
    else:
        env.pop("PIA_ANALYSIS_SERIAL", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pia_analysis.cli", "report", str(model), "--out", str(out)],
                   check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each mode")
    parser.add_argument("--national", type=int, default=0, help="the national model's first N municipalities")
    parser.add_argument("--check", action="store_true", help="exit 1 when the default mode misses its goal")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-report-"))
    try:
        if args.national:
            from pia_analysis import save_model
            from pia_analysis.synthetic import national_model

            model = save_model(national_model(seed=0, municipalities=args.national), work / "model")
            goal, label = GOAL_NATIONAL, f"national model, {args.national} municipalities"
        else:
            model, goal, label = ROOT / "data" / "kitakyushu-juki-r3", GOAL_KITAKYUSHU, "kitakyushu-juki-r3"
        print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} processors; "
              f"{label}; goal < {goal:g} s")
        best = float("inf")
        for run in range(args.repeat):
            for serial in (False, True):
                wall, cpu = run_report(model, work / "pack", serial)
                if not serial:
                    best = min(best, wall)
                load = os.getloadavg()[0]
                print(f"run {run + 1} {'serial ' if serial else 'default'}: {wall:6.2f} s wall, {cpu:6.2f} s CPU "
                      f"(user + sys), load average {load:.2f}")
        met = best < goal
        print(f"best default wall time {best:.2f} s: goal {'met' if met else 'MISSED'}")
        return 1 if args.check and not met else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
