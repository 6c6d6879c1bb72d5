"""The pictures of ``numa-yolo trackeval ... tracker=all``, drawn with OpenCV: HOTA over alpha per tracker
(``hota_alpha.png``) and per-sequence HOTA bars per tracker (``hota_sequences.png``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from numa_ultralytics.utils.val_plots import BLACK, _centered, _line_chart, _text, _write

ALPHAS = np.arange(0.05, 0.99, 0.05)
# Well separated BGR colours for the bars (the label palette's third colour is nearly white).
BAR_COLORS = [(180, 119, 31), (14, 127, 255), (44, 160, 44), (40, 39, 214), (189, 103, 148), (75, 86, 140),
              (194, 119, 227), (127, 127, 127), (34, 189, 188), (207, 190, 23)]  # fmt: skip


def _bar_color(i: int) -> tuple[int, int, int]:
    return BAR_COLORS[i % len(BAR_COLORS)]


def plot_hota_alpha(results: dict[str, dict[str, Any]], save_file: Path) -> Path:
    """HOTA(alpha) of ``COMBINED_SEQ`` per tracker (``results``: tracker -> ``utils.trackeval.evaluate`` output)."""
    names = list(results)
    ys = [np.asarray(results[n]["COMBINED_SEQ"]["HOTA"]["HOTA"]) for n in names]
    labels = [f"{n} ({100 * float(np.mean(y)):.2f})" for n, y in zip(names, ys)]
    mean = np.mean(ys, 0) if ys else np.zeros_like(ALPHAS)
    img = _line_chart(ALPHAS, ys, labels, mean, "mean of trackers", "alpha", "HOTA", "HOTA over alpha (combined)")
    return _write(save_file, img)


def plot_sequence_bars(results: dict[str, dict[str, Any]], save_file: Path) -> Path:
    """Alpha-averaged HOTA per sequence (groups) and tracker (bars), with the combined group last."""
    names = list(results)
    seqs = sorted({s for r in results.values() for s in r if s != "COMBINED_SEQ"}) + ["COMBINED_SEQ"]
    W, H = max(900, 120 + len(seqs) * (len(names) * 22 + 30)), 700
    left, top, right, bottom = 80, 60, W - 220, H - 140
    img = np.full((H, W, 3), 255, np.uint8)
    for t in np.linspace(0, 1, 6):
        y = int(bottom - t * (bottom - top))
        cv2.line(img, (left, y), (right, y), (235, 235, 235), 1)
        _centered(img, f"{t:.1f}", left - 30, y, 0.5)
    group = (right - left) / max(len(seqs), 1)
    bar = max(4, int(group * 0.8 / max(len(names), 1)))
    for si, s in enumerate(seqs):
        x0 = left + si * group + group * 0.1
        for ti, n in enumerate(names):
            v = float(np.mean(results[n][s]["HOTA"]["HOTA"])) if s in results[n] else 0.0
            x = int(x0 + ti * bar)
            y = int(bottom - v * (bottom - top))
            cv2.rectangle(img, (x, y), (x + bar - 2, bottom), _bar_color(ti), -1)
        label = "COMBINED" if s == "COMBINED_SEQ" else s
        _text(img, label[:18], (int(x0), bottom + 20 + 18 * (si % 2)), 0.45)
    cv2.rectangle(img, (left, top), (right, bottom), BLACK, 1)
    _centered(img, "HOTA per sequence", (left + right) // 2, top - 30, 0.8)
    for ti, n in enumerate(names):
        y = top + 10 + 24 * ti
        cv2.rectangle(img, (right + 20, y - 8), (right + 40, y + 8), _bar_color(ti), -1)
        _text(img, n[:22], (right + 48, y + 5), 0.5)
    return _write(save_file, img)
