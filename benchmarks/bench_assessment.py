"""Benchmark of the 評価書 documents (a script, not a test; issue 15).

Two measurements, each in a fresh Python process (imports not counted; the time of ``write_assessment`` after
the model is in memory, and of its steps):

* ``kitakyushu`` — the bundled Kitakyushu model, ``form="auto"``: the 基礎項目評価書 and the 全項目評価書 (xlsx and
  PDF each), completeness tables and the pack's manifest; goal < 5 s;
* ``synthetic-1000`` — :func:`pia_analysis.synthetic.synthetic_model` with 90 municipalities (999 systems, 270 files
  with My Numbers; the 全項目評価書 has some 18,700 rows and 1.7 million characters), the same; goal < 30 s.

Run it from the repository root::

    PYTHONPATH=. .venv/bin/python benchmarks/bench_assessment.py [--check]

``--check`` exits 1 when a goal is missed. The figures go in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOALS = {"kitakyushu": 5.0, "synthetic-1000": 30.0}

CHILD = r"""
import json, sys, time
from pathlib import Path
from pia_analysis import bundled_model_path, load_model, synthetic_model
from pia_analysis.outputs.assessment import write_assessment

which, out = sys.argv[1], Path(sys.argv[2])
model = load_model(bundled_model_path()) if which == "kitakyushu" else synthetic_model(90)
steps, start = [], time.perf_counter()
summary = write_assessment(model, out, progress=lambda msg: steps.append((msg, time.perf_counter() - start)))
total = time.perf_counter() - start
sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir())}
print(json.dumps({"seconds": total, "steps": steps, "summary": summary, "sizes": sizes,
                  "systems": len(model.systems)}, ensure_ascii=False))
"""


def measure(which: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([sys.executable, "-c", CHILD, which, str(Path(tmp) / "out")], cwd=ROOT,
                              capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()
    missed = False
    for which, goal in GOALS.items():
        result = measure(which)
        ok = result["seconds"] < goal
        missed |= not ok
        print(f"{which}: {result['systems']:,} systems, {result['seconds']:.1f} s (goal < {goal:.0f} s) "
              f"{'ok' if ok else 'MISSED'}")
        for msg, at in result["steps"]:  # the time each file was started (the answers come first)
            print(f"  {at:6.1f} s  start {msg}")
        print(f"  {result['seconds']:6.1f} s  done (the completeness tables and the manifest last)")
        for name, size in result["sizes"].items():
            print(f"  {name}: {size:,} bytes")
        for line in result["summary"].values():
            print(f"  {line}")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
