"""The user's document: every code block of the seed runs verbatim (display calls aside).

The blocks are read from ../shared/seed/instance-segmentation-and-tracking.md, the video path is
pointed at a short clip of a shared video, `cv2.imshow`/`waitKey`/`destroyAllWindows` are replaced
(no screen here), and `YOLO("yolo11n-seg.pt")` resolves through NUMA_ULTRALYTICS_WEIGHTS_DIR to the
shared checkpoint.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest

from .conftest import MODELS, SHARED, need

SEED = SHARED / "seed" / "instance-segmentation-and-tracking.md"
N_FRAMES = 24


def seed_blocks() -> list[str]:
    text = need(SEED).read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    return [re.sub(r"^ {8}", "", b, flags=re.M) for b in blocks]


def headless(code: str, video: str) -> str:
    code = code.replace("path/to/video/file.mp4", video)
    code = re.sub(r"^(\s*)cv2\.imshow\(.*\)$", r"\1pass", code, flags=re.M)
    code = code.replace('cv2.waitKey(1) & 0xFF == ord("q")', "False")
    code = code.replace("cv2.destroyAllWindows()", "pass")
    return code


@pytest.fixture(scope="module")
def clip(tmp_path_factory, people_video):
    """The first frames of the people-walking video as a short mp4 (keeps the test quick)."""
    out = tmp_path_factory.mktemp("clip") / "clip.avi"
    cap = cv2.VideoCapture(str(people_video))
    w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    wr = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"MJPG"), 25, (w, h))
    for _ in range(N_FRAMES):
        ok, im = cap.read()
        assert ok
        wr.write(im)
    wr.release()
    cap.release()
    return out


def test_seed_has_four_blocks():
    blocks = seed_blocks()
    assert len(blocks) == 4
    assert all('YOLO("yolo11n-seg.pt")' in b for b in blocks)


@pytest.mark.parametrize("index", [0, 1, 2, 3])
def test_seed_block_runs_verbatim(index, clip, tmp_path):
    need(MODELS / "yolo11n-seg.pt")
    code = headless(seed_blocks()[index], str(clip))
    script = tmp_path / f"block{index}.py"
    script.write_text(code)
    env = dict(os.environ, NUMA_ULTRALYTICS_WEIGHTS_DIR=str(MODELS), NUMA_ULTRALYTICS_CACHE_DIR=str(tmp_path / "cache"))
    p = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert p.returncode == 0, p.stderr[-3000:]
    written = [f for f in tmp_path.iterdir() if f.suffix == ".avi"]
    assert len(written) == 1
    cap = cv2.VideoCapture(str(written[0]))
    src = cv2.VideoCapture(str(clip))
    n, changed = 0, 0
    while True:
        ok, im = cap.read()
        ok2, orig = src.read()
        if not ok:
            break
        assert ok2 and im.shape == orig.shape == (360, 640, 3)
        n += 1
        # drawn outlines and labels: many pixels differ from the source frame
        changed += int((cv2.absdiff(im, orig).max(axis=2) > 60).sum() > 500)
    assert n == N_FRAMES
    assert changed >= N_FRAMES - 2
    if index in (1, 3):  # tracking blocks print nothing special but must draw ids
        assert "Traceback" not in p.stderr


def test_seed_tracking_ids_stable(people_video):
    """A clearly visible walker keeps its track id over the first frames of the video."""
    from numa_ultralytics import YOLO

    model = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx"))
    cap = cv2.VideoCapture(str(people_video))
    history: list[dict[int, np.ndarray]] = []
    for _ in range(30):
        ok, im0 = cap.read()
        assert ok
        results = model.track(im0, persist=True, verbose=False)
        assert results[0].boxes.id is not None
        ids = results[0].boxes.id.int().cpu().tolist()
        history.append(dict(zip(ids, results[0].boxes.xyxy.numpy())))
    cap.release()
    # the ids present in frame 5 with the highest confidence survive to frame 30, near where they were
    survivors = set(history[5]) & set(history[-1])
    assert len(survivors) >= 5
    for tid in survivors:
        a, b = history[5][tid], history[-1][tid]
        assert np.abs((a[:2] + a[2:]) / 2 - (b[:2] + b[2:]) / 2).max() < 60


@pytest.mark.parametrize("name", ["ocsort.yaml", "deepocsort.yaml", "fasttrack.yaml", "tracktrack.yaml"])
def test_seed_tracking_block_runs(name: str, clip, tmp_path) -> None:
    """The seed's second block (segmentation + tracking, drawn per track ID) with ``tracker=<name>``."""
    need(MODELS / "yolo11n-seg.pt")
    block = seed_blocks()[1]
    assert "model.track(im0, persist=True)" in block
    code = headless(block, str(clip)).replace(
        "model.track(im0, persist=True)", f"model.track(im0, persist=True, tracker={name!r})"
    )
    script = tmp_path / "block.py"
    script.write_text(code)
    env = dict(os.environ, NUMA_ULTRALYTICS_WEIGHTS_DIR=str(MODELS), NUMA_ULTRALYTICS_CACHE_DIR=str(tmp_path / "cache"))
    p = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert p.returncode == 0, p.stderr[-3000:]
    written = [f for f in tmp_path.iterdir() if f.suffix == ".avi"]
    assert len(written) == 1
    cap, src = cv2.VideoCapture(str(written[0])), cv2.VideoCapture(str(clip))
    n = changed = 0
    while True:
        ok, im = cap.read()
        ok2, orig = src.read()
        if not ok:
            break
        assert ok2
        n += 1
        changed += int((cv2.absdiff(im, orig).max(axis=2) > 60).sum() > 500)  # outlines and ID labels drawn
    assert n == N_FRAMES
    assert changed >= N_FRAMES - 3  # the first frames only confirm tracks
