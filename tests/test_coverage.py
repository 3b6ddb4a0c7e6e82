"""Coverage of the stages, risks and systems, and the self-rating check — figures computed by hand.

The hand computation of the small model is written out in docs/coverage.md (worked example).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from coverage_models import build, control, flow, small_tables, system
from pia_analysis import Model, bundled_model_path, load_model
from pia_analysis.analysis.coverage import (
    coverage_matrix,
    coverage_pairs,
    rating_check,
    risk_coverage,
    stage_coverage,
    stage_scope,
)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Model:
    return build(tmp_path_factory.mktemp("small"), small_tables())


@pytest.fixture(scope="module")
def kitakyushu():
    return load_model(bundled_model_path())


# --- scope -----------------------------------------------------------------------------------------


def test_scope_of_each_stage(small):
    scope = stage_scope(small)
    by_stage = {s: g["element"].tolist() for s, g in scope.groupby("stage")}
    assert by_stage == {
        "acquire": ["L1", "A", "D"],          # the flow and both its ends
        "use": ["L2", "A", "B"],
        "outsource": ["L3", "A", "C"],        # C is also a contractor system
        "retain": ["A", "C", "E"],            # every system holding a file, E without any flow
    }
    reasons = scope.set_index(["stage", "element"])["reasons"]
    assert reasons[("outsource", "C")] == ["contractor", "endpoint"]
    assert reasons[("retain", "E")] == ["holds_file"]


def test_outsource_scope_takes_contractor_and_subcontractor_systems_without_flows(tmp_path):
    tables = small_tables()
    tables["systems"].append(system("S", "DC", operator="subcontractor", kind="terminal"))
    scope = stage_scope(build(tmp_path, tables))
    assert scope.loc[scope["stage"] == "outsource", "element"].tolist() == ["L3", "A", "C", "S"]


# --- pairs and stage figures -----------------------------------------------------------------------


def test_pair_statuses(small):
    pairs = coverage_pairs(small).set_index(["risk_id", "element"])
    assert pairs.loc[("acquire-1", "L1"), "status"] == "covered"
    assert pairs.loc[("acquire-1", "L1"), "implemented"] == ["K1"]
    assert pairs.loc[("acquire-1", "L1"), "planned"] == ["K2"]       # K2 applies to * as well
    assert pairs.loc[("acquire-1", "A"), "status"] == "planned"      # only the planned * control
    assert pairs.loc[("acquire-3", "A"), "status"] == "gap"
    assert pairs.loc[("use-2", "B"), "status"] == "covered"          # implemented * control
    assert pairs.loc[("retain-1", "C"), "status"] == "gap"           # K4 is missing: counts for nothing
    assert pairs.loc[("outsource-1", "A"), "status"] == "gap"        # K5 names L3 and C, not A


def test_stage_coverage_by_hand(small):
    table = stage_coverage(small)
    assert table["stage"].tolist() == ["acquire", "use", "outsource", "provide", "network", "retain"]
    assert table["stage_no"].tolist() == [2, 3, 4, 5, 6, 7]
    got = table.set_index("stage")[["elements", "risks", "pairs", "covered", "planned", "gaps"]]
    assert got.loc["acquire"].tolist() == [3, 4, 12, 1, 5, 6]
    assert got.loc["use"].tolist() == [3, 4, 12, 5, 0, 7]
    assert got.loc["outsource"].tolist() == [3, 5, 15, 0, 2, 13]
    assert got.loc["provide"].tolist() == [0, 3, 0, 0, 0, 0]
    assert got.loc["network"].tolist() == [0, 7, 0, 0, 0, 0]
    assert got.loc["retain"].tolist() == [3, 3, 9, 0, 0, 9]
    ratios = table.set_index("stage")
    assert ratios.loc["acquire", "coverage"] == pytest.approx(1 / 12)
    assert ratios.loc["acquire", "coverage_if_planned"] == pytest.approx(6 / 12)
    assert ratios.loc["use", "coverage"] == pytest.approx(5 / 12)
    assert ratios.loc["outsource", "coverage_if_planned"] == pytest.approx(2 / 15)
    assert ratios.loc["retain", "coverage"] == 0.0


def test_a_stage_with_nothing_in_scope_is_out_of_scope_not_full(small):
    table = stage_coverage(small).set_index("stage")
    assert not table.loc["provide", "in_scope"]
    assert math.isnan(table.loc["provide", "coverage"])
    assert math.isnan(table.loc["provide", "coverage_if_planned"])
    assert table.loc["acquire", "in_scope"]


def test_pairs_add_up(kitakyushu):
    table = stage_coverage(kitakyushu)
    assert (table["covered"] + table["planned"] + table["gaps"] == table["pairs"]).all()
    assert (table["pairs"] == table["elements"] * table["risks"]).all()
    assert table["pairs"].sum() == len(coverage_pairs(kitakyushu))


def test_extra_risks_join_their_stage(tmp_path):
    tables = small_tables()
    tables["risks"] = [{"risk_id": "retain-x1", "stage": "retain", "name_ja": "独自のリスク", "name_en": "own risk"}]
    tables["controls"].append(control("K7", ["retain-x1"], ["E"]))
    model = build(tmp_path, tables)
    row = stage_coverage(model).set_index("stage").loc["retain"]
    assert (row["risks"], row["pairs"], row["covered"]) == (4, 12, 1)
    risks = risk_coverage(model)
    assert risks["risk_id"].tolist()[-1] == "retain-x1"  # extras last in their stage, retain is last
    assert risks.set_index("risk_id").loc["retain-x1", "implemented"] == ["K7"]


def test_results_do_not_depend_on_row_order(tmp_path):
    base = build(tmp_path / "a", small_tables())
    for seed in (1, 2):
        shuffled = build(tmp_path / f"s{seed}", small_tables(), shuffle=seed)
        pd.testing.assert_frame_equal(stage_coverage(base), stage_coverage(shuffled))
        pd.testing.assert_frame_equal(coverage_pairs(base), coverage_pairs(shuffled))
        pd.testing.assert_frame_equal(risk_coverage(base), risk_coverage(shuffled))
        pd.testing.assert_frame_equal(coverage_matrix(base), coverage_matrix(shuffled))
        pd.testing.assert_frame_equal(rating_check(base), rating_check(shuffled))


# --- per risk --------------------------------------------------------------------------------------


def test_risk_coverage_lists_controls_and_uncovered_elements(small):
    risks = risk_coverage(small).set_index("risk_id")
    assert risks.index.tolist()[:5] == ["acquire-1", "acquire-2", "acquire-3", "acquire-4", "use-1"]
    a1 = risks.loc["acquire-1"]
    assert (a1["pairs"], a1["covered"], a1["planned"], a1["gaps"]) == (3, 1, 2, 0)
    assert a1["implemented"] == ["K1"]
    assert a1["planned_controls"] == ["K2"]
    assert a1["uncovered"] == ["A", "D"]
    assert a1["gap_elements"] == []
    u1 = risks.loc["use-1"]
    assert u1["uncovered"] == ["L2"] and u1["gap_elements"] == ["L2"]
    o1 = risks.loc["outsource-1"]
    assert o1["implemented"] == [] and o1["planned_controls"] == ["K5"]
    assert o1["uncovered"] == ["L3", "A", "C"] and o1["gap_elements"] == ["A"]
    p1 = risks.loc["provide-1"]
    assert p1["pairs"] == 0 and not p1["in_scope"] and math.isnan(p1["coverage"])


# --- matrix ----------------------------------------------------------------------------------------


def test_coverage_matrix(small):
    m = coverage_matrix(small)
    assert m.index.tolist() == ["acquire", "use", "outsource", "provide", "network", "retain"]
    assert m.columns.tolist() == ["A", "B", "C", "D", "E"]
    assert m.loc["use", "A"] == pytest.approx(0.5)   # use-1 and use-2 of 4 use risks
    assert m.loc["acquire", "A"] == 0.0
    assert m.loc["retain", "E"] == 0.0
    assert np.isnan(m.loc["acquire", "E"])            # E is in no acquire flow
    assert np.isnan(m.loc["retain", "B"])             # B holds no file
    assert m.loc["provide"].isna().all()
    planned = coverage_matrix(small, if_planned=True)
    assert planned.loc["acquire", "A"] == pytest.approx(0.5)
    assert planned.loc["outsource", "C"] == pytest.approx(0.2)


# --- self-rating check -----------------------------------------------------------------------------


def test_rating_check_statuses(small):
    check = rating_check(small).set_index("risk_id")
    assert check.loc["acquire-1", "status"] == "consistent"     # planned pairs but no gap
    assert check.loc["acquire-2", "status"] == "consistent"     # 課題 and not fully covered
    assert check.loc["use-2", "status"] == "underclaimed"       # 課題 but every pair covered
    assert check.loc["retain-1", "status"] == "overclaimed"     # 特に力を入れている with gaps
    assert check.loc["provide-1", "status"] == "out_of_scope"
    assert check.loc["use-1", "status"] == "unrated"
    assert pd.isna(check.loc["use-1", "rating"])
    assert set(check["status"]) <= {"consistent", "overclaimed", "underclaimed", "unrated", "out_of_scope"}
    assert (check.loc["retain-1", ["pairs", "covered", "gaps"]].tolist()) == [3, 0, 3]


def test_rating_check_strict_counts_planned_pairs_as_gaps(small):
    check = rating_check(small, strict=True).set_index("risk_id")
    assert check.loc["acquire-1", "status"] == "overclaimed"


def test_sufficient_rating_with_full_coverage_is_consistent(tmp_path):
    tables = small_tables()
    tables["ratings"] = [{"risk_id": "use-2", "rating": "十分である"}]
    check = rating_check(build(tmp_path, tables)).set_index("risk_id")
    assert check.loc["use-2", "status"] == "consistent"


def test_an_implemented_control_lifts_a_gap(tmp_path):
    tables = small_tables()
    tables["controls"].append(control("K8", ["retain-1"], ["A", "C", "E"]))
    check = rating_check(build(tmp_path, tables)).set_index("risk_id")
    assert check.loc["retain-1", "status"] == "consistent"
    assert check.loc["retain-1", "coverage"] == 1.0


def test_a_flow_added_to_a_stage_widens_its_scope(tmp_path):
    tables = small_tables()
    tables["flows"].append(flow("L4", "A", "B", "provide", ["F1"]))
    row = stage_coverage(build(tmp_path, tables)).set_index("stage").loc["provide"]
    assert (row["elements"], row["pairs"], bool(row["in_scope"])) == (3, 9, True)


# --- the bundled model -----------------------------------------------------------------------------


def test_kitakyushu_stage_figures(kitakyushu):
    table = stage_coverage(kitakyushu).set_index("stage")
    assert table["in_scope"].all()
    # elements in scope: acquire 6 flows + 6 ends; retain F22 + the 9 systems that hold a file
    assert table.loc["acquire", "elements"] == 12
    assert table.loc["retain", "elements"] == 10
    # the planned backup rotation (C-BACKUP-ROTATION) is the one planned control that closes a gap
    differs = table.index[table["coverage"] != table["coverage_if_planned"]].tolist()
    assert differs == ["retain"]
    assert table.loc["retain", "planned"] == 2  # retain-2 on BACKUP and on F22


def test_kitakyushu_rating_check_flags_acquire_4(kitakyushu):
    check = rating_check(kitakyushu).set_index("risk_id")
    # no measure is recorded for leaks of the paper notification forms at the counter (F01, RESIDENT)
    assert check.loc["acquire-4", "status"] == "overclaimed"
    assert check.loc["acquire-4", "gaps"] == 2
    # the 委託 block is one rated item over its five risks (prior approval is a clause of every contract)
    assert check.loc["outsource", "status"] == "consistent" and "outsource-5" not in check.index
    assert check.loc["outsource", "risks"] == [f"outsource-{n}" for n in range(1, 6)]
    assert check.loc["retain-1", "status"] == "consistent"    # C-BREACH-RESPONSE applies to *
    assert not (check["status"] == "unrated").any()
