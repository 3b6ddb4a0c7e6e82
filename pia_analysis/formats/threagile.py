"""Threagile models in, through the Open Threat Model: a Threagile YAML file translated to an OTM 0.2.0 document.

`Threagile <https://github.com/Threagile/threagile>`_ (MIT licence) describes a system as data assets,
technical assets with communication links, trust boundaries (nested) and shared runtimes. Its distinctions
are ours, so a small mapping carries them into OTM, which :mod:`pia_analysis.formats.otm` imports:

* ``trust_boundaries`` → ``trustZones``; a boundary listed in another's ``trust_boundaries_nested`` gets
  ``parent.trustZone`` (our ``parent_zone``);
* ``technical_assets`` → ``components`` in the innermost boundary that lists them; those no boundary lists
  get an empty ``parent`` (the one departure from OTM 0.2.0, which requires one), which the OTM importer reads
  as its zone ``UNZONED``;
  ``data_assets_stored`` → ``assets.stored``,
  ``data_assets_processed`` (and, as Threagile's own parser does, the data of every link that ends at the
  asset) minus the stored ones → ``assets.processed``;
* each ``communication_links`` entry → a ``dataflow`` from the asset to its ``target``, with Threagile's own
  id (``source>title-slug``), the data sent and received as its assets, ``bidirectional`` when data goes both
  ways (Threagile's ``IsBidirectional``) and the link is not ``readonly``, tagged ``encrypted`` when the
  protocol is one Threagile calls encrypted or the link runs in a VPN;
* ``data_assets`` → ``assets`` (confidentiality, integrity and availability on 0–100) with their Threagile
  tags, from which (and the name) the importer guesses My Numbers, as an assumption;
* what has no place (``risk_tracking``, keyed by Threagile's own risk ids; abuse cases; security
  requirements; questions; individual risk categories; shared runtimes; out-of-scope marks; any other key)
  → :class:`RemainderItem` s, which the import report lists.

:func:`read_threagile` reads the file safely (PyYAML through
:class:`~pia_analysis.model.yamlread.ModelYamlLoader`, with YAML merge keys allowed since Threagile's own
example uses them), follows ``includes:`` only inside the model's folder and refuses cycles, and reports
what is malformed located as ``file:line: path: message (hint)``, all at once. See docs/interchange.md,
"Threagile".
"""

from __future__ import annotations

__all__ = ["RemainderItem", "ThreagileTranslation", "from_threagile", "is_threagile", "read_threagile",
           "threagile_to_otm", "translate_threagile"]

import os
import re
from collections.abc import Callable, Mapping
import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..model.errors import ModelError, Problem
from ..model.yamlread import ModelYamlLoader
from ..model.cells import my_number_problem
from ..model.mynumber import find_my_numbers, mask_numbers
from .directory import MAX_YAML_BYTES, control_character_problem, read_text
from .otm import OtmImport, duplicate_keys, from_otm, my_number_problems

#: The OTM version written.
OTM_VERSION = "0.2.0"
#: ``includes:`` nested deeper than this are refused (Threagile's own tests nest two levels).
MAX_INCLUDE_DEPTH = 16

# Threagile's encrypted protocols: pkg/types/protocol.go, Protocol.IsEncrypted (Threagile 74e323e).
ENCRYPTED_PROTOCOLS = frozenset({
    "https", "wss", "jdbc-encrypted", "odbc-encrypted", "nosql-access-protocol-encrypted",
    "sql-access-protocol-encrypted", "binary-encrypted", "text-encrypted", "ssh", "ssh-tunnel", "ftps", "sftp",
    "scp", "ldaps", "reverse-proxy-web-protocol-encrypted", "iiop-encrypted", "jrmp-encrypted", "smb-encrypted",
    "smtp-encrypted", "pop3-encrypted", "imap-encrypted"})

# Our system kind of a Threagile technology, from the attributes of pkg/types/technologies.yaml: `client`
# → terminal; `database`, `file_storage`, `identity_store` (and the storage technologies without those
# attributes) → store; `traffic_forwarding`, waf, ids, ips, gateway → network. A technical asset of type
# `datastore` is a store, one of type `external-entity` that is no client is external; the rest are systems.
TERMINAL_TECHNOLOGIES = frozenset({"browser", "client-system", "desktop", "devops-client", "iot-device",
                                   "mobile-app"})
STORE_TECHNOLOGIES = frozenset({"database", "file-server", "local-file-system", "identity-store-database",
                                "identity-store-ldap", "ldap-server", "block-storage", "data-lake",
                                "sourcecode-repository", "artifact-registry"})
NETWORK_TECHNOLOGIES = frozenset({"load-balancer", "reverse-proxy", "waf", "ids", "ips", "gateway"})

# Threagile's ordered ratings (pkg/types: confidentiality.go, criticality.go), spread on OTM's 0–100.
CONFIDENTIALITY = ("public", "internal", "restricted", "confidential", "strictly-confidential")
CRITICALITY = ("archive", "operational", "important", "critical", "mission-critical")
# Threagile's cloud boundaries: a zone run on a provider's platform, rated as our export rates a cloud provider
# (outputs/interchange.TRUST_BY_OPERATOR, 80); every other boundary is rated as run by the body itself (100).
# The importer reads the rating back as the zone's operator, marked as an assumption.
CLOUD_BOUNDARY_TYPES = frozenset({"network-cloud-provider", "network-cloud-security-group"})
CLOUD_TRUST, OWN_TRUST = 80, 100

