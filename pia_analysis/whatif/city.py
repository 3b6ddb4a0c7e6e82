"""Across the affairs of a city workspace: who keeps what where, exposure through shared systems, shared changes.

A city keeps one assessment per affair, and the affairs share systems (団体内統合宛名システム, 中間サーバー,
総合窓口, コンビニ交付). Each affair's model, loaded with its part of the shared part
(:func:`~pia_analysis.formats.workspace.load_workspace`), is analysed on its own as the 評価書 describes it;
these functions look across them (``docs/city.md``, "Across the affairs"):

* :func:`affair_holdings`: for each system, which affairs' files it holds and which it carries;
* :func:`city_model`: the whole city as one model, the union of the affairs' models (the shared rows once,
  each affair's own ids namespaced ``affair:ID``), for the analyses of one model;
* :func:`cross_affair_exposure`: each affair's My Number holders an attacker reaches from each shared system,
  in the city graph, with the holder's exposure in the city and in the affair's model alone (an attacker who
  reaches the shared 統合宛名 reaches what every affair keeps there);
* :func:`shared_change_impact`: two versions of a workspace (a shared system changed, a shared control
  removed …): per affair, the class of its change (重要な変更 / 評価書の修正 / 形式的な変更) and the reason, from
  :func:`~pia_analysis.whatif.versions.diff` of the affair's two loaded models, and its (別添3) rows.
"""

from __future__ import annotations

__all__ = ["CityImpact", "affair_holdings", "city_model", "cross_affair_exposure", "shared_change_impact"]

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..analysis.exposure import blast_radius, node_exposure
from ..formats.workspace import Workspace, require_workspace
from ..model.model import Model
from ..model.schema import SHARED_TABLES, TABLE_BY_NAME
from .versions import CHANGE_CLASS_JA, CHANGE_CLASSES, ModelDiff, diff

#: The separator of a namespaced affair-own id in :func:`city_model` (``juki:REG``): ':' is allowed in ids,
#: so the city model's ids read as the affair's, and a shared id never contains it by accident of the union.
NAMESPACE_SEP = ":"
#: The class of an affair whose two versions do not differ.
NO_CHANGE = "none"
NO_CHANGE_JA = "変更なし"

HOLDINGS_COLUMNS = ["system_id", "name_ja", "shared", "affair_id", "affair_system_id", "files_held", "files_carried",
                    "my_number", "my_number_records"]
EXPOSURE_COLUMNS = ["affair_id", "shared_system_id", "shared_system_name_ja", "holder_id", "holder_name_ja",
                    "holder_shared", "hops", "probability", "path", "records", "affair_files", "exposure_city",
                    "exposure_affair"]
IMPACT_COLUMNS = ["affair_id", "name", "status", "change_class", "change_class_ja", "changes", "shared_changes",
                  "elements", "reasons_ja", "reasons_en", "sheet_rows"]


def _namer(affair_id: str, model: Model):
    """The city id of an id of ``model``: shared ids as they are, the affair's own as ``affair:ID``."""
    shared = model.shared_ids

    def city_id(element: str) -> str:
        return element if element in shared or element == "*" else f"{affair_id}{NAMESPACE_SEP}{element}"

    return city_id


def _own(model: Model, table: str) -> pd.DataFrame:
    frame = getattr(model, table)
    return frame.loc[~frame[TABLE_BY_NAME[table].key].isin(model.shared_ids)]


# ---------------------------------------------------------------------------------------------------
# who keeps what where


