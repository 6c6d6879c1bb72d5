"""Plain helpers the tests share (the shared fixtures are in conftest.py): a result's exact key, work run in threads
started together, frames read from a video, a log capture, the coco8-seg dataset file, the Ultralytics-style letterbox
and an onnxruntime CPU session for graph checks, and the agreement totals of two prediction runs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnx
import onnxruntime as ort
import yaml

from numa_ultralytics.utils.metrics import agreement

from .conftest import MEDIA, need


def result_key(r: Any) -> tuple[bytes, bytes, bytes]:
    """A frame's result, exactly: boxes (with ids when tracking) and mask pixels."""
    masks = b"" if r.masks is None else np.ascontiguousarray(r.masks.data).tobytes()
    ids = b"" if r.boxes.id is None else np.asarray(r.boxes.id).tobytes()
    return np.asarray(r.boxes.data).tobytes(), masks, ids


def in_threads(n: int, work: Callable[[int], list[Any]]) -> list[list[Any]]:
    """``work(i)`` in ``n`` threads started together (a barrier); every thread's return value (an exception is
    re-raised)."""
    barrier = threading.Barrier(n)
    out: list[Any] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            out[i] = work(i)
        except BaseException as e:  # noqa: BLE001  (re-raised in the test's thread)
            out[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for o in out:
        if isinstance(o, BaseException):
            raise o
    return out


def video_frames(path: Path, n: int, step: int = 1) -> list[np.ndarray]:
    """Every ``step``-th frame of the video ``path`` from frame 0 on, until ``n`` are read (fewer if it ends first)."""
    cap = cv2.VideoCapture(str(path))
    out: list[np.ndarray] = []
    i = 0
    while len(out) < n:
        ok, im = cap.read()
        if not ok:
            break
        if i % step == 0:
            out.append(im)
        i += 1
    cap.release()
    return out


class LogCapture(logging.Handler):
    """The messages of the records it is handed, in ``lines``."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextmanager
def capture_log(name: str = "numa_ultralytics") -> Iterator[list[str]]:
    """The messages logged to ``name`` (the package's logger) inside the block."""
    cap = LogCapture()
    logger = logging.getLogger(name)
    logger.addHandler(cap)
    try:
        yield cap.lines
    finally:
        logger.removeHandler(cap)


def coco8_yaml(tmp_path: Path, names: dict[int, str], val: str = "images/val") -> Path:
    """A dataset YAML for the shared coco8-seg with the model's class ``names``; ``val="images/train"`` makes int8
    calibration (which reads the val split) use the train images, so coco8-seg's val images stay held out."""
    root = need(MEDIA / "coco8-seg")
    p = tmp_path / ("coco8-seg.yaml" if val == "images/val" else "coco8-seg-train.yaml")
    p.write_text(yaml.safe_dump({"path": str(root), "train": "images/train", "val": val, "names": names}))
    return p


def totals(refs: list, others: list) -> tuple[int, int, int, list[float]]:  # type: ignore[type-arg]
    """:func:`agreement` summed over frames: detections of ``refs``, of ``others``, matched, and the mask IoUs."""
    n_ref = n_other = matched = 0
    mious: list[float] = []
    for a, b in zip(refs, others):
        x, y, m, mi = agreement(a, b)
        n_ref, n_other, matched, mious = n_ref + x, n_other + y, matched + m, mious + mi
    return n_ref, n_other, matched, mious


def letterbox(img: np.ndarray, h: int, w: int) -> np.ndarray:
    """Ultralytics-style letterbox (centered, gray 114) to float32 NCHW RGB / 255."""
    ih, iw = img.shape[:2]
    r = min(h / ih, w / iw)
    nh, nw = round(ih * r), round(iw * r)
    im = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
    out = np.full((h, w, 3), 114, np.uint8)
    top, left = (h - nh) // 2, (w - nw) // 2
    out[top : top + nh, left : left + nw] = im
    return np.ascontiguousarray(out[:, :, ::-1].transpose(2, 0, 1)[None], dtype=np.float32) / 255.0


def session(model: onnx.ModelProto | str | Path) -> ort.InferenceSession:
    """An onnxruntime CPU session of a model (in memory or a file), warnings off."""
    so = ort.SessionOptions()
    so.log_severity_level = 3
    src = model.SerializeToString() if isinstance(model, onnx.ModelProto) else str(model)
    return ort.InferenceSession(src, so, providers=["CPUExecutionProvider"])


def meta(path: str | Path) -> dict[str, str]:
    """The metadata of an ONNX file."""
    return {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}


def dims(values) -> list[list]:
    """Each value's shape: fixed sizes as ints, dynamic ones by name."""
    return [[d.dim_value or d.dim_param for d in v.type.tensor_type.shape.dim] for v in values]
