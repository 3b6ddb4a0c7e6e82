"""Property-based tests of the loader: random valid models and random corruptions of them.

* Random **valid** models (zones, systems, files, flows, controls, extra risks, ratings; references kept,
  every file a flow carries held at one of its ends; Japanese text, quotes, commas and line breaks in
  free text; ids, numbers and yes/no words written in every accepted spelling; optional and extra
  columns; columns in any order; UTF-8, UTF-8 with BOM or cp932; LF or CRLF) load, and round-trip
  exactly: load → save_model → load gives equal tables.
* Random **corruptions** of them (a bad cell, a deleted column, a duplicated id, a broken reference, a
  NUL or undefined byte, a BOM in the middle, a truncated row, tabs for commas, a My Number …) are
  refused with a ``ModelError`` whose problems all name a file of the model, never another exception.
* Random **byte fuzzing** (flipped, inserted and deleted bytes, truncation) gives a model or a
  ``ModelError``, never another exception; a model that loads still round-trips.
* Random **scenarios** (ids that exist or not, values of every YAML type) give a changed model that
  saves and loads again, or a ``ModelError``.

The numbers of generated cases are printed at the end of the run (``tests/conftest.py``). Deterministic:
``derandomize=True``, no example database.
"""

from __future__ import annotations

import copy
import csv
import io
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from pia_analysis import ModelError, load_model, save_model
from pia_analysis.catalog import rated_items, risk_catalog
from pia_analysis.catalog.sub_measures import sub_measure_catalog
from pia_analysis.model.mynumber import check_digit
from pia_analysis.whatif.apply import apply_scenario
from pia_analysis.model.schema import (
    FALSE_WORDS,
    KINDS,
    MAX_DATE,
    MIN_DATE,
    OPERATORS,
    RATING_ALIASES,
    RATINGS,
    STAGES,
    STATUSES,
    TABLE_BY_NAME,
    TABLES,
    TRUE_WORDS,
)

CATALOG = sorted(risk_catalog()["risk_id"])
RATED = sorted(rated_items().query("section == 'Ⅲ'")["rated_item_id"])
#: the packaged sub-measures: id -> the choices of a choice row, () for a text row
SUB_MEASURES = dict(zip(sub_measure_catalog()["sub_measure_id"], sub_measure_catalog()["choices"]))
TABLE_NAMES = [t.name for t in TABLES]


