"""ReID: the detector's own features (``model: auto``, pooled in Rust), BoT-SORT with ReID against the original's
outputs, the clear error for an ONNX file without features, and ONNX embedding models (``model: path.onnx``)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
import yaml
from onnx import TensorProto, helper

from numa_ultralytics import YOLO, _core
from numa_ultralytics.trackers import load_tracker_config, make_tracker
from numa_ultralytics.trackers.utils.reid import MAX_EMBEDDING_DIM, check_embedding_shape, crop_boxes

from .conftest import MODELS, REFERENCE, need


def get_obj_feats(maps: list[np.ndarray], idx: np.ndarray) -> np.ndarray:
    """The original's ``DetectionPredictor.get_obj_feats`` in numpy (one image)."""
    s = min(m.shape[0] for m in maps)
    pooled = np.concatenate([m.transpose(1, 2, 0).reshape(-1, s, m.shape[0] // s).mean(-1) for m in maps], 0)
    return pooled[idx]


@pytest.mark.parametrize("seed", range(5))
def test_pool_features_equals_get_obj_feats(seed: int) -> None:
    rng = np.random.default_rng(seed)
    base = int(rng.integers(1, 9))
    hw = [(int(rng.integers(1, 9)), int(rng.integers(1, 9))) for _ in range(3)]
    maps = [rng.standard_normal((base * 2**i, h, w)).astype(np.float32) for i, (h, w) in enumerate(hw)]
    total = sum(h * w for h, w in hw)
    idx = rng.integers(0, total, int(rng.integers(0, 20))).astype(np.int64)
    got = _core.pool_features(maps, idx)
    assert got.shape == (len(idx), base) and got.dtype == np.float32
    np.testing.assert_allclose(got, get_obj_feats(maps, idx), rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="anchor"):
        _core.pool_features(maps, np.array([total], np.int64))


@pytest.mark.parametrize("channels", [(64, 96, 128), (2, 3, 4), (4, 6, 8)])
def test_pool_features_channels_not_multiples(channels: tuple[int, ...]) -> None:
    """Head inputs whose channels are not multiples of the smallest (YOLOv9t: 64, 96, 128): the original's reshape
    cuts rows across positions, and its anchor indices pick those rows; ours gives the same values."""
    rng = np.random.default_rng(sum(channels))
    hw = [(8, 6), (4, 3), (2, 2)]
    maps = [rng.standard_normal((c, h, w)).astype(np.float32) for c, (h, w) in zip(channels, hw)]
    s = channels[0]
    total = sum(m.size // (s * (m.shape[0] // s)) for m in maps)  # rows of s * (c // s) values per map
    assert total > sum(h * w for h, w in hw)  # more rows than positions: the case this covers
    idx = np.concatenate([np.arange(total), rng.integers(0, total, 10)]).astype(np.int64)
    np.testing.assert_allclose(_core.pool_features(maps, idx), get_obj_feats(maps, idx), rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="anchor"):
        _core.pool_features(maps, np.array([total], np.int64))
    odd = [np.ascontiguousarray(m[:, :1, :1]) for m in maps[:2]]  # c values of a 1x1 map: no whole rows of s
    with pytest.raises(ValueError, match="feature map 1"):
        _core.pool_features(odd, np.array([0], np.int64))


def _frames(path: Path, n: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    out = [cap.read()[1] for _ in range(n)]
    cap.release()
    return out


def test_botsort_reid_matches_the_original(people_video) -> None:
    """``trackers/botsort-reid.yaml`` (``with_reid: True``, ``model: auto``) with yolo11n-seg.pt: the same boxes and
    track IDs as Ultralytics 8.4.190 on the people video (the reference holds 150 frames; 60 here)."""
    ref = json.loads(need(REFERENCE / "public_trackers_yolo11n-seg.json").read_text())
    ref_frames = ref["videos"]["seeed_people-walking.mp4"]["track"]["botsort-reid.yaml"]
    cfg = need(REFERENCE / "trackers" / "botsort-reid.yaml")
    model = YOLO(need(MODELS / "yolo11n-seg.pt"))
    ids_seen = 0
    for im, r in zip(_frames(people_video, 60), ref_frames):
        got = model.track(im, persist=True, tracker=str(cfg), verbose=False)[0]
        assert got.boxes.id.int().tolist() == r["id"]
        np.testing.assert_allclose(got.boxes.xyxy.numpy(), np.array(r["xyxy"]).reshape(-1, 4), atol=1e-3)
        ids_seen = max([ids_seen, *r["id"]])
    assert ids_seen > 10
    # The tracker did read features: its core holds an appearance for the live tracks.
    assert model.trackers[0].needs == frozenset({"feats"})


def test_auto_reid_on_an_onnx_without_features_names_the_fix(seg_onnx, people_video) -> None:
    model = YOLO(seg_onnx)
    with pytest.raises(ValueError, match=r"\.pt checkpoint"):
        model.track(_frames(people_video, 1)[0], tracker=str(need(REFERENCE / "trackers" / "botsort-reid.yaml")))


def _embedder(path: Path, size: int = 32) -> Path:
    """A tiny embedding model: average colour of each quadrant-free crop, (B, 3, s, s) -> (B, 3)."""
    x = helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 3, size, size])
    y = helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", 3])
    nodes = [
        helper.make_node("GlobalAveragePool", ["images"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["embedding"]),
    ]
    m = helper.make_model(helper.make_graph(nodes, "embed", [x], [y]), opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, str(path))
    return path


def test_crop_boxes_is_save_one_box() -> None:
    img = np.arange(100 * 120 * 3, dtype=np.uint8).reshape(100, 120, 3)
    boxes = np.array([[10.4, 20.7, 50.2, 60.9], [0, 0, 5, 5], [110, 90, 130, 120]], np.float32)
    crops = crop_boxes(img, boxes)
    # Shapes and first pixels as Ultralytics 8.4.190's save_one_box gives them for these boxes (checked there):
    # box 0: centre (30.3, 40.8), size (39.8*1.02+10, 40.2*1.02+10) -> x 5..55, y 15..66 (truncated).
    assert crops[0].shape == (51, 50, 3)
    np.testing.assert_array_equal(crops[0], img[15:66, 5:55])
    assert crops[1].shape == (10, 10, 3)  # clipped at the top-left corner
    assert crops[2].shape == (16, 16, 3)
    assert crops[2][0, 0].tolist() == [88, 89, 90]


def test_onnx_embedding_model(tmp_path: Path, people_video) -> None:
    emb = _embedder(tmp_path / "embed.onnx")
    cfg = {**yaml.safe_load(need(REFERENCE / "trackers" / "botsort-reid.yaml").read_text()), "model": str(emb)}
    tr = make_tracker(load_tracker_config(cfg))
    assert tr.needs == frozenset()
    frames = _frames(people_video, 5)
    feats = tr.encoder(frames[0], np.array([[100, 100, 160, 220], [0, 0, 0, 0]], np.float32))
    assert feats.shape == (2, 3)
    crop = crop_boxes(frames[0], np.array([[100, 100, 160, 220]], np.float32))[0]
    rgb = cv2.resize(crop[..., ::-1].astype(np.float32) / 255, (32, 32), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_allclose(feats[0], rgb.reshape(-1, 3).mean(0), rtol=1e-5)
    model = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx"))
    cfg_path = tmp_path / "botsort-emb.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg))
    for im in frames:
        r = model.track(im, persist=True, tracker=str(cfg_path), verbose=False)[0]
    assert len(r.boxes.id) >= 10
    with pytest.raises(FileNotFoundError):
        make_tracker(load_tracker_config({**cfg, "model": str(tmp_path / "missing.onnx")}))
    with pytest.raises(ValueError, match="onnx"):
        make_tracker(load_tracker_config({**cfg, "model": "osnet.pt"}))


@pytest.mark.parametrize("detector", ["yolo11n-seg.onnx", "yolo11n-seg-dynamic.onnx"])
def test_detector_as_reid_model_is_refused(detector: str, tmp_path: Path, people_video) -> None:
    """A tracker YAML's ``model:`` naming the detector (an ONNX with a 4-D image input, but (1, 116, 8400) out): a
    ValueError naming the file and the output shape, when the tracker is made and through ``track``, never a
    974,400-value "embedding"."""
    det = need(MODELS / detector)
    cfg = {**yaml.safe_load(need(REFERENCE / "trackers" / "botsort-reid.yaml").read_text()), "model": str(det)}
    shape = r"\(1, 116, 8400\)" if detector == "yolo11n-seg.onnx" else r"\('batch', 116, 'anchors'\)"
    with pytest.raises(ValueError, match=rf"ReID model '{det}': its output has shape {shape}, not an embedding"):
        make_tracker(load_tracker_config(cfg))
    cfg_path = tmp_path / "botsort-det.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg))
    model = YOLO(need(MODELS / "yolo11n-seg-dynamic.onnx"))
    with pytest.raises(ValueError, match="not an embedding"):
        model.track(_frames(people_video, 1)[0], tracker=str(cfg_path), verbose=False)


def test_embedding_shape_rule() -> None:
    """The one rule (trackers/utils/reid.py ``check_embedding_shape``), at load (declared shapes, symbolic dimensions
    left to the run) and on a run's output (the crops' count)."""
    for ok in ([1, 512], ["batch", 128], ["batch", "d"], [4, MAX_EMBEDDING_DIM], None):
        check_embedding_shape("e.onnx", ok)
    check_embedding_shape("e.onnx", (3, 512), batch=3)
    for bad, batch in (([1, 116, 8400], None), ([1, MAX_EMBEDDING_DIM + 1], None), ([2, 0], None), ((3, 1, 1), 3),
                       ((2, 512), 3), ((3,), 3)):  # fmt: skip
        with pytest.raises(ValueError, match="e.onnx"):
            check_embedding_shape("e.onnx", bad, batch)
