"""CPU precision (nn/precision.py): the runtime/precision rule, OpenVINO at fp32, ``half=True`` (bf16 where the CPU
has bf16 units, else one warning and fp32), the missing extra, and the int8 export (engine/exporter.py int8=True,
nn/quantize.py) on real data, each against onnxruntime fp32 (utils/metrics.py ``agreement``).

Tolerances are measured on the shared media (bench/RESULTS.md "CPU precision (issue 15)"): OpenVINO fp32 against
onnxruntime fp32 differs by float rounding only (every detection matched, mask IoU 1.0 at imgsz 320); int8 adds and
loses a few detections near the confidence threshold."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from numa_ultralytics import YOLO
from numa_ultralytics.nn import precision
from numa_ultralytics.nn.quantize import qdq_layout

from .conftest import INT8_ISA, MEDIA, MODELS, ROOT, need
from .helpers import capture_log, totals, video_frames

pytest.importorskip("openvino", reason="the [openvino] extra is not installed")

IMGSZ = 320


@pytest.fixture()
def log():  # type: ignore[no-untyped-def]
    with capture_log() as lines:
        yield lines


@pytest.fixture(scope="module")
def frames() -> list[np.ndarray]:
    """bus.jpg, zidane.jpg, coco8-seg's 4 val images and 4 frames of the people video: real scenes, 10 images."""
    ims = [cv2.imread(str(need(MEDIA / "images" / n))) for n in ("bus.jpg", "zidane.jpg")]
    ims += [cv2.imread(str(p)) for p in sorted(need(MEDIA / "coco8-seg" / "images" / "val").glob("*.jpg"))]
    people = video_frames(need(MEDIA / "videos" / "seeed_people-walking.mp4"), 4)
    assert len(people) == 4
    return ims + people


@pytest.fixture(scope="module")
def fp32(frames: list[np.ndarray]) -> list:  # type: ignore[type-arg]
    model = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx"))
    return [model.predict(f, imgsz=IMGSZ, device="cpu", verbose=False)[0] for f in frames]


# ------------------------------------------------------------------------------------------------------- the rule


def test_plan_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    plan = precision.plan
    assert plan("cpu") == precision.Plan("onnxruntime", "fp32")
    assert plan("cpu", runtime="openvino") == precision.Plan("openvino", "fp32")
    assert plan("cuda") == precision.Plan("onnxruntime", "fp32")
    assert plan("cuda", half=True) == precision.Plan("onnxruntime", "fp16")  # nn/fp16.py's
    with pytest.raises(ValueError, match="runs on the CPU"):
        plan("cuda", runtime="openvino")
    with pytest.raises(ValueError, match="runtime"):
        plan("cpu", runtime="tensorrt")
    p = plan("cpu", half=True, runtime="onnxruntime")
    assert (p.runtime, p.precision) == ("onnxruntime", "fp32") and "no bf16 path" in str(p.warning)
    for bf16 in (True, False):
        monkeypatch.setattr(precision, "_BF16", bf16)
        p = plan("cpu", half=True)
        assert (p.runtime, p.precision, p.warning is None) == (
            ("openvino", "bf16", True) if bf16 else ("onnxruntime", "fp32", False)
        )
        p = plan("cpu", half=True, runtime="openvino")
        assert (p.runtime, p.precision) == ("openvino", "bf16" if bf16 else "fp32")
    monkeypatch.setattr(precision, "openvino_available", lambda: False)
    p = plan("cpu", half=True)
    assert (p.runtime, p.precision) == ("onnxruntime", "fp32") and precision.OPENVINO_EXTRA in str(p.warning)
    with pytest.raises(ImportError, match=r"numa_ultralytics\[openvino\]"):
        plan("cpu", runtime="openvino")


# ----------------------------------------------------------------------------------------------- real runs


def test_default_is_onnxruntime_fp32(log: list[str]) -> None:
    model = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx"))
    assert (model.backend.runtime, model.backend.precision) == ("onnxruntime CPU", "fp32") or model.device != "cpu"
    model.predict(need(MEDIA / "images" / "bus.jpg"), device="cpu", imgsz=IMGSZ)
    assert log[-1].startswith("Speed:") and log[-1].endswith(", onnxruntime CPU fp32")
    model.info()
    assert log[-1] == "Runtime: onnxruntime CPU fp32 (yolo11n-seg-dynamic.onnx)"


