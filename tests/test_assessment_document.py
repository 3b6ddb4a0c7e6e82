"""The 評価書 written (pia_analysis.outputs.assessment): the workbook, the PDF, completeness and the CLI.

The small hand-made model (tests/models/assessment-v2: the network stage declared out, a 委託事項 with a
subcontractor, a previous version) and the bundled Kitakyushu model; the workbooks are read back with openpyxl,
the PDFs with pypdf.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from pia_analysis import bundled_model_path, load_model, with_control_status
from pia_analysis.util.errors import InvalidArgumentError
from pia_analysis.catalog.layout import form_layout
from pia_analysis.cli import main
from pia_analysis.outputs.assessment import (
    SHEET_COLUMNS, _sheet_name, assessment_changes, assessment_pdf, assessment_reading, assessment_rows,
    assessment_workbook, write_assessment,
)
from pia_analysis.outputs.assessment_answers import PENDING_JA, assessment_answers, assessment_completeness
from pia_analysis.util.spreadsheet import starts_like_formula

MODELS = Path(__file__).resolve().parent / "models"
SMALL = MODELS / "assessment-v2"
ITEM_ID = SHEET_COLUMNS.index("項目ID") + 1
# the rows of the small model's network stage, declared out (接続しない（入手）and（提供）): not printed
DECLARED_OUT = re.compile(r"^(full|focused)\.III\.(network-\d+(\..*)?|6\.other)$|^basic\.IV\.network-\d+$")


@pytest.fixture(scope="module")
def small_answers():
    model = load_model(SMALL)
    return pd.concat([assessment_answers(model, form=f) for f in ("full", "focused", "basic")], ignore_index=True)


@pytest.fixture(scope="module")
def kitakyushu_answers():
    return assessment_answers(load_model(bundled_model_path()))


def _workbook(answers: pd.DataFrame, form: str):
    return load_workbook(io.BytesIO(assessment_workbook(answers, form)))


def _rows(wb) -> list[tuple[str, dict[str, object]]]:
    """Every row of every sheet below the header: (sheet, {column name: value})."""
    out = []
    for ws in wb.worksheets:
        for values in ws.iter_rows(min_row=3, values_only=True):
            out.append((ws.title, dict(zip(SHEET_COLUMNS, values))))
    return out


def _key(row) -> str:
    return f"{row.item_id}" + (f" [{row.unit}]" if row.unit else "")


CASES = [("small", "full"), ("small", "focused"), ("small", "basic"), ("kitakyushu", "basic"), ("kitakyushu", "full")]


def _answers(request, which: str) -> pd.DataFrame:
    return request.getfixturevalue(f"{which}_answers")


@pytest.mark.parametrize("which,form", CASES)
def test_every_item_appears_in_the_forms_order_with_its_number(request, which, form):
    answers = _answers(request, which)
    wb = _workbook(answers, form)
    printed = [(sheet, row) for sheet, row in _rows(wb) if row["項目ID"]]
    of_form = answers.loc[(answers["form"] == form) & answers["show"]]
    # the small model declares the network stage out; Kitakyushu declares nothing out
    expected = [r for r in of_form.itertuples() if which != "small" or not DECLARED_OUT.match(r.item_id)]
    assert [row["項目ID"] for _s, row in printed] == [_key(r) for r in expected]
    for (_sheet, row), r in zip(printed, expected):
        if r.depth == 0 and r.kind not in ("heading", "repeat"):
            # a section that is one item (基礎 Ⅲ しきい値判断結果): the title row says it, the answer row not again
            assert (row["項目番号"], row["項目"]) == (None, None), (r.item_id, r.unit)
            continue
        assert (row["項目番号"] or "") == r.number, (r.item_id, r.unit)
        assert (row["項目"] or "") == r.label_ja, (r.item_id, r.unit)
    # every item of the packaged layout is printed (the small model has a unit for every block)
    if which == "small":
        ids = {str(row["項目ID"]).split(" [")[0] for _s, row in printed}
        layout = form_layout(form)
        wanted = set(layout.loc[~layout["optional"].astype(bool), "item_id"])
        assert {i for i in wanted - ids if not DECLARED_OUT.match(i)} == set()


def test_sheets_follow_the_forms_sections_with_one_per_file(small_answers, kitakyushu_answers):
    wb = _workbook(small_answers, "full")
    assert wb.sheetnames == ["表紙", "Ⅰ", "別添1", "Ⅱ 住民記録ファイル", "Ⅱ 税務ファイル", "別添2", "Ⅲ", "Ⅳ", "Ⅴ",
                             "Ⅵ", "別添3"]
    assert _workbook(small_answers, "focused").sheetnames == ["表紙", "Ⅰ", "Ⅱ 住民記録ファイル", "Ⅱ 税務ファイル", "Ⅲ",
                                                              "Ⅳ", "Ⅴ", "変更箇所"]
    names = _workbook(kitakyushu_answers, "full").sheetnames
    assert names[3:6] == ["Ⅱ 住民基本台帳ファイル", "Ⅱ 本人確認情報ファイル", "Ⅱ 送付先情報ファイル"]
    assert _workbook(kitakyushu_answers, "basic").sheetnames == ["表紙", "Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "変更箇所"]


def test_sheet_names_are_valid_and_unique():
    used: set[str] = set()
    long = "Ⅱ " + "特定個人情報ファイル" * 5
    a, b = _sheet_name(long, used), _sheet_name(long, used)
    assert len(a) == 31 and len(b) <= 31 and a != b
    assert _sheet_name("Ⅱ a/b[1]:*?", used) == "Ⅱ a＿b＿1＿＿＿＿"


@pytest.mark.parametrize("which,form", CASES)
def test_each_choice_item_has_one_answer_of_its_choices_or_is_to_be_filled(request, which, form):
    answers = _answers(request, which)
    by_key = {_key(r): r for r in answers.loc[answers["form"] == form].itertuples()}
    checked = 0
    for _sheet, row in _rows(_workbook(answers, form)):
        r = by_key.get(str(row["項目ID"]))
        if r is None or r.kind not in ("choice", "band", "rated", "multi_choice"):
            continue
        listed = re.findall(r"^\d+\) (.*)$", str(row["選択肢"]), flags=re.M)
        assert str(row["選択肢"]).startswith("＜選択肢＞") and listed == list(r.choices), r.item_id
        answer = str(row["記載内容"] or "")
        if answer == PENDING_JA:
            assert r.status == "missing"
            continue
        chosen = re.findall(r"［ (.*) ］", answer)
        assert len(chosen) == 1 and chosen[0] == r.answer, (r.item_id, answer)
        assert list(r.chosen) and all(c in listed for c in r.chosen), (r.item_id, answer, listed)
        if r.kind != "multi_choice":
            assert len(r.chosen) == 1 and re.sub(r"（.*）$", "", chosen[0]) == r.chosen[0], (r.item_id, answer)
        checked += 1
    assert checked >= 10


def test_the_outsourcing_block_has_one_rating(small_answers, kitakyushu_answers):
    rows = [row for _s, row in _rows(_workbook(small_answers, "full"))]
    ids = [str(row["項目ID"] or "") for row in rows]
    block = rows[ids.index("full.III.4"):ids.index("full.III.5")]
    assert [row["記載内容"] for row in block if row["項目"] == "リスクへの対策は十分か"] == ["［ 課題が残されている ］"]
    basic = [row for _s, row in _rows(_workbook(kitakyushu_answers, "basic"))]
    assert [row["記載内容"] for row in basic if str(row["項目ID"]).startswith("basic.IV.outsource")] == ["［ 十分である ］"]


def test_a_declared_out_stage_is_ticked_and_has_no_risk_rows(small_answers, tmp_path):
    rows = [row for sheet, row in _rows(_workbook(small_answers, "full")) if sheet == "Ⅲ"]
    ids = [str(row["項目ID"] or "") for row in rows]
    for key in ("full.III.6.declared.network_acquire", "full.III.6.declared.network_provide"):
        assert rows[ids.index(key)]["記載内容"] == "☑"
    assert not [i for i in ids if i.startswith("full.III.network-")]
    stage = rows[ids.index("full.III.6"):ids.index("full.III.7")]
    assert [row["項目"] for row in stage if not row["項目ID"]] == [
        "「接続しない（入手）」・「接続しない（提供）」を選択：この段階のリスク及びその対策は記載しない"]
    # the stages not declared out keep their risks and ratings
    assert "full.III.provide-1.rating" in ids and rows[ids.index("full.III.5.declared.provide")]["記載内容"] == "☐"
    pdf = tmp_path / "full.pdf"
    assessment_pdf(small_answers, "full", pdf)
    text = "".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "この段階のリスク及びその対策は記載しない" in text and "☑" in text  # DejaVu Sans draws the box IPAexGothic lacks


def test_pending_cells_are_marked_by_text_and_fill(small_answers):
    wb = _workbook(small_answers, "full")
    cells = [c for ws in wb.worksheets for c in ws["C"] if c.value == PENDING_JA]
    assert len(cells) > 20
    assert {c.fill.fgColor.rgb for c in cells} == {"00FCE4D6"}


def test_each_cell_has_its_own_rows_fill_and_a_filled_answer_none(small_answers):
    """A filled answer has no fill, a pending one the orange, a heading row its colour (styles are not carried over)."""
    wb = _workbook(small_answers, "full")
    status, item = SHEET_COLUMNS.index("状態") + 1, SHEET_COLUMNS.index("項目") + 1
    filled, pending, labels = [], [], []
    for ws in wb.worksheets:
        for r in range(3, ws.max_row + 1):
            answer = ws.cell(r, 3)
            if answer.value == PENDING_JA:
                pending.append(answer)
            elif (answer.value and ws.cell(r, item).value and ws.cell(r, status).value in ("モデル", "導出", "文書")
                  and not re.match(r"[ⅠⅡⅢⅣⅤⅥ]|（別添", str(ws.cell(r, 1).value or ""))):  # not a section row
                filled.append(answer)
                labels.append(ws.cell(r, item))
    assert len(filled) > 50 and len(pending) > 20
    assert {c.fill.fill_type for c in filled} == {None}
    assert {c.font.color.rgb if c.font.color else None for c in filled} != {"00C00000"}
    assert {c.fill.fill_type for c in labels} == {None}
    assert {c.fill.fgColor.rgb for c in pending} == {"00FCE4D6"}
    first = wb.worksheets[1]  # Ⅰ: its section heading row is blue
    assert first.cell(3, 1).fill.fgColor.rgb == "00D9E1F2" and first.cell(3, 3).fill.fgColor.rgb == "00D9E1F2"


def test_print_setup_is_a4_portrait_fit_to_width_with_repeated_headers(small_answers):
    for ws in _workbook(small_answers, "full").worksheets:
        assert ws.print_area == f"'{ws.title}'!$A$1:$D${ws.max_row}"
        assert ws.print_title_rows in ("1:2", "$1:$2")
        assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "portrait"
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
        assert ws.page_setup.fitToHeight == 0
        assert ws.oddFooter.center.text == "&P / &N"
        assert ws.page_margins.left == 0.5 and ws.page_margins.top == 0.75
        cells = [ws.cell(r, 3) for r in range(3, ws.max_row + 1)]  # a note's merged cell has no style of its own
        assert all(c.alignment.wrap_text for c in cells if type(c).__name__ != "MergedCell")


def _copy_models(tmp_path: Path) -> Path:
    for name in ("assessment-v1", "assessment-v2"):
        shutil.copytree(MODELS / name, tmp_path / name)
    return tmp_path / "assessment-v2"


def test_formula_neutralisation_in_every_cell(tmp_path):
    model_dir = _copy_models(tmp_path)
    systems = (model_dir / "systems.csv").read_text(encoding="utf-8")
    assert "住民記録システム" in systems
    (model_dir / "systems.csv").write_text(systems.replace("住民記録システム", "=A1*2＋住民記録システム", 1),
                                           encoding="utf-8")
    answers = assessment_answers(load_model(model_dir), form="full")
    wb = _workbook(answers, "full")
    values = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "'=A1*2＋住民記録システム" in values
    assert [v for v in values if starts_like_formula(v)] == []
    assert all(c.data_type != "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)


@pytest.mark.parametrize("which,form", CASES)
def test_the_pdf_has_every_section_heading_and_page_numbers(request, tmp_path, which, form):
    answers = _answers(request, which)
    path = tmp_path / "doc.pdf"
    pages = assessment_pdf(answers, form, path)
    reader = PdfReader(path)
    assert len(reader.pages) == pages > len(assessment_rows(answers, form)) - 1
    texts = [p.extract_text() for p in reader.pages]
    flat = re.sub(r"\s", "", "".join(texts))
    layout = form_layout(form)
    for r in layout.loc[layout["parent"] == ""].itertuples():
        assert re.sub(r"\s", "", f"{r.label_ja}") in flat, r.item_id
    for title in (t for _s, t, _r in assessment_rows(answers, form)):
        assert re.sub(r"\s", "", title) in flat
    assert all(f"{i} / {pages}" in t for i, t in enumerate(texts, 1))
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595.28) < 1 and abs(float(box.height) - 841.89) < 1


def test_a_row_longer_than_a_page_continues_on_the_next(tmp_path):
    model_dir = _copy_models(tmp_path)
    files = (model_dir / "files.csv").read_text(encoding="utf-8")
    many = ";".join(f"項目{i:03d}" for i in range(150))  # 別添2 lists each item on its own line
    files = files.replace("個人番号;4情報（氏名・性別・生年月日・住所）;住民票コード",
                          "個人番号;4情報（氏名・性別・生年月日・住所）;住民票コード;" + many, 1)
    (model_dir / "files.csv").write_text(files, encoding="utf-8")
    answers = assessment_answers(load_model(model_dir), form="full")
    path = tmp_path / "doc.pdf"
    assessment_pdf(answers, "full", path)
    texts = [p.extract_text() for p in PdfReader(path).pages]
    with_items = [i for i, t in enumerate(texts) if "項目" in t and re.search(r"\d+\. 項目\d{3}", t)]
    assert len(with_items) >= 2 and "（続き）" in texts[with_items[1]]
    assert "153. 項目149" in "".join(texts)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_reruns_are_byte_identical_and_the_pack_is_complete(tmp_path):
    model = load_model(SMALL)
    first = write_assessment(model, tmp_path / "a", form="full")
    second = write_assessment(model, tmp_path / "b", form="full")
    assert first == second
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert sorted(_digest(tmp_path / "a")) == ["completeness.csv", "manifest.json", "missing_items.csv",
                                               "summary.txt", "評価書_full.pdf", "評価書_full.xlsx"]
    completeness = pd.read_csv(tmp_path / "a" / "completeness.csv", encoding="utf-8-sig")
    missing = pd.read_csv(tmp_path / "a" / "missing_items.csv", encoding="utf-8-sig")
    total = completeness.loc[completeness["section"] == "計"].iloc[0]
    assert len(missing) == total["missing"] > 0
    assert set(missing["filled_from"]) >= {"model.yaml document: declaration", "outsourcing.csv contractor_name"}
    assert (tmp_path / "a" / "summary.txt").read_text(encoding="utf-8").strip() == first["full"]
    assert first["full"].startswith(f"評価書_full（全項目評価書）: {total['items']} items, ")


def test_kitakyushu_documents_are_written_within_the_budget(tmp_path):
    import time

    model = load_model(bundled_model_path())
    start = time.perf_counter()
    summary = write_assessment(model, tmp_path / "k")
    elapsed = time.perf_counter() - start
    assert list(summary) == ["basic", "full"]
    assert elapsed < 15, elapsed  # the budget is 5 s (benchmarks/bench_assessment.py); slack for a loaded CI
    write_assessment(model, tmp_path / "again")
    assert _digest(tmp_path / "k") == _digest(tmp_path / "again")
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for line in summary.values():  # the figures the README quotes are today's
        assert line.split("; ")[0].rsplit(",", 1)[0] in readme, line


def test_cli_writes_a_pack_prints_the_summary_and_refuses_a_foreign_folder(tmp_path, capsys):
    out = tmp_path / "doc"
    assert main(["assessment", str(SMALL), "--out", str(out), "--form", "basic"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("評価書_basic（基礎項目評価書）: ") and f"written to {out}" in printed
    assert (out / "manifest.json").is_file() and (out / "評価書_basic.xlsx").is_file()
    assert main(["assessment", str(SMALL), "--out", str(out), "--form", "basic"]) == 0  # its own pack: replaced
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("the user's")
    assert main(["assessment", str(SMALL), "--out", str(mine)]) == 2
    assert "notes.txt" in capsys.readouterr().err
    assert (mine / "notes.txt").read_text() == "the user's"
    with pytest.raises(SystemExit) as exit_:
        main(["assessment", str(SMALL), "--out", str(tmp_path / "x"), "--form", "long"])
    assert exit_.value.code == 2 and not (tmp_path / "x").exists()


def test_a_model_the_threshold_exempts_gets_no_document_and_says_so(tmp_path, capsys):
    model_dir = tmp_path / "small-population"
    shutil.copytree(MODELS / "tiny", model_dir)
    meta = (model_dir / "model.yaml").read_text(encoding="utf-8")
    meta = re.sub(r"(?m)^target_population: .*$", "target_population: 500", meta)
    (model_dir / "model.yaml").write_text(re.sub(r"(?m)^handlers: .*$", "handlers: 10", meta), encoding="utf-8")
    out = tmp_path / "doc"
    assert main(["assessment", str(model_dir), "--out", str(out)]) == 0
    assert "the threshold requires no 評価書" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["completeness.csv", "manifest.json", "missing_items.csv",
                                                    "summary.txt"]
    assert main(["assessment", str(model_dir), "--out", str(out), "--form", "basic"]) == 0  # asked for: written
    assert (out / "評価書_basic.pdf").is_file()


def test_the_reading_says_what_the_completeness_table_holds(small_answers):
    c = assessment_completeness(small_answers)
    ja, en = assessment_reading(c, "ja"), assessment_reading(c, "en")
    assert len(ja.split("\n\n")) == len(en.split("\n\n")) == 3  # one paragraph per form
    for form, paragraph in zip(("full", "focused", "basic"), en.split("\n\n"), strict=True):
        t = c.loc[(c["form"] == form) & (c["section"] == "計")].iloc[0]
        filled = t["model"] + t["derived"] + t["document"] + t["override"]
        assert f"fills {filled:,} of the {t['items'] - t['empty_declared']:,} items" in paragraph
        assert f"{t['missing']:,} are left {PENDING_JA}" in paragraph
        sections = c.loc[(c["form"] == form) & (c["section"] != "計")]
        worst = sections.loc[sections["missing"].idxmax()]
        assert f"most of them in {worst['section']} ({worst['missing']:,})" in paragraph
    assert ja.startswith("全項目評価書: 記入する") and "【要記入】は" in ja
    with pytest.raises(InvalidArgumentError, match="lang must be"):
        assessment_reading(c, "fr")
    with pytest.raises(InvalidArgumentError, match="lacks column"):
        assessment_reading(c.drop(columns="missing"))


def test_the_change_table_has_one_row_per_change_in_the_forms_columns():
    base = load_model(bundled_model_path())
    changed = with_control_status(with_control_status(base, "C-STORE-FW", "missing"), "C-CARD-PIN", "planned")
    rows = assessment_changes(assessment_answers(changed, form="full", previous=base))
    assert list(rows.columns) == ["変更日", "項目", "変更前の記載", "変更後の記載", "提出時期", "提出時期に係る説明"]
    # the form's words: the measure by its name, its status in words (the ids stay in the diff's model_ref)
    name = base.element_name("C-STORE-FW")
    assert len(rows) == 2 and rows["項目"].str.endswith(f"（{name}）").sum() == 1
    assert not rows["項目"].str.contains("C-STORE-FW").any()
    assert set(rows["変更前の記載"]) == {"状況：実施済み"}
    same = assessment_changes(assessment_answers(base, form="full", previous=base))
    assert same.empty and list(same.columns) == list(rows.columns)


def test_notebook_08_runs_on_another_model_and_says_nothing_of_kitakyushu(tmp_path):
    # the notebook is the library's readings and tables: on the small model it must hold no fact of Kitakyushu
    papermill = pytest.importorskip("papermill")
    notebook = Path(__file__).resolve().parent.parent / "notebooks" / "08_assessment_document.ipynb"
    out = tmp_path / "08.ipynb"
    papermill.execute_notebook(str(notebook), str(out), kernel_name="python3", progress_bar=False,
                               parameters={"MODEL_PATH": str(SMALL), "LANG": "en", "OUT_DIR": str(tmp_path / "pack"),
                                           "CONTROL_ID": "C2"})
    cells = json.loads(out.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                     for c in cells if c["cell_type"] == "code" for o in c["outputs"])
    # the changed measure by its name (別添3 speaks the form: no id)
    assert "基礎項目評価書: the model fills" in text and load_model(SMALL).element_name("C2") in text
    for fact in ("北九州", "C-STORE-FW", "住民基本台帳", "2021-", "評価書_full"):
        assert fact not in text, fact
    assert sorted(p.name for p in (tmp_path / "pack").iterdir())[-2:] == ["評価書_basic.pdf", "評価書_basic.xlsx"]


def test_the_filed_change_rows_give_the_whole_text_and_block_titles_are_not_broken(kitakyushu_answers, tmp_path):
    # 別添3 is filed: before and after are never cut for a screen (the English title is 70 characters)
    rows = assessment_changes(kitakyushu_answers)
    title = load_model(bundled_model_path()).meta["title_en"]
    assert len(title) > 60 and title in set(rows["変更後の記載"])
    assert not rows[["変更前の記載", "変更後の記載"]].apply(lambda c: c.str.endswith("…")).any().any()
    # a block title without a label (システム10, 提供先・移転先1) is one line across the number and label columns
    pdf = tmp_path / "full.pdf"
    assessment_pdf(kitakyushu_answers, "full", pdf)
    lines = "\n".join(p.extract_text() for p in PdfReader(pdf).pages).splitlines()
    assert "システム10" in lines and "提供先・移転先1" in lines


def _sheet_text(model, tmp_path, name) -> str:
    """The text of the written 評価書_full.xlsx's 別添3 sheet."""
    write_assessment(model, tmp_path / name, form="full")
    book = load_workbook(tmp_path / name / "評価書_full.xlsx", read_only=True)
    sheet = book["別添3"]
    return "\n".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)


