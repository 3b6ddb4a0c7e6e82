"""Charts of a model (matplotlib). Each chart function returns a Figure and draws nothing else.

Every chart is a plain function ``(model, <results of the analyses>, lang="ja") -> Figure``: the results
are required arguments (a chart computes no analysis; :func:`pia_analysis.outputs.briefing.analyse` runs
each one once). ``lang="ja"`` (default) labels in Japanese, ``lang="en"`` in English.

* :func:`dataflow_diagram` — the systems in their trust zones, the flows as arrows (layout:
  :func:`dataflow_layout`; the same diagram as Graphviz text: :func:`dataflow_dot`);
* :func:`exposure_ranking_chart` — the systems ranked by exposure, with the Monte Carlo interval;
* :func:`stage_coverage_chart` — covered / planned / gap shares of the six stages;
* :func:`coverage_heatmap` — coverage per system and stage;
* :func:`risk_map` — the findings on a 4 × 4 likelihood × impact grid, now and after the action plan;
* :func:`rating_check_chart` — the self-rating of each risk against its measured coverage.

:data:`pia_analysis.outputs.briefing.CHARTS` lists them by name in the briefing's order; :func:`save_figure`
writes a figure as PNG and SVG, byte-identical from one run to the next. ``docs/charts.md`` explains how to read
each chart.

Figures are A4 landscape (11.69 × 8.27 in), carry a title and a footer with the model's title and
assessment date, use the colour-blind-safe Okabe–Ito palette (categories) or cividis (continuous), and
are built with :class:`matplotlib.figure.Figure` directly: no pyplot figure stays open, nothing is shown
twice in a notebook, and the only global state touched is the font settings of
:func:`use_japanese_fonts`. Japanese labels render with IPAexGothic, bundled by ``matplotlib-fontja``, so
a fresh machine needs no system fonts.
"""

from __future__ import annotations

__all__ = [
    "A4_LANDSCAPE",
    "OKABE_ITO",
    "STAGE_COLOURS",
    "DataflowGeometry",
    "coverage_heatmap",
    "dataflow_diagram",
    "dataflow_dot",
    "dataflow_geometry",
    "dataflow_layout",
    "exposure_ranking_chart",
    "plain_graph_figure",
    "rating_check_chart",
    "risk_map",
    "save_figure",
    "stage_coverage_chart",
    "use_japanese_fonts",
    "with_planned_implemented",
]

import dataclasses
import datetime as dt
import functools
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm, to_rgb
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerBase
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, PercentFormatter

from .. import catalog
from ..analysis.findings import RULES, severity_grid, severity_scales
from ..model.model import Model

# Okabe–Ito: a palette that stays distinguishable with the common forms of colour blindness.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000", "#999999")
_ORANGE, _SKY, _GREEN, _YELLOW, _BLUE, _VERMILLION, _PURPLE, _BLACK, _GREY = OKABE_ITO

#: Figure size of every chart, in inches (A4 landscape).
A4_LANDSCAPE = (11.69, 8.27)
#: Colour of the flows of each stage (Okabe–Ito; yellow is left out, it vanishes on white paper).
STAGE_COLOURS = {"acquire": _ORANGE, "use": _SKY, "outsource": _GREEN, "provide": _BLUE, "network": _PURPLE,
                 "retain": _BLACK}
#: Colours given to zones in order (core first); after seven, they repeat with a hatch pattern (vermillion is
#: kept for My Number holders).
ZONE_COLOURS = (_BLUE, _ORANGE, _GREEN, _PURPLE, _SKY, _YELLOW, _GREY)
_ZONE_HATCHES = ("", "////", "....", "xxxx")
#: Continuous colour map (exposure, coverage): cividis, readable with colour blindness and in grey.
CONTINUOUS_CMAP = "cividis"
_MY_NUMBER_EDGE = _VERMILLION
_ENTRY_COLOUR = _YELLOW
_SVG_SALT = "pia-analysis"
_RATINGS = ("特に力を入れている", "十分である", "課題が残されている")

# Every fixed text of the charts, (Japanese, English).
_TEXT: dict[str, tuple[str, str]] = {
    "assessed_on": ("評価実施日", "assessed on"),
    "dataflow_title": ("データフロー図：信頼ゾーン・システム・特定個人情報の流れ",
                       "Data-flow diagram: trust zones, systems and flows of specific personal information"),
    "dataflow_sub": ("列は市の基幹ゾーン（個人番号を保有）から何段のゾーン境界を越えるか（左が基幹、右ほど外部）。"
                     "矢印の色は段階、箱の色は曝露（最も起こりやすい攻撃経路で到達する年間確率、箱内に%）。",
                     "Columns: zone boundaries crossed from the city's core zones holding My Numbers (core on the "
                     "left, outside to the right). Arrow colour: stage. Box colour: exposure (yearly probability "
                     "of the most likely attack path, % in the box)."),
    "dataflow_sub_agg": ("システム数が多い（{n:,}）ため、{k}を超えるシステムを持つゾーンは1つの箱にまとめた（色と%は箱の中で"
                         "最大の曝露、印は1つでも該当すれば付く）。矢印は同じ向き・段階のフローの束（×は本数）で、"
                         "同じ箱の中のフロー{inside:,}本は省略。システムごとの値は tables/exposure.csv。",
                         "The model has {n:,} systems: each zone with more than {k} is one box (colour and %: the "
                         "highest exposure inside; marks: at least one system inside). Arrows bundle the flows with "
                         "the same direction and stage (× the number); the {inside:,} flows inside a box are left "
                         "out. Per system: tables/exposure.csv."),
    "agg_box": ("{n:,} システム（個人番号保有 {k:,}）", "{n:,} systems ({k:,} hold My Numbers)"),
    "agg_box_none": ("{n:,} システム", "{n:,} systems"),
    "exposure_top": ("個人番号を保有するシステムのうち曝露の高い {held} 件{others}を表示（全 {n:,} システム。全件は "
                     "tables/exposure.csv）。",
                     "Shown: the {held} most exposed systems holding My Numbers{others}, of {n:,} systems (all of "
                     "them: tables/exposure.csv)."),
    "exposure_top_others": ("と、ほかに曝露の高い {k} 件", " and the {k} most exposed others"),
    "heatmap_sub_zone": ("システム数が多い（{n:,}）ため、ゾーンごとに集計：各セルはそのゾーンのシステムのうち段階の対象と"
                         "なるものの網羅率の平均（括弧内はシステム数）。「−」は対象となるシステムがないこと。"
                         "システムごとの値は tables/coverage_matrix.csv。",
                         "The model has {n:,} systems, so each row is a zone: each cell is the mean coverage of the "
                         "zone's systems in the stage's scope (number of systems in brackets). '−': no system of "
                         "the zone is in scope. Per system: tables/coverage_matrix.csv."),
    "heatmap_y_zone": ("信頼ゾーン", "Trust zone"),
    "legend_stages": ("段階（矢印の色）", "Stage (arrow colour)"),
    "legend_kinds": ("記号", "Symbols"),
    "one_way": ("一方向の送信（バッチ等）", "One-way transfer (batch)"),
    "interactive": ("双方向（照会・応答）", "Interactive (request/response)"),
    "mn_holder": ("個人番号を含むファイルを保有", "Holds a file with My Numbers"),
    "entry_point": ("入口（攻撃・不正の起点）", "Entry point (where an attack can start)"),
    "unreached": ("到達経路なし（曝露 0）", "Not reachable (exposure 0)"),
    "exposure_cbar": ("曝露（年間確率、%、対数目盛）", "Exposure (yearly probability, %, log scale)"),
    "col_core": ("基幹ゾーン", "Core zones"),
    "col_k": ("基幹から境界{k}つ", "{k} boundar{ies} from the core"),
    "exposure_title": ("システム別の曝露と危険にさらされる件数", "Exposure of each system and records at stake"),
    "exposure_sub": ("棒：入口から最も起こりやすい攻撃経路で到達する年間確率（曝露）。●と横線：モンテカルロ法による、"
                     "いずれかの経路で侵害される確率とその95%信頼区間。右の数値：個人番号を保有するシステムで"
                     "危険にさらされる件数（曝露×件数の期待値）。",
                     "Bars: yearly probability of the most likely attack path from an entry point (exposure). "
                     "Dot and line: Monte Carlo probability of compromise by any path, with its 95% confidence "
                     "interval. Figures on the right: records at stake on systems holding My Numbers "
                     "(exposure × records, expected value)."),
    "exposure_x": ("年間の侵害確率（%、対数目盛）", "Yearly probability of compromise (%, log scale)"),
    "exposure_y": ("システム（曝露の高い順）", "System (highest exposure first)"),
    "mc_label": ("モンテカルロ推定（全経路、95%信頼区間、{n:,}回）", "Monte Carlo (any path, 95% CI, {n:,} trials)"),
    "records": ("{n:,}件", "{n:,} records"),
    "zone_legend": ("信頼ゾーン（棒の色）", "Trust zone (bar colour)"),
    "not_reached_label": ("到達経路なし", "not reachable"),
    "stagecov_title": ("段階別のリスク対策の網羅状況", "Risk coverage of the six stages"),
    "stagecov_sub": ("各段階の（リスク項目 × 対象要素）の組のうち、実施済みの対策が対応付けられた割合（対策済み）、"
                     "予定の対策のみの割合（計画中）、対策のない割合（未対策）。対応付けの網羅を測るもので、"
                     "対策の有効性は測らない。",
                     "Share of the (risk item × element in scope) pairs of each stage with an implemented control "
                     "mapped (covered), only a planned one (planned), or none (gap). It measures how complete "
                     "the mapping is, not how well a measure works."),
    "covered": ("対策済み", "Covered"),
    "planned": ("計画中", "Planned"),
    "gap": ("未対策", "Gap"),
    "share_x": ("組の割合（%）", "Share of pairs (%)"),
    "stage_y": ("段階（評価書 Ⅲ の項目）", "Stage (Section III item)"),
    "pairs_n": ("{n}組", "{n} pairs"),
    "out_of_scope": ("対象外（対象となる要素なし）", "Out of scope (no element in scope)"),
    "heatmap_title": ("システム別・段階別の対策の網羅率", "Coverage by system and stage"),
    "heatmap_sub": ("各セル：その段階のリスク項目のうち、そのシステムに実施済みの対策が対応付けられた割合。"
                    "「−」はそのシステムが段階の対象でないこと。フローの組はここに含まない（段階別の図を参照）。",
                    "Each cell: share of the stage's risk items with an implemented control mapped to that "
                    "system. '−': the system is not in the stage's scope. Pairs of flows are not shown here "
                    "(see the stage chart)."),
    "heatmap_cbar": ("網羅率（%）", "Coverage (%)"),
    "heatmap_x": ("段階", "Stage"),
    "heatmap_y": ("システム（信頼ゾーン順）", "System (by trust zone)"),
    "riskmap_title": ("リスクマップ：発見事項の発生可能性と影響（現在 → 行動計画の実施後）",
                      "Risk map: likelihood and impact of the findings (now → after the action plan)"),
    "riskmap_sub": ("CNIL 方式の 4×4 表。横：発生可能性（攻撃経路・入口の年間確率の段階）、縦：影響（危険にさらされる"
                    "件数の段階）、背景：重大度。●＝現在の未対応の発見事項、○＝予定の対策をすべて実施した後（矢印）。",
                    "CNIL-style 4 × 4 grid. Across: likelihood (level of the yearly probability of the attack path "
                    "or entry point); up: impact (level of the records at stake); background: severity. Filled: "
                    "open findings now; hollow: after every planned control is in place (arrow)."),
    "likelihood": ("発生可能性", "Likelihood"),
    "impact": ("影響（危険にさらされる件数）", "Impact (records at stake)"),
    "severity": ("重大度", "Severity"),
    "after_plan": ("行動計画の実施後", "After the action plan"),
    "resolved": ("実施後に対策済み", "mitigated after the plan"),
    "more": ("ほか{n:,}件", "+{n:,} more"),
    "rules_legend": ("ルール（記号）", "Rule (marker)"),
    "riskmap_none": ("表示する発見事項はありません", "No finding to show"),
    "riskmap_note": ("表示：{shown:,}件（状態 {statuses}）。行動計画で位置か状態が変わるもの：{moved:,}件。",
                     "Shown: {shown:,} findings (status {statuses}). Changed by the action plan: {moved:,}."),
    "rating_title": ("自己評価と対策の網羅率の照合", "Self-rating against measured coverage"),
    "rating_sub": ("各リスク項目の自己評価（記号）と、対象要素のうち実施済みの対策が対応付けられた割合（横軸）。"
                   "「十分である」「特に力を入れている」なのに対策のない要素が残るもの（過大評価）を朱色で示す。"
                   "○は予定の対策の実施後。",
                   "Self-rating of each risk item (marker) against the share of its elements with an implemented "
                   "control mapped (x). Vermillion: rated sufficient or better while some element has no control "
                   "(overclaimed). Hollow: after the planned controls."),
    "rating_x": ("対策の網羅率（%）", "Coverage (%)"),
    "rating_y": ("リスク項目（評価書 Ⅲ）", "Risk item (Section III)"),
    "rating_full": ("すべての要素に対策", "every element covered"),
    "rating_legend": ("自己評価（記号）", "Self-rating (marker)"),
    "status_legend": ("照合結果（色）", "Check (colour)"),
    "unrated": ("未評価", "Unrated"),
    "if_planned": ("予定の対策の実施後", "after the planned controls"),
}
_RATING_EN = {"特に力を入れている": "Particular effort", "十分である": "Sufficient",
              "課題が残されている": "Issues remain"}
