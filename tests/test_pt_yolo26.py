"""YOLO26 (end-to-end, NMS-free) detect and segment from ``.pt``, without torch.

The graphs built from the shared ``yolo26n-seg.pt`` / ``yolo26n.pt`` (one-to-one branches, ``reg_max`` 1, xyxy boxes,
Ultralytics' top-k selection, ``Segment26`` with ``Proto26``) are compared with Ultralytics 8.4.190's ONNX exports of
the same checkpoints on real letterboxed images; predict and track are compared with the original's reference
outputs (``../shared/reference/public_yolo26n-seg.json``). The mask branch of ``yolo26n-seg.pt`` is seeded, not
trained (``../shared/models/MANIFEST.md``): its masks are arbitrary but deterministic, which is what parity needs.
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime as ort
import pytest

from numa_ultralytics import YOLO
from numa_ultralytics.nn.checkpoint import load_checkpoint
from numa_ultralytics.nn.onnx_builder import build_onnx
from numa_ultralytics.nn.pt_loader import pt_to_onnx

from .conftest import MEDIA, MODELS, REFERENCE, need
from .helpers import dims, letterbox, meta, session

NAMES = {"yolo26n-seg": 38, "yolo26n": 6}  # model -> end-to-end row width (6 + mask coefficients)
TOL = 1e-4  # the graphs give 0.0 today; the bound is the issue's


def max_diffs(a: ort.InferenceSession, b: ort.InferenceSession, x: np.ndarray) -> list[float]:
    names = [o.name for o in b.get_outputs()]
    ra, rb = a.run(names, {"images": x}), b.run(None, {"images": x})
    for o, p in zip(ra, rb):
        assert o.shape == p.shape and o.dtype == p.dtype == np.float32
    return [float(np.abs(o - p).max()) for o, p in zip(ra, rb)]


@pytest.fixture(scope="module", autouse=True)
def _cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("NUMA_ULTRALYTICS_CACHE_DIR", str(tmp_path_factory.mktemp("cache26")))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def pt_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("pt26")
    for name in NAMES:
        shutil.copy(need(MODELS / f"{name}.pt"), d / f"{name}.pt")
    return d


@pytest.fixture(scope="module")
def built(pt_dir) -> dict[str, Path]:
    return {name: pt_to_onnx(pt_dir / f"{name}.pt") for name in NAMES}


@pytest.fixture(scope="module")
def images() -> dict[str, np.ndarray]:
    return {n: cv2.imread(str(need(MEDIA / "images" / f"{n}.jpg"))) for n in ("bus", "zidane")}


# -------------------------------------------------------------------------------- the graph


@pytest.mark.parametrize("name", list(NAMES))
def test_built_graph_equals_ultralytics_export(built, images, name):
    ours, ref = session(built[name]), session(need(MODELS / f"{name}-dynamic.onnx"))
    for img_name, img in images.items():
        for h, w in ((640, 640), (640, 480), (384, 640), (320, 320)):
            x = letterbox(img, h, w)
            diffs = max_diffs(ours, ref, x)
            assert max(diffs) <= TOL, f"{name} {img_name} {(h, w)}: max abs diff {diffs}"
            out0 = ours.run(["output0"], {"images": x})[0]
            assert out0.shape == (1, 300, NAMES[name])
            # rows sorted by score, class indices in 0..79, xyxy boxes inside the input
            assert np.all(np.diff(out0[0, :, 4]) <= 0) and set(np.unique(out0[0, :, 5])) <= set(range(80))
            conf = out0[0, :, 4] > 0.5
            assert conf.any(), f"{name} {img_name}: no confident detection"
            b = out0[0, conf, :4]
            assert np.all(b[:, 2] > b[:, 0]) and np.all(b[:, 3] > b[:, 1])
            assert b.min() > -8 and np.all(b[:, [0, 2]] < w + 8) and np.all(b[:, [1, 3]] < h + 8)  # unclipped
    x = np.concatenate([letterbox(images["bus"], 320, 256), letterbox(images["zidane"], 320, 256)])
    assert max(max_diffs(ours, ref, x)) <= TOL
    # the detection head's inputs are outputs too (ReID 'model: auto'), one map per stride
    feats = ours.run(["feats0", "feats1", "feats2"], {"images": x})
    assert [f.shape for f in feats] == [(2, 64 * 2**i, 320 // s, 256 // s) for i, s in enumerate((8, 16, 32))]


def test_small_inputs_keep_every_anchor(built, images):
    """k = min(max_det, anchors) is computed in the graph: a 64x96 input (126 anchors) gives 126 rows (the original's
    dynamic export bakes k=300 and cannot run it)."""
    out = session(built["yolo26n-seg"]).run(None, {"images": letterbox(images["bus"], 64, 96)})
    assert out[0].shape == (1, 8 * 12 + 4 * 6 + 2 * 3, 38) and out[1].shape == (1, 32, 16, 24)


@pytest.mark.parametrize("name", list(NAMES))
def test_graph_interface_and_metadata(built, name):
    ours = session(built[name])
    ref_path = need(MODELS / f"{name}-dynamic.onnx")
    ref = session(ref_path)
    n_out = len(ref.get_outputs())
    assert [o.name for o in ours.get_outputs()] == [o.name for o in ref.get_outputs()] + ["feats0", "feats1", "feats2"]
    assert [o.shape for o in ours.get_outputs()[:n_out]] == [o.shape for o in ref.get_outputs()]
    a, b = meta(built[name]), meta(ref_path)
    assert set(a) == set(b)
    for k in b:
        if k not in ("date", "args"):
            assert a[k] == b[k], k
    assert a["end2end"] == "True" and a["head"] == ("Segment26" if name == "yolo26n-seg" else "Detect")


def test_opsets(pt_dir, images):
    """ReduceMax took its axes as an attribute before opset 18: every supported opset gives the same numbers."""
    ck = load_checkpoint(pt_dir / "yolo26n.pt")
    x = letterbox(images["bus"], 320, 320)
    outs = [session(build_onnx(ck, opset=o)).run(None, {"images": x})[0] for o in (15, 17, 18)]
    assert all(np.array_equal(outs[0], o) for o in outs[1:])


# -------------------------------------------------------------------------------- export


def test_static_export_equals_ultralytics(pt_dir, images):
    f = YOLO(str(pt_dir / "yolo26n-seg.pt")).export(format="onnx")
    ref_path = need(MODELS / "yolo26n-seg.onnx")
    m_ours, m_ref = onnx.load(f), onnx.load(str(ref_path))
    assert dims(m_ours.graph.input) == dims(m_ref.graph.input) == [[1, 3, 640, 640]]
    assert dims(m_ours.graph.output) == dims(m_ref.graph.output) == [[1, 300, 38], [1, 32, 160, 160]]
    assert m_ours.opset_import[0].version == m_ref.opset_import[0].version == 18
    ours, ref = session(f), session(ref_path)
    for img_name, img in images.items():
        diffs = max_diffs(ours, ref, letterbox(img, 640, 640))
        assert max(diffs) <= TOL, f"{img_name}: max abs diff {diffs}"
    a, b = meta(f), meta(ref_path)
    assert {k: v for k, v in a.items() if k != "date"} == {k: v for k, v in b.items() if k != "date"}
    assert ast.literal_eval(a["args"])["dynamic"] is False


@pytest.mark.parametrize("name", list(NAMES))
def test_dynamic_export_equals_ultralytics(pt_dir, images, name, tmp_path):
    pt = Path(shutil.copy(pt_dir / f"{name}.pt", tmp_path / f"{name}.pt"))
    f = YOLO(str(pt)).export(format="onnx", dynamic=True)
    ref_path = need(MODELS / f"{name}-dynamic.onnx")
    ours, ref = session(f), session(ref_path)
    assert [o.shape for o in ours.get_outputs()] == [o.shape for o in ref.get_outputs()]
    for x in (letterbox(images["bus"], 640, 480), letterbox(images["zidane"], 384, 640)):
        assert max(max_diffs(ours, ref, x)) <= TOL
    a, b = meta(f), meta(ref_path)
    assert {k: v for k, v in a.items() if k != "date"} == {k: v for k, v in b.items() if k != "date"}


def test_export_max_det(pt_dir, images, tmp_path):
    """``max_det`` / ``agnostic_nms`` shape the end-to-end selection as the original's export bakes them."""
    pt = Path(shutil.copy(pt_dir / "yolo26n-seg.pt", tmp_path / "m.pt"))
    full = session(need(MODELS / "yolo26n-seg-dynamic.onnx")).run(None, {"images": letterbox(images["bus"], 320, 320)})
    f = YOLO(str(pt)).export(format="onnx", imgsz=320, max_det=50)
    out = session(f).run(None, {"images": letterbox(images["bus"], 320, 320)})
    assert out[0].shape == (1, 50, 38)
    np.testing.assert_array_equal(out[0][0], full[0][0, :50])  # the first 50 of the 300, in the same order
    f = YOLO(str(pt)).export(format="onnx", imgsz=320, max_det=50, agnostic_nms=True)
    agn = session(f).run(None, {"images": letterbox(images["bus"], 320, 320)})[0][0]
    assert len(set(map(tuple, agn[:, :4].tolist()))) == 50  # one row per anchor


