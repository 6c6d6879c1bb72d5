"""SIGTERM / SIGINT during a CLI run with save=True: the run finishes the frame in hand, closes the video and the label
files and exits 143 / 130 (utils/signals.py, engine/sink.py). The checks read what was written back from disk."""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import pytest

from numa_ultralytics.utils.signals import StopScope, stop_on_signals, stop_requested

from .conftest import MEDIA, MODELS, need

SIGNAL_AT = 50  # frames written before the signal is sent


def _default_signals() -> None:  # the child starts with default SIGINT even when pytest runs in the background
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _interrupted_run(tmp_path: Path, sig: int) -> tuple[subprocess.CompletedProcess, Path, int, int]:
    """Start ``numa-yolo segment track ... save=True save_txt=True`` on the people video, send ``sig`` once
    SIGNAL_AT label files exist; returns (process, run folder, label files at the signal, video frames)."""
    video = need(MEDIA / "videos" / "seeed_people-walking.mp4")
    model = need(MODELS / "yolo11n-seg-dynamic.onnx")
    cap = cv2.VideoCapture(str(video))
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    env = dict(os.environ, NUMA_ULTRALYTICS_WEIGHTS_DIR=str(MODELS), NUMA_ULTRALYTICS_OFFLINE="1")
    argv = [
        sys.executable,
        "-m",
        "numa_ultralytics",
        "segment",
        "track",
        f"model={model}",
        f"source={video}",
        "imgsz=320",
        "save=True",
        "save_txt=True",
        f"project={tmp_path}",
        "name=run",
        "device=cpu",
    ]
    proc = subprocess.Popen(
        argv,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_signals,
    )
    labels = tmp_path / "run" / "labels"
    deadline = time.monotonic() + 240
    at_signal = 0
    while time.monotonic() < deadline and proc.poll() is None:
        at_signal = len(list(labels.glob("*.txt"))) if labels.is_dir() else 0
        if at_signal >= SIGNAL_AT:
            proc.send_signal(sig)
            break
        time.sleep(0.02)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(argv, proc.returncode, out, err), tmp_path / "run", at_signal, total


def _check_outputs(run: Path, at_signal: int, total: int) -> None:
    # no file left under a temporary name
    assert sorted(p.name for p in run.rglob("*.partial*")) == []
    video = run / "seeed_people-walking.avi"
    cap = cv2.VideoCapture(str(video))
    assert cap.isOpened()
    indexed = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    decoded = 0
    while True:
        ok, im = cap.read()
        if not ok:
            break
        assert im is not None and im.ndim == 3
        decoded += 1
    cap.release()
    # label files: labels/<stem>_<frame>.txt, frame 1-based; a person is in every frame of this video
    frames = sorted(int(p.stem.rsplit("_", 1)[1]) for p in (run / "labels").glob("*.txt"))
    assert frames == list(range(1, len(frames) + 1))
    for p in (run / "labels").glob("*.txt"):
        lines = p.read_text().splitlines()
        assert lines, p
        for line in lines:
            v = line.split()
            assert int(v[0]) >= 0
            coords = [float(x) for x in v[1:-1]]  # polygon (x y pairs), then the track id
            assert len(coords) % 2 == 0 and len(coords) >= 6
            assert all(0.0 <= c <= 1.0 for c in coords)
            assert int(v[-1]) >= 1
    # the signal came at >= SIGNAL_AT frames; the run finished the frame in hand and stopped well before the end
    assert SIGNAL_AT <= at_signal <= len(frames) < total
    assert indexed == decoded == len(frames)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_cli_signal_keeps_outputs(tmp_path, sig, code):
    proc, run, at_signal, total = _interrupted_run(tmp_path, sig)
    assert proc.returncode == code, proc.stderr[-2000:]
    name = signal.Signals(sig).name
    assert f"{name}: stopped after" in proc.stderr
    assert f"results saved to {run}" in proc.stderr
    _check_outputs(run, at_signal, total)


