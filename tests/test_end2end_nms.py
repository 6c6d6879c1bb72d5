"""The head a ``.pt`` runs for ``nms``, as Ultralytics 8.4.190 picks it (nn/onnx_builder.py ``head_end2end``).

8.4.190 sets ``model.end2end = nms is False`` before fusing, in predict, val and export alike: a checkpoint with both
heads (one-to-many ``cv2/cv3/cv4``, one-to-one ``one2one_*``) runs the one-to-many head + NMS by default (``nms=None``,
and ``nms=True``) and the one-to-one top-k with ``nms=False``; a fused checkpoint whose one-to-many head was removed
(the released YOLO26 ``.pt``) runs its one-to-one head either way, with a warning.

References: ``tests/fixtures/zoo/nms_reference.json`` (``make_nms_reference.py``: 8.4.190's predict / val / export on
each checkpoint for each ``nms``; the command and versions are in the file) and the zoo's ``.npz`` (``make_zoo.py``:
the outputs of 8.4.190's ONNX exports with ``nms=None`` and, ``e2e_*``, ``nms=False``).

- ``yolov10n`` / ``yolo26-w`` / ``yolo26-seg-w``: random init, both heads. Their scores are ~2e-4 and near-tied, so
  their detections are compared as graphs (the outputs of 8.4.190's export for each head) and by the head each call
  runs, not row by row; their val mAPs are 0 (parity only).
- ``yolo26n-both`` / ``yolo26n-seg-both``: the shared trained ``yolo26n(-seg).pt`` with a one-to-many head put back (a
  copy of the one-to-one branches; made here from our checkpoint reader, as the reference script made it with torch).
  Trained weights on both heads: NMS and top-k give real, different detections and mAPs.
- the shared fused ``yolo26n.pt`` / ``yolo26n-seg.pt`` (the one-to-one head only; the seg model's mask branch is
  untrained: its mask mAP is parity only).
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest

from numa_ultralytics import YOLO
from numa_ultralytics.nn.checkpoint import load_checkpoint
from numa_ultralytics.nn.onnx_builder import (
    HEAD_FUSED_WARNING,
    HEAD_NO_ONE2ONE_WARNING,
    build_onnx,
    head_end2end,
    head_warning,
)

from .conftest import MEDIA, MODELS, need
from .helpers import capture_log, coco8_yaml, session

ZOO = Path(__file__).resolve().parent / "fixtures" / "zoo"
REF = json.loads((ZOO / "nms_reference.json").read_text())
NMS = {"None": None, "False": False, "True": True}
RANDOM = ("yolov10n", "yolo26-w", "yolo26-seg-w")  # zoo fixtures, both heads
FUSED = ("yolo26n", "yolo26n-seg")  # shared, one-to-one only
BOTH = ("yolo26n-both", "yolo26n-seg-both")  # shared + a one-to-many head (both_heads)
TOL = 1e-3  # mAPs: within 0.001 of the original (tests/test_val.py)


@pytest.fixture(scope="module", autouse=True)
def _cache(tmp_path_factory: pytest.TempPathFactory) -> Any:
    mp = pytest.MonkeyPatch()
    mp.setenv("NUMA_ULTRALYTICS_CACHE_DIR", str(tmp_path_factory.mktemp("cache_e2e")))
    yield
    mp.undo()


@pytest.fixture(autouse=True)
def _run_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # val's plots folder


def checkpoint(name: str) -> Path:
    return ZOO / f"{name}.pt" if name in RANDOM else need(MODELS / f"{name}.pt")


def head_of(ckpt: dict[str, Any]) -> Any:
    return ckpt["model"].child("model").children()[-1]


def both_heads(name: str) -> dict[str, Any]:
    """The shared fused checkpoint with ``cv2`` / ``cv3`` (/ ``cv4``) set to its ``one2one_*`` branches (the
    reference script's ``both_heads``, on our reader's stand-ins)."""
    ckpt = load_checkpoint(need(MODELS / f"{name.removesuffix('-both')}.pt"))
    mods = head_of(ckpt).__dict__["_modules"]
    for k in ("cv2", "cv3", "cv4"):
        if mods.get(f"one2one_{k}") is not None:
            mods[k] = mods[f"one2one_{k}"]
    return ckpt


def ref_predict(name: str, key: str) -> dict[str, Any]:
    p = REF["models"][name]["predict"][key]
    return REF["models"][name]["predict"][p] if isinstance(p, str) else p


def meta(model: onnx.ModelProto | Path) -> dict[str, str]:
    m = model if isinstance(model, onnx.ModelProto) else onnx.load(str(model))
    return {p.key: p.value for p in m.metadata_props}


# ---------------------------------------------------------------------------------------------------------- the rule
@pytest.mark.parametrize("name", [*RANDOM, *FUSED, "yolo12n"])
@pytest.mark.parametrize("key", list(NMS))
def test_rule_picks_the_head_8_4_190_runs(name: str, key: str) -> None:
    """``head_end2end`` against the ``end2end`` of 8.4.190's exports (default and ``nms=False``) of the same files;
    ``yolo12n`` has no one-to-one head: never end-to-end, and ``nms=False`` gets 8.4.190's warning."""
    nms = NMS[key]
    head = head_of(load_checkpoint(checkpoint(name) if name != "yolo12n" else ZOO / "yolo12n.pt"))
    got = head_end2end(head, nms)
    if name == "yolo12n":
        assert got is False
        assert head_warning(nms, got) == (HEAD_NO_ONE2ONE_WARNING if nms is False else None)
        return
    want = REF["models"][name]["export"]["nms=False" if nms is False else "default"]["end2end"]
    assert str(got) == want
    fused = name in FUSED
    assert head_warning(nms, got) == (HEAD_FUSED_WARNING if fused and nms is not False else None)


