# ruff: noqa: B023  (timed closures are called at once, inside the loop iteration that defines them)
"""Micro-benchmarks of the Rust hot paths against straightforward numpy / OpenCV / SciPy versions.

    .venv/bin/python bench/bench_micro.py                # all groups (~1 min)
    .venv/bin/python bench/bench_micro.py --only nms assign --repeats 7

Groups:
- ``nms``: head output (84, 8400) with 1k / 8k candidates above conf, class-aware, iou 0.7, max_det 300:
  ``_core.postprocess`` (detect path: candidate scan + NMS) vs numpy candidate scan + numpy greedy NMS, and vs
  numpy candidate scan + ``cv2.dnn.NMSBoxesBatched``.
- ``masks``: 5 / 20 / 100 objects from a (116, 5040) head + real (32, 96, 160) prototypes (384x640 input, 360x640
  frame): ``_core.postprocess`` (NMS + ROI mask decode) + ``_core.rois_to_polygons`` (``masks.xy``) vs numpy
  matmul + sigmoid-free threshold + ``cv2.resize`` upsample + crop + ``cv2.findContours`` (largest contour,
  scaled to the frame).
- ``real``: the same Rust post-processing on real head outputs of the people video (the ~20 objects/frame of
  the pipeline), per frame.
- ``assign``: linear assignment on ``1 - IoU`` costs of n tracks x n detections (10 / 50 / 200):
  ``_core.lapjv`` vs ``scipy.optimize.linear_sum_assignment`` (when SciPy is importable), plus
  ``_core.iou_matrix`` vs numpy IoU.
- ``tracker``: one ``update`` of ByteTrack at 10 / 50 / 200 moving objects: the Rust core alone
  (``TrackerCore.update``), the Python ``BYTETracker.update``, and BoT-SORT with its camera-motion
  compensation (``GMC`` sparseOptFlow, OpenCV) on real frames.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import MODEL, VIDEO, fmt_mmm, header, machine_line, mmm, table, time_call

from numa_ultralytics import _core

RNG = np.random.default_rng(0)


# ---------------------------------------------------------------- synthetic head outputs
def synth_head(n_cand: int, anchors: int, nc: int = 80, nm: int = 0, hw=(640, 640), clusters: int = 0) -> np.ndarray:
    """(4+nc+nm, anchors) float32 with ``n_cand`` anchors above conf 0.25 (the rest at 0.01).

    Boxes are jittered copies of ``clusters`` objects (so NMS suppresses) in a ``hw`` input.
    """
    h, w = hw
    pred = np.zeros((4 + nc + nm, anchors), np.float32)
    pred[4 : 4 + nc] = 0.01
    clusters = clusters or max(1, n_cand // 40)
    cx = RNG.uniform(0.1 * w, 0.9 * w, clusters)
    cy = RNG.uniform(0.1 * h, 0.9 * h, clusters)
    bw = RNG.uniform(0.03 * w, 0.2 * w, clusters)
    bh = RNG.uniform(0.05 * h, 0.4 * h, clusters)
    cls = RNG.integers(0, min(nc, 5), clusters)
    idx = RNG.choice(anchors, n_cand, replace=False)
    k = RNG.integers(0, clusters, n_cand)
    pred[0, idx] = cx[k] + RNG.normal(0, 3, n_cand)
    pred[1, idx] = cy[k] + RNG.normal(0, 3, n_cand)
    pred[2, idx] = bw[k] * RNG.uniform(0.9, 1.1, n_cand)
    pred[3, idx] = bh[k] * RNG.uniform(0.9, 1.1, n_cand)
    pred[4 + cls[k], idx] = RNG.uniform(0.3, 0.95, n_cand)
    return pred


# ---------------------------------------------------------------- numpy / OpenCV references
def np_candidates(pred: np.ndarray, nc: int, conf: float):
    scores = pred[4 : 4 + nc]
    best = scores.max(0)
    keep = np.flatnonzero(best > conf)
    cls = scores[:, keep].argmax(0)
    xywh = pred[:4, keep].T
    xyxy = np.empty_like(xywh)
    xyxy[:, :2] = xywh[:, :2] - xywh[:, 2:] / 2
    xyxy[:, 2:] = xywh[:, :2] + xywh[:, 2:] / 2
    return xyxy, best[keep], cls, keep


def np_greedy_nms(boxes: np.ndarray, scores: np.ndarray, iou: float) -> np.ndarray:
    x1, y1, x2, y2 = boxes.T
    area = (x2 - x1) * (y2 - y1)
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        xx1 = np.maximum(x1[i], x1[rest])
        yy1 = np.maximum(y1[i], y1[rest])
        xx2 = np.minimum(x2[i], x2[rest])
        yy2 = np.minimum(y2[i], y2[rest])
        inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
        ov = inter / (area[i] + area[rest] - inter + 1e-9)
        order = rest[ov <= iou]
    return np.asarray(keep, np.int64)


def np_nms(pred: np.ndarray, nc: int, conf: float = 0.25, iou: float = 0.7, max_det: int = 300) -> np.ndarray:
    xyxy, sc, cls, _ = np_candidates(pred, nc, conf)
    off = xyxy + cls[:, None].astype(np.float32) * 7680.0  # class-aware via offsets, like Ultralytics
    keep = np_greedy_nms(off, sc, iou)[:max_det]
    return keep


def cv_nms(pred: np.ndarray, nc: int, conf: float = 0.25, iou: float = 0.7, max_det: int = 300) -> np.ndarray:
    xyxy, sc, cls, _ = np_candidates(pred, nc, conf)
    xywh = np.concatenate([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]], 1)
    keep = cv2.dnn.NMSBoxesBatched(xywh.tolist(), sc.tolist(), cls.tolist(), conf, iou)
    return np.asarray(keep, np.int64).reshape(-1)[:max_det]


def np_masks_polygons(pred, protos, nc, input_hw, orig_hw, conf=0.25, iou=0.7):
    """NMS (numpy) + masks (matmul, cv2.resize upsample, crop, threshold) + polygons (cv2.findContours)."""
    xyxy, sc, cls, keep_idx = np_candidates(pred, nc, conf)
    keep = np_greedy_nms(xyxy + cls[:, None].astype(np.float32) * 7680.0, sc, iou)[:300]
    boxes = xyxy[keep]
    coeffs = pred[4 + nc :, keep_idx[keep]].T  # (n, 32)
    nm, mh, mw = protos.shape
    ih, iw = input_hw
    logits = (coeffs @ protos.reshape(nm, -1)).reshape(-1, mh, mw)
    oh, ow = orig_hw
    gain = min(ih / oh, iw / ow)
    padw, padh = (iw - ow * gain) / 2, (ih - oh * gain) / 2
    polys = []
    for b, lg in zip(boxes, logits):
        m = cv2.resize(lg, (iw, ih), interpolation=cv2.INTER_LINEAR)
        x1, y1, x2, y2 = (int(round(v)) for v in b)
        crop = np.zeros((ih, iw), np.uint8)
        sl = (slice(max(y1, 0), max(y2, 0)), slice(max(x1, 0), max(x2, 0)))
        crop[sl] = (m[sl] > 0).astype(np.uint8)
        cs = cv2.findContours(crop, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0]
        if cs:
            c = max(cs, key=len).reshape(-1, 2).astype(np.float32)
            c[:, 0] = ((c[:, 0] - padw) / gain).clip(0, ow)
            c[:, 1] = ((c[:, 1] - padh) / gain).clip(0, oh)
        else:
            c = np.zeros((0, 2), np.float32)
        polys.append(c)
    return boxes, polys


def rust_post(pred, protos, nc, input_hw, orig_hw, conf=0.25, iou=0.7):
    boxes, rois = _core.postprocess(pred, protos, nc, input_hw, orig_hw, conf=conf, iou=iou)
    polys = _core.rois_to_polygons(rois, input_hw, orig_hw, False) if rois is not None else []
    return boxes, polys


# ---------------------------------------------------------------- real data
def real_outputs(frames: int, model: Path, video: Path):
    """(pred (116, a), protos (32, mh, mw), input_hw, orig_hw, frame) for the first frames of the video."""
    import onnxruntime as ort

    from numa_ultralytics.data.augment import letterbox, to_blob

    sess = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    cap = cv2.VideoCapture(str(video))
    out = []
    while len(out) < frames:
        ok, f = cap.read()
        if not ok:
            break
        img = letterbox(f, (640, 640), True, 32)
        p, q = sess.run(None, {name: to_blob(img)})
        out.append((p[0], q[0], img.shape[:2], f.shape[:2], f))
    cap.release()
    return out


# ---------------------------------------------------------------- groups
def bench_nms(repeats: int) -> None:
    header("NMS: (84, 8400) head, class-aware, iou 0.7, max_det 300 (ms per call, median [min..max])")
    rows = []
    for n in (1000, 8000):
        pred = synth_head(n, 8400)
        r_rust = time_call(lambda: _core.postprocess(pred, None, 80, (640, 640), (640, 640)), repeats)
        r_np = time_call(lambda: np_nms(pred, 80), repeats)
        r_cv = time_call(lambda: cv_nms(pred, 80), repeats)
        r_scan = time_call(lambda: np_candidates(pred, 80, 0.25), repeats)
        kept = len(_core.postprocess(pred, None, 80, (640, 640), (640, 640))[0])
        kept_np = len(np_nms(pred, 80))
        rows.append(
            [
                n,
                f"{kept} / {kept_np}",
                fmt_mmm(r_rust),
                fmt_mmm(r_np),
                fmt_mmm(r_cv),
                fmt_mmm(r_scan),
                f"{mmm(r_np)[1] / mmm(r_rust)[1]:.1f}x",
                f"{mmm(r_cv)[1] / mmm(r_rust)[1]:.1f}x",
            ]
        )
    print(
        table(
            [
                "candidates",
                "kept rust/numpy",
                "rust postprocess",
                "numpy scan+greedy",
                "numpy scan+cv2 NMSBoxesBatched",
                "(numpy scan alone)",
                "numpy/rust",
                "cv2/rust",
            ],
            rows,
        )
    )


def bench_masks(repeats: int, real: list) -> None:
    header("NMS + masks + polygons: (116, 5040) head, real protos (32, 96, 160), 384x640 -> 360x640 (ms per frame)")
    _, protos, input_hw, orig_hw, _ = real[0]
    real_pred = real[0][0]
    # mask coefficients of real detections, reused for the synthetic objects
    boxes, _ = _core.postprocess(real_pred, protos, 80, input_hw, orig_hw)
    _, _, _, keep_idx = np_candidates(real_pred, 80, 0.25)
    coeff_pool = real_pred[84:, keep_idx].T
    rows = []
    for n in (5, 20, 100):
        pred = np.zeros((116, 5040), np.float32)
        pred[4:84] = 0.01
        cols = int(np.ceil(np.sqrt(n * 640 / 384)))
        rws = int(np.ceil(n / cols))
        cw, ch = 640 / cols, 384 / rws
        idx = RNG.choice(5040, n, replace=False)
        for j, a in enumerate(idx):
            r, c = divmod(j, cols)
            pred[0, a] = (c + 0.5) * cw
            pred[1, a] = (r + 0.5) * ch
            pred[2, a] = cw * 0.8
            pred[3, a] = ch * 0.8
            pred[4, a] = 0.9
            pred[84:, a] = coeff_pool[j % len(coeff_pool)]
        t_nms = time_call(lambda: _core.postprocess(pred, None, 80, input_hw, orig_hw), repeats)
        t_post = time_call(lambda: _core.postprocess(pred, protos, 80, input_hw, orig_hw), repeats)
        _, rois = _core.postprocess(pred, protos, 80, input_hw, orig_hw)
        t_poly = time_call(lambda: _core.rois_to_polygons(rois, input_hw, orig_hw, False), repeats)
        t_rust = time_call(lambda: rust_post(pred, protos, 80, input_hw, orig_hw), repeats)
        t_np = time_call(lambda: np_masks_polygons(pred, protos, 80, input_hw, orig_hw), repeats)
        rows.append(
            [
                f"{n} ({len(rois)} masks)",
                fmt_mmm(t_nms),
                fmt_mmm([a - b for a, b in zip(t_post, t_nms)]),
                fmt_mmm(t_poly),
                fmt_mmm(t_rust),
                fmt_mmm(t_np),
                f"{mmm(t_np)[1] / mmm(t_rust)[1]:.1f}x",
            ]
        )
    print(
        table(
            [
                "objects",
                "rust NMS",
                "rust masks (post - NMS)",
                "rust polygons",
                "rust total",
                "numpy+cv2 total",
                "numpy/rust",
            ],
            rows,
        )
    )
    print("\n(target: NMS + masks + polygons <= 1 ms/frame at 20 objects)")


def bench_real(repeats: int, real: list) -> None:
    header(f"Real frames: Rust NMS + masks + polygons on the people video ({len(real)} frames, ms per frame)")
    per_frame = []
    objs = []
    for pred, protos, input_hw, orig_hw, _ in real:
        per_frame.append(mmm(time_call(lambda: rust_post(pred, protos, 80, input_hw, orig_hw), repeats))[1])
        objs.append(len(_core.postprocess(pred, protos, 80, input_hw, orig_hw)[0]))
    np_frame = []
    for pred, protos, input_hw, orig_hw, _ in real[:5]:
        np_frame.append(mmm(time_call(lambda: np_masks_polygons(pred, protos, 80, input_hw, orig_hw), repeats))[1])
    print(
        table(
            ["objects/frame", "rust ms/frame (median [min..max] over frames)", "numpy+cv2 ms/frame (5 frames)"],
            [[f"{np.mean(objs):.1f}", fmt_mmm(per_frame), fmt_mmm(np_frame)]],
        )
    )
    tr = []
    for pred, protos, input_hw, orig_hw, _ in real:
        tr.append(mmm(time_call(lambda: _core.postprocess(pred, protos, 80, input_hw, orig_hw, conf=0.1), repeats))[1])
    print(f"\ntrack's conf=0.1, NMS + masks only: {fmt_mmm(tr)} ms/frame")


def iou_np(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    aa = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    ab = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / (aa[:, None] + ab[None] - inter + 1e-7)


def moving_boxes(n: int, frames: int, hw=(360, 640)) -> list[np.ndarray]:
    h, w = hw
    xy = RNG.uniform([0, 0], [w - 40, h - 80], (n, 2))
    v = RNG.normal(0, 2, (n, 2))
    wh = RNG.uniform([15, 30], [40, 80], (n, 2))
    out = []
    for _ in range(frames):
        xy = xy + v
        j = RNG.normal(0, 0.5, (n, 4))
        d = np.concatenate([xy, xy + wh], 1) + j
        det = np.concatenate([d, RNG.uniform(0.3, 0.95, (n, 1)), np.zeros((n, 1))], 1)
        out.append(np.ascontiguousarray(det, dtype=np.float32))
    return out


def bench_assign(repeats: int) -> None:
    try:
        from scipy.optimize import linear_sum_assignment
    except ImportError:
        linear_sum_assignment = None
    header("Assignment: cost = 1 - IoU, n tracks x n detections (ms per call)")
    rows = []
    for n in (10, 50, 200):
        a, b = moving_boxes(n, 2)
        a4, b4 = a[:, :4].copy(), b[:, :4].copy()
        cost = (1.0 - iou_np(a4, b4)).astype(np.float64)
        t_lap = time_call(lambda: _core.lapjv(cost), repeats)
        t_la = time_call(lambda: _core.linear_assignment(cost.astype(np.float32), 0.8), repeats)
        t_iou = time_call(lambda: _core.iou_matrix(a4, b4), repeats)
        t_iou_np = time_call(lambda: iou_np(a4, b4), repeats)
        row = [n, fmt_mmm(t_lap, 4), fmt_mmm(t_la, 4)]
        if linear_sum_assignment is not None:
            t_sp = time_call(lambda: linear_sum_assignment(cost), repeats)
            x, _ = _core.lapjv(cost)
            r, c = linear_sum_assignment(cost)
            same = abs(cost[np.arange(n), x].sum() - cost[r, c].sum()) < 1e-9
            row += [fmt_mmm(t_sp, 4), f"{mmm(t_sp)[1] / mmm(t_lap)[1]:.1f}x", "yes" if same else "NO"]
        row += [fmt_mmm(t_iou, 4), fmt_mmm(t_iou_np, 4)]
        rows.append(row)
    hdr = ["n", "rust lapjv", "rust linear_assignment(thresh 0.8)"]
    if linear_sum_assignment is not None:
        hdr += ["scipy linear_sum_assignment", "scipy/rust", "same total cost"]
    else:
        print("(SciPy not importable: no SciPy column)")
    hdr += ["rust iou_matrix", "numpy IoU"]
    print(table(hdr, rows))


def bench_tracker(repeats: int, real: list) -> None:
    from numa_ultralytics.trackers import load_tracker_config, make_tracker

    header("Tracker update (ms per frame, median [min..max] over repeats; each repeat = 30 frames after 5 warm-up)")
    rows = []
    for n in (10, 50, 200):
        seq = moving_boxes(n, 35)
        res = {}
        for label, make in (
            ("core", lambda: make_tracker(load_tracker_config("bytetrack.yaml"))._core),
            ("bytetrack", lambda: make_tracker(load_tracker_config("bytetrack.yaml"))),
        ):
            times = []
            for _ in range(repeats):
                t = make()
                for d in seq[:5]:
                    t.update(d, None) if label == "core" else t.update(d)
                import time

                t0 = time.perf_counter()
                for d in seq[5:]:
                    t.update(d, None) if label == "core" else t.update(d)
                times.append((time.perf_counter() - t0) * 1e3 / (len(seq) - 5))
            res[label] = times
        rows.append([n, fmt_mmm(res["core"], 4), fmt_mmm(res["bytetrack"], 4)])
    print(table(["objects", "rust TrackerCore.update", "BYTETracker.update (Python wrapper)"], rows))
    print("\n(target: tracker update <= 0.1 ms at 50 objects)")

    # BoT-SORT on real frames: GMC (OpenCV sparse optical flow) dominates
    import time

    from numa_ultralytics.trackers.utils.gmc import GMC

    dets = [np.ascontiguousarray(_core.postprocess(p, None, 80, ih, oh, conf=0.1)[0]) for p, _, ih, oh, _ in real]
    frames = [r[4] for r in real]
    t_bs, t_gmc = [], []
    for _ in range(repeats):
        bs = make_tracker(load_tracker_config("botsort.yaml"))
        bs.update(dets[0], frames[0])
        t0 = time.perf_counter()
        for d, f in zip(dets[1:], frames[1:]):
            bs.update(d, f)
        t_bs.append((time.perf_counter() - t0) * 1e3 / (len(frames) - 1))
        g = GMC("sparseOptFlow")
        g.apply(frames[0])
        t0 = time.perf_counter()
        for f in frames[1:]:
            g.apply(f)
        t_gmc.append((time.perf_counter() - t0) * 1e3 / (len(frames) - 1))
    print(
        f"\nBoT-SORT update on {len(frames)} real 640x360 frames ({np.mean([len(d) for d in dets]):.1f} dets at "
        f"conf 0.1): {fmt_mmm(t_bs)} ms/frame, of which GMC.apply (sparseOptFlow) {fmt_mmm(t_gmc)} ms/frame"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--frames", type=int, default=20, help="real video frames for the 'real' and 'tracker' groups")
    ap.add_argument("--only", nargs="+", choices=["nms", "masks", "real", "assign", "tracker"])
    ap.add_argument("--model", type=Path, default=MODEL)
    ap.add_argument("--video", type=Path, default=VIDEO)
    args = ap.parse_args()
    groups = args.only or ["nms", "masks", "real", "assign", "tracker"]
    print(machine_line())
    real = real_outputs(args.frames, args.model, args.video) if {"masks", "real", "tracker"} & set(groups) else []
    if "nms" in groups:
        bench_nms(args.repeats)
    if "masks" in groups:
        bench_masks(args.repeats, real)
    if "real" in groups:
        bench_real(args.repeats, real)
    if "assign" in groups:
        bench_assign(args.repeats)
    if "tracker" in groups:
        bench_tracker(args.repeats, real)


if __name__ == "__main__":
    main()
