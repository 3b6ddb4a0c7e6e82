"""The analyst's triage (issue 18, WP3): decisions in ``triage.csv`` carried through every output.

The tiny model with five decisions, judged on 2026-11-30 (always a fixed day: the default is the clock):

* ``exposed-mn-holder@REG`` accepted, review 2027-03-31 → ``accepted`` (hidden, listed as an accepted risk);
* ``mn-outside-city@SRV`` false positive → ``false_positive`` (hidden, SARIF suppression, appendix);
* ``mn-store-no-retain-control@REG`` fixing, due 2027-03-31 → ``fixing`` (hidden until the due date);
* ``mn-store-no-retain-control@SRV`` accepted, review 2026-06-30 → ``reopened`` (shown as open, marked);
* ``unencrypted-crossing@F2`` accepted, but the finding is mitigated → a located warning at findings time;
* ``orphan-system@NOPE``: no such system → the loader's warning, nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import jsonschema
import pandas as pd
import pytest

from pia_analysis import analyse, find_findings, key_messages, load_model
from pia_analysis.analysis.findings.triage import (DECISION_STATES, apply_triage, decided, shown_open, triage_counts,
                                                   triage_warnings)
from pia_analysis.analysis.judgments import section3_table
from pia_analysis.cli import main
from pia_analysis.outputs.briefing import accepted_risks, briefing_markdown, council_findings, other_decisions
from pia_analysis.outputs.interchange import FINDING_CSV_COLUMNS, findings_table, findings_to_sarif

TINY = Path(__file__).parent / "models" / "tiny"
SARIF_SCHEMA = json.loads((Path(__file__).parent / "fixtures" / "sarif" / "sarif-schema-2.1.0.json")
                          .read_text(encoding="utf-8"))
DAY = dt.date(2026, 11, 30)
TRIAGE = """finding_id,decision,reason,decided_by,decided_on,review_on,source
exposed-mn-holder@REG,accepted,閉域網内で外部から到達できないため受容,山田,2026-10-01,2027-03-31,委員会 2026-10-01
mn-outside-city@SRV,false_positive,SRV は市の庁舎内にある,佐藤,2026-10-01,,委員会 2026-10-01
mn-store-no-retain-control@REG,fixing,,山田,2026-10-01,2027-03-31,委員会 2026-10-01
mn-store-no-retain-control@SRV,accepted,年度末まで現行運用,山田,2026-01-10,2026-06-30,委員会 2026-01-10
unencrypted-crossing@F2,accepted,専用線で暗号化不要,山田,2026-10-01,,委員会 2026-10-01
orphan-system@NOPE,false_positive,古い指摘,山田,2026-10-01,,委員会 2026-10-01
"""
STATES = {"exposed-mn-holder@REG": "accepted", "mn-outside-city@SRV": "false_positive",
          "mn-store-no-retain-control@REG": "fixing", "mn-store-no-retain-control@SRV": "reopened",
          "exposed-mn-holder@SRV": "undecided", "rating-not-borne-out@use-2": "undecided"}


@pytest.fixture(scope="module")
def triaged_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("triage") / "tiny"
    shutil.copytree(TINY, root)
    (root / "triage.csv").write_text(TRIAGE, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def model(triaged_dir):
    return load_model(triaged_dir)


@pytest.fixture(scope="module")
def found(model):
    return find_findings(model, as_of=DAY)


def test_states_on_the_day(found):
    open_ = found.loc[found["status"] == "open"].set_index("finding_id")
    assert open_["decision_state"].to_dict() == STATES
    assert set(found["decision_state"]) <= set(DECISION_STATES)
    # status stays the analysis' verdict: accepting is not mitigating
    assert (open_["status"] == "open").all()
    assert set(found.loc[shown_open(found), "finding_id"]) == {
        "mn-store-no-retain-control@SRV", "exposed-mn-holder@SRV", "rating-not-borne-out@use-2"}
    assert triage_counts(found) == {"open": 3, "accepted": 1, "false_positive": 1, "fixing": 1, "reopened": 1}
    row = open_.loc["mn-store-no-retain-control@REG"]
    assert (row["decision"], row["decided_by"], row["decided_on"], row["review_on"]) == (
        "fixing", "山田", "2026-10-01", "2027-03-31")


def test_reopening_follows_the_day(model):
    # before the reopened decision's review date it held; after the fix's due date the fix reopens too
    early = find_findings(model, as_of=dt.date(2026, 6, 30)).set_index("finding_id")["decision_state"]
    assert early["mn-store-no-retain-control@SRV"] == "accepted"  # review_on itself: still holds
    late = find_findings(model, as_of=dt.date(2027, 4, 1)).set_index("finding_id")["decision_state"]
    assert late["mn-store-no-retain-control@REG"] == "reopened"
    assert late["exposed-mn-holder@REG"] == "reopened"
    assert late["mn-outside-city@SRV"] == "false_positive"  # no review date: holds until removed


def test_warnings(model, found):
    # the decision on a now-mitigated finding: at findings time, located on its row
    warned = [str(p) for p in found.attrs["triage_warnings"]]
    assert len(warned) == 1 and warned[0].startswith("triage.csv:6: finding_id:")
    assert "unencrypted-crossing@F2" in warned[0] and "mitigated" in warned[0]
    assert triage_warnings(find_findings(model, include_all=True, as_of=DAY), model) == found.attrs["triage_warnings"]
    # the unknown id: the loader's warning (a finding that no longer exists), not an error
    assert [p.line for p in model.warnings if "no longer exists" in str(p) and "'NOPE'" in str(p)] == [7]
    # no finding carries it
    assert "orphan-system@NOPE" not in set(find_findings(model, include_all=True, as_of=DAY)["finding_id"])


def test_apply_triage_without_decisions_changes_nothing_but_columns():
    plain = load_model(TINY)
    out = apply_triage(find_findings(plain, as_of=DAY), plain, as_of=DAY)
    assert set(out["decision_state"]) == {"undecided"} and not decided(out).any()
    assert shown_open(out).equals(out["status"] == "open")


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    # a printed table wraps its cells to the width (100 when not a terminal): keep the ids whole
    monkeypatch.setattr("pia_analysis.util.text_table.DEFAULT_WIDTH", 400)


def run(capsys, *argv: str) -> tuple[str, str]:
    assert main(list(argv)) == 0, argv
    captured = capsys.readouterr()
    return captured.out, captured.err


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_cli_hides_decided_findings_by_default(triaged_dir, capsys, lang):
    out, err = run(capsys, "findings", str(triaged_dir), "--today", "2026-11-30", "--lang", lang)
    for finding_id in ("exposed-mn-holder@REG", "mn-outside-city@SRV", "mn-store-no-retain-control@REG"):
        assert finding_id not in out
    assert "mn-store-no-retain-control@SRV" in out  # reopened: shown again
    # three open findings and the mitigated one whose decision is kept as a record
    assert ("判断済みの指摘 4件を表示していません（--decided" in out if lang == "ja" else
            "4 decided findings hidden (--decided" in out)
    assert "2026-11-30" in out
    assert "warning:" in err and "triage.csv:6" in err and "unencrypted-crossing@F2" in err
    shown, _ = run(capsys, "findings", str(triaged_dir), "--today", "2026-11-30", "--lang", lang, "--decided")
    for finding_id in [*STATES, "unencrypted-crossing@F2"]:
        assert finding_id in shown
    assert ("判断" in shown and "受容" in shown and "誤検知" in shown and "対応中" in shown and "再開" in shown
            if lang == "ja" else "decision" in shown and "false positive" in shown and "reopened" in shown)
    assert "hidden" not in shown and "表示していません" not in shown


def test_cli_reopens_with_today(triaged_dir, capsys):
    out, _ = run(capsys, "findings", str(triaged_dir), "--today", "2027-04-01", "--lang", "en")
    assert "exposed-mn-holder@REG" in out and "mn-store-no-retain-control@REG" in out  # past review and due dates
    assert "2 decided findings hidden" in out  # the false positive and the mitigated one: no review dates


def test_cli_json_and_csv_carry_every_finding_and_the_columns(triaged_dir, capsys):
    out, _ = run(capsys, "findings", str(triaged_dir), "--today", "2026-11-30", "--format", "json")
    rows = {r["finding_id"]: r for r in json.loads(out)}
    assert {k: rows[k]["decision_state"] for k in STATES} == STATES
    assert rows["exposed-mn-holder@REG"]["decision_reason"] == "閉域網内で外部から到達できないため受容"
    out, _ = run(capsys, "findings", str(triaged_dir), "--today", "2026-11-30", "--format", "csv")
    assert out.splitlines()[0].endswith("decision,decision_reason,decided_by,decided_on,review_on,decision_state")


def test_sarif_suppressions_validate(model, tmp_path, capsys, triaged_dir):
    log = findings_to_sarif(model, as_of=DAY, include_mitigated=True)
    jsonschema.Draft4Validator.check_schema(SARIF_SCHEMA)
    errors = list(jsonschema.Draft4Validator(SARIF_SCHEMA).iter_errors(log))
    assert not errors, [e.message for e in errors[:3]]
    run_ = log["runs"][0]
    assert run_["properties"]["triageAsOf"] == "2026-11-30"
    results = {r["partialFingerprints"]["findingId/v1"]: r for r in run_["results"]}
    assert set(STATES) <= set(results)  # results stay
    assert results["exposed-mn-holder@REG"]["suppressions"] == [{
        "kind": "external", "status": "accepted",
        "justification": "受容: 閉域網内で外部から到達できないため受容 (山田, 2026-10-01)"}]
    assert results["mn-outside-city@SRV"]["suppressions"][0]["justification"] == "誤検知: SRV は市の庁舎内にある (佐藤, 2026-10-01)"
    fixing = results["mn-store-no-retain-control@REG"]
    assert "suppressions" not in fixing
    assert (fixing["properties"]["decision_state"], fixing["properties"]["fix_due"]) == ("fixing", "2027-03-31")
    reopened = results["mn-store-no-retain-control@SRV"]
    assert "suppressions" not in reopened and reopened["properties"]["decision_state"] == "reopened"
    assert results["exposed-mn-holder@SRV"]["properties"]["decision_state"] == "undecided"
    # the command line writes the same log for the same --today
    out = tmp_path / "f.sarif"
    run(capsys, "export-findings", str(triaged_dir), str(out), "--today", "2026-11-30", "--include-mitigated")
    assert json.loads(out.read_text(encoding="utf-8")) == log


def test_csv_gains_the_columns(model, triaged_dir, tmp_path, capsys):
    table = findings_table(model, as_of=DAY)
    assert list(table.columns) == FINDING_CSV_COLUMNS and FINDING_CSV_COLUMNS[-1] == "decision_state"
    assert table.set_index("finding_id")["decision_state"].to_dict() == STATES
    out = tmp_path / "f.csv"
    run(capsys, "export-findings", str(triaged_dir), str(out), "--today", "2026-11-30")
    csv = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False).set_index("finding_id")
    assert csv.loc["mn-outside-city@SRV", "decision"] == "false_positive"
    assert csv.loc["mn-store-no-retain-control@SRV", "decision_state"] == "reopened"


def test_section3_columns(model, found, triaged_dir, capsys, tmp_path):
    table = section3_table(model, findings=found).set_index("risk_id")
    retain = table.loc["retain-1"]
    assert retain["open_findings"] == ["exposed-mn-holder@SRV", "mn-store-no-retain-control@SRV"]
    assert retain["decided_findings"] == ["exposed-mn-holder@REG（受容）", "mn-outside-city@SRV（誤検知）",
                                          "mn-store-no-retain-control@REG（対応中 〜2027-03-31）"]
    assert section3_table(model, as_of=DAY).equals(section3_table(model, findings=found))
    out, _ = run(capsys, "section3", str(triaged_dir), "--today", "2026-11-30", "--lang", "en")
    assert "decided findings" in out and "mn-outside-city@SRV（誤検知）" in out
    out, _ = run(capsys, "section3", str(triaged_dir), "--today", "2026-11-30", "--format", "csv")
    assert "decided_findings" in out.splitlines()[0]
    md = tmp_path / "s3.md"
    run(capsys, "section3", str(triaged_dir), "--today", "2026-11-30", "--out", str(md))
    text = md.read_text(encoding="utf-8")
    assert "判断済みの指摘" in text and "2026-11-30時点の判断" in text


@pytest.fixture(scope="module")
def analysis(model):
    return analyse(model, today=DAY, trials=500)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_briefing_markdown_lists_accepted_risks(analysis, lang):
    md = briefing_markdown(analysis, key_messages(analysis, lang), lang)
    ja = lang == "ja"
    section = md.split("## 受容したリスク" if ja else "## Accepted risks")[1].split("\n## ")[0]
    assert "閉域網内で外部から到達できないため受容" in section and "年度末まで現行運用" in section
    assert ("受容（見直し期限切れ・再開）" if ja else "accepted (review date passed: reopened)") in section
    assert "2026-11-30" in section and "2027-03-31" in section
    assert "@" not in section.split("|", 1)[1]  # the council's words: names, not finding ids
    appendix = md.split("## 付録: 誤検知・対応中" if ja else "## Appendix: findings judged false positives")[1]
    assert "SRV は市の庁舎内にある" in appendix
    counts = ("指摘への判断: 未対応 3件、受容 1件、誤検知 1件、対応中 1件、見直し期限切れで再開 1件" if ja else
              "open 3, accepted 1, false positive 1, being fixed 1, reopened (review date passed) 1")
    assert counts in md


def test_briefing_top_findings_exclude_decided(analysis):
    accepted = accepted_risks(analysis, "en")
    assert accepted["decision"].tolist() == ["accepted", "accepted (review date passed: reopened)"]
    assert other_decisions(analysis, "en")["decision"].tolist() == ["false positive", "being fixed"]
    top = council_findings(analysis, "en", n=20)
    names = " ".join(top["what"]) + " ".join(top["detail"])
    assert len(top) == 3  # the reopened one, and the two undecided
    assert "Register" not in " ".join(top["detail"]) or "Issuance" in names


def test_report_pdf_and_md_with_today(triaged_dir, tmp_path, capsys):
    out = tmp_path / "pack"
    run(capsys, "report", str(triaged_dir), "--out", str(out), "--today", "2026-11-30", "--lang", "en")
    md = (out / "briefing.md").read_text(encoding="utf-8")
    assert "## Accepted risks" in md and "Decisions as of 2026-11-30" in md
    assert (out / "briefing.pdf").stat().st_size > 0
    findings_csv = pd.read_csv(out / "tables" / "findings.csv", dtype=str, keep_default_na=False)
    assert "decision_state" in findings_csv.columns


def test_warnings_located_in_a_workbook(model, tmp_path, capsys):
    from pia_analysis import save_model

    book = save_model(model, tmp_path / "tiny.xlsx")
    assert main(["findings", str(book), "--today", "2026-11-30", "--format", "json"]) == 0
    err = capsys.readouterr().err
    assert "tiny.xlsx[triage]:6: finding_id: a decision (accepted) about unencrypted-crossing@F2" in err
    assert main(["findings", str(book), "--today", "2026-11-30", "--strict"]) == 1  # warnings are errors
