"""Smoke test of an installed wheel (run by .ci/run from outside the source tree, with no Rust toolchain on PATH).

    python smoke_wheel.py SHARED_DIR

Checks that the package imports from site-packages without the test-only probes (cargo feature ``probes``), predicts
and tracks on a shared video, and runs the seed's first block (display calls removed) on a short clip of it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2

import numa_ultralytics
from numa_ultralytics import YOLO, _core

# Names only a test build exports (_core.pyi's probes section); the wheel leaves them out.
PROBES = ("lapjv", "KalmanFilter", "iou_matrix", "ocsort_oru", "fasttrack_roll_back", "tracktrack_tai", "find_contours")


def main(shared: Path) -> None:
    pkg = Path(numa_ultralytics.__file__).resolve()
    assert "site-packages" in pkg.parts, f"imported from {pkg}, not from the installed wheel"
    assert shutil.which("cargo") is None and shutil.which("rustc") is None, "a Rust toolchain is on PATH"
    present = [n for n in PROBES if hasattr(_core, n)]
    assert not present, f"the wheel exports test-only probes {present}"
    assert hasattr(_core, "TrackerCore") and hasattr(_core, "postprocess")
    video = next(shared.joinpath("media").rglob("seeed_people-walking.mp4"))
    weights = shared / "models"

    model = YOLO(weights / "yolo11n-seg.pt")
    n, dets = 0, 0
    for r in model.predict(str(video), stream=True, vid_stride=10, verbose=False):
        n += 1
        dets += len(r.boxes)
        assert r.masks is not None and len(r.masks.xy) == len(r.boxes)
    assert n >= 30 and dets > 10 * n, (n, dets)
    ids: set[int] = set()
    for i, r in enumerate(model.track(str(video), stream=True, verbose=False)):
        ids.update(r.boxes.id.int().tolist())
        if i == 40:
            break
    assert 10 <= len(ids) <= 60, ids
    print(f"predict: {n} frames, {dets} detections; track: 41 frames, {len(ids)} ids")

    text = (shared / "seed" / "instance-segmentation-and-tracking.md").read_text(encoding="utf-8")
    block = re.sub(r"^ {8}", "", re.findall(r"```python\n(.*?)```", text, flags=re.S)[0], flags=re.M)
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "clip.avi"
        cap = cv2.VideoCapture(str(video))
        w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        wr = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 25, (w, h))
        for _ in range(20):
            wr.write(cap.read()[1])
        wr.release()
        cap.release()
        code = block.replace("path/to/video/file.mp4", str(clip))
        code = re.sub(r"^(\s*)cv2\.imshow\(.*\)$", r"\1pass", code, flags=re.M)
        code = code.replace('cv2.waitKey(1) & 0xFF == ord("q")', "False").replace("cv2.destroyAllWindows()", "pass")
        (Path(tmp) / "block0.py").write_text(code)
        env = dict(os.environ, NUMA_ULTRALYTICS_WEIGHTS_DIR=str(weights), NUMA_ULTRALYTICS_CACHE_DIR=tmp)
        subprocess.run([sys.executable, "block0.py"], cwd=tmp, env=env, check=True, timeout=600)
        out = cv2.VideoCapture(str(Path(tmp) / "instance-segmentation.avi"))
        frames = 0
        while out.read()[0]:
            frames += 1
        assert frames == 20, frames
    print("seed block 1: 20 frames written")


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