# Top-level keys carried into OTM (the rest is listed as remainder).
_MAPPED_KEYS = frozenset({"threagile_version", "title", "business_overview", "includes",
                          "management_summary_comment", "data_assets", "technical_assets", "trust_boundaries"})
# Keys without consequence for a model (presentation only): not listed.
_IGNORED_KEYS = frozenset({"tags_available", "technical_overview", "business_criticality", "contributors",
                           "diagram_tweak_nodesep", "diagram_tweak_ranksep", "diagram_tweak_edge_layout",
                           "diagram_tweak_suppress_edge_labels", "diagram_tweak_layout_left_to_right",
                           "diagram_tweak_invisible_connections_between_assets",
                           "diagram_tweak_same_rank_assets", "application_description"})
_VERSION_LINE = re.compile(r"^threagile_version[ \t]*:", re.MULTILINE)
_SLUG = re.compile(r"[^A-Za-z0-9]+")


@dataclass(frozen=True)
class RemainderItem:
    """Something of the Threagile model the OTM document (and so the imported model) does not carry.

    ``path`` locates it in the Threagile model (``risk_tracking/ldap-injection@*``), ``element_id`` is its
    Threagile id or key, ``what`` says what it is and ``reason`` why it is not carried (and what to do).
    """

    path: str
    element_id: str
    what: str
    reason: str


@dataclass(frozen=True)
class ThreagileTranslation:
    """A Threagile model translated: the OTM document and what it could not carry.

    ``otm`` is an OTM 0.2.0 document (a JSON-ready dict); ``remainder`` lists the :class:`RemainderItem` s.
    """

    otm: dict[str, Any]
    remainder: tuple[RemainderItem, ...]


# ---------------------------------------------------------------------------------------------------
# reading


class _ThreagileLoader(ModelYamlLoader):
    """ModelYamlLoader with YAML merge keys (``<<: *anchor``) allowed: Threagile's own example uses them.

    Aliases stay bounded by the parent's count, so a merge cannot blow up either.
    """

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        """Merge keys expanded as YAML 1.1 defines them (PyYAML's safe loader)."""
        yaml.SafeLoader.flatten_mapping(self, node)


_Where = dict[tuple[str, ...], tuple[str, int]]


