"""``numa-yolo solutions NAME source=... key=value ...``: 8.4.190's ``yolo solutions`` (``handle_yolo_solutions``).

NAME is one of ``SOLUTION_MAP`` (8.4.190's names); the keys are ``SolutionConfig``'s, values Python literals
(``region="[(20, 400), (1080, 400)]"``, ``classes=[0]``, ``show``). Every frame of ``source`` goes through the
solution and ``plot_im`` is written to ``runs/solutions/exp/<NAME>.avi`` (``exp2``, ... when taken; mp4v, the source's
size and fps) with a progress bar; ``crop`` writes its crops to ``crop_dir`` only. Differences from 8.4.190: an unknown
NAME, an unknown key, a bad region or a missing ``source`` are errors (exit 2; 8.4.190 falls back to ``count`` and
downloads a demo video); the video is written as ``<NAME>.partial.avi`` and renamed when complete.
"""

from __future__ import annotations

import difflib
import math
import sys
from pathlib import Path
from typing import Any, TextIO

SOLUTION_MAP = {
    "count": "ObjectCounter",
    "crop": "ObjectCropper",
    "blur": "ObjectBlurrer",
    "workout": "AIGym",
    "heatmap": "Heatmap",
    "isegment": "InstanceSegmentation",
    "visioneye": "VisionEye",
    "speed": "SpeedEstimator",
    "queue": "QueueManager",
    "analytics": "Analytics",
    "inference": "Inference",
    "trackzone": "TrackZone",
    "region": "RegionCounter",
    "security": "SecurityAlarm",
    "parking": "ParkingManagement",
}
POLYGON_ONLY = ("region", "trackzone")  # solutions whose regions must be polygons (3+ points)

USAGE = f"""usage: numa-yolo solutions NAME source=path/to/video.mp4 [key=value ...]

NAME: {", ".join(SOLUTION_MAP)}
keys: the solution arguments (numa_ultralytics.solutions.SolutionConfig), e.g.
  numa-yolo solutions count source=video.mp4 region="[(20, 400), (1080, 400)]"
  numa-yolo solutions heatmap source=video.mp4 colormap=cv2.COLORMAP_PARULA
  numa-yolo solutions region source=video.mp4 region="{{'left': [(20, 50), (300, 50), (300, 340)]}}"
  numa-yolo solutions isegment source=video.mp4 model=yolo26n-seg.pt
The annotated video goes to runs/solutions/exp/NAME.avi.
"""


class SolutionsCLIError(ValueError):
    """A bad command line (exit 2)."""


def _value(key: str, text: str) -> Any:
    from numa_ultralytics.utils import literal

    if key == "colormap" and text.startswith("cv2."):
        import cv2

        name = text[4:]
        if not name.startswith("COLORMAP_") or not hasattr(cv2, name):
            raise SolutionsCLIError(f"colormap={text} is not an OpenCV colormap (e.g. cv2.COLORMAP_JET)")
        return int(getattr(cv2, name))
    return literal(text)


def _points(where: str, pts: Any, min_points: int) -> None:
    if not isinstance(pts, (list, tuple)) or len(pts) < min_points:
        raise SolutionsCLIError(f"{where} must be a list of at least {min_points} (x, y) points, got {pts!r}")
    for p in pts:
        ok = isinstance(p, (list, tuple)) and len(p) == 2
        if not ok or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in p):
            raise SolutionsCLIError(f"{where} has a bad point {p!r}: each point is (x, y), two finite numbers")


def check_region(name: str, region: Any) -> None:
    """A region for solution ``name``: a list of (x, y) points (2 for a line, 3+ for a polygon) or, for ``region``,
    ``{name: points}``; ``region`` and ``trackzone`` take polygons only."""
    if region is None:
        return
    need = 3 if name in POLYGON_ONLY else 2
    if isinstance(region, dict):
        if name != "region":
            raise SolutionsCLIError(f"region as {{name: points}} is for 'solutions region' only, not '{name}'")
        if not region:
            raise SolutionsCLIError("region={} has no regions")
        for k, pts in region.items():
            _points(f"region {k!r}", pts, 3)
        return
    _points("region", region, need)


