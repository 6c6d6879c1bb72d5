"""The stop policy for SIGINT and SIGTERM: the one place that decides what a signal does to a run.

A run (``model.predict/track(save=True/save_txt=True/...)``, the ``numa-yolo`` command line) that is sent SIGINT
(Ctrl-C) or SIGTERM (``docker stop``, systemd, Kubernetes):

1. stops reading the source (a live stream's wait for its next frame ends too, see :func:`stop_requested`);
2. finishes the frame in hand (inference, tracking, drawing, its video frame and label file);
3. closes the writers (engine/sink.py: each file is renamed from its temporary name to its final one), then says
   where the outputs are;
4. exits: the command line with status 130 (SIGINT) or 143 (SIGTERM); the Python API raises ``KeyboardInterrupt``
   (SIGINT) or ``SystemExit(143)`` (SIGTERM), so an uncaught one ends the process with the same status.

A second signal during that exits at once (``os._exit(130/143)``), without closing anything.

Work with no frame to finish (an export: ``stop_on_signals(interrupt=True)``) is stopped at once instead: the first
signal raises the stop exception in the main thread, so ``finally`` blocks remove the temporary files.

Handlers are installed only by the main thread (Python delivers signals there; a signal the process ignores, as under
``nohup``, stays ignored) and only while a run is active; the previous handlers are put back when it ends. Calls from
other threads install nothing and behave as before. Scopes nest: an inner run (``model.predict`` inside the command
line) shares the outer scope, and only the outermost one turns the stop into an exit status or exception
(:attr:`StopScope.owner`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["EXIT_CODES", "StopScope", "stop_on_signals", "stop_requested"]

SIGNALS: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)
EXIT_CODES: dict[int, int] = {int(signal.SIGINT): 130, int(signal.SIGTERM): 143}  # 128 + signal number

_active: StopScope | None = None  # the main thread's outermost scope


class StopScope:
    """A run's stop state: ``signum`` is the first signal received (None until then)."""

    def __init__(self, owner: bool, installed: bool, outer: StopScope | None = None, interrupt: bool = False) -> None:
        self.owner = owner
        self.interrupt = interrupt  # the first signal raises the stop at once (no frame to finish)
        self.installed = installed
        self._outer = outer  # an inner scope reads the outer scope's signal
        self._signum: int | None = None

    @property
    def signum(self) -> int | None:
        return self._outer.signum if self._outer is not None else self._signum

    @property
    def requested(self) -> bool:
        return self.signum is not None

    @property
    def exit_code(self) -> int:
        """130 (SIGINT) or 143 (SIGTERM); 0 when no signal came."""
        return 0 if self.signum is None else EXIT_CODES.get(self.signum, 128 + self.signum)

    @property
    def name(self) -> str:
        return "" if self.signum is None else signal.Signals(self.signum).name

    def raise_stop(self) -> None:
        """The Python API's exit: ``KeyboardInterrupt`` for SIGINT, ``SystemExit(143)`` for SIGTERM."""
        if self.signum == signal.SIGINT:
            raise KeyboardInterrupt
        if self.signum is not None:
            raise SystemExit(self.exit_code)

    def _handler(self, signum: int, frame: Any) -> None:
        if self.signum is not None:  # the second signal: exit at once
            with contextlib.suppress(Exception):
                sys.stderr.write(f"\n{signal.Signals(signum).name} again: exiting at once\n")
                sys.stderr.flush()
            os._exit(EXIT_CODES.get(signum, 128 + signum))
        self._signum = signum
        with contextlib.suppress(Exception):  # never fail inside a signal handler
            what = (
                "stopping, removing temporary files"
                if self.interrupt
                else "finishing the current frame and closing the outputs"
            )
            sys.stderr.write(f"\n{signal.Signals(signum).name} received: {what} (send it again to exit at once)\n")
            sys.stderr.flush()
        if self.interrupt:
            self.raise_stop()


def stop_requested() -> bool:
    """Whether the main thread's active run was asked to stop (for loops that wait, e.g. a live stream's reader)."""
    scope = _active
    return scope is not None and scope.requested


@contextlib.contextmanager
def stop_on_signals(install: bool = True, interrupt: bool = False) -> Iterator[StopScope]:
    """Catch SIGINT/SIGTERM for the duration of a run (see the module doc); yields its :class:`StopScope`.

    Outside the main thread nothing is installed and the scope never reports a stop. Inside an active scope the
    outer scope is shared (``owner=False``). ``install=False``: only share an active scope, never install one (a
    run without outputs keeps Python's own Ctrl-C, but still stops when the command line around it is told to).
    ``interrupt=True``: the first signal raises ``KeyboardInterrupt`` / ``SystemExit(143)`` at once (an export).
    """
    global _active
    if threading.current_thread() is not threading.main_thread():
        yield StopScope(owner=False, installed=False)
        return
    if _active is not None:
        yield StopScope(owner=False, installed=False, outer=_active)
        return
    if not install:
        yield StopScope(owner=False, installed=False)
        return
    scope = StopScope(owner=True, installed=True, interrupt=interrupt)
    previous: dict[int, Any] = {}
    try:
        for s in SIGNALS:
            if signal.getsignal(s) is signal.SIG_IGN:  # ignored on purpose (nohup, a background job): stays so
                continue
            previous[s] = signal.signal(s, scope._handler)
    except (ValueError, OSError):  # e.g. an embedded interpreter that refuses handlers: behave as before
        for s, h in previous.items():
            signal.signal(s, h)
        yield StopScope(owner=False, installed=False)
        return
    _active = scope
    try:
        yield scope
    finally:
        _active = None
        for s, h in previous.items():
            with contextlib.suppress(ValueError, OSError, TypeError):  # e.g. finalised from another thread
                signal.signal(s, h if h is not None else signal.SIG_DFL)
