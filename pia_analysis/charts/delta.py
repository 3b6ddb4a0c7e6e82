"""Charts of a :class:`~pia_analysis.whatif.compare.Comparison`: what a scenario (or a new version) changes.

* :func:`exposure_delta_figure` — exposure of each system before and after, in % a year (a log scale when
  the exposures span two decades or more, else linear), the systems at risk above the entry points (as in
  the briefing's exposure chart), systems by name, My Number holders marked, and a
  note beside a system whose most likely path (entry point, zone crossings) changed at the same probability;
* :func:`coverage_delta_figure` — coverage (網羅率) of each of the six stages before and after, a stage
  declared not applicable written 対象外 with its declaration;
* :func:`save_delta_charts` — both, as PNG (200 dpi) and SVG, byte-identical for the same comparison.

Titles and labels are Japanese (``lang="ja"``) or English, with names rather than ids (the charts go into
the scenario pack the council reads), in the briefing's terms (曝露, 網羅率, 入口); every wrapped label is
broken by :func:`~.style.wrap_text` (禁則: no line starts with 「）」 or 「、」), measured in the chart font.
The footer names the model and its assessment date (never today's date, so that the files do not change
from one day to the next).
"""

from __future__ import annotations

__all__ = ["build_delta_files", "coverage_delta_figure", "exposure_delta_figure", "save_delta_charts",
           "write_delta_pack"]

import math
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

from .style import (OKABE_ITO, chart_text, declaration_label, display_name, format_percent, percent_axis_scale,
                    percent_tick, save_figure, stage_name, use_japanese_fonts, wrap_text)
from ..whatif.compare import Comparison
from ..util.files import write_pack


_BEFORE, _AFTER = OKABE_ITO[8], OKABE_ITO[5]  # grey before, vermilion after
_FLOOR = 1e-7  # exposures below this (and 0) are drawn at the floor of the log axis
_NOTE_WIDTH = 2.7  # inches of the notes' column right of the exposure bars (2.9 in kept free, less a margin)


def _exposure_label(lang: str, scale: str) -> str:
    """The x label of the exposure chart: the briefing's term (曝露) and whether the scale is logarithmic."""
    if lang == "en":
        tail = ", log scale)" if scale == "log" else ")"
        return "Exposure (yearly probability of the most likely attack path from an entry point, %" + tail
    return "曝露（入口から最も起こりやすい攻撃経路で到達する年間確率、%" + ("、対数目盛）" if scale == "log" else "）")


def _footer(fig: Figure, comparison: Comparison, lang: str) -> None:
    # The model's title and assessment date, no ids: the delta charts go into the council's pack.
    model = comparison.base
    text = f"{model.title(lang)} · {model.meta['assessed_on'].isoformat()}"
    fig.text(0.99, 0.01, text, ha="right", va="bottom", fontsize=7, color="#555555")


def _title(comparison: Comparison, lang: str, what_ja: str, what_en: str, title: str | None) -> str:
    head = what_en if lang == "en" else what_ja
    return f"{head}\n{title or comparison.label_after}"


def _legend_labels(lang: str) -> tuple[str, str]:
    """The two series: the model as given and the model changed (the pack's words, no ids)."""
    return ("変更前（現在のモデル）", "変更後（シナリオ適用）") if lang != "en" else (
        "before (the model as given)", "after (scenario applied)")


def _names(comparison: Comparison, lang: str) -> dict[str, str]:
    """Display name of every system of either model, by id."""
    out: dict[str, str] = {}
    for model in (comparison.base, comparison.other):
        for row in model.systems.to_dict("records"):
            out.setdefault(row["system_id"], display_name(row, lang))
    return out


def _entry_points(comparison: Comparison) -> set[str]:
    """Systems that are entry points (entry_likelihood > 0) in either model."""
    out: set[str] = set()
    for model in (comparison.base, comparison.other):
        systems = model.systems
        out.update(systems.loc[systems["entry_likelihood"].fillna(0) > 0, "system_id"])
    return out


