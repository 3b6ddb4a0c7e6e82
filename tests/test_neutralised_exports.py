"""Every CSV and workbook the tool writes or prints is safe to open in a spreadsheet, and briefing.md shows
model text as text (issue 11, section 3).

A hostile copy of tests/models/tiny carries formula payloads (``=HYPERLINK``, ``+1+cmd|…``, ``@SUM``,
``-2+3``, a full-width ``＝``, a leading tab, a space-led ``=``) and an ``<img onerror>`` tag with a raw line
break in its names, channels, sources and title; every command whose output is CSV or xlsx is run on it and
each cell, parsed back with the csv module or openpyxl, is checked with a rule written here independently
of pia_analysis.util.spreadsheet.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import unicodedata
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pia_analysis.cli import emit_table, main
from pia_analysis.util.spreadsheet import csv_text, neutralise, starts_like_formula

TINY = Path(__file__).parent / "models" / "tiny"

HYPERLINK = '=HYPERLINK("http://x","y")'
DDE = "+1+cmd|' /C calc'!A0"
AT_SUM = "@SUM(1+1)"
MINUS = "-2+3"
FULL_WIDTH = "＝1+1"
TAB = "\t=1"
SPACE_LED = " =1+1"
IMG = "<img src=x onerror=alert(1)>\nsecond line"

#: What a spreadsheet may read as the start of a formula (the full-width forms included).
LEADERS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def dangerous(cell: object) -> bool:
    """Whether a cell as read back could run as a formula: a text starting with a tab, CR or LF, or with a
    leader after blanks and format characters, unless it is exactly a plain number."""
    if not isinstance(cell, str) or PLAIN_NUMBER.fullmatch(cell):
        return False
    if cell.startswith(("\t", "\r", "\n")):
        return True
    rest = cell
    while rest and (rest[0].isspace() or unicodedata.category(rest[0]) == "Cf"):
        rest = rest[1:]
    return rest.startswith(LEADERS)


def csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text.removeprefix("\ufeff"))) for cell in row]


def xlsx_cells(path: Path) -> list[object]:
    wb = openpyxl.load_workbook(path)  # not read-only: data_type tells a formula cell from a text cell
    cells = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{path.name}[{ws.title}]!{cell.coordinate} is a formula: {cell.value!r}"
                cells.append(cell.value)
    return cells


def assert_safe(cells: list[object], where: str) -> None:
    bad = [c for c in cells if dangerous(c)]
    assert not bad, f"{where}: cells that a spreadsheet runs as formulas: {bad[:5]}"


def _edit(path: Path, changes: dict[tuple[str, str], str]) -> None:
    """Set (row id, column) → value in a model CSV, written with the csv module (quoted line breaks)."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        for (row_id, column), value in changes.items():
            if next(iter(row.values())) == row_id:
                row[column] = value
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """tests/models/tiny with formula payloads and an HTML tag plus a line break in its texts."""
    model = tmp_path_factory.mktemp("hostile") / "model"
    shutil.copytree(TINY, model)
    _edit(model / "systems.csv", {("REG", "name_ja"): HYPERLINK, ("REG", "name_en"): DDE,
                                  ("SRV", "name_ja"): AT_SUM, ("SRV", "name_en"): FULL_WIDTH,
                                  ("TERM", "name_ja"): IMG, ("TERM", "name_en"): TAB,
                                  ("REG", "source"): MINUS, ("TERM", "source"): SPACE_LED})
    _edit(model / "zones.csv", {("CORE", "name_ja"): MINUS, ("CORE", "name_en"): TAB, ("DC", "name_ja"): IMG})
    _edit(model / "files.csv", {("REG_FILE", "name_ja"): DDE, ("REG_FILE", "name_en"): HYPERLINK,
                                ("CERT_FILE", "name_ja"): FULL_WIDTH})
    _edit(model / "controls.csv", {("C1", "name_ja"): AT_SUM, ("C1", "name_en"): IMG,
                                   ("C2", "name_ja"): HYPERLINK, ("C2", "source"): DDE})
    _edit(model / "flows.csv", {("F1", "channel"): HYPERLINK, ("F1", "source_ref"): AT_SUM, ("F2", "channel"): MINUS})
    meta = (model / "model.yaml").read_text(encoding="utf-8")
    meta = re.sub(r"(?m)^title_ja: .*$", 'title_ja: "=HYPERLINK(\\"http://x\\") <img src=x onerror=alert(1)>\\nsecond"', meta)
    meta = re.sub(r"(?m)^title_en: .*$", 'title_en: "@SUM(1+1) [x](javascript:alert(1)) `code` | pipe"', meta)
    (model / "model.yaml").write_text(meta, encoding="utf-8")
    assert main(["validate", str(model)]) == 0
    return model


