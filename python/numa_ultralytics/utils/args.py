"""Every argument default and check, in one place (Ultralytics' ``default.yaml`` plus ``check_cfg``): a leaf that
imports only the standard library, numpy, utils/reprs.py and the compiled core (``_core``: the tracker count
limit), so every layer may use it.

- predict / track: :data:`PREDICT_DEFAULTS`, :data:`CONF_DEFAULTS`, :data:`TRACK_DEFAULTS`; ``model.predict`` /
  ``model.track`` call :func:`check_args`, which checks every argument (:data:`CHECKS`). val and export:
  :data:`VAL_DEFAULTS`, :data:`EXPORT_DEFAULTS` (their checks, with these validators, are engine/validator.py's and
  engine/exporter.py's); ``half`` is :data:`HALF_DEFAULT` in all of them.
- 8.4.190's deprecated arguments (:func:`handle_deprecation`, which every entry point runs before its checks:
  ``end2end`` -> ``nms``, ``half`` / ``int8`` -> ``quantize``, :data:`DEPRECATED_RENAMES`, :data:`REMOVED_KEYS`),
  each with 8.4.190's warning (:func:`deprecation_warn`).
- the key types, one validator each: fraction (:func:`check_fraction`), count (:func:`check_positive_int`), bool
  (:func:`check_bool`, :func:`check_optional_bool`), choice (:func:`check_choice`: ``txt_format``, ``plot_style``,
  ``color_mode``, ``runtime``), path / name (:func:`check_str`), seconds, image size, classes, line width. The command
  line (cfg/parsing.py) converts its strings to values and runs these same validators, turning an :class:`ArgError`
  into a message naming the key and what it allows. The loaders check ``vid_stride`` and the drawing code
  (utils/plotting.py) ``line_width`` with them too; nn/precision.py ``plan`` checks ``runtime`` with
  :func:`check_runtime`.
- the tracker YAML schema: which key of a tracker config is a fraction, a count, a positive number, a bool or a choice
  (:data:`TRACKER_SCHEMA`; a key only some trackers have, such as ``with_reid``, is unknown to the others), and
  :func:`check_tracker_cfg`, which checks a config against it and the defaults of its
  tracker type. The defaults themselves are the shipped YAML files (trackers/cfg/``<tracker_type>``.yaml), which
  trackers/config.py loads, names (``SHIPPED_TRACKERS``, ``TRACKER_TYPES``) and passes in.

Limits: ``imgsz`` sides are at most :data:`MAX_IMGSZ` (4096: YOLO11n-seg peaks at ~2.6 GB there; its attention block
grows with the square of the input area, so 8192 needs over 30 GB and fails deep inside ONNX Runtime), integers at
most :data:`MAX_INT` (what the Rust core and OpenCV take), ``line_width`` at most :data:`MAX_LINE_WIDTH`. Frames
themselves are letterboxed down to ``imgsz`` (rust/src/postprocess.rs takes sides up to 2^20 pixels).
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from numa_ultralytics import _core
from numa_ultralytics.utils.reprs import short_repr

__all__ = [
    "CONF_DEFAULTS",
    "DEFAULT_MODEL",
    "EXPORT_DEFAULTS",
    "GMC_METHODS",
    "HALF_DEFAULT",
    "MAX_TRACKER_COUNT",
    "RUNTIMES",
    "TRACKER_SCHEMA",
    "TASK2MODEL",
    "PLOT_STYLES",
    "TXT_FORMATS",
    "NEUTRAL_ARGS",
    "PREDICT_DEFAULTS",
    "TRACK_DEFAULTS",
    "CLI_SAVE_DEFAULT",
    "PREDICTOR_SETUP_KEYS",
    "VAL_CONF",
    "VAL_DEFAULTS",
    "VAL_SPLITS",
    "DEPRECATED_KEYS",
    "DEPRECATED_RENAMES",
    "REMOVED_KEYS",
    "ArgError",
    "check_args",
    "check_bool",
    "check_classes",
    "check_imgsz",
    "check_line_width",
    "check_optional_bool",
    "check_color_mode",
    "check_device",
    "check_fraction",
    "check_choice",
    "check_positive_int",
    "check_runtime",
    "check_seconds",
    "check_str",
    "check_tracker_cfg",
    "default_model",
    "deprecation_warn",
    "handle_deprecation",
]

LOGGER = logging.getLogger("numa_ultralytics")

#: The model Ultralytics 8.4.190 loads when none is named: per task (its ``cfg.TASK2MODEL``, the command line with a
#: task), and :data:`DEFAULT_MODEL` otherwise (``YOLO()``, a command line without a task). The one place these
#: names are written (engine/model.py, the command line in cfg/, val and Ray use them).
TASK2MODEL: dict[str, str] = {"detect": "yolo26n.pt", "segment": "yolo26n-seg.pt"}
DEFAULT_MODEL = TASK2MODEL["detect"]


def default_model(task: str | None) -> str:
    """The weights a run without ``model=`` loads: the task's (:data:`TASK2MODEL`), else :data:`DEFAULT_MODEL`."""
    return TASK2MODEL.get(task or "", DEFAULT_MODEL)


