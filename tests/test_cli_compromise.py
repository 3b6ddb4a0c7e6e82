"""The compromise probability, conditioning, importance and the fix-first plan on the command line (issue 17).

Checked on models small enough to recompute by hand (the issue's four systems: T = 0.5 exactly, since one
firewall guards both first hops), in csv, json and both languages of the table, and against the analysis
functions on the bundled model (the command prints what the API computes, nothing of its own).
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from model_factory import control, flow, system, write_model

from pia_analysis import bundled_model_path, compromise_probability, control_importance, fix_first, load_model
from pia_analysis.cli import main

CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def run(capsys, *argv: str) -> str:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    assert code == 0, (argv, captured.err)
    return captured.out


def refused(capsys, *argv: str) -> str:
    """The one line a refused command line prints (exit 2, nothing on stdout, no traceback)."""
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    assert code == 2, (argv, code, captured.err)
    assert captured.out == "" and "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 or lines[0].startswith("usage:"), captured.err
    return lines[-1]


@pytest.fixture
def issue(tmp_path):
    """The issue's model: E (foothold, 1.0) → B, C over F1, F2 guarded by one firewall FW (0.5); B, C → T."""
    return write_model(tmp_path / "issue", systems=[system("E", entry=1.0), system("B"), system("C"),
                                                    system("T", holds=["MN"])],
                       flows=[flow("F1", "E", "B"), flow("F2", "E", "C"), flow("F3", "B", "T"),
                              flow("F4", "C", "T")],
                       controls=[control("FW", ["F1", "F2"], 0.5)])


def rows(text: str, key: str = "system_id") -> dict[str, dict]:
    return {r[key]: r for r in json.loads(text)}


# -- exposure: the path beside the compromise probability -------------------------------------------------------------


def test_exposure_gives_the_exact_probability_beside_the_path_lower_bound(issue, capsys):
    table = rows(run(capsys, "exposure", issue, "--format", "json"))
    # by hand: R_T = x_FW, so P(T) = 0.5 exactly (independent draws per flow would say 0.75)
    assert table["T"]["compromise_probability"] == pytest.approx(0.5)
    assert table["B"]["compromise_probability"] == table["C"]["compromise_probability"] == pytest.approx(0.5)
    for r in table.values():
        assert r["exposure_measure"] == "path" and r["compromise_measure"] == "exact"
        assert r["compromise_low"] == r["compromise_high"] == r["compromise_probability"]
        assert r["exposure"] <= r["compromise_probability"] + 1e-12  # the path is a lower bound
    header = run(capsys, "exposure", issue, "--format", "csv").splitlines()[0].split(",")
    at = header.index("exposure")
    assert header[at:at + 6] == ["exposure", "exposure_measure", "compromise_probability", "compromise_low",
                                 "compromise_high", "compromise_measure"]
    assert "given_probability" not in header  # only with --given


@pytest.mark.parametrize("given, expected", [
    # B known compromised: its only way in is F1, so FW failed, and FW guards F2 too: C = T = 1 (conditioning)
    (["--given", "B"], {"E": 1.0, "B": 1.0, "C": 1.0, "T": 1.0}),
    (["--given", "system:B"], {"E": 1.0, "B": 1.0, "C": 1.0, "T": 1.0}),
    # an attacker placed on B (an intervention): nothing is inferred about FW, C stays 0.5, T = 1 over F3
    (["--foothold", "B"], {"E": 1.0, "B": 1.0, "C": 0.5, "T": 1.0}),
    (["--given", "control:FW"], {"E": 1.0, "B": 1.0, "C": 1.0, "T": 1.0}),  # the firewall known failed
    (["--given", "FW"], {"E": 1.0, "B": 1.0, "C": 1.0, "T": 1.0}),          # a bare id naming a control
    (["--given", "B", "--given", "control:FW", "--given", "B"], {"E": 1.0, "B": 1.0, "C": 1.0, "T": 1.0}),
], ids=["system", "system-prefix", "foothold", "control", "bare-control", "both-repeated"])
def test_given_adds_the_conditional_probability(issue, capsys, given, expected):
    table = rows(run(capsys, "exposure", issue, "--format", "json", *given))
    assert {s: r["given_probability"] for s, r in table.items()} == pytest.approx(expected)
    assert {r["given_measure"] for r in table.values()} == {"exact"}
    # the unconditional figures stay beside them
    assert table["T"]["compromise_probability"] == pytest.approx(0.5)


