"""Colours mean the same before and after (issue 14): each zone's colour is keyed to the zone of the base model.

Picking the remote-work scenario (which adds a zone) or blocking a flow reorders the data-flow diagram's
zones; the exposure chart used to colour zones by that order, so most zones changed colour (residents green
→ sky blue). Now the base model's order keys the colours and a new zone takes the next free one.
"""

from __future__ import annotations

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from pia_analysis import bundled_model_path, load_model
from pia_analysis.charts.dataflow import dataflow_zone_order
from pia_analysis.charts.figures import exposure_ranking_chart
from pia_analysis.charts.style import ZONE_COLOURS, zone_palette
from pia_analysis.explorer import _chart, explore, explorer_state


@pytest.fixture(scope="module")
def r3():
    return load_model(bundled_model_path())


def bar_styles(fig) -> dict[str, tuple[str, str]]:
    """system id → (colour as hex, hatch) of each bar of an exposure chart."""
    out = {}
    for patch in fig.axes[0].patches:
        gid = patch.get_gid() or ""
        if gid.startswith("bar-"):
            out[gid[4:]] = (mcolors.to_hex(patch.get_facecolor()), patch.get_hatch() or "")
    return out


def zone_of(model) -> dict[str, str]:
    return dict(zip(model.systems["system_id"], model.systems["zone_id"]))


def no_simulation(model) -> pd.DataFrame:
    return pd.DataFrame({"system_id": model.systems["system_id"], "probability": np.nan, "ci_low": np.nan,
                         "ci_high": np.nan, "trials": np.nan})


# F14 is a flow whose blocking reorders the diagram's zones (checked below, so the test stays meaningful)
@pytest.mark.parametrize("changes", [{"scenario": "remote-work"}, {"blocked_flows": ["F14"]}],
                         ids=["remote-work", "block-F14"])
def test_every_base_zone_keeps_its_colour(r3, changes):
    state = explorer_state(r3, changes)
    assert dataflow_zone_order(state.model) != dataflow_zone_order(r3)  # the diagram's order did change
    base_fig = _chart(explorer_state(r3), "exposure", "ja", trials=0)
    changed_fig = _chart(state, "exposure", "ja", trials=0)
    try:
        before, after = bar_styles(base_fig), bar_styles(changed_fig)
        zb, za = zone_of(r3), zone_of(state.model)
        same_zone = [s for s in before if s in after and zb[s] == za[s]]
        assert len(same_zone) == len(r3.systems)
        assert {s: after[s] for s in same_zone} == {s: before[s] for s in same_zone}
        # a new zone takes a style no base zone has
        base_styles = {before[s] for s in before}
        for s in after:
            if za[s] not in set(r3.zones["zone_id"]):
                assert after[s] not in base_styles
    finally:
        plt.close(base_fig)
        plt.close(changed_fig)
    # keyed to the changed model itself (the old behaviour), some base zone would change colour
    own = exposure_ranking_chart(state.model, state.exposure_after, no_simulation(state.model), lang="ja")
    try:
        recoloured = bar_styles(own)
        assert any(recoloured[s] != before[s] for s in same_zone)
    finally:
        plt.close(own)


def test_the_new_zone_takes_the_next_free_colour(r3):
    state = explorer_state(r3, {"scenario": "remote-work"})
    base_order = dataflow_zone_order(r3) + list(r3.zones["zone_id"])
    palette = zone_palette(base_order, dataflow_zone_order(state.model))
    n_base = len(set(base_order))
    assert list(palette)[n_base:] == ["HOME_NET"]
    assert palette["HOME_NET"][0] == ZONE_COLOURS[n_base % len(ZONE_COLOURS)]
    assert palette["HOME_NET"] not in {palette[z] for z in base_order}


def test_the_legend_lists_the_zones_in_the_base_order(r3):
    state = explorer_state(r3, {"blocked_flows": ["F14"]})
    fig = exposure_ranking_chart(state.model, state.exposure_after, no_simulation(state.model), "en", base=r3)
    try:
        legend = next(leg for leg in fig.legends if leg.get_gid() == "legend-zones")
        names = [t.get_text().replace("\n", " ") for t in legend.get_texts()]
        zones = r3.zones.set_index("zone_id")
        expected = [zones.at[z, "name_en"] for z in dataflow_zone_order(r3)]
        assert names == expected
    finally:
        plt.close(fig)


def test_the_widget_draws_with_the_base_colours(r3):
    ex = explore(r3, chart="exposure", trials=0).explorer
    before = bar_styles(ex.figure)
    plt.close(ex.figure)
    ex.controls["scenario"].value = "remote-work"  # as a click does
    after = bar_styles(ex.figure)
    plt.close(ex.figure)
    assert all(after[s] == before[s] for s in before)
    assert "REMOTE_TERM" in after


# --- the explorer's layout (issue 14: a cut-off button, a needless scrollbar, 7 px labels) ---------------------


