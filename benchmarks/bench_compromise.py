"""Benchmark of the exact compromise probability (a script, not a test; issue 17).

Times :func:`pia_analysis.compromise_probability` (BDDs with dd, pure Python) on the bundled Kitakyushu model
and on a synthetic model of about 1,000 systems (:func:`pia_analysis.synthetic.synthetic_model`), plus
``control_importance`` and ``fix_first`` on Kitakyushu, and prints the median wall time of a few runs
(``time.perf_counter``; the first run includes importing dd) with how many systems came out exact,
bounded or sampled, beside the goals:

* exact on Kitakyushu in under 0.1 s;
* a 1,000-system model, exact where the per-system variable count allows and bounded otherwise, in
  under 5 s.

Run it from the repository root::

    PYTHONHASHSEED=0 .venv/bin/python benchmarks/bench_compromise.py
    PYTHONHASHSEED=0 .venv/bin/python benchmarks/bench_compromise.py --repeat 1 --check

With ``--check`` the exit status is 1 when a goal is missed (the default only reports).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable

from pia_analysis import bundled_model_path, compromise_probability, control_importance, fix_first, load_model
from pia_analysis.synthetic import synthetic_model

GOAL_KITAKYUSHU = 0.1  # seconds, exact on Kitakyushu
GOAL_1000 = 5.0  # seconds, ~1,000 systems, exact or bounded


def median_time(func: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median wall time of ``repeat`` calls and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median reported)")
    parser.add_argument("--municipalities", type=int, default=90, help="synthetic size (90 → 999 systems)")
    parser.add_argument("--trials", type=int, default=0, help="Monte Carlo trials for the bounded systems")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args(argv)
    print(f"python {platform.python_version()} on {platform.machine()}, {args.repeat} run(s) each (median)")
    import dd.autoref  # noqa: F401  (imported once here, as the analysis would in a session)

    ok = True
    kitakyushu = load_model(bundled_model_path())
    seconds, table = median_time(lambda: compromise_probability(kitakyushu), args.repeat)
    print(f"kitakyushu-juki-r3: {len(table)} systems, {table['method'].value_counts().to_dict()}, "
          f"{seconds:.3f} s (goal < {GOAL_KITAKYUSHU} s)")
    ok &= seconds < GOAL_KITAKYUSHU
    for name, func in (("control_importance", lambda: control_importance(kitakyushu)),
                       ("fix_first k=5", lambda: fix_first(kitakyushu, 5))):
        seconds, _ = median_time(func, args.repeat)
        print(f"kitakyushu-juki-r3 {name}: {seconds:.3f} s")
    model = synthetic_model(args.municipalities, seed=0)
    seconds, table = median_time(lambda: compromise_probability(model, trials=args.trials), args.repeat)
    bounded = table.loc[table["method"] != "exact"]
    width = (bounded["high"] - bounded["low"]).median() if len(bounded) else 0.0
    print(f"synthetic {args.municipalities} municipalities: {len(model.systems)} systems, {len(model.flows)} flows, "
          f"{table['method'].value_counts().to_dict()}, median bound width {width:.3f}, {seconds:.2f} s "
          f"(goal < {GOAL_1000} s)")
    ok &= seconds < GOAL_1000
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
