"""Small hand-made models for the coverage, findings and judgments tests.

:func:`build` writes the tables (lists of dicts; Python lists and booleans are written in the model
format) into a directory and loads it with :func:`pia_analysis.load_model`, so every test goes through
the real loader. :func:`small_tables` is the model the coverage figures of ``docs/coverage.md`` are
computed on by hand.
"""

from __future__ import annotations

import copy
import csv
import random
from pathlib import Path
from typing import Any

import yaml

from pia_analysis import Model, load_model
from pia_analysis.model.schema import TABLE_BY_NAME

META = {
    "id": "small",
    "title_ja": "小さなモデル",
    "title_en": "Small model",
    "organisation": "テスト市",
    "affairs": "テスト事務",
    "assessed_on": "2021-04-01",
    "target_population": 5000,
}


def _cell(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def write_tables(directory: Path, tables: dict[str, list[dict]], meta: dict | None = None) -> Path:
    """Write ``tables`` (name → rows) and ``model.yaml`` into ``directory``; return it."""
    directory.mkdir(parents=True, exist_ok=True)
    data = dict(META, **(meta or {}))
    (directory / "model.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for name, rows in tables.items():
        table = TABLE_BY_NAME[name]
        columns = [c.name for c in table.columns if c.required or any(c.name in r for r in rows)]
        with (directory / table.filename).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(columns)
            for row in rows:
                writer.writerow([_cell(row.get(c, "")) for c in columns])
    return directory


def build(directory: Path, tables: dict[str, list[dict]], meta: dict | None = None, shuffle: int | None = None) -> Model:
    """Write and load a model; ``shuffle`` (a seed) writes every table's rows in a random order."""
    tables = copy.deepcopy(tables)
    if shuffle is not None:
        rng = random.Random(shuffle)
        for rows in tables.values():
            rng.shuffle(rows)
    return load_model(write_tables(directory, tables, meta))


def zone(zone_id: str, operator: str = "city", internet: bool = False) -> dict:
    return {"zone_id": zone_id, "name_ja": f"ゾーン{zone_id}", "name_en": f"zone {zone_id}",
            "internet_facing": internet, "operator": operator}


def system(system_id: str, zone_id: str, operator: str = "city", holds: list[str] | None = None,
           entry: float | None = None, kind: str = "system") -> dict:
    return {"system_id": system_id, "name_ja": f"システム{system_id}", "name_en": f"system {system_id}",
            "zone_id": zone_id, "kind": kind, "operator": operator, "holds": holds or [],
            "entry_likelihood": "" if entry is None else entry}


def file(file_id: str, records: int, my_number: bool = True) -> dict:
    return {"file_id": file_id, "name_ja": f"ファイル{file_id}", "name_en": f"file {file_id}", "records": records,
            "contains_my_number": my_number}


def flow(flow_id: str, source: str, target: str, stage: str, files: list[str] | None = None, channel: str = "LAN",
         interactive: bool = False, encrypted: bool = False) -> dict:
    return {"flow_id": flow_id, "source": source, "target": target, "files": files or [], "stage": stage,
            "channel": channel, "interactive": interactive, "encrypted": encrypted}


def control(control_id: str, mitigates: list[str], applies_to: list[str], status: str = "implemented",
            effectiveness: float = 0.0) -> dict:
    return {"control_id": control_id, "name_ja": f"対策{control_id}", "name_en": f"control {control_id}",
            "mitigates": mitigates, "applies_to": applies_to, "effectiveness": effectiveness, "status": status}


def small_tables() -> dict[str, list[dict]]:
    """The worked example of docs/coverage.md.

    Zones CORE (city) and DC (contractor), PUB (residents). Systems: A (CORE, holds MN file F1), B (CORE
    terminal), C (DC, contractor, holds F1), D (PUB, resident), E (CORE store holding F2, no flow).
    Flows: L1 D→A acquire (counter), L2 B→A use, L3 A→C outsource.
    """
    return {
        "zones": [zone("CORE"), zone("DC", "contractor"), zone("PUB", "resident")],
        "systems": [
            system("A", "CORE", holds=["F1"]),
            system("B", "CORE", kind="terminal", entry=0.05),
            system("C", "DC", operator="contractor", holds=["F1"]),
            system("D", "PUB", operator="resident", kind="external", entry=0.1),
            system("E", "CORE", kind="store", holds=["F2"]),
        ],
        "files": [file("F1", 5000), file("F2", 100, my_number=False)],
        "flows": [
            flow("L1", "D", "A", "acquire", ["F1"], channel="窓口（対面）", interactive=True),
            flow("L2", "B", "A", "use", ["F1"], interactive=True),
            flow("L3", "A", "C", "outsource", ["F1"], channel="LGWAN"),
        ],
        "controls": [
            control("K1", ["acquire-1"], ["L1"]),
            control("K2", ["acquire-1", "acquire-2"], ["*"], status="planned"),
            control("K3", ["use-1"], ["A", "B"]),
            control("K4", ["retain-1"], ["C"], status="missing"),
            control("K5", ["outsource-1"], ["L3", "C"], status="planned"),
            control("K6", ["use-2"], ["*"]),
        ],
        "ratings": [
            {"risk_id": "acquire-1", "rating": "十分である"},
            {"risk_id": "acquire-2", "rating": "課題が残されている"},
            {"risk_id": "use-2", "rating": "課題が残されている"},
            {"risk_id": "retain-1", "rating": "特に力を入れている"},
            {"risk_id": "provide-1", "rating": "十分である"},
        ],
    }
