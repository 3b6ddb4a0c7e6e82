"""Benchmark of every analysis and of the briefing pack, with peak memory (a script, not a test).

Each measurement runs in a fresh Python process, so that its peak resident memory (``ru_maxrss`` of that
process, read with ``os.wait4``) is its own and nothing is cached from an earlier one. The models are the
bundled Kitakyushu model, a synthetic model of 100 municipalities (:func:`pia_analysis.synthetic.synthetic_model`)
and the national model of 1,741 municipalities (:func:`pia_analysis.synthetic.national_model`); the synthetic
ones are saved to a temporary directory first, so that every measurement loads its model from disk like a
user's run (``load_model`` is the validation: it checks every cell and reference).

Measurements (the time is the wall time of the call, after the model is loaded, unless said otherwise):

* ``import`` — ``python -c "import pia_analysis"``, the whole process (median of 3);
* ``validate`` — ``load_model`` of the saved model;
* ``exposure`` — ``node_exposure``; ``hardening`` — ``hardening_candidates`` (minimum cut included);
* ``monte_carlo`` — ``simulate_compromise`` with ``--trials`` trials (default 20,000, as the briefing) and
  its default chunk, ``monte_carlo_x5`` with five times as many trials; ``monte_carlo_chunk`` and
  ``monte_carlo_chunk_x5`` the same with ``chunk=256``: the trials are simulated a chunk at a time, so the
  time grows with the trials and the peak memory does not (the same result whatever the chunk);
* ``coverage`` — ``stage_coverage`` and ``risk_coverage``; ``findings`` — ``find_findings``;
* ``analysis`` — ``load_model`` + ``pipeline.analyse`` (every result of the briefing): the whole analysis;
* ``report`` — ``report.write_report`` (analysis, charts, PDF, CSV, Excel, Markdown) of the loaded model;
* ``cli_report`` — ``python -m pia_analysis.cli report MODEL --out DIR``, the whole process.

Goals (this repository's issue; a 2-core machine): ``import`` under 1 s; Kitakyushu ``cli_report`` under
10 s; the national ``analysis`` under 60 s and 4 GB peak; Monte Carlo memory bounded: five times the trials
take at most 10 % + 30 MB more peak memory (``monte_carlo_x5`` against ``monte_carlo``, and the same with
``chunk=256``).

Run it from the repository root::

    PYTHONHASHSEED=0 .venv/bin/python benchmarks/bench_all.py            # all three models (~5 min)
    PYTHONHASHSEED=0 .venv/bin/python benchmarks/bench_all.py --quick    # Kitakyushu and 100 municipalities
    PYTHONHASHSEED=0 .venv/bin/python benchmarks/bench_all.py --check    # exit 1 when a goal is missed

``--tracemalloc`` adds the peak of Python's traced allocations (a second run of each measurement under
``tracemalloc``, which slows it down; its time is not reported). ``--json FILE`` saves the results.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

GOAL_IMPORT_S = 1.0
GOAL_KITAKYUSHU_REPORT_S = 10.0
GOAL_NATIONAL_ANALYSIS_S = 60.0
GOAL_NATIONAL_ANALYSIS_MB = 4096.0
# Monte Carlo with 5x the trials may use at most this much more peak memory (chunked simulation).
MC_BOUND_FACTOR, MC_BOUND_SLACK_MB = 1.10, 30.0

MEASUREMENTS = ("validate", "exposure", "hardening", "monte_carlo", "monte_carlo_x5", "monte_carlo_chunk",
                "monte_carlo_chunk_x5", "coverage", "findings", "analysis", "report", "cli_report")
BOUND_CHUNK = 256  # trials per chunk of the monte_carlo_chunk measurements


# ---------------------------------------------------------------------------------------------------
# the worker: one measurement in this process


def _worker(measure: str, model_dir: str, trials: int, repeat: int, traced: bool) -> dict:
    import resource

    start_process = time.perf_counter()
    from pia_analysis import load_model

    if measure in ("validate", "analysis"):
        model = None
    else:
        model = load_model(model_dir)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def run() -> object:
        from pia_analysis.analysis import coverage, exposure, findings, hardening, simulation
        from pia_analysis.analysis.pipeline import analyse
        from pia_analysis.outputs import briefing as report

        if measure == "validate":
            return load_model(model_dir)
        if measure == "exposure":
            return exposure.node_exposure(model)
        if measure == "hardening":
            return hardening.hardening_candidates(model)
        if measure == "monte_carlo":
            return simulation.simulate_compromise(model, trials=trials, seed=0)
        if measure == "monte_carlo_x5":
            return simulation.simulate_compromise(model, trials=5 * trials, seed=0)
        if measure == "monte_carlo_chunk":
            return simulation.simulate_compromise(model, trials=trials, seed=0, chunk=BOUND_CHUNK)
        if measure == "monte_carlo_chunk_x5":
            return simulation.simulate_compromise(model, trials=5 * trials, seed=0, chunk=BOUND_CHUNK)
        if measure == "coverage":
            return coverage.stage_coverage(model), coverage.risk_coverage(model)
        if measure == "findings":
            return findings.find_findings(model)
        if measure == "analysis":
            return analyse(load_model(model_dir))
        if measure == "report":
            out = Path(tempfile.mkdtemp(prefix="bench-pack-"))
            try:
                return report.write_report(model, out / "pack")
            finally:
                shutil.rmtree(out, ignore_errors=True)
        raise ValueError(f"unknown measurement {measure!r}")

    peak_traced = None
    if traced:
        import tracemalloc

        tracemalloc.start()
        run()
        peak_traced = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return {"traced_peak_mb": peak_traced / 2**20}
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return {"seconds": statistics.median(times), "runs": len(times),
            "rss_before_mb": rss_before / 1024, "process_seconds": time.perf_counter() - start_process}


# ---------------------------------------------------------------------------------------------------
# the driver


class TimedOut(Exception):
    """A measurement ran longer than ``--timeout``."""


def _spawn_measured(args: list[str], timeout: float | None = None) -> tuple[float, float, str]:
    """Run ``args`` in a new process; return (wall seconds, its own peak RSS in MB, its stdout).

    The process is reaped with ``os.wait4``, which gives the resource usage of that process alone. It runs
    in a scratch directory, so that ``python -m`` and ``-c`` import the installed package (or the one on
    ``PYTHONPATH``), not a copy in the working directory.
    """
    env = {**os.environ, "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "0")}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryDirectory(prefix="bench-cwd-") as cwd:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=err, env=env, cwd=cwd)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if timeout is not None and time.perf_counter() - start > timeout:
                proc.kill()
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                raise TimedOut(f"{' '.join(args)}: over {timeout:.0f} s")
            time.sleep(0.02)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, error = out.read().decode(), err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{error[-2000:]}")
    return wall, usage.ru_maxrss / 1024, text


MODELS = ("kitakyushu", "100-municipalities", "national")


def _build(name: str, path: str) -> dict:
    """Build a synthetic model and save it to ``path`` (run in a worker process); return its summary."""
    from pia_analysis import save_model
    from pia_analysis.synthetic import national_model, synthetic_model

    model = synthetic_model(100, seed=0) if name == "100-municipalities" else national_model(seed=0)
    save_model(model, path)
    return model.summary()


def _models(names: list[str], work: Path) -> list[tuple[str, Path, dict]]:
    """The models to measure, the synthetic ones built and saved by a worker process: the driver stays small,
    and a measurement process (forked from it) starts small too, so its peak RSS is its own."""
    from pia_analysis import bundled_model_path, load_model

    out = []
    if "kitakyushu" in names:
        out.append(("kitakyushu", bundled_model_path(), load_model(bundled_model_path()).summary()))
    for name in ("100-municipalities", "national"):
        if name not in names:
            continue
        path = work / name
        wall, _rss, text = _spawn_measured([sys.executable, str(Path(__file__).resolve()), "--build", name,
                                            str(path)])
        print(f"built and saved the {name} model in {wall:.1f} s ({path})", file=sys.stderr, flush=True)
        out.append((name, path, json.loads(text.strip().splitlines()[-1])))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Kitakyushu and 100 municipalities only")
    parser.add_argument("--models", nargs="*", choices=MODELS, help="these models only (default: all three)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument("--trials", type=int, default=20_000, help="Monte Carlo trials (default: the briefing's)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement on Kitakyushu (median)")
    parser.add_argument("--only", nargs="*", choices=MEASUREMENTS, help="these measurements only")
    parser.add_argument("--tracemalloc", action="store_true", help="also the peak of traced Python allocations")
    parser.add_argument("--json", type=Path, help="save the results to this file")
    parser.add_argument("--timeout", type=float, default=None,
                        help="stop a measurement after this many seconds (recorded as not finished)")
    parser.add_argument("--worker", nargs=2, metavar=("MEASUREMENT", "MODEL_DIR"), help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--build", nargs=2, metavar=("MODEL", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.build:
        print(json.dumps(_build(*args.build)))
        return 0
    if args.worker:
        print(json.dumps(_worker(args.worker[0], args.worker[1], args.trials, args.repeat, args.traced)))
        return 0

    python = sys.executable
    import numpy as np

    print(f"Python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, PYTHONHASHSEED={os.environ.get('PYTHONHASHSEED', '(unset)')}, "
          f"{args.trials:,} Monte Carlo trials", flush=True)
    results: list[dict] = []
    times = [_spawn_measured([python, "-c", "import pia_analysis"])[0] for _ in range(3)]
    results.append({"model": "-", "measurement": "import", "seconds": statistics.median(times), "rss_mb": None})
    with tempfile.TemporaryDirectory(prefix="bench-all-") as tmp:
        work = Path(tmp)
        names = args.models or (list(MODELS[:2]) if args.quick else list(MODELS))
        for name, path, summary in _models(names, work):
            repeat = args.repeat if name == "kitakyushu" else 1
            for measure in args.only or MEASUREMENTS:
                row = {"model": name, "systems": summary["systems"], "flows": summary["flows"],
                       "controls": summary["controls"], "measurement": measure}
                try:
                    if measure == "cli_report":
                        out_dir = work / f"pack-{name}"
                        wall, rss, _ = _spawn_measured([python, "-m", "pia_analysis.cli", "report", str(path),
                                                        "--out", str(out_dir)], args.timeout)
                        shutil.rmtree(out_dir, ignore_errors=True)
                        row.update(seconds=wall, rss_mb=rss)
                    else:
                        cmd = [python, str(Path(__file__).resolve()), "--worker", measure, str(path),
                               "--trials", str(args.trials), "--repeat", str(repeat)]
                        _wall, rss, out = _spawn_measured(cmd, args.timeout)
                        found = json.loads(out.strip().splitlines()[-1])
                        row.update(seconds=found["seconds"], rss_mb=rss, rss_loaded_mb=found["rss_before_mb"])
                        if args.tracemalloc:
                            _w, _r, out = _spawn_measured(cmd + ["--traced"], args.timeout)
                            row["traced_peak_mb"] = json.loads(out.strip().splitlines()[-1])["traced_peak_mb"]
                except TimedOut:
                    row.update(seconds=None, rss_mb=None, timeout=args.timeout)
                results.append(row)
                _print_row(row)
    print()
    _print_table(results, args.tracemalloc)
    ok = _goals(results, args.trials)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0 if ok or not args.check else 1


def _seconds(row: dict) -> str:
    return f"{row['seconds']:.2f}" if row.get("seconds") is not None else f"> {row['timeout']:.0f}"


def _print_row(row: dict) -> None:
    rss = f"{row['rss_mb']:,.0f} MB" if row.get("rss_mb") else ""
    print(f"  {row['model']:<20} {row['measurement']:<20} {_seconds(row):>8} s  {rss}", file=sys.stderr, flush=True)


def _print_table(results: list[dict], traced: bool) -> None:
    header = (f"{'model':<20} {'systems':>8} {'flows':>7} {'measurement':<20} {'seconds':>9} {'peak RSS MB':>12} "
              f"{'loaded MB':>10}" + (f" {'traced MB':>10}" if traced else ""))
    print(header)
    print("-" * len(header))
    for r in results:
        systems = f"{r['systems']:,}" if "systems" in r else ""
        flows = f"{r['flows']:,}" if "flows" in r else ""
        rss = f"{r['rss_mb']:,.0f}" if r.get("rss_mb") else ""
        loaded = f"{r['rss_loaded_mb']:,.0f}" if r.get("rss_loaded_mb") else ""
        line = (f"{r['model']:<20} {systems:>8} {flows:>7} {r['measurement']:<20} {_seconds(r):>9} {rss:>12} "
                f"{loaded:>10}")
        if traced:
            line += f" {r['traced_peak_mb']:>10,.0f}" if "traced_peak_mb" in r else f" {'':>10}"
        print(line)
    print("(peak RSS: the whole process, interpreter and model included; loaded: after imports and the model load)")


def _goals(results: list[dict], trials: int) -> bool:
    def find(model: str, measure: str) -> dict | None:
        return next((r for r in results if r["model"] == model and r["measurement"] == measure), None)

    def done(row: dict | None) -> bool:
        return row is not None and row.get("seconds") is not None

    checks: list[tuple[str, bool]] = []
    imp = find("-", "import")
    checks.append((f"import pia_analysis < {GOAL_IMPORT_S:.0f} s: {imp['seconds']:.2f} s", imp["seconds"] < GOAL_IMPORT_S))
    kit = find("kitakyushu", "cli_report")
    if kit and not done(kit):
        checks.append((f"Kitakyushu report (whole process) < {GOAL_KITAKYUSHU_REPORT_S:.0f} s: did not finish", False))
    elif kit:
        checks.append((f"Kitakyushu report (whole process) < {GOAL_KITAKYUSHU_REPORT_S:.0f} s: {kit['seconds']:.2f} s",
                       kit["seconds"] < GOAL_KITAKYUSHU_REPORT_S))
    nat = find("national", "analysis")
    if nat and not done(nat):
        checks.append((f"national whole analysis < {GOAL_NATIONAL_ANALYSIS_S:.0f} s: did not finish", False))
    elif nat:
        checks.append((f"national whole analysis (load + analyse) < {GOAL_NATIONAL_ANALYSIS_S:.0f} s: "
                       f"{nat['seconds']:.1f} s", nat["seconds"] < GOAL_NATIONAL_ANALYSIS_S))
        checks.append((f"national whole analysis peak RSS < {GOAL_NATIONAL_ANALYSIS_MB:,.0f} MB: {nat['rss_mb']:,.0f} MB",
                       nat["rss_mb"] < GOAL_NATIONAL_ANALYSIS_MB))
    for model in sorted({r["model"] for r in results if r["model"] != "-"}):
        for base, label in (("monte_carlo", "default chunk"), ("monte_carlo_chunk", f"chunk={BOUND_CHUNK}")):
            one, five = find(model, base), find(model, base + "_x5")
            if done(one) and done(five):
                limit = one["rss_mb"] * MC_BOUND_FACTOR + MC_BOUND_SLACK_MB
                checks.append((f"{model}: Monte Carlo memory bounded, {label} ({5 * trials:,} trials: "
                               f"{five['rss_mb']:,.0f} MB, limit {limit:,.0f} MB from {trials:,} trials' "
                               f"{one['rss_mb']:,.0f} MB)", five["rss_mb"] <= limit))
    ok = True
    for text, met in checks:
        ok &= met
        print(f"goal: {text} — {'met' if met else 'MISSED'}")
    return ok


if __name__ == "__main__":
    sys.exit(main())
