"""Words for numbers and codes, at the lowest layer.

Every analysis sentence says a probability as a percentage and a status or an operator in words, so no
reader (the council, a notebook, the terminal) meets ``0.0150`` or
``overclaimed`` (issue 14). :mod:`pia_analysis.outputs.wording` builds the council's words on these.
"""

from __future__ import annotations

__all__ = ["MEASURE_WORDS", "OPERATOR_WORDS", "PERCENT_FLOOR", "STATUS_WORDS", "measure_word", "operator_word",
           "percent", "probability_text", "status_word", "yes_no"]

import math
from decimal import ROUND_HALF_UP, Decimal

#: Words for the status codes (of the self-rating check, of findings, of a control): code → (Japanese, English).
STATUS_WORDS: dict[str, tuple[str, str]] = {
    "consistent": ("網羅状況と一致", "consistent with the coverage"),
    "overclaimed": ("自己評価が網羅状況を上回る", "rated higher than the coverage bears out"),
    "underclaimed": ("網羅状況が自己評価を上回る", "coverage better than the rating"),
    "unrated": ("未評価", "not rated"),
    "out_of_scope": ("対象外（対象要素なし）", "not applicable (nothing to assess)"),
    "not_applicable": ("対象外（宣言）", "not applicable (declared)"),
    "open": ("未対応", "open"),
    "mitigated": ("対策済み", "mitigated"),
    "not_applicable_finding": ("対象外", "not applicable"),
    # a control's status (controls.csv), as model/schema.py's meaning of the column words it
    "implemented": ("実施済み", "implemented"),
    "planned": ("予定", "planned"),
    "missing": ("未実施", "missing"),
    "unknown": ("不明", "unknown"),
}
#: Words for the operators of a zone other than the body itself (the form's terms: 委託先, 再委託先 …).
OPERATOR_WORDS: dict[str, tuple[str, str]] = {
    "contractor": ("委託先", "a contractor"), "subcontractor": ("再委託先", "a subcontractor"),
    "jlis": ("J-LIS", "J-LIS"), "national": ("国", "the national government"),
    "other_body": ("他の団体", "another body"), "resident": ("住民", "residents"),
    "cloud_provider": ("クラウドサービス事業者", "a cloud service provider"),
}

#: Which measure a probability is (issue 17), code → (Japanese, English): the most likely path is a lower bound
#: of the compromise probability; that probability is exact, sampled (with its 95 % interval) or bounded.
MEASURE_WORDS: dict[str, tuple[str, str]] = {
    "path": ("最も起こりやすい経路（下限）", "most likely path (lower bound)"),
    "exact": ("厳密な確率", "exact probability"),
    "sampled": ("標本推定（95%区間）", "sampled estimate (95% interval)"),
    "bounds": ("上下限", "lower and upper bounds"),
}


def measure_word(code: str, lang: str = "ja") -> str:
    """Which measure a probability is, in words of ``lang`` (:data:`MEASURE_WORDS`); an unknown code as it is.

    Parameters
    ----------
    code
        ``path``, ``exact``, ``sampled`` or ``bounds`` (the ``method`` of ``compromise_probability``).
    lang
        ``"ja"`` or ``"en"``.

    Returns
    -------
    str
        The words.

    Examples
    --------
    >>> from pia_analysis.util.words import measure_word
    >>> measure_word("exact"), measure_word("path", "en")
    ('厳密な確率', 'most likely path (lower bound)')
    """
    words = MEASURE_WORDS.get(code)
    return code if words is None else words[1 if lang == "en" else 0]


def probability_text(probability: float, method: str, low: float, high: float, lang: str = "ja") -> str:
    """A probability with what it is: exact as a percentage, sampled with its interval, bounds as a range.

    Parameters
    ----------
    probability
        The value (NaN when only bounds are known).
    method
        ``exact``, ``sampled`` or ``bounds``.
    low, high
        The interval (``sampled``) or the bounds (``bounds``).
    lang
        ``"ja"`` or ``"en"``.

    Returns
    -------
    str
        ``"50%"``; ``"2.7%（95%区間 2.5%〜2.9%）"``; ``"2.5%〜3.1%"``.

    Examples
    --------
    >>> from pia_analysis.util.words import probability_text
    >>> probability_text(0.5, "exact", 0.5, 0.5), probability_text(0.027, "sampled", 0.025, 0.029, "en")
    ('50%', '2.7% (95% interval 2.5%–2.9%)')
    >>> probability_text(float("nan"), "bounds", 0.025, 0.031)
    '2.5%〜3.1%'
    """
    ja = lang != "en"
    if method == "bounds":
        return f"{percent(low, lang)}{'〜' if ja else '–'}{percent(high, lang)}"
    if method == "sampled":
        return (f"{percent(probability, lang)}（95%区間 {percent(low, lang)}〜{percent(high, lang)}）" if ja else
                f"{percent(probability, lang)} (95% interval {percent(low, lang)}–{percent(high, lang)})")
    return percent(probability, lang)


