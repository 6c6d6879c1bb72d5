"""Where predictions go: run folders, annotated videos/images, label files, the window, and the speed summary.

``model.predict`` / ``model.track`` with ``save`` / ``save_txt`` / ``show`` hand every frame to an :class:`OutputSink`;
the command line gets its files through the same calls, so both write the same run folders:

- ``<project>/<name>`` (default ``runs/<task>/<mode>``, then ``<mode>-2``, ``<mode>-3``, ...; a relative ``project``
  under ``runs/<task>``: utils/files.py ``get_save_dir``, as 8.4.190), kept by the model from call to call while
  ``project`` / ``name`` / ``exist_ok`` and the predictor's set-up stay the same (engine/model.py ``_run_dir``);
- ``save``: annotated videos (``<stem>.avi``, MJPG) and images, drawn by ``plot_style``: ``"filled"`` (default) is
  ``Results.plot()``'s look (:func:`~numa_ultralytics.utils.plotting.draw_plot`, with ``show_boxes`` /
  ``show_conf`` / ``show_labels`` / ``line_width`` as the original's predictor passes them), ``"outlines"`` the seed's
  look (:func:`~numa_ultralytics.utils.plotting.draw_outlines`);
- ``save_txt`` with ``txt_format="yolo"`` (default), as Ultralytics' ``predictor.write_results``: one file per image
  or frame, ``labels/<stem>.txt`` for images, ``labels/<stem>_<frame>.txt`` for video frames (the 1-based frame
  counter of the log line; live streams: the 0-based frame count), each line written by ``Results.save_txt``
  (``cls`` + normalised box or polygon, ``conf`` with ``save_conf``, the track id when tracked); no file for a frame
  without objects;
- ``save_txt`` with ``txt_format="mot"``: ``labels/<stem>.txt`` (MOT-style ``frame,id,x,y,w,h,conf,cls`` lines, frame
  1-based, id -1 when not tracked) and ``labels/<stem>_polygons.txt`` (``frame,id,cls,x1,y1,x2,y2,...`` segment
  outlines in pixels), one pair per source;
- ``save_txt`` with ``txt_format="mots"``: ``labels/<stem>.txt`` of MOTS lines (``frame id class h w rle``,
  non-overlapping masks at the original size; engine/mots.py), one per source;
- ``save_crop``: ``crops/<class name>/<stem>[_<frame>].jpg`` per object (``Results.save_crop``);
- ``show``: a window per stream (``q`` stops the run).

Every file appears under its final name only when it is complete ("temporary names, renamed when complete"): a video
is written as ``<stem>.partial.avi`` and renamed to ``<stem>.avi`` when its writer is closed (the AVI index is written
then), MOT label files as ``<name>.partial.txt`` (flushed after every frame), images and YOLO label files are written
to ``.partial`` names and renamed at once. The writers are closed at the end of the source, on an error and on
SIGINT/SIGTERM (utils/signals.py: the run finishes the frame in hand first), so an interrupted run keeps a playable
video with an index counting every frame written and one label file per frame. Only a hard kill (SIGKILL, a second
signal, power loss) leaves ``.partial`` files behind.

:class:`SpeedTotals` renders both speed summaries (the Python API's Ultralytics line, the command line's per-stage
line); :func:`frame_log_line` is the per-frame log line.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TextIO
from urllib.parse import urlsplit

import numpy as np

from numa_ultralytics.data.sources import is_live_source
from numa_ultralytics.utils.display import check_imshow, imshow
from numa_ultralytics.utils.files import get_save_dir

__all__ = [
    "LogNumbers",
    "OutputSink",
    "Outputs",
    "SinkWorker",
    "SpeedTotals",
    "frame_log_line",
    "saved_line",
    "stem_of",
]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


# ---------------------------------------------------------------------------------------------------------------------
# run folder and file names


def _clean(s: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", s).strip("_") or "stream"


def stem_of(path: str) -> str:
    """A file-name stem for a source: the file's stem, the URL's last path part (or host), ``webcam<i>``."""
    if "://" in path:
        parts = urlsplit(path)
        stem = Path(parts.path).stem
        return _clean(stem or parts.netloc)
    if path.isnumeric():
        return f"webcam{path}"
    return Path(path).stem or _clean(path)


# ---------------------------------------------------------------------------------------------------------------------
# writers


class Outputs:
    """Writers for one run: videos, images, label files."""

    def __init__(
        self,
        save_dir: Path,
        save: bool,
        save_txt: bool,
        multi_stream: bool,
        txt_format: str = "yolo",
        save_conf: bool = False,
        live: bool = False,
        vid_stride: int = 1,
    ) -> None:
        self.save_dir = save_dir
        self.save = save
        self.save_txt = save_txt
        self.multi_stream = multi_stream
        self.txt_format = txt_format
        self.save_conf = save_conf
        self.live = live  # live streams / stream lists: frames of live sources are named by the 0-based count
        self.vid_stride = vid_stride
        if save_txt:
            (save_dir / "labels").mkdir(parents=True, exist_ok=True)
        self.videos: dict[int, _VideoFile] = {}  # stream -> its current video
        self.txt: dict[str, tuple[_TextFile, _TextFile]] = {}
        self.mots: dict[str, _TextFile] = {}  # txt_format="mots": one file per source
        self.written: list[Path] = []
        self.names: dict[tuple[int, str], str] = {}
        self._taken: set[str] = set()

    def name(self, stream: int, path: str) -> str:
        key = (stream, path)
        if key not in self.names:
            stem = stem_of(path)
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
            suffix = suffix if suffix.lower() in IMAGE_SUFFIXES else ".jpg"
            out = self.save_dir / f"{stem}{suffix}"
            ok, buf = cv2.imencode(suffix, im)
            if not ok:
                raise OSError(f"could not encode {out}")
            _write_complete(out, buf.tobytes())
            self.written.append(out)
            return
        cur = self.videos.get(item.stream)
        if cur is None or cur.source != item.path:
            if cur is not None:
                cur.close()
            fps = item.fps or 30.0
            h, w = im.shape[:2]
            cur = _VideoFile(self.save_dir / f"{stem}.avi", fps, (w, h), item.path)
            self.videos[item.stream] = cur
            self.written.append(cur.path)
        cur.write(im)

    def label_stem(self, item: Any) -> str:
        """``<stem>`` for an image, ``<stem>_<frame>`` for a video frame (the log line's 1-based frame counter) or a
        live-stream frame (the 0-based frame count), as Ultralytics' ``predictor.write_results`` names label files
        (``dataset.count`` for its ``LoadStreams``, the frame number for files). A video file keeps 1-based numbers in a
        stream list too: the rule is the source's, not the run's."""
        stem = self.name(item.stream, item.path)
        if item.fps is None and item.frames == 1:
            return stem
        n = item.frame // self.vid_stride
        return f"{stem}_{n if self.live and is_live_source(item.path) else n + 1}"

    def write_labels(self, item: Any, r: Any) -> None:
        if self.txt_format == "yolo":
            out = self.save_dir / "labels" / f"{self.label_stem(item)}.txt"
            if r.boxes is None or len(r.boxes) == 0:
                return  # no file for a frame without objects
            tmp = _partial(out)
            if out.exists():  # Results.save_txt appends (an image stem seen twice, exist_ok=True)
                shutil.copyfile(out, tmp)
            r.save_txt(tmp, save_conf=self.save_conf)
            os.replace(tmp, out)
            return
        stem = self.name(item.stream, item.path)
        if self.txt_format == "mots":  # engine/mots.py: frame id class h w rle, one file per source
            from numa_ultralytics.engine.mots import mots_lines

            mfile = self.mots.get(stem)
            if mfile is None:
                (self.save_dir / "labels").mkdir(parents=True, exist_ok=True)
                mfile = self.mots[stem] = _TextFile(self.save_dir / "labels" / f"{stem}.txt")
            mfile.write(mots_lines(item.frame + 1, r))
            return
        files = self.txt.get(stem)
        if files is None:
            d = self.save_dir / "labels"
            d.mkdir(parents=True, exist_ok=True)
            files = (_TextFile(d / f"{stem}.txt"), _TextFile(d / f"{stem}_polygons.txt"))
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
        files[0].write(lines)
        files[1].write(plines)

    def close(self) -> None:
        """Close every writer; each file gets its final name (see :func:`_partial`). Safe to call twice."""
        errors: list[BaseException] = []
        files: list[_VideoFile | _TextFile] = [
            *self.videos.values(),
            *(f for pair in self.txt.values() for f in pair),
            *self.mots.values(),
        ]
        for f in files:
            try:
                f.close()
            except OSError as e:  # close the others anyway
                errors.append(e)
        self.videos = {}
        self.txt = {}
        self.mots = {}
        if errors:
            raise errors[0]


# ---------------------------------------------------------------------------------------------------------------------
# complete files only: temporary names renamed when complete


def _partial(final: Path) -> Path:
    """The temporary name a file is written under until it is complete: ``<stem>.partial<suffix>`` (the suffix is
    kept: OpenCV picks the container from it). Closing renames it to ``final``; only a hard kill (SIGKILL, a second
    signal, power loss) leaves a ``.partial`` file, which is then valid up to its last flush."""
    return final.with_name(f"{final.stem}.partial{final.suffix}")


def _write_complete(final: Path, data: bytes) -> None:
    tmp = _partial(final)
    tmp.write_bytes(data)
    os.replace(tmp, final)


class _VideoFile:
    """An MJPG ``.avi`` written under its ``.partial.avi`` name; ``close`` writes the index and renames it."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int], source: str) -> None:
        import cv2

        self.path = path
        self.source = source
        self.tmp = _partial(path)
        self.writer: Any = cv2.VideoWriter(str(self.tmp), cv2.VideoWriter.fourcc(*"MJPG"), fps, size)
        if not self.writer.isOpened():
            raise OSError(f"could not open a video writer for {path}")

    def write(self, im: np.ndarray) -> None:
        self.writer.write(im)

    def close(self) -> None:
        if self.writer is None:
            return
        self.writer.release()
        self.writer = None
        os.replace(self.tmp, self.path)


class _TextFile:
    """A label file appended frame by frame: flushed after each frame, renamed from ``.partial.txt`` when closed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = _partial(path)
        self.f: TextIO | None = open(self.tmp, "w", encoding="utf-8")  # noqa: SIM115 (closed by close())

    def write(self, lines: list[str]) -> None:
        assert self.f is not None
        self.f.writelines(lines)
        self.f.flush()

    def close(self) -> None:
        if self.f is None:
            return
        self.f.close()
        self.f = None
        os.replace(self.tmp, self.path)


# ---------------------------------------------------------------------------------------------------------------------
# the sink


class OutputSink:
    """``save`` / ``save_txt`` / ``show`` of one ``predict``/``track`` call (``args`` as checked by utils/args.py).

    Call it with every frame's ``(SourceItem, Results)``: it draws on a copy of the frame (the result's own
    ``orig_img`` is left as it is), writes the frame and the labels, shows the window, sets ``r.save_dir`` and adds
    ``r.speed["drawing"]`` / ``r.speed["writing"]`` (ms). ``stop`` turns true when ``q`` is pressed in the window.
    """

    def __init__(
        self,
        args: dict[str, Any],
        task: str,
        mode: str,
        num_streams: int = 1,
        source_kind: str = "",
        save_dir: Path | None = None,
    ) -> None:
        self.save = bool(args["save"])
        self.save_txt = bool(args["save_txt"])
        self.save_crop = bool(args["save_crop"])
        self.show = bool(args["show"]) and check_imshow(warn=True)  # no screen: one warning, nothing shown
        self.filled = args["plot_style"] == "filled"
        if self.filled:  # Results.plot(line_width=, boxes=, conf=, labels=) as the original's predictor calls it
            self.draw_args: dict[str, Any] = {
                "color_mode": args["color_mode"] or "class",
                "labels": args["show_labels"],
                "conf": True if args["show_conf"] is None else args["show_conf"],
                "boxes": True if args["show_boxes"] is None else args["show_boxes"],
                "line_width": args["line_width"],
            }
        else:
            self.draw_args = {
                "color_mode": args["color_mode"] or ("instance" if mode == "track" else "class"),
                "show_labels": args["show_labels"],
                "show_conf": bool(args["show_conf"]),
                "show_boxes": args["show_boxes"],
                "line_width": args["line_width"],
            }
        self.stop = False
        self.save_dir: Path | None = None
        self.outputs: Outputs | None = None
        if self.save or self.save_txt or self.save_crop:
            if save_dir is None:
                save_dir = get_save_dir(args["project"], args["name"], task, mode, args["exist_ok"])
            self.save_dir = save_dir
            self.save_dir.mkdir(parents=True, exist_ok=True)
            self.outputs = Outputs(
                self.save_dir,
                self.save,
                self.save_txt,
                multi_stream=num_streams > 1,
                txt_format=args["txt_format"],
                save_conf=bool(args["save_conf"]),
                live=source_kind in ("stream", "streams"),
                vid_stride=int(args["vid_stride"]),
            )

    @staticmethod
    def wanted(args: dict[str, Any]) -> bool:
        return bool(args["save"] or args["save_txt"] or args["save_crop"] or args["show"])

    def __call__(self, item: Any, r: Any) -> None:
        from numa_ultralytics.utils.plotting import draw_outlines, draw_plot

        t0 = time.perf_counter()
        im = None
        if self.save or self.show:
            if self.filled:
                im = draw_plot(r, **self.draw_args)  # draws on a copy
            else:
                im = draw_outlines(r, r.names, im=r.orig_img.copy(), **self.draw_args)
        t1 = time.perf_counter()
        if self.outputs is not None:
            if im is not None and self.save:
                self.outputs.write_frame(item, im)
            if self.save_txt:
                self.outputs.write_labels(item, r)
            if self.save_crop:  # as Ultralytics: crops/<class>/<the label file's stem>.jpg
                r.save_crop(self.outputs.save_dir / "crops", file_name=self.outputs.label_stem(item))
        t2 = time.perf_counter()
        r.speed["drawing"] = (t1 - t0) * 1e3
        r.speed["writing"] = (t2 - t1) * 1e3
        r.save_dir = None if self.save_dir is None else str(self.save_dir)  # a str, as 8.4.190
        if self.show and imshow(f"numa-yolo {item.stream}: {stem_of(item.path)}", im) & 0xFF == ord("q"):
            self.stop = True

    def close(self) -> None:
        if self.outputs is not None:
            self.outputs.close()


SINK_QUEUE = 4  # frames the pipelined loop may hand the sink worker ahead of its drawing and writing


class SinkWorker:
    """An :class:`OutputSink` run behind the loop on a worker thread (the pipelined loop, engine/model.py): frames are
    drawn and written in the order given, at most ``size`` queued (the loop waits when the worker falls behind).
    ``r.speed["drawing"]`` / ``["writing"]`` are filled in when the frame is done. An error in the worker is raised by
    the next call or by ``close``, which writes what is queued and closes the files. Not for ``show`` (the window
    belongs to the main thread)."""

    def __init__(self, sink: OutputSink, size: int = SINK_QUEUE) -> None:
        if sink.show:
            raise ValueError("show=True draws in the main thread: use OutputSink directly")
        self.sink = sink
        self.save_dir = sink.save_dir
        self.stop = False
        self._q: queue.Queue[tuple[Any, Any] | None] = queue.Queue(maxsize=max(1, size))
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="numa-sink", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._q.get()
            if job is None:
                return
            if self._error is None:  # after an error, frames are dropped until close raises it
                try:
                    self.sink(*job)
                except BaseException as e:  # noqa: BLE001 - handed to the loop's thread, raised there
                    self._error = e

    def _raise(self) -> None:
        if self._error is not None:
            e, self._error = self._error, None
            raise e

    def __call__(self, item: Any, r: Any) -> None:
        self._raise()
        r.save_dir = None if self.save_dir is None else str(self.save_dir)  # a str, as 8.4.190
        self._q.put((item, r))

    def close(self) -> None:
        """Draw and write what is queued, close the files, raise the worker's error if there was one."""
        if self._thread.is_alive():
            self._q.put(None)
            self._thread.join()
        self.sink.close()
        self._raise()


