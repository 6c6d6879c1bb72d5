"""``YOLO``: the model facade users know from Ultralytics (``predict``, ``track``, ``names``)."""

from __future__ import annotations

import itertools
import logging
import os
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Union

import numpy as np

from numa_ultralytics.data.loaders import InferenceSource, load_inference_source
from numa_ultralytics.data.read_ahead import READ_AHEAD, ReadAhead
from numa_ultralytics.data.sources import VID_FORMATS, SourceItem
from numa_ultralytics.engine.predictor import Predictor
from numa_ultralytics.engine.results import Results
from numa_ultralytics.engine.sink import LogNumbers, OutputSink, SinkWorker, SpeedTotals, frame_log_line, saved_line
from numa_ultralytics.nn.autobackend import AutoBackend
from numa_ultralytics.utils import IterableSimpleNamespace
from numa_ultralytics.utils.args import (
    DEFAULT_MODEL,
    PREDICT_DEFAULTS,
    PREDICTOR_SETUP_KEYS,
    TRACK_DEFAULTS,
    VAL_DEFAULTS,
    check_args,
    check_bool,
    check_optional_bool,
    check_positive_int,
    half_of,
    handle_deprecation,
    with_overrides,
)
from numa_ultralytics.utils.callbacks import PREDICT_EVENTS, get_default_callbacks, run_callbacks
from numa_ultralytics.utils.files import get_save_dir
from numa_ultralytics.utils.signals import stop_on_signals

LOGGER = logging.getLogger("numa_ultralytics")
if not LOGGER.handlers:
    _h = logging.StreamHandler(sys.stdout)
    _h.setFormatter(logging.Formatter("%(message)s"))
    LOGGER.addHandler(_h)
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = False

Source = Union[str, os.PathLike, np.ndarray, list, tuple, int, InferenceSource, None]


_NO_TRAINING = (
    "{what} is not supported by numa_ultralytics (inference only, no torch): train with Ultralytics "
    "(`yolo segment train data=... model=yolo11n-seg.pt`), then load the result here: "
    "YOLO('runs/segment/train/weights/best.pt')"
)


STREAM_WARNING = """WARNING inference results will accumulate in RAM unless `stream=True` is passed, which can cause
out-of-memory errors for large sources or long-running streams and videos.

Example:
    results = model(source=..., stream=True)  # generator of Results objects
    for r in results:
        boxes = r.boxes  # Boxes object for bbox outputs
        masks = r.masks  # Masks object for segment masks outputs"""


def accumulates(src: InferenceSource) -> bool:
    """Whether collecting every result of ``src`` into a list may exhaust memory (8.4.190's rule): a live stream, a
    video, or over 1000 files."""
    if src.kind in ("stream", "streams", "video"):
        return True
    return src.kind == "files" and (
        len(src.sources) > 1000 or any(str(s).rpartition(".")[-1].lower() in VID_FORMATS for s in src.sources)
    )


_UNSET = object()  # "no nms given": the backend's head stays as it is


class _ModelInfo(SimpleNamespace):
    """What ``model.model`` exposes (Ultralytics' ``nn.Module`` attributes users read)."""


