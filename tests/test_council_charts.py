"""The charts a council reads (issue 14): names not ids, words not codes, typesetting, glyphs.

Every council chart of the briefing is drawn for the bundled model and for a small hand-made town model
(a 町 of 8,000, no outsourcing, nothing rated, one system name with a character the chart font lacks), in
both languages, and checked: no id of the model in any text, no matplotlib font or glyph warning, 禁則 in
every wrapped line, legends off the bars, a linear % axis where the values span less than two decades.
"""

from __future__ import annotations

import logging
import re
import warnings

import matplotlib.pyplot as plt
import pytest
from matplotlib.text import Text

from model_factory import control, file, flow, make_model, system, zone
from pia_analysis import bundled_model_path, load_model
from pia_analysis.analysis.pipeline import analyse
from pia_analysis.charts import style
from pia_analysis.outputs import briefing

LANGS = ("ja", "en")


def town_model(tmp_path_factory):
    """A 町 of 8,000: a register, a counter, a welfare system, the town hall LAN; no outsourcing."""
    zones = [zone("TOWN_CORE", name_ja="基幹系（住民情報系）", name_en="Core (resident information)"),
             zone("TOWN_LAN", name_ja="庁内LAN", name_en="Town hall LAN"),
             zone("TOWN_OUT", internet_facing=True, name_ja="住民・来庁者", name_en="Residents and visitors",
                  operator="resident")]
    systems = [
        system("TWN_REG", zone="TOWN_CORE", holds=["TWN_MNF"], name_ja="住民記録システム",
               name_en="Resident register"),
        system("TWN_WEL", zone="TOWN_CORE", holds=["TWN_MNF"], name_ja="福祉システム（𠮷田分室）",
               name_en="Welfare system (Yoshida annex)"),
        system("TWN_CTR", zone="TOWN_LAN", entry=0.08, name_ja="窓口端末", name_en="Counter terminal"),
        system("TWN_RES", zone="TOWN_OUT", entry=0.2, kind="external", operator="resident",
               name_ja="届出人（住民）", name_en="Notifying resident"),
    ]
    flows = [flow("FLW_01", "TWN_RES", "TWN_CTR", stage="acquire"),
             flow("FLW_02", "TWN_CTR", "TWN_REG", files=["TWN_MNF"], stage="acquire"),
             flow("FLW_03", "TWN_REG", "TWN_WEL", files=["TWN_MNF"], stage="use")]
    controls = [control("CTL_AUTH", ["TWN_REG"], 0.5, name_ja="生体認証によるログイン",
                        name_en="Biometric log-in"),
                control("CTL_LOG", ["TWN_CTR"], 0.3, status="planned", name_ja="操作ログの確認",
                        name_en="Review of operation logs")]
    files = [file("TWN_MNF", records=8000, name_ja="住民基本台帳ファイル", name_en="Resident register file")]
    meta = {"id": "town-test", "title_ja": "テスト町 住民基本台帳に関する事務", "title_en": "Test town resident register",
            "organisation": "テスト町", "affairs": "住民基本台帳に関する事務", "target_population": 8000,
            "declared_not_applicable": ["outsource"]}
    return make_model(tmp_path_factory.mktemp("town"), systems, flows, controls, files, zones, meta)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the town's 𠮷 is reported by validation: checked below
        town = town_model(tmp_path_factory)
    return {"bundled": load_model(bundled_model_path()), "town": town}


@pytest.fixture(scope="module")
def drawn(models):
    """Every council chart of both models in both languages, drawn, with what each draw warned and logged."""
    out = {}
    for key, model in models.items():
        a = analyse(model, trials=2000)
        for lang in LANGS:
            handler = _Collect()
            logging.getLogger("matplotlib").addHandler(handler)
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    figures = briefing.chart_figures(a, lang)
                    for fig in figures.values():
                        fig.canvas.draw()
            finally:
                logging.getLogger("matplotlib").removeHandler(handler)
            out[(key, lang)] = (figures, caught, handler.records)
        out[key] = a
    yield out
    plt.close("all")


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record.getMessage())


