"""``model.info()``: Ultralytics' one-line model summary, computed from the ONNX graph.

The original (``utils.torch_utils.model_info``) counts torch modules, parameters and gradients and profiles FLOPs with
thop. An ONNX graph keeps no modules, so here:

- ``layers``: the graph's convolution nodes (``Conv``, ``ConvTranspose``, ``ConvInteger``, ``QLinearConv``). This is
  **not** the original's module count (113 for the fused YOLO11n-seg, 101 convolutions here);
- ``parameters``: exact for float graphs: the sizes of the convolution weights and biases (the fused model's
  ``numel`` sum; 2,868,664 for YOLO11n-seg, as the original). For int8 graphs biases that a separate ``Add`` applies
  are not counted;
- ``gradients``: 0 (inference only, as the original's fused model);
- ``GFLOPs``: 2 x the multiply-adds of every convolution (a transposed one: input x output channels x kernel area)
  and every ``MatMul`` (attention: output x contracted axis) at ``imgsz`` x ``imgsz`` (default 640; ONNX shape
  inference), which is what thop (ultralytics-thop 2.2) counts for these models (9.8 for YOLO11n-seg, 9.3 for
  YOLO26n-seg, as the original); 0.0 (left out of the line) when the shapes cannot be inferred.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["model_info", "summary_line"]

CONV_OPS = {"Conv": (1, 2), "ConvTranspose": (1, 2), "ConvInteger": (1, None), "QLinearConv": (3, 8)}


def model_info(path: str | os.PathLike, imgsz: int = 640) -> tuple[int, int, int, float]:
    """``(layers, parameters, gradients, GFLOPs)`` of the ONNX graph at ``path`` (see the module docstring), or of an
    OpenVINO model's ``.xml`` (:func:`_ir_info`)."""
    import onnx
    from onnx import shape_inference

    if Path(path).suffix.lower() == ".xml":
        return _ir_info(path, imgsz)

    model = onnx.load(str(path))
    g = model.graph
    init = {i.name: tuple(int(d) for d in i.dims) for i in g.initializer}
    producer = {o: n for n in g.node for o in n.output}

    def dims(name: str) -> tuple[int, ...] | None:
        if name in init:
            return init[name]
        p = producer.get(name)
        if p is not None and p.op_type == "DequantizeLinear" and p.input[0] in init:  # QDQ graphs
            return init[p.input[0]]
        if p is not None and p.op_type == "Constant" and p.attribute:
            return tuple(int(d) for d in p.attribute[0].t.dims)
        return None

    shapes: dict[str, list[int | None]] = {}
    try:
        for d in g.input[0].type.tensor_type.shape.dim[2:]:
            d.ClearField("dim_param")
            d.dim_value = imgsz
        if not g.input[0].type.tensor_type.shape.dim[0].dim_value:
            g.input[0].type.tensor_type.shape.dim[0].dim_value = 1
        inferred = shape_inference.infer_shapes(model, data_prop=True).graph
        for vi in [*inferred.input, *inferred.value_info, *inferred.output]:
            shapes[vi.name] = [d.dim_value if d.HasField("dim_value") else None for d in vi.type.tensor_type.shape.dim]
    except Exception:  # noqa: BLE001 (any failure of onnx shape inference: no shapes, no GFLOPs)
        shapes = {}

    layers = params = 0
    macs = 0.0
    flops_ok = True
    for n in g.node:
        if n.op_type == "MatMul":  # attention products: thop counts out x the contracted axis
            a, y = shapes.get(n.input[0]), shapes.get(n.output[0])
            if a and y and all(v is not None for v in (*a, *y)):
                macs += float(np.prod([int(v or 0) for v in y])) * int(a[-1] or 0)
            else:
                flops_ok = False
            continue
        if n.op_type not in CONV_OPS:
            continue
        layers += 1
        wi, bi = CONV_OPS[n.op_type]
        w = dims(n.input[wi]) if len(n.input) > wi else None
        b = dims(n.input[bi]) if bi is not None and len(n.input) > bi and n.input[bi] else None
        params += int(np.prod(w)) if w else 0
        params += int(np.prod(b)) if b else 0
        shape = shapes.get(n.output[0])
        if not w or not shape or any(v is None for v in shape):
            flops_ok = False
            continue
        out = [int(v or 0) for v in shape]
        if n.op_type == "ConvTranspose":  # weight (cin, cout / g, kh, kw); thop: input x cout / g x kernel area
            inp = shapes.get(n.input[0])
            if not inp or any(v is None for v in inp):
                flops_ok = False
                continue
            macs += float(np.prod([int(v or 0) for v in inp])) * float(np.prod(w[1:]))
        else:
            macs += float(np.prod(out)) * float(np.prod(w[1:]))
    gflops = 2 * macs / 1e9 if flops_ok and layers else 0.0  # not rounded: 8.4.190 returns thop's float
    return layers, params, 0, gflops


