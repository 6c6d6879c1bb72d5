"""``YOLO``: the model facade users know from Ultralytics (``predict``, ``track``, ``names``)."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator, Union

import numpy as np

from numa_ultralytics.engine.predictor import Predictor, as_bgr
from numa_ultralytics.engine.results import Boxes, Results
from numa_ultralytics.nn.autobackend import AutoBackend

LOGGER = logging.getLogger("numa_ultralytics")
if not LOGGER.handlers:
    _h = logging.StreamHandler(sys.stdout)
    _h.setFormatter(logging.Formatter("%(message)s"))
    LOGGER.addHandler(_h)
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = False

PREDICT_DEFAULTS: dict[str, Any] = {
    "conf": 0.25,
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
    # outputs, as Ultralytics: annotated images/videos and labels under runs/<task>/<mode>
    "save": False,
    "save_txt": False,
    "show": False,
    "project": None,
    "name": None,
    "exist_ok": False,
    "line_width": None,
    "show_labels": True,
    "show_conf": True,
    "show_boxes": True,
}
# Ultralytics arguments accepted for compatibility that change nothing when left at these values.
NEUTRAL_ARGS: dict[str, Any] = {
    "augment": False,
    "visualize": False,
    "embed": None,
    "save_conf": False,
    "save_crop": False,
    "save_frames": False,
    "rect": True,
    "mode": None,
    "task": None,
    "model": None,
    "source": None,
}
TRACK_ARGS = {"persist": False, "tracker": "botsort.yaml"}

Source = Union[str, os.PathLike, np.ndarray, list, tuple, int]


def _check_args(kwargs: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    args = dict(PREDICT_DEFAULTS)
    allowed = set(PREDICT_DEFAULTS) | set(extra) | set(NEUTRAL_ARGS)
    for k, v in kwargs.items():
        if k not in allowed:
            raise TypeError(
                f"'{k}' is not a valid argument for this call; valid arguments are: {', '.join(sorted(allowed))}"
            )
        if k in NEUTRAL_ARGS and k not in PREDICT_DEFAULTS:
            if k in ("save_conf", "save_crop", "save_frames", "augment", "visualize") and v:
                raise NotImplementedError(
                    f"{k}={v!r} is not supported by numa_ultralytics; "
                    "save=True, save_txt=True and show=True are, and Results.plot() draws a frame"
                )
            continue
        args[k] = v
    for k in ("conf", "iou"):
        v = args[k]
        if k == "conf" and v is None:
            continue
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not (0.0 <= float(v) <= 1.0):
            raise ValueError(f"{k}={v!r} is invalid; it must be a number between 0.0 and 1.0")
    if not isinstance(args["max_det"], (int, np.integer)) or isinstance(args["max_det"], bool) or args["max_det"] < 1:
        raise ValueError(f"max_det={args['max_det']!r} is invalid; it must be a positive integer")
    if not isinstance(args["vid_stride"], (int, np.integer)) or args["vid_stride"] < 1:
        raise ValueError(f"vid_stride={args['vid_stride']!r} is invalid; it must be a positive integer")
    return args


class _ModelInfo(SimpleNamespace):
    """What ``model.model`` exposes (Ultralytics' ``nn.Module`` attributes users read)."""


class YOLO:
    """YOLO segmentation/detection model on ONNX Runtime.

    ``model`` is an ONNX export (static or dynamic, fp32 or int8) or an Ultralytics ``.pt``
    checkpoint (converted to ONNX once, without torch and without running pickled code). A bare
    name like ``"yolo11n-seg.pt"`` is looked up in ``$NUMA_ULTRALYTICS_WEIGHTS_DIR``, the user cache,
    then downloaded from the Ultralytics release assets.
    """

    def __init__(
        self, model: Union[str, os.PathLike] = "yolo11n-seg.pt", task: str | None = None, verbose: bool = False
    ) -> None:
        if task is not None and task not in ("segment", "detect"):
            raise ValueError(f"task={task!r} is not supported; numa_ultralytics runs 'segment' and 'detect' models")
        from numa_ultralytics.utils.downloads import attempt_download_asset

        path = attempt_download_asset(model)
        self.ckpt_path = str(path)
        onnx_path = path
        if path.suffix.lower() == ".pt":
            from numa_ultralytics.nn.pt_loader import pt_to_onnx

            onnx_path = pt_to_onnx(path)
        elif path.suffix.lower() != ".onnx":
            raise ValueError(
                f"unsupported model format {path.suffix!r} ({path}); use a .onnx export or a .pt checkpoint"
            )
        self._device_arg: Any = None
        self.backend = AutoBackend(onnx_path)
        b = self.backend
        if task == "segment" and not b.has_protos:
            raise ValueError(
                f"{path} is a {b.task} model without mask prototypes (output1); "
                "task='segment' needs a segmentation model"
            )
        self.task = task or ("segment" if b.has_protos else "detect")
        self.model = _ModelInfo(names=b.names, stride=b.stride, task=self.task, yaml=b.metadata, pt_path=self.ckpt_path)
        self.predictor = Predictor(b, self.task)
        self.trackers: list[Any] | None = None
        self._tracker_cfg: dict[str, Any] | None = None
        self.model_name = str(model)

    # ------------------------------------------------------------------ properties
    @property
    def names(self) -> dict[int, str]:
        return self.backend.names

    @property
    def device(self) -> str:
        return self.backend.device

    def __call__(self, source: Source = None, stream: bool = False, **kwargs: Any) -> Any:
        return self.predict(source, stream=stream, **kwargs)

    # ------------------------------------------------------------------ predict
    def predict(self, source: Source = None, stream: bool = False, **kwargs: Any) -> Any:
        """Predict on ``source``; returns a list of :class:`Results` (a generator with ``stream=True``)."""
        args = _check_args(kwargs, {})
        gen = self._outputs(self._run(source, args, track=None), args, "predict")
        return gen if stream else list(gen)

    def track(
        self,
        source: Source = None,
        stream: bool = False,
        persist: bool = False,
        tracker: Union[str, os.PathLike, dict] = "botsort.yaml",
        **kwargs: Any,
    ) -> Any:
        """Track objects across frames; ``persist=True`` keeps the tracker between calls."""
        kwargs.setdefault("conf", None)
        args = _check_args(kwargs, {})
        if args["conf"] is None:
            args["conf"] = 0.1
        from numa_ultralytics.trackers import load_tracker_config

        cfg = load_tracker_config(tracker)
        if not persist or self.trackers is None or cfg != self._tracker_cfg:
            self.trackers = []
            self._tracker_cfg = cfg
        gen = self._outputs(self._run(source, args, track=cfg), args, "track")
        return gen if stream else list(gen)

    def _tracker_for(self, stream: int) -> Any:
        from numa_ultralytics.trackers import make_tracker

        assert self.trackers is not None and self._tracker_cfg is not None
        while len(self.trackers) <= stream:
            self.trackers.append(make_tracker(self._tracker_cfg, frame_rate=30))
        return self.trackers[stream]

    def _device_setup(self, device: Any) -> None:
        if device is not None and device != self._device_arg:
            from numa_ultralytics.nn.autobackend import parse_device

            kind, _ = parse_device(device)  # raises for a bad or unavailable device
            current = "cuda" if self.backend.device.startswith("cuda") else "cpu"
            if kind != current:
                self.backend = AutoBackend(self.backend.path, device=device)
                self.predictor = Predictor(self.backend, self.task)
            self._device_arg = device

    def _frames(self, source: Source, args: dict[str, Any]) -> Iterator[tuple[str, np.ndarray, int, Any]]:
        """(path, frame, stream index, item) for every frame of the source."""
        if source is None:
            raise ValueError("source is required: a BGR numpy image, an image/video path, a list of those, or a stream")
        if isinstance(source, np.ndarray):
            yield "image0", as_bgr(source), 0, None
            return
        if isinstance(source, (list, tuple)) and all(isinstance(s, np.ndarray) for s in source):
            if not source:
                raise ValueError("source is an empty list")
            for i, s in enumerate(source):
                yield f"image{i}", as_bgr(s, f"image{i}"), 0, None
            return
        from numa_ultralytics.data.loaders import load_inference_source

        for item in load_inference_source(source, vid_stride=args["vid_stride"], stream_buffer=args["stream_buffer"]):
            yield item.path, as_bgr(item.im0, item.path), item.stream, item

    def _run(self, source: Source, args: dict[str, Any], track: dict[str, Any] | None) -> Iterator[Results]:
        self._device_setup(args["device"])
        verbose = bool(args["verbose"])
        totals = {"preprocess": 0.0, "inference": 0.0, "postprocess": 0.0}
        n = 0
        shape = None
        for path, im0, stream, item in self._frames(source, args):
            r = self.predictor(im0, path, args)
            r.source_item = item  # the loader's SourceItem (None for in-memory frames)
            if track is not None:
                t0 = time.perf_counter()
                self._apply_tracker(r, self._tracker_for(stream))
                r.speed["tracking"] = (time.perf_counter() - t0) * 1e3
            n += 1
            for k in totals:
                totals[k] += r.speed[k]
            shape = r._input_hw
            if verbose:
                LOGGER.info(_log_line(r, item, n))
            yield r
        if verbose and n:
            h, w = shape
            LOGGER.info(
                f"Speed: {totals['preprocess'] / n:.1f}ms preprocess, {totals['inference'] / n:.1f}ms inference, "
                f"{totals['postprocess'] / n:.1f}ms postprocess per image at shape (1, 3, {h}, {w})"
            )

    def _outputs(self, gen: Iterator[Results], args: dict[str, Any], mode: str) -> Iterator[Results]:
        """``save`` / ``save_txt`` / ``show``: the command line's writers, under ``runs/<task>/<mode>``."""
        if not (args["save"] or args["save_txt"] or args["show"]):
            return gen
        return self._write_outputs(gen, args, mode)

    def _write_outputs(self, gen: Iterator[Results], args: dict[str, Any], mode: str) -> Iterator[Results]:
        from numa_ultralytics.cfg import Outputs, draw, increment_path
        from numa_ultralytics.data.loaders import SourceItem

        outputs = None
        if args["save"] or args["save_txt"]:
            project = Path(args["project"]) if args["project"] else Path("runs") / self.task
            save_dir = increment_path(project / (args["name"] or mode), exist_ok=args["exist_ok"])
            save_dir.mkdir(parents=True, exist_ok=True)
            outputs = Outputs(save_dir, args["save"], args["save_txt"], multi_stream=True)
        try:
            for i, r in enumerate(gen):
                item = r.source_item or SourceItem(f"{r.path}.jpg", r.orig_img, 0, 1, 0, None)
                if args["save"] or args["show"]:
                    im = r.orig_img.copy()
                    view = Results(im, r.path, r.names, boxes=r.boxes, masks=r.masks)
                    draw(
                        view,
                        self.names,
                        color_mode="instance" if mode == "track" else "class",
                        show_labels=args["show_labels"],
                        show_conf=args["show_conf"],
                        show_boxes=None if args["show_boxes"] else False,
                        line_width=args["line_width"],
                    )
                    if outputs is not None and args["save"]:
                        outputs.write_frame(item if r.source_item else item._replace(path=f"image{i}.jpg"), im)
                    if args["show"]:
                        import cv2

                        cv2.imshow(str(r.path), im)
                        cv2.waitKey(1)
                if outputs is not None and args["save_txt"]:
                    outputs.write_labels(item, r)
                r.save_dir = outputs.save_dir if outputs is not None else None
                yield r
        finally:
            if outputs is not None:
                outputs.close()
                if args["verbose"]:
                    LOGGER.info(f"Results saved to {outputs.save_dir}")

    @staticmethod
    def _apply_tracker(r: Results, tracker: Any) -> None:
        """Feed the detections to the tracker and re-index the result to follow the tracks."""
        det = np.asarray(r.boxes.data, dtype=np.float32)
        tracks = tracker.update(det, r.orig_img)
        if len(tracks) == 0:
            if tracker.has_unconfirmed:  # the original hides new tracks until confirmed: result[:0]
                r.boxes = Boxes(det[:0], r.orig_shape, tracked=True)
                r.masks = r.masks[:0] if r.masks is not None else None
            else:  # untracked frame: keep the detections (as the original does) with an empty id column
                r.boxes = Boxes(det, r.orig_shape, tracked=True)
            return
        idx = tracks[:, -1].astype(int)
        boxes = tracks[:, :-1].copy()
        h, w = r.orig_shape[:2]
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, w)  # Results.update clips the Kalman boxes
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, h)
        r.masks = r.masks[idx] if r.masks is not None else None
        r.boxes = Boxes(boxes, r.orig_shape)

    # ------------------------------------------------------------------ misc
    def to(self, device: Any) -> YOLO:
        """Move inference to ``device`` (``"cpu"``, ``0``, ``"cuda:0"``), as ``model.to(...)`` in Ultralytics."""
        self._device_setup(device)
        return self

    def cpu(self) -> YOLO:
        return self.to("cpu")

    def cuda(self, device: int = 0) -> YOLO:
        return self.to(device)

    def fuse(self) -> YOLO:
        """No-op: exported graphs are already fused."""
        return self

    def eval(self) -> YOLO:
        """No-op: inference only."""
        return self

    def info(self) -> str:
        b = self.backend
        return f"{self.model_name}: task={self.task}, {len(b.names)} classes, device={b.device}, dynamic={b.dynamic}"

    def reset_tracker(self) -> None:
        self.trackers = None

    def __repr__(self) -> str:
        return f"YOLO({self.model_name!r}, task={self.task!r})"


def _log_line(r: Results, item: Any, n: int) -> str:
    """Ultralytics' per-frame log line: ``video 1/1 (frame 3/340) path: 384x640 20 persons, 41.2ms``."""
    h, w = r._input_hw
    ms = r.speed["inference"]
    if item is None:
        prefix = f"{n - 1}: "
    elif item.fps is not None:  # a video or stream
        total = item.frames if item.frames else "?"
        prefix = f"video {item.stream + 1} (frame {item.frame + 1}/{total}) {item.path}: "
    else:
        prefix = f"image {n} {item.path}: "
    return f"{prefix}{h}x{w} {r.verbose()}{ms:.1f}ms"


__all__ = ["YOLO"]
