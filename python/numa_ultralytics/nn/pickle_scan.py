"""The pickle scan of a ``.pt`` checkpoint: its limits, checked before anything is unpickled.

:func:`_scan_pickle` walks the opcodes on a simulated stack and refuses pickles over :data:`MAX_PICKLE_BYTES`,
:data:`MAX_OPCODES`, :data:`MAX_MEMO_INDEX`, :data:`MAX_OBJECT_WEIGHT` (memo bombs), :data:`MAX_NESTING`,
:data:`MAX_HUGE_INTS` (hash-collision floods) and extension-registry opcodes, without building anything from them.
"""

from __future__ import annotations

import pickletools
import sys
from pathlib import Path

from numa_ultralytics.nn.safety import UnsafeCheckpointError, short_repr

__all__ = ["MAX_HUGE_INTS", "MAX_MEMO_INDEX", "MAX_NESTING", "MAX_OBJECT_WEIGHT", "MAX_OPCODES", "MAX_PICKLE_BYTES"]

# Pickle opcodes that bypass find_class (extension registry) or are never written by torch.save.
_FORBIDDEN_OPCODES = {"EXT1", "EXT2", "EXT4"}

# Limits on what an untrusted pickle may make the unpickler build. Real Ultralytics checkpoints sit far below them
# (yolo11n-seg.pt: 38,960 opcodes, 8,417 memo entries, objects expanded 33,838, depth 34, 96 KB; yolov8n-seg.pt:
# 29,346 / 6,357 / 25,556 / 28 / 73 KB; tests/test_untrusted.py keeps a margin of 25x or more): a pickle above any of
# them is refused before it is unpickled, so no pickle can make the loader hang or allocate without bound.
MAX_PICKLE_BYTES = 64 << 20  #: data.pkl size
MAX_OPCODES = 1_500_000  #: pickle opcodes
MAX_MEMO_INDEX = 1 << 20  #: highest memo slot (the C unpickler sizes its memo array by it)
MAX_OBJECT_WEIGHT = 4_000_000  #: objects any value expands to when shared references are counted each time
MAX_NESTING = 200  #: nesting depth of containers / constructor calls
#: Integers at least as large as the hash modulus (2**61 - 1): distinct ones can share a hash, so many of them as
#: dict keys make dict insertion quadratic (a hash-collision flood). Real checkpoints hold none.
MAX_HUGE_INTS = 1000
_INT_OPCODES = {"INT", "LONG", "BININT", "BININT1", "BININT2", "LONG1", "LONG4"}

_MUTATING_OPCODES = {"APPEND", "APPENDS", "SETITEM", "SETITEMS", "ADDITEMS", "BUILD"}
_NEW_CONTAINER_OPCODES = {"EMPTY_LIST", "EMPTY_DICT", "EMPTY_SET"}
_PUT_OPCODES = {"PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"}
_GET_OPCODES = {"GET", "BINGET", "LONG_BINGET"}
_LEAF = -1  # a constant (int, str, global ...) on the simulated stack
_MARK = -2


