"""Tracker update cost, before/after a change: every motion-only tracker (ByteTrack, OC-SORT, FastTrack, Deep OC-SORT
without ReID) fed the same synthetic scene (40 boxes moving with noise, 10% missed per frame, 1500 frames), through
the Python facade, by this checkout's package and by a baseline interpreter's, alternating in one run.

    .venv/bin/python bench/bench_tracker_update.py --base-python /tmp/basepy   # µs per frame, best of 3 per side

The scene is synthetic on purpose: it isolates the Rust tracker (no detector, no camera motion); the seed loops'
tracking share is in bench_change.py.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, time
import numpy as np
from numa_ultralytics.trackers import TRACKER_MAP
from numa_ultralytics.trackers.config import load_tracker_config
rng = np.random.default_rng(0)
N, F = 40, 1500
base = rng.uniform(0, 1200, (N, 2)); vel = rng.normal(0, 2, (N, 2)); wh = rng.uniform(20, 120, (N, 2))
frames = []
for f in range(F):
    c = base + vel * f + rng.normal(0, 1.5, (N, 2))
    keep = rng.random(N) > 0.1
    d = np.concatenate([c - wh / 2, c + wh / 2, rng.uniform(0.05, 0.95, (N, 1)), np.zeros((N, 1))], 1)[keep]
    frames.append(np.ascontiguousarray(d, dtype=np.float32))
out = {}
for name in ("bytetrack", "ocsort", "fasttrack", "deepocsort"):
    cfg = load_tracker_config(name + ".yaml")
    best = 1e9
    for _ in range(3):
        t = TRACKER_MAP[name](cfg, frame_rate=30)
        t0 = time.perf_counter()
        for d in frames:
            t.update(d, None)
        best = min(best, time.perf_counter() - t0)
    out[name] = best / F * 1e6
print("BENCH_JSON " + json.dumps(out))
"""


def run(python: str) -> dict[str, float]:
    out = subprocess.run([python, "-c", CHILD], capture_output=True, text=True, check=True, cwd="/tmp").stdout
    return json.loads(next(line for line in out.splitlines() if line.startswith("BENCH_JSON "))[11:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-python", required=True)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--repeats", type=int, default=2)
    a = ap.parse_args()
    before: dict[str, list[float]] = {}
    after: dict[str, list[float]] = {}
    for _ in range(a.repeats):
        for side, py in ((before, a.base_python), (after, a.python)):
            for k, v in run(py).items():
                side.setdefault(k, []).append(v)
    print("| tracker | before µs/frame | after µs/frame | after/before |")
    print("|---|---|---|---|")
    for k in before:
        b, n = min(before[k]), min(after[k])
        print(f"| {k} | {b:.1f} | {n:.1f} | {n / b:.2f}x |")


if __name__ == "__main__":
    main()
