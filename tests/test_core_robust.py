"""The Rust post-processing never panics or crashes on odd inputs: it answers or raises ValueError."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numa_ultralytics import _core

floats = st.sampled_from([0.0, 1.0, -1.0, 0.5, 1e30, -1e30, np.nan, np.inf, -np.inf, 320.0, 1e-7])


@settings(max_examples=150, deadline=None)
@given(
    nc=st.integers(0, 4),
    nm=st.integers(0, 3),
    anchors=st.integers(0, 30),
    mh=st.integers(1, 6),
    mw=st.integers(1, 6),
    in_h=st.integers(1, 64),
    in_w=st.integers(1, 64),
    orig_h=st.integers(1, 200),
    orig_w=st.integers(1, 200),
    fill=floats,
    seed=st.integers(0, 2**16),
    retina=st.booleans(),
    e2e=st.booleans(),
)
def test_postprocess_survives_anything(nc, nm, anchors, mh, mw, in_h, in_w, orig_h, orig_w, fill, seed, retina, e2e):
    rng = np.random.default_rng(seed)
    rows, cols = (anchors, 6 + nm) if e2e else (4 + nc + nm, anchors)
    pred = rng.uniform(-50, 100, (rows, cols)).astype(np.float32)
    if pred.size:
        pred.flat[rng.integers(0, pred.size, 3)] = fill
    protos = rng.normal(size=(nm, mh, mw)).astype(np.float32) if nm else None
    try:
        boxes, rois = _core.postprocess(
            pred, protos, nc, (in_h, in_w), (orig_h, orig_w), conf=0.1, end_to_end=e2e, retina_masks=retina
        )
    except ValueError:
        return
    assert boxes.ndim == 2 and boxes.shape[1] == 6
    if rois is not None:
        assert len(rois) == len(boxes)
        polys = _core.rois_to_polygons(rois, (orig_h, orig_w) if retina else (in_h, in_w), (orig_h, orig_w), False)
        for p in polys:
            assert p.shape[1] == 2 and np.isfinite(p).all()
            assert (p[:, 0] <= orig_w).all() and (p[:, 1] <= orig_h).all()


def test_postprocess_rejects_bad_arguments():
    pred = np.zeros((84, 10), np.float32)
    with pytest.raises(ValueError, match="input_hw"):
        _core.postprocess(pred, None, 80, (0, 640), (10, 10))
    with pytest.raises(ValueError, match="conf"):
        _core.postprocess(pred, None, 80, (640, 640), (10, 10), conf=float("nan"))
    with pytest.raises(ValueError, match="channels"):
        _core.postprocess(pred, np.zeros((32, 4, 4), np.float32), 80, (16, 16), (10, 10))
    with pytest.raises(ValueError, match="does not fit"):
        _core.rois_to_polygons([(10, 10, np.ones((5, 5), np.uint8))], (12, 12), (12, 12), False)
    with pytest.raises(ValueError):
        _core.to_blob(np.zeros((4, 4, 4), np.uint8))
    with pytest.raises(TypeError):
        _core.to_blob(np.zeros((4, 4, 3), np.float32))
