# ruff: noqa: B023  (timed closures are called at once, inside the loop iteration that defines them)
"""Scaling: cost per frame vs number of objects, and vs input size.

    .venv/bin/python bench/bench_scaling.py               # both tables (~1-2 min on 2 cores)
    .venv/bin/python bench/bench_scaling.py --only objects --repeats 7

objects: synthetic (116, 5040) head outputs for a 384x640 input (360x640 frame) with n = 1..200 objects on a grid,
one elliptic blob per object in the prototypes (so every object has a real, non-rectangular mask); per frame:
Rust NMS + mask decode (``_core.postprocess``), polygons (``_core.rois_to_polygons`` = ``masks.xy``), the Rust
ByteTrack core update, and the seed's drawing (``Annotator.seg_bbox`` per polygon). Columns per object show where
the cost stops being linear.

input size: the people video at imgsz 320..1280 (letterboxed, stride 32): bare ``session.run``, our preprocess
(letterbox + ``to_blob``), Rust post-processing (NMS + masks + polygons) on the real outputs; per megapixel of
network input.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import MODEL, VIDEO, fmt_mmm, header, machine_line, mmm, table, time_call

from numa_ultralytics import _core

IN_HW = (384, 640)
ORIG_HW = (360, 640)


def synth(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pred (116, 5040), protos (32, 96, 160), per-frame dets for the tracker) with n objects on a grid."""
    ih, iw = IN_HW
    mh, mw = ih // 4, iw // 4
    cols = int(np.ceil(np.sqrt(n * iw / ih)))
    rows = int(np.ceil(n / cols))
    cw, ch = iw / cols, ih / rows
    pred = np.zeros((116, 5040), np.float32)
    pred[4:84] = 0.01
    protos = np.full((32, mh, mw), 0.0, np.float32)
    yy, xx = np.mgrid[0:mh, 0:mw].astype(np.float32) + 0.5
    blob = np.full((mh, mw), -1.0, np.float32)
    anchors = np.random.default_rng(n).choice(5040, n, replace=False)
    for j, a in enumerate(anchors):
        r, c = divmod(j, cols)
        cx, cy = (c + 0.5) * cw, (r + 0.5) * ch
        pred[0:4, a] = (cx, cy, cw * 0.9, ch * 0.9)
        pred[4, a] = 0.9
        pred[84, a] = 1.0
        # elliptic blob (radius ~40% of the cell), in prototype pixels
        d = ((xx - cx / 4) / (cw / 4 * 0.4)) ** 2 + ((yy - cy / 4) / (ch / 4 * 0.35)) ** 2
        blob = np.maximum(blob, 1.0 - d)
    protos[0] = blob
    g = min(ih / ORIG_HW[0], iw / ORIG_HW[1])
    padh = (ih - ORIG_HW[0] * g) / 2
    boxes = pred[0:4, anchors].T.copy()
    dets = np.zeros((n, 6), np.float32)
    dets[:, 0] = boxes[:, 0] - boxes[:, 2] / 2
    dets[:, 1] = boxes[:, 1] - boxes[:, 3] / 2 - padh
    dets[:, 2] = boxes[:, 0] + boxes[:, 2] / 2
    dets[:, 3] = boxes[:, 1] + boxes[:, 3] / 2 - padh
    dets[:, 4] = 0.9
    return pred, protos, dets


