"""Inference sources: arrays, images, videos, folders, globs, webcams, network streams, stream lists.

``load_inference_source(source)`` returns an iterator of :class:`SourceItem`, one per frame, each a BGR uint8
``HxWx3`` image with where it came from. Sources:

- a numpy array (``HxW``, ``HxWx1``, ``HxWx3``, ``HxWx4``; path ``"image0"``) or a PIL image;
- a list/tuple of arrays, PIL images and paths (read in order);
- an image or video path, a folder (its images and videos, sorted), a glob (``"frames/*.jpg"``);
- a webcam index (``0`` or ``"0"``), an ``rtsp://``/``rtmp://``/``tcp://`` URL, an ``http(s)://`` URL without an
  image/video suffix (live streams: read by a background thread, see ``stream_buffer``);
- an ``http(s)://`` URL of an image (downloaded into memory) or of a video (read through OpenCV);
- a ``.txt`` or ``.streams`` file listing one source per line, a ``.csv`` file listing them in its cells (one row or
  many, an optional ``source`` header row; as Ultralytics reads it), or a list of two or more videos / live sources:
  line (cell, element) ``i`` becomes stream ``i``. Each stream is read ahead by its own thread (``ReadAhead``,
  ``READ_AHEAD`` frames), so a slow or dead stream never stalls the others. Frames come interleaved: one per stream
  in turn when every stream is a file (read frame by frame, never dropped; the order is fixed); with live streams,
  the next stream in turn that has a frame ready (a stream that is down or reconnecting is skipped until it has one).
  A stream that ends or is given up drops out with a log line, and the rest go on.

``vid_stride=n`` keeps every n-th video frame (like Ultralytics: frames ``n-1, 2n-1, ...``). ``stream_buffer=False``
(default) always hands out the newest frame of a live stream, dropping the ones inference could not keep up with;
``True`` queues up to 30 frames and makes the camera reader wait instead.

Live streams recover: when a live stream drops (the connection closes, the camera stops, no frame for
``STREAM_TIMEOUT_S`` seconds), its reader logs a warning and reconnects with backoff (``RECONNECT_BACKOFF``: 0.5, 1,
2, 4, 4, ... s between tries) for up to ``reconnect_timeout`` seconds (utils/args.py: default 30; 0 ends the stream
at the first drop, as before), then ends the stream with a second warning. Frames keep their order; frame numbers go
on counting after a drop, and the first frame after it carries the drop's length (``SourceItem.gap``), which
``track()`` uses to keep or reset the stream's tracker (``reset_after_drop``, engine/model.py). A source that comes
back with its very first frame again is a finite resource played anew, not a live stream: it ends there. A local file
never reconnects.

Errors are raised when the source is opened: a missing file -> ``FileNotFoundError`` naming it; a video OpenCV can't
open -> ``ValueError("could not open video ...")``; an empty list, folder or glob -> ``ValueError`` /
``FileNotFoundError``. An image that can't be decoded raises ``ValueError("could not read image ...")`` when reached.
"""

from __future__ import annotations

import contextlib
import csv
import glob as globlib
import hashlib
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, NamedTuple
from urllib.parse import urlsplit

import cv2
import numpy as np

from numa_ultralytics.utils.args import PREDICT_DEFAULTS, check_positive_int, check_seconds
from numa_ultralytics.utils.signals import stop_requested

LOGGER = logging.getLogger("numa_ultralytics")

__all__ = [
    "IMG_FORMATS",
    "READ_AHEAD",
    "ReadAhead",
    "VID_FORMATS",
    "InferenceSource",
    "SourceItem",
    "load_inference_source",
    "to_bgr",
]

IMG_FORMATS = {"avif", "bmp", "dng", "heic", "heif", "jp2", "jpeg", "jpg", "mpo", "png", "tif", "tiff", "webp", "pfm"}
VID_FORMATS = {"asf", "avi", "gif", "m4v", "mkv", "mov", "mp4", "mpeg", "mpg", "ts", "wmv", "webm"}
STREAM_PREFIXES = ("rtsp://", "rtmp://", "tcp://")
STREAM_BUFFER = 30  # frames queued per live stream with stream_buffer=True
READ_AHEAD = 4  # frames a stream's (or the pipelined loop's) reader thread may hold ahead of inference
READY_POLL_S = 0.005  # live stream lists: how long to wait before looking again when no stream has a frame ready
RECONNECT_BACKOFF = (0.5, 1.0, 2.0, 4.0)  # seconds before each reconnect try of a dropped stream (then every 4 s)
STREAM_TIMEOUT_S = 10.0  # network streams: opening or reading a frame longer than this is a drop
#: How long closing a live stream waits for its reader thread: one blocked in a stalled read (up to STREAM_TIMEOUT_S)
#: is left to end by itself and release its capture, so a stop signal exits within ~1 s whatever the stream does.
STREAM_CLOSE_WAIT_S = 0.5


