"""The council's words: names for ids, words for codes, percentages for probabilities.

The analyses speak in ids (``JUKI_REC``, ``F03``, ``acquire-3``, ``overclaimed``) because analysts join tables
on them; a council member reads names. :class:`CouncilWords` turns an analysis sentence into the council's
language: a system, zone, file or control by its name, a flow as 「送り元 → 送り先」 by name, a rated item by
its official wording (shortened), a status or a level in words of the pack's language, a probability as a
percentage, and the body by its own word (町, not 市: :mod:`pia_analysis.model.organisation`). Ids stay in
the CSV/xlsx tables and in the appendix that maps names to ids (:meth:`CouncilWords.appendix`).
"""

from __future__ import annotations

__all__ = ["METHOD_NOTES", "CouncilWords", "count_noun", "measured_probability", "method_notes", "model_ids",
           "percent"]

import re

import pandas as pd

from ..catalog import read_table
from ..model.model import Model
from ..model.organisation import organisation_kind
from ..util.words import OPERATOR_WORDS, STATUS_WORDS, measure_word, percent

# A rated item's official wording is long (「権限のない者（元職員、アクセス権限のない職員等）によって不正に使用される
# リスク」); on a council page it is cut at this many characters with 「…」.
RISK_WORDING_CHARS = 40

# Words for the analyses' codes (statuses of the self-rating check, of findings, operators): one table for all
_STATUS_WORDS = STATUS_WORDS
_OPERATOR_WORDS = OPERATOR_WORDS


# An id in a sentence stands at its start or after a space or punctuation, never glued to a name (町村CS).
_BEFORE_ID = r"(?<![A-Za-z0-9_@.\-\u3040-\u30ff\u3400-\u9fff])"
_GLUED_BEFORE = re.compile(r"[A-Za-z0-9_@.\-\u3040-\u30ff\u3400-\u9fff]").fullmatch
_GLUED_AFTER = re.compile(r"[A-Za-z0-9_@\-]").fullmatch


#: A one-line explanation of each method a council page may name: (words that name it in Japanese, in English,
#: the explanation in Japanese, in English). A page lists the notes of the methods its text names
#: (:func:`method_notes`), so that a councillor never meets a method without a word on what it is.
METHOD_NOTES: tuple[tuple[tuple[str, ...], tuple[str, ...], str, str], ...] = (
    (("最も起こりやすい経路", "曝露"), ("most likely path", "exposure"),
     "最も起こりやすい経路（曝露）: 入口（攻撃・不正の起点）から各段の確率を掛け合わせた値が最も大きい経路。"
     "その値を年間の想定確率とする。",
     "Most likely path (exposure): of the routes from an entry point (where an attack can start), the one whose "
     "step probabilities multiply to the largest value; that value is the yearly likelihood."),
    # the measures of the probability of compromise by any path (issue 17); a note never names another
    # note's words, so that a page lists only the notes of what it names
    (("厳密な確率",), ("exact probability",),
     "厳密な確率: 入口から届くすべての経路を合わせ、複数の流れを守る同じ対策は一度だけ破られるものとして、"
     "二分決定図（BDD）で誤差なく計算した年間の確率。一つの経路だけの確率はその下限になる。",
     "Exact probability: every route from an entry point taken together, a control guarding several flows "
     "failing once for all of them, computed without error on a binary decision diagram (BDD); the "
     "probability of any single route is a lower bound of it."),
    (("標本推定",), ("sampled estimate",),
     "標本推定（95%区間）: 計算が大きすぎて誤差なく求められないシステムについて、攻撃を乱数で何万回も試し、"
     "届いた割合を確率とした値。95%区間はその誤差の幅で、確かな下限・上限の内に収める。",
     "Sampled estimate (95% interval): where the system is too large to compute without error, the attack is "
     "tried tens of thousands of times at random and the share of the trials that reach it is the probability; the 95% "
     "interval is its margin of error, kept within the certified bounds."),
    (("上下限",), ("lower and upper bounds",),
     "上下限: 計算が大きすぎるときの、確かな下限（一つの経路の確率など）と上限。本当の確率はその間にある。",
     "Lower and upper bounds: where the computation is too large, a certified lower bound (the most likely "
     "route, for one) and upper bound; the true probability lies between them."),
    (("モンテカルロ",), ("Monte Carlo",),
     "モンテカルロ法: 攻撃の成否を乱数で何万回も試し、いずれかの経路で到達された回数の割合を確率とする方法。",
     "Monte Carlo: the attack is tried tens of thousands of times at random; the share of the trials in which "
     "any path reaches the system is its probability."),
    (("CNIL", "リスクの水準"), ("CNIL", "risk level"),
     "リスクの水準（CNIL 方式）: フランスのデータ保護機関 CNIL の PIA 手法にならい、発生可能性と影響を"
     "それぞれ4段階で評価し、その組合せで低・中・高・重大を決める。",
     "Risk level (CNIL method): after the PIA method of CNIL, the French data protection authority, likelihood "
     "and impact are each rated on four levels, and the pair gives low, moderate, high or critical."),
    (("期待値",), ("expected value", "expected records"),
     "期待値: 年間の想定確率 × 影響を受ける人数。1年あたりの平均であり、実際に到達されたときは保有する"
     "人数の全員が影響を受ける。",
     "Expected value: the yearly likelihood × the people affected; an average per year — if the system is "
     "reached, every person it holds is affected."),
    (("しきい値",), ("threshold",),
     "しきい値: 経路の年間確率がこれを超えると指摘とする値（既定 1%）。",
     "Threshold: the yearly probability of a path above which it is a finding (1% unless set otherwise)."),
)