#: ``half``: the one default of every mode (predict, track, val, export). Predict: on the CPU bf16 through OpenVINO
#: where the CPU has bf16 units (nn/precision.py), on CUDA fp16; export: an fp16 graph.
HALF_DEFAULT = False

PREDICT_DEFAULTS: dict[str, Any] = {
    "conf": None,  # None: CONF_DEFAULTS[mode]
    "iou": 0.7,
    "imgsz": 640,
    "classes": None,
    "max_det": 300,
    "agnostic_nms": False,
    # 8.4.190's head choice for a .pt (nn/onnx_builder.py head_end2end): None / True the one-to-many head + NMS,
    # False the NMS-free one-to-one head (each where the checkpoint has it); kept between predict / track calls until
    # another is given (engine/model.py). An ONNX graph's head is fixed at export (8.4.190's ONNX backend ignores it)
    "nms": None,
    "retina_masks": False,
    # letterbox to the smallest stride multiple around the image (8.4.190's predict default); False: to the square
    # imgsz, as 8.4.190 (a dynamic-shape model only: a static export's size is fixed; engine/predictor.py input_shape)
    "rect": True,
    "verbose": True,
    "half": HALF_DEFAULT,
    "quantize": None,  # 8.4.190's spelling of the precision (QUANTIZE_ALIASES); given, it decides half (half_of)
    "runtime": None,  # None (onnxruntime; OpenVINO for half=True on the CPU), "onnxruntime", "openvino" (CPU)
    "device": None,
    "vid_stride": 1,
    "stream_buffer": False,
    # live streams (data/loaders.py): after a drop, reconnect with backoff for up to this many seconds (0: end the
    # stream at the first drop, as before); a warning is logged per drop
    "reconnect_timeout": 30.0,
    # track: a drop longer than this many seconds is "long" and resets the stream's tracker (ids start again at 1); a
    # shorter one keeps its tracks and ids
    "reset_after_drop": 5.0,
    # frames per session.run: up to this many frames (of one video, or one per stream of a stream list) are
    # letterboxed to one shape and run together (engine/predictor.py Predictor.run_batch); at most MAX_BATCH
    "batch": 1,
    # the pipelined loop (engine/model.py _stream): decode runs ahead, drawing + writing behind, GMC beside inference,
    # each in a worker thread; results are those of the serial loop (False: one thread, for debugging)
    "pipeline": True,
    # outputs, as Ultralytics: annotated images/videos and labels under runs/<task>/<mode> (engine/sink.py)
    "save": False,
    "save_txt": False,
    "save_conf": False,  # save_txt: append each object's confidence (YOLO format)
    "save_crop": False,  # crops/<class name>/<label file stem>.jpg (Results.save_crop)
    "txt_format": "yolo",  # save_txt: "yolo" (Ultralytics' labels/<stem>[_<frame>].txt) or "mot" / "mots" (TXT_FORMATS)
    "show": False,
    "project": None,
    "name": None,
    "exist_ok": False,
    # how save/show draw frames (utils/plotting.py): "filled" is Results.plot()'s look (draw_plot), "outlines" the
    # seed's look (draw_outlines); None below means the style's own default (engine/sink.py OutputSink)
    "plot_style": "filled",
    "line_width": None,
    "show_labels": True,
    "show_conf": None,  # None: True for "filled", False for "outlines"
    "show_boxes": None,  # None: True for "filled"; for "outlines" boxes only where there is no mask outline
    "color_mode": None,  # None: "class" for "filled"; for "outlines" "instance" for track, "class" for predict
}
CONF_DEFAULTS: dict[str, float] = {"predict": 0.25, "track": 0.1}
#: ``model.val`` / ``numa-yolo val`` (engine/validator.py ``check_val_args`` checks them).
VAL_CONF = 0.001  # val's confidence threshold when conf=None (8.4.190's validator default)
VAL_SPLITS = ("val", "test", "train")  # the dataset splits val can read
VAL_DEFAULTS: dict[str, Any] = {
    "data": None,
    "imgsz": 640,
    "batch": 16,
    "conf": None,  # None: VAL_CONF
    "iou": 0.7,
    "max_det": 300,
    "split": "val",
    "rect": True,  # model.val's default; only dynamic-shape models can use it
    "single_cls": False,
    "agnostic_nms": False,
    "nms": None,  # as predict: a .pt's head (None / True one-to-many + NMS, False one-to-one); an ONNX graph's is fixed
    "overlap_mask": True,
    "mask_ratio": 4,
    "verbose": True,
    "device": None,
    "plots": True,  # confusion matrix, curves, val_batch images (utils/val_plots.py)
    "half": HALF_DEFAULT,  # as predict: bf16 on the CPU through OpenVINO where possible (nn/precision.py)
    "quantize": None,  # as predict
    "runtime": None,  # as predict: None, "onnxruntime", "openvino"
    "workers": 0,
    "save_json": False,  # predictions.json (COCO format)
    "save_txt": False,  # not supported
    "project": None,
    "name": None,
    "exist_ok": False,
}
#: ``model.export`` / ``numa-yolo export`` (engine/exporter.py ``check_export_args`` checks them).
EXPORT_DEFAULTS: dict[str, Any] = {
    "format": "onnx",
    "imgsz": None,  # None: the checkpoint's training size (Ultralytics: model.args["imgsz"])
    "batch": 1,
    "dynamic": False,
    "half": HALF_DEFAULT,  # an fp16 graph
    "opset": None,
    "simplify": True,
    "nms": None,  # as predict: the head exported (engine/exporter.py); True (NMS in the graph) only for one-to-one
    "int8": False,
    "quantize": None,
    "device": None,
    "verbose": False,
    "data": None,
    "fraction": 1.0,
    "max_det": 300,
    "agnostic_nms": False,
}
TRACK_DEFAULTS: dict[str, Any] = {"persist": False, "tracker": "botsort.yaml"}
#: The command line saves annotated images / videos unless ``save=False`` (8.4.190: its predict's ``"save": is_cli``);
#: from Python ``save`` stays False (PREDICT_DEFAULTS)
CLI_SAVE_DEFAULT = True
#: 8.4.190's ``PREDICTOR_SETUP_KEYS`` that apply here: a predict / track call passing one with another value than the
#: model's predictor has makes a new predictor, which picks a new run folder (engine/model.py ``_run_dir``)
PREDICTOR_SETUP_KEYS = ("device", "data", "nms", "quantize", "tracker")
#: What a ``.pt`` checkpoint keeps of its training arguments as ``YOLO.overrides`` (8.4.190 ``Model._reset_ckpt_args``
#: over ``{**DEFAULT_CFG, **train_args}``), with these defaults where its ``train_args`` lack one. ``imgsz`` is then the
#: default image size of predict / track / val: a model trained at 320 predicts at 320 unless told otherwise.
CKPT_OVERRIDES: dict[str, Any] = {"task": "detect", "data": None, "imgsz": 640, "single_cls": False}
#: What each call sets itself above ``YOLO.overrides`` (8.4.190's ``custom`` dicts: predict's conf / batch / save /
#: rect, track's conf / batch, val's rect, export's imgsz / batch / data / device / verbose), so an override of these
#: never reaches it; ``model`` and ``task`` name the model and are no call's argument.
OVERRIDES_SET_BY_CALL: dict[str, tuple[str, ...]] = {
    "predict": ("conf", "batch", "save", "rect", "mode", "embed", "model", "task"),
    "track": ("conf", "batch", "save", "rect", "mode", "embed", "model", "task"),
    "val": ("rect", "mode", "model", "task"),
    "export": ("imgsz", "batch", "data", "device", "verbose", "mode", "model", "task"),
}


