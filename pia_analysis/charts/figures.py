"""The briefing's charts of the analyses' results (matplotlib). Each returns a Figure and draws nothing else.

Every chart is a plain function ``(model, <results of the analyses>, lang="ja") -> Figure``: the results
are required arguments (a chart computes no analysis; :func:`pia_analysis.outputs.briefing.analyse` runs
each one once). ``lang="ja"`` (default) labels in Japanese, ``lang="en"`` in English.

* :func:`exposure_ranking_chart` — the systems ranked by exposure, with the Monte Carlo interval;
* :func:`stage_coverage_chart` — covered / planned / gap shares of the six stages;
* :func:`coverage_heatmap` — coverage per system and stage;
* :func:`risk_map` — the findings on a 4 × 4 likelihood × impact grid, now and after the action plan;
* :func:`rating_check_chart` — the self-rating of each risk against its measured coverage.

The data-flow diagram is in :mod:`.dataflow`, the page, palette, fonts and :func:`~.style.save_figure` in
:mod:`.style`; :data:`pia_analysis.outputs.briefing.CHARTS` lists the briefing's charts by name in its
order. ``docs/charts.md`` explains how to read each chart.

Figures are A4 landscape (11.69 × 8.27 in), carry a title and a footer with the model's title and
assessment date, use the colour-blind-safe Okabe–Ito palette (categories) or cividis (continuous), and
are built with :class:`matplotlib.figure.Figure` directly: no pyplot figure stays open, nothing is shown
twice in a notebook, and the only global state touched is the font settings of
:func:`~.style.use_japanese_fonts`. Japanese labels render with IPAexGothic, bundled by
``matplotlib-fontja``, so a fresh machine needs no system fonts.
"""

from __future__ import annotations

__all__ = [
    "EXPOSURE_CHART_MAX_SYSTEMS",
    "HEATMAP_MAX_SYSTEMS",
    "coverage_heatmap",
    "exposure_ranking_chart",
    "loss_exceedance_chart",
    "rating_check_chart",
    "risk_map",
    "stage_coverage_chart",
]

import math
import re
from collections import defaultdict
from collections.abc import Callable

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullFormatter, PercentFormatter

from .. import catalog
# Reference data of the risk map, not results: the rules' order and titles (legend) and the CNIL grid.
from ..analysis.findings import RULES, risk_level_grid, risk_scales
from ..model.model import Model
from ..model.organisation import organisation_kind
from ..model.schema import RATING_RANKS
from .dataflow import dataflow_system_order, dataflow_zone_order
from .style import (A4_LANDSCAPE, CONTINUOUS_CMAP, OKABE_ITO, chart_text, check_lang, declaration_label, format_percent,
                    display_name, drawable_text, element_name, fit_text, form_item_number, new_figure,
                    percent_axis_scale, percent_tick, stage_name, text_colour_on, text_width, wrap_text, zone_palette)


_ORANGE, _SKY, _GREEN, _YELLOW, _BLUE, _VERMILLION, _PURPLE, _BLACK, _GREY = OKABE_ITO
_RATINGS = ("特に力を入れている", "十分である", "課題が残されている")

_RATING_EN = {"特に力を入れている": "Particular effort", "十分である": "Sufficient",
              "課題が残されている": "Issues remain"}
_RATING_MARKERS = {"特に力を入れている": "D", "十分である": "o", "課題が残されている": "s"}
_STATUS_STYLE = {  # rating_check status -> (colour, ja, en)
    "overclaimed": (_VERMILLION, "過大評価（未対策の要素あり）", "Overclaimed (some element has no control)"),
    "underclaimed": (_ORANGE, "過小評価（すべて対策済み）", "Underclaimed (every element covered)"),
    "consistent": (_BLUE, "整合", "Consistent"),
    "unrated": (_GREY, "未評価", "Unrated"),
    "out_of_scope": (_GREY, "対象外", "Out of scope"),
    "not_applicable": (_GREY, "対象外（宣言）", "Not applicable (declared)"),
}
# the words of a finding's status on a chart (the findings table keeps the English codes)
_FINDING_STATUS = {"open": ("未対応", "open"), "mitigated": ("対策済み", "mitigated"),
                   "not_applicable": ("該当なし", "not applicable")}
_RISK_LEVEL_FILL = {1: "#E8F1F8", 2: "#FBF3C8", 3: "#FAD9B0", 4: "#F4B8A3"}

# Large models (a prefecture, the whole country: thousands of systems) cannot be drawn system by system on
# A4. Above these sizes the charts summarise (docs/charts.md, "Large models"); the bundled model is far below.
#: The exposure ranking shows at most this many systems: the most exposed (the rest are in the table).
EXPOSURE_CHART_MAX_SYSTEMS = 40
#: Above this many systems the coverage heatmap has one row per zone instead of one per system.
HEATMAP_MAX_SYSTEMS = 40


# ---------------------------------------------------------------------------------------------------
# exposure ranking


