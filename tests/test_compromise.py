"""Exact compromise probabilities (issue 17): hand-computed models, conditioning, bounds, Monte Carlo, importance."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from model_factory import control, flow, make_model, system

from pia_analysis import (
    bundled_model_path,
    compromise_probability,
    control_importance,
    fix_first,
    flow_importance,
    load_model,
    node_exposure,
    simulate_compromise,
)
from pia_analysis.analysis.simulation import wilson_interval
from pia_analysis.model.errors import UnknownIdError
from pia_analysis.util.errors import InvalidArgumentError


@pytest.fixture(scope="module")
def kitakyushu():
    return load_model(bundled_model_path())


def probs(table):
    return table.set_index("system_id")["probability"].to_dict()


@pytest.fixture
def issue_model(tmp_path):
    """The issue's model: one firewall (0.5) on both first hops of two otherwise free routes to T."""
    return make_model(tmp_path, systems=[system("E", entry=1.0), system("B"), system("C"), system("T", holds=["MN"])],
                      flows=[flow("F1", "E", "B"), flow("F2", "E", "C"), flow("F3", "B", "T"), flow("F4", "C", "T")],
                      controls=[control("FW", ["F1", "F2"], 0.5)])


def test_issue_model_is_one_half_exactly(issue_model):
    table = compromise_probability(issue_model)
    assert (table["method"] == "exact").all()
    p = probs(table)
    # one firewall: T is reached exactly when FW fails (0.5), not 1 − 0.5² = 0.75 as two coins would give
    assert p == {"B": 0.5, "C": 0.5, "E": 1.0, "T": 0.5}
    assert (table["low"] == table["probability"]).all() and (table["high"] == table["probability"]).all()
    sim = simulate_compromise(issue_model, trials=20_000, seed=2).set_index("system_id")
    assert sim.at["T", "ci_low"] <= 0.5 <= sim.at["T", "ci_high"]
    assert sim.at["T", "ci_high"] < 0.75  # the old independent-arc answer is out of the interval


def test_chain(tmp_path):
    # E (0.4, entry control 0.5) → A over F1 (0.2) → B (entry 0.25): 0.4·0.5, ·0.8, ·0.75
    m = make_model(tmp_path, systems=[system("E", entry=0.4), system("A"), system("B")],
                   flows=[flow("F1", "E", "A"), flow("F2", "A", "B")],
                   controls=[control("CE", ["E"], 0.5), control("C1", ["F1"], 0.2), control("CB", ["B"], 0.25)])
    p = probs(compromise_probability(m))
    assert p["E"] == pytest.approx(0.2) and p["A"] == pytest.approx(0.16) and p["B"] == pytest.approx(0.12)


def test_control_shared_by_a_flow_and_a_system_entry(tmp_path):
    # S (0.5) guards flow F1 and the entry of T; two routes E→T (over F1) and E→M→T both need T's entry,
    # the first also F1: P(T) = P(S fails) · P(F1 route or M route) where the F1 route needs S failing too
    # (already given): = 0.5 · 1 = 0.5 (with independent coins it would be 0.5 · (1 − 0.5·0.5)... no: 0.5·(1 − 0.5·0.5))
    m = make_model(tmp_path, systems=[system("E", entry=1.0), system("M"), system("T")],
                   flows=[flow("F1", "E", "T"), flow("F2", "E", "M"), flow("F3", "M", "T")],
                   controls=[control("S", ["F1", "T"], 0.5), control("CM", ["F2"], 0.5)])
    p = probs(compromise_probability(m))
    assert p["T"] == pytest.approx(0.5)  # S fails (0.5) opens F1 and T at once
    assert p["M"] == pytest.approx(0.5)
    sim = simulate_compromise(m, trials=20_000, seed=4).set_index("system_id")
    assert sim.at["T", "ci_low"] <= 0.5 <= sim.at["T", "ci_high"]


def test_cycle(tmp_path):
    # E → A (0.5), A ⇄ B interactive (0.5), B → T; E also → B directly (0.5). Cycles converge.
    m = make_model(tmp_path, systems=[system("E", entry=1.0), system("A"), system("B"), system("T")],
                   flows=[flow("F1", "E", "A"), flow("F2", "A", "B", interactive=True), flow("F3", "E", "B"),
                          flow("F4", "B", "T")],
                   controls=[control("C1", ["F1"], 0.5), control("C2", ["F2"], 0.5), control("C3", ["F3"], 0.5)])
    p = probs(compromise_probability(m))
    # B: F3 open (0.5) or (F1 and F2 open) (0.25): 1 − 0.5·0.75 = 0.625; A: F1 (0.5) or (F3 and F2): 0.625
    assert p["B"] == pytest.approx(0.625) and p["A"] == pytest.approx(0.625) and p["T"] == pytest.approx(0.625)


def test_system_behind_two_entry_points(tmp_path):
    m = make_model(tmp_path, systems=[system("E1", entry=0.3), system("E2", entry=0.2), system("T")],
                   flows=[flow("F1", "E1", "T"), flow("F2", "E2", "T")],
                   controls=[control("CT", ["T"], 0.5)])
    p = probs(compromise_probability(m))
    assert p["T"] == pytest.approx(0.5 * (1 - 0.7 * 0.8))