class SourceItem(NamedTuple):
    """One frame of a source.

    Attributes:
        path: the file, URL or camera the frame came from (``"image{i}"`` for in-memory images).
        im0: the frame, ``HxWx3`` uint8 BGR.
        frame: 0-based index of the frame in its video or stream (with ``vid_stride`` the index in the full video);
            0 for images.
        frames: the video's frame count when known (``CAP_PROP_FRAME_COUNT``, before ``vid_stride``); 1 for images;
            None for live streams.
        stream: stream index (the line of a ``.txt`` stream list); 0 otherwise.
        fps: frames per second of a video or stream when known; None for images.
        from_memory: the source was in-memory frames only (a numpy array or a list/tuple of them): Ultralytics logs
            these as ``0: 384x640 ...`` and ``Results.source_item`` stays None for them.
        gap: seconds a live stream was down before this frame (0.0 unless it is the first frame after a drop).
    """

    path: str
    im0: np.ndarray
    frame: int
    frames: int | None
    stream: int
    fps: float | None
    from_memory: bool = False
    gap: float = 0.0


def to_bgr(im: Any, name: str = "image") -> np.ndarray:
    """``im`` as a contiguous ``HxWx3`` uint8 BGR array: the one frame converter of every source.

    Grey (``HxW``, ``HxWx1``), grey + alpha (``HxWx2``) and BGRA are converted, uint16 scaled, bool made 0/255,
    float arrays (any float dtype; Ultralytics divides them by 255 like uint8) taken as 0..255 values (rounded and
    clipped to uint8), PIL images turned upright by their EXIF orientation (as OpenCV's ``imread``) and flipped from
    RGB; a contiguous ``HxWx3`` uint8 array is returned as it is (the same object, no copy). Empty images and other
    dtypes or shapes raise ``ValueError`` naming ``name``.
    """
    if hasattr(im, "convert") and hasattr(im, "mode") and not isinstance(im, np.ndarray):  # PIL image (RGB order)
        from PIL import Image, ImageOps  # a PIL image was given: PIL is there

        im = ImageOps.exif_transpose(im)  # upright as its EXIF orientation says (as cv2.imread of the file)
        if im.mode.startswith("I;16"):  # convert() would clip 16-bit values at 255: scale them as for arrays
            im = Image.fromarray((np.asarray(im) >> 8).astype(np.uint8))
        return np.ascontiguousarray(np.asarray(im if im.mode == "RGB" else im.convert("RGB"))[..., ::-1])
    im = np.asarray(im)
    if im.size == 0 or 0 in im.shape[:2]:
        raise ValueError(f"{name}: empty image of shape {im.shape}")
    if im.dtype == np.uint16:
        im = (im >> 8).astype(np.uint8)
    elif im.dtype == np.bool_:
        im = im.astype(np.uint8) * 255
    elif im.dtype.kind == "f":
        im = np.clip(np.nan_to_num(np.rint(im), nan=0.0), 0, 255).astype(np.uint8)
    elif im.dtype != np.uint8:
        raise ValueError(f"{name}: expected a uint8 image, got dtype {im.dtype}")
    if im.ndim == 3 and im.shape[2] == 2:  # grey + alpha
        im = im[..., :1]
    if im.ndim == 2 or (im.ndim == 3 and im.shape[2] == 1):
        im = cv2.cvtColor(np.ascontiguousarray(im), cv2.COLOR_GRAY2BGR)
    elif im.ndim == 3 and im.shape[2] == 4:
        im = cv2.cvtColor(np.ascontiguousarray(im), cv2.COLOR_BGRA2BGR)
    elif not (im.ndim == 3 and im.shape[2] == 3):
        raise ValueError(f"{name}: expected an HxW, HxWx1, HxWx3 or HxWx4 image, got shape {im.shape}")
    if im.shape[0] == 0 or im.shape[1] == 0:
        raise ValueError(f"{name}: empty image of shape {im.shape}")
    return np.ascontiguousarray(im)