_RATING_MARKERS = {"特に力を入れている": "D", "十分である": "o", "課題が残されている": "s"}
_STATUS_STYLE = {  # rating_check status -> (colour, ja, en)
    "overclaimed": (_VERMILLION, "過大評価（未対策の要素あり）", "Overclaimed (some element has no control)"),
    "underclaimed": (_ORANGE, "過小評価（すべて対策済み）", "Underclaimed (every element covered)"),
    "consistent": (_BLUE, "整合", "Consistent"),
    "unrated": (_GREY, "未評価", "Unrated"),
    "out_of_scope": (_GREY, "対象外", "Out of scope"),
}
_SEVERITY_FILL = {1: "#E8F1F8", 2: "#FBF3C8", 3: "#FAD9B0", 4: "#F4B8A3"}

# Large models (a prefecture, the whole country: thousands of systems) cannot be drawn system by system on
# A4. Above these sizes the charts summarise (docs/charts.md, "Large models"); the bundled model is far below.
#: Above this many systems the data-flow diagram is drawn aggregated: see :func:`dataflow_diagram`.
DATAFLOW_MAX_SYSTEMS = 60
#: In the aggregated data-flow diagram, a zone with more systems than this is drawn as one box.
DATAFLOW_ZONE_DETAIL = 4
#: The exposure ranking shows at most this many systems: the most exposed (the rest are in the table).
EXPOSURE_CHART_MAX_SYSTEMS = 40
#: Above this many systems the coverage heatmap has one row per zone instead of one per system.
HEATMAP_MAX_SYSTEMS = 40


def _t(key: str, lang: str, **fmt: Any) -> str:
    text = _TEXT[key][1 if lang == "en" else 0]
    return text.format(**fmt) if fmt else text


def _check_lang(lang: str) -> str:
    if lang not in ("ja", "en"):
        raise ValueError(f"lang must be 'ja' or 'en', not {lang!r}")
    return lang


# ---------------------------------------------------------------------------------------------------
# fonts, figures, files


def use_japanese_fonts() -> None:
    """Make matplotlib draw Japanese text with the bundled IPAexGothic font (idempotent).

    Sets only font rcParams (and the SVG id salt, so that SVG files are reproducible).
    """
    import matplotlib_fontja  # noqa: F401  (registers the font on import)

    matplotlib_fontja.japanize()
    # networkx draws labels with font_family="sans-serif": put the Japanese font first in that family too.
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["font.sans-serif"] = ["IPAexGothic", "DejaVu Sans"]
    mpl.rcParams["svg.hashsalt"] = _SVG_SALT  # stable SVG ids


def _new_figure(model: Model, lang: str, title: str, subtitle: str | None = None) -> Figure:
    """An A4-landscape figure with the title on top and the model's name and date in the footer."""
    use_japanese_fonts()
    fig = Figure(figsize=A4_LANDSCAPE, dpi=100)
    FigureCanvasAgg(fig)
    fig.text(0.015, 0.978, title, fontsize=15, va="top", ha="left", color="#111111")
    if subtitle:
        fig.text(0.015, 0.935, "\n".join(wrap_text(subtitle, A4_LANDSCAPE[0] - 0.7, 9, lang, balanced=False)),
                 fontsize=9,
                 va="top", ha="left", color="#333333", linespacing=1.35)
    assessed = model.meta.get("assessed_on")
    if isinstance(assessed, dt.date):
        date = f"{assessed.year}年{assessed.month}月{assessed.day}日" if lang == "ja" else assessed.isoformat()
    else:
        date = str(assessed or "-")
    sep = "　｜　" if lang == "ja" else "  |  "
    fig.text(0.015, 0.012, f"{model.title(lang)}{sep}{_t('assessed_on', lang)}: {date}", fontsize=8,
             va="bottom", ha="left", color="#444444")
    fig.text(0.985, 0.012, f"pia_analysis · {model.id}", fontsize=7, va="bottom", ha="right", color="#777777")
    return fig


def save_figure(fig: Figure, path_without_suffix: str | Path, dpi: int = 200) -> tuple[Path, Path]:
    """Write ``<path>.png`` (``dpi``, default 200) and ``<path>.svg``; return the two paths.

    The files are byte-identical from one run to the next: the PNG carries no Software tag, the SVG no
    date and fixed ids (``svg.hashsalt``). Parent directories are created.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.coverage import stage_coverage
    >>> model = load_model(bundled_model_path())
    >>> fig = stage_coverage_chart(model, stage_coverage(model))
    >>> png, svg = save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "coverage")
    >>> png.suffix, svg.suffix
    ('.png', '.svg')
    """
    base = Path(path_without_suffix)
    base.parent.mkdir(parents=True, exist_ok=True)
    png, svg = base.with_name(base.name + ".png"), base.with_name(base.name + ".svg")
    with mpl.rc_context({"svg.hashsalt": _SVG_SALT}):
        fig.savefig(png, dpi=dpi, format="png", metadata={"Software": None})
        fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return png, svg


# ---------------------------------------------------------------------------------------------------
# text helpers


def _text_width(text: str, size: float) -> float:
    """Width of ``text`` in inches at font ``size`` (points): the sum of the chart font's advance widths.

    Kerning is ignored (IPAexGothic barely kerns) and 1 % is added for safety. Character widths are
    memoised (:func:`_char_width`): measuring through FreeType costs milliseconds per call.
    """
    return 1.01 * size / 10.0 * sum(_char_width(ch) for ch in str(text)) / 72.0


@functools.lru_cache(maxsize=8192)
def _char_width(ch: str) -> float:
    """Advance width of one character at 10 pt, in points (IPAexGothic, as set by use_japanese_fonts)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    if ch == " ":
        return text_to_path.get_text_width_height_descent("a a", FontProperties(family="IPAexGothic", size=10),
                                                          ismath=False)[0] - 2 * _char_width("a")
    width, _h, _d = text_to_path.get_text_width_height_descent(ch, FontProperties(family="IPAexGothic", size=10),
                                                               ismath=False)
    return width


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


# Japanese lines break best before an opening bracket, or after a middle dot, comma or particle.
_BREAK_BEFORE = "（(［「"
_BREAK_AFTER = "）)・、，。の／/"
_NO_LINE_START = "。、，．）」』】〕・ー％%):;,."


def wrap_text(text: str, width: float, size: float, lang: str, max_lines: int | None = None,
          balanced: bool = True) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` inches at ``size`` points.

    Latin text breaks at spaces; Japanese text prefers a break before an opening bracket or after
    ・、の… (``balanced``: the break giving the most even lines; else as late as possible, for running
    text), else at the last character that fits. With ``max_lines`` the last line ends with '…'.
    """
    text = str(text)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_wrap_one(paragraph, width, size, balanced))
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and _text_width(last + "…", size) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def _wrap_one(text: str, width: float, size: float, balanced: bool = True) -> list[str]:
    if _text_width(text, size) <= width or len(text) <= 1:
        return [text]
    wide = sum(_is_wide(c) for c in text) > len(text) / 3
    if not wide:
        # words, and the parts of hyphenated words ("information-" + "provision"), which may break too
        words = re.findall(r"[^\s-]{3,}-+(?=[^\s-]{3,})|\S+", text)  # not "J-" + "LIS"
        lines, line = [], ""
        for word in words:
            glue = "" if (not line or line.endswith("-")) else " "
            candidate = line + glue + word
            if line and _text_width(candidate, size) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
        out: list[str] = []
        for ln in lines:  # a single word longer than the width: cut it
            out.extend(_hard_wrap(ln, width, size) if _text_width(ln, size) > width else [ln])
        return out
    # Japanese: break at a good point (before an opening bracket, after ・、の…) when one gives lines that
    # fit, the most balanced such break first; else at the last character that fits (never inside a
    # run of Latin letters and digits such as "J-LIS").
    def fits(part: str) -> bool:
        return _text_width(part, size) <= width

    good = [i for i in range(1, len(text))
            if (text[i] in _BREAK_BEFORE or text[i - 1] in _BREAK_AFTER) and fits(text[:i].rstrip())]
    two = [i for i in good if fits(text[i:].lstrip())] if balanced else []
    if not balanced:
        good = [i for i in good if _text_width(text[:i], size) >= width * 0.85]
    if two:
        cut = min(two, key=lambda i: (max(_text_width(text[:i], size), _text_width(text[i:], size)), i))
    else:
        fit = 1
        while fit < len(text) and fits(text[: fit + 1]):
            fit += 1
        if balanced:  # as many lines as needed, but of even length: never a lone last character
            lines_needed = math.ceil(_text_width(text, size) / width)
            target = _text_width(text, size) / lines_needed
            even = 1
            while even < fit and _text_width(text[:even], size) < target - 1e-9:
                even += 1
            fit = max(1, min(fit, even))
        while 1 < fit < len(text) and text[fit] in _NO_LINE_START:  # no line starts with 。、）…
            fit -= 1
        long_enough = [i for i in good if _text_width(text[:i], size) >= width / 2]
        cut = max(long_enough) if long_enough else fit
        if cut == fit and cut < len(text) and _latin(text[cut - 1]) and _latin(text[cut]):
            start = cut
            while start > 0 and _latin(text[start - 1]):
                start -= 1
            cut = start if start > 0 else cut
    head, tail = text[:cut].rstrip(), text[cut:].lstrip()
    return [head, *(_wrap_one(tail, width, size, balanced) if tail else [])]


def _latin(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch in "-_.")


def _hard_wrap(text: str, width: float, size: float) -> list[str]:
    out, line = [], ""
    for ch in text:
        if line and _text_width(line + ch, size) > width:
            out.append(line)
            line = ch
        else:
            line += ch
    return out + ([line] if line else [])


def _fmt_pct(probability: float) -> str:
    """A probability as a percentage with two significant digits: 0.3 → '30%', 6.1e-06 → '0.00061%'."""
    x = float(probability) * 100.0
    if x <= 0 or not math.isfinite(x):
        return "0%"
    digits = max(0, 1 - math.floor(math.log10(x)))
    text = f"{x:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text + "%"


def _pct_tick(value: float, _pos: Any = None) -> str:
    return _fmt_pct(value) if value > 0 else "0%"


def _name(row: Any, lang: str) -> str:
    """name_en in English (falling back to name_ja, then the id), name_ja in Japanese."""
    get = row.get if hasattr(row, "get") else (lambda k, d=None: getattr(row, k, d))
    ja = get("name_ja", "")
    en = get("name_en", "")
    ident = get("system_id", "") or get("zone_id", "") or get("risk_id", "")
    if lang == "en":
        for value in (en, ja, ident):
            if isinstance(value, str) and value.strip():
                return value
        return str(ident)
    for value in (ja, ident):
        if isinstance(value, str) and value.strip():
            return value
    return str(ident)


def _stage_table() -> pd.DataFrame:
    return catalog.stages().set_index("stage")


def _stage_name(stage: str, lang: str, form: str = "short") -> str:
    """Official short Japanese name (``short_ja``); in English the catalogue's ``name_en`` (``form='short'``:
    without the parenthesis)."""
    row = _stage_table().loc[stage]
    if lang == "en":
        name = str(row["name_en"])
        return name.split(" (")[0] if form == "short" else name
    return str(row["short_ja"])


def _text_colour_on(colour: Any) -> str:
    r, g, b = to_rgb(colour)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if luminance > 0.45 else "#FFFFFF"


