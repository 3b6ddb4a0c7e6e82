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


TOWN = Path(__file__).parent / "models" / "town"
KITAKYUSHU_FACTS = ("932,000", "932000", "北九州", "Kitakyushu", "nan", "NaN", "None")


@pytest.fixture(scope="module")
def town():
    return load_model(TOWN)


def test_gaps_name_who_runs_the_element_in_words(bundled, town):
    from pia_analysis.analysis.coverage import coverage_pairs
    from pia_analysis.outputs.readings import gaps_reading

    city = gaps_reading(bundled, coverage_pairs(bundled))
    assert "市職員が運用する要素の未対策" in city and "委託先／J-LIS" in city
    own = gaps_reading(town, coverage_pairs(town))
    # the town's own staff are 町職員, never 市職員; no operator code is shown
    assert "町職員が運用する要素の未対策" in own and "市職員" not in own
    english = gaps_reading(town, coverage_pairs(town), lang="en")
    assert "run by town staff" in english
    for code in ("city", "contractor", "jlis", "resident"):
        assert not re.search(rf"\b{code}\b", own + english), code


def test_comparison_reading_says_a_changed_path_at_the_same_probability(bundled):
    from pia_analysis.whatif.apply import apply_scenario
    from pia_analysis.whatif.compare import compare
    from pia_analysis.outputs.readings import comparison_reading

    counter = {"id": "counter-online",
               "add": {"zones": [{"zone_id": "NET", "name_ja": "インターネット接続系", "name_en": "Internet segment",
                                  "internet_facing": True, "operator": "city", "source": "test"}]},
               "set": {"systems": {"JUKI_TERM": {"zone_id": "NET", "entry_likelihood": 0.05},
                                   "VENDOR_TERM": {"entry_likelihood": 0.04}}}}
    c = compare(bundled, apply_scenario(bundled, counter))
    ja = comparison_reading(c, limit=50)
    assert ("住民記録システム（JUKI_REC）: 確率は年 2.5 % のまま、最も起こりやすい経路が"
            "「委託先保守端末（庁内）（VENDOR_TERM） → 住民記録システム（JUKI_REC）」から") in ja
    en = comparison_reading(c, lang="en", limit=50)
    assert "Resident record system (JUKI_REC): still 2.5 % a year, but its most likely path changes" in en
    short = comparison_reading(c, limit=1)
    assert re.search(r"- ほか \d+ 件。", short)
    same = comparison_reading(compare(bundled, bundled))
    assert "変わるシステムはありません" in same and "網羅率は変わりません" in same and "指摘の変化はありません" in same
    with pytest.raises(InvalidArgumentError, match="limit"):
        comparison_reading(c, limit=0)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_what_if_readings_on_the_town_name_the_town_and_nothing_of_kitakyushu(town, bundled, lang):
    from pia_analysis.explorer import explorer_state, system_view
    from pia_analysis.outputs.readings import (
        comparison_reading, history_reading, system_view_reading, version_diff_reading,
    )
    from pia_analysis.whatif.versions import diff, version_history

    state = explorer_state(town, {"controls": {"C-COUNTER": "missing"}})
    texts = [comparison_reading(state, lang=lang),
             system_view_reading(town, system_view(town, "MADOGUCHI"), lang=lang), version_diff_reading(diff(town, town), lang=lang), history_reading(version_history(town), lang=lang)]
    text = "\n".join(texts)
    assert "MADOGUCHI" in text and ("8,000" in text)
    assert "3.6 % → 10 %" in texts[0] and ("網羅率" in texts[0] if lang == "ja" else "Coverage of" in texts[0])
    assert ("一つだけ" if lang == "ja" else "One version only") in texts[3]
    assert ("変更はありません" if lang == "ja" else "No change") in texts[2]
    kitakyushu = set(bundled.systems["system_id"]) - set(town.systems["system_id"])
    assert not (set(re.findall(r"[A-Z][A-Z0-9_]+", text)) & kitakyushu)
    for fact in KITAKYUSHU_FACTS:
        assert fact not in text
    if lang == "ja":
        assert not re.search(r"\b(the|of|and|a year)\b", text)


