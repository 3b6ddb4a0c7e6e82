"""Open Threat Model (OTM) in: read a file, validate it, map it to a model (``pia-analysis import-otm``).

:func:`read_otm` reads an OTM document (JSON or YAML) and the line of each of its values;
:func:`validate_otm` checks it against the OTM 0.2.0 JSON schema (packaged, :func:`otm_schema`) and then
against what a model needs (ids, references), every problem at once, located as
``file:line: $.components[3].parent: message (hint: …)``; :func:`from_otm` maps it to a model
(:class:`OtmImport`: the model, what the model cannot hold — the *remainder* — and the ``model.yaml`` keys
filled with placeholders). The mapping is ``docs/interchange.md``'s table: trust zones → zones, components →
systems, dataflows → flows, assets → files, threats → extra risks, mitigations and their instances →
controls and per-element statuses. Our own columns travel in each element's ``attributes`` (as
:func:`pia_analysis.outputs.interchange.to_otm` writes them) and win, so ``export-otm`` → ``import-otm``
gives back an equal model; the tables without an OTM element travel as CSV text in ``project.attributes``.
"""

from __future__ import annotations

__all__ = ["OTM_VERSIONS", "OtmImport", "OtmText", "TRUST_BY_OPERATOR", "UNZONED", "from_otm", "import_losses",
           "import_report", "my_number_problems", "otm_schema", "read_otm", "remainder_in", "validate_otm"]

import csv
import datetime as dt
import io
import json
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .. import catalog
from ..model.cells import ID_FORBIDDEN, format_cell, invisible_character, my_number_problem, nfkc
from ..model.errors import ModelError, Problem
from ..model.model import Model
from ..model.mynumber import find_my_numbers, mask_numbers
from ..model.schema import MAX_ID_CHARS, STAGES, STATUSES, TABLE_BY_NAME, TABLES, Table
from ..model.yamlread import ModelYamlLoader
from .directory import MAX_FILE_BYTES

#: The OTM versions read (0.1.0: the OTM project's first example; 0.2.0: what ``export-otm`` writes).
OTM_VERSIONS = ("0.1.0", "0.2.0")
#: The zone given, as an assumption, to components outside every trust zone.
UNZONED = "UNZONED"
#: OTM trust rating (0–100, higher = more trusted) of a zone by its operator: what ``export-otm`` writes
#: and the nearest of which ``import-otm`` assumes. A cloud provider's platform (the government cloud) ranks
#: below the state and above a contractor: it meets the state's security standard (ISMAP) and does not
#: handle the data, but the city does not run it.
TRUST_BY_OPERATOR = {"city": 100, "national": 90, "jlis": 90, "cloud_provider": 80, "contractor": 70,
                     "subcontractor": 50, "other_body": 40, "resident": 20}
#: The trust rating of an internet-facing zone is at most this.
INTERNET_TRUST = 10
#: The entry likelihood assumed for a foreign component that faces the internet or is tagged external
#: (DESIGN18 Q4: OTM has no entry points, and without one every exposure would be 0).
ASSUMED_ENTRY = 0.1
#: Our status of an OTM mitigation-instance state (others: ``unknown``, listed in the remainder).
STATUS_OF_STATE = {"implemented": "implemented", "required": "planned", "recommended": "missing"}
# weakest last: a tie between instance states resolves to the weaker status (the cautious reading)
_STRENGTH = {s: i for i, s in enumerate(STATUSES)}
#: Project attributes that carry what OTM has no element for (written by export-otm, read back first).
MODEL_YAML_ATTRIBUTE = "pia-model.yaml"
TABLE_ATTRIBUTE = "pia-table:"
EXTRA_COLUMNS_ATTRIBUTE = "pia-extra-columns"
#: The tables that have an OTM element (OTM collection, key); every other travels as ``pia-table:<name>``.
ELEMENT_TABLES = {"zones": "trustZones", "systems": "components", "flows": "dataflows", "files": "assets",
                  "controls": "mitigations"}
# the model.yaml keys a foreign document leaves as placeholders (the values `new` writes)
_PLACEHOLDERS = {
    "title_ja": "（題名を記入してください）",
    "title_en": "(type the title)",
    "organisation": "（評価実施機関を記入してください）",
    "affairs": "（事務の名称を記入してください）",
    "target_population": 0,
}
_MY_NUMBER_WORDS = ("my number", "mynumber", "my-number", "個人番号", "マイナンバー")
# a description that says the asset holds no My Number (checked after NFKC and lower-casing)
_MY_NUMBER_NEGATION_JA = re.compile(r"(個人番号|マイナンバー)[^。\n]{0,8}?(含まない|含みません|含まず|なし|無し)")
_MY_NUMBER_NEGATION_EN = re.compile(
    r"\b(no|not|without|excluding)\b[^.\n]{0,30}?my[ -]?numbers?|my[ -]?numbers?\b[^.\n]{0,20}?\b(not|no|none)\b")
_ENCRYPTED_WORDS = ("encrypted", "tls", "https", "sftp", "ssh", "vpn")
# kind from a component's type and tags (first match wins; tags are read before the type)
_KIND_WORDS = (("external", ("external", "actor", "user", "human")),
               ("store", ("database", "db", "storage", "store", "bucket", "file-system", "filesystem")),
               ("terminal", ("web-client", "browser", "mobile", "client", "terminal", "desktop")),
               ("network", ("network", "firewall", "gateway", "load-balancer", "router", "vpn")))
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# ---------------------------------------------------------------------------------------------------
# reading


@lru_cache(maxsize=1)
def otm_schema() -> dict[str, Any]:
    """The OTM 0.2.0 JSON schema (draft-07), as packaged (IriusRisk, Apache-2.0).

    Returns
    -------
    dict
        The schema.

    Examples
    --------
    >>> from pia_analysis.formats.otm import otm_schema
    >>> otm_schema()["$id"]
    'https://iriusrisk.com/schema/otm-0.2.0.schema.json'
    """
    text = resources.files("pia_analysis.formats").joinpath("otm_schema-0.2.0.json").read_text(encoding="utf-8")
    return json.loads(text)


def _json_path(path: tuple) -> str:
    """``$.components[3].parent`` for the path ``("components", 3, "parent")``."""
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENTIFIER.fullmatch(str(part)):
            out += f".{part}"
        else:
            out += "[" + json.dumps(str(part), ensure_ascii=False) + "]"
    return out


def _compose(text: str) -> yaml.Node | None:
    """The node tree of a YAML or JSON text (JSON is read as YAML for its lines); None when it cannot be composed."""
    try:
        loader = ModelYamlLoader(text)
        try:
            return loader.get_single_node()
        finally:
            loader.dispose()
    except (yaml.YAMLError, RecursionError):
        return None


def _node_lines(root: yaml.Node | None) -> dict[tuple, int]:
    """Path → line (1-based) of each value of a composed document; empty when there is none.

    A mapping's entry is located at its key, an item of a list at its start.
    """
    lines: dict[tuple, int] = {}
    stack: list[tuple[tuple, Any, int]] = [((), root, 1)] if root is not None else []
    while stack:
        path, node, line = stack.pop()
        lines[path] = line
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    stack.append(((*path, key.value), value, key.start_mark.line + 1))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                stack.append(((*path, i), item, item.start_mark.line + 1))
    return lines


def duplicate_keys(root: yaml.Node | None) -> list[tuple[tuple, int, int]]:
    """(path, first line, line) of every key given twice in one mapping (JSON and YAML readers keep the last)."""
    out: list[tuple[tuple, int, int]] = []
    stack: list[tuple[tuple, Any]] = [((), root)] if root is not None else []
    seen_nodes: set[int] = set()
    while stack:
        path, node = stack.pop()
        if id(node) in seen_nodes:  # an alias repeats a node already walked
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                name = str(key.value) if isinstance(key, yaml.ScalarNode) else None
                if name is not None and name in first:
                    out.append(((*path, name), first[name], key.start_mark.line + 1))
                elif name is not None:
                    first[name] = key.start_mark.line + 1
                stack.append(((*path, name if name is not None else "?"), value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(((*path, i), item) for i, item in enumerate(node.value))
    return sorted(out, key=lambda d: d[2])


def _shown_path(path: tuple) -> str:
    """:func:`_json_path` with every valid-looking My Number in a key masked (a key is printed as it is)."""
    return _json_path(tuple(mask_numbers(p) if isinstance(p, str) else p for p in path))


def _data_my_numbers(doc: Any) -> list[tuple[tuple, str]]:
    """(path, masked number) of every valid-looking My Number in a document's keys and values, in order.

    Every key and every scalar is read (numbers too: JSON's 123456789018 is a number), each container once.
    """
    out: list[tuple[tuple, str]] = []
    stack: list[tuple[tuple, Any]] = [((), doc)]
    seen: set[int] = set()
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict | list):
            if id(value) in seen:
                continue
            seen.add(id(value))
            entries = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
            for k, v in reversed(entries):
                sub = (*path, str(k) if isinstance(value, dict) else k)
                stack.append((sub, v))
                if isinstance(value, dict):
                    stack.append((sub, _KeyText(str(k))))
            continue
        if value is None or isinstance(value, bool):
            continue
        text = f"{value:.0f}" if isinstance(value, float) and value.is_integer() else str(value)
        out += [(path, masked) for _pos, masked in find_my_numbers(text)]
    return out


class _KeyText(str):
    """A key's text on the walk of :func:`_data_my_numbers` (read as a scalar, never descended into)."""


def my_number_problems(doc: Any, label: str, lines: dict[tuple, int] | None = None) -> list[Problem]:
    r"""Every valid-looking My Number in a document (keys and values), located and masked, as the loader refuses them.

    A model describes systems and holds no personal data: an imported document holding a real-looking My
    Number is refused before anything is mapped, printed or written (the number shown as ``**** **** **18``).

    Parameters
    ----------
    doc
        The document's data (an OTM or Threagile document as read).
    label
        The file the problems name.
    lines
        Path → line of the document's values (:func:`read_otm`'s), if known.

    Returns
    -------
    list of Problem
        ``label:line: $.path: contains what looks like a real My Number (**** **** **18, …)`` per hit; a key
        holding one is shown masked in the path.

    Examples
    --------
    >>> from pia_analysis.formats.otm import my_number_problems
    >>> print(*my_number_problems({"project": {"name": "番号 123456789018 の件"}, "123456789018": 1}, "m.json"),
    ...       sep="\n")  # doctest: +NORMALIZE_WHITESPACE
    m.json: $.project.name: contains what looks like a real My Number (**** **** **18, valid check digit)
    (hint: a model describes systems and must hold no personal data: remove the number)
    m.json: $["************"]: contains what looks like a real My Number (**** **** **18, valid check digit)
    (hint: a model describes systems and must hold no personal data: remove the number)
    """
    known = OtmText(doc, lines or {}, label)
    return [my_number_problem(label, known.line(path), _shown_path(path), masked)  # type: ignore[arg-type]
            for path, masked in dict.fromkeys(_data_my_numbers(doc))]  # the same number twice in one value: once


@dataclass(frozen=True)
class OtmText:
    """A read OTM document: its data, the line of each value, and the label its problems carry."""

    doc: Any
    lines: dict[tuple, int]
    label: str
    #: the text, until its lines are worked out: composing a large JSON document with the YAML composer takes
    #: seconds, and a valid document (the common case) never needs a line
    pending: list[str] = field(default_factory=list, repr=False, compare=False)

    def line(self, path: tuple) -> int | None:
        """The line of the value at ``path``, or of its nearest enclosing value (None: unknown)."""
        if self.pending:
            self.lines.update(_node_lines(_compose(self.pending.pop())))
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]

    def problem(self, path: tuple, message: str, hint: str = "") -> Problem:
        """A problem located at ``path``: ``label:line: $.path: message (hint: …)``."""
        return Problem(self.label, self.line(path), _json_path(path), message, hint)