def _path_note(row: dict, names: dict[str, str], lang: str) -> str:
    """What changed on a system's most likely path at the same probability, in words."""
    ja = lang != "en"
    name = lambda sid: names.get(sid, sid)  # noqa: E731
    if row["entry_point_before"] != row["entry_point_after"]:
        b, a = name(row["entry_point_before"]), name(row["entry_point_after"])
        return f"同じ確率で入口が変化：{b} → {a}" if ja else f"same probability, entry point {b} → {a}"
    if list(row["path_before"]) != list(row["path_after"]):
        return "同じ確率で経路が変化" if ja else "same probability, another path"
    b, a = int(row["zone_crossings_before"]), int(row["zone_crossings_after"])
    return f"ゾーン越え {b} → {a} 回" if ja else f"zone crossings {b} → {a}"


def exposure_delta_figure(comparison: Comparison, lang: str = "ja", title: str | None = None,
                          only_changed: bool = False) -> Figure:
    """Exposure of each system before and after, as paired horizontal bars on a log scale.

    Systems are named (no ids), exposures are percentages a year, and a system whose probability is the
    same but whose most likely path changed (a new entry point, other zone crossings) says so beside its bars.

    Parameters
    ----------
    comparison
        The result of :func:`~pia_analysis.whatif.compare.compare`.
    lang
        ``ja`` or ``en``.
    title
        A second title line (default: the comparison's ``label_after``, e.g. the scenario id).
    only_changed
        Draw only the systems that changed (exposure, most likely path, entry point or zone crossings;
        default: every system reached in either model).

    Returns
    -------
    matplotlib.figure.Figure
        A pyplot figure (close it when done) with one pair of bars per system, highest exposure on top.

    Examples
    --------
    >>> from pia_analysis.charts.delta import exposure_delta_figure
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.whatif.apply import apply_scenario
    >>> from pia_analysis.whatif.compare import compare
    >>> m = load_model(bundled_model_path())
    >>> c = compare(m, apply_scenario(m, {"id": "x", "set": {"controls": {"C-STORE-FW": {"status": "missing"}}}}))
    >>> fig = exposure_delta_figure(c, only_changed=True)
    >>> labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]  # ● marks My Number holders
    >>> "証明書交付センター（J-LIS）" in labels, "コンビニ店舗のマルチコピー機" in labels  # the kiosk is unchanged
    (True, False)
    >>> import matplotlib.pyplot as plt
    >>> plt.close(fig)
    """
    use_japanese_fonts()
    ja = lang != "en"
    d = comparison.changed_exposure() if only_changed else comparison.exposure_delta
    d = d.loc[(d["exposure_before"] > 0) | (d["exposure_after"] > 0)]
    # As in the briefing's exposure chart, the systems at risk come first and the entry points (where an
    # attack starts: a resident, a kiosk, a terminal) below them, each group highest exposure first; ties by
    # id so the order is the same on every run.
    entry = _entry_points(comparison)
    d = d.assign(_k=-d[["exposure_before", "exposure_after"]].max(axis=1), _entry=d["system_id"].isin(entry))
    d = d.sort_values(["_entry", "_k", "system_id"], kind="stable")
    n = len(d)
    n_risk = int((~d["_entry"]).sum())
    grouped = 0 < n_risk < n  # both groups: a heading above each, a rule between them
    rows = n + 2 if grouped else n
    names = _names(comparison, lang)
    # the size of earlier versions, by the number of systems (the notebooks show it; the two headings take
    # a little of each row's height): the notes column and the names share the width
    fig, ax = plt.subplots(figsize=(10, max(3.0, 0.38 * n + 1.6)))
    top = np.arange(n) + ((d["_entry"].to_numpy() + 1) if grouped else 0)  # rows from the top, headings skipped
    y = (rows - 1) - top
    values = np.concatenate([d["exposure_before"].to_numpy(float), d["exposure_after"].to_numpy(float)])
    # a log axis only when it must show 30 % beside 0.003 %; within two decades lengths compare plainly
    scale = percent_axis_scale(values)
    floor = _FLOOR if scale == "log" else 0.0
    before = np.maximum(d["exposure_before"].to_numpy(float), floor)
    after = np.maximum(d["exposure_after"].to_numpy(float), floor)
    h = 0.38
    label_before, label_after = _legend_labels(lang)
    ax.barh(y + h / 2, before, height=h, color=_BEFORE, label=label_before)
    ax.barh(y - h / 2, after, height=h, color=_AFTER, label=label_after)
    if scale == "log":
        ax.set_xscale("log")
        ax.set_xlim(_FLOOR, 1.0)
        # a labelled tick every second decade: seven labels of "0.00001%" overlap on the narrow axis
        ax.set_xticks([10.0 ** e for e in range(-6, 1, 2)])
        ax.xaxis.set_minor_formatter(NullFormatter())
    else:
        ax.set_xlim(0, max(float(values.max(initial=0.0)), 1e-9) * 1.08)
    ax.xaxis.set_major_formatter(FuncFormatter(percent_tick))
    ax.set_ylim(-0.7, rows - 0.3)
    if grouped:
        for at, key in ((rows - 1, "group_at_risk"), (rows - 2 - n_risk, "group_entry")):
            ax.text(0.005, at, chart_text(key, lang), transform=ax.get_yaxis_transform(), va="center",
                    fontsize=8.5, color="#333333", gid="group-heading")
        ax.axhline(rows - 1.5 - n_risk, color="#777777", linewidth=0.8)
    # names by 禁則 in at most two lines of 3.2 in: a long official name does not squeeze the bars away
    labels = []
    for sid, mn in zip(d["system_id"], d["holds_my_number"]):
        lines = wrap_text(names.get(sid, sid), 3.0, 10, lang, max_lines=2)
        labels.append("\n".join(lines[:-1] + [lines[-1] + " ●" if mn else lines[-1]]))  # ● ends the last line
    ax.set_yticks(y, labels, linespacing=1.0)
    # What changed, in words, in a column right of the plot (not over the bars): the change of probability,
    # or the new entry point / zone crossings of a path that changed at the same probability. Wrapped by
    # measure with 禁則 (a name such as 「委託先保守端末（庁内）」 never leaves 「）」 at the head of a line).
    for yi, row in zip(y, d.to_dict("records")):
        b, a = row["exposure_before"], row["exposure_after"]
        if a > 0 and b > 0 and not math.isclose(a, b, rel_tol=1e-9):
            text = f"{format_percent(b)} → {format_percent(a)}（×{a / b:.2g}）" if ja else \
                f"{format_percent(b)} → {format_percent(a)} (×{a / b:.2g})"
        elif b == 0 and a > 0:
            text = f"新たに到達（{format_percent(a)}）" if ja else f"newly reached ({format_percent(a)})"
        elif a == 0 and b > 0:
            text = "到達しなくなる" if ja else "no longer reached"
        elif row["change"] in ("path_changed", "zone_crossings_changed"):
            text = _path_note(row, names, lang)
        else:
            continue
        ax.text(1.02, yi, "\n".join(wrap_text(text, _NOTE_WIDTH, 7.5, lang, max_lines=3)),
                transform=ax.get_yaxis_transform(), va="center", fontsize=7.5, linespacing=1.1,
                gid=f"delta-{row['system_id']}")
    ax.set_xlabel(_exposure_label(lang, scale))
    ax.set_title(_title(comparison, lang, "システムごとの曝露の変化（● 特定個人情報ファイルを保有）",
                        "Exposure per system, before and after (● holds a My Number file)", title), fontsize=11)
    ax.grid(axis="x", which="major", color="#dddddd")
    ax.set_axisbelow(True)
    _place(fig, ax, top_in=0.7, bottom_in=1.05, right_in=2.9)
    # the legend at the foot of the page, left, so that it covers no bar (the footer is at the right)
    fig.legend(*ax.get_legend_handles_labels(), loc="lower left", bbox_to_anchor=(0.01, 0.0), ncol=2, fontsize=8,
               frameon=False)
    _footer(fig, comparison, lang)
    return fig


