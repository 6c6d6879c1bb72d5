"""Both trackers on real detections: MOT17-04 (public FRCNN detections and ground truth, real frames for GMC)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
import pytest

from numa_ultralytics.trackers import load_tracker_config, make_tracker

from .conftest import MEDIA, need

SEQ = MEDIA / "mot17-mini" / "train" / "MOT17-04-FRCNN"


def mot_rows(path: Path) -> np.ndarray:
    return np.loadtxt(need(path), delimiter=",", ndmin=2)


def to_dets(rows: np.ndarray, score: np.ndarray) -> np.ndarray:
    x, y, w, h = rows[:, 2], rows[:, 3], rows[:, 4], rows[:, 5]
    return np.column_stack([x, y, x + w, y + h, score, np.zeros(len(rows))]).astype(np.float32)


@pytest.mark.parametrize("name", ["bytetrack.yaml", "botsort.yaml"])
def test_public_detections_150_frames(name: str) -> None:
    """150 frames of MOT17-04's public detections (scores 0.05..1, ~27 a frame): long, stable tracks."""
    det = mot_rows(SEQ / "det" / "det.txt")
    tr = make_tracker(load_tracker_config(name))
    lengths: dict[int, int] = defaultdict(int)
    for f in range(1, 151):
        rows = det[det[:, 0] == f]
        d = to_dets(rows, rows[:, 6])
        out = tr.update(d)
        ids = out[:, 4].astype(int)
        assert len(set(ids.tolist())) == len(ids)
        idx = out[:, 7].astype(int)
        # Each output row follows the detection it was matched to this frame.
        assert np.all(out[:, 5] == d[idx, 4])
        iou_ok = (np.minimum(out[:, 2], d[idx, 2]) - np.maximum(out[:, 0], d[idx, 0])) > 0
        assert iou_ok.all()
        for i in ids:
            lengths[i] += 1
    assert tr.frame_id == 150
    # Identity churn is low: ~37 identities for ~27 people a frame, tracks ~100 frames long on average.
    assert 25 <= len(lengths) <= 50
    assert np.mean(list(lengths.values())) > 80


@pytest.mark.parametrize("name", ["bytetrack.yaml", "botsort.yaml"])
def test_ground_truth_boxes_keep_their_identity(name: str) -> None:
    """Ground-truth pedestrians of MOT17-04 frames 1-8 on the real frames (BoT-SORT estimates camera motion
    from them): every person keeps one ID and no two people share one."""
    gt = mot_rows(SEQ / "gt" / "gt.txt")
    gt = gt[(gt[:, 6] == 1) & (gt[:, 7] == 1) & (gt[:, 8] > 0.3)]
    tr = make_tracker(load_tracker_config(name))
    ids_of: dict[int, set[int]] = defaultdict(set)
    owners: dict[int, set[int]] = defaultdict(set)
    for f in range(1, 9):
        img = cv2.imread(str(need(SEQ / "img1" / f"{f:06d}.jpg")))
        rows = gt[gt[:, 0] == f]
        out = tr.update(to_dets(rows, 0.3 + 0.7 * rows[:, 8]), img)
        assert len(out) == len(rows) if f == 1 else len(out) >= 0.95 * len(rows)
        for track_id, i in zip(out[:, 4].astype(int), out[:, 7].astype(int)):
            person = int(rows[i, 1])
            ids_of[person].add(int(track_id))
            owners[int(track_id)].add(person)
    assert all(len(v) == 1 for v in owners.values())
    assert sum(len(v) for v in ids_of.values()) == len(ids_of)
