"""pytm's JSON models in, through the Open Threat Model: a pytm JSON file translated to an OTM 0.2.0 document.

`pytm <https://github.com/OWASP/pytm>`_ (MIT licence) writes threat models as Python programs, which this
toolkit never runs; it also reads a model from JSON (``pytm/json.py``: ``boundaries``, ``data``,
``elements`` with their ``__class__``, ``flows`` with ``source``, ``sink`` and ``data``, all keyed by name).
That JSON is plain data, and a small mapping carries it into OTM, which :mod:`pia_analysis.formats.otm`
imports:

* names → ids: the name with every run of characters other than letters, digits, ``.``, ``_`` and ``-``
  turned into ``-`` (``Web Server`` → ``Web-Server``); the name stays the element's name (our ``name_ja`` and
  ``name_en``); two names giving one id are refused, located;
* ``boundaries`` → ``trustZones`` (``inBoundary`` → the parent zone); a boundary whose name says
  ``internet`` is rated as internet-facing (trust 10), the rest as run by the body itself (100) — pytm has no
  rating, so this is a guess the import report lists as the zone's operator assumption;
* ``elements`` → ``components`` in their ``inBoundary`` (none: ``parent: {}``, which the importer reads as its
  zone ``UNZONED``); the class as the kind: ``Actor`` and ``ExternalEntity`` → external (an entry point),
  ``Datastore`` → store, the others (``Server``, ``Process``, ``Lambda`` …) → system;
* ``data`` → ``assets`` (the importer guesses My Numbers from the name, description and tags);
  a datum is **stored** by a ``Datastore`` at either end of a flow that carries it, and by a flow's sink when
  the datum says ``isStored: true`` (pytm: "stored by the target"); it is **processed** by every other end of
  a flow that carries it;
* ``flows`` → ``dataflows`` from ``source`` to ``sink`` (id ``source-id>name``, ``-2`` … on repeats), tagged
  ``encrypted`` when ``controls.isEncrypted`` (or ``isEncrypted``), ``usesVPN``, a TLS version from TLSv1.0
  on, or an encrypting protocol (HTTPS, SSH, SFTP …), else ``unencrypted``; the protocol as ``protocol:…``;
* what has no place (pytm's controls, threat attributes such as ``OS``, ``isHardened``, ``maxClassification``,
  assumptions, the model's threat settings) → :class:`~pia_analysis.formats.threagile.RemainderItem` s, which
  the import report lists.

See docs/interchange.md, "pytm models in".
"""

from __future__ import annotations

__all__ = ["PytmTranslation", "from_pytm", "is_pytm", "pytm_to_otm", "read_pytm", "translate_pytm"]

import datetime as dt
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ..model.cells import nfkc
from ..model.errors import ModelError, Problem
from ..model.schema import MAX_ID_CHARS
from .directory import MAX_FILE_BYTES
from .otm import INTERNET_TRUST, OtmImport, OtmText, from_otm, read_otm
from .threagile import OTM_VERSION, RemainderItem

#: pytm's element classes (pytm/json.py ``_ELEMENT_CLASSES``, pytm 86ccaa8) and the kind tag each gets.
ELEMENT_KINDS = {"Actor": "external", "ExternalEntity": "external", "Datastore": "store", "Asset": "system",
                 "Agent": "system", "Server": "system", "Lambda": "system", "LLM": "system", "Process": "system",
                 "SetOfProcesses": "system"}
#: pytm's data classifications (pytm/enums.py ``Classification``) and credential lifetimes (``Lifetime``).
CLASSIFICATIONS = ("UNKNOWN", "PUBLIC", "RESTRICTED", "SENSITIVE", "SECRET", "TOP_SECRET")
LIFETIMES = ("NONE", "UNKNOWN", "SHORT", "LONG", "AUTO", "MANUAL", "HARDCODED")
#: TLS versions (pytm/enums.py ``TLSVersion``) that encrypt a flow (SSL is broken, NONE is none).
ENCRYPTING_TLS = frozenset({"TLSv10", "TLSv11", "TLSv12", "TLSv13"})
#: Protocols (case-insensitive) that encrypt whatever they carry.
ENCRYPTED_PROTOCOLS = frozenset({"https", "tls", "ssh", "sftp", "scp", "ftps", "ldaps", "wss", "imaps", "smtps",
                                 "ipsec", "vpn"})
