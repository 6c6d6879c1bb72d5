"""Multi-object trackers: ByteTrack, BoT-SORT, OC-SORT, Deep OC-SORT, FastTrack and TrackTrack (Rust core),
configured like Ultralytics 8.4.190.

from numa_ultralytics.trackers import load_tracker_config, make_tracker
tracker = make_tracker(load_tracker_config("botsort.yaml"))
tracks = tracker.update(dets, frame)  # (m, 8) [x1, y1, x2, y2, id, score, cls, idx]
"""

from __future__ import annotations

from typing import Any

from .bot_sort import BOTSORT
from .byte_tracker import BYTETracker, Tracker
from .config import load_tracker_config
from .deep_oc_sort import DeepOCSORT
from .fast_tracker import FASTTracker
from .oc_sort import OCSORT
from .track_tracker import TRACKTRACK

# Ultralytics' ``TRACKER_MAP`` (tracker_type -> class): each class names its own type (``_kind``, a shipped YAML's).
TRACKER_MAP: dict[str, type[Tracker]] = {
    cls._kind: cls for cls in (BYTETracker, BOTSORT, OCSORT, DeepOCSORT, FASTTracker, TRACKTRACK)
}


def make_tracker(cfg: dict[str, Any], frame_rate: int = 30) -> Tracker:
    """Create the tracker a config names (``cfg["tracker_type"]``), after validating the config.

    Args:
        cfg: a dict as ``load_tracker_config`` returns (missing keys take the shipped defaults).
        frame_rate: frames per second of the stream (Ultralytics' ``track()`` uses 30); a positive number (checked
            by the Rust core with the other settings: ValueError / TypeError).
    """
    cfg = load_tracker_config(cfg)
    cls = TRACKER_MAP.get(cfg["tracker_type"])
    if cls is None:
        raise NotImplementedError(f"tracker_type '{cfg['tracker_type']}' is not implemented yet")
    return cls(cfg, frame_rate=frame_rate)


__all__ = [
    "BOTSORT",
    "OCSORT",
    "TRACKER_MAP",
    "TRACKTRACK",
    "BYTETracker",
    "DeepOCSORT",
    "FASTTracker",
    "Tracker",
    "load_tracker_config",
    "make_tracker",
]
