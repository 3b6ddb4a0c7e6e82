"""The whole ``scenario --report`` pack (issue 14), through the CLI, on the bundled model and the town model.

A scenario's pack is the changed model's briefing with a ``delta/`` folder beside it; it goes to the council
as the briefing does, so it passes the same checks: every file written, no internal id in the council pages
(the PDF's text pages and key messages, briefing.md before its appendix: the helper of test_council_text),
no ``nan``/``None`` in any text output (the PDF, briefing.md, the tables, the delta folder's files), the
delta charts present in PNG and SVG, and a title that says which scenario the pack is about.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pia_analysis import analyse, bundled_model_path, load_model
from pia_analysis.cli import main
from pia_analysis.whatif.apply import apply_scenario
from pia_analysis.whatif.scenario import load_scenario
from test_council_text import BAD_WORDS, SCIENTIFIC, _ids_in, _page_texts

TOWN = Path(__file__).parent / "models" / "town"
REMOTE_WORK = Path(bundled_model_path()) / "scenarios" / "remote-work.yaml"
# The town's question: what if the counter reception system's access control failed and the planned log
# review were done? A control set missing, one implemented, one added (a new row: no before value).
TOWN_SCENARIO = """\
id: town-counter
title_ja: 窓口受付システムの認証が破られた場合（ログ確認は実施）
title_en: The counter reception system's log-in is broken (log review done)
set:
  controls:
    C-COUNTER: {status: missing}
    C-LOG: {status: implemented}
add:
  controls:
    - control_id: C-MFA
      name_ja: 多要素認証
      name_en: Multi-factor authentication
      mitigates: use-2
      applies_to: MADOGUCHI
      effectiveness: 0.6
      status: planned
      source: "assumption: test scenario"
"""
CASES = [(m, lang) for m in ("bundled", "town") for lang in ("ja", "en")]


def _scenario(name: str, tmp: Path) -> tuple[Path, Path]:
    if name == "bundled":
        return Path(bundled_model_path()), REMOTE_WORK
    path = tmp / "town-counter.yaml"
    path.write_text(TOWN_SCENARIO, encoding="utf-8")
    return TOWN, path


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    out = {}
    for name, lang in CASES:
        tmp = tmp_path_factory.mktemp(f"{name}-{lang}")
        model_path, scenario_path = _scenario(name, tmp)
        assert main(["scenario", str(model_path), str(scenario_path), "--report", str(tmp / "pack"),
                     "--lang", lang]) == 0
        model = load_model(model_path)
        scenario = load_scenario(scenario_path)
        changed = apply_scenario(model, scenario)
        out[name, lang] = (changed, analyse(changed), scenario, tmp / "pack")
    return out


@pytest.mark.parametrize("name, lang", CASES)
def test_every_file_of_the_pack_is_written(packs, name, lang):
    _changed, _analysis, _scenario_, pack = packs[name, lang]
    manifest = set(json.loads((pack / "manifest.json").read_text(encoding="utf-8"))["files"])
    expected = {"briefing.pdf", "briefing.md", "tables.xlsx", "delta/comparison.json", "delta/effects.csv",
                *(f"delta/{chart}.{ext}" for chart in ("exposure_delta", "coverage_delta") for ext in ("png", "svg")),
                *(f"charts/{chart}.png" for chart in ("dataflow", "exposure", "stage_coverage", "coverage_heatmap",
                                                       "risk_map", "rating_check"))}
    assert expected <= manifest, expected - manifest
    for rel in manifest:
        assert (pack / rel).stat().st_size > 0, rel
    for chart in ("exposure_delta", "coverage_delta"):
        assert (pack / "delta" / f"{chart}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name, lang", CASES)
def test_no_id_in_the_council_pages_of_a_scenario_pack(packs, name, lang):
    changed, analysis, scenario, pack = packs[name, lang]
    pages = _page_texts(pack, lang)
    md = (pack / "briefing.md").read_text(encoding="utf-8")
    appendix = "## 付録" if lang == "ja" else "## Appendix"
    texts = {"briefing.md": md.split(appendix)[0],
             **{f"PDF page {page}": pages[page] for page in ("cover", "messages", "questions", "findings")}}
    for where, text in texts.items():
        assert _ids_in(text, changed, analysis, lang) == [], f"{where}: {text[:2000]}"
    # the cover says which scenario the pack is about, by its title; in Japanese the scenario's id is no word
    # of the council pages either (in English "remote-work" is also the words of a name: remote-work terminal)
    assert ("シナリオ" if lang == "ja" else "scenario") in pages["cover"]
    assert scenario.title(lang)[:10] in pages["cover"]
    if lang == "ja":
        assert not re.search(rf"(?<![\w-]){re.escape(scenario.id)}(?![\w-])", pages["cover"] + texts["briefing.md"])


@pytest.mark.parametrize("name, lang", CASES)
def test_no_nan_in_any_text_of_a_scenario_pack(packs, name, lang):
    _changed, _analysis, _scenario_, pack = packs[name, lang]
    texts = {f"PDF {page}": text for page, text in _page_texts(pack, lang).items()}
    texts["briefing.md"] = (pack / "briefing.md").read_text(encoding="utf-8")
    for csv in sorted([*(pack / "tables").glob("*.csv"), pack / "delta" / "effects.csv"]):
        texts[csv.name] = csv.read_text(encoding="utf-8-sig")
    texts["comparison.json"] = (pack / "delta" / "comparison.json").read_text(encoding="utf-8")
    book = load_workbook(pack / "tables.xlsx", read_only=True)
    for sheet in book.worksheets:
        texts[f"tables.xlsx[{sheet.title}]"] = "\n".join(
            " | ".join("" if v is None else str(v) for v in row) for row in sheet.iter_rows(values_only=True))
    for where, text in texts.items():
        found = BAD_WORDS.findall(text.replace("null", "")) if where == "comparison.json" else BAD_WORDS.findall(text)
        if where == "comparison.json":  # JSON's own words (true/false/null) are not Python's
            found = [w for w in found if w in ("nan", "NaN", "None")]
        assert not found, f"{where}: {found[:5]}"
    for where in ("briefing.md", *(k for k in texts if k.startswith("PDF"))):
        assert not SCIENTIFIC.search(texts[where]), where