def _place(fig: Figure, ax, top_in: float, bottom_in: float, right_in: float) -> None:
    """Place the axes by measure (inches): the y tick labels (names) fit at the left, ``right_in`` is kept free.

    tight_layout would also make room for the notes written right of the axes, shrinking the bars to a
    sliver; here the notes get a fixed column and the names exactly their width.
    """
    renderer = fig.canvas.get_renderer()
    labels = [t.get_window_extent(renderer).width for t in ax.get_yticklabels() if t.get_text()]
    w, h = fig.get_size_inches()
    left_in = (max(labels, default=0.0) / fig.dpi) + 0.45  # the labels, the tick pad and a margin
    fig.subplots_adjust(left=left_in / w, right=1 - right_in / w, top=1 - top_in / h, bottom=bottom_in / h)


def coverage_delta_figure(comparison: Comparison, lang: str = "ja", title: str | None = None) -> Figure:
    """Coverage of each stage (covered pairs / pairs) before and after, as paired bars.

    Parameters
    ----------
    comparison
        The result of :func:`~pia_analysis.whatif.compare.compare`.
    lang
        ``ja`` or ``en``.
    title
        A second title line (default: the comparison's ``label_after``).

    Returns
    -------
    matplotlib.figure.Figure
        A pyplot figure (close it when done) with two bars per stage and the change written above them.

    Examples
    --------
    >>> from pia_analysis.charts.delta import coverage_delta_figure
    >>> import matplotlib.pyplot as plt
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.whatif.compare import compare
    >>> m = load_model(bundled_model_path())
    >>> fig = coverage_delta_figure(compare(m, m), lang="en")
    >>> len(fig.axes[0].patches)
    12
    >>> plt.close(fig)
    """
    use_japanese_fonts()
    ja = lang != "en"
    d = comparison.coverage_delta
    x = np.arange(len(d))
    w = 0.38
    fig, ax = plt.subplots(figsize=(10, 5))
    before = d["coverage_before"].fillna(0).to_numpy() * 100
    after = d["coverage_after"].fillna(0).to_numpy() * 100
    label_before, label_after = _legend_labels(lang)
    ax.bar(x - w / 2, before, width=w, color=_BEFORE, label=label_before)
    ax.bar(x + w / 2, after, width=w, color=_AFTER, label=label_after)
    declared = {}  # stage -> the declaration that puts it out of scope (either model's; 委託しない …)
    for table in (comparison.coverage_before, comparison.coverage_after):
        if "declared" in table:
            declared.update({st: str(w) for st, w in zip(table["stage"], table["declared"])
                             if isinstance(w, str) and w.strip() and st not in declared})
    for xi, row in zip(x, d.itertuples(index=False)):
        if math.isnan(row.coverage_delta):
            # 対象外 with its reason (a declaration, or no element of the model in the stage), never nan
            words = declaration_label(declared.get(row.stage, ""), lang)
            text = chart_text("declared_out", lang, words=words) if words else chart_text("out_of_scope", lang)
            text = "\n".join(wrap_text(text, 1.3, 8, lang, max_lines=3))
        elif abs(row.coverage_delta) > 1e-12:
            points = f"{row.coverage_delta * 100:+.1f}".replace("-", "−")
            text = f"{points}ポイント" if ja else f"{points} points"
        else:
            text = "変化なし" if ja else "no change"
        top = max(before[xi], after[xi])
        ax.text(xi, top + 2, text, ha="center", va="bottom", fontsize=8.5, linespacing=1.1, gid=f"change-{row.stage}")
        ax.text(xi + w / 2, 1, f"{row.covered_after}/{row.pairs_after}", ha="center", fontsize=7, color="white")
    # Official short stage names can be long (情報提供ネットワークシステムとの接続): wrapped by measure under
    # the bars, with 禁則.
    names = [stage_name(s, lang) for s in d["stage"]]
    ax.set_xticks(x, ["\n".join(wrap_text(n, 1.35, 9, lang)) for n in names], fontsize=9, linespacing=1.05)
    ax.set_ylim(0, 118)
    ax.set_yticks([0, 20, 40, 60, 80, 100])
    ax.set_ylabel("対策の網羅率（実施済みの対策があるリスク×要素の組の割合、%）" if ja
                  else "Coverage (risk × element pairs with an implemented control, %)", fontsize=9)
    ax.set_title(_title(comparison, lang, "段階ごとの対策の網羅率の変化", "Coverage per stage, before and after",
                        title), fontsize=11)
    ax.grid(axis="y", color="#dddddd")
    ax.set_axisbelow(True)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    # the legend at the foot of the page, left, so that it covers no bar nor a change written above one
    fig.legend(*ax.get_legend_handles_labels(), loc="lower left", bbox_to_anchor=(0.01, 0.0), ncol=2, fontsize=8,
               frameon=False)
    _footer(fig, comparison, lang)
    return fig


