"""Build an ONNX graph from an Ultralytics checkpoint read by :mod:`numa_ultralytics.nn.checkpoint`.

The module tree in the checkpoint (inert stand-ins holding each module's attributes and numpy weights) is walked in
the order of Ultralytics' ``BaseModel._predict_once``; each module is emitted as ONNX nodes that compute what its
``forward`` computes (BatchNorm folded into the convolution if the checkpoint is not fused). The head decodes boxes
exactly as the Ultralytics ONNX export does: ``output0`` ``[B, 4 + nc (+ nm), A]`` with xywh boxes in input pixels
and sigmoid class scores (then mask coefficients), ``output1`` ``[B, nm, H/4, W/4]`` mask prototypes for segment
models. Anchors and strides are computed inside the graph from the feature-map shapes, so batch, height and width
are dynamic (any multiple of the model stride). Metadata follows the Ultralytics export.

Supported: YOLOv8 (P6 included) / YOLOv5u / YOLOv6 / YOLO11 / YOLO26 / YOLO12 / YOLOv10 / YOLOv9 / YOLOv3u detect
and segment models (Conv, DWConv, C2, C2f, C3k2 (with C3k or attention blocks), C3k, C3, Bottleneck, SPPF (with its
shortcut), C2PSA, PSABlock, Attention, A2C2f, ABlock, AAttn (area attention), SCDown, PSA, C2fCIB, CIB, RepVGGDW,
ELAN1, RepNCSPELAN4, RepCSP, RepBottleneck, RepConv, AConv, ADown, SPPELAN, CBLinear, CBFuse, Silence, MaxPool2d,
ZeroPad2d, Upsample, Concat, Detect, v10Detect, Segment, Segment26, Proto, Proto26, DFL). BatchNorm is folded, and
RepConv / RepVGGDW branches merged, in float32 in the order Ultralytics' ``fuse()`` uses before an export. The head is
chosen from ``nms`` as 8.4.190 chooses it (:func:`head_end2end`). End-to-end heads (YOLO26, YOLOv10: their one-to-one
branch) output what Ultralytics' export does: ``output0`` ``[B, k, 6 + nm]`` rows
``x1, y1, x2, y2, score, class, mask coefficients`` for the top ``k = min(max_det, anchors)`` (anchor, class) pairs,
selected with the original's ops so ties resolve alike. Anything else raises ``NotImplementedError`` naming the module.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from numa_ultralytics.nn.graph_io import FEATURE_OUTPUT_PREFIX
from numa_ultralytics.nn.safety import short_repr
from numa_ultralytics.nn.standins import BoundMethodRef, StandIn
from numa_ultralytics.utils.args import CKPT_OVERRIDES

__all__ = [
    "BUILDER_VERSION",
    "HEAD_FUSED_WARNING",
    "HEAD_NO_ONE2ONE_WARNING",
    "MIN_OPSET",
    "OPSET",
    "build_onnx",
    "checkpoint_layers",
    "checkpoint_overrides",
    "checkpoint_imgsz",
    "checkpoint_stride",
    "fuse_conv_bn",
    "head_end2end",
    "head_warning",
    "max_opset",
]

#: Bump when the generated graph changes: it is part of the cache file name.
BUILDER_VERSION = 5  # 2: scalar constants are 0-d (a static input shape made Range's [1]-shaped bounds an error)
# 3: graphs built for predict also output the detection head's input feature maps (FEATURE_OUTPUT_PREFIX)
# 4: BatchNorm folded in float32 as torch's fuse does (unfused checkpoints' graphs equal the export bit for bit)
# 5: the head follows ``nms`` (head_end2end), not the checkpoint's saved ``end2end`` flag

OPSET = 17  # the cached graphs' opset (pt_loader)
IR_VERSION = 8  # opset 17 <-> IR 8: runs on onnxruntime >= 1.13
#: The oldest opset the graph is valid in: ``Shape`` with ``start``/``end`` (the anchors) needs opset 15. No op it
#: uses changed meaning after that (later versions only widened types), so any opset from 15 to
#: :func:`max_opset` gives the same graph.
MIN_OPSET = 15


def max_opset() -> int:
    """The newest opset the installed ``onnx`` knows (whether onnxruntime runs it is checked by running it)."""
    return int(onnx.defs.onnx_opset_version())


_SUPPORTED_TASKS = {"DetectionModel": "detect", "SegmentationModel": "segment"}
#: The detection heads the builder converts, and those of them with a mask branch (``cv4`` + ``proto``).
_HEADS = ("Detect", "Segment", "Segment26", "v10Detect")
_SEGMENT_HEADS = ("Segment", "Segment26")


#: 8.4.190's warnings (``Detect.end2end``'s setter) when the head ``nms`` asks for is not in the checkpoint.
HEAD_FUSED_WARNING = "The one-to-many head was removed by fusion; using the remaining one-to-one head."
HEAD_NO_ONE2ONE_WARNING = "This model has no one-to-one head; using one-to-many outputs."


def head_end2end(head: StandIn, nms: bool | None = None) -> bool:
    """Which head a ``.pt`` runs for ``nms`` (the one rule, for every family and for predict, track, val and
    export): True for the one-to-one (NMS-free, top-k) head, False for the one-to-many head (then NMS).

    8.4.190 sets ``model.end2end = nms is False`` before fusing (the predictor's and validator's
    ``AutoBackend(end2end=args.nms is False)``, the exporter's ``model.end2end = args.nms is False``), whatever the
    checkpoint saved; ``Detect.end2end`` is then ``one2one_cv2 is not None and (_end2end or cv2 is None)``. So a head
    with both branches runs the one-to-one one only with ``nms=False``; one whose one-to-many branch fusion removed
    (the released YOLO26 ``.pt``) always runs it; one without a one-to-one branch never does (:func:`head_warning`).
    """
    if head.get("one2one_cv2") is None:
        return False
    return nms is False or head.get("cv2") is None


def head_warning(nms: bool | None, end2end: bool) -> str | None:
    """8.4.190's warning when the head :func:`head_end2end` chose for ``nms`` is not the one asked for (``nms=False``
    asks for the one-to-one head, anything else for the one-to-many one), else None. ``end2end``: the head built (a
    graph's ``end2end`` metadata), so a cached graph gives the same warning without reading its checkpoint."""
    if nms is False and not end2end:
        return HEAD_NO_ONE2ONE_WARNING
    if nms is not False and end2end:
        return HEAD_FUSED_WARNING
    return None


#: The fewest rows a ``.pt``'s one-to-one head selects in predict / track: 8.4.190's predictor sets the head's
#: ``max_det`` to ``max(args.max_det, 300)`` ("class filtering needs candidates before max_det truncation").
HEAD_MIN_TOPK = 300


def head_topk(max_det: int, agnostic_nms: bool) -> tuple[int, bool]:
    """The top-k a ``.pt``'s one-to-one head is built with for predict, track and val (8.4.190's ``set_head_attr(
    max_det=..., agnostic_nms=...)``): ``(max(max_det, HEAD_MIN_TOPK), agnostic_nms)``. Fewer rows are the first
    ``max_det`` of these (a pair's score is at most its anchor's best, so the top ``max_det`` pairs come from the top
    ``max_det`` anchors: val's ``max_det`` below 300 selects the same rows as the original's ``k = max_det``); more
    need a graph built for them, and ``agnostic_nms`` selects other rows (the best class per anchor only)."""
    return max(int(max_det), HEAD_MIN_TOPK), bool(agnostic_nms)


def fuse_conv_bn(
    weight: np.ndarray,
    bias: np.ndarray | None,
    gamma: np.ndarray | None,
    beta: np.ndarray | None,
    mean: np.ndarray,
    var: np.ndarray,
    eps: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Fold ``BatchNorm2d(conv(x))`` into one convolution; returns float32 ``(weight, bias)``.

    Computed in float32 in the order of ``torch.nn.utils.fusion.fuse_conv_bn_weights`` (what Ultralytics' ``fuse()``
    runs before an export, on the checkpoint's weights made float32), so the folded weights are the export's bit for
    bit."""
    f32 = np.float32
    w = np.asarray(weight, f32)
    c = w.shape[0]
    g = np.ones(c, f32) if gamma is None else np.asarray(gamma, f32)
    b = np.zeros(c, f32) if beta is None else np.asarray(beta, f32)
    b0 = np.zeros(c, f32) if bias is None else np.asarray(bias, f32)
    rsqrt = f32(1.0) / np.sqrt(np.asarray(var, f32) + f32(eps))
    w_f = w * (g * rsqrt).reshape(-1, *([1] * (w.ndim - 1)))
    b_f = (b0 - np.asarray(mean, f32)) * rsqrt * g + b
    return w_f.astype(f32), b_f.astype(f32)


def _rep_fuse_bn(weight: np.ndarray, bn: StandIn) -> tuple[np.ndarray, np.ndarray]:
    """``RepConv._fuse_bn_tensor``: ``kernel * gamma / std``, ``beta - mean * gamma / std`` (float32, its order)."""
    f32 = np.float32
    std = np.sqrt(np.asarray(bn.child("running_var"), f32) + f32(float(bn.get("eps", 1e-5))))
    gamma, beta = np.asarray(bn.child("weight"), f32), np.asarray(bn.child("bias"), f32)
    t = (gamma / std).reshape(-1, 1, 1, 1)
    return np.asarray(weight, f32) * t, beta - np.asarray(bn.child("running_mean"), f32) * gamma / std


def _name(m: Any) -> str:
    return type(m).__name__ if not isinstance(m, StandIn) else m.cls_name


def _qual(m: Any) -> str:
    return m.qualname() if isinstance(m, StandIn) else type(m).__name__


def _pair(v: Any) -> list[int]:
    if isinstance(v, int):
        return [v, v]
    v = list(v)
    return v * 2 if len(v) == 1 else v


class _Graph:
    """Accumulates ONNX nodes and initializers, with unique value names."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self._n = 0
        self._consts: dict[tuple[str, bytes, tuple[int, ...]], str] = {}

    def fresh(self, hint: str) -> str:
        self._n += 1
        return f"{hint}_{self._n}"

    def op(self, op_type: str, inputs: Sequence[str], hint: str = "", n_out: int = 1, **attrs: Any) -> Any:
        base = self.fresh(hint or op_type)
        outs = [base] if n_out == 1 else [f"{base}_{i}" for i in range(n_out)]
        self.nodes.append(helper.make_node(op_type, list(inputs), outs, name=f"{op_type}_{base}", **attrs))
        return outs[0] if n_out == 1 else outs

    def init(self, name: str, arr: np.ndarray) -> str:
        name = self.fresh(name)
        arr = np.asarray(arr)
        # np.ascontiguousarray makes a 0-d array 1-d: keep scalars scalars (Range needs them)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr).reshape(arr.shape), name))
        return name

    def const(self, arr: np.ndarray | np.generic | Sequence | float | int, dtype: Any = None) -> str:
        a = np.asarray(arr, dtype=dtype)
        key = (a.dtype.str, a.tobytes(), a.shape)
        if key not in self._consts:
            self._consts[key] = self.init("const", a)
        return self._consts[key]


class _Builder:
    def __init__(self) -> None:
        self.g = _Graph()

    # ------------------------------------------------------------------ primitives
    def conv2d(
        self, m: StandIn, x: str, path: str, weight: np.ndarray | None = None, bias: np.ndarray | None = None
    ) -> str:
        if m.get("padding_mode", "zeros") != "zeros":
            raise NotImplementedError(
                f"{path}: Conv2d padding_mode={short_repr(m.get('padding_mode'))} is not supported"
            )
        pad = m.get("padding", 0)
        if isinstance(pad, str):
            raise NotImplementedError(f"{path}: Conv2d padding={short_repr(pad)} is not supported")
        w = m.child("weight") if weight is None else weight
        b = m.get("bias") if weight is None else bias
        if not isinstance(w, np.ndarray) or w.ndim != 4:
            raise ValueError(f"{path}: Conv2d weight missing or not 4-D")
        return self._conv_op("Conv", m, x, path, w, b, pad)

    def conv_transpose2d(self, m: StandIn, x: str, path: str) -> str:
        oph, opw = _pair(m.get("output_padding", 0))
        attrs: dict[str, Any] = {}
        if oph or opw:
            attrs["output_padding"] = [oph, opw]
        return self._conv_op(
            "ConvTranspose", m, x, path, m.child("weight"), m.get("bias"), m.get("padding", 0), **attrs
        )

    def _conv_op(self, op: str, m: StandIn, x: str, path: str, w: np.ndarray, b: Any, pad: Any, **attrs: Any) -> str:
        """``op`` (``Conv`` / ``ConvTranspose``) of ``x``: weight ``w``, bias ``b`` (or None) as float32 initialisers,
        symmetric ``pad``, the stride, dilation and groups of module ``m``, then ``attrs``."""
        ph, pw = _pair(pad)
        inputs = [x, self.g.init(f"{path}.weight", w.astype(np.float32))]
        if b is not None:
            inputs.append(self.g.init(f"{path}.bias", np.asarray(b, dtype=np.float32)))
        return self.g.op(
            op,
            inputs,
            hint=path,
            kernel_shape=list(w.shape[2:]),
            strides=_pair(m.get("stride", 1)),
            pads=[ph, pw, ph, pw],
            dilations=_pair(m.get("dilation", 1)),
            group=int(m.get("groups", 1)),
            **attrs,
        )

    def act(self, m: Any, x: str, path: str) -> str:
        if m is None or m is True:
            return x
        n = _name(m)
        if n == "Identity":
            return x
        if n == "SiLU":
            return self.g.op("Mul", [x, self.g.op("Sigmoid", [x], hint=path)], hint=path)
        if n == "Sigmoid":
            return self.g.op("Sigmoid", [x], hint=path)
        if n == "ReLU":
            return self.g.op("Relu", [x], hint=path)
        if n == "LeakyReLU":
            return self.g.op("LeakyRelu", [x], hint=path, alpha=float(m.get("negative_slope", 0.01)))
        if n == "Hardswish":
            return self.g.op("HardSwish", [x], hint=path)
        raise NotImplementedError(f"{path}: unsupported activation module '{_qual(m)}'")

    def conv_block(self, m: StandIn, x: str, path: str) -> str:
        """Ultralytics Conv / DWConv: act(bn(conv(x))), BN folded unless already fused."""
        conv = m.child("conv")
        bn = m.get("bn")
        fwd = m.__dict__.get("forward")
        fused = isinstance(fwd, BoundMethodRef) and fwd.name == "forward_fuse"
        if bn is not None and not fused:
            if _name(bn) != "BatchNorm2d":
                raise NotImplementedError(f"{path}.bn: unsupported normalization module '{_qual(bn)}'")
            w, b = fuse_conv_bn(
                conv.child("weight"),
                conv.get("bias"),
                bn.get("weight"),
                bn.get("bias"),
                bn.child("running_mean"),
                bn.child("running_var"),
                float(bn.get("eps", 1e-5)),
            )
            y = self.conv2d(conv, x, f"{path}.conv", weight=w, bias=b)
        else:
            y = self.conv2d(conv, x, f"{path}.conv")
        return self.act(m.get("act"), y, f"{path}.act")

    def split(self, x: str, sizes: Sequence[int], axis: int, hint: str) -> list[str]:
        return self.g.op("Split", [x, self.g.const(list(sizes), np.int64)], hint=hint, n_out=len(sizes), axis=axis)

    def concat(self, xs: Sequence[str], axis: int, hint: str) -> str:
        return self.g.op("Concat", list(xs), hint=hint, axis=axis)

    def hidden_channels(self, m: StandIn, path: str) -> int:
        c = m.get("c")
        if isinstance(c, int):
            return c
        w = m.child("cv1").child("conv").child("weight")
        return int(w.shape[0]) // 2

    # ------------------------------------------------------------------ modules
    def module(self, m: Any, x: Any, path: str) -> Any:
        if m is None:
            raise ValueError(f"{path}: module is missing (None) in the checkpoint")
        if not isinstance(m, StandIn):
            raise ValueError(f"{path}: expected a module, found {type(m).__name__}")
        n = m.cls_name
        fn = getattr(self, f"m_{n}", None)
        if fn is None:
            raise NotImplementedError(
                f"unsupported module '{m.qualname()}' at {path}: only YOLOv3u/v5u/v6/v8/v9/v10/YOLO11/YOLO12/YOLO26 "
                "detect and segment models can be converted from .pt (not RT-DETR, YOLO-World, YOLOE; export this "
                "model to ONNX with Ultralytics instead)"
            )
        return fn(m, x, path)

    def m_Conv(self, m: StandIn, x: str, path: str) -> str:
        return self.conv_block(m, x, path)

    m_DWConv = m_Conv

    def m_Conv2d(self, m: StandIn, x: str, path: str) -> str:
        return self.conv2d(m, x, path)

    def m_ConvTranspose2d(self, m: StandIn, x: str, path: str) -> str:
        return self.conv_transpose2d(m, x, path)

    def m_Identity(self, m: StandIn, x: str, path: str) -> str:
        return x

    m_Silence = m_Identity  # YOLOv9e's first layer in checkpoints before Ultralytics replaced it with nn.Identity

    def m_SiLU(self, m: StandIn, x: str, path: str) -> str:
        return self.act(m, x, path)

    m_ReLU = m_LeakyReLU = m_Sigmoid = m_Hardswish = m_SiLU

    def m_Sequential(self, m: StandIn, x: str, path: str) -> str:
        for k, c in (m.get("_modules") or {}).items():
            x = self.module(c, x, f"{path}.{k}")
        return x

    def m_Bottleneck(self, m: StandIn, x: str, path: str) -> str:
        y = self.module(m.child("cv2"), self.module(m.child("cv1"), x, f"{path}.cv1"), f"{path}.cv2")
        return self.g.op("Add", [x, y], hint=path) if m.get("add", False) else y

    def m_C2f(self, m: StandIn, x: str, path: str) -> str:
        c = self.hidden_channels(m, path)
        ys = list(self.split(self.module(m.child("cv1"), x, f"{path}.cv1"), [c, c], 1, path))
        for k, b in (m.child("m").get("_modules") or {}).items():
            ys.append(self.module(b, ys[-1], f"{path}.m.{k}"))
        return self.module(m.child("cv2"), self.concat(ys, 1, path), f"{path}.cv2")

    m_C3k2 = m_C2f

    def _halves(self, m: StandIn, x: str, path: str, through: int) -> str:
        """cv1, halves ``a, b``, ``m`` on half ``through`` (0: ``a``, 1: ``b``), ``cv2`` of the halves concatenated."""
        c = self.hidden_channels(m, path)
        halves = list(self.split(self.module(m.child("cv1"), x, f"{path}.cv1"), [c, c], 1, path))
        halves[through] = self.module(m.child("m"), halves[through], f"{path}.m")
        return self.module(m.child("cv2"), self.concat(halves, 1, path), f"{path}.cv2")

    def m_C2(self, m: StandIn, x: str, path: str) -> str:
        """C2 (YOLOv8 P6 heads): cv1, halves ``a, b``, ``cv2(cat(m(a), b))``."""
        return self._halves(m, x, path, 0)

    def m_C3(self, m: StandIn, x: str, path: str) -> str:
        a = self.module(m.child("m"), self.module(m.child("cv1"), x, f"{path}.cv1"), f"{path}.m")
        b = self.module(m.child("cv2"), x, f"{path}.cv2")
        return self.module(m.child("cv3"), self.concat([a, b], 1, path), f"{path}.cv3")

    m_C3k = m_C3

    def m_MaxPool2d(self, m: StandIn, x: str, path: str) -> str:
        k = _pair(m.get("kernel_size"))
        s = _pair(m.get("stride") if m.get("stride") is not None else m.get("kernel_size"))
        p = _pair(m.get("padding", 0))
        if _pair(m.get("dilation", 1)) != [1, 1] or m.get("return_indices", False):
            raise NotImplementedError(f"{path}: MaxPool2d with dilation/return_indices is not supported")
        return self.g.op(
            "MaxPool",
            [x],
            hint=path,
            kernel_shape=k,
            strides=s,
            pads=[p[0], p[1], p[0], p[1]],
            ceil_mode=int(bool(m.get("ceil_mode", False))),
        )

    def m_SPPF(self, m: StandIn, x: str, path: str) -> str:
        ys = [self.module(m.child("cv1"), x, f"{path}.cv1")]
        for _ in range(int(m.get("n", 3))):
            ys.append(self.module(m.child("m"), ys[-1], f"{path}.m"))
        y = self.module(m.child("cv2"), self.concat(ys, 1, path), f"{path}.cv2")
        return self.g.op("Add", [y, x], hint=path) if m.get("add", False) else y

    def m_Attention(self, m: StandIn, x: str, path: str) -> str:
        nh = int(m.child("num_heads"))
        hd = int(m.child("head_dim"))
        kd = int(m.child("key_dim"))
        scale = float(m.child("scale"))
        g = self.g
        qkv = self.module(m.child("qkv"), x, f"{path}.qkv")
        qkv = g.op("Reshape", [qkv, g.const([0, nh, kd * 2 + hd, -1], np.int64)], hint=path)
        q, k, v = self.split(qkv, [kd, kd, hd], 2, path)
        qs = g.op("Mul", [q, g.const(np.float32(scale))], hint=path)
        attn = g.op("MatMul", [g.op("Transpose", [qs], hint=path, perm=[0, 1, 3, 2]), k], hint=path)
        attn = g.op("Softmax", [attn], hint=path, axis=-1)
        o = g.op("MatMul", [v, g.op("Transpose", [attn], hint=path, perm=[0, 1, 3, 2])], hint=path)
        shape = g.op("Shape", [x], hint=path)
        o = g.op("Reshape", [o, shape], hint=path)
        pe = self.module(m.child("pe"), g.op("Reshape", [v, shape], hint=path), f"{path}.pe")
        return self.module(m.child("proj"), g.op("Add", [o, pe], hint=path), f"{path}.proj")

    def m_PSABlock(self, m: StandIn, x: str, path: str) -> str:
        add = bool(m.get("add", True))
        a = self.module(m.child("attn"), x, f"{path}.attn")
        x = self.g.op("Add", [x, a], hint=path) if add else a
        f = self.module(m.child("ffn"), x, f"{path}.ffn")
        return self.g.op("Add", [x, f], hint=path) if add else f

    def m_C2PSA(self, m: StandIn, x: str, path: str) -> str:
        """C2PSA (YOLO11): cv1, halves ``a, b``, ``cv2(cat(a, m(b)))``."""
        return self._halves(m, x, path, 1)

    # ------------------------------------------------------------------ YOLOv9 / YOLOv10 / YOLO12 / YOLOv3 blocks
    def batch_norm(self, m: StandIn, x: str, path: str) -> str:
        """A standalone BatchNorm2d (eval): ``x * scale + shift`` with the statistics folded."""
        n = m.child("running_mean").shape[0]
        scale, shift = fuse_conv_bn(
            np.ones((n, 1, 1, 1), np.float32),
            None,
            m.get("weight"),
            m.get("bias"),
            m.child("running_mean"),
            m.child("running_var"),
            float(m.get("eps", 1e-5)),
        )
        s = self.g.init(f"{path}.scale", scale.reshape(1, n, 1, 1))
        b = self.g.init(f"{path}.shift", shift.reshape(1, n, 1, 1))
        return self.g.op("Add", [self.g.op("Mul", [x, s], hint=path), b], hint=path)

    m_BatchNorm2d = batch_norm

    def _fused(self, m: StandIn) -> bool:
        fwd = m.__dict__.get("forward")
        return isinstance(fwd, BoundMethodRef) and fwd.name == "forward_fuse"

    def m_RepConv(self, m: StandIn, x: str, path: str) -> str:
        """RepConv: ``act(conv1(x) + conv2(x) (+ bn(x)))``, reparameterized into one 3x3 convolution as
        ``RepConv.fuse_convs`` does before an export; once fused ``act(conv(x))``."""
        if self._fused(m) or m.get("conv1") is None:
            return self.act(m.get("act"), self.module(m.child("conv"), x, f"{path}.conv"), f"{path}.act")
        conv1, conv2 = m.child("conv1"), m.child("conv2")
        for c in (conv1, conv2):
            if c.get("bn") is None or self._fused(c):
                raise ValueError(f"{path}: RepConv branch without its BatchNorm")
        w3, b3 = _rep_fuse_bn(conv1.child("conv").child("weight"), conv1.child("bn"))
        w1, b1 = _rep_fuse_bn(conv2.child("conv").child("weight"), conv2.child("bn"))
        w = w3 + np.pad(w1, ((0, 0), (0, 0), (1, 1), (1, 1)))
        b = b3 + b1
        if m.get("bn") is not None:  # the identity branch
            groups = int(m.child("g"))
            c1 = int(m.child("c1"))
            kid = np.zeros((c1, c1 // groups, 3, 3), np.float32)
            for i in range(c1):
                kid[i, i % (c1 // groups), 1, 1] = 1
            wi, bi = _rep_fuse_bn(kid, m.child("bn"))
            w, b = w + wi, b + bi
        y = self.conv2d(conv1.child("conv"), x, f"{path}.conv", weight=w, bias=b)
        return self.act(m.get("act"), y, f"{path}.act")

    def _folded(self, m: StandIn) -> tuple[np.ndarray, np.ndarray]:
        """The (weight, bias) of a Conv block with its BatchNorm folded (``fuse_conv_and_bn``), or as fused."""
        conv, bn = m.child("conv"), m.get("bn")
        if bn is None or self._fused(m):
            w = np.asarray(conv.child("weight"), np.float32)
            bias = conv.get("bias")
            return w, np.zeros(w.shape[0], np.float32) if bias is None else np.asarray(bias, np.float32)
        return fuse_conv_bn(
            conv.child("weight"),
            conv.get("bias"),
            bn.get("weight"),
            bn.get("bias"),
            bn.child("running_mean"),
            bn.child("running_var"),
            float(bn.get("eps", 1e-5)),
        )

    def m_RepVGGDW(self, m: StandIn, x: str, path: str) -> str:
        """RepVGGDW (YOLOv10 CIB): ``act(conv(x) + conv1(x))``, the 3x3 depthwise branch padded into the 7x7 one as
        ``RepVGGDW.fuse`` does before an export; once fused ``act(conv(x))``."""
        if self._fused(m) or m.get("conv1") is None:
            return self.act(m.get("act"), self.module(m.child("conv"), x, f"{path}.conv"), f"{path}.act")
        w7, b7 = self._folded(m.child("conv"))
        w3, b3 = self._folded(m.child("conv1"))
        p = (w7.shape[-1] - w3.shape[-1]) // 2
        w = w7 + np.pad(w3, ((0, 0), (0, 0), (p, p), (p, p)))
        y = self.conv2d(m.child("conv").child("conv"), x, f"{path}.conv", weight=w, bias=b7 + b3)
        return self.act(m.get("act"), y, f"{path}.act")

    m_RepBottleneck = m_Bottleneck
    m_RepCSP = m_C3
    m_C2fCIB = m_C2f

    def m_CIB(self, m: StandIn, x: str, path: str) -> str:
        y = self.module(m.child("cv1"), x, f"{path}.cv1")
        return self.g.op("Add", [x, y], hint=path) if m.get("add", False) else y

    def m_RepNCSPELAN4(self, m: StandIn, x: str, path: str) -> str:
        """RepNCSPELAN4 / ELAN1 (YOLOv9): cv1 halves, then cv2 and cv3 chained on the last, cv4 of all four."""
        c = int(m.child("c"))
        ys = list(self.split(self.module(m.child("cv1"), x, f"{path}.cv1"), [c, c], 1, path))
        for k in ("cv2", "cv3"):
            ys.append(self.module(m.child(k), ys[-1], f"{path}.{k}"))
        return self.module(m.child("cv4"), self.concat(ys, 1, path), f"{path}.cv4")

    m_ELAN1 = m_RepNCSPELAN4

    def avg_pool_2x2_s1(self, x: str, path: str) -> str:
        """``avg_pool2d(x, 2, 1, 0, False, True)`` (AConv, ADown)."""
        return self.g.op("AveragePool", [x], hint=path, kernel_shape=[2, 2], strides=[1, 1], pads=[0, 0, 0, 0])

    def m_AConv(self, m: StandIn, x: str, path: str) -> str:
        return self.module(m.child("cv1"), self.avg_pool_2x2_s1(x, path), f"{path}.cv1")

    def m_ADown(self, m: StandIn, x: str, path: str) -> str:
        """ADown: 2x2 average pool (stride 1), halves: ``cv1`` (3x3 stride 2) and ``cv2(max_pool(3, 2, 1))``."""
        half = int(m.child("cv1").child("conv").child("weight").shape[1])
        x1, x2 = self.split(self.avg_pool_2x2_s1(x, path), [half, half], 1, path)
        x1 = self.module(m.child("cv1"), x1, f"{path}.cv1")
        x2 = self.g.op("MaxPool", [x2], hint=path, kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
        x2 = self.module(m.child("cv2"), x2, f"{path}.cv2")
        return self.concat([x1, x2], 1, path)

    def m_SPPELAN(self, m: StandIn, x: str, path: str) -> str:
        ys = [self.module(m.child("cv1"), x, f"{path}.cv1")]
        for k in ("cv2", "cv3", "cv4"):
            ys.append(self.module(m.child(k), ys[-1], f"{path}.{k}"))
        return self.module(m.child("cv5"), self.concat(ys, 1, path), f"{path}.cv5")

    def m_CBLinear(self, m: StandIn, x: str, path: str) -> list[str]:
        """CBLinear (YOLOv9e): one convolution (with bias, no BatchNorm), split by channel into ``c2s``: a list."""
        conv = m.child("conv")
        c2s = m.get("c2s")
        c2 = int(conv.child("weight").shape[0]) if isinstance(conv.get("weight"), np.ndarray) else None
        if not (isinstance(c2s, (list, tuple)) and c2s and all(isinstance(c, int) and c > 0 for c in c2s)):
            raise ValueError(f"{path}: CBLinear c2s must be a list of channel counts, got {short_repr(c2s)}")
        if sum(c2s) != c2:
            raise ValueError(f"{path}: CBLinear c2s {short_repr(c2s)} do not add up to its convolution's {c2} channels")
        y = self.module(conv, x, f"{path}.conv")
        return list(self.split(y, c2s, 1, path)) if len(c2s) > 1 else [y]

    def m_CBFuse(self, m: StandIn, x: Any, path: str) -> str:
        """CBFuse (YOLOv9e): split ``idx[i]`` of each CBLinear output in ``x[:-1]``, nearest-resized to the size of
        the last input, and that input, summed (``torch.sum(torch.stack(...), 0)``, exported as these ops)."""
        idx = m.get("idx")
        if not isinstance(x, list) or len(x) < 2 or not isinstance(x[-1], str):
            raise ValueError(f"{path}: CBFuse expects CBLinear outputs followed by one feature map")
        if not (isinstance(idx, (list, tuple)) and len(idx) == len(x) - 1 and all(isinstance(i, int) for i in idx)):
            raise ValueError(f"{path}: CBFuse idx {short_repr(idx)} does not match its {len(x) - 1} CBLinear inputs")
        target = self.g.op("Shape", [x[-1]], hint=path)  # the splits have the last input's batch and channels
        axis0 = self.g.const([0], np.int64)
        res = []
        for i, (xs, j) in enumerate(zip(x[:-1], idx)):
            if not isinstance(xs, list) or not -len(xs) <= j < len(xs):
                raise ValueError(f"{path}: CBFuse input {i} is not a CBLinear output with a split {j}")
            r = self.g.op(
                "Resize",
                [xs[j], "", "", target],
                hint=path,
                mode="nearest",
                coordinate_transformation_mode="asymmetric",
                nearest_mode="floor",
            )
            res.append(self.g.op("Unsqueeze", [r, axis0], hint=path))
        stacked = self.concat([*res, self.g.op("Unsqueeze", [x[-1], axis0], hint=path)], 0, path)
        return self.g.op("ReduceSum", [stacked, axis0], hint=path, keepdims=0)

    def m_SCDown(self, m: StandIn, x: str, path: str) -> str:
        return self.module(m.child("cv2"), self.module(m.child("cv1"), x, f"{path}.cv1"), f"{path}.cv2")

    def m_PSA(self, m: StandIn, x: str, path: str) -> str:
        """PSA (YOLOv10): halves ``a, b``; ``b += attn(b)``; ``b += ffn(b)``; ``cv2(cat(a, b))``."""
        c = int(m.child("c"))
        a, b = self.split(self.module(m.child("cv1"), x, f"{path}.cv1"), [c, c], 1, path)
        b = self.g.op("Add", [b, self.module(m.child("attn"), b, f"{path}.attn")], hint=path)
        b = self.g.op("Add", [b, self.module(m.child("ffn"), b, f"{path}.ffn")], hint=path)
        return self.module(m.child("cv2"), self.concat([a, b], 1, path), f"{path}.cv2")

    def m_AAttn(self, m: StandIn, x: str, path: str) -> str:
        """Area attention (YOLO12): the ``H*W`` positions (row-major) cut into ``area`` equal runs, attention within
        each run. Computed in 5-D ``[B, area, heads, dim, N / area]`` so that no size is baked in."""
        g = self.g
        area = int(m.get("area", 1))
        nh = int(m.child("num_heads"))
        hd = int(m.child("head_dim"))
        c = nh * hd
        qkv = self.module(m.child("qkv"), x, f"{path}.qkv")  # [B, 3c, H, W]
        qkv = g.op("Transpose", [g.op("Reshape", [qkv, g.const([0, 3 * c, -1], np.int64)], hint=path)], perm=[0, 2, 1])
        qkv = g.op("Reshape", [qkv, g.const([0, area, -1, nh, 3 * hd], np.int64)], hint=path)
        qkv = g.op("Transpose", [qkv], hint=path, perm=[0, 1, 3, 4, 2])  # [B, area, nh, 3hd, n]
        q, k, v = self.split(qkv, [hd, hd, hd], 3, path)
        qs = g.op("Mul", [q, g.const(np.float32(hd**-0.5))], hint=path)
        attn = g.op("MatMul", [g.op("Transpose", [qs], hint=path, perm=[0, 1, 2, 4, 3]), k], hint=path)
        attn = g.op("Softmax", [attn], hint=path, axis=-1)
        o = g.op("MatMul", [v, g.op("Transpose", [attn], hint=path, perm=[0, 1, 2, 4, 3])], hint=path)
        shape = g.op("Shape", [x], hint=path)

        def to_map(t: str) -> str:  # [B, area, nh, hd, n] -> [B, c, H, W]
            t = g.op("Transpose", [t], hint=path, perm=[0, 1, 4, 2, 3])  # [B, area, n, nh, hd]
            t = g.op("Reshape", [t, g.const([0, -1, c], np.int64)], hint=path)  # [B, N, c]
            return g.op("Reshape", [g.op("Transpose", [t], hint=path, perm=[0, 2, 1]), shape], hint=path)

        o, v = to_map(o), to_map(v)
        o = g.op("Add", [o, self.module(m.child("pe"), v, f"{path}.pe")], hint=path)
        return self.module(m.child("proj"), o, f"{path}.proj")

    def m_ABlock(self, m: StandIn, x: str, path: str) -> str:
        x = self.g.op("Add", [x, self.module(m.child("attn"), x, f"{path}.attn")], hint=path)
        return self.g.op("Add", [x, self.module(m.child("mlp"), x, f"{path}.mlp")], hint=path)

    def m_A2C2f(self, m: StandIn, x: str, path: str) -> str:
        """A2C2f (YOLO12): ``cv1``, each of ``m`` (ABlock pairs or C3k) on the last, ``cv2`` of all; with ``gamma``
        the residual ``x + gamma * y``."""
        ys = [self.module(m.child("cv1"), x, f"{path}.cv1")]
        for k, b in (m.child("m").get("_modules") or {}).items():
            ys.append(self.module(b, ys[-1], f"{path}.m.{k}"))
        y = self.module(m.child("cv2"), self.concat(ys, 1, path), f"{path}.cv2")
        gamma = m.get("gamma")
        if gamma is None:
            return y
        gamma = np.asarray(gamma, np.float32)
        gy = self.g.op("Mul", [self.g.init(f"{path}.gamma", gamma.reshape(1, -1, 1, 1)), y], hint=path)
        return self.g.op("Add", [x, gy], hint=path)

    def m_ZeroPad2d(self, m: StandIn, x: str, path: str) -> str:
        pad = m.get("padding", 0)
        left, right, top, bottom = [int(pad)] * 4 if isinstance(pad, int) else [int(v) for v in pad]
        pads = self.g.const([0, 0, top, left, 0, 0, bottom, right], np.int64)
        return self.g.op("Pad", [x, pads], hint=path, mode="constant")

    def m_Upsample(self, m: StandIn, x: str, path: str) -> str:
        mode = m.get("mode", "nearest")
        sf = m.get("scale_factor")
        if mode != "nearest" or sf is None or m.get("size") is not None:
            raise NotImplementedError(
                f"{path}: Upsample(mode={short_repr(mode)}, size={short_repr(m.get('size'))}) is not supported"
            )
        sh, sw = (float(sf), float(sf)) if not isinstance(sf, (tuple, list)) else (float(sf[0]), float(sf[-1]))
        scales = self.g.const(np.array([1.0, 1.0, sh, sw], np.float32))
        return self.g.op(
            "Resize",
            [x, "", scales],
            hint=path,
            mode="nearest",
            coordinate_transformation_mode="asymmetric",
            nearest_mode="floor",
        )

    def m_Concat(self, m: StandIn, x: Any, path: str) -> str:
        if not isinstance(x, list):
            raise ValueError(f"{path}: Concat expects several inputs")
        return self.concat(x, int(m.get("d", 1)), path)

    def m_Proto(self, m: StandIn, x: str, path: str) -> str:
        y = self.module(m.child("cv1"), x, f"{path}.cv1")
        y = self.module(m.child("upsample"), y, f"{path}.upsample")
        y = self.module(m.child("cv2"), y, f"{path}.cv2")
        return self.module(m.child("cv3"), y, f"{path}.cv3")

    def m_Proto26(self, m: StandIn, x: Any, path: str) -> str:
        """Proto26: the P4/P5 maps refined (1x1 Conv), upsampled (nearest, x2 / x4) and added to P3, fused (3x3 Conv),
        then Proto's cv1 / upsample / cv2 / cv3. ``semseg`` is a training-only branch (not evaluated)."""
        if not isinstance(x, list) or not x:
            raise ValueError(f"{path}: Proto26 expects the head's feature maps")
        feat = x[0]
        refine = m.child("feat_refine").children()
        if len(refine) != len(x) - 1:
            raise ValueError(f"{path}: Proto26 has {len(refine)} feat_refine convs for {len(x)} feature maps")
        for i, f in enumerate(refine):
            up = self.module(f, x[i + 1], f"{path}.feat_refine.{i}")
            scales = self.g.const(np.array([1.0, 1.0, 2.0 ** (i + 1), 2.0 ** (i + 1)], np.float32))
            up = self.g.op(
                "Resize",
                [up, "", scales],
                hint=path,
                mode="nearest",
                coordinate_transformation_mode="asymmetric",
                nearest_mode="floor",
            )
            feat = self.g.op("Add", [feat, up], hint=path)
        return self.m_Proto(m, self.module(m.child("feat_fuse"), feat, f"{path}.feat_fuse"), path)

    # ------------------------------------------------------------------ heads
    def _level_outputs(self, heads: StandIn, feats: list[str], ch: int, path: str) -> str:
        outs = []
        for i, f in enumerate(feats):
            y = self.module(heads.child(str(i)), f, f"{path}.{i}")
            outs.append(self.g.op("Reshape", [y, self.g.const([0, ch, -1], np.int64)], hint=path))
        return self.concat(outs, 2, path)

    def _anchors(self, feats: list[str], strides: Sequence[float], path: str) -> tuple[str, str]:
        """make_anchors(feats, strides, 0.5) inside the graph: anchors [2, A] (x, y) and strides [1, A]."""
        g = self.g
        anchors, stride_t = [], []
        zero, one = g.const(np.int64(0)), g.const(np.int64(1))
        for f, s in zip(feats, strides):
            h = g.op("Shape", [f], hint=f"{path}.h", start=2, end=3)  # [1]
            w = g.op("Shape", [f], hint=f"{path}.w", start=3, end=4)  # [1]
            hs = g.op("Squeeze", [h, g.const([0], np.int64)], hint=path)
            ws = g.op("Squeeze", [w, g.const([0], np.int64)], hint=path)
            sx = g.op("Cast", [g.op("Range", [zero, ws, one], hint=path)], hint=path, to=TensorProto.FLOAT)
            sy = g.op("Cast", [g.op("Range", [zero, hs, one], hint=path)], hint=path, to=TensorProto.FLOAT)
            sx = g.op("Add", [sx, g.const(np.float32(0.5))], hint=path)
            sy = g.op("Add", [sy, g.const(np.float32(0.5))], hint=path)
            hw = self.concat([h, w], 0, path)
            gx = g.op("Expand", [g.op("Unsqueeze", [sx, g.const([0], np.int64)], hint=path), hw], hint=path)
            gy = g.op("Expand", [g.op("Unsqueeze", [sy, g.const([1], np.int64)], hint=path), hw], hint=path)
            flat = g.const([1, -1], np.int64)
            gx = g.op("Reshape", [gx, flat], hint=path)
            gy = g.op("Reshape", [gy, flat], hint=path)
            anchors.append(self.concat([gx, gy], 0, path))
            n = g.op("Mul", [h, w], hint=path)
            st_shape = self.concat([g.const([1], np.int64), n], 0, path)
            stride_t.append(g.op("Expand", [g.const(np.full((1, 1), s, np.float32)), st_shape], hint=path))
        return self.concat(anchors, 1, f"{path}.anchors"), self.concat(stride_t, 1, f"{path}.strides")

    def m_Detect(self, m: StandIn, feats: Any, path: str) -> tuple[str, str | None]:
        name = m.cls_name
        if name not in _HEADS:
            raise NotImplementedError(f"unsupported head '{m.qualname()}' at {path}")
        end2end = head_end2end(m, self.nms)
        prefix = "one2one_" if end2end else ""
        if m.get(f"{prefix}cv2") is None:
            raise ValueError(f"{path}: the head has no '{prefix}cv2' branch (neither one-to-many nor one-to-one)")
        if not isinstance(feats, list):
            feats = [feats]
        self.head_inputs = list(feats)
        g = self.g
        nl = int(m.get("nl", len(feats)))
        nc = int(m.child("nc"))
        reg_max = int(m.get("reg_max", 16))
        if nl != len(feats):
            raise ValueError(f"{path}: head expects {nl} feature maps, got {len(feats)}")
        st = self.model_stride if self.model_stride is not None else m.child("stride")
        strides = [float(s) for s in np.asarray(st, dtype=np.float32).ravel()]
        if len(strides) != nl or not all(s > 0 for s in strides):
            raise ValueError(f"{path}: bad strides {short_repr(strides)} in the checkpoint")

        boxes = self._level_outputs(m.child(f"{prefix}cv2"), feats, 4 * reg_max, f"{path}.{prefix}cv2")
        scores = self._level_outputs(m.child(f"{prefix}cv3"), feats, nc, f"{path}.{prefix}cv3")
        if reg_max > 1:
            dfl = m.child("dfl")
            w = dfl.child("conv").child("weight") if _name(dfl) == "DFL" else np.arange(reg_max, dtype=np.float32)
            b4 = g.op("Reshape", [boxes, g.const([0, 4, reg_max, -1], np.int64)], hint=f"{path}.dfl")
            sm = g.op("Softmax", [g.op("Transpose", [b4], hint=f"{path}.dfl", perm=[0, 2, 1, 3])], axis=1)
            wname = g.init(f"{path}.dfl.conv.weight", np.asarray(w, np.float32).reshape(1, reg_max, 1, 1))
            d = g.op("Conv", [sm, wname], hint=f"{path}.dfl", kernel_shape=[1, 1])
            dist = g.op("Reshape", [d, g.const([0, 4, -1], np.int64)], hint=f"{path}.dfl")
        else:
            dist = boxes
        anchors, stride_t = self._anchors(feats, strides, path)
        lt, rb = self.split(dist, [2, 2], 1, f"{path}.dist2bbox")
        x1y1 = g.op("Sub", [anchors, lt], hint=path)
        x2y2 = g.op("Add", [anchors, rb], hint=path)
        if end2end or m.get("xyxy", False):  # dist2bbox(xywh=not end2end and not xyxy)
            dbox = g.op("Mul", [self.concat([x1y1, x2y2], 1, path), stride_t], hint=path)
        else:
            cxy = g.op("Div", [g.op("Add", [x1y1, x2y2], hint=path), g.const(np.float32(2.0))], hint=path)
            wh = g.op("Sub", [x2y2, x1y1], hint=path)
            dbox = g.op("Mul", [self.concat([cxy, wh], 1, path), stride_t], hint=path)
        parts = [dbox, g.op("Sigmoid", [scores], hint=path)]
        proto = None
        if name in _SEGMENT_HEADS:
            nm = int(m.child("nm"))
            parts.append(self._level_outputs(m.child(f"{prefix}cv4"), feats, nm, f"{path}.{prefix}cv4"))
            proto_in = feats if name == "Segment26" else feats[0]
            proto = self.module(m.child("proto"), proto_in, f"{path}.proto")
        out = self.concat(parts, 1, f"{path}.out")
        if end2end:
            nm = int(m.child("nm")) if name in _SEGMENT_HEADS else 0
            out = self._topk(out, nc, nm, f"{path}.topk")
        return out, proto

    def _topk(self, preds: str, nc: int, nm: int, path: str) -> str:
        """Detect.postprocess as exported: the top ``min(max_det, anchors)`` anchors by best class score, then the
        top (anchor, class) pairs among them; rows ``[x1, y1, x2, y2, score, class, extra...]`` ``[B, k, 6 + nm]``.

        The selection is Ultralytics' ops one for one (ReduceMax, TopK, GatherElements, Flatten, TopK, Mod, Div), so
        ties resolve as in its export. ``k`` is computed in the graph from the anchor count, so any input size runs
        (the original bakes ``k`` for its export size).
        """
        g = self.g
        y = g.op("Transpose", [preds], hint=path, perm=[0, 2, 1])  # [B, A, 4 + nc + extra]
        boxes = g.op("Slice", [y, g.const([0], np.int64), g.const([4], np.int64), g.const([-1], np.int64)], hint=path)
        scores = g.op(
            "Slice", [y, g.const([4], np.int64), g.const([4 + nc], np.int64), g.const([-1], np.int64)], hint=path
        )
        n_anchors = g.op("Shape", [y], hint=path, start=1, end=2)  # [1]
        k = g.op("Min", [g.const([int(self.max_det)], np.int64), n_anchors], hint=path)

        def gather_rows(x: str, index: str) -> str:  # x [B, A, C], index [B, k] -> [B, k, C]
            # the expand shape is read from x, as the original's (its outputs' declared dims stay symbolic there too)
            width = g.op("Shape", [x], hint=path, start=2, end=3)
            idx = g.op("Unsqueeze", [index, g.const([2], np.int64)], hint=path)
            idx = g.op("Expand", [idx, self.concat([g.const([1, 1], np.int64), width], 0, path)], hint=path)
            return g.op("GatherElements", [x, idx], hint=path, axis=1)

        if self.agnostic_nms:
            best = self.reduce_max(scores, path)
            labels = g.op("ArgMax", [scores], hint=path, axis=-1, keepdims=0)
            top, index = g.op("TopK", [best, k], hint=path, n_out=2, axis=1, largest=1, sorted=1)
            labels = g.op("Cast", [g.op("GatherElements", [labels, index], hint=path, axis=1)], to=TensorProto.FLOAT)
        else:
            best = self.reduce_max(scores, path)
            _, ori_index = g.op("TopK", [best, k], hint=path, n_out=2, axis=1, largest=1, sorted=1)
            cand = g.op("Flatten", [gather_rows(scores, ori_index)], hint=path, axis=1)
            top, flat_index = g.op("TopK", [cand, k], hint=path, n_out=2, axis=1, largest=1, sorted=1)
            ncc = g.const([nc], np.int64)
            labels = g.op("Cast", [g.op("Mod", [flat_index, ncc], hint=path)], hint=path, to=TensorProto.FLOAT)
            index = g.op("GatherElements", [ori_index, g.op("Div", [flat_index, ncc], hint=path)], hint=path, axis=1)
        unsq = g.const([2], np.int64)
        parts = [
            gather_rows(boxes, index),
            g.op("Unsqueeze", [top, unsq], hint=path),
            g.op("Unsqueeze", [labels, unsq], hint=path),
        ]
        if nm:
            start, end = g.const([4 + nc], np.int64), g.const([4 + nc + nm], np.int64)
            extra = g.op("Slice", [y, start, end, g.const([-1], np.int64)], hint=path)
            parts.append(gather_rows(extra, index))
        return self.concat(parts, -1, path)

    def reduce_max(self, x: str, path: str) -> str:
        """max over the last axis, without keeping it (ReduceMax's axes moved from attribute to input in opset 18)."""
        if self.opset >= 18:
            return self.g.op("ReduceMax", [x, self.g.const([-1], np.int64)], hint=path, keepdims=0)
        return self.g.op("ReduceMax", [x], hint=path, axes=[-1], keepdims=0)

    m_Segment = m_Segment26 = m_v10Detect = m_Detect

    opset: int = OPSET
    max_det: int = 300
    agnostic_nms: bool = False
    nms: bool | None = None  # the head choice (head_end2end)

    model_stride: np.ndarray | None = None
    head_inputs: list[str] | None = None

    # ------------------------------------------------------------------ model
    def model(self, model: StandIn) -> tuple[str, str | None, int, int]:
        seq = model.child("model")
        layers = seq.children()
        if not layers:
            raise ValueError("checkpoint model has no layers")
        x: Any = "images"
        y: list[Any] = []
        for idx, layer in enumerate(layers):
            f = layer.get("f", -1)
            if f != -1:
                x = y[f] if isinstance(f, int) else [x if j == -1 else y[j] for j in f]
                if (isinstance(x, list) and any(v is None for v in x)) or x is None:
                    raise ValueError(f"model.{idx}: input from a layer whose output was not saved")
            x = self.module(layer, x, f"model.{idx}")
            y.append(x)
        head = layers[-1]
        if not (isinstance(x, tuple) and head.cls_name in _HEADS):
            raise NotImplementedError(
                f"unsupported model: its last module is '{_qual(head)}', not a Detect/Segment head"
            )
        out0, out1 = x
        nm = int(head.child("nm")) if out1 is not None else 0
        no = (6 if head_end2end(head, self.nms) else 4 + int(head.child("nc"))) + nm
        return out0, out1, no, nm


def _pretty_name(model: StandIn, source: Path | None) -> str:
    yaml = model.get("yaml") or {}
    stem = Path(str(yaml.get("yaml_file") or (source.name if source else "model"))).stem
    return stem.replace("yolo", "YOLO")


def _checkpoint_model(ckpt: dict[str, Any]) -> Any:
    """The model module of a checkpoint: its EMA when saved, else ``model``."""
    return ckpt.get("ema") if ckpt.get("ema") is not None else ckpt.get("model")


def checkpoint_stride(ckpt: dict[str, Any]) -> int:
    """The model's largest stride (32 for YOLOv8/YOLO11), as the ``stride`` metadata of an export."""
    model = _checkpoint_model(ckpt)
    stride = model.get("stride") if isinstance(model, StandIn) else None
    return int(max(np.asarray(stride, dtype=np.float32).ravel())) if stride is not None else 32


def checkpoint_imgsz(ckpt: dict[str, Any]) -> list[int]:
    """The image size a checkpoint was trained at (``model.args["imgsz"]``, else ``train_args``, else 640), [h, w]."""
    model = _checkpoint_model(ckpt)
    args_raw = model.get("args") if isinstance(model, StandIn) else None
    train_raw = ckpt.get("train_args")
    args: dict[str, Any] = args_raw if isinstance(args_raw, dict) else {}
    train_args: dict[str, Any] = train_raw if isinstance(train_raw, dict) else {}
    imgsz = args.get("imgsz", train_args.get("imgsz", 640))
    imgsz = [int(imgsz), int(imgsz)] if isinstance(imgsz, (int, float)) else [int(v) for v in list(imgsz)[:2]]
    return imgsz * 2 if len(imgsz) == 1 else imgsz


def checkpoint_layers(ckpt: dict[str, Any]) -> tuple[int, list[int]]:
    """The checkpoint's layer count and its head's input layers, in the order of the built graph's ``feats<i>``
    outputs (a relative ``-1`` made absolute): what ``model.embed`` can pool (engine/model.py)."""
    layers = _checkpoint_model(ckpt).child("model").children()
    f = layers[-1].get("f", -1)
    f = list(f) if isinstance(f, (list, tuple)) else [f]
    return len(layers), [len(layers) - 2 if int(v) == -1 else int(v) for v in f]


def checkpoint_overrides(ckpt: dict[str, Any]) -> dict[str, Any]:
    """What a checkpoint keeps of its training arguments as ``YOLO.overrides``: utils/args.py ``CKPT_OVERRIDES``'s keys
    from its ``train_args``, that table's defaults where they lack one (8.4.190 reads ``train_args`` over its default
    settings, then keeps these keys)."""
    train_raw = ckpt.get("train_args")
    train: dict[str, Any] = train_raw if isinstance(train_raw, dict) else {}
    return {k: train.get(k, v) for k, v in CKPT_OVERRIDES.items()}


def _metadata(
    ckpt: dict[str, Any],
    model: StandIn,
    task: str,
    head: StandIn,
    source: Path | None,
    imgsz: Sequence[int] | None = None,
    batch: int = 1,
    export_args: dict[str, Any] | None = None,
    nms: bool | None = None,
) -> dict[str, str]:
    args_raw = model.get("args")
    args: dict[str, Any] = args_raw if isinstance(args_raw, dict) else {}
    imgsz = [int(v) for v in imgsz] if imgsz is not None else checkpoint_imgsz(ckpt)
    data = args.get("data")
    description = f"Ultralytics {_pretty_name(model, source)} model {f'trained on {data}' if data else ''}"
    names = model.get("names")
    if isinstance(names, (list, tuple)):
        names = dict(enumerate(names))
    if not isinstance(names, dict):
        names = {i: f"class{i}" for i in range(int(head.child("nc")))}
    stride_v = checkpoint_stride(ckpt)
    yaml = model.get("yaml") or {}
    if export_args is None:  # the cached graph: what a dynamic Ultralytics export writes
        export_args = {
            "data": None,
            "batch": 1,
            "fraction": 1.0,
            "quantize": None,
            "nms": None,
            "dynamic": True,
            "simplify": True,
            "opset": OPSET,
        }
    meta = {
        "description": description,
        "author": "Ultralytics",
        "date": datetime.datetime.now().astimezone().isoformat(),
        "version": str(ckpt.get("version") or "8.4.190"),
        "license": "AGPL-3.0 License (https://ultralytics.com/license)",
        "docs": "https://docs.ultralytics.com",
        "stride": stride_v,
        "task": task,
        "head": head.cls_name,
        "batch": int(batch),
        "imgsz": imgsz,
        "names": names,
        "args": export_args,
        "channels": yaml.get("channels", 3) if isinstance(yaml, dict) else 3,
        "end2end": head_end2end(head, nms),
    }
    return {k: str(v) for k, v in meta.items()}


def build_onnx(
    ckpt: dict[str, Any],
    source: str | Path | None = None,
    *,
    opset: int = OPSET,
    imgsz: Sequence[int] | None = None,
    batch: int = 1,
    export_args: dict[str, Any] | None = None,
    feature_outputs: bool = False,
    max_det: int = 300,
    agnostic_nms: bool = False,
    nms: bool | None = None,
) -> onnx.ModelProto:
    """Build the ONNX model (dynamic batch/height/width) for a checkpoint from :func:`load_checkpoint`.

    ``opset`` (:data:`MIN_OPSET` .. :func:`max_opset`) is the opset the graph declares (the IR version follows it).
    ``imgsz`` ([h, w]; default the checkpoint's training size), ``batch`` and ``export_args`` go into the metadata
    (``imgsz``, ``batch``, ``args``) as an Ultralytics export writes them; the graph itself does not depend on them.
    ``feature_outputs`` adds the detection head's input feature maps as outputs ``feats0``, ``feats1``, ... (the
    graph ``.pt`` files are run with; an export leaves them out, as the original's does). ``nms`` picks the head as
    8.4.190 does (:func:`head_end2end`: the one-to-one top-k only with ``nms=False`` or when fusion left no other);
    the graph's ``end2end`` metadata says which was built. ``max_det`` / ``agnostic_nms``: the top-k of a one-to-one
    head.

    A checkpoint read from an untrusted file ends in a clear error: ``ValueError`` (content that is not a valid
    model; pickled values in messages are shown bounded) or ``NotImplementedError`` (an unsupported architecture).
    """
    where = f"{source}: " if source is not None else ""
    try:
        return _build_onnx(ckpt, source, opset, imgsz, batch, export_args, feature_outputs, max_det, agnostic_nms, nms)
    except (NotImplementedError, ValueError):
        raise
    except (RecursionError, MemoryError) as e:
        raise ValueError(f"{where}checkpoint refused: {type(e).__name__} while building its graph") from e
    except (AttributeError, KeyError, TypeError, IndexError, OverflowError, ZeroDivisionError) as e:
        raise ValueError(f"{where}unexpected checkpoint content: {type(e).__name__}: {short_repr(str(e), 200)}") from e
    except onnx.checker.ValidationError as e:
        raise ValueError(f"{where}the graph built from the checkpoint is invalid: {short_repr(str(e), 200)}") from e


def _build_onnx(
    ckpt: dict[str, Any],
    source: str | Path | None,
    opset: int,
    imgsz: Sequence[int] | None,
    batch: int,
    export_args: dict[str, Any] | None,
    feature_outputs: bool = False,
    max_det: int = 300,
    agnostic_nms: bool = False,
    nms: bool | None = None,
) -> onnx.ModelProto:
    if not MIN_OPSET <= int(opset) <= max_opset():
        raise ValueError(f"opset={opset} is not supported: the graph needs opset {MIN_OPSET} to {max_opset()}")
    source = Path(source) if source is not None else None
    where = f"{source}: " if source else ""
    model = _checkpoint_model(ckpt)
    if model is None:
        model = ckpt.get("model")
    if not isinstance(model, StandIn):
        raise ValueError(
            f"{where}not an Ultralytics checkpoint: no 'model' module in it (keys: {short_repr(list(ckpt)[:8])})"
        )
    cls = model.cls_name
    task = _SUPPORTED_TASKS.get(cls)
    if task is None:
        raise NotImplementedError(
            f"{where}unsupported model '{model.qualname()}' (task {short_repr(model.get('task'))}): only detect "
            "and segment models (DetectionModel, SegmentationModel) can be converted from .pt"
        )
    if model.get("task") not in (None, task):
        raise NotImplementedError(f"{where}unsupported task {short_repr(model.get('task'))}")
    b = _Builder()
    b.opset, b.max_det, b.agnostic_nms, b.nms = int(opset), int(max_det), bool(agnostic_nms), nms
    stride = model.get("stride")
    b.model_stride = np.asarray(stride, dtype=np.float32).ravel() if stride is not None else None
    channels = (model.get("yaml") or {}).get("channels", 3)
    try:
        out0, out1, no, nm = b.model(model)
    except NotImplementedError as e:
        raise NotImplementedError(f"{where}{e}") from None
    except (AttributeError, KeyError, TypeError, IndexError) as e:
        raise ValueError(f"{where}unexpected checkpoint content: {short_repr(str(e), 200)}") from e
    head = model.child("model").children()[-1]

    g = b.g
    g.nodes.append(helper.make_node("Identity", [out0], ["output0"], name="output0"))
    # end-to-end: (batch, k, 6 + nm) rows, named as the original's export names them
    dims0 = ["batch", "Concatoutput0_dim_1", "anchors"] if head_end2end(head, nms) else ["batch", no, "anchors"]
    outputs = [helper.make_tensor_value_info("output0", TensorProto.FLOAT, dims0)]
    if out1 is not None:
        g.nodes.append(helper.make_node("Identity", [out1], ["output1"], name="output1"))
        outputs.append(
            helper.make_tensor_value_info("output1", TensorProto.FLOAT, ["batch", nm, "mask_height", "mask_width"])
        )
    if feature_outputs:
        for i, f in enumerate(b.head_inputs or []):
            name = f"{FEATURE_OUTPUT_PREFIX}{i}"
            g.nodes.append(helper.make_node("Identity", [f], [name], name=name))
            outputs.append(
                helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", None, f"{name}_h", f"{name}_w"])
            )
    inputs = [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", int(channels), "height", "width"])]
    graph = helper.make_graph(g.nodes, "main_graph", inputs, outputs, initializer=g.inits)
    opset_id = helper.make_opsetid("", int(opset))
    m = helper.make_model(graph, opset_imports=[opset_id], producer_name="numa_ultralytics")
    m.ir_version = IR_VERSION if opset == OPSET else max(IR_VERSION, helper.find_min_ir_version_for([opset_id]))
    for k, v in _metadata(ckpt, model, task, head, source, imgsz, batch, export_args, nms).items():
        p = m.metadata_props.add()
        p.key, p.value = k, v
    onnx.checker.check_model(m)
    return m
