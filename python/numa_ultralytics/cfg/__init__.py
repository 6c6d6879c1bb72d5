"""The ``numa-yolo`` command line, with Ultralytics syntax.

    numa-yolo [TASK] MODE key=value ...

    numa-yolo segment predict model=yolo11n-seg.pt source=video.mp4 save=True
    numa-yolo segment track model=yolo11n-seg.pt source=video.mp4 tracker=bytetrack.yaml save=True save_txt=True

TASK is ``segment`` or ``detect`` (default: the model's); MODE is ``predict`` or ``track``. Outputs go to a run folder
``<project>/<name>`` (default ``runs/<task>/<mode>``, then ``<mode>2``, ``<mode>3``, ... like Ultralytics): annotated
videos (``<stem>.avi``, MJPG) and images, and with ``save_txt=True`` ``labels/<stem>.txt`` (MOT-style
``frame,id,x,y,w,h,conf,cls`` lines, frame 1-based, id -1 when not tracked) plus ``labels/<stem>_polygons.txt``
(``frame,id,cls,x1,y1,x2,y2,...`` segment outlines in pixels). Frames are drawn the seed's way (``seg_bbox`` outlines
and labels; boxes for detect models): ``color_mode=instance`` (track's default) colours by track id with id labels,
``color_mode=class`` (predict's default) colours by class with class-name labels.

Exit codes: 0 done, 1 failure while running, 2 bad arguments (one line on stderr naming the key and what it allows),
130 interrupted.
"""

from __future__ import annotations

import ast
import difflib
import os
import re
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, TextIO, Tuple
from urllib.parse import urlsplit

import numpy as np

__all__ = ["CLIError", "entrypoint", "increment_path", "parse_args"]

TASKS = ("detect", "segment")
MODES = ("predict", "track")
DEFAULT_MODELS = {"segment": "yolo11n-seg.pt", "detect": "yolo11n.pt"}
OTHER_TASKS = ("classify", "pose", "obb")
OTHER_MODES = ("train", "val", "export", "benchmark")
BUILTIN_TRACKERS = ("botsort.yaml", "bytetrack.yaml")

USAGE = f"""usage: numa-yolo [TASK] MODE key=value ...

  TASK: {", ".join(TASKS)} (default: the model's task)
  MODE: {", ".join(MODES)}

examples:
  numa-yolo segment predict model=yolo11n-seg.pt source=video.mp4 save=True
  numa-yolo segment track model=yolo11n-seg.pt source=video.mp4 tracker=bytetrack.yaml save=True save_txt=True
  numa-yolo track model=yolo11n-seg.onnx source=streams.txt show=True   (one tracker per listed stream)

arguments (key=value):
"""


class CLIError(ValueError):
    """A bad command line: ``key`` is the argument at fault (or None)."""

    def __init__(self, message: str, key: Optional[str] = None) -> None:
        super().__init__(message)
        self.key = key


# ---------------------------------------------------------------------------------------------------------------------
# values


def _literal(v: str) -> Any:
    try:
        return ast.literal_eval(v)
    except (ValueError, SyntaxError):
        return v


def _bool(key: str, v: str) -> bool:
    low = v.strip().lower()
    if low in ("true", "1", "yes", "on"):
        return True
    if low in ("false", "0", "no", "off"):
        return False
    raise CLIError(f"invalid value for {key}: {v!r} (allowed: True or False)", key)


def _is_none(v: str) -> bool:
    return v.strip().lower() in ("none", "null", "")


def _float01(key: str, v: str) -> float:
    try:
        f = float(v)
    except ValueError:
        f = float("nan")
    if not (0.0 <= f <= 1.0):
        raise CLIError(f"invalid value for {key}: {v!r} (allowed: a number between 0.0 and 1.0)", key)
    return f


def _posint(key: str, v: str) -> int:
    try:
        i = int(v)
    except ValueError:
        i = 0
    if i < 1:
        raise CLIError(f"invalid value for {key}: {v!r} (allowed: an integer >= 1)", key)
    return i