# ---------------------------------------------------------------------------------------------------------------------
# console lines


class SpeedTotals:
    """Per-stage milliseconds summed over frames (from ``Results.speed``), and the two summary lines."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}
        self.n = 0

    def add(self, speed: dict[str, Any], stages: tuple[str, ...] | None = None) -> None:
        self.n += 1
        for k in speed if stages is None else stages:
            self.ms[k] = self.ms.get(k, 0.0) + float(speed.get(k) or 0.0)

    def mean(self, stage: str) -> float:
        return self.ms.get(stage, 0.0) / self.n

    def per_image(
        self, shape: tuple[int, int], batch: int = 1, runtime: str | None = None, precision: str | None = None
    ) -> str:
        """Ultralytics' line: ``Speed: 1.0ms preprocess, 40.1ms inference, 2.0ms postprocess per image at shape
        (1, 3, 384, 640)`` (the batch size first), then what ran the model when given (``, onnxruntime CPU fp32``;
        nn/precision.py)."""
        h, w = shape
        ran = f", {runtime} {precision}" if runtime and precision else ""
        return (
            f"Speed: {self.mean('preprocess'):.1f}ms preprocess, {self.mean('inference'):.1f}ms inference, "
            f"{self.mean('postprocess'):.1f}ms postprocess per image at shape ({batch}, 3, {h}, {w}){ran}"
        )

    def per_frame(self, stages: tuple[str, ...], wall: float) -> str:
        """The command line's line: ``Speed: 1.0ms preprocess, ... per frame; 340 frames in 43.2s (7.9 FPS)``."""
        speed = ", ".join(f"{self.mean(s):.1f}ms {s}" for s in stages)
        return f"Speed: {speed} per frame; {self.n} frames in {wall:.1f}s ({self.n / wall:.1f} FPS)"


