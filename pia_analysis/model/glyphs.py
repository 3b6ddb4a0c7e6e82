"""Warnings for the characters of a model that no chart font has (𠮷 in a name, say).

Such a character is valid data — the tables and CSV files keep it as written — but the charts cannot draw
it: they draw 〓 in its place (:mod:`pia_analysis.charts.style`). The readers add one located warning per
cell to :attr:`Model.warnings <pia_analysis.model.model.Model>` (``systems.csv:4: name_ja: …``), so that
``validate`` says where it is before a council sees the mark.
"""

from __future__ import annotations

__all__ = ["check_glyphs"]

from collections.abc import Mapping

from ..util.glyphs import REPLACEMENT, missing_characters
from .cells import RawTable
from .errors import Problem
from .schema import TABLES, TableRef


def check_glyphs(tables: Mapping[str, RawTable | None]) -> list[Problem]:
    """One warning per text cell holding a character no chart font has, located by table, row and column.

    Parameters
    ----------
    tables
        The tables as a reader read them (table name → :class:`~pia_analysis.model.cells.RawTable`).

    Returns
    -------
    list of Problem
        The warnings, in table, row and column order (empty when every character can be drawn).

    Examples
    --------
    >>> import pandas as pd
    >>> from pia_analysis.model.cells import RawTable
    >>> from pia_analysis.model.glyphs import check_glyphs
    >>> frame = pd.DataFrame({"system_id": ["S1"], "name_ja": ["𠮷田出張所"]})
    >>> print(str(check_glyphs({"systems": RawTable(frame, [2])})[0]).split(" (hint")[0])
    systems.csv:2: name_ja: '𠮷' (U+20BB7) is in no chart font: the charts draw 〓 in its place
    """
    out: list[Problem] = []
    for table in TABLES:
        raw = tables.get(table.name)
        if raw is None or raw.frame.empty:
            continue
        frame = raw.frame
        for col in frame.columns:
            values = frame[col].tolist()
            # one look at the column's distinct texts together: most columns have every character (names
            # repeat across the municipalities of a national model); only then cell by cell, once per text
            distinct = {value for value in values if isinstance(value, str) and not value.isascii()}
            if not distinct or not missing_characters("".join(sorted(distinct))):
                continue
            known: dict[str, list[str]] = {}
            for i, value in enumerate(values):
                if not isinstance(value, str) or value.isascii():
                    continue
                if value not in known:
                    known[value] = missing_characters(value)
                missing = known[value]
                if not missing:
                    continue
                line = raw.lines[i] if i < len(raw.lines) else None
                # a row from another file (a city workspace's shared part) is located there
                place = raw.labels[i] if raw.labels is not None else TableRef(table.name)
                chars = "、".join(f"{ch!r} (U+{ord(ch):04X})" for ch in missing)
                out.append(Problem(place, line, str(col),
                                   f"{chars} is in no chart font: the charts draw {REPLACEMENT} in its place",
                                   "keep it if it is the right character (tables and CSV files keep it); or write "
                                   "the form the fonts have, such as 吉 for 𠮷"))
    return out