def _suffix(p: str) -> str:
    return urlsplit(p).path.rpartition(".")[-1].lower() if "://" in p else p.rpartition(".")[-1].lower()


def _is_live(s: str) -> bool:
    low = s.lower()
    if s.isnumeric() or low.startswith(STREAM_PREFIXES):
        return True
    return low.startswith(("http://", "https://")) and _suffix(s) not in IMG_FORMATS | VID_FORMATS


def is_live_source(path: str) -> bool:
    """Whether frames of ``path`` come from a live source (webcam index, RTSP/RTMP/HTTP stream: Ultralytics'
    ``LoadStreams``), not from a file."""
    return _is_live(str(path).strip())


def _is_stream_entry(x: Any) -> bool:
    """A list element that is a video (path or URL) or a live source: a list of two or more of them is a stream
    list."""
    if isinstance(x, (str, os.PathLike)) and not isinstance(x, bool):
        s = os.fspath(x).strip()
        return bool(s) and (_is_live(s) or _suffix(s) in VID_FORMATS)
    return False


def _imread(path: str) -> np.ndarray:
    try:
        buf = np.fromfile(path, np.uint8)  # unicode-safe on every OS
    except OSError as e:
        raise FileNotFoundError(f"could not read image {path}: {e}") from e
    im = cv2.imdecode(buf, cv2.IMREAD_COLOR) if buf.size else None
    if im is None:
        raise ValueError(f"could not read image {path} (not an image OpenCV can decode)")
    return to_bgr(im, path)


def _open_video(path: str) -> cv2.VideoCapture:
    """A video file, or a video URL (through FFmpeg with the STREAM_TIMEOUT_S open/read timeouts: a silent server
    can't hold a read longer)."""
    cap = _open_capture(path, fallback=True) if "://" in path else cv2.VideoCapture(path)
    if not cap.isOpened():
        cap.release()
        raise ValueError(f"could not open video {path}")
    return cap


def _video_meta(cap: cv2.VideoCapture) -> tuple[int | None, float | None]:
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    fps = cap.get(cv2.CAP_PROP_FPS)
    return (n if n > 0 else None), (float(fps) if fps and 0 < fps < 1000 else None)


def _iter_video(path: str, vid_stride: int, stream: int, cap: cv2.VideoCapture | None = None) -> Iterator[SourceItem]:
    cap = cap if cap is not None else _open_video(path)
    try:
        frames, fps = _video_meta(cap)
        idx = -1
        yielded = 0
        while True:
            ok = False
            for _ in range(vid_stride):
                ok = cap.grab()
                if not ok:
                    break
                idx += 1
            if not ok:
                break
            ok, im = cap.retrieve()
            if not ok or im is None:
                break
            yielded += 1
            yield SourceItem(path, to_bgr(im, path), idx, frames, stream, fps)
        if yielded == 0 and idx < 0:
            raise ValueError(f"could not open video {path} (no frame could be read)")
    finally:
        cap.release()


def _iter_image_url(url: str, stream: int) -> Iterator[SourceItem]:
    from numa_ultralytics.utils.downloads import fetch_bytes

    data = np.frombuffer(fetch_bytes(url), np.uint8)
    im = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if im is None:
        raise ValueError(f"could not read image {url} (not an image OpenCV can decode)")
    yield SourceItem(url, to_bgr(im, url), 0, 1, stream, None)


def _digest(im: np.ndarray) -> bytes:
    return hashlib.blake2b(im.tobytes(), digest_size=16).digest()


def _open_capture(source: str, fallback: bool = True) -> cv2.VideoCapture:
    """A live source's capture: a webcam index, or a URL through FFmpeg with open/read timeouts (STREAM_TIMEOUT_S);
    ``fallback``: OpenCV's other backends when this OpenCV has no FFmpeg."""
    if source.isnumeric():
        return cv2.VideoCapture(int(source))
    ms = int(STREAM_TIMEOUT_S * 1000)
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms]
    cap = cv2.VideoCapture(source, cv2.CAP_FFMPEG, params)
    if fallback and not cap.isOpened() and not cv2.videoio_registry.hasBackend(cv2.CAP_FFMPEG):  # no FFmpeg here
        cap.release()
        cap = cv2.VideoCapture(source)
    return cap


