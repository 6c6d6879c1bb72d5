"""Deep OC-SORT: OC-SORT with camera-motion compensation for its XYAH state and, with ``with_reid``, appearance
embeddings (``numa_ultralytics._core.TrackerCore``, ``rust/src/deepocsort.rs``); the camera motion is estimated
here (``GMC``, OpenCV).

Behaves like Ultralytics 8.4.190's ``DeepOCSORT``. The facade is ``byte_tracker.Tracker``.
"""

from __future__ import annotations

from .oc_sort import OCSORT


class DeepOCSORT(OCSORT):
    """Deep OC-SORT multi-object tracker (``deepocsort.yaml``). See ``byte_tracker.Tracker``.

    With ``with_reid: True`` every frame needs ``feats``: float32 ``(n, d)``, one embedding per detection row (the
    detector's own features with ``model: auto``, else computed here by the ONNX embedding model ``model``).
    """

    _kind = "deepocsort"
