"""Predict / track arguments: their defaults and checks, in one place.

``model.predict`` / ``model.track`` call :func:`check_args`; the command line converts its strings to values and runs
the same validators (:func:`check_fraction`, :func:`check_positive_int`, :func:`check_color_mode`,
:func:`check_choice`), turning an :class:`ArgError` into a message naming the key and what it allows. A leaf module
(numpy only), so the loaders can check ``vid_stride`` with it too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "CONF_DEFAULTS",
    "PLOT_STYLES",
    "TXT_FORMATS",
    "NEUTRAL_ARGS",
    "PREDICT_DEFAULTS",
    "TRACK_DEFAULTS",
    "ArgError",
    "check_args",
    "check_color_mode",
    "check_fraction",
    "check_choice",
    "check_positive_int",
]

PREDICT_DEFAULTS: dict[str, Any] = {
    "conf": None,  # None: CONF_DEFAULTS[mode]
    "iou": 0.7,
    "imgsz": 640,
    "classes": None,
    "max_det": 300,
    "agnostic_nms": False,
    "retina_masks": False,
    "verbose": True,
    "half": False,
    "device": None,
    "vid_stride": 1,
    "stream_buffer": False,
    "batch": 1,
    # outputs, as Ultralytics: annotated images/videos and labels under runs/<task>/<mode> (engine/sink.py)
    "save": False,
    "save_txt": False,
    "save_conf": False,  # save_txt: append each object's confidence (YOLO format)
    "save_crop": False,  # crops/<class name>/<label file stem>.jpg (Results.save_crop)
    "txt_format": "yolo",  # save_txt: "yolo" (Ultralytics' labels/<stem>[_<frame>].txt) or "mot" (TXT_FORMATS)
    "show": False,
    "project": None,
    "name": None,
    "exist_ok": False,
    # how save/show draw frames (utils/plotting.py): "filled" is Results.plot()'s look (draw_filled), "outlines" the
    # seed's look (draw_outlines); None below means the style's own default (engine/sink.py OutputSink)
    "plot_style": "filled",
    "line_width": None,
    "show_labels": True,
    "show_conf": None,  # None: True for "filled", False for "outlines"
    "show_boxes": None,  # None: True for "filled"; for "outlines" boxes only where there is no mask outline
    "color_mode": None,  # None: "class" for "filled"; for "outlines" "instance" for track, "class" for predict
}
CONF_DEFAULTS: dict[str, float] = {"predict": 0.25, "track": 0.1}
TRACK_DEFAULTS: dict[str, Any] = {"persist": False, "tracker": "botsort.yaml"}
# Ultralytics arguments accepted for compatibility that change nothing when left at these values.
NEUTRAL_ARGS: dict[str, Any] = {
    "augment": False,
    "visualize": False,
    "embed": None,
    "save_frames": False,
    "rect": True,
    "mode": None,
    "task": None,
    "model": None,
    "source": None,
}
UNSUPPORTED = ("save_frames", "augment", "visualize")  # refused when true
COLOR_MODES = ("class", "instance")
TXT_FORMATS = ("yolo", "mot")  # engine/sink.py: "yolo" as Ultralytics, "mot" MOT-style CSV + _polygons.txt
PLOT_STYLES = ("filled", "outlines")


class ArgError(ValueError):
    """A bad argument value: ``key`` names it, ``allowed`` says what it allows (the command line shows both)."""

    def __init__(self, key: str, value: Any, allowed: str) -> None:
        super().__init__(f"{key}={value!r} is invalid; it must be {allowed}")
        self.key = key
        self.value = value
        self.allowed = allowed


def check_fraction(key: str, v: Any) -> float:
    """A number in [0, 1] (``conf``, ``iou``); bools and NaN are refused."""
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not (0.0 <= float(v) <= 1.0):
        raise ArgError(key, v, "a number between 0.0 and 1.0")
    return v


def check_positive_int(key: str, v: Any) -> int:
    """An integer >= 1 (``max_det``, ``vid_stride``, ``line_width``); bools are refused."""
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
        raise ArgError(key, v, "an integer >= 1")
    return int(v)


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


def check_args(kwargs: dict[str, Any], mode: str) -> dict[str, Any]:
    """``kwargs`` of ``predict``/``track`` (``mode``) -> every argument with its value (defaults filled in).

    Unknown keys raise ``TypeError``; Ultralytics features this package lacks raise ``NotImplementedError`` when
    turned on; bad values raise :class:`ArgError` (a ``ValueError``).
    """
    args = dict(PREDICT_DEFAULTS)
    allowed = set(PREDICT_DEFAULTS) | set(NEUTRAL_ARGS)
    for k, v in kwargs.items():
        if k not in allowed:
            raise TypeError(
                f"'{k}' is not a valid argument for this call; valid arguments are: {', '.join(sorted(allowed))}"
            )
        if k in NEUTRAL_ARGS and k not in PREDICT_DEFAULTS:
            if k in UNSUPPORTED and v:
                raise NotImplementedError(
                    f"{k}={v!r} is not supported by numa_ultralytics; "
                    "save=True, save_txt=True, save_crop=True and show=True are, and Results.plot() draws a frame"
                )
            continue
        args[k] = v
    if args["conf"] is None:
        args["conf"] = CONF_DEFAULTS[mode]
    for k in ("conf", "iou"):
        check_fraction(k, args[k])
    for k in ("max_det", "vid_stride"):
        check_positive_int(k, args[k])
    check_color_mode("color_mode", args["color_mode"])
    check_choice("txt_format", args["txt_format"], TXT_FORMATS)
    check_choice("plot_style", args["plot_style"], PLOT_STYLES)
    return args
