"""One set of cross-table checks: ids unique and referenced ids present, across the tables of a model.

Used by every reader (directory, workbook) and by scenarios, which re-check the changed tables.
"""

from __future__ import annotations

__all__ = ["Location", "answer_choices", "band_number", "check_declarations", "check_references", "flow_directions",
           "form_answer_problem",
           "document_data_warnings", "organisation_kind_warnings",
           "population_warnings", "cloud_zone_warnings", "transit_warnings", "triage_warnings",
           "validate_tables"]

import re
from typing import Any, Callable, Union

import pandas as pd

from .. import catalog
from ..catalog.sub_measures import sub_measure_catalog
from .cells import (ID_FORBIDDEN, RawTable, empty_table, extra_cell, format_cell, my_number_problem, parse_cell,
                    parse_meta_value)
from .errors import Naming, Problem, unknown_id
from .mynumber import find_my_numbers
from .rated import normalised_rating, rated_item_table, rating_owner
from .schema import (CLOUD_OPERATORS, FINDING_RULE_ELEMENTS, MODEL_KEYS, OUTSOURCED_OPERATORS, RATING_CHOICES,
                     RATING_SETS, REASONED_DECISIONS, TABLES, RowRef, TableRef, Text)


#: Where a row comes from: its table (placed by the reader) or a file label, and its line (None: unknown).
Location = tuple[Union[str, TableRef], Union[int, None]]

_ADD_RISK = ("use catalogue ids such as acquire-1 … retain-3 (self-check, audit, training for Section Ⅳ), or add "
             "the risk to ", TableRef("risks"))
_SET_WORDS = {"section3_rating": "Section Ⅲ", "section4_rating": "Section Ⅳ"}


def check_references(tables: dict[str, RawTable], problems: list[Problem]) -> None:
    """The cross-table checks: ids unique, referenced ids present, flows consistent with what systems hold.

    The checks every reader shares. A row is located as its :class:`~pia_analysis.model.cells.RawTable`
    says, by default in its table (a :class:`~pia_analysis.model.schema.TableRef`), which the reader then
    places (:meth:`~pia_analysis.model.errors.Naming.located`).

    Parameters
    ----------
    tables
        The tables read, by name; None for a table that could not be read (its references are not checked).
    problems
        Where the problems found are appended, neutral.

    Examples
    --------
    >>> from pia_analysis.model.checks import check_references, empty_table, RawTable
    >>> from pia_analysis.model.schema import TABLE_BY_NAME
    >>> zones = RawTable(empty_table(TABLE_BY_NAME["zones"]), [])
    >>> found = []
    >>> check_references({"zones": zones}, found)
    >>> print(found[0])  # doctest: +NORMALIZE_WHITESPACE
    zones.csv:1: has a header but no rows: a model needs at least one zone
    (hint: add a row for each zone under the header)
    """
    built: dict[str, list[tuple[Location, dict[str, Any]]]] = {}

    def rows(name: str) -> list[tuple[Location, dict[str, Any]]]:
        # Built once per table (the checks below read most tables several times, and never change a row).
        if name not in built:
            built[name] = _rows(name)
        return built[name]

    def _rows(name: str) -> list[tuple[Location, dict[str, Any]]]:
        # Each row with its location (its table, or a file label, and line): rows of in-memory tables may
        # come from several files.
        raw = tables.get(name)
        if raw is None:
            return []
        labels = raw.labels if raw.labels is not None else [TableRef(name)] * len(raw.lines)
        # The records built column by column: frame.to_dict("records") takes seconds on a national model.
        columns = [str(c) for c in raw.frame.columns]
        records = [dict(zip(columns, values))
                   for values in zip(*(raw.frame[c].tolist() for c in raw.frame.columns))]
        return list(zip(zip(labels, raw.lines), records))

    def where(first: Location, here: Location) -> Text:
        if first[0] == here[0]:
            return (RowRef(first[1]),)  # "line 3" of a CSV file, "row 3" of a sheet
        place = TableRef(first[0].name, place=True) if isinstance(first[0], TableRef) else first[0]
        return (place, f":{first[1]}") if first[1] else (place,)

    ids: dict[str, set[str]] = {}
    for table in TABLES:
        first: dict[str, tuple[str, int | None]] = {}
        for loc, row in rows(table.name):
            key = row[table.key]
            if not key:
                continue
            if table.unique:  # rows identified by several columns (holdings: a system keeps several files)
                pair = tuple(row.get(c) for c in table.unique)
                if pair in first:
                    message = (f"duplicate row {', '.join(map(repr, pair))} (first on ", *where(first[pair], loc),
                               ")")
                    problems.append(Problem(*loc, table.unique[-1], message, "delete one of the two rows"))
                else:
                    first[pair] = loc
                continue
            if key in first and table.unique_key:
                message = (f"duplicate id {key!r} (first on ", *where(first[key], loc), ")")
                problems.append(Problem(*loc, table.key, message,
                                        "every row needs its own id; rename or merge the rows"))
            elif key not in first:
                first[key] = loc
        raw = tables.get(table.name)
        ids[table.name] = set(first) | (set(raw.malformed_ids) if raw is not None else set())

    def check_ref(loc: Location, column: str, value: str, target: str, hint: str) -> None:
        if value and tables.get(target) is not None and value not in ids[target]:
            problems.append(Problem(*loc, column, f"{value!r} is not a known {hint}",
                                    ("use an id listed in ", TableRef(target), ", or add it there")))

    # A table with a header and no rows: a model needs zones and systems; no files, flows, controls, risks
    # or ratings is a gap the analyses report, not a format error.
    for name, what in (("zones", "zone"), ("systems", "system")):
        raw = tables.get(name)
        if raw is not None and raw.frame.empty and not raw.malformed_ids:
            problems.append(Problem(TableRef(name), 1, "",
                                    f"has a header but no rows: a model needs at least one {what}",
                                    f"add a row for each {what} under the header"))
    catalog_ids = set(catalog.risk_catalog()["risk_id"])
    for loc, row in rows("systems"):
        check_ref(loc, "zone_id", row["zone_id"], "zones", "zone_id")
        for f in row["holds"]:
            check_ref(loc, "holds", f, "files", "file_id")
        for f in row.get("processes") or ():
            check_ref(loc, "processes", f, "files", "file_id")
    _check_parent_zones(rows("zones"), ids, check_ref, problems)
    for loc, row in rows("holdings"):
        check_ref(loc, "system_id", row["system_id"], "systems", "system_id")
        check_ref(loc, "file_id", row["file_id"], "files", "file_id")
    # a flow carries a file held or processed (passing through, issue 18) at one of its ends
    holds = {row["system_id"]: set(row["holds"]) | set(row.get("processes") or ()) for _l, row in rows("systems")}
    both = ids["systems"] & ids["flows"]
    for loc, row in rows("flows"):
        if row["flow_id"] in both:
            problems.append(Problem(*loc, "flow_id", f"{row['flow_id']!r} is also a system_id",
                                    "controls name systems and flows by id, so the two must differ; rename one"))
        check_ref(loc, "source", row["source"], "systems", "system_id")
        check_ref(loc, "target", row["target"], "systems", "system_id")
        if row["source"] and row["source"] == row["target"]:
            problems.append(Problem(*loc, "target", "is the same system as source",
                                    "a flow goes between two different systems"))
        for f in row["files"]:
            check_ref(loc, "files", f, "files", "file_id")
            if f in ids["files"] and row["source"] in holds and row["target"] in holds:
                if f not in holds[row["source"]] and f not in holds[row["target"]]:
                    problems.append(Problem(*loc, "files",
                                            f"carries {f!r}, which neither {row['source']!r} nor {row['target']!r} "
                                            f"holds",
                                            (f"add {f} to the holds (kept there) or processes (passing through) of "
                                             f"one of them in ", TableRef("systems"), ", or remove it from this "
                                             "flow")))
    risk_ids = catalog_ids | ids["risks"]
    # Section Ⅳ's rated items are mitigated by the controls that name them (training, audits, self-checks).
    section4 = set(catalog.rated_items().query("section == 'Ⅳ'")["rated_item_id"])
    for loc, row in rows("risks"):
        if row["risk_id"] in catalog_ids:
            problems.append(Problem(*loc, "risk_id", f"{row['risk_id']!r} is already a catalogue risk",
                                    "extra risks need their own ids, e.g. use-5 or retain-x1"))
    elements = ids["systems"] | ids["flows"]
    for loc, row in rows("controls"):
        for r in row["mitigates"]:
            if r not in risk_ids and r not in section4:
                problems.append(Problem(*loc, "mitigates", f"{r!r} is not a known risk id",
                                        _ADD_RISK))
        targets = row["applies_to"]
        if "*" in targets and len(targets) > 1:
            problems.append(Problem(*loc, "applies_to", "mixes * with ids",
                                    "write * alone for an organisation-wide control, or list ids"))
        for t in targets:
            if t != "*" and t not in elements and tables.get("systems") is not None and tables.get("flows") is not None:
                problems.append(Problem(*loc, "applies_to", f"{t!r} is neither a system_id nor a flow_id",
                                        ("use ids from ", TableRef("systems"), " or ", TableRef("flows"),
                                         ", or * for all")))
    # ratings.csv names rated items (model.rated): each risk, the 委託 block, the items of Section Ⅳ; a risk of
    # the block is accepted (a model of the previous version: folded with a warning by the readers).
    risks_raw = tables.get("risks")
    items = rated_item_table(risks_raw.frame if risks_raw is not None else None)
    owner = rating_owner(items)
    item_set = dict(zip(items["rated_item_id"], items["choice_set"]))
    for loc, row in rows("ratings"):
        rid, rating = row["risk_id"], row["rating"]
        if rid and rid not in owner:
            problems.append(Problem(*loc, "risk_id", f"{rid!r} is not a rated item",
                                    ("rate acquire-1 … use-4, outsource (the five outsourcing risks are one block), "
                                     "provide-1 … retain-3, self-check, audit or training, or add the risk to ",
                                     TableRef("risks")) if rid not in risk_ids else "rate the block it belongs to"))
            continue
        choice_set = item_set.get(owner.get(rid, ""))
        # a word of no set is the column's enum problem, reported by the cell parser: not twice
        if (rid and rating in RATING_CHOICES and choice_set
                and normalised_rating(rating, choice_set) not in RATING_SETS[choice_set]):
            other = next((name for name, labels in RATING_SETS.items() if rating in labels), None)
            said = f" ({_SET_WORDS.get(other, other)}'s choice)" if other else ""
            problems.append(Problem(*loc, "rating",
                                    f"{rating!r}{said} is not a choice of {rid!r} "
                                    f"({f'rated as {owner[rid]!r}, ' if owner[rid] != rid else ''}"
                                    f"{_SET_WORDS.get(choice_set, choice_set)})",
                                    f"write one of {', '.join(RATING_SETS[choice_set])}"))
    _check_control_status(rows("controls"), rows("control_status"), elements,
                          tables.get("systems") is not None and tables.get("flows") is not None, problems)
    _check_triage(rows("triage"), problems)
    _check_sub_measures(rows("controls"), rows("sub_measures"), problems)
    _check_document_tables(tables, rows, ids, check_ref, where, problems)


