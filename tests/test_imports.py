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