def with_overrides(overrides: Mapping[str, Any], kwargs: dict[str, Any], mode: str) -> dict[str, Any]:
    """8.4.190's ``{**overrides, **custom, **kwargs}``: ``YOLO.overrides`` under a call's own keywords, less what the
    call sets itself (:data:`OVERRIDES_SET_BY_CALL`) and less keys this package's ``mode`` does not take (8.4.190
    accepts every setting in every mode; ``data`` or ``single_cls`` mean nothing to predict)."""
    takes = (
        set(PREDICT_DEFAULTS) | set(NEUTRAL_ARGS)
        if mode in ("predict", "track")
        else set(VAL_DEFAULTS if mode == "val" else EXPORT_DEFAULTS)
    )
    skip = OVERRIDES_SET_BY_CALL[mode]
    base = {k: v for k, v in overrides.items() if k in takes and k not in skip}
    return {**base, **kwargs}


# Ultralytics arguments accepted for compatibility that change nothing when left at these values.
NEUTRAL_ARGS: dict[str, Any] = {
    "augment": False,
    "visualize": False,
    "embed": None,
    "save_frames": False,
    "mode": None,
    "task": None,
    "model": None,
    "source": None,
}
UNSUPPORTED = ("save_frames", "augment", "visualize", "embed")  # refused when true
COLOR_MODES = ("class", "instance")
TXT_FORMATS = ("yolo", "mot", "mots")  # engine/sink.py: "yolo" as Ultralytics, "mot" MOT-style CSV + _polygons.txt,
# "mots" MOTS lines (frame id class h w rle; engine/mots.py)
PLOT_STYLES = ("filled", "outlines")
#: ``runtime=`` values (None: onnxruntime, or OpenVINO for ``half=True`` on the CPU; nn/precision.py ``plan``).
RUNTIMES = ("onnxruntime", "openvino")
MAX_IMGSZ = 4096  # largest imgsz side (README "Limits"; docs/architecture.md)
MAX_BATCH = 256  # frames in one session.run: a batch is held in memory (256 letterboxed 640x640 frames: 1.2 GB)
MAX_INT = 2**31 - 1  # largest count (max_det, vid_stride, batch): what OpenCV and the Rust core's sizes take
MAX_LINE_WIDTH = 1000  # OpenCV's text drawing takes font scale lw / 3 and thickness lw - 1


