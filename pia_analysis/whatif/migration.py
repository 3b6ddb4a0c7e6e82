"""A scenario over a city workspace, and the move of a city's systems to the government cloud.

A change to a city is written once and reaches every affair whose part of the shared part it touches
(``docs/government-cloud.md``, "Migrating a city"):

* :func:`apply_city_scenario`: an ordinary scenario (``docs/scenarios.md``) applied to a workspace. Its entries
  name the shared part's rows by their ids (``ATENA``) and an affair's own rows as :func:`~pia_analysis.whatif.city.
  city_model` names them (``juki:JUKI_REC``). The changed tables are written into a copy of the workspace and
  the copy is loaded as any workspace, so that every affair takes again its part of the changed shared part (the
  closure of ``formats/shared.py``) and is checked as it would be on disk;
* :func:`write_city_scenario`: the same, written to a NEW folder (never over an existing one; whole or not at
  all);
* :func:`city_migration`: named systems of the city (shared, or an affair's own as ``affair:ID``) moved to a
  government-cloud tenancy with :func:`~pia_analysis.whatif.cloud.cloud_migration_spec` over the city model, and
  per affair the class of the change and its reasons, its (別添3) rows, the exposure of its My Number holders and
  its coverage by stage before and after; systems already in a government-cloud zone (a cloud-to-cloud move) and
  the controls that name a moved system (questions for the analyst) are listed beside.
"""

from __future__ import annotations

__all__ = ["CityMigration", "apply_city_scenario", "city_migration", "city_scenario", "write_city_scenario",
           "write_migration"]

import dataclasses
import datetime as dt
import os
import shutil
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..formats.directory import path_is, read_table, table_to_csv_text
from ..formats.workspace import Workspace, load_workspace, require_workspace
from ..model.cells import empty_table
from ..model.errors import ModelError, Problem
from ..model.schema import SHARED_TABLES, TABLE_BY_NAME
from ..util.errors import InvalidArgumentError
from ..util.files import remove_scratch_dir, scratch_dir, write_new_dir
from .city import NAMESPACE_SEP, CityImpact, city_model, shared_change_impact
from .cloud import DEFAULT_LINE, DEFAULT_ZONE_ID, cloud_migration_spec
from .scenario import RowChange, Scenario, as_scenario

#: The per-affair table of :class:`CityMigration`.
MIGRATION_COLUMNS = ["affair_id", "name", "change_class", "change_class_ja", "rules", "reasons_ja", "reasons_en",
                     "sheet_rows", "moved", "mn_holders", "exposure_max_before", "exposure_max_after",
                     "coverage_before", "coverage_after", "open_findings_before", "open_findings_after"]
EXPOSURE_COLUMNS = ["affair_id", "holder_id", "name_ja", "moved", "records", "exposure_before", "exposure_after",
                    "delta"]
COVERAGE_COLUMNS = ["affair_id", "stage", "coverage_before", "coverage_after", "delta"]
QUESTION_COLUMNS = ["affair_id", "control_id", "name_ja", "applies_to", "moved", "question_ja", "question_en"]

_SHARED = "shared"  # the target of an entry on the shared part (an affair's own row: its affair id)


# ---------------------------------------------------------------------------------------------------
# where each entry of a scenario goes


def _empty_like(series: pd.Series) -> Any:
    """The empty cell of a column, as the scenario's ``add`` fills the columns it does not give."""
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
    if isinstance(a, float) and isinstance(b, float) and pd.isna(a) and pd.isna(b):
        return True
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return list(a or []) == list(b or [])
    return a == b


def _frame_like(original: pd.DataFrame, records: list[dict[str, Any]]) -> pd.DataFrame:
    """A DataFrame of ``records`` with the columns and dtypes of ``original`` (lists stay Python lists)."""
    data = {col: pd.Series([r.get(col) for r in records], dtype=object if original[col].dtype == object
                           else original[col].dtype) for col in original.columns}
    return pd.DataFrame(data, columns=original.columns)


def _own_ids(ws: Workspace, affair_id: str, table: str) -> set[str]:
    model = ws.models[affair_id]
    key = TABLE_BY_NAME[table].key
    frame = getattr(model, table)
    if not isinstance(key, str) or key not in frame:
        return set()
    return set(frame[key]) - set(model.shared_ids)


def _strip(value: Any, prefix: str) -> Any:
    """An affair's own row names its affair's ids bare: ``juki:J01`` → ``J01`` (shared ids are bare already)."""
    if isinstance(value, str) and value.startswith(prefix):
        return value[len(prefix):]
    if isinstance(value, list):
        return [_strip(v, prefix) for v in value]
    return value