def _check_parent_zones(zones: list[tuple[Location, dict[str, Any]]], ids: dict[str, set[str]], check_ref: Any,
                        problems: list[Problem]) -> None:
    """``parent_zone``: a known zone, not the zone itself, and no cycle of zones inside each other.

    A cycle is reported once, at the row of its first zone in file order, naming the zones around it.
    """
    parent: dict[str, str] = {}
    where: dict[str, Location] = {}
    for loc, row in zones:
        zid, up = row["zone_id"], row.get("parent_zone") or ""
        if not up:
            continue
        if up == zid:
            problems.append(Problem(*loc, "parent_zone", "is the zone itself",
                                    "a zone lies inside another zone, or leave parent_zone empty"))
            continue
        check_ref(loc, "parent_zone", up, "zones", "zone_id")
        if up in ids["zones"] and zid not in parent:
            parent[zid] = up
            where[zid] = loc
    reported: set[str] = set()
    for zid in where:  # file order
        path = [zid]
        seen = {zid}
        while path[-1] in parent:
            up = parent[path[-1]]
            if up in seen:
                cycle = path[path.index(up):]
                if not reported & set(cycle):
                    reported |= set(cycle)
                    first = min(cycle, key=list(where).index)
                    ring = cycle[cycle.index(first):] + cycle[:cycle.index(first)] + [first]
                    problems.append(Problem(*where[first], "parent_zone",
                                            f"zones lie inside each other in a cycle: {' → '.join(ring)}",
                                            "a zone cannot lie inside itself: empty the parent_zone of the "
                                            "outermost of them"))
                break
            path.append(up)
            seen.add(up)


def _check_control_status(controls: list[tuple[Location, dict[str, Any]]],
                          statuses: list[tuple[Location, dict[str, Any]]], elements: set[str], known: bool,
                          problems: list[Problem]) -> None:
    """The control_status rows: a known control, and an element it applies to (any system or flow for ``*``).

    Duplicated (control, element) pairs are the generic check of the table's ``unique`` columns.
    """
    applies = {row["control_id"]: list(row["applies_to"] or ()) for _l, row in controls}
    for loc, row in statuses:
        cid, element = row["control_id"], row["element"]
        if not cid or not element or ID_FORBIDDEN.search(element):  # an invalid id is the cell's problem
            continue
        if cid not in applies:
            problems.append(Problem(*loc, "control_id", f"{cid!r} is not a known control_id",
                                    ("use an id listed in ", TableRef("controls"), ", or add it there")))
            continue
        targets = applies[cid]
        if "*" in targets:
            if known and element not in elements:
                problems.append(Problem(*loc, "element", f"{element!r} is neither a system_id nor a flow_id",
                                        (f"{cid} applies to * (everything): name a system of ", TableRef("systems"),
                                         " or a flow of ", TableRef("flows"))))
        elif element not in targets:
            problems.append(Problem(*loc, "element", f"{cid!r} does not apply to {element!r}",
                                    (f"name an element of its applies_to ({';'.join(targets)}), or add "
                                     f"{element} to its applies_to in ", TableRef("controls"))))


# a finding id: rule@element, neither part empty nor holding a space, ';', ',', '*' or a second '@'
_FINDING_ID = re.compile(r"[^@\s;,*]+@[^@\s;,*]+")


def _check_triage(decisions: list[tuple[Location, dict[str, Any]]], problems: list[Problem]) -> None:
    """The triage rows on their own: a well-formed finding id, a reason, a due date, dates in order.

    Whether the finding exists is a warning (:func:`triage_warnings`), not an error: a decision outlives a
    finding the model no longer gives.
    """
    for loc, row in decisions:
        fid, decision = row["finding_id"], row["decision"]
        if fid and not _FINDING_ID.fullmatch(fid):
            problems.append(Problem(*loc, "finding_id", f"{fid!r} is not a finding id (rule@element)",
                                    "copy the finding_id from pia-analysis findings, e.g. exposed-mn-holder@WEB"))
        if decision in REASONED_DECISIONS and not (row.get("reason") or "").strip():
            problems.append(Problem(*loc, "reason", f"is empty: a decision {decision} needs its reason",
                                    "write why the finding is accepted or is no real risk (the briefing shows it)"))
        decided, review = row.get("decided_on"), row.get("review_on")
        if decision == "fixing" and review is None:
            problems.append(Problem(*loc, "review_on", "is empty: a decision fixing needs its due date",
                                    "write the day the fix is due; past it the finding shows as open again"))
        if decided is not None and review is not None and review < decided:
            problems.append(Problem(*loc, "review_on", f"{review.isoformat()} is before decided_on "
                                                       f"({decided.isoformat()})",
                                    "a decision is reviewed on or after the day it was made"))


