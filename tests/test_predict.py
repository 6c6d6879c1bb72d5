"""The predict pipeline on the real models and media, against the original's reference outputs."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from numa_ultralytics import YOLO
from numa_ultralytics.data.augment import letterbox
from numa_ultralytics.engine.results import Boxes, Masks

from .conftest import MODELS, REFERENCE, need


@pytest.fixture(scope="module")
def model(seg_onnx):
    return YOLO(seg_onnx)


@pytest.fixture(scope="module")
def reference():
    return json.loads(need(REFERENCE / "public_yolo11n-seg-dynamic.json").read_text())


@pytest.fixture(scope="module")
def bus(bus_jpg):
    return cv2.imread(str(bus_jpg))


def test_bus_matches_reference(model, bus, reference):
    ref = reference["images"]["bus.jpg"]
    r = model.predict(bus, verbose=False)[0]
    assert r.boxes.cls.cpu().tolist() == [float(c) for c in ref["cls"]]
    np.testing.assert_allclose(r.boxes.xyxy.numpy(), np.array(ref["xyxy"]), atol=2e-3)
    np.testing.assert_allclose(r.boxes.conf.numpy(), np.array(ref["conf"]), atol=1e-4)
    assert len(r.masks.xy) == len(ref["polygons"])
    for ours, theirs in zip(r.masks.xy, ref["polygons"]):
        theirs = np.array(theirs, np.float32).reshape(-1, 2)
        assert ours.dtype == np.float32 and ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, atol=1e-2)


def test_all_reference_images_match(model, reference):
    media = need(MODELS.parent / "media")
    for name, ref in reference["images"].items():
        path = next(media.rglob(name))
        r = model.predict(cv2.imread(str(path)), verbose=False)[0]
        assert [int(c) for c in r.boxes.cls.tolist()] == ref["cls"], name
        np.testing.assert_allclose(r.boxes.xyxy.numpy(), np.array(ref["xyxy"]).reshape(-1, 4), atol=2e-3)


def test_dynamic_letterbox_is_minimal_rectangle(bus):
    assert letterbox(bus, (640, 640), auto=True).shape == (640, 480, 3)
    assert letterbox(bus, (640, 640), auto=False).shape == (640, 640, 3)
    # padding is grey 114 on both sides of a static letterbox
    lb = letterbox(bus, (640, 640), auto=False)
    assert (lb[:, :80] == 114).all() and (lb[:, -80:] == 114).all()


def test_static_export_uses_its_size(seg_onnx_static, bus):
    m = YOLO(seg_onnx_static)
    r = m.predict(bus, imgsz=320, verbose=False)[0]  # static 640x640: imgsz is overridden
    assert r.input_hw == (640, 640)
    assert r.masks.data.shape == (len(r), 640, 640)
    ref = json.loads(need(REFERENCE / "public_yolo11n-seg.json").read_text())["images"]["bus.jpg"]
    assert [int(c) for c in r.boxes.cls.tolist()] == ref["cls"]
    np.testing.assert_allclose(r.boxes.xyxy.numpy(), np.array(ref["xyxy"]), atol=2e-3)


def test_results_api_chains(model, bus):
    r = model(bus, verbose=False)[0]
    b = r.boxes
    n = len(r)
    assert n == 6 and len(b) == 6 and r.masks is not None and len(r.masks) == 6
    assert isinstance(b.cls.cpu().tolist()[0], float)
    assert b.cls.int().cpu().tolist()[:2] == [0, 5]
    assert b.data.shape == (6, 6) and b.data.dtype == np.float32
    assert b.id is None and not b.is_track
    assert int(b.cls[1]) == 5 and b.conf[0].item() == pytest.approx(0.87525, abs=1e-4)
    np.testing.assert_allclose(b.xywh[:, 2].numpy(), (b.xyxy[:, 2] - b.xyxy[:, 0]).numpy())
    h, w = r.orig_shape
    assert (b.xyxyn.numpy() <= 1).all() and (b.xywhn.numpy()[:, 0] * w == pytest.approx(b.xywh.numpy()[:, 0]))
    one = r[0]
    assert len(one) == 1 and one.boxes.data.shape == (1, 6) and len(one.masks.xy) == 1
    assert len(r[[0, 2]]) == 2 and len(list(b)) == 6
    # masks: data at input size, xy in original pixels, xyn normalised
    assert r.masks.data.shape == (6, 640, 480) and r.masks.data.dtype == np.uint8
    for xy, xyn in zip(r.masks.xy, r.masks.xyn):
        assert xy[:, 0].max() <= w and xy[:, 1].max() <= h
        np.testing.assert_allclose(xyn * [w, h], xy, rtol=1e-5, atol=1e-3)
    # every mask pixel lies inside its (input-space) box region; rows outside are empty
    assert r.masks.data.sum() > 0
    assert set(r.speed) >= {"preprocess", "inference", "postprocess"} and r.speed["inference"] > 0
    s = r.summary()
    assert s[0]["name"] == "person" and s[1]["name"] == "bus" and "segments" in s[0]
    assert json.loads(r.to_json())[1]["class"] == 5
    plotted = r.plot()
    assert plotted.shape == bus.shape and (plotted != bus).any()


def test_masks_data_matches_polygons(model, bus):
    r = model.predict(bus, verbose=False)[0]
    data = r.masks.data.numpy()
    for i, poly in enumerate(r.masks.xy):
        # polygon rasterised in input space overlaps the mask well
        canvas = np.zeros(r.orig_shape, np.uint8)
        cv2.fillPoly(canvas, [np.round(poly).astype(np.int32)], 1)
        m = cv2.resize(data[i], (r.orig_shape[1], r.orig_shape[0]), interpolation=cv2.INTER_NEAREST)
        inter, union = (canvas & m).sum(), (canvas | m).sum()
        assert inter / union > 0.9


def test_retina_masks(model, bus):
    r = model.predict(bus, retina_masks=True, verbose=False)[0]
    assert r.masks.data.shape == (len(r), *bus.shape[:2])
    d = model.predict(bus, verbose=False)[0]
    assert len(r) == len(d)
    # same objects, polygons in the same place
    for a, b in zip(r.masks.xy, d.masks.xy):
        ra, rb = (cv2.fillPoly(np.zeros(bus.shape[:2], np.uint8), [np.round(p).astype(np.int32)], 1) for p in (a, b))
        assert (ra & rb).sum() / (ra | rb).sum() > 0.85


def test_predict_args(model, bus):
    assert len(model.predict(bus, conf=0.845, verbose=False)[0]) == 2
    only_bus = model.predict(bus, classes=[5], verbose=False)[0]
    assert only_bus.boxes.cls.tolist() == [5.0]
    assert len(model.predict(bus, max_det=3, verbose=False)[0]) == 3
    small = model.predict(bus, imgsz=320, verbose=False)[0]
    assert small.input_hw == (320, 256)
    with pytest.raises(TypeError, match="'confidence' is not a valid argument"):
        model.predict(bus, confidence=0.5)
    with pytest.raises(ValueError, match="conf="):
        model.predict(bus, conf=2)
    with pytest.raises(ValueError, match="imgsz"):
        model.predict(bus, imgsz="big")


def test_frame_formats(model, bus):
    gray = cv2.cvtColor(bus, cv2.COLOR_BGR2GRAY)
    as3 = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    ref = model.predict(as3, verbose=False)[0].boxes.data.numpy()
    for im in (gray, gray[..., None]):
        np.testing.assert_array_equal(model.predict(im, verbose=False)[0].boxes.data.numpy(), ref)
    bgra = cv2.cvtColor(bus, cv2.COLOR_BGR2BGRA)
    np.testing.assert_array_equal(
        model.predict(bgra, verbose=False)[0].boxes.data.numpy(),
        model.predict(bus, verbose=False)[0].boxes.data.numpy(),
    )
    with pytest.raises(ValueError, match="empty image"):
        model.predict(np.zeros((0, 10, 3), np.uint8))
    np.testing.assert_array_equal(  # float arrays are 0..255 values, as Ultralytics reads them
        model.predict(bus.astype(np.float64), verbose=False)[0].boxes.data.numpy(),
        model.predict(bus, verbose=False)[0].boxes.data.numpy(),
    )
    with pytest.raises(ValueError, match="uint8"):
        model.predict(bus.astype(np.int32))
    with pytest.raises(ValueError, match="source is required"):
        model.predict(None)


def test_blank_frame_has_no_detections(model):
    r = model.predict(np.full((360, 640, 3), 114, np.uint8), verbose=False)[0]
    assert len(r) == 0 and r.masks is None and r.boxes.data.shape == (0, 6)
    assert r.boxes.cls.cpu().tolist() == []


def test_list_and_video_sources(model, bus, people_video):
    rs = model.predict([bus, bus], verbose=False)
    assert len(rs) == 2 and rs[0].boxes.data.tolist() == rs[1].boxes.data.tolist()
    gen = model.predict(str(people_video), stream=True, vid_stride=40, verbose=False)
    assert not isinstance(gen, list)
    frames = list(gen)
    assert len(frames) == 8  # 340 frames: every 40th, from the 40th (as Ultralytics)
    assert all(f.orig_shape == (360, 640) for f in frames)
    assert sum(len(f) for f in frames) > 8 * 5  # a crowded plaza


def test_bad_model_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        YOLO(tmp_path / "missing.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not an onnx file at all")
    with pytest.raises(ValueError, match="could not load ONNX model"):
        YOLO(bad)
    trunc = tmp_path / "trunc.onnx"
    trunc.write_bytes(need(MODELS / "yolo11n-seg.onnx").read_bytes()[:100000])
    with pytest.raises(ValueError, match="could not load ONNX model"):
        YOLO(trunc)
    other = tmp_path / "model.tflite"
    other.write_bytes(b"x")
    with pytest.raises(ValueError, match="unsupported model format"):
        YOLO(other)


def test_detect_only_model(bus):
    path = need(MODELS / "yolo11n-detect-int8-320.onnx")
    m = YOLO(path)
    assert m.task == "detect"
    r = m.predict(bus, verbose=False)[0]
    assert r.masks is None and r.input_hw == (320, 320)
    assert 0.0 in r.boxes.cls.tolist() and 5.0 in r.boxes.cls.tolist()
    with pytest.raises(ValueError, match="task='segment' needs a segmentation model"):
        YOLO(path, task="segment")


def test_end2end_model(bus):
    m = YOLO(need(MODELS / "yolo26n-detect-end2end-int8.onnx"))
    assert m.backend.end2end
    r = m.predict(bus, verbose=False)[0]
    cls = r.boxes.cls.tolist()
    assert cls.count(0.0) >= 3 and 5.0 in cls
    assert (np.diff(r.boxes.conf.numpy()) <= 1e-6).all()  # already ranked by the model


def test_boxes_and_masks_constructors():
    b = Boxes(np.array([[1, 2, 3, 4, 0.5, 1, 0.9, 2]], np.float32)[:, [0, 1, 2, 3, 4, 6, 7]], (10, 10))
    assert b.is_track and b.id.int().tolist() == [0]  # id column is the 5th value
    m = Masks(np.zeros((2, 8, 8), np.uint8), (8, 8))
    assert [p.shape for p in m.xy] == [(0, 2), (0, 2)]
    with pytest.raises(ValueError):
        Boxes(np.zeros((1, 5)), (10, 10))


def test_results_save_and_save_txt(model, bus, tmp_path):
    r = model.predict(bus, verbose=False)[0]
    out = r.save(str(tmp_path / "bus_pred.jpg"))
    im = cv2.imread(out)
    assert im.shape == bus.shape and (cv2.absdiff(im, bus).max(axis=2) > 60).sum() > 1000
    txt = tmp_path / "bus.txt"
    r.save_txt(str(txt), save_conf=True)
    lines = txt.read_text().splitlines()
    assert len(lines) == len(r)
    first = [float(v) for v in lines[0].split()]
    assert first[0] == 0 and first[-1] == pytest.approx(0.87525, abs=1e-4)
    poly = np.array(first[1:-1]).reshape(-1, 2)
    np.testing.assert_allclose(poly, r.masks.xyn[0], atol=1e-5)


@pytest.mark.parametrize("name, hw", [("yolo11n-seg-int8.onnx", (640, 640)), ("yolov8n-seg-int8-320.onnx", (320, 320))])
def test_int8_segment_models(name, hw, bus):
    m = YOLO(need(MODELS / name))
    r = m.predict(bus, verbose=False)[0]
    assert m.task == "segment" and r.input_hw == hw
    cls = r.boxes.cls.int().tolist()
    assert cls.count(0) >= 3 and 5 in cls
    assert len(r.masks.xy) == len(r) and all(len(p) >= 3 for p in r.masks.xy)


def test_yolov8_dynamic_and_pt_agree(bus):
    onnx_r = YOLO(need(MODELS / "yolov8n-seg-dynamic.onnx")).predict(bus, verbose=False)[0]
    pt_r = YOLO(need(MODELS / "yolov8n-seg.pt")).predict(bus, verbose=False)[0]
    np.testing.assert_allclose(pt_r.boxes.data.numpy(), onnx_r.boxes.data.numpy(), atol=1e-3)
    assert [len(p) for p in pt_r.masks.xy] == [len(p) for p in onnx_r.masks.xy]


# Pixel counts of every mask in `masks.data`, from Ultralytics 8.4.190 itself (ONNX Runtime CPU, same
# yolo11n-seg-dynamic.onnx), captured with `r.masks.data.sum((1, 2))`; ours were equal pixel for pixel.
ORIGINAL_MASK_PIXELS = {
    ("bus.jpg", 640, False): [7744, 92246, 17410, 12280, 670, 3848],
    ("bus.jpg", 640, True): [22049, 262642, 49582, 34940, 1958, 10974],
    ("zidane.jpg", 320, False): [11078, 14557, 1145],
    ("zidane.jpg", 320, True): [177623, 229688, 18230],
}


@pytest.mark.parametrize("name, imgsz, retina", list(ORIGINAL_MASK_PIXELS))
def test_masks_data_pixels_equal_original(model, name, imgsz, retina):
    im = cv2.imread(str(need(MODELS.parent / "media" / "images" / name)))
    r = model.predict(im, imgsz=imgsz, retina_masks=retina, verbose=False)[0]
    data = r.masks.data.numpy()
    assert data.shape[1:] == (im.shape[:2] if retina else r.input_hw)
    assert data.reshape(len(data), -1).sum(1).tolist() == ORIGINAL_MASK_PIXELS[(name, imgsz, retina)]


def test_predict_save_writes_run_folder(model, bus_jpg, tmp_path):
    rs = model.predict(str(bus_jpg), save=True, save_txt=True, project=str(tmp_path), name="exp", verbose=False)
    out = tmp_path / "exp"
    assert rs[0].save_dir == str(out)  # a str, as 8.4.190
    im = cv2.imread(str(out / "bus.jpg"))
    orig = cv2.imread(str(bus_jpg))
    assert im.shape == orig.shape and (cv2.absdiff(im, orig).max(axis=2) > 60).sum() > 1000
    assert (rs[0].orig_img == orig).all()  # the result's own frame is not drawn on
    lines = (out / "labels" / "bus.txt").read_text().splitlines()  # YOLO format (tests/test_outputs.py)
    assert len(lines) == len(rs[0]) and lines[0].startswith("0 ")
    mot = model.predict(str(bus_jpg), save_txt=True, txt_format="mot", project=str(tmp_path), name="mot", verbose=False)
    lines = (tmp_path / "mot" / "labels" / "bus.txt").read_text().splitlines()
    assert len(lines) == len(mot[0]) and lines[0].startswith("1,-1,669.75,392.30,")
    polys = (tmp_path / "mot" / "labels" / "bus_polygons.txt").read_text().splitlines()
    assert len(polys) == len(mot[0]) and polys[0].startswith("1,-1,0,")
    # name= changed since the last call (mot): a new folder, numbered as 8.4.190 numbers it
    again = model.predict(str(bus_jpg), save=True, project=str(tmp_path), name="exp", verbose=False)
    assert again[0].save_dir == str(tmp_path / "exp-2")
    with pytest.raises(NotImplementedError, match="save_frames"):
        model.predict(str(bus_jpg), save_frames=True)


def test_in_memory_frames_are_not_copied(model, bus, bus_jpg):
    """Arrays go through the loader's one converter; a contiguous BGR frame is the result's orig_img, not a copy."""
    frame = bus.copy()
    r = model.predict(frame, verbose=False)[0]
    assert r.orig_img is frame and r.source_item is None and r.path == "image0.jpg"  # 8.4.190's name
    rs = model.predict([frame, frame], verbose=False)
    assert [x.path for x in rs] == ["image0.jpg", "image1.jpg"] and all(x.orig_img is frame for x in rs)
    assert model.track(frame, verbose=False)[0].orig_img is frame
    f = model.predict(str(bus_jpg), verbose=False)[0]
    assert f.source_item is not None and f.source_item.path == str(bus_jpg) and not f.source_item.from_memory
    with pytest.raises(ValueError, match="empty image"):
        model.predict(np.zeros((0, 10), np.uint8))
