"""fp32 ONNX -> fp16 ONNX with fp32 inputs and outputs (``half=True`` on CUDA), cached by the fp32 graph's sha256.

The conversion (:func:`convert_to_fp16`) is written for the YOLO graphs this package runs (Ultralytics' exports,
static and dynamic, and the graphs nn/onnx_builder.py builds from ``.pt`` files), not as a general converter:

- every float32 initializer, ``Constant`` and ``ConstantOfShape`` value becomes float16, and every
  ``Cast(to=FLOAT)`` becomes ``Cast(to=FLOAT16)`` (dynamic exports cast their anchor grids from int64 ranges);
- each float32 graph input keeps its name and type and is cast to float16 once (``Cast`` at the input); each float32
  output is computed in float16 and cast back to float32 under its own name (a ``Cast`` at each output), so callers
  feed and read float32 as with the fp32 graph;
- inputs that ONNX or ONNX Runtime need in float32 stay float32 (``FP32_INPUTS``: ``Resize``'s ``roi`` and
  ``scales``), through a ``Cast`` back to float32 when their producer became float16; ops with no float16 kernel
  (``FP32_OPS``: ``Range``) run in float32 between two casts;
- integer tensors (shape arithmetic: ``Shape``, ``Gather``, ``Concat`` of int64, ...) are untouched;
- quantized graphs (int8: ``ConvInteger``, ``QuantizeLinear``, ...) are refused: fp16 does not apply to them.

:func:`fp16_onnx` returns the path of the converted graph, cached in the user cache as
``<stem>.<sha256[:16]>.fp16v<FP16_VERSION>.onnx`` with the same sha256 sidecar as nn/pt_loader.py's ``.pt`` cache
(checked on every use, rebuilt when it does not match). The model's own folder is never written to.

Accuracy against the fp32 graph on the shared media: bench/RESULTS.md "GPU path (issue 14)"; tests/test_gpu_path.py
asserts it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

LOGGER = logging.getLogger("numa_ultralytics")

FP16_VERSION = 1  # bump when the conversion changes: the cache name carries it

FLOAT = 1  # onnx.TensorProto.FLOAT
FLOAT16 = 10  # onnx.TensorProto.FLOAT16

# (op type, input index) pairs that must stay float32 (ONNX's Resize takes roi / scales as float32 tensors).
FP32_INPUTS = {("Resize", 1), ("Resize", 2)}
# Ops run in float32 between casts (ONNX Runtime has no float16 kernel for them).
FP32_OPS = {"Range"}
# Ops whose outputs are integers whatever their inputs (shape arithmetic); TopK's second output too.
INT_OUTPUT_OPS = {"Shape", "Size", "ArgMax", "ArgMin", "NonZero"}
# Quantized graphs: fp16 conversion does not apply.
QUANT_OPS = {
    "ConvInteger",
    "MatMulInteger",
    "QuantizeLinear",
    "DequantizeLinear",
    "DynamicQuantizeLinear",
    "QLinearConv",
    "QLinearMatMul",
}

_SUFFIX16 = "__fp16"
_SUFFIX32 = "__fp32"


def _to_fp16_tensor(t: Any) -> Any:
    """A float32 TensorProto as float16 (same name); values beyond float16's range are clipped to +-65504."""
    from onnx import numpy_helper

    a = numpy_helper.to_array(t).astype(np.float32)
    f16 = np.finfo(np.float16).max
    a = np.clip(a, -f16, f16).astype(np.float16)
    out = numpy_helper.from_array(a, t.name)
    return out