def triage_warnings(tables: dict[str, RawTable | None]) -> list[Problem]:
    """Warnings for decisions about findings the model can no longer give (no findings are run).

    A ``triage.csv`` row whose rule is not a rule of the findings
    (:data:`~pia_analysis.model.schema.FINDING_RULE_ELEMENTS`), or whose element is no element of the kind
    the rule names (a system, flow, zone, or rated item), is a decision about a finding that no longer
    exists: the model is whole, the decision is left over (the CLI prints it; ``--strict`` makes it an error).

    Parameters
    ----------
    tables
        The tables as a reader read them (table name → :class:`~pia_analysis.model.cells.RawTable`); a table
        missing or None: no warning.

    Returns
    -------
    list of Problem
        One warning per such row, at its ``finding_id``.

    Examples
    --------
    >>> import pandas as pd
    >>> from pia_analysis.model.cells import RawTable
    >>> from pia_analysis.model.checks import triage_warnings
    >>> systems = RawTable(pd.DataFrame({"system_id": ["WEB"]}), [2])
    >>> triage = RawTable(pd.DataFrame({"finding_id": ["exposed-mn-holder@WEB", "exposed-mn-holder@OLD"]}), [2, 3])
    >>> print(*triage_warnings({"systems": systems, "triage": triage}))  # doctest: +NORMALIZE_WHITESPACE
    triage.csv:3: finding_id: decision about a finding that no longer exists: 'OLD' is no system of the model
    (hint: delete the row, or correct the id to one of pia-analysis findings)
    """
    raw = tables.get("triage")
    if raw is None or raw.frame.empty:
        return []
    known: dict[str, set[str] | None] = {}
    for kind, name, key in (("system", "systems", "system_id"), ("flow", "flows", "flow_id"),
                            ("zone", "zones", "zone_id")):
        table = tables.get(name)
        known[kind] = set(map(str, table.frame[key])) if table is not None and key in table.frame else None
    risks = tables.get("risks")
    known["risk"] = set(rated_item_table(risks.frame if risks is not None else None)["rated_item_id"])
    out = []
    labels = raw.labels if raw.labels is not None else [TableRef("triage")] * len(raw.frame)
    lines = list(raw.lines) + [None] * (len(raw.frame) - len(raw.lines))
    hint = "delete the row, or correct the id to one of pia-analysis findings"
    for label, line, fid in zip(labels, lines, raw.frame["finding_id"]):
        if not _FINDING_ID.fullmatch(str(fid)):
            continue  # an error of its own
        rule, _at, element = str(fid).partition("@")
        kind = FINDING_RULE_ELEMENTS.get(rule)
        if kind is None:
            out.append(Problem(label, line, "finding_id", f"decision about a finding that no longer exists: "
                                                          f"{rule!r} is no rule of the findings", hint))
        elif known[kind] is not None and element not in known[kind]:
            what = "rated item" if kind == "risk" else kind
            out.append(Problem(label, line, "finding_id", f"decision about a finding that no longer exists: "
                                                          f"{element!r} is no {what} of the model", hint))
    return out


def transit_warnings(tables: dict[str, RawTable | None]) -> list[Problem]:
    """Warnings on ``processes``: a file both held and processed, a processed file no flow carries.

    A file in both ``holds`` and ``processes`` of a system is treated as held (kept there: records at stake,
    retention); a file a system processes that no flow to or from it carries passes through nowhere, which
    is a slip (a missing flow, or a file that belongs in ``holds``).

    Parameters
    ----------
    tables
        The tables as a reader read them (``systems`` and ``flows``); a table missing or None: no warning.

    Returns
    -------
    list of Problem
        The warnings, at the system's ``processes`` cell, in row order.

    Examples
    --------
    >>> import pandas as pd
    >>> from pia_analysis.model.cells import RawTable
    >>> from pia_analysis.model.checks import transit_warnings
    >>> systems = RawTable(pd.DataFrame({"system_id": ["WEB"], "holds": [["T"]], "processes": [["T", "U"]]}), [2])
    >>> flows = RawTable(pd.DataFrame({"source": [], "target": [], "files": []}), [])
    >>> for w in transit_warnings({"systems": systems, "flows": flows}):
    ...     print(w)  # doctest: +NORMALIZE_WHITESPACE
    systems.csv:2: processes: 'T' is both held and processed by 'WEB': it is treated as held (kept there)
    (hint: remove it from processes, or from holds if it only passes through)
    systems.csv:2: processes: 'U' passes through 'WEB', but no flow to or from 'WEB' carries it
    (hint: add it to the files of a flow of WEB in flows.csv, or remove it from processes)
    """
    systems, flows = tables.get("systems"), tables.get("flows")
    if systems is None or "processes" not in systems.frame or systems.frame.empty:
        return []
    carried: dict[str, set[str]] = {}
    if flows is not None:
        for source, target, files in zip(flows.frame["source"], flows.frame["target"], flows.frame["files"]):
            for end in (source, target):
                carried.setdefault(str(end), set()).update(files or ())
    out = []
    labels = systems.labels if systems.labels is not None else [TableRef("systems")] * len(systems.frame)
    lines = list(systems.lines) + [None] * (len(systems.frame) - len(systems.lines))
    for label, line, sid, holds, processes in zip(labels, lines, systems.frame["system_id"], systems.frame["holds"],
                                                  systems.frame["processes"]):
        for f in processes or ():
            if f in (holds or ()):
                out.append(Problem(label, line, "processes", f"{f!r} is both held and processed by {sid!r}: it is "
                                                             "treated as held (kept there)",
                                   "remove it from processes, or from holds if it only passes through"))
            elif flows is not None and f not in carried.get(str(sid), set()):
                out.append(Problem(label, line, "processes", f"{f!r} passes through {sid!r}, but no flow to or from "
                                                             f"{sid!r} carries it",
                                   (f"add it to the files of a flow of {sid} in ", TableRef("flows"),
                                    ", or remove it from processes")))
    return out


def _check_sub_measures(controls: list[tuple[Location, dict[str, Any]]],
                        answers: list[tuple[Location, dict[str, Any]]], problems: list[Problem]) -> None:
    """The sub-measures named by controls and answered in sub_measures: known ids, answers of their kind.

    A choice sub-measure takes one of its choices in ``answer`` (its attached text in ``detail``); a text
    sub-measure (「…の内容」) takes its text in ``detail`` and leaves ``answer`` empty. Duplicates are the
    generic duplicate-id check.
    """
    if not controls and not answers:
        return
    cat = sub_measure_catalog().set_index("sub_measure_id")
    known = cat.index.tolist()

    def unknown(loc: Location, column: str, value: str) -> None:
        # the message names the close matches; the hint the ids of the same rated item, else where they are
        message = str(unknown_id("sub-measure", value, known, "the catalogue")).partition(" (known: ")[0]
        same = [k for k in known if k.split(".")[0] == value.split(".")[0]]
        hint = (f"the sub-measures of {value.split('.')[0]} are {', '.join(same)}" if same else
                f"use one of the {len(known)} sub_measure_ids listed in docs/sub-measures.md "
                f"(catalog/sub_measures.csv), e.g. use-2.user-auth")
        problems.append(Problem(*loc, column, message, hint))

    for loc, row in controls:
        for sid in row.get("sub_measures") or []:
            if sid not in cat.index:
                unknown(loc, "sub_measures", sid)
    for loc, row in answers:
        sid, answer, detail = row["sub_measure_id"], row.get("answer", ""), row.get("detail", "")
        if not sid:
            continue
        if sid not in cat.index:
            unknown(loc, "sub_measure_id", sid)
            continue
        item = cat.loc[sid]
        choices = item["choices"]
        if item["kind"] == "text":
            if answer:
                problems.append(Problem(*loc, "answer", f"{sid} ({item['label_ja']}) is answered by text, not a choice",
                                        "write the text in detail and leave answer empty"))
            elif not detail:
                problems.append(Problem(*loc, "detail", f"is empty: {sid} ({item['label_ja']}) is answered by text",
                                        "write the measures in detail, or remove the row to leave it unanswered"))
        elif answer not in choices:
            what = "is empty" if not answer else f"{answer!r} is not a choice of {sid} ({item['label_ja']})"
            problems.append(Problem(*loc, "answer", what,
                                    f"the choices are {' / '.join(choices)}"
                                    + ("" if answer else "; or remove the row to leave it unanswered")))




