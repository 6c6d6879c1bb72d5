"""ONNX Runtime backend: opens an exported YOLO model and reads its metadata.

Picks CUDA when a GPU is usable (onnxruntime-gpu and a loadable CUDA driver), else the CPU. Which runtime and
precision on that device (``half``, ``runtime``: onnxruntime fp32, OpenVINO fp32/bf16): nn/precision.py.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import re
import threading
from pathlib import Path
from typing import Any

import numpy as np

from numa_ultralytics.nn.cuda import cuda_provider, preload_cuda_libraries
from numa_ultralytics.nn.graph_io import FEATURE_OUTPUT_PREFIX
from numa_ultralytics.nn.iobinding import BoundRunner, io_binding_default
from numa_ultralytics.nn.safety import check_onnx_external_data, short_repr
from numa_ultralytics.utils import literal
from numa_ultralytics.utils.args import ArgError, check_device

# Names of the extra outputs ``feats0``, ``feats1``, ... that carry the detection head's input feature maps (graphs
# built from ``.pt`` files have them: the detector's own ReID features, read only when a tracker asks).

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
    """``None``/``""`` -> auto; ``"cpu"``; ``0``, ``"0"``, ``"cuda"``, ``"cuda:1"`` -> CUDA device id (the format:
    utils/args.py ``check_device``)."""
    if device is None or device == "":
        return ("cuda", 0) if cuda_usable() else ("cpu", 0)
    try:
        check_device("device", device)
    except ArgError:
        raise ValueError(f"invalid device={device!r}; use 'cpu', 0, '0' or 'cuda:0'") from None
    if isinstance(device, (int, np.integer)):
        kind, idx = "cuda", int(device)
    else:
        s = str(device).strip().lower()
        if s == "cpu":
            return "cpu", 0
        digits = s[len("cuda") :].lstrip(":") if s.startswith("cuda") else s
        kind, idx = "cuda", int(digits) if digits else 0
    if not cuda_usable():
        raise ValueError(
            f"device={device!r} requested but CUDA is not available (onnxruntime-gpu with a CUDA GPU is needed); "
            "use device='cpu'"
        )
    return kind, idx


TASKS = ("detect", "segment")  # the tasks this package runs; Ultralytics' classify / pose / obb exports are refused

# Ultralytics model names of tasks and families this package does not run: refused by name before any lookup or
# download (a checkpoint or export of them that is loaded anyway is refused by its task or modules)
_OTHER_MODELS = (
    (re.compile(r"-cls\b", re.I), "a classify"),
    (re.compile(r"-pose\b", re.I), "a pose"),
    (re.compile(r"-obb\b", re.I), "an OBB"),
    (re.compile(r"yoloe|yolo-?world|-world", re.I), "an open-vocabulary (YOLOE / YOLO-World)"),
    (re.compile(r"rtdetr", re.I), "an RT-DETR"),
    (re.compile(r"(^|[-_/])(mobile_?|fast)?sam\d*(\.|[-_]|$)", re.I), "a SAM"),
)


def refuse_other_tasks(name: str) -> None:
    """``NotImplementedError`` for a model name of a task or family this package does not run (``yolo11n-pose.pt``,
    ``yolo11n-cls.pt``, ``yolov8s-world.pt``, ``rtdetr-l.pt``, ...), naming what it runs instead."""
    stem = os.path.basename(str(name))
    for pattern, what in _OTHER_MODELS:
        if pattern.search(stem):
            raise NotImplementedError(
                f"{stem} is {what} model; numa_ultralytics runs detect and segment models only (e.g. yolo11n.pt, "
                "yolo11n-seg.pt, yolo26n-seg.pt): use Ultralytics for this one"
            )


def _names(path: Path, meta_names: Any) -> dict[int, str] | None:
    """The metadata's ``names`` (a dict or a list) as {index: name}; None when absent."""
    if meta_names is None:
        return None
    try:
        if isinstance(meta_names, dict):
            return {int(k): str(v) for k, v in meta_names.items()}
        if isinstance(meta_names, (list, tuple)):
            return dict(enumerate(map(str, meta_names)))
    except (TypeError, ValueError):
        pass
    raise ValueError(f"{path}: metadata 'names' must map class indices to names, got {short_repr(meta_names)}")


