"""OpenVINO models (nn/openvino_ir.py): ``export(format="openvino")`` and ``int8=True`` (NNCF on the OpenVINO model,
nn/quantize.py ``quantize_openvino``) write Ultralytics' ``<stem>[_int8]_openvino_model/`` folder; ``YOLO(folder)`` (or
its ``.xml``) runs it on OpenVINO without flags (nn/precision.py ``plan(ir=True)``).

The int8 model is checked against onnxruntime fp32 on real frames (the people video, bus, zidane) and by ``model.val``
on coco8-seg val, calibrated on coco8-seg train (the two splits share no image). The bounds were measured on an AMD
EPYC Zen 4 (AVX-512 VNNI, OpenVINO 2026.4, NNCF 3.4; bench/RESULTS.md "int8 on OpenVINO"): OpenVINO's int8 kernels
differ by instruction set (AVX2 without VNNI, AMX), so there the numbers may differ; the margins below are the
measured value less a little."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from numa_ultralytics import YOLO
from numa_ultralytics.nn import precision

from .conftest import IN_CI, MEDIA, MODELS, ROOT, need
from .helpers import totals, video_frames

if not IN_CI:  # in CI the [openvino] extra (openvino, nncf) is installed: a missing one fails there
    pytest.importorskip("openvino", reason="the [openvino] extra is not installed")
    pytest.importorskip("nncf", reason="the [openvino] extra (nncf) is not installed")

IMGSZ = 640
#: Ultralytics 8.4.190's metadata.yaml keys of an OpenVINO export, in its order.
META_KEYS = [
    "description", "author", "date", "version", "license", "docs", "stride", "task", "head", "batch", "imgsz", "names",
    "args", "channels", "end2end",
]  # fmt: skip


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """yolo11n-seg.pt exported as fp32 and int8 OpenVINO models (dynamic, 640); int8 calibrated on coco8-seg train."""
    d = tmp_path_factory.mktemp("ov")
    pt = d / "yolo11n-seg.pt"
    pt.write_bytes(need(MODELS / "yolo11n-seg.pt").read_bytes())
    names = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx")).names
    coco = need(MEDIA / "coco8-seg")
    (d / "train.yaml").write_text(f"path: {coco}\ntrain: images/train\nval: images/train\nnames: {names}\n")
    (d / "val.yaml").write_text(f"path: {coco}\ntrain: images/train\nval: images/val\nnames: {names}\n")
    model = YOLO(pt)
    fp32 = Path(model.export(format="openvino", dynamic=True, imgsz=IMGSZ))
    int8 = Path(model.export(format="openvino", int8=True, data=str(d / "train.yaml"), dynamic=True, imgsz=IMGSZ))
    return {"dir": d, "pt": pt, "fp32": fp32, "int8": int8, "val": d / "val.yaml"}


@pytest.fixture(scope="module")
def frames() -> list[np.ndarray]:
    """bus.jpg, zidane.jpg and every 10th of the first 160 frames of the people video: 18 real scenes."""
    ims = [cv2.imread(str(need(MEDIA / "images" / n))) for n in ("bus.jpg", "zidane.jpg")]
    people = video_frames(need(MEDIA / "videos" / "seeed_people-walking.mp4"), 16, step=10)
    assert len(people) == 16
    return ims + people


@pytest.fixture(scope="module")
def fp32_ref(frames: list[np.ndarray]) -> list:  # type: ignore[type-arg]
    model = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx"))
    return [model.predict(f, imgsz=IMGSZ, device="cpu", verbose=False)[0] for f in frames]


def test_layout_and_metadata_round_trip(exported: dict[str, Path]) -> None:
    """Ultralytics' folder names and files; metadata.yaml with its keys; loaded back (folder or .xml) with the names,
    stride, imgsz and task of the ONNX export."""
    d = exported["dir"]
    assert exported["fp32"] == d / "yolo11n-seg_openvino_model"
    assert exported["int8"] == d / "yolo11n-seg_int8_openvino_model"
    for f in (exported["fp32"], exported["int8"]):
        assert sorted(p.name for p in f.iterdir()) == ["metadata.yaml", "yolo11n-seg.bin", "yolo11n-seg.xml"]
        meta = yaml.safe_load((f / "metadata.yaml").read_text())
        assert list(meta) == META_KEYS
        assert meta["task"] == "segment" and meta["stride"] == 32 and meta["imgsz"] == [IMGSZ, IMGSZ]
        assert meta["names"][0] == "person" and len(meta["names"]) == 80
        assert list(meta["args"]) == ["batch", "data", "dynamic", "quantize", "nms", "fraction"]
        assert meta["args"]["dynamic"] is True
    assert yaml.safe_load((exported["int8"] / "metadata.yaml").read_text())["args"]["quantize"] == 8
    onnx_model = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx"))
    for path in (exported["int8"], exported["int8"] / "yolo11n-seg.xml", str(exported["int8"]) + os.sep):
        m = YOLO(path)
        b = m.backend
        assert (b.runtime, b.precision) == ("openvino CPU", "int8")
        assert m.names == onnx_model.names and m.task == "segment" and b.stride == 32 and b.imgsz == [IMGSZ, IMGSZ]
        assert b.dynamic and b.fixed_batch is None and b.metadata["args"]["quantize"] == 8
    m = YOLO(exported["fp32"])
    assert (m.backend.runtime, m.backend.precision) == ("openvino CPU", "fp32")
    # model.info() from the IR: the ONNX graph's convolutions, parameters and GFLOPs
    assert m.info(verbose=False) == YOLO(exported["int8"]).info(verbose=False) == onnx_model.info(verbose=False)


def test_fp32_ir_matches_onnxruntime(exported: dict[str, Path], frames: list[np.ndarray], fp32_ref: list) -> None:  # type: ignore[type-arg]
    """The fp32 OpenVINO model against onnxruntime fp32: float rounding only (measured: every detection matched)."""
    m = YOLO(exported["fp32"])
    out = [m.predict(f, imgsz=IMGSZ, verbose=False)[0] for f in frames]
    n_ref, n_out, matched, mious = totals(fp32_ref, out)
    assert n_ref >= 100 and matched >= n_ref - 1 and n_out <= n_ref + 1, (n_ref, n_out, matched)
    assert min(mious) >= 0.95, min(mious)


def test_int8_ir_against_fp32(exported: dict[str, Path], frames: list[np.ndarray], fp32_ref: list) -> None:  # type: ignore[type-arg]
    """The int8 model (NNCF, calibrated on coco8-seg train) against onnxruntime fp32 on 18 real frames and by val on
    coco8-seg val (not used for calibration); batched predict gives what frame by frame gives."""
    m = YOLO(exported["int8"])
    out = [m.predict(f, imgsz=IMGSZ, verbose=False)[0] for f in frames]
    n_ref, n_out, matched, mious = totals(fp32_ref, out)
    # measured here (AMD Zen 4: AVX-512 VNNI and AVX512-BF16, no AMX; imgsz 640): fp32 335 detections, int8 343, 322
    # matched (0.961 / 0.939), mean mask IoU 0.981 (with the stem float too, FLOAT_STEM_MODULES 3: 340, 325 matched,
    # 0.970 / 0.956, IoU 0.985); AVX2 / AMX int8 kernels may differ
    assert matched >= 0.94 * n_ref and matched >= 0.92 * n_out, (n_ref, n_out, matched)
    assert np.mean(mious) >= 0.97, np.mean(mious)
    batched = m.predict(frames[2:6], imgsz=IMGSZ, verbose=False, batch=4)
    for a, b in zip(out[2:6], batched):  # a batch may run on the dynamic compiled model: rounding differs a little
        assert len(a.boxes) == len(b.boxes)
        np.testing.assert_allclose(a.boxes.xyxy, b.boxes.xyxy, atol=1.0)
        np.testing.assert_allclose(a.boxes.conf, b.boxes.conf, atol=0.01)
    ref = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx")).val(
        data=str(exported["val"]), imgsz=IMGSZ, batch=1, verbose=False, plots=False, device="cpu"
    )
    got = m.val(data=str(exported["val"]), imgsz=IMGSZ, batch=1, verbose=False, plots=False)
    # measured here: box 0.6329 -> 0.6062, mask 0.5474 -> 0.5529 (4 images: one detection moves these by ~0.02)
    assert abs(got.seg.map - ref.seg.map) <= 0.02 and abs(got.box.map - ref.box.map) <= 0.04, (got, ref)


def test_int8_scope(exported: dict[str, Path]) -> None:
    """What NNCF left float (nn/quantize.py ``head_ignored_scope``, ``stem_ignored_scope`` with
    ``FLOAT_STEM_MODULES``): no int8 weights in the head (``model.23``); every other module with convolutions has
    them. The stem scope of the fp32 model names the operations of ``model.0`` .. ``model.2`` for n=3, none for 0."""
    import openvino as ov

    from numa_ultralytics.nn.quantize import FLOAT_STEM_MODULES, stem_ignored_scope

    module = re.compile(r"(?:^|[/_])model\.(\d+)(?:[./_]|$)")

    def modules(names: list[str]) -> set[int]:
        return {int(m.group(1)) for m in map(module.search, names) if m is not None}

    core = ov.Core()
    ops = core.read_model(str(exported["int8"] / "yolo11n-seg.xml")).get_ordered_ops()
    convs = modules([o.get_friendly_name() for o in ops if o.get_type_name() == "Convolution"])
    int8 = modules([o.get_friendly_name() for o in ops if "/fq_weights" in o.get_friendly_name()])
    assert convs == set(range(11)) | {13, 16, 17, 19, 20, 22, 23}
    assert int8 == convs - {23} - set(range(FLOAT_STEM_MODULES)), sorted(int8)
    fp32 = core.read_model(str(exported["fp32"] / "yolo11n-seg.xml"))
    stem = stem_ignored_scope(fp32, 3)
    named = [o.get_friendly_name() for o in fp32.get_ordered_ops()]
    assert set(stem) == {n for n in named if (m := module.search(n)) is not None and int(m.group(1)) <= 2}
    stem_convs = [
        o for o in fp32.get_ordered_ops() if o.get_friendly_name() in stem and o.get_type_name() == "Convolution"
    ]
    assert modules([o.get_friendly_name() for o in stem_convs]) == {0, 1, 2}
    assert stem_ignored_scope(fp32, 0) == []


def test_the_rule_for_openvino_models(exported: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """An OpenVINO model runs on OpenVINO on the CPU only: onnxruntime or CUDA asked for is a clear error; half=True
    gives bf16 for an fp32 model (where the CPU has bf16 units) and leaves an int8 one as it is."""
    plan = precision.plan
    assert plan("cpu", graph="int8", ir=True) == precision.Plan("openvino", "int8")
    assert plan("cpu", half=True, graph="int8", ir=True) == precision.Plan("openvino", "int8")
    assert plan("cpu", graph="fp32", ir=True) == precision.Plan("openvino", "fp32")
    with pytest.raises(ValueError, match="runs on the CPU"):
        plan("cuda", ir=True)
    with pytest.raises(ValueError, match="runs on OpenVINO only"):
        plan("cpu", runtime="onnxruntime", ir=True)
    for bf16 in (True, False):
        monkeypatch.setattr(precision, "_BF16", bf16)
        p = plan("cpu", half=True, ir=True)
        assert (p.runtime, p.precision, p.warning is None) == ("openvino", "bf16" if bf16 else "fp32", bf16)
    monkeypatch.undo()
    m = YOLO(exported["int8"])
    with pytest.raises(ValueError, match="runs on OpenVINO only"):
        m.predict(str(need(MEDIA / "images" / "bus.jpg")), runtime="onnxruntime", verbose=False)
    r = m.predict(str(need(MEDIA / "images" / "bus.jpg")), half=True, verbose=False)[0]
    assert (m.backend.runtime, m.backend.precision) == ("openvino CPU", "int8") and len(r.boxes) >= 3


def test_dynamic_int8_on_amx_runs_per_shape(exported: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the CPU has AMX, the dynamic int8 model is never compiled in its dynamic form (OpenVINO's CPU plugin
    crashes on it there, openvinotoolkit/openvino#37577): each input shape gets its own compiled model from the first
    frame, with the same detections (OpenVINO's static and dynamic int8 kernels round differently: measured here up
    to 0.19 px)."""
    im = str(need(MEDIA / "images" / "bus.jpg"))
    ref = YOLO(exported["int8"]).predict(im, verbose=False)[0]
    monkeypatch.setattr(precision, "cpu_has_amx_int8", lambda: True)
    m = YOLO(exported["int8"])
    assert m.backend.session.compiled is None
    got = m.predict(im, verbose=False)[0]
    assert len(got.boxes) == len(ref.boxes) >= 3
    np.testing.assert_array_equal(got.boxes.cls, ref.boxes.cls)
    np.testing.assert_allclose(got.boxes.xyxy, ref.boxes.xyxy, atol=1.0)
    np.testing.assert_allclose(got.boxes.conf, ref.boxes.conf, atol=0.01)


