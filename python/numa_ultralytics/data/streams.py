"""Live streams (a webcam, an RTSP/RTMP/TCP/HTTP stream): read by a thread, recovered after a drop.

:class:`LiveStream` hands out the newest frame (``buffer=False``) or queues up to :data:`STREAM_BUFFER` frames and
makes the reader wait (``buffer=True``). When the stream drops (the connection closes, the camera stops, no frame for
:data:`~numa_ultralytics.data.sources.STREAM_TIMEOUT_S` seconds), its reader logs a warning and reconnects with backoff
(:data:`RECONNECT_BACKOFF`) for up to ``reconnect_timeout`` seconds (checked by the caller: utils/args.py's default
and check), then ends the stream with a second warning. Frame numbers go on counting after a drop, and the first
frame after it carries the drop's length (``SourceItem.gap``). A source that comes back with its very first frame
again is a finite resource played anew: it ends there. A local file never reconnects. ``close`` waits
:data:`STREAM_CLOSE_WAIT_S` for a reader blocked in a stalled read, which then releases its capture itself.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import deque

import numpy as np

from numa_ultralytics.data.sources import SourceItem, _open_capture, _video_meta, to_bgr
from numa_ultralytics.utils.signals import stop_requested

LOGGER = logging.getLogger("numa_ultralytics")

__all__ = ["RECONNECT_BACKOFF", "STREAM_BUFFER", "STREAM_CLOSE_WAIT_S", "LiveStream"]

STREAM_BUFFER = 30  # frames queued per live stream with stream_buffer=True
RECONNECT_BACKOFF = (0.5, 1.0, 2.0, 4.0)  # seconds before each reconnect try of a dropped stream (then every 4 s)
#: How long closing a live stream waits for its reader thread: one blocked in a stalled read (up to STREAM_TIMEOUT_S)
#: is left to end by itself and release its capture, so a stop signal exits within ~1 s whatever the stream does.
STREAM_CLOSE_WAIT_S = 0.5


def _digest(im: np.ndarray) -> bytes:
    return hashlib.blake2b(im.tobytes(), digest_size=16).digest()


class LiveStream:
    """A camera or network stream read by a daemon thread (the newest frame, or a queue of up to 30); reconnects
    after a drop (see the module doc)."""

    def __init__(self, source: str, stream: int, vid_stride: int, buffer: bool, reconnect_timeout: float) -> None:
        """``reconnect_timeout``: seconds, already checked (``InferenceSource`` applies utils/args.py's default and
        check)."""
        self.source = source
        self.stream = stream
        self.vid_stride = vid_stride
        self.buffer = buffer
        self.reconnect_timeout = float(reconnect_timeout)
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

    def __iter__(self) -> LiveStream:
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
