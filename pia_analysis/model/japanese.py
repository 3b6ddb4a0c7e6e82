"""The words and dates of Japanese offices, read as the model's values: the one place both are understood.

A municipal analyst types 入手 for the stage ``acquire``, 委託先 for the operator ``contractor``, 実施済み for
the status ``implemented``, ○ / × for yes and no, and dates as 令和6年4月1日, R6.4.1 or 2024/4/1. The
words are labels, so they are packaged data: ``catalog/value_aliases.csv`` (field, alias, value, source,
confidence; the field is an enumerated column or model key, or ``bool`` for every yes/no value) and the era
table ``catalog/eras.csv`` (era, letter, first day, source). :mod:`pia_analysis.model.cells`, the one cell
parser of every reader (CSV, workbook, scenario, model.yaml), reads them through this module, and
:func:`pia_analysis.model.schema.format_reference_markdown` lists them in ``docs/model-format.md``.
"""

from __future__ import annotations

__all__ = ["DateTextError", "alias_value", "alias_words", "eras", "japanese_date", "parse_date_text"]

import calendar
import datetime as dt
import re
import unicodedata
from functools import lru_cache
from typing import Any

import pandas as pd

from ..catalog import CatalogError, read_table
from ..util.errors import InvalidArgumentError

_ALIAS_COLUMNS = ["field", "alias", "value", "source", "confidence"]
_ERA_COLUMNS = ["era", "letter", "first_day", "source", "confidence"]


def _fold(text: str) -> str:
    # as the cell parser reads a cell: full-width letters and digits folded (ＪーＬＩＳ, ㋿), case ignored
    return unicodedata.normalize("NFKC", text).strip().lower()


@lru_cache(maxsize=1)  # packaged, read-only data: read once per process (the parser asks for every cell)
def _aliases() -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], tuple[str, ...]]]:
    table = read_table("value_aliases.csv")
    if list(table.columns) != _ALIAS_COLUMNS:
        raise CatalogError(f"catalog/value_aliases.csv must have the columns {', '.join(_ALIAS_COLUMNS)}")
    lookup: dict[tuple[str, str], str] = {}
    words: dict[tuple[str, str], list[str]] = {}
    for field, alias, value in table[["field", "alias", "value"]].itertuples(index=False):
        key = (field, _fold(alias))
        if key in lookup and lookup[key] != value:  # one word, two meanings: the table is wrong
            raise CatalogError(f"catalog/value_aliases.csv gives {field} {alias!r} two values")
        lookup[key] = value
        words.setdefault((field, value), []).append(alias)
    return lookup, {k: tuple(v) for k, v in words.items()}


def alias_value(field: str, text: str) -> str | None:
    """The coded value a Japanese word (or mark) stands for in ``field``, or None when it is not one.

    Parameters
    ----------
    field
        An enumerated column or model key (``stage``, ``operator``, ``status``, ``kind``, ``version_kind``,
        ``assessment_form``), or ``bool`` for any yes/no value.
    text
        The cell as written; compared after NFKC (full-width forms folded) and ignoring case.

    Returns
    -------
    str or None
        The coded value (``acquire``, ``true`` …).

    Examples
    --------
    >>> from pia_analysis.model.japanese import alias_value
    >>> alias_value("stage", "入手"), alias_value("operator", "委託先"), alias_value("bool", "○")
    ('acquire', 'contractor', 'true')
    >>> alias_value("stage", "acquire") is None
    True
    """
    return _aliases()[0].get((field, _fold(text)))


def alias_words(field: str, value: str) -> tuple[str, ...]:
    """The words accepted for a coded value, in the order of ``catalog/value_aliases.csv`` (the first is its name).

    Parameters
    ----------
    field
        As for :func:`alias_value`.
    value
        A coded value of that field.

    Returns
    -------
    tuple of str
        The words; empty when the table lists none.

    Examples
    --------
    >>> from pia_analysis.model.japanese import alias_words
    >>> alias_words("stage", "provide")
    ('提供・移転', '提供', '移転')
    """
    return _aliases()[1].get((field, value), ())


def eras() -> pd.DataFrame:
    """The Japanese eras (元号) a date may be written in, oldest first, from ``catalog/eras.csv``.

    Returns
    -------
    pandas.DataFrame
        Columns ``era`` (令和 …), ``letter`` (R …), ``first_day`` and ``last_day`` (:class:`datetime.date`;
        the last era's ``last_day`` is None), ``source``, ``confidence``.

    Raises
    ------
    pia_analysis.catalog.CatalogError
        When the packaged table lacks its columns or its eras are not in order.

    Examples
    --------
    >>> from pia_analysis.model.japanese import eras
    >>> eras().set_index("era").loc["令和", "first_day"].isoformat()
    '2019-05-01'
    """
    table = read_table("eras.csv")
    if list(table.columns) != _ERA_COLUMNS:
        raise CatalogError(f"catalog/eras.csv must have the columns {', '.join(_ERA_COLUMNS)}")
    table["first_day"] = [dt.date.fromisoformat(d) for d in table["first_day"]]
    if table["first_day"].tolist() != sorted(table["first_day"]):
        raise CatalogError("catalog/eras.csv must list the eras oldest first")
    ends = [d - dt.timedelta(days=1) for d in table["first_day"].tolist()[1:]]
    table.insert(3, "last_day", ends + [None])
    return table


