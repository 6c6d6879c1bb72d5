"""Results, Boxes and Masks: the objects ``model.predict`` / ``model.track`` return.

Numpy-backed drop-ins for Ultralytics' classes: every field is a :class:`~numa_ultralytics.utils.tensor.Tensor`
(an ``np.ndarray`` that also answers ``.cpu()``, ``.int()``, ``.numpy()``, ...).
Masks are kept as per-object box regions (exact: a mask is zero outside its box) and only
expanded to full ``(n, H, W)`` frames when ``Masks.data`` is read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from numa_ultralytics import _core
from numa_ultralytics.utils import DataExportMixin
from numa_ultralytics.utils.tensor import Tensor, as_tensor

if TYPE_CHECKING:
    from numa_ultralytics.data.sources import SourceItem

Roi = tuple  # (x0, y0, mask (h, w) uint8)


def _hw(shape: Sequence[Any]) -> tuple[int, int]:
    """The (height, width) of a shape, as ints."""
    return int(shape[0]), int(shape[1])


class SimpleClass:
    """Ultralytics' ``SimpleClass`` printing: ``str(x)`` / ``repr(x)`` list every public, non-callable attribute."""

    def __str__(self) -> str:
        attr = []
        for a in dir(self):
            if a.startswith("_"):
                continue
            v = getattr(self, a)
            if callable(v):
                continue
            if isinstance(v, SimpleClass):  # only the module and class name for nested objects
                attr.append(f"{a}: {type(v).__module__}.{type(v).__name__} object")
            else:
                attr.append(f"{a}: {v!r}")
        return f"{type(self).__module__}.{type(self).__name__} object with attributes:\n\n" + "\n".join(attr)

    def __repr__(self) -> str:
        return self.__str__()


class BaseTensor(SimpleClass):
    """Common container behaviour: ``data``, ``shape``, ``len``, indexing, device no-ops."""

    def __init__(self, data: Any, orig_shape: tuple[int, int]) -> None:
        self.data = as_tensor(data)
        self.orig_shape = _hw(orig_shape)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    def __len__(self) -> int:
        return len(self.data)

    def cpu(self):
        return self

    def cuda(self):
        return self

    def to(self, *args: Any, **kwargs: Any):
        return self

    def numpy(self):
        return self


class Boxes(BaseTensor):
    """Detection boxes: ``data`` is ``(n, 6)`` ``[x1, y1, x2, y2, conf, cls]`` or ``(n, 7)`` with a
    track id before ``conf``."""

    def __init__(self, boxes: Any, orig_shape: tuple[int, int], tracked: bool | None = None) -> None:
        boxes = np.asarray(boxes, dtype=np.float32)
        if boxes.ndim == 1:
            boxes = boxes[None, :]
        if boxes.size == 0:
            boxes = boxes.reshape(0, boxes.shape[-1] if boxes.shape[-1] in (6, 7) else 6)
        n = boxes.shape[-1]
        if n not in (6, 7):
            raise ValueError(f"expected 6 or 7 values per box, got {n}")
        super().__init__(boxes, orig_shape)
        self.is_track = n == 7
        # After track(): an untracked frame has an empty id column instead of None.
        self._tracked = self.is_track if tracked is None else tracked

    @property
    def xyxy(self) -> Tensor:
        return cast(Tensor, self.data[:, :4])

    @property
    def conf(self) -> Tensor:
        return cast(Tensor, self.data[:, -2])

    @property
    def cls(self) -> Tensor:
        return cast(Tensor, self.data[:, -1])

    @property
    def id(self) -> Tensor | None:
        if self.is_track:
            return cast(Tensor, self.data[:, -3])
        if self._tracked:
            return as_tensor(np.zeros((0,), np.float32))
        return None

    @cached_property
    def xywh(self) -> Tensor:
        from numa_ultralytics.utils.ops import xyxy2xywh

        return as_tensor(xyxy2xywh(self.xyxy))

    @cached_property
    def xyxyn(self) -> Tensor:
        h, w = self.orig_shape
        return as_tensor(self.xyxy / np.array([w, h, w, h], np.float32))

    @cached_property
    def xywhn(self) -> Tensor:
        h, w = self.orig_shape
        return as_tensor(self.xywh / np.array([w, h, w, h], np.float32))

    def __getitem__(self, idx: Any) -> Boxes:
        return Boxes(np.asarray(self.data)[_as_index(idx)], self.orig_shape, tracked=self._tracked)

    def __iter__(self) -> Iterator[Boxes]:
        for i in range(len(self)):
            yield self[i]


