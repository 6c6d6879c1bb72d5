"""``model.val()``: box (and mask) metrics of a model on a dataset's split, as Ultralytics 8.4.190 computes them.

The loop and every rule follow the original's ``BaseValidator`` / ``DetectionValidator`` /
``SegmentationValidator``: the val dataset (``data/dataset.py``: long side to ``imgsz``, ``LetterBox(scaleup=False)``,
rect batch shapes for dynamic models, polygons rasterised at ``1 / mask_ratio`` with overlapped masks), multi-label
NMS (``conf=0.001``, ``iou=0.7``, ``max_det=300``), predicted masks at prototype resolution
(``ops.process_mask``: ``> 0`` then cropped to the scaled box), greedy matching over IoU 0.50:0.05:0.95 and the
metrics of ``utils/metrics.py``.

What a run writes, into ``runs/<task>/val`` (``val-2``, ... by utils/files.py ``get_save_dir``; ``project=`` / ``name=``
/ ``exist_ok=`` as predict, a relative ``project`` under ``runs/<task>``): with ``plots=True`` (default) the confusion
matrix (``ConfusionMatrix`` at ``conf``, IoU 0.45, as the original), the curve plots and the first three batches' label
/ prediction images (utils/val_plots.py); with ``save_json=True`` the COCO-format ``predictions.json``
(``pred_to_json``; masks then come from ``process_mask_native``, upsampled to the input size before they are cropped, as
the original does, which also changes the mask metrics a little). With neither no folder is created (the original
creates an empty one).
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from numa_ultralytics import _core
from numa_ultralytics.data.dataset import ValDataset, check_det_dataset, xywh2xyxy
from numa_ultralytics.nn.autobackend import AutoBackend
from numa_ultralytics.utils.args import (
    VAL_CONF,
    VAL_DEFAULTS,
    VAL_SPLITS,
    check_bool,
    check_choice,
    check_fraction,
    check_optional_bool,
    check_positive_int,
    half_of,
    handle_deprecation,
)
from numa_ultralytics.utils.files import get_save_dir
from numa_ultralytics.utils.metrics import (
    IOUV,
    ConfusionMatrix,
    DetMetrics,
    SegmentMetrics,
    box_iou,
    mask_iou,
    match_predictions,
)
from numa_ultralytics.utils.ops import upsample_bilinear
from numa_ultralytics.utils.progress import ProgressBar

LOGGER = logging.getLogger("numa_ultralytics")

CONFUSION_IOU = 0.45  # the validator's matching IoU of the confusion matrix (ConfusionMatrix.process_batch default)
PLOT_BATCHES = 3  # val_batch0..2
# COCO's 80 class indices -> the 91 category ids of its annotation files (Ultralytics converter.coco80_to_coco91_class)
COCO80_TO_COCO91 = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27, 28, 31, 32, 33, 34,
    35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,
    64, 65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90,
]  # fmt: skip


def check_val_args(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``VAL_DEFAULTS`` updated by ``kwargs``, each value through utils/args.py's check for its key type (the checks
    predict and the command line run); an unknown key or an unsupported value raises ``ValueError`` naming it.
    Deprecated keys are mapped first (utils/args.py ``handle_deprecation``)."""
    kwargs = handle_deprecation(kwargs)
    bad = sorted(set(kwargs) - set(VAL_DEFAULTS))
    if bad:
        raise ValueError(f"'{bad[0]}' is not a valid val argument; valid: {', '.join(sorted(VAL_DEFAULTS))}")
    args = {**VAL_DEFAULTS, **kwargs}
    if args["data"] is None:
        raise ValueError("val needs data=<dataset.yaml>")
    if args["save_txt"]:
        raise ValueError("val: save_txt is not supported by numa_ultralytics (save_json=True writes predictions.json)")
    for k in ("plots", "save_json", "exist_ok"):
        check_bool(k, args[k])
    if args["conf"] is None:
        args["conf"] = VAL_CONF
    for k in ("conf", "iou"):
        check_fraction(k, args[k])
    for k in ("batch", "max_det", "mask_ratio"):
        check_positive_int(k, args[k])
    check_optional_bool("nms", args["nms"])
    check_choice("split", args["split"], VAL_SPLITS)
    args["half"] = half_of(args)
    return args


