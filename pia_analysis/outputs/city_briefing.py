"""The city briefing written by ``pia-analysis city report``: the committee's portfolio of a city workspace.

:func:`write_city_report` writes a pack (through :func:`pia_analysis.util.files.write_pack`: built aside and
moved into place whole, never over a folder the tool did not write):

* ``briefing.pdf`` — A4 landscape: a cover (the body by its name and its own word, the day the dates are judged
  on, the affair that needs attention first), the key messages (which affair first and why; the shared systems
  that carry most affairs' My Numbers; where the city reaches an affair's My Numbers more easily than its own
  評価書 shows), the portfolio in the council's words, a chart of coverage by stage × affair, and an appendix
  mapping the names to the analysts' ids;
* ``briefing.md`` with the same text and tables;
* ``tables/portfolio.csv`` (:func:`~pia_analysis.whatif.portfolio.city_portfolio`, ids kept), ``tables/holdings.csv``
  (:func:`~pia_analysis.whatif.city.affair_holdings`), ``tables/cross_affair_exposure.csv``
  (:func:`~pia_analysis.whatif.city.cross_affair_exposure`), all in ``tables.xlsx``; the chart under ``charts/``.

The same workspace and day give the same bytes. Words and numbers follow the council pages of the one-model
briefing (:mod:`pia_analysis.outputs.briefing`, :mod:`pia_analysis.outputs.wording`): names, not ids; the
body's own word; dates, percentages and 人; never ``nan``.
"""

from __future__ import annotations

__all__ = ["check_city_pack_target", "city_key_messages", "council_open_findings", "council_portfolio",
           "coverage_by_affair_chart", "write_city_report"]

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from ..catalog import stages as catalog_stages
from ..charts.style import (A4_LANDSCAPE, CONTINUOUS_CMAP, chart_text, drawable_figure, new_figure, save_figure,
                            text_colour_on, use_japanese_fonts, wrap_text)
from ..formats.workspace import Workspace, require_workspace
from ..analysis.provenance import assumed_rows
from ..model.model import Model
from ..util.files import OutputRefused, check_pack_target, write_pack
from ..util.spreadsheet import write_csv, write_xlsx
from ..util.words import percent
from ..whatif.city import affair_holdings, city_model, cross_affair_exposure
from ..whatif.portfolio import city_open_findings, city_portfolio, day_words
from .briefing import (markdown_table, md_text, messages_page, page_footer, readable_booleans,
                       stage_word, table_pages)
from .wording import CouncilWords, method_notes

#: Monte Carlo trials per affair in the pack's tables (the pipeline's default for one model's briefing).
CITY_TRIALS = 20_000
#: Shared systems named in the key message on what carries most affairs' My Numbers.
MESSAGE_MAX_SHARED = 3
#: Open findings named per affair on the findings page (the rest counted: 「ほか N 件」).
FINDINGS_PER_AFFAIR = 5


def _people(n: int, ja: bool) -> str:
    return f"{int(n):,} 人" if ja else f"{int(n):,} {'person' if int(n) == 1 else 'people'}"


def _count(n: int, ja: bool, noun: str) -> str:
    return f"{n} 件" if ja else f"{n} {noun}{'' if n == 1 else 's'}"


