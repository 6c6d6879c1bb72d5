"""The rest of the zoo from ``.pt``: YOLO12, YOLOv10 (end-to-end), YOLOv9 (detect, segment with ADown, and YOLOv9e's
CBLinear / CBFuse), YOLOv3u, YOLOv5u, YOLOv6 and YOLO26's P2 / P6 variants.

Each fixture in ``tests/fixtures/zoo`` is a tiny random-init checkpoint made by Ultralytics 8.4.190 from its ``.yaml``
(seeded, BatchNorm statistics randomized so folding is exercised) with the outputs of Ultralytics' own ONNX export of
it on two fixed inputs (``bus.jpg`` letterboxed to 160x160, a seeded random 128x192 image); ``make_zoo.py`` made them.
The graph our builder makes from the checkpoint must give the same outputs. ``yolov3-tinyu-w``, ``yolov9c-seg-w`` and
``yolov9e-seg-w`` are those yamls at a reduced width (the official smallest scales are 24 MB / 56 MB / 121 MB fp16):
the same blocks (``yolov9e-seg-w`` with 8 classes: its 1261 modules' records alone take ~0.8 MB).

The weights are random: the outputs are deterministic, not meaningful. Boxes are in input pixels (up to ~500 here)
and scores small (~2e-4), so each output is compared with a tolerance relative to its scale (1e-4 of its largest
value, at least 1e-4) and the scores with 1e-6 absolute; on the machine that made the fixtures most graphs give
0.0, YOLOv9's ~6e-5 px (torch's float32 ``sqrt`` when Ultralytics reparameterizes RepConv differs from numpy's by
an ulp), YOLOv3u's ~1e-2 px of ~500 when onnxruntime's version differs from the one that made the fixture.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest

from numa_ultralytics import YOLO
from numa_ultralytics.nn.checkpoint import load_checkpoint
from numa_ultralytics.nn.onnx_builder import build_onnx
from numa_ultralytics.nn.pt_loader import pt_to_onnx
from numa_ultralytics.nn.standins import _standin_class

from .helpers import session

ZOO = Path(__file__).resolve().parent / "fixtures" / "zoo"
# name -> (task, head, end2end)
MODELS = {
    "yolo12n": ("detect", "Detect", False),
    "yolov10n": ("detect", "v10Detect", True),
    "yolov9t": ("detect", "Detect", False),
    "yolov3-tinyu-w": ("detect", "Detect", False),
    "yolov9c-seg-w": ("segment", "Segment", False),
    "yolov9e-seg-w": ("segment", "Segment", False),
    "yolov5u-w": ("detect", "Detect", False),
    "yolov6-w": ("detect", "Detect", False),
    "yolo26-p2-w": ("detect", "Detect", False),  # both heads: the default (nms=None) builds the one-to-many one
    "yolo26-p6-w": ("detect", "Detect", False),
}
TOL = 1e-4


@pytest.fixture(scope="module", autouse=True)
def _cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("NUMA_ULTRALYTICS_CACHE_DIR", str(tmp_path_factory.mktemp("cache_zoo")))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def built() -> dict[str, onnx.ModelProto]:
    # an end-to-end model's fixture is its nms=False export (the one-to-one head; the default runs the one-to-many
    # head, tests/test_end2end_nms.py)
    return {
        name: build_onnx(load_checkpoint(ZOO / f"{name}.pt"), source=ZOO / f"{name}.pt", nms=False if e2e else None)
        for name, (_, _, e2e) in MODELS.items()
    }


@pytest.mark.parametrize("name", list(MODELS))
def test_built_graph_equals_ultralytics_export(built, name):
    ref = np.load(ZOO / f"{name}.npz")
    sess = session(built[name])
    names = [o.name for o in sess.get_outputs()]
    task = MODELS[name][0]
    assert names == (["output0", "output1"] if task == "segment" else ["output0"])
    for key in ("bus", "random"):
        x = ref[f"input_{key}"].astype(np.float32) / 255.0
        for out, got in zip(names, sess.run(None, {"images": x})):
            want = ref[f"{key}_{out}"]
            assert got.shape == want.shape and got.dtype == np.float32, (name, key, out, got.shape, want.shape)
            diff = np.abs(got - want)
            assert diff.max() <= TOL * max(1.0, float(np.abs(want).max())), f"{name} {key} {out}: {diff.max()}"
            if out == "output0" and not MODELS[name][2]:  # scores (sigmoid) after the 4 box rows
                nc = len(ast.literal_eval(str(ref["meta_names"])))
                assert diff[:, 4 : 4 + nc].max() <= 1e-6, f"{name} {key} scores: {diff[:, 4 : 4 + nc].max()}"


@pytest.mark.parametrize("name", list(MODELS))
def test_metadata(built, name):
    task, head, end2end = MODELS[name]
    ref = np.load(ZOO / f"{name}.npz")
    meta = {p.key: p.value for p in built[name].metadata_props}
    assert meta["task"] == task == str(ref["meta_task"])
    assert meta["head"] == head == str(ref["meta_head"])
    assert meta["end2end"] == str(end2end) == str(ref["meta_end2end"])
    assert meta["stride"] == str(ref["meta_stride"]) == ("64" if "p6" in name else "32")  # P6: a stride-64 level
    assert ast.literal_eval(meta["names"]) == ast.literal_eval(str(ref["meta_names"]))
    assert set(ref["meta_keys"].tolist()) <= set(meta)  # every key the export writes


def test_v10_end_to_end_rows(built):
    """YOLOv10's one-to-one head: ``[B, 300, 6]`` rows sorted by score, classes in range, xyxy boxes."""
    ref = np.load(ZOO / "yolov10n.npz")
    out = session(built["yolov10n"]).run(None, {"images": ref["input_bus"].astype(np.float32) / 255.0})[0]
    assert out.shape == (1, 300, 6)
    assert np.all(np.diff(out[0, :, 4]) <= 0) and set(np.unique(out[0, :, 5])) <= set(range(80))
    assert np.all(out[0, :, 2] >= out[0, :, 0]) and np.all(out[0, :, 3] >= out[0, :, 1])


