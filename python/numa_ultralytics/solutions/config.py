"""``SolutionConfig``: the arguments every solution takes, with 8.4.190's names and defaults (the only place they are
written), and ``update``'s check of the keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2

SOLUTION_ARGS_URL = "https://docs.ultralytics.com/solutions#solutions-arguments"


@dataclass
class SolutionConfig:
    """Ultralytics 8.4.190's solution arguments (``solutions/config.py``): ``source`` (CLI only), ``model``,
    ``classes``, ``show_conf``, ``show_labels``, ``show_boxes``, ``region``, ``colormap``, ``show_in``, ``show_out``,
    ``up_angle``, ``down_angle``, ``kpts``, ``analytics_type``, ``figsize``, ``blur_ratio``, ``vision_point``,
    ``crop_dir``, ``json_file``, ``line_width``, ``records``, ``fps``, ``max_hist``, ``meter_per_pixel``, ``max_speed``,
    ``show``, ``iou``, ``conf``, ``device``, ``max_det``, ``quantize``, ``imgsz``, ``tracker`` (default
    ``tracktrack.yaml``), ``verbose``, ``data``."""

    source: str | None = None
    model: str | None = None
    classes: list[int] | None = None
    show_conf: bool = True
    show_labels: bool = True
    show_boxes: bool = True
    region: list[tuple[int, int]] | None = None
    colormap: int | None = cv2.COLORMAP_DEEPGREEN
    show_in: bool = True
    show_out: bool = True
    up_angle: float = 145.0
    down_angle: float = 90.0
    kpts: list[int] = field(default_factory=lambda: [6, 8, 10])
    analytics_type: str = "line"
    figsize: tuple[float, float] | None = (12.8, 7.2)
    blur_ratio: float = 0.5
    vision_point: tuple[int, int] = (20, 20)
    crop_dir: str = "cropped-detections"
    json_file: str | None = None
    line_width: int = 2
    records: int = 5
    fps: float = 30.0
    max_hist: int = 5
    meter_per_pixel: float = 0.05
    max_speed: int = 120
    show: bool = False
    iou: float = 0.7
    conf: float = 0.25
    device: str | None = None
    max_det: int = 300
    quantize: int | str | None = None
    imgsz: int = 640
    tracker: str = "tracktrack.yaml"
    verbose: bool = True
    data: str = "images"

    def update(self, **kwargs: Any) -> SolutionConfig:
        """Set the given arguments; deprecated ones are mapped first, with a warning (utils/args.py
        ``handle_deprecation``: ``half`` becomes ``quantize`` 16 or None, ``hide_labels`` ``show_labels``, ...). An
        unknown key is a ``ValueError`` naming it."""
        from numa_ultralytics.utils.args import handle_deprecation

        for key, value in handle_deprecation(kwargs).items():
            if hasattr(self, key):
                setattr(self, key, value)
            else:
                raise ValueError(f"{key} is not a valid solution argument, see {SOLUTION_ARGS_URL}")
        return self