def _listing(items: list[str], ja: bool) -> str:
    if ja:
        return "、".join(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _holder_name(ws: Workspace, affair_id: str, holder: str, lang: str) -> str:
    return ws.models[affair_id].element_name(holder, lang) if holder else ""


def city_key_messages(ws: Workspace, portfolio: pd.DataFrame, lang: str = "ja",
                      findings: pd.DataFrame | None = None) -> list[str]:
    """The key messages of the city briefing, in the council's words.

    Parameters
    ----------
    ws
        A loaded workspace.
    portfolio
        :func:`~pia_analysis.whatif.portfolio.city_portfolio` of ``ws``.
    lang
        ``"ja"`` (default) or ``"en"``.
    findings
        :func:`~pia_analysis.whatif.portfolio.city_open_findings` of ``ws`` (computed when None).

    Returns
    -------
    list of str
        Which affair needs attention first and why, and the order of the others; the dates; the shared systems
        that hold (保有) or only carry (伝送) the My Numbers of the most affairs, told apart; where the whole city
        reaches an affair's My Number holder more easily than the affair's own 評価書 shows; the most exposed
        holder; the weakest stage; the open findings, a finding on a shared element counted once city-wide; how
        many rows of the model rest on an assumption. Names, never ids.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``ws`` is not a loaded Workspace.

    Examples
    --------
    >>> import datetime as dt
    >>> from pia_analysis import bundled_workspace_path, city_portfolio, load_workspace
    >>> from pia_analysis.outputs.city_briefing import city_key_messages
    >>> ws = load_workspace(bundled_workspace_path())
    >>> messages = city_key_messages(ws, city_portfolio(ws, dt.date(2026, 4, 1)), "ja")
    >>> messages[0]
    '最初に注意が必要なのは「住民基本台帳に関する事務」です（未対応の指摘 重大 4 件・高 7 件）。'
    """
    require_workspace(ws, "write_city_report")
    ja = lang != "en"
    body = CouncilWords(city_model(ws), lang).body
    p = portfolio
    out: list[str] = []
    first = p.iloc[0]
    reason = first["attention_reason_ja" if ja else "attention_reason_en"]
    out.append(f"最初に注意が必要なのは「{first['name']}」です（{reason}）。" if ja else
               f"The affair that needs attention first is 「{first['name']}」: {reason}.")
    if len(p) > 1:
        order = [f"{int(r['attention'])} {r['name']}" for _, r in p.iterrows()]
        out.append(("注意の順: " + "、".join(order) + "（順の決め方は表の下の注記のとおり）。") if ja else
                   "The order of attention: " + "; ".join(order) + " (the rule is stated under the table).")
    # the dates: what is overdue, else the nearest
    late = p.loc[p["rerun_overdue"] | p["review_overdue"]]
    if len(late):
        out.append(f"年1回の見直しまたは5年以内の再実施の期限を過ぎている事務が {len(late)} 件あります: "
                   f"{_listing(list(late['name']), ja)}。" if ja else
                   f"{_count(len(late), ja, 'affair')} past the yearly review or the 5-year re-run: "
                   f"{_listing(list(late['name']), ja)}.")
    else:
        nearest = p.loc[p["days_to_next"] == p["days_to_next"].min()]
        day = nearest["next_date"].iloc[0]
        out.append(f"次の期限は {day_words(day, 'ja')}（{nearest['days_to_next'].iloc[0]} 日後）: "
                   f"{_listing(list(nearest['name']), ja)}。" if ja else
                   f"The next date due is {day_words(day, 'en')} (in {nearest['days_to_next'].iloc[0]} days): "
                   f"{_listing(list(nearest['name']), ja)}.")
    # shared systems that hold or carry the My Numbers of the most affairs: holding a file (保有) and passing it
    # on (伝送) are told apart, for only a holder puts every one of its affairs' files within reach at once
    out += _shared_holdings_message(ws, lang)
    names = dict(zip(ws.affairs["affair_id"], ws.affairs["name"]))
    # where the whole city reaches an affair's holder more easily than its own 評価書 shows
    cross = cross_affair_exposure(ws).drop_duplicates(["affair_id", "holder_id"])
    gap = cross.loc[cross["exposure_city"] > cross["exposure_affair"] * (1 + 1e-9)]
    if len(gap):
        ratio = gap["exposure_city"] / gap["exposure_affair"].where(gap["exposure_affair"] > 0, np.nan)
        row = gap.loc[ratio.fillna(np.inf).idxmax()]
        holder = _holder_name(ws, row["affair_id"], row["holder_id"], lang)
        records = _people(row["records"], ja)
        out.append(f"「{names[row['affair_id']]}」の{holder}（{records}分）には、{body}全体では最も起こりやすい経路で"
                   f"年 {percent(row['exposure_city'], 'ja')} の確率で到達されます。その事務の評価書だけでは年 "
                   f"{percent(row['exposure_affair'], 'ja')}: 他の事務の入口から共有システムを通る経路があります。"
                   if ja else
                   f"In 「{names[row['affair_id']]}」, {holder} ({records}) is reached with a yearly likelihood of "
                   f"{percent(row['exposure_city'], 'en')} along the most likely path in {body} as a whole, against "
                   f"{percent(row['exposure_affair'], 'en')} in that affair's own assessment: a path from another "
                   "affair's entry point runs through a shared system.")
    # the most exposed holder of all the affairs
    held = p.loc[p["holder_id"] != ""]
    if len(held):
        top = held.sort_values(["holder_exposure", "holder_records"], ascending=False, kind="stable").iloc[0]
        holder = _holder_name(ws, top["affair_id"], top["holder_id"], lang)
        out.append(f"最も到達されやすい個人番号の保有先は「{top['name']}」の{holder}です"
                   f"（{_people(top['holder_records'], ja)}分、最も起こりやすい経路で年 "
                   f"{percent(top['holder_exposure'], 'ja')}）。" if ja else
                   f"The most exposed holder of My Numbers is {holder} of 「{top['name']}」 "
                   f"({_people(top['holder_records'], ja)}; yearly likelihood of the most likely path "
                   f"{percent(top['holder_exposure'], 'en')}).")
    scoped = p.loc[p["weakest_stage"] != ""]
    if len(scoped):
        low = scoped.sort_values("weakest_coverage", kind="stable").iloc[0]
        out.append(f"網羅状況が最も低いのは「{low['name']}」の「{stage_word(low['weakest_stage'], 'ja')}」です"
                   f"（{percent(low['weakest_coverage'], 'ja')}）。" if ja else
                   f"The lowest coverage is {stage_word(low['weakest_stage'], 'en')} in 「{low['name']}」 "
                   f"({percent(low['weakest_coverage'], 'en')}).")
    found = city_open_findings(ws) if findings is None else findings
    out.append(_findings_message(found, p, body, lang))
    assumed, rows = _assumption_status(ws)
    if assumed:
        share = "すべて" if assumed == rows else f"{assumed} 行"
        out.append(f"モデル（共有部分と各事務）の {rows} 行のうち{share}が、文書の裏付けのない想定（出典が assumption: "
                   "の行）です。確率・指摘はその想定の上に立ちます。" if ja else
                   f"{'All' if assumed == rows else assumed} of the model's {rows} rows (the shared part and every "
                   "affair) rest on an assumption (a source starting assumption:), not on a document: the "
                   "likelihoods and findings stand on those assumptions.")
    return out


def _shared_holdings_message(ws: Workspace, lang: str) -> list[str]:
    """The key message on the shared systems that hold or carry the My Numbers of two affairs or more."""
    ja = lang != "en"
    holdings = affair_holdings(ws)
    names = dict(zip(ws.affairs["affair_id"], ws.affairs["name"]))
    shared = holdings.loc[holdings["shared"] & holdings["my_number"]]
    ranked = []
    for sid, rows in shared.groupby("system_id", sort=False):
        if len(rows) < 2:
            continue
        held = [a for a, n in zip(rows["affair_id"], rows["my_number_records"]) if n > 0]
        carried = [a for a in rows["affair_id"] if a not in held]
        ranked.append((sid, held, carried))
    if not ranked:
        return []
    ranked = sorted(ranked, key=lambda t: (-len(t[1]), -len(t[2])))[:MESSAGE_MAX_SHARED]
    sep = "、" if ja else ", "
    parts = []
    for sid, held, carried in ranked:
        sys_name = ws.models[(held or carried)[0]].element_name(sid, lang)
        what = []
        if held:
            what.append(f"保有 {len(held)} 事務: {sep.join(names[a] for a in held)}" if ja else
                        f"holds the files of {len(held)}: {sep.join(names[a] for a in held)}")
        if carried:
            what.append(f"伝送のみ {len(carried)} 事務: {sep.join(names[a] for a in carried)}" if ja else
                        f"only carries those of {len(carried)}: {sep.join(names[a] for a in carried)}")
        parts.append(f"{sys_name}（{'／'.join(what)}）" if ja else f"{sys_name} ({'; '.join(what)})")
    if ja:
        return ["複数の事務の個人番号を保有（ファイルを持つ）または伝送（通すだけ）する共有システム: "
                + "、".join(parts) + "。保有するシステムに到達されると、保有するすべての事務の個人番号のファイルに"
                "及びます。伝送のみのシステムはファイルを持たず、そこを通る間の個人番号に及びます。"]
    return ["Shared systems that hold (keep a file of) or only carry (pass on) the My Numbers of several affairs: "
            + "; ".join(parts) + ". An attacker who reaches a holder reaches the files of every affair it holds; "
            "a system that only carries them keeps no file, and exposes the My Numbers passing through it."]


def _findings_message(found: pd.DataFrame, portfolio: pd.DataFrame, body: str, lang: str) -> str:
    """The open findings of the city: a finding on a shared element counted once, with the per-affair sum."""
    ja = lang != "en"
    per_affair = int(portfolio["findings_open"].sum())
    # one finding per shared element: its highest level among the affairs that see it
    unique = found.groupby("city_key", sort=False)["risk_level"].max()
    levels = sorted(_levels_by_number(lang).items(), reverse=True)
    parts = [f"{w} {int((unique == lv).sum())} 件" if ja else f"{int((unique == lv).sum())} {w}"
             for lv, w in levels if int((unique == lv).sum())]
    total = len(unique)
    if ja:
        text = (f"未対応の指摘は{body}全体で {total} 件です" + (f"（{'・'.join(parts)}）" if parts else "") + "。")
        if total != per_affair:
            text += (f"共有システムの指摘は、使う事務がいくつあっても1件として数えます（事務ごとの件数の合計は "
                     f"{per_affair} 件）。")
        return text
    text = f"{_count(total, ja, 'open finding')} in {body} as a whole" + (f" ({', '.join(parts)})." if parts else ".")
    if total != per_affair:
        text += (f" A finding on a shared system counts once, however many affairs use it (the affairs' counts add "
                 f"up to {per_affair}).")
    return text


def _levels_by_number(lang: str) -> dict[int, str]:
    from ..catalog import read_table

    scales = read_table("risk_scales.csv")
    rows = scales.loc[scales["scale"] == "risk_level"]
    return {int(lv): (ja if lang != "en" else en)
            for lv, ja, en in zip(rows["level"], rows["label_ja"], rows["label_en"])}


def _assumption_status(ws: Workspace) -> tuple[int, int]:
    """How many rows of the city's model (the shared part once, every affair's own) rest on ``assumption:``, of all."""
    city = city_model(ws)
    assumed = assumed_rows(city)
    return sum(len(keys) for keys in assumed.values()), sum(len(getattr(city, table)) for table in assumed)


def council_open_findings(ws: Workspace, findings: pd.DataFrame, lang: str = "ja",
                          n: int = FINDINGS_PER_AFFAIR) -> pd.DataFrame:
    """The open findings of each affair in the council's words, the most severe first, ``n`` an affair at most.

    Parameters
    ----------
    ws
        A loaded workspace.
    findings
        :func:`~pia_analysis.whatif.portfolio.city_open_findings` of ``ws``.
    lang
        ``"ja"`` (default) or ``"en"``.
    n
        The findings named per affair; the others are counted in a row 「ほか N 件」 / "and N more".

    Returns
    -------
    DataFrame
        Columns 事務, リスクの水準, 指摘, 対象 (Affair, Risk level, Finding, Concerning): the affairs in
        city.yaml's order, the title marked ``※`` when the finding rests on an assumption and the element named
        (「（共有）」 for a shared one, which the other affairs using it also show); every cell text.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``ws`` is not a loaded Workspace.

    Examples
    --------
    >>> from pia_analysis import load_workspace
    >>> from pia_analysis.outputs.city_briefing import council_open_findings
    >>> from pia_analysis.whatif.portfolio import city_open_findings
    >>> ws = load_workspace("tests/workspaces/good")
    >>> list(council_open_findings(ws, city_open_findings(ws), "en").columns)
    ['Affair', 'Risk level', 'Finding', 'Concerning']
    """
    require_workspace(ws, "write_city_report")
    ja = lang != "en"
    names = dict(zip(ws.affairs["affair_id"], ws.affairs["name"]))
    rows = []
    for affair_id, own in findings.groupby("affair_id", sort=False):
        words = CouncilWords(ws.models[affair_id], lang)
        ordered = own.sort_values("risk_level", ascending=False, kind="stable")
        for f in ordered.head(n).itertuples(index=False):
            title = ("※ " if f.assumed else "") + words.text(f.title_ja if ja else f.title_en)
            element = words.text(str(f.element)) + (("（共有）" if ja else " (shared)") if f.shared else "")
            rows.append([str(names[affair_id]), words.level(int(f.risk_level)), title, element])
        if len(ordered) > n:
            rows.append([str(names[affair_id]), "", f"ほか {len(ordered) - n} 件" if ja else
                         f"and {len(ordered) - n} more", ""])
    return pd.DataFrame(rows, columns=["事務", "リスクの水準", "指摘", "対象"] if ja else
                        ["Affair", "Risk level", "Finding", "Concerning"])


def _level_words(lang: str) -> dict[str, str]:
    from ..catalog import read_table

    scales = read_table("risk_scales.csv")
    rows = scales.loc[scales["scale"] == "risk_level"]
    return {f"findings_{en}": (ja if lang != "en" else en) for ja, en in zip(rows["label_ja"], rows["label_en"])}


def council_portfolio(ws: Workspace, portfolio: pd.DataFrame, lang: str = "ja") -> pd.DataFrame:
    """The portfolio in the council's words: one row per affair, names not ids, dates, percentages and 人.

    Parameters
    ----------
    ws
        A loaded workspace.
    portfolio
        :func:`~pia_analysis.whatif.portfolio.city_portfolio` of ``ws``.
    lang
        ``"ja"`` (default) or ``"en"``.

    Returns
    -------
    DataFrame
        Columns (Japanese or English headers): the order, the affair, the assessment required and its
        population, the next date, the procedure, the weakest stage, the most exposed holder, the open
        findings, the reason; every cell text.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``ws`` is not a loaded Workspace.

    Examples
    --------
    >>> import datetime as dt
    >>> from pia_analysis import bundled_workspace_path, city_portfolio, load_workspace
    >>> from pia_analysis.outputs.city_briefing import council_portfolio
    >>> ws = load_workspace(bundled_workspace_path())
    >>> table = council_portfolio(ws, city_portfolio(ws, dt.date(2025, 10, 1)), "en")
    >>> table.loc[0, ["Affair", "Next date"]].tolist()
    ['住民基本台帳に関する事務', '1 October 2026, the yearly review (in 365 days)']
    """
    require_workspace(ws, "write_city_report")
    ja = lang != "en"
    words = _level_words(lang)
    levels = [c for c in portfolio.columns if c.startswith("findings_") and c != "findings_open"]
    rows = []
    for _, r in portfolio.iterrows():
        what = (("5年以内の再実施" if ja else "the 5-year re-run") if r["next_date"] == r["rerun_due"] else
                ("年1回の見直し" if ja else "the yearly review"))
        days = int(r["days_to_next"])
        when = ((f"{-days} 日超過" if days < 0 else f"{days} 日後") if ja else
                (f"{-days} days overdue" if days < 0 else f"in {days} days"))
        next_cell = (f"{day_words(r['next_date'], 'ja')}（{what}、{when}）" if ja else
                     f"{day_words(r['next_date'], 'en')}, {what} ({when})")
        published = r["last_published"]
        published_cell = (day_words(published, lang) if isinstance(published, dt.date) else
                          ("公表日の記録なし" if ja else "publication not recorded"))
        if r["procedure_flags"]:
            flags = r["procedure_flags_ja" if ja else "procedure_flags_en"]
            procedure = (f"確認事項 {r['procedure_flags']} 件（{'・'.join(flags)}）" if ja else
                         f"{_count(int(r['procedure_flags']), ja, 'question')} ({', '.join(flags)})")
        else:
            procedure = "確認事項なし" if ja else "no question"
        if r["procedure_missing"]:
            procedure += (f"。記録のない確認 {r['procedure_missing']} 項目" if ja else
                          f"; {r['procedure_missing']} checks without a record")
        stage = (f"{stage_word(r['weakest_stage'], lang)} {percent(r['weakest_coverage'], lang)}"
                 if r["weakest_stage"] else ("対象の段階なし" if ja else "no stage in scope"))
        if r["holder_id"]:
            name = _holder_name(ws, r["affair_id"], r["holder_id"], lang)
            holder = (f"{name}（{_people(r['holder_records'], ja)}分、年 {percent(r['holder_exposure'], 'ja')}）" if ja
                      else f"{name} ({_people(r['holder_records'], ja)}; {percent(r['holder_exposure'], 'en')} a year)")
        else:
            holder = "個人番号の保有先なし" if ja else "no holder of My Numbers"
        found = [f"{words[c]} {int(r[c])}" if ja else f"{int(r[c])} {words[c]}" for c in levels if int(r[c])]
        findings = "・".join(found) if ja and found else ", ".join(found) if found else ("なし" if ja else "none")
        form = (f"{r['form_ja']}（{_people(r['target_population'], ja)}）" if ja else
                f"{r['form_en']} ({_people(r['target_population'], ja)})")
        rows.append([str(int(r["attention"])), str(r["name"]), form, published_cell, next_cell, procedure, stage,
                     holder, findings, str(r["attention_reason_ja" if ja else "attention_reason_en"])])
    columns = (["順", "事務", "必要な評価（対象人数）", "最終公表日", "次の期限", "評価実施手続",
                "網羅状況が最も低い段階", "最も到達されやすい個人番号の保有先", "未対応の指摘", "注意の理由"] if ja else
               ["#", "Affair", "Assessment required (population)", "Last published", "Next date", "Procedure",
                "Weakest stage", "Most exposed holder of My Numbers", "Open findings", "Why"])
    return pd.DataFrame(rows, columns=columns)


def _rule_note(lang: str) -> str:
    from ..whatif.portfolio import attention_rules

    rules = attention_rules()
    ja = lang != "en"
    parts = [f"{r['rank']}. {r['reason_ja' if ja else 'reason_en']}" for _, r in rules.iterrows()]
    return (("注意の順の決め方: 次のうち最初に当てはまるもので順を決め、同じ理由の中では重大・高の指摘の多い順、"
             "期限の近い順、網羅状況の低い順: ") if ja else
            ("How the order is decided: the first of these that holds places an affair; within one, more critical "
             "and high findings first, then the nearer date, then the lower coverage: ")) + (
                "、" if ja else "; ").join(parts)


def coverage_by_affair_chart(ws: Workspace, portfolio: pd.DataFrame, lang: str = "ja") -> Figure:
    """Coverage by stage × affair: one row per affair (attention order), one column per stage, cells in %.

    Parameters
    ----------
    ws
        A loaded workspace.
    portfolio
        :func:`~pia_analysis.whatif.portfolio.city_portfolio` of ``ws``.
    lang
        ``"ja"`` (default) or ``"en"``.

    Returns
    -------
    matplotlib.figure.Figure
        An A4-landscape page; a stage with nothing in scope reads 対象外 / not applicable, in grey.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``ws`` is not a loaded Workspace.

    Examples
    --------
    >>> from pia_analysis import bundled_workspace_path, city_portfolio, load_workspace
    >>> from pia_analysis.outputs.city_briefing import coverage_by_affair_chart
    >>> ws = load_workspace(bundled_workspace_path())
    >>> fig = coverage_by_affair_chart(ws, city_portfolio(ws), "en")
    >>> fig.texts[0].get_text()
    'Coverage by stage and affair'
    """
    require_workspace(ws, "write_city_report")
    ja = lang != "en"
    city = _page_model(ws, _judged_on(portfolio))
    stages = list(catalog_stages()["stage"])
    fig = new_figure(city, lang, "事務ごと・段階ごとのリスク対策の網羅状況" if ja else "Coverage by stage and affair",
                     "各欄は、その事務の段階の（対象要素 × リスク）の組のうち、実施済みの対策で覆われている割合。"
                     "灰色は対象となる要素がない段階。" if ja else
                     "Each cell is the share of the stage's (element × risk) pairs that an implemented control "
                     "covers, in that affair. Grey: no element in the stage's scope.")
    # the footer dates the page by the day the city's dates are judged on, and says so (not 評価実施日: the
    # city has one assessment date per affair, the pack one day)
    assessed = f"{chart_text('assessed_on', lang)}: "
    for text in fig.texts:
        if assessed in text.get_text():
            text.set_text(text.get_text().replace(assessed, "期限の判断日: " if ja else "dates judged on: "))
    values = portfolio[[f"coverage_{s}" for s in stages]].to_numpy(dtype=float)
    ax = fig.add_axes([0.26, 0.12, 0.70, 0.68])
    cmap = colormaps[CONTINUOUS_CMAP].with_extremes(bad="#DDDDDD")
    ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=0.0, vmax=1.0, aspect="auto")
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            if math.isnan(v):
                text, colour = ("対象外" if ja else "n/a"), "#333333"
            else:
                text, colour = percent(v, lang), text_colour_on(cmap(v))
            ax.text(j, i, text, ha="center", va="center", fontsize=10, color=colour)
    ax.set_xticks(range(len(stages)), ["\n".join(wrap_text(stage_word(s, lang), 1.3, 9, lang, max_lines=3))
                                       for s in stages], fontsize=9)
    labels = ["\n".join(wrap_text(str(n), 2.6, 9, lang, max_lines=2)) for n in portfolio["name"]]
    ax.set_yticks(range(len(labels)), labels, fontsize=9)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return fig


