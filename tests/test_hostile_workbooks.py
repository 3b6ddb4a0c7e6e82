"""Hostile model workbooks (issue 11, section 2): resource bombs, names holding My Numbers, invisible
characters, other spreadsheet formats. Each is built at test time (``tests/hostile_workbooks.py``) and run
through every command that reads a model: exit 1, a located one-line message, no traceback, nothing written.
"""

from __future__ import annotations

import time
import unicodedata
import tracemalloc
from pathlib import Path

import pytest

import hostile_workbooks as hw
from hostile_workbooks import KINDS, MY_NUMBER, Kind
from pia_analysis.formats import workbook
from pia_analysis.cli import main
from pia_analysis.formats import load_model
from pia_analysis.model.errors import ModelError

VALID_SCENARIO = "id: ok\nset:\n  controls:\n    C1: {status: missing}\n"


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
        ["assessment", m, "--out", str(out / "assessment"), "--form", "basic"],
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
        shown = unicodedata.normalize("NFKC", err)  # the number is never shown, in any grouping
        assert MY_NUMBER not in err and "5678" not in shown and "9018" not in shown, f"{where}:\n{err}"
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