def affair_holdings(ws: Workspace) -> pd.DataFrame:
    """For each system of the city, the files of each affair it holds and the ones it carries.

    An affair's files are its own (``files.csv`` of its model, not the shared part's): held at its own systems
    (``holds``) or at shared systems (its ``holdings.csv``), carried by the flows into or out of a system. One
    row per system and affair that holds or carries something of the affair.

    Parameters
    ----------
    ws
        A loaded workspace (:func:`~pia_analysis.formats.workspace.load_workspace`).

    Returns
    -------
    DataFrame
        Columns ``system_id`` (the city id: a shared system's id, an affair's own system as ``affair:ID``),
        ``name_ja``, ``shared`` (bool: a system of the shared part), ``affair_id``, ``affair_system_id`` (the id
        in the affair's model), ``files_held`` and ``files_carried`` (lists of the affair's file ids, sorted),
        ``my_number`` (bool: one of them holds My Numbers), ``my_number_records`` (int: the largest file with My
        Numbers held there, 0 if none). Shared systems first in the shared part's order, then each affair's own
        systems in city.yaml's and the model's order; within a shared system, the affairs in city.yaml's order.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``ws`` is not a loaded Workspace.

    Examples
    --------
    >>> from pia_analysis import affair_holdings, load_workspace
    >>> table = affair_holdings(load_workspace("tests/workspaces/good"))
    >>> table.loc[table["system_id"] == "ATENA", ["affair_id", "files_held", "files_carried"]].values.tolist()
    [['juki', ['REG_FILE'], ['REG_FILE']], ['zei', ['TAX_FILE'], ['TAX_FILE']]]
    >>> table.loc[table["shared"], "system_id"].unique().tolist()
    ['ATENA']
    """
    require_workspace(ws, "affair_holdings")
    by_system: dict[str, list[dict[str, Any]]] = {}
    own_rows: list[dict[str, Any]] = []
    for affair_id, model in ws.models.items():
        city_id = _namer(affair_id, model)
        own_files = set(_own(model, "files")["file_id"])
        mn = {f: int(r) for f, r, m in zip(model.files["file_id"], model.files["records"],
                                           model.files["contains_my_number"]) if f in own_files and bool(m)}
        carried: dict[str, set[str]] = {}
        for source, target, files in zip(model.flows["source"], model.flows["target"], model.flows["files"]):
            for end in (source, target):
                carried.setdefault(end, set()).update(f for f in files if f in own_files)
        for sid, name, holds in zip(model.systems["system_id"], model.systems["name_ja"], model.systems["holds"]):
            held = sorted(f for f in holds if f in own_files)
            moved = sorted(carried.get(sid, ()))
            if not held and not moved:
                continue
            row = {"system_id": city_id(sid), "name_ja": str(name), "shared": sid in model.shared_ids,
                   "affair_id": affair_id, "affair_system_id": sid, "files_held": held, "files_carried": moved,
                   "my_number": any(f in mn for f in held + moved),
                   "my_number_records": max((mn[f] for f in held if f in mn), default=0)}
            if row["shared"]:
                by_system.setdefault(sid, []).append(row)
            else:
                own_rows.append(row)
    rows = [r for sid in ws.shared["systems"]["system_id"] for r in by_system.get(sid, [])] + own_rows
    out = pd.DataFrame(rows, columns=HOLDINGS_COLUMNS)
    return out.astype({"shared": "bool", "my_number": "bool", "my_number_records": "int64"})


# ---------------------------------------------------------------------------------------------------
# the city as one model


