"""Labels of the risk map and the rating check (issue 14): form item numbers, names that fit their cells.

* The rating check labels each row with the form's item number and wording (catalog/rated_items.csv:
  「Ⅲ2 リスク3：入手した…」), never a risk id.
* The risk map names systems, flows and risks in full where the cell has room (two lines in a sparse cell),
  shortens them deliberately where it has not (a parenthesis first, then 「…」), and no label runs out of
  its cell: checked with the renderer's text extents on the bundled model, the town model and the bundled
  model with the remote-work scenario (whose mitigated entry point once ran into the legend).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from pia_analysis import bundled_model_path, load_model
from pia_analysis.analysis.pipeline import analyse
from pia_analysis.charts.figures import rating_check_chart, risk_map
from pia_analysis.whatif.apply import apply_scenario
from pia_analysis.whatif.scenario import load_scenario

TOWN = Path(__file__).parent / "models" / "town"
REMOTE_WORK = Path(bundled_model_path()) / "scenarios" / "remote-work.yaml"


@pytest.fixture(scope="module")
def analyses():
    bundled = load_model(bundled_model_path())
    models = {"bundled": bundled, "town": load_model(TOWN),
              "remote-work": apply_scenario(bundled, load_scenario(REMOTE_WORK))}
    return {key: analyse(model, trials=200) for key, model in models.items()}


def _cell_boxes(fig, ax):
    renderer = fig.canvas.get_renderer()
    return {tuple(int(v) for v in p.get_gid().split("-")[1:]): p.get_window_extent(renderer)
            for p in ax.patches if isinstance(p, Rectangle) and (p.get_gid() or "").startswith("cell-")}


@pytest.mark.parametrize("key", ["bundled", "town", "remote-work"])
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_no_risk_map_label_runs_out_of_its_cell(analyses, key, lang):
    a = analyses[key]
    fig = risk_map(a.model, a.findings, a.findings_after, lang=lang)
    try:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        ax = fig.axes[0]
        cells = _cell_boxes(fig, ax)
        markers = {m.get_gid(): (round(m.get_xdata()[0]), round(m.get_ydata()[0]))
                   for m in ax.lines if isinstance(m, Line2D) and m.get_gid()}
        checked = 0
        for text in ax.texts:
            gid = text.get_gid() or ""
            if not gid.startswith(("label-", "afterlabel-")) or not text.get_text():
                continue
            kind, fid = gid.split("-", 1)
            cell = cells[markers[("after-" if kind == "afterlabel" else "now-") + fid]]
            box = text.get_window_extent(renderer)
            assert cell.x0 - 1 <= box.x0 and box.x1 <= cell.x1 + 1, (key, lang, text.get_text(), box, cell)
            assert cell.y0 - 1 <= box.y0 and box.y1 <= cell.y1 + 1, (key, lang, text.get_text(), box, cell)
            checked += 1
        assert checked >= 10
        legend = fig.legends[0].get_window_extent(renderer)
        assert legend.x0 > ax.get_window_extent(renderer).x1  # the rules' legend stays right of the grid
    finally:
        plt.close(fig)


def test_a_sparse_cell_names_its_finding_in_full_on_two_lines(analyses):
    a = analyses["bundled"]
    findings = a.findings.loc[a.findings["status"] == "open"]
    one = findings.loc[findings["element_type"] == "risk"].head(1).copy()
    one[["likelihood", "impact"]] = [1, 1]  # alone in its cell
    fig = risk_map(a.model, one, one, lang="ja")
    try:
        labels = [t.get_text() for t in fig.axes[0].texts if (t.get_gid() or "").startswith("label-")]
        assert len(labels) == 1
        name = a.model.rated_items.set_index("rated_item_id").at[one["element"].iloc[0], "name_ja"]
        assert "…" not in labels[0] and labels[0].replace("\n", "") == name
    finally:
        plt.close(fig)


def test_a_long_name_is_shortened_at_its_parenthesis_before_it_is_cut(analyses):
    from pia_analysis.charts.figures import _cell_label
    from pia_analysis.charts.style import text_width, use_japanese_fonts
    use_japanese_fonts()
    name = "証明書発行サーバ（コンビニ交付・市外）"
    room = text_width("証明書発行サーバ（コン", 6.8)
    assert _cell_label(name, False, room, 6.8, "ja") == "証明書発行サーバ"
    flow = "届出人（住民・代理人） → 証明書発行サーバ（コンビニ交付・市外）"
    assert _cell_label(flow, True, 1.5, 6.8, "ja", lines=2) == "届出人（住民・代理人） →\n証明書発行サーバ"
    one = _cell_label(flow, True, 1.5, 6.8, "ja")
    assert " → " in one and text_width(one, 6.8) <= 1.5 and one.startswith("届出人")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_rating_check_labels_carry_the_form_item_number(analyses, lang):
    a = analyses["town"]
    fig = rating_check_chart(a.model, a.rating_check, lang=lang)
    try:
        labels = [t.get_text().replace("\n", "") for t in fig.axes[0].get_yticklabels()]
        items = pd.read_csv(Path(__file__).parents[1] / "pia_analysis" / "catalog" / "rated_items.csv")
        assert len(labels) == len(a.rating_check)
        if lang == "ja":
            assert labels[2] == "Ⅲ2 リスク3：入手した特定個人情報が不正確であるリスク"
            assert labels[8].startswith("Ⅲ4 委託：委託先における不正な使用等のリスク")
            assert labels[-3:] == ["Ⅳ1 監査 ①自己点検", "Ⅳ1 監査 ②監査", "Ⅳ2 従業者に対する教育・啓発"]
        else:
            assert labels[2] == "III 2, risk 3: Acquired information is inaccurate"
            assert labels[-3].startswith("IV 1 (1): ") and labels[-1].startswith("IV 2: ")
        ids = set(items["rated_item_id"])
        assert not [lb for lb in labels for i in ids if f"{i} " in f"{lb} " and "-" in i], labels
    finally:
        plt.close(fig)


def test_an_english_chart_writes_the_declaration_in_english(analyses):
    """「委託しない」 on an English page was the one Japanese phrase left: the catalogue's label_en replaces it."""
    from matplotlib.text import Text

    from pia_analysis.charts.delta import coverage_delta_figure
    from pia_analysis.outputs import briefing
    from pia_analysis.whatif.compare import compare
    a = analyses["town"]
    figures = briefing.chart_figures(a, "en")
    figures["coverage_delta"] = coverage_delta_figure(compare(a.model, a.model), lang="en")
    try:
        for name in ("stage_coverage", "coverage_heatmap", "rating_check", "coverage_delta"):
            texts = [t.get_text().replace("\n", " ") for t in figures[name].findobj(Text)]
            assert any("declared: no outsourcing" in t for t in texts), name
            assert not any("委託しない" in t for t in texts), name
    finally:
        for fig in figures.values():
            plt.close(fig)


