"""The images of docs/charts.md (issue 14): drawn by scripts/doc_images.py, present, small, deterministic.

The script is rerun into a temporary folder: it writes every image it lists, each under 150 KB and all
under 1.5 MB; every image docs/charts.md shows is one it writes and is committed under docs/images; and
saving the same figure twice gives the same bytes.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "doc_images.py"


def _script():
    spec = importlib.util.spec_from_file_location("doc_images", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_script_writes_every_image_small(tmp_path):
    out = tmp_path / "img"
    run = subprocess.run([sys.executable, str(SCRIPT), str(out)], capture_output=True, text=True,
                         cwd=ROOT, env={"PYTHONHASHSEED": "0", "PATH": "", "PYTHONPATH": str(ROOT)}, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    module = _script()
    names = [p[0] for p in module.PAGES] + [d[0] for d in module.DELTA]
    written = sorted(p.name for p in out.glob("*.png"))
    assert written == sorted(names)
    sizes = {p.name: p.stat().st_size for p in out.glob("*.png")}
    assert max(sizes.values()) < 150 * 1024, sizes
    assert sum(sizes.values()) < 1.5 * 1024 * 1024, sizes
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in out.glob("*.png"))


def test_every_image_of_charts_md_is_written_by_the_script_and_committed():
    module = _script()
    names = {p[0] for p in module.PAGES} | {d[0] for d in module.DELTA}
    shown = set(re.findall(r"images/([\w.-]+\.png)", (ROOT / "docs" / "charts.md").read_text(encoding="utf-8")))
    assert shown and shown <= names, shown - names
    for name in names:
        path = ROOT / "docs" / "images" / name
        assert path.exists() and path.stat().st_size < 150 * 1024, name
    # the pack's order, bottom line first: the pages are listed as the PDF has them
    pages = [p[3] for p in module.PAGES]
    from pia_analysis.outputs.briefing import PDF_PAGES
    order = ("cover", *PDF_PAGES)
    assert [order.index(p) for p in pages] == sorted(order.index(p) for p in pages)


def test_the_same_figure_gives_the_same_bytes(tmp_path):
    from pia_analysis.charts.style import use_japanese_fonts
    module = _script()
    use_japanese_fonts()
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [1, 0])
    ax.set_title("取扱いプロセス（入手）")
    try:
        module.save_small(fig, tmp_path / "a.png")
        module.save_small(fig, tmp_path / "b.png")
    finally:
        plt.close(fig)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
