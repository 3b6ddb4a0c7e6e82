"""The committee's portfolio of a city (``city_portfolio``, the city briefing, ``pia-analysis city report``).

On the bundled example city (緑ヶ丘市: three affairs) and the hand-made workspaces of ``tests/workspaces``: every
column recomputed from the analyses of one model; the attention order (an overdue affair first, whatever its
findings); the seeds per affair; the pack's bytes on two runs; the council-language checks of
``tests/test_council_text.py`` on the city pack in Japanese and English, for a 市 and a 町; bad input to the command.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import shutil
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from pia_analysis import (  # noqa: E402
    analyse, bundled_workspace_path, city_portfolio, find_findings, load_workspace, node_exposure, procedure_check,
    required_assessment, review_schedule, simulate_compromise, stage_coverage, write_city_report,
)
from pia_analysis.cli import main  # noqa: E402
from pia_analysis.model.errors import ModelTypeError  # noqa: E402
from pia_analysis.outputs.city_briefing import city_key_messages, council_open_findings  # noqa: E402
from pia_analysis.util.files import OutputRefused  # noqa: E402
from pia_analysis.util.seeds import affair_seed  # noqa: E402
from pia_analysis.whatif.portfolio import PORTFOLIO_COLUMNS, attention_rules, city_open_findings  # noqa: E402
from test_council_text import BAD_WORDS, CJK, CODES, SCIENTIFIC, _ids_in  # noqa: E402
from workspace_cases import GOOD  # noqa: E402

CITY = bundled_workspace_path()
COMMITTEE_DAY = dt.date(2026, 4, 1)


def _edited(tmp_path: Path, name: str, *edits: tuple[str, str, str]) -> Path:
    """A copy of the good workspace with ``(file, old, new)`` edits (each ``old`` must be there)."""
    out = tmp_path / name
    shutil.copytree(GOOD, out)
    for file, old, new in edits:
        path = out / file
        text = path.read_text(encoding="utf-8")
        assert old in text, (file, old)
        path.write_text(text.replace(old, new), encoding="utf-8")
    return out


def _town(tmp_path: Path) -> Path:
    """The good workspace as a 町 (テスト町): the body's own word must follow it everywhere."""
    files = ("city.yaml", "affairs/juki/model.yaml", "affairs/zei/model.yaml")
    edits = [(f, "テスト市", "テスト町") for f in files] + [("city.yaml", "organisation_kind: 市", "organisation_kind: 町")]
    return _edited(tmp_path, "town", *edits)


# --- the table ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def city():
    return load_workspace(CITY)


def test_the_table_has_one_row_per_affair_and_every_column(city):
    table = city_portfolio(city, COMMITTEE_DAY)
    assert list(table.columns) == PORTFOLIO_COLUMNS
    assert sorted(table["affair_id"]) == sorted(city.affairs["affair_id"])
    assert table["attention"].tolist() == [1, 2, 3]
    assert [c for c in table.columns if c.startswith("coverage_")] == [
        "coverage_acquire", "coverage_use", "coverage_outsource", "coverage_provide", "coverage_network",
        "coverage_retain"]


