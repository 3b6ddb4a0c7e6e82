"""Scenarios: what-if change sets applied to a model in memory, and the comparison of two models.

A scenario is a small YAML file (see ``docs/scenarios.md``)::

    id: store-firewall-fails
    title_ja: 店舗側ファイアウォールの障害
    title_en: The store-side firewall fails
    source: "minutes 2021-11-09: コンビニからは、LGWAN に直接アクセスできるか"
    add:    {systems: [{system_id: X, …}], flows: […]}       # rows, with the columns of the CSV files
    remove: {systems: [ids], flows: [ids], controls: [ids]}  # cascades, see below
    set:    {controls: {C-STORE-FW: {status: missing}}, model: {target_population: 950000}}

:func:`load_scenario` reads and checks it (every problem located at its line of the YAML file, raised
as one :class:`~pia_analysis.model.errors.ModelError`); :func:`apply_scenario` returns the changed model, never
touching the model's files, after re-running on the changed tables every check that
:func:`~pia_analysis.formats.load_model` runs (:func:`~pia_analysis.model.checks.validate_tables`); :func:`compare` runs
the exposure, coverage and findings analyses on two models and lines them up.

Values are parsed exactly like CSV cells: ``holds: "A;B"`` or ``holds: [A, B]``, ``true``/``はい``,
``0.3`` or ``30%``. The order of application is: removals (with their cascades), then additions, then
``set`` — so a row can be replaced by removing and adding the same id.

Cascades (every one is listed by :func:`scenario_effects`):

* removing a **zone** removes the systems in it (and so their flows, below);
* removing a **system** removes the flows from or to it, and drops its id from the controls' ``applies_to``;
* removing a **flow** drops its id from the controls' ``applies_to``;
* a control left applying to nothing (its list emptied; ``*`` is never emptied) is removed;
* removing a **file** drops it from the systems' ``holds`` and the flows' ``files`` (the flows stay);
* removing an extra **risk** (``risks.csv``) drops it from the controls' ``mitigates`` (a control left
  mitigating nothing is removed) and removes its rating;
* removing a **control** or a **rating** removes nothing else.
"""

from __future__ import annotations

__all__ = [
    "SCENARIO_KEYS",
    "Comparison",
    "RowChange",
    "Scenario",
    "apply_scenario",
    "bundled_scenarios",
    "compare",
    "load_scenario",
    "parse_scenario",
    "scenario_effects",
]

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..formats.directory import (
    MAX_YAML_BYTES,
    ModelYamlLoader,
    control_character_problem,
    masked_name,
    path_is,
    read_table,
    read_text,
    yaml_my_numbers,
)
from ..model.cells import (
    EDGE_SPACES,
    ID_FORBIDDEN,
    RawTable,
    invisible_problem,
    my_number_problem,
    nfkc,
    parse_cell,
    parse_meta_value,
)
from ..model.checks import validate_tables
from ..model.model import Model
from ..model.mynumber import find_my_numbers
from ..model.schema import MODEL_KEYS, RATING_ALIASES, TABLE_BY_NAME, TABLES, Column
from ..model.errors import ModelError, Problem, sort_problems

#: Top-level keys of a scenario file: key -> (required, meaning).
SCENARIO_KEYS: dict[str, tuple[bool, str]] = {
    "id": (False, "a short id (default: the file name without .yaml)"),
    "title_ja": (False, "title in Japanese"),
    "title_en": (False, "title in English"),
    "source": (False, "where the question comes from, e.g. a passage of the minutes"),
    "question_ja": (False, "the question as asked (verbatim)"),
    "description_ja": (False, "what the scenario changes and why the numbers are what they are (Japanese)"),
    "description_en": (False, "the same in English"),
    "add": (False, "rows to add, by table"),
    "remove": (False, "ids to remove, by table"),
    "set": (False, "cells to change: table -> id -> column -> value; 'model' -> key -> value"),
}
#: model.yaml keys a scenario may set (id and previous identify the model, they are not what-ifs).
SETTABLE_META = tuple(k for k in MODEL_KEYS if k not in ("id", "previous"))
_OPS = ("remove", "add", "set")  # order of application


# ---------------------------------------------------------------------------------------------------
# the scenario object


@dataclass(frozen=True)
class RowChange:
    """One entry of a scenario: a row to add, an id to remove, or cells to set.

    ``values`` are typed as the model's tables hold them (lists for ``;`` columns, bool, float, int).
    For ``add`` they hold every column of the table (absent ones empty); for ``set`` only the columns
    given; for ``remove`` none. ``line`` is the entry's line in the scenario file, ``lines`` the line of
    each value.
    """

    op: str
    table: str
    key: str
    values: Mapping[str, Any] = field(default_factory=dict)
    line: int | None = None
    lines: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """A loaded, checked scenario (see the module documentation and :func:`load_scenario`).

    ``meta`` holds the ``set: {model: …}`` values. ``label`` is how problems name the file.
    """

    id: str
    title_ja: str = ""
    title_en: str = ""
    source: str = ""
    question_ja: str = ""
    description_ja: str = ""
    description_en: str = ""
    add: tuple[RowChange, ...] = ()
    remove: tuple[RowChange, ...] = ()
    set: tuple[RowChange, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)
    meta_lines: Mapping[str, int] = field(default_factory=dict)
    label: str = "<scenario>"
    path: Path | None = None

    @property
    def is_empty(self) -> bool:
        """True when the scenario changes nothing."""
        return not (self.add or self.remove or self.set or self.meta)

    def title(self, lang: str = "ja") -> str:
        """The title in ``lang`` (``ja`` or ``en``), falling back to the other one, then to the id."""
        first, second = (self.title_en, self.title_ja) if lang == "en" else (self.title_ja, self.title_en)
        return first or second or self.id

    def entries(self) -> pd.DataFrame:
        """The scenario's entries: ``op, table, id, columns, line`` in the order they are applied.

        Examples
        --------
        >>> s = parse_scenario("id: x\\nset:\\n  controls:\\n    C1: {status: missing}\\n")
        >>> s.entries().to_dict("records")
        [{'op': 'set', 'table': 'controls', 'id': 'C1', 'columns': ['status'], 'line': 4}]
        """
        rows = [{"op": c.op, "table": c.table, "id": c.key,
                 "columns": sorted(c.values) if c.op == "set" else [], "line": c.line}
                for op in _OPS for c in getattr(self, op)]
        rows += [{"op": "set", "table": "model", "id": k, "columns": [k], "line": self.meta_lines.get(k)}
                 for k in self.meta]
        return pd.DataFrame(rows, columns=["op", "table", "id", "columns", "line"])


