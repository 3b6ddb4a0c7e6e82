"""The 評価書 written: ``評価書_<form>.xlsx``, ``評価書_<form>.pdf`` and the completeness tables, from the model.

:func:`~pia_analysis.outputs.assessment_answers.assessment_answers` answers every item of a form's layout in the
form's order; this module prints that frame the way a municipality files and publishes it (``docs/assessment.md``,
"The documents"):

* **the workbook** (:func:`assessment_workbook`): one sheet per section (表紙, Ⅰ, 別添1, one Ⅱ sheet per file named
  after the file, 別添2, Ⅲ, Ⅳ, Ⅴ, Ⅵ, 別添3 for the 全項目評価書; the layout's sections for the others), the items in
  the form's order with its numbering, indented by their depth; a choice item shows the chosen answer in
  brackets (［ 委託する ］) and, beside it, ＜選択肢＞ with the numbered list 1) … 2) …, as published assessments do;
  free text wrapped; an item the model cannot fill reads 【要記入】 on an orange fill. A4 portrait: print areas
  (the four columns of the form; the analyst's columns 状態 / 記入元 / 項目ID beside them are not printed), fit to
  the page width, the header rows repeated on every page, margins and page numbers. Every text cell is
  neutralised (:func:`~pia_analysis.util.spreadsheet.neutralise`) and the bytes are the same on every run;
* **the PDF** (:func:`assessment_pdf`): the same rows on A4 portrait pages in the charts' Japanese font, written by
  reportlab (matplotlib lays out every character through FreeType, too slow for a 1,000-system model's
  two million characters): each section starts a page under its heading, the document's name and the section
  run along the top, page numbers (n / N) along the bottom, 【要記入】 on an orange fill, a row too long for a
  page continued on the next. The PDF is drawn with reportlab's canvas (the charts' IPAexGothic and, for the
  glyphs it lacks such as ☑ ☐, matplotlib's DejaVu Sans, each embedded as a subset; ``invariant=1``, so the same
  answers give the same bytes); the lines are broken here, with Japanese line-breaking rules;
* **completeness** (:func:`write_assessment`): ``completeness.csv`` (per form and section: items filled from the
  model, derived, from the document-only data, overridden, left empty on purpose, 【要記入】, and the share filled),
  ``missing_items.csv`` (one row per 【要記入】 item with the model table or key that would fill it) and one
  summary line per form (:func:`assessment_summary`).

A stage the model declares out (委託しない, 提供・移転しない, 接続しない) shows its check box ticked and no risk rows:
its risks, ratings and measures are not printed, one line says why.
"""

from __future__ import annotations

__all__ = ["SHEET_COLUMNS", "affair_diagram_png", "assessment_changes", "assessment_pdf", "assessment_reading",
           "assessment_rows", "assessment_summary", "assessment_workbook", "write_assessment"]

import dataclasses
import functools
import io
import math
import re
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable
from copy import copy
from pathlib import Path

import pandas as pd

from ..catalog.layout import form_layout
from ..model.errors import ModelError, Problem
from ..model.model import Model, require_model
from ..util.errors import InvalidArgumentError
from ..util.files import write_pack
from ..util.spreadsheet import neutralise, normalise_xlsx, write_csv
from .assessment_answers import FORM_NAMES_JA, PENDING_JA, affair_steps, assessment_answers, assessment_completeness

#: The columns of every sheet: the four of the form (printed), then three for the analyst (not printed).
SHEET_COLUMNS = ("項目番号", "項目", "記載内容", "選択肢", "状態", "記入元（モデル）", "項目ID")
_PRINTED = 4
_WIDTHS = (9, 30, 46, 30, 10, 40, 34)  # Excel's width units (about one Latin character)
_STATUS_JA = {"model": "モデル", "derived": "導出", "document": "文書情報", "override": "上書き",
              "empty_declared": "記載不要", "missing": "要記入", "": ""}
_CHOICE_KINDS = ("choice", "multi_choice", "band", "rated")
# a section written once per file: one sheet (and one PDF section) per file
_PER_FILE_SECTIONS = ("Ⅱ",)
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_LANGS = ("ja",)


@dataclasses.dataclass
class _Line:
    """One printed row: a section title, a block title (one unit of a repeated block), a heading, an item, a note."""

    kind: str  # section, block, heading, item, note
    number: str
    label: str
    depth: int
    answer: str = ""
    choices: str = ""
    pending: bool = False
    status: str = ""
    filled_from: str = ""
    item_id: str = ""
    image: bytes | None = None  # kind image: a PNG drawn across the row (別添1's diagram)


@dataclasses.dataclass
class _Part:
    """A sheet of the workbook and a section of the PDF: its name, its title and its rows."""

    sheet: str
    title: str
    lines: list[_Line]


# ---------------------------------------------------------------------------------------------------
# the rows as printed


def _choices_text(choices: list[str]) -> str:
    return "＜選択肢＞\n" + "\n".join(f"{i}) {c}" for i, c in enumerate(choices, 1)) if choices else ""


def _answer_text(row: dict) -> str:
    """The answer as the document prints it: a choice in brackets, a band with its count, a measure with its text."""
    answer = str(row["answer"])
    if row["status"] == "missing":
        return PENDING_JA
    if row["status"] == "empty_declared" or not answer:
        return answer
    kind = row["kind"]
    detail = str(row["detail"] or "")
    if kind in _CHOICE_KINDS or (kind == "sub_measure" and list(row["chosen"])):
        text = f"［ {answer} ］"
        if kind == "band" and detail:
            text += f"\n（{detail}）"
        elif kind == "sub_measure" and detail:
            text += f"\n{detail}"
        return text
    return answer


def _omitted(rows: list[dict]) -> set[int]:
    """The rows of a stage declared out: its risks, ratings and measures, left out of the document.

    Under a heading with a ticked check box (委託しない …), the rows left empty by the declaration and the risk
    headings with nothing left under them.
    """
    out: set[int] = set()
    n = len(rows)
    depth = [int(r["depth"]) for r in rows]
    for i, r in enumerate(rows):
        if r["kind"] != "check" or r["answer"] != "☑":
            continue
        parent = depth[i] - 1
        start = i
        while start > 0 and depth[start] > parent:
            start -= 1
        end = start + 1
        while end < n and depth[end] > parent:
            end += 1
        out |= {j for j in range(start + 1, end) if rows[j]["status"] == "empty_declared"}
        # headings whose every descendant is left out, last to first
        for j in reversed(range(start + 1, end)):
            if rows[j]["kind"] != "heading":
                continue
            k = j + 1
            while k < end and depth[k] > depth[j]:
                k += 1
            if k > j + 1 and all(x in out for x in range(j + 1, k)):
                out.add(j)
    return out


