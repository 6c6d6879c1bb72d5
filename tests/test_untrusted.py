"""Untrusted model files stay harmless: every crafted ``.pt`` / ``.onnx`` ends in a clear error or a correct model.

Never executed, never a hang, never more than ~1 GB of memory: the named attacks run under an address-space limit and
an alarm (:func:`bounded`), the hypothesis fuzz of the restricted unpickler runs in a subprocess under
``RLIMIT_AS`` (so a regression fails the test instead of exhausting the machine).
"""

from __future__ import annotations

import collections
import contextlib
import io
import logging
import os
import pickle
import re
import resource
import shutil
import signal
import struct
import subprocess
import sys
import time
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from numa_ultralytics.nn import checkpoint, pickle_scan, pt_loader, pt_unpickler, standins
from numa_ultralytics.nn.autobackend import AutoBackend
from numa_ultralytics.nn.checkpoint import load_checkpoint
from numa_ultralytics.nn.onnx_builder import build_onnx
from numa_ultralytics.nn.pt_loader import pt_to_onnx
from numa_ultralytics.nn.safety import UnsafeCheckpointError, check_onnx_external_data, short_repr
from numa_ultralytics.nn.standins import BoundMethodRef, StandIn

try:  # tests/ may or may not be a package
    from .conftest import MODELS, need
except ImportError:
    from conftest import MODELS, need

MODEL_NAMES = ["yolo11n-seg", "yolov8n-seg"]
MEMORY_LIMIT = 1_500_000_000  # bytes of address space a load may add
FUZZ_EXAMPLES = int(os.environ.get("NUMA_FUZZ_EXAMPLES", "2000"))


# -------------------------------------------------------------------------------- guards


def _vm_size() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


class Timeout(BaseException):  # not an Exception: the loader's broad handlers must not swallow it
    pass


@contextlib.contextmanager
def bounded(seconds: int = 20, extra: int = MEMORY_LIMIT) -> Iterator[None]:
    """Run the block with at most ``extra`` more bytes of address space and an alarm after ``seconds``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _vm_size() + extra
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)

    def on_alarm(signum: int, frame: Any) -> None:
        raise Timeout(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        signal.signal(signal.SIGALRM, old)


def refused(path: Path, match: str | None = None, exc: type[Exception] = ValueError, seconds: float = 5.0) -> Exception:
    """``load_checkpoint(path)`` raises ``exc`` matching ``match`` within ``seconds``, under the memory limit."""
    t0 = time.monotonic()
    with bounded(), pytest.raises(exc, match=match) as info:
        load_checkpoint(path)
    assert time.monotonic() - t0 < seconds
    assert len(str(info.value)) < 1000, "error messages stay short"
    return info.value


# -------------------------------------------------------------------------------- pickle assembly


def atom(x: Any) -> bytes:
    """Protocol-2 opcodes for a plain value, without PROTO/STOP and without memo opcodes."""
    f = io.BytesIO()
    p = pickle.Pickler(f, 2)
    p.fast = True  # no memo: these bytes can be pasted anywhere
    p.dump(x)
    return f.getvalue()[2:-1]


def glob(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def call(fn: bytes, *args: bytes) -> bytes:
    return fn + b"(" + b"".join(args) + b"tR"


def pkl(body: bytes) -> bytes:
    return b"\x80\x02" + body + b"."


def ckpt_pkl(value: bytes) -> bytes:
    """A checkpoint-like ``{"model": value}``."""
    return pkl(b"}" + atom("model") + value + b"s")


def odict() -> bytes:
    return glob("collections", "OrderedDict") + b")R"


def persid(key: str, numel: int, storage: str = "FloatStorage") -> bytes:
    return b"(" + atom("storage") + glob("torch", storage) + atom(key) + atom("cpu") + atom(numel) + b"tQ"


def tensor(pid: bytes, offset: int, size: tuple, stride: tuple) -> bytes:
    return call(
        glob("torch._utils", "_rebuild_tensor_v2"), pid, atom(offset), atom(size), atom(stride), atom(False), odict()
    )


def memo_bomb(levels: int = 30, fanout: int = 10, tuples: bool = False) -> bytes:
    """``x = []; x = [x] * fanout`` nested ``levels`` deep: a few hundred bytes, 10**30 objects when expanded."""
    out = (b")" if tuples else b"]") + b"q\x000"  # EMPTY_TUPLE / EMPTY_LIST, BINPUT 0, POP
    for i in range(1, levels + 1):
        get = b"h" + bytes([i - 1])
        out += b"(" + get * fanout + (b"t" if tuples else b"l") + b"q" + bytes([i]) + b"0"
    return out + b"h" + bytes([levels])


def torch_zip(path: Path, pickle_bytes: bytes, entries: dict | None = None, method: int = zipfile.ZIP_STORED) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names on purpose
        with zipfile.ZipFile(path, "w", method) as z:
            z.writestr("archive/data.pkl", pickle_bytes)
            z.writestr("archive/version", "3\n")
            for k, v in (entries or {}).items():
                z.writestr(k, v)
    return path


_STORAGE_NAMES = {
    "<f2": "HalfStorage",
    "<f4": "FloatStorage",
    "<f8": "DoubleStorage",
    "<i8": "LongStorage",
    "<i4": "IntStorage",
    "<i2": "ShortStorage",
    "|u1": "ByteStorage",
    "|i1": "CharStorage",
    "|b1": "BoolStorage",
}


class Repickler:
    """Writes a checkpoint read by :func:`load_checkpoint` back as a torch-style pickle (+ its storages)."""

    def __init__(self) -> None:
        self.memo: dict[int, int] = {}
        self.keep: list[Any] = []
        self.storages: dict[str, bytes] = {}

    def put(self, obj: Any) -> bytes:
        self.memo[id(obj)] = len(self.memo)
        self.keep.append(obj)
        return b"r" + struct.pack("<I", self.memo[id(obj)])

    def emit(self, x: Any) -> bytes:
        if id(x) in self.memo:
            return b"j" + struct.pack("<I", self.memo[id(x)])
        if x is None or isinstance(x, (bool, int, float, str, bytes)):
            return atom(x)
        if isinstance(x, StandIn):
            head = glob(x.cls_module, x.cls_name) + b")\x81" + self.put(x)
            return head + self.emit(dict(x.__dict__)) + b"b"
        if isinstance(x, BoundMethodRef):
            return call(glob("builtins", "getattr"), self.emit(x.owner), atom(x.name))
        if isinstance(x, np.ndarray):
            arr = np.ascontiguousarray(x)
            key = str(len(self.storages))
            self.storages[key] = arr.tobytes()
            stride = tuple(int(s // arr.itemsize) for s in arr.strides)
            pid = persid(key, int(arr.size), _STORAGE_NAMES[arr.dtype.str])
            return tensor(pid, 0, tuple(arr.shape), stride) + self.put(x)
        if isinstance(x, dict):
            head = (odict() if isinstance(x, collections.OrderedDict) else b"}") + self.put(x)
            items = b"".join(self.emit(k) + self.emit(v) for k, v in x.items())
            return head + (b"(" + items + b"u" if x else b"")
        if isinstance(x, list):
            items = b"".join(self.emit(v) for v in x)
            return b"]" + self.put(x) + (b"(" + items + b"e" if x else b"")
        if isinstance(x, tuple):
            return b"(" + b"".join(self.emit(v) for v in x) + b"t" + self.put(x)
        if isinstance(x, (set, frozenset)):
            fn = glob("builtins", type(x).__name__)
            return call(fn, b"](" + b"".join(self.emit(v) for v in x) + b"e") + self.put(x)
        raise TypeError(f"cannot repickle {type(x).__name__}")

    def dumps(self, obj: Any) -> bytes:
        return pkl(self.emit(obj))


def write_checkpoint(path: Path, pickle_bytes: bytes, storages: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle_bytes)
        for k, v in storages.items():
            z.writestr(f"archive/data/{k}", v)
        z.writestr("archive/version", "3\n")
    return path


def _copy_standin(m: StandIn, **changes: Any) -> StandIn:
    new = standins._standin_class(m.cls_module, m.cls_name)()
    new.__dict__.update(m.__dict__)
    new.__dict__.update(changes)
    return new


def real_pickle(name: str) -> bytes:
    with zipfile.ZipFile(need(MODELS / f"{name}.pt")) as z:
        return z.read(next(n for n in z.namelist() if n.endswith("/data.pkl")))


def fuzz_seeds() -> list[tuple[bytes, dict[str, bytes]]]:
    """Small valid checkpoints made from the real ones' data: a first layer, a 3-layer model (a few KB each)."""
    ck = load_checkpoint(need(MODELS / "yolov8n-seg.pt"))
    model = ck["model"]
    seq = model.child("model")
    mods = seq.__dict__["_modules"]
    short_seq = _copy_standin(seq, _modules=collections.OrderedDict(list(mods.items())[:3]))
    short_model = _copy_standin(model, _modules=collections.OrderedDict([("model", short_seq)]))
    seeds = []
    for obj in (
        {"model": mods["0"], "train_args": ck["train_args"], "version": ck["version"]},
        {"model": short_model, "date": None, "version": ck["version"], "license": ck["license"]},
    ):
        r = Repickler()
        seeds.append((r.dumps(obj), r.storages))
    return seeds


