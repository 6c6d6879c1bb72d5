"""Many videos on a Ray cluster: one actor per video at a time, one output folder, complete outputs only.

``track_videos(sources, model=..., ray="local", **track_args)`` (and ``numa-yolo segment track source=DIR ray=...``)
tracks every video of ``sources`` (a folder, a glob, a ``.txt`` list of paths, a list or one file) on Ray
(``pip install "numa_ultralytics[ray]"``):

- ``ray="local"`` starts a local cluster capped to this machine's CPUs (stopped at the end); ``"auto"`` joins the
  running cluster (``ray start --head`` on this machine); ``"host:port"`` or ``"ray://host:port"`` joins that one. A
  process that already called ``ray.init`` keeps its connection (and its cluster) whatever ``ray`` says.
- Each video is tracked end to end by ONE actor holding one loaded model (tracker state is sequential per video:
  a video is never split). Actors number at most the CPUs Ray offers (``cpus_per_worker`` each, which is also the
  actor's ONNX Runtime intra-op thread count and OpenCV thread count, so the actors together use the cores they
  reserved and no more) or, for a GPU ``device`` (or none given) on a cluster with GPUs, at most its GPUs.
- Outputs go to one folder (``<project>/<name>``, default ``runs/<task>/track``, numbered as any run folder:
  ``track-2``, ..., utils/files.py ``increment_path``): ``<stem>/`` per video with the annotated video (``save``), the
  label files (``save_txt``, written by engine/sink.py / engine/results.py as without Ray) and ``tracks.json`` (per
  track: id, class, first/last frame, frames seen; frame numbers as the label files'), and ``summary.json`` for the job.
  A video is written into ``<stem>.partial/`` (engine/sink.py's ``.partial`` naming) and that folder is renamed to
  ``<stem>/`` only when the video is complete: a video's folder is complete or absent, never half-written.
- A worker that dies (killed, out of memory, a crashing decoder) is restarted by Ray and its video retried from the
  start (``max_retries`` times; its ``.partial`` folder is removed first), so there is no duplicate or partial output.
  A video that still fails, or cannot be read, or has no frames, is reported in the summary and the job goes on.
- One progress bar over frames (utils/progress.py; the video count in its description) and a :class:`Summary`:
  videos, frames, FPS per worker, failures with reasons.
- SIGINT/SIGTERM (utils/signals.py): the actors are stopped, the videos in progress removed (their ``.partial``
  folders), the finished ones kept and the summary written; then ``KeyboardInterrupt`` / ``SystemExit(143)`` (the
  command line: exit 130 / 143).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import socket
import sys
import time
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from numa_ultralytics.data.sources import VID_FORMATS
from numa_ultralytics.engine.sink import _partial, _write_complete, stem_of
from numa_ultralytics.utils.args import TASK2MODEL
from numa_ultralytics.utils.files import increment_path
from numa_ultralytics.utils.signals import SIGNALS, stop_on_signals

__all__ = ["RAY_INSTALL_HINT", "Summary", "VideoResult", "check_ray_address", "track_one", "track_videos"]

RAY_INSTALL_HINT = 'Ray is not installed; install the extra: pip install "numa_ultralytics[ray]"'
TRACKS_JSON = "tracks.json"
SUMMARY_JSON = "summary.json"
DEFAULT_MAX_RETRIES = 2  # a dead worker's video is tried at most 1 + this many times
POLL_S = 0.25  # progress refresh while waiting on the workers
KILL_WAIT_S = 60.0  # at most this long for killed actors to be gone before their .partial folders are removed
# track() arguments the job owns: each video's run folder is its ``.partial`` folder, no window, no log lines
_OWNED = ("project", "name", "exist_ok", "show", "stream", "verbose", "source", "persist")


def import_ray() -> Any:
    """``import ray``, or an ``ImportError`` naming the extra to install."""
    try:
        import ray
    except ImportError as e:
        raise ImportError(RAY_INSTALL_HINT) from e
    return ray


def check_ray_address(key: str, value: Any) -> str:
    """``local``, ``auto``, ``host:port`` or ``ray://host:port`` (a ``ValueError`` naming ``key`` otherwise)."""
    s = str(value).strip() if isinstance(value, (str, os.PathLike)) else ""
    if s.lower() in ("local", "auto"):
        return s.lower()
    if s.startswith("ray://") or (":" in s and s.rsplit(":", 1)[1].isdigit() and s.rsplit(":", 1)[0]):
        return s
    raise ValueError(f"{key}={value!r}: expected local, auto, host:port or ray://host:port")


