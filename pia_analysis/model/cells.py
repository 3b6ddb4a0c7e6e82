"""One cell parser: how a cell of a model table (CSV, workbook or scenario) becomes a typed value.

Every reader of a model (:mod:`pia_analysis.formats.directory`, :mod:`pia_analysis.formats.workbook`,
:mod:`pia_analysis.whatif.scenario`) parses and checks cells here, against the columns of
:mod:`pia_analysis.model.schema`, and reports a located :class:`~pia_analysis.model.errors.Problem`.
"""

from __future__ import annotations

__all__ = ["RawTable", "format_cell", "parse_cell"]

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .errors import Problem
from .japanese import DateTextError, alias_value, alias_words, parse_date_text
from .organisation import organisation_kind_choices
from .schema import (
    FALSE_WORDS,
    MAX_COUNT,
    MAX_ID_CHARS,
    MAX_DATE,
    MAX_NOTE_CHARS,
    MIN_DATE,
    MODEL_TEXT_LIMITS,
    NOT_SET,
    NOT_SET_WORDS,
    PROCEDURE_CHOICES,
    PROCEDURE_KEYS,
    TRUE_WORDS,
    Column,
    Table,
    Text,
)


ID_FORBIDDEN = re.compile(r"[\s;,*@]")
# The spaces dropped at the ends of an id or a name before the invisible-character check: those typed on a
# keyboard (an ideographic space after a full-width id, from a Japanese IME). A no-break space, pasted from
# a web page, is refused even there.
EDGE_SPACES = " \t\r\n\u3000"


# Cells Excel shows when a formula fails (the same in Japanese Excel); saved to CSV as they are shown.
EXCEL_ERRORS = frozenset({"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#SPILL!", "#CALC!",
                           "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"})


# date, count and years cells may be empty (not given), so they are objects: a value or None
DTYPES = {"bool": "bool", "int": "int64", "prob": "float64", "list": object, "reflist": object, "date": object,
          "count": object, "years": object}


def nfkc(value: str) -> str:
    # Full-width digits, letters and spaces typed on a Japanese keyboard become their ASCII forms.
    return unicodedata.normalize("NFKC", value).strip()


#: The model key of the population (対象となる本人の数) and what is said when it holds the placeholder 0 that
#: ``pia-analysis new`` writes (the template's comment and README say the same).
POPULATION_KEY = "target_population"
POPULATION_PLACEHOLDER = (
    "0 is the placeholder that 'pia-analysis new' writes, not a number of people",
    "write the number of people whose information the files hold (対象となる本人の数, e.g. 8000): at least the "
    "records of the largest file with My Numbers; the threshold judgment (none / basic / focused / full) is "
    "made from it")


def parse_meta_value(key: str, value: Any, kind: str, label: str, line: int | None, problems: list[Problem],
                     lines: dict[str, int] | None = None, cell: bool = False) -> Any:
    # cell: the value is a workbook cell's text (a list may be written as words separated by ';')
    def bad(message: str, hint: str) -> None:
        problems.append(Problem(label, line, key, message, hint))

    if kind == "procedure":
        return parse_procedure(value, label, line, problems, lines or {})
    if kind == "declarations":
        return parse_declarations(key, value, label, line, problems, cell)
    if kind == "stage_texts":
        return parse_stage_texts(key, value, label, line, problems, lines or {})
    if kind == "document":
        return parse_document(value, label, line, problems, lines or {})
    if kind == "ids":
        return parse_id_list(key, value, label, line, problems, cell)
    if value is None:
        bad("has no value", "give a value or remove the line")
        return None
    if isinstance(value, (dict, list, set, tuple)):
        # refused before any str(): a list built from YAML aliases can print to gigabytes
        bad("must be a single text value" if kind in ("text", "id", "path") else "must be a single value",
            "write it on one line after the colon")
        return None
    if kind == "organisation_kind":
        # the kinds and their Japanese words are data (catalog/organisation_kinds.csv)
        choices = organisation_kind_choices()
        text = str(value).strip()
        if text not in choices:
            bad(f"{brief(value)} is not a kind of body", "write one of " + ", ".join(choices))
            return None
        return text
    if kind in ("text", "id", "path"):
        text = nfkc(str(value)) if kind in ("id", "path") else str(value).strip()
        if not text:
            bad("is empty", "give a value")
            return None
        limit = MODEL_TEXT_LIMITS.get(kind)
        if limit is not None and len(text) > limit:
            what = "an id" if kind == "id" else "a title or name"
            bad(f"is {len(text):,} characters long, over the limit of {limit:,} for {what}",
                "a short id such as city-juki-r5; the limits are in docs/model-format.md, 'Bounds'" if kind == "id" else
                "shorten it: it is shown in chart titles and table headings; the limits are in docs/model-format.md, "
                "'Bounds'")
            return None
        if kind == "text" and (control := control_problem(label, line, key, text)) is not None:
            problems.append(control)  # (ids refuse them as invisible; a path has its own message)
            return None
        if kind == "id" and ID_FORBIDDEN.search(text):
            bad(f"{shorten(text)!r} is not a valid id", "ids may not contain spaces, ';', ',', '*' or '@'")
            return None
        if kind == "id" and (invisible := invisible_problem(label, line, key,
                                                            str(value).strip(EDGE_SPACES))) is not None:
            problems.append(invisible)
            return None
        return text
    if kind == "date":
        try:  # ISO, 2024/4/1, 和暦 (令和6年4月1日, R6.4.1), an Excel date cell: model/japanese.py
            day = parse_date_text(value)
        except DateTextError as exc:
            bad(f"{brief(value) if not isinstance(value, dt.date) else value.isoformat()} {exc}", exc.hint)
            return None
        if not MIN_DATE <= day <= MAX_DATE:
            bad(f"{day.isoformat()} is outside {MIN_DATE.isoformat()} … {MAX_DATE.isoformat()}",
                "check the year (the dates of a model lie between those two)")
            return None
        return day
    if kind == "int":
        if isinstance(value, bool):
            bad(f"{brief(value)} is not a whole number", "write a number such as 932000")
            return None
        if isinstance(value, int):
            number = value
        else:
            text = nfkc(str(value)).replace(",", "").replace("_", "")
            if not re.fullmatch(r"\d+", text):
                bad(f"{brief(value)} is not a whole number", "write a number such as 932000 (no units)")
                return None
            number = int(text) if len(text.lstrip("0")) <= 11 else MAX_COUNT + 1
        if number < 0:  # (the population's 0 is the placeholder, refused below: its hint says >= 1)
            bad(f"{brief(value)} is negative",
                "write a number >= 1 (対象となる本人の数)" if key == POPULATION_KEY else "write a number >= 0")
            return None
        if number > MAX_COUNT:
            bad(f"{brief(value)} is too large (over {MAX_COUNT:,})", "a count of people; check for extra digits")
            return None
        if number == 0 and key == POPULATION_KEY:
            # 0 is what `pia-analysis new` writes: left as it is, the threshold judgment would say that no
            # assessment is required although the files hold thousands of people
            bad(POPULATION_PLACEHOLDER[0], POPULATION_PLACEHOLDER[1])
            return None
        return number
    if kind == "bool":
        if isinstance(value, bool):
            return value
        truth = truth_value(str(value))
        if truth is None:
            bad(f"{brief(value)} is not true or false", f"write true or false ({bool_words_hint()})")
        return truth
    raise AssertionError(kind)  # pragma: no cover - MODEL_KEYS only uses the kinds above