def test_rule_on_a_trained_checkpoint_with_both_heads() -> None:
    head = head_of(both_heads("yolo26n-both"))
    assert head_end2end(head, None) is False and head_end2end(head, True) is False and head_end2end(head, False)


# ----------------------------------------------------------------------------------------------------------- graphs
@pytest.mark.parametrize("name", ["yolo26-w", "yolo26-seg-w"])
@pytest.mark.parametrize("nms", [None, False])
def test_graph_of_each_head_equals_the_export(name: str, nms: bool | None) -> None:
    """The graph built for ``nms`` gives what 8.4.190's ONNX export with that ``nms`` gives: the one-to-many head's
    decoded ``(1, 4 + nc (+ nm), anchors)`` (YOLO26: no DFL, xywh as Detect decodes it when not end-to-end), or the
    one-to-one head's top-k rows."""
    ref = np.load(ZOO / f"{name}.npz")
    model = build_onnx(load_checkpoint(ZOO / f"{name}.pt"), source=ZOO / f"{name}.pt", nms=nms)
    m = meta(model)
    assert m["end2end"] == str(nms is False)
    assert m["end2end"] == (str(ref["e2e_meta_end2end"]) if nms is False else str(ref["meta_end2end"]))
    sess = session(model)
    x = ref["input_bus"].astype(np.float32) / 255.0
    outs = sess.run(None, {"images": x})
    want0 = ref["e2e_bus_output0"] if nms is False else ref["bus_output0"]
    assert outs[0].shape == want0.shape
    assert np.abs(outs[0] - want0).max() <= 1e-4 * max(1.0, float(np.abs(want0).max()))
    if name == "yolo26-seg-w":
        assert np.abs(outs[1] - ref["bus_output1"]).max() <= 1e-4 * max(1.0, float(np.abs(ref["bus_output1"]).max()))


# ---------------------------------------------------------------------------------------------------------- predict
@pytest.mark.parametrize("name", RANDOM)
def test_pt_predict_runs_the_head_nms_picks(name: str, tmp_path: Path) -> None:
    """YOLO(pt): the default runs the one-to-many head + NMS (yolov10n: 84 NMS detections, not the 100 = max_det
    top-k rows), ``nms=False`` the one-to-one top-k, ``nms=True`` as None, each giving 8.4.190's rows; ``nms`` is
    kept by later predict calls that do not pass it, as 8.4.190 keeps its predictor."""
    e = REF["models"][name]
    pt = tmp_path / f"{name}.pt"
    shutil.copy(checkpoint(name), pt)
    model = YOLO(pt)
    bus = str(need(MEDIA / "images" / "bus.jpg"))
    kw = {"imgsz": e["imgsz"], "conf": e["conf"], "max_det": 100, "verbose": False}
    seen = {}
    for key, nms in NMS.items():
        with capture_log() as lines:
            r = model.predict(bus, nms=nms, **kw)[0]
        assert not [s for s in lines if "head" in s]  # both heads: no warning
        seen[key] = model.backend.end2end
        # 8.4.190 through its own ONNX export of the head: the same rows (its torch run differs by float noise,
        # which reorders these near-tied scores: yolov10n's NMS keeps 77 there, 84 here and in its ONNX run)
        check_rows(r, e["predict_onnx"]["False" if nms is False else "None"], conf_tol=1e-7)
        want = ref_predict(name, key)  # its torch run: the same head (top-k: the same scores; NMS: fewer than 100)
        if nms is False:
            assert np.abs(np.sort(r.boxes.conf) - np.sort(want["conf"])).max() < 1e-6
        assert (len(r.boxes) == 100) == (len(want["conf"]) == 100)
    assert seen == {"None": False, "False": True, "True": False}
    model.predict(bus, nms=False, **kw)
    model.predict(bus, **kw)  # nms kept: still the one-to-one head
    assert model.backend.end2end
    model.predict(bus, nms=None, **kw)
    assert not model.backend.end2end