def exposure_ranking_chart(model: Model, exposure: pd.DataFrame, simulation: pd.DataFrame,
                           lang: str = "ja", base: Model | None = None) -> Figure:
    """Systems ranked by exposure (bars, log scale, coloured by zone), with the Monte Carlo interval.

    Each bar is a system's exposure (the yearly probability of its most likely attack path); a dot and a
    line give the Monte Carlo probability of compromise by any path and its 95 % interval; the records at
    stake are written beside the My Number holders. Above :data:`EXPOSURE_CHART_MAX_SYSTEMS` systems, the
    most exposed holders are shown (then the most exposed others).

    Parameters
    ----------
    model
        A loaded model.
    exposure
        :func:`pia_analysis.analysis.exposure.node_exposure` of the model.
    simulation
        :func:`pia_analysis.analysis.simulation.simulate_compromise` of the model (a row per system; NaN
        probabilities draw no marker).
    lang
        ``"ja"`` or ``"en"``.
    base
        The model whose zones key the colours (:func:`~.style.zone_palette`): the model as given when
        ``model`` is it changed by a scenario or the explorer, so that every zone keeps its colour and new
        zones take the next free ones. Default: ``model`` itself.

    Returns
    -------
    matplotlib.figure.Figure
        An A4-landscape page with one bar per system shown (gid ``bar-<system_id>``).

    Raises
    ------
    ValueError
        For a ``lang`` other than ``"ja"`` or ``"en"``.

    Examples
    --------
    >>> from pia_analysis.charts.figures import exposure_ranking_chart
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.exposure import node_exposure
    >>> from pia_analysis.analysis.simulation import simulate_compromise
    >>> model = load_model(bundled_model_path())
    >>> sim = simulate_compromise(model, trials=2000, seed=0)
    >>> fig = exposure_ranking_chart(model, node_exposure(model), sim, lang="en")
    >>> len(fig.axes[0].patches)  # one bar per system
    20
    """
    check_lang(lang)
    table = exposure.copy()
    table["exposure"] = table["exposure"].astype(float)
    table = table.sort_values(["exposure", "system_id"], ascending=[False, True], kind="stable").reset_index(drop=True)
    total = len(table)
    held = others = 0
    if total > EXPOSURE_CHART_MAX_SYSTEMS:
        # A large model: the most exposed My Number holders (entry points would fill the chart on their own
        # likelihood alone), then the most exposed other systems if there are too few holders.
        pick = table.loc[table["holds_my_number"].astype(bool)].head(EXPOSURE_CHART_MAX_SYSTEMS)
        held = len(pick)
        rest = table.loc[~table["system_id"].isin(set(pick["system_id"]))].head(EXPOSURE_CHART_MAX_SYSTEMS - held)
        others = len(rest)
        table = table.loc[table["system_id"].isin(set(pick["system_id"]) | set(rest["system_id"]))]
        table = table.reset_index(drop=True)  # still by exposure, then id
    # Entry points (where an attacker starts: their bar is their own likelihood) apart from the systems at
    # risk, below them: a councillor reading "30 %" at the top of the chart took the shop kiosk for the
    # most endangered system.
    systems = model.systems.set_index("system_id")
    entry = {s for s in systems.index if float(systems.at[s, "entry_likelihood"] or 0) > 0}
    table["is_entry"] = table["system_id"].isin(entry)
    table = table.sort_values(["is_entry", "exposure", "system_id"], ascending=[True, False, True],
                              kind="stable").reset_index(drop=True)
    groups = [(g, grp.index.tolist()) for g, grp in table.groupby("is_entry", sort=True)]
    rows_y: list[float] = []
    headings: list[tuple[float, str]] = []
    pos = 0.0
    for is_entry, idx in groups:
        if len(groups) > 1:
            headings.append((pos, chart_text("group_entry" if is_entry else "group_at_risk", lang)))
            pos += 1.0
        rows_y.extend(pos + k for k in range(len(idx)))
        pos += len(idx) + 0.4
    sim = simulation.set_index("system_id")
    if total > len(table):
        sim = sim.reindex(table["system_id"])
    fig = new_figure(model, lang, chart_text("exposure_title", lang), chart_text("exposure_sub", lang))
    # Colours keyed to the zones of the base model (its diagram's order, then its other zones), then the
    # zones it lacks: a scenario or a blocked flow reorders the diagram but must not recolour the zones.
    key = model if base is None else base
    palette = zone_palette(dataflow_zone_order(key, lang) + list(key.zones["zone_id"]),
                           dataflow_zone_order(model, lang) + sorted(set(table["zone_id"])))
    zone_order = list(palette)
    zones = model.zones.set_index("zone_id")
    at_stake = _records_if_reached(model)

    labels = _unique([display_name(r, lang) for r in table.to_dict("records")], lang)
    labels = ["\n".join(wrap_text(lb, 3.6, 8, lang, max_lines=2)) for lb in labels]
    label_w = max((text_width(line, 8) for lb in labels for line in lb.split("\n")), default=1.0)
    left = min(4.0, label_w + 0.35)
    ax_w = A4_LANDSCAPE[0] - left - 3.1
    ax = fig.add_axes((left / A4_LANDSCAPE[0], 0.09, ax_w / A4_LANDSCAPE[0], 0.72), label="exposure")
    y = np.array(rows_y)
    positive = [v for v in table["exposure"] if v > 0]
    positive += [v for v in sim["ci_low"] if v > 0] + [v for v in sim["probability"] if v > 0]
    positive += [v for v in sim["ci_high"] if v > 0]
    scale = percent_axis_scale(positive)
    if scale == "log":
        floor = 10 ** math.floor(math.log10(min(positive)))
        floor = min(floor, 1e-2)
        ax.set_xscale("log")
        ax.set_xlim(floor, 1.0)
    else:  # values within two decades: a linear axis from 0, a little beyond the largest value
        floor = 0.0
        top = max(positive, default=0.01) * 1.12
        ax.set_xlim(0.0, min(1.0, top))
    bars = ax.barh(y, table["exposure"], height=0.62, zorder=2, edgecolor="#333333", linewidth=0.5)
    for bar, zid, sid in zip(bars, table["zone_id"], table["system_id"]):
        colour, hatch = palette[zid]
        bar.set_facecolor(colour)
        if hatch:
            bar.set_hatch(hatch)
        bar.set_gid(f"bar-{sid}")
    ci = sim.reindex(table["system_id"])
    mc = ci["probability"].astype(float).to_numpy()
    lo = np.maximum(ci["ci_low"].astype(float).to_numpy(), floor)
    hi = np.maximum(ci["ci_high"].astype(float).to_numpy(), floor)
    has = ~np.isnan(mc)
    shown = has & (mc > 0)
    trials = int(ci["trials"].dropna().iloc[0]) if ci["trials"].notna().any() else 0
    ax.errorbar(np.where(shown, mc, np.nan), y, xerr=[np.where(shown, mc - lo, 0), np.where(shown, hi - mc, 0)],
                fmt="o", color="#000000", markersize=3.5, elinewidth=1.0, capsize=2.5, zorder=3,
                label=chart_text("mc_label", lang, n=trials), gid="montecarlo")
    zero = has & (mc <= 0)  # no trial compromised it: only the upper bound is drawn
    if zero.any():
        ax.errorbar(np.full(zero.sum(), floor), y[zero], xerr=[np.zeros(zero.sum()), hi[zero] - floor],
                    fmt="none", ecolor="#000000", elinewidth=1.0, capsize=2.5, zorder=3)
    record_texts = []
    for i, r in enumerate(table.to_dict("records")):
        if r["exposure"] <= 0:
            ax.annotate(chart_text("not_reached_label", lang), (max(floor, ax.get_xlim()[0]), y[i]),
                        xytext=(4, 0), textcoords="offset points", va="center", ha="left", fontsize=7.5,
                        color="#555555")
        if r["holds_my_number"] and not r["is_entry"]:
            x = max(r["exposure"], hi[i] if has[i] else 0.0, floor)
            records = at_stake.get(r["system_id"], 0)
            record_texts.append(ax.annotate(chart_text("records", lang, n=records), (x, y[i]), xytext=(5, 0),
                                            textcoords="offset points", va="center", ha="left", fontsize=7.5,
                                            color=_VERMILLION, gid=f"records-{r['system_id']}"))
    for at, text in headings:
        ax.text(0.0, at, text, transform=ax.get_yaxis_transform(), ha="left", va="center", fontsize=8.5,
                color="#222222", gid="group-heading")
    if len(groups) > 1:  # a rule between the systems at risk and the entry points
        ax.axhline(headings[-1][0] - 0.7, color="#777777", linewidth=0.8, zorder=1)
    ax.set_yticks(y, labels, fontsize=8, linespacing=1.0)
    for tick, holder in zip(ax.get_yticklabels(), table["holds_my_number"]):
        if holder:
            tick.set_color(_VERMILLION)
    ax.set_ylim(pos - 0.4 + 0.1, -0.6)
    ax.xaxis.set_major_formatter(FuncFormatter(percent_tick))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", which="major", color="#DDDDDD", linewidth=0.7, zorder=0)
    ax.set_axisbelow(True)
    ax.set_xlabel(chart_text("exposure_x" if scale == "log" else "exposure_x_linear", lang), fontsize=9)
    ax.set_ylabel(chart_text("exposure_y", lang), fontsize=9)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    _keep_inside(fig, ax, record_texts, scale)
    # legends: zones (in zone order, only those shown) and the Monte Carlo marker
    present = [z for z in zone_order if z in set(table["zone_id"])]
    handles = []
    for z in present:
        colour, hatch = palette[z]
        zrow = zones.loc[z].to_dict() | {"zone_id": z} if z in zones.index else {"zone_id": z}
        handles.append(Patch(facecolor=colour, hatch=hatch or None, edgecolor="#333333", linewidth=0.5,
                             label="\n".join(wrap_text(display_name(zrow, lang), 2.25, 7.5, lang))))
    legend_x = (left + ax_w + 0.25) / A4_LANDSCAPE[0]
    leg = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(legend_x, 0.81), fontsize=7.5,
                     title=chart_text("zone_legend", lang), title_fontsize=8.5, frameon=False, alignment="left")
    leg.set_gid("legend-zones")
    mc_handle = Line2D([], [], marker="o", color="#000000", markersize=3.5, linewidth=1.0,
                       label="\n".join(wrap_text(chart_text("mc_label", lang, n=trials), 2.25, 7.5, lang)))
    rec_handle = Patch(facecolor="none", edgecolor="none",
                       label="\n".join(wrap_text(chart_text("records_legend", lang), 2.25, 7.5, lang)))
    leg2 = fig.legend(handles=[mc_handle, rec_handle], loc="lower left", bbox_to_anchor=(legend_x, 0.08),
                      fontsize=7.5, frameon=False, alignment="left", handlelength=1.6)
    leg2.set_gid("legend-marks")
    if total > len(table):
        more = chart_text("exposure_top_others", lang, k=others) if others else ""
        fig.text(left / A4_LANDSCAPE[0], 0.818, chart_text("exposure_top", lang, held=held, others=more, n=total),
                 fontsize=8, color="#444444", ha="left", va="bottom", gid="note-top")
    return fig


