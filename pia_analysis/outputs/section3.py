"""The Section Ⅲ/Ⅳ risk table written as a file: Excel (``.xlsx``) or Markdown (``.md``).

The table itself is :func:`pia_analysis.analysis.judgments.section3_table`; the sub-measures of each risk with
the model's answers (未回答 where it gives none) are :func:`pia_analysis.analysis.sub_measures.sub_measure_answers`,
written after each stage's table (Markdown) or on their own sheet (Excel).
"""

from __future__ import annotations

__all__ = ["declared_out_cells", "write_section3"]

import datetime as dt
import io
import os
from pathlib import Path

import pandas as pd

from .. import catalog
from ..analysis.judgments import NOT_APPLICABLE_JA, section3_table
from ..analysis.findings.triage import decisions
from ..analysis.sub_measures import sub_measure_answers
from ..model.model import Model, require_model
from ..util.errors import InvalidArgumentError
from ..util.files import write_file
from ..util.spreadsheet import neutralise, normalise_xlsx


_HEADERS_JA = {
    "section": "章", "row_kind": "行の種類", "form_item_ja": "様式の欄", "text": "記載（その他のリスク・対象外）",
    "stage_no": "項目", "stage": "段階コード", "stage_ja": "段階", "risk_no": "リスク", "risk_id": "評価項目ID",
    "name_ja": "リスク（様式の文言）", "name_en": "risk (English)", "origin": "出典",
    "rating": "リスクへの対策は十分か",
    "implemented_controls": "実施済みの対策", "planned_controls": "計画中の対策", "pairs": "対象の組",
    "covered": "対策済み", "planned": "計画中", "gaps": "未対策", "coverage": "網羅率",
    "rating_status": "自己評価の判定", "open_findings": "未解決の指摘",
    "assumed_findings": "前提（仮定）に基づく指摘", "decided_findings": "判断済みの指摘",
}
#: The Japanese headings of the sub-measure sheet (sub_measure_answers' columns).
_SUB_HEADERS_JA = {
    "sub_measure_id": "細目ID", "rated_item": "評価の単位", "stage": "段階コード", "stage_no": "項目", "number": "番号",
    "label_ja": "細目（様式の文言）", "label_en": "sub-measure (English)", "form_item_ja": "様式の項目",
    "kind": "回答の形", "choices": "選択肢", "answer": "回答", "detail_label_ja": "記載欄", "detail": "記載",
    "status": "回答の状況", "controls": "この細目を実施する対策", "source": "回答の出典", "confidence": "目録の確度",
}


def _flat(table: pd.DataFrame) -> pd.DataFrame:
    """Lists joined by '; ', coverage rounded to 3 decimals, for a sheet or a Markdown table."""
    flat = table.copy()
    for col in ("implemented_controls", "planned_controls", "open_findings", "assumed_findings", "decided_findings"):
        flat[col] = flat[col].map("; ".join)
    flat["coverage"] = flat["coverage"].round(3)
    return flat


def _readable(flat: pd.DataFrame) -> pd.DataFrame:
    """未評価 for an unrated item; 対象外（宣言: …） in the rating and coverage of a declared-out one."""
    flat = flat.copy()
    rated = flat["row_kind"] == "rated"
    for col in ("rating", "coverage"):
        flat[col] = flat[col].astype(object)  # all-NaN (a model rating nothing) reads as float
    flat.loc[rated, "rating"] = flat.loc[rated, "rating"].where(flat.loc[rated, "rating"].notna(), "（未評価）")
    declared = rated & flat["text"].ne("")
    flat.loc[declared, "rating"] = flat.loc[declared, "text"]
    flat.loc[declared, "coverage"] = flat.loc[declared, "text"]
    return flat


def _flat_sub(subs: pd.DataFrame) -> pd.DataFrame:
    flat = subs.copy()
    flat["controls"] = flat["controls"].map("; ".join)
    return flat


