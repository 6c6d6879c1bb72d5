"""What ``model.val()`` writes and exposes besides the mAPs, against Ultralytics 8.4.190 on coco8-seg: the run folder
and its files, the confusion matrix, the P / R / F1 / PR curve data, ``predictions.json`` (``save_json=True``).

The reference (tests/fixtures/val_outputs_reference.json) was made by running the original on the same models and
data: ``YOLO_OFFLINE=1 /opt/ultra/bin/python tests/fixtures/make_val_outputs_reference.py`` (Ultralytics 8.4.190,
torch 2.15.0 CPU, onnxruntime 1.32.0).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from numa_ultralytics import YOLO
from numa_ultralytics.engine.validator import rle_counts, rle_string
from numa_ultralytics.utils.metrics import ConfusionMatrix

from .conftest import MEDIA, MODELS, need
from .helpers import coco8_yaml

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "val_outputs_reference.json").read_text())
REF = FIXTURE["models"]
ARGS = FIXTURE["val_args"]  # imgsz 640, batch 1, device cpu
# The .pt runs through torch in the original and through its ONNX graph here: confidences differ in the last float32
# bits, which moves the confidence-interpolated P / R / F1 curves by up to ~6e-6 (the PR curves and every mAP are
# equal). The ONNX models run in onnxruntime on both sides: the curves are equal to the bit.
CURVE_TOL = {"yolo11n-seg-dynamic.onnx": 1e-6, "yolo26n-dynamic.onnx": 1e-6, "yolo11n-seg.pt": 1e-5}


@pytest.fixture(autouse=True)
def _run_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def load(name: str) -> YOLO:
    return YOLO(need(MODELS / name), task=REF[name]["task"])


def rle_decode(s: str, h: int, w: int) -> np.ndarray:
    """COCO's compressed RLE string -> (h, w) uint8 mask (pycocotools' rleFrString + rleDecode)."""
    counts: list[int] = []
    p = 0
    while p < len(s):
        x, k, more = 0, 0, True
        while more:
            c = ord(s[p]) - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and c & 0x10:
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    flat = np.zeros(h * w, np.uint8)
    pos, val = 0, 0
    for c in counts:
        flat[pos : pos + c] = val
        pos += c
        val ^= 1
    return flat.reshape(w, h).T


@pytest.mark.parametrize("name", list(REF))
def test_plots_matrix_and_curves_match_original(name: str, tmp_path: Path) -> None:
    ref = REF[name]
    model = load(name)
    m = model.val(data=str(coco8_yaml(tmp_path, model.names)), verbose=False, **ARGS)
    task = ref["task"]
    assert m.save_dir == (tmp_path / "runs" / task / "val").resolve()
    files = sorted(p.name for p in m.save_dir.iterdir())
    assert files == ref["save_dir_files"]  # Box/Mask P, R, F1, PR curves, both matrices, val_batch0..2 labels / pred
    for f in files:
        im = cv2.imread(str(m.save_dir / f))
        assert im is not None and im.ndim == 3 and min(im.shape[:2]) >= 100, f
    # the confusion matrix: (nc + 1) x (nc + 1) counts, equal to the original's
    cm = m.confusion_matrix
    assert cm.matrix.shape == (81, 81)
    assert np.array_equal(cm.matrix, np.array(ref["confusion_matrix"], dtype=float))
    tp, fp = cm.tp_fp()
    assert len(tp) == 80 and tp.sum() == np.trace(cm.matrix) - cm.matrix[-1, -1]
    rows = cm.summary(normalize=True)
    assert len(rows) == 81 and rows[-1]["Predicted"] == "background" and "potted_plant" in rows[0]
    # the curves users read: names, then [x, y, xlabel, ylabel] per curve
    assert list(m.curves) == ref["curves"]
    step, tol = FIXTURE["curve_step"], CURVE_TOL[name]
    kinds = ("box", "seg") if task == "segment" else ("box",)
    results = m.curves_results
    assert len(results) == 4 * len(kinds)
    for ki, kind in enumerate(kinds):
        assert getattr(m, kind).curves_results == results[4 * ki : 4 * ki + 4]
        for (x, y, xlabel, ylabel), key in zip(getattr(m, kind).curves_results, ("PR", "F1", "P", "R")):
            r = ref[kind][key]
            y = np.asarray(y)
            assert (xlabel, ylabel) == (r["xlabel"], r["ylabel"]) and list(y.shape) == r["shape"]
            assert np.array_equal(np.asarray(x)[::step], r["x"])
            assert np.abs(y[:, ::step] - np.array(r["y"])).max() <= tol, (kind, key)
            assert np.abs(y.sum(1) - np.array(r["row_sums"])).max() <= tol * y.shape[1], (kind, key)
    for k, v in ref["results_dict"].items():
        assert abs(m.results_dict[k] - v) < 1e-6, k
    # a second run goes to val-2 (8.4.190's numbering), as predict's runs
    m2 = model.val(data=str(coco8_yaml(tmp_path, model.names)), verbose=False, plots=False, **ARGS)
    assert m2.save_dir.name == "val-2" and not m2.save_dir.exists()  # plots=False, no save_json: nothing written


@pytest.mark.parametrize("name", ["yolo11n-seg-dynamic.onnx", "yolo26n-dynamic.onnx"])
def test_save_json_matches_original(name: str, tmp_path: Path) -> None:
    ref = REF[name]
    model = load(name)
    m = model.val(data=str(coco8_yaml(tmp_path, model.names)), verbose=False, plots=False, save_json=True, **ARGS)
    assert sorted(p.name for p in m.save_dir.iterdir()) == ref["json_save_dir_files"] == ["predictions.json"]
    records = json.loads((m.save_dir / "predictions.json").read_text())
    assert len(records) == ref["n_predictions"] == len(ref["predictions"])
    assert sorted(records[0]) == ref["record_keys"]
    exact_rle = 0
    for got, (image_id, file_name, category_id, bbox, score, area, counts) in zip(records, ref["predictions"]):
        assert (got["image_id"], got["file_name"], got["category_id"]) == (image_id, file_name, category_id)
        assert np.abs(np.array(got["bbox"]) - bbox).max() <= 1e-3 and abs(got["score"] - score) <= 1e-3
        if area is None:
            assert "segmentation" not in got
            continue
        h, w = got["segmentation"]["size"]
        mask = rle_decode(got["segmentation"]["counts"], h, w)
        assert abs(int(mask.sum()) - area) <= max(2, 0.002 * area), (got, area)
        if counts is not None:
            theirs = rle_decode(counts, h, w)
            inter, union = int((mask & theirs).sum()), int((mask | theirs).sum())
            assert inter >= 0.995 * union, got
            exact_rle += got["segmentation"]["counts"] == counts
    if ref["task"] == "segment":
        assert exact_rle >= 1
    # with save_json the original computes masks at the input size (process_mask_native): its metrics, too
    for k, v in ref["json_results_dict"].items():
        assert abs(m.results_dict[k] - v) < 1e-6, k


def test_rle_round_trip() -> None:
    rng = np.random.default_rng(0)
    for h, w in [(5, 7), (478, 640), (1, 1)]:
        m = (rng.random((h, w)) > 0.7).astype(np.uint8)
        m[: h // 2] = 0
        s = rle_string(rle_counts(m), h, w)
        assert np.array_equal(rle_decode(s, h, w), m)
    full = np.ones((4, 3), np.uint8)
    assert rle_counts(full) == [0, 12] and rle_counts(full * 0) == [12]


def test_plots_false_writes_nothing(tmp_path: Path) -> None:
    model = load("yolo26n-dynamic.onnx")
    m = model.val(data=str(coco8_yaml(tmp_path, model.names)), verbose=False, plots=False, **ARGS)
    assert not (tmp_path / "runs").exists()
    assert m.save_dir == (tmp_path / "runs" / "detect" / "val").resolve()
    assert m.confusion_matrix.matrix.sum() == 0  # as the original: filled only when plotting


def test_project_name_exist_ok(tmp_path: Path) -> None:
    model = load("yolo26n-dynamic.onnx")
    data = str(coco8_yaml(tmp_path, model.names))
    kw = {"data": data, "verbose": False, "project": str(tmp_path / "out"), "name": "exp", **ARGS}
    a = model.val(**kw)
    b = model.val(**kw)
    c = model.val(**kw, exist_ok=True)
    assert (a.save_dir.name, b.save_dir.name, c.save_dir.name) == ("exp", "exp-2", "exp")
    assert (a.save_dir / "confusion_matrix_normalized.png").is_file()
    with pytest.raises(ValueError, match="plots"):
        model.val(data=data, plots="yes")


def test_data_folder_is_a_clear_error(tmp_path: Path) -> None:
    folder = need(MEDIA / "coco8-seg")
    model = load("yolo26n-dynamic.onnx")
    with pytest.raises(ValueError, match=r"is a folder, not a dataset YAML") as e:
        model.val(data=str(folder))
    assert str(folder) in str(e.value) and "val: images/val" in str(e.value)


def test_cli_val_plots_and_save_json(tmp_path: Path) -> None:
    data = coco8_yaml(tmp_path, load("yolo26n-dynamic.onnx").names)
    env = dict(os.environ, NUMA_ULTRALYTICS_WEIGHTS_DIR=str(MODELS), NUMA_ULTRALYTICS_OFFLINE="1")
    cmd = [sys.executable, "-m", "numa_ultralytics", "detect", "val", "model=yolo26n-dynamic.onnx", "batch=1"]
    p = subprocess.run(
        [*cmd, f"data={data}", "plots=False", "save_json=True"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    out = tmp_path / "runs" / "detect" / "val"
    assert sorted(x.name for x in out.iterdir()) == ["predictions.json"]
    assert len(json.loads((out / "predictions.json").read_text())) == REF["yolo26n-dynamic.onnx"]["n_predictions"]
    assert "Results saved to" in p.stdout + p.stderr
    p = subprocess.run(
        [*cmd, f"data={need(MEDIA / 'coco8-seg')}"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert p.returncode == 2 and "is a folder, not a dataset YAML" in p.stderr


def test_confusion_matrix_rules() -> None:
    """``process_batch``: detections above ``conf`` claim their best target with IoU > 0.45 in confidence order,
    class-agnostic; unmatched targets are background FNs, unmatched detections background FPs."""
    cm = ConfusionMatrix({0: "a", 1: "b"})
    gt = {
        "bboxes": np.array([[0, 0, 10, 10], [20, 20, 30, 30], [50, 50, 60, 60]], np.float32),
        "cls": np.array([0, 1, 0.0]),
    }
    boxes = [[0, 0, 10, 10], [1, 0, 10, 10], [20, 20, 30, 31], [80, 80, 90, 90], [50, 50, 60, 60]]
    det = {
        "bboxes": np.array(boxes, np.float32),
        "conf": np.array([0.9, 0.95, 0.8, 0.7, 0.1], np.float32),
        "cls": np.array([0, 1, 0, 1, 0.0]),
    }
    cm.process_batch(det, gt, conf=0.25)
    # target 0 (a): claimed by the 0.95 detection of class b; target 1 (b) by a class-a detection; target 2 missed
    # (its detection is below conf); the 0.9 detection (a) and the one at 80 (b) are background FPs
    assert cm.matrix.tolist() == [[0, 1, 1], [1, 0, 1], [1, 0, 0]]
    cm.process_batch({"bboxes": np.zeros((0, 4)), "conf": np.zeros(0), "cls": np.zeros(0)}, gt)
    assert cm.matrix[2].tolist() == [3, 1, 0]
    cm.process_batch(det, {"bboxes": np.zeros((0, 4)), "cls": np.zeros(0)}, conf=0.25)
    assert cm.matrix[:, 2].tolist() == [3, 3, 0]
    assert cm.normalized()[:, 0].sum() == pytest.approx(1.0)
