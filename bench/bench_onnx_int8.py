"""ONNX int8 layouts for onnxruntime's CPU kernels (issue 26 item 1), in one run: the int8 export
(``export(format="onnx", int8=True)``, nn/quantize.py ``quantize_int8``: QDQ over Conv/Gemm/MatMul, weights per
channel) with each activation / weight layout, against onnxruntime fp32.

    nice -n 0 .venv/bin/python bench/bench_onnx_int8.py --rounds 8
    nice -n 0 .venv/bin/python bench/bench_onnx_int8.py --variants s8s8,u8s8r --rounds 4 --no-val

Variants (onnxruntime ``QuantType`` of the activations, of the weights, ``reduce_range``): ``s8s8`` (signed int8
both, as Ultralytics 8.4.190, per tensor there), ``u8s8`` (unsigned activations: the layout onnxruntime's x86 int8
kernels run; on AVX2 without VNNI their VPMADDUBSW pair sums of u8 x s8 products saturate at 16 bits), ``u8s8r``
(the same with 7-bit weights, ``reduce_range``: |w| <= 64, so a pair sum is at most 2 * 255 * 64 = 32640 < 32767 and
exact on AVX2 as on VNNI), ``u8u8`` (both unsigned). Each is ``yolo11n-seg.pt`` exported with ``int8=True,
dynamic=True, imgsz=640`` calibrated on coco8-seg **train** (val held out), nn/quantize.py's layout constants set for
that export only.

Measured: the graph's layout (activation zero-point types, the range of the quantized weights); bare
``session.run`` ms per frame at 384x640 and 640x640 (bench/int8_search.py ``speed``: fp32 and every variant
interleaved per round, ratio fp32 / variant per round); agreement with fp32 predict (``utils/metrics.py agreement``:
same class, box IoU >= 0.5; mask IoU of the pairs) on the first ``--frames`` frames of the people video, the 8
frames of mmtracking_demo and MOT17-mini's 39 frames, and the class-score noise (bench/int8_search.py
``logit_spread``: mean / standard deviation of int8 - fp32 class logits of paired detections at conf 0.05);
``model.val`` box / mask mAP50-95 on coco8-seg val (imgsz 640).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_precision import COCO8, PT, frames_of
from common import MODEL, machine_line, table
from int8_search import LOW, VIDEOS, agreement_cells, calib_files, speed

#: name -> (activation QuantType, weight QuantType, reduce_range)
VARIANTS = {
    "s8s8": ("QInt8", "QInt8", False),
    "u8s8": ("QUInt8", "QInt8", False),
    "u8s8r": ("QUInt8", "QInt8", True),
    "u8u8": ("QUInt8", "QUInt8", False),
}


def export_variant(name: str, pt: Path, data: Path, d: Path) -> Path:
    """``pt`` exported with ``int8=True`` (imgsz 640, dynamic) with the layout of ``name``, into ``d/<name>.onnx``."""
    import numa_ultralytics.nn.quantize as q
    from numa_ultralytics.engine.exporter import export

    keep = (q.ACTIVATION_TYPE, q.WEIGHT_TYPE, q.REDUCE_RANGE)
    q.ACTIVATION_TYPE, q.WEIGHT_TYPE, q.REDUCE_RANGE = VARIANTS[name]
    try:
        return Path(export(pt, d / f"{name}.onnx", format="onnx", int8=True, dynamic=True, data=str(data), imgsz=640))
    finally:
        q.ACTIVATION_TYPE, q.WEIGHT_TYPE, q.REDUCE_RANGE = keep


def layout(path: Path) -> str:
    """nn/quantize.py ``qdq_layout`` as one line."""
    from numa_ultralytics.nn.quantize import qdq_layout

    act, lo, hi = qdq_layout(path)
    return f"activations {'/'.join(sorted(act))}, conv weights in [{lo}, {hi}]"


def agreement_rows(models: dict[str, Path], frames: dict[str, list[np.ndarray]]) -> list[list[Any]]:
    from numa_ultralytics import YOLO

    ref = YOLO(str(MODEL))
    refs = {k: [ref.predict(f, device="cpu", verbose=False)[0] for f in fs] for k, fs in frames.items()}
    lows = {k: [ref.predict(f, device="cpu", verbose=False, conf=LOW)[0] for f in fs] for k, fs in frames.items()}
    rows = []
    for name, path in models.items():
        m = YOLO(str(path))
        row: list[Any] = [name]
        for k, fs in frames.items():
            row += agreement_cells(m, fs, refs[k], lows[k])
        rows.append(row)
        print(" | ".join(map(str, row)), flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=8, help="interleaved speed rounds per shape (0: no timing)")
    ap.add_argument("--no-val", action="store_true")
    ap.add_argument("--no-agree", action="store_true")
    ap.add_argument("--calib", default="images/train", help="coco8-seg split(s) to calibrate on (val is not held out)")
    ap.add_argument("--keep-dir", type=Path, default=None, help="write the models here (default: a temporary folder)")
    args = ap.parse_args()
    from numa_ultralytics import YOLO

    logging.getLogger("numa_ultralytics").setLevel(logging.ERROR)
    print(machine_line())
    print(f"uptime: {os.popen('uptime').read().strip()}", flush=True)
    td = tempfile.TemporaryDirectory()
    d = args.keep_dir or Path(td.name)
    d.mkdir(parents=True, exist_ok=True)
    pt = d / PT.name
    pt.write_bytes(PT.read_bytes())
    names = YOLO(str(MODEL)).names
    train = d / "train.yaml"  # calibration: coco8-seg train (the export's calibration split is the yaml's val)
    train.write_text(f"path: {COCO8}\ntrain: images/train\nval: {args.calib}\nnames: {names}\n")
    val = d / "val.yaml"
    val.write_text(f"path: {COCO8}\ntrain: images/train\nval: images/val\nnames: {names}\n")
    models: dict[str, Path] = {}
    for name in args.variants.split(","):
        t0 = time.perf_counter()
        models[name] = export_variant(name, pt, train, d)
        print(f"{name}: exported in {time.perf_counter() - t0:.0f}s; {layout(models[name])}", flush=True)
    people = frames_of(VIDEOS["people"], max(args.frames, 30))
    if args.rounds:
        for square in (False, True):
            speed(models, people, args.rounds, square)
            print(f"load: {os.getloadavg()[0]:.2f}", flush=True)
    if not args.no_agree:
        frames = {"people": people[: args.frames], "mmtracking": frames_of(VIDEOS["mmtracking"], args.frames)}
        frames["mot17"] = [cv2.imread(f) for f in calib_files("mot")]
        rows = agreement_rows(models, frames)
        hdr = ["variant"]
        for k, fs in frames.items():
            hdr += [f"{k} ({len(fs)}) fp32/int8/matched", "of fp32", "of own", "mask IoU", "dlogit mean / sd"]
        print(table(hdr, rows), flush=True)
    if not args.no_val:
        kw: dict[str, Any] = {"data": str(val), "imgsz": 640, "batch": 1, "verbose": False, "plots": False}
        rows = []
        ref = YOLO(str(MODEL)).val(device="cpu", **kw)
        rows.append(["fp32", f"{ref.box.map:.4f}", f"{ref.seg.map:.4f}", "", ""])
        for name, path in models.items():
            g = YOLO(str(path)).val(device="cpu", **kw)
            rows.append([name, f"{g.box.map:.4f}", f"{g.seg.map:.4f}", f"{g.box.map - ref.box.map:+.4f}",
                         f"{g.seg.map - ref.seg.map:+.4f}"])  # fmt: skip
        print(table(["variant", "coco8-seg val box", "mask", "box - fp32", "mask - fp32"], rows), flush=True)
    print(f"uptime at the end: {os.popen('uptime').read().strip()}")


if __name__ == "__main__":
    main()
