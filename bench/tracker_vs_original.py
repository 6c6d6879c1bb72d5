"""Frame-by-frame comparison of a tracker with Ultralytics 8.4.190's on the same float32 detections.

    .venv/bin/python bench/tracker_vs_original.py fasttrack.yaml --original-python /tmp/ulvenv/bin/python \
        [--random 40] [--set init_iou_suppress=1.0 --set track_buffer=5 ...]

Sequences: the reference videos' ``predict`` frames (``reference/public_trackers_yolo11n-seg.json``), MOT17-04's
public detections (300 frames, scores 0.05..1) and random ones (crossing objects with low scores, misses, duplicates
and empty frames; a large box passing over small ones that vanish while covered). The original runs in a child
process of ``--original-python`` (a venv with Ultralytics 8.4.190 and torch), fed ``Boxes(...).cpu().numpy()`` of the
same rows, without an image. Every frame compares the output rows bit for bit, the "unconfirmed track" flag and the
``(id, state, is_activated)`` of the tracked + lost tracks; prints each sequence's first mismatch and a summary line.
"""

from __future__ import annotations

import argparse
import json
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from numa_ultralytics.trackers import load_tracker_config, make_tracker

SHARED = Path(__file__).resolve().parents[1].parent / "shared"

CHILD_SRC = r"""
import pickle, sys
import numpy as np, torch
from ultralytics.engine.results import Boxes
from ultralytics.trackers.track import TRACKER_MAP
from ultralytics.utils import IterableSimpleNamespace

cfg, seqs = pickle.load(open(sys.argv[1], "rb"))
out = {}
for name, frames in seqs.items():
    tr = TRACKER_MAP[cfg["tracker_type"]](args=IterableSimpleNamespace(**cfg))
    res = []
    for d in frames:
        t = tr.update(Boxes(torch.from_numpy(d.copy()), (720, 1280)).cpu().numpy(), None)
        t = np.asarray(t, dtype=np.float32).reshape(-1, 8)
        unconf = any(not x.is_activated for x in tr.tracked_stracks)
        pools = tr.tracked_stracks + tr.lost_stracks
        states = sorted((int(x.track_id), int(x.state), bool(x.is_activated)) for x in pools)
        res.append((t, unconf, states))
    out[name] = res
pickle.dump(out, open(sys.argv[2], "wb"))
"""


def rows(xyxy, conf, cls) -> np.ndarray:
    return np.column_stack([np.reshape(xyxy, (-1, 4)), np.reshape(conf, (-1, 1)), np.reshape(cls, (-1, 1))]).astype(
        np.float32
    )


def crossing(seed: int, n_obj: int = 12, n_frames: int = 120) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    pos = rng.uniform([0, 0], [600, 400], (n_obj, 2))
    vel = rng.normal(0, 4, (n_obj, 2))
    size = rng.uniform([20, 40], [60, 140], (n_obj, 2))
    frames = []
    for _ in range(n_frames):
        pos += vel
        for k, lim in enumerate((600, 400)):
            vel[(pos[:, k] < 0) | (pos[:, k] > lim), k] *= -1  # bounce: paths cross often
        out = []
        for i in range(n_obj):
            if rng.random() < 0.12:
                continue  # missed
            j = rng.normal(0, 1.5, 4)
            x1, y1 = pos[i] + j[:2]
            w, h = size[i] * (1 + 0.03 * j[2:])
            s = float(rng.beta(3, 1.5)) if rng.random() >= 0.2 else float(rng.uniform(0.05, 0.3))
            out.append([x1, y1, x1 + w, y1 + h, s, float(rng.integers(0, 3))])
        if rng.random() < 0.1 and out:  # near-duplicates (new-track suppression)
            for _ in range(int(rng.integers(1, 4))):
                r = list(out[int(rng.integers(len(out)))])
                r[:4] = [v + rng.normal(0, 2) for v in r[:4]]
                r[4] = rng.uniform(0.2, 1.0)
                out.append(r)
        if rng.random() < 0.03:
            out = []
        a = np.asarray(out, dtype=np.float32).reshape(-1, 6)
        rng.shuffle(a)
        frames.append(a)
    return frames


