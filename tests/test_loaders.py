"""load_inference_source on real media: arrays, images, folders, globs, videos, stride, stream lists, URLs, errors."""

from __future__ import annotations

import http.server
import itertools
import threading
from functools import partial
from pathlib import Path

import cv2
import numpy as np
import pytest

from numa_ultralytics.data import SourceItem, load_inference_source
from numa_ultralytics.data.streams import LiveStream

from .conftest import MEDIA, need


def write_clip(src: Path, dst: Path, n: int, size: tuple[int, int] | None = None) -> list[np.ndarray]:
    """The first n frames of src as an mp4 at dst; returns the frames as read back from dst."""
    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS)
    w = h = None
    writer = None
    for _ in range(n):
        ok, im = cap.read()
        assert ok
        if size:
            im = cv2.resize(im, size)
        if writer is None:
            h, w = im.shape[:2]
            writer = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
        writer.write(im)
    writer.release()
    cap.release()
    back = cv2.VideoCapture(str(dst))
    frames = []
    while True:
        ok, im = back.read()
        if not ok:
            break
        frames.append(im)
    back.release()
    assert len(frames) == n
    return frames


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> tuple[Path, list[np.ndarray]]:
    src = need(MEDIA / "videos" / "seeed_people-walking.mp4")
    dst = tmp_path_factory.mktemp("clip") / "people12.mp4"
    return dst, write_clip(src, dst, 12)


def test_numpy_array_and_conversions(bus_jpg):
    im = cv2.imread(str(bus_jpg))
    items = list(load_inference_source(im))
    assert len(items) == 1
    it = items[0]
    assert isinstance(it, SourceItem)
    assert it.path == "image0.jpg" and it.frame == 0 and it.frames == 1 and it.stream == 0 and it.fps is None
    assert np.array_equal(it.im0, im)
    grey = cv2.cvtColor(im, cv2.COLOR_BGR2GRAY)
    for g in (grey, grey[..., None]):
        out = next(load_inference_source(g)).im0
        assert out.shape == im.shape and out.dtype == np.uint8
        assert np.array_equal(out[..., 0], grey) and np.array_equal(out[..., 2], grey)
    bgra = cv2.cvtColor(im, cv2.COLOR_BGR2BGRA)
    assert np.array_equal(next(load_inference_source(bgra)).im0, im)
    for dt in (np.float32, np.float64):  # float arrays are 0..255 values, as Ultralytics reads them
        assert np.array_equal(next(load_inference_source(im.astype(dt))).im0, im)
    with pytest.raises(ValueError, match="dtype"):
        load_inference_source(im.astype(np.int32))
    with pytest.raises(ValueError, match="shape"):
        load_inference_source(np.zeros((4, 4, 5), np.uint8))


def test_image_path_and_list(bus_jpg, zidane_jpg):
    it = next(iter(load_inference_source(str(bus_jpg))))
    assert it.path == str(bus_jpg) and it.im0.shape == (1080, 810, 3)
    assert np.array_equal(it.im0, cv2.imread(str(bus_jpg)))
    src = load_inference_source(bus_jpg)  # Path works too
    assert src.kind == "image"
    arr = np.zeros((10, 20, 3), np.uint8)
    items = list(load_inference_source([bus_jpg, arr, str(zidane_jpg)]))
    assert [i.path for i in items] == [str(bus_jpg), "image1.jpg", str(zidane_jpg)]  # 8.4.190's name
    assert items[1].im0.shape == (10, 20, 3) and items[2].im0.shape == (720, 1280, 3)


def test_folder_and_glob():
    d = need(MEDIA / "coco8-seg" / "images" / "val")
    items = list(load_inference_source(d))
    names = [Path(i.path).name for i in items]
    assert names == sorted(p.name for p in d.glob("*.jpg")) and len(names) == 4
    assert all(i.im0.ndim == 3 and i.im0.shape[2] == 3 for i in items)
    g = list(load_inference_source(str(d.parent / "*" / "*.jpg")))
    assert len(g) == 8
    assert [Path(i.path).parent.name for i in g] == ["train"] * 4 + ["val"] * 4


def test_video_frames_meta_and_stride(clip):
    path, frames = clip
    src = load_inference_source(str(path))
    assert src.kind == "video" and src.sources == [str(path)]
    items = list(src)
    assert [i.frame for i in items] == list(range(12))
    assert all(i.frames == 12 and i.fps == pytest.approx(25.0, rel=0.01) and i.stream == 0 for i in items)
    assert all(np.array_equal(i.im0, f) for i, f in zip(items, frames))
    strided = list(load_inference_source(path, vid_stride=3))
    assert [i.frame for i in strided] == [2, 5, 8, 11]  # like Ultralytics: grab n, keep the last
    assert np.array_equal(strided[1].im0, frames[5])
    with pytest.raises(ValueError, match="vid_stride"):
        load_inference_source(path, vid_stride=0)


def test_real_video_first_frames(people_video):
    src = load_inference_source(people_video)
    first = list(itertools.islice(src, 3))
    src.close()
    assert [i.frame for i in first] == [0, 1, 2]
    assert first[0].im0.shape == (360, 640, 3)
    assert first[0].frames in (340, 341) and first[0].fps == pytest.approx(25.0, rel=0.01)


