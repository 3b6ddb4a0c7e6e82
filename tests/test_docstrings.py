"""Public API documentation: every module states ``__all__``; every public function has numpy sections.

A public function is one a module lists in ``__all__``. Its docstring is checked with numpydoc's own
validator (the one numpy, scipy and pandas use): a summary (SS01), every parameter documented and no
unknown ones (PR01, PR02), a Returns section when it returns something (RT01) and an Examples section
(EX01), which pytest's ``--doctest-modules`` runs. A public class needs a docstring (GL08).

"""

from __future__ import annotations

import ast
import builtins
import doctest
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



# --- Examples a user can paste into a fresh interpreter --------------------------------------------------------
# pytest's doctest runs an example with its module's globals, so an example that uses the function it documents
# without importing it passes there and fails when pasted. This check is static: each example's source is parsed
# with ast, and a name it reads must have been bound by that docstring's examples (import, assignment, for, with,
# def, comprehension …) or be a builtin.


_BUILTINS = set(dir(builtins))


def _bound(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def _unbound_names(docstring: str) -> list[str]:
    """The names each example reads that no example up to it binds, as ``'name' in >>> source``."""
    bound: set[str] = set()
    out = []
    for example in doctest.DocTestParser().get_examples(docstring):
        tree = ast.parse(example.source)
        bound |= _bound(tree)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
                    and node.id not in bound and node.id not in _BUILTINS):
                out.append(f"{node.id!r} in >>> {example.source.strip().splitlines()[0]}")
    return out


def _docstrings(module_name: str) -> list[tuple[str, str]]:
    """(qualified name, docstring) of each public object of the module and of its public classes' members."""
    module = importlib.import_module(module_name)
    out = [(module_name, module.__doc__ or "")]
    for name in getattr(module, "__all__", ()):
        obj = getattr(module, name, None)
        if not (inspect.isfunction(obj) or inspect.isclass(obj)) or obj.__module__ != module_name:
            continue
        out.append((f"{module_name}.{name}", obj.__doc__ or ""))
        if inspect.isclass(obj):
            for member, value in vars(obj).items():
                doc = getattr(value.fget if isinstance(value, property) else
                              getattr(value, "__func__", value), "__doc__", None)
                if doc and not (member.startswith("_") and member != "__init__"):
                    out.append((f"{module_name}.{name}.{member}", doc))
    return out


def _example_problems(module_name: str) -> list[str]:
    return [f"{where}: {problem}" for where, doc in _docstrings(module_name) for problem in _unbound_names(doc)]


@pytest.mark.parametrize("module_name", MODULES)
def test_examples_run_in_an_empty_namespace(module_name):
    problems = _example_problems(module_name)
    assert not problems, ("examples use names they do not import (they fail when pasted):\n"
                          + "\n".join(problems))