def _foot_notes(fig: Figure, notes: list[str], lang: str, size: float = 7.5) -> None:
    """Notes at the foot of a page, above its footer, one paragraph each."""
    width_in, height_in = A4_LANDSCAPE
    lines = [line for note in notes for line in wrap_text(note, width_in - 1.0, size, lang, balanced=False)]
    fig.text(0.5 / width_in, 0.45 / height_in, "\n".join(lines), fontsize=size, va="bottom", ha="left",
             linespacing=1.35, color="#444444")


def _judged_on(portfolio: pd.DataFrame) -> dt.date:
    """The day a portfolio was judged on (each row's next date less its days to go)."""
    first = portfolio.iloc[0]
    return first["next_date"] - dt.timedelta(days=int(first["days_to_next"]))


def _body_name(ws: Workspace, kind, lang: str, label: bool = False) -> str:
    """The body by its name, with its kind only where the name does not say it (青葉台市, not 青葉台市（市）)."""
    ja = lang != "en"
    word = (kind.label_ja if label else kind.word_ja) if ja else (kind.label_en if label else kind.word_en)
    if ja and str(ws.organisation).endswith(kind.word_ja):
        return str(ws.organisation)
    return f"{ws.organisation}（{word}）" if ja else f"{ws.organisation} ({word})"


