"""The shared part of a city workspace, merged into an affair's model as the model is loaded (docs/city.md).

A city keeps one model per affair; the zones, systems, files, flows and controls several affairs use (団体内統合
宛名システム, 中間サーバー, コンビニ交付 …) are defined once, in a folder of CSV tables (``shared/zones.csv`` …,
each optional), and an affair's ``model.yaml`` names it: ``shared: ../../shared``. Both readers (directory and
workbook) call :func:`merge_shared` on the tables they read, before the cross-table checks: the affair then
gets, as ordinary rows of its tables, **the closure** of what it references —

* the shared systems its rows name (flows' ``source``/``target``, controls' ``applies_to``, ``holdings.csv``'s
  ``system_id``) and those ``shared_systems`` lists; the ends of a shared flow one of its controls names;
* the zones of those systems, and the shared zones its own systems are in;
* the shared flows whose both ends are included (and those its controls name);
* the shared files those systems hold or those flows carry (and those its own rows name);
* the shared controls that apply to an included system or flow (``applies_to`` cut to the included ids) or to
  the whole organisation (``*``).

An affair keeps its own files at a shared system with ``holdings.csv`` (``system_id, file_id, source``): each
file is added to that system's ``holds``, so the analyses see the records at stake there. Shared rows keep their
location (``shared/systems.csv:3``); the model records their ids (``Model.shared_ids``).

The part may also hold ``control_status.csv`` (issue 18): the status of a shared control on one element; a row
is taken with its control when its element is taken too (any taken element, for a control applying to ``*``).
Not ``triage.csv``: a finding id is an affair's own.
"""

from __future__ import annotations

__all__ = ["SharedLabel", "SharedPart", "merge_part", "shared_row_ids"]

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..model.cells import RawTable, empty_table
from ..model.errors import Problem
from ..model.schema import SHARED_TABLES, TABLE_BY_NAME, TableRef

class SharedLabel(str):
    """The file label of a row taken from the shared part (``city/shared/systems.csv``): text, told apart."""


#: The shared parts read during one workspace load, by (folder, label): each affair's load takes the part the
#: first one read instead of parsing it again (a 100,000-row shared part took 25 s per affair). None: no cache.
_READ: ContextVar[dict[tuple[str, str], SharedPart] | None] = ContextVar("pia_shared_parts", default=None)


@contextmanager
def reading_once() -> Iterator[None]:
    """While inside, a shared part is read once per folder and label (:func:`remembered`); forgotten on exit."""
    token = _READ.set({})
    try:
        yield
    finally:
        _READ.reset(token)


def remembered(folder: Path, label: str, read: Callable[[], SharedPart]) -> SharedPart:
    """The shared part at ``folder`` read by ``read()``, or the one already read inside :func:`reading_once`.

    The files do not change while a workspace loads, and :func:`merge_part` does not modify the part, so one
    read serves every affair (each affair's problems and labels are the same: the label names the same file).
    """
    cache = _READ.get()
    if cache is None:
        return read()
    key = (str(folder), label)
    if key not in cache:
        cache[key] = read()
    return cache[key]


#: Tables whose ids share one namespace (controls name both): a shared system and an affair flow may not share one.
_ELEMENTS = ("systems", "flows")


@dataclass(frozen=True)
class SharedPart:
    """The shared part of a city workspace, read: its tables and where each row is.

    Attributes
    ----------
    path : pathlib.Path
        The resolved folder.
    label : str
        How messages name the folder (``city/shared``).
    tables : dict of str to RawTable
        The tables of :data:`~pia_analysis.model.schema.SHARED_PART_TABLES` that could be read (an absent file is an
        empty table), each row labelled with its file (``city/shared/systems.csv``).
    problems : tuple of Problem
        The located problems found reading it (and, when read with ``check=True``, checking its references).
    """

    path: Path
    label: str
    tables: dict[str, RawTable] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()

    def ids(self, table: str) -> list[str]:
        """The ids of a shared table, in file order (empty when it has none)."""
        raw = self.tables.get(table)
        return [] if raw is None else [str(k) for k in raw.frame[TABLE_BY_NAME[table].key]]

    def frame(self, table: str) -> pd.DataFrame:
        """The typed rows of a shared table (an empty table with the format's columns when it has none)."""
        raw = self.tables.get(table)
        return raw.frame if raw is not None else empty_table(TABLE_BY_NAME[table])