def test_openvino_fp32_matches_onnxruntime(frames: list[np.ndarray], fp32: list, log: list[str]) -> None:  # type: ignore[type-arg]
    model = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx"))
    ov = [model.predict(f, imgsz=IMGSZ, device="cpu", runtime="openvino", verbose=False)[0] for f in frames]
    assert (model.backend.runtime, model.backend.precision) == ("openvino CPU", "fp32")
    assert type(model.backend.session).__name__ == "OpenVINOSession"
    # the video's frames (one letterbox shape): from the second on, a model compiled for that shape (nn/precision.py
    # STATIC_AFTER); the checks below cover its detections too
    assert (1, 3, 192, 320) in model.backend.session._static and model.backend.session.compiled is not None
    n_ref, n_ov, matched, mious = totals(fp32, ov)
    assert n_ref >= 20 and n_ov == n_ref and matched == n_ref  # measured: every detection, same classes
    assert min(mious) >= 0.99  # measured: 1.0 (imgsz 320, these 10 images); float rounding at mask edges at most
    for a, b in zip(fp32, ov):
        np.testing.assert_allclose(b.boxes.xyxy, a.boxes.xyxy, atol=0.5)
        np.testing.assert_allclose(b.boxes.conf, a.boxes.conf, atol=2e-3)
    model.predict(frames[0], imgsz=IMGSZ, device="cpu", runtime="openvino")
    assert log[-1].endswith(", openvino CPU fp32")
    # back to the default: the backend re-opens on onnxruntime
    model.predict(frames[0], imgsz=IMGSZ, device="cpu", verbose=False)
    assert model.backend.runtime == "onnxruntime CPU"


def test_half_on_cpu(frames: list[np.ndarray], fp32: list, log: list[str]) -> None:  # type: ignore[type-arg]
    """bf16 units (AVX512-BF16 / AMX): OpenVINO bf16, detections close to fp32; none: one warning, fp32 exactly."""
    model = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx"))
    out = [model.predict(f, imgsz=IMGSZ, device="cpu", half=True, verbose=False)[0] for f in frames]
    warnings = [s for s in log if "half=True" in s]
    if precision.cpu_has_bf16():
        assert (model.backend.runtime, model.backend.precision) == ("openvino CPU", "bf16") and not warnings
        n_ref, n_out, matched, mious = totals(fp32, out)
        # measured on an AMD EPYC Zen 4 (AVX512-BF16, OpenVINO 2026.4): 20 of 20 detections matched, mean mask IoU
        # 0.994 (min 0.965); AMX may round differently, hence the margin
        assert matched >= 0.9 * n_ref and matched >= 0.9 * n_out
        assert np.mean(mious) >= 0.97
    else:
        assert warnings == [
            "WARNING half=True: this CPU has no bf16 matrix units (AVX512-BF16 or AMX), running fp32 on onnxruntime"
        ]
        assert (model.backend.runtime, model.backend.precision) == ("onnxruntime CPU", "fp32")
        for a, b in zip(fp32, out):
            np.testing.assert_array_equal(b.boxes.data, a.boxes.data)
            if a.masks is not None:
                np.testing.assert_array_equal(np.asarray(b.masks.data), np.asarray(a.masks.data))


