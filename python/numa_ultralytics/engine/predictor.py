"""Per-frame prediction: letterbox, ONNX Runtime, Rust post-processing, Results.

Follows Ultralytics 8.4.190 (``engine/predictor.py``, ``models/yolo/segment/predict.py``,
``utils/ops.py``) step for step; the heavy parts run in ``numa_ultralytics._core``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from numa_ultralytics import _core
from numa_ultralytics.data.augment import check_imgsz, letterbox, to_blob
from numa_ultralytics.engine.results import Boxes, Masks, Results
from numa_ultralytics.nn.autobackend import AutoBackend


def _classes(args: dict[str, Any]) -> list[int] | None:
    """The ``classes`` filter of the predict arguments as a list of ints (None: every class)."""
    classes = args["classes"]
    if classes is None:
        return None
    return [int(c) for c in (classes if isinstance(classes, (list, tuple, np.ndarray)) else [classes])]


class Predictor:
    """Runs one model on frames with a fixed set of predict arguments.

    It is also what predict callbacks receive (utils/callbacks.py), with the attributes Ultralytics' callbacks read,
    set by engine/model.py ``YOLO._stream`` while callbacks are registered: ``args`` (the call's arguments, an
    ``IterableSimpleNamespace``), ``dataset`` (the ``InferenceSource``), ``save_dir`` (None without outputs), ``batch``
    (``(paths, im0s, strings)`` of the frames in hand), ``results`` (their ``Results``; a callback may replace it:
    ``on_predict_batch_end``'s value is what the call yields) and ``callbacks`` (the model's dict).
    """

    def __init__(self, backend: AutoBackend, task: str) -> None:
        self.backend = backend
        self.task = task
        self.model = backend
        self.args: Any = None
        self.dataset: Any = None
        self.save_dir: Any = None
        self.batch: tuple[list[str], list[np.ndarray], list[str]] | None = None
        self.results: Any = []
        self.callbacks: dict[str, list[Any]] = {}
        self.owner: Any = None  # weakref to the YOLO using this predictor (engine/model.py), for ``trackers``

    @property
    def trackers(self) -> list[Any] | None:
        """The calling thread's trackers of the model this predictor runs (``YOLO.trackers``; 8.4.190 keeps them in
        ``model.predictor.trackers``, where solutions read ``trackers[0].removed_stracks_frame``)."""
        model = self.owner() if self.owner is not None else None
        return None if model is None else model.trackers

    def input_shape(self, imgsz: Any, rect: bool = True) -> tuple[tuple[int, int], bool]:
        """(target (h, w), auto) for the letterbox: static exports fix the size; ``rect=False`` pads to the square
        ``imgsz`` (utils/args.py ``PREDICT_DEFAULTS``)."""
        b = self.backend
        if b.static_hw is not None:
            return b.static_hw, False
        return check_imgsz(imgsz, b.stride), bool(rect)

    def __call__(
        self, im0: np.ndarray, path: str, args: dict[str, Any], needs: frozenset[str] = frozenset()
    ) -> Results:
        """One frame -> Results. ``needs``: extra tracker inputs to attach (``"feats"``, ``"dets_del"``); plain
        predict asks for none and pays nothing for them."""
        return self.run_batch([im0], [path], args, [needs])[0]

    def run_batch(
        self, ims: list[np.ndarray], paths: list[str], args: dict[str, Any], needs: list[frozenset[str]]
    ) -> list[Results]:
        """Frames -> Results (in order). Frames with the same letterbox shape (``input_shape``: the shape each gets
        alone) run as one ``session.run``; a batch mixing shapes (streams of different aspect ratios) runs one
        ``session.run`` per shape, so every frame's result equals what it gives alone, exactly. A model whose batch
        axis is fixed (a static Ultralytics export: batch 1) runs the frames one at a time. A group's
        pre-processing and inference time is shared evenly among its frames in ``Results.speed``."""
        b = self.backend
        shape, auto = self.input_shape(args["imgsz"], args["rect"])
        groups: dict[tuple[int, int], list[int]] = {}
        for i, im in enumerate(ims):
            (nh, nw), (t, bo, le, r) = _core.letterbox_plan(im.shape[:2], shape, auto, b.stride)
            groups.setdefault((nh + t + bo, nw + le + r), []).append(i)
        out: dict[int, Results] = {}
        for idx in groups.values():
            chunks = [idx] if b.batch_ok(len(idx)) else [[i] for i in idx]
            for chunk in chunks:
                results = self._run([ims[i] for i in chunk], [paths[i] for i in chunk], shape, auto, args, needs, chunk)
                out.update(zip(chunk, results))
        return [out[i] for i in range(len(ims))]

    def _run(
        self,
        ims: list[np.ndarray],
        paths: list[str],
        shape: tuple[int, int],
        auto: bool,
        args: dict[str, Any],
        needs: list[frozenset[str]],
        chunk: list[int],
    ) -> list[Results]:
        """Frames with one letterbox shape -> one ``session.run`` -> Results (``needs[chunk[i]]`` for frame ``i``)."""
        b = self.backend
        n = len(ims)
        t0 = time.perf_counter()
        imgs = [letterbox(im, shape, auto, b.stride) for im in ims]
        blobs = [to_blob(im, b.input_dtype) for im in imgs]
        blob = blobs[0] if n == 1 else np.concatenate(blobs)
        t1 = time.perf_counter()
        want_feats = any(("feats" in needs[i]) or ("embed" in needs[i]) for i in chunk)
        if any("embed" in needs[i] for i in chunk) and not b.has_features:
            raise ValueError(f"{b.path}: model.embed needs the layer outputs of a graph built from a .pt checkpoint")
        if want_feats and not b.has_features:
            raise ValueError(
                f"{b.path}: ReID with 'model: auto' needs the detector's own features, which this ONNX file does not "
                "output; load the .pt checkpoint instead (its graph has them), or give the tracker's 'model:' an "
                "embedding model (.onnx)"
            )
        outs = b(blob, feats=want_feats)
        t2 = time.perf_counter()
        pre, inf = (t1 - t0) * 1e3 / n, (t2 - t1) * 1e3 / n
        return [
            self._postprocess(ims[k], paths[k], imgs[k].shape[:2], [o[k] for o in outs], args, needs[i], pre, inf)
            for k, i in enumerate(chunk)
        ]

    def _postprocess(
        self,
        im0: np.ndarray,
        path: str,
        input_hw: tuple[int, int],
        outs: list[np.ndarray],
        args: dict[str, Any],
        needs: frozenset[str],
        pre_ms: float,
        inf_ms: float,
    ) -> Results:
        """One frame's outputs (batch axis removed) -> Results."""
        b = self.backend
        t2 = time.perf_counter()
        want_feats = "feats" in needs
        orig_hw = im0.shape[:2]
        pred = outs[0]
        protos = outs[1] if (self.task == "segment" and b.has_protos and len(outs) > 1) else None
        classes = _classes(args)
        post = _core.postprocess(
            pred,
            protos,
            int(b.nc),
            input_hw,
            orig_hw,
            conf=float(args["conf"]),
            iou=float(args["iou"]),
            classes=classes,
            agnostic=bool(args["agnostic_nms"]),
            max_det=int(args["max_det"]),
            end_to_end=bool(b.end2end),
            retina_masks=bool(args["retina_masks"]),
            keep_empty_masks=want_feats,  # as the original: no empty-mask filter when ReID reads the features
            return_anchors=want_feats,
        )
        boxes, rois = post[0], post[1]
        masks = None
        if rois is not None and len(rois):
            mask_hw = orig_hw if args["retina_masks"] else input_hw
            masks = Masks(orig_shape=orig_hw, rois=rois, mask_shape=mask_hw)
        t3 = time.perf_counter()
        speed = {"preprocess": pre_ms, "inference": inf_ms, "postprocess": (t3 - t2) * 1e3}
        r = Results(im0, path, b.names, boxes=Boxes(boxes, orig_hw), masks=masks, speed=speed, input_hw=input_hw)
        if want_feats:
            maps = outs[len(b.output_names) :]
            r.feats = _core.pool_features(maps, post[2])
        if "embed" in needs:  # model.embed: each chosen layer's output averaged over the image, concatenated
            maps = outs[len(b.output_names) :]
            r.embedding = np.concatenate([maps[j].mean(axis=(1, 2), dtype=np.float32) for j in args["embed_sel"]])
        if needs:
            self._tracker_extras(r, needs, outs, input_hw, args)
        return r

    def _tracker_extras(
        self, r: Results, needs: frozenset[str], outs: list[np.ndarray], input_hw: tuple[int, int], args: dict[str, Any]
    ) -> None:
        """Attach what the frame's tracker asked for to ``r`` (``r.feats``, ``r.dets_del``)."""
        unknown = needs - {"feats", "dets_del", "embed"}
        if unknown:
            raise ValueError(f"unknown tracker inputs {sorted(unknown)}")
        if "dets_del" in needs:
            r.dets_del = self._dets_del(r, outs, input_hw, args)

    def _dets_del(
        self, r: Results, outs: list[np.ndarray], input_hw: tuple[int, int], args: dict[str, Any]
    ) -> np.ndarray | None:
        """The detections this frame's NMS removed that a looser NMS keeps (``_core.dets_del``), as the original's
        ``compute_dets_del``. The original computes them for detect models only (TrackTrack's ``setup_predictor``
        leaves segment predictors alone): None for the others, as there."""
        if self.task != "detect":
            return None
        b = self.backend
        assert r.boxes is not None
        return _core.dets_del(
            outs[0],
            None,
            int(b.nc),
            input_hw,
            r.orig_shape,
            np.ascontiguousarray(r.boxes.data, dtype=np.float32),
            conf=float(args["conf"]),
            classes=_classes(args),
            agnostic=bool(args["agnostic_nms"]),
            max_det=int(args["max_det"]),
            end_to_end=bool(b.end2end),
        )
