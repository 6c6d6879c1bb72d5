"""Validation datasets: the Ultralytics dataset YAML, YOLO label files, and the val transforms.

Follows Ultralytics 8.4.190 (``data/utils.py`` ``check_det_dataset`` / ``verify_image_label`` /
``polygon2mask``, ``data/base.py`` ``load_image`` / ``set_rectangle``, ``data/dataset.py``,
``data/augment.py`` ``LetterBox(scaleup=False)`` + ``Format``) in the same numpy types and order, so the
ground truth the validator compares against is the original's, pixel for pixel.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from numa_ultralytics.utils.ops import xyxy2xywh

LOGGER = logging.getLogger("numa_ultralytics")

IMG_FORMATS = {"bmp", "dng", "jpeg", "jpg", "mpo", "png", "tif", "tiff", "webp", "pfm", "heic"}
SEGMENT_RESAMPLES = 1000
#: Limits of one image's labels (a label file over them is skipped as corrupt, naming the limit): every instance
#: becomes a mask (up to ~0.4 MB while drawn) and every polygon is resampled to the longest one's point count.
MAX_INSTANCES = 1000  #: objects in one image (crowded sets such as SKU-110K stay under ~700)
MAX_SEGMENT_POINTS = 10_000  #: points of one polygon
MAX_LABEL_BYTES = 8 << 20  #: size of one label file
#: Most classes a dataset may declare (``nc`` / ``names``; LVIS has 1203, YOLOE's vocabulary 4585).
MAX_CLASSES = 10_000


def datasets_dir() -> Path:
    """Where bare dataset YAML names (``coco8-seg.yaml``) look for their folder: ``$NUMA_ULTRALYTICS_DATASETS_DIR``,
    else ``./datasets`` (Ultralytics' default ``datasets_dir``)."""
    return Path(os.environ.get("NUMA_ULTRALYTICS_DATASETS_DIR", "datasets"))


def _load_yaml(path: Path) -> dict[str, Any]:
    from numa_ultralytics.utils import load_yaml_file

    data = load_yaml_file(path, "dataset YAML") or {}  # bounded: size, alias expansion, regular files only
    if not isinstance(data, dict):
        raise ValueError(f"dataset YAML {path} is not a mapping")
    return data


def _check_names(d: dict[str, Any], data: Any) -> dict[int, str]:
    """``names`` (a list or a ``{index: name}`` dict) or ``nc`` as ``{0: name, ...}``, at most ``MAX_CLASSES``."""
    where = f"dataset {data if isinstance(data, dict) else str(data)!r}"[:300]
    if "names" not in d:
        nc = d["nc"]
        if isinstance(nc, bool) or not isinstance(nc, int) or not 0 < nc <= MAX_CLASSES:
            shown = nc if isinstance(nc, (int, float)) and not isinstance(nc, bool) else type(nc).__name__
            raise ValueError(f"{where}: nc={shown} must be a class count from 1 to {MAX_CLASSES} (MAX_CLASSES)")
        return {i: f"class_{i}" for i in range(nc)}
    nm = d["names"]
    if not isinstance(nm, (list, dict)):
        raise ValueError(f"{where}: names must be a list or a mapping of class index to name")
    if len(nm) > MAX_CLASSES:
        raise ValueError(f"{where}: {len(nm)} class names; at most {MAX_CLASSES} (MAX_CLASSES)")
    items = nm.items() if isinstance(nm, dict) else enumerate(nm)
    out: dict[int, str] = {}
    for k, v in items:
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < MAX_CLASSES:
            raise ValueError(f"{where}: class index {str(k)[:40]!r} in names must be an integer from 0")
        if isinstance(v, (list, dict)):
            raise ValueError(f"{where}: the name of class {k} must be a string, not a {type(v).__name__}")
        out[k] = str(v)
    return out


def check_det_dataset(data: str | os.PathLike | dict[str, Any], names: dict[int, str] | None = None) -> dict[str, Any]:
    """Read a detect/segment dataset YAML as Ultralytics does: ``path`` (the YAML's folder when absent; a relative
    one not found from the working directory is under ``datasets_dir()``), ``train`` / ``val`` / ``test`` relative to
    ``path``, ``names`` (list or dict), ``nc``.

    A bare name that is not a file (``"coco8-seg.yaml"``) resolves to ``<datasets_dir>/<stem>`` with the
    ``images/train`` / ``images/val`` layout of Ultralytics' coco8 sets; its class names come from ``names`` (the
    model's) when given."""
    if isinstance(data, dict):
        d = dict(data)
        yaml_dir = Path.cwd()
    else:
        p = Path(data)
        if p.is_dir():
            found = sorted(x.name for x in p.glob("*.y*ml"))
            hint = f" (it has {', '.join(found[:3])})" if found else ""
            raise ValueError(
                f"data={str(data)!r} is a folder, not a dataset YAML: pass a YAML naming its splits and classes, "
                f"e.g. data=path/to/dataset.yaml with 'path: {p}', 'train: images/train', 'val: images/val' and "
                f"'names:'{hint}"
            )
        if p.is_file():
            d = _load_yaml(p)
            yaml_dir = p.resolve().parent
        elif p.suffix in (".yaml", ".yml") and p.parent == Path("."):
            root = datasets_dir() / p.stem
            if not root.is_dir():
                raise FileNotFoundError(
                    f"dataset {str(data)!r} not found: no such file, and no folder {root} "
                    "(set $NUMA_ULTRALYTICS_DATASETS_DIR or pass a dataset YAML path)"
                )
            d = {"path": str(root), "train": "images/train", "val": "images/val"}
            if names:
                d["names"] = dict(names)
            yaml_dir = Path.cwd()
        else:
            raise FileNotFoundError(f"dataset {str(data)!r} not found")
    for k in ("train", "val"):
        if k not in d:
            if k == "val" and "validation" in d:
                d["val"] = d.pop("validation")
            else:
                raise ValueError(f"dataset {data!r}: '{k}:' key missing (train and val are required)")
    if "names" not in d and "nc" not in d:
        raise ValueError(f"dataset {data!r}: 'names' or 'nc' key missing")
    d["names"] = _check_names(d, data)
    d["nc"] = len(d["names"])
    # Ultralytics: no ``path`` -> the YAML's folder; a relative ``path`` that does not exist from the working
    # directory -> under the datasets folder
    path = Path(d["path"]) if d.get("path") else yaml_dir
    if not path.exists() and not path.is_absolute():
        path = datasets_dir() / path
    path = path.resolve()
    d["path"] = path
    for k in ("train", "val", "test", "minival"):
        v = d.get(k)
        if not v:
            continue
        if isinstance(v, str):
            x = (path / v).resolve()
            if not x.exists() and v.startswith("../"):
                x = (path / v[3:]).resolve()
            d[k] = str(x)
        else:
            d[k] = [str((path / x).resolve()) for x in v]
    return d


def img_files(path: str | list[str]) -> list[str]:
    """Image files of a split (a folder, a ``.txt`` list, or a list of those), sorted as Ultralytics sorts them."""
    files: list[str] = []
    for p in path if isinstance(path, list) else [path]:
        q = Path(p)
        if q.is_dir():
            files += [str(x) for x in q.rglob("*.*")]
        elif q.is_file():
            parent = str(q.parent) + os.sep
            with open(q, encoding="utf-8") as f:
                for x in f.read().strip().splitlines():
                    x = x.strip()
                    files.append(parent + x[2:] if x.startswith("./") else x)
        else:
            raise FileNotFoundError(f"{p} does not exist")
    out = sorted(x.replace("/", os.sep) for x in files if x.rpartition(".")[-1].lower() in IMG_FORMATS)
    # never open a FIFO or device named *.jpg (reading it blocks); a missing listed file stays, to be counted corrupt
    regular = [x for x in out if os.path.isfile(x) or not os.path.exists(x)]
    for x in sorted(set(out) - set(regular))[:10]:
        LOGGER.warning(f"WARNING {x}: ignoring image, not a regular file")
    if not regular:
        raise FileNotFoundError(f"no images found in {path}")
    return regular


def img2label_path(im_file: str) -> str:
    """``.../images/x.jpg`` -> ``.../labels/x.txt`` (the last ``/images/`` in the path)."""
    sa, sb = f"{os.sep}images{os.sep}", f"{os.sep}labels{os.sep}"
    return sb.join(im_file.rsplit(sa, 1)).rsplit(".", 1)[0] + ".txt"


def xywh2xyxy(x: np.ndarray) -> np.ndarray:
    """Centre/size boxes to corners, in the input's float type (Ultralytics' order: ``xy -/+ wh / 2``)."""
    y = np.empty_like(x)
    xy = x[..., :2]
    wh = x[..., 2:] / 2
    y[..., :2] = xy - wh
    y[..., 2:] = xy + wh
    return y


@dataclass
class ImageLabels:
    """One image's labels as ``verify_image_label`` returns them."""

    im_file: str
    shape: tuple[int, int]  # original (h, w)
    cls: np.ndarray  # (n,) float32
    bboxes: np.ndarray  # (n, 4) float32, normalised xywh
    segments: list[np.ndarray]  # n x (k, 2) float32, normalised
    label: str = "found"  # the label file: "found" (with objects), "empty" or "missing" (a background image)


def read_labels(im_file: str, nc: int) -> ImageLabels:
    """A YOLO label file: boxes ``cls cx cy w h`` or polygons ``cls x1 y1 x2 y2 ...`` (normalised); duplicates
    removed as Ultralytics removes them. A label file over ``MAX_LABEL_BYTES``, ``MAX_INSTANCES`` or
    ``MAX_SEGMENT_POINTS`` is a ``ValueError`` naming the limit (the validator skips the image as corrupt)."""
    if not os.path.isfile(im_file):
        raise FileNotFoundError(f"image not found or not a regular file: {im_file}")
    im = cv2.imread(im_file, cv2.IMREAD_COLOR)
    if im is None:
        raise FileNotFoundError(f"image not readable: {im_file}")
    shape = (int(im.shape[0]), int(im.shape[1]))
    lb_file = img2label_path(im_file)
    segments: list[np.ndarray] = []
    lb = np.zeros((0, 5), dtype=np.float32)
    state = "missing"
    if os.path.isfile(lb_file):
        with open(lb_file, "rb") as fb:
            raw = fb.read(MAX_LABEL_BYTES + 1)
        if len(raw) > MAX_LABEL_BYTES:
            raise ValueError(f"{lb_file}: label file over {MAX_LABEL_BYTES} bytes (MAX_LABEL_BYTES)")
        lines = raw.decode("utf-8-sig").strip().splitlines()
        if len(lines) > MAX_INSTANCES and sum(1 for x in lines if x.strip()) > MAX_INSTANCES:
            raise ValueError(f"{lb_file}: over {MAX_INSTANCES} objects in one image (MAX_INSTANCES)")
        rows = [x.split() for x in lines if x.strip()]
        if any(len(x) > 2 * MAX_SEGMENT_POINTS + 1 for x in rows):
            raise ValueError(f"{lb_file}: a polygon of over {MAX_SEGMENT_POINTS} points (MAX_SEGMENT_POINTS)")
        state = "found" if rows else "empty"
        if any(len(x) > 6 for x in rows):
            if any(len(x) == 5 for x in rows):
                raise ValueError(f"{lb_file}: labels mix segment and detection rows")
            classes = np.array([x[0] for x in rows], dtype=np.float32)
            segments = [np.array(x[1:], dtype=np.float32).reshape(-1, 2) for x in rows]
            boxes = xyxy2xywh(
                np.array([[s[:, 0].min(), s[:, 1].min(), s[:, 0].max(), s[:, 1].max()] for s in segments]).reshape(
                    -1, 4
                )
            )
            lb = np.concatenate((classes.reshape(-1, 1), boxes), 1).astype(np.float32)
        elif rows:
            lb = np.array(rows, dtype=np.float32)
        if nl := len(lb):
            if lb.shape[1] != 5:
                raise ValueError(f"{lb_file}: labels require 5 columns, {lb.shape[1]} columns detected")
            if lb[:, 1:].max() > 1.01:
                raise ValueError(f"{lb_file}: non-normalized or out of bounds coordinates")
            if not (lb.min() >= 0 or (lb.min() >= -0.01 and lb[:, 3:5].min() >= 0)):
                raise ValueError(f"{lb_file}: negative label values")
            if not (lb[:, 0] % 1 == 0).all():
                raise ValueError(f"{lb_file}: non-integer class labels")
            if lb[:, 0].max() >= nc:
                raise ValueError(f"{lb_file}: label class {int(lb[:, 0].max())} exceeds dataset class count {nc}")
            _, i = np.unique(lb, axis=0, return_index=True)
            if len(i) < nl and segments:
                keys = np.array([c.tobytes() + s.tobytes() for c, s in zip(lb[:, 0], segments)], dtype=object)
                _, i = np.unique(keys, return_index=True)
            if len(i) < nl:
                lb = lb[i]
                if segments:
                    segments = [segments[x] for x in i]
    return ImageLabels(im_file, shape, lb[:, 0].copy(), lb[:, 1:5].copy(), segments, state)


def resample_segments(segments: list[np.ndarray], n: int = SEGMENT_RESAMPLES) -> list[np.ndarray]:
    """Ultralytics ``resample_segments``: each closed polygon to ``n`` points (original vertices kept)."""
    out = []
    for s in segments:
        if len(s) == n:
            out.append(s)
            continue
        s = np.concatenate((s, s[0:1, :]), axis=0)
        x = np.linspace(0, len(s) - 1, n - len(s) if len(s) < n else n)
        xp = np.arange(len(s))
        x = np.insert(x, np.searchsorted(x, xp), xp) if len(s) < n else x
        out.append(np.concatenate([np.interp(x, xp, s[:, i]) for i in range(2)], dtype=np.float32).reshape(2, -1).T)
    return out


def polygon2mask(imgsz: tuple[int, int], polygon: np.ndarray, downsample_ratio: int) -> np.ndarray:
    """``cv2.fillPoly`` at full size (int32-truncated vertices), then ``cv2.resize`` (INTER_LINEAR) down."""
    mask = np.zeros(imgsz, dtype=np.uint8)
    pts = np.asarray([polygon.reshape(-1)], dtype=np.int32).reshape(1, -1, 2)
    cv2.fillPoly(mask, pts, color=1)  # type: ignore[call-overload]
    return cv2.resize(mask, (imgsz[1] // downsample_ratio, imgsz[0] // downsample_ratio))


def polygons2masks_overlap(
    imgsz: tuple[int, int], segments: np.ndarray, downsample_ratio: int
) -> tuple[np.ndarray, np.ndarray]:
    """One (H/r, W/r) index mask, instance ``i + 1`` in area-descending order (small ones drawn on top), and that
    order."""
    masks = np.zeros(
        (imgsz[0] // downsample_ratio, imgsz[1] // downsample_ratio),
        dtype=np.int32 if len(segments) > 255 else np.uint8,
    )
    ms = [polygon2mask(imgsz, s, downsample_ratio).astype(masks.dtype) for s in segments]
    areas = np.asarray([m.sum() for m in ms])
    index = np.argsort(-areas)
    stacked = np.array(ms)[index]
    for i in range(len(segments)):
        np.maximum(masks, stacked[i] * (i + 1), out=masks)
    return masks, index


@dataclass
class ValSample:
    """One letterboxed validation image and its ground truth in input pixels."""

    im_file: str
    img: np.ndarray  # (H, W, 3) BGR uint8, letterboxed
    ori_shape: tuple[int, int]
    ratio_pad: tuple[tuple[float, float], tuple[int, int]]
    cls: np.ndarray  # (n,) float32 (area-sorted when masks are overlapped)
    bboxes: np.ndarray  # (n, 4) float32 normalised xywh on the letterboxed image
    masks: np.ndarray | None  # overlap: (1, H/r, W/r) index mask; else (n, H/r, W/r)


class ValDataset:
    """The val split as Ultralytics' ``YOLODataset(augment=False)`` serves it: ``load_image`` (long side to imgsz,
    INTER_LINEAR), ``LetterBox(scaleup=False)`` to ``imgsz`` or each batch's rect shape, ``Format`` (masks at
    ``mask_ratio``, overlapped when ``overlap_mask``)."""

    def __init__(
        self,
        img_path: str | list[str],
        nc: int,
        imgsz: int | list[int] | tuple[int, int],
        use_segments: bool,
        rect: bool = False,
        batch_size: int = 1,
        stride: int = 32,
        pad: float = 0.5,
        mask_ratio: int = 4,
        overlap_mask: bool = True,
        single_cls: bool = False,
    ) -> None:
        self.imgsz = imgsz
        self.use_segments = use_segments
        self.mask_ratio = mask_ratio
        self.overlap_mask = overlap_mask
        self.labels = self._scan(img_files(img_path), nc)
        if single_cls:
            for lb in self.labels:
                lb.cls[:] = 0
        if use_segments:
            n_seg = sum(len(lb.segments) for lb in self.labels)
            n_box = sum(len(lb.cls) for lb in self.labels)
            if n_box and n_seg != n_box:
                raise ValueError(
                    f"box and segment counts should be equal, but got len(segments) = {n_seg}, len(boxes) = {n_box}; "
                    "a segment model needs polygon labels"
                )
        self.rect_shapes: list[tuple[int, int]] | None = None
        if rect:
            self._set_rectangle(batch_size, stride, pad)

    def __len__(self) -> int:
        return len(self.labels)

    def _scan(self, files: list[str], nc: int, prefix: str = "val: ") -> list[ImageLabels]:
        """Every image's labels, as Ultralytics' ``cache_labels``: a bad image or label file is skipped with a
        warning naming it, and one line gives the counts (``N images, M backgrounds, K corrupt``)."""
        labels: list[ImageLabels] = []
        nf = nm = ne = n_bad = 0
        msgs: list[str] = []
        for f in files:
            try:
                lb = read_labels(f, nc)
            except Exception as e:  # noqa: BLE001 - any failure of one file skips that file, as the original
                n_bad += 1
                nf += not isinstance(e, FileNotFoundError) and os.path.isfile(img2label_path(f))
                msgs.append(f"{prefix}{f}: ignoring corrupt image/label: {str(e)[:300]}")
                continue
            nf += lb.label != "missing"
            nm += lb.label == "missing"
            ne += lb.label == "empty"
            labels.append(lb)
        where = Path(img2label_path(files[0])).parent if files else Path(".")
        for m in msgs:
            LOGGER.warning(m)
        LOGGER.info(f"{prefix}Scanning {where}... {nf} images, {nm + ne} backgrounds, {n_bad} corrupt")
        if not labels:
            issues = "\n  ".join(sorted(set(msgs))[:10]) or "no error details"
            raise ValueError(f"No valid images found in {where}.\n  {issues}")
        self.counts = {"found": nf, "missing": nm, "empty": ne, "corrupt": n_bad}
        return labels

    def _set_rectangle(self, batch_size: int, stride: int, pad: float) -> None:
        n = len(self.labels)
        bi = np.floor(np.arange(n) / batch_size).astype(int)
        nb = bi[-1] + 1
        s = np.array([lb.shape for lb in self.labels])
        ar = s[:, 0] / s[:, 1]
        irect = ar.argsort()
        self.labels = [self.labels[i] for i in irect]
        ar = ar[irect]
        shapes = [[1, 1]] * nb
        for i in range(nb):
            ari = ar[bi == i]
            mini, maxi = ari.min(), ari.max()
            if maxi < 1:
                shapes[i] = [maxi, 1]
            elif mini > 1:
                shapes[i] = [1, 1 / mini]
        batch_shapes = np.ceil(np.array(shapes) * np.array(self.imgsz) / stride + pad).astype(int) * stride
        self.rect_shapes = [(int(batch_shapes[b][0]), int(batch_shapes[b][1])) for b in bi]

    def _load_image(self, f: str) -> tuple[np.ndarray, tuple[int, int]]:
        im = cv2.imread(f, cv2.IMREAD_COLOR)
        if im is None:
            raise FileNotFoundError(f"Image Not Found {f}")
        h0, w0 = im.shape[:2]
        imgsz = max(self.imgsz) if isinstance(self.imgsz, (list, tuple)) else int(self.imgsz)
        r = imgsz / max(h0, w0)
        if r != 1:
            w, h = (min(math.ceil(w0 * r), imgsz), min(math.ceil(h0 * r), imgsz))
            im = cv2.resize(im, (w, h), interpolation=cv2.INTER_LINEAR)
        return im, (h0, w0)

    def __getitem__(self, index: int) -> ValSample:
        lb = self.labels[index]
        img, (h0, w0) = self._load_image(lb.im_file)
        h1, w1 = img.shape[:2]
        gain = (h1 / h0, w1 / w0)
        # LetterBox(new_shape=imgsz or rect shape, scaleup=False, center=True)
        if self.rect_shapes is not None:
            new_shape: tuple[int, int] = self.rect_shapes[index]
        elif isinstance(self.imgsz, (list, tuple)):
            new_shape = (int(self.imgsz[0]), int(self.imgsz[1]))
        else:
            new_shape = (int(self.imgsz), int(self.imgsz))
        r = min(new_shape[0] / h1, new_shape[1] / w1)
        r = min(r, 1.0)
        new_unpad = max(round(w1 * r), 1), max(round(h1 * r), 1)
        dw, dh = (new_shape[1] - new_unpad[0]) / 2, (new_shape[0] - new_unpad[1]) / 2
        top, bottom = round(dh - 0.1), round(dh + 0.1)
        left, right = round(dw - 0.1), round(dw + 0.1)
        if (w1, h1) != new_unpad:
            img = cv2.resize(img, new_unpad, interpolation=cv2.INTER_LINEAR)
        img = cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(114, 114, 114))
        h, w = img.shape[:2]
        ratio_pad = ((gain[0] * r, gain[1] * r), (left, top))

        cls = lb.cls.copy()
        nl = len(cls)
        # instances: normalised xywh -> xyxy pixels of the loaded image -> scaled -> padded
        boxes = xywh2xyxy(lb.bboxes.copy())
        boxes *= np.array([w1, h1, w1, h1], dtype=np.float32)
        boxes *= np.array([r, r, r, r], dtype=np.float32)
        boxes += np.array([left, top, left, top], dtype=np.float32)
        masks: np.ndarray | None = None
        if self.use_segments:
            if nl and lb.segments:
                n_pts = max(len(s) for s in lb.segments)
                n_pts = n_pts + 1 if n_pts > SEGMENT_RESAMPLES else SEGMENT_RESAMPLES
                segs = np.stack(resample_segments(list(lb.segments), n_pts), axis=0)
                segs[..., 0] *= w1
                segs[..., 1] *= h1
                segs[..., 0] *= r
                segs[..., 1] *= r
                segs[..., 0] += left
                segs[..., 1] += top
                if self.overlap_mask:
                    m, order = polygons2masks_overlap((h, w), segs, self.mask_ratio)
                    masks = m[None]
                    boxes, cls = boxes[order], cls[order]
                else:
                    masks = np.array([polygon2mask((h, w), s, self.mask_ratio) for s in segs])
            else:
                masks = np.zeros(
                    (1 if self.overlap_mask else nl, h // self.mask_ratio, w // self.mask_ratio), dtype=np.uint8
                )
        # Format: xyxy -> xywh, normalised by the letterboxed size
        bboxes = xyxy2xywh(boxes) if nl else np.zeros((0, 4), dtype=np.float32)
        if nl:
            bboxes[:, [0, 2]] /= w
            bboxes[:, [1, 3]] /= h
        return ValSample(lb.im_file, img, (h0, w0), ratio_pad, cls.astype(np.float32), bboxes, masks)

    def __iter__(self) -> Iterator[ValSample]:
        for i in range(len(self)):
            yield self[i]
