"""Tests of pia_analysis.analysis.exposure: every expected number is computed by hand in the test from the
formulas of docs/exposure.md (p_f and q_v = Π (1 − effectiveness) of implemented controls;
path = e_s · q_s · Π p_arc · q_next)."""

from __future__ import annotations

import json
import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from model_factory import control, file, flow, make_model, system

from pia_analysis import bundled_model_path, load_model
from pia_analysis.analysis import exposure as ex
from pia_analysis.cli import main
from pia_analysis.analysis.attack_graph import attack_graph
from pia_analysis.analysis.exposure import attack_paths, blast_radius, node_exposure
from pia_analysis.analysis.hardening import hardening_candidates, min_cut, min_cut_flows
from pia_analysis.analysis.simulation import simulate_compromise, wilson_interval


def by_id(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index("system_id")


@pytest.fixture(scope="module")
def kitakyushu():
    return load_model(bundled_model_path())


@pytest.fixture
def chain(tmp_path):
    """E (entry 0.5, zone Z1) → A → B (zone Z2, holds MN of 1,000 records) with controls on each kind of element."""
    return make_model(
        tmp_path,
        systems=[system("E", zone="Z1", entry=0.5), system("A", zone="Z2"), system("B", zone="Z2", holds=["MN"])],
        flows=[flow("F1", "E", "A"), flow("F2", "A", "B")],
        controls=[control("C1", ["F1"], 0.2), control("C2", ["A"], 0.5), control("C3", ["B"], 0.1),
                  control("C4", ["E"], 0.4)],
    )


# ---------------------------------------------------------------------------------------------------
# node_exposure on hand-made models


def test_chain_exposure_by_hand(chain):
    t = by_id(node_exposure(chain))
    q_e, p_f1, q_a, p_f2, q_b = 1 - 0.4, 1 - 0.2, 1 - 0.5, 1.0, 1 - 0.1
    assert t.at["E", "exposure"] == pytest.approx(0.5 * q_e)
    assert t.at["A", "exposure"] == pytest.approx(0.5 * q_e * p_f1 * q_a)  # 0.12
    assert t.at["B", "exposure"] == pytest.approx(0.5 * q_e * p_f1 * q_a * p_f2 * q_b)  # 0.108
    assert t.at["B", "path"] == ["E", "A", "B"]
    assert t.at["B", "entry_point"] == "E"
    assert t.at["B", "zone_crossings"] == 1  # Z1 → Z2 once
    assert t.at["A", "zone_crossings"] == 1 and t.at["E", "zone_crossings"] == 0
    assert t.at["B", "records_at_stake"] == pytest.approx(0.108 * 1000)
    assert t.at["A", "records_at_stake"] == 0.0
    assert bool(t.at["B", "holds_my_number"]) and not bool(t.at["A", "holds_my_number"])
    assert t["reached_by"].tolist() == [1, 1, 1]


def test_columns_dtypes_and_order(chain):
    t = node_exposure(chain)
    assert list(t.columns) == ["system_id", "name_ja", "name_en", "zone_id", "exposure", "path", "entry_point",
                               "zone_crossings", "records_at_stake", "holds_my_number", "reached_by", "betweenness",
                               "processes_my_number", "records_in_transit"]  # issue 18's transit columns last
    assert t["system_id"].tolist() == ["E", "A", "B"]  # exposure descending
    assert t["exposure"].dtype == "float64" and t["holds_my_number"].dtype == bool
    assert t["reached_by"].dtype == "int64" and t["zone_crossings"].dtype == "int64"
    assert t.index.tolist() == [0, 1, 2]


def test_one_way_flow_is_not_climbed_back(tmp_path):
    m = make_model(tmp_path, systems=[system("A"), system("B", entry=0.4), system("C")],
                   flows=[flow("F1", "A", "B"), flow("F2", "C", "B", interactive=True)])
    t = by_id(node_exposure(m))
    assert t.at["A", "exposure"] == 0.0  # A → B is a one-way feed: B's attacker cannot go up it
    assert t.at["A", "path"] == [] and t.at["A", "entry_point"] == ""
    assert t.at["A", "reached_by"] == 0 and t.at["A", "records_at_stake"] == 0.0
    assert t.at["C", "exposure"] == pytest.approx(0.4)  # the interactive flow is climbed back
    assert t.at["C", "path"] == ["B", "C"]
    g = attack_graph(m)
    assert not g.has_edge("B", "A")
    assert g.edges["B", "C"]["direction"] == "reverse" and g.edges["C", "B"]["direction"] == "forward"


def test_two_entry_points_keep_the_most_likely(tmp_path):
    m = make_model(tmp_path, systems=[system("E1", entry=0.1), system("E2", entry=0.4), system("T", holds=["MN"])],
                   flows=[flow("F1", "E1", "T"), flow("F2", "E2", "T")], controls=[control("C1", ["F2"], 0.9)])
    t = by_id(node_exposure(m))
    # via E1: 0.1; via E2: 0.4 · (1 − 0.9) = 0.04
    assert t.at["T", "exposure"] == pytest.approx(0.1)
    assert t.at["T", "entry_point"] == "E1"
    assert t.at["T", "reached_by"] == 2
    assert t.at["E2", "exposure"] == pytest.approx(0.4)  # an entry point: at least e·q, path [itself]
    assert t.at["E2", "path"] == ["E2"]


def test_entry_point_reached_more_easily_from_elsewhere(tmp_path):
    m = make_model(tmp_path, systems=[system("E1", entry=0.9), system("E2", entry=0.1)],
                   flows=[flow("F1", "E1", "E2")])
    t = by_id(node_exposure(m))
    assert t.at["E2", "exposure"] == pytest.approx(0.9)  # ≥ e·q = 0.1, but E1 gets there with 0.9
    assert t.at["E2", "path"] == ["E1", "E2"]


def test_control_on_system_versus_on_flow(tmp_path):
    systems = [system("E", entry=1.0), system("A"), system("B")]
    flows = [flow("F1", "E", "A"), flow("F2", "E", "B"), flow("F3", "A", "B", interactive=True)]
    m = make_model(tmp_path, systems=systems, flows=flows, controls=[control("C1", ["A"], 0.5), control("C2", ["F2"], 0.5)])
    t = by_id(node_exposure(m))
    # A control on system A guards every way into A (F1 and F3), one on flow F2 only that flow:
    # A: max(E→A = 0.5, E→B→A = 0.5 · 0.5) = 0.5;  B: max(E→B = 0.5, E→A→B = 0.5 · 1) = 0.5
    assert t.at["A", "exposure"] == pytest.approx(0.5)
    assert t.at["B", "exposure"] == pytest.approx(0.5)
    # Tie for B between [E, A, B] and [E, B]: the lexicographically smaller path wins.
    assert t.at["B", "path"] == ["E", "A", "B"]
    g = attack_graph(m)
    assert g.nodes["A"]["q"] == pytest.approx(0.5) and g.nodes["B"]["q"] == 1.0
    assert g.edges["E", "B"]["p"] == pytest.approx(0.5) and g.edges["E", "A"]["p"] == 1.0


def test_parallel_flows_keep_the_easiest_arc(tmp_path):
    m = make_model(tmp_path, systems=[system("A", entry=1.0), system("B")],
                   flows=[flow("F1", "A", "B"), flow("F2", "A", "B", interactive=True)],
                   controls=[control("C1", ["F1"], 0.8), control("C2", ["F2"], 0.5)])
    g = attack_graph(m)
    assert g.edges["A", "B"]["p"] == pytest.approx(0.5)  # F2 (0.5) beats F1 (0.2)
    assert g.edges["A", "B"]["flow_id"] == "F2" and g.edges["A", "B"]["direction"] == "forward"
    assert g.edges["B", "A"]["flow_id"] == "F2" and g.edges["B", "A"]["direction"] == "reverse"
    assert g.number_of_edges() == 2
    assert by_id(node_exposure(m)).at["B", "exposure"] == pytest.approx(0.5)


def test_cycle_terminates_with_simple_paths(tmp_path):
    m = make_model(tmp_path, systems=[system("A", entry=0.5), system("B"), system("C")],
                   flows=[flow("F1", "A", "B", interactive=True), flow("F2", "B", "C"), flow("F3", "C", "A")],
                   controls=[control("C1", ["F1"], 0.5), control("C2", ["C"], 0.2)])
    t = by_id(node_exposure(m))
    assert t.at["B", "exposure"] == pytest.approx(0.5 * 0.5)
    assert t.at["C", "exposure"] == pytest.approx(0.5 * 0.5 * 0.8)
    assert t.at["A", "exposure"] == pytest.approx(0.5) and t.at["A", "path"] == ["A"]
    for path in t["path"]:
        assert len(path) == len(set(path))


def test_planned_control_and_star_control_are_ignored(tmp_path):
    systems = [system("E", entry=0.5), system("T")]
    base = make_model(tmp_path, systems=systems, flows=[flow("F1", "E", "T")], name="base")
    ignored = make_model(tmp_path, systems=systems, flows=[flow("F1", "E", "T")], name="ignored",
                         controls=[control("P1", ["F1"], 0.9, status="planned"),
                                   control("M1", ["T"], 0.9, status="missing"),
                                   control("ORG", ["*"], 0.9)])
    implemented = make_model(tmp_path, systems=systems, flows=[flow("F1", "E", "T")], name="implemented",
                             controls=[control("P1", ["F1"], 0.9)])
    assert by_id(node_exposure(ignored)).at["T", "exposure"] == pytest.approx(0.5)
    assert node_exposure(ignored)["exposure"].tolist() == node_exposure(base)["exposure"].tolist()
    assert by_id(node_exposure(implemented)).at["T", "exposure"] == pytest.approx(0.5 * 0.1)


def test_controls_multiply(tmp_path):
    m = make_model(tmp_path, systems=[system("E", entry=1.0), system("T")], flows=[flow("F1", "E", "T")],
                   controls=[control("C1", ["F1", "T"], 0.5), control("C2", ["F1"], 0.2)])
    # p = (1 − 0.5)(1 − 0.2) = 0.4 and q_T = 0.5
    assert by_id(node_exposure(m)).at["T", "exposure"] == pytest.approx(0.4 * 0.5)


def test_perfect_controls_remove_arcs_and_systems(tmp_path):
    m = make_model(tmp_path, systems=[system("E", entry=0.5), system("A"), system("B"), system("C")],
                   flows=[flow("F1", "E", "A"), flow("F2", "E", "B"), flow("F3", "B", "C")],
                   controls=[control("C1", ["F1"], 1.0), control("C2", ["B"], 1.0)])
    t = by_id(node_exposure(m))
    assert t.loc[["A", "B", "C"], "exposure"].tolist() == [0.0, 0.0, 0.0]
    assert t.loc[["A", "B", "C"], "reached_by"].tolist() == [0, 0, 0]
    assert not attack_graph(m).has_edge("E", "A")  # p = 0: no arc (and no log 0)


def test_ties_are_sorted_by_system_id(tmp_path):
    m = make_model(tmp_path, systems=[system("Z", entry=0.3), system("M", entry=0.3), system("A", entry=0.3)])
    assert node_exposure(m)["system_id"].tolist() == ["A", "M", "Z"]


def test_betweenness_is_networkx_on_the_attack_graph(chain):
    t = by_id(node_exposure(chain))
    expected = nx.betweenness_centrality(attack_graph(chain), normalized=True)
    assert t["betweenness"].to_dict() == pytest.approx(expected)
    assert t.at["A", "betweenness"] == pytest.approx(0.5)  # E → B passes A; 1 / ((3−1)(3−2)) normalised


def test_betweenness_sampled_above_the_limit_is_deterministic(chain, monkeypatch):
    monkeypatch.setattr(ex, "BETWEENNESS_EXACT_MAX_NODES", 2)
    monkeypatch.setattr(ex, "BETWEENNESS_SAMPLES", 2)
    first, second = node_exposure(chain), node_exposure(chain)
    pd.testing.assert_frame_equal(first, second)


def test_row_order_does_not_change_results(tmp_path):
    systems = [system("E1", zone="OUT", entry=0.5), system("E2", zone="OUT", entry=0.5), system("H"),
               system("T1", holds=["MN"]), system("T2", holds=["MN", "OTHER"]), system("X", zone="Q")]
    flows = [flow("F1", "E2", "H"), flow("F2", "E1", "H"), flow("F3", "H", "T1", interactive=True),
             flow("F4", "H", "T2"), flow("F5", "T1", "X"), flow("F6", "T2", "X"), flow("F7", "H", "T2")]
    controls = [control("C1", ["F3", "T2"], 0.3), control("C2", ["F3"], 0.2), control("C3", ["X", "F4"], 0.5),
                control("C4", ["F7"], 0.5), control("C5", ["*"], 0.0)]
    files = [file("MN", 500), file("OTHER", 9000, my_number=False)]
    a = make_model(tmp_path, systems, flows, controls, files, name="a")
    b = make_model(tmp_path, systems, flows, controls, files, name="b", shuffle=7)
    assert a.systems["system_id"].tolist() != b.systems["system_id"].tolist()  # the shuffle did something
    pd.testing.assert_frame_equal(node_exposure(a), node_exposure(b))
    assert by_id(node_exposure(a)).at["H", "path"] == ["E1", "H"]  # E1 and E2 tie: the smaller id wins
    pd.testing.assert_frame_equal(attack_paths(a, "X", k=5), attack_paths(b, "X", k=5))
    pd.testing.assert_frame_equal(simulate_compromise(a, 5000, seed=3), simulate_compromise(b, 5000, seed=3))
    pd.testing.assert_frame_equal(hardening_candidates(a), hardening_candidates(b))
    assert nx.utils.edges_equal(attack_graph(a).edges(data=True), attack_graph(b).edges(data=True))


# ---------------------------------------------------------------------------------------------------
# attack_paths and blast_radius


def test_attack_paths_ranked(tmp_path):
    m = make_model(tmp_path, systems=[system("E1", entry=0.5), system("E2", entry=0.2), system("A"), system("T")],
                   flows=[flow("F1", "E1", "A"), flow("F2", "A", "T"), flow("F3", "E1", "T"), flow("F4", "E2", "T")],
                   controls=[control("C1", ["F3"], 0.9)])
    paths = attack_paths(m, "T", k=5)
    assert list(paths.columns) == ["rank", "entry_point", "path", "probability", "zone_crossings"]
    assert paths["path"].tolist() == [["E1", "A", "T"], ["E2", "T"], ["E1", "T"]]  # only 3 exist
    assert paths["probability"].tolist() == pytest.approx([0.5, 0.2, 0.05])
    assert paths["rank"].tolist() == [1, 2, 3]
    assert paths.iloc[0]["probability"] == by_id(node_exposure(m)).at["T", "exposure"]
    assert len(attack_paths(m, "T", k=1)) == 1
    assert attack_paths(m, "E2", k=3)["path"].tolist() == [["E2"]]


def test_attack_paths_unreachable_and_unknown(tmp_path):
    m = make_model(tmp_path, systems=[system("E", entry=0.5), system("T")], flows=[flow("F1", "T", "E")])
    assert attack_paths(m, "T").empty
    with pytest.raises(ValueError, match="NOPE"):
        attack_paths(m, "NOPE")
    with pytest.raises(ValueError):
        attack_paths(m, "T", k=0)


def test_blast_radius_counts_each_file_once(tmp_path):
    m = make_model(tmp_path,
                   systems=[system("V", holds=["MN"]), system("A", holds=["MN", "BIG"]), system("B", holds=["MN2"]),
                            system("UP"), system("SHUT", holds=["MN3"])],
                   flows=[flow("F1", "V", "A", interactive=True), flow("F2", "A", "B"), flow("F3", "UP", "V"),
                          flow("F4", "B", "SHUT")],
                   files=[file("MN", 100), file("BIG", 5000, my_number=False), file("MN2", 300), file("MN3", 7)],
                   controls=[control("C1", ["F2"], 0.5), control("C2", ["SHUT"], 1.0)])
    br = blast_radius(m, "V")
    # not UP (one-way into V), not SHUT (q = 0); A and V tie at probability 1: by id
    assert br.systems["system_id"].tolist() == ["A", "V", "B"]
    assert by_id(br.systems).at["B", "probability"] == pytest.approx(0.5)
    assert by_id(br.systems).at["V", "hops"] == 0 and by_id(br.systems).at["B", "hops"] == 2
    assert br.files["file_id"].tolist() == ["BIG", "MN", "MN2"]
    assert by_id(br.files.rename(columns={"file_id": "system_id"})).at["MN", "held_at"] == ["A", "V"]
    assert br.total_records == 100 + 5000 + 300
    assert br.my_number_records == 100 + 300
    assert br.max_records == 5000
    with pytest.raises(ValueError):
        blast_radius(m, "NOPE")


# ---------------------------------------------------------------------------------------------------
# Monte Carlo


def test_wilson_interval_known_values():
    low, high = wilson_interval(np.array([0, 10, 100]), 100)
    # k = 0: [0, z²/(n + z²)]; k = n: [n/(n + z²), 1]
    z2 = 1.959963984540054 ** 2
    assert low[0] == 0.0 and high[0] == pytest.approx(z2 / (100 + z2))
    assert low[2] == pytest.approx(100 / (100 + z2)) and high[2] == 1.0
    assert (low[1], high[1]) == pytest.approx((0.0552, 0.1744), abs=1e-4)


def test_monte_carlo_matches_exact_probability(tmp_path):
    # Two paths E → A → T and E → B → T: P(T) = e·q_E·q_T·(1 − (1 − a)(1 − b)) with
    # a = p_EA·q_A·p_AT = 0.5 and b = p_EB·q_B·p_BT = 0.5 · 0.6 = 0.3.
    m = make_model(tmp_path, systems=[system("E", entry=0.6), system("A"), system("B"), system("T")],
                   flows=[flow("F1", "E", "A"), flow("F2", "E", "B"), flow("F3", "A", "T"), flow("F4", "B", "T")],
                   controls=[control("C1", ["F1"], 0.5), control("C2", ["B"], 0.5), control("C3", ["F4"], 0.4),
                             control("C4", ["T"], 0.2)])
    n = 40_000
    sim = by_id(simulate_compromise(m, trials=n, seed=11))
    exact = {"E": 0.6, "A": 0.6 * 0.5, "B": 0.6 * 0.5, "T": 0.6 * 0.8 * (1 - 0.5 * 0.7)}
    for sid, p in exact.items():
        assert abs(sim.at[sid, "probability"] - p) < 5 * math.sqrt(p * (1 - p) / n), sid
    # exposure is the single best path (0.6 · 0.5 · 0.8 = 0.24), below the union probability 0.312
    t = by_id(node_exposure(m))
    assert t.at["T", "exposure"] == pytest.approx(0.24)
    assert t.at["T", "exposure"] < sim.at["T", "ci_low"]


def test_monte_carlo_bound_and_zeros(tmp_path):
    m = make_model(tmp_path, systems=[system("E", entry=0.3), system("A"), system("UP"), system("OFF")],
                   flows=[flow("F1", "E", "A", interactive=True), flow("F2", "UP", "E"), flow("F3", "A", "OFF")],
                   controls=[control("C1", ["F1"], 0.3), control("C2", ["OFF"], 1.0)])
    raw = simulate_compromise(m, trials=20_000, seed=0)
    assert raw["system_id"].tolist() == sorted(raw["system_id"])
    sim = by_id(raw)
    t = by_id(node_exposure(m)).loc[sim.index]
    assert (t["exposure"] <= sim["ci_high"]).all()
    for sid in ("UP", "OFF"):  # unreached: both measures are exactly 0
        assert t.at[sid, "exposure"] == 0.0 and sim.at[sid, "probability"] == 0.0 and sim.at[sid, "ci_low"] == 0.0
    assert (sim["trials"] == 20_000).all()


def test_monte_carlo_bound_on_kitakyushu(kitakyushu):
    sim = by_id(simulate_compromise(kitakyushu, trials=50_000, seed=0))
    t = by_id(node_exposure(kitakyushu)).loc[sim.index]
    assert (t["exposure"] <= sim["ci_high"]).all()
    # unreachable systems are never compromised; a compromised one is always reachable. (A reachable
    # system may go unsampled when its probability is far below 1 / trials, so no equivalence.)
    assert (sim.loc[t["exposure"] == 0, "probability"] == 0).all()
    assert (t.loc[sim["probability"] > 0, "exposure"] > 0).all()
    assert list(simulate_compromise(kitakyushu, trials=10).columns) == ["system_id", "probability", "ci_low",
                                                                        "ci_high", "trials"]


def test_monte_carlo_is_deterministic_and_chunk_independent(chain):
    a = simulate_compromise(chain, trials=3000, seed=5)
    pd.testing.assert_frame_equal(a, simulate_compromise(chain, trials=3000, seed=5))
    pd.testing.assert_frame_equal(a, simulate_compromise(chain, trials=3000, seed=5, chunk=131))
    assert not a.equals(simulate_compromise(chain, trials=3000, seed=6))
    assert a["system_id"].tolist() == ["A", "B", "E"]
    with pytest.raises(ValueError):
        simulate_compromise(chain, trials=0)


def test_monte_carlo_certain_elements(tmp_path):
    m = make_model(tmp_path, systems=[system("E", entry=1.0), system("T")], flows=[flow("F1", "E", "T")])
    sim = by_id(simulate_compromise(m, trials=130, seed=0))  # nothing to draw; 130 is not a multiple of 64
    assert sim["probability"].tolist() == [1.0, 1.0]
    assert sim["ci_high"].tolist() == [1.0, 1.0]


# ---------------------------------------------------------------------------------------------------
# hardening


@pytest.fixture
def funnel(tmp_path):
    """Two entry points feed H; a single flow H → X leads on to both My Number holders."""
    return make_model(
        tmp_path,
        systems=[system("E1", entry=0.5), system("E2", entry=0.2), system("H"), system("X"),
                 system("T1", holds=["MN"]), system("T2", holds=["MN"])],
        flows=[flow("F1", "E1", "H"), flow("F2", "E2", "H"), flow("F3", "H", "X"), flow("F4", "X", "T1"),
               flow("F5", "X", "T2")],
        controls=[control("C1", ["F4"], 0.5)],
    )


def test_min_cut_single_funnel_flow(funnel):
    cut = min_cut(funnel)
    assert cut.flows == ("F3",) and cut.size == 1
    assert cut.uncuttable_entry_points == ()
    assert min_cut_flows(funnel) == ["F3"]


def test_hardening_drops_by_hand(funnel):
    h = hardening_candidates(funnel)
    assert list(h.columns) == ["flow_id", "source", "target", "in_min_cut", "exposure_drop_sum", "exposure_drop_max"]
    # before: T1 = 0.5 · 0.5 = 0.25, T2 = 0.5 (both from E1)
    # F3 blocked: both 0 → drops 0.25 + 0.5; F1 blocked: E2 takes over, T1 = 0.1, T2 = 0.2 → 0.15 + 0.3
    # F4 blocked: T1 → 0 (0.25); F5 blocked: T2 → 0 (0.5); F2 is on no best path (0)
    assert h["flow_id"].tolist() == ["F3", "F5", "F1", "F4", "F2"]
    drops = h.set_index("flow_id")
    assert drops.loc[["F3", "F5", "F1", "F4", "F2"], "exposure_drop_sum"].tolist() == pytest.approx([0.75, 0.5, 0.45, 0.25, 0])
    assert drops.loc[["F3", "F5", "F1", "F4", "F2"], "exposure_drop_max"].tolist() == pytest.approx([0.5, 0.5, 0.3, 0.25, 0])
    assert drops["in_min_cut"].tolist() == [True, False, False, False, False]
    assert h.attrs["min_cut_size"] == 1 and h.attrs["uncuttable_entry_points"] == []


def test_min_cut_counts_interactive_flow_once_and_parallel_flows_each(tmp_path):
    m = make_model(tmp_path, systems=[system("E", entry=0.5), system("A"), system("T", holds=["MN"])],
                   flows=[flow("F1", "E", "A", interactive=True), flow("F2", "A", "T"), flow("F3", "A", "T", interactive=True)])
    # Cutting E ↔ A costs one flow; A → T would cost two parallel flows.
    assert min_cut(m).flows == ("F1",)


def test_min_cut_reports_entry_point_holding_my_numbers(tmp_path):
    m = make_model(tmp_path,
                   systems=[system("E1", entry=0.5), system("E3", entry=0.1, holds=["MN"]), system("H"),
                            system("T", holds=["MN"]), system("SAFE", holds=["MN"])],
                   flows=[flow("F1", "E1", "H"), flow("F2", "H", "T"), flow("F6", "E3", "H"), flow("F7", "E3", "T"),
                          flow("F8", "E1", "SAFE")],
                   controls=[control("C1", ["SAFE"], 1.0)])  # SAFE cannot be entered: no cut needed there
    cut = min_cut(m)
    assert cut.uncuttable_entry_points == ("E3",)
    assert cut.flows == ("F2", "F7")  # E3 still has to be cut off from T
    assert cut.holders == ("E3", "T")
    assert hardening_candidates(m).attrs["uncuttable_entry_points"] == ["E3"]


def test_min_cut_with_nothing_to_cut(tmp_path):
    m = make_model(tmp_path, systems=[system("E", entry=0.5), system("T", holds=["MN"])], flows=[flow("F1", "T", "E")])
    assert min_cut(m).flows == ()
    assert not hardening_candidates(m)["in_min_cut"].any()


# ---------------------------------------------------------------------------------------------------
# CLI


def test_cli_exposure_json(chain, capsys):
    code = main(["exposure", str(chain.path), "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0
    records = json.loads(out)
    assert [r["system_id"] for r in records] == ["E", "A", "B"]
    keys = [(-r["exposure"], r["system_id"]) for r in records]
    assert keys == sorted(keys)
    assert records[2]["path"] == ["E", "A", "B"] and records[2]["holds_my_number"] is True
    assert records[2]["exposure"] == pytest.approx(0.108)


def test_cli_exposure_table_on_bundled_model(capsys):
    assert main(["exposure", str(bundled_model_path())]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("---"))  # the header may wrap
    assert lines[rule + 1].split()[0] == "STORE_KIOSK"


# ---------------------------------------------------------------------------------------------------
# the Kitakyushu model


def test_kitakyushu_register_not_reachable_from_store_kiosk(kitakyushu):
    # F17 JUKI_REC → CONV_SRV is a one-way batch feed: the kiosk's paths end at the issuance server.
    br = blast_radius(kitakyushu, "STORE_KIOSK")
    assert set(br.systems["system_id"]) == {"STORE_KIOSK", "JLIS_CENTRE", "CONV_SRV"}
    assert "JUKI_REC" not in set(br.systems["system_id"])
    g = attack_graph(kitakyushu)
    assert g.has_edge("JUKI_REC", "CONV_SRV") and not g.has_edge("CONV_SRV", "JUKI_REC")
    assert "STORE_KIOSK" not in set(attack_paths(kitakyushu, "JUKI_REC", k=50)["entry_point"])
    assert "STORE_KIOSK" in set(attack_paths(kitakyushu, "CONV_SRV", k=50)["entry_point"])


def test_kitakyushu_register_exposure_by_hand(kitakyushu):
    t = by_id(node_exposure(kitakyushu))
    # VENDOR_TERM: e 0.05, no technical control (C-CONTRACT is organisational, effectiveness 0); F20: p 1;
    # JUKI_REC: q 0.5 (C-STAFF-AUTH; C-LOG-AUDIT is only planned)
    assert t.at["JUKI_REC", "exposure"] == pytest.approx(0.05 * 1.0 * 1.0 * 0.5)
    assert t.at["JUKI_REC", "path"] == ["VENDOR_TERM", "JUKI_REC"]
    # the kiosk: e 0.3; F18 p = 0.2 · 0.1 · 0.8 (firewall, PIN, suspension); the centre q 0.5 (C-JLIS-STANDARD)
    assert t.at["JLIS_CENTRE", "exposure"] == pytest.approx(0.3 * 0.2 * 0.1 * 0.8 * 0.5)
    assert t.at["JUKI_REC", "records_at_stake"] == pytest.approx(0.025 * 932000)
    assert (t["reached_by"] > 0).all()  # every system is reachable from some entry point
    assert t["holds_my_number"].sum() == 9


def test_records_at_stake_count_only_my_number_files_as_the_people_beside_them(tmp_path, capsys):
    """A log of 12,000 lines without My Numbers beside a 3,012-person register: the expected value is the
    exposure × 3,012 (the people held), never × 12,000; the CLI's 期待値 = 曝露 × 保有人数 holds row by row."""
    from pia_analysis.outputs.briefing import exposure_with_people

    model = make_model(tmp_path, [system("E", entry=0.5), system("T", holds=["REG", "LOG"]),
                                  system("L", holds=["LOG"])],
                       [flow("F1", "E", "T"), flow("F2", "E", "L")],
                       files=[file("REG", records=3012), file("LOG", records=12000, my_number=False)])
    for m in (model, load_model(bundled_model_path())):
        table = exposure_with_people(m, node_exposure(m))
        expected = table["exposure"] * table["people_if_reached"]
        assert np.allclose(table["records_at_stake"], expected), table[["system_id", "records_at_stake"]]
    row = node_exposure(model).set_index("system_id")
    assert row.at["T", "records_at_stake"] == pytest.approx(0.5 * 3012)
    assert row.at["L", "records_at_stake"] == 0  # a log file alone puts no My Number record at stake
    assert main(["exposure", str(model.path)]) == 0
    out = capsys.readouterr().out
    assert "期待値 = 曝露（年間確率）× 保有人数" in out
    numbers = {x.split()[0]: x.replace(",", "").split()[-2:] for x in out.splitlines() if x.split()[:1] in (["T"], ["L"])}
    assert numbers == {"T": ["3012", "1506"], "L": ["0", "0"]}, out


def test_min_cut_sink_side_is_networkx_partition():
    """SciPy's maximum flow gives the very sink side networkx.minimum_cut gives, on random networks.

    The set of nodes that reach the sink in the residual network is the same for every maximum flow, so the
    compiled flow (hardening._sink_side) must return networkx's partition exactly, value included.
    """
    import random

    import networkx as nx

    from pia_analysis.analysis import hardening

    rng = random.Random(17)
    for _ in range(200):
        n = rng.randint(2, 12)
        g = nx.DiGraph()
        g.add_nodes_from([hardening.SUPER_SOURCE, *range(n), hardening.SUPER_SINK])
        for node in rng.sample(range(n), rng.randint(1, n)):
            g.add_edge(hardening.SUPER_SOURCE, node)  # unlimited, as the entry points' arcs
        for node in rng.sample(range(n), rng.randint(1, n)):
            g.add_edge(node, hardening.SUPER_SINK)
        for _arc in range(rng.randint(0, 3 * n)):
            a, b = rng.randrange(n), rng.randrange(n)
            if a != b:
                g.add_edge(a, b, capacity=rng.randint(1, 3))
        if any(g.has_edge(hardening.SUPER_SOURCE, v) and g.has_edge(v, hardening.SUPER_SINK) for v in range(n)):
            continue  # an unlimited path: min_cut leaves such entry points out (uncuttable)
        value, (_s, side_t) = nx.minimum_cut(g, hardening.SUPER_SOURCE, hardening.SUPER_SINK)
        assert hardening._sink_side(g) == (value, side_t)
