"""Hostile text inputs (issue 11, section 2): the My Number guard on what is loaded, YAML as plain data,
invisible characters in ids and headers, a UTF-8 file turning into cp932, files that are not regular.

The corpus cases (``tests/broken_cases.py``, block "issue 11: hostile text inputs") check the messages of
every CLI command; these tests check the rules themselves, with generated inputs.
"""

from __future__ import annotations

import os
import shutil
import threading
import unicodedata
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from broken_cases import BROKEN, CASES, TINY
from pia_analysis import ModelError, load_model
from pia_analysis.cli import main
from pia_analysis.formats.directory import ModelYamlLoader
from pia_analysis.model.errors import Problem
from pia_analysis.model.mynumber import check_digit, find_my_numbers, mask, mask_numbers, redact
from pia_analysis.whatif.scenario import load_scenario, parse_scenario

# --- the My Number guard -----------------------------------------------------------------------------

# Every Unicode decimal digit (category Nd), by value: Arabic-Indic, Devanagari, Thai, full-width,
# mathematical bold …
ND_DIGITS: dict[int, list[str]] = {}
for _cp in range(0x110000):
    _ch = chr(_cp)
    if unicodedata.category(_ch) == "Nd":
        ND_DIGITS.setdefault(unicodedata.decimal(_ch), []).append(_ch)

SEPARATORS = ["-", " ", ".", "\t", "\n", "\r\n", "\u2010", "\u2013", "\u2014", "\u2212", "\ufe63", "\uff0d", "\u30fb",
              "\u00b7", "\u3000", "\u00a0", "\u2009", "\u200b", "\u200d", "\u2060", "\u00ad", "\ufeff", " - ", "\u200b\u200b",
              # long-vowel marks typed as dashes; runs of up to four separator characters
              "\u30fc", "\uff70", " -- ", "\u30fc\u30fc", "\t-\t ",
              # invisible marks (Mn, Me): combining acute, grapheme joiner, variation selectors, keycap
              "\u0301", "\u034f", "\ufe0f", "\ufe00", "\U000e0100", "\U000e01ef", "\u20e3", "\ufe0f\u20e3", "\u20dd"]
# Between three groups of exactly four digits only (lists, times and fractions use them otherwise).
WEAK_SEPARATORS = ["_", "/", ",", ":", "(", ")", ") ", ", ", "_-_", "／", "，", "：", "＿", "（", "）", "__"]


@st.composite
def valid_numbers(draw) -> str:
    """The 12 ASCII digits of a number with a valid check digit."""
    first = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=11, max_size=11)))
    return first + str(check_digit(first))


@st.composite
def disguised(draw) -> tuple[str, str]:
    """A valid number written with any Unicode digits and any separators between any groups."""
    digits = draw(valid_numbers())
    out = []
    for i, d in enumerate(digits):
        out.append(draw(st.sampled_from(ND_DIGITS[int(d)])))
        if i < 11 and draw(st.booleans()):
            out.append(draw(st.sampled_from(SEPARATORS)))
    return digits, "".join(out)


@settings(max_examples=300, deadline=None)
@given(disguised(), st.sampled_from(["", "memo ", "番号：", "(", "id="]), st.sampled_from(["", " end", "。", ")"]))
def test_any_digits_and_separators_of_a_valid_number_are_caught(number, before, after):
    digits, text = number
    hits = find_my_numbers(before + text + after)
    assert [m for _p, m in hits] == [mask(digits)], (digits, text)


@settings(max_examples=200, deadline=None)
@given(disguised(), st.text(max_size=30))
def test_masking_never_leaks_twelve_digits(number, noise):
    digits, text = number
    for _pos, masked in find_my_numbers(noise + " " + text + " " + noise):
        shown = "".join(ch for ch in masked if ch.isdecimal())
        assert len(shown) <= 2
    assert digits not in mask_numbers(text).replace(" ", "")
    assert sum(ch.isdecimal() for ch in mask_numbers(text)) == 0


