"""Everything built on the graph, for every family (issue 23 item 3): the stored zoo checkpoints (tests/fixtures/zoo:
YOLO12, YOLOv10 end-to-end, YOLOv9t, YOLOv3u, YOLOv9c-seg, YOLOv9e-seg; random init) and 8.4.190's default family
(the shared YOLO26n-seg / YOLO26n checkpoints), each through the same pipeline with no per-family case:

- OpenVINO f32 (``runtime="openvino"``, what ``half=True`` runs in bf16) gives onnxruntime's raw outputs;
- ReID ``model: auto`` pools the detector's own features (YOLOv9t's head inputs, 64/96/128 channels, are not
  multiples of the smallest: rust/src/reid.rs follows the original's reshape) and the tracker keeps them;
- ``export(half=True)`` and ``export(format="openvino")`` run and agree with the fp32 graph;
- a batch gives each image's own detections.

Random-init weights give tiny, near-equal scores (~2e-4), so raw outputs are compared (boxes to 1e-4 of their scale,
scores to 1e-6 absolute, as tests/test_pt_zoo.py), and a tracker with every threshold at 0 makes tracks from them.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from numa_ultralytics import YOLO

from .conftest import IN_CI, MEDIA, MODELS, need
from .helpers import coco8_yaml, letterbox, session

if not IN_CI:  # in CI the [openvino] extra is installed: a missing one fails there
    pytest.importorskip("openvino", reason="the [openvino] extra is not installed")

ZOO = Path(__file__).resolve().parent / "fixtures" / "zoo"
FAMILIES = sorted(p.stem for p in ZOO.glob("*.pt")) + ["yolo26n-seg", "yolo26n"]
TOL = 1e-4


def checkpoint(name: str) -> Path:
    return ZOO / f"{name}.pt" if (ZOO / f"{name}.pt").exists() else need(MODELS / f"{name}.pt")


def inputs(name: str) -> list[np.ndarray]:
    """The zoo's stored inputs (bus letterboxed to 160x160, a random 128x192 image), or a real frame for YOLO26."""
    if (ZOO / f"{name}.npz").exists():
        ref = np.load(ZOO / f"{name}.npz")
        return [ref[f"input_{k}"].astype(np.float32) / 255.0 for k in ("bus", "random") if f"input_{k}" in ref]
    return [letterbox(cv2.imread(str(need(MEDIA / "images" / "bus.jpg"))), 640, 480)]


def assert_close(got: np.ndarray, want: np.ndarray, what: str) -> None:
    assert got.shape == want.shape, (what, got.shape, want.shape)
    assert np.abs(got - want).max() <= TOL * max(1.0, float(np.abs(want).max())), what


@pytest.mark.parametrize("name", FAMILIES)
def test_openvino_f32_equals_onnxruntime(name: str) -> None:
    """The graph built from the checkpoint, on OpenVINO f32 and on onnxruntime: the same raw outputs (end-to-end
    rows included: nn/openvino_onnx.py hands their row gathers to OpenVINO as GatherND)."""
    ort_model, ov_model = YOLO(checkpoint(name)), YOLO(checkpoint(name))
    ov_model.predict(inputs(name)[0][0].transpose(1, 2, 0), runtime="openvino", verbose=False)  # opens OpenVINO
    ov_backend = ov_model.backend
    assert type(ov_backend.session).__name__ == "OpenVINOSession"
    ref_sess = session(ort_model.backend.path)
    out_names = [o.name for o in ref_sess.get_outputs() if not o.name.startswith("feats")]
    for x in inputs(name):
        want = ref_sess.run(out_names, {"images": x})
        got = ov_backend.session.run(out_names, {"images": x})
        for n, g, w in zip(out_names, got, want):
            if ort_model.backend.end2end and n == "output0":  # rows [x1, y1, x2, y2, score, class, coefs...]
                order_g, order_w = np.argsort(-g[0, :, 4], kind="stable"), np.argsort(-w[0, :, 4], kind="stable")
                assert_close(np.sort(g[0, :, 4]), np.sort(w[0, :, 4]), f"{name} scores")
                if np.unique(w[0, :, 4]).size == w.shape[1]:  # no tied scores: the rows themselves
                    assert_close(g[0, order_g], w[0, order_w], f"{name} rows")
            else:
                assert_close(g, w, f"{name} {n}")