def _end2end_hint(o0: list[Any], nm: int) -> str:
    """A hint when a normal-looking output0 has the end-to-end layout (batch, max_det, 6 + nm)."""
    if o0[2] == 6 + nm:
        return f"; with {o0[2]} columns it looks like an end-to-end output (is the end2end metadata missing?)"
    return ""


#: The strides an Ultralytics model's metadata may declare: its largest feature-map stride (32; 64 for P6 models).
#: Anything else is refused: the letterbox pads to a multiple of it, so ``stride: 8192`` would run 8192x8192 inputs.
STRIDES = (8, 16, 32, 64)


def check_stride(path: Any, meta: dict[str, Any]) -> int:
    """The metadata ``stride`` (32 when absent), one of ``STRIDES``; a ``ValueError`` naming the field otherwise."""
    v = meta.get("stride")
    if v is None:
        return 32
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v not in STRIDES:
        raise ValueError(
            f"{path}: metadata 'stride' must be one of {list(STRIDES)} (the model's largest feature-map stride), "
            f"got {short_repr(v)}"
        )
    return int(v)


def check_outputs(
    path: Path, metadata: dict[str, Any], task: str, end2end: bool, out_shapes: list[list[Any]]
) -> tuple[int, int, dict[int, str]]:
    """Check that the export's metadata (``task``, ``end2end``, ``names``) fits its output shapes; returns (nm, nc,
    names). Every mismatch is a ``ValueError`` naming it:

    - ``task`` must be detect or segment (a classify / pose / obb export is refused);
    - ``output0`` is ``(batch, 4 + nc + nm, anchors)`` with nc >= 1, or for ``end2end`` exports
      ``(batch, max_det, 6 + nm)`` (x1, y1, x2, y2, score, class, mask coefficients); segment exports add ``output1``
      ``(batch, nm, mh, mw)``;
    - ``names`` covers exactly the classes 0..nc-1 (end-to-end exports take nc from ``names``, which they need).

    Dimensions that are symbolic (dynamic exports) are checked on the real outputs by ``_core.postprocess``.
    """
    if task not in TASKS:
        raise ValueError(
            f"{path} is a {task!r} model (metadata task); numa_ultralytics runs {' and '.join(TASKS)} models"
        )
    o0 = list(out_shapes[0])
    if len(o0) != 3:
        raise ValueError(
            f"{path}: output0 has shape {o0}; a {task} model's output0 is (batch, 4 + classes + masks, anchors)"
            + (" or (batch, max_det, 6 + masks) end-to-end" if end2end else "")
        )
    nm = 0
    if len(out_shapes) >= 2:
        o1 = list(out_shapes[1])
        if len(o1) != 4:
            raise ValueError(f"{path}: output1 (mask prototypes) has shape {o1}; expected (batch, nm, mask h, mask w)")
        nm = o1[1] if isinstance(o1[1], int) else 32
    names = _names(path, metadata.get("names"))
    if end2end:
        if isinstance(o0[2], int) and o0[2] != 6 + nm:
            raise ValueError(
                f"{path}: metadata says end2end=True but output0 has shape {o0}; an end-to-end output is "
                f"(batch, max_det, {6 + nm}) = x1, y1, x2, y2, score, class"
                + (f" + {nm} mask coefficients" if nm else "")
                + ". Is the end2end metadata wrong?"
            )
        if not names:
            raise ValueError(f"{path}: an end-to-end model needs 'names' in its metadata (its class count)")
        nc = len(names)
    elif isinstance(o0[1], int):
        nc = o0[1] - 4 - nm
        if nc < 1:
            raise ValueError(
                f"{path}: output0 has shape {o0}: {o0[1]} rows leave no class scores after 4 box rows"
                + (f" and {nm} mask coefficients" if nm else "")
                + _end2end_hint(o0, nm)
            )
    else:
        nc = len(names) if names else 0
        if nc < 1:
            raise ValueError(f"{path}: output0 has a dynamic row count {o0} and the metadata has no 'names'")
    if names is None:
        names = {i: f"class{i}" for i in range(nc)}
    if sorted(names) != list(range(nc)):
        raise ValueError(
            f"{path}: metadata 'names' has {len(names)} entries (indices {short_repr(sorted(names))}) but output0 "
            f"{o0} has {nc} classes; the names must be indexed 0..{nc - 1}" + ("" if end2end else _end2end_hint(o0, nm))
        )
    return nm, nc, names


