"""OC-SORT / Deep OC-SORT against the original, frame by frame (run with the original's Python).

    /tmp/ulvenv/bin/python bench/compare_ocsort_original.py [--only ref rand warp reid timing]

Feeds the same float32 detections to Ultralytics 8.4.190's ``OCSORT`` / ``DeepOCSORT`` (``Boxes`` over numpy, as its
track callback does) and to ours, and counts the frames whose (m, 8) outputs are identical (``np.array_equal``):
- ``ref``: the ``predict`` frames of ``public_trackers_yolo11n-seg.json`` (the real tracker inputs), several settings;
- ``rand``: random streams (turns, dropouts, duplicates, empty frames, boxes left of the image);
- ``warp``: Deep OC-SORT with random camera-motion warps (both sides get the same 2x3 affine);
- ``reid``: Deep OC-SORT with ``with_reid: True`` on synthetic per-detection embeddings (``feats``);
- ``timing``: update cost at 20 and 50 moving objects, the original's beside ours.
A tool, not a test: CI has no Ultralytics.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
REFERENCE = REPO.parent / "shared" / "reference" / "public_trackers_yolo11n-seg.json"


def originals() -> dict[str, Any]:
    import ultralytics
    from ultralytics.trackers.deep_oc_sort import DeepOCSORT as ODOC
    from ultralytics.trackers.oc_sort import OCSORT as OOC

    return {"ocsort": OOC, "deepocsort": ODOC, "cfg": Path(ultralytics.__file__).parent / "cfg" / "trackers"}


def make_pair(kind: str, over: dict[str, Any]) -> tuple[Any, Any]:
    import yaml
    from ultralytics.utils import IterableSimpleNamespace

    from numa_ultralytics.trackers import OCSORT, DeepOCSORT

    o = originals()
    cfg = {**yaml.safe_load((o["cfg"] / f"{kind}.yaml").read_text()), **over}
    ours = (OCSORT if kind == "ocsort" else DeepOCSORT)(cfg)
    return o[kind](IterableSimpleNamespace(**cfg)), ours


def compare(kind: str, seqs, over: dict[str, Any], feats=None, warps=None) -> tuple[int, int]:
    from ultralytics.engine.results import Boxes

    same = total = 0
    img = np.zeros((8, 8, 3), np.uint8)
    for si, seq in enumerate(seqs):
        orig, ours = make_pair(kind, over)
        frame = [0]
        if warps is not None:
            ws = warps[si]
            orig.gmc.apply = lambda _img, _dets, ws=ws, frame=frame: ws[frame[0]]
            ours._warp = lambda _dets, _img, ws=ws, frame=frame: ws[frame[0]]
        for fi, dets in enumerate(seq):
            frame[0] = fi
            f = None if feats is None else feats[si][fi]
            im = img if warps is not None else None
            a = np.asarray(orig.update(Boxes(dets.copy(), (1080, 1920)), im, feats=f), np.float32).reshape(-1, 8)
            b = ours.update(dets, im, f)
            total += 1
            same += a.shape == b.shape and np.array_equal(a, b)
    print(f"{kind} {over or 'defaults'}: {same}/{total} frames identical")
    return same, total


def ref_seqs() -> list[list[np.ndarray]]:
    d = json.loads(REFERENCE.read_text())
    return [
        [
            np.c_[np.asarray(f["xyxy"], np.float32).reshape(-1, 4), f["conf"], f["cls"]].astype(np.float32)
            for f in v["predict"]
        ]
        for v in d["videos"].values()
    ]


def random_seqs(n_seq: int, n_frames: int, seed: int, dim: int = 0):
    """Random streams; with ``dim``, also one embedding per detection row (object embedding + noise)."""
    rng = np.random.default_rng(seed)
    seqs, feats = [], []
    for _ in range(n_seq):
        k = int(rng.integers(1, 25))
        pos = rng.uniform(-50, 900, (k, 2))
        vel = rng.normal(0, rng.choice([1, 5, 20]), (k, 2))
        wh = rng.uniform(5, 200, (k, 2))
        base = rng.standard_normal((k, max(dim, 1))).astype(np.float32)
        seq, fs = [], []
        for _ in range(n_frames):
            if rng.random() < 0.3:
                vel += rng.normal(0, 3, vel.shape)
            pos += vel
            keep = np.flatnonzero(rng.random(k) > rng.choice([0.05, 0.3, 0.6]))
            boxes = np.c_[pos - wh / 2, pos + wh / 2] + rng.normal(0, rng.choice([0.5, 3, 10]), (k, 4))
            rows = np.c_[boxes, rng.uniform(0, 1, k), rng.integers(0, 3, k)]
            emb = base + rng.normal(0, rng.choice([0.1, 0.5, 1.0]), base.shape).astype(np.float32)
            if rng.random() < 0.1:
                emb[rng.integers(0, k)] = 0  # a zero embedding: ignored by the original
            order = rng.permutation(keep)
            if rng.random() < 0.2 and len(order):
                order = np.r_[order, order[:1]]  # an identical duplicate
            if rng.random() < 0.1:
                order = order[:0]
            seq.append(rows[order].astype(np.float32))
            fs.append(np.ascontiguousarray(emb[order], dtype=np.float32))
        seqs.append(seq)
        feats.append(fs)
    return seqs, feats


def random_warps(seqs, seed: int):
    rng = np.random.default_rng(seed)
    out = []
    for seq in seqs:
        ws = []
        for _ in seq:
            a, s = rng.normal(0, 0.03), 1 + rng.normal(0, 0.02)
            c, si = s * np.cos(a), s * np.sin(a)
            ws.append(np.array([[c, -si, rng.normal(0, 8)], [si, c, rng.normal(0, 8)]]))
        out.append(ws)
    return out


def timing() -> None:
    from ultralytics.engine.results import Boxes

    rng = np.random.default_rng(0)
    for kind in ("ocsort", "deepocsort"):
        for n in (20, 50):
            pos, vel, wh = rng.uniform(0, 1500, (n, 2)), rng.normal(0, 3, (n, 2)), rng.uniform(20, 120, (n, 2))
            frames = []
            for _ in range(35):
                pos += vel
                b = np.c_[pos - wh / 2, pos + wh / 2] + rng.normal(0, 1, (n, 4))
                frames.append(np.c_[b, rng.uniform(0.3, 1, n), np.zeros(n)].astype(np.float32))
            res = {}
            for side in ("original", "ours"):
                ts = []
                for _ in range(5):
                    orig, ours = make_pair(kind, {})
                    if side == "original":
                        ins = [Boxes(d, (1080, 1920)) for d in frames]
                        step = orig.update
                    else:
                        ins, step = frames, ours._core.update
                    for d in ins[:5]:
                        step(d)
                    t0 = time.perf_counter()
                    for d in ins[5:]:
                        step(d)
                    ts.append((time.perf_counter() - t0) / (len(ins) - 5) * 1e3)
                res[side] = float(np.median(ts))
            print(f"{kind} {n} objects: original {res['original']:.3f} ms, ours (Rust core) {res['ours']:.3f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="+", choices=["ref", "rand", "warp", "reid", "timing"])
    groups = ap.parse_args().only or ["ref", "rand", "warp", "reid", "timing"]
    if "ref" in groups:
        r = ref_seqs()
        for kind, over in [("ocsort", {}), ("deepocsort", {}), ("ocsort", {"use_byte": True})]:
            compare(kind, r, over)
        compare("ocsort", r, {"fuse_score": False, "delta_t": 1})
    if "rand" in groups:
        s, _ = random_seqs(40, 60, 0)
        compare("ocsort", s, {})
        compare("ocsort", s, {"use_byte": True, "delta_t": 5, "inertia": 0.5})
        compare("ocsort", s, {"delta_t": 0, "fuse_score": False, "track_buffer": 5})
        compare("deepocsort", s, {"use_byte": True})
    if "warp" in groups:
        s, _ = random_seqs(30, 50, 7)
        compare("deepocsort", s, {"gmc_method": "orb"}, warps=random_warps(s, 11))
    if "reid" in groups:
        for dim in (16, 31, 64, 448):
            s, f = random_seqs(20, 50, dim, dim)
            compare("deepocsort", s, {"with_reid": True, "model": "auto"}, feats=f)
            compare("deepocsort", s, {"with_reid": True, "appearance_thresh": 0.5, "proximity_thresh": 0.9}, feats=f)
    if "timing" in groups:
        timing()


if __name__ == "__main__":
    main()
