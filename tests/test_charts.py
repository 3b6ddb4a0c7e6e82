"""The charts: each renders in both languages without a warning, and draws what the analyses say.

Figures are checked by what they contain (bar widths, arrow counts, labels, colours), not against baseline
images. The analyses' results are computed once per module and passed in, so each test only draws.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.text import Text

from pia_analysis import bundled_model_path, catalog, load_model
from pia_analysis.charts import dataflow
from pia_analysis.charts import style as chart_style
from pia_analysis.charts import figures as charts
from pia_analysis.outputs import briefing
from pia_analysis.analysis.coverage import coverage_matrix, rating_check, stage_coverage
from pia_analysis.analysis.exposure import node_exposure
from pia_analysis.analysis.pipeline import with_planned_implemented
from pia_analysis.analysis.simulation import loss_exceedance, simulate_compromise
from pia_analysis.analysis.findings import find_findings

ROOT = Path(__file__).resolve().parent.parent
TINY = Path(__file__).resolve().parent / "models" / "tiny"
VERMILLION = "#d55e00"


# --- shared inputs ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model():
    return load_model(bundled_model_path())


@pytest.fixture(scope="module")
def results(model):
    return {
        "exposure": node_exposure(model),
        "simulation": simulate_compromise(model, trials=20_000, seed=0),
        "loss_exceedance": loss_exceedance(model, trials=20_000, seed=0),
        "stage_coverage": stage_coverage(model),
        "coverage_matrix": coverage_matrix(model),
        "rating_check": rating_check(model),
        "findings": find_findings(model, include_all=True),
        "findings_after": find_findings(with_planned_implemented(model), include_all=True),
    }


@pytest.fixture(scope="module")
def figs(model, results):
    """Every chart in both languages, built and drawn once (with the no-warning check of :func:`draw`)."""
    out = {(name, lang): draw(lambda: chart(model, results, lang))
           for name, chart in briefing.CHARTS.items() for lang in ("ja", "en")}
    yield out
    plt.close("all")


def draw(make):
    """Build a figure and draw it, failing on any warning (missing glyphs among them)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = make()
        fig.canvas.draw()
    messages = [f"{w.category.__name__}: {w.message}" for w in caught]
    assert not messages, messages
    return fig


def texts(fig, ax=None):
    """Visible, non-empty text artists of a figure (or one axes), tick labels included."""
    root = ax if ax is not None else fig
    return [t for t in root.findobj(Text) if t.get_visible() and t.get_text().strip()]


def extent(artist, fig):
    return artist.get_window_extent(fig.canvas.get_renderer())


def by_gid(root, cls, prefix):
    return {a.get_gid()[len(prefix):]: a for a in root.findobj(cls) if (a.get_gid() or "").startswith(prefix)}




# --- every chart ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "lang"), list(itertools.product(briefing.CHARTS, ("ja", "en"))))
def test_chart_renders_without_warnings_and_nothing_leaves_the_page(model, figs, name, lang):
    fig = figs[(name, lang)]
    assert tuple(fig.get_size_inches()) == pytest.approx(chart_style.A4_LANDSCAPE)
    page = fig.bbox
    shown = texts(fig)
    # title on top and the footer with the model's title and assessment date
    all_text = "\n".join(t.get_text() for t in shown)
    assert model.title(lang) in all_text
    assert ("2021年11月9日" if lang == "ja" else "2021-11-09") in all_text
    boxes = [(t.get_text(), extent(t, fig)) for t in shown]
    for text, box in boxes:  # no clipped text
        assert box.x0 >= page.x0 - 1 and box.x1 <= page.x1 + 1 and box.y0 >= page.y0 - 1 and box.y1 <= page.y1 + 1, (
            name, lang, text)
    for (a, ea), (b, eb) in itertools.combinations(boxes, 2):  # no two texts overlap
        assert not ea.overlaps(eb), (name, lang, a, b)
    # every axes has a title-like text or labels: the chart's axes carry axis labels (except the diagram)
    main = fig.axes[0]
    if name != "dataflow":
        assert main.get_xlabel() and main.get_ylabel()
    if lang == "ja":
        assert any("\u3040" <= ch <= "\u30ff" for ch in all_text)  # Japanese is drawn


