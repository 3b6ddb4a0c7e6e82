"""What the attack trial of issue 15 found in the 評価書 writer and its document data, one test per finding."""

from __future__ import annotations

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
