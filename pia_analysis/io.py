"""Load, validate and save models.

:func:`load_model` reads a model directory (see ``docs/model-format.md``), checks every file, row and
cell, and either returns a typed :class:`~pia_analysis.model.Model` or raises one
:class:`~pia_analysis.schema.ModelError` that lists every problem found, each located as
``file:line: column: message (hint: …)``. :func:`save_model` writes the same format back.

YAML is read only through PyYAML's safe loader; nothing from a model file is ever evaluated.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import re
import stat
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from . import catalog
from .model import Model
from .mynumber import find_my_numbers
from .schema import (
    FALSE_WORDS,
    MAX_COUNT,
    MAX_DATE,
    MAX_NOTE_CHARS,
    MIN_DATE,
    MODEL_KEYS,
    MODEL_TEXT_LIMITS,
    RATING_ALIASES,
    TABLE_BY_NAME,
    TABLES,
    TRUE_WORDS,
    Column,
    ModelError,
    Problem,
    Table,
)

MAX_FILE_BYTES = 25 * 1024 * 1024  # far above a national model's largest table; stops a runaway file
MAX_YAML_BYTES = 1024 * 1024  # model.yaml and scenarios are a few KiB; PyYAML reads ~100 KiB a second
_ID_FORBIDDEN = re.compile(r"[\s;,*@]")
# Cells Excel shows when a formula fails (the same in Japanese Excel); saved to CSV as they are shown.
_EXCEL_ERRORS = frozenset({"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#SPILL!", "#CALC!",
                           "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!"})
_DTYPES = {"bool": "bool", "int": "int64", "prob": "float64", "list": object, "reflist": object}


def bundled_model_path(name: str = "kitakyushu-juki-r3") -> Path:
    """The directory of a model bundled with the package (the checkout's top-level ``data/`` folder).

    The models are the package data of ``pia_analysis.data``, found through :mod:`importlib.resources`: inside
    the installed package after ``pip install .``, the checkout's ``data/`` after ``pip install -e .``. A
    checkout put on ``sys.path`` without installing has no such package; its ``data/`` beside ``pia_analysis/``
    is used then.

    Parameters
    ----------
    name : str
        The model's folder name: ``kitakyushu-juki-r3`` (default), ``kitakyushu-juki-h28`` or
        ``kitakyushu-juki-h26``.

    Returns
    -------
    pathlib.Path
        A real path on disk: a bundled model's ``previous`` names its sibling folder by a relative path.

    Raises
    ------
    FileNotFoundError
        When no bundled model folder has that name.

    Examples
    --------
    >>> bundled_model_path().name
    'kitakyushu-juki-r3'
    >>> (bundled_model_path() / "model.yaml").is_file()
    True
    """
    try:
        # pip installs a wheel unzipped, so the package data is a real directory (no as_file copy, which would
        # vanish on return); an editable install maps the package to the checkout's data/.
        root = Path(str(resources.files("pia_analysis.data")))
    except ModuleNotFoundError:
        root = Path(str(resources.files("pia_analysis"))).parent / "data"
    here = root.resolve() / name
    if not here.is_dir():
        raise FileNotFoundError(f"bundled model {name!r} not found at {here}")
    return here


# ---------------------------------------------------------------------------------------------------
# reading raw text

_NON_ASCII = re.compile(r"[^\x00-\x7f\ufffd]")
_PRIVATE_USE = re.compile(r"[\ue000-\uf8ff]")


def _utf8_error_offset(data: bytes) -> int:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return 0  # pragma: no cover - only called for data that is not UTF-8


def _is(path: Path, kind: str) -> bool:
    """``path.is_file()`` / ``is_dir()``, False for a path the system cannot even look up (too long …)."""
    try:
        return path.is_file() if kind == "file" else path.is_dir()
    except (OSError, ValueError):
        return False


def _misnamed(path: Path) -> str | None:
    """The name of a file beside ``path`` that differs from its name only in case (Systems.csv), if any."""
    try:
        return next((p.name for p in sorted(path.parent.iterdir())
                     if p.name.lower() == path.name.lower() and p.name != path.name and p.is_file()), None)
    except OSError:
        return None


def _nfkc(value: str) -> str:
    # Full-width digits, letters and spaces typed on a Japanese keyboard become their ASCII forms.
    return unicodedata.normalize("NFKC", value).strip()


_FILE_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _exists(path: Path) -> bool:
    """True when something (a file, a folder, a FIFO, a link, even a broken one) has this name."""
    try:
        return os.path.lexists(path)
    except (OSError, ValueError):
        return False


def _regular_file_problem(path: Path, label: str, within: Path | None = None) -> Problem | None:
    """Why ``path`` may not be read as a model file, or None: it must be a regular file (a FIFO would
    block the reader, a device never end) and, for a file of a model directory, stay inside ``within``
    (a link to /etc/passwd must not be read, nor its lines echoed in messages). Nothing is opened."""
    try:
        info = os.stat(path)  # follows links; never opens, so a FIFO cannot block
    except FileNotFoundError:
        return Problem(label, None, "", "is a symbolic link to nothing (a broken link)",
                       "replace the link by the file itself")
    except (OSError, RuntimeError) as exc:  # a loop of links (ELOOP), a name too long …
        return Problem(label, None, "", f"cannot be read ({getattr(exc, 'strerror', None) or exc})",
                       "replace it by a regular file; symbolic links must not form a loop")
    if not stat.S_ISREG(info.st_mode):
        kind = next((what for test, what in _FILE_KINDS if test(info.st_mode)), "a special file")
        return Problem(label, None, "", f"is not a regular file: it is {kind}",
                       "a model file must be an ordinary file saved in the model directory")
    if within is not None:
        try:
            inside = path.resolve().is_relative_to(within.resolve())
        except (OSError, RuntimeError, ValueError):
            inside = False
        if not inside:
            return Problem(label, None, "", "is a symbolic link to a file outside the model directory",
                           "copy the file into the model directory instead of linking it (it was not read)")
    return None


def _read_text(path: Path, label: str, problems: list[Problem], limit: int = MAX_FILE_BYTES,
               within: Path | None = None) -> str | None:
    """Decode a model file as UTF-8 (with or without BOM) or cp932; None when it cannot be read.

    ``within``: the model directory the file belongs to (a link out of it is refused unread).
    """
    refused = _regular_file_problem(path, label, within)
    if refused is not None:
        problems.append(refused)
        return None
    try:
        size = path.stat().st_size
    except OSError as exc:
        problems.append(Problem(label, None, "", f"cannot be read ({exc.strerror})"))
        return None
    if size > limit:
        problems.append(
            Problem(label, None, "", f"is {size / 2**20:.1f} MiB, over the {limit // 2**20} MiB limit",
                    "a model table is a few MiB at most; check that the right file was saved here"
                    if limit == MAX_FILE_BYTES else "a YAML file of a model is a few KiB; check that the right file was saved here")
        )
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(label, None, "", f"cannot be read ({exc.strerror or exc})"))
        return None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        problems.append(Problem(label, 1, "", "is UTF-16 text (Excel's 'Unicode text'), not UTF-8 or cp932",
                                "save it as 'CSV UTF-8 (comma delimited)' (Excel) or as UTF-8 text"))
        return None
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        problems.append(Problem(label, line, "", "contains NUL bytes: this is not a text file",
                                "save it as CSV (UTF-8) or YAML text"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        bad_at = _utf8_error_offset(data)
        # cp932 decodes almost any bytes, so a UTF-8 file with a damaged or cut character would load as
        # mojibake: with a UTF-8 BOM, or 8+ intact UTF-8 characters per damaged spot, it is UTF-8 (Japanese
        # text in cp932 practically never holds even a few byte runs that are valid UTF-8).
        lenient = data.decode("utf-8", errors="replace")
        intact = len(_NON_ASCII.findall(lenient))
        looks_utf8 = data.startswith(b"\xef\xbb\xbf") or (intact >= 8 and 8 * lenient.count("\ufffd") <= intact)
        # A file whose whole lines before the first bad byte hold UTF-8 kana or kanji (U+0800 and above,
        # three bytes each) was written as UTF-8: cp932 text practically never forms such lines. What
        # follows is another encoding pasted in (a cp932 row): refused, never decoded as mojibake.
        line_start = data.rfind(b"\n", 0, bad_at) + 1
        line_end = data.find(b"\n", bad_at)
        try:
            bad_line = data[line_start: line_end if line_end >= 0 else len(data)].decode("cp932")
            pasted = _PRIVATE_USE.search(bad_line) is None
        except UnicodeDecodeError:
            pasted = False  # not cp932 either: reported below as neither
        if not looks_utf8 and pasted and any(ord(ch) >= 0x800 for ch in data[:line_start].decode("utf-8")):
            line = data[:bad_at].count(b"\n") + 1
            problems.append(Problem(label, line, "", f"is UTF-8 up to line {line - 1}, but line {line} is not "
                                    f"(bad byte 0x{data[bad_at]:02x}): text in another encoding (cp932?) was pasted in",
                                    "retype this line and the ones after it that show wrong characters, or save the "
                                    "whole file again as 'CSV UTF-8' (Excel) or UTF-8 text"))
            return None
        text = None
        if not looks_utf8:
            try:
                # Excel on Japanese Windows saves CSV as cp932 (never decode as shift_jis: it lacks ① 髙 ～).
                text = data.decode("cp932")
            except UnicodeDecodeError:
                pass
        private = _PRIVATE_USE.search(text) if text is not None else None  # cp932's user-defined area
        if private is not None:  # never in a real model: a byte that cp932 does not define (0xf0-0xf9, 0xfd-0xff)
            bad_at = len(text[: private.start()].encode("cp932", errors="replace"))
        if text is None or private is not None:
            line = data[:bad_at].count(b"\n") + 1
            why = ": it looks like UTF-8 with a damaged or cut character" if looks_utf8 else ""
            problems.append(Problem(label, line, "", f"is neither UTF-8 nor cp932 (bad byte 0x{data[bad_at]:02x}){why}",
                                    "save the file as 'CSV UTF-8' (Excel) or UTF-8 text; if it was cut short, restore it whole"))
            return None
    if "\ufeff" in text:
        line = text[: text.index("\ufeff")].count("\n") + 1
        problems.append(Problem(label, line, "", "a byte-order mark (BOM) in the middle of the file",
                                "files were probably pasted together; delete the invisible character at the start of this line"))
        return None
    return text


# ---------------------------------------------------------------------------------------------------
# model.yaml


@dataclass
class _Loaded:
    meta: dict[str, Any]
    problems: list[Problem]


# YAML 1.1 reads some plain values as numbers nobody meant: 12:30 is 750 (base 60), 0x10 is 16, 017 and
# 0o17 are 15 (octal), 1_000 is 1000. They are refused with what to write instead.
_SURPRISING_NUMBER = re.compile(r"[-+]?(?:0[xXoObB].*|0[0-9_]+(?:\.[0-9_]*)?|.*[_:].*)")
# The tags a model or scenario file may carry: plain values, lists and mappings.
_PLAIN_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map", "merge"))


class _ModelYamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader, stricter: YAML is plain data.

    Implicit timestamps are not resolved (dates are parsed, and located, by us). Tags other than plain
    values, lists and mappings (``!!binary``, ``!!set``, ``!!omap``, ``!!timestamp`` …) and the YAML 1.1
    numbers above are not constructed: each is recorded in :attr:`refused` as ``(line, column, message,
    hint)`` and kept as its text, so that every such value of a file is reported at once. Tags without a
    constructor (``!!python/…``, ``!custom``) still fail the load, located by PyYAML.
    """

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.refused: list[tuple[int, int, str, str]] = []

    def _refuse(self, node: yaml.Node, message: str, hint: str) -> None:
        self.refused.append((node.start_mark.line + 1, node.start_mark.column + 1, message, hint))

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        return self._number(node, super().construct_yaml_int)

    def construct_yaml_float(self, node: yaml.ScalarNode) -> Any:
        return self._number(node, super().construct_yaml_float)

    def _number(self, node: yaml.ScalarNode, construct: Any) -> Any:
        text = str(node.value)
        if _SURPRISING_NUMBER.fullmatch(text) and text not in ("0", "-0", "+0"):
            try:
                value = construct(node)
            except (ValueError, yaml.YAMLError):
                value = None
            read = f" (YAML 1.1 reads it as {value!r})" if value is not None and len(str(value)) < 40 else ""
            bare = text.lstrip("+-")
            if ":" in text:
                hint = f"write it in quotes, \"{text}\", if it is a time or a code (YAML reads a:b as base 60)"
            elif bare[:2].lower() in ("0x", "0o", "0b"):
                decimal = f"{value}" if isinstance(value, int) else "the number in decimal"
                hint = f"write {decimal}, or \"{text}\" in quotes if it is a code"
            elif bare.startswith("0"):
                hint = f"write {text.replace('_', '').lstrip('+0') or '0'} without the leading zero, or \"{text}\" in quotes if it is a code"
            else:
                hint = f"write {text.replace('_', '')} (no '_' between digits), or \"{text}\" in quotes if it is a code"
            self._refuse(node, f"{text} is not read as written{read}", hint)
            return text
        return construct(node)

    def construct_refused(self, node: yaml.Node) -> Any:
        tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
        self._refuse(node, f"the tag {tag} is not allowed: only plain values, lists and mappings",
                     "remove the tag and write the value as plain text, a list or a mapping")
        return str(node.value) if isinstance(node, yaml.ScalarNode) else None


# Implicit timestamps are not resolved (a date stays text until we parse it, located).
_ModelYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ModelYamlLoader.yaml_constructors = dict(yaml.SafeLoader.yaml_constructors)
for _tag in list(_ModelYamlLoader.yaml_constructors):
    if _tag is not None and _tag not in _PLAIN_TAGS:
        _ModelYamlLoader.add_constructor(_tag, _ModelYamlLoader.construct_refused)
_ModelYamlLoader.add_constructor("tag:yaml.org,2002:int", _ModelYamlLoader.construct_yaml_int)
_ModelYamlLoader.add_constructor("tag:yaml.org,2002:float", _ModelYamlLoader.construct_yaml_float)


def _yaml_scalars(node: yaml.Node | None) -> Iterable[yaml.ScalarNode]:
    """Every scalar of a composed YAML tree (keys included), each node once (aliases share nodes)."""
    seen: set[int] = set()
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.ScalarNode):
            yield current
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(reversed(current.value))
        elif isinstance(current, yaml.MappingNode):
            for k, v in reversed(current.value):
                stack.extend((v, k))


