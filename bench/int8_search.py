"""Search NNCF settings for the OpenVINO int8 export (issue 26: detections matched >= 0.97 against fp32).

Each variant quantizes yolo11n-seg.pt's fp32 graph (the export's own path: nn/openvino_ir.py ``export_openvino``,
``convert_model``) with NNCF, its settings replacing nn/quantize.py ``quantize_openvino`` for that export only, then
predicts the first ``--frames`` frames of the people and mmtracking videos and counts the detections matched with
onnxruntime fp32 (``utils/metrics.py agreement``: same class, box IoU >= 0.5), and validates on coco8-seg val (never
used for calibration here). Calibration sets: coco8-seg train (the export's default in bench/bench_precision.py),
MOT17-mini frames (not the evaluation videos; a model calibrated on them is not held out for HOTA on MOT17-mini).

    .venv/bin/python bench/int8_search.py --frames 60 --variants base,minmax,keep22
    .venv/bin/python bench/int8_search.py --list

``base`` is the export's setting (nn/quantize.py: the head float, Ultralytics' scope); every other variant changes
that. ``--speed R`` adds a rough bare-inference timing of the variants (bench/bench_precision.py is the real one:
``--only int8-openvino,int8-openvino-stem``).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_precision import COCO8, PT, frames_of
from common import MODEL, SHARED, machine_line, table

VIDEOS = {
    n: SHARED / "media" / "videos" / f
    for n, f in (("people", "seeed_people-walking.mp4"), ("mmtracking", "mmtracking_demo.mp4"))
}
MOT17 = SHARED / "media" / "mot17-mini" / "train"


#: The low ``conf`` of the score-noise measure (:func:`logit_spread`).
LOW = 0.05


def calib_files(name: str) -> list[str]:
    coco_train = sorted(str(p) for p in (COCO8 / "images" / "train").glob("*.jpg"))
    mot = sorted(str(p) for p in MOT17.glob("*/img1/*.jpg"))
    sets = {"coco": coco_train, "mot": mot, "coco+mot": coco_train + mot}
    return sets[name]


#: name -> settings (keys: calib, preset, act, overflow, sq, keep, deconv, fbc, nobc, per_tensor).
VARIANTS: dict[str, dict[str, Any]] = {
    "base": {},
    "minmax": {"act": "MINMAX"},
    "mean_minmax": {"act": "MEAN_MINMAX"},
    "quantile": {"act": "MEAN_QUANTILE"},
    "median_minmax": {"act": "MEDIAN_MINMAX"},
    "histogram": {"act": "HISTOGRAM"},
    "overflow_first": {"overflow": "FIRST_LAYER"},
    "overflow_disable": {"overflow": "DISABLE"},
    "overflow_enable": {"overflow": "ENABLE"},
    "sq05": {"sq": 0.5},
    "sq015": {"sq": 0.15},
    "fullbc": {"fbc": False},
    "wtensor": {"per_tensor": True},
    "nobc": {"nobc": True},
    "deconv": {"deconv": True},
    "mot": {"calib": "mot"},
    "cocomot": {"calib": "coco+mot"},
    "keep22": {"keep": [22]},
    "keep19": {"keep": [19]},
    "keep16": {"keep": [16]},
    "keep10": {"keep": [10]},
    "keep9": {"keep": [9]},
    "keep0": {"keep": [0]},
    "keep16-22": {"keep": [16, 17, 18, 19, 20, 21, 22]},
    "keep_neck": {"keep": list(range(11, 23))},
}


def spec_of(name: str) -> dict[str, Any]:
    """A variant's settings: names joined by ``+`` merge (``keep_neck+mot``); ``keepN``, ``keepA-B``, ``keepA.B.C``
    keep modules ``model.N`` float besides the head."""
    spec: dict[str, Any] = {}
    for part in name.split("+"):
        m = re.fullmatch(r"keep(\d+)(?:-(\d+))?((?:\.\d+)*)", part)
        if m:
            mods = list(range(int(m[1]), int(m[2] or m[1]) + 1)) + [int(x) for x in m[3].split(".") if x]
            spec["keep"] = sorted(set(spec.get("keep", [])) | set(mods))
        else:
            extra = VARIANTS[part]
            keep = sorted(set(spec.get("keep", [])) | set(extra.get("keep", [])))
            spec.update(extra)
            if keep:
                spec["keep"] = keep
    return spec


def logit_spread(refs: list[Any], outs: list[Any]) -> tuple[float, float, int]:
    """Mean and standard deviation of int8 - fp32 class logits over the pairs (box IoU > 0.7, same class) of two
    runs at a low ``conf``: the score noise that moves detections across ``conf``."""
    from numa_ultralytics.utils.metrics import box_iou

    d = []
    for r, o in zip(refs, outs):
        if not len(r.boxes) or not len(o.boxes):
            continue
        iou = box_iou(np.asarray(r.boxes.xyxy), np.asarray(o.boxes.xyxy))
        iou[np.asarray(r.boxes.cls)[:, None] != np.asarray(o.boxes.cls)[None]] = 0
        for i in range(len(r.boxes)):
            j = int(iou[i].argmax())
            if iou[i, j] > 0.7:
                d.append((float(r.boxes.conf[i]), float(o.boxes.conf[j])))
    a = np.clip(np.array(d), 1e-6, 1 - 1e-6)
    dl = np.log(a[:, 1] / (1 - a[:, 1])) - np.log(a[:, 0] / (1 - a[:, 0]))
    return float(dl.mean()), float(dl.std()), len(dl)


def keep_names(ov_model: Any, modules: list[int]) -> list[str]:
    """Operation names of modules ``model.<i>`` (both namings, as nn/quantize.py ``head_ignored_scope``)."""
    if not modules:
        return []
    pat = re.compile(r"(?:^|[/_])model\.(" + "|".join(map(str, modules)) + r")(?:[./_]|$)")
    return [o.get_friendly_name() for o in ov_model.get_ordered_ops() if pat.search(o.get_friendly_name())]


def quantizer(spec: dict[str, Any]) -> Any:
    """A stand-in for nn/quantize.py ``quantize_openvino`` with the variant's NNCF settings."""
    import nncf
    from nncf.quantization.advanced_parameters import (
        AdvancedQuantizationParameters,
        AdvancedSmoothQuantParameters,
        OverflowFix,
        QuantizationParameters,
    )
    from nncf.quantization.range_estimator import RangeEstimatorParametersSet

    from numa_ultralytics.nn.quantize import calibration_batches, head_ignored_scope

    def quantize(ov_model: Any, files: list[str], imgsz: list[int], batch: int, stride: int) -> Any:
        files = calib_files(spec.get("calib", "coco"))
        blobs = list(calibration_batches(files, imgsz, batch, stride))
        ignored = head_ignored_scope(ov_model) + keep_names(ov_model, spec.get("keep", []))
        if spec.get("deconv"):  # the mask prototypes' ConvTranspose: convert_model names it without the module path
            ignored += [o.get_friendly_name() for o in ov_model.get_ordered_ops()
                        if o.get_type_name() == "ConvolutionBackpropData"]  # fmt: skip
        adv: dict[str, Any] = {}
        if "act" in spec:
            adv["activations_range_estimator_params"] = getattr(RangeEstimatorParametersSet, spec["act"])
        if "overflow" in spec:
            adv["overflow_fix"] = getattr(OverflowFix, spec["overflow"])
        if "sq" in spec:
            adv["smooth_quant_alphas"] = AdvancedSmoothQuantParameters(convolution=spec["sq"], matmul=spec["sq"])
        if spec.get("nobc"):
            adv["disable_bias_correction"] = True
        if spec.get("per_tensor"):
            adv["weights_quantization_params"] = QuantizationParameters(per_channel=False)
        return nncf.quantize(
            model=ov_model,
            calibration_dataset=nncf.Dataset(blobs),
            preset=getattr(nncf.QuantizationPreset, spec.get("preset", "MIXED")),
            subset_size=len(blobs),
            fast_bias_correction=spec.get("fbc", True),
            ignored_scope=nncf.IgnoredScope(names=ignored, validate=False) if ignored else None,
            advanced_parameters=AdvancedQuantizationParameters(**adv) if adv else None,
        )

    return quantize


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--variants", default="base")
    ap.add_argument("--no-val", action="store_true")
    ap.add_argument("--keep-dir", type=Path, default=None, help="write the models here (default: a temporary folder)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--start", type=int, default=0, help="first frame of the people video (a confirmation set)")
    ap.add_argument("--reuse", action="store_true", help="use a variant's folder in --keep-dir when it exists")
    ap.add_argument("--mot17", action="store_true", help="also agreement on MOT17-mini's 39 frames")
    ap.add_argument("--speed", type=int, default=0, help="after accuracy: R interleaved rounds of bare inference")
    args = ap.parse_args()
    if args.list:
        for k, v in VARIANTS.items():
            print(k, v)
        return
    import logging

    import numa_ultralytics.nn.quantize as q
    from numa_ultralytics import YOLO
    from numa_ultralytics.engine.exporter import export
    from numa_ultralytics.utils.metrics import agreement

    logging.getLogger("numa_ultralytics").setLevel(logging.ERROR)
    print(machine_line())
    ref = YOLO(str(MODEL))
    frames = {  # --start: a later stretch of the people video (mmtracking_demo has 8 frames)
        k: frames_of(v, args.start + args.frames)[args.start if k == "people" else 0 :] for k, v in VIDEOS.items()
    }
    if args.mot17:  # MOT17-mini's frames as a third set: only for variants not calibrated on them
        frames["mot17"] = [cv2.imread(f) for f in calib_files("mot")]
    refs = {k: [ref.predict(f, device="cpu", verbose=False)[0] for f in fs] for k, fs in frames.items()}
    lows = {k: [ref.predict(f, device="cpu", verbose=False, conf=LOW)[0] for f in fs] for k, fs in frames.items()}
    names = ref.names
    td = tempfile.TemporaryDirectory()
    d = args.keep_dir or Path(td.name)
    d.mkdir(parents=True, exist_ok=True)
    pt = d / PT.name
    pt.write_bytes(PT.read_bytes())
    train = d / "train.yaml"
    train.write_text(f"path: {COCO8}\ntrain: images/train\nval: images/train\nnames: {names}\n")
    val = d / "val.yaml"
    val.write_text(f"path: {COCO8}\ntrain: images/train\nval: images/val\nnames: {names}\n")
    ref_val = None
    if not args.no_val:
        r = ref.val(data=str(val), imgsz=640, batch=1, verbose=False, plots=False, device="cpu")
        ref_val = (r.box.map, r.seg.map)
        print(f"fp32 coco8-seg val box / mask {ref_val[0]:.4f} / {ref_val[1]:.4f}")
    rows = []
    folders: dict[str, Path] = {}
    orig = q.quantize_openvino
    for name in args.variants.split(","):
        spec = spec_of(name)
        t0 = time.perf_counter()
        folder = d / f"{name}_int8_openvino_model"
        folders[name] = folder
        if not (args.reuse and folder.is_dir()):
            q.quantize_openvino = quantizer(spec)
            try:
                export(pt, folder, format="openvino", int8=True, dynamic=True, data=str(train), imgsz=640)
            finally:
                q.quantize_openvino = orig
        tq = time.perf_counter() - t0
        m = YOLO(str(folder))
        row: list[Any] = [name]
        for k, fs in frames.items():
            n_ref = n_oth = matched = 0
            mious: list[float] = []
            for f, r in zip(fs, refs[k]):
                a, b, mm, mi = agreement(r, m.predict(f, device="cpu", verbose=False)[0])
                n_ref, n_oth, matched, mious = n_ref + a, n_oth + b, matched + mm, mious + mi
            mu, sd, _ = logit_spread(lows[k], [m.predict(f, device="cpu", verbose=False, conf=LOW)[0] for f in fs])
            row += [f"{mu:+.3f} / {sd:.3f}", f"{n_ref}/{n_oth}/{matched}", f"{matched / max(n_ref, 1):.4f}",
                    f"{matched / max(n_oth, 1):.4f}", f"{np.mean(mious):.4f}"]  # fmt: skip
        if ref_val is not None:
            g = m.val(data=str(val), imgsz=640, batch=1, verbose=False, plots=False)
            row.append(f"{g.box.map - ref_val[0]:+.4f} / {g.seg.map - ref_val[1]:+.4f}")
        row.append(f"{tq:.0f}s")
        rows.append(row)
        print(" | ".join(map(str, row)), flush=True)
    hdr = ["variant"]
    for k in frames:
        hdr += [f"{k} dlogit mean / sd", f"{k} fp32/int8/matched", f"{k} of fp32", f"{k} of own", f"{k} mask IoU"]
    hdr += ["val box / mask vs fp32", "export"]
    print()
    print(table(hdr, rows))
    if args.speed:
        speed(folders, frames["people"], args.speed)
    print(f"load at the end: {os.getloadavg()[0]:.2f}")


