"""Model backends: ONNX Runtime inference and the torch-free ``.pt`` -> ONNX conversion.

``load_checkpoint`` (:mod:`numa_ultralytics.nn.checkpoint`, the reader) and ``pt_to_onnx``
(:mod:`numa_ultralytics.nn.pt_loader`, build + cache) are imported lazily here so that importing this package
stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["load_checkpoint", "pt_to_onnx"]


def __getattr__(name: str) -> Any:
    if name == "load_checkpoint":
        from numa_ultralytics.nn.checkpoint import load_checkpoint

        return load_checkpoint
    if name == "pt_to_onnx":
        from numa_ultralytics.nn.pt_loader import pt_to_onnx

        return pt_to_onnx
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