def _zone_style(index: int) -> tuple[str, str]:
    """Colour and hatch of the ``index``-th zone (core first): Okabe–Ito, hatched after eight."""
    return ZONE_COLOURS[index % len(ZONE_COLOURS)], _ZONE_HATCHES[(index // len(ZONE_COLOURS)) % len(_ZONE_HATCHES)]


# ---------------------------------------------------------------------------------------------------
# the model after the action plan (kept here until analysis/pipeline.py holds it; no chart uses it)


def with_planned_implemented(model: Model) -> Model:
    """A copy of ``model`` where every ``planned`` control is ``implemented``: the model after the action plan.

    Nothing else changes (``missing`` controls stay missing). The findings on this copy are the
    ``findings_after`` that :func:`risk_map` draws: where each finding moves once the planned controls
    are in place.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> model = load_model(bundled_model_path())
    >>> after = with_planned_implemented(model)
    >>> bool((model.controls["status"] == "planned").any()), bool((after.controls["status"] == "planned").any())
    (True, False)
    """
    controls = model.controls.copy()
    controls["status"] = controls["status"].where(controls["status"] != "planned", "implemented")
    return model.replace(controls=controls)


# ---------------------------------------------------------------------------------------------------
# data-flow diagram: layout

# Sizes in inches (the diagram is laid out at print size; it is scaled down only when it does not fit).
_BOX_W = 1.50
_BOX_H = 0.40
_PORT_PITCH = 0.075  # minimum distance between two arrow ends on one side of a box
_ROW_GAP = 0.13
_ZONE_PAD = 0.07
_ZONE_GAP = 0.16
_ZONE_FONT = 7.0
_ZONE_LINE = 0.125
_BOX_FONT = 7.0
_ID_FONT = 5.6
_TRACK = 0.14  # distance between two bracket tracks
_CHANNEL_PAD = 0.10  # from the zone frame to the first bracket track
_STUB = 0.08  # horizontal run of a straight arrow outside its zone frame
_BASE_GAP = 0.56  # between two columns, besides bracket tracks
_HEADING_H = 0.22  # column headings above the zones
_FLOW_FONT = 5.5


@dataclasses.dataclass(frozen=True)
class DataflowGeometry:
    """Where everything of the data-flow diagram goes, in inches, with y growing downwards.

    Attributes
    ----------
    positions
        system id → centre ``(x, y)`` of its box.
    box_sizes
        system id → ``(width, height)`` of its box.
    zone_rects
        zone id → ``(x0, y0, x1, y1)`` of its frame (``y0`` is the top).
    zone_labels
        zone id → the lines of its name as drawn in the frame's header.
    columns
        the zone ids of each column, left (core) to right, top to bottom.
    zone_level
        zone id → its column (number of zone boundaries from the core zones).
    routes
        flow id → the polyline of its arrow, from the source box to the target box.
    kinds
        flow id → ``straight`` (to the next column) or ``bracket`` (within a column, run along its side).
    size
        ``(width, height)`` of the whole drawing.
    """

    positions: dict[str, tuple[float, float]]
    box_sizes: dict[str, tuple[float, float]]
    zone_rects: dict[str, tuple[float, float, float, float]]
    zone_labels: dict[str, list[str]]
    columns: list[list[str]]
    zone_level: dict[str, int]
    routes: dict[str, list[tuple[float, float]]]
    kinds: dict[str, str]
    size: tuple[float, float]

    def box_rect(self, system_id: str) -> tuple[float, float, float, float]:
        """``(x0, y0, x1, y1)`` of a system's box."""
        (x, y), (w, h) = self.positions[system_id], self.box_sizes[system_id]
        return x - w / 2, y - h / 2, x + w / 2, y + h / 2


def _zone_levels(model: Model) -> dict[str, int]:
    """Column of each zone that has systems: its distance, in zone boundaries, from the core zones.

    Zones are nodes, two zones are adjacent when a flow joins their systems (either direction). The
    *core zones* are the zones operated by the city whose systems hold a file with My Numbers; the
    level of a zone is its breadth-first distance from the nearest core zone. A group of zones no flow
    joins to a core zone is measured from its own core by the same rule, relaxed step by step when it
    has none: zones holding My Numbers, then city-operated zones, then the zone with most systems (ties
    by zone id).
    """
    systems = model.systems
    zones_with_systems = sorted(set(systems["zone_id"]))
    zone_of = dict(zip(systems["system_id"], systems["zone_id"]))
    operator = dict(zip(model.zones["zone_id"], model.zones["operator"]))
    mn = model.my_number_files
    holds_mn = {z: False for z in zones_with_systems}
    count = {z: 0 for z in zones_with_systems}
    for sid, zid, holds in zip(systems["system_id"], systems["zone_id"], systems["holds"]):
        holds_mn[zid] = holds_mn[zid] or any(f in mn for f in holds)
        count[zid] += 1
    g = nx.Graph()
    g.add_nodes_from(zones_with_systems)
    for s, t in zip(model.flows["source"], model.flows["target"]):
        if zone_of[s] != zone_of[t]:
            g.add_edge(zone_of[s], zone_of[t])
    level: dict[str, int] = {}
    for comp in sorted((sorted(c) for c in nx.connected_components(g)), key=lambda c: c[0]):
        roots = [z for z in comp if operator.get(z) == "city" and holds_mn[z]]
        roots = roots or [z for z in comp if holds_mn[z]] or [z for z in comp if operator.get(z) == "city"]
        roots = roots or [min(comp, key=lambda z: (-count[z], z))]
        dist = nx.multi_source_dijkstra_path_length(g.subgraph(comp), set(roots), weight=None)
        level.update({z: int(d) for z, d in dist.items()})
    return level


@dataclasses.dataclass
class _Ordering:
    columns: list[list[str]]  # zone ids per column
    zone_systems: dict[str, list[str]]

    def system_columns(self) -> list[list[str]]:
        return [[s for z in col for s in self.zone_systems[z]] for col in self.columns]

    def copy(self) -> _Ordering:
        return _Ordering([list(c) for c in self.columns], {z: list(v) for z, v in self.zone_systems.items()})


def _ordering(model: Model, level: dict[str, int]) -> _Ordering:
    """Zones of each column and systems of each zone, ordered to reduce crossings (barycentre sweeps).

    Starts from id order. A sweep sorts the zones of a column, and the systems within each zone, by the
    mean position of their neighbours in the previous column (left-to-right) or the next one
    (right-to-left); a system with no neighbour there follows its neighbours within the column; ties keep
    the current order. After twelve alternating sweeps the ordering with the fewest crossings between
    neighbouring columns (then the shortest runs within columns, then the earliest) is kept. Above
    :data:`DATAFLOW_MAX_SYSTEMS` systems (too many to draw one by one) the id order is kept as it is.
    """
    if not level:
        return _Ordering([], {})
    n_cols = max(level.values()) + 1
    zone_systems: dict[str, list[str]] = defaultdict(list)
    for sid, zid in sorted(zip(model.systems["system_id"], model.systems["zone_id"])):
        zone_systems[zid].append(sid)
    columns = [sorted(z for z in level if level[z] == c) for c in range(n_cols)]
    if len(model.systems) > DATAFLOW_MAX_SYSTEMS:
        # The sweeps count crossings pair by pair (quadratic in the flows): beyond a drawable size, id order.
        return _Ordering(columns, dict(zone_systems))
    col_of_zone = {z: level[z] for z in level}
    col_of = {s: col_of_zone[z] for z, ss in zone_systems.items() for s in ss}
    edges = sorted((s, t) for s, t in zip(model.flows["source"], model.flows["target"]))
    nbrs: dict[str, list[str]] = defaultdict(list)
    for s, t in edges:
        nbrs[s].append(t)
        nbrs[t].append(s)

    def positions(order: _Ordering) -> dict[str, float]:
        pos = {}
        for col in order.system_columns():
            for i, s in enumerate(col):
                pos[s] = (i + 0.5) / len(col)
        return pos

    def cost(order: _Ordering) -> tuple[int, float]:
        pos = positions(order)
        crossings, span = 0, 0.0
        between: dict[int, list[tuple[float, float]]] = defaultdict(list)
        for s, t in edges:
            cs, ct = col_of[s], col_of[t]
            if abs(cs - ct) == 1:
                a, b = (s, t) if cs < ct else (t, s)
                between[min(cs, ct)].append((pos[a], pos[b]))
            elif cs == ct:
                span += abs(pos[s] - pos[t]) * len(order.system_columns()[cs])
        for pairs in between.values():
            for i in range(len(pairs)):
                for j in range(i + 1, len(pairs)):
                    (a1, b1), (a2, b2) = pairs[i], pairs[j]
                    if (a1 - a2) * (b1 - b2) < 0:
                        crossings += 1
        return crossings, round(span, 9)

    def sweep(order: _Ordering, c: int, ref: int) -> None:
        pos = positions(order)
        current = {s: i for i, s in enumerate(order.system_columns()[c])}

        def bary(s: str) -> float:
            outside = [pos[t] for t in nbrs[s] if col_of[t] == ref]
            if outside:
                return sum(outside) / len(outside)
            inside = [pos[t] for t in nbrs[s] if col_of[t] == c]
            return sum(inside) / len(inside) if inside else pos[s]

        b = {s: bary(s) for z in order.columns[c] for s in order.zone_systems[z]}
        for z in order.columns[c]:
            order.zone_systems[z].sort(key=lambda s: (b[s], current[s]))
        zkey = {z: (sum(b[s] for s in order.zone_systems[z]) / len(order.zone_systems[z]),
                    min(current[s] for s in order.zone_systems[z])) for z in order.columns[c]}
        order.columns[c].sort(key=lambda z: zkey[z])

    order = _Ordering(columns, dict(zone_systems))
    best, best_cost = order.copy(), cost(order)
    if n_cols == 1:
        # one column: order by the in-column neighbours only
        for _ in range(4):
            sweep(order, 0, -1)
            if cost(order) < best_cost:
                best, best_cost = order.copy(), cost(order)
        return best
    for it in range(12):
        cols = range(1, n_cols) if it % 2 == 0 else range(n_cols - 2, -1, -1)
        for c in cols:
            sweep(order, c, c - 1 if it % 2 == 0 else c + 1)
        current_cost = cost(order)
        if current_cost < best_cost:
            best, best_cost = order.copy(), current_cost
    return best


def _isotonic(values: list[float]) -> list[float]:
    """Least-squares non-decreasing fit (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [sum, count]
    for v in values:
        blocks.append([v, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, n = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += n
    out: list[float] = []
    for s, n in blocks:
        out.extend([s / n] * int(n))
    return out


def _place_blocks(desired: list[float], heights: list[float], gap: float, lo: float, hi: float) -> list[float]:
    """Tops of stacked blocks (in order, ``gap`` apart, within [lo, hi]) closest to the ``desired`` tops."""
    offsets, acc = [], 0.0
    for h in heights:
        offsets.append(acc)
        acc += h + gap
    total = acc - gap
    u = _isotonic([d - o for d, o in zip(desired, offsets)])
    upper = hi - total
    u = [min(max(v, lo), max(lo, upper)) for v in u]
    return [v + o for v, o in zip(u, offsets)]


def dataflow_geometry(model: Model, lang: str = "ja") -> DataflowGeometry:
    """The layout of the data-flow diagram: columns, zone frames, boxes and arrow routes (inches, y down).

    The rule (documented in ``docs/charts.md``):

    1. **Columns.** Each zone goes into the column of its distance, in zone boundaries crossed by flows,
       from the *core zones* (city-operated zones whose systems hold My Number files); see
       :func:`_zone_levels`. The core is on the left, the zones furthest from it on the right.
    2. **Order within a column.** Zones are stacked, and the systems of a zone stacked inside its frame,
       in the order found by barycentre sweeps that reduce arrow crossings (:func:`_ordering`); ties by id.
    3. **Heights.** The tallest column is packed from the top; every other column is placed as close as
       possible to the height of its neighbours (least squares under the stacking order), so arrows run
       as level as they can.
    4. **Arrows.** A flow to the next column is a straight arrow between the facing sides of the boxes.
       A flow within a column runs as a bracket along one side of the column (the outer side for the
       first and last column, else the side with fewer straight arrows), on its own track outside the
       zone frames (shorter brackets on the inner tracks). No flow skips a column: columns are
       breadth-first distances, so the zones a flow joins are at most one column apart. Arrow ends are
       spread along the box sides (boxes grow taller when a side has many), ordered so that neighbouring
       arrows do not cross at a box.

    Zones without systems are not drawn. A model without systems gives an empty geometry.

    Boxes never overlap and arrows never pass over a box (the tests check both).
    """
    _check_lang(lang)
    use_japanese_fonts()
    level = _zone_levels(model)
    if not level:
        return DataflowGeometry({}, {}, {}, {}, [], {}, {}, {}, (1.0, 1.0))
    order = _ordering(model, level)
    n_cols = len(order.columns)
    col_of = {s: level[z] for z, ss in order.zone_systems.items() for s in ss}
    zones = model.zones.set_index("zone_id")
    flows = model.flows.sort_values("flow_id", kind="stable")
    frame_w = _BOX_W + 2 * _ZONE_PAD
    zone_labels = {
        z: wrap_text(_name(zones.loc[z].to_dict() | {"zone_id": z}, lang), frame_w - 2 * 0.06, _ZONE_FONT, lang,
                 max_lines=3)
        for z in level
    }

    # -- classify the flows and choose the side of each column's in-column brackets -------------------
    kinds: dict[str, str] = {}
    for f in flows.itertuples(index=False):
        d = abs(col_of[f.source] - col_of[f.target])
        # Levels are breadth-first distances over the zones the flows join, so a flow never skips a column.
        assert d <= 1, (f.flow_id, d)
        kinds[f.flow_id] = "straight" if d == 1 else "bracket"
    straight_in_gap = defaultdict(int)  # gap i lies between column i and i + 1
    for f in flows.itertuples(index=False):
        if kinds[f.flow_id] == "straight":
            straight_in_gap[min(col_of[f.source], col_of[f.target])] += 1
    bracket_side = {}
    for c in range(n_cols):
        if c == 0:
            bracket_side[c] = "left"
        elif c == n_cols - 1:
            bracket_side[c] = "right"
        else:
            bracket_side[c] = "left" if straight_in_gap[c - 1] < straight_in_gap[c] else "right"

    # -- ends of the arrows on each side of each box: counted first, as they set the box heights -------
    side_ends: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)  # (sys, side) -> [(flow, end)]
    for f in flows.itertuples(index=False):
        cs, ct = col_of[f.source], col_of[f.target]
        if kinds[f.flow_id] == "bracket":
            ss = ts = bracket_side[cs]
        else:
            ss, ts = ("right", "left") if ct > cs else ("left", "right")
        side_ends[(f.source, ss)].append((f.flow_id, "source"))
        side_ends[(f.target, ts)].append((f.flow_id, "target"))
    box_h = {s: max(_BOX_H, (max(len(side_ends[(s, "left")]), len(side_ends[(s, "right")])) + 1) * _PORT_PITCH)
             for s in col_of}

    # -- vertical placement ---------------------------------------------------------------------------
    def header_h(z: str) -> float:
        return len(zone_labels[z]) * _ZONE_LINE + 0.07

    def block_h(z: str) -> float:
        ss = order.zone_systems[z]
        return header_h(z) + sum(box_h[s] for s in ss) + _ROW_GAP * (len(ss) - 1) + _ZONE_PAD

    col_h = [sum(block_h(z) for z in col) + _ZONE_GAP * (len(col) - 1) for col in order.columns]
    height = max(col_h)
    top0 = _HEADING_H
    zone_top: dict[str, float] = {}

    def system_ys(z: str, top: float) -> dict[str, float]:
        out, y = {}, top + header_h(z)
        for s in order.zone_systems[z]:
            out[s] = y + box_h[s] / 2
            y += box_h[s] + _ROW_GAP
        return out

    for c, col in enumerate(order.columns):  # start centred
        y = top0 + (height - col_h[c]) / 2
        for z in col:
            zone_top[z] = y
            y += block_h(z) + _ZONE_GAP
    nbrs: dict[str, list[str]] = defaultdict(list)
    for f in flows.itertuples(index=False):
        nbrs[f.source].append(f.target)
        nbrs[f.target].append(f.source)
    tallest = max(range(n_cols), key=lambda c: (col_h[c], -c))
    sequence = [c for c in range(n_cols) if c != tallest]
    sequence = sorted(sequence, key=lambda c: (abs(c - tallest), c))
    for _ in range(3):
        for c in sequence:
            ys = {s: y for z in zone_top for s, y in system_ys(z, zone_top[z]).items()}
            desired = []
            for z in order.columns[c]:
                own = system_ys(z, 0.0)
                wants = [ys[t] - own[s] for s in order.zone_systems[z] for t in nbrs[s] if col_of[t] != c]
                desired.append(sum(wants) / len(wants) if wants else zone_top[z])
            tops = _place_blocks(desired, [block_h(z) for z in order.columns[c]], _ZONE_GAP, top0, top0 + height)
            for z, t in zip(order.columns[c], tops):
                zone_top[z] = t
    ys = {s: y for z in zone_top for s, y in system_ys(z, zone_top[z]).items()}

    # -- ports: order the ends on each side so that neighbouring arrows do not cross at the box --------
    flow_rows = {f.flow_id: f for f in flows.itertuples(index=False)}

    def other_end(fid: str, end: str) -> str:
        f = flow_rows[fid]
        return f.target if end == "source" else f.source

    port_y: dict[tuple[str, str], float] = {}  # (flow, end) -> y
    for (s, side), ends in side_ends.items():
        def key(item: tuple[str, str]) -> tuple:
            fid, end = item
            o = other_end(fid, end)
            if kinds[fid] == "bracket":
                group = 0 if ys[o] < ys[s] else 2
                return (group, -ys[o], fid, end)
            return (1, ys[o], fid, end)

        ends_sorted = sorted(ends, key=key)
        h, n = box_h[s], len(ends_sorted)
        for k, item in enumerate(ends_sorted):
            port_y[item] = ys[s] - h / 2 + h * (k + 1) / (n + 1)

    # -- bracket tracks per column side -----------------------------------------------------------------
    tracks: dict[str, int] = {}
    used: dict[tuple[int, str], list[list[tuple[float, float]]]] = defaultdict(list)
    brackets = sorted(
        (fid for fid, k in kinds.items() if k == "bracket"),
        key=lambda fid: (abs(port_y[(fid, "source")] - port_y[(fid, "target")]), fid),
    )
    for fid in brackets:
        c = col_of[flow_rows[fid].source]
        lo, hi = sorted((port_y[(fid, "source")], port_y[(fid, "target")]))
        slots = used[(c, bracket_side[c])]
        t = 0
        while t < len(slots) and any(lo < b + 0.04 and a < hi + 0.04 for a, b in slots[t]):
            t += 1
        if t == len(slots):
            slots.append([])
        slots[t].append((lo, hi))
        tracks[fid] = t
    n_tracks = {key: len(v) for key, v in used.items()}

    # -- horizontal placement ---------------------------------------------------------------------------
    def channel_w(c: int, side: str) -> float:
        n = n_tracks.get((c, side), 0)
        return _CHANNEL_PAD + n * _TRACK if n else 0.0

    x0: list[float] = []
    x = channel_w(0, "left") + 0.05
    for c in range(n_cols):
        x0.append(x)
        if c < n_cols - 1:
            x += frame_w + channel_w(c, "right") + _BASE_GAP + channel_w(c + 1, "left")
    width = x0[-1] + frame_w + channel_w(n_cols - 1, "right") + 0.05

    positions = {s: (x0[col_of[s]] + frame_w / 2, ys[s]) for s in sorted(col_of)}
    box_sizes = {s: (_BOX_W, box_h[s]) for s in sorted(col_of)}
    zone_rects = {z: (x0[level[z]], zone_top[z], x0[level[z]] + frame_w, zone_top[z] + block_h(z))
                  for z in sorted(level)}

    # -- routes ---------------------------------------------------------------------------------------
    def edge_x(s: str, side: str) -> float:
        return positions[s][0] + (_BOX_W / 2 if side == "right" else -_BOX_W / 2)

    def frame_x(c: int, side: str) -> float:
        return x0[c] + (frame_w if side == "right" else 0.0)

    routes: dict[str, list[tuple[float, float]]] = {}
    for fid in sorted(kinds):
        f = flow_rows[fid]
        s, t = f.source, f.target
        cs, ct = col_of[s], col_of[t]
        ys_, yt_ = port_y[(fid, "source")], port_y[(fid, "target")]
        if kinds[fid] == "straight":
            ss, ts = ("right", "left") if ct > cs else ("left", "right")
            step = _STUB if ct > cs else -_STUB
            routes[fid] = [(edge_x(s, ss), ys_), (frame_x(cs, ss) + step, ys_),
                           (frame_x(ct, ts) - step, yt_), (edge_x(t, ts), yt_)]
        else:
            side = bracket_side[cs]
            sign = 1 if side == "right" else -1
            tx = frame_x(cs, side) + sign * (_CHANNEL_PAD + tracks[fid] * _TRACK)
            routes[fid] = [(edge_x(s, side), ys_), (tx, ys_), (tx, yt_), (edge_x(t, side), yt_)]

    return DataflowGeometry(
        positions=positions,
        box_sizes=box_sizes,
        zone_rects=zone_rects,
        zone_labels={z: zone_labels[z] for z in sorted(level)},
        columns=[list(c) for c in order.columns],
        zone_level=dict(sorted(level.items())),
        routes=routes,
        kinds=dict(sorted(kinds.items())),
        size=(width, top0 + height + 0.05),
    )


def dataflow_layout(model: Model, lang: str = "ja") -> dict[str, tuple[float, float]]:
    """Centre ``(x, y)`` of each system's box in the data-flow diagram (inches, y down); see
    :func:`dataflow_geometry` for the rule. Deterministic: the same model gives the same positions.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> pos = dataflow_layout(load_model(bundled_model_path()))
    >>> pos["JUKI_REC"][0] < pos["STORE_KIOSK"][0]  # the core is left of the convenience store
    True
    """
    return dataflow_geometry(model, lang).positions


# ---------------------------------------------------------------------------------------------------
# data-flow diagram: drawing


def _exposure_norm(values: Iterable[float]) -> LogNorm:
    positive = [v for v in values if v > 0]
    if not positive:
        return LogNorm(1e-4, 1.0)
    lo = 10 ** math.floor(math.log10(min(positive)))
    hi = 10 ** math.ceil(math.log10(max(positive)))
    if hi <= lo:
        hi = lo * 10
    return LogNorm(lo, min(hi, 1.0) if min(hi, 1.0) > lo else hi)


class _ArrowHandler(HandlerBase):
    """Legend key drawn as an arrow (one-way: solid, one head; interactive: dashed, two heads)."""

    def __init__(self, style: str, dashed: bool) -> None:
        super().__init__()
        self.style, self.dashed = style, dashed

    def create_artists(self, legend, orig_handle, xdescent, ydescent, width, height, fontsize, trans):  # noqa: D102
        y = height / 2 - ydescent
        arrow = FancyArrowPatch((-xdescent, y), (width - xdescent, y), arrowstyle=self.style, mutation_scale=9,
                                linewidth=1.3, color="#333333", linestyle=(0, (3, 1.6)) if self.dashed else "-",
                                shrinkA=0, shrinkB=0, transform=trans)
        return [arrow]


def _below(fig: Figure, artist: Any, pad: float) -> float:
    """Figure-fraction y just below ``artist`` (a legend) once drawn, minus ``pad``."""
    renderer = fig.canvas.get_renderer()
    box = artist.get_window_extent(renderer).transformed(fig.transFigure.inverted())
    return box.y0 - pad


def _segments(route: list[tuple[float, float]]) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    return list(zip(route, route[1:]))


def _segment_hits_rect(p: tuple[float, float], q: tuple[float, float], rect: tuple[float, float, float, float],
                       inset: float = 1e-6) -> bool:
    """Whether the segment p–q passes through the inside of rect (x0, y0, x1, y1), shrunk by ``inset``."""
    x0, y0, x1, y1 = rect[0] + inset, rect[1] + inset, rect[2] - inset, rect[3] - inset
    if x0 >= x1 or y0 >= y1:
        return False
    t0, t1 = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for pk, qk in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0), (dy, y1 - p[1])):
        if pk == 0:
            if qk < 0:
                return False
            continue
        r = qk / pk
        if pk < 0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
        if t0 > t1:
            return False
    return t1 - t0 > 1e-9


def _rects_overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float],
                   margin: float = 0.0) -> bool:
    return a[0] < b[2] + margin and b[0] < a[2] + margin and a[1] < b[3] + margin and b[1] < a[3] + margin


def _point_along(route: list[tuple[float, float]], frac: float) -> tuple[tuple[float, float], bool]:
    """The point at ``frac`` of the route's length, and whether that piece of the route is vertical."""
    segs = _segments(route)
    lengths = [math.dist(a, b) for a, b in segs]
    target = frac * sum(lengths)
    for (a, b), ln in zip(segs, lengths):
        if target <= ln or (a, b) == segs[-1]:
            r = 0 if ln == 0 else min(1.0, target / ln)
            return (a[0] + r * (b[0] - a[0]), a[1] + r * (b[1] - a[1])), abs(b[0] - a[0]) < 1e-9
        target -= ln
    return route[-1], False


def dataflow_diagram(model: Model, exposure: pd.DataFrame, lang: str = "ja",
                     flow_labels: bool = True) -> Figure:
    """The data-flow diagram: systems in their trust zones, flows as arrows, shaded by exposure.

    * zones are grey frames with their name on top, in columns from the core (left) outwards
      (:func:`dataflow_geometry` gives the rule);
    * each system is a box filled with its exposure (cividis, log scale, colour bar on the right; the
      exposure in % is written in the box; white = no attack path reaches it); a thick vermillion edge
      marks a system holding a file with My Numbers, a yellow triangle before the id an entry point;
    * each flow is one arrow, coloured by stage: solid with one head for a one-way transfer, dashed
      with two heads for an interactive exchange; ``flow_labels`` writes the flow id on it.

    Parameters
    ----------
    model
        A loaded model.
    exposure
        :func:`pia_analysis.analysis.exposure.node_exposure` of the model.
    lang
        ``"ja"`` or ``"en"``.
    flow_labels
        Write the flow ids (F01 …) on the arrows.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.exposure import node_exposure
    >>> model = load_model(bundled_model_path())
    >>> fig = dataflow_diagram(model, node_exposure(model), lang="en")
    >>> fig.axes[0].get_label()
    'dataflow'

    A model of more than :data:`DATAFLOW_MAX_SYSTEMS` systems is not drawn box by box (tens of thousands
    of boxes say nothing on A4): each zone with more than :data:`DATAFLOW_ZONE_DETAIL` systems becomes one
    box (coloured by the highest exposure inside it), the systems of smaller zones — typically the shared
    national systems — keep their own box, and the flows between two boxes with the same direction, stage
    and kind become one arrow labelled with their number (see :func:`_aggregate_for_diagram`).
    """
    _check_lang(lang)
    if len(model.systems) > DATAFLOW_MAX_SYSTEMS:
        agg = _aggregate_for_diagram(model, exposure, lang)
        subtitle = _t("dataflow_sub_agg", lang, n=len(model.systems), k=DATAFLOW_ZONE_DETAIL, inside=agg.inside)
        return _draw_dataflow(agg.model, agg.exposure, lang, flow_labels, subtitle, agg.flow_labels)
    return _draw_dataflow(model, exposure, lang, flow_labels, _t("dataflow_sub", lang))


@dataclasses.dataclass(frozen=True)
class _Aggregate:
    """A large model summarised for the data-flow diagram: one "system" per box."""

    model: Model  # the boxes as systems (kept systems and zone boxes) and the merged flows
    exposure: pd.DataFrame  # system_id, exposure: the highest exposure inside each box
    flow_labels: dict[str, str]  # flow id of the summary -> the text on its arrow
    inside: int  # flows whose two ends are in the same box (not drawn)


def _aggregate_for_diagram(model: Model, exposure: pd.DataFrame, lang: str) -> _Aggregate:
    """Summarise a large model for :func:`dataflow_diagram`.

    A zone with more than :data:`DATAFLOW_ZONE_DETAIL` systems becomes one box, with the zone's id as its
    id (suffixed with ``+`` if a kept system already has that id): its name gives the number of systems
    and of My Number holders, its exposure is the highest of its systems, it holds a My Number file and
    is an entry point when one of its systems is (its entry likelihood is the highest of theirs). The other
    systems stay as they are. Flows between two boxes are merged by (source box, target box, stage,
    interactive): a single flow keeps its id as label, a merged one is labelled ``×n``. Everything is built
    in id order, so the summary does not depend on the order of the model's rows.
    """
    systems = model.systems.sort_values("system_id", kind="stable")
    count = systems["zone_id"].value_counts().to_dict()
    big = {z for z, n in count.items() if n > DATAFLOW_ZONE_DETAIL}
    kept = [sid for sid, z in zip(systems["system_id"], systems["zone_id"]) if z not in big]
    box_id = {z: (z + "+" if z in set(kept) else z) for z in sorted(big)}
    node_of = {sid: (box_id[z] if z in big else sid) for sid, z in zip(systems["system_id"], systems["zone_id"])}
    exp = dict(zip(exposure["system_id"], exposure["exposure"].astype(float)))
    mn = model.my_number_files
    rows: dict[str, dict] = {}
    members: dict[str, list[dict]] = defaultdict(list)
    for row in systems.to_dict("records"):
        node = node_of[row["system_id"]]
        if node == row["system_id"]:
            rows[node] = dict(row)
        members[node].append(row)
    zones = model.zones.set_index("zone_id")
    for z in sorted(big):
        node, group = box_id[z], members[box_id[z]]
        holders = [r for r in group if any(f in mn for f in r["holds"])]
        held = sorted({f for r in holders for f in r["holds"] if f in mn})
        text = (_t("agg_box", lang, n=len(group), k=len(holders)) if holders
                else _t("agg_box_none", lang, n=len(group)))
        rows[node] = {**group[0], "system_id": node, "name_ja": text, "name_en": text, "zone_id": z,
                      "kind": "system", "operator": str(zones.at[z, "operator"]) if z in zones.index else "city",
                      "holds": held[:1], "entry_likelihood": max(float(r["entry_likelihood"]) for r in group),
                      "source": ""}
    box_exposure = {node: max(exp.get(r["system_id"], 0.0) for r in group) for node, group in members.items()}
    merged: dict[tuple[str, str, str, bool], list[str]] = defaultdict(list)
    inside = 0
    flows = model.flows.sort_values("flow_id", kind="stable")
    for fid, source, target, stage, interactive in zip(flows["flow_id"], flows["source"], flows["target"],
                                                       flows["stage"], flows["interactive"]):
        u, v = node_of[source], node_of[target]
        if u == v:
            inside += 1
            continue
        merged[(u, v, str(stage), bool(interactive))].append(fid)
    flow_rows, labels = [], {}
    for k, ((u, v, stage, interactive), fids) in enumerate(sorted(merged.items())):
        fid = fids[0] if len(fids) == 1 else f"@{k + 1:04d}"  # '@' is in no model id: no clash
        labels[fid] = fids[0] if len(fids) == 1 else f"×{len(fids):,}"
        flow_rows.append({"flow_id": fid, "source": u, "target": v, "files": [], "stage": stage, "channel": "",
                          "interactive": interactive, "encrypted": False, "source_ref": ""})
    order = sorted(rows)
    summary_systems = pd.DataFrame([rows[n] for n in order], columns=list(model.systems.columns))
    summary_flows = pd.DataFrame(flow_rows, columns=list(model.flows.columns))
    summary = model.replace(systems=summary_systems.astype(model.systems.dtypes.to_dict()),
                            flows=summary_flows.astype(model.flows.dtypes.to_dict()))
    table = pd.DataFrame({"system_id": order, "exposure": [box_exposure[n] for n in order]})
    return _Aggregate(summary, table, labels, inside)


def _draw_dataflow(model: Model, exposure: pd.DataFrame, lang: str, flow_labels: bool, subtitle: str,
                   label_text: dict[str, str] | None = None) -> Figure:
    """Draw the diagram of ``model`` (a model, or the summary of a large one: same title and footer)."""
    geo = dataflow_geometry(model, lang)
    fig = _new_figure(model, lang, _t("dataflow_title", lang), subtitle)
    fig_w, fig_h = A4_LANDSCAPE
    # drawing area: left part of the page, under the subtitle, above the footer
    area = (0.12, 0.32, fig_w - 2.42, fig_h - 0.32 - 0.98)  # x, y (bottom), w, h in inches
    width, height = geo.size
    scale = min(1.0, area[2] / width, area[3] / height)
    w_in, h_in = width * scale, height * scale
    left = area[0] + (area[2] - w_in) / 2
    bottom = area[1] + (area[3] - h_in)  # top-aligned
    ax = fig.add_axes((left / fig_w, bottom / fig_h, w_in / fig_w, h_in / fig_h), label="dataflow")
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_axis_off()
    fs = scale  # font sizes follow the drawing's scale

    exp = exposure.set_index("system_id")["exposure"].astype(float).to_dict()
    norm = _exposure_norm(exp.values())
    cmap = mpl.colormaps[CONTINUOUS_CMAP].reversed()
    systems = model.systems.set_index("system_id")
    mn = model.my_number_files
    holders = {s for s in systems.index if any(f in mn for f in systems.at[s, "holds"])}
    entries = {s for s in systems.index if float(systems.at[s, "entry_likelihood"] or 0) > 0}

    # column headings
    zone_top = min((r[1] for r in geo.zone_rects.values()), default=0.0)
    for c, col in enumerate(geo.columns):
        x0, _y0, x1, _y1 = geo.zone_rects[col[0]]
        _y0 = zone_top
        text = _t("col_core", lang) if c == 0 else _t("col_k", lang, k=c, ies="y" if c == 1 else "ies")
        ax.text((x0 + x1) / 2, _y0 - _HEADING_H / 2 - 0.02, text, ha="center", va="center",
                fontsize=7.5 * fs, color="#555555", gid=f"heading-{c}")

    # zone frames
    for z, (x0, y0, x1, y1) in geo.zone_rects.items():
        ax.add_patch(FancyBboxPatch((x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0,rounding_size=0.05",
                                    facecolor="#F1F1F1", edgecolor="#9A9A9A", linewidth=0.8, zorder=1,
                                    gid=f"zone-{z}"))
        ax.text(x0 + 0.06, y0 + 0.05, "\n".join(geo.zone_labels[z]), ha="left", va="top",
                fontsize=_ZONE_FONT * fs, color="#333333", linespacing=1.15, zorder=2, gid=f"zonelabel-{z}")

    # arrows
    flows = model.flows.set_index("flow_id")
    for fid, route in geo.routes.items():
        f = flows.loc[fid]
        interactive = bool(f["interactive"])
        codes = [MplPath.MOVETO] + [MplPath.LINETO] * (len(route) - 1)
        arrow = FancyArrowPatch(
            path=MplPath(route, codes),
            arrowstyle="<|-|>" if interactive else "-|>",
            mutation_scale=8.5 * fs,
            linewidth=1.1 * fs,
            color=STAGE_COLOURS.get(f["stage"], _GREY),
            linestyle=(0, (3, 1.6)) if interactive else "-",
            shrinkA=0, shrinkB=0, zorder=3, gid=f"flow-{fid}",
        )
        arrow.set_joinstyle("miter")
        ax.add_patch(arrow)

    # boxes
    for s, (cx, cy) in geo.positions.items():
        w, h = geo.box_sizes[s]
        value = exp.get(s, 0.0)
        face = cmap(norm(value)) if value > 0 else "#FFFFFF"
        holder = s in holders
        box = FancyBboxPatch((cx - w / 2, cy - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.035",
                             facecolor=face, edgecolor=_MY_NUMBER_EDGE if holder else "#333333",
                             linewidth=(2.4 if holder else 0.8) * fs, zorder=4, gid=f"box-{s}",
                             hatch="////" if value <= 0 else None, hatchcolor="#BBBBBB")
        ax.add_patch(box)
        colour = _text_colour_on(face)
        # top line: [entry marker] id on the left, exposure on the right; the name centred below
        top = cy - h / 2
        id_x = cx - w / 2 + 0.05
        if s in entries:
            ax.plot([id_x + 0.03], [top + 0.075], marker=">", markersize=5.5 * fs, color=_ENTRY_COLOUR,
                    markeredgecolor="#000000", markeredgewidth=0.6,
                    zorder=6, gid=f"entry-{s}", linestyle="none")
            id_x += 0.09
        ax.text(id_x, top + 0.075, s, ha="left", va="center", fontsize=_ID_FONT * fs, color=colour, zorder=5,
                gid=f"id-{s}")
        ax.text(cx + w / 2 - 0.05, top + 0.075, _fmt_pct(value), ha="right", va="center",
                fontsize=_ID_FONT * fs, color=colour, zorder=5, gid=f"exposure-{s}")
        name_lines = wrap_text(_name(systems.loc[s].to_dict() | {"system_id": s}, lang), w - 0.11, _BOX_FONT, lang)
        size = _BOX_FONT
        if len(name_lines) > 2:  # shrink until two lines are enough (long English names)
            while size > 5.6 and len(wrap_text(_name(systems.loc[s].to_dict() | {"system_id": s}, lang), w - 0.12,
                                           size, lang)) > 2:
                size -= 0.2
            name_lines = wrap_text(_name(systems.loc[s].to_dict() | {"system_id": s}, lang), w - 0.12, size, lang,
                               max_lines=2)
        ax.text(cx, top + 0.13 + (h - 0.13) / 2, "\n".join(name_lines), ha="center", va="center",
                fontsize=size * fs, color=colour, linespacing=1.1, zorder=5, gid=f"name-{s}")

    # flow labels: on the arrow, where they hit no box, no other label and no other arrow
    if flow_labels:
        placed: list[tuple[float, float, float, float]] = []
        obstacles = [geo.box_rect(s) for s in geo.positions]
        obstacles += [(x0, y0, x1, y0 + len(geo.zone_labels[z]) * _ZONE_LINE + 0.07)
                      for z, (x0, y0, x1, _y1) in geo.zone_rects.items()]
        for fid, route in geo.routes.items():
            text = (label_text or {}).get(fid, fid)
            tw = _text_width(text, _FLOW_FONT) + 0.03
            th = _FLOW_FONT / 72 + 0.03
            best, best_bad = None, None
            for frac in (0.5, 0.4, 0.6, 0.3, 0.7, 0.45, 0.55, 0.35, 0.65, 0.25, 0.75, 0.2, 0.8):
                (px, py), vertical = _point_along(route, frac)
                rw, rh = (th, tw) if vertical else (tw, th)
                rect = (px - rw / 2, py - rh / 2, px + rw / 2, py + rh / 2)
                bad = sum(_rects_overlap(rect, o) for o in obstacles + placed)
                bad += sum(_segment_hits_rect(a, b, rect)
                           for other, r2 in geo.routes.items() if other != fid for a, b in _segments(r2))
                if best_bad is None or bad < best_bad:
                    best, best_bad = (px, py, vertical, rect), bad
                if bad == 0:
                    break
            px, py, vertical, rect = best
            placed.append(rect)
            ax.text(px, py, text, ha="center", va="center", fontsize=_FLOW_FONT * fs, color="#222222",
                    rotation=90 if vertical else 0, zorder=4.5, gid=f"flowlabel-{fid}",
                    bbox={"boxstyle": "square,pad=0.12", "facecolor": "#FFFFFF", "edgecolor": "none", "alpha": 0.9})

    # legend and colour bar (right column of the page)
    stage_handles = [Line2D([], [], color=STAGE_COLOURS[st], linewidth=2.2, label=_stage_name(st, lang))
                     for st in catalog.stages()["stage"] if st in set(model.flows["stage"])]
    one_way = Patch(label=_t("one_way", lang))
    two_way = Patch(label=_t("interactive", lang))
    symbol_handles = [
        one_way, two_way,
        Patch(facecolor="#FFFFFF", edgecolor=_MY_NUMBER_EDGE, linewidth=2.2, label=_t("mn_holder", lang)),
        Line2D([], [], marker=">", color=_ENTRY_COLOUR, markeredgecolor="#000000", markeredgewidth=0.6,
               linestyle="none", markersize=7, label=_t("entry_point", lang)),
        Patch(facecolor="#FFFFFF", edgecolor="#333333", hatch="////", linewidth=0.8, label=_t("unreached", lang)),
    ]
    legend_x = (fig_w - 2.2) / fig_w
    wrap_w = 1.65
    for handle in stage_handles + symbol_handles:
        handle.set_label("\n".join(wrap_text(handle.get_label(), wrap_w, 8, lang)))
    leg1 = fig.legend(handles=stage_handles, loc="upper left", bbox_to_anchor=(legend_x, 0.86),
                      title=_t("legend_stages", lang), fontsize=8, title_fontsize=8.5, frameon=False,
                      alignment="left", handlelength=2.2)
    leg2_top = _below(fig, leg1, 0.03)
    leg2 = fig.legend(handles=symbol_handles, loc="upper left", bbox_to_anchor=(legend_x, leg2_top),
                      title=_t("legend_kinds", lang), fontsize=8, title_fontsize=8.5, frameon=False,
                      alignment="left", handlelength=2.2,
                      handler_map={one_way: _ArrowHandler("-|>", False), two_way: _ArrowHandler("<|-|>", True)})
    leg1.set_gid("legend-stages")
    leg2.set_gid("legend-symbols")
    cbar_top = _below(fig, leg2, 0.07)
    cax = fig.add_axes((legend_x + 0.012, max(0.07, cbar_top - 0.22), 0.018, min(0.22, cbar_top - 0.07)),
                       label="colorbar")
    sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
    cbar = fig.colorbar(sm, cax=cax)
    cbar.ax.yaxis.set_major_formatter(FuncFormatter(_pct_tick))
    cbar.ax.yaxis.set_minor_formatter(NullFormatter())
    cbar.ax.tick_params(labelsize=7)
    cbar.ax.set_title("\n".join(wrap_text(_t("exposure_cbar", lang), 2.0, 8, lang)), fontsize=8, loc="left",
                      pad=6)
    return fig


# ---------------------------------------------------------------------------------------------------
# data-flow diagram as Graphviz DOT text


def _dot_quote(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dataflow_dot(model: Model, exposure: pd.DataFrame, lang: str = "ja") -> str:
    """The data-flow diagram as Graphviz DOT text (render with ``dot -Tsvg``; no Graphviz needed here).

    One ``cluster_<zone>`` subgraph per zone (in the columns' order), one node per system (filled by
    exposure with the same colours as :func:`dataflow_diagram`, a thick vermillion border for My Number
    holders, ``shape=box`` with a bold black border for entry points), one edge per flow coloured by
    stage (``dir=both`` and dashed for interactive flows). The text is the same on every run.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.exposure import node_exposure
    >>> model = load_model(bundled_model_path())
    >>> dot = dataflow_dot(model, node_exposure(model))
    >>> dot.splitlines()[0]
    'digraph "kitakyushu-juki-r3" {'
    >>> '"RENKEI" -> "CS" [id="F05"' in dot
    True
    """
    _check_lang(lang)
    level = _zone_levels(model)
    order = _ordering(model, level)
    exp = exposure.set_index("system_id")["exposure"].astype(float).to_dict()
    norm = _exposure_norm(exp.values())
    cmap = mpl.colormaps[CONTINUOUS_CMAP].reversed()
    systems = model.systems.set_index("system_id")
    zones = model.zones.set_index("zone_id")
    mn = model.my_number_files
    font = "IPAexGothic"
    lines = [
        f"digraph {_dot_quote(model.id)} {{",
        f"  label={_dot_quote(_t('dataflow_title', lang) + chr(10) + model.title(lang))};",
        "  labelloc=t; rankdir=LR; newrank=true; compound=true; nodesep=0.25; ranksep=0.9;",
        f'  graph [fontname="{font}", fontsize=12];',
        f'  node [shape=box, style="rounded,filled", fontname="{font}", fontsize=10];',
        f'  edge [fontname="{font}", fontsize=8, arrowsize=0.7];',
    ]
    for c, col in enumerate(order.columns):
        lines.append(f"  // column {c}: " + ", ".join(col))
        for z in col:
            zrow = zones.loc[z].to_dict() | {"zone_id": z}
            lines.append(f"  subgraph {_dot_quote('cluster_' + z)} {{")
            lines.append(f"    label={_dot_quote(_name(zrow, lang))}; style=\"rounded,filled\"; "
                         f"fillcolor=\"#F1F1F1\"; color=\"#9A9A9A\";")
            for s in order.zone_systems[z]:
                value = exp.get(s, 0.0)
                fill = mpl.colors.to_hex(cmap(norm(value))) if value > 0 else "#FFFFFF"
                font_colour = "#000000" if _text_colour_on(fill) == "#000000" else "#FFFFFF"
                holder = any(f in mn for f in systems.at[s, "holds"])
                entry = float(systems.at[s, "entry_likelihood"] or 0) > 0
                label = f"{_name(systems.loc[s].to_dict() | {'system_id': s}, lang)}\n{s}  {_fmt_pct(value)}"
                attrs = [f"id={_dot_quote(s)}", f"label={_dot_quote(label)}", f'fillcolor="{fill}"',
                         f'fontcolor="{font_colour}"']
                if holder:
                    attrs += [f'color="{_MY_NUMBER_EDGE}"', "penwidth=3"]
                else:
                    attrs += ['color="#333333"', "penwidth=1"]
                if entry:
                    attrs += ['peripheries=2']
                lines.append(f"    {_dot_quote(s)} [{', '.join(attrs)}];")
            lines.append("  }")
    for f in model.flows.sort_values("flow_id", kind="stable").itertuples(index=False):
        attrs = [f"id={_dot_quote(f.flow_id)}", f"label={_dot_quote(f.flow_id)}",
                 f'color="{STAGE_COLOURS.get(f.stage, _GREY)}"',
                 f"tooltip={_dot_quote(_stage_name(f.stage, lang) + ' / ' + str(f.channel or ''))}"]
        attrs += ["dir=both", "style=dashed"] if f.interactive else ["dir=forward"]
        lines.append(f"  {_dot_quote(f.source)} -> {_dot_quote(f.target)} [{', '.join(attrs)}];")
    lines.append("  // legend: edge colour = stage; dashed both-way = interactive; thick vermillion border = holds "
                 "My Numbers; double border = entry point")
    for st in catalog.stages()["stage"]:
        lines.append(f"  //   {st}: {STAGE_COLOURS[st]} {_stage_name(st, lang)}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _zone_order(model: Model, lang: str) -> list[str]:
    """The zones in the data-flow diagram's order (columns left to right, top to bottom); for a large
    model, the order of its aggregated diagram (see :func:`dataflow_diagram`)."""
    if len(model.systems) > DATAFLOW_MAX_SYSTEMS:
        exposure = pd.DataFrame({"system_id": model.systems["system_id"], "exposure": 0.0})
        model = _aggregate_for_diagram(model, exposure, lang).model
    order = _ordering(model, _zone_levels(model))
    return [z for col in order.columns for z in col]


# ---------------------------------------------------------------------------------------------------
# exposure ranking


def exposure_ranking_chart(model: Model, exposure: pd.DataFrame, simulation: pd.DataFrame,
                           lang: str = "ja") -> Figure:
    """Systems ranked by exposure (horizontal bars, log scale, coloured by zone), with the Monte Carlo
    probability of compromise and its 95 % interval, and the records at stake of My Number holders.

    Parameters
    ----------
    exposure
        :func:`pia_analysis.analysis.exposure.node_exposure`.
    simulation
        :func:`pia_analysis.analysis.exposure.simulate_compromise`.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.exposure import node_exposure, simulate_compromise
    >>> model = load_model(bundled_model_path())
    >>> sim = simulate_compromise(model, trials=2000, seed=0)
    >>> fig = exposure_ranking_chart(model, node_exposure(model), sim, lang="en")
    >>> len(fig.axes[0].patches)  # one bar per system
    20
    """
    _check_lang(lang)
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
    sim = simulation.set_index("system_id")
    if total > len(table):
        sim = sim.reindex(table["system_id"])
    fig = _new_figure(model, lang, _t("exposure_title", lang), _t("exposure_sub", lang))
    zone_order = _zone_order(model, lang)
    zone_order += sorted(set(table["zone_id"]) - set(zone_order))
    zone_index = {z: i for i, z in enumerate(zone_order)}
    zones = model.zones.set_index("zone_id")

    labels = [f"{_name(r, lang)}  [{r['system_id']}]" for r in table.to_dict("records")]
    label_w = max(_text_width(lb, 8) for lb in labels) if labels else 1.0
    left = min(4.2, label_w + 0.35)
    ax_w = A4_LANDSCAPE[0] - left - 3.1
    ax = fig.add_axes((left / A4_LANDSCAPE[0], 0.09, ax_w / A4_LANDSCAPE[0], 0.76), label="exposure")
    n = len(table)
    y = np.arange(n)
    positive = [v for v in table["exposure"] if v > 0]
    positive += [v for v in sim["ci_low"] if v > 0] + [v for v in sim["probability"] if v > 0]
    floor = 10 ** math.floor(math.log10(min(positive))) if positive else 1e-4
    floor = min(floor, 1e-2)
    ax.set_xscale("log")
    ax.set_xlim(floor, 1.0)
    bars = ax.barh(y, table["exposure"], height=0.62, zorder=2, edgecolor="#333333", linewidth=0.5)
    for bar, zid, sid in zip(bars, table["zone_id"], table["system_id"]):
        colour, hatch = _zone_style(zone_index.get(zid, 0))
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
                label=_t("mc_label", lang, n=trials), gid="montecarlo")
    zero = has & (mc <= 0)  # no trial compromised it: only the upper bound is drawn
    if zero.any():
        ax.errorbar(np.full(zero.sum(), floor), y[zero], xerr=[np.zeros(zero.sum()), hi[zero] - floor],
                    fmt="none", ecolor="#000000", elinewidth=1.0, capsize=2.5, zorder=3)
    for i, r in enumerate(table.to_dict("records")):
        if r["exposure"] <= 0:
            ax.text(floor * 1.15, i, _t("not_reached_label", lang), va="center", ha="left", fontsize=7.5,
                    color="#555555")
        if r["holds_my_number"]:
            x = max(r["exposure"], hi[i] if has[i] else 0.0, floor) * 1.35
            ax.text(x, i, _t("records", lang, n=int(round(r["records_at_stake"]))), va="center", ha="left",
                    fontsize=7.5, color=_VERMILLION, gid=f"records-{r['system_id']}")
    ax.set_yticks(y, labels, fontsize=8)
    for tick, holder in zip(ax.get_yticklabels(), table["holds_my_number"]):
        if holder:
            tick.set_color(_VERMILLION)
    ax.invert_yaxis()
    ax.set_ylim(n - 0.4, -0.6)
    ax.xaxis.set_major_formatter(FuncFormatter(_pct_tick))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", which="major", color="#DDDDDD", linewidth=0.7, zorder=0)
    ax.set_axisbelow(True)
    ax.set_xlabel(_t("exposure_x", lang), fontsize=9)
    ax.set_ylabel(_t("exposure_y", lang), fontsize=9)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    # legends: zones (in zone order, only those shown) and the Monte Carlo marker
    present = [z for z in zone_order if z in set(table["zone_id"])]
    handles = []
    for z in present:
        colour, hatch = _zone_style(zone_index[z])
        zrow = zones.loc[z].to_dict() | {"zone_id": z} if z in zones.index else {"zone_id": z}
        handles.append(Patch(facecolor=colour, hatch=hatch or None, edgecolor="#333333", linewidth=0.5,
                             label="\n".join(wrap_text(_name(zrow, lang), 2.25, 7.5, lang))))
    legend_x = (left + ax_w + 0.25) / A4_LANDSCAPE[0]
    leg = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(legend_x, 0.86), fontsize=7.5,
                     title=_t("zone_legend", lang), title_fontsize=8.5, frameon=False, alignment="left")
    leg.set_gid("legend-zones")
    mc_handle = Line2D([], [], marker="o", color="#000000", markersize=3.5, linewidth=1.0,
                       label="\n".join(wrap_text(_t("mc_label", lang, n=trials), 2.25, 7.5, lang)))
    rec_handle = Patch(facecolor="none", edgecolor="none",
                       label="\n".join(wrap_text(("赤字：個人番号を保有するシステム。右の数値は危険にさらされる件数" if lang == "ja"
                                              else "Red: systems holding My Numbers and their records at stake"),
                                             2.25, 7.5, lang)))
    leg2 = fig.legend(handles=[mc_handle, rec_handle], loc="lower left", bbox_to_anchor=(legend_x, 0.08),
                      fontsize=7.5, frameon=False, alignment="left", handlelength=1.6)
    leg2.set_gid("legend-marks")
    if total > len(table):
        more = _t("exposure_top_others", lang, k=others) if others else ""
        fig.text(left / A4_LANDSCAPE[0], 0.858, _t("exposure_top", lang, held=held, others=more, n=total),
                 fontsize=8, color="#444444", ha="left", va="bottom", gid="note-top")
    return fig


# ---------------------------------------------------------------------------------------------------
# stage coverage


def stage_coverage_chart(model: Model, coverage: pd.DataFrame, lang: str = "ja") -> Figure:
    """The six stages as stacked bars of covered / planned / gap shares of their (risk × element) pairs.

    Stages are labelled with their official short Japanese names (``short_ja``; English ``name_en``
    with ``lang="en"``), in official order from the top. A stage with no element in scope is drawn as a
    grey hatched bar marked out of scope (its shares are not 0 % or 100 %, they do not exist).

    Parameters
    ----------
    coverage
        :func:`pia_analysis.analysis.coverage.stage_coverage`.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.coverage import stage_coverage
    >>> model = load_model(bundled_model_path())
    >>> fig = stage_coverage_chart(model, stage_coverage(model))
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()][:2]
    ['入手', '使用']
    """
    _check_lang(lang)
    stages = catalog.stages()
    table = stages[["stage", "stage_no"]].merge(coverage.drop(columns=["stage_no"], errors="ignore"), on="stage",
                                                how="left")
    fig = _new_figure(model, lang, _t("stagecov_title", lang), _t("stagecov_sub", lang))
    size = 9.5
    if lang == "en":
        labels = ["\n".join(wrap_text(_stage_name(s, "en", form="full"), 2.9, size, lang)) for s in table["stage"]]
    else:
        labels = [_stage_name(s, "ja") for s in table["stage"]]
    label_w = max(max(_text_width(line, size) for line in lb.split("\n")) for lb in labels)
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
                       edgecolor="#FFFFFF", linewidth=0.8, label=_t(key, lang), zorder=2)
        for bar, stage in zip(bars, table["stage"]):
            bar.set_gid(f"{key}-{stage}")
        for i, (sh, cnt) in enumerate(zip(share, counts)):
            if in_scope[i] and sh >= 6:
                text = f"{sh:.0f}%\n({int(cnt)})"
                ax.text(left_acc[i] + sh / 2, i, text, ha="center", va="center", fontsize=8,
                        color=_text_colour_on(colour), zorder=3,
                        bbox={"boxstyle": "round,pad=0.15", "facecolor": colour, "edgecolor": "none"}
                        if hatch else None)
        left_acc = left_acc + share
    for i in range(len(table)):
        if in_scope[i]:
            n_planned = int(table["planned"].fillna(0).iloc[i])
            text = _t("pairs_n", lang, n=int(pairs[i]))
            if n_planned:
                text += (f"\n（計画中 {n_planned}）" if lang == "ja" else f"\n({n_planned} planned)")
            ax.text(101.5, i, text, ha="left", va="center", fontsize=8.5, color="#333333", linespacing=1.2)
        else:
            ax.barh([i], [100], height=0.6, color="#EEEEEE", hatch="xx", edgecolor="#BBBBBB", linewidth=0.5,
                    zorder=2, gid=f"out_of_scope-{table['stage'].iloc[i]}")
            ax.text(50, i, _t("out_of_scope", lang), ha="center", va="center", fontsize=9, color="#333333",
                    zorder=3, bbox={"boxstyle": "round,pad=0.25", "facecolor": "#FFFFFF", "edgecolor": "#BBBBBB"})
    ax.set_yticks(y, labels, fontsize=size)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    ax.tick_params(axis="x", labelsize=8.5)
    ax.set_xlabel(_t("share_x", lang), fontsize=9.5)
    ax.set_ylabel(_t("stage_y", lang), fontsize=9.5)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.7, zorder=0)
    ax.set_axisbelow(True)
    leg = ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09), ncols=3, fontsize=9, frameon=False)
    leg.set_gid("legend-status")
    note = ("括弧内は組の数。網羅率＝実施済みの対策が対応付けられた組／全組。"
            if lang == "ja" else "In brackets: number of pairs. Coverage = pairs with an implemented control / all pairs.")
    fig.text(left / A4_LANDSCAPE[0], 0.045, note, fontsize=8, color="#444444", ha="left")
    return fig


