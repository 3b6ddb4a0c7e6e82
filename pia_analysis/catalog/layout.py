"""The layouts of the assessment documents (評価書) as packaged data: items, bands and record-item categories.

``form_layout.csv`` lists every section and item of the 全項目評価書 (様式4, ``full``), the 重点項目評価書 (様式3,
``focused``) and the 基礎項目評価書 (様式2, ``basic``) in the form's order, with what fills each item (``fill``,
a key of the vocabulary in ``catalog/README.md``). Section Ⅲ's risks, sub-measures, ratings and check boxes name
the catalogue ids (``ref``) instead of repeating their wording, which :func:`form_layout` looks up.
``bands.csv`` holds the forms' count bands (対象となる本人の数 …) and :func:`band_of` picks one;
``record_item_categories.csv`` the categories of 主な記録項目 with the keywords a file's items are matched by.
They are data: correct them in the CSV files, not here.
"""

from __future__ import annotations

__all__ = ["FORMS", "band_of", "bands", "form_layout", "layout_problems", "record_item_categories",
           "record_item_category"]

import csv
import functools
import io
import math
import numbers
import os
import time
import unicodedata

import pandas as pd

from . import (
    CatalogError, CatalogProblems, catalog_file, rated_items, read_table, risk_catalog, stage_declarations, stages,
)
from .sub_measures import sub_measure_catalog

#: The three forms, heaviest first: 全項目評価書 (様式4), 重点項目評価書 (様式3), 基礎項目評価書 (様式2).
FORMS = ("full", "focused", "basic")

_LAYOUT_COLUMNS = ["form", "item_id", "parent", "order", "section", "number", "label_ja", "label_en", "kind",
                   "choice_set", "repeat", "fill", "ref", "optional", "source", "confidence", "form_version", "note"]
_BAND_COLUMNS = ["band_set", "order", "label_ja", "label_en", "lower", "upper", "interval", "edges_from", "unit",
                 "source", "confidence", "form_version", "note"]
_CATEGORY_COLUMNS = ["item_id", "order", "category_ja", "category_en", "item_ja", "item_en", "keywords_ja",
                     "keywords_en", "source", "confidence", "form_version", "note"]


def _missing(table: pd.DataFrame, columns: list[str], name: str) -> None:
    if missing := [c for c in columns if c not in table.columns]:
        raise CatalogError(f"catalog/{name}: missing column(s) {', '.join(missing)}")


def _wording() -> dict[str, tuple[str, str, str, str]]:
    """``ref`` -> (label_ja, label_en, number, choice_set) from the catalogue tables the layout points into."""
    out: dict[str, tuple[str, str, str, str]] = {}
    for row in stages().itertuples():
        out[f"stage:{row.stage}"] = (row.name_ja, row.name_en, "", "")
    for row in risk_catalog().itertuples():
        out[f"risk:{row.risk_id}"] = (row.name_ja, row.name_en, "", "")
    for row in rated_items().itertuples():
        out[f"rated:{row.rated_item_id}"] = (row.name_ja, row.name_en, "", row.choice_set)
    for row in sub_measure_catalog().itertuples():
        out[f"sub_measure:{row.sub_measure_id}"] = (row.label_ja, row.label_en, row.number, row.choice_set)
    for row in stage_declarations().itertuples():
        out[f"declaration:{row.declaration}"] = (row.label_ja, row.label_en, "", "")
    return out


#: The kinds of a layout row and the units a block repeats over (``form_layout.csv`` ``kind``, ``repeat``).
_KINDS = ("heading", "text", "choice", "multi_choice", "band", "date", "rated", "sub_measure", "check", "table",
          "repeat")
_REPEATS = ("", "file", "outsourcing", "recipient", "system", "change")
#: The families of ``fill`` (catalog/README.md's vocabulary); derive: and doc: keys are listed in fill_keys.csv.
_FILL_FAMILIES = ("derive", "doc", "model", "procedure", "rated", "sub_measure", "controls", "declaration",
                  "other_risk", "fixed")
_LAYOUT_FILES = ("form_layout.csv", "bands.csv", "choice_sets.csv", "fill_keys.csv")


