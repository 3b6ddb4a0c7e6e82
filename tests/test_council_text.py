"""The council pages speak the council's language (issue 14), on two models and in both languages.

The bundled model uses every stage and rates every risk, so it hides what a small body's pack shows; the
town model (``tests/models/town``: a 町 of 8,000, 基礎項目評価, 委託しない declared, a stage nobody uses, unrated
items) is the second model. For each pack:

* no internal id (system, flow, zone, file, control, rated item, risk, finding, rule) in the council text:
  the key messages, the PDF's text pages (cover, key messages, questions, findings; the appendix maps names to
  ids and is left out; the chart pages are the charts' own), briefing.md before its appendix;
* no ``nan``/``NaN``/``None``/``True``/``False`` as a word, and no scientific notation, in any text output:
  every PDF page, briefing.md, tables/*.csv and every cell of tables.xlsx;
* the body's own word (町 for the town), percentages without fractions beside them, English words in the
  English pack and no analysis codes (overclaimed, unknown …) in the Japanese one;
* the order: the key messages right after the cover.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from pia_analysis import analyse, bundled_model_path, key_messages, load_model, write_report
from pia_analysis.outputs.briefing import PDF_PAGES
from pia_analysis.outputs.wording import CouncilWords, model_ids

TOWN = Path(__file__).parent / "models" / "town"
MODELS = {"bundled": bundled_model_path, "town": lambda: TOWN}
CASES = [(m, lang) for m in MODELS for lang in ("ja", "en")]
BAD_WORDS = re.compile(r"(?<![A-Za-z])(nan|NaN|None|True|False)(?![A-Za-z])")
SCIENTIFIC = re.compile(r"\d\.?\d*e[+-]\d+")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
CODES = ("overclaimed", "underclaimed", "unrated", "unknown", "not_applicable", "consistent", "confirmed",
         "recalled", "contractor")


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    """Each model's pack in each language, with the model, its analysis and its key messages."""
    out = {}
    for name, path in MODELS.items():
        model = load_model(path())
        analysis = analyse(model)
        for lang in ("ja", "en"):
            pack = write_report(model, tmp_path_factory.mktemp(f"{name}-{lang}") / "pack", lang=lang)
            out[name, lang] = (model, analysis, key_messages(analysis, lang), pack)
    return out


def _page_texts(pack: Path, lang: str) -> dict[str, str]:
    """Each PDF page's text by page name, its lines joined as the page wraps them (no break inside a name)."""
    reader = PdfReader(pack / "briefing.pdf")
    names = ("cover", *PDF_PAGES)
    assert len(reader.pages) >= len(names)  # the appendix, last, continues over as many pages as it needs
    glue = "" if lang == "ja" else " "
    texts = [glue.join((page.extract_text() or "").splitlines()) for page in reader.pages]
    out = dict(zip(names, texts))
    out["appendix"] = "\n".join(texts[len(names) - 1:])
    return out


def _ids_in(text: str, model, analysis, lang: str) -> list[str]:
    """The ids of the model that stand as words in ``text`` once every name of the model is taken out."""
    words = CouncilWords(model, lang)
    names = sorted({*words.names.values(), *words.risk_names.values()}, key=len, reverse=True)
    for name in names:
        text = text.replace(name, " ")
    found = []
    for element in model_ids(model, analysis.findings):
        # in English a rated item's id may be the English word of its own name (audit, training, self-check)
        english_name = words.risk_names.get(element, "").lower()
        if lang == "en" and re.fullmatch(r"[a-z]+(-[a-z]+)*", element) and element in english_name:
            continue
        if re.search(rf"(?<![A-Za-z0-9_@\-]){re.escape(element)}(?![A-Za-z0-9_@\-])", text):
            found.append(element)
    return sorted(found)