def _page_model(ws: Workspace, today: dt.date) -> Model:
    """The city as one model, titled and dated for the pages' footers: 緑ヶ丘市 委員会ポートフォリオ, judged-on day.

    The footer's date is the day the dates are judged on, never one affair's assessment date: the pack names one day.
    """
    city = city_model(ws)
    kind = CouncilWords(city, "ja").kind
    return city.replace(meta={**city.meta, "assessed_on": today,
                              "title_ja": f"{ws.organisation} 委員会ポートフォリオ",
                              "title_en": f"{_body_name(ws, kind, 'en')}: the committee's portfolio"})


def _cover(ws: Workspace, city: Model, portfolio: pd.DataFrame, today: dt.date, lang: str) -> Figure:
    use_japanese_fonts()
    ja = lang != "en"
    words = CouncilWords(city, lang)
    fig = Figure(figsize=A4_LANDSCAPE)
    fig.text(0.06, 0.86, "特定個人情報保護評価 委員会ポートフォリオ" if ja else
             "Privacy impact assessments: the committee's portfolio", fontsize=22)
    fig.text(0.06, 0.80, _body_name(ws, words.kind, lang), fontsize=15)
    first = portfolio.iloc[0]
    assumed, total = _assumption_status(ws)
    rows = [
        ("実施機関" if ja else "Body", _body_name(ws, words.kind, lang, label=True)),
        ("事務" if ja else "Affairs", _count(len(portfolio), ja, "affair") + (": " if not ja else "：")
         + ("、" if ja else "; ").join(portfolio["name"])),
        ("期限の判断日" if ja else "Dates judged on", day_words(today, lang)),
        ("最初に注意が必要な事務" if ja else "Needs attention first", f"{first['name']}"),
        ("その理由" if ja else "Why", str(first["attention_reason_ja" if ja else "attention_reason_en"])),
        ("その事務に必要な評価" if ja else "Its assessment required", str(first["form_ja" if ja else "form_en"])),
        ("想定に基づく行" if ja else "Rows resting on assumptions",
         f"モデルの {total} 行のうち {assumed} 行{'（すべて）' if total and assumed == total else ''}"
         "（出典が assumption: の行）" if ja else
         f"{assumed} of the model's {total} rows{' (all)' if total and assumed == total else ''} "
         "(a source starting assumption:)"),
    ]
    y = 0.70
    for k, v in rows:
        lines = wrap_text(v, A4_LANDSCAPE[0] * 0.6, 11, lang, balanced=False)
        fig.text(0.08, y, k, fontsize=11, color="#333333", va="top")
        fig.text(0.34, y, "\n".join(lines), fontsize=11, va="top", linespacing=1.3)
        y -= 0.026 * max(1, len(lines)) + 0.022
    fig.text(0.06, 0.12, ("本資料は各事務のモデルから自動生成されています。"
                          "確率・有効性の値は想定値（assumption）を含みます。" if ja else
                          "Generated from the affairs' models. "
                          "Likelihoods and effectiveness values include assumptions."),
             fontsize=9, color="#555555")
    page_footer(fig, city, lang)
    return fig