def test_half_without_the_extra(tmp_path: Path) -> None:
    """OpenVINO not importable: ``half=True`` warns once, naming the extra, and runs fp32; ``runtime='openvino'`` is an
    ImportError naming it."""
    code = f"""
import sys
sys.modules["openvino"] = None  # the [openvino] extra missing
import numpy as np
from numa_ultralytics import YOLO
m = YOLO({str(need(MODELS / "yolo11n-seg-dynamic.onnx"))!r})
im = {str(need(MEDIA / "images" / "bus.jpg"))!r}
a = m.predict(im, imgsz={IMGSZ}, device="cpu", verbose=False)[0]
b = m.predict(im, imgsz={IMGSZ}, device="cpu", half=True, verbose=False)[0]
b = m.predict(im, imgsz={IMGSZ}, device="cpu", half=True, verbose=False)[0]
assert np.array_equal(a.boxes.data, b.boxes.data) and m.backend.precision == "fp32"
try:
    m.predict(im, device="cpu", runtime="openvino")
except ImportError as e:
    print("ImportError:", e)
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    extra = 'pip install "numa_ultralytics[openvino]"'
    deprecated = "WARNING 'half' is deprecated and will be removed in the future. Use 'quantize' instead."
    assert [s for s in lines if s.startswith("WARNING")] == [  # 8.4.190's deprecation warning on each half=True call
        deprecated,
        f"WARNING half=True on the CPU needs OpenVINO for bf16 ({extra}); running fp32 on onnxruntime",
        deprecated,
    ]
    assert lines[-1] == f"ImportError: runtime='openvino' needs OpenVINO: {extra}"


# ------------------------------------------------------------------------------------------------------- int8


def test_int8_export_predict_val(tmp_path: Path, frames: list[np.ndarray], fp32: list) -> None:  # type: ignore[type-arg]
    pt = tmp_path / "yolo11n-seg.pt"
    pt.write_bytes(need(MODELS / "yolo11n-seg.pt").read_bytes())
    data = tmp_path / "coco8-seg.yaml"
    names = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx")).names
    data.write_text(f"path: {need(MEDIA / 'coco8-seg')}\ntrain: images/train\nval: images/val\nnames: {names}\n")
    f = YOLO(pt).export(format="onnx", int8=True, data=str(data), imgsz=IMGSZ, dynamic=True)
    assert Path(f) == tmp_path / "yolo11n-seg_int8.onnx" and sorted(p.name for p in tmp_path.iterdir()) == [
        "coco8-seg.yaml", "yolo11n-seg.pt", "yolo11n-seg_int8.onnx",
    ]  # fmt: skip
    model = YOLO(f)
    meta = model.backend.metadata
    assert meta["args"]["quantize"] == 8 and meta["imgsz"] == [IMGSZ, IMGSZ] and len(model.names) == 80
    assert (model.backend.runtime, model.backend.precision) == ("onnxruntime CPU", "int8")
    # the QDQ layout of nn/quantize.py (ACTIVATION_TYPE, WEIGHT_TYPE, REDUCE_RANGE): signed int8 activations (as
    # Ultralytics 8.4.190) and symmetric int8 weights per output channel, so the largest |weight| is 127 (U8S8 with
    # reduce_range, measured and not adopted in bench/RESULTS.md "ONNX int8 layouts", would read {"UINT8"}, -64, 64)
    assert qdq_layout(f) == ({"INT8"}, -127, 127)
    out = [model.predict(x, imgsz=IMGSZ, device="cpu", verbose=False)[0] for x in frames]
    n_ref, n_out, matched, mious = totals(fp32, out)
    # measured at imgsz 320 on these 10 images (AVX2 CPU): fp32 20 detections, int8 26, 18 matched, mean mask IoU
    # 0.964 (min 0.872); int8 kernels differ between CPUs (VNNI / AMX), hence the margin
    assert matched >= 0.8 * n_ref and matched >= 0.6 * n_out, (n_ref, n_out, matched)
    assert np.mean(mious) >= 0.9, np.mean(mious)
    ref = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx")).val(
        data=str(data), imgsz=IMGSZ, batch=1, verbose=False, plots=False
    )
    got = model.val(data=str(data), imgsz=IMGSZ, batch=1, verbose=False, plots=False)
    # measured (imgsz 320, coco8-seg val, 4 images), by the CPU's int8 arithmetic (conftest.INT8_ISA):
    # AVX2 box 0.4971 -> 0.5133, mask 0.4166 -> 0.4170; AVX-512 VNNI (AMD EPYC Zen 4) box 0.4971 -> 0.4564, mask
    # 0.4166 -> 0.3809 (20 fp32 detections, 27 int8, 18 matched, mean mask IoU 0.961)
    seg_tol, box_tol = (0.04, 0.045) if INT8_ISA == "vnni" else (0.02, 0.03)
    assert abs(got.seg.map - ref.seg.map) <= seg_tol and abs(got.box.map - ref.box.map) <= box_tol, (got, ref)
    assert got.seg.map > 0.5 * ref.seg.map and got.box.map > 0.5 * ref.box.map, (got.seg.map, ref.seg.map)
    # the same file asked on OpenVINO: onnxruntime, with one warning (OpenVINO's int8 output is wrong:
    # test_int8_never_runs_on_openvino)
    with capture_log() as lines:
        ov = model.predict(frames[0], imgsz=IMGSZ, device="cpu", runtime="openvino", verbose=False)[0]
    assert (model.backend.runtime, model.backend.precision) == ("onnxruntime CPU", "int8")
    assert lines == [precision.INT8_ON_OPENVINO]
    np.testing.assert_array_equal(ov.boxes.data, out[0].boxes.data)


def test_int8_never_runs_on_openvino(tmp_path: Path, frames: list[np.ndarray], log: list[str]) -> None:
    """OpenVINO run directly on our int8 (QDQ) export against onnxruntime on the same real frames: OpenVINO's
    detections are wrong (on an AVX512-VNNI CPU none at all; on an AVX2 one 0 of 17, bench/RESULTS.md), so the rule
    (nn/precision.py ``plan``) runs int8 graphs on onnxruntime even when ``runtime="openvino"`` is asked, with one
    warning. Should OpenVINO one day agree with onnxruntime here, this test fails: revisit the rule and this test
    together."""
    pt = tmp_path / "yolo11n-seg.pt"
    pt.write_bytes(need(MODELS / "yolo11n-seg.pt").read_bytes())
    data = tmp_path / "coco8-seg.yaml"
    names = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx")).names
    data.write_text(f"path: {need(MEDIA / 'coco8-seg')}\ntrain: images/train\nval: images/val\nnames: {names}\n")
    f = Path(YOLO(pt).export(format="onnx", int8=True, data=str(data), imgsz=IMGSZ, dynamic=True))
    ort_model = YOLO(f)
    ref = [ort_model.predict(x, imgsz=IMGSZ, device="cpu", verbose=False)[0] for x in frames]
    ov_model = YOLO(f)  # the same model with OpenVINO's session put in by hand: what the rule refuses to run
    ov_model.backend.session = precision.OpenVINOSession(f, ov_model.backend.session, "int8")
    ov_model.backend.io_binding = False
    ov = [ov_model.predict(x, imgsz=IMGSZ, device="cpu", verbose=False)[0] for x in frames]
    n_ref, n_ov, matched, _ = totals(ref, ov)
    assert n_ref >= 15, n_ref  # onnxruntime finds the people, buses and ties of these frames
    agrees = matched >= 0.9 * n_ref and matched >= 0.9 * n_ov
    assert not agrees, (
        f"OpenVINO now agrees with onnxruntime on the int8 graph ({matched} of {n_ref} matched, {n_ov} found): "
        "revisit nn/precision.py plan"
    )
    # the rule: never OpenVINO for an int8 graph, one warning when it was asked for
    assert precision.plan("cpu", runtime="openvino", graph="int8") == precision.Plan(
        "onnxruntime", "int8", precision.INT8_ON_OPENVINO
    )
    assert precision.plan("cpu", half=True, graph="int8") == precision.Plan("onnxruntime", "int8")
    log.clear()
    got = ort_model.predict(frames[1], imgsz=IMGSZ, device="cpu", runtime="openvino", verbose=False)[0]
    assert (ort_model.backend.runtime, ort_model.backend.precision) == ("onnxruntime CPU", "int8")
    assert type(ort_model.backend.session).__name__ == "InferenceSession"
    assert log == [precision.INT8_ON_OPENVINO]
    np.testing.assert_array_equal(got.boxes.data, ref[1].boxes.data)


def test_export_refusals(tmp_path: Path) -> None:
    from numa_ultralytics.engine.exporter import check_export_args

    assert check_export_args({"int8": True})["quantize"] == 8
    assert check_export_args({"quantize": 8})["int8"] is True
    assert check_export_args({})["quantize"] is None
    assert check_export_args({"quantize": 16})["half"] is True  # 8.4.190's spelling of half=True
    with pytest.raises(NotImplementedError, match="quantize='w8a16'"):
        check_export_args({"quantize": "w8a16"})
    with pytest.raises(ValueError, match="fraction"):
        check_export_args({"int8": True, "fraction": 0})