def read_otm(path: str | Path) -> OtmText:
    """Read an OTM document (``.json``, or ``.yaml``/``.yml``) and the line of each of its values.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    OtmText
        ``doc`` (the data), ``lines`` (path → line) and ``label`` (the file as given).

    Raises
    ------
    ModelError
        When the file cannot be read, is too large, or is not JSON / YAML (located at the line).

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> from pia_analysis.formats.otm import read_otm
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.otm.json"
    >>> _ = p.write_text(json.dumps({"otmVersion": "0.2.0", "project": {"name": "x", "id": "x"}}, indent=1))
    >>> otm = read_otm(p)
    >>> otm.doc["project"]["id"], otm.line(("project", "id"))
    ('x', 5)
    """
    p = Path(path)
    label = str(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ModelError([Problem(label, None, "", f"is {size:,} bytes, more than the {MAX_FILE_BYTES:,} read",
                                      "an OTM document of a model is a few hundred KiB at most")])
        data = p.read_bytes()
    except IsADirectoryError:
        raise ModelError([Problem(label, None, "", "is a folder, not an OTM file",
                                  "give the .json or .yaml file of an Open Threat Model")]) from None
    except OSError as exc:
        raise ModelError([Problem(label, None, "", f"cannot be read: {exc.strerror or exc}",
                                  "give the .json or .yaml file of an Open Threat Model")]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ModelError([Problem(label, line, "", "is not UTF-8 text", "save the file as UTF-8")]) from None
    twice: list[str] = []  # keys a JSON object gives twice (json keeps the last)
    if p.suffix.lower() in (".yaml", ".yml"):
        try:
            loader = ModelYamlLoader(text)
            try:
                doc = loader.get_single_data()
            finally:
                loader.dispose()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            tagged = "constructor for the tag" in str(exc.problem or exc)
            raise ModelError([Problem(label, mark.line + 1 if mark else None, "",
                                      f"is not valid YAML: {exc.problem or exc}",
                                      "only plain data is read: remove the tag (!!python/… and the like)" if tagged
                                      else "check the indentation and quoting at that line")]) from None
        except (yaml.YAMLError, RecursionError) as exc:
            raise ModelError([Problem(label, None, "", f"is not valid YAML: {exc}", "")]) from None
        refused = list(getattr(loader, "refused", []))
        if refused:
            raise ModelError([Problem(label, line, "", message, hint) for line, _c, message, hint in refused])
    else:
        def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
            names = [k for k, _v in items]
            twice.extend(k for k, n in Counter(names).items() if n > 1)
            return dict(items)

        try:
            doc = json.loads(text, object_pairs_hook=pairs)
        except json.JSONDecodeError as exc:
            raise ModelError([Problem(label, exc.lineno, "", f"is not valid JSON: {exc.msg} (column {exc.colno})",
                                      "an OTM file is JSON (.json) or YAML (.yaml)")]) from None
        except RecursionError:
            raise ModelError([Problem(label, None, "", "is nested too deeply to read", "")]) from None
    # before anything else reads the document: a real-looking My Number is refused wherever it is. A JSON
    # document is composed for its lines only when something must be located (composing is slow)
    if not twice and p.suffix.lower() not in (".yaml", ".yml") and not my_number_problems(doc, label):
        return OtmText(doc, {}, label, [text])
    root = _compose(text)
    lines = _node_lines(root)
    problems = my_number_problems(doc, label, lines)
    duplicates = duplicate_keys(root)
    problems += [Problem(label, line, _shown_path(path), f"the key {path[-1]!r} is given twice in one mapping "
                         f"(first on line {first})", "JSON and YAML readers keep only the last value silently: "
                         "remove or rename one") for path, first, line in duplicates]
    if twice and not duplicates:  # the JSON could not be composed for its lines: named, not located
        problems += [Problem(label, None, "", f"the key {name!r} is given twice in one object",
                             "JSON readers keep only the last value silently: remove or rename one")
                     for name in sorted(set(twice))]
    if problems:
        raise ModelError(sorted(problems, key=lambda q: (q.line or 0, q.column)))
    return OtmText(doc, lines, label)


# ---------------------------------------------------------------------------------------------------
# validation


def _brief(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _schema_problem(otm: OtmText, error: Any) -> Problem:
    """One jsonschema error as a located problem, with a hint by the kind of rule broken."""
    path = tuple(error.absolute_path)
    kind = error.validator
    if kind == "required":
        missing = re.match(r"'([^']*)'", error.message)
        key = missing.group(1) if missing else "?"
        return otm.problem(path, f"the key {key!r} is missing", f"add {key}: it is required here by OTM 0.2.0")
    if kind == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        article = "an" if str(expected)[:1] in "aeiou" else "a"
        return otm.problem(path, f"{_brief(error.instance)} is not of type {expected}",
                           f"write {article} {expected} here")
    if kind in ("minimum", "maximum"):
        return otm.problem(path, f"{_brief(error.instance)} is outside the range allowed",
                           f"OTM wants a {kind} of {error.validator_value}")
    if kind == "oneOf" and path and path[-1] == "parent" and isinstance(error.instance, dict):
        both = "trustZone" in error.instance and "component" in error.instance
        return otm.problem(path, "names both a trustZone and a component" if both else
                           "names neither a trustZone nor a component",
                           "a parent is one trust zone or one component: keep one" if both else
                           "write {\"trustZone\": \"<zone id>\"} or {\"component\": \"<component id>\"}")
    if kind in ("oneOf", "anyOf"):
        many = "valid under each of" in error.message
        return otm.problem(path, f"{_brief(error.instance)} fits {'more than one' if many else 'none'} of the forms "
                           "OTM allows here", f"see the OTM schema's {'/'.join(map(str, error.absolute_schema_path))}")
    if kind == "enum":
        allowed = ", ".join(map(str, error.validator_value))
        return otm.problem(path, f"{_brief(error.instance)} is not one of the values OTM allows",
                           f"write one of {allowed}")
    if kind == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {}))) if isinstance(
            error.instance, dict) else []
        return otm.problem(path, f"has key(s) OTM does not define here: {', '.join(map(repr, extra))}",
                           "remove them, or move them into attributes")
    return otm.problem(path, error.message if len(error.message) <= 200 else error.message[:199] + "…",
                       f"see the OTM schema's rule {kind!r} at {'/'.join(map(str, error.absolute_schema_path))}")


def _items(doc: dict, key: str) -> list[tuple[int, dict]]:
    value = doc.get(key)
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)] if isinstance(value, list) else []