def _flow_yaml(key: str, value: Any, label: str, line: int | None, problems: list[Problem], example: str) -> Any:
    """A workbook cell's text read as one line of YAML flow style; other values as they are (None: unreadable).

    Read by the model's one YAML reader (:mod:`.yamlread`): dates stay text (an impossible date is then
    located by the date parser), tags and aliases past the bound are refused, located at the cell.
    """
    if not isinstance(value, str):
        return value
    from .yamlread import read_cell_yaml

    loaded, refused, error = read_cell_yaml(value)
    for _line, _column, message, hint in refused:
        problems.append(Problem(label, line, key, message, hint))
    if error is not None:
        problems.append(Problem(label, line, key, f"is not readable: {shorten(error, 120)}", f"write it as {example}"))
        return None
    return None if refused else loaded


def parse_id_list(key: str, value: Any, label: str, line: int | None, problems: list[Problem],
                  cell: bool = False) -> list[str] | None:
    """A list of ids (``shared_systems``): a YAML list in model.yaml, ``[A, B]`` or ``A; B`` in a workbook cell.

    Each item must be a valid id, listed once; the list keeps the order written.
    """
    if not cell and isinstance(value, str):
        problems.append(Problem(label, line, key, "must be a list",
                                f"write it as [{shorten(value.strip(), 40)}] (in brackets)"))
        return None
    if isinstance(value, str) and not value.strip().startswith("["):
        value = [part.strip() for part in value.split(";") if part.strip()]
    value = _flow_yaml(key, value, label, line, problems, "[ATENA, CONBINI]")
    if value is None:
        return None
    if not isinstance(value, list):
        problems.append(Problem(label, line, key, "must be a list", "write it as [ATENA, CONBINI]"))
        return None
    out: list[str] = []
    for item in value:
        if not isinstance(item, (str, int)) or isinstance(item, bool):
            what = ("an empty item" if item is None else "a list" if isinstance(item, list) else
                    "a block of keys" if isinstance(item, dict) else brief(item))
            problems.append(Problem(label, line, key, f"{what} is not an id", "list system_ids, e.g. [ATENA, CONBINI]"))
            continue
        text = nfkc(str(item))
        if not text or ID_FORBIDDEN.search(text) or len(text) > MAX_ID_CHARS:
            problems.append(Problem(label, line, key, f"{shorten(text)!r} is not a valid id",
                                    f"ids may not be empty, contain spaces, ';', ',', '*' or '@', or exceed "
                                    f"{MAX_ID_CHARS} characters"))
        elif (invisible := invisible_problem(label, line, key, str(item).strip(EDGE_SPACES))) is not None:
            problems.append(invisible)
        elif text in out:
            problems.append(Problem(label, line, key, f"lists {text!r} twice", "list each system once"))
        else:
            out.append(text)
    return out


