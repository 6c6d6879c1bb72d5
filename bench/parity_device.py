"""``parity.py --pkg parity_device``: numa_ultralytics' ``YOLO`` with ``device`` (and ``half``) taken from
``NUMA_PARITY_DEVICE`` / ``NUMA_PARITY_HALF`` on every predict / track call, for ../shared/tools/parity.py, which
has no device option (bench/gpu_check.sh puts bench/ on PYTHONPATH and sets NUMA_PARITY_DEVICE=0).
"""

from __future__ import annotations

import os
from typing import Any

from numa_ultralytics import YOLO as _YOLO


def _device_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    dev = os.environ.get("NUMA_PARITY_DEVICE")
    if dev:
        kwargs.setdefault("device", int(dev) if dev.isdigit() else dev)
    if os.environ.get("NUMA_PARITY_HALF", "") in ("1", "true"):
        kwargs.setdefault("half", True)
    return kwargs


class YOLO(_YOLO):
    def predict(self, source: Any = None, stream: bool = False, **kwargs: Any) -> Any:
        return super().predict(source, stream=stream, **_device_kwargs(kwargs))

    def track(self, source: Any = None, stream: bool = False, persist: bool = False, **kwargs: Any) -> Any:
        return super().track(source, stream=stream, persist=persist, **_device_kwargs(kwargs))