def _scalar_guard_text(node: yaml.ScalarNode) -> str:
    """The text the My Number guard reads for a scalar: its loaded value (escapes and folding done)."""
    if node.tag == "tag:yaml.org,2002:binary":
        import base64
        import binascii

        try:
            return base64.decodebytes(str(node.value).encode("ascii", "replace")).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return str(node.value)
    return str(node.value)


def _yaml_my_numbers(node: yaml.Node | None) -> list[tuple[int, str]]:
    """(line, masked number) of every valid-looking My Number in the loaded values and keys of a YAML tree."""
    return [(n.start_mark.line + 1, masked) for n in _yaml_scalars(node)
            for _pos, masked in find_my_numbers(_scalar_guard_text(n))]


def _invisible(text: str) -> str | None:
    """The first invisible format character (Unicode category Cf) of ``text``, as 'U+200B ZERO WIDTH SPACE'."""
    if text.isascii():  # the usual id: no format character below U+00AD
        return None
    for ch in text:
        if unicodedata.category(ch) == "Cf":
            return f"U+{ord(ch):04X} {unicodedata.name(ch, 'FORMAT CHARACTER')}"
    return None


def _invisible_problem(label: str, line: int | None, column: str, text: str, what: str = "id") -> Problem | None:
    """A located problem when an id or a header holds an invisible character (two ids shown alike)."""
    char = _invisible(text)
    if char is None:
        return None
    return Problem(label, line, column, f"{text!r} holds an invisible character ({char})",
                   f"retype the {what}: an invisible character makes two {what}s that look the same differ")


