"""Readings: the sentences the notebooks print under each result, computed from the results of any model.

A notebook's "reading" used to be a static Markdown cell written for the bundled model; run on another model
it stayed the same and became false. Each function here takes the results an analysis returned (and the
model, for names and file sizes) and words what they show, in Japanese (``lang="ja"``, the default: the
analysts' language) or English (``lang="en"``). Nothing in them is specific to one model: systems are named by
their name in the chosen language with the id in brackets, probabilities are percentages, records and people
whole numbers with thousands separators.

:func:`readable_table` is the display helper the notebooks show tables with: thousands separators, whole
records, percentages, lists joined, — (or 未評価 where told) for a missing value, whole cell texts and row numbers
1, 2, 3 … that do not skip.
"""

from __future__ import annotations

__all__ = ["blast_radius_reading", "exposure_reading", "findings_reading", "gaps_reading", "hardening_reading",
           "overview_reading", "paths_reading", "procedure_reading", "rating_check_reading", "readable_table",
           "schedule_reading", "simulation_reading", "stage_coverage_reading", "threshold_reading", "ReadableTable"]

import math
from collections.abc import Iterable, Sequence

import pandas as pd

from ..analysis.exposure import BlastRadius
from ..analysis.hardening import MinCut
from ..model.model import Model, require_model
from ..util.errors import InvalidArgumentError

_LANGS = ("ja", "en")


def _check_lang(lang: str) -> str:
    if lang not in _LANGS:
        raise InvalidArgumentError(f"lang: {lang!r} is not a language of the readings (use 'ja' or 'en')")
    return lang


def _pct(x: float) -> str:
    """A probability as a percentage with three significant digits, never in scientific notation."""
    value = float(x) * 100
    if value == 0:
        return "0 %"
    digits = max(0, 2 - math.floor(math.log10(abs(value))))
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} %"


def _int(n: float) -> str:
    return f"{int(round(float(n))):,}"


