"""Applying what-if changes to a model in memory: a scenario, control statuses, blocked flows.

:func:`apply_scenario` returns the model changed by a scenario (:mod:`pia_analysis.whatif.scenario`), never
touching the model's files, after re-running on the changed tables every check that
:func:`~pia_analysis.formats.load_model` runs (:func:`~pia_analysis.model.checks.validate_tables`);
:func:`scenario_effects` lists every change it makes. The explorer's changes are built on the same machinery:

* :func:`with_control_status` — the model with one control's ``status`` changed;
* :func:`with_flow_blocked` — the model with one or more flows blocked;
* :func:`with_scenario` — the model changed by a scenario (one of the model's ``scenarios/`` by name, or a file);
* :func:`apply_changes` — all three at once (a :class:`Changes`), with the log of every change made.

Cascades of a scenario (every one is listed by :func:`scenario_effects`):

* removing a **zone** removes the systems in it (and so their flows, below);
* removing a **system** removes the flows from or to it, and drops its id from the controls' ``applies_to``;
* removing a **flow** drops its id from the controls' ``applies_to``;
* a control left applying to nothing (its list emptied; ``*`` is never emptied) is removed;
* removing a **file** drops it from the systems' ``holds`` and the flows' ``files`` (the flows stay);
* removing an extra **risk** (``risks.csv``) drops it from the controls' ``mitigates`` (a control left
  mitigating nothing is removed) and removes its rating;
* removing a **control** or a **rating** removes nothing else, but for the control's per-element statuses
  (``control_status``): a row goes with its control, with its element, or when its element leaves the
  control's ``applies_to``;
* **setting a control's status** drops its per-element statuses: the status now holds on every element
  (a per-element scenario key may come later).

**The blocking rule.** Blocking a flow *removes* it from the model, exactly as a scenario's
``remove: {flows: [id]}`` does: its arcs leave the attack graph (both directions of an interactive flow; a
parallel flow between the same systems then becomes the easiest arc, the rule of
:func:`pia_analysis.analysis.hardening.hardening_candidates`), its (risk, flow) pairs leave the scope of its
stage, its id is dropped from the controls' ``applies_to`` and a control left applying to nothing is removed.
The systems at its ends stay. A blocked flow is a flow that no longer exists, not a flow with a perfect
control on it.

**Order.** :func:`apply_changes` applies the scenario first, then the control statuses, then the blocked
flows, so a control or flow the scenario adds can be toggled or blocked too.
"""

from __future__ import annotations

__all__ = [
    "CONTROL_STATUSES",
    "EFFECT_COLUMNS",
    "Changes",
    "apply_changes",
    "apply_scenario",
    "scenario_effects",
    "with_control_status",
    "with_flow_blocked",
    "with_id_problems",
    "with_scenario",
]

import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..formats import row_places
from ..model.checks import Location, validate_tables
from ..model.rated import fold_ratings, rated_item_table
from ..model.errors import ModelError, Problem, sort_problems, unknown_id
from ..model.model import Model, require_model
from ..util.errors import InvalidArgumentError
from ..model.schema import STATUSES, TABLE_BY_NAME, TABLES, TableRef
from .scenario import Scenario, as_scenario, bundled_scenarios

#: The statuses a control can be given (those of ``controls.csv``).
CONTROL_STATUSES: tuple[str, ...] = tuple(STATUSES)
#: Columns of the log of :func:`apply_changes`: which change caused the row, then the columns of
#: :func:`scenario_effects`.
EFFECT_COLUMNS = ["change", "op", "table", "id", "column", "before", "after", "cause"]


# ---------------------------------------------------------------------------------------------------
# applying


@dataclass
class _Row:
    values: dict[str, Any]
    where: Location  # where problems of this row are reported: its table's row, or the scenario's line
    base: int | None  # its position in the base table (None: added by the scenario)


