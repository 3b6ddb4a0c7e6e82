"""What the issue-13 attack trial found: YAML in workbook cells, alias bombs, errors reported all at once."""

from __future__ import annotations

import time
from pathlib import Path

import openpyxl
import pytest

from broken_cases import TINY
from pia_analysis import ModelError, load_model
from pia_analysis.cli import main
from pia_analysis.formats.workbook import META_SHEET, save_workbook
from pia_analysis.model.schema import MODEL_KEYS

# nine levels of nine items: 9**9 items if anything expands it (a 300-byte cell)
BOMB = "[&a [x,x,x,x,x,x,x,x,x], " + ", ".join(
    f"&{b} [{', '.join([f'*{a}'] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi")) + "]"


def workbook_with(tmp_path: Path, **cells: str) -> Path:
    """The workbook of tests/models/tiny with the model sheet's value cells of ``cells`` (key: text) set."""
    path = save_workbook(load_model(TINY), tmp_path / "model.xlsx")
    wb = openpyxl.load_workbook(path)
    rows = {key: row for row, key in enumerate(MODEL_KEYS, 2)}
    for key, text in cells.items():
        wb[META_SHEET].cell(rows[key], 2, text)
    wb.save(path)
    return path


def problems_of(path: Path) -> list[str]:
    """The located problems of loading ``path``, the model's folder cut from their labels."""
    with pytest.raises(ModelError) as info:
        load_model(path)
    return [str(p).replace(f"{path}/", "") for p in info.value.problems]


def test_impossible_dates_in_workbook_cells_are_located_all_at_once(tmp_path, capsys):
    path = workbook_with(tmp_path, procedure="{public_comment: {start: 2025-02-30, end: 2025-03-30}, "
                                             "submitted_on: 2021-13-45}",
                         declared_not_applicable="[2025-02-30]")
    found = problems_of(path)
    row = 2 + list(MODEL_KEYS).index("procedure")
    assert any(f"[model]:{row}: procedure.public_comment.start: '2025-02-30' is not a date: February 2025 has 28 "
               "days (hint: check the day of the month)" in p for p in found)
    assert any(f"[model]:{row}: procedure.submitted_on: '2021-13-45' is not a date: there is no month 13" in p
               for p in found)
    assert any("declared_not_applicable: '2025-02-30' is not a declaration" in p for p in found)
    for command in (["validate", str(path)], ["convert", str(path), str(tmp_path / "out")]):
        assert main(command) == 1
        err = capsys.readouterr().err
        assert "internal error" not in err and "Traceback" not in err
        assert "February 2025 has 28 days" in err


def test_a_date_in_other_risk_measures_is_text(tmp_path):
    model = load_model(workbook_with(tmp_path, other_risk_measures="{acquire: 2025-02-30}"))
    assert model.meta["other_risk_measures"] == {"acquire": "2025-02-30"}


def test_a_python_tag_in_a_cell_is_refused_located(tmp_path):
    found = problems_of(workbook_with(tmp_path, other_risk_measures="{acquire: !!python/object/apply:os.system [ls]}"))
    assert any("other_risk_measures: is not readable" in p for p in found)


@pytest.mark.parametrize("where", ["workbook", "model.yaml"])
def test_an_alias_bomb_in_declarations_is_refused_in_under_a_second(tmp_path, where, capsys):
    if where == "workbook":
        path = workbook_with(tmp_path, declared_not_applicable=BOMB)
    else:
        path = tmp_path / "m"
        import shutil

        shutil.copytree(TINY, path)
        with open(path / "model.yaml", "a", encoding="utf-8") as fh:
            fh.write(f"declared_not_applicable: {BOMB}\n")
    started = time.perf_counter()
    assert main(["validate", str(path)]) == 1
    assert time.perf_counter() - started < 1.0
    err = capsys.readouterr().err
    assert "declared_not_applicable: the alias *d is not read: the aliases would repeat more than 10,000 values" in err
    assert len(err) < 2000  # one located problem, nothing expanded