def model_ids(model, a=None):
    """Every id of the model a council must not read: systems, zones, flows, files, controls, risks, rated
    items, findings and rules. An id that is also a word of the model's own names (市町村CS, Audit) is left
    out: there it is a name."""
    ids = set(model.systems["system_id"]) | set(model.zones["zone_id"]) | set(model.flows["flow_id"])
    ids |= set(model.files["file_id"]) | set(model.controls["control_id"]) | set(model.risk_items["risk_id"])
    ids |= set(model.rated_items["rated_item_id"])
    if a is not None:
        ids |= set(a.findings["finding_id"]) | set(a.findings["rule_id"])
    names = " ".join(str(v) for table in (model.systems, model.zones, model.files, model.controls,
                                           model.risk_items, model.rated_items)
                     for col in ("name_ja", "name_en") if col in table for v in table[col])
    return {i for i in ids if not _token(i).search(names)}


def _token(ident):
    return re.compile(r"(?<![A-Za-z0-9_\-@])" + re.escape(ident) + r"(?![A-Za-z0-9_\-@])")


def all_texts(fig):
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


@pytest.mark.parametrize("key", ["bundled", "town"])
@pytest.mark.parametrize("lang", LANGS)
def test_no_id_of_the_model_in_any_council_chart(models, drawn, key, lang):
    model = models[key]
    ids = model_ids(model, drawn[key])
    figures, _caught, _logged = drawn[(key, lang)]
    found = []
    for name, fig in figures.items():
        for text in all_texts(fig):
            found += [(name, ident, text) for ident in ids if _token(ident).search(text)]
    assert not found, found[:10]
    assert len(ids) > 10  # the check has something to find


@pytest.mark.parametrize("key", ["bundled", "town"])
@pytest.mark.parametrize("lang", LANGS)
def test_no_font_or_glyph_warning(drawn, key, lang):
    _figures, caught, logged = drawn[(key, lang)]
    raw = [str(w.message) for w in caught if not issubclass(w.category, style.MissingGlyphWarning)]
    assert not raw, raw
    assert not [m for m in logged if "findfont" in m], logged


def test_the_missing_character_is_said_once_and_drawn_as_a_replacement(drawn):
    figures, caught, _logged = drawn[("town", "ja")]
    said = [str(w.message) for w in caught if issubclass(w.category, style.MissingGlyphWarning)]
    assert len(said) <= 1 and (not said or "U+20BB7" in said[0])
    shown = [t for fig in figures.values() for t in all_texts(fig)]
    assert any("福祉システム（〓田分室）" in t.replace("\n", "") for t in shown)
    assert not any("𠮷" in t for t in shown)


def test_every_text_is_set_in_a_weight_the_font_has(drawn):
    for (key, lang) in [(k, lang) for k in ("bundled", "town") for lang in LANGS]:
        figures = drawn[(key, lang)][0]
        for name, fig in figures.items():
            heavy = [t.get_text() for t in fig.findobj(Text) if t.get_weight() not in ("normal", 400)]
            assert not heavy, (key, lang, name, heavy)


@pytest.mark.parametrize("key", ["bundled", "town"])
def test_no_wrapped_line_breaks_kinsoku(drawn, key):
    for lang in LANGS:
        figures, _c, _l = drawn[(key, lang)]
        for name, fig in figures.items():
            for text in all_texts(fig):
                lines = text.split("\n")
                for line in lines[1:]:
                    assert line[:1] not in style._NO_LINE_START or not line, (name, text)


def test_kinsoku_on_hand_made_strings():
    style.use_japanese_fonts()
    cases = ["住民記録システム（市の）、窓口端末", "個人番号を含むファイル（住民票）。次の行", "あいうえおかきくけこ、さしすせそ。",
             "統合宛名システム「中間サーバー」との連携（照会・応答）", "ファイルっ。ャ", "ー長音ーから始まらない"]
    for text in cases:
        for width in (0.4, 0.55, 0.7, 0.9, 1.2):
            for balanced in (True, False):
                lines = style.wrap_text(text, width, 10, "ja", balanced=balanced)
                assert "".join(lines) == text, (text, width, lines)
                for a, b in zip(lines, lines[1:]):
                    assert b[0] not in "）」。、・ーっャ", (text, width, lines)
                    assert a[-1] not in "（「", (text, width, lines)


