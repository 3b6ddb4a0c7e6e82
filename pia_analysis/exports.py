"""Spreadsheet exports that are safe to open and identical on every run.

* **Safe**: model text comes from many hands, and a spreadsheet runs a cell that starts with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return as a formula (CSV/formula injection). Text cells that start so
  are prefixed with an apostrophe, which Excel and LibreOffice show as plain text. Numbers are untouched.
* **Deterministic**: CSV files are UTF-8 with a BOM (so Excel detects the encoding) and ``\\n`` line ends;
  workbooks have their zip timestamps and document dates fixed, so the same tables give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FIXED_DOC_TIME = "2000-01-01T00:00:00Z"


def neutralise(value: object) -> object:
    """Make a text cell inert in a spreadsheet; other values pass unchanged.

    Examples
    --------
    >>> neutralise("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise(-3), neutralise("通常の文字列")
    (-3, '通常の文字列')
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def flatten(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy fit for a spreadsheet: list cells joined with ``;``, text cells neutralised."""
    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if series.dtype == object or pd.api.types.is_string_dtype(series):
            out[col] = series.map(lambda v: ";".join(map(str, v)) if isinstance(v, (list, tuple)) else v).map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as a UTF-8-with-BOM CSV that Excel opens directly."""
    path = Path(path)
    flatten(frame).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return path


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: Path) -> Path:
    """Write several DataFrames to one workbook (a sheet each, in the given order), byte-identically.

    Sheet names are cut to Excel's 31 characters. Column widths follow the content, capped at 60.
    """
    from openpyxl.utils import get_column_letter

    path = Path(path)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            sheet = name[:31]
            flat = flatten(frame)
            flat.to_excel(writer, sheet_name=sheet, index=False)
            ws = writer.sheets[sheet]
            for i, col in enumerate(flat.columns, 1):
                width = max([len(str(col))] + [len(str(v)) for v in flat.iloc[:, i - 1].tolist()[:500]])
                ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, width * 1.2))
            ws.freeze_panes = "A2"
    path.write_bytes(normalise_xlsx(buffer.getvalue()))
    return path


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
                text = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)", rf"\g<1>{doc_time}\g<3>", text)
                content = text.encode("utf-8")
            entry = zipfile.ZipInfo(info.filename, date_time=zip_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            dst.writestr(entry, content)
    return out.getvalue()