def method_notes(text: str, lang: str = "ja") -> list[str]:
    """The one-line explanations (:data:`METHOD_NOTES`) of the methods that ``text`` names, in its order.

    Parameters
    ----------
    text
        The text of a council page (its messages, titles and cells).
    lang
        ``"ja"`` or ``"en"``.

    Returns
    -------
    list of str
        One note per method named, in the order of :data:`METHOD_NOTES`; empty when none is named.

    Examples
    --------
    >>> from pia_analysis.outputs.wording import method_notes
    >>> [n.split(":")[0] for n in method_notes("想定確率は年 3.6%（最も起こりやすい経路: 届出人 → 窓口）")]
    ['最も起こりやすい経路（曝露）']
    >>> method_notes("a Monte Carlo estimate", "en")[0].startswith("Monte Carlo: ")
    True
    >>> method_notes("8,000 people")
    []
    """
    ja = lang != "en"
    folded = text if ja else text.casefold()  # "Most likely path to …" names the method too
    return [note_ja if ja else note_en for words_ja, words_en, note_ja, note_en in METHOD_NOTES
            if any((w if ja else w.casefold()) in folded for w in (words_ja if ja else words_en))]


def measured_probability(probability: float, method: str, low: float = float("nan"), high: float = float("nan"),
                         lang: str = "ja") -> str:
    """A yearly probability with the measure it is, for a council page: 「年 4.5%（厳密な確率）」.

    ``method`` is a ``method`` of :func:`pia_analysis.compromise_probability` (``exact``, ``sampled``,
    ``bounds``) or ``path`` (the most likely path: a lower bound). The words of the measure are those of
    :func:`pia_analysis.util.words.measure_word`, so the page's method notes (:data:`METHOD_NOTES`) explain them.

    Parameters
    ----------
    probability
        The value (NaN when only bounds are known).
    method
        ``exact``, ``sampled``, ``bounds`` or ``path``.
    low, high
        The 95 % interval (``sampled``) or the certified bounds (``bounds``); unused otherwise.
    lang
        ``"ja"`` or ``"en"``.

    Returns
    -------
    str
        「年 4.5%（厳密な確率）」, 「年 4.4%（標本推定、95%区間 4.2%〜4.7%）」, 「年 2.5%〜3.1%（上下限）」,
        「年 2.4%（下限）」; ``"4.5% a year (exact probability)"`` … in English.

    Examples
    --------
    >>> from pia_analysis.outputs.wording import measured_probability
    >>> measured_probability(0.045, "exact"), measured_probability(0.024, "path")
    ('年 4.5%（厳密な確率）', '年 2.4%（下限）')
    >>> measured_probability(0.044, "sampled", 0.042, 0.047, "en")
    '4.4% a year (sampled estimate, 95% interval 4.2%–4.7%)'
    >>> measured_probability(float("nan"), "bounds", 0.025, 0.031)
    '年 2.5%〜3.1%（上下限）'
    """
    ja = lang != "en"
    if method == "bounds":
        value = f"{percent(low, lang)}{'〜' if ja else '–'}{percent(high, lang)}"
        words = measure_word("bounds", lang)
    elif method == "sampled":
        value = percent(probability, lang)
        words = (f"標本推定、95%区間 {percent(low, lang)}〜{percent(high, lang)}" if ja else
                 f"sampled estimate, 95% interval {percent(low, lang)}–{percent(high, lang)}")
    elif method == "path":
        value, words = percent(probability, lang), ("下限" if ja else "a lower bound")
    else:
        value, words = percent(probability, lang), measure_word(method, lang)
    return f"年 {value}（{words}）" if ja else f"{value} a year ({words})"


