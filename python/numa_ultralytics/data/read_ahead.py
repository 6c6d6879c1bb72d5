"""Reading an iterator ahead in a thread: the pipelined frame loop's decoding and each stream of a stream list."""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Iterator
from typing import Any

from numa_ultralytics.data.sources import STREAM_TIMEOUT_S

__all__ = ["READ_AHEAD", "ReadAhead"]

READ_AHEAD = 4  # frames a stream's (or the pipelined loop's) reader thread may hold ahead of inference


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
