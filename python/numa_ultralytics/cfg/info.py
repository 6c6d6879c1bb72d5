"""``numa-yolo checks`` / ``settings`` / ``cfg``: what 8.4.190's ``yolo checks`` / ``yolo settings`` / ``yolo cfg``
print, for this package.

- ``checks``: the system (OS, Python, CPUs, RAM), this package's version and its dependencies' (installed or not,
  the optional extras included), ONNX Runtime's execution providers.
- ``settings``: the settings, which here are environment variables (nothing is stored in a settings file):
  ``settings`` prints them, ``settings key=value`` prints the ``export`` line that sets one (unknown keys exit 2),
  ``settings reset`` says how to clear them.
- ``cfg``: the default arguments (predict / track, val, export) as YAML.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from importlib import metadata
from typing import Any, TextIO

# setting -> (environment variable, what it is); the values come from the modules that use them
SETTINGS_ENV: dict[str, tuple[str, str]] = {
    "weights_dir": ("NUMA_ULTRALYTICS_WEIGHTS_DIR", "folders searched for bare model names (os.pathsep-separated)"),
    "cache_dir": ("NUMA_ULTRALYTICS_CACHE_DIR", "downloaded weights and built ONNX graphs"),
    "datasets_dir": ("NUMA_ULTRALYTICS_DATASETS_DIR", "relative dataset paths of val / int8 export"),
    "offline": ("NUMA_ULTRALYTICS_OFFLINE", "1: never download weights"),
}
PACKAGES = ("numpy", "opencv-python", "onnxruntime-gpu", "onnxruntime", "onnx", "pyyaml")
EXTRAS = ("pandas", "openvino", "ray")


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _ram_gb() -> str:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            kb = int(f.readline().split()[1])
        return f"{kb / 2**20:.1f} GB"
    except (OSError, ValueError, IndexError):
        return "unknown"


def current_settings() -> dict[str, Any]:
    """The settings' current values (read where the package reads them)."""
    from numa_ultralytics.data.dataset import datasets_dir
    from numa_ultralytics.utils.downloads import cache_dir, weights_dirs

    return {
        "weights_dir": os.pathsep.join(str(p) for p in weights_dirs()),
        "cache_dir": str(cache_dir()),
        "datasets_dir": str(datasets_dir()),
        "offline": os.environ.get(SETTINGS_ENV["offline"][0], "").lower() in ("1", "true", "yes"),
    }


def checks(out: TextIO = sys.stdout) -> int:
    """Print the environment and versions; returns 0."""
    from numa_ultralytics._core import __version__

    rows: list[tuple[str, Any]] = [
        ("numa_ultralytics", __version__),
        ("OS", platform.platform()),
        ("Python", platform.python_version()),
        ("Path", os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
        ("CPU", platform.processor() or platform.machine()),
        ("CPU count", os.cpu_count()),
        ("RAM", _ram_gb()),
    ]
    try:
        import onnxruntime as ort

        rows.append(("ONNX Runtime providers", ", ".join(ort.get_available_providers())))
    except ImportError:
        rows.append(("ONNX Runtime providers", "onnxruntime not installed"))
    rows += [(name, _version(name) or "not installed") for name in PACKAGES]
    rows += [(f"{name} (extra)", _version(name) or "not installed") for name in EXTRAS]
    width = max(len(k) for k, _ in rows) + 2
    for k, v in rows:
        print(f"{k:<{width}}{v}", file=out)
    return 0


def settings(words: list[str], out: TextIO = sys.stdout) -> int:
    """``settings`` [``reset`` | ``key=value`` ...]; returns the exit code (2 for an unknown key)."""
    if not words:
        print(json.dumps(current_settings(), indent=2), file=out)
        print("(settings are environment variables: " + ", ".join(v for v, _ in SETTINGS_ENV.values()) + ")", file=out)
        return 0
    if words == ["reset"]:
        names = " ".join(v for v, _ in SETTINGS_ENV.values())
        print(f"settings are environment variables, nothing is stored: to reset them, unset {names}", file=out)
        return 0
    lines = []
    for w in words:
        k, sep, v = w.partition("=")
        k = k.strip().replace("-", "_")
        if not sep or k not in SETTINGS_ENV:
            print(f"numa-yolo: error: unknown setting {w!r}; settings: {', '.join(SETTINGS_ENV)}", file=sys.stderr)
            return 2
        lines.append(f"export {SETTINGS_ENV[k][0]}={v}")
    print("settings are environment variables; set them with:", file=out)
    print("\n".join(lines), file=out)
    return 0


def default_cfg() -> dict[str, Any]:
    """The default arguments per mode, where they are defined (utils/args.py, engine/validator.py,
    engine/exporter.py)."""
    from numa_ultralytics.utils.args import (
        CONF_DEFAULTS,
        EXPORT_DEFAULTS,
        PREDICT_DEFAULTS,
        TRACK_DEFAULTS,
        VAL_DEFAULTS,
    )

    predict = {**PREDICT_DEFAULTS, "conf": CONF_DEFAULTS["predict"]}
    track = {**TRACK_DEFAULTS, "conf": CONF_DEFAULTS["track"]}
    return {"predict": predict, "track": track, "val": dict(VAL_DEFAULTS), "export": dict(EXPORT_DEFAULTS)}


def cfg(out: TextIO = sys.stdout) -> int:
    """Print the default arguments as YAML; returns 0."""
    from numa_ultralytics.utils import YAML

    print(YAML.dump(default_cfg()), file=out, end="")
    return 0
