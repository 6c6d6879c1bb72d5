"""FastTrack (``fasttrack.yaml``): invariants, the occlusion math against the original's formulas, real data.

The real-data values were checked against Ultralytics 8.4.190's ``FASTTracker`` fed the same float32 detections
(every output row equal bit for bit, on these and on random occlusion sequences).
"""

from __future__ import annotations

import json
from collections import deque

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numa_ultralytics import _core
from numa_ultralytics.trackers import TRACKER_MAP, FASTTracker, load_tracker_config, make_tracker

from .conftest import MEDIA, REFERENCE, need
from .test_tracker_core import det_stream


def fasttrack(**over: object) -> FASTTracker:
    tr = make_tracker(load_tracker_config({**load_tracker_config("fasttrack.yaml"), **over}))
    assert isinstance(tr, FASTTracker)
    return tr


# ---------------------------------------------------------------- invariants


@settings(max_examples=60, deadline=None)
@given(frames=det_stream(), suppress=st.sampled_from([0.7, 1.0, 0.3]), cover=st.sampled_from([0.7, 0.2]))
def test_invariants(frames: list[np.ndarray], suppress: float, cover: float) -> None:
    tr = fasttrack(init_iou_suppress=suppress, occ_cover_thresh=cover)
    start_of: dict[int, int] = {}
    for fi, d in enumerate(frames, 1):
        out = tr.update(d)
        assert tr.frame_id == fi
        assert out.dtype == np.float32 and out.ndim == 2 and out.shape[1] == 8
        ids = out[:, 4].astype(int).tolist()
        assert len(set(ids)) == len(ids), "IDs unique within a frame"
        idx = out[:, 7].astype(int)
        assert len(set(idx.tolist())) == len(idx)
        if len(out):
            assert idx.min() >= 0 and idx.max() < len(d)
            assert np.all(out[:, 5] == d[idx, 4]) and np.all(out[:, 6] == d[idx, 5])
        # Only confirmed tracks updated this frame are returned.
        current = {v.track_id for v in tr.tracked_stracks if v.is_activated and v.frame_id == fi}
        assert set(ids) <= current
        # An ID is never given to another track: its start frame never changes.
        views = tr.tracked_stracks + tr.lost_stracks
        all_ids = [v.track_id for v in views]
        assert len(set(all_ids)) == len(all_ids)
        for v in views:
            assert start_of.setdefault(v.track_id, v.start_frame) == v.start_frame
            assert 1 <= v.track_id < tr._core.next_id
    tr.reset()
    assert tr.frame_id == 0 and tr._core.next_id == 1


def test_empty_frames_and_single_detections() -> None:
    tr = fasttrack()
    empty = np.zeros((0, 6), np.float32)
    out = tr.update(empty)
    assert out.shape == (0, 8) and out.dtype == np.float32
    one = np.array([[10, 10, 60, 110, 0.9, 2]], np.float32)
    out = tr.update(one)  # frame 2: a new track waits for confirmation
    assert out.shape == (0, 8) and tr.has_unconfirmed
    out = tr.update(one + np.float32([1, 0, 1, 0, 0, 0]))
    assert out[:, 4].tolist() == [1.0] and out[:, 6].tolist() == [2.0] and not tr.has_unconfirmed
    # Unmatched for two frames: still tracked, not returned; the third frame marks it lost.
    for _ in range(2):
        assert len(tr.update(empty)) == 0
        assert [v.track_id for v in tr.tracked_stracks] == [1]
    tr.update(empty)
    assert [v.track_id for v in tr.lost_stracks] == [1] and not tr.tracked_stracks
    out = tr.update(one)
    assert out[:, 4].tolist() == [1.0]  # found again
    low = np.array([[10, 10, 60, 110, 0.15, 0]], np.float32)
    tr2 = fasttrack()
    assert len(tr2.update(low)) == 0 and not tr2.tracked_stracks  # low scores start nothing


def test_new_detections_over_active_tracks_are_suppressed() -> None:
    d = np.array([[10, 10, 60, 110, 0.9, 0], [12, 10, 62, 110, 0.8, 0], [300, 10, 350, 110, 0.7, 0]], np.float32)
    assert fasttrack().update(d)[:, 4].tolist() == [1.0, 2.0]
    assert fasttrack(init_iou_suppress=1.0).update(d)[:, 4].tolist() == [1.0, 2.0, 3.0]


