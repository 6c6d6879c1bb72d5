"""Tracking a source of several paths (a folder of videos, a folder of images): without ``persist`` the tracker
starts again at each new path, ids from 1, as Ultralytics 8.4.190 does (tests/fixtures/folder_track_reference.json,
made by tests/fixtures/make_folder_track_reference.py with the original), from Python and from the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from numa_ultralytics import YOLO

from .conftest import MODELS, ROOT, SHARED, need
from .fixtures.make_folder_track_reference import make_folders

REF = json.loads((Path(__file__).parent / "fixtures" / "folder_track_reference.json").read_text())


@pytest.fixture()
def folders(tmp_path: Path) -> tuple[Path, Path]:
    need(SHARED / "media" / "videos")
    return make_folders(SHARED, tmp_path / "src")


def _check(frames: list[dict], want: list[dict]) -> None:
    assert [f["path"] for f in frames] == [f["path"] for f in want]
    for i, (got, ref) in enumerate(zip(frames, want)):
        assert got["id"] == ref["id"] and got["cls"] == ref["cls"], (i, got["path"])
        np.testing.assert_array_equal(
            np.asarray(got["xyxy"], np.float32).reshape(-1, 4), np.asarray(ref["xyxy"], np.float32).reshape(-1, 4)
        )
        np.testing.assert_array_equal(np.asarray(got["conf"], np.float32), np.asarray(ref["conf"], np.float32))


def _rows(r) -> dict:  # type: ignore[no-untyped-def]
    b = r.boxes
    return {
        "path": Path(r.path).name,
        "xyxy": b.xyxy.tolist(),
        "id": b.id.astype(int).tolist(),
        "cls": b.cls.astype(int).tolist(),
        "conf": b.conf.tolist(),
    }


@pytest.mark.parametrize("key", ["videos", "images"])
def test_track_folder_resets_per_path(key: str, folders: tuple[Path, Path]) -> None:
    model = YOLO(need(MODELS / REF["model"]))
    src = folders[0] if key == "videos" else folders[1]
    gen = model.track(source=str(src), stream=True, tracker=REF["tracker"], imgsz=REF["imgsz"], device="cpu")
    frames = [_rows(r) for r in gen]
    _check(frames, REF[key])
    if key == "videos":  # the second video starts again: ids from 1, and its first frame has confirmed tracks
        first_b = next(f for f in frames if f["path"] == "b.mp4")
        assert first_b["id"] and min(first_b["id"]) == 1


def test_persist_keeps_the_tracker_across_paths(folders: tuple[Path, Path]) -> None:
    """``persist=True`` keeps one tracker over the paths (8.4.190 resets only without it): the second image is the
    tracker's frame 2, where only tracks carried over from the first are output (new ones wait for confirmation)."""
    model = YOLO(need(MODELS / REF["model"]))
    frames = [_rows(r) for r in model.track(source=str(folders[1]), persist=True, imgsz=REF["imgsz"], device="cpu")]
    assert frames[0]["id"] == REF["images"][0]["id"]
    assert frames[1]["id"] != REF["images"][1]["id"] and set(frames[1]["id"]) <= set(frames[0]["id"])


def test_cli_track_folder_label_files(folders: tuple[Path, Path], tmp_path: Path) -> None:
    """The command line over the folder of videos: the second video's first frame has its label file, with the ids
    8.4.190 gives."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python"), "NUMA_ULTRALYTICS_OFFLINE": "1"}
    argv = [sys.executable, "-m", "numa_ultralytics", "segment", "track", f"model={need(MODELS / REF['model'])}"]
    argv += [f"source={folders[0]}", f"imgsz={REF['imgsz']}", "save_txt=True", f"project={tmp_path}", "name=run"]
    p = subprocess.run([*argv, f"tracker={REF['tracker']}", "device=cpu"], capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr[-2000:]
    labels = tmp_path / "run" / "labels"
    b_frames = [f for f in REF["videos"] if f["path"] == "b.mp4"]
    for n, ref in enumerate(b_frames, start=1):
        lines = (labels / f"b_{n}.txt").read_text().splitlines()
        assert sorted(int(ln.split()[-1]) for ln in lines) == sorted(ref["id"]), n