def _check_document_tables(tables: dict[str, RawTable], rows: Any, ids: dict[str, set[str]], check_ref: Any,
                           where: Any, problems: list[Problem]) -> None:
    """The document-only tables against the model: the file, system, flow and layout item each row names.

    ``file_details.file_id`` is a file; ``recipients.system_id`` the target of a ``provide`` flow; each id of
    ``outsourcing.covers`` a contractor- or subcontractor-run system or an ``outsource`` flow, in one row at
    most; ``form_answers`` names an item of a packaged layout, the unit its block repeats over, and an answer
    of the item's kind (:func:`form_answer_problem`).
    """
    for loc, row in rows("file_details"):
        check_ref(loc, "file_id", row["file_id"], "files", "file_id")
    flows = [row for _l, row in rows("flows")]
    operator = {row["system_id"]: row["operator"] for _l, row in rows("systems")}
    provided_to = {row["target"] for row in flows if row["stage"] == "provide"}
    outsource_flows = {row["flow_id"] for row in flows if row["stage"] == "outsource"}
    contractor_systems = {sid for sid, op in operator.items() if op in OUTSOURCED_OPERATORS}
    known_flows = tables.get("flows") is not None and tables.get("systems") is not None
    for loc, row in rows("recipients"):
        sid = row["system_id"]
        if sid and tables.get("systems") is not None and sid not in ids["systems"]:
            check_ref(loc, "system_id", sid, "systems", "system_id")
        elif sid and known_flows and sid not in provided_to:
            problems.append(Problem(*loc, "system_id", f"{sid!r} is not the target of a provide flow",
                                    ("a recipient (提供先・移転先) is where a flow of the provide stage goes: add "
                                     "that flow to ", TableRef("flows"), ", or remove this row")))
    first: dict[str, Location] = {}
    for loc, row in rows("outsourcing"):
        for unit in row.get("covers") or []:
            if not known_flows:
                break
            if unit in ids["systems"]:
                if unit not in contractor_systems:
                    problems.append(Problem(*loc, "covers", f"system {unit!r} is run by "
                                            f"{operator.get(unit) or 'nobody named'}, not by a contractor",
                                            ("a 委託事項 covers systems run by a contractor or subcontractor "
                                             "(their operator in ", TableRef("systems"),
                                             ") and flows of the outsource stage")))
                    continue
            elif unit in ids["flows"]:
                if unit not in outsource_flows:
                    problems.append(Problem(*loc, "covers", f"flow {unit!r} is not of the outsource stage",
                                            ("a 委託事項 covers flows of the outsource stage (", TableRef("flows"),
                                             ") and systems run by a contractor or subcontractor")))
                    continue
            else:
                problems.append(Problem(*loc, "covers", f"{unit!r} is neither a system_id nor a flow_id",
                                        ("use ids from ", TableRef("systems"), " or ", TableRef("flows"))))
                continue
            if unit in first:
                problems.append(Problem(*loc, "covers", (f"{unit!r} is already covered by another 委託事項 (",
                                                         *where(first[unit], loc), ")"),
                                        "each system or flow belongs to one 委託事項: remove it from one of the rows"))
            else:
                first[unit] = loc
    answers = rows("form_answers")
    if not answers:
        return
    from ..catalog.layout import FORMS, form_layout

    layout = {row["item_id"]: row for form in FORMS for row in form_layout(form).to_dict("records")}
    units = {
        "file": ids["files"],
        "system": ids["systems"],
        "outsourcing": ids["outsourcing"] | contractor_systems | outsource_flows,
        "recipient": provided_to,
    }
    seen: dict[tuple[str, str], Location] = {}
    for loc, row in answers:
        item_id, unit = row["item_id"], row.get("unit") or ""
        item = layout.get(item_id)
        if item is None:
            if item_id:
                message = str(unknown_id("layout item", item_id, list(layout), "catalog/form_layout.csv"))
                problems.append(Problem(*loc, "item_id", message.partition(" (known: ")[0],
                                        "use an item_id of catalog/form_layout.csv (docs/assessment.md: "
                                        "full.…, focused.…, basic.…)"))
            continue
        repeat = item["repeat"]
        if repeat == "change":
            problems.append(Problem(*loc, "item_id", f"{item_id} is a row of 別添3 変更箇所, written from the diff "
                                    "against previous", "change the model instead; 別添3 follows"))
            continue
        if not repeat and unit:
            problems.append(Problem(*loc, "unit", f"{item_id} is an item of the whole document: it has no unit",
                                    "leave unit empty"))
            continue
        if repeat and (tables.get("files") is not None and tables.get("systems") is not None
                       and tables.get("flows") is not None) and unit not in units.get(repeat, set()):
            what = {"file": "a file_id", "system": "a system_id",
                    "outsourcing": "an outsourcing_id, a contractor-run system_id or an outsource flow_id",
                    "recipient": "the system_id of the target of a provide flow"}.get(repeat, "a unit")
            problems.append(Problem(*loc, "unit",
                                    "is empty" if not unit else f"{unit!r} is not "
                                    f"{'an' if repeat[0] in 'aeiou' else 'a'} {repeat} unit of this model",
                                    f"{item_id} is written per {repeat}: give {what}"))
            continue
        if (item_id, unit) in seen:
            problems.append(Problem(*loc, "item_id", (f"{item_id}{' for ' + unit if unit else ''} is answered twice "
                                                      "(first on ", *where(seen[(item_id, unit)], loc), ")"),
                                    "keep one answer"))
            continue
        seen[(item_id, unit)] = loc
        found = form_answer_problem(item, row.get("answer") or "")
        if found is not None:
            problems.append(Problem(*loc, "answer", *found))


#: The words a count may carry after its number in an answer (5年, 1,000人, 30項目, 10件).
COUNT_WORDS = ("年", "人", "項目", "件")


def band_number(text: str) -> int | None:
    """The whole number an answer to a band item writes, with its digit commas and count word; None if none.

    ``1,000人``, ``1000人``, ``１０００`` and ``5年`` are numbers (what ``docs/assessment.md`` promises for a
    band answer); a band label (``10人以上50人未満``), a negative or a fraction is not.

    Parameters
    ----------
    text
        The answer as written.

    Returns
    -------
    int or None
        The number, or None when the text is not a whole number.

    Examples
    --------
    >>> from pia_analysis.model.checks import band_number
    >>> band_number("1,000人"), band_number("1000人"), band_number(" 5年 "), band_number("10人以上50人未満")
    (1000, 1000, 5, None)
    """
    from .cells import nfkc

    number = nfkc(str(text)).strip().replace(",", "")
    for word in COUNT_WORDS:
        if number.endswith(word):
            number = number[: -len(word)].strip()
            break
    return int(number) if number.isascii() and number.isdigit() else None


