"""Torch-free .pt loading: restricted unpickler, ONNX graph builder, cache.

The graphs built from the shared YOLO11n-seg / YOLOv8n-seg checkpoints are compared with the Ultralytics ONNX exports
of the same weights on real letterboxed images at several input sizes.
"""

from __future__ import annotations

import ast
import os
import pickle
import shutil
import zipfile
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
import onnx
import pytest

from numa_ultralytics.nn import pt_loader, pt_unpickler, standins
from numa_ultralytics.nn.checkpoint import load_checkpoint
from numa_ultralytics.nn.onnx_builder import build_onnx, fuse_conv_bn
from numa_ultralytics.nn.pt_loader import pt_to_onnx
from numa_ultralytics.nn.safety import UnsafeCheckpointError
from numa_ultralytics.nn.standins import StandIn

try:  # tests/ may or may not be a package
    from .conftest import MEDIA, MODELS, need
    from .helpers import letterbox, session
except ImportError:
    from conftest import MEDIA, MODELS, need
    from helpers import letterbox, session

MODEL_NAMES = ["yolo11n-seg", "yolov8n-seg"]


# -------------------------------------------------------------------------------- helpers


def rewrite_pt(
    src: Path,
    dst: Path,
    pkl: Callable[[bytes], bytes] | None = None,
    drop: Callable[[str], bool] | None = None,
) -> Path:
    """Copy a torch zip, optionally transforming data.pkl and dropping entries."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            if drop is not None and drop(info.filename):
                continue
            data = zin.read(info.filename)
            if pkl is not None and info.filename.endswith("/data.pkl"):
                data = pkl(data)
            zout.writestr(info.filename, data)
    return dst


def make_torch_zip(path: Path, pickle_bytes: bytes, extra: dict | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle_bytes)
        z.writestr("archive/version", "3\n")
        for k, v in (extra or {}).items():
            z.writestr(k, v)
    return path


def walk(m: StandIn):
    yield m
    for c in m.children():
        if isinstance(c, StandIn):
            yield from walk(c)


# -------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def pt_copies(tmp_path_factory) -> dict:
    """The shared checkpoints copied to a temp folder (so that the ONNX cache is not written into shared/)."""
    d = tmp_path_factory.mktemp("pt")
    out = {}
    for name in MODEL_NAMES:
        out[name] = Path(shutil.copy(need(MODELS / f"{name}.pt"), d / f"{name}.pt"))
    return out


@pytest.fixture(scope="module")
def built(pt_copies) -> dict:
    return {name: pt_to_onnx(p) for name, p in pt_copies.items()}


@pytest.fixture(scope="module")
def images() -> dict:
    return {n: cv2.imread(str(need(MEDIA / "images" / f"{n}.jpg"))) for n in ("bus", "zidane")}


@pytest.fixture(scope="module")
def sessions(built) -> dict:
    out = {}
    for name, path in built.items():
        out[name] = (session(path), session(need(MODELS / f"{name}-dynamic.onnx")))
    return out


# -------------------------------------------------------------------------------- parity


@pytest.mark.parametrize("name", MODEL_NAMES)
@pytest.mark.parametrize("size", [(640, 480), (320, 320), (480, 640)])
def test_parity_with_ultralytics_export(sessions, images, name, size):
    ours, ref = sessions[name]
    h, w = size
    for img_name, img in images.items():
        x = letterbox(img, h, w)
        a = ours.run(["output0", "output1"], {"images": x})
        b = ref.run(None, {"images": x})
        assert len(a) == len(b) == 2
        anchors = (h // 8) * (w // 8) + (h // 16) * (w // 16) + (h // 32) * (w // 32)
        assert a[0].shape == (1, 116, anchors)
        assert a[1].shape == (1, 32, h // 4, w // 4)
        for o, p in zip(a, b):
            assert o.shape == p.shape
            diff = float(np.abs(o - p).max())
            assert diff <= 1e-3, f"{name} {img_name} {size}: max abs diff {diff}"
        # real detections: confident boxes exist and are inside the image
        conf = a[0][0, 4:84].max(0)
        assert conf.max() > 0.5, f"{name} {img_name}: no confident detection"
        xywh = a[0][0, :4, conf > 0.5]
        assert np.all(xywh[0] > 0) and np.all(xywh[0] < w) and np.all(xywh[1] > 0) and np.all(xywh[1] < h)
    # The graph also outputs the detection head's inputs (ReID 'model: auto'), one map per stride.
    assert [o.name for o in ours.get_outputs()] == ["output0", "output1", "feats0", "feats1", "feats2"]
    feats = ours.run(["feats0", "feats1", "feats2"], {"images": letterbox(next(iter(images.values())), h, w)})
    assert [f.shape for f in feats] == [(1, 64 * 2**i, h // s, w // s) for i, s in enumerate((8, 16, 32))]


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_parity_batch2(sessions, images, name):
    ours, ref = sessions[name]
    x = np.concatenate([letterbox(images["bus"], 320, 256), letterbox(images["zidane"], 320, 256)])
    a = ours.run(None, {"images": x})
    b = ref.run(None, {"images": x})
    assert a[0].shape == (2, 116, 40 * 32 + 20 * 16 + 10 * 8)
    for o, p in zip(a, b):
        assert float(np.abs(o - p).max()) <= 1e-3
    # each batch item equals its single-image run
    single = ours.run(None, {"images": x[1:]})
    assert float(np.abs(single[0][0] - a[0][1]).max()) <= 1e-4


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_graph_interface_and_metadata(built, name):
    ours = session(built[name])
    ref = session(need(MODELS / f"{name}-dynamic.onnx"))
    assert [i.name for i in ours.get_inputs()] == ["images"]
    assert ours.get_inputs()[0].shape == ["batch", 3, "height", "width"]
    # the head outputs as the original's export, then the feature maps ReID 'model: auto' reads
    assert [o.name for o in ours.get_outputs()] == ["output0", "output1", "feats0", "feats1", "feats2"]
    assert [o.shape for o in ours.get_outputs()[:2]] == [o.shape for o in ref.get_outputs()]
    m_ours = ours.get_modelmeta().custom_metadata_map
    m_ref = ref.get_modelmeta().custom_metadata_map
    assert set(m_ref) <= set(m_ours)
    for key in ("stride", "task", "batch", "imgsz", "names", "end2end", "channels", "head", "description", "author"):
        assert m_ours[key] == m_ref[key], key
    assert ast.literal_eval(m_ours["names"])[0] == "person"
    assert ast.literal_eval(m_ours["imgsz"]) == [640, 640]
    assert ast.literal_eval(m_ours["args"])["dynamic"] is True
    assert m_ours["version"] == m_ref["version"]
    model = onnx.load(str(built[name]))
    assert model.opset_import[0].version <= 17 and model.ir_version <= 8  # runs on onnxruntime >= 1.17


# -------------------------------------------------------------------------------- loader


def test_load_checkpoint_contents(pt_copies):
    ck = load_checkpoint(pt_copies["yolo11n-seg"])
    assert ck["version"] == "8.4.190"
    assert ck["train_args"]["task"] == "segment"
    model = ck["model"]
    assert isinstance(model, StandIn) and model.qualname() == "ultralytics.nn.tasks.SegmentationModel"
    assert model.task == "segment" and model.names[0] == "person" and len(model.names) == 80
    np.testing.assert_array_equal(model.stride, [8.0, 16.0, 32.0])
    layers = model.child("model").children()
    assert len(layers) == 24 and layers[-1].cls_name == "Segment" and layers[-1].f == [16, 19, 22]
    conv = layers[0].child("conv")
    w = conv.child("weight")
    assert isinstance(w, np.ndarray) and w.dtype == np.float16 and w.shape == (16, 3, 3, 3)
    assert conv.stride == (2, 2) and conv.padding == (1, 1)
    assert np.isfinite(w.astype(np.float32)).all() and np.abs(w).max() > 0
    assert layers[0].forward.name == "forward_fuse"  # a fused checkpoint


def test_strided_and_offset_tensors():
    storage = pt_unpickler._Storage(np.arange(20, dtype=np.float32))
    t = pt_unpickler._rebuild_tensor_v2(storage, 2, (3, 4), (1, 3), False, {})  # transposed view at offset 2
    np.testing.assert_array_equal(t, np.arange(2, 14, dtype=np.float32).reshape(4, 3).T)
    with pytest.raises(ValueError, match="exceeds its storage"):
        pt_unpickler._rebuild_tensor_v2(storage, 10, (3, 4), (4, 1), False, {})


# -------------------------------------------------------------------------------- safety


class _Evil:
    def __init__(self, cmd: str) -> None:
        self.cmd = cmd

    def __reduce__(self):
        return (os.system, (self.cmd,))


def _global_call(module: str, name: str, arg: object) -> bytes:
    """Protocol-2 pickle bytes for ``module.name(arg)`` inside a checkpoint-like dict."""
    body = pickle.dumps(arg, protocol=2)[2:-1]  # the argument, without PROTO/STOP
    return (
        b"\x80\x02}X\x05\x00\x00\x00model"
        + b"c"
        + module.encode()
        + b"\n"
        + name.encode()
        + b"\n"
        + body
        + b"\x85R"  # TUPLE1, REDUCE
        + b"s."  # SETITEM, STOP
    )


def test_malicious_os_system_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    evil = make_torch_zip(tmp_path / "evil.pt", pickle.dumps({"model": _Evil(f"touch {marker}")}, protocol=2))
    for fn in (load_checkpoint, pt_to_onnx):
        with pytest.raises(ValueError, match=r"global '(posix|os)\.system'.*not allowed"):
            fn(evil)
    assert not marker.exists()
    assert not list(tmp_path.glob("*.onnx"))


@pytest.mark.parametrize(
    "module,name,arg",
    [
        ("os", "system", "touch {m}"),
        ("builtins", "eval", "open({m!r}, 'w')"),
        ("builtins", "exec", "open({m!r}, 'w').close()"),
        ("__builtin__", "exec", "open({m!r}, 'w').close()"),
        ("subprocess", "check_call", ["touch", "{m}"]),
        ("torch", "load", "{m}"),
        ("torch.storage", "_load_from_bytes", b"{m}"),
        ("numpy", "load", "{m}"),
    ],
)
def test_disallowed_globals_are_refused(tmp_path, module, name, arg):
    marker = tmp_path / "pwned"
    if isinstance(arg, str):
        arg = arg.format(m=str(marker))
    elif isinstance(arg, bytes):
        arg = arg.replace(b"{m}", str(marker).encode())
    else:
        arg = [a.format(m=str(marker)) for a in arg]
    evil = make_torch_zip(tmp_path / "evil.pt", _global_call(module, name, arg))
    shown = "builtins" if module == "__builtin__" else module
    with pytest.raises(UnsafeCheckpointError, match=rf"'{shown}\.{name}'"):
        load_checkpoint(evil)
    assert not marker.exists()


def test_malicious_global_inside_real_checkpoint(pt_copies, tmp_path):
    """A real checkpoint whose pickle has one global swapped for posix.system is refused (before any call)."""
    marker = tmp_path / "pwned"
    src = pt_copies["yolo11n-seg"]

    def swap(data: bytes) -> bytes:
        assert b"collections\nOrderedDict\n" in data
        return data.replace(b"collections\nOrderedDict\n", b"posix\nsystem\n")

    bad = rewrite_pt(src, tmp_path / "bad.pt", pkl=swap)
    with pytest.raises(UnsafeCheckpointError, match=r"'posix\.system'"):
        pt_to_onnx(bad)
    assert not marker.exists() and not list(tmp_path.glob("*.onnx"))


def test_pickle_cannot_modify_allowed_objects(tmp_path, pt_copies):
    # BUILD on an allow-listed global (torch.HalfStorage) with slot state {'dtype': 1}
    data = b"\x80\x02ctorch\nHalfStorage\nN}X\x05\x00\x00\x00dtypeK\x01s\x86b."
    with pytest.raises(ValueError, match="modify"):
        load_checkpoint(make_torch_zip(tmp_path / "a.pt", data))
    # setattr on a stand-in class
    data = b"\x80\x02cultralytics.nn.modules.conv\nConv\nN}X\x03\x00\x00\x00fooK\x01s\x86b."
    with pytest.raises(ValueError, match="modify"):
        load_checkpoint(make_torch_zip(tmp_path / "b.pt", data))
    # getattr on something that is not a stand-in
    data = b"\x80\x02c__builtin__\ngetattr\nccollections\nOrderedDict\nX\x08\x00\x00\x00__init__\x86R."
    with pytest.raises(UnsafeCheckpointError, match="getattr"):
        load_checkpoint(make_torch_zip(tmp_path / "c.pt", data))
    # extension-registry opcodes bypass find_class: refused
    with pytest.raises(UnsafeCheckpointError, match="EXT1"):
        load_checkpoint(make_torch_zip(tmp_path / "d.pt", b"\x80\x02\x82\x01."))
    # and nothing leaked into later loads
    assert load_checkpoint(pt_copies["yolo11n-seg"])["model"].child("model").children()[0].child("conv").child(
        "weight"
    ).dtype == np.dtype(np.float16)


# -------------------------------------------------------------------------------- bad files


def test_truncated_file(pt_copies, tmp_path):
    data = pt_copies["yolo11n-seg"].read_bytes()
    for frac in (0.5, 0.99):
        bad = tmp_path / f"trunc{frac}.pt"
        bad.write_bytes(data[: int(len(data) * frac)])
        with pytest.raises(ValueError, match="truncated or corrupt"):
            pt_to_onnx(bad)
    assert not list(tmp_path.glob("*.onnx"))


def test_missing_storage(pt_copies, tmp_path):
    bad = rewrite_pt(pt_copies["yolo11n-seg"], tmp_path / "nostorage.pt", drop=lambda n: n.endswith("/data/7"))
    with pytest.raises(ValueError, match=r"tensor storage .*data/7 is missing"):
        pt_to_onnx(bad)


def test_non_zip_files(tmp_path):
    cases = {
        "text.pt": (b"hello, this is not a model\n", "not a zip archive"),
        "empty.pt": (b"", "not a zip archive"),
        "legacy.pt": (pickle.dumps({"model": 1}, protocol=2), "legacy"),
        "onnx.pt": (need(MODELS / "yolo11n-seg.onnx").read_bytes()[:4096], "not a zip archive"),
    }
    for fname, (data, msg) in cases.items():
        p = tmp_path / fname
        p.write_bytes(data)
        with pytest.raises(ValueError, match=msg):
            pt_to_onnx(p)
    with pytest.raises(FileNotFoundError):
        pt_to_onnx(tmp_path / "missing.pt")


def test_wrong_content(tmp_path):
    p = tmp_path / "other.pt"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("readme.txt", "just a zip")
    with pytest.raises(ValueError, match=r"not a torch checkpoint: no '<name>/data.pkl'"):
        pt_to_onnx(p)
    p = make_torch_zip(tmp_path / "list.pt", pickle.dumps([1, 2, 3], protocol=2))
    with pytest.raises(ValueError, match="not an Ultralytics checkpoint"):
        pt_to_onnx(p)
    p = make_torch_zip(tmp_path / "weights_only.pt", pickle.dumps({"epoch": 3, "model": None}, protocol=2))
    with pytest.raises(ValueError, match="no 'model' module"):
        pt_to_onnx(p)
    p = make_torch_zip(tmp_path / "garbage.pt", b"\x80\x02}q\x00(X\x01")
    with pytest.raises(ValueError, match="corrupt checkpoint pickle"):
        pt_to_onnx(p)


def test_unsupported_architectures(pt_copies, tmp_path):
    src = pt_copies["yolo11n-seg"]
    pose = rewrite_pt(
        src,
        tmp_path / "pose.pt",
        pkl=lambda d: d.replace(b"ultralytics.nn.tasks\nSegmentationModel\n", b"ultralytics.nn.tasks\nPoseModel\n"),
    )
    with pytest.raises(NotImplementedError, match="PoseModel"):
        pt_to_onnx(pose)
    unknown = rewrite_pt(
        src,
        tmp_path / "unknown.pt",
        pkl=lambda d: d.replace(b"ultralytics.nn.modules.block\nC2PSA\n", b"ultralytics.nn.modules.block\nC2fAttn\n"),
    )
    with pytest.raises(NotImplementedError, match=r"ultralytics\.nn\.modules\.block\.C2fAttn"):
        pt_to_onnx(unknown)
    ck = load_checkpoint(src)
    head = ck["model"].child("model").children()[-1]
    head.__class__ = standins._standin_class("ultralytics.nn.modules.head", "Pose")
    with pytest.raises(NotImplementedError, match="Pose"):
        build_onnx(ck)


# -------------------------------------------------------------------------------- cache


def test_cache_reused_in_user_cache(pt_copies, tmp_path, monkeypatch):
    """The ONNX goes to $NUMA_ULTRALYTICS_CACHE_DIR (never beside the checkpoint) and is reused as is."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("NUMA_ULTRALYTICS_CACHE_DIR", str(cache))
    pt = Path(shutil.copy(pt_copies["yolov8n-seg"], tmp_path / "m.pt"))
    p1 = pt_to_onnx(pt)
    assert p1.parent == cache and p1.suffix == ".onnx"
    assert pt_loader._sha256(pt)[:16] in p1.name
    st1 = p1.stat()
    p2 = pt_to_onnx(str(pt))
    assert p2 == p1
    st2 = p2.stat()
    assert (st2.st_mtime_ns, st2.st_ino, st2.st_size) == (st1.st_mtime_ns, st1.st_ino, st1.st_size)
    assert not list(tmp_path.glob("*.onnx"))