def convert_to_fp16(model: Any) -> Any:
    """An fp16 copy of the fp32 ``onnx.ModelProto`` with fp32 inputs and outputs (rules: module docstring)."""
    import onnx
    from onnx import helper

    ops = {n.op_type for n in model.graph.node}
    quant = sorted(ops & QUANT_OPS)
    if quant:
        raise ValueError(f"fp16 conversion does not apply to a quantized (int8) graph (it has {', '.join(quant)})")
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph

    # Which tensors are float32 now (inputs, initializers, node outputs as far as this graph's ops tell).
    float_inputs = {i.name for i in g.input if i.type.tensor_type.elem_type == FLOAT}
    init_names = {t.name for t in g.initializer}
    float_outputs = [o.name for o in g.output if o.type.tensor_type.elem_type == FLOAT]

    # 1. Initializers: float32 -> float16 unless only fp32-only inputs use them (then they stay float32).
    consumers: dict[str, list[tuple[str, int]]] = {}
    for n in g.node:
        for k, name in enumerate(n.input):
            consumers.setdefault(name, []).append((n.op_type, k))

    def fp32_only(name: str) -> bool:
        uses = consumers.get(name, [])
        return bool(uses) and all(u in FP32_INPUTS or u[0] in FP32_OPS for u in uses)

    fp16_names: set[str] = set()  # float tensors now float16
    new_inits = []
    for t in g.initializer:
        if t.data_type == FLOAT and not fp32_only(t.name):
            new_inits.append(_to_fp16_tensor(t))
            fp16_names.add(t.name)
        else:
            new_inits.append(t)
    del g.initializer[:]
    g.initializer.extend(new_inits)

    # 2. Graph inputs: keep float32, cast once to float16 under a new name that the nodes read instead.
    rename: dict[str, str] = {}
    head: list[Any] = []
    for name in float_inputs - init_names:
        rename[name] = name + _SUFFIX16
        head.append(helper.make_node("Cast", [name], [rename[name]], name=f"{name}_to_fp16", to=FLOAT16))
        fp16_names.add(rename[name])

    # 3. Nodes in order: constants and casts to float16; fp32-only inputs / ops through casts back to float32.
    out_rename = {name: name + _SUFFIX16 for name in float_outputs}
    nodes: list[Any] = list(head)
    cast_cache: dict[str, str] = {}

    def as_fp32(name: str) -> str:
        if name not in fp16_names:
            return name
        if name not in cast_cache:
            cast_cache[name] = name + _SUFFIX32
            nodes.append(helper.make_node("Cast", [name], [cast_cache[name]], name=f"{name}_to_fp32", to=FLOAT))
        return cast_cache[name]

    for n in g.node:
        node = onnx.NodeProto()
        node.CopyFrom(n)
        for k, name in enumerate(node.input):
            if name in rename:
                node.input[k] = rename[name]
        if node.op_type in FP32_OPS:
            for k, name in enumerate(node.input):
                node.input[k] = as_fp32(name)
            # its float outputs are float32: cast them to float16 under their original names
            outs = list(node.output)
            for k, name in enumerate(outs):
                node.output[k] = name + _SUFFIX32
            nodes.append(node)
            for name in outs:
                target = out_rename.get(name, name)
                nodes.append(helper.make_node("Cast", [name + _SUFFIX32], [target], name=f"{name}_to_fp16", to=FLOAT16))
                fp16_names.add(target)
            continue
        for k, name in enumerate(node.input):
            if (node.op_type, k) in FP32_INPUTS and name:
                node.input[k] = as_fp32(name)
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value" and a.t.data_type == FLOAT and not fp32_only(node.output[0]):
                    a.t.CopyFrom(_to_fp16_tensor(a.t))
                    fp16_names.add(node.output[0])
        elif node.op_type == "ConstantOfShape":
            for a in node.attribute:
                if a.name == "value" and a.t.data_type == FLOAT:
                    a.t.CopyFrom(_to_fp16_tensor(a.t))
                    fp16_names.add(node.output[0])
        elif node.op_type == "Cast":
            for a in node.attribute:
                if a.name == "to" and a.i == FLOAT:
                    a.i = FLOAT16
                    fp16_names.add(node.output[0])
        else:
            # float ops: their outputs are float16 when a float16 tensor flows in
            if node.op_type not in INT_OUTPUT_OPS and any(i in fp16_names for i in node.input):
                fp16_names.update(node.output[:1] if node.op_type == "TopK" else node.output)
        for k, name in enumerate(node.output):
            if name in out_rename:
                node.output[k] = out_rename[name]
                fp16_names.add(out_rename[name])
        nodes.append(node)

    # 4. Outputs: cast back to float32 under the original names.
    for name in float_outputs:
        nodes.append(helper.make_node("Cast", [out_rename[name]], [name], name=f"{name}_to_fp32", to=FLOAT))
    del g.node[:]
    g.node.extend(nodes)
    del g.value_info[:]  # stale float32 annotations; ONNX Runtime infers the types
    return m


def fp16_cache_name(path: Path, sha256: str) -> str:
    """File name of the fp16 graph converted from an fp32 ONNX: ``<stem>.<sha256[:16]>.fp16v<FP16_VERSION>.onnx``."""
    return f"{path.stem}.{sha256[:16]}.fp16v{FP16_VERSION}.onnx"


def fp16_onnx(path: str | os.PathLike) -> Path:
    """The path of the fp16 graph (fp32 inputs and outputs) converted from the fp32 ONNX ``path``, converting it on
    first use into the user cache (``$NUMA_ULTRALYTICS_CACHE_DIR``, else ``~/.cache/numa_ultralytics``), checked
    against its sha256 sidecar as nn/pt_loader.py's cache. ``ValueError`` for a graph fp16 does not apply to (int8)."""
    import onnx

    from numa_ultralytics.nn.pt_loader import _sha256, cached_graph
    from numa_ultralytics.nn.safety import check_onnx_external_data
    from numa_ultralytics.utils.downloads import cache_dir

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file not found: {path}")
    target = cache_dir() / fp16_cache_name(path, _sha256(path))

    def build() -> bytes:
        check_onnx_external_data(path)
        try:
            model = onnx.load(str(path))
        except Exception as e:  # onnx raises its own types (DecodeError, ...)
            raise ValueError(f"could not load ONNX model {path}: {str(e).strip().splitlines()[0]}") from e
        data = convert_to_fp16(model).SerializeToString()
        LOGGER.info(f"fp16 graph of {path} converted, cached as {target}")
        return data

    return cached_graph(target, build, path, "fp16 graph")
