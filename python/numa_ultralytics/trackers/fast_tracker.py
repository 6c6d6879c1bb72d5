"""FastTrack: ByteTrack with occlusion handling (``numa_ultralytics._core.TrackerCore``, ``rust/src/fasttrack/``).

Behaves like Ultralytics 8.4.190's ``FASTTracker``: an unmatched track mostly covered by a track updated this frame
is flagged occluded, its Kalman state rolled back to an earlier frame, enlarged and slowed down; occluded tracks get
a grace period before going lost and, once lost, stay re-findable longer; new tracks overlapping active ones are not
started; only tracks updated this frame are returned. The facade is ``byte_tracker.Tracker``.
"""

from __future__ import annotations

from .byte_tracker import BYTETracker


class FASTTracker(BYTETracker):
    """FastTrack multi-object tracker (``fasttrack.yaml``). See ``byte_tracker.Tracker``."""

    _kind = "fasttrack"


__all__ = ["FASTTracker"]
