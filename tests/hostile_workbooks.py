"""Hostile model workbooks, built on demand: resource bombs and odd names (issue 11, section 2).

Every workbook starts as the valid workbook of ``tests/models/tiny`` (what ``pia-analysis convert`` writes)
and has XML rows added to one of its sheets, so that the only thing wrong with it is what was added. The
zip is written directly (no spreadsheet library), so that a bomb of millions of rows is built in seconds.

Used by ``tests/test_hostile_workbooks.py`` and ``benchmarks/bench_workbook_bombs.py``; run as a script to
write the benchmark's bombs::

    python tests/hostile_workbooks.py OUT_DIR
"""

from __future__ import annotations

import io
import random
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

MY_NUMBER = "123456789018"  # a valid check digit: the guard must refuse it and never print it
ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "models" / "tiny"
#: The sheet part of each sheet of a workbook written by pia_analysis (sheets in SHEET_ORDER).
SHEET_PARTS = {name: f"xl/worksheets/sheet{i}.xml"
               for i, name in enumerate(("guide", "model", "document", "zones", "systems", "files", "flows",
                                         "controls", "risks", "ratings", "sub_measures", "file_details",
                                         "outsourcing", "recipients", "form_answers", "holdings", "control_status",
                                         "triage"), 1)}


def base_workbook() -> bytes:
    """The bytes of the valid workbook of ``tests/models/tiny``."""
    sys.path.insert(0, str(ROOT))
    from pia_analysis import load_model
    from pia_analysis.formats.workbook import workbook_bytes

    return workbook_bytes(load_model(TINY))


def xfd_rows(first: int, count: int, column: str = "XFD", text: str = "x") -> Iterator[bytes]:
    """``count`` rows from row ``first``, each holding one text cell in ``column`` (XFD: Excel's last)."""
    for r in range(first, first + count):
        yield f'<row r="{r}"><c r="{column}{r}" t="inlineStr"><is><t>{text}</t></is></c></row>'.encode()


def dense_rows(first: int, count: int, columns: int = 26) -> Iterator[bytes]:
    """``count`` rows from row ``first``, each with a number in each of its first ``columns`` columns."""
    letters = [chr(ord("A") + i) for i in range(min(columns, 26))]
    for r in range(first, first + count):
        yield (f'<row r="{r}">' + "".join(f'<c r="{c}{r}"><v>{r}</v></c>' for c in letters) + "</row>").encode()


def noise_rows(first: int, count: int, chars: int, seed: int = 11) -> Iterator[bytes]:
    """Rows of random (incompressible) text in column A: to give a bomb a chosen size on disk."""
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    for r in range(first, first + count):
        text = "".join(rng.choices(alphabet, k=chars))
        yield f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{text}</t></is></c></row>'.encode()


def with_rows(base: bytes, sheet: str, rows: Iterable[bytes], *, drop_dimension: bool = False) -> bytes:
    """``base`` with ``rows`` (XML ``<row>`` elements, in order, below the existing ones) added to ``sheet``."""
    part = SHEET_PARTS[sheet]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED,
                                                                     compresslevel=9) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == part:
                head, tail = data.split(b"</sheetData>", 1)
                if drop_dimension:
                    start = head.find(b"<dimension ")
                    if start >= 0:
                        head = head[:start] + head[head.index(b"/>", start) + 2:]
                with dst.open(info.filename, "w", force_zip64=True) as fh:  # deflated, as the others
                    fh.write(head)
                    buffer = []
                    for row in rows:
                        buffer.append(row)
                        if len(buffer) >= 10_000:
                            fh.write(b"".join(buffer))
                            buffer = []
                    fh.write(b"".join(buffer) + b"</sheetData>" + tail)
            else:
                dst.writestr(info, data)
    return out.getvalue()


