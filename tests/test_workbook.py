"""Excel workbooks as models: round trips, the bundled workbook, new, convert, located validation messages."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from broken_cases import TINY
from pia_analysis import ModelError, bundled_model_path, load_model, save_model, validate
from pia_analysis.cli import main
from pia_analysis.formats import previous_chain, read_meta
from pia_analysis.model.schema import MODEL_KEYS, TABLE_BY_NAME, TABLES, format_reference_markdown
from pia_analysis.formats.workbook import GUIDE_SHEET, META_SHEET, cell_text, save_workbook
from pia_analysis.formats.templates import convert, new_model

BUNDLED = bundled_model_path()
BUNDLED_XLSX = BUNDLED.with_suffix(".xlsx")
TABLE_NAMES = [t.name for t in TABLES]
# a valid My Number (check digit 8) that the guard must refuse; never a real person's number
FAKE_MY_NUMBER = "123456789018"
PLACEHOLDER = "0 is the placeholder that 'pia-analysis new' writes, not a number of people"


def assert_tables_equal(a, b) -> None:
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_dtype=True, obj=name)


def same_meta(a, b) -> None:
    """Equal keys; ``previous`` may be spelt differently but must name the same model."""
    strip = lambda meta: {k: v for k, v in meta.items() if k != "previous"}  # noqa: E731
    assert strip(a.meta) == strip(b.meta)
    assert ("previous" in a.meta) == ("previous" in b.meta)
    if "previous" in a.meta:
        assert (a.path / a.meta["previous"]).resolve() == (b.path / b.meta["previous"]).resolve()


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ModelError) as info:
        load_model(path)
    return [str(p) for p in info.value.problems]


@pytest.fixture()
def tiny_xlsx(tmp_path: Path) -> Path:
    return save_workbook(load_model(TINY), tmp_path / "model.xlsx")


def edit(path: Path, sheet: str, cell: str, value) -> Path:
    wb = openpyxl.load_workbook(path)
    wb[sheet][cell] = value
    wb.save(path)
    return path


# --- round trips -------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", [TINY, BUNDLED], ids=["tiny", "kitakyushu"])
def test_directory_workbook_directory_round_trip(source: Path, tmp_path: Path):
    first = load_model(source)
    book = save_model(first, tmp_path / "m.xlsx")  # save_model dispatches on the suffix
    assert book == tmp_path / "m.xlsx" and zipfile.is_zipfile(book)
    second = load_model(book)
    assert_tables_equal(first, second)
    same_meta(first, second)
    back = save_model(second, tmp_path / "back")
    third = load_model(back)
    assert_tables_equal(first, third)
    same_meta(first, third)
    # and round again: the same bytes
    assert save_model(third, tmp_path / "m2.xlsx").read_bytes() == book.read_bytes()


def test_saving_twice_gives_the_same_bytes_with_fixed_dates(tmp_path: Path):
    model = load_model(TINY)
    a = save_workbook(model, tmp_path / "a.xlsx").read_bytes()
    b = save_workbook(model, tmp_path / "b.xlsx").read_bytes()
    assert a == b
    with zipfile.ZipFile(tmp_path / "a.xlsx") as zf:
        assert {info.date_time for info in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert "2000-01-01T00:00:00Z" in zf.read("docProps/core.xml").decode()


def test_workbook_layout(tiny_xlsx: Path):
    wb = openpyxl.load_workbook(tiny_xlsx)
    assert wb.sheetnames == [GUIDE_SHEET, META_SHEET, "document", *TABLE_NAMES]
    ws = wb["systems"]
    assert [c.value for c in ws[1]] == [c.name for c in TABLES[1].columns]
    assert ws["A2"].value == "REG" and ws["H3"].value == 0.1 and ws["H2"].value is None
    assert wb["files"]["D2"].value == 1500 and wb["files"]["E2"].value is True  # typed, not text
    meta = {row[0].value: row[1].value for row in wb[META_SHEET].iter_rows(min_row=2)}
    assert list(meta) == [k for k in MODEL_KEYS if k != "document"]  # the document block has its own sheet
    assert [c.value for c in wb["document"]["A"]][:3] == ["key", "assessment_number", "declaration"]
    assert meta["id"] == "tiny" and meta["target_population"] == 1500 and meta["previous"] is None
    assert meta["assessed_on"].date() == dt.date(2024, 4, 1)


def test_extra_columns_survive_the_workbook(tmp_path: Path):
    model_dir = shutil.copytree(TINY, tmp_path / "tiny")
    lines = (model_dir / "systems.csv").read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",owner_note"] + [line + f",note {i}" for i, line in enumerate(lines[1:])]
    (model_dir / "systems.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = load_model(model_dir)
    again = load_model(save_workbook(model, tmp_path / "m.xlsx"))
    assert again.systems["owner_note"].tolist() == ["note 0", "note 1", "note 2"]
    assert_tables_equal(model, again)


def test_formula_like_text_is_neutralised_and_restored(tmp_path: Path):
    model = load_model(TINY)
    texts = ['=HYPERLINK("http://x","y")', "-1 + ahead", "@sum", "'=already quoted", "+81 93 582 2111"]
    systems = model.systems.copy()
    systems["source"] = texts[:3]
    zones = model.zones.copy()
    zones["source"] = texts[3:]
    changed = model.replace(systems=systems, zones=zones)
    book = save_workbook(changed, tmp_path / "m.xlsx")
    wb = openpyxl.load_workbook(book)
    assert wb["systems"]["I2"].value == "'" + texts[0] and wb["systems"]["I2"].data_type == "s"
    assert wb["zones"]["F2"].value == "''=already quoted"
    assert_tables_equal(changed, load_model(book))


def test_previous_is_written_relative_to_the_workbook_folder(tmp_path: Path):
    data = shutil.copytree(BUNDLED.parent, tmp_path / "data", ignore=shutil.ignore_patterns("*.xlsx"))
    book = convert(data / "kitakyushu-juki-r3", data / "r3.xlsx")
    wb = openpyxl.load_workbook(book)
    cells = {row[0].value: row[1].value for row in wb[META_SHEET].iter_rows(min_row=2)}
    assert cells["previous"] == "kitakyushu-juki-h28"
    model = load_model(book)
    assert model.meta["previous"] == "../kitakyushu-juki-h28"  # in memory: as the directory holds it
    assert previous_chain(model) == [data / "kitakyushu-juki-h28", data / "kitakyushu-juki-h26"]
    assert read_meta(book)["id"] == "kitakyushu-juki-r3"
    # a chain through workbooks: h28 as a workbook, r3's previous pointing at it
    convert(data / "kitakyushu-juki-h28", data / "h28.xlsx")
    edit(book, META_SHEET, "B11", "h28.xlsx")
    assert [p.name for p in previous_chain(load_model(book))] == ["h28.xlsx", "kitakyushu-juki-h26"]
    # moved elsewhere, previous still names the same model
    moved = load_model(save_model(load_model(book), tmp_path / "elsewhere" / "deep" / "r3.xlsx"))
    assert (moved.path / moved.meta["previous"]).resolve() == data / "h28.xlsx"


def test_a_previous_that_loops_or_is_missing_is_located(tmp_path: Path):
    book = save_workbook(load_model(TINY), tmp_path / "a.xlsx")
    edit(book, META_SHEET, "B11", "nowhere")
    assert "a.xlsx[model]:11: previous: 'nowhere' is not a model directory or workbook: no model.yaml" in problems_of(book)[0]
    edit(book, META_SHEET, "B11", "b.xlsx")
    other = save_workbook(load_model(TINY), tmp_path / "b.xlsx")
    edit(other, META_SHEET, "B11", "a.xlsx")
    assert "the chain of previous versions loops back" in problems_of(book)[0]


# --- the bundled workbook ----------------------------------------------------------------------------


def test_bundled_workbook_equals_the_bundled_directory():
    directory = load_model(BUNDLED)
    book = load_model(BUNDLED_XLSX)
    assert_tables_equal(directory, book)
    assert book.meta == directory.meta  # previous included: both are '../kitakyushu-juki-h28'
    assert validate(BUNDLED_XLSX) == []


def test_converting_the_bundled_directory_again_gives_the_same_bytes(tmp_path: Path):
    # convert where the bundled workbook lives (previous is relative to the workbook's folder)
    data = shutil.copytree(BUNDLED.parent, tmp_path / "data", ignore=shutil.ignore_patterns("*.xlsx"))
    assert main(["convert", str(data / BUNDLED.name), str(data / BUNDLED_XLSX.name)]) == 0
    assert (data / BUNDLED_XLSX.name).read_bytes() == BUNDLED_XLSX.read_bytes(), \
        "data/kitakyushu-juki-r3.xlsx is out of date: pia-analysis convert data/kitakyushu-juki-r3 " \
        "data/kitakyushu-juki-r3.xlsx --force"
    # workbook → workbook in the same folder: the same bytes too
    assert convert(data / BUNDLED_XLSX.name, data / "copy.xlsx").read_bytes() == BUNDLED_XLSX.read_bytes()


# --- cells typed by Excel ----------------------------------------------------------------------------


def test_cell_text_gives_what_a_csv_would_hold():
    assert cell_text(True) == "true" and cell_text(False) == "false"
    assert cell_text(0.3) == "0.3" and cell_text(932000) == "932000" and cell_text(932000.0) == "932000"
    assert cell_text(dt.datetime(2021, 11, 9)) == "2021-11-09" and cell_text(dt.date(2021, 11, 9)) == "2021-11-09"
    assert cell_text(None) == "" and cell_text("  text ") == "  text "


def _handmade_tiny(path: Path, overrides: dict | None = None) -> Path:
    """The tiny model typed into a fresh openpyxl workbook the way Excel types it (numbers, TRUE, dates)."""
    model = load_model(TINY)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    ws = wb.create_sheet("model")
    ws.append(["key", "value"])
    for key, value in model.meta.items():
        ws.append([key, dt.datetime(2024, 4, 1) if key == "assessed_on" else value])
    for table in TABLES:
        frame = getattr(model, table.name)
        if table.optional_file and frame.empty:
            continue
        ws = wb.create_sheet(table.name)
        ws.append(list(frame.columns))
        for row in frame.to_dict("records"):
            cells = []
            for name, value in row.items():
                if isinstance(value, list):
                    value = ";".join(value)
                elif name == "entry_likelihood" and value == 0:
                    value = None  # left empty, as in the CSV
                cells.append(value)
            ws.append(cells)
    for (sheet, cell), value in (overrides or {}).items():
        wb[sheet][cell] = value
    wb.save(path)
    return path


def test_a_hand_typed_workbook_loads_like_the_directory(tmp_path: Path):
    book = _handmade_tiny(tmp_path / "hand.xlsx", {("files", "D2"): 1500.0, ("systems", "H3"): "10%"})
    model = load_model(book)
    assert_tables_equal(load_model(TINY), model)
    assert model.meta == load_model(TINY).meta


def test_blank_rows_and_full_width_text_are_handled_as_in_csv(tmp_path: Path):
    book = _handmade_tiny(tmp_path / "hand.xlsx", {("systems", "E3"): "ＴＥＲＭＩＮＡＬ", ("systems", "A9"): None})
    wb = openpyxl.load_workbook(book)
    wb["zones"].insert_rows(3)  # a blank row between two zones
    wb.save(book)
    model = load_model(book)
    assert model.systems["kind"].tolist() == ["system", "terminal", "system"]
    assert model.zones["zone_id"].tolist() == ["CORE", "DC"]


# --- located validation messages ---------------------------------------------------------------------


def test_a_wrong_drop_down_value_is_located_by_sheet_row_and_column(tiny_xlsx: Path):
    edit(tiny_xlsx, "systems", "E4", "laptop")
    problems = problems_of(tiny_xlsx)
    assert len(problems) == 1
    assert problems[0].startswith(f"{tiny_xlsx}[systems]:4: kind: 'laptop' is not one of system, store, terminal")


def test_problems_name_the_sheet_and_every_problem_is_reported(tiny_xlsx: Path):
    edit(tiny_xlsx, "systems", "D4", "DX")
    edit(tiny_xlsx, "flows", "G2", "maybe")
    edit(tiny_xlsx, "controls", "F3", 1.5)
    edit(tiny_xlsx, META_SHEET, "B8", "lots")
    problems = problems_of(tiny_xlsx)
    root = str(tiny_xlsx)
    assert problems == [
        f"{root}[model]:8: target_population: 'lots' is not a whole number (hint: write a number such as 932000 (no units))",
        f"{root}[systems]:4: zone_id: 'DX' is not a known zone_id (hint: use an id listed in the zones sheet, or add it there)",
        f"{root}[flows]:2: interactive: 'maybe' is not a yes/no value "
        "(hint: write true or false (yes/no, 1/0, はい/いいえ, ○/×, ◯/✕, 〇/✗, あり/なし, 有/無, 有り/無し and ✓, ✔ "
        "for true are accepted))",
        f"{root}[controls]:3: effectiveness: '1.5' is outside [0, 1] "
        "(hint: did you mean 1.5 % (0.015)? write 0.015 or 1.5%; a number in [0, 1]; 0 for organisational measures)",
    ]


def test_a_duplicate_id_names_the_first_row_of_the_sheet(tiny_xlsx: Path):
    found = problems_of(edit(tiny_xlsx, "zones", "A3", "CORE"))
    assert found[0] == (f"{tiny_xlsx}[zones]:3: zone_id: duplicate id 'CORE' (first on row 2) "
                        "(hint: every row needs its own id; rename or merge the rows)")


def test_a_formula_cell_is_refused(tiny_xlsx: Path):
    edit(tiny_xlsx, "files", "D3", "=100*2")
    edit(tiny_xlsx, META_SHEET, "B9", "=10+10")
    problems = problems_of(tiny_xlsx)
    assert any(p.startswith(f"{tiny_xlsx}[files]:3: records: cell holds a formula; type the value") for p in problems)
    assert any(p.startswith(f"{tiny_xlsx}[model]:9: handlers: cell holds a formula; type the value") for p in problems)
    assert len(problems) == 2


def test_an_error_value_cell_is_refused(tiny_xlsx: Path):
    wb = openpyxl.load_workbook(tiny_xlsx)
    wb["flows"]["E3"] = "#N/A"  # openpyxl stores it as an error value, as Excel does
    wb.save(tiny_xlsx)
    assert problems_of(tiny_xlsx) == [f"{tiny_xlsx}[flows]:3: stage: cell holds the error value #N/A; type the value "
                                      "(hint: correct the cell so that it holds a plain value)"]


def test_my_number_guard_applies_to_every_cell(tiny_xlsx: Path):
    edit(tiny_xlsx, "files", "F2", f"番号 {FAKE_MY_NUMBER[:4]}-{FAKE_MY_NUMBER[4:8]}-{FAKE_MY_NUMBER[8:]}")
    wb = openpyxl.load_workbook(tiny_xlsx)
    wb.create_sheet("notes")["C5"] = int(FAKE_MY_NUMBER)  # typed as a number, in a sheet the loader ignores
    wb.save(tiny_xlsx)
    problems = problems_of(tiny_xlsx)
    assert any(p.startswith(f"{tiny_xlsx}[files]:2: items: contains what looks like a real My Number (**** **** **18")
               for p in problems)
    assert any(p.startswith(f"{tiny_xlsx}[notes]:5: column C: contains what looks like a real My Number") for p in problems)
    assert all(FAKE_MY_NUMBER not in p for p in problems)


def test_sheet_and_header_problems(tiny_xlsx: Path):
    wb = openpyxl.load_workbook(tiny_xlsx)
    del wb["flows"]
    wb["systems"]["D1"] = "zone"  # the required zone_id column renamed
    wb["zones"]["F1"] = "operator"  # a second operator column
    wb["files"]["J4"] = "stray"  # a value under no header
    wb.save(tiny_xlsx)
    problems = problems_of(tiny_xlsx)
    root = str(tiny_xlsx)
    assert f"{root}[zones]:1: operator: appears twice in the header (columns E and F) (hint: delete or rename one of them)" in problems
    assert any(p.startswith(f"{root}[systems]:1: zone_id: required column is missing") for p in problems)
    assert any(p.startswith(f"{root}[files]:4: column J: has a value but its column has no name") for p in problems)
    assert any(p.startswith(f"{root}[flows]: is missing (hint: add a sheet named flows") for p in problems)


def test_model_sheet_rules(tiny_xlsx: Path):
    wb = openpyxl.load_workbook(tiny_xlsx)
    ws = wb[META_SHEET]
    ws.append(["title_ja", "二つ目の題名"])
    ws.append(["colour", "blue"])
    ws.append(["handlers", None])  # an empty value: as if the key were not there
    wb.save(tiny_xlsx)
    problems = problems_of(tiny_xlsx)
    assert problems == [
        # the rows appended after the header and one row per model key (document has its own sheet)
        f"{tiny_xlsx}[model]:{len(MODEL_KEYS) + 1}: title_ja: is given twice (first on row 3) (hint: keep one of the "
        "two rows)",
        f"{tiny_xlsx}[model]:{len(MODEL_KEYS) + 2}: colour: unknown key (hint: the keys are {', '.join(MODEL_KEYS)}; check the spelling)",
    ]


def test_not_a_workbook_is_a_located_problem(tmp_path: Path, capsys):
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"zone_id,name_ja\n")
    assert problems_of(fake) == [f"{fake}: is not an Excel workbook (.xlsx) "
                                 "(hint: save it from Excel as 'Excel Workbook (*.xlsx)', without a password)"]
    assert problems_of(tmp_path / "missing.xlsx")[0].endswith("does not exist (hint: give the path of a model "
                                                             "workbook (.xlsx) or of a model directory)")
    assert main(["validate", str(fake)]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_carriage_returns_and_control_characters_round_trip(tmp_path: Path):
    model = load_model(TINY)
    systems = model.systems.copy()
    systems["source"] = ["line 1\r\nline 2", "tab\tand line\nbreak", "a literal _x000D_ stays literal"]
    changed = model.replace(systems=systems)
    book = save_workbook(changed, tmp_path / "m.xlsx")
    assert openpyxl.load_workbook(book)["systems"]["I2"].value == "line 1_x000D_\nline 2"  # as Excel writes it
    assert_tables_equal(changed, load_model(book))
    # other control characters (a bell, Excel's _x0007_) are written but refused, located, on reading back:
    # the pack's own tables.xlsx could not hold them (issue 14's attack trial: report exit 3)
    systems["source"] = ["line 1", "bell\x07 and \x01", "x"]
    book = save_workbook(model.replace(systems=systems), tmp_path / "bell.xlsx")
    with pytest.raises(ModelError) as caught:
        load_model(book)
    assert "bell.xlsx[systems]:3: source: 'bell\\x07 and \\x01' holds a control character (U+0007" \
        in str(caught.value.problems[0])


# --- new ---------------------------------------------------------------------------------------------


def _append_tiny_rows(book: Path) -> None:
    """Fill a blank workbook's tables through openpyxl, as a user fills them in Excel."""
    wb = openpyxl.load_workbook(book)
    for row in wb[META_SHEET].iter_rows():  # the population replaces the placeholder 0, as a user types it
        if row[0].value == "target_population":
            row[1].value = 1500
    wb["zones"].append(["CORE", "基幹系", "Core", True, "city", "test"])
    wb["zones"]["D2"] = False
    wb["systems"].append(["REG", "住民記録", "Register", "CORE", "system", "city", "REG_FILE", None, "test"])
    wb["systems"].append(["TERM", "端末", "Terminal", "CORE", "terminal", "city", None, 0.1, "test"])
    wb["files"].append(["REG_FILE", "住民基本台帳ファイル", "Register file", 1500, True, "個人番号;4情報", "test"])
    wb["flows"].append(["F1", "TERM", "REG", "REG_FILE", "use", "庁内LAN", True, False, "test"])
    wb["controls"].append(["C1", "アクセス制御", "Access control", "use-2;use-3", "REG;TERM", 0.5, "implemented", "test"])
    wb["ratings"].append(["use-2", "十分である"])
    wb.save(book)


