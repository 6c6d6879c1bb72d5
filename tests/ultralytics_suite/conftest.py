"""Fixtures for the vendored Ultralytics tests: offline, shared assets, outputs in a temporary folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import cv2
import pytest

from tests.conftest import MEDIA, need

from . import MODEL, SOLUTION_ASSETS, SUITE_TMP, WEIGHTS_DIR


@pytest.fixture(autouse=True)
def _suite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each test in its own folder (``runs/`` lands there), offline, with the shared datasets and weights."""
    need(MEDIA / "coco8-seg")
    need(WEIGHTS_DIR / "yolo11n-seg.pt")
    need(WEIGHTS_DIR / MODEL.name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NUMA_ULTRALYTICS_OFFLINE", "1")
    monkeypatch.setenv("NUMA_ULTRALYTICS_DATASETS_DIR", str(MEDIA))
    monkeypatch.setenv("NUMA_ULTRALYTICS_WEIGHTS_DIR", str(WEIGHTS_DIR))
    if not MODEL.exists():
        MODEL.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(WEIGHTS_DIR / MODEL.name, MODEL)


@pytest.fixture(scope="session")
def solution_assets():
    """Return cached solution asset paths by name."""
    # numa: the original downloads its demo videos (ASSETS_URL); here they are short clips cut from the shared videos
    # (SOLUTION_ASSETS: source, frames, rotation), written once per session
    cache_dir = SUITE_TMP / "solution_assets"
    cache_dir.mkdir(parents=True, exist_ok=True)

    def get_asset(name):
        src, frames, rotate = SOLUTION_ASSETS[name]
        asset_path = cache_dir / f"{name}.avi"
        if not asset_path.exists():
            need(src)
            part = asset_path.with_name(f"{name}.{os.getpid()}.avi")  # written aside, then renamed: no half clips
            cap, writer = cv2.VideoCapture(str(src)), None
            for _ in range(frames):
                ok, im = cap.read()
                assert ok, f"{src} has fewer than {frames} frames"
                im = im if rotate is None else cv2.rotate(im, rotate)
                if writer is None:
                    fps = cap.get(cv2.CAP_PROP_FPS)
                    fourcc = cv2.VideoWriter_fourcc(*"MJPG")
                    writer = cv2.VideoWriter(str(part), fourcc, fps, (im.shape[1], im.shape[0]))
                writer.write(im)
            cap.release()
            writer.release()
            part.replace(asset_path)
        return asset_path

    return get_asset


def isolated_model_path(tmp_path, model):
    """Copy a model to a per-test path to prevent export file races under pytest-xdist."""
    model = Path(model)
    dst = tmp_path / model.name  # numa: MODEL is copied from the shared weights by _suite_env, never downloaded
    shutil.copy(model, dst)
    return str(dst)


@pytest.fixture
def isolated_model(tmp_path):
    """Provide an isolated copy of the test model to prevent export file races under pytest-xdist.

    When multiple xdist workers run export tests simultaneously, they derive output filenames from the model path (e.g.,
    model.onnx, model.torchscript). Using the same MODEL path causes workers to overwrite each other's
    intermediate/export files. This fixture copies the shared model to a per-test temporary directory so each test
    exports to a unique path.
    """
    return isolated_model_path(tmp_path, MODEL)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(SUITE_TMP, ignore_errors=True)