def open_session(
    path: str | os.PathLike,
    device: Any = None,
    half: bool = False,
    runtime: str | None = None,
    intra_op_threads: int | None = None,
) -> tuple[Any, Path, str]:
    """An ONNX Runtime session for ``path`` on ``device`` (CUDA when asked and usable, else the CPU; a GPU asked
    for explicitly is never replaced by the CPU silently): ``(session, path, device string)``. Missing, empty or
    unloadable files and external data outside the model's folder are clear errors. ``half`` / ``runtime``: which
    runtime and precision, nn/precision.py ``plan`` (on the CPU, an OpenVINO session in onnxruntime's clothes).
    ``intra_op_threads``: the runtime's threads per inference (ONNX Runtime's intra-op threads, OpenVINO's
    ``INFERENCE_NUM_THREADS``; None: each runtime's default, one per core); several processes sharing a machine (Ray
    actors, engine/distributed.py) set it so that together they do not oversubscribe the cores."""
    import onnxruntime as ort

    from numa_ultralytics.nn import precision

    path = Path(path)
    _check_threads(intra_op_threads)
    if path.is_dir() or path.suffix.lower() == ".xml":  # an OpenVINO model (_openvino_model/): OpenVINO only
        return _open_openvino_ir(path, device, half, runtime, intra_op_threads)
    if not path.exists():
        raise FileNotFoundError(f"model file not found: {path}")
    if path.stat().st_size == 0:
        raise ValueError(f"model file is empty: {path}")
    kind, idx = parse_device(device)
    # the graph's own precision matters only off the default (an unreadable file fails below, in onnxruntime's words)
    graph = precision.graph_precision(path, default="fp32") if half or runtime == "openvino" else "fp32"
    run_plan = precision.plan(kind, half, runtime, graph)
    providers: list[Any] = ["CPUExecutionProvider"]
    if kind == "cuda":
        preload_cuda_libraries()  # pip-installed CUDA / cuDNN (nn/cuda.py); CPU sessions never call it
        providers.insert(0, cuda_provider(idx))
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    if intra_op_threads is not None:
        opts.intra_op_num_threads = intra_op_threads
    if run_plan.runtime == "openvino":  # this session only describes the graph (metadata, inputs, outputs)
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    check_onnx_external_data(path)  # external data outside the model's folder: refused before ORT opens it
    try:
        session = ort.InferenceSession(str(path), sess_options=opts, providers=providers)
    except Exception as e:  # onnxruntime raises its own exception types
        raise ValueError(f"could not load ONNX model {path}: {str(e).strip().splitlines()[0]}") from e
    dev = f"cuda:{idx}" if "CUDAExecutionProvider" in session.get_providers() else "cpu"
    if kind == "cuda" and dev == "cpu":
        if device is not None and device != "":  # asked for a GPU: never run on the CPU silently
            raise ValueError(
                f"device={device!r} requested but onnxruntime could not start CUDA (missing CUDA/cuDNN "
                "libraries?); install onnxruntime-gpu's CUDA dependencies or use device='cpu'"
            )
        logging.getLogger("numa_ultralytics").warning(
            "CUDA is present but onnxruntime could not use it (missing CUDA/cuDNN libraries?); running on the CPU"
        )
    if run_plan.warning:
        logging.getLogger("numa_ultralytics").warning(run_plan.warning)
    if run_plan.runtime == "openvino":
        try:
            session = precision.OpenVINOSession(path, session, run_plan.precision, threads=intra_op_threads)
        except Exception as e:  # OpenVINO raises its own exception types
            raise ValueError(f"OpenVINO could not load {path}: {str(e).strip().splitlines()[0]}") from e
    return session, path, dev