# ---------------------------------------------------------------------------------------------------
# coverage heatmap


def coverage_heatmap(model: Model, matrix: pd.DataFrame, lang: str = "ja") -> Figure:
    """Coverage of each system (rows, grouped by zone as in the data-flow diagram) in each stage (columns).

    The cell is :func:`pia_analysis.analysis.coverage.coverage_matrix`'s ratio in % (cividis: dark = low); a
    grey cell with '−' means the system is not in that stage's scope.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.coverage import coverage_matrix
    >>> model = load_model(bundled_model_path())
    >>> fig = coverage_heatmap(model, coverage_matrix(model))
    >>> fig.axes[0].images[0].get_array().shape
    (20, 6)
    """
    _check_lang(lang)
    stages = [s for s in catalog.stages()["stage"] if s in matrix.index]
    if len(model.systems) > HEATMAP_MAX_SYSTEMS:
        return _coverage_heatmap_by_zone(model, matrix, stages, lang)
    level = _zone_levels(model)
    order = _ordering(model, level)
    zone_order = [z for col in order.columns for z in col]
    rows = [s for z in zone_order for s in order.zone_systems[z] if s in matrix.columns]
    rows += sorted(set(matrix.columns) - set(rows))
    data = matrix.loc[stages, rows].T.astype(float)
    values = data.to_numpy() * 100
    systems = model.systems.set_index("system_id")
    zones = model.zones.set_index("zone_id")
    fig = _new_figure(model, lang, _t("heatmap_title", lang), _t("heatmap_sub", lang))
    labels = [f"{_name(systems.loc[s].to_dict() | {'system_id': s}, lang)}  [{s}]" if s in systems.index else s
              for s in rows]
    label_w = max(_text_width(lb, 8) for lb in labels)
    left = min(4.0, label_w + 0.45)
    zone_w = 2.1
    ax_w = A4_LANDSCAPE[0] - left - zone_w - 1.15
    col_w_in = ax_w / max(1, len(stages))
    col_labels = ["\n".join(wrap_text(_stage_name(s, lang), col_w_in - 0.08, 8, lang)) for s in stages]
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
                        color=_text_colour_on(cmap(v / 100)))
    ax.set_xticks(range(len(stages)), col_labels, fontsize=8)
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.set_xlabel(_t("heatmap_x", lang), fontsize=9)
    ax.set_yticks(range(len(rows)), labels, fontsize=8)
    ax.set_ylabel(_t("heatmap_y", lang), fontsize=9)
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
        text = "\n".join(wrap_text(_name(zrow, lang), zone_w - 0.25, 7.5, lang, max_lines=max_lines))
        ax.annotate(text, xy=(1.0, 1 - (a + b + 1) / 2 / len(rows)), xycoords="axes fraction",
                    xytext=(10, 0), textcoords="offset points", ha="left", va="center", fontsize=7.5,
                    color="#333333", annotation_clip=False, linespacing=1.1, gid=f"zone-{z}")
        ax.plot([1.012, 1.012], [1 - (a + 0.12) / len(rows), 1 - (b + 0.88) / len(rows)], transform=ax.transAxes,
                color="#777777", linewidth=1.4, clip_on=False, solid_capstyle="butt")
    cax = fig.add_axes(((left + ax_w + zone_w + 0.35) / A4_LANDSCAPE[0], 0.25, 0.014, 0.4), label="colorbar")
    cbar = fig.colorbar(image, cax=cax)
    cbar.ax.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    cbar.ax.tick_params(labelsize=7.5)
    cbar.ax.set_title("\n".join(wrap_text(_t("heatmap_cbar", lang), 1.0, 8, lang)), fontsize=8, loc="left", pad=6)
    return fig


