"""FastTrack: ByteTrack with occlusion handling (``numa_ultralytics._core.TrackerCore``, ``kind="fasttrack"``).

Behaves like Ultralytics 8.4.190's ``FASTTracker``: an unmatched track mostly covered by a track updated this frame
is flagged occluded, its Kalman state rolled back to an earlier frame, enlarged and slowed down; occluded tracks get
a grace period before going lost and, once lost, stay re-findable longer; new tracks overlapping active ones are not
started; only tracks updated this frame are returned.
"""

from __future__ import annotations

from .byte_tracker import BYTETracker


class FASTTracker(BYTETracker):
    """FastTrack multi-object tracker.

    Args:
        args: a tracker config (``load_tracker_config`` output, or any object/dict with its keys).
        frame_rate: video frame rate; lost tracks live ``int(frame_rate / 30 * track_buffer)`` frames.
    """

    _kind = "fasttrack"
    _extra_keys = (
        "reset_velocity_offset_occ",
        "reset_pos_offset_occ",
        "enlarge_bbox_occ",
        "dampen_motion_occ",
        "active_occ_to_lost_thresh",
        "occ_cover_thresh",
        "occ_reappear_window",
        "init_iou_suppress",
    )


__all__ = ["FASTTracker"]