def city_model(ws: Workspace) -> Model:
    """The whole city as one model: the shared part once, and every affair's own rows, namespaced.

    The union of the affairs' loaded models: the shared part's zones, systems, files, flows and controls whole
    (each once, as ``shared/*.csv`` defines them, a shared system holding besides its shared files every
    affair's files kept there by a ``holdings.csv``), and each affair's own rows with their ids and every
    reference to them written ``affair:ID`` (``juki:REG``), references to shared ids left as they are. So two
    affairs may use one id for two things (each a ``TERM``), and an attacker's path may go from one affair's
    terminal through a shared system into another affair's system. Risks are the affairs' (each id once); the
    document tables are left empty: the city model is for the analyses of the attack graph
    (:func:`~pia_analysis.analysis.exposure.node_exposure`, :func:`~pia_analysis.analysis.exposure.blast_radius`
    …), not a 評価書.

    Parameters
    ----------
    ws
        A loaded workspace.

    Returns
    -------
    Model
        ``meta``: the city's ``organisation`` and ``organisation_kind``, ``id`` ``city``, ``affairs`` the
        affairs' names joined by 「、」, ``target_population`` the largest of the affairs'; ``shared_ids`` the
        shared part's ids; ``path`` the workspace folder.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``ws`` is not a loaded Workspace.

    Examples
    --------
    >>> from pia_analysis import city_model, load_workspace
    >>> city = city_model(load_workspace("tests/workspaces/good"))
    >>> city.systems["system_id"].tolist()
    ['ATENA', 'CONBINI', 'MADO', 'UNUSED', 'juki:REG', 'juki:TERM', 'zei:TAX', 'zei:TAX_TERM']
    >>> city.systems.set_index("system_id").at["ATENA", "holds"]
    ['ATENA_FILE', 'juki:REG_FILE', 'zei:TAX_FILE']
    """
    require_workspace(ws, "city_model")
    first = next(iter(ws.models.values()))
    shared = {name: ws.shared[name].copy() for name in SHARED_TABLES}
    extra_holds: dict[str, list[str]] = {}
    parts: dict[str, list[pd.DataFrame]] = {name: [shared[name]] for name in SHARED_TABLES}
    risks: list[pd.DataFrame] = []
    for affair_id, model in ws.models.items():
        city_id = _namer(affair_id, model)

        def ids(values: list[str], name=city_id) -> list[str]:
            return [name(v) for v in values]

        zones = _own(model, "zones").assign(zone_id=lambda f, n=city_id: f["zone_id"].map(n))
        systems = _own(model, "systems").copy()
        systems["system_id"] = systems["system_id"].map(city_id)
        systems["zone_id"] = systems["zone_id"].map(city_id)
        systems["holds"] = systems["holds"].map(ids)
        files = _own(model, "files").assign(file_id=lambda f, n=city_id: f["file_id"].map(n))
        flows = _own(model, "flows").copy()
        for column in ("flow_id", "source", "target"):
            flows[column] = flows[column].map(city_id)
        flows["files"] = flows["files"].map(ids)
        controls = _own(model, "controls").copy()
        controls["control_id"] = controls["control_id"].map(city_id)
        controls["applies_to"] = controls["applies_to"].map(ids)
        for name, frame in (("zones", zones), ("systems", systems), ("files", files), ("flows", flows),
                            ("controls", controls)):
            parts[name].append(frame)
        # the affair's files kept at shared systems (its holdings.csv): the shared system holds them in the city
        for sid, holds in zip(model.systems["system_id"], model.systems["holds"]):
            if sid in model.shared_ids:
                extra_holds.setdefault(sid, []).extend(city_id(f) for f in holds if f not in model.shared_ids)
        risks.append(model.risks)
    systems = parts["systems"][0]
    systems["holds"] = [list(h) + extra_holds.get(sid, []) for sid, h in zip(systems["system_id"], systems["holds"])]
    tables = {name: pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)
              for name, frames in parts.items()}
    all_risks = pd.concat(risks, ignore_index=True)
    tables["risks"] = all_risks.drop_duplicates("risk_id", keep="first").reset_index(drop=True)
    names = "、".join(str(n) for n in ws.affairs["name"])
    meta = {"id": "city", "title_ja": f"{ws.organisation}（{names}）", "title_en": f"{ws.organisation} (city)",
            "organisation": ws.organisation, "affairs": names,
            "assessed_on": max(m.meta.get("assessed_on") for m in ws.models.values()),
            "target_population": max(int(m.meta.get("target_population") or 0) for m in ws.models.values())}
    if ws.organisation_kind:
        meta["organisation_kind"] = ws.organisation_kind
    shared_ids = frozenset(str(i) for name in SHARED_TABLES for i in shared[name][TABLE_BY_NAME[name].key])
    empty = {name: getattr(first, name).iloc[0:0] for name in ("ratings", "sub_measures", "file_details",
                                                               "outsourcing", "recipients", "form_answers",
                                                               "holdings")}
    return Model(meta=meta, path=ws.path, shared_ids=shared_ids, **tables, **empty)


# ---------------------------------------------------------------------------------------------------
# exposure through shared systems


