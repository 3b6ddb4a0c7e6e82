"""The government cloud in the format: the cloud_provider operator, government_cloud zones, their findings,
the documented modelling choices, and the migration scenario (docs/government-cloud.md)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pia_analysis import (InvalidArgumentError, ModelError, bundled_model_path, load_model, parse_scenario,
                          save_model)
from pia_analysis.analysis.coverage import coverage_pairs, stage_scope
from pia_analysis.analysis.findings import find_findings, rules
from pia_analysis.model.checks import flow_directions
from pia_analysis.model.schema import OPERATORS, OUTSOURCED_OPERATORS, TABLE_BY_NAME
from pia_analysis.outputs.interchange import TRUST_BY_OPERATOR
from pia_analysis.outputs.readings import gaps_reading
from pia_analysis.util.words import OPERATOR_WORDS, operator_word
from pia_analysis.whatif.apply import apply_scenario
from pia_analysis.whatif.cloud import cloud_migration, cloud_migration_spec, cloud_migration_yaml
from pia_analysis.whatif.compare import compare
from pia_analysis.whatif.scenario import load_scenario
from pia_analysis.whatif.versions import diff

from model_factory import control, file, flow, make_model, system, zone, write_model

DOC = Path(__file__).resolve().parent.parent / "docs" / "government-cloud.md"


def _cloud_model(tmp_path: Path, *, platform: str = "cloud_provider", government_cloud: bool = True,
                 app: str = "contractor", rec_control: bool = False, name: str = "model"):
    """A hall (city) and a tenancy: the register REC in the tenancy, the addressee system ATENA at the hall.

    F1 TERM → REC carries the My Number file in clear, F2 REC → ATENA encrypted, F3 TERM → ATENA stays in the
    hall, F4 TERM → REC carries a file without My Numbers in clear.
    """
    controls = [dict(control("C-REC", ["REC"], 0.0), mitigates=["retain-1"])] if rec_control else []
    return make_model(
        tmp_path,
        zones=[zone("HALL"), zone("GC", operator=platform, government_cloud=government_cloud)],
        systems=[system("TERM", zone="HALL", entry=0.05, kind="terminal"),
                 system("REC", zone="GC", holds=["MN", "TAX"], operator=app),
                 system("ATENA", zone="HALL", holds=["MN"])],
        files=[file("MN", records=50_000), file("TAX", records=80_000, my_number=False)],
        flows=[flow("F1", "TERM", "REC", files=["MN"]),
               flow("F2", "REC", "ATENA", files=["MN"], encrypted=True),
               flow("F3", "TERM", "ATENA", files=["MN"]),
               flow("F4", "TERM", "REC", files=["TAX"])],
        controls=controls, name=name, meta={"target_population": 80_000})


def _status(model, rule_id: str) -> dict[str, str]:
    found = find_findings(model, include_all=True)
    sub = found.loc[found["rule_id"] == rule_id]
    return dict(zip(sub["element"], sub["status"]))


# --- the format --------------------------------------------------------------------------------------


def test_cloud_provider_is_an_operator_with_words_everywhere_and_not_an_outsourcing():
    assert "cloud_provider" in OPERATORS and "cloud_provider" not in OUTSOURCED_OPERATORS
    assert operator_word("cloud_provider") == "クラウドサービス事業者" and "cloud_provider" in OPERATOR_WORDS
    assert TRUST_BY_OPERATOR["contractor"] < TRUST_BY_OPERATOR["cloud_provider"] < TRUST_BY_OPERATOR["national"]
    meaning_ja, meaning_en = TABLE_BY_NAME["zones"].column("operator").meaning
    assert "cloud_provider クラウドサービス事業者" in meaning_ja and "cloud_provider" in meaning_en
    column = TABLE_BY_NAME["zones"].column("government_cloud")
    assert column.kind == "bool" and not column.required and all(column.meaning)


def test_the_gaps_by_operator_name_the_provider_in_words(tmp_path: Path):
    model = _cloud_model(tmp_path, app="cloud_provider")
    ja = gaps_reading(model, coverage_pairs(model)).splitlines()
    en = gaps_reading(model, coverage_pairs(model), lang="en").splitlines()
    assert any(line.startswith("クラウドサービス事業者が運用する要素の未対策") for line in ja)
    assert any("a cloud service provider" in line for line in en) and "cloud_provider" not in "".join(ja + en)


def test_government_cloud_defaults_to_false_when_the_column_is_absent():
    model = load_model(bundled_model_path())
    assert "government_cloud" in model.zones and not model.zones["government_cloud"].any()
    assert model.zones["government_cloud"].dtype == bool


def test_saving_leaves_an_unused_column_out_and_keeps_a_used_one(tmp_path: Path):
    plain = save_model(load_model(bundled_model_path()), tmp_path / "plain")
    assert (plain / "zones.csv").read_bytes() == (bundled_model_path() / "zones.csv").read_bytes()
    cloud = save_model(_cloud_model(tmp_path), tmp_path / "cloud")
    assert (cloud / "zones.csv").read_text(encoding="utf-8").splitlines()[0].endswith(",government_cloud")
    assert load_model(cloud).zones["government_cloud"].tolist() == [False, True]


def test_the_japanese_word_of_the_operator_is_read(tmp_path: Path):
    model = make_model(tmp_path, zones=[zone("GC", operator="クラウドサービス事業者", government_cloud="はい")],
                       systems=[system("REC", zone="GC")])
    assert model.zones.set_index("zone_id").loc["GC", ["operator", "government_cloud"]].tolist() == [
        "cloud_provider", True]
    assert not model.warnings


def test_a_government_cloud_zone_run_by_another_operator_is_a_located_warning(tmp_path: Path):
    model = _cloud_model(tmp_path, platform="city")
    [warning] = [w for w in model.warnings if w.column == "operator"]
    assert warning.line == 3 and str(warning).startswith(str(tmp_path / "model" / "zones.csv") + ":3: operator:")
    assert "government-cloud tenancy" in warning.message and "cloud_provider" in warning.hint
    # the deliberate alternative (the platform modelled as a contractor) loads too, with the warning
    assert _cloud_model(tmp_path, platform="contractor", name="alt").warnings
    assert not _cloud_model(tmp_path, name="standard").warnings
    # nobody named for the application: a warning at the system's operator
    [warning] = _cloud_model(tmp_path, app="cloud_provider", name="no-vendor").warnings
    assert (warning.line, warning.column) == (3, "operator") and "not the application" in warning.message


def test_the_warning_and_the_column_survive_a_workbook(tmp_path: Path):
    model = _cloud_model(tmp_path, platform="city")
    book = save_model(model, tmp_path / "cloud.xlsx")
    again = load_model(book)
    assert again.zones.set_index("zone_id").loc["GC", "government_cloud"]
    [warning] = [w for w in again.warnings if w.column == "operator"]
    assert str(warning).startswith(f"{book}[zones]:3: operator:")


def test_bad_values_are_located(tmp_path: Path):
    directory = write_model(tmp_path / "bad", systems=[system("REC", zone="GC")],
                            zones=[zone("GC", operator="cloud", government_cloud="maybe")])
    with pytest.raises(ModelError) as caught:
        load_model(directory)
    problems = {p.column: p for p in caught.value.problems}
    assert problems["government_cloud"].line == 2 and "'maybe' is not a yes/no value" in problems[
        "government_cloud"].message
    assert problems["operator"].line == 2 and "cloud_provider (クラウドサービス事業者" in problems["operator"].hint


# --- the findings ------------------------------------------------------------------------------------


def test_my_number_file_on_the_cloud_platform_fires_and_is_mitigated_by_a_control_naming_it(tmp_path: Path):
    bare = _cloud_model(tmp_path)
    assert _status(bare, "mn-on-cloud-platform") == {"REC": "open", "ATENA": "not_applicable",
                                                     "TERM": "not_applicable"}
    # the cloud rule takes the holder over: no second finding from mn-outside-city
    assert _status(bare, "mn-outside-city")["REC"] == "not_applicable"
    guarded = _cloud_model(tmp_path, rec_control=True, name="guarded")
    assert _status(guarded, "mn-on-cloud-platform")["REC"] == "mitigated"
    row = find_findings(bare).set_index("finding_id").loc["mn-on-cloud-platform@REC"]
    assert (row["likelihood"], row["impact"]) == (2, 3) and "ガバメントクラウド" in row["detail_ja"]
    assert row["title_ja"] == "団体が運用しないクラウド基盤（ガバメントクラウド等）に保有される個人番号ファイル"


def test_a_system_run_by_a_cloud_provider_in_a_city_zone_is_on_the_platform(tmp_path: Path):
    model = make_model(tmp_path, systems=[system("REC", zone="HALL", holds=["MN"], operator="cloud_provider"),
                                          system("T", zone="HALL")],
                       flows=[flow("F1", "T", "REC", files=["MN"])])
    assert _status(model, "mn-on-cloud-platform")["REC"] == "open"


def test_flows_into_and_out_of_the_tenancy_unencrypted_fire(tmp_path: Path):
    model = _cloud_model(tmp_path)
    assert _status(model, "cloud-line-unencrypted") == {"F1": "open", "F2": "mitigated", "F3": "not_applicable",
                                                        "F4": "open"}
    # one finding per flow: the general crossing rule leaves the cloud's flows to the cloud rule
    crossing = _status(model, "unencrypted-crossing")
    assert crossing["F1"] == "not_applicable" and crossing["F2"] == "not_applicable"
    found = find_findings(model).set_index("finding_id")
    # a file without My Numbers counts on the line (F4 carries 80,000 tax records: impact 3)
    assert (found.loc["cloud-line-unencrypted@F4", "likelihood"], found.loc["cloud-line-unencrypted@F4", "impact"]) \
        == (3, 3)


def test_without_a_cloud_zone_the_cloud_rules_never_apply():
    found = find_findings(load_model(bundled_model_path()), include_all=True)
    cloud = found.loc[found["rule_id"].isin(["mn-on-cloud-platform", "cloud-line-unencrypted"])]
    assert len(cloud) > 0 and set(cloud["status"]) == {"not_applicable"}


def test_the_cloud_rules_state_their_source_and_confidence():
    table = rules().set_index("rule_id")
    for rule_id in ("mn-on-cloud-platform", "cloud-line-unencrypted"):
        assert "デジタル庁" in table.loc[rule_id, "source"] and table.loc[rule_id, "confidence"] == "recalled"
    assert table.loc["orphan-system", "confidence"] == "project"


# --- the modelling choices ---------------------------------------------------------------------------


def test_platform_as_cloud_provider_or_as_contractor_gives_the_documented_differences(tmp_path: Path):
    standard = _cloud_model(tmp_path, name="standard")
    as_contractor = _cloud_model(tmp_path, platform="contractor", government_cloud=False, name="contractor")
    # findings: the cloud rule for the tenancy; the other-operator rule when the platform is a contractor
    assert _status(standard, "mn-on-cloud-platform")["REC"] == "open"
    assert _status(as_contractor, "mn-on-cloud-platform")["REC"] == "not_applicable"
    assert _status(as_contractor, "mn-outside-city")["REC"] == "open"
    assert _status(as_contractor, "cloud-line-unencrypted")["F1"] == "not_applicable"
    assert _status(as_contractor, "unencrypted-crossing")["F1"] == "open"
    # 委託: a new zone of a contractor is a new outsourcing (重要な変更); the provider's zone is not
    base = make_model(tmp_path, zones=[zone("HALL")], systems=[system("T", zone="HALL")], name="base")

    def zone_rules(platform: str) -> list[str]:
        row = pd.DataFrame([{"zone_id": "GC", "name_ja": "GC", "name_en": "GC", "internet_facing": False,
                             "operator": platform, "source": "test",
                             "government_cloud": platform == "cloud_provider", "parent_zone": ""}]).astype(base.zones.dtypes)
        changed = base.replace(zones=pd.concat([base.zones, row], ignore_index=True))
        changes = diff(base, changed).changes
        return changes.loc[changes["id"] == "GC", "rules"].iloc[0]

    assert "new-outsourcing" in zone_rules("contractor") and "new-outsourcing" not in zone_rules("cloud_provider")


def test_who_runs_the_application_decides_the_outsourcing_scope(tmp_path: Path):
    vendor = _cloud_model(tmp_path, name="vendor")
    provider = _cloud_model(tmp_path, app="cloud_provider", name="provider")

    def outsourced(model) -> set[str]:
        scope = stage_scope(model)
        return set(scope.loc[(scope["stage"] == "outsource") & (scope["element_type"] == "system"), "element"])

    assert outsourced(vendor) == {"REC"} and outsourced(provider) == set()
    # the provider's platform is on the city's side of a flow, like the city and its contractors
    assert flow_directions("national", "cloud_provider") == ("acquire",)
    assert flow_directions("cloud_provider", "jlis") == ("provide",)
    # 委託しない is contradicted by the vendor's system, not by the provider's
    with pytest.raises(ModelError, match="declares 委託しない"):
        make_model(tmp_path, name="declared-vendor", meta={"declared_not_applicable": ["outsource"]},
                   zones=[zone("GC", operator="cloud_provider", government_cloud=True)],
                   systems=[system("REC", zone="GC", operator="contractor")])
    make_model(tmp_path, name="declared-provider", meta={"declared_not_applicable": ["outsource"]},
               zones=[zone("GC", operator="cloud_provider", government_cloud=True)],
               systems=[system("REC", zone="GC", operator="cloud_provider")])


# --- the migration scenario --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kitakyushu():
    return load_model(bundled_model_path())


def test_migration_moves_the_systems_sets_the_vendor_and_the_line(kitakyushu):
    moved = apply_scenario(kitakyushu, cloud_migration(kitakyushu, ["JUKI_REC", "ATENA"], encrypted=True))
    zones = moved.zones.set_index("zone_id")
    assert zones.loc["GOVCLOUD", ["operator", "government_cloud"]].tolist() == ["cloud_provider", True]
    systems = moved.systems.set_index("system_id")
    assert systems.loc[["JUKI_REC", "ATENA"], "zone_id"].tolist() == ["GOVCLOUD"] * 2
    assert systems.loc[["JUKI_REC", "ATENA"], "operator"].tolist() == ["contractor"] * 2
    flows = moved.flows.set_index("flow_id")
    # F13 JUKI_REC → ATENA stays inside the tenancy; F22 goes to media (it keeps its channel)
    assert flows.loc["F02", "channel"] == "ガバメントクラウド接続回線" and flows.loc["F02", "encrypted"]
    assert flows.loc["F13", "channel"] == "基幹系LAN" and flows.loc["F22", "channel"] == "媒体"
    assert not moved.warnings


def test_migration_classifies_the_changes_and_gives_the_change_sheet(kitakyushu):
    moved = apply_scenario(kitakyushu, cloud_migration(kitakyushu, ["JUKI_REC"]))
    d = diff(kitakyushu, moved)
    changes = d.changes.set_index(["table", "id"])
    rec = changes.loc[("systems", "JUKI_REC")]
    assert rec["change_class_ja"] == "重要な変更" and set(rec["rules"]) == {"new-outsourcing", "mn-storage-moved"}
    assert changes.loc[("zones", "GOVCLOUD"), "change_class"] == "revision"
    assert changes.loc[("flows", "F02"), "fields"] == ["channel: 基幹系LAN → ガバメントクラウド接続回線"]
    assert d.is_important
    sheet = d.change_sheet()
    # (別添3) in the form's words (issue 15): the system by its name, the zone by its name, the operator in words
    row = sheet.loc[sheet["model_ref"].str.startswith("systems JUKI_REC")].iloc[0]
    assert row["区分"] == "重要な変更" and row["提出時期"] == "事前" and "住民記録システム" in row["項目"]
    assert row["変更後の記載"] == "所属するゾーン：ガバメントクラウド（標準準拠システムの利用領域）／運用者：委託先"
    # the city running the application itself: a new 保管場所, no new 委託
    own = diff(kitakyushu, apply_scenario(kitakyushu, cloud_migration(kitakyushu, "JUKI_REC", vendor="city")))
    assert own.changes.set_index("id").loc["JUKI_REC", "rules"] == ["mn-storage-moved"]
    # encrypting the line is a measure strengthened (a revision), not a 重要な変更
    enc = diff(kitakyushu, apply_scenario(kitakyushu, cloud_migration(kitakyushu, "JUKI_REC", encrypted=True)))
    assert "encryption-on" in enc.changes.set_index("id").loc["F02", "rules"]


def test_migration_before_and_after_findings_and_exposure(kitakyushu):
    moved = apply_scenario(kitakyushu, cloud_migration(kitakyushu, ["JUKI_REC"]))
    c = compare(kitakyushu, moved, label_after="cloud")
    appeared = set(c.findings_delta.loc[c.findings_delta["change"] == "appeared", "finding_id"])
    assert {"mn-on-cloud-platform@JUKI_REC", "cloud-line-unencrypted@F02"} <= appeared
    # the move adds no path and removes none: the register's exposure is the same before and after
    before, after_move = c.exposure_of("JUKI_REC")
    assert before == after_move > 0
    after = apply_scenario(kitakyushu, cloud_migration(kitakyushu, ["JUKI_REC"], encrypted=True))
    assert _status(after, "cloud-line-unencrypted")["F02"] == "mitigated"


def test_the_scenario_text_round_trips_and_is_a_scenario_file(kitakyushu, tmp_path: Path):
    text = cloud_migration_yaml(kitakyushu, "JUKI_REC;ATENA", encrypted=False)
    path = tmp_path / "cloud.yaml"
    path.write_text(text, encoding="utf-8")
    from_file = load_scenario(path)
    in_memory = cloud_migration(kitakyushu, ["JUKI_REC", "ATENA"], encrypted=False)
    assert from_file.entries().drop(columns="line").equals(in_memory.entries().drop(columns="line"))
    assert apply_scenario(kitakyushu, path).systems.equals(apply_scenario(kitakyushu, in_memory).systems)
    assert cloud_migration_spec(kitakyushu, ["JUKI_REC"])["id"] == "cloud-migration"


def test_migration_refuses_bad_arguments(kitakyushu):
    with pytest.raises(InvalidArgumentError, match="no system 'NOPE'"):
        cloud_migration(kitakyushu, ["JUKI_REC", "NOPE"])
    with pytest.raises(InvalidArgumentError, match="vendor must be one of"):
        cloud_migration(kitakyushu, ["JUKI_REC"], vendor="cloud_provider")
    with pytest.raises(InvalidArgumentError, match="not a government-cloud zone"):
        cloud_migration(kitakyushu, ["JUKI_REC"], zone_id="CORE")
    with pytest.raises(InvalidArgumentError, match="at least one system"):
        cloud_migration(kitakyushu, [])


def test_a_bad_value_in_a_written_scenario_is_located():
    text = ("id: x\nadd:\n  zones:\n  - zone_id: GC\n    name_ja: GC\n    internet_facing: false\n"
            "    operator: cloud_provider\n    government_cloud: maybe\n")
    with pytest.raises(ModelError) as caught:
        parse_scenario(text, label="cloud.yaml")
    [problem] = caught.value.problems
    assert (problem.line, problem.column) == (8, "government_cloud") and "yes/no" in problem.message


def test_the_documentation_has_its_sections():
    text = DOC.read_text(encoding="utf-8")
    for heading in ("## The standard set-up", "## What each choice means", "## The findings",
                    "## The migration scenario", "## Worked example", "## Limits", "## Sources"):
        assert heading in text, heading