def _ids(doc: dict, key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, item in _items(doc, key):
        if isinstance(item.get("id"), str):
            out.setdefault(item["id"], i)
    return out


def _id_problem(otm: OtmText, path: tuple, value: str) -> Problem | None:
    """Q5: an id we cannot keep as it is (spaces, ; , * @, invisible characters, too long) is an error."""
    if ID_FORBIDDEN.search(value):
        return otm.problem(path, f"the id {value!r} holds a space or one of ; , * @, which a model id may not hold",
                           "rename it (e.g. replace them with -) in the OTM file and in every reference to it")
    if len(value) > MAX_ID_CHARS:
        return otm.problem(path, f"the id has {len(value)} characters, more than the {MAX_ID_CHARS} of a model id",
                           "give it a shorter id in the OTM file and in every reference to it")
    invisible = invisible_character(value)
    if invisible:
        return otm.problem(path, f"the id holds the invisible character {invisible}", "retype the id")
    if not value.strip():
        return otm.problem(path, "the id is empty", "give every element an id")
    return None


def _semantic_problems(otm: OtmText) -> list[Problem]:
    """What the schema does not check and a model needs: versions, unique ids, references that resolve."""
    doc = otm.doc
    problems: list[Problem] = []
    version = doc.get("otmVersion")
    if isinstance(version, str) and version not in OTM_VERSIONS:
        problems.append(otm.problem(("otmVersion",), f"OTM version {version!r} is not read",
                                    f"the versions read are {', '.join(OTM_VERSIONS)}"))
    seen_elements: dict[str, tuple] = {}
    for key in ("trustZones", "components", "dataflows", "assets", "threats", "mitigations"):
        seen: dict[str, int] = {}
        for i, item in _items(doc, key):
            value = item.get("id")
            if not isinstance(value, str):
                continue
            bad = _id_problem(otm, (key, i, "id"), value)
            if bad:
                problems.append(bad)
            if value in seen:
                problems.append(otm.problem((key, i, "id"), f"the id {value!r} is used twice in {key}",
                                            f"{key}[{seen[value]}] has it too: give each an id of its own"))
            seen.setdefault(value, i)
            if key in ("components", "dataflows"):
                # systems and flows share one namespace in a model (a control's applies_to names either)
                if value in seen_elements and seen_elements[value][0] != key:
                    other = seen_elements[value]
                    problems.append(otm.problem((key, i, "id"), f"the id {value!r} names a component and a dataflow",
                                                f"{_json_path(other)} has it too: a control's elements are named "
                                                "by id, so rename one"))
                seen_elements.setdefault(value, (key, i))
    zones, components = _ids(doc, "trustZones"), _ids(doc, "components")
    assets, threats, mitigations = _ids(doc, "assets"), _ids(doc, "threats"), _ids(doc, "mitigations")
    for key in ("trustZones", "components"):
        for i, item in _items(doc, key):
            parent = item.get("parent")
            if not isinstance(parent, dict):
                continue
            for kind, known in (("trustZone", zones), ("component", components)):
                ref = parent.get(kind)
                if isinstance(ref, str) and ref not in known:
                    problems.append(otm.problem((key, i, "parent", kind), f"{ref!r} is not the id of any {kind} "
                                                f"({'trustZones' if kind == 'trustZone' else 'components'})",
                                                "name an element the document defines, or leave the parent out"))
    # a trust zone (or component) inside itself, through its parents, has no place to be drawn
    for key, kind, what, known in (("trustZones", "trustZone", "trust zone", zones),
                                   ("components", "component", "component", components)):
        parent_of = {item["id"]: item["parent"][kind] for _i, item in _items(doc, key)
                     if isinstance(item.get("id"), str) and isinstance(item.get("parent"), dict)
                     and isinstance(item["parent"].get(kind), str)}
        for eid, i in known.items():
            here, walked = eid, set()
            while here in parent_of and here not in walked:
                walked.add(here)
                here = parent_of[here]
            if here == eid and eid in parent_of:
                problems.append(otm.problem((key, i, "parent"), f"the {what} {eid!r} lies inside itself "
                                            "through its parents", "break the cycle of parents"))
    for i, item in _items(doc, "dataflows"):
        for end in ("source", "destination"):
            ref = item.get(end)
            if isinstance(ref, str) and ref not in components and ref not in zones:
                problems.append(otm.problem(("dataflows", i, end), f"{ref!r} is neither a component nor a trust zone",
                                            "a dataflow runs between components defined in the document"))
    for key in ("components", "dataflows"):
        for i, item in _items(doc, key):
            holder = item.get("assets")
            lists = ([(("assets", part), holder.get(part)) for part in ("processed", "stored")]
                     if isinstance(holder, dict) else [(("assets",), holder)])
            for where, refs in lists:
                for j, ref in enumerate(refs if isinstance(refs, list) else []):
                    if isinstance(ref, str) and ref not in assets:
                        problems.append(otm.problem((key, i, *where, j), f"{ref!r} is not the id of any asset",
                                                    "define it under assets, or remove it here"))
            for j, instance in enumerate(item.get("threats") or [] if isinstance(item.get("threats"), list) else []):
                if not isinstance(instance, dict):
                    continue
                ref = instance.get("threat")
                if isinstance(ref, str) and ref not in threats:
                    problems.append(otm.problem((key, i, "threats", j, "threat"), f"{ref!r} is not the id of any "
                                                "threat", "define it under threats, or remove the instance"))
                for k, mitigation in enumerate(instance.get("mitigations") or []
                                               if isinstance(instance.get("mitigations"), list) else []):
                    ref = mitigation.get("mitigation") if isinstance(mitigation, dict) else None
                    if isinstance(ref, str) and ref not in mitigations:
                        problems.append(otm.problem((key, i, "threats", j, "mitigations", k, "mitigation"),
                                                    f"{ref!r} is not the id of any mitigation",
                                                    "define it under mitigations, or remove the instance"))
    return problems


def _yaml_text_problems(otm: OtmText, path: tuple, text: str) -> tuple[Any, list[Problem]]:
    """A YAML text inside an attribute, read as model.yaml is read: its data, or its problems (line of the text)."""
    loader = ModelYamlLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1} of the text)" if mark else ""
        return None, [otm.problem(path, f"is not valid YAML{where}: {exc.problem or exc}",
                                  "export-otm writes it: export the model again rather than editing it by hand")]
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        return None, [otm.problem(path, f"is not valid YAML: {str(exc)[:120]}",
                                  "export-otm writes it: export the model again rather than editing it by hand")]
    finally:
        loader.dispose()
    problems = [otm.problem(path, f"line {line} of the text: {message}", hint)
                for line, _column, message, hint in loader.refused]
    problems += [otm.problem(path, f"line {line} of the text: the key {name[-1]!r} is given twice (first on line "
                             f"{first})", "remove or rename one: YAML keeps only the last value silently")
                 for name, first, line in duplicate_keys(node)]
    return data, problems


def _own_attribute_problems(otm: OtmText) -> list[Problem]:
    """Our own project attributes (export-otm's) that are malformed: an error, never a foreign attribute.

    ``pia-model.yaml`` must be the YAML text of a mapping (plain data, keys once), ``pia-extra-columns`` the
    JSON text of an object of column lists by table, and each ``pia-table:NAME`` the CSV text of a table of a
    model.
    """
    project = otm.doc.get("project")
    attrs = project.get("attributes") if isinstance(project, dict) else None
    if not isinstance(attrs, dict):
        return []
    problems: list[Problem] = []
    base = ("project", "attributes")
    if MODEL_YAML_ATTRIBUTE in attrs:
        path, text = (*base, MODEL_YAML_ATTRIBUTE), attrs[MODEL_YAML_ATTRIBUTE]
        if not isinstance(text, str):
            problems.append(otm.problem(path, f"is {type(text).__name__}, not the text of a model.yaml",
                                        "export-otm writes model.yaml as one string: export the model again"))
        else:
            data, found = _yaml_text_problems(otm, path, text)
            problems += found
            if not found and not isinstance(data, dict):
                what = "empty" if data is None else f"a {type(data).__name__}"
                problems.append(otm.problem(path, f"is {what}, not a mapping of model.yaml keys",
                                            "it holds model.yaml as export-otm writes it (id: …, title_ja: …)"))
    if EXTRA_COLUMNS_ATTRIBUTE in attrs:
        path, text = (*base, EXTRA_COLUMNS_ATTRIBUTE), attrs[EXTRA_COLUMNS_ATTRIBUTE]
        hint = 'export-otm writes it as JSON text: {"systems": ["owner"]} (extra columns by table)'
        twice: list[str] = []

        def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
            twice.extend(k for k, n in Counter(k for k, _v in items).items() if n > 1)
            return dict(items)

        try:
            extra = json.loads(text, object_pairs_hook=pairs) if isinstance(text, str) else None
        except (ValueError, RecursionError) as exc:
            problems.append(otm.problem(path, f"is not valid JSON: {getattr(exc, 'msg', exc)}", hint))
        else:
            if not isinstance(extra, dict) or not all(
                    isinstance(v, list) and all(isinstance(c, str) for c in v) for v in extra.values()):
                problems.append(otm.problem(path, "is not an object of column-name lists by table", hint))
            else:
                problems += [otm.problem(path, f"names {t!r}, which is not a table of a model",
                                         f"the tables are {', '.join(sorted(TABLE_BY_NAME))}")
                             for t in extra if t not in TABLE_BY_NAME]
            problems += [otm.problem(path, f"gives the key {k!r} twice", "give each table once")
                         for k in sorted(set(twice))]
    for key, value in sorted(attrs.items()):
        if not key.startswith(TABLE_ATTRIBUTE):
            continue
        path, table = (*base, key), key[len(TABLE_ATTRIBUTE):]
        if table not in TABLE_BY_NAME:
            problems.append(otm.problem(path, f"names {table!r}, which is not a table of a model",
                                        f"the tables are {', '.join(sorted(TABLE_BY_NAME))}"))
        elif not isinstance(value, str):
            problems.append(otm.problem(path, f"is {type(value).__name__}, not the CSV text of the table",
                                        "export-otm writes each table as CSV text: export the model again"))
    return problems


def _unzoned_component(error: Any) -> bool:
    """The one departure from the schema: a component without a parent (or an empty one) is read as unzoned.

    OTM 0.2.0 requires every component's parent, but the tools it stands between do not: pytm's and
    Threagile's elements may lie outside every boundary. Such a component goes to the zone ``UNZONED``, as an
    assumption the import report lists.
    """
    path = tuple(error.absolute_path)
    if len(path) == 2 and path[0] == "components" and error.validator == "required":
        return "'parent'" in error.message
    return (len(path) == 3 and path[0] == "components" and path[2] == "parent"
            and error.instance in ({}, None) and error.validator in ("oneOf", "type"))


