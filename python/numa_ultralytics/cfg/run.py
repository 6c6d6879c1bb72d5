"""Running a parsed ``numa-yolo`` command (cfg/parsing.py ``parse_args``): ``predict`` / ``track`` frame by frame
with the progress bar and the per-stage speed summary, ``track ... ray=`` on Ray, ``export``. Exit codes as
cfg/__init__.py says."""

from __future__ import annotations

import contextlib
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any, TextIO

from numa_ultralytics.cfg.common import CLIError
from numa_ultralytics.cfg.parsing import EXPORT_KEYS, MODEL_KEYS, _invalid
from numa_ultralytics.data.loaders import load_inference_source
from numa_ultralytics.data.sources import VID_FORMATS
from numa_ultralytics.engine.model import YOLO
from numa_ultralytics.engine.sink import SpeedTotals, saved_line, stem_of
from numa_ultralytics.utils.args import ArgError, default_model
from numa_ultralytics.utils.display import check_imshow
from numa_ultralytics.utils.progress import ProgressBar
from numa_ultralytics.utils.signals import StopScope, stop_on_signals

__all__ = ["run"]

SPEED_LAG = 64  # frames (see the speed totals in _run)
STAGES = ("preprocess", "inference", "postprocess", "tracking", "drawing", "writing")


def run(task: str | None, mode: str, args: dict[str, Any], given: set[str], out: TextIO = sys.stdout) -> int:
    """Run ``mode`` with parsed ``args``; returns the exit code. Drawing and writing happen in the engine's sink.

    predict/track run under utils/signals.py's stop policy: SIGINT/SIGTERM finish the frame in hand, close the
    outputs, print where they are and return 130/143."""
    if mode == "export":
        return _export(task, args, given)
    if args["ray"] is not None:
        return _run_ray(task, args, out)
    with stop_on_signals() as stop:
        return _run_frames(task, mode, args, out, stop)


def _run_frames(task: str | None, mode: str, args: dict[str, Any], out: TextIO, stop: StopScope) -> int:
    verbose = args["verbose"]
    model_name = args["model"] or default_model(task)
    # ---- setup: anything failing here is a bad argument (exit 2)
    try:
        src = load_inference_source(
            args["source"],
            vid_stride=args["vid_stride"],
            stream_buffer=args["stream_buffer"],
            reconnect_timeout=args["reconnect_timeout"],
        )
    except (FileNotFoundError, ValueError, TypeError) as e:
        raise CLIError(f"source={args['source']}: {e}", "source") from e
    try:
        model = YOLO(model_name)
    except (FileNotFoundError, ValueError, TypeError, OSError) as e:
        src.close()
        raise CLIError(f"model={model_name}: {e}", "model") from e
    if task is not None and task != model.task:  # as Ultralytics: the model's task wins
        print(
            f"WARNING: conflicting 'task={task}' passed with 'task={model.task}' model. "
            f"Ignoring 'task={task}' and updating to 'task={model.task}' to match model.",
            file=sys.stderr,
        )

    kw = {k: args[k] for k in MODEL_KEYS}
    try:
        if mode == "track":
            gen = model.track(src, stream=True, persist=args["persist"], tracker=args["tracker"], verbose=False, **kw)
        else:
            gen = model.predict(src, stream=True, verbose=False, **kw)
    except (ValueError, TypeError, FileNotFoundError) as e:
        src.close()
        raise CLIError(str(e), getattr(e, "key", None)) from e

    speed = SpeedTotals()
    # the pipelined loop fills a frame's drawing/writing times when its sink worker is done with it: frames are added
    # to the totals once SPEED_LAG later frames came out (the worker's queue is far shorter), the rest at the end
    lagging: deque[dict[str, Any]] = deque()
    save_dir = None
    bar: ProgressBar | None = None
    t_start = time.perf_counter()
    code = 0
    first = True
    try:
        while True:
            try:
                r = next(gen)
            except StopIteration:
                if bar is not None and not stop.requested:
                    bar.finish()
                break
            except (ValueError, TypeError, FileNotFoundError) as e:
                if first:  # bad device, tracker file, ... found when the engine starts
                    raise CLIError(str(e), getattr(e, "key", None)) from e
                raise
            first = False
            item = r.source_item
            lagging.append(r.speed)
            if len(lagging) > SPEED_LAG:
                speed.add(lagging.popleft(), STAGES)
            save_dir = r.save_dir
            if bar is None:
                total = None
                if src.kind == "video" and item.frames:
                    total = item.frames // args["vid_stride"]
                elif src.kind in ("image", "files", "array") and all(
                    Path(s).suffix[1:].lower() not in VID_FORMATS for s in src.sources
                ):
                    total = len(src.sources)
                desc = f"{stem_of(item.path)} " if src.kind == "video" else ""
                bar = ProgressBar(total, desc=desc, unit="frame", enabled=None if verbose else False, start=t_start)
            if verbose and not bar.enabled and item.frames == 1 and item.fps is None:
                print(
                    f"image {speed.n + len(lagging)} {item.path}: {r.verbose()}{r.speed.get('inference', 0.0):.1f}ms",
                    file=out,
                )
            bar.update(1)
            if stop.requested:  # the engine stops too; don't wait for it to notice
                break
    except KeyboardInterrupt:  # a Ctrl-C before the handlers were in place
        code = 130
    finally:
        if bar is not None:
            bar.close()
        gen.close()  # the sink closes its writers
        src.close()
        while lagging:
            speed.add(lagging.popleft(), STAGES)
        if args["show"] and check_imshow():
            import cv2

            with contextlib.suppress(cv2.error):
                cv2.destroyAllWindows()
    wall = time.perf_counter() - t_start
    if verbose:
        if speed.n:
            print(speed.per_frame(tuple(s for s in STAGES if s != "tracking" or mode == "track"), wall), file=out)
        else:
            print("no frames were read from the source", file=out)
        if save_dir is not None and not stop.requested:
            print(saved_line(save_dir, bool(args["save_txt"])), file=out)
    if stop.requested:
        where = f"; results saved to {save_dir}" if save_dir is not None else ""
        print(f"{stop.name}: stopped after {speed.n} frames{where}", file=sys.stderr)
        return stop.exit_code
    return code


