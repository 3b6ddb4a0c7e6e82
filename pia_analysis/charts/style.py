"""The look shared by every chart: palette, page, fonts, fixed texts, text wrapping and byte-stable files.

* :data:`OKABE_ITO`, :data:`STAGE_COLOURS`, :data:`ZONE_COLOURS`, :data:`CONTINUOUS_CMAP` — the colours
  (Okabe–Ito for categories, cividis for continuous values: both readable with colour blindness);
* :data:`A4_LANDSCAPE` and :func:`new_figure` — the page every chart is drawn on (title, subtitle, footer
  with the model's title and assessment date);
* :func:`use_japanese_fonts` — IPAexGothic, bundled by ``matplotlib-fontja``, then DejaVu Sans, and never a
  bold weight (neither ships a bold Japanese face: asking for one printed ``findfont: Failed to find font
  weight bold``); :func:`drawable_text` — a name with a character no chart font has (𠮷) drawn with 〓,
  said once (:class:`MissingGlyphWarning`) instead of matplotlib's ``Glyph … missing`` per draw;
* :func:`chart_text` — the charts' fixed texts in Japanese and English; :func:`check_lang`;
* :func:`wrap_text` and :func:`text_width` — line breaking measured in the chart font (Japanese breaks
  before an opening bracket or after ・、の…);
* :func:`format_percent`, :func:`percent_tick`, :func:`display_name`, :func:`element_name`,
  :func:`stage_name`, :func:`text_colour_on` — labels (a council chart names systems, flows and risks, never
  their ids: ids stay in the tables and the pack's appendix);
* :func:`save_figure` — PNG and SVG, byte-identical from one run to the next;
* :func:`zone_palette` — each zone's colour keyed to the zone (from a base model's order), so that a
  what-if change does not recolour the zones.

:mod:`.dataflow`, :mod:`.figures`, :mod:`.delta` and the briefing pack draw with these.
"""

from __future__ import annotations

__all__ = [
    "A4_LANDSCAPE",
    "CONTINUOUS_CMAP",
    "OKABE_ITO",
    "STAGE_COLOURS",
    "MissingGlyphWarning",
    "ZONE_COLOURS",
    "ZONE_HATCHES",
    "chart_text",
    "check_lang",
    "declaration_label",
    "display_name",
    "drawable_figure",
    "drawable_text",
    "element_name",
    "fit_text",
    "form_item_number",
    "format_percent",
    "new_figure",
    "percent_axis_scale",
    "percent_tick",
    "save_figure",
    "stage_name",
    "text_colour_on",
    "text_width",
    "use_japanese_fonts",
    "wrap_text",
    "zone_palette",
]

import datetime as dt
import functools
import math
import re
import unicodedata
import warnings
from pathlib import Path
from typing import Any

import matplotlib as mpl
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import text_to_path
from matplotlib.text import Text

from .. import catalog
from ..model.model import Model, require_model
from ..util.errors import InvalidArgumentError
from ..util.glyphs import CHART_FONTS, REPLACEMENT, missing_characters
from ..util.text_table import NO_LINE_END, NO_LINE_START

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
#: Continuous colour map (exposure, coverage): cividis, readable with colour blindness and in grey.
CONTINUOUS_CMAP = "cividis"
_SVG_SALT = "pia-analysis"

