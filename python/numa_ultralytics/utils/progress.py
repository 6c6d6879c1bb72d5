"""A small dependency-free progress bar for the terminal (stderr); plain progress lines when the stream is not a TTY.

On a terminal the bar is redrawn in place. Into a log file, a container's output or CI (not a TTY), redrawing would
fill the log with carriage returns, and printing nothing leaves a long run silent for minutes: there it writes one
plain line every ``plain_interval`` seconds (default 5): ``people: 153/340 frames (45%), 29.1 FPS, elapsed 00:05,
ETA 00:06`` (no percentage or ETA when the total is unknown).
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO


def _fmt_time(s: float) -> str:
    s = max(int(s), 0)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h:d}:{m:02d}:{sec:02d}" if h else f"{m:02d}:{sec:02d}"


def _fmt_size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.1f}{unit}" if unit != "B" else f"{int(n)}B"
        n /= 1024
    return f"{n:.1f}GB"  # pragma: no cover


class ProgressBar:
    """``desc  45%|#####     | 153/340 [00:05<00:06, 29.1 frame/s]`` redrawn in place on ``file``.

    Args:
        total: number of steps when known (None: no percentage or ETA).
        desc: text before the bar.
        unit: name of a step (``"frame"``); ``"B"`` formats counts as sizes.
        file: where to draw (stderr).
        enabled: draw the bar; default: only when ``file`` is a TTY (otherwise plain lines, see ``plain_interval``).
            ``False`` is quiet.
        min_interval: seconds between redraws.
        plain_interval: seconds between plain lines when ``enabled`` is left at None and ``file`` is not a TTY.
        start: when the work began (``time.perf_counter()``; default now): a bar made once the first step is done
            passes the run's start, so its first rate is not one step over a few microseconds.
    """

    def __init__(
        self,
        total: int | None = None,
        desc: str = "",
        unit: str = "frame",
        file: TextIO | None = None,
        enabled: bool | None = None,
        min_interval: float = 0.1,
        plain_interval: float = 5.0,
        start: float | None = None,
    ) -> None:
        self.file = file if file is not None else sys.stderr
        self.plain = False  # plain lines instead of a bar
        if enabled is None:
            enabled = bool(getattr(self.file, "isatty", lambda: False)())
            self.plain = not enabled
        self.enabled = enabled
        self.plain_interval = plain_interval
        self.total = total if total and total > 0 else None
        self.desc = desc
        self.unit = unit
        self.n = 0
        self.min_interval = min_interval
        self.t0 = time.perf_counter() if start is None else start
        self._last = 0.0
        self._closed = False

    def update(self, n: int = 1) -> None:
        self.n += n
        if self.plain:
            now = time.perf_counter()
            if now - max(self._last, self.t0) >= self.plain_interval:
                self._last = now
                self._write(self.plain_line(now) + "\n")
            return
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self._last >= self.min_interval or (self.total is not None and self.n >= self.total):
            self._last = now
            self._draw(now)

    def line(self, now: float | None = None) -> str:
        """The bar as one line of text."""
        now = time.perf_counter() if now is None else now
        dt = max(now - self.t0, 1e-9)
        rate = self.n / dt
        count = (lambda v: _fmt_size(v)) if self.unit == "B" else (lambda v: str(v))
        rate_s = f"{_fmt_size(rate)}/s" if self.unit == "B" else f"{rate:.1f} {self.unit}/s"
        if self.total:
            frac = min(self.n / self.total, 1.0)
            width = 20
            filled = int(frac * width)
            bar = "#" * filled + " " * (width - filled)
            eta = (self.total - self.n) / rate if rate > 0 else 0.0
            return (
                f"{self.desc}{frac * 100:3.0f}%|{bar}| {count(self.n)}/{count(self.total)} "
                f"[{_fmt_time(dt)}<{_fmt_time(eta)}, {rate_s}]"
            )
        return f"{self.desc}{count(self.n)} [{_fmt_time(dt)}, {rate_s}]"

    def plain_line(self, now: float | None = None) -> str:
        """The non-TTY line: ``people: 153/340 frames (45%), 29.1 FPS, elapsed 00:05, ETA 00:06``."""
        now = time.perf_counter() if now is None else now
        dt = max(now - self.t0, 1e-9)
        rate = self.n / dt
        desc = f"{self.desc.strip()}: " if self.desc.strip() else ""
        rate_s = (
            f"{_fmt_size(rate)}/s"
            if self.unit == "B"
            else f"{rate:.1f} {'FPS' if self.unit == 'frame' else self.unit + '/s'}"
        )
        if self.unit == "B":
            done = f"{_fmt_size(self.n)}" + (f"/{_fmt_size(self.total)}" if self.total else "")
        else:
            done = f"{self.n}" + (f"/{self.total}" if self.total else "") + f" {self.unit}s"
        text = f"{desc}{done}"
        if self.total:
            text += f" ({min(self.n / self.total, 1.0) * 100:.0f}%)"
        text += f", {rate_s}, elapsed {_fmt_time(dt)}"
        if self.total and rate > 0:
            text += f", ETA {_fmt_time(max(self.total - self.n, 0) / rate)}"
        return text

    def _write(self, text: str) -> None:
        try:
            self.file.write(text)
            self.file.flush()
        except (OSError, ValueError):  # closed stream: stop writing
            self.enabled = self.plain = False

    def finish(self) -> None:
        """The work ended normally: what was done is the total (a video's frame count is an estimate that can be one
        or two frames more than it holds)."""
        if self.total is not None and self.n < self.total:
            self.total = self.n

    def _draw(self, now: float) -> None:
        line = self.line(now)
        width = shutil.get_terminal_size((80, 24)).columns - 1  # never wrap: a wrapped line can't be redrawn
        over = len(line) - width
        if over > 0:  # shorten the description first (val's is the table header), then the line itself
            keep = len(self.desc) - over - 1
            short = self.desc.strip()[:keep].rstrip() + " " if keep >= 10 else ""
            desc, self.desc = self.desc, short
            line = self.line(now)[:width]
            self.desc = desc
        self._write("\r" + line + "\x1b[K")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.enabled:
            self._draw(time.perf_counter())
            try:
                self.file.write("\n")
                self.file.flush()
            except (OSError, ValueError):
                pass

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
