"""Tracker configuration: shipped YAMLs, user YAMLs, dicts, and the errors for bad ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from numa_ultralytics.trackers import BOTSORT, BYTETracker, load_tracker_config, make_tracker
from numa_ultralytics.trackers.utils.gmc import GMC

BYTE = {
    "tracker_type": "bytetrack",
    "track_high_thresh": 0.25,
    "track_low_thresh": 0.1,
    "new_track_thresh": 0.25,
    "track_buffer": 30,
    "match_thresh": 0.8,
    "fuse_score": True,
}
BOT = {
    **BYTE,
    "tracker_type": "botsort",
    "gmc_method": "sparseOptFlow",
    "proximity_thresh": 0.5,
    "appearance_thresh": 0.8,
    "with_reid": False,
    "model": "auto",
}


def test_shipped_configs_equal_ultralytics_defaults() -> None:
    assert load_tracker_config("bytetrack.yaml") == BYTE
    assert load_tracker_config("botsort.yaml") == BOT
    assert load_tracker_config("botsort") == BOT
    assert isinstance(make_tracker(load_tracker_config("bytetrack.yaml")), BYTETracker)
    t = make_tracker(load_tracker_config("botsort.yaml"))
    assert isinstance(t, BOTSORT) and t.gmc.method == "sparseOptFlow"


def test_user_yaml_and_dict(tmp_path: Path) -> None:
    p = tmp_path / "mine.yaml"
    p.write_text("tracker_type: bytetrack\ntrack_buffer: 60\nmatch_thresh: 0.9\n")
    cfg = load_tracker_config(p)
    assert cfg == {**BYTE, "track_buffer": 60, "match_thresh": 0.9}
    assert load_tracker_config(str(p)) == cfg
    t = make_tracker(cfg, frame_rate=15)
    assert t.max_time_lost == 30  # int(15 / 30 * 60)
    assert load_tracker_config({"tracker_type": "botsort", "gmc_method": "none"})["gmc_method"] == "none"
    assert make_tracker({"tracker_type": "botsort", "gmc_method": "none"}).gmc.method is None


@pytest.mark.parametrize(
    ("cfg", "words"),
    [
        ({"tracker_type": "sort"}, ["tracker_type", "bytetrack", "botsort", "tracktrack"]),
        ({"tracker_type": ["ocsort"]}, ["tracker_type", "ocsort"]),
        ({"tracker_type": "ocsort", "delta_t": -1}, ["delta_t"]),
        ({"tracker_type": "fasttrack", "enlarge_bbox_occ": 0}, ["enlarge_bbox_occ"]),
        ({"tracker_type": "bytetrack", "track_buffer": 10**20}, ["track_buffer", "1000000"]),
        ({"tracker_type": "bytetrack", "gmc_method": "orb"}, ["gmc_method", "allowed keys"]),
        ({"tracker_type": "bytetrack", "track_bufer": 3}, ["track_bufer"]),
        ({"tracker_type": "bytetrack", "match_thresh": 1.5}, ["match_thresh", "[0, 1]"]),
        ({"tracker_type": "bytetrack", "match_thresh": "high"}, ["match_thresh"]),
        ({"tracker_type": "bytetrack", "track_buffer": -1}, ["track_buffer"]),
        ({"tracker_type": "bytetrack", "track_buffer": 2.5}, ["track_buffer"]),
        ({"tracker_type": "bytetrack", "fuse_score": "yes"}, ["fuse_score"]),
        ({"tracker_type": "botsort", "gmc_method": "magic"}, ["gmc_method", "sparseOptFlow"]),
        ({"tracker_type": "botsort", "model": 5}, ["model", "string"]),
    ],
)
def test_bad_configs_name_the_key(cfg: dict, words: list[str]) -> None:
    with pytest.raises(ValueError) as e:
        load_tracker_config(cfg)
    for w in words:
        assert w in str(e.value)


def test_schema_types_every_shipped_key() -> None:
    """utils/args.py's TRACKER_SCHEMA gives every key of every shipped YAML its type (the loader refuses to start
    otherwise), and the checks take the shipped names and defaults from trackers/config.py."""
    from numa_ultralytics.trackers.config import DEFAULTS, SHIPPED_TRACKERS, TRACKER_TYPES
    from numa_ultralytics.utils.args import TRACKER_SCHEMA, check_tracker_cfg

    assert TRACKER_TYPES == ("botsort", "bytetrack", "deepocsort", "fasttrack", "ocsort", "tracktrack")
    assert tuple(f"{t}.yaml" for t in TRACKER_TYPES) == SHIPPED_TRACKERS and tuple(DEFAULTS) == TRACKER_TYPES
    keys = set().union(*DEFAULTS.values())
    assert keys == set(TRACKER_SCHEMA)  # no type for a key that no tracker has either
    assert TRACKER_SCHEMA["match_thresh"] == "fraction" and TRACKER_SCHEMA["track_buffer"] == "count"
    # the checks take the defaults passed in: a tracker type that ships nowhere, with one fraction key
    mine = {"mine": {"tracker_type": "mine", "match_thresh": 0.5}}
    assert check_tracker_cfg({"tracker_type": "mine", "match_thresh": 1}, "<t>", mine) == {
        "tracker_type": "mine",
        "match_thresh": 1.0,
    }
    with pytest.raises(ValueError, match=r"match_thresh=2 must be a number in \[0, 1\]"):
        check_tracker_cfg({"tracker_type": "mine", "match_thresh": 2}, "<t>", mine)
    with pytest.raises(ValueError, match=r"allowed values: \['mine'\]"):
        check_tracker_cfg({"tracker_type": "bytetrack"}, "<t>", mine)


def test_bad_sources(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_tracker_config("nosuch.yaml")
    p = tmp_path / "list.yaml"
    p.write_text("- 1\n- 2\n")
    with pytest.raises(ValueError):
        load_tracker_config(p)
    with pytest.raises(ValueError):
        load_tracker_config(42)  # type: ignore[arg-type]
    bad = tmp_path / "bad.yaml"
    bad.write_text("tracker_type: bytetrack\ntrack_buffer: [30\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_tracker_config(bad)
    with pytest.raises(ValueError):
        make_tracker(BYTE, frame_rate=0)


def test_gmc_identity_first_frame_then_translation() -> None:
    import cv2

    rng = np.random.default_rng(0)
    scene = np.full((300, 420), 128, np.uint8)
    for _ in range(80):  # a textured scene: random boxes of random grey levels
        x, y = rng.integers(0, 400, 2)
        w, h = rng.integers(6, 40, 2)
        cv2.rectangle(scene, (int(x), int(y)), (int(x + w), int(y + h)), int(rng.integers(0, 256)), -1)
    big = np.dstack([scene] * 3)
    gmc = GMC("sparseOptFlow")
    np.testing.assert_array_equal(gmc.apply(big[20:260, 20:340]), np.eye(2, 3))
    # The camera moves right by 8 px: the scene moves left by 8 px.
    warp = gmc.apply(big[20:260, 28:348])
    np.testing.assert_allclose(warp[:, :2], np.eye(2), atol=0.02)
    assert warp[0, 2] == pytest.approx(-8, abs=1.0) and warp[1, 2] == pytest.approx(0, abs=1.0)
    # A new frame size restarts; blank frames (no corners) give identity.
    np.testing.assert_array_equal(gmc.apply(big[:100, :100]), np.eye(2, 3))
    gmc.reset_params()
    assert gmc.prevFrame is None and not gmc.initializedFirstFrame
    blank = np.zeros((100, 100, 3), np.uint8)
    np.testing.assert_array_equal(gmc.apply(blank), np.eye(2, 3))
    np.testing.assert_array_equal(gmc.apply(blank), np.eye(2, 3))
    assert GMC("none").apply(blank).tolist() == np.eye(2, 3).tolist()
