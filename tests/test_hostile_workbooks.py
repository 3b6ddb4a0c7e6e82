"""Hostile model workbooks (issue 11, section 2): resource bombs, names holding My Numbers, invisible
characters, other spreadsheet formats. Each is built at test time (``tests/hostile_workbooks.py``) and run
through every command that reads a model: exit 1, a located one-line message, no traceback, nothing written.
"""

from __future__ import annotations

import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

import hostile_workbooks as hw
from pia_analysis.formats import workbook
from pia_analysis.cli import main
from pia_analysis.formats import load_model
from pia_analysis.model.errors import ModelError

VALID_SCENARIO = "id: ok\nset:\n  controls:\n    C1: {status: missing}\n"
MY_NUMBER = "123456789018"  # a valid check digit: the guard must refuse it and never print it


@pytest.fixture(scope="module")
def base() -> bytes:
    return hw.base_workbook()


def read_commands(model: Path, out: Path) -> list[list[str]]:
    """Every command that reads a model, writing (if at all) into ``out``."""
    m = str(model)
    scenario = model.parent / "ok.yaml"
    scenario.write_text(VALID_SCENARIO, encoding="utf-8")
    return [
        ["validate", m],
        ["exposure", m, "--format", "json"],
        ["coverage", m],
        ["findings", m, "--all"],
        ["section3", m],
        ["section3", m, "--out", str(out / "s3.xlsx")],
        ["history", m],
        ["export-otm", m, str(out / "model.otm.json")],
        ["export-findings", m, str(out / "findings.sarif")],
        ["export-findings", m, str(out / "findings.csv")],
        ["convert", m, str(out / "converted")],
        ["convert", m, str(out / "converted.xlsx")],
        ["scenario", m, str(scenario)],
        ["scenario", m, str(scenario), "--report", str(out / "scenario-pack")],
    ]


@dataclass(frozen=True)
class Kind:
    name: str
    build: Callable[[bytes], bytes]
    expect: str  # in the located line, with the workbook's path in front
    suffix: str = ".xlsx"
    limits: dict | None = None  # module constants of pia_analysis.workbook lowered for the test
    what: str = ""  # the fault, in a few words


def _zone_rows_xfd(base: bytes) -> bytes:
    return hw.with_rows(base, "zones", hw.xfd_rows(4, 300))


def _shared_string_index(index: str) -> Callable[[bytes], bytes]:
    """The workbook with shared strings, cell A2 of zones referring to shared string ``index``."""
    def build(base: bytes) -> bytes:
        def change(data: bytes) -> bytes:
            start = data.index(b'<c r="A2"')
            v0 = data.index(b"<v>", start) + 3
            return data[:v0] + index.encode() + data[data.index(b"</v>", v0):]
        return hw.with_part(hw.to_shared_strings(base), hw.SHEET_PARTS["zones"], change)
    return build