def test_every_column_is_what_the_analyses_of_the_affair_give(city):
    table = city_portfolio(city, COMMITTEE_DAY).set_index("affair_id")
    for affair_id, model in city.models.items():
        row = table.loc[affair_id]
        judgment = required_assessment(model)
        assert (row["form_code"], row["form_ja"]) == (judgment.code, judgment.label_ja)
        assert row["target_population"] == model.meta["target_population"]
        schedule = review_schedule(model, today=COMMITTEE_DAY)
        assert row["rerun_due"] == schedule.rerun_due and row["review_due"] == schedule.yearly_review_due
        assert row["days_to_next"] == (min(schedule.rerun_due, schedule.yearly_review_due) - COMMITTEE_DAY).days
        checks = procedure_check(model, today=COMMITTEE_DAY)
        assert row["procedure_flags"] == int((checks["status"] == "flag").sum())
        assert row["procedure_missing"] == int((checks["status"] == "missing").sum())
        stages = stage_coverage(model).set_index("stage")
        for stage, r in stages.iterrows():
            value = row[f"coverage_{stage}"]
            assert (math.isnan(value) and not r["in_scope"]) or value == pytest.approx(r["coverage"])
        scoped = stages.loc[stages["in_scope"]]
        assert row["weakest_stage"] == scoped["coverage"].idxmin()
        people = model.my_number_people
        exposure = node_exposure(model)
        holders = exposure.loc[exposure["system_id"].map(lambda s: people.get(s, 0) > 0)]
        assert row["holder_exposure"] == pytest.approx(holders["exposure"].max())
        assert row["holder_id"] in set(holders.loc[holders["exposure"] == holders["exposure"].max(), "system_id"])
        assert row["holder_records"] == people[row["holder_id"]]
        found = find_findings(model)
        open_found = found.loc[found["status"] == "open"]
        assert [row[f"findings_{w}"] for w in ("critical", "high", "moderate", "low")] == [
            int((open_found["risk_level"] == level).sum()) for level in (4, 3, 2, 1)]
        assert row["findings_open"] == len(open_found)


def test_the_example_city_in_the_order_docs_city_md_gives(city):
    """docs/city.md's worked example: every affair has open critical findings, so more critical ones go first."""
    table = city_portfolio(city, COMMITTEE_DAY)
    assert table["affair_id"].tolist() == ["juki", "kokuho", "juminzei"]
    assert table["attention_reason"].tolist() == ["high_findings"] * 3
    assert table["findings_critical"].tolist() == [4, 2, 1]
    assert table.loc[0, "attention_reason_ja"] == "未対応の指摘 重大 4 件・高 7 件"
    # on the committee's day after the yearly reviews fell due (1 October 2026), each affair is overdue
    late = city_portfolio(city, dt.date(2026, 11, 30))
    assert late["attention_reason"].tolist() == ["overdue"] * 3
    assert late["days_to_next"].tolist() == [-60] * 3
    assert "年1回の見直しの期限（2026年10月1日）を過ぎている" in late.loc[0, "attention_reason_ja"]


def test_an_overdue_affair_comes_first_whatever_its_findings(tmp_path):
    # zei assessed in 2018: its 5-year re-run fell due in 2023; juki (more high findings) comes second
    ws = load_workspace(_edited(tmp_path, "late", ("affairs/zei/model.yaml", "assessed_on: 2024-04-01",
                                                   "assessed_on: 2018-04-01")))
    on_time = city_portfolio(load_workspace(GOOD), dt.date(2024, 4, 1))
    assert on_time["affair_id"].tolist() == ["juki", "zei"]
    assert on_time["findings_high"].tolist() == [3, 2]
    table = city_portfolio(ws, dt.date(2024, 4, 1))  # judged on the latest assessment date
    assert table["affair_id"].tolist() == ["zei", "juki"]
    zei = table.iloc[0]
    assert zei["attention_reason"] == "overdue" and zei["rerun_overdue"] and zei["rerun_due"] == dt.date(2023, 4, 1)
    # the nearer of the two dates: the yearly review, due since 2019 (nothing records a review after 2018)
    assert zei["review_overdue"] and zei["next_date"] == dt.date(2019, 4, 1)
    assert zei["days_to_next"] == (dt.date(2019, 4, 1) - dt.date(2024, 4, 1)).days
    assert "5年以内の再実施の期限（2023年4月1日）を過ぎている" in zei["attention_reason_ja"]