# -------------------------------------------------------------------------------- bounded formatting


def _list_bomb(levels: int = 30, fanout: int = 10) -> list:
    x: list = []
    for _ in range(levels):
        x = [x] * fanout
    return x


def test_short_repr_is_bounded():
    bomb = _list_bomb()
    loop: list = []
    loop.append(loop)
    t0 = time.monotonic()
    for v in (bomb, tuple(bomb), {"k": bomb}, collections.OrderedDict(a=bomb), {1, 2}, slice(bomb, 1), loop):
        s = short_repr(v)
        assert len(s) <= 120
    assert short_repr(10**5000) == "<int of 16610 bits>"
    assert "..." in short_repr("x" * 10**6) and len(short_repr("x" * 10**6)) < 80
    assert time.monotonic() - t0 < 1.0


def test_error_sites_format_pickled_values_bounded():
    """Every place that puts a pickled value in a message formats it bounded (the hang was repr before truncation)."""
    bomb = _list_bomb()
    storage = pt_unpickler._Storage(np.zeros(4, np.float32))
    unpickler = pt_unpickler.RestrictedUnpickler(io.BytesIO(b""), lambda *a: storage)
    cases = [
        lambda: pt_unpickler._check_int_tuple(bomb, "size"),
        lambda: pt_unpickler._rebuild_tensor_v2(storage, bomb, (2,), (1,), False, {}),
        lambda: pt_unpickler._rebuild_tensor_v2(storage, 0, bomb, (1,), False, {}),
        lambda: pt_unpickler._torch_size(bomb),
        lambda: pt_unpickler._torch_device(bomb),
        lambda: unpickler.persistent_load(bomb),
        lambda: unpickler.persistent_load(("storage", bomb, "0", "cpu", 1)),
        lambda: unpickler.persistent_load(("storage", bomb, bomb, "cpu", 1)),
        lambda: pt_unpickler._numpy_reconstruct(bomb, (0,), b"b"),
    ]
    with bounded(10):
        for case in cases:
            t0 = time.monotonic()
            with pytest.raises(ValueError) as info:
                case()
            assert time.monotonic() - t0 < 0.5 and len(str(info.value)) < 400