def check_str(key: str, v: Any) -> str | os.PathLike[str] | None:
    """None or a non-empty string or path (``project``, ``name``)."""
    if v is not None and (not isinstance(v, (str, os.PathLike)) or not str(v).strip()):
        raise ArgError(key, v, "None or a non-empty string")
    return v


class ArgError(ValueError):
    """A bad argument value: ``key`` names it, ``allowed`` says what it allows (the command line shows both)."""

    def __init__(self, key: str, value: Any, allowed: str) -> None:
        shown = repr(value)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        super().__init__(f"{key}={shown} is invalid; it must be {allowed}")
        self.key = key
        self.value = value
        self.allowed = allowed


def check_fraction(key: str, v: Any) -> float:
    """A number in [0, 1] (``conf``, ``iou``); bools and NaN are refused."""
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not (0.0 <= float(v) <= 1.0):
        raise ArgError(key, v, "a number between 0.0 and 1.0")
    return v


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def check_positive_int(key: str, v: Any, most: int = MAX_INT) -> int:
    """An integer in ``[1, most]`` (``max_det``, ``vid_stride``, ``batch``); bools are refused."""
    if not _is_int(v) or not (1 <= v <= most):
        raise ArgError(key, v, f"an integer >= 1 (at most {most})")
    return int(v)


def check_line_width(key: str, v: Any) -> int | None:
    """None (from the image size) or an integer in ``[1, MAX_LINE_WIDTH]``: a zero or negative width gives OpenCV a
    negative font scale (a crash inside ``putText``). ``Annotator`` and ``check_args`` both use it."""
    return None if v is None else check_positive_int(key, v, MAX_LINE_WIDTH)


def check_bool(key: str, v: Any) -> bool:
    """True or False (numpy bools too); strings such as ``"no"`` and numbers are refused, as Ultralytics does."""
    if not isinstance(v, (bool, np.bool_)):
        raise ArgError(key, v, "True or False")
    return bool(v)


def check_optional_bool(key: str, v: Any) -> bool | None:
    """None (the default's meaning) or True / False."""
    return None if v is None else check_bool(key, v)


