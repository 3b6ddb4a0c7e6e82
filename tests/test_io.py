"""The model format: loading, typing, round trips, validation errors, encodings and the My Number guard."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from broken_cases import (ACCEPTED_CASES, BROKEN, CASES, DOC, GENERATED_CASES, GENERATED_SCENARIO_CASES,
                          SCENARIO_CASES, SCENARIOS, TINY, build_case, build_scenario_case, committed_files,
                          render_doc)
from pia_analysis import ModelError, bundled_model_path, load_model, save_model, validate
from pia_analysis.model.mynumber import check_digit, find_my_numbers, is_valid_my_number


@pytest.fixture()
def tiny(tmp_path: Path) -> Path:
    target = tmp_path / "tiny"
    shutil.copytree(TINY, target)
    return target


def assert_tables_equal(a, b) -> None:
    for name in ("zones", "systems", "files", "flows", "controls", "risks", "ratings"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_dtype=True, obj=name)


# --- the bundled model --------------------------------------------------------------------------


def test_bundled_model_loads_with_the_systems_the_minutes_name():
    model = load_model(bundled_model_path())
    names = set(model.systems["name_ja"])
    for expected in ("住民記録システム", "住基ネット連携システム", "中間サーバー", "団体内統合宛名システム",
                     "総合窓口システム", "情報提供ネットワークシステム"):
        assert expected in names
    assert set(model.files["name_ja"]) == {"住民基本台帳ファイル", "本人確認情報ファイル", "送付先情報ファイル"}
    assert model.meta["target_population"] == 932_000
    assert model.meta["assessed_on"] == dt.date(2021, 11, 9)
    assert set(model.flows["stage"]) == {"acquire", "use", "outsource", "provide", "network", "retain"}


def test_every_bundled_row_is_sourced_or_marked_as_assumption():
    model = load_model(bundled_model_path())
    for name, col in (("zones", "source"), ("systems", "source"), ("files", "source"), ("flows", "source_ref"),
                      ("controls", "source")):
        frame = getattr(model, name)
        empty = frame.loc[frame[col].str.strip() == ""]
        assert empty.empty, f"{name} rows without a source: {list(empty.iloc[:, 0])}"
        # a source names the minutes, the facts note, or says it is an assumption
        bad = frame.loc[~frame[col].str.contains(r"minutes|ppc_assessment_facts|assumption", regex=True)]
        assert bad.empty, f"{name} rows with an untraceable source: {list(bad.iloc[:, 0])}"


def test_typed_tables_and_graph():
    model = load_model(TINY)
    assert model.systems["entry_likelihood"].dtype == "float64"
    assert model.files["records"].dtype == "int64"
    assert model.files["contains_my_number"].dtype == bool
    assert model.flows["interactive"].tolist() == [True, False]
    assert model.systems.set_index("system_id").loc["SRV", "holds"] == ["REG_FILE", "CERT_FILE"]
    assert model.controls.set_index("control_id").loc["C3", "applies_to"] == ["*"]
    # English ratings are normalised to the official Japanese choices
    assert model.ratings.set_index("risk_id").loc["retain-1", "rating"] == "十分である"
    g = model.graph
    assert isinstance(g, nx.MultiDiGraph)
    assert set(g.nodes) == {"REG", "TERM", "SRV"}
    assert g.edges["REG", "SRV", "F2"]["stage"] == "outsource"
    assert g.nodes["SRV"]["holds_my_number"] is True
    assert g.nodes["TERM"]["holds_my_number"] is False
    assert model.summary() == {"zones": 2, "systems": 3, "files": 2, "flows": 2, "controls": 3,
                               "entry_points": 1, "my_number_files": 1}


def test_risk_items_add_model_risks_after_the_catalogue(tiny: Path):
    (tiny / "risks.csv").write_text("risk_id,stage,name_ja,name_en\nuse-x1,use,追加リスク,Extra risk\n", encoding="utf-8")
    model = load_model(tiny)
    items = model.risk_items
    assert len(items) == 27
    use = items.loc[items["stage"] == "use", "risk_id"].tolist()
    assert use == ["use-1", "use-2", "use-3", "use-4", "use-x1"]
    assert items.set_index("risk_id").loc["use-x1", "origin"] == "model"


# --- round trip -------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", [TINY, bundled_model_path()], ids=["tiny", "kitakyushu"])
def test_load_save_load_gives_equal_tables(source: Path, tmp_path: Path):
    first = load_model(source)
    out = save_model(first, tmp_path / "copy")
    second = load_model(out)
    assert_tables_equal(first, second)
    strip = lambda meta: {k: v for k, v in meta.items() if k != "previous"}  # noqa: E731
    assert strip(second.meta) == strip(first.meta)
    if "previous" in first.meta:  # rewritten relative to the new place, but the same directory
        assert (out / second.meta["previous"]).resolve() == (first.path / first.meta["previous"]).resolve()
    # saving again gives byte-identical files
    out2 = save_model(second, tmp_path / "copy2")
    for f in sorted(p.name for p in out.iterdir()):
        assert (out / f).read_bytes() == (out2 / f).read_bytes(), f


def test_extra_columns_are_kept(tiny: Path, tmp_path: Path):
    text = (tiny / "systems.csv").read_text(encoding="utf-8").splitlines()
    text = [text[0] + ",owner_note"] + [line + f",note {i}" for i, line in enumerate(text[1:])]
    (tiny / "systems.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    model = load_model(tiny)
    assert model.systems["owner_note"].tolist() == ["note 0", "note 1", "note 2"]
    again = load_model(save_model(model, tmp_path / "out"))
    assert again.systems["owner_note"].tolist() == ["note 0", "note 1", "note 2"]


def test_previous_is_rewritten_relative_to_the_new_place(tmp_path: Path):
    old = tmp_path / "models" / "v1"
    shutil.copytree(TINY, old)
    new = tmp_path / "models" / "v2"
    shutil.copytree(TINY, new)
    with open(new / "model.yaml", "a", encoding="utf-8") as fh:
        fh.write("previous: ../v1\n")
    model = load_model(new)
    moved = save_model(model, tmp_path / "elsewhere" / "deep" / "v2")
    again = load_model(moved)
    assert (moved / again.meta["previous"]).resolve() == old.resolve()


# --- encodings and normalisation ---------------------------------------------------------------------


def test_cp932_and_utf8_bom_files_load(tiny: Path):
    text = (tiny / "systems.csv").read_text(encoding="utf-8")
    (tiny / "systems.csv").write_bytes(text.replace("\n", "\r\n").encode("cp932"))
    (tiny / "files.csv").write_bytes((tiny / "files.csv").read_text(encoding="utf-8").encode("utf-8-sig"))
    model = load_model(tiny)
    assert model.systems.set_index("system_id").loc["REG", "name_ja"] == "住民記録システム"
    assert model.files["file_id"].tolist() == ["REG_FILE", "CERT_FILE"]  # the BOM is not part of the header


def test_full_width_digits_and_spaces_are_normalised(tiny: Path):
    text = (tiny / "files.csv").read_text(encoding="utf-8")
    (tiny / "files.csv").write_text(text.replace(",1500,", ",１５００,").replace("CERT_FILE,証明書", "ＣＥＲＴ＿ＦＩＬＥ　,証明書"),
                                    encoding="utf-8")
    model = load_model(tiny)
    assert model.files.set_index("file_id").loc["REG_FILE", "records"] == 1500
    assert "CERT_FILE" in set(model.files["file_id"])


@pytest.mark.parametrize("word,value", [("yes", True), ("はい", True), ("1", True), ("TRUE", True),
                                        ("no", False), ("いいえ", False), ("0", False), ("False", False)])
def test_boolean_words(tiny: Path, word: str, value: bool):
    text = (tiny / "flows.csv").read_text(encoding="utf-8")
    (tiny / "flows.csv").write_text(text.replace("LGWAN,false,true", f"LGWAN,{word},true"), encoding="utf-8")
    assert bool(load_model(tiny).flows.set_index("flow_id").loc["F2", "interactive"]) is value


# --- validation errors -------------------------------------------------------------------------------


def test_corpus_is_up_to_date():
    """The committed tests/broken/ files are exactly what broken_cases.py builds (python tests/broken_cases.py)."""
    fresh = committed_files()
    committed = {p.relative_to(BROKEN).as_posix(): p.read_bytes() for p in sorted(BROKEN.rglob("*")) if p.is_file()}
    assert sorted(committed) == sorted(fresh), "run: python tests/broken_cases.py (and delete stale cases)"
    for name, data in fresh.items():
        assert committed[name] == data, name
    assert len(CASES) + len(GENERATED_CASES) + len(SCENARIO_CASES) + len(GENERATED_SCENARIO_CASES) >= 40


def test_bad_input_doc_is_up_to_date():
    """docs/bad-input.md is the table the cases give (python tests/broken_cases.py --doc rewrites it)."""
    assert DOC.read_text(encoding="utf-8") == render_doc(), "run: python tests/broken_cases.py --doc"


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("generated")
    for case in GENERATED_CASES:
        build_case(case, root)
    return root


def _assert_located(case, model_dir: Path, problems) -> None:
    messages = [str(p) for p in problems]
    assert any(case.expect in m for m in messages), "\n".join(messages)
    # every message names the file; and no message prints a My Number in full
    for m in messages:
        assert str(model_dir) in m
        assert "123456789018" not in m.replace("-", "").replace(" ", "")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_broken_model_gives_a_located_message(case):
    with pytest.raises(ModelError) as info:
        load_model(BROKEN / case.name)
    _assert_located(case, BROKEN / case.name, info.value.problems)


@pytest.mark.parametrize("case", GENERATED_CASES, ids=[c.name for c in GENERATED_CASES])
def test_each_generated_broken_model_gives_a_located_message(case, generated: Path):
    with pytest.raises(ModelError) as info:
        load_model(generated / case.name)
    _assert_located(case, generated / case.name, info.value.problems)


def test_a_big_file_is_refused_by_its_size_without_being_read(generated: Path, monkeypatch):
    big = generated / "file_of_50_mib" / "systems.csv"
    assert big.stat().st_size == 50 * 2**20
    read: list[Path] = []
    for name in ("read_bytes", "read_text"):
        original = getattr(Path, name)
        monkeypatch.setattr(Path, name, lambda self, *a, _o=original, **k: read.append(self) or _o(self, *a, **k))
    problems = validate(big.parent)
    assert [str(p) for p in problems] == [f"{big}: is 50.0 MiB, over the 25 MiB limit (hint: a model table is a few MiB "
                                          "at most; check that the right file was saved here)"]
    assert big not in read and read, read


@pytest.mark.parametrize("case", ACCEPTED_CASES, ids=[c.name for c in ACCEPTED_CASES])
def test_accepted_inputs_load(case, tmp_path: Path):
    model = load_model(build_case(case, tmp_path))
    assert case.check(model), case.what


@pytest.mark.parametrize("case", SCENARIO_CASES + GENERATED_SCENARIO_CASES,
                         ids=[c.name for c in SCENARIO_CASES + GENERATED_SCENARIO_CASES])
def test_each_broken_scenario_gives_a_located_message(case, tmp_path: Path):
    from pia_analysis.model.mynumber import mask_numbers
    from pia_analysis.whatif.apply import apply_scenario

    path = SCENARIOS / f"{case.name}.yaml" if case in SCENARIO_CASES else build_scenario_case(case, tmp_path)
    with pytest.raises(ModelError) as info:  # the file's path: its bad values and unknown ids at once
        apply_scenario(load_model(TINY), path)
    messages = [str(p) for p in info.value.problems]
    assert any(case.expect in m.replace(f"{TINY.parent.parent.parent}/", "") for m in messages), "\n".join(messages)
    for m in messages:
        # a path holding a number is named masked (scenario_****-****-****.yaml)
        assert str(path) in m or str(TINY) in m or mask_numbers(str(path)) in m
        assert "123456789018" not in m.replace("-", "").replace(" ", "")


def test_all_problems_are_reported_at_once(tiny: Path):
    text = (tiny / "systems.csv").read_text(encoding="utf-8")
    text = text.replace("CORE,terminal", "CORE,laptop").replace(",0.1,", ",2,").replace("DC,system", "NOWHERE,system")
    (tiny / "systems.csv").write_text(text, encoding="utf-8")
    (tiny / "model.yaml").write_text((tiny / "model.yaml").read_text(encoding="utf-8") + "colour: blue\n", encoding="utf-8")
    problems = validate(tiny)
    text = "\n".join(map(str, problems))
    assert len(problems) == 4, text
    assert "model.yaml:10: colour: unknown key" in text
    assert "systems.csv:3: kind: 'laptop'" in text
    assert "systems.csv:3: entry_likelihood: '2' is outside [0, 1]" in text
    assert "systems.csv:4: zone_id: 'NOWHERE' is not a known zone_id" in text
    # model.yaml problems come first, then the tables in format order
    assert str(problems[0]).startswith(f"{tiny}/model.yaml")


def test_cycle_of_previous_is_refused(tmp_path: Path):
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(TINY, a)
    shutil.copytree(TINY, b)
    for here, there in ((a, "../b"), (b, "../a")):
        with open(here / "model.yaml", "a", encoding="utf-8") as fh:
            fh.write(f"previous: {there}\n")
    with pytest.raises(ModelError, match="loops back"):
        load_model(a)


def test_a_problem_in_a_quoted_multiline_cell_is_located_on_its_own_line(tiny: Path):
    text = (tiny / "systems.csv").read_text(encoding="utf-8")
    text = text.replace("REG,住民記録システム,Register", 'REG,"住民記録\nシステム",Register')
    text = text.replace("CORE,terminal", "CORE,laptop")
    (tiny / "systems.csv").write_text(text, encoding="utf-8")
    messages = [str(p) for p in validate(tiny)]
    assert any("systems.csv:4: kind: 'laptop'" in m for m in messages), messages


# --- the My Number guard ------------------------------------------------------------------------------


def test_check_digit_algorithm():
    # The official weights recomputed here independently of the implementation.
    digits = "12345678901"
    weights = [n + 1 if n <= 6 else n - 5 for n in range(1, 12)]
    total = sum(int(digits[11 - n]) * weights[n - 1] for n in range(1, 12))
    remainder = total % 11
    expected = 0 if remainder <= 1 else 11 - remainder
    assert check_digit(digits) == expected == 8
    assert check_digit("00000000000") == 0
    assert is_valid_my_number("123456789018")
    assert not is_valid_my_number("123456789012")


def test_valid_my_number_is_refused_and_invalid_one_accepted(tiny: Path):
    text = (tiny / "systems.csv").read_text(encoding="utf-8")
    (tiny / "systems.csv").write_text(text.replace("assumption: test\nTERM", "assumption: ticket 123456789012\nTERM"),
                                      encoding="utf-8")
    load_model(tiny)  # an invalid check digit: not a My Number, accepted
    (tiny / "systems.csv").write_text(text.replace("assumption: test\nTERM", "assumption: ticket １２３４ ５６７８ ９０１８\nTERM"),
                                      encoding="utf-8")
    with pytest.raises(ModelError) as info:
        load_model(tiny)
    message = str(info.value)
    assert "systems.csv:2: source: contains what looks like a real My Number" in message
    assert "9018" not in message and "123456789018" not in message


def test_find_my_numbers_ignores_longer_digit_runs():
    assert find_my_numbers("1123456789018") == []
    assert find_my_numbers("1234-5678-9018") == [(0, "**** **** **18")]


def test_every_column_and_key_carries_its_meaning_in_both_languages():
    """The schema states each column's and key's meaning (the guide sheet and README read it from there)."""
    from pia_analysis.model.schema import KIND_MEANINGS, MODEL_KEY_MEANINGS, MODEL_KEYS, TABLES

    for table in TABLES:
        for column in table.columns:
            assert all(column.meaning), (table.name, column.name)
            assert column.kind in KIND_MEANINGS, (table.name, column.name)
    for key, (_required, kind) in MODEL_KEYS.items():
        assert all(MODEL_KEY_MEANINGS[key]), key
        assert kind in KIND_MEANINGS, key


def test_model_format_doc_is_up_to_date():
    """docs/model-format.md's tables are what the schema gives (python -m pia_analysis.model.schema --doc rewrites them)."""
    from pia_analysis.model.schema import rewrite_reference_markdown

    doc = Path(__file__).resolve().parent.parent / "docs" / "model-format.md"
    text = doc.read_text(encoding="utf-8")
    assert text == rewrite_reference_markdown(text), "run: python -m pia_analysis.model.schema --doc"


def test_clean_column_agrees_with_the_cell_parser():
    """A column read at once (clean_column) gives the cell parser's values, or None when any cell has a problem."""
    from pia_analysis.model.cells import clean_column, parse_cell
    from pia_analysis.model.schema import TABLES

    samples = ["", " ", "S1", " S1 ", "S1\t", "Ｓ１", "S 1", "A;B", "A;;B", "A; B ;", "#N/A", "=A1", "=", "true",
               "はい", "0.5", "50%", "2", "-1", "1,200", "5年", "2024-04-01", "令和3年4月1日", "city", "市",
               "acquire", "入手", "x" * 70, "名前\u202e", "a\x1bb", "S\u200b1", "line\nbreak", "1234 5678 9018",
               "implemented", "full", "定められていない"]
    for table in TABLES:
        for col in table.columns:
            for raw in samples:
                for raws in ([raw], [raw, "S2"], ["S2", raw, raw]):
                    found: list = []
                    expected = [parse_cell(col, r, "t", 1, found) for r in raws]
                    got = clean_column(col, raws)
                    if found:
                        assert got is None, (table.name, col.name, raws)
                    elif got is not None:
                        assert got == expected, (table.name, col.name, raws, got, expected)
