"""OC-SORT: ByteTrack's frame with observation-centric re-update (ORU), velocity-direction cost (OCM) and
recovery (OCR) (``numa_ultralytics._core.TrackerCore``, ``rust/src/ocsort/``).

Behaves like Ultralytics 8.4.190's ``OCSORT``. The facade is ``byte_tracker.Tracker``.
"""

from __future__ import annotations

from .byte_tracker import BYTETracker


class OCSORT(BYTETracker):
    """OC-SORT multi-object tracker (``ocsort.yaml``). See ``byte_tracker.Tracker``."""

    _kind = "ocsort"
