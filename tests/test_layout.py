"""The package's shape, as the design promises it: no import cycle (imports inside functions
included), no module importing another's private names, few modules at the top level, and the
package's own imports at the top of a file except where start-up time needs them deferred."""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "harness"
MAX_TOP_LEVEL = 8  # modules directly in harness/, besides __init__ and __main__
MAX_DEFERRED = 40  # the package's own imports inside functions


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, list[str], bool, int]]:
    """(module imported, names taken from it, inside a function?, line) for harness imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []

    def visit(node: ast.AST, deferred: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = deferred or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.dump(child.test):
                continue  # annotations only: never executed
            if isinstance(child, ast.Import):
                out.extend((a.name, [], inner, child.lineno) for a in child.names
                           if a.name.split(".")[0] == "harness")
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module \
                    and child.module.split(".")[0] == "harness":
                out.append((child.module, [a.name for a in child.names], inner, child.lineno))
            visit(child, inner)
    visit(tree, False)
    return out


def _graph():
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges: dict[str, set[str]] = defaultdict(set)
    details = []
    for name, path in modules.items():
        for target, names, deferred, line in _imports(path):
            # `from harness.x import y` where y is a module of its own imports that module
            hits = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules] or [target]
            for hit in hits:
                if hit in modules and hit != name:
                    edges[name].add(hit)
            details.append((name, target, names, deferred, line))
    return modules, edges, details


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))
    for v in list(edges):
        if v not in index:
            strong(v)
    return out


def _is_package_of(importer: str, target: str) -> bool:
    """A package's own __init__ importing from its modules, or a module from its package."""
    return target.startswith(importer + ".") or importer.startswith(target + ".")


def test_no_import_cycle():
    import sys
    sys.setrecursionlimit(10000)
    _, edges, _ = _graph()
    # a package's __init__ re-exporting its modules is not a cycle a reader has to untangle
    plain = {m: {t for t in ts if not _is_package_of(m, t)} for m, ts in edges.items()}
    assert _cycles(plain) == []


def test_no_module_imports_another_modules_private_names():
    _, _, details = _graph()
    private = [f"{m} imports {n} from {t} (line {line})" for m, t, names, _, line in details
               for n in names if n.startswith("_") and not n.startswith("__")]
    assert private == []


def test_few_modules_at_the_top_level():
    top = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__"))
    assert len(top) <= MAX_TOP_LEVEL, top


def test_own_imports_sit_at_the_top_of_their_file():
    _, _, details = _graph()
    deferred = [f"{m}:{line} {t}" for m, t, _, d, line in details if d]
    assert len(deferred) <= MAX_DEFERRED, "\n".join(deferred)