def _coverage_heatmap_by_zone(model: Model, matrix: pd.DataFrame, stages: list[str], lang: str) -> Figure:
    """The heatmap of a large model: one row per zone (diagram order), each cell the mean coverage of the
    zone's systems in the stage's scope (NaN cells left out), with the number of systems in the row label."""
    zone_of = dict(zip(model.systems["system_id"], model.systems["zone_id"]))
    columns = [c for c in matrix.columns if c in zone_of]
    by_zone = matrix.loc[stages, columns].T.astype(float)
    by_zone.index = [zone_of[c] for c in columns]
    means = by_zone.groupby(level=0, sort=True).mean()  # mean skips NaN: only the systems in scope
    sizes = pd.Series(zone_of).value_counts()
    rows = [z for z in _zone_order(model, lang) if z in means.index]
    rows += sorted(set(means.index) - set(rows))
    values = means.loc[rows, stages].to_numpy() * 100
    zones = model.zones.set_index("zone_id")
    fig = _new_figure(model, lang, _t("heatmap_title", lang), _t("heatmap_sub_zone", lang, n=len(model.systems)))
    labels = []
    for z in rows:
        zrow = zones.loc[z].to_dict() | {"zone_id": z} if z in zones.index else {"zone_id": str(z)}
        name = "\n".join(wrap_text(_name(zrow, lang), 3.4, 8, lang, max_lines=2))
        labels.append(f"{name}  ({int(sizes.get(z, 0)):,})")
    label_w = max(_text_width(line, 8) for lb in labels for line in lb.split("\n")) if labels else 1.0
    left = min(4.2, label_w + 0.45)
    ax_w = A4_LANDSCAPE[0] - left - 1.6
    col_w_in = ax_w / max(1, len(stages))
    col_labels = ["\n".join(wrap_text(_stage_name(st, lang), col_w_in - 0.08, 8, lang)) for st in stages]
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
                ax.text(j, i, f"{v:.0f}%", ha="center", va="center", fontsize=8, color=_text_colour_on(cmap(v / 100)))
    ax.set_xticks(range(len(stages)), col_labels, fontsize=8)
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.set_xlabel(_t("heatmap_x", lang), fontsize=9)
    ax.set_yticks(range(len(rows)), labels, fontsize=8)
    ax.set_ylabel(_t("heatmap_y_zone", lang), fontsize=9)
    ax.tick_params(length=0)
    ax.set_xticks(np.arange(-0.5, len(stages), 1), minor=True)
    ax.set_yticks(np.arange(-0.5, len(rows), 1), minor=True)
    ax.grid(which="minor", color="#D9D9D9", linewidth=0.8)
    ax.tick_params(which="minor", length=0)
    cax = fig.add_axes(((left + ax_w + 0.35) / A4_LANDSCAPE[0], 0.25, 0.014, 0.4), label="colorbar")
    cbar = fig.colorbar(image, cax=cax)
    cbar.ax.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    cbar.ax.tick_params(labelsize=7.5)
    cbar.ax.set_title("\n".join(wrap_text(_t("heatmap_cbar", lang), 1.0, 8, lang)), fontsize=8, loc="left", pad=6)
    return fig