def _control_character_problem(label: str, text: str, exc: yaml.reader.ReaderError) -> Problem:
    """A control character (U+0001 …) YAML refuses, located at its line rather than its offset."""
    at = exc.position if isinstance(exc.position, int) and isinstance(exc.name, str) and exc.name.startswith("<") else 0
    return Problem(label, text[:at].count("\n") + 1, "", f"holds the control character U+{exc.character:04X}, which YAML does not allow",
                   "delete it: an invisible character pasted with the text")


def _yaml_line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _read_model_yaml(model_dir: Path, problems: list[Problem], label_root: str) -> dict[str, Any]:
    path = model_dir / "model.yaml"
    label = f"{label_root}/model.yaml"
    if not _exists(path):
        other = _misnamed(path)
        problems.append(Problem(label, None, "", "is missing",
                                f"found {other}: rename it to model.yaml (file names are case-sensitive)" if other else
                                "every model directory needs a model.yaml; see docs/model-format.md"))
        return {}
    text = _read_text(path, label, problems, MAX_YAML_BYTES, model_dir)
    if text is None:
        return {}
    # The My Number guard reads every line as written (comments too) and every loaded value and key
    # (escapes such as "\x31", folded and split values, !!binary decoded): one problem per line.
    guard = {(lineno, masked) for lineno, line in enumerate(text.splitlines(), 1) for _pos, masked in find_my_numbers(line)}
    loader: _ModelYamlLoader | None = None
    try:
        loader = _ModelYamlLoader(text)  # its reader refuses control characters: a located YAMLError
        node = loader.get_single_node()
        guard |= set(_yaml_my_numbers(node))
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = f"column {mark.column + 1}" if mark else ""
        context = ""
        if exc.context_mark is not None and mark is not None and exc.context_mark.line != mark.line:
            context = f" ({exc.context} on line {exc.context_mark.line + 1})"
        problems.append(Problem(label, line, col, f"is not valid YAML: {exc.problem or exc}{context}",
                                "only plain YAML is accepted (no !!python tags); check indentation and quotes"))
        return {}
    except yaml.reader.ReaderError as exc:
        problems.append(_control_character_problem(label, text, exc))
        return {}
    except yaml.YAMLError as exc:
        problems.append(Problem(label, None, "", f"is not valid YAML: {exc}"))
        return {}
    except RecursionError:
        problems.append(Problem(label, None, "", "is not valid YAML: it is nested too deeply",
                                "model.yaml is a flat list of 'key: value' lines"))
        return {}
    except ValueError as exc:  # raised by a constructor, e.g. an integer of thousands of digits
        problems.append(Problem(label, None, "", f"has a value that cannot be read: {str(exc)[:120]}",
                                "model.yaml is a flat list of 'key: value' lines with short values"))
        return {}
    finally:
        if loader is not None:
            loader.dispose()
        lines_seen: set[int] = set()
        for lineno, masked in sorted(guard):
            if lineno not in lines_seen:
                lines_seen.add(lineno)
                problems.append(_my_number_problem(label, lineno, "", masked))
    keys_by_line = [(k.start_mark.line + 1, str(k.value)) for k, _v in node.value] if isinstance(node, yaml.MappingNode) else []
    for line, column, message, hint in loader.refused:
        # the key of the value: the last key that starts on or before its line
        key = max(((first, k) for first, k in keys_by_line if first <= line), default=(0, f"column {column}"))[1]
        problems.append(Problem(label, line, key, message, hint))
    if data is None:
        problems.append(Problem(label, 1, "", "has no keys (the file is empty)",
                                f"write one 'key: value' line for each of {', '.join(k for k, (r, _) in MODEL_KEYS.items() if r)}"))
        return {}
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        problems.append(Problem(label, 1, "", "must be a mapping of keys to values", "e.g. 'id: my-model' on its own line"))
        return {}
    lines: dict[str, int] = {}
    for k, _v in node.value:
        # YAML keeps the last of two equal keys without a word: a silently lost value
        if isinstance(k, yaml.ScalarNode) and str(k.value) in lines:
            problems.append(Problem(label, _yaml_line(k), str(k.value), f"appears twice (first on line {lines[str(k.value)]})",
                                    "keep one of the two lines"))
        else:
            lines[str(k.value)] = _yaml_line(k)
    meta: dict[str, Any] = {}
    refused_lines = {line for line, _c, _m, _h in loader.refused}
    for key, value in data.items():
        key_s = str(key)
        line = lines.get(key_s)
        if line in refused_lines:
            continue  # its value was not read as written: that one problem says what to write
        if key_s not in MODEL_KEYS:
            problems.append(Problem(label, line, key_s, "unknown key",
                                    f"the keys are {', '.join(MODEL_KEYS)}; check the spelling"))
            continue
        parsed = _parse_meta_value(key_s, value, MODEL_KEYS[key_s][1], label, line, problems)
        if parsed is not None:
            meta[key_s] = parsed
    for key, (required, _kind) in MODEL_KEYS.items():
        if required and key not in data:
            problems.append(Problem(label, None, key, "required key is missing", f"add a line '{key}: …'"))
    # Canonical order, whatever order the file used.
    return {k: meta[k] for k in MODEL_KEYS if k in meta}


def _parse_meta_value(key: str, value: Any, kind: str, label: str, line: int | None, problems: list[Problem]) -> Any:
    def bad(message: str, hint: str) -> None:
        problems.append(Problem(label, line, key, message, hint))

    if value is None:
        bad("has no value", "give a value or remove the line")
        return None
    if isinstance(value, (dict, list, set, tuple)):
        # refused before any str(): a list built from YAML aliases can print to gigabytes
        bad("must be a single text value" if kind in ("text", "id", "path") else "must be a single value",
            "write it on one line after the colon")
        return None
    if kind in ("text", "id", "path"):
        text = _nfkc(str(value)) if kind in ("id", "path") else str(value).strip()
        if not text:
            bad("is empty", "give a value")
            return None
        limit = MODEL_TEXT_LIMITS.get(kind)
        if limit is not None and len(text) > limit:
            what = "an id" if kind == "id" else "a title or name"
            bad(f"is {len(text):,} characters long, over the limit of {limit:,} for {what}",
                "a short id such as city-juki-r5; the limits are in docs/model-format.md, 'Bounds'" if kind == "id" else
                "shorten it: it is shown in chart titles and table headings; the limits are in docs/model-format.md, 'Bounds'")
            return None
        if kind == "id" and _ID_FORBIDDEN.search(text):
            bad(f"{_short(text)!r} is not a valid id", "ids may not contain spaces, ';', ',', '*' or '@'")
            return None
        if kind == "id" and (invisible := _invisible_problem(label, line, key, text)) is not None:
            problems.append(invisible)
            return None
        return text
    if kind == "date":
        if isinstance(value, dt.datetime):
            day = value.date()
        elif isinstance(value, dt.date):
            day = value
        else:
            try:
                day = dt.date.fromisoformat(_nfkc(str(value)))
            except ValueError:
                bad(f"{_brief(value)} is not a date", "write the date as YYYY-MM-DD, e.g. 2021-11-09")
                return None
        if not MIN_DATE <= day <= MAX_DATE:
            bad(f"{day.isoformat()} is outside {MIN_DATE.isoformat()} … {MAX_DATE.isoformat()}",
                "write the date of the assessment as YYYY-MM-DD; check the year")
            return None
        return day
    if kind == "int":
        if isinstance(value, bool):
            bad(f"{_brief(value)} is not a whole number", "write a number such as 932000")
            return None
        if isinstance(value, int):
            number = value
        else:
            text = _nfkc(str(value)).replace(",", "").replace("_", "")
            if not re.fullmatch(r"\d+", text):
                bad(f"{_brief(value)} is not a whole number", "write a number such as 932000 (no units)")
                return None
            number = int(text) if len(text.lstrip("0")) <= 11 else MAX_COUNT + 1
        if number < 0:
            bad(f"{_brief(value)} is negative", "write a number >= 0")
            return None
        if number > MAX_COUNT:
            bad(f"{_brief(value)} is too large (over {MAX_COUNT:,})", "a count of people; check for extra digits")
            return None
        return number
    if kind == "bool":
        if isinstance(value, bool):
            return value
        word = _nfkc(str(value)).lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        bad(f"{_brief(value)} is not true or false", "write true or false")
        return None
    raise AssertionError(kind)  # pragma: no cover - MODEL_KEYS only uses the kinds above