def _targets(ws: Workspace, scenario: Scenario) -> tuple[list[tuple[str, RowChange]], list[Problem]]:
    """Each entry with where it goes (``shared`` or an affair id, its key made local), and the problems."""
    problems: list[Problem] = []
    out: list[tuple[str, RowChange]] = []
    shared_ids = {t: set(ws.shared[t][TABLE_BY_NAME[t].key]) for t in SHARED_TABLES}

    def problem(c: RowChange, message: str, hint: str) -> None:
        problems.append(Problem(scenario.label, c.line, str(TABLE_BY_NAME[c.table].key), message, hint))

    for c in (*scenario.remove, *scenario.add, *scenario.set):
        affair, sep, local = c.key.partition(NAMESPACE_SEP)
        if sep and affair in ws.models:
            prefix = affair + NAMESPACE_SEP
            if c.op != "add" and local not in _own_ids(ws, affair, c.table):
                problem(c, f"cannot {c.op} {c.key!r}: affair {affair!r} has no {TABLE_BY_NAME[c.table].key} "
                           f"{local!r} of its own in {c.table}",
                        f"its own ids: {', '.join(sorted(_own_ids(ws, affair, c.table))[:12]) or '(none)'}")
                continue
            if ws.models[affair].path is None or not path_is(Path(ws.models[affair].path), "dir"):
                problem(c, f"cannot change affair {affair!r}: its model is a workbook",
                        "convert it to a model folder (pia-analysis convert) and name the folder in city.yaml")
                continue
            key = TABLE_BY_NAME[c.table].key
            values = {k: (_strip(v, prefix) if k != key else local) for k, v in c.values.items()}
            if c.op == "add":
                values[key] = local
            out.append((affair, dataclasses.replace(c, key=local, values=values)))
            continue
        if c.table in SHARED_TABLES and (c.key in shared_ids[c.table] or c.op == "add"):
            out.append((_SHARED, c))
            continue
        owners = sorted(a for a in ws.models if c.key in _own_ids(ws, a, c.table))
        if owners:
            problem(c, f"{c.key!r} is not in the shared part: it is affair {' and '.join(map(repr, owners))}'s own",
                    f"name an affair's own row as AFFAIR{NAMESPACE_SEP}ID, e.g. {owners[0]}{NAMESPACE_SEP}{c.key}")
        elif c.table not in SHARED_TABLES:
            problem(c, f"{c.table} is not a table of the shared part",
                    f"name the affair's row as AFFAIR{NAMESPACE_SEP}ID (affairs: {', '.join(ws.models)})")
        else:
            known = sorted(shared_ids[c.table])
            problem(c, f"cannot {c.op} {c.key!r}: it is not in the shared part's {c.table} nor an affair's "
                       f"(AFFAIR{NAMESPACE_SEP}ID)", "shared ids: " + (", ".join(known[:12]) or "(none)"))
    if scenario.meta:
        line = min(scenario.meta_lines.values()) if scenario.meta_lines else None
        problems.append(Problem(scenario.label, line, "model", "sets model keys: a city scenario changes tables only",
                                "set an affair's model.yaml keys in its own scenario (pia-analysis scenario)"))
    return out, problems


# ---------------------------------------------------------------------------------------------------
# the changed tables


def _folders(ws: Workspace) -> dict[str, Path]:
    """The folder of the shared part and of each affair, by target."""
    folders = {a: Path(p) for a, p in zip(ws.affairs["affair_id"], ws.affairs["model_path"])}
    if ws.shared_path is not None:
        folders[_SHARED] = Path(ws.shared_path)
    return folders


def _changed_tables(ws: Workspace, scenario: Scenario) -> dict[tuple[str, str], pd.DataFrame]:
    """(target, table) → the table as it is after the scenario, for every table it changes."""
    entries, problems = _targets(ws, scenario)
    problems += _outside(ws)
    folders = _folders(ws)
    for target in {t for t, _ in entries}:
        if target == _SHARED and target not in folders:
            problems.append(Problem(scenario.label, None, "", "adds to the shared part, but the workspace has none",
                                    "add 'shared: shared' to city.yaml and create the folder"))
    if problems:
        raise ModelError(problems)
    frames: dict[tuple[str, str], list[dict[str, Any]]] = {}
    originals: dict[tuple[str, str], pd.DataFrame] = {}
    for target, c in entries:
        where = (target, c.table)
        if where not in frames:
            table = TABLE_BY_NAME[c.table]
            read: list[Problem] = []
            raw = read_table(folders[target], table, str(folders[target]), read) \
                if (folders[target] / table.filename).is_file() else None
            if read:
                raise ModelError(read)
            originals[where] = raw.frame if raw is not None else empty_table(table)
            frames[where] = originals[where].to_dict("records")
        rows, key = frames[where], TABLE_BY_NAME[c.table].key
        if c.op == "remove":
            frames[where] = [r for r in rows if r[key] != c.key]
        elif c.op == "add":
            if any(r[key] == c.key for r in rows):
                problems.append(Problem(scenario.label, c.line, key, f"cannot add {c.key!r}: it exists already",
                                        "use set to change it"))
                continue
            values = {col: _empty_like(originals[where][col]) for col in originals[where].columns}
            values.update(c.values)
            rows.append(values)
        else:
            for row in rows:
                if row[key] == c.key:
                    row.update({k: v for k, v in c.values.items() if not _same(row.get(k), v)})
    if problems:
        raise ModelError(problems)
    out = {}
    for where, rows in frames.items():
        columns = list(originals[where].columns)
        extra = [k for r in rows for k in r if k not in columns]
        template = originals[where].reindex(columns=columns + list(dict.fromkeys(extra)))
        out[where] = _frame_like(template, rows)
    return out