def loss_exceedance_chart(model: Model, curve: pd.DataFrame, lang: str = "ja") -> Figure:
    """The loss-exceedance curve: the yearly probability that an attacker reaches at least ``x`` records.

    A step line (probability that the records lost in a year are at least the value on the horizontal
    axis) with its 95 % band, from :func:`~pia_analysis.analysis.simulation.loss_exceedance`; each step is
    labelled with its percentage and its whole number of people. With no trial reaching a My Number file
    the page says so with the upper bound of the probability.

    Parameters
    ----------
    model
        A loaded model.
    curve
        :func:`pia_analysis.analysis.simulation.loss_exceedance` of the model.
    lang
        ``"ja"`` or ``"en"``.

    Returns
    -------
    matplotlib.figure.Figure
        An A4-landscape page (the axes labelled ``loss``; the curve's gid ``loss-curve``).

    Raises
    ------
    ValueError
        For a ``lang`` other than ``"ja"`` or ``"en"``.

    Examples
    --------
    >>> from pia_analysis.charts.figures import loss_exceedance_chart
    >>> from pia_analysis import load_model, bundled_model_path, loss_exceedance
    >>> model = load_model(bundled_model_path())
    >>> fig = loss_exceedance_chart(model, loss_exceedance(model, trials=2000), lang="en")
    >>> fig.axes[0].get_label()
    'loss'
    """
    check_lang(lang)
    trials = int(curve["trials"].iloc[0]) if len(curve) else int(curve.attrs.get("trials", 0))
    fig = new_figure(model, lang, chart_text("loss_title", lang), chart_text("loss_sub", lang, n=trials))
    ax = fig.add_axes((0.1, 0.12, 0.8, 0.64), label="loss")
    ax.yaxis.set_major_formatter(FuncFormatter(percent_tick))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{int(round(v)):,}"))
    ax.set_xlabel(chart_text("loss_x", lang), fontsize=9)
    ax.set_ylabel(chart_text("loss_y", lang), fontsize=9)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    ax.grid(color="#DDDDDD", linewidth=0.7, zorder=0)
    ax.set_axisbelow(True)
    if curve.empty:
        high = 1.0 - 0.05 ** (1.0 / trials) if trials else 1.0  # the one-sided 95 % bound with no success
        ax.text(0.5, 0.5, chart_text("loss_none", lang, n=trials, high=format_percent(high)),
                transform=ax.transAxes, ha="center", va="center", fontsize=11, gid="loss-none")
        ax.set_xticks([])
        ax.set_yticks([])
        return fig
    x = np.concatenate([[0.0], curve["records"].to_numpy(dtype=float)])
    p = curve["probability"].to_numpy(dtype=float)
    lo = curve["low"].to_numpy(dtype=float)
    hi = curve["high"].to_numpy(dtype=float)
    end = x[-1] * 1.08
    # P(records ≥ x) on (x[i], x[i+1]] is p[i] (left-open steps); beyond the largest loss seen it is 0
    ax.fill_between(np.repeat(x, 2)[1:-1], np.repeat(lo, 2), np.repeat(hi, 2), color=_SKY, alpha=0.35,
                    linewidth=0, zorder=1, gid="loss-band")
    ax.step(np.concatenate([x, [end]]), np.concatenate([[p[0]], p, [0.0]]), where="pre", color=_BLUE,
            linewidth=1.6, zorder=3, gid="loss-curve")
    ax.plot(x[1:], p, "o", color=_BLUE, markersize=4, zorder=4)
    many = len(curve) > 12  # a large model: label the first, the last and a few in between
    picks = sorted(set(np.linspace(0, len(curve) - 1, 8).round().astype(int))) if many else range(len(curve))
    for i in picks:
        people = chart_text("records", lang, n=int(curve["records"].iloc[i]))
        share = format_percent(p[i])
        label = f"{share}（{people}以上）" if lang == "ja" else f"{share} (at least {people})"
        ax.annotate(label, (x[i + 1], p[i]), xytext=(-4, 6), ha="right", textcoords="offset points", fontsize=7.5,
                    color="#222222", gid="loss-label")
    ax.set_xlim(0.0, end)
    # ticks inside the axis only: a locator may place one beyond the last value, off the page
    ticks = [t for t in MaxNLocator(nbins=6).tick_values(0.0, end) if 0.0 <= t <= end]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.set_ylim(0.0, min(1.0, float(hi.max()) * 1.15))
    ax.tick_params(labelsize=8)
    expected = curve.attrs.get("expected_records")
    if expected is not None:
        fig.text(0.1, 0.8, chart_text("loss_expected", lang, e=int(round(float(expected)))), fontsize=9,
                 color="#444444", ha="left", va="bottom", gid="loss-expected")
    return fig


def _records_if_reached(model: Model) -> dict[str, int]:
    """System id → records of the largest file with My Numbers it holds (what is at stake if reached)."""
    return dict(model.my_number_people)


def _unique(labels: list[str], lang: str) -> list[str]:
    """Labels made distinct: a repeated name gets （2）, （3） … (two systems may share a name)."""
    seen: dict[str, int] = defaultdict(int)
    out = []
    for label in labels:
        seen[label] += 1
        n = seen[label]
        out.append(label if n == 1 else (f"{label}（{n}）" if lang == "ja" else f"{label} ({n})"))
    return out


def _keep_inside(fig: Figure, ax, texts: list, scale: str) -> None:
    """Widen the x range until every text drawn right of a bar ends inside the axes (not under a legend)."""
    for _ in range(4):
        renderer = fig.canvas.get_renderer()
        box = ax.get_window_extent(renderer)
        over = max((t.get_window_extent(renderer).x1 - box.x1 for t in texts), default=0.0)
        if over <= 0:
            return
        lo, hi = ax.get_xlim()
        frac = (over + 4) / box.width  # the share of the axes the texts need beyond its right edge
        if scale == "log":
            span = math.log10(hi) - math.log10(lo)
            ax.set_xlim(lo, 10 ** (math.log10(hi) + span * frac / (1 - frac)))
        else:
            ax.set_xlim(lo, hi + (hi - lo) * frac / (1 - frac))


# ---------------------------------------------------------------------------------------------------
# stage coverage


def stage_coverage_chart(model: Model, coverage: pd.DataFrame, lang: str = "ja") -> Figure:
    """The six stages as stacked bars of covered / planned / gap shares of their (risk × element) pairs.

    Stages are labelled with their official short Japanese names (``short_ja``; English ``name_en``
    with ``lang="en"``), in official order from the top. A stage with no element in scope is drawn as a
    grey hatched bar marked out of scope (its shares are not 0 % or 100 %, they do not exist).

    Parameters
    ----------
    model
        A loaded model.
    coverage
        :func:`pia_analysis.analysis.coverage.stage_coverage` of the model.
    lang
        ``"ja"`` or ``"en"``.

    Returns
    -------
    matplotlib.figure.Figure
        An A4-landscape page with one stacked bar per stage.

    Raises
    ------
    ValueError
        For a ``lang`` other than ``"ja"`` or ``"en"``.

    Examples
    --------
    >>> from pia_analysis.charts.figures import stage_coverage_chart
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.coverage import stage_coverage
    >>> model = load_model(bundled_model_path())
    >>> fig = stage_coverage_chart(model, stage_coverage(model))
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()][:2]
    ['入手', '使用']
    """
    check_lang(lang)
    stages = catalog.stages()
    table = stages[["stage", "stage_no"]].merge(coverage.drop(columns=["stage_no"], errors="ignore"), on="stage",
                                                how="left")
    fig = new_figure(model, lang, chart_text("stagecov_title", lang), chart_text("stagecov_sub", lang))
    size = 9.5
    if lang == "en":
        labels = ["\n".join(wrap_text(stage_name(s, "en", form="full"), 2.9, size, lang)) for s in table["stage"]]
    else:
        labels = [stage_name(s, "ja") for s in table["stage"]]
    label_w = max(max(text_width(line, size) for line in lb.split("\n")) for lb in labels)
    left = label_w + 0.75
    ax_w = A4_LANDSCAPE[0] - left - 1.45
    ax = fig.add_axes((left / A4_LANDSCAPE[0], 0.17, ax_w / A4_LANDSCAPE[0], 0.67), label="stage_coverage")
    y = np.arange(len(table))
    parts = (("covered", _BLUE, ""), ("planned", _SKY, "...."), ("gaps", _VERMILLION, "////"))
    in_scope = table["in_scope"].fillna(False).astype(bool).to_numpy() & (table["pairs"].fillna(0) > 0).to_numpy()
    pairs = table["pairs"].fillna(0).astype(int).to_numpy()
    left_acc = np.zeros(len(table))
    for col, colour, hatch in parts:
        counts = table[col].fillna(0).astype(float).to_numpy()
        share = np.where(in_scope, counts / np.where(pairs > 0, pairs, 1) * 100, 0.0)
        key = "gap" if col == "gaps" else col
        bars = ax.barh(y, share, left=left_acc, height=0.6, color=colour, hatch=hatch or None,
                       edgecolor="#FFFFFF", linewidth=0.8, label=chart_text(key, lang), zorder=2)
        for bar, stage in zip(bars, table["stage"]):
            bar.set_gid(f"{key}-{stage}")
        for i, (sh, cnt) in enumerate(zip(share, counts)):
            if in_scope[i] and sh >= 6:
                text = f"{sh:.0f}%\n({int(cnt)})"
                ax.text(left_acc[i] + sh / 2, i, text, ha="center", va="center", fontsize=8,
                        color=text_colour_on(colour), zorder=3,
                        bbox={"boxstyle": "round,pad=0.15", "facecolor": colour, "edgecolor": "none"}
                        if hatch else None)
        left_acc = left_acc + share
    for i in range(len(table)):
        if in_scope[i]:
            n_planned = int(table["planned"].fillna(0).iloc[i])
            text = chart_text("pairs_n", lang, n=int(pairs[i]))
            if n_planned:
                text += (f"\n（計画中 {n_planned}）" if lang == "ja" else f"\n({n_planned} planned)")
            ax.text(101.5, i, text, ha="left", va="center", fontsize=8.5, color="#333333", linespacing=1.2)
        else:
            ax.barh([i], [100], height=0.6, color="#EEEEEE", hatch="xx", edgecolor="#BBBBBB", linewidth=0.5,
                    zorder=2, gid=f"out_of_scope-{table['stage'].iloc[i]}")
            declared = table["declared"].iloc[i] if "declared" in table else ""
            declared = str(declared) if pd.notna(declared) else ""
            # a stage the model declares out (委託しない …) says so, with the form's words, as the reason
            text = (chart_text("declared_out", lang, words=declaration_label(declared, lang)) if declared
                    else chart_text("out_of_scope", lang))
            ax.text(50, i, text, ha="center", va="center", fontsize=9, color="#333333",
                    zorder=3, bbox={"boxstyle": "round,pad=0.25", "facecolor": "#FFFFFF", "edgecolor": "#BBBBBB"})
    ax.set_yticks(y, labels, fontsize=size)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    ax.tick_params(axis="x", labelsize=8.5)
    ax.set_xlabel(chart_text("share_x", lang), fontsize=9.5)
    ax.set_ylabel(chart_text("stage_y", lang), fontsize=9.5)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.7, zorder=0)
    ax.set_axisbelow(True)
    leg = ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09), ncols=3, fontsize=9, frameon=False)
    leg.set_gid("legend-status")
    note = ("括弧内は組の数。網羅率＝実施済みの対策が対応付けられた組／全組。"
            if lang == "ja" else
            "In brackets: number of pairs. Coverage = pairs with an implemented control / all pairs.")
    fig.text(left / A4_LANDSCAPE[0], 0.045, note, fontsize=8, color="#444444", ha="left")
    return fig