def _listing(items: Iterable[str], lang: str) -> str:
    """'A、B、C' in Japanese; 'A, B and C' in English; なし / none for an empty list."""
    items = [str(i) for i in items]
    if not items:
        return "なし" if lang == "ja" else "none"
    if lang == "ja":
        return "、".join(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _namer(model: Model, lang: str):
    """A function naming a system (or zone, file) by its name in ``lang`` with its id in brackets."""
    names: dict[str, str] = {}
    for table, key in ((model.zones, "zone_id"), (model.files, "file_id"), (model.systems, "system_id")):
        column = "name_ja" if lang == "ja" else "name_en"
        for row in table.itertuples(index=False):
            name = getattr(row, column) or getattr(row, "name_ja")
            names[getattr(row, key)] = str(name)

    def name(element_id: str) -> str:
        shown = names.get(element_id)
        if shown is None:
            return str(element_id)
        return f"{shown}（{element_id}）" if lang == "ja" else f"{shown} ({element_id})"
    return name


def _arrow(path: Sequence[str], name) -> str:
    return " → ".join(name(p) for p in path)


def _largest_file(model: Model) -> dict[str, int]:
    """For every system, the records of the largest My Number file it holds (0 when it holds none)."""
    records = model.files.set_index("file_id")
    records = records.loc[records["contains_my_number"], "records"]
    return {row.system_id: max((int(records[f]) for f in row.holds if f in records.index), default=0)
            for row in model.systems.itertuples(index=False)}


def _text(lines: list[str]) -> str:
    return "\n".join(lines)


class ReadableTable:
    """A table formatted for reading, shown whole in a notebook (no cut cells, no elided rows).

    Parameters
    ----------
    frame : pandas.DataFrame
        The formatted table (every cell already a string), index numbered from 1.

    Examples
    --------
    >>> import pandas as pd
    >>> from pia_analysis.outputs.readings import readable_table
    >>> readable_table(pd.DataFrame({"records": [932000]})).frame
       records
    1  932,000
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def _options(self):
        return pd.option_context("display.max_colwidth", None, "display.max_rows", None,
                                 "display.max_columns", None, "display.width", 10_000)

    def _repr_html_(self) -> str:
        with self._options():
            return self.frame.to_html()

    def __repr__(self) -> str:
        """The whole table as text (no cut cells, no elided rows)."""
        with self._options():
            return repr(self.frame)


def readable_table(frame: pd.DataFrame, *, lang: str = "ja", percent: Iterable[str] = (),
                   digits: int = 3, missing: str = "—") -> ReadableTable:
    """Format a result table for reading in a notebook.

    Whole numbers (records, people, counts) get thousands separators and no decimals (``23,300``, not
    ``23300.000``), and columns of records or population are rounded to whole numbers; the columns named in
    ``percent`` become percentages; other numbers keep ``digits`` significant digits without scientific
    notation; lists are joined (paths with → , others with 、 or ,);
    ``True``/``False`` become ○/× (yes/no); a missing value is ``missing`` (— unless the table says what a
    gap means, e.g. 未評価 for a rating column). Rows are numbered 1, 2, 3 …
    whatever the frame's index was, and cells are never cut.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any result table.
    lang : {"ja", "en"}, default "ja"
        The language of the words put in cells (未評価, ○/×).
    percent : iterable of str, default ()
        Columns holding probabilities or shares (0–1) to show as percentages.
    digits : int, default 3
        Significant digits of other non-whole numbers.
    missing : str, default "—"
        The text of a missing value (never ``nan`` or ``None``): 未評価 where a rating is missing, say.

    Returns
    -------
    ReadableTable
        The formatted table; its ``frame`` attribute is a DataFrame of strings.

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is not "ja" or "en", or a ``percent`` column is not in the frame.

    Examples
    --------
    >>> import pandas as pd
    >>> from pia_analysis.outputs.readings import readable_table
    >>> table = pd.DataFrame({"path": [["A", "B"]], "records_at_stake": [23300.0], "exposure": [0.025],
    ...                       "holds_my_number": [True]}, index=[7])
    >>> readable_table(table, percent=["exposure"]).frame
        path records_at_stake exposure holds_my_number
    1  A → B           23,300    2.5 %               ○
    """
    _check_lang(lang)
    percent = list(percent)
    # Records and people are whole numbers whatever the computation gave (an expected value of 582.5 records
    # is shown as 582 …, never with decimals).
    whole = {str(c) for c in frame.columns if "records" in str(c) or "population" in str(c)}
    absent = [c for c in percent if c not in frame.columns]
    if absent:
        raise InvalidArgumentError(f"percent: no column {_listing(absent, 'en')} in the table")
    yes, no = ("○", "×") if lang == "ja" else ("yes", "no")
    sep = "、" if lang == "ja" else ", "

    def cell(value, column: str) -> str:
        if isinstance(value, (list, tuple)):
            joiner = " → " if column == "path" or column.endswith("_path") else sep
            return joiner.join(str(v) for v in value)
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
            return missing
        if isinstance(value, bool) or type(value).__name__ == "bool_":
            return yes if value else no
        if isinstance(value, (int, float)) or type(value).__module__ == "numpy":
            number = float(value)
            if column in percent:
                return _pct(number)
            if str(column) in whole or abs(number - round(number)) < 1e-9 * max(1.0, abs(number)):
                return _int(number)
            text = f"{number:.{digits}g}"
            if "e" in text:
                text = f"{number:.{digits + 6}f}".rstrip("0").rstrip(".")
            return text
        return str(value)

    out = pd.DataFrame({c: [cell(v, str(c)) for v in frame[c]] for c in frame.columns}, columns=frame.columns)
    out.index = range(1, len(out) + 1)
    return ReadableTable(out)


def overview_reading(model: Model, *, lang: str = "ja") -> str:
    """What the model describes: organisation, affairs, size, My Number files and entry points.

    Parameters
    ----------
    model : pia_analysis.Model
        A loaded model.
    lang : {"ja", "en"}, default "ja"
        The language of the reading.

    Returns
    -------
    str
        A few lines of text, computed from the model.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model`.
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is not "ja" or "en".

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model
    >>> from pia_analysis.outputs.readings import overview_reading
    >>> print(overview_reading(load_model(bundled_model_path()), lang="en").splitlines()[0])  # doctest: +ELLIPSIS
    Model: Kitakyushu City resident register affairs, full assessment (re-run, FY2021); organisation 北九州市...
    """
    require_model(model, "overview_reading")
    _check_lang(lang)
    name = _namer(model, lang)
    meta = model.meta
    counts = model.summary()
    mn = model.files.loc[model.files["contains_my_number"]]
    entries = model.systems.loc[model.systems["entry_likelihood"].fillna(0) > 0]
    population = meta.get("target_population")
    zone_counts = model.systems.groupby("zone_id").size()
    biggest = zone_counts.idxmax() if len(zone_counts) else None
    if lang == "ja":
        lines = [f"モデル: {meta.get('title_ja') or meta.get('id')}（団体: {meta.get('organisation', '記載なし')}、"
                 f"事務: {meta.get('affairs', '記載なし')}）。",
                 f"ゾーン {counts['zones']} 、システム {counts['systems']} 、データの流れ {counts['flows']} 、"
                 f"対策 {counts['controls']} 件。",
                 "特定個人情報ファイル（個人番号を含む）: " + _listing(
                     (f"{name(f.file_id)} {_int(f.records)} 件" for f in mn.itertuples()), lang) + "。",
                 "侵入口（entry_likelihood > 0）: " + _listing(
                     (f"{name(s.system_id)} 年 {_pct(s.entry_likelihood)}" for s in entries.itertuples()), lang) + "。"]
        if population is not None:
            lines.append(f"評価の対象人数（target_population）: {_int(population)} 人。")
        if biggest is not None:
            lines.append(f"システムが最も多いゾーン: {name(biggest)}（{int(zone_counts[biggest])} システム）。")
    else:
        lines = [f"Model: {meta.get('title_en') or meta.get('id')}; "
                 f"organisation {meta.get('organisation', 'not given')}, affairs {meta.get('affairs', 'not given')}.",
                 f"{counts['zones']} zones, {counts['systems']} systems, {counts['flows']} data flows, "
                 f"{counts['controls']} controls.",
                 "Specific personal information files (with My Numbers): " + _listing(
                     (f"{name(f.file_id)}, {_int(f.records)} records" for f in mn.itertuples()), lang) + ".",
                 "Entry points (entry_likelihood > 0): " + _listing(
                     (f"{name(s.system_id)} {_pct(s.entry_likelihood)} a year" for s in entries.itertuples()),
                     lang) + "."]
        if population is not None:
            lines.append(f"People covered by the assessment (target_population): {_int(population)}.")
        if biggest is not None:
            lines.append(f"Zone with the most systems: {name(biggest)} ({int(zone_counts[biggest])} systems).")
    return _text(lines)


def exposure_reading(model: Model, ranking: pd.DataFrame, *, lang: str = "ja") -> str:
    """What the exposure ranking shows: the most exposed My Number holder, its path, what is at stake.

    Parameters
    ----------
    model : pia_analysis.Model
        The model the ranking was computed on.
    ranking : pandas.DataFrame
        The result of :func:`pia_analysis.analysis.exposure.node_exposure` for ``model``.
    lang : {"ja", "en"}, default "ja"
        The language of the reading.

    Returns
    -------
    str
        Lines of text computed from the ranking. What is at stake is the largest My Number file the system
        holds (the people whose records are there), stated beside the yearly probability, not their product.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model`.
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is not "ja" or "en".

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.exposure import node_exposure
    >>> from pia_analysis.outputs.readings import exposure_reading
    >>> model = load_model(bundled_model_path())
    >>> print(exposure_reading(model, node_exposure(model), lang="en").splitlines()[1])  # doctest: +ELLIPSIS
    Most exposed system holding My Numbers: Resident record system (JUKI_REC), 2.5 % a year, ...
    """
    require_model(model, "exposure_reading")
    _check_lang(lang)
    name = _namer(model, lang)
    largest = _largest_file(model)
    entry_points = [s for s in ranking["system_id"]
                    if float(model.systems.set_index("system_id").loc[s, "entry_likelihood"] or 0) > 0]
    holders = ranking.loc[ranking["holds_my_number"]]
    reached = holders.loc[holders["exposure"] > 0]
    lines: list[str] = []
    if lang == "ja":
        lines.append("侵入口: " + _listing([name(s) for s in entry_points], lang) + "。")
    else:
        lines.append("Entry points: " + _listing([name(s) for s in entry_points], lang) + ".")
    if reached.empty:
        lines.append("個人番号を保有するシステムに至る攻撃経路はありません。" if lang == "ja" else
                     "No attack path reaches a system holding My Numbers.")
        return _text(lines)
    top = reached.iloc[0]
    stake = largest.get(top.system_id, 0)
    starts = reached["entry_point"].value_counts()
    rest = reached.iloc[1:]
    through = rest.loc[rest["path"].map(lambda p: top.system_id in list(p)[:-1]), "system_id"].tolist()
    chokepoint = ranking.loc[ranking["betweenness"].idxmax()]
    if lang == "ja":
        lines += [
            f"個人番号を保有するシステムで最も到達されやすいもの: {name(top.system_id)}、年 {_pct(top.exposure)}、"
            f"経路 {_arrow(top.path, name)}。到達された場合に関わるのは最大のファイルの {_int(stake)} 件"
            f"（確率を掛けた期待値は {_int(top.records_at_stake)} 件）。",
            "個人番号を保有するシステム（到達されやすい順）: " + _listing(
                (f"{name(h.system_id)} {_pct(h.exposure)}" for h in reached.itertuples()), lang) + "。",
            "それらの最も確からしい経路の起点: " + _listing(
                (f"{name(s)}（{n}/{len(reached)}）" for s, n in starts.items()), lang) + "。",
            f"{name(top.system_id)} を経由して最も確からしく到達されるもの: "
            f"{len(rest)} のうち {len(through)}（{_listing(map(name, through), lang)}）。",
            f"媒介中心性（他のシステム間の最短経路が通る割合）が最も高いのは {name(chokepoint.system_id)}"
            f"（{chokepoint.betweenness:.3f}）。",
        ]
    else:
        lines += [
            f"Most exposed system holding My Numbers: {name(top.system_id)}, {_pct(top.exposure)} a year, path "
            f"{_arrow(top.path, name)}. If it is reached, its largest file puts {_int(stake)} records at stake "
            f"(the expected value, probability times records, is {_int(top.records_at_stake)}).",
            "Systems holding My Numbers, most exposed first: " + _listing(
                (f"{name(h.system_id)} {_pct(h.exposure)}" for h in reached.itertuples()), lang) + ".",
            "Their most likely paths start at: " + _listing(
                (f"{name(s)} ({n} of {len(reached)})" for s, n in starts.items()), lang) + ".",
            f"Reached most likely through {name(top.system_id)}: {len(through)} of the other {len(rest)} "
            f"({_listing(map(name, through), lang)}).",
            f"Highest betweenness (share of shortest routes between other systems passing through it): "
            f"{name(chokepoint.system_id)} ({chokepoint.betweenness:.3f}).",
        ]
    return _text(lines)


def paths_reading(model: Model, paths: pd.DataFrame, *, lang: str = "ja") -> str:
    """What the most likely paths to one system show: the best one, how much less likely the others are.

    Parameters
    ----------
    model : pia_analysis.Model
        The model the paths were computed on.
    paths : pandas.DataFrame
        The result of :func:`pia_analysis.analysis.exposure.attack_paths` (any ``k``).
    lang : {"ja", "en"}, default "ja"
        The language of the reading.

    Returns
    -------
    str
        One line per path, computed from the table.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model`.
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is not "ja" or "en".

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.exposure import attack_paths
    >>> from pia_analysis.outputs.readings import paths_reading
    >>> model = load_model(bundled_model_path())
    >>> print(paths_reading(model, attack_paths(model, "CS", k=2), lang="en").splitlines()[0])  # doctest: +ELLIPSIS
    Most likely path: Contractor maintenance terminal (on site) (VENDOR_TERM) → ... 1.25 % a year.
    """
    require_model(model, "paths_reading")
    _check_lang(lang)
    name = _namer(model, lang)
    if paths.empty:
        return "この対象に至る攻撃経路はありません。" if lang == "ja" else "No attack path reaches this system."
    best = paths.iloc[0]
    lines = [f"最も確からしい経路: {_arrow(best.path, name)}、年 {_pct(best.probability)}。" if lang == "ja" else
             f"Most likely path: {_arrow(best.path, name)}, {_pct(best.probability)} a year."]
    for r in paths.iloc[1:].itertuples():
        ratio = best.probability / r.probability if r.probability else float("inf")
        if lang == "ja":
            lines.append(f"  {r.rank} 位: {_arrow(r.path, name)}、{_pct(r.probability)}（最良の経路の 1/{ratio:.1f}）、"
                         f"ゾーンの境界を {r.zone_crossings} 回越える。")
        else:
            lines.append(f"  rank {r.rank}: {_arrow(r.path, name)}, {_pct(r.probability)} ({ratio:.1f} times less "
                         f"likely), {r.zone_crossings} zone crossing(s).")
    return _text(lines)


def hardening_reading(model: Model, cut: MinCut, candidates: pd.DataFrame, *, lang: str = "ja") -> str:
    """Where to harden: the flows of the minimum cut, and the flows whose blocking lowers exposure.

    Parameters
    ----------
    model : pia_analysis.Model
        The model the results were computed on.
    cut : pia_analysis.analysis.hardening.MinCut
        The result of :func:`pia_analysis.analysis.hardening.min_cut`.
    candidates : pandas.DataFrame
        The result of :func:`pia_analysis.analysis.hardening.hardening_candidates`.
    lang : {"ja", "en"}, default "ja"
        The language of the reading.

    Returns
    -------
    str
        Lines of text naming each flow as 「送り元 → 送り先」 with its id.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model`.
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is not "ja" or "en".

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.hardening import hardening_candidates, min_cut
    >>> from pia_analysis.outputs.readings import hardening_reading
    >>> model = load_model(bundled_model_path())
    >>> text = hardening_reading(model, min_cut(model), hardening_candidates(model), lang="en")
    >>> text.splitlines()[0][:40]
    'The minimum cut has 6 flows: F01 (Notify'
    """
    require_model(model, "hardening_reading")
    _check_lang(lang)
    name = _namer(model, lang)
    flows = model.flows.set_index("flow_id")

    def flow(fid: str) -> str:
        return f"{fid}（{name(flows.loc[fid, 'source'])} → {name(flows.loc[fid, 'target'])}）" if lang == "ja" else \
            f"{fid} ({name(flows.loc[fid, 'source'])} → {name(flows.loc[fid, 'target'])})"
    in_cut = candidates.loc[candidates["in_min_cut"]]
    paying = in_cut.loc[in_cut["exposure_drop_sum"] > 0]
    idle = in_cut.loc[in_cut["exposure_drop_sum"] == 0, "flow_id"]
    outside = candidates.loc[~candidates["in_min_cut"] & (candidates["exposure_drop_sum"] > 0)]
    if lang == "ja":
        lines = [f"最小カット（遮断すれば全ての侵入口が個人番号保有システムから切り離される流れ）は "
                 f"{len(cut.flows)} 本: " + _listing(map(flow, cut.flows), lang) + "。",
                 "自ら個人番号ファイルを保有し切り離せない侵入口: "
                 + _listing(map(name, cut.uncuttable_entry_points), lang) + "。",
                 "単独で遮断しても保有システムの曝露が下がるカットの流れ: " + _listing(
                     (f"{flow(h.flow_id)} 低下の合計 {_pct(h.exposure_drop_sum)}" for h in paying.itertuples()), lang)
                 + f"。単独では下がらないもの: {_listing(map(flow, idle), lang)}。",
                 "カットの外で遮断すると曝露が下がる流れ: " + _listing(
                     (f"{flow(h.flow_id)} {_pct(h.exposure_drop_sum)}" for h in outside.itertuples()), lang) + "。"]
    else:
        lines = [f"The minimum cut has {len(cut.flows)} flows: " + _listing(map(flow, cut.flows), lang) + ".",
                 "Entry points holding a My Number file themselves (cannot be cut off): "
                 + _listing(map(name, cut.uncuttable_entry_points), lang) + ".",
                 "Cut flows that lower the holders' exposure on their own: " + _listing(
                     (f"{flow(h.flow_id)}, drops summing to {_pct(h.exposure_drop_sum)}" for h in paying.itertuples()),
                     lang) + f"; with no drop on their own: {_listing(map(flow, idle), lang)}.",
                 "Flows outside the cut whose blocking lowers exposure: " + _listing(
                     (f"{flow(h.flow_id)} {_pct(h.exposure_drop_sum)}" for h in outside.itertuples()), lang) + "."]
    return _text(lines)


def blast_radius_reading(model: Model, radius: BlastRadius, *, lang: str = "ja") -> str:
    """What falls with one system: the systems it reaches and the My Number files at stake.

    Parameters
    ----------
    model : pia_analysis.Model
        The model the result was computed on.
    radius : pia_analysis.analysis.exposure.BlastRadius
        The result of :func:`pia_analysis.analysis.exposure.blast_radius`.
    lang : {"ja", "en"}, default "ja"
        The language of the reading.

    Returns
    -------
    str
        One line. The number of people is the largest file reached; the file sum counts the same people once
        per file.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model`.
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is not "ja" or "en".

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.exposure import blast_radius
    >>> from pia_analysis.outputs.readings import blast_radius_reading
    >>> model = load_model(bundled_model_path())
    >>> print(blast_radius_reading(model, blast_radius(model, "JUKI_REC"), lang="en"))  # doctest: +ELLIPSIS
    If Resident record system (JUKI_REC) falls it reaches every other system of the model (19); ...
    """
    require_model(model, "blast_radius_reading")
    _check_lang(lang)
    name = _namer(model, lang)
    reached = radius.systems["system_id"].tolist()[1:]
    files = radius.files.loc[radius.files["contains_my_number"], "file_id"].tolist()
    everything = len(radius.systems) == len(model.systems)
    if lang == "ja":
        where = f"モデルの他の全システム（{len(reached)}）" if everything else _listing(map(name, reached), lang)
        return (f"{name(radius.system_id)} が落ちた場合に到達されるもの: {where}。関わる個人番号ファイル: "
                f"{_listing(map(name, files), lang)}（最大のファイル {_int(radius.max_records)} 件、ファイルごとの合計 "
                f"{_int(radius.my_number_records)} 件）。")
    where = f"every other system of the model ({len(reached)})" if everything else _listing(map(name, reached), lang)
    return (f"If {name(radius.system_id)} falls it reaches {where}; My Number files at stake: "
            f"{_listing(map(name, files), lang)} (largest file {_int(radius.max_records)} records, "
            f"{_int(radius.my_number_records)} summed over the files).")


def simulation_reading(model: Model, ranking: pd.DataFrame, simulated: pd.DataFrame, *, lang: str = "ja") -> str:
    """The Monte Carlo estimate beside the single-path exposure: where they agree, where routes add up.

    Parameters
    ----------
    model : pia_analysis.Model
        The model the results were computed on.
    ranking : pandas.DataFrame
        The result of :func:`pia_analysis.analysis.exposure.node_exposure`.
    simulated : pandas.DataFrame
        The result of :func:`pia_analysis.analysis.simulation.simulate_compromise`.
    lang : {"ja", "en"}, default "ja"
        The language of the reading.

    Returns
    -------
    str
        Lines of text computed from the two tables.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model`.
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is not "ja" or "en".

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.exposure import node_exposure
    >>> from pia_analysis.analysis.simulation import simulate_compromise
    >>> from pia_analysis.outputs.readings import simulation_reading
    >>> model = load_model(bundled_model_path())
    >>> text = simulation_reading(model, node_exposure(model), simulate_compromise(model, trials=2000, seed=0),
    ...                           lang="en")
    >>> text.splitlines()[0]
    'Exposure at or below the upper end of the 95 % interval for 20 of 20 systems.'
    """
    require_model(model, "simulation_reading")
    _check_lang(lang)
    name = _namer(model, lang)
    side = ranking[["system_id", "exposure", "holds_my_number"]].merge(simulated, on="system_id")
    within = int((side["exposure"] <= side["ci_high"]).sum())
    single = side.loc[(side["exposure"] > 0) & (side["probability"] < 1.1 * side["exposure"]), "system_id"]
    holders = side.loc[side["holds_my_number"] & (side["exposure"] > 0)]
    lines = []
    if lang == "ja":
        lines.append(f"曝露（最も確からしい1経路）がシミュレーションの95 %区間の上限以下: "
                     f"{len(side)} のうち {within}。")
        lines.append("全経路の確率が最良経路の1.1倍未満（ほぼ1経路で決まる）: "
                     + _listing(map(name, single), lang) + "。")
    else:
        lines.append(f"Exposure at or below the upper end of the 95 % interval for {within} of {len(side)} systems.")
        lines.append("Any-path probability within 10 % of the best path: " + _listing(map(name, single), lang) + ".")
    if not holders.empty:
        top = holders.sort_values(["exposure", "system_id"], ascending=[False, True]).iloc[0]
        ratio = top.probability / top.exposure
        if lang == "ja":
            lines.append(f"{name(top.system_id)} はシミュレーションの {_pct(top.probability)} の年で侵害される"
                         f"（95 %区間 {_pct(top.ci_low)}〜{_pct(top.ci_high)}）。最良の1経路では {_pct(top.exposure)}、"
                         f"その {ratio:.2f} 倍。")
        else:
            lines.append(f"{name(top.system_id)} is compromised in {_pct(top.probability)} of the simulated years "
                         f"(95 % interval {_pct(top.ci_low)}–{_pct(top.ci_high)}) against {_pct(top.exposure)} for "
                         f"its best single path: {ratio:.2f} times as much.")
    return _text(lines)


#: The rating-check statuses in words (rating_check's ``status`` column).
_RATING_STATUS = {
    "ja": {"consistent": "網羅状況に裏付けられる", "overclaimed": "網羅状況に裏付けられない（過大）",
           "underclaimed": "網羅状況より低い（過小）", "unrated": "未評価", "out_of_scope": "対象外（範囲に要素なし）",
           "not_applicable": "対象外（宣言）"},
    "en": {"consistent": "borne out", "overclaimed": "not borne out (overclaimed)",
           "underclaimed": "below the coverage (underclaimed)", "unrated": "not rated",
           "out_of_scope": "out of scope (no element)", "not_applicable": "declared not applicable"},
}


def stage_coverage_reading(stages: pd.DataFrame, *, lang: str = "ja") -> str:
    """What the coverage of the six stages shows: each stage's ratio, the least covered, the gaps, the planned.

    Parameters
    ----------
    stages : pandas.DataFrame
        The result of :func:`pia_analysis.analysis.coverage.stage_coverage`.
    lang : {"ja", "en"}, default "ja"
        The language of the reading.

    Returns
    -------
    str
        Lines of text; a stage with nothing in scope or declared not applicable is 対象外 (out of scope), never
        a ratio.

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is not "ja" or "en".

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.coverage import stage_coverage
    >>> from pia_analysis.outputs.readings import stage_coverage_reading
    >>> stages = stage_coverage(load_model(bundled_model_path()))
    >>> print(stage_coverage_reading(stages, lang="en").splitlines()[1])
    Fully covered: outsource; least covered: use (60 %).
    """
    from .. import catalog

    _check_lang(lang)
    # Japanese: the form's short stage names (入手, 使用 …); English: the stage codes (acquire, use …).
    label = {s: catalog.stage_label(s, "ja") if lang == "ja" else str(s) for s in stages["stage"]}
    scoped = stages.loc[stages["coverage"].notna()]
    out = stages.loc[stages["coverage"].isna(), "stage"]

    def ratio(s) -> str:
        return _pct(s.coverage) if pd.notna(s.coverage) else ("対象外" if lang == "ja" else "out of scope")
    each = [f"{label[s.stage]} {ratio(s)}" for s in stages.itertuples()]
    rising = scoped.loc[scoped["coverage_if_planned"] > scoped["coverage"]]
    lines = []
    if lang == "ja":
        lines.append("段階ごとの網羅率: " + _listing(each, lang) + "。")
        if len(scoped):
            low = scoped.loc[scoped["coverage"].idxmin()]
            full = _listing((label[s] for s in scoped.loc[scoped["coverage"] == 1, "stage"]), lang)
            lines.append(f"完全に網羅: {full}。"
                         f"最も低い: {label[low.stage]}（{_pct(low.coverage)}）。")
        lines.append(f"組 {_int(stages['pairs'].sum())} のうち未対策 {_int(stages['gaps'].sum())}、"
                     f"計画中の対策だけのもの {_int(stages['planned'].sum())}。")
        lines.append("計画中の対策が実施されれば: " + _listing(
            (f"{label[s.stage]} {_pct(s.coverage)} → {_pct(s.coverage_if_planned)}" for s in rising.itertuples()),
            lang) + "。")
        if len(out):
            lines.append("範囲に要素がない、または対象外と宣言された段階: "
                         + _listing((label[s] for s in out), lang) + "。")
    else:
        lines.append("Coverage by stage: " + _listing(each, lang) + ".")
        if len(scoped):
            low = scoped.loc[scoped["coverage"].idxmin()]
            full = _listing((label[s] for s in scoped.loc[scoped["coverage"] == 1, "stage"]), lang)
            lines.append(f"Fully covered: {full}"
                         f"; least covered: {label[low.stage]} ({_pct(low.coverage)}).")
        lines.append(f"Of {_int(stages['pairs'].sum())} pairs, {_int(stages['gaps'].sum())} are gaps and "
                     f"{_int(stages['planned'].sum())} are covered only by a planned control.")
        lines.append("If the planned controls were implemented: " + _listing(
            (f"{label[s.stage]} {_pct(s.coverage)} → {_pct(s.coverage_if_planned)}" for s in rising.itertuples()),
            lang) + ".")
        if len(out):
            lines.append("Stages with nothing in scope or declared not applicable: "
                         + _listing((label[s] for s in out), lang) + ".")
    return _text(lines)


def gaps_reading(model: Model, pairs: pd.DataFrame, *, lang: str = "ja") -> str:
    """The uncovered (risk, element) pairs, grouped by who runs the element.

    Parameters
    ----------
    model : pia_analysis.Model
        The model the pairs were computed on.
    pairs : pandas.DataFrame
        The result of :func:`pia_analysis.analysis.coverage.coverage_pairs`.
    lang : {"ja", "en"}, default "ja"
        The language of the reading.

    Returns
    -------
    str
        One line per operator with gaps (a flow is run by the operators of its two ends), then the pairs
        covered only by a planned control.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model`.
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is not "ja" or "en".

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.coverage import coverage_pairs
    >>> from pia_analysis.outputs.readings import gaps_reading
    >>> model = load_model(bundled_model_path())
    >>> print(gaps_reading(model, coverage_pairs(model), lang="en").splitlines()[0])
    27 pairs are gaps; 2 are covered only by a planned control.
    """
    require_model(model, "gaps_reading")
    _check_lang(lang)
    name = _namer(model, lang)
    operators = model.systems.set_index("system_id")["operator"]
    flows = model.flows.set_index("flow_id")

    def run_by(element: str) -> str:
        if element in operators.index:
            return str(operators[element])
        if element in flows.index:
            ends = [operators.get(flows.loc[element, "source"]), operators.get(flows.loc[element, "target"])]
            return "/".join(dict.fromkeys(str(e) for e in ends))
        return "*"
    gaps = pairs.loc[pairs["status"] == "gap"].assign(run_by=lambda d: d["element"].map(run_by))
    planned = pairs.loc[pairs["status"] == "planned"]
    lines = [f"未対策の組 {len(gaps)}、計画中の対策だけの組 {len(planned)}。" if lang == "ja" else
             f"{len(gaps)} pairs are gaps; {len(planned)} are covered only by a planned control."]
    for who, part in gaps.groupby("run_by", sort=True):
        items = _listing((f"{name(e)}: {', '.join(grp['risk_id'])}" for e, grp in part.groupby("element", sort=True)),
                         lang)
        lines.append(f"運用者 {who} の要素の未対策: {items}。" if lang == "ja" else
                     f"Gaps on elements run by {who}: {items}.")
    if len(planned):
        items = _listing((f"{name(e)}: {', '.join(grp['risk_id'])}（{', '.join(sorted(set(grp['planned'].sum())))}）"
                          if lang == "ja" else
                          f"{name(e)}: {', '.join(grp['risk_id'])} ({', '.join(sorted(set(grp['planned'].sum())))})"
                          for e, grp in planned.groupby("element", sort=True)), lang)
        lines.append(f"計画中の対策だけ: {items}。" if lang == "ja" else f"Planned only: {items}.")
    return _text(lines)


def findings_reading(model: Model, found: pd.DataFrame, *, lang: str = "ja") -> str:
    """The open findings by rule, most severe first, with the elements they name.

    Parameters
    ----------
    model : pia_analysis.Model
        The model the findings were computed on.
    found : pandas.DataFrame
        The result of :func:`pia_analysis.analysis.findings.find_findings`.
    lang : {"ja", "en"}, default "ja"
        The language of the reading.

    Returns
    -------
    str
        One line per rule with open findings: its title, how many, the elements and their risk level.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model`.
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is not "ja" or "en".

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.findings import find_findings
    >>> from pia_analysis.outputs.readings import findings_reading
    >>> model = load_model(bundled_model_path())
    >>> print(findings_reading(model, find_findings(model), lang="en").splitlines()[0])  # doctest: +ELLIPSIS
    Open findings: 18 (risk level 4: 6, risk level 3: 5, risk level 2: 7).
    """
    require_model(model, "findings_reading")
    _check_lang(lang)
    name = _namer(model, lang)
    open_ = found.loc[found["status"] == "open"].sort_values(["risk_level", "rule_id"], ascending=[False, True],
                                                           kind="stable")
    levels = open_["risk_level"].value_counts().sort_index(ascending=False)
    if lang == "ja":
        head = (f"未解決の指摘: {len(open_)} 件（" + "、".join(f"リスクレベル {lv}: {n}" for lv, n in levels.items())
                + "）。")
    else:
        head = f"Open findings: {len(open_)} (" + ", ".join(f"risk level {lv}: {n}" for lv, n in levels.items()) + ")."
    if open_.empty:
        head = "未解決の指摘はありません。" if lang == "ja" else "No open finding."
    lines = [head]
    title = "title_ja" if lang == "ja" else "title_en"
    for _, grp in open_.groupby("rule_id", sort=False):
        items = _listing((f"{name(e)} {lv}" for e, lv in zip(grp["element"], grp["risk_level"])), lang)
        lines.append(f"・{grp[title].iloc[0]}（{len(grp)} 件）: {items}" if lang == "ja" else
                     f"- {grp[title].iloc[0]} ({len(grp)}): {items}")
    assumed = int(open_["assumed"].sum())
    lines.append(f"そのうち仮定に基づくもの: {assumed} 件。" if lang == "ja" else
                 f"Of these, {assumed} rest on an assumption.")
    return _text(lines)


def rating_check_reading(check: pd.DataFrame, *, lang: str = "ja") -> str:
    """What the self-rating check shows: how many ratings each status has, which are not borne out.

    Parameters
    ----------
    check : pandas.DataFrame
        The result of :func:`pia_analysis.analysis.coverage.rating_check`.
    lang : {"ja", "en"}, default "ja"
        The language of the reading.

    Returns
    -------
    str
        Lines of text; an item without a rating is 未評価 (not rated).

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is not "ja" or "en".

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.coverage import rating_check
    >>> from pia_analysis.outputs.readings import rating_check_reading
    >>> print(rating_check_reading(rating_check(load_model(bundled_model_path())), lang="en").splitlines()[0])
    25 rated items: 15 borne out and 10 not borne out (overclaimed).
    """
    _check_lang(lang)
    words = _RATING_STATUS[lang]
    counts = check["status"].value_counts()
    order = [s for s in _RATING_STATUS["en"] if s in counts.index]
    over = check.loc[check["status"] == "overclaimed"]
    under = check.loc[check["status"] == "underclaimed"]
    unrated = check.loc[check["status"] == "unrated", "risk_id"]
    if lang == "ja":
        lines = [f"評価の単位 {len(check)}: " + _listing((f"{words[s]} {counts[s]}" for s in order), lang) + "。"]
        if len(over):
            lines.append("十分とした評価のうち未対策の組があるもの: " + _listing(
                (f"{r.risk_id}（{r.rating}、未対策 {r.gaps}）" for r in over.itertuples()), lang) + "。")
        if len(under):
            lines.append("課題が残されているとしたが全ての組が網羅されているもの: "
                         + _listing(under["risk_id"], lang) + "。")
        if len(unrated):
            lines.append("未評価: " + _listing(unrated, lang) + "。")
    else:
        lines = [f"{len(check)} rated items: " + _listing((f"{counts[s]} {words[s]}" for s in order), lang) + "."]
        if len(over):
            lines.append("Rated as enough with gaps left: " + _listing(
                (f"{r.risk_id} ({r.rating}, {r.gaps} gaps)" for r in over.itertuples()), lang) + ".")
        if len(under):
            lines.append("Rated as leaving issues with every pair covered: " + _listing(under["risk_id"], lang) + ".")
        if len(unrated):
            lines.append("Not rated: " + _listing(unrated, lang) + ".")
    return _text(lines)


def threshold_reading(judgment, *, lang: str = "ja") -> str:
    """Which assessment the law requires, from the threshold judgment, in a sentence.

    Parameters
    ----------
    judgment : pia_analysis.ThresholdJudgment
        The result of :func:`pia_analysis.analysis.judgments.required_assessment` (or ``threshold_judgment``).
    lang : {"ja", "en"}, default "ja"
        The language of the reading.

    Returns
    -------
    str
        One line: the people in the file, the rule that decides, what it requires, and how sure the row is.

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is not "ja" or "en".

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.judgments import required_assessment
    >>> from pia_analysis.outputs.readings import threshold_reading
    >>> print(threshold_reading(required_assessment(load_model(bundled_model_path())), lang="en"))  # doctest: +ELLIPSIS
    The file covers 932,000 people; the rule 'population ≥ 300,000' requires the full assessment plus basic ...
    """
    _check_lang(lang)
    sure = {"confirmed": ("公開資料で確認済み", "confirmed"), "recalled": ("記憶に基づく（未確認）", "recalled")}
    mark = sure.get(judgment.confidence, (judgment.confidence, judgment.confidence))
    if lang == "ja":
        return (f"ファイルの対象は {_int(judgment.target_population)} 人。しきい値の規則「{judgment.rule}」により"
                f"必要な評価は {judgment.label_ja}。この行の確度: {mark[0]}。")
    return (f"The file covers {_int(judgment.target_population)} people; the rule '{judgment.rule}' requires the "
            f"{judgment.label_en}; that row of the threshold table is {mark[1]}.")


def schedule_reading(schedule, *, lang: str = "ja") -> str:
    """When the yearly review and the 5-year re-run fall due, judged on the schedule's date.

    Parameters
    ----------
    schedule : pia_analysis.ReviewSchedule
        The result of :func:`pia_analysis.analysis.judgments.review_schedule`.
    lang : {"ja", "en"}, default "ja"
        The language of the reading.

    Returns
    -------
    str
        Lines of text: the versions on record, the re-run and the yearly review.

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is not "ja" or "en".

    Examples
    --------
    >>> import datetime
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.judgments import review_schedule
    >>> from pia_analysis.outputs.readings import schedule_reading
    >>> schedule = review_schedule(load_model(bundled_model_path()), today=datetime.date(2026, 11, 28))
    >>> print(schedule_reading(schedule, lang="en").splitlines()[2])
    The 5-year re-run is due on 2026-12-20: on 2026-11-28 it is due in 22 days.
    """
    _check_lang(lang)
    s = schedule
    days = s.days_to_rerun
    if lang == "ja":
        lines = ["記録された版（古い順）: "
                 + _listing((f"{mid}（{day:%Y-%m-%d}）" for mid, day in s.history), lang) + "。"]
        years = s.longest_interval_years
        lines.append("前の版の記録はありません。" if years is None else
                     f"最も長い版の間隔: {years} 年（" + ("5年以内" if years <= 5 else "5年を超える") + "）。")
        lines.append(f"5年以内の再実施の期限は {s.rerun_due:%Y-%m-%d}: {s.today:%Y-%m-%d} 時点で "
                     + (f"{-days} 日超過。" if s.rerun_overdue else f"残り {days} 日。"))
        lines.append(f"年1回の見直しの期限 {s.yearly_review_due:%Y-%m-%d}: "
                     + ("超過（この版の後の見直しが記録されていない）" if s.yearly_review_overdue else "未到来")
                     + f"。次の応当日 {s.next_yearly_review:%Y-%m-%d}。")
    else:
        lines = ["Versions on record, oldest first: "
                 + _listing((f"{mid} ({day:%Y-%m-%d})" for mid, day in s.history), lang) + "."]
        lines.append(f"Longest interval between two versions: {s.longest_interval_years} years, "
                     + ("within" if s.longest_interval_years <= 5 else "beyond") + " five years."
                     if s.longest_interval_years is not None else "No earlier version is recorded.")
        lines.append(f"The 5-year re-run is due on {s.rerun_due:%Y-%m-%d}: on {s.today:%Y-%m-%d} it is "
                     + (f"{-days} days overdue." if s.rerun_overdue else f"due in {days} days."))
        lines.append(f"Yearly review: due {s.yearly_review_due:%Y-%m-%d}, "
                     + ("overdue (no review after this version is recorded)" if s.yearly_review_overdue
                        else "not yet due") + f"; next anniversary {s.next_yearly_review:%Y-%m-%d}.")
    if s.counted_from_key != "published_on":
        # The library's note is English; the Japanese reading says the same from the key it was counted from.
        lines.append(f"注: 公表日（procedure.published_on）が記録されていないため、{s.counted_from_key}"
                     f"（{s.counted_from:%Y-%m-%d}）から数えている。" if lang == "ja" else f"Note: {s.note}.")
    return _text(lines)


def procedure_reading(procedure: pd.DataFrame, *, lang: str = "ja") -> str:
    """The questions the procedure checks raise for the committee, worded by the library.

    Parameters
    ----------
    procedure : pandas.DataFrame
        The result of :func:`pia_analysis.analysis.procedure.procedure_check`.
    lang : {"ja", "en"}, default "ja"
        The language of the reading.

    Returns
    -------
    str
        A count, then one line per flagged or missing check with its question and rule.

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is not "ja" or "en".

    Examples
    --------
    >>> import datetime
    >>> from pia_analysis import load_model, bundled_model_path, procedure_check
    >>> from pia_analysis.outputs.readings import procedure_reading
    >>> checks = procedure_check(load_model(bundled_model_path()), today=datetime.date(2026, 11, 28))
    >>> print(procedure_reading(checks, lang="en").splitlines()[0])
    2 of 9 procedure checks raise a question:
    """
    _check_lang(lang)
    flagged = procedure.loc[procedure["status"].isin(["flag", "missing"])]
    if lang == "ja":
        lines = [f"手続の確認 {len(procedure)} 件のうち、問いが生じるもの {len(flagged)} 件"
                 + ("：" if len(flagged) else "。")]
        lines += [f"・{r.question_ja}（{r.rule_ja or r.rule}）" for r in flagged.itertuples()]
    else:
        lines = [f"{len(flagged)} of {len(procedure)} procedure checks raise a question"
                 + (":" if len(flagged) else ".")]
        lines += [f"- {r.question_en} ({r.rule})" for r in flagged.itertuples()]
    return _text(lines)
