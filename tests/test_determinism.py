"""The same model gives the same bytes: across runs, across PYTHONHASHSEED values, across input row order.

* ``pia-analysis report`` on the bundled model (a new process each time, ``python -m pia_analysis.cli``) run
  twice with PYTHONHASHSEED=0, once with 12345 and once with ``random``: every file of the pack (tables,
  PNG, SVG, PDF, xlsx, md) has the same SHA-256.
* A copy of the bundled model with the data rows of every CSV shuffled (fixed shuffle seed, header kept)
  gives the same pack bytes. The model's own tables keep the files' order (the loader mirrors the files);
  every analysis result is sorted independently of it. A fast in-process check of each analysis on
  shuffled tables says which one leaks the order, if one does.
* A small notebook calling the library (key messages, a table, three charts as PNG) executed with nbclient
  under two PYTHONHASHSEED values gives the same outputs, text and image bytes. (The committed notebooks
  run under nbval with PYTHONHASHSEED=0; this checks that their outputs do not hang on that seed.)

The seven processes run two at a time (this machine has two cores), started once for the module.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from pia_analysis import bundled_model_path, load_model

ROOT = Path(__file__).resolve().parent.parent
SHUFFLE_SEED = 20211109
TABLES = ("zones", "systems", "files", "flows", "controls", "risks", "ratings")


def digest(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root``, by relative path."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def shuffle_csv_rows(path: Path, rng: random.Random) -> None:
    """Rewrite a CSV with its data rows in a random order (the header stays first; quoting is kept)."""
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, data = rows[0], rows[1:]
    rng.shuffle(data)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *data])
    path.write_text(out.getvalue(), encoding="utf-8")


def shuffled_copy(dest: Path) -> Path:
    """A copy of data/ (the bundled model and the earlier versions its ``previous`` chain names) with the
    rows of every CSV of the bundled model shuffled; returns the copy of the bundled model."""
    shutil.copytree(ROOT / "data", dest, ignore=shutil.ignore_patterns("scenarios"))
    model_dir = dest / bundled_model_path().name
    rng = random.Random(SHUFFLE_SEED)
    for path in sorted(model_dir.glob("*.csv")):
        shuffle_csv_rows(path, rng)
    return model_dir


NOTEBOOK_CELLS = [
    "%matplotlib inline\n"
    "from IPython.display import display\n"
    "from pia_analysis import bundled_model_path, load_model\n"
    "from pia_analysis.analysis.pipeline import analyse\n"
    "from pia_analysis.outputs.briefing import chart_figures, key_messages, top_findings\n"
    "model = load_model(bundled_model_path())\n"
    "briefing = analyse(model, trials=2000)",
    "for message in key_messages(briefing, 'en'):\n    print(message)",
    "top_findings(briefing, 'ja')",
    "briefing.exposure[['system_id', 'exposure', 'path', 'reached_by', 'betweenness']]",
    "figures = chart_figures(briefing, 'ja')\n"
    "for name in ('dataflow', 'exposure', 'risk_map'):\n    display(figures[name])",
]


def write_notebook(path: Path) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in NOTEBOOK_CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


EXECUTE = """
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, kernel_name="python3", timeout=300, record_timing=False).execute()
nbformat.write(nb, sys.argv[2])
"""


def notebook_outputs(path: Path) -> list[list[dict]]:
    """Each cell's outputs: stream text, and every MIME bundle (text, HTML, PNG bytes as base64)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for cell in nb["cells"]:
        outputs = []
        for out in cell.get("outputs", []):
            kept = {"output_type": out["output_type"]}
            if "text" in out:
                kept["text"] = "".join(out["text"]) if isinstance(out["text"], list) else out["text"]
            for mime, value in out.get("data", {}).items():
                kept[mime] = "".join(value) if isinstance(value, list) else value
            outputs.append(kept)
        cells.append(outputs)
    return cells


def run(args: list[str], seed: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["PYTHONHASHSEED"] = seed
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """Every process of this module, two at a time: name -> its output (pack directory or notebook)."""
    work = tmp_path_factory.mktemp("determinism")
    shuffled = shuffled_copy(work / "shuffled-data")
    notebook = write_notebook(work / "small.ipynb")
    report = [sys.executable, "-m", "pia_analysis.cli", "report"]
    jobs = {
        "seed0-a": (report + [str(bundled_model_path()), "--out", str(work / "seed0-a")], "0"),
        "seed0-b": (report + [str(bundled_model_path()), "--out", str(work / "seed0-b")], "0"),
        "seed12345": (report + [str(bundled_model_path()), "--out", str(work / "seed12345")], "12345"),
        "seed-random": (report + [str(bundled_model_path()), "--out", str(work / "seed-random")], "random"),
        "shuffled": (report + [str(shuffled), "--out", str(work / "shuffled")], "0"),
        "notebook-0": ([sys.executable, "-c", EXECUTE, str(notebook), str(work / "nb-0.ipynb")], "0"),
        "notebook-4242": ([sys.executable, "-c", EXECUTE, str(notebook), str(work / "nb-4242.ipynb")], "4242"),
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run, args, seed, work) for name, (args, seed) in jobs.items()}
        done = {name: f.result() for name, f in futures.items()}
    for name, proc in done.items():
        assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    out = {name: work / name for name in jobs if not name.startswith("notebook")}
    out["notebook-0"] = work / "nb-0.ipynb"
    out["notebook-4242"] = work / "nb-4242.ipynb"
    return out


