"""Ray scale-out (engine/distributed.py): the same videos tracked by the plain command line (one process, one video
after another, ONNX Runtime on every core) and on a local Ray cluster with 1 worker (2 intra-op threads) and 2 workers
(1 thread each), in the same run.

    .venv/bin/python bench/bench_ray.py                    # the 3 shared videos, imgsz 640 (~4-5 min on 2 cores)
    .venv/bin/python bench/bench_ray.py --frames 60 --repeats 2

Each configuration tracks every video with ``save=True save_txt=True`` into its own folder. Wall time is the whole
job: for the CLI its process (start, model load, all videos); for Ray the ``track_videos`` call on an already started
cluster (actor start and model load included; the cluster's own start is printed apart). Per worker: frames, busy
FPS and peak RSS (``ru_maxrss`` of the actor process; the CLI: of its process). ``uptime`` load before and after.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import MODEL, REPO, SHARED, header, machine_line, table

VIDEOS = ("seeed_people-walking.mp4", "intel_car-detection.mp4", "mmtracking_demo.mp4")


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def cut(src: Path, dst: Path, frames: int) -> int:
    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    wr = None
    n = 0
    while n < frames:
        ok, f = cap.read()
        if not ok:
            break
        if wr is None:
            h, w = f.shape[:2]
            wr = cv2.VideoWriter(str(dst), cv2.VideoWriter.fourcc(*"MJPG"), fps, (w, h))
        wr.write(f)
        n += 1
    cap.release()
    if wr is not None:
        wr.release()
    return n


def count(p: Path, stride: int) -> int:
    cap = cv2.VideoCapture(str(p))
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    return -(-n // stride)


def run_cli(src: Path, out: Path, imgsz: int, stride: int) -> tuple[float, float]:
    """(wall s, peak RSS MB of the CLI process)."""
    cmd = [sys.executable, "-m", "numa_ultralytics", "segment", "track", f"source={src}", f"model={MODEL}"]
    cmd += [f"imgsz={imgsz}", f"vid_stride={stride}", "save=True", "save_txt=True", f"project={out}", "verbose=False"]
    env = {**os.environ, "PYTHONPATH": str(REPO / "python")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest child so far
    return wall, (after if after > before else before) / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=0, help="cut each video to its first N frames (0: whole videos)")
    ap.add_argument("--imgsz", type=int, default=640)
    ap.add_argument("--vid-stride", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=1)
    a = ap.parse_args()

    import ray

    from numa_ultralytics import track_videos

    tmp = Path(tempfile.mkdtemp(prefix="bench_ray_"))
    src = tmp / "videos"
    src.mkdir()
    for v in VIDEOS:
        p = SHARED / "media" / "videos" / v
        if a.frames:
            cut(p, src / f"{p.stem}.avi", a.frames)
        else:
            os.symlink(p, src / v)
    frames = sum(count(p, a.vid_stride) for p in sorted(src.iterdir()))
    header("Ray scale-out: plain CLI vs Ray with 1 and 2 workers")
    print(machine_line())
    print(f"uptime before: {uptime()}")
    print(f"{len(VIDEOS)} videos, {frames} frames (vid_stride {a.vid_stride}), imgsz {a.imgsz}, model {MODEL.name}")

    cpus = os.cpu_count() or 1
    t0 = time.perf_counter()
    ray.init(num_cpus=cpus, include_dashboard=False, configure_logging=False, log_to_driver=False)
    print(f"local Ray cluster ({cpus} CPUs) started in {time.perf_counter() - t0:.1f}s")
    rows = []
    try:
        for rep in range(a.repeats):
            wall, rss = run_cli(src, tmp / f"cli{rep}", a.imgsz, a.vid_stride)
            rows.append(["plain CLI", "1 process", f"{wall:.1f}", f"{frames / wall:.2f}", "-", f"{rss:.0f}"])
            for workers in (1, 2):
                if workers > cpus:
                    continue
                s = track_videos(
                    str(src),
                    model=MODEL,
                    ray="auto",
                    workers=workers,
                    project=tmp / f"ray{workers}_{rep}",
                    imgsz=a.imgsz,
                    vid_stride=a.vid_stride,
                    save=True,
                    save_txt=True,
                    progress=False,
                )
                assert s.ok, s.failures
                per = ", ".join(
                    f"w{k}: {w.videos} vid {w.frames} fr {w.fps:.2f} FPS" for k, w in sorted(s.workers.items())
                )
                rss = ", ".join(f"{w.rss_mb:.0f} (model {w.rss_model_mb:.0f})" for _, w in sorted(s.workers.items()))
                rows.append(
                    [f"Ray {workers} worker(s)", f"{workers} x {s.threads} threads", f"{s.wall:.1f}",
                     f"{s.frames / s.wall:.2f}", per, rss]
                )  # fmt: skip
    finally:
        ray.shutdown()
    print(table(["run", "layout", "wall s", "FPS (job)", "per worker (busy FPS)", "peak RSS MB per process"], rows))
    print(f"uptime after: {uptime()}")
    du = subprocess.run(["du", "-sh", str(tmp)], capture_output=True, text=True, check=False).stdout.split()[0]
    print(f"outputs (all runs): {du}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