def nms_multi_label(
    pred: np.ndarray,
    conf: float,
    iou: float,
    nc: int,
    max_det: int,
    multi_label: bool = True,
    agnostic: bool = False,
) -> np.ndarray:
    """Ultralytics ``non_max_suppression`` (one image, ``(4 + nc + nm, N)`` output) as the validators call it:
    every class score ``> conf`` of a candidate box is a detection (``multi_label`` when nc > 1), then predict's
    greedy NMS (rust/src/nms.rs through ``_core.nms_indices``: the top ``max_nms`` by score, ties in row order,
    class-offset boxes unless ``agnostic``, float32, suppress ``> iou``, first ``max_det`` kept).

    Returns ``(n, 6 + nm)`` float32 rows ``[x1, y1, x2, y2, conf, cls, coefficients...]``."""
    x = np.ascontiguousarray(pred.T, dtype=np.float32)
    nm = x.shape[1] - 4 - nc
    scores = x[:, 4 : 4 + nc]
    x = x[scores.max(1) > conf] if nc else x[:0]
    empty = np.zeros((0, 6 + nm), dtype=np.float32)
    if not len(x):
        return empty
    box = xywh2xyxy(x[:, :4])
    cls, extra = x[:, 4 : 4 + nc], x[:, 4 + nc :]
    if multi_label and nc > 1:
        i, j = np.nonzero(cls > conf)
        dets = np.concatenate((box[i], cls[i, j, None], j[:, None].astype(np.float32), extra[i]), 1)
    else:
        j = cls.argmax(1)
        c = cls[np.arange(len(cls)), j]
        dets = np.concatenate((box, c[:, None], j[:, None].astype(np.float32), extra), 1)[c > conf]
    if not len(dets):
        return empty
    keep = _core.nms_indices(
        np.ascontiguousarray(dets[:, :4]),
        dets[:, 4].copy(),
        dets[:, 5].astype(np.int64),
        float(iou),
        int(max_det),
        agnostic,
    )
    return dets[keep]


def process_mask(
    protos: np.ndarray, coefficients: np.ndarray, bboxes: np.ndarray, shape: tuple[int, int]
) -> np.ndarray:
    """Ultralytics ``ops.process_mask`` (no upsample): ``coefficients @ protos > 0`` at prototype resolution, cropped to
    each box scaled to that resolution (columns ``x1 <= c < x2``, rows ``y1 <= r < y2``: ``_core.crop_masks``, the crop
    rule of rust/src/masks.rs). (n, mh, mw) uint8."""
    c, mh, mw = protos.shape
    n = coefficients.shape[0]
    if n == 0:
        return np.zeros((0, mh, mw), dtype=np.uint8)
    # the logits stay numpy's float32 matmul: masks.rs decodes with its own summation order, and a logit near 0 could
    # change sign, so the val numbers would move
    logits = (coefficients.astype(np.float32) @ protos.reshape(c, -1).astype(np.float32)).reshape(n, mh, mw)
    masks = (logits > 0).view(np.uint8)
    ratios = np.array([mw / shape[1], mh / shape[0], mw / shape[1], mh / shape[0]], dtype=np.float32)
    _core.crop_masks(masks, np.ascontiguousarray(bboxes.astype(np.float32) * ratios))
    return masks


CHUNK_PIXELS = 16_000_000  # float pixels upsampled at a time (the original's budget)