def test_aliases_within_the_bound_still_read(tmp_path):
    from pia_analysis.model.yamlread import read_cell_yaml

    value, refused, error = read_cell_yaml("{a: &x [1, 2], b: *x}")
    assert value == {"a": [1, 2], "b": [1, 2]} and refused == [] and error is None


def tiny_with(tmp_path: Path, text: str) -> Path:
    """A copy of tests/models/tiny with ``text`` appended to its model.yaml."""
    import shutil

    path = tmp_path / "tiny"
    shutil.copytree(TINY, path)
    with open(path / "model.yaml", "a", encoding="utf-8") as fh:
        fh.write(text)
    return path


def test_a_bad_declaration_is_reported_and_the_good_ones_are_still_checked(tmp_path):
    path = tiny_with(tmp_path, "declared_not_applicable: [outsource, bogus_word, ~]\n")
    with open(path / "flows.csv", encoding="utf-8") as fh:
        assert ",outsource," in fh.read()  # tiny has a flow of the outsource stage: the declaration contradicts it
    found = problems_of(path)
    assert "declared_not_applicable: 'bogus_word' is not a declaration" in "\n".join(found)
    assert "declared_not_applicable: an empty item is not a declaration" in "\n".join(found)
    assert any("declares 委託しない (outsource), but flow 'F2'" in p for p in found)


def test_one_declaration_without_brackets_must_be_a_list(tmp_path):
    found = problems_of(tiny_with(tmp_path, "declared_not_applicable: outsource\n"))
    assert found == ["model.yaml:10: declared_not_applicable: must be a list (hint: write it as [outsource] (in "
                     "brackets): the choices are outsource, provide, network_acquire, network_provide)"]


def test_words_separated_by_semicolons_still_read_in_a_workbook_cell(tmp_path):
    model = load_model(workbook_with(tmp_path, declared_not_applicable="network_acquire; network_provide"))
    assert model.meta["declared_not_applicable"] == ["network_acquire", "network_provide"]


def test_other_risk_measures_refuse_numbers_and_say_empty(tmp_path):
    found = problems_of(tiny_with(tmp_path, 'other_risk_measures:\n  use: 123\n  other: ""\n  retain: [a]\n'))
    assert found == [
        "model.yaml:11: other_risk_measures.use: must be a text, not a number (hint: write the measures as one text "
        "(in quotes if it is a number), or remove the key)",
        "model.yaml:12: other_risk_measures.other: is empty (hint: write the measures as one text, or remove the key)",
        "model.yaml:13: other_risk_measures.retain: must be a text, not a list (hint: write the measures as one text "
        "(in quotes if it is a number), or remove the key)",
    ]


def test_diff_of_two_broken_models_lists_both(tmp_path, capsys):
    a = tiny_with(tmp_path / "a", "declared_not_applicable: outsource\n")
    b = tiny_with(tmp_path / "b", "other_risk_measures: {use: 123}\n")
    assert main(["diff", str(a), str(b)]) == 1
    err = capsys.readouterr().err
    assert f"the model at {a} is not valid" in err and "declared_not_applicable: must be a list" in err
    assert f"the model at {b} is not valid" in err and "other_risk_measures.use: must be a text" in err


def test_a_public_comment_that_ends_before_it_starts_is_located(tmp_path, capsys):
    path = tiny_with(tmp_path, "procedure:\n  public_comment:\n    start: 2025-06-02\n    end: 2025-05-01\n")
    assert problems_of(path) == [
        "model.yaml:13: procedure.public_comment.end: 2025-05-01 is before the start, 2025-06-02 (hint: the public "
        "comment ends on or after its first day: check the two dates)"]
    assert main(["validate", str(path)]) == 1
    capsys.readouterr()


