"""The ``numa-yolo`` command line's words and ``key=value`` arguments: each key's parser (:data:`SPECS`,
:data:`EXPORT_SPECS`) converts the text to a value and runs that key's check from utils/args.py, the checks
``model.predict`` / ``model.track`` run; the defaults are utils/args.py's. :func:`parse_args` turns ``argv`` into
(task, mode, arguments); cfg/run.py runs them."""

from __future__ import annotations

import difflib
import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from numa_ultralytics.cfg.common import CLIError, _merge_equals
from numa_ultralytics.trackers.config import SHIPPED_TRACKERS, resolve_tracker
from numa_ultralytics.utils.args import (
    CLI_SAVE_DEFAULT,
    DEPRECATED_KEYS,
    DEPRECATED_RENAMES,
    PLOT_STYLES,
    PREDICT_DEFAULTS,
    TASK2MODEL,
    TRACK_DEFAULTS,
    TXT_FORMATS,
    ArgError,
    check_bool,
    check_choice,
    check_classes,
    check_color_mode,
    check_device,
    check_fraction,
    check_imgsz,
    check_line_width,
    check_positive_int,
    check_quantize,
    check_runtime,
    check_seconds,
    check_str,
    default_model,
    handle_deprecation,
)

__all__ = ["DEFAULTS", "EXPORT_SPECS", "MODEL_KEYS", "MODES", "SPECS", "TASKS", "Spec", "parse_args", "usage"]

TASKS = ("detect", "segment")
MODES = ("predict", "track", "export")
_MODEL_DEFAULTS = f"{TASK2MODEL['segment']} for segment, else {default_model(None)}"
OTHER_TASKS = ("classify", "pose", "obb")
OTHER_MODES = ("train", "tune", "benchmark")

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
# values: each parser converts the text, then runs the key's check from utils/args.py (its error names the key and
# what it allows); a text that does not convert is passed on as it is, for the check to refuse


def _invalid(key: str, v: str, allowed: str) -> CLIError:
    return CLIError(f"invalid value for {key}: {v!r} (allowed: {allowed})", key)


def _check(check: Callable[[str, Any], Any], key: str, text: str, value: Any) -> Any:
    """Run a utils/args.py check on the converted ``value``; an :class:`ArgError` becomes a :class:`CLIError` naming
    the key, the text given and what the key allows."""
    try:
        return check(key, value)
    except ArgError as e:
        raise _invalid(key, text, e.allowed) from None


def _is_none(v: str) -> bool:
    return v.strip().lower() in ("none", "null", "")


def _to_bool(v: str) -> Any:
    low = v.strip().lower()
    return True if low in ("true", "1", "yes", "on") else False if low in ("false", "0", "no", "off") else v


def _to_float(v: str) -> float:
    try:
        return float(v)
    except ValueError:
        return float("nan")


def _to_int(v: str) -> Any:
    try:
        return int(v)
    except ValueError:
        return v


def _to_ints(v: str) -> Any:
    """``"384,640"``, ``"[0, 2]"``, ``"0"`` -> a list of ints; other text as it is."""
    parts = [p for p in re.split(r"[\s,\[\]\(\)]+", v) if p]
    try:
        return [int(p) for p in parts] if parts else v
    except ValueError:
        return v


def _bool(key: str, v: str) -> bool:
    return _check(check_bool, key, v, _to_bool(v))


def _float01(key: str, v: str) -> float:
    return _check(check_fraction, key, v, _to_float(v))


def _posint(key: str, v: str) -> int:
    return _check(check_positive_int, key, v, _to_int(v))


def _line_width(key: str, v: str) -> int:
    return _check(check_line_width, key, v, _to_int(v))


def _seconds(key: str, v: str) -> float:
    return _check(check_seconds, key, v, _to_float(v))


def _imgsz(key: str, v: str) -> Any:
    vals = _to_ints(v)
    return _check(check_imgsz, key, v, vals[0] if isinstance(vals, list) and len(vals) == 1 else vals)


def _classes(key: str, v: str) -> list[int] | None:
    return None if _is_none(v) else _check(check_classes, key, v, _to_ints(v))


def _device(key: str, v: str) -> Any:
    low = v.strip().lower()
    return None if _is_none(v) else _check(check_device, key, v, int(low) if low.isdigit() else low)


def _tracker(key: str, v: str) -> str:
    """A shipped tracker (``ocsort``, ``ocsort.yaml``) or a YAML path, resolved by trackers/config.py's rule."""
    s = v.strip()
    try:
        resolve_tracker(s)
    except FileNotFoundError:
        raise _invalid(key, v, f"{', '.join(SHIPPED_TRACKERS)} or the path of a tracker .yaml file") from None
    return s if s in SHIPPED_TRACKERS or Path(s).is_file() else f"{s}.yaml"


def _ray(key: str, v: str) -> str:
    from numa_ultralytics.engine.distributed import check_ray_address

    try:
        return check_ray_address(key, v)
    except ValueError:
        raise _invalid(key, v, "local, auto, host:port or ray://host:port") from None


def _color_mode(key: str, v: str) -> str:
    return _check(check_color_mode, key, v, v.strip().lower())


def _runtime(key: str, v: str) -> str:
    return _check(check_runtime, key, v, v.strip().lower())


