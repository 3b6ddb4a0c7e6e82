"""Issue 18: files processed, not stored (``systems.csv``'s ``processes``) in the analyses.

The hand-made case of DESIGN18: the tiny model with a relay server ``WEB`` in a zone of its own between
the terminal and the register, passing the register file through (pytm's web server relaying a token).
What is kept — records at stake, the holder and retention findings, the 評価書's 保管場所 — must not change
whether or not ``WEB`` says it processes the file; what concerns transit — an unencrypted crossing, the
records an attacker on ``WEB`` could intercept — counts it. The old workaround (saying ``WEB`` holds the
file) is the contrast: it made up a holder.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from pia_analysis import load_model
from pia_analysis.analysis.coverage import stage_scope
from pia_analysis.analysis.exposure import NODE_EXPOSURE_COLUMNS, node_exposure
from pia_analysis.analysis.findings import find_findings
from pia_analysis.analysis.pipeline import analyse
from pia_analysis.charts.dataflow import dataflow_diagram, dataflow_dot
from pia_analysis.outputs.assessment_answers import assessment_answers

TINY = Path(__file__).parent / "models" / "tiny"
#: the findings about what is kept (DESIGN18's "held only" column)
HELD_RULES = ("exposed-mn-holder", "internet-reaches-mn", "mn-store-no-retain-control", "mn-outside-city",
              "mn-on-cloud-platform", "subcontractor-unapproved")


def _with_row(frame: pd.DataFrame, like: int, **values) -> pd.DataFrame:
    """``frame`` plus a copy of its row ``like`` with ``values`` changed (dtypes kept)."""
    row = frame.iloc[like].to_dict() | values
    return pd.concat([frame, pd.DataFrame([row])], ignore_index=True).astype(frame.dtypes.to_dict())


def transit_model(web_processes: bool = True, web_holds: bool = False):
    """tiny + zone DMZ + system WEB relaying REG_FILE: TERM → WEB → REG (both unencrypted, interactive)."""
    m = load_model(TINY)
    zones = _with_row(m.zones, 0, zone_id="DMZ", name_ja="中継区画", name_en="Relay segment")
    systems = _with_row(m.systems, 0, system_id="WEB", name_ja="中継サーバ", name_en="Relay server", zone_id="DMZ",
                        holds=["REG_FILE"] if web_holds else [], entry_likelihood=0.0)
    systems["processes"] = [["REG_FILE"] if (sid == "WEB" and web_processes) else [] for sid in systems["system_id"]]
    flows = m.flows.copy()
    flows.loc[flows["flow_id"] == "F1", "target"] = "WEB"
    flows = _with_row(flows, 0, flow_id="F3", source="WEB", target="REG")
    return m.replace(zones=zones, systems=systems, flows=flows)


def _held_findings(model) -> dict[str, str]:
    found = find_findings(model, include_all=True)
    found = found.loc[found["rule_id"].isin(HELD_RULES)]
    return dict(zip(found["finding_id"], found["status"]))


def test_records_at_stake_count_held_files_only():
    with_p, without = node_exposure(transit_model(True)), node_exposure(transit_model(False))
    pd.testing.assert_series_equal(with_p.set_index("system_id")["records_at_stake"],
                                   without.set_index("system_id")["records_at_stake"])
    web = with_p.set_index("system_id").loc["WEB"]
    assert web["exposure"] > 0  # reached: TERM → WEB
    assert web["records_at_stake"] == 0.0 and not web["holds_my_number"]
    assert model_people(transit_model(True))["WEB"] == 0


def model_people(model) -> dict[str, int]:
    return model.my_number_people


def test_records_in_transit_counts_processed_files():
    table = node_exposure(transit_model(True)).set_index("system_id")
    web = table.loc["WEB"]
    assert bool(web["processes_my_number"])
    assert web["records_in_transit"] == pytest.approx(web["exposure"] * 1500)  # REG_FILE's records
    assert web["records_in_transit"] > 0
    # docs/exposure.md §2b, by hand: exposure(WEB) = 0.1 · 0.5 (C1 on TERM) = 0.05; 0.05 × 1,500 = 75
    assert web["records_in_transit"] == pytest.approx(75.0) and web["records_at_stake"] == 0.0
    assert table.at["REG", "records_in_transit"] == pytest.approx(37.5) == table.at["REG", "records_at_stake"]
    # a system that processes nothing: in transit = at stake
    others = table.drop(index="WEB")
    assert (others["records_in_transit"] == others["records_at_stake"]).all()
    assert not others["processes_my_number"].any()
    # the columns close the table, after the issue-14 ones
    assert NODE_EXPOSURE_COLUMNS[-2:] == ["processes_my_number", "records_in_transit"]
    assert table["records_in_transit"].dtype == "float64" and table["processes_my_number"].dtype == "bool"


def test_a_file_both_held_and_processed_counts_as_held():
    table = node_exposure(transit_model(web_processes=True, web_holds=True)).set_index("system_id")
    web = table.loc["WEB"]
    assert bool(web["holds_my_number"]) and not bool(web["processes_my_number"])
    assert web["records_in_transit"] == web["records_at_stake"] > 0


def test_held_findings_unchanged_by_transit_and_the_workaround_invents_a_holder():
    with_p, without = _held_findings(transit_model(True)), _held_findings(transit_model(False))
    assert with_p == without
    # WEB is no holder: every held-only rule finds it not applicable
    assert {fid: st for fid, st in with_p.items() if fid.endswith("@WEB")} == {
        f"{rule}@WEB": "not_applicable" for rule in HELD_RULES if rule != "internet-reaches-mn"}
    # the old workaround: WEB "holds" the file it relays → a holder finding and a retention finding on it
    workaround = _held_findings(transit_model(web_processes=False, web_holds=True))
    assert workaround["mn-store-no-retain-control@WEB"] == "open"
    assert workaround["exposed-mn-holder@WEB"] == "open"


def test_transit_findings_count_processed_files():
    found = find_findings(transit_model(True), include_all=True).set_index("finding_id")
    # TERM (CORE) → WEB (DMZ) and WEB → REG cross a zone boundary with My Numbers, unencrypted
    assert found.at["unencrypted-crossing@F1", "status"] == "open"
    assert found.at["unencrypted-crossing@F3", "status"] == "open"


def test_retain_scope_and_storage_places_count_held_files_only():
    scope = stage_scope(transit_model(True))
    retain = scope.loc[scope["stage"] == "retain", "element"].tolist()
    assert "WEB" not in retain and "REG" in retain

    def places(model) -> list[str]:
        answers = assessment_answers(model, form="full")
        return answers.loc[answers["item_id"] == "full.II.6.1", "answer"].tolist()

    with_p, without = places(transit_model(True)), places(transit_model(False))
    assert with_p == without and with_p
    assert not any("中継サーバ" in text for text in with_p)
    assert any("中継サーバ" in text for text in places(transit_model(web_processes=False, web_holds=True)))


def test_every_analysis_unchanged_by_transit_but_the_transit_columns():
    """analyse() of the model with and without WEB's processes: equal, but for the two transit columns."""
    today = dt.date(2026, 11, 30)
    a = analyse(transit_model(True), today=today, trials=500)
    b = analyse(transit_model(False), today=today, trials=500)
    compared = 0
    for name in ("exposure", "compromise", "simulation", "loss_exceedance", "hardening", "fix_first",
                 "control_importance", "stage_coverage", "risk_coverage", "coverage_matrix", "rating_check",
                 "findings", "findings_after", "section3"):
        x, y = getattr(a, name), getattr(b, name)
        if name == "exposure":
            assert (x["records_in_transit"] > y["records_in_transit"]).any()
            x = x.drop(columns=["processes_my_number", "records_in_transit"])
            y = y.drop(columns=["processes_my_number", "records_in_transit"])
        pd.testing.assert_frame_equal(x, y, check_exact=True)
        compared += 1
    assert compared == 14 and a.min_cut == b.min_cut