def _lines(rows: list[dict]) -> list[_Line]:
    """The printed rows of a part of the answers (in order): omitted rows left out, a note where a stage is out."""
    omitted = _omitted(rows)
    out: list[_Line] = []
    change = None
    checks: list[str] = []  # the ticked check boxes printed just before: what a note on left-out rows names
    for i, r in enumerate(rows):
        if i in omitted:
            if not out or out[-1].kind != "note":
                words = "・".join(f"「{c}」" for c in checks) or "対象外の宣言"
                out.append(_Line("note", "", f"{words}を選択：この段階のリスク及びその対策は記載しない",
                                 int(r["depth"])))
            continue
        if not r["show"]:
            continue
        if r["kind"] == "check":
            same_group = out and out[-1].item_id.split(".declared.")[0] == str(r["item_id"]).split(".declared.")[0]
            checks = (checks if same_group else []) + ([str(r["label_ja"])] if r["answer"] == "☑" else [])
        depth = int(r["depth"])
        if r["unit_kind"] == "change" and r["unit"] != change and r["kind"] != "repeat":
            change = r["unit"]
            out.append(_Line("block", f"変更{change}", "", depth))
        kind = str(r["kind"])
        item = f"{r['item_id']}" + (f" [{r['unit']}]" if r["unit"] else "")
        if depth == 0 and kind in ("heading", "repeat"):
            line = _Line("section", str(r["number"]), str(r["label_ja"]), depth,
                         answer=str(r["answer"]) if kind == "repeat" else "", status=str(r["status"]),
                         item_id=item)
        elif kind == "repeat":
            line = _Line("block", str(r["number"]), str(r["label_ja"]), depth, answer=str(r["answer"]),
                         status=str(r["status"]), item_id=item)
        elif kind == "heading":
            line = _Line("heading", str(r["number"]), str(r["label_ja"]), depth, item_id=item)
        else:
            choices = list(r["choices"]) if kind in (*_CHOICE_KINDS, "sub_measure") else []
            line = _Line("item", str(r["number"]), str(r["label_ja"]), depth, answer=_answer_text(r),
                         choices=_choices_text(choices), pending=r["status"] == "missing",
                         status=str(r["status"]), filled_from=str(r["filled_from"]), item_id=item)
            if depth == 0:  # a section that is one item (基礎 Ⅲ しきい値判断結果): its title, then the answer
                out.append(_Line("section", line.number, line.label, 0))
                # the title says it once: not 「Ⅲ しきい値判断結果」 twice
                line.depth, line.number, line.label = 1, "", ""
        out.append(line)
    return out


def _sheet_name(text: str, used: set[str]) -> str:
    r"""A sheet name Excel accepts: no []:*?/\\, at most 31 characters, unique in the workbook."""
    base = _SHEET_FORBIDDEN.sub("＿", unicodedata.normalize("NFC", text)).strip().strip("'") or "Sheet"
    name, k = base[:31], 2
    while name.casefold() in used:
        suffix = f"（{k}）"
        name = base[:31 - len(suffix)] + suffix
        k += 1
    used.add(name.casefold())
    return name


def assessment_rows(answers: pd.DataFrame, form: str) -> list[tuple[str, str, list[tuple[str, ...]]]]:
    r"""The printed document of one form: its parts (a sheet each) and their rows, as the writers print them.

    Parameters
    ----------
    answers
        The frame of :func:`~pia_analysis.outputs.assessment_answers.assessment_answers` (one form or several).
    form
        The form to print: ``full``, ``focused`` or ``basic``.

    Returns
    -------
    list of tuple
        One ``(sheet name, title, rows)`` per part in the form's order: a section, or one Ⅱ per file. Each row is
        a tuple of :data:`SHEET_COLUMNS` (number, label, answer, <選択肢>, status, model table or key, item id).

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        When ``answers`` has no row of ``form``.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model
    >>> from pia_analysis.outputs.assessment_answers import assessment_answers
    >>> from pia_analysis.outputs.assessment import assessment_rows
    >>> parts = assessment_rows(assessment_answers(load_model(bundled_model_path()), form="basic"), "basic")
    >>> [sheet for sheet, _title, _rows in parts]
    ['表紙', 'Ⅰ', 'Ⅱ', 'Ⅲ', 'Ⅳ', '変更箇所']
    >>> next(r for r in parts[1][2] if r[1] == "実施の有無")[2:4]
    ('［ 実施する ］', '＜選択肢＞\n1) 実施する\n2) 実施しない')
    """
    return [(p.sheet, p.title, [_cells(x) for x in p.lines]) for p in _parts(answers, form)]


def _cells(line: _Line) -> tuple[str, ...]:
    return (line.number, line.label, line.answer, line.choices, _STATUS_JA.get(line.status, line.status),
            line.filled_from, line.item_id)


def _parts(answers: pd.DataFrame, form: str, diagram: bytes | None = None) -> list[_Part]:
    """The sheets / PDF sections of one form; ``diagram`` (PNG) is drawn under 別添1's 図 row."""
    frame = answers.loc[answers["form"] == form]
    if frame.empty:
        raise InvalidArgumentError(f"the answers have no row of the form {form!r}")
    records = frame.to_dict("records")
    sections: dict[str, list[dict]] = {}
    for r in records:
        sections.setdefault(str(r["section"]), []).append(r)
    used: set[str] = set()
    parts: list[_Part] = []
    for section, rows in sections.items():
        top = rows[0]
        if section in _PER_FILE_SECTIONS and top["kind"] == "repeat":
            starts = [i for i, r in enumerate(rows) if int(r["depth"]) == 0] + [len(rows)]
            for a, b in zip(starts, starts[1:]):
                chunk = rows[a:b]
                title = str(chunk[0]["answer"])
                if chunk[0]["unit"]:
                    parts.append(_Part(_sheet_name(f"{section} {title}", used),
                                       f"{section} {top['label_ja']}（{title}）", _lines(chunk)))
                else:
                    parts.append(_Part(_sheet_name(section, used), f"{section} {top['label_ja']}", _lines(chunk)))
            continue
        label = str(top["label_ja"]) if int(top["depth"]) == 0 else section
        number = str(top["number"]) if int(top["depth"]) == 0 else ""
        title = f"{number} {label}".strip() if number and number != label else label
        parts.append(_Part(_sheet_name(section, used), title, _lines(rows)))
    if diagram:
        for part in parts:
            for k, line in enumerate(part.lines):
                if line.item_id == f"{form}.A1.diagram" and line.status != "missing":
                    part.lines.insert(k + 1, _Line("image", "", "", line.depth, image=diagram))
                    break
    return parts


# ---------------------------------------------------------------------------------------------------
# the workbook


_NOT_ASCII = re.compile(r"[^\x00-\x7f]")


def _line_count(text: str, width: float) -> int:
    """Lines a wrapped cell needs: a Japanese (non-ASCII) character takes two width units, others about one."""
    n = 0
    for para in str(text).split("\n"):
        units = 1.1 * len(para) + 0.9 * len(_NOT_ASCII.findall(para))
        n += max(1, math.ceil(units / max(1.0, width - 1)))
    return n


