"""``model.export`` / ``numa-yolo export``: .pt -> ONNX without torch, checked against the Ultralytics 8.4.190 exports.

The shared checkpoints are copied into a temp folder first (the export is written beside the checkpoint), then the
exported files are run by plain onnxruntime on letterboxed shared images and compared with the Ultralytics exports
of the same weights (``../shared/models/*.onnx``).
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime as ort
import pytest

from numa_ultralytics import YOLO
from numa_ultralytics.utils.args import ArgError

from .conftest import MEDIA, MODELS, need
from .helpers import dims, letterbox, meta, session

MODEL_NAMES = ["yolo11n-seg", "yolov8n-seg"]
TOL = 1e-4


@pytest.fixture(scope="module")
def images() -> dict[str, np.ndarray]:
    return {p.stem: cv2.imread(str(p)) for p in sorted(need(MEDIA / "images").glob("*.jpg"))}


@pytest.fixture(scope="module")
def pt_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("export")
    for name in MODEL_NAMES:
        shutil.copy(need(MODELS / f"{name}.pt"), d / f"{name}.pt")
    return d


@pytest.fixture(scope="module")
def static_exports(pt_dir) -> dict[str, Path]:
    out = {}
    for name in MODEL_NAMES:
        f = YOLO(str(pt_dir / f"{name}.pt")).export(format="onnx")
        assert isinstance(f, str) and Path(f) == pt_dir / f"{name}.onnx"  # beside the checkpoint, as Ultralytics
        out[name] = Path(f)
    return out


def max_diffs(a: ort.InferenceSession, b: ort.InferenceSession, x: np.ndarray) -> list[float]:
    ra, rb = a.run(None, {"images": x}), b.run(None, {"images": x})
    assert len(ra) == len(rb) == 2
    for o, p in zip(ra, rb):
        assert o.shape == p.shape and o.dtype == p.dtype == np.float32
    return [float(np.abs(o - p).max()) for o, p in zip(ra, rb)]


# -------------------------------------------------------------------------------- parity with Ultralytics


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_static_export_equals_ultralytics(static_exports, images, name):
    ours_path, ref_path = static_exports[name], need(MODELS / f"{name}.onnx")
    ours, ref = session(ours_path), session(ref_path)
    m_ours, m_ref = onnx.load(str(ours_path)), onnx.load(str(ref_path), load_external_data=False)
    assert dims(m_ours.graph.input) == dims(m_ref.graph.input) == [[1, 3, 640, 640]]
    assert dims(m_ours.graph.output) == dims(m_ref.graph.output) == [[1, 116, 8400], [1, 32, 160, 160]]
    assert m_ours.opset_import[0].version == m_ref.opset_import[0].version == 18
    assert len(images) >= 2
    for img_name, img in images.items():
        diffs = max_diffs(ours, ref, letterbox(img, 640, 640))
        assert max(diffs) <= TOL, f"{name} {img_name}: max abs diff {diffs}"
    # the metadata Ultralytics writes, value for value (but the date)
    a, b = meta(ours_path), meta(ref_path)
    assert set(a) == set(b)
    for k in b:
        if k != "date":
            assert a[k] == b[k], k
    assert ast.literal_eval(a["args"]) == {
        "data": None,
        "batch": 1,
        "fraction": 1.0,
        "quantize": None,
        "nms": None,
        "dynamic": False,
        "simplify": True,
        "opset": None,
    }


def test_dynamic_export_equals_ultralytics(pt_dir, images, tmp_path):
    pt = tmp_path / "yolo11n-seg.pt"
    shutil.copy(pt_dir / "yolo11n-seg.pt", pt)
    f = YOLO(str(pt)).export(format="onnx", dynamic=True)
    assert f == str(tmp_path / "yolo11n-seg.onnx")
    ref_path = need(MODELS / "yolo11n-seg-dynamic.onnx")
    ours, ref = session(f), session(ref_path)
    assert (
        [i.shape for i in ours.get_inputs()] == [i.shape for i in ref.get_inputs()] == [["batch", 3, "height", "width"]]
    )
    assert [o.shape for o in ours.get_outputs()] == [o.shape for o in ref.get_outputs()]
    bus, zidane = images["bus"], images["zidane"]
    for x in (
        letterbox(bus, 640, 480),
        letterbox(zidane, 384, 640),
        np.concatenate([letterbox(bus, 320, 256), letterbox(zidane, 320, 256)]),
    ):
        diffs = max_diffs(ours, ref, x)
        assert max(diffs) <= TOL, f"{x.shape}: max abs diff {diffs}"
    a, b = meta(f), meta(ref_path)
    assert {k: v for k, v in a.items() if k != "date"} == {k: v for k, v in b.items() if k != "date"}


def test_exported_model_predicts_as_ultralytics_export(static_exports, images):
    """The written file loads in YOLO and gives the Ultralytics export's detections, masks included."""
    ours = YOLO(str(static_exports["yolo11n-seg"]))
    ref = YOLO(str(need(MODELS / "yolo11n-seg.onnx")))
    assert ours.names == ref.names and ours.backend.static_hw == ref.backend.static_hw == (640, 640)
    for img in images.values():
        a, b = ours.predict(img, verbose=False)[0], ref.predict(img, verbose=False)[0]
        assert len(a.boxes) == len(b.boxes) >= 1
        np.testing.assert_allclose(a.boxes.data, b.boxes.data, atol=1e-3)
        assert np.array_equal(a.masks.data.cpu().numpy(), b.masks.data.cpu().numpy())


