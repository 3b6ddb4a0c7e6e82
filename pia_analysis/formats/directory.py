"""Load, validate and save models.

:func:`load_model` reads a model directory (see ``docs/model-format.md``), checks every file, row and
cell, and either returns a typed :class:`~pia_analysis.model.model.Model` or raises one
:class:`~pia_analysis.model.errors.ModelError` that lists every problem found, each located as
``file:line: column: message (hint: …)``. :func:`save_model` writes the same format back.

YAML is read only through PyYAML's safe loader; nothing from a model file is ever evaluated.
"""

from __future__ import annotations

__all__ = ["MAX_FILE_BYTES", "MAX_YAML_BYTES", "load_directory", "merge_shared", "read_shared_part", "save_directory"]

import csv
import hashlib
import io
import os
import re
import stat
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..model.model import Model
from ..model.mynumber import find_my_numbers
from ..model.rated import fold_ratings, rated_item_table
from ..model.schema import (
    MAX_CELLS, MAX_COLUMNS, MODEL_KEYS, SHARED_PART_TABLES, TABLE_BY_NAME, TABLES, Column, Table, TableRef,
)
from ..model.cells import (
    EDGE_SPACES,
    RawTable,
    clean_column,
    empty_table,
    extra_cell,
    format_cell,
    invisible_problem,
    my_number_problem,
    nfkc,
    parse_cell,
    parse_meta_value,
    shorten,
    typed_frame,
)
from ..model.checks import (
    check_declarations, check_references, cloud_zone_warnings, document_data_warnings, organisation_kind_warnings,
    population_warnings, transit_warnings, triage_warnings,
)
from ..model.glyphs import check_glyphs
from ..model.yamlread import MERGE_REFUSED, ModelYamlLoader
from ..model.errors import ModelError, Naming, Problem
from .shared import SharedLabel, SharedPart, merge_part, remembered

MAX_FILE_BYTES = 25 * 1024 * 1024  # far above a national model's largest table; stops a runaway file
MAX_YAML_BYTES = 1024 * 1024  # model.yaml and scenarios are a few KiB; PyYAML reads ~100 KiB a second


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


def path_is(path: Path, kind: str) -> bool:
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


_FILE_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _exists(path: Path) -> bool:
    """True when something (a file, a folder, a FIFO, a link, even a broken one) has this name."""
    try:
        return os.path.lexists(path)
    except (OSError, ValueError):
        return False


def _regular_file_problem(path: Path, label: str, within: Path | None = None) -> Problem | None:
    """Why a path may not be read as a model file, or None.

    Why ``path`` may not be read as a model file, or None: it must be a regular file (a FIFO would
    block the reader, a device never end) and, for a file of a model directory, stay inside ``within``
    (a link to /etc/passwd must not be read, nor its lines echoed in messages). Nothing is opened.
    """
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


def _line_at(data: Any, offset: int) -> int:
    """The line of an offset in bytes or text.

    The line (from 1) of ``offset`` in ``data`` (bytes or text): LF, CRLF and CR-only (old Mac, some
    exports) line ends alike.
    """
    head = data[:offset]
    if isinstance(head, str):
        head = head.encode("utf-8", errors="replace")
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


def read_text(path: Path, label: str, problems: list[Problem], limit: int = MAX_FILE_BYTES,
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
                    if limit == MAX_FILE_BYTES else "a YAML file of a model is a few KiB; check that the right file "
                                                    "was saved here")
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
        line = _line_at(data, data.index(b"\x00"))
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
        line_start = max(data.rfind(b"\n", 0, bad_at), data.rfind(b"\r", 0, bad_at)) + 1
        line_end = min((at for at in (data.find(b"\n", bad_at), data.find(b"\r", bad_at)) if at >= 0), default=-1)
        try:
            bad_line = data[line_start: line_end if line_end >= 0 else len(data)].decode("cp932")
            pasted = _PRIVATE_USE.search(bad_line) is None
        except UnicodeDecodeError:
            pasted = False  # not cp932 either: reported below as neither
        if not looks_utf8 and pasted and any(ord(ch) >= 0x800 for ch in data[:line_start].decode("utf-8")):
            line = _line_at(data, bad_at)
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
            line = _line_at(data, bad_at)
            why = ": it looks like UTF-8 with a damaged or cut character" if looks_utf8 else ""
            problems.append(Problem(label, line, "", f"is neither UTF-8 nor cp932 (bad byte 0x{data[bad_at]:02x}){why}",
                                    "save the file as 'CSV UTF-8' (Excel) or UTF-8 text; if it was cut short, restore "
                                    "it whole"))
            return None
    if "\ufeff" in text:
        line = _line_at(text, text.index("\ufeff"))
        problems.append(Problem(label, line, "", "a byte-order mark (BOM) in the middle of the file",
                                "files were probably pasted together; delete the invisible character at the start of "
                                "this line"))
        return None
    return text


