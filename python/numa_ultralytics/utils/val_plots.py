"""The plots of ``model.val(plots=True)``, drawn with OpenCV (no matplotlib): the P / R / F1-confidence and PR curves
(``<Box|Mask><PR|P|R|F1>_curve.png``), the confusion matrix (``confusion_matrix.png``,
``confusion_matrix_normalized.png``) and the first batches' images (``val_batch<i>_labels.jpg`` /
``val_batch<i>_pred.jpg``).

What is drawn follows Ultralytics 8.4.190 (``plot_pr_curve``, ``plot_mc_curve``, ``ConfusionMatrix.plot``,
``plot_images``): the same curves, legends (per class below 21 classes), the smoothed mean curve and its maximum, the
matrix's column normalisation and hidden cells below 0.005, the mosaic layout (up to 16 images, 1920 px at most),
predictions above 0.25 shown. The pixels differ (OpenCV's Hershey font, no anti-aliased matplotlib rendering); the
numbers behind them are utils/metrics.py's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from numa_ultralytics.utils.ops import smooth
from numa_ultralytics.utils.plotting import Annotator, colors

FONT = cv2.FONT_HERSHEY_SIMPLEX
BLACK = (0, 0, 0)
BLUE = (255, 0, 0)  # BGR
GREY = (128, 128, 128)
MAX_LEGEND = 21  # per-class lines and legend below this many classes (as the original)


def _write(path: Path, img: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), img):
        raise OSError(f"could not write {path}")
    return path


def _text(
    img: np.ndarray, s: str, org: tuple[int, int], scale: float = 0.6, color: Any = BLACK, thick: int = 1
) -> None:
    cv2.putText(img, s, org, FONT, scale, color, thick, cv2.LINE_AA)


def _centered(img: np.ndarray, s: str, cx: int, cy: int, scale: float, color: Any = BLACK, thick: int = 1) -> None:
    (w, h), _ = cv2.getTextSize(s, FONT, scale, thick)
    _text(img, s, (int(cx - w / 2), int(cy + h / 2)), scale, color, thick)


def _vertical_text(img: np.ndarray, s: str, cx: int, cy: int, scale: float, color: Any = BLACK) -> None:
    """Text rotated 90 degrees counter-clockwise, centred on (cx, cy)."""
    (w, h), base = cv2.getTextSize(s, FONT, scale, 1)
    patch = np.full((h + base + 4, w + 4, 3), 255, np.uint8)
    _text(patch, s, (2, h + 2), scale, color)
    patch = cv2.rotate(patch, cv2.ROTATE_90_COUNTERCLOCKWISE)
    ph, pw = patch.shape[:2]
    y0, x0 = max(cy - ph // 2, 0), max(cx - pw // 2, 0)
    y1, x1 = min(y0 + ph, img.shape[0]), min(x0 + pw, img.shape[1])
    region = img[y0:y1, x0:x1]
    p = patch[: y1 - y0, : x1 - x0]
    np.minimum(region, p, out=region)  # dark text over what is there


def _line_chart(
    px: np.ndarray,
    ys: Sequence[np.ndarray],
    labels: Sequence[str] | None,
    mean: np.ndarray,
    mean_label: str,
    xlabel: str,
    ylabel: str,
    title: str,
) -> np.ndarray:
    """A 1350x900 chart over [0, 1] x [0, 1]: one thin line per row of ``ys`` (coloured with a legend entry when
    ``labels`` is given, else grey), the thick blue ``mean`` line with ``mean_label``."""
    W, H = 1350, 900
    left, top, right, bottom = 110, 70, 1000, 800  # axes box
    img = np.full((H, W, 3), 255, np.uint8)
    aw, ah = right - left, bottom - top

    def pts(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        x = np.clip(np.nan_to_num(np.asarray(x, np.float64)), 0, 1)
        y = np.clip(np.nan_to_num(np.asarray(y, np.float64)), 0, 1)
        return np.stack([left + x * aw, bottom - y * ah], 1).round().astype(np.int32)

    for t in np.linspace(0, 1, 6):  # ticks and light grid
        x, y = int(left + t * aw), int(bottom - t * ah)
        cv2.line(img, (x, top), (x, bottom), (235, 235, 235), 1)
        cv2.line(img, (left, y), (right, y), (235, 235, 235), 1)
        cv2.line(img, (x, bottom), (x, bottom + 6), BLACK, 1)
        cv2.line(img, (left - 6, y), (left, y), BLACK, 1)
        _centered(img, f"{t:.1f}", x, bottom + 22, 0.55)
        _centered(img, f"{t:.1f}", left - 32, y, 0.55)
    legend: list[tuple[str, Any, int]] = []
    for i, row in enumerate(ys):
        c = colors(i, True) if labels is not None else GREY
        cv2.polylines(img, [pts(px, row)], False, c, 1, cv2.LINE_AA)
        if labels is not None:
            legend.append((labels[i], c, 2))
    cv2.polylines(img, [pts(px, mean)], False, BLUE, 4, cv2.LINE_AA)
    legend.append((mean_label, BLUE, 4))
    cv2.rectangle(img, (left, top), (right, bottom), BLACK, 1)
    _centered(img, xlabel, (left + right) // 2, bottom + 55, 0.75)
    _vertical_text(img, ylabel, 30, (top + bottom) // 2, 0.75)
    _centered(img, title, (left + right) // 2, top - 30, 0.85)
    y = top + 10
    for label, c, thick in legend:  # legend right of the axes
        cv2.line(img, (right + 20, y), (right + 55, y), c, thick, cv2.LINE_AA)
        _text(img, label[:40], (right + 62, y + 6), 0.5)
        y += 24
    return img


def plot_pr_curve(px: np.ndarray, py: np.ndarray, ap: np.ndarray, save_file: Path, names: dict[int, str]) -> Path:
    """Precision-recall curves (``py``: (nc, 1000) precision at recall ``px``), legend ``<name> <AP50>``."""
    py = np.asarray(py)
    labels = [f"{names[i]} {ap[i, 0]:.3f}" for i in range(len(py))] if 0 < len(names) < MAX_LEGEND else None
    mean = py.mean(0)
    img = _line_chart(
        px, list(py), labels, mean, f"all classes {ap[:, 0].mean():.3f} mAP@0.5", "Recall", "Precision",
        "Precision-Recall Curve",
    )  # fmt: skip
    return _write(save_file, img)


def plot_mc_curve(px: np.ndarray, py: np.ndarray, save_file: Path, names: dict[int, str], ylabel: str) -> Path:
    """Metric-confidence curves (``py``: (nc, 1000) at confidence ``px``) and the smoothed mean with its maximum."""
    py = np.asarray(py)
    labels = [str(names[i]) for i in range(len(py))] if 0 < len(names) < MAX_LEGEND else None
    y = smooth(py.mean(0), 0.1)
    mean_label = f"all classes {y.max():.2f} at {px[y.argmax()]:.3f}"
    img = _line_chart(px, list(py), labels, y, mean_label, "Confidence", ylabel, f"{ylabel}-Confidence Curve")
    return _write(save_file, img)


def plot_curves(
    px: np.ndarray,
    prec_values: np.ndarray,
    ap: np.ndarray,
    f1_curve: np.ndarray,
    p_curve: np.ndarray,
    r_curve: np.ndarray,
    save_dir: Path,
    prefix: str,
    names: dict[int, str],
) -> list[Path]:
    """The four curve files of one kind (``prefix`` ``Box`` or ``Mask``), as ``ap_per_class(plot=True)``."""
    return [
        plot_pr_curve(px, prec_values, ap, save_dir / f"{prefix}PR_curve.png", names),
        plot_mc_curve(px, f1_curve, save_dir / f"{prefix}F1_curve.png", names, "F1"),
        plot_mc_curve(px, p_curve, save_dir / f"{prefix}P_curve.png", names, "Precision"),
        plot_mc_curve(px, r_curve, save_dir / f"{prefix}R_curve.png", names, "Recall"),
    ]


def _blues(v: float) -> tuple[int, int, int]:
    """matplotlib's "Blues" colour map (a few anchor colours, linearly interpolated), BGR."""
    anchors = np.array(
        [[247, 251, 255], [198, 219, 239], [107, 174, 214], [33, 113, 181], [8, 48, 107]], dtype=np.float64
    )  # RGB at 0, 0.25, 0.5, 0.75, 1
    t = float(np.clip(v, 0, 1)) * (len(anchors) - 1)
    i = min(int(t), len(anchors) - 2)
    rgb = anchors[i] + (anchors[i + 1] - anchors[i]) * (t - i)
    return int(rgb[2]), int(rgb[1]), int(rgb[0])