def test_track_on_int8_ir(exported: dict[str, Path], frames: list[np.ndarray]) -> None:
    """Tracking runs unchanged on the OpenVINO model (ids on the people video's frames)."""
    m = YOLO(exported["int8"])
    res = [m.track(f, persist=True, imgsz=IMGSZ, verbose=False)[0] for f in frames[2:8]]
    assert all(r.boxes.id is not None for r in res) and len({int(i) for r in res for i in r.boxes.id}) >= 5


def test_int8_export_without_nncf(tmp_path: Path) -> None:
    """nncf not importable: ``export(format="openvino", int8=True)`` is an ImportError naming the ``[openvino]``
    extra, before any work; the fp32 OpenVINO export needs no nncf."""
    pt = tmp_path / "yolo11n-seg.pt"
    pt.write_bytes(need(MODELS / "yolo11n-seg.pt").read_bytes())
    code = f"""
import sys
sys.modules["nncf"] = None  # nncf missing
from numa_ultralytics import YOLO
m = YOLO({str(pt)!r})
try:
    m.export(format="openvino", int8=True, data="coco8-seg.yaml", imgsz=64)
except ImportError as e:
    print("ImportError:", e)
print(sorted(p.name for p in __import__("pathlib").Path({str(tmp_path)!r}).iterdir()))
print(m.export(format="openvino", imgsz=64))
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    extra = 'pip install "numa_ultralytics[openvino]"'
    # int8=True is 8.4.190's deprecated spelling of quantize=8: its warning first (utils/args.py handle_deprecation)
    assert lines[0] == "WARNING 'int8' is deprecated and will be removed in the future. Use 'quantize' instead."
    assert lines[1] == f"ImportError: export(format='openvino', int8=True) needs NNCF (nncf): {extra}"
    assert lines[2] == "['yolo11n-seg.pt']"  # nothing written
    assert lines[-1] == str(tmp_path / "yolo11n-seg_openvino_model")


def test_openvino_model_without_the_extra(exported: dict[str, Path]) -> None:
    """openvino not importable: loading an OpenVINO model folder is an ImportError naming the extra."""
    code = f"""
