r"""Spreadsheet exports that are safe to open and identical on every run.

* **Safe**: model text comes from many hands, and a spreadsheet runs a cell that starts with ``=``, ``+``,
  ``-``, ``@``, a tab, a carriage return or a line feed as a formula (CSV/formula injection). Text cells
  that start so are prefixed with an apostrophe, which Excel and LibreOffice show as plain text. Every CSV
  the toolkit writes or prints goes through :func:`csv_text` (files through :func:`write_csv`), every
  workbook through :func:`neutralise`; :func:`starts_like_formula` is the one rule. It also catches

  - the full-width leaders ``＝ ＋ － ＠`` (U+FF1D, U+FF0B, U+FF0D, U+FF20): Japanese Excel takes what a
    Japanese keyboard types, and a full-width ``＝`` starts a formula there;
  - a leader after leading white space or invisible format characters (``" =1+1"``, ``"\u3000＝1"``,
    ``"\u200b=1"``): LibreOffice's "trim spaces" import option, and Excel for some leaders, drop them;
  - a leading tab, carriage return or line feed, whatever follows.

  Numbers stay numbers: only ``str`` cells are touched, and a text that is exactly a plain decimal number
  (``"-0.5"``, ``"+3"``, ``"-1e-05"``, as the before/after values of a scenario's effects are written) is
  left as it is, since a spreadsheet reads it as that number and nothing runs. Any other text that starts
  with a leader, the lone ``"-"`` of an empty cell included, gets the apostrophe (``"'-"``): one simple
  rule is safer than a list of harmless exceptions.
* **Deterministic**: CSV files are UTF-8 with a BOM (so Excel detects the encoding) and ``\n`` line ends;
  workbooks have their zip timestamps and document dates fixed, so the same tables give the same bytes.
"""

from __future__ import annotations

__all__ = ["csv_text", "neutralise", "write_csv", "write_xlsx"]

import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

#: Characters that make a spreadsheet read a cell as a formula (with their full-width forms).
FORMULA_LEADERS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
#: Characters that are dangerous at the very start of a cell, whatever follows.
_CONTROL_LEADERS = ("\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_DOC_TIME = "2000-01-01T00:00:00Z"


def _skip_blank(text: str) -> str:
    """``text`` without its leading white space and invisible format characters (Unicode Cf)."""
    i = 0
    while i < len(text) and (text[i].isspace() or unicodedata.category(text[i]) == "Cf"):
        i += 1
    return text[i:]


def starts_like_formula(text: str) -> bool:
    r"""Whether a spreadsheet could read ``text`` as a formula.

    Whether a spreadsheet could read ``text`` as a formula: it starts with a tab, carriage return or
    line feed, or with one of :data:`FORMULA_LEADERS` after any white space and format characters.

    Examples
    --------
    >>> [starts_like_formula(t) for t in ("=1+1", " =1+1", "＝1+1", "\t1", "-", "a=1", "")]
    [True, True, True, True, True, False, False]
    """
    return text.startswith(_CONTROL_LEADERS) or _skip_blank(text).startswith(FORMULA_LEADERS)


def neutralise(value: object) -> object:
    r"""Make a text cell inert in a spreadsheet.

    Other values, and texts that are a plain number, pass unchanged.

    Parameters
    ----------
    value
        A cell.

    Returns
    -------
    object
        ``value``, or the text with an apostrophe in front when a spreadsheet could run it.

    Examples
    --------
    >>> from pia_analysis.util.spreadsheet import neutralise
    >>> neutralise("=HYPERLINK(\"http://x\")")
    '\'=HYPERLINK("http://x")'
    >>> neutralise(-3), neutralise("-3"), neutralise("通常の文字列")
    (-3, '-3', '通常の文字列')
    >>> neutralise("-2+3"), neutralise("＠SUM(1)"), neutralise("-")
    ("'-2+3", "'＠SUM(1)", "'-")
    """
    if isinstance(value, str) and starts_like_formula(value) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def flatten(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy fit for a spreadsheet: list cells joined with ``;``, text cells neutralised."""
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if series.dtype == object or pd.api.types.is_string_dtype(series):
            joined = series.map(lambda v: ";".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
            out[col] = joined.map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def csv_text(frame: pd.DataFrame) -> str:
    r"""The CSV text of ``frame``: what every CSV the toolkit writes or prints is made of.

    ``\n`` line ends, no index, no BOM; list cells joined with ``;`` and formula-like text neutralised.

    Parameters
    ----------
    frame
        Any table.

    Returns
    -------
    str
        The CSV text, header first.

    Examples
    --------
    >>> import pandas as pd
    >>> from pia_analysis.util.spreadsheet import csv_text
    >>> print(csv_text(pd.DataFrame({"name": ["=1+1", "ok"], "value": [-1.5, 2.0]})), end="")
    name,value
    '=1+1,-1.5
    ok,2.0
    """
    return flatten(frame).to_csv(index=False, lineterminator="\n")


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write :func:`csv_text` of ``frame`` as a UTF-8-with-BOM CSV that Excel opens directly.

    Parameters
    ----------
    frame
        Any table.
    path
        The file to write (replaced if it exists; callers check the target first).

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import pandas as pd
    >>> from pia_analysis.util.spreadsheet import write_csv
    >>> import codecs, tempfile, pathlib
    >>> p = write_csv(pd.DataFrame({"a": ["=1"]}), pathlib.Path(tempfile.mkdtemp()) / "t.csv")
    >>> p.read_bytes().startswith(codecs.BOM_UTF8), p.read_text(encoding="utf-8-sig").splitlines()
    (True, ['a', "'=1"])
    """
    path = Path(path)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        fh.write(csv_text(frame))
    return path


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: Path) -> Path:
    """Write several DataFrames to one workbook (a sheet each, in the given order), byte-identically.

    Sheet names are cut to Excel's 31 characters. Column widths follow the content, capped at 60.

    Parameters
    ----------
    sheets
        DataFrames by sheet name.
    path
        The file to write (replaced if it exists; callers check the target first).

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import pandas as pd
    >>> from pia_analysis.util.spreadsheet import write_xlsx
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> a = write_xlsx({"t": pd.DataFrame({"a": [1]})}, d / "a.xlsx").read_bytes()
    >>> a == write_xlsx({"t": pd.DataFrame({"a": [1]})}, d / "b.xlsx").read_bytes()
    True
    """
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    # openpyxl's write-only mode streams the rows out; pandas' to_excel built every cell as an object first
    # (a national model's tables took half a minute that way). The cells are the same: plain header, values.
    path = Path(path)
    book = Workbook(write_only=True)
    for name, frame in sheets.items():
        flat = _worksheet_safe(flatten(frame))
        ws = book.create_sheet(name[:31])
        columns = [list(map(_cell_value, flat.iloc[:, i].tolist())) for i in range(flat.shape[1])]
        for i, col in enumerate(flat.columns, 1):
            width = max([len(str(col))] + [len(str(v)) for v in flat.iloc[:500, i - 1].tolist()])
            ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, width * 1.2))
        ws.freeze_panes = "A2"
        ws.append(list(flat.columns))
        for row in zip(*columns):
            ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(normalise_xlsx(buffer.getvalue()))
    return path


