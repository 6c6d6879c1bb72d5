"""Shared fixtures: the real models and media in ../shared.

Outside CI a missing shared file skips the test; in CI (CI=true) it fails it, so that a broken
checkout can never pass by skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NUMA_SHARED_DIR", ROOT.parent / "shared")).resolve()
MODELS = SHARED / "models"
MEDIA = SHARED / "media"
REFERENCE = SHARED / "reference"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _int8_isa() -> str:
    """Which int8 arithmetic onnxruntime's CPU kernels use here: ``"vnni"`` (AVX-512 VNNI, AVX-VNNI or AMX: exact
    32-bit sums of u8 x s8 products) or ``"avx2"`` (VPMADDUBSW, whose 16-bit pair sums saturate). The two give other
    int8 results, for the original as for us, so int8 references are kept per kind (tests/fixtures/
    make_int8_reference.py). AMX is assumed to equal VNNI (both exact in integers); it was not measured."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        flags = []
    return "vnni" if {"avx512_vnni", "avx_vnni", "amx_int8"} & set(flags) else "avx2"


INT8_ISA = _int8_isa()


def need(path: Path) -> Path:
    """Return ``path`` if it exists; otherwise skip (locally) or fail (in CI)."""
    if not path.exists():
        msg = f"shared file missing: {path}"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return need(SHARED)


@pytest.fixture(scope="session")
def seg_onnx() -> Path:
    return need(MODELS / "yolo11n-seg-dynamic.onnx")


@pytest.fixture(scope="session")
def seg_onnx_static() -> Path:
    return need(MODELS / "yolo11n-seg.onnx")


@pytest.fixture(scope="session")
def bus_jpg() -> Path:
    return need(MEDIA / "images" / "bus.jpg")


@pytest.fixture(scope="session")
def zidane_jpg() -> Path:
    return need(MEDIA / "images" / "zidane.jpg")


@pytest.fixture(scope="session")
def people_video() -> Path:
    return need(MEDIA / "videos" / "seeed_people-walking.mp4")


@pytest.fixture(scope="session")
def car_video() -> Path:
    return need(MEDIA / "videos" / "intel_car-detection.mp4")


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Built ONNX files and downloads go to a per-run cache, never into ../shared or the user's cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("NUMA_ULTRALYTICS_CACHE_DIR", str(tmp_path_factory.mktemp("numa-cache")))
    yield
    mp.undo()
