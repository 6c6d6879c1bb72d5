"""Many videos on Ray (engine/distributed.py), on a real local Ray cluster started here on 127.0.0.1 (2 CPUs).

Short clips (the first frames of the shared videos, cut into tmp) keep the file to a couple of minutes; the cluster
is started once for the module and stopped at its end.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest

from numa_ultralytics import YOLO, track_videos
from numa_ultralytics.engine.distributed import SUMMARY_JSON, TRACKS_JSON, check_ray_address

from .conftest import IN_CI, MEDIA, need

ROOT = Path(__file__).resolve().parents[1]
CLIP_FRAMES = 16
IMGSZ = 320
# (video, first frame of the clip): the car video's first cars appear near frame 180
VIDEOS = (("seeed_people-walking.mp4", 0), ("intel_car-detection.mp4", 180), ("mmtracking_demo.mp4", 0))


@pytest.fixture(scope="module")
def cluster():
    """A local Ray cluster on 127.0.0.1 with 2 CPUs; this process is its driver. Yields its GCS address."""
    if not IN_CI:
        pytest.importorskip("ray")  # the optional extra; CI installs it (.ci/run)
    import ray

    assert not ray.is_initialized()
    ray.init(
        num_cpus=2,
        num_gpus=0,
        include_dashboard=False,
        _node_ip_address="127.0.0.1",
        object_store_memory=100 * 2**20,
        configure_logging=False,
        log_to_driver=False,
    )
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> list[Path]:
    """CLIP_FRAMES frames of each shared video as an MJPG clip (fewer when the video is shorter)."""
    d = tmp_path_factory.mktemp("clips")
    out = []
    for name, start in VIDEOS:
        cap = cv2.VideoCapture(str(need(MEDIA / "videos" / name)))
        fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
        for _ in range(start):
            cap.grab()
        frames = []
        while len(frames) < CLIP_FRAMES:
            ok, f = cap.read()
            if not ok:
                break
            if f.shape[1] > 960:  # the 1080p video: halve it, the check is the same
                f = cv2.resize(f, (f.shape[1] // 2, f.shape[0] // 2))
            frames.append(f)
        cap.release()
        assert frames
        p = d / f"{Path(name).stem}.avi"
        h, w = frames[0].shape[:2]
        wr = cv2.VideoWriter(str(p), cv2.VideoWriter.fourcc(*"MJPG"), fps, (w, h))
        for f in frames:
            wr.write(f)
        wr.release()
        out.append(p)
    return out


@pytest.fixture(scope="module")
def model_path() -> Path:
    return need(MEDIA.parent / "models" / "yolo11n-seg-dynamic.onnx")


def labels_of(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted((folder / "labels").glob("*.txt"))}


@pytest.fixture(scope="module")
def one_by_one(clips, model_path, tmp_path_factory) -> dict[str, dict[str, str]]:
    """Each clip tracked alone, without Ray: its label files by stem."""
    d = tmp_path_factory.mktemp("plain")
    model = YOLO(model_path)
    out = {}
    for c in clips:
        model.track(str(c), imgsz=IMGSZ, save_txt=True, project=str(d), name=c.stem, verbose=False)
        out[c.stem] = labels_of(d / c.stem)
        assert out[c.stem], f"no labels for {c}: the comparison would be empty"
    return out


def assert_complete(summary, clips, expected) -> None:
    """Every clip's folder holds its labels as tracked alone, its video and tracks.json; nothing .partial is left."""
    out = summary.save_dir
    for c in clips:
        assert labels_of(out / c.stem) == expected[c.stem], c.stem
        assert (out / c.stem / f"{c.stem}.avi").is_file()
        doc = json.loads((out / c.stem / TRACKS_JSON).read_text())
        assert doc["frames"] == int(cv2.VideoCapture(str(c)).get(cv2.CAP_PROP_FRAME_COUNT)) > 0
        ids = {int(line.split()[-1]) for text in expected[c.stem].values() for line in text.splitlines()}
        assert {t["id"] for t in doc["tracks"]} == ids
        for t in doc["tracks"]:
            assert 1 <= t["first_frame"] <= t["last_frame"] <= doc["frames"]
            assert 1 <= t["frames"] <= t["last_frame"] - t["first_frame"] + 1
    assert not list(out.glob("*.partial*"))
    assert json.loads((out / SUMMARY_JSON).read_text())["frames"] == summary.frames