@pytest.fixture(scope="module")
def scenario(hostile: Path) -> Path:
    path = hostile.parent / "hostile-scenario.yaml"
    path.write_text(
        "id: hostile\n"
        'title_ja: "=HYPERLINK(\\"http://x\\") <img src=x onerror=alert(1)>"\n'
        'title_en: "@SUM(1+1)"\n'
        "set:\n"
        "  systems:\n"
        '    REG: {name_ja: "-2+3", name_en: "＝1+1"}\n'
        "    SRV: {entry_likelihood: 0.2}\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------------
# the rule


@pytest.mark.parametrize("text", [HYPERLINK, DDE, AT_SUM, MINUS, FULL_WIDTH, TAB, SPACE_LED, "\r=1", "\n=1",
                                  "＋1", "－1+1", "＠SUM(1)", "\u3000＝1", "\u200b=1", "-", "+", "=", "-x"])
def test_formula_like_text_gets_an_apostrophe(text):
    assert neutralise(text) == "'" + text
    assert starts_like_formula(text)


@pytest.mark.parametrize("value", [-3, -0.5, 2.0, True, None, "-0.5", "-3", "+3", "-1e-05", "1.5E+3", "plain",
                                   "a=1", "通常の文字列", "", "'=already"])
def test_numbers_and_plain_text_pass_unchanged(value):
    assert neutralise(value) is value


def test_printed_csv_keeps_negative_numbers_and_neutralises_text():
    frame = pd.DataFrame({"id": ["A", "B"], "name": [HYPERLINK, "-"], "delta": [-1.5, -2.0], "n": [-3, 4],
                          "path": [["=x", "y"], []]})
    out = io.StringIO()
    emit_table(frame, "csv", out)
    assert out.getvalue() == csv_text(frame)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[1] == ["A", "'" + HYPERLINK, "-1.5", "-3", "'=x;y"]
    assert rows[2] == ["B", "'-", "-2.0", "4", ""]


# ---------------------------------------------------------------------------------------------------
# every command whose output is CSV or xlsx


@pytest.mark.parametrize("command", ["exposure", "coverage", "findings", "section3"])
def test_format_csv_on_standard_output_is_neutralised(hostile, command, capsys):
    assert main([command, str(hostile), "--format", "csv"]) == 0
    cells = csv_cells(capsys.readouterr().out)
    assert_safe(cells, f"{command} --format csv")
    if command == "exposure":  # the names are printed, each with its apostrophe (the loader strips the tab)
        for payload in (HYPERLINK, DDE, AT_SUM, FULL_WIDTH, TAB.strip()):
            assert "'" + payload in cells, payload
    if command == "findings":  # model text inside the details, not at their start: nothing to neutralise
        assert any(HYPERLINK in c for c in cells)


def test_scenario_report_effects_and_tables_are_neutralised(hostile, scenario, tmp_path, capsys):
    out = tmp_path / "pack"
    assert main(["scenario", str(hostile), str(scenario), "--report", str(out)]) == 0
    capsys.readouterr()
    effects = list(csv.DictReader(io.StringIO((out / "delta" / "effects.csv").read_text(encoding="utf-8"))))
    assert_safe([c for row in effects for c in row.values()], "delta/effects.csv")
    by_column = {(r["id"], r["column"]): (r["before"], r["after"]) for r in effects}
    assert by_column[("REG", "name_ja")] == ("'" + HYPERLINK, "'" + MINUS)
    assert by_column[("REG", "name_en")] == ("'" + DDE, "'" + FULL_WIDTH)
    assert by_column[("SRV", "entry_likelihood")] == ("0.0", "0.2")  # numbers stay numbers
    tables = sorted((out / "tables").glob("*.csv"))
    assert tables
    for path in tables:
        assert_safe(csv_cells(path.read_text(encoding="utf-8")), f"scenario pack tables/{path.name}")
    assert_safe(xlsx_cells(out / "tables.xlsx"), "scenario pack tables.xlsx")
    assert "<img" not in (out / "briefing.md").read_text(encoding="utf-8")


def test_export_findings_csv_is_neutralised(hostile, tmp_path, capsys):
    out = tmp_path / "findings.csv"
    assert main(["export-findings", str(hostile), str(out)]) == 0
    cells = csv_cells(out.read_text(encoding="utf-8"))
    assert_safe(cells, "export-findings .csv")
    assert len(cells) > 20


def test_section3_xlsx_is_neutralised(hostile, tmp_path, capsys):
    out = tmp_path / "section3.xlsx"
    assert main(["section3", str(hostile), "--out", str(out)]) == 0
    assert_safe(xlsx_cells(out), "section3 --out .xlsx")


def test_workbook_model_is_neutralised_and_reads_back(hostile, tmp_path, capsys):
    from pia_analysis import load_model

    out = tmp_path / "model.xlsx"
    assert main(["convert", str(hostile), str(out)]) == 0
    cells = xlsx_cells(out)
    assert_safe(cells, "convert → .xlsx")
    assert "'" + FULL_WIDTH in cells and "'" + SPACE_LED.strip() in cells
    # The apostrophes come off again on loading: the model is the same.
    back, original = load_model(out), load_model(hostile)
    assert back.systems[["system_id", "name_ja", "name_en", "source"]].equals(
        original.systems[["system_id", "name_ja", "name_en", "source"]])


# ---------------------------------------------------------------------------------------------------
# the report: its tables and briefing.md


@pytest.fixture(scope="module")
def report(hostile: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "pack"
    assert main(["report", str(hostile), "--out", str(out)]) == 0
    return out


def test_report_tables_are_neutralised(report):
    tables = sorted((report / "tables").glob("*.csv"))
    assert len(tables) >= 5
    every = []
    for path in tables:
        cells = csv_cells(path.read_text(encoding="utf-8-sig"))
        assert_safe(cells, f"tables/{path.name}")
        every += cells
    assert "'" + HYPERLINK in every
    assert_safe(xlsx_cells(report / "tables.xlsx"), "tables.xlsx")


def _section(lines: list[str], heading: str) -> list[str]:
    start = lines.index(heading) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    return [line for line in lines[start:end] if line]


def test_briefing_md_shows_model_text_as_text(report):
    text = (report / "briefing.md").read_text(encoding="utf-8")
    lines = text.split("\n")
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    # The title is one heading line, its controls escaped.
    assert lines[0] == '# =HYPERLINK("http://x") &lt;img src=x onerror=alert(1)&gt; second'
    assert lines[1] == ""
    # Every key message is one list item on one line: a raw line break would start a new paragraph.
    # (the "> " lines after the list explain the methods the messages name)
    messages = [line for line in _section(lines, "## 主なメッセージ") if not line.startswith("> ")]
    assert len(messages) >= 5
    assert all(line.startswith("- ") for line in messages), messages
    assert any("&lt;img src=x onerror=alert(1)&gt; second line" in line for line in messages)
    # Every table row has as many unescaped pipes as its header: no cell broke out of its column.
    for heading in [line for line in lines if line.startswith("## ") and line != "## 主なメッセージ"]:
        rows = [line for line in _section(lines, heading) if line.startswith("|")]
        pipes = {len(re.findall(r"(?<!\\)\|", row)) for row in rows}
        assert len(pipes) == 1, (heading, pipes)


def test_briefing_md_escapes_markdown_controls(hostile, tmp_path, capsys):
    out = tmp_path / "pack-en"
    assert main(["report", str(hostile), "--out", str(out), "--lang", "en"]) == 0
    title = (out / "briefing.md").read_text(encoding="utf-8").split("\n")[0]
    # No link, code span or table cell in the heading: [ ] ` | are backslash-escaped.
    assert title == "# @SUM(1+1) \\[x\\](javascript:alert(1)) \\`code\\` \\| pipe"


def test_assessment_workbooks_and_tables_are_neutralised(hostile, tmp_path, capsys):
    out = tmp_path / "assessment"
    assert main(["assessment", str(hostile), "--out", str(out), "--form", "full"]) == 0
    capsys.readouterr()
    cells = xlsx_cells(out / "評価書_full.xlsx")
    assert_safe(cells, "assessment 評価書_full.xlsx")
    assert "'" + HYPERLINK in cells  # a system's name, printed as text
    for name in ("completeness.csv", "missing_items.csv"):
        assert_safe(csv_cells((out / name).read_text(encoding="utf-8")), f"assessment {name}")


def test_workbook_export_shows_control_characters_it_cannot_hold(tmp_path):
    # the loader refuses control characters in model text; a label from elsewhere must still not abort
    # the pack (openpyxl raises IllegalCharacterError): the character is shown as its code point
    import pandas as pd
    from openpyxl import load_workbook

    from pia_analysis.util.spreadsheet import write_xlsx

    frame = pd.DataFrame({"name\x07": ["中間\x1b[31mRED", 3], "n": [1, 2]})
    sheet = load_workbook(write_xlsx({"t": frame}, tmp_path / "t.xlsx"))["t"]
    assert [c.value for c in sheet[1]] == ["name[U+0007]", "n"]
    assert sheet["A2"].value == "中間[U+001B][31mRED" and sheet["A3"].value == 3