#: その他 with its text, as a choice answer writes it: その他（USB）, その他(USB).
_OTHER_WITH_TEXT = re.compile(r"(その他)\s*[（(](.*)[）)]", re.S)
OTHER_LABEL = "その他"


def answer_choices(text: str, label_of: Callable[[str], str | None], separators: str = ";；"
                   ) -> tuple[list[tuple[str, str]], list[str]]:
    """The choices a written answer names, each with its その他 text, and the parts that are no choice.

    The answer is split at ``separators`` outside brackets (``;`` and the full-width ``；`` in
    ``form_answers.csv``; the writer also splits at ``、``, the way the document prints several); a part is a
    choice when ``label_of`` knows it, or ``その他（text）`` / ``その他(text)`` when the set has その他. A choice
    repeated (``紙;紙``) is folded into one, its その他 texts joined: the answer means the same.

    Parameters
    ----------
    text
        The answer as written.
    label_of
        The label of the item's choice set a part names (exactly, or by an alias), None when it names none.
    separators
        The characters between two choices.

    Returns
    -------
    tuple of (list of (str, str), list of str)
        The chosen labels in the order written, each with its その他 text ("" for none), and the parts that
        are not a choice.

    Examples
    --------
    >>> from pia_analysis.model.checks import answer_choices
    >>> labels = {"紙": "紙", "その他": "その他", "電子記録媒体": "電子記録媒体"}
    >>> answer_choices("紙；その他（USB、CD）;紙", labels.get)
    ([('紙', ''), ('その他', 'USB、CD')], [])
    >>> answer_choices("紙;郵便", labels.get)
    ([('紙', '')], ['郵便'])
    """
    parts, current, depth = [], [], 0
    for char in text:
        if char in "（(":
            depth += 1
        elif char in "）)":
            depth = max(0, depth - 1)
        if depth == 0 and char in separators:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    chosen: dict[str, list[str]] = {}
    wrong: list[str] = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        label, other = label_of(part), ""
        if label is None and (found := _OTHER_WITH_TEXT.fullmatch(part)) and label_of(OTHER_LABEL) == OTHER_LABEL:
            label, other = OTHER_LABEL, found.group(2).strip()
        if label is None:
            wrong.append(part)
            continue
        texts = chosen.setdefault(label, [])
        if other and other not in texts:
            texts.append(other)
    return [(label, "、".join(texts)) for label, texts in chosen.items()], wrong


def form_answer_problem(item: dict[str, Any], answer: str) -> tuple[str, str] | None:
    """Why ``answer`` does not fit a layout item (its kind, choice set, band), as (message, hint); None if it fits.

    A ``choice`` takes one label of its set (``catalog/choice_sets.csv``), a ``multi_choice`` one or more
    separated by ``;`` (主な記録項目: the items of ``record_item_categories.csv``); a ``band`` a whole number or
    a label of its band set (``bands.csv``); a ``date`` a date; a ``check`` a yes/no word; ``text`` anything.
    Ratings and sub-measures have their own tables; headings and blocks take no answer.

    Parameters
    ----------
    item
        A row of :func:`pia_analysis.catalog.layout.form_layout`, as a dict.
    answer
        The answer as written.

    Returns
    -------
    tuple of (str, str) or None
        The message and hint, or None.

    Examples
    --------
    >>> from pia_analysis.catalog.layout import form_layout
    >>> from pia_analysis.model.checks import form_answer_problem
    >>> layout = form_layout("full")
    >>> users = layout.loc[layout["item_id"] == "full.II.3.7.users"].iloc[0].to_dict()
    >>> form_answer_problem(users, "120") is None, form_answer_problem(users, "10人以上50人未満") is None
    (True, True)
    >>> form_answer_problem(users, "many")[0]
    "'many' is neither a number of people nor a band of users"
    >>> form_answer_problem(layout.loc[layout["item_id"] == "full.II.2.1"].iloc[0].to_dict(), "紙")[0]
    "'紙' is not a choice of full.II.2.1 (ファイルの種類)"
    """
    from ..catalog.layout import bands, record_item_categories
    from .cells import parse_meta_value, shorten, truth_value

    kind, choice_set, text = item["kind"], item["choice_set"], answer.strip()
    label = f"{item['item_id']} ({item['label_ja']})"
    if kind in ("heading", "repeat", "table"):
        return f"{label} is a heading or block, not an item with an answer", "answer one of the items under it"
    if kind == "rated":
        return f"{label} is a rating", ("write it in ratings.csv (the ratings sheet)")
    if kind == "sub_measure":
        return f"{label} is a sub-measure of Section Ⅲ", "write it in sub_measures.csv (the sub_measures sheet)"
    if kind == "text":
        return None
    if kind == "date":
        found: list[Problem] = []
        parse_meta_value("answer", text, "date", "", None, found)
        return (str(found[0].message), found[0].hint) if found else None
    if kind == "check":
        return None if truth_value(text) is not None else (f"{shorten(text)!r} is not a yes/no value",
                                                            "write ☑ or ☐ as true or false")
    if kind == "band":
        table = bands(choice_set)
        labels = list(table["label_ja"])
        if text in labels or band_number(text) is not None:
            return None
        return (f"{shorten(text)!r} is neither a number of {table['unit'].iloc[0]} nor a band of {choice_set}",
                f"write a whole number, or one of {' / '.join(labels)}")
    if choice_set == "record_item_categories":
        labels = list(record_item_categories()["item_ja"])
    else:
        sets = catalog.choice_sets()
        labels = list(sets.loc[sets["choice_set"] == choice_set, "label_ja"])
    known = set(labels)
    chosen, wrong = answer_choices(text, lambda part: part if part in known else None,
                                   ";；" if kind == "multi_choice" else "")
    if wrong or not chosen:
        several = " (several separated by ;)" if kind == "multi_choice" else ""
        other = f"; その他 with its text as {OTHER_LABEL}（…）" if OTHER_LABEL in known else ""
        return (f"{shorten(wrong[0] if wrong else text)!r} is not a choice of {label}",
                f"write one of {' / '.join(labels)}{several}{other}")
    return None


#: The operators on the assessing body's side of a flow: itself, those it entrusts (委託先, 再委託先) and the
#: cloud platform it rents (a government-cloud tenancy is the body's own area: moving data into it is neither
#: an acquisition nor a provision, docs/government-cloud.md).
BODY_OPERATORS = ("city", *OUTSOURCED_OPERATORS, *CLOUD_OPERATORS)


def flow_directions(source_operator: str, target_operator: str) -> tuple[str, ...]:
    """The directions of a flow of the ``network`` stage: ``acquire``, ``provide``, or both when untold.

    A flow goes the way its data goes (source → target). Into the body's side (the target run by the body,
    a contractor, a subcontractor or a cloud provider, the source not) it is an acquisition (入手); out of it,
    a provision (提供). Between two systems of the same side the direction cannot be told from the model: the flow
    counts as both, so that it contradicts either declaration (接続しない（入手） / 接続しない（提供）).

    Parameters
    ----------
    source_operator, target_operator
        The ``operator`` of the flow's source and target systems.

    Returns
    -------
    tuple of str
        ``("acquire",)``, ``("provide",)`` or ``("acquire", "provide")``.

    Examples
    --------
    >>> from pia_analysis.model.checks import flow_directions
    >>> flow_directions("national", "city"), flow_directions("city", "jlis"), flow_directions("jlis", "national")
    (('acquire',), ('provide',), ('acquire', 'provide'))
    """
    into, out_of = target_operator in BODY_OPERATORS, source_operator in BODY_OPERATORS
    if into and not out_of:
        return ("acquire",)
    if out_of and not into:
        return ("provide",)
    return ("acquire", "provide")


