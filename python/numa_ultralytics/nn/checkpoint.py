"""Read Ultralytics ``.pt`` checkpoints without torch and without running code from the file.

A ``.pt`` written by ``torch.save`` is a zip archive holding ``<name>/data.pkl`` (a pickle) and the raw tensor
storages ``<name>/data/<key>``. The pickle is read by :class:`RestrictedUnpickler`, which resolves only an allow-list
of globals:

- the torch tensor/storage rebuild helpers, which are re-implemented here with numpy (tensors come out as
  ``numpy.ndarray``; any size/stride/offset into a storage is honoured and bounds-checked),
- ``torch.nn`` / Ultralytics module classes, which become inert :class:`StandIn` objects that only record their
  pickled state (``__dict__``); no code of theirs exists here, so none can run,
- a few harmless builtins/containers (``collections.OrderedDict``, ``set``, ``slice`` ...).

Anything else (``os.system``, ``builtins.eval``, ``subprocess.Popen`` ...) raises :class:`UnsafeCheckpointError`
naming the global, before it is called. Legacy (pre-zip) torch files and pickle extension-registry opcodes are
refused outright.

Untrusted files are bounded as well as inert: the archive is checked before any entry is read (zip-slip names,
duplicate/encrypted entries, compression bombs: :data:`MAX_DEFLATE_RATIO`, declared sizes against the file's size),
the pickle is scanned before it is unpickled (:data:`MAX_PICKLE_BYTES`, :data:`MAX_OPCODES`, :data:`MAX_MEMO_INDEX`,
:data:`MAX_OBJECT_WEIGHT` against memo bombs, :data:`MAX_NESTING`, :data:`MAX_HUGE_INTS`), a storage's declared size
is checked against its zip entry before it is read, and tensors may not materialise more than their storages hold
(:data:`MAX_TENSOR_EXPANSION_BYTES`, :data:`TENSOR_ELEMENT_SLACK`). Every refusal is an :class:`UnsafeCheckpointError`,
every malformed file a ``ValueError``; pickled values in messages are formatted bounded (:func:`.safety.short_repr`).

Public API: :func:`load_checkpoint` (the unpickled checkpoint dict). The graph builder
(:mod:`numa_ultralytics.nn.onnx_builder`) turns it into ONNX and :mod:`numa_ultralytics.nn.pt_loader` caches that.
"""

from __future__ import annotations

import collections
import io
import math
import os
import pickle
import pickletools
import re
import sys
import zipfile
from pathlib import Path, PurePath
from typing import Any, Callable, Union

import numpy as np

from numa_ultralytics.nn.safety import short_repr

__all__ = [
    "BoundMethodRef",
    "StandIn",
    "UnsafeCheckpointError",
    "RestrictedUnpickler",
    "load_checkpoint",
]

PathLike = Union[str, "os.PathLike[str]"]


class UnsafeCheckpointError(ValueError):
    """The checkpoint's pickle references a global outside the allow-list (nothing from it was executed)."""


# --------------------------------------------------------------------------------------------------------------------
# Inert stand-ins for pickled module objects
# --------------------------------------------------------------------------------------------------------------------


class _Frozen:
    """Objects handed to the pickle that it must not be able to modify (BUILD / setattr are refused)."""

    __slots__ = ()

    def __setattr__(self, key: str, value: Any) -> None:
        raise UnsafeCheckpointError(
            f"checkpoint refused: its pickle tries to modify {self!r} (attribute {short_repr(key)})"
        )


class _StandInMeta(type):
    """Stand-in classes are shared between loads: the pickle must not be able to modify them."""

    def __setattr__(cls, key: str, value: Any) -> None:
        raise UnsafeCheckpointError(f"checkpoint refused: its pickle tries to modify class {cls.__name__}.{key}")

    def __delattr__(cls, key: str) -> None:
        raise UnsafeCheckpointError(f"checkpoint refused: its pickle tries to modify class {cls.__name__}.{key}")


class StandIn(metaclass=_StandInMeta):
    """Inert replacement for a pickled class instance (a ``torch.nn.Module``, an Ultralytics module ...).

    It records the state the pickle gives it (``__dict__``) and the constructor arguments, and has no behaviour.
    ``cls_module`` / ``cls_name`` say which class it stands for.
    """

    cls_module: str = ""
    cls_name: str = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args:
            self.__dict__["_standin_args"] = args
        if kwargs:
            self.__dict__.update(kwargs)

    def __setstate__(self, state: Any) -> None:
        slots = None
        if isinstance(state, tuple) and len(state) == 2 and (state[0] is None or isinstance(state[0], dict)):
            state, slots = state
        if isinstance(state, dict):
            self.__dict__.update(state)
        elif state is not None:
            self.__dict__["_standin_state"] = state
        if isinstance(slots, dict):
            self.__dict__.update(slots)

    @classmethod
    def qualname(cls) -> str:
        return f"{cls.cls_module}.{cls.cls_name}"

    # Module-tree helpers (torch keeps children/parameters/buffers in these three dicts).
    def child(self, name: str) -> Any:
        for key in ("_modules", "_parameters", "_buffers"):
            d = self.__dict__.get(key)
            if isinstance(d, dict) and name in d:
                return d[name]
        if name in self.__dict__:
            return self.__dict__[name]
        raise AttributeError(f"{self.qualname()} has no attribute {short_repr(name)}")

    def has(self, name: str) -> bool:
        try:
            self.child(name)
        except AttributeError:
            return False
        return True

    def get(self, name: str, default: Any = None) -> Any:
        try:
            return self.child(name)
        except AttributeError:
            return default

    def children(self) -> list:
        mods = self.__dict__.get("_modules") or {}
        return [m for m in mods.values() if m is not None]

    def __repr__(self) -> str:
        return f"<StandIn {self.qualname()}>"


