"""BoT-SORT (without ReID): ByteTrack's association with the XYWH Kalman filter and camera-motion
compensation (``GMC``, OpenCV, here in Python); the warp is applied to the tracks in Rust.

Behaves like Ultralytics 8.4.190's ``BOTSORT`` with ``with_reid: False``.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from .byte_tracker import BYTETracker
from .utils.gmc import GMC

LOGGER = logging.getLogger("numa_ultralytics")


class BOTSORT(BYTETracker):
    """BoT-SORT multi-object tracker.

    Args:
        args: a tracker config (``load_tracker_config`` output, or any object/dict with its keys).
        frame_rate: video frame rate; lost tracks live ``int(frame_rate / 30 * track_buffer)`` frames.

    Raises:
        ValueError: ``with_reid`` is requested (no ReID model is available) or ``gmc_method`` is unknown.
    """

    _kind = "botsort"

    def __init__(self, args: Any, frame_rate: int = 30) -> None:
        super().__init__(args, frame_rate)
        if self.args.with_reid:
            raise ValueError("with_reid=True is not supported: no ReID model is available (use with_reid: False)")
        self.gmc = GMC(method=self.args.gmc_method)
        self.proximity_thresh = self.args.proximity_thresh
        self.appearance_thresh = self.args.appearance_thresh
        self.encoder = None

    def _warp(self, dets: np.ndarray, img: np.ndarray | None) -> np.ndarray | None:
        if self.gmc.method is None or img is None:
            return None
        try:
            high = dets[self._core.high_indices(dets), :4]  # the tracker's own high/low split
            warp = np.asarray(self.gmc.apply(img, high), dtype=np.float64)
            if warp.shape != (2, 3) or not np.isfinite(warp).all():
                raise ValueError(f"bad warp {warp!r}")
        except Exception as e:  # noqa: BLE001 - like Ultralytics: any GMC failure falls back to identity
            LOGGER.warning(f"GMC failed, falling back to identity: {e}")
            warp = np.eye(2, 3)
        return np.ascontiguousarray(warp)

    def reset(self) -> None:
        """Forget all tracks and the previous frame of the motion compensation."""
        super().reset()
        self.gmc.reset_params()
