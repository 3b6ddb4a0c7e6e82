"""Public API documentation: every module states ``__all__``; every public function has numpy sections.

A public function is one a module lists in ``__all__``. Its docstring is checked with numpydoc's own
validator (the one numpy, scipy and pandas use): a summary (SS01), every parameter documented and no
unknown ones (PR01, PR02), a Returns section when it returns something (RT01) and an Examples section
(EX01), which pytest's ``--doctest-modules`` runs. A public class needs a docstring (GL08).

"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from numpydoc.validate import validate

import pia_analysis

ROOT = Path(__file__).resolve().parent.parent
FUNCTION_CHECKS = ("GL08", "SS01", "PR01", "PR02", "RT01", "EX01")
CLASS_CHECKS = ("GL08", "SS01")



def _modules() -> list[str]:
    names = [pia_analysis.__name__]
    names += [m.name for m in pkgutil.walk_packages(pia_analysis.__path__, "pia_analysis.")
              if not m.name.endswith("__main__")]
    return sorted(names)


MODULES = _modules()


def _problems(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    out = []
    for name in getattr(module, "__all__", ()):
        obj = getattr(module, name, None)
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue  # constants and re-exported modules have no docstring of their own to check
        if getattr(obj, "__module__", None) != module_name:
            continue  # re-exported: checked where it is defined
        checks = FUNCTION_CHECKS if inspect.isfunction(obj) else CLASS_CHECKS
        result = validate(f"{module_name}.{name}")
        out += [f"{module_name}.{name}: {code} {message}" for code, message in result["errors"] if code in checks]
    return out


@pytest.mark.parametrize("module_name", MODULES)
def test_module_states_all_first(module_name):
    module = importlib.import_module(module_name)
    path = Path(module.__file__)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    body = [n for n in tree.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
            and not (isinstance(n, ast.ImportFrom) and n.module == "__future__")]
    first = body[0] if body else None
    targets = first.targets if isinstance(first, ast.Assign) else [first.target] if isinstance(first, ast.AnnAssign) else []
    assert any(getattr(t, "id", None) == "__all__" for t in targets), (
        f"{path.relative_to(ROOT)}: the first statement after the docstring must be __all__ = [...]")


@pytest.mark.parametrize("module_name", MODULES)
def test_public_functions_have_numpy_sections(module_name):
    problems = _problems(module_name)
    assert not problems, "\n".join(problems)

