"""Bounded inputs, validated once (issue 12): every predict/track argument goes through utils/args.py's checks (the
CLI's rules), the drawing code refuses widths OpenCV would crash on, models whose metadata does not fit their outputs
are refused naming the mismatch, non-finite outputs never reach NMS, and absurd sizes given to ``_core`` are errors,
never an abort."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from numa_ultralytics import YOLO, _core
from numa_ultralytics.data.augment import check_imgsz
from numa_ultralytics.nn.autobackend import AutoBackend
from numa_ultralytics.utils.args import (
    CHECKS,
    MAX_IMGSZ,
    MAX_LINE_WIDTH,
    PREDICT_DEFAULTS,
    ArgError,
    check_args,
    check_line_width,
)
from numa_ultralytics.utils.plotting import Annotator

from .conftest import MODELS, need


@pytest.fixture(scope="module")
def model(seg_onnx: Path) -> YOLO:
    return YOLO(seg_onnx)


@pytest.fixture(scope="module")
def bus(bus_jpg: Path) -> np.ndarray:
    return cv2.imread(str(bus_jpg))


def _with_metadata(src: Path, dst: Path, **meta: Any) -> Path:
    """A copy of the ONNX file ``src`` at ``dst`` with metadata entries replaced (the value written as ``str``)."""
    m = onnx.load(str(src))
    props = {p.key: p.value for p in m.metadata_props}
    props.update({k: str(v) for k, v in meta.items()})
    del m.metadata_props[:]
    for k, v in props.items():
        m.metadata_props.add(key=k, value=v)
    onnx.save(m, str(dst))
    return dst


def _constant_model(path: Path, outputs: dict[str, np.ndarray], **meta: Any) -> Path:
    """A tiny ONNX model: an ``images`` input (1, 3, 64, 64) and constant outputs, with Ultralytics-style metadata."""
    nodes = [
        helper.make_node("Constant", [], [name], value=numpy_helper.from_array(v.astype(np.float32), name + "_v"))
        for name, v in outputs.items()
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 64, 64])],
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, list(v.shape)) for k, v in outputs.items()],
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    for k, v in meta.items():
        m.metadata_props.add(key=k, value=str(v))
    onnx.save(m, str(path))
    return path


# ---------------------------------------------------------------------------------------------------------------------
# line_width: one rule (utils/args.py check_line_width) for predict/track, Results.plot and Annotator


@pytest.mark.parametrize("lw", [-5, 0, 2.5, "3", True, MAX_LINE_WIDTH + 1])
def test_annotator_refuses_widths_opencv_crashes_on(lw):
    im = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(ArgError, match="line_width"):
        Annotator(im, line_width=lw).box_label([1, 1, 30, 30], "person 0.90")


def test_annotator_draws_with_valid_widths():
    im = np.zeros((64, 64, 3), np.uint8)
    Annotator(im, line_width=np.int64(2)).box_label([1, 20, 30, 60], "person 0.90", color=(0, 0, 255))
    assert im[20:60, 1, 2].max() == 255  # the box's left edge, in red
    Annotator(im, line_width=MAX_LINE_WIDTH).box_label([1, 1, 30, 30], "person 0.90")  # the largest: no crash


def test_plot_and_predict_refuse_negative_line_width(model, bus, tmp_path):
    r = model.predict(bus, verbose=False)[0]
    with pytest.raises(ValueError, match="line_width=-5"):
        r.plot(line_width=-5)
    assert r.plot(line_width=3).shape == bus.shape
    with pytest.raises(ValueError, match="line_width=-5"):
        model.predict(bus, save=True, line_width=-5, project=str(tmp_path), verbose=False)
    assert not any(tmp_path.iterdir())  # refused before the run folder is made


def test_line_width_rule_is_the_cli_rule():
    from numa_ultralytics.cfg import parse_args

    assert check_line_width("line_width", None) is None
    with pytest.raises(ValueError, match="line_width"):
        parse_args(["predict", "source=x", "line_width=-5"])
    assert parse_args(["predict", "source=x", f"line_width={MAX_LINE_WIDTH}"])[2]["line_width"] == MAX_LINE_WIDTH


# ---------------------------------------------------------------------------------------------------------------------
# every predict/track argument checked in one place


def test_every_argument_has_a_check():
    assert set(CHECKS) == set(PREDICT_DEFAULTS)
    assert check_args({}, "predict") == {**PREDICT_DEFAULTS, "conf": 0.25}  # the defaults pass their own checks


@pytest.mark.parametrize(
    "kwargs, key",
    [
        ({"classes": ["person"]}, "classes"),
        ({"classes": [0.7]}, "classes"),
        ({"classes": "0"}, "classes"),
        ({"classes": -1}, "classes"),
        ({"classes": [True]}, "classes"),
        ({"batch": -3}, "batch"),
        ({"batch": "x"}, "batch"),
        ({"batch": 0}, "batch"),
        ({"agnostic_nms": "no"}, "agnostic_nms"),
        ({"retina_masks": 1}, "retina_masks"),
        ({"verbose": "False"}, "verbose"),
        ({"half": None}, "half"),
        ({"stream_buffer": "yes"}, "stream_buffer"),
        ({"save": "True"}, "save"),
        ({"save_txt": 0}, "save_txt"),
        ({"save_conf": "no"}, "save_conf"),
        ({"save_crop": 1.0}, "save_crop"),
        ({"show": "no"}, "show"),
        ({"exist_ok": "no"}, "exist_ok"),
        ({"show_labels": "no"}, "show_labels"),
        ({"show_conf": "no"}, "show_conf"),
        ({"show_boxes": 2}, "show_boxes"),
        ({"imgsz": MAX_IMGSZ + 1}, "imgsz"),
        ({"imgsz": 10000}, "imgsz"),
        ({"imgsz": [640, 10000]}, "imgsz"),
        ({"imgsz": [640, 640, 3]}, "imgsz"),
        ({"imgsz": 0}, "imgsz"),
        ({"imgsz": 640.0}, "imgsz"),
        ({"max_det": 2**40}, "max_det"),
        ({"vid_stride": 0}, "vid_stride"),
        ({"line_width": -5}, "line_width"),
        ({"project": ""}, "project"),
        ({"name": 3}, "name"),
        ({"conf": float("nan")}, "conf"),
    ],
)
def test_bad_arguments_name_the_argument(model, kwargs, key):
    im = np.zeros((64, 64, 3), np.uint8)
    for call in (model.predict, model.track):
        with pytest.raises(ArgError, match=rf"^{key}=") as e:
            call(im, **{"verbose": False, **kwargs})
        assert isinstance(e.value, ValueError) and e.value.key == key


def test_track_persist_is_a_bool(model):
    with pytest.raises(ArgError, match="^persist='no'"):
        model.track(np.zeros((64, 64, 3), np.uint8), persist="no", verbose=False)


def test_good_arguments_are_normalised():
    a = check_args(
        {"classes": np.array([0, 5]), "batch": np.int32(2), "agnostic_nms": np.bool_(True), "imgsz": [MAX_IMGSZ]},
        "track",
    )
    assert a["classes"] == [0, 5] and a["batch"] == 2 and a["agnostic_nms"] is True and a["imgsz"] == [MAX_IMGSZ]
    assert a["conf"] == 0.1
    assert check_args({"classes": 3}, "predict")["classes"] == [3]
    assert check_args({"classes": []}, "predict")["classes"] == []


def test_imgsz_limit_also_bounds_val_and_the_predictor():
    assert check_imgsz(MAX_IMGSZ - 5) == (MAX_IMGSZ, MAX_IMGSZ)  # rounded up to the stride, still allowed
    with pytest.raises(ValueError, match=f"1 to {MAX_IMGSZ}"):
        check_imgsz(10000)


def test_classes_filter_on_real_predictions(model, bus):
    r = model.predict(bus, classes=np.array([5]), verbose=False)[0]
    assert r.boxes.cls.tolist() == [5.0]  # the bus only


def test_huge_frame_is_accepted(model, bus):
    """An 8000x6000 frame is letterboxed down to imgsz (README: peak RSS ~0.3 GB, ~0.4 GB with retina_masks)."""
    big = cv2.resize(bus, (8000, 6000))
    r = model.predict(big, verbose=False)[0]
    assert r.orig_shape == (6000, 8000)
    assert {0, 5} <= set(r.boxes.cls.tolist())  # persons and the bus
    xyxy = r.boxes.xyxy
    assert (xyxy >= 0).all() and (xyxy[:, 2] <= 8000).all() and (xyxy[:, 3] <= 6000).all()
    bus_box = xyxy[r.boxes.cls.tolist().index(5)]
    assert bus_box[2] - bus_box[0] > 6000  # the bus spans most of the width, in original pixels
    assert len(r.masks.xy) == len(r.boxes)


# ---------------------------------------------------------------------------------------------------------------------
# models whose metadata does not fit their outputs


def test_normal_export_with_end2end_metadata_is_refused(tmp_path, bus):
    static = need(MODELS / "yolo11n-detect-int8-320.onnx")
    bad = _with_metadata(static, tmp_path / "static.onnx", end2end=True)
    with pytest.raises(ValueError, match=r"end2end=True but output0 has shape \[1, 84, 2100\]"):
        YOLO(bad)
    # A dynamic export: the anchor count is only known on a real output, checked by _core.postprocess.
    dyn = _with_metadata(need(MODELS / "yolo11n-seg-dynamic.onnx"), tmp_path / "dyn.onnx", end2end=True)
    m = YOLO(dyn)
    with pytest.raises(ValueError, match=r"end-to-end output has \d+ columns per row, expected 38"):
        m.predict(bus, verbose=False)


def test_end_to_end_model_without_end2end_metadata_is_refused(tmp_path):
    e2e = need(MODELS / "yolo26n-detect-end2end-int8.onnx")
    bad = _with_metadata(e2e, tmp_path / "e2e.onnx", end2end=False)
    with pytest.raises(ValueError, match=r"output0 \[1, 300, 6\] has 296 classes.*looks like an end-to-end output"):
        YOLO(bad)


def test_end_to_end_class_index_outside_names_is_dropped(tmp_path, bus):
    e2e = need(MODELS / "yolo26n-detect-end2end-int8.onnx")
    full = YOLO(e2e).predict(bus, verbose=False)[0]
    assert {0, 5} <= set(full.boxes.cls.tolist())  # persons and the bus
    one = YOLO(_with_metadata(e2e, tmp_path / "one.onnx", names={0: "person"})).predict(bus, verbose=False)[0]
    persons = full.boxes.data[full.boxes.cls == 0]
    np.testing.assert_array_equal(one.boxes.data, persons)  # class 5 is no class of this model: dropped
    assert one.plot().shape == bus.shape
    # directly: a class index of 999 among 80 classes is dropped, the valid row kept
    pred = np.array([[0, 0, 50, 50, 0.9, 999], [10, 10, 60, 60, 0.8, 79]], np.float32)
    boxes, _ = _core.postprocess(pred, None, 80, (640, 640), (640, 640), end_to_end=True)
    assert boxes[:, 5].tolist() == [79.0]


def test_names_shorter_than_the_class_count_is_refused(tmp_path):
    src = need(MODELS / "yolo11n-detect-int8-320.onnx")
    bad = _with_metadata(src, tmp_path / "short.onnx", names={i: f"c{i}" for i in range(5)})
    with pytest.raises(ValueError, match=r"'names' has 5 entries .* has 80 classes"):
        YOLO(bad)
    worse = _with_metadata(src, tmp_path / "worse.onnx", names="{'a': 'person'}")
    with pytest.raises(ValueError, match="'names' must map class indices"):
        YOLO(worse)


def test_fewer_than_four_output_rows_is_refused(tmp_path):
    p = _constant_model(tmp_path / "rows.onnx", {"output0": np.zeros((1, 3, 10))}, task="detect", names={0: "a"})
    with pytest.raises(ValueError, match=r"output0 has shape \[1, 3, 10\]: 3 rows leave no class scores"):
        YOLO(p)


def test_classify_and_pose_models_are_refused(tmp_path):
    cls = _constant_model(tmp_path / "cls.onnx", {"output0": np.zeros((1, 1000))}, task="classify")
    with pytest.raises(ValueError, match="'classify' model"):
        YOLO(cls, task="segment")
    no_task = _constant_model(tmp_path / "cls2.onnx", {"output0": np.zeros((1, 1000))})
    with pytest.raises(ValueError, match=r"output0 has shape \[1, 1000\]"):
        YOLO(no_task, task="segment")
    pose_meta = {"names": {0: "person"}, "kpt_shape": [17, 3]}
    pose = _constant_model(tmp_path / "pose.onnx", {"output0": np.zeros((1, 56, 84))}, task="pose", **pose_meta)
    with pytest.raises(ValueError, match="'pose' model"):
        YOLO(pose, task="segment")
    # the same outputs without a task: 52 class rows for 1 name
    pose2 = _constant_model(tmp_path / "pose2.onnx", {"output0": np.zeros((1, 56, 84))}, **pose_meta)
    with pytest.raises(ValueError, match=r"'names' has 1 entries .* has 52 classes"):
        YOLO(pose2, task="segment")


def test_a_directory_is_not_a_model(tmp_path, monkeypatch):
    (tmp_path / "m.onnx").mkdir()
    with pytest.raises(IsADirectoryError, match="is a directory"):
        AutoBackend(tmp_path / "m.onnx")
    monkeypatch.chdir(tmp_path)
    for name in ("m.onnx", str(tmp_path / "m.onnx")):
        with pytest.raises(OSError, match="is a folder, not a model file"):
            YOLO(name)


def test_unloadable_cached_onnx_names_the_cache_entry(tmp_path, monkeypatch):
    """A cache entry that matches its recorded checksum but does not load: the error says which file and how to clear
    it (a mismatching one is rebuilt, tests/test_untrusted.py)."""
    import hashlib

    from numa_ultralytics.nn import pt_loader

    pt = need(MODELS / "yolo11n-seg.pt")
    monkeypatch.setenv("NUMA_ULTRALYTICS_CACHE_DIR", str(tmp_path))
    target = pt_loader.pt_to_onnx(pt)
    data = b"not an onnx graph"
    target.write_bytes(data)
    target.with_name(target.name + ".sha256").write_text(hashlib.sha256(data).hexdigest() + "\n")
    with pytest.raises(ValueError) as e:
        YOLO(pt)
    msg = str(e.value)
    assert str(target) in msg and "delete" in msg and target.name + ".sha256" in msg


# ---------------------------------------------------------------------------------------------------------------------
# non-finite outputs and absurd sizes


class _Corrupting:
    """The model's backend, with one anchor's box turned into NaN (the most confident one) after each run."""

    def __init__(self, backend: AutoBackend, value: float) -> None:
        self._b = backend
        self._value = value

    def __getattr__(self, k: str) -> Any:
        return getattr(self._b, k)

    def __call__(self, im: np.ndarray, **kw: Any) -> list[np.ndarray]:
        outs = self._b(im, **kw)
        pred = outs[0]
        best = int(pred[0, 4 : 4 + self._b.nc].max(0).argmax())
        pred[0, 0, best] = self._value
        return outs


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_boxes_are_dropped_before_nms(seg_onnx, bus, value):
    m = YOLO(seg_onnx)
    clean = m.predict(bus, verbose=False)[0]
    m.predictor.backend = _Corrupting(m.backend, value)  # type: ignore[assignment]
    r = m.predict(bus, verbose=False)[0]
    assert np.isfinite(r.boxes.data).all()
    assert 0 < len(r.boxes) <= len(clean.boxes)
    assert r.plot().shape == bus.shape
    # directly: NaN / infinite boxes and scores never come out
    pred = np.zeros((6, 4), np.float32)
    pred[:4] = np.array([[50, 50, 20, 20]] * 4, np.float32).T
    pred[4] = [0.9, 0.8, 0.7, 0.6]
    pred[0, 0], pred[2, 1], pred[4, 2] = np.nan, np.inf, np.inf
    boxes, _ = _core.postprocess(pred, None, 2, (640, 640), (640, 640))
    assert boxes.tolist() == [[40.0, 40.0, 60.0, 60.0, pytest.approx(0.6), 0.0]]


_ABSURD = """
import resource
import numpy as np
from numa_ultralytics import _core
pred = np.zeros((6, 1), np.float32)
pred[:, 0] = [2**19, 2**19, 2**20, 2**20, 0.9, 1.0]
protos = np.ones((1, 4, 4), np.float32)
resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))  # the 1 TB region fails even where memory overcommits
for args, kw in [
    (((2**20, 2**20), (2**20, 2**20)), {"retina_masks": True}),  # a 1 TB mask region
    (((64, 64), (2**40, 2**40)), {"retina_masks": True}),
    (((2**40, 2**40), (64, 64)), {}),
]:
    try:
        _core.postprocess(pred, protos, 1, *args, **kw)
    except (MemoryError, ValueError) as e:
        print(type(e).__name__, e)