def _outside(ws: Workspace) -> list[Problem]:
    """The shared folder and affairs' models the changed copy cannot take along: outside the workspace folder.

    The change is written into a copy of the workspace folder; a folder reached from outside it (``shared:
    ../x``, a symlink to another place) would be read from its original place by the copy, or written through.
    """
    from ..formats.directory import key_line

    root = Path(ws.path)
    index = root / "city.yaml"
    problems = []
    if ws.shared_path is not None and not _within(ws.shared_path, root):
        problems.append(Problem(str(index), key_line(index, "shared"), "shared",
                                "the shared folder is outside the workspace folder (at "
                                f"{Path(ws.shared_path).resolve()}): a changed copy of the workspace cannot take it "
                                "along",
                                "move the shared folder into the workspace folder (a real folder, not a symlink), "
                                "set 'shared:' to its path relative to city.yaml, and run again"))
    for affair, path in zip(ws.affairs["affair_id"], ws.affairs["model_path"]):
        if not _within(path, root):
            problems.append(Problem(str(index), None, "affairs",
                                    f"affair {affair!r}'s model is outside the workspace folder (at "
                                    f"{Path(path).resolve()}): a changed copy of the workspace cannot take it along",
                                    "move the affair's folder into the workspace folder (a real folder, not a "
                                    "symlink), name it in city.yaml, and run again"))
    return problems


def _within(path: Path, folder: Path) -> bool:
    try:
        Path(path).resolve().relative_to(Path(folder).resolve())
    except ValueError:
        return False
    return True


def _build(ws: Workspace, changed: dict[tuple[str, str], pd.DataFrame], folder: Path,
           declarations: Mapping[str, list[str]] | None = None) -> None:
    """Fill ``folder`` with the workspace, the changed tables written over their copies.

    ``declarations`` gives, per affair, its new ``declared_not_applicable`` (the move drops 委託しない from an
    affair whose moved system a contractor now runs): only that key of the copy's model.yaml is rewritten.
    """
    root = Path(ws.path)
    shutil.copytree(root, folder, symlinks=True, dirs_exist_ok=True)
    folders = _folders(ws)
    for affair, declared in (declarations or {}).items():
        place = folder / Path(folders[affair]).resolve().relative_to(root.resolve()) / "model.yaml"
        place.write_text(_with_declarations(place.read_text(encoding="utf-8-sig"), declared), encoding="utf-8")
    for (target, name), frame in changed.items():
        table = TABLE_BY_NAME[name]
        place = folder / Path(folders[target]).resolve().relative_to(root.resolve()) / table.filename
        # an optional column the file did not have is left out while no row uses it (government_cloud
        # FALSE, functions empty), so that a changed file differs from the original in its changed cells only
        header = _header(place)
        unused = [c.name for c in table.columns if not c.required and c.name in frame and c.name not in header
                  and not any(_used(v) for v in frame[c.name])]
        place.write_text(table_to_csv_text(frame.drop(columns=unused), table), encoding="utf-8")


def _with_declarations(text: str, declared: list[str]) -> str:
    r"""model.yaml's text with ``declared_not_applicable`` set to ``declared`` (the key removed when empty).

    Only the key's own lines are rewritten, so that the comments and the other keys stay as the analyst wrote them.

    >>> _with_declarations("id: a\ndeclared_not_applicable: [outsource, provide]\nhandlers: 3\n", ["provide"])
    'id: a\ndeclared_not_applicable: [provide]\nhandlers: 3\n'
    >>> _with_declarations("id: a\ndeclared_not_applicable:\n  - outsource\nhandlers: 3\n", [])
    'id: a\nhandlers: 3\n'
    """
    import yaml

    root = yaml.compose(text)
    for knode, vnode in root.value if isinstance(root, yaml.MappingNode) else ():
        if knode.value != "declared_not_applicable":
            continue
        lines = text.splitlines(keepends=True)
        first, last = knode.start_mark.line, vnode.end_mark.line
        # a block list ends at the start of the next line: that line is not the key's
        if vnode.end_mark.column == 0 and last > first:
            last -= 1
        new = [f"declared_not_applicable: [{', '.join(declared)}]\n"] if declared else []
        return "".join(lines[:first] + new + lines[last + 1:])
    return text


def _header(path: Path) -> list[str]:
    """The column names of a CSV file (none when it does not exist)."""
    import csv

    if not path.is_file():
        return []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle), [])


def _used(value: Any) -> bool:
    if isinstance(value, float):
        return not pd.isna(value)
    return bool(value) if isinstance(value, (list, tuple, str, bool)) or value is None else True


def _relabel(error: ModelError, scratch: Path, root: Path, scenario: Scenario) -> ModelError:
    """The problems of the changed copy, located in the workspace's own files and naming the scenario.

    The scratch copy is gone when the message is read: every mention of it (the file, a row named in the message
    or the hint) names the workspace's own file instead, and the message says the problem is the change's.
    """
    problems = []
    scratch_text = (str(scratch), str(Path(scratch).resolve()))

    def here(text: Any) -> str:
        text = str(text)
        for old in scratch_text:
            text = text.replace(old, str(root))
        return text

    for p in error.problems:
        problems.append(Problem(here(p.file), p.line, p.column,
                                f"{here(p.message)} — once the change {scenario.label} is applied; the workspace "
                                "itself is valid", here(p.hint) if p.hint else p.hint))
    return ModelError(problems)