def test_labels_are_english_with_lang_en(figs):
    for name in briefing.CHARTS:
        fig = figs[(name, "en")]
        ascii_only = [t.get_text() for t in texts(fig) if not any(ord(ch) > 0x2FFF for ch in t.get_text())]
        japanese = [t.get_text() for t in texts(fig) if any(ord(ch) > 0x2FFF for ch in t.get_text())]
        assert not japanese, (name, japanese)
        assert ascii_only


def test_unknown_language_is_refused(model, results):
    for chart in briefing.CHARTS.values():
        with pytest.raises(ValueError, match="lang"):
            chart(model, results, "fr")


def test_all_charts_lists_the_report_charts_and_leaves_only_font_settings_behind(model, results):
    before = {k: v for k, v in mpl.rcParams.items() if not k.startswith(("font.", "svg.hashsalt"))}
    figures_before = plt.get_fignums()
    made = briefing.all_charts(model, results, lang="en")
    assert list(made) == ["dataflow", "exposure", "loss_exceedance", "stage_coverage", "coverage_heatmap", "risk_map",
                          "rating_check"]
    after = {k: v for k, v in mpl.rcParams.items() if not k.startswith(("font.", "svg.hashsalt"))}
    assert before == after
    assert plt.get_fignums() == figures_before  # no pyplot figure is left open


# --- data-flow diagram ------------------------------------------------------------------------------


def test_dataflow_draws_one_arrow_per_flow_coloured_by_stage(model, figs):
    fig = figs[("dataflow", "ja")]
    ax = fig.axes[0]
    arrows = by_gid(ax, FancyArrowPatch, "flow-")
    assert sorted(arrows) == sorted(model.flows["flow_id"])
    for f in model.flows.itertuples(index=False):
        arrow = arrows[f.flow_id]
        assert to_hex(arrow.get_edgecolor()) == chart_style.STAGE_COLOURS[f.stage].lower()
        style = type(arrow.get_arrowstyle()).__name__
        if f.interactive:  # both heads, dashed
            assert style == "CurveFilledAB" and arrow.get_linestyle() != "-"
        else:
            assert style == "CurveFilledB" and arrow.get_linestyle() == "-"


def test_dataflow_marks_holders_entry_points_and_shades_by_exposure(model, results, figs):
    exposure = results["exposure"].set_index("system_id")
    fig = figs[("dataflow", "ja")]
    ax = fig.axes[0]
    boxes = by_gid(ax, FancyBboxPatch, "box-")
    assert sorted(boxes) == sorted(model.systems["system_id"])
    holders = {s for s, d in model.graph.nodes(data=True) if d["holds_my_number"]}
    for s, box in boxes.items():
        if s in holders:
            assert to_hex(box.get_edgecolor()) == VERMILLION and box.get_linewidth() > 2
        else:
            assert to_hex(box.get_edgecolor()) != VERMILLION
    entries = set(model.systems.loc[model.systems["entry_likelihood"] > 0, "system_id"])
    assert set(by_gid(ax, mpl.lines.Line2D, "entry-")) == entries
    # fill = the colour bar's colour of the exposure; the exposure is written in the box
    norm = dataflow._exposure_norm(exposure["exposure"])
    cmap = mpl.colormaps[chart_style.CONTINUOUS_CMAP].reversed()
    for s, box in boxes.items():
        value = exposure.at[s, "exposure"]
        assert to_hex(box.get_facecolor()) == to_hex(cmap(norm(value)))
    labels = by_gid(ax, Text, "exposure-")
    for s, label in labels.items():
        assert label.get_text() == chart_style.format_percent(exposure.at[s, "exposure"])
    assert len(fig.axes) == 2 and fig.axes[1].get_label() == "colorbar"


def test_dataflow_legend_names_the_stages_officially(figs):
    fig = figs[("dataflow", "ja")]
    legend = next(lg for lg in fig.legends if lg.get_gid() == "legend-stages")
    labels = [t.get_text().replace("\n", "") for t in legend.get_texts()]
    assert labels == catalog.stages()["short_ja"].tolist()
    symbols = next(lg for lg in fig.legends if lg.get_gid() == "legend-symbols")
    assert len(symbols.get_texts()) == 5