_STANDIN_CLASSES: dict[tuple[str, str], type] = {}


def _standin_class(module: str, name: str) -> type:
    key = (module, name)
    cls = _STANDIN_CLASSES.get(key)
    if cls is None:
        cls = type(name, (StandIn,), {"cls_module": module, "cls_name": name, "__module__": __name__})
        _STANDIN_CLASSES[key] = cls
    return cls


class BoundMethodRef:
    """What ``getattr(module, "forward_fuse")`` in a pickle becomes: a name, never a callable."""

    def __init__(self, owner: Any, name: str) -> None:
        self.owner = owner
        self.name = name

    def __repr__(self) -> str:
        return f"<BoundMethodRef {type(self.owner).__name__}.{self.name}>"


# --------------------------------------------------------------------------------------------------------------------
# torch re-implementations (numpy)
# --------------------------------------------------------------------------------------------------------------------


class _StorageType(_Frozen):
    """Stands for ``torch.HalfStorage`` etc.: only carries the numpy dtype."""

    __slots__ = ("name", "dtype")
    name: str
    dtype: np.dtype | None

    def __init__(self, name: str, dtype: np.dtype | None) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "dtype", dtype)

    def __repr__(self) -> str:
        return f"<torch.{self.name}>"


_STORAGE_DTYPES: dict[str, str | None] = {
    "HalfStorage": "<f2",
    "FloatStorage": "<f4",
    "DoubleStorage": "<f8",
    "ByteStorage": "u1",
    "CharStorage": "i1",
    "ShortStorage": "<i2",
    "IntStorage": "<i4",
    "LongStorage": "<i8",
    "BoolStorage": "?",
    "BFloat16Storage": None,  # read as raw uint16, converted to float32 below
    "UntypedStorage": "u1",
}

_TORCH_DTYPES: dict[str, str | None] = {
    "float16": "<f2",
    "half": "<f2",
    "float32": "<f4",
    "float": "<f4",
    "float64": "<f8",
    "double": "<f8",
    "uint8": "u1",
    "int8": "i1",
    "int16": "<i2",
    "int32": "<i4",
    "int64": "<i8",
    "long": "<i8",
    "bool": "?",
    "bfloat16": None,
}


class _TorchDtype(_Frozen):
    __slots__ = ("name",)
    name: str

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "name", name)

    def __repr__(self) -> str:
        return f"torch.{self.name}"


#: A tensor may view more elements than its storage holds (stride 0) only up to this many bytes.
MAX_TENSOR_EXPANSION_BYTES = 16 << 20
#: All tensors of one checkpoint together may hold this many elements more than the storages read for them.
TENSOR_ELEMENT_SLACK = 1 << 24


class _Budget:
    """Elements the tensors of one load may still materialise: the storages read so far plus a small slack."""

    def __init__(self) -> None:
        self.left = TENSOR_ELEMENT_SLACK

    def charge(self, n: int, what: str) -> None:
        if n > self.left:
            raise UnsafeCheckpointError(
                f"checkpoint refused: its tensors would materialise more elements than its storages hold ({what})"
            )
        self.left -= n


class _Storage:
    """A storage read from the archive: a flat numpy array of ``numel`` elements."""

    def __init__(self, array: np.ndarray, bf16: bool = False, budget: _Budget | None = None) -> None:
        self.array = array
        self.bf16 = bf16
        self.budget = budget


def _check_int_tuple(value: Any, what: str) -> tuple[int, ...]:
    if not isinstance(value, (tuple, list)) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValueError(f"corrupt checkpoint: tensor {what} is not a tuple of ints: {short_repr(value)}")
    return tuple(value)