try:
    _core.postprocess(pred, protos, 2**64 - 1, (64, 64), (64, 64))
except ValueError as e:
    print("ValueError", e)
"""


def test_absurd_sizes_are_errors_not_an_abort():
    p = subprocess.run([sys.executable, "-c", textwrap.dedent(_ABSURD)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    lines = p.stdout.splitlines()
    assert len(lines) == 4, p.stdout
    assert lines[0].startswith("MemoryError out of memory decoding a mask")
    assert "orig_hw (1099511627776, 1099511627776) is too large" in lines[1]
    assert "input_hw (1099511627776, 1099511627776) is too large" in lines[2]
    assert lines[3].startswith("ValueError model output has 6 channels")


@pytest.mark.parametrize("stride", [8192, -32, 7, 0, "nan", "'32'", 32.5, True])
def test_metadata_stride_is_validated(tmp_path, stride):
    """Issue 22.7: ``stride: 8192`` letterboxed a 640 frame to 8192x8192 (round the 4096 imgsz bound); -32, 7 and nan
    gave raw errors. Refused when loaded, naming the field."""
    bad = _with_metadata(need(MODELS / "yolo11n-seg-dynamic.onnx"), tmp_path / "stride.onnx", stride=stride)
    t0 = time.monotonic()
    with pytest.raises(ValueError, match=r"metadata 'stride' must be one of \[8, 16, 32, 64\]"):
        YOLO(bad).predict(np.zeros((480, 640, 3), np.uint8), verbose=False)
    assert time.monotonic() - t0 < 10


@pytest.mark.parametrize("stride", [32, 64])
def test_real_strides_load(tmp_path, stride):
    ok = _with_metadata(need(MODELS / "yolo11n-seg-dynamic.onnx"), tmp_path / "s.onnx", stride=stride)
    assert YOLO(ok).predict(np.zeros((480, 640, 3), np.uint8), verbose=False)[0].orig_shape == (480, 640)