# Invisible marks are dropped before the scan, so between 4-4-4 groups only visible separators count
# (1234_5678\u03019018 reads as 1234_56789018: not the 4-4-4 form; a known limit, as contrived as it is).
VISIBLE = [s for s in SEPARATORS if any(unicodedata.category(ch) not in ("Cf", "Mn", "Me") for ch in s)]


@settings(max_examples=300, deadline=None)
@given(valid_numbers(), st.sampled_from(WEAK_SEPARATORS + VISIBLE), st.sampled_from(WEAK_SEPARATORS + VISIBLE),
       st.sampled_from(["", "model_", "(", "id:", "a/"]), st.sampled_from(["", "_v2", ")", ".csv"]))
def test_four_four_four_groups_with_any_separator_are_caught(digits, sep1, sep2, before, after):
    text = f"{before}{digits[:4]}{sep1}{digits[4:8]}{sep2}{digits[8:]}{after}"
    assert [m for _p, m in find_my_numbers(text)] == [mask(digits)], text


@pytest.mark.parametrize("text", [
    "counts 932,000, 1,234,567, 8,901", "2024/04/01 12:30:45", "years 2020/2021/2022", "model_v1_2_3",
    "(03)1234-5678", "1,234,567,890,18", "12:34:56:78:90:18", "ratio 1234/5678", "f_1234_5678_90189",
])
def test_weak_separators_do_not_join_other_groups(text):
    assert find_my_numbers(text) == []


@settings(max_examples=300, deadline=None)
@given(disguised(), st.text(max_size=30), st.text(max_size=30))
def test_redaction_never_leaks_a_number(number, before, after):
    digits, text = number
    shown = redact(before + text + after)
    assert find_my_numbers(shown) == []
    assert mask(digits) in redact(text)
    problem = Problem(before + text, 3, text + after, f"{text} is too large", f"replace {text}")
    for part in (problem.file, problem.column, problem.message, problem.hint, str(problem)):
        assert find_my_numbers(part) == [], part


@pytest.mark.parametrize("text", ["", "handlers: 20 is too large (over 10,000,000,000)", "ticket 1234-5678-9012",
                                  "\u200bzero width kept", "ｶﾀｶﾅ and １２３"])
def test_redaction_leaves_other_text_as_it_is(text):
    assert redact(text) == text
    assert str(Problem("f.csv", 2, "c", text, text)) == f"f.csv:2: c: {text} (hint: {text})" if text else True


@settings(max_examples=200, deadline=None)
@given(valid_numbers())
def test_an_invalid_check_digit_is_accepted(digits):
    wrong = digits[:11] + str((int(digits[11]) + 1) % 10)
    assert find_my_numbers(f"{wrong[:4]}-{wrong[4:8]}-{wrong[8:]}") == []
    assert find_my_numbers(wrong) == []


@pytest.mark.parametrize("text", [
    "932000", "records 932000", "人口 932000、職員 1500", "1,500,000", "assessed_on 2024-04-01 and 2021-11-09",
    "2024-04-01 1500 records", "2024/4/1 123456", "tel 093-582-2102", "093-582-2102 / 090-1234-5678",
    "Tel: 03-1234-5678 Fax: 03-1234-5679", "12:30", "v1.2.3", "0.1 0.2 0.3 0.4", "1234567890180",
    "ticket 1234-5678-9012", "12345678901812", "900000〜950000件", "100000〜999999",
])
def test_legitimate_numbers_pass(text):
    assert find_my_numbers(text) == []


def test_a_number_inside_a_longer_run_of_digits_is_not_a_my_number():
    # 13+ digits without separators: a serial or account number, not 12 digits
    assert find_my_numbers("1234567890180") == []
    assert find_my_numbers("01234567890185") == []


# --- YAML is plain data ------------------------------------------------------------------------------


def load_yaml(text: str) -> tuple[object, list[tuple[int, int, str, str]]]:
    loader = ModelYamlLoader(text)
    try:
        return loader.get_single_data(), loader.refused
    finally:
        loader.dispose()