# -------------------------------------------------------------------------------- predict / track / info


def test_predict_matches_reference(pt_dir):
    ref = json.loads(need(REFERENCE / "public_yolo26n-seg.json").read_text())
    model = YOLO(str(pt_dir / "yolo26n-seg.pt"))
    assert model.task == "segment"
    for name, r in ref["images"].items():
        got = model.predict(cv2.imread(str(need(MEDIA / "images" / name))), verbose=False)[0]
        assert [int(c) for c in got.boxes.cls.tolist()] == r["cls"], name
        np.testing.assert_allclose(got.boxes.xyxy.numpy(), np.array(r["xyxy"]).reshape(-1, 4), atol=2e-3)
        np.testing.assert_allclose(got.boxes.conf.numpy(), np.array(r["conf"]), atol=1e-4)
        assert len(got.masks.xy) == len(r["polygons"])


@pytest.mark.parametrize("tracker", ["bytetrack.yaml", "botsort.yaml"])
def test_track_matches_reference_first_frames(pt_dir, people_video, tracker):
    ref = json.loads(need(REFERENCE / "public_yolo26n-seg.json").read_text())
    ref_frames = ref["videos"]["seeed_people-walking.mp4"]["track"][tracker][:8]
    model = YOLO(str(pt_dir / "yolo26n-seg.pt"))
    cap = cv2.VideoCapture(str(people_video))
    for r in ref_frames:
        got = model.track(cap.read()[1], persist=True, tracker=tracker, verbose=False)[0]
        assert got.boxes.id.int().cpu().tolist() == r["id"]
        np.testing.assert_allclose(got.boxes.xyxy.numpy(), np.array(r["xyxy"]).reshape(-1, 4), atol=1e-2)
    cap.release()