def test_conditioning_on_a_compromised_system_and_a_failed_control(issue_model):
    # given B is conditioning: B compromised means FW failed (its only route), so C and T are certain too
    given_b = compromise_probability(issue_model, given=["B"])
    assert (given_b["method"] == "exact").all()
    assert probs(given_b) == {"B": 1.0, "C": 1.0, "E": 1.0, "T": 1.0}
    assert given_b.attrs["given"] == {"systems": ["B"], "controls": []}
    # footholds B is the intervention: the attacker placed on B; FW still holds for F2 with 0.5
    held = compromise_probability(issue_model, footholds=["B"])
    assert probs(held) == {"B": 1.0, "C": 0.5, "E": 1.0, "T": 1.0}
    assert held.attrs["footholds"] == ["B"] and held.attrs["given"] == {"systems": [], "controls": []}
    p = probs(compromise_probability(issue_model, given={"controls": ["FW"]}))
    assert p == {"B": 1.0, "C": 1.0, "E": 1.0, "T": 1.0}
    with pytest.raises(UnknownIdError):
        compromise_probability(issue_model, given=["NOPE"])
    with pytest.raises(InvalidArgumentError):
        compromise_probability(issue_model, given={"system": ["B"]})
    with pytest.raises(InvalidArgumentError, match="footholds"):
        compromise_probability(issue_model, footholds=["FW"])


def test_conditioning_without_certain_entry(tmp_path):
    # E (0.5) → A → T, FW (0.5) on F1 and F2. A compromised means E's foothold and FW's failure: P(A) = 0.25,
    # and then T is certain and E too. As a foothold A leaves E alone and T behind FW (0.5).
    m = make_model(tmp_path, systems=[system("E", entry=0.5), system("A"), system("T")],
                   flows=[flow("F1", "E", "A"), flow("F2", "A", "T")], controls=[control("FW", ["F2", "F1"], 0.5)])
    assert probs(compromise_probability(m)) == pytest.approx({"E": 0.5, "A": 0.25, "T": 0.25})
    assert probs(compromise_probability(m, given="A")) == pytest.approx({"E": 1.0, "A": 1.0, "T": 1.0})
    assert probs(compromise_probability(m, footholds="A")) == pytest.approx({"E": 0.5, "A": 1.0, "T": 0.5})
    assert probs(compromise_probability(m, given="FW")) == pytest.approx({"E": 0.5, "A": 0.5, "T": 0.5})
    # given E: P(A | E) = P(A) / P(E) = 0.5, P(T | E) = 0.5
    assert probs(compromise_probability(m, given="E")) == pytest.approx({"E": 1.0, "A": 0.5, "T": 0.5})


def test_conditioning_on_a_chain(tmp_path):
    # E (0.4, CE 0.5) → A over F1 (C1 0.2) → B (CB 0.25): P = 0.2, 0.16, 0.12
    m = make_model(tmp_path, systems=[system("E", entry=0.4), system("A"), system("B")],
                   flows=[flow("F1", "E", "A"), flow("F2", "A", "B")],
                   controls=[control("CE", ["E"], 0.5), control("C1", ["F1"], 0.2), control("CB", ["B"], 0.25)])
    # given A: its whole route is known open, B needs CB to fail (0.75)
    assert probs(compromise_probability(m, given="A")) == pytest.approx({"E": 1.0, "A": 1.0, "B": 0.75})
    # given E: A = 0.8, B = 0.8 · 0.75
    assert probs(compromise_probability(m, given="E")) == pytest.approx({"E": 1.0, "A": 0.8, "B": 0.6})
    # given B: everything upstream of it was passed
    assert probs(compromise_probability(m, given="B")) == pytest.approx({"E": 1.0, "A": 1.0, "B": 1.0})
    # two conditions at once: P(B | E ∧ A) = 0.75
    assert probs(compromise_probability(m, given=["E", "A"]))["B"] == pytest.approx(0.75)


def test_conditioning_on_a_control_shared_by_a_flow_and_a_system(tmp_path):
    # S (0.5) guards flow F1 (E → M) and T's entry; M → T over F2 is free. P(M) = P(T) = 0.5 (S fails).
    # M compromised means S failed, so T's entry is open: P(T | M) = 1; as a foothold M leaves S: 0.5.
    m = make_model(tmp_path, systems=[system("E", entry=1.0), system("M"), system("T")],
                   flows=[flow("F1", "E", "M"), flow("F2", "M", "T")], controls=[control("S", ["F1", "T"], 0.5)])
    assert probs(compromise_probability(m)) == pytest.approx({"E": 1.0, "M": 0.5, "T": 0.5})
    assert probs(compromise_probability(m, given="M")) == pytest.approx({"E": 1.0, "M": 1.0, "T": 1.0})
    assert probs(compromise_probability(m, footholds="M")) == pytest.approx({"E": 1.0, "M": 1.0, "T": 0.5})


def test_an_impossible_condition_is_refused(tmp_path):
    m = make_model(tmp_path, systems=[system("E", entry=1.0), system("A"), system("Z")],
                   flows=[flow("F1", "E", "A")], controls=[control("FW", ["F1"], 1.0)])
    for kwargs in ({}, {"max_nodes": 1, "trials": 500}):
        with pytest.raises(InvalidArgumentError, match="impossible"):
            compromise_probability(m, given="Z", **kwargs)  # no foothold, no flow in
        with pytest.raises(InvalidArgumentError, match="impossible"):
            compromise_probability(m, given="A", **kwargs)  # its only flow blocked for sure
    assert probs(compromise_probability(m, footholds="Z"))["Z"] == 1.0  # the intervention is always possible


