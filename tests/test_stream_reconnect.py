"""A live HTTP MJPEG stream that drops mid-stream and comes back (data/streams.py reconnect, engine/model.py tracker
keep/reset). The server runs on 127.0.0.1 in the test: it serves JPEG frames of a shared video as
multipart/x-mixed-replace, closes the connection and its listening socket after DROP_AT frames, comes back on the
same port DOWN_S seconds later and goes on from the next frame, then goes away for good."""

from __future__ import annotations

import http.server
import logging
import threading
import time

import cv2
import numpy as np
import pytest

from numa_ultralytics import YOLO
from numa_ultralytics.utils.args import ArgError, check_args

from .conftest import MEDIA, need

N_FRAMES = 24
DROP_AT = 12  # frames served before the drop
DOWN_S = 1.5  # seconds the server is away
FPS = 10.0


class _MJPEGServer:
    def __init__(self, jpegs: list[bytes]) -> None:
        self.jpegs = jpegs
        self.next = 0
        self.dropped = False
        self.connections = 0
        self.port = 0
        self.httpd: http.server.ThreadingHTTPServer | None = None
        self._start()

    def _start(self) -> None:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                owner.connections += 1
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                try:
                    while owner.next < len(owner.jpegs):
                        if owner.next == DROP_AT and not owner.dropped:
                            owner.dropped = True
                            threading.Thread(target=owner._drop, daemon=True).start()
                            break
                        j = owner.jpegs[owner.next]
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(j))
                        self.wfile.write(j + b"\r\n")
                        self.wfile.flush()
                        owner.next += 1
                        time.sleep(1 / FPS)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True
                if owner.next >= len(owner.jpegs):  # the end: the server goes away for good
                    threading.Thread(target=owner.stop, daemon=True).start()

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def _drop(self) -> None:
        self.stop()
        time.sleep(DOWN_S)
        self._start()

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/live.mjpg"


@pytest.fixture()
def frames() -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(need(MEDIA / "videos" / "seeed_people-walking.mp4")))
    out = []
    for _ in range(N_FRAMES):
        ok, im = cap.read()
        assert ok
        out.append(cv2.resize(im, (640, 360), interpolation=cv2.INTER_AREA))
    cap.release()
    return out


@pytest.fixture()
def log_lines():
    lines: list[str] = []

    class H(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    h = H()
    logger = logging.getLogger("numa_ultralytics")
    logger.addHandler(h)
    yield lines
    logger.removeHandler(h)


def _served_index(im: np.ndarray, served: list[np.ndarray]) -> int:
    """Which served frame ``im`` is: the nearest by mean squared difference (JPEG decoders differ a little)."""
    d = [float(np.mean((im.astype(np.float32) - s.astype(np.float32)) ** 2)) for s in served]
    i = int(np.argmin(d))
    assert d[i] < 20.0, d[i]
    return i


@pytest.mark.parametrize("reset_after_drop", [30.0, 0.5])
def test_stream_drop_reconnects_in_order(seg_onnx, frames, log_lines, reset_after_drop):
    jpegs = [cv2.imencode(".jpg", f, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes() for f in frames]
    served = [cv2.imdecode(np.frombuffer(j, np.uint8), cv2.IMREAD_COLOR) for j in jpegs]
    server = _MJPEGServer(jpegs)
    try:
        model = YOLO(str(seg_onnx))
        got = []
        for r in model.track(
            server.url,
            stream=True,
            stream_buffer=True,  # queue: no frame is dropped for being late, so the order check sees every one
            reconnect_timeout=4.0,
            reset_after_drop=reset_after_drop,
            imgsz=320,
            tracker="bytetrack.yaml",
            verbose=False,
        ):
            item = r.source_item
            ids = set() if r.boxes is None or not r.boxes.is_track else {int(i) for i in r.boxes.id}
            got.append((item.frame, item.gap, _served_index(r.orig_img, served), ids))
    finally:
        server.stop()
    assert server.dropped and server.connections == 2
    frame_nos = [g[0] for g in got]
    order = [g[2] for g in got]
    # every served frame arrived once, in the order served, frames before and after the drop
    assert order == list(range(N_FRAMES))
    assert frame_nos == sorted(set(frame_nos))
    gaps = [g[1] for g in got]
    after = order.index(DROP_AT)
    assert gaps[after] >= DOWN_S * 0.8 and all(g == 0.0 for i, g in enumerate(gaps) if i != after)
    drops = [m for m in log_lines if "dropped after frame" in m]
    assert len(drops) == 2  # the drop, then the end of the stream (which also gives up after reconnect_timeout)
    assert any("did not come back within reconnect_timeout=4s" in m for m in log_lines)
    before_ids, after_ids = got[after - 1][3], got[after][3]
    assert len(before_ids) >= 2 and len(after_ids) >= 1
    if reset_after_drop > DOWN_S * 2:  # a short drop: the tracks go on with their ids
        assert after_ids <= before_ids
        assert not any("tracker starts again" in m for m in log_lines)
    else:  # a long drop: the tracker starts again, ids from 1
        assert any("tracker starts again" in m for m in log_lines)
        assert sorted(after_ids) == list(range(1, len(after_ids) + 1))


def test_reconnect_arguments_checked():
    assert check_args({}, "track")["reconnect_timeout"] == 30.0
    assert check_args({}, "track")["reset_after_drop"] == 5.0
    for bad in (-1, "x", True, float("nan"), float("inf")):
        with pytest.raises(ArgError, match="reconnect_timeout"):
            check_args({"reconnect_timeout": bad}, "predict")
        with pytest.raises(ArgError, match="reset_after_drop"):
            check_args({"reset_after_drop": bad}, "track")


def test_stream_without_frames_is_dropped_and_the_others_complete(seg_onnx, tmp_path, caplog):
    """Issue 22.12: a stream of a list that opens but yields no frame ended the whole run (a ValueError), leaving the
    other streams' videos truncated under their final names. Now it is dropped with a warning, as a dead live stream,
    and the others run to their end."""
    cap = cv2.VideoCapture(str(need(MEDIA / "videos" / "seeed_people-walking.mp4")))
    clips = []
    for name in ("a", "b"):
        p = tmp_path / f"{name}.avi"
        w = cv2.VideoWriter(str(p), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (320, 180))
        for _ in range(6):
            ok, im = cap.read()
            assert ok
            w.write(cv2.resize(im, (320, 180)))
        w.release()
        clips.append(p)
    cap.release()
    empty = tmp_path / "empty.avi"  # a valid container without a frame: it opens, its first read fails
    cv2.VideoWriter(str(empty), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (320, 180)).release()
    assert cv2.VideoCapture(str(empty)).isOpened()
    sources = [str(clips[0]), str(empty), str(clips[1])]
    with caplog.at_level(logging.WARNING, logger="numa_ultralytics"):
        results = list(
            YOLO(seg_onnx).predict(sources, stream=True, save=True, project=str(tmp_path), name="run", imgsz=160)
        )
    assert sorted((r.source_item.stream, r.source_item.frame) for r in results) == [
        (s, i) for s in (0, 2) for i in range(6)
    ]
    assert any("empty.avi dropped" in x and "no frame could be read" in x for x in caplog.messages), caplog.messages
    run = tmp_path / "run"
    assert sorted(p.name for p in run.iterdir()) == ["a.avi", "b.avi"]
    for name in ("a", "b"):
        out = cv2.VideoCapture(str(run / f"{name}.avi"))
        assert int(out.get(cv2.CAP_PROP_FRAME_COUNT)) == 6  # complete
        out.release()
