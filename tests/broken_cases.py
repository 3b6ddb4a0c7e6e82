"""The corpus of broken models: one mistake each, made from ``tests/models/tiny``.

Each case is a text edit of one file of the tiny model and the located message the loader must give.
``python tests/broken_cases.py`` rewrites ``tests/broken/<case>/`` from these definitions; the committed
directories are what the tests load (and what a reviewer can open), and ``test_corpus_is_up_to_date``
fails if they drift from this file.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
TINY = HERE / "models" / "tiny"
BROKEN = HERE / "broken"


@dataclass(frozen=True)
class Case:
    name: str
    file: str
    old: str | bytes  # text to replace ('' with new=None means: delete the file)
    new: str | bytes | None
    expect: str  # a substring of the located message, "file:line: column: message"
    encoding: str = "utf-8"


CASES: tuple[Case, ...] = (
    Case("missing_column", "systems.csv", "system_id,name_ja,name_en,zone_id,", "system_id,name_ja,name_en,",
         "systems.csv:1: zone_id: required column is missing"),
    Case("duplicate_id", "systems.csv", "TERM,端末", "REG,端末", "systems.csv:3: system_id: duplicate id 'REG' (first on line 2)"),
    Case("duplicate_column", "zones.csv", "operator,source", "operator,operator", "zones.csv:1: operator: appears twice in the header"),
    Case("unknown_zone", "systems.csv", "SRV,発行サーバ,Issuance server,DC", "SRV,発行サーバ,Issuance server,DX",
         "systems.csv:4: zone_id: 'DX' is not a known zone_id"),
    Case("unknown_system_in_flow", "flows.csv", "F2,REG,SRV", "F2,REG,SERVER", "flows.csv:3: target: 'SERVER' is not a known system_id"),
    Case("unknown_file_in_holds", "systems.csv", "REG_FILE;CERT_FILE", "REG_FILE;CERT", "systems.csv:4: holds: 'CERT' is not a known file_id"),
    Case("unknown_file_in_flow", "flows.csv", "F2,REG,SRV,REG_FILE", "F2,REG,SRV,REG_FILE;TAX_FILE",
         "flows.csv:3: files: 'TAX_FILE' is not a known file_id"),
    Case("unknown_risk", "controls.csv", "use-2;use-3", "use-2;use-9", "controls.csv:2: mitigates: 'use-9' is not a known risk id"),
    Case("unknown_applies_to", "controls.csv", "F2,0.9", "F9,0.9", "controls.csv:3: applies_to: 'F9' is neither a system_id nor a flow_id"),
    Case("bad_kind", "systems.csv", "CORE,terminal", "CORE,laptop", "systems.csv:3: kind: 'laptop' is not one of system, store"),
    Case("bad_operator", "zones.csv", "false,contractor", "false,vendor", "zones.csv:3: operator: 'vendor' is not one of city"),
    Case("bad_stage", "flows.csv", "REG_FILE,use,", "REG_FILE,usage,", "flows.csv:2: stage: 'usage' is not one of acquire"),
    Case("bad_status", "controls.csv", "0.9,planned", "0.9,someday", "controls.csv:3: status: 'someday' is not one of implemented"),
    Case("effectiveness_out_of_range", "controls.csv", "F2,0.9", "F2,1.5", "controls.csv:3: effectiveness: '1.5' is outside [0, 1]"),
    Case("entry_likelihood_negative", "systems.csv", ",0.1,", ",-0.1,", "systems.csv:3: entry_likelihood: '-0.1' is outside [0, 1]"),
    Case("records_not_a_number", "files.csv", ",200,", ",two hundred,", "files.csv:3: records: 'two hundred' is not a whole number"),
    Case("bad_boolean", "flows.csv", "LGWAN,false,true", "LGWAN,false,maybe", "flows.csv:3: encrypted: 'maybe' is not a yes/no value"),
    Case("empty_required_value", "files.csv", ",1500,true,", ",1500,,", "files.csv:2: contains_my_number: is empty"),
    Case("file_held_at_neither_end", "flows.csv", "F1,TERM,REG,REG_FILE", "F1,TERM,REG,CERT_FILE",
         "flows.csv:2: files: carries 'CERT_FILE', which neither 'TERM' nor 'REG' holds"),
    Case("self_loop_flow", "flows.csv", "F1,TERM,REG", "F1,REG,REG", "flows.csv:2: target: is the same system as source"),
    Case("too_many_values", "systems.csv", "TERM,端末,Terminal", "TERM,端末,Terminal, PC", "systems.csv:3: has 10 values but the header has 9 columns"),
    Case("unclosed_quote", "files.csv", "CERT_FILE,証明書ファイル", 'CERT_FILE,"証明書ファイル', "files.csv:3: is not valid CSV"),
    Case("tabs_for_commas", "zones.csv", "zone_id,name_ja,name_en,internet_facing,operator,source",
         "zone_id\tname_ja\tname_en\tinternet_facing\toperator\tsource", "zones.csv:1: uses tabs between columns"),
    Case("empty_file", "controls.csv", "*", None, "controls.csv:1: is empty"),
    Case("missing_file", "flows.csv", "", None, "flows.csv: is missing"),
    Case("unknown_yaml_key", "model.yaml", "handlers: 20", "handler: 20", "model.yaml:8: handler: unknown key"),
    Case("missing_yaml_key", "model.yaml", "affairs: 住民基本台帳に関する事務\n", "", "model.yaml: affairs: required key is missing"),
    Case("malformed_yaml", "model.yaml", "title_en: A tiny test model", "title_en: [A tiny test model", "model.yaml:4: column 13: is not valid YAML: expected ',' or ']', but got ':' (while parsing a flow sequence on line 3)"),
    Case("python_tag_yaml", "model.yaml", "title_en: A tiny test model", "title_en: !!python/object/apply:os.system ['true']",
         "model.yaml:3: column 11: is not valid YAML"),
    Case("bad_date", "model.yaml", "assessed_on: 2024-04-01", "assessed_on: 2024-13-01", "model.yaml:6: assessed_on: '2024-13-01' is not a date"),
    Case("bad_population", "model.yaml", "target_population: 1500", "target_population: many", "model.yaml:7: target_population: 'many' is not a whole number"),
    Case("previous_not_a_model", "model.yaml", "serious_incident: false", "serious_incident: false\nprevious: ../nowhere",
         "model.yaml: previous: '../nowhere' is not a model directory"),
    Case("my_number_in_csv", "systems.csv", "assumption: test\nTERM", "assumption: test 1234-5678-9018\nTERM",
         "systems.csv:2: source: contains what looks like a real My Number (**** **** **18"),
    Case("my_number_in_yaml", "model.yaml", "organisation: テスト市", "organisation: テスト市 123456789018",
         "model.yaml:4: contains what looks like a real My Number"),
    Case("bad_rating", "ratings.csv", "use-2,十分である", "use-2,まあまあ", "ratings.csv:2: rating: 'まあまあ' is not one of 特に力を入れている"),
    Case("rating_unknown_risk", "ratings.csv", "retain-1,sufficient", "retain-9,sufficient", "ratings.csv:3: risk_id: 'retain-9' is not a known risk id"),
    Case("extra_risk_clashes", "risks.csv", "", "risk_id,stage,name_ja,name_en\nuse-1,use,重複,Duplicate\n",
         "risks.csv:2: risk_id: 'use-1' is already a catalogue risk"),
    Case("bom_in_middle", "files.csv", "CERT_FILE,", "\ufeffCERT_FILE,", "files.csv:3: a byte-order mark (BOM) in the middle of the file"),
    Case("not_utf8_nor_cp932", "zones.csv", b"DC,", b"\xff\xfeDC,", "zones.csv:3: is neither UTF-8 nor cp932"),
    Case("star_mixed_with_ids", "controls.csv", "retain-1,*,", "retain-1,*;REG,", "controls.csv:4: applies_to: mixes * with ids"),
)


def build_case(case: Case, root: Path = BROKEN) -> Path:
    """Write the broken model of ``case`` under ``root``."""
    target = root / case.name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(TINY, target)
    path = target / case.file
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
    path.write_text(text, encoding=case.encoding)
    return target


if __name__ == "__main__":
    for c in CASES:
        print(build_case(c))
