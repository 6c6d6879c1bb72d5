"""``.pt`` -> cached ``.onnx``: the checkpoint reader (:mod:`numa_ultralytics.nn.checkpoint`) feeds the graph builder
(:mod:`numa_ultralytics.nn.onnx_builder`); the result is cached under the checkpoint's sha256.

Public API: :func:`pt_to_onnx` (path of the cached ONNX graph) and, re-exported, :func:`load_checkpoint`.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Callable

from numa_ultralytics.nn.checkpoint import PathLike, load_checkpoint
from numa_ultralytics.nn.onnx_builder import BUILDER_VERSION, build_onnx, head_topk
from numa_ultralytics.nn.safety import UnsafeCheckpointError
from numa_ultralytics.utils.downloads import cache_dir

__all__ = ["UnsafeCheckpointError", "load_checkpoint", "onnx_cache_name", "pt_to_onnx", "write_atomic"]

LOGGER = logging.getLogger("numa_ultralytics")


# --------------------------------------------------------------------------------------------------------------------
# .pt -> cached .onnx
# --------------------------------------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_atomic(data: bytes, target: Path) -> None:
    """Write ``data`` to ``target`` through a temporary file in its folder renamed into place (never half a file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; the cache is a plain shareable file
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def onnx_cache_name(
    pt_path: PathLike, sha256: str, nms: bool | None = None, topk: tuple[int, bool] | None = None
) -> str:
    """File name of the ONNX built from a checkpoint for ``nms``:
    ``<stem>.<sha256[:16]>.b<builder version>.<head>.onnx``, ``<head>`` ``one2one`` for ``nms=False`` (the one-to-one
    head when the checkpoint has one) and ``one2many`` otherwise (the one-to-many head when it has one). With the
    checkpoint's sha256 this fixes the head built (nn/onnx_builder.py ``head_end2end``), so graphs of the two heads
    never share an entry; a checkpoint with a single head gets the same graph under both names."""
    head = "one2one" if nms is False else "one2many"
    if topk is not None and topk != head_topk(0, False):  # a one-to-one head's other top-k (``head_topk``)
        head += f".k{topk[0]}" + (".agnostic" if topk[1] else "")
    return f"{Path(pt_path).stem}.{sha256[:16]}.b{BUILDER_VERSION}.{head}.onnx"


def _checksum_path(target: Path) -> Path:
    """The file beside a cached ONNX that records the ONNX's own sha256 (written after it, checked on every use)."""
    return target.with_name(target.name + ".sha256")


def _cache_entry_ok(target: Path) -> bool:
    """True when the cached ONNX exists and its sha256 is the one recorded beside it when it was built."""
    try:
        if not target.is_file() or target.stat().st_size == 0:
            return False
        recorded = _checksum_path(target).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return False
    try:
        return len(recorded) == 64 and _sha256(target) == recorded
    except OSError:
        return False


def cached_graph(target: Path, build: Callable[[], bytes], source: Path, what: str) -> Path:
    """The cache entry ``target`` when it matches the sha256 recorded beside it; else ``build()``'s bytes written
    there (atomically, then the sidecar ``<name>.sha256``), with a warning naming a corrupted, truncated or replaced
    entry that is rebuilt. ``what`` names the graph in messages ("ONNX built", "fp16 graph"); ``RuntimeError`` when
    the cache cannot be written. The one cache rule of ``pt_to_onnx`` and nn/fp16.py ``fp16_onnx``."""
    if _cache_entry_ok(target):
        return target
    if target.exists() or _checksum_path(target).exists():
        LOGGER.warning(
            f"cached {target} does not match the checksum recorded when it was written (corrupted, truncated or "
            f"replaced); rebuilding the {what} from {source}"
        )
    data = build()
    try:
        write_atomic(data, target)
        write_atomic(hashlib.sha256(data).hexdigest().encode("ascii") + b"\n", _checksum_path(target))
    except OSError as e:
        raise RuntimeError(
            f"cannot write the {what} from {source} to the cache {target}: {e} (delete the cache entry {target} and "
            f"{_checksum_path(target).name}, or set NUMA_ULTRALYTICS_CACHE_DIR to a writable folder)"
        ) from e
    return target


def pt_to_onnx(path: PathLike, nms: bool | None = None, topk: tuple[int, bool] | None = None) -> Path:
    """Return the path of the ONNX graph built from an Ultralytics ``.pt`` checkpoint, building it on first use.

    ``nms`` picks the detection head as 8.4.190 does (nn/onnx_builder.py ``head_end2end``): the one-to-many head
    (then NMS) unless ``nms=False`` asks for the one-to-one (NMS-free) one, or fusion left only that one. The graph's
    ``end2end`` metadata says which was built; the caller warns when it is not the one asked for
    (``head_warning``). ``topk``: ``(k, agnostic_nms)`` of a one-to-one head (nn/onnx_builder.py ``head_topk``;
    None: 300 rows, per class).

    The graph (dynamic batch/height/width, outputs and metadata as the Ultralytics ONNX export) is cached under a
    name keyed by the checkpoint's sha256 in the user cache (``$NUMA_ULTRALYTICS_CACHE_DIR``, else
    ``~/.cache/numa_ultralytics``); the checkpoint's own folder is never written to (it is often shared or
    read-only, and root would write there anyway). A later call with the same checkpoint returns the cached
    file without rebuilding it, after checking it against the sha256 recorded beside it (``<name>.onnx.sha256``):
    a corrupted, truncated or swapped cache entry is rebuilt (with a warning naming it), never used.

    Raises:
        FileNotFoundError: no such file.
        ValueError: truncated/corrupt/non-zip/wrong-content file; ``UnsafeCheckpointError`` (a ValueError) for a
            disallowed global in its pickle or a file over the reader's safety limits (zip-slip names, zip bombs,
            memo/recursion bombs, tensors expanding beyond their storage). Untrusted files are safe to pass.
        NotImplementedError: the architecture (task or a module) is not supported; the message names it.
        RuntimeError: the cache entry cannot be written (the message names the cache path).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    target = cache_dir() / onnx_cache_name(path, _sha256(path), nms, topk)
    k, agnostic = topk if topk is not None else head_topk(0, False)

    def build() -> bytes:
        return build_onnx(
            load_checkpoint(path), source=path, feature_outputs=True, nms=nms, max_det=k, agnostic_nms=agnostic
        ).SerializeToString()

    return cached_graph(target, build, path, "ONNX graph")
