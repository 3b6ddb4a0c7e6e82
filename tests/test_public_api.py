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
ENGINE_TYPES = {"FindingContext", "Rule", "SeverityScale"}


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
# Functions in files other changes are editing at the same time (severity → risk_level; the what-if changes and the
# formats); the lead adds ``require_model(model, "<name>")`` to each after merging and empties this set. A listed
# function that already raises ModelTypeError for each wrong model fails the test, so nothing stays listed by mistake
# (with_scenario raises it already, from bundled_scenarios, but naming that function).
AWAITING_MODEL_CHECK: set[str] = {
    "find_findings",                                                       # analysis/findings
    "findings_to_sarif", "to_otm", "write_otm", "write_sarif",              # outputs/interchange.py
    "write_report",                                                        # outputs/briefing.py
    "apply_changes", "apply_scenario", "scenario_effects", "with_control_status", "with_flow_blocked",
    "with_scenario",                                                       # whatif/apply.py
    "save_model",                                                          # formats/__init__.py
}

MODEL_FUNCTIONS = sorted(
    name for name in pia_analysis.__all__
    if inspect.isfunction(getattr(pia_analysis, name)) and name not in TAKE_A_PATH
    and next(iter(inspect.signature(getattr(pia_analysis, name)).parameters), None) == "model")


def _call_with(name: str, model: object) -> None:
    function = getattr(pia_analysis, name)
    required = [p for p in list(inspect.signature(function).parameters.values())[1:]
                if p.default is inspect.Parameter.empty
                and p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    function(model, *[None] * len(required))


WRONG_MODELS = {"str": "town", "path": pathlib.Path("town"), "dict": {"systems": []}}


@pytest.mark.parametrize("name", sorted(set(MODEL_FUNCTIONS) - AWAITING_MODEL_CHECK))
@pytest.mark.parametrize("given", list(WRONG_MODELS.values()), ids=list(WRONG_MODELS))
def test_a_model_argument_that_is_not_a_model_says_how_to_load_one(name, given):
    with pytest.raises(ModelTypeError) as caught:
        _call_with(name, given)
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, PiaError)
    message = str(caught.value)
    assert message.startswith(f"{name} needs a loaded Model, not {type(given).__name__}: ")
    if not isinstance(given, dict):
        assert message.endswith("load it first with pia_analysis.load_model('town')")


@pytest.mark.parametrize("name", sorted(AWAITING_MODEL_CHECK))
def test_awaiting_model_check_lists_only_unchecked_functions(name):
    assert name in MODEL_FUNCTIONS
    checked = []
    for given in WRONG_MODELS.values():
        try:
            _call_with(name, given)
        except ModelTypeError as error:
            if str(error).startswith(f"{name} needs"):
                checked.append(given)
        except Exception:  # noqa: BLE001 - any other failure is what awaits the check
            pass
    assert len(checked) < len(WRONG_MODELS), f"{name} checks its model now: take it off AWAITING_MODEL_CHECK"


def test_every_model_taking_analysis_is_checked():
    assert {"node_exposure", "stage_coverage", "simulate_compromise", "analyse"} <= set(MODEL_FUNCTIONS)
