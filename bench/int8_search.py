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
that. ``acD`` / ``acDiK``: ``nncf.quantize_with_accuracy_control`` (max_drop 0.D, ABSOLUTE, at most K iterations) on
:func:`ac_metric`, the fraction of fp32's detections matched (the smaller of the fp32-side and own-side fractions) on a
validation set that is none of the evaluation videos (``calib_files("ac")``: coco8-seg train, the shared images,
MOT17-mini sequences :data:`MOT17_AC`; ``--mot17-held`` evaluates on the other three). ``hbc`` / ``hbcd`` / ``hin``:
the export as it is, then a mean-shift correction of the class-score path only (:func:`head_bias_correct`).
``sqcN``: NNCF's SmoothQuant on the quantized convolutions (alpha 0.N, :func:`smooth_convolutions`), then the export.

    .venv/bin/python bench/int8_search.py --frames 60 --mot17-held --variants base,ac01i12,hbc,hbcd,hin

``--speed R`` adds a rough bare-inference timing of the variants (bench/bench_precision.py is the real one:
``--only int8-openvino,int8-openvino-stem``).
"""

from __future__ import annotations

import argparse
import logging
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
#: MOT17-mini sequences in the accuracy-control validation set (``acN`` variants); the others (04, 09, 11: 19 frames)
#: stay held out for ``--mot17-held``.
MOT17_AC = ("MOT17-02-FRCNN", "MOT17-05-FRCNN", "MOT17-10-FRCNN", "MOT17-13-FRCNN")


#: The low ``conf`` of the score-noise measure (:func:`logit_spread`).
LOW = 0.05


def calib_files(name: str) -> list[str]:
    coco_train = sorted(str(p) for p in (COCO8 / "images" / "train").glob("*.jpg"))
    mot = sorted(str(p) for p in MOT17.glob("*/img1/*.jpg"))
    held = [f for f in mot if Path(f).parts[-3] not in MOT17_AC]
    images = sorted(str(p) for p in (SHARED / "media" / "images").glob("*.jpg"))
    ac = coco_train + images + [f for f in mot if Path(f).parts[-3] in MOT17_AC]
    sets = {"coco": coco_train, "mot": mot, "coco+mot": coco_train + mot, "mot-held": held, "ac": ac}
    return sets[name]


#: ``hbc``: per class and scale, the mean over every position; ``hbcd``: per scale, the mean over the (position,
#: class) pairs fp32 scores above :data:`LOW`; ``hin``: per channel of the head's inputs, into the class branch only.
HEAD_BC = ("hbc", "hbcd", "hin")


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
    # NNCF applies smooth_quant_alphas only to ModelType.TRANSFORMER: these two are the export itself ("sqcN" below)
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
    **{m: {"hbc": m} for m in HEAD_BC},
    "bcset_ac": {"hbc_set": "ac"},
}


def spec_of(name: str) -> dict[str, Any]:
    """A variant's settings: names joined by ``+`` merge (``keep_neck+mot``); ``keepN``, ``keepA-B``, ``keepA.B.C``
    keep modules ``model.N`` float besides the head; ``acD`` / ``acDiK``: ``nncf.quantize_with_accuracy_control``
    with ``max_drop`` 0.D (ABSOLUTE) of :func:`ac_metric`, at most K operations reverted."""
    spec: dict[str, Any] = {}
    for part in name.split("+"):
        sq = re.fullmatch(r"sqc(\d+)", part)
        if sq:  # SmoothQuant on the quantized convolutions, alpha 0.D (applied by hand: see quantizer)
            spec["sqc"] = float("0." + sq[1])
            continue
        a = re.fullmatch(r"ac(\d+)(?:i(\d+))?", part)
        if a:
            spec["ac"] = float("0." + a[1])
            if a[2]:
                spec["ac_iters"] = int(a[2])
            continue
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


def _dets(pred: np.ndarray, hw: tuple[int, int]) -> Any:
    """Boxes of one raw ``output0`` (batch axis removed) at the predict defaults (conf 0.25, iou 0.7), through the
    library's own NMS (``_core.postprocess``), as an object :func:`agreement` reads (no masks)."""
    from types import SimpleNamespace

    from numa_ultralytics import _core

    nc = pred.shape[0] - 4 - 32  # segment: 32 mask coefficients
    b = np.asarray(_core.postprocess(np.ascontiguousarray(pred, dtype=np.float32), None, nc, hw, hw)[0]).reshape(-1, 6)
    return SimpleNamespace(boxes=_Boxes(b), masks=None)