def test_scope_restores_handlers_and_threads_install_nothing():
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with stop_on_signals() as outer:
        assert outer.owner and outer.installed
        assert signal.getsignal(signal.SIGTERM) != before[signal.SIGTERM]
        with stop_on_signals() as inner:  # nested: shares the outer scope
            assert not inner.owner
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(100):  # the handler runs in the main thread between bytecodes
                if inner.requested:
                    break
                time.sleep(0.01)
            assert inner.requested and outer.requested and stop_requested()
        assert outer.exit_code == 143 and outer.name == "SIGTERM"
        with pytest.raises(SystemExit) as e:
            outer.raise_stop()
        assert e.value.code == 143
    assert {s: signal.getsignal(s) for s in before} == before
    assert not stop_requested()

    seen: list[StopScope] = []

    def worker() -> None:
        with stop_on_signals() as scope:
            seen.append(scope)

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert not seen[0].installed and not seen[0].owner and not seen[0].requested
    assert {s: signal.getsignal(s) for s in before} == before


def test_predict_in_a_thread_with_save(tmp_path, seg_onnx):
    """A library user calling predict(save=True) from a worker thread: no handler, the run completes as before."""
    from numa_ultralytics import YOLO

    im = cv2.imread(str(need(MEDIA / "images" / "bus.jpg")))
    out: list = []
    t = threading.Thread(
        target=lambda: out.extend(
            YOLO(str(seg_onnx)).predict(im, save=True, project=str(tmp_path), name="t", imgsz=320, verbose=False)
        )
    )
    t.start()
    t.join()
    assert len(out) == 1 and (tmp_path / "t" / "image0.jpg").is_file()
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == ["image0.jpg"]


SECOND_CHILD = r"""
import os, signal, sys, time
from numa_ultralytics.utils.signals import stop_on_signals
with stop_on_signals() as stop:
    os.kill(os.getpid(), signal.SIGTERM)
    while not stop.requested:  # the first signal: a stop request, the work goes on
        time.sleep(0.01)
    print("first handled", flush=True)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(5)  # the frame in hand: the second signal does not wait for it
    print("not reached", flush=True)
"""


def test_second_signal_exits_at_once():
    """The second SIGTERM during the stop exits 143 at once (os._exit: nothing after it runs)."""
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-c", SECOND_CHILD], capture_output=True, text=True, timeout=60)
    assert p.returncode == 143, p.stderr[-2000:]
    assert p.stdout.splitlines() == ["first handled"]
    assert "SIGTERM again: exiting at once" in p.stderr
    assert time.monotonic() - t0 < 30


API_CHILD = r"""
import sys
from numa_ultralytics import YOLO
model = YOLO(sys.argv[1])
model.track(sys.argv[2], save=True, save_txt=True, project=sys.argv[3], name="run", imgsz=320, verbose=False)
print("not reached")
"""


