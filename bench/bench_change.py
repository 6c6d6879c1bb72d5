"""Before/after benchmark of a change: the seed's two loops (bench_pipeline.py's ``LOOP_SRC``) run by this
checkout's package and by a baseline build of the package (e.g. the previous commit) in another venv, in the same
run, alternating repeats so that machine drift hits both sides alike.

    git worktree add /tmp/base HEAD~1 && python3 -m venv /tmp/basevenv && /tmp/basevenv/bin/pip install /tmp/base
    .venv/bin/python bench/bench_change.py --base-python /tmp/basevenv/bin/python      # 60 frames x 3 repeats

Each repeat runs every loop once per side, in a fresh process per side (``model = YOLO(...)`` inside the loop, as the
seed does); the first ``--warmup`` frames are run but not timed. Prints per-loop ms/frame and FPS for both sides and
the ratio after/before (median [min..max] over repeats).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pipeline import LOOP_SRC, STAGES
from common import MODEL, VIDEO, fmt_mmm, fmt_ratio, header, machine_line, table

# Runs the loops with whatever numa_ultralytics the interpreter imports; prints one JSON line.
CHILD_SRC = r"""
import json, os, sys, tempfile
import numa_ultralytics
from numa_ultralytics import YOLO
from numa_ultralytics.utils.plotting import Annotator, colors

cfg = json.loads(sys.argv[1])
STAGES = cfg["stages"]
exec(cfg["loop_src"])


def seg_bbox(annotator, mask, color, label, txt_color):  # the seed's call
    annotator.seg_bbox(mask=mask, mask_color=color, label=label, txt_color=txt_color)


out = {"where": os.path.dirname(numa_ultralytics.__file__)}
with tempfile.TemporaryDirectory() as d:
    for key in cfg["loops"]:
        out[key] = run_loop(YOLO, Annotator, colors, seg_bbox, cfg["model"], cfg["video"], cfg["frames"],
                            key == "loop2", os.path.join(d, key + ".avi"), cfg["warmup"])
print("BENCH_JSON " + json.dumps(out))
"""


def run_side(python: str, cfg: dict) -> dict:
    with tempfile.TemporaryDirectory() as cwd:  # not the repo: the baseline must not import ./python
        p = subprocess.run(
            [python, "-c", CHILD_SRC, json.dumps(cfg)], capture_output=True, text=True, check=False, cwd=cwd
        )
    line = next((x for x in p.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if p.returncode != 0 or line is None:
        raise SystemExit(f"{python}: failed (rc {p.returncode})\n{p.stderr[-3000:]}")
    return json.loads(line[len("BENCH_JSON ") :])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-python", required=True, help="interpreter whose numa_ultralytics is the baseline")
    ap.add_argument("--python", default=sys.executable, help="interpreter of the change (default: this one)")
    ap.add_argument("--model", type=Path, default=MODEL)
    ap.add_argument("--video", type=Path, default=VIDEO)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--loops", nargs="+", default=["loop1", "loop2"], choices=["loop1", "loop2"])
    args = ap.parse_args()
    cfg = {
        "stages": STAGES,
        "loop_src": LOOP_SRC,
        "model": str(args.model),
        "video": str(args.video),
        "frames": args.frames,
        "warmup": args.warmup,
        "loops": args.loops,
    }
    print(machine_line())
    print(f"model {args.model.name}, video {args.video.name}, {args.frames} frames x {args.repeats} repeats")
    runs: dict[str, list[dict]] = {"before": [], "after": []}
    sides = (("before", args.base_python), ("after", args.python))
    for r in range(args.repeats):
        for name, py in sides if r % 2 == 0 else sides[::-1]:
            res = run_side(py, cfg)
            runs[name].append(res)
            print(
                f"  repeat {r + 1}/{args.repeats} {name} ({res['where']}): "
                + ", ".join(f"{k} {res[k]['total']:.1f} ms/frame" for k in args.loops),
                flush=True,
            )
    header("change: seed loops, before (baseline build) vs after (this checkout), same run")
    rows = []
    for key in args.loops:
        b = [x[key]["total"] for x in runs["before"]]
        a = [x[key]["total"] for x in runs["after"]]
        lib_stages = ("preprocess", "postprocess", "predict_other", "polygons", "tracking")
        bl = [sum(x[key][k] for k in lib_stages) for x in runs["before"]]
        al = [sum(x[key][k] for k in lib_stages) for x in runs["after"]]
        rows.append([f"{key} total ms/frame", fmt_mmm(b), fmt_mmm(a), fmt_ratio(a, b)])
        rows.append([f"{key} library ms/frame", fmt_mmm(bl), fmt_mmm(al), fmt_ratio(al, bl)])
        for k in lib_stages if key == "loop2" else lib_stages[:-1]:
            bs = [x[key][k] for x in runs["before"]]
            as_ = [x[key][k] for x in runs["after"]]
            rows.append([f"{key}  {k} ms/frame", fmt_mmm(bs), fmt_mmm(as_), fmt_ratio(as_, bs)])
        rows.append([f"{key} FPS", fmt_mmm([1e3 / t for t in b], 2), fmt_mmm([1e3 / t for t in a], 2), fmt_ratio(b, a)])
    print(table(["measure", "before", "after", "after/before"], rows))


if __name__ == "__main__":
    main()
