"""Measure the package's structure from its source: the figures a layering refactor is judged by.

Usage::

    python scripts/architecture_metrics.py [--json]

Counts, for ``pia_analysis/`` (read as text with :mod:`ast`; nothing is imported or run):

* modules and folders (packages);
* import arrows: distinct (module → module) pairs inside the package, counting imports at any depth;
* import cycles: the strongly connected components of more than one module in that graph;
* private cross-module uses: ``from X import _name`` or ``X._name`` where ``X`` is another module of
  the package;
* function-local imports: ``import`` statements inside a function body (of package modules);
* the largest file, by lines.

The same numbers before and after a change say what the change did to the house, not to behaviour.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "pia_analysis"


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def resolve(current: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute module name of a (possibly relative) import."""
    if level == 0:
        return target or ""
    base = current.split(".")
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def measure(root: Path = ROOT) -> dict:
    files = sorted((root / PACKAGE).rglob("*.py"))
    modules = {module_name(f): f for f in files}
    arrows: set[tuple[str, str]] = set()
    private_uses: list[str] = []
    local_imports = 0
    largest = ("", 0)

    def owner(name: str) -> str | None:
        """The package module that ``name`` (a module or a name inside one) belongs to."""
        while name:
            if name in modules:
                return name
            name = name.rpartition(".")[0]
        return None

    for name, path in modules.items():
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines > largest[1]:
            largest = (str(path.relative_to(root)), lines)
        tree = ast.parse(text)
        is_package = path.name == "__init__.py"
        aliases: dict[str, str] = {}  # local name -> package module it stands for
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                local_imports += sum(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(node)
                                     if n is not node)
            if isinstance(node, ast.Import):
                for a in node.names:
                    target = owner(a.name)
                    if target and target != name:
                        arrows.add((name, target))
                        aliases[a.asname or a.name] = target
            elif isinstance(node, ast.ImportFrom):
                base = resolve(name, is_package, node.level, node.module)
                for a in node.names:
                    full = f"{base}.{a.name}" if base else a.name
                    target = owner(full) if full in modules else owner(base)
                    if not target or target == name:
                        continue
                    arrows.add((name, target))
                    if full in modules:
                        aliases[a.asname or a.name] = full
                    elif a.name.startswith("_") and not a.name.startswith("__"):
                        private_uses.append(f"{name} -> {target}.{a.name}")
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                private_uses.append(f"{name} -> {aliases[node.value.id]}.{node.attr}")

    cycles = _cycles(set(modules), arrows)
    return {
        "modules": len(modules),
        "folders": sum(1 for f in files if f.name == "__init__.py"),
        "import_arrows": len(arrows),
        "cycles": [sorted(c) for c in cycles],
        "private_cross_module_uses": len(private_uses),
        "private_cross_module_detail": sorted(private_uses),
        "function_local_imports": local_imports,
        "largest_file": {"path": largest[0], "lines": largest[1]},
    }


def _cycles(nodes: set[str], arrows: set[tuple[str, str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in arrows:
        succ[a].append(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[set[str]] = []
    counter = 0
    for start in sorted(nodes):
        if start in index:
            continue
        work = [(start, iter(sorted(succ[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(succ[w]))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = set()
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.add(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(comp)
    return out


def main(argv: list[str]) -> int:
    result = measure()
    if "--json" in argv:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    print(f"modules {result['modules']} in {result['folders']} package folder(s)")
    print(f"import arrows {result['import_arrows']}")
    print(f"import cycles {len(result['cycles'])}: "
          + ("; ".join(" ↔ ".join(c) for c in result["cycles"]) or "none"))
    print(f"private cross-module uses {result['private_cross_module_uses']}")
    print(f"function-local imports {result['function_local_imports']}")
    print(f"largest file {result['largest_file']['path']} ({result['largest_file']['lines']} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