# -------------------------------------------------------------------------------- arguments


def test_imgsz_batch_opset(pt_dir, images, tmp_path):
    pt = tmp_path / "m.pt"
    shutil.copy(pt_dir / "yolov8n-seg.pt", pt)
    model = YOLO(str(pt))
    f = model.export(imgsz=[384, 640], batch=2, opset=17)
    m = onnx.load(f)
    assert dims(m.graph.input) == [[2, 3, 384, 640]]
    assert dims(m.graph.output) == [[2, 116, 48 * 80 + 24 * 40 + 12 * 20], [2, 32, 96, 160]]
    assert m.opset_import[0].version == 17 and m.ir_version == 8
    md = meta(f)
    assert ast.literal_eval(md["imgsz"]) == [384, 640] and md["batch"] == "2"
    args = ast.literal_eval(md["args"])
    assert args["batch"] == 2 and args["opset"] == 17 and args["dynamic"] is False
    # same numbers as the Ultralytics dynamic export at that shape
    x = np.concatenate([letterbox(images["bus"], 384, 640), letterbox(images["zidane"], 384, 640)])
    assert max(max_diffs(session(f), session(need(MODELS / "yolov8n-seg-dynamic.onnx")), x)) <= TOL
    # an int imgsz, rounded up to the stride as Ultralytics' check_imgsz
    f = model.export(imgsz=300)
    assert dims(onnx.load(f).graph.input) == [[1, 3, 320, 320]] and ast.literal_eval(meta(f)["imgsz"]) == [320, 320]


def test_half_exports_fp16_graph_with_fp32_io(pt_dir, tmp_path):
    pt = tmp_path / "h.pt"
    shutil.copy(pt_dir / "yolo11n-seg.pt", pt)
    f = YOLO(str(pt)).export(half=True)
    m = onnx.load(f)
    assert m.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert {o.type.tensor_type.elem_type for o in m.graph.output} == {onnx.TensorProto.FLOAT}
    floats = {i.data_type for i in m.graph.initializer} - {onnx.TensorProto.INT64}
    assert onnx.TensorProto.FLOAT16 in floats
    # it runs, and its outputs are close to the fp32 graph's (accuracy: tests/test_gpu_path.py)
    x = np.random.default_rng(0).random((1, 3, 640, 640), dtype=np.float32)
    o16 = session(f).run(None, {"images": x})
    o32 = session(YOLO(str(pt)).export()).run(None, {"images": x})
    assert all(a.dtype == np.float32 and a.shape == b.shape for a, b in zip(o16, o32))
    assert np.abs(o16[1] - o32[1]).max() < 0.05


