"""The packaged Section Ⅲ risk catalogue: the six stages and their official risk items.

The catalogue is data (``pia_analysis/catalog/*.csv``). :func:`read_table` keeps each table read, keyed on the
file's modification time and size (an edited file is read again), and hands out copies: a whole analysis reads
the same tables some 70 times, which cost more than the analysis of a small model itself (issue 17).
"""

from __future__ import annotations

__all__ = ["CATALOG_DIR", "CatalogError", "CatalogProblems", "catalog_file", "choice_sets", "rated_items",
           "read_table", "risk_catalog", "stage_declarations", "stage_label", "stages"]

import os
from collections.abc import Callable
from importlib import resources
from typing import Any

import pandas as pd

from ..util.errors import PiaError


class CatalogError(PiaError):
    """A packaged catalogue table that is not as the code expects (a packaging or editing mistake).

    Examples
    --------
    >>> from pia_analysis.catalog import CatalogError, PiaError
    >>> issubclass(CatalogError, PiaError)
    True
    """


class CatalogProblems(CatalogError):
    """Packaged catalogue tables a user corrected wrongly: every located problem found at once.

    ``problems`` lists them as ``catalog/FILE:LINE: column: message (hint: …)``, the way a model's problems
    read; the CLI prints them as a bad input (exit 1), not as an internal error.

    Examples
    --------
    >>> from pia_analysis.catalog import CatalogProblems
    >>> print(CatalogProblems(["catalog/bands.csv:3: lower: '1万' is not a whole number (hint: write digits)"]))
    1 problem(s) in the packaged catalogue:
      catalog/bands.csv:3: lower: '1万' is not a whole number (hint: write digits)
    """

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the packaged catalogue:\n{lines}")


#: Where the packaged tables are read from (:func:`read_table`): the package folder. A test may point it at a
#: copy to read corrected (or broken) tables without touching the packaged ones.
CATALOG_DIR = resources.files(__package__)

def catalog_file(name: str) -> Any:
    """The packaged table ``name`` in :data:`CATALOG_DIR` (looked up on each call, so a test may repoint it).

    Parameters
    ----------
    name
        The file name of a table in the catalogue folder (``"bands.csv"``).

    Returns
    -------
    importlib.resources.abc.Traversable
        The file, to ``open`` or ``read_text``.

    Examples
    --------
    >>> from pia_analysis.catalog import catalog_file
    >>> catalog_file("stages.csv").read_text(encoding="utf-8").split(",")[0]
    'stage'
    """
    return CATALOG_DIR.joinpath(name)


_STAGE_COLUMNS = ["stage", "stage_no", "name_ja", "short_ja", "name_en", "short_en", "source"]
_RISK_COLUMNS = ["risk_id", "stage", "stage_no", "risk_no", "name_ja", "name_en"]


def read_table(name: str) -> pd.DataFrame:
    """The packaged table ``name`` (e.g. ``"thresholds.csv"``) as text columns: a fresh copy on each call.

    The one reader of the packaged tables: :mod:`pia_analysis.analysis.findings` and
    :mod:`pia_analysis.analysis.judgments` read their tables through it.

    Parameters
    ----------
    name
        The file name of a table in the ``catalog`` package folder.

    Returns
    -------
    pandas.DataFrame
        Its rows in file order, every column ``str`` (empty cells as ``""``).

    Examples
    --------
    >>> from pia_analysis.catalog import read_table
    >>> read_table("stages.csv")["stage"].iloc[0]
    'acquire'
    """
    def _read() -> pd.DataFrame:
        with catalog_file(name).open("r", encoding="utf-8") as fh:
            return pd.read_csv(fh, dtype=str, keep_default_na=False)

    # one cache for files and what is derived from them: keyed on the file's path, time and size
    return derived_table("file:" + name, (name,), _read)


# key -> (((path, mtime_ns, size), ...), the table): see derived_table. The path is in the key because a
# test may repoint CATALOG_DIR at corrected (or broken) copies.
_DERIVED: dict[str, tuple[tuple, pd.DataFrame]] = {}


