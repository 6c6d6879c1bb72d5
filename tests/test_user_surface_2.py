"""Drop-in details a user of Ultralytics 8.4.190 hits (issue: surface gaps), each against what 8.4.190 itself gives,
stored in tests/fixtures/user_surface_reference.json, made with the same model file by

    /opt/ultra/bin/python tests/fixtures/make_user_surface_reference.py tests/fixtures/user_surface_reference.json

- run folders: ``predict-2`` numbering, a relative ``project`` under ``runs/<task>``, absolute ``save_dir`` (a str on
  Results), one folder kept from call to call (a loop of ``predict(frame, save=True)`` writes one folder);
- crop names (``bus-2.jpg``), the paths of in-memory images (``image0.jpg``, a PIL image's file name);
- ``Results.plot(pil=True)`` (a PIL image), the message of a missing source;
- the torch calls user code makes on result tensors (``cls.unique()``, ``xyxy.size(0)``, ``view(-1)``, ...).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from numa_ultralytics import YOLO

from .conftest import MEDIA, MODELS, need

REF = json.loads((Path(__file__).parent / "fixtures" / "user_surface_reference.json").read_text())


@pytest.fixture(scope="module")
def model_path() -> str:
    return str(need(MODELS / REF["model"]))


@pytest.fixture(scope="module")
def image() -> str:
    return str(need(MEDIA / "images" / REF["image"]))


def _coco8_yaml(d: Path, names: dict[int, str]) -> str:
    """The dataset YAML the reference script writes (tests/fixtures/make_user_surface_reference.py ``coco8_yaml``)."""
    f = d / "coco8-seg.yaml"
    lines = [f"path: {need(MEDIA / 'coco8-seg')}", "train: images/train", "val: images/val", "names:"]
    f.write_text("\n".join(lines + [f"  {i}: {n}" for i, n in names.items()]) + "\n")
    return str(f)


def test_run_folders_across_calls(model_path: str, image: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference's sequence of calls on one model (then a fresh one) writes into the folders 8.4.190 writes
    into: the first ``save=True`` call picks ``runs/segment/predict`` and later calls keep it while ``project`` /
    ``name`` / ``exist_ok`` stay and no set-up argument (``device``, ``tracker``, ...) changes; a change picks the next
    free ``predict-2``, ...; ``track`` after ``predict`` keeps the predict folder; a relative ``project`` goes under
    ``runs/<task>``; ``Results.save_dir`` is an absolute str (``None`` without saving); val numbers its folders the
    same way. Before: ``predict2``, a new folder per call, relative paths."""
    root = tmp_path.resolve()
    monkeypatch.chdir(root)
    model = YOLO(model_path)
    data = _coco8_yaml(root, model.names)
    got = []
    for method, kw in REF["calls"]:
        kw = {k: str(root / "abs") if v == "abs" else v for k, v in kw.items()}
        if method == "new":
            model = YOLO(model_path)
            continue
        if method == "val":
            m = model.val(data=data, **REF["val_args"], **kw)
            got.append([type(m.save_dir).__name__, os.path.relpath(m.save_dir, root)])
            continue
        r = getattr(model, method)(image, imgsz=320, verbose=False, **kw)[0]
        got.append([type(r.save_dir).__name__, None if r.save_dir is None else os.path.relpath(r.save_dir, root)])
        assert r.save_dir is None or Path(r.save_dir).is_absolute()
    assert got == REF["save_dirs"]
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_dir()) == REF["folders"]
    crops = root / "runs" / "segment" / "c" / "crops"
    assert sorted(str(p.relative_to(crops)) for p in crops.rglob("*.jpg")) == REF["crops"]  # zidane-2.jpg, ...
    r = model.predict(image, verbose=False)[0]
    for _ in range(2):
        r.save_crop(root / "sc", file_name="im")
    assert sorted(str(p.relative_to(root / "sc")) for p in (root / "sc").rglob("*.jpg")) == REF["save_crop_twice"]