def _rebuild_tensor(storage: Any, storage_offset: Any, size: Any, stride: Any, *_: Any) -> np.ndarray:
    if not isinstance(storage, _Storage):
        raise ValueError(f"corrupt checkpoint: tensor storage is {type(storage).__name__}, not a storage")
    size = _check_int_tuple(size, "size")
    stride = _check_int_tuple(stride, "stride")
    if not isinstance(storage_offset, int) or storage_offset < 0:
        raise ValueError(f"corrupt checkpoint: bad tensor storage offset {short_repr(storage_offset)}")
    if len(size) != len(stride) or any(s < 0 for s in size) or any(s < 0 for s in stride):
        raise ValueError(f"corrupt checkpoint: bad tensor size/stride {short_repr(size)}/{short_repr(stride)}")
    flat = storage.array
    n = math.prod(size)
    if n > flat.size and n * flat.itemsize > MAX_TENSOR_EXPANSION_BYTES:
        raise UnsafeCheckpointError(
            f"checkpoint refused: a tensor of size {short_repr(size)} stride {short_repr(stride)} views "
            f"{n} elements of a storage of {flat.size} (an expansion over {MAX_TENSOR_EXPANSION_BYTES} bytes)"
        )
    if storage.budget is not None:
        storage.budget.charge(n, f"size {short_repr(size)}")
    if len(size) > 32:
        raise ValueError(f"corrupt checkpoint: tensor of {len(size)} dimensions")
    if n == 0:
        out = np.zeros(size, dtype=flat.dtype)
    else:
        last = storage_offset + sum((s - 1) * st for s, st in zip(size, stride))
        if last >= flat.size:
            raise ValueError(
                f"corrupt checkpoint: tensor of size {short_repr(size)} stride {short_repr(stride)} offset "
                f"{storage_offset} exceeds its storage of {flat.size} elements"
            )
        item = flat.itemsize
        view = np.lib.stride_tricks.as_strided(
            flat[storage_offset:], shape=size, strides=tuple(st * item for st in stride), writeable=False
        )
        out = np.array(view, copy=True)
    if storage.bf16:
        out = (out.astype(np.uint32) << 16).view(np.float32)
    return out


def _rebuild_tensor_v2(storage: Any, storage_offset: Any, size: Any, stride: Any, *_: Any) -> np.ndarray:
    return _rebuild_tensor(storage, storage_offset, size, stride)


def _rebuild_tensor_v3(
    storage: Any, storage_offset: Any, size: Any, stride: Any, requires_grad: Any, hooks: Any, dtype: Any, *_: Any
) -> np.ndarray:
    return _rebuild_tensor(storage, storage_offset, size, stride)


def _rebuild_parameter(data: Any, *_: Any) -> np.ndarray:
    if not isinstance(data, np.ndarray):
        raise ValueError(f"corrupt checkpoint: parameter data is {type(data).__name__}")
    return data


def _rebuild_from_type_v2(func: Any, new_type: Any, args: Any, state: Any) -> Any:
    if isinstance(func, _SafeCallable):
        func = func.fn
    if func not in (_rebuild_tensor_v2, _rebuild_tensor_v3, _rebuild_parameter, _rebuild_tensor):
        raise UnsafeCheckpointError(f"refusing to call {short_repr(func)} from torch._tensor._rebuild_from_type_v2")
    if not isinstance(args, tuple):
        raise ValueError("corrupt checkpoint: _rebuild_from_type_v2 args is not a tuple")
    return func(*args)


def _torch_size(*args: Any) -> tuple[int, ...]:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    return _check_int_tuple(args, "Size")


def _torch_device(*args: Any) -> str:
    if not all(isinstance(a, (str, int)) for a in args):
        raise ValueError(f"corrupt checkpoint: bad torch.device{short_repr(args)}")
    return ":".join(short_repr(a, 40) if isinstance(a, int) else a[:40] for a in args)


def _make_path(*parts: Any) -> str:
    if not all(isinstance(p, str) for p in parts):
        raise ValueError("corrupt checkpoint: path parts are not strings")
    return str(PurePath(*parts))


def _safe_getattr(obj: Any, name: Any, *default: Any) -> Any:
    """``getattr`` as a pickle may use it: only on stand-ins, and it returns data, never a callable."""
    if not isinstance(name, str):
        raise UnsafeCheckpointError("refusing getattr with a non-string attribute name")
    if isinstance(obj, StandIn):
        if name in obj.__dict__ and not callable(obj.__dict__[name]):
            return obj.__dict__[name]
        return BoundMethodRef(obj, name)
    if isinstance(obj, _TorchModule) and name in _TORCH_DTYPES:
        return _TorchDtype(name)
    raise UnsafeCheckpointError(
        f"refusing getattr({type(obj).__name__}, {short_repr(name)}) in the checkpoint's pickle"
    )


class _TorchModule(_Frozen):
    """Stands for the ``torch`` module object if a pickle references it."""

    __slots__ = ()


class _SafeCallable(_Frozen):
    """What the pickle gets for an allow-listed function: callable, but not modifiable (no BUILD/setattr)."""

    __slots__ = ("fn", "label")
    fn: Callable[..., Any]
    label: str

    def __init__(self, fn: Callable[..., Any], label: str) -> None:
        object.__setattr__(self, "fn", fn)
        object.__setattr__(self, "label", label)

    def __call__(self, *args: Any) -> Any:
        return self.fn(*args)

    def __repr__(self) -> str:
        return f"<allowed {self.label}>"


