"""The tracker facade (``Tracker``): the one Python face of every Rust tracker (``numa_ultralytics._core.TrackerCore``),
fed by the tracker YAML; camera-motion compensation (``GMC``) and the ReID encoder are its components, chosen from
the settings. ``BYTETracker`` (and ``BOTSORT``, ``OCSORT``, ... in their modules) are its Ultralytics names.

ByteTrack behaves like Ultralytics 8.4.190's ``BYTETracker``: same association stages, thresholds, Kalman filter
(XYAH), track life cycle, list order and output rows. IDs are counted per tracker, from 1.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np

from numa_ultralytics import _core

from .config import DEFAULTS
from .utils.gmc import GMC
from .utils.reid import ReID, build_encoder

LOGGER = logging.getLogger("numa_ultralytics")


class TrackState:
    """Track states (``TrackState`` of Ultralytics)."""

    New = 0
    Tracked = 1
    Lost = 2
    Removed = 3


class TrackView:
    """A read-only snapshot of one track (what ``tracker.tracked_stracks`` / ``lost_stracks`` hold)."""

    __slots__ = ("track_id", "state", "is_activated", "frame_id", "start_frame", "score", "cls", "idx")

    def __init__(self, track_id, state, is_activated, frame_id, start_frame, score, cls, idx) -> None:
        self.track_id = int(track_id)
        self.state = int(state)
        self.is_activated = bool(is_activated)
        self.frame_id = int(frame_id)
        self.start_frame = int(start_frame)
        self.score = float(score)
        self.cls = float(cls)
        self.idx = int(idx)

    @property
    def end_frame(self) -> int:
        return self.frame_id

    def __repr__(self) -> str:
        return f"OT_{self.track_id}_({self.start_frame}-{self.end_frame})"


def _as_dets(results: Any) -> np.ndarray:
    """Detections as a C-contiguous float32 ``(n, 6)`` array ``[x1, y1, x2, y2, conf, cls]``.

    Accepts that array (any float dtype; converted like torch float32 -> numpy) or a ``Boxes``-like object
    with ``xyxy``, ``conf`` and ``cls``.
    """
    if not isinstance(results, np.ndarray) and all(hasattr(results, a) for a in ("xyxy", "conf", "cls")):
        xyxy = np.asarray(results.xyxy, dtype=np.float32).reshape(-1, 4)
        conf = np.asarray(results.conf, dtype=np.float32).reshape(-1, 1)
        cls = np.asarray(results.cls, dtype=np.float32).reshape(-1, 1)
        return np.ascontiguousarray(np.concatenate([xyxy, conf, cls], axis=1))
    dets = np.asarray(results, dtype=np.float32)
    if dets.size == 0:
        return np.zeros((0, 6), dtype=np.float32)
    if dets.ndim != 2 or dets.shape[1] != 6:
        raise ValueError(f"dets must have shape (n, 6) [x1, y1, x2, y2, conf, cls], got {dets.shape}")
    return np.ascontiguousarray(dets)


def _kalman_xyxy(dets: np.ndarray) -> np.ndarray:
    """The boxes a detection track reports (``STrack.xyxy`` before activation): xyxy -> xywh (float32) -> tlwh
    (float64, then float32) -> xyxy (float32), the boxes TrackTrack hands to the camera-motion estimate."""
    x1, y1, x2, y2 = (dets[:, k] for k in range(4))
    cx, cy, w, h = (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1
    tlx = (cx.astype(np.float64) - w.astype(np.float64) / 2).astype(np.float32)
    tly = (cy.astype(np.float64) - h.astype(np.float64) / 2).astype(np.float32)
    return np.stack([tlx, tly, w + tlx, h + tly], axis=1)


class Tracker:
    """A multi-object tracker, configured by a tracker YAML (its ``tracker_type`` picks the Rust tracker).

    Args:
        args: a tracker config (``load_tracker_config`` output, or any object/dict with its keys; missing keys take
            the shipped defaults of the tracker type).
        frame_rate: video frame rate; lost tracks live ``int(frame_rate / 30 * track_buffer)`` frames (TrackTrack:
            ``track_buffer`` frames whatever the frame rate, as the original does; the rule is the Rust core's).

    Components, from the settings: ``gmc`` (camera-motion compensation, for the types with a ``gmc_method``; else
    None) and ``encoder`` (the ONNX ReID model with ``with_reid: True`` and a ``model`` path; None with
    ``model: auto``, whose features come from the predictor: ``needs`` then holds ``"feats"``).

    Raises:
        ValueError: a setting is missing, out of range or unknown (``gmc_method``, ReID ``model``); TypeError: a
            setting of the wrong type.
    """

    # The tracker type of a subclass (its Ultralytics name); None: the config's ``tracker_type``.
    _kind: ClassVar[str | None] = None
    # Per-frame inputs beyond boxes and image this tracker type always takes (``trackers/track.py`` ``tracker_needs``).
    _frame_needs: ClassVar[frozenset[str]] = frozenset()
    needs: frozenset[str] = frozenset()

    def __init__(self, args: Any, frame_rate: int = 30) -> None:
        cfg = dict(vars(args)) if not isinstance(args, dict) else dict(args)
        kind = self._kind or cfg.get("tracker_type")
        if kind not in DEFAULTS:
            raise ValueError(f"tracker_type {kind!r} is not supported; allowed values: {sorted(DEFAULTS)}")
        cfg = {**DEFAULTS[kind], **cfg, "tracker_type": kind}
        self.args = SimpleNamespace(**cfg)
        self.frame_rate = frame_rate
        self._core = _core.TrackerCore({**cfg, "frame_rate": frame_rate})
        self.max_time_lost: int = self._core.max_time_lost
        self.max_frames_lost = self.max_time_lost
        self.gmc: GMC | None = GMC(method=cfg["gmc_method"]) if "gmc_method" in DEFAULTS[kind] else None
        self.with_reid = bool(cfg.get("with_reid", False))
        self.encoder: ReID | None
        self.encoder, needs = build_encoder(self.args)
        self.needs = self._frame_needs | needs
        for key in ("proximity_thresh", "appearance_thresh", "alpha_fixed_emb"):
            if key in cfg:
                setattr(self, key, cfg[key])

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
            results: float32 ``(n, 6)`` detections ``[x1, y1, x2, y2, conf, cls]`` in original-image pixels (n may
                be 0), or a ``Boxes``-like object.
            img: the BGR frame (camera-motion compensation; the ReID model's crops).
            feats: ``(n, d)`` embeddings of the detections (``with_reid: True``, ``model: auto``; with a ReID model
                path they are computed from ``img``); ignored without ReID.
            dets_del: float32 ``(k, 6)`` detections the frame's NMS removed (``Results.dets_del``; TrackTrack), or
                None.

        Returns:
            float32 ``(m, 8)`` ``[x1, y1, x2, y2, track_id, score, cls, idx]`` for the tracks shown this frame; the
            box is the Kalman state and ``idx`` the row of ``results`` matched this frame (TrackTrack: -1 for a
            track matched to a recovered, NMS-removed detection).

        Raises:
            ValueError: NaN/inf in the inputs, or a wrong shape.
        """
        dets = _as_dets(results)
        if self.encoder is not None and img is not None and len(dets):
            feats = self.encoder(img, dets[:, :4])
        f = None
        if self.with_reid and feats is not None and len(dets):
            f = np.ascontiguousarray(np.asarray(feats, dtype=np.float32))
            if f.ndim != 2:
                raise ValueError(f"feats must have shape (n, d), one row per detection, got {f.shape}")
        d = None if dets_del is None else np.ascontiguousarray(dets_del, dtype=np.float32).reshape(-1, 6)
        return self._core.update(dets, self._warp(dets, img), f, d)

    def _warp(self, dets: np.ndarray, img: np.ndarray | None) -> np.ndarray | None:
        """The frame's camera-motion warp (float64 ``(2, 3)``), or None without camera-motion compensation. Like
        Ultralytics' GMC, a failed estimate is the identity; here with a warning naming the error."""
        if self.gmc is None or self.gmc.method is None or img is None:
            return None
        try:
            high = dets[self._core.high_indices(dets)]  # the tracker's own high/low split
            boxes = _kalman_xyxy(high) if self._core.kind == "tracktrack" else high[:, :4]
            warp = np.asarray(self.gmc.apply(img, boxes), dtype=np.float64)
            if warp.shape != (2, 3) or not np.isfinite(warp).all():
                raise ValueError(f"bad warp {warp!r}")
        except Exception as e:  # noqa: BLE001 - like Ultralytics: any GMC failure falls back to identity
            LOGGER.warning(f"GMC failed, falling back to identity: {e}")
            warp = np.eye(2, 3)
        return np.ascontiguousarray(warp)

    @property
    def frame_id(self) -> int:
        """Frames seen since creation or the last ``reset``."""
        return self._core.frame_id

    @property
    def has_unconfirmed(self) -> bool:
        """True while a new track waits for confirmation (Ultralytics then shows no boxes for an empty output)."""
        return self._core.has_unconfirmed

    def _views(self) -> list[TrackView]:
        return [TrackView(*t) for t in self._core.tracks()]

    @property
    def tracked_stracks(self) -> list[TrackView]:
        """Snapshots of the tracked tracks, confirmed and not (TrackTrack's not yet confirmed ones are New), in
        tracker order."""
        return [t for t in self._views() if t.state in (TrackState.New, TrackState.Tracked)]

    @property
    def lost_stracks(self) -> list[TrackView]:
        """Snapshots of the lost tracks, in tracker order (with, for one frame, the tracks just removed: state 3)."""
        return [t for t in self._views() if t.state in (TrackState.Lost, TrackState.Removed)]

    # removed_stracks_frame: set on its first read; then trackers/track.py apply_tracker snapshots the pools before
    # each update (note_before_update), so that tracks dropped without lingering (unconfirmed ones) are found too.
    _removed_watch = False
    _before: tuple[int, list[TrackView]] | None = None

    def note_before_update(self) -> None:
        """Snapshot the track pools before an update (for ``removed_stracks_frame``)."""
        self._before = (self.frame_id, self._views())

    @property
    def removed_stracks_frame(self) -> list[TrackView]:
        """The tracks the latest update removed (Ultralytics' ``removed_stracks_frame``): the lost tracks it retired
        (they stay in ``lost_stracks`` one frame, marked Removed) and, from the second frame after the first read of
        this property, the unconfirmed tracks it dropped."""
        self._removed_watch = True
        now = self._views()
        removed = [t for t in now if t.state == TrackState.Removed]
        if self._before is not None and self._before[0] == self.frame_id - 1:
            ids = {t.track_id for t in now}
            removed += [t for t in self._before[1] if t.track_id not in ids and t.state != TrackState.Removed]
        return removed

    def reset(self) -> None:
        """Forget all tracks (the next frame is frame 1 and the next ID is 1) and the previous frame of the motion
        compensation."""
        self._before = None
        self._core.reset()
        if self.gmc is not None:
            self.gmc.reset_params()

    def config(self) -> dict[str, Any]:
        """The tracker's settings."""
        return dict(vars(self.args))


class BYTETracker(Tracker):
    """ByteTrack multi-object tracker (``bytetrack.yaml``). See ``Tracker``."""

    _kind = "bytetrack"