def video_list(source: str | os.PathLike | Iterable[str | os.PathLike]) -> list[str]:
    """``sources`` -> video paths in order: a folder (its video files, sorted), a glob, a ``.txt`` list (one path a
    line, ``#`` comments), a list, or one file. Files are not opened here: an unreadable one is a failed video in
    the summary, not a failed job."""
    import glob as globlib

    if isinstance(source, (str, os.PathLike)):
        s = os.path.expanduser(os.fspath(source).strip())
        if any(c in s for c in "*?["):
            files = sorted(f for f in globlib.glob(s, recursive=True) if os.path.isfile(f))
            videos = [f for f in files if Path(f).suffix[1:].lower() in VID_FORMATS]
            if not videos:
                raise FileNotFoundError(f"no video files match {s}")
            return videos
        if os.path.isdir(s):
            videos = sorted(
                os.path.join(s, f) for f in os.listdir(s) if Path(f).suffix[1:].lower() in VID_FORMATS and "." in f
            )
            if not videos:
                raise ValueError(f"no video files in folder {s} (video suffixes: {sorted(VID_FORMATS)})")
            return videos
        if s.lower().endswith(".txt"):
            if not os.path.isfile(s):
                raise FileNotFoundError(f"video list not found: {s}")
            lines = [ln.strip() for ln in Path(s).read_text(encoding="utf-8-sig").splitlines()]
            videos = [ln for ln in lines if ln and not ln.startswith("#")]
            if not videos:
                raise ValueError(f"no videos listed in {s}")
            return videos
        if not os.path.exists(s):
            raise FileNotFoundError(f"source not found: {s}")
        return [s]
    videos = [os.fspath(v) for v in source]
    if not videos:
        raise ValueError("source is an empty list")
    return videos


def _stems(videos: list[str]) -> list[str]:
    """One output folder name per video: its stem, ``<stem>_2``, ``<stem>_3``, ... for repeated stems."""
    taken: set[str] = set()
    out = []
    for v in videos:
        base = stem = stem_of(v)
        n = 2
        while stem in taken:
            stem = f"{base}_{n}"
            n += 1
        taken.add(stem)
        out.append(stem)
    return out


# ---------------------------------------------------------------------------------------------------------------------
# one video, in whichever process holds the model


def track_one(
    model: Any,
    source: str,
    out_dir: str | os.PathLike,
    stem: str,
    track_args: dict[str, Any],
    on_frame: Callable[[str, int], None] | None = None,
    job: str = "",
) -> dict[str, Any]:
    """Track ``source`` end to end with ``model`` (a :class:`~numa_ultralytics.YOLO`) into ``out_dir/<stem>/``.

    Everything is written into ``out_dir/<stem>.partial/`` first (removed if a previous attempt left it), which is
    renamed to ``out_dir/<stem>/`` once the video is complete; on any error it is removed. ``on_frame(source, n)`` is
    called after each frame (``n``: the label files' 1-based frame number). Returns ``{"frames", "seconds",
    "tracks"}``; ``job`` is recorded in ``tracks.json``. Raises ``ValueError`` for a video without frames, and
    whatever reading or tracking raises."""
    out_dir = Path(out_dir)
    final = out_dir / stem
    tmp = _partial(final)
    if tmp.exists():  # a dead attempt's remains
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    args = {k: v for k, v in track_args.items() if k not in _OWNED}
    stride = int(args.get("vid_stride", 1) or 1)
    tracks: dict[int, dict[str, Any]] = {}
    frames = 0
    t0 = time.perf_counter()
    try:
        gen = model.track(
            source, stream=True, project=str(out_dir), name=tmp.name, exist_ok=True, verbose=False, **args
        )
        for r in gen:
            n = r.source_item.frame // stride + 1 if r.source_item is not None else frames + 1
            frames += 1
            boxes = r.boxes
            if boxes is not None and boxes.is_track and len(boxes):
                ids = np.asarray(boxes.id).astype(int).tolist()
                for tid, c in zip(ids, np.asarray(boxes.cls).astype(int).tolist()):
                    t = tracks.get(tid)
                    if t is None:
                        tracks[tid] = t = {"id": tid, "classes": {}, "first_frame": n, "last_frame": n, "frames": 0}
                    t["last_frame"] = n
                    t["frames"] += 1
                    t["classes"][c] = t["classes"].get(c, 0) + 1
            if on_frame is not None:
                on_frame(source, n)
        seconds = time.perf_counter() - t0
        if frames == 0:
            raise ValueError(f"no frames could be read from {source}")
        names = model.names
        rows = []
        for t in sorted(tracks.values(), key=lambda t: t["id"]):
            cls = max(t["classes"], key=lambda c: (t["classes"][c], -c))  # the class seen most often
            rows.append(
                {
                    "id": t["id"],
                    "class": cls,
                    "name": names.get(cls, str(cls)),
                    "first_frame": t["first_frame"],
                    "last_frame": t["last_frame"],
                    "frames": t["frames"],
                }
            )
        doc = {"source": source, "frames": frames, "vid_stride": stride, "job": job, "tracks": rows}
        (tmp / TRACKS_JSON).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        if final.exists():  # exist_ok=True over an earlier job: replace the video's folder
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {"frames": frames, "seconds": seconds, "tracks": len(rows)}


