"""Which runtime and which precision a model runs in: the one rule for ``device``, ``half`` and ``runtime``.

    model.predict(src)                         # onnxruntime, fp32 (exact to the original); CUDA when usable
    model.predict(src, device="cpu", half=True)     # bf16 through OpenVINO where the CPU has bf16 units, else fp32
    model.predict(src, device="cpu", runtime="openvino")  # OpenVINO at fp32 (its own threading, no accuracy change)
    YOLO("yolo11n-seg_int8.onnx")              # an int8 (QDQ) export (engine/exporter.py int8=True) runs as it is
    YOLO("yolo11n-seg_int8_openvino_model/")   # an OpenVINO model (format="openvino"): OpenVINO, int8 or fp32

:func:`plan` is the rule (:class:`Plan`: runtime, precision, the one warning to log):

============  ====================  ===========  =========================================================
device        runtime               half         runs
============  ====================  ===========  =========================================================
CUDA          None / onnxruntime    False        onnxruntime CUDA, fp32
CUDA          None / onnxruntime    True         onnxruntime CUDA, ``"fp16"``: the fp16 graph is made by
                                                 nn/fp16.py (another module's rule; this one only names it)
CUDA          openvino              any          ``ValueError``: OpenVINO here runs on the CPU
CPU           None / onnxruntime    False        onnxruntime CPU, fp32 (the default)
CPU           None                  True         OpenVINO bf16 when the CPU has bf16 matrix units (OpenVINO's
                                                 ``OPTIMIZATION_CAPABILITIES`` lists ``BF16``: AVX512-BF16 or
                                                 AMX); else onnxruntime CPU fp32 with one warning
CPU           onnxruntime           True         onnxruntime CPU fp32 with one warning (onnxruntime's CPU
                                                 provider has no bf16 path)
CPU           openvino              False        OpenVINO fp32
CPU           openvino              True         OpenVINO bf16, or OpenVINO fp32 with one warning (no bf16 units)
CPU           openvino              (int8 graph) onnxruntime, with one warning: OpenVINO 2026.4 turns the int8
                                                 (QDQ) exports into wrong detections on every CPU measured (AVX2:
                                                 0 of 17; AVX512-VNNI: none at all, onnxruntime 1,534 on 80
                                                 frames); tests/test_precision.py checks it against onnxruntime
any           any                   True         an int8 or fp16 graph runs as it is (``half`` only picks bf16
              (int8 / fp16 graph)                for fp32 graphs on the CPU)
CPU / None    None / openvino       any          an OpenVINO model (``_openvino_model/``, ``ir=True``): OpenVINO
(OpenVINO                                        always; int8 (NNCF) as it is, fp32 or with ``half`` bf16 as
model)                                           above; ``device=None`` is the CPU here
CUDA          any (OpenVINO model)  any          ``ValueError``: an OpenVINO model runs on the CPU
CPU           onnxruntime           any          ``ValueError``: an OpenVINO model runs on OpenVINO only (load the
              (OpenVINO model)                   .onnx export for onnxruntime)
============  ====================  ===========  =========================================================

int8 where the CPU has VNNI / AMX: the OpenVINO model exported with ``format="openvino", int8=True`` (NNCF on the
OpenVINO graph, nn/quantize.py ``quantize_openvino``) is the fast and right one (bench/RESULTS.md "int8 on OpenVINO");
the ONNX QDQ export stays on onnxruntime (right, slower than fp32 there).

OpenVINO comes with the optional extra ``pip install "numa_ultralytics[openvino]"``. Without it, ``half=True`` on the
CPU warns once (naming the extra) and runs fp32 on onnxruntime, never an error; an explicit ``runtime="openvino"``
is an ``ImportError`` naming the extra.

Why OpenVINO's own runtime, not onnxruntime's OpenVINO execution provider plugin (``onnxruntime-ep-openvino``): the
plugin 1.8.1 offers its devices only on Intel hardware (``GetSupportedDevices`` skips any device whose vendor id is not
Intel's), so on an AMD CPU, including Zen 4 with AVX512-BF16, ``ort.get_ep_devices()`` lists no OpenVINO device and no
session can use it. OpenVINO reads the same ONNX file itself and runs on any x86-64 CPU. :class:`OpenVINOSession`
gives it the part of onnxruntime's ``InferenceSession`` interface that nn/autobackend.py uses; for an ONNX file the
metadata and the input/output descriptions still come from an onnxruntime session of the same file (opened without
graph optimisations), so every check of the export is the same on both runtimes; an OpenVINO model describes itself
(nn/openvino_ir.py ``IRDescription``: its inputs and outputs, and ``metadata.yaml``).

A model's precision label (:func:`describe`): ``int8`` for a quantized graph (QDQ or integer convolutions), ``fp16``
for an fp16 graph, ``bf16`` for OpenVINO's bf16 inference, else ``fp32``. It shows in the speed line
(engine/sink.py ``SpeedTotals.per_image``) and in ``model.info()``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from numa_ultralytics.nn.openvino_ir import OPENVINO_EXTRA
from numa_ultralytics.utils.args import check_runtime  # the runtime= check: utils/args.py

LOGGER = logging.getLogger("numa_ultralytics")

#: ONNX operators that make a graph an int8 one.
INT8_OPS = frozenset(
    {"QuantizeLinear", "DequantizeLinear", "ConvInteger", "QLinearConv", "MatMulInteger", "QLinearMatMul"}
)

#: Why ``runtime="openvino"`` runs an int8 graph on onnxruntime (module table; logged once when the model opens).
INT8_ON_OPENVINO = (
    "WARNING runtime='openvino': OpenVINO gives wrong detections for int8 (QDQ) graphs (none at all on an AVX512-VNNI "
    "CPU, measured with OpenVINO 2026.4); running this int8 graph on onnxruntime"
)


@dataclass(frozen=True)
class Plan:
    """What runs: ``runtime`` ("onnxruntime" | "openvino"), ``precision`` ("fp32" | "bf16" | "fp16"; "fp16" only on
    CUDA, for nn/fp16.py), ``warning`` (logged once when the backend opens; None when the request is met)."""

    runtime: str
    precision: str
    warning: str | None = None


def openvino_available() -> bool:
    """True when the ``openvino`` package imports (the ``[openvino]`` extra)."""
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


_BF16: bool | None = None


def cpu_has_bf16() -> bool:
    """True when OpenVINO runs bf16 on this CPU's matrix units (``BF16`` in the CPU device's
    ``OPTIMIZATION_CAPABILITIES``: AVX512-BF16 or AMX-BF16); False without OpenVINO. Cached."""
    global _BF16
    if _BF16 is None:
        if not openvino_available():
            return False
        import openvino as ov

        try:
            caps = ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
        except Exception:  # noqa: BLE001  (OpenVINO raises its own exception types; no CPU plugin = no bf16)
            caps = []
        _BF16 = "BF16" in [str(c) for c in caps]
    return _BF16


def cpu_has_amx_int8() -> bool:
    """True when the CPU lists ``amx_int8`` (Linux ``/proc/cpuinfo``)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return any(line.startswith("flags") and "amx_int8" in line.split() for line in f)
    except OSError:
        return False


