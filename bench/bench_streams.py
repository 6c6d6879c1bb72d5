"""Throughput of the frame loop: streams batched vs one by one, and the pipelined loop vs the serial one.

1. ``--streams 1 2 4 8``: N copies of a short clip of the people video as a stream list, tracked (BoT-SORT) with
   ``batch=N`` (one ``session.run`` for the N streams' frames) against ``batch=1`` (one run per frame), same run,
   same model. Frames/s counts every stream's frames.
2. ``--pipeline``: ``track(save=True, save_txt=True)`` of the clip, pipelined (decode ahead, GMC beside inference,
   draw + encode behind) against ``pipeline=False``.

Each configuration is timed ``--repeats`` times, interleaved (A, B, A, B, ...), after a warm-up; cells are
``median [min..max]`` frames/s and ratios per repeat.

    .venv/bin/python bench/bench_streams.py --frames 24 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import cv2

from bench.common import MODEL, VIDEO, fmt_mmm, fmt_ratio, machine_line, table


def make_clip(video: Path, frames: int, out: Path) -> str:
    cap = cv2.VideoCapture(str(video))
    ims = [cap.read()[1] for _ in range(frames)]
    cap.release()
    h, w = ims[0].shape[:2]
    vw = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"MJPG"), 25, (w, h))
    for im in ims:
        vw.write(im)
    vw.release()
    return str(out)


def fps_of(fn, n_frames: int) -> float:
    t0 = time.perf_counter()
    got = fn()
    dt = time.perf_counter() - t0
    assert got == n_frames, (got, n_frames)
    return n_frames / dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=MODEL)
    ap.add_argument("--video", type=Path, default=VIDEO)
    ap.add_argument("--frames", type=int, default=24, help="frames per stream")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--streams", type=int, nargs="*", default=[1, 2, 4, 8])
    ap.add_argument("--no-pipeline", action="store_true", help="skip the pipelined-vs-serial part")
    args = ap.parse_args()

    from numa_ultralytics import YOLO

    print(machine_line())
    tmp = Path(tempfile.mkdtemp(prefix="bench-streams-"))
    clip = make_clip(args.video, args.frames, tmp / "clip.avi")
    model = YOLO(str(args.model))
    list(model.predict(clip, stream=True, verbose=False))  # warm-up

    rows = []
    for n in args.streams:
        srcs = [clip] * n

        def run(batch: int, srcs=srcs) -> int:
            source = srcs if len(srcs) > 1 else srcs[0]
            return sum(1 for _ in model.track(source, stream=True, batch=batch, verbose=False))

        one, batched = [], []
        for _ in range(args.repeats):
            one.append(fps_of(lambda: run(1), n * args.frames))
            batched.append(fps_of(lambda n=n: run(n), n * args.frames))
        rows.append([n, fmt_mmm(one, 1), fmt_mmm(batched, 1), fmt_ratio(batched, one)])
        print(f"streams {n}: one by one {fmt_mmm(one, 1)} FPS, batched {fmt_mmm(batched, 1)} FPS", flush=True)
    print()
    print(table(["streams", "batch=1 FPS", "batch=N FPS", "batched/one"], rows))

    if not args.no_pipeline:
        out = tmp / "runs"

        def saved(pipeline: bool) -> int:
            return sum(
                1
                for _ in model.track(
                    clip,
                    stream=True,
                    pipeline=pipeline,
                    save=True,
                    save_txt=True,
                    project=str(out),
                    name="p",
                    exist_ok=True,
                    verbose=False,
                )
            )

        serial, piped = [], []
        for _ in range(args.repeats):
            serial.append(fps_of(lambda: saved(False), args.frames))
            piped.append(fps_of(lambda: saved(True), args.frames))
        print()
        print(
            table(
                ["loop (track + save + save_txt)", "FPS"],
                [["serial (pipeline=False)", fmt_mmm(serial, 1)], ["pipelined", fmt_mmm(piped, 1)]],
            )
        )
        print(f"pipelined/serial: {fmt_ratio(piped, serial)}")
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
