"""A city workspace: the assessments of one body, one model per affair, with a shared part (docs/city.md).

::

    city/                     # the workspace
      city.yaml               # the index: organisation, its affairs, each affair's model
      shared/                 # zones.csv, systems.csv, files.csv, flows.csv, controls.csv (each optional)
      affairs/juki/           # an ordinary model directory (or an .xlsx workbook) with 'shared: ../../shared'

:func:`load_workspace` reads the index (PyYAML's safe loader: plain data, nothing evaluated), checks the shared
part whole, loads each affair with its part of the shared part (:mod:`.shared`) and checks across them: an id
defined in the shared part and an affair, a reference to a shared id that does not exist, an affair whose
organisation is not the city's, two affairs with one id, a model path that does not exist. Every problem is
found at once and located (``file:line: column: message (hint: …)``); a problem of an affair names it
(``[juki] …``). :func:`validate_workspace` returns them instead of raising.
"""

from __future__ import annotations

__all__ = ["Workspace", "bundled_workspace_path", "load_workspace", "require_workspace", "shared_use",
           "validate_workspace", "workspace_inputs"]

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..model.cells import control_problem, my_number_problem, parse_meta_value, shorten
from ..model.errors import ModelError, ModelTypeError, Problem, UnknownIdError, unknown_id
from ..model.model import Model
from ..model.mynumber import find_my_numbers
from ..model.schema import (CITY_AFFAIR_KEYS, CITY_KEYS, MAX_NOTE_CHARS, SHARED_TABLES, TABLE_BY_NAME)
from ..model.yamlread import MERGE_REFUSED, ModelYamlLoader
from .directory import (MAX_YAML_BYTES, control_character_problem, key_line, path_is, read_shared_part, read_text,
                        yaml_my_numbers)
from .shared import SharedPart, reading_once

#: The index of a workspace.
INDEX = "city.yaml"


@dataclass(frozen=True)
class Workspace:
    """A loaded city workspace (:func:`load_workspace`).

    Attributes
    ----------
    path : pathlib.Path
        The workspace folder (the folder of ``city.yaml``), resolved.
    organisation : str
        The body (city.yaml ``organisation``); every affair's model says the same.
    organisation_kind : str or None
        city.yaml ``organisation_kind``, when given.
    affairs : DataFrame
        One row per affair, in city.yaml's order: ``affair_id, name, model_path, source`` (``model_path``
        resolved).
    models : dict of str to Model
        Each affair's model by affair id, loaded with its part of the shared part (as ``load_model`` loads it).
    shared : dict of str to DataFrame
        The shared part's tables, whole (``zones``, ``systems``, ``files``, ``flows``, ``controls``); empty
        tables when the workspace has no shared part.
    shared_path : pathlib.Path or None
        The shared folder, resolved; None without one.
    warnings : tuple of Problem
        What the workspace should say otherwise (an affair's name that differs from its model's ``affairs``)
        and each affair's own warnings, named by affair.
    """

    path: Path
    organisation: str
    organisation_kind: str | None
    affairs: pd.DataFrame
    models: dict[str, Model]
    shared: dict[str, pd.DataFrame]
    shared_path: Path | None = None
    warnings: tuple[Problem, ...] = field(default=())


def require_workspace(ws: Any, function: str) -> None:
    """Check that ``ws`` is a loaded :class:`Workspace`; the first line of every public function taking one.

    The twin of :func:`pia_analysis.model.model.require_model`: a path given instead would otherwise fail deep
    inside the analysis with an ``AttributeError``; this says what was given and how to load it.

    Parameters
    ----------
    ws
        What the caller passed as the workspace.
    function
        The public function's name, for the message.

    Returns
    -------
    None

    Raises
    ------
    ModelTypeError
        When ``ws`` is not a :class:`Workspace`.

    Examples
    --------
    >>> from pia_analysis.formats.workspace import require_workspace
    >>> try:
    ...     require_workspace("tests/workspaces/good", "city_portfolio")
    ... except Exception as exc:
    ...     print(exc)
    city_portfolio takes a loaded Workspace (pia_analysis.load_workspace(path)), not str
    """
    if not isinstance(ws, Workspace):
        raise ModelTypeError(f"{function} takes a loaded Workspace (pia_analysis.load_workspace(path)), "
                             f"not {type(ws).__name__}")


