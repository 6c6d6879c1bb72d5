#!/usr/bin/env python3
"""The module ``use`` graph of the Rust core (``rust/src``) and its cycles.

A module is a top-level entry of ``rust/src``: a file (``bytetrack.rs`` -> ``bytetrack``) or a folder
(``trackeval/`` -> ``trackeval``, all its files together). Inside each folder, its files form a second graph of
their own (``trackeval/hota.rs`` -> ``hota``). An edge ``a -> b`` is any reference from a file of ``a`` to ``b``:
``use crate::b::...`` lines (grouped ``use crate::{b::X, c::Y}`` too), inline ``crate::b::`` paths, and, inside a
folder, ``super::b`` / ``crate::folder::b``. Comments and string literals are ignored.

Usage: ``python scripts/rust_deps.py [rust/src]`` prints the graph and exits 1 when it has a cycle.
Standard library only; the tests import :func:`graph_of_tree` and :func:`find_cycles`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT_FILES = {"lib.rs", "main.rs"}
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_PATH_RE = re.compile(rf"\b(crate|super)\s*::\s*({_IDENT}|\{{)")
_COMMENT_RE = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_STRING_RE = re.compile(r'"(?:\\.|[^"\\])*"')


def strip_comments(source: str) -> str:
    """``source`` without comments (doc comments included) and with string literals emptied."""
    source = _STRING_RE.sub('""', source)
    return _COMMENT_RE.sub(" ", source)


def _group_heads(text: str, start: int) -> list[str]:
    """The first path segment of each item of the ``{...}`` group opening at ``text[start]``."""
    depth, item, heads = 0, "", []
    for ch in text[start:]:
        if ch == "{":
            depth += 1
            if depth == 1:
                continue
        elif ch == "}":
            depth -= 1
            if depth == 0:
                heads.append(item)
                break
        if depth == 1 and ch == ",":
            heads.append(item)
            item = ""
        elif depth >= 1:
            item += ch
    names = []
    for h in heads:
        m = re.match(rf"\s*({_IDENT})", h)
        if m:
            names.append(m.group(1))
    return names


def references(source: str) -> list[tuple[str, str]]:
    """``(anchor, name)`` for every ``crate::name`` / ``super::name`` path in ``source`` (grouped imports expanded),
    plus ``(anchor, "first::second")`` for two-segment ``crate::first::second`` paths (folder members)."""
    text = strip_comments(source)
    out: list[tuple[str, str]] = []
    for m in _PATH_RE.finditer(text):
        anchor, head = m.group(1), m.group(2)
        names = _group_heads(text, m.end() - 1) if head == "{" else [head]
        for name in names:
            out.append((anchor, name))
            if anchor == "crate":
                rest = re.match(rf"\s*::\s*({_IDENT}|\{{)", text[m.end() :]) if head != "{" else None
                if rest:
                    subs = _group_heads(text, m.end() + rest.end() - 1) if rest.group(1) == "{" else [rest.group(1)]
                    out.extend((anchor, f"{name}::{s}") for s in subs)
    return out


def module_of(path: Path, src: Path) -> tuple[str, str | None]:
    """``(top, member)``: the top-level module of ``path`` and, inside a folder, the member module (``mod`` for
    ``mod.rs``)."""
    rel = path.relative_to(src).parts
    if len(rel) == 1:
        return rel[0].removesuffix(".rs"), None
    return rel[0], rel[1].removesuffix(".rs")


def graph_of_sources(sources: dict[str, str]) -> dict[str, dict[str, set[str]]]:
    """The graphs of a tree given as ``{relative path: source}``: key ``""`` is the top-level graph, key
    ``folder`` the graph of that folder's members. Files of the crate root (``lib.rs``) only declare modules and
    are left out."""
    top_modules = {Path(p).parts[0].removesuffix(".rs") for p in sources if Path(p).name not in ROOT_FILES}
    graphs: dict[str, dict[str, set[str]]] = {"": {m: set() for m in top_modules}}
    for rel, source in sorted(sources.items()):
        parts = Path(rel).parts
        if len(parts) == 1 and parts[0] in ROOT_FILES:
            continue
        top = parts[0].removesuffix(".rs")
        member = parts[1].removesuffix(".rs") if len(parts) > 1 else None
        if member is not None:
            sub = graphs.setdefault(top, {})
            sub.setdefault(member, set())
        for anchor, name in references(source):
            if anchor == "crate" and "::" not in name:
                if name in top_modules and name != top:
                    graphs[""][top].add(name)
            elif anchor == "crate":
                first, second = name.split("::", 1)
                if member is not None and first == top and second != member:
                    graphs[top][member].add(second)
            elif anchor == "super" and member is not None and name != member:
                graphs[top][member].add(name)
    # Members referenced but without a file of their own (items of mod.rs) are not modules.
    for folder, g in graphs.items():
        if folder:
            for deps in g.values():
                deps.intersection_update(g)
    return graphs


def graph_of_tree(src: Path) -> dict[str, dict[str, set[str]]]:
    """:func:`graph_of_sources` of every ``.rs`` file under ``src``."""
    sources = {str(p.relative_to(src)): p.read_text(encoding="utf-8") for p in sorted(src.rglob("*.rs"))}
    return graph_of_sources(sources)


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of ``graph`` with more than one node or a self-edge, each sorted; sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    comps: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        # Iterative Tarjan (no recursion limit on long chains).
        work = [(v, iter(sorted(graph.get(v, ()))))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        while work:
            node, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    advanced = True
                    break
                if w in on_stack:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1 or node in graph.get(node, ()):
                    comps.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(comps)


def all_cycles(graphs: dict[str, dict[str, set[str]]]) -> list[str]:
    """Every cycle of every graph, as ``"folder: a <-> b"`` lines (folder ``rust/src`` for the top level)."""
    lines = []
    for folder, g in sorted(graphs.items()):
        for comp in find_cycles(g):
            lines.append(f"{folder or 'rust/src'}: {' <-> '.join(comp)}")
    return lines


def main(argv: list[str]) -> int:
    src = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent / "rust" / "src"
    graphs = graph_of_tree(src)
    for folder, g in sorted(graphs.items()):
        print(f"[{folder or 'rust/src'}]")
        for node in sorted(g):
            print(f"  {node} -> {', '.join(sorted(g[node])) or '-'}")
    cycles = all_cycles(graphs)
    for line in cycles:
        print(f"cycle: {line}")
    if not cycles:
        print("no cycles")
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