@lru_cache(maxsize=1)
def _era_table() -> tuple[tuple[str, str, dt.date, dt.date | None], ...]:
    return tuple((e, str(ltr), f, la) for e, ltr, f, la in eras()[["era", "letter", "first_day", "last_day"]]
                 .itertuples(index=False))


def japanese_date(day: dt.date) -> str:
    """A day written in 和暦 as the 評価書 prints dates: 令和8年4月1日, 令和元年5月1日 (eras from ``catalog/eras.csv``).

    The inverse of :func:`parse_date_text` for the era form; a day before the first era of the table is written
    in the Western calendar (2026年4月1日 style), which the form never needs.

    Parameters
    ----------
    day
        A :class:`datetime.date` (a :class:`datetime.datetime` or :class:`pandas.Timestamp` is taken as its day).

    Returns
    -------
    str
        The era, the year in it (元 for the first), the month and the day, without padding.

    Raises
    ------
    pia_analysis.util.errors.InvalidArgumentError
        When ``day`` is not a date.

    Examples
    --------
    >>> import datetime as dt
    >>> from pia_analysis.model.japanese import japanese_date, parse_date_text
    >>> japanese_date(dt.date(2026, 4, 1)), japanese_date(dt.date(2019, 5, 1)), japanese_date(dt.date(2019, 4, 30))
    ('令和8年4月1日', '令和元年5月1日', '平成31年4月30日')
    >>> parse_date_text(japanese_date(dt.date(2016, 12, 1)))
    datetime.date(2016, 12, 1)
    """
    if isinstance(day, pd.Timestamp):
        day = day.date()
    elif isinstance(day, dt.datetime):
        day = day.date()
    if not isinstance(day, dt.date):
        raise InvalidArgumentError(f"day must be a date, got {day!r}")
    for era, _letter, first, _last in reversed(_era_table()):
        if day >= first:
            year = day.year - first.year + 1
            return f"{era}{'元' if year == 1 else year}年{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"


class DateTextError(InvalidArgumentError):
    """A text that is not a day: ``str()`` says why (after the value), :attr:`hint` how to write it.

    Examples
    --------
    >>> from pia_analysis.model.japanese import DateTextError
    >>> str(DateTextError("is not a date", "write 2024-04-01")), DateTextError("x", "y").hint
    ('is not a date', 'y')
    """

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


DATE_FORMS_HINT = ("write the date as YYYY-MM-DD (2021-11-09), 2021/11/9 or in 和暦 (令和3年11月9日, R3.11.9)")
_SEP = r"\s*(?:[./\-]|年|月)\s*"
_GREGORIAN = re.compile(rf"(\d{{4}}){_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}})\s*日?")
_JAPANESE = re.compile(rf"([^\W\d_]+)\s*(\d{{1,2}}|元){_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}})\s*日?")
# a time of day after the date: 10:30, 10:30:00, T10:30:00.5+09:00, 10時30分
_TIME = re.compile(r"(?:\s+|T|\s*)(\d{1,2})(?::(\d{2})(?::(\d{2})(?:\.\d+)?)?|時(?:(\d{1,2})分)?(?:(\d{1,2})秒)?)"
                   r"(?:Z|[+-]\d{2}:?\d{2})?", re.IGNORECASE)


def _time_part(value: Any) -> str | None:
    """The time of day of a date-time (None at midnight: an Excel date cell, or a date typed with 0:00)."""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return None
        return f"{value.hour}:{value.minute:02d}" + (f":{value.second:02d}" if value.second else "")
    return None