def test_a_date_near_and_a_low_coverage_follow_the_rule_thresholds(tmp_path):
    ws = load_workspace(GOOD)
    rules = attention_rules().set_index("reason")
    soon = int(rules.at["due_soon", "value"])
    # the findings' reason holds first; without findings, a review due within the threshold
    table = city_portfolio(ws, dt.date(2025, 4, 1) - dt.timedelta(days=soon))
    assert set(table["attention_reason"]) == {"high_findings"}
    from pia_analysis.whatif import portfolio

    row = table.iloc[0].to_dict()
    for column in ("findings_critical", "findings_high"):
        row[column] = 0
    reason = portfolio._reason(row, [0, 0], 3, soon, 0.5, portfolio._level_words(), {})
    assert reason[0] == "due_soon" and f"まで {soon} 日" in reason[1]
    row["days_to_next"] = soon + 1
    short = {s: (s, s) for s in ("outsource", "retain", "use")}
    assert portfolio._reason(row, [0, 0], 3, soon, 0.5, portfolio._level_words(), short)[0] == "low_coverage"
    row["weakest_coverage"] = 0.9
    assert portfolio._reason(row, [0, 0], 3, soon, 0.5, portfolio._level_words(), short)[0] == "none"


def test_the_monte_carlo_is_seeded_per_affair(city):
    table = city_portfolio(city, COMMITTEE_DAY, trials=2_000, seed=7).set_index("affair_id")
    for affair_id, model in city.models.items():
        holder = table.at[affair_id, "holder_id"]
        sim = simulate_compromise(model, trials=2_000, seed=affair_seed(7, city.organisation, affair_id))
        assert table.at[affair_id, "holder_compromise"] == sim.set_index("system_id").at[holder, "probability"]
    again = city_portfolio(city, COMMITTEE_DAY, trials=2_000, seed=7).set_index("affair_id")
    assert again.equals(table)
    assert city_portfolio(city, COMMITTEE_DAY)["holder_compromise"].isna().all()  # no trials, no draws


def test_the_analyses_are_the_pipelines(city):
    """The portfolio reads analyse(): the same numbers as the one-model briefing's analysis of the affair."""
    juki = city.models["juki"]
    a = analyse(juki, today=COMMITTEE_DAY, trials=1)
    row = city_portfolio(city, COMMITTEE_DAY).set_index("affair_id").loc["juki"]
    assert row["rerun_due"] == a.schedule.rerun_due
    assert row["coverage_use"] == pytest.approx(float(a.stage_coverage.set_index("stage").at["use", "coverage"]))


def test_bad_arguments_are_refused(city):
    with pytest.raises(ModelTypeError):
        city_portfolio(str(CITY))
    from pia_analysis.util.errors import InvalidArgumentError

    with pytest.raises(InvalidArgumentError):
        city_portfolio(city, trials=-1)
    with pytest.raises(InvalidArgumentError):
        city_portfolio(city, seed=1.5)


# --- the pack ----------------------------------------------------------------------------------------------------

WORKSPACES = {"example": lambda _tmp: CITY, "town": _town}
PACK_DAY = dt.date(2025, 10, 1)  # the packs are judged on a given day: the same bytes on every day
CASES = [(w, lang) for w in WORKSPACES for lang in ("ja", "en")]


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    out = {}
    for name, path in WORKSPACES.items():
        ws = load_workspace(path(tmp_path_factory.mktemp(f"ws-{name}")))
        for lang in ("ja", "en"):
            pack = write_city_report(ws, tmp_path_factory.mktemp(f"{name}-{lang}") / "pack", lang=lang,
                                     today=PACK_DAY)
            messages = city_key_messages(ws, city_portfolio(ws, PACK_DAY), lang)
            out[name, lang] = (ws, messages, pack)
    return out


def _pages(pack: Path, lang: str) -> list[str]:
    glue = "" if lang == "ja" else " "
    return [glue.join((p.extract_text() or "").splitlines()) for p in PdfReader(pack / "briefing.pdf").pages]