def with_names(base: bytes, sheet_names: dict[str, str] | None = None, defined: dict[str, str] | None = None) -> bytes:
    """``base`` with sheets renamed (``{old: new}``) and workbook-wide defined names added (``{name: value}``)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/workbook.xml":
                text = data.decode()
                for old, new in (sheet_names or {}).items():
                    text = text.replace(f'<sheet name="{old}"', f'<sheet name="{new}"')
                if defined:
                    names = "".join(f'<definedName name="{k}">{v}</definedName>' for k, v in defined.items())
                    text = text.replace("<definedNames />", f"<definedNames>{names}</definedNames>")
                data = text.encode()
            dst.writestr(info, data)
    return out.getvalue()


def with_part(base: bytes, part: str, change) -> bytes:
    """``base`` with the zip member ``part`` replaced by ``change(its bytes)``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info, change(data) if info.filename == part else data)
    return out.getvalue()


def with_cell_text(base: bytes, sheet: str, cell: str, text: str) -> bytes:
    """``base`` with the text cell ``cell`` (e.g. ``A1``) of ``sheet`` holding ``text``."""
    def change(data: bytes) -> bytes:
        start = data.index(f'<c r="{cell}"'.encode())
        t0 = data.index(b"<t>", start) + 3
        return data[:t0] + text.encode() + data[data.index(b"</t>", t0):]
    return with_part(base, SHEET_PARTS[sheet], change)


def with_extra_part(base: bytes, part: str, data: str) -> bytes:
    """``base`` with one more zip member ``part`` (a part the model never loads, e.g. comments)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr(part, data.encode())
    return out.getvalue()


def with_sheet_tail(base: bytes, sheet: str, xml: str) -> bytes:
    """``base`` with ``xml`` (hyperlinks, data validations, header and footer) after the sheet's cells."""
    return with_part(base, SHEET_PARTS[sheet], lambda d: d.replace(b"</sheetData>", b"</sheetData>" + xml.encode(), 1))


def with_cell_xml(base: bytes, sheet: str, cell: str, xml: str) -> bytes:
    """``base`` with the whole cell element ``cell`` of ``sheet`` replaced by ``xml`` (a ``<c …>`` element)."""
    def change(data: bytes) -> bytes:
        start = data.index(f'<c r="{cell}"'.encode())
        return data[:start] + xml.encode() + data[data.index(b"</c>", start) + 4:]
    return with_part(base, SHEET_PARTS[sheet], change)


def with_dimension(base: bytes, sheet: str, ref: str) -> bytes:
    """``base`` with the ``<dimension>`` of ``sheet`` declaring ``ref`` (e.g. ``A1:B2``, a lie)."""
    def change(data: bytes) -> bytes:
        start = data.index(b"<dimension ")
        return data[:start] + f'<dimension ref="{ref}" />'.encode() + data[data.index(b"/>", start) + 2:]
    return with_part(base, SHEET_PARTS[sheet], change)


def with_entities(base: bytes, part: str) -> bytes:
    """``base`` with a "billion laughs" entity declaration heading the XML of ``part``."""
    dtd = ('<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
           '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>').encode()

    def change(data: bytes) -> bytes:
        start = data.index(b"<", data.index(b"?>") + 2 if data.startswith(b"<?xml") else 0)
        return data[:start] + dtd + data[start:]
    return with_part(base, part, change)


def to_shared_strings(base: bytes) -> bytes:
    """``base`` with its inline text cells turned into shared strings (``xl/sharedStrings.xml``), as Excel
    writes them."""
    import re

    strings: dict[bytes, int] = {}
    inline = re.compile(rb'(<c [^>]*?)t="inlineStr"([^>]*)><is><t(?: [^>]*)?>(.*?)</t></is></c>', re.S)

    def shared(m: re.Match) -> bytes:
        index = strings.setdefault(m.group(3), len(strings))
        return m.group(1) + b't="s"' + m.group(2) + b"><v>" + str(index).encode() + b"</v></c>"

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = inline.sub(shared, data)
            elif info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            dst.writestr(info, data)
        items = b"".join(b"<si><t>" + text + b"</t></si>" for text in strings)
        dst.writestr("xl/sharedStrings.xml", b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                     b'count="%d" uniqueCount="%d">' % (len(strings), len(strings)) + items + b"</sst>")
    return out.getvalue()


def guide_rows(base: bytes) -> int:
    """The last row number the guide sheet of ``base`` uses."""
    with zipfile.ZipFile(io.BytesIO(base)) as zf:
        data = zf.read(SHEET_PARTS["guide"])
    return int(data[data.rindex(b'<row r="') + 8:].split(b'"', 1)[0])