def parse_solution_args(argv: list[str]) -> tuple[str, dict[str, Any]]:
    """``NAME key=value ...`` -> (NAME, keyword arguments); bad names, keys and regions raise ``SolutionsCLIError``."""
    from numa_ultralytics.cfg.common import _merge_equals
    from numa_ultralytics.solutions.config import SolutionConfig

    fields = vars(SolutionConfig())
    if not argv:
        raise SolutionsCLIError(f"no solution given: numa-yolo solutions NAME, NAME one of {', '.join(SOLUTION_MAP)}")
    name, rest = argv[0], argv[1:]
    if name not in SOLUTION_MAP:
        near = difflib.get_close_matches(name, list(SOLUTION_MAP), n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        raise SolutionsCLIError(f"'{name}' is not a solution{hint}; solutions: {', '.join(SOLUTION_MAP)}")
    kw: dict[str, Any] = {}
    for arg in _merge_equals(rest):
        arg = arg.lstrip("-").rstrip(",")
        if "=" in arg:
            key, text = arg.split("=", 1)
            value = _value(key, text)
        else:
            key, value = arg, True
        if key not in fields:
            near = difflib.get_close_matches(key, list(fields), n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            raise SolutionsCLIError(f"'{key}' is not a valid solution argument{hint}")
        if "=" not in arg and not isinstance(fields[key], bool):
            raise SolutionsCLIError(f"'{key}' needs a value: {key}=...")
        kw[key] = value
    check_region(name, kw.get("region"))
    return name, kw


def _check_model_args(kw: dict[str, Any]) -> None:
    """The arguments passed to ``track`` checked before anything loads (utils/args.py)."""
    from numa_ultralytics.solutions.config import SolutionConfig
    from numa_ultralytics.solutions.solutions import _model_kwargs
    from numa_ultralytics.utils.args import check_args

    cfg = vars(SolutionConfig().update(**kw))
    track = _model_kwargs(cfg)
    track.pop("tracker")
    check_args({**track, "classes": cfg["classes"]}, "track")
    from numa_ultralytics.trackers import load_tracker_config

    load_tracker_config(cfg["tracker"])


def run_solution(name: str, kw: dict[str, Any], out: TextIO = sys.stdout) -> int:
    """Run solution ``name`` over ``kw["source"]``; returns the exit code."""
    import cv2

    from numa_ultralytics import solutions
    from numa_ultralytics.utils.files import get_save_dir
    from numa_ultralytics.utils.progress import ProgressBar

    source = kw.get("source")
    if source is None:
        raise SolutionsCLIError("source is required: numa-yolo solutions NAME source=path/to/video.mp4")
    try:
        _check_model_args(kw)
        solution = getattr(solutions, SOLUTION_MAP[name])(is_cli=True, **kw)
    except (NotImplementedError, ImportError) as e:
        raise SolutionsCLIError(str(e)) from None
    except ValueError as e:
        raise SolutionsCLIError(str(e)) from None
    cap = cv2.VideoCapture(str(source))
    if not cap.isOpened():
        raise SolutionsCLIError(f"source={source} cannot be opened as a video")
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) or None
    writer = final = part = None
    if name != "crop":
        w, h, fps = (round(cap.get(x)) for x in (cv2.CAP_PROP_FRAME_WIDTH, cv2.CAP_PROP_FRAME_HEIGHT, cv2.CAP_PROP_FPS))
        save_dir = get_save_dir(None, "exp", "solutions", "solutions")  # runs/solutions/exp, exp-2, ... (8.4.190)
        save_dir.mkdir(parents=True, exist_ok=True)
        final = save_dir / f"{name}.avi"
        part = save_dir / f"{name}.partial.avi"
        writer = cv2.VideoWriter(str(part), cv2.VideoWriter.fourcc(*"mp4v"), fps, (w, h))
    bar = ProgressBar(total=total, desc=f"solutions {name}")
    frames = 0
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            results = solution(frame)
            if writer is not None:
                writer.write(results.plot_im)
            frames += 1
            bar.update()
            if solution.CFG["show"] and cv2.waitKey(1) & 0xFF == ord("q"):
                break
    finally:
        cap.release()
        bar.close()
        if writer is not None and part is not None and final is not None:
            writer.release()
            part.replace(final)
    where = final if final is not None else Path(solution.CFG["crop_dir"])
    print(f"{frames} frames, results saved to {where}", file=out)
    return 0


def run_solutions_cli(argv: list[str]) -> int:
    """``numa-yolo solutions ...`` (``argv`` after the word ``solutions``); exit 2 for a bad command line."""
    if not argv or argv[0] in ("help", "-h", "--help"):
        print(USAGE)
        return 0
    try:
        name, kw = parse_solution_args(argv)
        return run_solution(name, kw)
    except SolutionsCLIError as e:
        print(f"numa-yolo solutions: error: {e}", file=sys.stderr)
        return 2
