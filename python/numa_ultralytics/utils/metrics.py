"""Validation metrics: IoU matrices, prediction matching, AP, the confusion matrix, and the ``Metric`` / ``DetMetrics``
/ ``SegmentMetrics`` bookkeeping ``model.val()`` returns (the plots of them: utils/val_plots.py).

Follows Ultralytics 8.4.190 ``utils/metrics.py`` and ``BaseValidator.match_predictions`` (greedy matching in
confidence order): float32 IoUs, float32 thresholds ``torch.linspace(0.5, 0.95, 10)``, 101-point interpolated AP,
precision / recall at the max mean-F1 confidence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from numa_ultralytics import _core
from numa_ultralytics.utils import DataExportMixin
from numa_ultralytics.utils.ops import smooth  # Ultralytics' metrics.smooth; the rule is in utils/ops.py

IOUV = np.linspace(0.5, 0.95, 10).astype(np.float32)  # equal to torch.linspace(0.5, 0.95, 10) (float32)
_AP_X = np.linspace(0, 1, 101)
_TRAPZ = getattr(np, "trapezoid", None) or np.trapz  # type: ignore[attr-defined]


def box_iou(box1: np.ndarray, box2: np.ndarray, eps: float = 1e-7) -> np.ndarray:
    """(N, 4) x (M, 4) xyxy -> (N, M) IoU in float32, ``inter / (a1 + a2 - inter + eps)``."""
    a = np.asarray(box1, dtype=np.float32)[:, None, :]
    b = np.asarray(box2, dtype=np.float32)[None, :, :]
    wh = (np.minimum(a[..., 2:], b[..., 2:]) - np.maximum(a[..., :2], b[..., :2])).clip(0)
    inter = wh[..., 0] * wh[..., 1]
    wh1, wh2 = a[..., 2:] - a[..., :2], b[..., 2:] - b[..., :2]
    return inter / (wh1[..., 0] * wh1[..., 1] + wh2[..., 0] * wh2[..., 1] - inter + np.float32(eps))


def mask_iou(mask1: np.ndarray, mask2: np.ndarray) -> np.ndarray:
    """(N, H, W) x (M, H, W) binary masks (nonzero = set) -> (N, M) float32 IoU, Ultralytics' ``mask_iou`` of the
    flattened masks (exact pixel counts, ``inter / (union + 1e-7)``; rust/src/metrics.rs)."""
    m1 = np.ascontiguousarray(mask1, dtype=np.uint8)
    m2 = np.ascontiguousarray(mask2, dtype=np.uint8)
    return _core.mask_iou(m1, m2)


def match_predictions(
    pred_classes: np.ndarray, true_classes: np.ndarray, iou: np.ndarray, iouv: np.ndarray = IOUV
) -> np.ndarray:
    """(D, T) bool: whether each prediction (in descending confidence order) is a true positive at each IoU
    threshold; every target is claimed at most once per threshold (``BaseValidator.match_predictions``, greedy;
    rust/src/metrics.rs)."""
    return _core.match_predictions(
        np.ascontiguousarray(pred_classes, dtype=np.float32),
        np.ascontiguousarray(true_classes, dtype=np.float32),
        np.ascontiguousarray(iou, dtype=np.float32),
        np.ascontiguousarray(iouv, dtype=np.float32),
    )


def agreement(ref: Any, other: Any, iou: float = 0.5) -> tuple[int, int, int, list[float]]:
    """How far two runs' ``Results`` of one image agree (a precision against fp32, nn/precision.py):
    ``(n_ref, n_other, matched, mask IoUs of the matched pairs)``. Pairs are made greedily in ``ref``'s confidence
    order: the unmatched ``other`` detection of the same class with the highest box IoU, at least ``iou``."""
    n_ref, n_other = len(ref.boxes), len(other.boxes)
    if not n_ref or not n_other:
        return n_ref, n_other, 0, []
    ious = box_iou(np.asarray(ref.boxes.xyxy), np.asarray(other.boxes.xyxy))
    ious[np.asarray(ref.boxes.cls)[:, None] != np.asarray(other.boxes.cls)[None, :]] = 0.0
    taken = np.zeros(n_other, bool)
    masks = ref.masks is not None and other.masks is not None
    mask_ious: list[float] = []
    matched = 0
    for i in np.argsort(-np.asarray(ref.boxes.conf), kind="stable"):
        row = np.where(taken, -1.0, ious[i])
        j = int(row.argmax())
        if row[j] < iou:
            continue
        taken[j] = True
        matched += 1
        if masks:
            a, b = np.asarray(ref.masks.data[i]) > 0, np.asarray(other.masks.data[j]) > 0
            mask_ious.append(float((a & b).sum() / max(int((a | b).sum()), 1)))
    return n_ref, n_other, matched, mask_ious


def compute_ap(recall: np.ndarray, precision: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """AP of one PR curve: precision envelope, 101-point (COCO) interpolation, trapezoid rule."""
    mrec = np.concatenate(([0.0], recall, [recall[-1] if len(recall) else 1.0], [1.0]))
    mpre = np.concatenate(([1.0], precision, [0.0], [0.0]))
    mpre = np.flip(np.maximum.accumulate(np.flip(mpre)))
    ap = float(_TRAPZ(np.interp(_AP_X, mrec, mpre), _AP_X))
    return ap, mpre, mrec


def ap_per_class(
    tp: np.ndarray,
    conf: np.ndarray,
    pred_cls: np.ndarray,
    target_cls: np.ndarray,
    plot: bool = False,
    save_dir: Path = Path(),
    names: dict[int, str] | None = None,
    eps: float = 1e-16,
    prefix: str = "",
) -> tuple[Any, ...]:
    """Per-class AP at every IoU threshold, and P / R / F1 at the confidence maximising the smoothed mean F1.

    Returns ``(tp, fp, p, r, f1, ap (nc, T), classes, p_curve, r_curve, f1_curve, x, prec_values)`` as Ultralytics'
    ``ap_per_class``. ``plot``: ``<prefix>PR_curve.png``, ``<prefix>F1_curve.png``, ``<prefix>P_curve.png`` and
    ``<prefix>R_curve.png`` in ``save_dir`` (utils/val_plots.py)."""
    i = np.argsort(-conf)
    tp, conf, pred_cls = tp[i], conf[i], pred_cls[i]
    unique_classes, nt = np.unique(target_cls, return_counts=True)
    nc = unique_classes.shape[0]
    x, prec_values = np.linspace(0, 1, 1000), []
    ap, p_curve, r_curve = np.zeros((nc, tp.shape[1])), np.zeros((nc, 1000)), np.zeros((nc, 1000))
    for ci, c in enumerate(unique_classes):
        i = pred_cls == c
        n_l = nt[ci]
        n_p = i.sum()
        if n_p == 0 or n_l == 0:
            prec_values.append(np.zeros_like(x))
            continue
        fpc = (1 - tp[i]).cumsum(0)
        tpc = tp[i].cumsum(0)
        recall = tpc / (n_l + eps)
        r_curve[ci] = np.interp(-x, -conf[i], recall[:, 0], left=0)
        precision = tpc / (tpc + fpc)
        p_curve[ci] = np.interp(-x, -conf[i], precision[:, 0], left=1)
        for j in range(tp.shape[1]):
            ap[ci, j], mpre, mrec = compute_ap(recall[:, j], precision[:, j])
            if j == 0:
                prec_values.append(np.interp(x, mrec, mpre))
    prec = np.array(prec_values) if prec_values else np.zeros((1, 1000))
    f1_curve = 2 * p_curve * r_curve / (p_curve + r_curve + eps)
    if plot and nc:
        from numa_ultralytics.utils.val_plots import plot_curves

        shown = {i: names[k] for i, k in enumerate(unique_classes) if k in names} if names else {}
        plot_curves(x, prec, ap, f1_curve, p_curve, r_curve, Path(save_dir), prefix, shown)
    k = smooth(f1_curve.mean(0), 0.1).argmax() if nc else 0
    p, r, f1 = p_curve[:, k], r_curve[:, k], f1_curve[:, k]
    tp_n = (r * nt).round()
    fp_n = (tp_n / (p + eps) - tp_n).round()
    return tp_n, fp_n, p, r, f1, ap, unique_classes.astype(int), p_curve, r_curve, f1_curve, x, prec


class ConfusionMatrix(DataExportMixin):
    """Detection confusion matrix as Ultralytics 8.4.190's ``ConfusionMatrix`` (task ``detect``, also used for segment):
    ``matrix[predicted, true]``, ``(nc + 1, nc + 1)``, the last row / column the background (missed objects / false
    detections); ``to_df`` / ``to_csv`` / ``to_json`` export ``summary()``, as the original's ``DataExportMixin``."""

    def __init__(self, names: dict[int, str] | None = None, task: str = "detect") -> None:
        self.task = task
        self.names: dict[int, str] = names if names is not None else {}
        self.nc = len(self.names)
        self.matrix = np.zeros((self.nc + 1, self.nc + 1))

    def process_batch(
        self,
        detections: dict[str, np.ndarray],
        batch: dict[str, np.ndarray],
        conf: float = 0.25,
        iou_thres: float = 0.45,
    ) -> None:
        """Add one image: ``detections`` ``bboxes`` (xyxy) / ``conf`` / ``cls``, ``batch`` ``bboxes`` (xyxy) / ``cls``.
        Detections scoring ``> conf`` claim, in descending confidence order (stable), their best still unclaimed
        target with box IoU ``> iou_thres``, class-agnostic (a wrong class counts in the off-diagonal)."""
        gt_cls = np.asarray(batch["cls"])
        det_conf = np.asarray(detections["conf"], dtype=np.float32)
        det_cls = np.asarray(detections["cls"])
        if gt_cls.shape[0] == 0:
            for dc in det_cls[det_conf > conf].astype(int).tolist():
                self.matrix[dc, self.nc] += 1  # FP
            return
        gt_classes = gt_cls.astype(int).tolist()
        if det_cls.shape[0] == 0:
            for gc in gt_classes:
                self.matrix[self.nc, gc] += 1  # FN
            return
        keep = det_conf > conf
        det_conf, det_classes = det_conf[keep], det_cls[keep].astype(int).tolist()
        iou = box_iou(batch["bboxes"], np.asarray(detections["bboxes"])[keep])
        gt_match = np.full(len(gt_classes), -1)
        candidates = np.flatnonzero((iou > iou_thres).any(0))
        for det_idx in candidates[np.argsort(-det_conf[candidates], kind="stable")]:
            gt_idx = iou[:, det_idx].argmax()
            if iou[gt_idx, det_idx] > iou_thres:
                gt_match[gt_idx] = det_idx
                iou[gt_idx] = 0
        matched_det = set(gt_match[gt_match >= 0].tolist())
        for i, gc in enumerate(gt_classes):
            di = int(gt_match[i])
            if di >= 0:
                self.matrix[det_classes[di], gc] += 1  # TP if the class is right, else an FP and an FN
            else:
                self.matrix[self.nc, gc] += 1  # FN
        for i, dc in enumerate(det_classes):
            if i not in matched_det:
                self.matrix[dc, self.nc] += 1  # FP

    def tp_fp(self) -> tuple[np.ndarray, np.ndarray]:
        """True and false positives per class (background excluded)."""
        tp = self.matrix.diagonal()
        fp = self.matrix.sum(1) - tp
        return tp[:-1], fp[:-1]

    def normalized(self) -> np.ndarray:
        """The matrix with each true-class column divided by its sum (``+ 1e-9``)."""
        return self.matrix / (self.matrix.sum(0).reshape(1, -1) + 1e-9)

    def plot(self, normalize: bool = True, save_dir: str | Path = "", on_plot: Any = None) -> Path:
        """``confusion_matrix.png`` / ``confusion_matrix_normalized.png`` in ``save_dir`` (utils/val_plots.py)."""
        from numa_ultralytics.utils.val_plots import plot_confusion_matrix

        f = plot_confusion_matrix(self.matrix, self.names, Path(save_dir), normalize)
        if on_plot:
            on_plot(f, {"type": "confusion_matrix", "matrix": self.matrix.tolist()})
        return f

    def print(self) -> None:
        for row in self.matrix:
            print(" ".join(map(str, row)))

    def summary(self, normalize: bool = False, decimals: int = 5) -> list[dict[str, Any]]:
        """One dict per predicted class (``Predicted`` plus one key per true class, names made identifier-safe)."""
        import re

        clean: list[str] = []
        seen: set[str] = set()
        for name in [*self.names.values(), "background"]:
            base = c = re.sub(r"[^a-zA-Z0-9_]", "_", name)
            k = 1
            while c.lower() in seen:
                c = f"{base}_{k}"
                k += 1
            seen.add(c.lower())
            clean.append(c)
        array = (self.normalized() if normalize else self.matrix).round(decimals)
        return [
            {"Predicted": clean[i], **{clean[j]: array[i, j] for j in range(len(clean))}} for i in range(len(clean))
        ]

    def __repr__(self) -> str:
        return f"ConfusionMatrix(nc={self.nc}, matrix=<{self.matrix.shape[0]}x{self.matrix.shape[1]}>)"


