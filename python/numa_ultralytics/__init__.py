"""numa_ultralytics: YOLO instance segmentation and tracking on ONNX Runtime with a Rust core.

A drop-in for the Ultralytics Python API (``from numa_ultralytics import YOLO``), without torch.
"""

from numa_ultralytics._core import __version__  # Cargo.toml's version, compiled in
from numa_ultralytics.engine.distributed import track_videos  # many videos on Ray (the optional extra)
from numa_ultralytics.engine.model import YOLO

__all__ = ["YOLO", "__version__", "track_videos"]
