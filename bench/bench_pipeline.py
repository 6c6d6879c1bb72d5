"""End-to-end pipeline benchmark: the floor (bare ``session.run``), the seed's two loops split per stage,
and the same loops with the original Ultralytics (in another venv, same run) when it is available.

    .venv/bin/python bench/bench_pipeline.py                  # 60 frames x 3 repeats (~2-3 min on 2 cores)
    .venv/bin/python bench/bench_pipeline.py --frames 120 --repeats 5
    .venv/bin/python bench/bench_pipeline.py --no-original    # skip the original
    NUMA_BENCH_ORIGINAL_PYTHON=/path/to/venv/bin/python ...   # where ultralytics is importable (default /tmp/ulvenv)
    NUMA_BENCH_FLOOR_PROVIDERS=CUDAExecutionProvider,CPUExecutionProvider ...  # the floor's providers (default CPU)

Loop 1 (seed "Instance Segmentation"): decode, ``model.predict``, ``Annotator.seg_bbox`` per ``masks.xy`` polygon,
``VideoWriter.write`` (MJPG .avi). Loop 2 (seed "with Object Tracking"): the same with ``model.track(persist=True)``.
``verbose=False`` in both implementations (per-frame log lines are not what we measure); the first
``--warmup`` frames of every loop (model set-up, first-call costs) are run but not timed. Stages:
decode (``cap.read``), preprocess / inference / postprocess (= NMS + mask decoding) / tracking from
``Results.speed``, predict-other (the rest of the predict call: argument checks, Results objects),
polygons (``masks.xy``, lazy), draw (Annotator + label extraction + ``seg_bbox`` loop), encode (``out.write``).
The original has no ``speed["tracking"]``: its tracker runs in a callback outside the timers, so for it tracking is
inside predict_other (compare the "tracking + predict_other" row). 8.4 removed ``Annotator.seg_bbox``; the original's
side draws with a copy of 8.3's ``seg_bbox`` (the same cv2 calls).
Both track with ``tracker="botsort.yaml"``: our default, the seed's era default and the project's reference
(8.4.190's own default is ``tracktrack.yaml``, a different algorithm that keeps ~5-8 of the ~20 people here).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import MODEL, ORIGINAL_PYTHON, VIDEO, fmt_mmm, fmt_ratio, header, machine_line, mmm, table

STAGES = ["decode", "preprocess", "inference", "postprocess", "predict_other", "polygons", "tracking", "draw", "encode"]
LIB_STAGES = ["preprocess", "postprocess", "predict_other", "polygons", "tracking"]  # the library's own work

# The seed loops, shared verbatim by both implementations: ``YOLO``, ``Annotator``, ``colors`` and ``seg_bbox``
# (a callable (annotator, mask, color, label, txt_color)) are injected.
LOOP_SRC = r'''
def run_loop(YOLO, Annotator, colors, seg_bbox, model_path, video, frames, track, out_path, warmup):
    import time
    import cv2
    model = YOLO(model_path)
    names = None
    cap = cv2.VideoCapture(video)
    w, h, fps = (int(cap.get(x)) for x in (cv2.CAP_PROP_FRAME_WIDTH, cv2.CAP_PROP_FRAME_HEIGHT, cv2.CAP_PROP_FPS))
    out = cv2.VideoWriter(out_path, cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    acc = {k: 0.0 for k in STAGES}
    acc["total"] = 0.0
    acc["objects"] = 0.0
    n = 0
    pc = time.perf_counter
    seen = 0
    while n < frames:
        t0 = pc()
        ret, im0 = cap.read()
        t1 = pc()
        if not ret:
            break
        if track:
            annotator = Annotator(im0, line_width=2)
            t2 = pc()
            results = model.track(im0, persist=True, verbose=False, tracker="botsort.yaml")
            t3 = pc()
            tp0 = tp1 = t3
            if results[0].boxes.id is not None and results[0].masks is not None:
                tp0 = pc()
                masks = results[0].masks.xy
                tp1 = pc()
                track_ids = results[0].boxes.id.int().cpu().tolist()
                for mask, track_id in zip(masks, track_ids):
                    color = colors(int(track_id), True)
                    txt_color = annotator.get_txt_color(color)
                    seg_bbox(annotator, mask, color, str(track_id), txt_color)
            t4 = pc()
            draw = (t2 - t1) + (t4 - t3) - (tp1 - tp0)
        else:
            t2 = pc()
            results = model.predict(im0, verbose=False)
            t3 = pc()
            annotator = Annotator(im0, line_width=2)
            tp0 = tp1 = t3
            if results[0].masks is not None:
                clss = results[0].boxes.cls.cpu().tolist()
                names = names or model.names
                tp0 = pc()
                masks = results[0].masks.xy
                tp1 = pc()
                for mask, cls in zip(masks, clss):
                    color = colors(int(cls), True)
                    txt_color = annotator.get_txt_color(color)
                    seg_bbox(annotator, mask, color, names[int(cls)], txt_color)
            t4 = pc()
            draw = (t4 - t3) - (tp1 - tp0)
        out.write(im0)
        t5 = pc()
        seen += 1
        if seen <= warmup:  # model set-up and first-call costs are not per-frame costs
            continue
        sp = results[0].speed
        known = 0.0
        for k in ("preprocess", "inference", "postprocess", "tracking"):
            v = sp.get(k) or 0.0
            acc[k] += v
            known += v
        acc["decode"] += (t1 - t0) * 1e3
        acc["predict_other"] += (t3 - t2) * 1e3 - known
        acc["polygons"] += (tp1 - tp0) * 1e3
        acc["draw"] += draw * 1e3
        acc["encode"] += (t5 - t4) * 1e3
        acc["total"] += (t5 - t0) * 1e3
        acc["objects"] += len(results[0])
        n += 1
    out.release()
    cap.release()
    return {k: v / max(n, 1) for k, v in acc.items()} | {"frames": n}


def run_floor(ort, letterbox_blobs, model_path, repeats):
    """Bare session.run per frame on pre-letterboxed blobs: ms per frame for each repeat."""
    import os
    import time
    providers = os.environ.get("NUMA_BENCH_FLOOR_PROVIDERS", "CPUExecutionProvider").split(",")
    sess = ort.InferenceSession(model_path, providers=providers)
    name = sess.get_inputs()[0].name
    sess.run(None, {name: letterbox_blobs[0]})
    res = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for b in letterbox_blobs:
            sess.run(None, {name: b})
        res.append((time.perf_counter() - t0) * 1e3 / len(letterbox_blobs))
    return res
'''

# The original's side: run in the other venv, prints one JSON line.
ORIGINAL_SRC = r"""
import json, os, sys, tempfile
os.environ.setdefault("YOLO_OFFLINE", "1")
import numpy as np
import cv2
import onnxruntime as ort
import ultralytics
from ultralytics import YOLO
from ultralytics.utils.plotting import Annotator, colors
from ultralytics.data.augment import LetterBox

