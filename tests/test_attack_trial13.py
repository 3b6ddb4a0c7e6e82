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
    with pytest.raises(ModelError) as info:
        load_model(path)
    return [str(p) for p in info.value.problems]


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
