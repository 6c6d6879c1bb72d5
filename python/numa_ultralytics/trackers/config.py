"""Tracker configuration loading: a shipped YAML (``bytetrack``, ``botsort``, ``ocsort``, ``deepocsort``,
``fasttrack``, ``tracktrack``; Ultralytics 8.4.190's keys and defaults) or a user YAML, validated.

This module resolves names, caches files and owns the names of the trackers (:data:`SHIPPED_TRACKERS`,
:data:`TRACKER_TYPES`: the files that ship) and their defaults (:data:`DEFAULTS`: the shipped YAMLs); the type of each
key and the checks are utils/args.py's (``TRACKER_SCHEMA``, ``check_tracker_cfg``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Union

import yaml

from numa_ultralytics.utils import load_yaml_file
from numa_ultralytics.utils.args import (
    GMC_METHODS,
    MAX_TRACKER_COUNT,
    TRACKER_SCHEMA,
    check_tracker_cfg,
)

__all__ = [
    "CFG_DIR",
    "DEFAULTS",
    "GMC_METHODS",
    "MAX_TRACKER_COUNT",
    "REID_SUPPORTED",
    "REID_TRACKERS",
    "SHIPPED_TRACKERS",
    "TRACKER_TYPES",
    "TrackerSpec",
    "load_tracker_config",
    "resolve_tracker",
]

CFG_DIR = Path(__file__).resolve().parent / "cfg"

# The trackers are the YAML files that ship (``cfg/<tracker_type>.yaml``): the one list of their names.
SHIPPED_TRACKERS: tuple[str, ...] = tuple(sorted(p.name for p in CFG_DIR.glob("*.yaml")))
TRACKER_TYPES: tuple[str, ...] = tuple(name[: -len(".yaml")] for name in SHIPPED_TRACKERS)


def _shipped_defaults(tracker_type: str) -> dict[str, Any]:
    """The keys of a tracker type with their defaults: the shipped ``<tracker_type>.yaml`` (the one place
    they are written)."""
    with open(CFG_DIR / f"{tracker_type}.yaml", encoding="utf-8") as f:
        cfg = yaml.safe_load(f)
    if not isinstance(cfg, dict) or cfg.get("tracker_type") != tracker_type:
        raise RuntimeError(f"shipped tracker config {tracker_type}.yaml is damaged")
    untyped = sorted(set(cfg) - set(TRACKER_SCHEMA))
    if untyped:  # a new key needs its type in utils/args.py TRACKER_SCHEMA
        raise RuntimeError(f"shipped tracker config {tracker_type}.yaml has keys without a type: {untyped}")
    return cfg


# Keys per tracker type, with their defaults (those of the shipped YAML files).
DEFAULTS: dict[str, dict[str, Any]] = {t: _shipped_defaults(t) for t in TRACKER_TYPES}
# Trackers that can use appearance embeddings: those whose YAML has ``with_reid`` (each has its ReID path).
REID_TRACKERS: tuple[str, ...] = tuple(t for t, keys in DEFAULTS.items() if "with_reid" in keys)
REID_SUPPORTED = REID_TRACKERS

TrackerSpec = Union[str, "os.PathLike[str]", dict[str, Any]]


def resolve_tracker(tracker: str | os.PathLike) -> Path:
    """A shipped config by name (``"botsort.yaml"``, ``"bytetrack"``) or a path to a YAML file.

    Raises:
        FileNotFoundError: neither (the message lists the shipped configs).
    """
    p = Path(tracker)
    if p.is_file():
        return p
    name = p.name if p.suffix in (".yaml", ".yml") else f"{p.name}.yaml"
    if len(p.parts) == 1 and name in SHIPPED_TRACKERS:
        return CFG_DIR / name
    raise FileNotFoundError(f"tracker config '{tracker}' not found (shipped configs: {', '.join(SHIPPED_TRACKERS)})")


def _validate(raw: Any, source: str) -> dict[str, Any]:
    """``raw`` checked against the schema (utils/args.py ``check_tracker_cfg``) and the shipped defaults."""
    return check_tracker_cfg(raw, source, DEFAULTS)


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
        path = str(resolve_tracker(tracker).resolve())
        st = os.stat(path)
        _RESOLVED[rkey] = path
    key = (path, st.st_mtime_ns, st.st_size)
    cfg = _FILE_CACHE.get(key)
    if cfg is None:
        raw = load_yaml_file(path, "tracker config")  # bounded: size, alias expansion, regular files only
        cfg = _validate(raw if raw is not None else {}, f"'{path}'")
        _FILE_CACHE[key] = cfg
    return dict(cfg)