# ---------------------------------------------------------------------------------------------------------------------
# the actors (wrapped by ray.remote when a job starts, so that importing this module needs no Ray)


def _rss_mb() -> float:
    """This process's peak resident memory (MB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


class _Worker:
    """One Ray actor: one loaded model, one video at a time."""

    def __init__(self, slot: int, model: str, threads: int, device: Any) -> None:
        import cv2

        from numa_ultralytics.engine.model import YOLO

        cv2.setNumThreads(threads)
        self.slot = slot
        self.model = YOLO(model, threads=threads)
        self.device = device
        self.rss_model_mb = _rss_mb()

    def run(
        self,
        index: int,
        source: str,
        out_dir: str,
        stem: str,
        track_args: dict[str, Any],
        progress: Any,
        on_frame: Callable[[str, int], None] | None,
        job: str,
    ) -> dict[str, Any]:
        progress.start.remote(index, self.slot, os.getpid())

        def frame(src: str, n: int) -> None:
            progress.add.remote(index)
            if on_frame is not None:
                on_frame(src, n)

        res: dict[str, Any] = {"worker": self.slot, "pid": os.getpid(), "host": socket.gethostname()}
        t0 = time.perf_counter()
        try:
            args = {**track_args, "device": self.device}
            res.update(track_one(self.model, source, out_dir, stem, args, frame, job))
            res["ok"] = True
        except Exception as e:  # noqa: BLE001 (a bad video is reported, the job goes on)
            res.update(ok=False, error=f"{type(e).__name__}: {e}", seconds=time.perf_counter() - t0)
        res["rss_mb"] = _rss_mb()
        res["rss_model_mb"] = self.rss_model_mb
        return res


class _Progress:
    """Frames done per video and attempts per video, reported by the workers (fire and forget), read by the driver."""

    def __init__(self) -> None:
        self.frames: dict[int, int] = {}
        self.attempts: dict[int, int] = {}
        self.pids: dict[int, int] = {}

    def start(self, index: int, slot: int, pid: int) -> None:
        self.frames[index] = 0
        self.attempts[index] = self.attempts.get(index, 0) + 1
        self.pids[slot] = pid

    def add(self, index: int) -> None:
        self.frames[index] = self.frames.get(index, 0) + 1

    def snapshot(self) -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
        return dict(self.frames), dict(self.attempts), dict(self.pids)


# ---------------------------------------------------------------------------------------------------------------------
# the summary


@dataclass
class VideoResult:
    """One video's outcome."""

    source: str
    stem: str
    ok: bool = False
    frames: int = 0
    seconds: float = 0.0
    tracks: int = 0
    worker: int | None = None
    attempts: int = 0
    error: str = ""
    rss_mb: float = 0.0
    output: str = ""

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