import sys
sys.modules["openvino"] = None  # the [openvino] extra missing
from numa_ultralytics import YOLO
try:
    YOLO({str(exported["int8"])!r})
except ImportError as e:
    print("ImportError:", e)
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    extra = 'pip install "numa_ultralytics[openvino]"'
    assert p.stdout.splitlines()[-1] == f"ImportError: an OpenVINO model (_openvino_model/) needs OpenVINO: {extra}"


def test_threads_reach_openvino(exported: dict[str, Path], frames: list[np.ndarray]) -> None:
    """``YOLO(threads=n)`` limits OpenVINO's threads per inference (``INFERENCE_NUM_THREADS``) as it limits
    onnxruntime's, for an OpenVINO model and for an ONNX model run through OpenVINO; the detections don't change."""
    onnx = MODELS / "yolo11n-seg-dynamic.onnx"
    for src, kw in ((exported["fp32"], {}), (onnx, {"runtime": "openvino"})):
        one, default = YOLO(src, threads=1), YOLO(src)
        a = one.predict(frames[0], imgsz=IMGSZ, verbose=False, **kw)[0]
        b = default.predict(frames[0], imgsz=IMGSZ, verbose=False, **kw)[0]
        assert type(one.backend.session).__name__ == "OpenVINOSession"
        compiled = [c for c in (one.backend.session.compiled, *one.backend.session._static.values()) if c is not None]
        assert compiled and all(int(c.get_property("INFERENCE_NUM_THREADS")) == 1 for c in compiled)
        assert int(default.backend.session.compiled.get_property("INFERENCE_NUM_THREADS")) == (os.cpu_count() or 1)
        assert a.boxes.data.tolist() == b.boxes.data.tolist() and len(a.boxes) > 0