def _appendix(ws: Workspace, portfolio: pd.DataFrame, lang: str) -> pd.DataFrame:
    ja = lang != "en"
    rows = [("事務" if ja else "affair", str(n), str(a)) for a, n in zip(ws.affairs["affair_id"], ws.affairs["name"])]
    for _, r in portfolio.loc[portfolio["holder_id"] != ""].iterrows():
        rows.append(("保有先" if ja else "holder", f"{_holder_name(ws, r['affair_id'], r['holder_id'], lang)}",
                     f"{r['affair_id']}: {r['holder_id']}"))
    shared = ws.shared["systems"]
    for sid in shared["system_id"]:
        any_model = next(m for m in ws.models.values())
        name = any_model.element_name(sid, lang) if sid in set(any_model.systems["system_id"]) else str(
            shared.set_index("system_id").at[sid, "name_ja" if ja else "name_en"])
        rows.append(("共有システム" if ja else "shared system", name, str(sid)))
    return pd.DataFrame(rows, columns=["区分", "名称", "ID"] if ja else ["kind", "name", "id"])


def _markdown(ws: Workspace, messages: list[str], table: pd.DataFrame, portfolio: pd.DataFrame, today: dt.date,
              lang: str, open_table: pd.DataFrame) -> str:
    ja = lang != "en"
    words = CouncilWords(city_model(ws), lang)
    stages = list(catalog_stages()["stage"])
    coverage = pd.DataFrame(
        [[str(n)] + [percent(v, lang) if not math.isnan(v) else ("対象外" if ja else "not applicable")
                     for v in row] for n, row in zip(portfolio["name"],
                                                     portfolio[[f"coverage_{s}" for s in stages]].to_numpy(float))],
        columns=["事務" if ja else "Affair"] + [stage_word(s, lang) for s in stages])
    lines = [f"# {'委員会ポートフォリオ' if ja else 'The committee’s portfolio'}: "
             f"{md_text(_body_name(ws, words.kind, lang, label=True))}", "",
             f"- **{'期限の判断日' if ja else 'Dates judged on'}**: {day_words(today, lang)}",
             f"- **{'事務' if ja else 'Affairs'}**: {_count(len(portfolio), ja, 'affair')}", "",
             f"## {'主なメッセージ' if ja else 'Key messages'}", ""]
    lines += [f"- {md_text(m, block=True)}" for m in messages]
    notes = method_notes(" ".join(messages), lang)
    if notes:
        lines += [""] + [f"> {md_text(n)}" for n in notes]
    lines += ["", f"## {'事務ごとの状況（注意の順）' if ja else 'The affairs, in order of attention'}", "",
              markdown_table(table), "", f"> {md_text(_rule_note(lang))}"]
    notes = method_notes(" ".join(map(str, table.to_numpy().ravel())), lang)
    lines += [f"> {md_text(n)}" for n in notes]
    lines += ["", f"## {_OPEN_TITLE[ja]}", "", markdown_table(open_table), "", f"> {md_text(_open_note(lang))}"]
    lines += ["", f"## {'事務ごと・段階ごとの網羅状況' if ja else 'Coverage by stage and affair'}", "",
              markdown_table(coverage)]
    lines += ["", f"## {'付録: 名称とID' if ja else 'Appendix: names and ids'}", "",
              ("分析用の表（tables/ の CSV、tables.xlsx）は ID で書かれています。" if ja else
               "The analysts' tables (the CSV under tables/, tables.xlsx) use these ids."), "",
              markdown_table(_appendix(ws, portfolio, lang))]
    return "\n".join(lines) + "\n"


