"""Property tests of the Rust tracker core: lapjv with cost_limit, IoU, Kalman filters, tracker invariants."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from numa_ultralytics import _core
from numa_ultralytics.trackers import load_tracker_config, make_tracker

# ---------------------------------------------------------------- assignment


def brute_extended(cost: np.ndarray, limit: float) -> float:
    """Optimum of lap's extended problem: each row/column matched in the block or left out at limit/2."""
    r, c = cost.shape
    best = (r + c) * limit / 2
    for k in range(1, min(r, c) + 1):
        for rows in itertools.combinations(range(r), k):
            for cols in itertools.permutations(range(c), k):
                total = cost[list(rows), list(cols)].sum() + (r + c - 2 * k) * limit / 2
                best = min(best, total)
    return best


cost_values = st.sampled_from([0.0, 0.1, 0.25, 0.4, 0.45, 0.5, 0.75, 0.9, 1.0]) | st.floats(0, 1)


@settings(max_examples=300, deadline=None)
@given(
    cost=hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=5), elements=cost_values),
    limit=st.sampled_from([0.5, 0.7, 0.8, 0.3, 1.0]),
)
def test_lapjv_is_optimal_on_extended_problem(cost: np.ndarray, limit: float) -> None:
    x, y = _core.lapjv(cost, limit)
    r, c = cost.shape
    assert x.shape == (r,) and y.shape == (c,)
    matched = [(i, int(j)) for i, j in enumerate(x) if j >= 0]
    # x and y are consistent inverse partial maps.
    for i, j in matched:
        assert y[j] == i
    assert sum(1 for v in y if v >= 0) == len(matched)
    total = sum(cost[i, j] for i, j in matched) + (r + c - 2 * len(matched)) * limit / 2
    assert total == pytest.approx(brute_extended(cost, limit), abs=1e-9)


def test_lapjv_pinned_example_and_edges() -> None:
    x, y = _core.lapjv(np.array([[0.0, 0.45], [0.45, 0.95]]), 0.8)
    assert x.tolist() == [0, -1] and y.tolist() == [0, -1]
    m, ua, ub = _core.linear_assignment(np.array([[0.0, 0.45], [0.45, 0.95]], np.float32), 0.8)
    assert m.tolist() == [[0, 0]] and ua.tolist() == [1] and ub.tolist() == [1]
    # All infeasible, empty, rectangular.
    x, y = _core.lapjv(np.full((3, 2), 0.9), 0.8)
    assert x.tolist() == [-1, -1, -1] and y.tolist() == [-1, -1]
    m, ua, ub = _core.linear_assignment(np.zeros((0, 4), np.float32), 0.8)
    assert m.shape == (0, 2) and ua.tolist() == [] and ub.tolist() == [0, 1, 2, 3]
    x, y = _core.lapjv(np.array([[0.5, 0.1, 0.2]]), 0.8)
    assert x.tolist() == [1] and y.tolist() == [-1, 0, -1]
    # No limit: zero-padded square problem.
    x, _ = _core.lapjv(np.array([[3.0, 1.0], [1.0, 3.0]]))
    assert x.tolist() == [1, 0]


def test_lapjv_ties_match_lap() -> None:
    """Choices among equal optima pinned to those of lap 0.5.12 (checked on 15k random matrices)."""
    x, y = _core.lapjv(np.zeros((3, 3)), 0.8)
    assert x.tolist() == [2, 0, 1] and y.tolist() == [1, 2, 0]
    x, _ = _core.lapjv(np.array([[0.2, 0.2], [0.2, 0.2]]), 0.8)
    assert x.tolist() == [1, 0]
    x, _ = _core.lapjv(np.array([[0.4, 0.4, 0.0]]), 0.8)
    assert x.tolist() == [2]


# ---------------------------------------------------------------- IoU

coord = st.floats(-1000, 1000, allow_nan=False, width=32)


@st.composite
def boxes(draw, max_n: int = 6) -> np.ndarray:
    n = draw(st.integers(0, max_n))
    xy = draw(hnp.arrays(np.float32, (n, 2), elements=coord))
    wh = draw(hnp.arrays(np.float32, (n, 2), elements=st.floats(0, 500, width=32)))
    return np.concatenate([xy, xy + wh], axis=1).astype(np.float32)