def test_int8_ir_on_avx2_kernels(exported: dict[str, Path]) -> None:
    """The int8 model on an AVX2 CPU's kernels, on any CPU: oneDNN's ``ONEDNN_MAX_CPU_ISA=AVX2`` caps the instruction
    set OpenVINO's CPU plugin uses (``jit_avx2_I8`` convolutions: u8 x s8 pairs summed by VPMADDUBSW, which can
    saturate, where VNNI sums exactly), checked from the compiled model's kernel names, so the test fails if the cap
    stops taking effect. Same 18 frames as ``test_int8_ir_against_fp32``, against onnxruntime fp32 (which the cap does
    not touch). Measured on the Zen 4 machine capped to AVX2: fp32 335, int8 338, 321 matched (0.958 / 0.950), mean
    mask IoU 0.981 (uncapped, VNNI: 343 / 322 / 0.981; capped to AVX512_CORE, AVX-512 without VNNI: as AVX2)."""
    code = f"""
import json, sys
import numpy as np
import openvino as ov
sys.path.insert(0, {str(ROOT)!r})
from numa_ultralytics import YOLO
from tests.helpers import totals, video_frames
import cv2
core = ov.Core()
xml = str(next(__import__("pathlib").Path({str(exported["int8"])!r}).glob("*.xml")))
compiled = core.compile_model(xml, "CPU", {{"INFERENCE_PRECISION_HINT": "f32"}})
kernels = sorted({{op.get_rt_info()["primitiveType"].astype(str) for op in compiled.get_runtime_model().get_ops()
                  if op.get_rt_info()["layerType"].astype(str) == "Convolution"
                  and op.get_rt_info()["runtimePrecision"].astype(str) == "u8"}})
media = {str(MEDIA)!r}
frames = [cv2.imread(media + "/images/" + n) for n in ("bus.jpg", "zidane.jpg")]
frames += video_frames(__import__("pathlib").Path(media + "/videos/seeed_people-walking.mp4"), 16, step=10)
ref = YOLO({str(MODELS / "yolo11n-seg-dynamic.onnx")!r})
m = YOLO({str(exported["int8"])!r})
n_ref, n_out, matched, mious = totals([ref.predict(f, imgsz={IMGSZ}, verbose=False)[0] for f in frames],
                                      [m.predict(f, imgsz={IMGSZ}, verbose=False)[0] for f in frames])
print(json.dumps({{"kernels": kernels, "n": [n_ref, n_out, matched], "iou": float(np.mean(mious)),
                  "precision": m.backend.precision}}))
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python"), "ONEDNN_MAX_CPU_ISA": "AVX2"}
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    out = json.loads(p.stdout.splitlines()[-1])
    assert out["kernels"] and all("avx2" in k and k.endswith("I8") for k in out["kernels"]), out["kernels"]
    assert out["precision"] == "int8"
    n_ref, n_out, matched = out["n"]
    assert n_ref > 300 and matched >= 0.94 * n_ref and matched >= 0.92 * n_out, out
    assert out["iou"] >= 0.97, out
