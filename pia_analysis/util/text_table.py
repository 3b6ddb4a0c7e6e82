"""The one way the command line prints a table on a terminal: aligned, readable, as wide as the terminal.

Every table ``pia-analysis`` prints in its ``table`` format goes through :func:`format_table` (called by
``cli.emit_table``): paths read ``A → B``, whole numbers and counts of records print as integers (never
``800.000000``), other numbers with at most six significant digits and no scientific notation, a missing
value as ``-``; Japanese characters count two columns; long text columns are wrapped (at most
:data:`MAX_CELL_LINES` lines a cell, then cut with ``…``) so that the table fits the terminal, or 100 columns
when the output is not a terminal (a pipe, a file: the same bytes on every machine).
"""

from __future__ import annotations

__all__ = ["DEFAULT_WIDTH", "MAX_CELL_LINES", "cell_text", "display_width", "format_table", "terminal_width"]

import datetime as dt
import math
import shutil
import unicodedata
from typing import Any

import numpy as np
import pandas as pd

#: The width of a table printed to something that is not a terminal (deterministic output).
DEFAULT_WIDTH = 100
#: The most lines a wrapped cell takes; the rest is cut with ``…``.
MAX_CELL_LINES = 6
_MIN_TEXT_WIDTH = 10  # a text column is not wrapped narrower than this
_GAP = "  "


def terminal_width(stream: Any) -> int:
    """The width to print a table to ``stream`` in: the terminal's, or :data:`DEFAULT_WIDTH` when not a terminal.

    Parameters
    ----------
    stream
        The file the table is written to (``sys.stdout``).

    Returns
    -------
    int
        Columns of text.

    Examples
    --------
    >>> import io
    >>> from pia_analysis.util.text_table import terminal_width
    >>> terminal_width(io.StringIO())
    100
    """
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        tty = False
    if not tty:
        return DEFAULT_WIDTH
    return max(40, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)


def display_width(text: str) -> int:
    """The columns ``text`` takes on a terminal: wide (Japanese) characters two, combining marks none.

    Parameters
    ----------
    text
        One line of text.

    Returns
    -------
    int
        Its width in terminal columns.

    Examples
    --------
    >>> from pia_analysis.util.text_table import display_width
    >>> display_width("JUKI"), display_width("住民記録")
    (4, 8)
    """
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in text)


def _is_path(column: str) -> bool:
    return column == "path" or column.startswith("path_") or column.endswith("_path")


def _counts_people(column: str) -> bool:
    # records and people are whole: an expected number of records (23,300.5) prints as a whole number
    return "records" in column or "population" in column


def cell_text(value: Any, column: str = "") -> str:
    """The text of one cell of a printed table.

    Parameters
    ----------
    value
        The cell: text, a number, a list, a date, None or NaN.
    column
        Its column's name: a list in a ``path`` column is joined with `` → ``; numbers in a column of records
        or people are rounded to whole numbers.

    Returns
    -------
    str
        The text, on one line.

    Examples
    --------
    >>> from pia_analysis.util.text_table import cell_text
    >>> cell_text(["VENDOR_TERM", "JUKI_REC"], "path"), cell_text(["A", "B"], "holds")
    ('VENDOR_TERM → JUKI_REC', 'A; B')
    >>> cell_text(800.0), cell_text(582.5, "records_at_stake"), cell_text(3.125e-05), cell_text(float("nan"))
    ('800', '582', '0.00003125', '-')
    """
    if isinstance(value, (list, tuple, np.ndarray)):
        parts = [cell_text(v) for v in value]
        return (" → " if _is_path(column) else "; ").join(parts)
    if value is None or value is pd.NaT:
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if math.isnan(number):
            return "-"
        if math.isinf(number):
            return "∞" if number > 0 else "-∞"
        if _counts_people(column) or number.is_integer():
            return str(int(round(number)))
        return np.format_float_positional(float(f"{number:.6g}"), trim="-")
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()
    return " ".join(str(value).split("\n")).replace("\r", " ").replace("\t", " ")


# where a cell's text may break (ids such as VENDOR_TERM stay whole; a finding id breaks after its '@'), and
# where a header may (column names break at '_')
_BREAK_AFTER = frozenset(" ;、。,→@/)）")
_HEADER_BREAK_AFTER = _BREAK_AFTER | {"_"}
_WIDE_HEADER_WIDTH = 10  # the columns a Japanese header keeps on one line, if it is that long


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def _longest_word(text: str, breaks: frozenset[str] = _BREAK_AFTER) -> int:
    """The widest run that :func:`_wrap` does not break (Japanese text breaks between any two characters)."""
    longest = run = 0
    for ch in text:
        if _wide(ch):
            longest, run = max(longest, run, 2), 0
        elif ch in breaks:
            longest, run = max(longest, run + 1), 0
        else:
            run += 1
    return max(longest, run)


# 禁則 (JIS X 4051): characters no line may start with (closing brackets, punctuation, small kana, the long
# vowel mark, iteration marks) and characters no line may end with (opening brackets). One definition for the
# terminal's tables and the charts' wrapped text (pia_analysis.charts.style).
NO_LINE_START = ("。、，．）」』】〕〉》］｝・ー－％%):;,.!?！？‐゠–〜～"
                 "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ"
                 "ㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ々〻ゝゞヽヾ”’…‥")