def parse_declarations(key: str, value: Any, label: str, line: int | None, problems: list[Problem],
                       cell: bool = False) -> list[str] | None:
    """``declared_not_applicable``: a list of the declarations of ``catalog/stage_declarations.csv``, each once.

    A workbook cell (``cell``) holds the list in YAML flow style (``[outsource, provide]``) or as words
    separated by ``;``; in model.yaml and scenarios it is a YAML list (one word alone is refused, as
    ``procedure.reviews`` is).
    """
    from .. import catalog

    known = catalog.stage_declarations()["declaration"].tolist()
    if not cell and isinstance(value, str):
        problems.append(Problem(label, line, key, "must be a list",
                                f"write it as [{shorten(value.strip(), 40)}] (in brackets): the choices are "
                                f"{', '.join(known)}"))
        return None
    if isinstance(value, str) and not value.strip().startswith("["):
        value = [part.strip() for part in value.split(";") if part.strip()]
    value = _flow_yaml(key, value, label, line, problems, "[outsource, provide]")
    if value is None:
        return None
    if not isinstance(value, list):
        problems.append(Problem(label, line, key, "must be a list",
                                f"write it as [{', '.join(known[:2])}]: the choices are {', '.join(known)}"))
        return None
    out: list[str] = []
    for item in value:
        word = nfkc(str(item)) if isinstance(item, (str, int)) and not isinstance(item, bool) else ""
        if word not in known:
            # an item that is not a word is named by what it is, never printed (it may hold aliases)
            what = ("an empty item" if item is None or word == "" and isinstance(item, str) else
                    "a list" if isinstance(item, list) else "a block of keys" if isinstance(item, dict) else
                    brief(item))
            problems.append(Problem(label, line, key, f"{what} is not a declaration",
                                    f"the choices are {', '.join(known)}"))
        elif word in out:
            problems.append(Problem(label, line, key, f"lists {word!r} twice", "list each declaration once"))
        else:
            out.append(word)
    # The good declarations are kept beside a bad one (the load fails on the problem anyway), so that they
    # are still checked against the flows and every problem is reported at once.
    return [d for d in known if d in out]  # the catalogue's order, whatever the file's


def parse_stage_texts(key: str, value: Any, label: str, line: int | None, problems: list[Problem],
                      lines: dict[str, int]) -> dict[str, str] | None:
    """``other_risk_measures``: free text keyed by stage code (acquire … retain) or ``other`` (Ⅳ 3)."""
    from .schema import STAGES

    keys = (*STAGES, "other")
    value = _flow_yaml(key, value, label, line, problems, "{acquire: …, other: …}")
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.append(Problem(label, line, key, "must be a block of keys",
                                f"indent its keys under '{key}:': {', '.join(keys)}"))
        return None
    out: dict[str, str] = {}
    ok = True
    for raw_key, text in value.items():
        name = str(raw_key)
        where = lines.get(name, line)
        if name not in keys:
            problems.append(Problem(label, where, f"{key}.{name}", "unknown key",
                                    f"the keys here are {', '.join(keys)}; check the spelling"))
            ok = False
        elif text is None or isinstance(text, str) and not text.strip():
            problems.append(Problem(label, where, f"{key}.{name}", "is empty",
                                    "write the measures as one text, or remove the key"))
            ok = False
        elif not isinstance(text, str):
            what = ("a number" if isinstance(text, (int, float)) and not isinstance(text, bool) else
                    "a yes/no value" if isinstance(text, bool) else "a list" if isinstance(text, list) else
                    "a block of keys" if isinstance(text, dict) else "not a text")
            problems.append(Problem(label, where, f"{key}.{name}", f"must be a text, not {what}",
                                    "write the measures as one text (in quotes if it is a number), or remove the key"))
            ok = False
        elif len(str(text).strip()) > MAX_NOTE_CHARS:
            problems.append(Problem(label, where, f"{key}.{name}",
                                    f"is {len(str(text).strip()):,} characters long, over the limit of "
                                    f"{MAX_NOTE_CHARS:,}",
                                    "shorten it; the limits are in docs/model-format.md, 'Bounds'"))
            ok = False
        elif (control := control_problem(label, where, f"{key}.{name}", text)) is not None:
            problems.append(control)
            ok = False
        else:
            out[name] = str(text).strip()
    return {k: out[k] for k in keys if k in out} if ok else None


