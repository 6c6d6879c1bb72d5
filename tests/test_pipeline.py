"""The frame loop's batching and pipelining (engine/model.py ``_stream``, engine/predictor.py ``Predictor.run_batch``,
data/read_ahead.py ``ReadAhead``, engine/sink.py ``SinkWorker``, trackers/utils/gmc.py ``GMC.prefetch``), on short clips
of the shared videos:

- the pipelined loop gives the serial loop's results, ids and files exactly;
- streams batched together give each stream's results alone, exactly, also when their letterbox shapes differ;
- a static export (batch 1) runs a batch one frame at a time, with the same results;
- camera-motion estimates prefetched on the worker thread equal the serial ones, and a stopped run leaves the state
  as the last frame applied;
- a live stream that stalls does not stall the other streams of its list.
"""

from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from numa_ultralytics import YOLO
from numa_ultralytics.data.read_ahead import ReadAhead
from numa_ultralytics.trackers.utils.gmc import GMC
from numa_ultralytics.utils.args import ArgError, check_args

from .conftest import MEDIA, MODELS, need

N = 16  # frames per clip


def _clip(frames: list[np.ndarray], path: Path) -> str:
    h, w = frames[0].shape[:2]
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (w, h))
    for f in frames:
        vw.write(f)
    vw.release()
    return str(path)