def plot_confusion_matrix(matrix: np.ndarray, names: dict[int, str], save_dir: Path, normalize: bool = True) -> Path:
    """The matrix as a heat map (columns: true class, rows: predicted class, the last of each the background), cells
    below 0.005 left blank, values written below 30 classes, names on the axes below 99; ``confusion_matrix.png`` or
    ``confusion_matrix_normalized.png``."""
    array = matrix / ((matrix.sum(0).reshape(1, -1) + 1e-9) if normalize else 1)
    array = np.where(array < 0.005, np.nan, array)
    labels = [*names.values(), "background"]
    n = len(array)
    W, H = 1800, 1350
    img = np.full((H, W, 3), 255, np.uint8)
    margin_l, margin_t = 300 if n < 99 else 80, 90
    size = min(W - margin_l - 220, H - margin_t - (300 if n < 99 else 80))
    cell = size / max(n, 1)
    vmax = float(np.nanmax(array)) if np.isfinite(array).any() else 1.0
    vmax = vmax or 1.0
    thresh = 0.45 * (1 if normalize else vmax)
    for i in range(n):
        for j in range(n):
            v = array[i, j]
            if np.isnan(v):
                continue
            x0, y0 = int(margin_l + j * cell), int(margin_t + i * cell)
            x1, y1 = int(margin_l + (j + 1) * cell), int(margin_t + (i + 1) * cell)
            cv2.rectangle(img, (x0, y0), (x1 - 1, y1 - 1), _blues(v / vmax), -1)
            if n < 30:
                s = f"{v:.2f}" if normalize else f"{int(v)}"
                _centered(img, s, (x0 + x1) // 2, (y0 + y1) // 2, 0.5, (255, 255, 255) if v > thresh else BLACK)
    end = int(margin_t + n * cell)
    below = end + 40
    if n < 99:  # names on both axes
        fs = max(0.3, min(0.6, cell / 30))
        below = end + 40 + max(cv2.getTextSize(x, FONT, fs, 1)[0][0] for x in labels[:n])
        for k, name in enumerate(labels[:n]):
            c = int(margin_l + (k + 0.5) * cell)
            (tw, th), _ = cv2.getTextSize(name, FONT, fs, 1)
            _text(img, name, (margin_l - tw - 8, int(margin_t + (k + 0.5) * cell + th / 2)), fs)
            _vertical_text(img, name, c, end + 8 + tw // 2, fs)
    _centered(img, "True", int(margin_l + n * cell / 2), min(below, H - 25), 0.8)
    _vertical_text(img, "Predicted", 25, int(margin_t + n * cell / 2), 0.8)
    title = "Confusion Matrix" + " Normalized" * normalize
    _centered(img, title, int(margin_l + n * cell / 2), 40, 0.9)
    bar_x = int(margin_l + n * cell) + 40  # colour bar
    for y in range(int(margin_t), end):
        v = 1 - (y - margin_t) / max(end - margin_t, 1)
        cv2.line(img, (bar_x, y), (bar_x + 30, y), _blues(v), 1)
    _text(img, f"{vmax:.2f}" if normalize else f"{int(vmax)}", (bar_x + 38, int(margin_t) + 10), 0.5)
    _text(img, "0", (bar_x + 38, end), 0.5)
    return _write(save_dir / f"{title.lower().replace(' ', '_')}.png", img)


def plot_images(
    images: Sequence[np.ndarray],
    labels: Sequence[dict[str, np.ndarray]],
    paths: Sequence[str],
    fname: Path,
    names: dict[int, str],
    max_size: int = 1920,
    max_subplots: int = 16,
    conf_thres: float = 0.25,
) -> Path:
    """A mosaic of one batch's letterboxed BGR ``images`` (same size), each with its ``labels``: ``bboxes`` (n, 4) xyxy
    in the image's pixels, ``cls``, ``conf`` (predictions: only those above ``conf_thres`` drawn, label
    ``<name> <conf:.1f>``) and ``masks`` ((n, h', w') 0/1 at any resolution, blended 60% in the class colour)."""
    bs = min(len(images), max_subplots)
    h, w = images[0].shape[:2]
    ns = math.ceil(bs**0.5)
    mosaic = np.full((ns * h, ns * w, 3), 255, np.uint8)
    for i in range(bs):
        x, y = w * (i // ns), h * (i % ns)
        im = images[i][:h, :w]  # a batch shares one letterbox shape; anything else is cut to the first's
        mosaic[y : y + im.shape[0], x : x + im.shape[1]] = im
    scale = max_size / ns / max(h, w)
    if scale < 1:
        h, w = math.ceil(scale * h), math.ceil(scale * w)
        mosaic = cv2.resize(mosaic, (w * ns, h * ns))
    s = min(scale, 1.0)
    fs = max(int((h + w) * ns * 0.01), 18)
    for i in range(bs):
        x, y = w * (i // ns), h * (i % ns)
        lb = labels[i]
        conf = lb.get("conf")
        cls = np.asarray(lb.get("cls", np.zeros(0))).astype(int)
        shown = np.ones(len(cls), bool) if conf is None else np.asarray(conf) > conf_thres
        masks = lb.get("masks")
        if masks is not None and len(masks):
            tile = mosaic[y : y + h, x : x + w]
            for jm in np.flatnonzero(shown).tolist():
                m = masks[jm].astype(np.uint8)
                if m.shape != (h, w):
                    m = cv2.resize(m, (w, h))
                sel = m.astype(bool)
                tile[sel] = (tile[sel] * 0.4 + np.array(colors(int(cls[jm]), True)) * 0.6).astype(np.uint8)
    ann = Annotator(mosaic, line_width=max(round(fs / 10), 1))
    for i in range(bs):
        x, y = w * (i // ns), h * (i % ns)
        cv2.rectangle(ann.im, (x, y), (x + w, y + h), (255, 255, 255), 2)
        _text(ann.im, Path(paths[i]).name[:40], (x + 5, y + 5 + int(fs * 0.6)), fs / 40, (220, 220, 220), 1)
        lb = labels[i]
        conf = lb.get("conf")
        boxes = np.asarray(lb.get("bboxes", np.zeros((0, 4))), dtype=np.float64) * s
        cls = np.asarray(lb.get("cls", np.zeros(0))).astype(int)
        for j, b in enumerate(boxes):
            if conf is not None and not conf[j] > conf_thres:
                continue
            k = int(cls[j])
            label = str(names.get(k, k)) + (f" {conf[j]:.1f}" if conf is not None else "")
            box = [int(b[0] + x), int(b[1] + y), int(b[2] + x), int(b[3] + y)]
            ann.box_label(box, label, color=colors(k, True))
    return _write(fname, ann.result())