def test_track_and_cache_follow_the_head(tmp_path: Path) -> None:
    """track picks the head as predict does (and shares its kept ``nms``); the cached graphs of the two heads are two
    entries, each with its ``end2end``."""
    from numa_ultralytics.nn.pt_loader import pt_to_onnx

    pt = tmp_path / "yolo26-w.pt"
    shutil.copy(checkpoint("yolo26-w"), pt)
    one2many, one2one = pt_to_onnx(pt), pt_to_onnx(pt, nms=False)
    assert one2many != one2one and pt_to_onnx(pt, nms=True) == one2many
    assert meta(one2many)["end2end"] == "False" and meta(one2one)["end2end"] == "True"
    model = YOLO(pt)
    assert model.backend.path == one2many
    bus = str(need(MEDIA / "images" / "bus.jpg"))
    r = model.track(bus, nms=False, imgsz=160, conf=0.0, verbose=False)[0]
    assert model.backend.path == one2one and len(r.boxes) > 0
    model.predict(bus, imgsz=160, verbose=False)
    assert model.backend.end2end  # nms=False kept from track
    model.track(bus, nms=None, imgsz=160, verbose=False)
    assert model.backend.path == one2many


def check_rows(r: Any, want: dict[str, Any], conf_tol: float = 1e-4) -> None:
    """Our result's rows (in order) against 8.4.190's: boxes within 0.05 px (stored to 1e-4), conf, classes, masks."""
    assert len(r.boxes) == len(want["conf"])
    assert np.abs(r.boxes.xyxy - np.asarray(want["xyxy"]).reshape(-1, 4)).max() < 0.05
    assert np.abs(r.boxes.conf - np.asarray(want["conf"])).max() < conf_tol
    assert r.boxes.cls.astype(int).tolist() == want["cls"]
    if "mask_pixels" in want:
        assert list(r.masks.data.shape[1:]) == want["mask_shape"]
        got = r.masks.data.reshape(len(r.boxes), -1).sum(1)
        assert np.abs(got - np.asarray(want["mask_pixels"])).max() <= 0.002 * max(want["mask_pixels"]) + 2


@pytest.mark.parametrize("name", FUSED)
def test_fused_pt_predict_equals_original(name: str, tmp_path: Path) -> None:
    """The released YOLO26 ``.pt``: the one-to-one head for every ``nms``, 8.4.190's warning when ``nms`` is not
    False (once per setting, as its predictor warns when it is set up)."""
    pt = tmp_path / f"{name}.pt"
    shutil.copy(checkpoint(name), pt)
    model = YOLO(pt)
    bus = str(need(MEDIA / "images" / "bus.jpg"))
    for key, nms in NMS.items():
        with capture_log() as lines:
            r = model.predict(bus, nms=nms, max_det=100, verbose=False)[0]
        assert model.backend.end2end
        warned = [s for s in lines if HEAD_FUSED_WARNING in s]
        assert len(warned) == (0 if nms is False else 1)
        check_rows(r, ref_predict(name, key))
    with capture_log() as lines:
        model.predict(bus, max_det=100, verbose=False)  # nms=True kept: no new warning
    assert not lines