def _run_ray(task: str | None, args: dict[str, Any], out: TextIO) -> int:
    """``track ... ray=ADDRESS``: every video of ``source`` on Ray (engine/distributed.py), the progress bar, then the
    job's summary. Exit 0 when every video was tracked, 1 when some failed (listed with their reasons), 130 / 143 on
    SIGINT / SIGTERM (the finished videos are kept, the ones in progress removed)."""
    from numa_ultralytics.engine.distributed import import_ray, track_videos

    try:
        import_ray()
    except ImportError as e:
        raise CLIError(str(e), "ray") from e
    model_name = args["model"] or default_model(task)
    kw = {k: args[k] for k in MODEL_KEYS if k not in ("project", "name", "exist_ok", "show")}
    with stop_on_signals() as stop:  # the job stops its actors and keeps the finished videos
        try:
            summary = track_videos(
                args["source"],
                model=model_name,
                ray=args["ray"],
                workers=args["workers"],
                project=args["project"],
                name=args["name"],
                exist_ok=args["exist_ok"],
                progress=None if args["verbose"] else False,
                tracker=args["tracker"],
                **kw,
            )
        except (ValueError, TypeError, FileNotFoundError) as e:  # bad source, model, tracker, workers: before any work
            raise CLIError(str(e), getattr(e, "key", None)) from e
    print(summary, file=out)
    if stop.requested:
        return stop.exit_code
    return 0 if summary.ok else 1


def _export(task: str | None, args: dict[str, Any], given: set[str]) -> int:
    """``numa-yolo export``: ``YOLO(model).export(...)`` with the given keys (engine/exporter.py); exit 2 names the
    key of a bad argument (a missing model or an ONNX model: ``model``)."""
    model_name = args["model"] or default_model(task)
    try:
        model = YOLO(model_name, task=task)
    except (FileNotFoundError, ValueError, TypeError, OSError) as e:
        raise CLIError(f"model={model_name}: {e}", "model") from e
    kw = {k: args[k] for k in sorted(given) if k in EXPORT_KEYS and k != "model"}
    try:
        model.export(**kw)
    except ArgError as e:
        raise _invalid(e.key, str(e.value), e.allowed) from e
    except (TypeError, FileNotFoundError, NotImplementedError) as e:  # e.g. an ONNX model: nothing to export from
        raise CLIError(f"model={model_name}: {e}", "model") from e
    return 0