class Masks(BaseTensor):
    """Instance masks. ``data`` is ``(n, H, W)`` uint8 at the network input size (the original size
    with ``retina_masks``); ``xy`` / ``xyn`` are polygons in original-image pixels / normalised."""

    def __init__(
        self,
        masks: Any = None,
        orig_shape: tuple[int, int] = (0, 0),
        *,
        rois: Sequence[Roi] | None = None,
        mask_shape: tuple[int, int] | None = None,
    ) -> None:
        self.orig_shape = _hw(orig_shape)
        if rois is not None:
            if mask_shape is None:
                raise ValueError("mask_shape is required with rois")
            self._rois: list[Roi] | None = list(rois)
            self._mask_shape = (int(mask_shape[0]), int(mask_shape[1]))
        else:
            data = np.asarray(masks)
            if data.ndim == 2:
                data = data[None]
            if data.ndim != 3:
                raise ValueError(f"masks must be (n, H, W), got shape {data.shape}")
            self.__dict__["data"] = as_tensor(data)
            self._mask_shape = _hw(data.shape[1:])
            self._rois = None

    @cached_property
    def data(self) -> Tensor:  # type: ignore[override]
        h, w = self._mask_shape
        rois = self._rois if self._rois is not None else []  # (built from data, which is then already cached)
        out = np.zeros((len(rois), h, w), np.uint8)
        for i, (x0, y0, m) in enumerate(rois):
            out[i, y0 : y0 + m.shape[0], x0 : x0 + m.shape[1]] = m
        return as_tensor(out)

    @property
    def shape(self) -> tuple[int, ...]:
        if self._rois is not None and "data" not in self.__dict__:
            return (len(self._rois), *self._mask_shape)
        return self.data.shape

    def __len__(self) -> int:
        return len(self._rois) if self._rois is not None else len(self.data)

    def _as_rois(self) -> list[Roi]:
        if self._rois is not None:
            return self._rois
        rois = []
        for m in np.asarray(self.data):
            rois.append((0, 0, np.ascontiguousarray(m, dtype=np.uint8)))
        return rois

    @cached_property
    def xy(self) -> list[np.ndarray]:
        return _core.rois_to_polygons(self._as_rois(), self._mask_shape, self.orig_shape, False)

    @cached_property
    def xyn(self) -> list[np.ndarray]:
        return _core.rois_to_polygons(self._as_rois(), self._mask_shape, self.orig_shape, True)

    def __getitem__(self, idx: Any) -> Masks:
        if self._rois is not None:
            sel = np.arange(len(self._rois))[_as_index(idx)]
            sel = np.atleast_1d(sel)
            return Masks(orig_shape=self.orig_shape, rois=[self._rois[i] for i in sel], mask_shape=self._mask_shape)
        return Masks(np.asarray(self.data)[_as_index(idx)], self.orig_shape)

    def __iter__(self) -> Iterator[Masks]:
        for i in range(len(self)):
            yield self[i]


def _as_index(idx: Any) -> Any:
    if isinstance(idx, (int, np.integer)):
        return [int(idx)]
    if isinstance(idx, np.ndarray):
        return idx.view(np.ndarray)
    return idx