def test_builder_messages_bounded(tmp_path):
    bomb = _list_bomb()
    pose = standins._standin_class("ultralytics.nn.tasks", "PoseModel")()
    pose.__dict__["task"] = bomb
    seg = standins._standin_class("ultralytics.nn.tasks", "SegmentationModel")()
    seg.__dict__["task"] = bomb
    conv = standins._standin_class("torch.nn.modules.conv", "Conv2d")()
    conv.__dict__.update(padding_mode=bomb)
    seq = standins._standin_class("torch.nn.modules.container", "Sequential")()
    seq.__dict__["_modules"] = {"0": conv}
    seg2 = standins._standin_class("ultralytics.nn.tasks", "SegmentationModel")()
    seg2.__dict__["_modules"] = {"model": seq}
    with bounded(10):
        for ck, exc in (
            ({"model": pose}, NotImplementedError),
            ({"model": seg}, NotImplementedError),
            ({"model": seg2}, NotImplementedError),
            ({"model": None, 3: bomb, "k": 1}, ValueError),
            ({"model": seg2, "ema": seg2, "x": 1}, NotImplementedError),
        ):
            t0 = time.monotonic()
            with pytest.raises(exc) as info:
                build_onnx(ck, source=tmp_path / "x.pt")
            assert time.monotonic() - t0 < 1.0 and len(str(info.value)) < 600


# -------------------------------------------------------------------------------- pickle bombs


def test_self_referencing_persistent_id_is_refused_fast(tmp_path):
    """The 1 KB file that hung the loader (memory +30 MB/s): a 10-way shared list 30 levels deep as a storage id."""
    data = pkl(b"}" + atom("model") + memo_bomb() + b"Qs")
    p = torch_zip(tmp_path / "bomb.pt", data)
    assert p.stat().st_size < 1500
    refused(p, "memo bomb", UnsafeCheckpointError)
    # the same structure anywhere else in the checkpoint (a Size, a value) is refused too
    for body in (call(glob("torch", "Size"), memo_bomb()), memo_bomb()):
        refused(torch_zip(tmp_path / "b2.pt", ckpt_pkl(body)), "memo bomb", UnsafeCheckpointError)


def test_tuple_key_hash_bomb_is_refused(tmp_path):
    """Shared nested tuples as a dict key: hashing them inside the unpickler would never end."""
    data = pkl(b"}" + memo_bomb(tuples=True) + atom(1) + b"s")
    refused(torch_zip(tmp_path / "hash.pt", data), "memo bomb", UnsafeCheckpointError)
    data = pkl(call(glob("builtins", "frozenset"), b"(" + memo_bomb(tuples=True) + b"l") + b"0}")
    refused(torch_zip(tmp_path / "fs.pt", data), "memo bomb", UnsafeCheckpointError)


def test_memo_index_bomb_is_refused(tmp_path):
    """``LONG_BINPUT 2**28`` in a ~200-byte pickle made the C unpickler allocate a 4 GB memo."""
    data = pkl(b"}" + b"r" + struct.pack("<I", 2**28) + atom("model") + atom(None) + b"s")
    p = torch_zip(tmp_path / "memo.pt", data)
    assert p.stat().st_size < 400
    refused(p, "memo index", UnsafeCheckpointError)


def test_deep_nesting_and_mark_floods(tmp_path):
    deep = pkl(b"]" * 100_000 + b"a" * 99_999 + b"0}")
    refused(torch_zip(tmp_path / "deep.pt", deep), "nests objects", UnsafeCheckpointError)
    marks = b"\x80\x02" + b"(" * 500_000 + b"}."
    refused(torch_zip(tmp_path / "marks.pt", marks), "open MARKs")
    many = pkl(b"}" + b"N0" * (pickle_scan.MAX_OPCODES // 2 + 10))
    refused(torch_zip(tmp_path / "many.pt", many), "opcodes", UnsafeCheckpointError, seconds=20)


def test_hash_collision_flood_is_refused(tmp_path):
    """Distinct integers that share one hash as dict keys: each insert compares against all before it."""
    mod = sys.hash_info.modulus
    items = b"".join(atom(1 + k * mod) + atom(None) for k in range(1, 3000))
    refused(torch_zip(tmp_path / "coll.pt", pkl(b"}(" + items + b"u")), "hash-collision", UnsafeCheckpointError)


def test_malformed_pickles_are_value_errors(tmp_path):
    cases = [
        b"\x80\x02a.",  # APPEND on an empty stack
        b"\x80\x02h\x05.",  # memo key missing
        b"\x80\x02X\xff\xff\xff\x7fab.",  # string longer than the data
        b"\x80\x02\x8b\xff\xff\xff\x7f.",  # LONG4 longer than the data
        b"\x80\x02N",  # no STOP
        b"\x80\x02(N1.",  # POP_MARK without... a MARK left open
        b"\x80\x05\x97.",  # NEXT_BUFFER without buffers
        b"\x80\x02\xff.",  # unknown opcode
    ]
    for i, data in enumerate(cases):
        refused(torch_zip(tmp_path / f"m{i}.pt", data))


# -------------------------------------------------------------------------------- memory bombs in tensors/storages


def test_stride0_expansion_is_refused(tmp_path):
    """A 432-byte file: a stride-0 view of one float as a 30000 x 30000 tensor (3.6 GB when materialised)."""
    body = tensor(persid("0", 1), 0, (30000, 30000), (0, 0))
    p = torch_zip(tmp_path / "s0.pt", ckpt_pkl(body), {"archive/data/0": b"\x00\x00\x80\x3f"})
    assert p.stat().st_size < 700
    refused(p, "expansion", UnsafeCheckpointError)
    # a small broadcast view is a correct tensor
    body = tensor(persid("0", 1), 0, (4, 4), (0, 0))
    ck = load_checkpoint(torch_zip(tmp_path / "small.pt", ckpt_pkl(body), {"archive/data/0": b"\x00\x00\x80\x3f"}))
    np.testing.assert_array_equal(ck["model"], np.ones((4, 4), np.float32))


def test_many_views_of_one_storage_are_refused(tmp_path):
    """Each tensor within its storage, but 40 full views of a 1M-element storage would materialise 40M elements."""
    n = 1 << 20
    views = b"".join(tensor(b"h\x00", 0, (n,), (1,)) for _ in range(40))
    body = persid("0", n, "HalfStorage") + b"q\x00" + b"0" + b"(" + views + b"l"
    p = torch_zip(tmp_path / "views.pt", ckpt_pkl(body), {"archive/data/0": bytes(2 * n)})
    refused(p, "materialise more elements", UnsafeCheckpointError)


def test_huge_declared_storage_is_checked_before_reading(tmp_path):
    body = tensor(persid("0", 2**40), 0, (2**20,), (1,))
    p = torch_zip(tmp_path / "numel.pt", ckpt_pkl(body), {"archive/data/0": bytes(16)})
    refused(p, r"holds 16 bytes, 1099511627776 x 4 needed")


def test_deflate_bomb_storage_is_refused_before_reading(tmp_path):
    """A small deflated entry declaring a huge size is refused from its zip header (never inflated)."""
    body = tensor(persid("0", 16 << 20), 0, (16,), (1,))
    p = torch_zip(tmp_path / "zbomb.pt", ckpt_pkl(body), {"archive/data/0": bytes(64 << 20)}, zipfile.ZIP_DEFLATED)
    assert p.stat().st_size < 1 << 20
    refused(p, "zip bomb", UnsafeCheckpointError)


def test_deflated_real_checkpoint_still_loads(tmp_path):
    """No false positive: a real checkpoint re-zipped with deflate loads to the same tensors."""
    src = need(MODELS / "yolov8n-seg.pt")
    dst = tmp_path / "deflated.pt"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))
    a = load_checkpoint(src)["model"].child("model").children()[0].child("conv").child("weight")
    b = load_checkpoint(dst)["model"].child("model").children()[0].child("conv").child("weight")
    np.testing.assert_array_equal(a, b)