# Every fixed text of the charts, (Japanese, English).
_TEXT: dict[str, tuple[str, str]] = {
    "assessed_on": ("評価実施日", "assessed on"),
    "dataflow_title": ("データフロー図：信頼ゾーン・システム・特定個人情報の流れ",
                       "Data-flow diagram: trust zones, systems and flows of specific personal information"),
    "dataflow_sub": ("列は基幹ゾーン（個人番号を保有するゾーン）から何段のゾーン境界を越えるか"
                     "（左が基幹、右ほど外部）。"
                     "矢印の色は段階、箱の色は曝露（最も起こりやすい攻撃経路で到達する年間確率、箱内に%）。",
                     "Columns: zone boundaries crossed from the core zones holding My Numbers (core on the "
                     "left, outside to the right). Arrow colour: stage. Box colour: exposure (yearly probability "
                     "of the most likely attack path, % in the box)."),
    "dataflow_doc_title": ("事務の内容：システムと特定個人情報の流れ",
                           "The affair: systems and flows of specific personal information"),
    "dataflow_doc_sub": ("枠は庁内外のネットワークの区分、箱はシステム（太枠は個人番号を含むファイルを保有）。"
                         "矢印の色は段階、矢印の番号は事務の流れの番号。",
                         "Frames: the network segments; boxes: the systems (thick edge: holds a file with My Numbers). "
                         "Arrow colour: stage; the numbers on the arrows: the steps of the affair."),
    "dataflow_doc_sub_agg": ("システム数が多い（{n:,}）ため、{k}を超えるシステムを持つゾーンは1つの箱にまとめた。"
                             "矢印は同じ向き・段階のフローの束（×は本数）で、同じ箱の中のフロー{inside:,}本は省略。",
                             "The model has {n:,} systems: each zone with more than {k} is one box. Arrows bundle the "
                             "flows with the same direction and stage (× the number); the {inside:,} flows inside a "
                             "box are left out."),
    "dataflow_sub_agg": ("システム数が多い（{n:,}）ため、{k}を超えるシステムを持つゾーンは"
                         "1つの箱にまとめた（色と%は箱の中で"
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
    "heatmap_sub_zone": ("システム数が多い（{n:,}）ため、ゾーンごとに集計："
                         "各セルはそのゾーンのシステムのうち段階の対象と"
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
    "exposure_cbar_linear": ("曝露（年間確率、%）", "Exposure (yearly probability, %)"),
    "col_core": ("基幹ゾーン", "Core zones"),
    "col_k": ("基幹から境界{k}つ", "{k} boundar{ies} from the core"),
    "exposure_title": ("システム別の曝露と危険にさらされる件数", "Exposure of each system and records at stake"),
    "exposure_sub": ("上段：危険にさらされるシステム。棒は入口から最も起こりやすい攻撃経路で到達される年間確率"
                     "（曝露）。●と横線：モンテカルロ法による、いずれかの経路で侵害される確率とその95%信頼区間。右の数値："
                     "到達された場合に危険にさらされる件数（保有する個人番号ファイルの件数）。下段：入口（攻撃・不正の"
                     "起点となる端末や窓口）。棒はそこから攻撃が始まる年間確率。",
                     "Top: the systems at risk. Bars: yearly probability that the most likely attack path from an "
                     "entry point reaches the system (exposure). Dot and line: Monte Carlo probability of "
                     "compromise by any path, with its 95% confidence interval. Figures on the right: records at "
                     "stake if the system is reached (its largest file with My Numbers). Bottom: the entry points "
                     "(terminals and counters where an attack can start); bars: the yearly probability that an "
                     "attack starts there."),
    "exposure_x": ("年間の侵害確率（%、対数目盛）", "Yearly probability of compromise (%, log scale)"),
    "exposure_x_linear": ("年間の侵害確率（%）", "Yearly probability of compromise (%)"),
    "group_at_risk": ("危険にさらされるシステム", "Systems at risk"),
    "group_entry": ("入口（攻撃・不正の起点）", "Entry points (where an attack can start)"),
    "exposure_y": ("システム（曝露の高い順）", "System (highest exposure first)"),
    # people, as the key messages say (「8,000 人分」): one unit for the people of a My Number file everywhere
    "records_legend": ("赤字：個人番号を保有するシステム。右の数値は到達された場合に影響を受ける人数",
                       "Red: systems holding My Numbers; the figure on the right: people affected if reached"),
    "mc_label": ("モンテカルロ推定（全経路、95%信頼区間、{n:,}回）", "Monte Carlo (any path, 95% CI, {n:,} trials)"),
    "records": ("{n:,}人", "{n:,} people"),
    "loss_title": ("年間に○人以上の記録に攻撃者が届く確率",
                   "Probability that an attacker reaches the records of x people or more in a year"),
    "loss_sub": ("横軸の人数以上の個人番号の記録に、1年のうちに攻撃者が届く確率。モンテカルロ法で{n:,}回の1年を試し、"
                 "回ごとに届いた個人番号ファイルのうち最大のものの件数を人数として数えた割合（同じ事務のファイルは"
                 "同じ住民を記録しているため、足し合わせません）。帯：95%信頼区間。",
                 "The probability that, within a year, an attacker reaches the My Number records of at least the "
                 "people on the horizontal axis: the share of {n:,} simulated years, counting in each year the "
                 "people of the largest My Number file reached (the files of one affair hold the same residents, "
                 "so they are not added up). Band: 95% confidence interval."),
    "loss_x": ("記録の人数（この人数以上）", "Records of people (at least)"),
    "loss_y": ("年間の確率（%）", "Yearly probability (%)"),
    "loss_none": ("{n:,}回の試行で、個人番号ファイルに届いた回はありませんでした（確率は{high}未満）",
                  "No trial of {n:,} reached a My Number file (probability below {high})"),
    # the measure and what the expectation counts (issue 17: 「期待値：720人分」 alone said neither)
    "loss_expected": ("1年に届く人数の期待値（モンテカルロ法の平均、住民を一度だけ数える）：{e:,}人分",
                      "Expected people reached a year (Monte Carlo mean, each resident once): {e:,}"),
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
    "declared_out": ("対象外（宣言: {words}）", "Not applicable (declared: {words})"),
    "section4": ("Ⅳ その他のリスク対策", "IV Other risk measures"),
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
    "riskmap_sub": ("リスクマップは、フランスのデータ保護機関 CNIL の PIA 手法にならい、発見事項を発生可能性と影響の"
                    "それぞれ4段階で表に置くもの。横：発生可能性（攻撃経路・入口の年間確率の段階）、縦：影響（危険に"
                    "さらされる件数の段階）、背景：その組み合わせで決まるリスクの水準。●＝現在の未対応の発見事項、"
                    "○＝予定の対策をすべて実施した後（矢印）。",
                    "A risk map after the method of CNIL, the French data protection authority: each finding is placed "
                    "by its likelihood and its impact, each rated on four levels. Across: likelihood (level of the "
                    "yearly probability of the attack path or entry point); up: impact (level of the records at "
                    "stake); background: the risk level the two give together. Filled: open findings now; hollow: "
                    "after every planned control is in place (arrow)."),
    "likelihood": ("発生可能性", "Likelihood"),
    "impact": ("影響（危険にさらされる件数）", "Impact (records at stake)"),
    "risk_level": ("リスクの水準", "Risk level"),
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


class MissingGlyphWarning(UserWarning):
    """A text of a chart holds a character no chart font has: it is drawn as 〓 (said once per character)."""


_SAID: set[str] = set()  # the characters already reported by drawable_text in this process


def drawable_text(text: Any) -> str:
    """``text`` with every character no chart font has replaced by 〓 (geta), said once per character.

    The charts' own texts are all drawable; names and titles come from the model, where a character such
    as 𠮷 (outside JIS X 0213, not in IPAexGothic nor DejaVu Sans) would be an empty box and a matplotlib
    ``UserWarning: Glyph … missing`` at every draw. Validation has already warned where it is
    (:mod:`pia_analysis.model.glyphs`); the chart draws 〓 and warns once (:class:`MissingGlyphWarning`).

    Parameters
    ----------
    text
        A text for a chart (a name, a title); any other value is made text.

    Returns
    -------
    str
        The text, each missing character replaced.

    Examples
    --------
    >>> import warnings
    >>> from pia_analysis.charts.style import drawable_text
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     drawable_text("𠮷田出張所"), drawable_text("吉田出張所")
    ('〓田出張所', '吉田出張所')
    """
    text = str(text)
    if text.isascii():
        return text
    missing = missing_characters(text)
    if not missing:
        return text
    new = [ch for ch in missing if ch not in _SAID]
    if new:
        _SAID.update(new)
        chars = ", ".join(f"{ch} (U+{ord(ch):04X})" for ch in new)
        warnings.warn(f"{chars}: in no chart font; the charts draw {REPLACEMENT} in its place (in {text!r})",
                      MissingGlyphWarning, stacklevel=2)
    for ch in missing:
        text = text.replace(ch, REPLACEMENT)
    return text


def drawable_figure(fig: Figure) -> Figure:
    """Every text of ``fig`` made drawable (:func:`drawable_text`): the one pass before a figure is drawn.

    A chart or page may set a model's name through any of its texts (a title, a table cell, a legend); this
    pass, run where figures are handed out and written (:func:`save_figure`, the PDF writer, the
    charts of a briefing), holds every text to the chart fonts, so that no character is drawn as an empty
    box with matplotlib's ``Glyph … missing`` warning at each draw.

    Parameters
    ----------
    fig
        A figure, changed in place.

    Returns
    -------
    Figure
        ``fig``.

    Examples
    --------
    >>> import warnings
    >>> import matplotlib.pyplot as plt
    >>> from pia_analysis.charts.style import drawable_figure
    >>> fig = plt.figure()
    >>> t = fig.text(0.1, 0.1, "福祉システム（𠮷田分室）")
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     _ = drawable_figure(fig)
    >>> t.get_text()
    '福祉システム（〓田分室）'
    >>> plt.close(fig)
    """
    for text in fig.findobj(Text):
        value = text.get_text()
        if value and not value.isascii():
            drawable = drawable_text(value)
            if drawable != value:
                text.set_text(drawable)
    return fig


def form_item_number(form_item_ja: str, lang: str = "ja") -> str:
    """The number of a rated item on the form, in the pack's language: what every chart and page shows.

    ``Ⅲ2 リスク3`` (Ⅲ 2. 入手, risk 3); the 委託 block's long note is left out (``Ⅲ4 委託``); an item the model
    adds is ``Ⅲ3 追加``. Section Ⅳ items (``Ⅳ1 監査 ①自己点検``) carry their wording in the number. In English
    no Japanese is left: ``III 2, risk 3``, ``III 4``, ``IV 1 (1)``, ``III 3, added``.

    Parameters
    ----------
    form_item_ja
        The item's place in the form (``catalog/rated_items.csv`` ``form_item_ja``).
    lang
        ``"ja"`` or ``"en"``.

    Returns
    -------
    str
        The number.

    Examples
    --------
    >>> from pia_analysis.charts.style import form_item_number
    >>> form_item_number("Ⅲ2 リスク1", "en"), form_item_number("Ⅲ4 委託（リスク1〜5をまとめた1つの欄）", "en")
    ('III 2, risk 1', 'III 4')
    >>> form_item_number("Ⅲ4 委託（リスク1〜5をまとめた1つの欄）"), form_item_number("Ⅳ1 監査 ①自己点検", "en")
    ('Ⅲ4 委託', 'IV 1 (1)')
    """
    form = str(form_item_ja or "").strip()
    head = form.replace("（追加）", " 追加").split("（")[0].strip()
    if lang == "en":
        section = "IV" if head.startswith("Ⅳ") else "III"
        number = re.match(r"[ⅢⅣ]\s*(\d+)", head)
        text = f"{section} {number.group(1)}" if number else section
        risk = re.search(r"リスク\s*(\d+)", head)
        if risk:
            text += f", risk {risk.group(1)}"
        circled = re.search(r"[①-⑳]", head)
        if circled:
            text += f" ({ord(circled.group(0)) - ord('①') + 1})"
        return text + (", added" if "追加" in head else "")
    return head


def chart_text(key: str, lang: str, **fmt: Any) -> str:
    """One fixed text of the charts (a title, an axis label, a legend entry) in Japanese or English.

    Parameters
    ----------
    key
        The text's key (``"covered"``, ``"exposure_title"`` …).
    lang
        ``"ja"`` or ``"en"``.
    **fmt
        Values for the text's ``{placeholders}`` (``str.format``).

    Returns
    -------
    str
        The text, formatted.

    Raises
    ------
    KeyError
        When no text has that key.

    Examples
    --------
    >>> from pia_analysis.charts.style import chart_text
    >>> chart_text("covered", "en"), chart_text("pairs_n", "ja", n=3)
    ('Covered', '3組')
    """
    text = _TEXT[key][1 if lang == "en" else 0]
    return text.format(**fmt) if fmt else text


def declaration_label(declared: str, lang: str) -> str:
    """A stage declaration (委託しない …) in the chart's language: ``catalog/stage_declarations.csv``.

    The coverage tables carry the declaration's Japanese label (or several joined by 「・」); an English
    chart writes ``label_en`` of each (「委託しない」 → "no outsourcing"), so an English page has no Japanese
    beside "Not applicable (declared: …)". A label the catalogue lacks is kept as written.

    Parameters
    ----------
    declared
        The Japanese label(s), joined by 「・」 when there are several.
    lang
        ``"ja"`` (the label as it is) or ``"en"``.

    Returns
    -------
    str
        The label(s) in the chart's language (English ones joined by ", ").

    Examples
    --------
    >>> from pia_analysis.charts.style import declaration_label
    >>> declaration_label("委託しない", "en"), declaration_label("委託しない", "ja")
    ('no outsourcing', '委託しない')
    """
    declared = str(declared)
    if lang != "en" or not declared:
        return declared
    table = catalog.stage_declarations()
    english = dict(zip(table["label_ja"], table["label_en"]))
    # a label may itself hold 「・」 (提供・移転しない): the whole label first, else its parts
    if declared in english:
        return str(english[declared])
    parts, rest = [], declared
    for label in sorted(english, key=len, reverse=True):
        if label in rest:
            parts.append((declared.index(label), str(english[label])))
            rest = rest.replace(label, "")
    leftover = rest.strip("・ ")
    return ", ".join([w for _i, w in sorted(parts)] + ([leftover] if leftover else []))


def check_lang(lang: str) -> str:
    """``lang`` itself when it is a language the charts are labelled in (``"ja"`` or ``"en"``).

    Parameters
    ----------
    lang
        The language asked for.

    Returns
    -------
    str
        ``lang``.

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        For any other language.

    Examples
    --------
    >>> from pia_analysis.charts.style import check_lang
    >>> check_lang("en")
    'en'
    >>> check_lang("fr")
    Traceback (most recent call last):
    ...
    pia_analysis.util.errors.InvalidArgumentError: lang must be 'ja' or 'en', not 'fr'
    """
    if lang not in ("ja", "en"):
        raise InvalidArgumentError(f"lang must be 'ja' or 'en', not {lang!r}")
    return lang


# ---------------------------------------------------------------------------------------------------
# fonts, figures, files


def use_japanese_fonts() -> None:
    """Make matplotlib draw Japanese text with the bundled IPAexGothic font (idempotent).

    Sets only font rcParams (and the SVG id salt, so that SVG files are reproducible). Call it before
    measuring text (:func:`text_width`, :func:`wrap_text`): widths are measured in this font.

    Examples
    --------
    >>> from pia_analysis.charts.style import use_japanese_fonts
    >>> import matplotlib as mpl
    >>> use_japanese_fonts()
    >>> mpl.rcParams["font.sans-serif"][0]
    'IPAexGothic'
    """
    import matplotlib_fontja  # noqa: F401  (registers the font on import)

    matplotlib_fontja.japanize()
    # networkx draws labels with font_family="sans-serif": put the Japanese font first in that family too.
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["font.sans-serif"] = list(CHART_FONTS)
    # IPAexGothic has no bold face: a bold request makes matplotlib log "findfont: Failed to find font weight
    # bold" and draw the regular face anyway. Every default weight stays normal (the charts emphasise by
    # colour and size), and a user's name with two '$' is text, not mathematics.
    for key in ("font.weight", "axes.titleweight", "axes.labelweight", "figure.titleweight"):
        mpl.rcParams[key] = "normal"
    mpl.rcParams["text.parse_math"] = False
    mpl.rcParams["svg.hashsalt"] = _SVG_SALT  # stable SVG ids


def new_figure(model: Model, lang: str, title: str, subtitle: str | None = None) -> Figure:
    """An A4-landscape figure with the title on top and the model's name and date in the footer.

    Every chart starts from this page: the title at the top left, the subtitle wrapped below it, a footer
    with the model's title and assessment date (never today's date, so that files do not change from day
    to day) and the model id at the bottom right. The figure has an Agg canvas and no pyplot state.

    Parameters
    ----------
    model
        The model the chart is about (its title, ``assessed_on`` and id go in the footer).
    lang
        ``"ja"`` or ``"en"``.
    title
        The chart's title.
    subtitle
        One or two sentences on how to read the chart, wrapped to the page (none when None).

    Returns
    -------
    matplotlib.figure.Figure
        An empty A4-landscape page (11.69 × 8.27 in, 100 dpi) with its texts.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis.charts.style import new_figure
    >>> from pia_analysis import load_model, bundled_model_path
    >>> fig = new_figure(load_model(bundled_model_path()), "en", "A title", "How to read it.")
    >>> [float(x) for x in fig.get_size_inches()], fig.texts[0].get_text()
    ([11.69, 8.27], 'A title')
    """
    require_model(model, "new_figure")
    use_japanese_fonts()
    fig = Figure(figsize=A4_LANDSCAPE, dpi=100)
    FigureCanvasAgg(fig)
    fig.text(0.015, 0.978, drawable_text(title), fontsize=15, va="top", ha="left", color="#111111")
    if subtitle:
        subtitle = drawable_text(subtitle)
        fig.text(0.015, 0.935, "\n".join(wrap_text(subtitle, A4_LANDSCAPE[0] - 0.7, 9, lang, balanced=False)),
                 fontsize=9,
                 va="top", ha="left", color="#333333", linespacing=1.35)
    assessed = model.meta.get("assessed_on")
    if isinstance(assessed, dt.date):
        date = f"{assessed.year}年{assessed.month}月{assessed.day}日" if lang == "ja" else assessed.isoformat()
    else:
        date = str(assessed or "-")
    sep = "　｜　" if lang == "ja" else "  |  "
    dated = f"{sep}{chart_text('assessed_on', lang)}: {date}"
    # the model by its title (left); its id is for the analysts' tables, never a council page
    ident = "pia_analysis"
    # A long title (up to the 200 characters a model may have) is cut with '…' so that the date stays whole
    # and clear of the tool's name at the right, with half an inch between them.
    room = A4_LANDSCAPE[0] * (0.985 - 0.015) - text_width(ident, 7) - 0.5 - text_width(dated, 8)
    fig.text(0.015, 0.012, fit_text(drawable_text(model.title(lang)), max(room, 1.0), 8) + dated,
             fontsize=8,
             va="bottom", ha="left", color="#444444")
    fig.text(0.985, 0.012, ident, fontsize=7, va="bottom", ha="right", color="#777777")
    return fig


def save_figure(fig: Figure, path_without_suffix: str | Path, dpi: int = 200) -> tuple[Path, Path]:
    """Write ``<path>.png`` (``dpi``, default 200) and ``<path>.svg``; return the two paths.

    The files are byte-identical from one run to the next: the PNG carries no Software tag, the SVG no
    date and fixed ids (``svg.hashsalt``). Parent directories are created.

    Parameters
    ----------
    fig
        The figure to write.
    path_without_suffix
        Where to write, without ``.png`` / ``.svg``.
    dpi
        Resolution of the PNG (the SVG is vector).

    Returns
    -------
    tuple of pathlib.Path
        ``(png, svg)``, the two files written.

    Examples
    --------
    >>> from pia_analysis.charts.style import new_figure, save_figure
    >>> import tempfile, pathlib
    >>> from pia_analysis import load_model, bundled_model_path
    >>> fig = new_figure(load_model(bundled_model_path()), "en", "A page")
    >>> png, svg = save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "coverage")
    >>> png.suffix, svg.suffix
    ('.png', '.svg')
    """
    base = Path(path_without_suffix)
    base.parent.mkdir(parents=True, exist_ok=True)
    png, svg = base.with_name(base.name + ".png"), base.with_name(base.name + ".svg")
    drawable_figure(fig)
    with mpl.rc_context({"svg.hashsalt": _SVG_SALT}):
        fig.savefig(png, dpi=dpi, format="png", metadata={"Software": None})
        fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return png, svg


# ---------------------------------------------------------------------------------------------------
# text helpers


def text_width(text: str, size: float) -> float:
    """Width of ``text`` in inches at font ``size`` (points): the sum of the chart font's advance widths.

    Kerning is ignored (IPAexGothic barely kerns), Latin characters count 5 % wider (hinting widens
    them when drawn) and 1 % is added for safety. Character widths are
    memoised (:func:`_char_width`): measuring through FreeType costs milliseconds per call.

    Parameters
    ----------
    text
        The text (one line).
    size
        Font size in points.

    Returns
    -------
    float
        Width in inches.

    Examples
    --------
    >>> from pia_analysis.charts.style import text_width, use_japanese_fonts
    >>> use_japanese_fonts()  # widths are those of the chart font
    >>> round(text_width("Exposure", 10), 3), text_width("情報", 10) > text_width("ab", 10)
    (0.635, True)
    """
    # Latin glyphs are drawn about 4 % wider than their outline advance at screen resolutions (hinting rounds
    # each advance up): counted 5 % wider, so that a wrapped English line does not run past the page.
    widths = (_char_width(ch) * (1.0 if _is_wide(ch) else 1.05) for ch in str(text))
    return 1.01 * size / 10.0 * sum(widths) / 72.0


@functools.lru_cache(maxsize=8192)
def _char_width(ch: str) -> float:
    """Advance width of one character at 10 pt, in points (IPAexGothic, as set by use_japanese_fonts)."""
    if unicodedata.category(ch) == "Cc":  # a line break or tab in a user's name: no glyph, and no width
        return 0.0
    if missing_characters(ch):  # drawn as 〓 (drawable_figure): measured as 〓, without a glyph warning
        return _char_width(REPLACEMENT)
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
# 禁則 (JIS X 4051): one definition with the terminal's tables (pia_analysis.util.text_table)
_NO_LINE_START = NO_LINE_START
_NO_LINE_END = NO_LINE_END


def wrap_text(text: str, width: float, size: float, lang: str, max_lines: int | None = None,
          balanced: bool = True) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` inches at ``size`` points.

    Latin text breaks at spaces; Japanese text prefers a break before an opening bracket or after
    ・、の… (``balanced``: the break giving the most even lines; else as late as possible, for running
    text), else at the last character that fits. 禁則 holds on every line: none starts with ）」。、・ー
    or a small kana, none ends with （「 (the break moves back; a character that cannot move hangs one
    past the width, ぶら下げ). With ``max_lines`` the last line ends with '…'. Every chart and page of the
    pack wraps with this one function.

    Parameters
    ----------
    text
        The text; a newline starts a new paragraph.
    width
        Width of a line in inches.
    size
        Font size in points (measured in the chart font, see :func:`text_width`).
    lang
        ``"ja"`` or ``"en"`` (the line-breaking rules follow the text itself; kept for the callers).
    max_lines
        At most this many lines (the last one shortened with '…'); no limit when None.
    balanced
        Japanese: prefer the break giving the most even lines (labels); else break as late as possible
        (running text).

    Returns
    -------
    list of str
        The lines.

    Examples
    --------
    >>> from pia_analysis.charts.style import use_japanese_fonts, wrap_text
    >>> use_japanese_fonts()
    >>> wrap_text("Risk coverage of the six stages", 1.2, 10, "en")
    ['Risk coverage of', 'the six stages']
    >>> wrap_text("取扱いプロセスごとのリスク対策（入手・使用）", 1.5, 10, "ja")
    ['取扱いプロセスごとの', 'リスク対策', '（入手・使用）']
    >>> wrap_text("住民記録システム（市の）、窓口", 1.15, 10, "ja")  # never a line starting with ）or 、
    ['住民記録システム', '（市の）、窓口']
    """
    text = str(text)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_kinsoku(_wrap_one(paragraph, width, size, balanced)))
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and text_width(last + "…", size) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def fit_text(text: str, width: float, size: float) -> str:
    """``text`` on one line no wider than ``width`` inches at ``size`` points: cut and ended with '…' if longer.

    For a label that must stay on one line (a point of the risk map): unlike :func:`wrap_text` with
    ``max_lines=1``, it keeps as much of the text as fits, not the first of its wrapped lines.

    Parameters
    ----------
    text
        The text (line breaks become spaces).
    width
        Width in inches.
    size
        Font size in points.

    Returns
    -------
    str
        The text, or its longest beginning that fits with '…'.

    Examples
    --------
    >>> from pia_analysis.charts.style import fit_text, use_japanese_fonts
    >>> use_japanese_fonts()
    >>> fit_text("不正な提供・移転が行われるリスク", 1.0, 8)
    '不正な提供・移…'
    >>> fit_text("短い", 1.0, 8)
    '短い'
    """
    text = " ".join(str(text).split("\n"))
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _wrap_one(text: str, width: float, size: float, balanced: bool = True) -> list[str]:
    if text_width(text, size) <= width or len(text) <= 1:
        return [text]
    wide = sum(_is_wide(c) for c in text) > len(text) / 3
    if not wide:
        # words, and the parts of hyphenated words ("information-" + "provision"), which may break too
        words = re.findall(r"[^\s-]{3,}-+(?=[^\s-]{3,})|\S+", text)  # not "J-" + "LIS"
        lines, line = [], ""
        for word in words:
            glue = "" if (not line or line.endswith("-")) else " "
            candidate = line + glue + word
            if line and text_width(candidate, size) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
        out: list[str] = []
        for ln in lines:  # a single word longer than the width: cut it
            out.extend(_hard_wrap(ln, width, size) if text_width(ln, size) > width else [ln])
        return out
    # Japanese: break at a good point (before an opening bracket, after ・、の…) when one gives lines that
    # fit, the most balanced such break first; else at the last character that fits (never inside a
    # run of Latin letters and digits such as "J-LIS").
    def fits(part: str) -> bool:
        return text_width(part, size) <= width

    good = [i for i in range(1, len(text))
            if (text[i] in _BREAK_BEFORE or text[i - 1] in _BREAK_AFTER) and _may_break(text, i)
            and fits(text[:i].rstrip())]
    two = [i for i in good if fits(text[i:].lstrip())] if balanced else []
    if not balanced:
        good = [i for i in good if text_width(text[:i], size) >= width * 0.85]
    if two:
        cut = min(two, key=lambda i: (max(text_width(text[:i], size), text_width(text[i:], size)), i))
    else:
        fit = 1
        while fit < len(text) and fits(text[: fit + 1]):
            fit += 1
        if balanced:  # as many lines as needed, but of even length: never a lone last character
            lines_needed = math.ceil(text_width(text, size) / width)
            target = text_width(text, size) / lines_needed
            even = 1
            while even < fit and text_width(text[:even], size) < target - 1e-9:
                even += 1
            fit = max(1, min(fit, even))
        while 1 < fit < len(text) and not _may_break(text, fit):  # no line starts with 。、）… nor ends with （「
            fit -= 1
        long_enough = [i for i in good if text_width(text[:i], size) >= width / 2]
        cut = max(long_enough) if long_enough else fit
        if cut == fit and cut < len(text) and _latin(text[cut - 1]) and _latin(text[cut]):
            start = cut
            while start > 0 and _latin(text[start - 1]):
                start -= 1
            cut = start if start > 0 else cut
    head, tail = text[:cut].rstrip(), text[cut:].lstrip()
    return [head, *(_wrap_one(tail, width, size, balanced) if tail else [])]


def _may_break(text: str, i: int) -> bool:
    """Whether a line may end before ``text[i]``: 禁則 (no line starts with ）。、…, none ends with （「…)."""
    head, tail = text[:i].rstrip(), text[i:].lstrip()
    if not head or not tail:
        return True
    return tail[0] not in _NO_LINE_START and head[-1] not in _NO_LINE_END


def _kinsoku(lines: list[str]) -> list[str]:
    """The last guard of 禁則 on wrapped lines.

    A line starting with ）。、… gives that character to the line before (ぶら下げ, one character past the
    width); a line ending with （「… gives it to the next.
    """
    out: list[str] = []
    for line in lines:
        while out and line and line[0] in _NO_LINE_START:
            out[-1], line = out[-1] + line[0], line[1:]
        while out and len(out[-1]) > 1 and out[-1][-1] in _NO_LINE_END:
            out[-1], line = out[-1][:-1], out[-1][-1] + line
        if line or not out:
            out.append(line)
    return out


def _latin(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch in "-_.")


def _hard_wrap(text: str, width: float, size: float) -> list[str]:
    out, line = [], ""
    for ch in text:
        if line and text_width(line + ch, size) > width:
            out.append(line)
            line = ch
        else:
            line += ch
    return out + ([line] if line else [])


def format_percent(probability: float) -> str:
    """A probability as a percentage with two significant digits: 0.3 → '30%', 6.1e-06 → '0.00061%'.

    Parameters
    ----------
    probability
        A probability (0 to 1).

    Returns
    -------
    str
        The percentage; ``'0%'`` for 0, a negative or a non-finite value.

    Examples
    --------
    >>> from pia_analysis.charts.style import format_percent
    >>> format_percent(0.3), format_percent(6.1e-06), format_percent(0.0)
    ('30%', '0.00061%', '0%')
    """
    x = float(probability) * 100.0
    if x <= 0 or not math.isfinite(x):
        return "0%"
    digits = max(0, 1 - math.floor(math.log10(x)))
    text = f"{x:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text + "%"


def percent_tick(value: float, _pos: Any = None) -> str:
    """A tick label of a probability axis as a percentage (for :class:`matplotlib.ticker.FuncFormatter`).

    Parameters
    ----------
    value
        The tick's value, a probability.
    _pos
        The tick's position (matplotlib passes it; unused).

    Returns
    -------
    str
        :func:`format_percent` of ``value``; ``'0%'`` at or below 0.

    Examples
    --------
    >>> from pia_analysis.charts.style import percent_tick
    >>> percent_tick(0.05), percent_tick(0.0)
    ('5%', '0%')
    """
    return format_percent(value) if value > 0 else "0%"


def percent_axis_scale(values: Any) -> str:
    """``"log"`` when the positive ``values`` span two decades or more, else ``"linear"``.

    A log axis is needed only when a chart must show 30 % and 0.003 % side by side; for values within a
    factor of 100 of each other a linear axis reads more plainly (a lay reader compares lengths).

    Parameters
    ----------
    values
        Probabilities (any iterable of numbers; zeros, negatives and NaN are left out).

    Returns
    -------
    str
        ``"log"`` or ``"linear"`` (linear when fewer than two positive values).

    Examples
    --------
    >>> from pia_analysis.charts.style import percent_axis_scale
    >>> percent_axis_scale([0.3, 0.0031]), percent_axis_scale([0.3, 0.003]), percent_axis_scale([0.3, 0.0])
    ('linear', 'log', 'linear')
    """
    positive = [float(v) for v in values if v is not None and math.isfinite(float(v)) and float(v) > 0]
    if len(positive) < 2:
        return "linear"
    # compared in logs, with a tolerance, so that 0.3 / 0.003 counts as exactly two decades
    return "log" if math.log10(max(positive)) - math.log10(min(positive)) >= 2 - 1e-9 else "linear"


def display_name(row: Any, lang: str) -> str:
    """The name of a system, zone or risk item to show on a chart.

    name_en in English (falling back to name_ja, then the id), name_ja in Japanese (falling back to the id);
    a character no chart font has is drawn as 〓 (:func:`drawable_text`).

    Parameters
    ----------
    row
        A row of ``systems``, ``zones`` or ``risk_items`` (a dict, a Series or a named tuple).
    lang
        ``"ja"`` or ``"en"``.

    Returns
    -------
    str
        The name.

    Examples
    --------
    >>> from pia_analysis.charts.style import display_name
    >>> display_name({"system_id": "S1", "name_ja": "住基", "name_en": ""}, "en")
    '住基'
    >>> display_name({"zone_id": "Z", "name_ja": "", "name_en": "Zone"}, "ja")
    'Z'
    """
    get = row.get if hasattr(row, "get") else (lambda k, d=None: getattr(row, k, d))
    ja = get("name_ja", "")
    en = get("name_en", "")
    ident = get("system_id", "") or get("zone_id", "") or get("risk_id", "")
    if lang == "en":
        for value in (en, ja, ident):
            if isinstance(value, str) and value.strip():
                return drawable_text(value)
        return drawable_text(ident)
    for value in (ja, ident):
        if isinstance(value, str) and value.strip():
            return drawable_text(value)
    return drawable_text(ident)


def element_name(model: Model, element: str, element_type: str, lang: str) -> str:
    """The name of one element of the model as a council chart shows it: never its id.

    A system, zone, file or control by its name (:func:`display_name`); a flow as 「送り元 → 送り先」 by
    the names of its two systems; a risk or rated item by its official wording (the catalogue's, or the
    model's extra risk). An element the model does not have keeps its text as given.

    Parameters
    ----------
    model
        The model the element belongs to.
    element
        The element's id (a finding's ``element``, say).
    element_type
        ``system``, ``zone``, ``flow``, ``file``, ``control`` or ``risk``.
    lang
        ``"ja"`` or ``"en"``.

    Returns
    -------
    str
        The name.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model`.

    Examples
    --------
    >>> from pia_analysis.charts.style import element_name
    >>> from pia_analysis import load_model, bundled_model_path
    >>> model = load_model(bundled_model_path())
    >>> element_name(model, "F01", "flow", "en")
    'Notifying person (resident or proxy) → Integrated counter system'
    >>> element_name(model, "acquire-3", "risk", "ja")
    '入手した特定個人情報が不正確であるリスク'
    """
    require_model(model, "element_name")
    element = str(element)
    if element_type == "flow":
        flows = model.flows.set_index("flow_id")
        if element not in flows.index:
            return element
        row = flows.loc[element]
        arrow = " → "
        return (element_name(model, row["source"], "system", lang) + arrow
                + element_name(model, row["target"], "system", lang))
    if element_type == "risk":
        for table, key in ((model.rated_items, "rated_item_id"), (model.risk_items, "risk_id")):
            hit = table.loc[table[key] == element]
            if len(hit):
                return display_name(hit.iloc[0].to_dict() | {"risk_id": element}, lang)
        return element
    tables = {"system": (model.systems, "system_id"), "zone": (model.zones, "zone_id"),
              "file": (model.files, "file_id"), "control": (model.controls, "control_id")}
    if element_type not in tables:
        return element
    table, key = tables[element_type]
    hit = table.loc[table[key] == element]
    if not len(hit):
        return element
    return display_name(hit.iloc[0].to_dict() | {"system_id": element}, lang)


def _stage_table() -> pd.DataFrame:
    return catalog.stages().set_index("stage")


def stage_name(stage: str, lang: str, form: str = "short") -> str:
    """The name of a stage on a chart: the official short Japanese name, or the catalogue's English name.

    Parameters
    ----------
    stage
        A stage of the catalogue (``acquire``, ``use``, ``outsource``, ``provide``, ``network``, ``retain``).
    lang
        ``"ja"``: ``short_ja``; ``"en"``: ``name_en``.
    form
        In English, ``"short"`` leaves out the parenthesis of ``name_en``; any other value keeps it.

    Returns
    -------
    str
        The name.

    Raises
    ------
    KeyError
        For a stage not in the catalogue.

    Examples
    --------
    >>> from pia_analysis.charts.style import stage_name
    >>> stage_name("provide", "ja"), stage_name("provide", "en")
    ('提供・移転', 'Provision and transfer')
    """
    row = _stage_table().loc[stage]
    if lang == "en":
        name = str(row["name_en"])
        return name.split(" (")[0] if form == "short" else name
    return str(row["short_ja"])


def text_colour_on(colour: Any) -> str:
    """Black or white, whichever reads better on a background of ``colour`` (by its relative luminance).

    Parameters
    ----------
    colour
        Any matplotlib colour.

    Returns
    -------
    str
        ``"#000000"`` on a light colour, ``"#FFFFFF"`` on a dark one.

    Examples
    --------
    >>> from pia_analysis.charts.style import text_colour_on
    >>> text_colour_on("#000000"), text_colour_on("#F0E442")
    ('#FFFFFF', '#000000')
    """
    r, g, b = to_rgb(colour)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if luminance > 0.45 else "#FFFFFF"


# ---------------------------------------------------------------------------------------------------
# zone colours keyed to the zone (issue 14): a zone keeps its colour before and after a what-if change

#: Hatch patterns that tell zones apart once the colours of :data:`ZONE_COLOURS` are used up (in this order).
ZONE_HATCHES = ("", "////", "....", "xxxx")


def zone_palette(base_order: Any, zones: Any = ()) -> dict[str, tuple[str, str]]:
    """Colour and hatch of each zone, keyed to the zone: the base model's zones first, new zones after.

    The ``i``-th zone gets ``ZONE_COLOURS[i % 7]``, hatched with ``ZONE_HATCHES[i // 7]`` after the seventh.
    Giving the base model's order (the model as given) for every chart of a changed model keeps each zone's
    colour when a scenario adds a zone or a blocked flow reorders the diagram; a zone the base lacks takes
    the next free colour.

    Parameters
    ----------
    base_order
        Zone ids of the base model in a stable order (e.g. its data-flow diagram's order, then the rest);
        repeats are ignored.
    zones
        Zone ids of the model drawn, in its order; those not in ``base_order`` come after, in this order.

    Returns
    -------
    dict of str to (str, str)
        Zone id → (colour, hatch); the hatch is ``""`` for the first seven zones.

    Examples
    --------
    >>> from pia_analysis.charts.style import zone_palette
    >>> base = zone_palette(["CORE", "CS", "PUBLIC"])
    >>> changed = zone_palette(["CORE", "CS", "PUBLIC"], ["CORE", "HOME", "PUBLIC", "CS"])
    >>> all(changed[z] == base[z] for z in base), changed["HOME"] not in base.values()
    (True, True)
    """
    order = list(dict.fromkeys(base_order))
    known = set(order)
    order += [z for z in dict.fromkeys(zones) if z not in known]
    n = len(ZONE_COLOURS)
    return {z: (ZONE_COLOURS[i % n], ZONE_HATCHES[(i // n) % len(ZONE_HATCHES)]) for i, z in enumerate(order)}