def _int_list(key: str, v: str, allowed: str) -> List[int]:
    parts = [p for p in re.split(r"[\s,\[\]\(\)]+", v) if p]
    try:
        out = [int(p) for p in parts]
    except ValueError:
        out = []
    if not out:
        raise CLIError(f"invalid value for {key}: {v!r} (allowed: {allowed})", key)
    return out


def _imgsz(key: str, v: str) -> Any:
    vals = _int_list(key, v, "an integer like 640 or height,width like 384,640")
    if len(vals) > 2 or min(vals) < 1:
        raise CLIError(
            f"invalid value for {key}: {v!r} (allowed: an integer like 640 or height,width like 384,640)", key
        )
    return vals[0] if len(vals) == 1 else vals


def _classes(key: str, v: str) -> Optional[List[int]]:
    if _is_none(v):
        return None
    vals = _int_list(key, v, "class indices like 0 or 0,2,3")
    if min(vals) < 0:
        raise CLIError(f"invalid value for {key}: {v!r} (allowed: class indices >= 0, like 0 or 0,2,3)", key)
    return vals


def _device(key: str, v: str) -> Any:
    low = v.strip().lower()
    if _is_none(v):
        return None
    if low == "cpu" or low == "cuda" or re.fullmatch(r"(cuda:)?\d+", low):
        return int(low) if low.isdigit() else low
    raise CLIError(f"invalid value for {key}: {v!r} (allowed: cpu, cuda, 0, cuda:0, ...)", key)


def _tracker(key: str, v: str) -> str:
    s = v.strip()
    if s in BUILTIN_TRACKERS or Path(s).is_file():
        return s
    if s in ("botsort", "bytetrack"):
        return s + ".yaml"
    raise CLIError(
        f"invalid value for {key}: {v!r} (allowed: {', '.join(BUILTIN_TRACKERS)} or the path of a tracker .yaml file)",
        key,
    )


def _color_mode(key: str, v: str) -> str:
    s = v.strip().lower()
    if s not in ("class", "instance"):
        raise CLIError(f"invalid value for {key}: {v!r} (allowed: class, instance)", key)
    return s


def _opt(parse: Callable[[str, str], Any]) -> Callable[[str, str], Any]:
    return lambda k, v: None if _is_none(v) else parse(k, v)


def _str(key: str, v: str) -> str:
    if not v.strip():
        raise CLIError(f"invalid value for {key}: empty", key)
    return v.strip()


@dataclass(frozen=True)
class Spec:
    parse: Callable[[str, str], Any]
    default: Any
    help: str