def process_mask_native(
    protos: np.ndarray, coefficients: np.ndarray, bboxes: np.ndarray, shape: tuple[int, int]
) -> np.ndarray:
    """Ultralytics ``ops.process_mask_native`` at the input size (``shape`` = 4 x the prototype size, as the
    validators call it): ``coefficients @ protos`` upsampled bilinearly to ``shape``, ``> 0``, then cropped to each
    box (input pixels; ``_core.crop_masks``). (n, H, W) uint8."""
    c, mh, mw = protos.shape
    h, w = shape
    n = coefficients.shape[0]
    out = np.zeros((n, h, w), dtype=np.uint8)
    if n == 0:
        return out
    logits = (coefficients.astype(np.float32) @ protos.reshape(c, -1).astype(np.float32)).reshape(n, mh, mw)
    step = max(1, CHUNK_PIXELS // (h * w))
    for i in range(0, n, step):
        out[i : i + step] = upsample_bilinear(logits[i : i + step], (h, w)) > 0
    _core.crop_masks(out, np.ascontiguousarray(bboxes, dtype=np.float32))
    return out


def scale_masks_to_original(
    masks: np.ndarray, ori_shape: tuple[int, int], ratio_pad: tuple[tuple[float, float], tuple[float, float]]
) -> np.ndarray:
    """Ultralytics ``ops.scale_masks(masks[None], ori_shape, ratio_pad)[0].byte()`` for 0/1 masks at the input size:
    the letterbox padding cut off, bilinear to ``ori_shape``, truncated to uint8 (a pixel is 1 only where the
    interpolated value is exactly 1)."""
    (gain_h, gain_w), (pad_w, pad_h) = ratio_pad
    h0, w0 = ori_shape
    top, left = round(pad_h - 0.1), round(pad_w - 0.1)
    bottom, right = top + max(round(h0 * gain_h), 1), left + max(round(w0 * gain_w), 1)
    n = masks.shape[0]
    if masks.shape[1:] == (h0, w0):
        return masks.astype(np.uint8)
    out = np.zeros((n, h0, w0), dtype=np.uint8)
    src = masks[:, top:bottom, left:right]
    step = max(1, CHUNK_PIXELS // (h0 * w0))
    for i in range(0, n, step):
        out[i : i + step] = upsample_bilinear(src[i : i + step], (h0, w0)).astype(np.uint8)
    return out


def rle_counts(mask: np.ndarray) -> list[int]:
    """COCO run lengths of a (h, w) 0/1 mask in column-major order, starting with a (possibly empty) run of 0s."""
    flat = np.ascontiguousarray(mask.T).reshape(-1)
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    counts = np.diff(np.concatenate(([0], change, [flat.size]))).tolist()
    return [0, *counts] if flat.size and flat[0] else counts


def rle_string(counts: list[int], h: int, w: int) -> str:
    """COCO's compressed RLE string of ``counts`` (delta from the fourth count, signed 5-bit groups + 48), as
    Ultralytics' ``SegmentationValidator.pred_to_json``."""
    x = np.asarray(counts, dtype=np.int64)
    x[3:] -= x[1:-2].copy()
    chunks = x[:, None] >> np.arange(0, (h * w).bit_length() + 1, 5)
    more = (chunks < -16) | (chunks > 15)
    keep = np.concatenate((np.ones((len(x), 1), dtype=bool), more[:, :-1]), axis=1)
    return bytes((((chunks & 0x1F) | (more << 5)) + 48)[keep].astype(np.uint8)).decode()


class Validator:
    """One validation run of a model (``task`` ``"detect"`` or ``"segment"``) on a dataset split."""

    def __init__(self, backend: AutoBackend, task: str, args: dict[str, Any]) -> None:
        self.backend = backend
        self.task = task
        self.args = args
        self.names = backend.names
        self.nc = len(self.names)
        self.metrics: DetMetrics = SegmentMetrics(self.names) if task == "segment" else DetMetrics(self.names)
        self.seen = 0
        self.save_dir = get_save_dir(args["project"], args["name"], task, "val", bool(args["exist_ok"]))
        self.confusion_matrix = ConfusionMatrix(self.names)
        self.jdict: list[dict[str, Any]] = []
        self.class_map = list(range(1, self.nc + 1))
        self.native_masks = bool(args["save_json"])  # the original's process_mask_native when saving JSON

    def get_desc(self) -> str:
        cols = ["Class", "Images", "Instances", "Box(P", "R", "mAP50", "mAP50-95)"]
        if self.task == "segment":
            cols += ["Mask(P", "R", "mAP50", "mAP50-95)"]
        return ("%22s" + "%11s" * (len(cols) - 1)) % tuple(cols)

    def build_dataset(self) -> ValDataset:
        b, a = self.backend, self.args
        data = check_det_dataset(a["data"], self.names)
        # a dataset with classes the model has not got is refused up front (its labels would index past the names)
        if max(data["names"], default=-1) >= self.nc and not a["single_cls"]:
            raise ValueError(
                f"dataset {str(a['data'])!r} has {data['nc']} classes (indices up to {max(data['names'])}) but the "
                f"model has {self.nc}; validate with a dataset of the model's classes (at most {self.nc})"
            )
        split = a["split"]
        if not data.get(split):
            raise ValueError(f"dataset {a['data']!r} has no '{split}' split")
        self.data = data
        val = data.get(split, "")
        is_coco = (
            isinstance(val, str)
            and "coco" in val
            and val.endswith((f"{os.sep}val2017.txt", f"{os.sep}test-dev2017.txt"))
        )
        self.class_map = list(COCO80_TO_COCO91) if is_coco else list(range(1, self.nc + 1))
        if b.static_hw is not None:  # fixed-shape export: its input shape, no rect batches
            imgsz: Any = list(b.static_hw)
            rect = False
        else:
            from numa_ultralytics.data.augment import check_imgsz

            sz = check_imgsz(a["imgsz"], b.stride)
            imgsz = sz[0] if sz[0] == sz[1] else list(sz)
            rect = bool(a["rect"])
        return ValDataset(
            data[split],
            int(data["nc"]),
            imgsz,
            use_segments=self.task == "segment",
            rect=rect,
            batch_size=int(a["batch"]),
            stride=b.stride,
            mask_ratio=int(a["mask_ratio"]),
            overlap_mask=bool(a["overlap_mask"]),
            single_cls=bool(a["single_cls"]),
        )

    def __call__(self) -> DetMetrics:
        a, b = self.args, self.backend
        dataset = self.build_dataset()
        max_obj = max((len(lb.cls) for lb in dataset.labels), default=0)
        if max_obj > a["max_det"] and a["max_det"] == VAL_DEFAULTS["max_det"]:
            LOGGER.warning(f"Dataset images contain up to {max_obj} objects; setting max_det={max_obj}")
            a["max_det"] = max_obj
        dt = [0.0, 0.0, 0.0, 0.0]
        self.metrics.clear_stats()
        self.metrics.clear_image_metrics()
        # The original shows a tqdm bar with the table header as its description; a bar on a terminal, plain lines
        # every few seconds otherwise (utils/progress.py), nothing with verbose=False.
        bar = ProgressBar(
            len(dataset), desc=f"{self.get_desc().strip()}  ", unit="image", enabled=None if a["verbose"] else False
        )
        plots, save_json = bool(a["plots"]), bool(a["save_json"])
        if plots or save_json:
            self.save_dir.mkdir(parents=True, exist_ok=True)
        bs = max(int(a["batch"]), 1)
        plot_batch: list[tuple[Any, dict[str, np.ndarray]]] = []
        for i, sample in enumerate(dataset):
            t0 = time.perf_counter()
            blob = _core.to_blob(sample.img)
            if blob.dtype != b.input_dtype:
                blob = blob.astype(b.input_dtype)
            t1 = time.perf_counter()
            outs = b(blob)
            t2 = time.perf_counter()
            pred = self.postprocess(outs, sample.img.shape[:2])
            t3 = time.perf_counter()
            dt[0] += t1 - t0
            dt[1] += t2 - t1
            dt[3] += t3 - t2
            self.update_metrics(pred, sample)
            if plots and i // bs < PLOT_BATCHES:
                plot_batch.append((sample, pred))
                if i % bs == bs - 1 or i == len(dataset) - 1:
                    self.plot_batch(plot_batch, i // bs)
                    plot_batch = []
            bar.update(1)
        bar.close()
        self.metrics.process(save_dir=self.save_dir, plot=plots)
        n = max(len(dataset), 1)
        self.metrics.speed = dict(zip(("preprocess", "inference", "loss", "postprocess"), (x / n * 1e3 for x in dt)))
        if plots:
            for normalize in (True, False):
                self.confusion_matrix.plot(normalize=normalize, save_dir=self.save_dir)
        self.metrics.confusion_matrix = self.confusion_matrix
        self.metrics.save_dir = self.save_dir
        self.print_results()
        s = self.metrics.speed
        LOGGER.info(
            f"Speed: {s['preprocess']:.1f}ms preprocess, {s['inference']:.1f}ms inference, {s['loss']:.1f}ms loss, "
            f"{s['postprocess']:.1f}ms postprocess per image"
        )
        if save_json and self.jdict:
            f = self.save_dir / "predictions.json"
            LOGGER.info(f"Saving {f}...")
            f.write_text(json.dumps(self.jdict))
        if plots or save_json:
            LOGGER.info(f"Results saved to {self.save_dir}")
        self.metrics.clear_stats()
        return self.metrics

    def postprocess(self, outs: list[np.ndarray], input_hw: tuple[int, int]) -> dict[str, np.ndarray]:
        a, b = self.args, self.backend
        if b.end2end:
            p = outs[0][0]
            keep = p[:, 4] > a["conf"]
            x = p[keep][: a["max_det"]].astype(np.float32)
        else:
            x = nms_multi_label(
                outs[0][0],
                float(a["conf"]),
                float(a["iou"]),
                self.nc,
                int(a["max_det"]),
                multi_label=True,
                agnostic=bool(a["single_cls"] or a["agnostic_nms"]),
            )
        pred = {"bboxes": x[:, :4], "conf": x[:, 4], "cls": x[:, 5]}
        if self.task == "segment":
            protos = outs[1][0]
            mh, mw = protos.shape[1:]
            mask_fn = process_mask_native if self.native_masks else process_mask
            pred["masks"] = mask_fn(protos, x[:, 6:], x[:, :4], (4 * mh, 4 * mw))
        if a["single_cls"]:
            pred["cls"] = pred["cls"] * 0
        return pred

    def update_metrics(self, pred: dict[str, np.ndarray], sample: Any) -> None:
        self.seen += 1
        h, w = sample.img.shape[:2]
        cls = sample.cls
        nl = cls.shape[0]
        gt_boxes = (
            xywh2xyxy(sample.bboxes) * np.array([w, h, w, h], dtype=np.float32)
            if nl
            else np.zeros((0, 4), dtype=np.float32)
        )
        npred = pred["cls"].shape[0]
        niou = len(IOUV)
        if nl == 0 or npred == 0:
            tp = np.zeros((npred, niou), dtype=bool)
        else:
            tp = match_predictions(pred["cls"], cls, box_iou(gt_boxes, pred["bboxes"]))
        stat: dict[str, Any] = {
            "tp": tp,
            "target_cls": cls,
            "target_img": np.unique(cls),
            "conf": np.zeros(0) if npred == 0 else pred["conf"],
            "pred_cls": np.zeros(0) if npred == 0 else pred["cls"],
            "im_name": Path(sample.im_file).name,
        }
        if self.task == "segment":
            if nl == 0 or npred == 0:
                stat["tp_m"] = np.zeros((npred, niou), dtype=bool)
            else:
                iou = mask_iou(self._gt_masks(sample, nl), pred["masks"])
                stat["tp_m"] = match_predictions(pred["cls"], cls, iou)
        self.metrics.update_stats(stat)
        if self.args["plots"]:
            self.confusion_matrix.process_batch(
                pred, {"bboxes": gt_boxes, "cls": cls}, conf=float(self.args["conf"]), iou_thres=CONFUSION_IOU
            )
        if self.args["save_json"] and npred:
            self.pred_to_json(pred, sample)

    def pred_to_json(self, pred: dict[str, np.ndarray], sample: Any) -> None:
        """COCO-format records of one image (``DetectionValidator.pred_to_json`` / the segment one): ``image_id``
        (the file stem, an int when numeric), ``file_name``, ``category_id`` (``class_map``: COCO's 91 ids for COCO
        val2017 / test-dev lists, else class + 1), ``bbox`` ``[x, y, w, h]`` in original pixels (3 decimals),
        ``score`` (5 decimals), and for segment ``segmentation`` (compressed RLE at the original size)."""
        path = Path(sample.im_file)
        stem = path.stem
        image_id: int | str = int(stem) if stem.isnumeric() else stem
        (gain_y, gain_x), (pad_x, pad_y) = sample.ratio_pad
        h0, w0 = sample.ori_shape
        b = pred["bboxes"].astype(np.float32).copy()  # ops.scale_boxes with ratio_pad, float32, then clip
        b[:, [0, 2]] -= np.float32(pad_x)
        b[:, [1, 3]] -= np.float32(pad_y)
        b[:, [0, 2]] /= np.float32(gain_x)
        b[:, [1, 3]] /= np.float32(gain_y)
        b[:, [0, 2]] = b[:, [0, 2]].clip(0, w0)
        b[:, [1, 3]] = b[:, [1, 3]].clip(0, h0)
        xywh = np.stack(((b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2, b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]), 1)
        xywh[:, :2] -= xywh[:, 2:] / 2
        rles: list[dict[str, Any]] = []
        if self.task == "segment":
            masks = scale_masks_to_original(pred["masks"], (h0, w0), sample.ratio_pad)
            rles = [{"size": [h0, w0], "counts": rle_string(rle_counts(m), h0, w0)} for m in masks]
        for k, (box, score, c) in enumerate(zip(xywh.tolist(), pred["conf"].tolist(), pred["cls"].tolist())):
            rec: dict[str, Any] = {
                "image_id": image_id,
                "file_name": path.name,
                "category_id": self.class_map[int(c)],
                "bbox": [round(x, 3) for x in box],
                "score": round(score, 5),
            }
            if rles:
                rec["segmentation"] = rles[k]
            self.jdict.append(rec)

    def plot_batch(self, items: list[tuple[Any, dict[str, np.ndarray]]], ni: int) -> None:
        """``val_batch<ni>_labels.jpg`` and ``val_batch<ni>_pred.jpg`` of one batch (utils/val_plots.py)."""
        from numa_ultralytics.utils.val_plots import plot_images

        images = [s.img for s, _ in items]
        paths = [s.im_file for s, _ in items]
        labels, preds = [], []
        max_det = int(self.args["max_det"])
        for s, p in items:
            h, w = s.img.shape[:2]
            nl = len(s.cls)
            lb: dict[str, Any] = {
                "cls": s.cls,
                "bboxes": xywh2xyxy(s.bboxes) * np.array([w, h, w, h], dtype=np.float32) if nl else np.zeros((0, 4)),
            }
            if s.masks is not None and nl:
                m = s.masks
                lb["masks"] = m == np.arange(1, nl + 1).reshape(nl, 1, 1) if self.args["overlap_mask"] else m
            labels.append(lb)
            pr = {k: p[k][:max_det] for k in ("bboxes", "conf", "cls")}
            if "masks" in p:
                pr["masks"] = p["masks"][:max_det]
            preds.append(pr)
        plot_images(images, labels, paths, self.save_dir / f"val_batch{ni}_labels.jpg", self.names)
        plot_images(images, preds, paths, self.save_dir / f"val_batch{ni}_pred.jpg", self.names)

    def _gt_masks(self, sample: Any, nl: int) -> np.ndarray:
        """(nl, H/4, W/4) uint8 target masks, one per instance (an overlap index mask split by instance); other
        mask ratios, and the input size of ``native_masks``, resized as the original does (bilinear, ``> 0.5``)."""
        masks = sample.masks
        if self.args["overlap_mask"]:
            masks = masks == np.arange(1, nl + 1, dtype=masks.dtype).reshape(nl, 1, 1)
        masks = masks.astype(np.uint8)
        h, w = sample.img.shape[:2]
        size = (h, w) if self.native_masks else (h // 4, w // 4)
        if masks.shape[1:] != size:
            masks = (upsample_bilinear(masks, size) > 0.5).astype(np.uint8)
        return masks

    def print_results(self) -> None:
        m = self.metrics
        pf = "%22s" + "%11i" * 2 + "%11.3g" * len(m.keys)
        LOGGER.info(self.get_desc())
        LOGGER.info(pf % ("all", self.seen, m.nt_per_class.sum(), *m.mean_results()))
        if m.nt_per_class.sum() == 0:
            LOGGER.warning(f"no labels found in {self.task} set, cannot compute metrics without labels")
        if self.args["verbose"] and self.nc > 1:
            for i, c in enumerate(m.ap_class_index):
                LOGGER.info(pf % (self.names[c], m.nt_per_image[c], m.nt_per_class[c], *m.class_result(i)))


def run_val(backend: AutoBackend, task: str, **kwargs: Any) -> DetMetrics:
    """Validate ``backend`` on ``kwargs['data']``; returns ``DetMetrics`` (detect) or ``SegmentMetrics`` (segment)."""
    args = check_val_args(kwargs)
    return Validator(backend, task, args)()