def _random_model(tmp_path, rng: random.Random, name: str):
    n = rng.randint(3, 6)
    ids = [f"S{i}" for i in range(n)]
    systems = [system(s, entry=rng.choice([0.0, 0.0, 0.3, 0.7, 1.0]) if i else 0.6) for i, s in enumerate(ids)]
    flows = []
    for k in range(rng.randint(n - 1, 2 * n)):
        a, b = rng.sample(ids, 2)
        flows.append(flow(f"F{k}", a, b, interactive=rng.random() < 0.3))
    elements = ids + [f["flow_id"] for f in flows]
    controls = [control(f"C{j}", rng.sample(elements, rng.randint(1, 3)), rng.choice([0.2, 0.5, 0.8]))
                for j in range(rng.randint(1, 4))]
    return make_model(tmp_path, systems=systems, flows=flows, controls=controls, name=name)


def test_exact_inside_monte_carlo_interval_on_random_models(tmp_path):
    rng = random.Random(17)
    inside = total = 0
    for case in range(12):
        m = _random_model(tmp_path, rng, f"m{case}")
        exact = compromise_probability(m).set_index("system_id")
        assert (exact["method"] == "exact").all()
        sim = simulate_compromise(m, trials=4000, seed=case).set_index("system_id")
        for sid in exact.index:
            p = exact.at[sid, "probability"]
            if p in (0.0, 1.0):
                assert sim.at[sid, "probability"] == p  # certain either way: the simulation agrees exactly
                continue
            total += 1
            inside += sim.at[sid, "ci_low"] <= p <= sim.at[sid, "ci_high"]
        # the most likely path is a lower bound
        expo = node_exposure(m).set_index("system_id")["exposure"].loc[exact.index]
        assert (expo <= exact["probability"] + 1e-12).all()
    assert total > 20
    # a 95 % interval: about 5 % misses expected; more than 15 % would mean different semantics
    assert inside / total >= 0.85, (inside, total)


def test_bounds_contain_the_exact_value(tmp_path):
    rng = random.Random(3)
    for case in range(8):
        m = _random_model(tmp_path, rng, f"b{case}")
        exact = compromise_probability(m).set_index("system_id")
        for kwargs in ({"max_nodes": 1}, {"max_nodes": 2}, {"max_variables": 1}):
            bounded = compromise_probability(m, **kwargs).set_index("system_id")
            for sid in exact.index:
                p = exact.at[sid, "probability"]
                row = bounded.loc[sid]
                assert row["low"] - 1e-12 <= p <= row["high"] + 1e-12, (case, kwargs, sid)
                if row["method"] == "exact":
                    assert row["probability"] == pytest.approx(p)
                else:
                    assert row["method"] == "bounds" and math.isnan(row["probability"])
        sampled = compromise_probability(m, max_nodes=1, trials=2000, seed=1).set_index("system_id")
        assert set(sampled["method"]) <= {"exact", "sampled"}
        rows = sampled[sampled["method"] == "sampled"]
        assert (rows["low"] <= rows["probability"]).all() and (rows["probability"] <= rows["high"]).all()


def test_a_sampled_estimate_lies_inside_its_own_interval(kitakyushu):
    # The user trial's case: with max_variables=3 every Kitakyushu system is sampled, and several sample means
    # fell below their certified lower bound (the most likely path), printed as 「4.4%（95%区間 4.5%〜4.7%）」.
    exact = compromise_probability(kitakyushu).set_index("system_id")
    table = compromise_probability(kitakyushu, max_variables=3, trials=20_000, seed=0).set_index("system_id")
    assert set(table["method"]) == {"sampled"}
    assert (table["low"] <= table["probability"]).all() and (table["probability"] <= table["high"]).all()
    # the same trials: the estimate is the trials' share unless that share lies outside the certified bounds
    bounds = compromise_probability(kitakyushu, max_variables=3).set_index("system_id")
    share = simulate_compromise(kitakyushu, trials=20_000, seed=0).set_index("system_id")["probability"]
    moved = 0
    for sid in table.index:
        lo, hi = bounds.at[sid, "low"], bounds.at[sid, "high"]
        assert lo - 1e-12 <= exact.at[sid, "probability"] <= hi + 1e-12
        expected = min(max(share[sid], lo), hi)
        moved += expected != share[sid]
        assert table.at[sid, "probability"] == pytest.approx(expected, abs=1e-12), sid
    assert moved  # this seed does put sample means outside the bounds: the test exercises the clipping


def test_independent_controls_agree_with_independent_arcs(tmp_path):
    # Every control applies to one element: shared and independent semantics coincide. Compare the exact
    # value with a plain per-trial Monte Carlo drawing every arc and entry on its own (today's semantics).
    m = make_model(tmp_path, systems=[system("E", entry=0.6), system("A"), system("B"), system("T")],
                   flows=[flow("F1", "E", "A"), flow("F2", "E", "B"), flow("F3", "A", "T"),
                          flow("F4", "B", "T", interactive=True)],
                   controls=[control("C1", ["F1"], 0.5), control("C2", ["B"], 0.5), control("C3", ["F4"], 0.4),
                             control("C4", ["T"], 0.2)])
    exact = probs(compromise_probability(m))
    rng = np.random.default_rng(0)
    n = 20_000
    hits = 0
    for _ in range(n):
        foot = rng.random() < 0.6
        a = foot and rng.random() < 0.5
        b = foot and rng.random() < 0.5
        t_open = rng.random() < 0.8
        t = t_open and (a or (b and rng.random() < 0.6))
        hits += t
    low, high = wilson_interval(np.array([hits]), n)
    assert low[0] <= exact["T"] <= high[0]
    assert exact["T"] == pytest.approx(0.6 * 0.8 * (1 - 0.5 * (1 - 0.5 * 0.6)))
    sim = simulate_compromise(m, trials=n, seed=1).set_index("system_id")
    assert sim.at["T", "ci_low"] <= exact["T"] <= sim.at["T", "ci_high"]


