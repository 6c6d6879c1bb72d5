# Ultralytics 🚀 AGPL-3.0 License - https://ultralytics.com/license
"""Ultralytics 8.4.190's own tests (the sdist's ``tests/``), the in-scope ones, run against numa_ultralytics.

Vendored from ``ultralytics-8.4.190.tar.gz`` (PyPI sdist, ``tests/__init__.py``, ``tests/test_cli.py``,
``tests/test_python.py``, ``tests/test_solutions.py``, ``tests/test_exports.py``), AGPL-3.0 like this project, with
``ultralytics`` renamed ``numa_ultralytics`` and ``yolo`` (the command) ``python -m numa_ultralytics``. Bodies are kept
as close to verbatim as possible; each adaptation is marked ``# numa:``. Offline, with local assets: models from
``../shared/models``, images and video clips from ``../shared/media``.
What was left out and why: SKIPPED.md.

These are the constants of the original ``tests/__init__.py``, on the shared assets.
"""

import tempfile
from pathlib import Path

import cv2

from tests.conftest import MEDIA
from tests.conftest import MODELS as WEIGHTS_DIR

ASSETS = MEDIA / "images"  # bus.jpg and zidane.jpg, as the original's ASSETS
SUITE_TMP = Path(tempfile.gettempdir()) / "numa_ultralytics_suite"
MODEL = SUITE_TMP / "path with spaces" / "yolo26n.pt"  # path with spaces to test path handling
SOURCE = ASSETS / "bus.jpg"
SOURCES_LIST = [ASSETS / "bus.jpg", ASSETS, ASSETS / "*", ASSETS / "**/*.jpg"]  # file, dir, and glob patterns
# numa: the original's list covers every task: here its detect and segment models (TASK2MODEL) and an NMS-based one
MODELS = ["yolo11n-seg.pt", "yolo26n-seg.pt", "yolo26n.pt"]
# numa: (task, model, data): the original's detect and segment models; coco8-seg is the shared dataset (detect reads its
# boxes)
TASK_MODEL_DATA = [
    ("detect", WEIGHTS_DIR / "yolo26n.pt", "coco8-seg.yaml"),
    ("segment", WEIGHTS_DIR / "yolo26n-seg.pt", "coco8-seg.yaml"),
]
# numa: the original's SOLUTION_ASSETS are demo videos downloaded from ASSETS_URL; here: (shared video, frames,
# rotation) of a short clip cut from it (conftest.py's solution_assets): the people video stands in for the demo video
# (rotated for the vertical one and the portrait tracking one), the cars video for the cropping one. The pose, parking
# and similarity assets are for solutions this package does not provide (SKIPPED.md)
SOLUTION_ASSETS = {
    "demo_video": (MEDIA / "videos" / "seeed_people-walking.mp4", 8, None),
    "crop_video": (MEDIA / "videos" / "intel_car-detection.mp4", 8, None),
    "vertical_video": (MEDIA / "videos" / "seeed_people-walking.mp4", 8, cv2.ROTATE_90_CLOCKWISE),
    "track_video": (MEDIA / "videos" / "seeed_people-walking.mp4", 8, cv2.ROTATE_90_COUNTERCLOCKWISE),
}
