"""MOTS lines of a tracked frame (``save_txt=True txt_format="mots"``, ``numa-yolo trackeval ... masks=True``).

One line per tracked object: ``frame id class h w rle`` (space-separated, as MOTS Challenge / KITTI MOTS and TrackEval
read them): ``class`` is MOTS' (2 pedestrian for COCO ``person``, 1 car for COCO ``car``, else ``100 + class index``,
which MOTS scoring ignores), ``h w`` the original image size, ``rle`` pycocotools' compressed counts
(``_core.rle_encode``) of the mask at the original size (Ultralytics' ``scale_masks`` of the input-size mask, or the
mask itself with ``retina_masks``). Masks never overlap: each pixel goes to the highest-confidence object (stable on
ties). Objects without a track id, or whose mask is empty after that, are left out.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numa_ultralytics import _core
from numa_ultralytics.engine.validator import scale_masks_to_original

__all__ = ["MOTS_CLASSES", "mots_lines"]

MOTS_CLASSES = {0: 2, 2: 1}  # COCO person -> MOTS pedestrian, COCO car -> MOTS car


def _original_masks(r: Any) -> np.ndarray:
    data = np.asarray(r.masks.data, dtype=np.uint8)
    h0, w0 = r.orig_shape
    if data.shape[1:] == (h0, w0):
        return data
    ih, iw = data.shape[1:]
    gain = min(ih / h0, iw / w0)
    pad = ((iw - w0 * gain) / 2, (ih - h0 * gain) / 2)
    return scale_masks_to_original(data, (h0, w0), ((gain, gain), pad))


def mots_lines(frame: int, r: Any) -> list[str]:
    """The MOTS lines of ``Results`` ``r`` as frame ``frame`` (1-based)."""
    boxes = r.boxes
    if r.masks is None or boxes is None or len(boxes) == 0 or not boxes.is_track:
        return []
    ids = np.asarray(boxes.id).astype(int)
    conf = np.asarray(boxes.conf, dtype=np.float64)
    cls = np.asarray(boxes.cls).astype(int)
    masks = _original_masks(r)
    h, w = masks.shape[1:]
    taken = np.zeros((h, w), dtype=bool)
    lines = []
    for i in np.argsort(-conf, kind="stable"):
        m = (masks[i] != 0) & ~taken
        if not m.any():
            continue
        taken |= m
        c = MOTS_CLASSES.get(int(cls[i]), 100 + int(cls[i]))
        lines.append((i, f"{frame} {ids[i]} {c} {h} {w} {_core.rle_encode(m.astype(np.uint8))}\n"))
    return [s for _, s in sorted(lines)]