# ---------------------------------------------------------------------------------------------------
# reading YAML with locations


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


class _Reader:
    """Walks the composed YAML node tree, so every value keeps the line it was written on."""

    def __init__(self, label: str, problems: list[Problem]):
        self.label = label
        self.problems = problems
        self._constructor = ModelYamlLoader("")  # only its (safe) constructor is used

    def problem(self, node: yaml.Node | None, column: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.label, _line(node) if node is not None else None, column, message, hint))

    def value(self, node: yaml.Node) -> Any:
        # The whole document was already constructed once with the safe loader (refusing unknown tags),
        # so constructing a part of it again cannot fail or build anything unsafe.
        return self._constructor.construct_object(node, deep=True)

    def mapping(self, node: yaml.Node, what: str, hint: str, key_column: str | None = None
                ) -> list[tuple[str, yaml.Node, yaml.Node]] | None:
        """(key, key node, value node) of a mapping; None (and a problem) if it is not one. ``null`` is {}."""
        if isinstance(node, yaml.ScalarNode) and self.value(node) is None:
            return []
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, what, "must be a mapping (key: value lines)", hint)
            return None
        out, seen = [], {}
        for k, v in node.value:
            if not isinstance(k, yaml.ScalarNode):
                self.problem(k, what, "has a key that is not a plain name", hint)
                continue
            written = str(self.value(k))
            key = nfkc(written)
            # an id or column name holding an invisible character (NBSP that NFKC folds, U+3164 …)
            # (the keys as written: NFKC would fold a no-break space into a space that strip() drops)
            if (invisible := invisible_problem(self.label, _line(k), key_column or what or key, written.strip(EDGE_SPACES),
                                               "id" if key_column else "name")) is not None:
                self.problems.append(invisible)
                continue
            if key in seen:
                self.problem(k, key, f"appears twice in {what or 'the file'} (first on line {seen[key]})", "keep one of them")
                continue
            seen[key] = _line(k)
            out.append((key, k, v))
        return out

    def sequence(self, node: yaml.Node, what: str, hint: str) -> list[yaml.Node] | None:
        if isinstance(node, yaml.ScalarNode) and self.value(node) is None:
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, what, "must be a list (lines starting with '- ')", hint)
            return None
        return list(node.value)

    def text(self, node: yaml.Node, what: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self.problem(node, what, "must be a single text value", "write it on one line after the colon")
            return None
        value = self.value(node)
        return "" if value is None else str(value).strip()


def _cell_text(reader: _Reader, node: yaml.Node, col: Column) -> str | None:
    """The CSV-cell text of a YAML value, so that it is parsed exactly as the loader parses cells."""
    if isinstance(node, yaml.SequenceNode):
        if col.kind not in ("list", "reflist"):
            reader.problem(node, col.name, "must be a single value, not a list", col.hint)
            return None
        parts = []
        for item in node.value:
            if not isinstance(item, yaml.ScalarNode):
                reader.problem(item, col.name, "has an item that is not a single value", col.hint)
                return None
            parts.append(_scalar_text(reader.value(item)))
        return ";".join(parts)
    if not isinstance(node, yaml.ScalarNode):
        reader.problem(node, col.name, "must be a single value", col.hint)
        return None
    return _scalar_text(reader.value(node))


def _scalar_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    return str(value)


def _parse_value(reader: _Reader, node: yaml.Node, col: Column) -> Any:
    text = _cell_text(reader, node, col)
    if text is None:
        return None
    for _pos, masked in find_my_numbers(text):
        reader.problems.append(my_number_problem(reader.label, _line(node), col.name, masked))
    value = parse_cell(col, text, reader.label, _line(node), reader.problems)
    if col.name == "rating":  # English spellings become the official Japanese choices, as on load
        value = RATING_ALIASES.get(value, value)
    return value


# ---------------------------------------------------------------------------------------------------
# parsing


def _table_spec(reader: _Reader, name: str, node: yaml.Node, op: str):
    table = TABLE_BY_NAME.get(name)
    if table is None:
        extra = ", model" if op == "set" else ""
        reader.problem(node, name, f"is not a table of a model (in {op})",
                       f"the tables are {', '.join(TABLE_BY_NAME)}{extra}")
    return table


def _parse_add(reader: _Reader, node: yaml.Node) -> list[RowChange]:
    out: list[RowChange] = []
    hint = "add: {systems: [{system_id: X, name_ja: …, …}], flows: […]}"
    for name, knode, vnode in reader.mapping(node, "add", hint) or []:
        table = _table_spec(reader, name, knode, "add")
        rows = reader.sequence(vnode, name, f"list the rows to add under {name}, one '- ' per row")
        if table is None or rows is None:
            continue
        spec = {c.name: c for c in table.columns}
        for row_node in rows:
            items = reader.mapping(row_node, name, f"a row is a mapping of the columns of {table.filename}")
            if items is None:
                continue
            given = {}
            for col_name, cknode, cvnode in items:
                if col_name not in spec:
                    reader.problem(cknode, col_name, f"is not a column of {table.filename}",
                                   f"the columns are {', '.join(spec)}")
                    continue
                given[col_name] = (cknode, cvnode)
            if table.key not in given:
                reader.problem(row_node, table.key, "is missing from the added row", f"every row of {name} needs its {table.key}")
                continue
            values: dict[str, Any] = {}
            lines: dict[str, int] = {}
            for col in table.columns:
                if col.name in given:
                    cknode, cvnode = given[col.name]
                    values[col.name] = _parse_value(reader, cvnode, col)
                    lines[col.name] = _line(cknode)
                else:
                    if col.nonempty:
                        reader.problem(row_node, col.name, "is missing from the added row", col.hint or "give a value")
                    # An absent column is an empty cell, as in a CSV file that leaves it out.
                    values[col.name] = parse_cell(col, "", reader.label, _line(row_node), [])
            out.append(RowChange("add", name, str(values[table.key]), values, _line(row_node), lines))
    return out


def _split_ids(text: str) -> list[str]:
    return [p.strip() for p in nfkc(text).split(";") if p.strip()]


def _parse_remove(reader: _Reader, node: yaml.Node) -> list[RowChange]:
    out: list[RowChange] = []
    hint = "remove: {flows: [F17, F19], controls: [C-LGWAN]}"
    for name, knode, vnode in reader.mapping(node, "remove", hint) or []:
        table = _table_spec(reader, name, knode, "remove")
        if table is None:
            continue
        if isinstance(vnode, yaml.ScalarNode):
            items = [(vnode, p) for p in _split_ids(reader.text(vnode, name) or "")]
        else:
            seq = reader.sequence(vnode, name, f"list the {table.key}s to remove")
            items = []
            for item in seq or []:
                text = reader.text(item, name)
                items += [(item, p) for p in _split_ids(text or "")]
        for item, key in items:
            if ID_FORBIDDEN.search(key):
                reader.problem(item, table.key, f"{key!r} is not a valid id", "ids may not contain spaces, ';', ',', '*' or '@'")
                continue
            # the id as written (NFKC folds a no-break space into a space that strip() drops)
            written = str(reader.value(item) or "") if isinstance(item, yaml.ScalarNode) else key
            written = next((p.strip(EDGE_SPACES) for p in written.split(";") if nfkc(p) == key), key)
            if (invisible := invisible_problem(reader.label, _line(item), table.key, written)) is not None:
                reader.problems.append(invisible)
                continue
            out.append(RowChange("remove", name, key, {}, _line(item)))
    return out


def _parse_set(reader: _Reader, node: yaml.Node) -> tuple[list[RowChange], dict[str, Any], dict[str, int]]:
    out: list[RowChange] = []
    meta: dict[str, Any] = {}
    meta_lines: dict[str, int] = {}
    hint = "set: {controls: {C-STORE-FW: {status: missing}}}"
    for name, knode, vnode in reader.mapping(node, "set", hint) or []:
        if name == "model":
            for key, kk, kv in reader.mapping(vnode, "model", "set: {model: {target_population: 950000}}") or []:
                if key not in SETTABLE_META:
                    reader.problem(kk, key, "cannot be set by a scenario" if key in MODEL_KEYS else "is not a key of model.yaml",
                                   f"a scenario may set {', '.join(SETTABLE_META)}")
                    continue
                value = parse_meta_value(key, reader.value(kv), MODEL_KEYS[key][1], reader.label, _line(kk), reader.problems)
                if value is not None:
                    meta[key], meta_lines[key] = value, _line(kk)
            continue
        table = _table_spec(reader, name, knode, "set")
        if table is None:
            continue
        spec = {c.name: c for c in table.columns}
        for key, idnode, cells in reader.mapping(vnode, name, f"set: {{{name}: {{ID: {{column: value}}}}}}",
                                                 key_column=table.key) or []:
            if (invisible := invisible_problem(reader.label, _line(idnode), table.key, key)) is not None:
                reader.problems.append(invisible)
                continue
            items = reader.mapping(cells, key, "give the columns to change as {column: value}")
            if items is None:
                continue
            values: dict[str, Any] = {}
            lines: dict[str, int] = {}
            for col_name, cknode, cvnode in items:
                col = spec.get(col_name)
                if col is None:
                    reader.problem(cknode, col_name, f"is not a column of {table.filename}", f"the columns are {', '.join(spec)}")
                    continue
                if col_name == table.key:
                    reader.problem(cknode, col_name, "an id cannot be changed by set", "remove the row and add it with the new id")
                    continue
                values[col_name] = _parse_value(reader, cvnode, col)
                lines[col_name] = _line(cknode)
            out.append(RowChange("set", name, key, values, _line(idnode), lines))
    return out, meta, meta_lines


def parse_scenario(text: str, label: str = "<scenario>", default_id: str = "scenario",
                   path: Path | None = None) -> Scenario:
    """Parse and check the text of a scenario file.

    Parameters
    ----------
    text
        The YAML text.
    label
        How problems name the file (normally its path).
    default_id
        The id when the file gives none.
    path
        The file, if any (kept on the result).

    Raises
    ------
    ModelError
        With every problem found, each located ``label:line: column: message``.

    Examples
    --------
    >>> s = parse_scenario("id: x\\nset:\\n  systems:\\n    KIOSK: {entry_likelihood: 30%}\\n")
    >>> s.set[0].values, s.set[0].line
    ({'entry_likelihood': 0.3}, 4)
    >>> parse_scenario("id: x\\nremove: {flows: F1;F2}\\n").remove[1].key
    'F2'
    >>> try:
    ...     parse_scenario("id: x\\nset:\\n  controls:\\n    C1: {status: gone}\\n", label="s.yaml")
    ... except ModelError as exc:
    ...     print(exc.problems[0])
    s.yaml:4: status: 'gone' is not one of implemented, planned, missing (hint: use one of: implemented, planned, missing)
    """
    problems: list[Problem] = []
    reader = _Reader(label, problems)
    # The My Number guard reads every line, as for model.yaml: titles, sources and descriptions too,
    # then every loaded value and key (escapes such as "\x31", folded values, !!binary decoded).
    found_lines = {(n, masked) for n, line in enumerate(text.splitlines(), 1) for _pos, masked in find_my_numbers(line)}
    guard = [my_number_problem(label, n, "", masked) for n, masked in sorted(found_lines)]
    loader: ModelYamlLoader | None = None
    try:
        loader = ModelYamlLoader(text)  # its reader refuses control characters: a located YAMLError
        node = loader.get_single_node()
        once = {n for n, _m in found_lines}
        for n, masked in sorted(set(yaml_my_numbers(node))):
            if n not in once:
                once.add(n)
                guard.append(my_number_problem(label, n, "", masked))
        if node is not None:
            loader.construct_document(node)  # the safe constructor refuses !!python/… and unknown tags
            # The reader constructs parts with deep=True, which refuses an anchor holding itself (&a [*a]):
            # find that here, located, rather than midway through reading.
            reader.value(node)
    except RecursionError:
        raise ModelError([*guard, Problem(label, None, "", "is not valid YAML: it is nested too deeply",
                                  "a scenario is a few levels of 'key: value' lines and '- ' lists")]) from None
    except ValueError as exc:  # a constructor's, e.g. an integer of thousands of digits
        raise ModelError([*guard, Problem(label, None, "", f"has a value that cannot be read: {str(exc)[:120]}",
                                  "write short plain values")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problems.append(Problem(label, mark.line + 1 if mark else None, f"column {mark.column + 1}" if mark else "",
                                f"is not valid YAML: {exc.problem or exc}",
                                "only plain YAML is accepted (no !!python tags); check indentation and quotes"))
        raise ModelError([*guard, *problems]) from None
    except yaml.reader.ReaderError as exc:
        raise ModelError([*guard, control_character_problem(label, text, exc)]) from None
    except yaml.YAMLError as exc:
        raise ModelError([*guard, Problem(label, None, "", f"is not valid YAML: {exc}")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    for line, column, message, hint in loader.refused:  # YAML 1.1 numbers, tags that are not plain data
        problems.append(Problem(label, line, f"column {column}", message, hint))
    fields: dict[str, Any] = {"id": default_id}
    changes: dict[str, list[RowChange]] = {"add": [], "remove": [], "set": []}
    meta: dict[str, Any] = {}
    meta_lines: dict[str, int] = {}
    top = [] if node is None else reader.mapping(node, "", "a scenario is a mapping: id, title_ja, title_en, add, remove, set")
    for key, knode, vnode in top or []:
        if key not in SCENARIO_KEYS:
            reader.problem(knode, key, "unknown key", f"the keys are {', '.join(SCENARIO_KEYS)}; check the spelling")
        elif key == "add":
            changes["add"] = _parse_add(reader, vnode)
        elif key == "remove":
            changes["remove"] = _parse_remove(reader, vnode)
        elif key == "set":
            changes["set"], meta, meta_lines = _parse_set(reader, vnode)
        else:
            value = reader.text(vnode, key)
            if value is None:
                continue
            if key == "id":
                if (invisible := invisible_problem(label, _line(vnode), key, value)) is not None:
                    problems.append(invisible)
                    continue
                value = nfkc(value)
                if not value or ID_FORBIDDEN.search(value):
                    reader.problem(vnode, key, f"{value!r} is not a valid id", "ids may not contain spaces, ';', ',', '*' or '@'")
                    continue
                if (invisible := invisible_problem(label, _line(vnode), key, value)) is not None:
                    problems.append(invisible)
                    continue
            fields[key] = value
    # The same row twice in one operation is a slip, never an intention.
    for op in ("add", "remove", "set"):
        first: dict[tuple[str, str], int | None] = {}
        for c in changes[op]:
            if (c.table, c.key) in first:
                reader.problems.append(Problem(label, c.line, TABLE_BY_NAME[c.table].key,
                                               f"{c.key!r} appears twice in {op} {c.table} (first on line {first[(c.table, c.key)]})",
                                               "keep one of them"))
            else:
                first[(c.table, c.key)] = c.line
    refused = {(line, f"column {column}", message) for line, column, message, _h in loader.refused}
    refused_lines = {line for line, _c, _m in refused}
    # a value not read as written gets that one problem, not also what its text then fails
    problems[:] = [p for p in problems if p.line not in refused_lines or (p.line, p.column, p.message) in refused
                   or "My Number" in p.message]
    found = {p.line for p in problems if "My Number" in p.message}  # a cell's own problem names its column
    problems += [p for p in guard if p.line not in found]
    if problems:
        raise ModelError(sort_problems(problems, unlisted_by_label=False))
    return Scenario(add=tuple(changes["add"]), remove=tuple(changes["remove"]), set=tuple(changes["set"]),
                    meta=meta, meta_lines=meta_lines, label=label, path=path, **fields)


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Load and check a scenario file (YAML, read with the safe loader only).

    Raises
    ------
    ModelError
        With every problem, each located at its line of the file.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path
    >>> s = load_scenario(bundled_model_path() / "scenarios" / "store-firewall-fails.yaml")
    >>> s.id, [(c.table, c.key, dict(c.values)) for c in s.set]
    ('store-firewall-fails', [('controls', 'C-STORE-FW', {'status': 'missing'})])
    """
    path = Path(path)
    label = str(path)
    problems: list[Problem] = []
    if not path_is(path, "file"):
        raise ModelError([Problem(label, None, "", "is not a file", "give the path of a scenario .yaml file")])
    found = find_my_numbers(path.name)
    if found:  # its name becomes the scenario's id and the title of its report
        raise ModelError([Problem(str(path.parent / masked_name(path.name)), None, "",
                                  f"its name holds what looks like a real My Number ({found[0][1]}, valid check digit)",
                                  "a scenario must hold no personal data, not even in its file name: rename it")])
    text = read_text(path, label, problems, MAX_YAML_BYTES)
    if text is None:
        raise ModelError(problems)
    return parse_scenario(text, label=label, default_id=path.stem, path=path)


def bundled_scenarios(model: Model) -> list[Path]:
    """The scenario files in the ``scenarios/`` folder of a model's directory, sorted by name.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> len(bundled_scenarios(load_model(bundled_model_path()))) >= 6
    True
    """
    if model.path is None or not (model.path / "scenarios").is_dir():
        return []
    return sorted((model.path / "scenarios").glob("*.yaml"))


def as_scenario(scenario: Scenario | str | os.PathLike[str] | Mapping[str, Any]) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, Mapping):
        # A change set built in code: checked exactly like a file (lines then refer to this YAML dump).
        return parse_scenario(yaml.safe_dump(dict(scenario), allow_unicode=True, sort_keys=False), label="<scenario>")
    return load_scenario(scenario)


# ---------------------------------------------------------------------------------------------------
# applying


@dataclass
class _Row:
    values: dict[str, Any]
    where: tuple[str, int | None]  # the location problems of this row are reported at
    base: int | None  # its position in the base table (None: added by the scenario)


def _base_lines(model: Model) -> dict[str, list[int]]:
    """The file line of every row of the model's tables, when its files are still there and unchanged."""
    out: dict[str, list[int]] = {}
    if model.path is None:
        return out
    for table in TABLES:
        frame = getattr(model, table.name)
        raw: RawTable | None = None
        try:
            raw = read_table(model.path, table, str(model.path), [])
        except (OSError, ValueError):  # pragma: no cover - the file changed under us: fall back below
            raw = None
        if raw is not None and len(raw.lines) == len(frame) and list(raw.frame[table.key]) == list(frame[table.key]):
            out[table.name] = raw.lines
    return out


def apply_with_log(model: Model, scenario: Scenario) -> tuple[Model, list[dict[str, Any]]]:
    """The changed model and the log of every effect (direct and cascaded)."""
    if scenario.is_empty:
        return model.replace(), []
    base_label = str(model.path) if model.path is not None else model.id
    lines = _base_lines(model)
    rows: dict[str, list[_Row]] = {}
    for table in TABLES:
        frame = getattr(model, table.name)
        file_lines = lines.get(table.name) or [i + 2 for i in range(len(frame))]
        rows[table.name] = [_Row(dict(r), (f"{base_label}/{table.filename}", file_lines[i]), i)
                            for i, r in enumerate(frame.to_dict("records"))]
    log: list[dict[str, Any]] = []
    problems: list[Problem] = []
    touched: set[str] = set()

    def key_of(table: str) -> str:
        return TABLE_BY_NAME[table].key

    def ids(table: str) -> set[str]:
        return {r.values[key_of(table)] for r in rows[table]}

    def note(op: str, table: str, key: str, column: str = "", before: Any = None, after: Any = None,
             cause: str = "") -> None:
        log.append({"op": op, "table": table, "id": key, "column": column, "before": before, "after": after,
                    "cause": cause})
        touched.add(table)

    def drop(table: str, keep, cause_of) -> None:
        kept = []
        for r in rows[table]:
            if keep(r):
                kept.append(r)
            else:
                note("remove", table, r.values[key_of(table)], cause=cause_of(r))
        rows[table] = kept

    def filter_list(table: str, column: str, gone: set[str], cause: str, drop_empty: bool) -> None:
        for r in list(rows[table]):
            old = r.values[column]
            if not any(x in gone for x in old):
                continue
            new = [x for x in old if x not in gone]
            if drop_empty and not new:
                rows[table].remove(r)
                note("remove", table, r.values[key_of(table)], cause=f"{column} left empty: {cause}")
            else:
                r.values[column] = new
                note("set", table, r.values[key_of(table)], column, list(old), new, cause)

    # -- 1. removals, with cascades --------------------------------------------------------------
    base_ids = {t.name: ids(t.name) for t in TABLES}
    removed: dict[str, set[str]] = {t.name: set() for t in TABLES}
    for c in scenario.remove:
        if c.key not in base_ids[c.table]:
            problems.append(Problem(scenario.label, c.line, key_of(c.table),
                                    f"cannot remove {c.key!r}: it is not a {key_of(c.table)} of {TABLE_BY_NAME[c.table].filename}",
                                    _known_hint(base_ids[c.table])))
            continue
        removed[c.table].add(c.key)
        drop(c.table, lambda r, c=c: r.values[key_of(c.table)] != c.key, lambda r: "scenario")
    if removed["zones"]:
        gone = {r.values["system_id"] for r in rows["systems"] if r.values["zone_id"] in removed["zones"]}
        drop("systems", lambda r: r.values["system_id"] not in gone, lambda r: f"zone {r.values['zone_id']} removed")
        removed["systems"] |= gone
    if removed["systems"]:
        gone_sys = removed["systems"]
        gone = {r.values["flow_id"] for r in rows["flows"] if r.values["source"] in gone_sys or r.values["target"] in gone_sys}
        drop("flows", lambda r: r.values["flow_id"] not in gone,
             lambda r: f"system {r.values['source'] if r.values['source'] in gone_sys else r.values['target']} removed")
        removed["flows"] |= gone
    if removed["files"]:
        cause = "file " + ", ".join(sorted(removed["files"])) + " removed"
        filter_list("systems", "holds", removed["files"], cause, drop_empty=False)
        filter_list("flows", "files", removed["files"], cause, drop_empty=False)
    elements = removed["systems"] | removed["flows"]
    if elements:
        filter_list("controls", "applies_to", elements, ", ".join(sorted(elements)) + " removed", drop_empty=True)
    if removed["risks"]:
        cause = "risk " + ", ".join(sorted(removed["risks"])) + " removed"
        filter_list("controls", "mitigates", removed["risks"], cause, drop_empty=True)
        drop("ratings", lambda r: r.values["risk_id"] not in removed["risks"], lambda r: cause)

    # -- 2. additions ------------------------------------------------------------------------------
    for c in scenario.add:
        if c.key in ids(c.table):
            problems.append(Problem(scenario.label, c.line, key_of(c.table),
                                    f"cannot add {c.key!r}: {TABLE_BY_NAME[c.table].filename} already has it",
                                    "use set to change it, or remove it first to replace it"))
            continue
        template = getattr(model, c.table)
        values = {col: _empty_like(template[col]) for col in template.columns}  # extra columns stay empty
        values.update(c.values)
        rows[c.table].append(_Row(values, (scenario.label, c.line), None))
        note("add", c.table, c.key, cause="scenario")

    # -- 3. set ------------------------------------------------------------------------------------
    for c in scenario.set:
        found = next((r for r in rows[c.table] if r.values[key_of(c.table)] == c.key), None)
        if found is None:
            reason = ("is removed by this scenario" if c.key in base_ids[c.table]
                      else f"is not a {key_of(c.table)} of {TABLE_BY_NAME[c.table].filename}")
            problems.append(Problem(scenario.label, c.line, key_of(c.table), f"cannot set {c.key!r}: it {reason}",
                                    _known_hint(ids(c.table))))
            continue
        for col, value in c.values.items():
            old = found.values.get(col)
            if _same(old, value):
                continue
            found.values[col] = value
            found.where = (scenario.label, c.lines.get(col, c.line))
            note("set", c.table, c.key, col, old, value, "scenario")
    meta = dict(model.meta)
    for key, value in scenario.meta.items():
        if not _same(meta.get(key), value):
            note("set", "model", key, key, meta.get(key), value, "scenario")
            meta[key] = value

    if problems:
        raise ModelError(sort_problems(problems, unlisted_by_label=False))

    # -- 4. the changed tables, checked like a loaded model --------------------------------------
    frames: dict[str, pd.DataFrame] = {}
    locations: dict[str, list[tuple[str, int | None]]] = {}
    for table in TABLES:
        original = getattr(model, table.name)
        if table.name not in touched:
            frames[table.name] = original  # untouched: the very same table
        else:
            frames[table.name] = _frame_like(original, [r.values for r in rows[table.name]])
        locations[table.name] = [r.where for r in rows[table.name]]
    issues = validate_tables(frames, meta if scenario.meta else None, base_label, locations)
    if issues:
        for p in issues:
            if p.file != scenario.label:
                p.message += f" (after applying scenario {scenario.id!r})"
        raise ModelError(issues)
    return model.replace(meta=meta, **frames), log


def _known_hint(known: set[str]) -> str:
    shown = sorted(known)
    if not shown:
        return "the table is empty"
    more = f" … ({len(shown)} in all)" if len(shown) > 12 else ""
    return "known ids: " + ", ".join(shown[:12]) + more


def _empty_like(series: pd.Series) -> Any:
    if series.dtype == object:
        return []
    if series.dtype == bool:
        return False
    if pd.api.types.is_integer_dtype(series.dtype):
        return 0
    if pd.api.types.is_float_dtype(series.dtype):
        return 0.0
    return ""


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return list(a or []) == list(b or [])
    return a == b


def _frame_like(original: pd.DataFrame, records: list[dict[str, Any]]) -> pd.DataFrame:
    """A DataFrame of ``records`` with the columns and dtypes of ``original`` (lists stay Python lists)."""
    data = {}
    for col in original.columns:
        values = [r.get(col) for r in records]
        dtype = original[col].dtype
        data[col] = pd.Series(values, dtype=object if dtype == object else dtype)
    return pd.DataFrame(data, columns=original.columns)


def apply_scenario(model: Model, scenario: Scenario | str | os.PathLike[str] | Mapping[str, Any]) -> Model:
    """The model changed by a scenario; the model and its files are left untouched.

    Parameters
    ----------
    model
        A loaded model.
    scenario
        A :class:`Scenario`, the path of a scenario file, or a mapping with the same keys as a file.

    Returns
    -------
    Model
        A new model (same ``path`` and ``meta`` unless the scenario sets model keys). An empty scenario
        returns equal tables.

    Raises
    ------
    ModelError
        When the scenario is not valid, names ids the model lacks, or leaves a model that
        :func:`~pia_analysis.formats.load_model` would refuse. Problems caused by scenario entries are located
        at their lines of the scenario file; the others at the model's files.

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> m = load_model(bundled_model_path())
    >>> changed = apply_scenario(m, {"id": "no-offsite", "remove": {"systems": ["CONV_SRV"]}})
    >>> sorted(set(m.flows["flow_id"]) - set(changed.flows["flow_id"]))
    ['F17', 'F19']
    >>> any("CONV_SRV" in targets for targets in changed.controls["applies_to"])
    False
    """
    return apply_with_log(model, as_scenario(scenario))[0]


def scenario_effects(model: Model, scenario: Scenario | str | os.PathLike[str] | Mapping[str, Any]) -> pd.DataFrame:
    """Every change a scenario makes to ``model``, the cascades included, in the order they are made.

    Returns
    -------
    DataFrame
        ``op`` (add, remove, set), ``table`` (``model`` for model.yaml keys), ``id``, ``column``,
        ``before``, ``after`` (for ``set``) and ``cause`` (``scenario`` or why a cascade made it).

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> fx = scenario_effects(load_model(bundled_model_path()), {"id": "x", "remove": {"systems": ["CONV_SRV"]}})
    >>> fx[["op", "table", "id", "cause"]].head(3).values.tolist()
    [['remove', 'systems', 'CONV_SRV', 'scenario'], ['remove', 'flows', 'F17', 'system CONV_SRV removed'], ['remove', 'flows', 'F19', 'system CONV_SRV removed']]
    """
    log = apply_with_log(model, as_scenario(scenario))[1]
    return pd.DataFrame(log, columns=["op", "table", "id", "column", "before", "after", "cause"])


# ---------------------------------------------------------------------------------------------------
# comparing two models

EXPOSURE_DELTA_COLUMNS = [
    "system_id", "name_ja", "name_en", "holds_my_number", "presence", "exposure_before", "exposure_after",
    "exposure_delta", "records_at_stake_before", "records_at_stake_after", "records_at_stake_delta",
    "entry_point_before", "entry_point_after", "path_before", "path_after",
]
COVERAGE_DELTA_COLUMNS = [
    "stage", "stage_no", "name_ja", "pairs_before", "pairs_after", "covered_before", "covered_after",
    "gaps_before", "gaps_after", "coverage_before", "coverage_after", "coverage_delta",
]
FINDINGS_DELTA_COLUMNS = [
    "finding_id", "rule_id", "element", "change", "status_before", "status_after", "severity_before",
    "severity_after", "title_ja", "title_en",
]
#: Kinds of finding changes, in display order.
FINDING_CHANGES = ("appeared", "disappeared", "severity_changed", "status_changed")


@dataclass
class Comparison:
    """The analyses of two models side by side (see :func:`compare`).

    Attributes
    ----------
    base, other : Model
        The models compared (``other`` is typically ``base`` changed by a scenario, or a newer version).
    label_before, label_after : str
        Short names of the two, for tables and charts.
    exposure_before, exposure_after : DataFrame
        :func:`~pia_analysis.analysis.exposure.node_exposure` of each.
    coverage_before, coverage_after : DataFrame
        :func:`~pia_analysis.analysis.coverage.stage_coverage` of each.
    findings_before, findings_after : DataFrame
        :func:`~pia_analysis.analysis.findings.find_findings` of each (open and mitigated findings).
    exposure_delta : DataFrame
        Per system (of either model): before, after and delta of ``exposure`` and ``records_at_stake``;
        ``presence`` is ``both``, ``added`` or ``removed`` (a system absent from a model counts 0).
        Sorted by the size of the change (largest first), then ``system_id``.
    coverage_delta : DataFrame
        Per stage, in official order: pairs, covered pairs, gaps and coverage before and after, and
        ``coverage_delta`` (NaN where a stage is out of scope in either model).
    findings_delta : DataFrame
        The findings that appear, disappear, or change severity or status, by their stable
        ``finding_id``; ``change`` is one of :data:`FINDING_CHANGES`.
    """

    base: Model
    other: Model
    label_before: str
    label_after: str
    exposure_before: pd.DataFrame
    exposure_after: pd.DataFrame
    coverage_before: pd.DataFrame
    coverage_after: pd.DataFrame
    findings_before: pd.DataFrame
    findings_after: pd.DataFrame
    exposure_delta: pd.DataFrame
    coverage_delta: pd.DataFrame
    findings_delta: pd.DataFrame

    def headline(self) -> pd.DataFrame:
        """Headline numbers: ``metric, before, after, delta`` (and ``note`` naming the system concerned).

        Metrics: ``max_mn_exposure`` (the highest exposure of a system holding My Numbers),
        ``records_at_stake`` (sum over systems of exposure × records held: expected records reached),
        ``reached_systems`` (systems with exposure > 0), ``covered_pairs``, ``gaps``, ``coverage``
        (covered / pairs over all stages), ``open_findings`` and ``open_severity_4``.

        Examples
        --------
        >>> from pia_analysis import load_model, bundled_model_path
        >>> m = load_model(bundled_model_path())
        >>> compare(m, m).headline()["metric"].tolist()[:3]
        ['max_mn_exposure', 'records_at_stake', 'reached_systems']
        """
        def side(exp: pd.DataFrame, cov: pd.DataFrame, fnd: pd.DataFrame) -> dict[str, tuple[float, str]]:
            holders = exp.loc[exp["holds_my_number"]]
            if len(holders):
                top = holders.sort_values(["exposure", "system_id"], ascending=[False, True], kind="stable").iloc[0]
                max_mn = (float(top["exposure"]), str(top["system_id"]))
            else:
                max_mn = (0.0, "")
            pairs = int(cov["pairs"].sum())
            covered = int(cov["covered"].sum())
            open_ = fnd.loc[fnd["status"] == "open"]
            return {
                "max_mn_exposure": max_mn,
                "records_at_stake": (float(exp["records_at_stake"].sum()), ""),
                "reached_systems": (float((exp["exposure"] > 0).sum()), ""),
                "covered_pairs": (float(covered), ""),
                "gaps": (float(cov["gaps"].sum()), ""),
                "coverage": (covered / pairs if pairs else float("nan"), ""),
                "open_findings": (float(len(open_)), ""),
                "open_severity_4": (float((open_["severity"] == 4).sum()), ""),
            }

        before = side(self.exposure_before, self.coverage_before, self.findings_before)
        after = side(self.exposure_after, self.coverage_after, self.findings_after)
        rows = []
        for metric in before:
            (b, nb), (a, na) = before[metric], after[metric]
            note = nb if nb == na else f"{nb} → {na}".strip()
            rows.append({"metric": metric, "before": b, "after": a, "delta": a - b, "note": note})
        return pd.DataFrame(rows, columns=["metric", "before", "after", "delta", "note"])

    @property
    def findings_appeared(self) -> list[str]:
        """The ids of the findings present only after."""
        return self._findings("appeared")

    @property
    def findings_disappeared(self) -> list[str]:
        """The ids of the findings present only before."""
        return self._findings("disappeared")

    @property
    def findings_changed(self) -> list[str]:
        """The ids of the findings present in both whose severity or status changed."""
        return self._findings("severity_changed", "status_changed")

    def _findings(self, *changes: str) -> list[str]:
        d = self.findings_delta
        return sorted(d.loc[d["change"].isin(changes), "finding_id"])

    def exposure_of(self, system_id: str) -> tuple[float, float]:
        """(before, after) exposure of one system (0 where it does not exist)."""
        row = self.exposure_delta.set_index("system_id").loc[system_id]
        return float(row["exposure_before"]), float(row["exposure_after"])

    def changed_exposure(self, tolerance: float = 1e-12) -> pd.DataFrame:
        """The rows of :attr:`exposure_delta` whose exposure changed (or whose system came or went)."""
        d = self.exposure_delta
        return d.loc[(d["exposure_delta"].abs() > tolerance) | (d["presence"] != "both")].reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: labels, headline, changed exposure, coverage per stage, finding changes."""
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: plain_value(v) for k, v in row.items()} for row in frame.to_dict("records")]

        return {
            "before": self.label_before,
            "after": self.label_after,
            "headline": records(self.headline()),
            "exposure": records(self.changed_exposure()),
            "coverage": records(self.coverage_delta),
            "findings": records(self.findings_delta),
        }


def plain_value(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [plain_value(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def exposure_delta_table(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    b = before.set_index("system_id")
    a = after.set_index("system_id")
    rows = []
    for sid in sorted(set(b.index) | set(a.index)):
        in_b, in_a = sid in b.index, sid in a.index
        src = a.loc[sid] if in_a else b.loc[sid]
        eb = float(b.at[sid, "exposure"]) if in_b else 0.0
        ea = float(a.at[sid, "exposure"]) if in_a else 0.0
        rb = float(b.at[sid, "records_at_stake"]) if in_b else 0.0
        ra = float(a.at[sid, "records_at_stake"]) if in_a else 0.0
        rows.append({
            "system_id": sid, "name_ja": src["name_ja"], "name_en": src["name_en"],
            "holds_my_number": bool(src["holds_my_number"]),
            "presence": "both" if in_b and in_a else ("added" if in_a else "removed"),
            "exposure_before": eb, "exposure_after": ea, "exposure_delta": ea - eb,
            "records_at_stake_before": rb, "records_at_stake_after": ra, "records_at_stake_delta": ra - rb,
            "entry_point_before": b.at[sid, "entry_point"] if in_b else "",
            "entry_point_after": a.at[sid, "entry_point"] if in_a else "",
            "path_before": list(b.at[sid, "path"]) if in_b else [],
            "path_after": list(a.at[sid, "path"]) if in_a else [],
        })
    out = pd.DataFrame(rows, columns=EXPOSURE_DELTA_COLUMNS)
    out = out.astype({"holds_my_number": "bool", "exposure_before": "float64", "exposure_after": "float64",
                      "exposure_delta": "float64", "records_at_stake_before": "float64",
                      "records_at_stake_after": "float64", "records_at_stake_delta": "float64"})
    # Rows are in id order, so a stable sort on the size of the change breaks ties by id.
    order = out["exposure_delta"].abs().sort_values(ascending=False, kind="stable").index
    return out.loc[order].reset_index(drop=True)


def coverage_delta_table(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    b = before.set_index("stage")
    a = after.set_index("stage")
    rows = []
    for stage in before["stage"]:  # the official order (both tables list the six stages)
        rows.append({
            "stage": stage, "stage_no": int(b.at[stage, "stage_no"]), "name_ja": b.at[stage, "name_ja"],
            "pairs_before": int(b.at[stage, "pairs"]), "pairs_after": int(a.at[stage, "pairs"]),
            "covered_before": int(b.at[stage, "covered"]), "covered_after": int(a.at[stage, "covered"]),
            "gaps_before": int(b.at[stage, "gaps"]), "gaps_after": int(a.at[stage, "gaps"]),
            "coverage_before": float(b.at[stage, "coverage"]), "coverage_after": float(a.at[stage, "coverage"]),
        })
    out = pd.DataFrame(rows, columns=COVERAGE_DELTA_COLUMNS[:-1])
    out["coverage_delta"] = out["coverage_after"] - out["coverage_before"]
    return out


def _findings_delta(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    b = before.set_index("finding_id")
    a = after.set_index("finding_id")
    rows = []
    for fid in sorted(set(b.index) | set(a.index)):
        in_b, in_a = fid in b.index, fid in a.index
        if in_b and in_a:
            sb, sa = int(b.at[fid, "severity"]), int(a.at[fid, "severity"])
            if sb != sa:
                change = "severity_changed"
            elif b.at[fid, "status"] != a.at[fid, "status"]:
                change = "status_changed"
            else:
                continue
        else:
            change = "appeared" if in_a else "disappeared"
        src = a.loc[fid] if in_a else b.loc[fid]
        rows.append({
            "finding_id": fid, "rule_id": src["rule_id"], "element": src["element"], "change": change,
            "status_before": b.at[fid, "status"] if in_b else "", "status_after": a.at[fid, "status"] if in_a else "",
            "severity_before": int(b.at[fid, "severity"]) if in_b else 0,
            "severity_after": int(a.at[fid, "severity"]) if in_a else 0,
            "title_ja": src["title_ja"], "title_en": src["title_en"],
        })
    out = pd.DataFrame(rows, columns=FINDINGS_DELTA_COLUMNS)
    out = out.astype({"severity_before": "int64", "severity_after": "int64"})
    rank = {c: i for i, c in enumerate(FINDING_CHANGES)}
    key = out.assign(_c=out["change"].map(rank), _s=-out[["severity_before", "severity_after"]].max(axis=1))
    return out.loc[key.sort_values(["_c", "_s", "finding_id"], kind="stable").index].reset_index(drop=True)


def compare(base: Model, other: Model, label_before: str | None = None, label_after: str | None = None) -> Comparison:
    """Run the exposure, coverage and findings analyses on two models and line the results up.

    Parameters
    ----------
    base, other
        The models (e.g. a model and the same model changed by :func:`apply_scenario`).
    label_before, label_after
        Short names for tables and charts (default: the models' ids; ``"scenario"`` for ``other`` when
        the ids are equal).

    Examples
    --------
    >>> from pia_analysis import load_model, bundled_model_path
    >>> m = load_model(bundled_model_path())
    >>> c = compare(m, apply_scenario(m, bundled_model_path() / "scenarios" / "store-firewall-fails.yaml"))
    >>> before, after = c.exposure_of("JLIS_CENTRE")  # the kiosk's step loses the firewall's factor 1 - 0.8
    >>> round(after / before, 6)
    5.0
    >>> list(c.coverage_delta["stage"])
    ['acquire', 'use', 'outsource', 'provide', 'network', 'retain']
    """
    from ..analysis.coverage import stage_coverage
    from ..analysis.exposure import node_exposure
    from ..analysis.findings import find_findings

    exp_b, exp_a = node_exposure(base), node_exposure(other)
    cov_b, cov_a = stage_coverage(base), stage_coverage(other)
    fnd_b, fnd_a = find_findings(base), find_findings(other)
    before = label_before or base.id
    after = label_after or (other.id if other.id != base.id else "scenario")
    return Comparison(
        base=base, other=other, label_before=before, label_after=after,
        exposure_before=exp_b, exposure_after=exp_a, coverage_before=cov_b, coverage_after=cov_a,
        findings_before=fnd_b, findings_after=fnd_a,
        exposure_delta=exposure_delta_table(exp_b, exp_a), coverage_delta=coverage_delta_table(cov_b, cov_a),
        findings_delta=_findings_delta(fnd_b, fnd_a),
    )
