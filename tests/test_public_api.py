"""The top-level namespace: every public analysis is ``pia_analysis.<name>``, the same object as in its module."""

from __future__ import annotations

import importlib
import inspect
import pathlib
import subprocess
import sys

import pytest

import pia_analysis
from pia_analysis.model.errors import ModelTypeError, PiaError

# The modules whose public functions and result types all belong on the top level: the analyses.
ANALYSIS_MODULES = ("attack_graph", "exposure", "simulation", "hardening", "coverage", "findings", "judgments",
                    "provenance", "pipeline")

# What a user writing a finding rule needs; reached as pia_analysis.analysis.findings.<name>.
ENGINE_TYPES = {"FindingContext", "Rule", "RiskScale"}


def _public_callables(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    return [n for n in module.__all__ if inspect.isfunction(getattr(module, n)) or inspect.isclass(getattr(module, n))]


@pytest.mark.parametrize("name", ANALYSIS_MODULES)
def test_every_public_analysis_is_on_the_top_level(name):
    module_name = f"pia_analysis.analysis.{name}"
    missing = [n for n in _public_callables(module_name)
               if n not in pia_analysis.__all__ and n not in ENGINE_TYPES]
    assert not missing, f"add to pia_analysis/__init__.py (_PUBLIC): {missing} from {module_name}"


@pytest.mark.parametrize("name", sorted(pia_analysis.__all__))
def test_each_top_level_name_is_the_modules_own_object(name):
    value = getattr(pia_analysis, name)
    module = importlib.import_module(value.__module__)
    assert getattr(module, value.__name__) is value
    assert name in getattr(module, "__all__", ()) or name == "explore", f"{name} is not public in {value.__module__}"


def test_node_exposure_from_the_top_level():
    model = pia_analysis.load_model(pia_analysis.bundled_model_path())
    exposure = pia_analysis.node_exposure(model)
    assert set(exposure["system_id"]) == set(model.systems["system_id"])


def test_importing_the_package_loads_no_pandas():
    # the names are resolved on first use (PEP 562): `import pia_analysis` stays light for the console script
    code = "import sys, pia_analysis; print('pandas' in sys.modules, 'networkx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


# --- A model argument that is not a loaded Model -----------------------------------------------------------------
# Every public function whose first parameter is ``model`` checks it first (pia_analysis.model.model.require_model)
# and raises ModelTypeError saying how to load one, instead of an AttributeError deep inside.

# These take a path too: they load the model (and its earlier versions) themselves.
TAKE_A_PATH = {"explore", "history_coverage", "load_chain", "version_chain", "version_history"}

def _first_parameter_is_a_model(function) -> bool:
    first = next(iter(inspect.signature(function).parameters.values()), None)
    # named model, or annotated as one (compare's base, diff's old): `from __future__ import annotations` keeps
    # annotations as text
    return first is not None and (first.name == "model" or str(first.annotation).split(" |")[0] == "Model")


MODEL_FUNCTIONS = sorted(
    name for name in pia_analysis.__all__
    if inspect.isfunction(getattr(pia_analysis, name)) and name not in TAKE_A_PATH
    and _first_parameter_is_a_model(getattr(pia_analysis, name)))


def _call_with(name: str, model: object) -> None:
    function = getattr(pia_analysis, name)
    required = [p for p in list(inspect.signature(function).parameters.values())[1:]
                if p.default is inspect.Parameter.empty
                and p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    function(model, *[None] * len(required))


WRONG_MODELS = {"str": "town", "path": pathlib.Path("town"), "dict": {"systems": []}}


@pytest.mark.parametrize("name", MODEL_FUNCTIONS)
@pytest.mark.parametrize("given", list(WRONG_MODELS.values()), ids=list(WRONG_MODELS))
def test_a_model_argument_that_is_not_a_model_says_how_to_load_one(name, given):
    with pytest.raises(ModelTypeError) as caught:
        _call_with(name, given)
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, PiaError)
    message = str(caught.value)
    assert message.startswith(f"{name} needs a loaded Model, not {type(given).__name__}: ")
    if not isinstance(given, dict):
        assert message.endswith("load it first with pia_analysis.load_model('town')")


def test_every_model_taking_analysis_is_checked():
    assert {"node_exposure", "stage_coverage", "simulate_compromise", "analyse", "compare", "diff"} <= set(MODEL_FUNCTIONS)


@pytest.mark.parametrize("name", ["compare", "diff"])
def test_the_second_model_of_a_comparison_is_checked_too(name):
    model = pia_analysis.load_model(pia_analysis.bundled_model_path())
    with pytest.raises(ModelTypeError, match=f"^{name} needs a loaded Model, not str"):
        getattr(pia_analysis, name)(model, "town")
