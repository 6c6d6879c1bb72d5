"""The numa-yolo command line, run as a subprocess on short clips of the shared videos."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from numa_ultralytics.cfg import CLIError, parse_args
from numa_ultralytics.utils.files import increment_path
from numa_ultralytics.utils.plotting import colors
from numa_ultralytics.utils.plotting import draw_outlines as draw

from .conftest import MEDIA, MODELS, need

N_FRAMES = 10


def cli(args: list[str], cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    env = dict(os.environ, NUMA_ULTRALYTICS_WEIGHTS_DIR=str(MODELS), NUMA_ULTRALYTICS_OFFLINE="1")
    return subprocess.run(
        [sys.executable, "-m", "numa_ultralytics", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def write_clip(src: Path, dst: Path, n: int, start: int = 0) -> None:
    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS)
    writer = None
    for i in range(start + n):
        ok, im = cap.read()
        assert ok
        if i < start:
            continue
        if writer is None:
            writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, (im.shape[1], im.shape[0]))
        writer.write(im)
    writer.release()
    cap.release()


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    src = need(MEDIA / "videos" / "seeed_people-walking.mp4")
    dst = tmp_path_factory.mktemp("clips") / "people.mp4"
    write_clip(src, dst, N_FRAMES)
    return dst


@pytest.fixture(scope="module")
def model_path() -> Path:
    return need(MODELS / "yolo11n-seg-dynamic.onnx")


def read_video(p: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(p))
    frames = []
    while True:
        ok, im = cap.read()
        if not ok:
            break
        frames.append(im)
    cap.release()
    return frames


def parse_mot(p: Path) -> dict[int, list[tuple]]:
    """frame -> [(id, x, y, w, h, conf, cls)]"""
    out: dict[int, list[tuple]] = {}
    for line in p.read_text().splitlines():
        f = line.split(",")
        assert len(f) == 8, line
        out.setdefault(int(f[0]), []).append(
            (int(f[1]), float(f[2]), float(f[3]), float(f[4]), float(f[5]), float(f[6]), int(f[7]))
        )
    return out


# ------------------------------------------------------------------------------------------------ parsing (in process)


def test_parse_args_values():
    task, mode, a, given = parse_args(
        [
            "segment",
            "track",
            "source=v.mp4",
            "conf=0.3",
            "iou",
            "=",
            "0.5",
            "imgsz=384,640",
            "classes=[0,2]",
            "max_det=10",
            "agnostic_nms=True",
            "retina_masks=true",
            "device=cpu",
            "half=False",
            "verbose=False",
            "tracker=bytetrack.yaml",
            "persist=True",
            "save=True",
            "save_txt=1",
            "save_conf=True",
            "txt_format=MOT",
            "plot_style=outlines",
            "show_labels=no",
            "line_width=3",
            "color_mode=instance",
            "vid_stride=2",
            "stream_buffer=True",
            "project=out",
            "name=exp",
            "exist_ok=True",
        ]
    )
    assert (task, mode) == ("segment", "track")
    assert a["conf"] == 0.3 and a["iou"] == 0.5 and a["imgsz"] == [384, 640] and a["classes"] == [0, 2]
    assert a["max_det"] == 10 and a["agnostic_nms"] and a["retina_masks"] and a["device"] == "cpu"
    assert a["tracker"] == "bytetrack.yaml" and a["persist"] and a["save"] and a["save_txt"]
    assert a["show_labels"] is False and a["line_width"] == 3 and a["color_mode"] == "instance"
    assert a["vid_stride"] == 2 and a["stream_buffer"] and a["project"] == "out" and a["name"] == "exp"
    assert a["save_conf"] and a["txt_format"] == "mot" and a["plot_style"] == "outlines"
    assert "conf" in given and "model" not in given
    _, mode, a, _ = parse_args(["predict", "source=0", "imgsz=320", "classes=0", "device=0", "conf=None"])
    assert mode == "predict" and a["imgsz"] == 320 and a["classes"] == [0] and a["device"] == 0 and a["conf"] is None
    assert a["source"] == "0" and a["tracker"] == "botsort.yaml" and a["color_mode"] is None


@pytest.mark.parametrize(
    "argv, key, allowed",
    [
        ("predict source=x conf=1.5", "conf", "between 0.0 and 1.0"),
        ("predict source=x iou=abc", "iou", "between 0.0 and 1.0"),
        ("predict source=x max_det=0", "max_det", ">= 1"),
        ("predict source=x imgsz=big", "imgsz", "640"),
        ("predict source=x classes=person", "classes", "class indices"),
        ("predict source=x half=maybe", "half", "True or False"),
        ("predict source=x color_mode=rainbow", "color_mode", "class, instance"),
        ("track source=x tracker=nope.yaml", "tracker", "bytetrack.yaml"),
        ("predict source=x device=gpu7", "device", "cpu"),
        ("predict source=x vid_stride=-1", "vid_stride", ">= 1"),
        ("predict source=x line_width=5000", "line_width", "1000"),
        ("predict source=x line_width=-5", "line_width", "1000"),
        ("predict source=x cnf=0.2", "cnf", "did you mean conf"),
        ("train source=x", "mode", "predict, track"),
        ("pose predict source=x", "task", "detect, segment"),
        ("segment source=x", "mode", "predict, track"),
        ("segment predict", "source", "source=video.mp4"),
        ("predict --conf 0.3 source=x", "conf", "key=value"),
    ],
)
def test_parse_args_errors(argv, key, allowed):
    with pytest.raises(CLIError) as ei:
        parse_args(argv.split())
    assert ei.value.key == key
    assert key in str(ei.value) and allowed in str(ei.value)


@pytest.mark.parametrize(
    "key, text, value",
    [
        ("conf", "1.5", 1.5),
        ("max_det", "0", 0),
        ("imgsz", "5000", 5000),
        ("classes", "-1", [-1]),
        ("half", "maybe", "maybe"),
        ("line_width", "0", 0),
        ("reconnect_timeout", "-2", -2.0),
        ("txt_format", "csv", "csv"),
        ("runtime", "tensorrt", "tensorrt"),
        ("device", "gpu7", "gpu7"),
        ("project", " ", ""),
    ],
)
def test_cli_runs_the_argument_checks(key, text, value):
    """The command line converts the text, then runs utils/args.py's check for the key (the one check_args runs):
    its message says what that check allows."""
    from numa_ultralytics.utils.args import CHECKS, ArgError, check_device

    check = check_device if key == "device" else CHECKS[key]
    with pytest.raises(ArgError) as direct:
        check(key, value)
    with pytest.raises(CLIError) as cli_err:
        parse_args(["predict", "source=x", f"{key}={text}"])
    assert cli_err.value.key == key and f"(allowed: {direct.value.allowed})" in str(cli_err.value)


def test_parse_args_takes_every_shipped_tracker(tmp_path):
    from numa_ultralytics.trackers.config import SHIPPED_TRACKERS

    assert {"ocsort.yaml", "deepocsort.yaml", "fasttrack.yaml", "tracktrack.yaml"} < set(SHIPPED_TRACKERS)
    for name in SHIPPED_TRACKERS:
        assert parse_args(["track", "source=x", f"tracker={name}"])[2]["tracker"] == name
        assert parse_args(["track", "source=x", f"tracker={name[: -len('.yaml')]}"])[2]["tracker"] == name
    own = tmp_path / "mine.yaml"
    own.write_text("tracker_type: ocsort\n")
    assert parse_args(["track", "source=x", f"tracker={own}"])[2]["tracker"] == str(own)
    with pytest.raises(CLIError, match="ocsort.yaml"):  # the message lists the shipped ones
        parse_args(["track", "source=x", "tracker=sort.yaml"])


def test_increment_path(tmp_path):
    """8.4.190 numbers with a ``-`` (``track-2``, ``im-2.jpg``; 8.3 wrote ``track2``): its ``increment_path``."""
    p = tmp_path / "runs" / "segment" / "track"
    assert increment_path(p) == p
    p.mkdir(parents=True)
    assert increment_path(p) == p.with_name("track-2")
    p.with_name("track-2").mkdir()
    assert increment_path(p) == p.with_name("track-3")
    assert increment_path(p, exist_ok=True) == p
    f = tmp_path / "im.jpg"
    f.touch()
    assert increment_path(f) == tmp_path / "im-2.jpg"


def test_draw_class_and_instance_colors(bus_jpg, model_path):
    from numa_ultralytics import YOLO

    model = YOLO(str(model_path))
    im = cv2.imread(str(bus_jpg))
    r = model.predict(im.copy(), verbose=False)[0]
    assert r.masks is not None and len(r.boxes) >= 4
    out = draw(r, model.names, color_mode="class")
    assert out is r.orig_img  # in place
    cls = r.boxes.cls.astype(int)
    assert 0 in cls and 5 in cls  # persons and the bus
    for c in (0, 5):  # each class's colour (BGR palette) is drawn: outlines and label boxes
        before = np.all(im == np.array(colors(c, True), np.uint8), axis=-1).sum()
        after = np.all(out == np.array(colors(c, True), np.uint8), axis=-1).sum()
        assert after > before + 200
    r2 = model.predict(im.copy(), verbose=False)[0]
    draw(r2, model.names, color_mode="instance", show_labels=False)
    # instance colours without tracking: detection index i -> colors(i)
    for i in range(len(r2.boxes)):
        assert np.all(r2.orig_img == np.array(colors(i, True), np.uint8), axis=-1).sum() > 50


# ------------------------------------------------------------------------------------------------ subprocess


def test_bad_arguments_exit_2(tmp_path, clip):
    cases = [
        (["segment", "predict", f"source={clip}", "conf=7"], "conf"),
        (["segment", "predict", f"source={clip}", "colour_mode=class"], "colour_mode"),
        (["segment", "predict", "source=missing.mp4", "model=yolo11n-seg-dynamic.onnx"], "missing.mp4"),
        (["segment", "predict", f"source={clip}", "model=not-a-model.onnx"], "NUMA_ULTRALYTICS_WEIGHTS_DIR"),
    ]
    for argv, needle in cases:
        p = cli(argv, tmp_path)
        assert p.returncode == 2, (argv, p.stderr)
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("numa-yolo: error:") and needle in lines[0], p.stderr
    assert not (tmp_path / "runs").exists()
    p = cli(["help"], tmp_path)
    assert p.returncode == 0 and "color_mode" in p.stdout


def test_predict_video_save_and_txt(tmp_path, clip, model_path):
    from numa_ultralytics import YOLO

    p = cli(
        [
            "segment",
            "predict",
            f"model={model_path.name}",
            f"source={clip}",
            "save=True",
            "save_txt=True",
            "txt_format=mot",
            "plot_style=outlines",
        ],
        tmp_path,
    )
    assert p.returncode == 0, p.stderr
    run = tmp_path / "runs" / "segment" / "predict"
    assert f"Results saved to {run.resolve()}" in p.stdout  # absolute, as 8.4.190
    speed = [ln for ln in p.stdout.splitlines() if ln.startswith("Speed:")]
    assert len(speed) == 1
    for stage in ("preprocess", "inference", "postprocess", "drawing", "writing"):
        assert f"ms {stage}" in speed[0]
    frames = read_video(run / "people.avi")
    assert len(frames) == N_FRAMES and frames[0].shape == (360, 640, 3)
    mot = parse_mot(run / "labels" / "people.txt")
    ref = list(YOLO(str(model_path)).predict(str(clip), stream=True, verbose=False))
    assert sorted(mot) == [i + 1 for i, r in enumerate(ref) if len(r.boxes)]
    for i, r in enumerate(ref):
        rows = mot.get(i + 1, [])
        assert len(rows) == len(r.boxes)
        got = np.array([[x, y, x + w, y + h] for _, x, y, w, h, _, _ in rows])
        np.testing.assert_allclose(got, r.boxes.xyxy, atol=0.011)
        assert all(row[0] == -1 for row in rows)
        assert [row[6] for row in rows] == r.boxes.cls.astype(int).tolist()
    polys = (run / "labels" / "people_polygons.txt").read_text().splitlines()
    assert len(polys) == sum(len(r.boxes) for r in ref)
    first = polys[0].split(",")
    assert int(first[0]) == 1 and (len(first) - 3) % 2 == 0 and len(first) > 9
    # the saved frame has the class colour drawn (person = colors(0), the seed's outlines); MJPG changes colours a
    # little
    person = np.array(colors(0, True), np.int16)

    def near(im: np.ndarray) -> int:
        return int((np.abs(im.astype(np.int16) - person).sum(-1) < 60).sum())

    assert near(frames[0]) > near(ref[0].orig_img) + 2000


def test_run_folders_increment_and_images(tmp_path, model_path):
    d = need(MEDIA / "coco8-seg" / "images" / "val")
    argv = ["segment", "predict", f"model={model_path.name}", f"source={d}", "save=True", "verbose=False"]
    assert cli(argv, tmp_path).returncode == 0
    p2 = cli([*argv, "imgsz=320"], tmp_path)
    assert p2.returncode == 0 and p2.stdout == ""  # verbose=False: quiet
    runs = tmp_path / "runs" / "segment"
    assert sorted(x.name for x in runs.iterdir()) == ["predict", "predict-2"]
    names = sorted(x.name for x in (runs / "predict").iterdir())
    assert names == sorted(x.name for x in d.glob("*.jpg"))
    im = cv2.imread(str(runs / "predict" / names[0]))
    assert im.shape == cv2.imread(str(d / names[0])).shape
    p3 = cli([*argv, "project=out", "name=exp", "exist_ok=True"], tmp_path)  # a relative project: under runs/<task>
    assert p3.returncode == 0 and len(list((runs / "out" / "exp").glob("*.jpg"))) == 4


def test_cli_and_model_predict_write_the_same_files(tmp_path, model_path):
    """One output sink: the command line and model.predict(save=True, save_txt=True) write identical run folders."""
    from numa_ultralytics import YOLO

    d = need(MEDIA / "coco8-seg" / "images" / "val")
    argv = ["segment", "predict", f"model={model_path.name}", f"source={d}", "save=True", "save_txt=True"]
    assert cli([*argv, "verbose=False"], tmp_path).returncode == 0
    api = tmp_path / "api"
    YOLO(str(model_path)).predict(str(d), save=True, save_txt=True, project=str(api), name="predict", verbose=False)
    ours, theirs = tmp_path / "runs" / "segment" / "predict", api / "predict"
    files = sorted(p.relative_to(ours) for p in ours.rglob("*") if p.is_file())
    # 4 images, 3 label files: 000000000042.jpg has no object at conf 0.25 and gets none (as Ultralytics)
    assert len(files) == 4 + 3 and files == sorted(p.relative_to(theirs) for p in theirs.rglob("*") if p.is_file())
    for f in files:
        assert (ours / f).read_bytes() == (theirs / f).read_bytes(), f


def test_track_ids_match_model_track(tmp_path, clip, model_path):
    from numa_ultralytics import YOLO

    p = cli(
        [
            "segment",
            "track",
            f"model={model_path.name}",
            f"source={clip}",
            "tracker=bytetrack.yaml",
            "save=True",
            "save_txt=True",
            "txt_format=mot",
            "color_mode=instance",
        ],
        tmp_path,
    )
    assert p.returncode == 0, p.stderr
    run = tmp_path / "runs" / "segment" / "track"
    assert "ms tracking" in p.stdout
    assert len(read_video(run / "people.avi")) == N_FRAMES
    mot = parse_mot(run / "labels" / "people.txt")
    ref = list(YOLO(str(model_path)).track(str(clip), stream=True, tracker="bytetrack.yaml", verbose=False))
    n_ids = 0
    for i, r in enumerate(ref):
        ids = r.boxes.id.astype(int).tolist() if r.boxes.is_track else []
        got = [row[0] for row in mot.get(i + 1, [])]
        if ids:
            assert got == ids
        n_ids += len(ids)
    assert n_ids > 5 * N_FRAMES  # ~20 people tracked per frame
    assert all(row[0] >= 1 for rows in mot.values() for row in rows if ref)


@pytest.mark.parametrize("tracker", ["ocsort", "deepocsort", "fasttrack", "tracktrack"])
def test_track_every_shipped_tracker(tmp_path, clip, model_path, tracker):
    """``tracker=`` takes every tracker that ships (trackers/cfg/*.yaml, the one list), not only ByteTrack and
    BoT-SORT: the command line's ids are model.track's with that tracker."""
    from numa_ultralytics import YOLO

    argv = ["segment", "track", f"model={model_path.name}", f"source={clip}", f"tracker={tracker}.yaml"]
    p = cli([*argv, "save_txt=True", "txt_format=mot", "verbose=False"], tmp_path)
    assert p.returncode == 0, p.stderr
    mot = parse_mot(tmp_path / "runs" / "segment" / "track" / "labels" / "people.txt")
    ref = list(YOLO(str(model_path)).track(str(clip), stream=True, tracker=f"{tracker}.yaml", verbose=False))
    got = {f: [row[0] for row in rows] for f, rows in mot.items()}
    want = {i + 1: r.boxes.id.astype(int).tolist() for i, r in enumerate(ref) if r.boxes.is_track and len(r.boxes)}
    assert got == want
    assert sum(len(v) for v in want.values()) > 3 * N_FRAMES  # people tracked (tracktrack: 38 ids in 10 frames)


def test_stream_list_one_tracker_per_stream(tmp_path, model_path):
    from numa_ultralytics import YOLO

    src = need(MEDIA / "videos" / "seeed_people-walking.mp4")
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    write_clip(src, a, 6)
    write_clip(src, b, 6, start=100)
    lst = tmp_path / "streams.txt"
    lst.write_text(f"{a}\n{b}\n")
    argv = ["segment", "track", f"model={model_path.name}", f"source={lst}", "save=True", "save_txt=True"]
    p = cli([*argv, "txt_format=mot"], tmp_path)
    assert p.returncode == 0, p.stderr
    run = tmp_path / "runs" / "segment" / "track"
    assert len(read_video(run / "a.avi")) == 6 and len(read_video(run / "b.avi")) == 6
    for clip_path in (a, b):  # each stream's IDs are those of tracking that clip alone (own tracker, IDs from 1)
        mot = parse_mot(run / "labels" / f"{clip_path.stem}.txt")
        ref = list(YOLO(str(model_path)).track(str(clip_path), stream=True, verbose=False))
        for i, r in enumerate(ref):
            ids = r.boxes.id.astype(int).tolist() if r.boxes.is_track else []
            if ids:
                assert [row[0] for row in mot[i + 1]] == ids


def test_progress_bar_line_and_quiet_when_not_a_tty():
    import io

    from numa_ultralytics.utils.progress import ProgressBar

    buf = io.StringIO()  # not a TTY: nothing drawn by default
    with ProgressBar(10, file=buf) as bar:
        bar.update(3)
    assert buf.getvalue() == ""
    bar = ProgressBar(340, file=buf, enabled=True, min_interval=0.0)
    for _ in range(153):
        bar.update()
    line = bar.line()
    assert " 45%|" in line and "153/340" in line and "frame/s]" in line and "<" in line
    bar.close()
    out = buf.getvalue()
    assert out.startswith("\r") and out.endswith("\n") and "340" in out
    unknown = ProgressBar(None, file=buf, enabled=False)
    unknown.update(12)
    assert unknown.line().startswith("12 [") and "%" not in unknown.line()