def _parse_block(name: str, value: Any, keys: Mapping[str, tuple], example: str, indent_example: str,
                 label: str, line: int | None, problems: list[Problem], lines: dict[str, int],
                 leaf: Callable[[str, Any, str, str, int | None, list[Problem]], tuple[bool, Any]],
                 keep_empty: bool) -> tuple[dict[str, Any] | None, list[Problem]]:
    """A nested block of model.yaml (``procedure``, ``document``) walked against its dotted ``keys``.

    ``value`` is the loaded mapping or its text in YAML flow style (a workbook cell; ``example`` shows one).
    Unknown keys and sub-blocks that are not mappings are located problems; each leaf is read by ``leaf(key,
    item, kind, column, where, found)``, which returns (whether it gave a value, the value). ``keep_empty``:
    a sub-block with nothing given is kept (empty) rather than left out. Returns the block (None when it is
    not a mapping, reported in ``problems``) and the problems found inside it, for the caller to add.
    """
    found: list[Problem] = []
    if isinstance(value, str):  # a workbook cell holds the block as one line of YAML flow style
        value = _flow_yaml(name, value, label, line, problems, example)
        if value is None:
            return None, found
    if not isinstance(value, dict):
        problems.append(Problem(label, line, name, "must be a block of keys",
                                f"indent its keys under '{name}:', e.g. '{indent_example}'"))
        return None, found

    def walk(block: dict[Any, Any], prefix: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for raw_key, item in block.items():
            key = f"{prefix}{raw_key}"
            where = lines.get(key, line)
            column = f"{name}.{key}"
            if key not in keys:
                known = [k[len(prefix):] for k in keys if k.startswith(prefix) and "." not in k[len(prefix):]]
                found.append(Problem(label, where, column, "unknown key",
                                     f"the keys here are {', '.join(known)}; check the spelling"))
                continue
            kind = keys[key][0]
            if kind == "block":
                if item is None and not keep_empty:
                    continue  # an empty block (the template lists every key): nothing given
                if not isinstance(item, dict):
                    found.append(Problem(label, where, column, "must be a block of keys",
                                         f"indent its keys under '{raw_key}:'"))
                    continue
                inner = walk(item, key + ".")
                if inner or keep_empty:
                    out[str(raw_key)] = inner
                continue
            given, parsed = leaf(key, item, kind, column, where, found)
            if given:
                out[str(raw_key)] = parsed
        return out

    return walk(value, ""), found


def parse_procedure(value: Any, label: str, line: int | None, problems: list[Problem],
                    lines: dict[str, int]) -> dict[str, Any] | None:
    """The ``procedure`` block of model.yaml (:data:`~pia_analysis.model.schema.PROCEDURE_KEYS`), checked.

    ``value`` is the loaded mapping (model.yaml, a scenario) or its text in YAML flow style (a workbook cell).
    ``lines`` gives the line of each dotted key where the reader knows it (model.yaml); other problems are
    placed on ``line``, the line of ``procedure``. Every problem is reported; None when there is one.
    """
    def leaf(name: str, item: Any, kind: str, column: str, where: int | None,
             found: list[Problem]) -> tuple[bool, Any]:
        if kind == "enum":
            choices = PROCEDURE_CHOICES[name]
            text = nfkc(str(item)) if isinstance(item, str) else item
            if isinstance(text, str) and text not in choices:
                text = alias_value(name, text) or text  # 基礎項目評価 → basic, 修正 → revision
            if text not in choices:
                found.append(Problem(label, where, column, f"{brief(item)} is not one of {', '.join(choices)}",
                                     f"write one of {choices_with_words(name, choices)}"))
                return False, None
            return True, text
        if kind == "dates":
            if not isinstance(item, list):
                found.append(Problem(label, where, column, "must be a list of dates",
                                     "write [2022-12-01, 2023-12-01]"))
                return False, None
            days = [parse_meta_value(column, day, "date", label, where, found) for day in item]
            return True, sorted(d for d in days if d is not None)
        if kind == "text":
            if item is None or isinstance(item, (dict, list)) or not str(item).strip():
                found.append(Problem(label, where, column, "must be a text on one line", "give a text"))
                return False, None
            text = str(item).strip()
            if len(text) > MAX_NOTE_CHARS:
                too_long(column, len(text), MAX_NOTE_CHARS, "a text cell", label, where, found)
                return False, None
            if (control := control_problem(label, where, column, text)) is not None:
                found.append(control)
                return False, None
            return True, text
        # date, int: the model.yaml rules (dates 1990–2099, counts >= 0)
        parsed = parse_meta_value(column, item, kind, label, where, found)
        return parsed is not None, parsed

    block, found = _parse_block("procedure", value, PROCEDURE_KEYS, "{version_kind: assessment, published_on: "
                                "2021-12-20}", "  published_on: 2021-12-20", label, line, problems, lines, leaf,
                                keep_empty=True)
    if block is None:
        return None
    comment = block.get("public_comment", {})
    if isinstance(comment.get("start"), dt.date) and isinstance(comment.get("end"), dt.date) \
            and comment["end"] < comment["start"]:
        # one step's own dates out of order: no later check can read a period that ends before it starts
        found.append(Problem(label, lines.get("public_comment.end", line), "procedure.public_comment.end",
                             f"{comment['end'].isoformat()} is before the start, {comment['start'].isoformat()}",
                             "the public comment ends on or after its first day: check the two dates"))
    problems.extend(found)
    return None if found else block


def _path_escape(text: str) -> str:
    """Why a path given in the ``document`` block leaves the model's folder ("" when it stays inside).

    A picture of the 評価書 is a file of the model: an absolute path or one climbing out with ``..`` would
    make the writer read any file of the machine.
    """
    import ntpath
    import posixpath

    if posixpath.isabs(text) or ntpath.isabs(text) or ntpath.splitdrive(text)[0]:
        return "is an absolute path"
    depth = 0
    for part in re.split(r"[\\/]", text):
        if part == "..":
            depth -= 1
            if depth < 0:
                return "leaves the model's folder (..)"
        elif part not in ("", "."):
            depth += 1
    return ""


def parse_document(value: Any, label: str, line: int | None, problems: list[Problem],
                   lines: dict[str, int]) -> dict[str, Any] | None:
    """The ``document`` block of model.yaml (:data:`~pia_analysis.model.schema.DOCUMENT_KEYS`), checked.

    ``value`` is the loaded mapping (model.yaml; a workbook's ``document`` sheet read into one) or its text in
    YAML flow style. A key without a value is not given (the template lists every key), as is a block without
    one; None when nothing is given. ``lines`` gives the line (row) of each dotted key where the reader knows it; other
    problems are placed on ``line``. Texts are bounded by MAX_NOTE_CHARS, dates as model.yaml's. Every problem
    is reported; None when there is one.
    """
    from .schema import DOCUMENT_KEYS

    def leaf(name: str, item: Any, kind: str, column: str, where: int | None,
             found: list[Problem]) -> tuple[bool, Any]:
        if item is None:
            return False, None  # a key without a value (the template lists them all): not given, 【要記入】
        if kind in ("text", "path"):
            if isinstance(item, (dict, list, bool)) or not str(item).strip():
                found.append(Problem(label, where, column, "must be a text" if str(item).strip() else "is empty",
                                     "write the text (in quotes if it is a number), or remove the key to leave the "
                                     "item to fill in"))
                return False, None
            text = str(item).strip()
            limit = MAX_NOTE_CHARS if kind == "text" else MODEL_TEXT_LIMITS["text"]
            if len(text) > limit:
                too_long(column, len(text), limit, "a text cell", label, where, found)
                return False, None
            if kind == "path" and (escape := _path_escape(text)):
                found.append(Problem(label, where, column, f"{shorten(text)!r} {escape}",
                                     "give the path of the picture inside the model's folder (the workbook's "
                                     "folder), relative to it, e.g. diagram.png or figures/diagram.png"))
                return False, None
            return True, text
        # date: the model.yaml rules (1990–2099, ISO or 和暦)
        parsed = parse_meta_value(column, item, kind, label, where, found)
        return parsed is not None, parsed

    block, found = _parse_block("document", value, DOCUMENT_KEYS, "{department: 市民課}", "  department: …",
                                label, line, problems, lines, leaf, keep_empty=False)
    problems.extend(found)
    return None if block is None or found or not block else block


def truth_value(text: str) -> bool | None:
    """A yes/no cell read: true/false, yes/no, 1/0, はい/いいえ, and the words of ``catalog/value_aliases.csv``."""
    word = nfkc(text).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    coded = alias_value("bool", word)
    return None if coded is None else coded == "true"


def bool_words_hint() -> str:
    """The yes/no words accepted, for a hint: 'yes/no, 1/0, はい/いいえ, ○/×, … are accepted'."""
    trues = [*TRUE_WORDS[1:], *alias_words("bool", "true")]
    falses = [*FALSE_WORDS[1:], *alias_words("bool", "false")]
    pairs = ", ".join(f"{t}/{f}" for t, f in zip(trues, falses))
    extra = trues[len(falses):] or falses[len(trues):]
    more = f" and {', '.join(extra)} for {'true' if len(trues) > len(falses) else 'false'}" if extra else ""
    return f"{pairs}{more} are accepted"


def choices_with_words(field: str, choices: Iterable[str]) -> str:
    """The choices of a field with the Japanese words accepted for each: 'acquire (入手), use (使用), …'.

    At most three words a choice (the first ones of ``catalog/value_aliases.csv``), so that the hint stays
    readable; docs/model-format.md lists them all.
    """
    parts = []
    for choice in choices:
        words = alias_words(field, choice)
        shown = " / ".join(words[:3]) + (" …" if len(words) > 3 else "")
        parts.append(f"{choice} ({shown})" if words else choice)
    return ", ".join(parts)


def percent_hint(text: str, number: float, hint: Text) -> Text:
    """A probability above 1 that reads as a percentage (2 → 2 %): the hint asks 'did you mean 2 % (0.02)?'."""
    if not text.endswith("%") and 1.0 < number <= 100.0:
        shown = f"{number:g}"
        share = f"{number / 100:.10g}"
        return f"did you mean {shown} % ({share})? write {share} or {shown}%; " + (
            hint if isinstance(hint, str) else "".join(map(str, hint)))
    return hint


def my_number_problem(label: str, line: int, column: str, masked: str) -> Problem:
    return Problem(label, line, column, f"contains what looks like a real My Number ({masked}, valid check digit)",
                   "a model describes systems and must hold no personal data: remove the number")


def brief(value: Any) -> str:
    """``repr(value)``, cut (as :func:`shorten`) when it is long."""
    try:
        text = repr(value)
    except ValueError:  # an integer of more digits than Python prints
        return "a number of thousands of digits"
    return text if len(text) <= 62 else repr(shorten(str(value)))


def too_long(column: str, length: int, limit: int, what: str, label: str, line: int | None,
              problems: list[Problem], item: bool = False) -> None:
    hint = ("ids are short codes such as SYS1 or JUKI_FILE" if what == "an id" else
            "shorten it: names are shown in charts and table cells; put explanations in source"
            if what == "a name" else "shorten it: put long explanations in a document and cite it")
    subject = f"has an id of {length:,} characters" if item else f"is {length:,} characters long"
    problems.append(Problem(label, line, column, f"{subject}, over the limit of {limit:,} for {what}",
                            f"{hint}; the limits are in docs/model-format.md, 'Bounds'"))


def extra_cell(name: str, raw: str, label: str, line: int | None, problems: list[Problem]) -> str:
    """A cell of a column beyond the format's: kept as written, bounded like other text."""
    if len(raw.strip()) > MAX_NOTE_CHARS:
        too_long(name, len(raw.strip()), MAX_NOTE_CHARS, "a text cell", label, line, problems)
    elif (control := control_problem(label, line, name, raw)) is not None:
        problems.append(control)
    return raw


def parse_cell(col: Column, raw: str, label: str, line: int, problems: list[Problem]) -> Any:
    """Parse one cell; append a problem and return a harmless default when it is wrong.

    The one cell parser of every reader (directory, workbook, in-memory tables, scenarios).

    Parameters
    ----------
    col
        The cell's column (its kind, choices, bounds and hint).
    raw
        The cell's text as written.
    label
        Where the cell is: a file label, or the :class:`~pia_analysis.model.schema.TableRef` of its table
        for the reader to place.
    line
        The line or row of the cell.
    problems
        Where a problem is appended.

    Returns
    -------
    object
        The typed value (str, list of str, bool, int, float or date, by the column's kind).

    Examples
    --------
    >>> from pia_analysis.model.cells import parse_cell
    >>> from pia_analysis.model.schema import TABLE_BY_NAME, TableRef
    >>> found = []
    >>> parse_cell(TABLE_BY_NAME["systems"].column("holds"), "A; B", TableRef("systems"), 2, found)
    ['A', 'B']
    >>> parse_cell(TABLE_BY_NAME["controls"].column("effectiveness"), "2", TableRef("controls"), 3, found)
    0.0
    >>> print(found[0])  # doctest: +NORMALIZE_WHITESPACE
    controls.csv:3: effectiveness: '2' is outside [0, 1] (hint: did you mean 2 % (0.02)? write 0.02 or 2%;
    a number in [0, 1]; 0 for organisational measures)
    """
    def bad(message: str, hint: str = "") -> None:
        problems.append(Problem(label, line, col.name, message, hint or col.hint))

    limit = col.limit
    if col.kind in ("text", "list"):
        value = raw.strip()
        if col.nonempty and not value:
            bad("is empty", "give a value")
        if limit is not None and len(value) > limit:
            too_long(col.name, len(value), limit, col.limit_kind, label, line, problems)
        elif (control := control_problem(label, line, col.name, value)) is not None:
            problems.append(control)
        if col.kind == "list":
            return [part.strip() for part in value.split(";") if part.strip()]
        return value
    value = nfkc(raw)
    if col.nonempty and not value:
        bad("is empty", col.hint or "give a value")
    if value.upper() in EXCEL_ERRORS or (value.startswith("=") and len(value) > 1):
        # Spreadsheet artefacts are never ids, numbers, yes/no values or choices.
        if value.startswith("="):
            bad(f"{shorten(raw.strip())!r} is a spreadsheet formula, not a value",
                "type the value itself (in Excel: copy, then Paste Special → Values) and save as CSV again")
        else:
            bad(f"{shorten(raw.strip())!r} is a spreadsheet error value, not a value",
                "fix the formula that gives this error in the workbook, or type the value, then save as CSV again")
        return {"id": value, "ref": value, "reflist": [], "enum": "", "bool": False, "int": 0, "prob": 0.0,
                "date": None, "count": None, "years": None}[col.kind]
    if col.kind == "date":
        if not value:
            return None
        return parse_meta_value(col.name, raw.strip(), "date", label, line, problems)
    if col.kind == "count":  # a whole number, or empty: not given (never read as 0)
        if not value:
            return None
        return parse_meta_value(col.name, value, "int", label, line, problems)
    if col.kind == "years":  # whole years (5, 5年), or not set (定められていない); empty: not given
        if not value:
            return None
        if value.lower() in NOT_SET_WORDS:
            return NOT_SET
        number = re.fullmatch(r"(\d{1,4})\s*年?", value)
        if number is None and re.fullmatch(r"-\s*\d+(\.\d+)?\s*年?", value):
            bad(f"{shorten(raw.strip())!r} is negative: a retention period is 0 years or more",
                "write the years as a whole number (5 or 5年; a period under a year as 0), or 定められていない")
            return None
        if number is None and re.fullmatch(r"\d{5,}\s*年?", value):
            bad(f"{shorten(raw.strip())!r} is over the limit of 9,999 years",
                "write the years the rules set (5 or 5年), or 定められていない when they set none")
            return None
        if number is None:
            bad(f"{shorten(raw.strip())!r} is not a whole number of years or 定められていない",
                "write the years as a whole number (5 or 5年; a period under a year as 0), 定められていない (not set), "
                "or leave it empty when it is not known yet")
            return None
        return int(number.group(1))
    if col.kind in ("id", "ref"):
        if limit is not None and len(value) > limit:
            too_long(col.name, len(value), limit, col.limit_kind, label, line, problems)
        elif value and ID_FORBIDDEN.search(value):
            bad(f"{shorten(value)!r} is not a valid id", "ids may not contain spaces, ';', ',', '*' or '@'")
        elif (invisible := invisible_problem(label, line, col.name, raw.strip(EDGE_SPACES))) is not None:
            problems.append(invisible)
        return value
    if col.kind == "reflist":
        parts = [p.strip() for p in value.split(";")]
        if any(not p for p in parts) and value:
            bad(f"{shorten(raw.strip())!r} has an empty item", "separate ids with single ';' and no ';' at the end")
        elif (invisible := invisible_problem(label, line, col.name, raw.strip(EDGE_SPACES))) is not None:
            problems.append(invisible)
        longest = max((len(p) for p in parts), default=0)
        if limit is not None and longest > limit:
            too_long(col.name, longest, limit, col.limit_kind, label, line, problems, item=True)
        return [p for p in parts if p]
    if col.kind == "enum":
        if not value:
            return ""
        if value in col.choices:
            return value
        lowered = value.lower()
        if lowered in col.choices:
            return lowered
        coded = alias_value(col.name, value)  # 入手 → acquire, 委託先 → contractor: catalog/value_aliases.csv
        if coded in col.choices:  # (a word for a value this column does not have yet stays refused)
            return coded
        bad(f"{shorten(raw.strip())!r} is not one of {', '.join(col.choices)}",
            f"use one of: {choices_with_words(col.name, col.choices)}")
        return value
    if col.kind == "bool":
        if not value:
            return False
        truth = truth_value(value)
        if truth is None:
            bad(f"{shorten(raw.strip())!r} is not a yes/no value", f"write true or false ({bool_words_hint()})")
            return False
        return truth
    if col.kind == "int":
        if not value:
            return 0
        text = value.replace(",", "").replace("_", "")
        if not re.fullmatch(r"\d+", text):
            bad(f"{shorten(raw.strip())!r} is not a whole number >= 0", col.hint)
            return 0
        if len(text.lstrip("0")) > 11 or int(text) > MAX_COUNT:
            bad(f"{shorten(raw.strip())!r} is too large (over {MAX_COUNT:,})", col.hint)
            return 0
        return int(text)
    if col.kind == "prob":
        if not value:
            return 0.0
        try:
            number = float(value.removesuffix("%")) / (100 if value.endswith("%") else 1)  # one %, not 3%%
        except ValueError:
            bad(f"{shorten(raw.strip())!r} is not a number", col.hint)
            return 0.0
        if not (0.0 <= number <= 1.0) or number != number:
            bad(f"{shorten(raw.strip())!r} is outside [0, 1]", percent_hint(value, number, col.hint))
            return 0.0
        return number
    raise AssertionError(col.kind)  # pragma: no cover


def clean_column(col: Column | None, raws: Sequence[str]) -> list[Any] | None:
    """The cells of one column parsed as :func:`parse_cell` (or :func:`extra_cell`) would, when none has a problem.

    None when some cell might have one: the caller then parses its table cell by cell, so that problems are
    reported as ever (in row order). The checks here are those of :func:`parse_cell` done once per column
    (one regular-expression scan of the joined cells, one parse per distinct value of a choice, yes/no or
    number column) instead of once per cell: reading a model of the whole country (a million cells) is then
    a few passes over lists. A check done here is at least as strict as the cell's (e.g. any edge tab of an
    id sends the column to the cell parser), so a column it accepts gives exactly the cell parser's values.
    """
    if col is None:  # a column beyond the format's: kept as written, bounded like other text
        if any(len(raw.strip()) > MAX_NOTE_CHARS for raw in raws) or _CONTROL_CHARACTER.search("\n".join(raws)):
            return None
        return list(raws)
    kind, limit = col.kind, col.limit
    if kind in ("text", "list"):
        values = [raw.strip() for raw in raws]
        if ((col.nonempty and not all(values)) or (limit is not None and max(map(len, values), default=0) > limit)
                or _CONTROL_CHARACTER.search("\n".join(values))):  # line breaks are allowed in text
            return None
        if kind == "list":
            return [[part.strip() for part in value.split(";") if part.strip()] for value in values]
        return values
    if kind in ("id", "ref", "reflist"):
        joined = " ".join(raws)  # a space: neither a control character nor non-ASCII
        if not joined.isascii() or _ASCII_CONTROL.search(joined):  # NFKC, invisible characters: cell by cell
            return _clean_cells(col, raws)
        values = [raw.strip() for raw in raws]  # NFKC leaves ASCII as it is
        if ((col.nonempty and not all(values)) or any(value.startswith(("#", "=")) for value in values)):
            return None  # empty, or perhaps a spreadsheet error or formula
        if kind == "reflist":
            lists = [[part.strip() for part in value.split(";")] for value in values]
            if any(value and not all(parts) for value, parts in zip(values, lists)):
                return None
            if limit is not None and max((len(p) for parts in lists for p in parts), default=0) > limit:
                return None
            return [[p for p in parts if p] for parts in lists]
        if (limit is not None and max(map(len, values), default=0) > limit) or ID_FORBIDDEN.search("|".join(values)):
            return None
        return values
    return _clean_cells(col, raws, memo=True)  # the other kinds' values are immutable: one parse per text


def _clean_cells(col: Column, raws: Sequence[str], memo: bool = False) -> list[Any] | None:
    """:func:`parse_cell` on each cell; None at the first problem.

    With ``memo``, once per distinct text: the immutable values of a choice, yes/no, number or date column
    depend on the text alone.
    """
    problems: list[Problem] = []
    if not memo:
        out = [parse_cell(col, raw, "", 0, problems) for raw in raws]
        return None if problems else out
    seen: dict[str, Any] = {}
    for raw in set(raws):
        seen[raw] = parse_cell(col, raw, "", 0, problems)
        if problems:
            return None
    return [seen[raw] for raw in raws]


def empty_table(table: Table) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series([], dtype=DTYPES.get(c.kind, "str")) for c in table.columns})