cfg = json.loads(sys.argv[1])
STAGES = cfg["stages"]
exec(cfg["loop_src"])


def seg_bbox(annotator, mask, color, label, txt_color):
    # Ultralytics 8.3's Annotator.seg_bbox (removed in 8.4), same cv2 calls.
    if mask.size == 0:
        return
    cv2.polylines(annotator.im, [np.int32([mask])], isClosed=True, color=color, thickness=2)
    text_size, _ = cv2.getTextSize(label, 0, annotator.sf, annotator.tf)
    cv2.rectangle(
        annotator.im,
        (int(mask[0][0]) - text_size[0] // 2 - 10, int(mask[0][1]) - text_size[1] - 10),
        (int(mask[0][0]) + text_size[0] // 2 + 10, int(mask[0][1] + 10)),
        color,
        -1,
    )
    cv2.putText(annotator.im, label, (int(mask[0][0]) - text_size[0] // 2, int(mask[0][1])), 0, annotator.sf,
                txt_color, annotator.tf)


cap = cv2.VideoCapture(cfg["video"])
blobs = []
lb = LetterBox((640, 640), auto=True, stride=32)
while len(blobs) < cfg["frames"]:
    ok, f = cap.read()
    if not ok:
        break
    im = lb(image=f)[..., ::-1].transpose(2, 0, 1)[None]
    blobs.append(np.ascontiguousarray(im, dtype=np.float32) / 255.0)
cap.release()
out = {"version": ultralytics.__version__, "ort": ort.__version__, "floor": [], "loop1": [], "loop2": []}
with tempfile.TemporaryDirectory() as d:
    for r in range(cfg["repeats"]):
        out["floor"] += run_floor(ort, blobs, cfg["floor_model"], 1)
        for key, track in (("loop1", False), ("loop2", True)):
            if key in cfg["loops"]:
                out[key].append(run_loop(YOLO, Annotator, colors, seg_bbox, cfg["model"], cfg["video"], cfg["frames"],
                                         track, os.path.join(d, key + ".avi"), cfg["warmup"]))
print("BENCH_JSON " + json.dumps(out))
"""


def ours(args: argparse.Namespace) -> dict:
    import onnxruntime as ort

    from numa_ultralytics import YOLO
    from numa_ultralytics.data.augment import letterbox, to_blob
    from numa_ultralytics.utils.plotting import Annotator, colors

    ns: dict = {"STAGES": STAGES}
    exec(LOOP_SRC, ns)

    def seg_bbox(annotator, mask, color, label, txt_color):  # the seed's call
        annotator.seg_bbox(mask=mask, mask_color=color, label=label, txt_color=txt_color)

    cap = cv2.VideoCapture(str(args.video))
    blobs = []
    while len(blobs) < args.frames:
        ok, f = cap.read()
        if not ok:
            break
        blobs.append(to_blob(letterbox(f, (640, 640), True, 32)))
    cap.release()
    out: dict = {"floor": [], "loop1": [], "loop2": []}
    with tempfile.TemporaryDirectory() as d:
        for r in range(args.repeats):
            out["floor"] += ns["run_floor"](ort, blobs, str(args.floor_model or args.model), 1)
            for key, track in (("loop1", False), ("loop2", True)):
                if key in args.loops:
                    res = ns["run_loop"](
                        YOLO,
                        Annotator,
                        colors,
                        seg_bbox,
                        str(args.model),
                        str(args.video),
                        args.frames,
                        track,
                        str(Path(d) / f"{key}.avi"),
                        args.warmup,
                    )
                    out[key].append(res)
            print(
                f"  ours repeat {r + 1}/{args.repeats}: floor {out['floor'][-1]:.1f} ms"
                + "".join(f", {k} {out[k][-1]['total']:.1f} ms/frame" for k in args.loops),
                flush=True,
            )
    out["blob_shape"] = list(blobs[0].shape)
    return out


def original(args: argparse.Namespace) -> dict | None:
    py = Path(args.original_python)
    if args.no_original or not py.exists():
        print(f"  original: skipped ({'--no-original' if args.no_original else f'{py} not found'})")
        return None
    cfg = {
        "stages": STAGES,
        "loop_src": LOOP_SRC,
        "model": str(args.model),
        "floor_model": str(args.floor_model or args.model),
        "video": str(args.video),
        "frames": args.frames,
        "repeats": args.repeats,
        "warmup": args.warmup,
        "loops": args.loops,
    }
    t0 = time.perf_counter()
    p = subprocess.run([str(py), "-c", ORIGINAL_SRC, json.dumps(cfg)], capture_output=True, text=True, check=False)
    line = next((x for x in p.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if p.returncode != 0 or line is None:
        print(f"  original: FAILED (rc {p.returncode})\n{p.stderr[-3000:]}")
        return None
    res = json.loads(line[len("BENCH_JSON ") :])
    print(f"  original: ultralytics {res['version']} (onnxruntime {res['ort']}) in {time.perf_counter() - t0:.0f} s")
    return res


def report(name: str, ours_r: dict, orig_r: dict | None) -> None:
    floor = ours_r["floor"]
    header(f"{name}: per-frame stage times (ms, median [min..max] over repeats)")
    for loop in ("loop1", "loop2"):
        runs = ours_r.get(loop) or []
        if not runs:
            continue
        oruns = (orig_r or {}).get(loop) or []
        title = "loop 1 (predict + seg_bbox + write)" if loop == "loop1" else "loop 2 (track + seg_bbox + write)"
        objs = f"{np.mean([r['objects'] for r in runs]):.1f} objects/frame"
        if oruns:
            objs += f" (original: {np.mean([r['objects'] for r in oruns]):.1f})"
        print(f"### {title}, {runs[0]['frames']} frames, {objs}\n")
        rows = []
        for k in [*STAGES, "total"]:
            if loop == "loop1" and k == "tracking":
                continue
            ov = [r[k] for r in runs]
            row = [k, fmt_mmm(ov)]
            if oruns:
                orv = [r.get(k, 0.0) for r in oruns]
                row += [fmt_mmm(orv), fmt_ratio(ov, orv) if min(orv) > 0.005 else "-"]
            rows.append(row)
        if loop == "loop2":  # the original times its tracker outside Results.speed (it lands in predict_other)
            ov = [r["tracking"] + r["predict_other"] for r in runs]
            row = ["tracking + predict_other", fmt_mmm(ov)]
            if oruns:
                orv = [r.get("tracking", 0.0) + r["predict_other"] for r in oruns]
                row += [fmt_mmm(orv), fmt_ratio(ov, orv)]
            rows.append(row)
        lib = [sum(r[k] for k in LIB_STAGES) for r in runs]
        row = ["library (pre+post+other+polygons+tracking)", fmt_mmm(lib)]
        if oruns:
            olib = [sum(r.get(k, 0.0) for k in LIB_STAGES) for r in oruns]
            row += [fmt_mmm(olib), fmt_ratio(lib, olib)]
        rows.append(row)
        hdr = ["stage", "ours"] + (["original", "ours/original"] if oruns else [])
        print(table(hdr, rows))
        print()
        inf = [r["inference"] for r in runs]
        tot = [r["total"] for r in runs]
        fps = [1e3 / t for t in tot]
        print(f"- floor (bare session.run): {fmt_mmm(floor)} ms/frame")
        print(f"- ours inference / floor: {fmt_ratio(inf, floor)}")
        print(f"- ours library work / inference: {fmt_ratio(lib, inf, 3)}  (target <= 0.10)")
        nonrun = [t - i for t, i in zip(tot, inf)]
        print(f"- ours everything but session.run (decode/draw/encode too) / inference: {fmt_ratio(nonrun, inf, 3)}")
        print(f"- ours loop total / floor: {fmt_ratio(tot, floor)}")
        print(f"- ours FPS: {fmt_mmm(fps, 2)}")
        if oruns:
            ofps = [1e3 / r["total"] for r in oruns]
            print(f"- original FPS: {fmt_mmm(ofps, 2)}; floor in its venv {fmt_mmm(orig_r['floor'])} ms/frame")
            print(f"- FPS ours / original: {fmt_ratio(fps, ofps)}  (target >= 1.5)")
            oinf = [r["inference"] for r in oruns]
            ononrun = [r["total"] - r["inference"] for r in oruns]
            print(f"- everything except inference, ours / original: {fmt_ratio(nonrun, ononrun)}")
            print(f"- original inference / its floor: {fmt_ratio(oinf, orig_r['floor'])}")
        print()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=MODEL)
    ap.add_argument("--video", type=Path, default=VIDEO)
    ap.add_argument("--floor-model", type=Path, help="the ONNX the floor runs (default --model; needed for a .pt)")
    ap.add_argument("--frames", type=int, default=60, help="frames per loop per repeat (from the start of the video)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=3, help="frames run first in each loop and not timed")
    ap.add_argument("--loops", nargs="+", default=["loop1", "loop2"], choices=["loop1", "loop2"])
    ap.add_argument("--original-python", default=str(ORIGINAL_PYTHON))
    ap.add_argument("--no-original", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the raw numbers here")
    args = ap.parse_args()
    print(machine_line())
    print(f"model {args.model.name}, video {args.video.name}, {args.frames} frames x {args.repeats} repeats")
    orig_r = original(args)  # first: its startup (torch import) does not overlap our timings
    ours_r = ours(args)
    print(f"  letterboxed input {ours_r['blob_shape']}")
    report("pipeline", ours_r, orig_r)
    lo, med, hi = mmm(ours_r["floor"])
    print(f"floor: {med:.2f} ms/frame session.run ({1e3 / med:.2f} FPS)")
    if args.json:
        args.json.write_text(json.dumps({"ours": ours_r, "original": orig_r}, indent=1))


if __name__ == "__main__":
    main()
