"""ONNX Runtime backend: opens an exported YOLO model and reads its metadata.

Picks CUDA when a GPU is usable (onnxruntime-gpu and a loadable CUDA driver), else the CPU.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from numa_ultralytics.nn.safety import check_onnx_external_data
from numa_ultralytics.utils import literal

# Names of the extra outputs ``feats0``, ``feats1``, ... that carry the detection head's input feature maps (graphs
# built from ``.pt`` files have them: the detector's own ReID features, read only when a tracker asks).
FEATURE_OUTPUT_PREFIX = "feats"

_CUDA_OK: bool | None = None


def cuda_usable() -> bool:
    """True when onnxruntime offers CUDA and the CUDA driver library loads (a GPU is present)."""
    global _CUDA_OK
    if _CUDA_OK is None:
        import onnxruntime as ort

        ok = "CUDAExecutionProvider" in ort.get_available_providers()
        if ok:
            try:
                ctypes.CDLL(ctypes.util.find_library("cuda") or "libcuda.so.1")
            except OSError:
                ok = False
        _CUDA_OK = ok
    return _CUDA_OK


def parse_device(device: Any) -> tuple[str, int]:
    """``None``/``""`` -> auto; ``"cpu"``; ``0``, ``"0"``, ``"cuda"``, ``"cuda:1"`` -> CUDA device id."""
    if device is None or device == "":
        return ("cuda", 0) if cuda_usable() else ("cpu", 0)
    if isinstance(device, bool):
        raise ValueError(f"invalid device={device!r}; use 'cpu', 0, '0' or 'cuda:0'")
    if isinstance(device, int):
        kind, idx = "cuda", device
    else:
        s = str(device).strip().lower()
        if s == "cpu":
            return "cpu", 0
        if s.startswith("cuda"):
            rest = s[4:].lstrip(":")
            kind, idx = "cuda", int(rest) if rest.isdigit() else 0 if rest == "" else -1
        elif s.isdigit():
            kind, idx = "cuda", int(s)
        else:
            idx = -1
            kind = s
        if idx < 0:
            raise ValueError(f"invalid device={device!r}; use 'cpu', 0, '0' or 'cuda:0'")
    if not cuda_usable():
        raise ValueError(
            f"device={device!r} requested but CUDA is not available (onnxruntime-gpu with a CUDA GPU is needed); "
            "use device='cpu'"
        )
    return kind, idx


class AutoBackend:
    """An ONNX Runtime session plus the export's metadata (names, stride, imgsz, task, end2end)."""

    def __init__(self, path: str | os.PathLike, device: Any = None) -> None:
        import onnxruntime as ort

        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"model file not found: {path}")
        if path.stat().st_size == 0:
            raise ValueError(f"model file is empty: {path}")
        self.path = path
        kind, idx = parse_device(device)
        providers: list[Any] = ["CPUExecutionProvider"]
        if kind == "cuda":
            providers.insert(0, ("CUDAExecutionProvider", {"device_id": idx}))
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        check_onnx_external_data(path)  # external data outside the model's folder: refused before ORT opens it
        try:
            self.session = ort.InferenceSession(str(path), sess_options=opts, providers=providers)
        except Exception as e:  # onnxruntime raises its own exception types
            raise ValueError(f"could not load ONNX model {path}: {str(e).strip().splitlines()[0]}") from e
        self.device = f"cuda:{idx}" if "CUDAExecutionProvider" in self.session.get_providers() else "cpu"
        if kind == "cuda" and self.device == "cpu":
            if device is not None and device != "":  # asked for a GPU: never run on the CPU silently
                raise ValueError(
                    f"device={device!r} requested but onnxruntime could not start CUDA (missing CUDA/cuDNN "
                    "libraries?); install onnxruntime-gpu's CUDA dependencies or use device='cpu'"
                )
            logging.getLogger("numa_ultralytics").warning(
                "CUDA is present but onnxruntime could not use it (missing CUDA/cuDNN libraries?); running on the CPU"
            )
        meta = self.session.get_modelmeta().custom_metadata_map
        self.metadata = {k: literal(v) for k, v in meta.items()}
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        self.input_dtype = np.float16 if inp.type == "tensor(float16)" else np.float32
        shape = list(inp.shape)
        if len(shape) != 4:
            raise ValueError(f"{path}: expected a 4-D image input (B, 3, H, W), got shape {shape}")
        self.dynamic = not (isinstance(shape[2], int) and isinstance(shape[3], int))
        self.static_hw = None if self.dynamic else (int(shape[2]), int(shape[3]))
        # The detection head's input feature maps (graphs built from .pt files carry them as extra outputs): run
        # only when asked (``__call__(feats=True)``), for ReID from the detector's own features.
        outputs = self.session.get_outputs()
        self.feature_names = [o.name for o in outputs if o.name.startswith(FEATURE_OUTPUT_PREFIX)]
        self.output_names = [o.name for o in outputs if not o.name.startswith(FEATURE_OUTPUT_PREFIX)]
        out_shapes = [o.shape for o in outputs if not o.name.startswith(FEATURE_OUTPUT_PREFIX)]

        meta_names = self.metadata.get("names")
        names: dict[int, str] | None = None
        if isinstance(meta_names, dict):
            names = {int(k): str(v) for k, v in meta_names.items()}
        elif isinstance(meta_names, (list, tuple)):
            names = dict(enumerate(map(str, meta_names)))
        self.stride = int(self.metadata.get("stride", 32) or 32)
        imgsz = self.metadata.get("imgsz")
        self.imgsz = list(imgsz) if isinstance(imgsz, (list, tuple)) else None
        self.end2end = bool(self.metadata.get("end2end", False))
        self.has_protos = len(self.output_names) >= 2
        task = self.metadata.get("task")
        self.task = task if isinstance(task, str) else ("segment" if self.has_protos else "detect")
        # number of classes from the output layout
        o0 = out_shapes[0]
        nm = (
            out_shapes[1][1]
            if self.has_protos and isinstance(out_shapes[1][1], int)
            else (32 if self.has_protos else 0)
        )
        self.nm = nm
        nc: int | None = len(names) if names else None
        if not self.end2end and isinstance(o0[1], int):
            nc = o0[1] - 4 - nm
        if names is None:
            names = {i: f"class{i}" for i in range(nc or 0)}
        self.names: dict[int, str] = names
        self.nc: int = len(names) if nc is None else nc

    @property
    def has_features(self) -> bool:
        """True when the graph outputs the detection head's input feature maps (``.pt`` checkpoints)."""
        return bool(self.feature_names)

    def __call__(self, im: np.ndarray, feats: bool = False) -> list[np.ndarray]:
        """Run the model: the head outputs (``output0``, ``output1``), then with ``feats`` the feature maps."""
        if im.dtype != self.input_dtype:
            im = im.astype(self.input_dtype)
        names = self.output_names + self.feature_names if feats else self.output_names
        outs = self.session.run(names, {self.input_name: im})
        return [o if o.dtype == np.float32 else o.astype(np.float32) for o in outs]