def test_the_pack_holds_what_the_committee_and_the_analyst_read(packs):
    _ws, _messages, pack = packs["example", "ja"]
    assert sorted(p.name for p in pack.iterdir()) == ["briefing.md", "briefing.pdf", "charts", "manifest.json",
                                                      "tables", "tables.xlsx"]
    assert sorted(p.name for p in (pack / "tables").iterdir()) == ["cross_affair_exposure.csv", "holdings.csv",
                                                                   "portfolio.csv"]
    header = (pack / "tables" / "portfolio.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert header == PORTFOLIO_COLUMNS  # the analysts' table keeps the ids
    assert load_workbook(pack / "tables.xlsx", read_only=True).sheetnames == ["portfolio", "holdings",
                                                                              "cross_affair_exposure"]
    pages = _pages(pack, "ja")
    # the body by its name: 緑ヶ丘市 says 市 already (never 緑ヶ丘市（市）)
    assert "委員会ポートフォリオ" in pages[0] and "緑ヶ丘市" in pages[0] and "緑ヶ丘市（市）" not in pages[0]
    assert "主なメッセージ" in pages[1], "the key messages come right after the cover"
    assert "事務ごとの状況（注意の順）" in pages[2] and "住民基本台帳に関する事務" in pages[2]
    assert "付録" in pages[-1] and "JUKI_REC" in pages[-1]


def test_two_runs_give_the_same_bytes(tmp_path):
    ws = load_workspace(CITY)
    one = write_city_report(ws, tmp_path / "one", lang="en", today=PACK_DAY)
    two = write_city_report(load_workspace(CITY), tmp_path / "two", lang="en", today=PACK_DAY)
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    for name in files:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name


def test_the_messages_say_which_affair_first_and_what_the_shared_systems_carry(packs):
    _ws, messages, _pack = packs["example", "ja"]
    assert messages[0] == "最初に注意が必要なのは「住民基本台帳に関する事務」です（未対応の指摘 重大 4 件・高 7 件）。"
    shared = next(m for m in messages if m.startswith("複数の事務の個人番号を保有（ファイルを持つ）または伝送"))
    # the tax affair's file only passes through the front desk: carried, not held
    assert "総合窓口システム（保有 2 事務" in shared and "伝送のみ 1 事務: 個人住民税の賦課徴収に関する事務" in shared
    assert "証明書発行サーバ（コンビニ交付）（保有 2 事務" in shared
    cross = next(m for m in messages if "他の事務の入口" in m)
    # docs/city.md: the tax affair's 統合宛名 holder, reached in the city as a whole more easily than alone
    assert "「個人住民税の賦課徴収に関する事務」の団体内統合宛名システム" in cross and "年 0.63%" in cross


@pytest.mark.parametrize("name, lang", CASES)
def test_no_internal_id_in_council_text(packs, name, lang):
    ws, messages, pack = packs[name, lang]
    pages = _pages(pack, lang)
    md = (pack / "briefing.md").read_text(encoding="utf-8")
    appendix = "## 付録" if lang == "ja" else "## Appendix"
    texts = {"key messages": "\n".join(messages), "briefing.md": md.split(appendix)[0]}
    texts.update({f"PDF page {i + 1}": text for i, text in enumerate(pages[:3])})  # cover, messages, table
    for affair_id, model in ws.models.items():
        findings = analyse(model, only=("findings",))
        for where, text in texts.items():
            assert _ids_in(text, model, findings, lang) == [], f"{where} ({affair_id}): {text[:2000]}"
    for where, text in texts.items():
        for affair_id in ws.affairs["affair_id"]:
            assert not re.search(rf"(?<![A-Za-z0-9_]){affair_id}(?![A-Za-z0-9_])", text), (where, affair_id)
    # the appendix maps the names to the ids the analysts' tables use
    assert all(a in md.split(appendix)[1] and a in pages[-1] for a in ws.affairs["affair_id"])


@pytest.mark.parametrize("name, lang", CASES)
def test_no_nan_none_or_booleans_in_any_text_output(packs, name, lang):
    _ws, _messages, pack = packs[name, lang]
    texts = {f"PDF page {i + 1}": text for i, text in enumerate(_pages(pack, lang))}
    texts["briefing.md"] = (pack / "briefing.md").read_text(encoding="utf-8")
    for csv in sorted((pack / "tables").glob("*.csv")):
        texts[csv.name] = csv.read_text(encoding="utf-8-sig")
    book = load_workbook(pack / "tables.xlsx", read_only=True)
    for sheet in book.worksheets:
        texts[f"tables.xlsx[{sheet.title}]"] = "\n".join(
            " | ".join("" if v is None else str(v) for v in row) for row in sheet.iter_rows(values_only=True))
    for where, text in texts.items():
        bad = BAD_WORDS.findall(text)
        assert not bad, f"{where}: {bad[:5]} in {text[:1500]}"
    for where in ("briefing.md", *(k for k in texts if k.startswith("PDF"))):
        assert not SCIENTIFIC.search(texts[where]), f"{where}: {SCIENTIFIC.findall(texts[where])[:5]}"


@pytest.mark.parametrize("name, lang", CASES)
def test_the_body_speaks_its_own_word_and_its_language(packs, name, lang):
    ws, messages, pack = packs[name, lang]
    text = "\n".join(messages)
    town = name == "town"
    pages = _pages(pack, lang)
    if lang == "ja":
        assert ("町全体" in text) == town and ("市全体" in text) != town
        if town:  # 市 only inside the form's own word 市町村
            council = "\n".join([text, *pages[:3]]).replace("市町村", "")
            assert "市" not in council, [line for line in council.splitlines() if "市" in line][:3]
        for where, page in {"key messages": text, "cover": pages[0], "messages": pages[1],
                            "table": pages[2]}.items():
            for code in CODES:
                assert code not in page, (where, code, page[:2000])
    else:
        assert ("the town" in text) == town and ("the city" in text) != town
        # (a page's lines are joined with a space: a name wrapped inside reads "住民基本台帳 に関する事務")
        stripped = re.sub(r"(?<=[\u3040-\u30ff\u3400-\u9fff])\s+(?=[\u3040-\u30ff\u3400-\u9fff（）])", "",
                          "\n".join([text, pages[2]]))
        proper = [ws.organisation, *ws.affairs["name"]]
        for model in ws.models.values():
            proper += [*model.systems["name_en"], *model.systems["name_ja"]]
        for word in sorted(map(str, proper), key=len, reverse=True):
            stripped = stripped.replace(word, "")
        assert not CJK.search(stripped.replace("「", "").replace("」", "")), stripped[:2000]
        assert not re.search(r"\b1 (affairs|findings|questions|checks)\b", text), text
    # percentages, not fractions (0.63% is a percentage; 0.0063 alone is not); dates as a reader reads them
    # (the pages' footers keep the model's date as every page of the one-model briefing does)
    assert not re.search(r"(?<![\d.])0\.\d{2,}(?![\d]*%)", text), text
    md = (pack / "briefing.md").read_text(encoding="utf-8").split("## 付録" if lang == "ja" else "## Appendix")[0]
    assert not re.search(r"\d{4}-\d{2}-\d{2}", "\n".join([text, md]))


# --- the command -------------------------------------------------------------------------------------------------


def test_city_report_writes_the_pack(tmp_path, capsys):
    assert main(["city", "report", str(GOOD), "--out", str(tmp_path / "pack"), "--lang", "en",
                 "--today", "2025-01-01"]) == 0
    assert "city briefing pack written to" in capsys.readouterr().out
    md = (tmp_path / "pack" / "briefing.md").read_text(encoding="utf-8")
    assert "Dates judged on**: 1 January 2025" in md


def test_city_report_refuses_bad_input_without_a_traceback(tmp_path, capsys):
    # a missing workspace: located, exit 1
    assert main(["city", "report", str(tmp_path / "nowhere"), "--out", str(tmp_path / "a")]) == 1
    err = capsys.readouterr().err
    assert "is not valid" in err and "is not a folder" in err and "Traceback" not in err
    # a broken one: every problem, each named by its affair
    assert main(["city", "report", str(ROOT / "tests" / "workspaces" / "two_mistakes"),
                 "--out", str(tmp_path / "b")]) == 1
    err = capsys.readouterr().err
    assert "2 problem(s)" in err and "[juki]" in err and "[zei]" in err and not (tmp_path / "b").exists()
    # a user's folder with files: refused before any work, the files untouched
    user = tmp_path / "notes"
    user.mkdir()
    (user / "memo.txt").write_text("mine", encoding="utf-8")
    assert main(["city", "report", str(GOOD), "--out", str(user)]) == 2
    err = capsys.readouterr().err
    assert "memo.txt" in err and "Traceback" not in err
    assert sorted(p.name for p in user.iterdir()) == ["memo.txt"]
    # inside the workspace: refused
    inside = tmp_path / "ws"
    shutil.copytree(GOOD, inside)
    assert main(["city", "report", str(inside), "--out", str(inside / "pack")]) == 2
    assert "inside the city workspace" in capsys.readouterr().err and not (inside / "pack").exists()
    # an earlier pack: replaced only with --force
    assert main(["city", "report", str(GOOD), "--out", str(tmp_path / "pack")]) == 0
    assert main(["city", "report", str(GOOD), "--out", str(tmp_path / "pack")]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["city", "report", str(GOOD), "--out", str(tmp_path / "pack"), "--force"]) == 0
    # a day that is no date: the argument named
    with pytest.raises(SystemExit) as exc:
        main(["city", "report", str(GOOD), "--out", str(tmp_path / "c"), "--today", "someday"])
    assert exc.value.code == 2 and "--today" in capsys.readouterr().err


def test_write_city_report_refuses_what_it_did_not_write(tmp_path):
    ws = load_workspace(GOOD)
    user = tmp_path / "user"
    user.mkdir()
    (user / "a.csv").write_text("x", encoding="utf-8")
    with pytest.raises(OutputRefused):
        write_city_report(ws, user)
    with pytest.raises(ModelTypeError):
        write_city_report(str(GOOD), tmp_path / "x")


# --- the trial's city (青葉台市: four affairs, every row an assumption, three of them overdue on 2026-11-30) -------

AOBADAI = ROOT / "tests" / "workspaces" / "aobadai"
TRIAL_DAY = dt.date(2026, 11, 30)


@pytest.fixture(scope="module")
def aobadai(tmp_path_factory):
    ws = load_workspace(AOBADAI)
    pack = write_city_report(ws, tmp_path_factory.mktemp("aobadai") / "pack", today=TRIAL_DAY)
    return ws, city_portfolio(ws, TRIAL_DAY), pack


def test_every_page_names_the_judgment_day_and_no_other(aobadai):
    """The cover said 2026年11月30日 while the footers and the chart said one affair's 2025-04-01."""
    _ws, _table, pack = aobadai
    pages = [p.extract_text() or "" for p in PdfReader(pack / "briefing.pdf").pages]
    for i, text in enumerate(pages):
        assert "2026-11-30" in text or "2026年11月30日" in text, (i, text[-300:])
        assert "2025-04-01" not in text and "2025年4月1日" not in text, (i, text[-300:])
    chart = next(t for t in pages if "段階ごとのリスク対策の網羅状況" in t)
    assert "期限の判断日: 2026年11月30日" in chart and "評価実施日" not in chart


def test_without_a_day_the_dates_are_judged_on_todays_date(aobadai, tmp_path):
    """The latest assessed_on hid an overdue re-run (1 overdue instead of 3): the default is the wall clock."""
    ws, table, _pack = aobadai
    assert int((table["rerun_overdue"] | table["review_overdue"]).sum()) == 3
    today = dt.date.today()
    plain = city_portfolio(ws)
    assert plain["days_to_next"].tolist() == [(d - today).days for d in plain["next_date"]]
    assert main(["city", "report", str(AOBADAI), "--out", str(tmp_path / "pack")]) == 0
    md = (tmp_path / "pack" / "briefing.md").read_text(encoding="utf-8")
    assert f"期限の判断日**: {today.year}年{today.month}月{today.day}日" in md


def test_a_finding_on_a_shared_element_counts_once_city_wide(aobadai):
    ws, table, _pack = aobadai
    found = city_open_findings(ws)
    # per affair, unchanged: the portfolio's counts
    assert found.groupby("affair_id").size().to_dict() == dict(zip(table["affair_id"], table["findings_open"]))
    assert len(found) == 30 and found["city_key"].nunique() == 27
    twice = found.loc[found["shared"]].groupby("city_key")["affair_id"].agg(list)
    assert twice["entry-no-control@KIOSK"] == ["juki", "zei"]
    message = next(m for m in city_key_messages(ws, table, "ja", found) if m.startswith("未対応の指摘"))
    assert "市全体で 27 件" in message and "1件として数えます" in message and "合計は 30 件" in message
    english = next(m for m in city_key_messages(ws, table, "en", found) if "open findings in" in m)
    assert english.startswith("27 open findings") and "counts once" in english


def test_holding_and_carrying_are_told_apart(aobadai):
    """総合窓口システム keeps no file: it carries the affairs' My Numbers, it does not hold them."""
    ws, table, _pack = aobadai
    shared = next(m for m in city_key_messages(ws, table, "ja") if "共有システム:" in m)
    assert "総合窓口システム（伝送のみ 4 事務" in shared and "総合窓口システム（保有" not in shared
    assert "団体内統合宛名システム（保有 3 事務" in shared and "伝送のみ 1 事務: 住民基本台帳に関する事務" in shared
    assert "そのすべての事務の個人番号に及びます" not in shared


def test_the_pack_lists_the_open_findings_and_how_much_rests_on_assumptions(aobadai):
    ws, table, pack = aobadai
    listed = council_open_findings(ws, city_open_findings(ws), "ja", n=5)
    for affair, rows in listed.groupby("事務", sort=False):
        named = rows.loc[rows["リスクの水準"] != ""]
        assert len(named) <= 5
        order = {"重大": 4, "高": 3, "中": 2, "低": 1}
        assert [order[w] for w in named["リスクの水準"]] == sorted((order[w] for w in named["リスクの水準"]),
                                                              reverse=True), affair
    assert listed.loc[listed["事務"] == "住民基本台帳に関する事務", "指摘"].iloc[-1] == "ほか 5 件"
    assert "※ 対策がまったくない入口" in set(listed["指摘"]) and "マルチコピー機（共有）" in set(listed["対象"])
    pages = _pages(pack, "ja")
    page = next(p for p in pages if "未対応の指摘（事務ごと、重い順）" in p)
    assert "ほか 5 件" in page and "マルチコピー機（共有）" in page
    md = (pack / "briefing.md").read_text(encoding="utf-8")
    assert "## 未対応の指摘（事務ごと、重い順）" in md
    # every row of the trial city rests on an assumption: the cover and the key messages say so
    assert "モデルの 68 行のうち 68 行（すべて）" in pages[0]
    assert "68 行のうちすべてが、文書の裏付けのない想定" in md


def test_the_cover_names_the_body_once(aobadai):
    _ws, _table, pack = aobadai
    pages = _pages(pack, "ja")
    assert "青葉台市" in pages[0] and "青葉台市（市）" not in pages[0]
    md = (pack / "briefing.md").read_text(encoding="utf-8")
    assert md.startswith("# 委員会ポートフォリオ: 青葉台市\n")


def test_no_cell_of_the_portfolio_table_is_cut(aobadai):
    _ws, table, pack = aobadai
    pages = _pages(pack, "ja")
    # the first affair's reason is long (two lapsed dates and two procedure questions): whole, never 「確認事項 2…」
    reason = table.loc[0, "attention_reason_ja"]
    assert reason.endswith("評価実施手続の確認事項 2 件（5年以内の再実施・年1回の見直し）")
    assert reason.replace(" ", "") in pages[2].replace(" ", "") and "…" not in pages[2]


def test_city_validate_keeps_its_headings_whole(capsys):
    assert main(["city", "validate", str(AOBADAI)]) == 0
    out = capsys.readouterr().out
    assert "含むファイ" not in out  # was 「個人番号を / 含むファイ / ル」
    header = out.split("\n事務\n")[1].split("------")[0]
    assert "個人番号の" in header and "ファイル" in header
    assert not any(line.strip().endswith("ファイ") for line in header.splitlines())
