"""The findings rule engine: every rule firing (open), answered (mitigated) and not applicable."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pandas as pd
import pytest

from coverage_models import build, control, file, flow, small_tables, system, zone
from pia_analysis import bundled_model_path, load_model
from pia_analysis.analysis import findings as findings_module
from pia_analysis.catalog import risk_catalog
from pia_analysis.cli import main
from pia_analysis.analysis.findings import (
    LINDDUN,
    find_findings,
    findings_summary,
    impact_level,
    likelihood_level,
    risk_level_grid,
    risk_level_of,
    rules,
)

ZONES = [zone("CORE"), zone("OUT", "contractor"), zone("PUB", "resident"), zone("JL", "jlis"),
         zone("SUB", "subcontractor"), zone("NET", internet=True)]
FILES = [file("F1", 5000), file("F2", 400_000, my_number=False)]


def model_of(tmp_path: Path, systems, flows=(), controls=(), ratings=(), files=FILES, zones=ZONES):
    return build(tmp_path, {"zones": list(zones), "systems": list(systems), "files": list(files),
                            "flows": list(flows), "controls": list(controls), "ratings": list(ratings)})


def statuses(model, rule_id: str, **kwargs) -> dict[str, str]:
    found = find_findings(model, include_all=True, **kwargs)
    sub = found.loc[found["rule_id"] == rule_id]
    return dict(zip(sub["element"], sub["status"]))


def finding(model, finding_id: str, **kwargs) -> pd.Series:
    return find_findings(model, include_all=True, **kwargs).set_index("finding_id").loc[finding_id]


# --- the rule table and the grid -------------------------------------------------------------------


def test_rule_table_is_complete():
    table = rules()
    assert len(table) >= 10 and table["rule_id"].is_unique
    assert not table["rule_id"].str.contains("@").any()
    for col in ("title_ja", "title_en", "explanation_ja", "explanation_en", "applicability_ja",
                "applicability_en", "mitigated_by_ja", "mitigated_by_en"):
        assert (table[col].str.len() > 0).all(), col
    assert set(table["linddun"].dropna()) <= set(LINDDUN)
    known = set(risk_catalog()["risk_id"])
    assert all(set(ids) <= known for ids in table["risk_ids"])
    assert set(table["stage"]) <= {"", "acquire", "use", "outsource", "provide", "network", "retain"}


def test_no_rule_is_a_string_to_evaluate():
    source = inspect.getsource(findings_module)
    assert "eval(" not in source and "exec(" not in source


def test_risk_level_grid_is_monotone_and_documented_values():
    grid = risk_level_grid()
    assert grid.shape == (4, 4)
    assert (grid.diff(axis=0).fillna(0) >= 0).all().all() and (grid.diff(axis=1).fillna(0) >= 0).all().all()
    assert [risk_level_of(1, 1), risk_level_of(1, 4), risk_level_of(2, 3), risk_level_of(3, 3), risk_level_of(4, 4)] == [1, 2, 3, 4, 4]
    assert [likelihood_level(p) for p in (0.0009, 0.001, 0.01, 0.1)] == [1, 2, 3, 4]
    assert [impact_level(n) for n in (999, 1000, 9999, 10_000, 299_999, 300_000)] == [1, 2, 2, 3, 3, 4]


# --- rule 1: unencrypted crossing ------------------------------------------------------------------


def test_unencrypted_crossing(tmp_path):
    systems = [system("A", "CORE", holds=["F1", "F2"]), system("B", "CORE"),
               system("C", "OUT", operator="contractor", holds=["F1"]), system("D", "PUB", operator="resident")]
    flows = [flow("X1", "A", "C", "outsource", ["F1"]),                      # crosses, clear → open
             flow("X2", "A", "C", "provide", ["F1"], encrypted=True),          # crosses, encrypted → mitigated
             flow("X3", "A", "B", "use", ["F1"]),                              # same zone
             flow("X4", "D", "A", "acquire", ["F1"], channel="窓口（届出書）"),  # in person: out of the rule
             flow("X5", "A", "C", "outsource", ["F2"])]                        # no My Number file
    model = model_of(tmp_path, systems, flows)
    assert statuses(model, "unencrypted-crossing") == {"X1": "open", "X2": "mitigated", "X3": "not_applicable",
                                                       "X4": "not_applicable", "X5": "not_applicable"}
    x1 = finding(model, "unencrypted-crossing@X1")
    # city → contractor zone: likelihood 3; 5,000 records: impact 2; grid → 3
    assert (x1["likelihood"], x1["impact"], x1["risk_level"]) == (3, 2, 3)
    assert x1["stage"] == "outsource" and x1["risk_ids"] == ["outsource-1"]
    assert "X1" in x1["detail_en"] and "5,000" in x1["detail_ja"]
    assert finding(model, "unencrypted-crossing@X2")["risk_ids"] == ["provide-2"]


# --- rule 2: My Number file outside the city -------------------------------------------------------


def test_my_number_outside_the_city(tmp_path):
    systems = [system("A", "CORE", holds=["F1"]), system("C", "OUT", operator="contractor", holds=["F1"]),
               system("J", "JL", operator="jlis", holds=["F1"]), system("K", "OUT", operator="contractor", holds=["F1"]),
               system("N", "OUT", operator="contractor")]
    controls = [control("S1", ["retain-1"], ["K"]), control("S2", ["retain-1"], ["*"]),
                control("S3", ["retain-3"], ["J"], status="planned")]
    model = model_of(tmp_path, systems, controls=controls)
    assert statuses(model, "mn-outside-city") == {"A": "not_applicable", "C": "open", "J": "open", "K": "mitigated",
                                                  "N": "not_applicable"}
    assert finding(model, "mn-outside-city@C")["likelihood"] == 3
    assert finding(model, "mn-outside-city@J")["likelihood"] == 2   # statutory body


# --- rule 3: exposed My Number holder --------------------------------------------------------------


def _exposure_model(tmp_path, effectiveness=None, entry=0.5):
    systems = [system("X", "CORE", kind="terminal", entry=entry), system("H", "CORE", holds=["F1"]),
               system("Y", "CORE")]
    flows = [flow("E1", "X", "H", "use", ["F1"]), flow("E2", "H", "Y", "use")]
    controls = [control("Q", ["use-2"], ["H"], effectiveness=effectiveness)] if effectiveness is not None else []
    return model_of(tmp_path, systems, flows, controls)


def test_exposed_holder_open_above_threshold(tmp_path):
    model = _exposure_model(tmp_path)
    assert statuses(model, "exposed-mn-holder") == {"H": "open", "X": "not_applicable", "Y": "not_applicable"}
    h = finding(model, "exposed-mn-holder@H")
    assert h["likelihood"] == 4 and h["impact"] == 2   # 0.5 a year; 5,000 records
    assert "X → H" in h["detail_en"]


def test_exposed_holder_mitigated_when_controls_bring_it_below(tmp_path):
    # 0.5 × (1 − 0.99) = 0.005 ≤ 0.01
    assert statuses(_exposure_model(tmp_path, effectiveness=0.99), "exposed-mn-holder")["H"] == "mitigated"


def test_exposed_holder_threshold_is_a_parameter(tmp_path):
    model = _exposure_model(tmp_path, effectiveness=0.5)   # 0.25 with controls, 0.5 without
    assert statuses(model, "exposed-mn-holder")["H"] == "open"
    assert statuses(model, "exposed-mn-holder", exposure_threshold=0.3)["H"] == "mitigated"
    assert statuses(model, "exposed-mn-holder", exposure_threshold=0.6)["H"] == "not_applicable"


def test_exposed_holder_not_applicable_below_threshold_even_without_controls(tmp_path):
    assert statuses(_exposure_model(tmp_path, entry=0.005), "exposed-mn-holder")["H"] == "not_applicable"


# --- rule 4: subcontractor -------------------------------------------------------------------------


@pytest.mark.parametrize("controls, expected", [
    ([], "open"),
    ([control("P", ["outsource-5"], ["S"])], "mitigated"),
    ([control("P", ["outsource-5"], ["S"], status="planned")], "open"),
    ([control("P", ["outsource-5"], ["*"])], "mitigated"),
    ([control("P", ["outsource-1"], ["S"])], "open"),   # a control, but not the prior approval
])
def test_subcontractor_prior_approval(tmp_path, controls, expected):
    systems = [system("V", "CORE", holds=["F1"]), system("S", "SUB", operator="subcontractor", kind="terminal"),
               system("T", "SUB", operator="subcontractor", kind="terminal")]   # T: no flow, no file
    model = model_of(tmp_path, systems, [flow("W1", "S", "V", "outsource", interactive=True)], controls)
    got = statuses(model, "subcontractor-unapproved")
    assert got["S"] == expected and got["T"] == "not_applicable" and got["V"] == "not_applicable"
    if expected == "open":
        s = finding(model, "subcontractor-unapproved@S")
        assert s["risk_ids"] == ["outsource-5"] and s["impact"] == 2   # reaches V's 5,000 records


# --- rule 5: internet-facing zone ------------------------------------------------------------------


def _internet_model(tmp_path, effectiveness=None, linked=True, internet=True):
    zones = [zone("CORE"), zone("NET", internet=internet)]
    systems = [system("W", "NET"), system("H", "CORE", holds=["F1"])]
    flows = [flow("I1", "W", "H", "use", ["F1"], encrypted=True)] if linked else [flow("I2", "H", "W", "use")]
    controls = [control("G", ["use-2"], ["I1"], effectiveness=effectiveness)] if effectiveness is not None else []
    return model_of(tmp_path, systems, flows, controls, zones=zones)


def test_internet_zone_reaching_a_holder_is_open(tmp_path):
    model = _internet_model(tmp_path)
    assert statuses(model, "internet-reaches-mn") == {"CORE": "not_applicable", "NET": "open"}
    net = finding(model, "internet-reaches-mn@NET")
    assert net["element_type"] == "zone" and net["likelihood"] == 4 and "W → H" in net["detail_en"]


def test_internet_zone_mitigated_by_controls_on_the_way(tmp_path):
    assert statuses(_internet_model(tmp_path, effectiveness=0.995), "internet-reaches-mn")["NET"] == "mitigated"


def test_internet_zone_without_a_way_in_or_not_internet_facing(tmp_path):
    assert statuses(_internet_model(tmp_path / "a", linked=False), "internet-reaches-mn")["NET"] == "not_applicable"
    assert statuses(_internet_model(tmp_path / "b", internet=False), "internet-reaches-mn")["NET"] == "not_applicable"


# --- rule 6: removable media -----------------------------------------------------------------------


def test_removable_media(tmp_path):
    systems = [system("A", "CORE", holds=["F1", "F2"]), system("BK", "CORE", kind="store", holds=["F1", "F2"])]
    flows = [flow("M1", "A", "BK", "retain", ["F1"], channel="媒体"),
             flow("M2", "A", "BK", "retain", ["F2"], channel="バックアップ媒体", encrypted=True),
             flow("M3", "A", "BK", "retain", ["F1"], channel="LAN"),
             flow("M4", "A", "BK", "retain", [], channel="媒体")]
    model = model_of(tmp_path, systems, flows)
    assert statuses(model, "media-unencrypted") == {"M1": "open", "M2": "mitigated", "M3": "not_applicable",
                                                    "M4": "not_applicable"}
    m1 = finding(model, "media-unencrypted@M1")
    assert (m1["likelihood"], m1["impact"], m1["risk_level"]) == (3, 2, 3) and m1["risk_ids"] == ["retain-1"]
    assert finding(model, "media-unencrypted@M2")["impact"] == 4   # 400,000 records, My Numbers or not


# --- rule 7: My Number store without retain control ------------------------------------------------


def test_store_without_retain_control(tmp_path):
    systems = [system("S1", "CORE", holds=["F1"]), system("S2", "CORE", holds=["F1"]),
               system("S3", "CORE", holds=["F1"]), system("S4", "CORE", holds=["F2"]),
               system("S5", "CORE", holds=["F1"])]
    controls = [control("R1", ["retain-2"], ["S2"]), control("R2", ["retain-1"], ["*"]),
                control("R3", ["retain-3"], ["S5"], status="planned"), control("R4", ["use-1"], ["S3"])]
    model = model_of(tmp_path, systems, controls=controls)
    assert statuses(model, "mn-store-no-retain-control") == {"S1": "open", "S2": "mitigated", "S3": "open",
                                                             "S4": "not_applicable", "S5": "open"}


# --- rule 8: self-rating ---------------------------------------------------------------------------


def test_rating_not_borne_out(tmp_path):
    model = build(tmp_path, small_tables())
    got = statuses(model, "rating-not-borne-out")
    assert got["retain-1"] == "open"          # overclaimed
    assert got["use-2"] == "open"             # underclaimed
    assert got["acquire-1"] == "mitigated"    # consistent
    assert got["use-1"] == "not_applicable"   # unrated
    assert got["provide-1"] == "not_applicable"  # out of scope
    assert finding(model, "rating-not-borne-out@use-2")["risk_level"] == 1
    r1 = finding(model, "rating-not-borne-out@retain-1")
    assert r1["risk_ids"] == ["retain-1"] and r1["stage"] == "retain" and r1["risk_level"] == 4  # L3 (0 %) × I3


# --- rule 9: entry point without control -----------------------------------------------------------


def test_entry_point_without_control(tmp_path):
    systems = [system("E1", "PUB", operator="resident", entry=0.2), system("E2", "PUB", operator="resident", entry=0.2),
               system("E3", "PUB", operator="resident", entry=0.2), system("A", "CORE", holds=["F1"])]
    flows = [flow("N1", "E1", "A", "acquire", ["F1"]), flow("N2", "E2", "A", "acquire", ["F1"]),
             flow("N3", "E3", "A", "acquire", ["F1"])]
    controls = [control("C2", ["acquire-2"], ["N2"]), control("C3", ["acquire-1"], ["*"])]
    model = model_of(tmp_path, systems, flows, controls)
    assert statuses(model, "entry-no-control") == {"E1": "open", "E2": "mitigated", "E3": "open", "A": "not_applicable"}
    e1 = finding(model, "entry-no-control@E1")
    assert (e1["likelihood"], e1["impact"], e1["stage"], e1["risk_ids"]) == (4, 2, "acquire", ["acquire-2"])


# --- rule 10: orphan -------------------------------------------------------------------------------


def test_orphan_system(tmp_path):
    model = build(tmp_path, small_tables())
    got = statuses(model, "orphan-system")
    assert got["E"] == "open"
    assert {k for k, v in got.items() if v != "not_applicable"} == {"E"}
    assert finding(model, "orphan-system@E")["risk_level"] == 1   # L1 × 100 records


# --- the engine ------------------------------------------------------------------------------------


def test_default_output_hides_not_applicable_and_is_sorted(tmp_path):
    model = build(tmp_path, small_tables())
    default = find_findings(model)
    everything = find_findings(model, include_all=True)
    assert set(default["status"]) <= {"open", "mitigated"}
    assert set(everything["status"]) == {"open", "mitigated", "not_applicable"}
    assert len(everything) > len(default)
    assert default["finding_id"].is_unique
    assert (default["finding_id"] == default["rule_id"] + "@" + default["element"]).all()
    expected = default.sort_values(["risk_level", "likelihood", "impact", "finding_id"], ascending=[False, False, False, True])
    assert default["finding_id"].tolist() == expected["finding_id"].tolist()
    assert list(default.columns)[:5] == ["finding_id", "rule_id", "element", "element_type", "status"]


def test_findings_do_not_depend_on_row_order(tmp_path):
    a = find_findings(build(tmp_path / "a", small_tables()), include_all=True)
    b = find_findings(build(tmp_path / "b", small_tables(), shuffle=3), include_all=True)
    pd.testing.assert_frame_equal(a, b)


def test_kitakyushu_findings():
    model = load_model(bundled_model_path())
    found = find_findings(model).set_index("finding_id")
    # the certificate data leaves the city for the contractor's data centre over LGWAN, not encrypted
    assert found.loc["unencrypted-crossing@F17", "status"] == "open"
    assert found.loc["unencrypted-crossing@F14", "status"] == "mitigated"
    assert found.loc["subcontractor-unapproved@SUBCON_TERM", "status"] == "mitigated"
    assert found.loc["media-unencrypted@F22", "status"] == "mitigated"
    assert "unencrypted-crossing@F01" not in found.index   # the counter is in person
    summary = findings_summary(find_findings(model, include_all=True)).set_index("rule_id")
    assert summary.loc["orphan-system", "open"] == 0 and summary.loc["internet-reaches-mn", "open"] == 0
    assert (summary["total"] > 0).all()


def test_cli_findings_json(capsys):
    assert main(["findings", str(bundled_model_path()), "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    ids = [r["finding_id"] for r in records]
    assert len(ids) == len(set(ids)) and "unencrypted-crossing@F17" in ids
    levels = [r["risk_level"] for r in records]
    assert levels == sorted(levels, reverse=True)
    assert main(["findings", str(bundled_model_path()), "--format", "json"]) == 0
    assert [r["finding_id"] for r in json.loads(capsys.readouterr().out)] == ids   # stable


def test_cli_coverage(capsys):
    assert main(["coverage", str(bundled_model_path()), "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["stage"] for r in records] == ["acquire", "use", "outsource", "provide", "network", "retain"]
    assert all(r["covered"] + r["planned"] + r["gaps"] == r["pairs"] for r in records)
    assert main(["coverage", str(bundled_model_path()), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("stage,stage_no,name_ja,elements,risks,pairs,covered,planned,gaps,coverage")
    assert len(lines) == 7


# --- the body's own word at the source (issue 14) ------------------------------------------------------------

TOWN = Path(__file__).parent / "models" / "town"


@pytest.mark.parametrize("model_path, ja, en", [(TOWN, "町", "the town"), (bundled_model_path(), "市", "the city")],
                         ids=["town", "bundled"])
def test_finding_titles_name_the_body_by_its_own_word(model_path, ja, en, capsys):
    model = load_model(model_path)
    found = find_findings(model, include_all=True)
    outside = found.loc[found["rule_id"] == "mn-outside-city"]
    assert len(outside)
    assert set(outside["title_ja"]) == {f"{ja}が運用しないゾーンに保有される個人番号ファイル"}
    assert set(outside["title_en"]) == {f"My Number file held in a zone {en} does not operate"}
    table = rules(model).set_index("rule_id")
    assert table.loc["subcontractor-unapproved", "explanation_ja"].startswith(f"再委託は委託元（{ja}）の事前許可")
    assert f"{en}'s prior approval" in table.loc["subcontractor-unapproved", "explanation_en"]
    # no text of any finding or rule keeps a placeholder or another body's word
    texts = [*found["title_ja"], *found["title_en"], *table["explanation_ja"], *table["explanation_en"]]
    assert not [t for t in texts if "{" in t or ("市が" in t and ja != "市") or ("the city" in t and ja != "市")]
    # the command line says the same (csv: every row and column)
    assert main(["findings", str(model_path), "--format", "csv", "--all"]) == 0
    out = capsys.readouterr().out
    assert f"{ja}が運用しないゾーン" in out and (ja == "市" or "市が運用" not in out)


def test_rules_without_a_model_name_the_neutral_body():
    table = rules().set_index("rule_id")
    assert table.loc["mn-outside-city", "title_ja"] == "団体が運用しないゾーンに保有される個人番号ファイル"
    assert table.loc["mn-outside-city", "title_en"] == "My Number file held in a zone the organisation does not operate"


def test_open_questions_name_the_body_by_its_own_word():
    from pia_analysis import open_questions

    city = load_model(bundled_model_path())
    town = city.replace(meta={**city.meta, "organisation_kind": "町"})
    assert open_questions(city)["question_en"].str.endswith("the city could not say.)").all()
    assert open_questions(town)["question_en"].str.endswith("the town could not say.)").all()


# --- the detail reads as words and percentages wherever it is shown (notebooks, terminal, tables) -----------

_FRACTION = r"(?<![\d.,])0\.\d+(?![\d%])"
_CODE_WORDS = r"(?<![\w\-@])(overclaimed|underclaimed|consistent|unrated|out_of_scope|contractor|subcontractor|" \
              r"jlis|national|other_body|resident)(?![\w\-@])"


@pytest.mark.parametrize("which", ["bundled", "town", "small"])
def test_every_finding_detail_says_percentages_and_words(tmp_path, which, capsys):
    """No 「年間確率 0.0150」, 「判定 overclaimed」, 「運用: contractor」 or 「発生確率 0.1」 in any finding's detail, on
    three models (the small one has a contractor's zone and entry points; the town unrated items)."""
    import re

    model = {"bundled": lambda: load_model(bundled_model_path()),
             "town": lambda: load_model(Path(__file__).parent / "models" / "town"),
             "small": lambda: build(tmp_path / "m", small_tables(), meta={"organisation": "山里村"})}[which]()
    found = find_findings(model, include_all=True)
    assert len(found) > 5
    for column in ("detail_ja", "detail_en"):
        for text in found[column]:
            assert not re.search(_FRACTION, text), text
            # (English words such as "a contractor" are words; a code stands bare after "operated by"/"status")
            assert not re.search(_CODE_WORDS if column == "detail_ja" else r"(operated by|status) " + _CODE_WORDS,
                                 text), text
    assert found["detail_ja"].str.contains("%").any() or which == "small"
    assert main(["findings", str(model.path)]) == 0
    out = capsys.readouterr().out
    assert not re.search(_FRACTION, out) and not re.search(_CODE_WORDS, out.split("\n", 1)[1]), out