def _check_threads(intra_op_threads: Any) -> None:
    if intra_op_threads is not None and (
        isinstance(intra_op_threads, bool) or not isinstance(intra_op_threads, int) or intra_op_threads < 1
    ):
        raise ValueError(f"intra_op_threads={intra_op_threads!r}: expected an integer >= 1 (or None: all cores)")


def _open_openvino_ir(
    path: Path, device: Any, half: bool, runtime: str | None, intra_op_threads: int | None = None
) -> tuple[Any, Path, str]:
    """An OpenVINO IR (a ``_openvino_model/`` folder or its ``.xml``) as an OpenVINO session (nn/openvino_ir.py;
    the rule: nn/precision.py ``plan`` with ``ir=True``, on the CPU: ``device=None`` means the CPU here)."""
    from numa_ultralytics.nn import precision
    from numa_ultralytics.nn.openvino_ir import ir_file

    xml = ir_file(path)
    kind = "cpu" if device is None or device == "" else parse_device(device)[0]
    run_plan = precision.plan(kind, half, runtime, precision.graph_precision(xml), ir=True)
    if run_plan.warning:
        logging.getLogger("numa_ultralytics").warning(run_plan.warning)
    try:
        session = precision.OpenVINOSession(xml, None, run_plan.precision, threads=intra_op_threads)
    except Exception as e:  # OpenVINO raises its own exception types
        raise ValueError(f"OpenVINO could not load {xml}: {str(e).strip().splitlines()[0]}") from e
    return session, xml, "cpu"


