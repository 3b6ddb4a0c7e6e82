"""The population a judgment rests on (issue 14, "Judgments that read right").

``target_population: 0`` (what ``pia-analysis new`` writes) is refused as a placeholder; a population below
the largest My Number file's records is a located warning (printed, exit 0), an error with ``--strict``;
the sentence for "no assessment required" reads as Japanese and as English. Checked on the tiny model (a
directory and a workbook) and on the town model.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from broken_cases import TINY
from pia_analysis import ModelError, load_model
from pia_analysis.analysis.judgments import threshold_judgment
from pia_analysis.cli import main
from pia_analysis.formats.templates import convert
from pia_analysis.outputs.briefing import threshold_sentence

TOWN = Path(__file__).parent / "models" / "town"


def with_population(src: Path, dst: Path, population: str) -> Path:
    out = shutil.copytree(src, dst)
    text = (out / "model.yaml").read_text(encoding="utf-8")
    lines = [f"target_population: {population}" if line.startswith("target_population:") else line
             for line in text.splitlines()]
    (out / "model.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def population_line(model_dir: Path) -> int:
    lines = (model_dir / "model.yaml").read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.startswith("target_population:"))


@pytest.mark.parametrize("src", [TINY, TOWN], ids=["tiny", "town"])
def test_the_placeholder_population_is_refused_where_it_is(tmp_path, src, capsys):
    model_dir = with_population(src, tmp_path / "m", "0")
    with pytest.raises(ModelError) as info:
        load_model(model_dir)
    [problem] = info.value.problems
    assert str(problem).startswith(f"{model_dir}/model.yaml:{population_line(model_dir)}: target_population: 0 is "
                                   "the placeholder that 'pia-analysis new' writes")
    assert "write the number of people" in problem.hint and "対象となる本人の数" in problem.hint
    assert main(["validate", str(model_dir)]) == 1
    err = capsys.readouterr().err
    assert "placeholder" in err and "Traceback" not in err


def test_a_new_model_is_refused_for_its_placeholder_population(tmp_path, capsys):
    assert main(["new", str(tmp_path / "blank")]) == 0
    assert "placeholder" in capsys.readouterr().out  # what new says, validate says
    assert main(["validate", str(tmp_path / "blank")]) == 1
    assert "target_population: 0 is the placeholder" in capsys.readouterr().err


@pytest.mark.parametrize("src, records, file_id", [(TINY, 1500, "REG_FILE"), (TOWN, 8000, "JUKI_FILE")],
                         ids=["tiny", "town"])
def test_a_population_below_the_records_is_a_located_warning(tmp_path, src, records, file_id):
    model_dir = with_population(src, tmp_path / "m", "500")
    model = load_model(model_dir)  # loads: a warning, not an error
    [warning] = model.warnings
    assert str(warning).startswith(f"{model_dir}/model.yaml:{population_line(model_dir)}: target_population: 500 is "
                                   f"below the {records:,} records of {file_id} (files.csv line ")
    # as many people as the largest file, or more: no warning
    assert load_model(with_population(src, tmp_path / "same", str(records))).warnings == ()
    assert load_model(src).warnings == ()


def test_the_workbook_locates_the_warning_at_its_row(tmp_path):
    book = convert(with_population(TINY, tmp_path / "m", "500"), tmp_path / "m.xlsx")
    [warning] = load_model(book).warnings
    assert str(warning).startswith(f"{book}[model]:8: target_population: 500 is below the 1,500 records of "
                                   "REG_FILE (the files sheet row 2)")


def test_warnings_are_printed_and_strict_makes_them_errors(tmp_path, capsys):
    model_dir = with_population(TOWN, tmp_path / "m", "500")
    assert main(["validate", str(model_dir)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("OK:") and "warning: " in captured.err and "below the 8,000 records" in captured.err
    assert main(["validate", "--strict", str(model_dir)]) == 1
    err = capsys.readouterr().err
    assert "1 warning(s), errors with --strict" in err and "below the 8,000 records" in err
    # report (nothing written), the table commands and diff share the one option
    assert main(["report", "--strict", str(model_dir), "--out", str(tmp_path / "pack")]) == 1
    assert not (tmp_path / "pack").exists()
    for command in ("exposure", "coverage", "findings", "section3"):
        assert main([command, "--strict", str(model_dir)]) == 1, command
    assert main(["diff", "--strict", str(TOWN), str(model_dir)]) == 1
    assert "warnings, errors with --strict" in capsys.readouterr().err
    # a model without warnings is unaffected by --strict
    assert main(["validate", "--strict", str(TOWN)]) == 0


def test_no_assessment_required_reads_naturally():
    none = threshold_judgment(500)
    assert none.code == "none"
    ja, en = threshold_sentence(none, "ja"), threshold_sentence(none, "en")
    assert ja == "対象人数 500 人のため、特定個人情報保護評価の実施は義務付けられていません。"
    assert en == "500 people in the files: no privacy impact assessment is required."
    assert "なしが必要" not in ja and "a none" not in en
    assert threshold_sentence(threshold_judgment(8000), "en") == "8,000 people in the files: a basic assessment is required."
