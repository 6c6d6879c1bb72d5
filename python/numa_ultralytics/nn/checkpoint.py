"""Read Ultralytics ``.pt`` checkpoints without torch and without running code from the file.

A ``.pt`` written by ``torch.save`` is a zip archive holding ``<name>/data.pkl`` (a pickle) and the raw tensor
storages ``<name>/data/<key>``. Reading one is four steps, each in its own module:

- the archive is checked before any entry is read, and entries are read bounded (:mod:`.zip_limits`: zip-slip names,
  duplicate/encrypted entries, compression bombs, declared sizes against the file's size),
- the pickle is scanned before it is unpickled (:mod:`.pickle_scan`: opcode, memo, expansion, nesting and huge-int
  limits),
- it is unpickled by :class:`~numa_ultralytics.nn.pt_unpickler.RestrictedUnpickler` (:mod:`.pt_unpickler`: only an
  allow-list of globals; torch's tensor rebuild helpers in numpy; module classes become inert
  :class:`~numa_ultralytics.nn.standins.StandIn` objects, :mod:`.standins`),
- each storage's declared size is checked against its zip entry before it is read (here).

Anything outside the allow-list (``os.system``, ``builtins.eval``, ``subprocess.Popen`` ...) raises
:class:`~numa_ultralytics.nn.safety.UnsafeCheckpointError` naming the global, before it is called. Legacy (pre-zip)
torch files are refused outright. Every refusal is an ``UnsafeCheckpointError``, every malformed file a
``ValueError``; pickled values in messages are formatted bounded (:func:`.safety.short_repr`).

Public API: :func:`load_checkpoint` (the unpickled checkpoint dict), :func:`checkpoint_summary` (``model.info()``'s
counts of the checkpoint's module tree). The graph builder
(:mod:`numa_ultralytics.nn.onnx_builder`) turns it into ONNX and :mod:`numa_ultralytics.nn.pt_loader` caches that.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any, Union

import numpy as np

from numa_ultralytics.nn.pickle_scan import MAX_PICKLE_BYTES, _scan_pickle
from numa_ultralytics.nn.pt_unpickler import NO_GRAD, RestrictedUnpickler, _Budget, _Storage, _StorageType
from numa_ultralytics.nn.safety import UnsafeCheckpointError, short_repr
from numa_ultralytics.nn.standins import StandIn
from numa_ultralytics.nn.zip_limits import _check_archive, _read_entry

__all__ = ["PathLike", "checkpoint_summary", "load_checkpoint"]

PathLike = Union[str, "os.PathLike[str]"]


def _archive_prefix(zf: zipfile.ZipFile, path: Path) -> str:
    pkls = [n for n in zf.namelist() if n.endswith("data.pkl") and n.count("/") <= 1]
    if not pkls:
        raise ValueError(
            f"{path} is a zip archive but not a torch checkpoint: no '<name>/data.pkl' in it "
            f"(entries: {', '.join(zf.namelist()[:5])}{' ...' if len(zf.namelist()) > 5 else ''})"
        )
    return pkls[0][: -len("data.pkl")]


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


#: 8.4.190's ``BaseModel.is_fused`` (``fuse()`` has nothing left to do) by class name: a convolution with its ``bn``
#: (``Conv`` and its subclasses, ``ConvTranspose``), a ``RepConv`` / ``RepVGGDW`` with its ``conv1``, a head with both
#: ``cv2`` and ``one2one_cv2`` (a ``Detect`` whose one-to-many head was not removed).
_BN_CONVS = ("Conv", "Conv2", "DWConv", "ConvTranspose")
_REP_CONVS = ("RepConv", "RepVGGDW")


def checkpoint_summary(path: PathLike) -> tuple[int, int, int, bool, str]:
    """What 8.4.190's ``YOLO(path).info()`` counts on the checkpoint's model (``ckpt["ema"]`` or ``ckpt["model"]``,
    as its loader; torch's ``named_modules`` / ``parameters``, each object once): ``(layers, parameters, gradients,
    fused, name)``: the leaf modules, every parameter's size, those with ``requires_grad`` (as pickled), whether
    ``fuse()`` has nothing left to do (its ``is_fused``) and the model's YAML stem (``yaml_file``; "" when none).

    An unfused checkpoint (a training one, both heads of a YOLOv10 / YOLO26) counts its BatchNorms and both heads, as
    the original does; its GFLOPs are not here (engine/model.py ``info`` takes them from the graph that runs)."""
    no_grad: set[int] = set()
    token = NO_GRAD.set(no_grad)
    try:
        ckpt = load_checkpoint(path)
    finally:
        NO_GRAD.reset(token)
    model = (ckpt.get("ema") or ckpt.get("model")) if isinstance(ckpt, dict) else None
    if model is None or not hasattr(model, "__dict__"):
        raise ValueError(f"{path}: not an Ultralytics checkpoint (no 'model' in it)")
    layers = params = grads = 0
    fused = True
    seen: set[int] = set()
    seen_params: set[int] = set()
    stack = [model]
    while stack:
        m = stack.pop()
        if id(m) in seen or not hasattr(m, "__dict__"):
            continue
        seen.add(id(m))
        mods = m.__dict__.get("_modules") or {}
        layers += not mods
        for p in (m.__dict__.get("_parameters") or {}).values():
            if isinstance(p, np.ndarray) and id(p) not in seen_params:
                seen_params.add(id(p))
                params += p.size
                grads += p.size if id(p) not in no_grad else 0
        if isinstance(m, StandIn) and (
            (m.cls_name in _BN_CONVS and StandIn.get(m, "bn") is not None)
            or (m.cls_name in _REP_CONVS and StandIn.get(m, "conv1") is not None)
            or (StandIn.get(m, "cv2") is not None and StandIn.get(m, "one2one_cv2") is not None)
        ):
            fused = False
        stack.extend(c for c in mods.values() if c is not None)
    d = model.__dict__
    yaml = d.get("yaml") if isinstance(d.get("yaml"), dict) else {}
    yaml_file = d.get("yaml_file") or yaml.get("yaml_file") or ""
    return layers, params, grads, fused, Path(str(yaml_file)).stem
