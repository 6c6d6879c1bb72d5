"""The ``numa-yolo`` command line, with Ultralytics syntax.

    numa-yolo [TASK] MODE key=value ...

    numa-yolo segment predict model=yolo11n-seg.pt source=video.mp4 save=True
    numa-yolo segment track model=yolo11n-seg.pt source=video.mp4 tracker=bytetrack.yaml save=True save_txt=True

TASK is ``segment`` or ``detect`` (default: the model's); MODE is ``predict``, ``track`` or ``export``
(``numa-yolo export model=yolo11n-seg.pt format=onnx imgsz=640 dynamic=True``: engine/exporter.py). cfg/parsing.py
parses the arguments (converting strings to values, checked by utils/args.py's validators), then cfg/run.py runs
``model.predict(...)`` / ``model.track(..., stream=True)``, which write the run folder (engine/sink.py: annotated
videos and images drawn as ``Results.plot()`` (``plot_style=outlines``: the seed's look), YOLO-format label files
(``txt_format=mot``: MOT-style ones)), and shows a progress bar (plain lines every few seconds when the output is not a
terminal) and the per-stage speed summary. A TASK other than the model's warns and runs the model's task.

Exit codes: 0 done, 1 failure while running, 2 bad arguments (one line on stderr naming the key and what it allows),
130 interrupted by SIGINT (Ctrl-C), 143 stopped by SIGTERM: the frame in hand is finished and the video and label files
are closed first (utils/signals.py); a second signal exits at once.
"""

from __future__ import annotations

import os
import sys

from numa_ultralytics.cfg.common import CLIError
from numa_ultralytics.cfg.parsing import parse_args, usage
from numa_ultralytics.cfg.run import run

__all__ = ["CLIError", "entrypoint", "parse_args", "run"]


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
            print(usage())
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
