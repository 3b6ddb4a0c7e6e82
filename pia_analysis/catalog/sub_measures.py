"""The packaged sub-measures of Section Ⅲ and their choice sets (``sub_measures.csv``, ``choice_sets.csv``).

Each risk of the 全項目評価書 Ⅲ (and the 委託 block as a whole) lists fixed sub-measures: some answered by a
choice (ユーザ認証の管理 [行っている / 行っていない]) with an attached free text (具体的な管理方法), some free
text only (…の措置の内容). They are data: correct them in the CSV files, not here.
"""

from __future__ import annotations

__all__ = ["sub_measure_catalog", "sub_measure_stage"]

import pandas as pd

from . import CatalogError, choice_sets, derived_table, read_table, risk_catalog, stages

_SUB_COLUMNS = ["sub_measure_id", "rated_item", "order", "number", "label_ja", "label_en", "kind", "choice_set",
                "detail_label_ja", "source", "confidence", "form_version", "note"]
_KINDS = ("choice", "text")


def sub_measure_stage(rated_item: str) -> str:
    """The stage code of a rated item: ``use-2`` → ``use``, ``outsource`` → ``outsource``.

    Parameters
    ----------
    rated_item
        A rated item id (``<stage>-<n>``, or ``outsource`` for the 委託 block).

    Returns
    -------
    str
        The stage code.

    Examples
    --------
    >>> from pia_analysis.catalog.sub_measures import sub_measure_stage
    >>> sub_measure_stage("retain-1"), sub_measure_stage("outsource")
    ('retain', 'outsource')
    """
    return rated_item.rsplit("-", 1)[0] if "-" in rated_item else rated_item


def sub_measure_catalog() -> pd.DataFrame:
    """The packaged sub-measures of Section Ⅲ (``catalog/sub_measures.csv``) in the form's order.

    Returns
    -------
    pandas.DataFrame
        One row per sub-measure: ``sub_measure_id`` (``<rated item>.<name>``), ``rated_item`` (the risk id,
        or ``outsource`` for the 委託 block, rated once), ``stage``, ``stage_no`` (int, the item of Ⅲ),
        ``order`` (int), ``number`` (①… where the form numbers them), ``label_ja`` (the form's wording),
        ``label_en``, ``form_item_ja`` (the form item, e.g. ``Ⅲ 3 リスク2 ユーザ認証の管理``), ``kind``
        (``choice`` or ``text``: a 「…の内容」 row answered by free text only),
        ``choice_set`` (of :func:`choice_sets`; empty for text), ``choices`` (tuple of the set's ``label_ja``),
        ``detail_label_ja`` (the free text attached to a choice: 具体的な方法, 手順の内容 …), ``source``,
        ``confidence``, ``form_version``, ``note``.

    Raises
    ------
    CatalogError
        When a column is missing, an id repeats, a kind is not ``choice``/``text``, a choice row names no
        known set (or a text row names one), or a rated item names no risk or stage of the catalogue.

    Examples
    --------
    >>> from pia_analysis.catalog.sub_measures import sub_measure_catalog
    >>> t = sub_measure_catalog().set_index("sub_measure_id")
    >>> t.at["use-2.user-auth", "label_ja"], t.at["use-2.user-auth", "choices"]
    ('ユーザ認証の管理', ('行っている', '行っていない'))
    >>> t.at["retain-1.serious-incident", "number"]
    '⑨'
    """
    # worked out on every model load (checks): kept until one of its files changes
    return derived_table("sub_measures", ("sub_measures.csv", "choice_sets.csv", "section3_risks.csv",
                                          "stages.csv"), _build_sub_measures)


def _build_sub_measures() -> pd.DataFrame:
    table = read_table("sub_measures.csv")
    missing = [c for c in _SUB_COLUMNS if c not in table.columns]
    if missing:
        raise CatalogError(f"catalog/sub_measures.csv: missing column(s) {', '.join(missing)}")
    sets = choice_sets()
    labels = {name: tuple(group.sort_values("order")["label_ja"]) for name, group in sets.groupby("choice_set")}
    risks = set(risk_catalog()["risk_id"])
    stage_no = stages().set_index("stage")["stage_no"]
    problems = []
    for line, row in enumerate(table.to_dict("records"), start=2):
        if row["kind"] not in _KINDS:
            problems.append(f"line {line}: kind {row['kind']!r} is not choice or text")
        elif (row["kind"] == "choice") != bool(row["choice_set"]) or (row["choice_set"] and row["choice_set"]
                                                                       not in labels):
            problems.append(f"line {line}: {row['sub_measure_id']}: a choice row names a set of choice_sets.csv, "
                            f"a text row none (choice_set {row['choice_set']!r})")
        if row["rated_item"] not in risks and row["rated_item"] not in stage_no.index:
            problems.append(f"line {line}: rated_item {row['rated_item']!r} is neither a risk nor a stage")
    if dup := sorted(set(table.loc[table["sub_measure_id"].duplicated(), "sub_measure_id"])):
        problems.append(f"repeated sub_measure_id {', '.join(dup)}")
    if problems:
        raise CatalogError("catalog/sub_measures.csv: " + "; ".join(problems))
    out = table[_SUB_COLUMNS].copy()
    out["order"] = out["order"].astype(int)
    out.insert(2, "stage", out["rated_item"].map(sub_measure_stage))
    out.insert(3, "stage_no", out["stage"].map(stage_no).astype(int))
    out.insert(out.columns.get_loc("choice_set") + 1, "choices", out["choice_set"].map(lambda s: labels.get(s, ())))
    risk_no = risk_catalog().set_index("risk_id")["risk_no"]
    short = stages().set_index("stage")["short_ja"]
    # the form item as (別添3) 変更箇所 names it: Ⅲ 3 リスク2 ユーザ認証の管理; the 委託 block has no リスク number
    out.insert(out.columns.get_loc("label_en") + 1, "form_item_ja", [
        f"Ⅲ {no} " + (f"リスク{risk_no[item]} " if item in risk_no.index else f"{short[stage]} ") + f"{number}{label}"
        for no, item, stage, number, label in zip(out["stage_no"], out["rated_item"], out["stage"], out["number"],
                                                   out["label_ja"])])
    return out.sort_values("order", kind="stable").reset_index(drop=True)
