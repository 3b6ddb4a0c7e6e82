"""The council briefing pack written by ``pia-analysis report``.

:func:`key_messages` turns the results of :func:`pia_analysis.analysis.pipeline.analyse` (every analysis run
once) into plain sentences; :func:`write_report` writes the pack:

* ``briefing.pdf`` — A4 landscape: cover (with the count of questions and of findings resting on an
  assumption), the questions for the committee and the city (procedure checks phrased as questions with
  their rule and source; controls of unknown status), data-flow diagram, exposure, stage coverage, coverage
  heatmap, risk map, top findings (※ marks those resting on an assumption), self-rating check, key messages;
* every chart as PNG (200 dpi) and SVG, under ``charts/``;
* every table as CSV (UTF-8 with BOM, so Excel opens it) under ``tables/``, and all of them in ``tables.xlsx``;
* ``briefing.md`` with the key messages and the main tables.

The pack is built in a temporary directory beside ``out`` and moved into place only when complete, so an
interrupted or failed run leaves any previous pack intact; ``manifest.json`` lists every file with its
sha256, so that the next run recognises the folder as a pack it may replace (:mod:`pia_analysis.util.files`).
The same model gives byte-identical files.
"""

from __future__ import annotations

# Analysis, analyse and the MONTE_CARLO_* defaults are the pipeline's (analysis/pipeline.py), not the pack's.
__all__ = ["CHARTS", "CHART_RESULTS", "EXCEL_MAX_COLUMNS", "MARKDOWN_MAX_ROWS", "MESSAGE_MAX_ENTRIES",
           "MESSAGE_MAX_FLOWS", "PDF_PAGES", "TEXT_PAGES", "TOP_FINDINGS", "accepted_risks", "all_charts",
           "assessment_needs", "briefing_markdown", "chart_figures", "committee_questions", "council_findings",
           "declaration_word", "exposure_with_people", "key_messages", "largest_my_number_file", "markdown_table",
           "other_decisions", "page_footer", "readable_booleans", "stage_word", "threshold_sentence", "top_findings",
           "triage_sentence", "write_report"]

import datetime as dt
import re
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from ..charts import figures as charts
from ..charts.dataflow import dataflow_diagram
from ..charts.style import (A4_LANDSCAPE, drawable_figure, fit_text, form_item_number, save_figure, text_width,
                            use_japanese_fonts, wrap_text)
from ..analysis.attack_graph import my_number_holders
from ..analysis.findings.triage import decisions, shown_open, triage_counts
from ..analysis.pipeline import Analysis, analyse
from ..analysis.procedure import procedure_check
from ..analysis.provenance import assumed_rows, open_questions
from ..util.spreadsheet import write_csv, write_xlsx
from ..model.model import Model, require_model
from ..util.files import write_pack
from ..util.side_by_side import side_by_side
from .section3 import declared_out_cells
from .readings import loss_exceedance_reading
from .wording import CouncilWords, count_noun, measured_probability, method_notes, percent
from ..util.words import measure_word, probability_text
from ..catalog import read_table
from ..catalog import stages as catalog_stages

TOP_FINDINGS = 12
# Large models (a prefecture, the whole country) keep the pack readable: at most this many flows named in
# the key message on the minimum cut, entry points named as cut off, and rows of the exposure table in
# briefing.md (the CSV and Excel tables always hold every row). The bundled model is far below each.
MESSAGE_MAX_FLOWS = 12
MESSAGE_MAX_ENTRIES = 5
MARKDOWN_MAX_ROWS = 100
#: The appendix of names and ids lists every element while it has at most this many rows (about 25 pages);
#: a larger model's (the national model: ~110,000 elements, ~2,600 pages) lists the elements the pack's other
#: pages name, and says how many it leaves out.
APPENDIX_MAX_ROWS = 1_000
# Excel's last column is XFD (16,384): a wider coverage matrix is written transposed (systems as rows).
EXCEL_MAX_COLUMNS = 16_384
# The order of the PDF pages after the cover; each is a chart of CHARTS (or a table page).
# The bottom line first (issue 14): the key messages right after the cover, the questions the council must
# put, then the pictures that support the messages, then the analyst's detail, and the appendix that maps
# the names of the council pages to the ids of the tables.
# The holders' probabilities (each with its measure) and what to fix first follow the exposure chart (issue 17).
PDF_PAGES = ("messages", "questions", "dataflow", "exposure", "probabilities", "fix_first", "loss_exceedance",
             "stage_coverage", "risk_map", "findings", "coverage_heatmap", "rating_check", "appendix")
#: The pages whose text is the pack's own words (the others are charts): no internal id may appear there
#: except on the appendix.
TEXT_PAGES = ("cover", "messages", "questions", "probabilities", "fix_first", "findings", "appendix")


# ---------------------------------------------------------------------------------------------------
# key messages


def _assumed_mark(refs: list[str], ja: bool) -> str:
    """The mark a message or finding gets when it rests on rows whose source is an assumption."""
    if not refs:
        return ""
    shown = ", ".join(refs[:MESSAGE_MAX_ENTRIES]) + (" …" if len(refs) > MESSAGE_MAX_ENTRIES else "")
    return f"［※前提（仮定）: {shown}］" if ja else f" [※ rests on an assumption: {shown}]"


def _schedule_assumed(a: Analysis) -> list[str]:
    """The procedure record behind the review dates, when its source says the dates used are assumed."""
    record = a.model.meta.get("procedure") or {}
    source = str(record.get("source", ""))
    key = a.schedule.counted_from_key if a.schedule is not None else ""
    tail = source.split("assumption", 1)[1] if "assumption" in source else ""
    # e.g. "assumption: submitted_on and published_on — …": the date the schedule counts from is assumed
    name = key.rsplit(".", 1)[-1]
    return [f"model:procedure.{name}"] if name and name in tail else []


