"""The top-level namespace: every public analysis is ``pia_analysis.<name>``, the same object as in its module."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

import pytest

import pia_analysis

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
