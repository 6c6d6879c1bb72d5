"""PyTorch's bilinear resize (``F.interpolate(..., mode="bilinear")``, ``align_corners=False``) in numpy float32,
the same taps and order: the validators' masks (engine/validator.py) and 8.4.190's mask drawing (utils/plotting.py
``blend_masks``), and the box filter of the metric curves (:func:`smooth`: utils/metrics.py, utils/val_plots.py)."""

from __future__ import annotations

import numpy as np


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
