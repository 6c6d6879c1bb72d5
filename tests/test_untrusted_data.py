"""Untrusted datasets and YAML files stay bounded (issue 22.6, 22.9): val and int8 calibration read only regular
files, bounded label files and YAMLs, skip a bad image or label with a warning naming it (counts as 8.4.190), and
refuse a dataset with more classes than the model up front."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest
import yaml

from numa_ultralytics import YOLO
from numa_ultralytics.data import dataset
from numa_ultralytics.data.dataset import (
    MAX_CLASSES,
    MAX_INSTANCES,
    MAX_SEGMENT_POINTS,
    check_det_dataset,
    img_files,
    read_labels,
)
from numa_ultralytics.trackers.config import load_tracker_config
from numa_ultralytics.utils import MAX_YAML_BYTES, MAX_YAML_VALUES, load_yaml_file

try:  # tests/ may or may not be a package
    from .conftest import MEDIA, MODELS, need
    from .helpers import capture_log
except ImportError:
    from conftest import MEDIA, MODELS, need
    from helpers import capture_log


@pytest.fixture(autouse=True)
def _run_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _captured(fn):  # type: ignore[no-untyped-def]
    with capture_log() as lines:
        return fn(), lines


def copy_coco8(tmp_path: Path, names: dict[int, str] | None = None) -> tuple[Path, Path]:
    """coco8-seg's val split copied into ``tmp_path/ds`` (4 images) and its YAML."""
    src = need(MEDIA / "coco8-seg")
    root = tmp_path / "ds"
    for sub in ("images/val", "labels/val"):
        shutil.copytree(src / sub, root / sub)
    p = tmp_path / "ds.yaml"
    names = names if names is not None else {i: f"c{i}" for i in range(80)}
    p.write_text(yaml.safe_dump({"path": str(root), "train": "images/val", "val": "images/val", "names": names}))
    return root, p


def alias_bomb(levels: int = 9, fanout: int = 9) -> str:
    """A few hundred bytes of YAML flow sequence whose last item expands to fanout**levels values."""
    items = ['&a0 ["' + "x" * 8 + '"]']
    for i in range(1, levels + 1):
        items.append(f"&a{i} [" + ",".join([f"*a{i - 1}"] * fanout) + "]")
    return "[" + ", ".join(items) + "]"


# -------------------------------------------------------------------------------- YAML files


def test_dataset_yaml_alias_bomb_is_refused_fast(tmp_path):
    """Before: 31 s, then MemoryError (the names list was str()-ed value by value)."""
    p = tmp_path / "bomb.yaml"
    p.write_text(f"path: {tmp_path}\ntrain: images\nval: images\nnames: {alias_bomb()}\n")
    t0 = time.monotonic()
    with pytest.raises(ValueError, match=f"over {MAX_YAML_VALUES} values"):
        check_det_dataset(p)
    assert time.monotonic() - t0 < 2


def test_tracker_yaml_alias_bomb_is_refused_fast(tmp_path):
    """A 481-byte tracker YAML took 20 s: its error message repr-ed the expanded value."""
    p = tmp_path / "bomb_tracker.yaml"
    p.write_text(f"tracker_type: bytetrack\ntrack_high_thresh: {alias_bomb()}\n")
    assert p.stat().st_size < 600
    t0 = time.monotonic()
    with pytest.raises(ValueError, match="tracker config .* over .* values") as e:
        load_tracker_config(str(p))
    assert time.monotonic() - t0 < 2 and len(str(e.value)) < 500
    # a bounded but nested value still gets a short message
    with pytest.raises(ValueError, match="track_high_thresh=") as e:
        load_tracker_config({"tracker_type": "bytetrack", "track_high_thresh": [[list(range(1000))] * 50] * 50})
    assert len(str(e.value)) < 500