def derived_table(key: str, names: tuple[str, ...], build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """``build()``, kept until one of the catalogue files ``names`` changes (a copy handed out each time).

    For a table that is worked out from several catalogue files on every model load (checks and cross
    references included), as :func:`read_table` keeps each file: keyed on the files' paths, times and sizes,
    so a corrected catalogue (or a repointed ``CATALOG_DIR``) is read afresh.
    """
    try:
        stamp = tuple((str(catalog_file(n)), (st := os.stat(str(catalog_file(n)))).st_mtime_ns, st.st_size)
                      for n in names)
    except OSError:  # not plain files (a zipped install): build it every time
        return build()
    cached = _DERIVED.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1].copy()
    frame = build()
    _DERIVED[key] = (stamp, frame.copy())
    return frame


def stages() -> pd.DataFrame:
    """The six process stages in official order (Section Ⅲ items 2–7).

    Returns
    -------
    pandas.DataFrame
        Six rows, ``acquire`` … ``retain``; columns ``stage``, ``stage_no`` (int, 2–7: the item of Section
        Ⅲ), ``name_ja``, ``short_ja``, ``name_en``, ``short_en`` (a short English label for narrow places such
        as a terminal table: ours, as ``name_en``), ``source``.

    Raises
    ------
    CatalogError
        When the packaged table does not list the six stages in order.

    Examples
    --------
    >>> from pia_analysis.catalog import stages
    >>> stages()["short_ja"].tolist()
    ['入手', '使用', '委託', '提供・移転', '情報提供ネットワークシステムとの接続', '保管・消去']
    """
    df = read_table("stages.csv")[_STAGE_COLUMNS]
    df["stage_no"] = df["stage_no"].astype(int)
    # The stage codes themselves are the model's (model.schema.STAGES, checked against this table by
    # tests/test_layers.py); the catalogue, a layer below the model, checks its own order.
    if df["stage_no"].tolist() != list(range(2, 8)):  # Section Ⅲ items 2–7
        raise CatalogError("catalog/stages.csv must list the six stages in order")
    return df.reset_index(drop=True)


def risk_catalog() -> pd.DataFrame:
    """The packaged risk items, ``risk_id`` = ``<stage>-<n>``, in official order.

    Returns
    -------
    pandas.DataFrame
        One row per risk item; columns ``risk_id``, ``stage``, ``stage_no`` (int), ``risk_no`` (int, within
        the stage), ``name_ja`` (the official name), ``name_en`` (our translation).

    Examples
    --------
    >>> from pia_analysis.catalog import risk_catalog
    >>> risk_catalog().set_index("risk_id").loc["outsource-5", "name_ja"]
    '再委託に関するリスク'
    """
    df = read_table("section3_risks.csv")[_RISK_COLUMNS]
    df["stage_no"] = df["stage_no"].astype(int)
    df["risk_no"] = df["risk_no"].astype(int)
    return df.reset_index(drop=True)


def stage_label(stage: str, lang: str = "ja", short: bool = True) -> str:
    """The label of a stage code in Japanese (official short name by default) or English.

    Parameters
    ----------
    stage
        A stage code, e.g. ``"outsource"``.
    lang
        ``"ja"`` or ``"en"``.
    short
        In Japanese, the short name (``委託``) rather than the full one.

    Returns
    -------
    str
        The label.

    Raises
    ------
    KeyError
        When ``stage`` is not a stage code.

    Examples
    --------
    >>> from pia_analysis.catalog import stage_label
    >>> stage_label("outsource"), stage_label("retain", short=False)
    ('委託', '特定個人情報の保管・消去')
    """
    row = stages().set_index("stage").loc[stage]
    if lang == "en":
        return str(row["name_en"])
    return str(row["short_ja"] if short else row["name_ja"])


