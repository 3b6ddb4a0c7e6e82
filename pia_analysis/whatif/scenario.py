"""The scenario format: what-if change sets of a model, read and checked.

A scenario is a small YAML file (see ``docs/scenarios.md``)::

    id: store-firewall-fails
    title_ja: 店舗側ファイアウォールの障害
    title_en: The store-side firewall fails
    source: "minutes 2021-11-09: コンビニからは、LGWAN に直接アクセスできるか"
    add:    {systems: [{system_id: X, …}], flows: […]}       # rows, with the columns of the CSV files
    remove: {systems: [ids], flows: [ids], controls: [ids]}  # cascades, see pia_analysis.whatif.apply
    set:    {controls: {C-STORE-FW: {status: missing}}, model: {target_population: 950000}}

:func:`load_scenario` reads and checks it (every problem located at its line of the YAML file, raised
as one :class:`~pia_analysis.model.errors.ModelError`); :func:`parse_scenario` does the same for a text;
:func:`bundled_scenarios` lists the scenarios beside a model. Applying a scenario to a model is
:mod:`pia_analysis.whatif.apply`; comparing the two models is :mod:`pia_analysis.whatif.compare`.

Values are parsed exactly like CSV cells: ``holds: "A;B"`` or ``holds: [A, B]``, ``true``/``はい``,
``0.3`` or ``30%``. The order of application is: removals (with their cascades), then additions, then
``set`` — so a row can be replaced by removing and adding the same id.
"""

from __future__ import annotations