@pytest.mark.parametrize("text,read_as,hint", [
    ("a: 12:30", 750, 'write it in quotes, "12:30"'),
    ("a: 1:30:00", 5400, 'write it in quotes, "1:30:00"'),
    ("a: 0x10", 16, 'write 16, or "0x10" in quotes'),
    ("a: 017", 15, 'write 17 without the leading zero, or "017" in quotes'),
    ("a: 1_000", 1000, "write 1000 (no '_' between digits)"),
    ("a: 1_000.5", 1000.5, "write 1000.5 (no '_' between digits)"),
    ("a: 0b101", 5, 'write 5, or "0b101" in quotes'),
])
def test_yaml_11_numbers_are_refused_with_what_to_write(text, read_as, hint):
    data, refused = load_yaml(text)
    assert len(refused) == 1
    line, _col, message, got_hint = refused[0]
    assert line == 1 and f"reads it as {read_as!r}" in message and hint in got_hint
    assert data == {"a": text[3:]}  # kept as written, so the rest of the file is still read


@pytest.mark.parametrize("text", ["a: 0", "a: 12", "a: -3", "a: 1.5", "a: 0.25", "a: 1e3", "a: '12:30'", 'a: "0x10"',
                                  "a: 2024-04-01", "a: true", "a: ~"])
def test_plain_values_load_as_before(text):
    data, refused = load_yaml(text)
    assert refused == []
    assert data == yaml.safe_load(text.replace("2024-04-01", "'2024-04-01'"))


@pytest.mark.parametrize("tag,value", [("!!binary", "MTIz"), ("!!set", "{a, b}"), ("!!omap", "[a: 1]"),
                                       ("!!pairs", "[a: 1]"), ("!!timestamp", "2024-04-01")])
def test_tags_that_are_not_plain_data_are_refused(tag, value):
    _data, refused = load_yaml(f"id: x\na: {tag} {value}\n")
    assert [(line, message) for line, _c, message, _h in refused] == [(2, f"the tag {tag} is not allowed: only plain values, lists and mappings")]


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system ['true']", "!custom x", "!!python/name:os.system ''"])
def test_tags_without_a_constructor_still_fail_the_load(tag):
    with pytest.raises(yaml.constructor.ConstructorError):
        load_yaml(f"a: {tag}\n")


def test_every_surprising_value_of_a_scenario_is_reported_at_once():
    text = "id: x\nset:\n  files:\n    REG_FILE: {records: 1_000}\n  systems:\n    TERM: {entry_likelihood: 0x1}\n"
    with pytest.raises(ModelError) as exc:
        parse_scenario(text, label="s.yaml")
    assert [(p.line, p.message.split(" is ")[0]) for p in exc.value.problems] == [(4, "1_000"), (6, "0x1")]


# --- invisible characters ----------------------------------------------------------------------------

CF = sorted(ch for ch in map(chr, range(0x110000)) if unicodedata.category(ch) == "Cf" and ch != "\ufeff")


def copy_tiny(tmp_path: Path) -> Path:
    model = tmp_path / "model"
    shutil.copytree(TINY, model)
    return model


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(CF), st.integers(min_value=0, max_value=3))
def test_an_id_with_any_format_character_is_refused(tmp_path_factory, char, at):
    model = copy_tiny(tmp_path_factory.mktemp("cf"))
    path = model / "systems.csv"
    fake = "REG"[:at] + char + "REG"[at:]
    path.write_text(path.read_text(encoding="utf-8") + f"{fake},偽,Fake,CORE,system,city,,,assumption: test\n", encoding="utf-8")
    with pytest.raises(ModelError) as exc:
        load_model(model)
    messages = [str(p) for p in exc.value.problems]
    assert any("systems.csv:5: system_id:" in m and "holds an invisible character (U+" in m for m in messages), messages


def test_a_header_with_a_format_character_is_refused(tmp_path):
    model = copy_tiny(tmp_path)
    path = model / "flows.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("source,", "source\u200c,", 1), encoding="utf-8")
    with pytest.raises(ModelError) as exc:
        load_model(model)
    assert any("flows.csv:1: column 2:" in str(p) and "U+200C ZERO WIDTH NON-JOINER" in str(p) for p in exc.value.problems)