def test_in_memory_image_paths(model_path: str, image: str) -> None:
    """An array is ``image0.jpg`` (a list: ``image0.jpg``, ``image1.jpg``), a PIL image opened from a file has that
    file's path, one made in memory ``image0.jpg`` (8.4.190's ``LoadPilAndNumpy``; before: ``image0`` for all)."""
    from PIL import Image

    model = YOLO(model_path)
    bgr = cv2.imread(image)
    got = {
        "array": model.predict(bgr, verbose=False)[0].path,
        "arrays": [r.path for r in model.predict([bgr, bgr], verbose=False)],
        "pil_file": os.path.basename(model.predict(Image.open(image), verbose=False)[0].path),
        "pil_memory": model.predict(Image.fromarray(bgr[..., ::-1]), verbose=False)[0].path,
    }
    assert got == REF["paths"]


def test_plot_pil_and_missing_source(model_path: str, image: str, tmp_path: Path) -> None:
    """``plot(pil=True)`` is an RGB PIL image of the drawing (before: the BGR array); ``save()`` / ``show()`` given
    ``pil=True`` still write the array. A missing source: 8.4.190's ``FileNotFoundError`` and words."""
    model = YOLO(model_path)
    r = model.predict(image, verbose=False)[0]
    pil = r.plot(pil=True)
    assert [type(pil).__name__, pil.mode, list(pil.size)] == REF["plot_pil"]
    np.testing.assert_array_equal(np.asarray(pil), r.plot()[..., ::-1])
    f = r.save(str(tmp_path / "p.jpg"), pil=True)
    assert cv2.imread(f).shape == r.orig_img.shape
    kind, msg = REF["missing_source"]
    with pytest.raises(FileNotFoundError) as e:
        model.predict("/nonexistent/file.jpg", verbose=False)
    assert [type(e.value).__name__, str(e.value)] == [kind, msg]


def test_torch_calls_on_result_tensors(model_path: str, image: str) -> None:
    """What users copy from Ultralytics' docs and torch habits: ``for c in boxes.cls.unique(): (boxes.cls == c).sum()``,
    ``xyxy.size()`` / ``size(0)``, ``view(-1)`` / ``view(-1, 2)`` (a reshape), ``conf.unsqueeze(1)``; 8.4.190's values
    (before: ``unique`` / ``unsqueeze`` missing, ``size()`` a TypeError, ``view(-1)`` numpy's dtype view). ``size``
    unparenthesised stays numpy's element count."""
    b = YOLO(model_path).predict(image, verbose=False)[0].boxes
    want = REF["tensor"]
    assert b.cls.tolist() == want["cls"]
    assert b.cls.unique().tolist() == want["unique"]
    assert [t.tolist() for t in b.cls.unique(return_counts=True)] == want["unique_counts"]
    assert [list(b.xyxy.size()), b.xyxy.size(0), b.xyxy.size(-1)] == [want["size"], want["size0"], want["size_1"]]
    assert b.xyxy.size == want["size"][0] * want["size"][1] and b.xyxy.size + 0 == b.xyxy.size
    assert [list(b.conf.view(-1).shape), list(b.xyxy.view(-1, 2).shape)] == [want["view"], want["view_2"]]
    np.testing.assert_allclose(b.xyxy.view(-1).tolist(), want["view_values"], rtol=0, atol=0.05)
    assert b.xyxy.view(np.ndarray).__class__ is np.ndarray and b.cls.view(np.int32).dtype == np.int32  # numpy's view
    assert list(b.conf.unsqueeze(1).shape) == want["unsqueeze"]
    assert {str(int(c)): int((b.cls == c).sum()) for c in b.cls.unique()} == want["count_per_class"]


