"""Interchange with other tools: the model as an Open Threat Model, the findings as SARIF or CSV.

* :func:`to_otm` — the model as an `Open Threat Model <https://github.com/iriusrisk/OpenThreatModel>`_
  (OTM 0.2.0) document, so that it opens in threat-modelling tools that import OTM: zones become trust
  zones, systems components, flows dataflows, files assets, the risk items in force (catalogue and
  extras) threats, and controls mitigations; each element carries its threat instances (one per risk of
  a stage whose scope holds it, as :func:`pia_analysis.analysis.coverage.coverage_pairs` counts them) with the
  controls that answer them. Every column of the model is kept in the elements' ``attributes``.
* :func:`findings_to_sarif` — the open findings as a SARIF 2.1.0 log (rules from
  :func:`pia_analysis.analysis.findings.rules`, one result per open finding, fingerprint ``rule@element``, located
  in the model file and row), for code-scanning dashboards and issue trackers.
* :func:`findings_to_csv` — the same findings as a flat CSV with stable ids.

Every export is deterministic: elements are sorted by id, keys come in a fixed order, and nothing
depends on the time or the machine (only on the model and, for locations, its file's name).
``docs/interchange.md`` gives the mappings and examples.
"""

from __future__ import annotations

__all__ = ["FINDING_CSV_COLUMNS", "MITIGATION_STATE", "OTM_VERSION", "SARIF_LEVEL", "TRUST_BY_OPERATOR",
           "findings_table", "findings_to_csv", "findings_to_sarif", "to_otm", "trust_rating", "write_otm",
           "write_sarif"]

import datetime as dt
import json
import math
import os
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .. import catalog
from ..util.errors import InvalidArgumentError
from ..analysis.coverage import coverage_pairs, stage_scope
from ..analysis.findings import DEFAULT_EXPOSURE_THRESHOLD, TRIAGE_COLUMNS, RiskScale, find_findings, rules
from ..formats import directory as model_io
from ..formats import otm as otm_in
from ..formats.directory import table_to_csv_text
from ..model.cells import format_cell
from ..formats.workbook import is_workbook_path, row_numbers
from ..model.model import Model, require_model
from ..model.rated import rating_owner
from ..model.schema import TABLES
from ..util.files import check_file_target, scratch_file, write_file
from ..util.spreadsheet import write_csv
from ..util.version import __version__

OTM_VERSION = "0.2.0"
SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: OTM trust rating (0–100, higher = more trusted) of a zone by its operator.
# A cloud provider's platform (the government cloud) ranks below the state and above a contractor: it meets
# the state's security standard (ISMAP) and does not handle the data, but the city does not run it.
# (the table lives with the importer, below this layer, which reads the ratings back)
TRUST_BY_OPERATOR = otm_in.TRUST_BY_OPERATOR
#: The trust rating of an internet-facing zone is at most this.
INTERNET_TRUST = otm_in.INTERNET_TRUST
#: OTM mitigation-instance state of a control's status.
MITIGATION_STATE = {"implemented": "implemented", "planned": "required", "missing": "recommended",
                    "unknown": "recommended"}
#: SARIF level of a finding's risk level (1 low … 4 critical).
SARIF_LEVEL = {4: "error", 3: "warning", 2: "note", 1: "note"}
FINDING_CSV_COLUMNS = ["finding_id", "status", "risk_level", "level", "rule_id", "element", "element_type", "stage",
                       "risk_ids", "linddun", "likelihood", "impact", "title_ja", "title_en", "detail_ja",
                       "detail_en", "assumed", "assumptions", "model", "file", "line", "location", "decision",
                       "decision_reason", "decided_by", "decided_on", "review_on", "decision_state"]
_ELEMENT_TABLE = {"flow": "flows", "system": "systems", "zone": "zones"}


# ---------------------------------------------------------------------------------------------------
# helpers


def _text(value: Any) -> str:
    """An attribute value as text (OTM attributes are a map of strings): the cell as a CSV holds it."""
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return "" if value is None else str(value)


def _attributes(row: dict[str, Any], **extra: Any) -> dict[str, str]:
    out = {str(k): _text(v) for k, v in row.items()}
    out.update({k: _text(v) for k, v in extra.items()})
    return out


def _name(row: dict[str, Any], key: str, lang: str) -> tuple[str, str]:
    """(name, description): the name in ``lang`` (else the other language, else the id), and the other."""
    ja, en = str(row.get("name_ja") or ""), str(row.get("name_en") or "")
    first, second = (en, ja) if lang == "en" else (ja, en)
    return (first or second or str(row[key])), (second if first else "")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dict("records")


