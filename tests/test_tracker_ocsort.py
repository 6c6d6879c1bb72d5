"""OC-SORT and Deep OC-SORT: tracker invariants (hypothesis), the motion model against direct numpy transcriptions
of Ultralytics 8.4.190's formulas (``trackers/oc_sort.py``), and the original's tracks on the people video."""

from __future__ import annotations

import ctypes
import ctypes.util
import json

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numa_ultralytics import _core
from numa_ultralytics.trackers import OCSORT, DeepOCSORT, load_tracker_config, make_tracker

from .conftest import MEDIA, REFERENCE, need

TRACKERS = ["ocsort.yaml", "deepocsort.yaml"]


def reid_tracker(**over: object) -> DeepOCSORT:
    """Deep OC-SORT with ReID on (``config.py`` still refuses ``with_reid``: the class is built directly)."""
    return DeepOCSORT({**load_tracker_config("deepocsort.yaml"), "with_reid": True, **over})


# ---------------------------------------------------------------- invariants


@st.composite
def det_stream(draw) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Random frames: persistent objects that move, turn, vanish for a while and come back (OCR/ORU), clutter,
    duplicates, empty frames; with one embedding per detection row."""
    seed = draw(st.integers(0, 2**32 - 1))
    n_frames = draw(st.integers(1, 30))
    rng = np.random.default_rng(seed)
    n_obj = int(rng.integers(0, 10))
    pos = rng.uniform(-20, 600, (n_obj, 2))
    vel = rng.normal(0, 6, (n_obj, 2))
    size = rng.uniform(4, 150, (n_obj, 2))
    emb = rng.standard_normal((n_obj, 8)).astype(np.float32)
    frames, feats = [], []
    for _ in range(n_frames):
        vel += rng.normal(0, 2, vel.shape)
        pos += vel
        keep = rng.random(n_obj) < rng.choice([0.4, 0.9])
        xy = pos[keep] + rng.normal(0, 2, (keep.sum(), 2))
        rows = np.column_stack([xy, xy + size[keep], rng.uniform(0.05, 1, keep.sum()), rng.integers(0, 3, keep.sum())])
        f = emb[keep] + rng.normal(0, 0.3, (keep.sum(), 8)).astype(np.float32)
        k = int(rng.integers(0, 3))
        cxy = rng.uniform(0, 600, (k, 2))
        clutter = np.column_stack([cxy, cxy + rng.uniform(0, 50, (k, 2)), rng.uniform(0, 1, k), np.zeros(k)])
        rows = np.vstack([rows, clutter])
        f = np.vstack([f, rng.standard_normal((k, 8)).astype(np.float32)])
        if rng.random() < 0.2 and len(rows):  # an identical duplicate
            rows = np.vstack([rows, rows[:1]])
            f = np.vstack([f, f[:1]])
        if rng.random() < 0.1:
            rows, f = rows[:0], f[:0]
        frames.append(rows.astype(np.float32).reshape(-1, 6))
        feats.append(np.ascontiguousarray(f, dtype=np.float32).reshape(len(rows), 8))
    return frames, feats


def check_stream(tr, frames: list[np.ndarray], feats: list[np.ndarray] | None) -> None:
    seen: set[int] = set()
    for i, dets in enumerate(frames):
        out = tr.update(dets, None, feats[i]) if feats is not None else tr.update(dets)
        assert out.dtype == np.float32 and out.shape[1] == 8
        ids = out[:, 4].astype(int).tolist()
        assert len(set(ids)) == len(ids), "an ID twice in one frame"
        new = [t for t in ids if t not in seen]
        # New IDs are fresh: above every ID handed out before, counted from 1, below the tracker's next ID.
        assert all(t > max(seen, default=0) for t in new)
        assert all(1 <= t < tr._core.next_id for t in ids)
        seen.update(ids)
        confirmed = {t.track_id for t in tr.tracked_stracks if t.is_activated}
        assert set(ids) <= confirmed, "only confirmed tracks are returned"
        idx = out[:, 7].astype(int)
        assert np.all((idx >= 0) & (idx < max(len(dets), 1)))
        if len(out):
            assert np.array_equal(out[:, 5], dets[idx, 4]) and np.array_equal(out[:, 6], dets[idx, 5])
    assert tr.frame_id == len(frames)


@pytest.mark.parametrize("name", TRACKERS)
@settings(max_examples=60, deadline=None)
@given(stream=det_stream())
def test_invariants(name: str, stream) -> None:
    check_stream(make_tracker(load_tracker_config(name)), stream[0], None)


@pytest.mark.parametrize("over", [{}, {"use_byte": True, "delta_t": 1}])
@settings(max_examples=40, deadline=None)
@given(stream=det_stream())
def test_invariants_with_reid(over: dict, stream) -> None:
    check_stream(reid_tracker(**over), stream[0], stream[1])


@pytest.mark.parametrize("name", TRACKERS)
def test_empty_frames_and_single_detections(name: str) -> None:
    tr = make_tracker(load_tracker_config(name))
    assert tr.update(np.zeros((0, 6), np.float32)).shape == (0, 8)
    box = np.array([[100, 100, 140, 200, 0.9, 0]], np.float32)
    out = tr.update(box)  # frame 2: a new track waits for confirmation
    assert out.shape == (0, 8) and tr.has_unconfirmed
    out = tr.update(box + np.array([2, 0, 2, 0, 0, 0], np.float32))
    assert out[:, 4].tolist() == [1.0] and out[0, 7] == 0
    for _ in range(3):  # the object leaves: lost, nothing returned
        assert tr.update(np.zeros((0, 6), np.float32)).shape == (0, 8)
    assert [t.track_id for t in tr.lost_stracks] == [1]
    out = tr.update(box + np.array([10, 0, 10, 0, 0, 0], np.float32))  # back further on: OCR finds it
    assert out[:, 4].tolist() == [1.0]
    tr.reset()
    assert tr.frame_id == 0 and tr._core.next_id == 1


def test_reid_needs_and_feats() -> None:
    assert DeepOCSORT(load_tracker_config("deepocsort.yaml")).needs == frozenset()
    tr = reid_tracker()
    assert tr.needs == frozenset({"feats"})
    box = np.array([[100, 100, 140, 200, 0.9, 0]], np.float32)
    tr.update(box, None, np.ones((1, 16), np.float32))
    tr.update(box, None, None)  # a frame without embeddings: motion only
    with pytest.raises(ValueError, match="one row per detection"):
        tr.update(box, None, np.ones((2, 16), np.float32))


def test_appearance_keeps_identity_when_boxes_swap() -> None:
    """Two overlapping people swap places in one frame: motion alone keeps the positions, the embeddings (cosine
    cost 0 beats the fused IoU cost where the boxes overlap by at least ``proximity_thresh``) keep the people."""
    a, b = np.array([1, 0, 0, 0], np.float32), np.array([0, 1, 0, 0], np.float32)
    left, right = np.array([100, 100, 140, 200], np.float32), np.array([120, 100, 160, 200], np.float32)  # IoU 1/3
    runs = {}
    for reid in (False, True):
        tr = (
            reid_tracker(appearance_thresh=0.5, proximity_thresh=0.1)
            if reid
            else OCSORT(load_tracker_config("ocsort.yaml"))
        )
        for _ in range(4):
            tr.update(np.array([[*left, 0.9, 0], [*right, 0.9, 0]], np.float32), None, np.stack([a, b]))
        # Same boxes, but the left one now shows person b's appearance and the right one person a's.
        out = tr.update(np.array([[*left, 0.9, 0], [*right, 0.9, 0]], np.float32), None, np.stack([b, a]))
        runs[reid] = dict(zip(out[:, 7].astype(int).tolist(), out[:, 4].astype(int).tolist()))
    assert runs[False] == {0: 1, 1: 2}  # motion only: positions decide
    assert runs[True] == {0: 2, 1: 1}  # appearance decides


# ---------------------------------------------------------------- motion model vs the original's numpy formulas


def np_center(xyxy: np.ndarray) -> np.ndarray:
    """``OCSortTrack._xyxy_center``."""
    return np.array([(xyxy[0] + xyxy[2]) / 2, (xyxy[1] + xyxy[3]) / 2])


def np_velocity(observations: dict[int, np.ndarray], delta_t: int) -> np.ndarray | None:
    """``OCSortTrack._compute_velocity``, transcribed."""
    if len(observations) < 2:
        return None
    current_frame = max(observations.keys())
    current_center = np_center(observations[current_frame])
    prev_obs = None
    for frame in sorted(observations.keys(), reverse=True):
        if frame < current_frame - delta_t + 1:
            prev_obs = observations[frame]
            break
    if prev_obs is None:
        earliest_frame = min(observations.keys())
        if earliest_frame == current_frame:
            return None
        prev_obs = observations[earliest_frame]
    direction = current_center - np_center(prev_obs)
    norm = np.linalg.norm(direction)
    if norm < 1e-6:
        return np.zeros(2, dtype=np.float32)
    return (direction / norm).astype(np.float32)


def _numpy_acosf_is_libm() -> bool:
    """Whether numpy's float32 ``arccos`` is the C library's ``acosf`` (the one Rust's ``f32::acos`` calls) on this
    CPU: true on AVX2 machines, false where numpy dispatches its AVX-512 (SVML) kernels."""
    acosf = ctypes.CDLL(ctypes.util.find_library("m")).acosf
    acosf.restype, acosf.argtypes = ctypes.c_float, [ctypes.c_float]
    x = np.linspace(-1, 1, 4097, dtype=np.float32)
    return bool(np.array_equal(np.arccos(x), np.array([acosf(float(v)) for v in x], np.float32)))


NUMPY_ACOSF_IS_LIBM = _numpy_acosf_is_libm()


def np_ocm(last_obs: np.ndarray, velocity: list[np.ndarray | None], dets: np.ndarray) -> np.ndarray:
    """``OCSORT._velocity_direction_cost``, transcribed."""
    cost = np.zeros((len(last_obs), len(dets)), dtype=np.float32)
    if cost.size == 0:
        return cost
    det_centers = np.array([np_center(d) for d in dets], dtype=np.float32)
    for i, (obs, vel) in enumerate(zip(last_obs, velocity)):
        if vel is None or obs[0] < 0:
            continue
        directions = det_centers - np_center(obs)
        norms = np.linalg.norm(directions, axis=1)
        valid = norms > 1e-6
        if not valid.any():
            continue
        directions[valid] /= norms[valid, None]
        dots = np.clip(directions[valid] @ vel, -1.0, 1.0)
        cost[i, valid] = np.arccos(dots) / np.pi
    return cost


def np_kf_predict(mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``KalmanFilterXYAH.predict``, transcribed."""
    F = np.eye(8)
    F[:4, 4:] = np.eye(4)
    h = mean[3]
    q = np.square(np.r_[[h / 20, h / 20, 1e-2, h / 20], [h / 160, h / 160, 1e-5, h / 160]])
    return np.dot(mean, F.T), np.linalg.multi_dot((F, cov, F.T)) + np.diag(q)


def np_kf_update(mean: np.ndarray, cov: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``KalmanFilterXYAH.update``, transcribed."""
    h = mean[3]
    pm, pc = mean[:4].copy(), cov[:4, :4] + np.diag(np.square([h / 20, h / 20, 1e-1, h / 20]))
    k = np.linalg.solve(pc, cov[:, :4].T).T
    return mean + np.dot(z - pm, k.T), cov - np.linalg.multi_dot((k, pc, k.T))


def np_oru(mean, cov, last_obs, new_obs, gap) -> tuple[np.ndarray, np.ndarray]:
    """The replay of ``OCSortTrack.apply_oru``, transcribed (``xyxy2ltwh`` then ``tlwh_to_xyah``)."""
    for t in range(1, gap):
        alpha = t / gap
        v = (1 - alpha) * last_obs + alpha * new_obs
        ltwh = v.copy()
        ltwh[2], ltwh[3] = v[2] - v[0], v[3] - v[1]
        xyah = ltwh.copy()
        xyah[:2] += xyah[2:] / 2
        xyah[2] /= xyah[3]
        mean, cov = np_kf_predict(mean, cov)
        mean, cov = np_kf_update(mean, cov, xyah)
    return np_kf_predict(mean, cov)


def random_boxes(rng: np.random.Generator, n: int) -> np.ndarray:
    xy = rng.uniform(-30, 800, (n, 2))
    return np.column_stack([xy, xy + rng.uniform(1, 200, (n, 2))]).astype(np.float32)


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), delta_t=st.integers(0, 6))
def test_velocity_direction_matches_original(seed: int, delta_t: int) -> None:
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, delta_t + 3))
    frames = np.sort(rng.choice(np.arange(1, 40), size=k, replace=False)).astype(np.int64)
    boxes = random_boxes(rng, k)
    if rng.random() < 0.2:
        boxes[-1] = boxes[0]  # no motion
    expected = np_velocity(dict(zip(frames.tolist(), boxes)), delta_t)
    got = _core.ocsort_velocity(frames, boxes, delta_t)
    if expected is None:
        assert got is None
    else:
        assert got is not None and got.dtype == np.float32 and np.array_equal(got, expected)


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_ocm_cost_matches_original(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(0, 6)), int(rng.integers(0, 8))
    last_obs = random_boxes(rng, n)
    dets = random_boxes(rng, m)
    if n and m and rng.random() < 0.3:
        dets[0] = last_obs[0]  # a detection on the last observation's centre
    velocity: list[np.ndarray | None] = []
    for _ in range(n):
        r = rng.random()
        v = rng.standard_normal(2).astype(np.float32)
        velocity.append(
            None if r < 0.2 else np.zeros(2, np.float32) if r < 0.3 else (v / np.linalg.norm(v)).astype(np.float32)
        )
    vel_arr = np.array([v if v is not None else [np.nan, np.nan] for v in velocity], np.float32).reshape(n, 2)
    got = _core.ocsort_ocm_cost(last_obs, vel_arr, dets)
    assert got.shape == (n, m) and got.dtype == np.float32
    want = np_ocm(last_obs, velocity, dets)
    if NUMPY_ACOSF_IS_LIBM:
        assert np.array_equal(got, want)
    else:
        # numpy's float32 arccos is its own SIMD approximation on AVX-512 CPUs (SVML; libm's acosf elsewhere, as ours):
        # measured at most 3 ULP apart on an AMD EPYC Zen 4 (numpy 2.4.6, 3,000 seeds); exact on AVX2
        ulp = np.abs(got.view(np.int32).astype(np.int64) - want.view(np.int32).astype(np.int64))
        assert ulp.max(initial=0) <= 4, ulp.max()


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), gap=st.integers(0, 12))
def test_oru_replay_matches_original(seed: int, gap: int) -> None:
    rng = np.random.default_rng(seed)
    last_obs, new_obs = random_boxes(rng, 2)
    kf = _core.KalmanFilter("xyah")
    w, h = last_obs[2] - last_obs[0], last_obs[3] - last_obs[1]
    mean, cov = kf.initiate(np.array([last_obs[0] + w / 2, last_obs[1] + h / 2, w / h, h], np.float64))
    for _ in range(int(rng.integers(0, 4))):  # a state with some history (and a not quite symmetric covariance)
        mean, cov = kf.predict(mean, cov)
        mean, cov = kf.update(mean, cov, mean[:4] + rng.normal(0, 1, 4) * [1, 1, 0.01, 1])
    got_m, got_c = _core.ocsort_oru(mean, cov, last_obs, new_obs, gap)
    exp_m, exp_c = np_oru(mean, cov, last_obs, new_obs, gap)
    np.testing.assert_allclose(got_m, exp_m, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(got_c, exp_c, rtol=1e-10, atol=1e-9)


# ---------------------------------------------------------------- the original's tracks on real detections


@pytest.mark.parametrize("name", TRACKERS)
def test_people_video_matches_original(name: str) -> None:
    """The people video's real detections (yolo11n-seg, 150 frames) through the tracker give the IDs Ultralytics
    8.4.190 gave (``public_trackers_yolo11n-seg.json``), frame by frame, and the same boxes."""
    ref = json.loads(need(REFERENCE / "public_trackers_yolo11n-seg.json").read_text())["videos"][
        "seeed_people-walking.mp4"
    ]
    cap = cv2.VideoCapture(str(need(MEDIA / "videos" / "seeed_people-walking.mp4")))
    ok, frame = cap.read()
    cap.release()
    assert ok
    tr = make_tracker(load_tracker_config(name))
    n_boxes, ids_all = 0, set()
    for pred, track in zip(ref["predict"], ref["track"][name], strict=True):
        xyxy = np.asarray(pred["xyxy"], np.float32).reshape(-1, 4)
        dets = np.column_stack([xyxy, pred["conf"], pred["cls"]]).astype(np.float32)
        out = tr.update(dets)
        assert out[:, 4].astype(int).tolist() == track["id"]
        boxes = _core.clip_boxes(out[:, :4], frame.shape[:2])
        np.testing.assert_allclose(boxes, np.asarray(track["xyxy"]).reshape(-1, 4), atol=2e-3)
        n_boxes += len(out)
        ids_all.update(track["id"])
    assert n_boxes > 2000 and len(ids_all) > 30  # a crowded scene, tracked all along