@settings(max_examples=200, deadline=None)
@given(a=boxes(), b=boxes())
def test_iou_symmetric_and_bounded(a: np.ndarray, b: np.ndarray) -> None:
    m = _core.iou_matrix(a, b)
    assert m.shape == (len(a), len(b)) and m.dtype == np.float32
    np.testing.assert_array_equal(m, _core.iou_matrix(b, a).T)
    assert np.all((m >= 0) & (m <= 1))


@settings(max_examples=100, deadline=None)
@given(a=boxes())
def test_iou_identical_boxes(a: np.ndarray) -> None:
    d = np.diag(_core.iou_matrix(a, a))
    area = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    big = area >= 1
    np.testing.assert_allclose(d[big], 1.0, atol=1e-6)
    assert np.all(d[area == 0] == 0)


def test_iou_reference_formula() -> None:
    a = np.array([[0, 0, 10, 10], [5, 5, 15, 25]], np.float32)
    b = np.array([[5, 0, 15, 10], [0, 0, 10, 10], [100, 100, 110, 110]], np.float32)
    inter = (np.minimum(a[:, None, 2], b[:, 2]) - np.maximum(a[:, None, 0], b[:, 0])).clip(0) * (
        np.minimum(a[:, None, 3], b[:, 3]) - np.maximum(a[:, None, 1], b[:, 1])
    ).clip(0)
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) + ((a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]))[:, None] - inter
    np.testing.assert_array_equal(_core.iou_matrix(a, b), inter / (area + 1e-7))


# ---------------------------------------------------------------- Kalman


def assert_spd(c: np.ndarray) -> None:
    np.testing.assert_allclose(c, c.T, rtol=1e-9, atol=1e-9 * np.abs(c).max())
    np.linalg.cholesky((c + c.T) / 2)  # raises if not positive-definite


@pytest.mark.parametrize("kind", ["xyah", "xywh"])
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), steps=st.integers(1, 300))
def test_kalman_covariance_stays_spd(kind: str, seed: int, steps: int) -> None:
    rng = np.random.default_rng(seed)
    kf = _core.KalmanFilter(kind)
    w, h = rng.uniform(5, 300, 2)
    z = np.array([rng.uniform(0, 1000), rng.uniform(0, 1000), w / h if kind == "xyah" else w, h])
    mean, cov = kf.initiate(z)
    assert_spd(cov)
    for _ in range(steps):
        mean, cov = kf.predict(mean, cov)
        assert_spd(cov)
        if rng.random() < 0.7:  # sometimes the track is not observed
            z = mean[:4] + rng.normal(0, 3, 4) * np.array([1, 1, 0.01 if kind == "xyah" else 1, 1])
            z[3] = max(z[3], 1.0)
            z[2] = max(z[2], 0.05 if kind == "xyah" else 1.0)
            mean, cov = kf.update(mean, cov, z)
            assert_spd(cov)
        assert np.isfinite(mean).all()


def test_kalman_matches_ultralytics_formulas() -> None:
    """One predict/update of the XYAH filter against the numpy formulas of Ultralytics' KalmanFilterXYAH."""
    kf = _core.KalmanFilter("xyah")
    mean, cov = kf.initiate(np.array([100.0, 200.0, 0.5, 80.0]))
    mean[4:] = [1.0, -2.0, 0.0, 0.5]
    F = np.eye(8)
    F[:4, 4:] = np.eye(4)
    h = mean[3]
    q = np.square([h / 20, h / 20, 1e-2, h / 20, h / 160, h / 160, 1e-5, h / 160])
    exp_mean, exp_cov = F @ mean, F @ cov @ F.T + np.diag(q)
    pm, pc = kf.predict(mean, cov)
    np.testing.assert_allclose(pm, exp_mean, rtol=1e-14)
    np.testing.assert_allclose(pc, exp_cov, rtol=1e-12)
    z = np.array([103.0, 197.0, 0.52, 81.0])
    s = pc[:4, :4] + np.diag(np.square([pm[3] / 20, pm[3] / 20, 1e-1, pm[3] / 20]))
    k = np.linalg.solve(s, pc[:, :4].T).T
    um, uc = kf.update(pm, pc, z)
    np.testing.assert_allclose(um, pm + (z - pm[:4]) @ k.T, rtol=1e-12)
    np.testing.assert_allclose(uc, pc - k @ s @ k.T, rtol=1e-9, atol=1e-12)


