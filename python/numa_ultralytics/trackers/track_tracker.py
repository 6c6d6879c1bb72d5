"""TrackTrack: track-perspective association (HMIoU, confidence, corner-angle and optional ReID costs, iterative
assignment) and track-aware initialisation, with camera-motion compensation (``GMC``, OpenCV, here in Python) and
the detections the frame's NMS removed (``dets_del``) as extra low-priority candidates. The tracker runs in Rust
(``rust/src/tracktrack/``); the facade is ``byte_tracker.Tracker``.

Behaves like Ultralytics 8.4.190's ``TRACKTRACK``: lost tracks live ``track_buffer`` frames whatever the frame
rate; a track not yet confirmed is in ``tracked_stracks`` with state New.
"""

from __future__ import annotations

from .bot_sort import BOTSORT


class TRACKTRACK(BOTSORT):
    """TrackTrack multi-object tracker (``tracktrack.yaml``). See ``byte_tracker.Tracker``."""

    _kind = "tracktrack"
    _frame_needs = frozenset({"dets_del"})


__all__ = ["TRACKTRACK"]