def plan(kind: str, half: bool = False, runtime: str | None = None, graph: str = "fp32", ir: bool = False) -> Plan:
    """The runtime and precision for a ``kind`` ("cpu" | "cuda") device, ``half`` and ``runtime``, for a ``graph`` of
    precision "fp32" | "fp16" | "int8" (:func:`graph_precision`), an ONNX file or with ``ir`` an OpenVINO IR (module
    table)."""
    runtime = check_runtime("runtime", runtime)
    if ir:
        if kind == "cuda":
            raise ValueError("an OpenVINO model (_openvino_model/) runs on the CPU; use device='cpu' with it")
        if runtime == "onnxruntime":
            raise ValueError(
                "an OpenVINO model (_openvino_model/) runs on OpenVINO only; load the .onnx export for onnxruntime"
            )
        if not openvino_available():
            raise ImportError(f"an OpenVINO model (_openvino_model/) needs OpenVINO: {OPENVINO_EXTRA}")
        if graph != "fp32" or not half:
            return Plan("openvino", graph)
        if not cpu_has_bf16():
            return Plan(
                "openvino",
                "fp32",
                "WARNING half=True: this CPU has no bf16 matrix units (AVX512-BF16 or AMX), running fp32 on OpenVINO",
            )
        return Plan("openvino", "bf16")
    if kind == "cuda":
        if runtime == "openvino":
            raise ValueError("runtime='openvino' runs on the CPU; use device='cpu' with it")
        return Plan("onnxruntime", "fp16" if half and graph == "fp32" else graph)
    if runtime == "openvino" and not openvino_available():
        raise ImportError(f"runtime='openvino' needs OpenVINO: {OPENVINO_EXTRA}")
    if graph != "fp32":
        if graph == "int8" and runtime == "openvino":
            return Plan("onnxruntime", graph, INT8_ON_OPENVINO)
        return Plan(runtime or "onnxruntime", graph)
    if not half:
        return Plan(runtime or "onnxruntime", "fp32")
    if runtime == "onnxruntime":
        return Plan(
            "onnxruntime",
            "fp32",
            "WARNING half=True on the CPU runs bf16 through OpenVINO; with runtime='onnxruntime' it runs fp32 "
            "(onnxruntime's CPU provider has no bf16 path)",
        )
    if not openvino_available():
        return Plan(
            "onnxruntime",
            "fp32",
            f"WARNING half=True on the CPU needs OpenVINO for bf16 ({OPENVINO_EXTRA}); running fp32 on onnxruntime",
        )
    if not cpu_has_bf16():
        return Plan(
            runtime or "onnxruntime",
            "fp32",
            "WARNING half=True: this CPU has no bf16 matrix units (AVX512-BF16 or AMX), running fp32"
            + (" on OpenVINO" if runtime else " on onnxruntime"),
        )
    return Plan("openvino", "bf16")


