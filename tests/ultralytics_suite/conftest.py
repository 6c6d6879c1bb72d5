"""Fixtures for the vendored Ultralytics tests: offline, shared assets, outputs in a temporary folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import MEDIA, need

from . import MODEL, SUITE_TMP, WEIGHTS_DIR


@pytest.fixture(autouse=True)
def _suite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each test in its own folder (``runs/`` lands there), offline, with the shared datasets and weights."""
    need(MEDIA / "coco8-seg")
    need(WEIGHTS_DIR / "yolo11n-seg.pt")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NUMA_ULTRALYTICS_OFFLINE", "1")
    monkeypatch.setenv("NUMA_ULTRALYTICS_DATASETS_DIR", str(MEDIA))
    monkeypatch.setenv("NUMA_ULTRALYTICS_WEIGHTS_DIR", str(WEIGHTS_DIR))
    if not MODEL.exists():
        MODEL.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(WEIGHTS_DIR / MODEL.name, MODEL)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(SUITE_TMP, ignore_errors=True)
