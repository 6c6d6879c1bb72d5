"""The ``numa-yolo`` command line, with Ultralytics syntax.

    numa-yolo [TASK] MODE key=value ...

    numa-yolo segment predict model=yolo11n-seg.pt source=video.mp4 save=True
    numa-yolo segment track model=yolo11n-seg.pt source=video.mp4 tracker=bytetrack.yaml save=True save_txt=True

TASK is ``segment`` or ``detect`` (default: the model's); MODE is ``predict``, ``track`` or ``export``
(``numa-yolo export model=yolo11n-seg.pt format=onnx imgsz=640 dynamic=True``: engine/exporter.py). This module
parses the arguments (converting strings to values, checked by utils/args.py's validators), then runs
``model.predict(...)`` / ``model.track(..., stream=True)``, which write the run folder (engine/sink.py: annotated
videos and images drawn as ``Results.plot()`` (``plot_style=outlines``: the seed's look), YOLO-format label files
(``txt_format=mot``: MOT-style ones)), and shows a progress bar (plain lines every few seconds when the output is not a
terminal) and the per-stage speed summary. A TASK other than the model's warns and runs the model's task.

Exit codes: 0 done, 1 failure while running, 2 bad arguments (one line on stderr naming the key and what it allows),
130 interrupted by SIGINT (Ctrl-C), 143 stopped by SIGTERM: the frame in hand is finished and the video and label files
are closed first (utils/signals.py); a second signal exits at once.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import sys
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TextIO

from numa_ultralytics.cfg.common import CLIError, _merge_equals
from numa_ultralytics.data.loaders import VID_FORMATS, load_inference_source
from numa_ultralytics.engine.model import YOLO
from numa_ultralytics.engine.sink import SpeedTotals, stem_of
from numa_ultralytics.trackers.config import SHIPPED_TRACKERS
from numa_ultralytics.utils.args import (
    PLOT_STYLES,
    PREDICT_DEFAULTS,
    RUNTIMES,
    TASK2MODEL,
    TRACK_DEFAULTS,
    TXT_FORMATS,
    ArgError,
    check_choice,
    check_color_mode,
    check_fraction,
    check_line_width,
    check_positive_int,
    check_seconds,
    default_model,
)
from numa_ultralytics.utils.display import check_imshow
from numa_ultralytics.utils.progress import ProgressBar
from numa_ultralytics.utils.signals import StopScope, stop_on_signals

__all__ = ["CLIError", "entrypoint", "parse_args"]

TASKS = ("detect", "segment")
MODES = ("predict", "track", "export")
DEFAULT_MODELS = TASK2MODEL  # utils/args.py: the default weights per task, as 8.4.190
_MODEL_DEFAULTS = f"{TASK2MODEL['segment']} for segment, else {default_model(None)}"
OTHER_TASKS = ("classify", "pose", "obb")
OTHER_MODES = ("train", "tune", "benchmark")
BUILTIN_TRACKERS = SHIPPED_TRACKERS  # the tracker YAMLs that ship (trackers/config.py)

USAGE = f"""usage: numa-yolo [TASK] MODE key=value ...

  TASK: {", ".join(TASKS)} (default: the model's task)
  MODE: {", ".join(MODES)}, val (its own keys: data, split, conf, iou, ...; cfg/val.py)

examples:
  numa-yolo segment predict model=yolo11n-seg.pt source=video.mp4 save=True
  numa-yolo segment track model=yolo11n-seg.pt source=video.mp4 tracker=bytetrack.yaml save=True save_txt=True
  numa-yolo track model=yolo11n-seg.onnx source=streams.txt show=True   (one tracker per listed stream)
  numa-yolo segment track model=yolo11n-seg.pt source=videos/ save=True save_txt=True ray=local   (Ray, many videos)
  numa-yolo export model=yolo11n-seg.pt format=onnx imgsz=640 dynamic=True   (writes yolo11n-seg.onnx)
  numa-yolo segment val model=yolo11n-seg.pt data=coco8-seg.yaml imgsz=640   (box and mask P, R, mAP50, mAP50-95)

  numa-yolo trackeval data=GT_ROOT res=RES_DIR [benchmark=MOT17] [out=scores.json]   (HOTA, CLEAR, IDF1)
  numa-yolo version | checks | settings [key=value | reset] | cfg   (version, environment, settings, defaults)

arguments (key=value; a True/False one alone means key=True: `save` is save=True):
"""


# ---------------------------------------------------------------------------------------------------------------------
# values


def _invalid(key: str, v: str, allowed: str) -> CLIError:
    return CLIError(f"invalid value for {key}: {v!r} (allowed: {allowed})", key)


def _engine_check(check: Callable[[str, Any], Any], key: str, text: str, value: Any) -> Any:
    """Run an utils/args.py validator on the converted ``value``; its error names the key and what it allows."""
    try:
        return check(key, value)
    except ArgError as e:
        raise _invalid(key, text, e.allowed) from None


def _bool(key: str, v: str) -> bool:
    low = v.strip().lower()
    if low in ("true", "1", "yes", "on"):
        return True
    if low in ("false", "0", "no", "off"):
        return False
    raise _invalid(key, v, "True or False")


def _is_none(v: str) -> bool:
    return v.strip().lower() in ("none", "null", "")


def _float01(key: str, v: str) -> float:
    try:
        f = float(v)
    except ValueError:
        f = float("nan")
    return _engine_check(check_fraction, key, v, f)


def _posint(key: str, v: str) -> int:
    try:
        i = int(v)
    except ValueError:
        i = 0
    return _engine_check(check_positive_int, key, v, i)


def _line_width(key: str, v: str) -> int:
    try:
        i = int(v)
    except ValueError:
        i = 0
    return _engine_check(check_line_width, key, v, i)


def _seconds(key: str, v: str) -> float:
    try:
        f = float(v)
    except ValueError:
        f = float("nan")
    return _engine_check(check_seconds, key, v, f)


def _int_list(key: str, v: str, allowed: str) -> list[int]:
    parts = [p for p in re.split(r"[\s,\[\]\(\)]+", v) if p]
    try:
        out = [int(p) for p in parts]
    except ValueError:
        out = []
    if not out:
        raise _invalid(key, v, allowed)
    return out


def _imgsz(key: str, v: str) -> Any:
    vals = _int_list(key, v, "an integer like 640 or height,width like 384,640")
    if len(vals) > 2 or min(vals) < 1:
        raise _invalid(key, v, "an integer like 640 or height,width like 384,640")
    return vals[0] if len(vals) == 1 else vals


def _classes(key: str, v: str) -> list[int] | None:
    if _is_none(v):
        return None
    vals = _int_list(key, v, "class indices like 0 or 0,2,3")
    if min(vals) < 0:
        raise _invalid(key, v, "class indices >= 0, like 0 or 0,2,3")
    return vals


def _device(key: str, v: str) -> Any:
    low = v.strip().lower()
    if _is_none(v):
        return None
    if low == "cpu" or low == "cuda" or re.fullmatch(r"(cuda:)?\d+", low):
        return int(low) if low.isdigit() else low
    raise _invalid(key, v, "cpu, cuda, 0, cuda:0, ...")


def _tracker(key: str, v: str) -> str:
    s = v.strip()
    if s in BUILTIN_TRACKERS or Path(s).is_file():
        return s
    if s + ".yaml" in BUILTIN_TRACKERS:
        return s + ".yaml"
    raise _invalid(key, v, f"{', '.join(BUILTIN_TRACKERS)} or the path of a tracker .yaml file")


def _ray(key: str, v: str) -> str:
    from numa_ultralytics.engine.distributed import check_ray_address

    try:
        return check_ray_address(key, v)
    except ValueError:
        raise _invalid(key, v, "local, auto, host:port or ray://host:port") from None


def _color_mode(key: str, v: str) -> str:
    return _engine_check(check_color_mode, key, v, v.strip().lower())


def _choice(choices: tuple[str, ...]) -> Callable[[str, str], str]:
    return lambda k, v: _engine_check(lambda key, x: check_choice(key, x, choices), k, v, v.strip().lower())


def _opt(parse: Callable[[str, str], Any]) -> Callable[[str, str], Any]:
    return lambda k, v: None if _is_none(v) else parse(k, v)


def _str(key: str, v: str) -> str:
    if not v.strip():
        raise CLIError(f"invalid value for {key}: empty", key)
    return v.strip()


_opt_bool = _opt(_bool)  # None / True / False options that are flags (show_conf, show_boxes; not nms: its default None)


@dataclass(frozen=True)
class Spec:
    parse: Callable[[str, str], Any]
    help: str


SPECS: OrderedDict[str, Spec] = OrderedDict(
    [
        ("model", Spec(_str, f"weights: .pt or .onnx path or name (default {_MODEL_DEFAULTS})")),
        ("source", Spec(_str, "image, video, folder, glob, URL, webcam index or .txt list of streams")),
        ("conf", Spec(_opt(_float01), "confidence threshold (default 0.25 predict, 0.1 track)")),
        ("iou", Spec(_float01, "NMS IoU threshold")),
        ("imgsz", Spec(_imgsz, "inference size: 640 or h,w")),
        ("classes", Spec(_classes, "keep only these class indices: 0 or 0,2")),
        ("max_det", Spec(_posint, "maximum detections per image")),
        ("agnostic_nms", Spec(_bool, "class-agnostic NMS")),
        ("nms", Spec(_opt(_bool), "None, True or False (8.4.190's head choice; an ONNX graph's is fixed at export)")),
        ("retina_masks", Spec(_bool, "masks at the original resolution")),
        ("device", Spec(_device, "cpu, 0, cuda:0 (default: GPU when available)")),
        ("half", Spec(_bool, "CPU: bf16 via OpenVINO where the CPU has bf16 units (else fp32, a warning); CUDA: FP16")),
        ("runtime", Spec(_opt(_choice(RUNTIMES)), "onnxruntime (default) or openvino (CPU; the [openvino] extra)")),
        ("verbose", Spec(_bool, "progress bar and summary")),
        ("tracker", Spec(_tracker, f"track: {', '.join(BUILTIN_TRACKERS)} or a .yaml path")),
        ("persist", Spec(_bool, "track: keep tracks between calls (one run is one call)")),
        ("vid_stride", Spec(_posint, "use every n-th video frame")),
        (
            "batch",
            Spec(
                _posint,
                "frames per inference run (predict/track: up to 256 frames of a video, or one per stream of a "
                "stream list; export: the batch size of a static export) (default 1)",
            ),
        ),
        ("pipeline", Spec(_bool, "decode ahead, draw and write behind in worker threads (False: one thread)")),
        ("stream_buffer", Spec(_bool, "queue live-stream frames instead of dropping old ones")),
        ("reconnect_timeout", Spec(_seconds, "live streams: seconds to keep reconnecting after a drop (0: stop)")),
        ("reset_after_drop", Spec(_seconds, "track: a live-stream drop longer than this (s) resets its tracker")),
        ("save", Spec(_bool, "write annotated images/videos into the run folder")),
        (
            "save_txt",
            Spec(_bool, "write labels: YOLO format labels/<stem>.txt per image, labels/<stem>_<frame>.txt per frame"),
        ),
        ("save_conf", Spec(_bool, "save_txt: append the confidence to each label line")),
        ("save_crop", Spec(_bool, "write each object's crop to crops/<class name>/<stem>.jpg")),
        (
            "txt_format",
            Spec(
                _choice(TXT_FORMATS),
                "save_txt: yolo (Ultralytics' labels), mot (labels/<stem>.txt frame,id,x,y,w,h,conf,cls lines "
                "and labels/<stem>_polygons.txt, one pair per source) or mots (labels/<stem>.txt frame id class h w "
                "rle lines)",
            ),
        ),
        ("project", Spec(_str, "run folder parent (default runs/<task>)")),
        ("name", Spec(_str, "run folder name (default the mode)")),
        ("exist_ok", Spec(_bool, "reuse an existing run folder instead of numbering a new one")),
        ("show", Spec(_bool, "show annotated frames in a window (q quits)")),
        (
            "plot_style",
            Spec(
                _choice(PLOT_STYLES),
                "save/show drawing: filled (Results.plot: filled masks, boxes, name conf labels) or outlines "
                "(the seed's look: mask outlines labelled by class or track id)",
            ),
        ),
        ("show_labels", Spec(_bool, "draw labels")),
        ("show_conf", Spec(_opt_bool, "add the confidence to labels (default: True filled, False outlines)")),
        ("show_boxes", Spec(_opt_bool, "draw boxes (default: True filled; outlines: only for detect models)")),
        ("line_width", Spec(_opt(_line_width), "line width, 1..1000 (default: from the image size)")),
        (
            "color_mode",
            Spec(
                _opt(_color_mode),
                "class: colour per class; instance: colour per track id (outlines: id labels, the seed's track loop). "
                "Default: class (outlines: instance for track, class for predict)",
            ),
        ),
        (
            "ray",
            Spec(
                _opt(_ray),
                "track: many videos (a folder, glob, .txt list) on Ray, one actor per video: local (a cluster on "
                'this machine), auto (the running one), host:port (pip install "numa_ultralytics[ray]")',
            ),
        ),
        ("workers", Spec(_opt(_posint), "ray: actors (default: one per CPU or GPU the cluster offers)")),
    ]
)
# export only (engine/exporter.py checks the values and holds the defaults); export also takes model, imgsz, half,
# device, verbose and batch from SPECS.
EXPORT_SPECS: OrderedDict[str, Spec] = OrderedDict(
    [
        ("format", Spec(_str, "export: onnx (the only format)")),
        ("dynamic", Spec(_bool, "export: dynamic batch, height and width (default False: [batch, 3, imgsz])")),
        ("opset", Spec(_opt(_posint), "export: ONNX opset (default None: 18)")),
        ("simplify", Spec(_bool, "export: accepted (the graph is already simple)")),
        ("int8", Spec(_bool, "export: static int8 (QDQ) quantization, calibrated on data= (writes <stem>_int8.onnx)")),
        ("data", Spec(_str, "export int8: the calibration dataset YAML (its val images)")),
        ("fraction", Spec(_float01, "export int8: the fraction of the calibration images used (default 1.0)")),
    ]
)
EXPORT_KEYS = ("model", "imgsz", "half", "device", "verbose", "batch", *EXPORT_SPECS)
# Defaults: the engine's (utils/args.py), except where the command line's differ.
CLI_DEFAULTS: dict[str, Any] = {"model": None, "source": None, "ray": None, "workers": None}
RAY_KEYS = ("ray", "workers")  # the command line's own (engine/distributed.py)
DEFAULTS: dict[str, Any] = {k: {**PREDICT_DEFAULTS, **TRACK_DEFAULTS, **CLI_DEFAULTS}[k] for k in SPECS}
MODEL_KEYS = tuple(k for k in SPECS if k in PREDICT_DEFAULTS and k != "verbose")  # passed to predict/track
# Ultralytics' bare boolean flags: `save` alone means save=True (its keys with a True/False default)
FLAG_KEYS = frozenset(k for k, s in {**SPECS, **EXPORT_SPECS}.items() if s.parse in (_bool, _opt_bool))
SPEED_LAG = 64  # frames (see the speed totals in _run)
STAGES = ("preprocess", "inference", "postprocess", "tracking", "drawing", "writing")


def _usage() -> str:
    from numa_ultralytics.engine.exporter import EXPORT_DEFAULTS

    lines = [f"  {k + '=' + repr(DEFAULTS[k]):<28} {s.help}" for k, s in SPECS.items()]
    lines += [f"  {k + '=' + repr(EXPORT_DEFAULTS[k]):<28} {s.help}" for k, s in EXPORT_SPECS.items()]
    from numa_ultralytics.cfg.val import val_usage

    return USAGE + "\n".join(lines) + "\n\n" + val_usage()


def parse_args(argv: list[str]) -> tuple[str | None, str, dict[str, Any], set[str]]:
    """``argv`` -> (task or None, mode, args with defaults, keys the user set). Raises :class:`CLIError`."""
    task: str | None = None
    mode: str | None = None
    args = dict(DEFAULTS)
    given: set[str] = set()
    for a in _merge_equals(argv):
        if "=" not in a and a.replace("-", "_") in FLAG_KEYS:
            a = f"{a}=True"
        if "=" in a:
            k, v = a.split("=", 1)
            k = k.strip().replace("-", "_")
            spec = SPECS.get(k) or EXPORT_SPECS.get(k)
            if spec is None:
                known = [*SPECS, *EXPORT_SPECS]
                close = difflib.get_close_matches(k, known, n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise CLIError(f"unknown argument {k!r}{hint}; valid arguments: {', '.join(known)}", k)
            if k in given:
                raise CLIError(f"argument {k} given twice", k)
            args[k] = spec.parse(k, v)
            given.add(k)
        elif a in TASKS:
            if task is not None:
                raise CLIError(f"two tasks given: {task} and {a}", "task")
            task = a
        elif a in MODES:
            if mode is not None:
                raise CLIError(f"two modes given: {mode} and {a}", "mode")
            mode = a
        elif a in OTHER_TASKS:
            raise CLIError(f"task {a!r} is not supported by numa-yolo (allowed: {', '.join(TASKS)})", "task")
        elif a in OTHER_MODES:
            raise CLIError(f"mode {a!r} is not supported by numa-yolo (allowed: {', '.join(MODES)})", "mode")
        elif a.startswith("-"):
            raise CLIError(f"unknown option {a!r}: arguments are key=value, like conf=0.5", a.lstrip("-"))
        else:
            close = difflib.get_close_matches(a, [*TASKS, *MODES], n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise CLIError(
                f"unknown word {a!r}{hint}: expected a task ({', '.join(TASKS)}), a mode ({', '.join(MODES)}) "
                "or key=value",
                "mode",
            )
    if mode is None:
        raise CLIError(
            f"no mode given (allowed: {', '.join(MODES)}); e.g. numa-yolo segment predict source=...", "mode"
        )
    if mode == "export":
        extra = sorted(given - set(EXPORT_KEYS))
        if extra:
            raise CLIError(f"{extra[0]} is not an export argument (export takes: {', '.join(EXPORT_KEYS)})", extra[0])
    else:
        extra = sorted(given & (set(EXPORT_SPECS) - set(SPECS)))
        if extra:
            k = extra[0]
            raise CLIError(f"{k} is an export argument (numa-yolo export model=... {k}=...), not a {mode} one", k)
    ray_given = sorted(given & set(RAY_KEYS))
    if ray_given and mode != "track":
        raise CLIError(f"{ray_given[0]} is a track argument (numa-yolo segment track source=DIR ray=local)", "ray")
    if args["workers"] is not None and args["ray"] is None:
        raise CLIError("workers needs ray=local, ray=auto or ray=host:port", "workers")
    if args["ray"] is not None and args["show"]:
        raise CLIError("show=True can't be used with ray= (the workers have no window)", "show")
    if mode in ("predict", "track") and args["source"] is None:
        raise CLIError("source is required: source=video.mp4 (a path, folder, glob, URL, webcam index)", "source")
    return task, mode, args, given


# ---------------------------------------------------------------------------------------------------------------------
# running


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
            print(f"Results saved to {save_dir}", file=out)
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
    from numa_ultralytics.utils.args import ArgError

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


def entrypoint(argv: list[str] | None = None) -> int:
    """The ``numa-yolo`` console script: parse, run, return the exit code (2 for bad arguments)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "solutions":  # 8.4.190's `yolo solutions NAME ...`: cfg/solutions.py
        from numa_ultralytics.cfg.solutions import run_solutions_cli

        return run_solutions_cli(argv[1:])
    if not argv or any(a in ("help", "-h", "--help") for a in argv):  # also `numa-yolo segment val help`
        if "val" in argv:
            from numa_ultralytics.cfg.val import val_usage

            print(val_usage())
        elif argv and argv[0] == "trackeval":
            from numa_ultralytics.cfg.trackeval import trackeval_usage

            print(trackeval_usage())
        else:
            print(_usage())
        return 0
    if argv[0] in ("version", "--version", "-V"):
        from numa_ultralytics._core import __version__

        print(__version__)
        return 0
    if argv[0] in ("checks", "settings", "cfg"):  # the environment, the settings, the defaults: cfg/info.py
        from numa_ultralytics.cfg import info

        return info.checks() if argv[0] == "checks" else info.cfg() if argv[0] == "cfg" else info.settings(argv[1:])
    try:
        if argv[0] == "trackeval":  # tracking evaluation: its own arguments, cfg/trackeval.py
            from numa_ultralytics.cfg.trackeval import run_trackeval_cli

            return run_trackeval_cli(argv)
        if "val" in argv:  # the mode word: val has its own arguments (data, split, ...), parsed by cfg/val.py
            from numa_ultralytics.cfg.val import run_val_cli

            return run_val_cli(argv)
        task, mode, args, given = parse_args(argv)
        return run(task, mode, args, given)
    except CLIError as e:
        print(f"numa-yolo: error: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # one line, not a traceback, for failures while running
        if os.environ.get("NUMA_ULTRALYTICS_DEBUG"):
            raise
        print(f"numa-yolo: error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1


def main() -> None:
    sys.exit(entrypoint())
