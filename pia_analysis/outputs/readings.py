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

__all__ = ["assessment_change_reading", "blast_radius_reading", "comparison_reading", "compromise_reading",
           "entry_points", "example_measure", "exposure_reading", "fix_first_reading", "loss_exceedance_reading",
           "findings_reading",
           "gaps_reading",
           "hardening_reading", "history_reading", "overview_reading", "paths_reading", "procedure_reading",
           "rating_check_reading", "rating_counts", "readable_table", "schedule_reading", "simulation_reading",
           "stage_coverage_reading", "system_view_reading", "threshold_reading", "version_diff_reading",
           "ReadableTable"]

import math
from collections.abc import Iterable, Sequence

import pandas as pd

from ..analysis.exposure import BlastRadius
from ..analysis.hardening import MinCut
from ..catalog import stage_label
from ..model.model import Model, require_model
from ..model.organisation import organisation_kind
from ..model.schema import TABLE_BY_NAME
from ..util.errors import InvalidArgumentError
from ..util.words import measure_word, operator_word
from ..whatif.versions import change_rules

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
    """A function naming a system, zone or file by its name in ``lang`` with its id in brackets; a flow by its ends."""
    names: dict[str, str] = {}
    for table, key in ((model.zones, "zone_id"), (model.files, "file_id"), (model.systems, "system_id")):
        column = "name_ja" if lang == "ja" else "name_en"
        for row in table.itertuples(index=False):
            name = getattr(row, column) or getattr(row, "name_ja")
            names[getattr(row, key)] = str(name)

    # a flow by its two ends (「送り元 → 送り先」), after its id: an id alone says nothing to a reader
    ends = {str(f): f"{names.get(src, src)} → {names.get(dst, dst)}"
            for f, src, dst in zip(model.flows["flow_id"], model.flows["source"], model.flows["target"])}

    def name(element_id: str) -> str:
        if element_id in ends:
            return f"{element_id}（{ends[element_id]}）" if lang == "ja" else f"{element_id} ({ends[element_id]})"
        shown = names.get(element_id)
        if shown is None:
            return str(element_id)
        return f"{shown}（{element_id}）" if lang == "ja" else f"{shown} ({element_id})"
    return name


def _arrow(path: Sequence[str], name) -> str:
    return " → ".join(name(p) for p in path)


def rating_counts(model: Model, *, lang: str = "ja") -> pd.DataFrame:
    """How many rated items carry each self-rating: every rated item counted once, the unrated ones too.

    Counts over the model's rated items (Section Ⅲ's risks, the 委託 block ``outsource`` and Section Ⅳ's
    ``self-check``, ``audit``, ``training``), not over its risk items: the 委託 block and Section Ⅳ have no
    risk id of their own, and a count joined on risk ids loses them. An item without a rating is 未評価, or
    対象外 with its reason when it is declared out or has nothing to assess; the counts add up to the rated
    items of the model.

    Parameters
    ----------
    model : pia_analysis.Model
        A loaded model.
    lang : {"ja", "en"}, default "ja"
        The language of the labels and column names.

    Returns
    -------
    pandas.DataFrame
        Columns ``評価, 件数`` (``rating, count``): the form's choices in the form's order (Section Ⅲ's, then
        Section Ⅳ's; a choice nobody picked is left out), then 未評価 and the 対象外 rows; ``件数`` int64.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model`.
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is not "ja" or "en".

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.outputs.readings import rating_counts
    >>> model = load_model(bundled_model_path())
    >>> int(rating_counts(model)["件数"].sum()) == len(model.rated_items)
    True
    """
    from ..analysis.coverage import rating_check
    from ..catalog import read_table
    from ..util.words import status_word

    require_model(model, "rating_counts")
    _check_lang(lang)
    ja = lang == "ja"
    check = rating_check(model)
    choices = read_table("choice_sets.csv")
    choices = choices.loc[choices["choice_set"].isin(["section3_rating", "section4_rating"])]
    english = dict(zip(choices["label_ja"], choices["label_en"]))
    order = list(dict.fromkeys(choices["label_ja"]))
    labels: list[str] = []
    for rating, status in zip(check["rating"], check["status"]):
        if isinstance(rating, str) and rating:
            labels.append(rating if ja else english.get(rating, rating))
        elif status in ("not_applicable", "out_of_scope"):
            labels.append(status_word(status, lang))
        else:
            labels.append("未評価" if ja else "not rated")
    counts = pd.Series(labels, dtype="object").value_counts()
    ranked = [c if ja else english.get(c, c) for c in order]
    rest = ["未評価" if ja else "not rated", status_word("not_applicable", lang), status_word("out_of_scope", lang)]
    keys = [k for k in ranked + rest if k in counts.index]
    keys += sorted(k for k in counts.index if k not in keys)  # a model's own choice word, last
    return pd.DataFrame({("評価" if ja else "rating"): keys,
                         ("件数" if ja else "count"): pd.Series([int(counts[k]) for k in keys], dtype="int64")})


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
        The chokepoint line is followed by the My Number holders the importance left out, if any.

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
    largest = model.my_number_people
    starts = entry_points(model, ranking)
    holders = ranking.loc[ranking["holds_my_number"]]
    reached = holders.loc[holders["exposure"] > 0]
    lines: list[str] = []
    if lang == "ja":
        lines.append("侵入口: " + _listing([name(s) for s in starts], lang) + "。")
    else:
        lines.append("Entry points: " + _listing([name(s) for s in starts], lang) + ".")
    if reached.empty:
        lines.append("個人番号を保有するシステムに至る攻撃経路はありません。" if lang == "ja" else
                     "No attack path reaches a system holding My Numbers.")
        return _text(lines)
    top = reached.iloc[0]
    stake = largest.get(top.system_id, 0)
    starts = reached["entry_point"].value_counts()
    rest = reached.iloc[1:]
    through = rest.loc[rest["path"].map(lambda p: top.system_id in list(p)[:-1]), "system_id"].tolist()
    # The chokepoint (要所) is the control whose full effectiveness would lower the expected My Number
    # records at stake most (issue 17: Birnbaum importance on the holders), no longer the system of highest
    # betweenness, which ignores probabilities; betweenness stays a column of node_exposure.
    from ..analysis.compromise import control_importance

    importance = control_importance(model)
    key = importance.loc[importance["records_fall"] > 0].head(1)
    left_out = _left_out(model, importance, "要所の計算", "the chokepoint", lang)
    controls = model.controls.set_index("control_id")

    def control_name(cid: str) -> str:
        label = controls.at[cid, "name_ja" if lang == "ja" else "name_en"]
        return f"{label}（{cid}）" if lang == "ja" else f"{label} ({cid})"
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
        ]
        if len(key):
            fall = _int(key.iloc[0]["records_fall"])
            lines.append(f"要所: {control_name(key.iloc[0]['control_id'])}。完全に効けば、"
                         f"危険にさらされる個人番号の期待件数が年 {fall} 件減る（対策の中で最大）。")
        lines += left_out
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
        ]
        if len(key):
            lines.append(f"Chokepoint: {control_name(key.iloc[0]['control_id'])}. Made fully effective, it would "
                         f"lower the expected My Number records at stake by {_int(key.iloc[0]['records_fall'])} a "
                         "year, the most of any control.")
        lines += left_out
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