@dataclass
class RawTable:
    """A table as a reader read it: the typed rows, and where each row came from, for the shared checks.

    Examples
    --------
    >>> from pia_analysis.model.cells import empty_table, RawTable
    >>> from pia_analysis.model.schema import TABLE_BY_NAME
    >>> RawTable(empty_table(TABLE_BY_NAME["zones"]), []).frame.columns[0]
    'zone_id'
    """

    frame: pd.DataFrame
    lines: list[int | None]  # the file line of each row (None: not known, e.g. an in-memory row)
    # ids of rows that could not be split into the header's columns: still known, so that one bad row
    # does not also raise "unknown id" problems wherever it is referenced
    malformed_ids: frozenset[str] = frozenset()
    # the file label of each row when the rows come from several files (validate_tables); None: one file
    labels: list[str] | None = None


def typed_frame(table: Table, parsed: dict[str, list[Any]], names: Iterable[str], rows: int) -> pd.DataFrame:
    """The typed DataFrame of parsed cells.

    The typed DataFrame of parsed cells: the format's columns first (an optional column a source leaves
    out is filled empty), then the extra columns in source order, kept as text.
    """
    data: dict[str, pd.Series] = {}
    for col in table.columns:
        values = parsed.get(col.name)
        if values is None:
            values = [[] if col.kind in ("list", "reflist") else None if col.kind in ("date", "count", "years")
                      else ""] * rows
        data[col.name] = pd.Series(values, dtype=DTYPES.get(col.kind, "str"))
    known = set(table.column_names)
    for name in names:
        if name not in known:
            data[name] = pd.Series(parsed[name], dtype="str")
    return pd.DataFrame(data)