def assessment_workbook(answers: pd.DataFrame, form: str, path: str | Path | None = None,
                        diagram: bytes | None = None) -> bytes:
    """The 評価書 of one form as an Excel workbook, one sheet per section, printable on A4 portrait.

    Parameters
    ----------
    answers
        The frame of :func:`~pia_analysis.outputs.assessment_answers.assessment_answers`.
    form
        ``full``, ``focused`` or ``basic`` (a form of ``answers``).
    path
        Where to write the workbook; None: only return its bytes.
    diagram
        The 別添1 diagram as PNG bytes (:func:`affair_diagram_png`), placed under the 図 row of the full form;
        None: none (the 図 row's text only).

    Returns
    -------
    bytes
        The xlsx file: the same bytes for the same answers (fixed document dates and zip times).

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        When ``answers`` has no row of ``form``.

    Examples
    --------
    >>> import io
    >>> from openpyxl import load_workbook
    >>> from pia_analysis import bundled_model_path, load_model
    >>> from pia_analysis.outputs.assessment_answers import assessment_answers
    >>> from pia_analysis.outputs.assessment import assessment_workbook
    >>> answers = assessment_answers(load_model(bundled_model_path()), form="basic")
    >>> wb = load_workbook(io.BytesIO(assessment_workbook(answers, "basic")))
    >>> wb.sheetnames
    ['表紙', 'Ⅰ', 'Ⅱ', 'Ⅲ', 'Ⅳ', '変更箇所']
    >>> ws = wb["Ⅳ"]
    >>> ws.print_area, int(ws.page_setup.paperSize), ws.page_setup.orientation, ws.page_setup.fitToWidth
    ("'Ⅳ'!$A$1:$D$24", 9, 'portrait', 1)
    """
    return _write_workbook(_parts(answers, form, diagram), _document_title(answers, form), path)


def _write_workbook(parts: list[_Part], title: str, path: str | Path | None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "pia-analysis"
    wb.properties.title = neutralise(title)
    font = "游ゴシック"
    body, small, grey = Font(name=font, size=10), Font(name=font, size=9), Font(name=font, size=9, color="666666")
    bold = Font(name=font, size=10, bold=True)
    big = Font(name=font, size=13, bold=True)
    thin = Side(style="thin", color="999999")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    fills = {"section": PatternFill("solid", fgColor="D9E1F2"), "block": PatternFill("solid", fgColor="E2EFDA"),
             "heading": PatternFill("solid", fgColor="F2F2F2"), "pending": PatternFill("solid", fgColor="FCE4D6"),
             "header": PatternFill("solid", fgColor="D9D9D9"), "note": PatternFill("solid", fgColor="FFFFFF")}
    scratch = wb.create_sheet("scratch")
    styles: dict[tuple, object] = {}

    def style(c: int, kind: str, pending: bool, indent: int):
        """The cell style of column ``c`` in a row of ``kind``, built once (openpyxl hashes every style set)."""
        key = (c, kind, pending, indent)
        if key not in styles:
            # a fresh cell per style: a reused one would carry the last style's fill and font over
            cell = scratch.cell(len(styles) + 1, 1)
            cell.alignment = Alignment(vertical="top", wrap_text=True, indent=indent)
            cell.font = (body if c < 4 else small) if c <= _PRINTED else grey
            if c <= _PRINTED:
                cell.border = box
            if kind in ("section", "block", "heading") and c <= _PRINTED:
                cell.fill = fills[kind]
                if c <= 3:
                    cell.font = bold
            if kind == "note" and c == 2:
                cell.font = grey
            if pending and c == 3:
                cell.fill = fills["pending"]
                cell.font = Font(name=font, size=10, bold=True, color="C00000")
            styles[key] = copy(cell._style)
        return styles[key]

    for part in parts:
        ws = wb.create_sheet(part.sheet)
        for i, width in enumerate(_WIDTHS, 1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.cell(1, 1, neutralise(f"{title}　{part.title}")).font = big
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=_PRINTED)
        ws.row_dimensions[1].height = 24
        for c, name in enumerate(SHEET_COLUMNS, 1):
            cell = ws.cell(2, c, name)
            cell.font, cell.fill, cell.border = (bold if c <= _PRINTED else grey), fills["header"], box
            cell.alignment = Alignment(vertical="center", horizontal="center")
        for r, line in enumerate(part.lines, 3):
            if line.kind == "image" and line.image:
                _sheet_image(ws, line.image, r)
                continue
            values = _cells(line)
            indent = min(line.depth, 6)
            for c, value in enumerate(values, 1):
                cell = ws.cell(r, c, neutralise(value) if value != "" else None)
                cell._style = copy(style(c, line.kind, line.pending, indent if c == 2 else 0))
            if line.kind == "note":
                ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=_PRINTED)
            lines = max(_line_count(values[1], _WIDTHS[1] - 2 * indent), _line_count(values[2], _WIDTHS[2]),
                        _line_count(values[3], _WIDTHS[3] * 1.1), 1)
            # a row as high as its wrapped text (Excel does not size rows written by a program); 409 is Excel's cap
            ws.row_dimensions[r].height = min(409, 14.5 * lines + 3)
        last = ws.max_row
        ws.print_area = f"A1:{get_column_letter(_PRINTED)}{last}"
        ws.print_title_rows = "1:2"
        ws.freeze_panes = "A3"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = ws.ORIENTATION_PORTRAIT
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_margins.left = ws.page_margins.right = 0.5
        ws.page_margins.top = ws.page_margins.bottom = 0.75
        ws.page_margins.header = ws.page_margins.footer = 0.3
        ws.print_options.horizontalCentered = True
        ws.oddHeader.right.text = neutralise(part.sheet)
        ws.oddHeader.right.size = 8
        ws.oddFooter.center.text = "&P / &N"
        ws.oddFooter.center.size = 8
    wb.remove(scratch)
    buffer = io.BytesIO()
    wb.save(buffer)
    data = normalise_xlsx(buffer.getvalue())
    if path is not None:
        Path(path).write_bytes(data)
    return data


def _sheet_image(ws, png: bytes, row: int) -> None:
    """A picture in row ``row`` across the printed columns but the first, the row as high as the picture."""
    from openpyxl.drawing.image import Image as SheetImage

    picture = SheetImage(io.BytesIO(png))
    # Excel's column width unit is about 7 pixels (+5 of padding); a row's height is in points (3/4 pixel)
    room = sum(w * 7 + 5 for w in _WIDTHS[1:_PRINTED])
    scale = min(1.0, room / picture.width, (409 / 0.75) / picture.height)  # 409 points: Excel's highest row
    picture.width, picture.height = int(picture.width * scale), int(picture.height * scale)
    ws.row_dimensions[row].height = picture.height * 0.75 + 4
    ws.add_image(picture, f"B{row}")


def _document_title(answers: pd.DataFrame, form: str) -> str:
    rows = answers.loc[(answers["form"] == form) & answers["item_id"].str.endswith(".cover.title")]
    if len(rows) and rows.iloc[0]["status"] != "missing" and rows.iloc[0]["answer"]:
        return str(rows.iloc[0]["answer"])
    return FORM_NAMES_JA.get(form, form)


# ---------------------------------------------------------------------------------------------------
# the PDF