NO_LINE_END = "（「『【〔〈《［｛(“‘"


def _wrap(text: str, width: int, breaks: frozenset[str] = _BREAK_AFTER) -> list[str]:
    """``text`` in lines of at most ``width`` columns, at most :data:`MAX_CELL_LINES` of them.

    Broken after a space, ';', '→' … (``breaks``), or beside a Japanese character; a longer word is cut.
    """
    lines: list[str] = []
    while display_width(text) > width:
        cut, used, last_break = 0, 0, 0
        for i, ch in enumerate(text):
            w = display_width(ch)
            if used + w > width:
                break
            used += w
            cut = i + 1
            if ch in breaks or _wide(ch) or (i + 1 < len(text) and _wide(text[i + 1])):
                last_break = i + 1
        end = last_break or cut
        # 禁則: the next line may not start with 」）、。, this one may not end with （「 — break earlier
        while end > 1 and (text[end] in NO_LINE_START or text[end - 1] in NO_LINE_END):
            end -= 1
        lines.append(text[:end].rstrip())
        text = text[end:].lstrip()
    lines.append(text)
    if len(lines) > MAX_CELL_LINES:
        last = lines[MAX_CELL_LINES - 1]
        while last and display_width(last) + 1 > width:
            last = last[:-1]
        if last.isascii() and " " in last.strip():  # an English cell is cut at a word, not inside one
            last = last[:last.rstrip().rfind(" ")].rstrip(" ,;:(")
        lines = lines[:MAX_CELL_LINES - 1] + [last + "…"]
    return lines


def _pad(text: str, width: int, right: bool) -> str:
    room = " " * max(0, width - display_width(text))
    return room + text if right else text + room


def format_table(frame: pd.DataFrame, width: int = DEFAULT_WIDTH) -> str:
    """``frame`` as an aligned text table that fits ``width`` columns where its text columns can wrap.

    Numbers are right-aligned and never wrapped; text columns wider than their share are wrapped, the widest
    first, down to ten columns; a table of only numbers wider than ``width`` is printed whole.

    Parameters
    ----------
    frame
        The rows to print, in order (the index is not printed).
    width
        The width to fit, in terminal columns (:func:`terminal_width`).

    Returns
    -------
    str
        The table: a header, a rule, the rows; ending with a newline.

    Examples
    --------
    >>> import pandas as pd
    >>> from pia_analysis.util.text_table import format_table
    >>> frame = pd.DataFrame({"system_id": ["REG"], "path": [["TERM", "REG"]], "records": [1500.0]})
    >>> print(format_table(frame), end="")
    system_id  path        records
    ---------  ----------  -------
    REG        TERM → REG     1500
    """
    columns = [str(c) for c in frame.columns]
    cells = [[cell_text(v, name) for v in frame[col].tolist()] for name, col in zip(columns, frame.columns)]
    numeric = [pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(frame[col])
               for col in frame.columns]
    # numbers and True/False are never wrapped (numbers right-aligned)
    unbroken = [numeric[i] or pd.api.types.is_bool_dtype(frame[col]) for i, col in enumerate(frame.columns)]
    widths = [max([display_width(columns[i])] + [display_width(c) for c in cells[i]]) for i in range(len(columns))]
    # how narrow each column may become, in turn: numbers never wrap, but their header may (at '_'); then text
    # down to its longest word (ids stay whole); then, if the table still does not fit, text down to ten columns
    # a Japanese header breaks between any two characters: over a column of numbers, keep five of them on a
    # line (「ゾーン越え」), not one a line
    header_words = [max(_longest_word(c, _HEADER_BREAK_AFTER),
                        min(display_width(c), _WIDE_HEADER_WIDTH) if any(_wide(ch) for ch in c) else 0)
                    for c in columns]
    numbers = [max([header_words[i]] + [display_width(c) for c in cells[i]]) if unbroken[i] else widths[i]
               for i in range(len(columns))]
    words = [numbers[i] if unbroken[i] else min(widths[i], max([_MIN_TEXT_WIDTH, header_words[i]] + [
        min(_longest_word(c), 30) for c in cells[i]])) for i in range(len(columns))]
    floors = [numbers, words, [w if unbroken[i] else max(_MIN_TEXT_WIDTH, header_words[i]) for i, w in
                               enumerate(words)]]
    total = lambda: sum(widths) + len(_GAP) * (len(widths) - 1)  # noqa: E731
    for floor in floors:
        while total() > width:
            shrinkable = [i for i in range(len(widths)) if widths[i] > floor[i]]
            if not shrinkable:
                break
            widths[max(shrinkable, key=lambda i: (widths[i], -i))] -= 1  # the widest first: they end up even
    lines: list[str] = []
    header = [_wrap(columns[i], widths[i], _HEADER_BREAK_AFTER) for i in range(len(columns))]
    rows = [header, [["-" * w] for w in widths]]
    rows += [[_wrap(cells[i][r], widths[i]) for i in range(len(columns))] for r in range(len(frame))]
    for k, row in enumerate(rows):
        for j in range(max(len(parts) for parts in row) if row else 1):
            line = _GAP.join(_pad(parts[j] if j < len(parts) else "", widths[i], numeric[i] and k != 1)
                             for i, parts in enumerate(row))
            lines.append(line.rstrip())
    return "\n".join(lines) + "\n"
