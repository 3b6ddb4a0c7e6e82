"""Issue 13 §5: the bundled Kitakyushu models corrected; `unknown` controls; findings resting on assumptions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from model_factory import control, flow, make_model, system, zone
from pia_analysis import (analyse, bundled_model_path, coverage_pairs, diff, find_findings, findings_to_sarif,
                          key_messages, load_chain, load_model, node_exposure, open_questions, section3_table,
                          unreachable_pairs)
from pia_analysis.cli import main
from pia_analysis.outputs.wording import CouncilWords
from pia_analysis.outputs.briefing import (PDF_PAGES, briefing_markdown, committee_questions, cover_page,
                                           top_findings)
from pia_analysis.outputs.interchange import findings_table
from pia_analysis.outputs.section3 import write_section3

VERSIONS = ("h26", "h28", "r3")
_SOURCE_COLUMNS = (("zones", "source"), ("systems", "source"), ("files", "source"), ("flows", "source_ref"),
                   ("controls", "source"), ("file_details", "source"), ("outsourcing", "source"),
                   ("recipients", "source"))


@pytest.fixture(scope="module")
def r3():
    return load_model(bundled_model_path())


@pytest.fixture(scope="module")
def chain():
    return {m.id: m for m in load_chain(bundled_model_path())}


# --- コンビニ交付 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["h28", "r3"])
def test_convenience_store_flows(version):
    flows = load_model(bundled_model_path(f"kitakyushu-juki-{version}")).flows.set_index("flow_id")
    # the register feeds the city's outsourced server: handling by a contractor, not a provision
    feed = flows.loc["F17"]
    assert (feed["source"], feed["target"], feed["stage"], list(feed["files"])) == \
        ("JUKI_REC", "CONV_SRV", "outsource", ["JUKI_FILE"])
    assert not feed["interactive"]
    # the certificate goes server -> J-LIS centre -> kiosk; the request comes back over the same (interactive)
    # links and carries no file
    for fid, src, dst in (("F19", "CONV_SRV", "JLIS_CENTRE"), ("F18", "JLIS_CENTRE", "STORE_KIOSK")):
        f = flows.loc[fid]
        assert (f["source"], f["target"], f["stage"]) == (src, dst, "provide"), fid
        assert list(f["files"]) == [] and f["interactive"], fid
    # no flow of the store side carries the register into the server any more
    into_server = flows.loc[flows["target"] == "CONV_SRV"]
    assert into_server.index.tolist() == ["F17"]
    assert not (flows["stage"].isin(["provide", "network"]) & (flows["target"] == "CONV_SRV")).any()


def test_h28_against_h26_the_city_server_is_no_new_recipient(chain):
    d = diff(chain["kitakyushu-juki-h26"], chain["kitakyushu-juki-h28"])
    reasons = " ".join(d.changes["reasons_en"])
    assert "CONV_SRV is a new recipient" not in reasons
    by_id = {(t, i): r for t, i, r in d.changes[["table", "id", "rules"]].itertuples(index=False)}
    assert "new-recipient" not in by_id[("flows", "F17")]
    assert {"new-mn-holder", "new-outsourcing"} <= set(by_id[("systems", "CONV_SRV")])
    # the certificate flows carry no My Number file: neither the centre nor the kiosk is a new 提供先
    assert re.findall(r"(\w+) is a new recipient", reasons) == []


def test_kiosk_still_reaches_the_server_through_the_centre(r3):
    # the adversary at the kiosk climbs the interactive certificate flows back towards the server
    cut_off = set(unreachable_pairs(r3).itertuples(index=False, name=None))
    assert ("STORE_KIOSK", "CONV_SRV") not in cut_off
    assert node_exposure(r3).set_index("system_id").loc["CONV_SRV", "exposure"] > 0


# --- sources honest to the letter -------------------------------------------------------------------------


def _readme_quotes() -> set[str]:
    text = (bundled_model_path() / "README.md").read_text(encoding="utf-8")
    section = text.split("### Quotations from the minutes", 1)[1]
    return {re.sub(r"\s+", "", q) for q in re.findall(r"^- 「(.*)」$", section, flags=re.M)}


@pytest.mark.parametrize("version", VERSIONS)
def test_every_quotation_of_the_minutes_is_listed_in_the_readme(version):
    listed = _readme_quotes()
    assert len(listed) >= 15
    model = load_model(bundled_model_path(f"kitakyushu-juki-{version}"))
    texts = [str(v) for name, col in _SOURCE_COLUMNS for v in getattr(model, name)[col]]
    texts.append(str((model.meta.get("procedure") or {}).get("source", "")))
    texts.append(str(model.document.get("source", "")))
    quoted = {re.sub(r"\s+", "", q) for t in texts for q in re.findall(r"「([^」]*)」", t)}
    assert quoted, "the sources quote the minutes"
    assert quoted - listed == set()


@pytest.mark.parametrize("version", VERSIONS)
def test_what_the_minutes_do_not_say_is_an_assumption(version):
    model = load_model(bundled_model_path(f"kitakyushu-juki-{version}"))
    c = model.controls.set_index("control_id")
    # 安全管理条項 and 立入調査 are not in the minutes: a separate control, sourced as an assumption
    assert "立入調査" not in c.loc["C-CONTRACT", "name_ja"] and "安全管理" not in c.loc["C-CONTRACT", "name_ja"]
    assert "立入調査" in c.loc["C-CONTRACT-CLAUSES", "name_ja"]
    assert "assumption: the usual safeguard clauses" in c.loc["C-CONTRACT-CLAUSES", "source"]
    for cid in ("C-COUNTER-ID", "C-COUNTER-ID-PERSON"):  # the minutes describe no check of notifications
        assert "assumption: the" in c.loc[cid, "source"] and "顔写真付きカード" not in c.loc[cid, "source"]
    files = model.files.set_index("file_id")
    for fid, items in (("JUKI_FILE", ["住民票コード"]), ("HONNIN_FILE", ["住民票コード", "異動履歴"])):
        src = files.loc[fid, "source"]
        for item in items:
            assert item in files.loc[fid, "items"]
            # the item is credited to the facts note, never inside the minutes' quotation
            assert re.search(rf"{item}[^;]*: ppc_assessment_facts §4|{item}: ppc_assessment_facts §4", src), (fid, item)
            assert all(item not in q for q in re.findall(r"「([^」]*)」", src))


@pytest.mark.parametrize("version", VERSIONS)
def test_terms(version):
    model = load_model(bundled_model_path(f"kitakyushu-juki-{version}"))
    outside_quotes = []
    for name, col in _SOURCE_COLUMNS:
        frame = getattr(model, name)
        for column in (col, "name_ja") if "name_ja" in frame else (col,):
            outside_quotes += [re.sub(r"「[^」]*」", "", str(v)) for v in frame[column]]
    assert not [t for t in outside_quotes if re.search("中間サーバ(?!ー)", t)]
    atena = model.systems.set_index("system_id").loc["ATENA", "name_en"]
    assert atena == "Intra-organisation integrated addressee system"
    english = " ".join(str(v) for name in ("zones", "systems", "files", "controls")
                       for v in getattr(model, name)["name_en"])
    assert "address system" not in english.lower().replace("addressee system", "")


# --- unknown --------------------------------------------------------------------------------------------


def _unknown_vs_missing(tmp_path: Path, status: str):
    return make_model(tmp_path, name=status,
                      systems=[system("E", entry=0.5), system("T", holds=["MN"])],
                      flows=[flow("F1", "E", "T", interactive=True, files=["MN"])],
                      controls=[control("C1", ["F1"], 0.5, status=status), control("C2", ["T"], 0.0)])


def test_unknown_protects_nothing_like_missing(tmp_path: Path):
    models = {s: _unknown_vs_missing(tmp_path, s) for s in ("implemented", "missing", "unknown")}
    exposure = {s: node_exposure(m).set_index("system_id").loc["T", "exposure"] for s, m in models.items()}
    assert exposure["unknown"] == exposure["missing"] == pytest.approx(0.5)
    assert exposure["implemented"] == pytest.approx(0.25)
    pairs = {s: coverage_pairs(m).set_index(["risk_id", "element"]).loc[("use-1", "F1"), "status"]
             for s, m in models.items()}
    assert pairs == {"implemented": "covered", "missing": "gap", "unknown": "gap"}
    cols = ["finding_id", "status", "risk_level"]
    assert find_findings(models["unknown"])[cols].equals(find_findings(models["missing"])[cols])


def test_unknown_is_a_question_to_put_to_the_city(tmp_path: Path, r3):
    q = open_questions(r3)
    assert q["control_id"].tolist() == ["C-LEAK-INSURANCE"]
    assert "不明" in q.iloc[0]["question_ja"] and q.iloc[0]["mitigates"] == ["retain-1"]
    assert r3.controls.set_index("control_id").loc["C-LEAK-INSURANCE", "status"] == "unknown"
    assert open_questions(_unknown_vs_missing(tmp_path, "missing")).empty


# --- findings resting on an assumption -------------------------------------------------------------------


@pytest.fixture()
def assumed_model(tmp_path: Path):
    """Two unencrypted flows carrying My Numbers across zones: F1 assumed, F2 cited."""
    return make_model(
        tmp_path,
        zones=[zone("A"), zone("B")],
        systems=[system("S", zone="A", holds=["MN"]), system("T", zone="B", holds=["MN"]),
                 system("U", zone="B", holds=["MN"])],
        flows=[flow("F1", "S", "T", files=["MN"], source_ref="assumption: nobody said it is encrypted"),
               flow("F2", "S", "U", files=["MN"], source_ref="minutes: the feed to U")])


def test_findings_table_marks_the_assumed_finding(assumed_model):
    found = find_findings(assumed_model).set_index("finding_id")
    assert found.loc["unencrypted-crossing@F1", "assumed"]
    assert found.loc["unencrypted-crossing@F1", "assumptions"] == ["flows:F1"]
    assert not found.loc["unencrypted-crossing@F2", "assumed"]
    assert found.loc["unencrypted-crossing@F2", "assumptions"] == []
    table = findings_table(assumed_model).set_index("finding_id")
    assert table.loc["unencrypted-crossing@F1", "assumed"] and not table.loc["unencrypted-crossing@F2", "assumed"]


def test_sarif_marks_the_assumed_finding(assumed_model):
    results = {r["partialFingerprints"]["findingId/v1"]: r["properties"]
               for r in findings_to_sarif(assumed_model)["runs"][0]["results"]}
    assert results["unencrypted-crossing@F1"]["assumed"] is True
    assert results["unencrypted-crossing@F1"]["assumptions"] == ["flows:F1"]
    assert results["unencrypted-crossing@F2"]["assumed"] is False


def test_cli_findings_text_marks_the_assumed_finding(assumed_model, capsys):
    assert main(["findings", str(assumed_model.path)]) == 0
    out = capsys.readouterr().out
    n = len(find_findings(assumed_model))
    assert f"前提（仮定）に基づく指摘: 1件（全 {n}件中" in out
    row = next(line for line in out.splitlines() if line.startswith("unencrypted-crossing@F1"))
    other = next(line for line in out.splitlines() if line.startswith("unencrypted-crossing@F2"))
    assert " ○ " in row and " ○ " not in other  # the table's assumed column
    assert main(["findings", str(assumed_model.path), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert f"1 of {n} findings rest on an assumption" in out
    row = next(line for line in out.splitlines() if line.startswith("unencrypted-crossing@F1"))
    assert " yes " in row


def test_section3_marks_the_assumed_finding(assumed_model, tmp_path: Path):
    t = section3_table(assumed_model).set_index("risk_id")
    listed = [f for ids in t["open_findings"] for f in ids]
    assert {"unencrypted-crossing@F1", "unencrypted-crossing@F2"} <= set(listed)
    assumed = [f for ids in t["assumed_findings"] for f in ids]
    assert "unencrypted-crossing@F1" in assumed and "unencrypted-crossing@F2" not in assumed
    md = write_section3(assumed_model, tmp_path / "s3.md").read_text(encoding="utf-8")
    assert "前提（仮定）に基づく指摘" in md


def test_bundled_f17_rests_on_the_encryption_assumption(r3):
    found = find_findings(r3).set_index("finding_id")
    assert found.loc["unencrypted-crossing@F17", "status"] == "open"
    assert "flows:F17" in found.loc["unencrypted-crossing@F17", "assumptions"]


# --- the briefing: assumption marks, questions for the committee ------------------------------------------


def _figure_text(fig) -> str:
    return "\n".join(t.get_text() for t in fig.texts)


@pytest.fixture()
def briefed(tmp_path: Path):
    """The assumed model with a procedure record whose public comment lasted 29 days (a flag)."""
    model = make_model(
        tmp_path, name="briefed", zones=[zone("A"), zone("B")],
        systems=[system("S", zone="A", holds=["MN"]), system("T", zone="B", holds=["MN"]),
                 system("U", zone="B", holds=["MN"])],
        flows=[flow("F1", "S", "T", files=["MN"], source_ref="assumption: nobody said it is encrypted"),
               flow("F2", "S", "U", files=["MN"], source_ref="minutes: the feed to U")],
        controls=[control("C-INS", ["*"], 0.0, status="unknown", source="minutes: 不明")],
        meta={"procedure": {"version_kind": "assessment", "assessment_form": "full",
                            "public_comment": {"start": "2024-01-01", "end": "2024-01-29", "comments": 0}}})
    return analyse(model, trials=200)


def test_briefing_marks_findings_and_counts_them(briefed):
    top = top_findings(briefed, lang="ja").set_index("指摘ID")
    assert top.loc["unencrypted-crossing@F1", "内容"].startswith("※ ")
    assert top.loc["unencrypted-crossing@F1", "前提（仮定）"] == "flows:F1"
    assert not top.loc["unencrypted-crossing@F2", "内容"].startswith("※")
    cover = _figure_text(cover_page(briefed, "ja"))
    assert "前提（仮定）に基づく指摘: 1件" in cover
    msgs = key_messages(briefed, "ja")
    findings_msg = next(m for m in msgs if m.startswith("未対応の指摘事項"))
    assert "前提（仮定）に基づくもの 1 件" in findings_msg
    en = key_messages(briefed, "en")
    assert any("1 resting on an assumption" in m for m in en)
    md = briefing_markdown(briefed, msgs, "ja")
    # the council's text names the flow (送り元 → 送り先); its id is in the appendix and the tables
    flow = CouncilWords(briefed.model, "ja").flow("F1")
    assert "※ " in md and flow in md.split("## 付録")[0] and "flows:F1" not in md


def test_the_page_after_the_cover_asks_the_committee(briefed):
    q = committee_questions(briefed, "ja")
    period = q.loc[q["確認事項"].str.contains("29日間")]
    assert len(period) == 1 and period.iloc[0]["区分"] == "手続（要確認）"
    assert period.iloc[0]["確認事項"].endswith("か。")  # phrased as a question
    assert "30日以上" in period.iloc[0]["根拠"] and "指針" in period.iloc[0]["出典"]
    control = CouncilWords(briefed.model, "ja").name("C-INS")
    assert q.iloc[-1]["区分"] == "対策の状況（不明）" and control in q.iloc[-1]["確認事項"]
    assert PDF_PAGES[:2] == ("messages", "questions")  # the bottom line first, then the committee's questions
    cover = _figure_text(cover_page(briefed, "ja"))
    n_procedure = int(q["区分"].str.startswith("手続").sum())
    judged = briefed.schedule.today.isoformat()  # the day the procedure is judged on is said
    assert f"手続 {n_procedure} 件（{judged} 時点）・状況不明の対策 1 件（3頁）" in cover
    md = briefing_markdown(briefed, key_messages(briefed, "ja"), "ja")
    assert "委員会・団体への確認事項" in md and "29日間" in md  # organisation "test": the neutral 団体