def test_given_matches_the_api_on_the_bundled_model(capsys):
    path = bundled_model_path()
    model = load_model(path)
    table = rows(run(capsys, "exposure", path, "--format", "json", "--given", "VENDOR_TERM",
                     "--given", "control:C-STAFF-AUTH"))
    api = compromise_probability(model, given={"systems": ["VENDOR_TERM"], "controls": ["C-STAFF-AUTH"]})
    for s, p in zip(api["system_id"], api["probability"]):
        assert table[s]["given_probability"] == pytest.approx(p, abs=1e-12)
    plain = compromise_probability(model).set_index("system_id")["probability"]
    assert all(table[s]["compromise_probability"] == pytest.approx(plain[s], abs=1e-12) for s in plain.index)
    assert all(table[s]["given_probability"] >= table[s]["compromise_probability"] - 1e-12 for s in table)


def test_exposure_table_in_japanese_and_english(issue, capsys):
    ja = run(capsys, "exposure", issue)
    assert ja.startswith("ID") and "曝露（経路" in ja and "侵害確率（全" in ja and "厳密" in ja  # (headings wrap)
    assert "侵害確率（全経路。共有される対策は1回の成否）の下限" in ja and "期待値 = 曝露（年間確率）× 保有人数" in ja and "前提" not in ja
    t_row = next(line for line in ja.splitlines() if line.startswith("T "))
    assert re.search(r"50%\s+50%\s+E → B → T", t_row)
    assert "侵害確率はすべて厳密に計算した値。" in ja and "算出" not in ja  # one measure: said once, no column
    en = run(capsys, "exposure", issue, "--lang", "en", "--given", "B")
    assert en.startswith("given — known compromised (conditional on it): B")
    assert "compromise" in en and "lower bound" in en and "exact" in en and not CJK.search(en)
    t_row = next(line for line in en.splitlines() if line.startswith("T "))
    assert re.search(r"50%\s+50%\s+100%\s+E → B → T", t_row) and "compromise probabilities: all computed exactly" in en
    ja_given = run(capsys, "exposure", issue, "--given", "control:FW")
    assert ja_given.startswith("前提 — 機能しない対策: FW") and "前提のもと" in ja_given
    ja_foothold = run(capsys, "exposure", issue, "--foothold", "B")
    assert ja_foothold.startswith("前提 — 攻撃者が既に入り込んでいるシステム（対策によらず）: B")


def test_a_bounded_system_is_sampled_with_its_interval(issue, capsys, monkeypatch):
    # force the bounds (diagrams of one node at most), as a model too large for exact diagrams: the CLI
    # then prints the Monte Carlo estimate with its 95 % interval, labelled sampled, in every format
    import pia_analysis.analysis.compromise as compromise

    monkeypatch.setattr(compromise, "compromise_probability",
                        functools.partial(compromise.compromise_probability, max_nodes=1))
    table = rows(run(capsys, "exposure", issue, "--format", "json", "--trials", "4000", "--seed", "3"))
    assert table["T"]["compromise_measure"] == "sampled"
    assert table["T"]["compromise_low"] <= 0.5 <= table["T"]["compromise_high"]
    assert table["T"]["compromise_low"] >= table["T"]["exposure"] - 1e-12  # narrowed to the certified bounds
    ja = run(capsys, "exposure", issue, "--trials", "4000", "--seed", "3")
    assert "算出" in ja and "標本推定" in ja and "95%区間" in ja  # measures differ: a column says which
    en = run(capsys, "exposure", issue, "--trials", "4000", "--seed", "3", "--lang", "en")
    assert "sampled" in en and "95% interval" in en
    # the same seed gives the same figures
    assert run(capsys, "exposure", issue, "--format", "csv", "--trials", "4000", "--seed", "3") == \
        run(capsys, "exposure", issue, "--format", "csv", "--trials", "4000", "--seed", "3")


