"""Model backends: ONNX Runtime inference and the torch-free ``.pt`` -> ONNX conversion.

``pt_to_onnx`` / ``load_checkpoint`` live in :mod:`numa_ultralytics.nn.pt_loader` (imported lazily here so that
importing this package stays cheap).
"""

from __future__ import annotations

from typing import Any

__all__ = ["load_checkpoint", "pt_to_onnx"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from numa_ultralytics.nn import pt_loader

        return getattr(pt_loader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
