"""Issue 18: a control's status per element (``control_status.csv``) in the analyses.

Every reader of a control's status × its ``applies_to`` reads :attr:`Model.control_applications`. The cases
of DESIGN18: in the tiny model, C1 (access control, effectiveness 0.5) implemented on REG and TERM and
planned on the flow F1; the organisation-wide C3 (``*``) missing at one system only.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pia_analysis import apply_scenario, load_model, with_control_status
from pia_analysis.analysis.attack_graph import _pass_factors, build_structure
from pia_analysis.analysis.compromise import compromise_probability
from pia_analysis.analysis.coverage import coverage_pairs, risk_coverage, stage_coverage
from pia_analysis.analysis.exposure import node_exposure
from pia_analysis.analysis.findings import find_findings
from pia_analysis.charts.dataflow import dataflow_diagram, dataflow_dot
from pia_analysis.outputs.assessment_answers import assessment_answers
from pia_analysis.outputs.readings import example_measure
from pia_analysis.whatif.apply import apply_changes

TINY = Path(__file__).parent / "models" / "tiny"


def _overrides(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame([{"control_id": c, "element": e, "status": s, "source": "assumption: test"} for c, e, s in rows],
                        columns=["control_id", "element", "status", "source"])


def _model(c1_targets: list[str], *overrides: tuple[str, str, str]):
    m = load_model(TINY)
    controls = m.controls.copy()
    controls["applies_to"] = [list(c1_targets) if cid == "C1" else list(t)
                              for cid, t in zip(controls["control_id"], controls["applies_to"])]
    return m.replace(controls=controls, control_status=_overrides(*overrides))


def planned_on_f1():
    """C1 on REG, TERM and F1: implemented, but planned on F1."""
    return _model(["REG", "TERM", "F1"], ("C1", "F1", "planned"))


def test_accessor_rows():
    apps = planned_on_f1().control_applications
    c1 = apps.loc[apps["control_id"] == "C1"]
    assert dict(zip(c1["element"], c1["status"])) == {"REG": "implemented", "TERM": "implemented", "F1": "planned"}


def test_exposure_factor_on_the_implemented_elements_only():
    model = planned_on_f1()
    factors = _pass_factors(model)
    assert factors["REG"] == 0.5 and factors["TERM"] == 0.5 and "F1" not in factors
    # the same exposure as C1 not naming F1 at all; lower when it is implemented there too
    same = node_exposure(_model(["REG", "TERM"])).set_index("system_id")["exposure"]
    mine = node_exposure(model).set_index("system_id")["exposure"]
    everywhere = node_exposure(_model(["REG", "TERM", "F1"])).set_index("system_id")["exposure"]
    pd.testing.assert_series_equal(mine, same)
    assert mine["REG"] == pytest.approx(0.1 * 0.5 * 0.5)  # TERM entry · TERM's C1 · REG's C1 (F1 open)
    assert everywhere["REG"] == pytest.approx(0.1 * 0.5 * 0.5 * 0.5)


def test_one_variable_per_control_guarding_where_implemented():
    structure = build_structure(planned_on_f1())
    k = structure.control_vars["C1"]
    assert structure.var_p[k] == 0.5
    f1 = structure.flow_ids.index("F1")
    assert structure.flow_guard[f1] == ()  # F1 is passable: C1 is only planned there
    assert structure.enter[structure.pos["REG"]] == (k,) and structure.enter[structure.pos["TERM"]] == (k,)


def test_compromise_probability_by_hand():
    # One random variable for C1 (holds with 0.5), shared by TERM and REG. TERM is compromised when its
    # foothold (0.1) succeeds and C1 fails: 0.1 · 0.5. REG then needs F1 (open: C1 planned there) and C1 to
    # fail again — the same draw, so no second factor: 0.05 too. SRV behind F2 (C2 planned) likewise.
    table = compromise_probability(planned_on_f1()).set_index("system_id")["probability"]
    assert table["TERM"] == pytest.approx(0.05) and table["REG"] == pytest.approx(0.05)
    assert table["SRV"] == pytest.approx(0.05)
    # C1 missing on TERM only: TERM 0.1; REG still needs C1 to fail: 0.1 · 0.5
    missing = compromise_probability(_model(["REG", "TERM"], ("C1", "TERM", "missing"))).set_index("system_id")
    assert missing.at["TERM", "probability"] == pytest.approx(0.1)
    assert missing.at["REG", "probability"] == pytest.approx(0.05)


def test_coverage_per_element():
    pairs = coverage_pairs(planned_on_f1()).set_index(["risk_id", "element"])
    assert pairs.at[("retain-1", "REG"), "status"] == "covered"  # C3 (*) implemented
    assert pairs.at[("use-2", "F1"), "status"] == "planned"
    assert pairs.at[("use-2", "F1"), "planned"] == ["C1"] and pairs.at[("use-2", "F1"), "implemented"] == []
    assert pairs.at[("use-2", "REG"), "status"] == "covered"
    assert pairs.at[("use-2", "REG"), "implemented"] == ["C1"]
    risks = risk_coverage(planned_on_f1()).set_index("risk_id")
    assert risks.at["use-2", "planned_controls"] == ["C1"] and risks.at["use-2", "implemented"] == ["C1"]
    assert risks.at["use-2", "uncovered"] == ["F1"]


def test_star_control_missing_at_one_element_leaves_that_element_alone_a_gap():
    base = load_model(TINY)
    model = base.replace(control_status=_overrides(("C3", "SRV", "missing")))
    pairs = coverage_pairs(model).set_index(["risk_id", "element"])
    retain = pairs.loc["retain-1"]
    assert retain.at["SRV", "status"] == "gap" and retain.at["SRV", "implemented"] == []
    assert (retain.drop(index="SRV")["status"] == "covered").all()
    assert retain.at["REG", "implemented"] == ["C3"]
    risks = risk_coverage(model).set_index("risk_id")
    assert risks.at["retain-1", "gap_elements"] == ["SRV"] and risks.at["retain-1", "gaps"] == 1
    assert risks.at["retain-1", "implemented"] == ["C3"]  # it still decides the other pairs
    # the fast path (stage coverage) agrees with the pairs
    stages = stage_coverage(model).set_index("stage")
    counts = pairs.reset_index().groupby("stage")["status"].value_counts().unstack(fill_value=0)
    assert stages.at["retain", "gaps"] == counts.at["retain", "gap"]
    # planned at SRV instead: that pair is planned
    planned = coverage_pairs(base.replace(control_status=_overrides(("C3", "SRV", "planned"))))
    row = planned.set_index(["risk_id", "element"]).loc[("retain-1", "SRV")]
    assert row["status"] == "planned" and row["planned"] == ["C3"] and row["implemented"] == []


def test_findings_read_the_status_on_the_element():
    def status(model, finding_id):
        return find_findings(model, include_all=True).set_index("finding_id").at[finding_id, "status"]

    base = load_model(TINY)
    assert status(base, "entry-no-control@TERM") == "mitigated"  # C1 implemented on TERM
    missing = base.replace(control_status=_overrides(("C1", "TERM", "missing")))
    assert status(missing, "entry-no-control@TERM") == "open"


def test_scenario_and_explorer_setting_a_status_drop_the_overrides():
    model = planned_on_f1()
    changed = with_control_status(model, "C1", "implemented")
    assert changed.control_status.empty
    assert _pass_factors(changed)["F1"] == 0.5  # now implemented everywhere
    # the explorer: the same status as the control's own still drops its overrides (and logs it)
    out, log = apply_changes(model, {"controls": {"C1": "implemented"}})
    assert out.control_status.empty and len(log) == 1
    # a scenario setting the status: the overrides go, logged as a cascade
    scenario = apply_scenario(model, {"id": "s", "set": {"controls": {"C1": {"status": "planned"}}}})
    assert scenario.control_status.empty
    # removing the flow an override names removes the override
    removed = apply_scenario(model, {"id": "r", "remove": {"flows": ["F1"]}})
    assert removed.control_status.empty
    assert list(removed.controls.set_index("control_id").at["C1", "applies_to"]) == ["REG", "TERM"]


def test_assessment_names_where_the_status_differs():
    answers = assessment_answers(planned_on_f1(), form="full")
    texts = [t for t in answers["answer"] if isinstance(t, str) and "アクセス制御（実施済み" in t]
    assert texts and all("では計画中" in t for t in texts)
    plain = assessment_answers(_model(["REG", "TERM", "F1"]), form="full")
    assert not any("では計画中" in t for t in plain["answer"] if isinstance(t, str))


def test_example_measure_reads_the_status_on_elements():
    # C1 planned everywhere but implemented on TERM: it is still "implemented on a named element"
    m = load_model(TINY)
    controls = m.controls.copy()
    controls.loc[controls["control_id"] == "C1", "status"] = "planned"
    m = m.replace(controls=controls)
    assert example_measure(m) == "C3"  # only the organisation-wide one is implemented
    assert example_measure(m.replace(control_status=_overrides(("C1", "TERM", "implemented")))) == "C1"


def test_charts_mark_controls_planned_on_an_element():
    model = planned_on_f1()
    exposure = node_exposure(model)
    dot = dataflow_dot(model, exposure, "en")
    f1 = next(line for line in dot.splitlines() if 'id="F1"' in line)
    assert "planned: C1" in f1
    assert "planned:" not in next(line for line in dot.splitlines() if 'id="F2"' in line)  # planned everywhere
    fig = dataflow_diagram(model, exposure, lang="en")
    gids = {a.get_gid() for a in fig.axes[0].get_children()}
    assert "planned-F1" in gids and "planned-REG" not in gids
    assert "planned-F1" not in {a.get_gid() for a in dataflow_diagram(model, None).axes[0].get_children()}


def test_per_element_statuses_equal_to_the_own_change_nothing_on_the_bundled_model():
    """Every (control, element) of the Kitakyushu model listed in control_status.csv with the control's own
    status: the per-element path of every analysis gives the very tables of the plain one."""
    import datetime as dt

    from pia_analysis import bundled_model_path
    from pia_analysis.analysis.pipeline import analyse

    base = load_model(bundled_model_path())
    rows = [(c, e, s) for c, targets, s in zip(base.controls["control_id"], base.controls["applies_to"],
                                                base.controls["status"]) for e in targets]
    assert any(e == "*" for _c, e, _s in rows)
    stars = {c for c, e, _s in rows if e == "*"}
    # a '*' control may list any system (its own status there); the others their applies_to
    rows = [r for r in rows if r[1] != "*"] + [(c, "JUKI_REC", s) for c, _e, s in rows if c in stars]
    explicit = base.replace(control_status=_overrides(*rows))
    assert len(explicit.control_status) > 20
    today = dt.date(2026, 11, 30)
    a, b = analyse(base, today=today, trials=500), analyse(explicit, today=today, trials=500)
    for name in ("exposure", "compromise", "simulation", "hardening", "fix_first", "control_importance",
                 "stage_coverage", "risk_coverage", "coverage_matrix", "rating_check", "findings", "section3"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True, obj=name)
    pd.testing.assert_frame_equal(coverage_pairs(base), coverage_pairs(explicit), check_exact=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_coverage_pairs_match_the_applications_on_random_models(seed):
    """Brute force on synthetic models with per-element statuses: a pair is covered when some control
    mitigating the risk is implemented on the element (its row there, or its '*' row when the element has
    none), planned when only planned ones are; the engine and the charts read the same statuses."""
    from pia_analysis.synthetic import synthetic_model

    model = synthetic_model(2, seed=seed, processes=True, nested_zones=True, control_status=True)
    assert len(model.control_status) > 0
    apps = model.control_applications
    status_at: dict[tuple[str, str], str] = {}
    star: dict[str, str] = {}
    mitigates: dict[str, list[str]] = {}
    for cid, element, status, mit in zip(apps["control_id"], apps["element"], apps["status"], apps["mitigates"]):
        mitigates[cid] = list(mit)
        if element == "*":
            star[cid] = status
        else:
            status_at[(cid, element)] = status

    def expected(risk: str, element: str) -> str:
        found = set()
        for cid, risks in mitigates.items():
            if risk not in risks:
                continue
            if (cid, element) in status_at:
                found.add(status_at[(cid, element)])
            elif cid in star:
                found.add(star[cid])
        return "covered" if "implemented" in found else "planned" if "planned" in found else "gap"

    pairs = coverage_pairs(model)
    got = [expected(r, e) for r, e in zip(pairs["risk_id"], pairs["element"])]
    assert got == pairs["status"].tolist()
    # the fast per-stage counts agree with the pairs
    counts = pairs.groupby("stage")["status"].value_counts().unstack(fill_value=0)
    for stage, row in stage_coverage(model).set_index("stage").iterrows():
        if stage in counts.index and row["pairs"] > 0:
            assert row["gaps"] == counts.loc[stage].get("gap", 0)
            assert row["planned"] == counts.loc[stage].get("planned", 0)
    # the pass factors: the product over the controls implemented on each element ('*' ones excepted)
    factors = _pass_factors(model)
    for element, value in factors.items():
        want = 1.0
        for cid in sorted(mitigates):
            if cid not in star and status_at.get((cid, element)) == "implemented":
                want *= 1.0 - float(apps.loc[apps["control_id"] == cid, "effectiveness"].iloc[0])
        assert value == pytest.approx(want)
    # and the whole analysis runs on it
    table = node_exposure(model)
    assert (table["records_in_transit"] >= table["records_at_stake"]).all()


def test_section3_lists_a_control_under_each_status_it_has_and_the_plan_implements_per_element_plans():
    from pia_analysis import section3_table, with_planned_implemented

    model = load_model(Path(__file__).parent / "models" / "tiny-transit")
    table = section3_table(model).set_index("risk_id")
    # C1 is implemented on REG and TERM and planned on F1: in place and still to come
    assert "C1" in table.loc["use-2", "implemented_controls"] and "C1" in table.loc["use-2", "planned_controls"]
    after = with_planned_implemented(model)
    assert "planned" not in set(after.control_applications["status"])
    assert "missing" in set(after.control_applications["status"])  # a missing status stays missing
    table_after = section3_table(after).set_index("risk_id")
    assert "C1" not in table_after.loc["use-2", "planned_controls"]


def test_the_system_view_shows_the_status_on_that_system():
    from pia_analysis.explorer import system_view

    model = load_model(Path(__file__).parent / "models" / "tiny-transit")
    # C3 applies everywhere but is missing at WEB; C1 implemented on REG (planned only on its flow F1)
    assert system_view(model, "WEB").controls[["control_id", "status"]].values.tolist() == [["C3", "missing"]]
    assert system_view(model, "REG").controls[["control_id", "status"]].values.tolist() == [["C1", "implemented"]]
