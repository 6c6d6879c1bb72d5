"""Inference sources: arrays, images, videos, folders, globs, webcams, network streams, stream lists.

``load_inference_source(source)`` returns an iterator of :class:`SourceItem`, one per frame, each a BGR uint8
``HxWx3`` image with where it came from. Sources:

- a numpy array (``HxW``, ``HxWx1``, ``HxWx3``, ``HxWx4``; path ``"image0.jpg"``) or a PIL image (path: its
  ``filename``, or ``"image0.jpg"``), as 8.4.190 names them (``memory_name``);
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
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import cv2
import numpy as np

from numa_ultralytics.data.read_ahead import READ_AHEAD, ReadAhead
from numa_ultralytics.data.sources import (
    IMG_FORMATS,
    VID_FORMATS,
    SourceItem,
    _imread,
    _is_live,
    _is_stream_entry,
    _iter_image_url,
    _iter_video,
    _open_video,
    _suffix,
    to_bgr,
)
from numa_ultralytics.data.streams import LiveStream
from numa_ultralytics.utils.args import PREDICT_DEFAULTS, check_positive_int, check_seconds
from numa_ultralytics.utils.signals import stop_requested

LOGGER = logging.getLogger("numa_ultralytics")

__all__ = ["InferenceSource", "load_inference_source"]

READY_POLL_S = 0.005  # live stream lists: how long to wait before looking again when no stream has a frame ready


class InferenceSource:
    """Iterator of :class:`SourceItem` over a source (see the module doc). Create with :func:`load_inference_source`.

    Attributes:
        kind: ``"array"``, ``"image"``, ``"video"``, ``"files"`` (folder, glob, list), ``"stream"`` (one live
            source) or ``"streams"`` (a ``.txt``/``.streams`` list).
        sources: the sources in order (paths, URLs, ``"image{i}.jpg"``).
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
        self.from_list = False  # a list/tuple of images: 8.4.190 reads it as in-memory images (its log line "i: ")
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
            name = memory_name(source, 0)
            self.sources = [name]
            item = SourceItem(name, to_bgr(source, name), 0, 1, 0, None, isinstance(source, np.ndarray))
            self._iters = [iter([item])]
            return
        if isinstance(source, (list, tuple)):
            if len(source) == 0:
                raise ValueError("source is an empty list")
            if len(source) > 1 and all(_is_stream_entry(x) for x in source):  # videos / live sources: one stream each
                self._setup_streams([os.fspath(x).strip() for x in source], None)
                return
            self.kind = "files"
            self.from_list = True
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
            if len(entries) > 1 and not isinstance(it, LiveStream):  # live streams have their own reader thread
                ahead = ReadAhead(it, READ_AHEAD, name=f"numa-stream-{i}", source=e)
                self._closers.append(ahead.close)
                it = ahead
            self._iters.append(it)

    def _live(self, s: str, stream: int) -> LiveStream:
        ls = LiveStream(s, stream, self.vid_stride, self.stream_buffer, self.reconnect_timeout)
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
            raise FileNotFoundError(f"{s} does not exist")  # 8.4.190's words
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
                self.sources.append(memory_name(x, i))
                expanded.append((memory_name(x, i), x))
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
            if isinstance(it, LiveStream):
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


def memory_name(x: Any, i: int) -> str:
    """The path of in-memory image ``i`` of a source, as 8.4.190's ``LoadPilAndNumpy``: a PIL image's ``filename``
    (an image opened from a file), else ``"image{i}.jpg"``."""
    return str(getattr(x, "filename", "") or f"image{i}.jpg") if _is_pil(x) else f"image{i}.jpg"


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