def key_messages(a: Analysis, lang: str = "ja") -> list[str]:
    """Plain-language sentences for a council briefing, generated from the results.

    The threshold judgment; the entry points that reach no city-run My Number holder (at most
    :data:`MESSAGE_MAX_ENTRIES` named); the most exposed holder and its path; the minimum cut (at most
    :data:`MESSAGE_MAX_FLOWS` flows named); the stage coverage; overclaimed self-ratings; when the model
    records the analyst's decisions (``triage.csv``), how the findings stand after them (:func:`triage_sentence`);
    the open findings (those needing action: decided ones left out, reopened ones in; with how many rest on an
    assumption); the review schedule; the number of questions for the
    committee and the city (:func:`committee_questions`). A message whose subject is absent is left out.

    A message whose evidence rests on rows whose ``source`` starts with ``assumption:`` ends with a mark
    naming them (「［※前提（仮定）: …］」, ``[※ rests on an assumption: …]``): the systems of the exposure path,
    the flows of the minimum cut, the rows behind the overclaimed ratings' findings, the top open finding's,
    and the procedure date the review schedule counts from when the procedure record says it is assumed.

    Parameters
    ----------
    a
        The results of :func:`analyse` on the model.
    lang
        ``"ja"`` (default) or ``"en"``.

    Returns
    -------
    list of str
        The messages, one sentence or two each, in the order above.

    Examples
    --------
    >>> from pia_analysis import analyse, bundled_model_path, key_messages, load_model
    >>> msgs = key_messages(analyse(load_model(bundled_model_path()), trials=2000), lang="en")
    >>> msgs[0].startswith("932,000 people")
    True
    """
    m, ja = a.model, lang != "en"
    w = CouncilWords(m, lang)
    body = w.body
    out: list[str] = []
    assumed = assumed_rows(m)
    t = a.threshold
    out.append(threshold_sentence(t, lang))

    # reachability: which entry points cannot reach which My Number holders at all
    city = set(m.systems.loc[m.systems["operator"] == "city", "system_id"])
    holders = [s for s in my_number_holders(m) if s in city]
    named = 0
    cut_off_entries = 0
    for entry, group in a.unreachable.groupby("entry_point", sort=True):
        cut_off = sorted(set(group["holder"]) & set(holders))
        if not (cut_off and set(cut_off) == set(holders)):
            continue
        cut_off_entries += 1
        if named < MESSAGE_MAX_ENTRIES:
            named += 1
            out.append(f"{w.name(entry)}からは、{body}が運用する特定個人情報の保有システム"
                       f"（{len(cut_off):,}件）へ到達する経路がありません。"
                       if ja else f"No path leads from the {w.name(entry)} to "
                       + ("the one" if len(cut_off) == 1 else f"any of the {len(cut_off):,}")
                       + f" {w.kind.word_en}-run " + ("system" if len(cut_off) == 1 else "systems")
                       + " holding My Number files.")
    if cut_off_entries > named:
        more = cut_off_entries - named
        out.append(f"ほかに {more} か所の入口からも、"
                   f"{body}が運用する特定個人情報の保有システムへ到達する経路がありません。"
                   if ja else f"{count_noun(more, 'more entry point')} reach none of the {w.kind.word_en}-run "
                   "systems holding My Number files.")

    # the holder most likely compromised by any path (exact where computed), its measure said, and its most
    # likely path as the lower bound it is (issue 17: the path alone read as the probability)
    ranked = [r for r in _holder_ranking(a) if r["exposure"] > 0]
    if ranked:
        top = ranked[0]
        path = " → ".join(w.name(s) for s in top["path"])
        people = largest_my_number_file(m, top["system_id"])
        # the path rests on its systems (the entry point's likelihood among them)
        refs = [f"systems:{s}" for s in top["path"] if s in assumed["systems"]]
        lower = measured_probability(top["exposure"], "path", lang=lang)
        if top["method"] == "path":
            likely = (f"最も起こりやすい経路（{path}）の想定確率は{lower}です。" if ja else
                      f"the most likely path ({path}) has an assumed likelihood of {lower}.")
        else:
            value = measured_probability(top["probability"], top["method"], top["low"], top["high"], lang)
            likely = (f"いずれかの経路で侵害される想定確率は{value}で、"
                      f"最も起こりやすい経路（{path}）だけでは{lower}です。"
                      if ja else f"the assumed likelihood of compromise by any path is {value}; the most likely "
                      f"path ({path}) alone gives {lower}.")
        out.append(f"最も到達されやすい特定個人情報の保有システムは{w.name(top['system_id'])}です。"
                   f"到達された場合、そこに保有される特定個人情報ファイル（最大のもの）の {people:,} 人分が"
                   f"影響を受けます。{likely}"
                   if ja else f"The system holding My Number files most likely to be compromised is the "
                   f"{w.name(top['system_id'])}. If it is reached, the {people:,} people of the largest My Number "
                   f"file it holds are affected; {likely}")
        out[-1] += _assumed_mark(w.references(refs), ja)
    if a.min_cut and len(a.min_cut) <= MESSAGE_MAX_FLOWS:
        flows = "、".join(f"「{w.flow(f)}」" for f in a.min_cut) if ja else \
            "; ".join(f"{w.flow(f)}" for f in a.min_cut)
        out.append(f"{len(a.min_cut):,} 本の流れ {flows} を遮断・強化すれば、"
                   "すべての入口から特定個人情報の保有システムへの経路を断てます。"
                   if ja else f"Blocking or hardening {'this flow' if len(a.min_cut) == 1 else 'these flows'} "
                   f"({flows}) would cut every entry point off from every system holding My Number files.")
        out[-1] += _assumed_mark(w.references([f"flows:{f}" for f in a.min_cut if f in assumed["flows"]]), ja)
    elif a.min_cut:
        first = "、".join(f"「{w.flow(f)}」" for f in a.min_cut[:MESSAGE_MAX_FLOWS]) if ja else \
            "; ".join(w.flow(f) for f in a.min_cut[:MESSAGE_MAX_FLOWS])
        out.append(f"{len(a.min_cut):,} 本の流れ（{first} ほか。一覧は tables/hardening.csv の in_min_cut）"
                   "を遮断・強化すれば、"
                   "すべての入口から特定個人情報の保有システムへの経路を断てます。"
                   if ja else f"Blocking or hardening {len(a.min_cut):,} flows ({first} and more: in_min_cut in "
                   "tables/hardening.csv) would cut every entry point off from every system holding My Number files.")
    plan = a.fix_first
    before = float(plan.attrs.get("expected_records_before", 0.0)) if plan is not None else 0.0
    if plan is not None and len(plan) and before > 0:
        # shares, not counts: a council page shows no expected number of records (the fix-first page does,
        # with its unit)
        steps = [_plan_item(a, w, r.kind, r.id) for r in plan.itertuples(index=False)]
        is_control = plan["kind"].iloc[0] == "control"
        if ja:
            first = f"{steps[0]}を完全に効かせること" if is_control else f"{steps[0]}を遮断すること"
        else:
            first = f"making {steps[0]} fully effective" if is_control else f"blocking {steps[0]}"
        one = percent(float(plan["fall"].iloc[0]) / before, lang)
        all_ = percent(float(plan["cumulative_fall"].iloc[-1]) / before, lang)
        out.append(f"まず直すべきは{first}です。これだけで個人番号の記録の期待値（年）が {one} 下がり、"
                   f"{len(plan)} 手（{'、'.join(steps)}）で {all_} 下がります（「まず直すもの」の頁）。"
                   if ja else f"Fix first: {first}. That alone lowers the expected records of My Number files a year "
                   f"by {one}; the {count_noun(len(plan), 'step')} ({'; '.join(steps)}) by {all_} (page "
                   "\"What to fix first\").")

    sc = a.stage_coverage.loc[a.stage_coverage["in_scope"]]
    if len(sc):
        pairs, covered = int(sc["pairs"].sum()), int(sc["covered"].sum())
        low = sc.sort_values(["coverage", "stage_no"]).iloc[0]
        n_stages = len(sc)
        out.append(f"対象となる {n_stages} つの取扱いプロセス全体で、リスク項目と対象要素の組 {pairs:,} 件のうち "
                   f"{covered:,} 件（{percent(covered / pairs)}）が"
                   f"実施済みの対策で覆われています。最も低いのは「{stage_word(low['stage'], lang)}」の "
                   f"{percent(low['coverage'])} です。"
                   if ja else f"Across the {count_noun(n_stages, 'stage')} that apply, {covered:,} of {pairs:,} "
                   f"risk × element pairs ({percent(covered / pairs)}) are covered by implemented controls; the "
                   f"lowest is {stage_word(low['stage'], lang)} at {percent(low['coverage'])}.")
    out_stages = a.stage_coverage.loc[a.stage_coverage["declared"].ne("") & ~a.stage_coverage["in_scope"]]
    if len(out_stages):  # a declared-out stage is 対象外 with its reason, not a stage without measures
        listed_ja = "、".join(f"「{stage_word(st, 'ja')}」（宣言: {w_}）"
                             for st, w_ in zip(out_stages["stage"], out_stages["declared"]))
        listed_en = ", ".join(f"{stage_word(st, 'en')} (declared: {declaration_word(w_, 'en')})"
                              for st, w_ in zip(out_stages["stage"], out_stages["declared"]))
        out.append(f"対象外の取扱いプロセス: {listed_ja}。" if ja else f"Stages not applicable: {listed_en}.")
    unused = a.stage_coverage.loc[a.stage_coverage["declared"].eq("") & ~a.stage_coverage["in_scope"]]
    if len(unused):  # a stage no flow uses: nothing to assess there, and nothing declared on the form
        listed = ("、".join(f"「{stage_word(st, 'ja')}」" for st in unused["stage"]) if ja else
                  ", ".join(stage_word(st, "en") for st in unused["stage"]))
        out.append(f"{listed}には該当する流れがなく、対象外です（評価書で「しない」と宣言するか確認してください）。"
                   if ja else f"No flow belongs to {listed}: not applicable (check whether the assessment declares "
                   "it not done).")
    over = a.rating_check.loc[a.rating_check["status"] == "overclaimed"]
    if len(over):
        risks = ("、".join(f"「{w.risk(r, 24)}」" for r in over["risk_id"].head(MESSAGE_MAX_ENTRIES)) if ja else
                 "; ".join(f"\"{w.risk(r, 40)}\"" for r in over["risk_id"].head(MESSAGE_MAX_ENTRIES)))
        more = len(over) - min(len(over), MESSAGE_MAX_ENTRIES)
        risks += (f" ほか {more} 件" if ja else f" and {more} more") if more else ""
        counts = over["rating"].value_counts().sort_index()
        parts_ja = "、".join(f"「{r}」{n}件" for r, n in counts.items())
        parts_en = ", ".join(f"{n} rated \"{w.rating(r)}\"" for r, n in counts.items())
        out.append(f"自己評価と対策の網羅状況が一致しない評価項目があります: "
                   f"{parts_ja}に未対策の要素があります（{risks}）。"
                   if ja else f"{count_noun(len(over), 'rated item')} ({parts_en}) have gaps in their "
                   f"coverage: {risks}.")
        rated = a.findings.set_index("finding_id")["assumptions"].to_dict() if a.findings is not None else {}
        refs = sorted({r for risk in over["risk_id"] for r in rated.get(f"rating-not-borne-out@{risk}", [])})
        out[-1] += _assumed_mark(w.references(refs), ja)
    open_f = a.findings.loc[shown_open(a.findings)]  # the analyst's standing decisions are not "open" (triage)
    if len(decisions(m)):
        out.append(triage_sentence(a, lang))
    if len(open_f):
        high = open_f.loc[open_f["risk_level"] >= 3]
        title = w.text(open_f.iloc[0]["title_ja" if ja else "title_en"])
        element = w.name(str(open_f.iloc[0]["element"]))
        n_assumed = int(open_f["assumed"].sum())
        out.append(f"未対応の指摘事項は {len(open_f):,} 件（うちリスクの水準が「{w.level(3)}」以上のもの "
                   f"{len(high):,} 件、"
                   f"前提（仮定）に基づくもの {n_assumed:,} 件）。最上位: {title}（{element}）。"
                   if ja else
                   f"{count_noun(len(open_f), 'open finding')}, {len(high):,} at risk level \"{w.level(3)}\" or "
                   f"above, {n_assumed:,} resting on an assumption. Top: {title} ({element}).")
        out[-1] += _assumed_mark(w.references(open_f.iloc[0]["assumptions"]), ja)
    s = a.schedule
    out.append(f"次回の年次見直しは {s.next_yearly_review.isoformat()}、"
               f"5年以内の再実施期限は {s.rerun_due.isoformat()} です。"
               if ja else f"Next yearly review: {s.next_yearly_review.isoformat()}; the 5-year re-run is due by "
               f"{s.rerun_due.isoformat()}.")
    out[-1] += _assumed_mark(w.references(_schedule_assumed(a)), ja)
    questions = committee_questions(a, lang)
    if len(questions):
        out.append(f"委員会・{body}への確認事項が {len(questions):,} 件あります"
                   "（手続の確認と状況不明の対策。主なメッセージの後の頁）。"
                   if ja else f"{count_noun(len(questions), 'question')} for the committee and {body} (the "
                   "procedure checks and the measures whose status is unknown; the page after the key messages).")
    return [w.text(msg) for msg in out]


def threshold_sentence(t, lang: str = "ja") -> str:
    """The threshold judgment as one sentence that reads naturally when no assessment is required.

    Parameters
    ----------
    t
        The threshold judgment (:func:`pia_analysis.required_assessment`).
    lang
        ``"ja"`` (default) or ``"en"``.

    Returns
    -------
    str
        「対象人数 8,000 人のため、基礎項目評価が必要です。」; for code ``none``「…のため、特定個人情報保護評価の
        実施は義務付けられていません。」.

    Examples
    --------
    >>> from pia_analysis.analysis.judgments import threshold_judgment
    >>> from pia_analysis.outputs.briefing import threshold_sentence
    >>> threshold_sentence(threshold_judgment(500), "en")
    '500 people in the files: no privacy impact assessment is required.'
    >>> threshold_sentence(threshold_judgment(8000), "ja")
    '対象人数 8,000 人のため、基礎項目評価が必要です。'
    """
    n = t.target_population
    if t.code == "none":
        return (f"対象人数 {n:,} 人のため、特定個人情報保護評価の実施は義務付けられていません。" if lang != "en" else
                f"{n:,} people in the files: no privacy impact assessment is required.")
    return (f"対象人数 {n:,} 人のため、{t.label_ja}が必要です。" if lang != "en" else
            f"{n:,} people in the files: a {t.label_en} is required.")


def exposure_with_people(model: Model, exposure: pd.DataFrame, compromise: pd.DataFrame | None = None,
                         lang: str = "ja") -> pd.DataFrame:
    """The exposure table with ``people_if_reached`` right before ``records_at_stake`` (its expected value).

    ``records_at_stake`` is an expected value (期待値: the yearly probability × the records held), an average
    that understates what happens if the system is reached; the pack's tables never show it without the people
    affected then (:func:`largest_my_number_file`) beside it. With ``compromise``, each probability says which
    measure it is (issue 17): ``exposure_measure`` right after ``exposure`` (the most likely path, a lower
    bound), then the compromise probability by any path, its interval or bounds and its measure.

    Parameters
    ----------
    model
        The model.
    exposure
        Its :func:`pia_analysis.node_exposure` table.
    compromise
        Its :func:`pia_analysis.compromise_probability` table, or ``None`` (no compromise columns).
    lang
        The language of the measure's words (``"ja"`` or ``"en"``).

    Returns
    -------
    pandas.DataFrame
        A copy with the int64 column ``people_if_reached`` inserted before ``records_at_stake``; with
        ``compromise``, after ``exposure``: ``exposure_measure`` (str), ``compromise_probability`` (float64,
        per year; NaN when only bounds are known), ``compromise_low``, ``compromise_high`` (float64: equal to
        it when exact, the 95 % interval when sampled, the bounds otherwise) and ``compromise_measure`` (str).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, compromise_probability, load_model, node_exposure
    >>> from pia_analysis.outputs.briefing import exposure_with_people
    >>> m = load_model(bundled_model_path())
    >>> row = exposure_with_people(m, node_exposure(m)).set_index("system_id").loc["JUKI_REC"]
    >>> int(row["people_if_reached"]), round(float(row["records_at_stake"]))
    (932000, 23300)
    >>> row = exposure_with_people(m, node_exposure(m), compromise_probability(m)).set_index("system_id")
    >>> float(row.at["JUKI_REC", "exposure"]), row.at["JUKI_REC", "exposure_measure"]
    (0.025, '最も起こりやすい経路（下限）')
    >>> row.at["JUKI_REC", "compromise_measure"], bool(row.at["JUKI_REC", "compromise_probability"] > 0.025)
    ('厳密な確率', True)
    """
    out = exposure.copy()
    people = [largest_my_number_file(model, s) for s in out["system_id"]]
    out.insert(list(out.columns).index("records_at_stake"), "people_if_reached", pd.Series(people, dtype="int64",
                                                                                           index=out.index))
    if compromise is not None:
        c = compromise.set_index("system_id").reindex(out["system_id"])
        at = list(out.columns).index("exposure") + 1
        columns = {
            "exposure_measure": [measure_word("path", lang)] * len(out),
            "compromise_probability": c["probability"].to_numpy(dtype=float),
            "compromise_low": c["low"].to_numpy(dtype=float),
            "compromise_high": c["high"].to_numpy(dtype=float),
            "compromise_measure": [measure_word(str(m), lang) for m in c["method"]],
        }
        for k, (name, values) in enumerate(columns.items()):
            out.insert(at + k, name, pd.Series(values, index=out.index))
    return out


def largest_my_number_file(model: Model, system_id: str) -> int:
    """The records (people) of the largest My Number file ``system_id`` holds (0 when it holds none).

    What is at stake if the system is reached: every person of its largest file, not an expected value.

    Parameters
    ----------
    model
        The model.
    system_id
        A system of the model.

    Returns
    -------
    int
        The records of that file.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model
    >>> from pia_analysis.outputs.briefing import largest_my_number_file
    >>> largest_my_number_file(load_model(bundled_model_path()), "JUKI_REC")
    932000
    """
    return int(model.my_number_people.get(system_id, 0))