def xfd_bomb(rows: int, base: bytes | None = None, sheet: str = "guide") -> bytes:
    """The kind of the issue: ``rows`` rows below the guide, each with one cell in column XFD."""
    base = base or base_workbook()
    return with_rows(base, sheet, xfd_rows(guide_rows(base) + 1 if sheet == "guide" else 1000, rows))


def sized_bomb(target_bytes: int, xfd: int = 1_000_000, base: bytes | None = None) -> bytes:
    """An XFD bomb of about ``target_bytes`` on disk: ``xfd`` XFD rows (as many as Excel allows by default),
    then rows of random text until the zip reaches the size (within 2 %)."""
    base = base or base_workbook()
    first = guide_rows(base) + 1
    xfd = min(xfd, 1_048_576 - first - 1)
    plain = with_rows(base, "guide", xfd_rows(first, xfd))
    room = max(0, target_bytes - len(plain))
    chars = 1000
    count = int(room / (chars * 0.77))  # 62 symbols: log2(62)/8 = 0.744 bytes a char, plus the XML
    for _ in range(4):
        data = with_rows(base, "guide", _chain(xfd_rows(first, xfd), noise_rows(first + xfd, count, chars)))
        if abs(len(data) - target_bytes) < target_bytes * 0.02 or count == 0:
            break
        count = max(0, int(count * (target_bytes - len(plain)) / max(1, len(data) - len(plain))))
    return data


def _chain(*parts: Iterable[bytes]) -> Iterator[bytes]:
    for part in parts:
        yield from part


#: The bombs of the benchmark: name → builder (the sizes of the issue: 36 KB and 4.9 MB; and the size cap).
# --- the hostile kinds: each refused by every command that reads a model (tests/test_hostile_workbooks.py) and
# listed in docs/bad-input.md (tests/broken_cases.py --doc)


@dataclass(frozen=True)
class Kind:
    name: str
    build: Callable[[bytes], bytes]
    expect: str  # in the located line, with the workbook's path in front
    suffix: str = ".xlsx"
    limits: dict | None = None  # module constants of pia_analysis.formats.workbook lowered for the test
    what: str = ""  # the hostile thing, in a few words (docs/bad-input.md)


def _zone_rows_xfd(base: bytes) -> bytes:
    return with_rows(base, "zones", xfd_rows(4, 300))


def _shared_string_index(index: str) -> Callable[[bytes], bytes]:
    """The workbook with shared strings, cell A2 of zones referring to shared string ``index``."""
    def build(base: bytes) -> bytes:
        def change(data: bytes) -> bytes:
            start = data.index(b'<c r="A2"')
            v0 = data.index(b"<v>", start) + 3
            return data[:v0] + index.encode() + data[data.index(b"</v>", v0):]
        return with_part(to_shared_strings(base), SHEET_PARTS["zones"], change)
    return build