def test_memory_error_becomes_value_error(tmp_path, monkeypatch):
    def boom(path: Path) -> dict:
        raise MemoryError

    monkeypatch.setattr(checkpoint, "_load_checkpoint", boom)
    p = tmp_path / "x.pt"
    p.write_bytes(b"PK")
    with pytest.raises(ValueError, match="ran out of memory"):
        load_checkpoint(p)


def test_numpy_ndarray_cannot_allocate(tmp_path):
    big = call(glob("numpy", "ndarray"), atom((30000, 30000)))
    refused(torch_zip(tmp_path / "nd.pt", ckpt_pkl(big)), "corrupt checkpoint pickle")
    recon = call(
        glob("numpy.core.multiarray", "_reconstruct"), glob("numpy", "ndarray"), atom((30000, 30000)), atom("b")
    )
    refused(torch_zip(tmp_path / "rc.pt", ckpt_pkl(recon)), "not a pickled array")
    # what numpy writes still loads
    arr = np.arange(6, dtype=np.int32).reshape(2, 3)
    ck = load_checkpoint(torch_zip(tmp_path / "ok.pt", pickle.dumps({"model": None, "a": arr}, protocol=2)))
    np.testing.assert_array_equal(ck["a"], arr)


# -------------------------------------------------------------------------------- zip archives


@pytest.mark.parametrize("name", ["../evil.pkl", "/abs/evil", "C:/evil", "archive\\..\\evil", "archive/../../x", ""])
def test_zip_slip_names_are_refused(tmp_path, name):
    p = torch_zip(tmp_path / "slip.pt", ckpt_pkl(atom(None)), {name: b"x"} if name else {})
    if not name:  # an empty entry name, written by patching the archive
        data = p.read_bytes().replace(b"archive/version", b"\x00rchive/version")
        p.write_bytes(data)
    refused(p, "a path outside the archive", UnsafeCheckpointError)


def test_duplicate_encrypted_and_exotic_entries(tmp_path):
    refused(torch_zip(tmp_path / "dup.pt", ckpt_pkl(atom(None)), {"archive/data.pkl": b"x"}), "twice")
    p = tmp_path / "lzma.pt"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_LZMA) as z:
        z.writestr("archive/data.pkl", ckpt_pkl(atom(None)))
    refused(p, "compression method")
    p = torch_zip(tmp_path / "enc.pt", ckpt_pkl(atom(None)))
    data = bytearray(p.read_bytes())
    cd = data.rfind(b"PK\x01\x02")
    while cd >= 0:  # set the 'encrypted' flag in every central directory record
        data[cd + 8] |= 1
        cd = data.rfind(b"PK\x01\x02", 0, cd)
    p.write_bytes(bytes(data))
    refused(p, "encrypted")


def test_total_declared_size_is_bounded(tmp_path):
    """Many moderately compressed entries that together would expand far beyond the file."""
    entries = {f"archive/pad/{i}": bytes(1 << 20) for i in range(80)}  # each at the 1 MiB floor of the ratio rule
    p = torch_zip(tmp_path / "sum.pt", ckpt_pkl(atom(None)), entries, zipfile.ZIP_DEFLATED)
    refused(p, "entries declare .* zip bomb", UnsafeCheckpointError)


def _patch_entry(path: Path, name: str, **fields: int) -> None:
    """Rewrite ``method`` / ``crc`` / ``csize`` / ``usize`` of entry ``name`` in its local and central headers."""
    data = bytearray(path.read_bytes())
    local = {"method": 8, "crc": 14, "csize": 18, "usize": 22}  # central headers: the same fields 2 bytes later
    for sig, shift, name_len_at, name_at in ((b"PK\x03\x04", 0, 26, 30), (b"PK\x01\x02", 2, 28, 46)):
        at = data.find(sig)
        while at >= 0:
            nlen = struct.unpack_from("<H", data, at + name_len_at)[0]
            if bytes(data[at + name_at : at + name_at + nlen]) == name.encode():
                for key, value in fields.items():
                    struct.pack_into("<H" if key == "method" else "<I", data, at + local[key] + shift, value)
            at = data.find(sig, at + 4)
    path.write_bytes(bytes(data))