def test_yaml_size_and_kind_are_bounded(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("names: [" + ", ".join(["abcdefgh"] * (MAX_YAML_BYTES // 8)) + "]\n")
    with pytest.raises(ValueError, match="MAX_YAML_BYTES"):
        check_det_dataset(big)
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"):  # before: blocked forever in open()
        load_yaml_file(fifo, "tracker config")
    # a self-referencing document
    rec = tmp_path / "rec.yaml"
    rec.write_text("a: &a [1, *a]\n")
    with pytest.raises(ValueError, match="contains itself"):
        load_yaml_file(rec)
    # ordinary anchors still load
    ok = tmp_path / "ok.yaml"
    ok.write_text("base: &b {x: 1}\nother: *b\n")
    assert load_yaml_file(ok) == {"base": {"x": 1}, "other": {"x": 1}}


@pytest.mark.parametrize("nc", [10_000_000_000, 0, -3, "many", 1.5])
def test_dataset_class_count_is_bounded(tmp_path, nc):
    """``nc: 10000000000`` built ten billion names."""
    p = tmp_path / "nc.yaml"
    p.write_text(yaml.safe_dump({"path": str(tmp_path), "train": "images", "val": "images", "nc": nc}))
    t0 = time.monotonic()
    with pytest.raises(ValueError, match="MAX_CLASSES") as e:
        check_det_dataset(p)
    assert time.monotonic() - t0 < 1 and len(str(e.value)) < 400
    p.write_text(yaml.safe_dump({"path": str(tmp_path), "train": "a", "val": "a", "names": ["x"] * (MAX_CLASSES + 1)}))
    with pytest.raises(ValueError, match="MAX_CLASSES"):
        check_det_dataset(p)


# -------------------------------------------------------------------------------- label files and images


def test_label_files_are_bounded(tmp_path):
    """100k instances (~30 GB of masks once drawn) or a 20k-point polygon: refused from the file, naming the limit."""
    root, _ = copy_coco8(tmp_path)
    im = str(root / "images/val/000000000036.jpg")
    lb = root / "labels/val/000000000036.txt"
    row = "0 0.1 0.1 0.2 0.1 0.2 0.2 0.1 0.2\n"
    lb.write_text(row * 100_000)
    t0 = time.monotonic()
    with pytest.raises(ValueError, match="MAX_INSTANCES"):
        read_labels(im, 80)
    assert time.monotonic() - t0 < 2
    lb.write_text(row * MAX_INSTANCES)
    assert len(read_labels(im, 80).cls) == 1  # duplicates removed, as the original
    lb.write_text("0 " + " ".join(["0.5"] * (2 * MAX_SEGMENT_POINTS + 2)) + "\n")
    with pytest.raises(ValueError, match="MAX_SEGMENT_POINTS"):
        read_labels(im, 80)
    lb.write_text("0 0.5 0.5 0.1 0.1\n" * 10 + "0" * dataset.MAX_LABEL_BYTES)
    with pytest.raises(ValueError, match="MAX_LABEL_BYTES"):
        read_labels(im, 80)


def test_fifo_named_jpg_is_never_opened(tmp_path):
    """A FIFO named ``*.jpg`` in the images folder hung val (and int8 calibration) in open()."""
    model = YOLO(need(MODELS / "yolo11n-seg.onnx"))
    root, data = copy_coco8(tmp_path, model.names)
    fifo = root / "images/val/zz_fifo.jpg"
    os.mkfifo(fifo)
    released = threading.Event()
    done = threading.Event()

    def release() -> None:  # a safety valve: if val opened the FIFO and blocks, give it EOF after 30 s
        if not done.wait(30):
            released.set()
            with open(fifo, "wb"):
                pass

    threading.Thread(target=release, daemon=True).start()
    try:
        assert str(fifo) not in img_files(str(root / "images/val"))
        m, lines = _captured(lambda: model.val(data=str(data), imgsz=640, batch=1, plots=False, verbose=False))
    finally:
        done.set()
    assert not released.is_set(), "val opened the FIFO and blocked on it"
    assert any("zz_fifo.jpg" in x and "not a regular file" in x for x in lines)
    assert m.box.map > 0


def test_val_skips_bad_labels_and_images_with_counts(tmp_path):
    """A label with class 95 of 80, one with coordinates > 1 and an unreadable image: each skipped with a warning
    naming its file, the rest validated, and 8.4.190's count line (its run on the same files printed
    ``3 images, 0 backgrounds, 3 corrupt``). Before: the first bad file ended val."""
    model = YOLO(need(MODELS / "yolo11n-seg.pt"))  # as the original ran: rect batches
    root, data = copy_coco8(tmp_path, model.names)
    bad_cls = root / "labels/val/000000000042.txt"
    first = bad_cls.read_text().splitlines()[0]
    bad_cls.write_text("95" + first[first.index(" ") :] + "\n")
    bad_xy = root / "labels/val/000000000049.txt"
    rows = bad_xy.read_text().splitlines()
    rows[0] = rows[0].split()[0] + " 1.5 0.5 0.6 0.5 0.6 0.7"
    bad_xy.write_text("\n".join(rows) + "\n")
    (root / "images/val/000000000061.jpg").write_bytes(b"not a jpeg" * 10)
    m, lines = _captured(lambda: model.val(data=str(data), imgsz=640, batch=1, plots=False))
    for stem, why in (("042", "exceeds dataset class count 80"), ("049", "non-normalized"), ("061", "image")):
        hit = [x for x in lines if f"000000000{stem}.jpg: ignoring corrupt image/label" in x]
        assert hit and why in hit[0], (stem, lines)
    assert any("Scanning" in x and x.endswith("3 images, 0 backgrounds, 3 corrupt") for x in lines), lines
    # the one good image: 8.4.190's numbers on the same files (box mAP50-95 0.8955, mask 0.84575)
    assert abs(m.box.map - 0.8955) < 0.01 and abs(m.seg.map - 0.84575) < 0.01, (m.box.map, m.seg.map)
    # every image bad: a clear error naming the folder and the reasons
    for f in (root / "labels/val").glob("*.txt"):
        f.write_text("95 0.5 0.5 0.1 0.1\n")
    with pytest.raises(ValueError, match="(?s)No valid images found .*exceeds dataset class count"):
        model.val(data=str(data), imgsz=640, batch=1, plots=False, verbose=False)


def test_val_refuses_more_dataset_classes_than_the_model_up_front(tmp_path):
    """A dataset of 100 classes against an 80-class model ended in ``KeyError 95`` mid-run."""
    model = YOLO(need(MODELS / "yolo11n-seg.onnx"))
    root, data = copy_coco8(tmp_path, {i: f"c{i}" for i in range(100)})
    (root / "labels/val/000000000042.txt").write_text("95 0.5 0.5 0.6 0.5 0.6 0.6\n")
    with pytest.raises(ValueError, match="has 100 classes .* the model has 80"):
        model.val(data=str(data), imgsz=640, batch=1, plots=False, verbose=False)
