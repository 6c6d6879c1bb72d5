"""8.4.190's ``quantize`` argument (``cfg.QUANTIZE_ALIASES``; ``half`` / ``int8`` are its older spellings of 16 / 8, and
an explicit ``quantize`` wins over them): the same precision as the ``half`` it stands for, in predict, val, export and
on the command line (utils/args.py ``check_quantize`` / ``half_of``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest

from numa_ultralytics import YOLO
from numa_ultralytics.nn import precision
from numa_ultralytics.utils.args import ArgError, check_quantize, half_of

from .conftest import MEDIA, MODELS, need
from .helpers import coco8_yaml


def test_aliases_and_precedence() -> None:
    assert [check_quantize("quantize", v) for v in (8, "16", "FP16", "fp32", "w8a8", "w16a16", "W8A16", None)] == [
        8, 16, 16, 32, 8, 16, "w8a16", None,
    ]  # fmt: skip
    for bad in (True, 4, "fp8", "int4"):
        with pytest.raises(ArgError, match="quantize"):
            check_quantize("quantize", bad)
    assert half_of({"quantize": 16}) and half_of({"quantize": "fp16", "half": False})
    assert not half_of({"quantize": 32, "half": True}) and not half_of({"quantize": 8})
    assert half_of({"half": True}) and not half_of({})


def test_predict_quantize_is_half() -> None:
    """``quantize=16`` runs what ``half=True`` runs (bf16 through OpenVINO where the CPU has bf16 units, else fp32),
    with the same detections; ``quantize=32`` overrides ``half=True``."""
    bus = need(MEDIA / "images" / "bus.jpg")
    a, b = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx")), YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx"))
    ra, rb = a.predict(bus, half=True, verbose=False)[0], b.predict(bus, quantize=16, verbose=False)[0]
    assert (a.backend.runtime, a.backend.precision) == (b.backend.runtime, b.backend.precision)
    want = "bf16" if precision.cpu_has_bf16() else "fp32"
    assert b.backend.precision == want
    assert np.array_equal(ra.boxes.data.numpy(), rb.boxes.data.numpy()) and len(rb.boxes) >= 4
    b.predict(bus, quantize="fp32", half=True, verbose=False)
    assert (b.backend.runtime, b.backend.precision) == ("onnxruntime CPU", "fp32")
    with pytest.raises(ValueError, match="quantize"):
        b.predict(bus, quantize="fp8", verbose=False)


def test_val_quantize(tmp_path: Path) -> None:
    model = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx"))
    data = str(coco8_yaml(tmp_path, model.names))
    m16 = model.val(data=data, quantize=16, batch=4, plots=False, verbose=False, project=str(tmp_path))
    assert model.backend.precision == ("bf16" if precision.cpu_has_bf16() else "fp32")
    h = model.val(data=data, half=True, batch=4, plots=False, verbose=False, project=str(tmp_path))
    # the same model and precision: the same numbers (bf16 runs each shape on its own compiled model from its first
    # frame, whatever ran before: nn/precision.py SHAPE_EXACT_ONLY)
    assert m16.results_dict == h.results_dict
    assert m16.results_dict["metrics/mAP50-95(M)"] > 0.3


def test_export_quantize(tmp_path: Path) -> None:
    """``export(quantize=16)`` writes the fp16 graph ``half=True`` writes; ``quantize=32`` overrides ``half=True``."""
    pt = tmp_path / "yolo11n-seg.pt"
    pt.write_bytes(need(MODELS / "yolo11n-seg.pt").read_bytes())
    model = YOLO(pt)

    def weight_types(path: str) -> set[int]:
        return {t.data_type for t in onnx.load(path).graph.initializer if len(t.dims) == 4}

    assert weight_types(model.export(quantize="fp16")) == {onnx.TensorProto.FLOAT16}
    assert weight_types(model.export(quantize=32, half=True)) == {onnx.TensorProto.FLOAT}
    with pytest.raises(NotImplementedError, match="w8a16"):
        model.export(quantize="w8a16")