@pytest.mark.parametrize("model_name, lang", CASES)
def test_no_internal_id_in_council_text(packs, model_name, lang):
    model, analysis, messages, pack = packs[model_name, lang]
    pages = _page_texts(pack, lang)
    md = (pack / "briefing.md").read_text(encoding="utf-8")
    appendix = "## 付録" if lang == "ja" else "## Appendix"
    assert appendix in md
    texts = {"key messages": "\n".join(messages), "briefing.md": md.split(appendix)[0]}
    texts.update({f"PDF page {name}": pages[name] for name in ("cover", "messages", "questions", "findings")})
    for where, text in texts.items():
        assert _ids_in(text, model, analysis, lang) == [], f"{where}: {text[:3000]}"
    # the appendix does name them: an analyst can go from a name to the tables
    assert "F01" in pages["appendix"] and "F01" in md.split(appendix)[1]


@pytest.mark.parametrize("model_name, lang", CASES)
def test_no_nan_none_or_booleans_in_any_text_output(packs, model_name, lang):
    _model, _analysis, _messages, pack = packs[model_name, lang]
    texts = {f"PDF {name}": text for name, text in _page_texts(pack, lang).items()}
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


@pytest.mark.parametrize("model_name, lang", CASES)
def test_the_body_speaks_its_own_word_and_its_language(packs, model_name, lang):
    model, _analysis, messages, pack = packs[model_name, lang]
    text = "\n".join(messages)
    town = model_name == "town"
    if lang == "ja":
        assert "市が運用" not in text if town else True
        pages = _page_texts(pack, lang)
        for where, page in {"key messages": text, **{name: pages[name] for name in ("messages", "questions",
                                                                                     "findings")}}.items():
            for code in CODES:
                assert code not in page, (where, code, page[:2000])
    else:
        assert ("the town" in text) == town and "the city" not in text if town else True
        names = CouncilWords(model, "en")
        stripped = text
        for proper in (model.meta["organisation"], model.meta["affairs"], *names.names.values()):
            stripped = stripped.replace(str(proper), "")
        assert not CJK.search(stripped), stripped
        assert not re.search(r"\b1 (systems|risks|entry points|flows|questions|findings)\b", text), text
    # percentages, not fractions beside a % sign
    assert not re.search(r"(?<![\d.])0\.\d{2,}", text), text
    md = (pack / "briefing.md").read_text(encoding="utf-8")
    assert "e+0" not in md


def test_the_town_pack_reads_right(packs):
    _model, _analysis, messages, pack = packs["town", "ja"]
    text = "\n".join(messages)
    assert "町が運用" in text or "委員会・町への確認事項" in text
    # what is at stake if reached (the whole file), not an expected value such as 288 records
    assert "8,000 人分" in text and "288" not in text
    assert "「提供・移転」には該当する流れがなく、対象外" in text
    pages = _page_texts(pack, "ja")
    assert "基礎項目評価書のみ" in pages["cover"]
    assert "主なメッセージ" in pages["messages"], "the key messages come right after the cover"
    en = "\n".join(packs["town", "en"][2])
    assert "Only the basic assessment form" in _page_texts(packs["town", "en"][3], "en")["cover"]
    assert "8,000 people" in en and "the town" in en


def test_the_key_messages_come_right_after_the_cover():
    assert PDF_PAGES[0] == "messages" and PDF_PAGES[-1] == "appendix"
    assert PDF_PAGES.index("dataflow") < PDF_PAGES.index("coverage_heatmap")


# --- methods explained, expected values named (issue 14) -----------------------------------------------------


@pytest.mark.parametrize("model_name, lang", CASES)
def test_a_method_named_on_a_council_page_is_explained_there(packs, model_name, lang):
    from pia_analysis.outputs.wording import METHOD_NOTES

    _model, _analysis, _messages, pack = packs[model_name, lang]
    pages = _page_texts(pack, lang)
    ja = lang == "ja"
    explained = 0
    for page in ("messages", "findings"):
        text = pages[page]
        for words_ja, words_en, note_ja, note_en in METHOD_NOTES:
            words, note = (words_ja, note_ja) if ja else (words_en, note_en)
            named = any(w.casefold() in text.casefold().replace(note.casefold(), "") for w in words)
            head = note.split(":")[0]
            if named:  # the explanation, on the same page
                assert head in text, (page, head)
                explained += 1
    assert explained >= 3  # the most likely path, the risk level and the threshold at least
    markdown = (pack / "briefing.md").read_text(encoding="utf-8")
    for note in ("最も起こりやすい経路（曝露）:", "リスクの水準（CNIL 方式）:") if ja else (
            "Most likely path (exposure):", "Risk level (CNIL method):"):
        assert f"> {note}" in markdown