def _short(text: str, keep: int = 60) -> str:
    """``text`` cut to ``keep`` characters (with …): messages never echo a huge value whole."""
    return text if len(text) <= keep else text[:keep] + "…"


def _key_line(path: Path, key: str) -> int | None:
    """The line of the top-level ``key:`` of the YAML file ``path`` (None when it cannot be found)."""
    text = _read_text(path, str(path), [], MAX_YAML_BYTES)
    pattern = re.compile(rf"['\"]?{re.escape(key)}['\"]?\s*:")
    return next((n for n, line in enumerate((text or "").splitlines(), 1) if pattern.match(line)), None)


def _check_previous(model_dir: Path, meta: dict[str, Any], label_root: str, problems: list[Problem],
                    follow: bool = True) -> None:
    """``previous`` must name a model directory, and the chain of previous versions must end.

    The chain is walked once, reading only each version's ``model.yaml``, with a set of the directories
    seen (a loop, the model itself included, is reported): linear in its length. ``follow=False`` checks
    only the first link, for :func:`load_chain`, which checks each link as it loads the version.
    Problems are located on the line of ``previous``.
    """
    if "previous" not in meta:
        return
    label = f"{label_root}/model.yaml"

    def bad(message: str, hint: str) -> None:
        problems.append(Problem(label, _key_line(model_dir / "model.yaml", "previous"), "previous", message, hint))

    seen = {model_dir.resolve()}
    current = model_dir
    rel = meta["previous"]
    while isinstance(rel, str):  # a previous model's own loading reports a 'previous' that is not text
        where = "" if current == model_dir else f" (reached through the chain, from {current})"
        try:
            target = (current / rel).resolve()
            is_model = (target / "model.yaml").is_file()
        except (OSError, ValueError, RuntimeError) as exc:  # a NUL byte, a name too long, a symlink loop …
            bad(f"{_short(rel)!r} is not a usable path{where}: {_short(str(exc), 200)}",
                "give the path of the previous version's directory, relative to this model's directory")
            return
        if target in seen:
            bad(f"the chain of previous versions loops back to {target}{where}",
                "a model's previous version must be an older, different model directory")
            return
        if not is_model:
            bad(f"{_short(rel)!r} is not a model directory{where}: no model.yaml at {target}",
                "give the path of the previous version's directory, relative to this model's directory")
            return
        if not follow:
            return
        seen.add(target)
        current = target
        text = _read_text(target / "model.yaml", str(target), [], MAX_YAML_BYTES)
        if text is None:
            return  # that model's own loading reports it
        try:
            data = yaml.load(text, Loader=_ModelYamlLoader)  # noqa: S506 - a SafeLoader: no object construction
        except (yaml.YAMLError, ValueError, RecursionError):
            return  # that model's own loading reports it
        rel = data.get("previous") if isinstance(data, dict) else None
        if isinstance(rel, (str, int, float)) and not isinstance(rel, bool):
            rel = _nfkc(str(rel))  # as that model's own loading reads it


#: Spreadsheet suffixes that are not model workbooks (see pia_analysis.workbook.OTHER_SPREADSHEET_SUFFIXES).
_OTHER_SPREADSHEETS = (".xls", ".xlsm", ".xlsb", ".xltx", ".xltm", ".xlt", ".ods", ".fods", ".numbers")


def _masked_name(name: str) -> str:
    """A file or folder name with its digits hidden, so that a message never repeats a number in it."""
    return "".join("*" if ch.isdecimal() else ch for ch in unicodedata.normalize("NFKC", name))


def _check_names(model_dir: Path, label_root: str, problems: list[Problem]) -> str:
    """The My Number guard over the names a model carries: its folder's name and the names of the files
    and folders in it (and in its ``scenarios/`` folder), which a report or an archive repeats.

    Returns the label of the model directory to use in messages: ``label_root``, with the folder's name
    masked when it holds a number (so no message prints it).
    """
    try:
        own = {model_dir.name, model_dir.resolve().name}
    except (OSError, RuntimeError):
        own = {model_dir.name}
    hits = sorted({masked for name in own for _pos, masked in find_my_numbers(name)})
    if hits:
        label_root = os.path.join(os.path.dirname(label_root.rstrip("/")) if model_dir.name else "",
                                  _masked_name(model_dir.name or model_dir.resolve().name))
        problems.append(Problem(label_root, None, "", f"the model folder's name holds what looks like a real My Number ({hits[0]}, valid check digit)",
                                "a model must hold no personal data, not even in a file or folder name: rename the folder"))
    for folder, prefix in ((model_dir, label_root), (model_dir / "scenarios", f"{label_root}/scenarios")):
        try:
            entries = sorted(os.listdir(folder)) if _is(folder, "dir") else []
        except OSError:
            entries = []
        for entry in entries[:10_000]:  # a model folder holds a dozen files; stops a runaway folder
            found = find_my_numbers(entry)
            if found:
                problems.append(Problem(f"{prefix}/{_masked_name(entry)}", None, "",
                                        f"its name holds what looks like a real My Number ({found[0][1]}, valid check digit)",
                                        "a model must hold no personal data, not even in a file name: rename or remove it"))
    return label_root


