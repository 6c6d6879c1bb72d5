"""``model.val()``: box (and mask) metrics of a model on a dataset's split, as Ultralytics 8.4.190 computes them.

The loop and every rule follow the original's ``BaseValidator`` / ``DetectionValidator`` /
``SegmentationValidator``: the val dataset (``data/dataset.py``: long side to ``imgsz``, ``LetterBox(scaleup=False)``,
rect batch shapes for dynamic models, polygons rasterised at ``1 / mask_ratio`` with overlapped masks), multi-label
NMS (``conf=0.001``, ``iou=0.7``, ``max_det=300``), predicted masks at prototype resolution
(``ops.process_mask``: ``> 0`` then cropped to the scaled box), greedy matching over IoU 0.50:0.05:0.95 and the
metrics of ``utils/metrics.py``.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from numa_ultralytics import _core
from numa_ultralytics.data.dataset import ValDataset, check_det_dataset, xywh2xyxy
from numa_ultralytics.nn.autobackend import AutoBackend
from numa_ultralytics.utils.metrics import IOUV, DetMetrics, SegmentMetrics, box_iou, mask_iou, match_predictions
from numa_ultralytics.utils.progress import ProgressBar

LOGGER = logging.getLogger("numa_ultralytics")

VAL_DEFAULTS: dict[str, Any] = {
    "data": None,
    "imgsz": 640,
    "batch": 16,
    "conf": None,  # 0.001
    "iou": 0.7,
    "max_det": 300,
    "split": "val",
    "rect": True,  # model.val's default; only dynamic-shape models can use it
    "single_cls": False,
    "agnostic_nms": False,
    "nms": None,  # as predict (engine/args.py): accepted, the ONNX graph's head is fixed at export
    "overlap_mask": True,
    "mask_ratio": 4,
    "verbose": True,
    "device": None,
    "plots": False,  # accepted; plots are not drawn
    "half": False,  # as predict: bf16 on the CPU through OpenVINO where possible (nn/precision.py)
    "runtime": None,  # as predict: None, "onnxruntime", "openvino"
    "workers": 0,
    "save_json": False,
    "save_txt": False,
    "project": None,
    "name": None,
    "exist_ok": False,
}
MAX_WH = 7680
MAX_NMS = 30000


def check_val_args(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``VAL_DEFAULTS`` updated by ``kwargs``; unknown keys and unsupported values raise ``ValueError``."""
    bad = sorted(set(kwargs) - set(VAL_DEFAULTS))
    if bad:
        raise ValueError(f"'{bad[0]}' is not a valid val argument; valid: {', '.join(sorted(VAL_DEFAULTS))}")
    args = {**VAL_DEFAULTS, **kwargs}
    if args["data"] is None:
        raise ValueError("val needs data=<dataset.yaml>")
    if args["save_json"] or args["save_txt"]:
        raise ValueError("val: save_json / save_txt are not supported by numa_ultralytics")
    if args["conf"] is None:
        args["conf"] = 0.001
    for k in ("conf", "iou"):
        v = args[k]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= float(v) <= 1.0:
            raise ValueError(f"{k}={v!r} must be a number in [0, 1]")
    for k in ("batch", "max_det", "mask_ratio"):
        v = args[k]
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{k}={v!r} must be a positive integer")
    if args["nms"] not in (None, True, False):
        raise ValueError(f"nms={args['nms']!r} must be None, True or False")
    if args["split"] not in ("val", "test", "train"):
        raise ValueError(f"split={args['split']!r} must be 'val', 'test' or 'train'")
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
    every class score ``> conf`` of a candidate box is a detection (``multi_label`` when nc > 1), class-offset
    greedy NMS (float32, suppress ``> iou``, score order stable), first ``max_det`` kept.

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
    order = np.argsort(-dets[:, 4], kind="stable")
    if len(order) > MAX_NMS:
        order = order[:MAX_NMS]
    dets = dets[order]
    keep = _greedy_nms(dets[:, :4] + dets[:, 5:6] * np.float32(0 if agnostic else MAX_WH), iou, max_det)
    return dets[keep]