def test_a_one_day_public_comment_is_accepted(tmp_path):
    model = load_model(tiny_with(tmp_path, "procedure:\n  public_comment:\n    start: 2025-06-02\n    end: 2025-06-02\n"))
    assert model.meta["procedure"]["public_comment"]["end"] == model.meta["procedure"]["public_comment"]["start"]


@pytest.mark.parametrize("today", ["1800-01-01", "2100-01-01"])
def test_procedure_refuses_a_today_outside_the_model_dates(today, capsys):
    with pytest.raises(SystemExit) as info:
        main(["procedure", str(TINY), "--today", today])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --today: '{today}' is outside 1990-01-01 … 2099-12-31" in err and "Traceback" not in err


def test_procedure_takes_a_today_inside_the_bounds(capsys):
    assert main(["procedure", str(TINY), "--today", "2099-12-31", "--format", "csv"]) == 0
    assert "check" in capsys.readouterr().out


def test_diff_gives_the_form_items_of_the_other_measures_and_the_declarations(tmp_path):
    from pia_analysis import diff

    a = load_model(tiny_with(tmp_path / "a", "other_risk_measures:\n  acquire: 本人確認を徹底\n"
                                             "declared_not_applicable: [provide]\n"))
    b = load_model(tiny_with(tmp_path / "b", "other_risk_measures:\n  acquire: 本人確認を徹底\n  other: 追記\n"
                                             "declared_not_applicable: [provide, network_acquire]\n"))
    sheet = diff(a, b).change_sheet().set_index("項目")
    measures = sheet.loc["Ⅳ 3 その他のリスク対策"]
    assert measures["変更前の記載"] == "Ⅲ 2 入手: 本人確認を徹底"
    assert measures["変更後の記載"] == "Ⅲ 2 入手: 本人確認を徹底; Ⅳ 3 その他のリスク対策: 追記"
    boxes = sheet.loc["Ⅲ 6 [ ]接続しない（入手）"]
    assert (boxes["変更前の記載"], boxes["変更後の記載"]) == ("提供・移転しない", "提供・移転しない、接続しない（入手）")
    assert not sheet.index.str.contains("表紙").any()
    assert not any("{" in str(v) or "[" in str(v) for v in sheet.values.ravel())  # never a Python repr


def append_ratings(path: Path, rows: str) -> Path:
    with open(path / "ratings.csv", "a", encoding="utf-8") as fh:
        fh.write(rows)
    return path


def test_a_risk_of_the_block_beside_the_block_says_to_remove_the_risk(tmp_path):
    path = append_ratings(tiny_with(tmp_path, ""), "outsource,十分である\noutsource-3,課題が残されている\n")
    warnings = [str(w) for w in load_model(path).warnings]
    assert any("'outsource-3' is rated on its own" in w and "(hint: remove the rows outsource-3: the row outsource "
               "rates the whole block (make it outsource,課題が残されている))" in w for w in warnings), warnings


def test_a_section4_word_on_a_risk_of_the_block_names_the_row_and_its_item(tmp_path):
    found = problems_of(append_ratings(tiny_with(tmp_path, ""), "outsource-1,十分に行っている\n"))
    assert any("rating: '十分に行っている' (Section Ⅳ's choice) is not a choice of 'outsource-1' (rated as "
               "'outsource', Section Ⅲ)" in p for p in found), found


def test_diff_with_a_missing_path_exits_as_validate_does(tmp_path, capsys):
    missing = str(tmp_path / "nowhere")
    assert main(["validate", missing]) == main(["diff", missing, str(TINY)]) == 1
    assert capsys.readouterr().err.count("is not a directory") == 2


def test_a_closed_stdout_exits_141_quietly(tmp_path):
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    # a reader that takes nothing: the first write of the table finds the pipe closed
    proc = subprocess.Popen([sys.executable, "-m", "pia_analysis.cli", "findings", str(TINY)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert "Traceback" not in err and "Broken pipe" not in err and "internal error" not in err