def test_dataflow_text_never_overlaps(figs):
    for lang in ("ja", "en"):
        fig = figs[("dataflow", lang)]
        ax = fig.axes[0]
        boxes = [(t.get_text(), extent(t, fig)) for t in texts(fig, ax)]
        for (a, ea), (b, eb) in itertools.combinations(boxes, 2):
            assert not ea.overlaps(eb), (lang, a, b)


def test_dataflow_box_text_stays_in_its_box(figs):
    fig = figs[("dataflow", "en")]
    ax = fig.axes[0]
    boxes = by_gid(ax, FancyBboxPatch, "box-")
    for prefix in ("name-", "id-", "exposure-"):
        for s, t in by_gid(ax, Text, prefix).items():
            inner, outer = extent(t, fig), extent(boxes[s], fig)
            assert outer.x0 <= inner.x0 and inner.x1 <= outer.x1 and outer.y0 <= inner.y0 and inner.y1 <= outer.y1, (
                prefix, s)


# --- layout ----------------------------------------------------------------------------------------


def small_models():
    """A few hand-made models that stress the layout: one zone, a hub, parallel flows, a cut-off group."""
    tiny = load_model(TINY)
    zones = pd.DataFrame({
        "zone_id": ["A", "B", "C", "D", "E", "ISO"],
        "name_ja": ["市の基幹系ネットワーク（とても長いゾーン名の例）", "委託先", "国", "住民", "店舗", "孤立ゾーン"],
        "name_en": ["City core network (an example of a very long zone name)", "Contractor", "State",
                    "Residents", "Store", "Isolated"],
        "internet_facing": [False, False, False, True, False, False],
        "operator": ["city", "contractor", "national", "resident", "other_body", "other_body"],
        "source": ["assumption: test"] * 6,
    })
    systems = pd.DataFrame({
        "system_id": ["HUB", "T1", "T2", "T3", "T4", "B1", "B2", "C1", "D1", "E1", "ISO1", "ISO2", "LONE"],
        "name_ja": ["中心システム", "端末一", "端末二", "端末三（とても長い名前の端末で折り返しが必要）", "端末四",
                    "委託先サーバ", "委託先端末", "国のサーバ", "住民", "店舗の端末", "孤立一", "孤立二", "どこにも繋がらない"],
        "name_en": ["Hub", "Terminal 1", "Terminal 2", "Terminal 3 with a very long name that must wrap", "",
                    "Contractor server", "Contractor terminal", "State server", "Resident", "Store terminal",
                    "Isolated 1", "Isolated 2", "Not connected"],
        "zone_id": ["A", "A", "A", "A", "A", "B", "B", "C", "D", "E", "ISO", "ISO", "A"],
        "kind": ["system", "terminal", "terminal", "terminal", "terminal", "system", "terminal", "system",
                 "external", "terminal", "system", "system", "store"],
        "operator": ["city"] * 5 + ["contractor"] * 2 + ["national", "resident", "other_body", "other_body",
                                                          "other_body", "city"],
        "holds": [["REG_FILE"], [], [], [], [], ["REG_FILE"], [], ["CERT_FILE"], [], [], [], [], ["REG_FILE"]],
        "entry_likelihood": [0.0, 0.1, 0.0, 0.0, 0.0, 0.0, 0.2, 0.0, 0.5, 0.3, 0.1, 0.0, 0.0],
        "source": ["assumption: test"] * 13,
    })
    pairs = [("T1", "HUB"), ("T2", "HUB"), ("T3", "HUB"), ("HUB", "T4"), ("T4", "HUB"), ("HUB", "B1"),
             ("B2", "B1"), ("B1", "C1"), ("D1", "T2"), ("E1", "D1"), ("HUB", "B1"), ("ISO1", "ISO2")]
    stages = ["use", "use", "use", "retain", "retain", "outsource", "outsource", "provide", "acquire", "acquire",
              "provide", "network"]
    flows = pd.DataFrame({
        "flow_id": [f"G{i:02d}" for i in range(1, len(pairs) + 1)],
        "source": [p[0] for p in pairs],
        "target": [p[1] for p in pairs],
        "files": [[] for _ in pairs],
        "stage": stages,
        "channel": ["LAN"] * len(pairs),
        "interactive": [i % 3 == 0 for i in range(len(pairs))],
        "encrypted": [False] * len(pairs),
        "source_ref": ["assumption: test"] * len(pairs),
    })
    stress = tiny.replace(zones=zones, systems=systems, flows=flows, controls=tiny.controls.iloc[0:0])
    one_zone = tiny.replace(
        zones=zones.iloc[:1], systems=systems.loc[systems["zone_id"] == "A"].reset_index(drop=True),
        flows=flows.loc[flows["source"].isin(["HUB", "T1", "T2", "T3", "T4"])
                        & flows["target"].isin(["HUB", "T1", "T2", "T3", "T4"])].reset_index(drop=True))
    return {"kitakyushu": load_model(bundled_model_path()), "tiny": tiny, "stress": stress, "one_zone": one_zone}