def check_classes(key: str, v: Any) -> list[int] | None:
    """None (every class), a class index >= 0 or a list / tuple / array of them -> a list of ints."""
    if v is None:
        return None
    items = v.tolist() if isinstance(v, np.ndarray) else v
    items = list(items) if isinstance(items, (list, tuple)) else [items]
    if not all(_is_int(c) and 0 <= c <= MAX_INT for c in items):
        raise ArgError(key, v, "None, a class index >= 0 or a list of class indices like [0, 2]")
    return [int(c) for c in items]


def check_imgsz(key: str, v: Any) -> int | list[int]:
    """An int or ``[h, w]`` (``[s]`` means ``[s, s]``), each side in ``[1, MAX_IMGSZ]``."""
    items = list(v) if isinstance(v, (list, tuple)) else [v]
    if not (1 <= len(items) <= 2 and all(_is_int(x) for x in items)):
        raise ArgError(key, v, "an int like 640 or [height, width] like [384, 640]")
    if not all(1 <= x <= MAX_IMGSZ for x in items):
        raise ArgError(key, v, f"sides from 1 to {MAX_IMGSZ} (MAX_IMGSZ)")
    return int(v) if not isinstance(v, (list, tuple)) else [int(x) for x in items]


def check_seconds(key: str, v: Any) -> float:
    """A finite number of seconds >= 0 (``reconnect_timeout``, ``reset_after_drop``); bools are refused."""
    if not isinstance(v, (int, float, np.integer, np.floating)) or isinstance(v, bool) or not 0 <= float(v) < 1e9:
        raise ArgError(key, v, "a number of seconds >= 0")
    return float(v)


def check_color_mode(key: str, v: Any) -> str | None:
    """``"class"``, ``"instance"`` or None (the mode's default)."""
    if v is not None and v not in COLOR_MODES:
        raise ArgError(key, v, ", ".join(COLOR_MODES))
    return v