def bundled_workspace_path(name: str = "example-city") -> Path:
    """The folder of a city workspace bundled with the package (beside the bundled models, in ``data/``).

    Parameters
    ----------
    name : str
        The workspace's folder name: ``example-city`` (default), the fictitious 緑ヶ丘市 with three affairs;
        ``example-city-cloud``, the same city after moving its core systems to the government cloud (written by
        :func:`~pia_analysis.whatif.migration.city_migration`; docs/government-cloud.md, "Migrating a city").

    Returns
    -------
    pathlib.Path
        A real folder on disk holding ``city.yaml``.

    Raises
    ------
    pia_analysis.model.errors.UnknownIdError
        When no bundled workspace has that name; the message names the bundled ones.

    Examples
    --------
    >>> from pia_analysis.formats.workspace import bundled_workspace_path
    >>> (bundled_workspace_path() / "city.yaml").is_file()
    True
    """
    from . import bundled_model_path

    try:
        here = bundled_model_path(name)
    except UnknownIdError:
        here = None
    if here is None or not (here / INDEX).is_file():
        root = bundled_model_path().parent
        known = [d.name for d in sorted(root.iterdir()) if (d / INDEX).is_file()]
        raise unknown_id("bundled city workspace", name, known, where="the package")
    return here


def workspace_inputs(path: str | os.PathLike[str]) -> list[tuple[Path, str]]:
    """Every folder and file a city workspace reads: the workspace, its shared folder, each affair's model.

    city.yaml is read leniently (nothing is validated, a broken index names what it can), so that a command can
    refuse, before any work, to write inside any of them: the shared folder and an affair may lie outside the
    workspace (``shared: ../shared``, ``model: ../kokuho``, a symbolic link), and they are inputs all the same.

    Parameters
    ----------
    path
        The workspace folder (or its ``city.yaml``).

    Returns
    -------
    list of (pathlib.Path, str)
        ``(path, what)`` pairs, the workspace first: ``what`` is ``"the city workspace"``, ``"its shared
        folder"`` or ``"the model of affair <id>"``. Paths are as city.yaml names them, joined to the folder.

    Examples
    --------
    >>> from pia_analysis.formats.workspace import workspace_inputs
    >>> [(p.as_posix(), what) for p, what in workspace_inputs("tests/workspaces/good")][:2]
    [('tests/workspaces/good', 'the city workspace'), ('tests/workspaces/good/shared', 'its shared folder')]
    """
    folder = Path(path)
    if path_is(folder, "file") and folder.name == INDEX:
        folder = folder.parent
    out: list[tuple[Path, str]] = [(folder, "the city workspace")]
    if not path_is(folder / INDEX, "file"):
        return out
    meta, _lines, affairs = _read_index(folder, str(folder / INDEX), [])
    if isinstance(meta.get("shared"), str) and meta["shared"]:
        out.append((folder / meta["shared"], "its shared folder"))
    out += [(folder / affair.model, f"the model of affair {affair.affair_id}") for affair in affairs
            if isinstance(affair.model, str) and affair.model]
    return out


def shared_use(workspace: Workspace) -> pd.DataFrame:
    """Which affairs use each element of the shared part: the closure each affair was loaded with.

    Parameters
    ----------
    workspace
        A loaded workspace.

    Returns
    -------
    DataFrame
        One row per shared element, in the shared part's table and row order: ``table, id, name_ja, affairs``
        (the affair ids that use it, in city.yaml's order; empty for an element no affair uses), ``count``.

    Examples
    --------
    >>> from pia_analysis.formats.workspace import load_workspace, shared_use
    >>> use = shared_use(load_workspace("tests/workspaces/good")).set_index("id")
    >>> use.at["ATENA", "affairs"], use.at["UNUSED", "affairs"], use.at["CONBINI", "affairs"]
    (['juki', 'zei'], [], ['juki'])
    """
    rows = []
    for name in SHARED_TABLES:
        frame = workspace.shared[name]
        key = TABLE_BY_NAME[name].key
        names = (frame["name_ja"] if "name_ja" in frame else  # a flow is named by its ends
                 [f"{a} → {b}" for a, b in zip(frame["source"], frame["target"])])
        for element, label in zip(frame[key], names):
            users = [a for a, m in workspace.models.items() if str(element) in m.shared_ids]
            rows.append({"table": name, "id": str(element), "name_ja": str(label or ""), "affairs": users,
                         "count": len(users)})
    return pd.DataFrame(rows, columns=["table", "id", "name_ja", "affairs", "count"])