def test_new_workbook_has_headers_guide_and_drop_downs(tmp_path: Path):
    book = new_model(tmp_path / "city-juki", xlsx=True, assessed_on=dt.date(2025, 4, 1))
    assert book == tmp_path / "city-juki.xlsx"
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == [GUIDE_SHEET, META_SHEET, "document", *TABLE_NAMES]
    guide_text = " ".join(str(c.value) for row in wb[GUIDE_SHEET].iter_rows() for c in row if c.value)
    assert "使い方" in guide_text and "How to fill it in" in guide_text and "outsource-5" in guide_text
    for table in TABLES:
        ws = wb[table.name]
        assert [c.value for c in ws[1]] == table.column_names and ws.max_row == 1
        lists = {}
        for dv in ws.data_validations.dataValidation:
            if dv.type == "list":
                lists[str(dv.sqref).split(":")[0].rstrip("0123456789")] = dv.formula1
        for pos, col in enumerate(table.columns, 1):
            letter = openpyxl.utils.get_column_letter(pos)
            if col.kind in ("enum", "bool"):
                assert letter in lists, (table.name, col.name)
                for choice in (["TRUE", "FALSE"] if col.kind == "bool" else col.choices[:3]):
                    assert choice in lists[letter], (table.name, col.name, choice)
    assert {dv.formula1 for dv in wb["flows"].data_validations.dataValidation if dv.type == "list"} >= {
        '"acquire,use,outsource,provide,network,retain"', '"TRUE,FALSE"'}
    # a blank model fails only because it has no rows and the population is the placeholder 0
    assert [p.message for p in validate(book)] == [PLACEHOLDER,
                                                   "has a header but no rows: a model needs at least one zone",
                                                   "has a header but no rows: a model needs at least one system"]
    with pytest.raises(ModelError, match="placeholder"):  # the model keys too: 0 people is not a population
        read_meta(book)
    meta = {row[0].value: row[1].value for row in openpyxl.load_workbook(book)[META_SHEET].iter_rows(min_row=2)}
    assert meta["id"] == "city-juki" and str(meta["assessed_on"]).startswith("2025-04-01")
    # the same call gives the same bytes
    again = new_model(tmp_path / "other" / "city-juki.xlsx", assessed_on=dt.date(2025, 4, 1))
    assert again.read_bytes() == book.read_bytes()