def test_parallel_flows_each_count(tmp_path):
    m = make_model(tmp_path, systems=[system("E", entry=1.0), system("T")],
                   flows=[flow("F1", "E", "T"), flow("F2", "E", "T")],
                   controls=[control("C1", ["F1"], 0.5), control("C2", ["F2"], 0.5)])
    assert probs(compromise_probability(m))["T"] == pytest.approx(0.75)


def test_importance_by_hand(issue_model):
    # T holds 1,000 records; P(T) = P(FW fails) = 0.5. Birnbaum of FW: 1 − 0 = 1; making it fully
    # effective saves 0.5 · 1,000 = 500 expected records.
    table = control_importance(issue_model).set_index("control_id")
    assert table.at["FW", "birnbaum_sum"] == pytest.approx(1.0)
    assert table.at["FW", "records_fall"] == pytest.approx(500.0)
    flows = flow_importance(issue_model).set_index("flow_id")
    # F3 passable vs blocked: with F3 blocked T needs C's route: P = 0.5 either way, so 0
    assert flows.at["F3", "birnbaum_sum"] == pytest.approx(0.0)
    # F1 forced open vs blocked: open → T reached surely (1); blocked → via F2 (0.5)
    assert flows.at["F1", "birnbaum_sum"] == pytest.approx(0.5)
    assert flows.at["F1", "records_fall"] == pytest.approx(0.0)  # blocking F1 alone: F2 shares FW's fate


def _records_after(model, controls=(), flows=()):
    """Expected records at stake after making ``controls`` fully effective and blocking ``flows``."""
    c = model.controls.copy()
    c.loc[c["control_id"].isin(controls), "effectiveness"] = 1.0
    c.loc[c["control_id"].isin(controls), "status"] = "implemented"
    if flows:
        import pandas as pd

        template = c.iloc[0].to_dict()
        rows = [{**template, "control_id": f"BLOCK-{f}", "applies_to": [f], "effectiveness": 1.0,
                 "status": "implemented"} for f in flows]
        c = pd.concat([c, pd.DataFrame(rows, columns=c.columns)], ignore_index=True)
    m = model.replace(controls=c)
    p = probs(compromise_probability(m))
    people = model.my_number_people
    return sum(p[s] * people.get(s, 0) for s in p if people.get(s, 0))


def test_fix_first_recomputed_by_setting_controls(kitakyushu):
    plan = fix_first(kitakyushu, k=4)
    # three fixes bring the expectation to 0, so the plan stops there
    assert plan["step"].tolist() == [1, 2, 3] and plan.iloc[-1]["expected_records"] == pytest.approx(0.0)
    before = plan.attrs["expected_records_before"]
    assert before == pytest.approx(_records_after(kitakyushu))
    controls, flows = [], []
    for row in plan.itertuples():
        (controls if row.kind == "control" else flows).append(row.id)
        after = _records_after(kitakyushu, controls, flows)
        assert row.expected_records == pytest.approx(after, rel=1e-9, abs=1e-6)
        assert row.cumulative_fall == pytest.approx(before - after, rel=1e-9, abs=1e-6)
    assert (plan["fall"] >= 0).all()
    # greedy: the first step's fall is the largest single-control fall of control_importance
    imp = control_importance(kitakyushu)
    first_control = imp.iloc[0]["records_fall"]
    assert plan.iloc[0]["fall"] >= first_control - 1e-6


def test_fix_first_blocks_flows_when_that_is_best(tmp_path):
    # E (0.5) → T over F1 (no control) and over F2 (C 0.5): P(T) = 0.5, 500 records expected. Making C
    # fully effective first saves nothing (F1 is open); blocking F1 saves 0.5 · 1,000 · 0.5 = 250, then
    # C the remaining 250.
    m = make_model(tmp_path, systems=[system("E", entry=0.5), system("T", holds=["MN"])],
                   flows=[flow("F1", "E", "T"), flow("F2", "E", "T")], controls=[control("C", ["F2"], 0.5)])
    plan = fix_first(m, k=2)
    assert plan[["kind", "id"]].values.tolist() == [["flow", "F1"], ["control", "C"]]
    assert plan["fall"].tolist() == pytest.approx([250.0, 250.0])
    assert plan.iloc[0]["expected_records"] == pytest.approx(_records_after(m, flows=["F1"]))
    assert plan.iloc[1]["expected_records"] == pytest.approx(_records_after(m, ["C"], ["F1"]))
    assert plan.iloc[0]["in_min_cut"]


