"""The briefing says which measure each probability is and what to fix first (issue 17, user trial).

The trial found the PDF quoting the most likely path's 2.4 % as 「その想定確率」 for a register whose exact
probability is 4.5 %, never saying 厳密 or 下限, and no word anywhere on what to fix first. These tests read the
pack of the town model (``tests/models/town``) and the key messages of the bundled model.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from pia_analysis import analyse, bundled_model_path, compromise_probability, key_messages, load_model, write_report
from pia_analysis.outputs.briefing import PDF_PAGES, TEXT_PAGES
from pia_analysis.outputs.wording import CouncilWords, measured_probability
from pia_analysis.util.words import percent

TOWN = Path(__file__).parent / "models" / "town"


@pytest.fixture(scope="module")
def town():
    model = load_model(TOWN)
    return model, analyse(model)


@pytest.fixture(scope="module")
def pack(tmp_path_factory, town):
    return write_report(town[0], tmp_path_factory.mktemp("town") / "pack")


def _pages(pack: Path) -> dict[str, str]:
    reader = PdfReader(pack / "briefing.pdf")
    texts = ["".join((p.extract_text() or "").splitlines()) for p in reader.pages]
    return dict(zip(("cover", *PDF_PAGES), texts))


def _top_holder(a):
    """The My Number holder of the largest probability of compromise by any path (then path, then id)."""
    comp = a.compromise.set_index("system_id")
    holders = a.exposure.loc[a.exposure["holds_my_number"] & (a.exposure["exposure"] > 0)]
    rows = [(-float(comp.at[s, "probability"]), -float(e), s) for s, e in zip(holders["system_id"], holders["exposure"])]
    return sorted(rows)[0][2]


def test_the_key_message_quotes_the_exact_probability_and_the_path_as_its_lower_bound(town):
    model, a = town
    sid = _top_holder(a)
    comp = a.compromise.set_index("system_id").loc[sid]
    path = float(a.exposure.set_index("system_id").at[sid, "exposure"])
    assert comp["method"] == "exact" and float(comp["probability"]) > path  # two paths: the exact value is larger
    name = CouncilWords(model, "ja").name(sid)
    message = next(m for m in key_messages(a, "ja") if m.startswith("最も到達されやすい"))
    assert name in message
    assert f"年 {percent(float(comp['probability']))}（厳密な確率）" in message
    assert f"年 {percent(path)}（下限）" in message
    # the path's figure is never given as the probability itself
    assert f"その想定確率は年 {percent(path)}" not in message
    en = next(m for m in key_messages(a, "en") if m.startswith("The system holding My Number files most likely"))
    assert f"{percent(float(comp['probability']), 'en')} a year (exact probability)" in en
    assert f"{percent(path, 'en')} a year (a lower bound)" in en


def test_a_sampled_or_bounded_holder_is_quoted_with_its_measure():
    model = load_model(bundled_model_path())
    a = analyse(model, trials=2000, only=("exposure", "compromise", "judgments", "coverage", "findings",
                                           "unreachable", "hardening", "fix_first"))
    for kwargs, word in (({"max_variables": 3, "trials": 2000}, "標本推定、95%区間"), ({"max_variables": 3}, "上下限")):
        changed = dataclasses.replace(a, compromise=compromise_probability(model, **kwargs))
        message = next(m for m in key_messages(changed, "ja") if m.startswith("最も到達されやすい"))
        assert word in message and "（下限）" in message, message
        assert "厳密な確率" not in message


def test_the_pdf_and_the_markdown_say_the_measure_and_carry_the_exact_probabilities(town, pack):
    model, a = town
    pages = _pages(pack)
    whole = "".join(pages.values())
    assert "厳密" in whole and "下限" in whole
    holders = pages["probabilities"]
    md = (pack / "briefing.md").read_text(encoding="utf-8")
    words = CouncilWords(model, "ja")
    comp = a.compromise.set_index("system_id")
    exact = comp.loc[comp["method"] == "exact"]
    held = a.exposure.loc[a.exposure["holds_my_number"], "system_id"]
    for sid in held:
        if sid in exact.index:
            assert words.name(sid) in holders
            assert percent(float(exact.at[sid, "probability"])) in holders
            assert re.search(rf"\| {re.escape(words.name(sid))} \| {re.escape(percent(float(exact.at[sid, 'probability'])))}"
                             r" \| 厳密な確率 \|", md), sid
    # the measures are explained where they are named
    assert "厳密な確率: " in holders and "> 厳密な確率: " in md
    assert "probabilities" in TEXT_PAGES and "fix_first" in TEXT_PAGES


def test_what_to_fix_first_is_in_the_pdf_the_markdown_and_the_tables(town, pack):
    model, a = town
    plan = a.fix_first
    assert len(plan) >= 1
    words = CouncilWords(model, "ja")
    first = words.name(plan["id"].iloc[0])
    page = _pages(pack)["fix_first"]
    assert "まず直すもの" in page and first in page and "人分" in page and "最小カット" in page
    assert "期待値: " in page  # the expected value explained on the page
    md = (pack / "briefing.md").read_text(encoding="utf-8")
    assert "## まず直すもの" in md and first in md.split("## まず直すもの")[1]
    # a key message gives the first step and the share it removes
    message = next(m for m in key_messages(a, "ja") if m.startswith("まず直すべきは"))
    share = percent(float(plan["fall"].iloc[0]) / plan.attrs["expected_records_before"])
    assert first in message and f"{share} 下がり" in message
    # the analysts' tables, ids kept, the same figures
    csv = pd.read_csv(pack / "tables" / "fix_first.csv", encoding="utf-8-sig")
    assert csv["id"].tolist() == plan["id"].tolist()
    assert csv["cumulative_fall"].tolist() == pytest.approx(plan["cumulative_fall"].tolist())
    importance = pd.read_csv(pack / "tables" / "control_importance.csv", encoding="utf-8-sig")
    assert set(importance["control_id"]) == set(a.control_importance["control_id"])
    sheets = load_workbook(pack / "tables.xlsx", read_only=True).sheetnames
    assert "fix_first" in sheets and "control_importance" in sheets


def test_the_markdown_has_the_loss_curve_the_pdf_has(town, pack):
    _model, a = town
    md = (pack / "briefing.md").read_text(encoding="utf-8")
    assert "## 損失超過曲線" in md
    section = md.split("## 損失超過曲線")[1].split("\n## ")[0]
    for r in a.loss_exceedance.itertuples(index=False):
        assert f"| {int(r.records):,} | {percent(float(r.probability))}（95%区間" in section
    assert "モンテカルロ法" in section and "人分" in section


def test_measured_probability_says_the_measure():
    assert measured_probability(0.045, "exact") == "年 4.5%（厳密な確率）"
    assert measured_probability(0.024, "path", lang="en") == "2.4% a year (a lower bound)"
    assert measured_probability(float("nan"), "bounds", 0.02, 0.03, "en") == "2%–3% a year (lower and upper bounds)"
