"""PyTorch's bilinear resize (``F.interpolate(..., mode="bilinear")``, ``align_corners=False``) in numpy float32,
the same taps and order: the validators' masks (engine/validator.py) and 8.4.190's mask drawing (utils/plotting.py
``blend_masks``), and the box filter of the metric curves (:func:`smooth`: utils/metrics.py, utils/val_plots.py).

And 8.4.190's box helpers user code imports from ``ultralytics.utils.ops`` (``xyxy2xywh``, ``xywh2xyxy``,
``xywhn2xyxy``, ``xyxy2xywhn``, ``xyxy2ltwh``, ``xywh2ltwh``, ``ltwh2xyxy``, ``ltwh2xywh``, ``clip_boxes``,
``scale_boxes``, ``segments2boxes``, ``make_divisible``) on numpy arrays and
:class:`~numa_ultralytics.utils.tensor.Tensor` (a result's ``boxes.xyxy``): the same values and the same in-place
behaviour (``clip_boxes`` / ``scale_boxes`` change the array given). ``xyxy2xywh`` is also ``Boxes.xywh``'s rule
(engine/results.py); ``scale_boxes`` takes the letterbox's sizes from the one letterbox rule (rust
``letterbox_plan``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "clip_boxes",
    "ltwh2xywh",
    "ltwh2xyxy",
    "make_divisible",
    "scale_boxes",
    "segments2boxes",
    "smooth",
    "upsample_bilinear",
    "xywh2ltwh",
    "xywh2xyxy",
    "xywhn2xyxy",
    "xyxy2ltwh",
    "xyxy2xywh",
    "xyxy2xywhn",
]


def _boxes(x: Any) -> np.ndarray:
    """``x`` as an array of boxes (a list or tuple as float32, as 8.4.190), last axis 4."""
    if isinstance(x, (list, tuple)):
        x = np.asarray(x, dtype=np.float32)  # float so odd integer boxes keep fractional centers
    if x.shape[-1] != 4:
        raise ValueError(f"input shape last dimension expected 4 but input shape is {x.shape}")
    return x


def xyxy2xywh(x: Any) -> Any:
    """``(x1, y1, x2, y2)`` -> ``(x center, y center, w, h)``."""
    x = _boxes(x)
    y = np.empty_like(x)
    y[..., 0] = (x[..., 0] + x[..., 2]) / 2
    y[..., 1] = (x[..., 1] + x[..., 3]) / 2
    y[..., 2] = x[..., 2] - x[..., 0]
    y[..., 3] = x[..., 3] - x[..., 1]
    return y


def xywh2xyxy(x: Any) -> Any:
    """``(x center, y center, w, h)`` -> ``(x1, y1, x2, y2)``."""
    x = _boxes(x)
    y = np.empty_like(x)
    wh = x[..., 2:] / 2
    y[..., :2] = x[..., :2] - wh
    y[..., 2:] = x[..., :2] + wh
    return y


def xywhn2xyxy(x: Any, w: int = 640, h: int = 640, padw: int = 0, padh: int = 0) -> Any:
    """Normalised ``(x center, y center, w, h)`` -> pixel ``(x1, y1, x2, y2)`` (plus a padding)."""
    x = _boxes(x)
    y = np.empty_like(x)
    half_w, half_h = x[..., 2] / 2, x[..., 3] / 2
    y[..., 0] = w * (x[..., 0] - half_w) + padw
    y[..., 1] = h * (x[..., 1] - half_h) + padh
    y[..., 2] = w * (x[..., 0] + half_w) + padw
    y[..., 3] = h * (x[..., 1] + half_h) + padh
    return y


def xyxy2xywhn(x: Any, w: int = 640, h: int = 640, clip: bool = False, eps: float = 0.0) -> Any:
    """Pixel ``(x1, y1, x2, y2)`` -> normalised ``(x center, y center, w, h)`` (``clip``: first clipped, in place)."""
    if clip:
        x = clip_boxes(x, (h - eps, w - eps))
    x = _boxes(x)
    y = np.empty_like(x)
    y[..., 0] = ((x[..., 0] + x[..., 2]) / 2) / w
    y[..., 1] = ((x[..., 1] + x[..., 3]) / 2) / h
    y[..., 2] = (x[..., 2] - x[..., 0]) / w
    y[..., 3] = (x[..., 3] - x[..., 1]) / h
    return y


def xywh2ltwh(x: Any) -> Any:
    """``(x center, y center, w, h)`` -> ``(left, top, w, h)``."""
    y = np.copy(x, subok=True)
    y[..., 0] = x[..., 0] - x[..., 2] / 2
    y[..., 1] = x[..., 1] - x[..., 3] / 2
    return y


def xyxy2ltwh(x: Any) -> Any:
    """``(x1, y1, x2, y2)`` -> ``(left, top, w, h)``."""
    y = np.copy(x, subok=True)
    y[..., 2] = x[..., 2] - x[..., 0]
    y[..., 3] = x[..., 3] - x[..., 1]
    return y


def ltwh2xywh(x: Any) -> Any:
    """``(left, top, w, h)`` -> ``(x center, y center, w, h)``."""
    y = np.copy(x, subok=True)
    y[..., 0] = x[..., 0] + x[..., 2] / 2
    y[..., 1] = x[..., 1] + x[..., 3] / 2
    return y


def ltwh2xyxy(x: Any) -> Any:
    """``(left, top, w, h)`` -> ``(x1, y1, x2, y2)``."""
    y = np.copy(x, subok=True)
    y[..., 2] = x[..., 2] + x[..., 0]
    y[..., 3] = x[..., 3] + x[..., 1]
    return y


def clip_boxes(boxes: Any, shape: Any) -> Any:
    """Clip ``(x1, y1, x2, y2)`` boxes to an image of ``shape`` (``(h, w)`` or ``(h, w, c)``), in place; returns
    them."""
    h, w = shape[:2]
    boxes[..., [0, 2]] = boxes[..., [0, 2]].clip(0, w)
    boxes[..., [1, 3]] = boxes[..., [1, 3]].clip(0, h)
    return boxes


def scale_boxes(
    img1_shape: Any,
    boxes: Any,
    img0_shape: Any,
    ratio_pad: Any = None,
    padding: bool = True,
    xywh: bool = False,
) -> Any:
    """Boxes on a letterboxed ``img1_shape`` input -> on the ``img0_shape`` original, in place (clipped unless
    ``xywh``); ``ratio_pad`` ``((gain_y, gain_x), (pad_x, pad_y))`` as 8.4.190 gives it, else the letterbox's own
    sizes (rust ``letterbox_plan``)."""
    if ratio_pad is None:
        from numa_ultralytics import _core

        h0, w0 = int(img0_shape[0]), int(img0_shape[1])
        (new_h, new_w), (top, _, left, _) = _core.letterbox_plan((h0, w0), (int(img1_shape[0]), int(img1_shape[1])),
                                                                 False)  # fmt: skip
        gain_y, gain_x = new_h / h0, new_w / w0
        pad_x, pad_y = left, top
    else:
        gain_y, gain_x = ratio_pad[0]
        pad_x, pad_y = ratio_pad[1]
    if padding:
        boxes[..., 0] -= pad_x
        boxes[..., 1] -= pad_y
        if not xywh:
            boxes[..., 2] -= pad_x
            boxes[..., 3] -= pad_y
    boxes[..., 0] /= gain_x
    boxes[..., 1] /= gain_y
    boxes[..., 2] /= gain_x
    boxes[..., 3] /= gain_y
    return boxes if xywh else clip_boxes(boxes, img0_shape)


def segments2boxes(segments: Any) -> np.ndarray:
    """Polygons (``(n, 2)`` each) -> their bounding boxes, ``(x center, y center, w, h)``."""
    boxes = [[s[:, 0].min(), s[:, 1].min(), s[:, 0].max(), s[:, 1].max()] for s in segments]
    return xyxy2xywh(np.array(boxes).reshape(-1, 4))


def make_divisible(x: float, divisor: Any) -> int:
    """The smallest multiple of ``divisor`` (its largest value, for an array) at or above ``x``."""
    if isinstance(divisor, np.ndarray):
        divisor = int(divisor.max())
    return math.ceil(x / divisor) * divisor


def _taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """PyTorch ``upsample_bilinear2d`` (``align_corners=False``, output size given) along one axis, float32: source
    ``max(scale * (d + 0.5) - 0.5, 0)`` with ``scale = n_in / n_out``, taps ``i0``, ``i1 = min(i0 + 1, n_in - 1)``,
    weights ``1 - l1``, ``l1``."""
    scale = np.float32(n_in) / np.float32(n_out)
    src = np.maximum(scale * (np.arange(n_out, dtype=np.float32) + np.float32(0.5)) - np.float32(0.5), np.float32(0))
    i0 = src.astype(np.int64)
    l1 = src - i0.astype(np.float32)
    return i0, np.minimum(i0 + 1, n_in - 1), np.float32(1) - l1, l1


def upsample_bilinear(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``F.interpolate(x[None], size, mode="bilinear")[0]`` of ``(n, h, w)`` float32, in the kernel's order:
    ``(v00 w0 + v01 w1) h0 + (v10 w0 + v11 w1) h1``."""
    x = np.asarray(x, dtype=np.float32)
    hy0, hy1, h0, h1 = _taps(x.shape[1], size[0])
    wx0, wx1, w0, w1 = _taps(x.shape[2], size[1])
    r0, r1 = x[:, hy0], x[:, hy1]
    t0 = r0[:, :, wx0] * w0 + r0[:, :, wx1] * w1
    t1 = r1[:, :, wx0] * w0 + r1[:, :, wx1] * w1
    return t0 * h0[:, None] + t1 * h1[:, None]


def smooth(y: np.ndarray, f: float = 0.05) -> np.ndarray:
    """Box filter of width ``f`` of the length (odd), edges padded with the end values."""
    nf = round(len(y) * f * 2) // 2 + 1
    p = np.ones(nf // 2)
    yp = np.concatenate((p * y[0], y, p * y[-1]), 0)
    return np.convolve(yp, np.ones(nf) / nf, mode="valid")