def format_cell(value: Any, col: Column | None) -> str:
    """The text of a typed cell, as a CSV file holds it: what :func:`parse_cell` reads back as ``value``.

    Parameters
    ----------
    value
        A cell of a model's table, as loaded (lists of ids, booleans, floats, text).
    col
        Its column, or None for an extra column.

    Returns
    -------
    str
        Lists joined with ``;``, booleans ``true``/``false``, floats by ``repr``, an ``entry_likelihood`` of 0
        as the empty cell.

    Examples
    --------
    >>> from pia_analysis.model.cells import format_cell
    >>> format_cell(["A", "B"], None), format_cell(True, None), format_cell(0.25, None)
    ('A;B', 'true', '0.25')
    """
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if col is not None and col.name == "entry_likelihood" and value == 0:
        return ""
    if value is None or (isinstance(value, float) and value != value and col is not None
                         and col.kind in ("date", "count", "years")):
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return "" if value is None else str(value)


# Letters and symbols that Unicode classes as visible but that show as blank: the Hangul fillers, the
# Braille blank, the Mongolian vowel separator (Cf since Unicode 6.3, listed for older tables).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e\u17b4\u17b5")
# Unicode categories never visible on their own: format (ZWSP, LRM/RLO, word joiner, soft hyphen),
# control, nonspacing and enclosing marks (CGJ, variation selectors, combining accents left after NFKC).
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Mn", "Me"})


