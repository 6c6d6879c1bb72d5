"""TrackTrack (Ultralytics 8.4.190's ``TRACKTRACK``): the cost pieces against a numpy transcription of the
original's formulas, tracker invariants, the NMS-removed detections (``dets_del``) and the tracks on a real video
against the original's values (tests/fixtures/tracktrack_reference.json)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from numa_ultralytics import YOLO, _core
from numa_ultralytics.trackers import TRACKTRACK, load_tracker_config, make_tracker

from .conftest import INT8_ISA, MODELS, need

# made with an int8 model: the original's outputs on this CPU's kind of int8 arithmetic (conftest.INT8_ISA; AVX2 in
# tracktrack_reference.json, AVX-512 VNNI in int8_reference_vnni.json: the same dets_del, frame 6 tracked differently)
REFERENCE = json.loads((Path(__file__).parent / "fixtures" / "tracktrack_reference.json").read_text())
if INT8_ISA == "vnni":
    REFERENCE = json.loads((Path(__file__).parent / "fixtures" / "int8_reference_vnni.json").read_text())["tracktrack"]

# ---------------------------------------------------------------- the original's formulas, in numpy


def bbox_iou_np(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``bbox_ioa(a, b, iou=True)`` (float32)."""
    b1_x1, b1_y1, b1_x2, b1_y2 = a.T
    b2_x1, b2_y1, b2_x2, b2_y2 = b.T
    inter = (np.minimum(b1_x2[:, None], b2_x2) - np.maximum(b1_x1[:, None], b2_x1)).clip(0) * (
        np.minimum(b1_y2[:, None], b2_y2) - np.maximum(b1_y1[:, None], b2_y1)
    ).clip(0)
    area = (b2_x2 - b2_x1) * (b2_y2 - b2_y1)
    area = area + ((b1_x2 - b1_x1) * (b1_y2 - b1_y1))[:, None] - inter
    return inter / (area + 1e-7)


def hmiou_np(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    iou = bbox_iou_np(a, b)
    h_over = np.minimum(a[:, 3:4], b[:, 3:4].T) - np.maximum(a[:, 1:2], b[:, 1:2].T)
    h_union = np.maximum(a[:, 3:4], b[:, 3:4].T) - np.minimum(a[:, 1:2], b[:, 1:2].T)
    h_iou = np.clip(h_over / (h_union + 1e-9), 0, 1)
    return iou, 1.0 - h_iou * iou


def iterative_np(cost: np.ndarray, match_thr: float, reduce_step: float) -> tuple[list, list, list]:
    matches: list = []
    cost = cost.copy()
    while cost.shape[0] > 0 and cost.shape[1] > 0:
        nd = np.argmin(cost, axis=1)
        nt = np.argmin(cost, axis=0)
        new = [[t, nd[t]] for t in range(cost.shape[0]) if nt[nd[t]] == t and cost[t, nd[t]] < match_thr]
        if not new:
            break
        matches.extend(new)
        for t, d in new:
            cost[t, :] = np.inf
            cost[:, d] = np.inf
        match_thr -= reduce_step
    mt = {t for t, _ in matches}
    md = {d for _, d in matches}
    return (
        [[int(t), int(d)] for t, d in matches],
        [i for i in range(cost.shape[0]) if i not in mt],
        [i for i in range(cost.shape[1]) if i not in md],
    )


def tai_np(tracks: np.ndarray, dets: np.ndarray, scores: np.ndarray, tai_thr: float, thresh: float) -> list[bool]:
    if len(dets) == 0:
        return []
    allow = scores > thresh
    nt, nd = len(tracks), len(dets)
    if nt + nd < 2:
        return allow.tolist()
    boxes = np.ascontiguousarray(np.concatenate([tracks, dets]), dtype=np.float32)
    iou = bbox_iou_np(boxes, boxes)
    if nt:
        allow &= iou[nt:, :nt].max(axis=1) <= tai_thr
    det_iou = iou[nt:, nt:]
    for i in scores.argsort()[::-1]:
        if not allow[i]:
            continue
        sup = det_iou[i] > tai_thr
        sup[i] = False
        allow[sup] = False
    return allow.tolist()


def boxes_strategy(max_n: int = 6):
    """Float32 xyxy boxes on a coarse grid (so that overlaps, ties and touching edges happen)."""
    return (
        st.integers(0, max_n)
        .flatmap(lambda n: hnp.arrays(np.float32, (n, 4), elements=st.integers(0, 40).map(float)))
        .map(
            lambda a: np.ascontiguousarray(
                np.stack([a[:, 0], a[:, 1], a[:, 0] + a[:, 2] + 1, a[:, 1] + a[:, 3] + 1], 1)
            )
        )
    )


@settings(max_examples=300, deadline=None)
@given(a=boxes_strategy(), b=boxes_strategy())
def test_hmiou_equals_the_original_formula(a: np.ndarray, b: np.ndarray) -> None:
    iou, dist = _core.tracktrack_hmiou(a, b)
    want_iou, want_dist = hmiou_np(a, b)
    assert iou.dtype == dist.dtype == np.float32
    np.testing.assert_array_equal(iou, want_iou)
    np.testing.assert_array_equal(dist, want_dist)


@settings(max_examples=400, deadline=None)
@given(
    cost=hnp.arrays(
        np.float32,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=6),
        elements=st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.65, 0.7, 1.0]) | st.floats(0, 1, width=32),
    ),
    match_thr=st.sampled_from([0.7, 0.9, 0.5]),
    reduce_step=st.sampled_from([0.05, 0.0, 0.2]),
)
def test_iterative_assignment_equals_the_original(cost: np.ndarray, match_thr: float, reduce_step: float) -> None:
    m, ur, uc = _core.tracktrack_iterative_associate(cost, match_thr, reduce_step)
    wm, wr, wc = iterative_np(cost, match_thr, reduce_step)
    assert m.tolist() == wm and ur.tolist() == wr and uc.tolist() == wc