def _csv_rows(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and each row of a CSV text with the line it starts on."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    rows: list[tuple[int, dict[str, str]]] = []
    line = reader.line_num + 1
    for record in reader:
        if any(cell.strip() for cell in record):
            rows.append((line, dict(zip(header, record + [""] * (len(header) - len(record))))))
        line = reader.line_num + 1
    return header, rows


def _whole(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _check_layout_files(texts: tuple[str, ...]) -> list[str]:
    """Every problem of form_layout.csv, bands.csv and choice_sets.csv (fills against fill_keys.csv), located."""
    out: list[str] = []

    def problem(name: str, line: int, column: str, message: str, hint: str) -> None:
        out.append(f"catalog/{name}:{line}: {column}: {message} (hint: {hint})" if column
                   else f"catalog/{name}:{line}: {message} (hint: {hint})")

    tables = {}
    for name, text, columns in zip(_LAYOUT_FILES, texts, (_LAYOUT_COLUMNS, _BAND_COLUMNS, None, None)):
        header, rows = _csv_rows(text)
        if missing := [c for c in (columns or []) if c not in header]:
            problem(name, 1, "", f"missing column(s) {', '.join(missing)}", f"the header needs {','.join(columns)}")
            rows = []
        tables[name] = rows
    # choice_sets.csv
    choice_sets: set[str] = set()
    first: dict[tuple[str, str], int] = {}
    for line, row in tables["choice_sets.csv"]:
        key = (row.get("choice_set", ""), row.get("label_ja", ""))
        if not key[0] or not key[1]:
            problem("choice_sets.csv", line, "choice_set" if not key[0] else "label_ja", "is empty",
                    "every choice names its set and its label")
            continue
        if not _whole(row.get("order", "")):
            problem("choice_sets.csv", line, "order", f"{row.get('order', '')!r} is not a whole number",
                    "write the choice's place in its set: 1, 2, 3 …")
        if key in first:
            problem("choice_sets.csv", line, "label_ja", f"{key[1]!r} repeats in set {key[0]} (first on line "
                    f"{first[key]})", "keep one row per choice")
        first.setdefault(key, line)
        choice_sets.add(key[0])
    # bands.csv: each set's bands run from 0 upwards without gaps or overlaps, the last without upper end
    band_sets: dict[str, list[tuple[int, dict[str, str]]]] = {}
    unreadable: set[str] = set()
    for line, row in tables["bands.csv"]:
        bad = False
        for column in ("lower", "upper"):
            if row[column] and not _whole(row[column]):
                problem("bands.csv", line, column, f"{row[column]!r} is not a whole number",
                        "write the edge in digits (10000, not 1万); empty for an open end")
                bad = True
        if not _whole(row["order"]):
            problem("bands.csv", line, "order", f"{row['order']!r} is not a whole number",
                    "write the band's place in its set: 1, 2, 3 …")
            bad = True
        band_sets.setdefault(row["band_set"], []).append((line, row))
        if bad:
            unreadable.add(row["band_set"])
    for band_set, rows in band_sets.items():
        if band_set in unreadable or any(row["edges_from"] for _l, row in rows):
            # a set with an edge already reported is not checked for gaps (one problem, not two); the edges from
            # thresholds.csv are checked by bands()
            continue
        expected: int | None = 0
        for line, row in sorted((r for r in rows if r[1]["interval"]), key=lambda r: int(r[1]["order"])):
            lower = int(row["lower"]) if row["lower"] else None
            if expected is None or lower != expected:
                problem("bands.csv", line, "lower", f"{row['lower'] or 'empty'} does not continue the band before "
                        f"({'none: the band before has no upper end' if expected is None else expected})",
                        f"the bands of {band_set} run from 0 upwards without gaps or overlaps: each lower is the "
                        "upper of the band before")
                break
            expected = int(row["upper"]) if row["upper"] else None
        else:
            if expected is not None:
                problem("bands.csv", rows[-1][0], "upper", f"the last band of {band_set} ends at {expected}",
                        "leave upper empty on the last band (no upper end)")
    # fill_keys.csv
    fill_keys = {row.get("key", "") for _l, row in tables["fill_keys.csv"]}
    # form_layout.csv
    try:
        wording = _wording()
    except CatalogError as exc:  # pragma: no cover - the tables it reads have their own checks
        out.append(str(exc))
        wording = {}
    stage_names = set(stages()["stage"])
    items: dict[str, int] = {}
    seen_by_form: dict[str, set[str]] = {}
    orders: dict[tuple[str, str], int] = {}
    for line, row in tables["form_layout.csv"]:
        form, item = row["form"], row["item_id"]
        if form not in FORMS:
            problem("form_layout.csv", line, "form", f"{form!r} is not a form", f"write one of {', '.join(FORMS)}")
        if not item:
            problem("form_layout.csv", line, "item_id", "is empty", "every row needs its own item_id")
        elif item in items:
            problem("form_layout.csv", line, "item_id", f"duplicate item_id {item!r} (first on line {items[item]})",
                    "every row needs its own item_id; rename one")
        else:
            items[item] = line
        seen = seen_by_form.setdefault(form, set())
        if row["parent"] and row["parent"] not in seen:
            problem("form_layout.csv", line, "parent", f"{row['parent']!r} is not an earlier item of {form}",
                    "name the item_id of an earlier row of the same form, or leave it empty for a section")
        seen.add(item)
        if not _whole(row["order"]):
            problem("form_layout.csv", line, "order", f"{row['order']!r} is not a whole number",
                    "write the row's place in the form")
        elif (form, row["order"]) in orders:
            problem("form_layout.csv", line, "order", f"{row['order']} repeats in {form} (first on line "
                    f"{orders[(form, row['order'])]})", "each row of a form has its own order")
        else:
            orders[(form, row["order"])] = line
        kind, choice_set = row["kind"], row["choice_set"]
        if kind not in _KINDS:
            problem("form_layout.csv", line, "kind", f"{kind!r} is not a kind of item", f"write one of "
                    f"{', '.join(_KINDS)}")
        elif kind in ("choice", "multi_choice") and choice_set not in choice_sets | {"record_item_categories"}:
            problem("form_layout.csv", line, "choice_set", f"{choice_set or 'empty'} is not a set of "
                    "choice_sets.csv", f"a {kind} item names the set of its choices (<選択肢>)")
        elif kind == "band" and choice_set not in band_sets:
            problem("form_layout.csv", line, "choice_set", f"{choice_set or 'empty'} is not a band set of bands.csv",
                    "a band item names its set of bands")
        elif kind in ("rated", "sub_measure") and choice_set and choice_set not in choice_sets:
            problem("form_layout.csv", line, "choice_set", f"{choice_set!r} is not a set of choice_sets.csv",
                    "leave it empty to take the catalogue's, or name a set of choice_sets.csv")
        if row["repeat"] not in _REPEATS:
            problem("form_layout.csv", line, "repeat", f"{row['repeat']!r} is not a unit a block repeats over",
                    f"write one of {', '.join(r for r in _REPEATS if r)}, or leave it empty")
        fill = row["fill"]
        family, _colon, key = fill.partition(":")
        if fill and (family not in _FILL_FAMILIES or not key):
            problem("form_layout.csv", line, "fill", f"{fill!r} is not a key of the fill vocabulary",
                    f"write family:key with a family of {', '.join(_FILL_FAMILIES)} (catalog/README.md)")
        elif family in ("derive", "doc") and fill not in fill_keys:
            problem("form_layout.csv", line, "fill", f"{fill!r} is not a key of fill_keys.csv",
                    "use a derive: or doc: key listed in catalog/fill_keys.csv (catalog/README.md explains each)")
        elif family in ("rated", "sub_measure", "declaration") and wording and fill not in wording:
            problem("form_layout.csv", line, "fill", f"{fill!r} names no catalogue row",
                    f"use an id of the {family} catalogue (catalog/README.md)")
        elif family == "controls" and wording and f"rated:{key}" not in wording:
            problem("form_layout.csv", line, "fill", f"{fill!r} names no rated item", "use a rated_item_id of "
                    "catalog/rated_items.csv")
        elif family == "other_risk" and key not in stage_names | {"other"}:
            problem("form_layout.csv", line, "fill", f"{fill!r} names no stage", f"use one of "
                    f"{', '.join(sorted(stage_names))} or other")
        if row["ref"] and wording and row["ref"] not in wording:
            problem("form_layout.csv", line, "ref", f"{row['ref']!r} names no catalogue row",
                    "use stage:, risk:, rated:, sub_measure: or declaration: with an id of that catalogue")
    return out


@functools.lru_cache(maxsize=8)
def _checked(stamp: tuple[tuple[str, int, int], ...]) -> tuple[str, ...]:
    # keyed on the files' paths, sizes and times: checked once per version of the files (form_layout and bands
    # are called often), again when a file is corrected
    texts = tuple(catalog_file(name).read_text(encoding="utf-8") for name in _LAYOUT_FILES)
    return tuple(_check_layout_files(texts))


def layout_problems() -> list[str]:
    """Every problem of the layout tables a user may correct: ``form_layout.csv``, ``bands.csv``, ``choice_sets.csv``.

    Each located as ``catalog/FILE:LINE: column: message (hint: …)``: an ``item_id`` repeated, a ``parent`` that
    is no earlier item, an ``order`` that is no whole number or repeats, a ``kind``, ``repeat`` or ``choice_set``
    unknown (a choice item's <選択肢> would vanish), a ``fill`` outside the vocabulary or not in
    ``fill_keys.csv``, a ``ref`` naming no catalogue row; a band edge that is no whole number (``1万``) or bands
    with gaps or overlaps; a choice without set or label, or repeated. :func:`form_layout` and :func:`bands`
    raise them all at once as :class:`~pia_analysis.catalog.CatalogProblems`.

    Returns
    -------
    list of str
        The problems, by file and line; empty when the tables are sound.

    Examples
    --------
    >>> from pia_analysis.catalog.layout import layout_problems
    >>> layout_problems()
    []
    """
    stamp = []
    for name in _LAYOUT_FILES:
        path = str(catalog_file(name))
        try:
            info = os.stat(path)
            stamp.append((path, info.st_size, info.st_mtime_ns))
        except OSError:  # pragma: no cover - a package not on a file system (a zip): read each time
            stamp.append((path, -1, time.monotonic_ns()))
    return list(_checked(tuple(stamp)))


def _raise_layout_problems() -> None:
    if problems := layout_problems():
        raise CatalogProblems(problems)


def form_layout(form: str) -> pd.DataFrame:
    """The sections and items of one assessment form in the form's order (``catalog/form_layout.csv``).

    A row whose ``label_ja`` is empty takes its wording from the catalogue row its ``ref`` names (``stage:``,
    ``risk:``, ``rated:``, ``sub_measure:``, ``declaration:``), so Section Ⅲ's risks and sub-measures are worded
    in one place; a rated or sub-measure row without a ``choice_set`` takes the catalogue's.

    Parameters
    ----------
    form
        ``"full"`` (全項目評価書, 様式4), ``"focused"`` (重点項目評価書, 様式3) or ``"basic"`` (基礎項目評価書, 様式2).

    Returns
    -------
    pandas.DataFrame
        One row per item in order: ``form``, ``item_id`` (``full.II.3.1`` …), ``parent`` (an ``item_id`` or
        ``""``), ``order`` (int), ``section`` (表紙, Ⅰ, 別添1 …), ``number`` (as printed: 1, ①, リスク1; ``{n}``
        where a repeated block is numbered), ``label_ja``, ``label_en``, ``kind`` (heading, text, choice,
        multi_choice, band, date, rated, sub_measure, check, table, repeat), ``choice_set`` (a set of
        ``choice_sets.csv``, a band set of :func:`bands`, or ``record_item_categories``), ``repeat`` (file,
        outsourcing, recipient, system, change or ``""``), ``fill`` (what fills it, ``""`` for a heading),
        ``ref``, ``optional`` (bool: a row the reference marks uncertain, shown only when answered),
        ``source``, ``confidence``, ``form_version``, ``note``.

    Raises
    ------
    ValueError
        When ``form`` is not one of :data:`FORMS`.
    CatalogError
        When a column is missing, an ``item_id`` repeats, a parent is not an earlier row of the form, orders
        repeat or a ``ref`` names no catalogue row.

    Examples
    --------
    >>> from pia_analysis.catalog.layout import form_layout
    >>> full = form_layout("full").set_index("item_id")
    >>> full.loc["full.II.2.2", ["number", "label_ja", "kind", "choice_set", "fill"]].tolist()
    ['②', '対象となる本人の数', 'band', 'population', 'derive:file_records']
    >>> full.loc["full.III.use-2.user-auth", ["label_ja", "choice_set"]].tolist()
    ['ユーザ認証の管理', 'done']
    >>> form_layout("basic")["section"].unique().tolist()
    ['表紙', 'Ⅰ', 'Ⅱ', 'Ⅲ', 'Ⅳ', '変更箇所']
    """
    if form not in FORMS:
        raise ValueError(f"form {form!r} is not one of {', '.join(FORMS)}")
    _raise_layout_problems()
    table = read_table("form_layout.csv")
    _missing(table, _LAYOUT_COLUMNS, "form_layout.csv")
    rows = table.loc[table["form"] == form, _LAYOUT_COLUMNS].reset_index(drop=True)
    problems = []
    if dup := sorted(set(table.loc[table["item_id"].duplicated(), "item_id"])):
        problems.append(f"repeated item_id {', '.join(dup)}")
    seen: set[str] = set()
    for item, parent in zip(rows["item_id"], rows["parent"]):
        if parent and parent not in seen:
            problems.append(f"{item}: parent {parent!r} is not an earlier item of the form")
        seen.add(item)
    if not rows["order"].str.isdigit().all() or rows["order"].duplicated().any():
        problems.append(f"{form}: order must be whole numbers, unique within the form")
    wording = _wording()
    for item, ref in zip(rows["item_id"], rows["ref"]):
        if ref and ref not in wording:
            problems.append(f"{item}: ref {ref!r} names no catalogue row")
    if problems:
        raise CatalogError("catalog/form_layout.csv: " + "; ".join(problems))
    for i, ref in enumerate(rows["ref"]):
        if not ref:
            continue
        label_ja, label_en, number, choice_set = wording[ref]
        if not rows.at[i, "label_ja"]:
            rows.at[i, "label_ja"], rows.at[i, "label_en"] = label_ja, label_en
        if not rows.at[i, "number"]:
            rows.at[i, "number"] = number
        if not rows.at[i, "choice_set"] and rows.at[i, "kind"] in ("rated", "sub_measure"):
            rows.at[i, "choice_set"] = choice_set
    # a rated row without a ref ("リスクへの対策は十分か") takes the set of the rated item it fills
    for i in rows.index[(rows["kind"] == "rated") & (rows["choice_set"] == "")]:
        rows.at[i, "choice_set"] = wording.get(rows.at[i, "fill"], ("", "", "", ""))[3]
    rows["order"] = rows["order"].astype(int)
    rows["optional"] = rows["optional"].str.lower().eq("true")
    return rows.sort_values("order", kind="stable").reset_index(drop=True)


def _threshold_edges(what: str) -> list[tuple[int, int | None]]:
    """The [lower, upper) edges of thresholds.csv's population bands or handlers threshold."""
    table = read_table("thresholds.csv")
    if what == "population":
        pairs = sorted({(int(lo), int(hi) + 1 if hi else None)  # population_max is inclusive
                        for lo, hi in zip(table["population_min"], table["population_max"])})
        return pairs
    if what == "handlers":
        cuts = sorted({int(h) for h in table["handlers_min"] if h})
        lows = [0, *cuts]
        return list(zip(lows, [*cuts, None]))
    raise CatalogError(f"catalog/bands.csv: edges_from thresholds.csv:{what} is neither population nor handlers")


def bands(band_set: str) -> pd.DataFrame:
    """The bands of one of the forms' count items (``catalog/bands.csv``), in the form's order.

    Each band holds the values ``lower <= value < upper`` (``upper`` empty: no upper end). The 基礎項目評価書's
    対象人数 and 取扱者数 take their edges from ``thresholds.csv`` (``edges_from``), the one place of the
    threshold edges, so the bands and the threshold judgment cannot disagree. A band without edges (保管期間
    定められていない) is the label of a value that is not set.

    Parameters
    ----------
    band_set
        ``population`` (対象となる本人の数), ``users`` (使用者数), ``record_items`` (記録される項目),
        ``retention`` (保管期間, years), ``basic_population`` (基礎 対象人数) or ``basic_handlers`` (基礎 取扱者数).

    Returns
    -------
    pandas.DataFrame
        Columns ``band_set``, ``order`` (int), ``label_ja``, ``label_en``, ``lower`` and ``upper`` (Int64;
        ``<NA>`` for an open end or a band without edges), ``interval`` (``[lower, upper)``), ``edges_from``,
        ``unit``, ``source``, ``confidence``, ``form_version``, ``note``.

    Raises
    ------
    ValueError
        When ``band_set`` is not a band set of the table.
    CatalogError
        When a column is missing, the edges of ``thresholds.csv`` do not match the number of bands, or the bands
        do not cover 0 to no end without gaps or overlaps.

    Examples
    --------
    >>> from pia_analysis.catalog.layout import bands
    >>> b = bands("basic_population")
    >>> b[["label_ja", "lower", "upper"]].iloc[-2:].values.tolist()
    [['10万人以上30万人未満', 100000, 300000], ['30万人以上', 300000, <NA>]]
    """
    _raise_layout_problems()
    table = read_table("bands.csv")
    _missing(table, _BAND_COLUMNS, "bands.csv")
    if band_set not in set(table["band_set"]):
        raise ValueError(f"band set {band_set!r} is not one of {', '.join(dict.fromkeys(table['band_set']))}")
    rows = table.loc[table["band_set"] == band_set, _BAND_COLUMNS].reset_index(drop=True)
    rows["order"] = rows["order"].astype(int)
    rows = rows.sort_values("order", kind="stable").reset_index(drop=True)
    where = f"catalog/bands.csv: {band_set}"
    sources = set(rows["edges_from"])
    if sources != {""}:
        if len(sources) != 1 or not next(iter(sources)).startswith("thresholds.csv:"):
            raise CatalogError(f"{where}: edges_from must be one thresholds.csv:… for the whole set")
        edges = _threshold_edges(next(iter(sources)).split(":", 1)[1])
        if len(edges) != len(rows):
            raise CatalogError(f"{where}: {len(rows)} bands but thresholds.csv gives {len(edges)}")
        rows["lower"] = [str(lo) for lo, _ in edges]
        rows["upper"] = [str(hi) if hi is not None else "" for _, hi in edges]
    for column in ("lower", "upper"):
        rows[column] = pd.array([int(v) if v else None for v in rows[column]], dtype="Int64")
    ranged = rows.loc[rows["interval"] != ""]
    expected_lower = 0
    for lower, upper in zip(ranged["lower"], ranged["upper"]):
        if expected_lower is None or pd.isna(lower) or lower != expected_lower:
            raise CatalogError(f"{where}: bands must run from 0 upwards without gaps or overlaps")
        expected_lower = None if pd.isna(upper) else int(upper)
    if expected_lower is not None:
        raise CatalogError(f"{where}: the last band must have no upper end")
    return rows


def band_of(band_set: str, value: float | None, lang: str = "ja") -> str:
    """The band label of a count or a number of years: the band with ``lower <= value < upper``.

    Parameters
    ----------
    band_set
        A band set of :func:`bands` (``population``, ``users``, ``record_items``, ``retention`` …).
    value
        The count (people, items) or years; ``None`` for a value that is not set, which only a set with a band
        without edges (保管期間 定められていない) has a label for.
    lang
        ``"ja"`` (the form's words) or ``"en"``.

    Returns
    -------
    str
        The band's label.

    Raises
    ------
    ValueError
        When the value is negative or not a number, or ``None`` where the set has no band for it, or the set
        is unknown.

    Examples
    --------
    >>> from pia_analysis.catalog.layout import band_of
    >>> band_of("population", 9_999), band_of("population", 10_000), band_of("population", 932_000)
    ('1万人未満', '1万人以上10万人未満', '10万人以上100万人未満')
    >>> band_of("retention", 5), band_of("retention", None), band_of("users", 1_000, lang="en")
    ('5年', '定められていない', '1,000 or more')
    """
    table = bands(band_set)
    column = "label_en" if lang == "en" else "label_ja"
    if value is None:
        unset = table.loc[table["interval"] == "", column]
        if unset.empty:
            raise ValueError(f"band set {band_set!r} has no band for a value that is not set")
        return str(unset.iloc[0])
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value) or value < 0:
        raise ValueError(f"{value!r} is not a count or a number of years (a number >= 0)")
    for label, lower, upper in zip(table[column], table["lower"], table["upper"]):
        if not pd.isna(lower) and lower <= value and (pd.isna(upper) or value < upper):
            return str(label)
    raise CatalogError(f"catalog/bands.csv: {band_set}: no band holds {value!r}")  # bands() checked the cover


def record_item_categories() -> pd.DataFrame:
    """The categories of the form's 主な記録項目 and their items, with the keywords that match a file's items.

    Read from ``record_item_categories.csv``: 識別情報 (個人番号 …), 連絡先等情報 (4情報 …) and 業務関係情報
    (国税関係 … その他), in the form's order.

    Returns
    -------
    pandas.DataFrame
        Columns ``item_id`` (our short id), ``order`` (int), ``category_ja``, ``category_en``, ``item_ja`` (the
        form's words), ``item_en``, ``keywords_ja`` and ``keywords_en`` (lists; empty for その他, the item of
        what no keyword matches), ``source``, ``confidence``, ``form_version``, ``note``.

    Raises
    ------
    CatalogError
        When a column is missing or an ``item_id`` repeats.

    Examples
    --------
    >>> from pia_analysis.catalog.layout import record_item_categories
    >>> cats = record_item_categories()
    >>> cats["category_ja"].unique().tolist()
    ['識別情報', '連絡先等情報', '業務関係情報']
    >>> cats.set_index("item_id").at["pension", "keywords_ja"]
    ['年金', '国民年金']
    """
    table = read_table("record_item_categories.csv")
    _missing(table, _CATEGORY_COLUMNS, "record_item_categories.csv")
    if table["item_id"].duplicated().any():
        raise CatalogError("catalog/record_item_categories.csv: repeated item_id")
    out = table[_CATEGORY_COLUMNS].copy()
    out["order"] = out["order"].astype(int)
    for column in ("keywords_ja", "keywords_en"):
        out[column] = [[k.strip() for k in cell.split(";") if k.strip()] for cell in out[column]]
    return out.sort_values("order", kind="stable").reset_index(drop=True)


def _normal(text: str) -> str:
    # NFKC folds full-width digits and brackets (４情報, （）) into the ASCII ones; casefold the English words
    return unicodedata.normalize("NFKC", text).casefold()


def record_item_category(item: str) -> str:
    """The 主な記録項目 a record item of a file belongs to: the item whose longest keyword the text contains.

    The longest keyword wins, so 医療保険関係情報 is 医療保険関係 (keyword 医療保険), not 健康・医療関係 (医療), and
    住民票コード is an internal identifier, not other resident-record information; a tie goes to the earlier
    item of the table. Text and keywords are compared after NFKC folding and case folding.

    Parameters
    ----------
    item
        One record item as a model's ``files.csv`` ``items`` lists it.

    Returns
    -------
    str
        The ``item_id`` of :func:`record_item_categories`; ``other`` (その他) when no keyword matches.

    Examples
    --------
    >>> from pia_analysis.catalog.layout import record_item_category
    >>> [record_item_category(t) for t in ["個人番号", "４情報（氏名・性別・生年月日・住所）", "医療保険関係情報",
    ...                                    "住民票コード", "Pension records", "通知カードの様式"]]
    ['my_number', 'four_items', 'health_insurance', 'internal_number', 'pension', 'other']
    """
    text = _normal(item)
    best, best_len = "other", 0
    for item_id, ja, en in zip(*(record_item_categories()[c] for c in ("item_id", "keywords_ja", "keywords_en"))):
        for keyword in (*ja, *en):
            if len(keyword) > best_len and _normal(keyword) in text:
                best, best_len = item_id, len(keyword)
    return best