def fast(max_examples: int):
    # No shrink phase: a failure is reported as generated (the models are small), so that a failing run
    # stays as quick as a passing one; add Phase.shrink here to minimise a failing example.
    return settings(max_examples=max_examples, derandomize=True, deadline=None, database=None,
                    phases=[Phase.explicit, Phase.reuse, Phase.generate],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# --- strategies: the logical model -------------------------------------------------------------------

IDS = st.from_regex(r"[A-Z][A-Z0-9_\-]{0,5}", fullmatch=True)
# free text: Japanese (cp932 and beyond it), CSV's special characters, no digits (so never a My Number)
JA = "あいうえおかきくけこアイウエオ住民基本台帳記録端末発行証明書番号情報系統委託髙①～ー・（）「」、。　"
TEXT_CHARS = JA + "abcxyzABCXYZ -_/:.,\"'\n𠮷é"
TEXT = st.text(alphabet=TEXT_CHARS, max_size=10)
TITLE = st.text(alphabet=TEXT_CHARS.replace("\n", ""), min_size=1, max_size=12).filter(lambda s: s.strip())
ITEM = st.text(alphabet=JA + "abcXYZ", min_size=1, max_size=6).filter(str.strip)  # never blank (JA has 　)
PROB = st.one_of(st.floats(min_value=0.0, max_value=1.0, allow_nan=False), st.integers(0, 1000).map(lambda k: k / 1000))


def subset(pool: list[str], min_size: int = 0, max_size: int = 3) -> st.SearchStrategy[list[str]]:
    if not pool:
        return st.just([])
    return st.lists(st.sampled_from(pool), unique=True, min_size=min(min_size, len(pool)), max_size=max_size)


@st.composite
def logical_models(draw) -> dict[str, Any]:
    """Typed rows of a valid model (as the loader returns them), plus model.yaml keys."""
    n = {"zones": draw(st.integers(1, 3)), "systems": draw(st.integers(1, 5)), "files": draw(st.integers(0, 3))}
    n["flows"] = draw(st.integers(0, 5)) if n["systems"] >= 2 else 0
    n["controls"] = draw(st.integers(0, 4))
    ids = draw(st.lists(IDS, unique=True, min_size=sum(n.values()), max_size=sum(n.values())))
    pools, at = {}, 0
    for name in ("zones", "systems", "files", "flows", "controls"):
        pools[name], at = ids[at: at + n[name]], at + n[name]
    rows: dict[str, list[dict[str, Any]]] = {}
    rows["zones"] = [{"zone_id": z, "name_ja": draw(TEXT), "name_en": draw(TEXT), "internet_facing": draw(st.booleans()),
                      "operator": draw(st.sampled_from(OPERATORS)), "source": draw(TEXT),
                      "government_cloud": draw(st.booleans()),
                      # a zone inside an earlier one (never a cycle), or in none
                      "parent_zone": draw(st.one_of(st.just(""), st.sampled_from(pools["zones"][:i])))
                      if i else ""} for i, z in enumerate(pools["zones"])]
    rows["files"] = [{"file_id": f, "name_ja": draw(TEXT), "name_en": draw(TEXT), "records": draw(st.integers(0, 10**9)),
                      "contains_my_number": draw(st.booleans()), "items": draw(st.lists(ITEM, max_size=3)),
                      "source": draw(TEXT)} for f in pools["files"]]
    rows["systems"] = [{"system_id": s, "name_ja": draw(TEXT), "name_en": draw(TEXT),
                        "zone_id": draw(st.sampled_from(pools["zones"])), "kind": draw(st.sampled_from(KINDS)),
                        "operator": draw(st.sampled_from(OPERATORS)), "holds": draw(subset(pools["files"])),
                        "entry_likelihood": draw(st.one_of(st.just(0.0), PROB)), "source": draw(TEXT),
                        "functions": draw(TEXT)}
                       for s in pools["systems"]]
    for row in rows["systems"]:  # files passing through, never one the system holds (that is a warning)
        row["processes"] = draw(subset([f for f in pools["files"] if f not in row["holds"]], 0, 2))
    # the document-only data: a file's details, its dates, counts and retention empty (not given) or typed
    spec = TABLE_BY_NAME["file_details"]
    rows["file_details"] = [
        {**{c.name: draw(TEXT) for c in spec.columns if c.kind == "text"},
         "file_id": f, "file_kind": draw(st.sampled_from(["", "system", "other"])),
         "holding_start": draw(st.one_of(st.none(), st.dates(MIN_DATE, MAX_DATE))),
         "use_start": draw(st.one_of(st.none(), st.dates(MIN_DATE, MAX_DATE))),
         "user_count": draw(st.one_of(st.none(), st.integers(0, 10**6))),
         "retention": draw(st.one_of(st.none(), st.just("not set"), st.integers(0, 99)))}
        for f in draw(subset(pools["files"]))]
    for name in ("outsourcing", "recipients", "form_answers"):
        rows[name] = []
    rows["holdings"] = []  # files kept at a city workspace's shared systems: an ordinary model has no shared part
    holds = {r["system_id"]: r["holds"] + r["processes"] for r in rows["systems"]}
    rows["flows"] = []
    for f in pools["flows"]:
        a, b = draw(st.lists(st.sampled_from(pools["systems"]), unique=True, min_size=2, max_size=2))
        carried = sorted(set(holds[a]) | set(holds[b]))  # the file-held-or-processed-at-an-end rule
        rows["flows"].append({"flow_id": f, "source": a, "target": b, "files": draw(subset(carried)),
                              "stage": draw(st.sampled_from(STAGES)), "channel": draw(TEXT),
                              "interactive": draw(st.booleans()), "encrypted": draw(st.booleans()),
                              "source_ref": draw(TEXT)})
    stages = draw(st.lists(st.sampled_from(STAGES), max_size=2))
    rows["risks"] = [{"risk_id": f"{s}-x{i}", "stage": s, "name_ja": draw(TEXT), "name_en": draw(TEXT)}
                     for i, s in enumerate(stages, 1)]
    risk_pool = CATALOG + [r["risk_id"] for r in rows["risks"]]
    elements = pools["systems"] + pools["flows"]
    rows["controls"] = [{"control_id": c, "name_ja": draw(TEXT), "name_en": draw(TEXT),
                         "mitigates": draw(subset(risk_pool, 1)),
                         "applies_to": draw(st.one_of(st.just(["*"]), subset(elements, 1))),
                         "effectiveness": draw(PROB), "status": draw(st.sampled_from(STATUSES)), "source": draw(TEXT),
                         "sub_measures": draw(subset(sorted(SUB_MEASURES)))}
                        for c in pools["controls"]]
    # ratings name rated items: the Section Ⅲ ones (the 委託 block once) and the extra risks outside the block
    # a status of a control on one of its elements (any system or flow for an organisation-wide control)
    rows["control_status"] = []
    for c in rows["controls"]:
        on = elements if c["applies_to"] == ["*"] else c["applies_to"]
        rows["control_status"] += [{"control_id": c["control_id"], "element": e,
                                    "status": draw(st.sampled_from(STATUSES)), "source": draw(TEXT)}
                                   for e in draw(subset(on, 0, 2))]
    rows["triage"] = []  # decisions are drawn in tests/test_format_18.py and tests/test_triage.py
    rated_pool = RATED + [r["risk_id"] for r in rows["risks"] if r["stage"] != "outsource"]
    # answers of their kind: a choice row one of its choices, a text row its text in detail
    rows["sub_measures"] = [{"sub_measure_id": sid,
                             "answer": draw(st.sampled_from(SUB_MEASURES[sid])) if SUB_MEASURES[sid] else "",
                             "detail": draw(TEXT) if SUB_MEASURES[sid] else draw(ITEM), "source": draw(TEXT)}
                            for sid in draw(subset(sorted(SUB_MEASURES), 0, 4))]
    rows["ratings"] = [{"risk_id": r, "rating": draw(st.sampled_from(RATINGS + tuple(RATING_ALIASES))),
                        "source": draw(TEXT)}
                       for r in draw(subset(rated_pool, 0, 4))]
    meta = {"id": draw(IDS), "title_ja": draw(TITLE), "title_en": draw(TITLE), "organisation": draw(TITLE),
            "affairs": draw(TITLE), "assessed_on": draw(st.dates(MIN_DATE, MAX_DATE)).isoformat(),
            "target_population": draw(st.integers(1, 10**9))}
    if draw(st.booleans()):
        meta["handlers"] = draw(st.integers(0, 10**5))
    if draw(st.booleans()):
        meta["serious_incident"] = draw(st.booleans())
    return {"rows": rows, "meta": meta}


# --- strategies: how the model is written ------------------------------------------------------------


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@dataclass
class CsvFile:
    header: list[str]
    rows: list[list[str]]
    encoding: str = "utf-8"
    newline: str = "\n"
    delimiter: str = ","
    tail: str = ""  # text written after the rows (a truncated last row)


@dataclass
class Written:
    """A model as files: every cell as the text written, and how each file is encoded."""

    meta: dict[str, Any]
    files: dict[str, CsvFile]
    logical: dict[str, Any]
    yaml_encoding: str = "utf-8"
    yaml_extra: str = ""  # raw lines appended to model.yaml
    byte_edits: list[Callable[[Path], None]] = field(default_factory=list)  # applied after writing


def cell_text(draw, kind: str, value: Any, column: str) -> str:
    if kind in ("date", "count", "years") and value is None:
        return ""  # not given
    if kind == "date":
        return value.isoformat()
    if kind == "count":
        return draw(st.sampled_from([str(value), f"{value:,}", full_width(str(value))]))
    if kind == "years":
        return draw(st.sampled_from(["not set", "定められていない"] if value == "not set" else
                                    [str(value), f"{value}年", full_width(str(value))]))
    if kind in ("id", "ref"):
        return draw(st.sampled_from([value, full_width(value), f" {value} "]))
    if kind == "reflist":
        return draw(st.sampled_from([";", "; ", " ;"])).join(value)
    if kind == "list":
        return ";".join(value)
    if kind == "enum":
        if column == "rating":
            return draw(st.sampled_from([value, value.upper(), value.title()]))
        return draw(st.sampled_from([value, value.upper(), full_width(value)]))
    if kind == "bool":
        word = draw(st.sampled_from(TRUE_WORDS if value else FALSE_WORDS))
        return draw(st.sampled_from([word, word.upper(), word.title(), full_width(word)]))
    if kind == "int":
        return draw(st.sampled_from([str(value), f"{value:,}", full_width(str(value))]))
    if kind == "prob":
        if value == 0 and column == "entry_likelihood" and draw(st.booleans()):
            return ""
        nice = round(value * 1000) == value * 1000
        return draw(st.sampled_from([repr(value), f"{value * 100:g}%"] if nice else [repr(value)]))
    return value  # text


@st.composite
def written_models(draw) -> Written:
    logical = draw(logical_models())
    files: dict[str, CsvFile] = {}
    for table in TABLES:
        rows = logical["rows"][table.name]
        if table.optional_file and not rows and draw(st.booleans()):
            continue  # an optional table may be left out altogether
        # processed files keep the flows valid (a flow's file is held or processed at an end): never left out
        columns = [c for c in table.columns if c.required or draw(st.booleans())
                   or (c.name == "processes" and any(r["processes"] for r in rows))]
        extra = draw(st.sampled_from([None, "memo", "備考"]))
        names = [c.name for c in columns] + ([extra] if extra else [])
        order = draw(st.permutations(names))
        lines = []
        for row in rows:
            cells = {c.name: cell_text(draw, c.kind, row[c.name], c.name) for c in columns}
            if extra:
                cells[extra] = draw(TEXT)
            lines.append([cells[name] for name in order])
        if lines and draw(st.integers(0, 4)) == 0:
            lines.insert(draw(st.integers(0, len(lines))), [])  # a blank line is skipped
        files[table.filename] = CsvFile(list(order), lines, draw(st.sampled_from(["utf-8", "utf-8-sig", "cp932"])),
                                        draw(st.sampled_from(["\n", "\r\n"])))
    return Written(logical["meta"], files, logical, draw(st.sampled_from(["utf-8", "cp932"])))


def csv_text(f: CsvFile) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=f.newline, delimiter=f.delimiter)
    writer.writerow(f.header)
    writer.writerows(f.rows)
    return out.getvalue() + f.tail