__all__ = [
    "SCENARIO_KEYS",
    "RowChange",
    "Scenario",
    "ScenarioError",
    "as_scenario",
    "bundled_scenarios",
    "load_scenario",
    "parse_scenario",
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
    control_character_problem,
    masked_name,
    path_is,
    read_text,
    yaml_my_numbers,
)
from ..model.yamlread import ModelYamlLoader
from ..model.cells import (
    EDGE_SPACES,
    ID_FORBIDDEN,
    control_problem,
    invisible_problem,
    my_number_problem,
    nfkc,
    parse_cell,
    parse_meta_value,
)
from ..model.model import Model, require_model
from ..model.mynumber import find_my_numbers
from ..model.schema import MODEL_KEYS, TABLE_BY_NAME, Column
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
# The procedure record is what happened, not a what-if: a scenario does not set it either.
SETTABLE_META = tuple(k for k in MODEL_KEYS if k not in ("id", "previous", "procedure"))
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
        r"""The scenario's entries: ``op, table, id, columns, line`` in the order they are applied.

        Examples
        --------
        >>> from pia_analysis import parse_scenario
        >>> s = parse_scenario("id: x\nset:\n  controls:\n    C1: {status: missing}\n")
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
            if (invisible := invisible_problem(self.label, _line(k), key_column or what or key,
                                               written.strip(EDGE_SPACES),
                                               "id" if key_column else "name")) is not None:
                self.problems.append(invisible)
                continue
            if key in seen:
                self.problem(k, key, f"appears twice in {what or 'the file'} (first on line {seen[key]})",
                             "keep one of them")
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
    # a rating's English spelling stays as written here: the rated item's choice set decides which Japanese
    # choice it is (Ⅲ and Ⅳ differ), once the scenario is applied (whatif.apply), as on load
    return parse_cell(col, text, reader.label, _line(node), reader.problems)


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
                reader.problem(row_node, table.key, "is missing from the added row",
                               f"every row of {name} needs its {table.key}")
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
                reader.problem(item, table.key, f"{key!r} is not a valid id",
                               "ids may not contain spaces, ';', ',', '*' or '@'")
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
                    reader.problem(kk, key,
                                   "cannot be set by a scenario" if key in MODEL_KEYS else "is not a key of model.yaml",
                                   f"a scenario may set {', '.join(SETTABLE_META)}")
                    continue
                value = parse_meta_value(key, reader.value(kv), MODEL_KEYS[key][1], reader.label, _line(kk),
                                         reader.problems)
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
                    reader.problem(cknode, col_name, f"is not a column of {table.filename}",
                                   f"the columns are {', '.join(spec)}")
                    continue
                if col_name == table.key:
                    reader.problem(cknode, col_name, "an id cannot be changed by set",
                                   "remove the row and add it with the new id")
                    continue
                values[col_name] = _parse_value(reader, cvnode, col)
                lines[col_name] = _line(cknode)
            out.append(RowChange("set", name, key, values, _line(idnode), lines))
    return out, meta, meta_lines


def parse_scenario(text: str, label: str = "<scenario>", default_id: str = "scenario",
                   path: Path | None = None) -> Scenario:
    r"""Parse and check the text of a scenario file.

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

    Returns
    -------
    Scenario
        The scenario: its texts, its entries (typed values, with their lines) and its ``set: {model: …}`` keys.

    Raises
    ------
    ModelError
        With every problem found, each located ``label:line: column: message``.

    Examples
    --------
    >>> from pia_analysis import ModelError, parse_scenario
    >>> s = parse_scenario("id: x\nset:\n  systems:\n    KIOSK: {entry_likelihood: 30%}\n")
    >>> s.set[0].values, s.set[0].line
    ({'entry_likelihood': 0.3}, 4)
    >>> parse_scenario("id: x\nremove: {flows: F1;F2}\n").remove[1].key
    'F2'
    >>> try:
    ...     parse_scenario("id: x\nset:\n  controls:\n    C1: {status: gone}\n", label="s.yaml")
    ... except ModelError as exc:
    ...     p = exc.problems[0]
    >>> p.line, p.column, p.message
    (4, 'status', "'gone' is not one of implemented, planned, missing, unknown")
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
    top = [] if node is None else reader.mapping(node, "",
                                                 "a scenario is a mapping: id, title_ja, title_en, add, remove, set")
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
                    reader.problem(vnode, key, f"{value!r} is not a valid id",
                                   "ids may not contain spaces, ';', ',', '*' or '@'")
                    continue
                if (invisible := invisible_problem(label, _line(vnode), key, value)) is not None:
                    problems.append(invisible)
                    continue
            elif (control := control_problem(label, _line(vnode), key, value)) is not None:
                problems.append(control)  # a title shown in the pack, as a name is
                continue
            fields[key] = value
    # The same row twice in one operation is a slip, never an intention.
    for op in ("add", "remove", "set"):
        first: dict[tuple[str, str], int | None] = {}
        for c in changes[op]:
            if (c.table, c.key) in first:
                reader.problems.append(Problem(label, c.line, TABLE_BY_NAME[c.table].key,
                                               f"{c.key!r} appears twice in {op} {c.table} "
                                               f"(first on line {first[(c.table, c.key)]})",
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
    scenario = Scenario(add=tuple(changes["add"]), remove=tuple(changes["remove"]), set=tuple(changes["set"]),
                        meta=meta, meta_lines=meta_lines, label=label, path=path, **fields)
    if problems:
        raise ScenarioError(sort_problems(problems, unlisted_by_label=False), scenario)
    return scenario


class ScenarioError(ModelError):
    """A scenario file's problems, with ``partial``: the scenario read around them.

    A bad value stands as its column's harmless default in ``partial``; its entries' ids are as written, so
    that applying it can also report the ids the model lacks, in the same run (whatif.apply).
    """

    def __init__(self, problems: list[Problem], partial: Scenario):
        super().__init__(problems)
        self.partial = partial


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Load and check a scenario file (YAML, read with the safe loader only).

    Parameters
    ----------
    path
        The ``.yaml`` file; its name (without ``.yaml``) is the scenario's id when the file gives none.

    Returns
    -------
    Scenario
        The loaded, checked scenario (see :func:`parse_scenario`).

    Raises
    ------
    ModelError
        With every problem, each located at its line of the file.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_scenario
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

    Parameters
    ----------
    model
        A loaded model (a model without a directory, e.g. built in code, has none).

    Returns
    -------
    list of Path
        The ``*.yaml`` files.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``model`` is not a loaded :class:`~pia_analysis.Model` (a path, say).

    Examples
    --------
    >>> from pia_analysis.whatif.scenario import bundled_scenarios
    >>> from pia_analysis import load_model, bundled_model_path
    >>> len(bundled_scenarios(load_model(bundled_model_path()))) >= 6
    True
    """
    require_model(model, "bundled_scenarios")
    if model.path is None or not (model.path / "scenarios").is_dir():
        return []
    return sorted((model.path / "scenarios").glob("*.yaml"))


def as_scenario(scenario: Scenario | str | os.PathLike[str] | Mapping[str, Any]) -> Scenario:
    """A :class:`Scenario` from a scenario, the path of a scenario file, or a mapping with the keys of one.

    Parameters
    ----------
    scenario
        A :class:`Scenario` (returned as it is), a path (read by :func:`load_scenario`), or a mapping built
        in code (checked exactly like a file; problems are then located at lines of its YAML dump).

    Returns
    -------
    Scenario
        The loaded, checked scenario.

    Raises
    ------
    ModelError
        When the scenario is not valid.

    Examples
    --------
    >>> from pia_analysis.whatif.scenario import as_scenario
    >>> as_scenario({"id": "x", "remove": {"flows": ["F1"]}}).remove[0].key
    'F1'
    """
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, Mapping):
        # A change set built in code: checked exactly like a file (lines then refer to this YAML dump).
        return parse_scenario(yaml.safe_dump(dict(scenario), allow_unicode=True, sort_keys=False),
                              label="<scenario>")
    return load_scenario(scenario)
