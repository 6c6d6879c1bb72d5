"""``model.track`` glue on real video: persist semantics, re-indexed masks, the id column."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from numa_ultralytics import YOLO

from .conftest import REFERENCE, need


@pytest.fixture(scope="module")
def frames(people_video):
    cap = cv2.VideoCapture(str(people_video))
    out = [cap.read()[1] for _ in range(12)]
    cap.release()
    return out


@pytest.fixture()
def model(seg_onnx):
    return YOLO(seg_onnx)


def test_track_matches_reference_first_frames(model, frames):
    ref = json.loads(need(REFERENCE / "public_yolo11n-seg-dynamic.json").read_text())
    ref_frames = ref["videos"]["seeed_people-walking.mp4"]["track"]["bytetrack.yaml"]
    for im, r in zip(frames, ref_frames):
        got = model.track(im, persist=True, tracker="bytetrack.yaml", verbose=False)[0]
        assert got.boxes.id.int().cpu().tolist() == r["id"]
        np.testing.assert_allclose(got.boxes.xyxy.numpy(), np.array(r["xyxy"]), atol=1e-2)


def test_tracked_results_layout(model, frames):
    r = None
    for im in frames[:3]:
        r = model.track(im, persist=True, verbose=False)[0]
    assert r.boxes.is_track and r.boxes.data.shape[1] == 7
    assert len(r.masks) == len(r.boxes) == len(r.masks.xy)
    ids = r.boxes.id.int().cpu().tolist()
    assert len(set(ids)) == len(ids) and min(ids) >= 1
    # each mask follows its track: the polygon lies inside (a slightly grown) box
    for poly, box in zip(r.masks.xy, r.boxes.xyxy.numpy()):
        assert len(poly)
        c = poly.mean(0)
        assert box[0] - 5 <= c[0] <= box[2] + 5 and box[1] - 5 <= c[1] <= box[3] + 5
    assert "tracking" in r.speed


def test_persist_semantics(model, frames):
    a = model.track(frames[0], verbose=False)[0].boxes.id.int().tolist()
    b = model.track(frames[0], verbose=False)[0].boxes.id.int().tolist()
    assert a == b and min(a) == 1  # persist=False: a new tracker, ids restart at 1
    model.track(frames[0], persist=True, verbose=False)
    first = model.track(frames[1], persist=True, verbose=False)[0].boxes.id.int().tolist()
    n0 = len(a)
    assert max(first) <= n0 + 20  # ids carried over, not restarted from scratch
    again = model.track(frames[2], persist=True, verbose=False)[0].boxes.id.int().tolist()
    assert len(set(first) & set(again)) >= len(first) // 2


def test_empty_frame_has_empty_id_column(model, frames):
    blank = np.full_like(frames[0], 114)
    r = model.track(blank, persist=True, verbose=False)[0]
    assert r.boxes.id is not None
    assert r.boxes.id.int().cpu().tolist() == []
    # the seed's condition and loop run without error
    if r.boxes.id is not None and r.masks is not None:
        list(zip(r.masks.xy, r.boxes.id.int().cpu().tolist()))


def test_track_conf_default_and_args(model, frames):
    n_track = len(model.track(frames[0], tracker="bytetrack.yaml", verbose=False)[0])
    assert n_track > 0
    with pytest.raises(FileNotFoundError, match="nonexistent.yaml"):
        model.track(frames[0], tracker="nonexistent.yaml")
    with pytest.raises(TypeError, match="'persistent'"):
        model.track(frames[0], persistent=True)


def test_user_tracker_yaml(model, frames, tmp_path):
    cfg = tmp_path / "mine.yaml"
    cfg.write_text(
        "tracker_type: bytetrack\ntrack_high_thresh: 0.5\ntrack_low_thresh: 0.1\nnew_track_thresh: 0.6\n"
        "track_buffer: 30\nmatch_thresh: 0.8\nfuse_score: True\n"
    )
    strict = model.track(frames[0], tracker=str(cfg), verbose=False)[0]
    loose = model.track(frames[0], tracker="bytetrack.yaml", verbose=False)[0]
    assert 0 < len(strict) < len(loose)
    assert (strict.boxes.conf.numpy() >= 0.6 - 1e-6).all()


def test_video_stream_tracks_in_order(model, people_video):
    ids_per_frame = [
        r.boxes.id.int().tolist()
        for r in model.track(str(people_video), stream=True, vid_stride=30, tracker="bytetrack.yaml", verbose=False)
    ]
    assert len(ids_per_frame) == 11
    assert len(set(ids_per_frame[0]) & set(ids_per_frame[1])) > 0


def test_device_argument(model, frames):
    from numa_ultralytics.nn.autobackend import cuda_usable

    assert len(model.predict(frames[0], device="cpu", verbose=False)[0]) > 0
    if not cuda_usable():
        with pytest.raises(ValueError, match="CUDA is not available"):
            model.predict(frames[0], device=0)
    with pytest.raises(ValueError, match="invalid device"):
        model.predict(frames[0], device="tpu")
    assert model.to("cpu") is model and model.device == "cpu"
    assert model.fuse().eval() is model