def test_kalman_bad_input() -> None:
    with pytest.raises(ValueError):
        _core.KalmanFilter("xyz")
    kf = _core.KalmanFilter("xywh")
    with pytest.raises(ValueError):
        kf.initiate(np.zeros(3))
    with pytest.raises(ValueError):
        kf.update(np.zeros(8), np.zeros((8, 8)), np.zeros(4))  # singular


# ---------------------------------------------------------------- tracker invariants


@st.composite
def det_stream(draw) -> list[np.ndarray]:
    """Random frames of detections: jittered persistent objects plus clutter, identical and zero-area boxes."""
    seed = draw(st.integers(0, 2**32 - 1))
    n_frames = draw(st.integers(1, 25))
    rng = np.random.default_rng(seed)
    n_obj = int(rng.integers(0, 12))
    pos = rng.uniform(0, 600, (n_obj, 2))
    vel = rng.normal(0, 4, (n_obj, 2))
    size = rng.uniform(4, 120, (n_obj, 2))
    frames = []
    for _ in range(n_frames):
        pos += vel
        keep = rng.random(n_obj) < 0.85
        xy = pos[keep] + rng.normal(0, 1.5, (keep.sum(), 2))
        wh = size[keep]
        rows = [np.column_stack([xy, xy + wh, rng.uniform(0.05, 1, keep.sum()), rng.integers(0, 3, keep.sum())])]
        k = int(rng.integers(0, 4))
        cxy = rng.uniform(0, 600, (k, 2))
        rows.append(np.column_stack([cxy, cxy + rng.uniform(0, 50, (k, 2)), rng.uniform(0, 1, k), np.zeros(k)]))
        if rng.random() < 0.2 and len(rows[0]):
            rows.append(np.repeat(rows[0][:1], 3, axis=0))  # identical boxes
        if rng.random() < 0.2:
            rows.append(np.array([[10, 10, 10, 40, 0.9, 0]]))  # zero width
        d = np.concatenate(rows).astype(np.float32)
        frames.append(d[rng.permutation(len(d))])
    return frames


@pytest.mark.parametrize("name", ["bytetrack.yaml", "botsort.yaml"])
@settings(max_examples=60, deadline=None)
@given(frames=det_stream())
def test_tracker_invariants(name: str, frames: list[np.ndarray]) -> None:
    tr = make_tracker(load_tracker_config(name))
    seen: set[int] = set()
    max_id = 0
    for fi, d in enumerate(frames, 1):
        out = tr.update(d)
        assert tr.frame_id == fi
        assert out.dtype == np.float32 and out.ndim == 2 and out.shape[1] == 8
        ids = out[:, 4].astype(int).tolist()
        assert len(set(ids)) == len(ids), "IDs unique within a frame"
        idx = out[:, 7].astype(int)
        assert len(set(idx.tolist())) == len(idx), "each detection feeds at most one track"
        if len(out):
            assert idx.min() >= 0 and idx.max() < len(d)
            assert np.all(out[:, 5] == d[idx, 4]) and np.all(out[:, 6] == d[idx, 5])
        new = [i for i in ids if i not in seen]
        for i in sorted(new):
            assert i > max_id or i in seen  # fresh IDs never reuse older ones
        seen.update(ids)
        max_id = max([max_id, *ids])
        views = tr.tracked_stracks + tr.lost_stracks
        all_ids = [v.track_id for v in views]
        assert len(set(all_ids)) == len(all_ids)
        assert all(1 <= i < tr._core.next_id for i in all_ids)
    tr.reset()
    assert tr.frame_id == 0 and tr._core.next_id == 1
    out = tr.update(np.array([[0, 0, 10, 10, 0.9, 0]], np.float32))
    assert out[:, 4].tolist() == [1.0]