def test_int8_with_half_exports_int8_that_loads_and_predicts(pt_dir, tmp_path, caplog):
    """``int8=True, half=True``: as Ultralytics 8.4.190, ``quantize=8`` (int8 wins over half, with its deprecation
    warning: tests/fixtures/deprecated_reference.json; an fp16 graph cannot feed int8 QDQ nodes); the file loads and
    predicts as the int8 export does."""
    pt = tmp_path / "q.pt"
    shutil.copy(pt_dir / "yolo11n-seg.pt", pt)
    data = tmp_path / "coco8-seg.yaml"
    names = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx")).names
    data.write_text(f"path: {need(MEDIA / 'coco8-seg')}\ntrain: images/train\nval: images/val\nnames: {names}\n")
    with caplog.at_level("WARNING", logger="numa_ultralytics"):
        f = YOLO(str(pt)).export(format="onnx", int8=True, half=True, data=str(data), imgsz=320, dynamic=True)
    assert "'int8' is deprecated and will be removed in the future. Use 'quantize' instead." in caplog.text
    m = onnx.load(f)
    assert not {i.data_type for i in m.graph.initializer} & {onnx.TensorProto.FLOAT16}
    model = YOLO(f)  # loads (before: fp16 into DequantizeLinear, a ValueError from onnxruntime)
    assert model.backend.precision == "int8"
    r = model.predict(str(need(MEDIA / "images" / "bus.jpg")), imgsz=320, device="cpu", verbose=False)[0]
    assert len(r.boxes) >= 3 and {model.names[int(c)] for c in r.boxes.cls} >= {"person", "bus"}


def test_errors(pt_dir, tmp_path, seg_onnx):
    pt = tmp_path / "e.pt"
    shutil.copy(pt_dir / "yolo11n-seg.pt", pt)
    model = YOLO(str(pt))
    with pytest.raises(ArgError, match="format='engine'.*'onnx'"):
        model.export(format="engine")
    with pytest.raises(ArgError, match="opset=12"):
        model.export(opset=12)
    with pytest.raises(ArgError, match="imgsz"):
        model.export(imgsz=[1, 2, 3])
    with pytest.raises(ArgError, match="batch"):
        model.export(batch=0)
    with pytest.raises(TypeError, match="'conff' is not a valid export argument"):
        model.export(conff=0.5)
    with pytest.raises(NotImplementedError, match="nms"):
        model.export(nms=True)
    assert not (tmp_path / "e.onnx").exists()
    with pytest.raises(TypeError, match=r"not a \*\.pt checkpoint.*no.*weights|none to export from"):
        YOLO(str(seg_onnx)).export(format="onnx")


def test_bare_name_exports_into_cwd(pt_dir, tmp_path, monkeypatch):
    """A bare name found in the weights folder is exported into the current folder, never into the weights folder."""
    weights = tmp_path / "weights"
    weights.mkdir()
    shutil.copy(pt_dir / "yolo11n-seg.pt", weights / "yolo11n-seg.pt")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("NUMA_ULTRALYTICS_WEIGHTS_DIR", str(weights))
    f = YOLO("yolo11n-seg.pt").export(format="onnx")
    assert f == "yolo11n-seg.onnx" and (work / f).is_file()
    assert sorted(p.name for p in weights.iterdir()) == ["yolo11n-seg.pt"]


# -------------------------------------------------------------------------------- command line


def cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, NUMA_ULTRALYTICS_OFFLINE="1")
    env.pop("NUMA_ULTRALYTICS_WEIGHTS_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "numa_ultralytics", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=240
    )