def _choice(choices: tuple[str, ...]) -> Callable[[str, str], str]:
    return lambda k, v: _check(lambda key, x: check_choice(key, x, choices), k, v, v.strip().lower())


def _opt(parse: Callable[[str, str], Any]) -> Callable[[str, str], Any]:
    return lambda k, v: None if _is_none(v) else parse(k, v)


def _str(key: str, v: str) -> str:
    return _check(check_str, key, v, v.strip())


def _quantize(key: str, v: str) -> Any:
    return _check(check_quantize, key, v, v.strip())


def _as_text(key: str, v: str) -> Any:
    """``end2end``: True / False / None where the text says so (any case, as 8.4.190's ``smart_value``), else the
    text, which utils/args.py handle_deprecation refuses (``TypeError``, as 8.4.190)."""
    return {"true": True, "false": False, "none": None}.get(v.strip().lower(), v)


def _removed(key: str, v: str) -> str:
    """A key 8.4.190 removed (utils/args.py ``REMOVED_KEYS``): any text, dropped with a warning."""
    return v


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
        ("rect", Spec(_bool, "letterbox to the image's stride multiple (False: to the square imgsz)")),
        ("device", Spec(_device, "cpu, 0, cuda:0 (default: GPU when available)")),
        (
            "quantize",
            Spec(
                _opt(_quantize),
                "16 / fp16: CPU bf16 via OpenVINO where the CPU has bf16 units (else fp32, a warning), CUDA FP16; "
                "32 / fp32; export also 8 / int8",
            ),
        ),
        ("half", Spec(_bool, "deprecated (8.4.190): quantize=16 (half=False: quantize=None), with a warning")),
        ("runtime", Spec(_opt(_runtime), "onnxruntime (default) or openvino (CPU; the [openvino] extra)")),
        ("verbose", Spec(_bool, "progress bar and summary")),
        ("tracker", Spec(_tracker, f"track: {', '.join(SHIPPED_TRACKERS)} or a .yaml path")),
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
EXPORT_KEYS = ("model", "imgsz", "half", "quantize", "nms", "device", "verbose", "batch", *EXPORT_SPECS)
# 8.4.190's deprecated keys the command line takes besides half (SPECS) and int8 (EXPORT_SPECS): parsed here, then
# mapped by utils/args.py handle_deprecation (end2end -> nms, hide_labels -> show_labels, ...; removed keys dropped)
DEPRECATED_SPECS: dict[str, Spec] = {
    "end2end": Spec(_as_text, "deprecated: end2end=True is nms=False"),
    **{
        k: Spec(_opt(_line_width) if new == "line_width" else _bool, f"deprecated: {new}")
        for k, (new, _) in DEPRECATED_RENAMES.items()
    },
    **{
        k: Spec(_removed, "removed in 8.4.190: ignored, with a warning")
        for k in DEPRECATED_KEYS
        if k not in ("end2end", "half", "int8", *DEPRECATED_RENAMES)
    },
}
# Defaults: the engine's (utils/args.py), except where the command line's differ.
CLI_DEFAULTS: dict[str, Any] = {"model": None, "source": None, "ray": None, "workers": None, "save": CLI_SAVE_DEFAULT}
RAY_KEYS = ("ray", "workers")  # the command line's own (engine/distributed.py)
DEFAULTS: dict[str, Any] = {k: {**PREDICT_DEFAULTS, **TRACK_DEFAULTS, **CLI_DEFAULTS}[k] for k in SPECS}
# passed to predict/track (half: mapped onto quantize by parse_args)
MODEL_KEYS = tuple(k for k in SPECS if k in PREDICT_DEFAULTS and k != "verbose" and k not in DEPRECATED_KEYS)
# Ultralytics' bare boolean flags: `save` alone means save=True (its keys with a True/False default)
FLAG_KEYS = frozenset(
    k
    for k, s in {**SPECS, **EXPORT_SPECS, **DEPRECATED_SPECS}.items()
    if s.parse in (_bool, _opt_bool, _as_text, _removed)
)


def usage() -> str:
    """The ``numa-yolo help`` text: the usage, every key with its default and help, and val's keys."""
    from numa_ultralytics.utils.args import EXPORT_DEFAULTS

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
            spec = SPECS.get(k) or EXPORT_SPECS.get(k) or DEPRECATED_SPECS.get(k)
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
    args, given = _map_deprecated(args, given)
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


def _map_deprecated(args: dict[str, Any], given: set[str]) -> tuple[dict[str, Any], set[str]]:
    """The given keys through utils/args.py ``handle_deprecation`` (its warnings, once, as 8.4.190's entrypoint):
    ``half=True`` becomes ``quantize=16``, ``end2end=True`` ``nms=False``, ...; deprecated keys leave ``args``."""
    old = given & set(DEPRECATED_KEYS)
    if old:
        try:
            mapped = handle_deprecation({k: args[k] for k in given})
        except TypeError as e:  # end2end not a bool
            raise CLIError(f"invalid value for end2end: {args['end2end']!r} ({e})", "end2end") from None
        except ArgError as e:
            raise _invalid(e.key, str(e.value), e.allowed) from None
        args.update(mapped)
        given = (given - old) | set(mapped)
    for k in DEPRECATED_KEYS:
        args.pop(k, None)
    return args, given
