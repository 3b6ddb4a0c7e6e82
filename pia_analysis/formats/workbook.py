"""Excel workbooks as models: one ``.xlsx`` file instead of a model directory.

A model workbook has a sheet per table, named as the table (``zones``, ``systems``, ``files``, ``flows``,
``controls``, and optionally ``risks`` and ``ratings``) with the same columns as the CSV file (row 1 is
the header), plus a ``model`` sheet of ``key, value`` rows for the keys of ``model.yaml``. A ``guide``
sheet explains the format in Japanese and English; it and any other sheet are ignored on loading (but
scanned for My Numbers). See ``docs/workbook.md``.

Cells are read as the text a CSV file would give (an Excel TRUE → ``true``, 0.3 → ``0.3``, 932000 →
``932000``, a date → ``2021-11-09``) and then parsed and checked by :mod:`pia_analysis.formats.directory` exactly as a
model directory's cells are: the same kinds, choices, ranges, cross-table checks and My Number guard.
Every problem is located as ``path.xlsx[sheet]:row: column: message`` (``row`` is the Excel row number).
A cell holding a formula is an error: type the value.

``previous`` is written in the workbook relative to the folder that holds the workbook
(``kitakyushu-juki-h28``); in memory (``Model.meta``) it is relative to the model's own path as for a
directory, so ``../kitakyushu-juki-h28`` for ``data/kitakyushu-juki-r3.xlsx`` — the same value as the
directory ``data/kitakyushu-juki-r3/`` holds.

Writing is deterministic (fixed zip and document dates, :func:`pia_analysis.util.spreadsheet.normalise_xlsx`),
atomic (a temporary file renamed into place), and text cells that a spreadsheet would run as a formula
are neutralised with a leading apostrophe, which loading removes again.
"""

from __future__ import annotations

__all__ = ["GUIDE_SHEET", "META_SHEET", "SHEET_ORDER", "is_workbook_path", "load_workbook", "read_workbook_meta",
           "row_numbers", "save_workbook", "workbook_bytes", "workbook_naming"]

import datetime as dt
import functools
import io as _io
import math
import os
import posixpath
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .. import catalog
from . import directory as model_io
from .shared import SharedLabel, shared_row_ids
from ..model import cells as model_cells
from ..model import checks
from ..util.spreadsheet import normalise_xlsx, starts_like_formula
from ..model.model import Model
from ..model.mynumber import find_my_numbers
from ..model.rated import fold_ratings, rated_item_table
from ..model.glyphs import check_glyphs
from ..util.files import write_model_file
from ..model.schema import (DOCUMENT_KEYS, KIND_MEANINGS, MAX_CELLS, MAX_COLUMNS, MODEL_KEY_MEANINGS, MODEL_KEYS,
                            PROCEDURE_KEYS,
                            RATING_SETS, TABLE_BY_NAME, TableRef, TABLES, Column, Table)
from ..model.errors import ModelError, Naming, Problem

META_SHEET = "model"
GUIDE_SHEET = "guide"
#: The sheet of model.yaml's ``document`` block: a key (dotted, ``disclosure.office``) and its value per row.
DOCUMENT_SHEET = "document"
#: Sheet order of a written workbook.
SHEET_ORDER = (GUIDE_SHEET, META_SHEET, DOCUMENT_SHEET) + tuple(t.name for t in TABLES)
#: Uncompressed size above which a workbook is refused unread (a model is a few MiB at most).
MAX_UNZIPPED_BYTES = 256 * 2**20
_MAX_ROW = 1_048_576  # Excel's last row: drop-downs cover whole columns
#: The last column a value may use on any sheet (IV, the last column of the old .xls format): a table has
#: at most a dozen columns, and the columns a user adds are far fewer than this.
_MAX_COLUMN = MAX_COLUMNS  # one limit with CSV tables (pia_analysis.model.schema)
#: Rows of data a sheet may hold (row numbers up to MAX_ROWS + 1): four times the largest table of the
#: national model (50,507 controls).
MAX_ROWS = 200_000
# MAX_CELLS (pia_analysis.model.schema): ``<c>`` elements, empty ones included, in all the sheets.
#: XML elements a workbook's sheets may hold in all (a cell is two or three: ``<c>``, ``<v>``, ``<f>`` …).
MAX_ELEMENTS = 4 * MAX_CELLS
#: Unpacked size of each part that openpyxl parses whole when it opens a workbook (workbook.xml, styles.xml,
#: relationships, properties, chart sheets): Excel's 64,000 cell styles fit in a few MiB, and openpyxl's
#: XML parsing under defusedxml is pure Python (about 2 s a MiB).
MAX_PART_BYTES = 8 * 2**20
#: Unpacked size of the shared strings part (read by :class:`_SheetReader`'s sibling, on expat, with the
#: cell budget: a string for each cell at most).
MAX_STRINGS_BYTES = 64 * 2**20
#: Characters a cell may hold: Excel's own limit.
MAX_CELL_CHARS = 32_767
_BOOL_LIST = '"TRUE,FALSE"'


# ---------------------------------------------------------------------------------------------------
# what the guide, the drop-downs and the input messages say


#: The points of the guide sheet: (ja, en).
GUIDE_POINTS: tuple[tuple[str, str], ...] = (
    ("このブックは、個人番号を扱う1つの事務のモデルです。model シートに評価の基本情報（key と value）を、"
     "zones・systems・files・flows・controls・risks・ratings・sub_measures の各シートに表を記入します。",
     "This workbook is the model of one affair that uses My Numbers: the model sheet holds the assessment's "
     "key facts (key, value); the sheets zones, systems, files, flows, controls, risks, ratings and sub_measures hold"
     " the tables."),
    ("各シートの1行目は列名です。変更・削除しないでください。2行目から1行に1件ずつ記入します（行の順序は自由、"
     "空行は無視されます）。追加した列は文字として保存されます。risks・ratings・sub_measures は"
     "空のままでも構いません。",
     "Row 1 of each sheet holds the column names: keep them. Fill in one item per row from row 2 (any order; "
     "blank rows are skipped). Columns you add are kept as text. risks, ratings and sub_measures may stay empty."),
    ("選択肢のある列（stage、kind、operator、status、rating、TRUE/FALSE の列）は、セルを選ぶと出るドロップダウンから"
     "選びます。日本語の語（入手、委託先、実施済み、○/× など。docs/model-format.md の一覧）も入力できます"
     "（確認の表示では「はい」を選びます）。日付は 2021-11-09、2021/11/9、令和3年11月9日、R3.11.9 のどれでも"
     "構いません。zone_id・source・target・ratings の risk_id では、他のシートのIDを選べます。",
     "Columns with choices (stage, kind, operator, status, rating, the TRUE/FALSE columns) have a drop-down; "
     "the Japanese words (入手, 委託先, 実施済み, ○/× …, listed in docs/model-format.md) may be typed too (answer "
     "Yes to Excel's warning). Dates may be 2021-11-09, 2021/11/9, 令和3年11月9日 or R3.11.9. "
     "zone_id, source, target and the risk_id of ratings offer the ids listed on the other sheets."),
    ("複数の値は ; で区切ります（例: JUKI_FILE;HONNIN_FILE）。"
     "controls の applies_to に * だけを書くと組織全体への対策です。",
     "Separate several values with ; (e.g. JUKI_FILE;HONNIN_FILE). * alone in applies_to of controls means "
     "the whole organisation."),
    ("数式は使えません。値を入力してください（数式のセルは誤りとして報告されます）。",
     "No formulas: type the values (a cell holding a formula is reported as an error)."),
    ("実在する個人番号を記入しないでください。正しい検査用数字をもつ12桁の数字を含むブックは読み込まれません。",
     "Never type a real My Number: a workbook holding a 12-digit number with a valid check digit is refused."),
    ("確認: pia-analysis validate ファイル名.xlsx 。問題はシート・行・列で示されます"
     "（例: model.xlsx[systems]:4: kind: 'laptop' is not one of …）。",
     "Check it with: pia-analysis validate FILE.xlsx. Every problem names the sheet, row and column "
     "(e.g. model.xlsx[systems]:4: kind: 'laptop' is not one of …)."),
    ("previous（前回のモデル）は、このブックがあるフォルダからの相対パスで書きます（例: city-juki-r5.xlsx）。",
     "previous (the earlier version) is a path relative to the folder holding this workbook "
     "(e.g. city-juki-r5.xlsx)."),
    ("document シートには評価書だけに書く事項（事務の内容、法令上の根拠、担当部署 …）を key と value で書きます（任意。"
     "空欄の行は読み飛ばされ、評価書では【要記入】になります）。file_details・outsourcing・recipients・form_answers "
     "のシートも任意です。法令の条項や部署名は、確かな出典があるものだけを書いてください。",
     "The document sheet holds what only the 評価書 states (the affair's content, legal bases, the department …) "
     "as key and value rows (optional; a row without a value is skipped, and the 評価書 marks the item "
     "【要記入】). The sheets file_details, outsourcing, recipients and form_answers are optional too. Write legal "
     "articles and department names only from a source you can cite."),
    ("任意の列と表（issue 18）: systems の processes には、保管せず経由するだけのファイルを書きます（holds は保管する"
     "ファイル）。zones の parent_zone には、そのゾーンを内側に含むゾーンを書きます。control_status シートには、対策の"
     "状況が要素（システム・フロー）によって異なるときだけ、その要素での状況を書きます。triage シートには、指摘"
     "（pia-analysis findings の finding_id）についての判断（accepted 受容・false_positive 誤検知・fixing 対応中）と"
     "理由、判断者、判断日、見直し日を書きます。",
     "Optional columns and sheets (issue 18): processes of systems lists the files that pass through without being "
     "kept (holds lists those kept); parent_zone of zones names the zone a zone lies inside. The control_status "
     "sheet gives a control's status on one system or flow, only where it differs from the control's own. The "
     "triage sheet records the analyst's decision on a finding (its finding_id from pia-analysis findings): "
     "accepted, false_positive or fixing, with the reason, who decided, when, and when to review it."),
    ("このシート（guide）と、上記以外の名前のシートは読み込まれません。詳しくは docs/workbook.md と "
     "docs/model-format.md を参照してください。",
     "This sheet and sheets with other names are not read. See docs/workbook.md and docs/model-format.md."),
)