class Metric:
    """One kind of result (boxes or masks): per-class P, R, F1 and AP at the 10 IoU thresholds."""

    def __init__(self) -> None:
        self.p: Any = []
        self.r: Any = []
        self.f1: Any = []
        self.all_ap: Any = []
        self.ap_class_index: Any = []
        self.nc = 0
        self.image_metrics: dict[str, dict[str, Any]] = {}
        self.p_curve: Any = []
        self.r_curve: Any = []
        self.f1_curve: Any = []
        self.px: Any = []
        self.prec_values: Any = []

    @property
    def ap50(self) -> Any:
        """AP at IoU 0.5 per class."""
        return self.all_ap[:, 0] if len(self.all_ap) else []

    @property
    def ap(self) -> Any:
        """AP at IoU 0.5:0.95 per class."""
        return self.all_ap.mean(1) if len(self.all_ap) else []

    @property
    def mp(self) -> float:
        return float(self.p.mean()) if len(self.p) else 0.0

    @property
    def mr(self) -> float:
        return float(self.r.mean()) if len(self.r) else 0.0

    @property
    def map50(self) -> float:
        return float(self.all_ap[:, 0].mean()) if len(self.all_ap) else 0.0

    @property
    def map75(self) -> float:
        return float(self.all_ap[:, 5].mean()) if len(self.all_ap) else 0.0

    @property
    def map(self) -> float:
        return float(self.all_ap.mean()) if len(self.all_ap) else 0.0

    def mean_results(self) -> list[float]:
        return [self.mp, self.mr, self.map50, self.map]

    def class_result(self, i: int) -> tuple[float, float, float, float]:
        return self.p[i], self.r[i], self.ap50[i], self.ap[i]

    @property
    def maps(self) -> np.ndarray:
        maps = np.zeros(self.nc) + self.map
        for i, c in enumerate(self.ap_class_index):
            maps[c] = self.ap[i]
        return maps

    def fitness(self) -> float:
        w = [0.0, 0.0, 0.0, 1.0]
        return float((np.nan_to_num(np.array(self.mean_results())) * w).sum())

    @property
    def curves(self) -> list[str]:
        return []

    @property
    def curves_results(self) -> list[list[Any]]:
        """``[x, y, xlabel, ylabel]`` of the PR, F1-, P- and R-confidence curves (y: one row per class with labels)."""
        return [
            [self.px, self.prec_values, "Recall", "Precision"],
            [self.px, self.f1_curve, "Confidence", "F1"],
            [self.px, self.p_curve, "Confidence", "Precision"],
            [self.px, self.r_curve, "Confidence", "Recall"],
        ]

    def update(self, results: tuple[Any, ...]) -> None:
        (
            self.p,
            self.r,
            self.f1,
            self.all_ap,
            self.ap_class_index,
            self.p_curve,
            self.r_curve,
            self.f1_curve,
            self.px,
            self.prec_values,
        ) = results

    def clear_image_metrics(self) -> None:
        self.image_metrics.clear()

    def update_image_metrics(self, tp: np.ndarray, target_cls: np.ndarray, pred_cls: np.ndarray, im_name: str) -> None:
        """Per-image precision / recall / F1 / TP / FP / FN at IoU 0.5."""
        ntp = int(tp[:, 0].sum()) if tp.size else 0
        num_preds, num_targets = pred_cls.shape[0], target_cls.shape[0]
        if num_preds == 0 and num_targets == 0:
            precision = recall = f1 = 1.0
        else:
            precision = ntp / num_preds if num_preds else 0.0
            recall = ntp / num_targets if num_targets else 0.0
            denom = precision + recall
            f1 = 2 * precision * recall / denom if denom else 0.0
        self.image_metrics[im_name] = {
            "precision": float(precision),
            "recall": float(recall),
            "f1": float(f1),
            "tp": ntp,
            "fp": num_preds - ntp,
            "fn": num_targets - ntp,
        }


