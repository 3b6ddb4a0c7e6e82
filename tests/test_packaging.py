"""A plain ``pip install .`` works: the wheel carries the bundled models and the catalogues, and the installed
package runs every command on them without the source tree and without the extras (JupyterLab, widgets, tests).

The wheel is built once per module from a copy of the checkout (so the build leaves nothing in it) and installed
``--no-deps`` into a fresh virtual environment. Its dependencies come from the environment running the tests,
put on its path by a ``.pth`` file (no download; ``venv --system-site-packages`` would reach the base
interpreter's site-packages, not this virtual environment's). Nothing else of the running environment is
carried over: no PYTHONPATH, no editable install of the checkout (its finder is started by a ``.pth`` file of
the outer site-packages, which Python reads only in its own site directories), and the commands run from an
empty folder. A second ``.pth`` file makes the extras' packages unimportable, as after a plain install.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "pia_analysis"
#: Packages the extras bring along that no runtime dependency needs.
EXTRAS_BRING = ("IPython", "_pytest", "jupyter_server", "jupyter_client", "nbformat", "nbclient", "distributed")
#: A module started by a .pth file: it makes every extra's package unimportable, as after a plain install.
ABSENT_EXTRAS = '''\
import sys


class AbsentExtras:
    """A meta-path finder that refuses the extras' packages, first in line."""

    names = frozenset({names!r})

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if fullname.partition(".")[0] in cls.names:
            raise ModuleNotFoundError(f"No module named {{fullname!r}} (an extra: not in a plain install)",
                                      name=fullname)
        return None


sys.meta_path.insert(0, AbsentExtras)
'''


def _extras_modules() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {canonicalize_name(Requirement(r).name).replace("-", "_")
             for group in project["optional-dependencies"].values() for r in group}
    return names | set(EXTRAS_BRING)


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _clean_env() -> dict[str, str]:
    """The environment of the tests, less what would put the checkout on the path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env["PYTHONHASHSEED"] = "0"
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a copy of the checkout, offline, with the build backend already installed."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (backend,) = (req for req in map(Requirement, project["optional-dependencies"]["test"])
                  if req.name == "setuptools")
    version = metadata.version("setuptools")
    assert backend.specifier.contains(version), (
        f"setuptools {version} cannot build the wheel offline: install the test extra (make install)")
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis", ".ipynb_checkpoints"))
    done = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                 "--disable-pip-version-check", "--quiet", "-w", str(tmp / "dist"), str(src)], tmp, _clean_env())
    assert done.returncode == 0, done.stderr
    (built,) = (tmp / "dist").glob("pia_analysis-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A fresh virtual environment with the wheel installed, its bin folder and the environment to run it in."""
    venv = tmp_path_factory.mktemp("venv") / "venv"
    env = _clean_env()
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], venv.parent, env)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    purelib = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                        venv.parent, env).stdout.strip())
    done = _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                 "--disable-pip-version-check", "--quiet", str(wheel)], venv.parent, env)
    assert done.returncode == 0, done.stderr
    # What the running interpreter imports from, less the checkout itself (PYTHONPATH, `python -m pytest`'s
    # folder), which would import its pia_analysis; make's .venv inside the checkout stays.
    outer = [p for p in dict.fromkeys(sys.path) if p and Path(p).is_dir() and Path(p).resolve() != ROOT]
    (purelib / "outer_dependencies.pth").write_text("".join(f"{p}\n" for p in outer), encoding="utf-8")
    (purelib / "absent_extras.py").write_text(ABSENT_EXTRAS.format(names=sorted(_extras_modules())), encoding="utf-8")
    (purelib / "absent_extras.pth").write_text("import absent_extras\n", encoding="utf-8")
    return venv, env


def test_wheel_holds_the_package_the_bundled_models_and_the_catalogues(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    data = {f"{PACKAGE}/data/{p.relative_to(ROOT / 'data').as_posix()}"
            for p in (ROOT / "data").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    catalogues = {f"{PACKAGE}/catalog/{p.name}" for p in (ROOT / PACKAGE / "catalog").iterdir()
                  if p.suffix in (".csv", ".md")}
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / PACKAGE).rglob("*.py") if "__pycache__" not in p.parts}
    assert f"{PACKAGE}/data/kitakyushu-juki-r3/scenarios/store-firewall-fails.yaml" in data
    assert f"{PACKAGE}/data/kitakyushu-juki-r3.xlsx" in data and f"{PACKAGE}/catalog/stages.csv" in catalogues
    assert sorted(data - names) == [], "bundled model files missing from the wheel"
    assert sorted(catalogues - names) == [], "catalogue files missing from the wheel"
    assert sorted(modules - names) == [], "modules missing from the wheel: list their package in pyproject.toml"
    packaged = {n for n in names if not n.startswith("pia_analysis-")}  # the .dist-info folder aside
    assert {n for n in packaged if not n.startswith(f"{PACKAGE}/")} == set(), "files outside the package"
    assert sorted(n for n in names if n.startswith(f"{PACKAGE}/data/")) == sorted(data), "stray data in the wheel"
    assert [n for n in names if "tests/" in n or "notebooks/" in n or n.endswith(".ipynb")] == []


def test_plain_install_reports_on_the_bundled_model(installed, tmp_path):
    venv, env = installed
    python = str(venv / "bin" / "python")
    probe = _run([python, "-c", "import pia_analysis; print(pia_analysis.__file__); "
                  "print(pia_analysis.bundled_model_path())"], tmp_path, env)
    assert probe.returncode == 0, probe.stderr
    module, bundled = probe.stdout.splitlines()
    site_packages = venv.resolve() / "lib"
    assert Path(module).resolve().is_relative_to(site_packages), f"imported {module}, not the installed wheel"
    assert Path(bundled).resolve().is_relative_to(site_packages) and Path(bundled).name == "kitakyushu-juki-r3"
    out = tmp_path / "pack"
    done = _run([str(venv / "bin" / "pia-analysis"), "report", bundled, "--out", str(out)], tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert (out / "briefing.pdf").read_bytes().startswith(b"%PDF")


def test_plain_install_runs_every_command_without_the_extras(installed, tmp_path):
    venv, env = installed
    script = '''