def _risk_order(model: Model) -> dict[str, tuple]:
    """Official order of the risk items in force; extras sorted by id within their stage.

    So the order does not depend on the order of the model's rows.
    """
    items = model.risk_items
    return {r.risk_id: (int(r.stage_no), r.origin != "catalog", int(r.risk_no) if r.origin == "catalog" else 0,
                        r.risk_id) for r in items.itertuples(index=False)}


def _check_lang(lang: str) -> None:
    if lang not in ("ja", "en"):
        raise InvalidArgumentError(f"lang must be 'ja' or 'en', not {lang!r}")


# ---------------------------------------------------------------------------------------------------
# OTM


def trust_rating(internet_facing: bool, operator: str) -> int:
    """The OTM trust rating (0–100) of a zone: by its operator, at most 10 when internet-facing.

    Parameters
    ----------
    internet_facing
        Whether the zone faces the internet.
    operator
        The zone's operator (``city``, ``national``, ``jlis``, ``cloud_provider``, ``contractor``,
        ``subcontractor``, ``other_body``, ``resident``; any other gives 0).

    Returns
    -------
    int
        :data:`TRUST_BY_OPERATOR` of the operator, at most ``INTERNET_TRUST`` (10) when internet-facing.

    Examples
    --------
    >>> from pia_analysis.outputs.interchange import trust_rating
    >>> trust_rating(False, "city"), trust_rating(False, "contractor"), trust_rating(True, "city")
    (100, 70, 10)
    """
    rating = TRUST_BY_OPERATOR.get(operator, 0)
    return min(rating, INTERNET_TRUST) if internet_facing else rating


def _threat_instances(model: Model, order: dict[str, tuple]) -> dict[str, list[dict[str, Any]]]:
    """Element id → its OTM threat instances (a risk of a stage whose scope holds the element)."""
    scope = stage_scope(model)
    risks_of: dict[str, list[str]] = {}
    for risk_id, stage in zip(model.risk_items["risk_id"], model.risk_items["stage"]):
        risks_of.setdefault(stage, []).append(risk_id)
    controls: dict[tuple[str, str], list[tuple[str, str]]] = {}
    # the status of a control on each element (control_status.csv overrides the control's own status there)
    applications = getattr(model, "control_applications", None)
    status_on: dict[tuple[str, str], str] = {}
    if applications is not None:
        status_on = {(c, e): s for c, e, s in zip(applications["control_id"], applications["element"],
                                                   applications["status"])}
    for c in model.controls.itertuples(index=False):
        for risk in c.mitigates:
            for target in c.applies_to:
                controls.setdefault((risk, target), []).append((c.control_id, c.status))
    out: dict[str, list[dict[str, Any]]] = {}
    for stage, element in zip(scope["stage"], scope["element"]):
        for risk in risks_of.get(stage, []):
            found = sorted({(cid, status_on.get((cid, element), status))
                            for cid, status in controls.get((risk, element), []) + controls.get((risk, "*"), [])})
            state = "mitigated" if any(status == "implemented" for _c, status in found) else "exposed"
            out.setdefault(element, []).append({
                "threat": risk,
                "state": state,
                "mitigations": [{"mitigation": cid, "state": MITIGATION_STATE[status]} for cid, status in found],
            })
    for element, threats in out.items():
        threats.sort(key=lambda t: order[t["threat"]])
    return out


