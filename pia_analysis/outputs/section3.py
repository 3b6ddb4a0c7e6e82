"""The Section Ⅲ risk table written as a file: Excel (``.xlsx``) or Markdown (``.md``).

The table itself is :func:`pia_analysis.analysis.judgments.section3_table`.
"""

from __future__ import annotations

__all__ = ["write_section3"]

import datetime as dt
import io
import os
from pathlib import Path

import pandas as pd

from .. import catalog
from ..analysis.judgments import section3_table
from ..model.model import Model, require_model
from ..util.errors import InvalidArgumentError
from ..util.files import write_file
from ..util.spreadsheet import neutralise, normalise_xlsx


_HEADERS_JA = {
    "stage_no": "項目", "stage": "段階コード", "stage_ja": "段階", "risk_no": "リスク", "risk_id": "リスクID",
    "name_ja": "リスク（様式の文言）", "name_en": "risk (English)", "origin": "出典",
    "rating": "リスクへの対策は十分か",
    "implemented_controls": "実施済みの対策", "planned_controls": "計画中の対策", "pairs": "対象の組",
    "covered": "対策済み", "planned": "計画中", "gaps": "未対策", "coverage": "網羅率",
    "rating_status": "自己評価の判定", "open_findings": "未解決の指摘",
    "assumed_findings": "前提（仮定）に基づく指摘",
}


def _flat(table: pd.DataFrame) -> pd.DataFrame:
    """Lists joined by '; ', coverage rounded to 3 decimals, for a sheet or a Markdown table."""
    flat = table.copy()
    for col in ("implemented_controls", "planned_controls", "open_findings", "assumed_findings"):
        flat[col] = flat[col].map("; ".join)
    flat["coverage"] = flat["coverage"].round(3)
    return flat


def _markdown(model: Model, table: pd.DataFrame) -> str:
    def cell(value: object) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return ""
        return str(value).replace("|", "\\|").replace("\n", " ")

    flat = _flat(table)
    flat["rating"] = flat["rating"].fillna("（未評価）")
    cols = ["risk_no", "name_ja", "rating", "implemented_controls", "planned_controls", "covered", "planned",
            "gaps", "pairs", "coverage", "rating_status", "open_findings", "assumed_findings"]
    lines = [f"# Ⅲ 特定個人情報ファイルの取扱いプロセスにおけるリスク対策 — {model.title('ja')}", "",
             f"評価実施日 {model.meta['assessed_on'].isoformat()}・モデル `{model.id}`。"
             "網羅率 = 対策済みの組 / 対象の組（docs/coverage.md）。対策の有無であって、その質ではない。"
             "「前提（仮定）に基づく指摘」は、出典が assumption: の行に基づく未解決の指摘（docs/findings.md）。", ""]
    for (stage_no, stage), group in flat.groupby(["stage_no", "stage"], sort=True):
        lines += [f"## {stage_no}. {catalog.stage_label(stage, short=False)}", ""]
        lines.append("| " + " | ".join(_HEADERS_JA[c] for c in cols) + " |")
        lines.append("|" + "|".join("---" for _ in cols) + "|")
        for row in group[cols].itertuples(index=False):
            lines.append("| " + " | ".join(cell(v) for v in row) + " |")
        lines.append("")
    return "\n".join(lines)


def _xlsx(model: Model, table: pd.DataFrame) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    flat = _flat(table)
    wb = Workbook()
    ws = wb.active
    ws.title = "section3"
    ws.append(list(flat.columns))
    for row in flat.itertuples(index=False):
        ws.append([None if (isinstance(v, float) and pd.isna(v)) else neutralise(v.item() if hasattr(v, "item") else v)
                   for v in row])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for col, width in zip("ABCDEFGHIJKLMNOPQRS", (6, 10, 12, 6, 12, 48, 40, 8, 18, 36, 24, 7, 7, 7, 7, 8, 12, 48, 48)):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    # Second sheet: the Japanese headers, so an analyst can map the columns onto the official form.
    legend = wb.create_sheet("columns")
    legend.append(["column", "見出し"])
    for col in flat.columns:
        legend.append([col, _HEADERS_JA[col]])
    wb.properties.creator = "pia-analysis"
    wb.properties.title = f"Section Ⅲ — {model.id}"
    buffer = io.BytesIO()
    wb.save(buffer)
    # Dated with the assessment, not the wall clock, so that re-runs are byte-identical.
    return normalise_xlsx(buffer.getvalue(), dt.datetime.combine(model.meta["assessed_on"], dt.time()))


def write_section3(model: Model, path: str | os.PathLike[str], *, force: bool = False, inputs=()) -> Path:
    """Write the Section Ⅲ table to ``path``: Excel for ``.xlsx``, Markdown for ``.md``.

    The Excel workbook has the table on sheet ``section3`` (lists joined by ``; ``) and the Japanese
    column headings on sheet ``columns``; its properties and zip entries carry the assessment date, so a
    re-run writes the same bytes. The file is written whole or not at all; an existing file is replaced
    only when ``force`` (:func:`pia_analysis.util.files.write_file`).

    Parameters
    ----------
    model
        The model.
    path
        The file to write; its suffix (``.xlsx`` or ``.md``) chooses the format.
    force
        Replace an existing file.
    inputs
        Paths the file must not replace (the model's own files).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).
    pia_analysis.util.errors.InvalidArgumentError
        For a suffix other than ``.xlsx`` or ``.md``.
    pia_analysis.util.files.OutputRefused
        When ``path`` exists and ``force`` is not given, or is one of ``inputs``.

    Examples
    --------
    >>> import pandas as pd
    >>> from pia_analysis import write_section3
    >>> import tempfile, pathlib
    >>> from pia_analysis import load_model, bundled_model_path
    >>> out = write_section3(load_model(bundled_model_path()), pathlib.Path(tempfile.mkdtemp()) / "s3.xlsx")
    >>> pd.read_excel(out)["risk_id"].tolist()[:2]
    ['acquire-1', 'acquire-2']
    """
    require_model(model, "write_section3")
    path = Path(path)
    table = section3_table(model)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        data = _xlsx(model, table)
    elif suffix == ".md":
        data = (_markdown(model, table) + "\n").encode("utf-8")
    else:
        raise InvalidArgumentError(
            f"write_section3 writes .xlsx or .md, not {path.suffix or 'a file without suffix'!r}")
    return write_file(path, data, force=force, inputs=inputs)
