"""Benchmark of one city of 30 affairs, validated and analysed (a script, not a test).

Writes one synthetic city workspace with ``--affairs`` affairs (default 30: :func:`pia_analysis.synthetic.
synthetic_cities`, the example city's 住民基本台帳, 個人住民税 and 国民健康保険 in turn around one shared part)
and times, each as the median of ``--repeat`` runs in this process (``time.perf_counter``, after one run to
warm the imports):

* ``validate`` — ``load_workspace`` (the index, the shared part and every affair's model checked and loaded);
* ``validate+analyse`` — :func:`~pia_analysis.whatif.parallel.city_summary` (load, then per affair the required
  form, the re-run date, ``node_exposure``, ``stage_coverage`` and ``simulate_compromise`` of the most exposed
  holder with ``--trials`` trials): the goal, under 5 s;
* ``cross_affair_exposure`` — exposure through the shared systems, on the city model (for information).

Run it from the repository root::

    PYTHONHASHSEED=0 .venv/bin/python benchmarks/bench_city.py [--check]

With ``--check`` the exit status is 1 when the goal is missed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pia_analysis import cross_affair_exposure, load_workspace
from pia_analysis.synthetic import synthetic_cities
from pia_analysis.whatif.parallel import city_summary

GOAL = 5.0  # seconds: a city of 30 affairs validated and analysed


def median_time(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--affairs", type=int, default=30)
    parser.add_argument("--trials", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--check", action="store_true", help="exit 1 when the goal is missed")
    args = parser.parse_args(argv)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}, Python "
          f"{platform.python_version()}; load average {load}")
    with tempfile.TemporaryDirectory() as tmp:
        (city,) = synthetic_cities(Path(tmp) / "cities", 1, affairs=args.affairs, seed=0)
        city_summary(city, trials=1_000)  # warm the imports
        validate = median_time(lambda: load_workspace(city), args.repeat)
        analyse = median_time(lambda: city_summary(city, trials=args.trials), args.repeat)
        ws = load_workspace(city)
        cross = median_time(lambda: cross_affair_exposure(ws), args.repeat)
    print(f"city of {args.affairs} affairs: validate {validate:.2f} s; validate+analyse ({args.trials:,} trials per "
          f"affair) {analyse:.2f} s (goal < {GOAL:.0f} s: {'met' if analyse < GOAL else 'MISSED'}); "
          f"cross_affair_exposure {cross:.2f} s")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 1 if args.check and analyse >= GOAL else 0


if __name__ == "__main__":
    sys.exit(main())