def test_mixed_folder_with_video(tmp_path, clip, bus_jpg):
    path, _ = clip
    (tmp_path / "b.mp4").write_bytes(path.read_bytes())
    (tmp_path / "a.jpg").write_bytes(bus_jpg.read_bytes())
    (tmp_path / "notes.md").write_text("ignored")
    items = list(load_inference_source(tmp_path, vid_stride=4))
    assert [(Path(i.path).name, i.frame) for i in items] == [("a.jpg", 0), ("b.mp4", 3), ("b.mp4", 7), ("b.mp4", 11)]


def test_stream_list_interleaves_one_stream_per_line(tmp_path, clip, people_video):
    path, frames = clip
    short = tmp_path / "short.mp4"
    write_clip(people_video, short, 3, size=(320, 180))
    lst = tmp_path / "streams.txt"
    lst.write_text(f"{path}\n\n# a comment\nshort.mp4\n")  # relative to the list file
    src = load_inference_source(lst)
    assert src.kind == "streams" and src.num_streams == 2
    items = list(src)
    order = [(i.stream, i.frame) for i in items]
    assert order[:6] == [(0, 0), (1, 0), (0, 1), (1, 1), (0, 2), (1, 2)]
    assert order[6:] == [(0, k) for k in range(3, 12)]
    assert items[1].im0.shape == (180, 320, 3)
    assert np.array_equal(items[4].im0, frames[2])


def test_live_reader_buffered_keeps_every_frame(clip):
    path, frames = clip
    ls = LiveStream(str(path), 3, vid_stride=1, buffer=True, reconnect_timeout=30.0)
    items = list(ls)
    assert [i.frame for i in items] == list(range(12))
    assert all(i.stream == 3 for i in items)
    assert np.array_equal(items[7].im0, frames[7])


def test_live_reader_unbuffered_hands_out_newest(clip):
    path, _ = clip
    ls = LiveStream(str(path), 0, vid_stride=1, buffer=False, reconnect_timeout=30.0)
    items = list(ls)
    idx = [i.frame for i in items]
    # strictly increasing (never an older frame after a newer one), frames may be dropped: even frame 0, which the
    # reader may replace by frame 1 before the first read (the newest is what an unbuffered stream hands out)
    assert idx and idx == sorted(set(idx)) and idx[0] >= 0 and idx[-1] <= 11


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def http_dir(tmp_path):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(tmp_path)))
    t = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    yield tmp_path, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_image_url_and_http_stream(http_dir, bus_jpg, clip):
    root, base = http_dir
    (root / "bus.jpg").write_bytes(bus_jpg.read_bytes())
    it = list(load_inference_source(f"{base}/bus.jpg"))
    assert len(it) == 1 and it[0].path == f"{base}/bus.jpg"
    assert np.array_equal(it[0].im0, cv2.imread(str(bus_jpg)))
    # a URL without a media suffix is a live stream (read by a thread); buffered: no frame dropped
    # (MJPG in AVI reads sequentially; an mp4 would need HTTP range requests for its index)
    mj = root / "clip.avi"
    vw = cv2.VideoWriter(str(mj), cv2.VideoWriter_fourcc(*"MJPG"), 25, (640, 360))
    for f in clip[1]:
        vw.write(f)
    vw.release()
    mj.rename(root / "live")
    src = load_inference_source(f"{base}/live", stream_buffer=True)
    assert src.kind == "stream" and src.is_live
    items = list(src)
    assert [i.frame for i in items] == list(range(12))


def test_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.mp4"):
        load_inference_source(tmp_path / "nope.mp4")
    with pytest.raises(FileNotFoundError, match=r"no files match"):
        load_inference_source(str(tmp_path / "*.jpg"))
    with pytest.raises(ValueError, match="empty list"):
        load_inference_source([])
    with pytest.raises(ValueError, match="no images or videos in folder"):
        load_inference_source(tmp_path)
    bad_vid = tmp_path / "broken.mp4"
    bad_vid.write_bytes(b"\x00" * 1000)
    with pytest.raises(ValueError, match=r"could not open video .*broken\.mp4"):
        load_inference_source(bad_vid)
    bad_img = tmp_path / "broken.jpg"
    bad_img.write_bytes(b"not a jpeg")
    src = load_inference_source(bad_img)
    with pytest.raises(ValueError, match=r"could not read image .*broken\.jpg"):
        next(src)
    with pytest.raises(FileNotFoundError, match="missing.jpg"):
        load_inference_source([np.zeros((4, 4, 3), np.uint8), tmp_path / "missing.jpg"])
    empty_list = tmp_path / "empty.txt"
    empty_list.write_text("\n# nothing\n")
    with pytest.raises(ValueError, match="no streams"):
        load_inference_source(empty_list)
    with pytest.raises(TypeError):
        load_inference_source(3.5)
    with pytest.raises(ValueError):
        load_inference_source(None)


def test_missing_webcam_is_a_clear_error():
    with pytest.raises(ValueError, match="could not open stream 9"):
        load_inference_source(9)