@pytest.mark.parametrize("name", FAMILIES)
def test_reid_auto_tracks_with_detector_features(name: str, tmp_path: Path) -> None:
    """BoT-SORT with ``with_reid: True, model: auto`` on each family's own head features: tracks are made and each
    detection carries its pooled feature (of the smallest head input's width)."""
    cfg = yaml.safe_load(need(Path(__file__).resolve().parents[2] / "shared" / "reference" / "trackers" /
                              "botsort-reid.yaml").read_text())  # fmt: skip
    cfg.update(track_high_thresh=0.0, track_low_thresh=0.0, new_track_thresh=0.0)
    (tmp_path / "reid.yaml").write_text(yaml.safe_dump(cfg))
    model = YOLO(checkpoint(name))
    im = (inputs(name)[0][0].transpose(1, 2, 0) * 255).astype(np.uint8)
    conf = 0.0 if (ZOO / f"{name}.pt").exists() else 0.25
    for _ in range(2):
        r = model.track(
            np.ascontiguousarray(im[:, :, ::-1]), tracker=str(tmp_path / "reid.yaml"), conf=conf, verbose=False
        )[0]
    assert r.boxes.id is not None and len(r.boxes) > 0
    width = min(int(o.shape[1]) for o in model.backend.session.get_outputs() if o.name.startswith("feats"))
    feats = np.asarray(r.feats)
    assert feats.shape == (len(r.boxes), width) and np.isfinite(feats).all() and np.abs(feats).max() > 0


@pytest.mark.parametrize("name", FAMILIES)
def test_exports_half_and_openvino(name: str, tmp_path: Path) -> None:
    """``export(half=True)`` (an fp16 graph) and ``export(format="openvino")`` of each family: both load with no
    flags; the fp16 graph's outputs are fp32's to fp16 rounding, the OpenVINO model's detections are the graph's."""
    pt = tmp_path / f"{name}.pt"
    shutil.copy(checkpoint(name), pt)
    model = YOLO(pt)
    x = inputs(name)[0]
    fp32 = session(model.backend.path).run(["output0"], {"images": x})[0]
    half = Path(model.export(half=True, dynamic=True))
    hs = session(half)
    x16 = x.astype(np.float16) if hs.get_inputs()[0].type == "tensor(float16)" else x
    h = hs.run(["output0"], {"images": x16})[0].astype(np.float32)
    assert h.shape == fp32.shape
    if not model.backend.end2end:  # top-k rows may pick other anchors under fp16
        assert np.abs(h - fp32).max() <= 2e-2 * max(1.0, float(np.abs(fp32).max()))
    folder = Path(model.export(format="openvino", dynamic=True))
    im = np.ascontiguousarray((x[0].transpose(1, 2, 0)[:, :, ::-1] * 255).round().astype(np.uint8))
    conf = 0.0 if (ZOO / f"{name}.pt").exists() else 0.25
    a = model.predict(im, conf=conf, imgsz=640, verbose=False)[0]
    b = YOLO(folder).predict(im, conf=conf, imgsz=640, verbose=False)[0]
    assert len(a.boxes) > 0 and abs(len(a.boxes) - len(b.boxes)) <= max(2, len(a.boxes) // 10)
    names = ast.literal_eval(str(model.names)) if isinstance(model.names, str) else model.names
    assert YOLO(folder).names == names


@pytest.mark.parametrize("name", FAMILIES)
def test_batch_gives_each_images_detections(name: str) -> None:
    model = YOLO(checkpoint(name))
    xs = [
        np.ascontiguousarray((x[0].transpose(1, 2, 0)[:, :, ::-1] * 255).round().astype(np.uint8)) for x in inputs(name)
    ]
    xs = xs + xs[:1]
    conf = 0.0 if (ZOO / f"{name}.pt").exists() else 0.25
    one = [model.predict(im, conf=conf, verbose=False)[0] for im in xs]
    many = model.predict(xs, conf=conf, verbose=False)
    for a, b in zip(one, many):
        assert len(a.boxes) > 0 and np.array_equal(np.asarray(a.boxes.data), np.asarray(b.boxes.data))


@pytest.mark.parametrize("name", ["yolov10n", "yolov9c-seg-w"])
def test_int8_exports(name: str, tmp_path: Path) -> None:
    """``export(int8=True)`` (onnxruntime QDQ) and ``export(format="openvino", int8=True)`` (NNCF) of an end-to-end
    family and a segment one: each loads with no flags on the runtime its format names, at int8, and its output rows
    have fp32's shape (random weights: the values are not compared)."""
    pt = tmp_path / f"{name}.pt"
    shutil.copy(checkpoint(name), pt)
    model = YOLO(pt)
    data = coco8_yaml(tmp_path, model.names, val="images/train")
    x = inputs(name)[0]
    im = np.ascontiguousarray((x[0].transpose(1, 2, 0)[:, :, ::-1] * 255).round().astype(np.uint8))
    fp32 = model.predict(im, conf=0.0, verbose=False)[0]
    for kw, runtime in (({}, "onnxruntime CPU"), ({"format": "openvino"}, "openvino CPU")):
        q = YOLO(model.export(int8=True, data=str(data), dynamic=True, **kw))
        r = q.predict(im, conf=0.0, verbose=False)[0]
        assert (q.backend.runtime, q.backend.precision) == (runtime, "int8")
        assert len(r.boxes) > 0 and r.boxes.data.shape[1] == fp32.boxes.data.shape[1]
        assert (r.masks is None) == (fp32.masks is None)
