"""Soak benchmark (issue 12 item 6): 10,000 tracked frames with BoT-SORT and ``masks.xy``, RSS sampled every
1,000 frames. The people video is read once and its frames are fed in a loop (``track(frame, persist=True)``, as a
live camera loop does), so only the library's memory moves.

    python bench/soak.py [--frames 10000] [--every 1000] [--model ../shared/models/yolo11n-seg.pt]

Prints one line per sample and a JSON summary (growth after warm-up = last sample - first sample after frame 1000).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import cv2

from numa_ultralytics import YOLO

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def rss_mb() -> float:
    """Current resident set size in MB (from /proc; ru_maxrss is the peak)."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=10_000)
    ap.add_argument("--every", type=int, default=1_000)
    ap.add_argument("--model", default=str(SHARED / "models" / "yolo11n-seg.pt"))
    ap.add_argument("--video", default=str(next((SHARED / "media").rglob("seeed_people-walking.mp4"))))
    args = ap.parse_args()
    cap = cv2.VideoCapture(args.video)
    frames = []
    while True:
        ok, im = cap.read()
        if not ok:
            break
        frames.append(im)
    cap.release()
    model = YOLO(args.model)
    samples = []
    polys = 0
    t0 = time.perf_counter()
    for i in range(1, args.frames + 1):
        r = model.track(frames[(i - 1) % len(frames)], persist=True, tracker="botsort.yaml", verbose=False)[0]
        if r.masks is not None:
            polys += sum(len(p) for p in r.masks.xy)
        if i % args.every == 0 or i == 1:
            samples.append((i, round(rss_mb(), 1)))
            print(f"frame {i:6d}  rss {samples[-1][1]:8.1f} MB  {(time.perf_counter() - t0) / i * 1e3:6.1f} ms/frame")
    after = [s for s in samples if s[0] >= args.every]
    summary = {
        "frames": args.frames,
        "video_frames": len(frames),
        "samples": samples,
        "growth_after_warmup_mb": round(after[-1][1] - after[0][1], 1) if len(after) > 1 else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "polygon_points": polys,
        "ids": int(model.trackers[0]._core.next_id - 1) if model.trackers else 0,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