def stage_word(stage: str, lang: str = "ja") -> str:
    """A stage's short name in the pack's language (入手 …; acquisition …), from ``catalog/stages.csv``.

    Parameters
    ----------
    stage
        A stage code (``acquire`` … ``retain``).
    lang
        ``"ja"`` (default) or ``"en"``.

    Returns
    -------
    str
        The short name.

    Examples
    --------
    >>> from pia_analysis.outputs.briefing import stage_word
    >>> stage_word("outsource"), stage_word("outsource", "en")
    ('委託', 'outsourcing')
    """
    row = catalog_stages().set_index("stage").loc[stage]
    return str(row["short_ja"]) if lang != "en" else _STAGE_EN.get(stage, str(row["name_en"]))


def declaration_word(declared: str, lang: str = "ja") -> str:
    """A stage declaration (委託しない …) in the pack's language, from ``catalog/stage_declarations.csv``.

    Parameters
    ----------
    declared
        The declaration's Japanese label, as the stage coverage writes it.
    lang
        ``"ja"`` (default: the label as it is) or ``"en"``.

    Returns
    -------
    str
        The label in the pack's language.

    Examples
    --------
    >>> from pia_analysis.outputs.briefing import declaration_word
    >>> declaration_word("委託しない", "en")
    'no outsourcing'
    """
    if lang != "en":
        return declared
    table = read_table("stage_declarations.csv")
    match = table.loc[table["label_ja"] == declared]
    return str(match.iloc[0]["label_en"]) if len(match) else declared


# The stages' short English names (the catalogue's name_en is the form's long wording).
_STAGE_EN = {"acquire": "acquisition", "use": "use", "outsource": "outsourcing", "provide": "provision and transfer",
             "network": "network connection", "retain": "retention and erasure"}


def committee_questions(a: Analysis, lang: str = "ja") -> pd.DataFrame:
    """The questions for the committee and the city (確認事項): procedure checks, then unknown controls.

    The procedure checks that flag or lack a record come first, then the controls whose status is
    ``unknown``. Each procedure question comes with the rule it rests on (its wording, whether it is a duty or a duty to
    endeavour, and its mark confirmed/recalled) and the provision it rests on (``basis_ja``/``basis_en`` of
    ``catalog/procedure_rules.csv``: the 指針 or 規則, never the analyst's reference files or another body's minutes)
    (:func:`pia_analysis.procedure_check`, judged on the day of the review schedule); each unknown control
    with the risks it would mitigate and the row's source (:func:`pia_analysis.open_questions`).

    Parameters
    ----------
    a
        The results of :func:`analyse` on the model (its ``schedule`` gives the day the procedure is judged
        on; without it, the assessment date).
    lang
        ``"ja"`` (default: Japanese column names and texts) or ``"en"``.

    Returns
    -------
    pandas.DataFrame
        One row per question, columns ``区分, 確認事項, 根拠, 出典`` (``kind, question, rule, source`` in
        English), all text; procedure questions first, in the order of the checks.

    Raises
    ------
    pia_analysis.catalog.CatalogError
        When ``catalog/procedure_rules.csv`` cannot be read as rules.

    Examples
    --------
    >>> from pia_analysis.outputs.briefing import committee_questions
    >>> from pia_analysis import analyse, bundled_model_path, load_model
    >>> q = committee_questions(analyse(load_model(bundled_model_path()), only=("judgments",)), lang="en")
    >>> list(q.columns), q["kind"].tolist()[-1]
    (['kind', 'question', 'rule', 'source'], 'measure of unknown status')
    """
    ja = lang != "en"
    m = a.model
    today = a.schedule.today if a.schedule is not None else m.meta["assessed_on"]
    checks = procedure_check(m, today=today)
    duty_ja = {"mandatory": "義務", "endeavour": "努力義務"}
    rows = []
    for c in checks.loc[checks["status"].isin(["flag", "missing"])].to_dict("records"):
        kind = ("手続（要確認）" if c["status"] == "flag" else "手続（記録なし）") if ja else (
            "procedure (flag)" if c["status"] == "flag" else "procedure (no record)")
        confidence_ja = {"confirmed": "出典で確認済み", "recalled": "出典未確認"}.get(c["confidence"], c["confidence"])
        rule = (f"{c['rule_ja']}（{duty_ja.get(c['duty'], c['duty'])}・{confidence_ja}）" if ja else
                f"{c['rule']} ({c['duty']}, {c['confidence']})")
        rows.append((kind, c["question_ja" if ja else "question_en"] or c["detail_ja" if ja else "detail_en"],
                     rule, c["basis_ja" if ja else "basis_en"]))  # the provision, not the analyst's files
    w = CouncilWords(m, lang)
    for q in open_questions(m).to_dict("records"):
        risks = "、".join(f"「{w.risk(r, 24)}」" for r in q["mitigates"]) if ja else \
            "; ".join(w.risk(r, 40) for r in q["mitigates"])
        rows.append(("対策の状況（不明）" if ja else "measure of unknown status",
                     w.text(q["question_ja" if ja else "question_en"]),
                     f"状況が不明なため、何も守らないものとして分析（対象のリスク: {risks}）" if ja else
                     f"status unknown: counted as protecting nothing (risks: {risks})", q["source"]))
    columns = ["区分", "確認事項", "根拠", "出典"] if ja else ["kind", "question", "rule", "source"]
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------------------------------------------
# pages


def page_footer(fig: Figure, model: Model, lang: str, page: int | None = None) -> None:
    """Write the footer of a text page: the model's title (cut to half the page), its date, the page number.

    Parameters
    ----------
    fig
        The page.
    model
        The model the page is about (a city's :func:`~pia_analysis.whatif.city.city_model` for a city's pack).
    lang
        ``"ja"`` or ``"en"``: the title's language.
    page
        The page number, when the page shows one.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> from pia_analysis import bundled_model_path, load_model
    >>> from pia_analysis.outputs.briefing import page_footer
    >>> fig = Figure()
    >>> page_footer(fig, load_model(bundled_model_path()), "ja")
    >>> fig.texts[-1].get_text().endswith("2021-11-09")
    True
    """
    tail = f" · {model.meta['assessed_on'].isoformat()}" + (f" · {page}" if page is not None else "")
    # the title cut with '…' to half the page (a model's title may have 200 characters): the date and the
    # page number stay whole, and the footer clear of a page's notes at the left
    title = fit_text(model.title(lang), A4_LANDSCAPE[0] * 0.5 - text_width(tail, 7), 7)
    fig.text(0.99, 0.01, title + tail, ha="right", va="bottom", fontsize=7, color="#555555")


_footer = page_footer


def cover_page(a: Analysis, lang: str = "ja") -> Figure:
    """The cover: affairs, organisation, date, population, threshold judgment and review schedule."""
    use_japanese_fonts()
    m, ja = a.model, lang != "en"
    fig = Figure(figsize=A4_LANDSCAPE)
    fig.text(0.06, 0.86, "特定個人情報保護評価 ブリーフィング資料" if ja else "Privacy impact assessment briefing",
             fontsize=22)
    # at most two lines (a title may have 200 characters), above the rows that start at 0.70
    fig.text(0.06, 0.82, "\n".join(wrap_text(m.title(lang), A4_LANDSCAPE[0] * 0.88, 15, lang, max_lines=2,
                                             balanced=False)), fontsize=15, va="top", linespacing=1.2)
    s = a.schedule
    rows = [
        ("事務の名称" if ja else "Affairs", str(m.meta["affairs"])),
        ("実施機関" if ja else "Organisation", str(m.meta["organisation"])),
        ("評価実施日" if ja else "Assessed on", m.meta["assessed_on"].isoformat()),
        ("対象人数" if ja else "Target population", f"{m.meta['target_population']:,}"),
        ("しきい値判断" if ja else "Threshold judgment", a.threshold.label_ja if ja else a.threshold.label_en),
        ("この評価に必要なもの" if ja else "What this body must file", assessment_needs(a.threshold.code, lang)),
        ("次回の年次見直し" if ja else "Next yearly review", s.next_yearly_review.isoformat()),
        ("5年以内の再実施期限" if ja else "5-year re-run due", s.rerun_due.isoformat()),
    ]
    questions = committee_questions(a, lang)
    kinds = questions.iloc[:, 0]
    procedure = int(kinds.str.startswith("手続" if ja else "procedure").sum())
    unknown = len(questions) - procedure
    # the procedure is judged on the day of the schedule (the committee's day unless one is given): say which
    judged = (a.schedule.today if a.schedule is not None else m.meta["assessed_on"]).isoformat()
    rows.append(("確認事項" if ja else "Questions",
                 f"手続 {procedure} 件（{judged} 時点）・状況不明の対策 {unknown} 件（3頁）" if ja else
                 f"{procedure} on the procedure (as of {judged}), {unknown} on measures of unknown status "
                 "(page 3)"))
    open_f = a.findings.loc[shown_open(a.findings)] if a.findings is not None else None
    if open_f is not None:
        n = int(open_f["assumed"].sum())
        rows.append(("前提（仮定）に基づく指摘" if ja else "Findings resting on an assumption",
                     f"前提（仮定）に基づく指摘: {n}件（未対応の指摘 {len(open_f)} 件のうち。※印）" if ja else
                     f"{n} of {len(open_f)} open findings (marked ※)"))
        if len(decisions(m)):  # the analyst's decisions, counted as the committee should see them
            counts = triage_counts(a.findings)
            words = {"open": ("未対応", "open"), "accepted": ("受容", "accepted"),
                     "false_positive": ("誤検知", "false positive"), "fixing": ("対応中", "being fixed"),
                     "reopened": ("再開", "reopened")}
            # one line: the cover's last row sits just above its closing note
            listed = ("・" if ja else ", ").join(f"{words[k][0 if ja else 1]} {counts[k]}" + ("件" if ja else "")
                                                for k in words)
            rows.append(("指摘への判断" if ja else "Decisions on findings",
                         f"{listed}（{_judged_on(a)} 時点）" if ja else f"{listed} (as of {_judged_on(a)})"))
    y = 0.70
    for k, v in rows:
        lines = wrap_text(v, A4_LANDSCAPE[0] * 0.6, 11, lang, balanced=False)
        fig.text(0.08, y, k, fontsize=11, color="#333333", va="top")
        fig.text(0.34, y, "\n".join(lines), fontsize=11, va="top", linespacing=1.3)
        # one line of 11 pt at 1.3 spacing is about 0.024 of the page's height; rows keep a gap between them
        y -= 0.026 * max(1, len(lines)) + 0.022
    fig.text(0.06, 0.12, ("本資料はモデルから自動生成されています。確率・有効性の値は想定値（assumption）を含みます。"
                          if ja else
                          "Generated from the model. Likelihoods and effectiveness values include assumptions."),
             fontsize=9, color="#555555")
    _footer(fig, m, lang)
    return fig


def table_pages(frame: pd.DataFrame, title: str, model: Model, lang: str, col_widths: list[float],
                size: float = 8.0, max_lines: int | None = 6) -> list[Figure]:
    """A table over as many pages as it needs, every row shown.

    The appendix maps every name the council pages use to its id, so it continues (「（続き）」) instead of
    stopping at 「ほか N 件」.

    Parameters
    ----------
    frame
        The rows, in order.
    title
        The first page's title; the next pages add 「（続き）」 / " (continued)".
    model
        The model (the footer).
    lang
        ``"ja"`` or ``"en"``.
    col_widths
        Each column's share of the width.
    size
        The font size of the cells.
    max_lines
        A cell's lines at most (the last one ends in '…'); None: every cell whole, however tall its row.

    Returns
    -------
    list of Figure
        One page or more; together they show every row.

    Examples
    --------
    >>> import pandas as pd
    >>> from pia_analysis import bundled_model_path, load_model
    >>> from pia_analysis.outputs.briefing import table_pages
    >>> frame = pd.DataFrame({"name": [f"システム {i}" for i in range(120)], "id": [f"S{i}" for i in range(120)]})
    >>> len(table_pages(frame, "付録", load_model(bundled_model_path()), "ja", [0.7, 0.3])) > 1
    True
    """
    pages: list[Figure] = []
    start = 0
    while True:
        heading = title if not pages else (f"{title}（続き）" if lang != "en" else f"{title} (continued)")
        fig, shown = _table_page(frame.iloc[start:], heading, model, lang, col_widths, size, continued=True,
                                 max_lines=max_lines)
        pages.append(fig)
        start += max(shown, 1)  # (a row taller than a page is cut to its lines: never an endless loop)
        if start >= len(frame):
            return pages


