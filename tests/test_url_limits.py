"""URL reads have a total deadline and a size cap (utils/downloads.py), against hostile HTTP servers on 127.0.0.1
started by the test: one drips a byte at a time (body or headers), one floods without end, one declares a huge
Content-Length."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
import time

import pytest

from numa_ultralytics.data.loaders import load_inference_source
from numa_ultralytics.utils import downloads
from numa_ultralytics.utils.downloads import DownloadLimitError, fetch_bytes, safe_download

DRIP_EVERY_S = 0.5  # far below the socket timeout: only the total deadline can stop it


class _Hostile(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        try:
            if "drip-headers" in self.path:  # the status line, then the headers one byte at a time
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                for _ in range(400):
                    self.wfile.write(b"X")
                    self.wfile.flush()
                    time.sleep(DRIP_EVERY_S)
            elif "drip" in self.path:
                self.send_response(200)
                self.send_header("Content-Length", "100000")
                self.end_headers()
                for _ in range(400):
                    self.wfile.write(b"\xff")
                    self.wfile.flush()
                    time.sleep(DRIP_EVERY_S)
            elif "flood" in self.path:  # no Content-Length, no end
                self.send_response(200)
                self.end_headers()
                block = b"\x00" * (1 << 20)
                while True:
                    self.wfile.write(block)
            elif "huge" in self.path:
                self.send_response(200)
                self.send_header("Content-Length", str(10 << 30))
                self.end_headers()
                self.wfile.write(b"\x00" * 1000)
            else:
                self.send_error(404)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass


@pytest.fixture()
def base():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    httpd.daemon_threads = True
    httpd.block_on_close = False  # type: ignore[attr-defined]
    t = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_dripping_image_url_stops_at_the_deadline(base, monkeypatch):
    """An image URL as a source (data/sources.py -> fetch_bytes) under a 2 s FETCH_DEADLINE_S."""
    monkeypatch.setattr(downloads, "FETCH_DEADLINE_S", 2.0)
    t0 = time.monotonic()
    with pytest.raises(DownloadLimitError, match=r"longer than its deadline=2s \(FETCH_DEADLINE_S\)") as e:
        list(load_inference_source(f"{base}/drip.jpg"))
    elapsed = time.monotonic() - t0
    assert e.value.limit == "deadline"
    assert 1.9 <= elapsed < 5.0, elapsed


def test_dripping_headers_stop_at_the_deadline(base):
    t0 = time.monotonic()
    with pytest.raises(DownloadLimitError, match=r"deadline=1.5s"):
        fetch_bytes(f"{base}/drip-headers.jpg", deadline=1.5)
    assert time.monotonic() - t0 < 4.5


def test_dripping_download_stops_and_leaves_nothing(base, tmp_path):
    t0 = time.monotonic()
    with pytest.raises(DownloadLimitError, match=r"deadline=1.5s \(DOWNLOAD_DEADLINE_S"):
        safe_download(f"{base}/drip.onnx", tmp_path / "w.onnx", deadline=1.5, progress=False)
    assert time.monotonic() - t0 < 4.5
    assert list(tmp_path.iterdir()) == []


def test_declared_size_over_the_cap_is_refused_before_reading(base, tmp_path):
    t0 = time.monotonic()
    msg = r"Content-Length 10737418240 is over the max_bytes=2147483648 \(DOWNLOAD_MAX_BYTES\)"
    with pytest.raises(DownloadLimitError, match=msg):
        safe_download(f"{base}/huge.onnx", tmp_path / "w.onnx", progress=False)
    assert time.monotonic() - t0 < 3.0
    assert list(tmp_path.iterdir()) == []


def test_flooding_download_stops_at_the_cap(base, tmp_path):
    with pytest.raises(DownloadLimitError, match=r"more than the max_bytes=8388608 \(DOWNLOAD_MAX_BYTES\) cap") as e:
        safe_download(f"{base}/flood.onnx", tmp_path / "w.onnx", max_bytes=8 << 20, progress=False)
    assert e.value.limit == "max_bytes"
    assert list(tmp_path.iterdir()) == []


CHILD = r"""
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # 1 GiB of address space for the whole process
from numa_ultralytics.utils.downloads import FETCH_MAX_BYTES, DownloadLimitError, fetch_bytes
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.monotonic()
try:
    fetch_bytes(sys.argv[1])
    err = None
except DownloadLimitError as e:
    err = str(e)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"err": err, "grew_kb": after - before, "s": time.monotonic() - t0, "cap": FETCH_MAX_BYTES}))
"""


def test_flooding_image_url_memory_stays_bounded(base):
    """fetch_bytes with its default cap (FETCH_MAX_BYTES) in a child limited to 1 GiB of address space: the flood is
    stopped at the cap and the peak RSS grows by about the cap, not by what the server sends."""
    p = subprocess.run([sys.executable, "-c", CHILD, f"{base}/flood.jpg"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr[-2000:]
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["err"] is not None and f"more than the max_bytes={out['cap']} (FETCH_MAX_BYTES)" in out["err"]
    assert out["grew_kb"] * 1024 < 2.5 * out["cap"], out
    assert out["s"] < 20, out
    print(out)


def test_silent_video_url_stops_at_the_stream_timeout(monkeypatch):
    """A video URL goes through FFmpeg (not this module): a server that accepts and never answers is given up after
    data/sources.py's STREAM_TIMEOUT_S (2 s here), with an error naming the URL."""
    import socket

    from numa_ultralytics.data import sources

    monkeypatch.setattr(sources, "STREAM_TIMEOUT_S", 2.0)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(4)
        url = f"http://127.0.0.1:{s.getsockname()[1]}/v.mp4"
        t0 = time.monotonic()
        with pytest.raises(ValueError, match=r"could not open video http://127\.0\.0\.1:\d+/v\.mp4"):
            load_inference_source(url)
        assert time.monotonic() - t0 < 6.0