def deflate_bomb(size: int) -> bytes:
    """A raw deflate stream of at least ``size`` zero bytes (2064 per 13 bytes), built in milliseconds."""
    bits = [1, 1, 0]  # BFINAL=1, BTYPE=01 (fixed Huffman; header fields go LSB first)

    def code(value: int, n: int) -> None:  # Huffman codes go MSB first
        bits.extend((value >> (n - 1 - i)) & 1 for i in range(n))

    code(0x30, 8)  # literal 0
    for _ in range(16):  # two 104-bit (13-byte) units of 8 x (length 258, distance 1)
        code(0xC5, 8)  # length code 285: 258 bytes
        code(0, 5)  # distance code 0: distance 1
    code(0, 7)  # end of block
    bits.extend([0] * (-len(bits) % 8))
    two = bytes(sum(b << i for i, b in enumerate(bits[j : j + 8])) for j in range(0, len(bits), 8))
    extra = max(0, -(-(size - 1 - 16 * 258) // 2064))  # bytes 2..14 lie inside the units: repeat them
    return two[:2] + two[2:15] * extra + two[2:]


def test_deflate_bomb_builder_inflates_to_zeros():
    raw = __import__("zlib").decompress(deflate_bomb(1 << 20), -15)
    assert len(raw) >= 1 << 20 and not any(raw)


def _lying_storage(tmp_path: Path, method: int, real: int, declared: int) -> Path:
    """A checkpoint whose storage ``archive/data/0`` holds ``real`` zero bytes but declares ``declared``."""
    body = tensor(persid("0", declared // 4), 0, (declared // 4,), (1,))
    p = torch_zip(tmp_path / f"lie{method}.pt", ckpt_pkl(body), {"archive/data/0": b"\0"}, method)
    if method == zipfile.ZIP_DEFLATED:  # swap in the bomb's bytes as the entry's compressed data
        with zipfile.ZipFile(p) as z:
            info = z.getinfo("archive/data/0")
        data = p.read_bytes()
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)
        bomb = deflate_bomb(real)
        data = data[:start] + bomb + data[start + info.compress_size :]
        shift = len(bomb) - info.compress_size
        cd = data.find(b"PK\x01\x02")  # entries after the storage moved: fix their offsets and the end record
        out = bytearray(data)
        while cd >= 0:
            off = struct.unpack_from("<I", out, cd + 42)[0]
            if off > info.header_offset:
                struct.pack_into("<I", out, cd + 42, off + shift)
            cd = out.find(b"PK\x01\x02", cd + 4)
        eocd = out.rfind(b"PK\x05\x06")
        struct.pack_into("<I", out, eocd + 16, struct.unpack_from("<I", out, eocd + 16)[0] + shift)
        p.write_bytes(bytes(out))
        _patch_entry(p, "archive/data/0", csize=len(bomb))
    else:
        torch_zip(p, ckpt_pkl(body), {"archive/data/0": bytes(real)}, method)
    _patch_entry(p, "archive/data/0", usize=declared, crc=__import__("zlib").crc32(bytes(declared)))
    return p


def test_lying_deflate_size_inflates_only_the_declared_bytes(tmp_path):
    """Issue 22.5: 2 GiB of zeros declared as 1 MiB: read in bounded chunks, stop at the declared size (under the
    1.5 GB address-space limit; before, zipfile asked zlib for 2 GiB at once and the load ran out of memory)."""
    p = _lying_storage(tmp_path, zipfile.ZIP_DEFLATED, 2 << 30, 1 << 20)
    assert p.stat().st_size < 16 << 20
    t0 = time.monotonic()
    with bounded():
        ck = load_checkpoint(p)
    assert time.monotonic() - t0 < 5
    assert ck["model"].shape == (1 << 18,) and not ck["model"].any()


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_bz2_and_lzma_members_are_refused_by_name(tmp_path, method):
    """Issue 22.5: 64 MiB of zeros in a bz2 / lzma member declared as 1 MiB is refused from its header, naming the
    method, never inflated (before: bz2 was read, 64 MiB at once)."""
    import tracemalloc

    p = _lying_storage(tmp_path, method, 64 << 20, 1 << 20)
    tracemalloc.start()
    try:
        err = refused(p, {zipfile.ZIP_BZIP2: r"method 12 \(bzip2\)", zipfile.ZIP_LZMA: r"method 14 \(lzma\)"}[method])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "never uses" in str(err)
    assert peak < 16 << 20, peak


@pytest.mark.parametrize("method", [9, 93, 95, 98, 99, 200])
def test_exotic_method_ids_are_refused(tmp_path, method):
    p = torch_zip(tmp_path / "m.pt", ckpt_pkl(atom(None)))
    _patch_entry(p, "archive/data.pkl", method=method)
    refused(p, f"compression method {method} ")


# -------------------------------------------------------------------------------- code execution attempts


def _marker_cmd(marker: Path) -> str:
    return f"touch {marker}"


ATTACKS = {
    "os.system": lambda m: call(glob("os", "system"), atom(_marker_cmd(m))),
    "posix.system in a list": lambda m: b"](" + call(glob("posix", "system"), atom(_marker_cmd(m))) + b"e",
    "eval in a dict value": lambda m: (
        b"}" + atom("x") + call(glob("builtins", "eval"), atom(f"open({str(m)!r}, 'w')")) + b"s"
    ),
    "exec as a dict key": lambda m: (
        b"}" + call(glob("__builtin__", "exec"), atom(f"open({str(m)!r},'w')")) + atom(1) + b"s"
    ),
    "subprocess in a tuple": lambda m: b"(" + call(glob("subprocess", "Popen"), atom(["touch", str(m)])) + b"t",
    "os.system in __setstate__": lambda m: (
        glob("ultralytics.nn.modules.conv", "Conv")
        + b")\x81}"
        + atom("forward")
        + call(glob("os", "system"), atom(_marker_cmd(m)))
        + b"sb"
    ),
    "INST opcode": lambda m: b"(" + atom(_marker_cmd(m)) + b"ios\nsystem\n",
    "OBJ opcode": lambda m: b"(" + glob("os", "system") + atom(_marker_cmd(m)) + b"o",
    "STACK_GLOBAL": lambda m: b"\x8c\x02os\x8c\x06system\x93(" + atom(_marker_cmd(m)) + b"tR",
    "getattr chain to __globals__": lambda m: call(
        glob("builtins", "getattr"),
        call(glob("builtins", "getattr"), glob("collections", "OrderedDict"), atom("__init__")),
        atom("__globals__"),
    ),
    "getattr on a stand-in method": lambda m: call(
        glob("builtins", "getattr"),
        call(glob("builtins", "getattr"), glob("ultralytics.nn.modules.conv", "Conv") + b")\x81", atom("forward")),
        atom("__func__"),
    ),
    "copyreg reconstructor": lambda m: call(
        glob("copyreg", "_reconstructor"), glob("os", "system"), atom(None), atom(None)
    ),
    "torch.load": lambda m: call(glob("torch", "load"), atom(str(m))),
    "runpy": lambda m: call(glob("runpy", "run_path"), atom(str(m))),
    "pickle.loads": lambda m: call(glob("pickle", "loads"), atom(b"x")),
    "rebuild_from_type_v2 with eval": lambda m: call(
        glob("torch._tensor", "_rebuild_from_type_v2"),
        glob("builtins", "eval"),
        atom(None),
        atom((f"open({str(m)!r}, 'w')",)),
        atom(None),
    ),
    "rebuild_from_type_v2 with an allowed non-rebuild": lambda m: call(
        glob("torch._tensor", "_rebuild_from_type_v2"), glob("builtins", "list"), atom(None), atom(((1,),)), atom(None)
    ),
    "numpy subtype": lambda m: call(
        glob("numpy.core.multiarray", "_reconstruct"), glob("os", "system"), atom((0,)), atom(b"b")
    ),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_named_attacks_never_run(tmp_path, name):
    marker = tmp_path / "pwned"
    p = torch_zip(tmp_path / "evil.pt", ckpt_pkl(ATTACKS[name](marker)))
    refused(p, "refus|not allowed", UnsafeCheckpointError)
    with bounded(), pytest.raises(UnsafeCheckpointError):
        pt_to_onnx(p)
    assert not marker.exists()


# -------------------------------------------------------------------------------- real checkpoints


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_real_checkpoints_are_far_below_the_limits(name):
    stats = pickle_scan._scan_pickle(real_pickle(name), Path(name))
    assert stats["opcodes"] * 25 < pickle_scan.MAX_OPCODES
    assert stats["memo"] * 50 < pickle_scan.MAX_MEMO_INDEX
    assert stats["weight"] * 50 < pickle_scan.MAX_OBJECT_WEIGHT
    assert stats["depth"] * 4 < pickle_scan.MAX_NESTING
    assert stats["bytes"] * 50 < pickle_scan.MAX_PICKLE_BYTES


def test_repickled_real_checkpoint_builds_the_same_graph(tmp_path):
    """The fuzz's re-pickler round-trips a real checkpoint: same weights in the built graph (a correct model)."""
    src = need(MODELS / "yolov8n-seg.pt")
    ck = load_checkpoint(src)
    r = Repickler()
    p = write_checkpoint(tmp_path / "re.pt", r.dumps(ck), r.storages)
    with bounded(60):
        a = build_onnx(ck)
        b = build_onnx(load_checkpoint(p))
    wa = {t.name: numpy_helper.to_array(t) for t in a.graph.initializer}
    wb = {t.name: numpy_helper.to_array(t) for t in b.graph.initializer}
    assert wa.keys() == wb.keys()
    for k in wa:
        np.testing.assert_array_equal(wa[k], wb[k])


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_mutated_real_checkpoints_end_clearly(tmp_path, name):
    """Byte flips, truncations and duplicated runs in the full real pickles (storages kept): a clear outcome each."""
    src = need(MODELS / f"{name}.pt")
    real = real_pickle(name)
    rng = np.random.default_rng(0)
    for i in range(12):
        data = bytearray(real)
        kind = i % 3
        if kind == 0:
            for at in rng.integers(2, len(data) - 1, size=3):
                data[at] ^= int(rng.integers(1, 256))
        elif kind == 1:
            del data[int(rng.integers(2, len(data))) :]
        else:
            at = int(rng.integers(2, len(data) - 100))
            data[at:at] = data[at : at + int(rng.integers(1, 100))]
        dst = tmp_path / f"mut{i}.pt"
        with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
            for info in zin.infolist():
                raw = bytes(data) if info.filename.endswith("/data.pkl") else zin.read(info.filename)
                zout.writestr(info.filename, raw)
        t0 = time.monotonic()
        with bounded(30):
            try:
                ck = load_checkpoint(dst)
                build_onnx(ck, source=dst)
            except (ValueError, NotImplementedError) as e:
                assert len(str(e)) < 1000
        assert time.monotonic() - t0 < 10


# -------------------------------------------------------------------------------- ONNX external data


def _external_model(folder: Path, location: str = "w.bin") -> Path:
    """A 4-D-input model whose one initializer lives in ``folder/w.bin``, recorded under ``location``."""
    folder.mkdir(parents=True, exist_ok=True)
    w = numpy_helper.from_array(np.ones((1, 3, 1, 1), np.float32), "w")
    node = helper.make_node("Mul", ["images", "w"], ["output0"])
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 4, 4])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 3, 4, 4])],
        initializer=[w],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = folder / "m.onnx"
    onnx.save_model(
        model, str(path), save_as_external_data=True, all_tensors_to_one_file=True, location="w.bin", size_threshold=0
    )
    if location != "w.bin":
        m = onnx.load(str(path), load_external_data=False)
        for e in m.graph.initializer[0].external_data:
            if e.key == "location":
                e.value = location
        path.write_bytes(m.SerializeToString())
    return path