def _analyst_tables(ws: Workspace, portfolio: pd.DataFrame, lang: str) -> dict[str, pd.DataFrame]:
    """The analysts' tables, ids kept: dates as ISO text, booleans ○/× (yes/no), no ``nan`` or ``None``."""
    table = portfolio.copy()
    for column in ("last_published", "rerun_due", "review_due", "next_date"):
        table[column] = [d.isoformat() if isinstance(d, dt.date) else "" for d in table[column]]
    tables = {"portfolio": table, "holdings": affair_holdings(ws), "cross_affair_exposure": cross_affair_exposure(ws)}
    return {name: readable_booleans(frame, lang) for name, frame in tables.items()}


_OPEN_TITLE = {True: "未対応の指摘（事務ごと、重い順）", False: "Open findings, by affair, the most severe first"}


def _open_note(lang: str) -> str:
    return (f"各事務の指摘は重い順に {FINDINGS_PER_AFFAIR} 件まで（残りは「ほか N 件」）。※: 想定（出典が assumption: "
            "の行）に基づく指摘。（共有）: 共有システムの指摘で、それを使うほかの事務にも同じ指摘が出る"
            "（市全体では1件）。"
            if lang != "en" else
            f"Up to {FINDINGS_PER_AFFAIR} findings an affair, the most severe first (the rest counted). ※: resting on "
            "an assumption (a source starting assumption:). (shared): a finding on a shared system, which the other "
            "affairs using it show too (one finding city-wide).")