SMALL = small_models()


def inside(inner, outer, tol=1e-9):
    return outer[0] - tol <= inner[0] and inner[2] <= outer[2] + tol and outer[1] - tol <= inner[1] and inner[3] <= outer[3] + tol


@pytest.mark.parametrize("name", list(SMALL))
def test_layout_boxes_never_overlap_and_sit_in_their_zone(name):
    m = SMALL[name]
    for lang in ("ja", "en"):
        geo = dataflow.dataflow_geometry(m, lang)
        assert set(geo.positions) == set(m.systems["system_id"])
        rects = {s: geo.box_rect(s) for s in geo.positions}
        for (a, ra), (b, rb) in itertools.combinations(sorted(rects.items()), 2):
            assert not dataflow._rects_overlap(ra, rb), (name, a, b)
        zone_of = dict(zip(m.systems["system_id"], m.systems["zone_id"]))
        for s, r in rects.items():
            assert inside(r, geo.zone_rects[zone_of[s]]), (name, s)
        for (a, za), (b, zb) in itertools.combinations(sorted(geo.zone_rects.items()), 2):
            assert not dataflow._rects_overlap(za, zb), (name, a, b)
        for z, r in geo.zone_rects.items():  # the drawing holds every zone
            assert inside(r, (0, 0, *geo.size)), (name, z)
        # each zone's systems are below its header
        for s, r in rects.items():
            z = geo.zone_rects[zone_of[s]]
            assert r[1] >= z[1] + len(geo.zone_labels[zone_of[s]]) * dataflow._ZONE_LINE, (name, s)


@pytest.mark.parametrize("name", list(SMALL))
def test_layout_arrows_run_between_the_right_boxes_and_never_under_a_box(name):
    m = SMALL[name]
    geo = dataflow.dataflow_geometry(m)
    assert sorted(geo.routes) == sorted(m.flows["flow_id"])
    rects = {s: geo.box_rect(s) for s in geo.positions}
    for f in m.flows.itertuples(index=False):
        route = geo.routes[f.flow_id]
        (x_start, y_start), (x_end, y_end) = route[0], route[-1]
        rs, rt = rects[f.source], rects[f.target]
        assert x_start in (pytest.approx(rs[0]), pytest.approx(rs[2])) and rs[1] < y_start < rs[3]
        assert x_end in (pytest.approx(rt[0]), pytest.approx(rt[2])) and rt[1] < y_end < rt[3]
        for p, q in dataflow._segments(route):
            for s, r in rects.items():
                assert not dataflow._segment_hits_rect(p, q, r, inset=1e-6), (name, f.flow_id, s)
    # arrow ends on a box side are distinct
    ends = [r[0] for r in geo.routes.values()] + [r[-1] for r in geo.routes.values()]
    assert len({(round(x, 6), round(y, 6)) for x, y in ends}) == len(ends)


def test_layout_columns_go_from_the_core_outwards(model):
    geo = dataflow.dataflow_geometry(model)
    assert geo.zone_level["CORE"] == 0 and geo.zone_level["JUKI_CS"] == 0
    assert geo.zone_level["PUBLIC"] == 1 and geo.zone_level["STORE"] == 3
    pos = dataflow.dataflow_layout(model)
    assert pos["JUKI_REC"][0] < pos["CONV_SRV"][0] < pos["JLIS_CENTRE"][0] < pos["STORE_KIOSK"][0]
    # no flow skips a column
    for f in model.flows.itertuples(index=False):
        zone = dict(zip(model.systems["system_id"], model.systems["zone_id"]))
        assert abs(geo.zone_level[zone[f.source]] - geo.zone_level[zone[f.target]]) <= 1


