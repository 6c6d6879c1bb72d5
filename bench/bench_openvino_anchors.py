"""OpenVINO exports side by side (issue 26.4): Ultralytics 8.4.190's and ours, the same predict loop and val.

    /opt/ultra/bin/python bench/bench_openvino_anchors.py --impl ultralytics --workdir /tmp/anchors   # needs torch
    .venv/bin/python bench/bench_openvino_anchors.py --impl ours --workdir /tmp/anchors

Each implementation exports ``yolo11n-seg.pt`` as ONNX (dynamic), OpenVINO fp32 (``format="openvino"``) and OpenVINO
int8 (``format="openvino", int8=True``, NNCF, calibrated on coco8-seg **train**: a data YAML whose val split is the
train images, as Ultralytics calibrates on ``val``), all at 640 with the export defaults otherwise (static input),
then for each: ``model.predict(frame)`` over ``--frames`` frames of the people video (the predict half of seed loop 1,
``--repeats`` times, interleaved; ms per frame, median) and ``model.val`` on coco8-seg val (held out from the
calibration). Run the two implementations one after the other (or alternately) and compare within one load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHARED, VIDEO

PT = SHARED / "models" / "yolo11n-seg.pt"
COCO8 = SHARED / "media" / "coco8-seg"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--impl", choices=("ultralytics", "ours"), required=True)
    ap.add_argument("--workdir", type=Path, required=True)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-val", action="store_true")
    args = ap.parse_args()
    if args.impl == "ultralytics":
        from ultralytics import YOLO
    else:
        from numa_ultralytics import YOLO  # type: ignore[assignment]

    d = args.workdir / args.impl
    d.mkdir(parents=True, exist_ok=True)
    pt = d / PT.name
    if not pt.exists():
        shutil.copy(PT, pt)
    names = dict(enumerate(json.loads(json.dumps(list(YOLO(str(pt)).names.values())))))
    cal = d / "coco8-seg-train.yaml"
    cal.write_text(f"path: {COCO8}\ntrain: images/train\nval: images/train\nnames: {names}\n")
    val = d / "coco8-seg-val.yaml"
    val.write_text(f"path: {COCO8}\ntrain: images/train\nval: images/val\nnames: {names}\n")
    models = {
        "onnx fp32": d / "yolo11n-seg.onnx",
        "openvino fp32": d / "yolo11n-seg_openvino_model",
        "openvino int8": d / "yolo11n-seg_int8_openvino_model",
    }
    for key, path in models.items():
        if not path.exists():
            t = time.perf_counter()
            kw = {"int8": True, "data": str(cal)} if "int8" in key else {}
            YOLO(str(pt)).export(format=key.split()[0], imgsz=640, dynamic="onnx" in key, **kw)
            print(f"{args.impl} {key}: exported in {time.perf_counter() - t:.1f}s", flush=True)
    cap = cv2.VideoCapture(str(VIDEO))
    frames = [f for _, f in (cap.read() for _ in range(args.frames)) if f is not None]
    loaded = {k: YOLO(str(p), task="segment") for k, p in models.items()}
    times: dict[str, list[float]] = {k: [] for k in models}
    for m in loaded.values():
        for f in frames[:3]:
            m.predict(f, verbose=False, device="cpu")
    for _ in range(args.repeats):
        for k, m in loaded.items():
            t = time.perf_counter()
            for f in frames:
                m.predict(f, verbose=False, device="cpu")
            times[k].append((time.perf_counter() - t) * 1e3 / len(frames))
    out = {"impl": args.impl, "load": os.getloadavg()[0], "frames": len(frames)}
    for k in models:
        out[k] = {"ms": float(np.median(times[k])), "ms_all": [round(x, 1) for x in times[k]]}
        if not args.no_val:
            r = loaded[k].val(data=str(val), imgsz=640, batch=1, verbose=False, plots=False, device="cpu")
            out[k]["box_map"], out[k]["mask_map"] = float(r.box.map), float(r.seg.map)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
