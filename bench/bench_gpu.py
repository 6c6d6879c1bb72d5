"""GPU checks of issue 14, one section at a time (bench/gpu_check.sh runs them all on a machine with an NVIDIA GPU):

    python bench/bench_gpu.py info                       # versions, providers, the device AutoBackend picks
    python bench/bench_gpu.py floor --device 0           # bare session.run vs AutoBackend (IO binding on / off),
                                                         #   batch 1 / 4 / 16, fp32 and fp16
    python bench/bench_gpu.py fp16 --device 0            # fp16 vs fp32 accuracy on CUDA (bench/fp16_accuracy.py)
    python bench/bench_gpu.py floor --device cpu --iters 3 --batches 1 2   # the same on the CPU (dry run)
    python bench/bench_gpu.py overhead                   # the call's own cost: session.run vs IO binding, no model
    python bench/bench_gpu.py mot17-clip OUT.avi         # the 1080p MOT17-04 frames as a video for the seed loops

``floor`` times ``--iters`` calls per configuration after 3 warm-up calls, on letterboxed 640x640 frames of the
people video stacked into (N, 3, 640, 640) blobs; it prints one JSON line per configuration (ms per batch, images
per second) and, with ``--json``, writes them all.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import MODEL, SHARED, VIDEO

MOT17 = SHARED / "media" / "mot17-mini" / "train" / "MOT17-04-FRCNN" / "img1"


def _device(s: str) -> Any:
    return int(s) if s.isdigit() else s


def info(_: argparse.Namespace) -> dict[str, Any]:
    import onnxruntime as ort

    from numa_ultralytics.nn.autobackend import AutoBackend, cuda_usable

    gpu = ""
    if shutil.which("nvidia-smi"):
        q = ["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"]
        gpu = subprocess.run(q, capture_output=True, text=True, check=False).stdout.strip()
    b = AutoBackend(MODEL)
    out = {
        "python": platform.python_version(),
        "onnxruntime": ort.__version__,
        "providers": ort.get_available_providers(),
        "cuda_usable": cuda_usable(),
        "auto_device": b.device,
        "session_providers": b.session.get_providers(),
        "gpu": gpu,
        "numpy": np.__version__,
        "opencv": cv2.__version__,
    }
    try:
        import torch

        out["torch"] = f"{torch.__version__} cuda={torch.cuda.is_available()}"
    except ImportError:
        out["torch"] = None
    print(json.dumps(out), flush=True)
    return out


def _blobs(n: int) -> np.ndarray:
    from numa_ultralytics import _core
    from numa_ultralytics.data.augment import letterbox

    cap = cv2.VideoCapture(str(VIDEO))
    frames = []
    while len(frames) < n:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(_core.to_blob(letterbox(f, (640, 640), False, 32)))
    cap.release()
    return np.concatenate(frames)


def _time_interleaved(fns: dict[str, Any], x: np.ndarray, iters: int) -> dict[str, float]:
    """ms per call of each function, called in turn (so that load from other processes hits all alike)."""
    for fn in fns.values():
        for _ in range(3):
            fn(x)
    tot = dict.fromkeys(fns, 0.0)
    for _ in range(iters):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn(x)
            tot[k] += time.perf_counter() - t0
    return {k: v * 1e3 / iters for k, v in tot.items()}


def floor(a: argparse.Namespace) -> list[dict[str, Any]]:
    """Bare session.run vs AutoBackend with IO binding on / off, per batch and precision."""
    import onnxruntime as ort

    from numa_ultralytics.nn.autobackend import AutoBackend
    from numa_ultralytics.nn.fp16 import fp16_onnx

    device = _device(a.device)
    all_blobs = _blobs(max(a.batches))
    rows = []
    for prec in a.precisions:
        on = AutoBackend(a.model, device=device, fp16=prec == "fp16")
        off = AutoBackend(a.model, device=device, fp16=prec == "fp16")
        off.io_binding = False
        # the bare session: same file, same providers, default options
        graph = fp16_onnx(a.model) if prec == "fp16" else a.model
        bare = ort.InferenceSession(str(graph), providers=on.session.get_providers())
        fns = {
            "bare_ms": lambda x, s=bare, k=on.input_name: s.run(None, {k: x}),
            "iobinding_ms": on,
            "no_iobinding_ms": off,
        }
        for n in a.batches:
            x = np.ascontiguousarray(all_blobs[:n])
            row: dict[str, Any] = {"device": on.device, "precision": prec, "batch": n}
            row.update(_time_interleaved(fns, x, a.iters))
            row = {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}
            row["images_per_s_iobinding"] = round(1e3 * n / row["iobinding_ms"], 1)
            row["images_per_s_bare"] = round(1e3 * n / row["bare_ms"], 1)
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def overhead(a: argparse.Namespace) -> dict[str, Any]:
    """The cost of the call itself, without a model: a graph that only copies its (1, 3, 640, 640) input into two
    outputs of YOLO11n-seg's sizes (output0 1x116x8400, output1 1x32x160x160, via Slice), run by bare session.run and
    by nn/iobinding.py's BoundRunner (reused output buffers); microseconds per call, interleaved."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    from numa_ultralytics.nn.iobinding import BoundRunner

    def const(name: str, v: list[int]) -> Any:
        return helper.make_tensor(name, TensorProto.INT64, [len(v)], v)

    nodes = [
        helper.make_node("Reshape", ["x", "s_flat"], ["flat"]),
        helper.make_node("Slice", ["flat", "z", "n0"], ["f0"]),
        helper.make_node("Reshape", ["f0", "s0"], ["output0"]),
        helper.make_node("Slice", ["flat", "z", "n1"], ["f1"]),
        helper.make_node("Reshape", ["f1", "s1"], ["output1"]),
    ]
    inits = [
        const("s_flat", [-1]),
        const("z", [0]),
        const("n0", [116 * 8400]),
        const("s0", [1, 116, 8400]),
        const("n1", [32 * 160 * 160]),
        const("s1", [1, 32, 160, 160]),
    ]
    g = helper.make_graph(
        nodes,
        "copy",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 640, 640])],
        [
            helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 116, 8400]),
            helper.make_tensor_value_info("output1", TensorProto.FLOAT, [1, 32, 160, 160]),
        ],
        inits,
    )
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    runner = BoundRunner(sess, "x", "cpu")
    x = _blobs(1)
    names = ["output0", "output1"]
    fns = {"session_run_us": lambda x: sess.run(names, {"x": x}), "iobinding_us": lambda x: runner.run(names, x)}
    res = {k: round(v * 1e3, 1) for k, v in _time_interleaved(fns, x, a.iters).items()}
    print(json.dumps(res), flush=True)
    return res


