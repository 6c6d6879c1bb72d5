"""The joints of the CPU precision paths: each path alone is checked elsewhere (tests/test_precision.py,
tests/test_int8_openvino.py, tests/test_threads.py, tests/test_track_folder.py); here they meet.

``half=True`` on the CPU (nn/precision.py ``plan``) runs OpenVINO bf16 where the CPU has bf16 units, else fp32 (on
onnxruntime); the tests run whichever this CPU gives and check the joint on it. OpenVINO compiles a dynamic model
per input shape (``OpenVINOSession``; a small cache), so a frame's result must not depend on which frames came
before it (in this thread or another, in this source or an earlier one): every result here equals the same call
made on a fresh model, exactly (boxes, confidences, classes, masks, ids).

- one ``half=True`` model shared by threads feeding five input shapes (more than the cache keeps) == serial;
- the OpenVINO int8 model (``format="openvino", int8=True``) shared by threads == serial;
- a folder of videos of different sizes tracked with ``half=True`` == each video tracked alone;
- a ``stream=True`` generator abandoned after a few frames, then the model used on another source == a fresh model;
- the ONNX QDQ int8 model shared by threads == serial.

Measured before the fix (AMD EPYC Zen 4, AVX512-BF16, OpenVINO 2026.4): OpenVINO's bf16 model compiled with a
dynamic input and the one compiled for a concrete shape give different numbers for the same input (up to 5 px on
raw box outputs); a shape's first frame ran on the dynamic one, later ones on its own, so the threads, the folder's
third video and the reused model gave other boxes than serial / alone / fresh (f32 and int8 models are bit-equal
in both forms)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import yaml

from numa_ultralytics import YOLO
from numa_ultralytics.nn import precision

from .conftest import IN_CI, MEDIA, MODELS, need
from .helpers import in_threads, result_key, video_frames

IMGSZ = 320
HALF = {"imgsz": IMGSZ, "device": "cpu", "half": True, "verbose": False}


def _half_path() -> tuple[str, str]:
    """(runtime label, precision) that ``half=True`` runs on this CPU (nn/precision.py ``plan``)."""
    if precision.openvino_available() and precision.cpu_has_bf16():
        return "openvino CPU", "bf16"
    return "onnxruntime CPU", "fp32"


def _mot17_05() -> list[np.ndarray]:
    """MOT17-05's frames (640x480, 4:3)."""
    files = sorted(need(MEDIA / "mot17-mini" / "train" / "MOT17-05-FRCNN" / "img1").glob("*.jpg"))
    return [cv2.imread(str(f)) for f in files]


@pytest.fixture(scope="module")
def shapes() -> list[list[np.ndarray]]:
    """Real frames in five letterbox shapes at imgsz 320 (one more than ``STATIC_SHAPES`` keeps): the people video
    (640x360 -> 192x320), MOT17-05 (640x480 -> 256x320), bus.jpg (810x1080 -> 320x256), square crops of the people
    video (-> 320x320) and tall crops of MOT17-05 (480x240 -> 320x160)."""
    people = video_frames(need(MEDIA / "videos" / "seeed_people-walking.mp4"), 8, step=20)
    mot = _mot17_05()
    bus = cv2.imread(str(need(MEDIA / "images" / "bus.jpg")))
    out = [people, mot, [bus], [np.ascontiguousarray(f[:, 140:500]) for f in people], [f[:, 200:440] for f in mot]]
    assert [len(s) for s in out] == [8, 6, 1, 8, 6]
    assert len(out) > precision.STATIC_SHAPES
    return out


def _thread_frames(shapes: list[list[np.ndarray]], i: int, n: int) -> list[np.ndarray]:
    """Thread ``i``'s ``n`` frames: all threads start on the people video's shape (they race to compile it), then
    walk the five shapes, each thread from another one (every shape comes back after the cache dropped it)."""
    s = len(shapes)
    picks = [0] + [(i + k) % s for k in range(1, n)]
    return [shapes[j][(3 * i + k) % len(shapes[j])] for k, j in enumerate(picks)]


def _serial_equals_threads(path: Path, n_threads: int, n_frames: int, frames: Any, args: dict[str, Any]) -> None:
    """``n_threads`` threads on one fresh model give each what the same calls give one after another on another fresh
    model."""
    per_thread = [_thread_frames(frames, i, n_frames) for i in range(n_threads)]
    alone = YOLO(path)
    serial = [[result_key(alone.predict(f, **args)[0]) for f in fs] for fs in per_thread]
    assert any(k[0] for s in serial for k in s)  # detections to compare
    shared = YOLO(path)
    got = in_threads(n_threads, lambda i: [result_key(shared.predict(f, **args)[0]) for f in per_thread[i]])
    wrong = [sum(a != b for a, b in zip(s, g)) for s, g in zip(serial, got)]
    assert wrong == [0] * n_threads, f"frames differing from serial, per thread: {wrong}"


def test_half_shared_by_threads_equals_serial(shapes: list[list[np.ndarray]]) -> None:
    """``half=True`` on one model from 3 threads feeding 5 input shapes: each thread gets what serial calls get."""
    model = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx"))
    model.predict(shapes[0][0], **HALF)
    assert (model.backend.runtime, model.backend.precision) == _half_path()
    _serial_equals_threads(need(MODELS / "yolo11n-seg-dynamic.onnx"), 3, 6, shapes, HALF)