def check_choice(key: str, v: Any, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (``txt_format``, ``plot_style``)."""
    if v not in choices:
        raise ArgError(key, v, ", ".join(choices))
    return v


def check_runtime(key: str, v: Any) -> str | None:
    """``runtime=``: None, "onnxruntime" or "openvino" (predict / track, val, nn/precision.py ``plan``)."""
    if v is None or v in RUNTIMES:
        return v
    raise ArgError(key, v, "None (onnxruntime; OpenVINO for half=True on the CPU), 'onnxruntime' or 'openvino'")


_DEVICE = re.compile(r"(cuda:*)?\d+|cuda|cpu")


def check_device(key: str, v: Any) -> Any:
    """None / ``""`` (CUDA when usable, else the CPU), ``"cpu"``, a CUDA device index (``0``, ``"0"``), ``"cuda"`` or
    ``"cuda:N"`` (any case, spaces around ignored); returned as given. The format only: whether CUDA is usable is
    known where the backend opens the device (nn/autobackend.py ``parse_device``, which runs this check first)."""
    if v is None or (isinstance(v, str) and not v):
        return v
    if _is_int(v) and 0 <= v <= MAX_INT:
        return v
    if isinstance(v, str) and _DEVICE.fullmatch(v.strip().lower()):
        return v
    raise ArgError(key, v, "'cpu', a CUDA device index like 0 or '0', 'cuda' or 'cuda:0' (None: CUDA when usable)")


def _pass(key: str, v: Any) -> Any:
    return v


#: 8.4.190's ``quantize`` values and the scheme each means (its ``cfg.QUANTIZE_ALIASES``: 8 int8, 16 fp16, 32 fp32;
#: the two mixed schemes only export uses). ``half=True`` / ``int8=True`` are its older spellings of 16 / 8; an explicit
#: ``quantize`` wins over them.
QUANTIZE_ALIASES: dict[str, int | str] = {
    "8": 8, "16": 16, "32": 32, "int8": 8, "fp16": 16, "fp32": 32, "w8a8": 8, "w16a16": 16, "w32a32": 32,
    "w8a16": "w8a16", "w8a32": "w8a32",
}  # fmt: skip


def check_quantize(key: str, v: Any) -> int | str | None:
    """``quantize``: None (unset: fp32, or what ``half`` / ``int8`` say), or a value of :data:`QUANTIZE_ALIASES`
    (numbers or text, any case) -> its scheme (8, 16, 32, ``"w8a16"``, ``"w8a32"``)."""
    if v is None:
        return None
    scheme = None if isinstance(v, bool) else QUANTIZE_ALIASES.get(str(v).strip().lower())
    if scheme is None:
        raise ArgError(key, v, "one of 8, 16, 32, 'int8', 'fp16', 'fp32', 'w8a8', 'w16a16', 'w32a32', 'w8a16', 'w8a32'")
    return scheme


def half_of(kwargs: dict[str, Any]) -> bool:
    """The ``half`` a predict / track / val call asks for: ``quantize=16`` (any spelling) when ``quantize`` is given
    (8.4.190: an explicit ``quantize`` wins over ``half``; 8 and 32 mean no fp16 compute there), else ``half``."""
    q = check_quantize("quantize", kwargs.get("quantize"))
    return q == 16 if q is not None else check_bool("half", kwargs.get("half", HALF_DEFAULT))


# ---------------------------------------------------------------------------------------------------------------------
# deprecated arguments (8.4.190's cfg._handle_deprecation): every entry point maps them first (handle_deprecation)

#: 8.4.190's renamed display arguments: old key -> (new key, whether the value is inverted: ``hide_labels=True`` is
#: ``show_labels=False``).
DEPRECATED_RENAMES: dict[str, tuple[str, bool]] = {
    "boxes": ("show_boxes", False),
    "hide_labels": ("show_labels", True),
    "hide_conf": ("show_conf", True),
    "line_thickness": ("line_width", False),
}
#: Arguments 8.4.190 removed: dropped with a warning, whatever their value.
REMOVED_KEYS = ("label_smoothing", "save_hybrid", "crop_fraction", "keras")
#: Every deprecated key :func:`handle_deprecation` maps or drops (``end2end`` -> ``nms``, ``int8`` / ``half`` ->
#: ``quantize``, :data:`DEPRECATED_RENAMES`, :data:`REMOVED_KEYS`).
DEPRECATED_KEYS = ("end2end", "int8", "half", *DEPRECATED_RENAMES, *REMOVED_KEYS)


def deprecation_warn(arg: str, new_arg: str | None = None) -> None:
    """8.4.190's ``utils.deprecation_warn``: one warning on the package's logger naming ``arg`` (and ``new_arg``)."""
    msg = f"WARNING '{arg}' is deprecated and will be removed in the future."
    if new_arg is not None:
        msg += f" Use '{new_arg}' instead."
    LOGGER.warning(msg)


def handle_deprecation(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``kwargs`` with 8.4.190's deprecated arguments mapped onto their current ones, each with its warning (its
    ``cfg._handle_deprecation``, which every mode runs first: predict, track, val, export and the command line; here
    engine/model.py, ``check_args``, engine/validator.py ``check_val_args``, engine/exporter.py
    ``check_export_args``, cfg/ and solutions/config.py call this). A new dict; ``kwargs`` is left as it is.

    - ``end2end`` (True / False; None is dropped) -> ``nms``: ``False`` if ``end2end`` else ``True`` if ``nms=True``
      was given else None; any other value raises ``TypeError`` (8.4.190's message).
    - ``int8`` / ``half`` -> ``quantize`` (8 if ``int8`` else 16 if ``half`` else None) when ``quantize`` is not
      given; with ``quantize`` they are dropped without a warning (an explicit ``quantize`` wins). The warning names
      ``int8`` when it was given, else ``half``. Unlike 8.4.190 (which reads any text but "none" / "false" / "0" as
      on, and drops None) they must be True / False (:class:`ArgError` otherwise), as ``half`` always had to be
      here.
    - :data:`DEPRECATED_RENAMES` (``hide_labels`` / ``hide_conf``: True / False, inverted) and :data:`REMOVED_KEYS`
      (dropped).
    """
    custom = dict(kwargs)
    if "end2end" in custom:
        end2end = custom.pop("end2end")
        if end2end is not None:
            if not isinstance(end2end, bool):
                raise TypeError("Deprecated 'end2end' must be a bool.")
            custom["nms"] = False if end2end else True if custom.get("nms") is True else None
            deprecation_warn(f"end2end={end2end}", f"nms={custom['nms']}")
    int8 = check_bool("int8", custom.pop("int8")) if "int8" in custom else None
    half = check_bool("half", custom.pop("half")) if "half" in custom else None
    if (int8 is not None or half is not None) and "quantize" not in custom:
        custom["quantize"] = 8 if int8 else 16 if half else None
        deprecation_warn("int8" if int8 is not None else "half", "quantize")
    for old, (new, invert) in DEPRECATED_RENAMES.items():
        if old in custom:
            deprecation_warn(old, new)
            v = custom.pop(old)
            custom[new] = not check_bool(old, v) if invert else v
    for key in REMOVED_KEYS:
        if key in custom:
            deprecation_warn(key)
            custom.pop(key)
    return custom


# Every predict/track argument and its check (check_args runs them in this order; device is checked where the backend
# opens it, nn/autobackend.py parse_device).
CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "conf": check_fraction,
    "iou": check_fraction,
    "imgsz": check_imgsz,
    "classes": check_classes,
    "max_det": check_positive_int,
    "agnostic_nms": check_bool,
    "nms": check_optional_bool,
    "retina_masks": check_bool,
    "verbose": check_bool,
    "half": check_bool,
    "quantize": lambda k, v: check_quantize(k, v),
    "runtime": check_runtime,
    "device": _pass,  # check_device, where the backend opens it (nn/autobackend.py parse_device)
    "vid_stride": check_positive_int,
    "stream_buffer": check_bool,
    "batch": lambda k, v: check_positive_int(k, v, MAX_BATCH),
    "pipeline": check_bool,
    "save": check_bool,
    "rect": check_bool,
    "save_txt": check_bool,
    "save_conf": check_bool,
    "save_crop": check_bool,
    "txt_format": lambda k, v: check_choice(k, v, TXT_FORMATS),
    "show": check_bool,
    "project": check_str,
    "name": check_str,
    "exist_ok": check_bool,
    "plot_style": lambda k, v: check_choice(k, v, PLOT_STYLES),
    "line_width": check_line_width,
    "show_labels": check_bool,
    "show_conf": check_optional_bool,
    "show_boxes": check_optional_bool,
    "color_mode": check_color_mode,
    "reconnect_timeout": check_seconds,
    "reset_after_drop": check_seconds,
}