# ---------------------------------------------------------------------------------------------------
# coverage heatmap


def coverage_heatmap(model: Model, matrix: pd.DataFrame, lang: str = "ja") -> Figure:
    """Coverage of each system (rows, grouped by zone as in the data-flow diagram) in each stage (columns).

    The cell is :func:`pia_analysis.analysis.coverage.coverage_matrix`'s ratio in % (cividis: dark = low); a
    grey cell with '−' means the system is not in that stage's scope. Above :data:`HEATMAP_MAX_SYSTEMS`
    systems each row is a zone (the mean coverage of its systems in the stage's scope).

    Parameters
    ----------
    model
        A loaded model.
    matrix
        :func:`pia_analysis.analysis.coverage.coverage_matrix` of the model (stages × systems, 0 to 1,
        NaN out of scope).
    lang
        ``"ja"`` or ``"en"``.

    Returns
    -------
    matplotlib.figure.Figure
        An A4-landscape page with the heatmap (one image, systems × stages) and its colour bar.

    Raises
    ------
    ValueError
        For a ``lang`` other than ``"ja"`` or ``"en"``.

    Examples
    --------
    >>> from pia_analysis.charts.figures import coverage_heatmap
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.coverage import coverage_matrix
    >>> model = load_model(bundled_model_path())
    >>> fig = coverage_heatmap(model, coverage_matrix(model))
    >>> fig.axes[0].images[0].get_array().shape
    (20, 6)
    """
    check_lang(lang)
    stages = [s for s in catalog.stages()["stage"] if s in matrix.index]
    if len(model.systems) > HEATMAP_MAX_SYSTEMS:
        return _coverage_heatmap_by_zone(model, matrix, stages, lang)
    order = dataflow_system_order(model)
    rows = [s for z in order for s in order[z] if s in matrix.columns]
    rows += sorted(set(matrix.columns) - set(rows))
    data = matrix.loc[stages, rows].T.astype(float)
    values = data.to_numpy() * 100
    systems = model.systems.set_index("system_id")
    zones = model.zones.set_index("zone_id")
    fig = new_figure(model, lang, chart_text("heatmap_title", lang), chart_text("heatmap_sub", lang))
    labels = _unique([display_name(systems.loc[s].to_dict() | {"system_id": s}, lang) if s in systems.index else s
                      for s in rows], lang)
    labels = ["\n".join(wrap_text(lb, 3.5, 8, lang, max_lines=2)) for lb in labels]
    label_w = max(text_width(line, 8) for lb in labels for line in lb.split("\n"))
    left = min(4.0, label_w + 0.45)
    zone_w = 2.1
    ax_w = A4_LANDSCAPE[0] - left - zone_w - 1.15
    col_w_in = ax_w / max(1, len(stages))
    # a stage the model declares out (委託しない …) says so under its name: its column is empty by declaration
    declared = set(model.meta.get("declared_not_applicable") or ())
    table = catalog.stage_declarations()
    # the declaration's words in the chart's language (委託しない / no outsourcing)
    label = table["label_en"] if lang == "en" else table["label_ja"]
    glue = "・" if lang == "ja" else ", "
    words = {st: glue.join(w for d, s2, w in zip(table["declaration"], table["stage"], label)
                           if s2 == st and d in declared) for st in stages}
    col_labels = ["\n".join(wrap_text(stage_name(s, lang), col_w_in - 0.08, 8, lang)
                            + (wrap_text(chart_text("declared_out", lang, words=words[s]), col_w_in - 0.08, 8, lang)
                               if words[s] else [])) for s in stages]
    header_in = max(lb.count("\n") + 1 for lb in col_labels) * 8 * 1.25 / 72 + 0.4
    top_frac = (A4_LANDSCAPE[1] - 1.0 - header_in) / A4_LANDSCAPE[1]
    bottom_frac = 0.06
    ax = fig.add_axes((left / A4_LANDSCAPE[0], bottom_frac, ax_w / A4_LANDSCAPE[0], top_frac - bottom_frac),
                      label="coverage_heatmap")
    cmap = mpl.colormaps[CONTINUOUS_CMAP].with_extremes(bad="#F7F7F7")
    masked = np.ma.masked_invalid(values)
    image = ax.imshow(masked, cmap=cmap, vmin=0, vmax=100, aspect="auto", interpolation="nearest")
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            if np.isnan(v):
                ax.text(j, i, "−", ha="center", va="center", fontsize=8, color="#999999")
            else:
                ax.text(j, i, f"{v:.0f}%", ha="center", va="center", fontsize=8,
                        color=text_colour_on(cmap(v / 100)))
    ax.set_xticks(range(len(stages)), col_labels, fontsize=8)
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.set_xlabel(chart_text("heatmap_x", lang), fontsize=9)
    ax.set_yticks(range(len(rows)), labels, fontsize=8)
    ax.set_ylabel(chart_text("heatmap_y", lang), fontsize=9)
    ax.tick_params(length=0)
    ax.set_xticks(np.arange(-0.5, len(stages), 1), minor=True)
    ax.set_yticks(np.arange(-0.5, len(rows), 1), minor=True)
    ax.grid(which="minor", color="#D9D9D9", linewidth=0.8)
    ax.tick_params(which="minor", length=0)
    # zone groups: a line between groups and the zone name at the right
    zone_of = dict(zip(model.systems["system_id"], model.systems["zone_id"]))
    start = 0
    groups = []
    for i in range(1, len(rows) + 1):
        if i == len(rows) or zone_of.get(rows[i]) != zone_of.get(rows[start]):
            groups.append((zone_of.get(rows[start]), start, i - 1))
            start = i
    row_h_in = (top_frac - bottom_frac) * A4_LANDSCAPE[1] / max(1, len(rows))
    for z, a, b in groups:
        if b < len(rows) - 1:
            ax.axhline(b + 0.5, color="#333333", linewidth=1.4)
        zrow = zones.loc[z].to_dict() | {"zone_id": z} if z in zones.index else {"zone_id": str(z)}
        max_lines = max(2, int(((b - a + 1) * row_h_in) / 0.13))
        text = "\n".join(wrap_text(display_name(zrow, lang), zone_w - 0.25, 7.5, lang, max_lines=max_lines))
        ax.annotate(text, xy=(1.0, 1 - (a + b + 1) / 2 / len(rows)), xycoords="axes fraction",
                    xytext=(10, 0), textcoords="offset points", ha="left", va="center", fontsize=7.5,
                    color="#333333", annotation_clip=False, linespacing=1.1, gid=f"zone-{z}")
        ax.plot([1.012, 1.012], [1 - (a + 0.12) / len(rows), 1 - (b + 0.88) / len(rows)], transform=ax.transAxes,
                color="#777777", linewidth=1.4, clip_on=False, solid_capstyle="butt")
    cax = fig.add_axes(((left + ax_w + zone_w + 0.35) / A4_LANDSCAPE[0], 0.25, 0.014, 0.4), label="colorbar")
    cbar = fig.colorbar(image, cax=cax)
    cbar.ax.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    cbar.ax.tick_params(labelsize=7.5)
    cbar.ax.set_title("\n".join(wrap_text(chart_text("heatmap_cbar", lang), 1.0, 8, lang)), fontsize=8, loc="left",
                      pad=6)
    return fig