def test_percent_axis_is_linear_below_two_decades():
    assert style.percent_axis_scale([0.3, 0.003]) == "log"  # exactly two decades
    assert style.percent_axis_scale([0.3, 0.0031]) == "linear"  # just under
    assert style.percent_axis_scale([0.5, 0.05]) == "linear"  # one decade
    assert style.percent_axis_scale([0.5, 0.0, float("nan")]) == "linear"


def test_exposure_axis_follows_the_span(drawn):
    bundled = drawn[("bundled", "ja")][0]["exposure"].axes[0]
    town = drawn[("town", "ja")][0]["exposure"].axes[0]
    assert bundled.get_xscale() == "log" and "対数" in bundled.get_xlabel()  # 30 % down to 0.003 %
    assert town.get_xscale() == "linear" and "対数" not in town.get_xlabel()


def test_the_exposure_chart_separates_entry_points_from_systems_at_risk(models, drawn):
    for key in ("bundled", "town"):
        ax = drawn[(key, "ja")][0]["exposure"].axes[0]
        headings = [t.get_text() for t in ax.texts if t.get_gid() == "group-heading"]
        assert headings == ["危険にさらされるシステム", "入口（攻撃・不正の起点）"]
        model = models[key]
        entry = set(model.systems.loc[model.systems["entry_likelihood"] > 0, "system_id"])
        bars = {p.get_gid()[4:]: p.get_y() for p in ax.patches if (p.get_gid() or "").startswith("bar-")}
        assert max(y for s, y in bars.items() if s not in entry) < min(y for s, y in bars.items() if s in entry)


def test_legends_do_not_cover_bars(drawn):
    for (key, lang) in [(k, lang) for k in ("bundled", "town") for lang in LANGS]:
        figures = drawn[(key, lang)][0]
        for name, fig in figures.items():
            renderer = fig.canvas.get_renderer()
            legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
            bars = [p for ax in fig.axes for p in ax.patches
                    if re.match(r"(bar|covered|planned|gap|out_of_scope)-", p.get_gid() or "")]
            for legend in legends:
                box = legend.get_window_extent(renderer)
                covered = [p.get_gid() for p in bars if p.get_width() > 0
                           and box.overlaps(p.get_window_extent(renderer))]
                assert not covered, (key, lang, name, covered)


def test_japanese_charts_name_stages_in_japanese(drawn):
    for key in ("bundled", "town"):
        for name, fig in drawn[(key, "ja")][0].items():
            english = [t for t in all_texts(fig) if re.search(r"\b(Acquisition|Use|Provision|Retention|Network)\b",
                                                                  t)]
            assert not english, (key, name, english)


def test_one_term_for_exposure_in_japanese():
    from pathlib import Path
    import pia_analysis
    root = Path(pia_analysis.__file__).parent
    hits = [str(p) for p in root.rglob("*.py") if "露出度" in p.read_text(encoding="utf-8")]
    assert not hits, hits  # 曝露, as the docs and every chart say


def test_validation_warns_where_a_character_the_fonts_lack_is(models, tmp_path):
    warned = [str(w) for w in models["town"].warnings]
    assert any(w.endswith(("systems.csv:3: name_ja: '𠮷' (U+20BB7) is in no chart font: the charts draw 〓 in its "
                           "place (hint: keep it if it is the right character (tables and CSV files keep it); or "
                           "write the form the fonts have, such as 吉 for 𠮷)")) for w in warned), warned
    assert not [w for w in models["bundled"].warnings if "chart font" in str(w)]
    # the workbook says where too, in its own words
    from pia_analysis.formats.templates import convert
    book = tmp_path / "town.xlsx"
    convert(models["town"].path, book)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = load_model(book)
    assert any("town.xlsx[systems]:3: name_ja: '𠮷'" in str(w) for w in loaded.warnings)


def test_a_missing_character_is_said_once_per_character():
    rare = "\U00020001"  # CJK Extension B, in no chart font, used by no other test
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert style.drawable_text(f"{rare}谷") == "〓谷"
        assert style.drawable_text(f"西{rare}") == "西〓"
    said = [w for w in caught if issubclass(w.category, style.MissingGlyphWarning)]
    assert len(said) == 1 and "U+20001" in str(said[0].message)
    assert style.drawable_text("吉田 (J-LIS)") == "吉田 (J-LIS)"


