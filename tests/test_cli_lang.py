"""``--lang ja|en`` for ``exposure``, ``coverage``, ``findings`` (issue 14), ``fix-first`` and ``importance``
(issue 17), as ``report`` has it.

The table format speaks the chosen language: headings, stage names, statuses, levels and yes/no; the ids stay
in their own column; csv and json keep the analysts' column names and codes whatever ``--lang`` says. Checked
on the bundled model and on the town model (a stage declared out, one with nothing to assess).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pia_analysis import bundled_model_path
from pia_analysis.cli import main

TOWN = Path(__file__).parent / "models" / "town"
MODELS = {"bundled": bundled_model_path(), "town": TOWN}
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def run(capsys, *argv: str) -> str:
    assert main(list(argv)) == 0, argv
    return capsys.readouterr().out


def english_words_of(text: str) -> set[str]:
    # (a word inside an id such as entry-no-control is not a word of the table)
    return set(re.findall(r"(?<![-@\w])(?:open|mitigated|True|False|nan|None|yes|no|high|moderate|low|critical)"
                          r"(?![-@\w])", text))


@pytest.mark.parametrize("name", MODELS)
def test_the_default_is_japanese_as_reports(name, capsys):
    for command in ("exposure", "coverage", "findings", "fix-first", "importance"):
        assert run(capsys, command, str(MODELS[name])) == run(capsys, command, str(MODELS[name]), "--lang", "ja")


@pytest.mark.parametrize("name", MODELS)
def test_japanese_tables_say_japanese_words(name, capsys):
    path = str(MODELS[name])
    exposure = run(capsys, "exposure", path)
    assert exposure.startswith("ID") and "曝露（経" in exposure and "保有人数" in exposure  # (headings wrap)
    assert "侵害確率" in exposure and "厳密" in exposure and "の下限" in exposure  # the path is a lower bound
    assert "期待値" in exposure.splitlines()[0] and "期待値 = 曝露（年間確率）× 保有人数" in exposure
    assert "○" in exposure and re.search(r"\d%", exposure)
    coverage = run(capsys, "coverage", path)
    assert coverage.startswith("段階") and "網羅率" in coverage and "入手" in coverage and "使用" in coverage
    findings = run(capsys, "findings", path, "--all")
    assert findings.startswith("ID") and "状態" in findings and "未対応" in findings and "対象外" in findings
    assert re.search(r"(低|中|高|重大) \([1-4]\)", findings) and "前提（仮定）に基づく指摘" in findings
    fix_first = run(capsys, "fix-first", path)
    assert fix_first.startswith("対策前の記録の期待値") and "手順" in fix_first and "完全に有効化" in fix_first
    assert "最小カット" in fix_first
    importance = run(capsys, "importance", path)
    assert importance.startswith("ID") and "重要度" in importance and "期待値の減少" in importance
    assert "実施済み" in importance
    flows = run(capsys, "importance", path, "--of", "flows")
    for text in (exposure, coverage, findings, fix_first, importance, flows):
        assert not english_words_of(text), english_words_of(text)
    for text in (exposure, coverage, importance, flows):  # probabilities and ratios as percentages
        assert not re.search(r"(?<![\d.])0\.\d{3,}(?![\d%])", text)


@pytest.mark.parametrize("name", MODELS)
def test_english_tables_say_english_words(name, capsys):
    path = str(MODELS[name])
    exposure = run(capsys, "exposure", path, "--lang", "en")
    assert exposure.startswith("id") and "exposure" in exposure and "people" in exposure and "yes" in exposure
    assert "expected records = exposure (a year) × people held" in exposure
    assert "compromise" in exposure and "exact" in exposure and "a lower bound of the compromise" in exposure
    fix_first = run(capsys, "fix-first", path, "--lang", "en")
    assert fix_first.startswith("expected records at stake before the plan") and "minimum cut" in fix_first
    importance = run(capsys, "importance", path, "--lang", "en")
    assert importance.startswith("id") and "importance (Birnbaum" in importance and "implemented" in importance
    flows = run(capsys, "importance", path, "--lang", "en", "--of", "flows")
    for text in (fix_first, importance, flows):
        assert not re.search(r"\b(True|False|nan|NaN|None)\b", text)
        assert not CJK.search(text), CJK.search(text)  # (the models' controls have English names)
    coverage = run(capsys, "coverage", path, "--lang", "en")
    assert coverage.startswith("stage") and "Acquisition" in coverage and "Retention and" in coverage
    findings = run(capsys, "findings", path, "--lang", "en", "--all")
    assert "status" in findings and "open" in findings and re.search(r"(low|moderate|high|critical) \([1-4]\)",
                                                                        findings)
    assert "rest on an assumption" in findings
    for text in (exposure, coverage, findings):
        assert not re.search(r"\b(True|False|nan|None)\b", text)
    # Japanese only where the model has no English (a channel's name): never a heading, status or level
    for text in (exposure, coverage):
        assert not CJK.search(text), CJK.search(text)
    for word in ("未対応", "対策済み", "対象外", "未評価", "十分である", "前提"):
        assert word not in findings


def test_a_declared_out_and_an_empty_stage_say_why_in_each_language(capsys):
    ja = {line.split()[0]: line for line in run(capsys, "coverage", str(TOWN)).splitlines()}
    en = {line.split()[0]: line for line in run(capsys, "coverage", str(TOWN), "--lang", "en").splitlines()}
    assert "対象外" in ja["outsource"] and "委託しない" in ja["outsource"] and "要素なし" in ja["provide"]
    assert "n/a" in en["outsource"] and "declared: no" in en["outsource"] and "nothing to" in en["provide"]


@pytest.mark.parametrize("command", ["exposure", "coverage", "findings", "fix-first", "importance"])
def test_csv_and_json_keep_the_codes_whatever_the_language(command, capsys):
    for fmt in ("csv", "json"):
        assert run(capsys, command, str(TOWN), "--format", fmt) == run(capsys, command, str(TOWN), "--format", fmt,
                                                                       "--lang", "en")
    header = run(capsys, command, str(TOWN), "--format", "csv").splitlines()[0]
    assert {"exposure": "system_id", "coverage": "stage", "findings": "finding_id", "fix-first": "step",
            "importance": "control_id"}[command] in header


def test_every_command_that_prints_for_people_takes_lang():
    # one shared option, as --strict: the trial found validate, section3, diff and history without it
    from pia_analysis.cli import build_parser

    import argparse

    commands = dict(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    # a command group (city validate …): each of its commands, by its full name
    for name, p in list(commands.items()):
        groups = [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]
        if groups:
            del commands[name]
            commands.update({f"{name} {sub}": q for sub, q in groups[0].choices.items()})
    assert "city validate" in commands
    without = sorted(name for name, p in commands.items()
                     if name not in ("new", "convert") and not any("--lang" in a.option_strings for a in p._actions))
    assert without == []


@pytest.mark.parametrize("name", MODELS)
def test_section3_history_validate_and_diff_speak_the_language(name, capsys):
    path = str(MODELS[name])
    codes = re.compile(r"mn_holders_outside_city|max_mn_exposure|rating_status|implemented_controls|\bunrated\b")
    decimal = re.compile(r"(?<![\d.])0\.\d{2,}(?![\d%])")
    for lang in ("ja", "en"):
        section3 = run(capsys, "section3", path, "--lang", lang)
        history = run(capsys, "history", path, "--lang", lang)
        for text in (section3, history):
            assert not codes.search(text) and not decimal.search(text), (codes.search(text), decimal.search(text))
            assert not re.search(r"\b(True|False|nan|NaN|None)\b", text)
            assert re.search(r"\d%", text)  # coverage (and the highest exposure) as percentages
        if lang == "ja":
            assert section3.startswith("ID") and "網羅率" in section3
            assert "未評価" in section3 or name == "bundled"  # (the bundled model rates every risk)
            assert "版ごとの曝露と指摘" in history and "対象人数" in history and "段階" in history
            for text in (section3, history):
                assert not english_words_of(text), english_words_of(text)
        else:
            assert section3.startswith("id") and "coverage" in section3
            assert "not rated" in section3 or name == "bundled"
            assert "対象外" not in section3 and "未評価" not in section3
            assert "Exposure and findings per version" in history and "outside" in history
            assert not CJK.search(history), CJK.search(history)
    validate = run(capsys, "validate", path, "--lang", "en")
    assert "entry points" in validate and "入口" not in validate
    assert "入口" in run(capsys, "validate", path)
    diff_ja = run(capsys, "diff", path, path)
    diff_en = run(capsys, "diff", path, path, "--lang", "en")
    assert "表ごとの変更" in diff_ja and "Changes by table" not in diff_ja
    assert "Changes by table" in diff_en and "表ごとの変更" not in diff_en