def graph_precision(path: str | os.PathLike, default: str | None = None) -> str:
    """``"int8"`` for a quantized graph, ``"fp16"`` for an fp16 input, else ``"fp32"`` (read from the ONNX file, or
    from an OpenVINO IR's ``.xml``: nn/openvino_ir.py ``ir_precision``). A file onnx cannot parse raises, or gives
    ``default`` when one is given."""
    import onnx

    if Path(path).suffix.lower() == ".xml":
        from numa_ultralytics.nn.openvino_ir import ir_precision

        return ir_precision(path)
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception:
        if default is None:
            raise
        return default
    if any(n.op_type in INT8_OPS for n in model.graph.node):
        return "int8"
    inp = model.graph.input[0].type.tensor_type.elem_type if model.graph.input else 0
    return "fp16" if inp == onnx.TensorProto.FLOAT16 else "fp32"


def describe(session: Any, path: str | os.PathLike) -> tuple[str, str]:
    """``(runtime label, precision)`` of an open session: ``("onnxruntime CPU", "fp32")``, ``("openvino CPU",
    "bf16")``, ``("onnxruntime CUDA", "int8")``, ... (shown in the speed line and ``model.info()``)."""
    graph = graph_precision(path)  # small graphs: parsing the file again costs a few ms
    if isinstance(session, OpenVINOSession):
        return "openvino CPU", "bf16" if session.precision == "bf16" and graph == "fp32" else graph
    providers = session.get_providers()
    where = "CUDA" if providers and providers[0] == "CUDAExecutionProvider" else "CPU"
    return f"onnxruntime {where}", graph


STATIC_SHAPES = 4  # input shapes OpenVINO compiles for themselves, per session (least recently used dropped)
STATIC_AFTER = 2  # frames of one input shape before it gets its own compiled model (one image: no compile)
#: Precisions whose model compiled with its dynamic input gives other numbers than the one compiled for the concrete
#: shape (measured, OpenVINO 2026.4 on AVX512-BF16: up to 5 px on YOLO11n-seg's raw boxes; f32 and int8 are equal
#: bit for bit): a dynamic model runs each input shape on that shape's own model from its first frame, so that a
#: frame's result never depends on the frames before it (other threads', an earlier video's, an abandoned stream's;
#: tests/test_precision_joints.py).
SHAPE_EXACT_ONLY = frozenset({"bf16"})


