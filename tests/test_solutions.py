"""``numa_ultralytics.solutions`` against Ultralytics 8.4.190's (tests/fixtures/solutions_reference.json.gz, made by
tests/fixtures/make_solutions_reference.py): every ``SolutionResults`` field but the timings, and ``plot_im`` pixel for
pixel, frame by frame, same ONNX models, same video, same tracker (``tracktrack.yaml``, the solutions' default).

``NUMA_SOLUTIONS_FRAMES`` (default: all of the reference, 150) frames per case (about 2 min for the 16 cases on 2
quiet cores). Also: the guide's code block, the command line (``numa-yolo solutions ...``), ``SolutionConfig``'s
defaults and checks, the regions' geometry, the solutions that are not provided.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from tests.conftest import MEDIA, MODELS, ROOT, need
from tests.fixtures import make_solutions_reference as ref_maker
from tests.helpers import capture_log

REFERENCE = ROOT / "tests" / "fixtures" / "solutions_reference.json.gz"
FRAMES = int(os.environ.get("NUMA_SOLUTIONS_FRAMES", "150"))
VIDEO = MEDIA / "videos" / ref_maker.VIDEO


def _reference() -> dict[str, Any]:
    with gzip.open(REFERENCE, "rt", encoding="utf-8") as f:
        return json.load(f)


def _diff_image(im: np.ndarray, ours: dict[str, Any], theirs: dict[str, Any], band: int) -> np.ndarray:
    """Our frame where its row band and column band both differ from the reference; black elsewhere."""
    rows = [i for i, (a, b) in enumerate(zip(ours["rows"], theirs["rows"])) if a != b]
    cols = [i for i, (a, b) in enumerate(zip(ours["cols"], theirs["cols"])) if a != b]
    keep = np.zeros(im.shape[:2], bool)
    for r in rows:
        for c in cols:
            keep[r * band : (r + 1) * band, c * band : (c + 1) * band] = True
    return np.where(keep[..., None], im, 0).astype(np.uint8)


@pytest.mark.parametrize("case", list(ref_maker.CASES))
def test_solution_matches_original(case: str, tmp_path: Path) -> None:
    for name in {m for _, m, _ in ref_maker.CASES.values()}:
        need(MODELS / name)
    need(VIDEO)
    data = _reference()
    expected = data["cases"][case]
    from numa_ultralytics import solutions

    images: list[np.ndarray] = []  # each frame's plot_im, to write the differing pixels of a mismatch
    n = 0
    for rec, exp in zip(ref_maker.run_case(solutions, case, frames=FRAMES, workdir=tmp_path, keep=images), expected):
        i = rec["frame"]
        assert rec["fields"] == exp["fields"], f"{case} frame {i}: fields differ"
        if rec["plot_im"]["sha256"] != exp["plot_im"]["sha256"]:
            out = tmp_path / f"{case}_frame{i}_diff.png"
            cv2.imwrite(str(out), _diff_image(images[-1], rec["plot_im"], exp["plot_im"], data["band"]))
            cv2.imwrite(str(tmp_path / f"{case}_frame{i}_ours.png"), images[-1])
            pytest.fail(f"{case} frame {i}: plot_im differs from 8.4.190's; differing tiles written to {out}")
        assert rec.get("crops") == exp.get("crops"), f"{case} frame {i}: crops differ"
        images.clear()
        n += 1
    assert n == min(FRAMES, len(expected))


def test_guide_code_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """8.4.190's guide "Instance Segmentation and Tracking", its code block with only the import changed (on a short
    clip of the shared video, in a folder of its own)."""
    need(VIDEO)
    clip = tmp_path / "clip.avi"
    cap = cv2.VideoCapture(str(VIDEO))
    vw = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 25, (640, 360))
    for _ in range(6):
        vw.write(cap.read()[1])
    vw.release()
    cap.release()
    monkeypatch.chdir(tmp_path)
    model = os.environ.get("NUMA_SOLUTIONS_GUIDE_MODEL", str(need(MODELS / "yolo26n-seg-dynamic.onnx")))
    guide = f'''
import cv2

from numa_ultralytics import solutions

cap = cv2.VideoCapture("{clip}")
assert cap.isOpened(), "Error reading video file"

# Video writer
w, h, fps = (int(cap.get(x)) for x in (cv2.CAP_PROP_FRAME_WIDTH, cv2.CAP_PROP_FRAME_HEIGHT, cv2.CAP_PROP_FPS))
video_writer = cv2.VideoWriter("isegment_output.avi", cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))

# Initialize instance segmentation object
isegment = solutions.InstanceSegmentation(
    show=True,  # display the output
    model="{model}",  # model="yolo26n-seg.pt" for object segmentation using YOLO26.
    # classes=[0, 2],  # segment specific classes, e.g., person and car with the pretrained model.
)

# Process video
while cap.isOpened():
    success, im0 = cap.read()
    if not success:
        print("Video frame is empty or video processing has been successfully completed.")
        break
    results = isegment(im0)
    video_writer.write(results.plot_im)  # write the processed frame.

cap.release()
video_writer.release()
cv2.destroyAllWindows()  # destroy all opened windows
'''
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python"), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("DISPLAY", None)
    p = subprocess.run([sys.executable, "-c", guide], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[-2000:]
    out = cv2.VideoCapture(str(tmp_path / "isegment_output.avi"))
    assert int(out.get(cv2.CAP_PROP_FRAME_COUNT)) == 6


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
    return subprocess.run(
        [sys.executable, "-m", "numa_ultralytics", "solutions", *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_cli_count_writes_video(tmp_path: Path) -> None:
    need(VIDEO)
    clip = tmp_path / "clip.avi"
    cap = cv2.VideoCapture(str(VIDEO))
    vw = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 25, (640, 360))
    for _ in range(5):
        vw.write(cap.read()[1])
    vw.release()
    model = str(need(MODELS / "yolo11n-seg-dynamic.onnx"))
    p = _cli(["count", f"source={clip}", "region=[(20, 400), (1080, 400)]", f"model={model}"], tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    video = tmp_path / "runs" / "solutions" / "exp" / "count.avi"
    assert video.exists() and not list(video.parent.glob("*.partial*"))
    assert int(cv2.VideoCapture(str(video)).get(cv2.CAP_PROP_FRAME_COUNT)) == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["countt", "source=x.mp4"], "did you mean 'count'"),
        (["count", "source=x.mp4", "regoin=[(1, 2), (3, 4)]"], "did you mean 'region'"),
        (["count", "source=x.mp4", "region=[(1, 2)]"], "at least 2"),
        (["count", "source=x.mp4", "region=[(1, 2), (3, 'a')]"], "bad point"),
        (["trackzone", "source=x.mp4", "region=[(1, 2), (3, 4)]"], "at least 3"),
        (["region", "source=x.mp4", "region={'a': [(1, 2), (3, 4)]}"], "at least 3"),
        (["count"], "source is required"),
        (["count", "source=x.mp4", "conf=3"], "conf"),
        (["workout", "source=x.mp4"], "pose"),
        (["analytics", "source=x.mp4"], "matplotlib"),
    ],
)
def test_cli_bad_arguments_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    p = _cli(args, tmp_path)
    assert p.returncode == 2, p.stderr
    assert message in p.stderr
    assert not (tmp_path / "runs").exists()


def test_solution_config_defaults_and_update() -> None:
    from numa_ultralytics.solutions import SolutionConfig

    cfg = SolutionConfig()
    assert cfg.tracker == "tracktrack.yaml" and cfg.conf == 0.25 and cfg.iou == 0.7 and cfg.imgsz == 640
    assert cfg.colormap == cv2.COLORMAP_DEEPGREEN and cfg.region is None and cfg.line_width == 2
    assert (cfg.fps, cfg.max_hist, cfg.meter_per_pixel, cfg.max_speed) == (30.0, 5, 0.05, 120)
    assert cfg.update(conf=0.3).conf == 0.3
    with pytest.raises(ValueError, match="not a valid solution argument"):
        cfg.update(regoin=[(0, 0)])
    with capture_log() as log:
        assert cfg.update(half=True).quantize == 16
    assert log == ["WARNING 'half' is deprecated and will be removed in the future. Use 'quantize' instead."]


def test_unsupported_solutions_say_so() -> None:
    from numa_ultralytics import solutions

    with pytest.raises(ImportError, match="matplotlib"):
        solutions.Analytics(analytics_type="pie")
    for name in ("AIGym", "SecurityAlarm", "ParkingManagement"):
        with pytest.raises(NotImplementedError, match=name):
            getattr(solutions, name)()


def test_geometry_predicates() -> None:
    from numa_ultralytics.solutions.geometry import LineString, Point, Polygon

    line = LineString([(20, 200), (620, 200)])
    assert line.intersects(LineString([(50, 190), (50, 200)]))  # touching counts
    assert not line.intersects(LineString([(50, 200), (50, 200)]))  # zero length meets nothing (GEOS)
    assert not line.intersects(LineString([(10, 190), (10, 210)]))
    sq = Polygon([(100, 150), (540, 150), (540, 250), (100, 250)])
    assert sq.contains(Point((300.5, 200.0))) and not sq.contains(Point((100.0, 200.0)))  # boundary is outside
    assert sq.crosses(LineString([(300, 100), (300, 200)]))
    assert sq.crosses(LineString([(300, 100), (300, 300)]))  # straddles without a point inside at the ends
    assert not sq.crosses(LineString([(100, 100), (100, 300)]))  # along the boundary only
    tri = Polygon([(340, 60), (620, 40), (600, 330)])
    c = tri.centroid
    assert (int(c.x), int(c.y)) == (520, 143)


def test_band_fingerprint_locates_a_change() -> None:
    im = np.zeros((40, 48, 3), np.uint8)
    a = ref_maker.fingerprint(im)
    im[20, 33, 0] = 1
    b = ref_maker.fingerprint(im)
    assert a["sha256"] != b["sha256"]
    d = _diff_image(im, b, a, 16)
    assert d[20, 33].tolist() == [1, 0, 0] and d[:16].sum() == 0
    assert zlib.crc32(b"") == 0
