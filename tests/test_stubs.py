"""``_core.pyi`` describes exactly what the compiled module exports: the same functions, classes and members, with the
same parameters (names, kinds, defaults where pyo3 shows them). Names under the stub's probes section exist only in a
build with the cargo feature ``probes`` (the test install; the wheel leaves them out)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest

from numa_ultralytics import _core

STUB = Path(_core.__file__).resolve().parent / "_core.pyi"
PROBES_MARKER = "# ---------------------------------------------------------------- probes"


def _public(names) -> set[str]:
    return {n for n in names if not n.startswith("_")}


def _top_level(tree: ast.Module) -> dict[str, ast.stmt]:
    out: dict[str, ast.stmt] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            out[node.name] = node
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    out[t.id] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out[node.target.id] = node
    return out


def _stub_text() -> str:
    return STUB.read_text(encoding="utf-8")


def _probe_names(text: str) -> set[str]:
    """The names the stub declares below its probes marker."""
    lines = text.splitlines()
    assert lines.count(PROBES_MARKER) == 1, "the stub must have one probes section"
    first = lines.index(PROBES_MARKER) + 1  # 0-based index of the marker == 1-based line number before it
    return {n for n, node in _top_level(ast.parse(text)).items() if node.lineno > first}


def _stub_top_level() -> dict[str, ast.stmt]:
    return _top_level(ast.parse(_stub_text()))


# ---------------------------------------------------------------- parameters: stub (ast) vs runtime (inspect)
_KIND = {
    "posonly": inspect.Parameter.POSITIONAL_ONLY,
    "args": inspect.Parameter.POSITIONAL_OR_KEYWORD,
    "vararg": inspect.Parameter.VAR_POSITIONAL,
    "kwonly": inspect.Parameter.KEYWORD_ONLY,
    "kwarg": inspect.Parameter.VAR_KEYWORD,
}
_NO_DEFAULT = inspect.Parameter.empty


def _stub_params(fn: ast.FunctionDef, method: bool) -> list[tuple[str, Any, Any]]:
    """``(name, kind, default)`` of a stub function; the default is the literal, ``...`` or ``_NO_DEFAULT``."""
    a = fn.args
    out: list[tuple[str, Any, Any]] = []
    positional = [(p, "posonly") for p in a.posonlyargs] + [(p, "args") for p in a.args]
    defaults = [_NO_DEFAULT] * (len(positional) - len(a.defaults)) + [ast.literal_eval(d) for d in a.defaults]
    for (p, kind), d in zip(positional, defaults):
        out.append((p.arg, _KIND[kind], d))
    if a.vararg is not None:
        out.append((a.vararg.arg, _KIND["vararg"], _NO_DEFAULT))
    for p, d in zip(a.kwonlyargs, a.kw_defaults):
        out.append((p.arg, _KIND["kwonly"], _NO_DEFAULT if d is None else ast.literal_eval(d)))
    if a.kwarg is not None:
        out.append((a.kwarg.arg, _KIND["kwarg"], _NO_DEFAULT))
    return out[1:] if method else out  # self


def _runtime_params(obj: Any, method: bool) -> list[tuple[str, Any, Any]]:
    params = list(inspect.signature(obj).parameters.values())
    out = [(p.name, p.kind, p.default) for p in params]
    return out[1:] if method else out  # self (pyo3: positional-only)


def _same_params(stub: list[tuple[str, Any, Any]], runtime: list[tuple[str, Any, Any]]) -> bool:
    if [(n, k) for n, k, _ in stub] != [(n, k) for n, k, _ in runtime]:
        return False
    for (_, _, sd), (_, _, rd) in zip(stub, runtime):
        if (sd is _NO_DEFAULT) != (rd is _NO_DEFAULT):
            return False  # a default on one side only
        # pyo3 shows simple defaults (None, False, 32, 'MOT17'); others as Ellipsis, as the stub may too.
        if sd is not _NO_DEFAULT and sd is not Ellipsis and rd is not Ellipsis and sd != rd:
            return False
    return True


def _is_property(fn: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id == "property" for d in fn.decorator_list)


def mismatches(text: str, module: Any) -> list[str]:
    """Every difference between a stub text and the module's functions and class members (parameters, kinds,
    defaults, properties vs methods); names missing at runtime are the name tests' business."""
    out: list[str] = []
    for name, node in _top_level(ast.parse(text)).items():
        if not hasattr(module, name):
            continue
        obj = getattr(module, name)
        if isinstance(node, ast.FunctionDef):
            s, r = _stub_params(node, method=False), _runtime_params(obj, method=False)
            if not _same_params(s, r):
                out.append(f"{name}: stub {s} != runtime {r}")
        elif isinstance(node, ast.ClassDef):
            for fn in node.body:
                if not isinstance(fn, ast.FunctionDef):
                    continue
                if fn.name == "__init__":  # the constructor: the class's own signature (pyo3's #[new])
                    s, r = _stub_params(fn, method=True), _runtime_params(obj, method=False)
                    if not _same_params(s, r):
                        out.append(f"{name}(): stub {s} != runtime {r}")
                    continue
                attr = inspect.getattr_static(obj, fn.name, None)
                if attr is None:
                    continue
                runtime_is_property = inspect.isdatadescriptor(attr)
                if _is_property(fn) != runtime_is_property:
                    out.append(f"{name}.{fn.name}: property in {'runtime' if runtime_is_property else 'stub'} only")
                    continue
                if not runtime_is_property:
                    s, r = _stub_params(fn, method=True), _runtime_params(getattr(obj, fn.name), method=True)
                    if not _same_params(s, r):
                        out.append(f"{name}.{fn.name}: stub {s} != runtime {r}")
    return out