def _ir_info(path: str | os.PathLike, imgsz: int) -> tuple[int, int, int, float]:
    """The same for an OpenVINO model (nn/openvino_ir.py): its ``Convolution`` / ``GroupConvolution`` /
    ``ConvolutionBackpropData`` operations, their weight shapes (plus the bias ``Add`` that follows each) and their
    output shapes at ``imgsz`` x ``imgsz``, batch 1."""
    import openvino as ov

    model = ov.Core().read_model(str(path))
    if model.inputs[0].get_partial_shape().is_dynamic:
        model.reshape({model.inputs[0]: [1, 3, imgsz, imgsz]})
    layers = params = 0
    macs = 0.0
    for op in model.get_ordered_ops():
        kind = op.get_type_name()
        if kind == "MatMul":  # attention products, as model_info's: out x the contracted axis
            a = [int(d) for d in op.input(0).get_partial_shape().to_shape()]
            contracted = a[-2] if op.get_attributes().get("transpose_a") else a[-1]
            macs += float(np.prod([int(d) for d in op.output(0).get_partial_shape().to_shape()])) * contracted
            continue
        if kind not in ("Convolution", "GroupConvolution", "ConvolutionBackpropData"):
            continue
        layers += 1
        w = [int(d) for d in op.input(1).get_partial_shape().to_shape()]
        if kind == "GroupConvolution":  # (groups, cout / g, cin / g, kh, kw)
            w = [w[0] * w[1], *w[2:]]
        params += int(np.prod(w))
        for t in op.output(0).get_target_inputs():
            add = t.get_node()
            if add.get_type_name() == "Add":
                params += int(np.prod([int(d) for d in add.input(1).get_partial_shape().to_shape()]))
        out = [int(d) for d in op.output(0).get_partial_shape().to_shape()]
        if kind == "ConvolutionBackpropData":  # weight (cin, cout, kh, kw); as model_info's: input x cout x kernel
            inp = [int(d) for d in op.input(0).get_partial_shape().to_shape()]
            macs += float(np.prod(inp)) * float(np.prod(w[1:]))
        else:
            macs += float(np.prod(out)) * float(np.prod(w[1:]))
    return layers, params, 0, round(2 * macs / 1e9, 6) if layers else 0.0


def _groups(node: Any) -> int:
    for a in node.attribute:
        if a.name == "group":
            return int(a.i)
    return 1


def summary_line(name: str, info: tuple[int, int, int, float], fused: bool = False) -> str:
    """``YOLO11n-seg summary: 100 layers, 2,868,664 parameters, 0 gradients, 9.8 GFLOPs`` (Ultralytics' words;
    ``summary (fused):`` for a fused checkpoint's model)."""
    layers, params, grads, flops = info
    stem = Path(name).stem.replace("yolo", "YOLO") or "Model"
    fs = f", {flops:,.1f} GFLOPs" if flops else ""
    head = f"{stem} summary{' (fused)' if fused else ''}"
    return f"{head}: {layers:,} layers, {params:,} parameters, {grads:,} gradients{fs}"
