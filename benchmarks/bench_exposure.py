"""Benchmark of the exposure analysis (a script, not a test).

Times :func:`pia_analysis.analysis.exposure.node_exposure` and :func:`pia_analysis.analysis.simulation.simulate_compromise`
(100,000 trials) on the bundled Kitakyushu model and on synthetic models of about 1,000 and 10,000
systems (:func:`pia_analysis.synthetic.synthetic_model`), and prints the median wall time of a few runs
(``time.perf_counter``) beside the goals:

* ``node_exposure`` on 10,000 systems under 5 s;
* 100,000 Monte Carlo trials on Kitakyushu under 1 s.

Run it from the repository root::

    PYTHONHASHSEED=0 .venv/bin/python benchmarks/bench_exposure.py            # 3 runs each
    PYTHONHASHSEED=0 .venv/bin/python benchmarks/bench_exposure.py --repeat 1 --check

With ``--check`` the exit status is 1 when a goal is missed (the default only reports).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

from pia_analysis import bundled_model_path, load_model
from pia_analysis.analysis.attack_graph import attack_graph
from pia_analysis.analysis.exposure import node_exposure
from pia_analysis.analysis.simulation import simulate_compromise
from pia_analysis.model.model import Model
from pia_analysis.synthetic import synthetic_model

GOAL_NODE_EXPOSURE_10K = 5.0  # seconds, node_exposure on ~10,000 systems
GOAL_MONTE_CARLO_KITAKYUSHU = 1.0  # seconds, 100,000 trials on Kitakyushu


def median_time(func: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` calls (after nothing: the first call counts, as a user's would)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median reported)")
    parser.add_argument("--trials", type=int, default=100_000, help="Monte Carlo trials")
    parser.add_argument("--municipalities", type=int, nargs="*", default=[90, 909],
                        help="synthetic model sizes in municipalities (90 → 999 systems, 909 → 10,008)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args(argv)

    models: list[tuple[str, Model]] = [("kitakyushu-juki-r3", load_model(bundled_model_path()))]
    for count in args.municipalities:
        start = time.perf_counter()
        model = synthetic_model(count, seed=0)
        print(f"built synthetic model of {count} municipalities in {time.perf_counter() - start:.2f} s",
              file=sys.stderr)
        models.append((f"synthetic-{count}", model))

    print(f"Python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, "
          f"median of {args.repeat} run(s), {args.trials:,} Monte Carlo trials")
    header = f"{'model':<20} {'systems':>8} {'flows':>7} {'arcs':>7} {'node_exposure s':>16} {'monte_carlo s':>14}"
    print(header)
    print("-" * len(header))
    results: dict[str, tuple[int, float, float]] = {}
    for name, model in models:
        arcs = attack_graph(model).number_of_edges()
        t_exposure = median_time(lambda m=model: node_exposure(m), args.repeat)
        t_mc = median_time(lambda m=model: simulate_compromise(m, trials=args.trials, seed=0), args.repeat)
        results[name] = (len(model.systems), t_exposure, t_mc)
        print(f"{name:<20} {len(model.systems):>8,} {len(model.flows):>7,} {arcs:>7,} {t_exposure:>16.3f} {t_mc:>14.3f}",
              flush=True)

    print()
    ok = True
    kit = results["kitakyushu-juki-r3"]
    if args.trials == 100_000:
        met = kit[2] < GOAL_MONTE_CARLO_KITAKYUSHU
        ok &= met
        print(f"goal: 100,000 trials on Kitakyushu < {GOAL_MONTE_CARLO_KITAKYUSHU:.0f} s: "
              f"{kit[2]:.3f} s — {'met' if met else 'MISSED'}")
    big = [(n, t) for n, (systems, t, _mc) in results.items() if systems >= 9_000]
    for name, t in big:
        met = t < GOAL_NODE_EXPOSURE_10K
        ok &= met
        print(f"goal: node_exposure on ~10,000 systems < {GOAL_NODE_EXPOSURE_10K:.0f} s ({name}): "
              f"{t:.3f} s — {'met' if met else 'MISSED'}")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