@pytest.mark.parametrize("model_name, lang", CASES)
def test_an_expected_value_is_named_and_never_alone(packs, model_name, lang):
    """No council page shows an expected number of records; the tables show one only beside the people."""
    _model, _analysis, messages, pack = packs[model_name, lang]
    pages = _page_texts(pack, lang)
    for name in ("cover", "messages", "questions", "findings"):
        text = pages[name]
        if re.search(r"期待値|expected value|expected records", text, re.I):
            assert ("期待値:" if lang == "ja" else "Expected value:") in text, name
    # the analysts' exposure table: the expected records beside the people affected if reached
    header = (pack / "tables" / "exposure.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert header.index("people_if_reached") + 1 == header.index("records_at_stake")
    sheet = load_workbook(pack / "tables.xlsx", read_only=True)["exposure"]
    names = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert names.index("people_if_reached") + 1 == names.index("records_at_stake")


@pytest.mark.parametrize("model_name", list(MODELS))
def test_the_english_briefing_numbers_form_items_in_english(packs, model_name):
    """「Ⅲ2 リスク1」, 「Ⅲ4 委託（リスク1〜5をまとめた1つの欄）」 in an English briefing.md: the form's items are
    numbered in English there (III 2, risk 1; III 4), as the charts number them."""
    _model, _analysis, _messages, pack = packs[model_name, "en"]
    md = (pack / "briefing.md").read_text(encoding="utf-8")
    rows = [line for line in md.splitlines() if line.startswith("|")]
    bad = [line for line in rows if re.search(r"[ⅢⅣ]\s*\d|リスク\s*\d|まとめた", line)]
    assert not bad, bad[:5]
    assert any(re.match(r"\| III 2, risk 1 \|", line) for line in rows), rows[:20]
    ja = (packs[model_name, "ja"][3] / "briefing.md").read_text(encoding="utf-8")
    assert "| Ⅲ2 リスク1 |" in ja


def test_catalogue_texts_a_reader_sees_separate_thousands():
    """"under 1000 people" on the cover: every Japanese/English text of the packaged catalogue (the words the
    pages quote) writes a number of four digits or more with separators (1,000), years aside (平成28年)."""
    import csv

    catalog = Path(__file__).resolve().parent.parent / "pia_analysis" / "catalog"
    bare = re.compile(r"(?<![\d,.])\d{4,}(?![\d年])")
    found = []
    for path in sorted(catalog.glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                assert None not in row and None not in row.values(), (path.name, row)  # a stray comma
                found += [(path.name, key, value) for key, value in row.items()
                          if key and key.endswith(("_ja", "_en")) and value and bare.search(value)]
    assert not found, found[:5]



@pytest.mark.parametrize("model_name, lang", CASES)
def test_the_appendix_maps_every_name_with_no_row_left_out(packs, model_name, lang):
    """「ほか 24 件」 at the end of the appendix left names the council pages use without their ids: every
    row of the mapping is on a page (the appendix continues), and no page says how many it left out."""
    model, _analysis, _messages, pack = packs[model_name, lang]
    appendix = _page_texts(pack, lang)["appendix"]
    assert not re.search(r"ほか \d+ 件|\d+ more", appendix), appendix[-300:]
    mapping = CouncilWords(model, lang).appendix()
    ids = mapping.iloc[:, 2].astype(str)
    missing = [i for i in ids if i not in appendix]
    assert not missing, missing[:10]