def read_meta(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The checked ``model.yaml`` keys of the model directory ``path`` (no tables are read).

    Raises ModelError with the located problems of ``model.yaml``.
    """
    if Path(path).suffix.lower() == ".xlsx" and not Path(path).is_dir():  # a model workbook
        from .workbook import read_workbook_meta

        return read_workbook_meta(path)
    if Path(path).suffix.lower() in _OTHER_SPREADSHEETS:  # .xls, .xlsm, .ods …: not read, say how to save it
        from .workbook import other_spreadsheet_problem

        problem = other_spreadsheet_problem(path)
        if problem is not None:
            raise ModelError([problem])
    problems: list[Problem] = []
    meta = _read_model_yaml(Path(path), problems, str(path))
    if problems:
        raise ModelError(problems)
    return meta


def previous_chain(model: Model) -> list[Path]:
    """The directories of the earlier versions of ``model``, newest first (from ``previous``).

    Each version's ``model.yaml`` is read once. Raises ModelError when a version's ``model.yaml`` has
    problems or the chain loops back (possible only for a model built in memory: loading checks it).
    """
    return [path for path, _meta in previous_metas(model)]


def previous_metas(model: Model) -> list[tuple[Path, dict[str, Any]]]:
    """The earlier versions of ``model``, newest first: ``(directory or workbook, its checked keys)``.

    Linear in the length of the chain: each version's keys are read once (:func:`read_meta`).
    """
    out: list[tuple[Path, dict[str, Any]]] = []
    seen = {model.path} if model.path is not None else set()
    current, rel = model.path, model.meta.get("previous")
    while rel is not None and current is not None:
        try:
            current = (current / rel).resolve()
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelError([Problem(f"{model.path}/model.yaml", None, "previous", f"{rel!r} is not a usable path: {exc}",
                                      "give the path of the previous version's directory")]) from None
        if current in seen:
            raise ModelError([_loop_problem(model, current)])
        seen.add(current)
        meta = read_meta(current)
        out.append((current, meta))
        rel = meta.get("previous")
    return out


def _loop_problem(model: Model, target: Path) -> Problem:
    label = model.path / "model.yaml" if model.path is not None and _is(model.path, "dir") else model.path
    return Problem(str(label), None, "previous", f"the chain of previous versions loops back to {target}",
                   "a model's previous version must be an older, different model")


def _table_files_key(model_dir: Path) -> tuple[bytes | None, ...] | None:
    """A fingerprint of the table files of the model directory ``model_dir``: the SHA-256 of each, in
    format order (None for an optional table that is absent). None when it cannot stand for the tables:
    a file that is not a plain regular file (a symlink, a FIFO …), is too large or cannot be read, or a
    missing file. Two directories with the same fingerprint load the same tables."""
    key: list[bytes | None] = []
    for table in TABLES:
        path = model_dir / table.filename
        try:
            st = path.lstat()
        except FileNotFoundError:
            if not table.optional_file or _misnamed(path) is not None:
                return None
            key.append(None)
            continue
        except (OSError, ValueError):
            return None
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_FILE_BYTES:
            return None
        try:
            key.append(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            return None
    return tuple(key)


def load_chain(model: Model | str | os.PathLike[str]) -> list[Model]:
    """A model and its earlier versions (``previous``), loaded, **newest first**.

    Each version is loaded once, with only its own link checked (that ``previous`` names a model); the
    directories seen are kept, so a chain that loops back is a located error on the ``previous`` line of
    the version that closes the loop. A version whose table files are byte for byte those of the version
    loaded just before it shares that version's tables (models are immutable) instead of parsing them
    again, so a long chain of reviews that changed only ``model.yaml`` loads quickly. Time is linear in
    the length of the chain.

    Parameters
    ----------
    model
        A loaded model or the path of a model directory or workbook.

    Raises
    ------
    ModelError
        With the located problems of the first version (newest first) that cannot be loaded, or of the
        loop.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path
    >>> [m.id for m in load_chain(bundled_model_path())]
    ['kitakyushu-juki-r3', 'kitakyushu-juki-h28', 'kitakyushu-juki-h26']
    """
    newest = model if isinstance(model, Model) else load_model(model, check_chain=False)
    chain = [newest]
    seen = {newest.path}
    key = _table_files_key(newest.path) if newest.path is not None and _is(newest.path, "dir") else None
    while (rel := chain[-1].meta.get("previous")) is not None and chain[-1].path is not None:
        here = chain[-1].path
        yaml_path = here / "model.yaml" if _is(here, "dir") else here
        try:
            target = (here / rel).resolve()
        except (OSError, ValueError, RuntimeError) as exc:  # only for a model built in memory: loading checks it
            raise ModelError([Problem(str(yaml_path), None, "previous", f"{_short(str(rel))!r} is not a usable path: {exc}",
                                      "give the path of the previous version")]) from None
        if target in seen:
            line = _key_line(yaml_path, "previous") if yaml_path.name == "model.yaml" else None
            raise ModelError([Problem(str(yaml_path), line, "previous",
                                      f"the chain of previous versions loops back to {target}",
                                      "a model's previous version must be an older, different model")])
        seen.add(target)
        if target.suffix.lower() == ".xlsx" and not _is(target, "dir"):
            chain.append(load_model(target, check_chain=False))
            key = None
            continue
        this_key = _table_files_key(target)
        shared = chain[-1] if key is not None and this_key == key else None
        chain.append(_load_directory(target, check_chain=False, shared=shared))
        key = this_key
    return chain


# ---------------------------------------------------------------------------------------------------
# CSV tables


def _my_number_problem(label: str, line: int, column: str, masked: str) -> Problem:
    return Problem(label, line, column, f"contains what looks like a real My Number ({masked}, valid check digit)",
                   "a model describes systems and must hold no personal data: remove the number")


def _brief(value: Any) -> str:
    """``repr(value)``, cut (as :func:`_short`) when it is long."""
    try:
        text = repr(value)
    except ValueError:  # an integer of more digits than Python prints
        return "a number of thousands of digits"
    return text if len(text) <= 62 else repr(_short(str(value)))


def _too_long(column: str, length: int, limit: int, what: str, label: str, line: int | None,
              problems: list[Problem], item: bool = False) -> None:
    hint = ("ids are short codes such as SYS1 or JUKI_FILE" if what == "an id" else
            "shorten it: names are shown in charts and table cells; put explanations in source"
            if what == "a name" else "shorten it: put long explanations in a document and cite it")
    subject = f"has an id of {length:,} characters" if item else f"is {length:,} characters long"
    problems.append(Problem(label, line, column, f"{subject}, over the limit of {limit:,} for {what}",
                            f"{hint}; the limits are in docs/model-format.md, 'Bounds'"))


def _extra_cell(name: str, raw: str, label: str, line: int | None, problems: list[Problem]) -> str:
    """A cell of a column beyond the format's: kept as written, bounded like other text."""
    if len(raw.strip()) > MAX_NOTE_CHARS:
        _too_long(name, len(raw.strip()), MAX_NOTE_CHARS, "a text cell", label, line, problems)
    return raw


def _parse_cell(col: Column, raw: str, label: str, line: int, problems: list[Problem]) -> Any:
    """Parse one cell; append a problem and return a harmless default when it is wrong."""
    def bad(message: str, hint: str = "") -> None:
        problems.append(Problem(label, line, col.name, message, hint or col.hint))

    limit = col.limit
    if col.kind in ("text", "list"):
        value = raw.strip()
        if col.nonempty and not value:
            bad("is empty", "give a value")
        if limit is not None and len(value) > limit:
            _too_long(col.name, len(value), limit, col.limit_kind, label, line, problems)
        if col.kind == "list":
            return [part.strip() for part in value.split(";") if part.strip()]
        return value
    value = _nfkc(raw)
    if col.nonempty and not value:
        bad("is empty", col.hint or "give a value")
    if value.upper() in _EXCEL_ERRORS or (value.startswith("=") and len(value) > 1):
        # Spreadsheet artefacts are never ids, numbers, yes/no values or choices.
        if value.startswith("="):
            bad(f"{_short(raw.strip())!r} is a spreadsheet formula, not a value",
                "type the value itself (in Excel: copy, then Paste Special → Values) and save as CSV again")
        else:
            bad(f"{_short(raw.strip())!r} is a spreadsheet error value, not a value",
                "fix the formula that gives this error in the workbook, or type the value, then save as CSV again")
        return {"id": value, "ref": value, "reflist": [], "enum": "", "bool": False, "int": 0, "prob": 0.0}[col.kind]
    if col.kind in ("id", "ref"):
        if limit is not None and len(value) > limit:
            _too_long(col.name, len(value), limit, col.limit_kind, label, line, problems)
        elif value and _ID_FORBIDDEN.search(value):
            bad(f"{_short(value)!r} is not a valid id", "ids may not contain spaces, ';', ',', '*' or '@'")
        elif (invisible := _invisible_problem(label, line, col.name, value)) is not None:
            problems.append(invisible)
        return value
    if col.kind == "reflist":
        parts = [p.strip() for p in value.split(";")]
        if any(not p for p in parts) and value:
            bad(f"{_short(raw.strip())!r} has an empty item", "separate ids with single ';' and no ';' at the end")
        elif (invisible := _invisible_problem(label, line, col.name, value)) is not None:
            problems.append(invisible)
        longest = max((len(p) for p in parts), default=0)
        if limit is not None and longest > limit:
            _too_long(col.name, longest, limit, col.limit_kind, label, line, problems, item=True)
        return [p for p in parts if p]
    if col.kind == "enum":
        if not value:
            return ""
        if value in col.choices:
            return value
        lowered = value.lower()
        if lowered in col.choices:
            return lowered
        bad(f"{_short(raw.strip())!r} is not one of {', '.join(col.choices)}", f"use one of: {', '.join(col.choices)}")
        return value
    if col.kind == "bool":
        if not value:
            return False
        word = value.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        bad(f"{_short(raw.strip())!r} is not a yes/no value", "write true or false (yes/no, 1/0 and はい/いいえ are accepted)")
        return False
    if col.kind == "int":
        if not value:
            return 0
        text = value.replace(",", "").replace("_", "")
        if not re.fullmatch(r"\d+", text):
            bad(f"{_short(raw.strip())!r} is not a whole number >= 0", col.hint)
            return 0
        if len(text.lstrip("0")) > 11 or int(text) > MAX_COUNT:
            bad(f"{_short(raw.strip())!r} is too large (over {MAX_COUNT:,})", col.hint)
            return 0
        return int(text)
    if col.kind == "prob":
        if not value:
            return 0.0
        try:
            number = float(value.rstrip("%")) / (100 if value.endswith("%") else 1)
        except ValueError:
            bad(f"{_short(raw.strip())!r} is not a number", col.hint)
            return 0.0
        if not (0.0 <= number <= 1.0) or number != number:
            bad(f"{_short(raw.strip())!r} is outside [0, 1]", col.hint)
            return 0.0
        return number
    raise AssertionError(col.kind)  # pragma: no cover


def _empty_table(table: Table) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series([], dtype=_DTYPES.get(c.kind, "str")) for c in table.columns})