def table_page(frame: pd.DataFrame, title: str, model: Model, lang: str, col_widths: list[float],
               size: float = 8.0, note: str = "", explain: bool = False, lead: list[str] | None = None) -> Figure:
    """A page with a table whose cells are wrapped to their column (measured in the chart font).

    ``col_widths`` are fractions of the usable width. Rows that do not fit on the page are left out and
    counted in a line at the bottom (with ``note`` saying where the full table is). With ``explain``, the
    methods the page names (:func:`~pia_analysis.outputs.wording.method_notes`) are explained in one line each
    at the bottom of the page. ``lead``: paragraphs of text between the title and the table (the page's reading).
    """
    return _table_page(frame, title, model, lang, col_widths, size, note, explain, lead=lead)[0]


def _table_page(frame: pd.DataFrame, title: str, model: Model, lang: str, col_widths: list[float],
                size: float = 8.0, note: str = "", explain: bool = False,
                continued: bool = False, max_lines: int | None = 6,
                lead: list[str] | None = None) -> tuple[Figure, int]:
    """:func:`table_page`, and how many rows it shows; ``continued``: the rows left go on the next page."""
    use_japanese_fonts()
    fig = Figure(figsize=A4_LANDSCAPE)
    width_in, height_in = A4_LANDSCAPE
    left, right, top, bottom = 0.5, 0.5, 0.95, 0.55  # margins in inches
    usable = width_in - left - right
    line_h = size * 1.35 / 72  # inches
    pad = 0.05
    fig.text(left / width_in, 1 - 0.45 / height_in, title, fontsize=15, va="top")
    y = top + 0.1  # inches from the top edge
    xs = [left + usable * sum(col_widths[:i]) for i in range(len(col_widths))]
    for paragraph in lead or []:  # the page's reading, above the table
        lines = wrap_text(paragraph, usable, size + 1, lang, balanced=False)
        fig.text(left / width_in, 1 - y / height_in, "\n".join(lines), fontsize=size + 1, va="top", linespacing=1.4)
        y += len(lines) * (size + 1) * 1.4 / 72 + 0.08
    # (the page's text is gathered only when it is explained: a long appendix passes the rows left each page)
    notes = method_notes(" ".join([title, *(lead or []), *map(str, frame.columns),
                                   *(_cell_text(v) for v in frame.to_numpy().ravel())]), lang) if explain else []
    bottom += _notes_height(notes, usable, lang)  # the rows stop above the notes

    def row(cells: list[str], header: bool = False, max_lines: int | None = None) -> float:
        wrapped = [wrap_text(str(c), usable * w - 2 * pad, size, lang, max_lines=max_lines)
                   for c, w in zip(cells, col_widths)]
        return max(len(w) for w in wrapped) * line_h + 2 * pad, wrapped, header

    def draw(y: float, measured) -> float:
        h, wrapped, header = measured
        if header:  # the chart font (IPAexGothic) has no bold face: a header row is shaded instead
            fig.add_artist(Rectangle((left / width_in, 1 - (y + h) / height_in), usable / width_in, h / height_in,
                                     facecolor="#EEEEEE", edgecolor="none", zorder=0))
        for x, lines in zip(xs, wrapped):
            fig.text((x + pad) / width_in, 1 - (y + pad) / height_in, "\n".join(lines), fontsize=size, va="top",
                     ha="left", linespacing=1.35)
        y += h
        fig.add_artist(Line2D([left / width_in, (left + usable) / width_in], [1 - y / height_in] * 2,
                              color="#BBBBBB", linewidth=0.6))
        return y

    shown = 0
    if frame.empty:
        fig.text(left / width_in, 1 - y / height_in, "該当なし" if lang != "en" else "Nothing to list", fontsize=12,
                 va="top")
    else:
        y = draw(y, row(list(map(str, frame.columns)), header=True))
        shown = 0
        for values in frame.itertuples(index=False):
            measured = row([_cell_text(v) for v in values], max_lines=max_lines)
            if y + measured[0] > height_in - bottom - line_h:
                break
            y = draw(y, measured)
            shown += 1
        if shown < len(frame) and continued:
            more = "次の頁に続く" if lang != "en" else "continued on the next page"
            fig.text(left / width_in, 1 - (y + 0.1) / height_in, more, fontsize=size, va="top", color="#555555")
        elif shown < len(frame):
            more = ((f"ほか {len(frame) - shown} 件" if lang != "en" else f"{len(frame) - shown} more")
                    + (f" — {note}" if note else ""))
            fig.text(left / width_in, 1 - (y + 0.1) / height_in, more, fontsize=size, va="top", color="#555555")
    _method_notes(fig, notes, height_in - bottom + 0.1, left, usable, lang)
    _footer(fig, model, lang)
    return fig, shown


def _cell_text(value) -> str:
    if isinstance(value, (list, tuple)):
        return " → ".join(map(str, value))
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def messages_page(messages: list[str], model: Model, lang: str) -> Figure:
    """The page of key messages, one bullet each, wrapped to the page."""
    use_japanese_fonts()
    fig = Figure(figsize=A4_LANDSCAPE)
    width_in, height_in = A4_LANDSCAPE
    fig.text(0.5 / width_in, 1 - 0.45 / height_in, "主なメッセージ" if lang != "en" else "Key messages", fontsize=16,
             va="top")
    notes = method_notes(" ".join(messages), lang)
    # the messages and their notes stay on the page: a model with many messages gets a smaller type
    room = height_in - 1.2 - 0.05 - _notes_height(notes, width_in - 1.2, lang) - 0.45
    for size in (11.0, 10.5, 10.0, 9.5, 9.0, 8.5, 8.0):
        line_h = size * 1.4 / 72
        wrapped = [wrap_text(msg, width_in - 1.6, size, lang, balanced=False) for msg in messages]
        if sum(len(lines) * line_h + 0.22 * size / 11.0 for lines in wrapped) <= room:
            break
    y = 1.2
    for lines in wrapped:
        fig.text(0.6 / width_in, 1 - y / height_in, "•", fontsize=size, va="top")
        fig.text(0.85 / width_in, 1 - y / height_in, "\n".join(lines), fontsize=size, va="top", linespacing=1.4)
        y += len(lines) * line_h + 0.22 * size / 11.0
    # a method the messages name is explained in one line below them (the most likely path …)
    _method_notes(fig, notes, y + 0.05, 0.6, width_in - 1.2, lang)
    _footer(fig, model, lang)
    return fig


def _method_notes(fig: Figure, notes: list[str], y: float, left: float, width: float, lang: str,
                  size: float = 8.0) -> float:
    """Draw the one-line explanations of the methods a page names from ``y`` (inches from the top); the new y."""
    if not notes:
        return y
    width_in, height_in = A4_LANDSCAPE
    lines = [line for note in notes for line in wrap_text(note, width, size, lang, balanced=False)]
    fig.text(left / width_in, 1 - y / height_in, "\n".join(lines), fontsize=size, va="top", linespacing=1.35,
             color="#444444", gid="method-notes")
    return y + len(lines) * size * 1.35 / 72


def _notes_height(notes: list[str], width: float, lang: str, size: float = 8.0) -> float:
    """The height (inches) :func:`_method_notes` takes for ``notes``."""
    lines = sum(len(wrap_text(note, width, size, lang, balanced=False)) for note in notes)
    return lines * size * 1.35 / 72 + (0.1 if notes else 0.0)


def top_findings(a: Analysis, lang: str = "ja", n: int = TOP_FINDINGS) -> pd.DataFrame:
    """The ``n`` open findings of highest risk level, with the columns a council page shows.

    Parameters
    ----------
    a
        The results of :func:`analyse` on the model (its findings are sorted highest risk level first).
    lang
        ``"ja"`` (default: Japanese column names and texts) or ``"en"``.
    n
        At most this many findings.

    Returns
    -------
    pandas.DataFrame
        One row per finding, columns ``指摘ID, リスクの水準, 内容, 詳細, 前提（仮定）`` (``finding, risk level, what,
        detail, assumed`` in English): the finding id (str), its risk level 1–4 (int), its title (marked ``※``
        when the finding rests on an assumption) and detail (str), and the rows (``table:id``) whose source is
        an assumption it rests on, joined by ``; `` (empty when none).

    Examples
    --------
    >>> from pia_analysis.outputs.briefing import top_findings
    >>> from pia_analysis import analyse, bundled_model_path, load_model
    >>> top = top_findings(analyse(load_model(bundled_model_path()), trials=2000), lang="en", n=3)
    >>> list(top.columns), len(top)
    (['finding', 'risk level', 'what', 'detail', 'assumed'], 3)
    """
    ja = lang != "en"
    f = a.findings.loc[shown_open(a.findings)].head(n)  # a decided finding is listed with its decision, not here
    mark = "※ " if ja else "※ "
    return pd.DataFrame({
        ("指摘ID" if ja else "finding"): f["finding_id"],
        ("リスクの水準" if ja else "risk level"): f["risk_level"],
        ("内容" if ja else "what"): [(mark if assumed else "") + title
                                     for assumed, title in zip(f["assumed"], f["title_ja" if ja else "title_en"])],
        ("詳細" if ja else "detail"): f["detail_ja" if ja else "detail_en"],
        ("前提（仮定）" if ja else "assumed"): ["; ".join(refs) for refs in f["assumptions"]],
    })


def council_findings(a: Analysis, lang: str = "ja", n: int = TOP_FINDINGS) -> pd.DataFrame:
    """The ``n`` open findings of highest risk level in the council's words (names, no ids).

    Open as :func:`~pia_analysis.analysis.findings.triage.shown_open` counts them (decided findings left out).

    Parameters
    ----------
    a
        The results of :func:`analyse` on the model (its findings are sorted highest risk level first).
    lang
        ``"ja"`` (default) or ``"en"``.
    n
        At most this many findings.

    Returns
    -------
    pandas.DataFrame
        Columns ``リスクの水準, 内容, 詳細, 前提（仮定）`` (``risk level, what, detail, assumed``): the level in
        words (低 … 重大), the title (``※`` when the finding rests on an assumption, the body's own word for 市),
        the detail with names for ids and percentages for probabilities, and the assumed rows by name.
        :func:`top_findings` is the same list with the ids, for analysts.

    Examples
    --------
    >>> from pia_analysis.outputs.briefing import council_findings
    >>> from pia_analysis import analyse, bundled_model_path, load_model
    >>> top = council_findings(analyse(load_model(bundled_model_path()), trials=2000), lang="en", n=3)
    >>> list(top.columns), top["risk level"].iloc[0]
    (['risk level', 'what', 'detail', 'assumed'], 'critical')
    """
    ja = lang != "en"
    w = CouncilWords(a.model, lang)
    f = a.findings.loc[shown_open(a.findings)].head(n)  # a decided finding is listed with its decision, not here
    return pd.DataFrame({
        ("リスクの水準" if ja else "risk level"): [w.level(v) for v in f["risk_level"]],
        ("内容" if ja else "what"): [("※ " if assumed else "") + w.text(title)
                                     for assumed, title in zip(f["assumed"], f["title_ja" if ja else "title_en"])],
        ("詳細" if ja else "detail"): [w.text(d) for d in f["detail_ja" if ja else "detail_en"]],
        ("前提（仮定）" if ja else "assumed"): ["、".join(w.references(refs)) if ja else "; ".join(w.references(refs))
                                          for refs in f["assumptions"]],
    })


