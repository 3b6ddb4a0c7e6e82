"""別添1 (事務の内容) written from the model: the numbered steps and the diagram drawn without the attack analysis."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader

from pia_analysis import bundled_model_path, load_model
from pia_analysis.charts.dataflow import dataflow_diagram
from pia_analysis.cli import main
from pia_analysis.outputs.assessment import affair_diagram_png, assessment_pdf, assessment_workbook
from pia_analysis.outputs.assessment_answers import affair_steps, assessment_answers, step_label
from pia_analysis.model.errors import ModelError

SMALL = Path(__file__).parent / "models" / "assessment-v1"


@pytest.fixture(scope="module")
def small():
    return load_model(SMALL)


def test_steps_follow_the_stages_in_flow_order_with_names_files_and_channels(small):
    steps = affair_steps(small)
    assert list(steps["step"]) == list(range(1, len(small.flows) + 1))
    assert sorted(steps["flow_id"]) == sorted(small.flows["flow_id"])  # one step per flow
    stages = ["acquire", "use", "outsource", "provide", "network", "retain"]
    ranks = [stages.index(s) for s in steps["stage"]]
    assert ranks == sorted(ranks)
    first = steps.iloc[0]
    assert first["flow_id"] == "F1" and first["label"] == "①"
    # F1: RESIDENT ⇄ REG (interactive), the file's name and the channel; no ids
    names = dict(zip(small.systems["system_id"], small.systems["name_ja"]))
    file_name = small.files.set_index("file_id").at["REG_FILE", "name_ja"]
    assert first["text"] == f"（入手）{names['RESIDENT']} ⇄ {names['REG']}：{file_name}（窓口（届出書））"
    f2 = steps.set_index("flow_id").loc["F2"]
    assert " → " in f2["text"] and "⇄" not in f2["text"]  # one-way
    for text in steps["text"]:
        assert not any(sid in text for sid in small.systems["system_id"] if sid.isascii() and len(sid) > 2)


def test_step_labels_are_circled_to_twenty_then_bracketed():
    assert [step_label(k) for k in (1, 2, 10, 20, 21, 100)] == ["①", "②", "⑩", "⑳", "(21)", "(100)"]
    with pytest.raises(ValueError):
        step_label(0)


def test_the_form_items_are_derived_unless_the_document_gives_them(small, tmp_path):
    answers = assessment_answers(small, form="full").set_index("item_id")
    assert answers.at["full.A1.steps", "status"] == "derived"
    assert answers.at["full.A1.steps", "answer"].startswith("① （入手）")
    assert answers.at["full.A1.diagram", "status"] == "derived"
    model_dir = tmp_path / "m"
    shutil.copytree(SMALL, model_dir)
    meta = yaml.safe_load((model_dir / "model.yaml").read_text(encoding="utf-8"))
    meta.setdefault("document", {})["affair_steps"] = "1 届出を受け付ける。2 記録する。"
    (model_dir / "model.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    given = assessment_answers(load_model(model_dir), form="full").set_index("item_id")
    assert given.at["full.A1.steps", "status"] == "document"
    assert given.at["full.A1.steps", "answer"] == "1 届出を受け付ける。2 記録する。"


def test_the_documents_diagram_shows_no_exposure_entry_points_or_colour_bar():
    model = load_model(bundled_model_path())
    steps = affair_steps(model)
    fig = dataflow_diagram(model, None, "ja", step_labels=dict(zip(steps["flow_id"], steps["label"])))
    gids = {a.get_gid() for ax in fig.axes for a in ax.get_children() if a.get_gid()}
    assert not any(g.startswith(("exposure-", "entry-")) for g in gids)
    assert "colorbar" not in {ax.get_label() for ax in fig.axes}
    labels = {t.get_text() for ax in fig.axes for t in ax.texts if (t.get_gid() or "").startswith("flowlabel-")}
    assert labels == set(steps["label"]) and "F01" not in labels  # the steps' numbers, no flow id
    council = dataflow_diagram(model, __import__("pia_analysis").node_exposure(model), "ja")
    assert "colorbar" in {ax.get_label() for ax in council.axes}  # the council's diagram keeps them


def test_the_drawn_diagram_is_the_same_bytes_each_time_and_is_placed_in_both_documents(small, tmp_path):
    png = affair_diagram_png(small)
    assert png == affair_diagram_png(small) and png[:8] == b"\x89PNG\r\n\x1a\n"
    answers = assessment_answers(small, form="full")
    wb = load_workbook(io.BytesIO(assessment_workbook(answers, "full", diagram=png)))
    sheets = [ws for ws in wb.worksheets if ws._images]
    assert [ws.title for ws in sheets] == ["別添1"]
    assert load_workbook(io.BytesIO(assessment_workbook(answers, "full"))).worksheets[0]._images == []
    pdf = tmp_path / "full.pdf"
    assessment_pdf(answers, "full", pdf, diagram=png)
    with_image = [i for i, page in enumerate(PdfReader(pdf).pages) if page.images]
    assert len(with_image) == 1 and "事務の流れ" in PdfReader(pdf).pages[with_image[0]].extract_text()


def test_the_analysts_own_picture_is_used_and_a_missing_one_is_an_error(tmp_path, capsys):
    model_dir = tmp_path / "m"
    shutil.copytree(SMALL, model_dir)
    Image.new("RGB", (40, 20), (200, 10, 10)).save(model_dir / "zu.png")
    meta = yaml.safe_load((model_dir / "model.yaml").read_text(encoding="utf-8"))
    meta.setdefault("document", {})["affair_diagram"] = "zu.png"
    (model_dir / "model.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    png = affair_diagram_png(load_model(model_dir))
    with Image.open(io.BytesIO(png)) as picture:
        assert picture.size == (40, 20) and picture.getpixel((0, 0)) == (200, 10, 10)
    answers = assessment_answers(load_model(model_dir), form="full").set_index("item_id")
    assert answers.at["full.A1.diagram", "status"] == "document"
    (model_dir / "zu.png").write_text("not a picture", encoding="utf-8")
    with pytest.raises(ModelError, match="affair_diagram"):
        affair_diagram_png(load_model(model_dir))
    out = tmp_path / "out"
    assert main(["assessment", str(model_dir), "--out", str(out), "--form", "full"]) == 1
    err = capsys.readouterr().err
    assert "model.yaml:" in err and "document.affair_diagram" in err and "not a picture" in err
    assert "Traceback" not in err and "internal error" not in err
    assert not out.exists()  # nothing half-written