class YOLO:
    """YOLO segmentation/detection model on ONNX Runtime.

    ``model`` is an ONNX export (static or dynamic, fp32 or int8) or an Ultralytics ``.pt``
    checkpoint (converted to ONNX once, without torch and without running pickled code). A bare
    name like ``"yolo11n-seg.pt"`` is looked up in ``$NUMA_ULTRALYTICS_WEIGHTS_DIR``, the user cache,
    then downloaded from the Ultralytics release assets. ``threads``: ONNX Runtime intra-op threads (None: all
    cores; nn/autobackend.py ``open_session``).

    Threads: one model may be shared. ``predict`` / ``val`` from many threads at once give each thread what it gets
    alone; ``track`` keeps its tracker state per thread (``trackers``, ``persist``, ``reset_tracker`` are the calling
    thread's), so each thread tracks its own stream with its own ids (README "Threads").
    """

    def __init__(
        self,
        model: str | os.PathLike = DEFAULT_MODEL,
        task: str | None = None,
        verbose: bool = False,
        threads: int | None = None,
    ) -> None:
        if task is not None and task not in ("segment", "detect"):
            raise ValueError(f"task={task!r} is not supported; numa_ultralytics runs 'segment' and 'detect' models")
        from numa_ultralytics.nn.autobackend import refuse_other_tasks
        from numa_ultralytics.nn.openvino_ir import is_ir
        from numa_ultralytics.utils.downloads import attempt_download_asset, find_weights

        if find_weights(str(model)) is None:  # a pose / classify / OBB / ... name to look up: refused, not downloaded
            refuse_other_tasks(str(model))
        # an OpenVINO model folder (or its .xml) is only ever that path (nn/openvino_ir.py)
        path = Path(model).expanduser() if is_ir(model) else attempt_download_asset(model)
        self.ckpt_path = str(path)
        # a .pt's cached graphs (_pt_graph): (nms is False) -> path, and (nms is False, k, agnostic) -> a one-to-one
        # head's other top-k
        self._pt_graphs: dict[Any, Path] = {}
        self._pt_end2end: dict[Path, bool] = {}
        # predict / track's nms, kept until a call passes another (8.4.190's predictor keeps it: PREDICTOR_SETUP_KEYS);
        # _head_noted: the nms the head warning was last given for in predict / track
        self._predict_nms: bool | None = None
        self._head_noted: Any = _UNSET
        # the run folder predict / track calls share (_run_dir): 8.4.190's predictor set-up, save arguments and folder
        self._run_setup: dict[str, Any] | None = None
        self._run_save: tuple[Any, ...] | None = None
        self._run_path: Path | None = None
        onnx_path = path
        if path.suffix.lower() == ".pt":
            onnx_path = self._pt_graph(None)
        elif path.suffix.lower() != ".onnx" and not is_ir(path):
            raise ValueError(
                f"unsupported model format {path.suffix!r} ({path}); use a .onnx export, a .pt checkpoint or an "
                "OpenVINO model folder (_openvino_model/)"
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
        self.predictor.owner = weakref.ref(self)
        self._track_state = threading.local()  # trackers and their config, per thread (``trackers``)
        self._track_threads: list[threading.Thread] = []  # live threads that have tracked with this model
        self._threads_noted = False
        self._lock = threading.RLock()  # backend / predictor swaps (_device_setup), _track_threads
        self.model_name = str(model)
        self._overrides: dict[str, Any] | None = None  # built on first use (a .pt's are read from it: ``overrides``)
        self._facts: tuple[dict[str, Any], tuple[int, list[int]]] | None = None  # a .pt's, read once (``_pt_facts``)
        # 8.4.190's Model attributes: the last val's metrics; no yaml config, trainer or classify transforms here
        self.metrics: Any = None
        self.cfg: str | None = None
        self.trainer: Any = None
        self.transforms: Any = None
        self.callbacks = get_default_callbacks()

    # ------------------------------------------------------------------ properties
    @property
    def overrides(self) -> dict[str, Any]:
        """8.4.190's ``model.overrides``: settings under every call's own keywords (utils/args.py
        ``with_overrides``). A ``.pt`` keeps its training ``imgsz``, ``data``, ``task`` and ``single_cls``
        (``CKPT_OVERRIDES``), so it predicts and validates at the size it was trained at unless told; every model
        has ``model`` and ``task``. A user may change it or assign a new dict, as in 8.4.190."""
        with self._lock:
            if self._overrides is None:
                o = dict(self._pt_facts()[0]) if Path(self.ckpt_path).suffix.lower() == ".pt" else {}
                o["model"] = self.model_name
                o["task"] = self.task
                self._overrides = o
            return self._overrides

    @overrides.setter
    def overrides(self, value: dict[str, Any]) -> None:
        with self._lock:
            self._overrides = value

    def _pt_facts(self) -> tuple[dict[str, Any], tuple[int, list[int]]]:
        """What ``overrides`` and ``embed`` read from a ``.pt`` (nn/onnx_builder.py ``checkpoint_overrides``,
        ``checkpoint_layers``), from one read of the checkpoint, kept."""
        with self._lock:
            if self._facts is None:
                from numa_ultralytics.nn.checkpoint import load_checkpoint
                from numa_ultralytics.nn.onnx_builder import checkpoint_layers, checkpoint_overrides

                ckpt = load_checkpoint(self.ckpt_path)
                self._facts = (checkpoint_overrides(ckpt), checkpoint_layers(ckpt))
            return self._facts

    @property
    def trackers(self) -> list[Any] | None:
        """The calling thread's trackers (one per stream); None before its first ``track()``. Per thread: two threads
        tracking two streams on one model never share a tracker."""
        return getattr(self._track_state, "trackers", None)

    @trackers.setter
    def trackers(self, value: list[Any] | None) -> None:
        self._track_state.trackers = value

    @property
    def _tracker_cfg(self) -> dict[str, Any] | None:
        return getattr(self._track_state, "cfg", None)

    @_tracker_cfg.setter
    def _tracker_cfg(self, value: dict[str, Any] | None) -> None:
        self._track_state.cfg = value

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

        Arguments and defaults: utils/args.py (deprecated ones mapped first: ``handle_deprecation``). ``save`` /
        ``save_txt`` / ``show`` go through engine/sink.py.
        """
        if kwargs.get("embed"):  # 8.4.190: predict(embed=[...]) gives the embeddings
            return self.embed(source, stream, **kwargs)
        kwargs = handle_deprecation(kwargs)  # end2end -> nms before _sticky_nms reads it
        kwargs = with_overrides(self.overrides, kwargs, "predict")
        args = self._sticky_nms(check_args(kwargs, "predict"), kwargs)
        gen = self._stream(source, args, "predict", warn_list=not stream, setup=_setup_given(kwargs, args))
        return gen if stream else list(gen)

    def embed(self, source: Source = None, stream: bool = False, **kwargs: Any) -> Any:
        """8.4.190's ``model.embed``: per image, the outputs of the layers ``embed=[...]`` names (default: the
        second-to-last, the neck's last output) averaged over the image and concatenated, as a 1-D float32
        :class:`~numa_ultralytics.utils.tensor.Tensor` (a list, a generator with ``stream=True``). The image is
        letterboxed as ``predict`` does. A ``.pt`` checkpoint only (``TypeError`` otherwise, as 8.4.190); the layers
        must be the detection head's inputs, which the built graph outputs (``ValueError`` naming them otherwise)."""
        from numa_ultralytics.utils.tensor import Tensor

        kwargs = handle_deprecation(kwargs)
        n_layers, head_in = self._embed_layers()
        asked = kwargs.pop("embed", None) or [n_layers - 2]
        asked = [asked] if isinstance(asked, int) else list(asked)
        idx = [n_layers + int(i) if int(i) < 0 else int(i) for i in asked]
        bad = [i for i in idx if i not in head_in]
        if bad:
            raise ValueError(f"embed={asked}: layer {bad[0]} is not one this model can embed; choose from {head_in}")
        kwargs = with_overrides(self.overrides, kwargs, "predict")
        args = self._sticky_nms(check_args(kwargs, "predict"), kwargs)
        args.update(verbose=False, save=False, save_txt=False, save_crop=False, show=False)  # embeddings only
        args["embed_sel"] = [head_in.index(i) for i in sorted(set(idx))]  # in layer order, as the original's forward
        gen = (
            Tensor(r.embedding)
            for r in self._stream(source, args, "predict", warn_list=not stream, needs=frozenset({"embed"}))
        )
        return gen if stream else list(gen)

    def _embed_layers(self) -> tuple[int, list[int]]:
        """The checkpoint's layer count and the head's input layers (nn/onnx_builder.py ``checkpoint_layers``)."""
        if Path(self.ckpt_path).suffix.lower() != ".pt":
            raise TypeError(
                f"model='{self.ckpt_path}' should be a *.pt PyTorch model to run this method, but is a different "
                "format; exported formats only support 'predict' and 'val' modes"
            )
        return self._pt_facts()[1]

    def track(
        self,
        source: Source = None,
        stream: bool = False,
        persist: bool = False,
        tracker: str | os.PathLike | dict | None = None,
        **kwargs: Any,
    ) -> Any:
        """Track objects across frames; ``persist=True`` keeps the tracker between calls; ``tracker`` (default
        utils/args.py ``TRACK_DEFAULTS``) names a shipped tracker YAML, a YAML file or a dict of its keys."""
        kwargs = handle_deprecation(kwargs)  # end2end -> nms before _sticky_nms reads it
        kwargs = with_overrides(self.overrides, kwargs, "track")
        args = self._sticky_nms(check_args(kwargs, "track"), kwargs)
        persist = check_bool("persist", persist)
        from numa_ultralytics.trackers import load_tracker_config

        setup = _setup_given(kwargs, args)
        if tracker is not None:  # 8.4.190 compares the tracker with its predictor's only when one is passed
            setup["tracker"] = tracker if isinstance(tracker, dict) else os.fspath(tracker)
        cfg = load_tracker_config(TRACK_DEFAULTS["tracker"] if tracker is None else tracker)
        if not persist or self.trackers is None or cfg != self._tracker_cfg:
            self._note_tracking_thread()
            self.trackers = []
            self._tracker_cfg = cfg
        gen = self._stream(source, args, "track", persist, warn_list=not stream, setup=setup)
        return gen if stream else list(gen)

    def _note_tracking_thread(self) -> None:
        """Tracker state is per thread: say so once per model when a second live thread starts tracking with it."""
        me = threading.current_thread()
        with self._lock:
            others = [t for t in self._track_threads if t is not me and t.is_alive()]
            if others and not self._threads_noted:
                self._threads_noted = True
                LOGGER.warning(
                    f"WARNING track() on one model from threads {others[0].name!r} and {me.name!r}: tracker state is "
                    "per thread (each thread tracks its own stream, ids from 1); one stream's frames belong in one "
                    "thread"
                )
            self._track_threads = [*others, me]

    # ------------------------------------------------------------------ callbacks (utils/callbacks.py)
    def add_callback(self, event: str, func: Any) -> None:
        """Call ``func(predictor)`` at ``event`` (the predict events of utils/callbacks.py ``PREDICT_EVENTS``)."""
        self.callbacks[event].append(func)

    def clear_callback(self, event: str) -> None:
        """Remove every function registered for ``event``."""
        self.callbacks[event] = []

    def reset_callbacks(self) -> None:
        """Back to the default callbacks (none registered)."""
        self.callbacks = get_default_callbacks()

    def _tracker_for(self, stream: int) -> Any:
        from numa_ultralytics.trackers import make_tracker

        if self.trackers is None or self._tracker_cfg is None:
            raise RuntimeError(
                "this thread has no tracker state: tracker state is per thread, so iterate a track(stream=True) "
                "generator in the thread that called track()"
            )
        while len(self.trackers) <= stream:
            self.trackers.append(make_tracker(self._tracker_cfg, frame_rate=30))
        return self.trackers[stream]

    def _sticky_nms(self, args: dict[str, Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        """predict / track's ``nms``: the one given, else the last one given (8.4.190 keeps its predictor, built for
        that ``nms``, until a call passes another)."""
        with self._lock:
            if "nms" in kwargs:
                self._predict_nms = args["nms"]
            else:
                args["nms"] = self._predict_nms
        return args

    def _pt_graph(self, nms: bool | None, topk: tuple[int, bool] | None = None) -> Path:
        """The graph of this ``.pt`` for ``nms`` (nn/pt_loader.py ``pt_to_onnx``: the head 8.4.190 runs for it, the
        rule of nn/onnx_builder.py ``head_end2end``), built or found in the cache once per model and head. ``topk``
        (nn/onnx_builder.py ``head_topk``): a one-to-one head's top-k; another than the default (300 rows, per
        class) gets its own graph when the head built is one-to-one (a one-to-many head's graph has no top-k)."""
        from numa_ultralytics.nn.onnx_builder import head_topk
        from numa_ultralytics.nn.pt_loader import pt_to_onnx

        key = nms is False
        if key not in self._pt_graphs:
            self._pt_graphs[key] = pt_to_onnx(self.ckpt_path, nms)
        path = self._pt_graphs[key]
        if topk is None or topk == head_topk(0, False) or not self._graph_end2end(path):
            return path
        if (key, *topk) not in self._pt_graphs:
            self._pt_graphs[(key, *topk)] = pt_to_onnx(self.ckpt_path, nms, topk)
        return self._pt_graphs[(key, *topk)]

    def _graph_end2end(self, path: Path) -> bool:
        """Whether the graph at ``path`` (built here) has a one-to-one head: its ``end2end`` metadata."""
        if path not in self._pt_end2end:
            import onnx

            meta = {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}
            self._pt_end2end[path] = meta.get("end2end") == "True"
        return self._pt_end2end[path]

    def _device_setup(
        self,
        device: Any,
        half: bool = False,
        runtime: str | None = None,
        nms: Any = _UNSET,
        note: str = "",
        topk: tuple[int, bool] | None = None,
    ) -> Predictor:
        """Re-open the backend when the device kind (CPU/CUDA), ``half`` or ``runtime`` changes (which runtime and
        precision they mean: nn/precision.py; on CUDA ``half`` runs the fp16 graph, nn/cuda.py ``use_fp16_graph``);
        ``device=None`` keeps the current device. For a ``.pt``, ``nms`` picks the head's graph (``_pt_graph``) and
        8.4.190's warning is given when the head is not the one ``nms`` asks for (nn/onnx_builder.py
        ``head_warning``): on every ``note="val"``, and for ``note="predict"`` when the ``nms`` changes (8.4.190 warns
        when it sets up a predictor); ``topk``: a one-to-one head's top-k (``_pt_graph``). Returns the predictor the
        call runs with (kept for the whole call: another thread's change of device, precision or head never changes
        a run under way)."""
        with self._lock:
            self._device_change(device, half, runtime, nms, topk)
            if nms is not _UNSET and self._pt_graphs and (note == "val" or nms is not self._head_noted):
                from numa_ultralytics.nn.onnx_builder import head_warning

                if note == "predict":
                    self._head_noted = nms
                warning = head_warning(nms, self.backend.end2end)
                if warning:
                    LOGGER.warning(f"WARNING {warning}")
            return self.predictor

    def _run_dir(self, args: dict[str, Any], setup: dict[str, Any], mode: str) -> Path:
        """The folder this predict / track call writes into, as 8.4.190 picks it: its predictor, made by the first
        call and made anew by a call that passes a set-up value (utils/args.py ``PREDICTOR_SETUP_KEYS``) other than
        the predictor's, picks a folder when it is made (utils/files.py ``get_save_dir``) and picks again only when
        ``project`` / ``name`` / ``exist_ok`` differ from the previous call's. So a loop of
        ``model.predict(frame, save=True)`` (or ``track(..., persist=True, save=True)``) writes into one
        ``runs/segment/predict``, and a call after a ``track`` that did not change the set-up writes into the
        ``track`` folder, as in 8.4.190. The folder is made only when something is written (engine/sink.py)."""
        save = tuple(args[k] for k in ("project", "name", "exist_ok"))
        with self._lock:
            old = self._run_setup
            if old is None or any(old.get(k) != v for k, v in setup.items()):
                # a new predictor: the call's values over the defaults (8.4.190's predictor holds every key)
                self._run_setup = {**_SETUP_DEFAULTS, **setup}
                self._run_save = None
            if save != self._run_save or self._run_path is None:
                self._run_save = save
                self._run_path = get_save_dir(args["project"], args["name"], self.task, mode, bool(args["exist_ok"]))
            return self._run_path

    def _device_change(
        self, device: Any, half: bool, runtime: str | None, nms: Any = _UNSET, topk: tuple[int, bool] | None = None
    ) -> None:
        from numa_ultralytics.nn.autobackend import parse_device
        from numa_ultralytics.nn.cuda import use_fp16_graph

        b = self.backend
        current = "cuda" if b.device.startswith("cuda") else "cpu"
        kind = current if device is None else parse_device(device)[0]  # raises for a bad or unavailable device
        fp16 = use_fp16_graph(kind, bool(half))
        path = self._pt_graph(nms, topk) if self._pt_graphs and nms is not _UNSET else b.path
        if kind != current or (bool(half), runtime) != (b.half, b.runtime_arg) or fp16 != b.fp16 or path != b.path:
            dev = device if device is not None else self._device_arg if self._device_arg is not None else current
            try:
                self.backend = AutoBackend(path, dev, half, runtime, fp16, b.intra_op_threads)
            except ValueError as e:  # a graph fp16 does not apply to (int8): keep it as it is
                if not fp16:
                    raise
                LOGGER.warning(f"half=True: {e}; running the graph as it is")
                self.backend = AutoBackend(path, dev, half, runtime, intra_op_threads=b.intra_op_threads)
            self.predictor = Predictor(self.backend, self.task)
            self.predictor.owner = weakref.ref(self)
        if device is not None:
            self._device_arg = device

    def _stream(
        self,
        source: Source,
        args: dict[str, Any],
        mode: str,
        persist: bool = False,
        warn_list: bool = False,
        needs: frozenset[str] = frozenset(),
        setup: dict[str, Any] | None = None,
    ) -> Iterator[Results]:
        """Every frame of ``source`` (data/loaders.py) -> predictor -> tracker (``mode="track"``) -> sink -> Results.

        ``batch`` frames at a time go through one ``session.run`` (engine/predictor.py ``Predictor.run_batch``); then
        each frame, in source order, is tracked by its stream's tracker; then handed to the sink; then yielded (predict
        callbacks, utils/callbacks.py, run between these steps as in Ultralytics). With ``pipeline``
        (default), decoding runs ahead (``ReadAhead``), drawing and writing run behind (``SinkWorker``) and the
        camera-motion estimate of a frame starts when it is decoded (``GMC.prefetch``), each on a worker thread; the
        results, ids and files are those of the serial loop (``pipeline=False``: one thread, for debugging).

        ``setup``: the call's predictor set-up values (``_setup_given``), which pick its run folder (``_run_dir``);
        None (embeddings): the call writes nothing and leaves the run folder as it is.

        ``warn_list``: the results are being collected into a list (``stream=False``): warn (STREAM_WARNING) when the
        source is a video, a live stream or over 1000 files, as 8.4.190 does.

        Tracking without ``persist``, a stream's tracker starts again (ids from 1) whenever its frames' path changes:
        the next video of a folder, glob or list, each image of a folder (8.4.190's ``on_predict_postprocess_end``).
        """
        from numa_ultralytics.nn.onnx_builder import head_topk
        from numa_ultralytics.trackers.track import apply_tracker, tracker_needs

        topk = head_topk(args["max_det"], args["agnostic_nms"])
        predictor = self._device_setup(args["device"], args["half"], args["runtime"], args["nms"], "predict", topk)
        src = load_inference_source(
            source,
            vid_stride=args["vid_stride"],
            stream_buffer=args["stream_buffer"],
            reconnect_timeout=args["reconnect_timeout"],
        )
        if warn_list and accumulates(src):
            LOGGER.warning(STREAM_WARNING)
        n_batch = int(args["batch"])
        # one in-memory frame per call (the seed's loops) has nothing to overlap: no threads for it
        pipelined = bool(args["pipeline"]) and src.kind != "array"
        run_dir = self._run_dir(args, setup, mode) if setup is not None else None
        sink = None
        if OutputSink.wanted(args):
            sink = OutputSink(args, self.task, mode, src.num_streams, src.kind, run_dir)
        out: OutputSink | SinkWorker | None = sink
        frames: Iterator[SourceItem] = src
        if pipelined:
            frames = ReadAhead(src, max(READ_AHEAD, n_batch), name="numa-decode")
            if sink is not None and not sink.show:
                out = SinkWorker(sink)
        verbose = bool(args["verbose"])
        numbers = LogNumbers(src, int(args["vid_stride"])) if verbose else None
        cbs = self.callbacks
        hooked = any(cbs.get(e) for e in PREDICT_EVENTS)  # nothing to set or call per frame without callbacks
        p = predictor
        # 8.4.190's predictor attributes user code reads after a call (model.predictor.args.conf, .save_dir)
        p.args = IterableSimpleNamespace(**args, mode=mode, task=self.task, model=self.ckpt_path)
        p.dataset, p.save_dir = src, sink.save_dir if sink is not None else run_dir
        if hooked:
            p.callbacks = cbs
            run_callbacks(cbs, "on_predict_start", p)
        speed = SpeedTotals()
        shape = None
        used: list[Any] = []  # trackers whose camera-motion estimates may be prefetched
        paths: dict[int, str] = {}  # per stream, the path of its last tracked frame (a new path resets the tracker)
        # SIGINT/SIGTERM (utils/signals.py): with outputs to protect (or inside the command line's scope), stop reading,
        # finish the frame, close the files
        with stop_on_signals(install=sink is not None) as stop:
            try:
                while not stop.requested:
                    items = list(itertools.islice(frames, n_batch))
                    if not items:
                        break
                    trackers = [self._tracker_for(it.stream) if mode == "track" else None for it in items]
                    if pipelined:
                        for it, t in zip(items, trackers):
                            gmc = getattr(t, "gmc", None)
                            if gmc is not None and gmc.prefetch(it.im0) and t not in used:
                                used.append(t)
                    if hooked:
                        p.batch = ([it.path for it in items], [it.im0 for it in items], [""] * len(items))
                        run_callbacks(cbs, "on_predict_batch_start", p)
                    results = predictor.run_batch(
                        [it.im0 for it in items],
                        [it.path for it in items],
                        args,
                        [tracker_needs(t) | needs for t in trackers],
                    )
                    done: list[tuple[SourceItem, Results]] = []  # tracked, then drawn/written, then yielded
                    for item, tracker, r in zip(items, trackers, results):
                        if stop.requested:
                            break
                        if tracker is not None and item.gap > args["reset_after_drop"]:  # a long drop: start afresh
                            LOGGER.warning(
                                f"WARNING stream {item.path} was down {item.gap:.1f}s > reset_after_drop="
                                f"{args['reset_after_drop']:g}s: its tracker starts again"
                            )
                            tracker.reset()
                        if tracker is not None and not persist:
                            if paths.get(item.stream, item.path) != item.path:  # the next video or image
                                tracker.reset()
                            paths[item.stream] = item.path
                        r.source_item = None if item.from_memory else item
                        if tracker is not None:
                            t0 = time.perf_counter()
                            apply_tracker(r, tracker)
                            r.speed["tracking"] = (time.perf_counter() - t0) * 1e3
                        speed.add(r.speed, ("preprocess", "inference", "postprocess"))
                        shape = r.input_hw
                        done.append((item, r))
                    if hooked:  # Ultralytics order: postprocess_end (after tracking), outputs, batch_end, yield
                        p.results = [r for _, r in done]
                        run_callbacks(cbs, "on_predict_postprocess_end", p)
                        done = list(zip([it for it, _ in done], p.results))
                    for k, (item, r) in enumerate(done):
                        if verbose:
                            LOGGER.info(frame_log_line(r, item, speed.n - len(done) + k + 1, numbers))
                        if out is not None:
                            out(item, r)
                            if out.stop:  # q pressed in the window
                                del done[k + 1 :]
                                break
                    if hooked:
                        p.results = [r for _, r in done]
                        run_callbacks(cbs, "on_predict_batch_end", p)
                        yield from p.results
                    else:
                        yield from (r for _, r in done)
                    if out is not None and out.stop:
                        break
                if verbose and speed.n and shape is not None:
                    b = predictor.backend
                    LOGGER.info(speed.per_image(shape, n_batch, b.runtime, b.precision))
            finally:
                if pipelined:
                    src.interrupt()  # live streams stop waiting for frames, so the decode thread can end
                    assert isinstance(frames, ReadAhead)
                    frames.close()
                src.close()
                for t in used:
                    t.gmc.discard_prefetched()
                if out is not None:
                    out.close()
                    if (verbose or (stop.requested and stop.owner)) and out.save_dir is not None:
                        LOGGER.info(saved_line(out.save_dir, bool(args["save_txt"])))
            if hooked and not stop.requested:
                run_callbacks(cbs, "on_predict_end", p)
            if stop.requested and stop.owner:
                LOGGER.warning(f"{stop.name}: stopped after {speed.n} frames")
                stop.raise_stop()

    # ------------------------------------------------------------------ val
    def val(self, data: Any = None, **kwargs: Any) -> Any:
        """Validate on a dataset split (``data=<dataset.yaml>``, ``split="val"``); returns ``DetMetrics`` /
        ``SegmentMetrics`` (``.box.map``, ``.seg.map``, ``.results_dict``, ``.speed``). Arguments, defaults and the
        pipeline: engine/validator.py."""
        from numa_ultralytics.engine.validator import run_val
        from numa_ultralytics.nn.onnx_builder import head_topk

        kwargs = handle_deprecation(kwargs)  # end2end -> nms, half / int8 -> quantize (utils/args.py)
        kwargs = with_overrides(self.overrides, kwargs, "val")
        ckpt_data = kwargs.pop("data", None)  # 8.4.190: the checkpoint's dataset when none is given and it is there
        if data is None and isinstance(ckpt_data, (str, os.PathLike)) and Path(ckpt_data).is_file():
            data = ckpt_data

        nms = check_optional_bool("nms", kwargs.get("nms"))
        topk = head_topk(
            check_positive_int("max_det", kwargs.get("max_det", VAL_DEFAULTS["max_det"])),
            check_bool("agnostic_nms", kwargs.get("agnostic_nms", VAL_DEFAULTS["agnostic_nms"])),
        )
        predictor = self._device_setup(kwargs.get("device"), half_of(kwargs), kwargs.get("runtime"), nms, "val", topk)
        self.metrics = run_val(predictor.backend, self.task, data=data, **kwargs)
        return self.metrics

    # ------------------------------------------------------------------ export
    def export(self, **kwargs: Any) -> str:
        """Export the loaded ``.pt`` checkpoint to ONNX; returns the written file's path (``<stem>.onnx``).

        Arguments, defaults and what is refused: engine/exporter.py (``format="onnx"``, ``imgsz``, ``dynamic``,
        ``batch``, ``opset``; ``half=True``: the fp16 graph with float32 input / outputs, nn/fp16.py). A model loaded
        from an ONNX file has no source weights: exporting it raises ``TypeError``.
        """
        from numa_ultralytics.engine.exporter import export

        # deprecated keys (half / int8 -> quantize, ...): mapped by engine/exporter.py check_export_args
        kwargs = with_overrides(self.overrides, kwargs, "export")
        return str(export(self.ckpt_path, loaded_as=self.model_name, **kwargs))

    # ------------------------------------------------------------------ misc
    def to(self, device: Any) -> YOLO:
        """Move inference to ``device`` (``"cpu"``, ``0``, ``"cuda:0"``), as ``model.to(...)`` in Ultralytics."""
        self._device_setup(device, self.backend.half, self.backend.runtime_arg)  # half / runtime carry over
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
        9.8 GFLOPs`` (``verbose``) and returns ``(layers, parameters, gradients, GFLOPs)``. An ONNX model: computed
        from the graph (parameters and GFLOPs at 640 as the original's fused model, layers = convolution nodes, not
        the original's torch module count; utils/model_info.py). A ``.pt``: layers, parameters and gradients are
        8.4.190's, counted on the checkpoint's module tree (nn/checkpoint.py ``checkpoint_summary``: an unfused one's
        BatchNorms and both heads too, and ``summary (fused)`` for a fused one), GFLOPs the graph's (8.4.190's for a
        fused checkpoint; for an unfused one the fused graph that runs, less than the original's thop count of the
        unfused model). ``detailed`` is accepted and ignored."""
        from numa_ultralytics.utils.model_info import model_info, summary_line

        info = model_info(self.backend.path)
        name, fused = Path(self.ckpt_path).name, False
        if Path(self.ckpt_path).suffix.lower() == ".pt":
            from numa_ultralytics.nn.checkpoint import checkpoint_summary

            layers, params, grads, fused, stem = checkpoint_summary(self.ckpt_path)
            info, name = (layers, params, grads, info[3]), stem or name
        if verbose:
            LOGGER.info(summary_line(name, info, fused))
            LOGGER.info(f"Runtime: {self.backend.runtime} {self.backend.precision} ({self.backend.path.name})")
        return info

    def train(self, *args: Any, **kwargs: Any) -> Any:
        """Not here: numa_ultralytics runs models (no torch). ``NotImplementedError`` says what to do instead."""
        raise NotImplementedError(_NO_TRAINING.format(what="train()"))

    def tune(self, *args: Any, **kwargs: Any) -> Any:
        """Not here (hyperparameter tuning trains models): see :meth:`train`."""
        raise NotImplementedError(_NO_TRAINING.format(what="tune()"))

    def benchmark(self, *args: Any, **kwargs: Any) -> Any:
        """Not here (it exports to formats this package does not run); bench/ measures this package."""
        raise NotImplementedError(
            "benchmark() is not supported by numa_ultralytics: it runs ONNX only; time predict() on your frames"
        )

    def reset_tracker(self) -> None:
        """Drop the calling thread's trackers (tracker state is per thread)."""
        self.trackers = None

    def __repr__(self) -> str:
        return f"YOLO({self.model_name!r}, task={self.task!r})"


__all__ = ["YOLO"]


# the set-up values of a predictor made by a call that passes none of them (PREDICTOR_SETUP_KEYS)
_SETUP_DEFAULTS: dict[str, Any] = {
    "device": PREDICT_DEFAULTS["device"],
    "data": None,
    "nms": PREDICT_DEFAULTS["nms"],
    "quantize": bool(PREDICT_DEFAULTS["half"]),
    "tracker": TRACK_DEFAULTS["tracker"],
}


def _setup_given(kwargs: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    """The predictor set-up values a predict / track call passes (utils/args.py ``PREDICTOR_SETUP_KEYS``, compared
    only when passed, as 8.4.190), with the precision always (8.4.190 always sets ``quantize``)."""
    given = {k: args[k] for k in PREDICTOR_SETUP_KEYS if k in kwargs and k in args}
    given["quantize"] = bool(args["half"])
    return given