def _rows(raw: RawTable | None) -> list[tuple[Any, int | None, dict[str, Any]]]:
    """(label, line, row) of each row of a table as read (an affair's rows are labelled by their table)."""
    if raw is None:
        return []
    columns = [str(c) for c in raw.frame.columns]
    records = [dict(zip(columns, values)) for values in zip(*(raw.frame[c].tolist() for c in columns))]
    labels = raw.labels
    out = []
    for i, row in enumerate(records):
        line = raw.lines[i] if i < len(raw.lines) else None
        out.append((labels[i] if labels is not None else None, line, row))
    return out


def merge_part(part: SharedPart, meta: dict[str, Any], tables: dict[str, RawTable | None], problems: list[Problem],
               key_problem: Any) -> frozenset[str]:
    """Merge the closure of ``part`` into an affair's tables (in place); the ids of the shared rows merged.

    The step of :func:`pia_analysis.formats.directory.merge_shared` once the shared part is read: see the module's
    text for the closure. An affair's row whose id the shared part defines too is a problem and is left out;
    ``holdings.csv`` rows add the affair's files to the shared systems' ``holds``.

    Parameters
    ----------
    part
        The shared part, read.
    meta
        The affair's model keys (``shared_systems``).
    tables
        The affair's tables as read (None: unreadable); replaced by the merged tables.
    problems
        Where problems are appended, neutral (the reader places them).
    key_problem
        ``key_problem(key, message, hint)`` appends a problem located at a model key (``shared_systems``).

    Returns
    -------
    frozenset of str
        The ids of the shared rows merged.

    Examples
    --------
    >>> from pia_analysis.formats.shared import SharedPart, merge_part
    >>> from pathlib import Path
    >>> merge_part(SharedPart(Path("shared"), "shared"), {}, {}, [], print)
    frozenset()
    """
    own = {name: {str(row[TABLE_BY_NAME[name].key]) for _l, _n, row in _rows(tables.get(name))}
           for name in SHARED_TABLES}
    shared_rows = {name: _rows(part.tables.get(name)) for name in SHARED_TABLES}
    # An id defined both in the shared part and in the affair: the affair's row is the problem (named with the
    # shared row) and is left out, so that the rest of the affair resolves against the shared row and the one
    # mistake is reported once.
    clashes: dict[str, set[str]] = {name: set() for name in SHARED_TABLES}
    shared_at: dict[str, tuple[Any, int | None]] = {}
    for name in SHARED_TABLES:
        for label, line, row in shared_rows[name]:
            shared_at.setdefault(f"{name}:{row[TABLE_BY_NAME[name].key]}", (label, line))
    for name in SHARED_TABLES:
        key = TABLE_BY_NAME[name].key
        # systems and flows share one namespace (controls name both)
        namespaces = _ELEMENTS if name in _ELEMENTS else (name,)
        for _l, line, row in _rows(tables.get(name)):
            own_id = str(row[key])
            found = next((shared_at[f"{other}:{own_id}"] for other in namespaces if f"{other}:{own_id}" in shared_at),
                         None)
            if found is None:
                continue
            clashes[name].add(own_id)
            label, shared_line = found
            at = f"{label}:{shared_line}" if shared_line else label
            problems.append(Problem(TableRef(name), line, key, f"{own_id!r} is also defined in the shared part ({at})",
                                    "an id is defined once in a city workspace: delete this row to use the shared "
                                    "one, or give it another id"))
        raw = tables.get(name)
        if raw is not None and clashes[name]:
            keep = [i for i, k in enumerate(raw.frame[key]) if str(k) not in clashes[name]]
            labels = [raw.labels[i] for i in keep] if raw.labels is not None else None
            tables[name] = RawTable(raw.frame.iloc[keep].reset_index(drop=True), [raw.lines[i] for i in keep],
                                    raw.malformed_ids, labels)
        own[name] -= clashes[name]
    shared_ids = {name: {str(row[TABLE_BY_NAME[name].key]) for _l, _n, row in shared_rows[name]}
                  for name in SHARED_TABLES}
    # what the affair's own rows name
    zone_refs = {str(row["zone_id"]) for _l, _n, row in _rows(tables.get("systems"))}
    system_refs: set[str] = set()
    file_refs: set[str] = set()
    for _l, _n, row in _rows(tables.get("systems")):
        file_refs.update(map(str, row["holds"] or []))
        file_refs.update(map(str, row.get("processes") or []))
    for _l, _n, row in _rows(tables.get("flows")):
        system_refs.update((str(row["source"]), str(row["target"])))
        file_refs.update(map(str, row["files"] or []))
    element_refs: set[str] = set()
    for _l, _n, row in _rows(tables.get("controls")):
        element_refs.update(str(t) for t in row["applies_to"] or [] if t != "*")
    holdings = _rows(tables.get("holdings"))
    for _l, _n, row in holdings:
        system_refs.add(str(row["system_id"]))
    listed = []
    for sid in meta.get("shared_systems") or []:
        if sid in own["systems"]:
            key_problem("shared_systems", f"{sid!r} is one of this affair's own systems, not a shared one",
                        "list only systems of the shared part's systems.csv")
        elif sid not in shared_ids["systems"]:
            known = ", ".join(sorted(shared_ids["systems"])[:12]) or "none"
            key_problem("shared_systems", f"{sid!r} is not a system of the shared part ({part.label}/systems.csv)",
                        f"the shared systems are: {known}")
        else:
            listed.append(sid)
    shared_flow_rows = {str(row["flow_id"]): row for _l, _n, row in shared_rows["flows"]
                        if str(row["flow_id"]) in shared_ids["flows"]}
    named_flows = element_refs & set(shared_flow_rows)
    systems = (((system_refs | element_refs) & shared_ids["systems"]) | set(listed)
               | {str(shared_flow_rows[f][end]) for f in named_flows for end in ("source", "target")})
    systems &= shared_ids["systems"]
    flows = named_flows | {f for f, row in shared_flow_rows.items()
                           if str(row["source"]) in systems and str(row["target"]) in systems}
    shared_system_rows = {str(row["system_id"]): row for _l, _n, row in shared_rows["systems"]}
    zones = ({str(shared_system_rows[s]["zone_id"]) for s in systems} | zone_refs) & shared_ids["zones"]
    # the zones those lie inside (parent_zone, issue 18), outwards: each named zone must be there
    parents = {str(row["zone_id"]): str(row.get("parent_zone") or "") for _l, _n, row in shared_rows["zones"]}
    todo = list(zones)
    while todo:
        up = parents.get(todo.pop(), "")
        if up and up in shared_ids["zones"] and up not in zones:
            zones.add(up)
            todo.append(up)
    files = ({str(f) for s in systems for f in shared_system_rows[s].get("processes") or []}
             | {str(f) for s in systems for f in shared_system_rows[s]["holds"] or []}
             | {str(f) for fl in flows for f in shared_flow_rows[fl]["files"] or []} | file_refs) & shared_ids["files"]
    elements = systems | flows
    controls: dict[str, list[str]] = {}
    for _l, _n, row in shared_rows["controls"]:
        cid, targets = str(row["control_id"]), [str(t) for t in row["applies_to"] or []]
        if cid not in shared_ids["controls"]:
            continue
        kept = [t for t in targets if t == "*" or t in elements]
        if kept:
            controls[cid] = kept
    # the affair's files kept at shared systems join those systems' holds
    extra_holds: dict[str, list[str]] = {}
    for _l, line, row in holdings:
        sid, fid = str(row["system_id"]), str(row["file_id"])
        if sid in own["systems"]:
            problems.append(Problem(TableRef("holdings"), line, "system_id",
                                    f"{sid!r} is one of this affair's own systems",
                                    ("holdings.csv is for systems of the shared part; list the file in the holds of ",
                                     sid, " in ", TableRef("systems"))))
        elif fid in shared_ids["files"]:
            problems.append(Problem(TableRef("holdings"), line, "file_id",
                                    f"{fid!r} is a file of the shared part",
                                    "a shared file is kept through the holds of the shared part's systems.csv; "
                                    "holdings.csv lists this affair's own files"))
        elif sid in systems and fid in own["files"] and fid not in extra_holds.setdefault(sid, []):
            # only the affair's own files: an unknown one is the holdings row's problem (check_references names
            # it there), and joining it to the shared system's holds would blame that correct shared row too
            extra_holds[sid].append(fid)
    keep = {"zones": zones, "systems": systems, "files": files, "flows": flows, "controls": set(controls)}
    for name in SHARED_TABLES:
        raw = part.tables.get(name)
        if raw is None:
            continue
        key = TABLE_BY_NAME[name].key
        chosen = [i for i, k in enumerate(raw.frame[key]) if str(k) in keep[name]]
        frame = raw.frame.iloc[chosen].reset_index(drop=True)
        if name == "controls" and chosen:
            frame["applies_to"] = [controls[str(k)] for k in frame["control_id"]]
        if name == "systems" and chosen and extra_holds:
            frame["holds"] = [list(h or []) + [f for f in extra_holds.get(str(s), []) if f not in (h or [])]
                              for s, h in zip(frame["system_id"], frame["holds"])]
        tables[name] = _joined(TABLE_BY_NAME[name].name, tables.get(name), frame,
                               [raw.lines[i] for i in chosen], [raw.labels[i] for i in chosen] if raw.labels else [])
    # the status of the shared controls taken on the elements they keep (a * control: on any element taken)
    statuses = part.tables.get("control_status")
    if statuses is not None and not statuses.frame.empty:
        chosen = [i for i, (cid, element) in enumerate(zip(statuses.frame["control_id"], statuses.frame["element"]))
                  if str(cid) in controls and (str(element) in controls[str(cid)]
                                               or ("*" in controls[str(cid)] and str(element) in elements))]
        tables["control_status"] = _joined("control_status", tables.get("control_status"),
                                           statuses.frame.iloc[chosen].reset_index(drop=True),
                                           [statuses.lines[i] for i in chosen],
                                           [statuses.labels[i] for i in chosen] if statuses.labels else [])
    return frozenset(k for name in SHARED_TABLES for k in keep[name])


