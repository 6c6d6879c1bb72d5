"""``model.embed`` as 8.4.190 (engine/model.py ``embed``): per image, the chosen layers' outputs averaged over the
letterboxed image and concatenated; the default is the second-to-last layer. Reference: tests/fixtures/
embed_reference.json (8.4.190's vectors, made by tests/fixtures/make_embed_reference.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from numa_ultralytics import YOLO

from .conftest import MEDIA, MODELS, need
from .fixtures.make_embed_reference import CASES

REF = json.loads((Path(__file__).parent / "fixtures" / "embed_reference.json").read_text())


@pytest.mark.parametrize("key,model,image,embed", CASES)
def test_embed_equals_the_original(key, model, image, embed):
    kw = {"embed": embed} if embed else {}
    out = YOLO(str(need(MODELS / model))).embed(str(MEDIA / "images" / image), **kw)
    assert len(out) == 1
    v = out[0]
    ref = np.array(REF["cases"][key], dtype=np.float32)
    assert v.shape == ref.shape and v.dtype == np.float32
    assert np.abs(v - ref).max() <= 2e-5 * max(1.0, float(np.abs(ref).max()))  # float32 sums in another order
    assert v.cpu().numpy().tolist() == v.tolist()  # the torch-style calls users make on it


def test_embed_stream_list_and_refusals(tmp_path):
    m = YOLO(str(need(MODELS / "yolo11n-seg.pt")))
    ims = [str(MEDIA / "images" / n) for n in ("bus.jpg", "zidane.jpg")]
    listed = m.embed(ims)
    streamed = list(m.embed(ims, stream=True))
    alone = [m.embed(p)[0] for p in ims]
    assert len(listed) == 2 and all(
        np.array_equal(a, b) and np.array_equal(a, c) for a, b, c in zip(listed, streamed, alone)
    )
    assert len(m.predict(ims[0], verbose=False)[0]) > 0  # predict afterwards gives Results as before
    assert np.array_equal(m.predict(ims[0], embed=[16])[0], m.embed(ims[0], embed=[16])[0])  # 8.4.190's other spelling
    with pytest.raises(ValueError, match=r"layer 10 is not one this model can embed; choose from \[16, 19, 22\]"):
        m.embed(ims[0], embed=[10])
    with pytest.raises(TypeError, match=r"should be a \*\.pt PyTorch model"):
        YOLO(str(need(MODELS / "yolo11n-seg-dynamic.onnx"))).embed(ims[0])