def validate_otm(otm: OtmText) -> list[Problem]:
    r"""Every problem of an OTM document: the OTM 0.2.0 schema's, then what a model needs.

    Schema errors come from ``jsonschema``'s Draft 7 validator (all of them, sorted by place; a component
    without a parent is read as unzoned, not refused); then the
    version (0.1.0 or 0.2.0), unique ids (components and dataflows share one namespace), ids a model can keep,
    parents, dataflow ends, and asset, threat and mitigation references that resolve.

    Parameters
    ----------
    otm
        The document, as :func:`read_otm` returns it (or ``OtmText(doc, {}, label)`` for a document in memory).

    Returns
    -------
    list of Problem
        Located ``label:line: $.path: message (hint: …)``; empty when the document can be imported.

    Examples
    --------
    >>> from pia_analysis.formats.otm import OtmText, validate_otm
    >>> doc = {"otmVersion": "0.2.0", "project": {"name": "x", "id": "x"},
    ...        "components": [{"id": "A", "name": "a", "type": "web", "parent": {"trustZone": "Z"}}]}
    >>> print(*validate_otm(OtmText(doc, {}, "m.otm")), sep="\n")  # doctest: +NORMALIZE_WHITESPACE
    m.otm: $.components[0].parent.trustZone: 'Z' is not the id of any trustZone (trustZones)
    (hint: name an element the document defines, or leave the parent out)
    """
    import jsonschema

    numbers = my_number_problems(otm.doc, otm.label, otm.lines)
    if numbers:  # refused before any other check can repeat a value (Problem masks it too)
        return numbers
    if not isinstance(otm.doc, dict):
        return [otm.problem((), f"the document is {type(otm.doc).__name__}, not a mapping of OTM keys",
                            "an OTM document starts with otmVersion and project")]
    validator = jsonschema.Draft7Validator(otm_schema())
    errors = sorted(validator.iter_errors(otm.doc), key=lambda e: ([str(p) for p in e.absolute_path], e.message))
    problems = [_schema_problem(otm, e) for e in errors if not _unzoned_component(e)]
    # semantic checks read only what is well formed: a value of the wrong type was reported above
    problems += _semantic_problems(otm)
    problems += _own_attribute_problems(otm)
    return sorted(problems, key=lambda p: (p.line or 0, p.column))


# ---------------------------------------------------------------------------------------------------
# mapping


@dataclass(frozen=True)
class OtmImport:
    """What :func:`from_otm` gives: the model, what it could not hold, and the placeholder keys.

    Attributes
    ----------
    model : Model
        The imported model (``path`` None).
    remainder : pandas.DataFrame
        What the model does not hold: ``otm_path, otm_id, what, reason``, in document order.
    placeholders : tuple of str
        The ``model.yaml`` keys holding placeholders (as ``pia-analysis new`` writes them) to fill in.
    assumptions : pandas.DataFrame
        The rows whose values were guessed: ``table, id, assumption``.
    kept_source : int
        Rows whose ``source`` came from our own attributes (a document ``export-otm`` wrote).
    """

    model: Model
    remainder: pd.DataFrame
    placeholders: tuple[str, ...]
    assumptions: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["table", "id", "assumption"]))
    kept_source: int = 0


def _has_column(table: str, column: str) -> bool:
    return column in TABLE_BY_NAME[table].column_names if table in TABLE_BY_NAME else False


def _words(item: dict) -> list[str]:
    tags = item.get("tags") if isinstance(item.get("tags"), list) else []
    return [str(t).lower() for t in tags if t is not None]


def _any_word(text: str, words: tuple[str, ...]) -> bool:
    text = nfkc(text).lower()
    return any(w in text for w in words)


def _negates_my_number(text: str) -> bool:
    text = nfkc(text).lower()
    return bool(_MY_NUMBER_NEGATION_JA.search(text) or _MY_NUMBER_NEGATION_EN.search(text))


def _my_number_guess(item: dict) -> tuple[bool, str]:
    """Whether an asset holds My Numbers (a guess), and what was read for it.

    The name and tags are read; the description too, unless it says the file holds none
    (「個人番号は含まない」, "without My Number"): a negated mention is not evidence.
    """
    said = f"{item.get('name') or ''} {' '.join(_words(item))}"
    description = str(item.get("description") or "")
    if description and _negates_my_number(description):
        return _any_word(said, _MY_NUMBER_WORDS), "its name and tags (its description says none)"
    return _any_word(f"{said} {description}", _MY_NUMBER_WORDS), \
        "its name, tags and description" if description else "its name and tags"


def _nearest_operator(rating: float) -> str:
    # the nearest rating export-otm writes; ties go to the less trusted operator (the cautious reading)
    return min(TRUST_BY_OPERATOR, key=lambda op: (abs(TRUST_BY_OPERATOR[op] - rating), TRUST_BY_OPERATOR[op], op))


def _kind(item: dict) -> str:
    tags = _words(item)
    kind_text = str(item.get("type") or "").lower()
    for kind, words in _KIND_WORDS:
        if any(t in words for t in tags):
            return kind
    for kind, words in _KIND_WORDS:
        if kind != "external" and any(w in kind_text for w in words):
            return kind
    return "system"


def _cell(value: Any, table: str, column: str) -> str:
    col = TABLE_BY_NAME[table].column(column) if _has_column(table, column) else None
    return format_cell(value, col)


class _Builder:
    """Rows of each table as cell texts, where each came from, and the remainder."""

    def __init__(self, otm: OtmText, file: str):
        self.otm = otm
        self.file = file
        self.rows: dict[str, list[dict[str, str]]] = {t.name: [] for t in TABLES}
        self.origin: dict[str, list[tuple]] = {t.name: [] for t in TABLES}  # OTM path of each row
        self.extra: dict[str, list[str]] = {t.name: [] for t in TABLES}
        self.remainder: list[dict[str, str]] = []
        self.assumptions: list[dict[str, str]] = []
        self.kept_source = 0
        self.csv_tables: dict[str, str] = {}  # pia-table:<name> texts

    def ref(self, collection: str, element_id: str) -> str:
        return f"otm:{self.file}#/{collection}/{element_id}"

    def source(self, collection: str, element_id: str, table: str, assumptions: list[str]) -> str:
        if assumptions:
            text = "; ".join(assumptions)
            self.assumptions.append({"table": table, "id": element_id, "assumption": text})
            return f"assumption: {text}; {self.ref(collection, element_id)}"
        return self.ref(collection, element_id)

    def left(self, path: tuple, otm_id: str, what: str, reason: str) -> None:
        self.remainder.append({"otm_path": _json_path(path), "otm_id": otm_id, "what": what, "reason": reason})

    def add(self, table: str, row: dict[str, Any], path: tuple, ours: dict[str, str] | None = None) -> None:
        cells = {k: v if isinstance(v, str) and k not in TABLE_BY_NAME[table].column_names else _cell(v, table, k)
                 for k, v in row.items()}
        if ours:
            cells.update(ours)  # our own columns win over what the OTM elements say
            if "source" in ours or "source_ref" in ours:
                self.kept_source += 1
        for name in cells:
            if name not in TABLE_BY_NAME[table].column_names and name not in self.extra[table]:
                self.extra[table].append(name)
        self.rows[table].append(cells)
        self.origin[table].append(path)


def _our_attributes(item: dict, table: str, extra: dict[str, list[str]]) -> dict[str, str] | None:
    """The columns an element's attributes carry for us (export-otm wrote them), or None for a foreign element.

    An element is ours when its attributes hold the table's key equal to its id; then the format's columns
    and the extra columns the project lists are read from them (each as the cell text a CSV holds).
    """
    attrs = item.get("attributes")
    spec = TABLE_BY_NAME[table]
    if not isinstance(attrs, dict) or str(attrs.get(spec.key, "")) != str(item.get("id")):
        return None
    wanted = set(spec.column_names) | set(extra.get(table, []))
    return {k: "" if v is None else str(v) for k, v in attrs.items() if k in wanted}


def _description(b: _Builder, item: dict, path: tuple, what: str) -> None:
    """A foreign element's description, in the remainder: a row has names only."""
    if str(item.get("description") or "").strip():
        b.left((*path, "description"), str(item.get("id", "")), f"{what} description", "a row has a name only")


def _foreign_attributes(b: _Builder, item: dict, path: tuple, ours: dict | None) -> None:
    attrs = item.get("attributes")
    if ours is None and isinstance(attrs, dict):
        for key in sorted(attrs):
            b.left((*path, "attributes", key), str(item.get("id", "")), f"attribute {key}",
                   "a model has no column for a foreign attribute")


