"""BoT-SORT: ByteTrack's association with the XYWH Kalman filter, camera-motion compensation (``GMC``, OpenCV,
here in Python; the warp is applied to the tracks in Rust) and, with ``with_reid: True``, appearance: the detector's
own features (``model: auto``, pooled by the predictor) or an ONNX embedding model's (``model: path.onnx``).

Behaves like Ultralytics 8.4.190's ``BOTSORT``.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from .byte_tracker import BYTETracker, _as_dets
from .utils.gmc import GMC
from .utils.reid import build_encoder

LOGGER = logging.getLogger("numa_ultralytics")


class BOTSORT(BYTETracker):
    """BoT-SORT multi-object tracker.

    Args:
        args: a tracker config (``load_tracker_config`` output, or any object/dict with its keys).
        frame_rate: video frame rate; lost tracks live ``int(frame_rate / 30 * track_buffer)`` frames.

    Raises:
        ValueError: ``gmc_method`` is unknown, or the ReID ``model`` is not ``auto`` or an ``.onnx`` file.
    """

    _kind = "botsort"
    _extra_keys: tuple[str, ...] = ("with_reid", "proximity_thresh", "appearance_thresh")

    def __init__(self, args: Any, frame_rate: int = 30) -> None:
        super().__init__(args, frame_rate)
        self.gmc = GMC(method=self.args.gmc_method)
        self.proximity_thresh = self.args.proximity_thresh
        self.appearance_thresh = self.args.appearance_thresh
        self.encoder, self.needs = build_encoder(self.args)

    def update(self, results: Any, img: np.ndarray | None = None, feats: Any = None, **kwargs: Any) -> np.ndarray:
        """Track one frame; ``feats`` (n, d): the detections' ReID features (``model: auto``), else computed by
        the embedding model from ``img`` when ReID is on. See ``BYTETracker.update``."""
        dets = _as_dets(results)
        if self.encoder is not None and img is not None and len(dets):
            feats = self.encoder(img, dets[:, :4])
        f = None if feats is None or not len(dets) else np.ascontiguousarray(feats, dtype=np.float32)
        return self._core.update(dets, self._warp(dets, img), f)

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