def fp16(a: argparse.Namespace) -> list[dict[str, Any]]:
    from fp16_accuracy import IMAGES, VIDEOS, compare, frames

    sets = {"images": [cv2.imread(str(p)) for p in IMAGES], **{v.name: frames(v, a.frames) for v in VIDEOS}}
    rows = []
    for name, ims in sets.items():
        row = {"device": a.device, "media": name, "n": len(ims), **compare(a.model, ims, _device(a.device))}
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def mot17_clip(a: argparse.Namespace) -> None:
    """The 8 MOT17-04 frames (1920x1080) played forward and back until ``--frames`` frames, as an MJPG .avi."""
    files = sorted(MOT17.glob("*.jpg"))
    seq = files + files[-2:0:-1]
    first = cv2.imread(str(files[0]))
    h, w = first.shape[:2]
    out = cv2.VideoWriter(str(a.out), cv2.VideoWriter_fourcc(*"MJPG"), 30, (w, h))
    cache = {f: cv2.imread(str(f)) for f in files}
    for i in range(a.frames):
        out.write(cache[seq[i % len(seq)]])
    out.release()
    print(json.dumps({"clip": str(a.out), "frames": a.frames, "size": [w, h]}), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("info")
    p = sub.add_parser("floor")
    p.add_argument("--model", type=Path, default=MODEL)
    p.add_argument("--device", default="0")
    p.add_argument("--batches", type=int, nargs="+", default=[1, 4, 16])
    p.add_argument("--precisions", nargs="+", default=["fp32", "fp16"], choices=["fp32", "fp16"])
    p.add_argument("--iters", type=int, default=50)
    p.add_argument("--json", type=Path)
    p = sub.add_parser("overhead")
    p.add_argument("--iters", type=int, default=300)
    p.add_argument("--json", type=Path)
    p = sub.add_parser("fp16")
    p.add_argument("--model", type=Path, default=MODEL)
    p.add_argument("--device", default="0")
    p.add_argument("--frames", type=int, default=60)
    p.add_argument("--json", type=Path)
    p = sub.add_parser("mot17-clip")
    p.add_argument("out", type=Path)
    p.add_argument("--frames", type=int, default=120)
    a = ap.parse_args()
    res = {"info": info, "floor": floor, "overhead": overhead, "fp16": fp16, "mot17-clip": mot17_clip}[a.cmd](a)
    if getattr(a, "json", None) and res is not None:
        a.json.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