def invisible_character(text: str) -> str | None:
    """The first character of ``text`` that shows as nothing or as a blank, as 'U+200B ZERO WIDTH SPACE'.

    The one predicate of every reader (CSV, workbook, scenario) for ids, column names and sheet names:
    format and control characters (Cf, Cc), spaces other than the ASCII space (NBSP, ideographic space,
    line and paragraph separators: Zs, Zl, Zp), nonspacing and enclosing marks that NFKC leaves (Mn, Me:
    combining grapheme joiner, variation selectors, combining accents) and the blank letters (Hangul
    fillers, Braille blank). ``text`` is checked as written and after NFKC (which folds a space into
    U+0020 but keeps the marks it cannot compose), so pass the text before normalising it.

    >>> invisible_character("SRV\u3164")
    'U+3164 HANGUL FILLER'
    >>> invisible_character("C3\u00a0")
    'U+00A0 NO-BREAK SPACE'
    >>> invisible_character("caf\u00e9"), invisible_character("cafe\u0301"), invisible_character("REG 1")
    (None, None, None)
    """
    if text.isascii():
        hit = _ASCII_CONTROL.search(text)  # one C-level scan: this runs on every id cell of a model
        found = None if hit is None else hit.group()
    else:
        found = next((ch for ch in text if ch in _BLANK_LETTERS or unicodedata.category(ch) in ("Cf", "Cc")
                      or (unicodedata.category(ch) in ("Zs", "Zl", "Zp") and ch != " ")), None)
        if found is None:  # a combining accent NFKC composes with its letter (e + U+0301 = é) is visible
            found = next((ch for ch in unicodedata.normalize("NFKC", text)
                          if unicodedata.category(ch) in ("Mn", "Me")), None)
    if found is None:
        return None
    kind = "CONTROL CHARACTER" if unicodedata.category(found) == "Cc" else "FORMAT CHARACTER"
    return f"U+{ord(found):04X} {unicodedata.name(found, kind)}"