def _joined(name: str, own: RawTable | None, frame: pd.DataFrame, lines: list[int | None],
            labels: list[Any]) -> RawTable | None:
    """The affair's rows, then the shared rows taken, each labelled with its file."""
    if own is None:  # the affair's table could not be read: its problems are reported, no merge
        return None
    if frame.empty:
        return own
    own_labels = own.labels if own.labels is not None else [TableRef(name)] * len(own.lines)
    table = TABLE_BY_NAME[name]
    extras = [c for c in [*own.frame.columns, *frame.columns] if c not in table.column_names]
    columns = [*table.column_names, *dict.fromkeys(extras)]
    if own.frame.empty:
        merged = frame.reindex(columns=columns)
    else:
        merged = pd.concat([own.frame, frame], ignore_index=True).reindex(columns=columns)
    for column in dict.fromkeys(extras):  # an extra column one side lacks is empty text there
        merged[column] = merged[column].fillna("")
    return RawTable(merged, [*own.lines, *lines], own.malformed_ids, labels=[*own_labels, *labels])


def shared_row_ids(tables: dict[str, RawTable | None]) -> frozenset[str]:
    """The ids of the rows :func:`merge_shared` added to ``tables`` (each labelled with a :class:`SharedLabel`).

    Parameters
    ----------
    tables
        Tables as merged.

    Returns
    -------
    frozenset of str
        Their ids; empty for a model without a shared part.

    Examples
    --------
    >>> from pia_analysis.formats.shared import shared_row_ids
    >>> shared_row_ids({})
    frozenset()
    """
    out: set[str] = set()
    for name in SHARED_TABLES:
        raw = tables.get(name)
        if raw is None or raw.labels is None:
            continue
        key = TABLE_BY_NAME[name].key
        out.update(str(k) for k, label in zip(raw.frame[key], raw.labels) if isinstance(label, SharedLabel))
    return frozenset(out)