def test_a_new_workbook_filled_through_openpyxl_loads(tmp_path: Path):
    book = new_model(tmp_path / "filled.xlsx")
    _append_tiny_rows(book)
    model = load_model(book)
    assert model.summary()["systems"] == 2 and model.flows["interactive"].tolist() == [True]
    assert model.systems["entry_likelihood"].tolist() == [0.0, 0.1]
    assert model.ratings["rating"].tolist() == ["十分である"]


def test_new_directory_has_headers_readme_and_fails_only_for_no_rows(tmp_path: Path):
    out = new_model(tmp_path / "city")
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["README.md", "model.yaml"] + [t.filename for t in TABLES])
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "## systems.csv" in readme and "entry_likelihood" in readme and "outsource-5" in readme
    assert [p.message for p in validate(out)] == [PLACEHOLDER,
                                                  "has a header but no rows: a model needs at least one zone",
                                                  "has a header but no rows: a model needs at least one system"]
    # the README and model.yaml's comment say what validation says of the 0 written
    assert "pia-analysis new が書く 0 は仮の値" in readme and "0 that pia-analysis new writes is a placeholder" in readme
    yaml_text = (out / "model.yaml").read_text(encoding="utf-8")
    assert "0 that pia-analysis new writes is a placeholder" in yaml_text and "\ntarget_population: 0\n" in yaml_text
    assert "\nid: city\n" in yaml_text
    with pytest.raises(FileExistsError):
        new_model(out)
    with pytest.raises(FileExistsError):
        new_model(out / "zones.csv")


