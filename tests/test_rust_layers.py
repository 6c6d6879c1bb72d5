"""The Rust core's module ``use`` graph has no cycles (``scripts/rust_deps.py``), and the checker finds them."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "rust_deps.py"
SRC = REPO / "rust" / "src"

_spec = importlib.util.spec_from_file_location("rust_deps", SCRIPT)
assert _spec is not None and _spec.loader is not None
rust_deps = importlib.util.module_from_spec(_spec)
sys.modules["rust_deps"] = rust_deps
_spec.loader.exec_module(rust_deps)


def test_rust_core_has_no_module_cycles():
    graphs = rust_deps.graph_of_tree(SRC)
    top = graphs[""]
    # The graph is real: the trackers' known dependencies are found.
    assert {"assignment", "iou", "kalman", "track", "tracker"} <= top["bytetrack"]
    assert "ocsort" in top["deepocsort"]
    assert "lsap" in graphs["trackeval"]["hota"]
    assert rust_deps.all_cycles(graphs) == []


def test_cycles_are_found_in_a_synthetic_graph():
    g = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}, "f": set()}
    assert rust_deps.find_cycles(g) == [["a", "b", "c"], ["e"]]
    assert rust_deps.find_cycles({"a": {"b"}, "b": set()}) == []


def test_sources_give_edges_from_use_lines_inline_paths_and_groups():
    sources = {
        "lib.rs": "pub mod a; pub mod b; pub mod c; pub mod d; pub mod f;",
        "a.rs": 'use crate::b::Thing;\n// use crate::d::Commented;\nfn x() { let s = "crate::d::no"; }',
        "b.rs": "fn y() -> crate::c::T { todo!() }",
        "c.rs": "use crate::{a::X, d::{Y, Z}};",
        "d.rs": "/* crate::a::Block */ fn z() {}",
        "f/mod.rs": "pub mod g; pub mod h; pub use crate::f::g::G;",
        "f/g.rs": "use super::h::H;",
        "f/h.rs": "use crate::f::g::G; use crate::d::D;",
    }
    graphs = rust_deps.graph_of_sources(sources)
    assert graphs[""] == {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "f": {"d"}}
    assert graphs["f"] == {"g": {"h"}, "h": {"g"}, "mod": {"g"}}
    assert rust_deps.all_cycles(graphs) == ["rust/src: a <-> b <-> c", "f: g <-> h"]


def test_script_exit_status_names_the_cycle(tmp_path):
    (tmp_path / "lib.rs").write_text("pub mod p; pub mod q;\n")
    (tmp_path / "p.rs").write_text("use crate::q::Q;\n")
    (tmp_path / "q.rs").write_text("pub struct Q;\nfn f() { crate::p::g(); }\n")
    bad = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True, text=True, check=False)
    assert bad.returncode == 1
    assert "cycle: rust/src: p <-> q" in bad.stdout
    (tmp_path / "q.rs").write_text("pub struct Q;\n")
    good = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True, text=True, check=False)
    assert good.returncode == 0, good.stdout
    assert "no cycles" in good.stdout
