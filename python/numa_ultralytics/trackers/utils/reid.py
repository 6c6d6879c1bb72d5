"""ReID embeddings from an embedding model (a tracker YAML's ``model: path/to/embedder.onnx``), as the original's
``utils/reid.py`` ``ReID`` AutoBackend path: crop each box (``save_one_box``: gain 1.02, pad 10 px), RGB, scale to
[0, 1], resize bilinearly to the model's input size, batch, run. ``model: auto`` does not come here: the predictor pools
the detector's own features (``_core.pool_features``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

# save_one_box's defaults, as the original crops for ReID.
CROP_GAIN = 1.02
CROP_PAD = 10
# Crop size when the model's input size is dynamic.
DEFAULT_IMGSZ = 224
#: The longest embedding an ReID model may output (OSNet 512, Ultralytics' classifier embeddings 1280 at most): a
#: longer or non-(N, D) output is not an embedding model (a detector's (1, 116, 8400) would be 974,400 "features").
MAX_EMBEDDING_DIM = 4096


def check_embedding_shape(model: Any, shape: Any, batch: int | None = None) -> None:
    """The one check of an ReID model's output ``shape``: ``(N, D)``, ``1 <= D <= MAX_EMBEDDING_DIM`` (and ``N ==
    batch`` for an output of a run). Dimensions still symbolic (a dynamic graph's) are checked on the first run.

    Raises:
        ValueError: naming the file and the output shape.
    """
    if shape is None:  # rank unknown before a run
        return
    dims = list(shape)
    d = dims[1] if len(dims) == 2 else None
    bad = (
        len(dims) != 2
        or (isinstance(d, int) and not 1 <= d <= MAX_EMBEDDING_DIM)
        or (batch is not None and isinstance(dims[0], int) and dims[0] != batch)
    )
    if bad:
        raise ValueError(
            f"ReID model {str(model)!r}: its output has shape {tuple(dims)}, not an embedding (N, D) with D <= "
            f"{MAX_EMBEDDING_DIM}" + (f" for {batch} crops" if batch is not None else "") + "; 'model:' takes an "
            "embedding model (e.g. OSNet exported to ONNX), not a detector (or 'auto': the detector's own features)"
        )


def crop_boxes(img: np.ndarray, xyxy: np.ndarray) -> list[np.ndarray]:
    """``save_one_box(xyxy, img, gain=1.02, pad=10, BGR=True)`` for each box: BGR crops (possibly empty)."""
    h, w = img.shape[:2]
    out = []
    for x1, y1, x2, y2 in np.asarray(xyxy, dtype=np.float32).reshape(-1, 4):
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        bw, bh = (x2 - x1) * CROP_GAIN + CROP_PAD, (y2 - y1) * CROP_GAIN + CROP_PAD
        # xywh2xyxy then .long() (truncation toward zero), then clip to the image.
        a = [int(v) for v in (cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2)]
        a = [min(max(a[0], 0), w), min(max(a[1], 0), h), min(max(a[2], 0), w), min(max(a[3], 0), h)]
        out.append(img[a[1] : a[3], a[0] : a[2]])
    return out


class ReID:
    """An ONNX embedding model run on box crops.

    Args:
        model: path to an ``.onnx`` embedding model (input ``(B, 3, H, W)`` RGB in [0, 1], output ``(B, d)``).
        device: as ``predict(device=...)``.

    Raises:
        FileNotFoundError: the model file does not exist.
        ValueError: not an ONNX file, its input is not an image batch, or its output is not an (N, D) embedding
            (:func:`check_embedding_shape`).
    """

    def __init__(self, model: str, device: Any = None) -> None:
        from numa_ultralytics.nn.autobackend import open_session

        p = Path(model)
        if p.suffix.lower() != ".onnx":
            raise ValueError(
                f"ReID model {model!r}: only ONNX embedding models (.onnx) or 'auto' (the detector's own features) "
                "are supported"
            )
        if not p.is_file():
            raise FileNotFoundError(f"ReID model {model!r} not found")
        self.session, _, self.device = open_session(p, device=device)
        inp = self.session.get_inputs()[0]
        shape = inp.shape
        if len(shape) != 4:
            raise ValueError(f"ReID model {model!r}: expected an image batch input (B, 3, H, W), got shape {shape}")
        check_embedding_shape(model, self.session.get_outputs()[0].shape)
        self.model = str(model)
        self.input_name = inp.name
        self.batch_size = shape[0] if isinstance(shape[0], int) and shape[0] > 0 else None
        hh = shape[2] if isinstance(shape[2], int) and shape[2] > 0 else DEFAULT_IMGSZ
        ww = shape[3] if isinstance(shape[3], int) and shape[3] > 0 else hh
        self.imgsz = (int(hh), int(ww))

    def __call__(self, img: np.ndarray, xyxy: np.ndarray) -> np.ndarray:
        """float32 ``(n, d)`` embeddings of the boxes ``xyxy`` in ``img`` (BGR); a zero row where a crop is empty
        (a zero feature counts as no appearance)."""
        crops = crop_boxes(img, xyxy)
        valid = [i for i, c in enumerate(crops) if c.size]
        if not valid:
            return np.zeros((len(crops), 0), np.float32)
        h, w = self.imgsz
        batch = np.empty((len(valid), 3, h, w), np.float32)
        for k, i in enumerate(valid):
            rgb = np.ascontiguousarray(crops[i][..., ::-1]).astype(np.float32) / 255.0
            batch[k] = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_LINEAR).transpose(2, 0, 1)
        bs = self.batch_size
        name = self.input_name
        run = self.session.run
        if bs is None:
            feats = np.asarray(run(None, {name: batch})[0], np.float32)
            check_embedding_shape(self.model, feats.shape, len(valid))
        else:  # fixed batch: chunks of bs, the last padded with its last crop
            parts = []
            for s in range(0, len(valid), bs):
                chunk = batch[s : s + bs]
                if len(chunk) < bs:
                    chunk = np.concatenate([chunk, np.repeat(chunk[-1:], bs - len(chunk), 0)])
                part = np.asarray(run(None, {name: chunk})[0], np.float32)
                check_embedding_shape(self.model, part.shape, bs)
                parts.append(part)
            feats = np.concatenate(parts)[: len(valid)]
        out = np.zeros((len(crops), feats.shape[1]), np.float32)
        out[valid] = feats
        return out


def build_encoder(args: Any) -> tuple[ReID | None, frozenset[str]]:
    """What a tracker config's ReID settings need: ``(encoder, predictor inputs)``. ``with_reid: False`` -> no
    encoder, nothing; ``model: auto`` -> the detector's own features (``{"feats"}`` from the predictor); a path ->
    an ONNX embedding model run on the frame's crops."""
    if not getattr(args, "with_reid", False):
        return None, frozenset()
    model = getattr(args, "model", "auto")
    if model == "auto":
        return None, frozenset({"feats"})
    return ReID(model, device=getattr(args, "device", None)), frozenset()
