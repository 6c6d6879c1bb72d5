"""Ultralytics 8.4.190's ``solutions`` on numa_ultralytics' tracking: same classes, arguments (``SolutionConfig``),
results (``SolutionResults``) and drawing (``SolutionAnnotator``).

``Analytics`` needs matplotlib (not a dependency) and is not provided; ``AIGym`` (pose models), ``SecurityAlarm``,
``ParkingManagement``, ``Inference`` and the similarity search are not provided either: using them raises an error
that says so.
"""

from __future__ import annotations

from typing import Any, NoReturn

from .config import SolutionConfig
from .distance_calculation import DistanceCalculation
from .heatmap import Heatmap
from .instance_segmentation import InstanceSegmentation
from .object_blurrer import ObjectBlurrer
from .object_counter import ObjectCounter
from .object_cropper import ObjectCropper
from .queue_management import QueueManager
from .region_counter import RegionCounter
from .solutions import BaseSolution, SolutionAnnotator, SolutionResults
from .speed_estimation import SpeedEstimator
from .trackzone import TrackZone
from .vision_eye import VisionEye


class _Unsupported:
    """A solution of 8.4.190 that numa_ultralytics does not provide: constructing it raises ``reason``."""

    reason = ""
    error: type[Exception] = NotImplementedError

    def __init__(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise self.error(f"solutions.{type(self).__name__}: {self.reason}")


class Analytics(_Unsupported):
    """8.4.190's charts (line, bar, pie, area) are drawn with matplotlib, which numa_ultralytics does not use."""

    error = ImportError
    reason = (
        "the analytics charts need matplotlib, an extra numa_ultralytics does not provide yet "
        "(the 'analytics' extra, matplotlib>=3.3); use Ultralytics for Analytics"
    )


class AIGym(_Unsupported):
    """8.4.190's workout monitoring; it needs a pose model."""

    reason = "workout monitoring needs a pose model, and numa_ultralytics runs detect and segment models only"


class SecurityAlarm(_Unsupported):
    """8.4.190's e-mail alarm."""

    reason = "the security alarm (e-mail alerts) is not implemented in numa_ultralytics"


class ParkingManagement(_Unsupported):
    """8.4.190's parking-slot occupancy."""

    reason = "parking management is not implemented in numa_ultralytics"


class ParkingPtsSelection(_Unsupported):
    """8.4.190's Tk parking-slot editor."""

    reason = "the parking points editor (tkinter) is not implemented in numa_ultralytics"


class Inference(_Unsupported):
    """8.4.190's Streamlit app."""

    reason = "the Streamlit live inference app is not implemented in numa_ultralytics"


class VisualAISearch(_Unsupported):
    """8.4.190's CLIP similarity search."""

    reason = "similarity search (CLIP, FAISS) is not implemented in numa_ultralytics"


class SearchApp(VisualAISearch):
    """8.4.190's Flask similarity-search app."""


__all__ = (
    "AIGym",
    "Analytics",
    "BaseSolution",
    "DistanceCalculation",
    "Heatmap",
    "Inference",
    "InstanceSegmentation",
    "ObjectBlurrer",
    "ObjectCounter",
    "ObjectCropper",
    "ParkingManagement",
    "ParkingPtsSelection",
    "QueueManager",
    "RegionCounter",
    "SearchApp",
    "SecurityAlarm",
    "SolutionAnnotator",
    "SolutionConfig",
    "SolutionResults",
    "SpeedEstimator",
    "TrackZone",
    "VisionEye",
    "VisualAISearch",
)