class _Boxes:
    """The part of ``Boxes`` that :func:`agreement` reads."""

    def __init__(self, b: np.ndarray) -> None:
        self.xyxy, self.conf, self.cls = b[:, :4], b[:, 4], b[:, 5]

    def __len__(self) -> int:
        return len(self.xyxy)


def ac_validation() -> tuple[list[tuple[np.ndarray, int]], list[Any]]:
    """The accuracy-control validation set (``calib_files("ac")``: coco8-seg train, the shared images, MOT17-mini
    sequences :data:`MOT17_AC`; never the evaluation videos), letterboxed as predict does a dynamic model's input,
    as ``(blob, index)`` items, and onnxruntime fp32's detections of each."""
    from numa_ultralytics.data.augment import letterbox, to_blob
    from numa_ultralytics.nn.autobackend import AutoBackend

    fp32 = AutoBackend(MODEL, device="cpu")
    items, refs = [], []
    for i, f in enumerate(calib_files("ac")):
        x = to_blob(letterbox(cv2.imread(f), (640, 640), True, 32))
        items.append((x, i))
        refs.append(_dets(fp32.session.run(None, {fp32.input_name: x})[0][0], x.shape[2:]))
    return items, refs


def ac_metric(refs: list[Any]) -> Any:
    """NNCF's ``validation_fn``: detections matched with fp32 (``utils/metrics.py agreement``), the smaller of the
    fp32-side and own-side fractions over the items given, and the same per item (NNCF ranks on those)."""
    from numa_ultralytics.utils.metrics import agreement

    def validate(compiled: Any, items: Any) -> tuple[float, list[float]]:
        n_ref = n_own = matched = 0
        per = []
        out = compiled.output(0)
        for x, i in items:
            a, b, m, _ = agreement(refs[i], _dets(compiled(x)[out][0], x.shape[2:]))
            n_ref, n_own, matched = n_ref + a, n_own + b, matched + m
            per.append(min(m / a, m / b) if a and b else float(a == b))
        return min(matched / max(n_ref, 1), matched / max(n_own, 1)), per

    return validate