@dataclass
class _RawTable:
    frame: pd.DataFrame
    lines: list[int | None]  # the file line of each row (None: not known, e.g. an in-memory row)
    # ids of rows that could not be split into the header's columns: still known, so that one bad row
    # does not also raise "unknown id" problems wherever it is referenced
    malformed_ids: frozenset[str] = frozenset()
    # the file label of each row when the rows come from several files (validate_tables); None: one file
    labels: list[str] | None = None


def _read_table(model_dir: Path, table: Table, label_root: str, problems: list[Problem]) -> _RawTable | None:
    path = model_dir / table.filename
    label = f"{label_root}/{table.filename}"
    if not _exists(path):
        other = _misnamed(path)
        if table.optional_file and other is None:
            return _RawTable(_empty_table(table), [])
        problems.append(Problem(label, None, "", "is missing",
                                f"found {other}: rename it to {table.filename} (file names are case-sensitive)" if other else
                                f"create it with the header line: {','.join(c.name for c in table.columns if c.required)}"))
        return None
    text = _read_text(path, label, problems, within=model_dir)
    if text is None:
        return None
    if not text.strip():
        problems.append(Problem(label, 1, "", "is empty", f"it needs at least the header line: {','.join(table.column_names)}"))
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for record in reader:
            rows.append((start, record))
            start = reader.line_num + 1
    except csv.Error as exc:
        problems.append(Problem(label, start, "", f"is not valid CSV ({exc})",
                                "a value with a comma, quote or line break must be in double quotes, and quotes inside it doubled"))
        return None
    header_line, header = rows[0]
    names = [_nfkc(h) for h in header]
    if not names:
        problems.append(Problem(label, header_line, "", "the first line is blank: the header must be on line 1",
                                f"delete the blank line(s) above the header ({','.join(table.column_names)})"))
        return None
    if len(names) == 1 and "\t" in header[0]:
        problems.append(Problem(label, header_line, "", "uses tabs between columns",
                                "save it as comma-separated values (CSV), not tab-separated"))
        return None
    if len(names) == 1 and ";" in header[0]:
        problems.append(Problem(label, header_line, "", "uses ';' between columns",
                                "save it as comma-separated values: Excel's 'CSV UTF-8 (comma delimited)'"))
        return None
    ok = True
    seen: dict[str, int] = {}
    for pos, name in enumerate(names, 1):
        for _pos, masked in find_my_numbers(header[pos - 1]):
            problems.append(_my_number_problem(label, header_line, f"column {pos}", masked))
            ok = False
        if (invisible := _invisible_problem(label, header_line, f"column {pos}", name, "column name")) is not None:
            problems.append(invisible)
            ok = False
        if not name:
            problems.append(Problem(label, header_line, f"column {pos}", "has no name in the header",
                                    "give the column a name, or delete it"))
            ok = False
        elif name in seen:
            problems.append(Problem(label, header_line, name, f"appears twice in the header (columns {seen[name]} and {pos})",
                                    "delete or rename one of them"))
            ok = False
        else:
            seen[name] = pos
    missing = [c.name for c in table.columns if c.required and c.name not in seen]
    for name in missing:
        problems.append(Problem(label, header_line, name, "required column is missing",
                                f"the header needs: {','.join(c.name for c in table.columns if c.required)}"))
    if missing or not ok:
        return None
    spec = {c.name: c for c in table.columns}
    parsed: dict[str, list[Any]] = {name: [] for name in names}
    lines: list[int] = []
    malformed: set[str] = set()
    key_pos = names.index(table.key)
    for line, record in rows[1:]:
        if not any(cell.strip() for cell in record):
            continue  # blank line
        if len(record) != len(names):
            for pos, raw in enumerate(record):  # a row that cannot be split is still searched
                for _pos, masked in find_my_numbers(raw):
                    problems.append(_my_number_problem(label, line, names[pos] if pos < len(names) else f"column {pos + 1}", masked))
            if len(record) > key_pos:
                malformed.add(_nfkc(record[key_pos]))
            problems.append(Problem(label, line, "", f"has {len(record)} values but the header has {len(names)} columns",
                                    "a value containing a comma must be in double quotes; check for a missing or extra comma"))
            continue
        for name, raw in zip(names, record):
            for _pos, masked in find_my_numbers(raw):
                problems.append(_my_number_problem(label, line, name, masked))
            col = spec.get(name)
            parsed[name].append(_parse_cell(col, raw, label, line, problems) if col else
                                _extra_cell(name, raw, label, line, problems))
        lines.append(line)
    return _RawTable(_typed_frame(table, parsed, names, len(lines)), lines, frozenset(malformed))


def _typed_frame(table: Table, parsed: dict[str, list[Any]], names: Iterable[str], rows: int) -> pd.DataFrame:
    """The typed DataFrame of parsed cells: the format's columns first (an optional column a source leaves
    out is filled empty), then the extra columns in source order, kept as text."""
    data: dict[str, pd.Series] = {}
    for col in table.columns:
        values = parsed.get(col.name)
        if values is None:
            values = [[] if col.kind in ("list", "reflist") else ""] * rows
        data[col.name] = pd.Series(values, dtype=_DTYPES.get(col.kind, "str"))
    known = set(table.column_names)
    for name in names:
        if name not in known:
            data[name] = pd.Series(parsed[name], dtype="str")
    return pd.DataFrame(data)


# ---------------------------------------------------------------------------------------------------
# cross-table checks


