"""Every module of the package imports, and the command line (``cfg/``) is a leaf: nothing else imports it."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import numa_ultralytics

PKG_DIR = Path(numa_ultralytics.__file__).resolve().parent
CLI = "numa_ultralytics.cfg"


def all_modules() -> list[str]:
    names = ["numa_ultralytics"]
    for info in pkgutil.walk_packages([str(PKG_DIR)], prefix="numa_ultralytics."):
        names.append(info.name)
    return names


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def cli_imports(source: str, module: str, is_package: bool, pkg: str = CLI) -> list[str]:
    """The statements of ``source`` (module ``module``) that import the package ``pkg`` (default: the command line),
    as text."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            targets = [target] + [f"{target}.{a.name}" for a in node.names]
        else:
            continue
        if any(t == pkg or t.startswith(pkg + ".") for t in targets):
            found.append(ast.unparse(node) if hasattr(ast, "unparse") else f"line {node.lineno}")
    return found


def test_every_module_imports():
    names = all_modules()
    assert {"numa_ultralytics.cfg", "numa_ultralytics.engine.model", "numa_ultralytics.__main__"} <= set(names)
    for name in names:
        importlib.import_module(name)


@pytest.mark.parametrize(
    "code, module, is_package",
    [
        ("import numa_ultralytics.cfg", "numa_ultralytics.engine.model", False),
        ("import numa_ultralytics.cfg as c", "numa_ultralytics.engine.model", False),
        ("from numa_ultralytics.cfg import entrypoint", "numa_ultralytics.engine.model", False),
        ("from numa_ultralytics import cfg", "numa_ultralytics.engine.model", False),
        ("from ..cfg import entrypoint", "numa_ultralytics.engine.model", False),
        ("from .. import cfg", "numa_ultralytics.engine.model", False),
        ("from . import cfg", "numa_ultralytics", True),
        ("def f():\n    from numa_ultralytics.cfg import draw\n", "numa_ultralytics.utils.plotting", False),
    ],
)
def test_checker_sees_every_form(code, module, is_package):
    assert cli_imports(code, module, is_package)


def test_checker_ignores_other_imports():
    code = "from numa_ultralytics.trackers import config as cfg\nfrom .config import cfg\nimport numa_ultralytics.data"
    assert cli_imports(code, "numa_ultralytics.trackers.track", False) == []


def test_only_the_command_line_imports_cfg():
    offenders = []
    for path in sorted(PKG_DIR.rglob("*.py")):
        rel = path.relative_to(PKG_DIR)
        if rel.parts[0] == "cfg" or rel == Path("__main__.py"):
            continue
        for stmt in cli_imports(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py"):
            offenders.append(f"{rel}: {stmt}")
    assert offenders == [], "only cfg/ and __main__.py may import numa_ultralytics.cfg:\n" + "\n".join(offenders)


SOLUTIONS = "numa_ultralytics.solutions"


def test_solutions_sit_on_top():
    """``solutions/`` builds on engine (and below); only the command line imports it, and it never imports the command
    line (utils <- data <- nn <- trackers <- engine <- solutions / cfg)."""
    offenders = []
    for path in sorted(PKG_DIR.rglob("*.py")):
        rel = path.relative_to(PKG_DIR)
        if rel.parts[0] in ("cfg", "solutions"):
            continue
        for stmt in cli_imports(
            path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py", SOLUTIONS
        ):
            offenders.append(f"{rel}: {stmt}")
    assert offenders == [], "only cfg/ may import numa_ultralytics.solutions:\n" + "\n".join(offenders)
    assert {
        "numa_ultralytics.solutions",
        "numa_ultralytics.solutions.geometry",
        "numa_ultralytics.cfg.solutions",
    } <= set(all_modules())


# ---------------------------------------------------------------------------------------------------------------------
# layers that point one way, and no import cycles (issue 20): utils <- data <- nn <- trackers <- engine <- solutions <-
# cfg, with the compiled core (_core) below everything and the package itself (__init__.py, __main__.py) on top.
# Every import counts, those inside functions too (a lazy import is still a dependency); only imports under
# ``if TYPE_CHECKING:`` are left out (they never run).

LAYERS = ("utils", "data", "nn", "trackers", "engine", "solutions", "cfg")
ROOT_PKG = "numa_ultralytics"


def layer_rank(module: str) -> int:
    """The layer of ``module``: -1 for the compiled core, the index in :data:`LAYERS`, len(LAYERS) for the package's
    own ``__init__`` / ``__main__`` (the top)."""
    parts = module.split(".")
    if parts[:2] == [ROOT_PKG, "_core"]:
        return -1
    if len(parts) >= 2 and parts[1] in LAYERS:
        return LAYERS.index(parts[1])
    return len(LAYERS)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement of ``tree``, at any depth, except those under ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
            continue
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))
    return sorted(found, key=lambda n: n.lineno)


