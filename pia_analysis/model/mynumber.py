"""The My Number guard: a model must never hold what looks like a real individual number.

A My Number (個人番号) has 12 digits; the last is a check digit computed from the first eleven
(「行政手続における特定の個人を識別するための番号の利用等に関する法律施行令」第8条). With the
eleven digits numbered ``P_1`` … ``P_11`` from the right (``P_1`` is the 11th digit of the number)::

    Q_n = n + 1   for 1 <= n <= 6
    Q_n = n - 5   for 7 <= n <= 11
    r   = (Σ P_n · Q_n) mod 11
    check digit = 0 if r <= 1 else 11 - r

Only about one number in ten passes by chance, so a 12-digit value with a valid check digit in a model
file is refused: the toolkit models systems and must never carry personal data.
"""

from __future__ import annotations

__all__ = ["check_digit", "find_my_numbers", "is_valid_my_number", "mask", "mask_numbers", "redact"]

import functools
import re
import unicodedata

from ..util.errors import InvalidArgumentError

# What may stand between two groups of digits of a hidden number: any dash (category Pd), the minus
# signs that are not dashes, dots and middle dots, the long-vowel marks a Japanese keyboard types as a
# dash (ー U+30FC, half-width ｰ U+FF70), any space (Zs), tab or line break. Invisible characters — format
# characters (Cf: zero-width space, joiner, soft hyphen, direction marks …) and nonspacing or enclosing
# marks (Mn, Me: combining accents, variation selectors, the keycap U+20E3, the grapheme joiner U+034F) —
# are dropped before the scan.
_MINUS_AND_DOTS = frozenset("\u2212\u2796\u02d7\u207b\u208b\uff0d\ufe63"
                            ".\u00b7\u2024\u2027\u2219\u22c5\u30fb\uff0e\uff65\u3002\uff61"
                            "\u30fc\uff70")
# Characters that also separate numbers in ordinary text (lists "932,000, 1,200", times, fractions,
# identifiers): between digit groups they count only when the groups are exactly 4-4-4, the way a My
# Number is written ("1234/5678/9018", "model_1234_5678_9018", "(1234)5678-9018").
_WEAK = "_/,:()"
_YEARS = re.compile(r"(?:(?:19|20)\d\d){3}")  # "2020/2021/2022": a list of years, not one number
# Wave dashes (category Pd too) write ranges in Japanese ("900000〜950000件"), never one number.
_RANGE_DASHES = frozenset("\u301c\u3030")
_DIGIT = re.compile(r"\d")  # any Unicode decimal digit (category Nd), as str patterns match
_DIGIT_RUN = re.compile(r"\d+")
_MAX_SEPARATOR = 4  # " -- " is four characters; a longer gap is not one number written in groups
# An ISO-like date (2024-04-01, 2024/4/1, 2024.04.01) is one value: it is never joined to the digits
# that follow it after another separator ("2024-04-01 1500 records").
_DATE = re.compile(r"(?<!\d)(?:19|20)\d\d([-/.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])(?!\d)(?!\1\d)")


# The code points the scan looks at: planes 0–3 and 14. Planes 4–13 hold no character in any Unicode version
# (up to 16.0) and 15–16 are private use (category Co); skipping them makes the first scan of a process 3×
# faster (0.3 → 0.1 s, a tenth of a small model's whole report). tests/test_hostile_inputs.py checks that the whole
# range finds nothing more under the running Python's Unicode database.
_ASSIGNABLE = [*range(0x40000), *range(0xE0000, 0xF0000)]


