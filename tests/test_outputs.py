"""What Ultralytics users call beyond the seed: YOLO-format labels, Results.plot()-drawn saves, printing, exports of a
Results (to_csv / to_df / save_crop), model.info(), the task warning and plain progress lines."""

from __future__ import annotations

import importlib.util
import io
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from numa_ultralytics import YOLO
from numa_ultralytics.utils.plotting import draw_outlines, save_one_box
from numa_ultralytics.utils.progress import ProgressBar

from .conftest import MEDIA, MODELS, need


@pytest.fixture(scope="module")
def model() -> YOLO:
    return YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx"))


@pytest.fixture(scope="module")
def bus_png(tmp_path_factory) -> Path:
    """bus.jpg as a lossless PNG, so that a saved image can be compared pixel for pixel."""
    out = tmp_path_factory.mktemp("png") / "bus.png"
    cv2.imwrite(str(out), cv2.imread(str(need(MEDIA / "images" / "bus.jpg"))))
    return out


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    cap = cv2.VideoCapture(str(need(MEDIA / "videos" / "seeed_people-walking.mp4")))
    dst = tmp_path_factory.mktemp("clip") / "people.mp4"
    writer = None
    for _ in range(5):
        ok, im = cap.read()
        assert ok
        if writer is None:
            writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), 25, (im.shape[1], im.shape[0]))
        writer.write(im)
    assert writer is not None
    writer.release()
    cap.release()
    return dst


def read_labels(path: Path, save_conf: bool, tracked: bool) -> list[tuple[int, np.ndarray, float | None, int | None]]:
    """Ultralytics' label line rules: ``cls x1 y1 x2 y2 ...`` (normalised polygon) [conf] [track id], ``%g`` numbers."""
    out = []
    for line in path.read_text().splitlines():
        v = line.split()
        tid = int(v.pop()) if tracked else None
        conf = float(v.pop()) if save_conf else None
        out.append((int(v[0]), np.array([float(x) for x in v[1:]]).reshape(-1, 2), conf, tid))
    return out


# ------------------------------------------------------------------------------------------------ save_txt


def test_save_txt_yolo_labels_match_results(model, bus_png, tmp_path):
    rs = model.predict(str(bus_png), save_txt=True, save_conf=True, project=str(tmp_path), name="p", verbose=False)
    r = rs[0]
    labels = tmp_path / "p" / "labels"
    assert sorted(p.name for p in labels.iterdir()) == ["bus.txt"]
    rows = read_labels(labels / "bus.txt", save_conf=True, tracked=False)
    assert len(rows) == len(r) > 3
    for j, (cls, poly, conf, _) in enumerate(rows):
        assert cls == int(r.boxes.cls[j])
        assert conf == pytest.approx(float(r.boxes.conf[j]), abs=1e-5)
        np.testing.assert_allclose(poly, r.masks.xyn[j], atol=1e-5)
    # the same lines as Results.save_txt (the one place of the format)
    own = tmp_path / "own.txt"
    r.save_txt(own, save_conf=True)
    assert own.read_text() == (labels / "bus.txt").read_text()
    # without save_conf: cls + polygon only
    model.predict(str(bus_png), save_txt=True, project=str(tmp_path), name="q", verbose=False)
    first = (tmp_path / "q" / "labels" / "bus.txt").read_text().splitlines()[0].split()
    assert (len(first) - 1) % 2 == 0 and len(first) - 1 == 2 * len(r.masks.xyn[0])


def test_save_txt_detect_model_boxes(tmp_path, bus_png):
    m = YOLO(need(MODELS / "yolo11n-detect-int8-320.onnx"))
    r = m.predict(str(bus_png), save_txt=True, project=str(tmp_path), name="d", verbose=False)[0]
    lines = (tmp_path / "d" / "labels" / "bus.txt").read_text().splitlines()
    assert len(lines) == len(r)
    for line, cls, xywhn in zip(lines, r.boxes.cls.tolist(), r.boxes.xywhn.tolist()):
        v = [float(x) for x in line.split()]
        assert len(v) == 5 and v[0] == cls
        np.testing.assert_allclose(v[1:], xywhn, atol=1e-5)