def entry_points(model: Model, ranking: pd.DataFrame) -> list[str]:
    """The entry points (systems of ``entry_likelihood`` above 0) in the order of ``ranking``; empty when none.

    Parameters
    ----------
    model : pia_analysis.Model
        The model the ranking was computed on.
    ranking : pandas.DataFrame
        The result of :func:`pia_analysis.analysis.exposure.node_exposure` (most exposed first).

    Returns
    -------
    list of str
        System ids, most exposed first. A model may have none (nothing is exposed from outside): then the
        list is empty and :func:`blast_radius_reading` of ``None`` says so.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model`.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.analysis.exposure import node_exposure
    >>> from pia_analysis.outputs.readings import entry_points
    >>> model = load_model(bundled_model_path())
    >>> entry_points(model, node_exposure(model))[0]
    'STORE_KIOSK'
    """
    require_model(model, "entry_points")
    likelihood = model.systems.set_index("system_id")["entry_likelihood"]
    return [s for s in ranking["system_id"] if float(likelihood.get(s, 0) or 0) > 0]


def blast_radius_reading(model: Model, radius: BlastRadius | None, *, lang: str = "ja") -> str:
    """What falls with one system: the systems it reaches and the My Number files at stake.

    Parameters
    ----------
    model : pia_analysis.Model
        The model the result was computed on.
    radius : pia_analysis.analysis.exposure.BlastRadius or None
        The result of :func:`pia_analysis.analysis.exposure.blast_radius`, or ``None`` for "from an entry
        point" when the model has none (:func:`entry_points` empty).
    lang : {"ja", "en"}, default "ja"
        The language of the reading.

    Returns
    -------
    str
        One line. The number of people is the largest file reached; the file sum counts the same people once
        per file. With ``None``: that the model has no entry point, so no attack starts from outside.

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
    if radius is None:
        return ("このモデルには侵入口（侵入の起こりやすさが 0 より大きいシステム）がなく、"
                "外部から始まる攻撃はありません。" if lang == "ja" else
                "The model has no entry point (no system with an entry likelihood above 0): no attack starts from "
                "outside.")
    name = _namer(model, lang)
    reached = radius.systems["system_id"].tolist()[1:]
    files = radius.files.loc[radius.files["contains_my_number"], "file_id"].tolist()
    everything = len(radius.systems) == len(model.systems)
    if lang == "ja":
        where = f"モデルの他の全システム（{len(reached)}）" if everything else _listing(map(name, reached), lang)
        return (f"{name(radius.system_id)} が落ちた場合に到達されるもの: {where}。関わる個人番号ファイル: "
                f"{_listing(map(name, files), lang)}（最大のファイル {_int(radius.max_my_number_records)} 件、"
                "ファイルごとの合計 "
                f"{_int(radius.my_number_records)} 件）。")
    where = f"every other system of the model ({len(reached)})" if everything else _listing(map(name, reached), lang)
    return (f"If {name(radius.system_id)} falls it reaches {where}; My Number files at stake: "
            f"{_listing(map(name, files), lang)} (largest file {_int(radius.max_my_number_records)} records, "
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


def compromise_reading(model: Model, ranking: pd.DataFrame, compromise: pd.DataFrame, *, lang: str = "ja") -> str:
    """The probability of compromise by any path beside the most likely path, each said as the measure it is.

    Parameters
    ----------
    model : pia_analysis.Model
        The model the results were computed on.
    ranking : pandas.DataFrame
        The result of :func:`pia_analysis.analysis.exposure.node_exposure` (the most likely path).
    compromise : pandas.DataFrame
        The result of :func:`pia_analysis.analysis.compromise.compromise_probability`.
    lang : {"ja", "en"}, default "ja"
        The language of the reading.

    Returns
    -------
    str
        Lines of text computed from the two tables: how many values are exact, sampled or bounded; whether
        every path value is below the any-path value (it is a lower bound); the most exposed My Number
        holder's two figures.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model`.
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is not "ja" or "en".

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, compromise_probability, load_model, node_exposure
    >>> from pia_analysis.outputs.readings import compromise_reading
    >>> model = load_model(bundled_model_path())
    >>> text = compromise_reading(model, node_exposure(model), compromise_probability(model), lang="en")
    >>> text.splitlines()[0]
    'Probability of compromise by any path: exact probability for 20 of 20 systems.'
    """
    require_model(model, "compromise_reading")
    _check_lang(lang)
    ja = lang == "ja"
    name = _namer(model, lang)
    side = ranking[["system_id", "exposure", "holds_my_number"]].merge(compromise, on="system_id")
    counts = side["method"].value_counts()
    parts = [f"{measure_word(m, lang)} {int(counts[m])}" if ja else f"{measure_word(m, lang)} for {int(counts[m])}"
             for m in ("exact", "sampled", "bounds") if m in counts.index]
    # the path is a lower bound: it can only be checked against the high end (the value itself when exact)
    below = int((side["exposure"] <= side["high"] + 1e-12).sum())
    lines = []
    if ja:
        lines.append(f"いずれかの経路で侵害される確率: {len(side)} システムのうち " + "、".join(parts) + "。")
        lines.append(f"最も起こりやすい経路の確率（下限）がその確率以下: {len(side)} のうち {below}。")
    else:
        lines.append("Probability of compromise by any path: " + _listing(parts, lang) + f" of {len(side)} systems.")
        lines.append(f"Most likely path (a lower bound) at or below it for {below} of {len(side)} systems.")
    holders = side.loc[side["holds_my_number"].astype(bool) & (side["exposure"] > 0)]
    if not holders.empty:
        top = holders.sort_values(["exposure", "system_id"], ascending=[False, True]).iloc[0]
        if top.method == "bounds":
            value = f"{_pct(top.low)}〜{_pct(top.high)}" if ja else f"{_pct(top.low)}–{_pct(top.high)}"
        elif top.method == "sampled":
            value = (f"{_pct(top.probability)}（95 %区間 {_pct(top.low)}〜{_pct(top.high)}）" if ja else
                     f"{_pct(top.probability)} (95 % interval {_pct(top.low)}–{_pct(top.high)})")
        else:
            value = _pct(top.probability)
        basis = float(top.probability) if top.method != "bounds" else float(top.low)
        ratio = basis / float(top.exposure)
        if ja:
            lines.append(f"{name(top.system_id)}: 最も起こりやすい経路で年 {_pct(top.exposure)}、いずれかの経路で"
                         f"年 {value}（{measure_word(str(top.method), lang)}）。経路を合わせると {ratio:.2f} 倍"
                         + ("以上" if top.method == "bounds" else "") + "。")
        else:
            lines.append(f"{name(top.system_id)}: {_pct(top.exposure)} a year by its most likely path, {value} by any "
                         f"path ({measure_word(str(top.method), lang)}): {ratio:.2f} times as much"
                         + (" at least" if top.method == "bounds" else "") + ".")
    return _text(lines)


def _left_out(model: Model, result: pd.DataFrame, what_ja: str, what_en: str, lang: str) -> list[str]:
    """A line naming the My Number holders an importance result left out (``attrs["inexact_holders"]``), if any.

    Importance and the fix-first plan are exact on the holders' diagrams; a holder too large to compile
    exactly is not in any figure, so a figure of 0 may only mean that. The reading says so in words.
    """
    left = list(result.attrs.get("inexact_holders", []))
    if not left:
        return []
    total = len(result.attrs.get("holders", [])) or len(left)
    names = _listing(map(_namer(model, lang), left), lang)
    if lang == "ja":
        return [f"個人番号を保有する {total} システムのうち {len(left)} は厳密に計算できず、{what_ja}に含まれていません"
                f"（{names}）。"]
    return [f"{len(left)} of {total} My Number holders could not be computed exactly and are not in {what_en} "
            f"({names})."]


def fix_first_reading(model: Model, importance: pd.DataFrame, plan: pd.DataFrame, *, lang: str = "ja") -> str:
    """What to fix first: the control whose full effect lowers the expected records most, and the greedy plan.

    Parameters
    ----------
    model : pia_analysis.Model
        The model the results were computed on.
    importance : pandas.DataFrame
        The result of :func:`pia_analysis.analysis.compromise.control_importance`.
    plan : pandas.DataFrame
        The result of :func:`pia_analysis.analysis.compromise.fix_first`.
    lang : {"ja", "en"}, default "ja"
        The language of the reading.

    Returns
    -------
    str
        Lines of text: first, when the results left out My Number holders they could not compute exactly
        (``attrs["inexact_holders"]``), how many of how many and which ("N of M My Number holders could not
        be computed exactly and are not in this plan"); then the control of the largest fall, the plan step
        by step with its cumulative fall, the expected records before and after, and which flows of the plan
        are in the minimum cut.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model`.
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is not "ja" or "en".

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, control_importance, fix_first, load_model
    >>> from pia_analysis.outputs.readings import fix_first_reading
    >>> model = load_model(bundled_model_path())
    >>> text = fix_first_reading(model, control_importance(model), fix_first(model, k=3), lang="en")
    >>> text.splitlines()[0].startswith("Made fully effective, the control that lowers")
    True
    """
    require_model(model, "fix_first_reading")
    _check_lang(lang)
    ja = lang == "ja"
    name = _namer(model, lang)
    controls = dict(zip(model.controls["control_id"], model.controls["name_ja" if ja else "name_en"]))

    def element(kind: str, item: str) -> str:
        if kind == "control":
            return f"{controls.get(item) or item}（{item}）" if ja else f"{controls.get(item) or item} ({item})"
        return name(item)

    # holders left out of the figures first: a fall of 0 may only mean they could not be computed
    lines = _left_out(model, plan, "この計画", "this plan", lang)
    if not lines:
        lines = _left_out(model, importance, "この計画", "this plan", lang)
    ranked = importance.sort_values(["records_fall", "control_id"], ascending=[False, True])
    ranked = ranked.loc[ranked["records_fall"] > 0]
    if not ranked.empty:
        top = ranked.iloc[0]
        lines.append(f"完全に効かせたとき個人番号の記録の期待値を最も下げる対策: {element('control', top.control_id)}、"
                     f"年 {_int(top.records_fall)} 件分。" if ja else
                     f"Made fully effective, the control that lowers the expected My Number records most: "
                     f"{element('control', top.control_id)}, by {_int(top.records_fall)} a year.")
    else:
        lines.append("どの対策を完全に効かせても記録の期待値は下がりません。" if ja else
                     "No control made fully effective lowers the expected records.")
    before = float(plan.attrs.get("expected_records_before", 0.0))
    if len(plan):
        steps = [f"{int(r.step)}. {element(r.kind, r.id)}（累計 {_int(r.cumulative_fall)} 件減）" if ja else
                 f"{int(r.step)}. {element(r.kind, r.id)} (cumulative fall {_int(r.cumulative_fall)})"
                 for r in plan.itertuples(index=False)]
        after = float(plan["expected_records"].iloc[-1])
        lines.append("先に直す順（貪欲法）: " + "、".join(steps) + "。" if ja else
                     "Fix first (greedy): " + "; ".join(steps) + ".")
        lines.append(f"記録の期待値は年 {_int(before)} 件から {_int(after)} 件へ。" if ja else
                     f"Expected records a year: {_int(before)} before, {_int(after)} after.")
    # what the expectation counts, so that it is not read against the loss curve's people a year
    lines.append("記録の期待値: 個人番号の保有システムごとに、侵害される年間確率（厳密な確率）× "
                 "その最大の個人番号ファイルの人数 を足した値"
                 "（件＝人分。同じ住民が複数のシステムにいれば、その数だけ数える。損失超過曲線の"
                 "「1年あたりの期待値 … 人分」は1年に届く人数の平均で、住民を一度だけ数えるため、これより小さい）。"
                 if ja else
                 "Expected records: for each My Number holder, its yearly probability of compromise (exact "
                 "probability) × the people of its largest My Number file, summed (a resident held by several systems "
                 "counts once per system; the loss curve's expected people a year counts each resident once, per "
                 "simulated year, and is smaller).")
    cut = list(plan.attrs.get("min_cut", []))
    in_cut = [r.id for r in plan.itertuples(index=False) if r.kind == "flow" and r.in_min_cut]
    lines.append((f"最小カット（全経路を断つ流れ）: {_listing(map(name, cut), lang)}。計画のうち最小カットの流れ: "
                  f"{_listing(map(name, in_cut), lang)}。") if ja else
                 (f"Minimum cut (flows that cut every path): {_listing(map(name, cut), lang)}; flows of the plan in "
                  f"it: {_listing(map(name, in_cut), lang)}."))
    return _text(lines)


def loss_exceedance_reading(model: Model, curve: pd.DataFrame, *, lang: str = "ja") -> str:
    """The loss-exceedance curve in words: how likely a year reaches the smallest and the largest loss seen.

    Parameters
    ----------
    model : pia_analysis.Model
        The model the results were computed on.
    curve : pandas.DataFrame
        The result of :func:`pia_analysis.analysis.simulation.loss_exceedance`.
    lang : {"ja", "en"}, default "ja"
        The language of the reading.

    Returns
    -------
    str
        Lines of text: the yearly probability of reaching any My Number records and of the largest loss,
        each with its 95 % interval, and the expected records a year.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model`.
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is not "ja" or "en".

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, loss_exceedance
    >>> from pia_analysis.outputs.readings import loss_exceedance_reading
    >>> model = load_model(bundled_model_path())
    >>> loss_exceedance_reading(model, loss_exceedance(model, trials=2000), lang="en").splitlines()[0][:40]
    'In 2,000 simulated years, the attacker r'
    """
    require_model(model, "loss_exceedance_reading")
    _check_lang(lang)
    ja = lang == "ja"
    trials = int(curve["trials"].iloc[0]) if len(curve) else int(curve.attrs.get("trials", 0))
    if curve.empty:
        return ("試した {n:,} 年のどの年も、攻撃者は個人番号ファイルに届きませんでした。" if ja else
                "In none of {n:,} simulated years did the attacker reach a My Number file.").format(n=trials)
    first, last = curve.iloc[0], curve.iloc[-1]

    def interval(r) -> str:
        return (f"（95 %区間 {_pct(r.low)}〜{_pct(r.high)}）" if ja else
                f" (95 % interval {_pct(r.low)}–{_pct(r.high)})")

    lines = []
    if ja:
        lines.append(f"試した {trials:,} 年のうち、攻撃者が {_int(first.records)} 人以上の記録に届く年の確率は "
                     f"{_pct(first.probability)}{interval(first)}。")
        if len(curve) > 1:
            lines.append(f"最大の {_int(last.records)} 人以上（届いた最大の個人番号ファイルの件数）に届く確率は "
                         f"{_pct(last.probability)}{interval(last)}。")
        lines.append(f"1年あたりの期待値は {_int(curve.attrs.get('expected_records', 0.0))} 人分"
                     "（モンテカルロ法で1年に届く人数の平均。同じ事務のファイルは同じ住民の記録なので、届いた最大の"
                     "ファイルの件数で数え、住民を一度だけ数える。システムごとに足す「記録の期待値」より小さい）。")
    else:
        lines.append(f"In {trials:,} simulated years, the attacker reaches the records of {_int(first.records)} "
                     f"people or more with probability {_pct(first.probability)}{interval(first)}.")
        if len(curve) > 1:
            lines.append(f"The largest, {_int(last.records)} people or more (the largest My Number file reached), has "
                         f"probability {_pct(last.probability)}{interval(last)}.")
        lines.append(f"Expected people a year: {_int(curve.attrs.get('expected_records', 0.0))} (the Monte Carlo's "
                     "mean people reached a year; the files of one affair hold the same residents: the largest file "
                     "reached counts, each resident once — smaller than the expected records summed per system).")
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
    >>> reading = gaps_reading(model, coverage_pairs(model)).splitlines()
    >>> reading[0]
    '未対策の組 27、計画中の対策だけの組 2。'
    >>> sorted(line.split("が運用する")[0] for line in reading[1:-1])[-3:]
    ['国', '委託先／J-LIS', '市職員']
    """
    require_model(model, "gaps_reading")
    _check_lang(lang)
    name = _namer(model, lang)
    operators = model.systems.set_index("system_id")["operator"]
    flows = model.flows.set_index("flow_id")

    def run_by(element: str) -> str:
        # operators in words (町職員, 委託先 …), a flow by the operators of its two ends
        if element in operators.index:
            return _operator_word(model, str(operators[element]), lang)
        if element in flows.index:
            ends = [operators.get(flows.loc[element, "source"]), operators.get(flows.loc[element, "target"])]
            words = dict.fromkeys(_operator_word(model, str(e), lang) for e in ends)
            return ("／" if lang == "ja" else "/").join(words)
        return "組織全体" if lang == "ja" else "the whole organisation"
    gaps = pairs.loc[pairs["status"] == "gap"].assign(run_by=lambda d: d["element"].map(run_by))
    planned = pairs.loc[pairs["status"] == "planned"]
    lines = [f"未対策の組 {len(gaps)}、計画中の対策だけの組 {len(planned)}。" if lang == "ja" else
             f"{len(gaps)} pairs are gaps; {len(planned)} are covered only by a planned control."]
    for who, part in gaps.groupby("run_by", sort=True):
        items = _listing((f"{name(e)}: {', '.join(grp['risk_id'])}" for e, grp in part.groupby("element", sort=True)),
                         lang)
        lines.append(f"{who}が運用する要素の未対策: {items}。" if lang == "ja" else
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


def _schema_operator_words() -> dict[str, str]:
    """The operators' Japanese words as the schema states them (「city 市、contractor 委託先、…」)."""
    meaning = TABLE_BY_NAME["zones"].column("operator").meaning[0]
    pairs = (item.split(" ", 1) for item in meaning.split(":", 1)[1].strip().split("、"))
    # a word's explanation in brackets (cloud_provider's 「（…委託先ではない）」) is not part of the word
    return {code: word.split("（", 1)[0] for code, word in pairs}


_OPERATOR_JA = _schema_operator_words()


def _operator_word(model: Model, operator: str, lang: str) -> str:
    """Who runs an element, in words: the body's staff (町職員, town staff) for ``city``, 委託先 for ``contractor``."""
    if operator == "city":
        kind = organisation_kind(model.meta)
        return f"{kind.word_ja}職員" if lang == "ja" else f"{kind.word_en} staff"
    # Japanese in the schema's own labels (as the model's docs show them); English in the one word table
    return _OPERATOR_JA.get(operator, str(operator)) if lang == "ja" else operator_word(operator, "en")


def _stage_word(stage: str, lang: str) -> str:
    return stage_label(stage, lang)


def _times(before: float, after: float) -> str:
    """The factor from ``before`` to ``after`` (×4, ×0.4), or an empty text when there was nothing before."""
    if before <= 0:
        return ""
    factor = after / before
    return f"×{factor:.2g}" if factor < 10 else f"×{factor:.0f}"


def comparison_reading(comparison, *, lang: str = "ja", limit: int = 5) -> str:
    """What changed between two analysed models: systems (probability, path, entry point), coverage, findings.

    Works on any :class:`~pia_analysis.whatif.compare.Comparison`: a scenario's, the explorer's state, two
    versions of an assessment. A system whose probability stays the same but whose most likely path changed is
    a change and is said so.

    Parameters
    ----------
    comparison : pia_analysis.Comparison
        The result of :func:`pia_analysis.compare` (or an explorer state).
    lang : {"ja", "en"}, default "ja"
        The language of the reading.
    limit : int, default 5
        At most this many changed systems are described one by one (the others are counted).

    Returns
    -------
    str
        Lines: the most exposed My Number holder before and after, the changed systems, the stages whose
        coverage changed, the findings that appear, disappear or change (when the comparison has them).

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is not "ja" or "en" or ``limit`` is below 1.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path, compare
    >>> from pia_analysis.whatif.apply import with_control_status
    >>> from pia_analysis.outputs.readings import comparison_reading
    >>> model = load_model(bundled_model_path())
    >>> text = comparison_reading(compare(model, with_control_status(model, "C-STORE-FW", "missing")), lang="en")
    >>> print(text.splitlines()[1])
    1 system's exposure changes (probability 1):
    >>> print(text.splitlines()[2])  # doctest: +ELLIPSIS
    - Certificate issuance centre (J-LIS) (JLIS_CENTRE): 0.24 % → 1.2 % a year (×5); most likely path ... (unchanged).
    """
    _check_lang(lang)
    if limit < 1:
        raise InvalidArgumentError(f"limit must be at least 1, not {limit}")
    ja = lang == "ja"
    names = {}
    for model in (comparison.base, comparison.other):
        names.update(dict(zip(model.systems["system_id"],
                              model.systems["name_ja" if ja else "name_en"].where(
                                  model.systems["name_ja" if ja else "name_en"].astype(bool),
                                  model.systems["name_ja"]))))
        names.update(dict(zip(model.zones["zone_id"], model.zones["name_ja" if ja else "name_en"])))

    def name(sid: str) -> str:
        shown = names.get(sid)
        return str(sid) if not shown else (f"{shown}（{sid}）" if ja else f"{shown} ({sid})")

    def arrow(path) -> str:
        return _arrow(list(path), name) if len(path) else ("経路なし" if ja else "no path")

    def zone_names(model: Model, path) -> list[str]:
        """The zones a path passes, in order, by name (a zone once per stay in it)."""
        zone_of = dict(zip(model.systems["system_id"], model.systems["zone_id"]))
        label = dict(zip(model.zones["zone_id"], model.zones["name_ja" if ja else "name_en"].where(
            model.zones["name_ja" if ja else "name_en"].astype(bool), model.zones["name_ja"])))
        seq: list[str] = []
        for sid in path:
            zone = zone_of.get(sid)
            if zone is not None and (not seq or seq[-1] != zone):
                seq.append(zone)
        return [str(label.get(z) or z) for z in seq]

    lines: list[str] = []
    head = comparison.headline().set_index("metric")
    top_b, _, top_a = str(head.at["max_mn_exposure", "note"]).partition(" → ")
    top_a = top_a or top_b
    pb, pa = float(head.at["max_mn_exposure", "before"]), float(head.at["max_mn_exposure", "after"])
    if top_b and top_a == top_b and abs(pa - pb) < 1e-12:
        lines.append(f"個人番号を保有するシステムで最も到達されやすいものは変わらず {name(top_b)}、"
                     f"年 {_pct(pb)}。" if ja else
                     f"Most exposed system holding My Numbers: still {name(top_b)}, {_pct(pb)} a year.")
    elif top_b:
        lines.append(f"個人番号を保有するシステムで最も到達されやすいもの: 変更前 {name(top_b)} 年 {_pct(pb)}、"
                     f"変更後 {name(top_a)} 年 {_pct(pa)}。" if ja else
                     f"Most exposed system holding My Numbers: {name(top_b)} at {_pct(pb)} a year before, "
                     f"{name(top_a)} at {_pct(pa)} after.")
    changed = comparison.changed_exposure()
    if changed.empty:
        lines.append("曝露（確率・最も起こりやすい経路・入口）が変わるシステムはありません。" if ja else
                     "No system's exposure, most likely path or entry point changes.")
    else:
        kinds = changed["change"].value_counts()
        words = {"exposure_changed": ("確率", "probability"), "path_changed": ("経路だけ", "path only"),
                 "zone_crossings_changed": ("ゾーン越えだけ", "zone crossings only"),
                 "added": ("追加", "added"), "removed": ("削除", "removed")}
        counts = _listing((f"{words[k][0 if ja else 1]} {int(kinds[k])}" for k in words if k in kinds.index), lang)
        lines.append(f"曝露が変わるシステム {len(changed)} 件（{counts}）:" if ja else
                     f"{len(changed)} system{'s' if len(changed) > 1 else ''}' exposure changes ({counts}):"
                     .replace("1 system'", "1 system's"))
        for r in changed.head(limit).itertuples():
            if r.change == "added":
                lines.append(f"- {name(r.system_id)}（追加）: 年 {_pct(r.exposure_after)}、経路 {arrow(r.path_after)}。"
                             if ja else f"- {name(r.system_id)} (added): {_pct(r.exposure_after)} a year, path "
                             f"{arrow(r.path_after)}.")
            elif r.change == "removed":
                lines.append(f"- {name(r.system_id)}（削除）: 変更前は年 {_pct(r.exposure_before)}。" if ja else
                             f"- {name(r.system_id)} (removed): {_pct(r.exposure_before)} a year before.")
            elif r.change == "exposure_changed":
                same = list(r.path_before) == list(r.path_after)
                times = _times(r.exposure_before, r.exposure_after)
                if ja:
                    path = (f"最も起こりやすい経路 {arrow(r.path_after)}（変わらず）" if same else
                            f"最も起こりやすい経路は「{arrow(r.path_before)}」から「{arrow(r.path_after)}」へ")
                    lines.append(f"- {name(r.system_id)}: 年 {_pct(r.exposure_before)} → {_pct(r.exposure_after)}"
                                 + (f"（{times}）" if times else "") + f"、{path}。")
                else:
                    path = (f"most likely path {arrow(r.path_after)} (unchanged)" if same else
                            f"most likely path {arrow(r.path_before)} before, {arrow(r.path_after)} after")
                    lines.append(f"- {name(r.system_id)}: {_pct(r.exposure_before)} → {_pct(r.exposure_after)} a year"
                                 + (f" ({times})" if times else "") + f"; {path}.")
            elif r.change == "zone_crossings_changed":  # the same systems, but they now lie in other zones
                zb = " → ".join(zone_names(comparison.base, r.path_before))
                za = " → ".join(zone_names(comparison.other, r.path_after))
                lines.append(f"- {name(r.system_id)}: 確率は年 {_pct(r.exposure_after)}、最も起こりやすい経路 "
                             f"{arrow(r.path_after)} も変わりませんが、通るゾーンが「{zb}」から「{za}」に変わります"
                             f"（ゾーン越え {r.zone_crossings_before} → {r.zone_crossings_after} 回）。"
                             if ja else
                             f"- {name(r.system_id)}: still {_pct(r.exposure_after)} a year by the same most likely "
                             f"path {arrow(r.path_after)}, but the zones it passes change from {zb} to {za} "
                             f"(zone crossings {r.zone_crossings_before} → {r.zone_crossings_after}).")
            else:  # the same probability, another route: what the council asks about
                crossings = f"{r.zone_crossings_before} → {r.zone_crossings_after}"
                lines.append(f"- {name(r.system_id)}: 確率は年 {_pct(r.exposure_after)} のまま、最も起こりやすい経路が"
                             f"「{arrow(r.path_before)}」から「{arrow(r.path_after)}」に変わります"
                             f"（ゾーン越え {crossings}）。"
                             if ja else
                             f"- {name(r.system_id)}: still {_pct(r.exposure_after)} a year, but its most likely path "
                             f"changes from {arrow(r.path_before)} to {arrow(r.path_after)} "
                             f"(zone crossings {crossings}).")
        if len(changed) > limit:
            lines.append(f"- ほか {len(changed) - limit} 件。" if ja else f"- and {len(changed) - limit} more.")
    stake_b, stake_a = (float(head.at["records_at_stake", c]) for c in ("before", "after"))
    if round(stake_b) != round(stake_a):
        lines.append(f"全システムの記録の期待値（確率×記録数の合計）: {_int(stake_b)} → {_int(stake_a)} 件。" if ja else
                     f"Expected records reached over all systems (probability × records, summed): {_int(stake_b)} → "
                     f"{_int(stake_a)}.")
    cov = comparison.changed_coverage()
    if cov.empty:
        lines.append("網羅率は変わりません。" if ja else "Coverage does not change.")
    for s in cov.itertuples():
        out = "対象外" if ja else "not applicable"
        cb = out if pd.isna(s.coverage_before) else _pct(s.coverage_before)
        ca = out if pd.isna(s.coverage_after) else _pct(s.coverage_after)
        lines.append(f"網羅率 {_stage_word(s.stage, lang)}: {cb} → {ca}（網羅 {s.covered_before}/{s.pairs_before} → "
                     f"{s.covered_after}/{s.pairs_after} 組）。" if ja else
                     f"Coverage of {_stage_word(s.stage, lang)}: {cb} → {ca} ({s.covered_before}/{s.pairs_before} → "
                     f"{s.covered_after}/{s.pairs_after} pairs covered).")
    found = comparison.findings_delta
    if found is not None:
        if found.empty:
            lines.append("指摘の変化はありません。" if ja else "No finding changes.")
        status = {"open": ("未対応", "open"), "mitigated": ("対策済み", "mitigated"), "": ("—", "—")}
        for change, (ja_word, en_word) in (("appeared", ("新たな指摘", "New findings")),
                                            ("disappeared", ("なくなる指摘", "Findings that go")),
                                            ("risk_level_changed",
                                             ("水準が変わる指摘", "Findings whose level changes")),
                                            ("status_changed", ("状態が変わる指摘", "Findings whose status changes"))):
            part = found.loc[found["change"] == change]
            if part.empty:
                continue
            title = "title_ja" if ja else "title_en"

            def one(f) -> str:
                what = f"{getattr(f, title)}: {name(f.element)}"
                if change == "appeared":
                    return what + (f"（{status.get(f.status_after, (f.status_after,) * 2)[0]}）" if ja else
                                   f" ({status.get(f.status_after, (f.status_after,) * 2)[1]})")
                if change == "disappeared":
                    return what
                if change == "risk_level_changed":
                    return what + (f"（水準 {f.risk_level_before} → {f.risk_level_after}）" if ja else
                                   f" (level {f.risk_level_before} → {f.risk_level_after})")
                sb = status.get(f.status_before, (f.status_before,) * 2)[0 if ja else 1]
                sa = status.get(f.status_after, (f.status_after,) * 2)[0 if ja else 1]
                return what + (f"（{sb} → {sa}）" if ja else f" ({sb} → {sa})")
            items = _listing((one(f) for f in part.itertuples()), lang)
            lines.append(f"{ja_word} {len(part)} 件: {items}。" if ja else f"{en_word} ({len(part)}): {items}.")
    return _text(lines)


def system_view_reading(model: Model, view, *, lang: str = "ja") -> str:
    """One system as the explorer shows it: its exposure, its paths, what is at stake, what falls with it.

    Parameters
    ----------
    model : pia_analysis.Model
        The model the view was computed on (for names and file sizes).
    view : pia_analysis.explorer.SystemView
        The result of :func:`pia_analysis.explorer.system_view`.
    lang : {"ja", "en"}, default "ja"
        The language of the reading.

    Returns
    -------
    str
        Two or three lines: the system's yearly probability and most likely path (or that no path reaches
        it), what is at stake if it is reached (its largest My Number file, beside the expected value), and
        what an attacker reaches once it has fallen.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model`.
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is not "ja" or "en".

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.explorer import system_view
    >>> from pia_analysis.outputs.readings import system_view_reading
    >>> model = load_model(bundled_model_path())
    >>> print(system_view_reading(model, system_view(model, "JUKI_REC"), lang="en").splitlines()[0])
    ... # doctest: +ELLIPSIS
    Resident record system (JUKI_REC): 2.5 % a year, most likely path ... → Resident record system (JUKI_REC), ...
    """
    require_model(model, "system_view_reading")
    _check_lang(lang)
    ja = lang == "ja"
    name = _namer(model, lang)
    e = view.exposure
    stake = model.my_number_people.get(view.system_id, 0)
    lines: list[str] = []
    if float(e["exposure"]) <= 0:
        lines.append(f"{name(view.system_id)}: どの入口からも到達する経路がありません。" if ja else
                     f"{name(view.system_id)}: no attack path reaches it from any entry point.")
    else:
        lines.append(f"{name(view.system_id)}: 年 {_pct(e['exposure'])}、"
                     f"最も起こりやすい経路 {_arrow(e['path'], name)}、"
                     f"到達できる入口 {int(e['reached_by'])} か所。" if ja else
                     f"{name(view.system_id)}: {_pct(e['exposure'])} a year, most likely path "
                     f"{_arrow(e['path'], name)}, reached from {int(e['reached_by'])} entry points.")
        if stake:
            lines.append(f"到達された場合に関わるのは保有する最大の特定個人情報ファイルの {_int(stake)} 件"
                         f"（確率を掛けた期待値は {_int(e['records_at_stake'])} 件）。" if ja else
                         f"If it is reached, its largest My Number file puts {_int(stake)} records at stake "
                         f"(the expected value, probability times records, is {_int(e['records_at_stake'])}).")
    b = view.blast
    others = [s for s in b.systems["system_id"] if s != view.system_id]
    # the My Number files (特定個人情報ファイル) only: a log of 12,000 lines is not 12,000 people at stake
    mn_files = b.files.loc[b.files["contains_my_number"], "file_id"]
    if len(mn_files):
        files = _listing(map(name, mn_files), lang)
        lines.append(f"陥落した場合に到達されうるもの: ほかのシステム {len(others)} 件、個人番号ファイル {files}"
                     f"（最大 {_int(b.max_my_number_records)} 件）。" if ja else
                     f"Once it has fallen, an attacker can reach {len(others)} other systems and the My Number "
                     f"files {files} (the largest {_int(b.max_my_number_records)} records).")
    else:
        lines.append(f"陥落した場合に到達されうるもの: ほかのシステム {len(others)} 件（個人番号ファイルなし）。"
                     if ja else
                     f"Once it has fallen, an attacker can reach {len(others)} other systems (no My Number file).")
    return _text(lines)


def version_diff_reading(model_diff, *, lang: str = "ja") -> str:
    """What a new version of an assessment changed and what that means for the procedure.

    Parameters
    ----------
    model_diff : pia_analysis.whatif.versions.ModelDiff
        The result of :func:`pia_analysis.diff` (old version, new version).
    lang : {"ja", "en"}, default "ja"
        The language of the reading.

    Returns
    -------
    str
        The verdict (important change, revision or formal), the important changes with the rules that made
        them so, by the elements' names, and the count of the other changes by class.

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is not "ja" or "en".

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path, diff
    >>> from pia_analysis.outputs.readings import version_diff_reading
    >>> h26, h28 = (load_model(bundled_model_path(f"kitakyushu-juki-{v}")) for v in ("h26", "h28"))
    >>> print(version_diff_reading(diff(h26, h28), lang="en").splitlines()[1])  # doctest: +ELLIPSIS
    Important changes (3): ...
    """
    _check_lang(lang)
    ja = lang == "ja"
    titles = change_rules().set_index("rule_id")["title_ja" if ja else "title_en"].to_dict()
    name = _namer(model_diff.new, lang)
    old_name = _namer(model_diff.old, lang)
    changes = model_diff.changes
    lines = [model_diff.verdict(lang)]
    important = model_diff.important
    if len(important):
        items = []
        for r in important.itertuples():
            shown = name(r.id) if r.change != "removed" else old_name(r.id)
            items.append(f"{shown}（{'、'.join(titles.get(x, x) for x in r.rules)}）" if ja else
                         f"{shown} ({'; '.join(titles.get(x, x) for x in r.rules)})")
        lines.append(f"重要な変更 {len(important)} 件: " + _listing(items, lang) + "。" if ja else
                     f"Important changes ({len(important)}): " + _listing(items, lang) + ".")
    others = changes.loc[changes["change_class"] != "important"]
    if len(others):
        words = {"revision": ("評価書の修正", "revisions"), "formal": ("形式的な変更", "formal changes")}
        counts = others["change_class"].value_counts()
        listed = _listing((f"{words[c][0]} {int(counts[c])} 件" if ja else f"{int(counts[c])} {words[c][1]}"
                           for c in words if c in counts.index), lang)
        lines.append(f"ほかの変更: {listed}（表 {_listing(sorted(set(others['table'])), lang)}）。" if ja else
                     f"Other changes: {listed} (tables {_listing(sorted(set(others['table'])), lang)}).")
    return _text(lines)


def history_reading(history: pd.DataFrame, *, lang: str = "ja") -> str:
    """How exposure, coverage and findings evolved across the versions of an assessment.

    Parameters
    ----------
    history : pandas.DataFrame
        The result of :func:`pia_analysis.version_history` (one row per version, oldest first).
    lang : {"ja", "en"}, default "ja"
        The language of the reading.

    Returns
    -------
    str
        The versions and their assessment dates, then the most exposed My Number holder, the expected records
        reached, the coverage and the open findings of each, and what each version was against the previous
        one. A model without earlier versions is said to have none.

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is not "ja" or "en".

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.whatif.versions import version_history
    >>> from pia_analysis.outputs.readings import history_reading
    >>> print(history_reading(version_history(load_model(bundled_model_path())), lang="en").splitlines()[0])
    3 versions: kitakyushu-juki-h26 (2014-12-01), kitakyushu-juki-h28 (2016-12-01) and kitakyushu-juki-r3 (2021-11-09).
    """
    _check_lang(lang)
    ja = lang == "ja"
    rows = history.to_dict("records")
    versions = _listing((f"{r['version']}（{r['assessed_on']}）" if ja else f"{r['version']} ({r['assessed_on']})"
                         for r in rows), lang)
    if len(rows) == 1:
        lines = [f"版は {versions} の一つだけです"
                 "（model.yaml の previous で前の版を指定すると比較できます）。" if ja else
                 f"One version only: {versions} (name the earlier one with previous in model.yaml to compare)."]
    else:
        lines = [f"{len(rows)} 版: {versions}。" if ja else f"{len(rows)} versions: {versions}."]
    classes = {"important": ("重要な変更", "an important change"), "revision": ("評価書の修正", "a revision"),
               "formal": ("形式的な変更", "formal changes only"), "none": ("変更なし", "no change")}
    for r in rows:
        top = (f"{r['max_mn_system']} 年 {_pct(r['max_mn_exposure'])}" if ja else
               f"{r['max_mn_system']} at {_pct(r['max_mn_exposure'])} a year") if r["max_mn_system"] else \
            ("到達される保有システムなし" if ja else "no holder reached")
        coverage = _pct(r["coverage"]) if not pd.isna(r["coverage"]) else ("対象外" if ja else "not applicable")
        against = classes.get(r["vs_previous"])
        if ja:
            lines.append(f"- {r['version']}: 最も到達されやすい保有システム {top}、"
                         f"記録の期待値 {_int(r['records_at_stake'])} 件、"
                         f"網羅率 {coverage}、未対応の指摘 {int(r['open_findings'])} 件"
                         + (f"、前の版に対して{against[0]}" if against else "") + "。")
        else:
            lines.append(f"- {r['version']}: most exposed holder {top}, expected records reached "
                         f"{_int(r['records_at_stake'])}, coverage {coverage}, {int(r['open_findings'])} open findings"
                         + (f"; against the previous version {against[1]}" if against else "") + ".")
    return _text(lines)


def example_measure(model: Model) -> str | None:
    """The measure a what-if of the 評価書 sets 未実施 (a notebook's example, on any model).

    The first control (in file order) implemented on a named system or flow rather than on the whole body, else
    the first control implemented on the whole body (a control's status on an element: its row of
    ``control_status.csv``, else its own).

    Parameters
    ----------
    model : Model
        The model.

    Returns
    -------
    str or None
        The control's id; None when no control is implemented.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> from pia_analysis.outputs.readings import example_measure
    >>> m = load_model(bundled_model_path())
    >>> m.controls.set_index("control_id").at[example_measure(m), "status"]
    'implemented'
    """
    require_model(model, "example_measure")
    # implemented on some element (control_status.csv may say so of one element only), in file order
    apps = model.control_applications
    done = apps.loc[apps["status"] == "implemented"]
    if done.empty:
        return None
    named = done.loc[done["element"] != "*"]
    return str((named if not named.empty else done)["control_id"].iloc[0])


def assessment_change_reading(model: Model, control_id: str, changes: pd.DataFrame, *, lang: str = "ja") -> str:
    """What setting one measure 未実施 does to the 評価書: the rows of its (別添3) 変更箇所.

    Parameters
    ----------
    model : Model
        The model before the change.
    control_id : str
        The measure set 未実施 (``missing``).
    changes : pandas.DataFrame
        The (別添3) rows of the changed model against ``model``
        (:func:`~pia_analysis.outputs.assessment.assessment_changes`).
    lang : {"ja", "en"}, default "ja"
        The language of the reading.

    Returns
    -------
    str
        The measure by its name and what it applies to, then each row: its item, before and after, and when it
        is submitted (事前: assessed again before the change; 事後: after).

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is not "ja" or "en", or ``control_id`` is not a control of the model.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path, with_control_status
    >>> from pia_analysis.outputs.assessment import assessment_changes
    >>> from pia_analysis.outputs.assessment_answers import assessment_answers
    >>> from pia_analysis.outputs.readings import assessment_change_reading, example_measure
    >>> m = load_model(bundled_model_path())
    >>> c = example_measure(m)
    >>> rows = assessment_changes(assessment_answers(with_control_status(m, c, "missing"), form="full", previous=m))
    >>> print(assessment_change_reading(m, c, rows, lang="en").splitlines()[1])  # doctest: +ELLIPSIS
    1 row of 別添3 (changes): ... — before 状況：実施済み, after 状況：未実施; submitted 事前 ...
    """
    require_model(model, "assessment_change_reading")
    _check_lang(lang)
    ja = lang == "ja"
    controls = model.controls.set_index("control_id")
    if control_id not in controls.index:
        raise InvalidArgumentError(f"{control_id!r} is not a control of the model (controls.csv)")
    targets = controls.at[control_id, "applies_to"] or []
    body = organisation_kind(model.meta)
    where = _listing(((f"{body.word_ja}全体" if ja else f"the whole of {body.the()}") if t == "*"
                      else model.element_name(str(t), lang) for t in targets), lang)
    name = model.element_name(control_id, lang)
    lines = [f"対策「{name}」（適用先: {where}）を未実施にした版を作ると:" if ja else
             f"Setting the measure “{name}” (applied to {where}) to missing in a new version:"]
    if changes.empty:
        lines.append("別添3（変更箇所）に載る変更はない。" if ja else "No row in 別添3 (changes).")
        return _text(lines)
    rows = []
    for r in changes.to_dict("records"):
        timing = r["提出時期"]
        when = (("変更前に評価を再実施して提出" if timing == "事前" else "変更後に提出し公表") if ja else
                ("assessed again and submitted before the change" if timing == "事前"
                 else "submitted and published after the change"))
        item, before, after = r["項目"], r["変更前の記載"], r["変更後の記載"]
        rows.append(f"「{item}」: 変更前「{before}」、変更後「{after}」、提出時期 {timing}（{when}）" if ja else
                    f"{item} — before {before}, after {after}; submitted {timing} ({when})")
    n = len(rows)
    lines.append((f"別添3（変更箇所）に {n} 行: " if ja else f"{n} row{'s' if n != 1 else ''} of 別添3 (changes): ")
                 + ("。".join(rows) + "。" if ja else "; ".join(rows) + "."))
    return _text(lines)
