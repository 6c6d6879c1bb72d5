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


def _letterbox_rule(orig_hw, new_shape, auto, stride):
    """Ultralytics 8.4.190 ``LetterBox`` sizes, in Python (banker's rounding)."""
    h0, w0 = orig_hw
    r = min(new_shape[0] / h0, new_shape[1] / w0)
    new_w, new_h = max(round(w0 * r), 1), max(round(h0 * r), 1)
    dw, dh = new_shape[1] - new_w, new_shape[0] - new_h
    if auto:
        dw, dh = dw % stride, dh % stride
    dw, dh = dw / 2, dh / 2
    return (new_h, new_w), (round(dh - 0.1), round(dh + 0.1), round(dw - 0.1), round(dw + 0.1))


@settings(max_examples=500, deadline=None)
@given(
    orig=st.tuples(st.integers(1, 5000), st.integers(1, 5000)),
    new=st.tuples(st.integers(1, 2000), st.integers(1, 2000)),
    auto=st.booleans(),
    stride=st.sampled_from([1, 7, 16, 32, 64]),
)
def test_letterbox_plan_is_ultralytics_rule(orig, new, auto, stride):
    assert _core.letterbox_plan(orig, new, auto, stride) == _letterbox_rule(orig, new, auto, stride)


def test_letterbox_plan_rejects_empty_shapes():
    with pytest.raises(ValueError, match="orig_hw"):
        _core.letterbox_plan((0, 10), (64, 64), False, 32)
    with pytest.raises(ValueError, match="new_shape"):
        _core.letterbox_plan((10, 10), (64, 0), False, 32)
    with pytest.raises(ValueError, match="stride"):
        _core.letterbox_plan((10, 10), (64, 64), True, 0)


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(0, 8),
    k=st.integers(4, 8),
    hw=st.tuples(st.integers(1, 2000), st.integers(1, 2000)),
    seed=st.integers(0, 2**16),
)
def test_clip_boxes_is_numpy_clip(n, k, hw, seed):
    rng = np.random.default_rng(seed)
    boxes = rng.normal(0, 1500, (n, k + 1)).astype(np.float32)
    if boxes.size:
        boxes.flat[rng.integers(0, boxes.size)] = np.nan
    expected = boxes[:, :-1].copy()
    expected[:, [0, 2]] = expected[:, [0, 2]].clip(0, hw[1])
    expected[:, [1, 3]] = expected[:, [1, 3]].clip(0, hw[0])
    got = _core.clip_boxes(boxes[:, :-1], hw)  # a strided view, as apply_tracker passes
    assert got.dtype == np.float32 and got.flags.c_contiguous
    np.testing.assert_array_equal(got, expected)
    with pytest.raises(ValueError):
        _core.clip_boxes(np.zeros((2, 3), np.float32), hw)