def test_kitakyushu_exact_and_consistent(kitakyushu):
    table = compromise_probability(kitakyushu).set_index("system_id")
    assert (table["method"] == "exact").all()
    expo = node_exposure(kitakyushu).set_index("system_id")["exposure"].loc[table.index]
    assert (expo <= table["probability"] + 1e-12).all()
    sim = simulate_compromise(kitakyushu, trials=50_000, seed=0).set_index("system_id")
    inside = ((sim["ci_low"] <= table["probability"]) & (table["probability"] <= sim["ci_high"])).mean()
    assert inside >= 0.85


def test_argument_errors(issue_model):
    with pytest.raises(InvalidArgumentError):
        compromise_probability(issue_model, max_nodes=0)
    with pytest.raises(InvalidArgumentError):
        compromise_probability(issue_model, trials=-1)
    with pytest.raises(InvalidArgumentError):
        fix_first(issue_model, k=0)


def test_bounds_on_a_synthetic_model_contain_the_exact_values():
    from pia_analysis import synthetic_model

    m = synthetic_model(2, seed=0)  # 31 systems around shared national ones; exact within the default limits
    exact = compromise_probability(m, max_variables=None, max_nodes=None).set_index("system_id")
    assert (exact["method"] == "exact").all()
    for kwargs in ({"max_variables": 8}, {"max_nodes": 4}):
        bounded = compromise_probability(m, **kwargs).set_index("system_id")
        assert (bounded["method"] == "bounds").any()
        assert (bounded["low"] <= exact["probability"] + 1e-12).all()
        assert (exact["probability"] <= bounded["high"] + 1e-12).all()


def test_row_order_does_not_change_results(tmp_path):
    import pandas as pd

    from pia_analysis import save_model

    rng = random.Random(5)
    for case in range(3):
        a = _random_model(tmp_path, rng, f"r{case}")
        # the same tables written again in another row order
        save_model(a, tmp_path / f"copy{case}")
        for csv in (tmp_path / f"copy{case}").glob("*.csv"):
            table = pd.read_csv(csv, dtype=str, keep_default_na=False)
            table.sample(frac=1.0, random_state=case).to_csv(csv, index=False)
        shuffled = load_model(tmp_path / f"copy{case}")
        pd.testing.assert_frame_equal(compromise_probability(a), compromise_probability(shuffled))
        pd.testing.assert_frame_equal(control_importance(a), control_importance(shuffled))
        pd.testing.assert_frame_equal(fix_first(a, 3), fix_first(shuffled, 3))


def test_loss_exceedance_counts_people_per_trial(tmp_path):
    # S (0.5) guards E→A and E→B at once; B's entry has CB (0.5). A holds X (100), B holds X and Y (150).
    # S holds: nobody reached; S fails, CB holds (¼): A → 100 people; both fail (¼): A and B → the largest
    # file reached, 150 people (never 250 nor 350: files of one affair hold the same residents).
    from model_factory import file

    from pia_analysis import loss_exceedance

    m = make_model(tmp_path, systems=[system("E", entry=1.0), system("A", holds=["X"]), system("B", holds=["X", "Y"])],
                   flows=[flow("F1", "E", "A"), flow("F2", "E", "B")],
                   files=[file("X", records=100), file("Y", records=150)],
                   controls=[control("S", ["F1", "F2"], 0.5), control("CB", ["B"], 0.5)])
    curve = loss_exceedance(m, trials=40_000, seed=3)
    assert curve["records"].tolist() == [100, 150]
    exact = {100: 0.5, 150: 0.25}
    for row in curve.itertuples():
        assert row.low <= exact[row.records] <= row.high
    assert curve.attrs["expected_records"] == pytest.approx(0.25 * 100 + 0.25 * 150, rel=0.03)
    # the same trials as simulate_compromise: P(≥ 100) is the share of trials reaching A
    sim = simulate_compromise(m, trials=40_000, seed=3).set_index("system_id")
    assert curve["probability"].iloc[0] == sim.at["A", "probability"]
    assert curve["probability"].iloc[1] == sim.at["B", "probability"]
    # deterministic, whatever the chunk
    assert loss_exceedance(m, trials=40_000, seed=3, chunk=64).equals(curve)


def test_loss_exceedance_empty_and_errors(tmp_path):
    from pia_analysis import loss_exceedance

    m = make_model(tmp_path, systems=[system("E", entry=0.0), system("A", holds=["X"])], flows=[flow("F1", "E", "A")])
    curve = loss_exceedance(m, trials=1000)
    assert curve.empty and list(curve.columns) == ["records", "probability", "low", "high", "trials"]
    with pytest.raises(InvalidArgumentError):
        loss_exceedance(m, trials=0)


def test_analyse_labels_a_large_models_compromise_as_sampled(monkeypatch):
    from pia_analysis import analyse
    from pia_analysis.analysis import pipeline

    model = load_model(bundled_model_path())
    exact = analyse(model, trials=2000, only=("compromise",)).compromise  # small enough: exact
    assert set(exact["method"]) == {"exact"}
    monkeypatch.setattr(pipeline, "COMPROMISE_MAX_SYSTEMS", 5)  # Kitakyushu's 20 systems count as large
    a = analyse(model, trials=2000, only=("compromise", "simulation"))
    assert set(a.compromise["method"]) == {"sampled"}
    sim = a.simulation.set_index("system_id")
    c = a.compromise.set_index("system_id")
    assert (c["probability"] == sim["probability"]).all() and (c["low"] == sim["ci_low"]).all()


