"""Weights resolution and downloads against a local HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest

from numa_ultralytics.utils import downloads
from numa_ultralytics.utils.downloads import (
    attempt_download_asset,
    cache_dir,
    fetch_bytes,
    find_weights,
    is_url,
    safe_download,
)

PAYLOAD = bytes(range(256)) * 1000  # 256 kB, several chunks


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        if self.path.endswith("/good.onnx"):
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD)
        elif self.path.endswith("/truncated.onnx"):
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD[: len(PAYLOAD) // 3])
            self.wfile.flush()
            self.close_connection = True
        elif self.path.endswith("/nolength.onnx"):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(PAYLOAD[:1000])
            self.close_connection = True
        else:
            self.send_error(404, "Not Found")


@pytest.fixture()
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.requests = []  # type: ignore[attr-defined]
    t = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    yield httpd, f"http://127.0.0.1:{httpd.server_address[1]}/assets"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture()
def env(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("NUMA_ULTRALYTICS_CACHE_DIR", str(cache))
    monkeypatch.delenv("NUMA_ULTRALYTICS_WEIGHTS_DIR", raising=False)
    monkeypatch.delenv("NUMA_ULTRALYTICS_OFFLINE", raising=False)
    monkeypatch.delenv("NUMA_ULTRALYTICS_ASSETS_URL", raising=False)
    return cache


def _leftovers(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


def test_existing_path_wins(env, tmp_path):
    f = tmp_path / "my.onnx"
    f.write_bytes(b"x")
    assert attempt_download_asset(f) == f
    assert attempt_download_asset(str(f)) == f


def test_weights_dir_then_cache(env, tmp_path, monkeypatch):
    wd1, wd2 = tmp_path / "w1", tmp_path / "w2"
    wd1.mkdir()
    wd2.mkdir()
    (wd2 / "m.onnx").write_bytes(b"2")
    env.mkdir()
    (env / "m.onnx").write_bytes(b"c")
    (env / "only_cached.onnx").write_bytes(b"c")
    monkeypatch.setenv("NUMA_ULTRALYTICS_WEIGHTS_DIR", f"{wd1}{__import__('os').pathsep}{wd2}")
    assert attempt_download_asset("m.onnx") == wd2 / "m.onnx"
    with pytest.raises(FileNotFoundError, match="some/dir/m.onnx"):  # a path is a path, never looked up by name
        attempt_download_asset("some/dir/m.onnx")
    assert attempt_download_asset("only_cached.onnx") == env / "only_cached.onnx"
    assert find_weights("absent.onnx") is None
    assert cache_dir() == env


def test_shared_models_via_env(env, monkeypatch, seg_onnx):
    monkeypatch.setenv("NUMA_ULTRALYTICS_WEIGHTS_DIR", str(seg_onnx.parent))
    assert attempt_download_asset(seg_onnx.name) == seg_onnx


def test_download_success_into_cache(env, server, monkeypatch):
    httpd, base = server
    monkeypatch.setenv("NUMA_ULTRALYTICS_ASSETS_URL", base)
    p = attempt_download_asset("good.onnx", release="v9.9.9")
    assert p == env / "good.onnx"
    assert p.read_bytes() == PAYLOAD
    assert httpd.requests == ["/assets/v9.9.9/good.onnx"]
    assert _leftovers(env) == ["good.onnx"]  # no temp files
    # second call: from the cache, no request
    assert attempt_download_asset("good.onnx", release="v9.9.9") == p
    assert len(httpd.requests) == 1


def test_download_404_is_clear(env, server, monkeypatch):
    _, base = server
    monkeypatch.setenv("NUMA_ULTRALYTICS_ASSETS_URL", base)
    with pytest.raises(FileNotFoundError) as ei:
        attempt_download_asset("missing-model.onnx")
    msg = str(ei.value)
    assert "missing-model.onnx" in msg and "404" in msg
    assert "NUMA_ULTRALYTICS_WEIGHTS_DIR" in msg and str(env) in msg
    assert _leftovers(env) == []


def test_truncated_download_leaves_nothing(env, server, monkeypatch):
    _, base = server
    monkeypatch.setenv("NUMA_ULTRALYTICS_ASSETS_URL", base)
    with pytest.raises(FileNotFoundError, match="incomplete|IncompleteRead"):
        attempt_download_asset("truncated.onnx")
    assert _leftovers(env) == []
    with pytest.raises(OSError, match="incomplete|IncompleteRead"):
        safe_download(f"{base}/x/truncated.onnx", env / "t.onnx")
    assert _leftovers(env) == []
    with pytest.raises(OSError, match="incomplete|IncompleteRead"):
        fetch_bytes(f"{base}/x/truncated.onnx")


def test_no_content_length_is_accepted(env, server):
    _, base = server
    p = safe_download(f"{base}/x/nolength.onnx", env / "n.onnx")
    assert p.read_bytes() == PAYLOAD[:1000]
    assert fetch_bytes(f"{base}/x/good.onnx") == PAYLOAD


def test_offline_and_unreachable(env, monkeypatch):
    monkeypatch.setenv("NUMA_ULTRALYTICS_OFFLINE", "1")
    with pytest.raises(FileNotFoundError, match="downloads are off"):
        attempt_download_asset("yolo11n-seg.onnx")
    monkeypatch.delenv("NUMA_ULTRALYTICS_OFFLINE")
    # a closed local port: connection refused, quickly
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    monkeypatch.setenv("NUMA_ULTRALYTICS_ASSETS_URL", f"http://127.0.0.1:{port}/a")
    with pytest.raises(FileNotFoundError, match="NUMA_ULTRALYTICS_WEIGHTS_DIR"):
        attempt_download_asset("yolo11n-seg.onnx", timeout=5)
    assert _leftovers(env) == []


def test_direct_url_and_is_url(env, server):
    httpd, base = server
    p = attempt_download_asset(f"{base}/any/good.onnx")
    assert p == env / "good.onnx" and p.read_bytes() == PAYLOAD
    assert is_url("https://x.org/a.pt") and is_url("rtsp://1.2.3.4/s")
    assert not is_url("yolo11n-seg.pt") and not is_url("C:/x.pt") and not is_url(3)
    with pytest.raises(ValueError, match="scheme"):
        downloads.safe_download("ftp://127.0.0.1/x", env / "x")


@pytest.mark.parametrize("kind", ["absolute", "relative", "dot", "home", "trailing_sep"])
def test_missing_path_is_not_looked_up_or_downloaded(env, server, tmp_path, monkeypatch, kind):
    """A missing path (folder part or separator) raises FileNotFoundError naming it: no weights-dir lookup, no
    cache lookup, no download, even where a file of that name exists in all of them."""
    httpd, base = server
    monkeypatch.setenv("NUMA_ULTRALYTICS_ASSETS_URL", base)
    monkeypatch.chdir(tmp_path)
    wd = tmp_path / "w"
    wd.mkdir()
    (wd / "good.onnx").write_bytes(b"w")
    monkeypatch.setenv("NUMA_ULTRALYTICS_WEIGHTS_DIR", str(wd))
    env.mkdir()
    (env / "good.onnx").write_bytes(b"c")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    arg = {
        "absolute": str(tmp_path / "nowhere" / "good.onnx"),
        "relative": "nowhere/good.onnx",
        "dot": "./good.onnx",
        "home": "~/good.onnx",
        "trailing_sep": "good.onnx/",
    }[kind]
    with pytest.raises(FileNotFoundError) as ei:
        attempt_download_asset(arg)
    msg = str(ei.value)
    assert arg in msg and "no such file" in msg
    assert "pass the file's full path" not in msg
    assert httpd.requests == []
    assert find_weights(arg) is None


def test_existing_folder_is_a_path(env, server, tmp_path, monkeypatch):
    httpd, base = server
    monkeypatch.setenv("NUMA_ULTRALYTICS_ASSETS_URL", base)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.onnx").mkdir()  # a folder with a model's name
    for arg in ("good.onnx", str(tmp_path / "good.onnx")):
        with pytest.raises(FileNotFoundError, match="is a folder"):
            attempt_download_asset(arg)
    assert httpd.requests == []


def test_bare_name_and_existing_relative_path(env, server, tmp_path, monkeypatch):
    httpd, base = server
    monkeypatch.setenv("NUMA_ULTRALYTICS_ASSETS_URL", base)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "local.onnx").write_bytes(b"l")
    assert attempt_download_asset("sub/local.onnx") == Path("sub/local.onnx")  # an existing file: itself
    (tmp_path / "here.onnx").write_bytes(b"h")
    assert attempt_download_asset("here.onnx") == Path("here.onnx")  # a bare name present in the cwd
    assert attempt_download_asset("good.onnx") == env / "good.onnx"  # a bare name: downloaded
    assert httpd.requests == [f"/assets/{downloads.DEFAULT_RELEASE}/good.onnx"]
    assert downloads.is_bare_name("yolo11n-seg.pt") and not downloads.is_bare_name("a/yolo11n-seg.pt")
    assert not downloads.is_bare_name("sub") and not downloads.is_bare_name("..")


def test_yolo_with_missing_path_names_it(env, tmp_path):
    from numa_ultralytics import YOLO

    missing = tmp_path / "x.onnx"
    with pytest.raises(FileNotFoundError, match=str(missing)):
        YOLO(str(missing))