OWN_TRUST = 100

# Keys carried into OTM; the rest of an entry is listed as remainder.
_MODEL_KEYS = frozenset({"name", "description", "boundaries", "data", "elements", "flows"})
_BOUNDARY_KEYS = frozenset({"name", "description", "inBoundary"})
_ELEMENT_KEYS = frozenset({"name", "description", "inBoundary", "__class__", "data"})
_DATA_KEYS = frozenset({"name", "description", "classification", "isPII", "isCredentials", "isStored"})
_FLOW_KEYS = frozenset({"name", "source", "sink", "data", "note", "description", "protocol", "isEncrypted",
                        "usesVPN", "tlsVersion"})
_SLUG = re.compile(r"[^\w.-]+")
_COLLECTIONS = ("boundaries", "data", "elements", "flows")


@dataclass(frozen=True)
class PytmTranslation:
    """A pytm model translated: the OTM document and what it could not carry.

    ``otm`` is an OTM 0.2.0 document (a JSON-ready dict); ``remainder`` lists the
    :class:`~pia_analysis.formats.threagile.RemainderItem` s (``path`` is a JSON path such as
    ``$.elements[1].controls``, ``element_id`` the pytm name).
    """

    otm: dict[str, Any]
    remainder: tuple[RemainderItem, ...]