def test_ids_strictly_increase_on_creation() -> None:
    tr = make_tracker(load_tracker_config("bytetrack.yaml"))
    created = []
    for f in range(12):
        # A new far-away object every frame; the old ones vanish.
        d = np.array([[f * 200, 0, f * 200 + 50, 100, 0.9, 0]], np.float32)
        tr.update(d)
        created.append(tr._core.next_id - 1)
    assert created == sorted(created) and len(set(created)) == len(created)
    assert created[0] == 1


@pytest.mark.parametrize("name", ["bytetrack.yaml", "botsort.yaml"])
def test_tracker_survives_anything(name: str) -> None:
    tr = make_tracker(load_tracker_config(name))
    rng = np.random.default_rng(0)
    frames = [
        np.zeros((0, 6), np.float32),
        np.tile(np.array([[5, 5, 50, 50, 0.9, 1]], np.float32), (40, 1)),  # identical boxes
        np.array([[3, 3, 3, 3, 0.9, 0], [1, 1, 1, 9, 0.9, 0], [9, 9, 1, 1, 0.9, 0]], np.float32),  # degenerate
        np.column_stack([rng.uniform(0, 2000, (600, 2)), rng.uniform(0, 2000, (600, 2)), rng.random((600, 2))]),
        np.array([[-1e6, -1e6, 1e6, 1e6, 1.0, 0]], np.float32),
        np.array([[1e30, 1e30, 3e30, 3e30, 1.0, 0]], np.float32),
        np.zeros((0, 6), np.float32),
    ]
    for i, d in enumerate(frames):
        d = np.asarray(d, np.float32)
        img = np.zeros((240 + 16 * i, 320 + 32 * i, 3), np.uint8)  # frame size changes every frame
        out = tr.update(d, img)
        assert out.shape[1] == 8 and np.isfinite(out[:, 4:]).all()
    with pytest.raises(ValueError, match="NaN"):
        tr.update(np.array([[0, 0, np.nan, 1, 0.5, 0]], np.float32))
    with pytest.raises(ValueError, match="NaN"):
        tr.update(np.array([[0, 0, np.inf, 1, 0.5, 0]], np.float32))
    with pytest.raises(ValueError):
        tr.update(np.zeros((2, 5), np.float32))
    tr.update(np.zeros((0, 6), np.float32), np.zeros((10, 10, 3), np.uint8))  # still usable


def test_first_frame_activation_and_unconfirmed() -> None:
    tr = make_tracker(load_tracker_config("bytetrack.yaml"))
    a = np.array([[10, 10, 60, 110, 0.9, 0]], np.float32)
    assert tr.update(a)[:, 4].tolist() == [1.0]  # frame 1: activated at once
    b = np.array([[12, 10, 62, 110, 0.9, 0], [400, 10, 450, 110, 0.8, 0]], np.float32)
    out = tr.update(b)
    assert out[:, 4].tolist() == [1.0] and tr.has_unconfirmed  # new track waits a frame
    out = tr.update(b + np.float32([2, 0, 2, 0, 0, 0]))
    assert sorted(out[:, 4].tolist()) == [1.0, 2.0] and not tr.has_unconfirmed


@pytest.mark.parametrize("kind", ["bytetrack", "botsort"])
@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(0, 40), thresh=st.sampled_from([0.25, 0.3, 0.5, 0.1]))
def test_high_indices_is_the_high_split(kind: str, seed: int, n: int, thresh: float) -> None:
    """``TrackerCore.high_indices``: float32 ``score >= track_high_thresh`` and a positive width and height."""
    rng = np.random.default_rng(seed)
    dets = rng.uniform(-5, 50, (n, 6)).astype(np.float32)
    dets[:, 4] = rng.choice([thresh, np.nextafter(thresh, 0), np.nextafter(thresh, 1), 0.9, 0.05], n)
    if dets.size:
        dets.flat[rng.integers(0, dets.size)] = rng.choice([np.nan, np.inf, -np.inf])
    core = _core.TrackerCore({**load_tracker_config(f"{kind}.yaml"), "track_high_thresh": thresh, "frame_rate": 30})
    wh_ok = (dets[:, 2] - dets[:, 0] > 0) & (dets[:, 3] - dets[:, 1] > 0)
    expected = np.flatnonzero(wh_ok & (dets[:, 4] >= np.float32(thresh)))
    np.testing.assert_array_equal(core.high_indices(dets), expected)