# ---------------------------------------------------------------------------------------------------
# the analyst's decisions on findings (triage.csv, docs/triage.md)

_STATE_WORDS = {"open": ("未対応", "open"), "accepted": ("受容", "accepted"),
                "false_positive": ("誤検知", "false positive"), "fixing": ("対応中", "being fixed"),
                "reopened": ("見直し期限切れで再開", "reopened (review date passed)")}


def _judged_on(a: Analysis) -> str:
    day = a.triage_as_of or (a.findings.attrs.get("triage_as_of") if a.findings is not None else None)
    return (day or dt.date.today()).isoformat()


def triage_sentence(a: Analysis, lang: str = "ja") -> str:
    """How the open findings stand after the analyst's decisions, in one sentence with the day judged on.

    Parameters
    ----------
    a
        The results of :func:`analyse` on the model.
    lang
        ``"ja"`` (default) or ``"en"``.

    Returns
    -------
    str
        The counts of :func:`~pia_analysis.analysis.findings.triage.triage_counts`: open (the reopened
        included), accepted, false positive, being fixed, reopened; and the day (``Analysis.triage_as_of``).

    Examples
    --------
    >>> import datetime as dt
    >>> from pia_analysis import analyse, bundled_model_path, load_model
    >>> from pia_analysis.outputs.briefing import triage_sentence
    >>> a = analyse(load_model(bundled_model_path()), today=dt.date(2026, 11, 30), only=("findings",))
    >>> triage_sentence(a, "en").endswith("decisions as of 2026-11-30).")
    True
    """
    counts = triage_counts(a.findings)
    ja = lang != "en"
    parts = [f"{_STATE_WORDS[k][0 if ja else 1]} {counts[k]:,}" + ("件" if ja else "")
             for k in ("open", "accepted", "false_positive", "fixing", "reopened")]
    day = _judged_on(a)
    return (f"指摘への判断: {'、'.join(parts)}（{day} 時点の判断。再開したものは未対応に含む）。" if ja else
            f"Findings after the analyst's decisions: {', '.join(parts)} (the reopened counted as open; "
            f"decisions as of {day}).")


def _finding_words(w: CouncilWords, row: dict) -> str:
    """A finding as the council reads it: the element's name (a flow from → to, a rated item's wording)."""
    return w.risk(row["element"], 40) if row["element_type"] == "risk" else w.name(str(row["element"]))


def _decision_rows(a: Analysis, lang: str, wanted: tuple[str, ...]) -> pd.DataFrame:
    ja = lang != "en"
    w = CouncilWords(a.model, lang)
    f = a.findings
    # the analysis' open findings whose decision is one of ``wanted``, holding or reopened (marked)
    rows = f.loc[(f["status"] == "open") & f["decision"].isin(wanted)] if "decision" in f else f.iloc[:0]
    reopened = "（見直し期限切れ・再開）" if ja else " (review date passed: reopened)"
    kinds = {"accepted": ("受容", "accepted"), "false_positive": ("誤検知", "false positive"),
             "fixing": ("対応中", "being fixed")}
    records = rows.to_dict("records")
    return pd.DataFrame({
        ("指摘" if ja else "finding"): [_finding_words(w, r) for r in records],
        ("判断" if ja else "decision"): [kinds[r["decision"]][0 if ja else 1]
                                       + (reopened if r["decision_state"] == "reopened" else "") for r in records],
        ("リスクの水準" if ja else "risk level"): [w.level(r["risk_level"]) for r in records],
        ("内容" if ja else "what"): [w.text(r["title_ja" if ja else "title_en"]) for r in records],
        ("理由" if ja else "reason"): [r["decision_reason"] for r in records],
        ("判断者" if ja else "by"): [r["decided_by"] for r in records],
        ("判断日" if ja else "on"): [r["decided_on"] for r in records],
        ("見直し・期限" if ja else "review / due"): [r["review_on"] for r in records],
    })


def accepted_risks(a: Analysis, lang: str = "ja") -> pd.DataFrame:
    """The risks the analyst accepted, in the council's words: the committee sees what was accepted and why.

    Accepted findings whose review date has passed are listed too, marked reopened (they count as open again).

    Parameters
    ----------
    a
        The results of :func:`analyse` on the model.
    lang
        ``"ja"`` (default) or ``"en"``.

    Returns
    -------
    pandas.DataFrame
        Columns ``指摘, 判断, リスクの水準, 内容, 理由, 判断者, 判断日, 見直し・期限`` (``finding, decision, risk
        level, what, reason, by, on, review / due``): the finding by the element's name (no ids), ``受容`` or
        ``受容（見直し期限切れ・再開）``, the level in words, the title, the analyst's reason, who decided, when,
        and the review date ("" when none). In the findings' order (highest risk level first).

    Examples
    --------
    >>> import datetime as dt
    >>> from pia_analysis import analyse, bundled_model_path, load_model
    >>> from pia_analysis.outputs.briefing import accepted_risks
    >>> a = analyse(load_model(bundled_model_path()), today=dt.date(2026, 11, 30), only=("findings",))
    >>> list(accepted_risks(a, "en").columns)[:3], len(accepted_risks(a, "en"))
    (['finding', 'decision', 'risk level'], 0)
    """
    return _decision_rows(a, lang, ("accepted",))


def other_decisions(a: Analysis, lang: str = "ja") -> pd.DataFrame:
    """The findings the analyst marked false positives or is fixing (the briefing's appendix).

    Parameters
    ----------
    a
        The results of :func:`analyse` on the model.
    lang
        ``"ja"`` (default) or ``"en"``.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`accepted_risks`; ``判断`` is ``誤検知`` or ``対応中`` (``false positive``, ``being
        fixed``), marked when reopened; ``見直し・期限`` is a fix's due date.

    Examples
    --------
    >>> import datetime as dt
    >>> from pia_analysis import analyse, bundled_model_path, load_model
    >>> from pia_analysis.outputs.briefing import other_decisions
    >>> a = analyse(load_model(bundled_model_path()), today=dt.date(2026, 11, 30), only=("findings",))
    >>> len(other_decisions(a))
    0
    """
    return _decision_rows(a, lang, ("false_positive", "fixing"))


def _accepted_title(lang: str) -> str:
    return "受容したリスク" if lang != "en" else "Accepted risks"


def _other_decisions_title(lang: str) -> str:
    return ("付録: 誤検知・対応中と判断した指摘" if lang != "en" else
            "Appendix: findings judged false positives or being fixed")


def _triage_footer(a: Analysis, lang: str) -> str:
    day = _judged_on(a)
    # council text: no file names; the analyst's table is named in docs/triage.md
    return (f"担当者の判断は {day} 時点のもの。見直し日・期限を過ぎた判断は、その指摘を未解決に戻して数える。"
            if lang != "en" else
            f"Decisions as of {day}. Past its review or due date, a decision no longer holds: its finding counts as "
            "open again.")


# ---------------------------------------------------------------------------------------------------
# the probabilities of the My Number holders and what to fix first (issue 17)


def _holder_ranking(a: Analysis) -> list[dict]:
    """The My Number holders, most likely compromised first: both measures of each and its path.

    The order is the probability of compromise by any path (its upper bound when only bounds are known),
    then the most likely path's probability, then the id; without a compromise table, the path alone.
    """
    if a.exposure is None:
        return []
    comp = a.compromise.set_index("system_id") if a.compromise is not None else None
    rows = []
    for r in a.exposure.loc[a.exposure["holds_my_number"].astype(bool)].to_dict("records"):
        sid = str(r["system_id"])
        if comp is not None and sid in comp.index:
            c = comp.loc[sid]
            method, p, lo, hi = str(c["method"]), float(c["probability"]), float(c["low"]), float(c["high"])
        else:
            method, p, lo, hi = "path", float(r["exposure"]), float(r["exposure"]), float(r["exposure"])
        rank = hi if method == "bounds" else p
        rows.append({"system_id": sid, "method": method, "probability": p, "low": lo, "high": hi,
                     "rank": rank, "exposure": float(r["exposure"]), "path": list(r["path"] or [])})
    rows.sort(key=lambda x: (-x["rank"], -x["exposure"], x["system_id"]))
    return rows


def _holder_probabilities(a: Analysis, lang: str) -> pd.DataFrame:
    """The My Number holders' yearly probability of compromise by any path, with its measure.

    Beside it the most likely path's (a lower bound) and the people affected if reached: the page a reviewer
    quotes from.
    """
    ja, w = lang != "en", CouncilWords(a.model, lang)
    rows = []
    for r in _holder_ranking(a):
        if r["method"] == "path":
            any_path = measure = "—"
        else:
            any_path = probability_text(r["probability"], r["method"], r["low"], r["high"], lang)
            measure = measure_word(r["method"], lang)
        rows.append((w.name(r["system_id"]), any_path, measure, percent(r["exposure"], lang),
                     " → ".join(w.name(x) for x in r["path"]) if r["path"] else "—",
                     f"{largest_my_number_file(a.model, r['system_id']):,}"))
    columns = (["特定個人情報の保有システム", "いずれかの経路で侵害される年間確率", "その求め方",
                "最も起こりやすい経路の年間確率（下限）", "最も起こりやすい経路", "到達時に影響を受ける人数"]
               if ja else ["system holding My Number files", "likelihood a year, any path", "how it is computed",
                           "likelihood a year, most likely path (lower bound)", "most likely path",
                           "people affected if reached"])
    return pd.DataFrame(rows, columns=columns)


def _holders_title(lang: str) -> str:
    return ("特定個人情報の保有システムが侵害される年間確率（いずれかの経路・厳密な確率ほか）" if lang != "en" else
            "How likely each system holding My Number files is compromised in a year (any path; exact "
            "probability where computed)")


def _fix_first_title(lang: str) -> str:
    return "まず直すもの（記録の期待値を最も下げる順）" if lang != "en" else \
        "What to fix first (in the order that lowers the expected records most)"


def _records_text(x: float, lang: str) -> str:
    """Expected records (people a year) for a page: whole numbers from 100, one decimal below (never 1e-05)."""
    if abs(x) < 0.05:
        return "0"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.1f}"


def _plan_item(a: Analysis, w: CouncilWords, kind: str, item: str) -> str:
    """A step of the plan by name: the control made fully effective, or the flow blocked."""
    if kind == "control":
        return w.name(item)
    return (f"流れ「{w.flow(item)}」" if w.ja else f"the flow {w.flow(item)}")


def _fix_first_table(a: Analysis, lang: str) -> pd.DataFrame:
    """The greedy plan (:func:`~pia_analysis.analysis.compromise.fix_first`) in names, with the expected records."""
    ja, w = lang != "en", CouncilWords(a.model, lang)
    plan = a.fix_first if a.fix_first is not None else pd.DataFrame()
    controls = a.model.controls.set_index("control_id")
    rows = []
    for r in plan.itertuples(index=False):
        if r.kind == "control":
            c = controls.loc[r.id]
            how = (f"完全に効かせる（現在: {w.status(str(c['status']))}、有効性 {percent(float(c['effectiveness']))}）"
                   if ja else f"make fully effective (now {w.status(str(c['status']))}, effectiveness "
                   f"{percent(float(c['effectiveness']), lang)})")
        else:
            how = "遮断する" if ja else "block"
        rows.append((f"{int(r.step)}", _plan_item(a, w, r.kind, r.id), how, _records_text(r.fall, lang),
                     _records_text(r.cumulative_fall, lang), _records_text(r.expected_records, lang),
                     # a control is no flow: the minimum-cut column is left blank for it, as on the command line
                     "" if r.kind != "flow" else ("○" if r.in_min_cut else "×") if ja else
                     ("yes" if r.in_min_cut else "no")))
    columns = (["順", "直すもの", "直し方", "この一手で減る記録の期待値（年・人分）", "累計の減少（年・人分）",
                "残る記録の期待値（年・人分）", "最小カットの流れ"]
               if ja else ["step", "what to fix", "how", "fall of the expected records (people a year)",
                           "cumulative fall", "expected records left", "in the minimum cut"])
    return pd.DataFrame(rows, columns=columns)