def _apply_with_log(model: Model, scenario: Scenario, id_problems: list[Problem] | None = None
                    ) -> tuple[Model, list[dict[str, Any]]]:
    """The changed model and the log of every effect (direct and cascaded).

    ``id_problems`` given: only the entries' ids are checked (the problems of the ids the model lacks are
    appended to it) and ``model`` is returned unchanged: for a scenario whose values are refused.
    """
    if scenario.is_empty:
        return model.replace(), []
    # The reader that loaded the model locates its rows (a CSV line, a sheet row) and names its tables.
    # (a city workspace's shared rows are located in their shared files)
    naming, places = row_places(model)
    rows: dict[str, list[_Row]] = {}
    for table in TABLES:
        frame = getattr(model, table.name)
        rows[table.name] = [_Row(dict(r), places[table.name][i], i)
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
                                    (f"cannot remove {c.key!r}: it is not a {key_of(c.table)} of ",
                                     TableRef(c.table)), _known_hint(base_ids[c.table])))
            continue
        removed[c.table].add(c.key)
        drop(c.table, lambda r, c=c: r.values[key_of(c.table)] != c.key, lambda r: "scenario")
    if removed["zones"]:
        gone = {r.values["system_id"] for r in rows["systems"] if r.values["zone_id"] in removed["zones"]}
        drop("systems", lambda r: r.values["system_id"] not in gone, lambda r: f"zone {r.values['zone_id']} removed")
        removed["systems"] |= gone
    if removed["systems"]:
        gone_sys = removed["systems"]
        gone = {r.values["flow_id"] for r in rows["flows"]
                if r.values["source"] in gone_sys or r.values["target"] in gone_sys}
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
    # the document-only data follows what it describes: a removed file, system or flow leaves its details,
    # its place in a 委託事項 and the answers about it; a recipient no provide flow reaches any more goes too
    if removed["files"]:
        cause = "file " + ", ".join(sorted(removed["files"])) + " removed"
        drop("file_details", lambda r: r.values["file_id"] not in removed["files"], lambda r: cause)
    if elements:
        filter_list("outsourcing", "covers", elements, ", ".join(sorted(elements)) + " removed", drop_empty=False)
    if elements or removed["files"]:
        units = elements | removed["files"]
        drop("form_answers", lambda r: (r.values.get("unit") or "") not in units,
             lambda r: f"{r.values['unit']} removed")
        provided = {r.values["target"] for r in rows["flows"] if r.values["stage"] == "provide"}
        drop("recipients", lambda r: r.values["system_id"] in provided,
             lambda r: f"no provide flow reaches {r.values['system_id']} any more")
    if removed["risks"]:
        cause = "risk " + ", ".join(sorted(removed["risks"])) + " removed"
        filter_list("controls", "mitigates", removed["risks"], cause, drop_empty=True)
        drop("ratings", lambda r: r.values["risk_id"] not in removed["risks"], lambda r: cause)

    # -- 2. additions ------------------------------------------------------------------------------
    for c in scenario.add:
        if c.key in ids(c.table):
            problems.append(Problem(scenario.label, c.line, key_of(c.table),
                                    (f"cannot add {c.key!r}: ", TableRef(c.table), " already has it"),
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
            reason = (("is removed by this scenario",) if c.key in base_ids[c.table]
                      else (f"is not a {key_of(c.table)} of ", TableRef(c.table)))
            problems.append(Problem(scenario.label, c.line, key_of(c.table), (f"cannot set {c.key!r}: it ", *reason),
                                    _known_hint(ids(c.table))))
            continue
        for col, value in c.values.items():
            old = found.values.get(col)
            if _same(old, value):
                continue
            found.values[col] = value
            found.where = (scenario.label, c.lines.get(col, c.line))
            note("set", c.table, c.key, col, old, value, "scenario")
    # -- 3b. per-element statuses follow their control ---------------------------------------------
    # A status set by the scenario is the control's status everywhere: its overrides go (a per-element
    # scenario key may come later); an override whose control or element went goes with it.
    status_set = {c.key for c in scenario.set if c.table == "controls" and "status" in c.values}
    controls_now = {r.values["control_id"]: list(r.values["applies_to"] or []) for r in rows["controls"]}
    elements_now = ids("systems") | ids("flows")

    def override_kept(r: _Row) -> bool:
        cid, element = r.values["control_id"], r.values["element"]
        if cid not in controls_now or cid in status_set:
            return False
        targets = controls_now[cid]
        return element in targets or ("*" in targets and element in elements_now)

    def override_cause(r: _Row) -> str:
        cid, element = r.values["control_id"], r.values["element"]
        if cid not in controls_now:
            return f"control {cid} removed"
        if cid in status_set:
            return f"control {cid}'s status set: now its status on every element"
        return f"{element} removed" if element not in elements_now else f"{element} left {cid}'s applies_to"

    drop("control_status", override_kept, override_cause)

    meta = dict(model.meta)
    for key, value in scenario.meta.items():
        if not _same(meta.get(key), value):
            note("set", "model", key, key, meta.get(key), value, "scenario")
            meta[key] = value

    if id_problems is not None:
        id_problems.extend(naming.render(p) for p in problems)
        return model, log

    # -- 4. the changed tables, checked like a loaded model --------------------------------------
    frames: dict[str, pd.DataFrame] = {}
    locations: dict[str, list[Location]] = {}
    for table in TABLES:
        original = getattr(model, table.name)
        if table.name not in touched:
            frames[table.name] = original  # untouched: the very same table
        else:
            frames[table.name] = _frame_like(original, [r.values for r in rows[table.name]])
        locations[table.name] = [r.where for r in rows[table.name]]
    issues = validate_tables(frames, meta if scenario.meta else None, locations=locations, naming=naming)
    if problems:
        # The entries that name ids the model lacks were skipped; a skipped entry never takes away an id
        # (a failed add leaves the id there, a failed remove or set changes nothing), so the problems of the
        # scenario's other rows are its own: report them at once. Those in the model's tables may follow
        # from a skipped entry and wait until the scenario applies.
        mine = [p for p in issues if p.file == scenario.label]
        raise ModelError(sort_problems([naming.render(p) for p in problems] + mine, unlisted_by_label=False))
    if issues:
        for p in issues:
            if p.file != scenario.label:
                p.message += f" (after applying scenario {scenario.id!r})"
        raise ModelError(issues)
    if "ratings" in touched:  # English spellings as the rated item's Japanese choice, as the readers do
        frames["ratings"], _warnings = fold_ratings(frames["ratings"], rated_item_table(frames["risks"]))
    return model.replace(meta=meta, **frames), log


def with_id_problems(model: Model, error: ModelError) -> ModelError:
    r"""``error`` with the problems of the ids its scenario names and ``model`` lacks, when it is a scenario's.

    A scenario with a refused value and an unknown id reports both in one run, not the second only once
    the first is fixed (the ids of its entries were read; their values are not needed to check them).

    Parameters
    ----------
    model
        The model the scenario was to be applied to.
    error
        The error of reading the scenario (any :class:`ModelError`; others are returned as they are).

    Returns
    -------
    ModelError
        ``error``, or a new error with every problem, in file and line order.

    Examples
    --------
    >>> from pia_analysis import ModelError, bundled_model_path, load_model, parse_scenario
    >>> from pia_analysis.whatif.apply import with_id_problems
    >>> m = load_model(bundled_model_path())
    >>> try:
    ...     parse_scenario("id: x\nset:\n  controls:\n    C-STORE-FW: {status: gone}\n    C-NOPE: {status: missing}\n")
    ... except ModelError as exc:
    ...     error = with_id_problems(m, exc)
    >>> [(p.line, p.message.split(":")[0]) for p in error.problems]
    [(4, "'gone' is not one of implemented, planned, missing, unknown"), (5, "cannot set 'C-NOPE'")]
    """
    partial = getattr(error, "partial", None)
    if not isinstance(partial, Scenario):
        return error
    found: list[Problem] = []
    try:
        _apply_with_log(model, partial, id_problems=found)
    except ModelError:  # pragma: no cover - the id check raises nothing; the file's own problems stand
        return error
    # An entry whose key itself was refused (a YAML 1.1 'no', a My Number, an invisible character: a problem
    # of the line, of a column of the YAML text or of the key column) is not also reported as unknown.
    refused = [(p.line, p.column) for p in error.problems]
    found = [q for q in found if not any(line == q.line and (not column or column.startswith("column ")
                                                             or column == q.column) for line, column in refused)]
    return ModelError(sort_problems([*error.problems, *found], unlisted_by_label=False)) if found else error


def _known_hint(known: set[str]) -> str:
    # an added row whose key was refused (not text: a list, a number) has no id to show
    shown = sorted(k for k in known if isinstance(k, str))
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
        data[col] = pd.Series(values, dtype=object if dtype == object else dtype)  # noqa: E721 (numpy dtype)
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
    >>> from pia_analysis import apply_scenario, bundled_model_path, load_model
    >>> m = load_model(bundled_model_path())
    >>> changed = apply_scenario(m, {"id": "no-offsite", "remove": {"systems": ["CONV_SRV"]}})
    >>> sorted(set(m.flows["flow_id"]) - set(changed.flows["flow_id"]))
    ['F17', 'F19']
    >>> any("CONV_SRV" in targets for targets in changed.controls["applies_to"])
    False
    """
    require_model(model, "apply_scenario")
    return _apply_with_log(model, _checked(model, scenario))[0]


def scenario_effects(model: Model, scenario: Scenario | str | os.PathLike[str] | Mapping[str, Any]) -> pd.DataFrame:
    """Every change a scenario makes to ``model``, the cascades included, in the order they are made.

    Parameters
    ----------
    model
        A loaded model.
    scenario
        A :class:`~pia_analysis.whatif.scenario.Scenario`, the path of a scenario file, or a mapping with
        the same keys as a file.

    Returns
    -------
    DataFrame
        ``op`` (add, remove, set), ``table`` (``model`` for model.yaml keys), ``id``, ``column``,
        ``before``, ``after`` (for ``set``) and ``cause`` (``scenario`` or why a cascade made it).

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, scenario_effects
    >>> fx = scenario_effects(load_model(bundled_model_path()), {"id": "x", "remove": {"systems": ["CONV_SRV"]}})
    >>> for row in fx[["op", "table", "id", "cause"]].head(3).values.tolist():
    ...     print(row)
    ['remove', 'systems', 'CONV_SRV', 'scenario']
    ['remove', 'flows', 'F17', 'system CONV_SRV removed']
    ['remove', 'flows', 'F19', 'system CONV_SRV removed']
    """
    require_model(model, "scenario_effects")
    log = _apply_with_log(model, _checked(model, scenario))[1]
    return pd.DataFrame(log, columns=["op", "table", "id", "column", "before", "after", "cause"])


# ---------------------------------------------------------------------------------------------------
# errors


# ---------------------------------------------------------------------------------------------------
# changing a model


def with_control_status(model: Model, control_id: str, status: str) -> Model:
    """A copy of ``model`` where control ``control_id`` has ``status`` (implemented, planned, missing or unknown).

    The ``status`` cell changes, and the control's rows of ``control_status`` (its status on single elements)
    are dropped: the new status holds on every element. The model is otherwise the same (the graph is
    rebuilt lazily).
    Implemented controls count in the exposure (their effectiveness) and in the coverage; planned ones
    only as ``planned`` in the coverage; missing and unknown ones not at all.

    Parameters
    ----------
    model
        A loaded model.
    control_id
        A control of the model.
    status
        One of :data:`CONTROL_STATUSES`.

    Returns
    -------
    Model
        The copy (its other tables are the very same objects).

    Raises
    ------
    ValueError
        When ``control_id`` is not a control of the model or ``status`` not one of
        :data:`CONTROL_STATUSES`.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, with_control_status
    >>> m = with_control_status(load_model(bundled_model_path()), "C-STORE-FW", "missing")
    >>> m.controls.set_index("control_id").at["C-STORE-FW", "status"]
    'missing'
    """
    require_model(model, "with_control_status")
    if status not in CONTROL_STATUSES:
        raise InvalidArgumentError(f"{status!r} is not a control status: use one of {', '.join(CONTROL_STATUSES)}")
    ids = model.controls["control_id"]
    mask = ids == control_id
    if not mask.any():
        raise unknown_id("control", control_id, ids)
    controls = model.controls.copy()
    controls.loc[mask, "status"] = status
    # the status everywhere: the control's per-element statuses (control_status.csv) go
    overrides = model.control_status
    kept = overrides.loc[overrides["control_id"] != control_id]
    if len(kept) == len(overrides):
        return model.replace(controls=controls)
    return model.replace(controls=controls, control_status=kept.reset_index(drop=True))


def _flow_ids(flow_ids: str | Iterable[str]) -> list[str]:
    ids = [flow_ids] if isinstance(flow_ids, str) else list(flow_ids)
    return list(dict.fromkeys(ids))  # each once, in the order given


def _block(model: Model, flow_ids: list[str]) -> tuple[Model, list[dict[str, Any]]]:
    known = set(model.flows["flow_id"])
    for fid in flow_ids:
        if fid not in known:
            raise unknown_id("flow", fid, known)
    if not flow_ids:
        return model, []
    # The scenario machinery removes the flows with their cascades and re-checks the changed tables.
    return _apply_with_log(model, as_scenario({"id": "explorer-block", "remove": {"flows": sorted(flow_ids)}}))


def with_flow_blocked(model: Model, flow_id: str | Iterable[str]) -> Model:
    """A copy of ``model`` with a flow (or several) blocked: removed, with the cascades of a scenario.

    See the module documentation for the rule: the flow's arcs leave the attack graph, its pairs leave the
    coverage scope, its id leaves the controls' ``applies_to`` (a control left applying to nothing is
    removed). The systems at its ends stay.

    Parameters
    ----------
    model
        A loaded model.
    flow_id
        A flow id, or several.

    Returns
    -------
    Model
        The model without the flow(s), checked like a loaded model.

    Raises
    ------
    ValueError
        When a ``flow_id`` is not a flow of the model.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, with_flow_blocked
    >>> m = with_flow_blocked(load_model(bundled_model_path()), "F20")
    >>> "F20" in set(m.flows["flow_id"]), m.graph.has_edge("VENDOR_TERM", "JUKI_REC")
    (False, False)
    """
    require_model(model, "with_flow_blocked")
    return _block(model, _flow_ids(flow_id))[0]


def _checked(model: Model, scenario: Scenario | str | os.PathLike[str] | Mapping[str, Any]) -> Scenario:
    """:func:`as_scenario`, its problems joined by those of the ids ``model`` lacks (:func:`with_id_problems`)."""
    try:
        return as_scenario(scenario)
    except ModelError as exc:
        raise with_id_problems(model, exc) from None


def _resolve_scenario(model: Model, scenario: Scenario | str | os.PathLike[str] | Mapping[str, Any]) -> Scenario:
    if isinstance(scenario, (Scenario, Mapping)):
        return _checked(model, scenario)
    by_name = {p.stem: p for p in bundled_scenarios(model)}
    if isinstance(scenario, str) and scenario in by_name:
        return _checked(model, by_name[scenario])
    path = Path(scenario)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return _checked(model, path)
    where = f"the scenarios of {model.path / 'scenarios'}" if model.path is not None else "the model's scenarios"
    raise unknown_id("scenario", str(scenario), by_name, where)


def with_scenario(model: Model, scenario: Scenario | str | os.PathLike[str] | Mapping[str, Any]) -> Model:
    """``model`` changed by a scenario given by name, file, object or mapping.

    Parameters
    ----------
    model
        A loaded model.
    scenario
        The name of one of the model's bundled scenarios (:func:`~pia_analysis.explorer.scenario_choices`),
        a scenario file, a :class:`~pia_analysis.whatif.scenario.Scenario` or a mapping with the keys of a file.

    Returns
    -------
    Model
        The changed model (see :func:`apply_scenario`).

    Raises
    ------
    ValueError
        When the name is neither a bundled scenario nor a ``.yaml`` file;
        :class:`~pia_analysis.model.errors.ModelError` (a ValueError) when the scenario does not apply.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, with_scenario
    >>> m = with_scenario(load_model(bundled_model_path()), "store-firewall-fails")
    >>> m.controls.set_index("control_id").at["C-STORE-FW", "status"]
    'missing'
    """
    require_model(model, "with_scenario")
    return _apply_with_log(model, _resolve_scenario(model, scenario))[0]


@dataclass(frozen=True)
class Changes:
    """What the explorer changes in a model: a scenario, control statuses, blocked flows.

    Attributes
    ----------
    scenario
        ``None``, the name of one of the model's bundled scenarios (:func:`scenario_choices`), a scenario
        file, a :class:`~pia_analysis.whatif.scenario.Scenario` or a mapping with the keys of a scenario file.
    controls
        ``(control_id, status)`` pairs, sorted by id (give a mapping to :meth:`of`).
    blocked_flows
        Flow ids, sorted.
    """

    scenario: Any = None
    controls: tuple[tuple[str, str], ...] = ()
    blocked_flows: tuple[str, ...] = ()

    @classmethod
    def of(cls, changes: Changes | Mapping[str, Any] | None) -> Changes:
        """A :class:`Changes` from ``None`` (no change), a :class:`Changes`, or a mapping.

        The mapping has the keys ``scenario``, ``controls`` (control_id -> status) and ``blocked_flows`` (ids).

        Examples
        --------
        >>> from pia_analysis import Changes
        >>> Changes.of({"controls": {"C2": "missing", "C1": "planned"}, "blocked_flows": ["F9", "F1"]})
        Changes(scenario=None, controls=(('C1', 'planned'), ('C2', 'missing')), blocked_flows=('F1', 'F9'))
        """
        if changes is None:
            return cls()
        if isinstance(changes, Changes):
            return changes
        if not isinstance(changes, Mapping):
            raise TypeError(f"changes must be a Changes or a mapping, not {type(changes).__name__}")
        unknown = sorted(set(changes) - {"scenario", "controls", "blocked_flows"})
        if unknown:
            raise InvalidArgumentError(f"unknown key(s) in changes: {', '.join(unknown)} "
                             "(the keys are scenario, controls, blocked_flows)")
        controls = changes.get("controls") or {}
        if not isinstance(controls, Mapping):
            controls = dict(controls)  # (id, status) pairs
        scenario = changes.get("scenario") or None
        return cls(scenario=scenario,
                   controls=tuple(sorted((str(k), str(v)) for k, v in controls.items())),
                   blocked_flows=tuple(sorted(_flow_ids(changes.get("blocked_flows") or ()))))

    @property
    def is_empty(self) -> bool:
        """True when nothing is changed."""
        return self.scenario is None and not self.controls and not self.blocked_flows

    def scenario_label(self) -> str:
        """How the scenario is named in tables: its bundled name, its file name, or its id."""
        s = self.scenario
        if s is None:
            return ""
        if isinstance(s, Scenario):
            return s.id
        if isinstance(s, Mapping):
            return str(s.get("id", "scenario"))
        return Path(s).stem if isinstance(s, os.PathLike) or str(s).endswith((".yaml", ".yml")) else str(s)


def apply_changes(model: Model, changes: Changes | Mapping[str, Any] | None) -> tuple[Model, pd.DataFrame]:
    """Apply :class:`Changes` to ``model``: the scenario, then the control statuses, then the blocked flows.

    Parameters
    ----------
    model
        A loaded model.
    changes
        A :class:`Changes`, a mapping ``{"scenario": name, "controls": {id: status}, "blocked_flows": [ids]}``
        (any key may be left out), or ``None`` (no change).

    Returns
    -------
    (Model, DataFrame)
        The changed model and every change made (columns :data:`EFFECT_COLUMNS`; ``change`` names the
        explorer change: ``scenario <name>``, ``control <id>`` or ``block <ids>``; cascades included).
        A control given the status it already has changes nothing and logs nothing.

    Raises
    ------
    ValueError
        For an unknown scenario, control, status or flow (after the scenario: a control or flow it adds may
        be changed, one it removes may not).

    Examples
    --------
    >>> from pia_analysis import apply_changes, bundled_model_path, load_model
    >>> m, fx = apply_changes(load_model(bundled_model_path()), {"blocked_flows": ["F18"]})
    >>> fx[["change", "op", "table", "id"]].values.tolist()[:2]
    [['block F18', 'remove', 'flows', 'F18'], ['block F18', 'remove', 'controls', 'C-STORE-FW']]
    """
    require_model(model, "apply_changes")
    changes = Changes.of(changes)
    rows: list[dict[str, Any]] = []
    out = model
    if changes.scenario is not None:
        scenario = _resolve_scenario(model, changes.scenario)
        out, log = _apply_with_log(out, scenario)
        rows += [{"change": f"scenario {changes.scenario_label()}", **r} for r in log]
    if changes.controls:
        statuses = dict(zip(out.controls["control_id"], out.controls["status"]))
        for cid, status in changes.controls:
            if cid not in statuses:
                raise unknown_id("control", cid, statuses, "the model" if changes.scenario is None
                               else f"the model after scenario {changes.scenario_label()}")
            if status not in CONTROL_STATUSES:
                raise InvalidArgumentError(f"{status!r} is not a control status (for {cid}): use one of "
                                 f"{', '.join(CONTROL_STATUSES)}")
            if statuses[cid] == status and cid not in set(out.control_status["control_id"]):
                continue
            out = with_control_status(out, cid, status)
            rows.append({"change": f"control {cid}", "op": "set", "table": "controls", "id": cid,
                         "column": "status", "before": statuses[cid], "after": status, "cause": "explorer"})
    if changes.blocked_flows:
        out, log = _block(out, list(changes.blocked_flows))
        label = "block " + ", ".join(changes.blocked_flows)
        rows += [{"change": label, **r, "cause": "explorer" if r["cause"] == "scenario" else r["cause"]}
                 for r in log]
    return out, pd.DataFrame(rows, columns=EFFECT_COLUMNS)
