"""fp16 graph (nn/fp16.py) against the fp32 graph it was converted from: detections matched and mask IoU on the
shared media (the 10 reference images and the first ``--frames`` frames of both reference videos), with the same
predict arguments. Runs on the CPU provider here (the fp16 graph's tensors are fp16 between ops; ONNX Runtime's CPU
kernels compute each op in fp32), on CUDA with ``--device 0`` (bench/gpu_check.sh).

    .venv/bin/python bench/fp16_accuracy.py                        # all three graphs, 60 frames per video
    .venv/bin/python bench/fp16_accuracy.py --models dynamic --frames 10 --device 0

Matching as ../shared/tools/parity.py: greedy by the fp32 detection's score, same class, box IoU >= 0.5. Mask IoU
is computed on ``masks.data`` (the masks themselves, input-size). tests/test_gpu_path.py imports ``compare``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHARED

IMAGES = [
    *(SHARED / "media" / "images" / n for n in ("bus.jpg", "zidane.jpg")),
    *sorted((SHARED / "media" / "coco8-seg" / "images").rglob("*.jpg")),
]
VIDEOS = [SHARED / "media" / "videos" / n for n in ("seeed_people-walking.mp4", "intel_car-detection.mp4")]
MODELS = {
    "static": SHARED / "models" / "yolo11n-seg.onnx",
    "dynamic": SHARED / "models" / "yolo11n-seg-dynamic.onnx",
    "pt": SHARED / "models" / "yolo11n-seg.pt",
}


def _box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(-1)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / (area_a[:, None] + area_b[None] - inter + 1e-9)


class Tally:
    """Matched detections, box IoU, mask IoU and confidence differences over many frames (reference: fp32)."""

    def __init__(self) -> None:
        self.n_ref = self.n_got = self.n_match = 0
        self.box_iou: list[float] = []
        self.mask_iou: list[float] = []
        self.conf_err: list[float] = []

    def add(self, ref: Any, got: Any) -> None:
        """Add one frame: ``ref`` / ``got`` are ``Results`` of the fp32 and the fp16 graph."""
        rb, gb = ref.boxes, got.boxes
        nr, ng = len(rb.cls), len(gb.cls)
        self.n_ref += nr
        self.n_got += ng
        if not nr or not ng:
            return
        iou = _box_iou(np.asarray(rb.xyxy, np.float64), np.asarray(gb.xyxy, np.float64))
        rc, gc = np.asarray(rb.cls), np.asarray(gb.cls)
        rconf, gconf = np.asarray(rb.conf), np.asarray(gb.conf)
        rm = None if ref.masks is None else np.asarray(ref.masks.data) > 0.5
        gm = None if got.masks is None else np.asarray(got.masks.data) > 0.5
        used: set[int] = set()
        for ri in np.argsort(-rconf, kind="stable"):
            best, bi = 0.5, -1
            for gi in range(ng):
                if gi not in used and gc[gi] == rc[ri] and iou[ri, gi] >= best:
                    best, bi = float(iou[ri, gi]), gi
            if bi < 0:
                continue
            used.add(bi)
            self.n_match += 1
            self.box_iou.append(best)
            self.conf_err.append(abs(float(rconf[ri]) - float(gconf[bi])))
            if rm is not None and gm is not None:
                u = np.logical_or(rm[ri], gm[bi]).sum()
                self.mask_iou.append(float(np.logical_and(rm[ri], gm[bi]).sum() / u) if u else 1.0)

    def summary(self) -> dict[str, Any]:
        s: dict[str, Any] = {
            "fp32": self.n_ref,
            "fp16": self.n_got,
            "matched": self.n_match,
            "recall": self.n_match / self.n_ref if self.n_ref else 1.0,
            "precision": self.n_match / self.n_got if self.n_got else 1.0,
            "box_iou": float(np.mean(self.box_iou)) if self.box_iou else None,
            "box_iou_min": float(np.min(self.box_iou)) if self.box_iou else None,
            "mask_iou": float(np.mean(self.mask_iou)) if self.mask_iou else None,
            "mask_iou_min": float(np.min(self.mask_iou)) if self.mask_iou else None,
            "conf_err_max": float(np.max(self.conf_err)) if self.conf_err else None,
        }
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in s.items()}


def frames(path: Path, n: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    out = []
    while len(out) < n:
        ok, im = cap.read()
        if not ok:
            break
        out.append(im)
    cap.release()
    return out


def models_pair(path: Path, device: Any = "cpu") -> tuple[Any, Any]:
    """(fp32 model, fp16 model) for ``path`` (.onnx or .pt) on ``device``. The fp16 model is the fp16 graph itself
    (nn/fp16.py ``fp16_onnx``, what ``half=True`` runs on CUDA), loaded as a model of its own: a YOLO whose backend
    was swapped for an fp16 one re-opens it as fp32 at the first predict without ``half=True`` (engine/model.py
    ``_device_change``), which made an earlier version of this script compare fp32 with fp32."""
    from numa_ultralytics import YOLO
    from numa_ultralytics.nn.fp16 import fp16_onnx

    m32 = YOLO(str(path))
    m32.to(device)
    m16 = YOLO(str(fp16_onnx(m32.backend.path)))
    m16.to(device)
    assert m16.backend.session.get_inputs()[0].type == "tensor(float)", "fp16 graph keeps float32 input"
    return m32, m16


def compare(path: Path, images: list[np.ndarray], device: Any = "cpu", **kwargs: Any) -> dict[str, Any]:
    """fp16 vs fp32 of the model at ``path`` on ``images`` (BGR arrays); returns ``Tally.summary()``."""
    m32, m16 = models_pair(path, device)
    t = Tally()
    for im in images:
        r32 = m32.predict(im, verbose=False, **kwargs)[0]
        r16 = m16.predict(im, verbose=False, **kwargs)[0]
        t.add(r32, r16)
    return t.summary()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    a = ap.parse_args()
    device: Any = int(a.device) if a.device.isdigit() else a.device
    imgs = [cv2.imread(str(p)) for p in IMAGES]
    sets = {"images": imgs, **{v.name: frames(v, a.frames) for v in VIDEOS}}
    rows = []
    for key in a.models:
        for name, ims in sets.items():
            t0 = time.perf_counter()
            s = compare(MODELS[key], ims, device)
            row = {"model": key, "media": name, "n": len(ims), **s, "seconds": round(time.perf_counter() - t0, 1)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
