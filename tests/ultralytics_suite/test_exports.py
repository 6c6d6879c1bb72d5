# Ultralytics 🚀 AGPL-3.0 License - https://ultralytics.com/license
"""Ultralytics 8.4.190 ``tests/test_exports.py``, the in-scope tests (see __init__.py and SKIPPED.md): ONNX export
of the test model (``yolo26n.pt``, read from the checkpoint without torch)."""

import pytest

from numa_ultralytics import YOLO
from tests.ultralytics_suite import SOURCE


@pytest.mark.parametrize("nms", [None, False])
def test_export_onnx(nms, isolated_model):
    """Test YOLO model export to ONNX format with dynamic axes."""
    file = YOLO(isolated_model).export(format="onnx", dynamic=True, imgsz=32, nms=nms)
    YOLO(file)(SOURCE, imgsz=32)  # exported model inference