def _map_project(b: _Builder, doc: dict, assessed_on: dt.date) -> tuple[dict[str, Any], list[str]]:
    project = doc.get("project") or {}
    attrs = project.get("attributes") if isinstance(project.get("attributes"), dict) else {}
    text = attrs.get(MODEL_YAML_ATTRIBUTE)
    if isinstance(text, str):
        try:
            meta = yaml.load(text, Loader=ModelYamlLoader)
        except yaml.YAMLError:
            meta = None
        if isinstance(meta, dict):
            return meta, []
    placeholders: list[str] = []
    model_id = ID_FORBIDDEN.sub("-", nfkc(str(project.get("id") or ""))).strip("-")[:MAX_ID_CHARS] or "otm-import"
    name = str(project.get("name") or "").strip()
    meta: dict[str, Any] = {"id": model_id}
    for key in ("title_ja", "title_en"):
        if name:
            meta[key] = name
        else:
            meta[key] = _PLACEHOLDERS[key]
            placeholders.append(key)
    owner = str(project.get("owner") or "").strip()
    meta["organisation"] = owner or _PLACEHOLDERS["organisation"]
    if not owner:
        placeholders.append("organisation")
    meta["affairs"] = _PLACEHOLDERS["affairs"]
    meta["assessed_on"] = assessed_on.isoformat()
    meta["target_population"] = 0
    placeholders += ["affairs", "assessed_on", "target_population"]
    if project.get("description"):
        b.left(("project", "description"), str(project.get("id", "")), "project description",
               "model.yaml has no key for it")
    if project.get("ownerContact"):
        b.left(("project", "ownerContact"), str(project.get("id", "")), "owner contact",
               "model.yaml has no key for a contact (the model holds no personal data)")
    for key in sorted(attrs):
        if not key.startswith(TABLE_ATTRIBUTE) and key != EXTRA_COLUMNS_ATTRIBUTE:
            b.left(("project", "attributes", key), str(project.get("id", "")), f"project attribute {key}",
                   "model.yaml has no key for a foreign attribute")
    return meta, placeholders


def _zone_of(doc: dict) -> tuple[dict[str, str | None], dict[str, str]]:
    """Component id → its zone (through parent components), and id → the component it lies in."""
    parent_zone: dict[str, str | None] = {}
    parent_comp: dict[str, str] = {}
    for _i, item in _items(doc, "components"):
        parent = item.get("parent") if isinstance(item.get("parent"), dict) else {}
        parent_zone[item["id"]] = parent.get("trustZone")
        if parent.get("component"):
            parent_comp[item["id"]] = parent["component"]
    out: dict[str, str | None] = {}
    for cid in parent_zone:
        here, seen = cid, set()
        while parent_zone.get(here) is None and here in parent_comp and here not in seen:
            seen.add(here)
            here = parent_comp[here]
        out[cid] = parent_zone.get(here)
    return out, parent_comp


def _map(otm: OtmText, file: str, assessed_on: dt.date) -> tuple[_Builder, dict[str, Any], list[str]]:
    doc = otm.doc
    b = _Builder(otm, file)
    project_attrs = (doc.get("project") or {}).get("attributes") or {}
    extra: dict[str, list[str]] = {}
    if isinstance(project_attrs.get(EXTRA_COLUMNS_ATTRIBUTE), str):
        try:
            extra = {str(k): [str(c) for c in v] for k, v in json.loads(project_attrs[EXTRA_COLUMNS_ATTRIBUTE]).items()}
        except (ValueError, AttributeError, TypeError):
            extra = {}
    for key, value in sorted(project_attrs.items()):
        if key.startswith(TABLE_ATTRIBUTE) and isinstance(value, str) and key[len(TABLE_ATTRIBUTE):] in TABLE_BY_NAME:
            b.csv_tables[key[len(TABLE_ATTRIBUTE):]] = value
    meta, placeholders = _map_project(b, doc, assessed_on)
    for i, rep in _items(doc, "representations"):
        b.left(("representations", i), str(rep.get("id", "")), "representation", "a model draws its own diagrams")

    # trust zones → zones
    ratings: dict[str, float] = {}
    for i, item in _items(doc, "trustZones"):
        zid = item["id"]
        path = ("trustZones", i)
        ours = _our_attributes(item, "zones", extra)
        rating = (item.get("risk") or {}).get("trustRating") if isinstance(item.get("risk"), dict) else None
        rating = float(rating) if isinstance(rating, (int, float)) else 50.0
        ratings[zid] = rating
        operator = _nearest_operator(rating)
        row = {"zone_id": zid, "name_ja": str(item.get("name") or zid), "name_en": str(item.get("name") or ""),
               "internet_facing": rating <= INTERNET_TRUST, "operator": operator}
        parent = (item.get("parent") or {}).get("trustZone") if isinstance(item.get("parent"), dict) else None
        if parent:
            if _has_column("zones", "parent_zone"):
                row["parent_zone"] = parent
            elif ours is None or "parent_zone" not in (ours or {}):
                b.left((*path, "parent"), zid, "parent trust zone", "this version of the format has no parent_zone")
        if ours is None:
            row["source"] = b.source("trustZones", zid, "zones", [
                f"internet_facing and operator ({operator}) from trustRating {rating:g}"])
            row["otm_type"] = str(item.get("type") or "")
            _description(b, item, path, "trust zone")
        _foreign_attributes(b, item, path, ours)
        if ours is None:
            for j, _rep in enumerate(item.get("representations") or []):
                b.left((*path, "representations", j), zid, "representation", "a model draws its own diagrams")
        b.add("zones", row, path, ours)

    # components → systems (processed − stored → processes); entry points per DESIGN18 Q4
    zone_of, parent_comp = _zone_of(doc)
    unzoned = sorted(cid for cid, z in zone_of.items() if z is None)
    if unzoned:
        b.add("zones", {"zone_id": UNZONED, "name_ja": "区域外（取込時に補完）",
                        "name_en": "outside every zone (import)", "internet_facing": False, "operator": "city",
                        "source": f"assumption: import-otm: {len(unzoned)} components had no trust zone "
                                  f"({', '.join(unzoned[:5])}{' …' if len(unzoned) > 5 else ''}); "
                                  f"otm:{file}#/components"}, ("components",))
        b.assumptions.append({"table": "zones", "id": UNZONED,
                              "assumption": f"{len(unzoned)} components had no trust zone"})
    operator_of_zone = {r["zone_id"]: r.get("operator", "city") for r in b.rows["zones"]}
    for i, item in _items(doc, "components"):
        cid = item["id"]
        path = ("components", i)
        ours = _our_attributes(item, "systems", extra)
        zone = zone_of.get(cid) or UNZONED
        held = item.get("assets") if isinstance(item.get("assets"), dict) else {}
        stored = [a for a in (held.get("stored") or []) if isinstance(a, str)]
        processed = [a for a in (held.get("processed") or []) if isinstance(a, str) and a not in stored]
        tags = _words(item)
        external = "external" in tags or _kind(item) == "external"
        facing = ratings.get(zone, 100.0) <= INTERNET_TRUST
        guesses = [f"kind from type {item.get('type') or '(none)'}", f"operator of zone {zone}"]
        entry = 0.0
        if external or facing:
            entry = ASSUMED_ENTRY
            why = "tagged external" if external else "internet-facing zone"
            guesses.append(f"entry_likelihood {ASSUMED_ENTRY} ({why})")
        if zone == UNZONED:
            guesses.append("no trust zone")
        row: dict[str, Any] = {"system_id": cid, "name_ja": str(item.get("name") or cid),
                               "name_en": str(item.get("name") or ""), "zone_id": zone, "kind": _kind(item),
                               "operator": operator_of_zone.get(zone, "city"), "holds": sorted(set(stored)),
                               "entry_likelihood": entry}
        if _has_column("systems", "processes"):
            # a component's processed assets include what its flows carry through it (export-otm writes them
            # so); only the rest is kept as processes, which the flows' check would otherwise refuse
            row["processes"] = sorted(set(processed))
        elif processed and ours is None:
            b.left((*path, "assets", "processed"), cid, "processed assets", "this version of the format has no "
                   "processes column")
        if ours is None:
            if cid in parent_comp:
                row["otm_parent_component"] = parent_comp[cid]
                b.left((*path, "parent", "component"), cid, f"inside component {parent_comp[cid]}",
                       f"a system lies in a zone: placed in its ancestor's zone {zone}")
            row["source"] = b.source("components", cid, "systems", guesses)
            row["otm_type"] = str(item.get("type") or "")
            row["otm_tags"] = ";".join(tags)
            _description(b, item, path, "component")
            for j, _rep in enumerate(item.get("representations") or []):
                b.left((*path, "representations", j), cid, "representation", "a model draws its own diagrams")
        _foreign_attributes(b, item, path, ours)
        b.add("systems", row, path, ours)

    # assets → files
    for i, item in _items(doc, "assets"):
        aid = item["id"]
        path = ("assets", i)
        ours = _our_attributes(item, "files", extra)
        my_number, read = _my_number_guess(item)
        row = {"file_id": aid, "name_ja": str(item.get("name") or aid), "name_en": str(item.get("name") or ""),
               "records": 0, "contains_my_number": my_number, "items": []}
        if ours is None:
            row["source"] = b.source("assets", aid, "files", [
                "records 0 (not given)", f"contains_my_number {'true' if my_number else 'false'} from {read}"])
            _description(b, item, path, "asset")
            if isinstance(item.get("risk"), dict):
                b.left((*path, "risk"), aid, "confidentiality, integrity, availability",
                       "a file is rated by its records and My Numbers, not by CIA values")
        _foreign_attributes(b, item, path, ours)
        b.add("files", row, path, ours)

    # dataflows → flows (an end that is a trust zone has no system: the flow is left)
    components = {item["id"] for _i, item in _items(doc, "components")}
    for i, item in _items(doc, "dataflows"):
        fid = item["id"]
        path = ("dataflows", i)
        ours = _our_attributes(item, "flows", extra)
        ends = (item.get("source"), item.get("destination"))
        if not all(end in components for end in ends):
            b.left(path, fid, "dataflow", "an end is a trust zone, not a component: a flow runs between systems")
            continue
        tags = _words(item)
        encrypted = any(t in _ENCRYPTED_WORDS for t in tags)
        stage = next((t for t in tags if t in STAGES), None)
        guesses = [] if stage else ["stage use (not given)"]
        if not encrypted:
            guesses.append("encrypted false (no encryption tag)")
        row = {"flow_id": fid, "source": ends[0], "target": ends[1],
               "files": sorted({a for a in (item.get("assets") or []) if isinstance(a, str)}),
               "stage": stage or "use", "channel": "", "interactive": bool(item.get("bidirectional")),
               "encrypted": encrypted}
        if ours is None:
            row["source_ref"] = b.source("dataflows", fid, "flows", guesses)
            row["otm_tags"] = ";".join(tags)
            _description(b, item, path, "dataflow")
            for j, _rep in enumerate(item.get("representations") or []):
                b.left((*path, "representations", j), fid, "representation", "a model draws its own diagrams")
        _foreign_attributes(b, item, path, ours)
        b.add("flows", row, path, ours)

    # threats → extra risks (a catalogue risk is already in every model)
    catalogue = set(catalog.risk_catalog()["risk_id"])
    threat_ids: set[str] = set()
    for i, item in _items(doc, "threats"):
        tid = item["id"]
        path = ("threats", i)
        attrs = item.get("attributes") if isinstance(item.get("attributes"), dict) else {}
        if tid in catalogue or attrs.get("origin") in ("catalog", "model"):
            threat_ids.add(tid)
            if attrs.get("origin") not in ("catalog", "model"):  # a foreign threat naming a catalogue risk
                for key, what in (("name", "threat name"), ("risk", "likelihood and impact"),
                                  ("description", "threat description")):
                    if item.get(key) not in (None, "", {}, []):
                        b.left((*path, key), tid, what, "a catalogue risk id: the catalogue's name and the "
                               "model's analyses are used")
            continue  # a catalogue item, or an extra risk of ours (pia-table:risks carries it)
        categories = [str(c).lower() for c in (item.get("categories") or []) if c is not None]
        stage = next((c for c in categories if c in STAGES), None)
        b.add("risks", {"risk_id": tid, "stage": stage or "use", "name_ja": str(item.get("name") or tid),
                        "name_en": str(item.get("name") or ""),
                        "source": b.source("threats", tid, "risks",
                                           [] if stage else ["stage use (no stage category)"])}, path)
        threat_ids.add(tid)
        for key in ("risk", "cwes"):
            if item.get(key):
                b.left((*path, key), tid, {"risk": "likelihood and impact", "cwes": "CWE ids"}[key],
                       "the analyses derive likelihood and impact from the model; a risk item has no CWE")
        if item.get("description"):
            b.left((*path, "description"), tid, "threat description", "a risk item has a name only")
        others = [str(c) for c in (item.get("categories") or []) if c is not None and str(c).lower() not in STAGES]
        if others:  # STRIDE and the like: the stage is the only category a risk item has
            b.left((*path, "categories"), tid, f"threat categories {', '.join(others)}",
                   "a risk item has a stage only")
        if item.get("references"):
            b.left((*path, "references"), tid, "threat references", "a risk item has a name only")
        _foreign_attributes(b, item, path, None)

    # mitigations + their instances → controls and per-element statuses
    instances: dict[str, list[tuple[str, str, str, tuple]]] = {}  # mitigation → (element, threat, state, path)
    for key in ("components", "dataflows"):
        for i, item in _items(doc, key):
            for j, instance in enumerate(item.get("threats") or []):
                if not isinstance(instance, dict):
                    continue
                if instance.get("state") and _our_attributes(item, "systems" if key == "components" else "flows",
                                                              extra) is None:
                    b.left((key, i, "threats", j, "state"), item["id"], f"threat state {instance['state']}",
                           "threat states are re-derived from the controls by the analyses")
                for k, m in enumerate(instance.get("mitigations") or []):
                    if isinstance(m, dict) and isinstance(m.get("mitigation"), str):
                        instances.setdefault(m["mitigation"], []).append(
                            (item["id"], str(instance.get("threat")), str(m.get("state") or ""),
                             (key, i, "threats", j, "mitigations", k, "state")))
    imported = {r["system_id"] for r in b.rows["systems"]} | {r["flow_id"] for r in b.rows["flows"]}
    for i, item in _items(doc, "mitigations"):
        mid = item["id"]
        path = ("mitigations", i)
        ours = _our_attributes(item, "controls", extra)
        found = [x for x in instances.get(mid, []) if x[0] in imported]
        if ours is None and not found:
            b.left(path, mid, "mitigation", "no component or dataflow applies it: a control needs elements")
            continue
        states: dict[str, str] = {}
        seen: dict[str, set[str]] = {}  # element → the statuses its instances say
        for element, _threat, state, where in found:
            status = STATUS_OF_STATE.get(state, "unknown")
            if state not in STATUS_OF_STATE and ours is None:
                b.left(where, mid, f"mitigation state {state or '(none)'}", "read as unknown")
            # one status per element: the weaker when instances of several threats differ (said as a guess)
            states[element] = max(states.get(element, status), status, key=_STRENGTH.get)
            seen.setdefault(element, set()).add(status)
        counts = Counter(states.values())
        status = max(counts, key=lambda s: (counts[s], _STRENGTH[s])) if counts else "unknown"
        reduction = item.get("riskReduction")
        row = {"control_id": mid, "name_ja": str(item.get("name") or mid), "name_en": str(item.get("name") or ""),
               "mitigates": sorted({t for _e, t, _s, _w in found if t in threat_ids}),
               "applies_to": sorted(states), "status": status,
               "effectiveness": min(max(float(reduction) / 100, 0.0), 1.0) if isinstance(reduction, (int, float))
               else 0.0}
        if ours is None:
            guesses = ["status: the most frequent instance state"] if len(set(states.values())) > 1 else []
            guesses += [f"status on {element}: the weaker of {', '.join(sorted(seen[element], key=_STRENGTH.get))}"
                        for element in sorted(seen) if len(seen[element]) > 1]
            if not isinstance(reduction, (int, float)):
                guesses.append("effectiveness 0 (no riskReduction)")
            row["source"] = b.source("mitigations", mid, "controls", guesses)
            if item.get("description"):
                b.left((*path, "description"), mid, "mitigation description", "a control has a name only")
            if "control_status" in TABLE_BY_NAME and "control_status" not in b.csv_tables:
                for element in sorted(states):
                    if states[element] != status:
                        b.add("control_status", {"control_id": mid, "element": element, "status": states[element],
                                                 "source": b.ref("mitigations", mid)}, path)
        _foreign_attributes(b, item, path, ours)
        b.add("controls", row, path, ours)
    return b, meta, placeholders