class AutoBackend:
    """An ONNX Runtime session plus the export's metadata (names, stride, imgsz, task, end2end).

    ``half`` / ``runtime``: which runtime and precision (nn/precision.py ``plan``: on the CPU, bf16 or fp32 through
    OpenVINO). ``fp16=True`` opens the fp16 graph converted from ``path`` (nn/fp16.py, cached; ``path`` stays the fp32
    file); engine/model.py asks for it on CUDA with ``half=True`` (nn/cuda.py ``use_fp16_graph``). ``io_binding``
    (default on, ``NUMA_ULTRALYTICS_IOBINDING=0`` turns it off): run through nn/iobinding.py's reused buffers
    (onnxruntime sessions only; per thread). Calling one backend from many threads at once is safe.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        device: Any = None,
        half: bool = False,
        runtime: str | None = None,
        fp16: bool = False,
        intra_op_threads: int | None = None,
    ) -> None:
        from numa_ultralytics.nn.precision import describe

        self.fp16 = bool(fp16)
        if self.fp16:
            from numa_ultralytics.nn.fp16 import fp16_onnx

            self.session, _, self.device = open_session(
                fp16_onnx(path), device, runtime=runtime, intra_op_threads=intra_op_threads
            )
            path = Path(path)
        else:
            self.session, path, self.device = open_session(
                path, device, half=half, runtime=runtime, intra_op_threads=intra_op_threads
            )
        self.intra_op_threads = intra_op_threads
        self.path = path
        self.half, self.runtime_arg = bool(half), runtime  # what was asked (YOLO re-opens when it changes)
        # what runs: ("onnxruntime CPU", "fp32"), ("openvino CPU", "bf16"), ... (speed line, model.info())
        self.runtime, self.precision = describe(self.session, path)
        if self.fp16:
            self.precision = "fp16"
        self.io_binding = io_binding_default() and hasattr(self.session, "io_binding")
        self._runner: BoundRunner | None = None  # made on the first bound call (one for all threads)
        self._runner_lock = threading.Lock()
        meta = self.session.get_modelmeta().custom_metadata_map
        self.metadata = {k: literal(v) for k, v in meta.items()}
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        self.input_dtype = np.float16 if inp.type == "tensor(float16)" else np.float32
        shape = list(inp.shape)
        if len(shape) != 4:
            raise ValueError(f"{path}: expected a 4-D image input (B, 3, H, W), got shape {shape}")
        self.dynamic = not (isinstance(shape[2], int) and isinstance(shape[3], int))
        self.fixed_batch = shape[0] if isinstance(shape[0], int) else None  # None: a dynamic batch axis
        self._batch_noted = False
        self.static_hw = None if self.dynamic else (int(shape[2]), int(shape[3]))
        # The detection head's input feature maps (graphs built from .pt files carry them as extra outputs): run
        # only when asked (``__call__(feats=True)``), for ReID from the detector's own features.
        outputs = self.session.get_outputs()
        self.feature_names = [o.name for o in outputs if o.name.startswith(FEATURE_OUTPUT_PREFIX)]
        self.output_names = [o.name for o in outputs if not o.name.startswith(FEATURE_OUTPUT_PREFIX)]
        out_shapes = [o.shape for o in outputs if not o.name.startswith(FEATURE_OUTPUT_PREFIX)]

        self.stride = check_stride(path, self.metadata)
        imgsz = self.metadata.get("imgsz")
        self.imgsz = list(imgsz) if isinstance(imgsz, (list, tuple)) else None
        self.end2end = bool(self.metadata.get("end2end", False))
        self.has_protos = len(self.output_names) >= 2
        task = self.metadata.get("task")
        self.task = task if isinstance(task, str) else ("segment" if self.has_protos else "detect")
        self.nm, self.nc, self.names = check_outputs(path, self.metadata, self.task, self.end2end, out_shapes)

    def batch_ok(self, n: int) -> bool:
        """Whether ``n`` frames can run as one batch: the graph's batch axis is dynamic (``.pt`` graphs, exports with
        ``dynamic=True``) or fixed at ``n``. Otherwise (a static export's batch 1) the frames run one at a time, with a
        note logged once."""
        if self.fixed_batch is None or self.fixed_batch == n:
            return True
        if not self._batch_noted:
            self._batch_noted = True
            logging.getLogger("numa_ultralytics").info(
                f"{self.path.name} has a fixed batch of {self.fixed_batch}: frames run one at a time; for batched "
                "inference load the .pt checkpoint or an export with dynamic=True"
            )
        return False

    @property
    def has_features(self) -> bool:
        """True when the graph outputs the detection head's input feature maps (``.pt`` checkpoints)."""
        return bool(self.feature_names)

    def __call__(self, im: np.ndarray, feats: bool = False) -> list[np.ndarray]:
        """Run the model on ``im`` (N, 3, H, W), N >= 1: the head outputs (``output0``, ``output1``), then with
        ``feats`` the feature maps. With ``io_binding`` the arrays are reused buffers (nn/iobinding.py: valid until
        the next-but-one call with the same input shape); copy what must outlive that."""
        if im.dtype != self.input_dtype:
            im = im.astype(self.input_dtype)
        names = self.output_names + self.feature_names if feats else self.output_names
        if self.io_binding:
            runner = self._runner
            if runner is None:
                with self._runner_lock:
                    if self._runner is None:
                        self._runner = BoundRunner(self.session, self.input_name, self.device)
                    runner = self._runner
            outs = runner.run(names, im)  # this thread's bindings and buffers
        else:
            outs = self.session.run(names, {self.input_name: im})
        return [o if o.dtype == np.float32 else o.astype(np.float32) for o in outs]
