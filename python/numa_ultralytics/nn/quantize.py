"""int8 exports: static post-training quantization (``model.export(int8=True, data=...)``).

Two forms. ``format="openvino"`` (:func:`quantize_openvino`): NNCF on the OpenVINO model, the detect head kept float
(:func:`head_ignored_scope`: all of it, where Ultralytics 8.4.190's export quantizes its convolutions;
:func:`stem_ignored_scope`: the stem too, :data:`FLOAT_STEM_MODULES`: measured, not on by default); OpenVINO runs it
with int8 kernels, the fast and right int8 on CPUs with VNNI / AMX (bench/RESULTS.md "int8 on OpenVINO").
``format="onnx"`` (:func:`quantize_int8`, below): a QDQ graph for onnxruntime.

As Ultralytics 8.4.190 (``utils/export/onnx.py onnx_int8_quantize``): onnxruntime's ``quantize_static`` (QDQ,
signed int8 activations and weights, MinMax calibration) over the weighted operators only (``Conv``, ``Gemm``,
``MatMul``); every other node stays float, so the head's decode (box pixels ~0-640 beside class probabilities 0-1)
is not squeezed into one int8 scale. One difference: weights are quantized per output channel (``PER_CHANNEL``; the
original per tensor). Measured on YOLO11n-seg, 640, calibrated on coco8-seg val: per tensor kept 22 of fp32's 31
detections on 10 shared images (bus, zidane, coco8-seg), per channel 29 (coco8-seg val mAP50-95 within 0.002 of
fp32 for both).

The layout (:data:`ACTIVATION_TYPE`, :data:`WEIGHT_TYPE`, :data:`REDUCE_RANGE`) stays the original's, signed int8
activations and weights (S8S8), although onnxruntime's x86 CPU kernels fuse only unsigned activations into
``QLinearConv``: S8S8 runs 87 of yolo11n-seg's 100 convolutions in float between quantize and dequantize nodes
(0.6-0.7x fp32). U8S8 with 7-bit weights (``reduce_range``: exact integer sums on AVX2 as on VNNI) runs 1.4-1.6x fp32
but measured a little further from fp32 (bench/RESULTS.md "ONNX int8 layouts").

The calibration images are the dataset split's images (``data``, ``fraction``: the first ``round(n * fraction)``
files, as Ultralytics' datasets cut them), letterboxed to the export size exactly as the predictor letterboxes a frame
for that size (engine/predictor.py ``letterbox`` and ``to_blob``), fed ``batch`` at a time (an incomplete last batch
is dropped, as the original's loader).

The quantized graph keeps the fp32 export's metadata (names, stride, imgsz, args). Where it runs: nn/precision.py
(onnxruntime, also when ``runtime="openvino"`` is asked: OpenVINO's int8 output is wrong).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

LOGGER = logging.getLogger("numa_ultralytics")

#: The operators that are quantized (Ultralytics' choice); every other node is excluded by name.
QUANTIZED_OPS = frozenset({"Conv", "Gemm", "MatMul"})
#: Ultralytics' datasets for a calibration without ``data`` (its ``TASK2DATA``).
TASK2DATA = {"segment": "coco8-seg.yaml", "detect": "coco8.yaml"}
#: Weights per output channel (onnxruntime's ``per_channel``): much closer to fp32 than per tensor (module docstring).
PER_CHANNEL = True
#: onnxruntime ``QuantType`` names of the activations and of the weights, and ``reduce_range`` (7-bit weights): S8S8,
#: 8-bit weights, as Ultralytics 8.4.190. Measured (bench/bench_onnx_int8.py, bench/RESULTS.md "ONNX int8 layouts",
#: AMD EPYC Zen 4): ``QUInt8`` activations with ``REDUCE_RANGE`` (the layout onnxruntime's x86 kernels fuse, exact on
#: AVX2 too) are 1.4-1.6x fp32 where S8S8 is 0.6-0.7x, but further from fp32: with two calibration sets on three
#: frame sets, fp32's detections matched 2.7-7.8 points lower in 5 of the 6 (3.2 higher in one), the mask IoU of
#: matched pairs 0.003-0.008 lower and the class-logit noise (sd) 0.01-0.09 higher in all 6; so not switched (issue 26
#: item 1's condition: at least as close to fp32 as S8S8).
ACTIVATION_TYPE = "QInt8"
WEIGHT_TYPE = "QInt8"
REDUCE_RANGE = False
#: Fewer calibration images than this: a warning, as the original's.
RECOMMENDED_IMAGES = 300


def calibration_files(data: Any, fraction: float = 1.0, split: str = "val") -> list[str]:
    """The calibration images: ``split`` of dataset ``data`` (data/dataset.py ``check_det_dataset``), cut to the
    first ``round(n * fraction)``."""
    from numa_ultralytics.data.dataset import check_det_dataset, img_files

    d = check_det_dataset(data)
    if not d.get(split):
        raise ValueError(f"dataset {data!r} has no '{split}' split for int8 calibration")
    files = img_files(d[split])
    if fraction < 1.0:
        files = files[: round(len(files) * fraction)]
    if not files:
        raise ValueError(f"int8 calibration needs at least 1 image; data={data!r} fraction={fraction} leaves none")
    if len(files) < RECOMMENDED_IMAGES:
        LOGGER.warning(
            f"WARNING >{RECOMMENDED_IMAGES} images recommended for INT8 calibration, found {len(files)} images."
        )
    return files


def calibration_batches(files: list[str], imgsz: list[int], batch: int, stride: int) -> Iterator[np.ndarray]:
    """``(batch, 3, h, w)`` float32 blobs of ``files`` letterboxed to ``imgsz`` as the predictor does for a static
    input of that size; an incomplete last batch is dropped (at least one batch: ``batch`` is cut to the count)."""
    import cv2

    from numa_ultralytics.data.augment import letterbox, to_blob

    batch = max(1, min(batch, len(files)))
    for i in range(0, len(files) - batch + 1, batch):
        blobs = []
        for f in files[i : i + batch]:
            im = cv2.imread(f)
            if im is None:
                raise ValueError(f"int8 calibration: cannot read image {f}")
            blobs.append(to_blob(letterbox(im, (imgsz[0], imgsz[1]), False, stride)))
        yield np.concatenate(blobs, 0)


def quantize_int8(
    fp32: str | os.PathLike, target: str | os.PathLike, files: list[str], imgsz: list[int], batch: int, stride: int
) -> Path:
    """Quantize the fp32 ONNX file ``fp32`` into ``target`` (QDQ int8), calibrated on ``files``; returns ``target``."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    model = onnx.load(str(fp32))
    input_name = model.graph.input[0].name
    exclude = [n.name for n in model.graph.node if n.op_type not in QUANTIZED_OPS]
    unnamed = [n for n in model.graph.node if not n.name]
    if unnamed:  # nodes_to_exclude works by name: every node needs one
        raise ValueError(f"{fp32}: {len(unnamed)} unnamed nodes; int8 quantization excludes nodes by name")
    del model

    class _Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.it = calibration_batches(files, imgsz, batch, stride)

        def get_next(self) -> dict[str, np.ndarray] | None:
            x = next(self.it, None)
            return None if x is None else {input_name: x}

        def rewind(self) -> None:
            self.it = calibration_batches(files, imgsz, batch, stride)

    LOGGER.info(f"ONNX: quantizing INT8 with ONNX Runtime on {len(files)} calibration images...")
    root = logging.getLogger()  # onnxruntime.quantization logs its "consider pre-processing" hints on the root logger
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_static(
            str(fp32),
            str(target),
            _Reader(),
            quant_format=QuantFormat.QDQ,
            activation_type=QuantType[ACTIVATION_TYPE],
            weight_type=QuantType[WEIGHT_TYPE],
            per_channel=PER_CHANNEL,
            reduce_range=REDUCE_RANGE,
            nodes_to_exclude=exclude,
        )
    finally:
        root.setLevel(level)
    return Path(target)


