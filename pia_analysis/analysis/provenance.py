"""Provenance: where each fact of a model comes from (its ``source``), and the facts nobody can trace."""

from __future__ import annotations

__all__ = ["provenance", "unsourced_rows"]

import pandas as pd

from ..model.model import Model, require_model
from ..model.schema import TABLE_BY_NAME

# the column of each table that says where a row comes from
_SOURCE_COLUMNS = (("zones", "source"), ("systems", "source"), ("files", "source"), ("flows", "source_ref"),
                   ("controls", "source"))


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