def _choices_list(col: Column) -> list[str]:
    """The values a drop-down offers: the canonical choices (ratings: the three official ones)."""
    if col.kind == "bool":
        return ["TRUE", "FALSE"]
    if col.name == "rating":  # every rating set's labels: whether one fits the rated item is checked on load
        return [label for labels in RATING_SETS.values() for label in labels]
    return list(col.choices)


# ---------------------------------------------------------------------------------------------------
# cells ↔ text


def is_workbook_path(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` names a model workbook (suffix ``.xlsx``, any case) rather than a directory.

    Parameters
    ----------
    path
        Any path.

    Returns
    -------
    bool
        Whether it ends in ``.xlsx`` and is not a folder.

    Examples
    --------
    >>> from pia_analysis.formats.workbook import is_workbook_path
    >>> is_workbook_path("city.XLSX"), is_workbook_path("city")
    (True, False)
    """
    p = Path(path)
    return p.suffix.lower() == ".xlsx" and not p.is_dir()


#: Spreadsheet files that are not read as models, and the application that saves them as .xlsx.
OTHER_SPREADSHEET_SUFFIXES = {".xls": "Excel", ".xlsm": "Excel", ".xlsb": "Excel", ".xltx": "Excel", ".xltm": "Excel",
                              ".xlt": "Excel", ".ods": "LibreOffice", ".fods": "LibreOffice", ".numbers": "Numbers"}


def other_spreadsheet_problem(path: str | os.PathLike[str]) -> Problem | None:
    """The problem of a spreadsheet file given as a model in another format than ``.xlsx``.

    ``.xls``, ``.xlsm``, ``.xlsb``, ``.ods`` …; None for any other path.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "city.xls"
    >>> _ = path.write_bytes(b"")
    >>> other_spreadsheet_problem(path).message
    'save it as .xlsx (Excel: File → Save As → Excel Workbook)'
    >>> other_spreadsheet_problem(path.with_suffix(".xlsx")) is None
    True
    """
    p = Path(path)
    app = OTHER_SPREADSHEET_SUFFIXES.get(p.suffix.lower())
    if app is None or model_io.path_is(p, "dir") or not os.path.lexists(p):
        return None  # a folder so named is a model directory; a missing file is reported as such
    how = {"Excel": "Excel: File → Save As → Excel Workbook",
           "LibreOffice": "LibreOffice: File → Save As → Excel 2007-365 (.xlsx)",
           "Numbers": "Numbers: File → Export To → Excel"}[app]
    return Problem(str(path), None, "", f"save it as .xlsx ({how})",
                   f"pia-analysis reads model workbooks as .xlsx only, not {p.suffix}")


def _neutralise(text: str) -> str:
    """Prefix a formula-like text with an apostrophe.

    Prefix a formula-like text with an apostrophe (also a text that already starts with apostrophes
    before a formula character, so that :func:`_unneutralise` gives back exactly the original).
    """
    if starts_like_formula(text.lstrip("'")):
        return "'" + text
    return text


def _unneutralise(text: str) -> str:
    if text.startswith("'") and starts_like_formula(text.lstrip("'")):
        return text[1:]
    return text


# OOXML strings cannot hold a carriage return (XML reads it as a line feed) nor most control characters;
# Excel writes them as _xHHHH_ (and a literal "_xHHHH_" with its underscore escaped as _x005F_).
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_NEEDS_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)|[\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _escape(text: str) -> str:
    return _NEEDS_ESCAPE.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def _unescape(text: str) -> str:
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def _number_text(value: float) -> str:
    if math.isfinite(value) and value.is_integer() and abs(value) < 2**63:
        return str(int(value))
    return repr(value)


def cell_text(value: Any) -> str:
    r"""The text a CSV file would hold for a cell value typed by Excel.

    Examples
    --------
    >>> [cell_text(v) for v in (True, 0.3, 932000, 932000.0, dt.datetime(2021, 11, 9), None, "'=1+1", "a_x000D_")]
    ['true', '0.3', '932000', '932000', '2021-11-09', '', '=1+1', 'a\r']
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) and value.tzinfo is None else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, str):
        return _unneutralise(_unescape(value))
    return str(value)


@dataclass
class _Cell:
    text: str
    formula: str | None = None  # the formula, when the cell holds one
    error: str | None = None  # the error value (#N/A …), when the cell holds one

    @property
    def usable(self) -> bool:
        return self.formula is None and self.error is None


_BLANK = _Cell("")


# ---------------------------------------------------------------------------------------------------
# reading


@dataclass
class _Sheet:
    name: str
    rows: list[tuple[int, dict[int, _Cell]]]  # (Excel row number, {column number: cell}), non-empty rows only
    label: str = ""  # where its problems are located: path.xlsx[sheet]


def _letter(position: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(position)


def _sheet_label(label_root: str, sheet: str) -> str:
    return f"{label_root}[{sheet}]"


class _StringsReader:
    """The shared strings part, read on expat within the budgets.

    The shared strings part (``xl/sharedStrings.xml``) on expat: the text of each ``<si>`` (its ``<t>``
    runs, without phonetic readings), as openpyxl's ``read_string_table`` gives it, within the budgets.
    """

    def __init__(self, label: str, problems: list[Problem]) -> None:
        self.label, self.problems = label, problems
        self.strings: list[str] = []
        self.text: list[str] | None = None
        self.item: list[str] | None = None
        self.phonetic = 0
        self.reading: list[str] = []  # the phonetic runs (rPh) of the current item: only for the guard
        self.elements = MAX_ELEMENTS
        self.chars = 0

    def refuse(self, message: str, hint: str) -> None:
        self.problems.append(Problem(self.label, None, "", message, hint))
        raise _Stop

    def start(self, tag: str, _attrs: dict[str, str]) -> None:
        self.elements -= 1
        if self.elements < 0:
            self.refuse(f"its shared strings hold more than {MAX_ELEMENTS:,} XML elements: this is not a model "
                        "workbook", "copy the model's cells into a new workbook")
        if tag == _SI:
            self.item, self.chars, self.reading = [], 0, []
            if len(self.strings) >= MAX_CELLS:
                self.refuse(f"it holds more than {MAX_CELLS:,} shared strings: this is not a model workbook",
                            "a model workbook has a few hundred thousand cells at most")
        elif tag == _PHONETIC:
            self.phonetic += 1
        elif tag == _T and self.item is not None:
            self.text = self.reading if self.phonetic else self.item

    def end(self, tag: str) -> None:
        if tag == _SI and self.item is not None:
            self.strings.append("".join(self.item).replace("x005F_", ""))
            self.item = None
            if self.reading:
                _unloaded_problems(f"{self.label}!xl/sharedStrings.xml", f"phonetic reading (rPh) of shared string "
                                   f"{len(self.strings)}", "".join(self.reading), self.problems)
        elif tag == _PHONETIC:
            self.phonetic -= 1
        self.text = None

    def data(self, text: str) -> None:
        if self.text is not None:
            self.chars += len(text)
            if self.chars > MAX_CELL_CHARS:
                self.refuse(f"shared string {len(self.strings) + 1:,} holds more than {MAX_CELL_CHARS:,} characters "
                            "(Excel's limit for a cell)", "this is not a model workbook")
            self.text.append(text)

    def read(self, source: Any) -> list[str]:
        parser = _expat(self.start, self.end, self.data)
        while True:
            chunk = source.read(2**20)
            parser.Parse(chunk, not chunk)
            if not chunk:
                return self.strings


def _expat(start: Any, end: Any, data: Any) -> Any:
    """An expat parser with namespaces (``"URI local"`` names) that refuses DTDs and entities."""
    import pyexpat

    parser = pyexpat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = _forbid_dtd
    parser.ExternalEntityRefHandler = _forbid_dtd
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, data
    parser.buffer_text = True
    return parser


@functools.lru_cache(maxsize=1)  # openpyxl is imported when a workbook is first read, not with this module
def _excel_reader_class() -> Any:
    """Openpyxl's ExcelReader with bounded shared strings and worksheets.

    Openpyxl's ExcelReader, reading the shared strings with :class:`_StringsReader` and making worksheets
    that do not parse their XML on opening (openpyxl looks for the declared dimension, which is not used).
    """
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.xml.constants import SHARED_STRINGS

    class Worksheet(ReadOnlyWorksheet):
        def _get_size(self) -> None:
            pass  # the dimension is ignored: _SheetReader streams the cells that exist

    class Reader(ExcelReader):
        label = ""
        problems: list[Problem] = []

        def read_strings(self) -> None:
            ct = self.package.find(SHARED_STRINGS)
            if ct is not None:
                with self.archive.open(ct.PartName[1:]) as src:
                    self.shared_strings = _StringsReader(self.label, self.problems).read(src)

        def read_worksheets(self) -> None:
            for sheet, rel in self.parser.find_sheets():
                if rel.target not in self.valid_files:
                    continue
                if "chartsheet" in rel.Type:
                    self.read_chartsheet(sheet, rel)
                    continue
                ws = Worksheet(self.wb, sheet.name, rel.target, self.shared_strings)
                ws.sheet_state = sheet.state
                self.wb._sheets.append(ws)

    return Reader


def _reason(exc: BaseException) -> str:
    """The first cause of an exception as one short line (openpyxl wraps XML errors in several lines)."""
    seen = {id(exc)}
    while (exc.__cause__ or exc.__context__) is not None and id(exc.__cause__ or exc.__context__) not in seen:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
        seen.add(id(exc))
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= 200 else text[:199] + "…"


def _open(path: Path, label_root: str, problems: list[Problem]):
    """The openpyxl workbook (read-only), or None with a located problem."""
    if not path.exists():
        problems.append(Problem(label_root, None, "", "does not exist",
                                "give the path of a model workbook (.xlsx) or of a model directory"))
        return None
    try:
        size = path.stat().st_size
        if size > model_io.MAX_FILE_BYTES:
            problems.append(Problem(label_root, None, "",
                                    f"is {size / 2**20:.1f} MiB, over the {model_io.MAX_FILE_BYTES // 2**20} MiB limit",
                                    "a model workbook is a few MiB at most; check that the right file was saved here"))
            return None
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
        unzipped = sum(info.file_size for info in infos)
        if unzipped > MAX_UNZIPPED_BYTES:
            problems.append(Problem(label_root, None, "", f"unpacks to {unzipped / 2**20:.0f} MiB, over the "
                                    f"{MAX_UNZIPPED_BYTES // 2**20} MiB limit", "this is not a model workbook"))
            return None
        for info in infos:
            name = info.filename
            if name.startswith("xl/worksheets/") and "/" not in name[len("xl/worksheets/"):]:
                continue  # streamed by _SheetReader within the cell budget
            cap = MAX_STRINGS_BYTES if name.lower().endswith("sharedstrings.xml") else MAX_PART_BYTES
            if info.file_size > cap and name.lower().endswith((".xml", ".rels")):
                problems.append(Problem(f"{label_root}!{name}", None, "",
                                        f"this part unpacks to {info.file_size / 2**20:.0f} MiB, over the "
                                        f"{cap // 2**20} MiB limit", "this is not a model workbook; copy the model's "
                                                                     "cells into a new workbook"))
                return None
        reader = _excel_reader_class()(path, read_only=True, data_only=False, keep_links=False)
        reader.label, reader.problems = label_root, problems
        reader.read()
        return reader.wb
    except _Stop:
        return None
    except zipfile.BadZipFile:
        problems.append(Problem(label_root, None, "", "is not an Excel workbook (.xlsx)",
                                "save it from Excel as 'Excel Workbook (*.xlsx)', without a password"))
    except OSError as exc:
        problems.append(Problem(label_root, None, "", f"cannot be read ({exc.strerror or exc})"))
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file
        problems.append(Problem(label_root, None, "", f"is not a readable Excel workbook ({_reason(exc)})",
                                "open it in Excel and save it again as 'Excel Workbook (*.xlsx)'"))
    return None


class _Budget:
    """What is left of the cells (and XML elements) a workbook may hold, over all its sheets."""

    def __init__(self) -> None:
        self.cells = MAX_CELLS
        self.elements = MAX_ELEMENTS


class _Stop(Exception):
    """Raised inside the XML handlers to stop reading a sheet (the problem is already recorded)."""


_COORDINATE = re.compile(r"([A-Za-z]{1,3})([0-9]{1,7})")
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main "
_C, _V, _F, _T, _ROW, _PHONETIC, _SI = (_NS + tag for tag in ("c", "v", "f", "t", "row", "rPh", "si"))
_HYPERLINK = _NS + "hyperlink"
# Text of a sheet that the model never loads but that must hold no My Number either: header and footer,
# and the lists and bounds of data validations (where each goes, for the message).
_UNLOADED_TEXT = {_NS + tag: what for tag, what in (
    ("oddHeader", "header/footer"), ("evenHeader", "header/footer"), ("firstHeader", "header/footer"),
    ("oddFooter", "header/footer"), ("evenFooter", "header/footer"), ("firstFooter", "header/footer"),
    ("formula1", "data validation"), ("formula2", "data validation"))}
# Parts read only by the guard: comments, threaded comments and the document properties (title, author …).
_GUARDED_PARTS = re.compile(r"xl/comments[^/]*\.xml|xl/threadedComments/[^/]+\.xml|docProps/(?:core|app|custom)\.xml",
                            re.IGNORECASE)
_UNLOADED_HINT = ("the model never reads this part of the workbook, but it must hold no personal data either: "
                  "remove the number")


def _unloaded_problems(label: str, where: str, text: str, problems: list[Problem]) -> None:
    """A located problem for each My Number in ``text``, found in a part of the workbook the model never loads."""
    for _p, masked in find_my_numbers(text):
        problems.append(Problem(label, None, where, f"contains what looks like a real My Number ({masked}, valid "
                                                    "check digit)", _UNLOADED_HINT))


@functools.lru_cache(maxsize=1024)
def _column_number(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def _short_number(text: str) -> str:
    """A number from the file for a message: cut when absurdly long."""
    return text if len(text) <= 24 else text[:20] + "…"


def _row_number(text: str | None, previous: int) -> int:
    if text is None:
        return previous + 1
    number = float(text)
    if not number.is_integer() or number < 1:
        raise ValueError(f"{text!r} is not a row number")
    return int(number)


def _forbid_dtd(*_args: Any) -> None:
    # Excel never writes a DTD; entities are how XML bombs ("billion laughs") and external fetches work
    raise ValueError("the sheet's XML declares a DTD or entities, which a workbook never holds")


class _SheetReader:
    """A streaming parser of one worksheet's XML (``xl/worksheets/sheetN.xml``) straight on expat.

    openpyxl's row iterator pads every row with empty cells up to its last cell, so that one value in column
    XFD costs 16,384 cells per row (a 36 KB workbook took 4 GB), and its XML parser under defusedxml is
    pure Python (about 20 µs a cell). This reader keeps only the cells that hold something, whatever the
    declared ``<dimension>`` says, gives their values as openpyxl does (shared strings, numbers, booleans,
    dates by the cell's number format, inline and rich text without phonetic runs, formulas, errors) and
    stops at the first value out of bounds or cell over the workbook's budget. DTDs and entities are refused.
    """

    def __init__(self, ws: Any, label: str, problems: list[Problem], budget: _Budget,
                 on_row: Any = None) -> None:
        wb = ws.parent
        self.ws, self.label, self.problems, self.budget, self.on_row = ws, label, problems, budget, on_row
        self.strings = ws._shared_strings
        self.epoch, self.dates, self.durations = wb.epoch, wb._date_formats, wb._timedelta_formats
        self.rows: list[tuple[int, dict[int, _Cell]]] = []
        self.row = self.column = 0
        self.cells: dict[int, _Cell] = {}
        self.cell: dict[str, Any] | None = None  # the <c> being read: attributes, v, f, inline text
        self.text: list[str] | None = None  # where character data goes, when it matters
        self.phonetic = 0
        self.length = 0  # characters of the text being read
        self.shared_formulas: dict[str, Any] = {}
        self.unloaded: list[str] | None = None  # text of a header, footer or validation: only for the guard

    def refuse(self, where: str, message: str, hint: str) -> None:
        self.problems.append(Problem(f"{self.label}!{where}" if where else self.label, None, "", message, hint))
        raise _Stop

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.budget.elements -= 1
        if self.budget.elements < 0:
            self.refuse("", f"the workbook's sheets hold more than {MAX_ELEMENTS:,} XML elements: this is not a "
                            "model workbook", "a model workbook has a few hundred thousand cells at most; copy the "
                                              "model's sheets into a new workbook")
        if self.cell is not None:
            if tag == _V:
                self.text = self.cell["v"] = []
            elif tag == _F:
                self.cell["f"] = attrs
                self.text = self.cell["ftext"] = []
            elif tag == _PHONETIC:
                self.phonetic += 1  # a phonetic reading (furigana), not part of the text
            elif tag == _T:  # a phonetic reading's text is kept apart, only for the guard
                self.text = self.cell.setdefault("rph" if self.phonetic else "is", [])
        elif tag == _C:
            self.budget.cells -= 1
            if self.budget.cells < 0:
                self.refuse("", f"the workbook holds more than {MAX_CELLS:,} cells: this is not a model workbook",
                            "a model workbook has a few hundred thousand cells at most; delete what is not the model")
            self.cell = {"r": attrs.get("r"), "t": attrs.get("t", "n"), "s": attrs.get("s")}
        elif tag == _ROW:
            self.row = _row_number(attrs.get("r"), self.row)
            if self.row > _MAX_ROW:  # no workbook has such a row: refused before any of its cells
                self.refuse(f"row {_short_number(str(self.row))}", *self.beyond(f"row {MAX_ROWS + 1:,}", "a row"))
            self.column = 0
            self.cells = {}
        elif tag in _UNLOADED_TEXT:
            self.text = self.unloaded = []
        elif tag == _HYPERLINK:
            text = "\n\n\n\n\n".join(attrs.get(key, "") for key in ("display", "tooltip", "location"))
            _unloaded_problems(self.label, f"hyperlink {attrs.get('ref', '')}".strip(), text, self.problems)

    def end(self, tag: str) -> None:
        if tag == _C:
            self.finish_cell()
        elif tag == _ROW:
            if self.cells and any(not c.usable or c.text.strip() for c in self.cells.values()):
                if self.row > MAX_ROWS + 1:  # the row's number, whatever its cells' references say
                    self.refuse(f"row {self.row:,}", *self.beyond(f"row {MAX_ROWS + 1:,}"))
                if self.on_row is not None:
                    self.on_row(self.row, self.cells)
                else:
                    self.rows.append((self.row, self.cells))
            self.cells = {}
        elif tag == _PHONETIC:
            self.phonetic -= 1
        elif tag in _UNLOADED_TEXT and self.unloaded is not None:
            _unloaded_problems(self.label, _UNLOADED_TEXT[tag], "".join(self.unloaded), self.problems)
            self.unloaded = None
        self.text, self.length = None, 0

    def data(self, text: str) -> None:
        if self.text is not None:
            self.text.append(text)
            self.length += len(text)
            if self.length > MAX_CELL_CHARS + 64:  # 64: room for a formula's "=" and the like
                where = (self.cell or {}).get("r") or ""
                self.refuse(where, f"a cell holds more than {MAX_CELL_CHARS:,} characters (Excel's limit)",
                            "this is not a model workbook; shorten the text")

    def finish_cell(self) -> None:
        cell, self.cell = self.cell, None
        assert cell is not None
        coordinate = cell["r"]
        if cell.get("rph"):
            _unloaded_problems(self.label, f"phonetic reading (rPh) of {coordinate or 'a cell'}", "".join(cell["rph"]),
                               self.problems)
        if coordinate:
            m = _COORDINATE.fullmatch(coordinate)
            if m is None:
                raise ValueError(f"{coordinate!r} is not a cell reference")
            # an absurd reference (20 digits, 9 letters) is beyond Excel's sheet: never parsed whole
            column = _column_number(m.group(1)) if len(m.group(1)) <= 4 else 16385
            row = int(m.group(2)) if len(m.group(2)) <= 9 else _MAX_ROW + 1
            self.column = column
        else:
            self.column += 1
            column, row = self.column, self.row
        if column > 16384 or row > _MAX_ROW:  # beyond Excel's sheet: refused even when empty
            where = f"row {row}, column {column:,}" if row <= _MAX_ROW else _short_number(coordinate or f"row {row}")
            self.refuse(where,
                        *self.beyond(f"column {_letter(_MAX_COLUMN)}" if column > 16384 else f"row {MAX_ROWS + 1:,}"))
        value = self.value(cell, coordinate or f"{_letter(column)}{row}")
        if value is None:
            return
        if column > _MAX_COLUMN or row > MAX_ROWS + 1:
            where = f"{_letter(column)}{row}"
            limit = f"column {_letter(_MAX_COLUMN)}" if column > _MAX_COLUMN else f"row {MAX_ROWS + 1:,}"
            self.refuse(where, *self.beyond(limit))
        self.cells[column] = value

    @staticmethod
    def beyond(limit: str, what: str = "a value") -> tuple[str, str]:
        """The message and hint of a value (a row, a cell) beyond the extent a model workbook may use."""
        return (f"{what} lies beyond {limit}, the last a model workbook may use",
                f"delete everything right of column {_letter(_MAX_COLUMN)} and below row {MAX_ROWS + 1:,} "
                "(select the columns or rows, then Delete), or copy the model's cells into a new workbook")

    def value(self, cell: dict[str, Any], coordinate: str) -> _Cell | None:
        kind = cell["t"]
        if "f" in cell:
            attrs, text = cell["f"], "".join(cell["ftext"])
            formula = "=" + text
            if attrs.get("t") == "shared":  # the first cell holds the formula, the others its index
                from openpyxl.formula.translate import Translator

                index = attrs.get("si")
                if index in self.shared_formulas:
                    try:
                        formula = self.shared_formulas[index].translate_formula(coordinate)
                    except Exception:  # noqa: BLE001 - only shown in the message
                        formula = "=…"
                elif text:
                    self.shared_formulas[index] = Translator(formula, coordinate)
            return _Cell("", formula=formula if formula != "=" else "=…")
        if kind == "inlineStr":
            return _Cell(cell_text("".join(cell["is"]))) if "is" in cell else None
        if "v" not in cell:
            return None
        raw = "".join(cell["v"])
        if not raw:
            return None
        if kind == "n":
            number: Any = float(raw) if ("." in raw or "e" in raw or "E" in raw) else int(raw)
            style = int(cell["s"] or 0)
            if style and style in self.dates:
                from openpyxl.utils.datetime import from_excel

                try:
                    return _Cell(cell_text(from_excel(number, self.epoch, timedelta=style in self.durations)))
                except (OverflowError, ValueError):
                    return _Cell("", error="#VALUE!")  # as openpyxl: a date out of range
            return _Cell(str(number) if type(number) is int else cell_text(number))
        if kind == "s":
            index = int(raw)
            if not 0 <= index < len(self.strings):  # -1 would silently be the last string
                self.refuse(coordinate, f"refers to shared string {_short_number(raw)}, but the workbook holds "
                            f"{len(self.strings):,} (numbered from 0): the file is damaged",
                            "open the workbook in Excel and save it again as 'Excel Workbook (*.xlsx)'")
            return _Cell(cell_text(self.strings[index]))
        if kind == "b":
            return _Cell(cell_text(bool(int(raw))))
        if kind == "e":
            return _Cell("", error=raw)
        if kind == "d":
            from openpyxl.utils.datetime import from_ISO8601

            return _Cell(cell_text(from_ISO8601(raw)))
        return _Cell(cell_text(raw))  # "str": the text result of a formula, and anything else as text

    def read(self) -> list[tuple[int, dict[int, _Cell]]] | None:
        parser = _expat(self.start, self.end, self.data)
        try:
            with self.ws._get_source() as src:
                while True:
                    chunk = src.read(2**20)
                    parser.Parse(chunk, not chunk)
                    if not chunk:
                        break
        except _Stop:
            return None
        except Exception as exc:  # noqa: BLE001 - a damaged or hostile sheet: XML errors, DTDs, bad indexes …
            where = f"row {self.row}: " if self.row else ""
            self.problems.append(Problem(self.label, None, "", f"cannot be read ({where}{_reason(exc)})",
                                         "open the workbook in Excel and save it again as 'Excel Workbook (*.xlsx)'"))
            return None
        return self.rows


def _read_sheet(ws: Any, name: str, label: str, problems: list[Problem], budget: _Budget | None = None,
                on_row: Any = None) -> _Sheet | None:
    """The rows of a worksheet that hold something.

    The rows of a worksheet that hold something (``{column: cell}``, see :class:`_SheetReader`); None with a
    located problem when the sheet is unreadable or out of bounds. With ``on_row``, each row is given to it
    and not kept.
    """
    rows = _SheetReader(ws, label, problems, budget if budget is not None else _Budget(), on_row).read()
    return None if rows is None else _Sheet(name, rows, label)


def _guard(sheet: _Sheet, label: str, names: dict[int, str], problems: list[Problem]) -> None:
    """The My Number guard over every cell of a sheet (formulas included)."""
    for number, cells in sheet.rows:
        for pos, cell in cells.items():
            text = cell.text if cell.formula is None else cell.formula
            for _p, masked in find_my_numbers(text):
                problems.append(model_cells.my_number_problem(label, number, names.get(pos, f"column {_letter(pos)}"),
                                                              masked))


def _cell_problem(cell: _Cell, label: str, line: int, column: str, problems: list[Problem]) -> None:
    if cell.formula is not None:
        shown = cell.formula if len(cell.formula) <= 40 else cell.formula[:39] + "…"
        # A formula can build a number from pieces the guard cannot join (="1234"&"5678"&"9018"): one
        # holding twelve digits or more in all is not repeated (the cell is refused all the same).
        if sum(ch.isdecimal() for ch in cell.formula) >= 12:
            shown = "the formula"
        problems.append(Problem(label, line, column, "cell holds a formula; type the value",
                                f"replace {shown} by its value (copy the cell, then Paste Special → Values)"))
    elif cell.error is not None:
        problems.append(Problem(label, line, column, f"cell holds the error value {cell.error}; type the value",
                                "correct the cell so that it holds a plain value"))


def _header(sheet: _Sheet, label: str, problems: list[Problem]) -> tuple[dict[int, str], bool]:
    """Column position → name (NFKC) from row 1; False when the header is unusable."""
    if not sheet.rows or sheet.rows[0][0] != 1:
        return {}, False
    names: dict[int, str] = {}
    seen: dict[str, int] = {}
    ok = True
    for pos, cell in sorted(sheet.rows[0][1].items()):
        if not cell.usable:
            _cell_problem(cell, label, 1, f"column {_letter(pos)}", problems)
            ok = False
            continue
        name = model_cells.nfkc(cell.text)
        if not name:
            continue  # an unnamed column: fine while it holds no value (checked with the rows)
        if find_my_numbers(name):  # reported by the guard, which never prints the number: neither may we
            ok = False
            continue
        # as written: NFKC folds a no-break space that strip() then drops
        written = cell.text.strip(model_cells.EDGE_SPACES)
        invisible = _invisible(written)
        if invisible:
            problems.append(Problem(label, 1, f"column {_letter(pos)}",
                                    f"the column name {_shown(written)} holds the invisible character {invisible}",
                                    "retype the column name (invisible characters make two names that look the same "
                                    "differ)"))
            ok = False
            continue
        if name in seen:
            problems.append(Problem(label, 1, name, f"appears twice in the header (columns {_letter(seen[name])} and "
                                    f"{_letter(pos)})", "delete or rename one of them"))
            ok = False
        else:
            seen[name] = pos
            names[pos] = name
    return names, ok


def _invisible_id(text: str, label: str, line: int, column: str, problems: list[Problem]) -> None:
    """Refuse an id holding an invisible format character.

    An id holding an invisible format character (two ids shown as "REG" that differ): refused, unless
    the shared cell parser already refused the cell.
    """
    invisible = _invisible(text)
    if invisible:
        problems.append(Problem(label, line, column,
                                f"{_shown(text.strip())} holds the invisible character {invisible}",
                                "retype the id (invisible characters make two ids that look the same differ)"))


def _unnamed_values(sheet: _Sheet, names: dict[int, str], label: str, problems: list[Problem]) -> None:
    reported: set[int] = set()
    for number, cells in sheet.rows[1:]:
        for pos, cell in sorted(cells.items()):
            if pos not in names and pos not in reported and (cell.text.strip() or not cell.usable):
                reported.add(pos)
                problems.append(Problem(label, number, f"column {_letter(pos)}",
                                        "has a value but its column has no name in the header (row 1)",
                                        "give the column a name in row 1, or delete the values below it"))


def _read_table_sheet(sheet: _Sheet | None, table: Table, label_root: str,
                      problems: list[Problem]) -> tuple[model_cells.RawTable | None, list[int]]:
    """The typed table of one sheet, as io reads a CSV file (same parsing, same dtypes)."""
    label = _sheet_label(label_root, table.name)
    required = ",".join(c.name for c in table.columns if c.required)
    if sheet is None:
        if table.optional_file:
            return model_cells.RawTable(model_cells.empty_table(table), [], labels=[]), []
        problems.append(Problem(label, None, "", "is missing",
                                f"add a sheet named {table.name} whose first row holds: {required}"))
        return None, []
    if not sheet.rows:
        problems.append(Problem(label, 1, "", "is empty",
                                f"it needs at least the header row: {','.join(table.column_names)}"))
        return None, []
    names, ok = _header(sheet, label, problems)
    if sheet.rows[0][0] != 1:
        problems.append(Problem(label, 1, "", "row 1 is empty: it must hold the column names",
                                f"the header row is: {','.join(table.column_names)}"))
        return None, []
    missing = [c.name for c in table.columns if c.required and c.name not in names.values()]
    for name in missing:
        problems.append(Problem(label, 1, name, "required column is missing", f"the header needs: {required}"))
    _unnamed_values(sheet, names, label, problems)
    if missing or not ok:
        return None, []
    spec = {c.name: c for c in table.columns}
    parsed: dict[str, list[Any]] = {name: [] for name in names.values()}
    lines: list[int] = []
    for number, cells in sheet.rows[1:]:
        if not any(cell.text.strip() or not cell.usable for pos, cell in cells.items() if pos in names):
            continue  # a row with values only in unnamed columns was reported above
        for pos, name in names.items():
            cell = cells.get(pos, _BLANK)
            col = spec.get(name)
            if not cell.usable:
                _cell_problem(cell, label, number, name, problems)
                value = model_cells.parse_cell(col, "", label, number, []) if col else ""
            else:
                before = len(problems)
                value = (model_cells.parse_cell(col, cell.text, label, number, problems) if col else
                         model_cells.extra_cell(name, cell.text, label, number, problems))
                if col is not None and col.kind in ("id", "ref", "reflist") and len(problems) == before:
                    _invisible_id(cell.text, label, number, name, problems)
            parsed[name].append(value)
        lines.append(number)
    frame = model_cells.typed_frame(table, parsed, names.values(), len(lines))
    return model_cells.RawTable(frame, lines, labels=[label] * len(lines)), lines


def _meta_from_workbook_previous(text: str) -> str:
    """``previous`` as written in a workbook, as kept in memory.

    ``previous`` as written in a workbook (relative to its folder) → as kept in memory (relative to
    the workbook itself, as a directory's is relative to the directory).
    """
    if posixpath.isabs(text) or os.path.isabs(text):
        return text
    return posixpath.normpath(posixpath.join("..", text.replace("\\", "/")))


def _previous_for_workbook(model: Model, out: Path) -> str | None:
    """``previous`` of ``model`` as it is written into a workbook at ``out`` (relative to its folder)."""
    rel = model.meta.get("previous")
    if rel is None:
        return None
    if model.path is not None:
        target = (model.path / rel).resolve()
        return Path(os.path.relpath(target, out.resolve().parent)).as_posix()
    if os.path.isabs(rel):
        return rel
    return posixpath.normpath(posixpath.join(out.name, str(rel).replace("\\", "/")))


def _read_meta_sheet(sheet: _Sheet | None, label_root: str,
                     problems: list[Problem]) -> tuple[dict[str, Any], dict[str, int]]:
    """The model keys of the ``model`` sheet, and the row of each."""
    label = _sheet_label(label_root, META_SHEET)
    if sheet is None:
        problems.append(Problem(label, None, "", "is missing",
                                "add a sheet named model with the header row key, value and a row per key "
                                f"({', '.join(k for k, (req, _) in MODEL_KEYS.items() if req)})"))
        return {}, {}
    if not sheet.rows:
        problems.append(Problem(label, None, "", "is empty", "write key in A1 and value in B1, then one key and its "
                                                             "value per row"))
        return {}, {}
    first_row, first_cells = sheet.rows[0]
    first = first_cells.get(1, _BLANK)
    first_key = model_cells.nfkc(first.text) if first.usable else ""
    if first_row == 1 and first_key in MODEL_KEYS:  # no header row: keys in column A, values in column B
        key_pos, value_pos, data_rows = 1, 2, sheet.rows
    else:
        names, ok = _header(sheet, label, problems)
        by_name = {name.lower(): pos for pos, name in names.items()}
        if "key" not in by_name or "value" not in by_name:
            if ok or first_row != 1:
                problems.append(Problem(label, 1, "", "row 1 must be the header key, value",
                                        "write key in A1 and value in B1, then one key and its value per row"))
            return {}, {}
        key_pos, value_pos, data_rows = by_name["key"], by_name["value"], sheet.rows[1:]
    values: dict[str, tuple[int, _Cell]] = {}
    blank_rows: dict[str, int] = {}
    for number, cells in data_rows:
        key_cell = cells.get(key_pos, _BLANK)
        value_cell = cells.get(value_pos, _BLANK)
        if not key_cell.usable:
            _cell_problem(key_cell, label, number, "key", problems)
            continue
        key = model_cells.nfkc(key_cell.text)
        has_value = bool(value_cell.text.strip()) or not value_cell.usable
        if not key:
            if has_value:
                problems.append(Problem(label, number, "key", "a value without a key",
                                        f"write the key in column {_letter(key_pos)}: one of {', '.join(MODEL_KEYS)}"))
            continue
        if key not in MODEL_KEYS:
            problems.append(Problem(label, number, key, "unknown key",
                                    f"the keys are {', '.join(MODEL_KEYS)}; check the spelling"))
            continue
        if key == "document":
            problems.append(Problem(label, number, key, "is written on the document sheet, not in one cell",
                                    f"move its keys to the {DOCUMENT_SHEET} sheet: one row per key (key, value), e.g. "
                                    "disclosure.office"))
            continue
        if not has_value:
            blank_rows.setdefault(key, number)
            continue
        if key in values:
            problems.append(Problem(label, number, key, f"is given twice (first on row {values[key][0]})",
                                    "keep one of the two rows"))
            continue
        values[key] = (number, value_cell)
    meta: dict[str, Any] = {}
    rows: dict[str, int] = {}
    for key, (number, cell) in values.items():
        rows[key] = number
        if not cell.usable:
            _cell_problem(cell, label, number, key, problems)
            continue
        parsed = model_cells.parse_meta_value(key, cell.text, MODEL_KEYS[key][1], label, number, problems,
                                              cell=True)
        if parsed is not None:
            meta[key] = _meta_from_workbook_previous(parsed) if key == "previous" else parsed
    for key, (required, _kind) in MODEL_KEYS.items():
        if required and key not in values:
            if key in blank_rows:
                problems.append(Problem(label, blank_rows[key], key, "has no value",
                                        "type the value in the value column"))
            else:
                problems.append(Problem(label, None, key, "required key is missing",
                                        f"add a row with {key} and its value"))
    return {k: meta[k] for k in MODEL_KEYS if k in meta}, rows


def _read_document_sheet(sheet: _Sheet | None, label_root: str, problems: list[Problem]) -> dict[str, Any] | None:
    """model.yaml's ``document`` block from the ``document`` sheet: a key (dotted) and its value per row.

    Rows with a key and no value are skipped (the template lists every key); None when the sheet is absent or
    holds no value, or when a problem was found (each located at its row).
    """
    if sheet is None or not sheet.rows:
        return None
    label = _sheet_label(label_root, DOCUMENT_SHEET)
    names, ok = _header(sheet, label, problems)
    by_name = {name.lower(): pos for pos, name in names.items()}
    if sheet.rows[0][0] != 1 or "key" not in by_name or "value" not in by_name:
        if ok:
            problems.append(Problem(label, 1, "", "row 1 must be the header key, value",
                                    "write key in A1 and value in B1, then one key (such as disclosure.office) and "
                                    "its value per row"))
        return None
    key_pos, value_pos = by_name["key"], by_name["value"]
    block: dict[str, Any] = {}
    lines: dict[str, int] = {}
    before = len(problems)
    for number, cells in sheet.rows[1:]:
        key_cell, value_cell = cells.get(key_pos, _BLANK), cells.get(value_pos, _BLANK)
        for cell, column in ((key_cell, "key"), (value_cell, "value")):
            if not cell.usable:
                _cell_problem(cell, label, number, column, problems)
        if not key_cell.usable or not value_cell.usable:
            continue
        key = model_cells.nfkc(key_cell.text).removeprefix("document.")
        if not value_cell.text.strip():
            continue  # a key left to fill in
        if not key:
            problems.append(Problem(label, number, "key", "a value without a key",
                                    f"write the key in column {_letter(key_pos)}, e.g. disclosure.office"))
            continue
        if key in lines:
            problems.append(Problem(label, number, f"document.{key}", f"is given twice (first on row {lines[key]})",
                                    "keep one of the two rows"))
            continue
        if DOCUMENT_KEYS.get(key, ("",))[0] == "block":
            problems.append(Problem(label, number, f"document.{key}", "is a block: give its keys, one per row",
                                    "the keys of the block are "
                                    + ", ".join(k for k in DOCUMENT_KEYS if k.startswith(key + "."))))
            continue
        lines[key] = number
        target = block
        parts = key.split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):  # pragma: no cover - blocks hold no values (refused above)
                break
        else:
            target[parts[-1]] = value_cell.text
    # the rows read are checked even when another row had a problem: every problem of the sheet at once
    bad_rows = len(problems) > before
    if not block:
        return None
    parsed = model_cells.parse_document(block, label, None, problems, lines)
    return None if bad_rows else parsed


def _check_previous(path: Path, meta: dict[str, Any], label: str, line: int | None, problems: list[Problem],
                    follow: bool = True) -> list[tuple[str, Any]]:
    """``previous`` must name a model (directory or workbook), and the chain of versions must end.

    Walked once, each version's keys read once (linear); ``follow=False`` checks only the first link.
    Returns ``(id, assessed_on)`` of each earlier version read on the way, newest first.
    """
    found: list[tuple[str, Any]] = []
    if "previous" not in meta:
        return found
    seen = {path.resolve()}
    current, rel = path, meta["previous"]
    while isinstance(rel, str):
        where = "" if current == path else f" (reached through the chain, from {current})"
        try:
            target = (current / rel).resolve()
            is_dir = (target / "model.yaml").is_file()
            is_book = not is_dir and is_workbook_path(target) and target.is_file()
        except (OSError, ValueError, RuntimeError) as exc:  # a NUL byte, a name too long, a symlink loop …
            problems.append(Problem(label, line, "previous", f"{rel!r} is not a usable path{where}: {exc}",
                                    "give the path of the previous version's folder or .xlsx, relative to the folder "
                                    "holding this workbook"))
            return found
        if target in seen:
            problems.append(Problem(label, line, "previous", f"the chain of previous versions loops back to {target}",
                                    "a model's previous version must be an older, different model"))
            return found
        if not is_dir and not is_book:
            written = os.path.relpath(target, path.resolve().parent) if current == path else rel
            problems.append(Problem(label, line, "previous",
                                    f"{Path(written).as_posix()!r} is not a model directory or workbook{where}: "
                                    f"no model.yaml or .xlsx workbook at {target}",
                                    "give the path of the previous version's folder or .xlsx, relative to the folder "
                                    "holding this workbook"))
            return found
        if not follow:
            return found
        seen.add(target)
        current = target
        try:
            earlier = model_io.read_directory_meta(target) if is_dir else read_workbook_meta(target)
        except (ModelError, OSError, ValueError):
            return found  # that model's own loading reports it
        found.append((str(earlier["id"]), earlier["assessed_on"]))
        rel = earlier.get("previous")
    return found


def _invisible(text: str) -> str:
    """The first invisible character of a text, for a message.

    The first invisible character of ``text`` (:func:`pia_analysis.model.cells.invisible_character`) as
    ``U+200B (ZERO WIDTH SPACE)``, or "" when there is none.
    """
    found = model_cells.invisible_character(text)
    if found is None:
        return ""
    code, _, name = found.partition(" ")
    return f"{code} ({name})"


def _shown(text: str) -> str:
    r"""``text`` quoted for a message, invisible characters written as ``\u200b``, cut to 40 characters."""
    shown = "".join(f"\\u{ord(ch):04x}" if model_cells.invisible_character(ch) else ch for ch in text)
    return "'" + (shown if len(shown) <= 40 else shown[:39] + "…") + "'"


def _guard_names(wb: Any, label_root: str, problems: list[Problem]) -> None:
    """Guard the names a workbook holds besides its cells.

    The My Number guard over the names a workbook holds besides its cells: sheet names, defined names
    (and what they refer to). The sheet is named by its position, never by a name holding the number.
    """
    for position, title in enumerate(wb.sheetnames, 1):
        for _p, masked in find_my_numbers(title):
            problems.append(Problem(f"{label_root}[sheet {position}]", None, "sheet name",
                                    f"contains what looks like a real My Number ({masked}, valid check digit)",
                                    "a model must hold no personal data: rename the sheet"))
    scopes = [("", getattr(wb, "defined_names", {}))]
    scopes += [(f"[{title}]", getattr(wb[title], "defined_names", {}) or {}) for title in wb.sheetnames
               if not find_my_numbers(title)]
    for scope, names in scopes:
        for key, defn in sorted(names.items()):
            for part, text in (("defined name", str(key)),
                               ("defined name's value", str(getattr(defn, "attr_text", "") or ""))):
                for _p, masked in find_my_numbers(text):
                    problems.append(Problem(f"{label_root}{scope}", None, part,
                                            f"contains what looks like a real My Number ({masked}, valid check digit)",
                                            "a model must hold no personal data: delete or rename the name "
                                            "(Excel: Formulas → Name Manager)"))


def _sheets(wb: Any, label_root: str, problems: list[Problem]) -> dict[str, _Sheet] | None:
    """Every worksheet read, by the table name it stands for.

    Every worksheet read, by the table name it stands for (other sheets by their own name); None when a
    sheet could not be read or its extent is absurd (the problem says which).
    """
    wanted = {name for name in SHEET_ORDER}
    out: dict[str, _Sheet] = {}
    budget = _Budget()
    for position, title in enumerate(wb.sheetnames, 1):
        ws = wb[title]
        key = model_cells.nfkc(title).lower()
        label = _sheet_label(label_root, title) if not find_my_numbers(title) else f"{label_root}[sheet {position}]"
        invisible = _invisible(title)
        if invisible and not find_my_numbers(title):
            # "zon\u200bes" is shown as zones: say so, and read it as the table it was meant to be, rather
            # than reporting "zones is missing" beside a sheet that looks like zones
            problems.append(Problem(f"{label_root}[sheet {position}]", None, "sheet name",
                                    f"the sheet name {_shown(title)} holds the invisible character {invisible}",
                                    "rename the sheet: retype its name (an invisible character makes two names that "
                                    "look the same differ)"))
            key = model_cells.nfkc("".join(ch for ch in title if not model_cells.invisible_character(ch))).lower()
            label = f"{label_root}[sheet {position}]"
        if not hasattr(ws, "iter_rows"):  # a chart sheet
            if key in wanted - {GUIDE_SHEET}:
                problems.append(Problem(label, None, "", "is a chart sheet, not a table",
                                        "the table must be an ordinary worksheet"))
            continue
        name = key if key in wanted else title
        if name in out:
            problems.append(Problem(label, None, "",
                                    f"a second sheet for {name} (sheet names are matched ignoring case and spaces)",
                                    "keep one sheet per table"))
            continue
        on_row = None
        # other sheets are only scanned for My Numbers: row by row, not kept
        if name not in TABLE_BY_NAME and name not in (META_SHEET, DOCUMENT_SHEET):
            def on_row(number: int, cells: dict[int, _Cell], label: str = label) -> None:
                _guard(_Sheet("", [(number, cells)]), label, {}, problems)
        sheet = _read_sheet(ws, title, label, problems, budget, on_row)
        if sheet is None:
            return None
        out[name] = sheet
    return out


def _guard_parts(path: Path, label_root: str, problems: list[Problem]) -> None:
    """The My Number guard over the parts the model never loads: comments and document properties.

    Each part is at most ``MAX_PART_BYTES`` (checked by :func:`_open`) and read on expat within an element
    budget. The text of an element is joined with its runs (``<r><t>``), so that a number split over runs
    is found; texts of different elements are kept apart (a date and a revision number are not one number).
    """
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if not _GUARDED_PARTS.fullmatch(info.filename):
                continue
            label, texts, current, budget = f"{label_root}!{info.filename}", [], [], [MAX_ELEMENTS]

            def start(_tag: str, _attrs: dict[str, str], budget: list[int] = budget) -> None:
                budget[0] -= 1
                if budget[0] < 0:
                    raise _Stop

            def end(tag: str, texts: list[str] = texts, current: list[str] = current) -> None:
                if tag.rsplit(" ", 1)[-1] not in ("t", "r", "rPh", "rPr") and current:
                    texts.append("".join(current))
                    current.clear()

            def data(text: str, current: list[str] = current) -> None:
                current.append(text)

            parser = _expat(start, end, data)
            try:
                with zf.open(info) as src:
                    while chunk := src.read(2**20):
                        parser.Parse(chunk, False)
                    parser.Parse(b"", True)
            except Exception as exc:  # noqa: BLE001 - a damaged or hostile part (XML errors, DTDs, too many elements)
                reason = f"more than {MAX_ELEMENTS:,} XML elements" if isinstance(exc, _Stop) else _reason(exc)
                problems.append(Problem(label, None, "", f"cannot be read ({reason})",
                                        "open the workbook in Excel and save it again as 'Excel Workbook (*.xlsx)'"))
                continue
            for text in texts:
                _unloaded_problems(label, "", text, problems)


def _load(path: Path, check_chain: bool = True
          ) -> tuple[dict[str, Any], dict[str, model_cells.RawTable | None], dict[str, list[int]], list[Problem],
                     tuple[tuple[str, Any], ...], dict[str, int]]:
    # the model keys, the tables, each table's rows, the problems, the earlier versions, each model key's row
    label_root = str(path)
    problems: list[Problem] = []
    wb = _open(path, label_root, problems)
    if wb is None:
        return {}, {}, {}, problems, (), {}
    try:
        _guard_names(wb, label_root, problems)
        _guard_parts(path, label_root, problems)
        sheets = _sheets(wb, label_root, problems)
    finally:
        wb.close()
    if sheets is None:  # unreadable or absurd: what was read of the other sheets is not worth checking
        return {}, {}, {}, problems, (), {}
    for name, sheet in sheets.items():
        label = sheet.label
        names: dict[int, str] = {}
        if name in TABLE_BY_NAME and sheet.rows and sheet.rows[0][0] == 1:  # a table's cells by column name
            names = {pos: model_cells.nfkc(c.text) for pos, c in sheet.rows[0][1].items()
                     if c.usable and c.text.strip() and not find_my_numbers(c.text)}  # never print the number
        if name in (META_SHEET, DOCUMENT_SHEET) and sheet.rows:
            # a key/value sheet: a number in a row is located by the row's key (document.remarks), as the
            # reader locates the row's other problems, not by a column letter
            header = sheet.rows[0][1] if sheet.rows[0][0] == 1 else {}
            key_pos = next((pos for pos, c in header.items() if c.usable and c.text.strip().lower() == "key"), 0)
            for number, cells in sheet.rows:
                key_cell = cells.get(key_pos)
                key = model_cells.nfkc(key_cell.text).strip() if key_cell is not None and key_cell.usable else ""
                if name == DOCUMENT_SHEET and key and number != 1:
                    key = f"document.{key.removeprefix('document.')}"
                row_names = {} if not key or find_my_numbers(key) else {pos: key for pos in cells if pos != key_pos}
                _guard(_Sheet("", [(number, cells)]), label, row_names, problems)
            continue
        _guard(sheet, label, names, problems)
    meta, meta_rows = _read_meta_sheet(sheets.get(META_SHEET), label_root, problems)
    document = _read_document_sheet(sheets.get(DOCUMENT_SHEET), label_root, problems)
    if document:
        meta = {k: (document if k == "document" else meta[k]) for k in MODEL_KEYS if k in meta or k == "document"}
    earlier = _check_previous(path, meta, _sheet_label(label_root, META_SHEET), meta_rows.get("previous"), problems,
                              follow=check_chain)
    tables: dict[str, model_cells.RawTable | None] = {}
    lines: dict[str, list[int]] = {}
    for table in TABLES:
        tables[table.name], lines[table.name] = _read_table_sheet(sheets.get(table.name), table, label_root, problems)
    # the shared part of a city workspace, relative to the workbook's folder (as the directory reader merges it)
    model_io.merge_shared(path.parent, str(path.parent), meta, tables, problems, meta_rows)
    lines = {name: list(raw.lines) if raw is not None else lines[name] for name, raw in tables.items()}
    checks.check_references(tables, problems)
    if meta.get("declared_not_applicable"):
        checks.check_declarations(meta, tables, problems, line=meta_rows.get("declared_not_applicable"))
    return meta, tables, lines, problems, tuple(earlier), meta_rows


def workbook_naming(label_root: str) -> Naming:
    """How a workbook names its tables and rows in problems: ``book.xlsx[zones]:ROW``, ``the zones sheet``.

    Problems are listed the workbook itself first, then the model sheet, then the tables in format order; a
    message names a row as ``row 3`` (a sheet's row number).

    Parameters
    ----------
    label_root
        The workbook's label in messages (its path).

    Returns
    -------
    Naming
        The workbook's naming (:class:`~pia_analysis.model.errors.Naming`).

    Examples
    --------
    >>> from pia_analysis.formats.workbook import workbook_naming
    >>> naming = workbook_naming("city.xlsx")
    >>> naming.place("zones"), naming.word("zones"), naming.row
    ('city.xlsx[zones]', 'the zones sheet', 'row')
    """
    places = {name: _sheet_label(label_root, name) for name in (META_SHEET, DOCUMENT_SHEET, *(t.name for t in TABLES))}
    words = {name: f"the {name} sheet" for name in places}
    return Naming(places, words, (label_root, *places.values()), row="row")


def load_workbook(path: str | os.PathLike[str], *, check_chain: bool = True) -> Model:
    """Load and validate a model workbook (``.xlsx``).

    Every sheet, row and cell is checked as :func:`pia_analysis.formats.load_model` checks a model directory;
    problems are located as ``path.xlsx[sheet]:row: column: message``.

    Parameters
    ----------
    path
        The workbook.
    check_chain
        False checks only the first link of ``previous``, as for :func:`pia_analysis.formats.load_model`.

    Returns
    -------
    Model
        The checked, typed model.

    Raises
    ------
    ModelError
        With every problem found.

    Examples
    --------
    >>> from pia_analysis.formats.workbook import load_workbook
    >>> from pia_analysis import bundled_model_path
    >>> model = load_workbook(bundled_model_path().with_suffix(".xlsx"))
    >>> model.summary()["files"], model.meta["previous"]
    (3, '../kitakyushu-juki-h28')
    """
    p = Path(path)
    meta, tables, _lines, problems, earlier, meta_rows = _load(p, check_chain)
    if problems:
        raise ModelError(workbook_naming(str(p)).located(problems))
    frames = {name: raw.frame for name, raw in tables.items() if raw is not None}
    frames["ratings"], warnings = fold_ratings(frames["ratings"], rated_item_table(frames["risks"]),
                                               [(TableRef("ratings"), line) for line in tables["ratings"].lines])
    shared_ids = shared_row_ids(tables)
    own_files = ~frames["files"]["file_id"].isin(shared_ids)  # the population is the affair's own (docs/city.md)
    return Model(meta=meta, path=p.resolve(), earlier_versions=earlier, shared_ids=shared_ids,
                 warnings=tuple(workbook_naming(str(p)).located(
                     warnings + check_glyphs(tables) + checks.document_data_warnings(tables)
                     + checks.cloud_zone_warnings(tables["zones"], tables["systems"])
                     + checks.transit_warnings(tables) + checks.triage_warnings(tables)
                     + checks.organisation_kind_warnings(meta, meta_rows.get("organisation_kind"))
                     + checks.population_warnings(meta, frames["files"][own_files],
                                                  [line for line, own in zip(tables["files"].lines, own_files) if own],
                                                  meta_rows.get("target_population")))), **frames)


def read_workbook_meta(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The checked ``model`` sheet keys of a workbook (tables are not checked); ``previous`` as in memory.

    Parameters
    ----------
    path
        The workbook.

    Returns
    -------
    dict
        The keys as loaded (``assessed_on`` a :class:`datetime.date`); ``previous`` relative to the workbook's
        folder, as a loaded model holds it.

    Raises
    ------
    ModelError
        With the located problems of the workbook file or of its ``model`` sheet.

    Examples
    --------
    >>> from pia_analysis.formats.workbook import read_workbook_meta
    >>> from pia_analysis import bundled_model_path
    >>> read_workbook_meta(bundled_model_path().with_suffix(".xlsx"))["id"]
    'kitakyushu-juki-r3'
    """
    p = Path(path)
    problems: list[Problem] = []
    wb = _open(p, str(p), problems)
    if wb is None:
        raise ModelError(problems)
    try:
        title = next((t for t in wb.sheetnames if model_cells.nfkc(t).lower() == META_SHEET), None)
        ws = wb[title] if title is not None else None
        sheet = None
        if ws is not None and hasattr(ws, "iter_rows"):
            sheet = _read_sheet(ws, title, _sheet_label(str(p), title), problems)
            if sheet is None:
                raise ModelError(problems)
    finally:
        wb.close()
    meta, _rows = _read_meta_sheet(sheet, str(p), problems)
    if problems:
        raise ModelError(workbook_naming(str(p)).located(problems))
    return meta


def row_numbers(path: str | os.PathLike[str]) -> dict[str, dict[str, int]]:
    """The Excel row of every id of every table of a workbook: ``{table: {id: row}}`` (first row of an id).

    Used to locate findings in the workbook (``pia_analysis.outputs.interchange``).

    Parameters
    ----------
    path
        The workbook.

    Returns
    -------
    dict of str to dict of str to int
        By table name, the row of each id; empty for a workbook that cannot be read.

    Examples
    --------
    >>> from pia_analysis.formats.workbook import row_numbers
    >>> from pia_analysis import bundled_model_path
    >>> rows = row_numbers(bundled_model_path().with_suffix(".xlsx"))
    >>> min(rows["systems"].values())
    2
    """
    _meta, tables, _lines, _problems, _earlier, _rows = _load(Path(path))
    out: dict[str, dict[str, int]] = {}
    for table in TABLES:
        raw = tables.get(table.name)
        if raw is not None:
            rows: dict[str, int] = {}
            labels = raw.labels if raw.labels is not None else [None] * len(raw.lines)
            for key, line, label in zip(raw.frame[table.key], raw.lines, labels):
                if not isinstance(label, SharedLabel):  # a row of a city workspace's shared part: in its CSV
                    rows.setdefault(str(key), int(line))
            out[table.name] = rows
    return out


# ---------------------------------------------------------------------------------------------------
# writing


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _put(ws: Any, row: int, column: int, value: Any) -> Any:
    """Write one value of a sheet.

    Write one value; text is neutralised, escaped (carriage returns and control characters as
    ``_xHHHH_``, as Excel writes them) and kept as text (never a formula or an error value).
    """
    from openpyxl.cell.cell import ERROR_CODES

    if isinstance(value, str):
        if value == "":
            return None
        value = _escape(_neutralise(value))
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str) and (value in ERROR_CODES or cell.data_type != "s"):
        cell.data_type = "s"
    return cell


def _typed(value: Any, col: Column | None) -> Any:
    """The cell value for a model value: numbers and booleans typed, everything else as its CSV text."""
    text = model_cells.format_cell(value, col)
    if col is None or text == "":
        return text
    if col.kind == "bool":
        return bool(value)
    if col.kind == "int":
        return int(value)
    if col.kind == "prob":
        number = float(value)
        return int(number) if number.is_integer() else number
    return text


def _validation(ws: Any, column: int, col: Column | None, note: tuple[str, str] | None, table: str,
                ref_ranges: dict[str, str]) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    letter = _letter(column)
    sqref = f"{letter}2:{letter}{_MAX_ROW}"
    kwargs: dict[str, Any] = {}
    if col is not None and col.kind in ("enum", "bool"):
        kwargs = dict(type="list", formula1='"' + ",".join(_choices_list(col)) + '"', allow_blank=True,
                      # a warning, not a stop: the Japanese words of catalog/value_aliases.csv are read too
                      showErrorMessage=True, errorStyle="warning", errorTitle=col.name,
                      error="一覧から選ぶか、日本語の語（入手、委託先、実施済み、○/× など）を入力 / pick a value from "
                            "the list, or type its Japanese word (入手, 委託先, 実施済み, ○/× …)")
    elif col is not None and (table, col.name) in ref_ranges:
        kwargs = dict(type="list", formula1=ref_ranges[(table, col.name)], allow_blank=True, showErrorMessage=True,
                      errorStyle="warning", errorTitle=col.name,
                      error="一覧にないIDです / this id is not listed (yet)")
    elif col is not None and col.kind == "int":
        kwargs = dict(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                      showErrorMessage=True, errorStyle="stop", errorTitle=col.name,
                      error="0以上の整数 / a whole number >= 0")
    elif col is not None and col.kind == "prob":
        kwargs = dict(type="decimal", operator="between", formula1="0", formula2="1", allow_blank=True,
                      showErrorMessage=True, errorStyle="stop", errorTitle=col.name,
                      error="0〜1の数 / a number in [0, 1]")
    if note is not None:
        kwargs.update(showInputMessage=True, promptTitle=(col.name if col is not None else "")[:32],
                      prompt=f"{note[0]}\n{note[1]}"[:255])
    if not kwargs:
        return
    dv = DataValidation(**kwargs)
    dv.add(sqref)
    ws.add_data_validation(dv)


def _ref_ranges(guide_catalogue: tuple[int, int]) -> dict[tuple[str, str], str]:
    def ids(sheet: str) -> str:
        # the ids listed so far on that sheet (column A), without the blanks below them
        return f"OFFSET({sheet}!$A$2,0,0,MAX(1,COUNTA({sheet}!$A:$A)-1),1)"

    first, last = guide_catalogue
    return {
        ("systems", "zone_id"): ids("zones"),
        ("zones", "parent_zone"): ids("zones"),
        ("control_status", "control_id"): ids("controls"),
        ("flows", "source"): ids("systems"),
        ("flows", "target"): ids("systems"),
        ("ratings", "risk_id"): f"{GUIDE_SHEET}!$A${first}:$A${last}",
    }


def _write_guide(ws: Any) -> tuple[int, int]:
    """Fill the guide sheet; returns the rows of the risk catalogue's ids (for the ratings drop-down)."""
    from openpyxl.styles import Alignment, Font

    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    widths = {"A": 14, "B": 22, "C": 10, "D": 18, "E": 70, "F": 70}
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width
    ws["A1"] = "pia-analysis モデル記入ブック（特定個人情報保護評価）"
    ws["A2"] = "pia-analysis model workbook (specific personal information protection assessment)"
    ws["A1"].font = ws["A2"].font = Font(bold=True, size=13)
    row = 4
    for col, text in zip("AEF", ("No.", "使い方", "How to fill it in")):
        ws[f"{col}{row}"] = text
        ws[f"{col}{row}"].font = bold
    for i, (ja, en) in enumerate(GUIDE_POINTS, 1):
        row += 1
        ws[f"A{row}"] = i
        ws[f"E{row}"], ws[f"F{row}"] = ja, en
        ws[f"E{row}"].alignment = ws[f"F{row}"].alignment = wrap
    row += 2
    for col, text in zip("ABCDEF", ("sheet", "column", "必須 required", "種類 type", "説明", "description")):
        ws[f"{col}{row}"] = text
        ws[f"{col}{row}"].font = bold
    for key, (required, kind) in MODEL_KEYS.items():
        row += 1
        ja, en = MODEL_KEY_MEANINGS[key]
        values = (META_SHEET, key, "○" if required else "", f"{KIND_MEANINGS[kind][0]} / {KIND_MEANINGS[kind][1]}",
                  ja, en)
        for col, value in zip("ABCDEF", values):
            ws[f"{col}{row}"] = value
    for key, (kind, (ja, en)) in PROCEDURE_KEYS.items():  # the keys of the procedure cell, as in model.yaml
        row += 1
        values = (META_SHEET, f"procedure.{key}", "", f"{KIND_MEANINGS[kind][0]} / {KIND_MEANINGS[kind][1]}", ja, en)
        for col, value in zip("ABCDEF", values):
            ws[f"{col}{row}"] = value
    for key, (kind, (ja, en), _fills) in DOCUMENT_KEYS.items():  # the rows of the document sheet
        if kind == "block":
            continue
        row += 1
        values = (DOCUMENT_SHEET, key, "", f"{KIND_MEANINGS[kind][0]} / {KIND_MEANINGS[kind][1]}", ja, en)
        for col, value in zip("ABCDEF", values):
            ws[f"{col}{row}"] = value
    for table in TABLES:
        for c in table.columns:
            row += 1
            ja, en = c.meaning_in("workbook")
            kind = KIND_MEANINGS[c.kind]
            values = (table.name, c.name, "○" if c.required else "", f"{kind[0]} / {kind[1]}", ja, en)
            for col, value in zip("ABCDEF", values):
                ws[f"{col}{row}"] = value
            ws[f"E{row}"].alignment = ws[f"F{row}"].alignment = wrap
    row += 2
    headings = ("risk_id", "stage", "評価項目（ratings の risk_id。評価書 Ⅲ・Ⅳ の公式名）",
                "rated item (the risk_id of ratings; our translation)")
    for col, text in zip("ABEF", headings):
        ws[f"{col}{row}"] = text
        ws[f"{col}{row}"].font = bold
    first = row + 1
    for item in catalog.rated_items().itertuples(index=False):  # the ids ratings' drop-down offers
        row += 1
        ws[f"A{row}"], ws[f"B{row}"] = item.rated_item_id, item.stage or f"Ⅳ {item.form_item_ja}"
        ws[f"E{row}"], ws[f"F{row}"] = item.name_ja, item.name_en
    last = row
    row += 2
    headings = ("risk_id", "stage", "委託のリスク（controls の mitigates。評価は outsource の1つ）",
                "outsourcing risks (for controls' mitigates; rated once, as outsource)")
    for col, text in zip("ABEF", headings):
        ws[f"{col}{row}"] = text
        ws[f"{col}{row}"].font = bold
    block = catalog.risk_catalog().query("stage == 'outsource'")
    for item in block.itertuples(index=False):
        row += 1
        ws[f"A{row}"], ws[f"B{row}"] = item.risk_id, item.stage
        ws[f"E{row}"], ws[f"F{row}"] = item.name_ja, item.name_en
    ws.freeze_panes = "A2"
    return first, last


def _write_meta(ws: Any, meta: dict[str, Any], previous: str | None) -> None:
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    for pos, text in enumerate(("key", "value", "説明 / note"), 1):
        ws.cell(1, pos, text).font = Font(bold=True)
    width = 12
    for row, (key, (_required, kind)) in enumerate(((k, v) for k, v in MODEL_KEYS.items() if k != "document"), 2):
        ws.cell(row, 1, key)
        value = previous if key == "previous" else meta.get(key)
        if value is not None:
            if kind == "date" and isinstance(value, dt.date):
                cell = ws.cell(row, 2, dt.datetime(value.year, value.month, value.day))
                cell.number_format = "yyyy-mm-dd"
            elif kind in ("int", "bool") and isinstance(value, (int, bool)):
                ws.cell(row, 2, value)
            elif kind in ("procedure", "declarations", "stage_texts", "ids"):  # a block or list in one cell, as YAML
                # flow style (read back by parse_meta_value)
                import yaml

                value = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, sort_keys=False,
                                       width=10**6).strip()
                _put(ws, row, 2, value)
            else:
                _put(ws, row, 2, model_cells.format_cell(value, None))
            width = max(width, _width(model_cells.format_cell(value, None)))
        ws.cell(row, 3, " / ".join(MODEL_KEY_MEANINGS[key]))
        checks: dict[str, Any] = {}
        if kind == "bool":
            checks = dict(type="list", formula1=_BOOL_LIST, allow_blank=True, showErrorMessage=True,
                          errorStyle="warning")  # ○ / × and the other words of catalog/value_aliases.csv too
        elif kind == "int":
            checks = dict(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                          showErrorMessage=True, errorStyle="stop")
        dv = DataValidation(showInputMessage=True, promptTitle=key[:32],
                            prompt="\n".join(MODEL_KEY_MEANINGS[key])[:255], **checks)
        dv.add(f"B{row}")
        ws.add_data_validation(dv)
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = min(60, max(14, width * 1.1))
    ws.column_dimensions["C"].width = 90
    ws.freeze_panes = "A2"


def _flat_document(block: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in block.items():
        if isinstance(value, dict):
            out.update(_flat_document(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _write_document(ws: Any, block: dict[str, Any] | None) -> None:
    """The ``document`` sheet: every key of :data:`DOCUMENT_KEYS` (blocks as their dotted keys), its value if given."""
    from openpyxl.styles import Alignment, Font

    for pos, text in enumerate(("key", "value", "説明 / note"), 1):
        ws.cell(1, pos, text).font = Font(bold=True)
    values = _flat_document(block or {})
    wrap = Alignment(wrap_text=True, vertical="top")
    row = 1
    for key, (kind, meaning, _fills) in DOCUMENT_KEYS.items():
        if kind == "block":
            continue
        row += 1
        ws.cell(row, 1, key)
        value = values.get(key)
        if value is not None:
            _put(ws, row, 2, value.isoformat() if isinstance(value, dt.date) else str(value)).alignment = wrap
        ws.cell(row, 3, " / ".join(meaning)).alignment = wrap
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 60
    ws.column_dimensions["C"].width = 80
    ws.freeze_panes = "A2"


def _write_table(ws: Any, frame: pd.DataFrame, table: Table, ref_ranges: dict) -> None:
    from openpyxl.styles import Font

    spec = {c.name: c for c in table.columns}
    columns = list(frame.columns)
    widths = []
    for pos, name in enumerate(columns, 1):
        _put(ws, 1, pos, str(name))
        ws.cell(1, pos).font = Font(bold=True)
        widths.append(_width(str(name)))
    for row, values in enumerate(frame.itertuples(index=False, name=None), 2):
        for pos, (name, value) in enumerate(zip(columns, values), 1):
            typed = _typed(value, spec.get(name))
            if typed is None or typed == "":
                continue
            _put(ws, row, pos, typed)
            if row < 502:
                widths[pos - 1] = max(widths[pos - 1], _width(model_cells.format_cell(value, spec.get(name))))
    for pos, name in enumerate(columns, 1):
        ws.column_dimensions[_letter(pos)].width = min(60, max(12, widths[pos - 1] * 1.1 + 1))
        col = spec.get(name)
        _validation(ws, pos, col, None if col is None else col.meaning_in("workbook"), table.name, ref_ranges)
    ws.freeze_panes = "A2"


def workbook_bytes(model: Model, path: str | os.PathLike[str] | None = None) -> bytes:
    """The bytes of the workbook of ``model`` (what :func:`save_workbook` writes at ``path``).

    ``path`` only matters for ``previous``, written relative to the folder that will hold the workbook.

    Parameters
    ----------
    model
        The model.
    path
        Where the workbook will be written, or None.

    Returns
    -------
    bytes
        The ``.xlsx`` file.

    Examples
    --------
    >>> from pia_analysis.formats.workbook import workbook_bytes
    >>> from pia_analysis import bundled_model_path, load_model
    >>> workbook_bytes(load_model(bundled_model_path()))[:2]
    b'PK'
    """
    import openpyxl

    out = Path(path) if path is not None else Path("model.xlsx")
    wb = openpyxl.Workbook()
    guide = wb.active
    guide.title = GUIDE_SHEET
    catalogue_rows = _write_guide(guide)
    refs = _ref_ranges(catalogue_rows)
    _write_meta(wb.create_sheet(META_SHEET), model.meta, _previous_for_workbook(model, out))
    _write_document(wb.create_sheet(DOCUMENT_SHEET), model.meta.get("document"))
    for table in TABLES:
        frame = getattr(model, table.name, None)
        if frame is None:
            frame = model_cells.empty_table(table)
        _write_table(wb.create_sheet(table.name), frame, table, refs)
    buffer = _io.BytesIO()
    wb.save(buffer)
    return normalise_xlsx(buffer.getvalue())


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    # the one writer: whole or not at all; a replaced file keeps its mode, a new one follows the umask
    write_model_file(path, data)


def save_workbook(model: Model, path: str | os.PathLike[str]) -> Path:
    """Write ``model`` as a model workbook at ``path`` (whole or not at all); returns the path.

    Identical models give identical bytes. ``previous`` is written relative to the workbook's folder.

    Parameters
    ----------
    model
        The model to write.
    path
        The ``.xlsx`` file.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OutputRefused
        When ``path`` may not be replaced (a symlink, a folder).
    WriteFailed
        When writing fails.

    Examples
    --------
    >>> from pathlib import Path
    >>> from pia_analysis.formats.workbook import load_workbook, save_workbook
    >>> import tempfile
    >>> from pia_analysis import load_model, bundled_model_path
    >>> m = load_model(bundled_model_path())
    >>> out = save_workbook(m, Path(tempfile.mkdtemp()) / "k.xlsx")
    >>> load_workbook(out).flows.equals(m.flows)
    True
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write_bytes(out, workbook_bytes(model, out))
    return out


# ---------------------------------------------------------------------------------------------------
# new models and conversion