def is_threagile(path: str | os.PathLike[str]) -> bool:
    r"""Whether a file is a Threagile model: a top-level ``threagile_version:`` key.

    Only the text is looked at (no YAML is parsed), so an OTM reader can dispatch on it first.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    bool
        True when the file has a line beginning ``threagile_version:``; False otherwise, also when it
        cannot be read (the reader that follows reports why).

    Raises
    ------
    Nothing : an unreadable file is simply not Threagile.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from pia_analysis.formats.threagile import is_threagile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "t.yaml").write_text("threagile_version: 1.0.0\ntitle: x\n")
    >>> _ = (d / "o.yaml").write_text("otmVersion: 0.2.0\n")
    >>> is_threagile(d / "t.yaml"), is_threagile(d / "o.yaml")
    (True, False)
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(MAX_YAML_BYTES)
    except OSError:
        return False
    return _VERSION_LINE.search(head.decode("utf-8", errors="replace")) is not None


def read_threagile(path: str | os.PathLike[str]) -> dict[str, Any]:
    r"""Read a Threagile model file with its ``includes:``, checked, as one merged mapping.

    YAML is read as plain data (:class:`~pia_analysis.model.yamlread.ModelYamlLoader`; merge keys allowed).
    ``includes:`` are read relative to the including file, only inside the folder of ``path`` (no absolute
    paths, no way out through ``..`` or links), each once; a file that includes itself through others is
    refused. Included mappings merge into the model key by key, as Threagile merges them; a value given
    twice differently is an error. The merged model is then checked as :func:`translate_threagile` checks
    it, with every problem located at its file and line.

    Parameters
    ----------
    path : str or os.PathLike
        The Threagile YAML file (``threagile.yaml``).

    Returns
    -------
    dict
        The merged model: the top-level keys of the file and its includes (``includes`` itself dropped).

    Raises
    ------
    ModelError
        Every problem found, each located ``file:line: path: message (hint: …)``: unreadable or invalid YAML,
        includes outside the folder, missing or cyclic, conflicting values, and the checks of
        :func:`translate_threagile` (missing ids, references to nothing, a boundary nested twice or in
        itself, …).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from pia_analysis.formats.threagile import read_threagile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "threagile.yaml").write_text("threagile_version: 1.0.0\ntitle: Demo\nincludes: [assets.yaml]\n")
    >>> _ = (d / "assets.yaml").write_text("technical_assets:\n  Web:\n    id: web\n    technology: web-server\n")
    >>> doc = read_threagile(d / "threagile.yaml")
    >>> doc["title"], list(doc["technical_assets"])
    ('Demo', ['Web'])
    >>> _ = (d / "assets.yaml").write_text("technical_assets:\n  Web:\n    technology: web-server\n")
    >>> read_threagile(d / "threagile.yaml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pia_analysis.model.errors.ModelError: 1 problem(s) in the model:
      .../assets.yaml:2: technical_assets/Web/id: is missing (hint: ...)
    """
    top = Path(path)
    root = top.parent
    problems: list[Problem] = []
    where: _Where = {}
    merged: dict[str, Any] = {}
    seen: set[Path] = set()
    numbers: list[Problem] = []
    _read_into(top, str(top), root, merged, where, problems, seen, (), numbers)
    if numbers:
        # every file was read and scanned; only the numbers are reported, so no other message repeats a value
        raise ModelError(numbers)
    if not problems:
        if "threagile_version" not in merged:
            problems.append(Problem(str(top), None, "threagile_version", "is missing",
                                    "a Threagile model starts with 'threagile_version: 1.0.0'"))
        else:
            problems += _check(merged, _locator(where, str(top)))
    if problems:
        raise ModelError(problems)
    merged.pop("includes", None)
    return merged


def _read_into(path: Path, label: str, root: Path, merged: dict[str, Any], where: _Where,
               problems: list[Problem], seen: set[Path], chain: tuple[Path, ...], numbers: list[Problem]) -> None:
    """Read one file and merge it into ``merged``, then its includes (depth first, in order).

    Every key and value of the file is scanned for real-looking My Numbers first (into ``numbers``).
    """
    real = Path(os.path.realpath(path))
    if real in chain:
        cycle = " → ".join(p.name for p in (*chain[chain.index(real):], real))
        problems.append(Problem(label, None, "includes", f"includes itself ({cycle})",
                                "remove the include that leads back to this file"))
        return
    if real in seen:  # included twice (not in a cycle): its keys are already merged
        return
    seen.add(real)
    text = read_text(path, label, problems, MAX_YAML_BYTES, root)
    if text is None:
        return
    parsed = _parse(text, label, problems)
    if parsed is None:
        return
    data, node = parsed
    numbers += _node_my_numbers(node, label)
    if data is None and chain:  # an included file of comments only (Threagile's own tests have one)
        return
    if data is None:
        problems.append(Problem(label, 1, "", "has no keys (the file is empty)",
                                "a Threagile model starts with 'threagile_version: 1.0.0'"))
        return
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        problems.append(Problem(label, 1, "", "must be a mapping of keys to values",
                                "a Threagile model is 'key: value' lines: threagile_version, title, data_assets …"))
        return
    local: _Where = {}
    _walk(node, label, (), local, 0)
    _merge(merged, data, (), where, local, label, problems)
    for key, place in local.items():
        where.setdefault(key, place)
    includes = data.get("includes") or []
    if not isinstance(includes, list):
        problems.append(Problem(label, local.get(("includes",), (label, None))[1], "includes",
                                "must be a list of file names", "write '- other.yaml' lines under includes:"))
        return
    if len(chain) >= MAX_INCLUDE_DEPTH:
        problems.append(Problem(label, local.get(("includes",), (label, None))[1], "includes",
                                f"includes nest deeper than {MAX_INCLUDE_DEPTH} files", "include fewer levels"))
        return
    root_real = Path(os.path.realpath(root))
    for i, name in enumerate(includes):
        line = local.get(("includes", str(i)), local.get(("includes",), (label, None)))[1]
        if not isinstance(name, str) or not name.strip():
            problems.append(Problem(label, line, f"includes/{i}", "must be a file name",
                                    "write the name of a YAML file in this folder"))
            continue
        target = path.parent / name
        target_real = Path(os.path.realpath(target))
        if Path(name).is_absolute() or not target_real.is_relative_to(root_real):
            problems.append(Problem(label, line, f"includes/{i}",
                                    f"{name} lies outside the model's folder {root}",
                                    "copy the file into the folder of the model; includes are read only there"))
            continue
        if target.is_dir():
            problems.append(Problem(label, line, f"includes/{i}", f"{name} is a folder, not a YAML file",
                                    "name a .yaml file of the model's folder"))
            continue
        if not target.is_file():
            problems.append(Problem(label, line, f"includes/{i}", f"{name} does not exist",
                                    f"check the name; it is read relative to {path.parent}"))
            continue
        if target_real in (*chain, real):  # located here, at the include that closes the circle
            loop = (*chain, real)
            cycle = " → ".join(q.name for q in (*loop[loop.index(target_real):], target_real))
            problems.append(Problem(label, line, f"includes/{i}", f"includes {name}, which includes this file "
                                    f"again ({cycle})", "remove the include that leads back"))
            continue
        _read_into(target, str(target), root, merged, where, problems, seen, (*chain, real), numbers)


def _parse(text: str, label: str, problems: list[Problem]) -> tuple[Any, Any] | None:
    """The YAML text's value and node (both None when it is empty), or None with the problem recorded."""
    loader: _ThreagileLoader | None = None
    try:
        loader = _ThreagileLoader(text)
        node = loader.get_single_node()
        # keys given twice, before merge keys (<<) are expanded: a key that overrides a merged one is no repeat
        twice = duplicate_keys(node)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problems.append(Problem(label, mark.line + 1 if mark else None, f"column {mark.column + 1}" if mark else "",
                                f"is not valid YAML: {exc.problem or exc}",
                                "only plain YAML is accepted (no !!python tags); check indentation and quotes"))
        return None
    except yaml.reader.ReaderError as exc:
        problems.append(control_character_problem(label, text, exc))
        return None
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        problems.append(Problem(label, None, "", f"is not valid YAML: {str(exc)[:120]}",
                                "only plain YAML is accepted; check indentation and quotes"))
        return None
    finally:
        if loader is not None:
            loader.dispose()
    for line, column, message, hint in loader.refused:
        problems.append(Problem(label, line, f"column {column}", message, hint))
    problems += [Problem(label, line, "/".join(mask_numbers(p) for p in path),
                         f"is given twice in one mapping (first on line {first})",
                         "YAML keeps only the last value silently (Threagile refuses it): remove or rename one")
                 for path, first, line in twice]
    return data, node


def _node_my_numbers(node: yaml.Node | None, label: str) -> list[Problem]:
    """Every valid-looking My Number in a YAML file's keys and values, located at its line, masked."""
    out: list[Problem] = []
    stack: list[tuple[tuple[str, ...], yaml.Node]] = [((), node)] if node is not None else []
    seen: set[int] = set()
    while stack:
        path, current = stack.pop()
        if id(current) in seen:  # an alias repeats a node already scanned
            continue
        seen.add(id(current))
        if isinstance(current, yaml.ScalarNode):
            # the text as loaded (escapes done); a tagged value (!!binary) is refused by the loader anyway
            shown = "/".join(mask_numbers(p) for p in path)
            for masked in dict.fromkeys(m for _pos, m in find_my_numbers(str(current.value))):
                out.append(my_number_problem(label, current.start_mark.line + 1, shown, masked))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(((*path, str(i)), item) for i, item in reversed(list(enumerate(current.value))))
        elif isinstance(current, yaml.MappingNode):
            for key, value in reversed(current.value):
                sub = (*path, str(key.value) if isinstance(key, yaml.ScalarNode) else "?")
                stack.extend(((sub, value), (sub, key)))
    return out


def _walk(node: yaml.Node, label: str, path: tuple[str, ...], out: _Where, depth: int) -> None:
    """The line of every key (and list item) down to the depth a check reports at."""
    if depth > 6:
        return
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = (*path, str(key.value))
            out.setdefault(sub, (label, key.start_mark.line + 1))
            _walk(value, label, sub, out, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            sub = (*path, str(i))
            out.setdefault(sub, (label, item.start_mark.line + 1))
            _walk(item, label, sub, out, depth + 1)


def _merge(into: dict[str, Any], new: Mapping[str, Any], path: tuple[str, ...], where: _Where, local: _Where,
           label: str, problems: list[Problem]) -> None:
    """Merge an included file's mapping into the model, as Threagile does.

    Mappings merge key by key, lists as a union; a single value given twice differently is refused (located
    at both places).
    """
    for key, value in new.items():
        key = str(key)
        sub = (*path, key)
        if key not in into or into[key] is None or into[key] == value:
            if key not in into or into[key] is None:
                into[key] = value
            continue
        if value is None:
            continue
        old = into[key]
        if isinstance(old, dict) and isinstance(value, dict):
            _merge(old, value, sub, where, local, label, problems)
        elif isinstance(old, list) and isinstance(value, list):
            into[key] = old + [v for v in value if v not in old]
        elif key == "includes":
            continue  # each file's includes are followed from that file
        else:
            first_file, first_line = where.get(sub, ("", None))
            problems.append(Problem(label, local.get(sub, (label, None))[1], "/".join(sub),
                                    f"is {value!r} here but {old!r} in {first_file}:{first_line}",
                                    "give the value in one file only"))


# ---------------------------------------------------------------------------------------------------
# checking


_Locate = Callable[[tuple[str, ...]], tuple[str, int | None]]


def _locator(where: _Where, default: str) -> _Locate:
    """Where a path is: the deepest located prefix's file and line."""
    def locate(path: tuple[str, ...]) -> tuple[str, int | None]:
        for n in range(len(path), 0, -1):
            if path[:n] in where:
                return where[path[:n]]
        return default, None
    return locate


def _items(doc: Mapping[str, Any], key: str) -> list[tuple[str, Any]]:
    """The (title, body) entries of a Threagile collection (a mapping keyed by title), or none."""
    value = doc.get(key)
    return [(str(k), v) for k, v in value.items()] if isinstance(value, dict) else []


def _ids(value: Any) -> list[str]:
    """A Threagile list of ids (None when empty) as texts."""
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _check(doc: Mapping[str, Any], locate: _Locate) -> list[Problem]:
    """Every problem of a merged Threagile model that would make its translation wrong."""
    problems: list[Problem] = []

    def bad(path: tuple[str, ...], message: str, hint: str) -> None:
        label, line = locate(path)
        problems.append(Problem(label, line, "/".join(path), message, hint))

    for key in ("data_assets", "technical_assets", "trust_boundaries", "shared_runtimes", "risk_tracking",
                "abuse_cases", "security_requirements", "questions", "individual_risk_categories"):
        if doc.get(key) is not None and not isinstance(doc[key], dict):
            bad((key,), f"must be a mapping, not {type(doc[key]).__name__}",
                "write each entry as 'Title:' with its keys indented below")
    ids: dict[str, dict[str, tuple[str, ...]]] = {}
    for key in ("data_assets", "technical_assets", "trust_boundaries"):
        ids[key] = {}
        for title, body in _items(doc, key):
            if not isinstance(body, dict):
                bad((key, title), "must be a mapping of keys", "indent its keys (id, description …) below it")
                continue
            ident = body.get("id")
            if ident is None or str(ident).strip() == "":
                bad((key, title, "id"), "is missing", "every data asset, technical asset and trust boundary "
                                                      "needs a unique id")
                continue
            if not isinstance(ident, str):
                bad((key, title, "id"), f"must be text, not {ident!r}", f"write it in quotes: \"{ident}\"")
                continue
            if ident in ids[key]:
                bad((key, title, "id"), f"{ident!r} is also the id of {ids[key][ident][1]!r}",
                    "give each one its own id")
                continue
            ids[key][ident] = (key, title)
    assets, data = ids["technical_assets"], ids["data_assets"]

    def refs(path: tuple[str, ...], value: Any, known: Mapping[str, Any], what: str) -> None:
        if value is not None and not isinstance(value, list):
            bad(path, "must be a list of ids", "write '- id' lines")
            return
        for i, ref in enumerate(_ids(value)):
            if ref not in known:
                plural = "trust boundaries" if what == "trust boundary" else f"{what}s"
                bad((*path, str(i)), f"{ref!r} is not the id of any {what}",
                    f"use one of the ids of {plural}, or add it there")

    for title, body in _items(doc, "technical_assets"):
        if not isinstance(body, dict):
            continue
        base = ("technical_assets", title)
        refs((*base, "data_assets_stored"), body.get("data_assets_stored"), data, "data asset")
        refs((*base, "data_assets_processed"), body.get("data_assets_processed"), data, "data asset")
        links = body.get("communication_links")
        if links is not None and not isinstance(links, dict):
            bad((*base, "communication_links"), "must be a mapping of links by title", "write 'Title:' per link")
            continue
        flow_ids: dict[str, str] = {}
        for link_title, link in (links or {}).items():
            lpath = (*base, "communication_links", str(link_title))
            if isinstance(body.get("id"), str):
                flow_id = _flow_id(body["id"], str(link_title))
                if flow_id in flow_ids:
                    bad(lpath, f"has the same link id {flow_id!r} as the link {flow_ids[flow_id]!r}",
                        "Threagile's link id is the title in lower case with '-' for other characters: "
                        "retitle one of the two")
                flow_ids.setdefault(flow_id, str(link_title))
            if not isinstance(link, dict):
                bad(lpath, "must be a mapping of keys", "indent target, protocol … below it")
                continue
            target = link.get("target")
            if target is None or str(target) not in assets:
                bad((*lpath, "target"), "is missing" if target is None else
                    f"{target!r} is not the id of any technical asset", "name the id of the technical asset "
                                                                       "the link goes to")
            elif str(target) == body.get("id"):
                bad((*lpath, "target"), "is the asset itself", "a link goes to another technical asset")
            refs((*lpath, "data_assets_sent"), link.get("data_assets_sent"), data, "data asset")
            refs((*lpath, "data_assets_received"), link.get("data_assets_received"), data, "data asset")
    # Trust boundaries: each asset in one boundary at most, each boundary nested in one parent, no cycle.
    boundaries = ids["trust_boundaries"]
    inside: dict[str, str] = {}
    parent: dict[str, str] = {}
    for title, body in _items(doc, "trust_boundaries"):
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            continue
        base = ("trust_boundaries", title)
        refs((*base, "technical_assets_inside"), body.get("technical_assets_inside"), assets, "technical asset")
        refs((*base, "trust_boundaries_nested"), body.get("trust_boundaries_nested"), boundaries, "trust boundary")
        for i, asset in enumerate(_ids(body.get("technical_assets_inside"))):
            if asset in inside and inside[asset] != body["id"]:
                bad((*base, "technical_assets_inside", str(i)),
                    f"{asset!r} is already inside the trust boundary {inside[asset]!r}",
                    "list a technical asset in its innermost boundary only; nest the boundaries instead")
            inside.setdefault(asset, body["id"])
        for i, child in enumerate(_ids(body.get("trust_boundaries_nested"))):
            if child == body["id"]:
                bad((*base, "trust_boundaries_nested", str(i)), "nests the boundary in itself",
                    "remove it from its own trust_boundaries_nested")
            elif child in parent and parent[child] != body["id"]:
                bad((*base, "trust_boundaries_nested", str(i)),
                    f"{child!r} is already nested in {parent[child]!r}", "nest a boundary in one boundary only")
            elif child in boundaries:
                parent.setdefault(child, body["id"])
    reported: set[str] = set()
    for start in sorted(parent):
        chain = [start]
        while chain[-1] in parent and parent[chain[-1]] not in chain:
            chain.append(parent[chain[-1]])
        if chain[-1] in parent and parent[chain[-1]] in chain and not reported & set(chain):
            loop = chain[chain.index(parent[chain[-1]]):]
            reported |= set(loop)
            title = boundaries[loop[0]][1]
            bad(("trust_boundaries", title, "trust_boundaries_nested"),
                f"the boundaries are nested in a circle ({' → '.join([*loop, loop[0]])})",
                "nest each boundary inside a larger one only")
    return problems


# ---------------------------------------------------------------------------------------------------
# translating


def translate_threagile(doc: Mapping[str, Any], *, source_name: str) -> ThreagileTranslation:
    """Translate a Threagile model to an OTM 0.2.0 document and the list of what it could not carry.

    Parameters
    ----------
    doc : Mapping
        The Threagile model as read (:func:`read_threagile`, or any YAML reader's mapping; its
        ``includes`` are not followed here).
    source_name : str
        The file's name, used in problems and as the project's id when the model has no title.

    Returns
    -------
    ThreagileTranslation
        ``otm`` (a JSON-ready OTM 0.2.0 dict; technical assets in no boundary get ``parent: {}``) and
        ``remainder`` (the :class:`RemainderItem` s, in the model's order).

    Raises
    ------
    ModelError
        The problems :func:`read_threagile` checks, located at ``source_name`` (without lines): missing or
        duplicate ids, references to nothing, an asset in two boundaries, boundaries nested twice or in a
        circle.

    Examples
    --------
    >>> from pia_analysis.formats.threagile import translate_threagile
    >>> doc = {"threagile_version": "1.0.0", "title": "Demo",
    ...        "data_assets": {"Token": {"id": "token"}},
    ...        "technical_assets": {
    ...            "Web": {"id": "web", "technology": "web-server", "data_assets_processed": ["token"],
    ...                    "communication_links": {"Login": {"target": "idp", "protocol": "https",
    ...                                                      "data_assets_sent": ["token"]}}},
    ...            "IdP": {"id": "idp", "technology": "identity-provider", "data_assets_stored": ["token"]}},
    ...        "trust_boundaries": {"Auth": {"id": "auth", "technical_assets_inside": ["idp"]}},
    ...        "abuse_cases": {"Theft": "As a thief I want the tokens."}}
    >>> t = translate_threagile(doc, source_name="demo.yaml")
    >>> [(c["id"], c["parent"]) for c in t.otm["components"]]
    [('web', {}), ('idp', {'trustZone': 'auth'})]
    >>> f = t.otm["dataflows"][0]
    >>> f["id"], f["bidirectional"], "encrypted" in f["tags"]
    ('web>login', False, True)
    >>> [(r.path, r.what) for r in t.remainder]
    [('abuse_cases/Theft', 'abuse case')]
    """
    if not isinstance(doc, Mapping):
        raise ModelError([Problem(source_name, None, "", "must be a mapping of keys to values",
                                  "a Threagile model is 'key: value' lines: threagile_version, title …")])
    # a document given in memory is scanned here (read_threagile scanned each file, located)
    problems = my_number_problems(dict(doc), source_name)
    if problems:
        raise ModelError(problems)
    problems = _check(doc, lambda _path: (source_name, None))
    if problems:
        raise ModelError(problems)
    remainder: list[RemainderItem] = []

    def text(value: Any) -> str | None:
        return None if value is None else str(value).strip() or None

    # Trust boundaries → trust zones (parents from trust_boundaries_nested).
    parent_of: dict[str, str] = {}
    zone_of: dict[str, str] = {}
    boundaries = [(t, b) for t, b in _items(doc, "trust_boundaries") if isinstance(b, dict)]
    for _title, body in boundaries:
        for child in _ids(body.get("trust_boundaries_nested")):
            parent_of.setdefault(child, body["id"])
        for asset in _ids(body.get("technical_assets_inside")):
            zone_of.setdefault(asset, body["id"])
    kind_of_boundary = {b["id"]: str(b.get("type") or "") for _t, b in boundaries}

    def on_cloud(zone: str) -> bool:
        while True:
            if kind_of_boundary.get(zone) in CLOUD_BOUNDARY_TYPES:
                return True
            if zone not in parent_of:
                return False
            zone = parent_of[zone]

    zones = []
    for title, body in boundaries:
        zone: dict[str, Any] = {"id": body["id"], "name": title, "type": str(body.get("type") or "trust-boundary"),
                                "description": text(body.get("description")),
                                "risk": {"trustRating": CLOUD_TRUST if on_cloud(body["id"]) else OWN_TRUST}}
        if body["id"] in parent_of:
            zone["parent"] = {"trustZone": parent_of[body["id"]]}
        zones.append(_clean(zone))

    # Data assets → assets.
    otm_assets = []
    for title, body in _items(doc, "data_assets"):
        otm_assets.append(_clean({
            "id": body["id"], "name": title, "description": text(body.get("description")),
            "risk": {"confidentiality": _rating(body.get("confidentiality"), CONFIDENTIALITY),
                     "integrity": _rating(body.get("integrity"), CRITICALITY),
                     "availability": _rating(body.get("availability"), CRITICALITY),
                     "comment": text(body.get("justification_cia_rating"))},
            # OTM 0.2.0 gives assets no tags; they are kept (the schema allows more keys) since the
            # importer guesses My Numbers from an asset's name and tags.
            "tags": _ids(body.get("tags")),
        }))

    # Technical assets → components; communication links → dataflows.
    technical = [(t, b) for t, b in _items(doc, "technical_assets") if isinstance(b, dict)]
    processed_by_link: dict[str, list[str]] = {}
    flows = []
    for title, body in technical:
        for link_title, link in (body.get("communication_links") or {}).items():
            sent, received = _ids(link.get("data_assets_sent")), _ids(link.get("data_assets_received"))
            carried = list(dict.fromkeys(sent + received))
            # Threagile's parser adds a link's data to what its target processes (pkg/model/parse.go).
            processed_by_link.setdefault(str(link["target"]), []).extend(carried)
            protocol = str(link.get("protocol") or "unknown-protocol")
            # A VPN encrypts the channel whatever runs in it (the importer reads the tag vpn so too).
            encrypted = protocol in ENCRYPTED_PROTOCOLS or link.get("vpn") is True
            readonly = link.get("readonly") is True
            tags = [*_ids(link.get("tags")), f"protocol:{protocol}", "encrypted" if encrypted else "unencrypted"]
            tags += ["readonly"] if readonly else []
            tags += ["vpn"] if link.get("vpn") is True else []
            flows.append(_clean({
                "id": _flow_id(body["id"], str(link_title)), "name": str(link_title),
                "description": text(link.get("description")),
                "bidirectional": bool(sent) and bool(received) and not readonly,
                "source": body["id"], "destination": str(link["target"]),
                "assets": carried, "tags": tags,
            }))
    components = []
    for title, body in technical:
        ident = body["id"]
        stored = _ids(body.get("data_assets_stored"))
        processed = [a for a in dict.fromkeys(_ids(body.get("data_assets_processed"))
                                              + processed_by_link.get(ident, [])) if a not in stored]
        technology = str(body.get("technology") or "unknown-technology")
        kind = _kind(technology, str(body.get("type") or ""))
        # The kind as the tag word the importer reads first (formats/otm._KIND_WORDS): store, terminal,
        # network, external; a plain system needs none.
        tags = [*_ids(body.get("tags")), *([kind] if kind != "system" else []),
                f"threagile-type:{body.get('type') or 'process'}"]
        # On the internet: outside, and an entry point (the importer reads the tag external as both).
        tags += ["internet", "external"] if body.get("internet") is True else []
        tags += ["out-of-scope"] if body.get("out_of_scope") is True else []
        components.append(_clean({
            "id": ident, "name": title, "type": technology, "description": text(body.get("description")),
            # No boundary: an empty parent, which the OTM importer reads as its zone UNZONED (an assumption
            # it lists) — the one place the document departs from OTM 0.2.0, which requires a parent.
            "parent": {"trustZone": zone_of[ident]} if ident in zone_of else {},
            "assets": {"stored": stored, "processed": processed}, "tags": list(dict.fromkeys(tags)),
        }, keep=("parent",)))
        if body.get("out_of_scope") is True:
            remainder.append(RemainderItem(
                f"technical_assets/{title}/out_of_scope", ident, "out of scope",
                "imported as a system like the others (its links and data matter for exposure); Threagile finds no "
                "risks for it" + (f" — {text(body.get('justification_out_of_scope'))}"
                                  if text(body.get("justification_out_of_scope")) else "")))

    # Everything else: listed.
    reasons = {
        "risk_tracking": ("risk tracking", "keyed by Threagile's risk ids, not this toolkit's finding ids: record a "
                                           "decision in triage.csv against the finding it matches"),
        "abuse_cases": ("abuse case", "no abuse-case element here: consider it when rating Section Ⅲ's risks"),
        "security_requirements": ("security requirement", "no requirement element here: model it as a control "
                                                          "if a measure meets it"),
        "questions": ("question", "no question element here: carry open answers to the 確認事項 by hand"),
        "individual_risk_categories": ("individual risk category", "manual Threagile risks are not imported: add "
                                                                   "a risk or a finding by hand if it concerns "
                                                                   "specific personal information"),
        "shared_runtimes": ("shared runtime", "no shared-runtime element here: systems on one runtime are "
                                              "separate systems"),
    }
    for key, (what, reason) in reasons.items():
        for title, body in _items(doc, key):
            detail = ""
            if key == "risk_tracking" and isinstance(body, dict) and body.get("status"):
                detail = f" (status {body['status']})"
            ident = str(body.get("id")) if isinstance(body, dict) and body.get("id") else title
            remainder.append(RemainderItem(f"{key}/{title}", ident, what + detail, reason))
    for key in doc:
        if str(key) not in _MAPPED_KEYS | _IGNORED_KEYS | set(reasons) and doc[key] not in (None, "", [], {}):
            remainder.append(RemainderItem(str(key), str(key), "model key", "not carried into OTM"))

    overview = doc.get("business_overview") if isinstance(doc.get("business_overview"), dict) else {}
    name = text(doc.get("title")) or Path(source_name).stem
    project = _clean({
        "name": name, "id": _slug(name) or "threagile-model",
        "description": text(overview.get("description")) or text(doc.get("management_summary_comment")),
    })
    otm = {"otmVersion": OTM_VERSION, "project": project, "assets": otm_assets, "trustZones": zones,
           "components": components, "dataflows": flows}
    return ThreagileTranslation(otm, tuple(remainder))


def threagile_to_otm(doc: Mapping[str, Any], *, source_name: str) -> dict[str, Any]:
    """A Threagile model as an OTM 0.2.0 document (the ``otm`` of :func:`translate_threagile`).

    Parameters
    ----------
    doc : Mapping
        The Threagile model as read (:func:`read_threagile`).
    source_name : str
        The file's name, used in problems and as the project's id when the model has no title.

    Returns
    -------
    dict
        The OTM document, JSON-ready; what it cannot carry is in :func:`translate_threagile`'s remainder.

    Raises
    ------
    ModelError
        As :func:`translate_threagile`.

    Examples
    --------
    >>> from pia_analysis.formats.threagile import threagile_to_otm
    >>> otm = threagile_to_otm({"threagile_version": "1.0.0", "title": "Demo",
    ...                         "trust_boundaries": {"Outer": {"id": "outer", "trust_boundaries_nested": ["inner"]},
    ...                                              "Inner": {"id": "inner"}}}, source_name="demo.yaml")
    >>> otm["otmVersion"], [(z["id"], z.get("parent")) for z in otm["trustZones"]]
    ('0.2.0', [('outer', None), ('inner', {'trustZone': 'outer'})])
    """
    return translate_threagile(doc, source_name=source_name).otm


def from_threagile(path: str | os.PathLike[str], *, assessed_on: dt.date | None = None) -> OtmImport:
    r"""Import a Threagile model: read it (:func:`read_threagile`), translate it to OTM, import that.

    The OTM importer (:func:`~pia_analysis.formats.otm.from_otm`) makes the model; its remainder gets the
    Threagile remainder first (risk tracking, abuse cases, out-of-scope marks …; ``otm_path`` is then the
    Threagile path, ``risk_tracking/…``), so that the import report lists everything not carried.

    Parameters
    ----------
    path : str or os.PathLike
        The Threagile YAML file.
    assessed_on : datetime.date, optional
        The ``assessed_on`` placeholder of the model (default: today).

    Returns
    -------
    OtmImport
        The model, the remainder (Threagile's, then the OTM importer's), the placeholders, the assumptions.

    Raises
    ------
    ModelError
        Every located problem of the file (:func:`read_threagile`) or of its translation (the OTM importer's
        checks, located in the OTM document); nothing is made.

    Examples
    --------
    >>> import datetime, tempfile, pathlib
    >>> from pia_analysis.formats.threagile import from_threagile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "threagile.yaml").write_text(
    ...     "threagile_version: 1.0.0\ntitle: Demo\n"
    ...     "data_assets:\n  Resident Record (My Number):\n    id: resident\n"
    ...     "technical_assets:\n  DB:\n    id: db\n    technology: database\n"
    ...     "    data_assets_stored: [resident]\n"
    ...     "abuse_cases:\n  Theft: As a thief I want the records.\n", encoding="utf-8")
    >>> imported = from_threagile(d / "threagile.yaml", assessed_on=datetime.date(2026, 4, 1))
    >>> imported.model.systems[["system_id", "zone_id", "kind", "holds"]].values.tolist()
    [['db', 'UNZONED', 'store', ['resident']]]
    >>> bool(imported.model.files["contains_my_number"].iloc[0]), imported.remainder["what"].iloc[0]
    (True, 'abuse case')
    """
    label = Path(path).name
    translated = translate_threagile(read_threagile(path), source_name=label)
    imported = from_otm(translated.otm, label, assessed_on=assessed_on)
    ours = pd.DataFrame([{"otm_path": r.path, "otm_id": r.element_id, "what": r.what, "reason": r.reason}
                         for r in translated.remainder], columns=["otm_path", "otm_id", "what", "reason"])
    remainder = pd.concat([ours, imported.remainder], ignore_index=True) if len(imported.remainder) else ours
    return replace(imported, remainder=remainder)


def _kind(technology: str, asset_type: str) -> str:
    """Our system kind of a Threagile technology and technical-asset type (see the tables above)."""
    if technology in TERMINAL_TECHNOLOGIES:
        return "terminal"
    if technology in STORE_TECHNOLOGIES or asset_type == "datastore":
        return "store"
    if technology in NETWORK_TECHNOLOGIES:
        return "network"
    if asset_type == "external-entity":
        return "external"
    return "system"


def _rating(value: Any, scale: tuple[str, ...]) -> int:
    """A Threagile rating on OTM's 0–100 (its rank on the scale); an unknown or missing one is the middle."""
    text = str(value or "").strip()
    rank = scale.index(text) if text in scale else len(scale) // 2
    return rank * 100 // (len(scale) - 1)


def _flow_id(source: str, title: str) -> str:
    """Threagile's own id of a communication link (pkg/model/parse.go, createDataFlowId)."""
    return f"{source}>{_SLUG.sub('-', title.lower()).strip('- ')}"


def _slug(text: str) -> str:
    """A lower-case id of a title."""
    return _SLUG.sub("-", text.lower()).strip("-")


def _clean(element: dict[str, Any], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """The element without empty values (OTM's optional keys are left out rather than null), but ``keep``."""
    return {k: v for k, v in element.items() if k in keep or v not in (None, "", [], {})}