def _check_references(tables: dict[str, _RawTable], label_root: str, problems: list[Problem]) -> None:
    def rows(name: str) -> list[tuple[tuple[str, int | None], dict[str, Any]]]:
        # Each row with its location (file label, line): rows of in-memory tables may come from several files.
        raw = tables.get(name)
        if raw is None:
            return []
        default = f"{label_root}/{TABLE_BY_NAME[name].filename}"
        labels = raw.labels if raw.labels is not None else [default] * len(raw.lines)
        # The records built column by column: frame.to_dict("records") takes seconds on a national model.
        columns = [str(c) for c in raw.frame.columns]
        records = [dict(zip(columns, values))
                   for values in zip(*(raw.frame[c].tolist() for c in raw.frame.columns))]
        return list(zip(zip(labels, raw.lines), records))

    def where(first: tuple[str, int | None], here: tuple[str, int | None]) -> str:
        if first[0] == here[0]:
            return f"line {first[1]}"
        return f"{first[0]}:{first[1]}" if first[1] else first[0]

    ids: dict[str, set[str]] = {}
    for table in TABLES:
        first: dict[str, tuple[str, int | None]] = {}
        for loc, row in rows(table.name):
            key = row[table.key]
            if not key:
                continue
            if key in first:
                problems.append(Problem(*loc, table.key, f"duplicate id {key!r} (first on {where(first[key], loc)})",
                                        "every row needs its own id; rename or merge the rows"))
            else:
                first[key] = loc
        raw = tables.get(table.name)
        ids[table.name] = set(first) | (set(raw.malformed_ids) if raw is not None else set())

    def check_ref(loc: tuple[str, int | None], column: str, value: str, target: str, hint: str) -> None:
        if value and tables.get(target) is not None and value not in ids[target]:
            problems.append(Problem(*loc, column, f"{value!r} is not a known {hint}",
                                    f"use an id listed in {TABLE_BY_NAME[target].filename}, or add it there"))

    # A table with a header and no rows: a model needs zones and systems; no files, flows, controls, risks
    # or ratings is a gap the analyses report, not a format error.
    for name, what in (("zones", "zone"), ("systems", "system")):
        raw = tables.get(name)
        if raw is not None and raw.frame.empty and not raw.malformed_ids:
            problems.append(Problem(f"{label_root}/{TABLE_BY_NAME[name].filename}", 1, "",
                                    f"has a header but no rows: a model needs at least one {what}",
                                    f"add a row for each {what} under the header"))
    catalog_ids = set(catalog.risk_catalog()["risk_id"])
    for loc, row in rows("systems"):
        check_ref(loc, "zone_id", row["zone_id"], "zones", "zone_id")
        for f in row["holds"]:
            check_ref(loc, "holds", f, "files", "file_id")
    holds = {row["system_id"]: set(row["holds"]) for _l, row in rows("systems")}
    both = ids["systems"] & ids["flows"]
    for loc, row in rows("flows"):
        if row["flow_id"] in both:
            problems.append(Problem(*loc, "flow_id", f"{row['flow_id']!r} is also a system_id",
                                    "controls name systems and flows by id, so the two must differ; rename one"))
        check_ref(loc, "source", row["source"], "systems", "system_id")
        check_ref(loc, "target", row["target"], "systems", "system_id")
        if row["source"] and row["source"] == row["target"]:
            problems.append(Problem(*loc, "target", "is the same system as source",
                                    "a flow goes between two different systems"))
        for f in row["files"]:
            check_ref(loc, "files", f, "files", "file_id")
            if f in ids["files"] and row["source"] in holds and row["target"] in holds:
                if f not in holds[row["source"]] and f not in holds[row["target"]]:
                    problems.append(Problem(*loc, "files",
                                            f"carries {f!r}, which neither {row['source']!r} nor {row['target']!r} holds",
                                            f"add {f} to the holds of one of them in systems.csv, or remove it from this flow"))
    risk_ids = catalog_ids | ids["risks"]
    for loc, row in rows("risks"):
        if row["risk_id"] in catalog_ids:
            problems.append(Problem(*loc, "risk_id", f"{row['risk_id']!r} is already a catalogue risk",
                                    "extra risks need their own ids, e.g. use-5 or retain-x1"))
    elements = ids["systems"] | ids["flows"]
    for loc, row in rows("controls"):
        for r in row["mitigates"]:
            if r not in risk_ids:
                problems.append(Problem(*loc, "mitigates", f"{r!r} is not a known risk id",
                                        "use catalogue ids such as acquire-1 … retain-3, or add the risk to risks.csv"))
        targets = row["applies_to"]
        if "*" in targets and len(targets) > 1:
            problems.append(Problem(*loc, "applies_to", "mixes * with ids",
                                    "write * alone for an organisation-wide control, or list ids"))
        for t in targets:
            if t != "*" and t not in elements and tables.get("systems") is not None and tables.get("flows") is not None:
                problems.append(Problem(*loc, "applies_to", f"{t!r} is neither a system_id nor a flow_id",
                                        "use ids from systems.csv or flows.csv, or * for all"))
    for loc, row in rows("ratings"):
        if row["risk_id"] and row["risk_id"] not in risk_ids:
            problems.append(Problem(*loc, "risk_id", f"{row['risk_id']!r} is not a known risk id",
                                    "use catalogue ids such as acquire-1 … retain-3, or add the risk to risks.csv"))


# ---------------------------------------------------------------------------------------------------
# public API


def validate(path: str | os.PathLike[str]) -> list[Problem]:
    """Every problem of the model at ``path`` (empty when it is valid).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path
    >>> validate(bundled_model_path())
    []
    """
    try:
        load_model(path)
    except ModelError as exc:
        return exc.problems
    return []


#: Where a row of an in-memory table comes from: (file label, line or None).
Location = tuple[str, int | None]


def validate_tables(tables: dict[str, pd.DataFrame], meta: dict[str, Any] | None = None,
                    label_root: str = "<model>",
                    locations: dict[str, list[Location]] | None = None) -> list[Problem]:
    """Every problem of a model given as in-memory tables: the checks of :func:`load_model`, without files.

    Each cell is written back as its CSV text and parsed again exactly as the loader parses it (kinds,
    choices, ranges, ids, the My Number guard), then the cross-table checks run (unknown ids, duplicates,
    files carried by neither end of a flow …). Use it for tables changed in memory, e.g. by a scenario.

    Parameters
    ----------
    tables
        DataFrames by table name (``zones``, ``systems``, ``files``, ``flows``, ``controls``, and
        optionally ``risks``, ``ratings``), typed as :class:`~pia_analysis.model.Model` holds them.
    meta
        The ``model.yaml`` keys, as loaded (``assessed_on`` a date); ``None`` skips the meta checks.
        ``previous`` is not followed (there is no directory to resolve it from).
    label_root
        The directory label used in problem locations (``label_root/systems.csv``).
    locations
        Optionally, for a table, the location of each of its rows (one per row, in row order). By default
        row *i* is located at line *i* + 2 of ``label_root/<file>``: where :func:`save_model` writes it.

    Returns
    -------
    list of Problem
        Sorted by file (model.yaml, then the tables in format order, then other labels) and line; empty
        when the tables make a valid model.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> m = load_model(bundled_model_path())
    >>> tables = {name: getattr(m, name) for name in ("zones", "systems", "files", "flows", "controls")}
    >>> validate_tables(tables, m.meta)
    []
    >>> systems = m.systems.copy()
    >>> systems.loc[0, "zone_id"] = "NOWHERE"
    >>> [str(p) for p in validate_tables({**tables, "systems": systems})]
    ["<model>/systems.csv:2: zone_id: 'NOWHERE' is not a known zone_id (hint: use an id listed in zones.csv, or add it there)"]
    """
    problems: list[Problem] = []
    if meta is not None:
        label = f"{label_root}/model.yaml"
        for key, value in meta.items():
            if key not in MODEL_KEYS:
                problems.append(Problem(label, None, key, "unknown key", f"the keys are {', '.join(MODEL_KEYS)}; check the spelling"))
                continue
            _parse_meta_value(key, value, MODEL_KEYS[key][1], label, None, problems)
        for key, (required, _kind) in MODEL_KEYS.items():
            if required and key not in meta:
                problems.append(Problem(label, None, key, "required key is missing", f"add a line '{key}: …'"))
    raws: dict[str, _RawTable | None] = {}
    for table in TABLES:
        default_label = f"{label_root}/{table.filename}"
        frame = tables.get(table.name)
        if frame is None:
            if table.optional_file:
                raws[table.name] = _RawTable(_empty_table(table), [])
            else:
                problems.append(Problem(default_label, None, "", "is missing", f"the model needs a {table.name} table"))
                raws[table.name] = None
            continue
        locs = (locations or {}).get(table.name) or [(default_label, i + 2) for i in range(len(frame))]
        if len(locs) != len(frame):
            raise ValueError(f"locations[{table.name!r}] has {len(locs)} entries for {len(frame)} rows")
        missing = [c.name for c in table.columns if c.required and c.name not in frame.columns]
        for name in missing:
            problems.append(Problem(default_label, 1, name, "required column is missing",
                                    f"the table needs: {','.join(c.name for c in table.columns if c.required)}"))
        if missing:
            raws[table.name] = None
            continue
        spec = {c.name: c for c in table.columns}
        for (label, line), row in zip(locs, frame.to_dict("records")):
            for name, value in row.items():
                col = spec.get(name)
                text = _format_cell(value, col)
                for _pos, masked in find_my_numbers(text):
                    problems.append(_my_number_problem(label, line, name, masked))
                if col is not None:
                    _parse_cell(col, text, label, line, problems)
                else:
                    _extra_cell(name, text, label, line, problems)
        raws[table.name] = _RawTable(frame, [line for _l, line in locs], labels=[label for label, _l in locs])
    _check_references(raws, label_root, problems)
    order = {f"{label_root}/{name}": i for i, name in enumerate(["model.yaml"] + [t.filename for t in TABLES])}
    problems.sort(key=lambda p: (order.get(p.file, len(order)), p.file, p.line or 0))
    return problems