def test_cli_export(pt_dir, tmp_path):
    pt = tmp_path / "c.pt"
    shutil.copy(pt_dir / "yolo11n-seg.pt", pt)
    p = cli(["export", f"model={pt}", "format=onnx", "imgsz=640", "dynamic=True"], tmp_path)
    assert p.returncode == 0, p.stderr
    out = tmp_path / "c.onnx"
    assert dims(onnx.load(str(out)).graph.input) == [["batch", 3, "height", "width"]]
    assert ast.literal_eval(meta(out)["args"])["dynamic"] is True and str(out) in p.stdout
    p = cli(["segment", "export", f"model={pt}", "imgsz=320,480", "batch=2"], tmp_path)
    assert p.returncode == 0, p.stderr
    assert dims(onnx.load(str(out)).graph.input) == [[2, 3, 320, 480]]
    cases = [
        (["export", f"model={pt}", "format=engine"], "format"),
        (["export", f"model={pt}", "opset=9"], "opset"),
        (["export", f"model={pt}", "dynamic=maybe"], "dynamic"),
        (["export", f"model={pt}", "conf=0.5"], "conf"),
        (["export", f"model={tmp_path / 'missing.pt'}"], "missing.pt"),
        (["export", f"model={need(MODELS / 'yolo11n-seg.onnx')}"], "model="),
        (["predict", "source=x.jpg", "format=onnx"], "format"),
    ]
    for argv, needle in cases:
        p = cli(argv, tmp_path)
        assert p.returncode == 2, (argv, p.stderr)
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("numa-yolo: error:") and needle in lines[0], (argv, p.stderr)


def _coco8_yaml(tmp_path: Path) -> Path:
    data = tmp_path / "coco8-seg.yaml"
    names = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx")).names
    data.write_text(f"path: {need(MEDIA / 'coco8-seg')}\ntrain: images/train\nval: images/val\nnames: {names}\n")
    return data


def test_export_has_predicts_bounds(pt_dir, tmp_path):
    """Issue 22.8: ``imgsz=10000`` took 12 s, then failed in ORT; ``batch=10**6`` gave numpy's "4.47 TiB"; a static
    batch int8 calibration with fewer images than the batch a raw ORT error. Now each is a clear error, at once."""
    import time

    from numa_ultralytics.utils.args import MAX_BATCH, MAX_IMGSZ

    pt = tmp_path / "b.pt"
    shutil.copy(pt_dir / "yolo11n-seg.pt", pt)
    model = YOLO(str(pt))
    for kw, match in (
        ({"imgsz": 10000}, f"imgsz=10000.*1 to {MAX_IMGSZ}"),
        ({"imgsz": [640, MAX_IMGSZ + 1]}, "MAX_IMGSZ"),
        ({"batch": 10**6}, f"batch=1000000.*at most {MAX_BATCH}"),
    ):
        t0 = time.monotonic()
        with pytest.raises(ArgError, match=match):
            model.export(format="onnx", **kw)
        assert time.monotonic() - t0 < 2, kw
    with pytest.raises(ValueError, match="static batch=8 export needs at least 8 images.*has 4"):
        model.export(format="onnx", int8=True, data=str(_coco8_yaml(tmp_path)), imgsz=160, batch=8)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.pt", "coco8-seg.yaml"]  # nothing left behind


def test_sigterm_during_int8_export_leaves_no_temporaries(pt_dir, tmp_path):
    """Issue 22.10: SIGTERM while the int8 export calibrates left ``.b_int8.*.fp32.onnx`` (11.5 MB) and a 0-byte
    ``.b_int8.*.int8.onnx``. Now it exits 143 and removes both; no ``b_int8.onnx`` appears. The signal goes when the
    temporary fp32 graph is written (the calibration has started), a state, not a time."""
    import signal
    import time

    pt = tmp_path / "b.pt"
    shutil.copy(pt_dir / "yolo11n-seg.pt", pt)
    data = _coco8_yaml(tmp_path)
    code = (
        "import signal, sys; signal.signal(signal.SIGTERM, signal.SIG_DFL)\n"
        "from numa_ultralytics import YOLO\n"
        f"YOLO({str(pt)!r}).export(format='onnx', int8=True, data={str(data)!r}, imgsz=640, dynamic=True)\n"
        "print('not reached')\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    fp32 = []
    while time.monotonic() < deadline and proc.poll() is None:
        fp32 = [p for p in tmp_path.glob(".b_int8.*.fp32.onnx") if p.stat().st_size > 1 << 20]
        if fp32:  # written: the quantizer is reading it or calibrating
            proc.send_signal(signal.SIGTERM)
            break
        time.sleep(0.01)
    out, err = proc.communicate(timeout=120)
    assert fp32, "the export never reached its calibration"
    assert proc.returncode == 143, err[-2000:]
    assert b"not reached" not in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.pt", "coco8-seg.yaml"], list(tmp_path.iterdir())
