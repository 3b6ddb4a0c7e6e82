"""The corpus of bad input: one mistake each, made from ``tests/models/tiny``, and what the toolkit says.

Four kinds of case:

* ``CASES`` — broken models, committed as ``tests/broken/<case>/``: ``load_model`` raises a ``ModelError``
  and every CLI command exits 1 with the located message ``expect``.
* ``SCENARIO_CASES`` — broken scenario files, committed as ``tests/broken/scenarios/<case>.yaml``, applied
  to ``tests/models/tiny`` (``load_scenario`` / ``apply_scenario``, ``pia-analysis scenario``).
* ``GENERATED_CASES`` — cases too big to commit (a 50 MiB file), built at test time with :func:`build_case`
  / :func:`build_scenario_case` under a temporary directory (sparse files: fast, no disk used).
* ``ACCEPTED_CASES`` — things that look wrong but are accepted on purpose (Excel's ``TRUE``/``FALSE``, a
  table of controls with only its header …), built at test time; ``check`` says what they load as.

``python tests/broken_cases.py`` rewrites the committed directories from these definitions (the tests
fail if they drift); ``python tests/broken_cases.py --doc`` rewrites ``docs/bad-input.md``, the table of
every case and its messages (``tests/test_io.py`` fails if it differs from what the cases give).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TINY = HERE / "models" / "tiny"
BROKEN = HERE / "broken"
SCENARIOS = BROKEN / "scenarios"
DOC = ROOT / "docs" / "bad-input.md"
MIB = 2**20


@dataclass(frozen=True)
class Case:
    name: str
    file: str
    old: str | bytes  # text to replace ('' with new=None means: delete the file)
    new: str | bytes | None
    expect: str  # a substring of the located message, "file:line: column: message" ('' for accepted cases)
    encoding: str = "utf-8"
    what: str = ""  # the mistake, in a few words (the table in docs/bad-input.md)
    build: Callable[[Path], None] | None = None  # a custom edit of the copied model, instead of old -> new
    check: Callable[[Any], bool] | None = None  # accepted cases: a check of the loaded model


@dataclass(frozen=True)
class ScenarioCase:
    name: str
    text: str | bytes | None  # the scenario file (None: no file at all)
    expect: str
    what: str = ""
    size: int = 0  # > 0: a sparse file of this many bytes, built at test time (GENERATED_SCENARIO_CASES)


# --- custom edits ------------------------------------------------------------------------------------


def _append(file: str, text: str) -> Callable[[Path], None]:
    def edit(d: Path) -> None:
        with open(d / file, "a", encoding="utf-8", newline="") as fh:
            fh.write(text)
    return edit


def _write(file: str, data: str | bytes) -> Callable[[Path], None]:
    def edit(d: Path) -> None:
        (d / file).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return edit


def _transform(file: str, fn: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def edit(d: Path) -> None:
        (d / file).write_bytes(fn((d / file).read_bytes()))
    return edit


def _header_only(file: str) -> Callable[[Path], None]:
    return _transform(file, lambda b: b.split(b"\n", 1)[0] + b"\n")


def _previous_cycle(d: Path) -> None:
    # this model's previous version is ./older, whose previous version is this model again
    _append("model.yaml", "previous: older\n")(d)
    shutil.copytree(TINY, d / "older")
    _append("model.yaml", "previous: ..\n")(d / "older")


def _extra_column_with_my_number(d: Path) -> None:
    lines = (d / "systems.csv").read_text(encoding="utf-8").splitlines()
    notes = ["memo", "", "ticket 1234 5678 9018", ""]
    (d / "systems.csv").write_text("\n".join(f"{line},{n}" for line, n in zip(lines, notes)) + "\n", encoding="utf-8")


def _cp932_with_undefined_byte(d: Path) -> None:
    data = (d / "systems.csv").read_text(encoding="utf-8").encode("cp932")
    (d / "systems.csv").write_bytes(data.replace(b"Terminal", b"Term\xfdinal"))


def _utf16(d: Path) -> None:
    # Excel's "Unicode text": UTF-16 with a BOM, tab-separated
    text = (d / "zones.csv").read_text(encoding="utf-8").replace(",", "\t")
    (d / "zones.csv").write_bytes(text.encode("utf-16"))


def _sparse(file: str, size: int) -> Callable[[Path], None]:
    def edit(d: Path) -> None:
        with open(d / file, "r+b") as fh:
            fh.truncate(size)  # a hole: no data is written, so it is instant and takes no disk space
    return edit


def _nested(depth: int) -> str:
    # a block sequence in a sequence in … on one line ("- - - x"): PyYAML's composer recurses once per level
    return "\n  " + "- " * depth + "x"


# nine levels of ten: a billion items, if anything ever printed it as text (it is 300 bytes of YAML)
_ALIAS_BOMB = "[&a [1,1,1,1,1,1,1,1,1,1], " + ", ".join(
    f"&{b} [{', '.join([f'*{a}'] * 10)}]" for a, b in zip("abcdefgh", "bcdefghi")) + "]"


# --- the cases ---------------------------------------------------------------------------------------

CASES: tuple[Case, ...] = (
    # structure of the tables
    Case("missing_column", "systems.csv", "system_id,name_ja,name_en,zone_id,", "system_id,name_ja,name_en,",
         "systems.csv:1: zone_id: required column is missing", what="a required column left out of the header"),
    Case("duplicate_id", "systems.csv", "TERM,端末", "REG,端末", "systems.csv:3: system_id: duplicate id 'REG' (first on line 2)",
         what="two systems with the same id"),
    Case("duplicate_column", "zones.csv", "operator,source", "operator,operator", "zones.csv:1: operator: appears twice in the header",
         what="a column named twice in the header"),
    Case("unknown_zone", "systems.csv", "SRV,発行サーバ,Issuance server,DC", "SRV,発行サーバ,Issuance server,DX",
         "systems.csv:4: zone_id: 'DX' is not a known zone_id", what="a system in a zone that zones.csv lacks"),
    Case("unknown_system_in_flow", "flows.csv", "F2,REG,SRV", "F2,REG,SERVER", "flows.csv:3: target: 'SERVER' is not a known system_id",
         what="a flow to a system that systems.csv lacks"),
    Case("unknown_file_in_holds", "systems.csv", "REG_FILE;CERT_FILE", "REG_FILE;CERT", "systems.csv:4: holds: 'CERT' is not a known file_id",
         what="a system holding a file that files.csv lacks"),
    Case("unknown_file_in_flow", "flows.csv", "F2,REG,SRV,REG_FILE", "F2,REG,SRV,REG_FILE;TAX_FILE",
         "flows.csv:3: files: 'TAX_FILE' is not a known file_id", what="a flow carrying a file that files.csv lacks"),
    Case("unknown_risk", "controls.csv", "use-2;use-3", "use-2;use-9", "controls.csv:2: mitigates: 'use-9' is not a known risk id",
         what="a control mitigating a risk id that does not exist"),
    Case("unknown_applies_to", "controls.csv", "F2,0.9", "F9,0.9", "controls.csv:3: applies_to: 'F9' is neither a system_id nor a flow_id",
         what="a control applied to an element that does not exist"),
    Case("bad_kind", "systems.csv", "CORE,terminal", "CORE,laptop", "systems.csv:3: kind: 'laptop' is not one of system, store",
         what="a kind outside the enumeration"),
    Case("bad_operator", "zones.csv", "false,contractor", "false,vendor", "zones.csv:3: operator: 'vendor' is not one of city",
         what="an operator outside the enumeration"),
    Case("bad_stage", "flows.csv", "REG_FILE,use,", "REG_FILE,usage,", "flows.csv:2: stage: 'usage' is not one of acquire",
         what="a stage outside the enumeration"),
    Case("bad_status", "controls.csv", "0.9,planned", "0.9,someday", "controls.csv:3: status: 'someday' is not one of implemented",
         what="a status outside the enumeration"),
    Case("effectiveness_out_of_range", "controls.csv", "F2,0.9", "F2,1.5", "controls.csv:3: effectiveness: '1.5' is outside [0, 1]",
         what="an effectiveness above 1"),
    Case("entry_likelihood_negative", "systems.csv", ",0.1,", ",-0.1,", "systems.csv:3: entry_likelihood: '-0.1' is outside [0, 1]",
         what="a negative entry likelihood"),
    Case("records_not_a_number", "files.csv", ",200,", ",two hundred,", "files.csv:3: records: 'two hundred' is not a whole number",
         what="a record count in words"),
    Case("bad_boolean", "flows.csv", "LGWAN,false,true", "LGWAN,false,maybe", "flows.csv:3: encrypted: 'maybe' is not a yes/no value",
         what="a yes/no column holding 'maybe'"),
    Case("empty_required_value", "files.csv", ",1500,true,", ",1500,,", "files.csv:2: contains_my_number: is empty",
         what="a required cell left empty"),
    Case("file_held_at_neither_end", "flows.csv", "F1,TERM,REG,REG_FILE", "F1,TERM,REG,CERT_FILE",
         "flows.csv:2: files: carries 'CERT_FILE', which neither 'TERM' nor 'REG' holds",
         what="a flow carrying a file that neither of its ends holds"),
    Case("self_loop_flow", "flows.csv", "F1,TERM,REG", "F1,REG,REG", "flows.csv:2: target: is the same system as source",
         what="a flow from a system to itself"),
    Case("too_many_values", "systems.csv", "TERM,端末,Terminal", "TERM,端末,Terminal, PC", "systems.csv:3: has 10 values but the header has 9 columns",
         what="an unquoted comma inside a value"),
    Case("unclosed_quote", "files.csv", "CERT_FILE,証明書ファイル", 'CERT_FILE,"証明書ファイル', "files.csv:3: is not valid CSV",
         what="a quote opened and never closed"),
    Case("tabs_for_commas", "zones.csv", "zone_id,name_ja,name_en,internet_facing,operator,source",
         "zone_id\tname_ja\tname_en\tinternet_facing\toperator\tsource", "zones.csv:1: uses tabs between columns",
         what="tabs instead of commas (a tab-separated export)"),
    Case("empty_file", "controls.csv", "*", None, "controls.csv:1: is empty", what="a table file of 0 bytes"),
    Case("missing_file", "flows.csv", "", None, "flows.csv: is missing", what="a required table file missing"),
    Case("unknown_yaml_key", "model.yaml", "handlers: 20", "handler: 20", "model.yaml:8: handler: unknown key",
         what="a misspelt model.yaml key"),
    Case("missing_yaml_key", "model.yaml", "affairs: 住民基本台帳に関する事務\n", "", "model.yaml: affairs: required key is missing",
         what="a required model.yaml key left out"),
    Case("malformed_yaml", "model.yaml", "title_en: A tiny test model", "title_en: [A tiny test model",
         "model.yaml:4: column 13: is not valid YAML: expected ',' or ']', but got ':' (while parsing a flow sequence on line 3)",
         what="a YAML bracket never closed"),
    Case("python_tag_yaml", "model.yaml", "title_en: A tiny test model", "title_en: !!python/object/apply:os.system ['true']",
         "model.yaml:3: column 11: is not valid YAML", what="a !!python/object tag (code execution with an unsafe loader)"),
    Case("bad_date", "model.yaml", "assessed_on: 2024-04-01", "assessed_on: 2024-13-01", "model.yaml:6: assessed_on: '2024-13-01' is not a date",
         what="a date with month 13"),
    Case("date_with_time", "model.yaml", "assessed_on: 2024-04-01", "assessed_on: 2024-04-01 10:30",
         "model.yaml:6: assessed_on: '2024-04-01 10:30' has a time of day (10:30)",
         what="a date with a time of day (a date-time cell saved to CSV)"),
    Case("era_day_missing", "model.yaml", "assessed_on: 2024-04-01", "assessed_on: R6.2.30",
         "model.yaml:6: assessed_on: 'R6.2.30' is not a date: February 令和6年 (2024) has 29 days",
         what="a 和暦 date the month lacks (R6.2.30)"),
    Case("era_year_outside", "model.yaml", "assessed_on: 2024-04-01", "assessed_on: 平成32年4月1日",
         "model.yaml:6: assessed_on: '平成32年4月1日' is not a date: 平成 ended on 2019-04-30",
         what="a year past the end of its era (平成32年)"),
    Case("likelihood_as_whole_percent", "systems.csv", ",0.1,", ",10,",
         "systems.csv:3: entry_likelihood: '10' is outside [0, 1] (hint: did you mean 10 % (0.1)?",
         what="a likelihood typed as a whole percentage (10 for 10 %)"),
    Case("bad_population", "model.yaml", "target_population: 1500", "target_population: many", "model.yaml:7: target_population: 'many' is not a whole number",
         what="a population in words"),
    Case("population_placeholder", "model.yaml", "target_population: 1500", "target_population: 0",
         "model.yaml:7: target_population: 0 is the placeholder that 'pia-analysis new' writes, not a number of "
         "people (hint: write the number of people whose information the files hold (対象となる本人の数",
         what="the population left at the 0 that pia-analysis new writes (judged 'no assessment required')"),
    Case("previous_not_a_model", "model.yaml", "serious_incident: false", "serious_incident: false\nprevious: ../nowhere",
         "model.yaml:10: previous: '../nowhere' is not a model directory", what="a previous version that does not exist"),
    Case("my_number_in_csv", "systems.csv", "assumption: test\nTERM", "assumption: test 1234-5678-9018\nTERM",
         "systems.csv:2: source: contains what looks like a real My Number (**** **** **18", what="a My Number in a table cell"),
    Case("my_number_in_yaml", "model.yaml", "organisation: テスト市", "organisation: テスト市 123456789018",
         "model.yaml:4: organisation: contains what looks like a real My Number", what="a My Number in model.yaml"),
    Case("bad_rating", "ratings.csv", "use-2,十分である", "use-2,まあまあ", "ratings.csv:2: rating: 'まあまあ' is not one of 特に力を入れている",
         what="a self-rating outside the three choices"),
    Case("rating_unknown_risk", "ratings.csv", "retain-1,sufficient", "retain-9,sufficient", "ratings.csv:3: risk_id: 'retain-9' is not a rated item",
         what="a rating of a risk that does not exist"),
    Case("rating_wrong_choice_set", "ratings.csv", "retain-1,sufficient", "training,十分である",
         "ratings.csv:3: rating: '十分である' (Section Ⅲ's choice) is not a choice of 'training' (Section Ⅳ)",
         what="a Section Ⅲ rating on a Section Ⅳ item (Ⅳ says 十分に行っている)"),
    Case("declared_out_with_a_flow", "model.yaml", "serious_incident: false",
         "serious_incident: false\ndeclared_not_applicable: [outsource]",
         "model.yaml:10: declared_not_applicable: declares 委託しない (outsource), but flow 'F2' (",
         what="委託しない declared while a flow of the outsource stage exists"),
    Case("extra_risk_clashes", "risks.csv", "", "risk_id,stage,name_ja,name_en\nuse-1,use,重複,Duplicate\n",
         "risks.csv:2: risk_id: 'use-1' is already a catalogue risk", what="an extra risk reusing a catalogue id"),
    Case("sub_measure_unknown", "sub_measures.csv", "", "sub_measure_id,answer,detail,source\nuse-2.user-auht,行っている,,test\n",
         "sub_measures.csv:2: sub_measure_id: 'use-2.user-auht' is not a sub-measure of the catalogue; did you mean "
         "use-2.user-auth", what="an answer to a sub-measure that is not in the catalogue"),
    Case("sub_measure_not_a_choice", "sub_measures.csv", "", "sub_measure_id,answer,detail,source\nuse-2.usage-log,たぶん,,test\n",
         "sub_measures.csv:2: answer: 'たぶん' is not a choice of use-2.usage-log",
         what="a sub-measure answer outside its choice set"),
    Case("sub_measure_text_given_a_choice", "sub_measures.csv", "",
         "sub_measure_id,answer,detail,source\nacquire-2.measures,行っている,窓口で確認,test\n",
         "sub_measures.csv:2: answer: acquire-2.measures (リスクに対する措置の内容) is answered by text, not a choice",
         what="a choice given to a sub-measure answered by text (「…の内容」)"),
    # --- the document-only data of the 評価書 (issue 15) ----------------------------------------------
    Case("document_unknown_key", "model.yaml", "", None, "model.yaml:11: document.departmnt: unknown key",
         what="a misspelt key of the document block",
         build=_append("model.yaml", "document:\n  departmnt: 市民課\n")),
    Case("file_details_unknown_file", "file_details.csv", "", "file_id,purpose\nTAX_FILE,課税\n",
         "file_details.csv:2: file_id: 'TAX_FILE' is not a known file_id",
         what="details of a file the model does not have"),
    Case("file_details_retention_words", "file_details.csv", "", "file_id,retention\nREG_FILE,永久\n",
         "file_details.csv:2: retention: '永久' is not a whole number of years or 定められていない",
         what="a retention period that is neither years nor 定められていない"),
    Case("file_details_user_count_negative", "file_details.csv", "", "file_id,user_count\nREG_FILE,-5\n",
         "file_details.csv:2: user_count: '-5' is not a whole number",
         what="a negative number of users"),
    Case("outsourcing_covers_city_system", "outsourcing.csv", "", "outsourcing_id,name_ja,covers\nO1,保守,REG\n",
         "outsourcing.csv:2: covers: system 'REG' is run by city, not by a contractor",
         what="a 委託事項 covering a system the city runs"),
    Case("outsourcing_covers_twice", "outsourcing.csv", "",
         "outsourcing_id,name_ja,covers\nO1,運用,SRV;F2\nO2,保守,F2\n",
         "outsourcing.csv:3: covers: 'F2' is already covered by another 委託事項 (line 2)",
         what="one outsourcing flow in two 委託事項"),
    Case("recipient_not_provided_to", "recipients.csv", "", "system_id,use\nSRV,照会\n",
         "recipients.csv:2: system_id: 'SRV' is not the target of a provide flow",
         what="a recipient no provide flow reaches"),
    Case("form_answer_unknown_item", "form_answers.csv", "", "item_id,unit,answer\nfull.II.3.99,REG_FILE,x\n",
         "form_answers.csv:2: item_id: 'full.II.3.99' is not a layout item of catalog/form_layout.csv",
         what="an answer to an item the layouts do not have"),
    Case("form_answer_not_a_choice", "form_answers.csv", "", "item_id,unit,answer\nfull.II.2.1,REG_FILE,紙\n",
         "form_answers.csv:2: answer: '紙' is not a choice of full.II.2.1 (ファイルの種類)",
         what="an answer outside the item's choice set"),
    Case("form_answer_band_word", "form_answers.csv", "", "item_id,unit,answer\nfull.II.3.7.users,REG_FILE,多数\n",
         "form_answers.csv:2: answer: '多数' is neither a number of people nor a band of users",
         what="a band item answered by neither a number nor a band label"),
    Case("form_answer_twice_for_a_unit", "form_answers.csv", "",
         "item_id,unit,answer\nfull.II.2.2,REG_FILE,120\nfull.II.2.2,REG_FILE,130\n",
         "form_answers.csv:3: item_id: full.II.2.2 for REG_FILE is answered twice (first on line 2)",
         what="one item answered twice for the same unit (once per unit is fine)"),
    Case("file_details_retention_negative", "file_details.csv", "", "file_id,retention\nREG_FILE,-3\n",
         "file_details.csv:2: retention: '-3' is negative",
         what="a negative retention period"),
    Case("file_details_retention_over_limit", "file_details.csv", "", "file_id,retention\nREG_FILE,10000\n",
         "file_details.csv:2: retention: '10000' is over the limit of 9,999 years",
         what="a retention period of five digits"),
    Case("form_answer_wrong_unit", "form_answers.csv", "", "item_id,unit,answer\nfull.II.3.6,CERT,住民の記録\n",
         "form_answers.csv:2: unit: 'CERT' is not a file unit of this model",
         what="an answer for a file the model does not have"),
    Case("bom_in_middle", "files.csv", "CERT_FILE,", "\ufeffCERT_FILE,", "files.csv:3: a byte-order mark (BOM) in the middle of the file",
         what="a BOM in the middle (two files pasted together)"),
    Case("not_utf8_nor_cp932", "zones.csv", b"DC,", b"\xff\xfeDC,", "zones.csv:3: is neither UTF-8 nor cp932",
         what="bytes that are neither UTF-8 nor cp932"),
    Case("star_mixed_with_ids", "controls.csv", "retain-1,*,", "retain-1,*;REG,", "controls.csv:4: applies_to: mixes * with ids",
         what="'*' mixed with ids in applies_to"),
    # --- added with the bad-input corpus ---------------------------------------------------------
    # truncated, blank and header-only files
    Case("truncated_mid_row", "files.csv", "CERT_FILE,証明書ファイル,Certificate file,200,false,4情報,assumption: test\n",
         "CERT_FILE,証明書ファイル,Certificate file,2", "files.csv:3: has 4 values but the header has 7 columns",
         what="a CSV file cut in the middle of its last row"),
    Case("truncated_in_quote", "files.csv", "CERT_FILE,証明書ファイル,Certificate file,200,false,4情報,assumption: test\n",
         'CERT_FILE,証明書ファイル,"Certifi', "files.csv:3: is not valid CSV (unexpected end of data)",
         what="a CSV file cut inside a quoted value"),
    Case("truncated_mid_character", "files.csv", "", None, "files.csv:3: is neither UTF-8 nor cp932 (bad byte 0xe6): it looks like UTF-8 with a damaged or cut character",
         what="a UTF-8 file cut inside a multi-byte character (cp932 would decode it as mojibake)",
         build=_transform("files.csv", lambda b: b[: b.rindex("情".encode()) + 2])),
    Case("empty_model_yaml", "model.yaml", "", None, "model.yaml:1: has no keys (the file is empty)", what="model.yaml of 0 bytes",
         build=_write("model.yaml", b"")),
    Case("blank_lines_only", "zones.csv", "", None, "zones.csv:1: is empty", what="a table file of blank lines",
         build=_write("zones.csv", "\n \n\n")),
    Case("blank_first_line", "zones.csv", "zone_id,", "\nzone_id,", "zones.csv:1: the first line is blank: the header must be on line 1",
         what="a blank line above the header"),
    Case("only_header_zones", "zones.csv", "", None, "zones.csv:1: has a header but no rows: a model needs at least one zone",
         what="zones.csv with a header and no rows", build=_header_only("zones.csv")),
    Case("only_header_systems", "systems.csv", "", None, "systems.csv:1: has a header but no rows: a model needs at least one system",
         what="systems.csv with a header and no rows", build=_header_only("systems.csv")),
    Case("unnamed_column", "systems.csv", "entry_likelihood,source", "entry_likelihood,", "systems.csv:1: column 9: has no name in the header",
         what="a column with an empty name"),
    Case("semicolons_for_commas", "zones.csv", "", None, "zones.csv:1: uses ';' between columns",
         what="';' instead of commas (Excel in a locale with decimal commas)",
         build=_transform("zones.csv", lambda b: b.replace(b",", b";"))),
    Case("model_yaml_missing", "model.yaml", "", None, "model.yaml: is missing", what="no model.yaml in the directory"),
    Case("misnamed_file", "systems.csv", "", None, "systems.csv: is missing (hint: found Systems.csv: rename it to systems.csv",
         what="systems.csv saved as Systems.csv", build=lambda d: (d / "systems.csv").rename(d / "Systems.csv")),
    Case("misnamed_optional_file", "ratings.csv", "", None, "ratings.csv: is missing (hint: found Ratings.csv: rename it",
         what="ratings.csv saved as Ratings.csv (would be silently ignored)",
         build=lambda d: (d / "ratings.csv").rename(d / "Ratings.csv")),
    # encodings and bytes
    Case("utf16_file", "zones.csv", "", None, "zones.csv:1: is UTF-16 text", what="a UTF-16 file (Excel's 'Unicode text')",
         build=_utf16),
    Case("nul_byte", "zones.csv", b"DC,", b"DC\x00,", "zones.csv:3: contains NUL bytes", what="a NUL byte in a table"),
    Case("stray_byte_in_utf8", "systems.csv", b"Terminal", b"Term\xffinal",
         "systems.csv:3: is neither UTF-8 nor cp932 (bad byte 0xff): it looks like UTF-8 with a damaged or cut character",
         what="one invalid byte in a UTF-8 file"),
    Case("undefined_cp932_byte", "systems.csv", "", None, "systems.csv:3: is neither UTF-8 nor cp932 (bad byte 0xfd)",
         what="a cp932 file with a byte cp932 does not define", build=_cp932_with_undefined_byte),
    Case("cp932_row_in_utf8_file", "zones.csv", "", None, "zones.csv:4: is UTF-8 up to line 3, but line 4 is not (bad byte 0x8c)",
         what="a row saved as cp932 pasted into a UTF-8 file",
         build=_transform("zones.csv", lambda b: b + "WEB,公開系,Web,true,city,assumption: test\n".encode("cp932"))),
    # spreadsheet artefacts
    Case("excel_error_value", "files.csv", ",200,", ",#N/A,", "files.csv:3: records: '#N/A' is a spreadsheet error value, not a value",
         what="Excel's #N/A where a number belongs"),
    Case("excel_error_id", "controls.csv", "C2,", "#REF!,", "controls.csv:3: control_id: '#REF!' is a spreadsheet error value",
         what="Excel's #REF! as an id"),
    Case("excel_formula_text", "flows.csv", "LGWAN,false,true", "LGWAN,=FALSE(),true",
         "flows.csv:3: interactive: '=FALSE()' is a spreadsheet formula, not a value", what="a formula saved as text (=FALSE())"),
    Case("thousands_separator_in_id", "controls.csv", "C1,", '"1,001",', "controls.csv:2: control_id: '1,001' is not a valid id",
         what="a number with a thousands separator as an id"),
    # cells
    Case("empty_id", "controls.csv", "C2,", ",", "controls.csv:3: control_id: is empty", what="a row without its id"),
    Case("empty_list_item", "controls.csv", "use-2;use-3", "use-2;;use-3", "controls.csv:2: mitigates: 'use-2;;use-3' has an empty item",
         what="two ';' in a row in a list"),
    Case("flow_id_is_a_system_id", "flows.csv", "F1,TERM", "SRV,TERM", "flows.csv:2: flow_id: 'SRV' is also a system_id",
         what="a flow id equal to a system id"),
    Case("percent_over_100", "systems.csv", ",0.1,", ",150%,", "systems.csv:3: entry_likelihood: '150%' is outside [0, 1]",
         what="a likelihood of 150%"),
    Case("records_negative", "files.csv", ",200,", ",-200,", "files.csv:3: records: '-200' is not a whole number >= 0",
         what="a negative record count"),
    Case("records_too_large", "files.csv", ",200,", ",99999999999999999999,", "files.csv:3: records: '99999999999999999999' is too large",
         what="a record count of 20 digits (crashed: int64 overflow)"),
    Case("duplicate_rating", "ratings.csv", "retain-1,sufficient", "use-2,sufficient", "ratings.csv:3: risk_id: duplicate id 'use-2'",
         what="a risk rated twice"),
    Case("my_number_in_extra_column", "systems.csv", "", None,
         "systems.csv:3: memo: contains what looks like a real My Number (**** **** **18",
         what="a My Number in a column the format does not know", build=_extra_column_with_my_number),
    # model.yaml
    Case("duplicate_yaml_key", "model.yaml", "", None, "model.yaml:10: id: appears twice (first on line 1)",
         what="a model.yaml key given twice (YAML keeps the last silently)", build=_append("model.yaml", "id: tiny-copy\n")),
    Case("yaml_not_a_mapping", "model.yaml", "", None, "model.yaml:1: must be a mapping of keys to values",
         what="model.yaml written as a list",
         build=_transform("model.yaml", lambda b: b"".join(b"- " + line for line in b.splitlines(keepends=True)))),
    Case("yaml_list_value", "model.yaml", "title_ja: テスト用の小さなモデル", "title_ja: [テスト用, 小さなモデル]",
         "model.yaml:2: title_ja: must be a single text value", what="a list where a text belongs"),
    Case("yaml_alias_bomb", "model.yaml", "target_population: 1500", f"target_population: {_ALIAS_BOMB}",
         "model.yaml:7: target_population: the alias *c is not read: the aliases would repeat more than 10,000 values",
         what="nested YAML aliases ('billion laughs'; hung when printed as text)"),
    Case("yaml_deeply_nested", "model.yaml", "title_en: A tiny test model", f"title_en: {_nested(3000)}",
         "model.yaml: is not valid YAML: it is nested too deeply", what="3,000 nested YAML lists (crashed: RecursionError)"),
    Case("yaml_integer_too_long", "model.yaml", "target_population: 1500", "target_population: " + "9" * 5000,
         "model.yaml:7: target_population: has more than 100 digits (5,000)",
         what="an integer of 5,000 digits (crashed: ValueError; then an unlocated message quoting Python)"),
    Case("population_too_large", "model.yaml", "target_population: 1500", "target_population: 99999999999999999999",
         "model.yaml:7: target_population: 99999999999999999999 is too large", what="a population of 20 digits"),
    Case("negative_handlers", "model.yaml", "handlers: 20", "handlers: -3", "model.yaml:8: handlers: -3 is negative",
         what="a negative number of handlers"),
    Case("serious_incident_not_bool", "model.yaml", "serious_incident: false", "serious_incident: sometimes",
         "model.yaml:9: serious_incident: 'sometimes' is not true or false", what="a yes/no key holding a word"),
    Case("bad_model_id", "model.yaml", "id: tiny", "id: tiny model", "model.yaml:1: id: 'tiny model' is not a valid id",
         what="a model id with a space"),
    Case("previous_cycle", "model.yaml", "", None, "model.yaml:10: previous: the chain of previous versions loops back to",
         what="previous -> ./older, whose previous is .. (a cycle of two models)", build=_previous_cycle),
    Case("previous_is_itself", "model.yaml", "", None, "model.yaml:10: previous: the chain of previous versions loops back to",
         what="previous: . (the model itself)", build=_append("model.yaml", "previous: .\n")),
    Case("previous_unusable_path", "model.yaml", "", None, "model.yaml:10: previous: 'a\\x00b' is not a usable path",
         what="a previous path with a NUL character (crashed: ValueError)", build=_append("model.yaml", 'previous: "a\\0b"\n')),
)

GENERATED_CASES: tuple[Case, ...] = (
    Case("file_of_50_mib", "systems.csv", "", None, "systems.csv: is 50.0 MiB, over the 25 MiB limit",
         what="a 50 MiB table (refused by its size, never read)", build=_sparse("systems.csv", 50 * MIB)),
    Case("model_yaml_of_2_mib", "model.yaml", "", None, "model.yaml: is 2.0 MiB, over the 1 MiB limit",
         what="a 2 MiB model.yaml (YAML files are limited to 1 MiB: PyYAML reads about 100 KiB a second)",
         build=_sparse("model.yaml", 2 * MIB)),
)

ACCEPTED_CASES: tuple[Case, ...] = (
    Case("excel_true_false", "flows.csv", "true,false,assumption: test\nF2", "TRUE,FALSE,assumption: test\nF2", "",
         what="Excel's TRUE/FALSE (any case is accepted)",
         check=lambda m: m.flows.set_index("flow_id").loc["F1", ["interactive", "encrypted"]].tolist() == [True, False]),
    Case("only_header_controls", "controls.csv", "", None, "", what="controls.csv with a header and no rows (no measures yet)",
         build=_header_only("controls.csv"), check=lambda m: m.controls.empty),
    Case("only_header_ratings", "ratings.csv", "", None, "", what="ratings.csv with a header and no rows",
         build=_header_only("ratings.csv"), check=lambda m: m.ratings.empty),
    Case("cp932_with_crlf", "systems.csv", "", None, "", what="cp932 with CRLF line ends (Excel on Japanese Windows)",
         build=_transform("systems.csv", lambda b: b.decode("utf-8").replace("\n", "\r\n").encode("cp932")),
         check=lambda m: "住民記録システム" in set(m.systems["name_ja"])),
    Case("utf8_bom", "zones.csv", "", None, "", what="UTF-8 with a BOM at the start (Excel's 'CSV UTF-8')",
         build=_transform("zones.csv", lambda b: b"\xef\xbb\xbf" + b), check=lambda m: m.zones["zone_id"].tolist() == ["CORE", "DC"]),
    Case("full_width_and_separators", "files.csv", ",1500,", ',"１,５００",', "", what="full-width digits and a thousands separator in a number",
         check=lambda m: m.files.set_index("file_id").loc["REG_FILE", "records"] == 1500),
    Case("percent_likelihood", "systems.csv", ",0.1,", ",10%,", "", what="a likelihood written as a percentage",
         check=lambda m: m.systems.set_index("system_id").loc["TERM", "entry_likelihood"] == 0.1),
    Case("japanese_words", "flows.csv", ",use,庁内LAN,true,false,", ",使用,庁内LAN,○,×,", "",
         what="Japanese words for a stage and ○/× for yes/no (catalog/value_aliases.csv)",
         check=lambda m: m.flows.set_index("flow_id").loc["F1", ["stage", "interactive", "encrypted"]].tolist()
         == ["use", True, False]),
    Case("japanese_era_date", "model.yaml", "assessed_on: 2024-04-01", "assessed_on: 令和6年4月1日", "",
         what="a date in 和暦 (令和6年4月1日; R6.4.1 and 2024/4/1 too)",
         check=lambda m: m.meta["assessed_on"].isoformat() == "2024-04-01"),
    Case("population_below_records", "model.yaml", "target_population: 1500", "target_population: 900", "",
         what="a population below the records of the largest My Number file (loads with a warning; --strict: "
              "an error)",
         check=lambda m: [str(w).split("/")[-1] for w in m.warnings] == [
             "model.yaml:7: target_population: 900 is below the 1,500 records of REG_FILE (files.csv line 2), the "
             "largest file with My Numbers (hint: write the number of people whose information the files hold, or "
             "correct that file's records)"]),
)


SCENARIO_CASES: tuple[ScenarioCase, ...] = (
    ScenarioCase("scenario_unknown_ids", "id: unknown-ids\nremove: {flows: [F9]}\nset:\n  controls:\n    C9: {status: missing}\n",
                 "scenario_unknown_ids.yaml:2: flow_id: cannot remove 'F9': it is not a flow_id of flows.csv",
                 what="removes and sets ids the model lacks"),
    ScenarioCase("scenario_python_tag", "id: python-tag\ntitle_en: !!python/object/apply:os.system ['true']\n",
                 "scenario_python_tag.yaml:2: column 11: is not valid YAML: could not determine a constructor for the tag",
                 what="a !!python/object tag"),
    ScenarioCase("scenario_bad_value", "id: bad-value\nset:\n  controls:\n    C1: {effectiveness: 1.5}\n",
                 "scenario_bad_value.yaml:4: effectiveness: '1.5' is outside [0, 1]", what="a value outside its range"),
    ScenarioCase("scenario_unknown_table", "id: unknown-table\nremove: {servers: [SRV]}\n",
                 "scenario_unknown_table.yaml:2: servers: is not a table of a model (in remove)", what="a table that does not exist"),
    ScenarioCase("scenario_unknown_column", "id: unknown-column\nset:\n  systems:\n    REG: {colour: blue}\n",
                 "scenario_unknown_column.yaml:4: colour: is not a column of systems.csv", what="a column that does not exist"),
    ScenarioCase("scenario_unknown_key", "id: unknown-key\nchanges:\n  remove: {flows: [F1]}\n",
                 "scenario_unknown_key.yaml:2: changes: unknown key", what="a misspelt top-level key"),
    ScenarioCase("scenario_breaks_reference",
                 "id: breaks-reference\nadd:\n  systems:\n    - {system_id: NEW, name_ja: 新システム, zone_id: NOWHERE, kind: system, operator: city}\n",
                 "scenario_breaks_reference.yaml:4: zone_id: 'NOWHERE' is not a known zone_id",
                 what="adds a system in a zone that does not exist"),
    ScenarioCase("scenario_file_held_at_neither_end", "id: unheld\nset:\n  systems:\n    REG: {holds: ''}\n",
                 "tests/models/tiny/flows.csv:2: files: carries 'REG_FILE', which neither 'TERM' nor 'REG' holds (after applying scenario 'unheld')",
                 what="leaves a flow carrying a file neither end holds"),
    ScenarioCase("scenario_removes_every_zone", "id: no-zones\nremove: {zones: [CORE, DC]}\n",
                 "tests/models/tiny/zones.csv:1: has a header but no rows: a model needs at least one zone",
                 what="removes every zone (and so every system)"),
    ScenarioCase("scenario_my_number", "id: my-number\ntitle_ja: 番号 1234-5678-9018 の件\n",
                 "scenario_my_number.yaml:2: contains what looks like a real My Number", what="a My Number in the text"),
    ScenarioCase("scenario_malformed_yaml", "id: malformed\nremove: {flows: [F1}\n",
                 "scenario_malformed_yaml.yaml:2: column 20: is not valid YAML: expected ',' or ']', but got '}'", what="a bracket never closed"),
    ScenarioCase("scenario_not_a_mapping", "- remove F1\n- set C1\n", "scenario_not_a_mapping.yaml:1: must be a mapping",
                 what="a list instead of a mapping"),
    ScenarioCase("scenario_duplicate_key", "id: dup\nremove: {flows: [F1]}\nremove: {flows: [F2]}\n",
                 "scenario_duplicate_key.yaml:3: remove: appears twice in the file (first on line 2)", what="a key given twice"),
    ScenarioCase("scenario_sets_an_id", "id: set-id\nset:\n  systems:\n    REG: {system_id: REG2}\n",
                 "scenario_sets_an_id.yaml:4: system_id: an id cannot be changed by set", what="changes an id with set"),
    ScenarioCase("scenario_sets_a_removed_row", "id: set-removed\nremove: {controls: [C1]}\nset:\n  controls:\n    C1: {status: missing}\n",
                 "scenario_sets_a_removed_row.yaml:5: control_id: cannot set 'C1': it is removed by this scenario",
                 what="sets a row it removes"),
    ScenarioCase("scenario_adds_an_existing_row",
                 "id: add-existing\nadd:\n  zones:\n    - {zone_id: CORE, name_ja: 基幹系, internet_facing: false, operator: city}\n",
                 "scenario_adds_an_existing_row.yaml:4: zone_id: cannot add 'CORE': zones.csv already has it", what="adds an id the model has"),
    ScenarioCase("scenario_sets_previous", "id: set-previous\nset:\n  model: {previous: ../other}\n",
                 "scenario_sets_previous.yaml:3: previous: cannot be set by a scenario", what="sets model.yaml's previous"),
    ScenarioCase("scenario_nul_byte", b"id: nul\x00\n", "scenario_nul_byte.yaml:1: contains NUL bytes", what="a NUL byte"),
    ScenarioCase("scenario_not_utf8", b"id: bad-bytes\ntitle_ja: \xff\xfe\n", "scenario_not_utf8.yaml:2: is neither UTF-8 nor cp932",
                 what="bytes that are neither UTF-8 nor cp932"),
    ScenarioCase("scenario_deeply_nested", f"id: nested\nadd: {_nested(3000)}\n",
                 "scenario_deeply_nested.yaml: is not valid YAML: it is nested too deeply",
                 what="3,000 nested YAML lists (crashed: RecursionError)"),
    ScenarioCase("scenario_recursive_anchor", "id: recursive\nset:\n  model:\n    title_ja: &a [*a]\n",
                 "scenario_recursive_anchor.yaml:4: column 15: is not valid YAML: found unconstructable recursive node",
                 what="an anchor that contains itself (crashed: ConstructorError)"),
    ScenarioCase("scenario_number_too_large", "id: big\nset:\n  files:\n    REG_FILE: {records: 99999999999999999999}\n",
                 "scenario_number_too_large.yaml:4: records: '99999999999999999999' is too large",
                 what="a record count of 20 digits (crashed: int64 overflow)"),
    ScenarioCase("scenario_alias_bomb", f"id: bomb\nset:\n  model:\n    handlers: {_ALIAS_BOMB}\n",
                 "scenario_alias_bomb.yaml:4: column 164: the alias *c is not read: the aliases would repeat more than",
                 what="nested YAML aliases ('billion laughs'; hung when printed as text)"),
    ScenarioCase("scenario_missing_file", None, "scenario_missing_file.yaml: is not a file", what="a scenario file that does not exist"),
)

GENERATED_SCENARIO_CASES: tuple[ScenarioCase, ...] = (
    ScenarioCase("scenario_of_50_mib", None, "scenario_of_50_mib.yaml: is 50.0 MiB, over the 1 MiB limit",
                 what="a 50 MiB scenario file (refused by its size, never read)", size=50 * MIB),
)


# --- issue 11: hostile text inputs -------------------------------------------------------------------
# The My Number guard reads what is loaded (YAML escapes, folded values, !!binary, any Unicode digit, any
# separator) and every name; YAML is plain data; ids and headers hold no invisible characters; a file
# that turns from UTF-8 to cp932 midway is refused; model files must be regular files inside the model.


def _utf8_then_cp932_row(d: Path) -> None:
    # a UTF-8 file with only a little Japanese (escaped the older heuristic) and one row saved as cp932
    # (基幹系 in UTF-8 is valid cp932 too: the whole file loaded as cp932, the UTF-8 row as 蝓ｺ蟷ｹ邉ｻ)
    text = "zone_id,name_ja,name_en,internet_facing,operator,source\nCORE,基幹系,Core,false,city,assumption: test\n" \
           "DC,DC,Data centre,false,contractor,assumption: test\n"
    (d / "zones.csv").write_bytes(text.encode("utf-8") + "WEB,公開系,Web,true,city,assumption: test\n".encode("cp932"))


def _fifo(file: str) -> Callable[[Path], None]:
    def edit(d: Path) -> None:
        (d / file).unlink(missing_ok=True)
        os.mkfifo(d / file)  # opening it for reading would block until a writer comes: never opened
    return edit


def _link(file: str, target: str, outside: str | None = None) -> Callable[[Path], None]:
    def edit(d: Path) -> None:
        if outside is not None:  # a file outside the model directory, whose text must never be echoed
            (d.parent / f"{d.name}-outside.csv").write_text(outside, encoding="utf-8")
        (d / file).unlink(missing_ok=True)
        os.symlink(target.format(name=d.name), d / file)
    return edit


def _folder_named(file: str) -> Callable[[Path], None]:
    def edit(d: Path) -> None:
        (d / file).unlink(missing_ok=True)
        (d / file).mkdir()
    return edit


def _previous_link_loop(d: Path) -> None:
    os.symlink("loop", d / "loop")  # a link to itself: resolving it never ends
    _append("model.yaml", "previous: loop\n")(d)


def _number_named_file(d: Path) -> None:
    (d / "1234-5678-9018.csv").write_text("note\n", encoding="utf-8")


_HOSTILE_CASES: tuple[Case, ...] = (
    Case("my_number_yaml_escapes", "model.yaml", "title_en: A tiny test model",
         'title_en: "\\x31\\x32\\x33\\x34\\u0035\\u0036\\u0037\\u0038\\x20\\x39\\x30\\x31\\x38"',
         "model.yaml:3: title_en: contains what looks like a real My Number (**** **** **18", what="a My Number written with YAML escapes (\\x31, \\u0035)"),
    Case("my_number_yaml_folded", "model.yaml", "title_en: A tiny test model", "title_en: >\n  1234\n  5678\n  9018",
         "model.yaml:3: title_en: contains what looks like a real My Number (**** **** **18", what="a My Number folded over three lines"),
    Case("my_number_yaml_binary", "model.yaml", "title_en: A tiny test model", "title_en: !!binary MTIzNDU2Nzg5MDE4",
         "model.yaml:3: title_en: contains what looks like a real My Number (**** **** **18", what="a My Number hidden as !!binary (base64)"),
    Case("my_number_arabic_digits", "systems.csv", "assumption: test\nTERM", "memo \u0661\u0662\u0663\u0664\u2212\u0665\u0666\u0667\u0668\u2212\u0669\u0660\u0661\u0668\nTERM",
         "systems.csv:2: source: contains what looks like a real My Number (**** **** **18", what="a My Number in Arabic-Indic digits with minus signs"),
    Case("my_number_zero_width", "systems.csv", "assumption: test\nTERM", "memo 1234\u200b5678\u200b9018\nTERM",
         "systems.csv:2: source: contains what looks like a real My Number (**** **** **18", what="a My Number with zero-width spaces between its groups"),
    Case("my_number_mathematical_digits", "files.csv", "assumption: test\nCERT_FILE", "memo \U0001d7cf\U0001d7d0\U0001d7d1\U0001d7d2.\U0001d7d3\U0001d7d4\U0001d7d5\U0001d7d6.\U0001d7d7\U0001d7ce\U0001d7cf\U0001d7d6\nCERT_FILE",
         "files.csv:2: source: contains what looks like a real My Number (**** **** **18", what="a My Number in mathematical bold digits, dotted"),
    Case("my_number_split_in_cell", "systems.csv", "assumption: test\nTERM", '"memo 1234\n5678\n9018"\nTERM',
         "systems.csv:2: source: contains what looks like a real My Number (**** **** **18", what="a My Number split over lines in one quoted cell"),
    Case("my_number_in_header", "zones.csv", "operator,source", "operator,source,1234 5678 9018",
         "zones.csv:1: column 7: contains what looks like a real My Number (**** **** **18", what="a My Number as a column name"),
    Case("my_number_in_short_row", "flows.csv", "F2,REG,SRV", "F2,1234-5678-9018",
         "flows.csv:3: source: contains what looks like a real My Number (**** **** **18", what="a My Number in a row with too few values"),
    Case("my_number_in_file_name", "1234-5678-9018.csv", "", None,
         "****-****-****.csv: its name holds what looks like a real My Number (**** **** **18", what="a file named with a My Number in the model folder",
         build=_number_named_file),
    Case("yaml_sexagesimal", "model.yaml", "handlers: 20", "handlers: 12:30",
         'model.yaml:8: handlers: 12:30 is not read as written (YAML 1.1 reads it as 750) (hint: write it in quotes, "12:30"',
         what="12:30 (YAML 1.1 reads 750, base 60)"),
    Case("yaml_hexadecimal", "model.yaml", "handlers: 20", "handlers: 0x14",
         'model.yaml:8: handlers: 0x14 is not read as written (YAML 1.1 reads it as 20) (hint: write 20, or "0x14" in quotes',
         what="0x14 (YAML 1.1 reads 20)"),
    Case("yaml_octal", "model.yaml", "target_population: 1500", "target_population: 01500",
         'model.yaml:7: target_population: 01500 is not read as written (YAML 1.1 reads it as 832) (hint: write 1500 without the leading zero',
         what="01500 (YAML 1.1 reads 832, octal)"),
    Case("yaml_octal_0o", "model.yaml", "handlers: 20", "handlers: 0o17",
         "model.yaml:8: handlers: '0o17' is not a whole number", what="0o17 (PyYAML reads YAML 1.1: text, not 15)"),
    Case("yaml_underscore", "model.yaml", "target_population: 1500", "target_population: 1_500",
         "model.yaml:7: target_population: 1_500 is not read as written (YAML 1.1 reads it as 1500) (hint: write 1500 (no '_' between digits)",
         what="1_500 (digits grouped with '_')"),
    Case("yaml_set_tag", "model.yaml", "title_en: A tiny test model", "title_en: !!set {A tiny test model}",
         "model.yaml:3: title_en: the tag !!set is not allowed", what="a !!set where a text belongs"),
    Case("yaml_omap_tag", "model.yaml", "title_en: A tiny test model", "title_en: !!omap [a: 1]",
         "model.yaml:3: title_en: the tag !!omap is not allowed", what="a !!omap where a text belongs"),
    Case("yaml_custom_tag", "model.yaml", "title_en: A tiny test model", "title_en: !note A tiny test model",
         "model.yaml:3: column 11: is not valid YAML: could not determine a constructor for the tag '!note'", what="a custom tag (!note)"),
    Case("invisible_in_id", "systems.csv", "", None,
         "systems.csv:5: system_id: 'RE\\u200bG' holds an invisible character (U+200B ZERO WIDTH SPACE)",
         what="a second system shown as 'REG' (a zero-width space inside)",
         build=_append("systems.csv", "RE\u200bG,偽システム,Fake,CORE,system,city,,,assumption: test\n")),
    Case("invisible_in_reference", "controls.csv", "use-2;use-3,REG;TERM", "use-2;use-3,REG;\u202eTERM",
         "controls.csv:2: applies_to: 'REG;\\u202eTERM' holds an invisible character (U+202E RIGHT-TO-LEFT OVERRIDE)",
         what="a right-to-left override in a list of ids"),
    Case("invisible_in_header", "zones.csv", "operator,source", "operator,sou\u00adrce",
         "zones.csv:1: column 6: 'sou\\xadrce' holds an invisible character (U+00AD SOFT HYPHEN)", what="a soft hyphen in a column name"),
    Case("invisible_in_model_id", "model.yaml", "id: tiny", "id: ti\u2060ny",
         "model.yaml:1: id: 'ti\\u2060ny' holds an invisible character (U+2060 WORD JOINER)", what="a word joiner in the model id"),
    Case("yaml_control_character", "model.yaml", "title_en: A tiny test model", "title_en: A tiny\x01 test model",
         "model.yaml:3: holds the control character U+0001, which YAML does not allow",
         what="a control character in model.yaml (was an unlocated message over two lines)"),
    Case("utf8_then_cp932_row", "zones.csv", "", None,
         "zones.csv:4: is UTF-8 up to line 3, but line 4 is not (bad byte 0x8c)",
         what="a UTF-8 file with one cp932 row (loaded as mojibake: 基幹系 → 蝓ｺ蟷ｹ邉ｻ)", build=_utf8_then_cp932_row),
)

_HOSTILE_GENERATED: tuple[Case, ...] = (
    Case("fifo_as_optional_table", "ratings.csv", "", None, "ratings.csv: is not a regular file: it is a named pipe (FIFO)",
         what="ratings.csv is a FIFO (was silently ignored; must never block)", build=_fifo("ratings.csv")),
    Case("fifo_as_model_yaml", "model.yaml", "", None, "model.yaml: is not a regular file: it is a named pipe (FIFO)",
         what="model.yaml is a FIFO", build=_fifo("model.yaml")),
    Case("device_as_table", "systems.csv", "", None, "systems.csv: is not a regular file: it is a character device",
         what="systems.csv is a link to /dev/zero", build=_link("systems.csv", "/dev/zero")),
    Case("folder_as_table", "flows.csv", "", None, "flows.csv: is not a regular file: it is a folder",
         what="flows.csv is a folder", build=_folder_named("flows.csv")),
    Case("link_outside_model", "zones.csv", "", None, "zones.csv: is a symbolic link to a file outside the model directory",
         what="zones.csv links to a file outside the model (its text was echoed)",
         build=_link("zones.csv", "../{name}-outside.csv", "zone_id,name_ja\nSECRET-LINE,外部の秘密\n")),
    Case("link_to_itself", "systems.csv", "", None, "systems.csv: cannot be read (Too many levels of symbolic links)",
         what="systems.csv is a link to itself", build=_link("systems.csv", "systems.csv")),
    Case("link_broken", "controls.csv", "", None, "controls.csv: is a symbolic link to nothing (a broken link)",
         what="controls.csv links to a file that does not exist", build=_link("controls.csv", "gone.csv")),
    Case("previous_link_loop", "model.yaml", "", None, "model.yaml:10: previous: 'loop' is not a usable path: Symlink loop",
         what="previous names a link to itself (crashed: internal error)", build=_previous_link_loop),
)

_HOSTILE_ACCEPTED: tuple[Case, ...] = (
    Case("link_inside_model", "zones.csv", "", None, "", what="zones.csv links to a file inside the model directory",
         build=lambda d: ((d / "zones.csv").rename(d / "zones-v2.csv"), os.symlink("zones-v2.csv", d / "zones.csv")),
         check=lambda m: m.zones["zone_id"].tolist() == ["CORE", "DC"]),
    Case("dates_phones_counts", "systems.csv", "assumption: test\nTERM",
         "2024-04-01 1500 records; tel 093-582-2102 / 090-1234-5678; 932000 people; 12:30\nTERM", "",
         what="dates, phone numbers and counts next to each other in a text (no My Number)",
         check=lambda m: "932000" in m.systems.set_index("system_id").loc["REG", "source"]),
    Case("quoted_yaml_forms", "model.yaml", "title_en: A tiny test model", 'title_en: "12:30 0x10 017 1_000"', "",
         what="12:30, 0x10, 017, 1_000 written in quotes (text)", check=lambda m: m.meta["title_en"] == "12:30 0x10 017 1_000"),
    Case("invalid_check_digit", "systems.csv", "assumption: test\nTERM", "ticket 1234-5678-9012\nTERM", "",
         what="12 digits whose check digit is not valid (not a My Number)",
         check=lambda m: "9012" in m.systems.set_index("system_id").loc["REG", "source"]),
)

_HOSTILE_SCENARIOS: tuple[ScenarioCase, ...] = (
    ScenarioCase("scenario_my_number_escaped", 'id: escaped\ntitle_ja: "\\u0031\\u0032\\u0033\\u0034-\\x35\\x36\\x37\\x38-9018"\n',
                 "scenario_my_number_escaped.yaml:2: contains what looks like a real My Number (**** **** **18", what="a My Number written with YAML escapes"),
    ScenarioCase("scenario_my_number_folded", "id: folded\ntitle_en: >-\n  1234\n  5678\n  9018\n",
                 "scenario_my_number_folded.yaml:2: contains what looks like a real My Number (**** **** **18", what="a My Number folded over lines"),
    ScenarioCase("scenario_my_number_binary", "id: binary\ntitle_en: !!binary MTIzNDU2Nzg5MDE4\n",
                 "scenario_my_number_binary.yaml:2: contains what looks like a real My Number (**** **** **18", what="a My Number as !!binary"),
    ScenarioCase("scenario_my_number_as_key", "id: as-key\nset:\n  controls:\n    \"\\u0031\\u0032\\u0033\\u0034\\u0035\\u0036\\u0037\\u0038\\u0039\\u0030\\u0031\\u0038\": {status: missing}\n",
                 "scenario_my_number_as_key.yaml:4: contains what looks like a real My Number (**** **** **18", what="a My Number as an id key, escaped"),
    ScenarioCase("scenario_1234-5678-9018", "id: named\n",
                 "scenario_****-****-****.yaml: its name holds what looks like a real My Number (**** **** **18", what="a scenario file named with a My Number"),
    ScenarioCase("scenario_sexagesimal", "id: sexagesimal\nset:\n  files:\n    REG_FILE: {records: 1:30}\n",
                 "scenario_sexagesimal.yaml:4: column 25: 1:30 is not read as written (YAML 1.1 reads it as 90)", what="1:30 (YAML 1.1 reads 90)"),
    ScenarioCase("scenario_octal", "id: octal\nset:\n  files:\n    REG_FILE: {records: 0017}\n",
                 "scenario_octal.yaml:4: column 25: 0017 is not read as written (YAML 1.1 reads it as 15)", what="0017 (YAML 1.1 reads 15)"),
    ScenarioCase("scenario_set_tag", "id: set-tag\nset:\n  model: {title_en: !!set {a, b}}\n",
                 "scenario_set_tag.yaml:3: column 21: the tag !!set is not allowed", what="a !!set value"),
    ScenarioCase("scenario_invisible_id", "id: invisible\nset:\n  controls:\n    \"C\\u200b1\": {status: missing}\n",
                 "scenario_invisible_id.yaml:4: control_id: 'C\\u200b1' holds an invisible character (U+200B ZERO WIDTH SPACE)",
                 what="an id with a zero-width space"),
    ScenarioCase("scenario_control_character", "id: control\ntitle_en: a\x1b[31m red\n",
                 "scenario_control_character.yaml:2: holds the control character U+001B, which YAML does not allow",
                 what="a terminal escape sequence (ESC) in a value"),
    ScenarioCase("scenario_utf8_then_cp932", "id: mixed\ntitle_ja: 基幹\n".encode("utf-8") + "title_en: 基幹系\n".encode("cp932"),
                 "scenario_utf8_then_cp932.yaml:3: is UTF-8 up to line 2, but line 3 is not", what="a UTF-8 file with a line in cp932"),
)


# Findings of the second attack (guard gaps; a number repeated unmasked by a later check). Every message
# passes through Problem, which masks any number the guard would find, whichever check made it.
_MN = "systems.csv:2: source: contains what looks like a real My Number (**** **** **18"
_HOSTILE_CASES += tuple(
    Case(f"my_number_{name}", "systems.csv", "assumption: test\nTERM", f'"memo {text}"\nTERM', _MN, what=what)
    for name, text, what in (
        ("underscores", "model_1234_5678_9018", "a My Number joined by underscores (model_1234_5678_9018)"),
        ("slashes", "1234/5678/9018", "a My Number written 1234/5678/9018"),
        ("commas", "1234,5678,9018", "a My Number written 1234,5678,9018"),
        ("colons", "1234:5678:9018", "a My Number written 1234:5678:9018"),
        ("parentheses", "(1234)5678-9018", "a My Number written (1234)5678-9018"),
        ("long_separator", "1234 -- 5678 -- 9018", "a My Number with ' -- ' between its groups"),
        ("long_vowel_mark", "１２３４ー５６７８ｰ９０１８", "a My Number with long-vowel marks (ー, ｰ) typed as dashes"),
        ("keycaps", "".join(d + "\ufe0f\u20e3" for d in "123456789018"), "a My Number in keycap emoji (digit, U+FE0F, U+20E3)"),
        ("variation_selectors", "1234\ufe0f5678\U000e01009018", "variation selectors inside a My Number"),
        ("combining_marks", "12\u03013456\u034f78901\u20dd8", "combining marks (acute, grapheme joiner, enclosing circle) inside a My Number"),
    ))
_HOSTILE_CASES += (
    Case("my_number_too_large", "model.yaml", "target_population: 1500", "target_population: 123456789018",
         "model.yaml:7: target_population: **** **** **18 is too large", what="a My Number as a count (the range check repeated it)"),
    Case("my_number_as_float", "model.yaml", "target_population: 1500", "target_population: 1.23456789018e+11",
         "model.yaml:7: target_population: **** **** **18.0 is not a whole number", what="a My Number as a float (1.23456789018e+11)"),
    Case("my_number_as_yaml_key", "model.yaml", "handlers: 20", 'handlers: 20\n? "\\x31\\x32\\x33\\x34\\x35\\x36\\x37\\x38\\x39\\x30\\x31\\x38"\n: x',
         "model.yaml:9: **** **** **18: unknown key", what="a My Number as an escaped YAML key (unknown key repeated it)"),
)
_HOSTILE_ACCEPTED += (
    Case("numbers_with_commas_and_slashes", "systems.csv", "assumption: test\nTERM",
         '"counts 932,000, 1,234,567, 8,901; 2024/04/01; 12:30:45; years 2020/2021/2022; model_v1_2_3"\nTERM', "",
         what="lists, dates, times and years with , / : _ (not 4-4-4 groups of a My Number)",
         check=lambda m: "2020/2021/2022" in m.systems.set_index("system_id").loc["REG", "source"]),
)
_HOSTILE_SCENARIOS += (
    ScenarioCase("scenario_my_number_as_count", "id: count\nset:\n  files:\n    REG_FILE: {records: 123456789018}\n",
                 "scenario_my_number_as_count.yaml:4: records: '**** **** **18' is too large",
                 what="a My Number as a record count (the range check repeated it)"),
    ScenarioCase("scenario_my_number_underscores", "id: underscores\ntitle_en: model_1234_5678_9018\n",
                 "scenario_my_number_underscores.yaml:2: contains what looks like a real My Number (**** **** **18",
                 what="a My Number joined by underscores"),
)

CASES = CASES + _HOSTILE_CASES
GENERATED_CASES = GENERATED_CASES + _HOSTILE_GENERATED
ACCEPTED_CASES = ACCEPTED_CASES + _HOSTILE_ACCEPTED
SCENARIO_CASES = SCENARIO_CASES + _HOSTILE_SCENARIOS


# --- issue 11: bounds ---------------------------------------------------------------------------------
# Values bounded so that anything that validates renders (pia_analysis/model/schema.py; docs/model-format.md,
# "Bounds"): each case is one step over a limit; tests/test_bounds_and_chains.py renders the values at it.


def _extra_column(file: str, name: str, value: str) -> Callable[[Path], None]:
    def edit(d: Path) -> None:
        lines = (d / file).read_text(encoding="utf-8").splitlines()
        cells = [name] + [value] + [""] * (len(lines) - 2)
        (d / file).write_text("\n".join(f"{line},{c}" for line, c in zip(lines, cells)) + "\n", encoding="utf-8")
    return edit


CASES += (
    Case("name_too_long", "systems.csv", "REG,住民記録システム,", "REG," + "名" * 201 + ",",
         "systems.csv:2: name_ja: is 201 characters long, over the limit of 200 for a name",
         what="a system name of 201 characters (names: at most 200)"),
    Case("source_too_long", "zones.csv", "city,assumption: test\nDC", "city,assumption: " + "議" * 1989 + "\nDC",
         "zones.csv:2: source: is 2,001 characters long, over the limit of 2,000 for a text cell",
         what="a source of 2,001 characters (text cells: at most 2,000)"),
    Case("extra_column_too_long", "zones.csv", "", None,
         "zones.csv:2: memo: is 2,001 characters long, over the limit of 2,000 for a text cell",
         what="a cell of 2,001 characters in an extra column", build=_extra_column("zones.csv", "memo", "メ" * 2001)),
    Case("id_too_long", "controls.csv", "C3,公表", "C" + "3" * 64 + ",公表",
         "controls.csv:4: control_id: is 65 characters long, over the limit of 64 for an id",
         what="an id of 65 characters (ids: at most 64)"),
    Case("title_too_long", "model.yaml", "title_ja: テスト用の小さなモデル", "title_ja: " + "題" * 201,
         "model.yaml:2: title_ja: is 201 characters long, over the limit of 200 for a title or name",
         what="a title of 201 characters"),
    Case("model_id_too_long", "model.yaml", "id: tiny", "id: " + "t" * 65,
         "model.yaml:1: id: is 65 characters long, over the limit of 64 for an id", what="a model id of 65 characters"),
    Case("assessed_on_too_late", "model.yaml", "assessed_on: 2024-04-01", "assessed_on: 9999-12-31",
         "model.yaml:6: assessed_on: 9999-12-31 is outside 1990-01-01 … 2099-12-31",
         what="an assessment in 9999 (crashed the report: year 10000 is out of range)"),
    Case("assessed_on_too_early", "model.yaml", "assessed_on: 2024-04-01", "assessed_on: 1989-12-31",
         "model.yaml:6: assessed_on: 1989-12-31 is outside 1990-01-01 … 2099-12-31", what="an assessment before 1990"),
)

GENERATED_CASES += (
    Case("name_of_120000_characters", "systems.csv", "", None,
         "systems.csv:2: name_ja: is 120,000 characters long, over the limit of 200 for a name",
         what="a system name of 120,000 characters (crashed the report: RecursionError after 74 s)",
         build=_transform("systems.csv", lambda b: b.replace("住民記録システム".encode(), "名".encode() * 120_000, 1))),
)

SCENARIO_CASES += (
    ScenarioCase("scenario_name_too_long", "id: long-name\nset:\n  systems:\n    REG: {name_ja: " + "名" * 201 + "}\n",
                 "scenario_name_too_long.yaml:4: name_ja: is 201 characters long, over the limit of 200 for a name",
                 what="sets a name of 201 characters"),
    ScenarioCase("scenario_date_too_late", "id: late\nset:\n  model: {assessed_on: 9999-12-31}\n",
                 "scenario_date_too_late.yaml:3: assessed_on: 9999-12-31 is outside 1990-01-01 … 2099-12-31",
                 what="sets assessed_on to 9999-12-31"),
)


# --- issue 11: second round ---------------------------------------------------------------------------
# Faults an independent attacker found in the first fixes: invisible characters outside Unicode's
# format category, YAML 1.1 booleans and the merge key, line counting with CR-only line ends, numbers of
# thousands of digits, and tables so wide or long that validation never ended.


def _cr_only_then_cp932(d: Path) -> None:
    # An old-Mac (CR-only) UTF-8 file whose third line was pasted in cp932.
    lines = (d / "systems.csv").read_text(encoding="utf-8").splitlines()
    data = "\r".join(lines[:2]).encode("utf-8") + b"\r" + lines[2].replace("端末", "基幹端末").encode("cp932") + b"\r"
    (d / "systems.csv").write_bytes(data + "\r".join(lines[3:]).encode("utf-8"))


def _wide_header(columns: int) -> Callable[[Path], None]:
    def edit(d: Path) -> None:
        lines = (d / "systems.csv").read_text(encoding="utf-8").splitlines()
        extra = columns - lines[0].count(",") - 1
        head = lines[0] + "," + ",".join(f"x{i}" for i in range(extra))
        (d / "systems.csv").write_text("\n".join([head] + [line + "," * extra for line in lines[1:]]) + "\n",
                                       encoding="utf-8")
    return edit


def _cells_over_limit(d: Path) -> None:
    # one line of a million commas: over the 1,000,000 cells a model may hold (refused before parsing)
    _append("controls.csv", "C9" + "," * 1_000_000 + "\n")(d)


CASES += (
    Case("hangul_filler_in_id", "systems.csv", "", None,
         "systems.csv:5: system_id: 'SRV\\u3164' holds an invisible character (U+3164 HANGUL FILLER)",
         what="a second system shown as 'SRV' (a Hangul filler after it: a letter that shows as nothing)",
         build=_append("systems.csv", "SRV\u3164,偽システム,Fake,CORE,system,city,,,assumption: test\n")),
    Case("grapheme_joiner_in_reference", "controls.csv", "use-2;use-3,REG;TERM", "use-2;use-3,REG;T\u034fERM",
         "controls.csv:2: applies_to: 'REG;T\\u034fERM' holds an invisible character (U+034F COMBINING GRAPHEME JOINER)",
         what="a combining grapheme joiner inside an id of a list"),
    Case("no_break_space_after_id", "controls.csv", "C3,公表", "C3\u00a0,公表",
         "controls.csv:4: control_id: 'C3\\xa0' holds an invisible character (U+00A0 NO-BREAK SPACE)",
         what="a no-break space after an id (pasted from a web page)"),
    Case("braille_blank_in_id", "controls.csv", "C3,公表", "C3\u2800,公表",
         "controls.csv:4: control_id: 'C3\\u2800' holds an invisible character (U+2800 BRAILLE PATTERN BLANK)",
         what="a Braille blank after an id"),
    Case("variation_selector_in_header", "systems.csv", "name_ja,name_en,", "name_ja,name_en\ufe0f,",
         "systems.csv:1: column 3: 'name_en\\ufe0f' holds an invisible character (U+FE0F VARIATION SELECTOR-16)",
         what="a variation selector in a column name"),
    Case("ideographic_space_in_header", "zones.csv", "operator,source", "operator,sou\u3000rce",
         "zones.csv:1: column 6: 'sou\\u3000rce' holds an invisible character (U+3000 IDEOGRAPHIC SPACE)",
         what="an ideographic (full-width) space inside a column name"),
    Case("no_break_space_in_header", "zones.csv", "operator,source", "operator,source\u00a0",
         "zones.csv:1: column 6: 'source\\xa0' holds an invisible character (U+00A0 NO-BREAK SPACE)",
         what="a no-break space after a column name"),
    Case("yaml_no_as_id", "model.yaml", "id: tiny", "id: no",
         "model.yaml:1: id: no is not read as written (YAML 1.1 reads it as False) (hint: write true/false, or the text in quotes",
         what="id: no (YAML 1.1 reads the boolean False)"),
    Case("yaml_on_as_boolean", "model.yaml", "serious_incident: false", "serious_incident: On",
         "model.yaml:9: serious_incident: On is not read as written (YAML 1.1 reads it as True)",
         what="On where true/false belongs (YAML 1.1 reads True)"),
    Case("yaml_merge_key", "model.yaml", "serious_incident: false", "serious_incident: false\n<<: {handlers: 30}",
         "model.yaml:10: <<: the merge key << is not allowed", what="the merge key << (copies keys in unseen)"),
    Case("cr_only_then_cp932_line", "systems.csv", "", None,
         "systems.csv:3: is UTF-8 up to line 2, but line 3 is not (bad byte 0x8a)",
         what="a CR-only (old Mac) UTF-8 file with a line in cp932 (was line 1, neither UTF-8 nor cp932)",
         build=_cr_only_then_cp932),
    Case("header_of_257_columns", "systems.csv", "", None,
         "systems.csv:1: column 257: the header has 257 columns, more than the 256 a table may have",
         what="a header of 257 columns (20,000 took 10 s; 200,000 never ended)", build=_wide_header(257)),
)

ACCEPTED_CASES += (
    Case("header_of_256_columns", "systems.csv", "", None, "", what="a header of 256 columns (the limit)",
         build=_wide_header(256),
         # the 256 columns read, and the optional format columns the file leaves out (functions, processes) added
         check=lambda m: len(m.systems.columns) == 258 and "x245" in m.systems.columns),
    Case("accent_composed_by_nfkc", "systems.csv", "Register,", "Re\u0301gister,", "",
         what="a combining accent that NFKC composes (e + U+0301 = é) in a name",
         check=lambda m: "Re\u0301gister" in set(m.systems["name_en"])),
    Case("full_width_id_with_its_space", "files.csv", "CERT_FILE,証明書", "ＣＥＲＴ＿ＦＩＬＥ\u3000,証明書", "",
         what="an id typed in full width with a full-width space after it (a Japanese keyboard): normalised",
         check=lambda m: "CERT_FILE" in set(m.files["file_id"])),
)

GENERATED_CASES += (
    Case("cells_over_the_limit", "controls.csv", "", None,
         "controls.csv:5: this line is past the limit of 1,000,000 cells (values) for all the tables of a model",
         what="a line of a million commas (over the 1,000,000 cells a model may hold)", build=_cells_over_limit),
)

SCENARIO_CASES += (
    ScenarioCase("scenario_no_as_id", "id: no-id\nremove: {controls: [no]}\n",
                 "scenario_no_as_id.yaml:2: column 21: no is not read as written (YAML 1.1 reads it as False)",
                 what="remove: [no] (YAML 1.1 reads False)"),
    ScenarioCase("scenario_merge_key", "id: merged\n<<: {title_en: merged}\n",
                 "scenario_merge_key.yaml:2: column 1: the merge key << is not allowed", what="the merge key <<"),
    ScenarioCase("scenario_no_break_space_id", "id: nbsp\nset:\n  controls:\n    \"C3\\u00a0\": {status: missing}\n",
                 "scenario_no_break_space_id.yaml:4: control_id: 'C3\\xa0' holds an invisible character (U+00A0 NO-BREAK SPACE)",
                 what="an id with a no-break space after it"),
    ScenarioCase("scenario_thousands_of_digits", "id: digits\nset:\n  files:\n    REG_FILE: {records: " + "1" * 5000 + "}\n",
                 "scenario_thousands_of_digits.yaml:4: column 25: has more than 100 digits (5,000)",
                 what="a number of 5,000 digits"),
)


# --- issue 13: the attack trial -----------------------------------------------------------------------
# nine levels of nine text items in the list of declarations: repr() of the expanded items hung (2.5 KB file)
_DECLARATION_BOMB = "[&a [x,x,x,x,x,x,x,x,x], " + ", ".join(
    f"&{b} [{', '.join([f'*{a}'] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi")) + "]"

CASES += (
    Case("declarations_alias_bomb", "model.yaml", "", None,
         "model.yaml:10: declared_not_applicable: the alias *d is not read: the aliases would repeat more than "
         "10,000 values", what="nested YAML aliases in declared_not_applicable (hung: 9.6 s and 565 MB at 8 levels)",
         build=_append("model.yaml", f"declared_not_applicable: {_DECLARATION_BOMB}\n")),
    Case("procedure_impossible_date", "model.yaml", "", None,
         "model.yaml:12: procedure.public_comment.start: '2025-02-30' is not a date: February 2025 has 28 days",
         what="an impossible date in the procedure block",
         build=_append("model.yaml", "procedure:\n  public_comment:\n    start: 2025-02-30\n    end: 2025-03-30\n")),
    Case("public_comment_end_before_start", "model.yaml", "", None,
         "model.yaml:13: procedure.public_comment.end: 2025-05-01 is before the start, 2025-06-02",
         what="a public comment that ends before it starts (passed validate)",
         build=_append("model.yaml", "procedure:\n  public_comment:\n    start: 2025-06-02\n    end: 2025-05-01\n")),
)


# --- issue 14: the attack trial -----------------------------------------------------------------------
# A control character in a text cell passed validate, then the pack's tables.xlsx refused it (report exit 3:
# IllegalCharacterError), the terminal obeyed it (colours, a bell) and convert wrote _x001B_ into a workbook.

CASES += (
    Case("control_characters_in_name", "systems.csv", "REG,住民記録システム", "REG,住民記録\x1b[31mRED\x1b[0m\x07",
         "systems.csv:2: name_ja: '住民記録\\x1b[31mRED\\x1b[0m\\x07' holds a control character (U+001B CONTROL CHARACTER)",
         what="terminal colour codes and a bell in a name (passed validate; report crashed, exit 3)"),
    Case("direction_override_in_name", "systems.csv", "TERM,端末,Terminal", "TERM,端末,Term\u202elanim",
         "systems.csv:3: name_en: 'Term\\u202elanim' holds a control character (U+202E RIGHT-TO-LEFT OVERRIDE)",
         what="a right-to-left override in a name (shown reversed)"),
    Case("c1_control_in_source", "controls.csv", "0.5,implemented,assumption: test", "0.5,implemented,assumption:\x9b test",
         "controls.csv:2: source: 'assumption:\\x9b test' holds a control character (U+009B CONTROL CHARACTER)",
         what="a C1 control character (CSI) in a source"),
    Case("control_character_in_title", "model.yaml", "title_ja: テスト用の小さなモデル", 'title_ja: "テスト用の\\a小さなモデル"',
         "model.yaml:2: title_ja: 'テスト用の\\x07小さなモデル' holds a control character (U+0007 CONTROL CHARACTER)",
         what="a bell (YAML \\a) in the model's title"),
    Case("direction_isolate_in_procedure_text", "model.yaml", "", None,
         "model.yaml:12: procedure.public_comment.methods: '\\u2067ホームページ' holds a control character "
         "(U+2067 RIGHT-TO-LEFT ISOLATE)", what="a right-to-left isolate in a text of the procedure block",
         build=_append("model.yaml", 'procedure:\n  public_comment:\n    methods: "\\u2067ホームページ"\n')),
)

# nits of the same trial: '3%%' read as 3 % (rstrip stripped every %); a negative population hinted ">= 0"
CASES += (
    Case("double_percent", "systems.csv", "terminal,city,,0.1,", "terminal,city,,10%%,",
         "systems.csv:3: entry_likelihood: '10%%' is not a number", what="10%% (two percent signs: was read as 10 %)"),
    Case("population_negative", "model.yaml", "target_population: 1500", "target_population: -5",
         "model.yaml:7: target_population: -5 is negative (hint: write a number >= 1",
         what="a negative population (the hint said >= 0, but 0 is refused too)"),
)

ACCEPTED_CASES += (
    Case("organisation_kind_contradicts_name", "model.yaml", "", None, "",
         what="organisation_kind: 町 for テスト市 (loads with a warning: the pack would say 町; --strict: an error)",
         build=_append("model.yaml", "organisation_kind: 町\n"),
         check=lambda m: [str(w).split("/")[-1] for w in m.warnings] == [
             "model.yaml:10: organisation_kind: '町' contradicts the organisation 'テスト市', whose name ends in 市 "
             "(hint: write organisation_kind: 市, or remove the key (the kind is then taken from the name); the pack "
             "would say 町)"]),
    Case("line_break_and_tab_in_source", "controls.csv", "0.5,implemented,assumption: test",
         '0.5,implemented,"assumption:\ttest\nsecond line"', "",
         what="a tab and a line break in a quoted text cell (allowed: only other control characters are refused)",
         check=lambda m: "assumption:\ttest\nsecond line" in set(m.controls["source"])),
)

SCENARIO_CASES += (
    ScenarioCase("scenario_control_in_name", 'id: ctl\nset:\n  systems:\n    TERM: {name_ja: "端末\\u0007"}\n',
                 "scenario_control_in_name.yaml:4: name_ja: '端末\\x07' holds a control character (U+0007 CONTROL CHARACTER)",
                 what="a bell in a name the scenario sets (report crashed, exit 3)"),
    ScenarioCase("scenario_control_in_title", 'id: ctl\ntitle_ja: "試験\\e[2J"\n',
                 "scenario_control_in_title.yaml:2: title_ja: '試験\\x1b[2J' holds a control character (U+001B CONTROL CHARACTER)",
                 what="a clear-screen escape in the scenario's title"),
    ScenarioCase("scenario_bad_value_and_unknown_id",
                 "id: both\nset:\n  controls:\n    C1: {status: gone}\n    C-NOPE: {status: missing}\n",
                 "scenario_bad_value_and_unknown_id.yaml:5: control_id: cannot set 'C-NOPE': it is not a control_id",
                 what="a bad value and an unknown id (the id was reported only once the value was fixed)"),
)


# --- building ----------------------------------------------------------------------------------------


def build_case(case: Case, root: Path = BROKEN) -> Path:
    """Write the model of ``case`` (a copy of tiny with the case's one edit) under ``root``."""
    target = root / case.name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(TINY, target)
    path = target / case.file
    if case.build is not None:
        case.build(target)
        return target
    if case.new is None:
        if case.file == "controls.csv" and case.old == "*":
            path.write_bytes(b"")  # empty file
        else:
            path.unlink()
        return target
    if isinstance(case.old, bytes):
        data = path.read_bytes()
        assert case.old in data, (case.name, case.old)
        path.write_bytes(data.replace(case.old, case.new, 1))  # type: ignore[arg-type]
        return target
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if case.old:
        assert case.old in text, (case.name, case.old)
        text = text.replace(case.old, case.new, 1)  # type: ignore[arg-type]
    else:
        text = case.new  # type: ignore[assignment]
    path.write_bytes(text.encode(case.encoding))
    return target


def build_scenario_case(case: ScenarioCase, root: Path = SCENARIOS) -> Path:
    """Write the scenario file of ``case`` under ``root``; returns its path (which may not exist)."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{case.name}.yaml"
    path.unlink(missing_ok=True)
    if case.size:
        with open(path, "wb") as fh:
            fh.truncate(case.size)  # sparse
    elif case.text is not None:
        path.write_bytes(case.text.encode("utf-8") if isinstance(case.text, str) else case.text)
    return path


def committed_files() -> dict[str, bytes]:
    """Every file the committed corpus should hold, by path relative to tests/broken, built afresh."""
    out: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for case in CASES:
            build_case(case, root)
        for case in SCENARIO_CASES:
            build_scenario_case(case, root / "scenarios")
        for path in sorted(root.rglob("*")):
            if path.is_file():
                out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


def case_messages(case: Case | ScenarioCase, root: Path | None = None) -> list[str]:
    """The problems the case gives, as printed (paths relative to the repository); [] when it loads.

    Committed cases are read from ``tests/broken``; the others are built under ``root`` (a temporary
    directory if None).
    """
    from pia_analysis import ModelError, load_model
    from pia_analysis.whatif.apply import apply_scenario

    with tempfile.TemporaryDirectory() as tmp:
        where = Path(root or tmp)
        try:
            if isinstance(case, ScenarioCase):
                path = SCENARIOS / f"{case.name}.yaml" if case in SCENARIO_CASES else build_scenario_case(case, where)
                apply_scenario(load_model(TINY), path)  # the path: a bad value and an unknown id reported at once
            else:
                model_dir = BROKEN / case.name if case in CASES else build_case(case, where)
                load_model(model_dir)
        except ModelError as exc:
            return [relative(str(p), where) for p in exc.problems]
    return []


def relative(message: str, where: Path) -> str:
    """A message with the repository's and the build directory's absolute paths made short."""
    for base, short in ((where.resolve(), "tests/broken"), (where, "tests/broken"), (ROOT, "")):
        message = message.replace(f"{base}/", f"{short}/" if short else "").replace(str(base), short or ".")
    return message


# --- the table in docs/bad-input.md ------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{_cell(text)}{pad}{fence}"


def _strip_case(message: str, case: Case | ScenarioCase) -> str:
    for prefix in (f"tests/broken/{case.name}/", "tests/broken/scenarios/", "tests/broken/"):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


def _rows(cases, start: int) -> list[str]:
    rows = []
    for i, case in enumerate(cases, start):
        messages = case_messages(case)
        file = getattr(case, "file", f"{case.name}.yaml")
        said = "<br>".join(_code(_strip_case(m, case)) for m in messages) if messages else "accepted: loads"
        rows.append(f"| {i} | `{case.name}` | {file} | {_cell(case.what)} | {said} |")
    return rows



def _workbook_section() -> list[str]:
    """Hostile model workbooks (``tests/hostile_workbooks.py``): built at test time, each refused by every
    command that reads a model (``tests/test_hostile_workbooks.py``), which checks the message below."""
    from hostile_workbooks import KINDS

    lines = [
        f"## Hostile workbooks ({len(KINDS)} kinds, built at test time by `tests/hostile_workbooks.py`)",
        "",
        "Each is the valid workbook of `tests/models/tiny` with one hostile thing added. Sheets are read as a "
        "stream of the cells that exist (never padded to Excel's 16,384 columns), within budgets of cells, XML "
        "elements, part sizes and characters per cell (`pia_analysis/workbook.py`, see "
        "[workbook.md](workbook.md)); every command that reads a model refuses each kind with exit 1 and the "
        "located line below (after the workbook's path), in seconds and bounded memory "
        "(`benchmarks/bench_workbook_bombs.py`).",
        "",
        "| # | kind | the hostile thing | what the toolkit says (contains) |",
        "|---|---|---|---|",
    ]
    for i, kind in enumerate(KINDS, 1):
        said = kind.expect.replace("{guide_next}", "N")
        lines.append(f"| {i} | `{kind.name}` ({kind.suffix}) | {_cell(kind.what)} | {_code(said)} |")
    return lines


def _output_section() -> list[str]:
    return [
        "## Output hazards",
        "",
        "Where an output goes is checked before any work (README → Security → Output rules). "
        "`tests/test_safe_outputs.py` runs every command that writes (`report`, `scenario --report`, "
        "`section3 --out`, `export-otm`, `export-findings`, `convert`, `new`) against every hazard: a folder "
        "holding the user's files, the model folder, a folder inside it or around it, a model table, the input "
        "workbook, an existing file (without `--force`), a symlink, `.`, an empty path, `/`, the home folder, an "
        "earlier pack with a file edited or added, a path under a file, an unwritable place and an over-long "
        "name. A refused output exits 2 naming what is there; a write that fails exits 4 with "
        "`cannot write PATH: reason`; nothing of the user's is changed and no temporary file is left.",
    ]


def render_doc() -> str:
    """The text of docs/bad-input.md, from the cases."""
    head = "| # | case | file | the mistake | what the toolkit says (every problem, with its hint) |\n|---|---|---|---|---|"
    n_models = len(CASES) + len(GENERATED_CASES)
    n_scen = len(SCENARIO_CASES) + len(GENERATED_SCENARIO_CASES)
    lines = [
        "# Bad input: what the toolkit says",
        "",
        "<!-- generated by `python tests/broken_cases.py --doc` from tests/broken_cases.py: do not edit by hand -->",
        "",
        f"{n_models} broken models and {n_scen} broken scenarios, one mistake each, made from `tests/models/tiny`, and "
        f"{len(ACCEPTED_CASES)} inputs that look wrong but are accepted on purpose. Each broken input gives a "
        "`ModelError` listing every problem, located as `file:line: column: message (hint: …)`, through the API "
        "(`load_model`, `load_scenario`, `apply_scenario`) and through every command of the CLI, which exits 1 "
        "without a traceback and leaves no output behind (`tests/test_cli_robustness.py`).",
        "",
        "The cases are defined in `tests/broken_cases.py`; the committed corpus is `tests/broken/<case>/` and "
        "`tests/broken/scenarios/<case>.yaml`. Messages are shown as `pia-analysis validate tests/broken/<case>` "
        "prints them, with the path of the model directory (or of `tests/broken/scenarios/`) left out. "
        "`tests/test_io.py` fails when this page differs from what the cases give: regenerate it with "
        "`python tests/broken_cases.py --doc`. Random valid models and random corruptions of them are tested "
        "in `tests/test_properties.py`.",
        "",
        "## Rules worth knowing",
        "",
        "- **Only a header.** `zones.csv` and `systems.csv` need at least one row (a model without systems "
        "describes nothing). `files.csv`, `flows.csv`, `controls.csv`, `risks.csv` and `ratings.csv` may have a "
        "header and no rows: missing measures or files are gaps the analyses report, not format errors. "
        "The same rule holds for a model changed by a scenario.",
        "- **Spreadsheet artefacts.** Excel's `TRUE`/`FALSE` are accepted (yes/no words are read in any case). "
        "Excel error values (`#N/A`, `#REF!`, `#VALUE!` …) and formula text (`=TRUE()`) are refused in ids, "
        "numbers, yes/no columns, lists of ids and enumerations; free text is kept as written.",
        "- **Encodings.** UTF-8 (with or without a BOM) or cp932. A file whose non-ASCII characters are mostly "
        "valid UTF-8 (or that starts with a UTF-8 BOM) is read as UTF-8 only, so a damaged or cut character is "
        "reported instead of the whole file being decoded as cp932 mojibake; bytes cp932 leaves undefined "
        "(its user-defined area, `0xfd`–`0xff`) are refused. UTF-16 files are recognised and refused.",
        "- **Sizes.** A table over 25 MiB, and a `model.yaml` or scenario file over 1 MiB, is refused by its "
        "size, before it is read. Whole numbers (records, population, handlers) are at most 10,000,000,000.",
        "- **YAML.** Read with the safe loader only (no tags that build objects); keys given twice, values "
        "that are lists or mappings where one value belongs, and nesting too deep are refused; `previous` is "
        "followed through the whole chain and must end.",
        "- **Plain data.** Tags other than plain values, lists and mappings (`!!binary`, `!!set`, `!!omap` …) "
        "are refused, and so are the YAML 1.1 numbers nobody means: `12:30` (read as 750), `0x10`, `017`, "
        "`1_000`; the message says what to write (the number, or the text in quotes).",
        "- **My Number guard.** It reads what is loaded (YAML escapes, folded values, `!!binary`, quoted CSV "
        "cells over several lines) and every name (column names, the model folder's name and the files in it, "
        "a scenario's file name and keys). Any Unicode decimal digit counts; dashes, minus signs, dots, "
        "spaces, tabs, line breaks and invisible characters between groups of digits are skipped. Only a "
        "valid check digit is refused, and the number is never printed in full.",
        "- **Invisible characters** (Unicode format characters: zero-width space, joiners, direction marks, "
        "soft hyphen …) are refused in ids and column names: two ids shown alike must be equal.",
        "- **Files.** Every model file must be a regular file (a FIFO, device or folder is refused without "
        "being opened) inside the model directory (a link to elsewhere is refused unread). A file that is UTF-8 "
        "up to a line and not after is refused at that line.",
        "",
        f"## Broken models ({len(CASES)} committed in `tests/broken/`)",
        "",
        head,
        *_rows(CASES, 1),
        "",
        "## Broken models built at test time (too big to commit)",
        "",
        head,
        *_rows(GENERATED_CASES, len(CASES) + 1),
        "",
        f"## Broken scenarios ({len(SCENARIO_CASES)} committed in `tests/broken/scenarios/`, applied to `tests/models/tiny`)",
        "",
        head,
        *_rows(SCENARIO_CASES, n_models + 1),
        *_rows(GENERATED_SCENARIO_CASES, n_models + len(SCENARIO_CASES) + 1),
        "",
        "## Accepted on purpose (built at test time)",
        "",
        head,
        *_rows(ACCEPTED_CASES, n_models + n_scen + 1),
        "",
        *_workbook_section(),
        "",
        *_output_section(),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if "--doc" in argv:
        DOC.write_text(render_doc(), encoding="utf-8")
        print(DOC)
        return 0
    for case in CASES:
        print(build_case(case))
    for case in SCENARIO_CASES:
        print(build_scenario_case(case))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    sys.exit(main(sys.argv[1:]))