def load_workspace(path: str | os.PathLike[str], *, strict: bool = False) -> Workspace:
    """Load and validate a city workspace: its index, its shared part and every affair's model.

    Parameters
    ----------
    path
        The workspace folder, or its ``city.yaml``.
    strict
        Make the warnings errors (the affairs' own warnings, an affair's name that differs from its model's).

    Returns
    -------
    Workspace
        The loaded workspace.

    Raises
    ------
    ModelError
        With every problem found, located; a problem of an affair names it (``[juki] …``).

    Examples
    --------
    >>> from pia_analysis.formats.workspace import load_workspace
    >>> ws = load_workspace("tests/workspaces/good")
    >>> ws.organisation, list(ws.affairs["affair_id"]), sorted(ws.models["zei"].shared_ids)[:2]
    ('テスト市', ['juki', 'zei'], ['ATENA', 'ATENA_FILE'])
    """
    workspace, problems, warnings = _load(Path(path))
    if strict:
        problems += warnings
    if problems or workspace is None:
        raise ModelError(problems)
    return workspace


def validate_workspace(path: str | os.PathLike[str], *, strict: bool = False) -> list[Problem]:
    """Every problem of the city workspace at ``path`` (empty when it is valid).

    Parameters
    ----------
    path
        The workspace folder, or its ``city.yaml``.
    strict
        Count the warnings as problems.

    Returns
    -------
    list of Problem
        Located: the index's first, then the shared part's, then each affair's in city.yaml's order (each named
        ``[affair_id]``).

    Examples
    --------
    >>> from pia_analysis.formats.workspace import validate_workspace
    >>> validate_workspace("tests/workspaces/good")
    []
    >>> print(validate_workspace("tests/workspaces/duplicate_affair")[0])  # doctest: +ELLIPSIS
    tests/workspaces/duplicate_affair/city.yaml:11: affairs.id: duplicate affair id 'juki' (first on line 7) ...
    """
    _workspace, problems, warnings = _load(Path(path))
    return problems + (warnings if strict else [])


# ---------------------------------------------------------------------------------------------------
# the index


@dataclass
class _Affair:
    affair_id: str
    name: str
    model: str
    source: str
    line: int | None  # the line of the affair's block
    lines: dict[str, int]  # the line of each of its keys