def _cell_value(value: Any) -> Any:
    """A table's value as a worksheet cell takes it, as pandas' ``to_excel`` wrote it.

    Missing values (NaN, None, NaT, pd.NA) are empty cells, infinities the text ``inf`` / ``-inf``, pandas
    timestamps Python datetimes (with the time zone dropped, which a worksheet cannot hold).
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        if value != value:
            return None
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
    if isinstance(value, pd.Timestamp):
        return value.tz_localize(None).to_pydatetime() if value.tzinfo else value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def _worksheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the control characters a worksheet cannot hold shown as ``[U+001B]``.

    Model loading refuses them in every text cell (model/cells.py ``control_character``); this is the
    second line, for text from elsewhere (a computed label, a hand-built model): openpyxl raises
    ``IllegalCharacterError`` on them, which would abort the whole pack for one character.
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def clean(value: Any) -> Any:
        return (ILLEGAL_CHARACTERS_RE.sub(lambda m: f"[U+{ord(m.group()):04X}]", value)
                if isinstance(value, str) else value)

    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(clean)
    out.columns = [clean(str(c)) for c in out.columns]
    return out


def normalise_xlsx(data: bytes, when: dt.datetime | None = None) -> bytes:
    """Rewrite an xlsx (a zip) so that the same content gives the same bytes.

    Every zip entry is dated ``when`` (default 1980-01-01, the zip epoch) and the workbook's created and
    modified properties are set to ``when`` (default 2000-01-01): openpyxl stamps them with the wall clock.
    """
    zip_time = (when.year, when.month, when.day, when.hour, when.minute, when.second) if when else FIXED_ZIP_TIME
    doc_time = when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else FIXED_DOC_TIME
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = content.decode("utf-8")
                text = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)", rf"\g<1>{doc_time}\g<3>",
                              text)
                content = text.encode("utf-8")
            entry = zipfile.ZipInfo(info.filename, date_time=zip_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            dst.writestr(entry, content)
    return out.getvalue()
