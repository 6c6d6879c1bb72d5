"""Tracker update cost per tracker (issue 10): this package's tracker beside Ultralytics 8.4.190's, same synthetic
detections, same run. GMC is off (``gmc_method: none``) and no embedding model runs: the ReID rows feed ready-made
64-d features (what ``model: auto`` pools from the detector), so they time the appearance matching itself.

    python bench/bench_trackers.py [--repeats 5] [--frames 40]

The original runs in a subprocess with ``$NUMA_BENCH_ORIGINAL_PYTHON`` (default /tmp/ulvenv/bin/python, an
environment with ultralytics==8.4.190); without it only our column is printed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
CFG_DIR = HERE.parent / "python" / "numa_ultralytics" / "trackers" / "cfg"
TRACKERS = ["bytetrack", "botsort", "ocsort", "deepocsort", "fasttrack", "tracktrack"]
REID = ["botsort", "deepocsort", "tracktrack"]
SIZES = [20, 50]
WARMUP = 5
FEAT_DIM = 64


def sequence(n: int, frames: int, seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``frames`` frames of ``n`` objects moving at constant speed with jitter (1920x1080), ~20% low-score ones, a
    few missed per frame; and a 64-d feature per detection (fixed per object, plus noise)."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform([50, 50], [1800, 950], (n, 2))
    wh = rng.uniform([30, 60], [90, 200], (n, 2))
    v = rng.uniform(-6, 6, (n, 2))
    base = rng.standard_normal((n, FEAT_DIM)).astype(np.float32)
    dets, feats = [], []
    for f in range(frames):
        p = xy + v * f + rng.normal(0, 1.5, (n, 2))
        keep = rng.random(n) > 0.05
        score = np.where(rng.random(n) < 0.2, rng.uniform(0.12, 0.3, n), rng.uniform(0.5, 0.95, n))
        d = np.column_stack([p, p + wh, score, np.zeros(n)]).astype(np.float32)[keep]
        dets.append(d)
        feats.append((base + 0.1 * rng.standard_normal(base.shape)).astype(np.float32)[keep])
    return dets, feats


def load_cfg(name: str, reid: bool) -> dict[str, Any]:
    import yaml

    cfg = yaml.safe_load((CFG_DIR / f"{name}.yaml").read_text())
    if "gmc_method" in cfg:
        cfg["gmc_method"] = "none"
    if "with_reid" in cfg:
        cfg["with_reid"] = reid
        cfg["model"] = "auto"
    return cfg


def time_tracker(make: Any, update: Any, dets: list[np.ndarray], feats: list[np.ndarray], repeats: int) -> list[float]:
    """ms per frame over the frames after warm-up, one value per repeat (a fresh tracker each repeat)."""
    out = []
    for _ in range(repeats):
        tr = make()
        for i in range(WARMUP):
            update(tr, dets[i], feats[i])
        t0 = time.perf_counter()
        for i in range(WARMUP, len(dets)):
            update(tr, dets[i], feats[i])
        out.append((time.perf_counter() - t0) * 1e3 / (len(dets) - WARMUP))
    return out


def run_ours(cases: list[tuple[str, bool, int]], frames: int, repeats: int) -> dict[str, list[float] | None]:
    from numa_ultralytics.trackers import load_tracker_config, make_tracker

    res: dict[str, list[float] | None] = {}
    for name, reid, n in cases:
        dets, feats = sequence(n, frames)
        try:
            cfg = load_tracker_config(load_cfg(name, reid))
            make_tracker(cfg)
        except (NotImplementedError, ValueError) as e:
            print(f"ours {name} reid={reid}: {e}", file=sys.stderr)
            res[f"{name}|{reid}|{n}"] = None
            continue

        def upd(tr, d, f, reid=reid):
            return tr.update(d, None, feats=f if reid else None)

        res[f"{name}|{reid}|{n}"] = time_tracker(lambda cfg=cfg: make_tracker(cfg), upd, dets, feats, repeats)
    return res


def run_original(cases: list[tuple[str, bool, int]], frames: int, repeats: int) -> dict[str, list[float] | None]:
    from ultralytics.engine.results import Boxes
    from ultralytics.trackers.track import TRACKER_MAP
    from ultralytics.utils import IterableSimpleNamespace

    res: dict[str, list[float] | None] = {}
    for name, reid, n in cases:
        dets, feats = sequence(n, frames)
        cfg = IterableSimpleNamespace(**load_cfg(name, reid))
        boxes = [Boxes(d, (1080, 1920)) for d in dets]

        def upd(tr, b, f, reid=reid):
            return tr.update(b, None, feats=f if reid else None)

        res[f"{name}|{reid}|{n}"] = time_tracker(
            lambda cfg=cfg, name=name: TRACKER_MAP[name](args=cfg), upd, boxes, feats, repeats
        )
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--worker", choices=["original"])
    args = ap.parse_args()
    cases = [(t, False, n) for t in TRACKERS for n in SIZES] + [(t, True, n) for t in REID for n in SIZES]
    if args.worker == "original":
        print(json.dumps(run_original(cases, args.frames, args.repeats)))
        return
    sys.path.insert(0, str(HERE))
    from common import ORIGINAL_PYTHON, fmt_mmm, fmt_ratio, machine_line, table

    print(machine_line())
    orig: dict[str, Any] = {}
    if ORIGINAL_PYTHON.exists():
        p = subprocess.run(
            [
                str(ORIGINAL_PYTHON),
                __file__,
                "--worker",
                "original",
                "--repeats",
                str(args.repeats),
                "--frames",
                str(args.frames),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if p.returncode == 0:
            orig = json.loads(p.stdout.strip().splitlines()[-1])
        else:
            print(p.stderr[-2000:], file=sys.stderr)
    ours = run_ours(cases, args.frames, args.repeats)
    rows = []
    for name, reid, n in cases:
        k = f"{name}|{reid}|{n}"
        a, b = ours.get(k), orig.get(k)
        rows.append(
            [
                name + (" + ReID" if reid else ""),
                n,
                fmt_mmm(a, 4) if a else "n/a",
                fmt_mmm(b, 4) if b else "n/a",
                fmt_ratio(b, a) if a and b else "n/a",
            ]
        )
    print(
        f"\nTracker update, ms per frame (median [min..max] over {args.repeats} repeats of {args.frames - WARMUP} "
        "frames), GMC off, no embedding model\n"
    )
    print(table(["tracker", "dets", "ours", "Ultralytics 8.4.190", "original/ours"], rows))


if __name__ == "__main__":
    main()
