"""Charts of a :class:`~pia_analysis.whatif.compare.Comparison`: what a scenario (or a new version) changes.

* :func:`exposure_delta_figure` — exposure of each system before and after (log scale: exposures range
  over five orders of magnitude), My Number holders marked;
* :func:`coverage_delta_figure` — coverage of each of the six stages before and after;
* :func:`save_delta_charts` — both, as PNG (200 dpi) and SVG, byte-identical for the same comparison.

Titles and labels are Japanese (``lang="ja"``) or English; the footer names the model and its assessment
date (never today's date, so that the files do not change from one day to the next).
"""

from __future__ import annotations

__all__ = ["build_delta_files", "coverage_delta_figure", "exposure_delta_figure", "save_delta_charts",
           "write_delta_pack"]

import math
import os
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from .. import catalog
from .style import OKABE_ITO, save_figure, use_japanese_fonts
from ..whatif.compare import Comparison
from ..util.files import write_pack


_BEFORE, _AFTER = OKABE_ITO[8], OKABE_ITO[5]  # grey before, vermilion after
_FLOOR = 1e-7  # exposures below this (and 0) are drawn at the floor of the log axis


def _footer(fig: Figure, comparison: Comparison, lang: str) -> None:
    model = comparison.base
    text = (f"{model.title(lang)} · {model.meta['assessed_on'].isoformat()} · "
            f"{comparison.label_before} → {comparison.label_after}")
    fig.text(0.99, 0.01, text, ha="right", va="bottom", fontsize=7, color="#555555")


def _title(comparison: Comparison, lang: str, what_ja: str, what_en: str, title: str | None) -> str:
    head = what_en if lang == "en" else what_ja
    return f"{head}\n{title or comparison.label_after}"


def exposure_delta_figure(comparison: Comparison, lang: str = "ja", title: str | None = None,
                          only_changed: bool = False) -> Figure:
    """Exposure of each system before and after, as paired horizontal bars on a log scale.

    Parameters
    ----------
    comparison
        The result of :func:`~pia_analysis.whatif.compare.compare`.
    lang
        ``ja`` or ``en``.
    title
        A second title line (default: the comparison's ``label_after``, e.g. the scenario id).
    only_changed
        Draw only the systems whose exposure changed (default: every system reached in either model).

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
    >>> "JLIS_CENTRE" in labels, "STORE_KIOSK" in labels  # the kiosk itself is unchanged
    (True, False)
    >>> import matplotlib.pyplot as plt
    >>> plt.close(fig)
    """
    use_japanese_fonts()
    ja = lang != "en"
    d = comparison.changed_exposure() if only_changed else comparison.exposure_delta
    d = d.loc[(d["exposure_before"] > 0) | (d["exposure_after"] > 0)]
    # Highest exposure (after) at the top; ties by id so the order is the same on every run.
    d = d.assign(_k=-d[["exposure_before", "exposure_after"]].max(axis=1))
    d = d.sort_values(["_k", "system_id"], kind="stable")
    n = len(d)
    fig, ax = plt.subplots(figsize=(10, max(3.0, 0.38 * n + 1.6)))
    y = np.arange(n)[::-1]
    before = np.maximum(d["exposure_before"].to_numpy(), _FLOOR)
    after = np.maximum(d["exposure_after"].to_numpy(), _FLOOR)
    h = 0.38
    ax.barh(y + h / 2, before, height=h, color=_BEFORE, label=(f"変更前（{comparison.label_before}）" if ja
                                                              else f"before ({comparison.label_before})"))
    ax.barh(y - h / 2, after, height=h, color=_AFTER, label=(f"変更後（{comparison.label_after}）" if ja
                                                            else f"after ({comparison.label_after})"))
    ax.set_xscale("log")
    ax.set_xlim(_FLOOR, 1.0)
    labels = [f"{sid} ●" if mn else sid for sid, mn in zip(d["system_id"], d["holds_my_number"])]
    ax.set_yticks(y, labels)
    for yi, b, a in zip(y, d["exposure_before"], d["exposure_after"]):
        if a > 0 and b > 0 and not math.isclose(a, b, rel_tol=1e-9):
            ax.text(max(a, b) * 1.15, yi, f"×{a / b:.2g}", va="center", fontsize=8)
        elif b == 0 and a > 0:
            ax.text(a * 1.15, yi, "新規" if ja else "new", va="center", fontsize=8)
        elif a == 0 and b > 0:
            ax.text(b * 1.15, yi, "到達せず" if ja else "unreached", va="center", fontsize=8)
    ax.set_xlabel("曝露（最も起こりやすい攻撃経路の成功確率／年、対数目盛）" if ja
                  else "Exposure (success probability of the most likely attack path per year, log scale)")
    ax.set_title(_title(comparison, lang, "システムごとの曝露の変化（● 特定個人情報ファイルを保有）",
                        "Exposure per system, before and after (● holds a My Number file)", title), fontsize=11)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", which="major", color="#dddddd")
    ax.set_axisbelow(True)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    _footer(fig, comparison, lang)
    return fig


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
    ax.bar(x - w / 2, before, width=w, color=_BEFORE,
           label=f"変更前（{comparison.label_before}）" if ja else f"before ({comparison.label_before})")
    ax.bar(x + w / 2, after, width=w, color=_AFTER,
           label=f"変更後（{comparison.label_after}）" if ja else f"after ({comparison.label_after})")
    for xi, row in zip(x, d.itertuples(index=False)):
        if math.isnan(row.coverage_delta):
            text = "対象外" if ja else "n/a"
        else:
            text = f"{row.coverage_delta * 100:+.1f}pt" if abs(row.coverage_delta) > 1e-12 else "±0"
        top = max(before[xi], after[xi])
        ax.text(xi, top + 2, text, ha="center", fontsize=9)
        ax.text(xi + w / 2, 1, f"{row.covered_after}/{row.pairs_after}", ha="center", fontsize=7, color="white")
    # Official short stage names can be long (情報提供ネットワークシステムとの接続): wrap them under the bars.
    names = [catalog.stage_label(s, "ja" if ja else "en") for s in d["stage"]]
    ax.set_xticks(x, [textwrap.fill(n, 9 if ja else 16) for n in names], fontsize=9)
    ax.set_ylim(0, 110)
    ax.set_ylabel("カバー率（実施中の対策があるリスク×要素の割合、%）" if ja
                  else "Coverage (risk × element pairs with an implemented control, %)", fontsize=9)
    ax.set_title(_title(comparison, lang, "段階ごとのカバー率の変化", "Coverage per stage, before and after", title),
                 fontsize=11)
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(axis="y", color="#dddddd")
    ax.set_axisbelow(True)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
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