KINDS = [
    Kind("xfd_cells_below_the_guide", lambda b: hw.xfd_bomb(300, b),
         "[guide]!XFD{guide_next}: a value lies beyond column IV, the last a model workbook may use"),
    Kind("xfd_cells_in_a_table", _zone_rows_xfd, "[zones]!XFD4: a value lies beyond column IV"),
    Kind("past_the_last_column", lambda b: hw.with_rows(b, "guide", hw.xfd_rows(500, 3, column="XFE")),
         "[guide]!row 500, column 16,385: a value lies beyond column IV"),
    Kind("excel_last_row", lambda b: hw.with_rows(b, "systems", hw.xfd_rows(1_048_576, 1, column="A")),
         "[systems]!A1048576: a value lies beyond row 200,001"),
    Kind("more_cells_than_the_budget", lambda b: hw.with_rows(b, "guide", hw.dense_rows(500, 300, 26)),
         "[guide]: the workbook holds more than 5,000 cells: this is not a model workbook",
         limits={"MAX_CELLS": 5_000}),
    Kind("more_elements_than_the_budget",
         lambda b: hw.with_rows(b, "guide", (f'<row r="{r}"/>'.encode() for r in range(500, 30_500))),
         "[guide]: the workbook's sheets hold more than 20,000 XML elements", limits={"MAX_ELEMENTS": 20_000}),
    Kind("entities_in_a_sheet", lambda b: hw.with_entities(b, hw.SHEET_PARTS["zones"]),
         "[zones]: cannot be read (ValueError: the sheet's XML declares a DTD or entities"),
    Kind("a_cell_over_excels_limit", lambda b: hw.with_rows(b, "guide", hw.xfd_rows(500, 1, "A", "x" * 40_000)),
         "[guide]!A500: a cell holds more than 32,767 characters (Excel's limit)"),
    Kind("a_part_openpyxl_parses_whole_too_large", lambda b: hw.with_part(
         b, "xl/styles.xml", lambda d: d.replace(b"</styleSheet>", b"<extLst>" + b" " * 300_000 + b"</extLst></styleSheet>")),
         "!xl/styles.xml: this part unpacks to 0 MiB, over the 0 MiB limit", limits={"MAX_PART_BYTES": 200_000}),
    Kind("entities_in_the_workbook_part", lambda b: hw.with_entities(b, "xl/workbook.xml"),
         ": is not a readable Excel workbook (EntitiesForbidden"),
    Kind("my_number_in_a_sheet_name", lambda b: hw.with_names(b, sheet_names={"guide": f"memo {MY_NUMBER}"}),
         "[sheet 1]: sheet name: contains what looks like a real My Number (**** **** **18, valid check digit)"),
    Kind("my_number_in_a_defined_name", lambda b: hw.with_names(b, defined={f"N{MY_NUMBER}": "guide!$A$1"}),
         ": defined name: contains what looks like a real My Number (**** **** **18"),
    Kind("my_number_in_a_defined_names_value", lambda b: hw.with_names(b, defined={"memo": f'"{MY_NUMBER}"'}),
         ": defined name's value: contains what looks like a real My Number (**** **** **18"),
    Kind("my_number_in_a_header_cell", lambda b: hw.with_cell_text(b, "zones", "F1", f"source {MY_NUMBER}"),
         "[zones]:1: column F: contains what looks like a real My Number (**** **** **18"),
    Kind("invisible_character_in_a_header", lambda b: hw.with_cell_text(b, "zones", "A1", "zone\u200b_id"),
         "[zones]:1: column A: the column name 'zone\\u200b_id' holds the invisible character U+200B "
         "(ZERO WIDTH SPACE)"),
    # the shared cell parser may word it differently: the location and the character's code are what count
    Kind("invisible_character_in_an_id", lambda b: hw.with_cell_text(b, "zones", "A2", "CO\u200bRE"),
         "[zones]:2: zone_id: "),
    # --- issue 11: second round
    Kind("invisible_character_in_a_sheet_name", lambda b: hw.with_names(b, sheet_names={"zones": "zon\u200bes"}),
         "[sheet 3]: sheet name: the sheet name 'zon\\u200bes' holds the invisible character U+200B (ZERO WIDTH SPACE)",
         what="a sheet shown as 'zones' with a zero-width space inside (was: zones is missing)"),
    Kind("hangul_filler_in_a_sheet_name", lambda b: hw.with_names(b, sheet_names={"systems": "systems\u3164"}),
         "[sheet 4]: sheet name: the sheet name 'systems\\u3164' holds the invisible character U+3164 (HANGUL FILLER)",
         what="a Hangul filler after a sheet name"),
    Kind("no_break_space_in_a_header", lambda b: hw.with_cell_text(b, "zones", "F1", "source\u00a0"),
         "[zones]:1: column F: the column name 'source\\u00a0' holds the invisible character U+00A0 (NO-BREAK SPACE)",
         what="a no-break space after a column name"),
    Kind("variation_selector_in_an_id", lambda b: hw.with_cell_text(b, "zones", "A2", "CORE\ufe0f"),
         "[zones]:2: zone_id: ", what="a variation selector after an id"),
    Kind("shared_string_index_negative", _shared_string_index("-1"),
         "[zones]!A2: refers to shared string -1, but the workbook holds",
         what="a shared-string index of -1 (silently took the last string)"),
    Kind("shared_string_index_past_the_end", _shared_string_index("99999"),
         "[zones]!A2: refers to shared string 99999, but the workbook holds",
         what="a shared-string index past the end (was IndexError)"),
    Kind("absurd_row_number", lambda b: hw.with_rows(b, "zones", [
         b'<row r="99999999999999999999"><c r="A4" t="inlineStr"><is><t>X</t></is></c></row>']),
         "[zones]!row 100000000000000000000: a row lies beyond row 200,001",
         what="<row r=\"99999999999999999999\"> (was accepted)"),
    Kind("row_number_past_its_cells", lambda b: hw.with_rows(b, "zones", [
         b'<row r="300000"><c r="A4" t="inlineStr"><is><t>X</t></is></c></row>']),
         "[zones]!row 300,000: a value lies beyond row 200,001",
         what="a row numbered past the limit whose cells say row 4"),
    Kind("empty_cell_past_excels_last_row", lambda b: hw.with_rows(b, "guide", [b'<row r="500"><c r="A9999999" s="1"/></row>']),
         "[guide]!A9999999: a value lies beyond row 200,001",
         what="an empty cell referenced past Excel's last row"),
    Kind("xls_file", lambda b: b, ": save it as .xlsx (Excel: File → Save As → Excel Workbook)", suffix=".xls"),
    Kind("xlsm_file", lambda b: b, ": save it as .xlsx (Excel: File → Save As → Excel Workbook)", suffix=".xlsm"),
    Kind("xlsb_file", lambda b: b"not a zip", ": save it as .xlsx (Excel: File → Save As → Excel Workbook)",
         suffix=".XLSB"),
    Kind("ods_file", lambda b: b"PK\x03\x04", ": save it as .xlsx (LibreOffice: File → Save As", suffix=".ods"),
]


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_every_command_refuses_a_hostile_workbook(kind: Kind, base: bytes, tmp_path: Path, capsys, monkeypatch):
    for name, value in (kind.limits or {}).items():
        monkeypatch.setattr(workbook, name, value)
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    out.mkdir()
    model = inputs / f"hostile{kind.suffix}"
    model.write_bytes(kind.build(base))
    expect = str(model) + kind.expect.format(guide_next=hw.guide_rows(base) + 1)
    for argv in read_commands(model, out):
        code = main(argv)
        captured = capsys.readouterr()
        where = " ".join(argv[:1] + argv[2:])
        assert code == 1, f"{where}: exit {code}\n{captured.err}"
        assert captured.out == "", f"{where}: printed although refused:\n{captured.out}"
        err = captured.err
        assert "Traceback" not in err and "internal error" not in err, f"{where}:\n{err}"
        assert err.startswith("error: "), f"{where}:\n{err}"
        lines = [line for line in err.splitlines() if expect in line]
        assert lines, f"{where}: {expect!r} not in\n{err}"
        assert MY_NUMBER not in err and MY_NUMBER[:4] + " " not in err  # the number is never shown
    assert sorted(p.name for p in out.iterdir()) == [], "something was written"
    assert sorted(p.name for p in inputs.iterdir()) == sorted([model.name, "ok.yaml"])