def test_detect_model_predicts_and_info(pt_dir, images):
    model = YOLO(str(pt_dir / "yolo26n.pt"))
    assert model.task == "detect"
    r = model.predict(images["bus"], verbose=False)[0]
    assert r.masks is None and len(r) > 0 and r.boxes.data.shape[1] == 6
    # the numbers Ultralytics 8.4.190's (fused) model.info() gives: 2,408,932 parameters, 19,644 gradients, 5.48
    # GFLOPs (tests/fixtures/info_reference.json)
    layers, params, grads, flops = model.info(verbose=False)
    assert (params, grads, round(flops, 2)) == (2_408_932, 19_644, 5.48)
    _, params, _, flops = YOLO(str(pt_dir / "yolo26n-seg.pt")).info(verbose=False)
    assert (params, round(flops, 2)) == (2_722_980, 9.25)


# -------------------------------------------------------------------------------- defaults


def test_default_models_are_8_4_190s(monkeypatch):
    """``YOLO()`` loads yolo26n.pt; the command line's default per task is 8.4.190's ``TASK2MODEL`` (one constant)."""
    from numa_ultralytics.cfg import parsing, val
    from numa_ultralytics.engine import distributed
    from numa_ultralytics.utils.args import DEFAULT_MODEL, TASK2MODEL, default_model

    assert TASK2MODEL == {"detect": "yolo26n.pt", "segment": "yolo26n-seg.pt"} and DEFAULT_MODEL == "yolo26n.pt"
    assert default_model("segment") == "yolo26n-seg.pt" and default_model(None) == default_model("detect")
    assert parsing.TASK2MODEL is TASK2MODEL and not hasattr(parsing, "DEFAULT_MODELS")
    assert not hasattr(val, "_DEFAULT_MODELS")
    assert "yolo26n-seg.pt" in parsing.SPECS["model"].help and "yolo26n-seg.pt" in val.val_usage()
    assert distributed.track_videos.__defaults__[0] == "yolo26n-seg.pt"
    monkeypatch.setenv("NUMA_ULTRALYTICS_WEIGHTS_DIR", str(need(MODELS / "yolo26n.pt").parent))
    model = YOLO()
    assert model.task == "detect" and Path(model.ckpt_path).name == "yolo26n.pt"