def check_declarations(meta: dict[str, Any], tables: dict[str, RawTable | None], problems: list[Problem],
                       label: str | TableRef = TableRef("model"), line: int | None = None) -> None:
    """The stages a model declares not applicable (``declared_not_applicable``), against its flows and ratings.

    委託しない is contradicted by a flow of the ``outsource`` stage or a system run by a contractor or a
    subcontractor; 提供・移転しない by a flow of the ``provide`` stage; 接続しない（入手） and 接続しない（提供） by a
    flow of the ``network`` stage in that direction (:func:`flow_directions`). Each contradiction is a problem
    at the line of the key, naming the row that contradicts it. A rating of a rated item a declaration puts out
    of scope is a problem at its row: the form leaves that item blank.

    Parameters
    ----------
    meta
        The model.yaml keys as read.
    tables
        The tables read, by name (None: not readable, not checked).
    problems
        Where the problems are appended, neutral.
    label, line
        Where ``declared_not_applicable`` is (model.yaml and its line, a workbook's model sheet and its row).

    Examples
    --------
    >>> import pandas as pd
    >>> from pia_analysis.model.checks import check_declarations
    >>> from pia_analysis.model.cells import RawTable
    >>> frame = pd.DataFrame({"flow_id": ["F1"], "source": ["A"], "target": ["B"], "stage": ["outsource"]})
    >>> flows = RawTable(frame, [4])
    >>> found = []
    >>> check_declarations({"declared_not_applicable": ["outsource"]}, {"flows": flows}, found, line=12)
    >>> print(found[0])  # doctest: +NORMALIZE_WHITESPACE
    model.yaml:12: declared_not_applicable: declares 委託しない (outsource), but flow 'F1' (flows.csv:4) is of the
    outsource stage (hint: remove outsource from declared_not_applicable, or correct the flow)
    """
    declared = list(meta.get("declared_not_applicable") or ())
    if not declared:
        return
    labels = catalog.stage_declarations().set_index("declaration")["label_ja"].to_dict()
    key = "declared_not_applicable"

    def located(name: str, loc_line: int | None, raw: RawTable, i: int) -> tuple[Any, ...]:
        place = raw.labels[i] if raw.labels is not None else TableRef(name, place=True)
        if isinstance(place, TableRef):
            place = TableRef(place.name, place=True)
        return (place, f":{loc_line}") if loc_line else (place,)

    def contradict(declaration: str, what: str, name: str, raw: RawTable, i: int, why: str) -> None:
        problems.append(Problem(label, line, key,
                                (f"declares {labels[declaration]} ({declaration}), but {what} (",
                                 *located(name, raw.lines[i] if i < len(raw.lines) else None, raw, i), f") {why}"),
                                f"remove {declaration} from {key}, or correct the {name[:-1]}"))

    systems = tables.get("systems")
    operator = (dict(zip(systems.frame["system_id"], systems.frame["operator"]))
                if systems is not None and "operator" in systems.frame else {})
    flows = tables.get("flows")
    if flows is not None:
        for i, (flow_id, stage, source, target) in enumerate(zip(flows.frame["flow_id"], flows.frame["stage"],
                                                                 flows.frame["source"], flows.frame["target"])):
            if stage == "outsource" and "outsource" in declared:
                contradict("outsource", f"flow {flow_id!r}", "flows", flows, i, "is of the outsource stage")
            elif stage == "provide" and "provide" in declared:
                contradict("provide", f"flow {flow_id!r}", "flows", flows, i, "is of the provide stage")
            elif stage == "network":
                directions = flow_directions(operator.get(source, ""), operator.get(target, ""))
                for direction in directions:
                    declaration = f"network_{direction}"
                    if declaration in declared:
                        way = ("one of the network stage whose direction cannot be told (both ends on one side)"
                               if len(directions) > 1 else
                               "brings data to the body's side" if direction == "acquire" else
                               "sends data from the body's side")
                        contradict(declaration, f"flow {flow_id!r}", "flows", flows, i, f"is {way}")
    if systems is not None and "outsource" in declared and "operator" in systems.frame:
        for i, (system_id, op) in enumerate(zip(systems.frame["system_id"], systems.frame["operator"])):
            if op in OUTSOURCED_OPERATORS:
                contradict("outsource", f"system {system_id!r}", "systems", systems, i, f"is run by a {op}")
    ratings = tables.get("ratings")
    if ratings is None or ratings.frame.empty:
        return
    risks_raw = tables.get("risks")
    items = rated_item_table(risks_raw.frame if risks_raw is not None else None)
    owner = rating_owner(items)
    out_by = dict(zip(items["rated_item_id"], items["declared_by"]))
    row_labels = ratings.labels if ratings.labels is not None else [TableRef("ratings")] * len(ratings.lines)
    for i, rid in enumerate(ratings.frame["risk_id"]):
        declaration = out_by.get(owner.get(rid, ""), "")
        if declaration in declared:
            problems.append(Problem(row_labels[i], ratings.lines[i] if i < len(ratings.lines) else None, "risk_id",
                                    f"rates {rid!r}, which the model declares not applicable "
                                    f"({labels[declaration]}, {key})",
                                    "the form leaves a declared-out item blank: remove this row, or the declaration"))


def document_data_warnings(tables: dict[str, RawTable | None]) -> list[Problem]:
    """Warnings for rows of the document-only tables that the 評価書 cannot print, each saying why and the fix.

    The tables are checked against the model when read (:func:`check_references`); these rows are valid
    but describe nothing the document has a place for, so they would vanish without a word: an
    ``outsourcing.csv`` row with empty ``covers`` (a 委託事項 of no system or flow); a ``recipients.csv`` row
    for a system to which no ``provide`` flow from the body's side (a system run by the city, a contractor or a
    subcontractor) carries a file with My Numbers (the 評価書 lists a file's recipients); a
    ``file_details.csv`` row for a file without My Numbers (the 評価書 has blocks only for those). Warnings,
    not errors: the model is whole (the CLI prints them; ``--strict`` makes them errors).

    Parameters
    ----------
    tables
        The tables as a reader read them (table name → :class:`~pia_analysis.model.cells.RawTable`); a table
        missing or None is not checked.

    Returns
    -------
    list of Problem
        The warnings, by table and row.

    Examples
    --------
    >>> import pandas as pd
    >>> from pia_analysis.model.cells import RawTable
    >>> from pia_analysis.model.checks import document_data_warnings
    >>> files = pd.DataFrame({"file_id": ["MEMO"], "contains_my_number": [False]})
    >>> details = pd.DataFrame({"file_id": ["MEMO"]})
    >>> found = document_data_warnings({"files": RawTable(files, [2]), "file_details": RawTable(details, [3])})
    >>> print(found[0])  # doctest: +NORMALIZE_WHITESPACE
    file_details.csv:3: file_id: 'MEMO' holds no My Numbers (contains_my_number in files.csv), so the 評価書 has
    no block for it and this row does not appear (hint: set contains_my_number to true in files.csv if the
    file holds My Numbers, or remove this row)
    """
    def rows(name: str) -> list[tuple[Location, dict[str, Any]]]:
        raw = tables.get(name)
        if raw is None or raw.frame.empty:
            return []
        labels = raw.labels if raw.labels is not None else [TableRef(name)] * len(raw.frame)
        lines = list(raw.lines) + [None] * (len(raw.frame) - len(raw.lines))
        return list(zip(zip(labels, lines), raw.frame.to_dict("records")))

    out: list[Problem] = []
    for loc, row in rows("outsourcing"):
        if not row.get("covers"):
            out.append(Problem(*loc, "covers", "is empty: this 委託事項 covers no system or flow, so the 評価書 "
                                                "does not print it",
                               ("list the contractor-run systems and outsource flows it covers (ids of ",
                                TableRef("systems"), " or ", TableRef("flows"), "), or remove this row")))
    files = tables.get("files")
    if files is None:
        return out
    my_number = {str(f) for f, mn in zip(files.frame.get("file_id", []), files.frame.get("contains_my_number", []))
                 if bool(mn)}
    for loc, row in rows("file_details"):
        fid = row.get("file_id")
        if fid and fid in set(files.frame["file_id"]) and fid not in my_number:
            out.append(Problem(*loc, "file_id", (f"{fid!r} holds no My Numbers (contains_my_number in ",
                                                 TableRef("files"), "), so the 評価書 has no block for it and this "
                                                                    "row does not appear"),
                               ("set contains_my_number to true in ", TableRef("files"), " if the file holds My "
                                "Numbers, or remove this row")))
    systems, flows = tables.get("systems"), tables.get("flows")
    if systems is None or flows is None:
        return out
    operator = dict(zip(systems.frame["system_id"], systems.frame["operator"]))
    provide = [r for _l, r in rows("flows") if r["stage"] == "provide"]
    # what the writer lists as a file's 提供先・移転先 (outputs/assessment_answers provide_flows): the target of
    # a provide flow from the body's side carrying a file with My Numbers
    recipients = {r["target"] for r in provide if operator.get(r["source"]) in BODY_OPERATORS
                  and set(r["files"] or []) & my_number}
    targets = {r["target"] for r in provide}
    for loc, row in rows("recipients"):
        sid = row.get("system_id")
        if sid and sid in targets and sid not in recipients:
            out.append(Problem(*loc, "system_id", (f"{sid!r} receives no file with My Numbers from the body's side "
                                                   "(no provide flow from a system run by the city, a contractor "
                                                   "or a subcontractor carries one to it), so it is no 提供先・移転先 "
                                                   "of the 評価書 and this row does not appear"),
                               ("add the My Number file to the files of that provide flow in ", TableRef("flows"),
                                " if it is provided, or remove this row")))
    return out


