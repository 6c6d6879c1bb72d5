"""numa_ultralytics: YOLO instance segmentation and tracking on ONNX Runtime with a Rust core.

A drop-in for the Ultralytics Python API (``from numa_ultralytics import YOLO``), without torch.
"""

__version__ = "0.1.0"

from numa_ultralytics.engine.model import YOLO  # noqa: E402

__all__ = ["YOLO", "__version__"]
