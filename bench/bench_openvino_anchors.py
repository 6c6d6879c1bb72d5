"""OpenVINO exports side by side (issue 26.4): Ultralytics 8.4.190's and ours, the same predict loop and val.

    PYTHONPATH=python /opt/ultra/bin/python bench/bench_openvino_anchors.py --workdir /tmp/anchors

One process imports both (Ultralytics with torch, openvino and nncf installed; this package from ``python/``, its
extension built for the same Python), so their models run interleaved under the same load. Each implementation
exports ``yolo11n-seg.pt`` as ONNX (dynamic), OpenVINO fp32 (``format="openvino"``) and OpenVINO int8
(``format="openvino", int8=True``, NNCF, calibrated on coco8-seg **train**: a data YAML whose val split is the train
images, as Ultralytics calibrates on ``val``), at 640 with the export defaults otherwise (static input; ours also a
dynamic int8 folder, the form bench_precision.py measures). Each model then runs ``model.predict(frame)`` over
``--frames`` frames of the people video (the predict half of seed loop 1; ``--repeats`` times, interleaved; ms per
frame) and ``model.val`` on coco8-seg val (held out from the calibration).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHARED, VIDEO

PT = SHARED / "models" / "yolo11n-seg.pt"
COCO8 = SHARED / "media" / "coco8-seg"


def export_all(impl: str, yolo: Any, workdir: Path) -> dict[str, Path]:
    """``impl``'s exports of yolo11n-seg.pt in ``workdir/impl`` (kept between runs)."""
    d = workdir / impl
    d.mkdir(parents=True, exist_ok=True)
    pt = d / PT.name
    if not pt.exists():
        shutil.copy(PT, pt)
    names = dict(enumerate(yolo(str(pt)).names.values()))
    cal = d / "coco8-seg-train.yaml"
    cal.write_text(f"path: {COCO8}\ntrain: images/train\nval: images/train\nnames: {names}\n")
    models = {
        "onnx fp32 (dynamic)": (d / "yolo11n-seg.onnx", {"format": "onnx", "dynamic": True}),
        "openvino fp32": (d / "yolo11n-seg_openvino_model", {"format": "openvino"}),
        "openvino int8": (d / "yolo11n-seg_int8_openvino_model", {"format": "openvino", "int8": True}),
    }
    if impl == "ours":  # the dynamic int8 folder (bench_precision.py's int8-openvino), in its own folder
        models["openvino int8 (dynamic)"] = (
            d / "dyn" / "yolo11n-seg_int8_openvino_model",
            {"format": "openvino", "int8": True, "dynamic": True},
        )
    out = {}
    for key, (path, kw) in models.items():
        if not path.exists():
            t = time.perf_counter()
            src = pt
            if path.parent != d:
                path.parent.mkdir(exist_ok=True)
                src = path.parent / PT.name
                shutil.copy(PT, src)
            if kw.get("int8"):
                kw = {**kw, "data": str(cal)}
            yolo(str(src)).export(imgsz=640, **kw)
            print(f"{impl} {key}: exported in {time.perf_counter() - t:.1f}s", flush=True)
        out[f"{impl} {key}"] = path
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", type=Path, required=True)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-val", action="store_true")
    args = ap.parse_args()
    from ultralytics import YOLO as UltraYOLO

    from numa_ultralytics import YOLO as OurYOLO

    impls = {"ultralytics": UltraYOLO, "ours": OurYOLO}
    models = {k: (impl, p) for impl, y in impls.items() for k, p in export_all(impl, y, args.workdir).items()}
    val = args.workdir / "coco8-seg-val.yaml"
    names = dict(enumerate(OurYOLO(str(PT)).names.values()))
    val.write_text(f"path: {COCO8}\ntrain: images/train\nval: images/val\nnames: {names}\n")
    cap = cv2.VideoCapture(str(VIDEO))
    frames = [f for _, f in (cap.read() for _ in range(args.frames)) if f is not None]
    loaded = {k: impls[impl](str(p), task="segment") for k, (impl, p) in models.items()}
    times: dict[str, list[float]] = {k: [] for k in models}
    for m in loaded.values():
        for f in frames[:3]:
            m.predict(f, verbose=False, device="cpu")
    load0 = os.getloadavg()[0]
    for r in range(args.repeats):
        for k, m in loaded.items():  # interleaved: every model sees the same load in each repeat
            t = time.perf_counter()
            for f in frames:
                m.predict(f, verbose=False, device="cpu")
            times[k].append((time.perf_counter() - t) * 1e3 / len(frames))
        print(f"repeat {r + 1}: " + ", ".join(f"{k} {v[-1]:.1f}" for k, v in times.items()), flush=True)
    base = "ultralytics onnx fp32 (dynamic)"
    print(
        f"\nload {load0:.2f} at the start, {os.getloadavg()[0]:.2f} at the end; {len(frames)} frames x {args.repeats}"
    )
    print(
        "\n| model | predict ms/frame, median [min..max] | FPS / Ultralytics ONNX (per repeat, median) "
        "| val box / mask mAP50-95 (coco8-seg val) |"
    )
    print("|---|---|---|---|")
    for k in models:
        ratio = float(np.median([b / t for b, t in zip(times[base], times[k])]))
        acc = "-"
        if not args.no_val:
            r = loaded[k].val(data=str(val), imgsz=640, batch=1, verbose=False, plots=False, device="cpu")
            acc = f"{float(r.box.map):.4f} / {float(r.seg.map):.4f}"
        t = times[k]
        print(f"| {k} | {np.median(t):.1f} [{min(t):.1f}..{max(t):.1f}] | {ratio:.2f}x | {acc} |", flush=True)


if __name__ == "__main__":
    main()