def test_bad_given_is_one_located_line_exit_2(issue, tmp_path, capsys):
    line = refused(capsys, "exposure", issue, "--given", "NOPE")
    assert line.startswith("pia-analysis: error: --given NOPE: 'NOPE' is not a system or control of the model")
    assert "known: B, C, E, FW, T" in line
    line = refused(capsys, "exposure", issue, "--given", "TT")
    assert "did you mean T?" in line
    line = refused(capsys, "exposure", issue, "--given", "control:E")  # E is a system, not a control
    assert "--given control:E: 'E' is not a control of the model" in line and "known: FW" in line
    assert "is not a system of the model" in refused(capsys, "exposure", issue, "--given", "system:FW")
    assert "is not a system or control" in refused(capsys, "exposure", issue, "--given", "")
    # an id naming both a system and a control must say which
    both = write_model(tmp_path / "both", systems=[system("E", entry=1.0), system("X")],
                       flows=[flow("F1", "E", "X")], controls=[control("X", ["F1"], 0.5)])
    line = refused(capsys, "exposure", both, "--given", "X")
    assert "'X' is both a system and a control" in line and "write system:X or control:X" in line
    table = rows(run(capsys, "exposure", both, "--format", "json", "--given", "control:X"))
    assert table["X"]["given_probability"] == pytest.approx(1.0) and table["X"]["compromise_probability"] == 0.5
    for value in ("0", "-5"):
        assert "--trials must be at least 1" in refused(capsys, "exposure", issue, "--trials", value)
    assert "--seed must be a non-negative integer" in refused(capsys, "exposure", issue, "--seed", "-1")


def test_a_bad_given_on_a_bad_model_reports_the_model(capsys):
    from broken_cases import BROKEN

    code = main(["exposure", str(BROKEN / "unknown_zone"), "--given", "NOPE"])
    assert code == 1 and "systems.csv:4: zone_id" in capsys.readouterr().err


