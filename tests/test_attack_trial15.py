"""What the attack trial of issue 15 found in the 評価書 writer and its document data, one test per finding."""

from __future__ import annotations

from pathlib import Path

import pytest

from pia_analysis import load_model, save_model
from pia_analysis.cli import main
from pia_analysis.model.checks import band_number
from pia_analysis.outputs.assessment_answers import assessment_answers
from test_assessment_answers import _at
from test_document_data import _model, _problems


def test_form_answers_override_one_item_per_unit_in_both_formats(tmp_path):
    # the same item answered for two files is two answers; the same item and unit twice stays an error
    two = ("item_id,unit,answer\nfull.II.2.1,JUKI_FILE,システム用ファイル\n"
           "full.II.2.1,HONNIN_FILE,システム用ファイル\n")
    model = load_model(_model(tmp_path / "a", form_answers=two))
    assert model.form_answers["unit"].tolist() == ["JUKI_FILE", "HONNIN_FILE"]
    book = tmp_path / "m.xlsx"
    save_model(model, book)
    assert load_model(book).form_answers["unit"].tolist() == ["JUKI_FILE", "HONNIN_FILE"]
    problems = _problems(_model(tmp_path / "b", form_answers=two + "full.II.2.1,HONNIN_FILE,その他\n"))
    assert len(problems) == 1 and problems[0].endswith(
        "form_answers.csv:4: item_id: full.II.2.1 for HONNIN_FILE is answered twice (first on line 3) "
        "(hint: keep one answer)")


def test_band_answers_take_digit_commas_and_the_count_word(tmp_path):
    # docs/assessment.md: a band item takes a number (1,000人 accepted) or a band label
    answers = ("item_id,unit,answer\n"
               'full.II.3.7.users,JUKI_FILE,"1,000人"\nfull.II.2.2,JUKI_FILE,1000人\nfull.II.6.2,JUKI_FILE,10年\n')
    model = load_model(_model(tmp_path, form_answers=answers))
    a = assessment_answers(model, form="full")
    assert _at(a, "full.II.3.7.users", "JUKI_FILE")["answer"] == "1,000人以上"
    assert _at(a, "full.II.2.2", "JUKI_FILE")["answer"] == "1万人未満"
    assert _at(a, "full.II.6.2", "JUKI_FILE")["answer"] == "10年以上20年未満"
    assert band_number("-3人") is None and band_number("1.5年") is None


def test_choice_overrides_give_the_other_text_fold_repeats_and_take_the_full_width_separator(tmp_path):
    answers = ("item_id,unit,answer\n"
               "full.II.3.2,JUKI_FILE,紙；その他（USB）;紙\nfull.II.3.1,JUKI_FILE,その他(窓口)\n")
    model = load_model(_model(tmp_path, form_answers=answers))
    a = assessment_answers(model, form="full")
    methods = _at(a, "full.II.3.2", "JUKI_FILE")
    assert methods["answer"] == "紙、その他（USB）" and list(methods["chosen"]) == ["紙", "その他"]
    assert _at(a, "full.II.3.1", "JUKI_FILE")["answer"] == "その他（窓口）"
    # その他 text only where the set has その他; a choice that is no choice stays an error
    problems = _problems(_model(tmp_path / "b", form_answers="item_id,unit,answer\nfull.II.2.1,JUKI_FILE,その他（x）\n"))
    assert len(problems) == 1 and "'その他（x）' is not a choice of full.II.2.1" in problems[0]


def test_document_rows_the_document_cannot_print_are_located_warnings(tmp_path, capsys):
    # each row would vanish from the 評価書 without a word: a warning says why and how to fix, --strict refuses
    path = _model(tmp_path, outsourcing="outsourcing_id,name_ja,covers\nEMPTY,空の委託,\n",
                  recipients="system_id,use\nNATIONAL_SRV,保存\nSTORE_KIOSK,交付\nPREF_SRV,保存\n",
                  file_details="file_id,purpose\nMEMO,控え\nJUKI_FILE,記録\n")
    with (path / "files.csv").open("a", encoding="utf-8") as out:
        out.write("MEMO,控えの一覧,,10,false,,assumption: a file without My Numbers\n")
    warnings = [str(w) for w in load_model(path).warnings]
    assert sorted(w.split(" (hint")[0].split("/model/", 1)[1] for w in warnings) == [
        "file_details.csv:2: file_id: 'MEMO' holds no My Numbers (contains_my_number in files.csv), so the 評価書 "
        "has no block for it and this row does not appear",
        "outsourcing.csv:2: covers: is empty: this 委託事項 covers no system or flow, so the 評価書 does not print it",
        *(f"recipients.csv:{line}: system_id: {sid!r} receives no file with My Numbers from the body's side (no "
          "provide flow from a system run by the city, a contractor or a subcontractor carries one to it), so it "
          "is no 提供先・移転先 of the 評価書 and this row does not appear"
          for line, sid in ((2, "NATIONAL_SRV"), (3, "STORE_KIOSK"))),
    ]
    book = tmp_path / "m.xlsx"
    save_model(load_model(path), book)
    assert len(load_model(book).warnings) == 4
    assert main(["validate", "--strict", str(path)]) == 1
    assert "4 warning(s), errors with --strict" in capsys.readouterr().err


