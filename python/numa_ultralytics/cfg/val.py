"""``numa-yolo [TASK] val model=... data=... key=value ...``: ``YOLO(model).val(...)`` from the command line.

Arguments are utils/args.py's ``VAL_DEFAULTS`` keys plus ``model``; values are Python literals
(``imgsz=640``, ``rect=False``, ``device=cpu``). Bad keys or values exit 2 naming the key.
"""

from __future__ import annotations

import difflib
from typing import Any

from numa_ultralytics.engine.model import YOLO
from numa_ultralytics.engine.validator import check_val_args
from numa_ultralytics.utils import literal
from numa_ultralytics.utils.args import (
    DEFAULT_MODEL,
    DEPRECATED_KEYS,
    TASK2MODEL,
    VAL_DEFAULTS,
    default_model,
    handle_deprecation,
)

VAL_TASKS = ("detect", "segment")


def val_usage() -> str:
    """The val mode's keys with their defaults (``numa-yolo help``, ``numa-yolo segment val help``)."""
    default = f"{TASK2MODEL['segment']} for segment, else {DEFAULT_MODEL}"
    lines = [f"  {'model=None':<28} weights: .pt or .onnx path or name (default {default})"]
    lines += [f"  {k + '=' + repr(v):<28}" for k, v in VAL_DEFAULTS.items()]
    return (
        "val arguments (numa-yolo [TASK] val model=... data=dataset.yaml key=value ...; model.val(...)):\n"
        + "\n".join(s.rstrip() for s in lines)
        + "\n"
    )


def parse_val_args(argv: list[str]) -> tuple[str | None, dict[str, Any]]:
    """``argv`` (containing the word ``val``) -> (task or None, keyword arguments including ``model``)."""
    from numa_ultralytics.cfg.common import CLIError

    task: str | None = None
    kw: dict[str, Any] = {}
    for a in argv:
        if a == "val":
            continue
        if a in VAL_TASKS:
            if task is not None:
                raise CLIError(f"two tasks given: {task} and {a}", "task")
            task = a
            continue
        if "=" not in a and isinstance(VAL_DEFAULTS.get(a.replace("-", "_")), bool):  # a bare flag: key=True
            a = f"{a}=True"
        if "=" not in a:
            raise CLIError(f"unknown word {a!r}: val takes [detect|segment] val key=value ...", "mode")
        k, v = a.split("=", 1)
        k = k.strip().replace("-", "_")
        if k != "model" and k not in VAL_DEFAULTS and k not in DEPRECATED_KEYS:  # deprecated: run_val_cli maps them
            known = ["model", *VAL_DEFAULTS]
            close = difflib.get_close_matches(k, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise CLIError(f"unknown argument {k!r}{hint}; val arguments: {', '.join(known)}", k)
        if k in kw:
            raise CLIError(f"argument {k} given twice", k)
        kw[k] = v if k in ("model", "data", "split", "project", "name") else literal(v)
    if "data" not in kw:
        raise CLIError("data is required: data=path/to/dataset.yaml", "data")
    return task, kw


def run_val_cli(argv: list[str]) -> int:
    """Parse and run ``val``; prints the original's per-class table and speed line. Returns the exit code."""
    from numa_ultralytics.cfg.common import CLIError

    task, kw = parse_val_args(argv)
    model_name = kw.pop("model", None) or default_model(task)
    try:
        kw = handle_deprecation(kw)  # once, with its warnings (half -> quantize, end2end -> nms, ...)
        check_val_args(dict(kw))
    except TypeError as e:  # end2end not a bool
        raise CLIError(str(e), "end2end") from e
    except ValueError as e:
        key = str(e).split("=", 1)[0].strip("'") if "=" in str(e) else None
        raise CLIError(str(e), key if key in VAL_DEFAULTS else None) from e
    try:
        model = YOLO(model_name, task=task)
    except (FileNotFoundError, ValueError, OSError) as e:
        raise CLIError(f"model={model_name}: {e}", "model") from e
    try:
        model.val(**kw)
    except FileNotFoundError as e:
        raise CLIError(str(e), "data") from e
    except ValueError as e:  # e.g. data= a folder, not a dataset YAML
        raise CLIError(str(e), "data" if str(e).startswith("data=") else None) from e
    return 0