class DetMetrics(DataExportMixin):
    """Box metrics of a validation run (``metrics.box``, ``results_dict``, ``speed``, ``summary()``)."""

    task = "detect"

    def __init__(self, names: dict[int, str] | None = None) -> None:
        self.names: dict[int, str] = names if names is not None else {}
        self.box = Metric()
        self.speed: dict[str, float] = {"preprocess": 0.0, "inference": 0.0, "loss": 0.0, "postprocess": 0.0}
        self.stats: dict[str, list[Any]] = {"tp": [], "conf": [], "pred_cls": [], "target_cls": [], "target_img": []}
        self.nt_per_class: Any = None
        self.nt_per_image: Any = None
        self.save_dir: Any = None
        self.confusion_matrix: ConfusionMatrix = ConfusionMatrix(self.names)

    def update_stats(self, stat: dict[str, Any]) -> None:
        for k in self.stats:
            self.stats[k].append(stat[k])
        self.box.update_image_metrics(stat["tp"], stat["target_cls"], stat["pred_cls"], stat["im_name"])

    def process(self, save_dir: Path = Path(), plot: bool = False) -> dict[str, np.ndarray]:
        """AP and the curves from the gathered stats; ``plot``: the ``Box*_curve.png`` files in ``save_dir``."""
        stats = {k: np.concatenate(v, 0) for k, v in self.stats.items()}
        if not stats:
            return stats
        self._fit(self.box, stats["tp"], stats, "Box", save_dir, plot)
        self.nt_per_class = np.bincount(stats["target_cls"].astype(int), minlength=len(self.names))
        self.nt_per_image = np.bincount(stats["target_img"].astype(int), minlength=len(self.names))
        return stats

    def _fit(
        self, metric: Metric, tp: np.ndarray, stats: dict[str, np.ndarray], prefix: str, save_dir: Path, plot: bool
    ) -> None:
        """``metric`` (``box`` or ``seg``) from its true positives ``tp`` and the shared stats; ``plot``: its
        ``<prefix>*_curve.png`` files."""
        results = ap_per_class(
            tp,
            stats["conf"],
            stats["pred_cls"],
            stats["target_cls"],
            plot=plot,
            save_dir=save_dir,
            names=self.names,
            prefix=prefix,
        )[2:]
        metric.nc = len(self.names)
        metric.update(results)

    def clear_stats(self) -> None:
        for v in self.stats.values():
            v.clear()

    def clear_image_metrics(self) -> None:
        self.box.clear_image_metrics()

    @property
    def keys(self) -> list[str]:
        return ["metrics/precision(B)", "metrics/recall(B)", "metrics/mAP50(B)", "metrics/mAP50-95(B)"]

    def mean_results(self) -> list[float]:
        return self.box.mean_results()

    def class_result(self, i: int) -> Any:
        return self.box.class_result(i)

    @property
    def maps(self) -> np.ndarray:
        return self.box.maps

    @property
    def fitness(self) -> float:
        return self.box.fitness()

    @property
    def ap_class_index(self) -> Any:
        return self.box.ap_class_index

    @property
    def results_dict(self) -> dict[str, float]:
        keys = [*self.keys, "fitness"]
        return dict(zip(keys, (float(x) for x in [*self.mean_results(), self.fitness])))

    @property
    def curves(self) -> list[str]:
        return ["Precision-Recall(B)", "F1-Confidence(B)", "Precision-Confidence(B)", "Recall-Confidence(B)"]

    @property
    def curves_results(self) -> list[list[Any]]:
        return self.box.curves_results

    def summary(self, normalize: bool = True, decimals: int = 5) -> list[dict[str, Any]]:
        """One dict per class with labels: Class, Images, Instances, Box-P/R/F1, mAP50, mAP75, mAP50-95."""
        per_class = {"Box-P": self.box.p, "Box-R": self.box.r, "Box-F1": self.box.f1}
        return [
            {
                "Class": self.names[self.ap_class_index[i]],
                "Images": int(self.nt_per_image[self.ap_class_index[i]]),
                "Instances": int(self.nt_per_class[self.ap_class_index[i]]),
                **{k: round(float(v[i]), decimals) for k, v in per_class.items()},
                "mAP50": round(float(self.class_result(i)[2]), decimals),
                "mAP75": round(float(self.box.all_ap[i, 5]), decimals),
                "mAP50-95": round(float(self.class_result(i)[3]), decimals),
            }
            for i in range(len(per_class["Box-P"]))
        ]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(results_dict={self.results_dict})"