def test_duplicate_keys_nested_in_model_yaml_blocks_are_located(tmp_path):
    block = ("document:\n  department: 戸籍住民課\n  department: 区役所\n"
             "  disclosure:\n    office: 情報公開室\n    office: 市政情報室\n")
    problems = [p.split("/model/", 1)[1] for p in _problems(_model(tmp_path, document=block))]
    first = next(int(p.split(":")[1]) for p in problems)  # the line of the first duplicate, after the bundled keys
    assert problems == [
        f"model.yaml:{first}: document.department: appears twice in document (first on line {first - 1}) "
        "(hint: keep one of the two lines)",
        f"model.yaml:{first + 3}: document.disclosure.office: appears twice in document.disclosure (first on line "
        f"{first + 2}) (hint: keep one of the two lines)"]


def test_one_bad_cell_on_the_document_sheet_hides_no_other_problem(tmp_path):
    import openpyxl

    from test_document_data import DOCUMENT_YAML

    book = save_model(load_model(_model(tmp_path, document=DOCUMENT_YAML)), tmp_path / "m.xlsx")
    wb = openpyxl.load_workbook(book)
    ws = wb["document"]
    keys = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    ws.cell(keys.index("department") + 1, 2, '=HYPERLINK("x")')
    ws.cell(keys.index("handlers_counted_on") + 1, 2, "R3.13.1")
    ws.cell(ws.max_row + 1, 1, "bogus_key")
    ws.cell(ws.max_row, 2, "x")
    wb.save(book)
    found = [p.split("m.xlsx", 1)[1].split(": ")[:2] for p in _problems(book)]
    assert found == [[f"[document]:{keys.index('department') + 1}", "value"],
                     [f"[document]:{keys.index('handlers_counted_on') + 1}", "document.handlers_counted_on"],
                     [f"[document]:{len(keys) + 1}", "document.bogus_key"]]


