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

__all__ = ["check_digit", "find_my_numbers", "is_valid_my_number", "mask", "mask_numbers"]

import functools
import re
import sys
import unicodedata

# What may stand between two groups of digits of a hidden number: any dash (category Pd), the minus
# signs that are not dashes, dots and middle dots, any space (Zs), tab or line break. Invisible format
# characters (Cf: zero-width space, joiner, soft hyphen, direction marks …) are dropped before the scan.
_MINUS_AND_DOTS = frozenset("\u2212\u2796\u02d7\u207b\u208b\uff0d\ufe63.\u00b7\u2024\u2027\u2219\u22c5\u30fb\uff0e\uff65\u3002\uff61")
# Wave dashes (category Pd too) write ranges in Japanese ("900000〜950000件"), never one number.
_RANGE_DASHES = frozenset("\u301c\u3030")
_DIGIT = re.compile(r"\d")  # any Unicode decimal digit (category Nd), as str patterns match
_DIGIT_RUN = re.compile(r"\d+")
_MAX_SEPARATOR = 3  # " - " is three characters; a longer gap is not one number written in groups
# An ISO-like date (2024-04-01, 2024/4/1, 2024.04.01) is one value: it is never joined to the digits
# that follow it after another separator ("2024-04-01 1500 records").
_DATE = re.compile(r"(?<!\d)(?:19|20)\d\d([-/.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])(?!\d)(?!\1\d)")


@functools.lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(format characters, a run of digit groups joined by separators of at most three characters).

    Built from the Unicode database on first use (about 0.2 s, once), only when a value holds 12 digits.
    """
    cf, pd = [], []
    for cp in range(sys.maxunicode + 1):
        category = unicodedata.category(chr(cp))
        if category == "Cf":
            cf.append(chr(cp))
        elif category == "Pd" and chr(cp) not in _RANGE_DASHES:
            pd.append(chr(cp))
    # \s: every space (Zs), tab and line break (\n \r \v \f \x1c-\x1f \x85 U+2028 U+2029)
    separator = "[\\s" + re.escape("".join(pd) + "".join(sorted(_MINUS_AND_DOTS))) + "]"
    return re.compile("[" + re.escape("".join(cf)) + "]"), re.compile(rf"\d+(?:{separator}{{1,{_MAX_SEPARATOR}}}\d+)*")


def _ascii_digits(part: str) -> str:
    return part if part.isascii() else "".join(str(unicodedata.decimal(ch)) for ch in part)


def _digits_and_groups(text: str) -> list[list[tuple[int, str]]]:
    """Runs of digit groups: each run a list of (position, ASCII digits) joined by short separators.

    ``text`` is NFKC-normalised and holds no format characters; any Unicode decimal digit (Arabic-Indic,
    Devanagari …) counts as its ASCII digit. A date ends a run (its digits are never joined to the next).
    """
    date_ends = {m.end() for m in _DATE.finditer(text)}
    runs: list[list[tuple[int, str]]] = []
    for run in _patterns()[1].finditer(text):
        groups: list[tuple[int, str]] = []
        for group in _DIGIT_RUN.finditer(text, run.start(), run.end()):
            groups.append((group.start(), _ascii_digits(group.group())))
            if group.end() in date_ends:
                runs.append(groups)
                groups = []
        if groups:
            runs.append(groups)
    return runs


def check_digit(first_eleven: str) -> int:
    """The check digit of a My Number from its first 11 digits.

    Examples
    --------
    >>> check_digit("12345678901")
    8
    """
    if len(first_eleven) != 11 or not first_eleven.isdigit():
        raise ValueError("expected exactly 11 digits")
    total = 0
    for n in range(1, 12):
        p = int(first_eleven[11 - n])
        q = n + 1 if n <= 6 else n - 5
        total += p * q
    r = total % 11
    return 0 if r <= 1 else 11 - r


def is_valid_my_number(digits: str) -> bool:
    """True when ``digits`` is 12 digits whose last digit is the valid check digit.

    Examples
    --------
    >>> is_valid_my_number("123456789018")
    True
    >>> is_valid_my_number("123456789012")
    False
    """
    return len(digits) == 12 and digits.isdigit() and check_digit(digits[:11]) == int(digits[11])


def mask(digits: str) -> str:
    """Show a suspected number without revealing it: only the last two digits stay."""
    return "**** **** **" + digits[-2:]


def find_my_numbers(text: str) -> list[tuple[int, str]]:
    """Positions (0-based, in the NFKC-normalised text) and masked forms of valid-looking My Numbers.

    The text is NFKC-normalised first (full-width and mathematical digits become ASCII). Any Unicode
    decimal digit counts as a digit; between groups of digits, a run of at most three dashes, minus
    signs, dots, spaces, tabs or line breaks is a separator, and invisible format characters (zero-width
    space …) are ignored. Twelve digits in consecutive groups whose check digit is valid are a hit; a
    run of more than twelve digits without separators is not (an account or serial number). A number
    with an invalid check digit passes: only about one twelve-digit value in ten is valid by chance.

    Examples
    --------
    >>> find_my_numbers("call 1234 5678 9018 now")
    [(5, '**** **** **18')]
    >>> find_my_numbers("records 932000; 123456789012")
    []
    >>> find_my_numbers("\u0661\u0662\u0663\u0664\u2212\u0665\u0666\u0667\u0668\u200b\u0669\u0660\u0661\u0668")
    [(0, '**** **** **18')]
    >>> find_my_numbers("assessed 2024-04-01 1500 records, tel 093-582-2102")
    []
    """
    norm = unicodedata.normalize("NFKC", text)
    if len(_DIGIT.findall(norm)) < 12:  # most values: nothing more to do
        return []
    if not norm.isascii():  # invisible format characters are skipped (none is ASCII)
        norm = _patterns()[0].sub("", norm)
    hits = []
    for groups in _digits_and_groups(norm):
        for first in range(len(groups)):
            digits = ""
            for _pos, part in groups[first:]:
                digits += part
                if len(digits) >= 12:
                    break
            if len(digits) == 12 and is_valid_my_number(digits):
                hits.append((groups[first][0], mask(digits)))
    return hits


def mask_numbers(text: str) -> str:
    """``text`` with every digit hidden when it holds a valid-looking My Number, else ``text`` as it is.

    For messages that repeat what the user typed (a path): they never print such a number in full.

    Examples
    --------
    >>> mask_numbers("models/1234-5678-9018")
    'models/****-****-****'
    >>> mask_numbers("models/2024")
    'models/2024'
    """
    if not find_my_numbers(text):
        return text
    return "".join("*" if ch.isdecimal() else ch for ch in unicodedata.normalize("NFKC", text))
