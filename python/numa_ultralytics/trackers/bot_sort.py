"""BoT-SORT: ByteTrack's association with the XYWH Kalman filter, camera-motion compensation (``GMC``, OpenCV,
here in Python; the warp is applied to the tracks in Rust) and, with ``with_reid: True``, appearance: the detector's
own features (``model: auto``, pooled by the predictor) or an ONNX embedding model's (``model: path.onnx``).

Behaves like Ultralytics 8.4.190's ``BOTSORT``. The facade is ``byte_tracker.Tracker``.
"""

from __future__ import annotations

from .byte_tracker import BYTETracker


class BOTSORT(BYTETracker):
    """BoT-SORT multi-object tracker (``botsort.yaml``). See ``byte_tracker.Tracker``.

    Raises:
        ValueError: ``gmc_method`` is unknown, or the ReID ``model`` is not ``auto`` or an ``.onnx`` file.
    """

    _kind = "botsort"