def _broken_catalog(tmp_path, monkeypatch, edits):
    """A copy of the packaged catalogue with each (file, old, new) text replaced once, read instead of it."""
    import shutil
    from pathlib import Path

    from pia_analysis import catalog

    folder = tmp_path / "catalog"
    shutil.copytree(Path(str(catalog.CATALOG_DIR)), folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    for name, old, new in edits:
        text = (folder / name).read_text(encoding="utf-8")
        assert old in text, (name, old)
        (folder / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    monkeypatch.setattr(catalog, "CATALOG_DIR", folder)
    return folder


def _line(folder, name, start):
    return next(i for i, text in enumerate((folder / name).read_text(encoding="utf-8").splitlines(), 1)
                if text.startswith(start))


def test_corrections_of_the_layout_tables_are_checked_all_at_once_and_located(tmp_path, monkeypatch, capsys):
    from pia_analysis import bundled_model_path
    from pia_analysis.catalog import CatalogProblems
    from pia_analysis.catalog.layout import bands, form_layout, layout_problems

    folder = _broken_catalog(tmp_path, monkeypatch, [
        ("form_layout.csv", "full,full.II.2.2,", "full,full.II.2.1,"),  # a duplicate item_id
        ("form_layout.csv", "full,full.II.3.1,full.II.3,", "full,full.II.3.1,full.II.nothing,"),  # missing parent
        ("form_layout.csv", "derive:acquisition_methods", "doc:nonexistent_key"),  # a fill outside fill_keys.csv
        ("form_layout.csv", "multi_choice,acquisition_source,", "multi_choice,acquisition_sauce,"),  # no such set
        ("form_layout.csv", "入手方法,Means of acquisition,multi_choice", "入手方法,Means of acquisition,multichoice"),
        ("bands.csv", "population,2,1万人以上10万人未満,\"10,000 to fewer than 100,000\",10000,",
         "population,2,1万人以上10万人未満,\"10,000 to fewer than 100,000\",1万,"),
    ])
    found = layout_problems()
    layout_line = lambda start: _line(folder, "form_layout.csv", start)  # noqa: E731
    assert [p.split(" (hint")[0] for p in found] == [
        f"catalog/bands.csv:{_line(folder, 'bands.csv', 'population,2,')}: lower: '1万' is not a whole number",
        f"catalog/form_layout.csv:{layout_line('full,full.II.2.1,full.II.2,') + 1}: item_id: duplicate item_id "
        f"'full.II.2.1' (first on line {layout_line('full,full.II.2.1,full.II.2,')})",
        f"catalog/form_layout.csv:{layout_line('full,full.II.3.1,')}: parent: 'full.II.nothing' is not an earlier "
        "item of full",
        f"catalog/form_layout.csv:{layout_line('full,full.II.3.1,')}: choice_set: acquisition_sauce is not a set of "
        "choice_sets.csv",
        f"catalog/form_layout.csv:{layout_line('full,full.II.3.2,')}: kind: 'multichoice' is not a kind of item",
        f"catalog/form_layout.csv:{layout_line('full,full.II.3.2,')}: fill: 'doc:nonexistent_key' is not a key of "
        "fill_keys.csv",
    ]
    for read in (lambda: form_layout("full"), lambda: bands("population")):
        with pytest.raises(CatalogProblems) as info:
            read()
        assert info.value.problems == found
    # the CLI prints them as a bad input (exit 1), every one, not as an internal error
    assert main(["assessment", str(bundled_model_path()), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "internal error" not in err and f"the packaged catalogue is not valid: {len(found)} problem(s)" in err
    assert all(p in err for p in found)


def test_a_long_file_name_is_shortened_within_the_section_heading_bar(tmp_path, monkeypatch):
    from pia_analysis import bundled_model_path
    from pia_analysis.outputs import assessment as writer

    model = load_model(bundled_model_path())
    files = model.files.copy()
    files.loc[0, "name_ja"] = "長い名前のファイル" * 22 + "末尾"  # 200 characters, the schema's limit
    answers = assessment_answers(model.replace(files=files), form="full")
    headings = []
    draw = writer._PdfCanvas.text

    def record(self, x, y, text, size, colour="#111111"):
        if y == writer._MARGIN_TOP:  # the section heading in its bar
            headings.append((x + self.width(text, size), text, size))
        return draw(self, x, y, text, size, colour)

    monkeypatch.setattr(writer._PdfCanvas, "text", record)
    writer.assessment_pdf(answers, "full", tmp_path / "full.pdf")
    bar_end = writer._PAGE_W - writer._MARGIN_X - writer._PAD
    assert all(end <= bar_end for end, _text, _size in headings)
    long = [text for _end, text, _size in headings if "長い名前のファイル" in text]
    assert long and all(t.startswith("Ⅱ 特定個人情報ファイルの概要（長い名前のファイル") for t in long)
    assert all(t.endswith(("…）", "…）（続き）")) for t in long) and any(t.endswith("（続き）") for t in long)


def test_nits_retention_limits_the_diagram_path_the_cover_approval_and_the_years_word(tmp_path):
    details = "file_id,retention\nJUKI_FILE,10000\nHONNIN_FILE,-3\nSOUFU_FILE,5\n"
    problems = [p.split("/model/", 1)[1] for p in _problems(_model(tmp_path / "a", file_details=details))]
    assert problems[0].startswith("file_details.csv:2: retention: '10000' is over the limit of 9,999 years")
    assert problems[1].startswith("file_details.csv:3: retention: '-3' is negative")
    for path, why in (("../../../../etc/passwd", "leaves the model's folder (..)"), ("/etc/passwd",
                                                                                    "is an absolute path")):
        found = _problems(_model(tmp_path / why[:5].strip(), document=f"document:\n  affair_diagram: {path}\n"))
        assert len(found) == 1 and f"document.affair_diagram: '{path}' {why}" in found[0]
    # a 市 leaves 個人情報保護委員会 承認日【行政機関等のみ】 empty; a 保管期間 override prints its years with 年
    path = _model(tmp_path / "c", form_answers="item_id,unit,answer\nfull.II.6.2,JUKI_FILE,5\n")
    text = (path / "model.yaml").read_text(encoding="utf-8")
    (path / "model.yaml").write_text(text.replace("\nprocedure:\n", "\nprocedure:\n  commission_approved_on: 2021-12-01\n"),
                                     encoding="utf-8")
    model = load_model(path)
    assert model.meta["procedure"]["commission_approved_on"]
    a = assessment_answers(model, form="full")
    approval = _at(a, "full.cover.approval")
    assert approval["answer"] == "" and approval["status"] == "empty_declared"
    assert _at(a, "full.II.6.2", "JUKI_FILE")[["answer", "detail"]].tolist() == ["5年", "5年"]
    # an unknown layout item's hint names a document that exists
    found = _problems(_model(tmp_path / "d", form_answers="item_id,unit,answer\nfull.II.99,,x\n"))
    assert "docs/assessment.md" in found[0] and (Path(__file__).parents[1] / "docs" / "assessment.md").is_file()


def test_a_my_number_in_model_yaml_or_on_the_key_value_sheets_is_located_by_its_key(tmp_path):
    import openpyxl

    from pia_analysis import bundled_model_path

    number = "123456789018"
    found = _problems(_model(tmp_path / "a", document=f"document:\n  remarks: |\n    一行目\n    番号 {number}\n"))
    assert found and all(": document.remarks: contains what looks like a real My Number" in p for p in found)
    book = save_model(load_model(bundled_model_path()), tmp_path / "m.xlsx")
    wb = openpyxl.load_workbook(book)
    document, model_sheet = wb["document"], wb["model"]
    row = [c.value for c in document["A"]].index("remarks") + 1
    document.cell(row, 2, f"番号 {number}")
    title_row = [c.value for c in model_sheet["A"]].index("title_ja") + 1
    model_sheet.cell(title_row, 2, f"題 {number}")
    wb.save(book)
    found = "\n".join(_problems(book))
    assert f"m.xlsx[document]:{row}: document.remarks: contains what looks like a real My Number" in found
    assert f"m.xlsx[model]:{title_row}: title_ja: contains what looks like a real My Number" in found
    assert number not in found and "column B" not in found