@pytest.mark.parametrize("case", ["assessment-v2", "kitakyushu-juki-r3"])
def test_the_change_sheet_of_the_document_has_no_id_column_name_or_key_value(case, tmp_path):
    # 別添3 is published text: the form's items and words, elements by name; the ids live in diff's model_ref
    model = load_model(MODELS / case if case.startswith("assessment") else bundled_model_path(case))
    previous = load_model((model.path / model.meta["previous"]).resolve())
    rows = assessment_changes(assessment_answers(model, form="full", previous=previous))
    assert len(rows)
    text = "\n".join(rows.astype(str).agg("\n".join, axis=1)) + "\n" + _sheet_text(model, tmp_path, case)
    for m in (model, previous):  # an id inside a name (市町村CS) is the name
        for t in ("systems", "zones", "files", "controls"):
            for name in sorted(getattr(m, t)["name_ja"], key=len, reverse=True):
                text = text.replace(str(name), "")
    ids = {str(i) for m in (model, previous) for t in ("systems", "zones", "files", "flows", "controls")
           for i in getattr(m, t).iloc[:, 0]}
    found = [i for i in ids if re.search(rf"(?<![A-Za-z0-9_\-]){re.escape(i)}(?![A-Za-z0-9_\-])", text)]
    assert found == [], found
    for word in ("records", "status", "applies_to", "mitigates", "effectiveness", "encrypted", "target_population",
                 "model_ref", "first-given", "other-change", "new-mn-flow"):
        assert word not in text, word
    assert not re.search(r"[a-z_]+: ", text)
    assert "記載なし" in text or "人" in text