def _numpy_scalar(dtype: Any, data: Any = None) -> Any:
    if not isinstance(dtype, np.dtype) or dtype.hasobject:
        raise UnsafeCheckpointError("refusing numpy scalar of a non-plain dtype")
    if not isinstance(data, (bytes, bytearray)) or len(data) != dtype.itemsize:
        raise ValueError("corrupt checkpoint: bad numpy scalar")
    return np.frombuffer(bytes(data), dtype=dtype)[0]


def _codecs_encode(text: Any, encoding: Any = "utf-8") -> bytes:
    """``_codecs.encode(str, "latin1")``: how protocol 2 pickles ``bytes`` (numpy arrays and scalars use it)."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafeCheckpointError("refusing _codecs.encode other than str -> latin1 bytes")
    return text.encode("latin-1")


def _numpy_dtype(name: Any, *args: Any) -> np.dtype:
    if not isinstance(name, str):
        raise ValueError("corrupt checkpoint: bad numpy dtype")
    dt = np.dtype(name)
    if dt.hasobject:
        raise UnsafeCheckpointError("refusing numpy object dtype")
    return dt


class _NdarrayType(_Frozen):
    """What the pickle gets for ``numpy.ndarray``: a marker for ``_reconstruct``, not callable (no allocation)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<numpy.ndarray>"


def _numpy_reconstruct(subtype: Any, shape: Any, dtype: Any) -> np.ndarray:
    if not isinstance(subtype, _NdarrayType):
        raise UnsafeCheckpointError(f"refusing numpy array subtype {short_repr(subtype)}")
    # numpy pickles call _reconstruct(ndarray, (0,), b'b') and give the data with BUILD (bounded by the pickle)
    shape_t = _check_int_tuple(shape if isinstance(shape, (tuple, list)) else (shape,), "shape")
    if not isinstance(dtype, (bytes, str, np.dtype)) or math.prod(shape_t) > 0 or any(s < 0 for s in shape_t):
        raise ValueError(f"corrupt checkpoint: numpy _reconstruct{short_repr((shape, dtype))} is not a pickled array")
    dt = np.dtype(dtype.decode("latin-1") if isinstance(dtype, bytes) else dtype)
    return np.ndarray.__new__(np.ndarray, shape_t, dt)


def _storage_dtype_global(name: str) -> _StorageType:
    dt = _STORAGE_DTYPES[name]
    return _StorageType(name, np.dtype(dt) if dt is not None else None)


# Allow-list: (module, name) -> object the pickle gets. Module classes are handled by prefix below.
_ALLOWED: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "slice"): slice,
    ("builtins", "tuple"): tuple,
    ("builtins", "list"): list,
    ("builtins", "dict"): dict,
    ("builtins", "getattr"): _safe_getattr,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
    ("torch", "Size"): _torch_size,
    ("torch", "device"): _torch_device,
    ("pathlib", "PosixPath"): _make_path,
    ("pathlib", "WindowsPath"): _make_path,
    ("pathlib", "PurePosixPath"): _make_path,
    ("pathlib", "PureWindowsPath"): _make_path,
    ("pathlib", "Path"): _make_path,
    ("numpy.core.multiarray", "scalar"): _numpy_scalar,
    ("numpy._core.multiarray", "scalar"): _numpy_scalar,
    ("numpy", "dtype"): _numpy_dtype,
    ("_codecs", "encode"): _codecs_encode,
    ("numpy.core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _numpy_reconstruct,
}
_ALLOWED = {k: _SafeCallable(v, f"{k[0]}.{k[1]}") for k, v in _ALLOWED.items()}
_ALLOWED[("numpy", "ndarray")] = _NdarrayType()
for _n in _STORAGE_DTYPES:
    _ALLOWED[("torch", _n)] = _storage_dtype_global(_n)
    _ALLOWED[("torch.storage", _n)] = _ALLOWED[("torch", _n)]
for _n in _TORCH_DTYPES:
    _ALLOWED[("torch", _n)] = _TorchDtype(_n)

# Classes under these modules become inert stand-ins (they are only ever instantiated empty and given state).
_STANDIN_PREFIXES = ("ultralytics.nn.", "torch.nn.modules.", "ultralytics.utils", "ultralytics.yolo.utils")
_STANDIN_EXACT = {("torch.nn.parameter", "Parameter"), ("torch", "Tensor"), ("torch._tensor", "Tensor")}