def count_noun(n: int, singular: str, plural: str | None = None) -> str:
    """``"1 risk"``, ``"3 risks"``: an English count with its noun.

    Parameters
    ----------
    n
        The count.
    singular
        The noun for one.
    plural
        The noun for several (default: ``singular`` + "s").

    Returns
    -------
    str
        The count (with thousands separators) and the noun.

    Examples
    --------
    >>> from pia_analysis.outputs.wording import count_noun
    >>> count_noun(1, "system"), count_noun(3, "entry point"), count_noun(2, "body", "bodies")
    ('1 system', '3 entry points', '2 bodies')
    """
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"


def model_ids(model: Model, findings: pd.DataFrame | None = None) -> set[str]:
    """Every id of the model: systems, flows, zones, files, controls, rated items and risks, findings.

    Parameters
    ----------
    model
        The model.
    findings
        Its findings (:func:`pia_analysis.find_findings`), whose ``finding_id`` and ``rule_id`` are added.

    Returns
    -------
    set of str
        The ids, as the tables write them.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model
    >>> from pia_analysis.outputs.wording import model_ids
    >>> ids = model_ids(load_model(bundled_model_path()))
    >>> {"JUKI_REC", "F03", "CORE", "JUKI_FILE", "acquire-3", "self-check"} <= ids
    True
    """
    ids: set[str] = set()
    for table, column in (("systems", "system_id"), ("flows", "flow_id"), ("zones", "zone_id"),
                          ("files", "file_id"), ("controls", "control_id")):
        ids.update(map(str, getattr(model, table)[column]))
    ids.update(map(str, model.rated_items["rated_item_id"]))
    ids.update(map(str, model.risk_items["risk_id"]))
    if findings is not None and len(findings):
        ids.update(map(str, findings["finding_id"]))
        ids.update(map(str, findings["rule_id"]))
    return {i for i in ids if i}