def _read_index(folder: Path, label: str, problems: list[Problem]) -> tuple[dict[str, Any], dict[str, int],
                                                                           list[_Affair]]:
    """city.yaml's keys (checked), the line of each, and the affairs (each valid one)."""
    path = folder / INDEX
    if not os.path.lexists(path):
        problems.append(Problem(label, None, "", "is missing",
                                "a city workspace is a folder with a city.yaml index; see docs/city.md"))
        return {}, {}, []
    text = read_text(path, label, problems, MAX_YAML_BYTES, folder)
    if text is None:
        return {}, {}, []
    guard = {(n, masked) for n, line in enumerate(text.splitlines(), 1) for _p, masked in find_my_numbers(line)}
    loader: ModelYamlLoader | None = None
    node = None
    try:
        loader = ModelYamlLoader(text)  # PyYAML's safe loader, stricter: plain data, no tags, bounded aliases
        node = loader.get_single_node()
        guard |= set(yaml_my_numbers(node))
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problems.append(Problem(label, mark.line + 1 if mark else None, f"column {mark.column + 1}" if mark else "",
                                f"is not valid YAML: {exc.problem or exc}",
                                "only plain YAML is accepted (no !!python tags); check indentation and quotes"))
        return {}, {}, []
    except yaml.reader.ReaderError as exc:
        problems.append(control_character_problem(label, text, exc))
        return {}, {}, []
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        problems.append(Problem(label, None, "", f"is not valid YAML: {shorten(str(exc), 120)}",
                                "city.yaml is a few 'key: value' lines and a list of affairs"))
        return {}, {}, []
    finally:
        if loader is not None:
            loader.dispose()
        for n in sorted({n for n, _m in guard}):
            problems.append(my_number_problem(label, n, "", next(m for k, m in sorted(guard) if k == n)))
    for line, column, message, hint in loader.refused:
        problems.append(Problem(label, line, "<<" if message.startswith(MERGE_REFUSED) else f"column {column}",
                                message, hint))
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        problems.append(Problem(label, 1, "", "must be a mapping of keys to values" if data is not None else
                                "has no keys (the file is empty)",
                                "write 'organisation: …' and an 'affairs:' list; see docs/city.md"))
        return {}, {}, []
    lines: dict[str, int] = {}
    affairs_node = None
    for k, v in node.value:
        name = str(k.value)
        if name in lines:
            problems.append(Problem(label, k.start_mark.line + 1, name,
                                    f"appears twice (first on line {lines[name]})", "keep one of the two lines"))
            continue
        lines[name] = k.start_mark.line + 1
        if name == "affairs":
            affairs_node = v
    meta: dict[str, Any] = {}
    for key, value in data.items():
        key_s = str(key)
        if key_s not in CITY_KEYS:
            problems.append(Problem(label, lines.get(key_s), key_s, "unknown key",
                                    f"the keys of city.yaml are {', '.join(CITY_KEYS)}; check the spelling"))
        elif key_s != "affairs":
            parsed = parse_meta_value(key_s, value, CITY_KEYS[key_s][1], label, lines.get(key_s), problems)
            if parsed is not None:
                meta[key_s] = parsed
    for key, (required, _kind) in CITY_KEYS.items():
        if required and key not in data:
            problems.append(Problem(label, None, key, "required key is missing",
                                    f"add '{key}: …'" if key != "affairs" else
                                    "add an 'affairs:' list: one block of id, name, model per affair"))
    affairs = _read_affairs(data.get("affairs"), affairs_node, label, lines.get("affairs"), problems) \
        if "affairs" in data else []
    return meta, lines, affairs


def _read_affairs(value: Any, node: Any, label: str, line: int | None, problems: list[Problem]) -> list[_Affair]:
    if not isinstance(value, list) or not isinstance(node, yaml.SequenceNode) or not value:
        problems.append(Problem(label, line, "affairs", "must be a non-empty list of affairs",
                                "write one block per affair: '- id: juki', 'name: …', 'model: affairs/juki'"))
        return []
    out: list[_Affair] = []
    first: dict[str, int | None] = {}
    for item, item_node in zip(value, node.value):
        at = item_node.start_mark.line + 1
        if not isinstance(item, dict) or not isinstance(item_node, yaml.MappingNode):
            problems.append(Problem(label, at, "affairs", "an item of affairs must be a block of keys",
                                    "write '- id: …' then 'name: …' and 'model: …' indented under it"))
            continue
        key_lines = {str(k.value): k.start_mark.line + 1 for k, _v in item_node.value}
        found: dict[str, Any] = {}
        ok = True
        for key, raw in item.items():
            key_s = str(key)
            where = key_lines.get(key_s, at)
            if key_s not in CITY_AFFAIR_KEYS:
                problems.append(Problem(label, where, f"affairs.{key_s}", "unknown key",
                                        f"the keys of an affair are {', '.join(CITY_AFFAIR_KEYS)}"))
                continue
            kind = CITY_AFFAIR_KEYS[key_s][1]
            if kind == "note":
                if not isinstance(raw, (str, int, float)) or isinstance(raw, bool) or len(str(raw)) > MAX_NOTE_CHARS:
                    problems.append(Problem(label, where, f"affairs.{key_s}",
                                            f"must be text of at most {MAX_NOTE_CHARS:,} characters",
                                            "write it on one line after the colon"))
                    ok = False
                elif (bad := control_problem(label, where, f"affairs.{key_s}", str(raw))) is not None:
                    problems.append(bad)
                    ok = False
                else:
                    found[key_s] = str(raw).strip()
                continue
            parsed = parse_meta_value(f"affairs.{key_s}", raw, kind, label, where, problems)
            if parsed is None:
                ok = False
            else:
                found[key_s] = parsed
        for key, (required, _kind) in CITY_AFFAIR_KEYS.items():
            if required and key not in item:
                problems.append(Problem(label, at, f"affairs.{key}", "required key is missing",
                                        f"add '{key}: …' to this affair"))
                ok = False
        affair_id = found.get("id")
        if affair_id is not None:
            if affair_id in first:
                problems.append(Problem(label, key_lines.get("id", at), "affairs.id",
                                        f"duplicate affair id {affair_id!r} (first on line {first[affair_id]})",
                                        "every affair needs its own id; rename or remove one"))
                ok = False
            else:
                first[affair_id] = key_lines.get("id", at)
        if ok:
            out.append(_Affair(affair_id, found["name"], found["model"], found.get("source", ""), at, key_lines))
    return out