class SegmentMetrics(DetMetrics):
    """Box and mask metrics of a segmentation validation run (``metrics.box``, ``metrics.seg``)."""

    task = "segment"

    def __init__(self, names: dict[int, str] | None = None) -> None:
        super().__init__(names)
        self.seg = Metric()
        self.stats["tp_m"] = []

    def update_stats(self, stat: dict[str, Any]) -> None:
        super().update_stats(stat)
        self.seg.update_image_metrics(stat["tp_m"], stat["target_cls"], stat["pred_cls"], stat["im_name"])

    def clear_image_metrics(self) -> None:
        super().clear_image_metrics()
        self.seg.clear_image_metrics()

    def process(self, save_dir: Path = Path(), plot: bool = False) -> dict[str, np.ndarray]:
        stats = super().process(save_dir, plot)
        if not stats:
            return stats
        self._fit(self.seg, stats["tp_m"], stats, "Mask", save_dir, plot)
        return stats

    @property
    def keys(self) -> list[str]:
        return [
            *super().keys,
            "metrics/precision(M)",
            "metrics/recall(M)",
            "metrics/mAP50(M)",
            "metrics/mAP50-95(M)",
        ]

    def mean_results(self) -> list[float]:
        return self.box.mean_results() + self.seg.mean_results()

    def class_result(self, i: int) -> Any:
        return (*self.box.class_result(i), *self.seg.class_result(i))

    @property
    def maps(self) -> np.ndarray:
        return self.box.maps + self.seg.maps

    @property
    def fitness(self) -> float:
        return self.seg.fitness() + self.box.fitness()

    @property
    def curves(self) -> list[str]:
        return [
            *super().curves,
            "Precision-Recall(M)",
            "F1-Confidence(M)",
            "Precision-Confidence(M)",
            "Recall-Confidence(M)",
        ]

    @property
    def curves_results(self) -> list[list[Any]]:
        return self.box.curves_results + self.seg.curves_results

    def summary(self, normalize: bool = True, decimals: int = 5) -> list[dict[str, Any]]:
        rows = super().summary(normalize, decimals)
        per_class = {"Mask-P": self.seg.p, "Mask-R": self.seg.r, "Mask-F1": self.seg.f1}
        for i, s in enumerate(rows):
            s.update({k: round(float(v[i]), decimals) for k, v in per_class.items()})
        return rows