def test_the_widget_layout_leaves_no_overflow_and_no_cut_label(r3):
    import ipywidgets as w

    ex = explore(r3, chart="none").explorer
    assert ex.controls["reset"].layout.width == "auto"  # the default short width cut "Reset all changes"
    for name in ("status", "chart"):
        assert ex.controls[name].style.button_width == "auto"
    # nothing is 100 % wide plus a margin: the column stretches its children instead
    boxes = [ex.widget] + [c for c in ex.widget.children if isinstance(c, w.Box)]
    everything = list(ex.controls.values()) + list(ex.outputs.values()) + boxes
    assert not [x for x in everything if x.layout.width == "100%"]
    assert ex.widget.layout.align_items == "stretch"
    row = next(c for c in ex.widget.children if isinstance(c, w.HBox))
    assert row.layout.flex_flow == "row wrap" and ex.controls["control"].layout.min_width == "0"
    # what may be wider than the page scrolls in its own area
    for name in ("chart", "exposure", "coverage", "system"):
        assert ex.outputs[name].layout.overflow == "auto"


@pytest.mark.parametrize("kind", ["dataflow", "exposure"])
def test_the_smallest_label_of_a_chart_is_ten_pixels(r3, kind):
    import base64
    import struct

    from pia_analysis.explorer import MIN_LABEL_PX

    ex = explore(r3, chart=kind, trials=0).explorer
    try:
        output = ex.outputs["chart"].outputs[0]
        png = base64.b64decode(output["data"]["image/png"])
        width_px = struct.unpack(">I", png[16:20])[0]
        px_per_inch = width_px / ex.figure.get_size_inches()[0]
        texts = [t for t in ex.figure.findobj(plt.Text) if t.get_visible() and t.get_text().strip()]
        smallest = min(t.get_fontsize() for t in texts) * px_per_inch / 72
        assert smallest >= MIN_LABEL_PX
        # shown at that size, not scaled down to the notebook's width (which gave ~7 px at 80 dpi)
        assert output["metadata"] == {"image/png": {"unconfined": True}}
        if kind == "dataflow":
            assert min(t.get_fontsize() for t in texts) * 80 / 72 < 7  # the old default was unreadable
    finally:
        plt.close(ex.figure)
    fixed = explore(r3, chart=kind, trials=0, dpi=80).explorer  # a dpi asked for is kept, scaled to the page
    try:
        assert fixed.chart_dpi == 80 and fixed.outputs["chart"].outputs[0]["metadata"] == {}
    finally:
        plt.close(fixed.figure)


# --- the scenario pack: its exposure chart keyed to the unchanged model ---------------------------------------------


def test_the_pack_of_a_changed_model_keeps_the_base_zone_colours(r3):
    from pia_analysis import analyse
    from pia_analysis.outputs.briefing import CHART_RESULTS, CHARTS

    state = explorer_state(r3, {"scenario": "remote-work"})
    assert dataflow_zone_order(state.model) != dataflow_zone_order(r3)
    results = {name: getattr(a, name) for a in [analyse(state.model, trials=200)] for name in CHART_RESULTS}
    base_results = {name: getattr(a, name) for a in [analyse(r3, trials=200)] for name in CHART_RESULTS}
    keyed = CHARTS["exposure"](state.model, results, "ja", base=r3)
    own = CHARTS["exposure"](state.model, results, "ja")
    before_fig = CHARTS["exposure"](r3, base_results, "ja")
    try:
        before, after, unkeyed = bar_styles(before_fig), bar_styles(keyed), bar_styles(own)
        zb, za = zone_of(r3), zone_of(state.model)
        same_zone = [s for s in before if s in after and zb[s] == za[s]]
        assert len(same_zone) == len(r3.systems)
        assert {s: after[s] for s in same_zone} == {s: before[s] for s in same_zone}
        assert any(unkeyed[s] != before[s] for s in same_zone)  # without base=, some zone would change colour
    finally:
        for fig in (keyed, own, before_fig):
            plt.close(fig)


def test_scenario_report_passes_the_unchanged_model_as_base(r3, tmp_path, monkeypatch):
    from pia_analysis.charts import figures as charts
    from pia_analysis.cli import main

    seen = []
    drawn = charts.exposure_ranking_chart

    def recording(model, exposure, simulation, lang="ja", base=None):
        seen.append((model.id, None if base is None else base.id, len(model.zones), None if base is None else
                     len(base.zones)))
        return drawn(model, exposure, simulation, lang=lang, base=base)

    monkeypatch.setattr(charts, "exposure_ranking_chart", recording)
    scenario = bundled_model_path() / "scenarios" / "remote-work.yaml"
    assert main(["scenario", str(bundled_model_path()), str(scenario), "--report", str(tmp_path / "pack")]) == 0
    # the changed model (one zone more) drawn with the unchanged one as its base
    assert seen == [(r3.id, r3.id, len(r3.zones) + 1, len(r3.zones))]
    assert (tmp_path / "pack" / "charts" / "exposure.png").exists()