def test_ray_matches_one_by_one(cluster, clips, model_path, one_by_one, tmp_path):
    s = track_videos(
        [str(c) for c in clips], model=model_path, ray="auto", project=tmp_path, imgsz=IMGSZ, save=True, save_txt=True
    )
    assert s.ok, s.failures
    assert [v.stem for v in s.videos] == [c.stem for c in clips]
    assert len(s.workers) == 2 and s.threads == 1  # 2 CPUs: 2 actors, 1 intra-op thread each
    assert sum(w.videos for w in s.workers.values()) == 3
    assert all(v.attempts == 1 for v in s.videos)
    assert_complete(s, clips, one_by_one)


def _kill_once(marker: str, stem: str, at: int):
    def hook(source: str, n: int) -> None:  # runs in the actor: SIGKILL its own process once, mid-video
        if Path(source).stem == stem and n == at and not os.path.exists(marker):
            Path(marker).touch()
            os.kill(os.getpid(), signal.SIGKILL)

    return hook


def test_killed_worker_is_retried(cluster, clips, model_path, one_by_one, tmp_path):
    marker = tmp_path / "killed"
    victim = clips[1].stem
    s = track_videos(
        [str(c) for c in clips],
        model=model_path,
        ray="auto",
        project=tmp_path,
        imgsz=IMGSZ,
        save=True,
        save_txt=True,
        on_frame=_kill_once(str(marker), victim, CLIP_FRAMES // 2),
    )
    assert marker.exists()  # the worker was killed mid-video
    assert s.ok, s.failures
    assert {v.stem: v.attempts for v in s.videos}[victim] == 2
    assert_complete(s, clips, one_by_one)


def test_bad_videos_are_reported_and_the_rest_complete(cluster, clips, model_path, one_by_one, tmp_path):
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00 not a video " * 100)
    empty = tmp_path / "empty.avi"  # a valid container without a frame
    h, w = 64, 64
    cv2.VideoWriter(str(empty), cv2.VideoWriter.fourcc(*"MJPG"), 25.0, (w, h)).release()
    sources = [str(clips[0]), str(corrupt), str(clips[2]), str(empty)]
    s = track_videos(sources, model=model_path, ray="auto", project=tmp_path / "out", imgsz=IMGSZ, save_txt=True)
    assert not s.ok
    failed = {Path(v.source).name: v.error for v in s.failures}
    assert set(failed) == {"corrupt.mp4", "empty.avi"}
    assert all(failed.values())
    for v in s.videos:
        assert (s.save_dir / v.stem).is_dir() == v.ok
    for c in (clips[0], clips[2]):
        assert labels_of(s.save_dir / c.stem) == one_by_one[c.stem]
    assert not list(s.save_dir.glob("*.partial*"))
    text = str(s)
    assert "FAILED" in text and "corrupt.mp4" in text and "empty.avi" in text
    assert json.loads((s.save_dir / SUMMARY_JSON).read_text())["failures"]


def test_cli_joins_the_cluster(cluster, clips, model_path, one_by_one, tmp_path):
    """``numa-yolo segment track source=DIR ray=host:port`` in another process joins the running cluster."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
    cmd = [sys.executable, "-m", "numa_ultralytics", "segment", "track", f"source={clips[0].parent}"]
    cmd += [f"model={model_path}", f"imgsz={IMGSZ}", "save_txt=True", "save=False", f"ray={cluster}"]
    cmd += [f"project={tmp_path}"]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert "Ray: 3/3 videos" in p.stdout, p.stdout
    for c in clips:
        assert labels_of(tmp_path / "track" / c.stem) == one_by_one[c.stem]


def test_arguments_are_checked(tmp_path, monkeypatch):
    assert check_ray_address("ray", "LOCAL") == "local"
    assert check_ray_address("ray", "127.0.0.1:6379") == "127.0.0.1:6379"
    assert check_ray_address("ray", "ray://head:10001") == "ray://head:10001"
    for bad in ("", "head", "head:port", ":6379"):
        with pytest.raises(ValueError, match="host:port"):
            check_ray_address("ray", bad)
    from numa_ultralytics.cfg import CLIError, entrypoint, parse_args

    with pytest.raises(CLIError, match="track argument"):
        parse_args(["predict", "source=x.mp4", "ray=local"])
    with pytest.raises(CLIError, match="workers needs ray"):
        parse_args(["track", "source=x.mp4", "workers=2"])
    monkeypatch.setitem(sys.modules, "ray", None)  # the extra not installed
    with pytest.raises(ImportError, match=r'pip install "numa_ultralytics\[ray\]"'):
        track_videos(str(tmp_path), ray="local")
    assert entrypoint(["track", f"source={tmp_path}", "ray=local"]) == 2


def test_cli_sigterm_keeps_finished_videos_only(cluster, clips, model_path, one_by_one, tmp_path):
    """SIGTERM mid-job: exit 143, the videos done are complete, the ones in progress absent, the summary written."""
    listing = tmp_path / "videos.txt"
    listing.write_text("".join(f"{c}\n" for _ in range(4) for c in clips))  # 12 videos: the job outlives the signal
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python")}
    cmd = [sys.executable, "-m", "numa_ultralytics", "segment", "track", f"source={listing}", f"model={model_path}"]
    cmd += [f"imgsz={IMGSZ}", "save_txt=True", "save=False", f"ray={cluster}", f"project={out}", "name=job"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 240
        while not [d for d in (out / "job").glob("*") if d.is_dir() and not d.name.endswith(".partial")]:
            assert p.poll() is None and time.monotonic() < deadline, "no video finished"
            time.sleep(0.1)
        p.send_signal(signal.SIGTERM)
        stdout, stderr = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 143, stderr[-2000:]
    assert "stopped by SIGTERM" in stdout
    job = out / "job"
    done = [d for d in job.iterdir() if d.is_dir()]
    assert 1 <= len(done) < 12
    assert not list(job.glob("*.partial*"))
    for d in done:
        clip = d.name.rsplit("_", 1)[0] if d.name not in one_by_one else d.name
        assert labels_of(d) == one_by_one[clip], d.name
    summary = json.loads((job / SUMMARY_JSON).read_text())
    assert len(summary["videos"]) == 12 and len(summary["failures"]) == 12 - len(done)


def test_intra_op_threads(model_path, clips):
    """``YOLO(threads=n)`` sets ONNX Runtime's intra-op threads (what each actor uses); the results don't change."""
    from numa_ultralytics.nn.autobackend import AutoBackend

    one = YOLO(model_path, threads=1)
    assert one.backend.intra_op_threads == 1
    assert one.backend.session.get_session_options().intra_op_num_threads == 1
    im = cv2.VideoCapture(str(clips[0])).read()[1]
    a = one.predict(im, imgsz=IMGSZ, verbose=False)[0]
    b = YOLO(model_path).predict(im, imgsz=IMGSZ, verbose=False)[0]
    assert a.boxes.data.tolist() == b.boxes.data.tolist() and len(a.boxes) > 0
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="intra_op_threads"):
            AutoBackend(model_path, intra_op_threads=bad)


def test_ray_yolo26_checkpoint_matches_one_by_one(cluster, clips, tmp_path):
    """8.4.190's default family on Ray: the YOLO26n-seg checkpoint (end-to-end head, graph built from the ``.pt`` in
    each actor) tracked with TrackTrack (what solutions default to) gives each clip the labels it gets alone."""
    pt = need(MEDIA.parent / "models" / "yolo26n-seg.pt")
    model = YOLO(pt)
    expected = {}
    for c in clips:
        model.track(
            str(c), imgsz=IMGSZ, tracker="tracktrack.yaml", save_txt=True, project=str(tmp_path / "plain"),
            name=c.stem, verbose=False,
        )  # fmt: skip
        expected[c.stem] = labels_of(tmp_path / "plain" / c.stem)
    assert sum(len(v) for v in expected.values()) >= 12, "too few labelled frames: the comparison would be weak"
    s = track_videos(
        [str(c) for c in clips], model=pt, ray="auto", project=tmp_path / "ray", imgsz=IMGSZ, tracker="tracktrack.yaml",
        save_txt=True,
    )  # fmt: skip
    assert s.ok, s.failures
    for c in clips:
        assert labels_of(s.save_dir / c.stem) == expected[c.stem], c.stem