def test_layout_is_deterministic_and_ignores_row_order(model):
    first = dataflow.dataflow_layout(model)
    assert dataflow.dataflow_layout(model) == first
    shuffled = model.replace(systems=model.systems.iloc[::-1].reset_index(drop=True),
                             flows=model.flows.sample(frac=1, random_state=3).reset_index(drop=True),
                             zones=model.zones.iloc[::-1].reset_index(drop=True))
    assert dataflow.dataflow_layout(shuffled) == first


def test_layout_fits_a4_landscape_for_the_bundled_model(model):
    width, height = dataflow.dataflow_geometry(model).size
    assert width <= chart_style.A4_LANDSCAPE[0] - 2.42 and height <= chart_style.A4_LANDSCAPE[1] - 1.3  # drawn at scale 1


def test_stress_model_draws(results):
    m = SMALL["stress"]
    for lang in ("ja", "en"):
        fig = draw(lambda: dataflow.dataflow_diagram(m, node_exposure(m), lang=lang))
        assert len(by_gid(fig.axes[0], FancyArrowPatch, "flow-")) == len(m.flows)


# --- Graphviz text ---------------------------------------------------------------------------------


def test_dataflow_dot_has_every_system_and_flow_and_is_stable(model, results):
    dot = dataflow.dataflow_dot(model, results["exposure"])
    assert dot == dataflow.dataflow_dot(model, results["exposure"])
    assert dot.startswith('digraph "kitakyushu-juki-r3" {') and dot.rstrip().endswith("}")
    for s in model.systems["system_id"]:
        assert f'  "{s}" [id="{s}"' in dot
    for z in model.zones["zone_id"]:
        assert f'subgraph "cluster_{z}"' in dot
    for f in model.flows.itertuples(index=False):
        line = next(ln for ln in dot.splitlines() if f'[id="{f.flow_id}"' in ln)
        assert line.strip().startswith(f'"{f.source}" -> "{f.target}"')
        assert f'color="{chart_style.STAGE_COLOURS[f.stage]}"' in line
        assert ("dir=both" in line) == bool(f.interactive)
    assert dot.count(" -> ") == len(model.flows)
    assert dot.count("{") == dot.count("}")
    english = dataflow.dataflow_dot(model, results["exposure"], lang="en")
    assert "Resident record system" in english and "住民記録システム" not in english


# --- exposure ranking ------------------------------------------------------------------------------


def test_exposure_bars_equal_the_exposure_and_are_coloured_by_zone(model, results, figs):
    fig = figs[("exposure", "ja")]
    ax = fig.axes[0]
    bars = by_gid(ax, mpl.patches.Rectangle, "bar-")
    expected = results["exposure"].set_index("system_id")
    assert sorted(bars) == sorted(expected.index)
    for s, bar in bars.items():
        assert bar.get_width() == pytest.approx(expected.at[s, "exposure"])
    # the systems at risk first, then the entry points; each group highest first, from the top
    order = sorted(bars, key=lambda s: bars[s].get_y())
    entry = set(model.systems.loc[model.systems["entry_likelihood"] > 0, "system_id"])
    ranked = results["exposure"].sort_values(["exposure", "system_id"], ascending=[False, True], kind="stable")
    ranked = ranked["system_id"].tolist()
    assert order == [s for s in ranked if s not in entry] + [s for s in ranked if s in entry]
    zone_of = expected["zone_id"]
    colours = {}
    for s, bar in bars.items():
        colours.setdefault(zone_of[s], set()).add((to_hex(bar.get_facecolor()), bar.get_hatch()))
    assert all(len(v) == 1 for v in colours.values())  # one style per zone
    assert len({next(iter(v)) for v in colours.values()}) == len(colours)  # distinct across zones
    assert ax.get_xscale() == "log"
    assert "%" in ax.get_xlabel()