def _build(ws: Workspace, work: Path, lang: str, today: dt.date) -> Path:
    city = _page_model(ws, today)
    portfolio = city_portfolio(ws, today, trials=CITY_TRIALS, seed=0)
    found = city_open_findings(ws)
    messages = city_key_messages(ws, portfolio, lang, found)
    # the affairs' findings in the order of attention, as the portfolio's table above them
    rank = dict(zip(portfolio["affair_id"], portfolio["attention"]))
    open_table = council_open_findings(ws, found.sort_values("affair_id", key=lambda s: s.map(rank), kind="stable"),
                                       lang)
    table = council_portfolio(ws, portfolio, lang)
    chart = coverage_by_affair_chart(ws, portfolio, lang)
    (work / "charts").mkdir()
    save_figure(chart, work / "charts" / "coverage_by_affair")
    ja = lang != "en"
    # every affair, continued over as many pages as it takes; the rule of the order and the method behind the
    # holder's percentage at the foot of the last one
    title = "事務ごとの状況（注意の順）" if ja else "The affairs, in order of attention"
    tables = table_pages(table, title, city, lang,
                         col_widths=[0.03, 0.11, 0.11, 0.08, 0.12, 0.11, 0.09, 0.13, 0.08, 0.14], size=7.0,
                         max_lines=None)  # every cell whole: a reason cut at 「確認事項 2…」 says nothing
    _foot_notes(tables[-1], [_rule_note(lang), *method_notes("最も起こりやすい経路" if ja else "most likely path",
                                                                lang)], lang)
    findings_pages = table_pages(open_table, _OPEN_TITLE[ja], city, lang, col_widths=[0.22, 0.08, 0.42, 0.28],
                                 size=8.0, max_lines=None)
    _foot_notes(findings_pages[-1], [_open_note(lang)], lang)
    pages = [_cover(ws, city, portfolio, today, lang), messages_page(messages, city, lang), *tables,
             *findings_pages, chart]
    pages.extend(table_pages(_appendix(ws, portfolio, lang), "付録: 名称とID（分析用の表 tables/ との対応）" if ja else
                             "Appendix: names and ids (as in the analysts' tables under tables/)", city, lang,
                             col_widths=[0.15, 0.55, 0.30], size=7.5))
    metadata = {"Title": f"{ws.organisation} portfolio", "CreationDate": None, "Creator": None, "Producer": None}
    with PdfPages(work / "briefing.pdf", metadata=metadata) as pdf:
        for fig in pages:
            pdf.savefig(drawable_figure(fig))
    (work / "briefing.md").write_text(_markdown(ws, messages, table, portfolio, today, lang, open_table),
                                      encoding="utf-8")
    (work / "tables").mkdir()
    tables = _analyst_tables(ws, portfolio, lang)
    for name, frame in tables.items():
        write_csv(frame, work / "tables" / f"{name}.csv")
    write_xlsx(tables, work / "tables.xlsx")
    return work