# The PDF is drawn by reportlab (a well-kept library: TrueType subsetting, deterministic output with
# invariant=1) on its canvas; the rows are laid out here because the form's table needs Japanese line breaking
# (kinsoku) and rows split across pages with （続き）, and a per-character width table keeps 1.7 million
# characters fast (platypus measures every paragraph through its own tokenizer, several times slower).
_FONT, _FALLBACK = "IPAexGothic", "DejaVuSans"
_MISSING = "〓"  # the geta mark: Japanese typesetting's sign of a character no font has


@functools.lru_cache(maxsize=1)
def _fonts() -> tuple[dict[str, float], frozenset[str], frozenset[str]]:
    """Register the fonts once: each character's width at 1 pt, the characters of the main and fallback fonts.

    The main font is the charts' IPAexGothic (bundled by ``matplotlib-fontja``); the fallback for what it lacks
    (☑ ☐ …) is DejaVu Sans, matplotlib's own default font, so both ship with the dependencies.
    """
    from matplotlib import font_manager
    from matplotlib.font_manager import FontProperties
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    import matplotlib_fontja  # noqa: F401  (registers IPAexGothic with matplotlib's font manager)

    # the files matplotlib itself draws the charts with, found as it finds them
    main_path = font_manager.findfont(FontProperties(family="IPAexGothic"), fallback_to_default=False)
    fallback_path = font_manager.findfont(FontProperties(family="DejaVu Sans"), fallback_to_default=False)
    main, fallback = TTFont(_FONT, str(main_path)), TTFont(_FALLBACK, str(fallback_path))
    for font in (main, fallback):
        if font.fontName not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(font)
    widths = {chr(code): w / 1000 for code, w in fallback.face.charWidths.items() if code >= 32}
    widths.update({chr(code): w / 1000 for code, w in main.face.charWidths.items() if code >= 32})
    main_chars = frozenset(chr(code) for code in main.face.charWidths if code >= 32)
    fallback_chars = frozenset(chr(code) for code in fallback.face.charWidths if code >= 32) - main_chars
    widths.setdefault(_MISSING, 1.0)
    for code in range(32):
        widths[chr(code)] = 0.0  # control characters are not printed
    return widths, main_chars, fallback_chars


@functools.lru_cache(maxsize=None)
def _colour(hex_colour: str):
    """The reportlab colour of ``#RRGGBB``, parsed once (parsing a string on every call was a third of the time)."""
    from reportlab.lib.colors import HexColor

    return HexColor(hex_colour)


class _PdfCanvas:
    """An A4 document drawn on reportlab's canvas, in points from the page's top left corner."""

    def __init__(self, path: str | Path, title: str):
        from reportlab.pdfgen import canvas

        self.char_widths, self._main, self._fallback = _fonts()
        self.memo: dict = {}  # what a caller measured once (wrapped lines), kept with the document
        self._canvas = canvas.Canvas(str(path), pagesize=(_PAGE_W, _PAGE_H), invariant=1, pageCompression=1,
                                     pdfVersion=(1, 4))
        self._canvas.setTitle(title)
        self._canvas.setCreator("pia-analysis")
        self._canvas.setProducer("pia-analysis (reportlab)")
        self._started = False
        self._state: tuple = ()  # the fill colour, font and size last set on the page: set again only on change

    def new_page(self) -> None:
        if self._started:
            self._canvas.showPage()
        self._started = True
        self._state = ()

    def _fill(self, colour: str) -> None:
        if self._state[:1] != (colour,):
            self._canvas.setFillColor(_colour(colour))
            self._state = (colour, *self._state[1:])

    def width(self, text: str, size: float) -> float:
        widths = self.char_widths
        return size * sum(widths.get(c, 1.0) for c in text)

    def _runs(self, text: str) -> list[tuple[str, str]]:
        """The text cut where the font changes: IPAexGothic, DejaVu Sans for what it lacks, 〓 for the rest."""
        main, fallback = self._main, self._fallback
        runs: list[tuple[str, str]] = []
        for ch in text:
            if ord(ch) < 32:
                continue
            font = _FONT if ch in main else _FALLBACK if ch in fallback else _FONT
            ch = ch if ch in main or ch in fallback else _MISSING
            if runs and runs[-1][0] == font:
                runs[-1] = (font, runs[-1][1] + ch)
            else:
                runs.append((font, ch))
        return runs

    def text(self, x: float, y: float, text: str, size: float, colour: str = "#111111") -> None:
        """One line of text whose top is ``y`` points below the page's top (the baseline 0.88 em lower)."""
        c = self._canvas
        self._fill(colour)
        base = _PAGE_H - y - 0.88 * size
        for font, run in self._runs(text):
            if self._state[1:] != (font, size):
                c.setFont(font, size)
                self._state = (self._state[0], font, size)
            c.drawString(x, base, run)
            x += self.width(run, size)

    def rect(self, x: float, y: float, w: float, h: float, fill: str) -> None:
        self._fill(fill)
        self._canvas.rect(x, _PAGE_H - y - h, w, h, stroke=0, fill=1)

    def line(self, x1: float, y1: float, x2: float, y2: float, colour: str = "#999999", width: float = 0.5) -> None:
        c = self._canvas
        c.setStrokeColor(_colour(colour))
        c.setLineWidth(width)
        c.line(x1, _PAGE_H - y1, x2, _PAGE_H - y2)

    def image(self, png: bytes, x: float, y: float, w: float, h: float) -> None:
        """A picture whose top left corner is (x, y) points from the page's top left."""
        from reportlab.lib.utils import ImageReader

        self._canvas.drawImage(ImageReader(io.BytesIO(png)), x, _PAGE_H - y - h, w, h)

    def save(self) -> None:
        self._canvas.save()


_PAGE_W, _PAGE_H = 595.2755905511812, 841.8897637795277  # A4 in points (reportlab.lib.pagesizes.A4)
_MARGIN_X, _MARGIN_TOP, _MARGIN_BOTTOM = 42.0, 54.0, 50.0  # points
_TITLE_H = 30.0  # the part's title at the top of its first page
_COL_NUMBER, _COL_LABEL = 54.0, 176.0  # points; the answer takes the rest
_SIZE, _SIZE_CHOICES = 8.5, 7.0
_LEADING = 1.38
_PAD = 3.2
_INDENT = 10.0  # points per level of depth
_COLOURS = {"section": "#D9E1F2", "block": "#E2EFDA", "heading": "#F2F2F2", "pending": "#FCE4D6"}
_NO_LINE_START = "。、，．）」』】〕・ー％%):;,.!?！？"
_NO_LINE_END = "（「『【〔(["
_WORD = re.compile(r"[0-9A-Za-z_.,:;!?'\"()\[\]/%@=+\-]+ ?| |.")