def test_track_video_labels_per_frame_with_ids(model, clip, tmp_path):
    kw = {"tracker": "bytetrack.yaml", "project": str(tmp_path), "name": "t", "verbose": False}
    rs = model.track(str(clip), save_txt=True, save_conf=True, **kw)
    labels = tmp_path / "t" / "labels"
    # Ultralytics: labels/<stem>_<frame>.txt, the 1-based frame counter; no file for a frame without tracks
    assert sorted(p.name for p in labels.iterdir()) == sorted(f"people_{i + 1}.txt" for i, r in enumerate(rs) if len(r))
    n = 0
    for i, r in enumerate(rs):
        if not len(r):
            continue
        rows = read_labels(labels / f"people_{i + 1}.txt", save_conf=True, tracked=True)
        assert [t for *_, t in rows] == r.boxes.id.int().tolist()
        assert [c for c, *_ in rows] == r.boxes.cls.int().tolist()
        for j, (_, poly, conf, _) in enumerate(rows):
            assert conf == pytest.approx(float(r.boxes.conf[j]), abs=1e-5)
            np.testing.assert_allclose(poly, r.masks.xyn[j], atol=1e-5)
        n += len(rows)
    assert n > 20


def test_txt_format_and_plot_style_are_checked(model, bus_png):
    with pytest.raises(ValueError, match="txt_format"):
        model.predict(str(bus_png), save_txt=True, txt_format="csv")
    with pytest.raises(ValueError, match="plot_style"):
        model.predict(str(bus_png), save=True, plot_style="fancy")


# ------------------------------------------------------------------------------------------------ save drawing


@pytest.mark.parametrize(
    "kw, plot_kw",
    [
        ({}, {}),
        (
            {"line_width": 3, "show_conf": False, "show_labels": True, "show_boxes": True},
            {"line_width": 3, "conf": False},
        ),
        ({"show_boxes": False, "show_labels": False}, {"boxes": False, "labels": False}),
    ],
)
def test_save_image_equals_results_plot(model, bus_png, tmp_path, kw, plot_kw):
    rs = model.predict(str(bus_png), save=True, project=str(tmp_path), name="s", verbose=False, **kw)
    saved = cv2.imread(str(tmp_path / "s" / "bus.png"))
    assert np.array_equal(saved, rs[0].plot(**plot_kw))


def test_track_save_equals_results_plot(model, bus_png, tmp_path):
    rs = model.track(str(bus_png), save=True, project=str(tmp_path), name="t", verbose=False)
    assert rs[0].boxes.is_track
    assert np.array_equal(cv2.imread(str(tmp_path / "t" / "bus.png")), rs[0].plot())


def test_plot_style_outlines_is_the_seed_look(model, bus_png, tmp_path):
    rs = model.predict(str(bus_png), save=True, plot_style="outlines", project=str(tmp_path), name="o", verbose=False)
    want = draw_outlines(rs[0], rs[0].names, im=rs[0].orig_img.copy(), color_mode="class", show_conf=False)
    assert np.array_equal(cv2.imread(str(tmp_path / "o" / "bus.png")), want)
    assert not np.array_equal(want, rs[0].plot())


# ------------------------------------------------------------------------------------------------ printing, exports


def test_str_is_the_attribute_dump(model, bus_png):
    r = model.predict(str(bus_png), verbose=False)[0]
    s = str(r)
    assert s.startswith(
        "numa_ultralytics.engine.results.Results object with attributes:\n\n"
        "boxes: numa_ultralytics.engine.results.Boxes object\n"
    )
    assert "\nkeypoints: None\nmasks: numa_ultralytics.engine.results.Masks object\n" in s
    for attr in ("names: {0: 'person'", "obb: None", "orig_shape: (1080, 810)", "path: ", "probs: None", "speed: {"):
        assert f"\n{attr}" in s
    assert repr(r) == s
    b = str(r.boxes)
    assert b.startswith("numa_ultralytics.engine.results.Boxes object with attributes:\n\ncls: ")
    for attr in ("conf", "data", "id", "is_track", "orig_shape", "shape", "xywh", "xywhn", "xyxy", "xyxyn"):
        assert f"\n{attr}: " in b
    m = str(r.masks)
    assert m.startswith("numa_ultralytics.engine.results.Masks object with attributes:\n\ndata: ")
    for attr in ("orig_shape", "shape", "xy", "xyn"):
        assert f"\n{attr}: " in m