def test_charts_draw_transit_dashed():
    model = transit_model(True)
    exposure = node_exposure(model)
    dot = dataflow_dot(model, exposure, "en")
    web = next(line for line in dot.splitlines() if line.strip().startswith('"WEB" ['))
    assert "dashed" in web and "#D55E00" in web and "penwidth=2" in web
    reg = next(line for line in dot.splitlines() if line.strip().startswith('"REG" ['))
    assert "dashed" not in reg and "penwidth=3" in reg  # the holder keeps its thick solid edge
    fig = dataflow_diagram(model, exposure, lang="en")
    ax = fig.axes[0]
    box = next(p for p in ax.patches if p.get_gid() == "box-WEB")
    assert box.get_linestyle() != "-" and box.get_edgecolor()[:3] != (0.2, 0.2, 0.2)
    solid = next(p for p in ax.patches if p.get_gid() == "box-REG")
    assert solid.get_linestyle() == "-"
    labels = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert any("passes through" in t for t in labels)
    # without processes the legend has no transit entry
    plain = dataflow_diagram(transit_model(False), node_exposure(transit_model(False)), lang="en")
    assert not any("passes through" in t.get_text() for leg in plain.legends for t in leg.get_texts())


TINY_TRANSIT = Path(__file__).parent / "models" / "tiny-transit"


def test_the_transit_model_read_from_its_directory():
    """tests/models/tiny-transit (the format's model): WEB in DMZ, inside CORE, processes REG_FILE."""
    model = load_model(TINY_TRANSIT)
    table = node_exposure(model).set_index("system_id")
    assert table.at["WEB", "records_at_stake"] == 0.0 and bool(table.at["WEB", "processes_my_number"])
    assert table.at["WEB", "records_in_transit"] == pytest.approx(table.at["WEB", "exposure"] * 1500)
    found = find_findings(model, include_all=True).set_index("finding_id")["status"]
    assert found["unencrypted-crossing@F1"] == "open"
    assert found["mn-store-no-retain-control@WEB"] == "not_applicable"
    assert found["exposed-mn-holder@WEB"] == "not_applicable"


def test_nested_zones_are_drawn_nested_and_analysed_flat():
    model = load_model(TINY_TRANSIT)  # DMZ's parent_zone is CORE
    dot = dataflow_dot(model, node_exposure(model), "en").splitlines()
    core = next(i for i, line in enumerate(dot) if line.strip() == 'subgraph "cluster_CORE" {')
    dmz = next(i for i, line in enumerate(dot) if line.strip() == 'subgraph "cluster_DMZ" {')
    # the DMZ cluster opens inside CORE's (one level deeper) before CORE's closes
    assert core < dmz and dot[dmz].startswith("    subgraph")
    depth = 0
    for line in dot[core:dmz]:
        depth += line.count("{") - line.count("}")
    assert depth == 1
    assert sum(line.strip() == 'subgraph "cluster_DMZ" {' for line in dot) == 1
    # the figure keeps each zone in its own frame (the columns are the analyses' zones) and says where it lies
    fig = dataflow_diagram(model, node_exposure(model), lang="en")
    label = next(t for t in fig.axes[0].texts if t.get_gid() == "zonelabel-DMZ")
    assert "inside Core" in label.get_text().replace("\n", " ")
    # analysed flat: TERM (CORE) → WEB (DMZ) crosses a boundary
    assert find_findings(model, include_all=True).set_index("finding_id").at["unencrypted-crossing@F1",
                                                                               "status"] == "open"