@pytest.mark.parametrize("name", ["yolo12n", "yolov9c-seg-w"])
def test_pt_to_onnx_dynamic_batch(tmp_path, name):
    """Through the cached-graph path (feature outputs included), a batch of two gives each image's outputs."""
    ref = np.load(ZOO / f"{name}.npz")
    shutil.copy(ZOO / f"{name}.pt", tmp_path / f"{name}.pt")
    sess = session(pt_to_onnx(tmp_path / f"{name}.pt"))
    x = ref["input_random"].astype(np.float32) / 255.0
    outs = sess.run(None, {"images": np.concatenate([x, x])})
    want = ref["random_output0"]
    assert np.abs(outs[0] - want[[0, 0]]).max() <= TOL * max(1.0, float(np.abs(want).max()))
    feats = [o for o in sess.get_outputs() if o.name.startswith("feats")]
    assert len(feats) == 3


def test_v9e_silence_first_layer():
    """YOLOv9e checkpoints saved before Ultralytics replaced ``Silence`` with ``nn.Identity`` have a ``Silence`` first
    layer (``forward`` returns its input): the same graph outputs."""
    ck = load_checkpoint(ZOO / "yolov9e-seg-w.pt")
    layers = ck["model"].child("model").__dict__["_modules"]
    assert layers["0"].cls_name == "Identity"
    silence = _standin_class("ultralytics.nn.modules.block", "Silence")()
    silence.__dict__.update(layers["0"].__dict__)
    layers["0"] = silence
    ref = np.load(ZOO / "yolov9e-seg-w.npz")
    x = ref["input_random"].astype(np.float32) / 255.0
    out0, out1 = session(build_onnx(ck)).run(None, {"images": x})
    assert np.abs(out0 - ref["random_output0"]).max() <= TOL * float(np.abs(ref["random_output0"]).max())
    assert np.abs(out1 - ref["random_output1"]).max() <= TOL


def test_v9e_seg_predict_and_info(tmp_path):
    """``YOLO(yolov9e-seg-w.pt)`` end to end: predict on the stored letterboxed ``bus`` (160x160, so no resize) keeps
    the export's best (anchor, class) first, its box clipped to the image; the summary's parameters are 8.4.190's
    ``YOLO(p).info()`` (the unfused checkpoint's: 508,800, tests/fixtures/info_reference.json), its GFLOPs those of the
    fused model that runs: ``m = YOLO("tests/fixtures/zoo/yolov9e-seg-w.pt"); m.fuse()``, then
    ``get_num_params(m.model), get_flops(m.model, 640)`` (ultralytics.utils.torch_utils) gave 500160, 3.5280384."""
    ref = np.load(ZOO / "yolov9e-seg-w.npz")
    model = YOLO(str(shutil.copy(ZOO / "yolov9e-seg-w.pt", tmp_path / "yolov9e-seg-w.pt")))
    assert model.task == "segment" and model.names == {i: str(i) for i in range(8)}
    bgr = np.ascontiguousarray(ref["input_bus"][0].transpose(1, 2, 0)[:, :, ::-1])
    r = model.predict(bgr, imgsz=160, conf=1e-6, verbose=False)[0]
    out = ref["bus_output0"][0]  # [4 + 8 + 32, anchors]: xywh, scores, mask coefficients
    scores = out[4:12]
    a = int(scores.max(0).argmax())
    x, y, w, h = out[:4, a]
    want = np.clip([x - w / 2, y - h / 2, x + w / 2, y + h / 2], 0, 160)
    assert len(r) > 0 and r.masks is not None and r.masks.data.shape == (len(r), 160, 160)
    assert abs(float(r.boxes.conf[0]) - float(scores[:, a].max())) <= 1e-6
    assert int(r.boxes.cls[0]) == int(scores[:, a].argmax())
    np.testing.assert_allclose(r.boxes.xyxy[0], want, atol=1e-2)
    _, params, _, flops = model.info(verbose=False)
    assert (params, round(flops, 4)) == (508_800, 3.528)


@pytest.mark.parametrize(
    ("layer", "key", "value", "match"),
    [
        ("14", "c2s", [8, 8, 16, 32, 65], "CBLinear c2s .* do not add up"),
        ("14", "c2s", "64", "CBLinear c2s must be a list"),
        ("16", "idx", [0, 0, 0], "CBFuse idx .* does not match its 5 CBLinear inputs"),
        ("16", "idx", [0, 0, 0, 0, 9], "CBFuse input 4 is not a CBLinear output with a split 9"),
    ],
)
def test_v9e_bad_cb_attributes(layer, key, value, match):
    """A CBLinear / CBFuse whose attributes do not fit its weights or inputs: a ValueError naming the layer."""
    ck = load_checkpoint(ZOO / "yolov9e-seg-w.pt")
    m = ck["model"].child("model").child(layer)
    assert key in m.__dict__
    m.__dict__[key] = value
    with pytest.raises(ValueError, match=rf"model\.{layer}: {match}"):
        build_onnx(ck)
