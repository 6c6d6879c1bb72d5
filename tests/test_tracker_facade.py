"""The tracker facade (``trackers/byte_tracker.py`` ``Tracker``): every shipped tracker type through one class, its
settings handed whole to the Rust core (``TrackerCore(settings)``, ``rust/src/tracker_settings.rs``), the camera
motion and ReID components chosen from the settings, the Ultralytics class names on top."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from numa_ultralytics import _core
from numa_ultralytics.trackers import TRACKER_MAP, Tracker, load_tracker_config, make_tracker
from numa_ultralytics.trackers.byte_tracker import BYTETracker
from numa_ultralytics.trackers.config import DEFAULTS, TRACKER_TYPES

# Two boxes walking right, one per frame; the second frame moves them 4 px.
FRAMES = [
    np.array([[10, 10, 60, 110, 0.9, 0], [200, 50, 260, 170, 0.8, 0]], np.float32),
    np.array([[14, 10, 64, 110, 0.9, 0], [204, 50, 264, 170, 0.8, 0]], np.float32),
]


def test_every_shipped_type_has_its_ultralytics_class_over_the_facade() -> None:
    assert set(TRACKER_MAP) == set(TRACKER_TYPES) == set(DEFAULTS)
    for kind, cls in TRACKER_MAP.items():
        t = make_tracker(load_tracker_config(f"{kind}.yaml"))
        assert type(t) is cls and isinstance(t, Tracker) and isinstance(t, BYTETracker)
        assert t._core.kind == kind and t.args.tracker_type == kind
        # The facade alone, fed the YAML, builds the same tracker.
        plain = Tracker(load_tracker_config(f"{kind}.yaml"))
        assert plain._core.kind == kind
        for f in FRAMES:
            np.testing.assert_array_equal(t.update(f), plain.update(f))
        assert [v.track_id for v in t.tracked_stracks] == [v.track_id for v in plain.tracked_stracks]


@pytest.mark.parametrize(
    ("kind", "needs", "has_gmc"),
    [
        ("bytetrack", set(), False),
        ("botsort", set(), True),
        ("ocsort", set(), False),
        ("deepocsort", set(), True),
        ("fasttrack", set(), False),
        ("tracktrack", {"dets_del"}, True),
    ],
)
def test_components_come_from_the_settings(kind: str, needs: set[str], has_gmc: bool) -> None:
    t = make_tracker(load_tracker_config(f"{kind}.yaml"))
    assert set(t.needs) == needs and t.encoder is None
    assert (t.gmc is not None) == has_gmc
    if kind in ("botsort", "deepocsort", "tracktrack"):
        r = make_tracker({**load_tracker_config(f"{kind}.yaml"), "with_reid": True})
        assert set(r.needs) == needs | {"feats"} and r.with_reid


def test_max_time_lost_is_the_core_rule() -> None:
    cfg = {**load_tracker_config("bytetrack.yaml"), "track_buffer": 60}
    assert make_tracker(cfg, frame_rate=15).max_time_lost == 30 == make_tracker(cfg, frame_rate=15)._core.max_time_lost
    assert make_tracker(cfg, frame_rate=25).max_time_lost == 50
    tt = {**load_tracker_config("tracktrack.yaml"), "track_buffer": 60}
    assert make_tracker(tt, frame_rate=15).max_time_lost == 60


def test_bad_settings_name_the_key() -> None:
    with pytest.raises(TypeError, match='"track_buffer" must be an integer'):
        BYTETracker({"track_buffer": "30"})
    with pytest.raises(ValueError, match="match_thresh must be a number in \\[0, 1\\], got 2"):
        BYTETracker({"match_thresh": 2.0})
    with pytest.raises(ValueError, match="frame_rate must be a positive number, got 0"):
        BYTETracker({}, frame_rate=0)
    with pytest.raises(TypeError, match='"frame_rate" must be a number, got bool'):
        BYTETracker({}, frame_rate=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tracker_type 'sort' is not supported"):
        Tracker({"tracker_type": "sort"})


@pytest.mark.parametrize("kind", ["botsort", "deepocsort", "tracktrack"])
def test_a_failed_camera_motion_estimate_is_the_identity_with_a_warning(
    kind: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    t = make_tracker({**load_tracker_config(f"{kind}.yaml"), "gmc_method": "sparseOptFlow"})
    assert t.gmc is not None

    def fail(img, dets=None):
        raise RuntimeError("no corners")

    monkeypatch.setattr(t.gmc, "apply", fail)
    img = np.zeros((240, 320, 3), np.uint8)
    with caplog.at_level(logging.WARNING, logger="numa_ultralytics"):
        warp = t._warp(FRAMES[0], img)
    np.testing.assert_array_equal(warp, np.eye(2, 3))
    assert "GMC failed, falling back to identity: no corners" in caplog.text
    # Without a frame, or with gmc_method none, there is no warp at all.
    assert t._warp(FRAMES[0], None) is None
    assert make_tracker({**load_tracker_config(f"{kind}.yaml"), "gmc_method": "none"})._warp(FRAMES[0], img) is None


def test_gmc_gets_the_high_boxes_of_the_core_split(monkeypatch: pytest.MonkeyPatch) -> None:
    """BoT-SORT hands GMC the high detections' boxes as they are; TrackTrack their STrack.xyxy round trip."""
    dets = np.array([[10.3, 10.1, 60.7, 110.9, 0.9, 0], [5, 5, 9, 9, 0.05, 0], [1, 1, 3, 3, 0.95, 0]], np.float32)
    seen: dict[str, np.ndarray] = {}
    for kind in ("botsort", "tracktrack"):
        t = make_tracker(load_tracker_config(f"{kind}.yaml"))
        assert t.gmc is not None

        def record(img: np.ndarray, boxes: np.ndarray, kind: str = kind) -> np.ndarray:
            seen[kind] = boxes
            return np.eye(2, 3)

        monkeypatch.setattr(t.gmc, "apply", record)
        t._warp(dets, np.zeros((64, 64, 3), np.uint8))
    np.testing.assert_array_equal(seen["botsort"], dets[[0, 2], :4])  # tracktrack's high is 0.6: same rows here
    assert seen["tracktrack"].shape == (2, 4) and seen["tracktrack"].dtype == np.float32
    np.testing.assert_allclose(seen["tracktrack"], dets[[0, 2], :4], atol=1e-5)


