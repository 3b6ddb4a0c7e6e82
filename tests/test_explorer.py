"""The explorer: its plain functions on a small model computed by hand, the bundled scenarios, clear errors,
and the ipywidgets explorer built and driven programmatically (no browser, no kernel).

The small model (every control mitigates ``use-1``, every flow is of stage ``use``)::

    E (entry 0.5) --F1 (C1: 0.2)--> A --F2--> B (holds MN; C2: 0.5)
    E ------------F3 (C3: 0.9)--------------> B

exposure(A) = 0.5 · 0.8 = 0.4; exposure(B) = max(0.5 · 0.8 · 1 · 0.5, 0.5 · 0.1 · 0.5) = 0.2 via E → A → B.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pandas as pd
import pytest
from model_factory import control, flow, make_model, system

import pia_analysis
from pia_analysis import bundled_model_path, load_model
from pia_analysis.explorer import explore, explorer_state, scenario_choices, system_view
from pia_analysis.whatif.apply import (
    CONTROL_STATUSES,
    EFFECT_COLUMNS,
    Changes,
    apply_changes,
    with_control_status,
    with_flow_blocked,
    with_scenario,
)
from pia_analysis.whatif.apply import apply_scenario
from pia_analysis.whatif.compare import compare



@pytest.fixture
def widgets():
    """ipywidgets, for the tests of the widget (the plain functions need none)."""
    return pytest.importorskip("ipywidgets")


def small_model(directory):
    return make_model(
        directory,
        systems=[system("E", entry=0.5), system("A"), system("B", holds=["MN"])],
        flows=[flow("F1", "E", "A"), flow("F2", "A", "B"), flow("F3", "E", "B")],
        controls=[control("C1", ["F1"], 0.2), control("C2", ["B"], 0.5), control("C3", ["F3"], 0.9)],
    )


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return small_model(tmp_path_factory.mktemp("explorer"))


@pytest.fixture(scope="module")
def r3():
    return load_model(bundled_model_path())


def exposure(model) -> dict[str, float]:
    st = explorer_state(model)
    return dict(zip(st.exposure_after["system_id"], st.exposure_after["exposure"]))


def n_use(model) -> int:
    return int((model.risk_items["stage"] == "use").sum())


# ---------------------------------------------------------------------------------------------------
# toggling a control


def test_base_exposure_by_hand(small):
    e = exposure(small)
    assert e["A"] == pytest.approx(0.5 * 0.8)
    assert e["B"] == pytest.approx(0.5 * 0.8 * 1.0 * 0.5)


def test_control_missing_raises_exposure_by_hand(small):
    st = explorer_state(small, {"controls": {"C2": "missing"}})
    before, after = st.exposure_of("B")
    assert before == pytest.approx(0.2)
    assert after == pytest.approx(0.5 * 0.8 * 1.0)  # B's own barrier is gone
    assert st.exposure_of("A") == pytest.approx((0.4, 0.4))  # nothing before B changes
    st = explorer_state(small, {"controls": {"C1": "missing"}})
    assert st.exposure_of("A")[1] == pytest.approx(0.5)
    assert st.exposure_of("B")[1] == pytest.approx(0.5 * 1.0 * 1.0 * 0.5)


def test_planned_control_counts_for_nothing_and_a_parallel_route_takes_over(small):
    st = explorer_state(small, {"controls": {"C3": "planned"}})
    row = st.exposure_delta.set_index("system_id").loc["B"]
    assert row["exposure_after"] == pytest.approx(0.5 * 1.0 * 0.5)  # F3 unguarded: 0.25 > 0.2
    assert row["path_before"] == ["E", "A", "B"] and row["path_after"] == ["E", "B"]
    assert st.changed_exposure()["system_id"].tolist() == ["B"]


def test_control_status_changes_coverage_by_hand(small):
    n = n_use(small)
    base = explorer_state(small).coverage_after.set_index("stage").loc["use"]
    # use scope: F1, F2, F3, E, A, B; use-1 covered on F1 (C1), F3 (C3) and B (C2)
    assert (base["pairs"], base["covered"], base["planned"]) == (6 * n, 3, 0)
    planned = explorer_state(small, {"controls": {"C2": "planned"}}).coverage_delta.set_index("stage").loc["use"]
    assert (planned["covered_after"], planned["gaps_after"]) == (2, 6 * n - 3)
    missing = explorer_state(small, {"controls": {"C2": "missing"}})
    use = missing.coverage_delta.set_index("stage").loc["use"]
    assert (use["covered_after"], use["gaps_after"]) == (2, 6 * n - 2)
    assert use["coverage_delta"] == pytest.approx(2 / (6 * n) - 3 / (6 * n))
    assert missing.changed_coverage()["stage"].tolist() == ["use"]
    h = missing.headline().set_index("metric")
    assert h.at["covered_pairs", "delta"] == -1 and h.at["gaps", "delta"] == 1


def test_with_control_status_leaves_the_model_alone(small):
    changed = with_control_status(small, "C2", "missing")
    assert small.controls.set_index("control_id").at["C2", "status"] == "implemented"
    assert changed.controls.set_index("control_id").at["C2", "status"] == "missing"
    assert changed.controls.drop(columns="status").equals(small.controls.drop(columns="status"))


def test_same_status_is_no_change(small):
    st = explorer_state(small, {"controls": {"C1": "implemented"}})
    assert st.effects.empty
    assert (st.exposure_delta["exposure_delta"] == 0).all()


# ---------------------------------------------------------------------------------------------------
# blocking a flow


def test_blocking_a_flow_removes_its_path(small):
    blocked = with_flow_blocked(small, "F2")
    assert "F2" not in set(blocked.flows["flow_id"]) and "F2" in set(small.flows["flow_id"])
    assert set(blocked.systems["system_id"]) == {"E", "A", "B"}  # the systems at its ends stay
    paths = system_view(small, "B", k=5).paths["path"].tolist()
    assert ["E", "A", "B"] in paths
    view = system_view(blocked, "B", k=5)
    assert view.paths["path"].tolist() == [["E", "B"]]
    assert view.exposure["exposure"] == pytest.approx(0.5 * 0.1 * 0.5)
    st = explorer_state(small, {"blocked_flows": ["F2"]})
    assert st.exposure_of("B") == pytest.approx((0.2, 0.025))
    assert st.exposure_of("A") == pytest.approx((0.4, 0.4))


def test_blocking_every_route_leaves_a_system_unreached(small):
    st = explorer_state(small, {"blocked_flows": ["F3", "F2"]})
    assert st.changes.blocked_flows == ("F2", "F3")
    row = st.exposure_delta.set_index("system_id").loc["B"]
    assert row["exposure_after"] == 0 and row["path_after"] == []
    view = system_view(st.model, "B")
    assert view.paths.empty and view.exposure["entry_point"] == ""
    h = st.headline().set_index("metric")
    assert h.at["max_mn_exposure", "after"] == 0 and h.at["reached_systems", "delta"] == -1


def test_blocking_cascades_like_a_scenario_removal(small):
    n = n_use(small)
    model, effects = apply_changes(small, {"blocked_flows": ["F3"]})
    assert list(effects.columns) == EFFECT_COLUMNS
    rows = effects[["change", "op", "table", "id"]].values.tolist()
    assert rows == [["block F3", "remove", "flows", "F3"], ["block F3", "remove", "controls", "C3"]]
    assert "C3" not in set(model.controls["control_id"])  # it applied to F3 only
    same = apply_scenario(small, {"id": "x", "remove": {"flows": ["F3"]}})
    assert model.controls.equals(same.controls) and model.flows.equals(same.flows)
    use = explorer_state(small, {"blocked_flows": ["F3"]}).coverage_delta.set_index("stage").loc["use"]
    assert (use["pairs_before"], use["pairs_after"]) == (6 * n, 5 * n)
    assert (use["covered_before"], use["covered_after"]) == (3, 2)


def test_controls_apply_before_blocking(small):
    # C3 is set first, then removed with F3: no error, and both changes are logged in that order
    st = explorer_state(small, {"controls": {"C3": "missing"}, "blocked_flows": ["F3"]})
    assert st.effects["change"].tolist()[:2] == ["control C3", "block F3"]


def test_r3_blocking_f20_matches_hardening(r3):
    from pia_analysis.analysis.hardening import hardening_candidates

    st = explorer_state(r3, {"blocked_flows": ["F20"]})
    holders = st.exposure_delta.loc[st.exposure_delta["holds_my_number"]]
    drop = -holders["exposure_delta"]
    row = hardening_candidates(r3).set_index("flow_id").loc["F20"]
    assert drop.sum() == pytest.approx(row["exposure_drop_sum"])
    assert drop.max() == pytest.approx(row["exposure_drop_max"])
    assert st.exposure_of("JUKI_REC") == pytest.approx((0.025, 0.01))


# ---------------------------------------------------------------------------------------------------
# scenarios


def test_scenario_choices_are_the_bundled_files(r3):
    choices = scenario_choices(r3, lang="en")
    assert list(choices) == sorted(p.stem for p in (bundled_model_path() / "scenarios").glob("*.yaml"))
    assert "remote-work" in choices and choices["remote-work"].startswith("Remote work")


def test_scenario_choice_applies(r3):
    st = explorer_state(r3, {"scenario": "store-firewall-fails"})
    c = compare(r3, apply_scenario(r3, bundled_model_path() / "scenarios" / "store-firewall-fails.yaml"))
    pd.testing.assert_frame_equal(st.exposure_delta, c.exposure_delta)
    pd.testing.assert_frame_equal(st.coverage_delta, c.coverage_delta)
    before, after = st.exposure_of("JLIS_CENTRE")
    assert after / before == pytest.approx(5.0)
    assert st.effects["change"].unique().tolist() == ["scenario store-firewall-fails"]
    # the same scenario given as a file, or as the control change it makes, gives the same result
    by_file = explorer_state(r3, {"scenario": str(bundled_model_path() / "scenarios" / "store-firewall-fails.yaml")})
    by_hand = explorer_state(r3, {"controls": {"C-STORE-FW": "missing"}})
    pd.testing.assert_frame_equal(by_file.exposure_delta, st.exposure_delta)
    pd.testing.assert_frame_equal(by_hand.exposure_delta, st.exposure_delta)
    assert with_scenario(r3, "store-firewall-fails").controls.equals(st.model.controls)


def test_a_control_the_scenario_adds_can_be_toggled(r3):
    remote = explorer_state(r3, {"scenario": "remote-work"})
    fixed = explorer_state(r3, {"scenario": "remote-work",
                                "controls": {"C-REMOTE-MFA": "implemented", "C-REMOTE-VDI": "implemented"}})
    b, a = remote.exposure_of("JUKI_REC")
    assert a > b
    assert fixed.exposure_of("JUKI_REC")[1] == pytest.approx(b)  # back to the level before remote work
    assert fixed.exposure_of("REMOTE_TERM") == pytest.approx((0.0, 0.1 * 0.5))  # an added system counts 0 before
    assert fixed.exposure_delta.set_index("system_id").at["REMOTE_TERM", "presence"] == "added"


# ---------------------------------------------------------------------------------------------------
# clear errors


@pytest.mark.parametrize("call, message", [
    (lambda m: with_control_status(m, "C22", "missing"), r"'C22' is not a control of the model; did you mean C2"),
    (lambda m: with_control_status(m, "C2", "gone"), r"'gone' is not a control status: use one of implemented"),
    (lambda m: with_flow_blocked(m, ["F2", "F7"]), r"'F7' is not a flow of the model \(known: F1, F2, F3\)"),
    (lambda m: system_view(m, "X"), r"'X' is not a system of the model"),
    (lambda m: system_view(m, "B", k=0), r"k must be at least 1"),
    (lambda m: explorer_state(m, {"scenario": "nope"}), r"'nope' is not a scenario of the scenarios of .*scenarios"),
    (lambda m: explorer_state(m, {"controls": {"C2": "off"}}), r"'off' is not a control status \(for C2\)"),
    (lambda m: explorer_state(m, {"block": ["F1"]}), r"unknown key\(s\) in changes: block"),
    (lambda m: explorer_state(m, {"scenario": {"id": "x", "remove": {"controls": ["C1"]}},
                                  "controls": {"C1": "missing"}}),
     r"'C1' is not a control of the model after scenario x"),
])
def test_invalid_ids_raise_clear_errors(small, call, message):
    with pytest.raises(ValueError, match=message):
        call(small)


def test_state_exposure_of_unknown_system(small):
    with pytest.raises(ValueError, match="'Z' is not a system of either model"):
        explorer_state(small).exposure_of("Z")


def test_changes_of():
    assert Changes.of(None).is_empty
    c = Changes.of({"controls": [("C2", "missing")], "blocked_flows": ("F2", "F1", "F2")})
    assert c == Changes(None, (("C2", "missing"),), ("F1", "F2"))
    assert Changes.of(c) is c
    with pytest.raises(TypeError):
        Changes.of(["F1"])
    assert CONTROL_STATUSES == ("implemented", "planned", "missing", "unknown")


# ---------------------------------------------------------------------------------------------------
# the widget


def test_import_pia_analysis_does_not_import_ipywidgets():
    code = textwrap.dedent("""
        import sys
        import pia_analysis
        assert callable(pia_analysis.explore)
        assert "ipywidgets" not in sys.modules, "ipywidgets imported"
        assert "pia_analysis.explorer" not in sys.modules, "explorer imported"
    """)
    subprocess.run([sys.executable, "-c", code], check=True)


def test_widget_builds_and_reacts(small, widgets):
    box = pia_analysis.explore(small, chart="none")
    assert isinstance(box, widgets.Widget)
    ex = box.explorer
    c, out = ex.controls, ex.outputs
    assert ex.state.changes.is_empty and "none (the model as given)" in out["changes"].value
    assert c["system"].value == "B"  # the most exposed My Number holder
    assert ex.view.system_id == "B" and ex.view.exposure["exposure"] == pytest.approx(0.2)
    assert [v for _label, v in c["flows"].options] == ["F1", "F2", "F3"]

    c["flows"].value = ("F2",)  # block F2, as a user selecting it
    assert ex.state.changes.blocked_flows == ("F2",)
    assert ex.state.exposure_of("B") == pytest.approx((0.2, 0.025))
    assert ex.view.paths["path"].tolist() == [["E", "B"]]
    assert "blocked <code>F2</code>" in out["changes"].value
    assert "0.025" in out["exposure"].value and "0.025" in out["system"].value

    c["control"].value = "C3"  # choosing a control shows its status and changes nothing
    assert c["status"].value == "implemented" and ex.state.changes.controls == ()
    c["status"].value = "missing"
    assert ex.state.changes.controls == (("C3", "missing"),)
    assert ex.state.exposure_of("B")[1] == pytest.approx(0.5 * 1.0 * 0.5)
    c["control"].value = "C1"
    c["control"].value = "C3"
    assert c["status"].value == "missing"  # the override is remembered
    c["status"].value = "implemented"  # back to its own status: no change left
    assert ex.state.changes.controls == ()

    c["system"].value = "A"
    assert ex.view.system_id == "A" and "<h4>A" in out["system"].value

    c["reset"].click()
    assert ex.state.changes.is_empty and c["flows"].value == ()
    assert ex.state.exposure_of("B") == pytest.approx((0.2, 0.2))


def test_widget_draws_charts_into_an_output(small, widgets):
    ex = explore(small, lang="en", trials=500).explorer  # the chart tab is shown first
    out = ex.outputs["chart"]
    assert ex.chart_drawn == "exposure"
    assert len(out.outputs) == 1 and out.outputs[0]["data"]["image/png"].startswith("iVBOR")  # a PNG
    assert ex.figure.axes[0].get_label() == "exposure"
    ex.controls["chart"].value = "coverage"
    assert ex.chart_drawn == "coverage" and ex.figure.axes[0].get_label() != "exposure"
    ex.tabs.selected_index = 2  # hidden: a change does not redraw
    ex.controls["flows"].value = ("F1",)
    assert ex.chart_drawn is None
    ex.tabs.selected_index = 0  # shown again: drawn for the changed model
    assert ex.chart_drawn == "coverage"
    ex.controls["chart"].value = "none"
    assert out.outputs == () and ex.figure is None


def test_widget_scenarios(tmp_path, widgets):
    # a model with a scenarios/ folder: one scenario removes a control and a flow the user has changed
    model = small_model(tmp_path)
    (model.path / "scenarios").mkdir()
    (model.path / "scenarios" / "drop.yaml").write_text(
        "id: drop\ntitle_en: Drop C1 and F2\nremove:\n  controls: [C1]\n  flows: [F2]\n", encoding="utf-8")
    ex = explore(model, chart="none", system="A").explorer
    c = ex.controls
    assert c["system"].value == "A"
    assert [v for _label, v in c["scenario"].options] == ["", "drop"]
    c["control"].value = "C1"
    c["status"].value = "planned"
    c["flows"].value = ("F2", "F3")
    c["scenario"].value = "drop"
    assert ex.state.changes == Changes("drop", (), ("F3",))
    assert "Dropped (the scenario removes them): C1, F2." in ex.outputs["message"].value
    assert [v for _label, v in c["flows"].options] == ["F1", "F3"]
    assert "C1" not in [v for _label, v in c["control"].options]
    assert ex.state.exposure_of("B") == pytest.approx((0.2, 0.0))  # F2 and F3 gone
    c["scenario"].value = ""
    assert ex.state.changes == Changes(None, (), ("F3",))


def test_widget_on_the_bundled_model(r3, widgets):
    ex = explore(bundled_model_path(), chart="none").explorer  # a path is loaded
    c = ex.controls
    assert c["system"].value == "JUKI_REC" and len(c["scenario"].options) == 1 + len(scenario_choices(r3))
    c["scenario"].value = "remote-work"
    assert "REMOTE_TERM" in [v for _label, v in c["system"].options]
    assert ex.state.exposure_of("JUKI_REC")[1] > 0.025
    c["control"].value = "C-REMOTE-MFA"
    assert c["status"].value == "planned"
    c["status"].value = "implemented"
    c["flows"].value = ("F20",)
    assert ex.state.changes == Changes("remote-work", (("C-REMOTE-MFA", "implemented"),), ("F20",))
    assert "scenario <code>remote-work</code>" in ex.outputs["changes"].value


def test_explore_rejects_bad_options(small, widgets):
    with pytest.raises(ValueError, match="'X' is not a system of the model"):
        explore(small, system="X", chart="none")
    with pytest.raises(ValueError, match="'pie' is not a chart"):
        explore(small, chart="pie")
    with pytest.raises(ValueError, match="lang must be"):
        explore(small, lang="fr")
