"""The notebooks on a second model: papermill runs each through its `parameters` cell, and nothing printed
names a system, number or fact of the bundled Kitakyushu model that the second model does not have itself."""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest

from pia_analysis import bundled_model_path, load_model

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "models" / "tiny"
#: A 町 of 8,000 doing only the basic assessment (no outsourcing, a stage nobody uses, unrated items).
TOWN = ROOT / "tests" / "models" / "town"
SECOND_MODELS = {"tiny": TINY, "town": TOWN}
#: Every notebook: each reading comes from the library (issue 14).
PARAMETRISED = ["01_model_overview", "02_node_exposure", "03_stage_coverage", "04_council_briefing",
                "05_scenarios", "06_assessment_history", "07_explorer", "08_assessment_document"]
#: Parameters that only make a run quicker (fewer Monte Carlo trials); the readings do not depend on them.
QUICK = {"04_council_briefing": {"TRIALS": 2_000}}
#: Facts of the bundled model that are not ids or names: its population, its city, its committee.
KITAKYUSHU_FACTS = ["932,000", "932000", "北九州", "Kitakyushu", "2,796,000", "審査会", "令和3年"]


def _kitakyushu_words(second) -> set[str]:
    """Ids and names of the bundled model's systems, zones, files and flows that the second model lacks."""
    bundled = load_model(bundled_model_path())
    words: set[str] = set()
    own: set[str] = set()
    for model, into in ((bundled, words), (second, own)):
        for table, key in ((model.systems, "system_id"), (model.zones, "zone_id"), (model.files, "file_id")):
            into.update(table[key])
            into.update(table["name_ja"])
            into.update(table["name_en"])
        into.update(model.flows["flow_id"])
        into.update(model.controls["control_id"])
    # The form's own words (a stage called 情報提供ネットワークシステムとの接続, say) are not facts of Kitakyushu.
    form = "\n".join((ROOT / "pia_analysis" / "catalog" / name).read_text(encoding="utf-8")
                      for name in ("stages.csv", "section3_risks.csv", "rated_items.csv", "procedure_rules.csv"))
    # A bundled name that is a name of the second model with an id in brackets (the town's CS is also a
    # "Municipal communication server", shown as "… (CS)") is the second model's own word.
    bare = re.compile(r"\s*[（(][^（()）]*[)）]$")
    return {w for w in words - own if w and w not in form and bare.sub("", w) not in own}


def _printed(nb) -> str:
    parts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            assert out.get("output_type") != "error", f"{out.get('ename')}: {out.get('evalue')}"
            parts.append(out.get("text", ""))
            data = out.get("data", {})
            parts.append(data.get("text/plain", ""))
            parts.append(data.get("text/html", ""))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def kernel_env():
    # The kernel papermill starts must import this checkout's package (a worktree, a CI clone).
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(ROOT) + (os.pathsep + old if old else "")
    yield
    if old is None:
        del os.environ["PYTHONPATH"]
    else:
        os.environ["PYTHONPATH"] = old


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("second_name", sorted(SECOND_MODELS))
@pytest.mark.parametrize("name", PARAMETRISED)
def test_notebook_on_a_second_model_names_nothing_of_kitakyushu(name, second_name, lang, tmp_path, kernel_env):
    import papermill as pm

    path = SECOND_MODELS[second_name]
    out = tmp_path / f"{name}_{second_name}_{lang}.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks" / f"{name}.ipynb"), str(out), kernel_name="python3",
                        parameters={"MODEL_PATH": str(path), "LANG": lang, **QUICK.get(name, {})},
                        cwd=str(ROOT / "notebooks"), progress_bar=False)
    text = _printed(nbformat.read(out, as_version=4))
    second = load_model(path)
    # ran on the second model: one of its systems is named, by id (analysts' tables) or by name (council tables)
    names = [*second.systems["system_id"], *second.systems["name_ja"], *second.systems["name_en"]]
    assert any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text) for n in names if n), "no system of the model"
    if lang == "ja" and second.meta["organisation"].endswith("町"):
        # A town is a 町 in every sentence (the findings' titles included): 市 only inside the form's own word
        # 市町村.
        own = text.replace("市町村", "")
        assert "市" not in own, [line for line in own.splitlines() if "市" in line][:5]
    named = sorted(w for w in _kitakyushu_words(second)
                   if re.search(r"(?<![A-Za-z0-9_\-])" + re.escape(w) + r"(?![A-Za-z0-9_\-])", text))
    assert named == [], f"{name} on the tiny model names the bundled model's {named}"
    facts = [f for f in KITAKYUSHU_FACTS if f in text]
    assert facts == [], f"{name} on the tiny model states the bundled model's {facts}"
    for word in ("nan", "NaN", "None", "True", "False"):  # a check's result reads はい/yes, never True
        assert not re.search(rf"(?<![A-Za-z]){word}(?![A-Za-z])", text), f"{name} prints {word}"


