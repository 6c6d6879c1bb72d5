"""``YOLO``: the model facade users know from Ultralytics (``predict``, ``track``, ``names``)."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Union

import numpy as np

from numa_ultralytics.data.loaders import InferenceSource, load_inference_source
from numa_ultralytics.engine.args import check_args, check_bool
from numa_ultralytics.engine.predictor import Predictor
from numa_ultralytics.engine.results import Results
from numa_ultralytics.engine.sink import OutputSink, SpeedTotals, frame_log_line
from numa_ultralytics.nn.autobackend import AutoBackend
from numa_ultralytics.utils.signals import stop_on_signals

LOGGER = logging.getLogger("numa_ultralytics")
if not LOGGER.handlers:
    _h = logging.StreamHandler(sys.stdout)
    _h.setFormatter(logging.Formatter("%(message)s"))
    LOGGER.addHandler(_h)
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = False

Source = Union[str, os.PathLike, np.ndarray, list, tuple, int, InferenceSource, None]


class _ModelInfo(SimpleNamespace):
    """What ``model.model`` exposes (Ultralytics' ``nn.Module`` attributes users read)."""


class YOLO:
    """YOLO segmentation/detection model on ONNX Runtime.

    ``model`` is an ONNX export (static or dynamic, fp32 or int8) or an Ultralytics ``.pt``
    checkpoint (converted to ONNX once, without torch and without running pickled code). A bare
    name like ``"yolo11n-seg.pt"`` is looked up in ``$NUMA_ULTRALYTICS_WEIGHTS_DIR``, the user cache,
    then downloaded from the Ultralytics release assets. ``threads``: ONNX Runtime intra-op threads (None: all
    cores; nn/autobackend.py ``open_session``).
    """

    def __init__(
        self,
        model: str | os.PathLike = "yolo11n-seg.pt",
        task: str | None = None,
        verbose: bool = False,
        threads: int | None = None,
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
        try:
            self.backend = AutoBackend(onnx_path, intra_op_threads=threads)
        except ValueError as e:
            if onnx_path == path:
                raise
            raise ValueError(
                f"{e} (this is the ONNX cached from {path}: delete {onnx_path} and {onnx_path.name}.sha256 to rebuild "
                "it on the next load)"
            ) from e
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
        """Predict on ``source``; returns a list of :class:`Results` (a generator with ``stream=True``).

        Arguments and defaults: engine/args.py. ``save`` / ``save_txt`` / ``show`` go through engine/sink.py.
        """
        args = check_args(kwargs, "predict")
        gen = self._stream(source, args, "predict")
        return gen if stream else list(gen)

    def track(
        self,
        source: Source = None,
        stream: bool = False,
        persist: bool = False,
        tracker: str | os.PathLike | dict = "botsort.yaml",
        **kwargs: Any,
    ) -> Any:
        """Track objects across frames; ``persist=True`` keeps the tracker between calls."""
        args = check_args(kwargs, "track")
        persist = check_bool("persist", persist)
        from numa_ultralytics.trackers import load_tracker_config

        cfg = load_tracker_config(tracker)
        if not persist or self.trackers is None or cfg != self._tracker_cfg:
            self.trackers = []
            self._tracker_cfg = cfg
        gen = self._stream(source, args, "track")
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
                self.backend = AutoBackend(
                    self.backend.path, device=device, intra_op_threads=self.backend.intra_op_threads
                )
                self.predictor = Predictor(self.backend, self.task)
            self._device_arg = device

    def _stream(self, source: Source, args: dict[str, Any], mode: str) -> Iterator[Results]:
        """Every frame of ``source`` (data/loaders.py) -> predictor -> tracker (``mode="track"``) -> sink -> Results."""
        from numa_ultralytics.trackers.track import apply_tracker, tracker_needs

        self._device_setup(args["device"])
        src = load_inference_source(
            source,
            vid_stride=args["vid_stride"],
            stream_buffer=args["stream_buffer"],
            reconnect_timeout=args["reconnect_timeout"],
        )
        sink = OutputSink(args, self.task, mode, src.num_streams, src.kind) if OutputSink.wanted(args) else None
        verbose = bool(args["verbose"])
        speed = SpeedTotals()
        shape = None
        # SIGINT/SIGTERM (utils/signals.py): with outputs to protect (or inside the command line's scope), stop reading,
        # finish the frame, close the files
        with stop_on_signals(install=sink is not None) as stop:
            try:
                while not stop.requested:
                    item = next(src, None)
                    if item is None:
                        break
                    tracker = self._tracker_for(item.stream) if mode == "track" else None
                    if tracker is not None and item.gap > args["reset_after_drop"]:  # a long drop: start afresh
                        LOGGER.warning(
                            f"WARNING stream {item.path} was down {item.gap:.1f}s > reset_after_drop="
                            f"{args['reset_after_drop']:g}s: its tracker starts again"
                        )
                        tracker.reset()
                    r = self.predictor(item.im0, item.path, args, tracker_needs(tracker))
                    r.source_item = None if item.from_memory else item
                    if tracker is not None:
                        t0 = time.perf_counter()
                        apply_tracker(r, tracker)
                        r.speed["tracking"] = (time.perf_counter() - t0) * 1e3
                    speed.add(r.speed, ("preprocess", "inference", "postprocess"))
                    shape = r.input_hw
                    if verbose:
                        LOGGER.info(frame_log_line(r, item, speed.n))
                    if sink is not None:
                        sink(item, r)
                    yield r
                    if sink is not None and sink.stop:
                        break
                if verbose and speed.n and shape is not None:
                    LOGGER.info(speed.per_image(shape))
            finally:
                src.close()
                if sink is not None:
                    sink.close()
                    if (verbose or (stop.requested and stop.owner)) and sink.save_dir is not None:
                        LOGGER.info(f"Results saved to {sink.save_dir}")
            if stop.requested and stop.owner:
                LOGGER.warning(f"{stop.name}: stopped after {speed.n} frames")
                stop.raise_stop()

    # ------------------------------------------------------------------ val
    def val(self, data: Any = None, **kwargs: Any) -> Any:
        """Validate on a dataset split (``data=<dataset.yaml>``, ``split="val"``); returns ``DetMetrics`` /
        ``SegmentMetrics`` (``.box.map``, ``.seg.map``, ``.results_dict``, ``.speed``). Arguments, defaults and the
        pipeline: engine/validator.py."""
        from numa_ultralytics.engine.validator import run_val

        if kwargs.get("device") is not None:
            self._device_setup(kwargs["device"])
        return run_val(self.backend, self.task, data=data, **kwargs)

    # ------------------------------------------------------------------ export
    def export(self, **kwargs: Any) -> str:
        """Export the loaded ``.pt`` checkpoint to ONNX; returns the written file's path (``<stem>.onnx``).

        Arguments, defaults and what is refused: engine/exporter.py (``format="onnx"``, ``imgsz``, ``dynamic``,
        ``batch``, ``opset``; ``half=True`` warns and exports fp32). A model loaded from an ONNX file has no source
        weights: exporting it raises ``TypeError``.
        """
        from numa_ultralytics.engine.exporter import export

        return str(export(self.ckpt_path, loaded_as=self.model_name, **kwargs))

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

    def info(self, detailed: bool = False, verbose: bool = True) -> tuple[int, int, int, float]:
        """Ultralytics' model summary: logs ``YOLO11n-seg summary: 101 layers, 2,868,664 parameters, 0 gradients,
        10.4 GFLOPs`` (``verbose``) and returns ``(layers, parameters, gradients, GFLOPs)``, computed from the ONNX
        graph: parameters and GFLOPs (at 640) as the original's fused model, layers = convolution nodes (not the
        original's torch module count); see utils/model_info.py. ``detailed`` is accepted and ignored."""
        from numa_ultralytics.utils.model_info import model_info, summary_line

        info = model_info(self.backend.path)
        if verbose:
            LOGGER.info(summary_line(Path(self.ckpt_path).name, info))
        return info

    def reset_tracker(self) -> None:
        self.trackers = None

    def __repr__(self) -> str:
        return f"YOLO({self.model_name!r}, task={self.task!r})"


__all__ = ["YOLO"]
