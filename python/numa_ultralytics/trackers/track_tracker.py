"""TrackTrack: track-perspective association (HMIoU, confidence, corner-angle and optional ReID costs, iterative
assignment) and track-aware initialisation, with camera-motion compensation (``GMC``, OpenCV, here in Python) and
the detections the frame's NMS removed (``dets_del``) as extra low-priority candidates. The tracker runs in Rust
(``numa_ultralytics._core.TrackerCore("tracktrack", ...)``, ``rust/src/tracktrack.rs``).

Behaves like Ultralytics 8.4.190's ``TRACKTRACK``.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import numpy as np

from numa_ultralytics import _core

from .bot_sort import BOTSORT
from .byte_tracker import TrackState, TrackView, _as_dets
from .config import DEFAULTS
from .utils.gmc import GMC
from .utils.reid import build_encoder

LOGGER = logging.getLogger("numa_ultralytics")


def _det_xyxy(dets: np.ndarray) -> np.ndarray:
    """The boxes a detection track reports (``STrack.xyxy`` before activation): xyxy -> xywh (float32) -> tlwh
    (float64, then float32) -> xyxy (float32), the boxes the original hands to the camera-motion estimate."""
    x1, y1, x2, y2 = (dets[:, k] for k in range(4))
    cx, cy, w, h = (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1
    tlx = (cx.astype(np.float64) - w.astype(np.float64) / 2).astype(np.float32)
    tly = (cy.astype(np.float64) - h.astype(np.float64) / 2).astype(np.float32)
    return np.stack([tlx, tly, w + tlx, h + tly], axis=1)


class TRACKTRACK(BOTSORT):
    """TrackTrack multi-object tracker.

    Args:
        args: a tracker config (``load_tracker_config("tracktrack.yaml")`` output, or any object/dict with its keys).
        frame_rate: accepted for symmetry with the other trackers; TrackTrack keeps lost tracks ``track_buffer``
            frames whatever the frame rate (as the original does).
    """

    _kind = "tracktrack"
    _extra_keys: tuple[str, ...] = (
        "lost_match_thr",
        "penalty_p",
        "penalty_q",
        "reduce_step",
        "iou_weight",
        "reid_weight",
        "conf_weight",
        "angle_weight",
        "tai_thr",
        "min_track_len",
        "with_reid",
    )
    needs: frozenset[str] = frozenset({"dets_del"})

    def __init__(self, args: Any, frame_rate: int = 30) -> None:
        cfg = dict(vars(args)) if not isinstance(args, dict) else dict(args)
        cfg = {**DEFAULTS[self._kind], **cfg, "tracker_type": self._kind}
        self.args = SimpleNamespace(**cfg)
        self.frame_rate = frame_rate
        self.max_time_lost = int(cfg["track_buffer"])
        self.max_frames_lost = self.max_time_lost
        self.with_reid = bool(cfg["with_reid"])
        self.encoder, needs = build_encoder(self.args)
        self.needs = frozenset({"dets_del"}) | needs
        self._core = _core.TrackerCore(
            self._kind,
            track_high_thresh=float(cfg["track_high_thresh"]),
            track_low_thresh=float(cfg["track_low_thresh"]),
            new_track_thresh=float(cfg["new_track_thresh"]),
            match_thresh=float(cfg["match_thresh"]),
            fuse_score=False,  # not a TrackTrack setting
            max_time_lost=self.max_time_lost,
            **{k: cfg[k] for k in self._extra_keys},
        )
        self.gmc = GMC(method=cfg["gmc_method"])

    def update(
        self,
        results: Any,
        img: np.ndarray | None = None,
        feats: Any = None,
        dets_del: np.ndarray | None = None,
        **kwargs: Any,
    ) -> np.ndarray:
        """Track one frame.

        Args:
            results: float32 ``(n, 6)`` detections ``[x1, y1, x2, y2, conf, cls]`` in original-image pixels, or a
                ``Boxes``-like object.
            img: the BGR frame (camera-motion compensation).
            feats: ``(n, d)`` embeddings of the detections (``with_reid: True``, ``model: auto``; with a ReID model
                path they are computed from ``img``).
            dets_del: float32 ``(k, 6)`` detections the frame's NMS removed (``Results.dets_del``), or None.

        Returns:
            float32 ``(m, 8)`` ``[x1, y1, x2, y2, track_id, score, cls, idx]``; ``idx`` is -1 for a track matched to
            a recovered (NMS-removed) detection.
        """
        dets = _as_dets(results)
        if self.encoder is not None and img is not None and len(dets):
            feats = self.encoder(img, dets[:, :4])
        f = None if (not self.with_reid or feats is None) else np.ascontiguousarray(feats, dtype=np.float32)
        d = None
        if dets_del is not None:
            d = np.ascontiguousarray(dets_del, dtype=np.float32).reshape(-1, 6)
        return self._core.update(dets, self._warp(dets, img), f, d)

    @property
    def tracked_stracks(self) -> list[TrackView]:
        """Snapshots of the tracked tracks, confirmed (Tracked) and not yet (New), in tracker order."""
        return [t for t in self._views() if t.state in (TrackState.New, TrackState.Tracked)]

    @property
    def lost_stracks(self) -> list[TrackView]:
        """Snapshots of the lost tracks, in tracker order (a track dropped this frame stays there, marked Removed,
        until the next frame, as in the original)."""
        return [t for t in self._views() if t.state in (TrackState.Lost, TrackState.Removed)]

    def _warp(self, dets: np.ndarray, img: np.ndarray | None) -> np.ndarray | None:
        if self.gmc.method is None or img is None:
            return None
        try:
            high = _det_xyxy(dets[self._core.high_indices(dets)])
            warp = np.asarray(self.gmc.apply(img, high), dtype=np.float64)
            if warp.shape != (2, 3) or not np.isfinite(warp).all():
                raise ValueError(f"bad warp {warp!r}")
        except Exception as e:  # noqa: BLE001 - like Ultralytics: any GMC failure falls back to identity
            LOGGER.warning(f"GMC failed, falling back to identity: {e}")
            warp = np.eye(2, 3)
        return np.ascontiguousarray(warp)


__all__ = ["TRACKTRACK"]