def qdq_layout(path: str | os.PathLike) -> tuple[set[str], int, int]:
    """The layout of the QDQ graph at ``path``: the element types of its activations' zero points (``QuantizeLinear``,
    e.g. ``{"INT8"}``) and the smallest and largest quantized convolution weight (4-D ``DequantizeLinear``
    initializers)."""
    import onnx
    from onnx import numpy_helper

    g = onnx.load(str(path)).graph
    inits = {i.name: i for i in g.initializer}
    act: set[str] = set()
    lo = hi = 0
    for n in g.node:
        if n.op_type == "QuantizeLinear" and len(n.input) > 2 and n.input[2] in inits:
            act.add(onnx.TensorProto.DataType.Name(inits[n.input[2]].data_type))
        elif n.op_type == "DequantizeLinear" and n.input[0] in inits:
            w = numpy_helper.to_array(inits[n.input[0]])
            if w.ndim == 4:
                lo, hi = min(lo, int(w.min())), max(hi, int(w.max()))
    return act, lo, hi


#: NNCF's extra, named by the error when it is missing (the ``[openvino]`` extra brings it).
NNCF_EXTRA = 'pip install "numa_ultralytics[openvino]"'


def head_ignored_scope(ov_model: Any) -> list[str]:
    """The operations NNCF leaves in float: every ``Sigmoid`` and every operation of the head module (``model.<i>``,
    the module of the last ``Sigmoid``), its DFL included: the head's convolutions, box decode, class scores, mask
    coefficients and prototypes stay float; the backbone and the neck run int8. Ultralytics 8.4.190
    (``utils/export/openvino.py``) means the same scope, but its names (``<head>/``, ``<head>.dfl``) miss the traced
    head convolutions (``__module.model.23.cv2...``), which it quantizes: its int8 export keeps 0.67-0.81 of its fp32
    model's detections, this scope 0.93-0.97 (bench/RESULTS.md "SmoothQuant ... Ultralytics' own int8 export").
    Operation names carry the module path as Ultralytics' ONNX export writes it (``/model.23/cv2.0/...``,
    ``/model.23.dfl/...``) or as nn/onnx_builder.py does (``Conv_model.23.cv2.0.0.conv_3``)."""
    ops = ov_model.get_ordered_ops()
    sigmoids = [o.get_friendly_name() for o in ops if o.get_type_name() == "Sigmoid"]
    found = re.search(r"model\.(\d+)", sigmoids[-1]) if sigmoids else None
    if found is None:
        return sigmoids
    head = re.compile(rf"(?:^|[/_])model\.{found.group(1)}(?:[./_]|$)")
    return [o.get_friendly_name() for o in ops if o.get_type_name() == "Sigmoid" or head.search(o.get_friendly_name())]


