"""Tracking evaluation speed (issue 25): this package's ``utils.trackeval.evaluate`` beside TrackEval 1.3.0 on the
same files, same run: 10 synthetic sequences x 600 frames x 25 objects (id switches, misses, false positives,
jitter), MOT17 rules, HOTA + CLEAR + Identity (+ Count).

    python bench/bench_trackeval.py [--repeats 3] [--seqs 10] [--frames 600] [--objects 25]

TrackEval runs in a subprocess with ``$NUMA_BENCH_TRACKEVAL_PYTHON`` (default /opt/ultra/bin/python, an environment
with trackeval==1.3.0), single process (``USE_PARALLEL: False``); its time is ``Evaluator.evaluate`` (reading,
preprocessing, metrics), ours is ``evaluate`` (reading, preprocessing, metrics) with 1 thread and with one thread
per core. The numbers of both are compared too (largest difference over every field).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TRACKEVAL_PY = os.environ.get("NUMA_BENCH_TRACKEVAL_PYTHON", "/opt/ultra/bin/python")

RUN_TRACKEVAL = r"""
import json, sys, time
import numpy as np
import trackeval
gt, trk, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
seqs = json.loads(sys.argv[4])
times = []
for _ in range(repeats):
    ev = trackeval.Evaluator({"USE_PARALLEL": False, "PRINT_RESULTS": False, "PRINT_CONFIG": False,
        "TIME_PROGRESS": False, "OUTPUT_SUMMARY": False, "OUTPUT_DETAILED": False, "PLOT_CURVES": False,
        "LOG_ON_ERROR": None})
    ds = trackeval.datasets.MotChallenge2DBox({"GT_FOLDER": gt, "TRACKERS_FOLDER": trk, "OUTPUT_FOLDER": trk + "_out",
        "BENCHMARK": "MOT17", "SKIP_SPLIT_FOL": True, "SEQ_INFO": {s: None for s in seqs},
        "TRACKERS_TO_EVAL": ["t"], "PRINT_CONFIG": False})
    ms = [trackeval.metrics.HOTA(), trackeval.metrics.CLEAR({"PRINT_CONFIG": False}),
          trackeval.metrics.Identity({"PRINT_CONFIG": False})]
    t0 = time.perf_counter()
    res, _ = ev.evaluate([ds], ms)
    times.append(time.perf_counter() - t0)
r = res["MotChallenge2DBox"]["t"]
out = {seq: {m: {k: (v.tolist() if isinstance(v, np.ndarray) else float(v)) for k, v in f.items()}
             for m, f in per["pedestrian"].items()} for seq, per in r.items()}
print(json.dumps({"times": times, "results": out}))
"""


def make_data(root: Path, n_seqs: int, frames: int, objects: int, seed: int = 25) -> list[str]:
    rng = random.Random(seed)
    names = []
    for s in range(n_seqs):
        seq = f"BENCH-{s + 1:02d}"
        names.append(seq)
        d = root / "gt" / seq
        (d / "gt").mkdir(parents=True)
        (d / "seqinfo.ini").write_text(f"[Sequence]\nname={seq}\nseqLength={frames}\n")
        objs = [[rng.uniform(0, 1700), rng.uniform(0, 800), rng.uniform(30, 90), rng.uniform(80, 250),
                 rng.uniform(-3, 3), rng.uniform(-2, 2)] for _ in range(objects)]  # fmt: skip
        switch = [rng.randint(50, 200) for _ in range(objects)]
        gt, res = [], []
        next_id = objects + 1
        tid = list(range(1, objects + 1))
        fp_id = 100000
        for t in range(1, frames + 1):
            for k, o in enumerate(objs):
                x, y, w, h = o[0] + o[4] * t, o[1] + o[5] * t, o[2], o[3]
                cls = 7 if k == 0 else 1  # one static person: a distractor
                gt.append(f"{t},{k + 1},{x:.2f},{y:.2f},{w:.2f},{h:.2f},1,{cls},1.0")
                if t % switch[k] == 0:  # an id switch
                    tid[k] = next_id
                    next_id += 1
                if rng.random() < 0.08:  # a miss
                    continue
                j = rng.uniform(0, 0.25)
                res.append(f"{t},{tid[k]},{x + j * w:.2f},{y - j * h / 2:.2f},{w * rng.uniform(0.9, 1.1):.2f},"
                           f"{h * rng.uniform(0.9, 1.1):.2f},0.9,-1,-1,-1")  # fmt: skip
            for _ in range(rng.randint(0, 3)):  # false positives
                res.append(f"{t},{fp_id},{rng.uniform(0, 1800):.2f},{rng.uniform(0, 900):.2f},50,120,0.5,-1,-1,-1")
                fp_id += 1
        (d / "gt" / "gt.txt").write_text("\n".join(gt) + "\n")
        out = root / "trk" / "t" / "data"
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{seq}.txt").write_text("\n".join(res) + "\n")
    return names


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seqs", type=int, default=10)
    ap.add_argument("--frames", type=int, default=600)
    ap.add_argument("--objects", type=int, default=25)
    a = ap.parse_args()
    from numa_ultralytics.utils import trackeval as te

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        seqs = make_data(root, a.seqs, a.frames, a.objects)
        gt, res = root / "gt", root / "trk" / "t" / "data"
        ours: dict[str, list[float]] = {"1 thread": [], f"{os.cpu_count()} threads": []}
        r = None
        for _ in range(a.repeats):
            for label, threads in (("1 thread", 1), (f"{os.cpu_count()} threads", os.cpu_count() or 1)):
                t0 = time.perf_counter()
                r = te.evaluate(gt, res, threads=threads)
                ours[label].append(time.perf_counter() - t0)
        p = subprocess.run(
            [TRACKEVAL_PY, "-c", RUN_TRACKEVAL, str(gt), str(root / "trk"), str(a.repeats), json.dumps(seqs)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if p.returncode != 0:
            print(p.stderr[-2000:], file=sys.stderr)
            sys.exit(1)
        ref = json.loads(p.stdout.strip().splitlines()[-1])
        worst = 0.0
        assert r is not None
        for seq, metrics in ref["results"].items():
            for m, fields in metrics.items():
                for k, v in fields.items():
                    if k != "Frames":
                        d = np.max(np.abs(np.asarray(r[seq][m][k], float) - np.asarray(v, float)))
                        worst = max(worst, float(d))
        n_lines = sum(len((gt / s / "gt" / "gt.txt").read_text().splitlines()) for s in seqs)
        te_best = min(ref["times"])
        print(f"{a.seqs} sequences x {a.frames} frames x {a.objects} objects ({n_lines} gt lines), "
              f"best of {a.repeats}:")  # fmt: skip
        print(f"  TrackEval 1.3.0          {te_best * 1000:9.1f} ms")
        for label, ts in ours.items():
            print(f"  numa_ultralytics {label:<8}{min(ts) * 1000:9.1f} ms   {te_best / min(ts):6.1f}x")
        print(f"  largest difference over every field: {worst:.3g}")


if __name__ == "__main__":
    main()
