"""Apply a tracker to one frame's ``Results``, as Ultralytics' ``on_predict_postprocess_end`` callback does."""

from __future__ import annotations

from typing import Any

import numpy as np

from numa_ultralytics import _core
from numa_ultralytics.trackers import TRACKER_MAP  # Ultralytics' trackers.track.TRACKER_MAP (user code imports it here)


def tracker_needs(tracker: Any) -> frozenset[str]:
    """The per-frame inputs ``tracker`` takes beyond boxes and the image (``"feats"``: ReID embeddings of the boxes,
    ``"dets_del"``: detections the frame's NMS removed); the predictor computes only these."""
    return frozenset(getattr(tracker, "needs", ())) if tracker is not None else frozenset()


def apply_tracker(r: Any, tracker: Any) -> None:
    """Feed the detections to the tracker and re-index the result ``r`` (an engine/results.py ``Results``, a higher
    layer: not imported, its own ``Boxes`` type builds the new boxes) to follow the tracks."""
    if r.boxes is None:
        raise ValueError("apply_tracker needs a detection result (Results.boxes is None)")
    boxes_type = type(r.boxes)  # engine/results.py Boxes
    det = np.asarray(r.boxes.data, dtype=np.float32)
    extras = {k: getattr(r, k) for k in tracker_needs(tracker)}
    if getattr(tracker, "_removed_watch", False):  # someone reads removed_stracks_frame (trackers/byte_tracker.py)
        tracker.note_before_update()
    tracks = tracker.update(det, r.orig_img, **extras)
    if len(tracks) == 0:
        if tracker.has_unconfirmed:  # the original hides new tracks until confirmed: result[:0]
            r.boxes = boxes_type(det[:0], r.orig_shape, tracked=True)
            r.masks = r.masks[:0] if r.masks is not None else None
        else:  # untracked frame: keep the detections (as the original does) with an empty id column
            r.boxes = boxes_type(det, r.orig_shape, tracked=True)
        return
    idx = tracks[:, -1].astype(int)
    boxes = _core.clip_boxes(tracks[:, :-1], r.orig_shape)  # Results.update clips the Kalman boxes
    r.masks = r.masks[idx] if r.masks is not None else None
    r.boxes = boxes_type(boxes, r.orig_shape)


__all__ = ["TRACKER_MAP", "apply_tracker", "tracker_needs"]
