"""Issue 11: anything that validates renders (bounds at their edges), and long ``previous`` chains stay linear.

Bounds (``pia_analysis/model/schema.py``, ``docs/model-format.md`` "Bounds"): a model holding every value at its
limit validates and renders through ``report``, ``section3 --out …xlsx``, ``export-otm`` and
``export-findings``; one step over any limit is refused with a located message, in a model directory,
a workbook and a scenario. Chains: loading and ``history`` read each version once (counted, not timed),
and a loop in ``previous`` (the model itself, a longer cycle, a symlink loop) is a located error.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections import Counter
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import pia_analysis.analysis.exposure as exposure_module
import pia_analysis.formats as formats
import pia_analysis.formats.directory as model_io
from broken_cases import TINY
from pia_analysis import ModelError, bundled_model_path, load_model, save_model
from pia_analysis.cli import main
from pia_analysis.whatif.versions import diff, history_coverage, version_chain, version_history
from pia_analysis.analysis.judgments import required_assessment, review_schedule
from pia_analysis.whatif.compare import compare
from pia_analysis.model.schema import (
    MAX_COUNT,
    MAX_DATE,
    MAX_ID_CHARS,
    MAX_NAME_CHARS,
    MAX_NOTE_CHARS,
    MIN_DATE,
    TABLE_BY_NAME,
)
from pia_analysis.formats.workbook import save_workbook

# ---------------------------------------------------------------------------------------------------
# bounds


def fill(seed: str, n: int) -> str:
    """``seed`` repeated to exactly ``n`` characters."""
    return (seed * (n // len(seed) + 1))[:n]


def edge_model(out: Path, assessed_on: dt.date = MAX_DATE) -> Path:
    """tiny with every bounded value at its limit: ids of 64 characters, names of 200 (one unbreakable),
    sources, record items and an extra column of 2,000, the largest counts, ``assessed_on`` as given."""
    m = load_model(TINY)
    ids: dict[str, str] = {}

    def long_id(x: str) -> str:
        return x if x == "*" else ids.setdefault(x, fill(x + "_", MAX_ID_CHARS))

    t = {name: getattr(m, name).copy() for name in ("zones", "systems", "files", "flows", "controls")}
    t["zones"]["zone_id"] = t["zones"]["zone_id"].map(long_id)
    s = t["systems"]
    s["system_id"], s["zone_id"] = s["system_id"].map(long_id), s["zone_id"].map(long_id)
    s["holds"] = s["holds"].map(lambda v: [long_id(x) for x in v])
    f = t["files"]
    f["file_id"], f["records"] = f["file_id"].map(long_id), MAX_COUNT
    f["items"] = f["items"].map(lambda v: [fill("個人番号の項目", MAX_NOTE_CHARS)])
    fl = t["flows"]
    for col in ("flow_id", "source", "target"):
        fl[col] = fl[col].map(long_id)
    fl["files"] = fl["files"].map(lambda v: [long_id(x) for x in v])
    fl["channel"] = fill("庁内LAN ", MAX_NAME_CHARS)
    c = t["controls"]
    c["control_id"] = c["control_id"].map(long_id)
    c["applies_to"] = c["applies_to"].map(lambda v: [long_id(x) for x in v])
    for name, frame in t.items():
        frame["name_ja"] = fill("長い名前の", MAX_NAME_CHARS) if "name_ja" in frame else None
        if "name_en" in frame:  # the first without a space: nothing to wrap at
            frame["name_en"] = [fill("W", MAX_NAME_CHARS)] + [fill("Long names ", MAX_NAME_CHARS)] * (len(frame) - 1)
        frame["source_ref" if name == "flows" else "source"] = fill("assumption: 議事録の一節。", MAX_NOTE_CHARS)
        frame["memo"] = fill("メモ ", MAX_NOTE_CHARS)  # an extra column
    t["flows"] = t["flows"].drop(columns=["name_ja"])
    meta = dict(m.meta, id=fill("edge-", MAX_ID_CHARS), title_ja=fill("題名", MAX_NAME_CHARS),
                title_en=fill("Title ", MAX_NAME_CHARS), organisation=fill("市", MAX_NAME_CHARS),
                affairs=fill("事務", MAX_NAME_CHARS), assessed_on=assessed_on, target_population=MAX_COUNT,
                handlers=MAX_COUNT)
    return save_model(m.replace(meta=meta, path=None, **t), out)


def test_the_edge_model_holds_every_value_at_its_limit(tmp_path: Path):
    m = load_model(edge_model(tmp_path / "edge"))
    assert m.meta["assessed_on"] == MAX_DATE and m.meta["target_population"] == MAX_COUNT
    assert len(m.id) == MAX_ID_CHARS and len(m.meta["title_ja"]) == MAX_NAME_CHARS
    assert {len(x) for x in m.systems["system_id"]} == {MAX_ID_CHARS}
    assert {len(x) for x in m.systems["name_ja"]} == {len(x) for x in m.systems["name_en"]} == {MAX_NAME_CHARS}
    assert {len(x) for x in m.zones["source"]} == {len(x) for x in m.zones["memo"]} == {MAX_NOTE_CHARS}
    assert set(m.files["records"]) == {MAX_COUNT}


@pytest.mark.parametrize("assessed_on, lang", [(MAX_DATE, "ja"), (MIN_DATE, "en")])
def test_values_at_their_limits_render_through_every_output(tmp_path: Path, capsys, assessed_on, lang):
    model = edge_model(tmp_path / "edge", assessed_on)
    out = tmp_path / "out"
    out.mkdir()
    for argv in (["validate", str(model)],
                 ["report", str(model), "--out", str(out / "pack"), "--lang", lang],
                 ["section3", str(model), "--out", str(out / "s3.xlsx")],
                 ["export-otm", str(model), str(out / "model.otm.json")],
                 ["export-findings", str(model), str(out / "findings.sarif")],
                 ["history", str(model)]):
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 0, f"{argv[0]}: exit {code}\n{err}"
        assert "Traceback" not in err
    assert (out / "pack" / "briefing.pdf").stat().st_size > 0
    assert (out / "pack" / "tables.xlsx").stat().st_size > 0
    assert openpyxl.load_workbook(out / "s3.xlsx").sheetnames
    assert (out / "model.otm.json").stat().st_size > 0 and (out / "findings.sarif").stat().st_size > 0
    # the review schedule adds 5 years to the latest date allowed
    schedule = review_schedule(load_model(model), today=dt.date(2026, 1, 1))
    assert schedule.rerun_due.year == assessed_on.year + 5


def _tiny_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(TINY, tmp_path / "m"))


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# (file, text in tiny, the value at its limit, the value one step over it, the located message over it)
EDGES = [
    ("systems.csv", "住民記録システム", "名" * MAX_NAME_CHARS, "名" * (MAX_NAME_CHARS + 1),
     "systems.csv:2: name_ja: is 201 characters long, over the limit of 200 for a name"),
    ("zones.csv", "Data centre", "D" * MAX_NAME_CHARS, "D" * (MAX_NAME_CHARS + 1),
     "zones.csv:3: name_en: is 201 characters long, over the limit of 200 for a name"),
    ("flows.csv", "庁内LAN", "L" * MAX_NAME_CHARS, "L" * (MAX_NAME_CHARS + 1),
     "flows.csv:2: channel: is 201 characters long, over the limit of 200 for a name"),
    ("controls.csv", "公表,Publication,retain-1,*,0,implemented,assumption: test",
     "公表,Publication,retain-1,*,0,implemented," + "s" * MAX_NOTE_CHARS,
     "公表,Publication,retain-1,*,0,implemented," + "s" * (MAX_NOTE_CHARS + 1),
     "controls.csv:4: source: is 2,001 characters long, over the limit of 2,000 for a text cell"),
    ("files.csv", "個人番号;4情報", "個" * MAX_NOTE_CHARS, "個" * (MAX_NOTE_CHARS + 1),
     "files.csv:2: items: is 2,001 characters long, over the limit of 2,000 for a text cell"),
    ("controls.csv", "C3,", "C" * MAX_ID_CHARS + ",", "C" * (MAX_ID_CHARS + 1) + ",",
     "controls.csv:4: control_id: is 65 characters long, over the limit of 64 for an id"),
    # an id inside a list of ids: an unknown id as well, but the length is said
    ("controls.csv", "use-2;use-3", "use-2;" + "u" * MAX_ID_CHARS, "use-2;" + "u" * (MAX_ID_CHARS + 1),
     "controls.csv:2: mitigates: has an id of 65 characters, over the limit of 64 for an id"),
    ("model.yaml", "organisation: テスト市", "organisation: " + "市" * MAX_NAME_CHARS,
     "organisation: " + "市" * (MAX_NAME_CHARS + 1),
     "model.yaml:4: organisation: is 201 characters long, over the limit of 200 for a title or name"),
    ("model.yaml", "id: tiny", "id: " + "t" * MAX_ID_CHARS, "id: " + "t" * (MAX_ID_CHARS + 1),
     "model.yaml:1: id: is 65 characters long, over the limit of 64 for an id"),
    ("model.yaml", "assessed_on: 2024-04-01", "assessed_on: 2099-12-31", "assessed_on: 2100-01-01",
     "model.yaml:6: assessed_on: 2100-01-01 is outside 1990-01-01 … 2099-12-31"),
    ("model.yaml", "assessed_on: 2024-04-01", "assessed_on: 1990-01-01", "assessed_on: 1989-12-31",
     "model.yaml:6: assessed_on: 1989-12-31 is outside 1990-01-01 … 2099-12-31"),
    ("model.yaml", "target_population: 1500", f"target_population: {MAX_COUNT}", f"target_population: {MAX_COUNT + 1}",
     "model.yaml:7: target_population: 10000000001 is too large (over 10,000,000,000)"),
    ("files.csv", ",1500,", f",{MAX_COUNT},", f",{MAX_COUNT + 1},",
     "files.csv:2: records: '10000000001' is too large (over 10,000,000,000)"),
]


@pytest.mark.parametrize("file, old, at_limit, over, expect", EDGES, ids=[e[4].split(": is")[0] for e in EDGES])
def test_each_bound_accepts_its_limit_and_refuses_one_step_over(tmp_path: Path, file, old, at_limit, over, expect):
    model = _tiny_copy(tmp_path)
    _replace(model / file, old, at_limit)
    if "mitigates" in expect:  # the long id must be a known risk to be accepted
        (model / "risks.csv").write_text(f"risk_id,stage,name_ja,name_en\n{'u' * MAX_ID_CHARS},use,長いID,long id\n",
                                         encoding="utf-8")
    load_model(model)
    _replace(model / file, at_limit, over)
    with pytest.raises(ModelError) as info:
        load_model(model)
    messages = [str(p) for p in info.value.problems]
    assert any(expect in m for m in messages), "\n".join(messages)
    assert all(len(m) < 600 for m in messages), "a message echoes the long value"


def test_an_extra_column_is_bounded_and_kept_as_written(tmp_path: Path):
    model = _tiny_copy(tmp_path)
    lines = (model / "zones.csv").read_text(encoding="utf-8").splitlines()
    note = "  " + "x" * MAX_NOTE_CHARS + "  "  # surrounding spaces are not counted, and are kept
    rows = [lines[0] + ",memo", f"{lines[1]},\"{note}\"", lines[2] + ","]
    (model / "zones.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert load_model(model).zones["memo"].tolist() == [note, ""]
    (model / "zones.csv").write_text("\n".join(rows).replace(note, note.replace("x", "xx", 1)) + "\n", encoding="utf-8")
    with pytest.raises(ModelError, match=r"zones.csv:2: memo: is 2,001 characters long"):
        load_model(model)


def test_a_value_over_its_bound_is_refused_by_validate_quickly_with_its_location(tmp_path: Path, capsys):
    # the instance of the issue: a 120,000-character name validated, then crashed report after 74 s
    model = _tiny_copy(tmp_path)
    _replace(model / "systems.csv", "住民記録システム", "名" * 120_000)
    out = tmp_path / "pack"
    for argv in (["validate", str(model)], ["report", str(model), "--out", str(out)]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert f"{model}/systems.csv:2: name_ja: is 120,000 characters long, over the limit of 200 for a name" in err
        assert "Traceback" not in err and len(err) < 2_000
    assert not out.exists()


def test_workbook_models_have_the_same_bounds(tmp_path: Path):
    book = save_workbook(load_model(edge_model(tmp_path / "edge")), tmp_path / "edge.xlsx")
    assert load_model(book).meta["assessed_on"] == MAX_DATE  # every value at its limit: accepted
    wb = openpyxl.load_workbook(book)
    ws = wb["systems"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("name_ja") + 1, value="名" * (MAX_NAME_CHARS + 1))
    ws.cell(row=3, column=header.index("memo") + 1, value="メ" * (MAX_NOTE_CHARS + 1))
    meta = wb["model"]
    for row in meta.iter_rows():
        if row[0].value == "assessed_on":
            row[1].value = "9999-12-31"
    wb.save(book)
    with pytest.raises(ModelError) as info:
        load_model(book)
    messages = "\n".join(str(p) for p in info.value.problems)
    assert f"{book}[systems]:2: name_ja: is 201 characters long, over the limit of 200 for a name" in messages
    assert f"{book}[systems]:3: memo: is 2,001 characters long, over the limit of 2,000 for a text cell" in messages
    assert "assessed_on: 9999-12-31 is outside 1990-01-01 … 2099-12-31" in messages


def test_the_limits_are_stated_in_the_format_and_the_docs():
    assert TABLE_BY_NAME["systems"].column("name_ja").limit == MAX_NAME_CHARS
    assert TABLE_BY_NAME["zones"].column("source").limit == MAX_NOTE_CHARS
    assert TABLE_BY_NAME["controls"].column("applies_to").limit == MAX_ID_CHARS
    assert TABLE_BY_NAME["controls"].column("effectiveness").limit is None
    doc = (Path(__file__).resolve().parent.parent / "docs" / "model-format.md").read_text(encoding="utf-8")
    for figure in (f"{MAX_ID_CHARS} characters", f"{MAX_NAME_CHARS} characters", f"{MAX_NOTE_CHARS:,} characters",
                   f"{MIN_DATE.isoformat()} to {MAX_DATE.isoformat()}", f"{MAX_COUNT:,}"):
        assert figure in doc


# ---------------------------------------------------------------------------------------------------
# long chains


def build_chain(root: Path, length: int, vary: bool = False) -> list[Path]:
    """``root/v0001`` … : versions of tiny, each with its own id and ``previous: ../<the one before>``;
    ``vary``: each version's register file has a different record count (no two versions alike)."""
    meta = (TINY / "model.yaml").read_text(encoding="utf-8")
    dirs = []
    for i in range(1, length + 1):
        d = root / f"v{i:04d}"
        shutil.copytree(TINY, d)
        text = meta.replace("id: tiny", f"id: tiny-v{i:04d}", 1) + (f"previous: ../v{i - 1:04d}\n" if i > 1 else "")
        (d / "model.yaml").write_text(text, encoding="utf-8")
        if vary:
            _replace(d / "files.csv", ",1500,", f",{1500 + i},")
        dirs.append(d)
    return dirs


