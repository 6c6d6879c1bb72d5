"""Finding model weights: local paths, a weights folder, the user cache, then the Ultralytics release assets.

Environment:
    NUMA_ULTRALYTICS_WEIGHTS_DIR: folder(s) holding weights (``os.pathsep``-separated), searched first.
    NUMA_ULTRALYTICS_CACHE_DIR: the download cache (default ``~/.cache/numa_ultralytics``).
    NUMA_ULTRALYTICS_ASSETS_URL: base URL of the release assets
        (default ``https://github.com/ultralytics/assets/releases/download``).
    NUMA_ULTRALYTICS_OFFLINE: ``1`` never downloads.

Downloads go to a temporary file next to the destination and are renamed into place only once complete (the byte
count must match ``Content-Length``), so an interrupted transfer never leaves a corrupt file behind.
"""

from __future__ import annotations

import os
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from numa_ultralytics.utils.progress import ProgressBar

__all__ = [
    "ASSETS_URL",
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


def _open(url: str, timeout: float):
    req = urllib.request.Request(url, headers={"User-Agent": "numa_ultralytics"})  # noqa: S310 (see below)
    return urllib.request.urlopen(req, timeout=timeout)  # noqa: S310 (http(s) only, checked by callers)


def _check_scheme(url: str) -> None:
    scheme = urlparse(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"unsupported URL scheme {scheme!r} in {url} (http and https only)")


def fetch_bytes(url: str, timeout: float = 30.0) -> bytes:
    """Download ``url`` into memory; the length must match ``Content-Length`` when the server sends one.

    Raises:
        FileNotFoundError: HTTP error (404 ...) or an unreachable host.
        OSError: a truncated transfer.
    """
    _check_scheme(url)
    try:
        with _open(url, timeout) as r:
            expected = r.headers.get("Content-Length")
            data = r.read()
    except urllib.error.HTTPError as e:
        raise FileNotFoundError(f"could not download {url}: HTTP {e.code} {e.reason}") from e
    except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
        raise FileNotFoundError(f"could not download {url}: {getattr(e, 'reason', e)}") from e
    except Exception as e:  # http.client.IncompleteRead and friends
        raise OSError(f"download of {url} failed: {e!r}") from e
    if expected is not None and len(data) != int(expected):
        raise OSError(f"download of {url} is incomplete: {len(data)} of {expected} bytes")
    return data


def safe_download(url: str, dest: str | os.PathLike, timeout: float = 30.0, progress: bool = True) -> Path:
    """Download ``url`` to ``dest`` atomically (temporary file, size check, rename).

    Raises:
        FileNotFoundError: HTTP error (404 ...) or an unreachable host.
        OSError: a truncated transfer (the partial data is deleted).
    """
    _check_scheme(url)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            try:
                with _open(url, timeout) as r:
                    expected = r.headers.get("Content-Length")
                    total = int(expected) if expected is not None else None
                    n = 0
                    with ProgressBar(total, desc=f"Downloading {dest.name} ", unit="B", enabled=None) as bar:
                        bar.enabled = bar.enabled and progress
                        while True:
                            chunk = r.read(_CHUNK)
                            if not chunk:
                                break
                            f.write(chunk)
                            n += len(chunk)
                            bar.update(len(chunk))
            except urllib.error.HTTPError as e:
                raise FileNotFoundError(f"could not download {url}: HTTP {e.code} {e.reason}") from e
            except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
                raise FileNotFoundError(f"could not download {url}: {getattr(e, 'reason', e)}") from e
            except FileNotFoundError:
                raise
            except Exception as e:  # http.client.IncompleteRead, socket errors mid-transfer
                raise OSError(f"download of {url} failed: {e!r}") from e
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
