"""``_core.pyi`` names exactly what the compiled module exports: functions, classes and their members."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from numa_ultralytics import _core

STUB = Path(_core.__file__).resolve().parent / "_core.pyi"


def _public(names) -> set[str]:
    return {n for n in names if not n.startswith("_")}


def _stub_tree() -> ast.Module:
    return ast.parse(STUB.read_text(encoding="utf-8"))


def _stub_top_level() -> dict[str, ast.stmt]:
    out: dict[str, ast.stmt] = {}
    for node in _stub_tree().body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            out[node.name] = node
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    out[t.id] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out[node.target.id] = node
    return out


def test_stub_top_level_names_match_the_module() -> None:
    assert _public(_stub_top_level()) == _public(dir(_core))


def test_stub_declares_the_version() -> None:
    assert "__version__" in _stub_top_level() and isinstance(_core.__version__, str)


def _stub_classes() -> list[str]:
    return sorted(n for n, node in _stub_top_level().items() if isinstance(node, ast.ClassDef))


@pytest.mark.parametrize("name", _stub_classes())
def test_stub_class_members_match_the_runtime_class(name: str) -> None:
    node = _stub_top_level()[name]
    assert isinstance(node, ast.ClassDef)
    members = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
    assert _public(members) == _public(dir(getattr(_core, name)))