def load_model(path: str | os.PathLike[str], *, check_chain: bool = True) -> Model:
    """Load and validate a model directory.

    Parameters
    ----------
    path
        The model directory (or its ``model.yaml``).
    check_chain
        Walk the whole chain of earlier versions (``previous``) to check that it ends (the default).
        False checks only that ``previous`` names a model: for callers that walk the chain themselves
        (:func:`load_chain`), so that loading a chain of *n* versions stays linear in *n*.

    Raises
    ------
    ModelError
        With every problem found, each located as ``file:line: column: message``.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> model = load_model(bundled_model_path())
    >>> sorted(model.files["file_id"])
    ['HONNIN_FILE', 'JUKI_FILE', 'SOUFU_FILE']
    """
    if Path(path).suffix.lower() == ".xlsx" and not Path(path).is_dir():  # a model workbook
        from .workbook import load_workbook

        return load_workbook(path, check_chain=check_chain)
    if Path(path).suffix.lower() in _OTHER_SPREADSHEETS:  # .xls, .xlsm, .ods …: not read, say how to save it
        from .workbook import other_spreadsheet_problem

        problem = other_spreadsheet_problem(path)
        if problem is not None:
            raise ModelError([problem])
    return _load_directory(Path(path), check_chain=check_chain)


def _load_directory(model_dir: Path, check_chain: bool = True, shared: Model | None = None) -> Model:
    """:func:`load_model` of a directory; ``shared``: a model whose table files are byte for byte this
    directory's (see :func:`_table_files_key`), whose checked tables are used instead of reading them."""
    if _is(model_dir, "file") and model_dir.name == "model.yaml":
        model_dir = model_dir.parent
    label_root = str(model_dir)
    if not _is(model_dir, "dir"):
        raise ModelError([Problem(label_root, None, "", "is not a directory",
                                  "give the path of a model directory (the folder holding model.yaml and the CSV files)")])
    problems: list[Problem] = []
    label_root = _check_names(model_dir, label_root, problems)
    meta = _read_model_yaml(model_dir, problems, label_root)
    _check_previous(model_dir, meta, label_root, problems, follow=check_chain)
    if shared is None:
        tables = {t.name: _read_table(model_dir, t, label_root, problems) for t in TABLES}
        _check_references(tables, label_root, problems)
    if problems:
        order = {f"{label_root}/{name}": i for i, name in enumerate(["model.yaml"] + [t.filename for t in TABLES])}
        problems.sort(key=lambda p: (order.get(p.file, 99), p.line or 0))
        raise ModelError(problems)
    if shared is not None:
        frames = {t.name: getattr(shared, t.name) for t in TABLES}
    else:
        frames = {name: raw.frame for name, raw in tables.items() if raw is not None}
        frames["ratings"]["rating"] = frames["ratings"]["rating"].map(lambda r: RATING_ALIASES.get(r, r)).astype("str")
    return Model(meta=meta, path=model_dir.resolve(), **frames)


def _format_cell(value: Any, col: Column | None) -> str:
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if col is not None and col.name == "entry_likelihood" and value == 0:
        return ""
    if isinstance(value, float):
        return repr(value)
    return "" if value is None else str(value)


def table_to_csv_text(frame: pd.DataFrame, table: Table) -> str:
    """The CSV text (``\\n`` line ends) that :func:`load_model` reads back as ``frame``."""
    spec = {c.name: c for c in table.columns}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(frame.columns))
    for row in frame.itertuples(index=False, name=None):
        writer.writerow([_format_cell(v, spec.get(c)) for c, v in zip(frame.columns, row)])
    return out.getvalue()


def _atomic_write(path: Path, text: str) -> None:
    from .util.files import write_model_file

    write_model_file(path, text)  # the one writer: whole or not at all, umask modes


def save_model(model: Model, path: str | os.PathLike[str]) -> Path:
    """Write ``model`` as a model directory at ``path`` (created if needed); returns the directory.

    ``previous`` is rewritten relative to the new location so that the chain still resolves.
    Each file is written whole or not at all.

    Examples
    --------
    >>> import tempfile
    >>> from pia_analysis import load_model, bundled_model_path
    >>> m = load_model(bundled_model_path())
    >>> out = save_model(m, tempfile.mkdtemp())
    >>> load_model(out).systems.equals(m.systems)
    True
    """
    if Path(path).suffix.lower() == ".xlsx" and not Path(path).is_dir():  # a model workbook
        from .workbook import save_workbook

        return save_workbook(model, path)
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    meta = dict(model.meta)
    if "previous" in meta and model.path is not None:
        meta["previous"] = os.path.relpath((model.path / meta["previous"]).resolve(), out.resolve())
    _atomic_write(out / "model.yaml", yaml.safe_dump(meta, allow_unicode=True, sort_keys=False))
    for table in TABLES:
        frame = getattr(model, table.name)
        if table.optional_file and frame.empty and list(frame.columns) == table.column_names:  # extra columns are kept
            (out / table.filename).unlink(missing_ok=True)
            continue
        _atomic_write(out / table.filename, table_to_csv_text(frame, table))
    return out


def unsourced_rows(model: Model) -> pd.DataFrame:
    """Rows whose ``source`` (``source_ref`` for flows) is empty: facts nobody can trace.

    Returns a DataFrame ``table, id`` sorted by table and id.
    """
    out = []
    for name, col in (("zones", "source"), ("systems", "source"), ("files", "source"), ("flows", "source_ref"), ("controls", "source")):
        frame = getattr(model, name)
        key = TABLE_BY_NAME[name].key
        for key_value in frame.loc[frame[col].str.strip() == "", key]:
            out.append((name, key_value))
    return pd.DataFrame(sorted(out), columns=["table", "id"])


def provenance(model: Model) -> pd.DataFrame:
    """How each table's rows are sourced: rows citing a document, rows resting only on an assumption.

    A row is *assumption only* when its source starts with ``assumption:``; it *cites a document* otherwise;
    ``with_assumption`` counts rows that mention an assumption anywhere (a cited fact plus an assumed number).

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> provenance(load_model(bundled_model_path())).loc["files", "rows"]
    np.int64(3)
    """
    rows = []
    for name, col in (("zones", "source"), ("systems", "source"), ("files", "source"), ("flows", "source_ref"), ("controls", "source")):
        src = getattr(model, name)[col].str.strip()
        assumption_only = src.str.startswith("assumption")
        rows.append({
            "table": name,
            "rows": len(src),
            "cites_document": int((~assumption_only & (src != "")).sum()),
            "assumption_only": int(assumption_only.sum()),
            "with_assumption": int(src.str.contains("assumption").sum()),
            "unsourced": int((src == "").sum()),
        })
    return pd.DataFrame(rows).set_index("table")