@pytest.mark.parametrize("name", BOTH)
@pytest.mark.parametrize("key", list(NMS))
def test_both_heads_predict_equals_original(name: str, key: str, tmp_path: Path) -> None:
    """Trained weights on both heads: NMS over the one-to-many head (None, True) and the one-to-one top-k (False)
    each give 8.4.190's detections."""
    nms = NMS[key]
    path = tmp_path / f"{name}.onnx"
    path.write_bytes(build_onnx(both_heads(name), nms=nms).SerializeToString())
    model = YOLO(path)
    assert model.backend.end2end is (nms is False)
    r = model.predict(str(need(MEDIA / "images" / "bus.jpg")), max_det=100, verbose=False)[0]
    check_rows(r, ref_predict(name, key))


# -------------------------------------------------------------------------------------------------------------- val
def check_val(m: Any, want: dict[str, float]) -> None:
    rd = m.results_dict
    assert list(rd) == list(want)
    for k, v in want.items():
        assert abs(rd[k] - v) < TOL, (k, rd[k], v)


@pytest.mark.parametrize("name", [*BOTH, *FUSED])
@pytest.mark.parametrize("key", list(NMS))
def test_val_equals_original(name: str, key: str, tmp_path: Path) -> None:
    """``model.val(data=coco8-seg, nms=...)``'s results_dict (box, and mask for the seg models) equals 8.4.190's."""
    nms = NMS[key]
    if name in BOTH:
        path = tmp_path / f"{name}.onnx"
        path.write_bytes(build_onnx(both_heads(name), nms=nms).SerializeToString())
    else:
        path = tmp_path / f"{name}.pt"
        shutil.copy(checkpoint(name), path)
    model = YOLO(path)
    with capture_log() as lines:
        m = model.val(data=str(coco8_yaml(tmp_path, model.names)), imgsz=640, batch=1, nms=nms, plots=False)
    if name in FUSED:
        assert model.backend.end2end
        assert any(HEAD_FUSED_WARNING in s for s in lines) == (nms is not False)
    check_val(m, REF["models"][name]["val"][key])


@pytest.mark.parametrize("name", RANDOM)
def test_random_val_equals_original(name: str, tmp_path: Path) -> None:
    """Random init: 8.4.190's mAPs are 0 for each head (parity only); ours are too, on the head ``nms`` picks."""
    e = REF["models"][name]
    pt = tmp_path / f"{name}.pt"
    shutil.copy(checkpoint(name), pt)
    model = YOLO(pt)
    data = str(coco8_yaml(tmp_path, model.names))
    for key, nms in NMS.items():
        m = model.val(data=data, imgsz=e["imgsz"], batch=1, nms=nms, conf=e["conf"], plots=False, verbose=False)
        assert model.backend.end2end is (nms is False)
        check_val(m, e["val"][key])


# ----------------------------------------------------------------------------------------------------------- export
@pytest.mark.parametrize("name", [*RANDOM, *FUSED])
@pytest.mark.parametrize("kw", ["default", "nms=False"])
def test_export_head_and_metadata(name: str, kw: str, tmp_path: Path) -> None:
    """``export()``'s default is 8.4.190's (``nms=None``: the one-to-many head where there is one) and ``nms=False``
    the one-to-one head; metadata ``end2end`` and ``args`` as 8.4.190 writes them."""
    pt = tmp_path / f"{name}.pt"
    shutil.copy(checkpoint(name), pt)
    args = {"nms": False} if kw == "nms=False" else {}
    out = YOLO(pt).export(format="onnx", dynamic=True, imgsz=160, **args)
    m, want = meta(Path(out)), REF["models"][name]["export"][kw]
    assert m["end2end"] == want["end2end"]
    assert ast.literal_eval(m["args"]) == ast.literal_eval(want["args"])


def test_export_nms_true(tmp_path: Path) -> None:
    """``nms=True``: on the one-to-one head 8.4.190 exports it as ``nms=None`` with a warning; on a one-to-many head
    (NMS inside the graph) it is not supported."""
    pt = tmp_path / "yolo26n.pt"
    shutil.copy(checkpoint("yolo26n"), pt)
    with capture_log() as lines:
        out = YOLO(pt).export(format="onnx", imgsz=160, nms=True)
    assert any("Forcing 'nms=None'" in s for s in lines) and any(HEAD_FUSED_WARNING in s for s in lines)
    m = meta(Path(out))
    assert m["end2end"] == "True" and ast.literal_eval(m["args"])["nms"] is None
    both = tmp_path / "yolo26-w.pt"
    shutil.copy(checkpoint("yolo26-w"), both)
    with pytest.raises(NotImplementedError, match="nms=True"):
        YOLO(both).export(format="onnx", imgsz=160, nms=True)