def _wrap(doc: _PdfCanvas, text: str, width: float, size: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` points: Latin words whole, Japanese at any character.

    A line does not start with 。、）… (they stay at the end of the line before, a little past the edge, as
    Japanese typesetting does); a word longer than the line is cut. The same text, width and size are wrapped
    once per document (labels and choice lists repeat in every block).
    """
    key = (text, width, size)
    if key in doc.memo:
        return doc.memo[key]
    widths = doc.char_widths
    # compare widths at 1 pt; half an em is kept for a 、。） hanging at the end of a line
    limit = width / size - 0.5
    lines: list[str] = []
    for para in str(text).split("\n"):
        if sum(widths.get(c, 1.0) for c in para) <= limit:
            lines.append(para)
            continue
        line, used = "", 0.0
        for token in _WORD.findall(para):
            w = sum(widths.get(c, 1.0) for c in token)
            if used + w <= limit or (token[0] in _NO_LINE_START and line):
                line += token
                used += w
                continue
            if w > limit:  # a word longer than a line: cut it where it reaches the edge
                for ch in token:
                    cw = widths.get(ch, 1.0)
                    if used + cw > limit and line:
                        lines.append(line.rstrip())
                        line, used = "", 0.0
                    line += ch
                    used += cw
                continue
            carried = ""
            while line and line[-1] in _NO_LINE_END:  # an opening bracket goes to the next line with its word
                carried, line = line[-1] + carried, line[:-1]
            if line.strip():
                lines.append(line.rstrip())
            line = carried + token.lstrip()
            used = sum(widths.get(c, 1.0) for c in line)
        lines.append(line.rstrip())
    doc.memo[key] = lines
    return lines


@dataclasses.dataclass
class _Drawn:
    """A row measured for the page: its wrapped cells and height (in points)."""

    line: _Line
    number: list[str]
    label: list[str]
    answer: list[str]
    choices: list[str]

    @property
    def body_lines(self) -> int:
        return max(len(self.number), len(self.label), len(self.answer), 1)

    @property
    def height(self) -> float:
        if self.line.kind == "image":
            return _image_size(self.line.image)[1] + 2 * _PAD
        # the <選択肢> follow the answer in its column: the row is as high as its tallest column
        answer = len(self.answer) * _SIZE * _LEADING + len(self.choices) * _SIZE_CHOICES * _LEADING
        return max(self.body_lines * _SIZE * _LEADING, answer) + 2 * _PAD


def _spans(line: _Line) -> bool:
    """Whether the row's number is written across the number and label columns (a block title without a label)."""
    return line.kind == "block" and not line.label and bool(line.number)


def _image_size(png: bytes | None) -> tuple[float, float]:
    """Points an image row's picture takes: the table's whole width, its height by the picture's proportions."""
    from PIL import Image

    width = _PAGE_W - 2 * _MARGIN_X - 2 * _PAD
    if not png:
        return width, 0.0
    with Image.open(io.BytesIO(png)) as picture:
        w, h = picture.size
    # at most two thirds of a page high (a tall picture is narrowed to keep its proportions)
    room = (_PAGE_H - _MARGIN_TOP - _MARGIN_BOTTOM - _TITLE_H) * 2 / 3
    scale = min(width / w, room / h)
    return w * scale, h * scale


def _measure(doc: _PdfCanvas, line: _Line) -> _Drawn:
    if line.kind == "image":
        return _Drawn(line, [], [], [], [])
    usable = _PAGE_W - 2 * _MARGIN_X
    answer_w = usable - _COL_NUMBER - _COL_LABEL - 2 * _PAD
    # a block's title with no label of its own (システム10, 提供先・移転先1) spans the label column too, rather than
    # breaking inside the word in the narrow number column
    number_w = (_COL_NUMBER + _COL_LABEL if _spans(line) else _COL_NUMBER) - 2 * _PAD
    number = _wrap(doc, line.number, number_w, _SIZE) if line.number else []
    if line.kind == "note" or (line.kind in ("section", "block") and not line.answer):
        return _Drawn(line, number, _wrap(doc, line.label, usable - _COL_NUMBER - 2 * _PAD, _SIZE), [], [])
    indent = _INDENT * max(0, line.depth - 1)
    label = _wrap(doc, line.label, _COL_LABEL - indent - 2 * _PAD, _SIZE) if line.label else []
    answer = _wrap(doc, line.answer, answer_w, _SIZE) if line.answer else []
    choices: list[str] = []
    if line.choices:
        # the <選択肢> under the answer, in the smaller grey type, as many to a line as fit
        choices = _wrap(doc, "＜選択肢＞ " + "　".join(line.choices.split("\n")[1:]), answer_w, _SIZE_CHOICES)
    return _Drawn(line, number, label, answer, choices)


def _split(drawn: _Drawn, room: float) -> tuple[_Drawn, _Drawn]:
    """A row too long for the rest of the page: the lines that fit, and the rest (continued on the next page)."""
    fit = max(1, int((room - 2 * _PAD) / (_SIZE * _LEADING)))
    head = _Drawn(drawn.line, drawn.number[:fit], drawn.label[:fit], drawn.answer[:fit], [])
    rest = _Drawn(dataclasses.replace(drawn.line, number=""), [], drawn.label[fit:] or ["（続き）"],
                  drawn.answer[fit:], drawn.choices)
    return head, rest


def _pages(doc: _PdfCanvas, parts: list[_Part]) -> list[tuple[_Part, list[_Drawn]]]:
    """The rows of each part laid out on pages: each part starts a page, a long row is split across pages.

    The part's first row (its section title) is the heading of the part's first page, not a row.
    """
    height = _PAGE_H - _MARGIN_TOP - _MARGIN_BOTTOM - _TITLE_H
    lh = _SIZE * _LEADING
    pages: list[tuple[_Part, list[_Drawn]]] = []
    for part in parts:
        lines = part.lines[1:] if part.lines and part.lines[0].kind == "section" else part.lines
        queue = deque(_measure(doc, x) for x in lines)
        page: list[_Drawn] = []
        used, count = 0.0, 0
        while queue:
            drawn = queue.popleft()
            if used + drawn.height <= height:
                page.append(drawn)
                used += drawn.height
                continue
            room = height - used
            # a long row (a third of a page or more) is split where it stands when three lines fit; a short one
            # moves to the next page whole
            if (drawn.height > height / 3 or not page) and drawn.body_lines > 3 and room >= 3 * lh + 2 * _PAD:
                head, rest = _split(drawn, room)
                page.append(head)
                queue.appendleft(rest)
            elif not page:  # nothing fits even on an empty page and it cannot be split: print it as it is
                page.append(drawn)
            else:
                queue.appendleft(drawn)
            pages.append((part, page))
            count += 1
            page, used = [], 0.0
        if page or not count:
            pages.append((part, page))
    return pages


def _fit_heading(doc: _PdfCanvas, heading: str, width: float, size: float = 12.5,
                 smallest: float = 10.0) -> tuple[str, float]:
    """A section heading that fits its bar on one line: a smaller size first, then shortened with an ellipsis.

    A file's or system's name may be 200 characters long (schema.MAX_NAME_CHARS): the heading keeps its start
    (the section) and its closing bracket and （続き）, and the middle gives way (the name in full is in the
    section's rows).
    """
    while doc.width(heading, size) > width and size > smallest:
        size = max(smallest, size - 0.5)
    if doc.width(heading, size) <= width:
        return heading, size
    tail = ""
    for end in ("（続き）", "）"):
        if heading.endswith(end):
            heading, tail = heading[: -len(end)], end + tail
    room = width - doc.width("…" + tail, size)
    kept = ""
    for char in heading:
        if doc.width(kept + char, size) > room:
            break
        kept += char
    return kept + "…" + tail, size


def _draw_page(doc: _PdfCanvas, part: _Part, rows: list[_Drawn], title: str, page: int, total: int,
               first: bool, cover: str) -> None:
    doc.new_page()
    left, right = _MARGIN_X, _PAGE_W - _MARGIN_X
    # running head and foot: the document, the section, the page
    head_y = _MARGIN_TOP - 24
    doc.text(left, head_y, title, 7.5, "#555555")
    running = part.title if doc.width(part.title, 7.5) < (right - left) / 2 else part.sheet
    doc.text(right - doc.width(running, 7.5), head_y, running, 7.5, "#555555")
    doc.line(left, head_y + 11, right, head_y + 11, "#888888", 0.5)
    folio = f"{page} / {total}"
    doc.text((_PAGE_W - doc.width(folio, 8)) / 2, _PAGE_H - _MARGIN_BOTTOM + 18, folio, 8, "#333333")
    y = _MARGIN_TOP
    heading = part.title if first else f"{part.title}（続き）"
    if first and page == 1:  # the cover: what the document is
        heading = f"特定個人情報保護評価書（{cover}）"
    doc.rect(left, y - 3, right - left, 22, _COLOURS["section"])
    heading, size = _fit_heading(doc, heading, right - left - 2 * _PAD)
    doc.text(left + _PAD, y, heading, size, "#111111")
    y += _TITLE_H
    x_label = left + _COL_NUMBER
    x_answer = x_label + _COL_LABEL
    lh = _SIZE * _LEADING
    top = y
    doc.line(left, y, right, y, "#BBBBBB", 0.5)
    for drawn in rows:
        line, hh = drawn.line, drawn.height
        if line.kind == "image" and line.image:
            w, h = _image_size(line.image)
            doc.image(line.image, left + (right - left - w) / 2, y + _PAD, w, h)
            y += hh
            doc.line(left, y, right, y, "#BBBBBB", 0.5)
            continue
        colour = _COLOURS.get(line.kind)
        if colour:
            doc.rect(left, y, right - left, hh, colour)
        if line.pending:
            doc.rect(x_answer, y, right - x_answer, hh, _COLOURS["pending"])
        for k, text in enumerate(drawn.number):
            doc.text(left + _PAD, y + _PAD + k * lh, text, _SIZE)
        wide = line.kind == "note" or (line.kind in ("section", "block") and not line.answer)
        indent = 0.0 if wide else _INDENT * max(0, line.depth - 1)
        for k, text in enumerate(drawn.label):
            doc.text(x_label + indent + _PAD, y + _PAD + k * lh, text, _SIZE,
                     "#555555" if line.kind == "note" else "#111111")
        for k, text in enumerate(drawn.answer):
            doc.text(x_answer + _PAD, y + _PAD + k * lh, text, _SIZE, "#C00000" if line.pending else "#111111")
        below = y + _PAD + len(drawn.answer) * lh
        for k, text in enumerate(drawn.choices):
            doc.text(x_answer + _PAD, below + k * _SIZE_CHOICES * _LEADING, text, _SIZE_CHOICES, "#555555")
        y += hh
        doc.line(left, y, right, y, "#BBBBBB", 0.5)
    if rows:  # the columns' rules: the label column's left rule stops at a block title written across it
        row_top = top
        for drawn in rows:  # the answer column's rule stops at a picture drawn across the table
            if drawn.line.kind != "image":
                doc.line(x_answer, row_top, x_answer, row_top + drawn.height, "#DDDDDD", 0.5)
            row_top += drawn.height
        for x in (left, right):
            doc.line(x, top, x, y, "#BBBBBB", 0.5)
        row_top = top
        for drawn in rows:
            if not _spans(drawn.line) and drawn.line.kind != "image":
                doc.line(x_label, row_top, x_label, row_top + drawn.height, "#DDDDDD", 0.5)
            row_top += drawn.height


def assessment_pdf(answers: pd.DataFrame, form: str, path: str | Path, diagram: bytes | None = None) -> int:
    """Write the 評価書 of one form as an A4-portrait PDF (the rows of the workbook's printed columns).

    Parameters
    ----------
    answers
        The frame of :func:`~pia_analysis.outputs.assessment_answers.assessment_answers`.
    form
        ``full``, ``focused`` or ``basic`` (a form of ``answers``).
    path
        The PDF file to write.
    diagram
        The 別添1 diagram as PNG bytes (:func:`affair_diagram_png`), drawn under the 図 row across the table;
        None: none.

    Returns
    -------
    int
        The number of pages. The same answers give the same bytes (no dates, no random ids).

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        When ``answers`` has no row of ``form``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from pypdf import PdfReader
    >>> from pia_analysis import bundled_model_path, load_model
    >>> from pia_analysis.outputs.assessment_answers import assessment_answers
    >>> from pia_analysis.outputs.assessment import assessment_pdf
    >>> answers = assessment_answers(load_model(bundled_model_path()), form="basic")
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "basic.pdf"
    >>> pages = assessment_pdf(answers, "basic", path)
    >>> text = "".join(p.extract_text() for p in PdfReader(path).pages)
    >>> pages == len(PdfReader(path).pages), "しきい値判断結果" in text
    (True, True)
    """
    return _write_pdf(_parts(answers, form, diagram), _document_title(answers, form), path, form)


def _write_pdf(parts: list[_Part], title: str, path: str | Path, form: str) -> int:
    from reportlab import rl_config

    # the page streams Flate-compressed only: reportlab's default adds an ASCII85 layer (a quarter larger, and
    # in pure Python a tenth of the time of a 1,000-system document); restored after, a setting of the process
    a85, rl_config.useA85 = rl_config.useA85, 0
    try:
        doc = _PdfCanvas(path, title)
        pages = _pages(doc, parts)
        seen: set[int] = set()
        for i, (part, rows) in enumerate(pages, 1):
            _draw_page(doc, part, rows, title, i, len(pages), id(part) not in seen, FORM_NAMES_JA.get(form, form))
            seen.add(id(part))
        doc.save()
    finally:
        rl_config.useA85 = a85
    return len(pages)


# ---------------------------------------------------------------------------------------------------
# completeness and the pack


def assessment_summary(completeness: pd.DataFrame) -> dict[str, str]:
    """One line per form: how many items the model filled, how many are left 【要記入】.

    Parameters
    ----------
    completeness
        The frame of :func:`~pia_analysis.outputs.assessment_answers.assessment_completeness`.

    Returns
    -------
    dict
        The line of each form (``full``, ``focused``, ``basic``), in the frame's order.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model
    >>> from pia_analysis.outputs.assessment_answers import assessment_answers, assessment_completeness
    >>> from pia_analysis.outputs.assessment import assessment_summary
    >>> c = assessment_completeness(assessment_answers(load_model(bundled_model_path()), form="basic"))
    >>> print(assessment_summary(c)["basic"])  # doctest: +ELLIPSIS
    評価書_basic（基礎項目評価書）: 40 items, 29 filled (model 19, derived 7, document 3, override 0), ...
    """
    out = {}
    for row in completeness.loc[completeness["section"] == "計"].itertuples(index=False):
        filled = row.model + row.derived + row.document + row.override
        out[row.form] = (f"評価書_{row.form}（{FORM_NAMES_JA.get(row.form, row.form)}）: {row.items} items, {filled} "
                         f"filled (model {row.model}, derived {row.derived}, document {row.document}, override "
                         f"{row.override}), {row.missing} {PENDING_JA}, {row.empty_declared} left empty by the form "
                         f"or a declaration; {row.filled_share:.0%} of those to fill"
                         + (f"; 別添3 {row.change_rows} change rows (not counted)" if row.change_rows else ""))
    return out


_READING_LANGS = ("ja", "en")
_SECTION_EN = {"計": "total"}


def assessment_reading(completeness: pd.DataFrame, lang: str = "ja") -> str:
    """What the completeness table says, in a few sentences: per form, how much the model fills and what is left.

    Per form: the items to fill, how many the model fills (and how: read as is, derived, from the document-only
    data, overridden), how many are left 【要記入】, and the section with the most of them. Only what the table
    holds: the sentences are true of any model.

    Parameters
    ----------
    completeness
        The frame of :func:`~pia_analysis.outputs.assessment_answers.assessment_completeness`.
    lang
        ``ja`` (default) or ``en``.

    Returns
    -------
    str
        One paragraph per form, separated by a blank line; a line saying there is no form when the frame is empty.

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is not ``ja`` or ``en``, or ``completeness`` lacks a column of the completeness table.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model
    >>> from pia_analysis.outputs.assessment_answers import assessment_answers, assessment_completeness
    >>> from pia_analysis.outputs.assessment import assessment_reading
    >>> c = assessment_completeness(assessment_answers(load_model(bundled_model_path()), form="basic"))
    >>> print(assessment_reading(c, "en"))  # doctest: +ELLIPSIS
    基礎項目評価書: the model fills 29 of the 39 items to fill (74%): 19 read as they are, 7 derived, ...
    """
    if lang not in _READING_LANGS:
        raise InvalidArgumentError(f"lang must be one of {', '.join(_READING_LANGS)}, got {lang!r}")
    needed = ("form", "section", "items", "model", "derived", "document", "override", "empty_declared", "missing",
              "filled_share")
    if missing := [c for c in needed if c not in completeness.columns]:
        raise InvalidArgumentError(f"completeness lacks column(s) {', '.join(missing)}: give "
                                   "assessment_completeness' frame")
    paragraphs = []
    for form in dict.fromkeys(completeness["form"]):
        rows = completeness.loc[completeness["form"] == form]
        total = rows.loc[rows["section"] == "計"]
        if total.empty:
            continue
        t = total.iloc[0]
        to_fill = int(t["items"] - t["empty_declared"])
        filled = int(t["model"] + t["derived"] + t["document"] + t["override"])
        sections = rows.loc[(rows["section"] != "計") & (rows["missing"] > 0)]
        worst = sections.loc[sections["missing"].idxmax()] if not sections.empty else None
        name = FORM_NAMES_JA.get(form, form)
        if lang == "ja":
            how = (f"そのまま {int(t['model']):,}、導出 {int(t['derived']):,}、文書情報 {int(t['document']):,}、"
                   f"上書き {int(t['override']):,}")
            text = (f"{name}: 記入する {to_fill:,} 項目のうち {filled:,} 項目（{t['filled_share']:.0%}）を"
                    f"モデルから記入した（{how}）。{PENDING_JA}は {int(t['missing']):,} 項目")
            text += (f"で、最も多いのは {worst['section']}（{int(worst['missing']):,} 項目）。" if worst is not None
                     else "。")
            if worst is not None:
                text += "何で埋まるかは missing_items.csv（記入元）を参照。"
        else:
            text = (f"{name}: the model fills {filled:,} of the {to_fill:,} items to fill ({t['filled_share']:.0%}): "
                    f"{int(t['model']):,} read as they are, {int(t['derived']):,} derived, {int(t['document']):,} "
                    f"from the document-only data, {int(t['override']):,} overridden. {int(t['missing']):,} are "
                    f"left {PENDING_JA}")
            text += (f", most of them in {worst['section']} ({int(worst['missing']):,}); missing_items.csv says "
                     "which model table or key would fill each." if worst is not None else ".")
        paragraphs.append(text)
    if not paragraphs:
        return "評価書の様式がない。" if lang == "ja" else "No form of the 評価書."
    return "\n\n".join(paragraphs)


def assessment_changes(answers: pd.DataFrame, form: str = "full") -> pd.DataFrame:
    """The 別添3 変更箇所 of a form as a table: one row per change, the form's columns.

    Parameters
    ----------
    answers
        The frame of :func:`~pia_analysis.outputs.assessment_answers.assessment_answers`, computed with a
        ``previous`` version (else there are no change rows).
    form
        The form whose 別添3 to read (default ``full``; the 基礎項目評価書 has no 別添3).

    Returns
    -------
    DataFrame
        Columns 変更日, 項目, 変更前の記載, 変更後の記載, 提出時期, 提出時期に係る説明 (the layout's labels), one
        row per change in the document's order; empty (with the columns) when nothing changed.

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        When ``answers`` lacks a column of the answers frame.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, with_control_status
    >>> from pia_analysis.outputs.assessment_answers import assessment_answers
    >>> from pia_analysis.outputs.assessment import assessment_changes
    >>> base = load_model(bundled_model_path())
    >>> changed = with_control_status(base, "C-STORE-FW", "missing")
    >>> rows = assessment_changes(assessment_answers(changed, form="full", previous=base))
    >>> rows[["変更前の記載", "変更後の記載", "提出時期"]].values.tolist()
    [['状況：実施済み', '状況：未実施', '事前']]
    """
    if missing := [c for c in ("form", "item_id", "parent", "unit", "unit_kind", "label_ja", "answer")
                   if c not in answers.columns]:
        raise InvalidArgumentError(f"answers lack column(s) {', '.join(missing)}: give assessment_answers' frame")
    rows = answers.loc[(answers["form"] == form) & (answers["unit_kind"] == "change")]
    layout = form_layout(form) if form in FORM_NAMES_JA else None
    columns = (list(layout.loc[layout["repeat"] == "change", "label_ja"]) if layout is not None
               else list(dict.fromkeys(rows["label_ja"])))
    if rows.empty:
        return pd.DataFrame(columns=columns)
    table = rows.pivot(index="unit", columns="label_ja", values="answer")
    order = sorted(table.index, key=lambda u: (len(str(u)), str(u)))  # change 1, 2, … 10
    return table.loc[order, columns].reset_index(drop=True).rename_axis(columns=None)


def _missing_items(answers: pd.DataFrame) -> pd.DataFrame:
    rows = answers.loc[(answers["status"] == "missing") & answers["show"] & (answers["kind"] != "repeat")]
    return pd.DataFrame({"form": rows["form"], "section": rows["section"], "item_id": rows["item_id"],
                         "unit": rows["unit"], "number": rows["number"], "label_ja": rows["label_ja"],
                         "filled_from": rows["filled_from"]}).reset_index(drop=True)


def affair_diagram_png(model: Model, dpi: int = 150) -> bytes | None:
    r"""The picture of the 別添1 diagram: the analyst's own (``document.affair_diagram``) or one drawn from the model.

    The analyst's file (PNG, JPEG, GIF or BMP; the path relative to the model's folder, or to the workbook's
    folder) is converted to PNG as it is. Without it, the data-flow diagram of the model is drawn for a published
    document: the zones, systems, flows and My Number holders, the arrows numbered as the steps of 事務の流れ
    (:func:`~pia_analysis.outputs.assessment_answers.affair_steps`), and no exposure, entry points or colour bar
    (:func:`~pia_analysis.charts.dataflow.dataflow_diagram` with ``exposure=None``).

    Parameters
    ----------
    model
        A loaded model.
    dpi
        The resolution of the drawn diagram (an A4-landscape page: 150 dpi gives 1,754 × 1,240 pixels).

    Returns
    -------
    bytes or None
        PNG bytes, the same for the same model; None for a model without flows and without its own diagram.

    Raises
    ------
    pia_analysis.model.errors.ModelError
        When ``document.affair_diagram`` names a file that is missing or is not a picture (located on its line
        of ``model.yaml``).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model
    >>> from pia_analysis.outputs.assessment import affair_diagram_png
    >>> affair_diagram_png(load_model(bundled_model_path()))[:8] == b"\x89PNG\r\n\x1a\n"
    True
    """
    from PIL import Image, UnidentifiedImageError

    require_model(model, "affair_diagram_png")
    given = (model.document or {}).get("affair_diagram")
    if given not in (None, ""):
        base = Path(model.path) if model.path is not None else Path.cwd()
        base = base.parent if base.is_file() else base
        path = base / str(given)
        try:
            with Image.open(path) as picture:
                picture.load()
                out = io.BytesIO()
                picture.save(out, format="PNG")
            return out.getvalue()
        except (OSError, UnidentifiedImageError, ValueError) as exc:
            reason = "no such file" if isinstance(exc, FileNotFoundError) else "not a picture it can read"
            yaml_file = base / "model.yaml"
            lines = yaml_file.read_text(encoding="utf-8").splitlines() if yaml_file.is_file() else []
            line = next((n for n, text in enumerate(lines, 1) if text.lstrip().startswith("affair_diagram:")), None)
            raise ModelError([Problem(
                str(yaml_file if yaml_file.is_file() else model.path), line, "document.affair_diagram",
                f"the picture {str(given)!r} of 別添1 cannot be read: {reason} ({path})",
                "give a PNG or JPEG file, its path relative to the model's folder, or remove the key to have the "
                "diagram drawn from the model")]) from None
    if model.flows.empty:
        return None
    from ..charts.dataflow import dataflow_diagram
    from ..charts.style import drawable_figure

    steps = affair_steps(model)
    fig = dataflow_diagram(model, None, "ja", step_labels=dict(zip(steps["flow_id"], steps["label"])))
    out = io.BytesIO()
    drawable_figure(fig).savefig(out, format="png", dpi=dpi, metadata={"Software": None})
    return out.getvalue()


def _build(model: Model, work: Path, form: str, lang: str, progress: Callable[[str], None]) -> dict[str, str]:
    answers = assessment_answers(model, form=form)
    completeness = assessment_completeness(answers)
    forms = list(dict.fromkeys(answers["form"]))
    diagram = affair_diagram_png(model) if "full" in forms else None
    for name in forms:
        parts, title = _parts(answers, name, diagram), _document_title(answers, name)
        progress(f"[{name}] 評価書_{name}.xlsx")
        _write_workbook(parts, title, work / f"評価書_{name}.xlsx")
        progress(f"[{name}] 評価書_{name}.pdf")
        _write_pdf(parts, title, work / f"評価書_{name}.pdf", name)
    write_csv(completeness, work / "completeness.csv")
    write_csv(_missing_items(answers), work / "missing_items.csv")
    summary = assessment_summary(completeness)
    text = ("\n".join(summary.values()) if summary else
            "the threshold requires no 評価書 (give --form basic to write one)")
    (work / "summary.txt").write_text(text + "\n", encoding="utf-8")
    return summary


def write_assessment(model: Model, out_dir: str | Path, *, form: str = "auto", lang: str = "ja",
                     progress: Callable[[str], None] | None = None,
                     inputs: Iterable[str | Path] = ()) -> dict[str, str]:
    """Write the 評価書 of the model into the pack folder ``out_dir``: workbooks, PDFs and completeness tables.

    For each form (the ones the threshold requires with ``auto``, else the one asked for): ``評価書_<form>.xlsx``
    (:func:`assessment_workbook`) and ``評価書_<form>.pdf`` (:func:`assessment_pdf`); then ``completeness.csv``
    (:func:`~pia_analysis.outputs.assessment_answers.assessment_completeness`), ``missing_items.csv`` (each item
    left 【要記入】 and the model table or key that would fill it), ``summary.txt`` (the lines of
    :func:`assessment_summary`) and ``manifest.json``. The folder is written as a pack
    (:func:`~pia_analysis.util.files.write_pack`): built beside ``out_dir`` and swapped into place whole;
    ``out_dir`` must be missing, empty or an earlier pack.

    Parameters
    ----------
    model
        A loaded model.
    out_dir
        The pack folder.
    form
        ``auto`` (default), ``full``, ``focused`` or ``basic``.
    lang
        The language of the document: ``ja`` (the form is Japanese).
    progress
        Called with a line before each file (default: nothing).
    inputs
        Paths the pack must not be written over or around (the model's own path is added).

    Returns
    -------
    dict
        The summary line of each form written.

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        When ``form`` or ``lang`` is not one of those above.
    pia_analysis.util.files.OutputRefused
        When ``out_dir`` holds anything but an earlier pack, or holds an input.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from pia_analysis import bundled_model_path, load_model
    >>> from pia_analysis.outputs.assessment import write_assessment
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "assessment"
    >>> summary = write_assessment(load_model(bundled_model_path()), out, form="basic")
    >>> sorted(p.name for p in out.iterdir())
    ['completeness.csv', 'manifest.json', 'missing_items.csv', 'summary.txt', '評価書_basic.pdf', '評価書_basic.xlsx']
    """
    require_model(model, "write_assessment")
    if lang not in _LANGS:
        raise InvalidArgumentError(f"lang must be one of {', '.join(_LANGS)}, got {lang!r}")
    if form != "auto" and form not in FORM_NAMES_JA:
        raise InvalidArgumentError(f"form must be auto or one of {', '.join(FORM_NAMES_JA)}, got {form!r}")
    inputs = list(inputs) + ([model.path] if model.path is not None else [])
    say = progress or (lambda _msg: None)
    summary: dict[str, str] = {}

    def build(work: Path) -> None:
        summary.update(_build(model, work, form, lang, say))

    write_pack(Path(out_dir), build, inputs=inputs, option="--out")
    return summary
