"""The solutions loop (issue 24): ``numa_ultralytics.solutions`` beside Ultralytics 8.4.190's, same ONNX model, same
frames, same run. Each side processes the same ``--frames`` frames of the people video through a fresh solution
(``show=False``, ``verbose=False``); the time per frame is split into tracking (``speed["track"]``) and the
solution's own work (``speed["solution"]``: drawing and bookkeeping).

    python bench/bench_solutions.py [--frames 60] [--cases isegment_26,count_hline,heatmap]

The original runs in a subprocess with ``$NUMA_BENCH_ORIGINAL_PYTHON`` (default /opt/ultra/bin/python, an
environment with ultralytics==8.4.190 and shapely); without it only our column is printed. The cases are
tests/fixtures/make_solutions_reference.py's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))

import make_solutions_reference as cases  # noqa: E402

WARMUP = 3


def run(lib: str, names: list[str], frames: int) -> dict[str, Any]:
    """Per case: median ms per frame (whole call, track, solution) over ``frames`` frames after ``WARMUP``."""
    import cv2

    if lib == "ultralytics":
        from ultralytics import solutions
    else:
        from numa_ultralytics import solutions
    out: dict[str, Any] = {}
    for name in names:
        cls_name, model, kwargs = cases.CASES[name]
        if cls_name == "ObjectCropper":
            continue
        sol = getattr(solutions, cls_name)(
            model=str(cases.SHARED / "models" / model), show=False, verbose=False, **kwargs
        )
        cap = cv2.VideoCapture(str(cases.SHARED / "media" / "videos" / cases.VIDEO))
        total, track, own = [], [], []
        for i in range(frames + WARMUP):
            ok, frame = cap.read()
            if not ok:
                break
            t0 = time.perf_counter()
            res = sol(frame)
            dt = (time.perf_counter() - t0) * 1e3
            if i >= WARMUP:
                total.append(dt)
                track.append(res.speed.get("track", 0.0))
                own.append(res.speed.get("solution", 0.0))
        cap.release()
        out[name] = {k: statistics.median(v) for k, v in (("total", total), ("track", track), ("solution", own))}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--cases", default="isegment_26,count_hline,heatmap")
    ap.add_argument("--lib", default="numa", choices=["numa", "ultralytics"])
    ap.add_argument("--json", action="store_true", help="print one JSON object (used for the original's side)")
    a = ap.parse_args()
    names = a.cases.split(",")
    if a.json:
        print(json.dumps(run(a.lib, names, a.frames)))
        return
    original = os.environ.get("NUMA_BENCH_ORIGINAL_PYTHON", "/opt/ultra/bin/python")
    theirs: dict[str, Any] = {}
    if Path(original).exists():
        cmd = [original, __file__, "--json", "--lib", "ultralytics", "--frames", str(a.frames), "--cases", a.cases]
        p = subprocess.run(cmd, capture_output=True, text=True, check=True, env={**os.environ, "YOLO_OFFLINE": "1"})
        theirs = json.loads(p.stdout.strip().splitlines()[-1])
    ours = run("numa", names, a.frames)
    print(f"{a.frames} frames of {cases.VIDEO}, median ms per frame (whole call / track / solution's own work)\n")
    print("| case | numa_ultralytics | ultralytics 8.4.190 | speed-up (whole call) |")
    print("|---|---|---|---|")
    for name, o in ours.items():
        t = theirs.get(name)
        ot = f"{o['total']:.1f} / {o['track']:.1f} / {o['solution']:.1f}"
        tt = f"{t['total']:.1f} / {t['track']:.1f} / {t['solution']:.1f}" if t else "-"
        sp = f"{t['total'] / o['total']:.2f}x" if t else "-"
        print(f"| {name} | {ot} | {tt} | {sp} |")


if __name__ == "__main__":
    main()