def to_otm(model: Model, lang: str = "ja") -> dict[str, Any]:
    """The model as an Open Threat Model (OTM 0.2.0) document (a JSON-ready dict).

    Parameters
    ----------
    model
        A loaded model.
    lang
        Language of names (``ja`` or ``en``; the other language goes in ``description`` and in the
        attributes).

    Returns
    -------
    dict
        ``otmVersion, project, assets, trustZones, components, dataflows, threats, mitigations``; every
        list sorted by id (threats in the official order of the risk items). Attributes are maps of
        strings holding every column of the model (lists joined with ``;``); a nested zone has its
        ``parent``; a component's processed assets include its ``processes``; each mitigation instance has
        the control's status on that element (``control_status``). ``project.attributes`` also carries
        ``model.yaml`` and the tables without an OTM element, so that
        :func:`pia_analysis.formats.otm.from_otm` gives the model back. See ``docs/interchange.md``.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, load_model, to_otm
    >>> otm = to_otm(load_model(bundled_model_path()))
    >>> otm["otmVersion"], len(otm["trustZones"]), len(otm["components"]), len(otm["dataflows"])
    ('0.2.0', 11, 20, 22)
    >>> c = next(c for c in otm["components"] if c["id"] == "JUKI_REC")
    >>> c["parent"], c["attributes"]["holds_my_number"]
    ({'trustZone': 'CORE'}, 'true')
    """
    require_model(model, "to_otm")
    _check_lang(lang)
    scale = RiskScale.load()
    order = _risk_order(model)
    instances = _threat_instances(model, order)
    mn_files = model.my_number_files
    meta = model.meta

    files_of_system: dict[str, set[str]] = {}
    for f in model.flows.itertuples(index=False):
        for end in (f.source, f.target):
            files_of_system.setdefault(end, set()).update(f.files)

    project = {
        "name": model.title(lang),
        "id": model.id,
        "description": model.title("en" if lang == "ja" else "ja"),
        "owner": str(meta.get("organisation", "")),
        "tags": ["pia-analysis", "特定個人情報保護評価", "my-number"],
        # the procedure block is a mapping: one attribute holding it as JSON (dates as YYYY-MM-DD)
        "attributes": _attributes({k: json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)
                                   if k == "procedure" else v for k, v in meta.items()},
                                  generator=f"pia-analysis {__version__}",
                                  mapping="docs/interchange.md"),
    }
    project["attributes"].update(_carried(model))

    assets = []
    for row in sorted(_records(model.files), key=lambda r: r["file_id"]):
        name, description = _name(row, "file_id", lang)
        level = scale.impact(int(row["records"]))
        assets.append({
            "id": row["file_id"],
            "name": name,
            "description": description,
            "risk": {"confidentiality": 25 * level, "integrity": 25 * level, "availability": 25 * level,
                     "comment": f"impact level {level} of 4 for {int(row['records']):,} records "
                                "(catalog/risk_scales.csv); integrity and availability are not rated "
                                "separately"},
            "attributes": _attributes(row),
        })

    trust_zones = []
    for row in sorted(_records(model.zones), key=lambda r: r["zone_id"]):
        name, description = _name(row, "zone_id", lang)
        zone = {
            "id": row["zone_id"],
            "name": name,
            "description": description,
            "risk": {"trustRating": trust_rating(bool(row["internet_facing"]), str(row["operator"]))},
            "attributes": _attributes(row),
        }
        if row.get("parent_zone"):  # a nested zone (issue 18)
            zone["parent"] = {"trustZone": str(row["parent_zone"])}
        trust_zones.append(zone)

    components = []
    for row in sorted(_records(model.systems), key=lambda r: r["system_id"]):
        sid = row["system_id"]
        name, description = _name(row, "system_id", lang)
        holds_mn = any(f in mn_files for f in row["holds"])
        components.append({
            "id": sid,
            "name": name,
            "type": str(row["kind"]),
            "description": description,
            "parent": {"trustZone": row["zone_id"]},
            # processed: what passes through it (the files of its flows and its processes), stored: what it
            # keeps; as in the OTM example, a stored file that its flows carry is processed too
            "assets": {"processed": sorted(files_of_system.get(sid, set()) | set(row.get("processes") or [])),
                       "stored": sorted(row["holds"])},
            "threats": instances.get(sid, []),
            "tags": [str(row["kind"]), str(row["operator"])] + (["holds-my-number"] if holds_mn else []),
            "attributes": _attributes(row, holds_my_number=holds_mn,
                                      entry_point=float(row["entry_likelihood"]) > 0),
        })

    dataflows = []
    for row in sorted(_records(model.flows), key=lambda r: r["flow_id"]):
        channel = str(row.get("channel") or "")
        carries_mn = any(f in mn_files for f in row["files"])
        dataflows.append({
            "id": row["flow_id"],
            "name": f"{row['flow_id']}: {row['source']} → {row['target']}",
            "description": f"{row['stage']}" + (f" / {channel}" if channel else ""),
            "bidirectional": bool(row["interactive"]),
            "source": row["source"],
            "destination": row["target"],
            "assets": sorted(row["files"]),
            "threats": instances.get(row["flow_id"], []),
            "tags": [str(row["stage"])] + (["encrypted"] if row["encrypted"] else ["unencrypted"])
                    + (["carries-my-number"] if carries_mn else []),
            "attributes": _attributes(row, carries_my_number=carries_mn),
        })

    pairs = coverage_pairs(model)
    per_risk = pairs.groupby("risk_id")["status"].value_counts().unstack(fill_value=0) if len(pairs) else pd.DataFrame()
    ratings = dict(zip(model.ratings["risk_id"], model.ratings["rating"]))
    # a risk of the 委託 block carries the block's one rating (rated items: catalog/rated_items.csv)
    owner = rating_owner(model.rated_items)
    ratings = {risk: ratings[item] for risk, item in owner.items() if item in ratings}
    impact_level = scale.impact(int(meta.get("target_population", 0)))
    threats = []
    items = sorted(_records(model.risk_items), key=lambda r: order[r["risk_id"]])
    for row in items:
        rid = row["risk_id"]
        counts = per_risk.loc[rid] if rid in per_risk.index else pd.Series(dtype="int64")
        total = int(counts.sum())
        covered = int(counts.get("covered", 0))
        name, description = _name(row, "risk_id", lang)
        likelihood = round(100 * (total - covered) / total) if total else 0
        threats.append({
            "id": rid,
            "name": name,
            "description": description,
            "categories": [str(row["stage"])],
            "risk": {
                "likelihood": likelihood,
                "likelihoodComment": (f"{total - covered} of {total} elements in the scope of the stage have no "
                                      "implemented control mapped to this risk" if total else
                                      "no element of the model is in the scope of this stage"),
                "impact": 25 * impact_level,
                "impactComment": f"impact level {impact_level} of 4 for the {int(meta.get('target_population', 0)):,} "
                                 "people of the assessment (catalog/risk_scales.csv)",
            },
            "tags": [str(row["stage"]), str(row["origin"])],
            "attributes": _attributes({k: row[k] for k in ("risk_id", "stage", "stage_no", "risk_no", "name_ja",
                                                           "name_en", "origin")},
                                      stage_label_ja=catalog.stage_label(str(row["stage"]), "ja"),
                                      rating=ratings.get(rid, ""), elements_in_scope=total, covered=covered,
                                      planned=int(counts.get("planned", 0)), gaps=int(counts.get("gap", 0))),
        })

    mitigations = []
    for row in sorted(_records(model.controls), key=lambda r: r["control_id"]):
        name, description = _name(row, "control_id", lang)
        mitigations.append({
            "id": row["control_id"],
            "name": name,
            "description": description,
            "riskReduction": int(round(100 * float(row["effectiveness"]))),
            "attributes": _attributes(row),
        })

    return {
        "otmVersion": OTM_VERSION,
        "project": project,
        "assets": assets,
        "trustZones": trust_zones,
        "components": components,
        "dataflows": dataflows,
        "threats": threats,
        "mitigations": mitigations,
    }


