"""A ``.pt`` one-to-one head's top-k as 8.4.190 sets it (nn/onnx_builder.py ``head_topk``): ``max_det`` above 300
gets a graph built for that many rows, ``agnostic_nms`` one that selects the best class per anchor; predict and val
equal 8.4.190's outputs stored by ``tests/fixtures/zoo/make_topk_reference.py`` (rows to 1e-4, val mAPs to 1e-6)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from numa_ultralytics import YOLO

from .conftest import MEDIA, MODELS, need
from .helpers import coco8_yaml

REF = json.loads((Path(__file__).resolve().parent / "fixtures" / "zoo" / "topk_reference.json").read_text())
CASES = [(m, k) for m, settings in REF["models"].items() for k in settings]


@pytest.mark.parametrize("name, setting", CASES)
def test_predict_rows_equal_the_original(name: str, setting: str) -> None:
    ref = REF["models"][name][setting]
    r = YOLO(need(MODELS / name)).predict(need(MEDIA / "images" / "bus.jpg"), conf=0.0, verbose=False, **ref["kwargs"])
    b = r[0].boxes
    assert len(b) == len(ref["conf"]) > 0
    np.testing.assert_allclose(b.conf.numpy(), ref["conf"], atol=1e-4)  # the rows' order, by score
    # the same rows; rows of exactly equal score may come in another order (torch's topk and onnxruntime's TopK
    # order ties differently: measured at conf 6.4e-4, two rows of classes 26 and 58 with one score)
    want_conf, want_cls, want_box = np.array(ref["conf"]), np.array(ref["cls"]), np.array(ref["xyxy"])
    free = np.ones(len(want_conf), bool)
    for c, k, box in zip(b.conf.numpy(), b.cls.numpy().astype(int), b.xyxy.numpy()):
        same = free & (want_cls == k) & (np.abs(want_conf - c) <= 1.1e-4) & (np.abs(want_box - box).max(1) < 2e-3)
        assert same.any(), (k, c, box)
        free[np.argmax(same)] = False


def test_default_and_other_topk_differ() -> None:
    """The settings change the rows (so the cases above can fail): 500 rows where the default gives 300, and the
    agnostic head's rows are not the per-class head's."""
    model = YOLO(need(MODELS / "yolo26n.pt"))
    bus = need(MEDIA / "images" / "bus.jpg")
    default = model.predict(bus, conf=0.0, verbose=False)[0].boxes
    more = model.predict(bus, conf=0.0, max_det=500, verbose=False)[0].boxes
    agnostic = model.predict(bus, conf=0.0, agnostic_nms=True, verbose=False)[0].boxes
    assert (len(default), len(more)) == (300, 500)
    assert not np.allclose(np.sort(default.conf.numpy()), np.sort(agnostic.conf.numpy()))
    again = model.predict(bus, conf=0.0, verbose=False)[0].boxes  # the default graph comes back
    assert np.array_equal(again.data.numpy(), default.data.numpy())


@pytest.mark.parametrize("name, setting", CASES)
def test_val_equals_the_original(name: str, setting: str, tmp_path: Path) -> None:
    ref = REF["models"][name][setting]
    model = YOLO(need(MODELS / name))
    m = model.val(data=str(coco8_yaml(tmp_path, model.names)), batch=1, plots=False, verbose=False, **ref["kwargs"])
    for k, v in ref["val"].items():
        assert m.results_dict[k] == pytest.approx(v, abs=1e-6), k