@functools.lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The three patterns of the My Number scan.

    (invisible characters, a run of digit groups joined by separators of at most four characters,
    three groups of exactly four digits joined by separators or ``_ / , : ( )``).

    Built from the Unicode database on first use (about 0.1 s, once), only when a value holds 12 digits.
    """
    invisible, pd = [], []
    for cp in _ASSIGNABLE:
        category = unicodedata.category(chr(cp))
        if category in ("Cf", "Mn", "Me"):
            invisible.append(chr(cp))
        elif category == "Pd" and chr(cp) not in _RANGE_DASHES:
            pd.append(chr(cp))
    # \s: every space (Zs), tab and line break (\n \r \v \f \x1c-\x1f \x85 U+2028 U+2029)
    strong = "\\s" + re.escape("".join(pd) + "".join(sorted(_MINUS_AND_DOTS)))
    separator = f"[{strong}]{{1,{_MAX_SEPARATOR}}}"
    weak = f"[{strong}{re.escape(_WEAK)}]{{0,{_MAX_SEPARATOR}}}"
    group = r"(?<!\d)(\d{4})(?!\d)"
    return (re.compile("[" + re.escape("".join(invisible)) + "]"),
            re.compile(rf"\d+(?:{separator}\d+)*"),
            re.compile(rf"(?={group}{weak}{group}{weak}{group})"))


def _ascii_digits(part: str) -> str:
    return part if part.isascii() else "".join(str(unicodedata.decimal(ch)) for ch in part)


def _digits_and_groups(text: str) -> list[list[tuple[int, int, str]]]:
    """Runs of digit groups: each run a list of (start, end, ASCII digits) joined by short separators.

    ``text`` is NFKC-normalised and holds no invisible characters; any Unicode decimal digit (Arabic-Indic,
    Devanagari …) counts as its ASCII digit. A date ends a run (its digits are never joined to the next).
    """
    date_ends = {m.end() for m in _DATE.finditer(text)}
    runs: list[list[tuple[int, int, str]]] = []
    for run in _patterns()[1].finditer(text):
        groups: list[tuple[int, int, str]] = []
        for group in _DIGIT_RUN.finditer(text, run.start(), run.end()):
            groups.append((group.start(), group.end(), _ascii_digits(group.group())))
            if group.end() in date_ends:
                runs.append(groups)
                groups = []
        if groups:
            runs.append(groups)
    return runs


def _scan(text: str) -> tuple[str, list[tuple[int, int, str]]]:
    """(the text as scanned, [(start, end, the 12 digits)] of every valid-looking number in it)."""
    norm = text if text.isascii() else unicodedata.normalize("NFKC", text)  # ASCII is its own NFKC
    if len(_DIGIT.findall(norm)) < 12:  # most values: nothing more to do
        return norm, []
    if not norm.isascii():  # invisible characters are skipped (none is ASCII)
        norm = _patterns()[0].sub("", norm)
    hits: dict[int, tuple[int, int, str]] = {}
    for groups in _digits_and_groups(norm):
        for first in range(len(groups)):
            digits, end = "", groups[first][1]
            for _start, end, part in groups[first:]:
                digits += part
                if len(digits) >= 12:
                    break
            if len(digits) == 12 and is_valid_my_number(digits):
                hits[groups[first][0]] = (groups[first][0], end, digits)
    for m in _patterns()[2].finditer(norm):
        digits = "".join(_ascii_digits(m.group(i)) for i in (1, 2, 3))
        if m.start() not in hits and is_valid_my_number(digits) and not _YEARS.fullmatch(digits):
            hits[m.start()] = (m.start(), m.end(3), digits)
    return norm, [hits[start] for start in sorted(hits)]


def check_digit(first_eleven: str) -> int:
    """The check digit of a My Number from its first 11 digits.

    Parameters
    ----------
    first_eleven
        The first 11 digits, as text.

    Returns
    -------
    int
        The check digit, 0–9.

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        When ``first_eleven`` is not exactly 11 ASCII digits.

    References
    ----------
    行政手続における特定の個人を識別するための番号の利用等に関する法律施行令 第8条 (the check digit rule).

    Examples
    --------
    >>> from pia_analysis.model.mynumber import check_digit
    >>> check_digit("12345678901")
    8
    """
    if len(first_eleven) != 11 or not first_eleven.isdigit():
        raise InvalidArgumentError("expected exactly 11 digits")
    total = 0
    for n in range(1, 12):
        p = int(first_eleven[11 - n])
        q = n + 1 if n <= 6 else n - 5
        total += p * q
    r = total % 11
    return 0 if r <= 1 else 11 - r


def is_valid_my_number(digits: str) -> bool:
    """True when ``digits`` is 12 digits whose last digit is the valid check digit.

    Parameters
    ----------
    digits
        The text to test.

    Returns
    -------
    bool
        Whether it is a 12-digit number with a valid check digit (:func:`check_digit`).

    Examples
    --------
    >>> from pia_analysis.model.mynumber import is_valid_my_number
    >>> is_valid_my_number("123456789018")
    True
    >>> is_valid_my_number("123456789012")
    False
    """
    return len(digits) == 12 and digits.isdigit() and check_digit(digits[:11]) == int(digits[11])


def mask(digits: str) -> str:
    """Show a suspected number without revealing it: only the last two digits stay.

    Parameters
    ----------
    digits
        The digits of the number.

    Returns
    -------
    str
        ``**** **** **`` and the last two digits.

    Examples
    --------
    >>> from pia_analysis.model.mynumber import mask
    >>> mask("123456789018")
    '**** **** **18'
    """
    return "**** **** **" + digits[-2:]


def find_my_numbers(text: str) -> list[tuple[int, str]]:
    """Positions (0-based, in the NFKC-normalised text) and masked forms of valid-looking My Numbers.

    The text is NFKC-normalised first (full-width and mathematical digits become ASCII). Any Unicode decimal digit
    counts as a digit; between groups of digits, a run of at most four dashes, minus signs, long-vowel marks, dots,
    spaces, tabs or line breaks is a separator, and invisible characters (format characters such as the zero-width
    space, combining marks, variation selectors, keycaps) are ignored. Between three groups of exactly four digits,
    ``_ / , : ( )`` separate too. Twelve digits in consecutive groups whose check digit is valid are a hit; a run of
    more than twelve digits without separators is not (an account or serial number). A number with an invalid check
    digit passes: only about one twelve-digit value in ten is valid by chance.

    Parameters
    ----------
    text
        Any text: a cell, a name, a message.

    Returns
    -------
    list of (int, str)
        For each hit, its position and its masked form (:func:`mask`), in text order; empty when none.

    Examples
    --------
    >>> from pia_analysis.model.mynumber import find_my_numbers
    >>> find_my_numbers("call 1234 5678 9018 now")
    [(5, '**** **** **18')]
    >>> find_my_numbers("records 932000; 123456789012")
    []
    >>> find_my_numbers("\u0661\u0662\u0663\u0664\u2212\u0665\u0666\u0667\u0668\u200b\u0669\u0660\u0661\u0668")
    [(0, '**** **** **18')]
    >>> find_my_numbers("assessed 2024-04-01 1500 records, tel 093-582-2102")
    []
    >>> find_my_numbers("model_1234_5678_9018"), find_my_numbers("counts 932,000, 1,234,567, 8,901")
    ([(6, '**** **** **18')], [])
    """
    return [(start, mask(digits)) for start, _end, digits in _scan(text)[1]]


def mask_numbers(text: str) -> str:
    """``text`` with the digits of every valid-looking My Number in it hidden, else ``text`` as it is.

    For messages that repeat what the user typed (a path): they never print such a number in full.

    Parameters
    ----------
    text
        The text, e.g. a path.

    Returns
    -------
    str
        The text with the digits of each hit replaced by ``*``, its separators kept.

    Examples
    --------
    >>> from pia_analysis.model.mynumber import mask_numbers
    >>> mask_numbers("models/1234-5678-9018")
    'models/****-****-****'
    >>> mask_numbers("models/2024")
    'models/2024'
    >>> mask_numbers("/srv/2024/scenario_1234-5678-9018.yaml")
    '/srv/2024/scenario_****-****-****.yaml'
    """
    norm, hits = _scan(text)
    if not hits:
        return text
    # Only the digits of each number are hidden: the rest of a path (a folder named ``2024`` …) stays readable.
    chars = list(norm)
    for start, end, _digits in hits:
        chars[start:end] = ["*" if ch.isdecimal() else ch for ch in chars[start:end]]
    return "".join(chars)


def redact(text: str) -> str:
    """``text`` with every valid-looking My Number in it replaced by its masked form; else ``text`` as is.

    Every message the toolkit prints passes through this (:class:`~pia_analysis.model.errors.Problem`
    applies it to its parts), so that no check can repeat a refused number in full. When a number is
    found the text is shown NFKC-normalised and without its invisible characters.

    Parameters
    ----------
    text
        A message or a part of one.

    Returns
    -------
    str
        The text, each hit replaced by its masked form.

    Examples
    --------
    >>> from pia_analysis.model.mynumber import redact
    >>> redact("handlers: '123456789018' is too large")
    "handlers: '**** **** **18' is too large"
    >>> redact("target_population: 123456789018.0 is not a whole number")
    'target_population: **** **** **18.0 is not a whole number'
    >>> redact("at most 100 handlers")
    'at most 100 handlers'
    """
    norm, hits = _scan(text)
    if not hits:
        return text
    out, last = [], 0
    for start, end, digits in hits:
        if start < last:  # overlaps the previous hit, already hidden
            continue
        out += [norm[last:start], mask(digits)]
        last = end
    out.append(norm[last:])
    return "".join(out)