def test_exposure_annotates_records_at_stake_and_the_monte_carlo_interval(model, results, figs):
    fig = figs[("exposure", "en")]
    ax = fig.axes[0]
    records = by_gid(ax, Text, "records-")
    entry = set(model.systems.loc[model.systems["entry_likelihood"] > 0, "system_id"])
    holders = results["exposure"].loc[results["exposure"]["holds_my_number"]
                                      & ~results["exposure"]["system_id"].isin(entry)]
    assert sorted(records) == sorted(holders["system_id"])
    # what is at stake if the system is reached: its largest My Number file (not an expected value)
    # in people, the unit of the key messages (「932,000 人分」), in both languages
    assert records["JUKI_REC"].get_text() == "932,000 people"
    assert records["CARD_MGMT"].get_text() == "932,000 people"
    ja = by_gid(figs[("exposure", "ja")].axes[0], Text, "records-")
    assert ja["JUKI_REC"].get_text() == "932,000人" and not any("件" in t.get_text() for t in ja.values())
    container = next(c for c in ax.containers if isinstance(c, mpl.container.ErrorbarContainer))
    line = container.lines[0]
    sim = results["simulation"].set_index("system_id")
    order = results["exposure"].sort_values(["exposure", "system_id"], ascending=[False, True])["system_id"]
    order = [s for s in order if s not in entry] + [s for s in order if s in entry]
    probability = sim.loc[order, "probability"].to_numpy()
    np.testing.assert_allclose(line.get_xdata(), np.where(probability > 0, probability, np.nan))


# --- stage coverage --------------------------------------------------------------------------------


def test_stage_coverage_uses_official_names_and_the_right_shares(results, figs):
    fig = figs[("stage_coverage", "ja")]
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == catalog.stages()["short_ja"].tolist()
    table = results["stage_coverage"].set_index("stage")
    for part, column in (("covered", "covered"), ("planned", "planned"), ("gap", "gaps")):
        bars = by_gid(ax, mpl.patches.Rectangle, f"{part}-")
        for stage, bar in bars.items():
            assert bar.get_width() == pytest.approx(100 * table.at[stage, column] / table.at[stage, "pairs"])
    legend = next(lg for lg in [ax.get_legend()] if lg is not None)
    assert [t.get_text() for t in legend.get_texts()] == ["対策済み", "計画中", "未対策"]
    en = figs[("stage_coverage", "en")]
    names = [t.get_text().replace("-\n", "-").replace("\n", " ") for t in en.axes[0].get_yticklabels()]
    assert names == catalog.stages()["name_en"].tolist()


def test_stage_out_of_scope_is_drawn_as_such(model, results):
    cov = results["stage_coverage"].copy()
    network = cov["stage"] == "network"
    cov.loc[network, ["elements", "pairs", "covered", "planned", "gaps"]] = 0
    cov.loc[network, ["coverage", "coverage_if_planned"]] = np.nan
    cov.loc[network, "in_scope"] = False
    fig = draw(lambda: charts.stage_coverage_chart(model, cov))
    ax = fig.axes[0]
    assert "network" in by_gid(ax, mpl.patches.Rectangle, "out_of_scope-")
    assert "対象外（対象となる要素なし）" in [t.get_text() for t in texts(fig, ax)]
    assert by_gid(ax, mpl.patches.Rectangle, "covered-")["network"].get_width() == 0


# --- coverage heatmap ------------------------------------------------------------------------------


def test_heatmap_shows_the_coverage_matrix(model, results, figs):
    fig = figs[("coverage_heatmap", "ja")]
    ax = fig.axes[0]
    shown = ax.images[0].get_array()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    by_name = dict(zip(model.systems["name_ja"], model.systems["system_id"]))
    systems = [by_name[lb.replace("\n", "")] for lb in labels]  # names, never ids
    assert sorted(systems) == sorted(model.systems["system_id"])
    expected = results["coverage_matrix"].loc[catalog.stages()["stage"], systems].T.to_numpy() * 100
    np.testing.assert_allclose(np.ma.filled(shown, np.nan), expected)
    assert [t.get_text() for t in ax.get_xticklabels()][0] == "入手"
    # rows of a zone are together
    zone = dict(zip(model.systems["system_id"], model.systems["zone_id"]))
    runs = [k for k, _ in itertools.groupby(zone[s] for s in systems)]
    assert len(runs) == len(set(runs))