def test_version_readings_on_the_bundled_chain(bundled):
    from pia_analysis.outputs.readings import history_reading, version_diff_reading
    from pia_analysis.whatif.versions import diff, version_chain, version_history

    h26, h28, r3 = version_chain(bundled)
    first = version_diff_reading(diff(h26, h28))
    assert first.startswith("重要な変更が 3 件あります")
    assert "証明書発行サーバ（コンビニ交付・市外）（CONV_SRV）（特定個人情報ファイルの新たな保管場所" in first
    assert "評価書の修正 24 件、形式的な変更 6 件" in first
    second = version_diff_reading(diff(h28, r3), lang="en")
    assert second.startswith("No important change") and "Important changes" not in second
    history = history_reading(version_history(bundled))
    assert history.splitlines()[0].startswith("3 版: kitakyushu-juki-h26（2014-12-01）")
    assert "前の版に対して重要な変更。" in history.splitlines()[2] and "前の版に対して評価書の修正。" in history.splitlines()[3]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_readings_quote_my_number_files_not_a_larger_log(tmp_path, lang):
    """A register of 3,012 people beside an access log of 12,000 lines without My Numbers: the readings of
    what falls with a system quote 3,012, never the log's 12,000 as its largest file."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from model_factory import file, flow, make_model, system

    from pia_analysis.explorer import system_view
    from pia_analysis.outputs.readings import system_view_reading

    model = make_model(tmp_path, [system("CTR", entry=0.1, name_ja="窓口端末", name_en="Counter"),
                                  system("REG", holds=["REG_F", "LOG_F"], name_ja="住民記録", name_en="Register")],
                       [flow("F1", "CTR", "REG", files=["REG_F"])],
                       files=[file("REG_F", records=3012), file("LOG_F", records=12000, my_number=False)])
    radius = blast_radius(model, "CTR")
    assert radius.max_records == 12000 and radius.max_my_number_records == 3012
    for text in (blast_radius_reading(model, radius, lang=lang),
                 system_view_reading(model, system_view(model, "CTR"), lang=lang),
                 system_view_reading(model, system_view(model, "REG"), lang=lang)):
        assert "12,000" not in text and "12000" not in text, text
        assert "3,012" in text, text


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_comparison_reading_says_which_zones_when_only_the_crossings_change(tmp_path, lang):
    """The same path at the same probability, but the register moved to another zone: the reading names the
    zones passed before and after, never 「「A → B」から「A → B」に変わります」 (the same path twice)."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from model_factory import flow, make_model, system, zone

    from pia_analysis.outputs.readings import comparison_reading
    from pia_analysis.whatif.apply import apply_scenario
    from pia_analysis.whatif.compare import compare

    base = make_model(tmp_path, [system("CTR", zone="LAN", entry=0.1), system("REG", zone="LAN", holds=["MNF"])],
                      [flow("F1", "CTR", "REG", files=["MNF"])],
                      zones=[zone("LAN", name_ja="庁内LAN", name_en="Town hall LAN"),
                             zone("CORE", name_ja="基幹系", name_en="Core segment")])
    moved = apply_scenario(base, {"id": "move", "set": {"systems": {"REG": {"zone_id": "CORE"}}}})
    c = compare(base, moved)
    changed = c.changed_exposure().set_index("system_id")
    assert changed.at["REG", "change"] == "zone_crossings_changed"
    text = comparison_reading(c, lang=lang, limit=50)
    line = next(x for x in text.splitlines() if x.startswith("- REG"))
    if lang == "ja":
        assert "「庁内LAN」から「庁内LAN → 基幹系」に変わります" in line, line
    else:
        assert "from Town hall LAN to Town hall LAN → Core segment" in line, line
    assert not re.search(r"「([^」]+)」から「\1」", line), line


@pytest.mark.parametrize("which", ["bundled", "town"])
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_rating_counts_count_every_rated_item_once_with_the_unrated(bundled, town, which, lang):
    """The 委託 block (outsource) and Section Ⅳ (training …) have no risk id: a count joined on risk ids lost
    them (3 of 5). Every rated item counts once, an unrated one as 未評価."""
    from pia_analysis.outputs.readings import rating_counts

    model = {"bundled": bundled, "town": town}[which]
    counts = rating_counts(model, lang=lang)
    assert int(counts.iloc[:, 1].sum()) == len(model.rated_items)
    assert counts.iloc[:, 1].dtype == "int64"
    rated = set(model.ratings["risk_id"]) & set(model.rated_items["rated_item_id"])
    assert int(counts.iloc[:, 1].sum()) >= len(rated)
    if which == "town":
        assert ("未評価" if lang == "ja" else "not rated") in set(counts.iloc[:, 0])
    else:  # the bundled model rates everything, Section Ⅳ in its own words
        assert ("十分に行っている" if lang == "ja" else "Done sufficiently") in set(counts.iloc[:, 0])
