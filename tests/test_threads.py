"""One model shared between threads (README "Threads"): ``predict`` from many threads at once gives each thread exactly
what one thread gives alone (nn/iobinding.py keeps its bound buffers per thread; nn/precision.py's OpenVINO session one
infer request per thread), and ``track`` keeps its tracker state per thread (engine/model.py), so two threads tracking
two streams on one model get the ids each gets alone."""

from __future__ import annotations

import logging

import cv2
import numpy as np
import pytest

from numa_ultralytics import YOLO

from .conftest import MEDIA, MODELS, need
from .helpers import in_threads, result_key, video_frames

IMGSZ = 320


@pytest.fixture(scope="module")
def frames() -> list[np.ndarray]:
    """60 frames of the people video (640x360) and bus.jpg / zidane.jpg: three input shapes at imgsz 320."""
    ims = video_frames(need(MEDIA / "videos" / "seeed_people-walking.mp4"), 60, step=3)
    assert len(ims) == 60
    ims += [cv2.imread(str(need(MEDIA / "images" / n))) for n in ("bus.jpg", "zidane.jpg")]
    return ims


def _thread_frames(frames: list[np.ndarray], i: int, n: int) -> list[np.ndarray]:
    """Thread ``i``'s ``n`` frames: its own walk through the video, with the two photos in between (shape changes)."""
    video, photos = frames[:-2], frames[-2:]
    return [photos[(k // 5) % 2] if k % 5 == 4 else video[(7 * i + k) % len(video)] for k in range(n)]


@pytest.mark.parametrize("model_file", ["yolo11n-seg-dynamic.onnx", "yolo11n-seg.onnx"])
def test_predict_shared_between_threads_equals_serial(frames: list[np.ndarray], model_file: str) -> None:
    """8 threads x 50 frames on one shared model (IO binding on, the default): every result equals the serial one."""
    n_threads, n_frames = 8, 50 if model_file.endswith("dynamic.onnx") else 15  # the static graph runs at 640
    model = YOLO(need(MODELS / model_file))
    assert model.backend.io_binding
    per_thread = [_thread_frames(frames, i, n_frames) for i in range(n_threads)]
    serial = [[result_key(model.predict(f, imgsz=IMGSZ, verbose=False)[0]) for f in fs] for fs in per_thread]
    got = in_threads(
        n_threads, lambda i: [result_key(model.predict(f, imgsz=IMGSZ, verbose=False)[0]) for f in per_thread[i]]
    )
    wrong = [sum(a != b for a, b in zip(s, g)) for s, g in zip(serial, got)]
    assert wrong == [0] * n_threads, f"wrong frames per thread: {wrong}"


def test_openvino_shared_between_threads_equals_serial(frames: list[np.ndarray]) -> None:
    """OpenVINO's session (nn/precision.py) from 4 threads at once: each thread's results equal the serial ones."""
    pytest.importorskip("openvino", reason="the [openvino] extra is not installed")
    model = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx"))
    args = {"imgsz": IMGSZ, "device": "cpu", "runtime": "openvino", "verbose": False}
    per_thread = [_thread_frames(frames, i, 10) for i in range(4)]
    serial = [[result_key(model.predict(f, **args)[0]) for f in fs] for fs in per_thread]
    got = in_threads(4, lambda i: [result_key(model.predict(f, **args)[0]) for f in per_thread[i]])
    assert [sum(a != b for a, b in zip(s, g)) for s, g in zip(serial, got)] == [0] * 4


def test_track_per_thread_equals_serial(frames: list[np.ndarray], caplog: pytest.LogCaptureFixture) -> None:
    """Two threads, each ``track(frame, persist=True)`` over its own stream on one shared model: each thread's ids and
    boxes equal those of a model of its own (the tracker state is per thread), and the second thread is told once."""
    people = frames[:-2]
    streams = [people[:30], people[:29:-1]]  # the first half, and the second half backwards
    args = {"imgsz": IMGSZ, "persist": True, "verbose": False}
    serial = []
    for fs in streams:
        own = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx"))
        serial.append([result_key(own.track(f, **args)[0]) for f in fs])
    assert all(any(k[2] for k in s) for s in serial)  # both streams have tracks
    model = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx"))
    with caplog.at_level(logging.WARNING, logger="numa_ultralytics"):
        got = in_threads(2, lambda i: [result_key(model.track(f, **args)[0]) for f in streams[i]])
    wrong = [sum(a != b for a, b in zip(s, g)) for s, g in zip(serial, got)]
    assert wrong == [0, 0], f"wrong frames per thread: {wrong}"
    notes = [r.getMessage() for r in caplog.records if "tracker state is per thread" in r.getMessage()]
    assert len(notes) == 1, notes
    # the calling thread has its own (none yet): persist=True there starts afresh, the workers' state is untouched
    assert model.trackers is None
    model.track(streams[0][0], **args)
    assert model.trackers is not None and len(model.trackers) == 1