def _coverage_heatmap_by_zone(model: Model, matrix: pd.DataFrame, stages: list[str], lang: str) -> Figure:
    """The heatmap of a large model: one row per zone (diagram order).

    Each cell is the mean coverage of the zone's systems in the stage's scope (NaN cells left out), with the
    number of systems in the row label.
    """
    zone_of = dict(zip(model.systems["system_id"], model.systems["zone_id"]))
    columns = [c for c in matrix.columns if c in zone_of]
    by_zone = matrix.loc[stages, columns].T.astype(float)
    by_zone.index = [zone_of[c] for c in columns]
    means = by_zone.groupby(level=0, sort=True).mean()  # mean skips NaN: only the systems in scope
    sizes = pd.Series(zone_of).value_counts()
    rows = [z for z in dataflow_zone_order(model, lang) if z in means.index]
    rows += sorted(set(means.index) - set(rows))
    values = means.loc[rows, stages].to_numpy() * 100
    zones = model.zones.set_index("zone_id")
    fig = new_figure(model, lang, chart_text("heatmap_title", lang),
                     chart_text("heatmap_sub_zone", lang, n=len(model.systems)))
    labels = []
    for z in rows:
        zrow = zones.loc[z].to_dict() | {"zone_id": z} if z in zones.index else {"zone_id": str(z)}
        name = "\n".join(wrap_text(display_name(zrow, lang), 3.4, 8, lang, max_lines=2))
        labels.append(f"{name}  ({int(sizes.get(z, 0)):,})")
    label_w = max(text_width(line, 8) for lb in labels for line in lb.split("\n")) if labels else 1.0
    left = min(4.2, label_w + 0.45)
    ax_w = A4_LANDSCAPE[0] - left - 1.6
    col_w_in = ax_w / max(1, len(stages))
    col_labels = ["\n".join(wrap_text(stage_name(st, lang), col_w_in - 0.08, 8, lang)) for st in stages]
    header_in = max(lb.count("\n") + 1 for lb in col_labels) * 8 * 1.25 / 72 + 0.4
    top_frac = (A4_LANDSCAPE[1] - 1.0 - header_in) / A4_LANDSCAPE[1]
    bottom_frac = 0.06
    ax = fig.add_axes((left / A4_LANDSCAPE[0], bottom_frac, ax_w / A4_LANDSCAPE[0], top_frac - bottom_frac),
                      label="coverage_heatmap")
    cmap = mpl.colormaps[CONTINUOUS_CMAP].with_extremes(bad="#F7F7F7")
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=0, vmax=100, aspect="auto",
                      interpolation="nearest")
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            if np.isnan(v):
                ax.text(j, i, "−", ha="center", va="center", fontsize=8, color="#999999")
            else:
                ax.text(j, i, f"{v:.0f}%", ha="center", va="center", fontsize=8, color=text_colour_on(cmap(v / 100)))
    ax.set_xticks(range(len(stages)), col_labels, fontsize=8)
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.set_xlabel(chart_text("heatmap_x", lang), fontsize=9)
    ax.set_yticks(range(len(rows)), labels, fontsize=8)
    ax.set_ylabel(chart_text("heatmap_y_zone", lang), fontsize=9)
    ax.tick_params(length=0)
    ax.set_xticks(np.arange(-0.5, len(stages), 1), minor=True)
    ax.set_yticks(np.arange(-0.5, len(rows), 1), minor=True)
    ax.grid(which="minor", color="#D9D9D9", linewidth=0.8)
    ax.tick_params(which="minor", length=0)
    cax = fig.add_axes(((left + ax_w + 0.35) / A4_LANDSCAPE[0], 0.25, 0.014, 0.4), label="colorbar")
    cbar = fig.colorbar(image, cax=cax)
    cbar.ax.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    cbar.ax.tick_params(labelsize=7.5)
    cbar.ax.set_title("\n".join(wrap_text(chart_text("heatmap_cbar", lang), 1.0, 8, lang)), fontsize=8, loc="left",
                      pad=6)
    return fig


# ---------------------------------------------------------------------------------------------------
# risk map

_RULE_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "p", "h", "<", ">", "*")
_LABEL_MARGIN = 0.06  # inches kept free between a label of the risk map and the edge of its cell or column
_PARENTHESIS = re.compile(r"\s*[（(][^（）()]*[）)]")


def _one_line(text: str, room: float, size: float) -> str:
    """``text`` on one line of ``room`` inches, shortened deliberately when it does not fit.

    Whole if it fits, else without its parentheses (an annex, a place: 「証明書発行サーバ（コンビニ交付・
    市外）」 → 「証明書発行サーバ」), else cut with '…'.
    """
    if text_width(text, size) <= room:
        return text
    bare = _PARENTHESIS.sub("", text).strip()
    if bare and text_width(bare, size) <= room:
        return bare
    return fit_text(bare or text, room, size)


def _cell_label(name: str, flow: bool, room: float, size: float, lang: str, lines: int = 1) -> str:
    """A name of the risk map fitted to ``room`` inches in ``lines`` lines (1 to 3).

    A flow 「送り元 → 送り先」 keeps both ends: on two lines or more one each, on one line each end its share.
    Other names wrap by :func:`~.style.wrap_text` (禁則) on ``lines`` lines, the last ending with '…' if needed.
    """
    room = max(room, 0.3)
    if text_width(name, size) <= room:
        return name
    if flow and " → " in name:
        source, target = name.split(" → ", 1)
        if lines >= 2:
            return _one_line(source + " →", room, size) + "\n" + _one_line(target, room, size)
        share = room - text_width(" → ", size)
        first = _one_line(source, max(share / 2, share - text_width(target, size)), size)
        return first + " → " + _one_line(target, share - text_width(first, size), size)
    if lines >= 2:
        return "\n".join(wrap_text(name, room, size, lang, max_lines=lines))
    return _one_line(name, room, size)



