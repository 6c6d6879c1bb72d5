"""Preprocessing a frame for the model, as Ultralytics' ``data/augment.py`` ``LetterBox``: the inference size rounded
to the stride (:func:`check_imgsz`), the letterbox (:func:`letterbox`) and the model input blob (:func:`to_blob`).
The predictor, the validator and int8 calibration (nn/quantize.py) use them."""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np

from numa_ultralytics import _core
from numa_ultralytics.utils.args import check_imgsz as check_imgsz_arg

__all__ = ["check_imgsz", "letterbox", "to_blob"]


def check_imgsz(imgsz: Any, stride: int = 32) -> tuple[int, int]:
    """``imgsz`` (int or [h, w], checked by utils/args.py ``check_imgsz``) rounded up to multiples of ``stride``, as
    (h, w)."""
    v = check_imgsz_arg("imgsz", imgsz)
    hw = [v, v] if isinstance(v, int) else v * (2 if len(v) == 1 else 1)
    return tuple(max(math.ceil(x / stride) * stride, stride) for x in hw)  # type: ignore[return-value]


def letterbox(im: np.ndarray, new_shape: tuple[int, int], auto: bool, stride: int = 32) -> np.ndarray:
    """Ultralytics ``LetterBox``: resize keeping aspect (INTER_LINEAR), pad with 114 (centred).

    The sizes and pads (Ultralytics' rounding rules) come from ``_core.letterbox_plan``, the rule the
    post-processing's ``scale_boxes`` uses too.
    """
    h0, w0 = im.shape[:2]
    (new_h, new_w), (top, bottom, left, right) = _core.letterbox_plan(
        (h0, w0), (int(new_shape[0]), int(new_shape[1])), bool(auto), int(stride)
    )
    if (w0, h0) != (new_w, new_h):
        im = cv2.resize(im, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    if top or bottom or left or right:
        im = cv2.copyMakeBorder(im, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(114, 114, 114))
    return im


def to_blob(img: np.ndarray, dtype: Any = np.float32) -> np.ndarray:
    """HWC BGR uint8 -> 1x3xHxW RGB float in [0, 1] (divided by 255, like the original)."""
    blob = _core.to_blob(img)
    return blob if dtype == np.float32 else blob.astype(dtype)