def _fix_first_lines(a: Analysis, lang: str) -> list[str]:
    """The fix-first page's reading, generated from the plan: the unit, the fall, the minimum cut beside it."""
    ja, w = lang != "en", CouncilWords(a.model, lang)
    plan = a.fix_first
    if plan is None:
        if "fix_first" in a.parts:  # analysed, but above COMPROMISE_MAX_SYSTEMS: no diagrams were compiled
            return ["このモデルは大きすぎるため、まず直すものの計算は行っていません"
                    "（tables/ の exposure と hardening を参照）。"
                    if ja else "The model is too large for the fix-first plan (see exposure and hardening under "
                    "tables/)."]
        return ["まず直すものは計算していません。" if ja else "The fix-first plan was not computed."]
    before = float(plan.attrs.get("expected_records_before", 0.0))
    lines = [(f"記録の期待値: 特定個人情報の保有システムごとに、いずれかの経路で侵害される年間確率"
              f"（厳密な確率）× そこに保有される最大の特定個人情報ファイルの人数 を足したもの"
              f"（単位は人分。同じ住民が複数のシステムに保有されていれば、その数だけ数える）。"
              f"いまは年 {_records_text(before, lang)} 人分。")
             if ja else
             (f"Expected records: for each system holding My Number files, its yearly probability of compromise by "
              f"any path (exact probability) × the people of the largest My Number file it holds, summed (a "
              f"resident held by several systems counts once per system). Now {_records_text(before, lang)} "
              "records a year.")]
    if len(plan) and before > 0:
        after = float(plan["expected_records"].iloc[-1])
        steps = [_plan_item(a, w, r.kind, r.id) for r in plan.itertuples(index=False)]
        lines.append(f"上の {len(plan)} 手を順に行うと年 {_records_text(after, lang)} 人分へ"
                     f"（{percent((before - after) / before)} 減）: {'、'.join(steps)}。" if ja else
                     f"The {count_noun(len(plan), 'step')} above, in order, bring it to {_records_text(after, lang)}"
                     f" records a year ({percent((before - after) / before, lang)} less): {'; '.join(steps)}.")
    elif plan.attrs.get("inexact_holders") and not len(plan):
        # nothing computed exactly is no evidence that nothing helps: the holders left out are named below
        lines.append("正確に計算できた保有システムについては、直して下がる記録の期待値はありません。"
                     "計画は正確に計算できなかった保有システム（下記）を含みません。" if ja else
                     "For the systems computed exactly, no fix lowers the expected records; the plan leaves out the "
                     "systems that could not be computed exactly (below).")
    else:
        lines.append("どの対策を完全に効かせても、どの流れを遮断しても、記録の期待値は下がりません。" if ja else
                     "No control made fully effective and no flow blocked lowers the expected records.")
    cut = list(plan.attrs.get("min_cut", []))
    if cut:
        shown = cut[:MESSAGE_MAX_FLOWS]
        flows = ("、".join(f"「{w.flow(f)}」" for f in shown) if ja else "; ".join(w.flow(f) for f in shown))
        more = (f" ほか {len(cut) - len(shown)} 本" if ja else f" and {len(cut) - len(shown)} more") \
            if len(cut) > len(shown) else ""
        lines.append(f"比べて、最小カット（すべての入口から保有システムへの経路を断つ最少の流れ {len(cut):,} 本）は"
                     f" {flows}{more}。最小カットは経路を断つ最少の組、"
                     "この計画は確率の高いところから期待値を下げる順です。"
                     if ja else
                     f"Beside it, the minimum cut (the fewest flows, {len(cut):,}, that cut every entry point off from "
                     f"the systems holding My Number files): {flows}{more}. The cut is the fewest flows that cut "
                     "every path; this plan is the order that lowers the expectation most.")
    left_out = list(plan.attrs.get("inexact_holders", []))
    if left_out:
        names = ("、".join(w.name(s) for s in left_out[:MESSAGE_MAX_ENTRIES]) if ja else
                 "; ".join(w.name(s) for s in left_out[:MESSAGE_MAX_ENTRIES]))
        more = (f" ほか {len(left_out) - MESSAGE_MAX_ENTRIES} 件" if ja else
                f" and {len(left_out) - MESSAGE_MAX_ENTRIES} more") if len(left_out) > MESSAGE_MAX_ENTRIES else ""
        lines.append(f"{names}{more} は計算が大きすぎるため、記録の期待値とこの計画に入っていません。" if ja else
                     f"{names}{more}: too large to compute exactly, left out of the expected records and this plan.")
    # (names are in already; w.text would read a small expected value such as 0.3 as a fraction: 30%)
    return lines


def _loss_table(a: Analysis, lang: str) -> pd.DataFrame:
    """The loss-exceedance curve for a reader: people reached or more, the yearly probability with its interval."""
    ja = lang != "en"
    curve = a.loss_exceedance if a.loss_exceedance is not None else pd.DataFrame()
    rows = [(f"{int(r.records):,}", probability_text(float(r.probability), "sampled", float(r.low), float(r.high),
                                                     lang))
            for r in curve.itertuples(index=False)]
    columns = (["1年に届く人数（以上）", "その年間確率（モンテカルロ法、95%区間）"] if ja else
               ["people reached in a year (or more)", "likelihood a year (Monte Carlo, 95% interval)"])
    return pd.DataFrame(rows, columns=columns)


def assessment_needs(code: str, lang: str = "ja") -> str:
    """What of the pack the body's 評価書 needs for the threshold result ``code`` (assessment_contents.csv).

    Parameters
    ----------
    code
        The threshold judgment's code: ``none``, ``basic``, ``focused`` or ``full``.
    lang
        ``"ja"`` (default) or ``"en"``.

    Returns
    -------
    str
        One sentence (empty for an unknown code).

    Examples
    --------
    >>> from pia_analysis.outputs.briefing import assessment_needs
    >>> assessment_needs("basic", "en").startswith("Only the basic assessment form")
    True
    """
    table = read_table("assessment_contents.csv").set_index("code")
    if code not in table.index:
        return ""
    return str(table.loc[code, "needs_ja" if lang != "en" else "needs_en"])


def _questions_title(model: Model, lang: str) -> str:
    body = CouncilWords(model, lang).body
    return (f"委員会・{body}への確認事項（手続の確認・状況不明の対策）" if lang != "en" else
            f"Questions for the committee and {body} (procedure; measures of unknown status)")


def _chart_dataflow(model: Model, results: Mapping[str, pd.DataFrame], lang: str,
                    base: Model | None = None) -> Figure:
    return dataflow_diagram(model, results["exposure"], lang=lang)


def _chart_exposure(model: Model, results: Mapping[str, pd.DataFrame], lang: str,
                    base: Model | None = None) -> Figure:
    # a changed model's zones keep the colours of the base model's (a scenario pack beside the base's pack)
    return charts.exposure_ranking_chart(model, results["exposure"], results["simulation"], lang=lang, base=base)


def _chart_loss(model: Model, results: Mapping[str, pd.DataFrame], lang: str,
                base: Model | None = None) -> Figure:
    return charts.loss_exceedance_chart(model, results["loss_exceedance"], lang=lang)


def _chart_stage_coverage(model: Model, results: Mapping[str, pd.DataFrame], lang: str,
                          base: Model | None = None) -> Figure:
    return charts.stage_coverage_chart(model, results["stage_coverage"], lang=lang)


def _chart_heatmap(model: Model, results: Mapping[str, pd.DataFrame], lang: str,
                   base: Model | None = None) -> Figure:
    return charts.coverage_heatmap(model, results["coverage_matrix"], lang=lang)


def _chart_risk_map(model: Model, results: Mapping[str, pd.DataFrame], lang: str,
                    base: Model | None = None) -> Figure:
    return charts.risk_map(model, results["findings"], results["findings_after"], lang=lang)


def _chart_rating(model: Model, results: Mapping[str, pd.DataFrame], lang: str,
                  base: Model | None = None) -> Figure:
    return charts.rating_check_chart(model, results["rating_check"], lang=lang)


#: The charts of the briefing, in its order: name → function ``(model, results, lang, base=None) -> Figure``.
#: ``results`` maps :data:`CHART_RESULTS` (the fields of :class:`Analysis` of the same names) to the tables;
#: ``base`` is the unchanged model of a what-if pack, whose zones key the colours (None: ``model``'s own).
CHARTS: dict[str, Callable[..., Figure]] = {
    "dataflow": _chart_dataflow,
    "exposure": _chart_exposure,
    "loss_exceedance": _chart_loss,
    "stage_coverage": _chart_stage_coverage,
    "coverage_heatmap": _chart_heatmap,
    "risk_map": _chart_risk_map,
    "rating_check": _chart_rating,
}
#: The results the charts of :data:`CHARTS` draw.
CHART_RESULTS = ("exposure", "simulation", "loss_exceedance", "stage_coverage", "coverage_matrix", "rating_check",
                 "findings", "findings_after")


def all_charts(model: Model, results: Mapping[str, pd.DataFrame], lang: str = "ja",
               base: Model | None = None) -> dict[str, Figure]:
    """Every chart of :data:`CHARTS`, by name, drawn from ``results`` (nothing is computed).

    Parameters
    ----------
    model
        The model the results are of.
    results
        Every result of :data:`CHART_RESULTS` by name: ``exposure`` (``node_exposure``), ``simulation``
        (``simulate_compromise``), ``stage_coverage``, ``coverage_matrix``, ``rating_check``, ``findings``
        (``find_findings``) and ``findings_after`` (``find_findings`` on the model with every planned
        control implemented); the fields of :class:`Analysis` of the same names.
    lang
        ``"ja"`` (default) or ``"en"``.
    base
        The unchanged model when ``model`` is a what-if's changed one: its zones key the zone colours, so that
        a zone has the same colour in both packs (None: ``model``'s own zones).

    Returns
    -------
    dict of str to matplotlib.figure.Figure
        Chart name → A4-landscape figure, in the briefing's order.

    Raises
    ------
    KeyError
        When ``results`` lacks one of :data:`CHART_RESULTS`.
    ValueError
        For a ``lang`` other than ``"ja"`` or ``"en"``.

    Examples
    --------
    >>> from pia_analysis.outputs.briefing import all_charts, CHART_RESULTS
    >>> from pia_analysis import analyse, bundled_model_path, load_model
    >>> a = analyse(load_model(bundled_model_path()), trials=2000)
    >>> list(all_charts(a.model, {name: getattr(a, name) for name in CHART_RESULTS}, lang="en"))
    ['dataflow', 'exposure', 'loss_exceedance', 'stage_coverage', 'coverage_heatmap', 'risk_map', 'rating_check']
    >>> all_charts(a.model, {"exposure": a.exposure})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    KeyError: 'the charts need these results too: simulation, loss_exceedance, ..., findings_after'
    """
    missing = [name for name in CHART_RESULTS if name not in results]
    if missing:
        raise KeyError(f"the charts need these results too: {', '.join(missing)}")
    return {name: drawable_figure(chart(model, results, lang, base=base)) for name, chart in CHARTS.items()}


def chart_figures(a: Analysis, lang: str = "ja", base: Model | None = None) -> dict[str, Figure]:
    """Every chart of :data:`CHARTS` by name, drawn from the results of ``a``.

    Parameters
    ----------
    a
        The results of :func:`analyse` on the model.
    lang
        ``"ja"`` (default) or ``"en"``.
    base
        The unchanged model of a what-if pack, whose zones key the zone colours (see :func:`all_charts`).

    Returns
    -------
    dict of str to matplotlib.figure.Figure
        Chart name → A4-landscape figure, in the briefing's order (:func:`all_charts`).

    Examples
    --------
    >>> from pia_analysis.outputs.briefing import chart_figures
    >>> from pia_analysis import analyse, bundled_model_path, load_model
    >>> figures = chart_figures(analyse(load_model(bundled_model_path()), trials=2000), lang="en")
    >>> figures["risk_map"].axes[0].get_xlabel()
    'Likelihood'
    """
    return all_charts(a.model, {name: getattr(a, name) for name in CHART_RESULTS}, lang, base=base)


