"""An ONNX graph as OpenVINO is given it: the one rewrite OpenVINO needs, applied wherever an ONNX graph goes to
OpenVINO (nn/precision.py ``OpenVINOSession`` for ``half=True`` / ``runtime="openvino"``, nn/openvino_ir.py for
``export(format="openvino")``); onnxruntime always runs the graph as it is.

End-to-end heads (YOLO26, YOLOv10) pick their rows with ``GatherElements(data [B, A, C], Expand(Unsqueeze(index
[B, k], 2), [1, 1, C]), axis=1)``, in Ultralytics' exports and in the graphs built here (nn/onnx_builder.py
``_topk``). That graph is valid ONNX, and onnxruntime runs it; OpenVINO 2026.4 refuses it, dynamic or compiled for a
concrete shape, because one of its own transformations moves the ``Slice`` that makes ``data`` past the gather and
then fails its own shape check (``[?,21..,116]`` against ``[?,300,4]``). :func:`gather_rows_as_gather_nd` writes
each such gather as the equivalent ``GatherND(data, Unsqueeze(index, 2), batch_dims=1)``: the same rows, exactly
(a gather copies values; tests/test_openvino_onnx.py checks onnxruntime gives bit-identical outputs for both forms).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["gather_rows_as_gather_nd", "openvino_source"]


def _ints(graph: Any, name: str, producers: dict[str, Any]) -> list[int] | None:
    """The int list a graph input named ``name`` holds when it is a constant (initializer or ``Constant``)."""
    from onnx import numpy_helper

    for init in graph.initializer:
        if init.name == name:
            return [int(v) for v in numpy_helper.to_array(init).reshape(-1)]
    node = producers.get(name)
    if node is not None and node.op_type == "Constant":
        for a in node.attribute:
            if a.name == "value":
                return [int(v) for v in numpy_helper.to_array(a.t).reshape(-1)]
    return None


def gather_rows_as_gather_nd(model: Any) -> int:
    """Rewrite, in place, every ``GatherElements(data, Expand(Unsqueeze(index, [2]), shape), axis=1)`` of the
    ``onnx.ModelProto`` ``model`` (a row gather: the index broadcast over the last axis) as ``GatherND(data,
    Unsqueeze(index, [2]), batch_dims=1)``; returns how many were rewritten. ``index`` must be of rank 2 by ONNX's
    shape inference; any other ``GatherElements`` is left as it is. The ``Expand`` stays in the graph (OpenVINO drops
    it when nothing reads it)."""
    import onnx
    from onnx import helper

    graph = model.graph
    producers = {out: node for node in graph.node for out in node.output}
    if not any(node.op_type == "GatherElements" for node in graph.node):
        return 0
    inferred = onnx.shape_inference.infer_shapes(model).graph
    ranks = {
        v.name: len(v.type.tensor_type.shape.dim)
        for v in (*inferred.value_info, *inferred.input, *inferred.output)
        if v.type.tensor_type.HasField("shape")
    }
    count = 0
    for node in graph.node:
        if node.op_type != "GatherElements" or len(node.input) != 2:
            continue
        axis = next((a.i for a in node.attribute if a.name == "axis"), 0)
        expand = producers.get(node.input[1])
        if axis != 1 or expand is None or expand.op_type != "Expand":
            continue
        unsq = producers.get(expand.input[0])
        if unsq is None or unsq.op_type != "Unsqueeze":
            continue
        if len(unsq.input) > 1:  # opset >= 13: axes is an input
            axes = _ints(graph, unsq.input[1], producers)
        else:
            axes = next((list(a.ints) for a in unsq.attribute if a.name == "axes"), None)
        if axes != [2] or ranks.get(unsq.input[0]) != 2:  # index [B, k] -> [B, k, 1]: only that is a row gather
            continue
        node.op_type = "GatherND"
        del node.attribute[:]
        node.attribute.append(helper.make_attribute("batch_dims", 1))
        node.input[1] = unsq.output[0]
        count += 1
    return count


def openvino_source(path: str | os.PathLike) -> str | bytes:
    """What to hand OpenVINO's ``read_model`` for the ONNX file ``path``: the path itself, or the serialized graph
    with :func:`gather_rows_as_gather_nd` applied when it has a row gather to rewrite (the file is never written)."""
    import onnx

    path = Path(path)
    model = onnx.load(str(path), load_external_data=False)
    if not gather_rows_as_gather_nd(model):
        return str(path)
    if any(init.data_location == onnx.TensorProto.EXTERNAL for init in model.graph.initializer):
        from onnx.external_data_helper import load_external_data_for_model

        load_external_data_for_model(model, str(path.parent))
    return model.SerializeToString()
