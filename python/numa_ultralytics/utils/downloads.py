"""Finding model weights: local paths, a weights folder, the user cache, then the Ultralytics release assets.

Environment:
    NUMA_ULTRALYTICS_WEIGHTS_DIR: folder(s) holding weights (``os.pathsep``-separated), searched first.
    NUMA_ULTRALYTICS_CACHE_DIR: the download cache (default ``~/.cache/numa_ultralytics``).
    NUMA_ULTRALYTICS_ASSETS_URL: base URL of the release assets
        (default ``https://github.com/ultralytics/assets/releases/download``).
    NUMA_ULTRALYTICS_OFFLINE: ``1`` never downloads.

Downloads go to a temporary file next to the destination and are renamed into place only once complete (the byte
count must match ``Content-Length``), so an interrupted transfer never leaves a corrupt file behind.

Every URL read of the package goes through this module (weights, image URLs as sources), and each has a total deadline
and a size cap, set here and nowhere else:

- :func:`fetch_bytes` (into memory: image URLs): ``FETCH_DEADLINE_S`` = 60 s, ``FETCH_MAX_BYTES`` = 64 MiB;
- :func:`safe_download` (to disk: weights): ``DOWNLOAD_DEADLINE_S`` = 30 min, ``DOWNLOAD_MAX_BYTES`` = 2 GiB.

The deadline covers the whole call (connecting, redirects, headers and body): a watchdog shuts the connection down
when it passes, so a server dripping a byte at a time cannot hold a call longer. ``timeout`` stays the limit of one
socket operation. A ``Content-Length`` above the cap is refused before the body is read, and a body without one is
stopped at the cap, so a flooding server cannot exhaust memory or disk. Both raise :class:`DownloadLimitError` (an
``OSError``) naming the limit; callers may pass smaller or larger ``deadline`` / ``max_bytes``.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

from numa_ultralytics.utils.progress import ProgressBar

__all__ = [
    "ASSETS_URL",
    "DOWNLOAD_DEADLINE_S",
    "DOWNLOAD_MAX_BYTES",
    "FETCH_DEADLINE_S",
    "FETCH_MAX_BYTES",
    "DownloadLimitError",
    "attempt_download_asset",
    "cache_dir",
    "fetch_bytes",
    "find_weights",
    "is_bare_name",
    "is_url",
    "safe_download",
    "weights_dirs",
]

ASSETS_URL = "https://github.com/ultralytics/assets/releases/download"
DEFAULT_RELEASE = "v8.4.0"
_CHUNK = 1 << 16
FETCH_DEADLINE_S = 60.0  # fetch_bytes: the whole call, seconds
FETCH_MAX_BYTES = 64 << 20  # fetch_bytes: body size cap (64 MiB, held in memory)
DOWNLOAD_DEADLINE_S = 1800.0  # safe_download: the whole call, seconds
DOWNLOAD_MAX_BYTES = 2 << 30  # safe_download: body size cap (2 GiB, on disk)


class DownloadLimitError(OSError):
    """A URL read stopped by its deadline or size cap; ``limit`` names it (``"deadline"`` or ``"max_bytes"``)."""

    def __init__(self, message: str, limit: str) -> None:
        super().__init__(message)
        self.limit = limit


class _Watchdog:
    """Shuts down every socket of one URL read once ``deadline`` seconds have passed (blocked reads then return)."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.end = time.monotonic() + deadline
        self.expired = False
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(deadline, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def add(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._socks.append(sock)
            late = self.expired
        if late:
            self._shutdown(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            socks = list(self._socks)
        for s in socks:
            self._shutdown(s)

    @staticmethod
    def _shutdown(s: socket.socket) -> None:
        with contextlib.suppress(OSError):  # already closed
            s.shutdown(socket.SHUT_RDWR)

    def check(self) -> None:
        if self.expired or time.monotonic() > self.end:
            self.expired = True
            raise TimeoutError

    def cancel(self) -> None:
        self._timer.cancel()


def _watched_opener(watch: _Watchdog) -> urllib.request.OpenerDirector:
    """urllib's opener whose HTTP(S) connections register their sockets with ``watch`` (redirects included)."""

    class Conn(http.client.HTTPConnection):
        def connect(self) -> None:
            watch.check()
            super().connect()
            watch.add(self.sock)

    class SConn(http.client.HTTPSConnection):
        def connect(self) -> None:
            watch.check()
            super().connect()
            watch.add(self.sock)

    class Handler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(Conn, req)

    class SHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(SConn, req)

    return urllib.request.build_opener(Handler(), SHandler())


def is_url(s: object) -> bool:
    """True for ``http(s)://``, ``ftp://``, ``rtsp://`` ... strings with a host."""
    if not isinstance(s, (str, os.PathLike)):
        return False
    p = urlparse(str(s))
    return bool(p.scheme) and len(p.scheme) > 1 and bool(p.netloc)


def weights_dirs() -> list[Path]:
    """Folders named by ``NUMA_ULTRALYTICS_WEIGHTS_DIR`` (in order)."""
    env = os.environ.get("NUMA_ULTRALYTICS_WEIGHTS_DIR", "")
    return [Path(p).expanduser() for p in env.split(os.pathsep) if p.strip()]


def cache_dir() -> Path:
    """The download cache: ``NUMA_ULTRALYTICS_CACHE_DIR`` or ``~/.cache/numa_ultralytics``."""
    env = os.environ.get("NUMA_ULTRALYTICS_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "numa_ultralytics"


def is_bare_name(file: str | os.PathLike) -> bool:
    """True for a bare file name (``"yolo11n-seg.pt"``): no folder part, no separator, not an existing folder.

    Only a bare name is looked up in the weights folders, the cache and the release assets; anything else is a path.
    """
    s = os.fspath(file)
    if not s or s in (".", "..") or s.startswith("~"):
        return False
    if any(sep in s for sep in (os.sep, os.altsep, "/") if sep):
        return False
    return Path(s).name == s and not Path(s).is_dir()


def find_weights(file: str | os.PathLike) -> Path | None:
    """The local copy of ``file`` without downloading: the file itself if it exists, else (a bare name only,
    :func:`is_bare_name`) that name in the weights dirs or cache."""
    p = Path(file).expanduser()
    if p.is_file():
        return p
    if not is_bare_name(file):
        return None
    for d in [*weights_dirs(), cache_dir()]:
        q = d / p.name
        if q.is_file():
            return q
    return None


def _check_scheme(url: str) -> None:
    scheme = urlparse(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"unsupported URL scheme {scheme!r} in {url} (http and https only)")


def _check_limits(deadline: float, max_bytes: int) -> None:
    if isinstance(deadline, bool) or not isinstance(deadline, (int, float)) or not 0 < deadline < float("inf"):
        raise ValueError(f"deadline={deadline!r} is invalid; it must be a number of seconds > 0")
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ValueError(f"max_bytes={max_bytes!r} is invalid; it must be an integer >= 1")


def _read(
    url: str,
    timeout: float,
    deadline: float,
    max_bytes: int,
    what: tuple[str, str],
    sink: Callable[[bytes], None],
    on_length: Callable[[int | None], None] | None = None,
) -> tuple[int, int | None]:
    """GET ``url`` and hand the body to ``sink`` chunk by chunk, under ``deadline`` (whole call) and ``max_bytes``;
    returns (bytes read, Content-Length or None); ``on_length`` gets the Content-Length first; ``what``: the names of
    the two limits, for the messages. Errors are mapped to this module's documented exceptions."""
    _check_scheme(url)
    _check_limits(deadline, max_bytes)
    watch = _Watchdog(deadline)
    names = {"deadline": f"deadline={deadline:g}s ({what[0]})", "max_bytes": f"max_bytes={max_bytes} ({what[1]})"}
    n = 0
    try:
        req = urllib.request.Request(url, headers={"User-Agent": "numa_ultralytics"})  # noqa: S310 (http(s) checked)
        with _watched_opener(watch).open(req, timeout=min(timeout, deadline)) as r:
            expected = r.headers.get("Content-Length")
            total = int(expected) if expected is not None and expected.strip().isdigit() else None
            if total is not None and total > max_bytes:
                raise DownloadLimitError(
                    f"download of {url} refused: Content-Length {total} is over the {names['max_bytes']} cap",
                    "max_bytes",
                )
            if on_length is not None:
                on_length(total)
            while True:
                watch.check()
                chunk = r.read1(_CHUNK)  # returns what one socket read brings: a drip cannot block past the deadline
                watch.check()
                if not chunk:
                    break
                n += len(chunk)
                if n > max_bytes:
                    raise DownloadLimitError(
                        f"download of {url} stopped: more than the {names['max_bytes']} cap", "max_bytes"
                    )
                sink(chunk)
    except DownloadLimitError:
        raise
    except urllib.error.HTTPError as e:
        raise FileNotFoundError(f"could not download {url}: HTTP {e.code} {e.reason}") from e
    except Exception as e:
        if watch.expired or isinstance(e, TimeoutError) and time.monotonic() >= watch.end:
            raise DownloadLimitError(
                f"download of {url} stopped: it took longer than its {names['deadline']}; {n} bytes read", "deadline"
            ) from e
        if isinstance(e, (urllib.error.URLError, TimeoutError, ConnectionError)):
            raise FileNotFoundError(f"could not download {url}: {getattr(e, 'reason', e)}") from e
        raise OSError(f"download of {url} failed: {e!r}") from e  # http.client.IncompleteRead, socket errors
    finally:
        watch.cancel()
    return n, total


def fetch_bytes(url: str, timeout: float = 30.0, deadline: float | None = None, max_bytes: int | None = None) -> bytes:
    """Download ``url`` into memory; the length must match ``Content-Length`` when the server sends one.

    ``deadline`` (whole call, seconds) and ``max_bytes`` default to ``FETCH_DEADLINE_S`` / ``FETCH_MAX_BYTES``.

    Raises:
        FileNotFoundError: HTTP error (404 ...) or an unreachable host.
        DownloadLimitError: the deadline passed or the body is larger than ``max_bytes`` (an ``OSError``).
        OSError: a truncated transfer.
    """
    buf = bytearray()
    n, total = _read(
        url,
        timeout,
        FETCH_DEADLINE_S if deadline is None else deadline,
        FETCH_MAX_BYTES if max_bytes is None else max_bytes,
        ("FETCH_DEADLINE_S", "FETCH_MAX_BYTES"),
        buf.extend,
    )
    if total is not None and n != total:
        raise OSError(f"download of {url} is incomplete: {n} of {total} bytes")
    return bytes(buf)


def safe_download(
    url: str,
    dest: str | os.PathLike,
    timeout: float = 30.0,
    progress: bool = True,
    deadline: float | None = None,
    max_bytes: int | None = None,
) -> Path:
    """Download ``url`` to ``dest`` atomically (temporary file, size check, rename).

    ``deadline`` (whole call, seconds) and ``max_bytes`` default to ``DOWNLOAD_DEADLINE_S`` / ``DOWNLOAD_MAX_BYTES``.

    Raises:
        FileNotFoundError: HTTP error (404 ...) or an unreachable host.
        DownloadLimitError: the deadline passed or the body is larger than ``max_bytes`` (the partial data is deleted).
        OSError: a truncated transfer (the partial data is deleted).
    """
    _check_scheme(url)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        bar = ProgressBar(None, desc=f"Downloading {dest.name} ", unit="B", enabled=None)
        with os.fdopen(fd, "wb") as f, bar:
            bar.enabled = bar.enabled and progress

            def length(total: int | None) -> None:
                bar.total = total if total else None

            def write(chunk: bytes) -> None:
                f.write(chunk)
                bar.update(len(chunk))

            n, total = _read(
                url,
                timeout,
                DOWNLOAD_DEADLINE_S if deadline is None else deadline,
                DOWNLOAD_MAX_BYTES if max_bytes is None else max_bytes,
                ("DOWNLOAD_DEADLINE_S", "DOWNLOAD_MAX_BYTES"),
                write,
                length,
            )
        if total is not None and n != total:
            raise OSError(f"download of {url} is incomplete: {n} of {total} bytes")
        if n == 0:
            raise OSError(f"download of {url} is empty")
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()
    return dest


def attempt_download_asset(file: str | os.PathLike, release: str = DEFAULT_RELEASE, timeout: float = 30.0) -> Path:
    """Resolve model weights to a local file, downloading them from the Ultralytics release assets if needed.

    An existing file is returned as it is. A path (anything with a folder part or a separator, such as
    ``/tmp/x.onnx`` or ``weights/x.pt``, or naming a folder) is only ever that path: if it is missing, the error names
    it. Only a bare name (``"yolo11n-seg.pt"``, :func:`is_bare_name`) is looked up: in
    ``NUMA_ULTRALYTICS_WEIGHTS_DIR``, then the cache dir, then downloaded from ``<assets url>/<release>/<name>`` into
    the cache dir. A URL is downloaded into the cache dir under its file name (unless already there).

    Raises:
        FileNotFoundError: a missing path (the message names it), or a bare name not found and not downloadable (the
            message lists where it looked and the env variable to point at local weights).
    """
    file = str(file).strip()
    if is_url(file):  # a direct URL: download into the cache under its name
        name = Path(urlparse(file).path).name
        local = find_weights(name)
        if local is not None:
            return local
        return _download_or_explain(file, name, [cache_dir() / name], timeout)
    found = find_weights(file)
    if found is not None:
        return found
    if not is_bare_name(file):
        p = Path(file).expanduser()
        what = "is a folder, not a model file" if p.is_dir() else "no such file"
        raise FileNotFoundError(f"model weights {file!r}: {what} ({p.absolute()})")
    name = Path(file).name
    looked = [Path(file).expanduser(), *(d / name for d in weights_dirs()), cache_dir() / name]
    base = os.environ.get("NUMA_ULTRALYTICS_ASSETS_URL", ASSETS_URL).rstrip("/")
    return _download_or_explain(f"{base}/{release}/{name}", name, looked, timeout)


def _download_or_explain(url: str, name: str, looked: list[Path], timeout: float) -> Path:
    hint = (
        f"Put {name} in a folder and set NUMA_ULTRALYTICS_WEIGHTS_DIR=/that/folder, "
        f"or pass the file's full path (e.g. YOLO('/path/to/{name}'))."
    )
    where = ", ".join(str(p) for p in looked)
    if os.environ.get("NUMA_ULTRALYTICS_OFFLINE", "").lower() in ("1", "true", "yes"):
        raise FileNotFoundError(
            f"model weights {name!r} not found (looked in: {where}); downloads are off (NUMA_ULTRALYTICS_OFFLINE). "
            + hint
        )
    dest = cache_dir() / name
    if sys.stderr.isatty():
        print(f"Downloading {url} to {dest} ...", file=sys.stderr)
    try:
        return safe_download(url, dest, timeout=timeout)
    except (OSError, ValueError) as e:
        raise FileNotFoundError(f"model weights {name!r} not found (looked in: {where}) and {e}. " + hint) from e
