"""Small hand-made models for tests: write the CSV files of a model directory and load it.

Tests describe a model in a few lines and get a real, validated :class:`~pia_analysis.model.model.Model`, so
they exercise the same loader users do::

    model = make_model(tmp_path, systems=[system("E", entry=0.5), system("T", holds=["MN"])],
                       flows=[flow("F1", "E", "T")], controls=[control("C1", ["F1"], 0.5)])

Missing pieces are filled in: a zone for every ``zone_id`` used (operator ``city``), a file for every
``file_id`` held (1,000 records, with My Numbers unless given otherwise with :func:`file`), and the
required ``model.yaml`` keys. Pass ``shuffle=<seed>`` to write every table's rows in a random order
(the header stays first), for tests that results do not depend on row order.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from pia_analysis import load_model
from pia_analysis.model.model import Model
from pia_analysis.model.schema import TABLE_BY_NAME

Row = dict[str, Any]


def system(system_id: str, zone: str = "Z", entry: float = 0.0, holds: Sequence[str] = (), **extra: Any) -> Row:
    """A systems.csv row; ``entry`` is the entry likelihood (0 = not an entry point)."""
    return {"system_id": system_id, "name_ja": system_id, "name_en": system_id, "zone_id": zone, "kind": "system",
            "operator": "city", "holds": list(holds), "entry_likelihood": entry, "source": "test", **extra}


def flow(flow_id: str, source: str, target: str, interactive: bool = False, files: Sequence[str] = (),
         **extra: Any) -> Row:
    """A flows.csv row (stage ``use``)."""
    return {"flow_id": flow_id, "source": source, "target": target, "files": list(files), "stage": "use",
            "channel": "test", "interactive": interactive, "encrypted": False, "source_ref": "test", **extra}


def control(control_id: str, applies_to: Sequence[str], effectiveness: float, status: str = "implemented",
            **extra: Any) -> Row:
    """A controls.csv row mitigating ``use-1``; ``applies_to=["*"]`` for an organisation-wide measure."""
    return {"control_id": control_id, "name_ja": control_id, "name_en": control_id, "mitigates": ["use-1"],
            "applies_to": list(applies_to), "effectiveness": effectiveness, "status": status, "source": "test",
            **extra}


def file(file_id: str, records: int = 1000, my_number: bool = True, **extra: Any) -> Row:
    """A files.csv row."""
    return {"file_id": file_id, "name_ja": file_id, "name_en": file_id, "records": records,
            "contains_my_number": my_number, "items": [], "source": "test", **extra}


def zone(zone_id: str, internet_facing: bool = False, operator: str = "city", **extra: Any) -> Row:
    """A zones.csv row."""
    return {"zone_id": zone_id, "name_ja": zone_id, "name_en": zone_id, "internet_facing": internet_facing,
            "operator": operator, "source": "test", **extra}


def _cell(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _write_table(directory: Path, name: str, rows: Iterable[Row], rng: random.Random | None) -> None:
    table = TABLE_BY_NAME[name]
    rows = list(rows)
    if rng is not None:
        rng.shuffle(rows)
    with open(directory / table.filename, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(table.column_names)
        for row in rows:
            writer.writerow([_cell(row.get(col, "")) for col in table.column_names])


def write_model(directory: Path, systems: Sequence[Row], flows: Sequence[Row] = (), controls: Sequence[Row] = (),
                files: Sequence[Row] = (), zones: Sequence[Row] = (), meta: dict[str, Any] | None = None,
                shuffle: int | None = None) -> Path:
    """Write a model directory at ``directory`` (created) and return it; see the module docstring."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(shuffle) if shuffle is not None else None
    zone_rows = list(zones)
    known_zones = {z["zone_id"] for z in zone_rows}
    for s in systems:
        if s["zone_id"] not in known_zones:
            zone_rows.append(zone(s["zone_id"]))
            known_zones.add(s["zone_id"])
    file_rows = list(files)
    known_files = {f["file_id"] for f in file_rows}
    for s in systems:
        for f in s.get("holds", ()):
            if f not in known_files:
                file_rows.append(file(f))
                known_files.add(f)
    head = {"id": "test-model", "title_ja": "テストモデル", "title_en": "Test model", "organisation": "test",
            "affairs": "test", "assessed_on": "2024-04-01", "target_population": 1000}
    head.update(meta or {})
    (directory / "model.yaml").write_text(yaml.safe_dump(head, allow_unicode=True, sort_keys=False), encoding="utf-8")
    _write_table(directory, "zones", zone_rows, rng)
    _write_table(directory, "systems", systems, rng)
    _write_table(directory, "files", file_rows, rng)
    _write_table(directory, "flows", flows, rng)
    _write_table(directory, "controls", controls, rng)
    return directory


def make_model(tmp_path: Path, systems: Sequence[Row], flows: Sequence[Row] = (), controls: Sequence[Row] = (),
               files: Sequence[Row] = (), zones: Sequence[Row] = (), meta: dict[str, Any] | None = None,
               shuffle: int | None = None, name: str = "model") -> Model:
    """Write the model into ``tmp_path / name`` and load it with :func:`pia_analysis.load_model`."""
    return load_model(write_model(Path(tmp_path) / name, systems, flows, controls, files, zones, meta, shuffle))
