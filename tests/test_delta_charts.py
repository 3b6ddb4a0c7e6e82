"""The delta charts of a scenario (issue 14): names, percentages, the pack's terms and 禁則 in every label.

The scenario pack goes to the council: a system is named, never its id; a note beside a bar says what
changed in words; every wrapped label is broken by ``style.wrap_text`` (measured, with 禁則), so a name such
as 「委託先保守端末（庁内の保守業者用）」 never leaves 「）」 at the head of a line — as a fixed count of
characters (``textwrap.fill``) did.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from matplotlib.text import Text

from pia_analysis import bundled_model_path, load_model
from pia_analysis.charts import style
from pia_analysis.charts.delta import coverage_delta_figure, exposure_delta_figure
from pia_analysis.outputs.wording import model_ids
from pia_analysis.whatif.apply import apply_scenario
from pia_analysis.whatif.compare import compare
from pia_analysis.whatif.scenario import load_scenario

TOWN = Path(__file__).parent / "models" / "town"
REMOTE_WORK = Path(bundled_model_path()) / "scenarios" / "remote-work.yaml"
# 11 characters of 「同じ確率で入口が変化：」 then this name: its 「）」 is the 28th character of the note, where
# a wrap at 27 characters would put it at the head of the second line.
LONG_NAME = "委託先保守端末（庁内の保守業者用）"


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def _renamed(model, system_id: str, name: str):
    systems = model.systems.copy()
    systems.loc[systems["system_id"] == system_id, "name_ja"] = name
    return model.replace(systems=systems)


@pytest.fixture(scope="module")
def remote_work():
    """The remote-work scenario on the bundled model, the vendor's terminal renamed in both models."""
    base = load_model(bundled_model_path())
    changed = apply_scenario(base, load_scenario(REMOTE_WORK))
    return compare(_renamed(base, "VENDOR_TERM", LONG_NAME), _renamed(changed, "VENDOR_TERM", LONG_NAME),
                   label_before=base.id, label_after="remote-work")


@pytest.fixture(scope="module")
def town():
    """The town model with its planned log review implemented (the use stage gains coverage)."""
    base = load_model(TOWN)
    return compare(base, apply_scenario(base, {"id": "logs", "set": {"controls": {"C-LOG": {"status": "implemented"}}}}))


def test_no_wrapped_line_of_a_delta_chart_starts_with_a_closing_bracket(remote_work, town):
    for comparison in (remote_work, town):
        for make in (exposure_delta_figure, coverage_delta_figure):
            for lang in ("ja", "en"):
                fig = make(comparison, lang=lang, title="シナリオ（テスト）、変更後" if lang == "ja" else None)
                try:
                    for text in _texts(fig):
                        for line in text.split("\n")[1:]:
                            assert not line or line[0] not in style._NO_LINE_START, (make.__name__, lang, text)
                        for line in text.split("\n")[:-1]:
                            assert not line or line[-1] not in style._NO_LINE_END, (make.__name__, lang, text)
                finally:
                    plt.close(fig)


def test_the_path_note_names_both_entry_points_in_full(remote_work):
    fig = exposure_delta_figure(remote_work, lang="ja")
    try:
        notes = {t.get_gid(): t.get_text() for t in fig.axes[0].texts}
        note = notes["delta-VENDOR_TERM"]
        assert note.replace("\n", "") == f"同じ確率で入口が変化：{LONG_NAME} → リモートワーク用貸与端末"
        assert len(note.split("\n")) >= 2  # it is wrapped, and (above) never before 「）」
        assert notes["delta-JUKI_REC"] == "2.5% → 5%（×2）"
    finally:
        plt.close(fig)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_delta_charts_name_systems_and_speak_in_percentages(remote_work, town, lang):
    for comparison, model in ((remote_work, remote_work.other), (town, town.other)):
        ids = {i for i in model_ids(model) if len(i) > 2}
        for make in (exposure_delta_figure, coverage_delta_figure):
            fig = make(comparison, lang=lang, title="t")
            try:
                texts = _texts(fig)
                for ident in ids:
                    pattern = re.compile(rf"(?<![A-Za-z0-9_\-]){re.escape(ident)}(?![A-Za-z0-9_\-])")
                    assert not [t for t in texts if pattern.search(t)], (make.__name__, ident)
                joined = "\n".join(texts)
                assert not re.search(r"\b(nan|NaN|None)\b", joined)
                assert not re.search(r"(?<![\d.])0\.\d{2,}(?!\d*%)", joined), joined  # no fraction beside %
            finally:
                plt.close(fig)


def test_coverage_delta_uses_the_packs_terms_and_says_why_a_stage_is_out(town):
    fig = coverage_delta_figure(town, lang="ja")
    try:
        ax = fig.axes[0]
        changes = {t.get_gid(): t.get_text().replace("\n", "") for t in ax.texts if t.get_gid()}
        assert changes["change-outsource"] == "対象外（宣言: 委託しない）"
        assert changes["change-provide"] == "対象外（対象となる要素なし）"
        assert changes["change-use"] == "+5.0ポイント" and changes["change-acquire"] == "変化なし"
        assert "網羅率" in ax.get_ylabel() and "網羅率" in ax.get_title() and "カバー率" not in ax.get_ylabel()
        # the legend is below the axes: it covers no bar nor a change written above one
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        box = fig.legends[0].get_window_extent(renderer)
        assert box.y1 < ax.get_window_extent(renderer).y0
    finally:
        plt.close(fig)


def test_exposure_delta_axis_follows_the_span(remote_work, town):
    wide = exposure_delta_figure(remote_work, lang="ja")
    narrow = exposure_delta_figure(town, lang="en", only_changed=False)
    try:
        assert wide.axes[0].get_xscale() == "log" and "対数目盛" in wide.axes[0].get_xlabel()
        values = town.exposure_delta[["exposure_before", "exposure_after"]].to_numpy().ravel()
        expected = style.percent_axis_scale(values[values > 0])
        assert narrow.axes[0].get_xscale() == expected
        assert ("log scale" in narrow.axes[0].get_xlabel()) == (expected == "log")
    finally:
        plt.close(wide)
        plt.close(narrow)


def test_entry_points_are_drawn_below_the_systems_at_risk(remote_work, town):
    for comparison in (remote_work, town):
        fig = exposure_delta_figure(comparison, lang="ja")
        try:
            ax = fig.axes[0]
            headings = [t.get_text() for t in ax.texts if t.get_gid() == "group-heading"]
            assert headings == ["危険にさらされるシステム", "入口（攻撃・不正の起点）"]
            systems = comparison.other.systems
            entry = {str(n) for n in systems.loc[systems["entry_likelihood"] > 0, "name_ja"]}
            ticks = {t.get_text().replace("\n", "").removesuffix(" ●"): t.get_position()[1]
                     for t in ax.get_yticklabels()}
            at_risk = [y for name, y in ticks.items() if name not in entry]
            entries = [y for name, y in ticks.items() if name in entry]
            assert entries and at_risk and max(entries) < min(at_risk)
        finally:
            plt.close(fig)