def occluder(seed: int, n_frames: int = 100) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 6))
    small = rng.uniform([100, 100], [500, 300], (n, 2))
    sv = rng.normal(0, 2, (n, 2))
    big = np.array([rng.uniform(-200, 0), rng.uniform(80, 200)])
    bv = np.array([rng.uniform(4, 12), rng.normal(0, 1)])
    bs = rng.uniform([120, 150], [220, 260])
    frames = []
    for _ in range(n_frames):
        small += sv
        big += bv
        out = [[big[0], big[1], big[0] + bs[0], big[1] + bs[1], rng.uniform(0.6, 0.95), 0]]
        for i in range(n):
            b = [small[i][0], small[i][1], small[i][0] + 40, small[i][1] + 80]
            ix = max(0, min(b[2], out[0][2]) - max(b[0], out[0][0]))
            iy = max(0, min(b[3], out[0][3]) - max(b[1], out[0][1]))
            if ix * iy / (40 * 80) > rng.uniform(0.3, 0.9):  # covered: mostly missed, sometimes a low score
                if rng.random() < 0.3:
                    out.append([*b, rng.uniform(0.11, 0.3), 0])
                continue
            out.append([*b, rng.uniform(0.3, 0.95), 0])
        a = np.asarray(out, dtype=np.float32).reshape(-1, 6)
        a[:, :4] += rng.normal(0, 1.0, (len(a), 4)).astype(np.float32)
        frames.append(a)
    return frames


def sequences(n_random: int) -> dict[str, list[np.ndarray]]:
    seqs: dict[str, list[np.ndarray]] = {}
    ref = SHARED / "reference" / "public_trackers_yolo11n-seg.json"
    if ref.is_file():
        for name, v in json.loads(ref.read_text())["videos"].items():
            seqs[f"video:{name}"] = [rows(f["xyxy"], f["conf"], f["cls"]) for f in v["predict"]]
    det_txt = SHARED / "media" / "mot17-mini" / "train" / "MOT17-04-FRCNN" / "det" / "det.txt"
    if det_txt.is_file():
        det = np.loadtxt(det_txt, delimiter=",", ndmin=2)
        seqs["mot17-04"] = []
        for f in range(1, 301):
            r = det[det[:, 0] == f]
            xyxy = np.column_stack([r[:, 2], r[:, 3], r[:, 2] + r[:, 4], r[:, 3] + r[:, 5]])
            seqs["mot17-04"].append(rows(xyxy, r[:, 6], np.zeros(len(r))))
    for s in range(n_random):
        seqs[f"cross:{s}"] = crossing(s)
        seqs[f"occ:{s}"] = occluder(1000 + s)
    return seqs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tracker", help="shipped tracker config, e.g. fasttrack.yaml")
    ap.add_argument("--original-python", required=True, help="python of a venv with Ultralytics 8.4.190")
    ap.add_argument("--random", type=int, default=40, help="random sequences of each kind")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config value")
    a = ap.parse_args()

    cfg = load_tracker_config(a.tracker)
    for kv in a.set:
        k, v = kv.split("=", 1)
        cfg[k] = v == "True" if isinstance(cfg.get(k), bool) else type(cfg.get(k, 0.0))(float(v))
    cfg = load_tracker_config(cfg)
    seqs = sequences(a.random)
    with tempfile.TemporaryDirectory() as tmp:
        src, inp, outp = Path(tmp, "child.py"), Path(tmp, "in.pkl"), Path(tmp, "out.pkl")
        src.write_text(CHILD_SRC)
        inp.write_bytes(pickle.dumps((cfg, seqs)))
        subprocess.run([a.original_python, str(src), str(inp), str(outp)], check=True)
        ref = pickle.loads(outp.read_bytes())

    bad_out = bad_state = frames = 0
    for name, dets in seqs.items():
        tr = make_tracker(cfg)
        first_out = first_state = None
        for f, (d, (t_ref, unconf, states)) in enumerate(zip(dets, ref[name]), 1):
            t = tr.update(d)
            frames += 1
            same = t.shape == t_ref.shape and np.array_equal(t.view(np.uint32), t_ref.view(np.uint32))
            if first_out is None and not (same and unconf == tr.has_unconfirmed):
                first_out = f
                print(f"{name}: output differs from frame {f}")
                print(f"  original {t_ref[:, 4:].tolist()}\n  ours     {t[:, 4:].tolist()}")
            st = sorted((v.track_id, v.state, v.is_activated) for v in tr.tracked_stracks + tr.lost_stracks)
            if first_state is None and st != states:
                first_state = f
                print(f"{name}: tracks differ from frame {f}: {sorted(set(st) ^ set(states))}")
        bad_out += first_out is not None
        bad_state += first_state is not None
    print(
        f"{a.tracker} {' '.join(a.set)}: {len(seqs)} sequences, {frames} frames; "
        f"{bad_out} with an output mismatch, {bad_state} with a track-list mismatch"
    )
    sys.exit(1 if bad_out or bad_state else 0)


if __name__ == "__main__":
    main()