@dataclass
class WorkerStats:
    """One worker slot (an actor and its restarts): videos, frames, busy seconds, peak memory."""

    videos: int = 0
    frames: int = 0
    seconds: float = 0.0
    rss_mb: float = 0.0
    rss_model_mb: float = 0.0

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Summary:
    """What a job did: per video, per worker, in all."""

    save_dir: Path
    videos: list[VideoResult]
    workers: dict[int, WorkerStats] = field(default_factory=dict)
    wall: float = 0.0
    threads: int = 1

    @property
    def frames(self) -> int:
        return sum(v.frames for v in self.videos if v.ok)

    @property
    def failures(self) -> list[VideoResult]:
        return [v for v in self.videos if not v.ok]

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def fps(self) -> float:
        return self.frames / self.wall if self.wall > 0 else 0.0

    def lines(self) -> list[str]:
        done = len(self.videos) - len(self.failures)
        out = [
            f"Ray: {done}/{len(self.videos)} videos, {self.frames} frames in {self.wall:.1f}s ({self.fps:.1f} FPS) "
            f"on {len(self.workers)} workers x {self.threads} threads"
        ]
        for slot, w in sorted(self.workers.items()):
            out.append(
                f"  worker {slot}: {w.videos} videos, {w.frames} frames, {w.fps:.1f} FPS, peak RSS {w.rss_mb:.0f} MB"
            )
        for v in self.videos:
            if v.ok and v.attempts > 1:
                out.append(f"  {v.source}: done on attempt {v.attempts} (a worker died)")
        for v in self.failures:
            out.append(f"  FAILED {v.source}: {v.error}")
        out.append(f"Results saved to {self.save_dir}")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def to_dict(self) -> dict[str, Any]:
        return {
            "save_dir": str(self.save_dir),
            "wall_s": self.wall,
            "frames": self.frames,
            "fps": self.fps,
            "threads": self.threads,
            "videos": [asdict(v) | {"fps": v.fps} for v in self.videos],
            "workers": {str(k): asdict(w) | {"fps": w.fps} for k, w in sorted(self.workers.items())},
            "failures": [{"source": v.source, "error": v.error} for v in self.failures],
        }


# ---------------------------------------------------------------------------------------------------------------------
# the job


@contextlib.contextmanager
def _connected(ray: Any, address: str) -> Any:
    """Connect to (or start) the cluster ``address`` names; disconnect (and stop a local one) at the end. An existing
    ``ray.init`` connection is used as it is and left open."""
    if ray.is_initialized():
        yield
        return
    handlers = {s: signal.getsignal(s) for s in SIGNALS}
    if address == "local":
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        ray.init(num_cpus=cpus or 1, include_dashboard=False, configure_logging=False)
    else:
        ray.init(address=address, configure_logging=False)
    for s, h in handlers.items():  # ray.init installs its own SIGTERM handler; the stop policy is utils/signals.py's
        if h is not None:
            signal.signal(s, h)
    try:
        yield
    finally:
        ray.shutdown()