def cross_affair_exposure(ws: Workspace) -> pd.DataFrame:
    """Each affair's My Number holders an attacker reaches from each shared system, in the whole city.

    The city is one attack graph (:func:`city_model`): an attacker who holds a shared system moves as in
    :func:`~pia_analysis.analysis.exposure.blast_radius` (arcs with ``p > 0`` into systems with ``q > 0``) into
    every affair's systems it connects to. For every shared system ``S`` and every affair, the affair's My
    Number holders (the systems of its loaded model holding a file with My Numbers, shared ones included)
    that ``S`` reaches, ``S`` itself when it holds the affair's My Numbers. ``exposure_city`` is the holder's
    exposure (:func:`~pia_analysis.analysis.exposure.node_exposure`) in the city graph, from every affair's
    entry points; ``exposure_affair`` the same in the affair's model alone, as its 評価書 sees it. Where
    ``exposure_city`` is higher, another affair's entry points reach this affair's My Numbers.

    Parameters
    ----------
    ws
        A loaded workspace.

    Returns
    -------
    DataFrame
        One row per (affair, shared system, holder reached): ``affair_id``, ``shared_system_id``,
        ``shared_system_name_ja``, ``holder_id`` (the id in the affair's model), ``holder_name_ja``,
        ``holder_shared`` (bool), ``hops`` (int: steps from the shared system), ``probability`` (float, in [0,
        1]: of the most likely onward path, given the shared system has fallen), ``path`` (list of city ids),
        ``records`` (int: the largest file with My Numbers held there, in the affair's model), ``affair_files``
        (list: the affair's own My Number files held there), ``exposure_city`` and ``exposure_affair`` (float,
        probability per year). Affairs in city.yaml's order, shared systems in the shared part's order, then
        by ``probability`` (descending) and ``holder_id``.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When ``ws`` is not a loaded Workspace.

    Examples
    --------
    >>> from pia_analysis import cross_affair_exposure, load_workspace
    >>> table = cross_affair_exposure(load_workspace("tests/workspaces/good"))
    >>> atena = table[table["shared_system_id"] == "ATENA"]
    >>> atena[["affair_id", "holder_id", "records", "affair_files"]].values.tolist()
    [['juki', 'ATENA', 1500, ['REG_FILE']], ['zei', 'ATENA', 1500, ['TAX_FILE']]]
    """
    require_workspace(ws, "cross_affair_exposure")
    city = city_model(ws)
    city_exposure = dict(zip(*(node_exposure(city)[c] for c in ("system_id", "exposure"))))
    reached = {sid: blast_radius(city, sid).systems for sid in ws.shared["systems"]["system_id"]}
    shared_names = dict(zip(ws.shared["systems"]["system_id"], ws.shared["systems"]["name_ja"]))
    rows = []
    for affair_id, model in ws.models.items():
        city_id = _namer(affair_id, model)
        alone = dict(zip(*(node_exposure(model)[c] for c in ("system_id", "exposure"))))
        people = model.my_number_people
        own_mn = set(_own(model, "files").loc[lambda f: f["contains_my_number"].astype(bool), "file_id"])
        holders = {city_id(sid): (sid, str(name), sorted(f for f in holds if f in own_mn))
                   for sid, name, holds in zip(model.systems["system_id"], model.systems["name_ja"],
                                               model.systems["holds"])
                   if any(f in model.my_number_files for f in holds)}
        for shared_id, systems in reached.items():
            found = systems.loc[systems["system_id"].isin(holders)]
            found = found.assign(_key=found["system_id"].map(lambda c: holders[c][0]))
            found = found.sort_values(["probability", "_key"], ascending=[False, True], kind="stable")
            for cid, hops, prob, path in zip(found["system_id"], found["hops"], found["probability"], found["path"]):
                sid, name, files = holders[cid]
                rows.append({"affair_id": affair_id, "shared_system_id": shared_id,
                             "shared_system_name_ja": str(shared_names[shared_id]), "holder_id": sid,
                             "holder_name_ja": name, "holder_shared": sid in model.shared_ids, "hops": int(hops),
                             "probability": float(prob), "path": list(path), "records": int(people.get(sid, 0)),
                             "affair_files": files, "exposure_city": float(city_exposure[cid]),
                             "exposure_affair": float(alone[sid])})
    out = pd.DataFrame(rows, columns=EXPOSURE_COLUMNS)
    return out.astype({"holder_shared": "bool", "hops": "int64", "probability": "float64", "records": "int64",
                       "exposure_city": "float64", "exposure_affair": "float64"})


# ---------------------------------------------------------------------------------------------------
# a change to the shared part, per affair


@dataclass(frozen=True)
class CityImpact:
    """What a change of a city workspace means for each affair (:func:`shared_change_impact`).

    Attributes
    ----------
    affairs : DataFrame
        One row per affair: ``affair_id``, ``name``, ``status`` (``compared``; ``added`` or ``removed`` for an
        affair in one version only), ``change_class`` (``important``, ``revision``, ``formal`` or ``none``),
        ``change_class_ja`` (重要な変更 / 評価書の修正 / 形式的な変更 / 変更なし), ``changes`` (int: changed rows
        and keys), ``shared_changes`` (list: the changed ids of the shared part), ``elements`` (list: the ids whose
        change gives the class), ``reasons_ja`` and ``reasons_en`` (the reasons of those changes), ``sheet_rows``
        (int: rows of its 別添3). Sorted by class (重要な変更 first), then city.yaml's order.
    changes : DataFrame
        Every affair's classified changes (:attr:`~pia_analysis.whatif.versions.ModelDiff.changes`) with
        ``affair_id`` first.
    sheets : DataFrame
        Every affair's (別添3) 変更箇所 rows (:meth:`~pia_analysis.whatif.versions.ModelDiff.change_sheet`) with
        ``affair_id`` first.
    diffs : dict of str to ModelDiff
        Each compared affair's diff, for the analysis deltas (``diffs["juki"].comparison``).
    """

    affairs: pd.DataFrame
    changes: pd.DataFrame
    sheets: pd.DataFrame
    diffs: dict[str, ModelDiff]


