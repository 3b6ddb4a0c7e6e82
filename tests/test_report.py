"""The briefing pack: contents, byte-identical re-runs, the PDF's pages and text, atomic replacement."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from broken_cases import TINY
from pia_analysis import bundled_model_path, load_model
from pia_analysis.analysis.pipeline import analyse
from pia_analysis.outputs.briefing import PDF_PAGES, key_messages, write_report

ROOT = Path(__file__).resolve().parent.parent
CHARTS = ("dataflow", "exposure", "stage_coverage", "coverage_heatmap", "risk_map", "rating_check")


def digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def kitakyushu():
    return load_model(bundled_model_path())


@pytest.fixture(scope="module")
def pack(tmp_path_factory, kitakyushu) -> Path:
    return write_report(kitakyushu, tmp_path_factory.mktemp("r") / "pack")


def test_pack_contains_every_file(pack: Path):
    for name in CHARTS:
        assert (pack / "charts" / f"{name}.png").stat().st_size > 10_000
        assert (pack / "charts" / f"{name}.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    for name in ("exposure", "monte_carlo", "loss_exceedance", "hardening", "stage_coverage", "risk_coverage",
                 "coverage_matrix", "rating_check", "findings", "section3", "review_schedule"):
        raw = (pack / "tables" / f"{name}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), f"{name}.csv needs a BOM for Excel"
    sheets = pd.read_excel(pack / "tables.xlsx", sheet_name=None)
    assert list(sheets)[:4] == ["exposure", "monte_carlo", "loss_exceedance", "hardening"]
    assert len(sheets["exposure"]) == 20
    md = (pack / "briefing.md").read_text(encoding="utf-8")
    assert md.startswith("# 北九州市 住民基本台帳に関する事務")
    assert "## 主なメッセージ" in md


def test_exposure_table_says_which_measure_each_probability_is(pack: Path):
    table = pd.read_csv(pack / "tables" / "exposure.csv", encoding="utf-8-sig").set_index("system_id")
    assert list(table.columns[list(table.columns).index("exposure"):][:6]) == [
        "exposure", "exposure_measure", "compromise_probability", "compromise_low", "compromise_high",
        "compromise_measure"]
    assert set(table["exposure_measure"]) == {"最も起こりやすい経路（下限）"}
    assert set(table["compromise_measure"]) == {"厳密な確率"}  # Kitakyushu is exact everywhere
    # the path is a lower bound of the exact probability; JUKI_REC: 2.5 % by its path, more by any path
    assert (table["exposure"] <= table["compromise_probability"] + 1e-12).all()
    assert table.at["JUKI_REC", "compromise_probability"] > table.at["JUKI_REC", "exposure"] == 0.025
    md = (pack / "briefing.md").read_text(encoding="utf-8")
    assert "最も起こりやすい経路の年間確率（下限）" in md and "厳密な確率" in md


def test_loss_exceedance_table_is_per_trial(pack: Path):
    curve = pd.read_csv(pack / "tables" / "loss_exceedance.csv", encoding="utf-8-sig")
    assert curve["records"].is_monotonic_increasing and curve["probability"].is_monotonic_decreasing
    assert curve["records"].iloc[0] == 932_000  # one My Number file: its records
    # people, not records added over files: never more than the model's largest file (the city's residents)
    assert curve["records"].iloc[-1] == 932_000 == max(load_model(bundled_model_path()).my_number_people.values())
    assert not curve.isna().any().any()


def test_png_is_200_dpi(pack: Path):
    from PIL import Image

    with Image.open(pack / "charts" / "exposure.png") as im:
        dpi = im.info.get("dpi")
    assert dpi is not None and round(dpi[0]) == 200


def test_pdf_pages_and_text(pack: Path, kitakyushu):
    reader = PdfReader(pack / "briefing.pdf")
    assert len(reader.pages) >= 1 + len(PDF_PAGES)  # the appendix continues over as many pages as it needs
    cover = reader.pages[0].extract_text()
    assert "住民基本台帳に関する事務" in cover
    assert "932,000" in cover
    assert "全項目評価" in cover
    # the bottom line first: the key messages right after the cover; the appendix of names and ids last
    assert "主なメッセージ" in reader.pages[1].extract_text()
    appendix = "".join(page.extract_text() for page in reader.pages[len(PDF_PAGES):])
    assert "付録" in reader.pages[len(PDF_PAGES)].extract_text() and "JUKI_REC" in appendix
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height), "A4 landscape"
    assert abs(float(box.width) - 11.69 * 72) < 2 and abs(float(box.height) - 8.27 * 72) < 2


def test_second_run_is_byte_identical(tmp_path: Path, kitakyushu, pack: Path):
    again = write_report(kitakyushu, tmp_path / "again")
    assert digest(again) == digest(pack)


def test_english_pack(tmp_path: Path):
    out = write_report(load_model(TINY), tmp_path / "en", lang="en")
    text = PdfReader(out / "briefing.pdf").pages[1].extract_text()
    assert "Key messages" in text
    assert "1,500 people" in (out / "briefing.md").read_text(encoding="utf-8")


def test_key_messages_say_what_the_minutes_say(kitakyushu):
    msgs = key_messages(analyse(kitakyushu, trials=2000), lang="ja")
    assert msgs[0] == "対象人数 932,000 人のため、全項目評価＋基礎項目評価が必要です。"
    # the store kiosk cannot reach the city's register (the feed to the issuance server is one-way)
    assert any(m.startswith("コンビニ店舗のマルチコピー機からは、市が運用する特定個人情報の保有システム") for m in msgs), msgs


def test_failed_run_leaves_the_previous_pack_intact(tmp_path: Path, monkeypatch):
    model = load_model(TINY)
    out = write_report(model, tmp_path / "pack")
    before = digest(out)
    import pia_analysis.outputs.briefing as report

    def boom(*_a, **_k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report, "write_xlsx", boom)
    with pytest.raises(RuntimeError):
        write_report(model, out)
    assert digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack"], "no partial directory left behind"


def test_cli_report_shows_progress_and_where(tmp_path: Path):
    env = dict(os.environ, PYTHONHASHSEED="0")
    proc = subprocess.run([sys.executable, "-m", "pia_analysis.cli", "report", str(TINY), "--out", str(tmp_path / "p"),
                           "--lang", "en"], capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "[1/5]" in proc.stderr and "[5/5]" in proc.stderr
    assert f"briefing pack written to {tmp_path / 'p'}" in proc.stdout


def test_papermill_runs_the_briefing_notebook_on_another_model(tmp_path: Path):
    import papermill as pm

    out = tmp_path / "briefing_tiny.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks" / "04_council_briefing.ipynb"), str(out), kernel_name="python3",
                        parameters={"MODEL_PATH": str(TINY), "LANG": "en", "TRIALS": 2000},
                        cwd=str(ROOT / "notebooks"), progress_bar=False)
    import nbformat

    nb = nbformat.read(out, as_version=4)
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "A tiny test model" in text
    assert "• 1,500 people in the files: a" in text
    assert not any(o.get("output_type") == "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 7  # the seven charts of the pack, the loss-exceedance curve among them