def test_no_traceback_as_a_process(issue):
    proc = subprocess.run([sys.executable, "-m", "pia_analysis.cli", "exposure", str(issue), "--given", "NOPE"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stdout == ""


# -- fix-first ----------------------------------------------------------------------------------------------------------


def test_fix_first_on_the_issue_model(issue, capsys):
    payload = json.loads(run(capsys, "fix-first", issue, "--format", "json"))
    assert set(payload) == {"expected_records_before", "min_cut", "inexact_holders", "steps"}
    # T holds 1,000 people at 0.5: 500 expected; making FW fully effective removes all of it
    assert payload["expected_records_before"] == pytest.approx(500.0)
    assert payload["min_cut"] == ["F3", "F4"] and payload["inexact_holders"] == []
    assert [list(s) for s in payload["steps"]] == [["step", "kind", "id", "fall", "cumulative_fall",
                                                    "expected_records", "in_min_cut"]]
    step = payload["steps"][0]
    assert (step["kind"], step["id"], step["in_min_cut"]) == ("control", "FW", False)
    assert step["fall"] == pytest.approx(500.0) and step["expected_records"] == pytest.approx(0.0)
    csv = run(capsys, "fix-first", issue, "--format", "csv").splitlines()
    assert csv[0] == "step,kind,id,fall,cumulative_fall,expected_records,in_min_cut"
    assert csv[1].startswith("1,control,FW,500")
    ja = run(capsys, "fix-first", issue)
    assert "対策前の記録の期待値: 500 件/年" in ja and "完全に有効化" in ja and "最小カット" in ja and "F3, F4" in ja
    en = run(capsys, "fix-first", issue, "--lang", "en")
    assert "expected records at stake before the plan: 500 a year" in en and "make" in en and "effective" in en
    assert "minimum cut" in en and not CJK.search(en)


def test_fix_first_blocks_a_flow_when_that_is_best(tmp_path, capsys):
    # E (0.5) → T over F1 (no control) and F2 (C, 0.5): blocking F1 saves 250 of the 500, then C the rest
    path = write_model(tmp_path / "m", systems=[system("E", entry=0.5), system("T", holds=["MN"])],
                       flows=[flow("F1", "E", "T"), flow("F2", "E", "T")], controls=[control("C", ["F2"], 0.5)])
    steps = json.loads(run(capsys, "fix-first", path, "--format", "json", "--k", "2"))["steps"]
    assert [(s["kind"], s["id"]) for s in steps] == [("flow", "F1"), ("control", "C")]
    assert [s["fall"] for s in steps] == pytest.approx([250.0, 250.0])
    assert [s["cumulative_fall"] for s in steps] == pytest.approx([250.0, 500.0])
    assert steps[0]["in_min_cut"] is True
    ja = run(capsys, "fix-first", path, "--k", "2")
    f1 = next(line for line in ja.splitlines() if " F1 " in line)
    assert "遮断" in f1 and "E → T" in f1 and "○" in f1
    assert "block" in run(capsys, "fix-first", path, "--k", "1", "--lang", "en")
    assert len(json.loads(run(capsys, "fix-first", path, "--format", "json", "--k", "1"))["steps"]) == 1


def test_fix_first_matches_the_api_on_the_bundled_model(capsys):
    path = bundled_model_path()
    plan = fix_first(load_model(path), k=5)
    payload = json.loads(run(capsys, "fix-first", path, "--format", "json", "--k", "5"))
    assert payload["expected_records_before"] == pytest.approx(plan.attrs["expected_records_before"])
    assert payload["min_cut"] == plan.attrs["min_cut"]
    assert [(s["id"], s["cumulative_fall"]) for s in payload["steps"]] == \
        [(i, pytest.approx(c)) for i, c in zip(plan["id"], plan["cumulative_fall"])]


@pytest.mark.parametrize("k", ["0", "-1"])
def test_fix_first_k_below_one_is_refused(issue, capsys, k):
    assert refused(capsys, "fix-first", issue, "--k", k) == f"pia-analysis: error: --k must be at least 1, not {k}"


def test_nothing_to_fix(tmp_path, capsys):
    # a holder no entry point reaches: nothing at stake, an empty plan said in words
    path = write_model(tmp_path / "m", systems=[system("E", entry=1.0), system("T", holds=["MN"])])
    payload = json.loads(run(capsys, "fix-first", path, "--format", "json"))
    assert payload["steps"] == [] and payload["expected_records_before"] == 0
    assert "下げられる対策・流れはありません" in run(capsys, "fix-first", path)
    assert "nothing lowers it" in run(capsys, "fix-first", path, "--lang", "en")


def test_strict_refuses_a_model_with_warnings(tmp_path, capsys):
    # a population below the records of the largest My Number file: a warning, an error with --strict
    model = write_model(tmp_path / "m", systems=[system("E", entry=1.0), system("T", holds=["MN"])],
                        flows=[flow("F1", "E", "T")], controls=[control("C", ["F1"], 0.5)],
                        meta={"target_population": 500})
    for command in ("fix-first", "importance", "exposure"):
        assert main([command, str(model), "--strict"]) == 1
        assert "errors with --strict" in capsys.readouterr().err
        assert main([command, str(model)]) == 0
        assert "warning:" in capsys.readouterr().err


# -- importance ------------------------------------------------------------------------------------------------------


def test_importance_of_controls_and_flows_by_hand(issue, capsys):
    controls = rows(run(capsys, "importance", issue, "--format", "json"), "control_id")
    assert list(controls["FW"]) == ["control_id", "status", "effectiveness", "birnbaum_sum", "birnbaum_max",
                                    "birnbaum_weighted", "records_fall"]
    # Birnbaum of FW: P(T | FW fails) − P(T | FW holds) = 1 − 0; fully effective saves 0.5 · 1,000
    assert controls["FW"]["birnbaum_sum"] == pytest.approx(1.0)
    assert controls["FW"]["records_fall"] == pytest.approx(500.0)
    flows = rows(run(capsys, "importance", issue, "--format", "json", "--of", "flows"), "flow_id")
    assert flows["F1"]["birnbaum_sum"] == pytest.approx(0.5) and flows["F1"]["records_fall"] == pytest.approx(0.0)
    assert flows["F3"]["birnbaum_sum"] == pytest.approx(0.0)
    by_holder = json.loads(run(capsys, "importance", issue, "--format", "json", "--by-holder"))
    assert [list(r) for r in by_holder] == [["control_id", "holder", "probability", "birnbaum", "records_fall",
                                             "records"]]
    assert by_holder[0]["holder"] == "T" and by_holder[0]["records"] == 1000
    ja = run(capsys, "importance", issue)
    assert ja.startswith("ID") and "重要度（Birnbaum" in ja and "実施済み" in ja and "期待値の減少" in ja
    fw = next(line for line in ja.splitlines() if line.startswith("FW"))
    assert re.search(r"50%\s+100%\s+1,000\s+500", fw)
    en = run(capsys, "importance", issue, "--of", "flows", "--lang", "en")
    assert en.startswith("id") and "importance (Birnbaum" in en and "blocked" in en and not CJK.search(en)
    assert "E → B" in en


def test_importance_matches_the_api_on_the_bundled_model(capsys):
    path = bundled_model_path()
    api = control_importance(load_model(path))
    cli = json.loads(run(capsys, "importance", path, "--format", "json"))
    assert [r["control_id"] for r in cli] == api["control_id"].tolist()
    assert [r["records_fall"] for r in cli] == pytest.approx(api["records_fall"].tolist())


def test_csv_and_json_keep_the_codes_whatever_the_language(issue, capsys):
    for argv in (["exposure", issue, "--given", "B"], ["fix-first", issue], ["importance", issue],
                 ["importance", issue, "--of", "flows", "--by-holder"]):
        for fmt in ("csv", "json"):
            assert run(capsys, *argv, "--format", fmt) == run(capsys, *argv, "--format", fmt, "--lang", "en")


def test_an_inexact_holder_is_named_on_stderr(issue, capsys, monkeypatch):
    import pia_analysis.analysis.compromise as compromise

    monkeypatch.setattr(compromise, "fix_first", functools.partial(compromise.fix_first, max_nodes=1))
    code = main(["fix-first", str(issue), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0 and json.loads(captured.out)["inexact_holders"] == ["T"]
    assert "厳密に計算できない個人番号保有システム 1 件を除いています: T" in captured.err
    main(["fix-first", str(issue), "--lang", "en"])
    assert "1 My Number holder(s) too large to compute exactly are left out: T" in capsys.readouterr().err


def test_the_new_commands_are_listed_in_the_readme():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert "pia-analysis fix-first MODEL_DIR" in readme and "pia-analysis importance MODEL_DIR" in readme
    assert "--given" in readme



@pytest.mark.parametrize("path", [bundled_model_path(), Path(__file__).parent / "models" / "town"],
                         ids=["bundled", "town"])
def test_every_line_fits_a_redirected_terminal(path, capsys):
    # not a terminal: 100 columns, Japanese characters counting two (as the tables are wrapped)
    from pia_analysis.util.text_table import DEFAULT_WIDTH, display_width

    for argv in (["exposure", path, "--given", "control:C-AUTH" if "town" in str(path) else "control:C-STAFF-AUTH"],
                 ["fix-first", path], ["importance", path], ["importance", path, "--of", "flows", "--by-holder"]):
        for lang in ("ja", "en"):
            out = run(capsys, *argv, "--lang", lang)
            wide = [line for line in out.splitlines() if display_width(line) > DEFAULT_WIDTH]
            assert not wide, (argv, lang, wide)


def test_an_impossible_given_is_one_line_naming_the_options(issue, tmp_path, capsys):
    # ISO is reached by no attack (no flow to it): "given ISO compromised" is an impossible condition; the
    # command line names its own option (--foothold), not the library's keyword (re-trial: it was exit 3)
    iso = write_model(tmp_path / "iso", systems=[system("E", entry=1.0), system("T", holds=["MN"]), system("ISO")],
                      flows=[flow("F1", "E", "T")], controls=[control("FW", ["F1"], 0.5)])
    line = refused(capsys, "exposure", iso, "--given", "ISO")
    assert "--given: the condition is impossible" in line and "--foothold" in line and "footholds=" not in line
    table = rows(run(capsys, "exposure", iso, "--format", "json", "--foothold", "ISO"))
    assert table["ISO"]["given_probability"] == 1.0 and table["T"]["given_probability"] == pytest.approx(0.5)


def test_an_empty_plan_with_holders_left_out_does_not_say_nothing_helps(issue, capsys, monkeypatch):
    # every holder too large to compile exactly (forced, as a model beyond the limits): no plan, and the
    # command must not claim that no control or flow stands in the way (re-trial on a grid model)
    import pia_analysis.analysis.compromise as compromise

    monkeypatch.setattr(compromise, "fix_first", functools.partial(compromise.fix_first, max_nodes=1))
    code = main(["fix-first", str(issue), "--lang", "en"])
    captured = capsys.readouterr()
    assert code == 0
    assert "nothing lowers it" not in captured.out and "left out" in captured.out
    assert "T" in captured.err  # the holder left out, named on stderr