def encode(text: str, encoding: str) -> bytes:
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:  # e.g. 𠮷 in cp932: such a file is saved as UTF-8
        return text.encode("utf-8")


def write(w: Written, directory: Path) -> Path:
    directory.mkdir(parents=True)
    text = yaml.safe_dump(w.meta, allow_unicode=True, sort_keys=False) + w.yaml_extra
    (directory / "model.yaml").write_bytes(encode(text, w.yaml_encoding))
    for name, f in w.files.items():
        (directory / name).write_bytes(encode(csv_text(f), f.encoding))
    for edit in w.byte_edits:
        edit(directory)
    return directory


def assert_same_tables(a, b) -> None:
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_dtype=True, obj=name)
    assert a.meta == b.meta


class Scratch:
    """A fresh directory per example (hypothesis runs many examples in one test call)."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="pia-props-"))

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


# --- valid models ---------------------------------------------------------------------------------------


@fast(150)
@given(w=written_models())
def test_valid_models_load_and_round_trip_exactly(w: Written, property_counts):
    with Scratch() as tmp:
        first = load_model(write(w, tmp / "model"))
        property_counts["valid"] += 1
        second = load_model(save_model(first, tmp / "copy"))
        assert_same_tables(first, second)
        # and the model is the one generated: ids, references and numbers as drawn
        rows = w.logical["rows"]
        for name in TABLE_NAMES:
            key = TABLE_BY_NAME[name].key
            assert getattr(first, name)[key].tolist() == [r[key] for r in rows[name]], name
        assert first.systems["holds"].tolist() == [r["holds"] for r in rows["systems"]]
        assert first.files["records"].tolist() == [r["records"] for r in rows["files"]]
        # the columns of issue 18: a column left out is empty (no file processed, no zone around)
        for table, column, empty in (("systems", "processes", []), ("zones", "parent_zone", "")):
            header = w.files[TABLE_BY_NAME[table].filename].header
            assert getattr(first, table)[column].tolist() == [r[column] if column in header else empty
                                                              for r in rows[table]], column
        assert sorted(map(tuple, first.control_status[["control_id", "element", "status"]].values.tolist())) == \
            sorted((r["control_id"], r["element"], r["status"]) for r in rows["control_status"])
        written = w.files.get("file_details.csv")
        for column in ("retention", "user_count", "holding_start"):  # a column left out is not given: None
            expected = [r[column] if written is not None and column in written.header else None
                        for r in rows["file_details"]]
            assert first.file_details[column].tolist() == expected, column
        assert first.meta["target_population"] == w.meta["target_population"]
        event(f"encodings: {sorted({f.encoding for f in w.files.values()})}")


# --- corrupted models -----------------------------------------------------------------------------------

BAD_VALUES = {
    "enum": ["bogus", "#N/A", "=A1"],
    "bool": ["maybe", "#VALUE!", "=TRUE()", "2"],
    "int": ["-1", "1.5", "many", "99999999999999999999", "#N/A"],
    "prob": ["1.5", "-0.1", "x", "nan", "150%", "#DIV/0!"],
    "id": ["", "A B", "a;b", "#REF!"],
    "ref": ["NO_SUCH_ID_X", "#N/A"],
}


def my_number(draw) -> str:
    body = "".join(str(draw(st.integers(0, 9))) for _ in range(11))
    digits = body + str(check_digit(body))
    return draw(st.sampled_from([digits, f"{digits[:4]} {digits[4:8]} {digits[8:]}", f"{digits[:4]}-{digits[4:8]}-{digits[8:]}"]))


def tables_with_rows(w: Written) -> list[str]:
    return [name for name, f in w.files.items() if [r for r in f.rows if r]]


def data_rows(f: CsvFile) -> list[int]:
    return [i for i, r in enumerate(f.rows) if r]


CORRUPTIONS = ["bad_cell:enum", "bad_cell:bool", "bad_cell:int", "bad_cell:prob", "bad_cell:id", "bad_cell:ref",
               "bad_cell:reflist", "delete_column", "duplicate_id", "duplicate_column", "delete_file", "empty_file",
               "truncate_row", "truncate_in_quote", "tabs", "semicolons", "nul_byte", "undefined_byte", "bom_in_middle",
               "my_number", "yaml_unknown_key", "yaml_missing_key", "yaml_bad_value", "yaml_python_tag", "header_only",
               "self_loop", "flow_id_is_a_system_id"]


def corrupt(draw, w: Written, kind: str) -> str:
    """Apply the corruption ``kind`` (or, when the model has nothing it applies to, a bad id) to ``w``; returns
    the name of the corruption applied."""
    spec_of = {t.filename: t for t in TABLES}
    with_rows = tables_with_rows(w)

    def pick_row(name: str) -> list[str]:
        f = w.files[name]
        return f.rows[draw(st.sampled_from(data_rows(f)))]

    if kind in ("self_loop", "flow_id_is_a_system_id") and "flows.csv" not in with_rows:
        kind = "bad_cell:id"
    if kind.startswith("bad_cell:"):
        places = [(name, c) for name in with_rows for c in spec_of[name].columns
                  if c.kind == kind.split(":")[1] and c.name in w.files[name].header]
        if not places:  # e.g. no file has a row, so no records cell: a bad id instead (zones always has a row)
            kind = "bad_cell:id"
            places = [(name, c) for name in with_rows for c in spec_of[name].columns if c.kind == "id"]
        name, col = draw(st.sampled_from(places))
        f = w.files[name]
        row, pos = pick_row(name), f.header.index(col.name)
        if col.kind == "reflist":
            row[pos] = (row[pos] + ";" if row[pos].strip() else "") + "NO_SUCH_ID_X"
        else:
            row[pos] = draw(st.sampled_from(BAD_VALUES[col.kind]))
        return kind
    if kind == "delete_column":
        name = draw(st.sampled_from(sorted(w.files)))
        f = w.files[name]
        pos = f.header.index(draw(st.sampled_from([c.name for c in spec_of[name].columns if c.required])))
        f.header.pop(pos)
        for r in f.rows:
            if r:
                r.pop(pos)
        return kind
    if kind == "duplicate_id":
        name = draw(st.sampled_from(with_rows))
        f = w.files[name]
        f.rows.append(list(pick_row(name)))
        return kind
    if kind == "duplicate_column":
        name = draw(st.sampled_from(sorted(w.files)))
        f = w.files[name]
        i, j = draw(st.lists(st.integers(0, len(f.header) - 1), unique=True, min_size=2, max_size=2))
        f.header[i] = f.header[j]
        return kind
    if kind == "delete_file":
        del w.files[draw(st.sampled_from([t.filename for t in TABLES if not t.optional_file]))]
        return kind
    if kind == "empty_file":
        f = w.files[draw(st.sampled_from(sorted(w.files)))]
        f.header, f.rows = [], []
        return kind
    if kind in ("truncate_row", "truncate_in_quote"):
        name = draw(st.sampled_from(with_rows))
        f = w.files[name]
        last = f.rows[data_rows(f)[-1]]
        del f.rows[data_rows(f)[-1]:]
        if kind == "truncate_row":
            # cut after k < all values, keeping at least one non-blank value (a blank line is skipped)
            k = draw(st.sampled_from([k for k in range(1, len(last)) if any(c.strip() for c in last[:k])]))
            out = io.StringIO()
            csv.writer(out, lineterminator="").writerow(last[:k])
            f.tail = out.getvalue()
        else:
            k = draw(st.integers(0, len(last) - 1))
            out = io.StringIO()
            csv.writer(out, lineterminator="").writerow(last[:k])
            f.tail = out.getvalue() + ("," if k else "") + '"' + draw(st.text(alphabet=JA + "ab ,\n", max_size=5))
        return kind
    if kind in ("tabs", "semicolons"):
        w.files[draw(st.sampled_from(sorted(w.files)))].delimiter = "\t" if kind == "tabs" else ";"
        return kind
    if kind in ("nul_byte", "undefined_byte", "bom_in_middle"):
        target = draw(st.sampled_from(["model.yaml", *sorted(w.files)]))
        fraction = draw(st.floats(0, 1))

        def edit(d: Path, target=target, fraction=fraction, kind=kind) -> None:
            data = (d / target).read_bytes()
            if kind == "bom_in_middle":
                data = data.decode("cp932" if _not_utf8(data) else "utf-8-sig").encode("utf-8")
                at = data.index(b"\n") + 1  # at the start of line 2 (a BOM at byte 0 is allowed)
                at += int(fraction * (len(data) - at))
                (d / target).write_bytes(data[:at] + "\ufeff".encode() + data[at:])
                return
            at = int(fraction * len(data))
            (d / target).write_bytes(data[:at] + (b"\x00" if kind == "nul_byte" else b"\xff") + data[at:])

        w.byte_edits.append(edit)
        return kind
    if kind == "my_number":
        number = f" {my_number(draw)} "
        text_cols = {name: [c for c in w.files[name].header
                            if c not in {col.name for col in spec_of[name].columns if col.kind not in ("text", "list")}]
                     for name in with_rows}
        places = [name for name in with_rows if text_cols[name]]
        if not places or draw(st.integers(0, 3)) == 0:
            w.meta["title_ja"] = w.meta["title_ja"] + number
            return "my_number:model.yaml"
        name = draw(st.sampled_from(places))
        f = w.files[name]
        row, pos = pick_row(name), f.header.index(draw(st.sampled_from(text_cols[name])))
        row[pos] = row[pos].replace(";", " ") + number
        return "my_number:csv"
    if kind == "yaml_unknown_key":
        w.meta[draw(st.sampled_from(["colour", "handler", "Title_ja", "previous_version"]))] = "x"
        return kind
    if kind == "yaml_missing_key":
        del w.meta[draw(st.sampled_from(["id", "title_ja", "title_en", "organisation", "affairs", "assessed_on",
                                         "target_population"]))]
        return kind
    if kind == "yaml_bad_value":
        key, value = draw(st.sampled_from([("target_population", "many"), ("assessed_on", "2024-13-01"),
                                           ("serious_incident", "sometimes"), ("handlers", -3), ("id", "a b"),
                                           ("title_ja", ["a", "b"]), ("target_population", 10**20)]))
        w.meta[key] = value
        return kind
    if kind == "yaml_python_tag":
        w.meta.pop("title_en")
        w.yaml_extra = "title_en: !!python/object/apply:os.system ['true']\n"
        return kind
    if kind == "header_only":
        name = draw(st.sampled_from(["zones.csv", "systems.csv"]))
        w.files[name].rows = []
        return kind
    flows = w.files["flows.csv"]
    row = pick_row("flows.csv")
    if kind == "self_loop":
        row[flows.header.index("target")] = row[flows.header.index("source")]
        return kind
    # flow_id_is_a_system_id
    row[flows.header.index("flow_id")] = draw(st.sampled_from([r["system_id"] for r in w.logical["rows"]["systems"]]))
    return kind


def _not_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


@pytest.mark.parametrize("kind", CORRUPTIONS)
@fast(10)
@given(w=written_models(), data=st.data())
def test_corrupted_models_are_refused_with_located_problems(kind: str, w: Written, data, property_counts):
    w = copy.deepcopy(w)
    event(corrupt(data.draw, w, kind))
    with Scratch() as tmp:
        model_dir = write(w, tmp / "model")
        with pytest.raises(ModelError) as info:  # any other exception fails the test
            load_model(model_dir)
        property_counts["corrupted"] += 1
        assert info.value.problems
        for p in info.value.problems:
            assert p.file.startswith(str(model_dir)), p
            assert str(p).startswith(str(model_dir))


# --- byte fuzzing -----------------------------------------------------------------------------------------


@st.composite
def byte_mutations(draw) -> list[tuple[str, float, int]]:
    ops = st.tuples(st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate"]), st.floats(0, 1),
                    st.integers(0, 255))
    return draw(st.lists(ops, min_size=1, max_size=4))


def mutate(data: bytes, mutations: list[tuple[str, float, int]]) -> bytes:
    for op, where, byte in mutations:
        at = int(where * len(data))
        if op == "flip" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([data[at] ^ (byte or 1)]) + data[at + 1:]
        elif op == "insert":
            data = data[:at] + bytes([byte]) + data[at:]
        elif op == "delete":
            data = data[:at] + data[at + 1:]
        elif op == "truncate":
            data = data[:at]
        elif op == "duplicate":
            data = data[:at] + data[at: at + 40] + data[at:]
    return data


@fast(150)
@given(w=written_models(), target=st.sampled_from(["model.yaml"] + [t.filename for t in TABLES]),
       mutations=byte_mutations())
def test_byte_fuzzed_models_load_or_are_refused(w: Written, target: str, mutations, property_counts):
    with Scratch() as tmp:
        model_dir = write(w, tmp / "model")
        path = model_dir / target
        path.write_bytes(mutate(path.read_bytes() if path.exists() else b"", mutations))
        property_counts["fuzzed"] += 1
        try:
            model = load_model(model_dir)
        except ModelError as exc:
            assert exc.problems
            event("refused")
            return
        event("loaded")
        assert_same_tables(model, load_model(save_model(model, tmp / "copy")))


# --- random scenarios -------------------------------------------------------------------------------------

ANY_VALUE = st.one_of(TEXT, st.integers(-5, 10**12), st.floats(allow_nan=True, allow_infinity=True),
                      st.booleans(), st.none(), st.lists(st.one_of(IDS, TEXT), max_size=3),
                      st.sampled_from(["*", "use-1", "retain-3", "CORE", "#N/A", "=TRUE()", "150%", "はい", "city",
                                       "implemented", "十分である", "2024-13-01"]))


@st.composite
def scenarios(draw, model) -> dict[str, Any]:
    def some_ids(table: str) -> list[str]:
        key = TABLE_BY_NAME[table].key
        known = getattr(model, table)[key].tolist()
        return draw(st.lists(st.one_of(st.sampled_from(known), IDS) if known else IDS, max_size=2))

    out: dict[str, Any] = {"id": "random"}
    tables = draw(st.lists(st.sampled_from(TABLE_NAMES), unique=True, max_size=3))
    for op in draw(st.lists(st.sampled_from(["add", "remove", "set", "model"]), unique=True, min_size=1)):
        if op == "remove":
            out["remove"] = {t: some_ids(t) for t in tables}
        elif op == "add":
            out["add"] = {t: [{c.name: draw(ANY_VALUE) for c in TABLE_BY_NAME[t].columns
                               if c.name == TABLE_BY_NAME[t].key or draw(st.booleans())}] for t in tables}
        elif op == "set":
            out["set"] = {t: {i: {c.name: draw(ANY_VALUE) for c in draw(st.lists(
                st.sampled_from([c for c in TABLE_BY_NAME[t].columns if c.name != TABLE_BY_NAME[t].key]),
                unique_by=lambda c: c.name, min_size=1, max_size=2))} for i in some_ids(t)} for t in tables}
        else:
            out.setdefault("set", {})["model"] = {k: draw(ANY_VALUE) for k in draw(st.lists(st.sampled_from(
                ["target_population", "handlers", "serious_incident", "title_ja", "assessed_on"]), unique=True, max_size=2))}
    return out


@fast(80)
@given(w=written_models(), data=st.data())
def test_random_scenarios_apply_or_are_refused(w: Written, data, property_counts):
    with Scratch() as tmp:
        model = load_model(write(w, tmp / "model"))
        scenario = data.draw(scenarios(model))
        property_counts["scenarios"] += 1
        try:
            changed = apply_scenario(model, scenario)
        except ModelError as exc:
            assert exc.problems
            event("refused")
            return
        event("applied")
        # what apply_scenario accepts, load_model accepts too, unchanged
        assert_same_tables(changed, load_model(save_model(changed, tmp / "changed")))
