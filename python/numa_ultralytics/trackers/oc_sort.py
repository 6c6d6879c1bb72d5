"""OC-SORT: ByteTrack's frame with observation-centric re-update (ORU), velocity-direction cost (OCM) and
recovery (OCR) (``numa_ultralytics._core.TrackerCore``, ``rust/src/ocsort.rs``).

Behaves like Ultralytics 8.4.190's ``OCSORT``.
"""

from __future__ import annotations

from .byte_tracker import BYTETracker


class OCSORT(BYTETracker):
    """OC-SORT multi-object tracker.

    Args:
        args: a tracker config (``load_tracker_config`` output, or any object/dict with its keys).
        frame_rate: video frame rate; lost tracks live ``int(frame_rate / 30 * track_buffer)`` frames.
    """

    _kind = "ocsort"
    _extra_keys: tuple[str, ...] = ("delta_t", "inertia", "use_byte")