# --- risk map --------------------------------------------------------------------------------------


def test_risk_map_places_every_open_finding_in_its_cell(results, figs):
    fig = figs[("risk_map", "ja")]
    ax = fig.axes[0]
    now = by_gid(ax, mpl.lines.Line2D, "now-")
    open_ = results["findings"].loc[results["findings"]["status"] == "open"].set_index("finding_id")
    assert sorted(now) == sorted(open_.index)
    for fid, marker in now.items():
        x, y = marker.get_xdata()[0], marker.get_ydata()[0]
        assert round(x) == open_.at[fid, "likelihood"] and round(y) == open_.at[fid, "impact"], fid
    # the 4 × 4 background follows the risk-level grid
    assert len(by_gid(ax, mpl.patches.Rectangle, "cell-")) == 16
    assert ax.get_xlabel() == "発生可能性"


def expected_moves(results) -> dict[str, tuple[int, int]]:
    """Open findings that the action plan moves or closes, and their cell after it."""
    now = results["findings"].loc[results["findings"]["status"] == "open"].set_index("finding_id")
    after = results["findings_after"].set_index("finding_id")
    out = {}
    for fid, row in now.iterrows():
        a = after.loc[fid]
        if (a["status"], a["likelihood"], a["impact"]) != (row["status"], row["likelihood"], row["impact"]):
            out[fid] = (int(a["likelihood"]), int(a["impact"]))
    return out


def test_risk_map_draws_the_moves_after_the_action_plan(results, figs):
    moves_expected = expected_moves(results)
    assert moves_expected, "the bundled model's planned control should change at least one finding"
    fig = figs[("risk_map", "en")]
    ax = fig.axes[0]
    moves = by_gid(ax, FancyArrowPatch, "move-")
    after = by_gid(ax, mpl.lines.Line2D, "after-")
    assert sorted(moves) == sorted(after) == sorted(moves_expected)
    for fid, cell in moves_expected.items():
        marker = after[fid]
        assert (round(marker.get_xdata()[0]), round(marker.get_ydata()[0])) == cell
        assert marker.get_markerfacecolor() in ("#FFFFFF", "#ffffff", (1.0, 1.0, 1.0, 1.0))


def test_risk_map_needs_the_findings_after_the_plan(model, results):
    with pytest.raises(TypeError, match="findings_after"):  # a chart computes no analysis
        charts.risk_map(model, results["findings"], lang="en")


def test_risk_map_with_a_hand_made_move(model, results):
    findings = results["findings"]
    after = findings.copy()
    target = findings.loc[findings["status"] == "open", "finding_id"].iloc[0]
    after.loc[after["finding_id"] == target, ["likelihood", "impact"]] = [1, 1]
    fig = draw(lambda: charts.risk_map(model, findings, after))
    assert sorted(by_gid(fig.axes[0], FancyArrowPatch, "move-")) == [target]


def test_risk_map_crowded_cell_stays_readable(model, results):
    """Many findings in one cell, several moving left: no overlap, the overflow is counted."""
    base = results["findings"].iloc[[0]].copy()
    rows = []
    for i in range(30):
        row = base.copy()
        row["finding_id"] = f"rating-not-borne-out@R{i:02d}"
        row["rule_id"] = "rating-not-borne-out"
        row["element"] = f"R{i:02d}"
        row["status"] = "open"
        row["likelihood"], row["impact"] = 3, 2
        rows.append(row)
    now = pd.concat(rows, ignore_index=True)
    after = now.copy()
    after.loc[after.index < 5, "likelihood"] = 2
    after.loc[after.index < 2, "status"] = "mitigated"
    for lang in ("ja", "en"):
        fig = draw(lambda: charts.risk_map(model, now, after, lang=lang))
        ax = fig.axes[0]
        assert len(by_gid(ax, FancyArrowPatch, "move-")) == 5
        shown = [(t.get_text(), extent(t, fig)) for t in texts(fig, ax)]
        for (a, ea), (b, eb) in itertools.combinations(shown, 2):
            assert not ea.overlaps(eb), (lang, a, b)
        more = [t for t, _ in shown if t.startswith(("ほか", "+"))]
        placed = len(by_gid(ax, mpl.lines.Line2D, "now-"))
        assert more and placed < 30
        assert int("".join(ch for ch in more[0] if ch.isdigit())) == 30 - placed


