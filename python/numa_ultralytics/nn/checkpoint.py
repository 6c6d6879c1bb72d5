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

Public API: :func:`load_checkpoint` (the unpickled checkpoint dict). The graph builder
(:mod:`numa_ultralytics.nn.onnx_builder`) turns it into ONNX and :mod:`numa_ultralytics.nn.pt_loader` caches that.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import pickletools
import zipfile
from pathlib import Path, PurePath
from typing import Any, Callable, Union

import numpy as np

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
        raise UnsafeCheckpointError(f"checkpoint refused: its pickle tries to modify {self!r} (attribute {key!r})")


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
        raise AttributeError(f"{self.qualname()} has no attribute {name!r}")

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


class _Storage:
    """A storage read from the archive: a flat numpy array of ``numel`` elements."""

    def __init__(self, array: np.ndarray, bf16: bool = False) -> None:
        self.array = array
        self.bf16 = bf16


def _check_int_tuple(value: Any, what: str) -> tuple[int, ...]:
    if not isinstance(value, (tuple, list)) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValueError(f"corrupt checkpoint: tensor {what} is not a tuple of ints: {value!r}")
    return tuple(value)


def _rebuild_tensor(storage: Any, storage_offset: Any, size: Any, stride: Any, *_: Any) -> np.ndarray:
    if not isinstance(storage, _Storage):
        raise ValueError(f"corrupt checkpoint: tensor storage is {type(storage).__name__}, not a storage")
    size = _check_int_tuple(size, "size")
    stride = _check_int_tuple(stride, "stride")
    if not isinstance(storage_offset, int) or storage_offset < 0:
        raise ValueError(f"corrupt checkpoint: bad tensor storage offset {storage_offset!r}")
    if len(size) != len(stride) or any(s < 0 for s in size) or any(s < 0 for s in stride):
        raise ValueError(f"corrupt checkpoint: bad tensor size/stride {size}/{stride}")
    flat = storage.array
    n = int(np.prod(size)) if size else 1
    if n == 0:
        out = np.zeros(size, dtype=flat.dtype)
    else:
        last = storage_offset + sum((s - 1) * st for s, st in zip(size, stride))
        if last >= flat.size:
            raise ValueError(
                f"corrupt checkpoint: tensor of size {size} stride {stride} offset {storage_offset} "
                f"exceeds its storage of {flat.size} elements"
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
        raise UnsafeCheckpointError(f"refusing to call {func!r} from torch._tensor._rebuild_from_type_v2")
    if not isinstance(args, tuple):
        raise ValueError("corrupt checkpoint: _rebuild_from_type_v2 args is not a tuple")
    return func(*args)


def _torch_size(*args: Any) -> tuple[int, ...]:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    return _check_int_tuple(args, "Size")


def _torch_device(*args: Any) -> str:
    return ":".join(str(a) for a in args)


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
    raise UnsafeCheckpointError(f"refusing getattr({type(obj).__name__}, {name!r}) in the checkpoint's pickle")


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


def _numpy_dtype(name: Any, *args: Any) -> np.dtype:
    if not isinstance(name, str):
        raise ValueError("corrupt checkpoint: bad numpy dtype")
    dt = np.dtype(name)
    if dt.hasobject:
        raise UnsafeCheckpointError("refusing numpy object dtype")
    return dt


def _numpy_reconstruct(subtype: Any, shape: Any, dtype: Any) -> np.ndarray:
    if isinstance(subtype, _SafeCallable):
        subtype = subtype.fn
    if subtype is not np.ndarray:
        raise UnsafeCheckpointError(f"refusing numpy array subtype {subtype!r}")
    return np.ndarray.__new__(np.ndarray, shape, dtype)


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
    ("numpy.core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy", "ndarray"): np.ndarray,
}
_ALLOWED = {k: _SafeCallable(v, f"{k[0]}.{k[1]}") for k, v in _ALLOWED.items()}
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
            raise ValueError(f"corrupt checkpoint: unsupported persistent id {pid!r:.80}")
        _, storage_type, key, _location, numel = pid[:5]
        if not isinstance(key, str) or not isinstance(numel, int) or numel < 0:
            raise ValueError(f"corrupt checkpoint: bad storage record {pid!r:.120}")
        if isinstance(storage_type, _TorchDtype):
            dt = _TORCH_DTYPES.get(storage_type.name)
            storage_type = _StorageType(storage_type.name, np.dtype(dt) if dt is not None else None)
        if not isinstance(storage_type, _StorageType):
            raise ValueError(f"corrupt checkpoint: bad storage type {storage_type!r}")
        return self._load_storage(storage_type, key, numel)