def _load_copy(ws: Workspace, scenario: Scenario, folder: Path) -> Workspace:
    try:
        return load_workspace(folder)
    except ModelError as exc:
        raise _relabel(exc, folder, Path(ws.path), scenario) from None


def city_scenario(scenario: Scenario | str | os.PathLike[str] | Mapping[str, Any]) -> Scenario:
    """A scenario for :func:`apply_city_scenario`, read and checked as any scenario.

    Parameters
    ----------
    scenario
        A :class:`~pia_analysis.whatif.scenario.Scenario`, the path of a scenario file or a mapping with its keys.

    Returns
    -------
    Scenario
        The scenario; its entries name shared rows by id and an affair's own rows as ``affair:ID``.

    Raises
    ------
    ModelError
        When the scenario is not valid (located at its lines).

    Examples
    --------
    >>> from pia_analysis.whatif.migration import city_scenario
    >>> city_scenario({"id": "x", "set": {"systems": {"juki:REG": {"operator": "contractor"}}}}).set[0].key
    'juki:REG'
    """
    return as_scenario(scenario)


def apply_city_scenario(ws: Workspace, scenario: Scenario | str | os.PathLike[str] | Mapping[str, Any]) -> Workspace:
    """The workspace changed by a scenario: the shared part and each affair's own rows, every affair re-derived.

    The entries name the shared part's rows by their ids and an affair's own rows as ``affair:ID`` (as
    :func:`~pia_analysis.whatif.city.city_model` names them); an added row with a bare id goes to the shared part.
    The changed tables are written into a scratch copy of the workspace, which is loaded as any workspace: each
    affair takes its part of the changed shared part again (a shared system moved into a new shared zone brings
    the zone into every affair that takes the system) and is checked as on disk. Removals do not cascade across
    the files: remove what names a removed row too, or the loader reports it.

    Parameters
    ----------
    ws
        A loaded workspace; it and its files are left untouched.
    scenario
        A scenario, the path of a scenario file, or a mapping with its keys.

    Returns
    -------
    Workspace
        The changed workspace. Its ``path`` is a scratch copy, kept while the object lives (removed when it is
        dropped or the program ends): :func:`write_city_scenario` writes the change where it is to stay.

    Raises
    ------
    ModelError
        With every problem at once: an entry naming an id neither shared nor an affair's (located at the
        scenario's line), an affair's own id named bare, an affair kept as a workbook, and what the changed
        workspace's loader refuses (located in the workspace's files, naming the scenario).
    pia_analysis.model.errors.ModelTypeError
        When ``ws`` is not a loaded workspace.

    Examples
    --------
    >>> from pia_analysis import load_workspace
    >>> from pia_analysis.whatif.migration import apply_city_scenario
    >>> ws = load_workspace("tests/workspaces/good")
    >>> new = apply_city_scenario(ws, {"id": "vendor", "set": {"systems": {"CONBINI": {"operator": "contractor"}}}})
    >>> new.models["juki"].systems.set_index("system_id").at["CONBINI", "operator"]
    'contractor'
    >>> "CONBINI" in new.models["zei"].systems["system_id"].tolist()
    False
    """
    require_workspace(ws, "apply_city_scenario")
    return _apply(ws, city_scenario(scenario))


def _apply(ws: Workspace, scenario: Scenario, declarations: Mapping[str, list[str]] | None = None) -> Workspace:
    """:func:`apply_city_scenario`, with the affairs' new ``declared_not_applicable`` (:func:`_build`)."""
    changed = _changed_tables(ws, scenario)
    # The copy is kept while the workspace object lives, so that its path holds exactly what it says (another
    # scenario can be applied to it, write_city_scenario can copy it); it is removed when the object is dropped
    # or the program ends.
    tmp = scratch_dir("pia-city-")
    try:
        folder = tmp / Path(ws.path).name
        _build(ws, changed, folder, declarations)
        new = _load_copy(ws, scenario, folder)
    except BaseException:
        remove_scratch_dir(tmp)
        raise
    weakref.finalize(new, remove_scratch_dir, str(tmp))
    return new


def write_city_scenario(ws: Workspace, scenario: Scenario | str | os.PathLike[str] | Mapping[str, Any],
                        out: str | os.PathLike[str]) -> Workspace:
    """Write the workspace changed by a scenario to a NEW folder, whole or not at all, and load it.

    The new folder is a copy of the workspace with the changed tables (the shared part's, each changed affair's)
    written over; it is loaded before it is put in place, so a change the loader refuses leaves nothing.

    Parameters
    ----------
    ws
        A loaded workspace; its folder is never written.
    scenario
        As for :func:`apply_city_scenario`.
    out
        The new folder: missing, or an empty folder.

    Returns
    -------
    Workspace
        The changed workspace, loaded from ``out``.

    Raises
    ------
    ModelError
        As :func:`apply_city_scenario`.
    pia_analysis.util.files.OutputRefused
        When ``out`` exists and is not empty, or is inside the workspace.
    pia_analysis.util.files.WriteFailed
        When writing fails.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from pia_analysis import load_workspace
    >>> from pia_analysis.whatif.migration import write_city_scenario
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "city-r8"
    >>> new = write_city_scenario(load_workspace("tests/workspaces/good"),
    ...                           {"id": "x", "set": {"systems": {"juki:REG": {"operator": "contractor"}}}}, out)
    >>> (out / "city.yaml").is_file(), new.models["juki"].systems.set_index("system_id").at["REG", "operator"]
    (True, 'contractor')
    """
    require_workspace(ws, "write_city_scenario")
    scenario = city_scenario(scenario)
    changed = _changed_tables(ws, scenario)
    out = Path(out)
    if _within(out, Path(ws.path)):
        from ..util.files import OutputRefused

        raise OutputRefused(f"{out} is inside the workspace {ws.path}: write the changed workspace beside it")

    def build(folder: Path) -> None:
        _build(ws, changed, folder)
        _load_copy(ws, scenario, folder)  # refused before anything is put in place

    write_new_dir(out, build, inputs=[ws.path], option="--out")
    return load_workspace(out)