def assert_same_pack(a: Path, b: Path) -> None:
    da, db = digest(a), digest(b)
    assert sorted(da) == sorted(db)
    differ = sorted(name for name in da if da[name] != db[name])
    assert not differ, f"files differing between {a.name} and {b.name}: {differ}"


def test_pack_has_every_kind_of_file(runs):
    names = set(digest(runs["seed0-a"]))
    assert {"briefing.pdf", "briefing.md", "tables.xlsx", "charts/dataflow.png", "charts/dataflow.svg",
            "tables/exposure.csv", "tables/findings.csv"} <= names


def test_report_is_byte_identical_across_runs(runs):
    assert_same_pack(runs["seed0-a"], runs["seed0-b"])


@pytest.mark.parametrize("seed", ["seed12345", "seed-random"])
def test_report_is_byte_identical_across_hash_seeds(runs, seed):
    assert_same_pack(runs["seed0-a"], runs[seed])


def test_report_is_byte_identical_with_shuffled_input_rows(runs):
    assert_same_pack(runs["seed0-a"], runs["shuffled"])


def test_shuffled_copy_really_is_shuffled(tmp_path):
    model_dir = shuffled_copy(tmp_path / "data")
    original, shuffled = load_model(bundled_model_path()), load_model(model_dir)
    for name in TABLES:
        a, b = getattr(original, name), getattr(shuffled, name)
        key = a.columns[0]
        assert sorted(a[key]) == sorted(b[key]), name  # the same rows …
        if len(a) > 2:
            assert a[key].tolist() != b[key].tolist(), name  # … in another order (the loader mirrors the file)


def test_notebook_outputs_are_identical_across_hash_seeds(runs):
    first, second = notebook_outputs(runs["notebook-0"]), notebook_outputs(runs["notebook-4242"])
    assert len(first) == len(NOTEBOOK_CELLS)
    kinds = {mime for cell in first for out in cell for mime in out}
    assert {"image/png", "text/html", "text"} <= kinds  # PNG charts, a table, printed text
    assert sum(1 for cell in first for out in cell if "image/png" in out) == 3
    for i, (a, b) in enumerate(zip(first, second)):
        assert a == b, f"cell {i} differs: {NOTEBOOK_CELLS[i][:60]!r}"


# --- in process: which analysis, if any, keeps the input order ---------------------------------------


def shuffled_model(model, seed: int = SHUFFLE_SEED):
    """The same model with the rows of every table in another order (as if the files were shuffled)."""
    changes = {name: getattr(model, name).sample(frac=1, random_state=seed).reset_index(drop=True)
               for name in TABLES}
    return model.replace(**changes)


def analyses(model) -> dict[str, object]:
    from pia_analysis.charts import dataflow as charts
    from pia_analysis.analysis import coverage, exposure, findings, hardening, judgments, simulation

    out = {
        "node_exposure": exposure.node_exposure(model),
        "simulate_compromise": simulation.simulate_compromise(model, trials=2000, seed=3),
        "hardening_candidates": hardening.hardening_candidates(model),
        "min_cut": hardening.min_cut(model),
        "attack_paths": exposure.attack_paths(model, "JUKI_REC", k=3),
        "blast_radius": exposure.blast_radius(model, "STORE_KIOSK").systems,
        "stage_scope": coverage.stage_scope(model),
        "coverage_pairs": coverage.coverage_pairs(model),
        "stage_coverage": coverage.stage_coverage(model),
        "risk_coverage": coverage.risk_coverage(model),
        "coverage_matrix": coverage.coverage_matrix(model),
        "rating_check": coverage.rating_check(model),
        "find_findings": findings.find_findings(model, include_all=True),
        "section3_table": judgments.section3_table(model),
        "dataflow_geometry": charts.dataflow_geometry(model),
        "dataflow_dot": charts.dataflow_dot(model, exposure.node_exposure(model)),
    }
    out["hardening_attrs"] = dict(out["hardening_candidates"].attrs)
    return out


def test_every_analysis_ignores_the_order_of_the_rows():
    model = load_model(bundled_model_path())
    first, second = analyses(model), analyses(shuffled_model(model))
    for name, value in first.items():
        other = second[name]
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(value, other, check_exact=True, obj=name)
        else:
            assert value == other, name


def test_large_model_summaries_ignore_the_order_of_the_rows():
    """A model too large to draw system by system (the charts summarise it: docs/charts.md, "Large
    models") gives the same tables and the same charts whatever the order of its rows."""
    import matplotlib as mpl

    from pia_analysis.charts import dataflow as charts
    from pia_analysis.analysis.pipeline import analyse
    from pia_analysis.outputs import briefing as report
    from pia_analysis.synthetic import national_model

    model = national_model(municipalities=12)  # 200 systems: above every chart's limit
    assert len(model.systems) > charts.DATAFLOW_MAX_SYSTEMS

    def pack(m) -> dict[str, bytes]:
        a = analyse(m, trials=1000)
        out = {name: t.to_csv().encode() for name, t in a.tables().items()}
        out["messages"] = "\n".join(report.key_messages(a)).encode()
        figures = report.chart_figures(a)
        for name in ("dataflow", "exposure", "coverage_heatmap", "risk_map"):
            buf = io.BytesIO()
            with mpl.rc_context({"svg.hashsalt": "test"}):
                figures[name].savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
            out[name] = buf.getvalue()
        return out

    first, second = pack(model), pack(shuffled_model(model))
    assert [k for k in first if first[k] != second[k]] == []