SPECS: OrderedDict[str, Spec] = OrderedDict(
    [
        ("model", Spec(_str, None, "weights: .pt or .onnx path or name (default yolo11n-seg.pt)")),
        ("source", Spec(_str, None, "image, video, folder, glob, URL, webcam index or .txt list of streams")),
        ("conf", Spec(_opt(_float01), None, "confidence threshold (default 0.25 predict, 0.1 track)")),
        ("iou", Spec(_float01, 0.7, "NMS IoU threshold")),
        ("imgsz", Spec(_imgsz, 640, "inference size: 640 or h,w")),
        ("classes", Spec(_classes, None, "keep only these class indices: 0 or 0,2")),
        ("max_det", Spec(_posint, 300, "maximum detections per image")),
        ("agnostic_nms", Spec(_bool, False, "class-agnostic NMS")),
        ("retina_masks", Spec(_bool, False, "masks at the original resolution")),
        ("device", Spec(_device, None, "cpu, 0, cuda:0 (default: GPU when available)")),
        ("half", Spec(_bool, False, "FP16 inference where supported")),
        ("verbose", Spec(_bool, True, "progress bar and summary")),
        ("tracker", Spec(_tracker, "botsort.yaml", "track: botsort.yaml, bytetrack.yaml or a .yaml path")),
        ("persist", Spec(_bool, False, "track: keep tracks between calls (one run is one call)")),
        ("vid_stride", Spec(_posint, 1, "use every n-th video frame")),
        ("stream_buffer", Spec(_bool, False, "queue live-stream frames instead of dropping old ones")),
        ("save", Spec(_bool, False, "write annotated images/videos into the run folder")),
        ("save_txt", Spec(_bool, False, "write labels/<stem>.txt (MOT style) and labels/<stem>_polygons.txt")),
        ("project", Spec(_str, None, "run folder parent (default runs/<task>)")),
        ("name", Spec(_str, None, "run folder name (default the mode)")),
        ("exist_ok", Spec(_bool, False, "reuse an existing run folder instead of numbering a new one")),
        ("show", Spec(_bool, False, "show annotated frames in a window (q quits)")),
        ("show_labels", Spec(_bool, True, "draw labels")),
        ("show_conf", Spec(_bool, False, "add the confidence to labels")),
        ("show_boxes", Spec(_opt(_bool), None, "draw boxes (default: only for detect models)")),
        ("line_width", Spec(_opt(_posint), None, "line width (default: from the image size)")),
        (
            "color_mode",
            Spec(
                _opt(_color_mode),
                None,
                "class: colour per class, class-name labels (the seed's predict loop); instance: colour per track id, "
                "id labels (its track loop). Default: instance for track, class for predict",
            ),
        ),
    ]
)
ENGINE_KEYS = ("conf", "iou", "imgsz", "classes", "max_det", "agnostic_nms", "retina_masks", "device", "half")


def _usage() -> str:
    lines = [f"  {k + '=' + repr(s.default):<28} {s.help}" for k, s in SPECS.items()]
    return USAGE + "\n".join(lines) + "\n"


