"""How close Ultralytics 8.4.190's own OpenVINO int8 export comes to its fp32 model (issue 26: the anchor for the
"detections matched >= 0.97" target), on the frames bench/int8_search.py measures ours on.

    PYTHONPATH=python /opt/ultra/bin/python bench/int8_anchor_agreement.py --workdir /tmp/anchor26 \
        --ours /tmp/sq/models/base_int8_openvino_model

Ultralytics exports ``yolo11n-seg.pt`` with ``format="openvino", int8=True`` (NNCF, calibrated on coco8-seg
**train**: a data YAML whose val split is the train images, as Ultralytics calibrates on ``val``), static (its
default) and ``dynamic=True``. Each int8 model predicts the first ``--frames`` frames of the people video, the 8 frames
of mmtracking_demo and MOT17-mini's 39 frames at the predict defaults; the detections are matched with the same
implementation's fp32 model (Ultralytics: the ``.pt`` on torch; ours, ``--ours``: onnxruntime on
yolo11n-seg-dynamic.onnx) by utils/metrics.py ``agreement`` (same class, box IoU >= 0.5). Prints, per model and set,
fp32's detections matched / the int8 model's own matched.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_precision import COCO8, PT, frames_of
from common import MODEL, machine_line, table
from int8_search import VIDEOS, calib_files


def matched(refs: list[Any], model: Any, frames: list[Any]) -> str:
    """``fp32 matched / own matched`` of ``model`` against ``refs`` over ``frames``."""
    from numa_ultralytics.utils.metrics import agreement

    n_ref = n_oth = both = 0
    for f, r in zip(frames, refs):
        a, b, m, _ = agreement(_np(r), _np(model.predict(f, verbose=False, device="cpu")[0]))
        n_ref, n_oth, both = n_ref + a, n_oth + b, both + m
    return f"{both / max(n_ref, 1):.4f} / {both / max(n_oth, 1):.4f} ({n_ref}/{n_oth}/{both})"


def _np(r: Any) -> Any:
    """A ``Results`` of either implementation with numpy boxes (Ultralytics' are torch tensors) and no masks (a static
    model's masks are 640x640, the ``.pt``'s 384x640: only boxes are compared)."""
    r = r.cpu().numpy()
    r.masks = None
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--workdir", type=Path, required=True)
    ap.add_argument("--ours", type=Path, default=None, help="our int8 OpenVINO folder, measured beside")
    args = ap.parse_args()
    from ultralytics import YOLO as UYOLO

    logging.getLogger("ultralytics").setLevel(logging.ERROR)
    print(machine_line())
    sets = {k: frames_of(v, args.frames) for k, v in VIDEOS.items()}
    sets["mot17"] = [cv2.imread(f) for f in calib_files("mot")]
    d = args.workdir
    d.mkdir(parents=True, exist_ok=True)
    pt = d / PT.name
    if not pt.exists():
        pt.write_bytes(PT.read_bytes())
    cal = d / "coco8-seg-train.yaml"
    names = dict(enumerate(UYOLO(str(pt)).names.values()))
    cal.write_text(f"path: {COCO8}\ntrain: images/train\nval: images/train\nnames: {names}\n")
    rows = []
    fp32 = UYOLO(str(pt))
    refs = {k: [fp32.predict(f, verbose=False, device="cpu")[0] for f in fs] for k, fs in sets.items()}
    for label, kw in (("static", {}), ("dynamic", {"dynamic": True})):
        sub = d / label
        sub.mkdir(exist_ok=True)
        src = sub / PT.name
        if not src.exists():
            src.write_bytes(PT.read_bytes())
        folder = sub / "yolo11n-seg_int8_openvino_model"
        if not folder.exists():
            UYOLO(str(src)).export(format="openvino", int8=True, data=str(cal), imgsz=640, **kw)
        m = UYOLO(str(folder), task="segment")
        rows.append([f"Ultralytics 8.4.190 int8 ({label})", *(matched(refs[k], m, fs) for k, fs in sets.items())])
        print(" | ".join(rows[-1]), flush=True)
    if args.ours:
        from numa_ultralytics import YOLO

        ours = YOLO(str(MODEL))
        refs = {k: [ours.predict(f, verbose=False, device="cpu")[0] for f in fs] for k, fs in sets.items()}
        m = YOLO(str(args.ours))
        rows.append([f"ours int8 ({args.ours.name})", *(matched(refs[k], m, fs) for k, fs in sets.items())])
    print(table(["model", *(f"{k}: fp32 / own (fp32/int8/matched)" for k in sets)], rows))


if __name__ == "__main__":
    main()
