"""Mask -> polygon timing: numa_ultralytics._core (find_contours, mask_to_polygon) vs cv2.findContours and
Ultralytics' masks2segments (cv2 + merge_multi_segment in numpy), on box-sized object masks.

Run: .venv/bin/python bench/bench_contours.py [--repeat N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_contours import ref_mask_to_polygon

from numa_ultralytics._core import find_contours, mask_to_polygon

# Typical box sizes (h, w) of YOLO detections on a 640-pixel input: people, cars, small objects.
SIZES = [(60, 20), (100, 40), (100, 100), (160, 80), (200, 120), (300, 300)]


def object_mask(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A filled, ragged blob covering most of its box, sometimes with a stray second blob."""
    m = np.zeros((h, w), np.uint8)
    n = int(rng.integers(10, 30))
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    rad = rng.uniform(0.35, 0.5, n)
    pts = np.stack([w / 2 + rad * w * np.cos(ang), h / 2 + rad * h * np.sin(ang)], 1)
    cv2.fillPoly(m, [np.round(pts).astype(np.int32)], 1)
    if rng.random() < 0.3:
        cv2.circle(m, (int(rng.integers(0, w)), int(rng.integers(0, h))), int(rng.integers(1, 4)), 1, -1)
    return m


def cv2_contours(m: np.ndarray) -> list:
    return cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0]


def best_time(fn: Callable[[np.ndarray], object], masks: list[np.ndarray], repeat: int) -> float:
    """Best of `repeat` passes over all masks, in ms for the whole set."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        for m in masks:
            fn(m)
        best = min(best, time.perf_counter() - t)
    return best * 1e3


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    print(f"cv2 {cv2.__version__}, numpy {np.__version__}; best of {args.repeat}, times in ms per frame")
    head = ["ours find", "cv2 find", "ratio", "ours poly", "ul poly", "ratio"]
    print(f"{'objects':>8} " + " ".join(f"{h:>10}" for h in head))
    for n in (5, 20, 100):
        masks = [object_mask(rng, *SIZES[int(rng.integers(0, len(SIZES)))]) for _ in range(n)]
        for m in masks:  # sanity: same result as the reference
            assert all(np.array_equal(a, b.reshape(-1, 2)) for a, b in zip(find_contours(m), cv2_contours(m)))
            assert np.array_equal(mask_to_polygon(m), ref_mask_to_polygon(m))
        ours = best_time(find_contours, masks, args.repeat)
        ref = best_time(cv2_contours, masks, args.repeat)
        ours_p = best_time(mask_to_polygon, masks, args.repeat)
        ref_p = best_time(ref_mask_to_polygon, masks, args.repeat)
        cols = [
            f"{ours:.3f}",
            f"{ref:.3f}",
            f"{ref / ours:.1f}x",
            f"{ours_p:.3f}",
            f"{ref_p:.3f}",
            f"{ref_p / ours_p:.1f}x",
        ]
        print(f"{n:>8} " + " ".join(f"{c:>10}" for c in cols))
    print("per mask (h x w): ours find / cv2 find, in us")
    for h, w in SIZES:
        masks = [object_mask(rng, h, w) for _ in range(50)]
        ours = best_time(find_contours, masks, args.repeat) * 1e3 / len(masks)
        ref = best_time(cv2_contours, masks, args.repeat) * 1e3 / len(masks)
        print(f"{h:>5} x {w:<5} {ours:>8.2f} {ref:>8.2f}")


if __name__ == "__main__":
    main()