@pytest.mark.parametrize("length", [82, 200])  # the trial's title, and the longest a model may have
def test_a_long_title_stays_clear_of_the_footer_and_on_the_page(length):
    # the trial: an 82-character title ran the footer's date into the model id; 200 ran off the page
    from pia_analysis.charts.style import new_figure
    from pia_analysis.outputs.briefing import _footer, cover_page

    base = load_model(TOWN)
    title = ("緑川町住民基本台帳事務の特定個人情報保護評価" * 20)[:length]
    model = base.replace(meta={**base.meta, "title_ja": title, "title_en": ("A long title " * 20)[:length]})
    for lang in ("ja", "en"):
        fig = new_figure(model, lang, "Chart")
        renderer = fig.canvas.get_renderer()
        left, right = (t.get_window_extent(renderer) for t in fig.texts[-2:])
        page = fig.bbox
        assert left.x0 >= page.x0 and right.x1 <= page.x1
        assert left.x1 < right.x0, (left, right)  # the date never runs into the id
        date = "2024年" if lang == "ja" else "2024-"
        assert date in fig.texts[-2].get_text() and ("…" in fig.texts[-2].get_text() or length < 200)
        cover = cover_page(analyse(model), lang)
        cover.canvas = fig.canvas.__class__(cover)
        renderer = cover.canvas.get_renderer()
        for text in cover.texts:
            box = text.get_window_extent(renderer)
            assert page.x0 <= box.x0 and box.x1 <= page.x1 + 1, text.get_text()[:40]
        title_box = next(t for t in cover.texts if t.get_text().startswith(model.title(lang)[:10])).get_window_extent(renderer)
        assert title_box.y0 > 0.70 * page.height  # above the cover's rows
        blank = type(cover)(figsize=cover.get_size_inches())
        blank.canvas = fig.canvas.__class__(blank)
        _footer(blank, model, lang, page=3)
        box = blank.texts[0].get_window_extent(blank.canvas.get_renderer())
        assert box.x0 >= 0.45 * page.width and blank.texts[0].get_text().endswith(" · 3")