class OpenVINOSession:
    """OpenVINO's compiled model behind the part of onnxruntime's ``InferenceSession`` interface that
    nn/autobackend.py uses: ``run``, ``get_inputs`` / ``get_outputs`` / ``get_modelmeta`` (from ``described_by``, an
    onnxruntime session of the same file; None for an OpenVINO model's ``.xml``: nn/openvino_ir.py
    ``IRDescription``), ``get_providers``.

    ``precision`` "bf16" asks OpenVINO's CPU plugin for bf16 inference (``INFERENCE_PRECISION_HINT``), "fp32" for f32
    (OpenVINO's CPU default is bf16 where the CPU has it, so fp32 is asked for explicitly). ``threads``: OpenVINO's
    threads per inference (``INFERENCE_NUM_THREADS``; None: its default, one per core), what ``YOLO(threads=)`` sets.

    A model with a dynamic input is compiled once as it is, and again for each input shape that comes back
    (``STATIC_AFTER`` frames: a video's letterbox gives one shape): a model compiled for its concrete shape runs faster
    (measured in bench/RESULTS.md), and a graph whose dynamic form OpenVINO cannot compile runs per concrete shape
    from the first frame, as do the precisions whose two forms give other numbers (``SHAPE_EXACT_ONLY``: bf16; their
    dynamic form is never compiled). An ONNX graph reaches OpenVINO as nn/openvino_onnx.py gives it (end-to-end heads'
    row gathers as ``GatherND``: OpenVINO refuses YOLO26's ``GatherElements`` in any shape). At most ``STATIC_SHAPES``
    such models are kept (least recently used dropped; a thread running one keeps it until its call ends, and lets it
    go at its next new model)."""

    def __init__(
        self, path: str | os.PathLike, described_by: Any = None, precision: str = "fp32", threads: int | None = None
    ) -> None:
        import openvino as ov

        self.path = Path(path)
        self.precision = precision
        self._core = ov.Core()
        if described_by is None:  # an OpenVINO IR (.xml): its own description and metadata.yaml
            from numa_ultralytics.nn.openvino_ir import IRDescription, read_metadata

            self._source: str | bytes = str(self.path)
            described_by = IRDescription(self._core.read_model(self._source), read_metadata(self.path))
        else:  # an ONNX graph, as OpenVINO is given it (nn/openvino_onnx.py: end-to-end heads' row gathers)
            from numa_ultralytics.nn.openvino_onnx import openvino_source

            self._source = openvino_source(self.path)
        self._described_by = described_by
        self._config: dict[str, Any] = {"INFERENCE_PRECISION_HINT": "bf16" if precision == "bf16" else "f32"}
        if threads is not None:  # YOLO(threads=) / Ray actors: OpenVINO's threads per inference, as onnxruntime's
            self._config["INFERENCE_NUM_THREADS"] = int(threads)
        shape = described_by.get_inputs()[0].shape
        self._input = described_by.get_inputs()[0].name
        self.dynamic = not all(isinstance(d, int) for d in shape)
        self.compiled: Any = None  # the model as it is (None: its dynamic form does not compile, or is never run)
        if self.dynamic and precision in SHAPE_EXACT_ONLY:
            # never run (each shape runs on its own model from its first frame), so not compiled; read here, so that
            # a file OpenVINO cannot read fails at load
            self._core.read_model(self._source)
        else:
            try:
                if self.dynamic and precision == "int8" and cpu_has_amx_int8():
                    # OpenVINO's CPU plugin crashes running dynamic int8 models on AMX (openvinotoolkit/openvino#37577,
                    # as Ultralytics 8.4.190 notes): per concrete shape from the first frame
                    raise RuntimeError("dynamic int8 on AMX")
                self.compiled = self._core.compile_model(self._core.read_model(self._source), "CPU", self._config)
            except Exception:  # OpenVINO raises its own exception types; compiled per concrete shape instead
                if not self.dynamic:
                    raise
                self.compile_for((1, 3, 640, 640))  # fails here, at load, if no concrete shape compiles either
        self._static: OrderedDict[tuple[int, ...], Any] = OrderedDict()
        self._seen: dict[tuple[int, ...], int] = {}
        self._lock = threading.Lock()
        self._local = threading.local()  # one infer request per thread and model: a request runs one at a time

    def compile_for(self, shape: tuple[int, ...]) -> Any:
        """The model compiled for the concrete input ``shape``."""
        model = self._core.read_model(self._source)
        model.reshape({self._input: list(shape)})
        return self._core.compile_model(model, "CPU", self._config)

    def _compiled_for(self, shape: tuple[int, ...]) -> Any:
        if not self.dynamic:
            return self.compiled
        with self._lock:
            c = self._static.get(shape)
            if c is not None:
                self._static.move_to_end(shape)
                return c
            n = self._seen[shape] = self._seen.get(shape, 0) + 1
            # SHAPE_EXACT_ONLY: no dynamic model (self.compiled None), so a shape's own model from its first frame
            if self.compiled is not None and n < STATIC_AFTER:
                return self.compiled
            if len(self._seen) > 64 * STATIC_SHAPES:  # many one-off shapes (a folder of images): forget the counts
                self._seen = {shape: n}
            c = self._static[shape] = self.compile_for(shape)
            while len(self._static) > STATIC_SHAPES:
                self._static.popitem(last=False)
            return c

    def _request_for(self, compiled: Any) -> Any:
        """This thread's infer request of ``compiled`` (OpenVINO raises "Infer Request is busy" for a request shared by
        threads)."""
        reqs: dict[int, tuple[Any, Any]] | None = getattr(self._local, "requests", None)
        if reqs is None:
            reqs = self._local.requests = {}
        entry = reqs.get(id(compiled))
        if entry is None or entry[0] is not compiled:
            with self._lock:  # another thread may be changing the cache
                live = {id(c) for c in (self.compiled, *self._static.values())}
            for k in [k for k in reqs if k not in live]:  # requests of dropped models: let the models go
                del reqs[k]
            entry = reqs[id(compiled)] = (compiled, compiled.create_infer_request())
        return entry[1]

    def get_inputs(self) -> Any:
        return self._described_by.get_inputs()

    def get_outputs(self) -> Any:
        return self._described_by.get_outputs()

    def get_modelmeta(self) -> Any:
        return self._described_by.get_modelmeta()

    def get_providers(self) -> list[str]:
        return ["OpenVINO"]

    def run(self, output_names: list[str] | None, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """onnxruntime's ``run``: the named outputs (all when None) as numpy arrays the caller owns."""
        x = feeds[self._input]
        res = self._request_for(self._compiled_for(tuple(int(d) for d in x.shape))).infer(feeds)
        names = output_names or [o.name for o in self.get_outputs()]
        return [np.array(res[n], copy=True) for n in names]