@settings(max_examples=300, deadline=None)
@given(
    tracks=boxes_strategy(4),
    dets=boxes_strategy(7),
    data=st.data(),
    tai_thr=st.sampled_from([0.55, 0.3, 0.0]),
)
def test_track_aware_nms_equals_the_original(tracks, dets, data, tai_thr: float) -> None:
    # Distinct scores: on exact ties the original's order is numpy's default argsort, an unstable SIMD sort whose
    # tie order differs between CPUs (AVX2 / AVX-512 / baseline); ties are resolved in stable order here (below).
    scores = data.draw(
        hnp.arrays(
            np.float32,
            (len(dets),),
            elements=st.sampled_from([0.5, 0.7, 0.71, 0.8, 0.9]) | st.floats(0.5, 1, width=32),
            unique=True,
        )
    )
    got = _core.tracktrack_tai(tracks, dets, scores, tai_thr, 0.7)
    assert got == tai_np(tracks, dets, scores, np.float32(tai_thr), 0.7)


def test_track_aware_nms_ties_keep_the_later_detection() -> None:
    """Equal scores: the stable order reversed (``argsort(kind="stable")[::-1]``) visits the later one first."""
    dets = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [50, 0, 60, 10]], np.float32)
    scores = np.array([0.8, 0.8, 0.9], np.float32)
    assert _core.tracktrack_tai(np.zeros((0, 4), np.float32), dets, scores, 0.55, 0.7) == [False, True, True]


# ---------------------------------------------------------------- tracker invariants