def save_delta_charts(comparison: Comparison, out_dir: str | os.PathLike[str], lang: str = "ja",
                      title: str | None = None) -> list[Path]:
    """Write ``exposure_delta`` and ``coverage_delta`` as PNG (200 dpi) and SVG into ``out_dir``.

    Parameters
    ----------
    comparison
        The result of :func:`~pia_analysis.whatif.compare.compare`.
    out_dir
        The folder (created when missing).
    lang
        ``ja`` or ``en``.
    title
        A second title line of both charts (default: the comparison's ``label_after``).

    Returns
    -------
    list of pathlib.Path
        The written files, sorted.

    Examples
    --------
    >>> from pia_analysis.charts.delta import save_delta_charts
    >>> import tempfile
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.whatif.compare import compare
    >>> m = load_model(bundled_model_path())
    >>> [p.name for p in save_delta_charts(compare(m, m), tempfile.mkdtemp())]
    ['coverage_delta.png', 'coverage_delta.svg', 'exposure_delta.png', 'exposure_delta.svg']
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, make in (("exposure_delta", exposure_delta_figure), ("coverage_delta", coverage_delta_figure)):
        fig = make(comparison, lang=lang, title=title)
        try:
            written += list(save_figure(fig, out / name, dpi=200))  # byte-identical PNG + SVG
        finally:
            plt.close(fig)
    return sorted(written)


def write_delta_pack(comparison: Comparison, out_dir: str | os.PathLike[str], lang: str = "ja",
                     title: str | None = None, extra_files: dict[str, str] | None = None) -> Path:
    """Write the delta charts (and ``extra_files``: name → text) into ``out_dir``, whole or not at all.

    The files are written into a temporary directory beside ``out_dir`` that replaces it only when
    complete, with a ``manifest.json``; ``out_dir`` must be missing, empty or an earlier pack
    (:func:`pia_analysis.util.files.write_pack`).

    Parameters
    ----------
    comparison
        The result of :func:`~pia_analysis.whatif.compare.compare`.
    out_dir
        The pack's folder.
    lang
        ``ja`` or ``en``.
    title
        A second title line of both charts (default: the comparison's ``label_after``).
    extra_files
        More files of the pack: name → text (UTF-8).

    Returns
    -------
    pathlib.Path
        ``out_dir``.

    Raises
    ------
    pia_analysis.util.files.OutputRefused
        When ``out_dir`` holds anything but an earlier pack.

    Examples
    --------
    >>> from pia_analysis.charts.delta import write_delta_pack
    >>> import tempfile, pathlib
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.whatif.compare import compare
    >>> m = load_model(bundled_model_path())
    >>> out = write_delta_pack(compare(m, m), pathlib.Path(tempfile.mkdtemp()) / "delta", extra_files={"a.txt": "x"})
    >>> sorted(p.name for p in out.iterdir())[:2]
    ['a.txt', 'coverage_delta.png']
    """
    return write_pack(Path(out_dir), lambda work: build_delta_files(comparison, work, lang, title, extra_files))


def build_delta_files(comparison: Comparison, folder: str | os.PathLike[str], lang: str = "ja",
                      title: str | None = None, extra_files: dict[str, str] | None = None) -> Path:
    """Write the delta charts and ``extra_files`` into ``folder`` (created; part of a pack being built).

    :func:`write_delta_pack` calls it inside :func:`pia_analysis.util.files.write_pack`; ``scenario
    --report`` calls it on the ``delta`` folder of the briefing pack being built.

    Parameters
    ----------
    comparison
        The result of :func:`~pia_analysis.whatif.compare.compare`.
    folder
        Where to write (created when missing).
    lang
        ``ja`` or ``en``.
    title
        A second title line of both charts (default: the comparison's ``label_after``).
    extra_files
        More files: name → text (UTF-8).

    Returns
    -------
    pathlib.Path
        ``folder``.

    Examples
    --------
    >>> from pia_analysis.charts.delta import build_delta_files
    >>> import tempfile
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.whatif.compare import compare
    >>> m = load_model(bundled_model_path())
    >>> folder = build_delta_files(compare(m, m), tempfile.mkdtemp(), extra_files={"note.txt": "x"})
    >>> sorted(p.name for p in folder.iterdir())[-2:]
    ['exposure_delta.svg', 'note.txt']
    """
    folder = Path(folder)
    save_delta_charts(comparison, folder, lang=lang, title=title)
    for name, text in sorted((extra_files or {}).items()):
        (folder / name).write_text(text, encoding="utf-8")
    return folder
