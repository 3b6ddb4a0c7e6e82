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

import re
import unicodedata

# 12 digits, optionally grouped 4-4-4 by a space or a hyphen, not part of a longer digit run.
_CANDIDATE = re.compile(r"(?<![0-9])([0-9]{4})[ \-]?([0-9]{4})[ \-]?([0-9]{4})(?![0-9])")


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

    Full-width digits are normalised first, so ``１２３４…`` is caught as well.

    Examples
    --------
    >>> find_my_numbers("call 1234 5678 9018 now")
    [(5, '**** **** **18')]
    >>> find_my_numbers("records 932000; 123456789012")
    []
    """
    norm = unicodedata.normalize("NFKC", text)
    hits = []
    for m in _CANDIDATE.finditer(norm):
        digits = "".join(m.groups())
        if is_valid_my_number(digits):
            hits.append((m.start(), mask(digits)))
    return hits