#: The first modules (``model.0`` .. ``model.<n-1>``) kept float besides the head; 0: none, the head only. Measured
#: (bench/int8_search.py, bench/RESULTS.md "int8 on OpenVINO: closer to fp32"): 3 (the stem: two stride-2 convolutions
#: and the first C3k2, 6.8% of yolo11n-seg's convolution FLOPs) lowers the int8 score noise against fp32 (class logits
#: of paired detections, standard deviation 0.214 -> 0.181 people video, 0.306 -> 0.235 mmtracking) and raises fp32's
#: detections matched (0.968 -> 0.988, 0.931 -> 0.965), but costs 2-10% of the bare inference (two timings; loop 1 1.72x
#: fp32 against 2.10x in one run: under issue 26's 1.8x) and tracked ids agree less (0.956 against 1.000 up to
#: renumbering); so 0, the fastest that keeps mask mAP and ids.
FLOAT_STEM_MODULES = 0


def stem_ignored_scope(ov_model: Any, n: int | None = None) -> list[str]:
    """The operations of modules ``model.0`` .. ``model.<n-1>`` (``n``: :data:`FLOAT_STEM_MODULES` by default; named
    as :func:`head_ignored_scope` reads them): the stem NNCF leaves in float, the input image unquantized with it."""
    n = FLOAT_STEM_MODULES if n is None else n
    if n <= 0:
        return []
    mod = re.compile(r"(?:^|[/_])model\.(\d+)(?:[./_]|$)")
    out = []
    for o in ov_model.get_ordered_ops():
        found = mod.search(o.get_friendly_name())
        if found is not None and int(found.group(1)) < n:
            out.append(o.get_friendly_name())
    return out


def require_nncf() -> Any:
    """The ``nncf`` module, or an ``ImportError`` naming the ``[openvino]`` extra that brings it."""
    try:
        import nncf
    except ImportError as e:
        raise ImportError(f"export(format='openvino', int8=True) needs NNCF (nncf): {NNCF_EXTRA}") from e
    return nncf


def quantize_openvino(ov_model: Any, files: list[str], imgsz: list[int], batch: int, stride: int) -> Any:
    """The OpenVINO model ``ov_model`` quantized to int8 by NNCF (``nncf.quantize``, preset ``MIXED``: symmetric
    weights, asymmetric activations), calibrated on ``files`` (letterboxed as the predictor does,
    :func:`calibration_batches`, every batch used), with :func:`head_ignored_scope` kept float (as Ultralytics 8.4.190
    ``format=openvino int8=True``) and :func:`stem_ignored_scope` (none with :data:`FLOAT_STEM_MODULES` 0). NNCF needs
    no torch."""
    nncf = require_nncf()
    blobs = list(calibration_batches(files, imgsz, batch, stride))
    ignored = head_ignored_scope(ov_model) + stem_ignored_scope(ov_model)
    LOGGER.info(f"OpenVINO: quantizing INT8 with NNCF {nncf.__version__} on {len(files)} calibration images...")
    nncf_log = logging.getLogger("nncf")  # its per-operation INFO lines
    level = nncf_log.level
    nncf_log.setLevel(logging.WARNING)
    try:
        return nncf.quantize(
            model=ov_model,
            calibration_dataset=nncf.Dataset(blobs),
            preset=nncf.QuantizationPreset.MIXED,
            subset_size=len(blobs),
            ignored_scope=nncf.IgnoredScope(names=ignored, validate=False) if ignored else None,
        )
    finally:
        nncf_log.setLevel(level)
