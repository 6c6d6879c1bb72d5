"""Shared helpers for the bench/ scripts: paths, statistics, tables, machine description.

Scripts, not tests: they print tables and ratios; nothing here asserts anything.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NUMA_SHARED", REPO.parent / "shared"))
MODEL = SHARED / "models" / "yolo11n-seg-dynamic.onnx"
VIDEO = SHARED / "media" / "videos" / "seeed_people-walking.mp4"
ORIGINAL_PYTHON = Path(os.environ.get("NUMA_BENCH_ORIGINAL_PYTHON", "/tmp/ulvenv/bin/python"))


def cpu_model() -> str:
    """``lscpu`` model name (falls back to ``platform.processor()``)."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_line() -> str:
    """One line: CPU, core count, load average, Python and library versions."""
    import cv2
    import numpy as np
    import onnxruntime as ort

    load = os.getloadavg()
    return (
        f"CPU: {cpu_model()} x{os.cpu_count()} | load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} | "
        f"Python {platform.python_version()} | numpy {np.__version__} | opencv {cv2.__version__} | "
        f"onnxruntime {ort.__version__}"
    )


def mmm(values: Sequence[float]) -> tuple[float, float, float]:
    """(min, median, max)."""
    v = list(values)
    return min(v), statistics.median(v), max(v)


def fmt_mmm(values: Sequence[float], digits: int = 3) -> str:
    lo, med, hi = mmm(values)
    return f"{med:.{digits}f} [{lo:.{digits}f}..{hi:.{digits}f}]"


def ratio_mmm(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    """min/median/max of the per-repeat ratios a[i] / b[i]."""
    return mmm([x / y for x, y in zip(a, b) if y > 0])


def fmt_ratio(a: Sequence[float], b: Sequence[float], digits: int = 2) -> str:
    lo, med, hi = ratio_mmm(a, b)
    return f"{med:.{digits}f}x [{lo:.{digits}f}..{hi:.{digits}f}]"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A Markdown table (readable as plain text too)."""
    rows = [[str(c) for c in r] for r in rows]
    widths = [len(h) for h in headers]
    for r in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, r)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    return "\n".join([line, sep, *body])


def time_call(fn: Callable[[], Any], repeats: int, number: int = 0, budget_s: float = 0.2) -> list[float]:
    """Per-call ms of ``fn`` for ``repeats`` repeats; each repeat times ``number`` calls (auto: ~budget_s)."""
    fn()  # warm up
    if number <= 0:
        t0 = time.perf_counter()
        fn()
        dt = max(time.perf_counter() - t0, 1e-7)
        number = max(1, min(10000, int(budget_s / dt)))
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        out.append((time.perf_counter() - t0) * 1e3 / number)
    return out


def header(title: str) -> None:
    print(f"\n## {title}\n", flush=True)


def ensure_repo_on_path() -> None:
    """Let ``python bench/x.py`` import ``bench.common`` siblings and the package in the venv."""
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