# ---------------------------------------------------------------------------------------------------
# risk map

_RULE_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "p", "h", "<", ">", "*")



def risk_map(model: Model, findings: pd.DataFrame, findings_after: pd.DataFrame, lang: str = "ja",
             statuses: tuple[str, ...] = ("open",)) -> Figure:
    """CNIL-style risk map: the findings on a 4 × 4 grid of likelihood (across) × impact (up), now and
    after the action plan.

    Each finding whose status is in ``statuses`` (default: open) is a filled marker (shape and colour
    by rule) labelled with its element, in the cell of its likelihood and impact levels; the cell's
    background is the severity level of the grid (``catalog/severity_grid.csv``). Where the action plan
    changes a finding, a hollow marker shows it after every planned control is in place, joined by an
    arrow (a hollow marker marked as mitigated when only its status changes).

    "After" comes from ``findings_after``: :func:`pia_analysis.analysis.findings.find_findings` on the model
    with every planned control implemented (the findings give no after-plan likelihood themselves).
    Findings are matched by ``finding_id``; one that is not applicable after the plan counts as resolved.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.findings import find_findings
    >>> model = load_model(bundled_model_path())
    >>> after = find_findings(with_planned_implemented(model), include_all=True)
    >>> fig = risk_map(model, find_findings(model, include_all=True), after, lang="en")
    >>> fig.axes[0].get_xlabel()
    'Likelihood'
    """
    _check_lang(lang)
    shown = findings.loc[findings["status"].isin(statuses)].copy()
    shown = shown.sort_values(["likelihood", "impact", "rule_id", "element"], kind="stable")
    after = findings_after.set_index("finding_id")
    grid = severity_grid()
    scales = severity_scales()
    fig = _new_figure(model, lang, _t("riskmap_title", lang), _t("riskmap_sub", lang))
    ax_left, ax_w, ax_bottom, ax_h = 1.45, 6.6, 0.12, 0.73
    ax = fig.add_axes((ax_left / A4_LANDSCAPE[0], ax_bottom, ax_w / A4_LANDSCAPE[0], ax_h), label="risk_map")
    ax.set_xlim(0.5, 4.5)
    ax.set_ylim(0.5, 4.5)
    sev_label = {int(r.level): (r.label_ja if lang == "ja" else r.label_en)
                 for r in scales.loc[scales["scale"] == "severity"].itertuples()}
    for li in range(1, 5):
        for im in range(1, 5):
            sev = int(grid.loc[li, im])
            ax.add_patch(Rectangle((li - 0.5, im - 0.5), 1, 1, facecolor=_SEVERITY_FILL[sev], edgecolor="#FFFFFF",
                                   linewidth=2, zorder=0, gid=f"cell-{li}-{im}"))
            ax.text(li + 0.47, im - 0.47, f"{_t('severity', lang)}: {sev_label[sev]}", ha="right", va="bottom",
                    fontsize=6.5, color="#666666", zorder=1, gid=f"severity-{li}-{im}")

    def level_labels(scale: str) -> list[str]:
        rows = scales.loc[scales["scale"] == scale].sort_values("level")
        return [f"{int(r.level)}\n{r.label_ja if lang == 'ja' else r.label_en}" for r in rows.itertuples()]

    ax.set_xticks([1, 2, 3, 4], level_labels("likelihood"), fontsize=8.5)
    ax.set_yticks([1, 2, 3, 4], level_labels("impact"), fontsize=8.5)
    ax.set_xlabel(_t("likelihood", lang), fontsize=10)
    ax.set_ylabel(_t("impact", lang), fontsize=10)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)

    rule_ids = [r.rule_id for r in RULES]
    rule_ids += sorted(set(findings["rule_id"]) - set(rule_ids))
    rule_titles = {r.rule_id: (r.title_ja if lang == "ja" else r.title_en) for r in RULES}
    palette = [c for c in OKABE_ITO if c not in (_YELLOW, _GREY)]  # 7 colours readable on the tinted cells
    present = [rid for rid in rule_ids if rid in set(shown["rule_id"])]
    style = {rid: (palette[i % len(palette)], _RULE_MARKERS[i % len(_RULE_MARKERS)]) for i, rid in enumerate(present)}

    # items per cell: the findings now, then where they go after the plan
    items: dict[tuple[int, int], list[dict]] = defaultdict(list)
    moves = []
    for r in shown.to_dict("records"):
        now = {"id": r["finding_id"], "rule": r["rule_id"], "label": str(r["element"]), "after": False,
               "resolved": False}
        items[(int(r["likelihood"]), int(r["impact"]))].append(now)
        if r["finding_id"] in after.index:
            a = after.loc[r["finding_id"]]
            a_status, a_li, a_im = str(a["status"]), int(a["likelihood"]), int(a["impact"])
        else:
            a_status, a_li, a_im = "not_applicable", int(r["likelihood"]), int(r["impact"])
        if a_status != r["status"] or (a_li, a_im) != (int(r["likelihood"]), int(r["impact"])):
            later = {"id": r["finding_id"], "rule": r["rule_id"], "label": str(r["element"]), "after": True,
                     "resolved": a_status in ("mitigated", "not_applicable")}
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

    def item_label(it: dict) -> str:
        if it["after"]:
            return it["label"] + ("（対策済みに）" if lang == "ja" else " (mitigated)") if it["resolved"] else it["label"]
        return it["label"]

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
    for key, cell in sorted(items.items()):
        cell.sort(key=lambda it: (it["after"], it["rule"], it["label"]))
        rest = [it for it in cell if id(it) not in slot]
        lattice = [it for it in cell if slot.get(id(it), (0, 0, ""))[2] == ""]  # labels right of a marker
        widest = max((_text_width(item_label(it), label_size) for it in lattice), default=0.0)
        two = widest + marker_w <= cell_w_in / 2 - 0.04 and len(cell) > capacity // 2
        slots = [(c, r) for r in range(capacity) for c in ((0, 1) if two else (0,))
                 if r not in full_rows[key] and r not in used[(*key, c)]]
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
            y = im + 0.5 - (0.14 + row * row_pitch) / cell_h_in
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
            text = item_label(it)
            if side == "after_label":  # the label is the finding's, just before: only the new status follows
                text = ("（対策済みに）" if lang == "ja" else "(mitigated)") if it["resolved"] else ""
            ax.text(x - offset if side == "right" else x + offset, y, text,
                    ha="right" if side == "right" else "left", va="center", fontsize=label_size, zorder=4,
                    color="#555555" if it["after"] else "#111111",
                    gid=f"{'afterlabel' if it['after'] else 'label'}-{it['id']}")
            label_end[id(it)] = x + offset + _text_width(text, label_size) / cell_w_in
        if key in hidden_in:
            n_hidden, col, row = hidden_in[key]
            ax.text(li - 0.5 + (0.05 + col * (cell_w_in / 2)) / cell_w_in, im + 0.5 - (0.14 + row * row_pitch) / cell_h_in,
                    _t("more", lang, n=n_hidden), ha="left", va="center", fontsize=label_size, color="#333333",
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
        ax.text(2.5, 2.5, _t("riskmap_none", lang), ha="center", va="center", fontsize=11, color="#555555")
    # legend: rules present, then now / after markers
    handles = [Line2D([], [], marker=style[rid][1], color=style[rid][0], linestyle="none", markersize=6.5,
                      label="\n".join(wrap_text(rule_titles.get(rid, rid), 2.6, 7.5, lang))) for rid in present]
    handles += [
        Line2D([], [], marker="o", color="#333333", linestyle="none", markersize=6.5,
               label="現在（未対応）" if lang == "ja" else "Now (open)"),
        Line2D([], [], marker="o", markerfacecolor="#FFFFFF", color="#333333", linestyle="none", markersize=6.5,
               label=_t("after_plan", lang)),
    ]
    leg = fig.legend(handles=handles, loc="upper left",
                     bbox_to_anchor=((ax_left + ax_w + 0.35) / A4_LANDSCAPE[0], ax_bottom + ax_h),
                     fontsize=7.5, title=_t("rules_legend", lang), title_fontsize=8.5, frameon=False,
                     alignment="left", labelspacing=0.8)
    leg.set_gid("legend-rules")
    status_text = "、".join(statuses) if lang == "ja" else ", ".join(statuses)
    fig.text(ax_left / A4_LANDSCAPE[0], 0.04,
             _t("riskmap_note", lang, shown=len(shown), statuses=status_text, moved=len(moves)),
             fontsize=8, color="#444444")
    return fig


# ---------------------------------------------------------------------------------------------------
# self-rating check


def rating_check_chart(model: Model, check: pd.DataFrame, lang: str = "ja") -> Figure:
    """Claimed self-rating against measured coverage, one row per risk item (official order from the top).

    x = coverage (% of the risk's elements with an implemented control mapped); marker shape = claimed
    rating; colour = the check's status (vermillion = overclaimed). A hollow marker and a short arrow show
    the coverage once the planned controls are in place, where it differs.

    Parameters
    ----------
    check
        :func:`pia_analysis.analysis.coverage.rating_check`.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.coverage import rating_check
    >>> model = load_model(bundled_model_path())
    >>> fig = rating_check_chart(model, rating_check(model))
    >>> len(fig.axes[0].get_yticklabels())
    26
    """
    _check_lang(lang)
    table = check.reset_index(drop=True)
    items = model.risk_items.set_index("risk_id")
    fig = _new_figure(model, lang, _t("rating_title", lang), _t("rating_sub", lang))
    size = 7.5

    def label(r: dict) -> str:
        rid = r["risk_id"]
        if lang == "en":
            name = items.at[rid, "name_en"] if rid in items.index else r.get("name_ja", "")
            name = name if isinstance(name, str) and name.strip() else r.get("name_ja", rid)
        else:
            name = r.get("name_ja", "") or (items.at[rid, "name_ja"] if rid in items.index else rid)
        return f"{rid}  {name}"

    labels = [label(r) for r in table.to_dict("records")]
    labels = ["\n".join(wrap_text(lb, 4.4, size, lang, max_lines=2)) for lb in labels]
    label_w = max(_text_width(line, size) for lb in labels for line in lb.split("\n")) if labels else 1.0
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
            ax.text(1.01, 1 - (start + i) / 2 / n, "\n".join(wrap_text(_stage_name(stage_of[start], lang), 1.0, 7.5,
                                                                    lang)),
                    transform=ax.transAxes, ha="left", va="center", fontsize=7.5, color="#555555",
                    linespacing=1.1)
            band += 1
            start = i
    ax.axvline(100, color="#333333", linewidth=0.9, linestyle=(0, (4, 2)), zorder=1)
    ax.text(99, -0.9, _t("rating_full", lang), ha="right", va="bottom", fontsize=7.5, color="#333333")
    for i, r in enumerate(table.to_dict("records")):
        rating = r.get("rating")
        rating = rating if isinstance(rating, str) and rating in _RATINGS else None
        colour = _STATUS_STYLE.get(str(r["status"]), (_GREY, "", ""))[0]
        marker = _RATING_MARKERS.get(rating, "X")
        x = coverage[i]
        if np.isnan(x):
            ax.text(1, i, _STATUS_STYLE["out_of_scope"][1 if lang == "ja" else 2], va="center", fontsize=7.5,
                    color="#555555")
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
        ax.text(end + 2.2 if end < 93 else x - 2.2, i + 0.02, f"{x:.0f}%", va="center",
                ha="left" if end < 93 else "right", fontsize=6.8, color="#333333", zorder=5, gid=f"pct-{r['risk_id']}")
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
    ax.set_xlabel(_t("rating_x", lang), fontsize=9)
    ax.set_ylabel(_t("rating_y", lang), fontsize=9)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    rating_handles = [Line2D([], [], marker=_RATING_MARKERS[rt], color="#555555", markeredgecolor="#222222",
                             linestyle="none", markersize=7, label=rt if lang == "ja" else _RATING_EN[rt])
                      for rt in _RATINGS]
    rating_handles.append(Line2D([], [], marker="X", color="#555555", linestyle="none", markersize=7,
                                 label=_t("unrated", lang)))
    rating_handles.append(Line2D([], [], marker="o", markerfacecolor="#FFFFFF", markeredgecolor="#555555",
                                 linestyle="none", markersize=7, label=_t("if_planned", lang)))
    present = [s for s in _STATUS_STYLE if s in set(table["status"])]
    status_handles = [Patch(facecolor=_STATUS_STYLE[s][0], edgecolor="none",
                            label="\n".join(wrap_text(_STATUS_STYLE[s][1 if lang == "ja" else 2], 1.5, 7.5, lang)))
                      for s in present]
    legend_x = (left + ax_w + 1.2) / A4_LANDSCAPE[0]
    leg1 = fig.legend(handles=rating_handles, loc="upper left", bbox_to_anchor=(legend_x, 0.84), fontsize=7.5,
                      title=_t("rating_legend", lang), title_fontsize=8.5, frameon=False, alignment="left")
    leg2 = fig.legend(handles=status_handles, loc="upper left", bbox_to_anchor=(legend_x, 0.56), fontsize=7.5,
                      title=_t("status_legend", lang), title_fontsize=8.5, frameon=False, alignment="left")
    leg1.set_gid("legend-ratings")
    leg2.set_gid("legend-status")
    return fig


# ---------------------------------------------------------------------------------------------------
# the first sketch (kept for notebook 01)


def plain_graph_figure(model: Model, lang: str = "ja") -> Figure:
    """A first, plain drawing of the data-flow graph: systems in columns by zone, flows as arrows.

    The layout is deterministic (networkx ``multipartite_layout`` with zones in file order), so the same
    model always gives the same picture. :func:`dataflow_diagram` is the finished diagram.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> fig = plain_graph_figure(load_model(bundled_model_path()))
    >>> len(fig.axes)
    1
    """
    use_japanese_fonts()
    g = nx.DiGraph()
    zone_order = {z: i for i, z in enumerate(model.zones["zone_id"])}
    for row in model.systems.sort_values("system_id").itertuples(index=False):
        g.add_node(row.system_id, layer=zone_order[row.zone_id])
    g.add_edges_from(sorted(zip(model.flows["source"], model.flows["target"])))
    pos = nx.multipartite_layout(g, subset_key="layer", align="vertical")
    fig, ax = plt.subplots(figsize=(14, 8))
    holders = {n for n, d in model.graph.nodes(data=True) if d["holds_my_number"]}
    colours = [OKABE_ITO[5] if n in holders else OKABE_ITO[1] for n in g.nodes]
    nx.draw_networkx(g, pos, ax=ax, node_color=colours, node_size=900, font_size=7, arrowsize=12,
                     edge_color="#555555")
    title = model.title("en" if lang == "en" else "ja")
    ax.set_title(f"{title}\n({'赤: 特定個人情報ファイルを保有' if lang == 'ja' else 'red: holds a My Number file'})")
    ax.set_axis_off()
    fig.tight_layout()
    return fig