class ReadAhead:
    """Reads an iterator in a daemon thread, at most ``size`` items ahead (a bounded queue): the pipelined frame loop's
    decode-ahead and each stream of a stream list. Items, the end and any exception come out in order; ``ready()``
    says whether ``next`` would return at once. ``close()`` stops the thread (the iterator is closed by it)."""

    _END = object()

    def __init__(
        self, it: Iterator[Any], size: int = READ_AHEAD, name: str = "numa-read-ahead", source: str = ""
    ) -> None:
        self._it = it
        self.source = source
        self._q: deque[Any] = deque()
        self._size = max(1, int(size))
        self._cv = threading.Condition()
        self._running = True
        self._finished = False  # the end (or an exception) was handed out
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _put(self, x: Any) -> bool:
        with self._cv:
            while self._running and len(self._q) >= self._size:
                self._cv.wait(0.1)
            if not self._running:
                return False
            self._q.append(x)
            self._cv.notify_all()
            return True

    def _run(self) -> None:
        try:
            for x in self._it:
                if not self._put(x):
                    break
            else:
                self._put(self._END)
        except BaseException as e:  # noqa: BLE001 - handed to the consumer, raised by its next()
            self._put(e)
        finally:
            close = getattr(self._it, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):  # a generator's cleanup must not hide the real error
                    close()

    def ready(self) -> bool:
        """Whether ``next`` returns without waiting (a frame, the end or an error is queued)."""
        return bool(self._q) or not self._thread.is_alive()

    def __iter__(self) -> ReadAhead:
        return self

    def __next__(self) -> Any:
        with self._cv:
            while not self._q:
                if self._finished or not self._thread.is_alive():
                    self._finished = True
                    raise StopIteration
                self._cv.wait(0.1)
            x = self._q.popleft()
            self._cv.notify_all()
        if x is self._END:
            self._finished = True
            raise StopIteration
        if isinstance(x, BaseException):
            self._finished = True
            raise x
        return x

    def close(self) -> None:
        """Stop reading ahead: the thread finishes the item in hand and exits (it is waited for up to a read's
        timeout); queued items are dropped."""
        with self._cv:
            self._running = False
            self._q.clear()
            self._cv.notify_all()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=STREAM_TIMEOUT_S + 1)