def _carried(model: Model) -> dict[str, str]:
    """Project attributes carrying what OTM has no element for, read back first by ``import-otm``.

    ``pia-model.yaml`` (model.yaml as written), ``pia-table:<name>`` (the CSV text of each table without an
    OTM element that has rows), ``pia-extra-columns`` (JSON: the extra columns of the tables with elements).
    """
    meta = {k: v for k, v in model.meta.items()}
    out = {otm_in.MODEL_YAML_ATTRIBUTE: yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)}
    extra = {}
    for table in TABLES:
        frame = getattr(model, table.name)
        if table.name in otm_in.ELEMENT_TABLES:
            names = [c for c in frame.columns if c not in table.column_names]
            if names:
                extra[table.name] = names
        elif len(frame) or list(frame.columns) != table.column_names:
            # rows in the order of their text, so that the export does not depend on the model's row order
            spec = {c.name: c for c in table.columns}
            cells = [tuple(format_cell(v, spec.get(c)) for c, v in zip(frame.columns, row))
                     for row in frame.itertuples(index=False, name=None)]
            order = sorted(range(len(cells)), key=cells.__getitem__)
            out[otm_in.TABLE_ATTRIBUTE + table.name] = table_to_csv_text(frame.iloc[order], table)
    if extra:
        out[otm_in.EXTRA_COLUMNS_ATTRIBUTE] = json.dumps(extra, ensure_ascii=False, sort_keys=True)
    return out


# ---------------------------------------------------------------------------------------------------
# where each element is written