def head_bias_correct(fp32: Any, q: Any, blobs: list[np.ndarray], mode: str) -> tuple[Any, str]:
    """Correct the int8 model ``q``'s mean shift on the class-score path only (the head stays as the export makes
    it; box, mask coefficient and prototype branches untouched), measured against ``fp32`` on ``blobs``:
    ``hbc`` / ``hbcd`` add ``mean(fp32 - int8)`` of the class logits (output of the last class convolution
    ``model.<head>.cv3.<i>.2``) after that convolution; ``hin`` adds ``mean(fp32 - int8)`` of each head input
    channel (the neck outputs) in front of the class branch (``cv3.<i>.0.0``) only. Returns the model and a summary
    of the shifts."""
    import openvino as ov
    from openvino import opset13 as ops

    def find(m: Any) -> list[Any]:
        out = []
        for o in m.get_ordered_ops():
            n = o.get_friendly_name()
            if mode == "hin" and o.get_type_name() == "GroupConvolution" and re.search(r"\.cv3\.\d+\.0\.0\.conv", n):
                out.append(o)  # the class branch's first (depthwise) convolution: its input is the head input
            elif mode != "hin" and o.get_type_name() == "Add" and re.search(r"model\.\d+\.cv3\.\d+\.2_\d+$", n):
                out.append(o)  # the class logits (convolution + bias)
        return sorted(out, key=lambda o: o.get_friendly_name())

    def port(o: Any) -> Any:
        return o.input(0).get_source_output() if mode == "hin" else o.output(0)

    core = ov.Core()
    acts = []
    for m in (fp32, q):
        probe = m.clone()
        targets = find(probe)
        probe.add_outputs([port(o) for o in targets])
        c = core.compile_model(probe, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        outs = c.outputs[-len(targets) :]
        acts.append([[np.asarray(r[o], np.float64) for o in outs] for r in (c(x) for x in blobs)])
    targets = find(q)
    shifts = []
    for k, o in enumerate(targets):
        a = np.stack([im[k][0] for im in acts[0]])  # (images, C, h, w)
        b = np.stack([im[k][0] for im in acts[1]])
        if mode == "hbcd":  # the pairs fp32 scores above LOW: a scalar for the scale
            sel = a > np.log(LOW / (1 - LOW))
            d = np.full(a.shape[1], (a - b)[sel].mean() if sel.any() else 0.0)
        else:
            d = (a - b).mean(axis=(0, 2, 3))
        shifts.append(d)
        src = port(o)
        consumers = [o.input(0)] if mode == "hin" else list(src.get_target_inputs())
        add = ops.add(src, ops.constant(d.astype(np.float32).reshape(1, -1, 1, 1)))
        for t in consumers:
            t.replace_source_output(add.output(0))
    summary = "; ".join(f"{o.get_friendly_name().split('/')[0]} mean {d.mean():+.3f} [{d.min():+.3f}..{d.max():+.3f}]"
                        for o, d in zip(targets, shifts))  # fmt: skip
    return q, summary


def keep_names(ov_model: Any, modules: list[int]) -> list[str]:
    """Operation names of modules ``model.<i>`` (both namings, as nn/quantize.py ``head_ignored_scope``)."""
    if not modules:
        return []
    pat = re.compile(r"(?:^|[/_])model\.(" + "|".join(map(str, modules)) + r")(?:[./_]|$)")
    return [o.get_friendly_name() for o in ov_model.get_ordered_ops() if pat.search(o.get_friendly_name())]


def smooth_convolutions(ov_model: Any, blobs: list[np.ndarray], alpha: float, ignored: set[str]) -> Any:
    """NNCF's SmoothQuant on the convolutions outside ``ignored`` (per input channel: activation / weight ranges
    balanced by ``alpha``, a Multiply inserted on the activation, its inverse folded into the weights)."""
    import nncf
    from nncf.quantization.algorithms.smooth_quant.algorithm import SmoothQuant

    algo = SmoothQuant(len(blobs), False, alpha_map={"convolution": alpha, "matmul": -1})
    keep = algo._get_nodes_to_smooth_data  # the ignored (float) convolutions are left as they are

    def nodes(graph: Any, metatypes: Any) -> Any:
        return [(n, p) for n, p in keep(graph, metatypes) if n.node_name not in ignored]

    algo._get_nodes_to_smooth_data = nodes  # type: ignore[method-assign]
    from nncf.quantization.algorithms.pipeline import Pipeline

    return Pipeline([[algo]]).run(ov_model, nncf.Dataset(blobs))


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
        if "ac" in spec:  # NNCF reverts the operations it ranks worst until the metric is within max_drop
            from nncf.quantization.advanced_parameters import AdvancedAccuracyRestorerParameters

            items, refs = ac_validation()
            restorer = {"max_num_iterations": spec["ac_iters"]} if "ac_iters" in spec else {}
            logging.getLogger("nncf").setLevel(logging.INFO)
            return nncf.quantize_with_accuracy_control(
                model=ov_model,
                calibration_dataset=nncf.Dataset(blobs),
                validation_dataset=nncf.Dataset(items, lambda it: it[0]),
                validation_fn=ac_metric(refs),
                max_drop=spec["ac"],
                drop_type=nncf.DropType.ABSOLUTE,
                preset=nncf.QuantizationPreset.MIXED,
                subset_size=len(blobs),
                ignored_scope=nncf.IgnoredScope(names=ignored, validate=False) if ignored else None,
                advanced_accuracy_restorer_parameters=AdvancedAccuracyRestorerParameters(**restorer),
            )
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
        if "sqc" in spec:  # NNCF runs SmoothQuant only for ModelType.TRANSFORMER ("sq05" above is a no-op)
            ov_model = smooth_convolutions(ov_model, blobs, spec["sqc"], set(ignored))
        fp32 = ov_model.clone() if spec.get("hbc") else None
        qm = nncf.quantize(
            model=ov_model,
            calibration_dataset=nncf.Dataset(blobs),
            preset=getattr(nncf.QuantizationPreset, spec.get("preset", "MIXED")),
            subset_size=len(blobs),
            fast_bias_correction=spec.get("fbc", True),
            ignored_scope=nncf.IgnoredScope(names=ignored, validate=False) if ignored else None,
            advanced_parameters=AdvancedQuantizationParameters(**adv) if adv else None,
        )
        if spec.get("hbc"):  # measured on the export's calibration images (or on ``hbc_set``'s)
            bc = (
                blobs
                if "hbc_set" not in spec
                else list(calibration_batches(calib_files(spec["hbc_set"]), imgsz, 1, stride))
            )
            qm, summary = head_bias_correct(fp32, qm, bc, spec["hbc"])
            print(f"{spec['hbc']}: {summary}", flush=True)
        return qm

    return quantize


def agreement_cells(m: Any, frames: list[np.ndarray], refs: list[Any], lows: list[Any]) -> list[str]:
    """``m``'s agreement with the fp32 ``refs`` over ``frames`` (utils/metrics.py ``agreement``), as table cells:
    ``fp32/m/matched`` counts, matched of fp32's, matched of ``m``'s, mean mask IoU, and the score noise against
    ``lows`` (:func:`logit_spread`, mean / sd)."""
    from numa_ultralytics.utils.metrics import agreement

    n_ref = n_oth = matched = 0
    mious: list[float] = []
    for f, r in zip(frames, refs):
        a, b, mm, mi = agreement(r, m.predict(f, device="cpu", verbose=False)[0])
        n_ref, n_oth, matched, mious = n_ref + a, n_oth + b, matched + mm, mious + mi
    mu, sd, _ = logit_spread(lows, [m.predict(f, device="cpu", verbose=False, conf=LOW)[0] for f in frames])
    return [f"{n_ref}/{n_oth}/{matched}", f"{matched / max(n_ref, 1):.4f}", f"{matched / max(n_oth, 1):.4f}",
            f"{np.mean(mious):.4f}", f"{mu:+.3f} / {sd:.3f}"]  # fmt: skip


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
    ap.add_argument("--mot17-held", action="store_true", help="also on MOT17-mini's 19 frames not in MOT17_AC")
    ap.add_argument("--speed", type=int, default=0, help="after accuracy: R interleaved rounds of bare inference")
    args = ap.parse_args()
    if args.list:
        for k, v in VARIANTS.items():
            print(k, v)
        return
    import numa_ultralytics.nn.quantize as q
    from numa_ultralytics import YOLO
    from numa_ultralytics.engine.exporter import export

    logging.getLogger("numa_ultralytics").setLevel(logging.ERROR)
    print(machine_line())
    ref = YOLO(str(MODEL))
    frames = {  # --start: a later stretch of the people video (mmtracking_demo has 8 frames)
        k: frames_of(v, args.start + args.frames)[args.start if k == "people" else 0 :] for k, v in VIDEOS.items()
    }
    if args.mot17:  # MOT17-mini's frames as a third set: only for variants not calibrated on them
        frames["mot17"] = [cv2.imread(f) for f in calib_files("mot")]
    if args.mot17_held:  # the MOT17-mini sequences the accuracy-control variants do not validate on
        frames["mot17held"] = [cv2.imread(f) for f in calib_files("mot-held")]
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
            counts, of_ref, of_own, miou, spread = agreement_cells(m, fs, refs[k], lows[k])
            row += [spread, counts, of_ref, of_own, miou]
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


def speed(folders: dict[str, Path], frames: list[np.ndarray], rounds: int, square: bool = False) -> None:
    """Bare inference ms/frame (``session.run`` on letterboxed 384x640 frames, 640x640 with ``square``; the median
    frame of a round), fp32 onnxruntime and each variant interleaved in every round (frame by frame interleaving
    measured the OpenVINO model that follows onnxruntime as slow as fp32: onnxruntime's threads spin on after a run);
    the ratio fp32 / variant per round, median [min..max], and of the best rounds (the least disturbed by other load
    on a shared machine)."""
    from numa_ultralytics.data.augment import letterbox, to_blob
    from numa_ultralytics.nn.autobackend import AutoBackend

    blobs = [to_blob(letterbox(f, (640, 640), not square, 32)) for f in frames[:30]]
    shape = "x".join(map(str, blobs[0].shape[2:]))
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
    hdr = ["variant", f"bare inference ms/frame ({shape})", "fp32 / variant per round", "best fp32 / best"]
    print(table(hdr, rows), flush=True)


if __name__ == "__main__":
    main()