@pytest.mark.parametrize("mode", ["predict", "track"])
def test_command_line_saves_by_default(mode: str, model_path: str, image: str, tmp_path: Path) -> None:
    """``numa-yolo segment predict|track ... save_txt=True`` without ``save=``: 8.4.190's ``yolo`` saves the annotated
    image / video too (``save`` defaults to True on the command line, utils/args.py ``CLI_SAVE_DEFAULT``) and ends with
    ``Results saved to <absolute folder>`` and ``<n> labels saved to <folder>/labels`` (before: labels only, one
    line, a relative folder)."""
    import subprocess
    import sys

    from .conftest import ROOT

    ref = REF["cli"][mode]
    source = image if mode == "predict" else str(need(MEDIA / "videos" / "mmtracking_demo.mp4"))
    argv = [*ref["argv"][:2], f"model={model_path}", f"source={source}", *ref["argv"][2:]]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python"), "NUMA_ULTRALYTICS_OFFLINE": "1"}
    p = subprocess.run([sys.executable, "-m", "numa_ultralytics", *argv], cwd=tmp_path, capture_output=True, text=True,
                       env=env, timeout=300)  # fmt: skip
    assert p.returncode == 0, p.stderr[-2000:]
    assert sorted(str(f.relative_to(tmp_path)) for f in tmp_path.rglob("*") if f.is_file()) == ref["files"]
    text = (p.stdout + p.stderr).replace(str(tmp_path.resolve()), "CWD")
    assert [ln for ln in text.splitlines() if "saved to" in ln] == ref["lines"]


def test_rect_false_letterboxes_to_the_square(model_path: str, image: str) -> None:
    """``predict(rect=False)``: 8.4.190 letterboxes to the square ``imgsz`` (640x640 masks) and its detections differ
    from the default's (before: the argument was accepted and ignored)."""
    r = YOLO(model_path).predict(image, rect=False, verbose=False)[0]
    want = REF["rect_false"]
    assert list(r.masks.data.shape) == want["masks_shape"] and r.boxes.cls.tolist() == want["cls"]
    np.testing.assert_allclose(r.boxes.xyxy.tolist(), want["xyxy"], rtol=0, atol=0.05)


def test_results_built_by_hand(image: str) -> None:
    """``Results(img, path, names, boxes=..., masks=..., probs=None, keypoints=None, obb=None)``, 8.4.190's keywords
    (before: ``probs`` was a TypeError); a pose / classify / OBB field is refused by name."""
    from numa_ultralytics.engine.results import Results

    bgr = cv2.imread(image)
    h, w = bgr.shape[:2]
    boxes = np.array([[10, 20, 110, 220, 0.9, 0], [50, 60, 150, 160, 0.8, 5]], np.float32)
    masks = np.zeros((2, h, w), np.uint8)
    masks[0, 20:220, 10:110] = 1
    masks[1, 60:160, 50:150] = 1
    r = Results(bgr, "x.jpg", {0: "person", 5: "bus"}, boxes=boxes, masks=masks, probs=None, keypoints=None, obb=None)
    want = REF["manual_results"]
    assert [len(r), r.boxes.xywhn.tolist(), r.summary(), r.verbose()] == [
        want["len"],
        want["xywhn"],
        want["summary"],
        want["verbose"],
    ]
    with pytest.raises(NotImplementedError, match="keypoints"):
        Results(bgr, "x.jpg", {0: "person"}, keypoints=np.zeros((1, 17, 3)))


def test_per_frame_log_lines(model_path: str, image: str) -> None:
    """The per-frame log lines as 8.4.190 numbers them: ``image 1/1 path:``, ``video 1/1 (frame 2/2) path:`` (frames
    counted after ``vid_stride``), ``0:`` / ``1:`` for a list and an array (before: ``image 1 path:``, ``video 1 (frame
    8/8)``, ``image 1 path:`` for a list)."""
    import logging
    import re

    from .conftest import SHARED
    from .helpers import LogCapture

    video = str(need(MEDIA / "videos" / "mmtracking_demo.mp4"))
    sources = {"image": image, "video": video, "list": [image, image], "array": cv2.imread(image)}
    model = YOLO(model_path)
    log = logging.getLogger("numa_ultralytics")
    for key, want in REF["log_lines"].items():
        cap = LogCapture()
        log.addHandler(cap)
        try:
            list(model.predict(sources[key], imgsz=320, vid_stride=4 if key == "video" else 1, stream=True))
        finally:
            log.removeHandler(cap)
        lines = [ln for msg in cap.lines for ln in msg.splitlines() if re.search(r"[0-9.]+ms$", ln)]
        got = [re.sub(r", [0-9.]+ms$", "", ln).replace(str(SHARED), "SHARED") for ln in lines]
        assert got == want, key