class _LiveStream:
    """A camera or network stream read by a daemon thread (the newest frame, or a queue of up to 30); reconnects
    after a drop (see the module doc)."""

    def __init__(
        self, source: str, stream: int, vid_stride: int, buffer: bool, reconnect_timeout: float | None = None
    ) -> None:
        self.source = source
        self.stream = stream
        self.vid_stride = vid_stride
        self.buffer = buffer
        timeout = PREDICT_DEFAULTS["reconnect_timeout"] if reconnect_timeout is None else reconnect_timeout
        self.reconnect_timeout = check_seconds("reconnect_timeout", timeout)
        self.drops = 0  # how many drops were recovered
        self.cap = _open_capture(source)
        if not self.cap.isOpened():
            self.cap.release()
            raise ValueError(f"could not open stream {source}")
        frames, fps = _video_meta(self.cap)
        self.frames = frames
        self.fps = fps
        ok, im = self.cap.read()
        if not ok or im is None:
            self.cap.release()
            raise ValueError(f"could not read a frame from stream {source}")
        im = to_bgr(im, source)
        self._first = _digest(im)  # a reconnect that starts again from this frame is a replay, not a live stream
        self._q: deque[tuple[int, np.ndarray, float]] = deque([(0, im, 0.0)])
        self._gap = 0.0  # a drop's length, for the next frame queued
        self._cv = threading.Condition()
        self._running = True
        self._done = False
        self._orphaned = False  # closed while the reader was blocked in a read: the reader releases the capture
        self._thread = threading.Thread(target=self._update, name=f"numa-stream-{stream}", daemon=True)
        self._thread.start()

    def _push(self, n: int, im: np.ndarray) -> None:
        im = to_bgr(im, self.source)
        with self._cv:
            gap = self._gap
            if not self.buffer:
                for _, _, g in self._q:  # dropped frames hand their gap on
                    gap += g
                self._q.clear()
            self._gap = 0.0
            self._q.append((n, im, gap))
            self._cv.notify_all()

    def _update(self) -> None:
        n = 0
        try:
            while self._running:
                with self._cv:
                    while self.buffer and len(self._q) >= STREAM_BUFFER and self._running:
                        self._cv.wait(0.05)
                if not self._running:
                    break
                if not self.cap.grab():
                    if not self._reconnect(n):
                        break
                    n += 1
                    continue
                n += 1
                if n % self.vid_stride:
                    continue
                ok, im = self.cap.retrieve()
                if not ok or im is None:
                    if not self._reconnect(n):
                        break
                    n += 1
                    continue
                self._push(n, im)
        finally:
            with self._cv:
                self._done = True
                self._cv.notify_all()
                orphaned = self._orphaned
            if orphaned:  # close() did not wait for this read to end: the capture is this thread's to release
                self.cap.release()

    def _reconnect(self, n: int) -> bool:
        """After a drop at frame ``n``: reopen with backoff until ``reconnect_timeout``; the first frame read is queued
        as frame ``n + 1`` with the drop's length. False when the stream is given up (or stopping)."""
        if self.reconnect_timeout <= 0 or not self._running or stop_requested() or os.path.isfile(self.source):
            return False  # a local file's end is its end
        LOGGER.warning(
            f"WARNING stream {self.source} dropped after frame {n}; reconnecting for up to "
            f"{self.reconnect_timeout:g}s (reconnect_timeout)"
        )
        t0 = time.monotonic()
        self.cap.release()
        tries = 0
        while self._running and not stop_requested():
            left = self.reconnect_timeout - (time.monotonic() - t0)
            if left <= 0:
                break
            wake = time.monotonic() + min(RECONNECT_BACKOFF[min(tries, len(RECONNECT_BACKOFF) - 1)], left)
            with self._cv:  # close() wakes this wait
                while self._running and (rest := wake - time.monotonic()) > 0:
                    self._cv.wait(rest)
            if not self._running:
                return False
            tries += 1
            cap = _open_capture(self.source, fallback=False)
            ok, im = cap.read() if cap.isOpened() else (False, None)
            if ok and im is not None and _digest(to_bgr(im, self.source)) == self._first:
                cap.release()
                LOGGER.info(f"stream {self.source} started again from its first frame: a finite resource, ended")
                return False
            if ok and im is not None:
                self.cap = cap
                gap = time.monotonic() - t0
                self.drops += 1
                LOGGER.info(f"stream {self.source} reconnected after {gap:.1f}s ({tries} tries)")
                with self._cv:
                    self._gap += gap
                self._push(n + 1, im)
                return True
            cap.release()
        if self._running and not stop_requested():
            LOGGER.warning(
                f"WARNING stream {self.source} did not come back within reconnect_timeout={self.reconnect_timeout:g}s;"
                " ending it"
            )
        return False

    def __iter__(self) -> _LiveStream:
        return self

    def ready(self) -> bool:
        """Whether ``next`` returns without waiting (a frame is queued, or the stream has ended)."""
        return bool(self._q) or self._done

    def interrupt(self) -> None:
        """Stop reading (the reader thread ends after the frame in hand) and end ``next``'s wait."""
        with self._cv:
            self._running = False
            self._cv.notify_all()

    def __next__(self) -> SourceItem:
        with self._cv:
            while not self._q:
                if self._done or not self._running or stop_requested():  # a stop signal ends the wait
                    self.close()
                    raise StopIteration
                self._cv.wait(0.1)
            n, im, gap = self._q.popleft()
            self._cv.notify_all()
        return SourceItem(self.source, im, n, self.frames, self.stream, self.fps, False, gap)

    def close(self) -> None:
        """Stop the reader; a reader blocked in a stalled read is waited for ``STREAM_CLOSE_WAIT_S`` only, then left to
        release the capture itself when its read times out (a capture is never released under a running read)."""
        self._running = False
        with self._cv:
            self._cv.notify_all()
        if threading.current_thread() is self._thread:  # the reader itself: no read is running
            self.cap.release()
            return
        if self._thread.is_alive():
            self._thread.join(timeout=STREAM_CLOSE_WAIT_S)
        with self._cv:
            if not self._done and self._thread.is_alive():
                self._orphaned = True
                return
        self.cap.release()


