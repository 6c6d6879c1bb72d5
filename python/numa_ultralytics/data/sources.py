"""What a source is and how its frames are read: source kinds, the frame record, the one frame converter.

- :class:`SourceItem`: one frame and where it came from; :func:`to_bgr`: every frame of every source becomes a
  contiguous ``HxWx3`` uint8 BGR array through it.
- Source kinds by name: image / video suffixes (:data:`IMG_FORMATS`, :data:`VID_FORMATS`), live sources
  (:func:`is_live_source`: a webcam index, ``rtsp://``/``rtmp://``/``tcp://``, an ``http(s)://`` URL without an
  image/video suffix).
- Reading: images (unicode-safe), videos and video URLs (``vid_stride``), image URLs (through
  :func:`numa_ultralytics.utils.downloads.fetch_bytes`), and the capture of a live source or a video URL (FFmpeg with
  open/read timeouts of :data:`STREAM_TIMEOUT_S`).

The live stream reader (with reconnects) is :mod:`numa_ultralytics.data.streams`, the read-ahead thread
:mod:`numa_ultralytics.data.read_ahead`, and :mod:`numa_ultralytics.data.loaders` puts them together per source.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import cv2
import numpy as np

__all__ = [
    "IMG_FORMATS",
    "STREAM_TIMEOUT_S",
    "VID_FORMATS",
    "SourceItem",
    "is_live_source",
    "to_bgr",
]

IMG_FORMATS = {"avif", "bmp", "dng", "heic", "heif", "jp2", "jpeg", "jpg", "mpo", "png", "tif", "tiff", "webp", "pfm"}
VID_FORMATS = {"asf", "avi", "gif", "m4v", "mkv", "mov", "mp4", "mpeg", "mpg", "ts", "wmv", "webm"}
STREAM_PREFIXES = ("rtsp://", "rtmp://", "tcp://")
STREAM_TIMEOUT_S = 10.0  # network streams: opening or reading a frame longer than this is a drop


class SourceItem(NamedTuple):
    """One frame of a source.

    Attributes:
        path: the file, URL or camera the frame came from (in-memory images: ``"image{i}.jpg"``, or a PIL image's
            ``filename``).
        im0: the frame, ``HxWx3`` uint8 BGR.
        frame: 0-based index of the frame in its video or stream (with ``vid_stride`` the index in the full video);
            0 for images.
        frames: the video's frame count when known (``CAP_PROP_FRAME_COUNT``, before ``vid_stride``); 1 for images;
            None for live streams.
        stream: stream index (the line of a ``.txt`` stream list); 0 otherwise.
        fps: frames per second of a video or stream when known; None for images.
        from_memory: the source was in-memory frames only (a numpy array or a list/tuple of them): Ultralytics logs
            these as ``0: 384x640 ...`` and ``Results.source_item`` stays None for them.
        gap: seconds a live stream was down before this frame (0.0 unless it is the first frame after a drop).
    """

    path: str
    im0: np.ndarray
    frame: int
    frames: int | None
    stream: int
    fps: float | None
    from_memory: bool = False
    gap: float = 0.0


def to_bgr(im: Any, name: str = "image") -> np.ndarray:
    """``im`` as a contiguous ``HxWx3`` uint8 BGR array: the one frame converter of every source.

    Grey (``HxW``, ``HxWx1``), grey + alpha (``HxWx2``) and BGRA are converted, uint16 scaled, bool made 0/255,
    float arrays (any float dtype; Ultralytics divides them by 255 like uint8) taken as 0..255 values (rounded and
    clipped to uint8), PIL images turned upright by their EXIF orientation (as OpenCV's ``imread``) and flipped from
    RGB; a contiguous ``HxWx3`` uint8 array is returned as it is (the same object, no copy). Empty images and other
    dtypes or shapes raise ``ValueError`` naming ``name``.
    """
    if hasattr(im, "convert") and hasattr(im, "mode") and not isinstance(im, np.ndarray):  # PIL image (RGB order)
        from PIL import Image, ImageOps  # a PIL image was given: PIL is there

        im = ImageOps.exif_transpose(im)  # upright as its EXIF orientation says (as cv2.imread of the file)
        if im.mode.startswith("I;16"):  # convert() would clip 16-bit values at 255: scale them as for arrays
            im = Image.fromarray((np.asarray(im) >> 8).astype(np.uint8))
        return np.ascontiguousarray(np.asarray(im if im.mode == "RGB" else im.convert("RGB"))[..., ::-1])
    im = np.asarray(im)
    if im.size == 0 or 0 in im.shape[:2]:
        raise ValueError(f"{name}: empty image of shape {im.shape}")
    if im.dtype == np.uint16:
        im = (im >> 8).astype(np.uint8)
    elif im.dtype == np.bool_:
        im = im.astype(np.uint8) * 255
    elif im.dtype.kind == "f":
        im = np.clip(np.nan_to_num(np.rint(im), nan=0.0), 0, 255).astype(np.uint8)
    elif im.dtype != np.uint8:
        raise ValueError(f"{name}: expected a uint8 image, got dtype {im.dtype}")
    if im.ndim == 3 and im.shape[2] == 2:  # grey + alpha
        im = im[..., :1]
    if im.ndim == 2 or (im.ndim == 3 and im.shape[2] == 1):
        im = cv2.cvtColor(np.ascontiguousarray(im), cv2.COLOR_GRAY2BGR)
    elif im.ndim == 3 and im.shape[2] == 4:
        im = cv2.cvtColor(np.ascontiguousarray(im), cv2.COLOR_BGRA2BGR)
    elif not (im.ndim == 3 and im.shape[2] == 3):
        raise ValueError(f"{name}: expected an HxW, HxWx1, HxWx3 or HxWx4 image, got shape {im.shape}")
    if im.shape[0] == 0 or im.shape[1] == 0:
        raise ValueError(f"{name}: empty image of shape {im.shape}")
    return np.ascontiguousarray(im)


def _suffix(p: str) -> str:
    return urlsplit(p).path.rpartition(".")[-1].lower() if "://" in p else p.rpartition(".")[-1].lower()


def _is_live(s: str) -> bool:
    low = s.lower()
    if s.isnumeric() or low.startswith(STREAM_PREFIXES):
        return True
    return low.startswith(("http://", "https://")) and _suffix(s) not in IMG_FORMATS | VID_FORMATS


def is_live_source(path: str) -> bool:
    """Whether frames of ``path`` come from a live source (webcam index, RTSP/RTMP/HTTP stream: Ultralytics'
    ``LoadStreams``), not from a file."""
    return _is_live(str(path).strip())


def _is_stream_entry(x: Any) -> bool:
    """A list element that is a video (path or URL) or a live source: a list of two or more of them is a stream
    list."""
    if isinstance(x, (str, os.PathLike)) and not isinstance(x, bool):
        s = os.fspath(x).strip()
        return bool(s) and (_is_live(s) or _suffix(s) in VID_FORMATS)
    return False


def _imread(path: str) -> np.ndarray:
    try:
        buf = np.fromfile(path, np.uint8)  # unicode-safe on every OS
    except OSError as e:
        raise FileNotFoundError(f"could not read image {path}: {e}") from e
    im = cv2.imdecode(buf, cv2.IMREAD_COLOR) if buf.size else None
    if im is None:
        raise ValueError(f"could not read image {path} (not an image OpenCV can decode)")
    return to_bgr(im, path)


def _open_video(path: str) -> cv2.VideoCapture:
    """A video file, or a video URL (through FFmpeg with the STREAM_TIMEOUT_S open/read timeouts: a silent server
    can't hold a read longer)."""
    cap = _open_capture(path, fallback=True) if "://" in path else cv2.VideoCapture(path)
    if not cap.isOpened():
        cap.release()
        raise ValueError(f"could not open video {path}")
    return cap


def _video_meta(cap: cv2.VideoCapture) -> tuple[int | None, float | None]:
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    fps = cap.get(cv2.CAP_PROP_FPS)
    return (n if n > 0 else None), (float(fps) if fps and 0 < fps < 1000 else None)


def _iter_video(path: str, vid_stride: int, stream: int, cap: cv2.VideoCapture | None = None) -> Iterator[SourceItem]:
    cap = cap if cap is not None else _open_video(path)
    try:
        frames, fps = _video_meta(cap)
        idx = -1
        yielded = 0
        while True:
            ok = False
            for _ in range(vid_stride):
                ok = cap.grab()
                if not ok:
                    break
                idx += 1
            if not ok:
                break
            ok, im = cap.retrieve()
            if not ok or im is None:
                break
            yielded += 1
            yield SourceItem(path, to_bgr(im, path), idx, frames, stream, fps)
        if yielded == 0 and idx < 0:
            raise ValueError(f"could not open video {path} (no frame could be read)")
    finally:
        cap.release()


def _iter_image_url(url: str, stream: int) -> Iterator[SourceItem]:
    from numa_ultralytics.utils.downloads import fetch_bytes

    data = np.frombuffer(fetch_bytes(url), np.uint8)
    im = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if im is None:
        raise ValueError(f"could not read image {url} (not an image OpenCV can decode)")
    yield SourceItem(url, to_bgr(im, url), 0, 1, stream, None)


def _open_capture(source: str, fallback: bool = True) -> cv2.VideoCapture:
    """A live source's capture: a webcam index, or a URL through FFmpeg with open/read timeouts (STREAM_TIMEOUT_S);
    ``fallback``: OpenCV's other backends when this OpenCV has no FFmpeg."""
    if source.isnumeric():
        return cv2.VideoCapture(int(source))
    ms = int(STREAM_TIMEOUT_S * 1000)
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms]
    cap = cv2.VideoCapture(source, cv2.CAP_FFMPEG, params)
    if fallback and not cap.isOpened() and not cv2.videoio_registry.hasBackend(cv2.CAP_FFMPEG):  # no FFmpeg here
        cap.release()
        cap = cv2.VideoCapture(source)
    return cap