def import_edges(source: str, module: str, is_package: bool, modules: set[str]) -> list[tuple[str, int]]:
    """The modules of the package that ``source`` (module ``module``) imports, with the line of each import.

    ``from a.b import c`` is an import of ``a.b.c`` when that is one of ``modules``, else of ``a.b``; the parent
    packages a dotted import runs implicitly are not counted (every module would depend on ``__init__.py`` then)."""
    package = module if is_package else module.rpartition(".")[0]
    out: list[tuple[str, int]] = []
    for node in _import_nodes(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            targets = [f"{target}.{a.name}" if f"{target}.{a.name}" in modules else target for a in node.names]
        for t in dict.fromkeys(targets):
            if t == ROOT_PKG or t.startswith(ROOT_PKG + "."):
                out.append((t, node.lineno))
    return out


def upward_imports(graph: dict[str, list[tuple[str, int]]]) -> list[str]:
    """``module:line -> target`` for every import of a higher layer than the importer's own."""
    return [
        f"{m}:{line} -> {t}" for m, edges in sorted(graph.items()) for t, line in edges if layer_rank(t) > layer_rank(m)
    ]


def import_cycles(graph: dict[str, list[tuple[str, int]]]) -> list[list[str]]:
    """The strongly connected components of more than one module (or a module importing itself): each is a cycle."""
    succ = {m: sorted({t for t, _ in edges}) for m, edges in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    sccs: list[list[str]] = []
    for root in sorted(succ):
        if root in index:
            continue
        work = [(root, 0)]  # iterative Tarjan: (node, next successor to visit)
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = len(index)
                stack.append(v)
                on_stack.add(v)
            nexts = succ.get(v, [])
            if i < len(nexts):
                work.append((v, i + 1))
                w = nexts[i]
                if w not in index:
                    work.append((w, 0))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            if low[v] == index[v]:
                scc = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    scc.append(w)
                    if w == v:
                        break
                if len(scc) > 1 or v in succ.get(v, []):
                    sccs.append(sorted(scc))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
    return sorted(sccs)


def package_graph() -> dict[str, list[tuple[str, int]]]:
    paths = sorted(PKG_DIR.rglob("*.py"))
    modules = {module_name(p) for p in paths} | {f"{ROOT_PKG}._core"}
    return {
        module_name(p): import_edges(p.read_text(encoding="utf-8"), module_name(p), p.name == "__init__.py", modules)
        for p in paths
    }


def _synthetic(sources: dict[str, str]) -> dict[str, list[tuple[str, int]]]:
    modules = set(sources) | {f"{ROOT_PKG}._core"}
    packages = {m.rpartition(".")[0] for m in sources}
    return {m: import_edges(src, m, m in packages, modules) for m, src in sources.items()}


def test_layer_checker_finds_upward_imports():
    graph = _synthetic(
        {
            "numa_ultralytics.utils.a": "def f():\n    from numa_ultralytics.engine import b\n",  # lazy: counted
            "numa_ultralytics.engine.b": "from ..nn import c\nfrom numa_ultralytics import _core\n",  # downward: fine
            "numa_ultralytics.nn": "",
            "numa_ultralytics.nn.c": "import numa_ultralytics.trackers.d\n",
            "numa_ultralytics.trackers.d": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from numa_ultralytics.cfg import x\n",  # typing only: not counted
            "numa_ultralytics.data.e": "from numa_ultralytics import YOLO\n",  # the package's top
        }
    )
    assert upward_imports(graph) == [
        "numa_ultralytics.data.e:1 -> numa_ultralytics",
        "numa_ultralytics.nn.c:1 -> numa_ultralytics.trackers.d",
        "numa_ultralytics.utils.a:2 -> numa_ultralytics.engine.b",
    ]
    assert graph["numa_ultralytics.engine.b"] == [("numa_ultralytics.nn.c", 1), ("numa_ultralytics._core", 2)]


def test_cycle_checker_finds_cycles():
    graph = _synthetic(
        {
            "numa_ultralytics.nn.a": "from numa_ultralytics.nn.b import x\n",
            "numa_ultralytics.nn.b": "def f():\n    from numa_ultralytics.nn import c\n",  # a lazy import closes it
            "numa_ultralytics.nn.c": "from . import a\n",
            "numa_ultralytics.nn.d": "from numa_ultralytics.nn import a\n",  # into the cycle, not part of it
            "numa_ultralytics.utils.e": "import numa_ultralytics.utils.e\n",  # itself
            "numa_ultralytics.utils.f": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from numa_ultralytics.utils.g import G\n",
            "numa_ultralytics.utils.g": "from numa_ultralytics.utils.f import F\n",  # only a typing import back
        }
    )
    assert import_cycles(graph) == [
        ["numa_ultralytics.nn.a", "numa_ultralytics.nn.b", "numa_ultralytics.nn.c"],
        ["numa_ultralytics.utils.e"],
    ]


def test_layers_point_one_way():
    """No module imports a higher layer (utils < data < nn < trackers < engine < solutions < cfg < the package's
    ``__init__`` / ``__main__``), lazily or not."""
    graph = package_graph()
    assert len(graph) > 50 and "numa_ultralytics.utils.args" in graph
    offenders = upward_imports(graph)
    assert offenders == [], "imports of a higher layer:\n" + "\n".join(offenders)


def test_no_import_cycles():
    """No two modules import each other, directly or through others, lazily or not."""
    cycles = import_cycles(package_graph())
    assert cycles == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_settings_leaf_imports_only_utils():
    """utils/args.py, the settings every layer checks with, imports nothing of the package beyond utils/ (and the
    compiled core below every layer, whose tracker count limit it reads)."""
    edges = package_graph()["numa_ultralytics.utils.args"]
    assert sorted(t for t, _ in edges) == ["numa_ultralytics._core", "numa_ultralytics.utils.reprs"]