def test_registered_and_settings_required() -> None:
    assert TRACKER_MAP["fasttrack"] is FASTTracker
    cfg = load_tracker_config("fasttrack.yaml")
    settings = {**cfg, "frame_rate": 30}
    assert _core.TrackerCore(settings).kind == "fasttrack"
    with pytest.raises(ValueError, match='missing tracker setting "occ_reappear_window"'):
        _core.TrackerCore({k: v for k, v in settings.items() if k != "occ_reappear_window"})
    with pytest.raises(ValueError, match="occ_cover_thresh must be a number in"):
        _core.TrackerCore({**settings, "occ_cover_thresh": 2.0})
    with pytest.raises(TypeError, match='"reset_pos_offset_occ" must be an integer'):
        _core.TrackerCore({**settings, "reset_pos_offset_occ": 2.5})
    with pytest.raises(ValueError):
        load_tracker_config({**cfg, "enlarge_bbox_occ": -1.0})


# ---------------------------------------------------------------- occlusion math vs the original's formulas


def bbox_ioa(box1: np.ndarray, box2: np.ndarray, eps: float = 1e-7) -> np.ndarray:
    """``ultralytics.utils.metrics.bbox_ioa`` (iou=False), transcribed."""
    b1_x1, b1_y1, b1_x2, b1_y2 = box1.T
    b2_x1, b2_y1, b2_x2, b2_y2 = box2.T
    inter = (np.minimum(b1_x2[:, None], b2_x2) - np.maximum(b1_x1[:, None], b2_x1)).clip(0) * (
        np.minimum(b1_y2[:, None], b2_y2) - np.maximum(b1_y1[:, None], b2_y1)
    ).clip(0)
    area = (b2_x2 - b2_x1) * (b2_y2 - b2_y1)
    return inter / (area + eps)


def max_cover_reference(active: np.ndarray, active_ids: np.ndarray, unm: np.ndarray, unm_ids: np.ndarray):
    """The coverage part of ``FASTTracker._handle_occlusions``, transcribed."""
    if active.size and unm.size:
        cov = bbox_ioa(active, unm)
        cov[active_ids[:, None] == unm_ids[None, :]] = 0.0
        return cov.max(axis=0)
    return np.zeros(len(unm), dtype=np.float32)


def rand_boxes(rng: np.random.Generator, n: int) -> np.ndarray:
    xy = rng.uniform(0, 300, (n, 2))
    return np.concatenate([xy, xy + rng.uniform(1, 120, (n, 2))], 1).astype(np.float32)


@pytest.mark.parametrize("seed", range(40))
def test_max_cover_equals_original_formula(seed: int) -> None:
    rng = np.random.default_rng(seed)
    na, nu = int(rng.integers(0, 8)), int(rng.integers(0, 8))
    a, u = rand_boxes(rng, na), rand_boxes(rng, nu)
    if nu and rng.random() < 0.5:
        u[0] = a[0] if na else u[0]  # identical boxes
    aid = rng.integers(1, 10, na).astype(np.int64)
    uid = rng.integers(1, 10, nu).astype(np.int64)
    got = _core.fasttrack_max_cover(a, aid, u, uid)
    want = max_cover_reference(a, aid, u, uid)
    assert got.dtype == np.float32 and want.dtype == np.float32
    assert np.array_equal(got, want)


def roll_back_reference(mean, cov, hist: deque, rv: int, rp: int, enlarge: float, dampen: float):
    """The state change at occlusion onset of ``FASTTracker._handle_occlusions``, transcribed."""
    mean, cov = mean.copy(), cov.copy()
    if hist:
        if len(hist) >= rv:
            prev_mean, _ = hist[-rv]
            mean[4:8] = prev_mean[4:8]
        if len(hist) >= rp:
            prev_mean, prev_cov = hist[-rp]
            mean[0:4] = prev_mean[0:4]
            cov = prev_cov.copy()
        mean[3] *= enlarge
        mean[4:8] *= dampen
    return mean, cov


