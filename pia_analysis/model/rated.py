"""Rated items: the unit of a self-rating, and how ``ratings.csv`` names them.

The form asks 「リスクへの対策は十分か」 once per risk of Section Ⅲ, except for 委託, where the five outsourcing
risks head one block with **one** rating, and asks for a rating of Section Ⅳ's 自己点検, 監査 and 従業者に対する
教育・啓発. ``catalog/rated_items.csv`` lists these items with the risks each rates and its choice set
(``catalog/choice_sets.csv``). A model's extra risk (``risks.csv``) is its own rated item, except one of the
``outsource`` stage, which joins the block.

Models written before the block existed rate ``outsource-1`` … ``outsource-5`` one by one: the readers fold
those rows into the block's rating (:func:`fold_ratings`), the least favourable when they differ, with a
located warning that says how to write it now.
"""

from __future__ import annotations

__all__ = ["fold_ratings", "normalised_rating", "rated_item_table", "rating_owner"]

from typing import Any

import pandas as pd

from .. import catalog
from .errors import Problem
from .schema import RATING_RANKS, RATING_SET_ALIASES, RATING_SETS, TableRef

#: The rated item that rates several risks together (the 委託 block): a model's extra outsource risks join it.
BLOCK_STAGE = "outsource"


def rated_item_table(risks: pd.DataFrame | None = None) -> pd.DataFrame:
    """The rated items in force: the catalogue's, then one per extra risk (an extra ``outsource`` risk joins the block).

    Parameters
    ----------
    risks
        The model's extra risks (``risks.csv``: ``risk_id``, ``stage``, ``name_ja``, ``name_en``); None for none.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`pia_analysis.catalog.rated_items` plus ``origin`` (``catalog`` or ``model``), in
        the form's order: Section Ⅲ stage by stage (an extra risk after its stage's items), then Section Ⅳ.

    Examples
    --------
    >>> import pandas as pd
    >>> from pia_analysis.model.rated import rated_item_table
    >>> extra = pd.DataFrame({"risk_id": ["use-x1", "outsource-x1"], "stage": ["use", "outsource"],
    ...                       "name_ja": ["追加", "追加2"], "name_en": ["", ""]})
    >>> items = rated_item_table(extra).set_index("rated_item_id")
    >>> int(items.loc["use-x1", "item_no"]), items.loc["outsource", "risks"][-1]
    (5, 'outsource-x1')
    """
    items = catalog.rated_items().assign(origin="catalog")
    if risks is None or risks.empty:
        return items
    items["risks"] = items["risks"].map(list)
    block = items.index[items["rated_item_id"] == BLOCK_STAGE]
    stage_no = catalog.stages().set_index("stage")["stage_no"]
    rows: list[dict[str, Any]] = []
    for risk_id, stage, name_ja, name_en in zip(risks["risk_id"], risks["stage"], risks["name_ja"],
                                                risks.get("name_en", pd.Series([""] * len(risks)))):
        if stage not in stage_no.index:
            continue  # a stage of no catalogue stage: the cell check reports it, and it rates nothing
        if stage == BLOCK_STAGE and len(block):
            items.at[block[0], "risks"] = [*items.at[block[0], "risks"], risk_id]
            continue
        same = items.loc[items["stage"] == stage]
        previous = [r for r in rows if r["stage"] == stage]
        rows.append({"rated_item_id": risk_id, "section": "Ⅲ", "stage": stage,
                     "item_no": int(same["item_no"].max() if len(same) else 0) + len(previous) + 1,
                     "form_item_ja": f"Ⅲ{stage_no[stage]}（追加）", "name_ja": name_ja, "name_en": name_en or "",
                     "risks": [risk_id], "choice_set": "section3_rating",
                     "declared_by": str(same["declared_by"].iloc[-1]) if len(same) else "",
                     "source": "risks.csv", "confidence": "", "form_version": "", "origin": "model"})
    if not rows:
        return items
    out = pd.concat([items, pd.DataFrame(rows, columns=items.columns)], ignore_index=True)
    # The form's order: Ⅲ by stage number (extras last in their stage), then Ⅳ.
    rank = out["stage"].map(stage_no).fillna(99).astype(int)
    order = sorted(range(len(out)), key=lambda i: (out.at[i, "section"], rank[i], out.at[i, "origin"] == "model", i))
    return out.iloc[order].reset_index(drop=True)


def rating_owner(items: pd.DataFrame) -> dict[str, str]:
    """Every id ``ratings.csv`` accepts → the rated item it rates: each item's own id, and each risk of a block.

    Parameters
    ----------
    items
        :func:`rated_item_table`.

    Returns
    -------
    dict of str to str
        ``{"acquire-1": "acquire-1", …, "outsource-3": "outsource", …}``.

    Examples
    --------
    >>> from pia_analysis.model.rated import rated_item_table, rating_owner
    >>> owner = rating_owner(rated_item_table())
    >>> owner["outsource-2"], owner["outsource"], owner["training"]
    ('outsource', 'outsource', 'training')
    """
    owner: dict[str, str] = {}
    for item, risks in zip(items["rated_item_id"], items["risks"]):
        owner[item] = item
        for risk in risks:
            owner.setdefault(risk, item)
    return owner