def test_external_data_inside_the_folder_loads(tmp_path):
    import onnxruntime as ort

    path = _external_model(tmp_path / "ok")
    check_onnx_external_data(path)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    out = sess.run(None, {"images": np.full((1, 3, 4, 4), 2.0, np.float32)})[0]
    np.testing.assert_array_equal(out, np.full((1, 3, 4, 4), 2.0, np.float32))


@pytest.mark.parametrize(
    "location", ["../secret.bin", "/etc/hostname", "sub/../../secret.bin", "..\\secret.bin", "link.bin"]
)
def test_external_data_outside_the_folder_is_refused(tmp_path, location, monkeypatch):
    (tmp_path / "secret.bin").write_bytes(np.ones(3, np.float32).tobytes())
    path = _external_model(tmp_path / "m", location)
    (tmp_path / "m" / "link.bin").symlink_to(tmp_path / "secret.bin")
    import onnxruntime as ort

    def never(*a: Any, **k: Any) -> None:
        raise AssertionError("onnxruntime opened the model")

    monkeypatch.setattr(ort, "InferenceSession", never)
    with pytest.raises(ValueError, match="refused: tensor 'w' keeps its data"):
        AutoBackend(path, device="cpu")


# -------------------------------------------------------------------------------- the .pt -> ONNX cache