@pytest.mark.parametrize("seed", range(40))
def test_roll_back_equals_original_formula(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rv, rp = int(rng.integers(0, 8)), int(rng.integers(0, 8))
    k = int(rng.integers(0, max(rv, rp) + 5))
    hm = rng.normal(50, 30, (k, 8))
    hc = rng.normal(0, 5, (k, 8, 8))
    mean, cov = rng.normal(50, 30, 8), rng.normal(0, 5, (8, 8))
    enlarge, dampen = float(rng.uniform(0.5, 2)), float(rng.uniform(0, 1))
    hist = deque(((hm[i], hc[i]) for i in range(k)), maxlen=max(rv, rp) + 4)
    # The deque keeps the newest entries; hand the binding exactly those.
    hm_kept = np.array([m for m, _ in hist]).reshape(-1, 8)
    hc_kept = np.array([c for _, c in hist]).reshape(-1, 8, 8)
    got_m, got_c = _core.fasttrack_roll_back(mean, cov, hm_kept, hc_kept, rv, rp, enlarge, dampen)
    want_m, want_c = roll_back_reference(mean, cov, hist, rv, rp, enlarge, dampen)
    assert np.array_equal(got_m, want_m) and np.array_equal(got_c, want_c)


# ---------------------------------------------------------------- real data


def reference_frames(video: str) -> list[np.ndarray]:
    ref = json.loads(need(REFERENCE / "public_trackers_yolo11n-seg.json").read_text())
    out = []
    for f in ref["videos"][video]["predict"]:
        xyxy = np.asarray(f["xyxy"], np.float32).reshape(-1, 4)
        conf = np.asarray(f["conf"], np.float32).reshape(-1, 1)
        cls = np.asarray(f["cls"], np.float32).reshape(-1, 1)
        out.append(np.concatenate([xyxy, conf, cls], 1))
    return out


def test_people_video_detections_match_the_original() -> None:
    """The people video's 150 frames of yolo11n-seg detections (the reference's ``predict`` frames)."""
    tr = fasttrack()
    outs = [tr.update(d) for d in reference_frames("seeed_people-walking.mp4")]
    ids = {int(i) for o in outs for i in o[:, 4]}
    assert (len(ids), max(ids), sum(len(o) for o in outs)) == (47, 207, 2858)
    assert outs[0][:, 4].astype(int).tolist() == list(range(1, 21))
    assert outs[1][:, 4].astype(int).tolist() == [*range(1, 14), *range(15, 21)]
    assert outs[49][:, 4].astype(int).tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 15, 17, 13, 60, 66, 72, 12, 10, 19]
    assert outs[149][:, 4].astype(int).tolist() == [
        *(1, 2, 5, 8, 15, 17, 60, 72, 110, 114),
        *(12, 101, 40, 156, 79, 66, 112, 181, 187, 207),
    ]
    # float32 values (shortest repr)
    want = np.array(
        [
            [352.82965, 111.05424, 374.28473, 163.43568, 1, 0.58681, 0, 7],
            [226.9064, 49.19166, 245.32506, 98.10905, 2, 0.56582, 0, 9],
        ],
        np.float32,
    )
    assert np.array_equal(outs[149][:2], want)


def test_mot17_public_detections_match_the_original() -> None:
    """MOT17-04's public detections (scores 0.05..1, low ones enter the second association), 150 frames."""
    det = np.loadtxt(need(MEDIA / "mot17-mini/train/MOT17-04-FRCNN/det/det.txt"), delimiter=",", ndmin=2)
    tr = fasttrack()
    outs = []
    for f in range(1, 151):
        r = det[det[:, 0] == f]
        x, y, w, h = r[:, 2], r[:, 3], r[:, 4], r[:, 5]
        outs.append(tr.update(np.column_stack([x, y, x + w, y + h, r[:, 6], np.zeros(len(r))]).astype(np.float32)))
    ids = {int(i) for o in outs for i in o[:, 4]}
    assert (len(ids), max(ids), sum(len(o) for o in outs)) == (37, 43, 3902)
    assert outs[99][:, 4].astype(int).tolist() == [
        *(2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 17, 18, 19, 22),
        *(28, 29, 7, 31, 33, 23, 34, 25, 21, 36, 37, 20, 38, 32),
    ]
    want = np.array(
        [
            [704.421, 0.99999064, 760.4272, 158.6219, 2, 1, 0, 2],
            [1358.5636, 565.9423, 1464.3208, 811.99634, 3, 1, 0, 10],
        ],
        np.float32,
    )
    assert np.array_equal(outs[149][:2], want)


def test_survives_degenerate_input() -> None:
    tr = fasttrack()
    rng = np.random.default_rng(0)
    frames = [
        np.zeros((0, 6), np.float32),
        np.tile(np.array([[5, 5, 50, 50, 0.9, 1]], np.float32), (40, 1)),  # identical boxes
        np.array([[3, 3, 3, 3, 0.9, 0], [1, 1, 1, 9, 0.9, 0], [9, 9, 1, 1, 0.9, 0]], np.float32),  # degenerate
        np.column_stack([rng.uniform(0, 2000, (600, 2)), rng.uniform(0, 2000, (600, 2)), rng.random((600, 2))]),
        np.array([[-1e6, -1e6, 1e6, 1e6, 1.0, 0]], np.float32),
        np.array([[1e30, 1e30, 3e30, 3e30, 1.0, 0]], np.float32),  # float32 areas overflow: NaN IoUs
        np.array([[1e30, 1e30, 3e30, 3e30, 1.0, 0], [1e30, 1e30, 3e30, 3.1e30, 1.0, 0]], np.float32),
        np.zeros((0, 6), np.float32),
    ]
    for d in frames * 3:
        out = tr.update(np.asarray(d, np.float32))
        assert out.shape[1] == 8 and np.isfinite(out[:, 4:]).all()
        ids = out[:, 4].tolist()
        assert len(set(ids)) == len(ids)
    with pytest.raises(ValueError, match="NaN"):
        tr.update(np.array([[0, 0, np.nan, 1, 0.5, 0]], np.float32))
    tr.update(np.zeros((0, 6), np.float32))  # still usable