def test_predictor_attributes_after_a_call(model_path: str, image: str) -> None:
    """``model.predictor.args`` (``imgsz``, ``conf``, ``save``, ``mode``, ``task``) and ``model.predictor.save_dir`` (a
    Path, picked even without saving) after ``predict``, as 8.4.190 (before: ``args`` None unless a callback was
    registered)."""
    model = YOLO(model_path)
    model.predict(image, imgsz=320, verbose=False)
    pa = model.predictor.args
    assert [pa.imgsz, pa.conf, pa.save, pa.mode, pa.task, type(model.predictor.save_dir).__name__] == REF["predictor"]


def test_ops_box_helpers() -> None:
    """``ultralytics.utils.ops``' box helpers user code imports (``from numa_ultralytics.utils.ops import
    xyxy2xywh, scale_boxes, ...``) give 8.4.190's values on a result's boxes (before: not there), keep a
    :class:`Tensor` a Tensor, and ``clip_boxes`` / ``scale_boxes`` change the array given, as 8.4.190."""
    from numa_ultralytics.utils import ops
    from numa_ultralytics.utils.tensor import Tensor

    ref = REF["ops"]
    x = np.asarray(ref["xyxy"], np.float32)
    shape = tuple(ref["orig_shape"])
    xywh = ops.xyxy2xywh(x.copy())
    segs = [np.array([[1.5, 2.0], [30.25, 4.0], [12.0, 50.5]], np.float32), x[:, :2].copy() * 0.5]
    got = {
        "xyxy2xywh": xywh,
        "xyxy2xywh_list": ops.xyxy2xywh([[1, 2, 4, 7]]),
        "xywh2xyxy": ops.xywh2xyxy(xywh.copy()),
        "xyxy2xywhn": ops.xyxy2xywhn(x.copy(), w=shape[1], h=shape[0]),
        "xyxy2xywhn_clip": ops.xyxy2xywhn(x.copy() * 1.2, w=shape[1], h=shape[0], clip=True),
        "xywhn2xyxy": ops.xywhn2xyxy(xywh.copy() / 640, w=640, h=480, padw=3, padh=5),
        "xyxy2ltwh": ops.xyxy2ltwh(x.copy()),
        "xywh2ltwh": ops.xywh2ltwh(xywh.copy()),
        "ltwh2xyxy": ops.ltwh2xyxy(ops.xyxy2ltwh(x.copy())),
        "ltwh2xywh": ops.ltwh2xywh(ops.xyxy2ltwh(x.copy())),
        "clip_boxes": ops.clip_boxes(x.copy() * 1.5 - 100, (300, 400)),
        "scale_boxes": ops.scale_boxes((384, 640), x.copy() * 0.5, shape),
        "scale_boxes_xywh": ops.scale_boxes((384, 640), xywh.copy() * 0.5, shape, xywh=True),
        "scale_boxes_ratio_pad": ops.scale_boxes((384, 640), x.copy(), shape, ratio_pad=((0.5, 0.5), (3, 4))),
        "scale_boxes_nopad": ops.scale_boxes((320, 320), x.copy() * 0.25, (1280, 1280), padding=False),
        "segments2boxes": ops.segments2boxes(segs),
    }
    for key, v in got.items():
        np.testing.assert_array_equal(np.asarray(v, np.float32), np.asarray(ref[key], np.float32), err_msg=key)
    assert [ops.make_divisible(100, 32), ops.make_divisible(64.5, 8), ops.make_divisible(7, 8)] == ref["make_divisible"]
    t = Tensor(x.copy())
    assert type(ops.xyxy2xywh(t)) is Tensor and ops.clip_boxes(t, (300, 400)) is t and t.max() <= 400
    with pytest.raises(ValueError, match="last dimension expected 4"):
        ops.xyxy2xywh(np.zeros((2, 5)))