def is_pytm(path: str | os.PathLike[str]) -> bool:
    """Whether a file is a pytm JSON model: a JSON object with ``elements`` or ``flows`` and no ``otmVersion``.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    bool
        True for a pytm model; False otherwise, also when the file cannot be read or is not JSON (the reader
        that follows reports why).

    Raises
    ------
    Nothing : an unreadable file is simply not pytm.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> from pia_analysis.formats.pytm import is_pytm
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "tm.json").write_text(json.dumps({"name": "x", "elements": [], "flows": []}))
    >>> _ = (d / "o.json").write_text(json.dumps({"otmVersion": "0.2.0", "components": []}))
    >>> is_pytm(d / "tm.json"), is_pytm(d / "o.json")
    (True, False)
    """
    try:
        if Path(path).stat().st_size > MAX_FILE_BYTES:
            return False
        doc = json.loads(Path(path).read_bytes().decode("utf-8-sig"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(doc, dict) and "otmVersion" not in doc and ("elements" in doc or "flows" in doc)


def read_pytm(path: str | os.PathLike[str]) -> OtmText:
    r"""Read a pytm JSON model, checked, with the line of each of its values.

    The file is read as the OTM reader reads JSON (:func:`~pia_analysis.formats.otm.read_otm`: at most
    ``MAX_FILE_BYTES``, UTF-8), then checked as :func:`translate_pytm` checks it, every problem located.

    Parameters
    ----------
    path : str or os.PathLike
        The pytm JSON file.

    Returns
    -------
    OtmText
        ``doc`` (the model), ``lines`` (path → line) and ``label`` (the file as given).

    Raises
    ------
    ModelError
        Every problem, each ``file:line: $.path: message (hint: …)``: unreadable or invalid JSON, a missing or
        duplicate name, a name giving the id of another, references to no boundary, element or datum, an
        unknown class or classification, values of the wrong type, boundaries nested in a circle.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> from pia_analysis.formats.pytm import read_pytm
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "tm.json"
    >>> _ = p.write_text(json.dumps({"name": "x", "elements": [{"__class__": "Server", "name": "Web",
    ...                                                        "inBoundary": "DMZ"}]}, indent=1))
    >>> read_pytm(p)  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    pia_analysis.model.errors.ModelError: 1 problem(s) in the model:
      .../tm.json:7: $.elements[0].inBoundary: 'DMZ' is not the name of any boundary (hint: use the name of a
      boundary, or add it)
    """
    text = read_otm(path)
    problems = _check(text)
    if problems:
        raise ModelError(problems)
    return text


# ---------------------------------------------------------------------------------------------------
# checking


def _slug(name: str) -> str:
    """The id of a pytm name: runs of characters an id should not hold turned into ``-``."""
    return _SLUG.sub("-", nfkc(name)).strip("-")


def _entries(doc: Mapping[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    """The (index, entry) pairs of a pytm collection that are objects."""
    value = doc.get(key)
    return [(i, e) for i, e in enumerate(value) if isinstance(e, dict)] if isinstance(value, list) else []


def _check(otm: OtmText) -> list[Problem]:
    """Every problem of a pytm model that pytm's reader would refuse or that would make the translation wrong."""
    doc = otm.doc
    problems: list[Problem] = []

    def bad(path: tuple, message: str, hint: str) -> None:
        problems.append(otm.problem(path, message, hint))

    if not isinstance(doc, dict):
        bad((), "must be a JSON object", "a pytm model is {\"name\": …, \"boundaries\": […], \"elements\": […] …}")
        return problems
    if not isinstance(doc.get("name"), str) or not doc["name"].strip():
        bad(("name",), "is missing" if "name" not in doc else "must be text",
            "a pytm model has a name (pytm refuses a model without one)")
    for key in _COLLECTIONS:
        if doc.get(key) is not None and not isinstance(doc[key], list):
            bad((key,), f"must be a list, not {type(doc[key]).__name__}", "write [ {\"name\": …}, … ]")
    names: dict[str, dict[str, int]] = {}
    for key in ("boundaries", "data", "elements"):
        names[key] = {}
        ids: dict[str, str] = {}
        for i, entry in enumerate(doc.get(key) or [] if isinstance(doc.get(key), list) else []):
            if not isinstance(entry, dict):
                bad((key, i), "must be an object", "write {\"name\": …} for each")
                continue
            name = entry.get("name")
            if name is None or (isinstance(name, str) and not name.strip()):
                bad((key, i, "name"), "is missing", "every boundary, datum and element needs a name; others "
                                                   "refer to it by that name")
                continue
            if not isinstance(name, str):
                bad((key, i, "name"), f"must be text, not {name!r}", f"write it in quotes: \"{name}\"")
                continue
            if name in names[key]:
                bad((key, i, "name"), f"{name!r} is also the name of {key}[{names[key][name]}]",
                    "give each its own name (pytm keeps only the last one)")
                continue
            ident = _slug(name)
            if not ident:
                bad((key, i, "name"), f"{name!r} has no letter or digit to make an id of", "rename it")
            elif len(ident) > MAX_ID_CHARS:
                bad((key, i, "name"), f"gives an id of {len(ident)} characters, more than {MAX_ID_CHARS}",
                    "shorten the name")
            elif ident in ids:
                bad((key, i, "name"), f"{name!r} gives the id {ident!r}, as {ids[ident]!r} does",
                    "names differing only in spaces or punctuation cannot both be kept: rename one")
            ids.setdefault(ident, name)
            names[key][name] = i
    boundaries, data, elements = names["boundaries"], names["data"], names["elements"]

    def ref(path: tuple, value: Any, known: Mapping[str, int], what: str) -> None:
        if not isinstance(value, str):
            bad(path, f"must be the name of a {what}, not {value!r}", f"write the {what}'s name in quotes")
        elif value not in known:
            bad(path, f"{value!r} is not the name of any {what}", f"use the name of {what_plural(what)}, or add it")

    def what_plural(what: str) -> str:
        return {"boundary": "a boundary", "datum": "a datum in data", "element": "an element"}[what]

    def refs(path: tuple, value: Any, known: Mapping[str, int], what: str) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            bad(path, f"must be a list of names of {what}s", "write [\"name\", …]")
            return
        for j, item in enumerate(value):
            ref((*path, j), item, known, what)

    def flag(path: tuple, entry: Mapping[str, Any], key: str) -> None:
        if key in entry and not isinstance(entry[key], bool):
            bad((*path, key), f"must be true or false, not {entry[key]!r}", "write true or false without quotes")

    parent: dict[str, str] = {}
    for i, entry in _entries(doc, "boundaries"):
        if "inBoundary" in entry:
            ref(("boundaries", i, "inBoundary"), entry["inBoundary"], boundaries, "boundary")
            if entry["inBoundary"] == entry.get("name"):
                bad(("boundaries", i, "inBoundary"), "is the boundary itself", "a boundary lies in another")
            elif isinstance(entry.get("name"), str) and isinstance(entry["inBoundary"], str) \
                    and entry["inBoundary"] in boundaries:
                parent[entry["name"]] = entry["inBoundary"]
    reported: set[str] = set()
    for start in sorted(parent):
        chain = [start]
        while chain[-1] in parent and parent[chain[-1]] not in chain:
            chain.append(parent[chain[-1]])
        if chain[-1] in parent and not reported & set(chain):
            loop = chain[chain.index(parent[chain[-1]]):]
            reported |= set(loop)
            bad(("boundaries", boundaries[loop[0]], "inBoundary"),
                f"the boundaries lie in a circle ({' → '.join([*loop, loop[0]])})", "nest each in a larger one only")
    for i, entry in _entries(doc, "data"):
        # pytm's reader looks `classification` and `lifetime` up by enum name (a wrong one is its KeyError)
        for key, allowed in (("classification", CLASSIFICATIONS), ("lifetime", LIFETIMES)):
            if key in entry and entry[key] not in allowed:
                bad(("data", i, key), f"{entry[key]!r} is not one of pytm's values",
                    f"use one of {', '.join(allowed)}")
        for key in ("isPII", "isCredentials", "isStored"):
            flag(("data", i), entry, key)
    for i, entry in _entries(doc, "elements"):
        cls = entry.get("__class__", "Asset")
        if not isinstance(cls, str) or cls not in ELEMENT_KINDS:
            bad(("elements", i, "__class__"), f"{cls!r} is not a pytm element class",
                f"use one of {', '.join(ELEMENT_KINDS)}")
        if "inBoundary" in entry:
            ref(("elements", i, "inBoundary"), entry["inBoundary"], boundaries, "boundary")
        refs(("elements", i, "data"), entry.get("data"), data, "datum")
    for i, entry in _entries(doc, "flows"):
        path = ("flows", i)
        if not isinstance(entry.get("name"), str) or not entry["name"].strip():
            bad((*path, "name"), "is missing" if "name" not in entry else "must be text",
                "every flow needs a name (pytm refuses a flow without one)")
        for end in ("source", "sink"):
            if end not in entry:
                bad((*path, end), "is missing",
                    f"name the element the flow {'leaves' if end == 'source' else 'enters'}")
            else:
                ref((*path, end), entry[end], elements, "element")
        if isinstance(entry.get("source"), str) and entry.get("source") == entry.get("sink"):
            bad((*path, "sink"), "is the source itself", "a flow goes to another element")
        data_value = entry.get("data")
        if isinstance(data_value, str):  # pytm's Python API takes one Data; its JSON reader only a list
            bad((*path, "data"), "must be a list of names of data", f"write [\"{data_value}\"]")
        else:
            refs((*path, "data"), data_value, data, "datum")
        for key in ("isEncrypted", "usesVPN"):
            flag(path, entry, key)
        if "protocol" in entry and not isinstance(entry["protocol"], str):
            bad((*path, "protocol"), f"must be text, not {entry['protocol']!r}", "write it in quotes: \"HTTPS\"")
        if "controls" in entry and not isinstance(entry["controls"], dict):
            bad((*path, "controls"), "must be an object", "write {\"isEncrypted\": true, …}")
    for key in ("boundaries", "elements"):
        for i, entry in _entries(doc, key):
            if "controls" in entry and not isinstance(entry["controls"], dict):
                bad((key, i, "controls"), "must be an object", "write {\"isHardened\": true, …}")
    return problems


# ---------------------------------------------------------------------------------------------------
# translating


def translate_pytm(doc: Mapping[str, Any] | OtmText, *, source_name: str) -> PytmTranslation:
    """Translate a pytm JSON model to an OTM 0.2.0 document and the list of what it could not carry.

    Parameters
    ----------
    doc : Mapping or OtmText
        The pytm model: as read by :func:`read_pytm` (problems then carry lines) or as any JSON reader's dict.
    source_name : str
        The file's name, used in problems and as the project's id when the model has no usable name.

    Returns
    -------
    PytmTranslation
        ``otm`` (a JSON-ready OTM 0.2.0 dict; elements in no boundary get ``parent: {}``) and ``remainder``.

    Raises
    ------
    ModelError
        The problems :func:`read_pytm` checks, all at once (located at ``source_name`` and the JSON path).

    Examples
    --------
    >>> from pia_analysis.formats.pytm import translate_pytm
    >>> doc = {"name": "Demo", "boundaries": [{"name": "Server/DB"}],
    ...        "data": [{"name": "Token"}],
    ...        "elements": [{"__class__": "Server", "name": "Web Server", "controls": {"isHardened": True}},
    ...                     {"__class__": "Datastore", "name": "SQL Database", "inBoundary": "Server/DB"}],
    ...        "flows": [{"name": "Insert", "source": "Web Server", "sink": "SQL Database", "data": ["Token"],
    ...                   "protocol": "HTTPS"}]}
    >>> t = translate_pytm(doc, source_name="tm.json")
    >>> [(c["id"], c["parent"], c["assets"]) for c in t.otm["components"]]
    [('Web-Server', {}, {'processed': ['Token']}), ('SQL-Database', {'trustZone': 'Server-DB'}, {'stored': ['Token']})]
    >>> f = t.otm["dataflows"][0]
    >>> f["id"], "encrypted" in f["tags"]
    ('Web-Server>Insert', True)
    >>> [(r.path, r.what) for r in t.remainder]
    [('$.elements[0].controls', 'pytm controls isHardened')]
    """
    otm = doc if isinstance(doc, OtmText) else OtmText(doc, {}, source_name)
    problems = _check(otm)
    if problems:
        raise ModelError(problems)
    model = otm.doc
    remainder: list[RemainderItem] = []

    def text(value: Any) -> str | None:
        return value.strip() or None if isinstance(value, str) else None

    def leftover(path: tuple, name: str, entry: Mapping[str, Any], carried: frozenset[str], what: str) -> None:
        controls = entry.get("controls") if isinstance(entry.get("controls"), dict) else {}
        on = [k for k, v in controls.items() if v not in (False, None, "", 0) and k not in carried]
        if on:
            remainder.append(RemainderItem(_json_path((*path, "controls")), name,
                                           "pytm controls " + ", ".join(on),
                                           "pytm's per-element switches are not the form's controls with "
                                           "statuses: record the measures they stand for in controls.csv"))
        rest = [k for k, v in entry.items() if k not in carried and k != "controls" and v not in (None, "", [], {})]
        if rest:
            remainder.append(RemainderItem(_json_path(path), name, f"pytm {what} attributes "
                                           + ", ".join(rest), "read by pytm's threat rules, which are not run: "
                                           "this toolkit derives its own findings"))

    # Boundaries → trust zones.
    zone_id = {e["name"]: _slug(e["name"]) for _i, e in _entries(model, "boundaries")}
    zones = []
    for i, entry in _entries(model, "boundaries"):
        name = entry["name"]
        # pytm rates no boundary: one named for the internet is taken to face it, the rest as run by the body
        internet = "internet" in name.lower()
        zone: dict[str, Any] = {"id": zone_id[name], "name": name, "type": "pytm-boundary",
                                "description": text(entry.get("description")),
                                "risk": {"trustRating": INTERNET_TRUST if internet else OWN_TRUST}}
        if "inBoundary" in entry:
            zone["parent"] = {"trustZone": zone_id[entry["inBoundary"]]}
        zones.append(_clean(zone))
        leftover(("boundaries", i), name, entry, _BOUNDARY_KEYS, "boundary")

    # Data → assets.
    data_id = {e["name"]: _slug(e["name"]) for _i, e in _entries(model, "data")}
    data_entry = {e["name"]: e for _i, e in _entries(model, "data")}
    assets = []
    for i, entry in _entries(model, "data"):
        name = entry["name"]
        tags = [f"classification:{entry.get('classification', 'UNKNOWN').lower()}"]
        tags += ["pii"] if entry.get("isPII") is True else []
        tags += ["credentials"] if entry.get("isCredentials") is True else []
        # OTM 0.2.0 gives assets no tags; kept (the schema allows more keys): the importer reads them for My Numbers
        # OTM requires CIA values: confidentiality from pytm's classification (its rank on 0–100), integrity
        # and availability unknown (the middle); the importer lists them, a file being rated otherwise
        rank = CLASSIFICATIONS.index(entry.get("classification", "UNKNOWN"))
        assets.append(_clean({"id": data_id[name], "name": name, "description": text(entry.get("description")),
                              "risk": {"confidentiality": rank * 100 // (len(CLASSIFICATIONS) - 1),
                                       "integrity": 50, "availability": 50},
                              "tags": tags}))
        leftover(("data", i), name, entry, _DATA_KEYS, "data")

    # Flows decide what each element stores and processes.
    element_id = {e["name"]: _slug(e["name"]) for _i, e in _entries(model, "elements")}
    cls_of = {e["name"]: e.get("__class__", "Asset") for _i, e in _entries(model, "elements")}
    stored: dict[str, list[str]] = {n: [] for n in element_id}
    processed: dict[str, list[str]] = {n: [] for n in element_id}
    for _i, entry in _entries(model, "elements"):
        into = stored if cls_of[entry["name"]] == "Datastore" else processed
        into[entry["name"]].extend(data_id[d] for d in entry.get("data") or [])
    flows = []
    used: set[str] = set()
    for i, entry in _entries(model, "flows"):
        source, sink = entry["source"], entry["sink"]
        carried = [d for d in dict.fromkeys(entry.get("data") or [])]
        for d in carried:
            sink_stores = cls_of[sink] == "Datastore" or data_entry[d].get("isStored") is True
            (stored if sink_stores else processed)[sink].append(data_id[d])
            (stored if cls_of[source] == "Datastore" else processed)[source].append(data_id[d])
        controls = entry.get("controls") if isinstance(entry.get("controls"), dict) else {}
        protocol = text(entry.get("protocol"))
        encrypted = (controls.get("isEncrypted") is True or entry.get("isEncrypted") is True
                     or entry.get("usesVPN") is True or controls.get("usesVPN") is True
                     or entry.get("tlsVersion") in ENCRYPTING_TLS
                     or (protocol or "").lower() in ENCRYPTED_PROTOCOLS)
        tags = ([f"protocol:{protocol}"] if protocol else []) + ["encrypted" if encrypted else "unencrypted"]
        tags += ["vpn"] if entry.get("usesVPN") is True or controls.get("usesVPN") is True else []
        base = f"{element_id[source]}>{_slug(entry['name']) or 'flow'}"
        ident, n = base, 1
        while ident in used:  # pytm lets flows share a name; nothing refers to a flow, so a suffix is safe
            n += 1
            ident = f"{base}-{n}"
        used.add(ident)
        description = "\n".join(t for t in (text(entry.get("description")), text(entry.get("note"))) if t)
        flows.append(_clean({"id": ident, "name": entry["name"], "description": description,
                             "bidirectional": False, "source": element_id[source],
                             "destination": element_id[sink], "assets": [data_id[d] for d in carried],
                             "tags": tags}))

    # Elements → components.
    components = []
    for i, entry in _entries(model, "elements"):
        name = entry["name"]
        cls = cls_of[name]
        kind = ELEMENT_KINDS[cls]
        held = list(dict.fromkeys(stored[name]))
        passing = [d for d in dict.fromkeys(processed[name]) if d not in held]
        components.append(_clean({
            "id": element_id[name], "name": name, "type": cls, "description": text(entry.get("description")),
            # No boundary: an empty parent, which the OTM importer reads as its zone UNZONED (listed as an
            # assumption) — as for Threagile, the one departure from OTM 0.2.0, which requires a parent.
            "parent": {"trustZone": zone_id[entry["inBoundary"]]} if "inBoundary" in entry else {},
            "assets": _clean({"stored": held, "processed": passing}),
            "tags": [*([kind] if kind != "system" else []), f"pytm-class:{cls}"],
        }, keep=("parent",)))
        leftover(("elements", i), name, entry, _ELEMENT_KEYS, "element")
    for i, entry in _entries(model, "flows"):  # listed after the elements, in the file's order
        leftover(("flows", i), entry["name"], entry, _FLOW_KEYS, "flow")

    for key, value in model.items():
        if key not in _MODEL_KEYS and value not in (None, "", [], {}, False):
            remainder.append(RemainderItem(_json_path((key,)), key, "pytm model setting",
                                           "a setting of pytm's threat pass or report, which is not run"))
    name = text(model.get("name")) or Path(source_name).stem
    project = _clean({"name": name, "id": _slug(name) or "pytm-model", "description": text(model.get("description"))})
    document = {"otmVersion": OTM_VERSION, "project": project, "assets": assets, "trustZones": zones,
                "components": components, "dataflows": flows}
    return PytmTranslation(document, tuple(remainder))


def pytm_to_otm(doc: Mapping[str, Any] | OtmText, *, source_name: str) -> dict[str, Any]:
    """A pytm JSON model as an OTM 0.2.0 document (the ``otm`` of :func:`translate_pytm`).

    Parameters
    ----------
    doc : Mapping or OtmText
        The pytm model (:func:`read_pytm`, or a dict).
    source_name : str
        The file's name, used in problems and as the project's id when the model has no name.

    Returns
    -------
    dict
        The OTM document, JSON-ready; what it cannot carry is in :func:`translate_pytm`'s remainder.

    Raises
    ------
    ModelError
        As :func:`translate_pytm`.

    Examples
    --------
    >>> from pia_analysis.formats.pytm import pytm_to_otm
    >>> otm = pytm_to_otm({"name": "Demo", "boundaries": [{"name": "Outer"},
    ...                                                   {"name": "Inner", "inBoundary": "Outer"}]},
    ...                   source_name="tm.json")
    >>> otm["otmVersion"], [(z["id"], z.get("parent")) for z in otm["trustZones"]]
    ('0.2.0', [('Outer', None), ('Inner', {'trustZone': 'Outer'})])
    """
    return translate_pytm(doc, source_name=source_name).otm


def from_pytm(path: str | os.PathLike[str], *, assessed_on: dt.date | None = None) -> OtmImport:
    r"""Import a pytm JSON model: read it (:func:`read_pytm`), translate it to OTM, import that.

    The OTM importer (:func:`~pia_analysis.formats.otm.from_otm`) makes the model; its remainder gets the
    pytm remainder first (controls, threat attributes, model settings; ``otm_path`` is then the pytm JSON
    path, ``$.elements[1].controls``).

    Parameters
    ----------
    path : str or os.PathLike
        The pytm JSON file.
    assessed_on : datetime.date, optional
        The ``assessed_on`` placeholder of the model (default: today).

    Returns
    -------
    OtmImport
        The model, the remainder (pytm's, then the OTM importer's), the placeholders, the assumptions.

    Raises
    ------
    ModelError
        Every located problem of the file (:func:`read_pytm`) or of its translation; nothing is made.

    Examples
    --------
    >>> import datetime, json, tempfile, pathlib
    >>> from pia_analysis.formats.pytm import from_pytm
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "tm.json"
    >>> _ = p.write_text(json.dumps({
    ...     "name": "Demo", "data": [{"name": "Resident record (My Number)", "isPII": True}],
    ...     "elements": [{"__class__": "Actor", "name": "Clerk"}, {"__class__": "Datastore", "name": "DB"}],
    ...     "flows": [{"name": "Save", "source": "Clerk", "sink": "DB", "data": ["Resident record (My Number)"]}]}))
    >>> imported = from_pytm(p, assessed_on=datetime.date(2026, 4, 1))
    >>> imported.model.systems[["system_id", "zone_id", "kind", "holds"]].values.tolist()
    [['Clerk', 'UNZONED', 'external', []], ['DB', 'UNZONED', 'store', ['Resident-record-My-Number']]]
    >>> bool(imported.model.files["contains_my_number"].iloc[0])
    True
    """
    text = read_pytm(path)
    if isinstance(text.doc, dict) and not text.doc.get("elements"):
        # said in pytm's terms (the OTM importer would name "$.components", which the file does not have)
        raise ModelError([text.problem(("elements",) if "elements" in text.doc else (),
                                       "has no element: a model needs at least one system",
                                       "add an element (a Server, Datastore, Actor …) to \"elements\"")])
    label = Path(path).name
    translated = translate_pytm(text, source_name=label)
    imported = from_otm(translated.otm, label, assessed_on=assessed_on)
    ours = pd.DataFrame([{"otm_path": r.path, "otm_id": r.element_id, "what": r.what, "reason": r.reason}
                         for r in translated.remainder], columns=["otm_path", "otm_id", "what", "reason"])
    remainder = pd.concat([ours, imported.remainder], ignore_index=True) if len(imported.remainder) else ours
    return replace(imported, remainder=remainder)


def _json_path(path: tuple) -> str:
    """``$.elements[1].controls`` for ``("elements", 1, "controls")`` (the form of the OTM importer's problems)."""
    return OtmText(None, {}, "").problem(path, "").column


def _clean(element: dict[str, Any], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """The element without empty values (OTM's optional keys are left out rather than null), but ``keep``."""
    return {k: v for k, v in element.items() if k in keep or v not in (None, "", [], {})}