# Below this many per cent (one in a million), :func:`percent` says "less than" instead of a row of zeros.
PERCENT_FLOOR = 0.0001


def percent(x: float, lang: str = "ja") -> str:
    """A probability or share as a percentage a lay reader cannot misread: two significant digits at most.

    Parameters
    ----------
    x
        A fraction (0.036 for 3.6 %).
    lang
        ``"ja"`` or ``"en"`` (only the words for "not available" differ).

    Returns
    -------
    str
        ``"3.6%"``, ``"10%"``, ``"0.052%"``, ``"0%"``; ``"0.0001%未満"`` / ``"< 0.0001%"`` below
        :data:`PERCENT_FLOOR` (one in a million); 未評価 / ``"not assessed"`` for a missing value.

    Examples
    --------
    >>> from pia_analysis.util.words import percent
    >>> percent(0.036), percent(0.1), percent(0.0125), percent(0.000523), percent(0.0), percent(1.0)
    ('3.6%', '10%', '1.3%', '0.052%', '0%', '100%')
    >>> percent(float("nan"))
    '未評価'
    >>> percent(5.78e-12), percent(5.78e-12, "en"), percent(2.5e-6)
    ('0.0001%未満', '< 0.0001%', '0.00025%')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "未評価" if lang != "en" else "not assessed"
    value = 100 * float(x)
    if value == 0:
        return "0%"
    # 0.00000000058% is a row of zeros no one counts: below the floor, it says "less than"
    if 0 < value < PERCENT_FLOOR * (1 - 1e-9):
        return f"{PERCENT_FLOOR:f}".rstrip("0") + "%未満" if lang != "en" else f"< {PERCENT_FLOOR:f}".rstrip("0") + "%"
    digits = max(0, 1 - math.floor(math.log10(abs(value))))
    # half up, as a reader rounds (1.25 → 1.3), on the decimal the value prints as; fixed-point ("f"), never
    # the scientific form str(Decimal) falls into below 1e-6 (5.8E-10 stripped of zeros read as 0.58 %)
    text = format(Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def status_word(code: str, lang: str = "ja") -> str:
    """A status code in words of ``lang`` (:data:`STATUS_WORDS`); an unknown code as it is.

    Parameters
    ----------
    code
        ``overclaimed``, ``open`` …
    lang
        ``"ja"`` or ``"en"``.

    Returns
    -------
    str
        The words.

    Examples
    --------
    >>> from pia_analysis.util.words import status_word
    >>> status_word("overclaimed"), status_word("unrated", "en")
    ('自己評価が網羅状況を上回る', 'not rated')
    """
    words = STATUS_WORDS.get(str(code))
    return (words[1] if lang == "en" else words[0]) if words else str(code)


def operator_word(code: str, lang: str = "ja") -> str:
    """An operator code in words of ``lang`` (:data:`OPERATOR_WORDS`); an unknown code as it is.

    Parameters
    ----------
    code
        ``contractor``, ``jlis`` …
    lang
        ``"ja"`` or ``"en"``.

    Returns
    -------
    str
        The words.

    Examples
    --------
    >>> from pia_analysis.util.words import operator_word
    >>> operator_word("contractor"), operator_word("national", "en")
    ('委託先', 'the national government')
    """
    words = OPERATOR_WORDS.get(str(code))
    return (words[1] if lang == "en" else words[0]) if words else str(code)


def yes_no(value: object, lang: str = "ja") -> str:
    """A truth value in words of ``lang``: はい / いいえ, yes / no — never ``True``/``False`` in a reading.

    Parameters
    ----------
    value
        Anything with a truth value (a check's result).
    lang
        ``"ja"`` or ``"en"``.

    Returns
    -------
    str
        The word.

    Examples
    --------
    >>> from pia_analysis.util.words import yes_no
    >>> yes_no(True), yes_no(False, "en")
    ('はい', 'no')
    """
    return ("yes" if value else "no") if lang == "en" else ("はい" if value else "いいえ")
