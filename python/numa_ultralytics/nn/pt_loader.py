"""``.pt`` -> cached ``.onnx``: the checkpoint reader (:mod:`numa_ultralytics.nn.checkpoint`) feeds the graph builder
(:mod:`numa_ultralytics.nn.onnx_builder`); the result is cached under the checkpoint's sha256.

Public API: :func:`pt_to_onnx` (path of the cached ONNX graph) and, re-exported, :func:`load_checkpoint`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from numa_ultralytics.nn.checkpoint import PathLike, UnsafeCheckpointError, load_checkpoint
from numa_ultralytics.nn.onnx_builder import BUILDER_VERSION, build_onnx
from numa_ultralytics.utils.downloads import cache_dir

__all__ = ["UnsafeCheckpointError", "load_checkpoint", "onnx_cache_name", "pt_to_onnx", "write_atomic"]


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


def onnx_cache_name(pt_path: PathLike, sha256: str) -> str:
    """File name of the ONNX built from a checkpoint: ``<stem>.<sha256[:16]>.b<builder version>.onnx``."""
    return f"{Path(pt_path).stem}.{sha256[:16]}.b{BUILDER_VERSION}.onnx"


def pt_to_onnx(path: PathLike) -> Path:
    """Return the path of the ONNX graph built from an Ultralytics ``.pt`` checkpoint, building it on first use.

    The graph (dynamic batch/height/width, outputs and metadata as the Ultralytics ONNX export) is cached under a
    name keyed by the checkpoint's sha256 in the user cache (``$NUMA_ULTRALYTICS_CACHE_DIR``, else
    ``~/.cache/numa_ultralytics``); the checkpoint's own folder is never written to (it is often shared or
    read-only, and root would write there anyway). A later call with the same checkpoint returns the cached
    file without rebuilding it.

    Raises:
        FileNotFoundError: no such file.
        ValueError: truncated/corrupt/non-zip/wrong-content file, or a disallowed global in its pickle.
        NotImplementedError: the architecture (task or a module) is not supported; the message names it.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    sha = _sha256(path)
    name = onnx_cache_name(path, sha)
    target = cache_dir() / name
    if target.is_file() and target.stat().st_size > 0:
        return target
    ckpt = load_checkpoint(path)
    model = build_onnx(ckpt, source=path)
    data = model.SerializeToString()
    try:
        write_atomic(data, target)
    except OSError as e:
        raise RuntimeError(f"cannot write the ONNX built from {path} to {target}: {e}") from e
    return target