def saved_line(save_dir: Path | str, save_txt: bool) -> str:
    """The run's last log line, as 8.4.190's predictor: ``Results saved to <dir>``, and with ``save_txt`` a second
    line ``<n> label(s) saved to <dir>/labels`` (n: the label files in it)."""
    line = f"Results saved to {save_dir}"
    if save_txt:
        nl = len(list(Path(save_dir).glob("labels/*.txt")))
        line += f"\n{nl} label{'s' * (nl > 1)} saved to {Path(save_dir) / 'labels'}"
    return line


class LogNumbers:
    """How 8.4.190 numbers its per-frame log lines for a source (``frame_log_line``): ``image 2/5 path:`` and
    ``video 1/3 (frame 4/85) path:`` (the file's place among the source's files; frames counted after ``vid_stride``,
    as its loader counts them), ``i: `` for in-memory images, lists (8.4.190 reads a list as images) and stream lists
    / live streams (the stream's index)."""

    def __init__(self, src: Any, vid_stride: int = 1) -> None:
        self.streams = src.kind in ("stream", "streams")
        self.from_list = bool(getattr(src, "from_list", False))
        self.files = {p: i for i, p in enumerate(src.sources)}
        self.vid_stride = max(1, int(vid_stride))

    def prefix(self, item: Any, n: int) -> str:
        if item.from_memory or self.from_list:
            return f"{n - 1}: "
        if self.streams:
            return f"{item.stream}: "
        i = self.files.get(item.path, 0) + 1
        nf = len(self.files)
        if item.fps is not None:  # a video file
            total = item.frames // self.vid_stride if item.frames else "?"
            return f"video {i}/{nf} (frame {item.frame // self.vid_stride + 1}/{total}) {item.path}: "
        return f"image {i}/{nf} {item.path}: "


def frame_log_line(r: Any, item: Any, n: int, numbers: LogNumbers | None = None) -> str:
    """Ultralytics' per-frame log line: ``video 1/1 (frame 3/340) path: 384x640 20 persons, 41.2ms``, ``image 1/1
    path: ...``; in-memory frames log as ``0: 384x640 ...`` (numbering: :class:`LogNumbers`; without it, every file
    is 1 of 1)."""
    h, w = r.input_hw
    ms = r.speed["inference"]
    if numbers is None:
        numbers = LogNumbers(SimpleNamespace(kind="files", sources=[item.path]))
    return f"{numbers.prefix(item, n)}{h}x{w} {r.verbose()}{ms:.1f}ms"