KINDS = [
    Kind("xfd_cells_below_the_guide", lambda b: xfd_bomb(300, b),
         "[guide]!XFD{guide_next}: a value lies beyond column IV, the last a model workbook may use",
         what="300 rows each holding one cell in column XFD below the guide (openpyxl used to pad every row to 16,384 cells)"),
    Kind("xfd_cells_in_a_table", _zone_rows_xfd, "[zones]!XFD4: a value lies beyond column IV",
         what="300 rows with one cell in column XFD in a table sheet"),
    Kind("past_the_last_column", lambda b: with_rows(b, "guide", xfd_rows(500, 3, column="XFE")),
         "[guide]!row 500, column 16,385: a value lies beyond column IV",
         what="cells past Excel's last column (XFE)"),
    Kind("excel_last_row", lambda b: with_rows(b, "systems", xfd_rows(1_048_576, 1, column="A")),
         "[systems]!A1048576: a value lies beyond row 200,001",
         what="a value in Excel's last row, 1,048,576"),
    Kind("more_cells_than_the_budget", lambda b: with_rows(b, "guide", dense_rows(500, 300, 26)),
         "[guide]: the workbook holds more than 5,000 cells: this is not a model workbook",
         limits={"MAX_CELLS": 5_000},
         what="more cells than the workbook budget (shown with the budget lowered)"),
    Kind("more_elements_than_the_budget",
         lambda b: with_rows(b, "guide", (f'<row r="{r}"/>'.encode() for r in range(500, 30_500))),
         "[guide]: the workbook's sheets hold more than 20,000 XML elements", limits={"MAX_ELEMENTS": 20_000},
         what="more XML elements than the budget (empty rows; shown with the budget lowered)"),
    Kind("entities_in_a_sheet", lambda b: with_entities(b, SHEET_PARTS["zones"]),
         "[zones]: cannot be read (ValueError: the sheet's XML declares a DTD or entities",
         what="a DTD with entities inside a sheet's XML"),
    Kind("a_cell_over_excels_limit", lambda b: with_rows(b, "guide", xfd_rows(500, 1, "A", "x" * 40_000)),
         "[guide]!A500: a cell holds more than 32,767 characters (Excel's limit)",
         what="a cell of 40,000 characters"),
    Kind("a_part_openpyxl_parses_whole_too_large", lambda b: with_part(
         b, "xl/styles.xml", lambda d: d.replace(b"</styleSheet>", b"<extLst>" + b" " * 300_000 + b"</extLst></styleSheet>")),
         "!xl/styles.xml: this part unpacks to 0 MiB, over the 0 MiB limit", limits={"MAX_PART_BYTES": 200_000},
         what="styles.xml padded past the per-part cap (shown with the cap lowered)"),
    Kind("entities_in_the_workbook_part", lambda b: with_entities(b, "xl/workbook.xml"),
         ": is not a readable Excel workbook (EntitiesForbidden",
         what="a DTD with entities in xl/workbook.xml"),
    Kind("my_number_in_a_sheet_name", lambda b: with_names(b, sheet_names={"guide": f"memo {MY_NUMBER}"}),
         "[sheet 1]: sheet name: contains what looks like a real My Number (**** **** **18, valid check digit)",
         what="a sheet named after a My Number"),
    Kind("my_number_in_a_defined_name", lambda b: with_names(b, defined={f"N{MY_NUMBER}": "guide!$A$1"}),
         ": defined name: contains what looks like a real My Number (**** **** **18",
         what="a defined name holding a My Number"),
    Kind("my_number_in_a_defined_names_value", lambda b: with_names(b, defined={"memo": f'"{MY_NUMBER}"'}),
         ": defined name's value: contains what looks like a real My Number (**** **** **18",
         what="a defined name whose value is a My Number"),
    Kind("my_number_in_a_header_cell", lambda b: with_cell_text(b, "zones", "F1", f"source {MY_NUMBER}"),
         "[zones]:1: column F: contains what looks like a real My Number (**** **** **18",
         what="a header cell holding a My Number"),
    Kind("invisible_character_in_a_header", lambda b: with_cell_text(b, "zones", "A1", "zone\u200b_id"),
         "[zones]:1: column A: the column name 'zone\\u200b_id' holds the invisible character U+200B "
         "(ZERO WIDTH SPACE)",
         what="a zero-width space inside a column name"),
    # the shared cell parser may word it differently: the location and the character's code are what count
    Kind("invisible_character_in_an_id", lambda b: with_cell_text(b, "zones", "A2", "CO\u200bRE"),
         "[zones]:2: zone_id: ",
         what="a zero-width space inside an id"),
    # second attack: a number repeated unmasked by a later check, and names the guard did not join
    Kind("my_number_as_a_numeric_cell", lambda b: with_cell_xml(b, "model", "B9", f'<c r="B9" t="n"><v>{MY_NUMBER}</v></c>'),
         "[model]:9: handlers: '**** **** **18' is too large",
         what="a My Number as a numeric cell (a later range check must not repeat it)"),
    Kind("my_number_as_a_formula", lambda b: with_cell_xml(b, "model", "B9", f'<c r="B9"><f>{MY_NUMBER}+0</f></c>'),
         "[model]:9: handlers: cell holds a formula; type the value (hint: replace the formula by its value",
         what="a formula holding a My Number (the formula is not echoed)"),
    Kind("my_number_built_by_a_formula", lambda b: with_cell_xml(
         b, "zones", "C2", '<c r="C2" t="str"><f>"1234"&amp;"5678"&amp;"9018"</f><v>x</v></c>'),
         "[zones]:2: name_en: cell holds a formula; type the value (hint: replace the formula by its value",
         what="a formula that builds a My Number from pieces"),
    Kind("my_number_with_long_vowel_marks_in_a_sheet_name",
         lambda b: with_names(b, sheet_names={"guide": "g１２３４ー５６７８ー９０１８"}),
         "[sheet 1]: sheet name: contains what looks like a real My Number (**** **** **18, valid check digit)",
         what="a sheet name with a My Number written with long-vowel marks as dashes"),
    Kind("my_number_with_underscores_in_a_defined_name",
         lambda b: with_names(b, defined={"_1234_5678_9018": "guide!$A$1"}),
         ": defined name: contains what looks like a real My Number (**** **** **18",
         what="a defined name with a My Number in 4-4-4 groups joined by underscores"),
    # parts the model never loads: the guard reads their text too
    Kind("my_number_in_a_comment", lambda b: with_extra_part(b, "xl/comments1.xml",
         '<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><authors><author>a</author>'
         '</authors><commentList><comment ref="A2" authorId="0"><text><r><t>memo 1234 5678</t></r><r><t> 9018</t>'
         '</r></text></comment></commentList></comments>'),
         "!xl/comments1.xml: contains what looks like a real My Number (**** **** **18",
         what="a cell comment holding a My Number split over two text runs"),
    Kind("my_number_in_the_document_title", lambda b: with_part(b, "docProps/core.xml", lambda d: d.replace(
         b"<dc:creator>", "<dc:title>１２３４ー５６７８ー９０１８</dc:title><dc:creator>".encode())),
         "!docProps/core.xml: contains what looks like a real My Number (**** **** **18",
         what="the document's title property"),
    Kind("my_number_in_a_header", lambda b: with_sheet_tail(
         b, "zones", "<headerFooter><oddHeader>&amp;Cmemo 1234-5678-9018</oddHeader></headerFooter>"),
         "[zones]: header/footer: contains what looks like a real My Number (**** **** **18",
         what="a sheet's printed header"),
    Kind("my_number_in_a_hyperlinks_text", lambda b: with_sheet_tail(
         b, "zones", '<hyperlinks><hyperlink ref="A2" display="1234_5678_9018" location="A1"/></hyperlinks>'),
         "[zones]: hyperlink A2: contains what looks like a real My Number (**** **** **18",
         what="a hyperlink's display text"),
    Kind("my_number_in_a_validation_list", lambda b: with_sheet_tail(
         b, "zones", '<dataValidations count="1"><dataValidation type="list" sqref="B2"><formula1>"a,1234.5678.9018"'
                     '</formula1></dataValidation></dataValidations>'),
         "[zones]: data validation: contains what looks like a real My Number (**** **** **18",
         what="a drop-down list's values"),
    Kind("my_number_in_a_phonetic_reading", lambda b: with_cell_xml(
         b, "zones", "C2", '<c r="C2" t="inlineStr"><is><t>Core</t><rPh sb="0" eb="1"><t>1234 5678 9018</t></rPh></is></c>'),
         "[zones]: phonetic reading (rPh) of C2: contains what looks like a real My Number (**** **** **18",
         what="a cell's phonetic reading (furigana)"),
    # --- issue 11: second round
    Kind("invisible_character_in_a_sheet_name", lambda b: with_names(b, sheet_names={"zones": "zon\u200bes"}),
         "[sheet 4]: sheet name: the sheet name 'zon\\u200bes' holds the invisible character U+200B (ZERO WIDTH SPACE)",
         what="a sheet shown as 'zones' with a zero-width space inside (was: zones is missing)"),
    Kind("hangul_filler_in_a_sheet_name", lambda b: with_names(b, sheet_names={"systems": "systems\u3164"}),
         "[sheet 5]: sheet name: the sheet name 'systems\\u3164' holds the invisible character U+3164 (HANGUL FILLER)",
         what="a Hangul filler after a sheet name"),
    Kind("no_break_space_in_a_header", lambda b: with_cell_text(b, "zones", "F1", "source\u00a0"),
         "[zones]:1: column F: the column name 'source\\u00a0' holds the invisible character U+00A0 (NO-BREAK SPACE)",
         what="a no-break space after a column name"),
    Kind("variation_selector_in_an_id", lambda b: with_cell_text(b, "zones", "A2", "CORE\ufe0f"),
         "[zones]:2: zone_id: ", what="a variation selector after an id"),
    Kind("shared_string_index_negative", _shared_string_index("-1"),
         "[zones]!A2: refers to shared string -1, but the workbook holds",
         what="a shared-string index of -1 (silently took the last string)"),
    Kind("shared_string_index_past_the_end", _shared_string_index("99999"),
         "[zones]!A2: refers to shared string 99999, but the workbook holds",
         what="a shared-string index past the end (was IndexError)"),
    Kind("absurd_row_number", lambda b: with_rows(b, "zones", [
         b'<row r="99999999999999999999"><c r="A4" t="inlineStr"><is><t>X</t></is></c></row>']),
         "[zones]!row 100000000000000000000: a row lies beyond row 200,001",
         what="<row r=\"99999999999999999999\"> (was accepted)"),
    Kind("row_number_past_its_cells", lambda b: with_rows(b, "zones", [
         b'<row r="300000"><c r="A4" t="inlineStr"><is><t>X</t></is></c></row>']),
         "[zones]!row 300,000: a value lies beyond row 200,001",
         what="a row numbered past the limit whose cells say row 4"),
    Kind("empty_cell_past_excels_last_row", lambda b: with_rows(b, "guide", [b'<row r="500"><c r="A9999999" s="1"/></row>']),
         "[guide]!A9999999: a value lies beyond row 200,001",
         what="an empty cell referenced past Excel's last row"),
    Kind("xls_file", lambda b: b, ": save it as .xlsx (Excel: File → Save As → Excel Workbook)", suffix=".xls",
         what="an .xls file given as the model"),
    Kind("xlsm_file", lambda b: b, ": save it as .xlsx (Excel: File → Save As → Excel Workbook)", suffix=".xlsm",
         what="an .xlsm file given as the model"),
    Kind("xlsb_file", lambda b: b"not a zip", ": save it as .xlsx (Excel: File → Save As → Excel Workbook)",
         suffix=".XLSB",
         what="an .xlsb file given as the model"),
    Kind("ods_file", lambda b: b"PK\x03\x04", ": save it as .xlsx (LibreOffice: File → Save As", suffix=".ods",
         what="an .ods file given as the model"),
]




