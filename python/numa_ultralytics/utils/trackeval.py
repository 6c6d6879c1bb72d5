"""Tracking evaluation equal to TrackEval 1.3.0: HOTA, CLEAR, Identity (and Count) of MOTChallenge 2D box files.

``evaluate(data, res)`` scores ``res/<seq>.txt`` against ``data/<seq>/gt/gt.txt`` (``data/<seq>/seqinfo.ini`` gives
``seqLength``) with the rules of ``benchmark`` (MOT17/MOT16/MOT20 preprocessing: distractor classes, zero-flagged rows;
none for MOT15), or MOTS masks (``masks=True``: RLE lines, ignore regions). The metrics are computed by
``_core.trackeval_mot`` (rust/src/trackeval/); this module finds the files, turns a bad line into ``TrackEvalError``
naming the file and line, averages HOTA over its 19 alphas (``summary``) and prints TrackEval's tables
(``format_tables``).
"""

from __future__ import annotations

import configparser
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from numa_ultralytics import _core

__all__ = [
    "BENCHMARKS",
    "COMBINED",
    "TrackEvalError",
    "evaluate",
    "find_sequences",
    "format_tables",
    "save_json",
    "summary",
]

BENCHMARKS = ("MOT15", "MOT16", "MOT17", "MOT20")
COMBINED = "COMBINED_SEQ"
METRICS = ("HOTA", "CLEAR", "Identity", "Count")
# TrackEval's printed columns (``summary_fields``), in its order.
TABLE_FIELDS = {
    "HOTA": ("HOTA", "DetA", "AssA", "DetRe", "DetPr", "AssRe", "AssPr", "LocA", "OWTA", "HOTA(0)", "LocA(0)",
             "HOTALocA(0)"),
    "CLEAR": ("MOTA", "MOTP", "MODA", "CLR_Re", "CLR_Pr", "MTR", "PTR", "MLR", "sMOTA", "CLR_TP", "CLR_FN", "CLR_FP",
              "IDSW", "MT", "PT", "ML", "Frag"),
    "Identity": ("IDF1", "IDR", "IDP", "IDTP", "IDFN", "IDFP"),
    "Count": ("Dets", "GT_Dets", "IDs", "GT_IDs"),
}  # fmt: skip


class TrackEvalError(ValueError):
    """A missing or unreadable ground-truth / result file; the message names the file (and line)."""


def find_sequences(data: str | os.PathLike[str]) -> dict[str, tuple[Path, int]]:
    """``{seq: (folder, seqLength)}`` of the folders of ``data`` that hold ``gt/gt.txt`` (sorted by name).

    ``data`` may also be a benchmark folder whose ``train/`` holds them (``MOT17/`` -> ``MOT17/train/``).
    """
    root = Path(data)
    if not root.is_dir():
        raise TrackEvalError(f"data={root}: not a folder (expected <seq>/gt/gt.txt and <seq>/seqinfo.ini)")
    seqs = sorted(p for p in root.iterdir() if (p / "gt" / "gt.txt").is_file())
    if not seqs and (root / "train").is_dir():
        seqs = sorted(p for p in (root / "train").iterdir() if (p / "gt" / "gt.txt").is_file())
    if not seqs:
        raise TrackEvalError(f"data={root}: no sequence folders with gt/gt.txt")
    out = {}
    for p in seqs:
        ini = p / "seqinfo.ini"
        if not ini.is_file():
            raise TrackEvalError(f"{ini}: missing (the sequence length, seqLength, is read from it)")
        cp = configparser.ConfigParser()
        try:
            cp.read(ini, encoding="utf-8")
            n = int(cp["Sequence"]["seqLength"])
        except (KeyError, ValueError, configparser.Error) as e:
            raise TrackEvalError(f"{ini}: no integer [Sequence] seqLength ({type(e).__name__}: {e})") from None
        if n < 0:
            raise TrackEvalError(f"{ini}: seqLength {n} is negative")
        out[p.name] = (p, n)
    return out


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TrackEvalError(f"{path}: missing") from None
    except (OSError, UnicodeDecodeError) as e:
        raise TrackEvalError(f"{path}: cannot be read ({type(e).__name__}: {e})") from None


