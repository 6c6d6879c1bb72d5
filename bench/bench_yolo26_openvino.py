"""YOLO26 on OpenVINO (issue 23 item 3): ``half=True`` (bf16), ``runtime="openvino"`` (f32) and the NNCF int8 export
of an end-to-end model, against the onnxruntime fp32 default, in one run: agreement on the shared videos and predict
speed, interleaved.

    .venv/bin/python bench/bench_yolo26_openvino.py                    # yolo26n-seg.pt, 60 frames, 3 repeats
    .venv/bin/python bench/bench_yolo26_openvino.py --model yolo26n.pt --frames 30 --repeats 2

Before nn/openvino_onnx.py, OpenVINO refused every YOLO26 graph (Ultralytics' exports and ours: GatherElements
shape inference), so ``half=True`` and ``export(format="openvino")`` raised. The int8 variant is ``export(
format="openvino", int8=True, dynamic=True)`` calibrated on coco8-seg **train** (the videos are not used). Agreement
is utils/metrics.py ``agreement`` (same class, box IoU >= 0.5; mask IoU of the pairs) over the first ``--frames``
frames of each shared video; speed is ``model.predict(frame)`` on the people video, ms per frame, median [min..max]
over the repeats, the variants interleaved within each repeat (3 untimed warm-up frames each: a dynamic OpenVINO
model is compiled for a shape at its second frame of it, nn/precision.py ``STATIC_AFTER``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_precision import VIDEOS, frames_of, make_int8_openvino
from common import SHARED, fmt_mmm, fmt_ratio, header, machine_line, table

WARMUP = 3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="yolo26n-seg.pt")
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    from numa_ultralytics import YOLO
    from numa_ultralytics.nn.precision import cpu_has_bf16
    from numa_ultralytics.utils.metrics import agreement

    pt = SHARED / "models" / args.model
    header(f"YOLO26 on OpenVINO: {args.model}, {args.frames} frames per video, {args.repeats} repeats")
    print(machine_line())
    with tempfile.TemporaryDirectory() as tmp:
        int8 = make_int8_openvino(Path(tmp), src=pt)
        vs: list[tuple[str, Path, dict[str, Any]]] = [("fp32", pt, {}), ("openvino-fp32", pt, {"runtime": "openvino"})]
        if cpu_has_bf16():
            vs.append(("bf16", pt, {"half": True}))
        vs.append(("int8-openvino", int8, {}))
        models = {name: (YOLO(str(p)), kw) for name, p, kw in vs}

        rows = []
        for video in VIDEOS:
            frames = frames_of(video, args.frames)
            ref = [models["fp32"][0].predict(f, device="cpu", verbose=False)[0] for f in frames]
            for name, (m, kw) in models.items():
                if name == "fp32":
                    continue
                tot = np.zeros(3, int)
                ious: list[float] = []
                for f, r in zip(frames, ref):
                    o = m.predict(f, device="cpu", verbose=False, **kw)[0]
                    n_ref, n_other, matched, mi = agreement(r, o)
                    tot += (n_ref, n_other, matched)
                    ious += mi
                rows.append(
                    [
                        name,
                        video.stem,
                        tot[0],
                        tot[1],
                        f"{tot[2] / max(tot[0], 1):.4f}",
                        f"{tot[2] / max(tot[1], 1):.4f}",
                        f"{np.mean(ious):.4f}" if ious else "-",
                    ]
                )
        print("\nagreement with fp32 (onnxruntime)")
        print(table(["variant", "video", "fp32 dets", "dets", "fp32 matched", "dets matched", "mean mask IoU"], rows))

        frames = frames_of(VIDEOS[0], args.frames + WARMUP)
        times: dict[str, list[float]] = {name: [] for name in models}
        for _ in range(args.repeats):
            for name, (m, kw) in models.items():
                for f in frames[:WARMUP]:
                    m.predict(f, device="cpu", verbose=False, **kw)
                t0 = time.perf_counter()
                for f in frames[WARMUP:]:
                    m.predict(f, device="cpu", verbose=False, **kw)
                times[name].append((time.perf_counter() - t0) * 1000 / args.frames)
        base = times["fp32"]
        print("\npredict speed, people video (ms per frame; FPS ratio to fp32 per repeat)")
        print(
            table(
                ["variant", "ms/frame", "FPS / fp32"],
                [[name, fmt_mmm(t, 1), fmt_ratio(base, t)] for name, t in times.items()],
            )
        )


if __name__ == "__main__":
    main()