# ---------------------------------------------------------------------------------------------------
# the workspace


def _named(affair_id: str, problem: Problem) -> Problem:
    """``problem`` with its message naming the affair: ``[juki] …``."""
    return Problem(problem.file, problem.line, problem.column, f"[{affair_id}] {problem.message}", problem.hint)


def _load(path: Path) -> tuple[Workspace | None, list[Problem], list[Problem]]:
    from . import load_model

    if path_is(path, "file") and path.name == INDEX:
        path = path.parent
    label_root = str(path)
    if not path_is(path, "dir"):
        return None, [Problem(label_root, None, "", "is not a folder",
                              "give the folder of a city workspace (the folder holding city.yaml)")], []
    label = os.path.join(label_root, INDEX)
    problems: list[Problem] = []
    warnings: list[Problem] = []
    meta, lines, affairs = _read_index(path, label, problems)
    shared_part: SharedPart | None = None
    if "shared" in meta:
        target = path / meta["shared"]
        shared_label = os.path.normpath(os.path.join(label_root, meta["shared"]))
        if not path_is(target, "dir"):
            problems.append(Problem(label, lines.get("shared"), "shared",
                                    f"{meta['shared']!r} is not a folder: nothing at {shared_label}",
                                    "give the shared folder's path relative to city.yaml (e.g. shared)"))
        else:
            shared_part = read_shared_part(target, shared_label, check=True)
            problems += shared_part.problems
    seen = {str(p) for p in problems}  # a shared row's problem is listed once, not again for every affair
    seen_warnings: set[str] = set()
    models: dict[str, Model] = {}
    rows = []
    by_path: dict[Path, str] = {}
    with reading_once():  # the shared part is parsed once for all the affairs, not once per affair
        for affair in affairs:
            where = affair.lines.get("model", affair.line)
            model_path = path / affair.model
            if not (path_is(model_path, "dir") or path_is(model_path, "file")):
                at = os.path.normpath(os.path.join(label_root, affair.model))
                # something that is there but neither (/dev/zero, a socket) is not "missing": say what it is not
                what = (f"is not a folder or workbook: {at} is neither" if os.path.exists(model_path) else
                        f"does not exist: no model at {at}")
                problems.append(Problem(label, where, "affairs.model", f"[{affair.affair_id}] {affair.model!r} {what}",
                                        "give the affair's model folder (or .xlsx workbook), relative to city.yaml"))
                continue
            resolved = model_path.resolve()
            if resolved in by_path:
                problems.append(Problem(label, where, "affairs.model",
                                        f"[{affair.affair_id}] is the model of affair {by_path[resolved]!r} too",
                                        "every affair has its own model"))
                continue
            by_path[resolved] = affair.affair_id
            rows.append({"affair_id": affair.affair_id, "name": affair.name, "model_path": resolved,
                         "source": affair.source})
            try:
                model = load_model(model_path)
            except ModelError as exc:
                for problem in exc.problems:
                    if str(problem) not in seen:
                        problems.append(_named(affair.affair_id, problem))
                continue
            models[affair.affair_id] = model
            problems += _cross_checks(affair, model, model_path, meta, shared_part, label)
            for warning in model.warnings:
                # a warning on a shared row (a government-cloud zone in shared/zones.csv) is the shared part's:
                # said once, at its place, not again for every affair that uses the row
                if shared_part is not None and _in_folder(warning.file, shared_part.path):
                    if str(warning) not in seen_warnings:
                        seen_warnings.add(str(warning))
                        warnings.append(warning)
                else:
                    warnings.append(_named(affair.affair_id, warning))
            if str(model.meta.get("affairs", "")) != affair.name:
                warnings.append(Problem(label, affair.lines.get("name", affair.line), "affairs.name",
                                        f"[{affair.affair_id}] {affair.name!r} differs from the model's affairs "
                                        f"{model.meta.get('affairs')!r}",
                                        "write the same name of the affair in city.yaml and in its model"))
    if problems or "organisation" not in meta:
        return None, problems, warnings
    shared = {name: shared_part.frame(name) if shared_part is not None else _empty(name) for name in SHARED_TABLES}
    workspace = Workspace(path.resolve(), meta["organisation"], meta.get("organisation_kind"),
                          pd.DataFrame(rows, columns=["affair_id", "name", "model_path", "source"]), models, shared,
                          shared_part.path if shared_part is not None else None, tuple(warnings))
    return workspace, problems, warnings


