"""What a new user hits first (issue 21): one-element tensors as numbers, EXIF orientation of PIL images, ``show=True``
without a screen, every shipped tracker by name on the command line, clear refusals of other tasks and of training,
the memory warning of ``stream=False``, the progress bar's rate, total and width, and ``help``."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from numa_ultralytics import YOLO
from numa_ultralytics.cfg import parse_args
from numa_ultralytics.engine.model import STREAM_WARNING
from numa_ultralytics.trackers.config import CFG_DIR
from numa_ultralytics.utils.progress import ProgressBar
from numa_ultralytics.utils.tensor import Tensor

from .conftest import MEDIA, MODELS, ROOT, need
from .helpers import LogCapture


@pytest.fixture(scope="module")
def model() -> YOLO:
    return YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx"))


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return {**env, "PYTHONPATH": str(ROOT / "python"), "NUMA_ULTRALYTICS_OFFLINE": "1", **extra}


# --------------------------------------------------------------------------------------------- one-element tensors


def test_one_box_converts_to_python_numbers(model: YOLO) -> None:
    """``for box in r.boxes: int(box.cls), float(box.conf)``: numpy 2 converts only 0-d arrays; torch converts any
    one-element tensor, and so does ours."""
    r = model.predict(need(MEDIA / "images" / "bus.jpg"), verbose=False)[0]
    got = [(int(box.cls), float(box.conf), int(box.cls.item())) for box in r.boxes]
    want = [(int(c), float(p), int(c)) for c, p in zip(r.boxes.data[:, 5].tolist(), r.boxes.data[:, 4].tolist())]
    assert got == want and len(got) == 6
    box = r.boxes[0]
    assert [10, 20, 30, 40, 50, 60][box.cls.int()] == [10, 20, 30, 40, 50, 60][int(want[0][0])]  # __index__
    assert bool(box.conf > 0.5) is (want[0][1] > 0.5) and complex(box.conf) == complex(want[0][1])
    with pytest.raises(TypeError, match="only one element tensors"):
        int(r.boxes.cls)
    with pytest.raises(TypeError, match="only integer tensors"):
        [0][Tensor(np.array([0.0]))]


# ----------------------------------------------------------------------------------------------- EXIF orientation


def test_pil_image_is_turned_upright_by_its_exif_orientation(model: YOLO, tmp_path: Path) -> None:
    """``bus.jpg`` saved with EXIF orientation 6: from the PIL image as from the path, 810x1080 (h, w) and 2
    detections (8.4.190 gives the same); without the transpose it was 1080x810 with 6."""
    from PIL import Image

    im = Image.open(need(MEDIA / "images" / "bus.jpg"))
    exif = im.getexif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    f = tmp_path / "bus_rot.jpg"
    im.save(f, "JPEG", exif=exif)
    from_pil = model.predict(Image.open(f), verbose=False)[0]
    from_path = model.predict(str(f), verbose=False)[0]
    assert from_pil.orig_shape == from_path.orig_shape == (810, 1080)
    assert len(from_pil.boxes) == 2
    np.testing.assert_array_equal(from_pil.boxes.data, from_path.boxes.data)


# -------------------------------------------------------------------------------------------- show without a screen


@pytest.mark.parametrize("display", [None, ":99"])  # unset, and set to a display that does not exist
def test_show_without_a_screen_warns_once_and_goes_on(display: str | None, tmp_path: Path) -> None:
    """``show=True`` where no window can open: one warning and the run goes on (OpenCV's Qt would abort the process,
    exit 134), from the command line and from Python (``predict(show=True)``, ``Results.show()``)."""
    env = _env(**({"DISPLAY": display} if display else {}))
    video = need(MEDIA / "videos" / "mmtracking_demo.mp4")
    onnx = need(MODELS / "yolo11n-seg-dynamic.onnx")
    argv = [sys.executable, "-m", "numa_ultralytics", "segment", "track", f"model={onnx}", f"source={video}"]
    p = subprocess.run([*argv, "show=True", "imgsz=320"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    warnings = [ln for ln in (p.stdout + p.stderr).splitlines() if "cannot show windows" in ln]
    assert len(warnings) == 1, p.stdout + p.stderr
    code = (
        "from numa_ultralytics import YOLO\n"
        f"m = YOLO({str(onnx)!r})\n"
        f"rs = m.predict({str(video)!r}, show=True, imgsz=320, verbose=False)\n"
        "rs[0].show()\n"
        "print('frames', len(rs))\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "frames 8" in p.stdout
    assert sum("cannot show windows" in ln for ln in (p.stdout + p.stderr).splitlines()) == 1


# ----------------------------------------------------------------------------------------------- trackers by name


def test_command_line_takes_every_shipped_tracker() -> None:
    shipped = sorted(p.name for p in CFG_DIR.glob("*.yaml"))
    assert len(shipped) == 6
    for name in shipped:
        for given in (name, name[: -len(".yaml")]):
            _, _, args, _ = parse_args(["segment", "track", "source=x.mp4", f"tracker={given}"])
            assert args["tracker"] == name
    p = subprocess.run(
        [sys.executable, "-m", "numa_ultralytics", "help"], capture_output=True, text=True, env=_env(), check=True
    )
    assert all(name in p.stdout for name in shipped) and "val arguments" in p.stdout and "save_json=" in p.stdout
    p = subprocess.run([sys.executable, "-m", "numa_ultralytics", "segment", "val", "help"], capture_output=True,
                       text=True, env=_env())  # fmt: skip
    assert p.returncode == 0 and p.stdout.startswith("val arguments") and "split='val'" in p.stdout


# ---------------------------------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "name, what", [("yolo11n-pose.pt", "pose"), ("yolo11n-cls.pt", "classify"), ("yolo11n-obb.pt", "OBB"),
                   ("yolov8s-worldv2.pt", "YOLO-World"), ("rtdetr-l.pt", "RT-DETR")],
)  # fmt: skip
def test_other_tasks_are_refused_by_name(name: str, what: str, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("NUMA_ULTRALYTICS_CACHE_DIR", str(tmp_path))
    with pytest.raises(NotImplementedError, match=f"{what}.*detect and segment models only"):
        YOLO(name)
    assert list(tmp_path.iterdir()) == []  # nothing downloaded


def test_training_and_embed_are_refused_clearly(model: YOLO) -> None:
    for call in (model.train, model.tune):
        with pytest.raises(NotImplementedError, match="train with Ultralytics.*best.pt"):
            call(data="coco8-seg.yaml", epochs=1)
    bus = need(MEDIA / "images" / "bus.jpg")
    with pytest.raises(TypeError, match=r"should be a \*\.pt PyTorch model"):  # embeddings: a .pt only, as 8.4.190
        model.predict(bus, embed=[10])
    with pytest.raises(NotImplementedError, match=r"embed=\[10\] is not supported.*model\.embed\(source\)"):
        model.track(bus, embed=[10])


# ----------------------------------------------------------------------------------------------- stream=False


def test_stream_false_on_a_video_warns_about_memory(model: YOLO) -> None:
    log = logging.getLogger("numa_ultralytics")
    cap = LogCapture()
    log.addHandler(cap)
    try:
        video = str(need(MEDIA / "videos" / "mmtracking_demo.mp4"))
        assert len(model.predict(video, imgsz=320, verbose=False)) == 8
        warned = cap.lines.count(STREAM_WARNING)
        list(model.predict(video, stream=True, imgsz=320, verbose=False))
        model.predict(str(need(MEDIA / "images" / "bus.jpg")), imgsz=320, verbose=False)
        model.track(video, imgsz=320, verbose=False)
    finally:
        log.removeHandler(cap)
    assert warned == 1 and cap.lines.count(STREAM_WARNING) == 2  # the list-returning track call warned too


# ----------------------------------------------------------------------------------------------- progress bar


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_rate_total_and_width(monkeypatch: pytest.MonkeyPatch) -> None:
    f = _Tty()
    bar = ProgressBar(341, desc="people ", file=f, start=time.perf_counter() - 0.5)  # made after the first frame
    bar.update(1)
    rate = float(f.getvalue().split(", ")[-1].split()[0])
    assert rate <= 2.5  # one frame over the run's 0.5 s so far, not over the microseconds since the bar was made
    bar.update(339)
    bar.finish()  # the video held 340 frames, not the 341 its header announced
    bar.close()
    assert "340/340" in f.getvalue().split("\r")[-1] and "100%" in f.getvalue().split("\r")[-1]
    monkeypatch.setenv("COLUMNS", "80")
    f = _Tty()
    header = ("%22s" + "%11s" * 10) % ("Class", "Images", "Instances", "Box(P", "R", "mAP50", "mAP50-95)", "Mask(P",
                                       "R", "mAP50", "mAP50-95)")  # fmt: skip
    bar = ProgressBar(4, desc=header + "  ", unit="image", file=f)
    for _ in range(4):
        bar.update(1)
    bar.close()
    drawn = [s.replace("\x1b[K", "").rstrip("\n") for s in f.getvalue().split("\r") if s]
    assert drawn and all(len(s) < 80 for s in drawn), [len(s) for s in drawn]
    assert drawn[-1].startswith("Class") and "4/4" in drawn[-1]