def evaluate(
    data: str | os.PathLike[str],
    res: str | os.PathLike[str],
    benchmark: str = "MOT17",
    do_preproc: bool = True,
    sequences: list[str] | None = None,
    threads: int | None = None,
    masks: bool = False,
) -> dict[str, dict[str, dict[str, Any]]]:
    """Score ``res/<seq>.txt`` against the ground truth of every sequence in ``data`` (or of ``sequences``).

    ``masks=True`` scores MOTS files (``frame id class h w rle`` lines, pedestrians = class 2, ignore regions = class
    10) by mask IoU as TrackEval's MOTSChallenge (``benchmark="MOTS"`` is the same); ``benchmark`` then does not apply.

    Returns ``{seq | "COMBINED_SEQ": {"HOTA" | "CLEAR" | "Identity" | "Count": {field: value}}}`` with TrackEval's field
    names; HOTA's array fields are lists over the alphas 0.05..0.95 (``summary`` averages them). Raises
    ``TrackEvalError`` naming the file (and line) for a missing or unreadable file.
    """
    bench = str(benchmark).upper()
    if bench == "MOTS":  # the MOTS benchmark: masks
        bench, masks = "MOT17", True
    if bench not in BENCHMARKS:
        raise TrackEvalError(f"benchmark={benchmark}: expected one of {', '.join(BENCHMARKS)} or MOTS")
    found = find_sequences(data)
    if sequences is not None:
        missing = [s for s in sequences if s not in found]
        if missing:
            raise TrackEvalError(f"data={data}: no sequence {', '.join(missing)}")
        found = {s: found[s] for s in sequences}
    res_dir = Path(res)
    if not res_dir.is_dir():
        raise TrackEvalError(f"res={res_dir}: not a folder (expected <seq>.txt result files)")
    inputs = []
    paths = {}
    for seq, (folder, n) in found.items():
        gt_path, res_path = folder / "gt" / "gt.txt", res_dir / f"{seq}.txt"
        paths[seq] = {"gt": gt_path, "res": res_path}
        inputs.append((seq, _read(gt_path), _read(res_path), n))
    threads = threads or min(len(inputs), os.cpu_count() or 1)
    try:
        return _core.trackeval_mot(inputs, bench, do_preproc, threads, masks)
    except ValueError as e:
        if len(e.args) == 4:
            msg, seq, which, line = e.args
            where = paths[seq][which] if which in ("gt", "res") else f"{paths[seq]['gt']} / {paths[seq]['res']}"
            raise TrackEvalError(f"{where}:{line}: {msg.split(': ', 1)[-1]}" if line else f"{where}: {msg}") from None
        raise


def _mean(v: Any) -> Any:
    return float(np.mean(v)) if isinstance(v, list) else v


def summary(results: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """``{"sequences": {seq | "COMBINED_SEQ": {metric: {field: value}}}}`` with HOTA's arrays averaged over alphas."""
    return {
        "sequences": {
            seq: {m: {k: _mean(v) for k, v in fields.items()} for m, fields in per.items()}
            for seq, per in results.items()
        }
    }


def save_json(results: dict[str, dict[str, dict[str, Any]]], path: str | os.PathLike[str]) -> Path:
    """Write ``summary(results)`` as JSON to ``path`` (folders created); returns the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(summary(results), indent=2) + "\n", encoding="utf-8")
    return p


def _cell(metric: str, field: str, v: Any) -> str:
    if metric == "Count" or field in TABLE_FIELDS["CLEAR"][9:] or field in ("IDTP", "IDFN", "IDFP"):
        return str(int(v))
    return f"{100 * _mean(v):1.5g}"


def format_tables(results: dict[str, dict[str, dict[str, Any]]], name: str = "tracker") -> str:
    """TrackEval's printed tables: per metric, one row per sequence (sorted) and ``COMBINED`` last."""
    out = []
    seqs = sorted(s for s in results if s != COMBINED)
    for metric, fields in TABLE_FIELDS.items():
        out.append("")
        out.append(f"{metric + ': ' + name + '-pedestrian':<35}" + "".join(f"{f:<10}" for f in fields))
        for seq in [*seqs, COMBINED]:
            row = results[seq][metric]
            label = "COMBINED" if seq == COMBINED else seq
            out.append(f"{label:<35}" + "".join(f"{_cell(metric, f, row[f]):<10}" for f in fields))
    return "\n".join(out) + "\n"