# ---------------------------------------------------------------------------------------------------
# the move to the government cloud


@dataclass(frozen=True)
class CityMigration:
    """The move of a city's systems to the government cloud (:func:`city_migration`).

    Attributes
    ----------
    workspace : Workspace
        The workspace after the move (its path a scratch copy: :func:`write_city_scenario` writes it to stay).
    scenario : Scenario
        The move, as a scenario on the workspace (shared ids bare, affairs' own ``affair:ID``).
    spec : dict
        The same as the mapping of a scenario file (``yaml.safe_dump`` it to keep it).
    affairs : DataFrame
        Per affair (``MIGRATION_COLUMNS``): the class of its change and the rules and reasons of that class,
        its (別添3) rows, the moved systems in its model, its My Number holders, the largest exposure of a
        holder before and after, its coverage (covered pairs over pairs, the stages in scope) and its open
        findings before and after; 重要な変更 first, then in the order of city.yaml.
    exposure : DataFrame
        Per affair and My Number holder: records, exposure before and after, delta.
    coverage : DataFrame
        Per affair and stage: coverage before and after, delta (NaN where out of scope).
    sheets : DataFrame
        Every affair's (別添3) rows, ``affair_id`` first.
    cloud_to_cloud : DataFrame
        The named systems already in a government-cloud zone: ``system_id, zone_before, zone_after``.
    questions : DataFrame
        The controls naming a moved system (``QUESTION_COLUMNS``): kept as they are, each a question for the
        analyst (a control that assumed the city's premises may not hold in the tenancy).
    impact : CityImpact
        :func:`~pia_analysis.whatif.city.shared_change_impact` of the two workspaces (diffs per affair).
    declarations : dict
        Per affair whose declarations the move changes, its ``declared_not_applicable`` after the move: 委託しない
        (``outsource``) is dropped where a moved system of the affair is now run by a contractor (the vendor
        handles its files: Ⅱ 4 委託 becomes 委託する, a 重要な変更 with its (別添3) row).
    """

    workspace: Workspace
    scenario: Scenario
    spec: dict[str, Any]
    affairs: pd.DataFrame
    exposure: pd.DataFrame
    coverage: pd.DataFrame
    sheets: pd.DataFrame
    cloud_to_cloud: pd.DataFrame
    questions: pd.DataFrame
    impact: CityImpact
    declarations: dict[str, list[str]] = dataclasses.field(default_factory=dict)


def _names(systems: str | Iterable[str]) -> list[str]:
    if isinstance(systems, str):
        return [s.strip() for s in systems.replace(";", ",").split(",") if s.strip()]
    return [str(s).strip() for s in systems if str(s).strip()]


def _check_systems(ws: Workspace, names: list[str]) -> None:
    shared = set(ws.shared["systems"]["system_id"])
    problems = []
    for name in names:
        affair, sep, local = name.partition(NAMESPACE_SEP)
        if sep and affair in ws.models:
            if local not in _own_ids(ws, affair, "systems"):
                problems.append(f"affair {affair!r} has no system {local!r} of its own")
                if local in shared:
                    problems[-1] += f" ({local!r} is a shared system: name it {local})"
            else:
                problems += _not_movable(ws.models[affair].systems, local, name)
            continue
        if name in shared:
            problems += _not_movable(ws.shared["systems"], name, name)
            continue
        owners = sorted(a for a in ws.models if name in _own_ids(ws, a, "systems"))
        if owners:
            problems.append(f"{name!r} is not a shared system: it is affair {' and '.join(map(repr, owners))}'s own "
                            f"(name it {owners[0]}{NAMESPACE_SEP}{name})")
        else:
            problems.append(f"no system {name!r} in the workspace (shared systems: {', '.join(sorted(shared))}; an "
                            f"affair's own: AFFAIR{NAMESPACE_SEP}ID)")
    if problems:
        raise InvalidArgumentError("; ".join(problems))


#: The kinds of element that move to a tenancy (a terminal stays on the counter, a network or an outside party
#: is not the body's system).
_MOVABLE_KINDS = ("system", "store")
#: Who may run a moved system before the move: the body itself or its contractors (委託先, 再委託先); a system
#: of J-LIS, the State, another body or a resident is not the body's to move.
_MOVABLE_OPERATORS = ("city", "contractor", "subcontractor")


