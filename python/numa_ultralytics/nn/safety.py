"""Helpers that keep untrusted model files harmless: bounded formatting, the ONNX external-data check, and the error
every refusal of an untrusted checkpoint raises.

- :class:`UnsafeCheckpointError` (a ``ValueError``): a ``.pt`` file was refused (a global outside the allow-list, a
  limit of the archive or the pickle); nothing from the file was executed.

- :func:`short_repr` (utils/reprs.py, re-exported here) formats a value read from an untrusted file for an error
  message: depth-, length- and size-limited, so a self-referencing structure prints in microseconds.
- :func:`check_onnx_external_data` refuses an ONNX model whose tensors keep their data in a file outside the model's
  folder (an absolute path, ``..``, or a symlink that leads out), before ONNX Runtime opens anything.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from numa_ultralytics.utils.reprs import short_repr

__all__ = ["UnsafeCheckpointError", "check_onnx_external_data", "short_repr"]


class UnsafeCheckpointError(ValueError):
    """The checkpoint's pickle references a global outside the allow-list (nothing from it was executed)."""


# --------------------------------------------------------------------------------------------------------------------
# ONNX external data
# --------------------------------------------------------------------------------------------------------------------


def _tensors(graph: Any) -> Iterator[Any]:
    """Every TensorProto of a graph: initializers, sparse initializers, node attributes, subgraphs (If/Loop/Scan)."""
    yield from graph.initializer
    for sp in graph.sparse_initializer:
        yield sp.values
        yield sp.indices
    for node in graph.node:
        yield from _node_tensors(node)


def _node_tensors(node: Any) -> Iterator[Any]:
    for attr in node.attribute:
        if attr.HasField("t"):
            yield attr.t
        yield from attr.tensors
        if attr.HasField("sparse_tensor"):
            yield attr.sparse_tensor.values
            yield attr.sparse_tensor.indices
        for sp in attr.sparse_tensors:
            yield sp.values
            yield sp.indices
        if attr.HasField("g"):
            yield from _tensors(attr.g)
        for g in attr.graphs:
            yield from _tensors(g)


def check_onnx_external_data(path: str | os.PathLike[str]) -> None:
    """Refuse an ONNX model whose external tensor data lies outside the model's folder.

    The model is parsed without its external data (``onnx.load(..., load_external_data=False)``); every tensor with
    ``data_location == EXTERNAL`` must name a relative ``location`` that stays inside the folder of ``path`` once
    symlinks are resolved. Nothing is read from the external files.

    Raises:
        ValueError: the file is not a parsable ONNX model, or an external-data location is absolute, leaves the
            model's folder (``..``, a symlink) or is malformed. The message names the location.
    """
    import onnx
    from onnx import TensorProto

    path = Path(path)
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as e:  # protobuf DecodeError and friends
        raise ValueError(f"could not load ONNX model {path}: not a valid ONNX file ({type(e).__name__})") from e
    base = path.resolve().parent
    tensors: list[Any] = list(_tensors(model.graph))
    for fn in model.functions:
        for node in fn.node:
            tensors.extend(_node_tensors(node))
    for t in tensors:
        if t.data_location != TensorProto.EXTERNAL and not len(t.external_data):
            continue
        entries = {e.key: e.value for e in t.external_data}
        loc = entries.get("location")
        if not loc:
            raise ValueError(f"{path}: tensor {short_repr(t.name)} has external data without a location")
        if (
            "\x00" in loc
            or PurePosixPath(loc).is_absolute()
            or PureWindowsPath(loc).is_absolute()
            or (PureWindowsPath(loc).drive)
        ):
            raise ValueError(
                f"{path}: refused: tensor {short_repr(t.name)} keeps its data at the absolute path "
                f"{short_repr(loc)}; external data must lie in the model's folder"
            )
        parts = PureWindowsPath(loc).parts  # splits on both / and \
        target = (base / Path(*parts)).resolve() if parts else base
        if ".." in parts or base not in target.parents:
            raise ValueError(
                f"{path}: refused: tensor {short_repr(t.name)} keeps its data at {short_repr(loc)}, outside the "
                f"model's folder {base}"
            )