class InferenceSource:
    """Iterator of :class:`SourceItem` over a source (see the module doc). Create with :func:`load_inference_source`.

    Attributes:
        kind: ``"array"``, ``"image"``, ``"video"``, ``"files"`` (folder, glob, list), ``"stream"`` (one live
            source) or ``"streams"`` (a ``.txt``/``.streams`` list).
        sources: the sources in order (paths, URLs, ``"image{i}"``).
        num_streams: how many streams frames are tagged with (``SourceItem.stream`` < ``num_streams``).
        is_live: whether any source is a live stream (frames may be dropped unless ``stream_buffer``).
    """

    def __init__(
        self, source: Any, vid_stride: int = 1, stream_buffer: bool = False, reconnect_timeout: float | None = None
    ) -> None:
        self.vid_stride = int(check_positive_int("vid_stride", vid_stride))
        timeout = PREDICT_DEFAULTS["reconnect_timeout"] if reconnect_timeout is None else reconnect_timeout
        self.reconnect_timeout = check_seconds("reconnect_timeout", timeout)
        self.kind = "files"
        self.stream_buffer = bool(stream_buffer)
        self.is_live = False
        self.num_streams = 1
        self._closers: list[Callable[[], None]] = []
        self._iters: list[Iterator[SourceItem]] = []
        self._ready_order = False  # streams: take the next stream with a frame ready (live streams in the list)
        self.sources: list[str] = []
        try:
            self._setup(source)
        except BaseException:
            self.close()
            raise
        self._pos = 0

    @property
    def bs(self) -> int:
        """Ultralytics' ``dataset.bs``: how many frames a step of the loop holds at most per stream set (the number of
        streams of a stream list, else 1)."""
        return self.num_streams

    @property
    def mode(self) -> str:
        """Ultralytics' ``dataset.mode``: ``"stream"`` (live sources), ``"video"`` or ``"image"``."""
        return "stream" if self.is_live else "video" if self.kind in ("video", "streams") else "image"

    # -- building -------------------------------------------------------------------------------------------------
    def _setup(self, source: Any) -> None:
        if source is None:
            raise ValueError("source is required (an image, video, folder, glob, URL, webcam index or array)")
        if isinstance(source, np.ndarray) or _is_pil(source):
            self.kind = "array"
            self.sources = ["image0"]
            item = SourceItem("image0", to_bgr(source, "image0"), 0, 1, 0, None, isinstance(source, np.ndarray))
            self._iters = [iter([item])]
            return
        if isinstance(source, (list, tuple)):
            if len(source) == 0:
                raise ValueError("source is an empty list")
            if len(source) > 1 and all(_is_stream_entry(x) for x in source):  # videos / live sources: one stream each
                self._setup_streams([os.fspath(x).strip() for x in source], None)
                return
            self.kind = "files"
            from_memory = all(isinstance(x, np.ndarray) for x in source)
            self._iters = [self._iter_list(self._check_list(list(source)), from_memory)]
            return
        if isinstance(source, (bool, float)) or not isinstance(source, (str, int, np.integer, os.PathLike)):
            raise TypeError(
                f"unsupported source type {type(source).__name__}: use a path, URL, webcam index, numpy array or list"
            )
        s = str(int(source)) if isinstance(source, (int, np.integer)) else os.fspath(source).strip()
        if not s:
            raise ValueError("source is an empty string")
        low = s.lower()
        if low.endswith((".txt", ".streams", ".csv")) and "://" not in s:
            self._setup_stream_list(s)
            return
        if _is_live(s):
            self.kind = "stream"
            self.is_live = True
            self.sources = [s]
            self._iters = [self._live(s, 0)]
            return
        if low.startswith(("http://", "https://")):
            self.sources = [s]
            if _suffix(s) in IMG_FORMATS:
                self.kind = "image"
                self._iters = [_iter_image_url(s, 0)]
            else:
                self.kind = "video"
                cap = _open_video(s)
                self._closers.append(cap.release)
                self._iters = [_iter_video(s, self.vid_stride, 0, cap)]
            return
        files = self._expand(s)
        self.sources = files
        if len(files) == 1 and not (any(c in s for c in "*?[") or os.path.isdir(s)):
            self.kind = "video" if _suffix(files[0]) in VID_FORMATS else "image"
        else:
            self.kind = "files"
        self._iters = [self._iter_files(files, 0)]

    def _setup_stream_list(self, s: str) -> None:
        p = Path(s)
        if not p.is_file():
            raise FileNotFoundError(f"stream list not found: {s}")
        text = p.read_text(encoding="utf-8-sig")
        if p.suffix.lower() == ".csv":  # Ultralytics: every cell of every row, after an optional "source" header
            rows = list(csv.reader(text.splitlines()))
            lines = [c.strip() for row in (rows[1:] if rows[:1] == [["source"]] else rows) for c in row]
        else:
            lines = [ln.strip() for ln in text.splitlines()]
        entries = [ln for ln in lines if ln and not ln.startswith("#")]
        if not entries:
            raise ValueError(f"no streams listed in {s}")
        self._setup_streams(entries, p.parent)

    def _setup_streams(self, entries: list[str], base: Path | None) -> None:
        """Stream ``i`` for each entry (a live source, a video URL, a path relative to ``base``), each read ahead by
        its own thread."""
        self.kind = "streams"
        self.num_streams = len(entries)
        self.sources = entries
        self._ready_order = False
        for i, e in enumerate(entries):
            it: Iterator[SourceItem]
            if _is_live(e):
                self.is_live = True
                self._ready_order = True
                it = self._live(e, i)
            elif e.lower().startswith(("http://", "https://")):
                if _suffix(e) in IMG_FORMATS:
                    it = _iter_image_url(e, i)
                else:
                    cap = _open_video(e)
                    self._closers.append(cap.release)
                    it = _iter_video(e, self.vid_stride, i, cap)
            else:
                if base is not None and not os.path.isabs(e) and not os.path.exists(e):  # relative to the list file
                    e = str(base / e)
                it = self._iter_files(self._expand(e), i)
            if len(entries) > 1 and not isinstance(it, _LiveStream):  # live streams have their own reader thread
                ahead = ReadAhead(it, READ_AHEAD, name=f"numa-stream-{i}", source=e)
                self._closers.append(ahead.close)
                it = ahead
            self._iters.append(it)

    def _live(self, s: str, stream: int) -> _LiveStream:
        ls = _LiveStream(s, stream, self.vid_stride, self.stream_buffer, self.reconnect_timeout)
        self._closers.append(ls.close)
        return ls

    def _expand(self, s: str) -> list[str]:
        """A path, folder or glob -> its image/video files (checked to exist; videos checked to open)."""
        s = os.path.expanduser(s)
        if any(c in s for c in "*?["):
            files = sorted(globlib.glob(s, recursive=True))
            files = [f for f in files if os.path.isfile(f)]
            if not files:
                raise FileNotFoundError(f"no files match {s}")
            media = [f for f in files if _suffix(f) in IMG_FORMATS | VID_FORMATS]
            files = media or files
        elif os.path.isdir(s):
            files = sorted(
                os.path.join(s, f) for f in os.listdir(s) if _suffix(f) in IMG_FORMATS | VID_FORMATS and "." in f
            )
            if not files:
                raise ValueError(
                    f"no images or videos in folder {s} (image suffixes: {sorted(IMG_FORMATS)}; "
                    f"video suffixes: {sorted(VID_FORMATS)})"
                )
        elif os.path.isfile(s):
            files = [s]
        else:
            raise FileNotFoundError(f"source not found: {s}")
        for f in files:
            if _suffix(f) in VID_FORMATS:
                _open_video(f).release()  # fail now, not halfway through
        return files

    # -- iterating ------------------------------------------------------------------------------------------------
    def _iter_files(self, files: list[str], stream: int) -> Iterator[SourceItem]:
        for f in files:
            if _suffix(f) in VID_FORMATS:
                yield from _iter_video(f, self.vid_stride, stream)
            elif _suffix(f) in IMG_FORMATS:
                yield SourceItem(f, _imread(f), 0, 1, stream, None)
            else:  # unknown suffix: an image if OpenCV decodes it, else a video if it opens, else an error
                try:
                    im = _imread(f)
                except ValueError:
                    cap = cv2.VideoCapture(f)
                    if not cap.isOpened():
                        cap.release()
                        raise ValueError(f"could not read {f}: neither an image nor a video OpenCV can open") from None
                    yield from _iter_video(f, self.vid_stride, stream, cap)
                else:
                    yield SourceItem(f, im, 0, 1, stream, None)

    def _check_list(self, items: list[Any]) -> list[tuple[str, Any]]:
        """Expand and check a list's elements up front, so that a missing file fails at once."""
        expanded: list[tuple[str, Any]] = []
        for i, x in enumerate(items):
            if isinstance(x, np.ndarray) or _is_pil(x):
                self.sources.append(f"image{i}")
                expanded.append((f"image{i}", x))
            elif isinstance(x, (str, os.PathLike)):
                s = os.fspath(x)
                if s.lower().startswith(("http://", "https://")) and _suffix(s) in IMG_FORMATS:
                    self.sources.append(s)
                    expanded.append(("url", s))
                else:
                    files = self._expand(s)
                    self.sources.extend(files)
                    expanded.extend(("file", f) for f in files)
            else:
                raise TypeError(f"unsupported list element {i} of type {type(x).__name__}")
        return expanded

    def _iter_list(self, expanded: list[tuple[str, Any]], from_memory: bool = False) -> Iterator[SourceItem]:
        for tag, x in expanded:
            if tag == "file":
                yield from self._iter_files([x], 0)
            elif tag == "url":
                yield from _iter_image_url(x, 0)
            else:
                yield SourceItem(tag, to_bgr(x, tag), 0, 1, 0, None, from_memory)

    def __iter__(self) -> InferenceSource:
        return self

    def __next__(self) -> SourceItem:
        """The next frame: streams take turns (stream 0, 1, ..., 0, ...); a finished stream drops out. With live
        streams in a list, a stream without a frame ready is skipped this turn (it never stalls the others)."""
        while self._iters:
            self._pos %= len(self._iters)
            if self._ready_order and len(self._iters) > 1:
                ready = self._next_ready()
                if ready is None:
                    if stop_requested():
                        self.close()
                        raise StopIteration
                    time.sleep(READY_POLL_S)
                    continue
                self._pos = ready
            it = self._iters[self._pos]
            try:
                item = next(it)
            except StopIteration:
                if self.kind == "streams" and self.num_streams > 1:
                    LOGGER.debug(f"stream {getattr(it, 'source', self._pos)} ended; {len(self._iters) - 1} left")
                del self._iters[self._pos]
                continue
            except (ValueError, OSError, cv2.error) as e:
                if not (self.kind == "streams" and self.num_streams > 1):
                    self.close()
                    raise
                # one stream of a list that fails (opens but yields no frame, a read error): dropped with a warning,
                # as a dead live stream; the others go on (their outputs stay complete)
                LOGGER.warning(
                    f"WARNING stream {getattr(it, 'source', self._pos)} dropped: {str(e)[:300]}; "
                    f"{len(self._iters) - 1} stream(s) left"
                )
                with contextlib.suppress(Exception):
                    getattr(it, "close", lambda: None)()
                del self._iters[self._pos]
                continue
            except BaseException:
                self.close()
                raise
            self._pos += 1
            return item
        self.close()
        raise StopIteration

    def interrupt(self) -> None:
        """Make live streams stop waiting for frames (from any thread; ``close`` then releases them): a reader thread
        blocked in ``next`` returns at once."""
        for it in list(self._iters):
            if isinstance(it, _LiveStream):
                it.interrupt()

    def _next_ready(self) -> int | None:
        """The first stream from ``_pos`` on (in turn) whose ``next`` would not wait; None when none is."""
        n = len(self._iters)
        for k in range(n):
            i = (self._pos + k) % n
            ready = getattr(self._iters[i], "ready", None)
            if ready is None or ready():
                return i
        return None

    def close(self) -> None:
        """Stop stream threads and release captures (also done when iteration ends)."""
        for it in self._iters:
            if hasattr(it, "close"):
                with contextlib.suppress(Exception):  # best effort, like the closers below
                    it.close()  # generators release their captures
        self._iters = []
        for c in self._closers:
            with contextlib.suppress(Exception):  # best effort cleanup: a release must not hide the real error
                c()
        self._closers = []

    def __enter__(self) -> InferenceSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter shutdown: modules may be gone
            self.close()

    def __repr__(self) -> str:
        return (
            f"InferenceSource(kind={self.kind!r}, sources={self.sources[:3]!r}{'...' if len(self.sources) > 3 else ''})"
        )


def _is_pil(x: Any) -> bool:
    return type(x).__module__.startswith("PIL.") and hasattr(x, "convert")


def load_inference_source(
    source: Any, vid_stride: int = 1, stream_buffer: bool = False, reconnect_timeout: float | None = None
) -> InferenceSource:
    """Open ``source`` for inference: an iterator of :class:`SourceItem`, one per frame (see the module doc).

    An :class:`InferenceSource` is returned as it is (its own ``vid_stride``/``stream_buffer``/``reconnect_timeout``
    apply). ``reconnect_timeout`` None: utils/args.py's default.
    """
    if isinstance(source, InferenceSource):
        return source
    return InferenceSource(
        source, vid_stride=vid_stride, stream_buffer=stream_buffer, reconnect_timeout=reconnect_timeout
    )