def _not_movable(systems: pd.DataFrame, system_id: str, shown: str) -> list[str]:
    """Why ``system_id`` cannot move to the body's tenancy (empty when it can)."""
    from ..util.words import operator_word

    row = systems.loc[systems["system_id"] == system_id]
    if not len(row):
        return []
    kind, operator = str(row["kind"].iloc[0]), str(row["operator"].iloc[0])
    if kind in _MOVABLE_KINDS and operator in _MOVABLE_OPERATORS:
        return []
    why = (f"it is of kind {kind!r}" if kind not in _MOVABLE_KINDS else
           f"it is run by {operator_word(operator, 'en')} ({operator})")
    return [f"{shown!r} cannot move to the government cloud: {why}; only the body's own systems and stores, run by "
            f"the body or its contractors, move to its tenancy"]


def _declarations(ws: Workspace, names: list[str], vendor: str) -> dict[str, list[str]]:
    """Per affair declaring 委託しない that takes a moved system now run by a contractor: its new declarations.

    ``outsource`` is dropped: the vendor handles the affair's files, so the form's Ⅱ 4 is 委託する.
    """
    from ..model.schema import OUTSOURCED_OPERATORS

    out: dict[str, list[str]] = {}
    if vendor not in OUTSOURCED_OPERATORS:
        return out
    for affair_id, model in ws.models.items():
        declared = list(model.meta.get("declared_not_applicable") or ())
        local = {n.partition(NAMESPACE_SEP)[2] if n.startswith(affair_id + NAMESPACE_SEP) else n for n in names}
        if "outsource" in declared and local & set(model.systems["system_id"]):
            out[affair_id] = [d for d in declared if d != "outsource"]
    return out