det_rows = st.lists(
    st.tuples(
        st.integers(0, 12), st.integers(0, 12), st.integers(2, 8), st.integers(2, 8), st.sampled_from([0.3, 0.65, 0.9])
    ),
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(frames=st.lists(det_rows, min_size=1, max_size=12), dels=st.lists(det_rows, min_size=12, max_size=12))
def test_tracktrack_invariants(frames, dels) -> None:
    t = make_tracker(load_tracker_config("tracktrack.yaml"))
    assert isinstance(t, TRACKTRACK) and t.needs == frozenset({"dets_del"})
    seen: set[int] = set()
    for rows, drows in zip(frames, dels):

        def arr(rs):
            return np.array(
                [[x * 10, y * 10, x * 10 + w * 10, y * 10 + h * 10, s, 0] for x, y, w, h, s in rs], np.float32
            ).reshape(-1, 6)

        dets, dd = arr(rows), arr(drows)
        out = t.update(dets, None, dets_del=dd if len(dd) else None)
        assert out.dtype == np.float32 and out.shape[1:] == (8,) if len(out) else True
        ids = [int(i) for i in out[:, 4]] if len(out) else []
        assert len(ids) == len(set(ids))  # unique within a frame
        new = [i for i in ids if i not in seen]
        assert all(i > max(seen, default=0) for i in new)  # never reused
        seen.update(ids)
        confirmed = {v.track_id for v in t.tracked_stracks if v.is_activated and v.frame_id == t.frame_id}
        assert set(ids) == confirmed  # only activated tracks of this frame
        for row in out:
            k = int(row[7])
            assert k == -1 or 0 <= k < len(dets)


def test_empty_frames_and_single_detection() -> None:
    t = make_tracker(load_tracker_config("tracktrack.yaml"))
    empty = np.zeros((0, 6), np.float32)
    one = np.array([[10, 20, 50, 120, 0.9, 0]], np.float32)
    assert t.update(empty).shape[0] == 0
    # A track started after frame 1 shows only once confirmed (min_track_len frames).
    assert t.update(one).shape[0] == 0 and t.has_unconfirmed
    assert t.update(one).shape[0] == 0
    out = t.update(one)
    assert out[:, 4].tolist() == [1.0] and out[:, 7].tolist() == [0.0] and not t.has_unconfirmed
    assert t.update(empty).shape[0] == 0 and [v.track_id for v in t.lost_stracks] == [1]
    assert t.update(one)[:, 4].tolist() == [1.0]
    # On frame 1 a track shows at once.
    t.reset()
    assert t.frame_id == 0 and t.update(one)[:, 4].tolist() == [1.0]


def test_settings_are_required_and_checked() -> None:
    cfg = load_tracker_config("tracktrack.yaml")
    with pytest.raises(ValueError, match='missing tracker setting "lost_match_thr"'):
        _core.TrackerCore({k: v for k, v in cfg.items() if k != "lost_match_thr"})
    with pytest.raises(ValueError, match="penalty_q"):
        _core.TrackerCore({**cfg, "penalty_q": 1.5})
    # TrackTrack keeps lost tracks track_buffer frames whatever the frame rate (no frame_rate needed).
    assert _core.TrackerCore({**cfg, "track_buffer": 45}).max_time_lost == 45
    assert TRACKTRACK({**cfg, "track_buffer": 45}, frame_rate=10).max_time_lost == 45


def test_feats_are_used_with_reid() -> None:
    cfg = {**load_tracker_config("tracktrack.yaml"), "with_reid": True}
    t = TRACKTRACK(cfg)
    assert t.needs == frozenset({"dets_del", "feats"})
    dets = np.array([[10, 20, 50, 120, 0.9, 0]], np.float32)
    out = t.update(dets, None, feats=np.ones((1, 8), np.float32))
    assert out[:, 4].tolist() == [1.0]
    with pytest.raises(ValueError, match="one row per detection"):
        t.update(dets, None, feats=np.ones((2, 8), np.float32))


# ---------------------------------------------------------------- real video, against the original


@pytest.fixture(scope="module")
def detect_model() -> Path:
    return need(MODELS / "yolo11n-detect-int8-320.onnx")


def frames(video: Path, n: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(video))
    out = []
    for _ in range(n):
        ok, f = cap.read()
        assert ok
        out.append(f)
    return out


def test_dets_del_and_tracks_equal_the_original(detect_model: Path, people_video: Path) -> None:
    m = YOLO(str(detect_model))
    want_tracks = REFERENCE["track"]
    for i, f in enumerate(frames(people_video, len(want_tracks))):
        r = m.track(f, persist=True, tracker="tracktrack.yaml", imgsz=REFERENCE["imgsz"], verbose=False)[0]
        if i < len(REFERENCE["dets_del"]):
            want = np.array(REFERENCE["dets_del"][i], np.float32)
            assert r.dets_del is not None and r.dets_del.dtype == np.float32
            np.testing.assert_array_equal(r.dets_del, want)
        want = np.array(want_tracks[i], np.float32)
        got = np.asarray(r.boxes.data, np.float32)
        if len(want) == 0:  # hidden while new tracks wait for confirmation (result[:0])
            assert len(got) == 0
        else:
            np.testing.assert_array_equal(got, want)


def test_plain_predict_does_not_compute_dets_del(
    detect_model: Path, seg_onnx: Path, people_video: Path, monkeypatch
) -> None:
    calls = []
    real = _core.dets_del
    monkeypatch.setattr(_core, "dets_del", lambda *a, **k: calls.append(1) or real(*a, **k))
    f = frames(people_video, 1)[0]
    r = YOLO(str(detect_model)).predict(f, imgsz=320, verbose=False)[0]
    assert r.dets_del is None and calls == []
    YOLO(str(detect_model)).track(f, tracker="bytetrack.yaml", imgsz=320, verbose=False)
    assert calls == []
    r = YOLO(str(detect_model)).track(f, tracker="tracktrack.yaml", imgsz=320, verbose=False)[0]
    assert calls == [1] and r.dets_del is not None
    # A segment model: the original recovers nothing there (TrackTrack hooks detect predictors only).
    r = YOLO(str(seg_onnx)).track(f, tracker="tracktrack.yaml", verbose=False)[0]
    assert r.dets_del is None and len(r.boxes) > 0