def _in_folder(file: Any, folder: Path) -> bool:
    """Whether a problem's file lies directly in ``folder`` (resolved)."""
    try:
        return file is not None and Path(str(file)).resolve().parent == folder.resolve()
    except (OSError, ValueError):
        return False


def _empty(name: str) -> pd.DataFrame:
    from ..model.cells import empty_table

    return empty_table(TABLE_BY_NAME[name])


def _cross_checks(affair: _Affair, model: Model, model_path: Path, meta: dict[str, Any],
                  shared_part: SharedPart | None, label: str) -> list[Problem]:
    """The affair against the index: the same organisation (and kind), the workspace's shared part."""
    out: list[Problem] = []
    directory = path_is(model_path, "dir")
    yaml_path = model_path / "model.yaml"
    where = str(yaml_path) if directory else f"{model_path}[model]"

    def line_of(key: str) -> int | None:
        return key_line(yaml_path, key) if directory else None

    organisation = meta.get("organisation")
    if organisation is not None and model.meta.get("organisation") != organisation:
        out.append(Problem(where, line_of("organisation"), "organisation",
                           f"[{affair.affair_id}] {model.meta.get('organisation')!r} is not the workspace's "
                           f"organisation {organisation!r} ({label})",
                           "every affair of a city workspace belongs to its organisation: correct one of the two"))
    kind = meta.get("organisation_kind")
    if kind is not None and model.meta.get("organisation_kind") not in (None, kind):
        out.append(Problem(where, line_of("organisation_kind"), "organisation_kind",
                           f"[{affair.affair_id}] {model.meta.get('organisation_kind')!r} is not the workspace's "
                           f"organisation_kind {kind!r}", "write the same kind, or remove the key from the model"))
    rel = model.meta.get("shared")
    if rel is not None:
        base = model_path if directory else model_path.parent
        target = (base / rel).resolve()
        if shared_part is None:
            out.append(Problem(where, line_of("shared"), "shared",
                               f"[{affair.affair_id}] names a shared part, but city.yaml names none",
                               f"add 'shared: {os.path.relpath(target, Path(label).parent.resolve())}' to city.yaml"))
        elif target != shared_part.path:
            out.append(Problem(where, line_of("shared"), "shared",
                               f"[{affair.affair_id}] {rel!r} is {target}, not the workspace's shared part "
                               f"{shared_part.path}",
                               f"write shared: {os.path.relpath(shared_part.path, base.resolve())}"))
    return out