def invisible_problem(label: str, line: int | None, column: str, text: str, what: str = "id") -> Problem | None:
    """A located problem when an id or a header holds an invisible character (two ids shown alike)."""
    char = invisible_character(text)
    if char is None:
        return None
    # repr escapes most invisible characters (\u200b, \xa0); the ones it keeps as they are (a Hangul filler,
    # a combining mark) are escaped too, so that the message shows where the character is
    shown = "".join(f"\\u{ord(ch):04x}" if ord(ch) > 0x7F and invisible_character(ch) else ch for ch in repr(text))
    return Problem(label, line, column, f"{shown} holds an invisible character ({char})",
                   f"retype the {what}: an invisible character makes two {what}s that look the same differ")


# Bidirectional embeddings, overrides and isolates: invisible, they reorder the text shown around them
# (a name that reads differently from what it holds: the "Trojan Source" trick).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# The characters control_character looks for, as one character class: category Cc is exactly U+0000–U+001F
# and U+007F–U+009F (tab, line feed and carriage return allowed), then the bidirectional controls
# (test_cells checks the class against unicodedata over every code point).
_CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" + "".join(sorted(_BIDI_CONTROLS)) + "]")
# The ASCII characters invisible_character reports: the C0 controls and DEL.
_ASCII_CONTROL = re.compile("[\x00-\x1f\x7f]")


def control_character(text: str) -> str | None:
    r"""The first control character of a text cell, as 'U+001B CONTROL CHARACTER'; None when there is none.

    C0 and C1 control characters (escape, bell, NUL, U+0080–U+009F) other than tab and line breaks, and the
    bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069). They come from copied
    terminal output or are planted; a worksheet cannot hold most of them (the pack's tables.xlsx would
    fail), a terminal obeys them (colours, a cleared screen), and an override shows a name reversed.

    >>> control_character("中間\x1b[31mRED")
    'U+001B CONTROL CHARACTER'
    >>> control_character("abc\u202efdp.exe")
    'U+202E RIGHT-TO-LEFT OVERRIDE'
    >>> control_character("two\nlines\tand a tab"), control_character("住基\u200dサーバー")
    (None, None)
    """
    hit = _CONTROL_CHARACTER.search(text)  # one C-level scan: this runs on every text cell of a model
    if hit is None:
        return None
    found = hit.group()
    return f"U+{ord(found):04X} {unicodedata.name(found, 'CONTROL CHARACTER')}"


def control_problem(label: str, line: int | None, column: str, text: Any) -> Problem | None:
    """A located problem when a text value holds a control character (:func:`control_character`)."""
    if not isinstance(text, str):
        return None
    char = control_character(text)
    if char is None:
        return None
    # repr shows each control character as an escape (\x1b, \u202e): the message never carries it raw
    return Problem(label, line, column, f"{brief(text)} holds a control character ({char})",
                   "delete it and retype the text: control characters (from copied terminal output) and text "
                   "direction overrides are invisible, and the pack's tables cannot hold them")


def shorten(text: str, keep: int = 60) -> str:
    """``text`` cut to ``keep`` characters (with …): messages never echo a huge value whole."""
    return text if len(text) <= keep else text[:keep] + "…"