def briefing_markdown(a: Analysis, messages: list[str], lang: str = "ja") -> str:
    """``briefing.md``: the key messages and the main tables.

    Model text is written as inert text (:func:`md_text`: no link, image, HTML or new table row); each
    table shows at most :data:`MARKDOWN_MAX_ROWS` rows (the CSV and Excel tables hold every row).

    Parameters
    ----------
    a
        The results of :func:`analyse` on the model.
    messages
        The key messages (:func:`key_messages`).
    lang
        ``"ja"`` (default) or ``"en"``.

    Returns
    -------
    str
        The Markdown text, ending with a newline.

    Examples
    --------
    >>> from pia_analysis.outputs.briefing import briefing_markdown
    >>> from pia_analysis import analyse, bundled_model_path, key_messages, load_model
    >>> a = analyse(load_model(bundled_model_path()), trials=2000)
    >>> lines = briefing_markdown(a, key_messages(a, "en"), "en").splitlines()
    >>> lines[2], lines.index("## Key messages")
    ('- **Affairs**: 住民基本台帳に関する事務', 11)
    """
    ja = lang != "en"
    m = a.model
    w = CouncilWords(m, lang)
    s = a.schedule
    facts = [
        ("事務の名称" if ja else "Affairs", str(m.meta["affairs"])),
        ("実施機関" if ja else "Organisation", str(m.meta["organisation"])),
        ("評価実施日" if ja else "Assessed on", m.meta["assessed_on"].isoformat()),
        ("対象人数" if ja else "Target population", f"{m.meta['target_population']:,} " + ("人" if ja else "people")),
        ("しきい値判断" if ja else "Threshold judgment", a.threshold.label_ja if ja else a.threshold.label_en),
        ("この評価に必要なもの" if ja else "What this body must file", assessment_needs(a.threshold.code, lang)),
        ("次回の年次見直し" if ja else "Next yearly review", s.next_yearly_review.isoformat()),
        ("5年以内の再実施期限" if ja else "5-year re-run due", s.rerun_due.isoformat()),
    ]
    lines = [f"# {md_text(m.title(lang), block=True)}", ""]
    lines += [f"- **{k}**: {md_text(v)}" for k, v in facts]
    lines += ["", f"## {'主なメッセージ' if ja else 'Key messages'}", ""]
    lines += [f"- {md_text(msg, block=True)}" for msg in messages]
    # the methods the messages name, one line each, as on the PDF page
    notes = method_notes(" ".join(messages), lang)
    if notes:
        lines += [""] + [f"> {md_text(note)}" for note in notes]
    # the sections of the PDF's pages, in its order (the charts' pages as tables with their reading): the
    # holders' probabilities with their measure, what to fix first, the loss-exceedance curve (issue 17)
    loss_lead = ([md_text(w.text(loss_exceedance_reading(m, a.loss_exceedance, lang=lang)), block=True)]
                 if a.loss_exceedance is not None else [])
    triaged = a.findings is not None and len(decisions(m)) > 0
    sections = (
        (_questions_title(m, lang), committee_questions(a, lang), []),
        ("システムごとの到達可能性" if ja else "Exposure per system", _md_exposure(a, w), []),
        (_holders_title(lang), _holder_probabilities(a, lang), []),
        (_fix_first_title(lang), _fix_first_table(a, lang),
         [md_text(x, block=True) for x in _fix_first_lines(a, lang)]),
        ("損失超過曲線（1年に届く人数とその確率）" if ja else
         "Loss exceedance (people reached in a year, and how likely)", _loss_table(a, lang), loss_lead),
        ("取扱いプロセスごとのリスク対策の網羅状況" if ja else "Risk coverage per stage", _md_stage_coverage(a, w), []),
        ("主な指摘事項（未対応。※ 前提（仮定）に基づく）" if ja else "Top open findings (※ resting on an assumption)",
         council_findings(a, lang), []),
        # the analyst's decisions, as the PDF has them (only when the model records some)
        *(((_accepted_title(lang), accepted_risks(a, lang), [md_text(_triage_footer(a, lang), block=True)]),)
          if triaged else ()),
        ("自己評価の検証" if ja else "Self-rating check", _md_rating_check(a, w), []),
        *(((_other_decisions_title(lang), other_decisions(a, lang), [md_text(_triage_footer(a, lang), block=True)]),)
          if triaged else ()),
    )
    for title, frame, lead in sections:
        lines += ["", f"## {title}", ""] + [x for paragraph in lead for x in (paragraph, "")]
        lines += [_markdown_table(frame.head(MARKDOWN_MAX_ROWS))]
        shown = frame.head(MARKDOWN_MAX_ROWS)
        notes = method_notes(" ".join([title, *lead, *map(str, shown.columns), *map(str, shown.to_numpy().ravel())]),
                             lang)
        if notes:  # the methods the section names, one line each
            lines += [""] + [f"> {md_text(note)}" for note in notes]
        if len(frame) > MARKDOWN_MAX_ROWS:
            lines += ["", (f"（上位 {MARKDOWN_MAX_ROWS} 行のみ。全 {len(frame):,} 行は tables/ の CSV と tables.xlsx）"
                           if ja else f"(first {MARKDOWN_MAX_ROWS} rows of {len(frame):,}: every row is in the CSV "
                           "under tables/ and in tables.xlsx)")]
    lines += ["", f"## {'付録: 名称とID' if ja else 'Appendix: names and ids'}", "",
              ("分析用の表（tables/ の CSV、tables.xlsx）は ID で書かれています。" if ja else
               "The analysts' tables (the CSV under tables/, tables.xlsx) use these ids."), "",
              _markdown_table(w.appendix())]
    return "\n".join(lines) + "\n"


def _yes_no(value: bool, ja: bool) -> str:
    return ("○" if value else "×") if ja else ("yes" if value else "no")


def _md_stage_coverage(a: Analysis, w: CouncilWords) -> pd.DataFrame:
    """The stage coverage for a reader: the stage by name, counts, percentages, 対象外 with its reason."""
    ja, rows = w.ja, []
    for r in a.stage_coverage.to_dict("records"):
        if r["in_scope"]:
            share, planned = percent(r["coverage"], w.lang), percent(r["coverage_if_planned"], w.lang)
        elif r["declared"]:
            share = planned = (f"対象外（宣言: {r['declared']}）" if ja else
                               f"not applicable (declared: {declaration_word(r['declared'], 'en')})")
        else:
            share = planned = "対象外（該当する流れなし）" if ja else "not applicable (no flow of this stage)"
        rows.append((stage_word(r["stage"], w.lang), f"{r['elements']:,}", f"{r['risks']:,}", f"{r['pairs']:,}",
                     f"{r['covered']:,}", f"{r['planned']:,}", f"{r['gaps']:,}", share, planned))
    columns = (["取扱いプロセス", "対象要素", "リスク項目", "組", "実施済み", "計画中", "未対策", "網羅率",
                "計画実施後"]
               if ja else ["stage", "elements", "risks", "pairs", "covered", "planned", "gaps", "coverage",
                           "if planned done"])
    return pd.DataFrame(rows, columns=columns)


def _md_exposure(a: Analysis, w: CouncilWords) -> pd.DataFrame:
    """Exposure for a reader: names, the two probabilities each with its measure, the people at stake.

    The most likely path's probability is a lower bound of the probability of compromise by any path; the
    latter is exact, sampled (with its 95 % interval) or bounded, and the table says which (issue 17).
    """
    ja, rows = w.ja, []
    comp = a.compromise.set_index("system_id") if a.compromise is not None else None
    for r in a.exposure.to_dict("records"):
        people = largest_my_number_file(a.model, r["system_id"])
        if comp is not None and r["system_id"] in comp.index:
            c = comp.loc[r["system_id"]]
            any_path = probability_text(float(c["probability"]), str(c["method"]), float(c["low"]), float(c["high"]),
                                        w.lang)
            measure = measure_word(str(c["method"]), w.lang)
        else:
            any_path = measure = "—"
        rows.append((w.name(r["system_id"]), w.name(r["zone_id"]), percent(r["exposure"], w.lang), any_path, measure,
                     " → ".join(w.name(x) for x in r["path"]) if r["path"] else "—",
                     _yes_no(bool(r["holds_my_number"]), ja), f"{people:,}" if r["holds_my_number"] else "—"))
    columns = (["システム", "ゾーン", "最も起こりやすい経路の年間確率（下限）", "いずれかの経路で侵害される年間確率",
                "その求め方", "最も起こりやすい経路", "個人番号を保有", "到達時に影響を受ける人数"]
               if ja else ["system", "zone", "likelihood a year, most likely path (lower bound)",
                           "likelihood a year, any path", "how it is computed", "most likely path",
                           "holds My Numbers", "people affected if reached"])
    return pd.DataFrame(rows, columns=columns)


def _md_rating_check(a: Analysis, w: CouncilWords) -> pd.DataFrame:
    """The self-rating check for a reader: the item's wording, the rating, counts, % and the verdict in words."""
    ja, rows = w.ja, []
    for r in a.rating_check.to_dict("records"):
        declared = r["status"] == "not_applicable"
        rating = (w.rating(r["rating"]) if r["rating"] else ("未評価" if ja else "not rated")) if not declared else \
            w.status("not_applicable")
        share = (percent(r["coverage"], w.lang) if r["pairs"] else
                 ("対象外（対象要素なし）" if ja else "not applicable (nothing to assess)"))
        # the form's item in the pack's language: 「Ⅲ2 リスク1」 in Japanese, "III 2, risk 1" in English
        item = r["form_item_ja"] if ja else form_item_number(r["form_item_ja"], "en")
        rows.append((item, w.risk(r["risk_id"]), rating, f"{r['pairs']:,}", f"{r['covered']:,}",
                     share if not declared else w.status("not_applicable"), w.status(r["status"])))
    columns = (["様式の項目", "評価項目", "自己評価", "組", "実施済み", "網羅率", "判定"] if ja else
               ["form item", "rated item", "self-rating", "pairs", "covered", "coverage", "verdict"])
    return pd.DataFrame(rows, columns=columns)


# Model text is written into briefing.md as text, never as Markdown or HTML: a name, a title or a finding
# must not become a link, an image, a script-bearing tag, a code span, a heading or a new table row.
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")
_MD_ESCAPES = {"\\": "\\\\", "`": "\\`", "|": "\\|", "[": "\\[", "]": "\\]", "#": "\\#", "*": "\\*",
               "&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MD_SPECIAL = re.compile("[" + re.escape("".join(_MD_ESCAPES)) + "]")
# At the start of a list item or heading these open a block (quote, list, ordered list).
_BLOCK_START = re.compile(r"[+*-](?=\s|$)|[0-9]{1,9}(?=[.)](?:\s|$))")


def md_text(value: object, block: bool = False) -> str:
    r"""``value`` as inert Markdown text for ``briefing.md``.

    HTML special characters become entities (``<img …>`` shows as text), the Markdown controls
    ``\ ` | [ ] # *`` are backslash-escaped (no code span, link, image, table cell, heading or **emphasis**), and every
    line break (CR, LF, CRLF, VT, FF, NEL, U+2028/9 …) becomes a space, as in the tables. With
    ``block=True`` (a list item or a heading) the text is also stripped and a leading list marker or
    ordered-list number is escaped, so the text stays one paragraph of one line.

    Examples
    --------
    >>> md_text('<img src=x onerror=alert(1)>')
    '&lt;img src=x onerror=alert(1)&gt;'
    >>> md_text("[a](http://x) `b` c|d\r\n# e")
    '\\[a\\](http://x) \\`b\\` c\\|d \\# e'
    >>> md_text("**bold** name")
    '\\*\\*bold\\*\\* name'
    >>> md_text("- 1. item", block=True), md_text("12) x", block=True)
    ('\\- 1. item', '12\\) x')
    """
    text = _LINE_BREAKS.sub(" ", str(value))
    text = _MD_SPECIAL.sub(lambda m: _MD_ESCAPES[m.group()], text)
    if block:
        text = text.strip()
        m = _BLOCK_START.match(text)
        if m:
            end = m.end()
            text = "\\" + text if not text[0].isdigit() else text[:end] + "\\" + text[end:]
    return text


def markdown_table(frame: pd.DataFrame) -> str:
    r"""A Markdown table of ``frame``: every cell inert text (:func:`md_text`), lists joined by →, NaN as —.

    Parameters
    ----------
    frame
        The rows to show (every row is written: cut it first).

    Returns
    -------
    str
        The header, the separator and one line per row, without a final newline.

    Examples
    --------
    >>> import pandas as pd
    >>> from pia_analysis.outputs.briefing import markdown_table
    >>> print(markdown_table(pd.DataFrame({"名称": ["a|b"], "率": [float("nan")]})))
    | 名称 | 率 |
    |---|---|
    | a\|b | — |
    """

    def cell(v) -> str:
        if isinstance(v, (list, tuple)):
            v = " → ".join(map(str, v)) if v else ""
        if isinstance(v, float):
            v = "—" if v != v else f"{v:.4g}"  # NaN: no value for the row (unrated, out of scope), never "nan"
        return md_text(v)

    head = "| " + " | ".join(map(md_text, frame.columns)) + " |"
    sep = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, sep, *body])


