"""Track MOTChallenge sequences with a model and score the results (``numa-yolo trackeval data=... model=...``).

``track_sequences`` runs ``model.track`` over each sequence's ``img1/`` frames as one video (a fresh tracker per
sequence, ``persist=True`` within it; persons only, ``classes=[0]``) and writes ``<seq>.txt`` in MOTChallenge
format (``frame,id,x,y,w,h,conf,-1,-1,-1``; the frame is the image's number, ``000001.jpg`` -> 1).
``evaluate_trackers`` does that for one tracker or all shipped ones (``tracker="all"``), scores each with
utils/trackeval.py and writes ``results.json`` (alpha-averaged), ``results.txt`` (TrackEval's tables) and, for several
trackers, ``trackers.txt`` (one line per tracker) and the pictures of utils/trackeval_plots.py into the run folder
``runs/trackeval/exp`` (``exp-2``, ... by utils/files.py ``increment_path``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from numa_ultralytics.engine.model import YOLO
from numa_ultralytics.trackers.config import SHIPPED_TRACKERS
from numa_ultralytics.utils import trackeval as te
from numa_ultralytics.utils.files import increment_path

__all__ = ["evaluate_trackers", "track_sequences"]

PERSON = 0  # COCO's person class: MOTChallenge scores pedestrians


def _frame_number(path: str, index: int) -> int:
    stem = Path(path).stem
    return int(stem) if stem.isdigit() else index + 1


def track_sequences(
    data: str | os.PathLike[str], model: YOLO, tracker: str, out_dir: Path, masks: bool = False, **track_kw: Any
) -> dict[str, Path]:
    """``out_dir/<seq>.txt`` for every sequence of ``data`` tracked with ``tracker`` (MOTS lines with ``masks``);
    returns ``{seq: file}``."""
    from numa_ultralytics.engine.mots import mots_lines

    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for seq, (folder, _) in te.find_sequences(data).items():
        img1 = folder / "img1"
        if not img1.is_dir():
            raise te.TrackEvalError(f"{img1}: missing (the frames to track)")
        lines: list[str] = []
        kw = {"classes": [PERSON], "verbose": False, **track_kw}
        # One tracker over the sequence's frames: persist=True (without it every new image path resets the tracker,
        # as in Ultralytics), and a fresh tracker per sequence.
        model.reset_tracker()
        for i, r in enumerate(model.track(str(img1), stream=True, persist=True, tracker=tracker, **kw)):
            b = r.boxes
            if b is None or b.id is None or len(b.id) == 0:
                continue
            frame = _frame_number(r.path, i)
            if masks:
                lines.extend(s.rstrip("\n") for s in mots_lines(frame, r))
                continue
            xyxy = np.asarray(b.xyxy, np.float64)
            for (x1, y1, x2, y2), tid, conf in zip(xyxy, np.asarray(b.id), np.asarray(b.conf)):
                lines.append(
                    f"{frame},{int(tid)},{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},{float(conf):.4f},-1,-1,-1"
                )
        path = out_dir / f"{seq}.txt"
        path.write_text("".join(s + "\n" for s in lines), encoding="utf-8")
        written[seq] = path
    return written


def evaluate_trackers(
    data: str | os.PathLike[str],
    model: str | os.PathLike[str] | YOLO,
    tracker: str = "botsort.yaml",
    benchmark: str = "MOT17",
    masks: bool = False,
    project: str | os.PathLike[str] | None = None,
    name: str | None = None,
    exist_ok: bool = False,
    verbose: bool = True,
    **track_kw: Any,
) -> dict[str, dict[str, dict[str, dict[str, Any]]]]:
    """Track every sequence of ``data`` with ``tracker`` (a shipped name, a YAML path, or ``"all"``) and score it.

    ``masks=True``: the ground truth is MOTS (masks, ``frame id class h w rle``) and the tracks are written and scored
    as MOTS lines (engine/mots.py). Returns ``{tracker: utils.trackeval.evaluate output}``; the run folder is
    ``<project>/<name>`` (``runs/trackeval/exp`` by default, a free name like ``exp2`` unless ``exist_ok``).
    """
    trackers = list(SHIPPED_TRACKERS) if tracker == "all" else [tracker]
    te.find_sequences(data)  # a bad data= fails before any tracking
    yolo = model if isinstance(model, YOLO) else YOLO(model)
    save_dir = increment_path(Path(project or "runs/trackeval") / (name or "exp"), exist_ok=exist_ok)
    out: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
    tables = []
    for t in trackers:
        label = Path(t).stem
        res_dir = save_dir / label
        track_sequences(data, yolo, t, res_dir, masks=masks, **track_kw)
        out[label] = te.evaluate(data, res_dir, benchmark=benchmark, masks=masks)
        tables.append(te.format_tables(out[label], label))
        if verbose:
            print(tables[-1])
    (save_dir / "results.json").write_text(
        json.dumps({k: te.summary(v) for k, v in out.items()}, indent=2) + "\n", encoding="utf-8"
    )
    (save_dir / "results.txt").write_text("".join(tables), encoding="utf-8")
    if len(out) > 1:
        from numa_ultralytics.utils.trackeval_plots import plot_hota_alpha, plot_sequence_bars

        text = compare_table(out)
        (save_dir / "trackers.txt").write_text(text, encoding="utf-8")
        if verbose:
            print(text)
        plot_hota_alpha(out, save_dir / "hota_alpha.png")
        plot_sequence_bars(out, save_dir / "hota_sequences.png")
    if verbose:
        print(f"Results saved to {save_dir}")
    return out


COMPARE_FIELDS = (("HOTA", "HOTA"), ("HOTA", "DetA"), ("HOTA", "AssA"), ("CLEAR", "MOTA"), ("Identity", "IDF1"),
                  ("CLEAR", "IDSW"), ("CLEAR", "Frag"))  # fmt: skip


def compare_table(results: dict[str, dict[str, dict[str, dict[str, Any]]]]) -> str:
    """One line per tracker with the combined HOTA, DetA, AssA, MOTA, IDF1 (percent), IDSW and Frag."""
    head = f"{'tracker':<20}" + "".join(f"{f:>9}" for _, f in COMPARE_FIELDS)
    rows = [head]
    for t, r in results.items():
        c = r[te.COMBINED]
        cells = []
        for m, f in COMPARE_FIELDS:
            v = c[m][f]
            cells.append(f"{int(v):>9d}" if f in ("IDSW", "Frag") else f"{100 * float(np.mean(v)):>9.2f}")
        rows.append(f"{t:<20}" + "".join(cells))
    return "\n".join(rows) + "\n"