# Pickle opcodes that bypass find_class (extension registry) or are never written by torch.save.
_FORBIDDEN_OPCODES = {"EXT1", "EXT2", "EXT4"}


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only allow-listed globals and reads storages from a torch zip archive."""

    def __init__(self, file: io.BufferedIOBase, load_storage: Callable[[Any, str, int], _Storage]) -> None:
        super().__init__(file, encoding="utf-8")
        self._load_storage = load_storage

    def find_class(self, module: str, name: str) -> Any:
        if module == "__builtin__":
            module = "builtins"
        key = (module, name)
        if key in _ALLOWED:
            return _ALLOWED[key]
        if name.isidentifier() and (key in _STANDIN_EXACT or any(module.startswith(p) for p in _STANDIN_PREFIXES)):
            return _standin_class(module, name)
        raise UnsafeCheckpointError(
            f"checkpoint refused: its pickle references the global '{module}.{name}', which is not allowed "
            "(only torch tensor helpers, torch.nn/Ultralytics module classes and plain containers are); "
            "nothing from the file was executed"
        )

    def persistent_load(self, pid: Any) -> Any:
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage":
            raise ValueError(f"corrupt checkpoint: unsupported persistent id {short_repr(pid)}")
        _, storage_type, key, _location, numel = pid[:5]
        if not isinstance(key, str) or not isinstance(numel, int) or numel < 0:
            raise ValueError(f"corrupt checkpoint: bad storage record {short_repr(pid)}")
        if isinstance(storage_type, _TorchDtype):
            dt = _TORCH_DTYPES.get(storage_type.name)
            storage_type = _StorageType(storage_type.name, np.dtype(dt) if dt is not None else None)
        if not isinstance(storage_type, _StorageType):
            raise ValueError(f"corrupt checkpoint: bad storage type {short_repr(storage_type)}")
        return self._load_storage(storage_type, key, numel)


def _archive_prefix(zf: zipfile.ZipFile, path: Path) -> str:
    pkls = [n for n in zf.namelist() if n.endswith("data.pkl") and n.count("/") <= 1]
    if not pkls:
        raise ValueError(
            f"{path} is a zip archive but not a torch checkpoint: no '<name>/data.pkl' in it "
            f"(entries: {', '.join(zf.namelist()[:5])}{' ...' if len(zf.namelist()) > 5 else ''})"
        )
    return pkls[0][: -len("data.pkl")]


# Limits on what an untrusted pickle may make the unpickler build. Real Ultralytics checkpoints sit far below them
# (yolo11n-seg.pt: 38,960 opcodes, 8,417 memo entries, objects expanded 33,838, depth 34, 96 KB; yolov8n-seg.pt:
# 29,346 / 6,357 / 25,556 / 28 / 73 KB; tests/test_untrusted.py keeps a margin of 25x or more): a pickle above any of
# them is refused before it is unpickled, so no pickle can make the loader hang or allocate without bound.
MAX_PICKLE_BYTES = 64 << 20  #: data.pkl size
MAX_OPCODES = 1_500_000  #: pickle opcodes
MAX_MEMO_INDEX = 1 << 20  #: highest memo slot (the C unpickler sizes its memo array by it)
MAX_OBJECT_WEIGHT = 4_000_000  #: objects any value expands to when shared references are counted each time
MAX_NESTING = 200  #: nesting depth of containers / constructor calls
#: Integers at least as large as the hash modulus (2**61 - 1): distinct ones can share a hash, so many of them as
#: dict keys make dict insertion quadratic (a hash-collision flood). Real checkpoints hold none.
MAX_HUGE_INTS = 1000
_INT_OPCODES = {"INT", "LONG", "BININT", "BININT1", "BININT2", "LONG1", "LONG4"}

_MUTATING_OPCODES = {"APPEND", "APPENDS", "SETITEM", "SETITEMS", "ADDITEMS", "BUILD"}
_NEW_CONTAINER_OPCODES = {"EMPTY_LIST", "EMPTY_DICT", "EMPTY_SET"}
_PUT_OPCODES = {"PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"}
_GET_OPCODES = {"GET", "BINGET", "LONG_BINGET"}
_LEAF = -1  # a constant (int, str, global ...) on the simulated stack
_MARK = -2


def _scan_pickle(data: bytes, path: Path) -> dict[str, int]:
    """Check a checkpoint's pickle before it is unpickled, without building anything from it.

    Walks the opcodes (:func:`pickletools.genops`) on a simulated stack that records only which object holds which,
    and refuses: extension-registry opcodes, more than :data:`MAX_OPCODES` opcodes, memo indices above
    :data:`MAX_MEMO_INDEX`, a value that expands to more than :data:`MAX_OBJECT_WEIGHT` objects when every shared
    reference is counted (memo bombs: ``[x] * 10`` nested 30 deep is 10**30 objects for ``repr``/``hash``/``==``),
    nesting deeper than :data:`MAX_NESTING`. A malformed pickle (stack underflow, unknown opcode, truncation) is a
    ``ValueError``. Returns the stats (``opcodes``, ``memo``, ``weight``, ``depth``) for the limits' calibration.
    """
    if len(data) > MAX_PICKLE_BYTES:
        raise UnsafeCheckpointError(
            f"checkpoint refused: {path}: its pickle is {len(data)} bytes (limit {MAX_PICKLE_BYTES})"
        )
    stack: list[int] = []
    marks: list[int] = []
    memo: dict[int, int] = {}
    kids: list[list[int]] = []  # node -> child nodes (with repetition)
    leaves: list[int] = []  # node -> number of constant children
    n_ops = 0
    huge_ints = 0

    def new_node(children: list[int]) -> int:
        kids.append([c for c in children if c >= 0])
        leaves.append(sum(1 for c in children if c < 0))
        return len(kids) - 1

    def corrupt(msg: str) -> ValueError:
        return ValueError(f"{path}: corrupt checkpoint pickle ({msg})")

    try:
        for op, arg, pos in pickletools.genops(data):
            n_ops += 1
            name = op.name
            if n_ops > MAX_OPCODES:
                raise UnsafeCheckpointError(
                    f"checkpoint refused: {path}: its pickle has more than {MAX_OPCODES} opcodes"
                )
            if name in _FORBIDDEN_OPCODES:
                raise UnsafeCheckpointError(f"checkpoint refused: {path} uses the pickle opcode {name}")
            if name in _INT_OPCODES and isinstance(arg, int) and abs(arg) >= sys.hash_info.modulus:
                huge_ints += 1
                if huge_ints > MAX_HUGE_INTS:
                    raise UnsafeCheckpointError(
                        f"checkpoint refused: {path}: its pickle holds over {MAX_HUGE_INTS} integers >= 2**61 - 1 "
                        "(a hash-collision flood)"
                    )
            if name in _PUT_OPCODES:
                idx = len(memo) if name == "MEMOIZE" else arg
                if not isinstance(idx, int) or idx < 0 or idx > MAX_MEMO_INDEX:
                    raise UnsafeCheckpointError(
                        f"checkpoint refused: {path}: pickle memo index {short_repr(idx)} at byte {pos} "
                        f"(limit {MAX_MEMO_INDEX})"
                    )
                if not stack or (marks and marks[-1] == len(stack)):
                    raise corrupt(f"{name} on an empty stack at byte {pos}")
                memo[idx] = stack[-1]
            elif name in _GET_OPCODES:
                if arg not in memo:
                    raise corrupt(f"memo key {short_repr(arg)} not found at byte {pos}")
                stack.append(memo[arg])
            elif name == "MARK":
                marks.append(len(stack))
            elif name in ("PROTO", "FRAME"):
                pass
            elif name == "STOP":
                if len(stack) != 1 or marks:
                    raise corrupt(f"STOP with {len(stack)} objects and {len(marks)} open MARKs on the stack")
            elif name in _NEW_CONTAINER_OPCODES:
                stack.append(new_node([]))
            else:
                before, after = op.stack_before, op.stack_after
                if pickletools.markobject in before:
                    if not marks:
                        raise corrupt(f"{name} without a MARK at byte {pos}")
                    m = marks.pop()
                    popped = stack[m:]
                    del stack[m:]
                    below = before.index(pickletools.markobject)
                else:
                    below = len(before)
                    if marks and len(stack) - below < marks[-1]:
                        raise corrupt(f"{name} reaches below a MARK at byte {pos}")
                    popped = []
                if below:
                    if len(stack) < below or (marks and len(stack) - below < marks[-1]):
                        raise corrupt(f"stack underflow at {name}, byte {pos}")
                    popped = stack[len(stack) - below :] + popped
                    del stack[len(stack) - below :]
                if name == "DUP":
                    stack.extend(popped * 2)
                elif name in _MUTATING_OPCODES:
                    target = popped[0]
                    if target < 0:
                        raise corrupt(f"{name} on a constant at byte {pos}")
                    for c in popped[1:]:
                        if c >= 0:
                            kids[target].append(c)
                        else:
                            leaves[target] += 1
                    stack.append(target)
                elif after:
                    stack.append(new_node(popped) if popped else _LEAF)
    except (UnsafeCheckpointError, ValueError) as e:
        if isinstance(e, UnsafeCheckpointError) or str(e).startswith(str(path)):
            raise
        raise corrupt(str(e)) from e
    except Exception as e:  # malformed pickle
        raise corrupt(f"{type(e).__name__}: {short_repr(str(e), 200)}") from e
    weight, depth = _graph_extent(kids, leaves)
    if weight > MAX_OBJECT_WEIGHT:
        raise UnsafeCheckpointError(
            f"checkpoint refused: {path}: its pickle shares references so often that one value expands to more "
            f"than {MAX_OBJECT_WEIGHT} objects (a memo bomb)"
        )
    if depth > MAX_NESTING:
        raise UnsafeCheckpointError(
            f"checkpoint refused: {path}: its pickle nests objects {depth} deep (limit {MAX_NESTING})"
        )
    return {"opcodes": n_ops, "memo": len(memo), "weight": weight, "depth": depth, "bytes": len(data)}


def _graph_extent(kids: list[list[int]], leaves: list[int]) -> tuple[int, int]:
    """Largest expanded size (capped just above the limit) and nesting depth over all nodes of the object graph.

    A reference back to a node still being expanded (a cycle, which ``repr`` prints as ``[...]``) counts as 1.
    """
    n = len(kids)
    cap = MAX_OBJECT_WEIGHT + 1
    weight = [0] * n  # 0: not done
    depth = [0] * n
    on_path = bytearray(n)
    best_w = best_d = 0
    for root in range(n):
        if weight[root]:
            continue
        todo: list[tuple[int, int]] = [(root, 0)]
        on_path[root] = 1
        while todo:
            node, i = todo[-1]
            ch = kids[node]
            if i < len(ch):
                todo[-1] = (node, i + 1)
                c = ch[i]
                if not weight[c] and not on_path[c]:
                    on_path[c] = 1
                    todo.append((c, 0))
                continue
            w, d = 1 + leaves[node], 0
            for c in ch:
                if weight[c]:
                    w += weight[c]
                    d = max(d, depth[c])
                else:  # on the current path: a cycle
                    w += 1
                if w >= cap:
                    w = cap
                    break
            weight[node], depth[node] = w, d + 1
            on_path[node] = 0
            todo.pop()
            best_w, best_d = max(best_w, w), max(best_d, d + 1)
            if best_w >= cap or best_d > MAX_NESTING:
                return best_w, best_d
    return best_w, best_d


MAX_ZIP_ENTRIES = 100_000  #: entries in a checkpoint archive
MAX_DEFLATE_RATIO = 100  #: a compressed entry over 1 MiB may expand at most this much
#: All entries together may declare at most 4x the file's size + 64 MiB of content (stored entries: at most 1x).
_ZIP_SLACK_BYTES = 64 << 20
#: Compression methods read: torch writes stored entries; deflate is what re-zipping tools use. Anything else (bzip2,
#: lzma, ...) is refused by name: Python's bzip2/lzma readers inflate a whole compressed chunk at once, unbounded.
ZIP_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
_ZIP_METHOD_NAMES = {9: "deflate64", 12: "bzip2", 14: "lzma", 93: "zstandard", 95: "xz", 98: "ppmd", 99: "AES"}
ZIP_READ_CHUNK = 4 << 20  #: an entry is inflated this many bytes at a time, and never past its declared size
_DRIVE = re.compile(r"^[A-Za-z]:")


def _check_archive(zf: zipfile.ZipFile, path: Path) -> None:
    """Refuse zip-slip names, duplicate or encrypted entries, unsupported methods and zip bombs, before any read."""
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise UnsafeCheckpointError(
            f"checkpoint refused: {path} has {len(infos)} zip entries (limit {MAX_ZIP_ENTRIES})"
        )
    disk = path.stat().st_size
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        parts = re.split(r"[/\\]", name)
        if not name or "\x00" in name or "\\" in name or name.startswith("/") or _DRIVE.match(name) or ".." in parts:
            raise UnsafeCheckpointError(
                f"checkpoint refused: {path} holds the zip entry {short_repr(name)}, a path outside the archive"
            )
        if name in seen:
            raise UnsafeCheckpointError(f"checkpoint refused: {path} holds the zip entry {short_repr(name)} twice")
        seen.add(name)
        if info.flag_bits & 0x1:
            raise ValueError(f"{path}: zip entry {short_repr(name)} is encrypted; not a torch checkpoint")
        if info.compress_type not in ZIP_METHODS:
            method = _ZIP_METHOD_NAMES.get(info.compress_type, "unknown")
            raise ValueError(
                f"{path}: zip entry {short_repr(name)} uses compression method {info.compress_type} ({method}), which "
                f"a torch checkpoint never uses (torch writes stored entries; read: {', '.join(ZIP_METHODS.values())})"
            )
        if info.compress_type == zipfile.ZIP_STORED:
            if info.file_size != info.compress_size:
                raise ValueError(f"{path} is truncated or corrupt: stored zip entry {short_repr(name)} sizes differ")
        elif info.file_size > max(1 << 20, MAX_DEFLATE_RATIO * info.compress_size):
            raise UnsafeCheckpointError(
                f"checkpoint refused: {path}: zip entry {short_repr(name)} declares {info.file_size} bytes from "
                f"{info.compress_size} compressed (a zip bomb; limit ratio {MAX_DEFLATE_RATIO})"
            )
        total += info.file_size
    if total > 4 * disk + _ZIP_SLACK_BYTES:
        raise UnsafeCheckpointError(
            f"checkpoint refused: {path}: its zip entries declare {total} bytes for a {disk}-byte file (a zip bomb)"
        )


def _read_bounded(zf: zipfile.ZipFile, name: str) -> bytearray:
    """An entry's content, inflated ``ZIP_READ_CHUNK`` bytes at a time and never past its declared size.

    The declared sizes were checked by :func:`_check_archive` (ratio, total against the file), so they are the cap:
    a header that declares less than the entry really holds gets the declared bytes (then zipfile's CRC check fails),
    never the rest. ``zf.read`` would ask the decompressor for up to 2 GiB in one call.
    """
    info = zf.getinfo(name)
    size = info.file_size
    out = bytearray(size)
    pos = 0
    with zf.open(info) as fh:
        while pos < size:
            chunk = fh.read(min(ZIP_READ_CHUNK, size - pos))
            if not chunk:
                raise EOFError(f"{size - pos} of its {size} declared bytes are missing")
            out[pos : pos + len(chunk)] = chunk
            pos += len(chunk)
    return out


def _read_entry(zf: zipfile.ZipFile, name: str, path: Path, what: str) -> bytearray:
    try:
        return _read_bounded(zf, name)
    except KeyError:
        raise ValueError(f"{path} is truncated or corrupt: {what} {name} is missing") from None
    except MemoryError:
        raise
    except Exception as e:  # BadZipFile, OSError, zlib.error, EOFError ... on a damaged entry
        raise ValueError(
            f"{path} is truncated or corrupt: cannot read {name} ({type(e).__name__}: {short_repr(str(e), 200)})"
        ) from e


def load_checkpoint(path: PathLike) -> dict[str, Any]:
    """Read a torch ``.pt`` checkpoint with the restricted unpickler.

    Returns the unpickled object (for Ultralytics checkpoints a dict with ``model``/``ema``, ``train_args`` ...):
    tensors are ``numpy.ndarray`` (their stored dtype), modules are :class:`StandIn` objects.

    Untrusted files are safe to pass: nothing in them is executed, and the archive and pickle are checked against
    the module's limits (``MAX_*``) before anything is built from them, so a crafted file ends in one of the errors
    below within a bounded time and memory (no hang, no ``MemoryError``).

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a zip (e.g. a legacy torch file or not a checkpoint at all), a truncated/corrupt archive, a
            zip without a pickle, a malformed pickle or tensor record.
        UnsafeCheckpointError (a ValueError): the pickle references a global outside the allow-list, or the file
            goes over a limit (zip-slip entry name, zip bomb, memo/recursion bomb, oversized pickle, a tensor that
            expands beyond its storage).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        return _load_checkpoint(path)
    except MemoryError as e:
        raise ValueError(f"{path}: checkpoint refused: reading it ran out of memory") from e
    except RecursionError as e:
        raise ValueError(f"{path}: checkpoint refused: its objects nest too deeply") from e


def _load_checkpoint(path: Path) -> dict[str, Any]:
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head[:2] != b"PK":
        if head[:1] == b"\x80":
            raise ValueError(
                f"{path} is not a zip-based torch checkpoint (it looks like a legacy pre-1.6 torch.save file or a "
                "bare pickle, which cannot be read safely); re-save it with a recent torch"
            )
        raise ValueError(f"{path} is not a torch checkpoint: not a zip archive (starts with {head!r})")
    try:
        zf = zipfile.ZipFile(path)
    except Exception as e:  # BadZipFile, OSError, struct.error ... on a damaged central directory
        raise ValueError(
            f"{path} is truncated or corrupt: not a readable zip archive "
            f"({type(e).__name__}: {short_repr(str(e), 200)})"
        ) from e
    with zf:
        _check_archive(zf, path)
        prefix = _archive_prefix(zf, path)
        if zf.getinfo(prefix + "data.pkl").file_size > MAX_PICKLE_BYTES:
            raise UnsafeCheckpointError(
                f"checkpoint refused: {path}: {prefix}data.pkl is over {MAX_PICKLE_BYTES} bytes"
            )
        data = bytes(_read_entry(zf, prefix + "data.pkl", path, "pickle"))
        _scan_pickle(data, path)
        cache: dict[str, _Storage] = {}
        budget = _Budget()

        def load_storage(stype: _StorageType, key: str, numel: int) -> _Storage:
            st = cache.get(key)
            if st is not None:
                return st
            name = f"{prefix}data/{key}"
            dtype = stype.dtype if stype.dtype is not None else np.dtype("<u2")
            if stype.name == "UntypedStorage":
                dtype = np.dtype("u1")
            try:
                size = zf.getinfo(name).file_size
            except KeyError:
                raise ValueError(f"{path} is truncated or corrupt: tensor storage {name} is missing") from None
            if numel * dtype.itemsize > size:  # checked before reading: the pickle's numel is untrusted
                raise ValueError(
                    f"{path} is truncated or corrupt: storage {name} holds {size} bytes, "
                    f"{numel} x {dtype.itemsize} needed"
                )
            raw = _read_entry(zf, name, path, "tensor storage")
            if numel * dtype.itemsize > len(raw):
                raise ValueError(
                    f"{path} is truncated or corrupt: storage {name} holds {len(raw)} bytes, "
                    f"{numel} x {dtype.itemsize} needed"
                )
            arr = np.frombuffer(raw, dtype=dtype, count=numel)
            budget.left += 2 * numel  # each storage may be viewed in full twice (shared weights) before refusal
            st = _Storage(arr, bf16=stype.dtype is None, budget=budget)
            cache[key] = st
            return st

        try:
            obj = RestrictedUnpickler(io.BytesIO(data), load_storage).load()
        except (UnsafeCheckpointError, MemoryError, RecursionError):
            raise
        except ValueError as e:
            if str(e).startswith(str(path)) or str(e).startswith("corrupt"):
                raise
            raise ValueError(f"{path}: corrupt checkpoint pickle ({short_repr(str(e), 200)})") from e
        except Exception as e:  # pickle.UnpicklingError, EOFError, TypeError, AttributeError, KeyError ...
            raise ValueError(
                f"{path}: corrupt checkpoint pickle ({type(e).__name__}: {short_repr(str(e), 200)})"
            ) from e
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: not an Ultralytics checkpoint (the pickle holds a {type(obj).__name__}, not a dict)")
    return obj