def test_feats_are_used_only_with_reid() -> None:
    """Without ReID the embeddings are not handed to the core (a wrong row count is not even looked at); with it,
    they are checked."""
    feats = np.ones((5, 8), np.float32)  # 5 rows for 2 detections
    t = make_tracker(load_tracker_config("botsort.yaml"))
    assert t.update(FRAMES[0], feats=feats).shape == (2, 8)
    r = make_tracker({**load_tracker_config("botsort.yaml"), "with_reid": True})
    with pytest.raises(ValueError, match="feats must have one row per detection"):
        r.update(FRAMES[0], feats=feats)
    with pytest.raises(ValueError, match="feats must have shape \\(n, d\\)"):
        r.update(FRAMES[0], feats=np.ones(2, np.float32))


def test_core_settings_dict_is_the_only_constructor() -> None:
    with pytest.raises(TypeError):
        _core.TrackerCore("bytetrack")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="keys must be strings"):
        _core.TrackerCore({1: 2})  # type: ignore[dict-item]


def test_numpy_scalars_are_settings_like_their_python_values() -> None:
    cfg = load_tracker_config("bytetrack.yaml")
    t = _core.TrackerCore(
        {
            **cfg,
            "frame_rate": np.int64(15),
            "track_buffer": np.int64(60),
            "fuse_score": np.True_,
            "match_thresh": np.float32(0.5),
        }
    )
    assert t.max_time_lost == 30
    with pytest.raises(TypeError, match='"fuse_score" must be true or false, got int'):
        _core.TrackerCore({**cfg, "frame_rate": 30, "fuse_score": 1})