def test_api_track_save_sigterm(tmp_path):
    """The Python API: ``model.track(source, save=True, save_txt=True)`` in a script sent SIGTERM exits 143 (an
    uncaught ``SystemExit(143)``) with the same complete outputs as the command line."""
    video = need(MEDIA / "videos" / "seeed_people-walking.mp4")
    model = need(MODELS / "yolo11n-seg-dynamic.onnx")
    cap = cv2.VideoCapture(str(video))
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    proc = subprocess.Popen(
        [sys.executable, "-c", API_CHILD, str(model), str(video), str(tmp_path)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    labels = tmp_path / "run" / "labels"
    deadline = time.monotonic() + 240
    at_signal = 0
    while time.monotonic() < deadline and proc.poll() is None:
        at_signal = len(list(labels.glob("*.txt"))) if labels.is_dir() else 0
        if at_signal >= SIGNAL_AT:
            proc.send_signal(signal.SIGTERM)
            break
        time.sleep(0.02)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err[-2000:]
    assert "not reached" not in out
    assert f"Results saved to {tmp_path / 'run'}" in out
    _check_outputs(tmp_path / "run", at_signal, total)


class _EndlessMJPEG:
    """A live HTTP MJPEG stream on 127.0.0.1 that serves a few frames of a shared video round and round until stopped:
    a run on it never ends by itself, so a test can wait for a state of the run (a progress line) and not for a
    time."""

    def __init__(self, video: Path, n: int = 8) -> None:
        cap = cv2.VideoCapture(str(video))
        self.jpegs = []
        for _ in range(n):
            ok, im = cap.read()
            assert ok
            self.jpegs.append(cv2.imencode(".jpg", cv2.resize(im, (640, 360)))[1].tobytes())
        cap.release()
        self.done = threading.Event()
        self.stall = threading.Event()  # set: the server stops sending but keeps the connection open (a stalled stream)
        self.stalled = threading.Event()  # set by the server once it has sent its last frame and stalls
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                i = 0
                try:
                    while not owner.done.is_set():
                        if owner.stall.is_set():
                            owner.stalled.set()
                            owner.done.wait()
                            break
                        j = owner.jpegs[i % len(owner.jpegs)]
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(j))
                        self.wfile.write(j + b"\r\n")
                        self.wfile.flush()
                        i += 1
                        owner.done.wait(0.02)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/live.mjpg"

    def stop(self) -> None:
        self.done.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def test_cli_sigterm_without_outputs(tmp_path):
    """No save (``save=False``: the command line saves by default, as 8.4.190): it still stops on SIGTERM and exits 143.
    The source is a live stream that never ends, and the signal goes once the run has printed its first progress line (a
    state, whatever the CPU's speed)."""
    server = _EndlessMJPEG(need(MEDIA / "videos" / "seeed_people-walking.mp4"))
    model = need(MODELS / "yolo11n-seg-dynamic.onnx")
    env = dict(os.environ, NUMA_ULTRALYTICS_WEIGHTS_DIR=str(MODELS), NUMA_ULTRALYTICS_OFFLINE="1")
    argv = [sys.executable, "-m", "numa_ultralytics", "segment", "predict", f"model={model}", f"source={server.url}"]
    try:
        proc = subprocess.Popen(
            [*argv, "imgsz=320", "device=cpu", "save=False"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stderr is not None
        first = proc.stderr.readline().decode()  # the first plain progress line (after 5 s of frames)
        assert "frames" in first, first
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        server.stop()
    assert proc.returncode == 143, err[-2000:]
    stopped = [ln for ln in err.decode().splitlines() if ln.startswith("SIGTERM: stopped after")]
    assert len(stopped) == 1 and "results saved" not in stopped[0]
    assert int(stopped[0].split()[3]) > 0
    assert list(tmp_path.iterdir()) == []


STALL_CHILD = r"""
import sys
from numa_ultralytics import YOLO
model = YOLO(sys.argv[1])
model.add_callback("on_predict_batch_end", lambda p: print("FRAME", flush=True))
for _ in model.predict(sys.argv[2], stream=True, save=True, project=sys.argv[3], name="run", imgsz=320, verbose=False):
    pass
print("not reached")
"""


def test_sigterm_with_a_stalled_live_stream_exits_within_2_s(tmp_path):
    """Issue 22.11: a live stream that stalls (the server stops sending, the connection stays open) held SIGTERM for
    ~10 s (the stream's read timeout, docker's grace period: the run could be SIGKILLed with a .partial video). The
    signal goes once frames were read and the server has stalled (states); the run exits 143 within 2 s with its
    video complete."""
    server = _EndlessMJPEG(need(MEDIA / "videos" / "seeed_people-walking.mp4"))
    model = need(MODELS / "yolo11n-seg-dynamic.onnx")
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", STALL_CHILD, str(model), server.url, str(tmp_path)],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=_default_signals,
        )
        assert proc.stdout is not None
        for _ in range(3):  # frames were read and run
            assert proc.stdout.readline().strip() == b"FRAME", proc.stderr.read() if proc.stderr else b""
        server.stall.set()
        assert server.stalled.wait(30), "the server never stalled"
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        latency = time.monotonic() - t0
    finally:
        server.stop()
    print(f"exit {latency:.2f} s after SIGTERM")
    assert proc.returncode == 143, err.decode()[-2000:]
    assert b"not reached" not in out
    assert latency < 2.0, f"took {latency:.1f} s to exit after SIGTERM"
    videos = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert videos == ["live.avi"], videos  # complete, under its final name