def _csv_text(table: Table, rows: list[dict[str, str]], extra: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = table.column_names + [c for c in extra if c not in table.column_names]
    writer.writerow(names)
    for row in rows:
        writer.writerow([row.get(c, "") for c in names])
    return out.getvalue()


#: a model table → the OTM collection its rows come from, and the element's name (for "no rows" problems)
_COLLECTION_OF = {"zones": ("trustZones", "trust zone"), "systems": ("components", "component")}


def _relocate(problems: list[Problem] | tuple[Problem, ...], b: _Builder, folder: Path) -> list[Problem]:
    """Problems the loader found in the written tables, located back in the OTM document."""
    by_file = {t.filename: t.name for t in TABLES}
    out = []
    for p in problems:
        name = Path(p.file).name if str(p.file).startswith(str(folder)) or "/" not in str(p.file) else ""
        table = by_file.get(name)
        if table and table in b.csv_tables:
            path = ("project", "attributes", TABLE_ATTRIBUTE + table)
            where = f"{_json_path(path)} line {p.line}" if p.line else _json_path(path)
            out.append(Problem(b.otm.label, b.otm.line(path), f"{where}: {p.column}" if p.column else where,
                               p.message, p.hint))
        elif table and p.line and 2 <= p.line <= len(b.origin[table]) + 1:
            path = b.origin[table][p.line - 2]
            element = b.otm.doc
            for part in path:
                element = element[part] if isinstance(element, (dict, list)) else None
            ours = isinstance(element, dict) and isinstance(element.get("attributes"), dict) \
                and p.column in element["attributes"]
            column = f"{_json_path(path)}.attributes.{p.column}" if ours else \
                f"{_json_path(path)} ({p.column})" if p.column else _json_path(path)
            hint = p.hint
            if table == "flows" and p.column == "files" and isinstance(element, dict):
                # the model's hint names systems.csv, which an OTM user does not have: say it in OTM's terms
                hint = (f"a dataflow's assets must be stored or processed by its source or destination: add the "
                        f"asset to assets.stored or assets.processed of component {element.get('source')!r} or "
                        f"{element.get('destination')!r}, or remove it from this dataflow's assets")
            out.append(Problem(b.otm.label, b.otm.line(path), column, p.message, hint))
        elif table in _COLLECTION_OF and not b.rows[table]:
            # an empty table the model needs (no trust zone, no component): say it in OTM's terms
            collection, element = _COLLECTION_OF[table]
            path = (collection,) if collection in b.otm.doc else ()
            out.append(Problem(b.otm.label, b.otm.line(path), f"$.{collection}",
                               f"has no {element}: a model needs at least one",
                               f"add a {element} to {collection}"))
        elif name == "model.yaml":
            path = ("project",)
            out.append(Problem(b.otm.label, b.otm.line(path),
                               f"{_json_path(path)} ({p.column})" if p.column else _json_path(path), p.message, p.hint))
        else:
            out.append(Problem(b.otm.label, None, p.column, p.message, p.hint))
    return out


def from_otm(otm: OtmText | dict[str, Any], file: str | None = None, *,
             assessed_on: dt.date | None = None) -> OtmImport:
    """Map a valid OTM document to a model (see ``docs/interchange.md``, "Import").

    The document is validated first (:func:`validate_otm`). Each element's our own columns (its
    ``attributes``, as ``export-otm`` writes them) win over what the OTM fields give; a foreign row's
    ``source`` names the element (``otm:<file>#/<collection>/<id>``), prefixed ``assumption: …;`` when a
    value was guessed. The rows are then written as a model directory in a temporary folder and loaded, so
    the model passes every check a model directory passes; a problem is located back in the document.

    Parameters
    ----------
    otm
        The document: :func:`read_otm`'s result, or the data (then located without lines).
    file
        The file name ``source`` cells name (default: the label's file name).
    assessed_on
        The ``assessed_on`` placeholder of a foreign document (default: today).

    Returns
    -------
    OtmImport
        The model, the remainder, the placeholder keys, the assumptions.

    Raises
    ------
    ModelError
        With every located problem when the document cannot be imported (nothing is made).

    Examples
    --------
    >>> import datetime
    >>> from pia_analysis import bundled_model_path, load_model, to_otm
    >>> from pia_analysis.formats.otm import from_otm
    >>> model = load_model(bundled_model_path())
    >>> back = from_otm(to_otm(model), "juki.otm.json").model
    >>> back.systems.sort_values("system_id", ignore_index=True).equals(
    ...     model.systems.sort_values("system_id", ignore_index=True))
    True
    >>> from_otm({"otmVersion": "0.2.0", "project": {"name": "Shop", "id": "shop"},
    ...           "components": [{"id": "WEB", "name": "Web", "type": "web-server"}]},
    ...          assessed_on=datetime.date(2026, 4, 1)).model.systems["zone_id"].tolist()
    ['UNZONED']
    """
    if not isinstance(otm, OtmText):
        otm = OtmText(otm, {}, file or "otm")
    file = file or Path(otm.label).name
    problems = validate_otm(otm)
    if problems:
        raise ModelError(problems)
    b, meta, placeholders = _map(otm, file, assessed_on or dt.date.today())
    population = meta.get("target_population")
    with tempfile.TemporaryDirectory(prefix="pia-otm-") as tmp:
        folder = Path(tmp) / "model"
        folder.mkdir()
        # the placeholder population (0) is refused by the loader: the rest is checked with 1 in its place
        checked = dict(meta, target_population=1) if population == 0 else dict(meta)
        # the earlier version named by previous is not beside the temporary folder: it is checked where the
        # model is written (validate), and kept as written
        previous = checked.pop("previous", None)
        (folder / "model.yaml").write_text(yaml.safe_dump(checked, allow_unicode=True, sort_keys=False),
                                           encoding="utf-8")
        for table in TABLES:
            if table.name in b.csv_tables:
                text = b.csv_tables[table.name]
                if table.name in ("risks",):  # foreign threats join the extra risks of ours
                    text = _merge_rows(table, text, b.rows[table.name], b.extra[table.name])
                (folder / table.filename).write_text(text, encoding="utf-8")
            elif b.rows[table.name] or not table.optional_file:
                (folder / table.filename).write_text(_csv_text(table, b.rows[table.name], b.extra[table.name]),
                                                     encoding="utf-8")
        try:
            from . import load_model

            model = load_model(folder, check_chain=False)
        except ModelError as exc:
            raise ModelError(_relocate(exc.problems, b, folder)) from None
        warnings = tuple(_relocate(model.warnings, b, folder))
    meta_out = dict(model.meta, target_population=population) if population == 0 else dict(model.meta)
    if previous is not None:
        # (model.yaml's own key order: previous sits where the document's model.yaml had it)
        meta_out = {k: meta_out[k] if k != "previous" else previous for k in meta if k in meta_out or k == "previous"}
    model = model.replace(path=None, meta=meta_out, warnings=warnings)
    remainder = pd.DataFrame(b.remainder, columns=["otm_path", "otm_id", "what", "reason"])
    assumptions = pd.DataFrame(b.assumptions, columns=["table", "id", "assumption"])
    return OtmImport(model, remainder, tuple(placeholders), assumptions, b.kept_source)


def _merge_rows(table: Table, text: str, rows: list[dict[str, str]], extra: list[str]) -> str:
    """A ``pia-table`` CSV text with foreign rows appended (their columns added)."""
    if not rows:
        return text
    reader = list(csv.reader(io.StringIO(text)))
    header = reader[0] if reader else table.column_names
    names = header + [c for c in [*table.column_names, *extra] if c not in header]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for line in reader[1:]:
        writer.writerow(line + [""] * (len(names) - len(line)))
    for row in rows:
        writer.writerow([row.get(c, "") for c in names])
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------
# what an import into an existing model directory would lose


def import_losses(doc: dict[str, Any], folder: str | Path, lang: str = "en") -> list[tuple[str, str]]:
    """What ``import-otm --force`` into ``folder`` would lose: each model file and the data in it.

    An import writes model.yaml, the tables an OTM document carries and ``import-report.md``; saving the
    model removes every other table file. A file is a loss when it holds data the document does not carry:

    - a table with rows that has no OTM element and no ``pia-table:<name>`` in ``project.attributes``
      (``triage.csv``, ``ratings.csv``, ``recipients.csv`` …; our own export carries each);
    - model.yaml keys filled in (not the placeholders) that a foreign document (no ``pia-model.yaml``
      attribute) does not give (``affairs``, ``target_population`` …; ``id``, the titles and
      ``organisation`` come from the project, ``assessed_on`` is the day of the import);
    - ``records`` or ``items`` of a file whose asset is foreign (an OTM asset has neither).

    Parameters
    ----------
    doc
        The OTM document (``read_otm(path).doc``; ``{}`` for a document translated from another format,
        which carries nothing of ours).
    folder
        The existing model directory.
    lang
        ``en`` or ``ja``: the language of what would be lost.

    Returns
    -------
    list of (str, str)
        ``(file name, what would be lost)``, in the order of the model's files; empty when nothing is.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from pia_analysis import bundled_model_path, load_model, save_model, to_otm
    >>> from pia_analysis.formats.otm import import_losses
    >>> model = load_model(bundled_model_path())
    >>> folder = Path(tempfile.mkdtemp()) / "m"
    >>> _ = save_model(model, folder)
    >>> import_losses(to_otm(model), folder)  # our own export carries every table
    []
    >>> foreign = {"otmVersion": "0.2.0", "project": {"name": "x", "id": "x"}}
    >>> [name for name, _what in import_losses(foreign, folder)][:3]
    ['model.yaml', 'files.csv', 'ratings.csv']
    """
    folder = Path(folder)
    project = doc.get("project") if isinstance(doc.get("project"), dict) else {}
    attrs = project.get("attributes") if isinstance(project.get("attributes"), dict) else {}
    carried = set(ELEMENT_TABLES) | {"risks", "control_status"} | {
        key[len(TABLE_ATTRIBUTE):] for key in attrs if str(key).startswith(TABLE_ATTRIBUTE)}
    losses: list[tuple[str, str]] = []
    meta_path = folder / "model.yaml"
    if meta_path.is_file() and not isinstance(attrs.get(MODEL_YAML_ATTRIBUTE), str):
        try:
            meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError, OSError):
            meta = None
        given = {"id", "assessed_on"} | ({"title_ja", "title_en"} if str(project.get("name") or "").strip()
                                         else set()) | ({"organisation"} if str(project.get("owner") or "").strip()
                                                        else set())
        if isinstance(meta, dict):
            filled = [str(k) for k, v in meta.items() if k not in given and v not in (None, "", [], {})
                      and v != _PLACEHOLDERS.get(str(k))]
            if filled:
                losses.append(("model.yaml", ("filled-in keys the document does not give (they would become "
                                              "placeholders): " if lang == "en" else
                                              "記入済みで文書にないキー（仮の値に戻ります）: ") + ", ".join(filled)))
    for table in TABLES:
        path = folder / table.filename
        if not path.is_file():
            continue
        try:
            rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        except (UnicodeDecodeError, OSError, csv.Error):
            rows = [{}]  # unreadable: whatever it holds is the user's
        if table.name not in carried:
            if rows:
                losses.append((table.filename, f"{len(rows)} row(s); the document does not carry this table "
                               "(the import would delete it)" if lang == "en" else
                               f"{len(rows)} 行。文書はこの表を運ばない（取込で消えます）"))
        elif table.name == "files":
            ours = {str(item.get("id")) for _i, item in _items(doc, "assets")
                    if _our_attributes(item, "files", {}) is not None}
            kept = [str(r.get("file_id") or "") for r in rows if str(r.get("file_id") or "") not in ours
                    and (str(r.get("records") or "").strip() not in ("", "0")
                         or str(r.get("items") or "").strip() not in ("", "[]"))]
            if kept:
                more = f" … ({len(kept)})" if len(kept) > 5 else ""
                what = "records and items (an OTM asset carries neither) of " if lang == "en" else \
                    "records と items（OTM の資産はどちらも運ばない）: "
                losses.append((table.filename, what + ", ".join(kept[:5]) + more))
    return losses