# ---------------------------------------------------------------- the tests
def test_stub_top_level_names_match_the_module() -> None:
    probes = _probe_names(_stub_text())
    assert _public(_stub_top_level()) - probes == _public(dir(_core)) - probes


def test_probes_are_all_present_or_all_absent() -> None:
    """A build has every probe (feature ``probes``) or none (the wheel); a name the stub lists as a probe and that
    exists without the feature would be a mislabelled export."""
    probes = _probe_names(_stub_text())
    assert len(probes) == 14, sorted(probes)
    assert "TrackerCore" not in probes and "clip_boxes" not in probes and "lapjv" in probes
    present = probes & set(dir(_core))
    assert present in (set(), probes), sorted(probes - present)


def test_stub_declares_the_version() -> None:
    assert "__version__" in _stub_top_level() and isinstance(_core.__version__, str)


def _stub_classes() -> list[str]:
    return sorted(n for n, node in _stub_top_level().items() if isinstance(node, ast.ClassDef))


@pytest.mark.parametrize("name", _stub_classes())
def test_stub_class_members_match_the_runtime_class(name: str) -> None:
    if not hasattr(_core, name):
        assert name in _probe_names(_stub_text())
        pytest.skip(f"{name} is a probe and this build has none")
    node = _stub_top_level()[name]
    assert isinstance(node, ast.ClassDef)
    members = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
    assert _public(members) == _public(dir(getattr(_core, name)))


def test_stub_signatures_match_the_module() -> None:
    assert mismatches(_stub_text(), _core) == []


def test_signature_check_sees_each_kind_of_difference() -> None:
    """The comparison fails on a wrong stub: renamed, missing, extra or reordered parameters, a default on one side
    only or with another value, a keyword-only parameter, a property declared as a method, the constructor."""
    text = _stub_text()
    assert 'def trackeval_mot(\n    sequences: list[tuple[str, str, str, int]],\n    benchmark: str = "MOT17",' in text
    wrong = {
        "renamed": text.replace("def rle_encode(mask: npt", "def rle_encode(m: npt"),
        "default value": text.replace('benchmark: str = "MOT17",', 'benchmark: str = "MOT20",'),
        "default only in the stub": text.replace(
            "def rle_encode(mask: npt.NDArray[np.uint8])", "def rle_encode(mask: npt.NDArray[np.uint8] = ...)"
        ),
        "extra": text.replace(
            "def to_blob(img: npt.NDArray[np.uint8])", "def to_blob(img: npt.NDArray[np.uint8], x: int)"
        ),
        "keyword-only": text.replace("def to_blob(img: npt", "def to_blob(*, img: npt"),
        "method": text.replace("    def high_indices(self, dets:", "    def high_indices(self, rows:"),
        "constructor": text.replace("def __init__(self, settings: dict[str, Any])", "def __init__(self, kind: str)"),
        "property": text.replace("    @property\n    def kind(self) -> str:", "    def kind(self) -> str:"),
    }
    for what, bad in wrong.items():
        assert bad != text, what
        assert mismatches(bad, _core), f"a stub with a wrong {what} passed"
