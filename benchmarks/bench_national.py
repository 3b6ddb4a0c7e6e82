"""Benchmark of the national portfolio: many synthetic cities on 1 and 2 workers (a script, not a test).

Writes ``--cities`` synthetic city workspaces (:func:`pia_analysis.synthetic.synthetic_cities`: by default
1,741, the number of Japan's municipalities, each with 3 affairs sharing the 統合宛名, the 中間サーバー and
コンビニ交付) into a temporary folder, times one city alone, then runs
:func:`pia_analysis.whatif.parallel.run_cities` with :func:`~pia_analysis.whatif.parallel.city_summary`
(``--trials`` Monte Carlo trials per affair, default 100,000) on each ``--workers`` count (default 1 and 2),
and prints the wall time (``time.perf_counter``, pool start-up included), the speed-up over the first count,
the CPU time the run used (this process and the pool's processes: ``getrusage``; on a loaded machine the
wall time shows the cores that were free, the CPU time the work), and whether every run gave the same bytes
(``to_csv``). With ``--scheduler local`` the runs go to a Dask
LocalCluster instead of the process pool.

The full run takes about 15 min on one worker of a 2-CPU machine; ``--cities 200`` measures a subset (the
time per city is steady, so the full run is about that × 1,741 / 200). Run it from the repository root::

    PYTHONHASHSEED=0 .venv/bin/python benchmarks/bench_national.py                  # 1,741 cities, 1 and 2 workers
    PYTHONHASHSEED=0 .venv/bin/python benchmarks/bench_national.py --cities 200 --workers 1 2
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

from pia_analysis.synthetic import NATIONAL_MUNICIPALITIES, synthetic_cities
from pia_analysis.whatif.parallel import city_summary, run_cities


def machine() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}, Python "
            f"{platform.python_version()}; load average {load}")


def cpu_seconds() -> float:
    """User + system CPU time of this process and of its finished children (the pool's processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cities", type=int, default=NATIONAL_MUNICIPALITIES, help="synthetic cities (default 1741)")
    parser.add_argument("--affairs", type=int, default=3, help="affairs per city (default 3)")
    parser.add_argument("--trials", type=int, default=100_000, help="Monte Carlo trials per affair")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to measure")
    parser.add_argument("--scheduler", default=None, help="'local' for a Dask LocalCluster (the dask extra)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        cities = synthetic_cities(Path(tmp) / "cities", args.cities, affairs=args.affairs, seed=args.seed)
        print(f"wrote {len(cities)} synthetic cities × {args.affairs} affairs in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        one = city_summary(cities[0], trials=args.trials, seed=args.seed)
        alone = time.perf_counter() - start
        print(f"one city alone ({len(one)} affairs, {args.trials:,} trials each, in this process): {alone:.2f} s "
              f"→ {alone * len(cities) / 60:.1f} min for {len(cities)} on one worker, if steady")
        times: dict[int, float] = {}
        outputs: dict[int, str] = {}
        for workers in args.workers:
            start, cpu = time.perf_counter(), cpu_seconds()
            table = run_cities(city_summary, cities, workers=workers, scheduler=args.scheduler, trials=args.trials,
                               seed=args.seed)
            times[workers] = time.perf_counter() - start
            cpu = cpu_seconds() - cpu
            outputs[workers] = table.to_csv()
            first = args.workers[0]
            speed = times[first] / times[workers]
            print(f"{workers} worker(s){' (Dask local)' if args.scheduler else ''}: {len(table):,} affairs in "
                  f"{times[workers]:.1f} s ({times[workers] / len(cities) * 1000:.0f} ms per city); speed-up over "
                  f"{first}: {speed:.2f}×; CPU {cpu:.1f} s ({cpu / times[workers]:.2f} cores busy on average); load "
                  f"average now {os.getloadavg()[0]:.2f}", flush=True)
        same = len(set(outputs.values())) == 1
        print(f"identical bytes across worker counts: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