# ---------------------------------------------------------------------------------------------------
# the report


# The report in Japanese: the remainder's what/why and the assumptions are made in English (they are also
# the data of the source cells); each pattern below gives its Japanese. Checked whole (fullmatch) in order,
# a text no pattern matches (a Threagile entry, written by its translator) is shown as it is.
_ELEMENT_JA = {"trust zone": "トラストゾーン", "component": "コンポーネント", "asset": "資産",
               "dataflow": "データフロー", "threat": "脅威", "mitigation": "対策", "project": "プロジェクト"}
_WHAT_JA = (
    (r"(trust zone|component|asset|dataflow|threat|mitigation|project) description",
     lambda m: f"{_ELEMENT_JA[m[1]]}の説明"),
    (r"owner contact", "所有者の連絡先（ownerContact）"),
    (r"project attribute (.+)", r"プロジェクトの属性 \1"),
    (r"attribute (.+)", r"属性 \1"),
    (r"representation", "図（representation）"),
    (r"parent trust zone", "親のトラストゾーン"),
    (r"processed assets", "処理する資産（assets.processed）"),
    (r"inside component (.+)", r"コンポーネント \1 の内側"),
    (r"confidentiality, integrity, availability", "機密性・完全性・可用性（risk）"),
    (r"dataflow", "データフロー"),
    (r"likelihood and impact", "発生可能性と影響（risk）"),
    (r"CWE ids", "CWE の番号"),
    (r"threat name", "脅威の名前"),
    (r"threat categories (.+)", r"脅威の分類 \1"),
    (r"threat references", "脅威の参考文献（references）"),
    (r"threat state (.+)", r"脅威の状態 \1"),
    (r"mitigation state (.+)", r"対策の状態 \1"),
    (r"mitigation", "対策（mitigation）"),
)
_WHY_JA = (
    (r"model\.yaml has no key for it", "model.yaml に対応するキーがない"),
    (r"model\.yaml has no key for a contact \(the model holds no personal data\)",
     "model.yaml に連絡先のキーはない（モデルは個人情報を持たない）"),
    (r"model\.yaml has no key for a foreign attribute", "model.yaml に他のツールの属性のキーはない"),
    (r"a model draws its own diagrams", "図はモデルから描く"),
    (r"a model has no column for a foreign attribute", "モデルに他のツールの属性の列はない"),
    (r"this version of the format has no (parent_zone|processes column)", r"この版の形式には \1 がない"),
    (r"a system lies in a zone: placed in its ancestor's zone (.+)",
     r"システムはゾーンに置かれる: 外側のコンポーネントのゾーン \1 に置いた"),
    (r"a row has a name only", "行は名前しか持たない"),
    (r"a file is rated by its records and My Numbers, not by CIA values",
     "ファイルは CIA の値でなく件数と個人番号の有無で評価する"),
    (r"an end is a trust zone, not a component: a flow runs between systems",
     "端がコンポーネントでなくトラストゾーン: 流れはシステムの間を結ぶ"),
    (r"the analyses derive likelihood and impact from the model; a risk item has no CWE",
     "発生可能性と影響は分析がモデルから求める。リスク項目に CWE はない"),
    (r"a risk item has a name only", "リスク項目は名前しか持たない"),
    (r"a risk item has a stage only", "リスク項目の分類は段階だけ"),
    (r"a catalogue risk id: the catalogue's name and the model's analyses are used",
     "カタログのリスク ID: カタログの名前とモデルの分析を使う"),
    (r"threat states are re-derived from the controls by the analyses", "脅威の状態は分析が対策から求め直す"),
    (r"read as unknown", "unknown（不明）として読んだ"),
    (r"no component or dataflow applies it: a control needs elements",
     "どのコンポーネントにもデータフローにも適用されていない: 対策には適用先が要る"),
    (r"a control has a name only", "対策は名前しか持たない"),
)
_ASSUMPTION_JA = (
    (r"internet_facing and operator \((.+)\) from trustRating (.+)",
     r"internet_facing と operator（\1）を trustRating \2 から推定"),
    (r"(\d+) components had no trust zone", r"トラストゾーンのないコンポーネントが \1 個"),
    (r"kind from type (.+)", r"kind を type \1 から推定"),
    (r"operator of zone (.+)", r"operator はゾーン \1 のもの"),
    (r"entry_likelihood (\S+) \(tagged external\)", r"entry_likelihood \1（external のタグ）"),
    (r"entry_likelihood (\S+) \(internet-facing zone\)", r"entry_likelihood \1（インターネットに面したゾーン）"),
    (r"no trust zone", "トラストゾーンなし"),
    (r"records 0 \(not given\)", "records 0（記載なし）"),
    (r"contains_my_number (true|false) from its name and tags \(its description says none\)",
     r"contains_my_number \1（名前とタグから。説明は個人番号を含まないと言う）"),
    (r"contains_my_number (true|false) from its name, tags and description",
     r"contains_my_number \1（名前・タグ・説明から）"),
    (r"contains_my_number (true|false) from its name and tags", r"contains_my_number \1（名前とタグから）"),
    (r"stage use \(not given\)", "stage use（記載なし）"),
    (r"stage use \(no stage category\)", "stage use（段階の category なし）"),
    (r"encrypted false \(no encryption tag\)", "encrypted false（暗号化のタグなし）"),
    (r"status: the most frequent instance state", "status は最も多い適用状態"),
    (r"status on (.+): the weaker of (.+)", r"\1 での status は適用状態 \2 のうち弱いほう"),
    (r"effectiveness 0 \(no riskReduction\)", "effectiveness 0（riskReduction なし）"),
)