@pytest.mark.parametrize("name", PARAMETRISED)
def test_notebook_is_japanese_first_with_a_parameters_cell(name):
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and "MODEL_PATH" in tagged[0].source and 'LANG = "ja"' in tagged[0].source
    headings = [line for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines()
                if line.startswith("#")]
    assert headings and all(re.search(r"[ぁ-んァ-ン一-龥]", h) for h in headings), headings
    assert not any("**Reading.**" in c.source for c in nb.cells if c.cell_type == "markdown")


def test_committed_kernelspec_is_the_one_make_installs():
    # `make install` runs `ipykernel install --name python3`, whose display name is "Python 3 (ipykernel)";
    # a notebook that says otherwise is marked modified as soon as JupyterLab opens it.
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "ipykernel install --sys-prefix --name python3" in makefile
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        spec = nbformat.read(path, as_version=4).metadata["kernelspec"]
        assert spec == {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}, path.name


# --- notebook 09: a city workspace, not a model ------------------------------------------------------------------

#: The notebooks on a city workspace (``WORKSPACE_PATH``), run on the hand-made workspace of the tests.
CITY_NOTEBOOKS = ["09_city_portfolio"]
SECOND_WORKSPACE = ROOT / "tests" / "workspaces" / "good"


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("name", CITY_NOTEBOOKS)
def test_city_notebook_on_a_second_workspace_names_nothing_of_the_example_city(name, lang, tmp_path, kernel_env):
    import papermill as pm

    from pia_analysis import bundled_workspace_path, load_workspace

    out = tmp_path / f"{name}_{lang}.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks" / f"{name}.ipynb"), str(out), kernel_name="python3",
                        parameters={"WORKSPACE_PATH": str(SECOND_WORKSPACE), "LANG": lang, "TRIALS": 200,
                                    "TODAY": "2025-01-01", "OUT_DIR": str(tmp_path / "pack")},
                        cwd=str(ROOT / "notebooks"), progress_bar=False)
    text = _printed(nbformat.read(out, as_version=4))
    second, example = load_workspace(SECOND_WORKSPACE), load_workspace(bundled_workspace_path())
    assert second.organisation in text and "住民基本台帳に関する事務" in text
    own = {n for m in second.models.values() for n in (*m.systems["system_id"], *m.systems["name_ja"],
                                                        *m.systems["name_en"])}
    theirs = {n for m in example.models.values() for n in (*m.systems["system_id"], *m.systems["name_ja"],
                                                           *m.systems["name_en"])} - own
    named = sorted(w for w in theirs if re.search(r"(?<![A-Za-z0-9_\-])" + re.escape(w) + r"(?![A-Za-z0-9_\-])", text))
    assert named == [] and example.organisation not in text, named
    assert ("2025年1月1日" if lang == "ja" else "1 January 2025") in text  # judged on the day given
    for word in ("nan", "NaN", "None", "True", "False"):
        assert not re.search(rf"(?<![A-Za-z]){word}(?![A-Za-z])", text), f"{name} prints {word}"
    assert (tmp_path / "pack" / "briefing.pdf").is_file()


@pytest.mark.parametrize("name", CITY_NOTEBOOKS)
def test_city_notebook_is_japanese_first_with_a_parameters_cell(name):
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and "WORKSPACE_PATH" in tagged[0].source and 'LANG = "ja"' in tagged[0].source
    headings = [line for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines()
                if line.startswith("#")]
    assert headings and all(re.search(r"[ぁ-んァ-ン一-龥]", h) for h in headings), headings
