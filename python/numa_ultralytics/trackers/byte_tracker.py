"""ByteTrack: the Python face of the Rust tracker (``numa_ultralytics._core.TrackerCore``).

Behaves like Ultralytics 8.4.190's ``BYTETracker``: same association stages, thresholds, Kalman filter
(XYAH), track life cycle, list order and output rows. IDs are counted per tracker, from 1.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from numa_ultralytics import _core

from .config import DEFAULTS


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


class BYTETracker:
    """ByteTrack multi-object tracker.

    Args:
        args: a tracker config (``load_tracker_config`` output, or any object/dict with its keys).
        frame_rate: video frame rate; lost tracks live ``int(frame_rate / 30 * track_buffer)`` frames.
    """

    _kind = "bytetrack"
    # Settings of this tracker kind beyond ByteTrack's, passed to the Rust core by their YAML names.
    _extra_keys: tuple[str, ...] = ()
    # Per-frame inputs beyond boxes and image that this tracker takes (``trackers/track.py`` ``tracker_needs``).
    needs: frozenset[str] = frozenset()

    def __init__(self, args: Any, frame_rate: int = 30) -> None:
        cfg = dict(vars(args)) if not isinstance(args, dict) else dict(args)
        cfg = {**DEFAULTS[self._kind], **cfg, "tracker_type": self._kind}
        self.args = SimpleNamespace(**cfg)
        self.frame_rate = frame_rate
        self.max_time_lost = int(frame_rate / 30.0 * cfg["track_buffer"])
        self.max_frames_lost = self.max_time_lost
        self._core = _core.TrackerCore(
            self._kind,
            track_high_thresh=float(cfg["track_high_thresh"]),
            track_low_thresh=float(cfg["track_low_thresh"]),
            new_track_thresh=float(cfg["new_track_thresh"]),
            match_thresh=float(cfg["match_thresh"]),
            fuse_score=bool(cfg["fuse_score"]),
            max_time_lost=self.max_time_lost,
            **{k: cfg[k] for k in self._extra_keys},
        )

    def update(self, results: Any, img: np.ndarray | None = None, feats: Any = None, **kwargs: Any) -> np.ndarray:
        """Track one frame.

        Args:
            results: float32 ``(n, 6)`` detections ``[x1, y1, x2, y2, conf, cls]`` in original-image pixels (n may
                be 0), or a ``Boxes``-like object.
            img: the BGR frame (used by BoT-SORT's camera-motion compensation).
            feats: ignored (no ReID).

        Returns:
            float32 ``(m, 8)`` ``[x1, y1, x2, y2, track_id, score, cls, idx]`` for the activated tracks; the box is
            the Kalman state and ``idx`` the row of ``results`` matched this frame.

        Raises:
            ValueError: NaN/inf in the detections, or a wrong shape.
        """
        dets = _as_dets(results)
        return self._core.update(dets, self._warp(dets, img))

    def _warp(self, dets: np.ndarray, img: np.ndarray | None) -> np.ndarray | None:
        return None

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
        """Snapshots of the tracked tracks (confirmed and not), in tracker order."""
        return [t for t in self._views() if t.state == TrackState.Tracked]

    @property
    def lost_stracks(self) -> list[TrackView]:
        """Snapshots of the lost tracks, in tracker order (with, for one frame, the tracks just removed: state 3)."""
        return [t for t in self._views() if t.state != TrackState.Tracked]

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
        """Forget all tracks; the next frame is frame 1 and the next ID is 1."""
        self._before = None
        self._core.reset()

    def config(self) -> dict[str, Any]:
        """The tracker's settings."""
        return dict(vars(self.args))