def test_to_csv_and_to_df(model, bus_png):
    r = model.predict(str(bus_png), verbose=False)[0]
    import csv

    rows = list(csv.reader(io.StringIO(r.to_csv())))
    assert rows[0] == ["name", "class", "confidence", "box", "segments"]
    assert len(rows) == len(r) + 1
    s0 = r.summary()[0]
    assert rows[1][:3] == [s0["name"], str(s0["class"]), str(s0["confidence"])]
    assert rows[1][3] == repr(s0["box"])
    t = model.track(str(bus_png), verbose=False)[0]
    assert next(csv.reader(io.StringIO(t.to_csv()))) == ["name", "class", "confidence", "box", "track_id", "segments"]
    if importlib.util.find_spec("pandas") is None:
        with pytest.raises(ImportError, match=r"numa_ultralytics\[pandas\]"):
            r.to_df()
    else:
        df = r.to_df()
        assert list(df.columns) == ["name", "class", "confidence", "box", "segments"] and len(df) == len(r)


def test_save_crop_per_class_folder(model, bus_png, tmp_path):
    r = model.predict(str(bus_png), verbose=False)[0]
    r.save_crop(tmp_path / "crops", file_name="bus")
    names = [r.names[c] for c in r.boxes.cls.int().tolist()]
    for name in set(names):
        files = sorted(p.name for p in (tmp_path / "crops" / name).iterdir())
        k = names.count(name)
        assert files == sorted(["bus.jpg", *(f"bus-{i}.jpg" for i in range(2, k + 1))])  # 8.4.190: bus-2.jpg
    crop = cv2.imread(str(tmp_path / "crops" / names[0] / "bus.jpg"))
    want = save_one_box(r.boxes.xyxy[0], r.orig_img, save=False)
    assert crop.shape == want.shape
    x1, y1, x2, y2 = r.boxes.xyxy[0].tolist()
    assert want.shape[1] == min(int((x1 + x2) / 2 + ((x2 - x1) * 1.02 + 10) / 2), 810) - max(
        int((x1 + x2) / 2 - ((x2 - x1) * 1.02 + 10) / 2), 0
    )


def test_save_crop_argument(model, bus_png, clip, tmp_path):
    r = model.predict(str(bus_png), save_crop=True, project=str(tmp_path), name="c", verbose=False)[0]
    crops = tmp_path / "c" / "crops"
    n = sum(len(list(d.iterdir())) for d in crops.iterdir())
    assert n == len(r) and (crops / "person" / "bus.jpg").exists() and (crops / "bus" / "bus.jpg").exists()
    rs = model.predict(str(clip), save_crop=True, project=str(tmp_path), name="v", verbose=False)
    assert (tmp_path / "v" / "crops" / "person" / "people_1.jpg").exists()  # Ultralytics: <stem>_<frame>
    assert len(list((tmp_path / "v" / "crops").rglob("*.jpg"))) == sum(len(x) for x in rs)


def test_model_info(model, monkeypatch):
    from numa_ultralytics.engine import model as model_mod

    said: list[str] = []
    monkeypatch.setattr(model_mod.LOGGER, "info", lambda msg: said.append(msg))
    layers, params, grads, flops = model.info()
    assert (layers, params, grads) == (101, 2_868_664, 0) and round(flops, 1) == 9.8  # 9.80128, as 8.4.190 (thop 2.2)
    assert said == [
        "YOLO11n-seg-dynamic summary: 101 layers, 2,868,664 parameters, 0 gradients, 9.8 GFLOPs",
        f"Runtime: {model.backend.runtime} fp32 (yolo11n-seg-dynamic.onnx)",  # what runs it (nn/precision.py)
    ]
    said.clear()
    assert model.info(verbose=False)[1] == 2_868_664 and said == []