def _in_japanese(text: str, patterns: tuple) -> str:
    for pattern, ja in patterns:
        m = re.fullmatch(pattern, text)
        if m:
            return ja(m) if callable(ja) else m.expand(ja)
    return text


def _assumption_in_japanese(text: str) -> str:
    return "、".join(_in_japanese(part, _ASSUMPTION_JA) for part in text.split("; "))


def remainder_in(remainder: pd.DataFrame, lang: str = "ja") -> pd.DataFrame:
    """The remainder with its ``what`` and ``reason`` in a language (as the import report shows them).

    Parameters
    ----------
    remainder
        :class:`OtmImport`'s ``remainder`` (``otm_path``, ``otm_id``, ``what``, ``reason``; English).
    lang
        ``ja`` (each known text in Japanese; a text written elsewhere, as a Threagile entry, is kept) or
        ``en`` (unchanged).

    Returns
    -------
    pandas.DataFrame
        A copy, same columns and rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from pia_analysis.formats.otm import remainder_in
    >>> rows = pd.DataFrame([{"otm_path": "$.assets[0].description", "otm_id": "a", "what": "asset description",
    ...                       "reason": "a row has a name only"}])
    >>> remainder_in(rows, "ja")[["what", "reason"]].values.tolist()
    [['資産の説明', '行は名前しか持たない']]
    """
    out = remainder.copy()
    if lang == "ja" and len(out):
        out["what"] = [_in_japanese(str(t), _WHAT_JA) for t in out["what"]]
        out["reason"] = [_in_japanese(str(t), _WHY_JA) for t in out["reason"]]
    return out


def import_report(result: OtmImport, file: str, lang: str = "ja") -> str:
    """``import-report.md``: what came in, the placeholders, the assumptions and the remainder.

    Parameters
    ----------
    result
        :func:`from_otm`'s result.
    file
        The OTM file imported (as named in the report).
    lang
        ``ja`` or ``en``.

    Returns
    -------
    str
        Markdown.

    Examples
    --------
    >>> import datetime
    >>> from pia_analysis.formats.otm import from_otm, import_report
    >>> r = from_otm({"otmVersion": "0.2.0", "project": {"name": "Shop", "id": "shop"},
    ...               "components": [{"id": "WEB", "name": "Web", "type": "web-server"}]},
    ...              assessed_on=datetime.date(2026, 4, 1))
    >>> print(import_report(r, "shop.otm.json", "en").splitlines()[0])
    # Import of shop.otm.json (Open Threat Model)
    """
    ja = lang == "ja"
    m = result.model
    counts = {t: len(getattr(m, t)) for t in ("zones", "systems", "files", "flows", "controls", "risks")}
    if hasattr(m, "control_status"):
        counts["control_status"] = len(m.control_status)
    lines = [f"# {file} の取込（Open Threat Model）" if ja else f"# Import of {file} (Open Threat Model)", ""]
    lines.append("取り込んだ行: " if ja else "Rows imported: ")
    lines[-1] += ", ".join(f"{name} {n}" for name, n in counts.items())
    lines.append("")
    lines.append("## 仮の値（記入してください）" if ja else "## Placeholders (fill them in)")
    lines.append("")
    if result.placeholders:
        lines += [f"- model.yaml `{k}`: {m.meta.get(k)}" for k in result.placeholders]
    else:
        lines.append("なし" if ja else "none")
    lines += ["", "## 推定した値（assumption）" if ja else "## Guessed values (assumption)", ""]
    if len(result.assumptions):
        lines += [f"- {r.table} `{r.id}`: {_assumption_in_japanese(r.assumption) if ja else r.assumption}"
                  for r in result.assumptions.itertuples(index=False)]
    else:
        lines.append("なし" if ja else "none")
    lines += ["", "## 取り込めなかったもの" if ja else "## Not imported (the remainder)", ""]
    if len(result.remainder):
        lines += ["| OTM | id | " + ("内容 | 理由 |" if ja else "what | why |"), "|---|---|---|---|"]
        lines += [f"| `{r.otm_path}` | {r.otm_id} | {r.what} | {r.reason} |".replace("\n", " ")
                  for r in remainder_in(result.remainder, lang).itertuples(index=False)]
    else:
        lines.append("なし" if ja else "none")
    if m.meta.get("previous"):
        lines += ["", (f"model.yaml の previous（{m.meta['previous']}）は書かれたまま。前の版のモデルをモデルの"
                       "フォルダからの相対パスで指すように直すこと。" if ja else
                       f"model.yaml's previous ({m.meta['previous']}) is kept as written: make it name the earlier "
                       "version relative to the model directory.")]
    if result.kept_source:
        lines += ["", (f"{result.kept_source} 行は OTM の attributes に書かれた本ツールの source をそのまま使った。"
                       if ja else f"{result.kept_source} rows kept the source written in their OTM attributes.")]
    return "\n".join(lines) + "\n"