class Results(SimpleClass, DataExportMixin):
    """One image's predictions (drop-in for ``ultralytics.engine.results.Results``)."""

    def __init__(
        self,
        orig_img: np.ndarray,
        path: str,
        names: dict[int, str],
        boxes: Boxes | np.ndarray | None = None,
        masks: Masks | np.ndarray | None = None,
        probs: Any = None,
        keypoints: Any = None,
        obb: Any = None,
        speed: dict[str, float] | None = None,
        input_hw: tuple[int, int] | None = None,
    ) -> None:
        """8.4.190's arguments, in its order; ``probs`` / ``keypoints`` / ``obb`` (classify, pose, OBB) must be None
        (``NotImplementedError`` otherwise: detect and segment results only)."""
        for key, v in (("probs", probs), ("keypoints", keypoints), ("obb", obb)):
            if v is not None:
                raise NotImplementedError(f"Results({key}=...): numa_ultralytics holds detect and segment results only")
        self.orig_img = orig_img
        self.orig_shape = _hw(orig_img.shape)
        self.path = path
        self.names = names
        self.boxes = boxes if (boxes is None or isinstance(boxes, Boxes)) else Boxes(boxes, self.orig_shape)
        self.masks = masks if (masks is None or isinstance(masks, Masks)) else Masks(masks, self.orig_shape)
        self.probs = None
        self.keypoints = None
        self.obb = None
        self.semantic_mask = None  # 8.4.190's semantic-segmentation and depth tasks: never set for segment / detect
        self.depth = None
        self.speed: dict[str, Any] = (
            speed if speed is not None else {"preprocess": None, "inference": None, "postprocess": None}
        )
        self.save_dir = None
        self.source_item: SourceItem | None = (
            None  # the loader's SourceItem (None for in-memory frames: arrays or lists of arrays)
        )
        # (h, w) of the letterboxed network input this frame ran at (the "384x640" of the log line); None when built
        # by hand.
        self.input_hw = input_hw
        # Tracker inputs the predictor adds only when the frame's tracker asks (``Predictor.__call__`` ``needs``):
        # ReID embeddings of the boxes, float32 (n, d), and the detections a looser NMS kept that this frame's NMS
        # removed, float32 (k, 6) (TrackTrack).
        self.feats: np.ndarray | None = None
        self.dets_del: np.ndarray | None = None
        self.embedding: np.ndarray | None = None  # model.embed: the pooled layer outputs (engine/predictor.py)

    def __len__(self) -> int:
        return len(self.boxes) if self.boxes is not None else 0

    def __getitem__(self, idx: Any) -> Results:
        r = self.new()
        r.boxes = self.boxes[idx] if self.boxes is not None else None
        r.masks = self.masks[idx] if self.masks is not None else None
        return r

    def new(self) -> Results:
        r = Results(self.orig_img, self.path, self.names, speed=dict(self.speed), input_hw=self.input_hw)
        r.source_item, r.save_dir = self.source_item, self.save_dir
        return r

    def update(self, boxes: Any = None, masks: Any = None, **_: Any) -> None:
        if boxes is not None:
            self.boxes = boxes if isinstance(boxes, Boxes) else Boxes(boxes, self.orig_shape)
        if masks is not None:
            self.masks = masks if isinstance(masks, Masks) else Masks(masks, self.orig_shape)

    def cpu(self) -> Results:
        return self

    def numpy(self) -> Results:
        return self

    def cuda(self) -> Results:
        return self

    def to(self, *args: Any, **kwargs: Any) -> Results:
        return self

    def verbose(self) -> str:
        """``"4 persons, 1 bus, "`` as Ultralytics logs per image (``"(no detections), "`` when empty)."""
        if self.boxes is None or len(self.boxes) == 0:
            return "(no detections), "
        cls = np.asarray(self.boxes.cls).astype(int)
        out = ""
        for c in sorted(set(cls.tolist())):
            n = int((cls == c).sum())
            out += f"{n} {self.names[c]}{'s' * (n > 1)}, "
        return out

    def summary(self, normalize: bool = False, decimals: int = 5) -> list[dict[str, Any]]:
        """A list of dicts, one per object: name, class, confidence, box (and track_id, segments)."""
        out: list[dict[str, Any]] = []
        if self.boxes is None:
            return out
        h, w = self.orig_shape if normalize else (1, 1)
        data = np.asarray(self.boxes.data)
        ids = self.boxes.id if self.boxes.is_track else None
        polys = self.masks.xy if self.masks is not None else None
        for i, row in enumerate(data):
            c = int(row[-1])
            item: dict[str, Any] = {
                "name": self.names[c],
                "class": c,
                "confidence": round(float(row[-2]), decimals),
                "box": {
                    "x1": round(float(row[0]) / w, decimals),
                    "y1": round(float(row[1]) / h, decimals),
                    "x2": round(float(row[2]) / w, decimals),
                    "y2": round(float(row[3]) / h, decimals),
                },
            }
            if ids is not None:
                item["track_id"] = int(ids[i])
            if polys is not None:
                p = polys[i]
                item["segments"] = {  # rounded in float64, as 8.4.190 (float32 rounding leaves 0.13541999...)
                    "x": (p[:, 0] / w).astype(float).round(decimals).tolist(),
                    "y": (p[:, 1] / h).astype(float).round(decimals).tolist(),
                }
            out.append(item)
        return out

    def plot(
        self,
        conf: bool = True,
        line_width: int | None = None,
        labels: bool = True,
        boxes: bool = True,
        masks: bool = True,
        img: np.ndarray | None = None,
        color_mode: str = "class",
        alpha: float = 0.5,
        save: bool = False,
        filename: str | None = None,
        pil: bool = False,
        **_: Any,
    ) -> Any:
        """Draw boxes, labels and filled masks on a copy of the original image (BGR ndarray; with ``pil=True`` an RGB
        PIL image, as 8.4.190, which needs Pillow); ``save=True`` also writes it (to ``filename``, by default
        ``results_<name>``, as ``save()``). Other Ultralytics arguments (``font``, ...) are accepted and change
        nothing."""
        from numa_ultralytics.utils.plotting import draw_plot

        im = draw_plot(
            self,
            img,
            conf=conf,
            line_width=line_width,
            labels=labels,
            boxes=boxes,
            masks=masks,
            color_mode=color_mode,
            alpha=alpha,
        )
        if save:
            self._write(filename, im)
        if pil:
            try:
                from PIL import Image
            except ImportError as e:
                raise ImportError("Results.plot(pil=True) returns a PIL image: pip install pillow") from e
            return Image.fromarray(np.ascontiguousarray(im[..., ::-1]))
        return im

    def show(self, *args: Any, **kwargs: Any) -> None:
        """Display the annotated image in a window (without a screen: one warning, nothing shown)."""
        from numa_ultralytics.utils.display import imshow

        imshow(str(self.path), self.plot(*args, **{**kwargs, "pil": False}))

    def save(self, filename: str | None = None, *args: Any, **kwargs: Any) -> str:
        """Write the annotated image (``results_<name>`` by default); returns the file name."""
        return self._write(filename, self.plot(*args, **{**kwargs, "pil": False}))

    def _write(self, filename: str | os.PathLike | None, im: np.ndarray) -> str:
        import cv2

        name = str(filename or f"results_{Path(self.path).name}")
        if not Path(name).suffix:
            name += ".jpg"
        if not cv2.imwrite(name, im):
            raise OSError(f"could not write image {name}")
        return name

    def save_txt(self, txt_file: str | Path, save_conf: bool = False) -> str:
        """Append YOLO-format lines (``cls`` + normalised box, or polygon for masks, [conf], [track id]), as
        Ultralytics' ``Results.save_txt`` (``%g`` numbers; nothing written, no file made, without objects). The one
        place of the YOLO label format: ``save_txt=True`` (engine/sink.py) calls it."""
        if self.boxes is None or len(self.boxes) == 0:
            return str(txt_file)
        data = np.asarray(self.boxes.data)
        xywhn = np.asarray(self.boxes.xywhn)
        ids = self.boxes.id if self.boxes.is_track else None
        xyn = self.masks.xyn if self.masks is not None else None
        lines = []
        for j, row in enumerate(data):
            values: list[float] = [int(row[-1])]
            values += (xyn[j].reshape(-1) if xyn is not None else xywhn[j]).tolist()
            if save_conf:
                values.append(float(row[-2]))
            if ids is not None:
                values.append(int(ids[j]))
            lines.append(" ".join(f"{v:g}" for v in values))
        Path(txt_file).parent.mkdir(parents=True, exist_ok=True)
        with open(txt_file, "a", encoding="utf-8") as f:
            f.writelines(line + "\n" for line in lines)
        return str(txt_file)

    def save_crop(self, save_dir: str | Path, file_name: str | Path = Path("im.jpg")) -> None:
        """Save each object's box crop as ``save_dir/<class name>/<file_name>.jpg`` (``<file_name>2.jpg``, ... when
        taken), as Ultralytics (box grown by ``gain=1.02``, ``pad=10``; utils/plotting.py ``save_one_box``)."""
        from numa_ultralytics.utils.files import increment_path
        from numa_ultralytics.utils.plotting import save_one_box

        if self.boxes is None:
            return
        data = np.asarray(self.boxes.data)
        for row in data:
            file = Path(save_dir) / self.names[int(row[-1])] / Path(file_name).with_suffix(".jpg")
            file.parent.mkdir(parents=True, exist_ok=True)
            save_one_box(row[:4], self.orig_img, file=increment_path(file))