def risk_map(model: Model, findings: pd.DataFrame, findings_after: pd.DataFrame, lang: str = "ja",
             statuses: tuple[str, ...] = ("open",)) -> Figure:
    """CNIL-style risk map: the findings on a 4 × 4 likelihood × impact grid, now and after the action plan.

    Likelihood runs across, impact up.

    Each finding whose status is in ``statuses`` (default: open) is a filled marker (shape and colour
    by rule) labelled with its element, in the cell of its likelihood and impact levels; the cell's
    background is the risk level of the grid (``catalog/risk_level_grid.csv``). Where the action plan
    changes a finding, a hollow marker shows it after every planned control is in place, joined by an
    arrow (a hollow marker marked as mitigated when only its status changes).

    "After" comes from ``findings_after``: :func:`pia_analysis.analysis.findings.find_findings` on the model
    with every planned control implemented (the findings give no after-plan likelihood themselves).
    Findings are matched by ``finding_id``; one that is not applicable after the plan counts as resolved.

    Parameters
    ----------
    model
        A loaded model.
    findings
        :func:`pia_analysis.analysis.findings.find_findings` of the model (``include_all=True`` or not:
        only the ``statuses`` shown are drawn).
    findings_after
        The same on :func:`pia_analysis.analysis.pipeline.with_planned_implemented` of the model.
    lang
        ``"ja"`` or ``"en"``.
    statuses
        The statuses of the findings drawn.

    Returns
    -------
    matplotlib.figure.Figure
        An A4-landscape page with the grid (axes label ``risk_map``) and the rules' legend.

    Raises
    ------
    ValueError
        For a ``lang`` other than ``"ja"`` or ``"en"``.

    References
    ----------
    .. [1] CNIL, *Privacy Impact Assessment (PIA) — Knowledge bases*, 2018 (likelihood and severity scales).

    Examples
    --------
    >>> from pia_analysis.charts.figures import risk_map
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.findings import find_findings
    >>> model = load_model(bundled_model_path())
    >>> from pia_analysis.analysis.pipeline import with_planned_implemented
    >>> after = find_findings(with_planned_implemented(model), include_all=True)
    >>> fig = risk_map(model, find_findings(model, include_all=True), after, lang="en")
    >>> fig.axes[0].get_xlabel()
    'Likelihood'
    """
    check_lang(lang)
    shown = findings.loc[findings["status"].isin(statuses)].copy()
    shown = shown.sort_values(["likelihood", "impact", "rule_id", "element"], kind="stable")
    after = findings_after.set_index("finding_id")
    grid = risk_level_grid()
    scales = risk_scales()
    fig = new_figure(model, lang, chart_text("riskmap_title", lang), chart_text("riskmap_sub", lang))
    # the grid as wide as the rules' legend (wrapped at 2.25 in) leaves: every inch is room for a name
    ax_left, ax_w, ax_bottom, ax_h = 1.45, 7.0, 0.12, 0.73
    ax = fig.add_axes((ax_left / A4_LANDSCAPE[0], ax_bottom, ax_w / A4_LANDSCAPE[0], ax_h), label="risk_map")
    ax.set_xlim(0.5, 4.5)
    ax.set_ylim(0.5, 4.5)
    level_label = {int(r.level): (r.label_ja if lang == "ja" else r.label_en)
                 for r in scales.loc[scales["scale"] == "risk_level"].itertuples()}
    for li in range(1, 5):
        for im in range(1, 5):
            level = int(grid.loc[li, im])
            ax.add_patch(Rectangle((li - 0.5, im - 0.5), 1, 1, facecolor=_RISK_LEVEL_FILL[level], edgecolor="#FFFFFF",
                                   linewidth=2, zorder=0, gid=f"cell-{li}-{im}"))
            ax.text(li + 0.47, im - 0.47, f"{chart_text('risk_level', lang)}: {level_label[level]}", ha="right",
                    va="bottom", fontsize=6.5, color="#666666", zorder=1, gid=f"risk-level-{li}-{im}")

    def level_labels(scale: str) -> list[str]:
        rows = scales.loc[scales["scale"] == scale].sort_values("level")
        # levels in words only: a bare 1-4 beside the words reads as a score to a lay reader
        return ["\n".join(wrap_text(r.label_ja if lang == "ja" else r.label_en, ax_w / 4 - 0.1, 8.5, lang))
                for r in rows.itertuples()]

    ax.set_xticks([1, 2, 3, 4], level_labels("likelihood"), fontsize=8.5)
    ax.set_yticks([1, 2, 3, 4], level_labels("impact"), fontsize=8.5)
    ax.set_xlabel(chart_text("likelihood", lang), fontsize=10)
    ax.set_ylabel(chart_text("impact", lang), fontsize=10)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)

    rule_ids = [r.rule_id for r in RULES]
    rule_ids += sorted(set(findings["rule_id"]) - set(rule_ids))
    kind = organisation_kind(model.meta)
    rule_titles = {r.rule_id: r.title(lang, kind) for r in RULES}
    palette = [c for c in OKABE_ITO if c not in (_YELLOW, _GREY)]  # 7 colours readable on the tinted cells
    present = [rid for rid in rule_ids if rid in set(shown["rule_id"])]
    style = {rid: (palette[i % len(palette)], _RULE_MARKERS[i % len(_RULE_MARKERS)]) for i, rid in enumerate(present)}

    # items per cell: the findings now, then where they go after the plan
    items: dict[tuple[int, int], list[dict]] = defaultdict(list)
    moves = []

    def name_of(r: dict) -> str:
        # the element by name (a flow as 送り元 → 送り先), in full: it is fitted to the room it gets when placed
        return element_name(model, r["element"], str(r.get("element_type", "")), lang)

    for r in shown.to_dict("records"):
        now = {"id": r["finding_id"], "rule": r["rule_id"], "label": name_of(r), "after": False,
               "resolved": False, "flow": r.get("element_type") == "flow"}
        items[(int(r["likelihood"]), int(r["impact"]))].append(now)
        if r["finding_id"] in after.index:
            a = after.loc[r["finding_id"]]
            a_status, a_li, a_im = str(a["status"]), int(a["likelihood"]), int(a["impact"])
        else:
            a_status, a_li, a_im = "not_applicable", int(r["likelihood"]), int(r["impact"])
        if a_status != r["status"] or (a_li, a_im) != (int(r["likelihood"]), int(r["impact"])):
            later = {"id": r["finding_id"], "rule": r["rule_id"], "label": name_of(r), "after": True,
                     "resolved": a_status in ("mitigated", "not_applicable"), "flow": now["flow"]}
            items[(a_li, a_im)].append(later)
            moves.append((now, later))
    # Place the items on a lattice in each cell (rows from the top; two columns when the labels fit). A
    # finding the plan moves is placed first, in the left column of its cell, and its position after the
    # plan takes a whole row of the destination cell at the same height, its marker on the side facing
    # the origin: the arrow then runs level across the cell boundary and crosses no label.
    where: dict[int, tuple[float, float]] = {}
    cell_w_in = ax_w / 4
    cell_h_in = ax_h * A4_LANDSCAPE[1] / 4
    row_pitch = 0.15  # inches
    label_size = 6.8
    marker_w = 0.13  # marker and gap before the label
    capacity = max(1, int((cell_h_in - 0.27) / row_pitch))

    mitigated = "（対策済みに）" if lang == "ja" else " (mitigated)"
    full_room = cell_w_in - 0.09 - 0.085 - _LABEL_MARGIN  # a label right of a marker at the cell's left edge

    def item_label(it: dict, room: float = full_room, lines: int = 1) -> str:
        # the name fitted to ``room`` inches (deliberately: a parenthesis goes first, then '…'); the new
        # status of a finding the plan mitigates is never cut
        suffix = mitigated if it["after"] and it["resolved"] else ""
        room -= text_width(suffix, label_size)
        return _cell_label(it["label"], it["flow"], room, label_size, lang, lines) + suffix

    full_rows: dict[tuple[int, int], set[int]] = defaultdict(set)  # rows taken whole by one item
    used: dict[tuple[int, int, int], set[int]] = defaultdict(set)  # (li, im, col) -> rows taken
    slot: dict[int, tuple[int, int, str]] = {}  # item -> (col, row, side); side "right": marker at the right
    cell_of = {id(it): key for key, cell in items.items() for it in cell}
    route: dict[int, str] = {}  # departure -> how its arrow runs: level, gutter (down the left edge), after_label

    def free(cell: tuple[int, int], row: int, whole: bool) -> bool:
        if row in full_rows[cell] or row in used[(*cell, 0)]:
            return False
        return not (whole and row in used[(*cell, 1)])

    def first(test: Callable[[int], bool]) -> int | None:
        # The last row of a cell is never taken by a move: a crowded cell needs it for its "+n more" note.
        return next((r for r in range(max(1, capacity - 1)) if test(r)), None)

    for now, later in sorted(moves, key=lambda m: (cell_of[id(m[0])], cell_of[id(m[1])], m[0]["rule"],
                                                   m[0]["label"])):
        src, dst = cell_of[id(now)], cell_of[id(later)]
        if src == dst:  # only the status changes: the hollow marker follows the label on the same row
            r = first(lambda r: free(src, r, True))
            if r is not None:
                full_rows[src].add(r)
                slot[id(now)], slot[id(later)], route[id(now)] = (0, r, ""), (0, r, "after_label"), "after_label"
        elif src[1] == dst[1]:  # same impact: level arrow across the boundary, on the same row of both cells
            leftward = dst[0] < src[0]
            r = first(lambda r: free(src, r, not leftward) and free(dst, r, leftward))
            if r is not None:
                (full_rows[dst] if leftward else used[(*dst, 0)]).add(r)
                (used[(*src, 0)] if leftward else full_rows[src]).add(r)
                slot[id(now)] = (0, r, "" if leftward else "right")
                slot[id(later)] = (0, r, "right" if leftward else "")
                route[id(now)] = "level"
        else:  # the impact changes: along the left edge of the cells when the likelihood stays
            r1, r2 = first(lambda r: free(src, r, False)), first(lambda r: free(dst, r, src[0] != dst[0]))
            if r1 is not None and r2 is not None:
                used[(*src, 0)].add(r1)
                (full_rows[dst] if src[0] != dst[0] else used[(*dst, 0)]).add(r2)
                slot[id(now)] = (0, r1, "")
                slot[id(later)] = (0, r2, "right" if dst[0] < src[0] else "")
                route[id(now)] = "gutter" if src[0] == dst[0] else "level"
    hidden_in: dict[tuple[int, int], tuple[int, int, int]] = {}  # cell -> (hidden, col, row of the note)
    two_columns: dict[tuple[int, int], bool] = {}
    line_count: dict[int, int] = {}  # item -> lines its name may take (and rows of the lattice)
    for key, cell in sorted(items.items()):
        cell.sort(key=lambda it: (it["after"], it["rule"], it["label"]))
        rest = [it for it in cell if id(it) not in slot]
        lattice = [it for it in cell if slot.get(id(it), (0, 0, ""))[2] == ""]  # labels right of a marker
        widest = max((text_width(item_label(it), label_size) for it in lattice), default=0.0)
        two = widest + marker_w <= cell_w_in / 2 - 0.04 and len(cell) > capacity // 2
        two_columns[key] = two
        # A cell with room to spare and no move gives each name two or three rows: wrapped, not cut
        each = 1 if two or any(id(it) in slot for it in cell) else max(1, min(3, capacity // max(1, len(cell))))
        slots = [(c, r) for r in range(0, capacity - each + 1, each) for c in ((0, 1) if two else (0,))
                 if r not in full_rows[key] and r not in used[(*key, c)]]
        line_count.update({id(it): each for it in cell})
        if len(rest) > len(slots):  # the last slot says "+n more"
            shown_rest = rest[: max(0, len(slots) - 1)]
            hidden_in[key] = (len(rest) - len(shown_rest), *slots[len(shown_rest)]) if slots else (len(rest), 0, 0)
        else:
            shown_rest = rest
        for it, (c, r) in zip(shown_rest, slots):
            slot[id(it)] = (c, r, "")
    label_end: dict[int, float] = {}
    for key, cell in sorted(items.items()):
        li, im = key
        for it in sorted(cell, key=lambda it: it["after"]):  # departures first: arrivals may follow their label
            if id(it) not in slot:
                continue
            col, row, side = slot[id(it)]
            lines = line_count.get(id(it), 1)
            y = im + 0.5 - (0.14 + (row + (lines - 1) / 2) * row_pitch) / cell_h_in
            if side == "right":
                x = li + 0.5 - 0.24 / cell_w_in
            elif side == "after_label":
                partner = next(o for o in cell if o["id"] == it["id"] and not o["after"])
                x = label_end[id(partner)] + 0.2 / cell_w_in
            else:
                x = li - 0.5 + (0.09 + col * (cell_w_in / 2)) / cell_w_in
            where[id(it)] = (x, y)
            colour, marker = style[it["rule"]]
            ax.plot([x], [y], marker=marker, markersize=6.5, linestyle="none", zorder=4,
                    markerfacecolor="#FFFFFF" if it["after"] else colour, markeredgecolor=colour,
                    markeredgewidth=1.3, gid=f"{'after' if it['after'] else 'now'}-{it['id']}")
            offset = 0.085 / cell_w_in
            mitigated_word = "（対策済みに）" if lang == "ja" else "(mitigated)"
            status = mitigated_word if it["resolved"] else ""
            # The room the label has, in inches, measured from where it starts to the edge of its column (or,
            # for a label left of its marker, to the cell's left edge), less a margin: no name runs out of its cell
            if side == "right":
                room = (x - offset - (li - 0.5)) * cell_w_in - _LABEL_MARGIN
            else:
                column_end = (col + 1) * cell_w_in / 2 if two_columns.get(key) else cell_w_in
                room = column_end - (x - (li - 0.5)) * cell_w_in - 0.085 - _LABEL_MARGIN
                partner = [o for o in cell if o["id"] == it["id"] and o["after"] and
                           slot.get(id(o), (0, 0, ""))[2] == "after_label"] if not it["after"] else []
                if partner:  # the hollow marker and the new status follow on the same row
                    status_after = mitigated_word if partner[0]["resolved"] else ""
                    room -= 0.2 + 0.05 + 0.085 + text_width(status_after, label_size)
            text = item_label(it, room, lines)
            if side == "after_label":  # the label is the finding's, just before: only the new status follows
                text = status
            ax.text(x - offset if side == "right" else x + offset, y, text,
                    ha="right" if side == "right" else "left", va="center", fontsize=label_size, zorder=4,
                    color="#555555" if it["after"] else "#111111", linespacing=1.0,
                    gid=f"{'afterlabel' if it['after'] else 'label'}-{it['id']}")
            label_end[id(it)] = x + offset + max(text_width(t, label_size) for t in text.split("\n")) / cell_w_in
        if key in hidden_in:
            n_hidden, col, row = hidden_in[key]
            ax.text(li - 0.5 + (0.05 + col * (cell_w_in / 2)) / cell_w_in,
                    im + 0.5 - (0.14 + row * row_pitch) / cell_h_in,
                    chart_text("more", lang, n=n_hidden), ha="left", va="center", fontsize=label_size, color="#333333",
                    gid="more")
    for now, later in moves:
        if id(now) not in where or id(later) not in where:
            continue
        (x1, y1), (x2, y2) = where[id(now)], where[id(later)]
        how = route.get(id(now), "level")
        if how == "gutter":  # out to the left edge of the cells, along it, and back in
            gx = min(x1, x2) - 0.065 / cell_w_in
            pad = 0.05 / cell_w_in
            path = MplPath([(x1 - pad, y1), (gx, y1), (gx, y2), (x2 - pad, y2)],
                           [MplPath.MOVETO, MplPath.LINETO, MplPath.LINETO, MplPath.LINETO])
            arrow = FancyArrowPatch(path=path, arrowstyle="-|>", mutation_scale=10, color="#222222",
                                    linewidth=1.1, zorder=5, gid=f"move-{now['id']}")
        else:
            start = (label_end[id(now)] + 0.02 / cell_w_in, y1) if how == "after_label" else (x1, y1)
            arrow = FancyArrowPatch(start, (x2, y2), arrowstyle="-|>", mutation_scale=10, color="#222222",
                                    linewidth=1.1, shrinkA=0 if how == "after_label" else 4, shrinkB=4.5, zorder=5,
                                    gid=f"move-{now['id']}")
        ax.add_patch(arrow)
    if shown.empty:
        ax.text(2.5, 2.5, chart_text("riskmap_none", lang), ha="center", va="center", fontsize=11, color="#555555")
    # legend: rules present, then now / after markers
    handles = [Line2D([], [], marker=style[rid][1], color=style[rid][0], linestyle="none", markersize=6.5,
                      label="\n".join(wrap_text(rule_titles.get(rid, rid), 2.25, 7.5, lang))) for rid in present]
    handles += [
        Line2D([], [], marker="o", color="#333333", linestyle="none", markersize=6.5,
               label="現在（未対応）" if lang == "ja" else "Now (open)"),
        Line2D([], [], marker="o", markerfacecolor="#FFFFFF", color="#333333", linestyle="none", markersize=6.5,
               label=chart_text("after_plan", lang)),
    ]
    leg = fig.legend(handles=handles, loc="upper left",
                     bbox_to_anchor=((ax_left + ax_w + 0.35) / A4_LANDSCAPE[0], ax_bottom + ax_h),
                     fontsize=7.5, title=chart_text("rules_legend", lang), title_fontsize=8.5, frameon=False,
                     alignment="left", labelspacing=0.8)
    leg.set_gid("legend-rules")
    status_text = ("、" if lang == "ja" else ", ").join(
        _FINDING_STATUS.get(st, (st, st))[0 if lang == "ja" else 1] for st in statuses)
    fig.text(ax_left / A4_LANDSCAPE[0], 0.04,
             chart_text("riskmap_note", lang, shown=len(shown), statuses=status_text, moved=len(moves)),
             fontsize=8, color="#444444")
    return fig


# ---------------------------------------------------------------------------------------------------
# self-rating check


def _form_item_label(r: dict, name: str, lang: str) -> str:
    """「Ⅲ2 リスク3：入手した特定個人情報が不正確であるリスク」 — the form's item number, then its wording."""
    form = str(r.get("form_item_ja") or "")
    if not form or form.lower() == "nan":
        return name
    number = form_item_number(form, lang)
    if lang == "ja" and str(r.get("name_ja") or "") and str(r.get("name_ja")) in form:
        return form  # Ⅳ1 監査 ①自己点検: the number carries the wording
    return f"{number}：{name}" if lang == "ja" else f"{number}: {name}"


def rating_check_chart(model: Model, check: pd.DataFrame, lang: str = "ja") -> Figure:
    """Claimed self-rating against measured coverage, one row per rated item (official order from the top).

    Each row is labelled with the form's item number and its official wording (「Ⅲ2 リスク3：入手した特定個人
    情報が不正確であるリスク」, catalog/rated_items.csv), never the risk's id.

    x = coverage (% of the risk's elements with an implemented control mapped); marker shape = claimed
    rating; colour = the check's status (vermillion = overclaimed). A hollow marker and a short arrow show
    the coverage once the planned controls are in place, where it differs.

    Parameters
    ----------
    model
        A loaded model.
    check
        :func:`pia_analysis.analysis.coverage.rating_check` of the model.
    lang
        ``"ja"`` or ``"en"``.

    Returns
    -------
    matplotlib.figure.Figure
        An A4-landscape page with one row per risk item and the two legends.

    Raises
    ------
    ValueError
        For a ``lang`` other than ``"ja"`` or ``"en"``.

    Examples
    --------
    >>> from pia_analysis.charts.figures import rating_check_chart
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.coverage import rating_check
    >>> model = load_model(bundled_model_path())
    >>> fig = rating_check_chart(model, rating_check(model))
    >>> len(fig.axes[0].get_yticklabels())  # 22 rated items of Section Ⅲ (委託 one), 3 of Ⅳ
    25
    """
    check_lang(lang)
    table = check.reset_index(drop=True)
    items = model.risk_items.set_index("risk_id")
    fig = new_figure(model, lang, chart_text("rating_title", lang), chart_text("rating_sub", lang))
    size = 7.5

    def label(r: dict) -> str:
        rid = r["risk_id"]
        if lang == "en":
            name = r.get("name_en") or (items.at[rid, "name_en"] if rid in items.index else r.get("name_ja", ""))
            name = name if isinstance(name, str) and name.strip() else r.get("name_ja", rid)
        else:
            name = r.get("name_ja", "") or (items.at[rid, "name_ja"] if rid in items.index else rid)
        # the form's item number and its official wording (the stage is in the band at the right), never the id
        return drawable_text(_form_item_label(r, name, lang))

    labels = [label(r) for r in table.to_dict("records")]  # a wording repeated in two stages: the bands tell
    labels = ["\n".join(wrap_text(lb, 4.4, size, lang, max_lines=2)) for lb in labels]
    label_w = max(text_width(line, size) for lb in labels for line in lb.split("\n")) if labels else 1.0
    left = label_w + 0.75
    ax_w = A4_LANDSCAPE[0] - left - 3.35
    ax = fig.add_axes((left / A4_LANDSCAPE[0], 0.08, ax_w / A4_LANDSCAPE[0], 0.76), label="rating_check")
    n = len(table)
    y = np.arange(n)
    coverage = table["coverage"].astype(float).to_numpy() * 100
    pairs = table["pairs"].fillna(0).astype(float).to_numpy()
    planned = table["planned"].fillna(0).astype(float).to_numpy() if "planned" in table else np.zeros(n)
    covered = table["covered"].fillna(0).astype(float).to_numpy()
    if_planned = np.where(pairs > 0, (covered + planned) / np.where(pairs > 0, pairs, 1) * 100, np.nan)
    # stage bands
    stage_of = table["stage"].tolist()
    start = 0
    band = 0
    for i in range(1, n + 1):
        if i == n or stage_of[i] != stage_of[start]:
            if band % 2 == 0:
                ax.axhspan(start - 0.5, i - 0.5, color="#F3F3F3", zorder=0)
            band_name = stage_name(stage_of[start], lang) if stage_of[start] else chart_text("section4", lang)
            ax.text(1.01, 1 - (start + i) / 2 / n, "\n".join(wrap_text(band_name, 1.0, 7.5, lang)),
                    transform=ax.transAxes, ha="left", va="center", fontsize=7.5, color="#555555",
                    linespacing=1.1)
            band += 1
            start = i
    ax.axvline(100, color="#333333", linewidth=0.9, linestyle=(0, (4, 2)), zorder=1)
    ax.text(99, -0.9, chart_text("rating_full", lang), ha="right", va="bottom", fontsize=7.5, color="#333333")
    for i, r in enumerate(table.to_dict("records")):
        rating = r.get("rating")
        # a Section Ⅳ rating takes the marker of the Ⅲ choice of the same rank (特に力を入れて行っている ◆ …)
        rating = _RATINGS[RATING_RANKS[rating] - 1] if isinstance(rating, str) and rating in RATING_RANKS else None
        colour = _STATUS_STYLE.get(str(r["status"]), (_GREY, "", ""))[0]
        marker = _RATING_MARKERS.get(rating, "X")
        x = coverage[i]
        if np.isnan(x):
            declared = str(r.get("declared") or "")
            text = (chart_text("declared_out", lang, words=declaration_label(declared, lang)) if declared
                    else _STATUS_STYLE["out_of_scope"][1 if lang == "ja" else 2])
            ax.text(1, i, text, va="center", fontsize=7.5, color="#555555")
            continue
        ax.plot([0, x], [i, i], color=colour, linewidth=1.0, alpha=0.6, zorder=2)
        ax.plot([x], [i], marker=marker, markersize=7.5, color=colour, markeredgecolor="#222222",
                markeredgewidth=0.5, linestyle="none", zorder=4, gid=f"rating-{r['risk_id']}")
        if not np.isnan(if_planned[i]) and if_planned[i] > x + 1e-9:
            ax.annotate("", xy=(if_planned[i], i), xytext=(x, i),
                        arrowprops={"arrowstyle": "-|>", "color": "#555555", "linewidth": 0.9,
                                    "shrinkA": 4, "shrinkB": 4}, zorder=3)
            ax.plot([if_planned[i]], [i], marker=marker, markersize=7, markerfacecolor="#FFFFFF",
                    markeredgecolor=colour, markeredgewidth=1.2, linestyle="none", zorder=4,
                    gid=f"planned-{r['risk_id']}")
        end = x if np.isnan(if_planned[i]) else max(x, if_planned[i])
        # right of the bars, or left of the marker when they reach the edge; right of the marker when that is
        # near 0 (nothing in place, all planned: a Section Ⅳ item), so that it never runs into the labels
        right = end < 93 or x < 10
        ax.text((end if end < 93 else x) + 2.2 if right else x - 2.2, i + 0.02 - (0.0 if end < 93 or x >= 10 else 0.32),
                f"{x:.0f}%", va="center", ha="left" if right else "right", fontsize=6.8, color="#333333", zorder=5,
                gid=f"pct-{r['risk_id']}")
    ax.set_yticks(y, labels, fontsize=size, linespacing=1.0)
    for tick, status in zip(ax.get_yticklabels(), table["status"]):
        if status == "overclaimed":
            tick.set_color(_VERMILLION)
    ax.set_ylim(n - 0.5, -1.2)
    ax.set_xlim(0, 104)
    ax.xaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    ax.xaxis.set_major_locator(FixedLocator([0, 20, 40, 60, 80, 100]))
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", color="#E2E2E2", linewidth=0.7, zorder=0)
    ax.set_axisbelow(True)
    ax.set_xlabel(chart_text("rating_x", lang), fontsize=9)
    ax.set_ylabel(chart_text("rating_y", lang), fontsize=9)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    rating_handles = [Line2D([], [], marker=_RATING_MARKERS[rt], color="#555555", markeredgecolor="#222222",
                             linestyle="none", markersize=7, label=rt if lang == "ja" else _RATING_EN[rt])
                      for rt in _RATINGS]
    rating_handles.append(Line2D([], [], marker="X", color="#555555", linestyle="none", markersize=7,
                                 label=chart_text("unrated", lang)))
    rating_handles.append(Line2D([], [], marker="o", markerfacecolor="#FFFFFF", markeredgecolor="#555555",
                                 linestyle="none", markersize=7, label=chart_text("if_planned", lang)))
    present = [s for s in _STATUS_STYLE if s in set(table["status"])]
    status_handles = [Patch(facecolor=_STATUS_STYLE[s][0], edgecolor="none",
                            label="\n".join(wrap_text(_STATUS_STYLE[s][1 if lang == "ja" else 2], 1.5, 7.5, lang)))
                      for s in present]
    legend_x = (left + ax_w + 1.2) / A4_LANDSCAPE[0]
    leg1 = fig.legend(handles=rating_handles, loc="upper left", bbox_to_anchor=(legend_x, 0.84), fontsize=7.5,
                      title=chart_text("rating_legend", lang), title_fontsize=8.5, frameon=False, alignment="left")
    leg2 = fig.legend(handles=status_handles, loc="upper left", bbox_to_anchor=(legend_x, 0.56), fontsize=7.5,
                      title=chart_text("status_legend", lang), title_fontsize=8.5, frameon=False, alignment="left")
    leg1.set_gid("legend-ratings")
    leg2.set_gid("legend-status")
    return fig
