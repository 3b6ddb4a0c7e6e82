"""environment.yml (conda) and pyproject.toml (pip) must list the same packages with the same lower bounds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
CONDA_TO_PYPI = {"matplotlib-base": "matplotlib"}
IGNORED = {"python", "pip"}


def _conda_entries() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env["channels"][0] == "conda-forge"
    out: dict[str, str] = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for item in dep["pip"]:
                if item.startswith("-e"):
                    continue
                req = Requirement(item)
                out[canonicalize_name(req.name)] = str(req.specifier)
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", dep)
        assert m, dep
        name = CONDA_TO_PYPI.get(m.group(1), m.group(1))
        spec = m.group(2)
        if spec.startswith("=") and not spec.startswith("=="):
            spec = f"=={spec[1:]}.*"
        out[canonicalize_name(name)] = spec
    return out


def _pyproject_entries() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(project["dependencies"])
    for group in project.get("optional-dependencies", {}).values():
        reqs += group
    return {canonicalize_name(Requirement(r).name): str(Requirement(r).specifier) for r in reqs}


def test_same_packages_and_lower_bounds():
    conda = {k: v for k, v in _conda_entries().items() if k not in IGNORED}
    pip = _pyproject_entries()
    assert sorted(set(conda) - set(pip)) == [], "only in environment.yml"
    assert sorted(set(pip) - set(conda)) == [], "only in pyproject.toml"
    for name in pip:
        assert SpecifierSet(conda[name]) == SpecifierSet(pip[name]), name


def test_python_pin_satisfies_requires_python():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    version = python.split("=", 1)[1]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert SpecifierSet(project["requires-python"]).contains(version + ".0")


def test_constraints_pin_every_direct_dependency():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            pins[canonicalize_name(name)] = version.strip()
    for name, spec in _pyproject_entries().items():
        assert name in pins, f"{name} is not pinned in constraints.txt"
        assert SpecifierSet(spec).contains(pins[name]), f"{name}=={pins[name]} violates {spec}"