def _merge_equals(argv: List[str]) -> List[str]:
    """Join ``key = value`` / ``key= value`` / ``key =value`` into ``key=value`` (as Ultralytics does)."""
    out: List[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "=" and out and i + 1 < len(argv):
            out[-1] += "=" + argv[i + 1]
            i += 2
            continue
        if a.endswith("=") and a.count("=") == 1 and i + 1 < len(argv) and "=" not in argv[i + 1]:
            out.append(a + argv[i + 1])
            i += 2
            continue
        if a.startswith("=") and out and "=" not in out[-1]:
            out[-1] += a
            i += 1
            continue
        out.append(a)
        i += 1
    return out


def parse_args(argv: List[str]) -> Tuple[Optional[str], str, Dict[str, Any], set]:
    """``argv`` -> (task or None, mode, args with defaults, keys the user set). Raises :class:`CLIError`."""
    task: Optional[str] = None
    mode: Optional[str] = None
    args = {k: s.default for k, s in SPECS.items()}
    given: set = set()
    for a in _merge_equals(argv):
        if "=" in a:
            k, v = a.split("=", 1)
            k = k.strip().replace("-", "_")
            if k not in SPECS:
                close = difflib.get_close_matches(k, SPECS.keys(), n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise CLIError(f"unknown argument {k!r}{hint}; valid arguments: {', '.join(SPECS)}", k)
            if k in given:
                raise CLIError(f"argument {k} given twice", k)
            args[k] = SPECS[k].parse(k, v)
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
    if args["source"] is None:
        raise CLIError("source is required: source=video.mp4 (a path, folder, glob, URL, webcam index)", "source")
    return task, mode, args, given


# ---------------------------------------------------------------------------------------------------------------------
# run folder and outputs


def increment_path(path: os.PathLike | str, exist_ok: bool = False) -> Path:
    """``runs/segment/predict`` -> itself if free (or ``exist_ok``), else ``predict2``, ``predict3``, ..."""
    path = Path(path)
    if exist_ok or not path.exists():
        return path
    n = 2
    while True:
        p = path.with_name(f"{path.name}{n}")
        if not p.exists():
            return p
        n += 1


def _clean(s: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", s).strip("_") or "stream"


def _stem_of(path: str) -> str:
    if "://" in path:
        parts = urlsplit(path)
        stem = Path(parts.path).stem
        return _clean(stem or parts.netloc)
    if path.isnumeric():
        return f"webcam{path}"
    return Path(path).stem or _clean(path)


class Outputs:
    """Writers for one run: videos, images, label files."""

    def __init__(self, save_dir: Path, save: bool, save_txt: bool, multi_stream: bool) -> None:
        self.save_dir = save_dir
        self.save = save
        self.save_txt = save_txt
        self.multi_stream = multi_stream
        self.videos: Dict[int, Tuple[str, Any]] = {}  # stream -> (path, writer)
        self.txt: Dict[str, Tuple[TextIO, TextIO]] = {}
        self.written: List[Path] = []
        self.names: Dict[Tuple[int, str], str] = {}
        self._taken: set = set()

    def name(self, stream: int, path: str) -> str:
        key = (stream, path)
        if key not in self.names:
            stem = _stem_of(path)
            if stem in self._taken:
                stem = f"{stem}_{stream}" if self.multi_stream else stem
                n = 2
                base = stem
                while stem in self._taken:
                    stem = f"{base}_{n}"
                    n += 1
            self._taken.add(stem)
            self.names[key] = stem
        return self.names[key]

    def write_frame(self, item: Any, im: np.ndarray) -> None:
        import cv2

        stem = self.name(item.stream, item.path)
        is_video = item.frames != 1 or item.fps is not None
        if not is_video:
            suffix = Path(urlsplit(item.path).path).suffix if "://" in item.path else Path(item.path).suffix
            suffix = suffix if suffix.lower() in (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp") else ".jpg"
            out = self.save_dir / f"{stem}{suffix}"
            if not cv2.imwrite(str(out), im):
                raise OSError(f"could not write {out}")
            self.written.append(out)
            return
        cur = self.videos.get(item.stream)
        if cur is None or cur[0] != item.path:
            if cur is not None:
                cur[1].release()
            out = self.save_dir / f"{stem}.avi"
            fps = item.fps or 30.0
            h, w = im.shape[:2]
            writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
            if not writer.isOpened():
                raise OSError(f"could not open a video writer for {out}")
            self.videos[item.stream] = (item.path, writer)
            self.written.append(out)
            cur = self.videos[item.stream]
        cur[1].write(im)

    def write_labels(self, item: Any, r: Any) -> None:
        stem = self.name(item.stream, item.path)
        files = self.txt.get(stem)
        if files is None:
            d = self.save_dir / "labels"
            d.mkdir(parents=True, exist_ok=True)
            files = (open(d / f"{stem}.txt", "w"), open(d / f"{stem}_polygons.txt", "w"))  # noqa: SIM115
            self.txt[stem] = files
        frame = item.frame + 1
        boxes = r.boxes
        if boxes is None or len(boxes) == 0:
            return
        data = np.asarray(boxes.data, dtype=np.float64)
        ids = np.asarray(boxes.id).astype(int) if boxes.is_track else np.full(len(data), -1)
        polys = r.masks.xy if r.masks is not None else None
        lines, plines = [], []
        for i, row in enumerate(data):
            x1, y1, x2, y2 = row[:4]
            conf, cls = row[-2], int(row[-1])
            lines.append(f"{frame},{ids[i]},{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},{conf:.4f},{cls}\n")
            if polys is not None:
                pts = ",".join(f"{v:.1f}" for v in np.asarray(polys[i], dtype=np.float64).reshape(-1))
                plines.append(f"{frame},{ids[i]},{cls}" + (f",{pts}" if pts else "") + "\n")
        files[0].writelines(lines)
        files[1].writelines(plines)

    def close(self) -> None:
        for _, w in self.videos.values():
            w.release()
        self.videos = {}
        for a, b in self.txt.values():
            a.close()
            b.close()


# ---------------------------------------------------------------------------------------------------------------------
# drawing


def draw(
    r: Any,
    names: Dict[int, str],
    color_mode: str = "class",
    show_labels: bool = True,
    show_conf: bool = False,
    show_boxes: Optional[bool] = None,
    line_width: Optional[int] = None,
) -> np.ndarray:
    """Annotate ``r.orig_img`` in place the seed's way: ``seg_bbox`` per mask polygon, ``box_label`` for boxes.

    ``color_mode="class"`` colours by class and labels with the class name (``id:<n> name`` when tracked);
    ``"instance"`` colours by track id (by detection index when untracked) and labels with the id, like the seed's
    tracking loop.
    """
    from numa_ultralytics.utils.plotting import Annotator, colors

    im = r.orig_img
    ann = Annotator(im, line_width=line_width)
    boxes = r.boxes
    if boxes is None or len(boxes) == 0:
        return ann.result()
    data = np.asarray(boxes.data)
    cls = data[:, -1].astype(int)
    conf = data[:, -2]
    ids = np.asarray(boxes.id).astype(int) if boxes.is_track else None
    polys = r.masks.xy if r.masks is not None else None
    if show_boxes is None:
        show_boxes = polys is None
    for i in range(len(data)):
        if color_mode == "instance":
            color = colors(int(ids[i]) if ids is not None else i, True)
            label = str(ids[i]) if ids is not None else names.get(int(cls[i]), str(cls[i]))
        else:
            color = colors(int(cls[i]), True)
            name = names.get(int(cls[i]), str(cls[i]))
            label = f"id:{ids[i]} {name}" if ids is not None else name
        if show_conf:
            label = f"{label} {conf[i]:.2f}"
        if not show_labels:
            label = ""
        txt_color = ann.get_txt_color(color)
        if polys is not None and len(polys[i]):
            if show_boxes:
                ann.box_label(data[i, :4], "", color=color)
            ann.seg_bbox(mask=polys[i], mask_color=color, label=label or None, txt_color=txt_color)
        elif show_boxes or polys is None:
            ann.box_label(data[i, :4], label, color=color, txt_color=txt_color)
    return ann.result()


# ---------------------------------------------------------------------------------------------------------------------
# running


STAGES = ("preprocess", "inference", "postprocess", "tracking", "drawing", "writing")


def run(task: Optional[str], mode: str, args: Dict[str, Any], given: set, out: TextIO = sys.stdout) -> int:
    """Run ``mode`` with parsed ``args``; returns the exit code."""
    from numa_ultralytics.data.loaders import load_inference_source
    from numa_ultralytics.engine.model import YOLO
    from numa_ultralytics.utils.progress import ProgressBar

    verbose = args["verbose"]
    model_name = args["model"] or DEFAULT_MODELS.get(task or "segment", "yolo11n-seg.pt")
    # ---- setup: anything failing here is a bad argument (exit 2)
    try:
        src = load_inference_source(args["source"], vid_stride=args["vid_stride"], stream_buffer=args["stream_buffer"])
    except (FileNotFoundError, ValueError, TypeError) as e:
        raise CLIError(f"source={args['source']}: {e}", "source") from e
    try:
        model = YOLO(model_name, task=task)
    except (FileNotFoundError, ValueError, TypeError, OSError) as e:
        src.close()
        raise CLIError(f"model={model_name}: {e}", "model") from e
    task = model.task

    kw = {k: args[k] for k in ENGINE_KEYS if k in given or k in ("iou", "imgsz", "max_det")}
    try:
        if mode == "track":
            gen = model.track(src, stream=True, persist=args["persist"], tracker=args["tracker"], verbose=False, **kw)
        else:
            gen = model.predict(src, stream=True, verbose=False, **kw)
    except (ValueError, TypeError, FileNotFoundError) as e:
        src.close()
        raise CLIError(str(e)) from e

    save_dir = None
    outputs = None
    if args["save"] or args["save_txt"]:
        project = Path(args["project"]) if args["project"] else Path("runs") / task
        save_dir = increment_path(project / (args["name"] or mode), exist_ok=args["exist_ok"])
        save_dir.mkdir(parents=True, exist_ok=True)
        outputs = Outputs(save_dir, args["save"], args["save_txt"], multi_stream=src.num_streams > 1)

    totals = dict.fromkeys(STAGES, 0.0)
    n = 0
    bar: Optional[ProgressBar] = None
    t_start = time.perf_counter()
    draw_needed = args["save"] or args["show"]
    show = args["show"]
    code = 0
    first = True
    try:
        it = iter(gen)
        while True:
            try:
                r = next(it)
            except StopIteration:
                break
            except (ValueError, TypeError, FileNotFoundError) as e:
                if first:  # bad device, tracker file, ... found when the engine starts
                    raise CLIError(str(e)) from e
                raise
            first = False
            item = r.source_item
            n += 1
            for k in ("preprocess", "inference", "postprocess", "tracking"):
                totals[k] += float(r.speed.get(k) or 0.0)
            if bar is None:
                total = None
                if src.kind == "video" and item.frames:
                    total = item.frames // args["vid_stride"]
                elif src.kind in ("image", "files", "array") and all(
                    Path(s).suffix[1:].lower() not in _video_suffixes() for s in src.sources
                ):
                    total = len(src.sources)
                desc = f"{_stem_of(item.path)} " if src.kind == "video" else ""
                bar = ProgressBar(total, desc=desc, unit="frame", enabled=None if verbose else False)
            t0 = time.perf_counter()
            if draw_needed:
                draw(
                    r,
                    model.names,
                    color_mode=args["color_mode"] or ("instance" if mode == "track" else "class"),
                    show_labels=args["show_labels"],
                    show_conf=args["show_conf"],
                    show_boxes=args["show_boxes"],
                    line_width=args["line_width"],
                )
            t1 = time.perf_counter()
            if outputs is not None:
                if args["save"]:
                    outputs.write_frame(item, r.orig_img)
                if args["save_txt"]:
                    outputs.write_labels(item, r)
            t2 = time.perf_counter()
            totals["drawing"] += (t1 - t0) * 1e3
            totals["writing"] += (t2 - t1) * 1e3
            if verbose and not bar.enabled and item.frames == 1 and item.fps is None:
                print(f"image {n} {item.path}: {r.verbose()}{r.speed.get('inference', 0.0):.1f}ms", file=out)
            bar.update(1)
            if show:
                import cv2

                cv2.imshow(f"numa-yolo {item.stream}: {_stem_of(item.path)}", r.orig_img)
                if cv2.waitKey(1) & 0xFF == ord("q"):
                    break
    except KeyboardInterrupt:
        code = 130
    finally:
        if bar is not None:
            bar.close()
        if outputs is not None:
            outputs.close()
        src.close()
        if show:
            try:
                import cv2

                cv2.destroyAllWindows()
            except Exception:  # noqa: S110 - no display
                pass
    wall = time.perf_counter() - t_start
    if verbose:
        if n:
            stages = [s for s in STAGES if s != "tracking" or mode == "track"]
            speed = ", ".join(f"{totals[s] / n:.1f}ms {s}" for s in stages)
            print(f"Speed: {speed} per frame; {n} frames in {wall:.1f}s ({n / wall:.1f} FPS)", file=out)
        else:
            print("no frames were read from the source", file=out)
        if save_dir is not None:
            print(f"Results saved to {save_dir}", file=out)
    return code


def _video_suffixes() -> set:
    from numa_ultralytics.data.loaders import VID_FORMATS

    return VID_FORMATS


def entrypoint(argv: Optional[List[str]] = None) -> int:
    """The ``numa-yolo`` console script: parse, run, return the exit code (2 for bad arguments)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("help", "-h", "--help"):
        print(_usage())
        return 0
    if argv[0] in ("version", "--version", "-V"):
        from numa_ultralytics import __version__

        print(__version__)
        return 0
    try:
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
