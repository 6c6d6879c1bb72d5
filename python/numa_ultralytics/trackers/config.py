"""Tracker configuration: a shipped YAML (``bytetrack``, ``botsort``, ``ocsort``, ``deepocsort``, ``fasttrack``,
``tracktrack``; Ultralytics 8.4.190's keys and defaults) or a user YAML, validated."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Union

import yaml

from numa_ultralytics.nn.safety import short_repr
from numa_ultralytics.utils import load_yaml_file

CFG_DIR = Path(__file__).resolve().parent / "cfg"

# The trackers are the YAML files that ship (``cfg/<tracker_type>.yaml``): the one list of their names.
SHIPPED_TRACKERS: tuple[str, ...] = tuple(sorted(p.name for p in CFG_DIR.glob("*.yaml")))
TRACKER_TYPES: tuple[str, ...] = tuple(name[: -len(".yaml")] for name in SHIPPED_TRACKERS)
# Trackers that can use appearance embeddings (``with_reid: True``).
REID_TRACKERS = ("botsort", "deepocsort", "tracktrack")
# Those whose ReID path is implemented here.
REID_SUPPORTED: tuple[str, ...] = ("botsort", "deepocsort", "tracktrack")
GMC_METHODS = ("sparseOptFlow", "orb", "sift", "ecc", "none", "None", None)


def _shipped_defaults(tracker_type: str) -> dict[str, Any]:
    """The keys of a tracker type with their defaults: the shipped ``<tracker_type>.yaml`` (the one place
    they are written)."""
    with open(CFG_DIR / f"{tracker_type}.yaml", encoding="utf-8") as f:
        cfg = yaml.safe_load(f)
    if not isinstance(cfg, dict) or cfg.get("tracker_type") != tracker_type:
        raise RuntimeError(f"shipped tracker config {tracker_type}.yaml is damaged")
    return cfg


# Keys per tracker type, with their defaults (those of the shipped YAML files).
DEFAULTS: dict[str, dict[str, Any]] = {t: _shipped_defaults(t) for t in TRACKER_TYPES}

_UNIT_FLOATS = (
    "track_high_thresh",
    "track_low_thresh",
    "new_track_thresh",
    "match_thresh",
    "proximity_thresh",
    "appearance_thresh",
    "inertia",
    "alpha_fixed_emb",
    "occ_cover_thresh",
    "init_iou_suppress",
    "dampen_motion_occ",
    "lost_match_thr",
    "iou_weight",
    "reid_weight",
    "conf_weight",
    "angle_weight",
    "penalty_p",
    "penalty_q",
    "reduce_step",
    "tai_thr",
)
# Integer settings >= 0 (with an upper bound that keeps every frame count representable).
_COUNTS = (
    "track_buffer",
    "delta_t",
    "reset_velocity_offset_occ",
    "reset_pos_offset_occ",
    "active_occ_to_lost_thresh",
    "occ_reappear_window",
    "min_track_len",
)
MAX_COUNT = 1_000_000
# Positive float settings that are not fractions.
_POSITIVE_FLOATS = ("enlarge_bbox_occ",)
_BOOLS = ("fuse_score", "with_reid", "use_byte")

TrackerSpec = Union[str, "os.PathLike[str]", dict[str, Any]]


def _resolve(tracker: str | os.PathLike) -> Path:
    """A shipped config by name (``"botsort.yaml"``, ``"bytetrack"``) or a path to a YAML file."""
    p = Path(tracker)
    if p.is_file():
        return p
    name = p.name if p.suffix in (".yaml", ".yml") else f"{p.name}.yaml"
    if len(p.parts) == 1 and (CFG_DIR / name).is_file():
        return CFG_DIR / name
    shipped = ", ".join(sorted(f.name for f in CFG_DIR.glob("*.yaml")))
    raise FileNotFoundError(f"tracker config '{tracker}' not found (shipped configs: {shipped})")


def _validate(raw: dict[str, Any], source: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValueError(f"tracker config {source} must be a mapping of keys to values, got {type(raw).__name__}")
    ttype = raw.get("tracker_type")
    if ttype not in TRACKER_TYPES:
        raise ValueError(
            f"tracker config {source}: tracker_type={short_repr(ttype)} is not supported; "
            f"allowed values: {list(TRACKER_TYPES)}"
        )
    defaults = DEFAULTS[ttype]
    unknown = [k for k in raw if k not in defaults]
    if unknown:
        raise ValueError(
            f"tracker config {source}: unknown key(s) {short_repr(unknown)} for tracker_type '{ttype}'; "
            f"allowed keys: {sorted(defaults)}"
        )
    cfg = {**defaults, **raw}
    for key in _UNIT_FLOATS:
        if key not in cfg:
            continue
        v = cfg[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not 0.0 <= v <= 1.0:
            raise ValueError(f"tracker config {source}: {key}={short_repr(v)} must be a number in [0, 1]")
        cfg[key] = float(v)
    for key in _COUNTS:
        if key in cfg:
            v = cfg[key]
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= MAX_COUNT:
                raise ValueError(
                    f"tracker config {source}: {key}={short_repr(v)} must be an integer in [0, {MAX_COUNT}]"
                )
    for key in _POSITIVE_FLOATS:
        if key in cfg:
            v = cfg[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not v > 0:
                raise ValueError(f"tracker config {source}: {key}={short_repr(v)} must be a positive number")
            cfg[key] = float(v)
    for key in _BOOLS:
        if key in cfg and not isinstance(cfg[key], bool):
            raise ValueError(f"tracker config {source}: {key}={short_repr(cfg[key])} must be true or false")
    if "gmc_method" in cfg and cfg["gmc_method"] not in GMC_METHODS:
        raise ValueError(
            f"tracker config {source}: gmc_method={short_repr(cfg['gmc_method'])} is not supported; "
            f"allowed values: {list(GMC_METHODS)}"
        )
    if "model" in cfg and not isinstance(cfg["model"], str):
        raise ValueError(f"tracker config {source}: model={short_repr(cfg['model'])} must be a string")
    if cfg.get("with_reid") and ttype not in REID_SUPPORTED:
        raise ValueError(
            f"tracker config {source}: with_reid=True (ReID) is not supported for tracker_type '{ttype}' yet; "
            "allowed values: [False]"
        )
    return cfg


_FILE_CACHE: dict[tuple, dict[str, Any]] = {}
_RESOLVED: dict[tuple[str, str], str] = {}


def load_tracker_config(tracker: TrackerSpec) -> dict[str, Any]:
    """Load and validate a tracker config.

    Args:
        tracker: ``"bytetrack.yaml"`` / ``"botsort.yaml"`` (shipped), a path to a YAML file with the same
            keys, or a dict of them. Missing keys take the shipped defaults of the tracker type.

    Returns:
        A new dict with every key of the tracker type.

    Raises:
        ValueError: unknown key, bad value, or unsupported ``tracker_type`` (the message names the key and the
            allowed values).
        FileNotFoundError: the name is neither a shipped config nor an existing file.
    """
    if isinstance(tracker, dict):
        return _validate(dict(tracker), "<dict>")
    if not isinstance(tracker, (str, os.PathLike)):
        raise ValueError(f"tracker must be a YAML name/path or a dict, got {type(tracker).__name__}")
    # track() calls this every frame: the name is resolved once per (name, working directory), the file parsed once
    # per version (one stat per call checks it).
    rkey = (os.fspath(tracker), os.getcwd())
    path = _RESOLVED.get(rkey)
    try:
        st = os.stat(path) if path is not None else None
    except OSError:  # moved or deleted since: resolve again
        st = None
    if path is None or st is None:
        path = str(_resolve(tracker).resolve())
        st = os.stat(path)
        _RESOLVED[rkey] = path
    key = (path, st.st_mtime_ns, st.st_size)
    cfg = _FILE_CACHE.get(key)
    if cfg is None:
        raw = load_yaml_file(path, "tracker config")  # bounded: size, alias expansion, regular files only
        cfg = _validate(raw if raw is not None else {}, f"'{path}'")
        _FILE_CACHE[key] = cfg
    return dict(cfg)
