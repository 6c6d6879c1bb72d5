"""Drawing: the Ultralytics ``Annotator`` and ``colors`` palette (OpenCV only), and the one drawing policy.

Two looks, one policy (:func:`object_styles` picks every object's colour and label):

- :func:`draw_plot`: Ultralytics' ``Results.plot()`` pixel for pixel (blended masks, boxes with ``name conf`` labels).
- :func:`draw_outlines`: the seed's look (``seg_bbox`` outlines labelled by class or track id; boxes for detect
  models).

``save=True`` / ``show=True`` of ``model.predict`` / ``model.track`` and the command line draw with
:func:`draw_plot` by default and with :func:`draw_outlines` when ``plot_style="outlines"`` (engine/sink.py).
:func:`save_one_box` is ``Results.save_crop``'s crop.

``Annotator`` draws **in place** on the array it is given (like the original's cv2 path), so code that
writes ``im0`` after annotating (the seed's loop) sees the drawings. ``seg_bbox`` keeps the Ultralytics 8.3
signature and also accepts the older ``det_label`` / ``track_label`` keywords.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from numa_ultralytics.utils.args import check_line_width

Color = tuple[int, int, int]

__all__ = ["Annotator", "Colors", "colors", "draw_plot", "draw_outlines", "object_styles", "save_one_box"]


class Colors:
    """The Ultralytics 20-colour palette. ``colors(i, bgr=False)`` returns colour ``i % 20`` as an RGB (or BGR) tuple.

    Examples:
        >>> colors(5, True)
        (221, 111, 255)
        >>> colors(5)
        (255, 111, 221)
    """

    HEXS = (
        "042AFF",
        "0BDBEB",
        "F3F3F3",
        "00DFB7",
        "111F68",
        "FF6FDD",
        "FF444F",
        "CCED00",
        "00F344",
        "BD00FF",
        "00B4FF",
        "DD00BA",
        "00FFFF",
        "26C000",
        "01FFB3",
        "7D24FF",
        "7B0068",
        "FF1B6C",
        "FC6D2F",
        "A2FF0B",
    )

    def __init__(self) -> None:
        self.palette: list[Color] = [self.hex2rgb(f"#{c}") for c in self.HEXS]
        self.n = len(self.palette)
        self.pose_palette = np.array(
            [
                [255, 128, 0],
                [255, 153, 51],
                [255, 178, 102],
                [230, 230, 0],
                [255, 153, 255],
                [153, 204, 255],
                [255, 102, 255],
                [255, 51, 255],
                [102, 178, 255],
                [51, 153, 255],
                [255, 153, 153],
                [255, 102, 102],
                [255, 51, 51],
                [153, 255, 153],
                [102, 255, 102],
                [51, 255, 51],
                [0, 255, 0],
                [0, 0, 255],
                [255, 0, 0],
                [255, 255, 255],
            ],
            dtype=np.uint8,
        )

    def __call__(self, i: Any, bgr: bool = False) -> Color:
        """Return palette colour ``int(i) % 20`` (RGB, or BGR when ``bgr``). ``i`` may be a numpy scalar."""
        c = self.palette[int(i) % self.n]
        return (c[2], c[1], c[0]) if bgr else c

    @staticmethod
    def hex2rgb(h: str) -> Color:
        """Convert ``"#RRGGBB"`` to an ``(r, g, b)`` tuple."""
        return tuple(int(h[1 + i : 1 + i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]


colors = Colors()  # `from numa_ultralytics.utils.plotting import colors`


def _is_ascii(s: str) -> bool:
    return all(ord(c) < 128 for c in str(s))


def _as_color(c: Sequence[Any]) -> Color:
    """OpenCV wants plain Python numbers; accept numpy scalars and lists."""
    return tuple(int(v) for v in c)  # type: ignore[return-value]


class Annotator:
    """Draw boxes, segment outlines and labels on a BGR uint8 image, in place.

    Args:
        im: HxWx3 BGR uint8 array. Grey (HxW, HxWx1), 2-channel and >3-channel arrays are converted to a new 3-channel
            array (then ``result()`` returns that new array, not ``im``). A read-only array is copied.
        line_width: line width; default ``max(round(sum(im.shape) / 2 * 0.003), 2)``. Other values must be integers from
            1 to ``MAX_LINE_WIDTH`` (utils/args.py ``check_line_width``, the rule predict/track and the CLI use): a
            zero or negative width would give OpenCV a negative font scale.
        font_size, font: accepted for API compatibility (used only by the PIL path of the original).
        pil: the original draws with PIL when true. This package draws with OpenCV always; ``pil=True`` gives a
            warning and the OpenCV drawing (``result(pil=True)`` still returns a PIL image when Pillow is installed).
        example: sample label text; non-ASCII labels are drawn by OpenCV's Hershey font (non-ASCII glyphs show as
            ``?``).

    Attributes:
        im (np.ndarray): the image drawn on. lw (int): line width. tf (int): font thickness ``max(lw - 1, 1)``.
        sf (float): font scale ``lw / 3``.
    """

    dark_colors = {
        (235, 219, 11),
        (243, 243, 243),
        (183, 223, 0),
        (221, 111, 255),
        (0, 237, 204),
        (68, 243, 0),
        (255, 255, 0),
        (179, 255, 1),
        (11, 255, 162),
    }
    light_colors = {
        (255, 42, 4),
        (79, 68, 255),
        (255, 0, 189),
        (255, 180, 0),
        (186, 0, 221),
        (0, 192, 38),
        (255, 36, 125),
        (104, 0, 123),
        (108, 27, 255),
        (47, 109, 252),
        (104, 31, 17),
    }

    def __init__(
        self,
        im: np.ndarray,
        line_width: int | None = None,
        font_size: int | None = None,
        font: str = "Arial.ttf",
        pil: bool = False,
        example: str = "abc",
    ) -> None:
        if hasattr(im, "size") and hasattr(im, "mode") and not isinstance(im, np.ndarray):  # a PIL image
            im = np.ascontiguousarray(np.asarray(im.convert("RGB"))[..., ::-1])
        if not isinstance(im, np.ndarray):
            raise TypeError(f"Annotator expects an HxWx3 uint8 numpy image, got {type(im).__name__}")
        if pil:
            warnings.warn(
                "numa_ultralytics draws with OpenCV only; Annotator(pil=True) uses the OpenCV path", stacklevel=2
            )
        self.pil = False
        self.non_ascii = not _is_ascii(example)
        lw = check_line_width("line_width", line_width)
        self.lw: int = lw or max(round(sum(im.shape) / 2 * 0.003), 2)
        if im.ndim == 2 or (im.ndim == 3 and im.shape[2] == 1):
            im = cv2.cvtColor(im, cv2.COLOR_GRAY2BGR)
        elif im.ndim == 3 and im.shape[2] == 2:
            im = np.ascontiguousarray(np.dstack((im, np.zeros_like(im[..., :1]))))
        elif im.ndim == 3 and im.shape[2] > 3:
            im = np.ascontiguousarray(im[..., :3])
        elif im.ndim != 3:
            raise ValueError(f"Annotator expects an HxWx3 image, got shape {im.shape}")
        if not im.flags.c_contiguous:
            raise ValueError(
                "Image not contiguous. Apply np.ascontiguousarray(im) to Annotator input images "
                "(drawing must happen in place)."
            )
        self.im: np.ndarray = im if im.flags.writeable else im.copy()
        self.tf: int = max(self.lw - 1, 1)  # font thickness
        self.sf: float = self.lw / 3  # font scale
        self.font_size = font_size
        self.font = font

    def get_txt_color(self, color: Sequence[int] = (128, 128, 128), txt_color: Color = (255, 255, 255)) -> Color:
        """Text colour readable on ``color``: dark text on the palette's light colours, white on its dark ones."""
        key = tuple(int(v) for v in color)
        if key in self.dark_colors:
            return 104, 31, 17
        if key in self.light_colors:
            return 255, 255, 255
        return txt_color

    def box_label(
        self,
        box: Any,
        label: str | None = "",
        color: Sequence[int] = (128, 128, 128),
        txt_color: Color = (255, 255, 255),
    ) -> None:
        """Draw a box (x1, y1, x2, y2), or a closed polygon of (n, 2) points, with a filled label above it."""
        txt_color = self.get_txt_color(color, txt_color)
        color = _as_color(color)
        txt_color = _as_color(txt_color)
        if hasattr(box, "tolist"):
            box = box.tolist()
        box = list(box)
        multi_points = len(box) > 0 and isinstance(box[0], (list, tuple))
        if multi_points:
            p1 = (int(box[0][0]), int(box[0][1]))
            cv2.polylines(self.im, [np.asarray(box, dtype=np.int32)], True, color, self.lw)
        else:
            p1 = (int(box[0]), int(box[1]))
            cv2.rectangle(self.im, p1, (int(box[2]), int(box[3])), color, thickness=self.lw, lineType=cv2.LINE_AA)
        if label:
            w, h = cv2.getTextSize(label, 0, fontScale=self.sf, thickness=self.tf)[0]
            h += 3  # pad text
            outside = p1[1] >= h  # label fits above the box
            if p1[0] > self.im.shape[1] - w:  # keep the label inside the right edge
                p1 = self.im.shape[1] - w, p1[1]
            p2 = p1[0] + w, p1[1] - h if outside else p1[1] + h
            cv2.rectangle(self.im, p1, p2, color, -1, cv2.LINE_AA)  # filled
            cv2.putText(
                self.im,
                label,
                (p1[0], p1[1] - 2 if outside else p1[1] + h - 1),
                0,
                self.sf,
                txt_color,
                thickness=self.tf,
                lineType=cv2.LINE_AA,
            )

    def seg_bbox(
        self,
        mask: Any,
        mask_color: Sequence[int] = (255, 0, 255),
        label: str | None = None,
        txt_color: Color = (255, 255, 255),
        det_label: str | None = None,
        track_label: Any | None = None,
    ) -> None:
        """Outline a segment (an (n, 2) polygon, e.g. ``masks.xy[i]``); draw a filled label centred on its first point.

        ``label`` (Ultralytics 8.3); when it is None the older keywords apply:
        ``label = f"Track ID: {track_label}" if track_label else det_label``. An empty polygon draws nothing.
        """
        if label is None:
            label = f"Track ID: {track_label}" if track_label else det_label
        if mask is None:
            return
        pts = np.asarray(mask, dtype=np.float64)
        if pts.size == 0:
            return
        pts = pts.reshape(-1, 2)
        if not np.isfinite(pts).all():
            pts = pts[np.isfinite(pts).all(axis=1)]
            if len(pts) == 0:
                return
        color = _as_color(mask_color)
        cv2.polylines(self.im, [pts.astype(np.int32)[None]], isClosed=True, color=color, thickness=2)
        if label:
            label = str(label)
            text_size, _ = cv2.getTextSize(label, 0, self.sf, self.tf)
            x0, y0 = int(pts[0][0]), int(pts[0][1])
            cv2.rectangle(
                self.im,
                (x0 - text_size[0] // 2 - 10, y0 - text_size[1] - 10),
                (x0 + text_size[0] // 2 + 10, y0 + 10),
                color,
                -1,
            )
            cv2.putText(self.im, label, (x0 - text_size[0] // 2, y0), 0, self.sf, _as_color(txt_color), self.tf)

    def masks(self, masks: np.ndarray, colors: Sequence[Sequence[int]], alpha: float = 0.5) -> None:
        """Blend binary masks (n, H, W) of the image's size onto the image in place, mask i in ``colors[i]`` (BGR)."""
        masks = np.asarray(masks)
        if masks.size == 0 or len(masks) == 0:
            return
        if masks.shape[1:] != self.im.shape[:2]:
            masks = np.stack([cv2.resize(m.astype(np.uint8), (self.im.shape[1], self.im.shape[0])) for m in masks])
        overlay = self.im.copy()
        for i, m in enumerate(masks):
            overlay[m.astype(bool)] = _as_color(colors[i])
        cv2.addWeighted(self.im, 1 - alpha, overlay, alpha, 0, dst=self.im)

    def text(
        self,
        xy: Sequence[int],
        text: str,
        txt_color: Color = (255, 255, 255),
        anchor: str = "top",
        box_color: Sequence[int] = (),
    ) -> None:
        """Put ``text`` at ``xy`` (bottom-left of the text), on a filled box when ``box_color`` is given."""
        xy = (int(xy[0]), int(xy[1]))
        if box_color:
            w, h = cv2.getTextSize(text, 0, fontScale=self.sf, thickness=self.tf)[0]
            h += 3
            outside = xy[1] >= h
            p2 = xy[0] + w, xy[1] - h if outside else xy[1] + h
            cv2.rectangle(self.im, xy, p2, _as_color(box_color), -1, cv2.LINE_AA)
        cv2.putText(self.im, text, xy, 0, self.sf, _as_color(txt_color), thickness=self.tf, lineType=cv2.LINE_AA)

    def result(self, pil: bool = False) -> Any:
        """The annotated image: the BGR numpy array drawn on (or an RGB PIL image when ``pil`` and Pillow exists)."""
        if pil:
            try:
                from PIL import Image
            except ImportError as e:
                raise ImportError("Annotator.result(pil=True) needs Pillow: pip install pillow") from e
            return Image.fromarray(self.im[..., ::-1])
        return self.im

    def show(self, title: str | None = None) -> None:
        """Show the image in an OpenCV window (without a screen: one warning, nothing shown)."""
        from numa_ultralytics.utils.display import imshow

        imshow(title or "numa_ultralytics", self.im)

    def save(self, filename: str = "image.jpg") -> None:
        """Write the annotated image to ``filename``."""
        if not cv2.imwrite(str(filename), self.im):
            raise OSError(f"could not write image {filename}")

    @staticmethod
    def get_bbox_dimension(bbox: Sequence[float]) -> tuple[float, float, float]:
        """Width, height and area of an (x1, y1, x2, y2) box."""
        x_min, y_min, x_max, y_max = bbox
        width = x_max - x_min
        height = y_max - y_min
        return width, height, width * height


# ---------------------------------------------------------------------------------------------------------------------
# the drawing policy: which colour and label each object gets, and the two looks


def object_styles(
    r: Any,
    names: dict[int, str] | None = None,
    look: str = "filled",
    color_mode: str = "class",
    labels: bool = True,
    conf: bool = True,
) -> list[tuple[Color, str]]:
    """(BGR colour, label) of every object of the result ``r`` (labels are ``""`` when ``labels`` is false).

    ``color_mode="class"``: colour by class, label ``name`` (``id:<n> name`` when tracked). ``"instance"``: colour by
    track id; in the ``"outline"`` look (the seed's tracking loop) the label is the bare id, and untracked objects are
    coloured by detection index; in the ``"filled"`` look (``Results.plot``) untracked objects keep the class colour.
    ``conf`` appends the confidence (``name 0.87``).
    """
    names = r.names if names is None else names
    data = np.asarray(r.boxes.data)
    cls = data[:, -1].astype(int)
    ids = np.asarray(r.boxes.id).astype(int) if r.boxes.is_track else None
    outline = look == "outline"
    out: list[tuple[Color, str]] = []
    for i in range(len(data)):
        c = int(cls[i])
        name = names.get(c, str(c))
        if color_mode == "instance" and (ids is not None or outline):
            key = int(ids[i]) if ids is not None else i
        else:
            key = c
        if outline and color_mode == "instance":
            text = str(ids[i]) if ids is not None else name
        else:
            text = name if ids is None else f"id:{ids[i]} {name}"
        if conf:
            text = f"{text} {float(data[i, -2]):.2f}"
        out.append((colors(key, True), text if labels else ""))
    return out


def draw_outlines(
    r: Any,
    names: dict[int, str] | None = None,
    color_mode: str = "class",
    show_labels: bool = True,
    show_conf: bool = False,
    show_boxes: bool | None = None,
    line_width: int | None = None,
    im: np.ndarray | None = None,
) -> np.ndarray:
    """The seed's look, drawn in place on ``im`` (default ``r.orig_img``): ``seg_bbox`` per mask polygon, ``box_label``
    for boxes (``show_boxes=None``: only for objects without a polygon, i.e. detect models). Returns the image."""
    ann = Annotator(r.orig_img if im is None else im, line_width=line_width)
    boxes = r.boxes
    if boxes is None or len(boxes) == 0:
        return ann.result()
    data = np.asarray(boxes.data)
    polys = r.masks.xy if r.masks is not None else None
    if show_boxes is None:
        show_boxes = polys is None
    for i, (color, label) in enumerate(object_styles(r, names, "outline", color_mode, show_labels, show_conf)):
        txt_color = ann.get_txt_color(color)
        if polys is not None and len(polys[i]):
            if show_boxes:
                ann.box_label(data[i, :4], "", color=color)
            ann.seg_bbox(mask=polys[i], mask_color=color, label=label or None, txt_color=txt_color)
        elif show_boxes or polys is None:
            ann.box_label(data[i, :4], label, color=color, txt_color=txt_color)
    return ann.result()


def blend_masks(im: np.ndarray, masks: Any, colors: Sequence[Sequence[int]], alpha: float = 0.5) -> None:
    """8.4.190's ``Annotator.masks`` as ``Results.plot`` calls it (the tensor path), on ``im`` in place: masks (n, H, W)
    at the network input size get the letterbox padding cut off (``ops.scale_masks``), bilinear to the frame, ``> 0.5``;
    then, in float32, ``im / 255 * prod(1 - m * alpha) + max(m * colour / 255 * alpha)``, times 255, truncated."""
    from numa_ultralytics.utils.ops import _taps

    masks = np.asarray(masks)
    if len(masks) == 0:
        return
    h0, w0 = im.shape[:2]
    mh, mw = masks.shape[1:]
    top, left, bottom, right = 0, 0, mh, mw
    if (mh, mw) != (h0, w0):
        gain = min(mh / h0, mw / w0)
        pad_w, pad_h = (mw - max(round(w0 * gain), 1)) / 2, (mh - max(round(h0 * gain), 1)) / 2
        top, left = round(pad_h - 0.1), round(pad_w - 0.1)
        bottom, right = top + max(round(h0 * gain), 1), left + max(round(w0 * gain), 1)
    src_all = masks[:, top:bottom, left:right]
    sh, sw = src_all.shape[1:]
    hy0, hy1, wy0, wy1 = _taps(sh, h0)
    wx0, wx1, wx0w, wx1w = _taps(sw, w0)
    a = np.float32(alpha)
    cols = np.asarray(colors, dtype=np.float32).reshape(-1, 3) / np.float32(255.0) * a
    mcs = np.zeros((h0, w0, 3), np.float32)
    inv = np.ones((h0, w0, 1), np.float32)
    for i, src in enumerate(src_all):
        # only the output pixels whose bilinear taps reach the mask's non-zero rows / columns can be > 0.5: the
        # same taps and arithmetic as utils/ops.py upsample_bilinear, on that window
        ys, xs = np.flatnonzero(src.any(1)), np.flatnonzero(src.any(0))
        if not len(ys):
            continue
        ry = np.flatnonzero(((hy0 >= ys[0]) & (hy0 <= ys[-1])) | ((hy1 >= ys[0]) & (hy1 <= ys[-1])))
        rx = np.flatnonzero(((wx0 >= xs[0]) & (wx0 <= xs[-1])) | ((wx1 >= xs[0]) & (wx1 <= xs[-1])))
        if (mh, mw) == (h0, w0):
            on = src[ry[0] : ry[-1] + 1, rx[0] : rx[-1] + 1].astype(np.float32) > 0.5
        else:
            f = src.astype(np.float32)
            r0, r1 = f[hy0[ry]], f[hy1[ry]]
            t0 = r0[:, wx0[rx]] * wx0w[rx] + r0[:, wx1[rx]] * wx1w[rx]
            t1 = r1[:, wx0[rx]] * wx0w[rx] + r1[:, wx1[rx]] * wx1w[rx]
            on = (t0 * wy0[ry][:, None] + t1 * wy1[ry][:, None]) > 0.5
        win = (slice(ry[0], ry[-1] + 1), slice(rx[0], rx[-1] + 1))
        mi = on[..., None]
        np.maximum(mcs[win], np.where(mi, cols[i], np.float32(0)), out=mcs[win])
        inv[win] *= np.where(mi, np.float32(1) - a, np.float32(1))
    im[:] = ((im.astype(np.float32) / np.float32(255.0) * inv + mcs) * np.float32(255)).astype(np.uint8)


def draw_plot(
    r: Any,
    img: np.ndarray | None = None,
    conf: bool = True,
    line_width: int | None = None,
    labels: bool = True,
    boxes: bool = True,
    masks: bool = True,
    color_mode: str = "class",
    alpha: float = 0.5,
) -> np.ndarray:
    """8.4.190's ``Results.plot`` pixel for pixel (``Results.plot``, ``save=True`` / ``show=True`` / the CLI by
    default; ``alpha``, the masks' opacity, is an extra: 0.5 as the original), on a copy of ``img`` (default
    ``r.orig_img``): masks by
    ``blend_masks`` (coloured by track id with ``color_mode="instance"`` when tracked, by class with ``"class"``,
    else by reversed index), then boxes from the last to the first, labelled ``id:<n> name conf`` (``conf`` alone
    without ``labels``), coloured by class, or by track id (by position from the last box when untracked). What
    solutions.InstanceSegmentation draws."""
    im = np.ascontiguousarray(r.orig_img if img is None else img).copy()
    ann = Annotator(im, line_width=line_width)
    b = r.boxes
    if b is None:
        return ann.result()
    data = np.asarray(b.data)
    tracked = bool(b.is_track)
    if masks and r.masks is not None and len(r.masks):
        if tracked and color_mode == "instance":
            keys = [int(v) for v in data[:, 4]]
        elif color_mode == "class":
            keys = [int(v) for v in data[:, -1]]
        else:
            keys = list(reversed(range(len(r.masks))))
        blend_masks(ann.im, r.masks.data, [colors(k, True) for k in keys], alpha)
    if boxes:
        for i, row in enumerate(data[::-1]):
            c = int(row[-1])
            tid = int(row[4]) if tracked else None
            name = ("" if tid is None else f"id:{tid} ") + r.names[c]
            d_conf = float(row[-2])
            label = (f"{name} {d_conf:.2f}" if conf else name) if labels else (f"{d_conf:.2f}" if conf else "")
            key = c if color_mode == "class" else tid if tid is not None else i
            ann.box_label(row[:4], label, color=colors(key, True))
    return ann.result()


def save_one_box(
    xyxy: Sequence[float] | np.ndarray,
    im: np.ndarray,
    file: Any = "im.jpg",
    gain: float = 1.02,
    pad: int = 10,
    square: bool = False,
    save: bool = True,
) -> np.ndarray:
    """Ultralytics' ``save_one_box`` (BGR): the box grown to ``wh * gain + pad`` (``square``: the longer side), cut to
    integer pixels toward zero, clipped to the image; written as JPEG (quality 95) to ``file`` if ``save`` (the caller,
    ``Results.save_crop``, picks a free name with utils/files.py ``increment_path``). Returns the crop."""
    from pathlib import Path

    b = np.asarray(xyxy, np.float32).reshape(4)
    xy = (b[:2] + b[2:]) / 2
    wh = b[2:] - b[:2]
    if square:
        wh[:] = wh.max()
    wh = wh * np.float32(gain) + np.float32(pad)
    box = np.concatenate([xy - wh / 2, xy + wh / 2]).astype(np.int64)  # .long(): toward zero
    h, w = im.shape[:2]
    box[[0, 2]] = box[[0, 2]].clip(0, w)
    box[[1, 3]] = box[[1, 3]].clip(0, h)
    crop = im[int(box[1]) : int(box[3]), int(box[0]) : int(box[2])]
    if save:
        path = Path(file)
        path.parent.mkdir(parents=True, exist_ok=True)
        out = path.with_suffix(".jpg")
        if not cv2.imwrite(str(out), np.ascontiguousarray(crop), [cv2.IMWRITE_JPEG_QUALITY, 95]):
            raise OSError(f"could not write {out}")
    return crop