def check_args(kwargs: dict[str, Any], mode: str) -> dict[str, Any]:
    """``kwargs`` of ``predict``/``track`` (``mode``) -> every argument with its value (defaults filled in).

    Deprecated keys are mapped first (:func:`handle_deprecation`). Unknown keys raise ``TypeError``; Ultralytics
    features this package lacks raise ``NotImplementedError`` when turned on; bad values raise :class:`ArgError` (a
    ``ValueError``).
    """
    args = dict(PREDICT_DEFAULTS)
    allowed = set(PREDICT_DEFAULTS) | set(NEUTRAL_ARGS)
    for k, v in handle_deprecation(kwargs).items():
        if k not in allowed:
            raise TypeError(
                f"'{k}' is not a valid argument for this call; valid arguments are: {', '.join(sorted(allowed))}"
            )
        if k in NEUTRAL_ARGS and k not in PREDICT_DEFAULTS:
            if k in UNSUPPORTED and v:
                instead = (
                    "model.embed(source) / predict(source, embed=[...]) give embeddings (a .pt checkpoint), and "
                    "trackers use the detector's own features with with_reid: True and model: auto"
                    if k == "embed"
                    else "save=True, save_txt=True, save_crop=True and show=True are, and Results.plot() draws a frame"
                )
                raise NotImplementedError(f"{k}={short_repr(v)} is not supported by numa_ultralytics; {instead}")
            continue
        args[k] = v
    if args["conf"] is None:
        args["conf"] = CONF_DEFAULTS[mode]
    for k, check in CHECKS.items():
        args[k] = check(k, args[k])
    args["half"] = half_of(args)
    return args


# ---------------------------------------------------------------------------------------------------------------------
# tracker YAMLs: the schema of their keys (the defaults are the shipped files, trackers/cfg/*.yaml)

#: Largest count setting of a tracker (``track_buffer``, ``delta_t``, ...): the Rust core's limit
#: (rust/src/tracker_settings.rs ``MAX_COUNT``, which keeps every frame count representable), read from it.
MAX_TRACKER_COUNT: int = _core.MAX_TRACKER_COUNT
#: ``gmc_method`` values (trackers/utils/gmc.py; None / "none": no camera-motion compensation).
GMC_METHODS = ("sparseOptFlow", "orb", "sift", "ecc", "none", "None", None)

