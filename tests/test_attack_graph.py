"""Tests of pia_analysis.analysis.attack_graph: the one rule of movement and the reachability sweeps read it.

An attacker holding u moves to v when an arc u → v has p > 0 and q_v > 0 (docs/exposure.md, "Movement").
"""

from __future__ import annotations

from model_factory import control, file, flow, make_model, system

from pia_analysis.analysis.attack_graph import attack_graph, reachable_holdings, unreachable_pairs
from pia_analysis.analysis.exposure import blast_radius, node_exposure
from pia_analysis.analysis.findings import FindingContext


def _walled(tmp_path):
    # E → A → H (holder, 500 records); a perfect control walls F2; W holds 900 behind a system no one enters
    return make_model(tmp_path,
                      systems=[system("E", entry=0.5), system("A"), system("H", holds=["MN"]),
                               system("W", holds=["MN2"]), system("X", entry=0.2, holds=["MN3"])],
                      flows=[flow("F1", "E", "A"), flow("F2", "A", "H"), flow("F3", "E", "W", interactive=True),
                             flow("F4", "X", "A")],
                      files=[file("MN", 500), file("MN2", 900), file("MN3", 7)],
                      controls=[control("C1", ["F2"], 1.0), control("C2", ["W"], 1.0)])


def test_no_move_through_a_perfect_control_or_into_an_unenterable_system(tmp_path):
    g = attack_graph(_walled(tmp_path))
    assert not g.has_edge("A", "H")  # p = 0
    assert not g.has_edge("E", "W")  # q_W = 0
    assert g.has_edge("W", "E")  # the interactive flow's way back still moves an attacker holding W


def test_reachable_holdings_agree_with_exposure_and_blast_radius(tmp_path):
    m = _walled(tmp_path)
    reach = reachable_holdings(m)
    assert reach.to_dict() == {"A": 0, "E": 0, "H": 500, "W": 900, "X": 7}
    exposure = node_exposure(m).set_index("system_id")
    assert exposure.at["H", "exposure"] == 0.0 and exposure.at["W", "exposure"] == 0.0
    assert set(blast_radius(m, "E").systems["system_id"]) == {"E", "A"}


def test_unreachable_pairs_follow_the_same_moves(tmp_path):
    m = _walled(tmp_path)
    pairs = unreachable_pairs(m)
    # the city-run holders are H, W and X; E reaches none of them, X holds its own file
    assert pairs.values.tolist() == [["E", "H"], ["E", "W"], ["E", "X"]]
    assert list(pairs.columns) == ["entry_point", "holder"]


def test_findings_read_the_same_reachable_records(tmp_path):
    m = _walled(tmp_path)
    ctx = FindingContext(m)
    # E's flows lead only to A (F2 is walled, W cannot be entered): no My Number records within reach
    assert [ctx.mn_records_reachable(s) for s in ("E", "A", "H", "W", "X")] == [0, 0, 500, 900, 7]
