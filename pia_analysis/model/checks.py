"""One set of cross-table checks: ids unique and referenced ids present, across the tables of a model.

Used by every reader (directory, workbook) and by scenarios, which re-check the changed tables.
"""

from __future__ import annotations

__all__ = ["Location", "check_references", "validate_tables"]

from typing import Any, Union

import pandas as pd

from .. import catalog
from ..catalog.sub_measures import sub_measure_catalog
from .cells import RawTable, empty_table, extra_cell, format_cell, my_number_problem, parse_cell, parse_meta_value
from .errors import Naming, Problem, unknown_id
from .mynumber import find_my_numbers
from .schema import MODEL_KEYS, TABLES, RowRef, TableRef, Text


#: Where a row comes from: its table (placed by the reader) or a file label, and its line (None: unknown).
Location = tuple[Union[str, TableRef], Union[int, None]]

_ADD_RISK = ("use catalogue ids such as acquire-1 … retain-3, or add the risk to ", TableRef("risks"))


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
    def rows(name: str) -> list[tuple[Location, dict[str, Any]]]:
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
            if key in first:
                message = (f"duplicate id {key!r} (first on ", *where(first[key], loc), ")")
                problems.append(Problem(*loc, table.key, message,
                                        "every row needs its own id; rename or merge the rows"))
            else:
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
    holds = {row["system_id"]: set(row["holds"]) for _l, row in rows("systems")}
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
                                            (f"add {f} to the holds of one of them in ", TableRef("systems"),
                                             ", or remove it from this flow")))
    risk_ids = catalog_ids | ids["risks"]
    for loc, row in rows("risks"):
        if row["risk_id"] in catalog_ids:
            problems.append(Problem(*loc, "risk_id", f"{row['risk_id']!r} is already a catalogue risk",
                                    "extra risks need their own ids, e.g. use-5 or retain-x1"))
    elements = ids["systems"] | ids["flows"]
    for loc, row in rows("controls"):
        for r in row["mitigates"]:
            if r not in risk_ids:
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
    for loc, row in rows("ratings"):
        if row["risk_id"] and row["risk_id"] not in risk_ids:
            problems.append(Problem(*loc, "risk_id", f"{row['risk_id']!r} is not a known risk id",
                                    _ADD_RISK))
    _check_sub_measures(rows("controls"), rows("sub_measures"), problems)


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
    return (naming if naming is not None else Naming.directory(label_root)).located(problems)