def bench_objects(repeats: int) -> None:
    from numa_ultralytics.trackers import load_tracker_config, make_tracker
    from numa_ultralytics.utils.plotting import Annotator, colors

    header("Cost per frame vs number of objects (384x640 input, 360x640 frame; ms, median [min..max] over repeats)")
    frame = np.full((*ORIG_HW, 3), 90, np.uint8)
    rows = []
    base = None
    for n in (1, 2, 5, 10, 20, 50, 100, 200):
        pred, protos, dets = synth(n)
        t_nms = time_call(lambda: _core.postprocess(pred, None, 80, IN_HW, ORIG_HW), repeats)
        t_post = time_call(lambda: _core.postprocess(pred, protos, 80, IN_HW, ORIG_HW), repeats)
        boxes, rois = _core.postprocess(pred, protos, 80, IN_HW, ORIG_HW)
        t_poly = time_call(lambda: _core.rois_to_polygons(rois, IN_HW, ORIG_HW, False), repeats)
        polys = _core.rois_to_polygons(rois, IN_HW, ORIG_HW, False)
        npts = np.mean([len(p) for p in polys]) if polys else 0.0

        # tracker: steady state on slowly moving boxes
        tr = make_tracker(load_tracker_config("bytetrack.yaml"))._core
        seq = [dets + np.float32(k * 0.7) for k in range(40)]
        for d in seq[:5]:
            tr.update(d, None)
        t_tr = []
        for rep in range(repeats):
            chunk = seq[5 + rep * (35 // repeats) : 5 + (rep + 1) * (35 // repeats)] or seq[-3:]
            t0 = time.perf_counter()
            for d in chunk:
                tr.update(d, None)
            t_tr.append((time.perf_counter() - t0) * 1e3 / len(chunk))

        def draw() -> None:
            im = frame.copy()
            ann = Annotator(im, line_width=2)
            for i, p in enumerate(polys):
                c = colors(i, True)
                ann.seg_bbox(mask=p, mask_color=c, label=str(i + 1), txt_color=ann.get_txt_color(c))

        t_copy = time_call(lambda: frame.copy(), repeats)
        t_draw = [a - b for a, b in zip(time_call(draw, repeats), t_copy)]
        total = [a + b + c + d for a, b, c, d in zip(t_post, t_poly, t_tr, t_draw)]
        med = mmm(total)[1]
        if base is None:
            base = med
        lib = mmm(t_post)[1] + mmm(t_poly)[1]
        rows.append(
            [
                f"{n} ({len(boxes)})",
                f"{npts:.0f}",
                fmt_mmm(t_nms),
                fmt_mmm([a - b for a, b in zip(t_post, t_nms)]),
                fmt_mmm(t_poly),
                fmt_mmm(t_tr),
                fmt_mmm(t_draw),
                fmt_mmm(total),
                f"{(lib - mmm(t_nms)[1]) / n * 1e3:.1f}",
                f"{mmm(t_tr)[1] / n * 1e3:.2f}",
                f"{mmm(t_draw)[1] / n * 1e3:.1f}",
            ]
        )
    print(
        table(
            [
                "objects (kept)",
                "pts/poly",
                "NMS",
                "masks",
                "polygons",
                "tracker core",
                "draw (seg_bbox)",
                "total",
                "us/obj masks+poly",
                "us/obj tracker",
                "us/obj draw",
            ],
            rows,
        )
    )


def bench_sizes(repeats: int, frames: int, model: Path, video: Path) -> None:
    import onnxruntime as ort

    from numa_ultralytics.data.augment import letterbox, to_blob

    header(f"Cost per frame vs input size (people video 640x360, {frames} frames; ms, median [min..max] over frames)")
    sess = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    cap = cv2.VideoCapture(str(video))
    ims = [cap.read()[1] for _ in range(frames)]
    cap.release()
    rows = []
    base = None
    for sz in (320, 480, 640, 800, 960, 1280):
        pre, run, post, objs = [], [], [], []
        shape = None
        for f in ims:
            pre.append(mmm(time_call(lambda: to_blob(letterbox(f, (sz, sz), True, 32)), repeats))[1])
            img = letterbox(f, (sz, sz), True, 32)
            shape = img.shape[:2]
            blob = to_blob(img)
            sess.run(None, {name: blob})
            run.append(mmm(time_call(lambda: sess.run(None, {name: blob}), max(1, repeats // 2), number=1))[1])
            p, q = sess.run(None, {name: blob})

            def postp() -> None:
                _, rois = _core.postprocess(p[0], q[0], 80, shape, f.shape[:2])
                _core.rois_to_polygons(rois, shape, f.shape[:2], False)

            post.append(mmm(time_call(postp, repeats))[1])
            objs.append(len(_core.postprocess(p[0], q[0], 80, shape, f.shape[:2])[0]))
        mpx = shape[0] * shape[1] / 1e6
        r_med = mmm(run)[1]
        if base is None:
            base = r_med / mpx
        rows.append(
            [
                sz,
                f"{shape[0]}x{shape[1]}",
                f"{np.mean(objs):.1f}",
                fmt_mmm(pre),
                fmt_mmm(run, 1),
                fmt_mmm(post),
                f"{(mmm(pre)[1] + mmm(post)[1]) / r_med * 100:.1f}%",
                f"{mmm(pre)[1] / mpx:.2f}",
                f"{r_med / mpx:.1f} ({r_med / mpx / base:.2f}x)",
                f"{mmm(post)[1] / mpx:.2f}",
            ]
        )
    print(
        table(
            [
                "imgsz",
                "input",
                "objects",
                "preprocess",
                "session.run",
                "post (NMS+masks+polys)",
                "(pre+post)/run",
                "pre ms/Mpx",
                "run ms/Mpx (vs 320)",
                "post ms/Mpx",
            ],
            rows,
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--frames", type=int, default=4, help="video frames per input size")
    ap.add_argument("--only", nargs="+", choices=["objects", "sizes"])
    ap.add_argument("--model", type=Path, default=MODEL)
    ap.add_argument("--video", type=Path, default=VIDEO)
    args = ap.parse_args()
    groups = args.only or ["objects", "sizes"]
    print(machine_line())
    if "objects" in groups:
        bench_objects(args.repeats)
    if "sizes" in groups:
        bench_sizes(args.repeats, args.frames, args.model, args.video)


if __name__ == "__main__":
    main()