def element_locations(model: Model) -> dict[tuple[str, str], dict[str, Any]]:
    """(table, id) → ``{"uri", "line", "sheet", "label"}``: where the row of each element is.

    ``uri`` is the file relative to the folder holding the model (``kitakyushu-juki-r3/flows.csv``, or the
    workbook ``kitakyushu-juki-r3.xlsx``); ``line`` the CSV line or Excel row; ``label`` the same place as
    validation messages write it (``kitakyushu-juki-r3/flows.csv:18``, ``k.xlsx[flows]:18``). Rows are found
    by id in the model's files; an element they do not hold (a model changed in memory) has no location.
    A model with no path (built in memory) is located where :func:`pia_analysis.save_model` would write
    each row.
    """
    path = model.path
    rows: dict[str, dict[str, int]] = {}  # table → id → line, as the files hold them
    workbook = path is not None and is_workbook_path(path) and path.is_file()
    if workbook:
        try:
            rows = row_numbers(path)
        except Exception:  # noqa: BLE001 - the workbook changed or vanished: no rows known
            rows = {}
    elif path is not None and path.is_dir():
        for table in TABLES:
            try:
                raw = model_io.read_table(path, table, str(path), [])
            except Exception:  # noqa: BLE001 - idem
                raw = None
            if raw is not None:
                rows[table.name] = {}
                for key, line in zip(raw.frame[table.key], raw.lines):
                    rows[table.name].setdefault(str(key), int(line))
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for table in TABLES:
        keys = [str(k) for k in getattr(model, table.name)[table.key]]
        if path is None:  # where save_model would write the row
            found = {k: i + 2 for i, k in reversed(list(enumerate(keys)))}
        else:  # an element the files do not hold (a model changed in memory) has no row
            found = rows.get(table.name, {})
        for key in keys:
            if key not in found or (table.name, key) in out:
                continue
            line = found[key]
            if workbook:
                uri, label = path.name, f"{path.name}[{table.name}]:{line}"
            else:
                uri = f"{path.name}/{table.filename}" if path is not None else table.filename
                label = f"{uri}:{line}"
            out[(table.name, key)] = {"uri": uri, "line": line, "sheet": table.name, "label": label}
    return out


def _finding_location(locations: dict, element_type: str, element: str) -> dict[str, Any] | None:
    if element_type == "risk":
        return locations.get(("ratings", element)) or locations.get(("risks", element))
    table = _ELEMENT_TABLE.get(element_type)
    return locations.get((table, element)) if table else None


# ---------------------------------------------------------------------------------------------------
# findings: SARIF and CSV


def _findings(model: Model, exposure_threshold: float | None, include_mitigated: bool,
              as_of: dt.date | None = None) -> pd.DataFrame:

    threshold = DEFAULT_EXPOSURE_THRESHOLD if exposure_threshold is None else exposure_threshold
    found = find_findings(model, exposure_threshold=threshold, as_of=as_of)
    keep = ["open", "mitigated"] if include_mitigated else ["open"]
    # the decided findings stay in the export (status is the analysis' verdict): their decision travels with
    # them (suppressions in SARIF, the decision columns in CSV), so that a tracker can close them itself
    return found.loc[found["status"].isin(keep)].reset_index(drop=True)


def findings_table(model: Model, exposure_threshold: float | None = None,
                   include_mitigated: bool = False, as_of: dt.date | None = None) -> pd.DataFrame:
    """The open findings (and the mitigated ones when asked) as a flat table for issue trackers.

    Columns ``finding_id, status, risk_level, level, rule_id, element, element_type, stage, risk_ids,
    linddun, likelihood, impact, title_ja, title_en, detail_ja, detail_en, assumed, assumptions, model, file,
    line, location, decision, decision_reason, decided_by, decided_on, review_on, decision_state``: ``finding_id``
    (``rule@element``) is the stable id; the decision columns are the analyst's triage (``triage.csv``) judged on
    ``as_of`` (:func:`pia_analysis.analysis.findings.triage.apply_triage`: decided findings are listed, with
    their decision; ``status`` stays the analysis' verdict); ``assumed`` (bool) and
    ``assumptions`` (the ``table:id`` rows it rests on whose source is an assumption) say whether the
    finding rests on an assumption; ``level`` the SARIF level; ``file``
    and ``line`` where the element is written (``location`` as validation messages write it). Ordered
    as :func:`pia_analysis.analysis.findings.find_findings` orders them.

    Parameters
    ----------
    model
        A loaded model.
    exposure_threshold
        The exposure above which a path to a My Number holder is a finding (default: the rule's,
        :data:`pia_analysis.analysis.findings.DEFAULT_EXPOSURE_THRESHOLD`).
    include_mitigated
        Add the mitigated findings.
    as_of
        The day the analyst's decisions are judged on (default: today's date).

    Returns
    -------
    pandas.DataFrame
        One row per finding, the columns of :data:`FINDING_CSV_COLUMNS`; ``risk_level``, ``likelihood``
        and ``impact`` are levels 1–4 (int), ``line`` a nullable ``Int64`` (the file's row), ``assumed``
        bool, ``risk_ids`` and ``assumptions`` lists, the rest text.

    Examples
    --------
    >>> from pia_analysis.outputs.interchange import findings_table
    >>> from pia_analysis import load_model, bundled_model_path
    >>> t = findings_table(load_model(bundled_model_path()))
    >>> t.set_index("finding_id").loc["unencrypted-crossing@F17", ["level", "location"]].tolist()
    ['error', 'kitakyushu-juki-r3/flows.csv:18']
    """
    found = _findings(model, exposure_threshold, include_mitigated, as_of)
    locations = element_locations(model)
    rows = []
    for f in found.to_dict("records"):
        where = _finding_location(locations, f["element_type"], f["element"]) or {}
        rows.append({
            **{k: f[k] for k in ("finding_id", "status", "risk_level", "rule_id", "element", "element_type", "stage",
                                 "risk_ids", "linddun", "likelihood", "impact", "title_ja", "title_en", "detail_ja",
                                 "detail_en", "assumed", "assumptions", *TRIAGE_COLUMNS)},
            "level": SARIF_LEVEL[int(f["risk_level"])] if f["status"] == "open" else "none",
            "model": model.id,
            "file": where.get("uri", ""),
            "line": where.get("line"),
            "location": where.get("label", ""),
        })
    frame = pd.DataFrame(rows, columns=FINDING_CSV_COLUMNS)
    frame["line"] = frame["line"].astype("Int64")
    return frame