# ---------------------------------------------------------------------------------------------------
# model.yaml


@dataclass
class _Loaded:
    meta: dict[str, Any]
    problems: list[Problem]


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


def yaml_my_numbers(node: yaml.Node | None) -> list[tuple[int, str]]:
    """(line, masked number) of every valid-looking My Number in the loaded values and keys of a YAML tree."""
    return [(n.start_mark.line + 1, masked) for n in _yaml_scalars(node)
            for _pos, masked in find_my_numbers(_scalar_guard_text(n))]


def control_character_problem(label: str, text: str, exc: yaml.reader.ReaderError) -> Problem:
    """A control character (U+0001 …) YAML refuses, located at its line rather than its offset."""
    at = exc.position if isinstance(exc.position, int) and isinstance(exc.name, str) and exc.name.startswith("<") else 0
    return Problem(label, _line_at(text, at), "",
                   f"holds the control character U+{exc.character:04X}, which YAML does not allow",
                   "delete it: an invisible character pasted with the text")


def _keys_by_line(node: yaml.Node | None) -> dict[int, str]:
    """The dotted key (document.disclosure.office) each line of a model.yaml belongs to, as far as it can tell."""
    out: dict[int, str] = {}

    def walk(mapping: yaml.Node, path: str) -> None:
        if not isinstance(mapping, yaml.MappingNode):
            return
        for k, v in mapping.value:
            if not isinstance(k, yaml.ScalarNode) or find_my_numbers(str(k.value)):
                continue  # a key that is itself a number is never printed
            name = f"{path}{k.value}"
            first = k.start_mark.line + 1
            # a value's lines (a block text's too); a block's lines are its keys' (a comment after it is no key's)
            last = first if isinstance(v, yaml.MappingNode) else v.end_mark.line + (1 if v.end_mark.column else 0)
            for line in range(first, max(first, last) + 1):
                out[line] = name
            walk(v, name + ".")

    if node is not None:
        walk(node, "")
    return out


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
    text = read_text(path, label, problems, MAX_YAML_BYTES, model_dir)
    if text is None:
        return {}
    # The My Number guard reads every line as written (comments too) and every loaded value and key
    # (escapes such as "\x31", folded and split values, !!binary decoded): one problem per line.
    guard = {(lineno, masked) for lineno, line in enumerate(text.splitlines(), 1)
             for _pos, masked in find_my_numbers(line)}
    loader: ModelYamlLoader | None = None
    node: yaml.Node | None = None
    try:
        loader = ModelYamlLoader(text)  # its reader refuses control characters: a located YAMLError
        node = loader.get_single_node()
        guard |= set(yaml_my_numbers(node))
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
        problems.append(control_character_problem(label, text, exc))
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
        keys = _keys_by_line(node) if guard else {}  # a number located by its key (document.remarks) too
        for lineno, masked in sorted(guard):
            if lineno not in lines_seen:
                lines_seen.add(lineno)
                problems.append(my_number_problem(label, lineno, keys.get(lineno, ""), masked))
    keys_by_line = ([(k.start_mark.line + 1, str(k.value)) for k, _v in node.value]
                    if isinstance(node, yaml.MappingNode) else [])
    for line, column, message, hint in loader.refused:
        # the key of the value: the last key that starts on or before its line
        key = max(((first, k) for first, k in keys_by_line if first <= line), default=(0, f"column {column}"))[1]
        if message.startswith(MERGE_REFUSED):  # the merge key is dropped from the mapping: name it
            key = "<<"
        problems.append(Problem(label, line, key, message, hint))
    if data is None:
        problems.append(Problem(label, 1, "", "has no keys (the file is empty)",
                                f"write one 'key: value' line for each of "
                                f"{', '.join(k for k, (r, _) in MODEL_KEYS.items() if r)}"))
        return {}
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        problems.append(Problem(label, 1, "", "must be a mapping of keys to values",
                                "e.g. 'id: my-model' on its own line"))
        return {}
    lines: dict[str, int] = {}
    for k, _v in node.value:
        # YAML keeps the last of two equal keys without a word: a silently lost value
        if isinstance(k, yaml.ScalarNode) and str(k.value) in lines:
            problems.append(Problem(label, _yaml_line(k), str(k.value),
                                    f"appears twice (first on line {lines[str(k.value)]})",
                                    "keep one of the two lines"))
        else:
            lines[str(k.value)] = _yaml_line(k)

    def nested_duplicates(mapping: yaml.MappingNode, path: str) -> None:
        # the blocks (document:, procedure:, their sub-blocks) lose a value the same way: keys by their dotted name
        seen: dict[str, int] = {}
        for k, v in mapping.value:
            name = str(k.value) if isinstance(k, yaml.ScalarNode) else ""
            if name and name in seen:
                problems.append(Problem(label, _yaml_line(k), f"{path}.{name}",
                                        f"appears twice in {path} (first on line {seen[name]})",
                                        "keep one of the two lines"))
            elif name:
                seen[name] = _yaml_line(k)
            if isinstance(v, yaml.MappingNode):
                nested_duplicates(v, f"{path}.{name}")

    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.MappingNode):
            nested_duplicates(v, str(k.value))
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
        parsed = parse_meta_value(key_s, value, MODEL_KEYS[key_s][1], label, line, problems,
                                  _block_lines(node, key_s))
        if parsed is not None:
            meta[key_s] = parsed
    for key, (required, _kind) in MODEL_KEYS.items():
        if required and key not in data:
            problems.append(Problem(label, None, key, "required key is missing", f"add a line '{key}: …'"))
    # Canonical order, whatever order the file used.
    return {k: meta[k] for k in MODEL_KEYS if k in meta}


