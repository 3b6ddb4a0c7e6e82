"""Provenance: where each fact of a model comes from (its ``source``), and the facts nobody can trace."""

from __future__ import annotations

__all__ = ["ASSUMPTION_PREFIX", "assumed_rows", "open_questions", "provenance", "unsourced_rows"]

import pandas as pd

from ..model.model import Model, require_model
from ..model.organisation import organisation_kind
from ..model.schema import TABLE_BY_NAME

# the column of each table that says where a row comes from
_SOURCE_COLUMNS = (("zones", "source"), ("systems", "source"), ("files", "source"), ("flows", "source_ref"),
                   ("controls", "source"))
# A rating's source is optional (the 評価書 is its source): only an explicit assumption marks it.
_ASSUMABLE_COLUMNS = (*_SOURCE_COLUMNS, ("ratings", "source"))


def unsourced_rows(model: Model) -> pd.DataFrame:
    """Rows whose ``source`` (``source_ref`` for flows) is empty: facts nobody can trace.

    Parameters
    ----------
    model
        A loaded model.

    Returns
    -------
    DataFrame
        Columns ``table, id`` (the table's name and the row's key), sorted by table and id; empty when
        every row is sourced.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, unsourced_rows
    >>> len(unsourced_rows(load_model(bundled_model_path())))
    0
    """
    require_model(model, "unsourced_rows")
    out = []
    for name, col in _SOURCE_COLUMNS:
        frame = getattr(model, name)
        key = TABLE_BY_NAME[name].key
        for key_value in frame.loc[frame[col].str.strip() == "", key]:
            out.append((name, key_value))
    return pd.DataFrame(sorted(out), columns=["table", "id"])


def provenance(model: Model) -> pd.DataFrame:
    """How each table's rows are sourced: rows citing a document, rows resting only on an assumption.

    A row is *assumption only* when its source starts with ``assumption:``; it *cites a document* otherwise;
    ``with_assumption`` counts rows that mention an assumption anywhere (a cited fact plus an assumed number).

    Parameters
    ----------
    model
        A loaded model.

    Returns
    -------
    DataFrame
        Indexed by ``table`` (zones, systems, files, flows, controls); ``int64`` counts of ``rows``,
        ``cites_document``, ``assumption_only``, ``with_assumption`` and ``unsourced``.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, provenance
    >>> provenance(load_model(bundled_model_path())).loc["files", "rows"]
    np.int64(3)
    """
    require_model(model, "provenance")
    rows = []
    for name, col in _SOURCE_COLUMNS:
        src = getattr(model, name)[col].str.strip()
        assumption_only = src.str.startswith("assumption")
        rows.append({
            "table": name,
            "rows": len(src),
            "cites_document": int((~assumption_only & (src != "")).sum()),
            "assumption_only": int(assumption_only.sum()),
            "with_assumption": int(src.str.contains("assumption").sum()),
            "unsourced": int((src == "").sum()),
        })
    return pd.DataFrame(rows).set_index("table")


#: The prefix of a ``source`` that rests on an assumption only (see :func:`provenance`).
ASSUMPTION_PREFIX = "assumption:"


def assumed_rows(model: Model) -> dict[str, set[str]]:
    """The rows whose ``source`` (``source_ref`` for flows) starts with ``assumption:``, by table.

    Such a row states what no document says; a finding or message whose evidence includes it rests on an
    assumption (the findings' ``assumed`` and ``assumptions`` columns, the briefing's marks).

    Parameters
    ----------
    model
        A loaded model.

    Returns
    -------
    dict of str to set of str
        Table name (zones, systems, files, flows, controls, ratings) → the keys of its assumed rows.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis import assumed_rows, bundled_model_path, load_model
    >>> "F17" in assumed_rows(load_model(bundled_model_path()))["flows"]
    True
    """
    require_model(model, "assumed_rows")
    out: dict[str, set[str]] = {}
    for name, col in _ASSUMABLE_COLUMNS:
        frame = getattr(model, name)
        key = TABLE_BY_NAME[name].key
        if col not in frame:  # a ratings table built in memory without its optional source column
            out[name] = set()
            continue
        # case and leading blanks do not matter: "Assumption: …" is as much an assumption
        mask = frame[col].str.strip().str.lower().str.startswith(ASSUMPTION_PREFIX)
        out[name] = set(frame.loc[mask, key])
    return out


def open_questions(model: Model) -> pd.DataFrame:
    """The questions to put to the city (確認事項): every control whose status is ``unknown``.

    ``unknown`` says the city could not say whether the measure is in place (the minutes' 「不明」). The
    analyses count it for nothing, like ``missing``; unlike ``missing`` it is not a known gap but a
    question, and the briefing lists it as one.

    Parameters
    ----------
    model
        A loaded model.

    Returns
    -------
    DataFrame
        One row per unknown control, in the model's order: ``control_id, name_ja, name_en, mitigates``
        (list of risk ids), ``question_ja``, ``question_en`` and ``source``.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, open_questions
    >>> open_questions(load_model(bundled_model_path()))["control_id"].tolist()
    ['C-LEAK-INSURANCE']
    """
    require_model(model, "open_questions")
    c = model.controls.loc[model.controls["status"] == "unknown"]
    rows = []
    body = organisation_kind(model.meta).the()  # "the town": the body's own word, as the briefing names it
    for r in c.itertuples(index=False):
        ja, en = str(r.name_ja or r.control_id), str(r.name_en or r.control_id)
        rows.append({"control_id": r.control_id, "name_ja": r.name_ja, "name_en": r.name_en,
                     "mitigates": list(r.mitigates),
                     "question_ja": f"「{ja}」は実施されていますか（{r.control_id}：状況が不明）。",
                     "question_en": f"Is \"{en}\" in place? ({r.control_id}: {body} could not say.)",
                     "source": r.source})
    return pd.DataFrame(rows, columns=["control_id", "name_ja", "name_en", "mitigates", "question_ja", "question_en",
                                       "source"])