#: the decision a SARIF suppression's justification starts with
_DECISION_WORD = {"ja": {"accepted": "受容", "false_positive": "誤検知"},
                  "en": {"accepted": "accepted", "false_positive": "false positive"}}


def findings_to_sarif(model: Model, exposure_threshold: float | None = None, include_mitigated: bool = False,
                      lang: str = "ja", as_of: dt.date | None = None) -> dict[str, Any]:
    """The findings as a SARIF 2.1.0 log (a JSON-ready dict): one result per open finding.

    ``runs[0].tool.driver.rules`` are the rules of :func:`pia_analysis.analysis.findings.rules` (all of them, in
    definition order); each result has ``ruleId``/``ruleIndex``, ``level`` from the risk level (4 error,
    3 warning, 1–2 note), ``message`` (title and detail in ``lang``), ``partialFingerprints``
    ``{"findingId/v1": "rule@element"}`` (stable across runs and edits elsewhere in the model), a
    physical location (the model file and row, when the element has a row) and a logical location
    (``model/table/id``). ``include_mitigated`` adds the mitigated findings as ``kind: pass``,
    ``level: none``.

    Parameters
    ----------
    model
        A loaded model.
    exposure_threshold
        The exposure above which a path to a My Number holder is a finding (default: the rule's,
        :data:`pia_analysis.analysis.findings.DEFAULT_EXPOSURE_THRESHOLD`).
    include_mitigated
        Add the mitigated findings.
    lang
        ``"ja"`` or ``"en"``: the language of the messages.
    as_of
        The day the analyst's decisions are judged on (default: today's date).

    Returns
    -------
    dict
        The SARIF log (``version``, ``$schema``, ``runs``), ready for :func:`json.dumps`.

    Raises
    ------
    ValueError
        For a ``lang`` other than ``"ja"`` or ``"en"``.

    References
    ----------
    .. [1] OASIS, *Static Analysis Results Interchange Format (SARIF) Version 2.1.0*, 2020.

    Examples
    --------
    >>> from pia_analysis import bundled_model_path, findings_to_sarif, load_model
    >>> log = findings_to_sarif(load_model(bundled_model_path()))
    >>> r = next(r for r in log["runs"][0]["results"]
    ...          if r["partialFingerprints"]["findingId/v1"] == "unencrypted-crossing@F17")
    >>> r["level"], r["locations"][0]["physicalLocation"]["region"]["startLine"]
    ('error', 18)
    """
    require_model(model, "findings_to_sarif")
    _check_lang(lang)
    rule_table = rules(model)  # titles and explanations in the body's own word
    index = {rid: i for i, rid in enumerate(rule_table["rule_id"])}
    sfx = "en" if lang == "en" else "ja"
    other = "ja" if sfx == "en" else "en"
    sarif_rules = []
    for r in rule_table.to_dict("records"):
        sarif_rules.append({
            "id": r["rule_id"],
            "name": r["rule_id"],
            "shortDescription": {"text": r[f"title_{sfx}"]},
            "fullDescription": {"text": r[f"explanation_{sfx}"]},
            "help": {"text": f"{r[f'applicability_{sfx}']} / {r[f'mitigated_by_{sfx}']}"},
            "defaultConfiguration": {"level": SARIF_LEVEL[int(r["risk_level"])]},
            "properties": {
                f"title_{other}": r[f"title_{other}"], f"explanation_{other}": r[f"explanation_{other}"],
                "stage": r["stage"], "risk_ids": list(r["risk_ids"]), "linddun": r["linddun"] or "",
                "element_type": r["element_type"], "risk_level": int(r["risk_level"]),
                # GitHub code scanning's name for a 0-10 score, not ours: it keeps the word severity
                "security-severity": f"{2.5 * int(r['risk_level']):.1f}",
                "tags": ["privacy", "my-number"] + ([r["linddun"]] if r["linddun"] else []),
            },
        })
    found = _findings(model, exposure_threshold, include_mitigated, as_of)
    judged_on = found.attrs.get("triage_as_of") or as_of or dt.date.today()
    locations = element_locations(model)
    table_of = {**_ELEMENT_TABLE, "risk": "risks"}
    results = []
    for f in found.to_dict("records"):
        is_open = f["status"] == "open"
        risk_level = int(f["risk_level"])
        detail = f[f"detail_{sfx}"]
        where = _finding_location(locations, f["element_type"], f["element"])
        location: dict[str, Any] = {}
        if where is not None:
            location["physicalLocation"] = {"artifactLocation": {"uri": where["uri"]},
                                            "region": {"startLine": where["line"]}}
        location["logicalLocations"] = [{
            "name": f["element"],
            "fullyQualifiedName": f"{model.id}/{table_of[f['element_type']]}/{f['element']}",
            "kind": f["element_type"],
        }]
        result: dict[str, Any] = {
            "ruleId": f["rule_id"],
            "ruleIndex": index[f["rule_id"]],
            "kind": "fail" if is_open else "pass",
            "level": SARIF_LEVEL[risk_level] if is_open else "none",
            "message": {"text": f"{f[f'title_{sfx}']}: {detail}" if detail else f[f"title_{sfx}"]},
            "locations": [location],
            "partialFingerprints": {"findingId/v1": f["finding_id"]},
            "fingerprints": {"pia-analysis/v1": f"{model.id}:{f['finding_id']}"},
            "rank": float(25 * risk_level),
            "properties": {
                "finding_id": f["finding_id"], "status": f["status"], "risk_level": risk_level,
                "likelihood": int(f["likelihood"]), "impact": int(f["impact"]), "stage": f["stage"],
                "risk_ids": list(f["risk_ids"]), "linddun": f["linddun"], "element": f["element"],
                "element_type": f["element_type"], f"title_{other}": f[f"title_{other}"],
                f"detail_{other}": f[f"detail_{other}"], "location": where["label"] if where else "",
                # the rows (table:id) it rests on that no document states: a reviewer weighs it accordingly
                "assumed": bool(f["assumed"]), "assumptions": list(f["assumptions"]),
                "decision_state": f["decision_state"],
            },
        }
        state = f["decision_state"]
        if state in ("accepted", "false_positive"):
            # SARIF's own place for a reviewed result: kept, marked suppressed with the reviewer's words
            # SARIF's suppression status has no "false positive": the justification starts with the decision
            by_on = ", ".join(x for x in (f["decided_by"], f["decided_on"]) if x)
            word = _DECISION_WORD["en" if lang == "en" else "ja"][state]
            result["suppressions"] = [{"kind": "external", "status": "accepted",
                                       "justification": f"{word}: {f['decision_reason']}" + (f" ({by_on})" if by_on
                                                                                             else "")}]
        if state != "undecided":
            result["properties"].update({"decision": f["decision"], "decision_reason": f["decision_reason"],
                                         "decided_by": f["decided_by"], "decided_on": f["decided_on"]})
        if state in ("fixing", "reopened") and f["review_on"]:
            result["properties"]["fix_due" if f["decision"] == "fixing" else "review_on"] = f["review_on"]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {"name": "pia-analysis", "version": __version__, "rules": sarif_rules}},
            "automationDetails": {"id": f"pia-analysis/{model.id}/"},
            "results": results,
            "properties": {"model": model.id, "title_ja": model.title("ja"), "title_en": model.title("en"),
                           "assessed_on": _text(model.meta.get("assessed_on", "")),
                           "triageAsOf": judged_on.isoformat()},
        }],
    }


