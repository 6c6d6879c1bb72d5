"""int8 on CPUs without VNNI (issue 26: "on AVX2-only CPUs, say what int8 gives and pick the faster correct runtime
there"), measured on one machine: oneDNN's ``ONEDNN_MAX_CPU_ISA`` caps the instruction set OpenVINO's CPU plugin uses
(AVX2: ``jit_avx2_I8`` / ``brgconv_avx2_f32`` kernels; tests/test_int8_openvino.py ``test_int8_ir_on_avx2_kernels``
checks the cap takes effect and bounds the accuracy). Raw inference (``infer`` on a letterboxed people-video frame,
384x640, one thread per core as OpenVINO's default) of the fp32 and the NNCF int8 OpenVINO models of yolo11n-seg, each
cap in its own process, the processes interleaved over the repeats; and onnxruntime fp32 (not capped: onnxruntime picks
its kernels from CPUID, so on this CPU it stays AVX-512).

    .venv/bin/python bench/bench_int8_isa.py --repeats 5

The OpenVINO models are exported into a temporary folder (int8 calibrated on coco8-seg train).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_precision import make_int8_openvino
from common import REPO, SHARED, VIDEO, fmt_mmm, header, machine_line, table

CHILD = r"""
import json, sys, time
import cv2, numpy as np
sys.path.insert(0, sys.argv[4])
from numa_ultralytics.data.augment import letterbox, to_blob
cap = cv2.VideoCapture(sys.argv[2]); ok, frame = cap.read(); cap.release()
x = to_blob(letterbox(frame, (640, 640), True, 32))
kind, path, n = sys.argv[1], sys.argv[3], int(sys.argv[5])
if kind == "onnxruntime":
    import onnxruntime as ort
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    run = lambda: s.run(None, {"images": x})
else:
    import openvino as ov
    core = ov.Core()
    m = core.read_model(path); m.reshape({0: list(x.shape)})
    c = core.compile_model(m, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    r = c.create_infer_request()
    run = lambda: r.infer({0: x})
for _ in range(3):
    run()
t = time.perf_counter()
for _ in range(n):
    run()
print(json.dumps((time.perf_counter() - t) * 1000 / n))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--frames", type=int, default=20)
    args = ap.parse_args()
    from numa_ultralytics import YOLO

    header(f"int8 by instruction set: raw inference, {args.frames} runs x {args.repeats} repeats")
    print(machine_line())
    with tempfile.TemporaryDirectory() as tmp:
        pt = Path(tmp) / "yolo11n-seg.pt"
        pt.write_bytes((SHARED / "models" / "yolo11n-seg.pt").read_bytes())
        model = YOLO(pt)
        fp32 = next(Path(model.export(format="openvino", dynamic=True)).glob("*.xml"))
        int8 = next(make_int8_openvino(Path(tmp)).glob("*.xml"))
        variants = [
            ("onnxruntime fp32 (uncapped)", "onnxruntime", SHARED / "models" / "yolo11n-seg-dynamic.onnx", ""),
            ("OpenVINO f32, AVX-512", "openvino", fp32, ""),
            ("OpenVINO int8, AVX-512 VNNI", "openvino", int8, ""),
            ("OpenVINO f32, AVX2", "openvino", fp32, "AVX2"),
            ("OpenVINO int8, AVX2", "openvino", int8, "AVX2"),
        ]
        times: dict[str, list[float]] = {v[0]: [] for v in variants}
        for _ in range(args.repeats):
            for name, kind, path, isa in variants:
                env = {**os.environ, "ONEDNN_MAX_CPU_ISA": isa} if isa else dict(os.environ)
                cmd = [sys.executable, "-c", CHILD, kind, str(VIDEO), str(path), str(REPO / "python"), str(args.frames)]
                out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
                times[name].append(json.loads(out.stdout.splitlines()[-1]))
    base = {"AVX-512": times["OpenVINO f32, AVX-512"], "AVX2": times["OpenVINO f32, AVX2"]}
    rows = []
    for name, t in times.items():
        ref = base["AVX2"] if "AVX2" in name else base["AVX-512"]
        rows.append([name, fmt_mmm(t, 1), fmt_mmm([b / x for b, x in zip(ref, t)], 2) + "x"])
    print(table(["variant", "ms per inference", "speed-up vs OpenVINO f32 on the same ISA"], rows))


if __name__ == "__main__":
    main()