_TRACKER_FRACTIONS = (
    "track_high_thresh",
    "track_low_thresh",
    "new_track_thresh",
    "match_thresh",
    "proximity_thresh",
    "appearance_thresh",
    "inertia",
    "alpha_fixed_emb",
    "occ_cover_thresh",
    "init_iou_suppress",
    "dampen_motion_occ",
    "lost_match_thr",
    "iou_weight",
    "reid_weight",
    "conf_weight",
    "angle_weight",
    "penalty_p",
    "penalty_q",
    "reduce_step",
    "tai_thr",
)
_TRACKER_COUNTS = (
    "track_buffer",
    "delta_t",
    "reset_velocity_offset_occ",
    "reset_pos_offset_occ",
    "active_occ_to_lost_thresh",
    "occ_reappear_window",
    "min_track_len",
)
#: The type of every key a tracker YAML may hold (the keys of a tracker type are those of its shipped YAML):
#: "fraction" (a number in [0, 1], as float), "count" (an integer in [0, MAX_TRACKER_COUNT]), "positive" (a number
#: > 0, as float), "bool", "gmc" (one of GMC_METHODS), "str" (a string: ``model``), "tracker_type".
TRACKER_SCHEMA: dict[str, str] = {
    "tracker_type": "tracker_type",
    **dict.fromkeys(_TRACKER_FRACTIONS, "fraction"),
    **dict.fromkeys(_TRACKER_COUNTS, "count"),
    "enlarge_bbox_occ": "positive",
    "fuse_score": "bool",
    "with_reid": "bool",
    "use_byte": "bool",
    "gmc_method": "gmc",
    "model": "str",
}


def _tracker_value(kind: str, key: str, v: Any, source: str) -> Any:
    """One tracker setting ``v`` of type ``kind`` (:data:`TRACKER_SCHEMA`), converted; ValueError names the key."""
    where = f"tracker config {source}: {key}={short_repr(v)}"
    number = not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v)
    if kind == "fraction":
        if not number or not 0.0 <= v <= 1.0:
            raise ValueError(f"{where} must be a number in [0, 1]")
        return float(v)
    if kind == "count":
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= MAX_TRACKER_COUNT:
            raise ValueError(f"{where} must be an integer in [0, {MAX_TRACKER_COUNT}]")
        return v
    if kind == "positive":
        if not number or not v > 0:
            raise ValueError(f"{where} must be a positive number")
        return float(v)
    if kind == "bool":
        if not isinstance(v, bool):
            raise ValueError(f"{where} must be true or false")
        return v
    if kind == "gmc":
        if v not in GMC_METHODS:
            raise ValueError(f"{where} is not supported; allowed values: {list(GMC_METHODS)}")
        return v
    if kind == "str":
        if not isinstance(v, str):
            raise ValueError(f"{where} must be a string")
        return v
    return v


def check_tracker_cfg(raw: Any, source: str, defaults: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A tracker config (``raw``, read from ``source``) checked against :data:`TRACKER_SCHEMA` and ``defaults`` (the
    keys and defaults per tracker type: trackers/config.py ``DEFAULTS``, the shipped YAMLs) -> every key of its
    tracker type with its value.

    Raises:
        ValueError: not a mapping, an unsupported ``tracker_type``, an unknown key or a bad value (the message names
            the key and what it allows).
    """
    if not isinstance(raw, dict):
        raise ValueError(f"tracker config {source} must be a mapping of keys to values, got {type(raw).__name__}")
    ttype = raw.get("tracker_type")
    if not isinstance(ttype, str) or ttype not in defaults:  # (a list is unhashable: no dict lookup)
        raise ValueError(
            f"tracker config {source}: tracker_type={short_repr(ttype)} is not supported; "
            f"allowed values: {list(defaults)}"
        )
    keys = defaults[ttype]
    unknown = [k for k in raw if k not in keys]
    if unknown:
        raise ValueError(
            f"tracker config {source}: unknown key(s) {short_repr(unknown)} for tracker_type '{ttype}'; "
            f"allowed keys: {sorted(keys)}"
        )
    cfg = {**keys, **raw}
    for key, kind in TRACKER_SCHEMA.items():  # in the schema's order: the first bad key is the one named
        if key in cfg:
            cfg[key] = _tracker_value(kind, key, cfg[key], source)
    return cfg