def test_a_new_directory_converted_and_filled_loads(tmp_path: Path):
    out = new_model(tmp_path / "city")
    book = tmp_path / "city.xlsx"
    with pytest.raises(ModelError):  # a blank model is not valid: convert refuses it, writes nothing
        convert(out, book)
    assert not book.exists()


# --- convert and the command line --------------------------------------------------------------------


def test_convert_writes_nothing_from_a_bad_source(tmp_path: Path, capsys):
    bad = shutil.copytree(TINY, tmp_path / "bad")
    text = (bad / "systems.csv").read_text(encoding="utf-8").replace("REG,住民記録システム,Register,CORE,system",
                                                                     "REG,住民記録システム,Register,CORE,laptop")
    (bad / "systems.csv").write_text(text, encoding="utf-8")
    assert main(["convert", str(bad), str(tmp_path / "out.xlsx")]) == 1
    err = capsys.readouterr().err
    assert "systems.csv:2: kind: 'laptop' is not one of" in err and "Traceback" not in err
    assert main(["convert", str(bad), str(tmp_path / "outdir")]) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad"]  # no partial destination, no temporary left


def test_cli_new_convert_and_validate_exit_codes(tmp_path: Path, capsys):
    book = tmp_path / "m.xlsx"
    assert main(["convert", str(TINY), str(book)]) == 0
    assert main(["convert", str(TINY), str(book)]) == 2  # exists
    assert main(["convert", str(TINY), str(book), "--force"]) == 0
    assert main(["validate", str(book)]) == 0
    assert "OK: m.xlsx" in capsys.readouterr().out
    assert main(["exposure", str(book), "--format", "csv"]) == 0
    assert main(["convert", str(book), str(tmp_path / "dir")]) == 0
    assert_tables_equal(load_model(TINY), load_model(tmp_path / "dir"))
    assert main(["convert", str(book), str(tmp_path / "dir")]) == 2  # not empty
    (tmp_path / "dir" / "notes.txt").write_text("kept", encoding="utf-8")
    assert main(["convert", str(book), str(tmp_path / "dir"), "--force"]) == 0
    assert (tmp_path / "dir" / "notes.txt").read_text(encoding="utf-8") == "kept"
    assert main(["convert", str(book), str(tmp_path / "out.csv")]) == 2
    assert main(["convert", str(book), str(book)]) == 2
    assert main(["new", str(tmp_path / "n"), "--xlsx"]) == 0 and (tmp_path / "n.xlsx").is_file()
    assert main(["new", str(tmp_path / "n.xlsx")]) == 2
    assert main(["new", str(tmp_path / "d")]) == 0 and (tmp_path / "d" / "README.md").is_file()
    assert main(["validate", str(tmp_path / "n.xlsx")]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'n.xlsx'}[zones]:1: has a header but no rows" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as info:
        main(["convert", str(book)])
    assert info.value.code == 2


def test_the_documentation_names_tables_in_the_words_of_each_form(tmp_path: Path):
    # docs/model-format.md and new's README describe a directory (zones.csv); the workbook guide, sheets.
    readme = (new_model(tmp_path / "city-juki", xlsx=False, assessed_on=dt.date(2025, 4, 1)) / "README.md").read_text(
        encoding="utf-8")
    for text in (format_reference_markdown(), readme):
        assert "its zone: a zone_id of zones.csv" in text and "所属するゾーン（zones.csvの zone_id）" in text
        assert " sheet" not in text.replace("guide sheet", "") and "シート" not in text
    zone, rated = TABLE_BY_NAME["systems"].column("zone_id"), TABLE_BY_NAME["ratings"].column("risk_id")
    assert zone.meaning_in("workbook") == ("所属するゾーン（zones シートの zone_id）", "its zone: a zone_id of the zones sheet")
    ja, en = rated.meaning_in("workbook")
    assert ja.endswith("または risks シート のID") and en.endswith("or a risk id of risks sheet")