def test_free_text_may_hold_format_characters(tmp_path):
    # a joiner inside an emoji, a direction mark in a name: text columns are kept as written
    model = copy_tiny(tmp_path)
    path = model / "zones.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("基幹系", "基幹系\u200d"), encoding="utf-8")
    assert load_model(model).zones["name_ja"].str.contains("\u200d").any()


# --- encodings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("utf8_rows", [1, 2])
def test_a_utf8_file_with_a_cp932_row_names_the_first_bad_line(tmp_path, utf8_rows):
    model = copy_tiny(tmp_path)
    lines = (model / "systems.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    head = "".join(lines[: 1 + utf8_rows]).encode("utf-8")
    tail = "".join(lines[1 + utf8_rows:]).encode("cp932")
    (model / "systems.csv").write_bytes(head + tail)
    with pytest.raises(ModelError) as exc:
        load_model(model)
    first_bad = 2 + utf8_rows
    assert [str(p).split(" (bad byte")[0] for p in exc.value.problems] == [
        f"{model}/systems.csv:{first_bad}: is UTF-8 up to line {first_bad - 1}, but line {first_bad} is not"]


def test_a_file_entirely_in_cp932_still_loads(tmp_path):
    model = copy_tiny(tmp_path)
    for name in ("zones.csv", "systems.csv", "files.csv", "controls.csv"):
        (model / name).write_bytes((model / name).read_text(encoding="utf-8").encode("cp932"))
    assert "住民記録システム" in set(load_model(model).systems["name_ja"])


# --- files that are not regular ---------------------------------------------------------------------


def test_a_fifo_is_refused_without_blocking(tmp_path):
    model = copy_tiny(tmp_path)
    (model / "ratings.csv").unlink()
    os.mkfifo(model / "ratings.csv")
    result: list[BaseException | None] = []

    def load() -> None:
        try:
            load_model(model)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            result.append(exc)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():  # unblock the reader so that the test process can end
        with open(model / "ratings.csv", "w"):
            pass
        pytest.fail("load_model blocked on a FIFO")
    assert isinstance(result[0], ModelError)
    assert [str(p) for p in result[0].problems] == [
        f"{model}/ratings.csv: is not a regular file: it is a named pipe (FIFO) "
        "(hint: a model file must be an ordinary file saved in the model directory)"]


def test_a_link_out_of_the_model_is_refused_and_never_echoed(tmp_path, capsys):
    model = copy_tiny(tmp_path)
    secret = tmp_path / "secret.csv"
    secret.write_text("zone_id,name_ja\nTOP-SECRET-LINE,秘密\n", encoding="utf-8")
    (model / "zones.csv").unlink()
    os.symlink(secret, model / "zones.csv")
    assert main(["validate", str(model)]) == 1
    err = capsys.readouterr().err
    assert "zones.csv: is a symbolic link to a file outside the model directory" in err
    assert "TOP-SECRET-LINE" not in err and "秘密" not in err


def test_a_link_inside_the_model_is_accepted(tmp_path):
    model = copy_tiny(tmp_path)
    (model / "zones.csv").rename(model / "zones-2024.csv")
    os.symlink("zones-2024.csv", model / "zones.csv")
    assert load_model(model).zones["zone_id"].tolist() == ["CORE", "DC"]


def test_a_link_loop_in_previous_is_located(tmp_path, capsys):
    model = copy_tiny(tmp_path)
    os.symlink("a", model / "b")
    os.symlink("b", model / "a")
    with open(model / "model.yaml", "a", encoding="utf-8") as fh:
        fh.write("previous: a\n")
    for argv in (["validate", str(model)], ["history", str(model)], ["diff", str(model), str(TINY)]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        line = (model / "model.yaml").read_text(encoding="utf-8").count("\n")  # previous: is the last line
        assert f"{model}/model.yaml:{line}: previous: 'a' is not a usable path" in err and "internal error" not in err


def test_a_scenario_that_is_a_fifo_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "s.yaml")
    with pytest.raises(ModelError) as exc:
        load_scenario(tmp_path / "s.yaml")
    assert "is not a file" in str(exc.value.problems[0])


# --- names -------------------------------------------------------------------------------------------


def test_a_model_folder_named_with_a_number_is_refused_and_masked(tmp_path, capsys):
    model = tmp_path / "１２３４ ５６７８ ９０１８"
    shutil.copytree(TINY, model)
    assert main(["validate", str(model)]) == 1
    err = capsys.readouterr().err
    assert "the model folder's name holds what looks like a real My Number (**** **** **18" in err
    assert not any(d in err for d in ("9018", "９０１８", "1234"))


def test_a_file_named_with_a_number_in_scenarios_is_refused(tmp_path):
    model = copy_tiny(tmp_path)
    (model / "scenarios").mkdir()
    (model / "scenarios" / "1234.5678.9018.yaml").write_text("id: x\n", encoding="utf-8")
    with pytest.raises(ModelError) as exc:
        load_model(model)
    assert [str(p).split(": its name")[0] for p in exc.value.problems] == [f"{model}/scenarios/****.****.****.yaml"]


# --- a number is never repeated in full by any command (second attack) -------------------------------

LEAK_CASES = [c for c in CASES if c.name.startswith("my_number_")]


@pytest.mark.parametrize("case", LEAK_CASES, ids=[c.name for c in LEAK_CASES])
def test_every_command_refuses_a_number_without_showing_it(case, tmp_path, capsys):
    from test_cli_robustness import model_commands

    for argv in model_commands(BROKEN / case.name, tmp_path):
        code = main(argv)
        captured = capsys.readouterr()
        shown = unicodedata.normalize("NFKC", captured.out + captured.err)
        assert code == 1, argv
        assert "**** **** **18" in shown, (argv, shown)
        digits = "".join(ch for ch in shown if ch.isdecimal())
        assert "5678" not in shown and "9018" not in shown and "123456789018" not in digits, (argv, shown)


@pytest.mark.parametrize("name", ["scenario_my_number_as_count", "scenario_my_number_underscores"])
def test_a_scenario_number_is_never_shown(name, tmp_path, capsys):
    for extra in ([], ["--format", "json"], ["--report", str(tmp_path / "pack")]):
        assert main(["scenario", str(TINY), str(BROKEN / "scenarios" / f"{name}.yaml"), *extra]) == 1
        shown = unicodedata.normalize("NFKC", capsys.readouterr().err)
        assert "**** **** **18" in shown and "5678" not in shown and "9018" not in shown, shown


# --- issue 11, second round ---------------------------------------------------------------------------
# One predicate (pia_analysis.model.cells.invisible_character) for every reader; YAML read as written;
# line numbers whatever the line ends; tables bounded in columns and cells.

from pia_analysis.formats import directory as directory_format  # noqa: E402
from pia_analysis.model.cells import invisible_character  # noqa: E402


@pytest.mark.parametrize("text,code", [
    ("SRV\u3164", "U+3164"), ("S\u034fRV", "U+034F"), ("C3\u00a0", "U+00A0"), ("C3\u2800", "U+2800"),
    ("name_en\ufe0f", "U+FE0F"), ("x\U000e0100", "U+E0100"), ("\u115fA", "U+115F"), ("A\u1160", "U+1160"),
    ("A\uffa0", "U+FFA0"), ("A\u180e", "U+180E"), ("A\u3000B", "U+3000"), ("A\u2028", "U+2028"),
    ("A\u2029", "U+2029"), ("A\u200b", "U+200B"), ("A\x01", "U+0001"), ("A\u20e3", "U+20E3"), ("Q\u0301", "U+0301"),
])
def test_invisible_characters_beyond_format_ones_are_found(text: str, code: str):
    found = invisible_character(text)
    assert found is not None and found.startswith(code + " "), found
    assert found.split(" ", 1)[1] == unicodedata.name(chr(int(code[2:], 16)), found.split(" ", 1)[1])


@pytest.mark.parametrize("text", ["REG", "REG 1", "基幹系", "café", "cafe\u0301", "か\u3099", "ｶﾞ", "ＣＥＲＴ＿ＦＩＬＥ", "①"])
def test_visible_text_is_not_invisible(text: str):
    assert invisible_character(text) is None


def test_yaml_true_and_false_stay_booleans(tmp_path):
    model = copy_tiny(tmp_path)
    text = (model / "model.yaml").read_text(encoding="utf-8")
    (model / "model.yaml").write_text(text.replace("serious_incident: false", "serious_incident: True"), encoding="utf-8")
    assert load_model(model).meta["serious_incident"] is True
    s = parse_scenario("id: b\nset:\n  flows:\n    F1: {interactive: false, encrypted: TRUE}\n", "s.yaml")
    assert s.set[0].values == {"interactive": False, "encrypted": True}


@pytest.mark.parametrize("word", ["yes", "No", "ON", "off", "y", "N"])
def test_yaml_1_1_booleans_are_refused_where_they_load_as_booleans(tmp_path, word: str):
    model = copy_tiny(tmp_path)
    text = (model / "model.yaml").read_text(encoding="utf-8")
    (model / "model.yaml").write_text(text.replace("serious_incident: false", f"serious_incident: {word}"), encoding="utf-8")
    with pytest.raises(ModelError) as exc:
        load_model(model)
    message = str(exc.value.problems[0])
    if word.lower() in ("y", "n"):  # PyYAML resolves only the long words: y and n stay text
        assert "serious_incident:" in message and "is not true or false" in message, message
    else:
        assert "model.yaml:9: serious_incident:" in message and "write true/false, or the text in quotes" in message


def test_quoted_yes_is_text(tmp_path):
    model = copy_tiny(tmp_path)
    text = (model / "model.yaml").read_text(encoding="utf-8")
    (model / "model.yaml").write_text(text.replace("id: tiny", 'id: "no"'), encoding="utf-8")
    assert load_model(model).meta["id"] == "no"


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_line_numbers_count_every_kind_of_line_end(tmp_path, end: str):
    model = copy_tiny(tmp_path)
    lines = (model / "systems.csv").read_text(encoding="utf-8").splitlines()
    data = end.join(lines[:2]).encode("utf-8") + end.encode() + lines[2].replace("端末", "基幹端末").encode("cp932")
    (model / "systems.csv").write_bytes(data + end.encode() + end.join(lines[3:]).encode("utf-8") + end.encode())
    with pytest.raises(ModelError) as exc:
        load_model(model)
    assert "systems.csv:3: is UTF-8 up to line 2, but line 3 is not" in str(exc.value.problems[0])


def _tiny_cells() -> int:
    import csv

    return sum(len(row) for path in TINY.glob("*.csv")
               for row in csv.reader(path.read_text(encoding="utf-8").splitlines()))


def test_the_cell_limit_at_its_edge(tmp_path, monkeypatch):
    model = copy_tiny(tmp_path)
    monkeypatch.setattr(directory_format, "MAX_CELLS", _tiny_cells())
    load_model(model)  # exactly at the limit: loads
    monkeypatch.setattr(directory_format, "MAX_CELLS", _tiny_cells() - 1)
    with pytest.raises(ModelError) as exc:
        load_model(model)
    messages = [str(p) for p in exc.value.problems]
    assert len(messages) == 1 and "this line is past the limit of" in messages[0], messages


def test_a_scenario_removing_an_id_with_a_no_break_space_is_refused():
    with pytest.raises(ModelError) as exc:
        parse_scenario('id: s\nremove: {controls: ["C3\\u00a0", C2]}\n', "s.yaml")
    assert "s.yaml:2: control_id: 'C3\\xa0' holds an invisible character (U+00A0 NO-BREAK SPACE)" in str(exc.value)


def test_my_number_scan_skips_only_empty_planes():
    # _patterns looks at planes 0–3 and 14 only: the rest of Unicode holds no invisible character and no dash
    # (unassigned planes 4–13, private use 15–16) under this Python's Unicode database.
    import sys
    import unicodedata

    from pia_analysis.model.mynumber import _ASSIGNABLE

    kept = set(_ASSIGNABLE)
    missed = [cp for cp in range(sys.maxunicode + 1) if cp not in kept
              and unicodedata.category(chr(cp)) in ("Cf", "Mn", "Me", "Pd")]
    assert missed == []
