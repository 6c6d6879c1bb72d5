"""``YOLO(path.pt).info()`` as 8.4.190's: layers (leaf modules), parameters and gradients (``requires_grad`` as
pickled) counted on the checkpoint's module tree (nn/checkpoint.py ``checkpoint_summary``), ``summary (fused)`` for a
fused checkpoint; GFLOPs from the graph that runs: 8.4.190's for the fused (shared) checkpoints, fewer for the unfused
zoo ones (the original's thop counts their BatchNorms and both heads; here the fused graph of the head that runs).

Reference: tests/fixtures/info_reference.json, made by ``YOLO_OFFLINE=1 /opt/ultra/bin/python
tests/fixtures/make_info_reference.py`` (e.g. yolov10n.pt: ``YOLOv10n summary: 223 layers, 2,775,520 parameters,
2,775,504 gradients, 8.8 GFLOPs``; before, this package said 83 layers / 2,299,264 parameters: its graph's).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from numa_ultralytics import YOLO

from .conftest import MODELS, need
from .helpers import capture_log

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REF = json.loads((FIXTURES / "info_reference.json").read_text())
ZOO = tuple(p.name for p in (FIXTURES / "zoo").glob("*.pt"))  # unfused (yolov10n, yolo26-*: both heads)


@pytest.mark.parametrize("name", list(REF["models"]))
def test_info_as_the_original(name: str, tmp_path: Path) -> None:
    e = REF["models"][name]
    pt = tmp_path / name
    shutil.copy(FIXTURES / "zoo" / name if name in ZOO else need(MODELS / name), pt)
    model = YOLO(pt)
    with capture_log() as lines:
        layers, params, grads, flops = model.info()
    assert [layers, params, grads] == e["info"][:3]
    line = next(s for s in lines if "summary" in s)
    if name in ZOO:  # unfused: the graph's GFLOPs (the fused head that runs) are below the original's thop count
        assert 0 < flops < e["info"][3] and "(fused)" not in line
        assert line.rsplit(", ", 1)[0] == e["line"].rsplit(", ", 1)[0]
    else:
        assert flops == e["info"][3] and line == e["line"]  # the float itself (12.0027648, not 12.002765)
    assert model.info(verbose=False) == (layers, params, grads, flops)