def normalised_rating(value: str, choice_set: str) -> str:
    """An English alias of ``choice_set`` as the set's Japanese label; any other value unchanged.

    Parameters
    ----------
    value
        The rating as written.
    choice_set
        The rated item's choice set (``section3_rating``, ``section4_rating``).

    Returns
    -------
    str
        The label of the set the alias names, or ``value``.

    Examples
    --------
    >>> from pia_analysis.model.rated import normalised_rating
    >>> normalised_rating("sufficient", "section4_rating"), normalised_rating("十分である", "section4_rating")
    ('十分に行っている', '十分である')
    """
    return RATING_SET_ALIASES.get(choice_set, {}).get(value, value)


def fold_ratings(frame: pd.DataFrame, items: pd.DataFrame,
                 locations: list[tuple[Any, int | None]] | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """The ratings by rated item: aliases made the item's set's labels, a block's per-risk rows folded into one.

    Rows naming a risk of a block (``outsource-1`` … of a model written for the previous version) become the
    block's row, at the place of the first; where they differ, the least favourable is taken. Each such
    row gets a warning located at its row, saying how to write it now (and, when they differ, which was
    taken). Rows naming no rated item are left as they are (the references check reports them).

    Parameters
    ----------
    frame
        ``ratings.csv`` as read (``risk_id``, ``rating``, maybe extra columns).
    items
        :func:`rated_item_table` of the model.
    locations
        The location of each row (its table or file label, and line); by default ``ratings.csv`` line *i* + 2.

    Returns
    -------
    (DataFrame, list of Problem)
        The folded ratings (a fresh ``RangeIndex``) and the warnings, neutral (the reader places them).

    Examples
    --------
    >>> import pandas as pd
    >>> from pia_analysis.model.rated import fold_ratings, rated_item_table
    >>> old = pd.DataFrame({"risk_id": ["outsource-1", "outsource-2"], "rating": ["十分である", "remaining"]})
    >>> folded, warnings = fold_ratings(old, rated_item_table())
    >>> folded.to_dict("records")
    [{'risk_id': 'outsource', 'rating': '課題が残されている'}]
    >>> print(warnings[1])  # doctest: +ELLIPSIS
    ratings.csv:3: risk_id: 'outsource-2' is rated on its own, but the form rates ... 課題が残されている, is taken ...
    """
    frame = frame.reset_index(drop=True).copy()
    if locations is None:
        locations = [(TableRef("ratings"), i + 2) for i in range(len(frame))]
    owner = rating_owner(items)
    sets = dict(zip(items["rated_item_id"], items["choice_set"]))
    names = dict(zip(items["rated_item_id"], items["form_item_ja"]))
    ids = frame["risk_id"].astype(str).tolist()
    values = [normalised_rating(str(v), sets.get(owner.get(r, ""), "")) for r, v in zip(ids, frame["rating"])]
    frame["rating"] = pd.Series(values, index=frame.index, dtype="str")
    groups: dict[str, list[int]] = {}
    for i, rid in enumerate(ids):
        item = owner.get(rid)
        if item is not None and item != rid:
            groups.setdefault(item, []).append(i)
    warnings: list[Problem] = []
    drop: list[int] = []
    for item, rows in groups.items():
        own = [i for i, rid in enumerate(ids) if rid == item]
        members = own + rows
        choices = RATING_SETS.get(sets[item], ())
        ranked = [values[i] for i in members if values[i] in choices]
        if not ranked:
            continue  # ratings outside the set: the references check reports them
        taken = max(ranked, key=lambda v: RATING_RANKS.get(v, 0))
        differ = len(set(ranked)) > 1
        for i in rows:
            message = (f"{ids[i]!r} is rated on its own, but the form rates {names[item]} once, as the rated item "
                       f"{item!r}")
            if differ:
                message += (f"; the rows of {item!r} differ ({', '.join(dict.fromkeys(ranked))}): the least "
                            f"favourable, {taken}, is taken")
            parts = ", ".join(ids[j] for j in rows)
            # with a row of the block itself, the risks' rows are the ones to remove
            hint = (f"remove the rows {parts}: the row {item} rates the whole block"
                    + (f" (make it {item},{taken})" if differ and values[own[0]] != taken else "") if own else
                    f"write one row {item},{taken} in place of the rows {parts}")
            warnings.append(Problem(*locations[i], "risk_id", message, hint))
        keep = members[0]
        frame.at[keep, "risk_id"] = item
        frame.at[keep, "rating"] = taken
        drop += members[1:]
    if drop:
        frame = frame.drop(index=drop)
    return frame.reset_index(drop=True), warnings