def test_a_workbook_model_finds_its_previous_version_as_the_loader_does(tmp_path, capsys):
    """The workbook's ``previous`` is relative to the folder holding it: the 別添3 rows are those of the folder model."""
    from pia_analysis import save_model

    book = tmp_path / "assessment-v2.xlsx"
    save_model(load_model(SMALL), book)
    from_book = assessment_answers(load_model(book), form="basic")
    from_dir = assessment_answers(load_model(SMALL), form="basic")
    rows = from_book["item_id"] == "basic.changes.item"
    assert rows.sum() == (from_dir["item_id"] == "basic.changes.item").sum() > 0
    assert main(["assessment", str(book), "--out", str(tmp_path / "doc"), "--form", "basic"]) == 0
    assert (tmp_path / "doc" / "評価書_basic.xlsx").is_file()


def test_a_section_that_is_one_item_says_its_title_once(small_answers):
    """基礎 Ⅲ: 「Ⅲ しきい値判断結果」 once, as the title row, then the answer (not the title twice)."""
    ws = _workbook(small_answers, "basic")["Ⅲ"]
    rows = [tuple(ws.cell(r, c).value for c in (1, 2)) for r in range(3, ws.max_row + 1)]
    assert rows.count(("Ⅲ", "しきい値判断結果")) == 1
    assert ws.cell(4, 3).value.startswith("［ ")