_markdown_table = markdown_table


# ---------------------------------------------------------------------------------------------------
# the pack


def write_report(model: Model, out: Path, lang: str = "ja", progress: Callable[[str], None] | None = None,
                 today: dt.date | None = None, inputs=()) -> Path:
    """Write the briefing pack for ``model`` into the directory ``out`` and return it.

    ``out`` must be missing, empty or an earlier pack (``OutputRefused`` otherwise, before any work; see
    :func:`pia_analysis.util.files.check_pack_target`, which also refuses an ``out`` around ``inputs``).

    Parameters
    ----------
    model
        The model.
    out
        The pack's folder.
    lang
        ``"ja"`` (default) or ``"en"``: titles, labels, messages and table headers.
    progress
        Called with a line before each of the five steps (default: nothing).
    today
        The date reviews are judged against (default: the assessment date, so that the pack does not
        change from day to day).
    inputs
        Paths the pack must not be written around (the model's own path is added).

    Returns
    -------
    pathlib.Path
        ``out``.

    Raises
    ------
    pia_analysis.util.files.OutputRefused
        When ``out`` holds anything but an earlier pack, or holds an input.

    Examples
    --------
    >>> from pia_analysis import write_report
    >>> import tempfile, pathlib
    >>> from pia_analysis import load_model, bundled_model_path
    >>> out = write_report(load_model(bundled_model_path()), pathlib.Path(tempfile.mkdtemp()) / "pack")
    >>> sorted(p.name for p in out.iterdir())
    ['briefing.md', 'briefing.pdf', 'charts', 'manifest.json', 'tables', 'tables.xlsx']
    """
    require_model(model, "write_report")
    inputs = list(inputs) + ([model.path] if model.path is not None else [])
    return write_pack(Path(out), lambda work: build_report(model, work, lang, progress, today), inputs=inputs)


def build_report(model: Model, work: Path, lang: str = "ja", progress: Callable[[str], None] | None = None,
                 today: dt.date | None = None, base: Model | None = None) -> Path:
    """Write the files of the briefing pack into the existing, empty folder ``work`` (no manifest).

    :func:`write_report` calls it inside :func:`pia_analysis.util.files.write_pack`; ``scenario --report``
    adds the delta charts to the same folder before the pack is moved into place.

    Parameters
    ----------
    model
        The model.
    work
        An existing, empty folder.
    lang
        ``"ja"`` (default) or ``"en"``.
    progress
        Called with a line before each of the five steps (default: nothing).
    today
        The date reviews are judged against (default: the assessment date).
    base
        The unchanged model when ``model`` is a what-if's changed one (``scenario --report``): the exposure
        chart keys each zone's colour to the base model's zones, as the base's own pack colours them.

    Returns
    -------
    pathlib.Path
        ``work``, holding ``briefing.pdf``, ``briefing.md``, ``tables.xlsx``, ``charts/`` and ``tables/``.
    """
    say = progress or (lambda _msg: None)
    work = Path(work)
    say("[1/5] analysing the model (exposure, Monte Carlo, coverage, findings)")
    a = analyse(model, today=today)
    messages = key_messages(a, lang)
    say("[2/5] drawing the charts")
    figures = chart_figures(a, lang, base=base)
    (work / "charts").mkdir()

    def chart_files() -> None:
        for name, fig in figures.items():
            save_figure(fig, work / "charts" / name)

    # the chart files (PNG + SVG) are written in a forked child while this process writes the PDF, the tables
    # and briefing.md: two processors halve the time of drawing every chart three times (util/side_by_side)
    side_by_side(chart_files, lambda: _write_rest(a, figures, messages, lang, work, say))
    return work


def _write_rest(a: Analysis, figures: dict[str, Figure], messages: list[str], lang: str, work: Path,
                say: Callable[[str], None]) -> None:
    """Everything of the pack but the chart files: briefing.pdf, the tables and briefing.md."""
    say("[3/5] writing briefing.pdf")
    _write_pdf(a, figures, messages, lang, work / "briefing.pdf")
    say("[4/5] writing the tables (CSV, tables.xlsx)")
    (work / "tables").mkdir()
    tables = a.tables()
    tables["exposure"] = exposure_with_people(a.model, tables["exposure"], a.compromise, lang)
    tables["questions"] = committee_questions(a, lang)
    if a.coverage_matrix.shape[1] >= EXCEL_MAX_COLUMNS:
        tables["coverage_matrix"] = a.coverage_matrix.T.reset_index()
    # a stage declared out (委託しない …) reads 対象外 with the reason in its cells, not an empty ratio
    tables = {name: declared_out_cells(name, frame, a.rating_check) for name, frame in tables.items()}
    # a council member may open the tables too: booleans as ○/× (yes/no), never True/False
    tables = {name: _readable_booleans(frame, lang) for name, frame in tables.items()}
    for name, frame in tables.items():
        write_csv(frame, work / "tables" / f"{name}.csv")
    write_xlsx(tables, work / "tables.xlsx")
    say("[5/5] writing briefing.md")
    (work / "briefing.md").write_text(briefing_markdown(a, messages, lang), encoding="utf-8")


def readable_booleans(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``frame`` with its boolean columns written ○/× (yes/no in English): a table a council member may open.

    Parameters
    ----------
    frame
        Any table.
    lang
        ``"ja"`` (○/×) or ``"en"`` (yes/no).

    Returns
    -------
    DataFrame
        ``frame`` itself when it has no boolean column, else a copy with those columns as words.

    Examples
    --------
    >>> import pandas as pd
    >>> from pia_analysis.outputs.briefing import readable_booleans
    >>> readable_booleans(pd.DataFrame({"ok": [True, False]}), "ja")["ok"].tolist()
    ['○', '×']
    """
    words = {True: "○", False: "×"} if lang != "en" else {True: "yes", False: "no"}
    out = frame
    for column in frame.columns:
        values = frame[column]
        if values.dtype == bool or (values.dtype == object and len(values) and
                                    values.map(lambda v: isinstance(v, bool)).all()):
            if out is frame:
                out = frame.copy()
            out[column] = values.map(lambda v: words[bool(v)])
    return out


_readable_booleans = readable_booleans


def _appendix(rows: pd.DataFrame, pages: list[Figure], lang: str) -> pd.DataFrame:
    """The appendix's rows: all of them up to :data:`APPENDIX_MAX_ROWS`; else those ``pages`` name, and a count.

    A model of tens of thousands of elements would take thousands of pages; the pages before the appendix
    name few of them, and it is those a reader looks up. The last row says how many are left out.
    """
    if len(rows) <= APPENDIX_MAX_ROWS:
        return rows
    text = "\n".join(t.get_text() for page in pages for t in page.findobj(Text))
    named = rows[[str(name) in text for name in rows.iloc[:, 1]]].iloc[:APPENDIX_MAX_ROWS]
    left = len(rows) - len(named)
    note = (f"ほか {left:,} 件（この資料の他の頁に現れない名称）" if lang != "en" else
            f"{left:,} more (names no other page of this briefing shows)")
    return pd.concat([named, pd.DataFrame([["…", note, ""]], columns=rows.columns)], ignore_index=True)


def _stamp(fig: Figure, text: str) -> None:
    """A line at the bottom left of a page (the day the decisions were judged on), clear of the footer."""
    fig.text(0.01, 0.01, text, ha="left", va="bottom", fontsize=7, color="#555555")


def _write_pdf(a: Analysis, figures: dict[str, Figure], messages: list[str], lang: str, path: Path) -> None:
    ja = lang != "en"
    # No creation date and no version strings: the same model gives the same bytes.
    metadata = {"Title": a.model.title(lang), "CreationDate": None, "Creator": None, "Producer": None}
    triaged = a.findings is not None and len(decisions(a.model)) > 0
    pages: list[Figure] = [cover_page(a, lang)]
    for name in PDF_PAGES:
        if name == "findings":
            pages.append(table_page(council_findings(a, lang),
                                    "主な指摘事項（未対応。※ 前提（仮定）に基づく）" if ja else
                                    "Top open findings (※ resting on an assumption)",
                                    a.model, lang, col_widths=[0.08, 0.25, 0.45, 0.22],
                                    note="tables/findings.csv", explain=True))
            if triaged:  # what the analyst accepted, after what is open: the committee sees both
                pages.extend(table_pages(accepted_risks(a, lang), _accepted_title(lang), a.model, lang,
                                         col_widths=[0.16, 0.10, 0.07, 0.22, 0.22, 0.08, 0.07, 0.08], size=7.5))
                _stamp(pages[-1], _triage_footer(a, lang))
        elif name == "appendix":
            if triaged:  # false positives and fixes: recorded, out of the council's pages
                pages.extend(table_pages(other_decisions(a, lang), _other_decisions_title(lang), a.model, lang,
                                         col_widths=[0.16, 0.10, 0.07, 0.22, 0.22, 0.08, 0.07, 0.08], size=7.5))
                _stamp(pages[-1], _triage_footer(a, lang))
            # every name the council pages use, mapped to its id: as many pages as it takes
            pages.extend(table_pages(_appendix(CouncilWords(a.model, lang).appendix(), pages, lang),
                                     "付録: 名称とID（分析用の表 tables/ との対応）" if ja else
                                     "Appendix: names and ids (as in the analysts' tables under tables/)",
                                     a.model, lang, col_widths=[0.12, 0.63, 0.25], size=7.0))
        elif name == "questions":
            pages.append(table_page(committee_questions(a, lang),
                                    _questions_title(a.model, lang),
                                    a.model, lang, col_widths=[0.12, 0.40, 0.28, 0.20], size=7.5,
                                    note="tables/questions.csv"))
        elif name == "messages":
            pages.append(messages_page(messages, a.model, lang))
        elif name == "probabilities":
            pages.append(table_page(_holder_probabilities(a, lang), _holders_title(lang), a.model, lang,
                                    col_widths=[0.17, 0.17, 0.12, 0.14, 0.28, 0.12], size=7.5,
                                    note="tables/exposure.csv", explain=True))
        elif name == "fix_first":
            pages.append(table_page(_fix_first_table(a, lang), _fix_first_title(lang), a.model, lang,
                                    col_widths=[0.05, 0.24, 0.21, 0.14, 0.12, 0.13, 0.11], size=7.5,
                                    note="tables/fix_first.csv", explain=True, lead=_fix_first_lines(a, lang)))
        else:
            pages.append(figures[name])
    with PdfPages(path, metadata=metadata) as pdf:
        for fig in pages:
            pdf.savefig(drawable_figure(fig))  # a page's table cells name the model's elements too