def _scan_pickle(data: bytes, path: Path) -> dict[str, int]:
    """Check a checkpoint's pickle before it is unpickled, without building anything from it.

    Walks the opcodes (:func:`pickletools.genops`) on a simulated stack that records only which object holds which,
    and refuses: extension-registry opcodes, more than :data:`MAX_OPCODES` opcodes, memo indices above
    :data:`MAX_MEMO_INDEX`, a value that expands to more than :data:`MAX_OBJECT_WEIGHT` objects when every shared
    reference is counted (memo bombs: ``[x] * 10`` nested 30 deep is 10**30 objects for ``repr``/``hash``/``==``),
    nesting deeper than :data:`MAX_NESTING`. A malformed pickle (stack underflow, unknown opcode, truncation) is a
    ``ValueError``. Returns the stats (``opcodes``, ``memo``, ``weight``, ``depth``) for the limits' calibration.
    """
    if len(data) > MAX_PICKLE_BYTES:
        raise UnsafeCheckpointError(
            f"checkpoint refused: {path}: its pickle is {len(data)} bytes (limit {MAX_PICKLE_BYTES})"
        )
    stack: list[int] = []
    marks: list[int] = []
    memo: dict[int, int] = {}
    kids: list[list[int]] = []  # node -> child nodes (with repetition)
    leaves: list[int] = []  # node -> number of constant children
    n_ops = 0
    huge_ints = 0

    def new_node(children: list[int]) -> int:
        kids.append([c for c in children if c >= 0])
        leaves.append(sum(1 for c in children if c < 0))
        return len(kids) - 1

    def corrupt(msg: str) -> ValueError:
        return ValueError(f"{path}: corrupt checkpoint pickle ({msg})")

    try:
        for op, arg, pos in pickletools.genops(data):
            n_ops += 1
            name = op.name
            if n_ops > MAX_OPCODES:
                raise UnsafeCheckpointError(
                    f"checkpoint refused: {path}: its pickle has more than {MAX_OPCODES} opcodes"
                )
            if name in _FORBIDDEN_OPCODES:
                raise UnsafeCheckpointError(f"checkpoint refused: {path} uses the pickle opcode {name}")
            if name in _INT_OPCODES and isinstance(arg, int) and abs(arg) >= sys.hash_info.modulus:
                huge_ints += 1
                if huge_ints > MAX_HUGE_INTS:
                    raise UnsafeCheckpointError(
                        f"checkpoint refused: {path}: its pickle holds over {MAX_HUGE_INTS} integers >= 2**61 - 1 "
                        "(a hash-collision flood)"
                    )
            if name in _PUT_OPCODES:
                idx = len(memo) if name == "MEMOIZE" else arg
                if not isinstance(idx, int) or idx < 0 or idx > MAX_MEMO_INDEX:
                    raise UnsafeCheckpointError(
                        f"checkpoint refused: {path}: pickle memo index {short_repr(idx)} at byte {pos} "
                        f"(limit {MAX_MEMO_INDEX})"
                    )
                if not stack or (marks and marks[-1] == len(stack)):
                    raise corrupt(f"{name} on an empty stack at byte {pos}")
                memo[idx] = stack[-1]
            elif name in _GET_OPCODES:
                if arg not in memo:
                    raise corrupt(f"memo key {short_repr(arg)} not found at byte {pos}")
                stack.append(memo[arg])
            elif name == "MARK":
                marks.append(len(stack))
            elif name in ("PROTO", "FRAME"):
                pass
            elif name == "STOP":
                if len(stack) != 1 or marks:
                    raise corrupt(f"STOP with {len(stack)} objects and {len(marks)} open MARKs on the stack")
            elif name in _NEW_CONTAINER_OPCODES:
                stack.append(new_node([]))
            else:
                before, after = op.stack_before, op.stack_after
                if pickletools.markobject in before:
                    if not marks:
                        raise corrupt(f"{name} without a MARK at byte {pos}")
                    m = marks.pop()
                    popped = stack[m:]
                    del stack[m:]
                    below = before.index(pickletools.markobject)
                else:
                    below = len(before)
                    if marks and len(stack) - below < marks[-1]:
                        raise corrupt(f"{name} reaches below a MARK at byte {pos}")
                    popped = []
                if below:
                    if len(stack) < below or (marks and len(stack) - below < marks[-1]):
                        raise corrupt(f"stack underflow at {name}, byte {pos}")
                    popped = stack[len(stack) - below :] + popped
                    del stack[len(stack) - below :]
                if name == "DUP":
                    stack.extend(popped * 2)
                elif name in _MUTATING_OPCODES:
                    target = popped[0]
                    if target < 0:
                        raise corrupt(f"{name} on a constant at byte {pos}")
                    for c in popped[1:]:
                        if c >= 0:
                            kids[target].append(c)
                        else:
                            leaves[target] += 1
                    stack.append(target)
                elif after:
                    stack.append(new_node(popped) if popped else _LEAF)
    except (UnsafeCheckpointError, ValueError) as e:
        if isinstance(e, UnsafeCheckpointError) or str(e).startswith(str(path)):
            raise
        raise corrupt(str(e)) from e
    except Exception as e:  # malformed pickle
        raise corrupt(f"{type(e).__name__}: {short_repr(str(e), 200)}") from e
    weight, depth = _graph_extent(kids, leaves)
    if weight > MAX_OBJECT_WEIGHT:
        raise UnsafeCheckpointError(
            f"checkpoint refused: {path}: its pickle shares references so often that one value expands to more "
            f"than {MAX_OBJECT_WEIGHT} objects (a memo bomb)"
        )
    if depth > MAX_NESTING:
        raise UnsafeCheckpointError(
            f"checkpoint refused: {path}: its pickle nests objects {depth} deep (limit {MAX_NESTING})"
        )
    return {"opcodes": n_ops, "memo": len(memo), "weight": weight, "depth": depth, "bytes": len(data)}


def _graph_extent(kids: list[list[int]], leaves: list[int]) -> tuple[int, int]:
    """Largest expanded size (capped just above the limit) and nesting depth over all nodes of the object graph.

    A reference back to a node still being expanded (a cycle, which ``repr`` prints as ``[...]``) counts as 1.
    """
    n = len(kids)
    cap = MAX_OBJECT_WEIGHT + 1
    weight = [0] * n  # 0: not done
    depth = [0] * n
    on_path = bytearray(n)
    best_w = best_d = 0
    for root in range(n):
        if weight[root]:
            continue
        todo: list[tuple[int, int]] = [(root, 0)]
        on_path[root] = 1
        while todo:
            node, i = todo[-1]
            ch = kids[node]
            if i < len(ch):
                todo[-1] = (node, i + 1)
                c = ch[i]
                if not weight[c] and not on_path[c]:
                    on_path[c] = 1
                    todo.append((c, 0))
                continue
            w, d = 1 + leaves[node], 0
            for c in ch:
                if weight[c]:
                    w += weight[c]
                    d = max(d, depth[c])
                else:  # on the current path: a cycle
                    w += 1
                if w >= cap:
                    w = cap
                    break
            weight[node], depth[node] = w, d + 1
            on_path[node] = 0
            todo.pop()
            best_w, best_d = max(best_w, w), max(best_d, d + 1)
            if best_w >= cap or best_d > MAX_NESTING:
                return best_w, best_d
    return best_w, best_d