PLACEHOLDER = re.compile(r"\{[A-Za-z_]+\}")


@pytest.mark.parametrize("key", ["bundled", "town"])
@pytest.mark.parametrize("lang", LANGS)
def test_no_unfilled_placeholder_in_any_council_chart(drawn, key, lang):
    figures, _caught, _logged = drawn[(key, lang)]
    left = [(name, text) for name, fig in figures.items() for text in all_texts(fig) if PLACEHOLDER.search(text)]
    assert not left, left[:5]


def test_a_rule_fired_for_a_village_is_titled_in_the_village_word(tmp_path):
    """The rule that names the body (mn-outside-city: 「{body}が運用しない…」) fires open here, so the risk
    map's legend shows its title: 村 / the village, never the template (the town model outsources nothing)."""
    zones = [zone("V_CORE", name_ja="基幹系", name_en="Core"),
             zone("V_DC", operator="contractor", name_ja="委託先データセンター", name_en="Contractor's data centre")]
    systems = [system("V_CTR", zone="V_CORE", entry=0.1, name_ja="窓口端末", name_en="Counter terminal"),
               system("V_REG", zone="V_DC", holds=["V_MNF"], operator="contractor", name_ja="住民記録システム",
                      name_en="Resident register")]
    flows = [flow("V_F1", "V_CTR", "V_REG", files=["V_MNF"])]
    files = [file("V_MNF", records=500, name_ja="住民基本台帳ファイル", name_en="Resident register file")]
    meta = {"organisation": "山里村", "title_ja": "山里村 住民基本台帳", "title_en": "Yamasato village register",
            "target_population": 500}
    model = make_model(tmp_path, systems, flows, [], files, zones, meta)
    a = analyse(model, trials=500)
    assert "open" in set(a.findings.loc[a.findings["rule_id"] == "mn-outside-city", "status"])
    for lang, word in (("ja", "村が運用しない"), ("en", "the village does not operate")):
        fig = briefing.chart_figures(a, lang)["risk_map"]
        texts = all_texts(fig)
        assert not [t for t in texts if PLACEHOLDER.search(t)], texts
        assert any(word in t.replace("\n", " ") for t in texts), texts
    from pia_analysis.analysis.findings import rules
    for column in ("title_ja", "title_en", "explanation_ja", "explanation_en"):
        assert not rules(model)[column].str.contains(PLACEHOLDER).any(), column
    plt.close("all")


@pytest.mark.parametrize("lang", LANGS)
def test_writing_the_pack_raises_no_raw_glyph_warning(models, tmp_path, lang):
    """The PDF's table pages and the appendix name the town's 福祉システム（𠮷田分室） too: the whole pack is
    written without matplotlib's per-glyph ``Glyph … missing`` warning (validation said where it is), and
    the text drawn is 〓, never an empty box."""
    from pypdf import PdfReader

    from pia_analysis import write_report

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pack = write_report(models["town"], tmp_path / "pack", lang=lang)
    raw = [str(w.message) for w in caught if "Glyph" in str(w.message) or "missing from font" in str(w.message)]
    assert not raw, raw[:3]
    text = "".join(page.extract_text() or "" for page in PdfReader(pack / "briefing.pdf").pages)
    assert "𠮷" not in text
    plt.close("all")


@pytest.mark.parametrize("key", ["bundled", "town"])
@pytest.mark.parametrize("lang", LANGS)
def test_no_chart_names_the_model_by_its_id(models, drawn, key, lang):
    """Every chart page's footer names the model by its title, not its id (``yamasato-juki-r6``)."""
    model = models[key]
    figures, _caught, _logged = drawn[(key, lang)]
    shown = [(name, t) for name, fig in figures.items() for t in all_texts(fig) if model.id in t]
    assert not shown, shown[:3]
    footers = [t for fig in figures.values() for t in all_texts(fig) if model.title(lang) in t]
    assert len(footers) >= len(figures)
