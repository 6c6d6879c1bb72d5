"""Deep OC-SORT: OC-SORT with camera-motion compensation for its XYAH state and, with ``with_reid``, appearance
embeddings (``numa_ultralytics._core.TrackerCore``, ``rust/src/deepocsort.rs``); the camera motion is estimated
here (``GMC``, OpenCV).

Behaves like Ultralytics 8.4.190's ``DeepOCSORT``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .oc_sort import OCSORT
from .utils.gmc import GMC
from .utils.reid import build_encoder


class DeepOCSORT(OCSORT):
    """Deep OC-SORT multi-object tracker.

    Args:
        args: a tracker config (``load_tracker_config`` output, or any object/dict with its keys).
        frame_rate: video frame rate; lost tracks live ``int(frame_rate / 30 * track_buffer)`` frames.

    With ``with_reid: True`` every frame needs ``feats``: float32 ``(n, d)``, one embedding per detection row (the
    detector's own features with ``model: auto``, else computed here by the ONNX embedding model ``model``).
    """

    _kind = "deepocsort"
    _extra_keys: tuple[str, ...] = (
        *OCSORT._extra_keys,
        "gmc_method",
        "with_reid",
        "proximity_thresh",
        "appearance_thresh",
        "alpha_fixed_emb",
    )

    def __init__(self, args: Any, frame_rate: int = 30) -> None:
        super().__init__(args, frame_rate)
        self.gmc = GMC(method=self.args.gmc_method)
        self.proximity_thresh = self.args.proximity_thresh
        self.appearance_thresh = self.args.appearance_thresh
        self.alpha_fixed_emb = self.args.alpha_fixed_emb
        self.encoder, self.needs = build_encoder(self.args)

    def update(self, results: Any, img: np.ndarray | None = None, feats: Any = None, **kwargs: Any) -> np.ndarray:
        """Track one frame (see ``BYTETracker.update``); ``feats`` are the detections' embeddings (ReID), used only
        with ``with_reid``."""
        from .byte_tracker import _as_dets

        dets = _as_dets(results)
        if self.encoder is not None and img is not None and len(dets):
            feats = self.encoder(img, dets[:, :4])
        f = None
        if self.args.with_reid and feats is not None and len(feats):
            f = np.ascontiguousarray(np.asarray(feats, dtype=np.float32))
            if f.ndim != 2:
                raise ValueError(f"feats must have shape (n, d), one row per detection, got {f.shape}")
        return self._core.update(dets, self._warp(dets, img), f)

    def _warp(self, dets: np.ndarray, img: np.ndarray | None) -> np.ndarray | None:
        if self.gmc.method is None or img is None:
            return None
        try:  # like the original: any GMC failure silently falls back to identity
            high = dets[self._core.high_indices(dets), :4]
            warp = np.asarray(self.gmc.apply(img, high), dtype=np.float64)
            if warp.shape != (2, 3) or not np.isfinite(warp).all():
                raise ValueError(f"bad warp {warp!r}")
        except Exception:  # noqa: BLE001
            warp = np.eye(2, 3)
        return np.ascontiguousarray(warp)

    def reset(self) -> None:
        """Forget all tracks and the previous frame of the motion compensation."""
        super().reset()
        self.gmc.reset_params()