def rated_items() -> pd.DataFrame:
    """The rated items of the form: each 「リスクへの対策は十分か」 of Section Ⅲ and each rated item of Ⅳ.

    A rated item is the unit of a self-rating (``ratings.csv``'s ``risk_id``): each risk of Section Ⅲ, except
    the five outsourcing risks, which the form rates together as one block (``outsource``), and the three
    rated items of Section Ⅳ (``self-check``, ``audit``, ``training``). Read from ``rated_items.csv``.

    Returns
    -------
    pandas.DataFrame
        One row per rated item in the form's order; columns ``rated_item_id``, ``section`` (``Ⅲ``/``Ⅳ``),
        ``stage`` (a stage code; ``""`` for Ⅳ), ``item_no`` (int), ``form_item_ja``, ``name_ja``, ``name_en``,
        ``risks`` (list of the risk ids it rates), ``choice_set``, ``declared_by`` (the stage declaration that
        puts it out of scope, ``""`` for none), ``source``, ``confidence``, ``form_version``.

    Raises
    ------
    CatalogError
        When a rated item names a risk the catalogue lacks, or a risk is rated twice.

    Examples
    --------
    >>> from pia_analysis.catalog import rated_items
    >>> items = rated_items().set_index("rated_item_id")
    >>> items.loc["outsource", "risks"]
    ['outsource-1', 'outsource-2', 'outsource-3', 'outsource-4', 'outsource-5']
    >>> items.loc["training", ["section", "choice_set"]].tolist()
    ['Ⅳ', 'section4_rating']
    """
    df = read_table("rated_items.csv")
    df["item_no"] = df["item_no"].astype(int)
    df["risks"] = df["risks"].str.split()
    section3 = [r for risks, sec in zip(df["risks"], df["section"]) if sec == "Ⅲ" for r in risks]
    if sorted(section3) != sorted(risk_catalog()["risk_id"]):
        raise CatalogError("catalog/rated_items.csv must rate each risk of section3_risks.csv exactly once")
    return df.reset_index(drop=True)


def choice_sets() -> pd.DataFrame:
    """The choice sets of the form (the self-ratings of Ⅲ and Ⅳ, …), read from ``choice_sets.csv``.

    Returns
    -------
    pandas.DataFrame
        One row per choice, by set and order; columns ``choice_set``, ``order`` (int), ``label_ja`` (the form's
        wording, what a model writes), ``label_en``, ``favourable_rank`` (Int64, 1 = most favourable: a higher
        rank is a worse answer; ``<NA>`` for a choice that is not a level of the measure, e.g. 政府機関ではない,
        or a set that reports a fact, ⑨ and ⑩), ``sufficient`` (bool: the choice claims the measures are
        enough; False where the set has no such meaning), ``aliases`` (list of the English spellings a model
        may write instead; empty for most sets), ``multiple`` (bool: more than one choice may be ticked, as in
        入手元), ``source``, ``confidence``, ``form_version``.

    Raises
    ------
    CatalogError
        When a column is missing or a rank is not a whole number.

    Examples
    --------
    >>> from pia_analysis.catalog import choice_sets
    >>> sets = choice_sets()
    >>> sets.loc[sets["choice_set"] == "section4_rating", "label_ja"].tolist()
    ['特に力を入れて行っている', '十分に行っている', '十分に行っていない']
    """
    df = read_table("choice_sets.csv")
    missing = [c for c in _CHOICE_COLUMNS if c not in df.columns]
    if missing:
        raise CatalogError(f"catalog/choice_sets.csv: missing column(s) {', '.join(missing)}")
    bad = [r for r in df["favourable_rank"] if r and not r.isdigit()]
    if bad:
        raise CatalogError(f"catalog/choice_sets.csv: favourable_rank {bad[0]!r} is not a whole number or empty")
    df["order"] = df["order"].astype(int)
    df["favourable_rank"] = pd.array([int(r) if r else None for r in df["favourable_rank"]], dtype="Int64")
    df["sufficient"] = df["sufficient"].str.lower().eq("true")
    df["aliases"] = df["aliases"].str.split()
    df["multiple"] = df["multiple"].str.lower().eq("true")
    return df.reset_index(drop=True)


_CHOICE_COLUMNS = ["choice_set", "order", "label_ja", "label_en", "favourable_rank", "sufficient", "aliases",
                   "multiple", "source", "confidence", "form_version"]


def stage_declarations() -> pd.DataFrame:
    """The form's check boxes that declare a stage not applicable (委託しない …), read from ``stage_declarations.csv``.

    Returns
    -------
    pandas.DataFrame
        Columns ``declaration`` (the id a model lists in ``declared_not_applicable``), ``stage``, ``label_ja``
        (the form's words), ``label_en``, ``source``, ``confidence``, ``form_version``.

    Examples
    --------
    >>> from pia_analysis.catalog import stage_declarations
    >>> stage_declarations().set_index("declaration").loc["network_acquire", "label_ja"]
    '接続しない（入手）'
    """
    return read_table("stage_declarations.csv").reset_index(drop=True)