def _plan(ray: Any, n_videos: int, workers: int | None, device: Any) -> tuple[int, int, float, Any]:
    """(actors, threads per actor, GPUs per actor, device) from what the cluster offers."""
    res = ray.cluster_resources()
    cpus = int(res.get("CPU", 0))
    gpus = int(res.get("GPU", 0))
    use_gpu = gpus > 0 and (device is None or str(device).lower() != "cpu")
    cap = gpus if use_gpu else max(cpus, 1)
    if workers is not None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers={workers!r}: expected an integer >= 1")
        if workers > cap:
            raise ValueError(f"workers={workers} but the cluster offers {cap} {'GPUs' if use_gpu else 'CPUs'}")
    n = min(workers or cap, n_videos)
    threads = max(cpus // max(n, 1), 1)
    # an actor sees only the GPU Ray gave it (CUDA_VISIBLE_DEVICES), as device 0
    return n, threads, (1.0 if use_gpu else 0.0), (0 if use_gpu else "cpu")


def track_videos(
    source: str | os.PathLike | Iterable[str | os.PathLike],
    model: str | os.PathLike = TASK2MODEL["segment"],
    ray: str = "local",
    workers: int | None = None,
    max_retries: int = DEFAULT_MAX_RETRIES,
    project: str | os.PathLike | None = None,
    name: str | None = None,
    exist_ok: bool = False,
    progress: bool | None = None,
    on_frame: Callable[[str, int], None] | None = None,
    **track_args: Any,
) -> Summary:
    """Track every video of ``source`` on Ray (see the module doc); returns the :class:`Summary` (also written to
    ``<save_dir>/summary.json``).

    Args:
        source: a folder, a glob, a ``.txt`` list, a list of paths or one video.
        model: weights as for :class:`~numa_ultralytics.YOLO` (resolved once here; workers load the ONNX file, which
            every node must be able to read, as the output folder).
        ray: ``"local"``, ``"auto"``, ``"host:port"`` or ``"ray://host:port"``.
        workers: actors (default: one per CPU, or per GPU, the cluster offers; never more than the videos).
        max_retries: times a video is retried after its worker died.
        project, name, exist_ok: the output folder, as for ``track(save=True)`` (default ``runs/<task>/track``).
        progress: draw the progress bar (None: on a terminal; plain lines otherwise; False: quiet).
        on_frame: ``on_frame(source, n)`` called in the worker after each frame (it must be picklable).
        **track_args: ``model.track`` arguments (``tracker``, ``conf``, ``imgsz``, ``save``, ``save_txt``,
            ``vid_stride``, ``device``, ...), checked here before anything starts.
    """
    from numa_ultralytics.engine.model import YOLO
    from numa_ultralytics.trackers import load_tracker_config
    from numa_ultralytics.utils.args import check_args, with_overrides
    from numa_ultralytics.utils.progress import ProgressBar

    address = check_ray_address("ray", ray)
    ray_mod = import_ray()
    owned = sorted(set(track_args) & set(_OWNED))
    if owned:
        raise TypeError(f"{owned[0]} is set by track_videos (each video's own folder), not a track argument here")
    tracker = track_args.pop("tracker", "botsort.yaml")
    load_tracker_config(tracker)  # a bad tracker file fails now, not in every worker
    asked = dict(track_args)
    track_args = {**check_args({**asked, "verbose": False}, "track"), "tracker": tracker}
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ValueError(f"max_retries={max_retries!r}: expected an integer >= 0")
    videos = video_list(source)
    stems = _stems(videos)
    probe = YOLO(model, threads=1)  # resolves downloads / .pt conversion once, and fails early on a bad model
    # the model's overrides (a .pt's training imgsz) as model.track applies them: the workers load the ONNX
    track_args = {**check_args({**with_overrides(probe.overrides, asked, "track"), "verbose": False}, "track")}
    track_args["tracker"] = tracker
    # a .pt: the graph of the head track_args' nms picks (engine/model.py _pt_graph), the workers' ONNX
    model_path = str(probe._pt_graph(track_args["nms"]) if probe._pt_graphs else probe.backend.path)
    task = probe.task
    del probe
    save_dir = increment_path((Path(project) if project else Path("runs") / task) / (name or "track"), exist_ok)
    save_dir.mkdir(parents=True, exist_ok=True)
    save_dir = save_dir.resolve()
    results = [VideoResult(source=v, stem=s) for v, s in zip(videos, stems)]
    job = uuid.uuid4().hex  # marks this job's tracks.json files

    t_start = time.perf_counter()
    with _connected(ray_mod, address):
        n_workers, threads, gpus, device = _plan(ray_mod, len(videos), workers, track_args["device"])
        worker_cls = ray_mod.remote(
            num_cpus=threads if not gpus else 1,
            num_gpus=gpus,
            max_restarts=max_retries,
            max_task_retries=max_retries,
        )(_Worker)
        prog = ray_mod.remote(num_cpus=0)(_Progress).remote()

        def new_actor(slot: int) -> Any:
            return worker_cls.remote(slot, model_path, threads, device)

        actors = [new_actor(i) for i in range(n_workers)]
        stats = {i: WorkerStats() for i in range(n_workers)}
        pending = deque(range(len(videos)))
        inflight: dict[Any, tuple[int, int]] = {}

        def submit(slot: int) -> None:
            if pending:
                i = pending.popleft()
                ref = actors[slot].run.remote(i, videos[i], str(save_dir), stems[i], track_args, prog, on_frame, job)
                inflight[ref] = (slot, i)

        total = sum(_frame_count(v, int(track_args["vid_stride"])) for v in videos) or None
        bar = ProgressBar(total, desc=f"0/{len(videos)} videos ", unit="frame", enabled=progress)
        best: dict[int, int] = {}
        shown = 0
        finished = 0
        attempts: dict[int, int] = {}
        scope = contextlib.ExitStack()
        stop = scope.enter_context(stop_on_signals())  # SIGINT/SIGTERM: stop the actors, keep the videos done
        try:
            for slot in range(n_workers):
                submit(slot)
            while inflight and not stop.requested:
                ready, _ = ray_mod.wait(list(inflight), num_returns=1, timeout=POLL_S)
                frames, attempts, _pids = ray_mod.get(prog.snapshot.remote())
                for ref in ready:
                    slot, i = inflight.pop(ref)
                    v = results[i]
                    try:
                        res = ray_mod.get(ref)
                    except ray_mod.exceptions.RayActorError as e:  # died more than max_retries times
                        res = {"ok": False, "worker": slot, "error": f"worker died: {_first_line(e)}"}
                        with contextlib.suppress(Exception):
                            ray_mod.kill(actors[slot])
                        actors[slot] = new_actor(slot)  # a fresh actor for the videos left
                    except ray_mod.exceptions.RayError as e:
                        res = {"ok": False, "worker": slot, "error": _first_line(e)}
                    v.ok = bool(res.get("ok"))
                    v.worker = res.get("worker", slot)
                    v.attempts = attempts.get(i, 1)
                    v.error = res.get("error", "")
                    v.seconds = float(res.get("seconds", 0.0))
                    v.rss_mb = float(res.get("rss_mb", 0.0))
                    if v.ok:
                        v.frames = int(res["frames"])
                        v.tracks = int(res["tracks"])
                        v.output = str(save_dir / v.stem)
                        w = stats[slot]
                        w.videos += 1
                        w.frames += v.frames
                        w.seconds += v.seconds
                    else:
                        shutil.rmtree(_partial(save_dir / v.stem), ignore_errors=True)
                    stats[slot].rss_mb = max(stats[slot].rss_mb, v.rss_mb)
                    stats[slot].rss_model_mb = max(stats[slot].rss_model_mb, float(res.get("rss_model_mb", 0.0)))
                    best[i] = v.frames if v.ok else best.get(i, 0)
                    finished += 1
                    submit(slot)
                for i, n in frames.items():
                    if not results[i].ok:
                        best[i] = max(best.get(i, 0), n)
                now = sum(best.values())
                bar.desc = f"{finished}/{len(videos)} videos "
                if now > shown or ready:
                    bar.update(max(now - shown, 0))
                    shown = max(now, shown)
        finally:
            bar.close()
            for a in actors:
                with contextlib.suppress(Exception):
                    ray_mod.kill(a)
            if inflight:  # ray.kill returns at once: a killed actor's task resolves (with its error) only when the
                # actor is gone; until then it may still be writing (or just starting) its .partial folder
                with contextlib.suppress(Exception):
                    ray_mod.wait(list(inflight), num_returns=len(inflight), timeout=KILL_WAIT_S)
            for slot, i in inflight.values():  # interrupted: no half-written video stays behind
                shutil.rmtree(_partial(save_dir / stems[i]), ignore_errors=True)
                done = _completed(save_dir / stems[i], job)  # renamed into place before its result came back
                if done is not None:
                    v = results[i]
                    v.ok, v.worker, v.attempts, v.output = True, slot, attempts.get(i, 1), str(save_dir / v.stem)
                    v.frames, v.tracks = int(done["frames"]), len(done["tracks"])
            scope.close()
        wall = time.perf_counter() - t_start  # the job, without the cluster's shutdown
    for v in results:
        if stop.requested and not v.ok and not v.error:
            v.error = f"not done: stopped by {stop.name}"
            with contextlib.suppress(Exception):
                ray_mod.kill(prog)
    summary = Summary(save_dir, results, stats, wall, threads)
    _write_complete(save_dir / SUMMARY_JSON, (json.dumps(summary.to_dict(), indent=1) + "\n").encode())
    if stop.requested and stop.owner:
        print(summary, file=sys.stderr)
        stop.raise_stop()
    return summary


def _completed(folder: Path, job: str) -> dict[str, Any] | None:
    """The ``tracks.json`` of ``folder`` when this ``job`` completed it, else None."""
    try:
        doc = json.loads((folder / TRACKS_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("job") == job else None


def _frame_count(path: str, stride: int) -> int:
    """Frames a video will give with ``vid_stride`` (its header's count; 0 when unknown or unreadable)."""
    import cv2

    cap = cv2.VideoCapture(path)
    try:
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if cap.isOpened() else 0
    finally:
        cap.release()
    return -(-max(n, 0) // stride)


def _first_line(e: BaseException) -> str:
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    return f"{type(e).__name__}: {lines[0] if lines else ''}"
