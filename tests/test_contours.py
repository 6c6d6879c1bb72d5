"""Mask -> polygon (`numa_ultralytics._core.find_contours` / `mask_to_polygon`) against the real thing:
cv2.findContours(RETR_EXTERNAL, CHAIN_APPROX_SIMPLE) point for point, and Ultralytics 8.4.190's
`masks2segments(strategy="all")` (ported below from its source) value for value."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from numa_ultralytics._core import find_contours, mask_to_polygon

# --- Reference: Ultralytics 8.4.190 (utils/ops.py masks2segments, data/converter.py) ---------------


def _min_index(arr1: np.ndarray, arr2: np.ndarray) -> tuple[int, int]:
    dis = ((arr1[:, None, :] - arr2[None, :, :]) ** 2).sum(-1)
    return np.unravel_index(np.argmin(dis, axis=None), dis.shape)


def _merge_multi_segment(segments: list) -> list[np.ndarray]:
    s = []
    segments = [np.array(i).reshape(-1, 2) for i in segments]
    idx_list = [[] for _ in range(len(segments))]
    for i in range(1, len(segments)):
        idx1, idx2 = _min_index(segments[i - 1], segments[i])
        idx_list[i - 1].append(idx1)
        idx_list[i].append(idx2)
    for k in range(2):
        if k == 0:
            for i, idx in enumerate(idx_list):
                if len(idx) == 2 and idx[0] > idx[1]:
                    idx = [len(segments[i]) - 1 - x for x in idx]
                    segments[i] = segments[i][::-1, :]
                segments[i] = np.roll(segments[i], -idx[0], axis=0)
                segments[i] = np.concatenate([segments[i], segments[i][:1]])
                if i in {0, len(idx_list) - 1}:
                    s.append(segments[i])
                else:
                    idx = [0, idx[1] - idx[0]]
                    s.append(segments[i][idx[0] : idx[1] + 1])
        else:
            for i in range(len(idx_list) - 1, -1, -1):
                if i not in {0, len(idx_list) - 1}:
                    idx = idx_list[i]
                    nidx = abs(idx[1] - idx[0])
                    s.append(segments[i][nidx:])
    return s


def ref_mask_to_polygon(mask: np.ndarray) -> np.ndarray:
    """`masks2segments(mask[None], strategy="all")[0]`."""
    x = np.ascontiguousarray(mask.astype("uint8"))
    c = cv2.findContours(x, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0]
    if c:
        c = np.concatenate(_merge_multi_segment([x.reshape(-1, 2) for x in c])) if len(c) > 1 else c[0].reshape(-1, 2)
    else:
        c = np.zeros((0, 2))
    return c.astype("float32")


def cv_contours(mask: np.ndarray) -> list[np.ndarray]:
    c = cv2.findContours(np.ascontiguousarray(mask.astype(np.uint8)), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0]
    return [x.reshape(-1, 2) for x in c]


def assert_same_contours(mask: np.ndarray) -> None:
    ours = find_contours(mask)
    ref = cv_contours(mask)
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref):
        assert a.dtype == np.int32 and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


def assert_same_polygon(mask: np.ndarray) -> None:
    ours = mask_to_polygon(mask)
    ref = ref_mask_to_polygon(mask)
    assert ours.dtype == np.float32 and ours.shape == ref.shape
    np.testing.assert_array_equal(ours, ref)


# --- Mask generators -------------------------------------------------------------------------------


def random_mask(rng: np.random.Generator, h: int, w: int, kind: str) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    if kind == "noise":
        m[:] = rng.random((h, w)) < rng.uniform(0.05, 0.95)
        return m
    for _ in range(int(rng.integers(1, 6))):
        shape = rng.integers(0, 4)
        cx, cy = int(rng.integers(-2, w + 2)), int(rng.integers(-2, h + 2))
        if shape == 0:  # rectangle (may touch / cross the borders)
            x2, y2 = int(rng.integers(-2, w + 2)), int(rng.integers(-2, h + 2))
            cv2.rectangle(m, (cx, cy), (x2, y2), 1, -1)
        elif shape == 1:  # ellipse
            axes = (int(rng.integers(0, w + 1)), int(rng.integers(0, h + 1)))
            cv2.ellipse(m, (cx, cy), axes, float(rng.uniform(0, 180)), 0, 360, 1, -1)
        elif shape == 2:  # filled polygon
            pts = np.stack([rng.integers(-2, w + 2, 7), rng.integers(-2, h + 2, 7)], 1).astype(np.int32)
            cv2.fillPoly(m, [pts], 1)
        else:  # thin line
            x2, y2 = int(rng.integers(-2, w + 2)), int(rng.integers(-2, h + 2))
            cv2.line(m, (cx, cy), (x2, y2), 1, int(rng.integers(1, 3)))
    if kind == "holes":
        for _ in range(int(rng.integers(1, 4))):  # punch holes and put islands inside them
            cx, cy = int(rng.integers(0, w)), int(rng.integers(0, h))
            r = int(rng.integers(1, max(2, min(h, w) // 2)))
            cv2.circle(m, (cx, cy), r, 0, -1)
            if rng.random() < 0.5:
                cv2.circle(m, (cx, cy), max(r // 3, 0), 1, -1)
    if kind == "speckle":
        m ^= (rng.random((h, w)) < 0.08).astype(np.uint8)
    return m


KINDS = ["shapes", "holes", "noise", "speckle"]


# --- Hand-made cases -------------------------------------------------------------------------------


def _m(rows: list[str]) -> np.ndarray:
    return np.array([[c == "#" for c in r] for r in rows], np.uint8)


HAND_CASES = {
    "single": ["#"],
    "single_inside": ["...", ".#.", "..."],
    "square": ["....", ".##.", ".##.", "...."],
    "full": ["###", "###"],
    "row": ["####"],
    "column": ["#", "#", "#"],
    "l_shape": ["#..", "#..", "###"],
    "diagonal": ["#..", ".#.", "..#"],
    "anti_diagonal": ["..#", ".#.", "#.."],
    "ring_with_island": ["#####", "#...#", "#.#.#", "#...#", "#####"],
    "thin_ring_island": ["#######", "#.....#", "#.###.#", "#.#.#.#", "#.###.#", "#.....#", "#######"],
    "two_blobs": ["##...", "##...", ".....", "...#.", "...##"],
    "row_of_dots": ["#.#.#"],
    "checker": ["#.#.", ".#.#", "#.#.", ".#.#"],
    "u_shape": ["#...#", "#...#", "#...#", "#####"],
    "x_shape": ["#...#", ".#.#.", "..#..", ".#.#.", "#...#"],
    "spiral": ["#######", "......#", "#####.#", "#...#.#", "#.###.#", "#.....#", "#######"],
}


@pytest.mark.parametrize("name", sorted(HAND_CASES))
def test_hand_made_cases(name: str) -> None:
    m = _m(HAND_CASES[name])
    assert_same_contours(m)
    assert_same_polygon(m)


def test_empty_and_degenerate_masks() -> None:
    for shape in [(0, 0), (0, 5), (5, 0)]:
        m = np.zeros(shape, np.uint8)
        assert find_contours(m) == []
        assert mask_to_polygon(m).shape == (0, 2)
    for shape in [(1, 1), (1, 7), (7, 1), (9, 13)]:
        z = np.zeros(shape, np.uint8)
        assert find_contours(z) == [] and cv_contours(z) == []
        assert mask_to_polygon(z).shape == (0, 2)
        assert_same_contours(np.ones(shape, np.uint8))
        assert_same_polygon(np.full(shape, 255, np.uint8))


def test_input_layouts_and_dtypes() -> None:
    rng = np.random.default_rng(3)
    big = random_mask(rng, 60, 80, "holes")
    ref = cv_contours(big)
    for variant in [big.astype(bool), np.asfortranarray(big), big * 200]:
        got = find_contours(variant)
        assert len(got) == len(ref) and all(np.array_equal(a, b) for a, b in zip(got, ref))
    # Views: a sub-region, a reversed and a strided one (each compared with cv2 on its own copy).
    for view in [big[5:50, 7:70], big[:, ::-1], big[::2, ::3], big.T]:
        assert_same_contours(view)
        assert_same_polygon(view)


def test_offset_is_added_to_every_point() -> None:
    m = np.zeros((40, 50), np.uint8)
    cv2.circle(m, (20, 15), 9, 1, -1)
    cv2.rectangle(m, (35, 30), (45, 36), 1, -1)
    roi = m[4:38, 9:48]
    whole = find_contours(m)
    shifted = find_contours(roi, offset=(9, 4))
    assert len(whole) == len(shifted) == 2
    for a, b in zip(whole, shifted):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(mask_to_polygon(roi, offset=(9, 4)), mask_to_polygon(m))


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((2, 3, 4), np.uint8),
        np.zeros(5, np.uint8),
        np.zeros((3, 3), np.float32),
        np.zeros((3, 3), np.int64),
        [[0, 1], [1, 0]],
        None,
    ],
)
def test_bad_input_raises_value_error(bad: object) -> None:
    with pytest.raises(ValueError, match="2-D numpy array"):
        find_contours(bad)
    with pytest.raises(ValueError, match="2-D numpy array"):
        mask_to_polygon(bad)


# --- Random masks vs cv2 ---------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    h=st.integers(1, 64),
    w=st.integers(1, 64),
    kind=st.sampled_from(KINDS),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_masks_match_cv2(h: int, w: int, kind: str, seed: int) -> None:
    m = random_mask(np.random.default_rng(seed), h, w, kind)
    assert_same_contours(m)
    assert_same_polygon(m)


@settings(max_examples=200, deadline=None)
@given(
    data=st.lists(st.lists(st.booleans(), min_size=1, max_size=12), min_size=1, max_size=12),
)
def test_tiny_arbitrary_masks_match_cv2(data: list[list[bool]]) -> None:
    w = max(len(r) for r in data)
    m = np.array([r + [False] * (w - len(r)) for r in data], np.uint8)
    assert_same_contours(m)
    assert_same_polygon(m)


def test_many_random_masks_sweep() -> None:
    """A deterministic sweep (no shrinking needed to reproduce): 2000 masks of every kind."""
    rng = np.random.default_rng(12345)
    for i in range(2000):
        h, w = int(rng.integers(1, 65)), int(rng.integers(1, 65))
        m = random_mask(rng, h, w, KINDS[i % len(KINDS)])
        ours, ref = find_contours(m), cv_contours(m)
        assert len(ours) == len(ref), (i, h, w)
        for a, b in zip(ours, ref):
            np.testing.assert_array_equal(a, b, err_msg=f"mask {i}")
        np.testing.assert_array_equal(mask_to_polygon(m), ref_mask_to_polygon(m), err_msg=f"mask {i}")


def test_realistic_object_masks() -> None:
    """Masks shaped like YOLO instance masks: a large filled polygon (a person, a car) with
    ragged edges, cut by the box crop, with stray blobs, at typical box sizes."""
    rng = np.random.default_rng(7)
    for h, w in [(60, 20), (120, 48), (300, 300), (200, 90), (480, 640)]:
        for _ in range(5):
            m = np.zeros((h, w), np.uint8)
            n = int(rng.integers(8, 30))
            ang = np.sort(rng.uniform(0, 2 * np.pi, n))
            rad = rng.uniform(0.3, 0.6, n)
            pts = np.stack([w / 2 + rad * w * np.cos(ang), h / 2 + rad * h * np.sin(ang)], 1)
            cv2.fillPoly(m, [np.round(pts).astype(np.int32)], 1)
            for _ in range(int(rng.integers(0, 4))):  # stray blobs -> several contours to merge
                cv2.circle(m, (int(rng.integers(0, w)), int(rng.integers(0, h))), int(rng.integers(1, 6)), 1, -1)
            # crop to a box as the pipeline does (columns/rows outside set to 0)
            x1, x2 = sorted(rng.integers(0, w + 1, 2))
            y1, y2 = sorted(rng.integers(0, h + 1, 2))
            crop = np.zeros_like(m)
            crop[y1:y2, x1:x2] = m[y1:y2, x1:x2]
            for mm in (m, crop):
                assert_same_contours(mm)
                assert_same_polygon(mm)


def test_large_noise_with_thousands_of_contours() -> None:
    rng = np.random.default_rng(11)
    for density, min_count in ((0.05, 1000), (0.15, 500), (0.45, 1), (0.7, 1)):
        m = (rng.random((256, 320)) < density).astype(np.uint8)
        ours, ref = find_contours(m), cv_contours(m)
        assert len(ours) == len(ref) >= min_count
        for a, b in zip(ours, ref):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(mask_to_polygon(m), ref_mask_to_polygon(m))