def benchmark_bombs() -> dict[str, bytes]:
    sys.path.insert(0, str(ROOT))
    from pia_analysis.formats.directory import MAX_FILE_BYTES

    base = base_workbook()
    return {
        "xfd-36kb.xlsx": xfd_bomb(2_000, base),
        "xfd-4.9mb.xlsx": xfd_bomb(970_000, base),
        "xfd-at-size-cap.xlsx": sized_bomb(MAX_FILE_BYTES - 300_000, xfd=900_000, base=base),
        "cells-over-budget.xlsx": with_rows(base, "guide", dense_rows(guide_rows(base) + 1, 40_000, 26)),
        "cells-under-budget.xlsx": with_rows(base, "guide", dense_rows(guide_rows(base) + 1, 38_000, 26)),
        "xfd-empty-cells.xlsx": with_rows(base, "guide", (f'<row r="{r}"><c r="XFD{r}" s="1"/></row>'.encode()
                                                          for r in range(guide_rows(base) + 1, 990_000))),
        "empty-rows-4m.xlsx": with_rows(base, "guide", (b"<row/>" for _ in range(4_000_000))),
        "shared-strings-1.5m.xlsx": with_part(to_shared_strings(base), "xl/sharedStrings.xml", lambda d: d.replace(
            b"</sst>", b"".join(b"<si><t>s%07d</t></si>" % i for i in range(1_500_000)) + b"</sst>")),
    }


if __name__ == "__main__":  # pragma: no cover - writes the benchmark's inputs
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, data in benchmark_bombs().items():
        (out / name).write_bytes(data)
        print(f"{name}: {len(data):,} bytes")