# -------------------------------------------------------------------------------- variants


def test_detect_model_from_segment_checkpoint(pt_copies, images):
    """A DetectionModel with a Detect head (same weights minus the mask branch) gives the box/score rows."""
    ck = load_checkpoint(pt_copies["yolo11n-seg"])
    model = ck["model"]
    model.__class__ = standins._standin_class("ultralytics.nn.tasks", "DetectionModel")
    model.task = "detect"
    head = model.child("model").children()[-1]
    head.__class__ = standins._standin_class("ultralytics.nn.modules.head", "Detect")
    for k in ("cv4", "proto"):
        del head._modules[k]
    det = build_onnx(ck)
    s = session(det)
    assert [o.name for o in s.get_outputs()] == ["output0"]
    meta = s.get_modelmeta().custom_metadata_map
    assert meta["task"] == "detect" and meta["head"] == "Detect"
    seg = session(need(MODELS / "yolo11n-seg-dynamic.onnx"))
    x = letterbox(images["bus"], 320, 320)
    (a,) = s.run(None, {"images": x})
    b = seg.run(None, {"images": x})[0]
    assert a.shape == (1, 84, 2100)
    assert float(np.abs(a - b[:, :84]).max()) <= 1e-3


def test_unfused_checkpoint_is_fused(pt_copies, images):
    """Conv+BatchNorm (not fused) gives the same outputs as the fused checkpoint."""
    ck = load_checkpoint(pt_copies["yolo11n-seg"])
    rng = np.random.default_rng(0)
    bn_cls = standins._standin_class("torch.nn.modules.batchnorm", "BatchNorm2d")
    n = 0
    for m in walk(ck["model"]):
        if m.cls_name not in ("Conv", "DWConv"):
            continue
        conv = m.child("conv")
        w = conv.child("weight").astype(np.float64)
        b = conv.child("bias").astype(np.float64)
        c = w.shape[0]
        gamma, var = rng.uniform(0.5, 2.0, c), rng.uniform(0.5, 2.0, c)
        mean, eps = rng.normal(0.0, 0.1, c), 1e-3
        scale = gamma / np.sqrt(var + eps)
        conv._parameters["weight"] = (w / scale[:, None, None, None]).astype(np.float32)
        conv._parameters["bias"] = None
        bn = bn_cls()
        bn.__setstate__(
            {
                "_parameters": {"weight": gamma.astype(np.float32), "bias": (b + mean * scale).astype(np.float32)},
                "_buffers": {"running_mean": mean.astype(np.float32), "running_var": var.astype(np.float32)},
                "_modules": {},
                "eps": eps,
            }
        )
        m._modules["bn"] = bn
        del m.__dict__["forward"]  # not fused
        n += 1
    assert n > 80
    s = session(build_onnx(ck))
    ref = session(need(MODELS / "yolo11n-seg-dynamic.onnx"))
    x = letterbox(images["zidane"], 320, 320)
    for o, p in zip(s.run(None, {"images": x}), ref.run(None, {"images": x})):
        # float32 rounding of the unfused weights: ~4e-4 px on boxes here; relative slack for large coordinates
        np.testing.assert_allclose(o, p, rtol=1e-5, atol=1e-3)


def test_fuse_conv_bn_matches_batchnorm():
    rng = np.random.default_rng(1)
    w = rng.normal(size=(4, 3, 3, 3))
    x = rng.normal(size=(3, 3, 3))
    gamma, beta, mean, var = rng.uniform(0.5, 2, 4), rng.normal(size=4), rng.normal(size=4), rng.uniform(0.5, 2, 4)
    conv = (w * x).sum(axis=(1, 2, 3))
    bn = (conv - mean) / np.sqrt(var + 1e-5) * gamma + beta
    wf, bf = fuse_conv_bn(w, None, gamma, beta, mean, var, 1e-5)
    np.testing.assert_allclose((wf * x).sum(axis=(1, 2, 3)) + bf, bn, rtol=1e-5, atol=1e-5)