def test_a_hub_of_many_footholds_is_bounded_not_a_recursion_error(tmp_path):
    # 1,200 footholds, each behind its own control, all flowing into one hub H that leads to T: the hub's
    # reachability is a disjunction over 2,400 variables. dd's apply recurses once per level, so building it
    # whole raised RecursionError (the national model did); bounded diagrams are shrunk as they grow.
    n = 1200
    systems = [system(f"E{i}", entry=0.001) for i in range(n)] + [system("H"), system("T", holds=["MN"])]
    flows = [flow(f"F{i}", f"E{i}", "H") for i in range(n)] + [flow("FT", "H", "T")]
    controls = [control(f"C{i}", [f"F{i}"], 0.5) for i in range(n)]
    m = make_model(tmp_path, systems=systems, flows=flows, controls=controls)
    table = compromise_probability(m).set_index("system_id")
    # exact: P(H) = 1 − (1 − 0.001 · 0.5)^1200, and T the same (FT is free)
    p_hub = 1 - (1 - 0.0005) ** n
    for sid in ("H", "T"):
        assert table.at[sid, "method"] == "bounds"
        assert table.at[sid, "low"] - 1e-12 <= p_hub <= table.at[sid, "high"] + 1e-12
    assert table.at["E7", "method"] == "exact" and table.at["E7", "probability"] == pytest.approx(0.001)