def _markdown(model: Model, table: pd.DataFrame, subs: pd.DataFrame) -> str:
    def cell(value: object) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return "—"  # a cell the row has no value for (a free-text row's coverage), never "nan"
        return str(value).replace("|", "\\|").replace("\n", " ")

    # 未評価 for an unrated item, 対象外 (with the declaration) for one a stage declaration puts out of scope
    flat = _readable(_flat(table))
    cols = ["form_item_ja", "name_ja", "rating", "implemented_controls", "planned_controls", "covered", "planned",
            "gaps", "pairs", "coverage", "rating_status", "open_findings", "assumed_findings", "decided_findings"]
    title = "Ⅲ 特定個人情報ファイルの取扱いプロセスにおけるリスク対策・Ⅳ その他のリスク対策"
    lines = [f"# {title} — {model.title('ja')}", "",
             f"評価実施日 {model.meta['assessed_on'].isoformat()}・モデル `{model.id}`。"
             "網羅率 = 対策済みの組 / 対象の組（docs/coverage.md）。対策の有無であって、その質ではない。"
             "委託は5つのリスクをまとめた1つの評価項目。"
             "Ⅳ の項目は組織を1つの組として、その項目を名指す対策で判定する。"
             "「前提（仮定）に基づく指摘」は、出典が assumption: の行に基づく未解決の指摘（docs/findings.md）。"
             # the day only when there are decisions: a model without them writes the same bytes any day
             + ("「判断済みの指摘」は、分析者が受容・誤検知・対応中と判断した指摘で、未解決の指摘には数えない"
                f"（{_judged_on(table)}時点の判断。docs/triage.md）。" if len(decisions(model)) else ""), ""]
    flat_subs = _flat_sub(subs)
    sub_cols = ["rated_item", "number", "label_ja", "answer", "detail", "controls", "source"]
    for (section, stage), group in flat.groupby(["section", "stage"], sort=False):
        if section == "Ⅲ":
            stage_no = group["stage_no"].iloc[0]
            lines += [f"## {stage_no}. {catalog.stage_label(stage, short=False)}", ""]
        else:
            lines += ["## Ⅳ その他のリスク対策", ""]
        lines.append("| " + " | ".join(_HEADERS_JA[c] for c in cols) + " |")
        lines.append("|" + "|".join("---" for _ in cols) + "|")
        for row in group.loc[group["row_kind"] == "rated", cols].itertuples(index=False):
            lines.append("| " + " | ".join(cell(v) for v in row) + " |")
        lines.append("")
        # the sub-measures of the stage's risks, as the form lists them under each risk; never guessed
        stage_subs = flat_subs.loc[flat_subs["stage"] == stage, sub_cols] if section == "Ⅲ" else flat_subs.iloc[:0]
        if len(stage_subs):
            lines += [f"### {stage_no}. 細目（各リスクの措置）", ""]
            lines.append("| " + " | ".join(_SUB_HEADERS_JA[c] for c in sub_cols) + " |")
            lines.append("|" + "|".join("---" for _ in sub_cols) + "|")
            for row in stage_subs.itertuples(index=False):
                lines.append("| " + " | ".join(cell(v) for v in row) + " |")
            lines.append("")
        # the stage's その他のリスク row ends it, as in the form
        for name, text in group.loc[group["row_kind"] != "rated", ["name_ja", "text"]].itertuples(index=False):
            lines += [f"**{name}**: {cell(text)}", ""]
    return "\n".join(lines)