def _archive_prefix(zf: zipfile.ZipFile, path: Path) -> str:
    pkls = [n for n in zf.namelist() if n.endswith("data.pkl") and n.count("/") <= 1]
    if not pkls:
        raise ValueError(
            f"{path} is a zip archive but not a torch checkpoint: no '<name>/data.pkl' in it "
            f"(entries: {', '.join(zf.namelist()[:5])}{' ...' if len(zf.namelist()) > 5 else ''})"
        )
    return pkls[0][: -len("data.pkl")]


def _scan_opcodes(data: bytes, path: Path) -> None:
    try:
        for op, _arg, _pos in pickletools.genops(data):
            if op.name in _FORBIDDEN_OPCODES:
                raise UnsafeCheckpointError(f"checkpoint refused: {path} uses the pickle opcode {op.name}")
    except UnsafeCheckpointError:
        raise
    except Exception as e:  # malformed pickle
        raise ValueError(f"{path}: corrupt checkpoint pickle ({e})") from e


def load_checkpoint(path: PathLike) -> dict[str, Any]:
    """Read a torch ``.pt`` checkpoint with the restricted unpickler.

    Returns the unpickled object (for Ultralytics checkpoints a dict with ``model``/``ema``, ``train_args`` ...):
    tensors are ``numpy.ndarray`` (their stored dtype), modules are :class:`StandIn` objects.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a zip (e.g. a legacy torch file or not a checkpoint at all), a truncated/corrupt archive, a
            zip without a pickle, a malformed pickle or tensor record.
        UnsafeCheckpointError (a ValueError): the pickle references a global outside the allow-list.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
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
    except zipfile.BadZipFile as e:
        raise ValueError(f"{path} is truncated or corrupt: not a readable zip archive ({e})") from e
    with zf:
        prefix = _archive_prefix(zf, path)
        try:
            data = zf.read(prefix + "data.pkl")
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            raise ValueError(f"{path} is truncated or corrupt: cannot read {prefix}data.pkl ({e})") from e
        _scan_opcodes(data, path)
        cache: dict[str, _Storage] = {}

        def load_storage(stype: _StorageType, key: str, numel: int) -> _Storage:
            st = cache.get(key)
            if st is not None:
                return st
            name = f"{prefix}data/{key}"
            try:
                raw = zf.read(name)
            except KeyError:
                raise ValueError(f"{path} is truncated or corrupt: tensor storage {name} is missing") from None
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
                raise ValueError(f"{path} is truncated or corrupt: cannot read {name} ({e})") from e
            dtype = stype.dtype if stype.dtype is not None else np.dtype("<u2")
            if stype.name == "UntypedStorage":
                dtype = np.dtype("u1")
            if numel * dtype.itemsize > len(raw):
                raise ValueError(
                    f"{path} is truncated or corrupt: storage {name} holds {len(raw)} bytes, "
                    f"{numel} x {dtype.itemsize} needed"
                )
            arr = np.frombuffer(raw, dtype=dtype, count=numel)
            st = _Storage(arr, bf16=stype.dtype is None)
            cache[key] = st
            return st

        try:
            obj = RestrictedUnpickler(io.BytesIO(data), load_storage).load()
        except (UnsafeCheckpointError, NotImplementedError):
            raise
        except ValueError as e:
            if str(e).startswith(str(path)) or str(e).startswith("corrupt"):
                raise
            raise ValueError(f"{path}: corrupt checkpoint pickle ({e})") from e
        except (pickle.UnpicklingError, EOFError, TypeError, AttributeError, KeyError, IndexError) as e:
            raise ValueError(f"{path}: corrupt checkpoint pickle ({type(e).__name__}: {e})") from e
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: not an Ultralytics checkpoint (the pickle holds a {type(obj).__name__}, not a dict)")
    return obj