def check_city_pack_target(out: str | Path, workspace: str | Path, force: bool = False) -> str:
    """Check, before any work, that the city pack may be written at ``out``.

    :func:`~pia_analysis.util.files.check_pack_target` (a folder holding anything the tool did not write is
    refused, an input is never written over), and besides: a folder inside the workspace is refused (the pack
    would sit among the affairs' models), and an earlier pack is replaced only with ``force``.

    Parameters
    ----------
    out
        The pack's folder.
    workspace
        The workspace's folder (the one holding ``city.yaml``).
    force
        Whether an earlier pack at ``out`` may be replaced.

    Returns
    -------
    str
        ``"new"``, ``"empty"`` or ``"pack"``, as :func:`~pia_analysis.util.files.check_pack_target`.

    Raises
    ------
    pia_analysis.util.files.OutputRefused
        When the pack may not be written there.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from pia_analysis.outputs.city_briefing import check_city_pack_target
    >>> check_city_pack_target(pathlib.Path(tempfile.mkdtemp()) / "pack", "tests/workspaces/good")
    'new'
    >>> from pia_analysis.util.files import OutputRefused
    >>> try:
    ...     check_city_pack_target("tests/workspaces/good/pack", "tests/workspaces/good")
    ... except OutputRefused as exc:
    ...     print(str(exc).split(";")[0])
    tests/workspaces/good/pack lies inside the city workspace tests/workspaces/good
    """
    root = Path(workspace).resolve()
    target = Path(out).resolve()
    if target == root or root in target.parents:
        raise OutputRefused(f"{out} lies inside the city workspace {workspace}; choose a folder outside it for --out")
    state = check_pack_target(out, inputs=[workspace], option="--out")
    if state == "pack" and not force:
        raise OutputRefused(f"{out} already holds a briefing pack; add --force to replace it, or choose a new folder")
    return state


def write_city_report(ws: Workspace, out: str | Path, lang: str = "ja", today: dt.date | None = None,
                      force: bool = False) -> Path:
    """Write the city briefing pack of a workspace into the folder ``out`` and return it.

    ``out`` must be missing or empty; an earlier pack of the tool is replaced only with ``force``; a folder
    holding anything else (a user's files), one around or inside the workspace, is refused before any work
    (:func:`pia_analysis.util.files.check_pack_target`).

    Parameters
    ----------
    ws
        A loaded workspace.
    out
        The pack's folder.
    lang
        ``"ja"`` (default) or ``"en"``.
    today
        The committee's day, which the dates are judged against, named on the cover and in every page's footer
        (default: the wall clock, :meth:`datetime.date.today`, as ``pia-analysis procedure``; pass the day for a
        pack that is the same bytes tomorrow).
    force
        Replace an earlier pack at ``out``.

    Returns
    -------
    pathlib.Path
        ``out``, holding ``briefing.pdf``, ``briefing.md``, ``tables.xlsx``, ``tables/`` (``portfolio.csv``,
        ``holdings.csv``, ``cross_affair_exposure.csv``), ``charts/`` and ``manifest.json``.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``ws`` is not a loaded Workspace.
    pia_analysis.util.errors.InvalidArgumentError
        When ``lang`` is neither ``"ja"`` nor ``"en"``.
    pia_analysis.util.files.OutputRefused
        When ``out`` holds anything but an earlier pack, an earlier pack without ``force``, or an input.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from pia_analysis import bundled_workspace_path, load_workspace, write_city_report
    >>> out = write_city_report(load_workspace(bundled_workspace_path()), pathlib.Path(tempfile.mkdtemp()) / "city")
    >>> sorted(p.name for p in out.iterdir())
    ['briefing.md', 'briefing.pdf', 'charts', 'manifest.json', 'tables', 'tables.xlsx']
    """
    from ..util.errors import InvalidArgumentError

    require_workspace(ws, "write_city_report")
    if lang not in ("ja", "en"):
        raise InvalidArgumentError(f"lang must be 'ja' or 'en', not {lang!r}")
    out = Path(out)
    inputs = [ws.path]
    check_city_pack_target(out, ws.path, force)
    today = dt.date.today() if today is None else today
    return write_pack(out, lambda work: _build(ws, Path(work), lang, today), inputs=inputs, option="--out")