def _greedy_nms(boxes: np.ndarray, iou_thres: float, max_det: int) -> np.ndarray:
    """torchvision ``nms`` on boxes already in descending score order: keep, suppress IoU ``> iou_thres``."""
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    areas = (x2 - x1) * (y2 - y1)
    thr = np.float32(iou_thres)
    order = np.arange(len(boxes))
    keep: list[int] = []
    while order.size and len(keep) < max_det:
        i = order[0]
        keep.append(int(i))
        rest = order[1:]
        w = np.maximum(np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]), np.float32(0))
        h = np.maximum(np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]), np.float32(0))
        inter = w * h
        with np.errstate(invalid="ignore", divide="ignore"):
            ovr = inter / (areas[i] + areas[rest] - inter)
        order = rest[~(ovr > thr)]
    return np.asarray(keep, dtype=np.int64)


def process_mask(
    protos: np.ndarray, coefficients: np.ndarray, bboxes: np.ndarray, shape: tuple[int, int]
) -> np.ndarray:
    """Ultralytics ``ops.process_mask`` (no upsample): ``coefficients @ protos > 0`` at prototype resolution, cropped to
    each box scaled to that resolution (columns ``x1 <= c < x2``, rows ``y1 <= r < y2``). (n, mh, mw) uint8."""
    c, mh, mw = protos.shape
    n = coefficients.shape[0]
    if n == 0:
        return np.zeros((0, mh, mw), dtype=np.uint8)
    masks = (coefficients.astype(np.float32) @ protos.reshape(c, -1).astype(np.float32)).reshape(n, mh, mw) > 0
    ratios = np.array([mw / shape[1], mh / shape[0], mw / shape[1], mh / shape[0]], dtype=np.float32)
    b = bboxes.astype(np.float32) * ratios
    cols = np.arange(mw, dtype=np.float32)[None, :]
    rows = np.arange(mh, dtype=np.float32)[None, :]
    in_x = (cols >= b[:, 0:1]) & (cols < b[:, 2:3])  # (n, mw)
    in_y = (rows >= b[:, 1:2]) & (rows < b[:, 3:4])  # (n, mh)
    return (masks & in_y[:, :, None] & in_x[:, None, :]).astype(np.uint8)


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

    def get_desc(self) -> str:
        cols = ["Class", "Images", "Instances", "Box(P", "R", "mAP50", "mAP50-95)"]
        if self.task == "segment":
            cols += ["Mask(P", "R", "mAP50", "mAP50-95)"]
        return ("%22s" + "%11s" * (len(cols) - 1)) % tuple(cols)

    def build_dataset(self) -> ValDataset:
        b, a = self.backend, self.args
        data = check_det_dataset(a["data"], self.names)
        split = a["split"]
        if not data.get(split):
            raise ValueError(f"dataset {a['data']!r} has no '{split}' split")
        self.data = data
        if b.static_hw is not None:  # fixed-shape export: its input shape, no rect batches
            imgsz: Any = list(b.static_hw)
            rect = False
        else:
            from numa_ultralytics.engine.predictor import check_imgsz

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
        for sample in dataset:
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
            bar.update(1)
        bar.close()
        self.metrics.process()
        n = max(len(dataset), 1)
        self.metrics.speed = dict(zip(("preprocess", "inference", "loss", "postprocess"), (x / n * 1e3 for x in dt)))
        self.print_results()
        s = self.metrics.speed
        LOGGER.info(
            f"Speed: {s['preprocess']:.1f}ms preprocess, {s['inference']:.1f}ms inference, {s['loss']:.1f}ms loss, "
            f"{s['postprocess']:.1f}ms postprocess per image"
        )
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
            pred["masks"] = process_mask(protos, x[:, 6:], x[:, :4], (4 * mh, 4 * mw))
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

    def _gt_masks(self, sample: Any, nl: int) -> np.ndarray:
        """(nl, H/4, W/4) uint8 target masks, one per instance (an overlap index mask split by instance); other
        mask ratios resized as the original does (bilinear, ``> 0.5``)."""
        masks = sample.masks
        if self.args["overlap_mask"]:
            masks = masks == np.arange(1, nl + 1, dtype=masks.dtype).reshape(nl, 1, 1)
        masks = masks.astype(np.uint8)
        h, w = sample.img.shape[:2]
        size = (h // 4, w // 4)
        if masks.shape[1:] != size:
            import cv2

            masks = np.stack(
                [cv2.resize(m.astype(np.float32), size[::-1], interpolation=cv2.INTER_LINEAR) > 0.5 for m in masks]
            ).astype(np.uint8)
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