def city_migration(ws: Workspace, systems: str | Iterable[str], *, zone_id: str = DEFAULT_ZONE_ID,
                   vendor: str = "contractor", line: str = DEFAULT_LINE, encrypted: bool | None = None,
                   scenario_id: str = "city-cloud-migration", on: dt.date | None = None) -> CityMigration:
    """Move named systems of a city to a government-cloud tenancy, and say what it means for each affair.

    The move is :func:`~pia_analysis.whatif.cloud.cloud_migration_spec` over the city model
    (:func:`~pia_analysis.whatif.city.city_model`): the tenancy zone is added to the shared part (unless there),
    each named system's ``zone_id`` and ``operator`` set, and the flows between a moved system and one left
    behind put on ``line``. It is applied with :func:`apply_city_scenario` and compared affair by affair with
    :func:`~pia_analysis.whatif.city.shared_change_impact`.

    Parameters
    ----------
    ws
        The city before the move.
    systems
        The systems to move: shared ids (``ATENA``) and affairs' own as ``affair:ID`` (``juki:JUKI_REC``); a list
        or a text separated by ``,`` or ``;``.
    zone_id, vendor, line, encrypted
        As for :func:`~pia_analysis.whatif.cloud.cloud_migration_spec`.
    scenario_id
        The scenario's id.
    on
        The day of the move: the (別添3) rows' 変更日 (default: today). One move is one change: in an affair
        whose change is 重要な変更, every row of the move is submitted with the re-assessment, before the move
        (提出時期 事前), whatever the class of its own item (the new zone's row, a flow's, 委託しない dropped).

    Returns
    -------
    CityMigration
        The moved workspace, the scenario, and the tables per affair.

    Raises
    ------
    InvalidArgumentError
        When no system is named, a name is unknown, an affair's own system is named without its affair, a named
        system is not the body's own (a resident, a terminal, J-LIS's or the State's), ``zone_id`` is an affair's
        own zone, or a value is refused by :func:`~pia_analysis.whatif.cloud.cloud_migration_spec`.
    ModelError
        When the moved workspace does not load (its problems located in the workspace's files), or the shared
        folder or an affair's model is outside the workspace folder (located at city.yaml).
    pia_analysis.model.errors.ModelTypeError
        When ``ws`` is not a loaded workspace.

    Examples
    --------
    >>> from pia_analysis import load_workspace
    >>> from pia_analysis.whatif.migration import city_migration
    >>> m = city_migration(load_workspace("tests/workspaces/good"), ["juki:REG"])
    >>> m.affairs[["affair_id", "change_class_ja", "rules"]].values.tolist()
    [['juki', '重要な変更', ['mn-storage-moved', 'new-outsourcing']], ['zei', '変更なし', []]]
    """
    require_workspace(ws, "city_migration")
    names = list(dict.fromkeys(_names(systems)))
    if not names:
        raise InvalidArgumentError("name at least one system to move to the government cloud")
    _check_systems(ws, names)
    owners = sorted(a for a in ws.models if zone_id in _own_ids(ws, a, "zones"))
    if owners:
        raise InvalidArgumentError(f"zone {zone_id!r} is affair {' and '.join(map(repr, owners))}'s own zone: the "
                                   "tenancy is the city's, added to the shared part; name another zone id, or move "
                                   f"{zone_id} to shared/zones.csv (government_cloud TRUE)")
    city = city_model(ws)
    spec = cloud_migration_spec(city, names, zone_id=zone_id, vendor=vendor, line=line, encrypted=encrypted,
                                scenario_id=scenario_id)
    scenario = dataclasses.replace(as_scenario(spec), label=f"(the move of {', '.join(names)} to the "
                                                         f"government cloud, zone {zone_id})")
    declarations = _declarations(ws, names, vendor)
    moved_ws = _apply(ws, scenario, declarations)
    impact = shared_change_impact(ws, moved_ws)
    # cloud to cloud: a named system already in a government-cloud zone
    zones = city.zones.set_index("zone_id")
    cloud = zones["government_cloud"].astype(bool) if "government_cloud" in zones else pd.Series(False, zones.index)
    zone_of = dict(zip(city.systems["system_id"], city.systems["zone_id"]))
    again = [{"system_id": s, "zone_before": zone_of[s], "zone_after": zone_id} for s in names
             if bool(cloud.get(zone_of[s], False))]
    questions = _questions(city, names)
    rows, exposure, coverage = [], [], []
    by_affair = impact.affairs.set_index("affair_id")
    for affair_id in ws.affairs["affair_id"]:
        row = by_affair.loc[affair_id]
        d = impact.diffs.get(affair_id)
        old, new = ws.models[affair_id], moved_ws.models[affair_id]
        own = {n.partition(NAMESPACE_SEP)[2] for n in names if n.startswith(affair_id + NAMESPACE_SEP)}
        shared_moved = {n for n in names if NAMESPACE_SEP not in n}
        # a shared id the affair defines itself (a copy kept by a standalone save) is the affair's own row: the
        # move of the shared one does not reach it
        copies = sorted(shared_moved & (set(old.systems["system_id"]) - set(old.shared_ids)))
        moved = [s for s in old.systems["system_id"] if s in own or (s in shared_moved and s in old.shared_ids)]
        holders = _holders(old)
        before = _exposure(old).reindex(holders)
        after = _exposure(new).reindex(holders)
        names_ja = dict(zip(old.systems["system_id"], old.systems["name_ja"]))
        records = _records(old)
        for h in holders:
            exposure.append({"affair_id": affair_id, "holder_id": h, "name_ja": names_ja.get(h, ""),
                             "moved": h in moved, "records": records.get(h, 0), "exposure_before": float(before[h]),
                             "exposure_after": float(after[h]), "delta": float(after[h] - before[h])})
        cov_b, cov_a = _coverage(old), _coverage(new)
        for stage in cov_b.index:
            b, a = float(cov_b[stage]), float(cov_a.get(stage, float("nan")))
            coverage.append({"affair_id": affair_id, "stage": stage, "coverage_before": b, "coverage_after": a,
                             "delta": a - b})
        deciding = d.changes.loc[d.changes["change_class"] == row["change_class"]] if d is not None else None
        rules = sorted({r for rs in deciding["rules"] for r in rs
                        if _rule_class(r) == row["change_class"]}) if deciding is not None else []
        copy_ja = [f"{c} はこの事務自身の行で、共有部分の {c} ではないため移らない（共有部分のものを使うなら"
                   f"事務の行を削除し shared_systems に {c} を挙げる）" for c in copies]
        copy_en = [f"{c} is the affair's own row, not the shared {c}: it does not move (to use the shared one, remove "
                   f"the affair's row and list {c} in shared_systems)" for c in copies]
        rows.append({"affair_id": affair_id, "name": row["name"], "change_class": row["change_class"],
                     "change_class_ja": row["change_class_ja"], "rules": rules,
                     "reasons_ja": "; ".join(filter(None, [row["reasons_ja"], *copy_ja])),
                     "reasons_en": "; ".join(filter(None, [row["reasons_en"], *copy_en])),
                     "sheet_rows": int(row["sheet_rows"]), "moved": moved,
                     "mn_holders": holders,
                     "exposure_max_before": float(before.max()) if len(holders) else 0.0,
                     "exposure_max_after": float(after.max()) if len(holders) else 0.0,
                     "coverage_before": _overall(old), "coverage_after": _overall(new),
                     "open_findings_before": _open(old), "open_findings_after": _open(new)})
    sheets = _one_change(impact.sheets, impact.affairs, on or dt.date.today())
    rank = {a: i for i, a in enumerate(impact.affairs["affair_id"])}
    table = pd.DataFrame(rows, columns=MIGRATION_COLUMNS)
    table = table.sort_values("affair_id", key=lambda s: s.map(rank), kind="stable").reset_index(drop=True)
    return CityMigration(workspace=moved_ws, scenario=scenario, spec=spec, affairs=table,
                         exposure=pd.DataFrame(exposure, columns=EXPOSURE_COLUMNS),
                         coverage=pd.DataFrame(coverage, columns=COVERAGE_COLUMNS), sheets=sheets,
                         cloud_to_cloud=pd.DataFrame(again, columns=["system_id", "zone_before", "zone_after"]),
                         questions=pd.DataFrame(questions, columns=QUESTION_COLUMNS), impact=impact,
                         declarations=declarations)