@pytest.fixture(scope="module")
def int8_ir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """yolo11n-seg.pt exported as a dynamic int8 OpenVINO model at 320 (NNCF, calibrated on coco8-seg train)."""
    if not IN_CI:  # in CI the [openvino] extra (openvino, nncf) is installed: a missing one fails there
        pytest.importorskip("openvino", reason="the [openvino] extra is not installed")
        pytest.importorskip("nncf", reason="the [openvino] extra (nncf) is not installed")
    d = tmp_path_factory.mktemp("ov_int8")
    pt = d / "yolo11n-seg.pt"
    pt.write_bytes(need(MODELS / "yolo11n-seg.pt").read_bytes())
    names = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx")).names
    data = d / "train.yaml"
    coco = need(MEDIA / "coco8-seg")
    data.write_text(yaml.safe_dump({"path": str(coco), "train": "images/train", "val": "images/train", "names": names}))
    return Path(YOLO(pt).export(format="openvino", int8=True, dynamic=True, data=str(data), imgsz=IMGSZ))


def test_int8_openvino_shared_by_threads_equals_serial(int8_ir: Path, shapes: list[list[np.ndarray]]) -> None:
    """The OpenVINO int8 model from 3 threads feeding 5 input shapes: each thread gets what serial calls get."""
    m = YOLO(int8_ir)
    assert (m.backend.runtime, m.backend.precision) == ("openvino CPU", "int8") and m.backend.dynamic
    _serial_equals_threads(int8_ir, 3, 6, shapes, {"imgsz": IMGSZ, "verbose": False})


def test_int8_onnx_shared_by_threads_equals_serial(shapes: list[list[np.ndarray]]) -> None:
    """The ONNX QDQ int8 export (static 640; onnxruntime, also with ``half=True``) from 3 threads == serial."""
    path = need(MODELS / "yolo11n-seg-int8.onnx")
    m = YOLO(path)
    m.predict(shapes[0][0], imgsz=640, half=True, device="cpu", verbose=False)
    assert (m.backend.runtime, m.backend.precision) == ("onnxruntime CPU", "int8")
    _serial_equals_threads(path, 3, 3, shapes, {**HALF, "imgsz": 640})


def _write_clip(path: Path, frames: list[np.ndarray]) -> Path:
    h, w = frames[0].shape[:2]
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30, (w, h))
    assert out.isOpened(), path
    for f in frames:
        out.write(f)
    out.release()
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of three videos of different sizes: ``a.mp4`` the people video's first 12 frames (640x360), ``b.mp4``
    MOT17-05 (640x480: another letterbox), ``c.mp4`` mmtracking_demo (1920x1080, 8 frames: a's letterbox again)."""
    d = tmp_path_factory.mktemp("clips")
    _write_clip(d / "a.mp4", video_frames(need(MEDIA / "videos" / "seeed_people-walking.mp4"), 12))
    _write_clip(d / "b.mp4", _mot17_05())
    (d / "c.mp4").symlink_to(need(MEDIA / "videos" / "mmtracking_demo.mp4"))
    return d


def _track_keys(results: Iterator[Any]) -> list[tuple[str, tuple[bytes, bytes, bytes]]]:
    return [(Path(r.path).name, result_key(r)) for r in results]


def test_half_track_folder_equals_each_video_alone(clips: Path) -> None:
    """Tracking the folder with ``half=True``: each video's ids, boxes and masks equal that video tracked alone on a
    fresh model (the tracker restarts per video; the shape cache carries over)."""
    model = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx"))
    got = _track_keys(model.track(source=str(clips), stream=True, **HALF))
    assert [p for p, _ in got] == ["a.mp4"] * 12 + ["b.mp4"] * 6 + ["c.mp4"] * 8
    for name in ("a.mp4", "b.mp4", "c.mp4"):
        alone = _track_keys(YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx")).track(source=str(clips / name), **HALF))
        mine = [k for p, k in got if p == name]
        assert any(k[2] for _, k in alone), name  # tracks to compare
        assert [a == b for (_, a), b in zip(alone, mine)] == [True] * len(mine), name


def test_half_abandoned_stream_then_other_source_equals_fresh(clips: Path) -> None:
    """A ``stream=True`` track generator left after 3 frames (still open), then the model tracks and predicts other
    sources with ``half=True``: the results equal a fresh model's; the generator is closed afterwards."""
    model = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx"))
    gen = model.track(source=str(clips / "a.mp4"), stream=True, **HALF)
    first = [next(gen) for _ in range(3)]
    assert all(len(r.boxes) for r in first)
    got = _track_keys(model.track(source=str(clips / "c.mp4"), **HALF))
    got_pred = [result_key(r) for r in model.predict(source=str(clips / "a.mp4"), **HALF)]
    gen.close()
    fresh = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx"))
    want = _track_keys(fresh.track(source=str(clips / "c.mp4"), **HALF))
    assert any(k[2] for _, k in want)
    assert [a == b for a, b in zip(want, got)] == [True] * len(want)
    fresh = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx"))
    want_pred = [result_key(r) for r in fresh.predict(source=str(clips / "a.mp4"), **HALF)]
    assert [a == b for a, b in zip(want_pred, got_pred)] == [True] * 12