def parse_date_text(value: Any) -> dt.date:
    """A day from what an office types or a spreadsheet holds.

    Accepted: ``2024-04-01``, ``2024-4-1``, ``2024/4/1``, ``2024.4.1``, ``2024年4月1日``, the 和暦 forms
    ``令和6年4月1日``, ``令和元年5月1日``, ``R6.4.1``, ``H28.12.1`` (eras from ``catalog/eras.csv``; full-width
    digits and ㋿ folded), a :class:`datetime.date`, and a :class:`datetime.datetime` or text whose time is
    midnight (an Excel date cell). Refused with a reason and a hint: a time of day (named), a day the month
    lacks (R6.2.30), a year outside its era (平成32年, 令和1年4月1日), anything else.

    Parameters
    ----------
    value
        The cell or key value: text, :class:`datetime.date` or :class:`datetime.datetime`.

    Returns
    -------
    datetime.date
        The day.

    Raises
    ------
    DateTextError
        When ``value`` is not a day; ``str()`` reads after the value (``'R6.2.30' is not a date: …``).

    Examples
    --------
    >>> from pia_analysis.model.japanese import parse_date_text
    >>> [parse_date_text(t).isoformat() for t in ("令和6年4月1日", "R6.4.1", "令和元年5月1日", "2024/4/1")]
    ['2024-04-01', '2024-04-01', '2019-05-01', '2024-04-01']
    >>> parse_date_text("R6.2.30")
    Traceback (most recent call last):
    ...
    pia_analysis.model.japanese.DateTextError: is not a date: February 令和6年 (2024) has 29 days
    """
    if isinstance(value, dt.datetime):
        time = _time_part(value)
        if time is not None:
            raise DateTextError(f"has a time of day ({time})",
                                f"write the day alone, {value.date().isoformat()}: drop the time {time} "
                                "(in Excel, format the cell as a date without a time)")
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = unicodedata.normalize("NFKC", str(value)).strip()
    for pattern, era in ((_GREGORIAN, False), (_JAPANESE, True)):
        match = pattern.match(text)
        if match is None:
            continue
        rest = text[match.end():]
        if rest:
            timed = _TIME.fullmatch(rest)
            if timed is None:
                break  # not a date followed by a time: the general hint
            numbers = [int(n) for n in timed.groups() if n]
            if any(numbers):
                hour, minute, second = (int(n or 0) for n in timed.groups()[:3])
                # the time as a reader says it (14:45, 9:05:30), or as written in words (10時30分)
                time = rest.strip() if "時" in rest else f"{hour}:{minute:02d}" + (f":{second:02d}" if second else "")
                raise DateTextError(f"has a time of day ({time})",
                                    f"write the day alone, {match.group(0).strip()}: drop the time {time} "
                                    "(in Excel, format the cell as a date without a time)")
        if era:
            return _era_date(match.group(0), *match.groups())
        year, month, day = (int(n) for n in match.groups())
        return _day(year, month, day, f"{year}")
    if re.fullmatch(r"\d{5}(?:\.0+)?", text) and 20_000 <= float(text) <= 80_000:
        # a date cell saved to CSV from a sheet whose column is formatted as a number
        day = dt.date(1899, 12, 30) + dt.timedelta(days=int(float(text)))
        raise DateTextError("is not a date",
                            f"it looks like an Excel date serial number ({day.isoformat()}): format the cell as a "
                            f"date, or {DATE_FORMS_HINT}")
    raise DateTextError("is not a date", DATE_FORMS_HINT)


def _day(year: int, month: int, day: int, shown: str) -> dt.date:
    if not 1 <= month <= 12:
        raise DateTextError(f"is not a date: there is no month {month}", "check the month (1–12)")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise DateTextError(f"is not a date: {calendar.month_name[month]} {shown} has {last} days",
                            "check the day of the month")
    return dt.date(year, month, day)


def _era_date(written: str, name: str, year_text: str, month: str, day: str) -> dt.date:
    table = _era_table()
    key = _fold(name)
    index = next((i for i, (era, letter, _f, _l) in enumerate(table) if key in (era, letter.lower())), None)
    if index is None:
        eras_known = ", ".join(f"{era} ({letter})" for era, letter, _f, _l in table)
        raise DateTextError(f"is not a date: {name!r} is not an era", f"the eras are {eras_known}; "
                            f"or {DATE_FORMS_HINT}")
    era, _letter, first, last = table[index]
    year_in_era = 1 if year_text == "元" else int(year_text)
    if year_in_era < 1:
        raise DateTextError(f"is not a date: {era} begins with 元年 (year 1)", "check the year")
    year = first.year + year_in_era - 1
    day_ = _day(year, int(month), int(day), f"{era}{year_in_era}年 ({year})")
    if day_ < first:
        before = table[index - 1][0] if index else None
        raise DateTextError(f"is not a date: {era} began on {first.isoformat()} "
                            f"({era}元年{first.month}月{first.day}日)",
                            f"a day before that is in {before}" if before else "check the year")
    if last is not None and day_ > last:
        after = table[index + 1][0]
        after_first = table[index + 1][2]
        in_next = day_.year - after_first.year + 1
        raise DateTextError(f"is not a date: {era} ended on {last.isoformat()}",
                            f"that day is {after}{'元' if in_next == 1 else in_next}年{day_.month}月{day_.day}日 "
                            f"({day_.isoformat()})")
    return day_