@pytest.fixture()
def cached(tmp_path, monkeypatch) -> tuple[Path, Path]:
    monkeypatch.setenv("NUMA_ULTRALYTICS_CACHE_DIR", str(tmp_path / "cache"))
    pt = Path(shutil.copy(need(MODELS / "yolov8n-seg.pt"), tmp_path / "m.pt"))
    return pt, pt_to_onnx(pt)


def test_cache_records_its_checksum(cached):
    pt, onnx_path = cached
    side = onnx_path.with_name(onnx_path.name + ".sha256")
    assert side.read_text().strip() == pt_loader._sha256(onnx_path)
    assert pt_to_onnx(pt) == onnx_path


@pytest.mark.parametrize("damage", ["truncate", "swap", "no_checksum", "bad_checksum"])
def test_damaged_cache_entry_is_rebuilt(cached, damage, caplog, monkeypatch):
    monkeypatch.setattr(logging.getLogger("numa_ultralytics"), "propagate", True)  # engine.model turns it off
    pt, onnx_path = cached
    side = onnx_path.with_name(onnx_path.name + ".sha256")
    if damage == "truncate":
        onnx_path.write_bytes(onnx_path.read_bytes()[:1000])
    elif damage == "swap":  # another model's graph under this checkpoint's name
        onnx_path.write_bytes(need(MODELS / "yolo11n-seg.onnx").read_bytes())
    elif damage == "no_checksum":
        side.unlink()
    else:
        side.write_text("0" * 64)
    with caplog.at_level(logging.WARNING, logger="numa_ultralytics"):
        again = pt_to_onnx(pt)
    assert again == onnx_path
    assert str(onnx_path) in caplog.text and "rebuilding" in caplog.text
    assert side.read_text().strip() == pt_loader._sha256(onnx_path)
    onnx.checker.check_model(onnx.load(str(onnx_path)))


def test_unwritable_cache_names_the_path(cached, monkeypatch):
    pt, onnx_path = cached
    onnx_path.write_bytes(b"corrupt")

    def fail(data: bytes, target: Path) -> None:
        raise PermissionError(13, "Permission denied", str(target))

    monkeypatch.setattr(pt_loader, "write_atomic", fail)
    with pytest.raises(RuntimeError, match=rf"cache {re.escape(str(onnx_path))}.*delete the cache entry"):
        pt_to_onnx(pt)


# -------------------------------------------------------------------------------- the fuzz (subprocess, RLIMIT_AS)

_STATE: dict[str, Any] = {}


def _fuzz_state() -> dict[str, Any]:
    if not _STATE:
        import tempfile

        _STATE["seeds"] = fuzz_seeds()
        _STATE["bomb"] = deflate_bomb(2 << 30)  # 2 GiB of zeros in 13 MB: over the fuzz's address-space limit
        real = real_pickle("yolov8n-seg")
        _STATE["real"] = real
        import pickletools

        _STATE["real_ops"] = [pos for _op, _arg, pos in pickletools.genops(real)] + [len(real) - 1]
        _STATE["dir"] = Path(tempfile.mkdtemp(prefix="numa_fuzz_"))
        _STATE["n"] = 0
        _STATE["slowest"] = 0.0
        _STATE["outcomes"] = collections.Counter()
    return _STATE


