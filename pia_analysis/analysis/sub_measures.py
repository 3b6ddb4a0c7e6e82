"""The sub-measures of Section Ⅲ as the model answers them: answered, unanswered (never guessed), or 対象外.

The sub-measures are the packaged catalogue (``catalog/sub_measures.csv``); the answers are the model's
optional ``sub_measures.csv``; controls name the sub-measures they implement (``controls.csv``
``sub_measures``). See ``docs/sub-measures.md``.
"""

from __future__ import annotations

__all__ = ["NOT_APPLICABLE_JA", "SUB_MEASURE_COLUMNS", "UNANSWERED_JA", "sub_measure_answers"]

import pandas as pd

from .. import catalog
from ..catalog.sub_measures import sub_measure_catalog
from ..model.model import Model, require_model

#: What an unanswered sub-measure shows in ``answer``: it is never guessed.
UNANSWERED_JA = "未回答"
#: What a sub-measure of a stage the model declares out (委託しない …) shows in ``answer``.
NOT_APPLICABLE_JA = "対象外"

SUB_MEASURE_COLUMNS = ["sub_measure_id", "rated_item", "stage", "stage_no", "number", "label_ja", "label_en",
                       "form_item_ja", "kind", "choices", "answer", "detail_label_ja", "detail", "status", "controls",
                       "source", "confidence"]

def sub_measure_answers(model: Model) -> pd.DataFrame:
    """Every packaged sub-measure of Section Ⅲ with the model's answer, or 未回答, or 対象外.

    Parameters
    ----------
    model
        A loaded model.

    Returns
    -------
    DataFrame
        One row per sub-measure of the catalogue (form order): ``sub_measure_id``, ``rated_item``,
        ``stage``, ``stage_no``, ``number`` (①… where the form numbers them), ``label_ja``, ``label_en``,
        ``form_item_ja``, ``kind`` (``choice`` / ``text``), ``choices`` (the choices joined by `` / ``),
        ``answer`` (the model's choice; ``未回答`` when the model does not answer it; ``対象外`` for a stage it
        declares out; empty for an answered text sub-measure, whose text is ``detail``), ``detail_label_ja``,
        ``detail`` (the text the model writes; for 対象外 the declaration), ``status`` (``answered`` /
        ``unanswered`` / ``not_applicable``), ``controls`` (list of the control ids naming the sub-measure, in
        ``controls.csv`` order), ``source`` (of the answer) and ``confidence`` (of the catalogue row). No
        value is ever guessed or NaN.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, sub_measure_answers
    >>> t = sub_measure_answers(load_model(bundled_model_path())).set_index("sub_measure_id")
    >>> t.at["retain-1.nisc", "answer"], t.at["retain-1.nisc", "status"]
    ('未回答', 'unanswered')
    """
    require_model(model, "sub_measure_answers")
    cat = sub_measure_catalog()
    answers = {row["sub_measure_id"]: row for row in model.sub_measures.to_dict("records")}
    named: dict[str, list[str]] = {}
    if "sub_measures" in model.controls.columns:
        for cid, ids in zip(model.controls["control_id"], model.controls["sub_measures"]):
            for sid in ids or []:
                named.setdefault(sid, []).append(str(cid))
    # the items each declaration puts out of scope are the rated items' ``declared_by`` (catalog/rated_items.csv)
    declared = set(model.declared_not_applicable)
    words = catalog.stage_declarations().set_index("declaration")["label_ja"].to_dict()
    out_of_scope = {item: f"{words[by]}（model.yaml declared_not_applicable: {by}）"
                    for item, by in zip(model.rated_items["rated_item_id"], model.rated_items["declared_by"])
                    if by in declared}
    rows = []
    for item in cat.to_dict("records"):
        sid = item["sub_measure_id"]
        given = answers.get(sid)
        if item["rated_item"] in out_of_scope:
            answer, detail, status, source = NOT_APPLICABLE_JA, out_of_scope[item["rated_item"]], "not_applicable", ""
        elif given is None:
            answer, detail, status, source = UNANSWERED_JA, "", "unanswered", ""
        else:
            answer, detail, status = str(given.get("answer") or ""), str(given.get("detail") or ""), "answered"
            source = str(given.get("source") or "")
        rows.append({**{c: item[c] for c in ("sub_measure_id", "rated_item", "stage", "stage_no", "number",
                                               "label_ja", "label_en", "form_item_ja", "kind", "detail_label_ja",
                                               "confidence")},
                     "choices": " / ".join(item["choices"]), "answer": answer, "detail": detail, "status": status,
                     "controls": named.get(sid, []), "source": source})
    return pd.DataFrame(rows, columns=SUB_MEASURE_COLUMNS)