def _block_lines(node: yaml.MappingNode, key: str) -> dict[str, int]:
    """The line of each key nested in the block ``key`` of model.yaml, dotted (``public_comment.start``)."""
    out: dict[str, int] = {}

    def walk(block: yaml.Node, prefix: str) -> None:
        if isinstance(block, yaml.MappingNode):
            for k, v in block.value:
                name = f"{prefix}{k.value}"
                out[name] = _yaml_line(k)
                walk(v, name + ".")

    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and str(k.value) == key:
            walk(v, "")
    return out


def key_line(path: Path, key: str) -> int | None:
    """The line of the top-level ``key:`` of the YAML file ``path`` (None when it cannot be found)."""
    text = read_text(path, str(path), [], MAX_YAML_BYTES)
    pattern = re.compile(rf"['\"]?{re.escape(key)}['\"]?\s*:")
    return next((n for n, line in enumerate((text or "").splitlines(), 1) if pattern.match(line)), None)


def _check_previous(model_dir: Path, meta: dict[str, Any], label_root: str, problems: list[Problem],
                    follow: bool = True) -> list[tuple[str, Any]]:
    """``previous`` must name a model directory, and the chain of previous versions must end.

    The chain is walked once, reading only each version's ``model.yaml``, with a set of the directories
    seen (a loop, the model itself included, is reported): linear in its length. ``follow=False`` checks
    only the first link, for :func:`load_chain`, which checks each link as it loads the version.
    Problems are located on the line of ``previous``. Returns ``(id, assessed_on)`` of each earlier version
    read on the way, newest first (the model's ``earlier_versions``).
    """
    found: list[tuple[str, Any]] = []
    if "previous" not in meta:
        return found
    label = f"{label_root}/model.yaml"

    def bad(message: str, hint: str) -> None:
        problems.append(Problem(label, key_line(model_dir / "model.yaml", "previous"), "previous", message, hint))

    seen = {model_dir.resolve()}
    current = model_dir
    rel = meta["previous"]
    while isinstance(rel, str):  # a previous model's own loading reports a 'previous' that is not text
        where = "" if current == model_dir else f" (reached through the chain, from {current})"
        try:
            target = (current / rel).resolve()
            is_model = (target / "model.yaml").is_file()
        except (OSError, ValueError, RuntimeError) as exc:  # a NUL byte, a name too long, a symlink loop …
            bad(f"{shorten(rel)!r} is not a usable path{where}: {shorten(str(exc), 200)}",
                "give the path of the previous version's directory, relative to this model's directory")
            return found
        if target in seen:
            bad(f"the chain of previous versions loops back to {target}{where}",
                "a model's previous version must be an older, different model directory")
            return found
        if not is_model:
            bad(f"{shorten(rel)!r} is not a model directory{where}: no model.yaml at {target}",
                "give the path of the previous version's directory, relative to this model's directory")
            return found
        if not follow:
            return found
        seen.add(target)
        current = target
        # each version's keys read once and checked as its own loading checks them (as the workbook reader does)
        try:
            earlier = read_directory_meta(target)
        except (ModelError, OSError, ValueError):
            return found  # that model's own loading reports it
        found.append((str(earlier["id"]), earlier["assessed_on"]))
        rel = earlier.get("previous")
    return found