# ---------------------------------------------------------------------------------------------------
# writing files


def _atomic_write(path: Path, data: bytes, force: bool = False, inputs=()) -> Path:

    return write_file(path, data, force=force, inputs=inputs)


def to_json_text(document: dict[str, Any]) -> str:
    """Strict, stable JSON text (UTF-8 characters kept, two-space indent, a final newline)."""
    return json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def write_otm(model: Model, path: str | os.PathLike[str], lang: str = "ja", *, force: bool = False,
              inputs=()) -> Path:
    """Write :func:`to_otm` as JSON at ``path``, whole or not at all.

    Parameters
    ----------
    model
        A loaded model.
    path
        The file to write (``.otm`` or ``.json``).
    lang
        ``"ja"`` or ``"en"``: the language of the names.
    force
        Replace an existing file.
    inputs
        Paths the file must not replace (the model's own files).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    pia_analysis.util.files.OutputRefused
        When ``path`` exists and ``force`` is not given, or is one of ``inputs``.

    Examples
    --------
    >>> from pia_analysis import write_otm
    >>> import json, tempfile, pathlib
    >>> from pia_analysis import load_model, bundled_model_path
    >>> out = write_otm(load_model(bundled_model_path()), pathlib.Path(tempfile.mkdtemp()) / "model.otm")
    >>> json.loads(out.read_text(encoding="utf-8"))["otmVersion"]
    '0.2.0'
    """
    require_model(model, "write_otm")
    return _atomic_write(Path(path), to_json_text(to_otm(model, lang=lang)).encode("utf-8"), force, inputs)


