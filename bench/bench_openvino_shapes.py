"""OpenVINO compiled per input shape (nn/precision.py ``STATIC_AFTER`` / ``STATIC_SHAPES``) against the dynamic model
compiled once, and both against OpenVINO's raw speed on the same blob (issue 26 item 3: ``half=True`` should reach 90%
of the raw static-shape bf16 speed in the loop).

    python bench/bench_openvino_shapes.py [--frames 60] [--rounds 3] [--precision bf16]

Rows (ms per frame, median over rounds, interleaved in one process):
- raw static: ``compiled.infer`` of one 384x640 blob, model compiled for that shape (no pre/post-processing);
- raw dynamic: the same blob through the model compiled with its dynamic input;
- predict, per-shape (the default): ``model.predict(frame, half=True)`` over the people video's frames;
- predict, dynamic only: the same with ``STATIC_AFTER`` set out of reach and ``SHAPE_EXACT_ONLY`` emptied (bf16
  otherwise compiles each shape at its first frame; the dynamic model's bf16 numbers differ from the per-shape one's);
- predict, onnxruntime fp32: the default runtime, for scale.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from numa_ultralytics import YOLO
from numa_ultralytics.nn import precision

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def frames(n: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(SHARED / "media" / "videos" / "seeed_people-walking.mp4"))
    out = []
    for _ in range(n):
        ok, f = cap.read()
        if not ok:
            break
        out.append(f)
    cap.release()
    return out


def per_frame(fn, items) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    for x in items:
        fn(x)
    return (time.perf_counter() - t0) / len(items) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--precision", default="bf16", choices=("bf16", "fp32"))
    ap.add_argument("--model", default=str(SHARED / "models" / "yolo11n-seg-dynamic.onnx"))
    a = ap.parse_args()
    import openvino as ov

    ims = frames(a.frames)
    half = a.precision == "bf16"
    runtime = None if half else "openvino"
    core = ov.Core()
    cfg = {"INFERENCE_PRECISION_HINT": "bf16" if half else "f32"}
    dyn = core.compile_model(a.model, "CPU", cfg)
    m = core.read_model(a.model)
    m.reshape({m.inputs[0].get_any_name(): [1, 3, 384, 640]})
    static = core.compile_model(m, "CPU", cfg)
    blob = {"images": np.random.default_rng(0).random((1, 3, 384, 640), dtype=np.float32)}
    r_dyn, r_static = dyn.create_infer_request(), static.create_infer_request()
    per_shape = YOLO(a.model)
    dynamic_only = YOLO(a.model)
    ort = YOLO(a.model)
    for mdl, kw in ((per_shape, {"half": half, "runtime": runtime}), (ort, {})):
        mdl.predict(ims[0], device="cpu", verbose=False, **kw)
    rows: dict[str, list[float]] = {k: [] for k in ("raw static", "raw dynamic", "predict per-shape",
                                                   "predict dynamic only", "predict onnxruntime fp32")}  # fmt: skip
    keep, keep_exact = precision.STATIC_AFTER, precision.SHAPE_EXACT_ONLY
    for _ in range(a.rounds):
        rows["raw static"].append(per_frame(lambda _: r_static.infer(blob), ims))
        rows["raw dynamic"].append(per_frame(lambda _: r_dyn.infer(blob), ims))
        rows["predict per-shape"].append(
            per_frame(lambda f: per_shape.predict(f, device="cpu", verbose=False, half=half, runtime=runtime), ims)
        )
        precision.STATIC_AFTER, precision.SHAPE_EXACT_ONLY = 10**9, frozenset()
        rows["predict dynamic only"].append(
            per_frame(lambda f: dynamic_only.predict(f, device="cpu", verbose=False, half=half, runtime=runtime), ims)
        )
        precision.STATIC_AFTER, precision.SHAPE_EXACT_ONLY = keep, keep_exact
        rows["predict onnxruntime fp32"].append(per_frame(lambda f: ort.predict(f, device="cpu", verbose=False), ims))
    med = {k: statistics.median(v) for k, v in rows.items()}
    for k, v in rows.items():
        print(f"{k:26s} {med[k]:7.2f} ms/frame  rounds {[round(x, 2) for x in v]}")
    print(json.dumps({"precision": a.precision, "median_ms": med, "runtime": per_shape.backend.runtime,
                      "predict_per_shape_vs_raw_static": med["raw static"] / med["predict per-shape"]}))  # fmt: skip


if __name__ == "__main__":
    main()
