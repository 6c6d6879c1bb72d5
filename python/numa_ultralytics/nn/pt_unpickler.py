"""The restricted unpickler of ``.pt`` checkpoints: the allow-list of globals and torch's rebuild helpers in numpy.

:class:`RestrictedUnpickler` resolves only an allow-list of globals:

- the torch tensor/storage rebuild helpers, re-implemented here with numpy (tensors come out as ``numpy.ndarray``;
  any size/stride/offset into a storage is honoured and bounds-checked; tensors may not materialise more than their
  storages hold: :data:`MAX_TENSOR_EXPANSION_BYTES`, :data:`TENSOR_ELEMENT_SLACK`),
- ``torch.nn`` / Ultralytics module classes, which become inert :class:`~numa_ultralytics.nn.standins.StandIn`
  objects,
- a few harmless builtins/containers (``collections.OrderedDict``, ``set``, ``slice`` ...).

Anything else raises :class:`~numa_ultralytics.nn.safety.UnsafeCheckpointError` naming the global, before it is
called. The archive around the pickle is read by :mod:`numa_ultralytics.nn.checkpoint`.
"""

from __future__ import annotations

import collections
import contextvars
import io
import math
import pickle
from pathlib import PurePath
from typing import Any, Callable

import numpy as np

from numa_ultralytics.nn.safety import UnsafeCheckpointError, short_repr
from numa_ultralytics.nn.standins import BoundMethodRef, StandIn, _standin_class

__all__ = ["MAX_TENSOR_EXPANSION_BYTES", "TENSOR_ELEMENT_SLACK", "RestrictedUnpickler"]


class _Frozen:
    """Objects handed to the pickle that it must not be able to modify (BUILD / setattr are refused)."""

    __slots__ = ()

    def __setattr__(self, key: str, value: Any) -> None:
        raise UnsafeCheckpointError(
            f"checkpoint refused: its pickle tries to modify {self!r} (attribute {short_repr(key)})"
        )


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


#: Where a caller asks (nn/checkpoint.py ``checkpoint_summary``): the ids of the parameter arrays a load rebuilt with
#: ``requires_grad=False`` (torch's ``Parameter`` pickles it; 8.4.190's ``model.info()`` counts the others as
#: gradients).
NO_GRAD: contextvars.ContextVar[set[int] | None] = contextvars.ContextVar("NO_GRAD", default=None)


def _rebuild_parameter(data: Any, requires_grad: Any = True, *_: Any) -> np.ndarray:
    if not isinstance(data, np.ndarray):
        raise ValueError(f"corrupt checkpoint: parameter data is {type(data).__name__}")
    no_grad = NO_GRAD.get()
    if no_grad is not None and requires_grad is False:
        no_grad.add(id(data))
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