class CouncilWords:
    """The council's words for a model's ids and the analyses' codes, in one language.

    Parameters
    ----------
    model
        The model.
    lang
        ``"ja"`` (default) or ``"en"``.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model
    >>> from pia_analysis.outputs.wording import CouncilWords
    >>> w = CouncilWords(load_model(bundled_model_path()), "ja")
    >>> w.body, w.flow("F03")
    ('市', '住民記録端末（区役所窓口） → 住民記録システム')
    >>> w.text("JUKI_REC（住民記録システム） への経路 JUKI_TERM → JUKI_REC: 年間確率 0.0125")
    '住民記録システム への経路 住民記録端末（区役所窓口） → 住民記録システム: 年間確率 1.3%'
    >>> w.text("acquire-3（判定 overclaimed）")
    '入手した特定個人情報が不正確であるリスク（判定: 自己評価が網羅状況を上回る）'
    >>> w.text("F03: JUKI_TERM→JUKI_REC")
    '住民記録端末（区役所窓口） → 住民記録システム'
    """

    def __init__(self, model: Model, lang: str = "ja") -> None:
        self.model, self.lang, self.ja = model, lang, lang != "en"
        kind = organisation_kind(model.meta)
        self.kind = kind
        self.body = kind.word_ja if self.ja else kind.the()
        col = "name_ja" if self.ja else "name_en"
        self.names: dict[str, str] = {}
        self.kinds: dict[str, str] = {}
        for table, id_col in (("zones", "zone_id"), ("files", "file_id"), ("controls", "control_id"),
                              ("systems", "system_id")):
            for i in getattr(model, table)[id_col]:
                self.names[str(i)] = model.element_name(str(i), lang)
                self.kinds[str(i)] = table
        self.flows = {str(f): (str(s), str(t)) for f, s, t in
                      zip(model.flows["flow_id"], model.flows["source"], model.flows["target"])}
        for f in self.flows:
            self.kinds[f] = "flows"
        self.risk_names: dict[str, str] = {}
        risks = model.risk_items
        for rid, name in zip(risks["risk_id"], risks[col]):
            self.risk_names[str(rid)] = str(name)
        items = model.rated_items
        for rid, name in zip(items["rated_item_id"], items[col]):
            self.risk_names[str(rid)] = str(name)
        for rid in self.risk_names:
            self.kinds[rid] = "risks"
        self.levels = {int(r["level"]): r["label_ja" if self.ja else "label_en"]
                       for r in read_table("risk_scales.csv").to_dict("records") if r["scale"] == "risk_level"}
        choices = read_table("choice_sets.csv")
        self.rating_words = {} if self.ja else dict(zip(choices["label_ja"], choices["label_en"]))
        # every name that holds an id-like run of letters (町村CS) is kept whole, never read as an id
        self._names_pattern = sorted({n for n in [*self.names.values(), *self.risk_names.values()] if n},
                                     key=len, reverse=True)
        # the ids, longest first (as the sentences are searched), and a finder for those a sentence holds: a
        # model of the whole country has ~100,000 ids, too many for one regular expression or a loop per id
        self._ids = sorted(self.kinds, key=len, reverse=True)
        self._rank = {i: r for r, i in enumerate(self._ids)}
        self._names_set = frozenset(self._names_pattern)
        self._name_lengths = sorted({len(n) for n in self._names_pattern}, reverse=True)
        self._id_lengths = sorted({len(i) for i in self._ids if i}, reverse=True)

    # --- single things -------------------------------------------------------------------------------

    def name(self, element: str) -> str:
        """The name of a system, zone, file, control, flow (「送り元 → 送り先」) or rated item; else as given."""
        if element in self.flows:
            return self.flow(element)
        if element in self.names:
            return self.names[element]
        if element in self.risk_names:
            return self.risk(element)
        return element

    def flow(self, flow_id: str) -> str:
        """A flow as 「送り元 → 送り先」, by the systems' names (:meth:`Model.element_name`)."""
        return self.model.element_name(flow_id, self.lang)

    def risk(self, risk_id: str, chars: int = RISK_WORDING_CHARS) -> str:
        """A risk or rated item by its official wording, shortened to ``chars`` characters (「…」)."""
        wording = self.risk_names.get(risk_id, risk_id)
        if len(wording) <= chars:
            return wording
        cut = wording[:chars - 1]
        if not self.ja and " " in cut:  # English is cut at a word ("persons without…"), never inside one
            cut = cut[:cut.rfind(" ")].rstrip(" ,;:(")
        return cut + "…"

    def status(self, code: str) -> str:
        """A status of the self-rating check or of a finding, in words."""
        words = _STATUS_WORDS.get(code)
        return (words[0] if self.ja else words[1]) if words else code

    def level(self, level: int) -> str:
        """A risk level 1–4 in words (低 / 中 / 高 / 重大; low … critical), from ``catalog/risk_scales.csv``."""
        return self.levels.get(int(level), str(level))

    def rating(self, label_ja: str) -> str:
        """A self-rating (the form's Japanese words) in the pack's language."""
        return self.rating_words.get(label_ja, label_ja)

    def reference(self, ref: str) -> str:
        """An assumption reference ``table:id`` (``systems:JUKI_REC``, ``model:procedure.published_on``) by name."""
        table, _, element = ref.partition(":")
        if table == "ratings":
            return (f"自己評価（{self.risk(element, 24)}）" if self.ja else f"self-rating ({self.risk(element, 40)})")
        if table == "model":
            key = element.rsplit(".", 1)[-1]
            words = {"published_on": ("公表日", "publication date"), "submitted_on": ("提出日", "submission date")}
            return words.get(key, ("評価実施手続の記録", "procedure record"))[0 if self.ja else 1]
        return self.name(element)

    def references(self, refs) -> list[str]:
        """Each reference by name, without repeats, in order."""
        out: list[str] = []
        for r in refs:
            text = self.reference(str(r))
            if text not in out:
                out.append(text)
        return out

    # --- sentences -----------------------------------------------------------------------------------

    def text(self, sentence: str) -> str:
        """An analysis sentence in the council's words: ids → names, codes → words, fractions → percentages."""
        s = str(sentence)
        # 「ID（name）」 or "ID (name)": the name alone (the id is in the tables); longest id first, and only the
        # ids the sentence holds (the others change nothing), found again after each change
        present, done = self._ids_in(s), -1
        while present:
            i = present.pop(0)
            changed = _drop_id_before_parenthesis(s, i, self.risk_names.get(i) or self.names.get(i) or i)
            done = self._rank[i]
            if changed != s:
                s = changed
                present = [j for j in self._ids_in(s) if self._rank[j] > done]
        # "F08: CS→PREF_SRV": the flow id before its own endpoints says nothing more
        s = re.sub(r"(?<![A-Za-z0-9_\-])([A-Za-z0-9_\-]+): (?=[A-Za-z0-9_\-]+ ?→)",
                   lambda m: "" if m.group(1) in self.flows else m.group(0), s)
        s = re.sub(r"(?<=[A-Za-z0-9_])→(?=[A-Za-z0-9_])", " → ", s)
        s = self._names_for_ids(s)
        s = re.sub(r"（判定 ([a-z_]+)）", lambda m: f"（判定: {self.status(m.group(1))}）", s)
        s = re.sub(r"\(status ([a-z_]+)\)", lambda m: f"({self.status(m.group(1))})", s)
        s = re.sub(r"(運用: |operated by )([a-z_]+)",
                   lambda m: m.group(1) + _OPERATOR_WORDS.get(m.group(2), (m.group(2),) * 2)[0 if self.ja else 1],
                   s)
        if not self.ja:  # (a self-rating is in English in the analyses' English sentences already)
            s = re.sub(r"\bof 1 pairs\b", "of 1 pair", s)
        # a probability written as a fraction (0.0125) reads as a percentage (1.3%)
        s = re.sub(r"(?<![\d.,])0\.\d+(?![\d%])|(?<![\d.,])1\.0+(?![\d%])", lambda m: percent(float(m.group())), s)
        # (the body's own word comes from the analyses themselves: finding titles, questions)
        return s

    def _ids_in(self, s: str) -> list[str]:
        """The model's ids that occur in ``s`` (anywhere), longest first: every substring of an id's length."""
        found = {s[p:p + n] for n in self._id_lengths if n <= len(s) for p in range(len(s) - n + 1)}
        return sorted(found & self.kinds.keys(), key=self._rank.__getitem__)

    def _names_for_ids(self, s: str) -> str:
        """Every id standing alone in ``s`` replaced by its name; a name (町村CS) is kept whole, never read as ids.

        Left to right, at each place the longest name there, else the longest id there that stands alone (not
        glued to letters, digits or kana/kanji before it, nor to letters or digits after it): the result of the
        one regular expression ``name|…|id|…`` this replaces, without its cost on a model of many elements.
        """
        out, p, size = [], 0, len(s)
        while p < size:
            hit = next((s[p:p + n] for n in self._name_lengths if p + n <= size and s[p:p + n] in self._names_set),
                       None)
            if hit is None and (p == 0 or not _GLUED_BEFORE(s[p - 1])):
                hit = next((s[p:p + n] for n in self._id_lengths
                            if p + n <= size and s[p:p + n] in self.kinds
                            and (p + n == size or not _GLUED_AFTER(s[p + n]))), None)
            if hit is None:
                out.append(s[p])
                p += 1
                continue
            out.append(self.name(hit) if hit in self.kinds else hit)
            p += len(hit)
        return "".join(out)

    def appendix(self) -> pd.DataFrame:
        """The names and ids of the model, for the appendix page of the pack.

        Returns
        -------
        pandas.DataFrame
            Columns ``区分, 名称, ID`` (``kind, name, id``): systems, flows, zones, files, controls, rated items.
        """
        kinds = {"systems": ("システム", "system"), "flows": ("流れ", "flow"), "zones": ("ゾーン", "zone"),
                 "files": ("ファイル", "file"), "controls": ("対策", "control"), "risks": ("評価項目", "rated item")}
        rows = []
        used_risks = set(self.model.rated_items["rated_item_id"])
        for table in ("systems", "flows", "zones", "files", "controls", "risks"):
            # in id order, not file order: the same model gives the same page whatever its row order
            for i, k in sorted(self.kinds.items()):
                if k != table or (table == "risks" and i not in used_risks):
                    continue
                rows.append((kinds[table][0 if self.ja else 1], self.name(i) if table != "risks" else
                             self.risk(i, 60), i))
        columns = ["区分", "名称", "ID"] if self.ja else ["kind", "name", "id"]
        return pd.DataFrame(rows, columns=columns)


def _drop_id_before_parenthesis(s: str, element: str, name: str) -> str:
    """``ID（name…）`` / ``ID (name…)`` → ``name…`` (balanced brackets) when the brackets hold the id's name.

    Brackets that say something else (「ゾーン OFFSITE（運用: contractor）」) stay; the id is named later.
    """
    pattern = re.compile(rf"{_BEFORE_ID}{re.escape(element)}(（| \()")
    pos = 0
    while True:
        m = pattern.search(s, pos)
        if not m:
            return s
        open_, close = ("（", "）") if m.group(1) == "（" else ("(", ")")
        depth, j = 0, m.end() - 1
        while j < len(s):
            if s[j] == open_:
                depth += 1
            elif s[j] == close:
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if j >= len(s):
            return s
        inner = s[m.end():j]
        if name not in inner:
            pos = m.end()
            continue
        s = s[:m.start()] + inner + s[j + 1:]
        pos = m.start() + len(inner)