def speed(folders: dict[str, Path], frames: list[np.ndarray], rounds: int) -> None:
    """Bare inference ms/frame (``session.run`` on letterboxed 384x640 frames; the median frame of a round), fp32
    onnxruntime and each variant interleaved in every round (frame by frame interleaving measured the OpenVINO model
    that follows onnxruntime as slow as fp32: onnxruntime's threads spin on after a run); the ratio fp32 / variant per
    round, median [min..max], and of the best rounds (the least disturbed by other load on a shared machine)."""
    from numa_ultralytics.data.augment import letterbox, to_blob
    from numa_ultralytics.nn.autobackend import AutoBackend

    blobs = [to_blob(letterbox(f, (640, 640), True, 32)) for f in frames[:30]]
    sessions = {"fp32": AutoBackend(MODEL, device="cpu")}
    sessions.update({k: AutoBackend(v, device="cpu") for k, v in folders.items()})
    ms: dict[str, list[float]] = {k: [] for k in sessions}
    for r in range(rounds):
        order = list(sessions.items())
        for k, b in order if r % 2 == 0 else order[::-1]:  # a variant's frames in a row; order alternating
            for x in blobs[:3]:
                b.session.run(None, {b.input_name: x})
            ts = []
            for x in blobs:
                t0 = time.perf_counter()
                b.session.run(None, {b.input_name: x})
                ts.append((time.perf_counter() - t0) * 1e3)
            ms[k].append(float(np.median(ts)))
    rows = []
    for k, v in ms.items():
        ratio = [f / x for f, x in zip(ms["fp32"], v)]
        rows.append([k, f"{np.median(v):.1f} [{min(v):.1f}..{max(v):.1f}]",
                     f"{np.median(ratio):.2f}x [{min(ratio):.2f}..{max(ratio):.2f}]",
                     f"{min(ms['fp32']) / min(v):.2f}x"])  # fmt: skip
    print(table(["variant", "bare inference ms/frame (384x640)", "fp32 / variant per round", "best fp32 / best"], rows))


if __name__ == "__main__":
    main()