@st.composite
def _fuzzed(draw: Any) -> tuple[bytes, dict[str, bytes], Any]:
    s = _fuzz_state()
    kind = draw(st.sampled_from(["mutate", "mutate", "mutate", "splice", "random", "zip", "member", "member"]))
    if kind == "random":
        return b"\x80\x02" + draw(st.binary(max_size=300)) + b".", {}, False
    pk, storages = draw(st.sampled_from(s["seeds"]))
    if kind == "member":  # a valid pickle, its members compressed by any method, sizes and methods lying
        names = ["archive/data.pkl", *(f"archive/data/{k}" for k in storages)]
        lies = []
        for _ in range(draw(st.integers(0, 3))):
            field = draw(st.sampled_from(["usize", "csize", "method", "crc"]))
            values = {
                "usize": st.sampled_from([0, 1, 15, 1 << 20, (1 << 20) + 1, 1 << 30, 0xFFFFFFFF]),
                "csize": st.sampled_from([0, 1, 15, 1 << 20, 1 << 30, 0xFFFFFFFF]),
                "method": st.sampled_from([0, 1, 8, 9, 12, 14, 93, 95, 98, 99, 0xFFFF]),
                "crc": st.integers(0, 0xFFFFFFFF),
            }
            value = draw(values[field])
            lies.append((draw(st.sampled_from(names)), field, value))
        spec = {
            "method": draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, 14])),
            "lies": lies,
            "bomb": draw(st.sampled_from([None, None, *names[1:]])),  # a storage swapped for 2 GiB of deflated 0s
        }
        return pk, storages, spec
    data = bytearray(pk)
    if kind == "splice":  # a run of real opcodes pasted into the seed
        ops = s["real_ops"]
        i = draw(st.integers(0, len(ops) - 2))
        j = draw(st.integers(i + 1, min(len(ops) - 1, i + 60)))
        at = draw(st.integers(2, len(data) - 1))
        data[at:at] = s["real"][ops[i] : ops[j]]
    for _ in range(draw(st.integers(1 if kind == "mutate" else 0, 4))):
        op = draw(st.sampled_from(["flip", "set", "delete", "insert", "truncate", "dup"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "truncate":
            del data[at:]
        elif op == "dup":
            data[at:at] = data[at : at + draw(st.integers(1, 64))]
    return bytes(data), storages, kind == "zip"


def _write_member_case(path: Path, data: bytes, storages: dict[str, bytes], spec: dict[str, Any]) -> Path:
    method = spec["method"]
    with zipfile.ZipFile(path, "w", method) as z:
        z.writestr("archive/data.pkl", data)
        for k, v in storages.items():
            z.writestr(f"archive/data/{k}", v)
        z.writestr("archive/version", "3\n")
    if spec["bomb"]:  # rewrite the archive with the storage as a raw deflate bomb declaring its real size
        with zipfile.ZipFile(path) as z:
            members = [(i, z.read(i.filename)) for i in z.infolist()]
        out = io.BytesIO()
        central = []
        for info, content in members:
            if info.filename == spec["bomb"]:
                comp, m, crc = _fuzz_state()["bomb"], zipfile.ZIP_DEFLATED, __import__("zlib").crc32(content)
            else:
                comp, m, crc = content, zipfile.ZIP_STORED, __import__("zlib").crc32(content)
            name = info.filename.encode()
            fields = struct.pack("<HHHHHIIIHH", 20, 0, m, 0, 0x21, crc, len(comp), len(content), len(name), 0)
            central.append((out.tell(), fields, name))
            out.write(b"PK\x03\x04" + fields + name + comp)
        cd = out.tell()
        for off, fields, name in central:
            out.write(b"PK\x01\x02" + struct.pack("<H", 20) + fields + struct.pack("<HHHII", 0, 0, 0, 0, off) + name)
        n = len(central)
        out.write(b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, n, n, out.tell() - cd, cd, 0))
        path.write_bytes(out.getvalue())
    for name, field, value in spec["lies"]:
        _patch_entry(path, name, **{field: value})
    return path


def _check_one(case: tuple[bytes, dict[str, bytes], Any]) -> None:
    s = _fuzz_state()
    data, storages, damage_zip = case
    s["n"] += 1
    if isinstance(damage_zip, dict):
        path = _write_member_case(s["dir"] / "f.pt", data, storages, damage_zip)
        damage_zip = False
    else:
        path = write_checkpoint(s["dir"] / "f.pt", data, storages)
    if damage_zip:  # flip bytes of the archive itself (headers, central directory)
        raw = bytearray(path.read_bytes())
        rnd = np.random.default_rng(len(data) * 7919 + s["n"])
        for i in rnd.integers(0, len(raw), size=4):
            raw[i] ^= int(rnd.integers(1, 256))
        path.write_bytes(bytes(raw))
    t0 = time.monotonic()
    signal.alarm(10)
    try:
        try:
            ck = load_checkpoint(path)
        except ValueError as e:
            assert len(str(e)) < 1000
            assert "ran out of memory" not in str(e), f"a limit was reached by running out of memory: {e}"
            s["outcomes"]["refused"] += 1
        else:
            assert isinstance(ck, dict)
            try:
                build_onnx(ck, source=path)
                s["outcomes"]["built"] += 1
            except (ValueError, NotImplementedError) as e:
                assert len(str(e)) < 1000
                s["outcomes"]["loaded"] += 1
    finally:
        signal.alarm(0)
    dt = time.monotonic() - t0
    s["slowest"] = max(s["slowest"], dt)
    assert dt < 5.0, f"took {dt:.1f} s"


def _fuzz_main(examples: int) -> None:
    """Entry point of the fuzz subprocess: RLIMIT_AS, an alarm per case, ``examples`` hypothesis examples."""

    def on_alarm(signum: int, frame: Any) -> None:
        raise Timeout("a fuzz case ran for 10 s")

    signal.signal(signal.SIGALRM, on_alarm)
    s = _fuzz_state()  # built before the limit: reading the real checkpoint is not under test
    limit = max(MEMORY_LIMIT, _vm_size() + 1_000_000_000)
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(_fuzzed())
    def fuzz(case: tuple[bytes, dict[str, bytes], Any]) -> None:
        _check_one(case)

    # the seeds themselves load (the fuzz starts from valid checkpoints)
    for pk, storages in s["seeds"]:
        load_checkpoint(write_checkpoint(s["dir"] / "seed.pt", pk, storages))
    fuzz()
    shutil.rmtree(s["dir"], ignore_errors=True)
    print(f"FUZZ examples={s['n']} slowest={s['slowest']:.2f}s limit={limit} outcomes={dict(s['outcomes'])}")


def test_fuzz_restricted_unpickler_under_memory_limit():
    need(MODELS / "yolov8n-seg.pt")
    tests_dir = Path(__file__).resolve().parent
    pythonpath = os.pathsep.join([str(tests_dir), str(tests_dir.parent / "python")])  # this checkout's package
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", PYTHONPATH=pythonpath)
    code = f"import test_untrusted as t; t._fuzz_main({FUZZ_EXAMPLES})"
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tests_dir, capture_output=True, text=True, timeout=600
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("FUZZ "))
    n = int(line.split("examples=")[1].split()[0])
    assert n >= FUZZ_EXAMPLES, line
    print(line, f"({time.monotonic() - t0:.1f} s)")