@pytest.fixture()
def counted(monkeypatch) -> Counter:
    """Counts of model.yaml parses (by directory), table parses and exposure analyses."""
    counts: Counter = Counter()
    read_yaml, read_table, read_text = model_io._read_model_yaml, model_io.read_table, model_io.read_text
    node_exposure = exposure_module.node_exposure

    def yaml_(model_dir, *a, **k):
        counts[("model.yaml", Path(model_dir).resolve())] += 1
        return read_yaml(model_dir, *a, **k)

    def table(model_dir, *a, **k):
        counts["tables"] += 1
        return read_table(model_dir, *a, **k)

    def text(path, *a, **k):
        counts[("read", Path(path).resolve())] += 1
        return read_text(path, *a, **k)

    def exposure(model, *a, **k):
        counts["exposure"] += 1
        return node_exposure(model, *a, **k)

    monkeypatch.setattr(model_io, "_read_model_yaml", yaml_)
    monkeypatch.setattr(model_io, "read_table", table)
    monkeypatch.setattr(model_io, "read_text", text)
    monkeypatch.setattr(exposure_module, "node_exposure", exposure)
    return counts


def test_history_of_1000_versions_loads_and_analyses_each_version_once(tmp_path: Path, counted, capsys):
    dirs = build_chain(tmp_path, 1000)
    assert main(["history", str(dirs[-1]), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1000 version(s), oldest first")
    assert "tiny-v0001" in out and "tiny-v1000" in out
    yaml_reads = {k[1]: n for k, n in counted.items() if isinstance(k, tuple) and k[0] == "model.yaml"}
    assert sorted(yaml_reads) == [d.resolve() for d in dirs] and set(yaml_reads.values()) == {1}
    # the versions' tables are byte for byte the same: parsed once, analysed once
    assert counted["tables"] == len(TABLE_BY_NAME) and counted["exposure"] == 1


def test_validate_of_1000_versions_reads_each_model_yaml_once(tmp_path: Path, counted, capsys):
    dirs = build_chain(tmp_path, 1000)
    assert main(["validate", str(dirs[-1])]) == 0
    reads = [n for k, n in counted.items() if isinstance(k, tuple) and k[0] == "read" and k[1].name == "model.yaml"]
    assert len(reads) == 1000 and set(reads) == {1}
    assert counted["tables"] == len(TABLE_BY_NAME)  # only the newest version's tables
    capsys.readouterr()


def test_history_of_distinct_versions_analyses_each_once(tmp_path: Path, counted):
    dirs = build_chain(tmp_path, 30, vary=True)
    history = version_history(dirs[-1])
    assert history["version"].tolist() == [f"tiny-v{i:04d}" for i in range(1, 31)]
    assert counted["tables"] == 30 * len(TABLE_BY_NAME) and counted["exposure"] == 30


def reference_history(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """version_history and history_coverage as they were computed before issue 11 (each version loaded
    with its whole chain, compare() on each pair): the outputs must not change."""
    from pia_analysis.analysis.coverage import stage_coverage
    from pia_analysis.formats import previous_chain

    newest = load_model(path)
    chain = [load_model(p) for p in reversed(previous_chain(newest))] + [newest]
    rows, previous = [], None
    for m in chain:
        if previous is None:
            c, verdict, n_imp, rules = compare(m, m), "", 0, []
        else:
            d = diff(previous, m)
            c, verdict, n_imp = d.comparison, d.classification, len(d.important)
            rules = sorted({r for rs in d.important["rules"] for r in rs})
        head = c.headline().set_index("metric")
        city_zone = dict(zip(m.zones["zone_id"], m.zones["operator"] == "city"))
        exp = c.exposure_after
        rows.append({
            "version": m.id, "assessed_on": m.meta["assessed_on"], "target_population": int(m.meta["target_population"]),
            "required": required_assessment(m).code, "systems": len(m.systems), "flows": len(m.flows),
            "controls": len(m.controls), "mn_holders": int(exp["holds_my_number"].sum()),
            "mn_holders_outside_city": int((exp["holds_my_number"] & ~exp["zone_id"].map(city_zone).astype(bool)).sum()),
            "max_mn_exposure": float(head.at["max_mn_exposure", "after"]),
            # the most exposed My Number holder (ties: the first id); "" when the version has none (the text
            # of the headline's note, which this read before issue 12, gave "REG →" there)
            "max_mn_system": next(iter(exp.loc[exp["holds_my_number"]].sort_values(
                ["exposure", "system_id"], ascending=[False, True], kind="stable")["system_id"]), ""),
            "records_at_stake": float(head.at["records_at_stake", "after"]),
            "covered_pairs": int(head.at["covered_pairs", "after"]), "pairs": int(c.coverage_after["pairs"].sum()),
            "coverage": float(head.at["coverage", "after"]), "open_findings": int(head.at["open_findings", "after"]),
            "vs_previous": verdict, "important_changes": n_imp, "important_rules": rules,
        })
        previous = m
    cov = None
    for m in chain:
        c = stage_coverage(m)[["stage", "name_ja", "coverage"]].rename(columns={"coverage": m.id})
        cov = c if cov is None else cov.merge(c[["stage", m.id]], on="stage", how="left", sort=False)
    return pd.DataFrame(rows), cov.reset_index(drop=True)


def test_history_is_unchanged_on_the_bundled_chain_and_a_mixed_chain(tmp_path: Path):
    # a tiny chain with unchanged, changed, unchanged-again and My-Number-holder-removed versions
    dirs = build_chain(tmp_path, 5)
    _replace(dirs[2] / "controls.csv", "0.5,implemented", "0.7,implemented")
    for d in dirs[3:]:
        shutil.copy(dirs[2] / "controls.csv", d / "controls.csv")
    _replace(dirs[4] / "systems.csv", "REG,住民記録システム,Register,CORE,system,city,REG_FILE,",
             "REG,住民記録システム,Register,CORE,system,city,,")
    _replace(dirs[4] / "systems.csv", "REG_FILE;CERT_FILE", "CERT_FILE")
    _replace(dirs[4] / "flows.csv", "F1,TERM,REG,REG_FILE", "F1,TERM,REG,")
    _replace(dirs[4] / "flows.csv", "F2,REG,SRV,REG_FILE", "F2,REG,SRV,")
    for path in (bundled_model_path(), bundled_model_path().with_suffix(".xlsx"), dirs[-1]):
        history, coverage = reference_history(path)
        chain = version_chain(path)
        pd.testing.assert_frame_equal(version_history(chain), history)
        pd.testing.assert_frame_equal(history_coverage(chain), coverage)
    history = version_history(dirs[-1])
    assert history["mn_holders"].tolist() == [2, 2, 2, 2, 0]
    assert history["max_mn_exposure"].round(6).tolist() == [0.025, 0.025, 0.009, 0.009, 0.0]


def test_versions_with_the_same_id_get_distinct_coverage_columns(tmp_path: Path):
    dirs = build_chain(tmp_path, 4)
    for d in dirs:
        _replace(d / "model.yaml", f"id: tiny-{d.name}", "id: tiny")
    assert list(history_coverage(dirs[-1]).columns) == ["stage", "name_ja", "tiny", "tiny (2)", "tiny (3)", "tiny (4)"]


def test_a_model_whose_previous_is_itself_is_a_located_error(tmp_path: Path, capsys):
    model = _tiny_copy(tmp_path)
    with open(model / "model.yaml", "a", encoding="utf-8") as fh:
        fh.write("previous: .\n")
    expect = f"{model}/model.yaml:10: previous: the chain of previous versions loops back to {model.resolve()}"
    for argv in (["validate", str(model)], ["history", str(model)], ["diff", str(TINY), str(model)]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert expect in err and "Traceback" not in err


def test_a_cycle_of_three_versions_is_a_located_error(tmp_path: Path, capsys):
    dirs = build_chain(tmp_path, 3)
    with open(dirs[0] / "model.yaml", "a", encoding="utf-8") as fh:
        fh.write("previous: ../v0003\n")  # v0003 -> v0002 -> v0001 -> v0003
    assert main(["validate", str(dirs[-1])]) == 1
    assert (f"{dirs[-1]}/model.yaml:10: previous: the chain of previous versions loops back to {dirs[-1].resolve()} "
            f"(reached through the chain, from {dirs[0].resolve()})") in capsys.readouterr().err
    assert main(["history", str(dirs[-1])]) == 1  # reported where the loop is closed: the file to fix
    assert (f"{dirs[0].resolve()}/model.yaml:10: previous: the chain of previous versions loops back to "
            f"{dirs[-1].resolve()}") in capsys.readouterr().err


def test_a_symlink_loop_in_previous_is_a_located_error(tmp_path: Path, capsys):
    model = _tiny_copy(tmp_path)
    os.symlink(tmp_path / "b", tmp_path / "a")
    os.symlink(tmp_path / "a", tmp_path / "b")
    with open(model / "model.yaml", "a", encoding="utf-8") as fh:
        fh.write("previous: ../a\n")
    for argv in (["validate", str(model)], ["history", str(model)]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert f"{model}/model.yaml:10: previous: '../a' is not a usable path" in err, err
        assert "Traceback" not in err and "internal error" not in err


def test_a_chain_built_in_memory_that_loops_is_refused(tmp_path: Path):
    model = load_model(_tiny_copy(tmp_path))
    looping = model.replace(meta=dict(model.meta, previous="."))
    with pytest.raises(ModelError, match="loops back"):
        version_chain(looping)
    with pytest.raises(ModelError, match="loops back"):
        formats.previous_chain(looping)