import argparse
import sys

from pia_analysis import bundled_model_path, bundled_workspace_path
from pia_analysis.cli import build_parser, main

r3 = bundled_model_path()
h28 = bundled_model_path("kitakyushu-juki-h28")
xlsx = r3.parent / "kitakyushu-juki-r3.xlsx"
runs = {
    "validate": [str(xlsx)],
    "exposure": [str(r3), "--format", "csv"],
    "fix-first": [str(r3), "--format", "csv"],
    "importance": [str(r3), "--format", "csv"],
    "coverage": [str(r3), "--format", "csv"],
    "findings": [str(r3), "--format", "csv"],
    "section3": [str(r3), "--format", "csv"],
    "procedure": [str(r3), "--format", "csv", "--today", "2026-11-28"],
    "scenario": [str(r3), str(r3 / "scenarios" / "store-firewall-fails.yaml")],
    "diff": [str(h28), str(r3)],
    "history": [str(r3)],
    "new": ["blank", "--xlsx"],
    "convert": [str(xlsx), "converted"],
    "export-otm": [str(r3), "model.otm.json"],
    "import-otm": ["model.otm.json", "imported"],  # (after export-otm: it reads what that wrote)
    "export-findings": [str(r3), "findings.sarif"],
    "assessment": [str(r3), "--out", "assessment"],
    "city": ["validate", str(bundled_workspace_path())],
}
commands = next(a.choices for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
assert set(commands) - {"report"} == set(runs), sorted(set(commands) ^ set(runs))
for name, args in runs.items():
    code = main([name, *args])
    print(name, code, file=sys.stderr)
    assert code == 0, name
# the many-cities runner works without Dask; --scheduler names the extra to install (one line, exit 2)
city = str(bundled_workspace_path())
assert main(["city", "portfolio", city, "--workers", "1", "--trials", "100", "--out", "portfolio.csv"]) == 0
assert main(["city", "portfolio", city, "--scheduler", "local", "--out", "portfolio2.csv"]) == 2
'''
    done = _run([str(venv / "bin" / "python"), "-c", script], tmp_path, env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "blank.xlsx").is_file() and (tmp_path / "converted" / "model.yaml").is_file()
    assert (tmp_path / "imported" / "model.yaml").is_file() and (tmp_path / "imported" / "import-report.md").is_file()
    assert "pip install 'pia-analysis[dask]'" in done.stderr
    assert (tmp_path / "portfolio.csv").is_file() and not (tmp_path / "portfolio2.csv").exists()


def _imports(tree: ast.Module) -> tuple[set[str], set[str]]:
    """The top-level names of the absolute imports of a module: at import time, and only inside functions."""
    eager: set[str] = set()
    lazy: set[str] = set()

    def visit(node: ast.AST, in_function: bool) -> None:
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        (lazy if in_function else eager).update(n.partition(".")[0] for n in names)
        inside = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(tree, False)
    return eager, lazy


def test_runtime_dependencies_are_what_the_package_imports():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {canonicalize_name(Requirement(r).name) for r in project["dependencies"]}
    notebooks = {canonicalize_name(Requirement(r).name) for r in project["optional-dependencies"]["notebooks"]}
    # the dask extra: imported only by run_cities(scheduler=…), never with the package
    dask = {canonicalize_name(Requirement(r).name) for r in project["optional-dependencies"]["dask"]}
    owners = {name: {canonicalize_name(d) for d in dists} for name, dists in metadata.packages_distributions().items()}
    eager: set[str] = set()
    lazy: set[str] = set()
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        now, later = _imports(ast.parse(path.read_text(encoding="utf-8")))
        eager |= now
        lazy |= later
    third_party = {n for n in eager | lazy if n not in sys.stdlib_module_names and n != PACKAGE}
    unknown = sorted(n for n in third_party if n not in owners)
    assert unknown == [], f"imported but installed by no distribution: {unknown}"
    at_import = set().union(*(owners[n] for n in eager if n in third_party))
    on_call = set().union(*(owners[n] for n in lazy - eager if n in third_party))
    assert sorted(at_import - runtime) == [], "imported with the package but not a runtime dependency"
    assert sorted(on_call - runtime - notebooks - dask) == [], "imported on call but in no dependency list"
    # defusedxml is never imported by name: openpyxl uses it when it is installed (README, Dependencies).
    assert sorted(runtime - at_import - on_call) == ["defusedxml"], "a runtime dependency nothing imports"
    assert sorted((notebooks | dask) & at_import) == [], "an extra imported with the package"