def test_with_planned_implemented_changes_only_planned_controls(model):
    after = with_planned_implemented(model)
    was = model.controls.set_index("control_id")["status"]
    now = after.controls.set_index("control_id")["status"]
    assert (now[was == "planned"] == "implemented").all()
    assert (now[was != "planned"] == was[was != "planned"]).all()
    assert (was == "planned").any()
    assert (model.controls.set_index("control_id")["status"] == was).all()  # the model itself is untouched


# --- self-rating check -----------------------------------------------------------------------------


def test_rating_check_plots_coverage_and_flags_overclaims(results, figs):
    fig = figs[("rating_check", "ja")]
    ax = fig.axes[0]
    check = results["rating_check"].set_index("risk_id")
    points = by_gid(ax, mpl.lines.Line2D, "rating-")
    assert sorted(points) == sorted(check.index)
    markers = {"特に力を入れている": "D", "十分である": "o", "課題が残されている": "s",
               # Section Ⅳ's choices take the marker of the Ⅲ choice of the same rank
               "特に力を入れて行っている": "D", "十分に行っている": "o", "十分に行っていない": "s"}
    assert {"outsource", "self-check", "audit", "training"} <= set(points)
    for rid, point in points.items():
        assert point.get_xdata()[0] == pytest.approx(100 * check.at[rid, "coverage"])
        assert point.get_marker() == markers[check.at[rid, "rating"]]
        overclaimed = check.at[rid, "status"] == "overclaimed"
        assert (to_hex(point.get_markerfacecolor()) == VERMILLION) == overclaimed, rid
    # risks with planned-only pairs get a hollow marker at their coverage after the plan
    planned = by_gid(ax, mpl.lines.Line2D, "planned-")
    assert sorted(planned) == sorted(check.index[check["planned"] > 0])
    for rid, point in planned.items():
        expected = 100 * (check.at[rid, "covered"] + check.at[rid, "planned"]) / check.at[rid, "pairs"]
        assert point.get_xdata()[0] == pytest.approx(expected)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    # the form's item number and the official wording
    assert labels[0] == "Ⅲ2 リスク1：目的外の入手が行われるリスク" and len(labels) == len(check)


# --- files -----------------------------------------------------------------------------------------


def test_save_figure_is_byte_identical(figs, tmp_path):
    digests = []
    for run in ("a", "b"):
        fig = figs[("dataflow", "ja")]
        png, svg = chart_style.save_figure(fig, tmp_path / run / "dataflow", dpi=72)
        assert png.name == "dataflow.png" and svg.name == "dataflow.svg"
        digests.append((hashlib.sha256(png.read_bytes()).hexdigest(), hashlib.sha256(svg.read_bytes()).hexdigest()))
        text = svg.read_text(encoding="utf-8")
        assert "<dc:date>" not in text
        assert b"Software" not in png.read_bytes()[:4096]
    assert digests[0] == digests[1]


def test_save_figure_is_byte_identical_across_processes(tmp_path):
    script = (
        "import sys; from pia_analysis import load_model, bundled_model_path; from pia_analysis.charts import figures as charts;"
        "from pia_analysis.charts.style import save_figure;"
        "m = load_model(bundled_model_path());"
        "from pia_analysis.analysis.coverage import stage_coverage;"
        "save_figure(charts.stage_coverage_chart(m, stage_coverage(m)), sys.argv[1], dpi=60)"
    )
    outputs = []
    for run, seed in (("a", "0"), ("b", "123")):
        env = dict(os.environ, PYTHONHASHSEED=seed, MPLBACKEND="Agg")
        subprocess.run([sys.executable, "-c", script, str(tmp_path / run / "chart")], check=True, env=env,
                       cwd=ROOT, timeout=120)
        outputs.append(((tmp_path / run / "chart.png").read_bytes(), (tmp_path / run / "chart.svg").read_bytes()))
    assert outputs[0] == outputs[1]