def population_warnings(meta: dict[str, Any], files: pd.DataFrame | None, file_lines: list[int] | None = None,
                        line: int | None = None) -> list[Problem]:
    """A warning when ``target_population`` is below the records of the largest file with My Numbers.

    The population (対象となる本人の数) decides which assessment is required (catalog/thresholds.csv); a file
    holding more My Number records than it says points to a population typed too low (or to a file's
    ``records`` typed too high). The model still loads: a register may hold records of people who moved
    away, so this is a warning (the CLI prints it; ``--strict`` makes it an error).

    Parameters
    ----------
    meta
        The ``model.yaml`` keys, as loaded.
    files
        The files table, as loaded (``records``, ``contains_my_number``); None or empty: no warning.
    file_lines
        The line (row) of each row of ``files``, in order (default: where the savers write it, row + 2).
    line
        The line of ``target_population`` in ``model.yaml`` (its row on a workbook's model sheet).

    Returns
    -------
    list of Problem
        One problem located at ``target_population`` (in the model keys' table), or none.

    Examples
    --------
    >>> import pandas as pd
    >>> from pia_analysis.model.checks import population_warnings
    >>> files = pd.DataFrame({"file_id": ["JUKI", "MEMO"], "records": [8000, 9000],
    ...                       "contains_my_number": [True, False]})
    >>> print(*population_warnings({"target_population": 500}, files, line=7))  # doctest: +NORMALIZE_WHITESPACE
    model.yaml:7: target_population: 500 is below the 8,000 records of JUKI (files.csv line 2), the largest
    file with My Numbers (hint: write the number of people whose information the files hold, or correct that
    file's records)
    >>> population_warnings({"target_population": 8000}, files)
    []
    """
    population = meta.get("target_population")
    if population is None or files is None or files.empty:
        return []
    lines = list(file_lines) if file_lines else [i + 2 for i in range(len(files))]
    holders = [(int(records), fid, lines[i]) for i, (fid, records, mn) in
               enumerate(zip(files["file_id"], files["records"], files["contains_my_number"]))
               if bool(mn) and pd.notna(records)]
    if not holders:
        return []
    # the largest file; of equal ones, the first in file order
    records, file_id, file_line = max(holders, key=lambda h: (h[0], -h[2]))
    if int(population) >= records:
        return []
    return [Problem(TableRef("model"), line, "target_population",
                    (f"{int(population):,} is below the {records:,} records of {file_id} (", TableRef("files"), " ",
                     RowRef(file_line), "), the largest file with My Numbers"),
                    "write the number of people whose information the files hold, or correct that file's records")]


def _row_file(raw: RawTable, i: int, table: str):
    """The file of row ``i``: its own label when the rows come from several files (a city's shared part)."""
    if raw.labels is not None and i < len(raw.labels) and raw.labels[i] is not None:
        return raw.labels[i]
    return TableRef(table)


def cloud_zone_warnings(zones: RawTable | None, systems: RawTable | None = None) -> list[Problem]:
    """Warnings on a government-cloud zone not run by ``cloud_provider``, and on its systems run by one.

    A ガバメントクラウド tenancy is a cloud provider's platform (docs/government-cloud.md): its operator is
    ``cloud_provider``, and the vendor running the application is the operator of the systems in it. Another
    operator is either a slip or a deliberate reading (the analyst holds that the platform handles the data
    and models it as a contractor, which makes the platform an outsourcing): the model still loads, and the
    warning says which findings and answers follow (the CLI prints it; ``--strict`` makes it an error).
    Likewise a system in such a zone run by ``cloud_provider`` names nobody for the application, which hides
    the vendor's handling (委託) from the assessment: a warning at its ``operator`` cell.

    Parameters
    ----------
    zones
        The zones table as read (its ``government_cloud`` and ``operator`` columns and row lines); None: no
        warning.
    systems
        The systems table as read (``zone_id``, ``operator``, row lines); None: no warning on systems.

    Returns
    -------
    list of Problem
        One problem per such zone, located at its ``operator`` cell in the zones table, then one per such
        system, at its ``operator`` cell in the systems table (a row of a city's shared part: in its shared
        file, ``city/shared/zones.csv``).

    Examples
    --------
    >>> import pandas as pd
    >>> from pia_analysis.model.cells import RawTable
    >>> from pia_analysis.model.checks import cloud_zone_warnings
    >>> zones = RawTable(pd.DataFrame({"zone_id": ["GC", "HALL"], "operator": ["city", "city"],
    ...                                "government_cloud": [True, False]}), [2, 3])
    >>> print(*cloud_zone_warnings(zones))  # doctest: +NORMALIZE_WHITESPACE
    zones.csv:2: operator: zone 'GC' is a government-cloud tenancy (government_cloud TRUE) run by city, not
    cloud_provider (hint: write cloud_provider (the platform's provider; the vendor running the application is
    the operator of its systems), or government_cloud FALSE; a contractor here makes the platform an
    outsourcing (委託), docs/government-cloud.md)
    """
    if zones is None or "government_cloud" not in zones.frame or "operator" not in zones.frame:
        return []
    out = []
    for i, (zone_id, operator, cloud) in enumerate(zip(zones.frame["zone_id"], zones.frame["operator"],
                                                       zones.frame["government_cloud"])):
        if cloud is True and operator and operator not in CLOUD_OPERATORS:
            line = zones.lines[i] if i < len(zones.lines) else None
            out.append(Problem(_row_file(zones, i, "zones"), line, "operator",
                               f"zone {zone_id!r} is a government-cloud tenancy (government_cloud TRUE) run by "
                               f"{operator}, not cloud_provider",
                               "write cloud_provider (the platform's provider; the vendor running the application "
                               "is the operator of its systems), or government_cloud FALSE; a contractor here makes "
                               "the platform an outsourcing (委託), docs/government-cloud.md"))
    if systems is None or not {"zone_id", "operator", "system_id"} <= set(systems.frame.columns):
        return out
    tenancies = {z for z, cloud in zip(zones.frame["zone_id"], zones.frame["government_cloud"]) if cloud is True}
    for i, (system_id, zone_id, operator) in enumerate(zip(systems.frame["system_id"], systems.frame["zone_id"],
                                                           systems.frame["operator"])):
        if zone_id in tenancies and operator in CLOUD_OPERATORS:
            line = systems.lines[i] if i < len(systems.lines) else None
            out.append(Problem(_row_file(systems, i, "systems"), line, "operator",
                               f"system {system_id!r} in the government-cloud zone {zone_id!r} is run by "
                               f"{operator}: the provider runs the platform, not the application",
                               "write the operator of the application: contractor (the vendor of the 標準準拠システム, "
                               "the 委託先) or city; docs/government-cloud.md"))
    return out