#: Spreadsheet suffixes that are not model workbooks (see pia_analysis.formats.workbook.OTHER_SPREADSHEET_SUFFIXES).
OTHER_SPREADSHEETS = (".xls", ".xlsm", ".xlsb", ".xltx", ".xltm", ".xlt", ".ods", ".fods", ".numbers")


def masked_name(name: str) -> str:
    """A file or folder name with its digits hidden, so that a message never repeats a number in it."""
    return "".join("*" if ch.isdecimal() else ch for ch in unicodedata.normalize("NFKC", name))


def _check_names(model_dir: Path, label_root: str, problems: list[Problem]) -> str:
    """Guard the names a model carries against My Numbers.

    The My Number guard over the names a model carries: its folder's name and the names of the files
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
                                  masked_name(model_dir.name or model_dir.resolve().name))
        problems.append(Problem(label_root, None, "",
                                f"the model folder's name holds what looks like a real My Number ({hits[0]}, valid "
                                f"check digit)",
                                "a model must hold no personal data, not even in a file or folder name: rename the "
                                "folder"))
    for folder, prefix in ((model_dir, label_root), (model_dir / "scenarios", f"{label_root}/scenarios")):
        try:
            entries = sorted(os.listdir(folder)) if path_is(folder, "dir") else []
        except OSError:
            entries = []
        for entry in entries[:10_000]:  # a model folder holds a dozen files; stops a runaway folder
            found = find_my_numbers(entry)
            if found:
                problems.append(Problem(f"{prefix}/{masked_name(entry)}", None, "",
                                        f"its name holds what looks like a real My Number ({found[0][1]}, valid check "
                                        f"digit)",
                                        "a model must hold no personal data, not even in a file name: rename or remove "
                                        "it"))
    return label_root


def table_files_key(model_dir: Path) -> tuple[bytes | None, ...] | None:
    """Fingerprint the table files of a model directory.

    A fingerprint of the table files of the model directory ``model_dir``: the SHA-256 of each, in
    format order (None for an optional table that is absent). None when it cannot stand for the tables:
    a file that is not a plain regular file (a symlink, a FIFO …), is too large or cannot be read, or a
    missing file. Two directories with the same fingerprint load the same tables.
    """
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


# ---------------------------------------------------------------------------------------------------
# CSV tables


def read_table(model_dir: Path, table: Table, label_root: str, problems: list[Problem],
               cells_left: list[int] | None = None) -> RawTable | None:
    """The typed table of one CSV file of a model, or None with located problems.

    ``cells_left``: the cells the model's tables may still hold (one counter shared by the tables of a
    model, :data:`~pia_analysis.model.schema.MAX_CELLS` at first); a table that would exceed it is refused
    at the line where it does, before its cells are parsed.
    """
    if cells_left is None:
        cells_left = [MAX_CELLS]
    if cells_left[0] < 0:  # an earlier table went past the limit (reported there): not read
        return None
    path = model_dir / table.filename
    label = f"{label_root}/{table.filename}"
    if not _exists(path):
        other = _misnamed(path)
        if table.optional_file and other is None:
            return RawTable(empty_table(table), [])
        problems.append(Problem(label, None, "", "is missing",
                                f"found {other}: rename it to {table.filename} (file names are case-sensitive)"
                                if other else
                                f"create it with the header line: "
                                f"{','.join(c.name for c in table.columns if c.required)}"))
        return None
    text = read_text(path, label, problems, within=model_dir)
    if text is None:
        return None
    if not text.strip():
        problems.append(Problem(label, 1, "", "is empty",
                                f"it needs at least the header line: {','.join(table.column_names)}"))
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for record in reader:
            if not rows and len(record) > MAX_COLUMNS:
                # refused before the rows are read: each column costs work in every check
                problems.append(Problem(label, start, f"column {MAX_COLUMNS + 1}",
                                        f"the header has {len(record):,} columns, more than the {MAX_COLUMNS} a table "
                                        f"may have",
                                        "delete the columns that are not part of the model "
                                        "(a table has about a dozen); "
                                        "the limits are in docs/model-format.md, 'Bounds'"))
                return None
            cells_left[0] -= len(record)
            if cells_left[0] < 0:
                problems.append(Problem(label, start, "",
                                        f"this line is past the limit of {MAX_CELLS:,} cells (values) for all the "
                                        f"tables of a model",
                                        "a model of the whole country has about 900,000; check that the right file was "
                                        "saved here; the limits are in docs/model-format.md, 'Bounds'"))
                return None
            rows.append((start, record))
            start = reader.line_num + 1
    except csv.Error as exc:
        problems.append(Problem(label, start, "", f"is not valid CSV ({exc})",
                                "a value with a comma, quote or line break must be in double quotes, and quotes inside "
                                "it doubled"))
        return None
    header_line, header = rows[0]
    names = [nfkc(h) for h in header]
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
            problems.append(my_number_problem(label, header_line, f"column {pos}", masked))
            ok = False
        if (invisible := invisible_problem(label, header_line, f"column {pos}", header[pos - 1].strip(EDGE_SPACES),
                                           "column name")) is not None:
            problems.append(invisible)
            ok = False
        if not name:
            problems.append(Problem(label, header_line, f"column {pos}", "has no name in the header",
                                    "give the column a name, or delete it"))
            ok = False
        elif name in seen:
            problems.append(Problem(label, header_line, name,
                                    f"appears twice in the header (columns {seen[name]} and {pos})",
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
    fast = _clean_table(spec, names, rows[1:])
    if fast is not None:
        return RawTable(typed_frame(table, fast[0], names, len(fast[1])), fast[1])
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
                    problems.append(my_number_problem(label, line,
                                                      names[pos] if pos < len(names) else f"column {pos + 1}", masked))
            if len(record) > key_pos:
                malformed.add(nfkc(record[key_pos]))
            problems.append(Problem(label, line, "",
                                    f"has {len(record)} values but the header has {len(names)} columns",
                                    "a value containing a comma must be in double quotes; check for a missing or extra "
                                    "comma"))
            continue
        for name, raw in zip(names, record):
            for _pos, masked in find_my_numbers(raw):
                problems.append(my_number_problem(label, line, name, masked))
            col = spec.get(name)
            parsed[name].append(parse_cell(col, raw, label, line, problems) if col else
                                extra_cell(name, raw, label, line, problems))
        lines.append(line)
    return RawTable(typed_frame(table, parsed, names, len(lines)), lines, frozenset(malformed))


def _clean_table(spec: dict[str, Column], names: list[str], body: list[tuple[int, list[str]]]
                 ) -> tuple[dict[str, list[Any]], list[int]] | None:
    """The parsed columns and lines of a table's rows when no cell has a problem, else None.

    Column by column (:func:`~pia_analysis.model.cells.clean_column`) instead of cell by cell: a model of the
    whole country loads in seconds. None (the caller parses cell by cell and reports, in row order) when a
    row has the wrong number of values, a cell may hold a My Number or a column is not certainly clean.
    """
    kept = [(line, record) for line, record in body if any(cell.strip() for cell in record)]  # blank lines
    if any(len(record) != len(names) for _line, record in kept):
        return None
    columns = list(zip(*(record for _line, record in kept))) or [()] * len(names)
    for column in columns:
        # An ASCII cell (its own NFKC) holds no My Number unless 12 digits stand with no letter between them
        # (letters are neither digits nor separators of digit groups). The other cells are normalised
        # together, joined with NUL (a starter nothing composes with: NFKC never crosses it), and scanned
        # one by one only when one of them has 12 digits (or a NUL of its own).
        suspects = [raw for raw in column if raw.isascii() and _TWELVE_DIGITS.search(raw)]
        others = [raw for raw in column if not raw.isascii()]
        if others:
            joined = "\x00".join(others)
            if "\x00" in "".join(others) or _TWELVE_UNICODE_DIGITS.search(unicodedata.normalize("NFKC", joined)):
                suspects += others
        if any(find_my_numbers(raw) for raw in suspects):
            return None
    parsed: dict[str, list[Any]] = {}
    for name, column in zip(names, columns):
        values = clean_column(spec.get(name), column)
        if values is None:
            return None
        parsed[name] = values
    return parsed, [line for line, _record in kept]


# 12 ASCII digits with no ASCII letter between them (the digit classes are disjoint: no backtracking).
_TWELVE_DIGITS = re.compile(r"[0-9](?:[^0-9A-Za-z]*[0-9]){11}")
# 12 digits (any Unicode decimal digit) in one of NUL-joined texts.
_TWELVE_UNICODE_DIGITS = re.compile(r"\d(?:[^\d\x00]*\d){11}")


# ---------------------------------------------------------------------------------------------------
# cross-table checks


# ---------------------------------------------------------------------------------------------------
# public API


def load_directory(model_dir: Path, check_chain: bool = True, shared: Model | None = None) -> Model:
    """Load and validate a model directory: :func:`~pia_analysis.formats.load_model` of a directory.

    Parameters
    ----------
    model_dir
        The model directory (or its ``model.yaml``).
    check_chain
        Walk the whole chain of earlier versions (``previous``), as :func:`~pia_analysis.formats.load_model`.
    shared
        A model whose table files are byte for byte this directory's (see :func:`table_files_key`), whose
        checked tables are used instead of reading them.

    Returns
    -------
    Model
        The checked, typed model.

    Raises
    ------
    ModelError
        With every problem found, located as ``root/zones.csv:LINE: column: message``.

    Examples
    --------
    >>> from pia_analysis.formats.directory import load_directory
    >>> from pia_analysis import bundled_model_path
    >>> load_directory(bundled_model_path()).id
    'kitakyushu-juki-r3'
    """
    if path_is(model_dir, "file") and model_dir.name == "model.yaml":
        model_dir = model_dir.parent
    label_root = str(model_dir)
    if not path_is(model_dir, "dir"):
        raise ModelError([Problem(label_root, None, "", "is not a directory",
                                  "give the path of a model directory (the folder holding model.yaml and the CSV "
                                  "files)")])
    problems: list[Problem] = []
    label_root = _check_names(model_dir, label_root, problems)
    meta = _read_model_yaml(model_dir, problems, label_root)
    earlier = _check_previous(model_dir, meta, label_root, problems, follow=check_chain)
    shared_ids: frozenset[str] = frozenset()
    if shared is not None and (meta.get("shared") or shared.shared_ids):
        shared = None  # an affair of a city workspace: its shared part may differ from the other version's
    if shared is None:
        cells_left = [MAX_CELLS]  # one budget for all the tables of the model
        tables = {t.name: read_table(model_dir, t, label_root, problems, cells_left) for t in TABLES}
        # the shared part of a city workspace, merged before the checks (the workbook reader does the same)
        shared_ids = merge_shared(model_dir, label_root, meta, tables, problems,
                                  {k: key_line(model_dir / "model.yaml", k) for k in ("shared", "shared_systems")
                                   if k in meta})
        check_references(tables, problems)
        if meta.get("declared_not_applicable"):
            check_declarations(meta, tables, problems, line=key_line(model_dir / "model.yaml",
                                                                     "declared_not_applicable"))
    elif meta.get("declared_not_applicable") != shared.meta.get("declared_not_applicable"):
        # the shared tables were checked against the other model's declarations: check them against these
        check_declarations(meta, {t.name: RawTable(getattr(shared, t.name), []) for t in TABLES}, problems,
                           line=key_line(model_dir / "model.yaml", "declared_not_applicable"))
    naming = Naming.directory(label_root, unlisted_by_label=False)
    if problems:
        # the names the folder holds (_check_names) are listed last, as found
        raise ModelError(naming.located(problems))
    warnings: list[Problem] = []

    def population(files: pd.DataFrame, lines: list[int] | None) -> list[Problem]:
        # (with the kind of body: both are warnings on model.yaml's own keys)
        kind = organisation_kind_warnings(meta)
        if kind:
            kind = organisation_kind_warnings(meta, key_line(model_dir / "model.yaml", "organisation_kind"))
        found = population_warnings(meta, files, lines)
        if not found:  # model.yaml is read again for the line of the key only when there is something to say
            return kind
        return kind + population_warnings(meta, files, lines, key_line(model_dir / "model.yaml", "target_population"))

    if shared is not None:
        frames = {t.name: getattr(shared, t.name) for t in TABLES}
        # the tables' warnings are the shared model's; the population's is this model.yaml's own
        warnings = [w for w in shared.warnings if w.column not in ("target_population", "organisation_kind")]
        warnings += naming.located(population(frames["files"], None))
    else:
        frames = {name: raw.frame for name, raw in tables.items() if raw is not None}
        ratings = tables["ratings"]
        frames["ratings"], warnings = fold_ratings(frames["ratings"], rated_item_table(frames["risks"]),
                                                   [(TableRef("ratings"), line) for line in ratings.lines])
        # the population is the affair's: a city workspace's shared files (the whole city's 宛名) are not its own
        own_files = ~frames["files"]["file_id"].isin(shared_ids)
        warnings = naming.located(warnings + check_glyphs(tables) + document_data_warnings(tables)
                                  + cloud_zone_warnings(tables["zones"], tables["systems"])
                                  + transit_warnings(tables) + triage_warnings(tables) + population(
            frames["files"][own_files], [line for line, own in zip(tables["files"].lines, own_files) if own]))
    return Model(meta=meta, path=model_dir.resolve(), earlier_versions=tuple(earlier), warnings=tuple(warnings),
                 shared_ids=shared_ids if shared is None else shared.shared_ids, **frames)


# ---------------------------------------------------------------------------------------------------
# the shared part of a city workspace (pia_analysis.formats.shared merges it; both readers call merge_shared)


def read_shared_part(path: str | os.PathLike[str], label: str | None = None, *, check: bool = True) -> SharedPart:
    """Read the shared part of a city workspace: each table checked cell by cell, and (``check``) its references.

    Parameters
    ----------
    path
        The shared folder (``city/shared``).
    label
        How messages name it; by default ``path`` as given.
    check
        Also check its references as a model's are checked (a shared system's zone a shared zone, a shared flow's
        ends shared systems, ids unique …). The affair loader reads it without (it checks the rows it takes, in
        their places, with its own); :func:`~pia_analysis.formats.workspace.validate_workspace` with.

    Returns
    -------
    SharedPart
        Its tables and problems (rendered: ``city/shared/systems.csv:3: zone_id: …``).

    Examples
    --------
    >>> from pathlib import Path
    >>> from pia_analysis.formats.directory import read_shared_part
    >>> part = read_shared_part(Path("tests/workspaces/good/shared"))
    >>> part.problems, part.ids("systems")[:2]
    ((), ['ATENA', 'CONBINI'])
    """
    folder = Path(path)
    label = str(path) if label is None else label
    problems: list[Problem] = []
    if not path_is(folder, "dir"):
        return SharedPart(folder, label, {}, (Problem(label, None, "", "is not a folder",
                                                      "the shared part is a folder of CSV tables (zones.csv, "
                                                      "systems.csv, files.csv, flows.csv, controls.csv)"),))
    label = _check_names(folder, label, problems)
    cells_left = [MAX_CELLS]
    tables: dict[str, RawTable] = {}
    for name in SHARED_PART_TABLES:
        table = TABLE_BY_NAME[name]
        file = folder / table.filename
        if not os.path.lexists(file):
            tables[name] = RawTable(empty_table(table), [], labels=[])
            continue
        raw = read_table(folder, table, label, problems, cells_left)
        if raw is not None:
            tables[name] = RawTable(raw.frame, raw.lines, raw.malformed_ids,
                                    labels=[SharedLabel(f"{label}/{table.filename}")] * len(raw.lines))
    others = sorted(t.filename for t in TABLES
                    if t.name not in SHARED_PART_TABLES and path_is(folder / t.filename, "file"))
    for name in others:
        problems.append(Problem(f"{label}/{name}", None, "", "is not a table of the shared part",
                                f"the shared part holds "
                                f"{', '.join(TABLE_BY_NAME[t].filename for t in SHARED_PART_TABLES)}; "
                                f"move it into the model of the affair it belongs to"))
    if check and len(tables) == len(SHARED_PART_TABLES):
        found: list[Problem] = []
        check_references({name: tables.get(name) for name in TABLE_BY_NAME}, found)
        # a shared part may define no zone or system of its own (a model may not): not a problem here
        problems += [p for p in found if not p.message.startswith("has a header but no rows")]
    naming = Naming.directory(label)
    return SharedPart(folder.resolve(), label, tables, tuple(naming.located(problems)))


def _shared_label(label_root: str, rel: str) -> str:
    return os.path.normpath(os.path.join(label_root, rel))


def merge_shared(base: Path, label_root: str, meta: dict[str, Any], tables: dict[str, RawTable | None],
                 problems: list[Problem], key_lines: dict[str, int | None] | None = None) -> frozenset[str]:
    """Merge the closure of the shared part ``meta["shared"]`` names into an affair's tables (in place).

    The one step both readers share before their cross-table checks
    (:func:`~pia_analysis.model.checks.check_references`), which then check the merged tables whole, shared rows
    located in the shared files (:func:`~pia_analysis.formats.shared.merge_part` takes the closure). A model
    without ``shared`` (and without ``holdings.csv`` or ``shared_systems``) is left as it is.

    Parameters
    ----------
    base
        The folder ``shared`` is relative to (the model directory; a workbook's folder).
    label_root
        How messages name ``base``.
    meta
        The model keys as read.
    tables
        The affair's tables as read, by name (None: unreadable); the merged tables replace them.
    problems
        Where problems are appended: neutral for the affair's rows and keys (the reader places them), located
        for the shared part's.
    key_lines
        The line (a workbook's row) of each model key, for the problems of ``shared`` and ``shared_systems``.

    Returns
    -------
    frozenset of str
        The ids of the shared rows merged (:attr:`pia_analysis.model.model.Model.shared_ids`).

    Examples
    --------
    >>> from pathlib import Path
    >>> from pia_analysis import load_model
    >>> model = load_model(Path("tests/workspaces/good/affairs/juki"))
    >>> sorted(model.shared_ids)[:3], "REG_FILE" in model.systems.set_index("system_id").at["ATENA", "holds"]
    (['ATENA', 'ATENA_FILE', 'CONBINI'], True)
    """
    key_lines = key_lines or {}
    model_ref = TableRef("model")

    def key_problem(key: str, message: str, hint: str) -> None:
        problems.append(Problem(model_ref, key_lines.get(key), key, message, hint))

    holdings = tables.get("holdings")
    rel = meta.get("shared")
    if rel is None:
        if holdings is not None and not holdings.frame.empty:
            problems.append(Problem(TableRef("holdings"), holdings.lines[0] if holdings.lines else None, "",
                                    ("lists files kept at shared systems, but ", model_ref, " names no shared part"),
                                    ("add 'shared: PATH' (the shared folder of the city workspace) to ", model_ref,
                                     ", or list the files in the holds of ", TableRef("systems"))))
        if meta.get("shared_systems"):
            key_problem("shared_systems", "lists shared systems, but no shared part is named",
                        "add 'shared: PATH' (the shared folder of the city workspace), or remove shared_systems")
        return frozenset()
    try:
        folder = (base / rel).resolve()
    except (OSError, ValueError, RuntimeError) as exc:
        key_problem("shared", f"{rel!r} is not a usable path: {exc}",
                    "give the path of the shared folder, relative to the model's folder")
        return frozenset()
    label = _shared_label(label_root, rel)
    if not path_is(folder, "dir"):
        key_problem("shared", f"{rel!r} is not a folder: nothing at {label}",
                    "give the path of the city workspace's shared folder, relative to the model's folder "
                    "(e.g. ../../shared)")
        return frozenset()
    # read once per workspace load (formats.workspace reads it for every affair): shared.remembered
    part = remembered(folder, label, lambda: read_shared_part(folder, label, check=False))
    problems.extend(part.problems)
    return merge_part(part, meta, tables, problems, key_problem)


def table_to_csv_text(frame: pd.DataFrame, table: Table) -> str:
    r"""The CSV text (``\n`` line ends) that :func:`load_model` reads back as ``frame``."""
    spec = {c.name: c for c in table.columns}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(frame.columns))
    for row in frame.itertuples(index=False, name=None):
        writer.writerow([format_cell(v, spec.get(c)) for c, v in zip(frame.columns, row)])
    return out.getvalue()


def read_directory_meta(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The checked ``model.yaml`` keys of the model directory ``path`` (no tables are read).

    Raises ModelError with the located problems of ``model.yaml``.
    """
    problems: list[Problem] = []
    meta = _read_model_yaml(Path(path), problems, str(path))
    if problems:
        raise ModelError(problems)
    return meta


def save_directory(model: Model, path: str | os.PathLike[str]) -> Path:
    """Write ``model`` as a model directory at ``path`` (created if needed); returns the directory.

    ``previous`` is rewritten relative to the new location so that the chain still resolves.
    Each file is written whole or not at all. An optional yes/no column that is FALSE in every row (zones'
    ``government_cloud``) is left out, as reading it absent gives FALSE.

    Parameters
    ----------
    model
        The model to write.
    path
        The directory.

    Returns
    -------
    pathlib.Path
        The directory written.

    Raises
    ------
    OutputRefused
        When a file there may not be replaced (a symlink, a folder).
    WriteFailed
        When writing fails.

    Examples
    --------
    >>> from pia_analysis.formats.directory import load_directory, save_directory
    >>> import tempfile
    >>> from pia_analysis import bundled_model_path
    >>> out = save_directory(load_directory(bundled_model_path()), tempfile.mkdtemp())
    >>> (out / "model.yaml").exists()
    True
    """
    from ..util.files import write_model_files

    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    meta = dict(model.meta)
    if "previous" in meta and model.path is not None:
        meta["previous"] = os.path.relpath((model.path / meta["previous"]).resolve(), out.resolve())
    files = {"model.yaml": yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)}
    dropped = []
    for table in TABLES:
        frame = getattr(model, table.name)
        if table.optional_file and frame.empty and list(frame.columns) == table.column_names:  # extra columns are kept
            dropped.append(table.filename)
            continue
        # An optional yes/no column that is FALSE in every row (zones' government_cloud) is left out: absent
        # reads as FALSE, so a model that does not use it is written as it was before the column existed.
        unused = [c.name for c in table.columns if c.kind == "bool" and not c.required and c.name in frame
                  and not frame[c.name].astype(bool).any()] + table.omitted_columns(frame)
        files[table.filename] = table_to_csv_text(frame.drop(columns=unused), table)
    # all files or none: a full disk or a symlink met half-way never leaves old and new tables mixed
    return write_model_files(out, files, remove=dropped)