def _xlsx(model: Model, table: pd.DataFrame, subs: pd.DataFrame) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    flat = _readable(_flat(table))  # the same words as the Markdown: 未評価, 対象外（宣言: …）
    wb = Workbook()
    ws = wb.active
    ws.title = "section3"
    ws.append(list(flat.columns))
    for row in flat.itertuples(index=False):
        ws.append([None if (isinstance(v, float) and pd.isna(v)) else neutralise(v.item() if hasattr(v, "item") else v)
                   for v in row])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = {"section": 5, "stage_no": 6, "stage": 10, "stage_ja": 12, "row_kind": 12, "risk_no": 6, "risk_id": 12,
              "form_item_ja": 20, "name_ja": 48, "name_en": 40, "origin": 8, "rating": 18, "implemented_controls": 36,
              "planned_controls": 24, "rating_status": 12, "open_findings": 48, "assumed_findings": 48,
              "decided_findings": 48, "text": 48}
    for i, col in enumerate(flat.columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = widths.get(col, 7)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    # Second sheet: the sub-measures of each risk with the model's answers (未回答 where none).
    sub = wb.create_sheet("sub_measures")
    flat_subs = _flat_sub(subs)
    sub.append(list(flat_subs.columns))
    for row in flat_subs.itertuples(index=False):
        sub.append([neutralise(v.item() if hasattr(v, "item") else v) for v in row])
    for cell in sub[1]:
        cell.font = Font(bold=True)
    for col, width in zip("ABCDEFGHIJKLMNOPQ", (26, 10, 10, 6, 6, 40, 36, 40, 8, 30, 16, 20, 48, 12, 16, 40, 10)):
        sub.column_dimensions[col].width = width
    for row in sub.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sub.freeze_panes = "B2"
    # Last sheet: the Japanese headers, so an analyst can map the columns onto the official form.
    legend = wb.create_sheet("columns")
    legend.append(["column", "見出し", "sheet"])
    for col in flat.columns:
        legend.append([col, _HEADERS_JA[col], "section3"])
    for col in flat_subs.columns:
        legend.append([col, _SUB_HEADERS_JA[col], "sub_measures"])
    wb.properties.creator = "pia-analysis"
    wb.properties.title = f"Section Ⅲ — {model.id}"
    buffer = io.BytesIO()
    wb.save(buffer)
    # Dated with the assessment, not the wall clock, so that re-runs are byte-identical.
    return normalise_xlsx(buffer.getvalue(), dt.datetime.combine(model.meta["assessed_on"], dt.time()))


def _judged_on(table: pd.DataFrame) -> str:
    """The day the analyst's decisions were judged on, as the table says it (``attrs``), else today's date."""
    day = table.attrs.get("triage_as_of") or dt.date.today()
    return day.isoformat()


def write_section3(model: Model, path: str | os.PathLike[str], *, force: bool = False, inputs=(),
                   as_of: dt.date | None = None) -> Path:
    """Write the Section Ⅲ table to ``path``: Excel for ``.xlsx``, Markdown for ``.md``.

    The Excel workbook has the table on sheet ``section3`` (lists joined by ``; ``), the sub-measures with the
    model's answers on sheet ``sub_measures`` (:func:`~pia_analysis.analysis.sub_measures.sub_measure_answers`:
    未回答 where the model gives none) and the Japanese column headings of both on sheet ``columns``; the
    Markdown file lists each stage's sub-measures after its table. The workbook's properties and zip entries
    carry the assessment date, so a re-run writes the same bytes. The file is written whole or not at all;
    an existing file is replaced only when ``force`` (:func:`pia_analysis.util.files.write_file`).

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
    as_of
        The day the analyst's decisions (``triage.csv``) are judged on (default: today's date): a decision
        past its review date counts its finding as open again.

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
    table = section3_table(model, as_of=as_of)
    table.attrs["triage_as_of"] = as_of or dt.date.today()
    subs = sub_measure_answers(model)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        data = _xlsx(model, table, subs)
    elif suffix == ".md":
        data = (_markdown(model, table, subs) + "\n").encode("utf-8")
    else:
        raise InvalidArgumentError(
            f"write_section3 writes .xlsx or .md, not {path.suffix or 'a file without suffix'!r}")
    return write_file(path, data, force=force, inputs=inputs)


def declared_out_cells(name: str, frame: pd.DataFrame, check: pd.DataFrame) -> pd.DataFrame:
    """A result table for a text output, with the cells of declared-out stages and items saying 対象外 and why.

    A stage the model declares not applicable (``declared_not_applicable``: 委託しない …) has no ratio and no
    rating; a text output (a CSV file, a sheet, the terminal, Markdown) shows ``対象外（宣言: 委託しない）`` in
    those cells instead of an empty cell or ``nan``. Other cells are left as they are.

    Parameters
    ----------
    name
        The table: ``stage_coverage``, ``risk_coverage``, ``rating_check``, ``section3`` or ``coverage_matrix``
        (with its ``stage`` column, as the briefing writes it); any other name is returned unchanged.
    frame
        The table.
    check
        :func:`pia_analysis.analysis.coverage.rating_check` of the model (it says which items are declared out).

    Returns
    -------
    pandas.DataFrame
        A copy; the ratio and rating columns of declared-out rows hold the text (object dtype).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, rating_check, stage_coverage
    >>> from pia_analysis.outputs.section3 import declared_out_cells
    >>> m = load_model(bundled_model_path())
    >>> m = m.replace(meta={**m.meta, "declared_not_applicable": ["outsource"]},
    ...               flows=m.flows.loc[m.flows["stage"] != "outsource"],
    ...               systems=m.systems.assign(operator=m.systems["operator"].replace(
    ...                   {"contractor": "city", "subcontractor": "city"})))
    >>> table = declared_out_cells("stage_coverage", stage_coverage(m), rating_check(m))
    >>> table.set_index("stage").loc["outsource", "coverage"]
    '対象外（宣言: 委託しない）'
    """
    words = {r: w for r, w in zip(check["risk_id"], check["declared"]) if w}
    if not words:
        return frame
    out = frame.copy()

    def put(rows: pd.Series, columns: tuple[str, ...], text: pd.Series) -> None:
        for col in columns:
            if col in out.columns and rows.any():
                out[col] = out[col].astype(object)
                out.loc[rows, col] = text[rows]

    if name == "stage_coverage":
        rows = out["declared"].ne("") & ~out["in_scope"]
        put(rows, ("coverage", "coverage_if_planned"), _not_applicable(out["declared"]))
    elif name == "rating_check":
        rows = out["declared"].ne("")
        put(rows, ("rating", "coverage"), _not_applicable(out["declared"]))
    elif name == "section3":
        rows = out["text"].astype(str).str.startswith("対象外")
        put(rows, ("rating", "coverage"), out["text"])
    elif name == "risk_coverage":
        by_risk = {risk: words[item] for item, risks in zip(check["risk_id"], check["risks"]) if item in words
                   for risk in risks}
        declared = out["risk_id"].map(by_risk).fillna("")
        rows = declared.ne("") & ~out["in_scope"]
        put(rows, ("coverage", "coverage_if_planned"), _not_applicable(declared))
    elif name == "coverage_matrix" and "stage" in out.columns:
        stage_words = {stage: w for stage, w in zip(check["stage"], check["declared"]) if w}
        declared = out["stage"].map(stage_words).fillna("")
        rows = declared.ne("")
        for col in out.columns:
            if col != "stage":
                blank = rows & out[col].isna()
                put(blank, (col,), _not_applicable(declared))
    return out


def _not_applicable(words: pd.Series) -> pd.Series:
    """``対象外（宣言: …）`` for each declaration's words."""
    return words.map(lambda w: NOT_APPLICABLE_JA.format(w))