# --- the resource bounds themselves ---------------------------------------------------------------------


def test_openpyxl_parses_through_defusedxml():
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True


def test_an_xfd_bomb_is_refused_in_seconds(base: bytes, tmp_path: Path):
    # the old reader took 15 s and 675 MB for 300 rows (4.9 million padded cells); 2,000 rows: about 100 s
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(hw.xfd_bomb(2_000, base))
    started = time.perf_counter()
    with pytest.raises(ModelError) as caught:
        load_model(path)
    assert time.perf_counter() - started < 10  # a generous bound: it takes a fraction of a second
    assert [p.file for p in caught.value.problems] == [f"{path}[guide]!XFD{hw.guide_rows(base) + 1}"]


def _empty_xfd_rows(first: int, count: int):
    # a cell with a style and no value (what formatting a whole row can leave): it holds nothing
    for r in range(first, first + count):
        yield f'<row r="{r}"><c r="XFD{r}" s="1"/></row>'.encode()


def test_empty_cells_far_right_cost_nothing_and_the_padding_iterator_is_never_used(base: bytes, tmp_path: Path,
                                                                                monkeypatch):
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    def padded(*_args, **_kwargs):
        raise AssertionError("openpyxl's padding row iterator was used")

    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", padded)
    monkeypatch.setattr(ReadOnlyWorksheet, "_get_row", padded)
    path = tmp_path / "wide.xlsx"
    path.write_bytes(hw.with_rows(hw.with_dimension(base, "guide", "A1:XFD1048576"), "guide",
                                  _empty_xfd_rows(hw.guide_rows(base) + 1, 3_000)))
    tracemalloc.start()
    try:
        model = load_model(path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(model.zones) == 2
    # padded, 3,000 rows of 16,384 cells would be 49 million cells (gigabytes); kept sparse it is ~nothing
    assert peak < 40 * 2**20, f"peak {peak / 2**20:.0f} MiB"


def test_rows_are_sparse_dicts_of_the_cells_that_exist(base: bytes, tmp_path: Path):
    import openpyxl

    path = tmp_path / "wide.xlsx"
    path.write_bytes(hw.with_rows(base, "guide", hw.xfd_rows(hw.guide_rows(base) + 1, 2, column="IV")))
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        sheet = workbook._read_sheet(wb["guide"], "guide", "wide.xlsx[guide]", [])
    finally:
        wb.close()
    assert sheet is not None
    *_, (number, cells) = sheet.rows
    assert number == hw.guide_rows(base) + 2 and list(cells) == [256] and cells[256].text == "x"
    assert max(len(c) for _n, c in sheet.rows) <= 6  # the guide's columns A-F, never a padded row


def test_a_lying_dimension_neither_cuts_nor_pads(base: bytes, tmp_path: Path):
    tiny = load_model(hw.TINY)
    for ref in ("A1:B2", "A1:XFD1048576"):
        path = tmp_path / f"dim-{ref.replace(':', '-')}.xlsx"
        path.write_bytes(hw.with_dimension(base, "systems", ref))
        assert load_model(path).systems.equals(tiny.systems)


@pytest.mark.parametrize("column,accepted", [("IV", True), ("IW", False)])
def test_the_last_column_a_value_may_use(column: str, accepted: bool, base: bytes, tmp_path: Path):
    path = tmp_path / f"{column}.xlsx"
    path.write_bytes(hw.with_rows(base, "guide", hw.xfd_rows(500, 1, column=column)))
    if accepted:
        load_model(path)
    else:
        with pytest.raises(ModelError, match=rf"\[guide\]!{column}500: a value lies beyond column IV"):
            load_model(path)


@pytest.mark.parametrize("row,accepted", [(workbook.MAX_ROWS + 1, True), (workbook.MAX_ROWS + 2, False)])
def test_the_last_row_a_value_may_use(row: int, accepted: bool, base: bytes, tmp_path: Path):
    path = tmp_path / f"{row}.xlsx"
    path.write_bytes(hw.with_rows(base, "guide", hw.xfd_rows(row, 1, column="A")))
    if accepted:
        load_model(path)
    else:
        with pytest.raises(ModelError, match=rf"\[guide\]!A{row}: a value lies beyond row 200,001"):
            load_model(path)


def test_the_cell_budget_at_its_edge(base: bytes, tmp_path: Path, monkeypatch):
    import re
    import zipfile

    path = tmp_path / "tiny.xlsx"
    path.write_bytes(base)
    with zipfile.ZipFile(path) as zf:
        cells = sum(len(re.findall(rb"<c[ >/]", zf.read(part))) for part in hw.SHEET_PARTS.values())
    monkeypatch.setattr(workbook, "MAX_CELLS", cells)
    load_model(path)
    monkeypatch.setattr(workbook, "MAX_CELLS", cells - 1)
    with pytest.raises(ModelError, match=f"holds more than {cells - 1:,} cells"):
        load_model(path)


def test_a_hostile_previous_workbook_is_not_an_internal_error(base: bytes, tmp_path: Path, capsys):
    # the chain of versions reads the previous workbook's model sheet: a bomb there is refused too
    (tmp_path / "old.xlsx").write_bytes(hw.with_rows(base, "model", hw.xfd_rows(40, 300)))
    from pia_analysis import load_model as load

    model = load(hw.TINY)
    new = tmp_path / "new.xlsx"
    workbook.save_workbook(model.replace(meta={**model.meta, "previous": "../old.xlsx"}, path=None), new)
    code = main(["history", str(new)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err and "internal error" not in err
    assert f"{tmp_path / 'old.xlsx'}[model]!XFD40: a value lies beyond column IV" in err


# --- shared strings (what Excel writes; pia-analysis itself writes inline strings) ---------------------


@pytest.fixture(scope="module")
def shared(base: bytes) -> bytes:
    """The tiny workbook with its texts as shared strings (as Excel writes them)."""
    return hw.to_shared_strings(base)


def test_shared_strings_are_read_as_openpyxl_reads_them(shared: bytes, tmp_path: Path):
    import zipfile

    path = tmp_path / "shared.xlsx"
    path.write_bytes(shared)
    with zipfile.ZipFile(path) as zf:
        assert b't="s"' in zf.read(hw.SHEET_PARTS["zones"]) and "xl/sharedStrings.xml" in zf.namelist()
    tiny = load_model(hw.TINY)
    loaded = load_model(path)
    for name in ("zones", "systems", "files", "flows", "controls"):
        assert getattr(loaded, name).equals(getattr(tiny, name)), name


def test_phonetic_readings_are_not_part_of_the_text(shared: bytes, tmp_path: Path):
    # Japanese Excel stores furigana as <rPh> runs inside the shared string: not part of the value
    def change(data: bytes) -> bytes:
        return data.replace(b"<t>CORE</t>", b"<r><t>CO</t></r><r><t>RE</t></r><rPh sb=\"0\" eb=\"1\"><t>\xe3\x81\x93</t></rPh>", 1)

    path = tmp_path / "phonetic.xlsx"
    path.write_bytes(hw.with_part(shared, "xl/sharedStrings.xml", change))
    assert "CORE" in set(load_model(path).zones["zone_id"])


@pytest.mark.parametrize("limit,expect", [
    ({"MAX_CELLS": 20}, ": it holds more than 20 shared strings: this is not a model workbook"),
    ({"MAX_STRINGS_BYTES": 100}, "!xl/sharedStrings.xml: this part unpacks to 0 MiB, over the 0 MiB limit"),
])
def test_the_shared_strings_are_bounded(limit: dict, expect: str, shared: bytes, tmp_path: Path, monkeypatch):
    for name, value in limit.items():
        monkeypatch.setattr(workbook, name, value)
    path = tmp_path / "shared.xlsx"
    path.write_bytes(shared)
    with pytest.raises(ModelError) as caught:
        load_model(path)
    assert [str(p).split(" (hint")[0] for p in caught.value.problems] == [f"{path}{expect}"]