def write_migration(migration: CityMigration, out: str | os.PathLike[str], *,
                    inputs: Iterable[str | os.PathLike[str]] = ()) -> Path:
    """Write the moved workspace of :func:`city_migration` to a NEW folder, whole or not at all.

    The folder is a copy of the moved workspace as it was checked (its tables and the affairs' model.yaml
    whose 委託しない the move dropped); a failure or an interruption leaves no folder.

    Parameters
    ----------
    migration
        The move.
    out
        The new folder: missing, or an empty folder.
    inputs
        The files and folders the caller read (the original workspace): never written over.

    Returns
    -------
    pathlib.Path
        ``out``.

    Raises
    ------
    pia_analysis.util.files.OutputRefused
        When ``out`` exists and is not empty, or is one of ``inputs``.
    pia_analysis.util.files.WriteFailed
        When writing fails.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from pia_analysis import load_workspace
    >>> from pia_analysis.whatif.migration import city_migration, write_migration
    >>> m = city_migration(load_workspace("tests/workspaces/good"), ["juki:REG"])
    >>> out = write_migration(m, pathlib.Path(tempfile.mkdtemp()) / "moved")
    >>> load_workspace(out).models["juki"].systems.set_index("system_id").at["REG", "zone_id"]
    'GOVCLOUD'
    """
    source = Path(migration.workspace.path)
    inputs = list(inputs)
    for path in inputs:
        if _within(out, Path(path)):
            from ..util.files import OutputRefused

            raise OutputRefused(f"{out} is inside the workspace {path}: write the moved workspace beside it")
    return write_new_dir(Path(out), lambda folder: shutil.copytree(source, folder, symlinks=True,
                                                                   dirs_exist_ok=True),
                         inputs=inputs, option="--out")


def _one_change(sheets: pd.DataFrame, affairs: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """The (別添3) rows of the move: dated on the day of the move, and one 提出時期 per affair.

    ``diff`` dates a row on the new version's assessment date, which the move did not change (the old one): the
    day of the move is the change's. Each row's 提出時期 follows its own item's class; but the rows of one move
    in an affair of 重要な変更 go together with the re-assessment, before the move.
    """
    out = sheets.copy()
    if not len(out):
        return out
    out["変更日"] = day.isoformat()
    out["変更日の根拠"] = "移行の日（city migrate --on、既定は実行した日）"
    important = set(affairs.loc[affairs["change_class"] == "important", "affair_id"])
    late = out["affair_id"].isin(important) & (out["提出時期"] != "事前")
    together = "ただし同じ移行の重要な変更とともに、変更前に評価を再実施して提出する"
    out.loc[late, "提出時期に係る説明"] = [f"{why}。{together}" for why in out.loc[late, "提出時期に係る説明"]]
    out.loc[late, "提出時期"] = "事前"
    return out


def _rule_class(rule_id: str) -> str:
    from .versions import CHANGE_RULES

    return next((r.change_class for r in CHANGE_RULES if r.rule_id == rule_id), "")


def _holders(model) -> list[str]:
    """The systems of ``model`` holding a file with My Numbers, in the model's order."""
    mn = set(model.my_number_files)
    return [s for s, holds in zip(model.systems["system_id"], model.systems["holds"]) if mn & set(holds)]


def _records(model) -> dict[str, int]:
    """The largest My Number file held at each system (records)."""
    size = {f: int(r) for f, r, m in zip(model.files["file_id"], model.files["records"],
                                         model.files["contains_my_number"]) if m}
    return {s: max((size[f] for f in holds if f in size), default=0)
            for s, holds in zip(model.systems["system_id"], model.systems["holds"])}


def _exposure(model) -> pd.Series:
    from ..analysis.exposure import node_exposure

    table = node_exposure(model)
    return table.set_index("system_id")["exposure"].astype(float)


def _coverage(model) -> pd.Series:
    from ..analysis.coverage import stage_coverage

    table = stage_coverage(model)
    # a stage out of the model's scope has no coverage to compare
    return table.set_index("stage")["coverage"].astype(float).where(table.set_index("stage")["in_scope"])


def _overall(model) -> float:
    """Covered pairs over all pairs of the stages in scope."""
    from ..analysis.coverage import stage_coverage

    table = stage_coverage(model)
    table = table.loc[table["in_scope"].astype(bool)]
    pairs = float(table["pairs"].sum())
    return float(table["covered"].sum()) / pairs if pairs else float("nan")


def _open(model) -> int:
    """The open findings of ``model`` (a cloud rule opens on each flow left in clear over the line)."""
    from ..analysis.findings import find_findings

    return int((find_findings(model)["status"] == "open").sum())


def _questions(city, names: list[str]) -> list[dict[str, Any]]:
    """The controls naming a moved system: each a question for the analyst, never changed by the move."""
    out = []
    moved = set(names)
    for cid, name, applies in zip(city.controls["control_id"], city.controls["name_ja"], city.controls["applies_to"]):
        hit = [s.partition(NAMESPACE_SEP)[2] or s for s in applies if s in moved]  # as the affair names them
        if not hit:
            continue
        affair, sep, local = cid.partition(NAMESPACE_SEP)
        out.append({"affair_id": affair if sep else "shared", "control_id": local if sep else cid, "name_ja": name,
                    "applies_to": list(applies), "moved": hit,
                    "question_ja": f"「{name}」は {'、'.join(hit)} の移行後もテナント上で同じく効くか（庁舎・庁内"
                                   "ネットワークを前提とした対策ではないか）。効かなければ status か applies_to を直す",
                    "question_en": f"Does '{name}' still hold for {', '.join(hit)} in the tenancy (or did it assume "
                                   "the city's premises or network)? If not, change its status or applies_to"})
    return out
