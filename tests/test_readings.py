"""The notebooks' readings: computed from the results of any model, in Japanese or English."""

import re

import pandas as pd
import pytest

from pia_analysis import bundled_model_path, load_model
from pia_analysis.analysis.exposure import attack_paths, blast_radius, node_exposure
from pia_analysis.analysis.hardening import hardening_candidates, min_cut
from pia_analysis.analysis.simulation import simulate_compromise
from pia_analysis.outputs.readings import (
    blast_radius_reading,
    exposure_reading,
    hardening_reading,
    overview_reading,
    paths_reading,
    readable_table,
    simulation_reading,
)
from pia_analysis.util.errors import InvalidArgumentError
from pathlib import Path

TINY = Path(__file__).parent / "models" / "tiny"


def all_readings(model, lang):
    ranking = node_exposure(model)
    holder = ranking.loc[ranking["holds_my_number"]].iloc[0].system_id
    return [
        overview_reading(model, lang=lang),
        exposure_reading(model, ranking, lang=lang),
        paths_reading(model, attack_paths(model, holder, k=3), lang=lang),
        hardening_reading(model, min_cut(model), hardening_candidates(model), lang=lang),
        blast_radius_reading(model, blast_radius(model, ranking.iloc[0].system_id), lang=lang),
        simulation_reading(model, ranking, simulate_compromise(model, trials=500, seed=0), lang=lang),
    ]


@pytest.fixture(scope="module")
def bundled():
    return load_model(bundled_model_path())


@pytest.fixture(scope="module")
def tiny():
    return load_model(TINY)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_readings_on_the_tiny_model_name_its_systems_and_nothing_of_kitakyushu(tiny, bundled, lang):
    text = "\n".join(all_readings(tiny, lang))
    for sid in ("REG", "TERM", "SRV"):
        assert sid in text
    assert "1,500" in text
    kitakyushu = set(bundled.systems["system_id"]) | set(bundled.flows["flow_id"]) | set(bundled.zones["zone_id"])
    words = set(re.findall(r"[A-Z][A-Z0-9_]+", text))
    assert not (words & (kitakyushu - {"CORE"})), words & kitakyushu
    for fact in ("932,000", "932000", "北九州", "Kitakyushu", "J-LIS", "nan", "None"):
        assert fact not in text


def test_bundled_readings_state_what_the_results_say(bundled):
    ja = all_readings(bundled, "ja")
    assert "住民記録システム（JUKI_REC）、年 2.5 %" in ja[1]
    assert "932,000 件" in ja[1] and "期待値は 23,300 件" in ja[1]
    en = all_readings(bundled, "en")
    assert "minimum cut has 6 flows" in en[3]
    assert "e-0" not in "\n".join(ja + en)  # no scientific notation (the national server's 3.12e-05)
    assert "0.00312 %" in en[1]


def test_japanese_readings_are_japanese(tiny):
    for text in all_readings(tiny, "ja"):
        assert re.search(r"[ぁ-んァ-ン一-龥]", text)
        assert not re.search(r"\b(the|of|and|a year)\b", text)


def test_a_lang_that_does_not_exist_is_refused(tiny):
    with pytest.raises(InvalidArgumentError, match="lang"):
        overview_reading(tiny, lang="fr")


def test_readable_table_formats_for_reading():
    frame = pd.DataFrame({"records_at_stake": [582.5, 23300.0, 13979.9999999], "exposure": [0.025, 3.12e-05, None],
                          "path": [["A", "B"], ["C"], []], "holds": [True, False, True],
                          "detail": ["x" * 200, "", "y"]}, index=[3, 7, 9])
    table = readable_table(frame, percent=["exposure"], missing="未評価")
    assert list(table.frame.index) == [1, 2, 3]
    assert list(table.frame["records_at_stake"]) == ["582", "23,300", "13,980"]
    assert list(table.frame["exposure"]) == ["2.5 %", "0.00312 %", "未評価"]
    assert table.frame.loc[1, "path"] == "A → B"
    assert table.frame.loc[2, "holds"] == "×"
    assert "x" * 200 in table._repr_html_() and "x" * 200 in repr(table)
    assert readable_table(frame, lang="en").frame.loc[2, "holds"] == "no"
    assert readable_table(frame).frame.loc[3, "exposure"] == "—"
    with pytest.raises(InvalidArgumentError, match="percent"):
        readable_table(frame, percent=["nope"])


def coverage_readings(model, lang):
    import datetime

    from pia_analysis import procedure_check
    from pia_analysis.analysis.coverage import coverage_pairs, rating_check, stage_coverage
    from pia_analysis.analysis.findings import find_findings
    from pia_analysis.analysis.judgments import required_assessment, review_schedule
    from pia_analysis.outputs.readings import (
        findings_reading, gaps_reading, procedure_reading, rating_check_reading, schedule_reading,
        stage_coverage_reading, threshold_reading,
    )

    today = datetime.date(2026, 11, 28)
    return [
        stage_coverage_reading(stage_coverage(model), lang=lang),
        gaps_reading(model, coverage_pairs(model), lang=lang),
        findings_reading(model, find_findings(model), lang=lang),
        rating_check_reading(rating_check(model), lang=lang),
        threshold_reading(required_assessment(model), lang=lang),
        schedule_reading(review_schedule(model, today=today), lang=lang),
        procedure_reading(procedure_check(model, today=today), lang=lang),
    ]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_coverage_readings_on_the_tiny_model(tiny, lang):
    text = "\n".join(coverage_readings(tiny, lang))
    # The tiny model has stages with nothing in scope and unrated items: they read as such, never as nan.
    assert ("入手 対象外" if lang == "ja" else "acquire out of scope") in text
    assert ("未評価: acquire-1" if lang == "ja" else "Not rated: acquire-1") in text
    assert ("基礎項目評価" if lang == "ja" else "basic assessment") in text
    for fact in ("932,000", "北九州", "Kitakyushu", "J-LIS", "jlis", "nan", "None", "NaN"):
        assert fact not in text


def test_coverage_readings_on_the_bundled_model(bundled):
    ja = coverage_readings(bundled, "ja")
    assert "最も低い: 使用（60 %）" in ja[0]
    assert "網羅状況に裏付けられない（過大） 10" in ja[3]
    assert "全項目評価＋基礎項目評価" in ja[4]
    assert "残り 22 日" in ja[5]
    assert "問いが生じるもの 2 件" in ja[6]
    for text in ja:
        assert re.search(r"[ぁ-んァ-ン一-龥]", text)