def test_diagrams_too_deep_fall_back_to_labelled_bounds(monkeypatch, issue_model):
    # Should a diagram still outgrow Python's stack, every system is bounded (or sampled), never a crash.
    from pia_analysis.analysis import compromise

    def too_deep(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(compromise, "_compile", too_deep)
    table = compromise_probability(issue_model).set_index("system_id")
    # Where the path and the numeric bound meet (E: 1; B and C: 0.5 each, their one firewall) the value is
    # exact; T's bounds do not meet (0.5 by one path, 0.75 above).
    assert table.attrs["diagrams"] is False
    assert table["method"].to_dict() == {"B": "exact", "C": "exact", "E": "exact", "T": "bounds"}
    assert table.at["T", "low"] <= 0.5 <= table.at["T", "high"] and table.at["T", "low"] < table.at["T", "high"]
    assert math.isnan(table.at["T", "probability"]) and table.at["B", "probability"] == 0.5
    sampled = compromise_probability(issue_model, trials=20_000, seed=1).set_index("system_id")
    assert sampled.at["T", "method"] == "sampled"
    assert sampled.at["T", "low"] <= 0.5 <= sampled.at["T", "high"]


def _check_rule(table):
    """The one rule of docs/exposure.md §4b, row by row."""
    for row in table.itertuples():
        assert row.low <= row.high, row
        if row.method == "exact":
            assert row.low == row.high == row.probability, row
        elif row.method == "sampled":
            assert row.low < row.high and row.low <= row.probability <= row.high, row
        else:
            assert row.method == "bounds" and row.low < row.high, row
            assert math.isnan(row.probability) or row.low <= row.probability <= row.high, row


def test_one_rule_for_intervals_on_random_small_models(tmp_path):
    # Every row is exact (bounds that meet), sampled (the Wilson interval cut to the certified bounds) or bounds
    # (the certified bounds, the estimate inside them), with the exact value inside whatever the row says.
    rng = random.Random(170)
    seen = set()
    for case in range(10):
        m = _random_model(tmp_path, rng, f"r{case}")
        exact = compromise_probability(m).set_index("system_id")["probability"]
        ids = list(exact.index)
        given = [s for s in ids if 0 < exact[s]][:1] if case % 2 else None
        cond = compromise_probability(m, given=given).set_index("system_id")["probability"] if given else exact
        for kwargs in ({"max_nodes": 1}, {"max_nodes": 1, "trials": 300, "seed": case},
                       {"max_variables": 1, "trials": 50, "seed": case}):
            table = compromise_probability(m, given=given, **kwargs)
            _check_rule(table)
            seen |= set(table["method"])
            t = table.set_index("system_id")
            for sid in ids:
                if t.at[sid, "method"] != "sampled":  # a 95 % interval may miss; certified bounds may not
                    assert t.at[sid, "low"] - 1e-12 <= cond[sid] <= t.at[sid, "high"] + 1e-12, (case, kwargs, sid)
    assert seen == {"exact", "sampled", "bounds"}


def test_conditioning_sampled_counts_only_the_trials_that_reach_the_condition(issue_model):
    # With diagrams too small every system is sampled; given B, only the trials where B is reached count.
    table = compromise_probability(issue_model, given="B", max_nodes=1, trials=4000, seed=3)
    t = table.set_index("system_id")
    assert t.at["T", "probability"] == 1.0 and t.at["C", "probability"] == 1.0
    assert 1700 < table.attrs["trials"] < 2300  # about half the trials reach B (FW fails)
    _check_rule(table)


def test_bad_argument_types_are_named(issue_model):
    cases = [({"given": 5}, "given"), ({"given": {"systems": None}}, "systems"), ({"given": [["X"]]}, "given"),
             ({"given": b"B"}, "given"), ({"trials": 2.5}, "trials"), ({"trials": "3"}, "trials"),
             ({"max_nodes": "5"}, "max_nodes"), ({"max_nodes": float("nan")}, "max_nodes"),
             ({"max_variables": float("nan")}, "max_variables"), ({"max_nodes": True}, "max_nodes"),
             ({"seed": -1}, "seed"), ({"footholds": 3}, "footholds")]
    for kwargs, name in cases:
        with pytest.raises(InvalidArgumentError, match=name):
            compromise_probability(issue_model, **kwargs)
    for k in (2.5, "3", None, 0):
        with pytest.raises(InvalidArgumentError, match="k must be at least 1"):
            fix_first(issue_model, k=k)
    with pytest.raises(InvalidArgumentError, match="max_variables"):
        control_importance(issue_model, max_variables=float("nan"))
    with pytest.raises(InvalidArgumentError, match="trials"):
        simulate_compromise(issue_model, trials=2.5)
    with pytest.raises(InvalidArgumentError, match="chunk"):
        simulate_compromise(issue_model, trials=10, chunk="2")
    assert len(compromise_probability(issue_model, max_nodes=np.int64(5), trials=np.int64(0))) == 4


def _grid(tmp_path, k: int, name: str, interactive: bool = True):
    """A k × k grid of flows, one control per flow and shared 'ladder' controls per row (trial 17)."""
    sid = [[f"G{i:02d}_{j:02d}" for j in range(k)] for i in range(k)]
    systems = [system(sid[i][j], entry=0.2 if i == 0 and j in (0, k - 1) else 0.0,
                      holds=["MN"] if i == k - 1 else []) for i in range(k) for j in range(k)]
    flows = []
    for i in range(k):
        for j in range(k):
            for di, dj in ((0, 1), (1, 0)):
                if i + di < k and j + dj < k:
                    flows.append(flow(f"F{len(flows):04d}", sid[i][j], sid[i + di][j + dj], interactive=interactive))
    controls = [control(f"C{n:04d}", [f["flow_id"]], 0.5) for n, f in enumerate(flows)]
    controls += [control(f"R{r:02d}", [f["flow_id"] for f in flows if f["source"].startswith(f"G{r:02d}_")]
                         + [sid[i][r] for i in range(k)], 0.3) for r in range(k)]
    return make_model(tmp_path, systems=systems, flows=flows, controls=controls, name=name)


def test_max_nodes_bounds_the_whole_compile_without_a_variable_limit(monkeypatch, tmp_path):
    import time

    from pia_analysis.analysis import compromise

    # With max_variables=None nothing but the node budget (10 × max_nodes over the whole compile, dd's table)
    # stops a grid's diagrams from growing: a 10 × 10 grid took 34 CPU s and 1.5 GB in the attack trial; this
    # one, without the budget, 4 CPU s and a table of over 400,000 nodes.
    tables = []
    compile_ = compromise._compile

    def spy(*args, **kwargs):
        compiled = compile_(*args, **kwargs)
        tables.append(len(compiled.bdd._bdd))
        return compiled

    monkeypatch.setattr(compromise, "_compile", spy)
    m = _grid(tmp_path, 10, "grid10")
    start = time.process_time()
    table = compromise_probability(m, max_variables=None, max_nodes=2000)
    assert time.process_time() - start < 3  # about 0.2 CPU s alone
    assert tables and max(tables) <= 2 * 10 * 2000 + 2
    assert (table["method"] == "bounds").any() and not (table["method"] == "sampled").any()
    _check_rule(table)
    sampled = compromise_probability(m, max_variables=None, max_nodes=2000, trials=2000)
    assert (sampled["method"] == "sampled").any()
    _check_rule(sampled)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_readings_say_which_holders_importance_left_out(tmp_path, lang):
    from pia_analysis.outputs.readings import exposure_reading, fix_first_reading

    # A holder behind a chain of 50 flows, each with its own control: 50 variables upstream, beyond the
    # default max_variables (48), so importance cannot compute it exactly; a second holder next to the entry can.
    n = 50
    ids = ["E"] + [f"S{i:02d}" for i in range(1, n)] + ["T"]
    systems = [system("E", entry=0.5), system("H", holds=["MN"])] + [system(s) for s in ids[1:-1]] + [
        system("T", holds=["MN"])]
    flows = [flow("FH", "E", "H")] + [flow(f"F{i:02d}", a, b) for i, (a, b) in enumerate(zip(ids, ids[1:]))]
    controls = [control("CH", ["FH"], 0.5)] + [control(f"C{i:02d}", [f"F{i:02d}"], 0.1) for i in range(n)]
    m = make_model(tmp_path, systems=systems, flows=flows, controls=controls)
    importance, plan = control_importance(m), fix_first(m, k=2)
    assert importance.attrs["inexact_holders"] == ["T"] and plan.attrs["inexact_holders"] == ["T"]
    assert importance.attrs["holders"] == ["H", "T"] == plan.attrs["holders"]
    text = fix_first_reading(m, importance, plan, lang=lang)
    first = text.splitlines()[0]
    if lang == "ja":
        assert "個人番号を保有する 2 システムのうち 1 は厳密に計算できず、この計画に含まれていません" in first
    else:
        assert first.startswith("1 of 2 My Number holders could not be computed exactly and are not in this plan")
    assert "T" in first
    expo = exposure_reading(m, node_exposure(m), lang=lang)
    assert ("1 は厳密に計算できず" if lang == "ja" else "1 of 2 My Number holders could not be computed exactly") in expo
    # all exact: nothing said
    exact = fix_first_reading(m, control_importance(m, max_variables=None), fix_first(m, k=2, max_variables=None),
                              lang=lang)
    assert "厳密に計算できず" not in exact and "could not be computed exactly" not in exact


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_model_without_entry_points_reads_so(tmp_path, lang):
    # notebook 02 took the first entry point with .iloc[0] and crashed (IndexError) on such a model
    from pia_analysis.outputs.readings import blast_radius_reading, entry_points

    m = make_model(tmp_path, systems=[system("A"), system("B", holds=["MN"])], flows=[flow("F1", "A", "B")],
                   controls=[control("C1", ["F1"], 0.5)])
    ranking = node_exposure(m)
    assert entry_points(m, ranking) == []
    text = blast_radius_reading(m, None, lang=lang)
    assert ("侵入口" in text and "ありません" in text) if lang == "ja" else "no entry point" in text
    assert set(compromise_probability(m)["probability"]) == {0.0}


def _enumerate(structure, cond):
    """P(v | every system of cond reached) by enumerating every assignment of the variables (brute force)."""
    import itertools

    n = len(structure.ids)
    p_cond, joint = 0.0, [0.0] * n

    def passable(guard, x):
        return guard is not None and all(x[k] for k in guard)

    for x in itertools.product((False, True), repeat=len(structure.var_names)):
        weight = math.prod(p if b else 1 - p for p, b in zip(structure.var_p, x))
        if weight == 0:
            continue
        reached = {v for v in range(n) if v in structure.certain or (
            structure.foot[v] is not None and (structure.foot[v] == -1 or x[structure.foot[v]])
            and passable(structure.enter[v], x))}
        grew = True
        while grew:
            grew = False
            for u, v, f in structure.arcs:
                if u in reached and v not in reached and passable(structure.flow_guard[f], x) \
                        and passable(structure.enter[v], x):
                    reached.add(v)
                    grew = True
        if all(c in reached for c in cond):
            p_cond += weight
            for v in reached:
                joint[v] += weight
    return {structure.ids[v]: joint[v] / p_cond for v in range(n)} if p_cond > 0 else None


def test_conditioning_equals_enumeration_on_random_small_models(tmp_path):
    from pia_analysis.analysis.attack_graph import build_structure

    rng = random.Random(1717)
    checked = 0
    for case in range(10):
        m = _random_model(tmp_path, rng, f"c{case}")
        structure = build_structure(m)
        assert len(structure.var_names) <= 14
        for sid in rng.sample(list(structure.ids), 2):
            expected = _enumerate(structure, [structure.pos[sid]])
            if expected is None:
                with pytest.raises(InvalidArgumentError, match="impossible"):
                    compromise_probability(m, given=sid)
                continue
            got = probs(compromise_probability(m, given=sid))
            assert got == pytest.approx(expected, abs=1e-12), (case, sid)
            bounded = compromise_probability(m, given=sid, max_nodes=1).set_index("system_id")
            for v, p in expected.items():
                assert bounded.at[v, "low"] - 1e-12 <= p <= bounded.at[v, "high"] + 1e-12, (case, sid, v)
            checked += 1
    assert checked >= 12


@pytest.mark.parametrize(("k", "max_nodes"), [(10, 1), (10, 2), (10, 5), (20, 20)])
def test_a_tiny_node_limit_bounds_every_system_never_raises(tmp_path, k, max_nodes):
    # Trial 17: dd's node table filled while the variables, entries and flows were still being set up,
    # before the budget check ran, and "RuntimeError: full" escaped. Every result is now labelled bounds.
    m = _grid(tmp_path, k, f"grid{k}")
    table = compromise_probability(m, max_nodes=max_nodes)
    assert table.attrs["diagrams"] is False
    assert (table["method"] == "bounds").any()
    _check_rule(table)
    plan, importance = fix_first(m, max_nodes=max_nodes), control_importance(m, max_nodes=max_nodes)
    holders = [f"G{k - 1:02d}_{j:02d}" for j in range(k)]
    assert plan.attrs["inexact_holders"] == holders == importance.attrs["inexact_holders"]
    assert plan.empty and plan.attrs["expected_records_before"] == 0.0


@pytest.mark.parametrize("max_nodes", [None, 20_000])
def test_the_plan_covers_the_holders_it_can_compile_exactly(tmp_path, max_nodes):
    # Trial 17: on a 10 × 10 grid compromise_probability computes G09_00 and G09_01 exactly, yet the plan
    # left all ten holders out: their diagrams were compiled together under one node budget, the ancestors
    # of every holder interleaved, and the budget ran out before the first holder. Now the holders are
    # compiled one by one, the fewest upstream variables first. The plan's diagrams keep every control and
    # flow as a variable (importance needs them), so they are larger than compromise_probability's: at
    # 20,000 nodes G09_01's (about 49,000 nodes against 214) is left out; without a node limit both are in.
    m = _grid(tmp_path, 10, "grid10", interactive=False)
    table = compromise_probability(m, max_nodes=max_nodes).set_index("system_id")
    plan = fix_first(m, k=3, max_nodes=max_nodes)
    holders = [f"G09_{j:02d}" for j in range(10)]
    exact_holders = [h for h in holders if table.at[h, "method"] == "exact"]
    assert exact_holders == ["G09_00", "G09_01"]
    in_plan = [h for h in holders if h not in plan.attrs["inexact_holders"]]
    assert in_plan == (exact_holders if max_nodes is None else ["G09_00"])
    people = m.my_number_people
    assert plan.attrs["expected_records_before"] == pytest.approx(
        sum(table.at[h, "probability"] * people.get(h, 0) for h in in_plan), rel=1e-9)
    assert not plan.empty and plan["fall"].gt(0).all()