def write_sarif(model: Model, path: str | os.PathLike[str], exposure_threshold: float | None = None,
                include_mitigated: bool = False, lang: str = "ja", *, force: bool = False, inputs=()) -> Path:
    """Write :func:`findings_to_sarif` as JSON at ``path``, whole or not at all.

    Parameters
    ----------
    model
        A loaded model.
    path
        The file to write (``.sarif`` or ``.json``).
    exposure_threshold
        The exposure above which a path to a My Number holder is a finding (default: the rule's,
        :data:`pia_analysis.analysis.findings.DEFAULT_EXPOSURE_THRESHOLD`).
    include_mitigated
        Add the mitigated findings.
    lang
        ``"ja"`` or ``"en"``: the language of the messages.
    force
        Replace an existing file.
    inputs
        Paths the file must not replace (the model's own files).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    pia_analysis.util.files.OutputRefused
        When ``path`` exists and ``force`` is not given, or is one of ``inputs``.

    Examples
    --------
    >>> from pia_analysis import write_sarif
    >>> import json, tempfile, pathlib
    >>> from pia_analysis import load_model, bundled_model_path
    >>> out = write_sarif(load_model(bundled_model_path()), pathlib.Path(tempfile.mkdtemp()) / "f.sarif")
    >>> json.loads(out.read_text(encoding="utf-8"))["version"]
    '2.1.0'
    """
    require_model(model, "write_sarif")
    log = findings_to_sarif(model, exposure_threshold, include_mitigated, lang)
    return _atomic_write(Path(path), to_json_text(log).encode("utf-8"), force, inputs)


def findings_to_csv(model: Model, path: str | os.PathLike[str], exposure_threshold: float | None = None,
                    include_mitigated: bool = False, *, force: bool = False, inputs=(),
                    as_of: dt.date | None = None) -> Path:
    """Write :func:`findings_table` as a CSV at ``path``, whole or not at all.

    UTF-8 with BOM, formula-like text neutralised, as every spreadsheet export of the toolkit.

    Parameters
    ----------
    model
        A loaded model.
    path
        The file to write.
    exposure_threshold
        The exposure above which a path to a My Number holder is a finding (default: the rule's,
        :data:`pia_analysis.analysis.findings.DEFAULT_EXPOSURE_THRESHOLD`).
    include_mitigated
        Add the mitigated findings.
    force
        Replace an existing file.
    inputs
        Paths the file must not replace (the model's own files).
    as_of
        The day the analyst's decisions are judged on (default: today's date).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    pia_analysis.util.files.OutputRefused
        When ``path`` exists and ``force`` is not given, or is one of ``inputs``.

    Examples
    --------
    >>> from pia_analysis.outputs.interchange import findings_to_csv
    >>> import tempfile, pathlib
    >>> from pia_analysis import load_model, bundled_model_path
    >>> out = findings_to_csv(load_model(bundled_model_path()), pathlib.Path(tempfile.mkdtemp()) / "f.csv")
    >>> out.read_text(encoding="utf-8-sig").splitlines()[0].split(",")[:3]
    ['finding_id', 'status', 'risk_level']
    """
    out = Path(path)
    check_file_target(out, force=force, inputs=inputs)  # before the work
    with scratch_file(out) as tmp:
        write_csv(findings_table(model, exposure_threshold, include_mitigated, as_of), tmp)
        data = tmp.read_bytes()
    return _atomic_write(out, data, force, inputs)
