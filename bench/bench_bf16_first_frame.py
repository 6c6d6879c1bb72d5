"""What compiling each input shape's own bf16 model at its first frame costs (nn/precision.py ``SHAPE_EXACT_ONLY``)
against the earlier rule (the dynamic model for a shape's first frame, its own model from the second:
``STATIC_AFTER``), interleaved in one process, fresh models each repeat:

- one image: ``YOLO(...).predict(bus.jpg, half=True)``, the first call (load, compiles, inference);
- video: the people video's first ``--frames`` frames (one 384x640 letterbox), ms per frame over the whole run;
- one-off shapes: ``--shapes`` real frames cropped to as many different letterbox shapes, each seen once (the worst
  case of the new rule: a compile per frame; the old rule compiled none).

    python bench/bench_bf16_first_frame.py [--repeats 3] [--frames 40] [--shapes 8]

Prints ms per row and rule, median [min..max] over repeats, and new/old ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_precision import frames_of
from common import MODEL, SHARED, VIDEO

from numa_ultralytics import YOLO
from numa_ultralytics.nn import precision

ARGS = {"device": "cpu", "half": True, "verbose": False}


def video(n: int) -> list[np.ndarray]:
    return frames_of(VIDEO, n)


def one_off(frames: list[np.ndarray], n: int) -> list[np.ndarray]:
    """``n`` (at most 8) of the video's frames cut to heights 360, 320, ..., 80 at full width: at imgsz 640 each
    letterboxes to another shape (640 wide, 384, 320, 288, ... high)."""
    return [np.ascontiguousarray(f[: 360 - 40 * k]) for k, f in zip(range(min(n, 8)), frames)]


def run(rule: str, work: Callable[[YOLO], None]) -> float:
    keep = precision.SHAPE_EXACT_ONLY
    precision.SHAPE_EXACT_ONLY = keep if rule == "new" else frozenset()
    try:
        t0 = time.perf_counter()
        work(YOLO(MODEL))
        return (time.perf_counter() - t0) * 1e3
    finally:
        precision.SHAPE_EXACT_ONLY = keep


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--shapes", type=int, default=8)
    a = ap.parse_args()
    if not precision.cpu_has_bf16():
        raise SystemExit("this CPU has no bf16 units: half=True runs fp32 on onnxruntime, nothing to compare")
    bus = cv2.imread(str(SHARED / "media" / "images" / "bus.jpg"))
    ims = video(a.frames)
    odd = one_off(ims, a.shapes)
    probe = YOLO(MODEL)  # onnxruntime fp32: which letterbox shapes the frames give
    shapes = {probe.predict(f, device="cpu", verbose=False)[0].input_hw for f in odd}
    rows: dict[str, Callable[[YOLO], None]] = {
        "one image (first call)": lambda m: m.predict(bus, **ARGS),
        f"video, {len(ims)} frames": lambda m: [m.predict(f, **ARGS) for f in ims],
        f"one-off shapes, {len(odd)} frames": lambda m: [m.predict(f, **ARGS) for f in odd],
    }
    per = dict(zip(rows, (1, len(ims), len(odd))))
    got: dict[tuple[str, str], list[float]] = {}
    for _ in range(a.repeats):
        for name, work in rows.items():
            for rule in ("old", "new"):
                got.setdefault((name, rule), []).append(run(rule, work) / per[name])
    out = {}
    for name in rows:
        old, new = got[(name, "old")], got[(name, "new")]
        ratio = statistics.median(n / o for n, o in zip(new, old))
        print(
            f"{name:32s} old {statistics.median(old):8.1f} [{min(old):.1f}..{max(old):.1f}]  new "
            f"{statistics.median(new):8.1f} [{min(new):.1f}..{max(new):.1f}] ms/frame  new/old {ratio:.2f}"
        )
        out[name] = {"old_ms": statistics.median(old), "new_ms": statistics.median(new), "new_over_old": ratio}
    print(json.dumps({"distinct_shapes": len(shapes), **out}))


if __name__ == "__main__":
    main()