def _video_frames(path: Path, n: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(need(path)))
    out = []
    while len(out) < n:
        ok, f = cap.read()
        if not ok:
            break
        out.append(f)
    cap.release()
    return out


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Short MJPG clips: three 16:9 videos (letterboxed to 384x640) and MOT17-05 (4:3, letterboxed to 480x640)."""
    d = tmp_path_factory.mktemp("clips")
    v = MEDIA / "videos"
    mot = sorted(need(MEDIA / "mot17-mini" / "train" / "MOT17-05-FRCNN" / "img1").glob("*.jpg"))[:N]
    return {
        "people": _clip(_video_frames(v / "seeed_people-walking.mp4", N), d / "people.avi"),
        "cars": _clip(_video_frames(v / "intel_car-detection.mp4", N), d / "cars.avi"),
        "demo": _clip(_video_frames(v / "mmtracking_demo.mp4", N), d / "demo.avi"),
        "mot05": _clip([cv2.imread(str(p)) for p in mot], d / "mot05.avi"),
    }


@pytest.fixture(scope="module")
def onnx() -> str:
    return str(need(MODELS / "yolo11n-seg-dynamic.onnx"))


def _key(r) -> tuple[str, int]:
    return (Path(r.path).name, r.source_item.frame)


def _snapshot(results) -> dict[tuple[str, int], tuple[np.ndarray, np.ndarray | None]]:
    """(file, frame) -> (boxes incl. ids, masks)."""
    return {
        _key(r): (np.asarray(r.boxes.data).copy(), None if r.masks is None else np.asarray(r.masks.data).copy())
        for r in results
    }


def _assert_same(a, b) -> int:
    assert a.keys() == b.keys()
    n = 0
    for k in a:
        (ba, ma), (bb, mb) = a[k], b[k]
        np.testing.assert_array_equal(ba, bb, err_msg=str(k))
        assert (ma is None) == (mb is None), k
        if ma is not None:
            np.testing.assert_array_equal(ma, mb, err_msg=str(k))
        n += len(ba)
    return n


def _files(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*.txt"))}


def test_pipelined_loop_equals_serial(onnx, clips, tmp_path):
    """BoT-SORT with GMC (sparseOptFlow, prefetched) and save + save_txt: the same boxes, masks, ids and label files
    with and without the pipeline; the video holds every frame."""
    runs = {}
    for pipeline in (False, True):
        m = YOLO(onnx)
        res = list(
            m.track(
                clips["people"],
                stream=True,
                pipeline=pipeline,
                save=True,
                save_txt=True,
                project=str(tmp_path),
                name=f"p{int(pipeline)}",
                verbose=False,
            )
        )
        runs[pipeline] = (_snapshot(res), _files(tmp_path / f"p{int(pipeline)}"))
        assert [r.source_item.frame for r in res] == list(range(N))
        cap = cv2.VideoCapture(str(tmp_path / f"p{int(pipeline)}" / "people.avi"))
        assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == N
        cap.release()
    n = _assert_same(runs[False][0], runs[True][0])
    assert n > 100  # ~19 people a frame
    ids = {int(i) for b, _ in runs[True][0].values() for i in b[:, 4]}
    assert len(ids) > 10
    assert runs[False][1] == runs[True][1] and len(runs[True][1]) == N


def test_batched_streams_equal_each_stream_alone(onnx, clips):
    """Four streams (three 384x640, one 480x640) tracked with batch=4: every stream's boxes, masks and ids equal
    that stream tracked alone. Mixed shapes run one session.run per shape, so there is no tolerance to state."""
    srcs = [clips["people"], clips["cars"], clips["demo"], clips["mot05"]]
    batched = list(YOLO(onnx).track(srcs, stream=True, batch=4, verbose=False))
    assert {r.source_item.stream for r in batched} == {0, 1, 2, 3}
    assert {r.input_hw for r in batched} == {(384, 640), (480, 640)}
    alone = {}
    for s in srcs:
        alone.update(_snapshot(YOLO(onnx).track(s, stream=True, verbose=False)))
    assert _assert_same(_snapshot(batched), alone) > 300


def test_batched_video_frames_equal_batch_one(onnx, clips):
    """batch=5 over one video (consecutive frames share a session.run; 16 = 5 + 5 + 5 + 1), predict: equal to
    batch=1."""
    m = YOLO(onnx)
    one = _snapshot(m.predict(clips["people"], stream=True, verbose=False))
    five = _snapshot(m.predict(clips["people"], stream=True, batch=5, verbose=False))
    assert _assert_same(one, five) > 50


def test_static_export_runs_a_batch_frame_by_frame(clips, caplog):
    static = str(need(MODELS / "yolo11n-seg.onnx"))
    m = YOLO(static)
    with caplog.at_level("INFO", logger="numa_ultralytics"):
        three = _snapshot(m.predict(clips["people"], stream=True, batch=3, verbose=False))
    assert "fixed batch of 1" in caplog.text
    one = _snapshot(YOLO(static).predict(clips["people"], stream=True, verbose=False))
    assert _assert_same(one, three) > 100


def test_batch_argument_bounds():
    assert check_args({"batch": 256}, "predict")["batch"] == 256
    for bad in (0, 257, 2.0, True):
        with pytest.raises(ArgError, match="batch"):
            check_args({"batch": bad}, "predict")
    with pytest.raises(ArgError, match="pipeline"):
        check_args({"pipeline": "yes"}, "predict")


def test_gmc_prefetch_equals_serial_and_discard_restores_state():
    frames = _video_frames(MEDIA / "videos" / "seeed_people-walking.mp4", 8)
    serial = GMC("sparseOptFlow")
    want = [serial.apply(f) for f in frames]
    g = GMC("sparseOptFlow")
    assert all(g.prefetch(f) for f in frames[:5])
    got = [g.apply(f) for f in frames[:2]]
    g.discard_prefetched()  # frames 2..4 were estimated but never applied
    got += [g.apply(f) for f in frames[2:]]  # inline, continuing from frame 1
    for w, x in zip(want, got):
        np.testing.assert_array_equal(w, x)
    assert not np.array_equal(want[3], np.eye(2, 3))  # the camera moves: a real warp
    assert GMC("orb").prefetch(frames[0]) is False  # ORB/SIFT need the detections: never prefetched
    h = GMC("sparseOptFlow")
    h.prefetch(frames[0])
    with pytest.raises(RuntimeError, match="order"):
        h.apply(frames[1])


def test_read_ahead_hands_out_items_errors_and_stops():
    def gen():
        yield from range(3)
        raise OSError("disk gone")

    ra = ReadAhead(gen(), size=2)
    assert [next(ra) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(OSError, match="disk gone"):
        next(ra)
    with pytest.raises(StopIteration):
        next(ra)
    closed = threading.Event()

    def endless():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    ra = ReadAhead(endless(), size=3)
    assert next(ra) == 0
    ra.close()
    assert closed.wait(5)  # the reader thread closed its generator


class _StallingMJPEG:
    """Serves STALL_AFTER JPEG frames, then keeps the connection open without sending anything for STALL_S seconds,
    then closes it and goes away."""

    STALL_AFTER = 3
    STALL_S = 6.0

    def __init__(self, jpeg: bytes) -> None:
        owner = self
        self.stalling = threading.Event()  # set while the connection is open and silent

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                try:
                    for _ in range(owner.STALL_AFTER):
                        self.wfile.write(
                            b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(jpeg)
                        )
                        self.wfile.write(jpeg + b"\r\n")
                        self.wfile.flush()
                        time.sleep(0.05)
                    owner.stalling.set()
                    time.sleep(owner.STALL_S)
                    owner.stalling.clear()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True
                threading.Thread(target=owner.httpd.shutdown, daemon=True).start()

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/stream"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()


def test_stalled_live_stream_does_not_stall_the_others(onnx, clips):
    """A stream list with a live MJPEG stream that stalls after 3 frames and a 16-frame video: the video's frames
    all come out while the live stream is silent (a loop waiting for the live stream's turn would hand them out only
    after the stall)."""
    ok, jpeg = cv2.imencode(".jpg", _video_frames(MEDIA / "videos" / "seeed_people-walking.mp4", 1)[0])
    server = _StallingMJPEG(jpeg.tobytes())
    seen = []  # (stream, whether the live stream was stalling when the frame came out)
    try:
        for r in YOLO(onnx).predict(
            [server.url, clips["cars"]], stream=True, reconnect_timeout=0, verbose=False, imgsz=320
        ):
            seen.append((r.source_item.stream, server.stalling.is_set()))
    finally:
        server.httpd.server_close()
    order = [s for s, _ in seen]
    assert order.count(1) == N
    assert 1 <= order.count(0) <= _StallingMJPEG.STALL_AFTER
    last_live = max(i for i, s in enumerate(order) if s == 0)
    assert seen[-1] == (1, True)  # the video ended while the live stream was still silent
    assert all(stalled for s, stalled in seen[last_live + 1 :])


def test_cli_stream_list_batched_equals_each_alone(onnx, clips, tmp_path):
    """``numa-yolo segment track source=streams.txt batch=2 save_txt=True`` (two streams of different letterbox
    shapes, pipelined): each stream's label files equal those of that stream tracked alone (Python API, serial,
    batch 1)."""
    import os
    import subprocess
    import sys

    lst = tmp_path / "streams.txt"
    lst.write_text(f"{clips['people']}\n{clips['mot05']}\n")
    env = dict(os.environ, NUMA_ULTRALYTICS_OFFLINE="1")
    p = subprocess.run(
        [sys.executable, "-m", "numa_ultralytics", "segment", "track", f"model={onnx}", f"source={lst}", "batch=2"]
        + ["save_txt=True", "save=False", f"project={tmp_path}", "name=cli", "imgsz=320"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    cli = _files(tmp_path / "cli")
    alone: dict[str, bytes] = {}
    for s in (clips["people"], clips["mot05"]):
        list(
            YOLO(onnx).track(
                s,
                stream=True,
                pipeline=False,
                save_txt=True,
                project=str(tmp_path),
                name="alone",
                exist_ok=True,
                imgsz=320,
                verbose=False,
            )
        )
    # a video file's frames are numbered from 1 in a stream list as alone (8.4.190 numbers files by frame, only live
    # streams by their 0-based count)
    alone = _files(tmp_path / "alone")
    assert {k.split("/")[-1].rsplit("_", 1)[0] for k in cli} == {"people", "mot05"}
    assert cli == alone and len(cli) >= N + 4