def organisation_kind_warnings(meta: dict[str, Any], line: int | None = None) -> list[Problem]:
    """A warning when ``organisation_kind`` contradicts the suffix of ``organisation`` (市 for 緑川町).

    The kind gives the body's word in the council pack (「町が運用する…」); a kind that the name contradicts
    makes a town's pack say 市. The neutral ``body`` (団体) never contradicts a name: it is a choice.

    Parameters
    ----------
    meta
        The ``model.yaml`` keys, as loaded.
    line
        The line of ``organisation_kind`` in ``model.yaml`` (its row on a workbook's model sheet).

    Returns
    -------
    list of Problem
        One problem located at ``organisation_kind``, or none.

    Examples
    --------
    >>> from pia_analysis.model.checks import organisation_kind_warnings
    >>> print(*organisation_kind_warnings({"organisation": "緑川町", "organisation_kind": "市"}, line=5))
    ... # doctest: +NORMALIZE_WHITESPACE
    model.yaml:5: organisation_kind: '市' contradicts the organisation '緑川町', whose name ends in 町 (hint: write
    organisation_kind: 町, or remove the key (the kind is then taken from the name); the pack would say 市)
    >>> organisation_kind_warnings({"organisation": "北九州市", "organisation_kind": "body"})
    []
    """
    from .organisation import organisation_kind

    explicit = str(meta.get("organisation_kind") or "").strip()
    name = str(meta.get("organisation") or "").strip()
    if not explicit or not name:
        return []
    given, by_name = organisation_kind(meta), organisation_kind({"organisation": name})
    if "body" in (given.kind, by_name.kind) or given.kind == by_name.kind:
        return []
    return [Problem(TableRef("model"), line, "organisation_kind",
                    f"{explicit!r} contradicts the organisation {name!r}, whose name ends in {by_name.word_ja}",
                    f"write organisation_kind: {by_name.word_ja}, or remove the key (the kind is then taken from the "
                    f"name); the pack would say {given.word_ja}")]


def validate_tables(tables: dict[str, pd.DataFrame], meta: dict[str, Any] | None = None,
                    label_root: str = "<model>",
                    locations: dict[str, list[Location]] | None = None,
                    naming: Naming | None = None) -> list[Problem]:
    """Every problem of a model given as in-memory tables: the checks of :func:`load_model`, without files.

    Each cell is written back as its CSV text and parsed again exactly as the loader parses it (kinds,
    choices, ranges, ids, the My Number guard), then the cross-table checks run (unknown ids, duplicates,
    files carried by neither end of a flow …). Use it for tables changed in memory, e.g. by a scenario.

    Parameters
    ----------
    tables
        DataFrames by table name (``zones``, ``systems``, ``files``, ``flows``, ``controls``, and
        optionally ``risks``, ``ratings``), typed as :class:`~pia_analysis.model.model.Model` holds them.
    meta
        The ``model.yaml`` keys, as loaded (``assessed_on`` a date); ``None`` skips the meta checks.
        ``previous`` is not followed (there is no directory to resolve it from).
    label_root
        The directory label used in problem locations (``label_root/systems.csv``) when ``naming`` is not given.
    locations
        Optionally, for a table, the location of each of its rows (one per row, in row order): its table (a
        :class:`~pia_analysis.model.schema.TableRef`, placed by ``naming``) or a file label, and its line or
        row. By default row *i* is located at line *i* + 2 of its table: where the savers write it.
    naming
        How the reader that loaded the model names its tables and rows (e.g.
        :func:`pia_analysis.formats.row_locations`); by default a model directory at ``label_root``.

    Returns
    -------
    list of Problem
        Sorted by file (model.yaml, then the tables in format order, then other labels) and line; empty
        when the tables make a valid model.

    Examples
    --------
    >>> from pia_analysis.model.checks import validate_tables
    >>> from pia_analysis import load_model, bundled_model_path
    >>> m = load_model(bundled_model_path())
    >>> tables = {name: getattr(m, name) for name in ("zones", "systems", "files", "flows", "controls")}
    >>> validate_tables(tables, m.meta)
    []
    >>> systems = m.systems.copy()
    >>> systems.loc[0, "zone_id"] = "NOWHERE"
    >>> print(*validate_tables({**tables, "systems": systems}))  # doctest: +NORMALIZE_WHITESPACE
    <model>/systems.csv:2: zone_id: 'NOWHERE' is not a known zone_id
    (hint: use an id listed in zones.csv, or add it there)
    """
    problems: list[Problem] = []
    if meta is not None:
        label = TableRef("model")
        for key, value in meta.items():
            if key not in MODEL_KEYS:
                problems.append(Problem(label, None, key, "unknown key",
                                        f"the keys are {', '.join(MODEL_KEYS)}; check the spelling"))
                continue
            parse_meta_value(key, value, MODEL_KEYS[key][1], label, None, problems)
        for key, (required, _kind) in MODEL_KEYS.items():
            if required and key not in meta:
                problems.append(Problem(label, None, key, "required key is missing", f"add a line '{key}: …'"))
    raws: dict[str, RawTable | None] = {}
    for table in TABLES:
        default_label = TableRef(table.name)
        frame = tables.get(table.name)
        if frame is None:
            if table.optional_file:
                raws[table.name] = RawTable(empty_table(table), [])
            else:
                problems.append(Problem(default_label, None, "", "is missing", f"the model needs a {table.name} table"))
                raws[table.name] = None
            continue
        locs = (locations or {}).get(table.name) or [(default_label, i + 2) for i in range(len(frame))]
        if len(locs) != len(frame):
            raise ValueError(f"locations[{table.name!r}] has {len(locs)} entries for {len(frame)} rows")
        missing = [c.name for c in table.columns if c.required and c.name not in frame.columns]
        for name in missing:
            problems.append(Problem(default_label, 1, name, "required column is missing",
                                    f"the table needs: {','.join(c.name for c in table.columns if c.required)}"))
        if missing:
            raws[table.name] = None
            continue
        spec = {c.name: c for c in table.columns}
        for (label, line), row in zip(locs, frame.to_dict("records")):
            for name, value in row.items():
                col = spec.get(name)
                text = format_cell(value, col)
                for _pos, masked in find_my_numbers(text):
                    problems.append(my_number_problem(label, line, name, masked))
                if col is not None:
                    parse_cell(col, text, label, line, problems)
                else:
                    extra_cell(name, text, label, line, problems)
        raws[table.name] = RawTable(frame, [line for _l, line in locs], labels=[label for label, _l in locs])
    check_references(raws, problems)
    if meta is not None:
        check_declarations(meta, raws, problems)
    return (naming if naming is not None else Naming.directory(label_root)).located(problems)
