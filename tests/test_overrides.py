"""``YOLO.overrides`` as 8.4.190 keeps and applies it (engine/model.py ``overrides``, utils/args.py
``CKPT_OVERRIDES`` / ``with_overrides``): a ``.pt`` predicts, tracks and validates at the image size it was trained at
unless told; an ONNX file at 640; a changed ``overrides["imgsz"]`` is what the next call uses; a call's own keywords
win. Reference: tests/fixtures/overrides_reference.json (8.4.190's overrides and input shapes, made by
tests/fixtures/make_overrides_reference.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from numa_ultralytics import YOLO

from .conftest import MEDIA, need
from .fixtures.make_overrides_reference import MODELS
from .helpers import coco8_yaml

REF = json.loads((Path(__file__).parent / "fixtures" / "overrides_reference.json").read_text())


def _shape(r) -> list[int]:
    return [1, 3, *r.input_hw]


@pytest.mark.parametrize("name", list(MODELS))
def test_overrides_and_default_input_size_equal_the_original(name):
    e = REF["models"][name]
    path = need(MODELS[name])
    bus = str(MEDIA / "images" / REF["image"])
    m = YOLO(str(path))
    assert {k: (Path(v).name if k == "model" else v) for k, v in m.overrides.items()} == e["overrides"]
    assert list(m.overrides) == list(e["overrides"])  # same keys in the same order
    assert _shape(m.predict(bus, verbose=False)[0]) == e["predict"]
    assert _shape(YOLO(str(path)).track(bus, verbose=False, tracker="bytetrack.yaml")[0]) == e["track"]
    m.overrides["imgsz"] = 224
    assert _shape(m.predict(bus, verbose=False)[0]) == e["predict_after_imgsz_224"]
    assert _shape(YOLO(str(path)).predict(bus, imgsz=320, verbose=False)[0]) == e["predict_imgsz_320"]


def test_overrides_under_the_calls_keywords(tmp_path):
    """What a call sets itself stays its own (predict's conf), keys a mode does not take are left out
    (``single_cls`` in predict), an assigned dict replaces the overrides, and val runs at the overrides' size."""
    seg = need(MODELS["yolo11n-seg.pt"])
    bus = str(MEDIA / "images" / "bus.jpg")
    plain = YOLO(str(seg)).predict(bus, verbose=False)[0]
    m = YOLO(str(seg))
    m.overrides.update(conf=0.9, single_cls=True)  # conf: predict sets its own; single_cls: a val setting
    r = m.predict(bus, verbose=False)[0]
    assert len(r) == len(plain) > 2 and (r.boxes.conf < 0.9).any()
    m.overrides["max_det"] = 2
    assert len(m.predict(bus, verbose=False)[0]) == 2 and len(m.predict(bus, verbose=False, max_det=3)[0]) == 3
    m.overrides = {"imgsz": 192}
    assert m.predict(bus, verbose=False)[0].input_hw == (192, 160)
    # val: the overrides' imgsz (a checkpoint's training size, here changed to 320) unless the call gives one
    data = str(coco8_yaml(tmp_path, YOLO(str(seg)).names))
    kw = {"data": data, "batch": 2, "plots": False, "verbose": False, "project": str(tmp_path)}
    m = YOLO(str(seg))
    m.overrides["imgsz"] = 320
    a = m.val(**kw, name="a").results_dict
    b = YOLO(str(seg)).val(**kw, imgsz=320, name="b").results_dict
    c = YOLO(str(seg)).val(**kw, name="c").results_dict  # the checkpoint's 640
    d = m.val(**kw, imgsz=640, name="d").results_dict
    assert a == b and c == d and a != c


def test_model_attributes_of_the_original(tmp_path):
    """8.4.190's ``Model`` attributes a user reads: ``metrics`` (the last val's, None before), ``cfg`` / ``trainer`` /
    ``transforms`` (None for loaded weights)."""
    seg = need(MODELS["yolo11n-seg.pt"])
    m = YOLO(str(seg))
    assert m.metrics is None and m.cfg is None and m.trainer is None and m.transforms is None
    data = str(coco8_yaml(tmp_path, m.names))
    r = m.val(data=data, imgsz=320, batch=2, plots=False, verbose=False, project=str(tmp_path))
    assert m.metrics is r and r.seg.map > 0.1
