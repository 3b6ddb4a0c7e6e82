"""Official judgments: the threshold table at every boundary, the review schedule and the Section Ⅲ table."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from coverage_models import build, small_tables, write_tables
from pia_analysis import bundled_model_path, catalog, load_model
from pia_analysis.cli import main
from pia_analysis.formats import previous_chain
from pia_analysis.analysis.judgments import (
    add_years,
    required_assessment,
    review_schedule,
    section3_table,
    threshold_judgment,
    threshold_table,
)
from pia_analysis.outputs.section3 import write_section3

LABELS = {"none": "なし", "basic": "基礎項目評価", "focused": "重点項目評価＋基礎項目評価", "full": "全項目評価＋基礎項目評価"}


# --- threshold judgment ----------------------------------------------------------------------------


@pytest.mark.parametrize("population, handlers, incident, code", [
    (0, None, False, "none"),
    (999, None, False, "none"),
    (999, 10_000, True, "none"),            # below 1,000 nothing is required, whatever else holds
    (1_000, None, False, "basic"),
    (9_999, 600, True, "basic"),            # 1,000–9,999: basic whatever else holds
    (10_000, None, False, "basic"),
    (10_000, 499, False, "basic"),
    (10_000, 500, False, "focused"),
    (99_999, 499, False, "basic"),
    (99_999, None, True, "focused"),
    (100_000, None, False, "focused"),
    (100_000, 499, False, "focused"),
    (100_000, 500, False, "full"),
    (100_000, 0, True, "full"),
    (299_999, 499, False, "focused"),
    (299_999, 500, False, "full"),
    (300_000, None, False, "full"),
    (300_000, 0, False, "full"),
    (932_000, None, False, "full"),
])
def test_threshold_boundaries(population, handlers, incident, code):
    judgment = threshold_judgment(population, handlers=handlers, serious_incident=incident)
    assert judgment.code == code
    assert judgment.label_ja == LABELS[code]
    assert judgment.target_population == population


def test_unknown_handlers_are_flagged_only_where_they_matter():
    assert threshold_judgment(50_000).handlers_assumed
    assert threshold_judgment(150_000).handlers_assumed
    assert not threshold_judgment(50_000, handlers=10).handlers_assumed
    assert not threshold_judgment(50_000, serious_incident=True).handlers_assumed
    assert not threshold_judgment(500_000).handlers_assumed
    assert not threshold_judgment(5_000).handlers_assumed


def test_confidence_and_source_come_from_the_table():
    assert threshold_judgment(50_000).confidence == "recalled"
    assert threshold_judgment(500_000).confidence == "confirmed"
    assert "ppc_assessment_facts" in threshold_judgment(500_000).source
    assert threshold_judgment(150_000, handlers=500).rule == ("population 100,000–299,999 and (handlers ≥ 500 or a serious incident concerning "
                                                           "specific personal information within the past year)")


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError):
        threshold_judgment(-1)
    with pytest.raises(ValueError):
        threshold_judgment(10, handlers=-5)


def test_the_thresholds_are_replaceable_data(monkeypatch):
    original = catalog.read_table

    def patched(name: str) -> pd.DataFrame:
        table = original(name)
        if name == "thresholds.csv":
            table.loc[table["handlers_min"] != "", "handlers_min"] = "300"
        return table

    monkeypatch.setattr(catalog, "read_table", patched)
    assert threshold_table()["handlers_min"].dropna().tolist() == [300, 300]
    assert threshold_judgment(50_000, handlers=300).code == "focused"
    assert threshold_judgment(50_000, handlers=299).code == "basic"


def test_required_assessment_reads_the_model(tmp_path):
    kitakyushu = required_assessment(load_model(bundled_model_path()))
    assert (kitakyushu.code, kitakyushu.label_ja) == ("full", "全項目評価＋基礎項目評価")
    model = build(tmp_path, small_tables(), meta={"target_population": 50_000, "handlers": 800})
    assert required_assessment(model).code == "focused"


# --- review schedule -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return build(tmp_path_factory.mktemp("small"), small_tables())   # assessed 2021-04-01


def test_review_not_yet_due(small):
    s = review_schedule(small, today=dt.date(2022, 3, 31))
    assert (s.yearly_review_due, s.yearly_review_overdue, s.next_yearly_review) == (dt.date(2022, 4, 1), False, dt.date(2022, 4, 1))
    assert (s.rerun_due, s.rerun_overdue) == (dt.date(2026, 4, 1), False)


def test_review_due_today_is_not_overdue(small):
    s = review_schedule(small, today=dt.date(2022, 4, 1))
    assert not s.yearly_review_overdue and s.next_yearly_review == dt.date(2022, 4, 1)


def test_review_overdue_rolls_the_next_review_forward(small):
    s = review_schedule(small, today=dt.date(2023, 6, 1))
    assert s.yearly_review_overdue
    assert s.next_yearly_review == dt.date(2024, 4, 1)
    assert not s.rerun_overdue and s.days_to_rerun == (dt.date(2026, 4, 1) - dt.date(2023, 6, 1)).days


def test_rerun_boundary(small):
    assert not review_schedule(small, today=dt.date(2026, 4, 1)).rerun_overdue
    late = review_schedule(small, today=dt.date(2026, 4, 2))
    assert late.rerun_overdue and late.days_to_rerun == -1


def test_leap_day():
    assert add_years(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 28)
    assert add_years(dt.date(2024, 2, 29), 4) == dt.date(2028, 2, 29)


def test_review_schedule_lists_the_previous_chain(tmp_path):
    write_tables(tmp_path / "r1", small_tables(), meta={"id": "r1", "assessed_on": "2014-12-01"})
    write_tables(tmp_path / "r2", small_tables(), meta={"id": "r2", "assessed_on": "2016-12-01", "previous": "../r1"})
    write_tables(tmp_path / "r3", small_tables(), meta={"id": "r3", "assessed_on": "2021-11-09", "previous": "../r2"})
    s = review_schedule(load_model(tmp_path / "r3"), today=dt.date(2022, 1, 1))
    assert s.history == (("r1", dt.date(2014, 12, 1)), ("r2", dt.date(2016, 12, 1)), ("r3", dt.date(2021, 11, 9)))
    assert s.longest_interval_years == pytest.approx(4.94, abs=0.01)
    frame = s.as_frame()
    assert frame["item"].tolist()[:3] == ["earlier version r1", "earlier version r2", "assessment of record"]


def test_kitakyushu_schedule_on_the_given_day():
    model = load_model(bundled_model_path())
    s = review_schedule(model, today=dt.date(2026, 12, 21))
    # counted from the recorded publication (2021-12-20, an assumed day), not the committee's meeting day
    published = model.meta["procedure"]["published_on"]
    assert (s.counted_from, s.counted_from_key, s.note) == (published, "published_on", "")
    assert (s.rerun_due, s.rerun_overdue, s.days_to_rerun) == (add_years(published, 5), True, -1)
    assert s.history[-1] == ("kitakyushu-juki-r3", dt.date(2021, 11, 9))
    assert len(s.history) == len(previous_chain(model)) + 1
    dates = [day for _id, day in s.history]
    assert dates == sorted(dates)
    frame = s.as_frame().set_index("item")
    assert frame.loc["5-year re-run", "status"] == "overdue"
    assert frame.loc["publication", "date"] == published
    before = review_schedule(model, today=model.meta["assessed_on"]).as_frame().set_index("item")
    assert before.loc["publication", "status"] == "planned"  # the committee met before the publication


def test_schedule_falls_back_to_assessed_on_and_says_so(small):
    s = review_schedule(small, today=dt.date(2022, 1, 1))
    assert (s.counted_from, s.counted_from_key) == (dt.date(2021, 4, 1), "assessed_on")
    assert "no publication date recorded" in s.note and "publication" not in s.as_frame()["item"].tolist()


# --- Section Ⅲ -------------------------------------------------------------------------------------


def test_section3_table_order_and_content(small):
    table = section3_table(small)
    rated = table.loc[table["row_kind"] == "rated"]
    assert rated["risk_id"].tolist() == small.rated_items["rated_item_id"].tolist()
    section3 = table.loc[table["section"] == "Ⅲ"]
    assert section3[["stage_no"]].apply(tuple, axis=1).is_monotonic_increasing
    # each stage ends with its free-text row; Section Ⅳ follows, ending with 3 その他のリスク対策
    others = table.loc[table["row_kind"] == "other_measures", "risk_id"].tolist()
    assert others == [f"{st}-other" for st in ("acquire", "use", "outsource", "provide", "network", "retain")] + ["other"]
    assert table["risk_id"].iloc[-1] == "other" and (table["text"].iloc[-1] == "未記入")
    assert table.loc[table["section"] == "Ⅳ", "risk_id"].tolist() == ["self-check", "audit", "training", "other"]
    rows = table.set_index("risk_id")
    assert rows.loc["acquire-1", "rating"] == "十分である"
    assert rows.loc["acquire-1", "implemented_controls"] == ["K1"]
    assert rows.loc["acquire-1", "planned_controls"] == ["K2"]
    assert rows.loc["retain-1", "implemented_controls"] == []            # K4 is missing: not a control
    assert rows.loc["retain-1", "rating_status"] == "overclaimed"
    assert "rating-not-borne-out@retain-1" in rows.loc["retain-1", "open_findings"]
    assert rows.loc["acquire-1", "open_findings"] == []
    assert pd.isna(rows.loc["use-1", "rating"])
    assert rows.loc["acquire-1", "coverage"] == pytest.approx(1 / 3)


def test_section3_excel_round_trip_and_bytes(small, tmp_path):
    first = write_section3(small, tmp_path / "a.xlsx").read_bytes()
    second = write_section3(small, tmp_path / "b.xlsx").read_bytes()
    assert first == second
    back = pd.read_excel(tmp_path / "a.xlsx", sheet_name="section3")
    table = section3_table(small)
    assert back["risk_id"].tolist() == table["risk_id"].tolist()
    assert back.columns.tolist() == table.columns.tolist()
    row = back.set_index("risk_id").loc["acquire-1"]
    assert row["implemented_controls"] == "K1" and row["planned_controls"] == "K2" and row["covered"] == 1
    assert row["coverage"] == pytest.approx(0.333)
    legend = pd.read_excel(tmp_path / "a.xlsx", sheet_name="columns")
    assert legend.set_index("column").loc["rating", "見出し"] == "リスクへの対策は十分か"


def test_section3_markdown(small, tmp_path):
    text = write_section3(small, tmp_path / "s3.md").read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert len(headings) == 7 and headings[0].startswith("## 2. ") and headings[-2].startswith("## 7. ")
    assert headings[-1] == "## Ⅳ その他のリスク対策"
    assert "**入手におけるその他のリスク及びそのリスクに対する措置**: 未記入" in text
    assert "nan" not in text.lower()
    assert "| Ⅲ2 リスク1 | 目的外の入手が行われるリスク | 十分である | K1 | K2 |" in text
    assert "（未評価）" in text


def test_section3_refuses_other_suffixes(small, tmp_path):
    with pytest.raises(ValueError):
        write_section3(small, tmp_path / "s3.csv")
    assert not (tmp_path / "s3.csv").exists()


def test_cli_section3(tmp_path, capsys):
    kk = load_model(bundled_model_path())
    out = tmp_path / "kk.xlsx"
    assert main(["section3", str(bundled_model_path()), "--out", str(out)]) == 0
    assert len(pd.read_excel(out)) == 32  # 22 rated items of Ⅲ, 6 free-text rows, Ⅳ's 3 items and 3 その他
    capsys.readouterr()
    assert main(["section3", str(bundled_model_path()), "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["risk_id"] for r in records][:3] == ["acquire-1", "acquire-2", "acquire-3"]
    expected = sorted(c for c, mitigates, status in zip(kk.controls["control_id"], kk.controls["mitigates"], kk.controls["status"])
                      if "acquire-1" in mitigates and status == "implemented")
    assert records[0]["implemented_controls"] == expected


def test_results_read_like_dicts_too(small):
    judgment = threshold_judgment(932_000)
    assert judgment["code"] == "full" and judgment.as_dict()["label_ja"] == "全項目評価＋基礎項目評価"
    with pytest.raises(KeyError):
        judgment["nope"]
    schedule = review_schedule(small, today=dt.date(2022, 1, 1))
    assert schedule["rerun_due"] == dt.date(2026, 4, 1) and not schedule.as_dict()["rerun_overdue"]


def test_the_review_schedule_reads_the_versions_the_loader_recorded(tmp_path):
    # the analysis reads no files: the earlier versions come with the model, as the loader read them
    from pia_analysis.formats import load_model as load, bundled_model_path as bundled

    model = load(bundled())
    assert [mid for mid, _day in model.earlier_versions] == ["kitakyushu-juki-h28", "kitakyushu-juki-h26"]
    schedule = review_schedule(model, today=model.meta["assessed_on"])
    assert [mid for mid, _day in schedule.history] == ["kitakyushu-juki-h26", "kitakyushu-juki-h28",
                                                       "kitakyushu-juki-r3"]
    # the same from the workbook, and nothing recorded when the chain was not followed
    assert load(bundled().with_suffix(".xlsx")).earlier_versions == model.earlier_versions
    assert load(bundled(), check_chain=False).earlier_versions == ()
    # a model moved away from its chain keeps what was read when it was loaded
    moved = model.replace(path=tmp_path)
    assert review_schedule(moved, today=model.meta["assessed_on"]).history == schedule.history
