# Ultralytics 🚀 AGPL-3.0 License - https://ultralytics.com/license
"""Ultralytics 8.4.190 ``tests/test_cli.py``, the in-scope tests (see __init__.py and SKIPPED.md)."""

import os  # numa: the command runs as python -m numa_ultralytics with this checkout on PYTHONPATH
import subprocess
import sys

import pytest

from tests.conftest import ROOT as REPO
from tests.ultralytics_suite import ASSETS as ASSETS_DIR
from tests.ultralytics_suite import TASK_MODEL_DATA, WEIGHTS_DIR

ASSETS = ASSETS_DIR
DATASETS_DIR = ASSETS_DIR.parent  # numa: the shared media folder holds coco8-seg


def run(cmd: str) -> None:
    """Execute a shell command using subprocess."""
    args = cmd.split()
    if args[0] == "yolo":  # numa: the yolo command is python -m numa_ultralytics (numa-yolo once installed)
        args = [sys.executable, "-m", "numa_ultralytics", *args[1:]]
    env = {**os.environ, "PYTHONPATH": str(REPO / "python")}  # numa
    subprocess.run(args, check=True, env=env)


def test_special_modes() -> None:
    """Test various special command-line modes for YOLO functionality."""
    run("yolo help")
    run("yolo checks")
    run("yolo version")
    run("yolo settings reset")
    run(f"yolo settings weights_dir={WEIGHTS_DIR} datasets_dir={DATASETS_DIR}")
    run("yolo cfg")


@pytest.mark.parametrize("task,model,data", TASK_MODEL_DATA)
def test_val(task: str, model: str, data: str) -> None:
    """Test YOLO validation process for specified task, model, and data using a shell command."""
    for nms in (None, False):
        run(f"yolo val {task} model={model} data={data} imgsz=32 nms={nms} max_det=100 agnostic_nms")


@pytest.mark.parametrize("task,model,data", TASK_MODEL_DATA)
def test_predict(task: str, model: str, data: str) -> None:
    """Test YOLO prediction on provided sample assets for specified task and model."""
    for nms in (None, False):
        run(f"yolo {task} predict model={model} source={ASSETS} imgsz=32 save nms={nms} max_det=100")


# numa: "workout" (AIGym, pose) and "analytics" (matplotlib) are not provided by this package (SKIPPED.md)
@pytest.mark.parametrize(
    "solution",
    ["count", "blur", "heatmap", "isegment", "visioneye", "speed", "queue", "trackzone"],
)
def test_solutions(solution: str, solution_assets) -> None:
    """Test yolo solutions command-line modes."""
    source = solution_assets("demo_video")  # numa: no pose video (workout is not provided)
    run(f"yolo solutions {solution} verbose=False source={source}")