# ------------------------------------------------------------------------------------------------ command line


def test_plain_progress_lines_when_not_a_tty():
    buf = io.StringIO()
    bar = ProgressBar(340, desc="people ", file=buf, plain_interval=0.0)
    for _ in range(3):
        bar.update()
    bar.close()
    lines = buf.getvalue().splitlines()
    assert len(lines) == 3 and "\r" not in buf.getvalue()
    assert lines[2].startswith("people: 3/340 frames (1%), ") and " FPS, elapsed 00:00, ETA " in lines[2]
    buf = io.StringIO()
    bar = ProgressBar(None, file=buf, plain_interval=3600)  # long interval: nothing yet
    bar.update(5)
    assert buf.getvalue() == "" and bar.plain_line().startswith("5 frames, ")
    assert "ETA" not in bar.plain_line()
    quiet = ProgressBar(10, file=buf, enabled=False, plain_interval=0.0)
    quiet.update()
    assert buf.getvalue() == ""


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, NUMA_ULTRALYTICS_WEIGHTS_DIR=str(MODELS), NUMA_ULTRALYTICS_OFFLINE="1")
    return subprocess.run(
        [sys.executable, "-m", "numa_ultralytics", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=240
    )


def test_cli_task_warning_and_label_options(tmp_path, bus_png):
    p = _cli(
        ["detect", "predict", "model=yolo11n-seg-dynamic.onnx", f"source={bus_png}", "save_txt=True", "save_conf=True"],
        tmp_path,
    )
    assert p.returncode == 0, p.stderr
    assert "conflicting 'task=detect' passed with 'task=segment' model" in p.stderr
    run = tmp_path / "runs" / "segment" / "predict"  # the model's task
    rows = read_labels(run / "labels" / "bus.txt", save_conf=True, tracked=False)
    assert rows and all(len(poly) > 4 for _, poly, _, _ in rows)  # polygons: segment ran
    # the segment task's default weights (8.4.190's yolo26n-seg.pt, from the weights folder)
    p = _cli(
        ["segment", "predict", f"source={bus_png}", "save_txt=True", "txt_format=mot", "plot_style=outlines"], tmp_path
    )
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "runs" / "segment" / "predict-2" / "labels" / "bus_polygons.txt").exists()
    p = _cli(["predict", f"source={bus_png}", "txt_format=csv"], tmp_path)
    assert p.returncode == 2 and "txt_format" in p.stderr and "yolo, mot" in p.stderr


def test_to_json_equals_the_original():
    """``to_json()`` on the shared images equals 8.4.190's string, character for character: compact separators and
    segment coordinates rounded in float64 (in float32 they came out as 0.13541999459266663 against 0.13542).
    Reference: tests/fixtures/to_json_reference.json.gz, made by tests/fixtures/make_to_json_reference.py with the
    same ONNX model (so the detections themselves are equal)."""
    import gzip
    import json

    from .fixtures.make_to_json_reference import CASES, MODEL

    with gzip.open(Path(__file__).parent / "fixtures" / "to_json_reference.json.gz", "rt") as f:
        ref = json.load(f)
    assert ref["ultralytics"] == "8.4.190"
    for key, im, mode, norm in CASES:
        model = YOLO(str(need(MODELS / MODEL)))
        kw = {"tracker": "botsort.yaml"} if mode == "track" else {}
        r = getattr(model, mode)(str(MEDIA / "images" / im), verbose=False, **kw)[0]
        assert len(json.loads(ref[key])) == len(r) > 0, key
        assert r.to_json(normalize=norm) == ref[key], key


def test_results_has_every_task_attribute(model, bus_png):
    """8.4.190's Results carries an attribute per task (``probs``, ``keypoints``, ``obb``, and since 8.4
    ``semantic_mask`` and ``depth``); code that checks ``r.depth is None`` must run on a segment model's results."""
    r = model.predict(str(bus_png), verbose=False)[0]
    assert len(r) > 0 and r.masks is not None
    for key in ("probs", "keypoints", "obb", "semantic_mask", "depth"):
        assert getattr(r, key) is None, key
    assert r[0].depth is None and r.new().semantic_mask is None