def shared_change_impact(ws_old: Workspace, ws_new: Workspace) -> CityImpact:
    """Per affair, the class of the change between two versions of a workspace, its reason and its 別添3 rows.

    Each affair present in both (by affair id) is compared as its two loaded models
    (:func:`~pia_analysis.whatif.versions.diff`, each with its part of the shared part): a change to a shared
    element reaches exactly the affairs whose closure includes it, and each affair's change takes the class
    the change rules give it in *that* affair (a shared system moved to a contractor's data centre is a
    重要な変更 for the affairs keeping My Numbers there and touches no other). The reason is the rules' reasons
    for the changes of that class.

    Parameters
    ----------
    ws_old, ws_new
        Two loaded versions of one city's workspace (the new one typically a copy with the shared part edited,
        or with a scenario applied to it).

    Returns
    -------
    CityImpact
        The table per affair, the classified changes, the 別添3 rows and the diffs.

    Raises
    ------
    pia_analysis.model.errors.ModelTypeError
        When either is not a loaded Workspace.
    pia_analysis.model.errors.DifferentAssessmentError
        When an affair's two models are not versions of one assessment (their ``organisation`` or ``affairs``
        differ).

    Examples
    --------
    >>> from pia_analysis import load_workspace, shared_change_impact
    >>> old = load_workspace("tests/workspaces/good")
    >>> new = load_workspace("tests/workspaces/shared_system_changed")
    >>> impact = shared_change_impact(old, new)
    >>> impact.affairs[["affair_id", "change_class_ja", "shared_changes"]].values.tolist()
    [['juki', '重要な変更', ['ATENA']], ['zei', '重要な変更', ['DC', 'ATENA']]]
    >>> impact.sheets.loc[0, ["affair_id", "提出時期", "区分"]].tolist()
    ['juki', '事前', '重要な変更']
    """
    require_workspace(ws_old, "shared_change_impact")
    require_workspace(ws_new, "shared_change_impact")
    names = dict(zip(ws_new.affairs["affair_id"], ws_new.affairs["name"]))
    names.update({a: n for a, n in zip(ws_old.affairs["affair_id"], ws_old.affairs["name"]) if a not in names})
    order = list(ws_old.affairs["affair_id"]) + [a for a in ws_new.affairs["affair_id"] if a not in ws_old.models]
    rows, changes, sheets, diffs = [], [], [], {}
    for affair_id in order:
        old, new = ws_old.models.get(affair_id), ws_new.models.get(affair_id)
        if old is None or new is None:
            rows.append({"affair_id": affair_id, "name": names[affair_id],
                         "status": "added" if old is None else "removed", "change_class": NO_CHANGE,
                         "change_class_ja": NO_CHANGE_JA, "changes": 0, "shared_changes": [], "elements": [],
                         "reasons_ja": "", "reasons_en": "", "sheet_rows": 0})
            continue
        d = diffs[affair_id] = diff(old, new)
        found = d.changes
        shared = old.shared_ids | new.shared_ids
        cls = next((c for c in CHANGE_CLASSES if (found["change_class"] == c).any()), NO_CHANGE)
        deciding = found.loc[found["change_class"] == cls]
        sheet = d.change_sheet() if len(found) else pd.DataFrame()
        rows.append({"affair_id": affair_id, "name": names[affair_id], "status": "compared", "change_class": cls,
                     "change_class_ja": CHANGE_CLASS_JA.get(cls, NO_CHANGE_JA), "changes": len(found),
                     "shared_changes": list(dict.fromkeys(i for i in found["id"] if i in shared)),
                     "elements": list(dict.fromkeys(deciding["id"])),
                     "reasons_ja": "; ".join(deciding["reasons_ja"]),
                     "reasons_en": "; ".join(deciding["reasons_en"]), "sheet_rows": len(sheet)})
        changes.append(found.assign(affair_id=affair_id))
        if len(sheet):
            sheets.append(sheet.assign(affair_id=affair_id))
    rank = {c: i for i, c in enumerate(CHANGE_CLASSES + (NO_CHANGE,))}
    table = pd.DataFrame(rows, columns=IMPACT_COLUMNS).astype({"changes": "int64", "sheet_rows": "int64"})
    table = table.sort_values("change_class", key=lambda s: s.map(rank), kind="stable").reset_index(drop=True)
    return CityImpact(affairs=table, changes=_first(changes, "affair_id"), sheets=_first(sheets, "affair_id"),
                      diffs=diffs)


def _first(frames: list[pd.DataFrame], column: str) -> pd.DataFrame:
    """The frames one under the other, ``column`` first (an empty frame with that column when none)."""
    if not frames:
        return pd.DataFrame(columns=[column])
    out = pd.concat(frames, ignore_index=True)
    return out[[column] + [c for c in out.columns if c != column]]
