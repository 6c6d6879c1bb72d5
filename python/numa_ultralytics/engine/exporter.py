"""``model.export``: an Ultralytics ``.pt`` checkpoint -> an ONNX file, without torch.

    YOLO("yolo11n-seg.pt").export(format="onnx")                  # -> "yolo11n-seg.onnx" beside the .pt
    YOLO("w/yolo11n-seg.pt").export(imgsz=[384, 640], dynamic=True, batch=4)

The graph is built by :mod:`numa_ultralytics.nn.onnx_builder` from the checkpoint read by
:mod:`numa_ultralytics.nn.checkpoint` (the same path as loading a ``.pt``, :mod:`numa_ultralytics.nn.pt_loader`);
this module owns the export arguments' checks (:func:`check_export_args`; their defaults are utils/args.py's
:data:`EXPORT_DEFAULTS`),
where the file goes (:func:`export_path`), the static input shape, and the metadata an Ultralytics 8.4.190 ONNX export
carries (``imgsz`` = the export size, ``batch``, ``args`` = its format arguments).

Arguments, as Ultralytics (defaults in :data:`EXPORT_DEFAULTS`):

- ``format``: ``"onnx"``, or ``"openvino"``: Ultralytics' OpenVINO model folder ``<stem>_openvino_model/``
  (``<stem>_int8_openvino_model/`` with ``int8=True``) holding ``<stem>.xml``, ``<stem>.bin`` and ``metadata.yaml``
  (nn/openvino_ir.py; the ``[openvino]`` extra). There ``half=True`` stores the weights as fp16 (as the original,
  ``quantize=16`` in the metadata) and ``int8=True`` quantizes with NNCF on the OpenVINO model, the head kept float
  (nn/quantize.py ``quantize_openvino``): int8 that is fast where the CPU has VNNI / AMX (bench/RESULTS.md).
  ``YOLO(folder)`` runs it on OpenVINO. Anything else is an :class:`~numa_ultralytics.utils.args.ArgError`
  (``ValueError``) naming the supported ones.
- ``imgsz``: int or ``[h, w]``; default the checkpoint's training size (640 for the COCO models), rounded up to a
  multiple of the model stride (with a warning) as Ultralytics' ``check_imgsz``.
- ``dynamic``: False (default) fixes the input to ``[batch, 3, h, w]`` and the outputs to their sizes; True makes
  batch, height and width dynamic (``imgsz`` then only goes into the metadata and the dry run).
- ``batch``: the static batch size (default 1).
- ``opset``: None (default) writes opset :data:`DEFAULT_OPSET` (18, what Ultralytics 8.4.190 writes);
  :data:`~numa_ultralytics.nn.onnx_builder.MIN_OPSET` (15) up to the newest the installed ``onnx`` knows, and the
  exported graph must load in the installed onnxruntime (checked by a dry run).
- ``half``: True writes the fp16 graph (nn/fp16.py ``convert_to_fp16``: fp16 weights and activations, float32
  input and outputs, so it loads and runs like the fp32 export), on any ``device``: the conversion needs no GPU.
  Ultralytics exports fp16 only with a CUDA ``device`` (on the CPU it warns and writes fp32), and its fp16 graph
  takes and returns float16 tensors; this package's loader runs either.
- ``int8=True`` (or ``quantize=8`` / ``"int8"``, the original's newer spelling): static post-training int8
  quantization (QDQ) calibrated on ``data``'s val images (``fraction`` of them; without ``data``, Ultralytics' task
  dataset ``coco8-seg.yaml`` / ``coco8.yaml`` with a warning), written as ``<stem>_int8.onnx`` (the original's name;
  the intermediate fp32 file is removed), metadata kept, ``args`` recording ``quantize=8``: nn/quantize.py. With
  ``half=True`` too, ``half`` is turned off with a warning, as the original does.
- ``simplify``, ``device``, ``verbose``, ``data``, ``fraction``: accepted (the graph is already simple; the export
  runs on the CPU); ``simplify``/``data``/``fraction`` are recorded in the ``args`` metadata as Ultralytics does.
- ``max_det`` (300) / ``agnostic_nms`` (False): end-to-end (NMS-free) models only, e.g. YOLO26: the graph keeps the
  top ``min(max_det, anchors)`` detections, one class per anchor with ``agnostic_nms``, as Ultralytics bakes them.
- ``nms``: the head, as 8.4.190 picks it (nn/onnx_builder.py ``head_end2end``): None (default) the one-to-many head
  where the checkpoint has one (NMS runs after the model; metadata ``end2end=False``), False the one-to-one
  (NMS-free) head where it has one (``end2end=True``); the released YOLO26 ``.pt`` has only the one-to-one head
  (8.4.190's warning). ``nms=True`` on a one-to-one head: exported as ``nms=None`` with 8.4.190's warning; on a
  one-to-many head (NMS inside the graph) ``NotImplementedError``.
- ``quantize`` other than 8 / 32: ``NotImplementedError``.
"""

from __future__ import annotations

import ast
import logging
import math
import os
import time
from pathlib import Path
from typing import Any

from numa_ultralytics.utils.args import (
    EXPORT_DEFAULTS,
    MAX_BATCH,
    ArgError,
    check_bool,
    check_imgsz,
    check_optional_bool,
    check_positive_int,
    check_quantize,
    handle_deprecation,
)
from numa_ultralytics.utils.signals import stop_on_signals

__all__ = [
    "DEFAULT_OPSET",
    "EXPORT_DEFAULTS",
    "EXPORT_FORMATS",
    "check_export_args",
    "export",
    "export_path",
]

LOGGER = logging.getLogger("numa_ultralytics")

#: Formats this package writes (Ultralytics' ``format=`` names and file suffixes).
EXPORT_FORMATS: dict[str, str] = {"onnx": ".onnx", "openvino": "_openvino_model"}
#: ``opset=None``: the opset Ultralytics 8.4.190 writes (the shared reference exports are opset 18).
DEFAULT_OPSET = 18
#: The ``args`` metadata of an Ultralytics 8.4.190 ONNX export: these keys, in this order.
_META_ARG_KEYS = ("data", "batch", "fraction", "quantize", "nms", "dynamic", "simplify", "opset")


def _check_imgsz(v: Any) -> list[int] | None:
    """None (the checkpoint's size) or predict's imgsz (utils/args.py ``check_imgsz``) as [h, w]."""
    if v is None:
        return None
    v = check_imgsz("imgsz", v)
    return [v, v] if isinstance(v, int) else [v[0], v[-1]]


def check_export_args(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``model.export(**kwargs)`` -> every export argument with its value (defaults filled in, values checked).

    Deprecated keys (``half`` / ``int8`` -> ``quantize``, ``end2end`` -> ``nms``, ...) are mapped first
    (utils/args.py :func:`~numa_ultralytics.utils.args.handle_deprecation`).

    Raises:
        TypeError: an unknown key.
        ArgError: a bad value (a ``ValueError`` naming the key and what it allows), ``format`` included.
        NotImplementedError: ``quantize`` other than 8 (int8) / 32 (fp32).
    """
    args = dict(EXPORT_DEFAULTS)
    for k, v in handle_deprecation(kwargs).items():
        if k not in EXPORT_DEFAULTS:
            raise TypeError(
                f"'{k}' is not a valid export argument; valid arguments are: {', '.join(sorted(EXPORT_DEFAULTS))}"
            )
        args[k] = v
    fmt = args["format"]
    fmt = fmt.strip().lower().lstrip(".") if isinstance(fmt, str) else fmt
    if fmt not in EXPORT_FORMATS:
        raise ArgError("format", args["format"], "'onnx' or 'openvino' (the formats numa_ultralytics exports)")
    args["format"] = fmt
    args["imgsz"] = _check_imgsz(args["imgsz"])
    args["batch"] = check_positive_int("batch", args["batch"], MAX_BATCH)
    args["max_det"] = check_positive_int("max_det", args["max_det"])
    for k in ("dynamic", "half", "simplify", "agnostic_nms"):
        check_bool(k, args[k])
    opset = args["opset"]
    if opset is not None and (not isinstance(opset, int) or isinstance(opset, bool)):
        raise ArgError("opset", opset, "None (the default) or an integer like 18")
    args["nms"] = check_optional_bool("nms", args["nms"])
    check_bool("int8", args["int8"])
    q = check_quantize("quantize", args["quantize"])  # an explicit quantize wins over half / int8 (8.4.190)
    if q == 8:
        args["int8"], args["half"] = True, False
    elif q == 16:
        args["int8"], args["half"] = False, True
    elif q == 32:
        args["int8"], args["half"] = False, False
    elif q is not None:
        raise NotImplementedError(f"quantize={q!r} is not supported: the export is fp32, fp16 (16) or int8 (8)")
    args["quantize"] = 8 if args["int8"] else None
    # half=True with int8=True is quantize=8 (handle_deprecation: int8 wins, as 8.4.190): never an fp16 graph feeding
    # int8 QDQ nodes
    if not isinstance(args["fraction"], (int, float)) or isinstance(args["fraction"], bool):
        raise ArgError("fraction", args["fraction"], "a number in (0, 1]")
    if not 0.0 < float(args["fraction"]) <= 1.0:
        raise ArgError("fraction", args["fraction"], "a number in (0, 1]")
    return args


def export_path(model: str | os.PathLike, ckpt: str | os.PathLike, fmt: str = "onnx") -> Path:
    """Where the export of checkpoint ``ckpt`` (loaded as ``model``) goes: ``<stem><suffix>`` beside the checkpoint.

    A bare name (``YOLO("yolo11n-seg.pt")``) found in ``$NUMA_ULTRALYTICS_WEIGHTS_DIR`` or the cache, or a URL, is
    exported into the current folder instead, where Ultralytics downloads (and so exports) them: the weights folder
    and the cache, often shared, never get a file written into them.
    """
    from numa_ultralytics.utils.downloads import is_bare_name, is_url

    ckpt = Path(ckpt)
    name = ckpt.stem + EXPORT_FORMATS[fmt]
    if (is_bare_name(model) or is_url(model)) and ckpt.parent.resolve() != Path.cwd().resolve():
        return Path(name)
    return ckpt.with_name(name)


def _fit_imgsz(imgsz: list[int], stride: int) -> list[int]:
    """Ultralytics' ``check_imgsz``: each side rounded up to a multiple of the stride (warns when it changes)."""
    out = [max(math.ceil(x / stride) * stride, stride) for x in imgsz]
    if out != imgsz:
        LOGGER.warning(f"WARNING imgsz={imgsz} must be a multiple of max stride {stride}, updating to {out}")
    return out


def _dry_run(data: bytes, shape: list[int], opset: int) -> list[list[int]]:
    """Run the serialized graph once on zeros of ``shape`` (CPU); returns the output shapes."""
    import numpy as np
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    try:
        sess = ort.InferenceSession(data, sess_options=opts, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own exception types
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ArgError("opset", opset, f"an opset onnxruntime {ort.__version__} runs (loading failed: {first})") from e
    outs = sess.run(None, {sess.get_inputs()[0].name: np.zeros(shape, np.float32)})
    return [list(o.shape) for o in outs]


def _export_int8(
    model: Any, target: Path, args: dict[str, Any], imgsz: list[int], batch: int, stride: int, task: str
) -> None:
    """``int8=True``: the fp32 graph ``model`` quantized into ``target`` (nn/quantize.py), through a temporary fp32 file
    beside it that is removed afterwards."""
    import tempfile

    from numa_ultralytics.nn.quantize import TASK2DATA, calibration_files, quantize_int8

    data = args["data"]
    if not data:
        data = TASK2DATA[task]
        LOGGER.warning(f"WARNING INT8 export requires a 'data' arg for calibration, using default 'data={data}'")
    files = calibration_files(data, float(args["fraction"]))
    if not args["dynamic"] and len(files) < batch:  # a static batch needs full batches of calibration images
        raise ValueError(
            f"int8 calibration of a static batch={batch} export needs at least {batch} images; data={data!r} "
            f"(fraction={args['fraction']}) has {len(files)}: use more images, a smaller batch or dynamic=True"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".fp32.onnx", dir=target.parent)
    os.close(fd)
    fd, qtmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".int8.onnx", dir=target.parent)
    os.close(fd)
    # SIGINT/SIGTERM raise at once here (utils/signals.py, interrupt=True): the finally below removes the temporaries
    try:
        Path(tmp).write_bytes(model.SerializeToString())
        quantize_int8(tmp, qtmp, files, imgsz, batch, stride)
        os.chmod(qtmp, 0o644)
        os.replace(qtmp, target)
    except OSError as e:
        raise OSError(f"cannot write the int8 export to {target}: {e}") from e
    finally:
        for f in (tmp, qtmp):
            Path(f).unlink(missing_ok=True)


def _export_openvino(
    model: Any,
    ckpt: Path,
    file: str | os.PathLike | None,
    loaded_as: str | os.PathLike | None,
    args: dict[str, Any],
    imgsz: list[int],
    batch: int,
    stride: int,
    out_shapes: list[list[int]],
    t0: float,
) -> Path:
    """``format="openvino"``: the fp32 graph ``model`` as an OpenVINO model folder (nn/openvino_ir.py), int8 through
    NNCF with ``int8=True`` (nn/quantize.py ``quantize_openvino``), fp16 weights with ``half=True``."""
    from numa_ultralytics.nn.openvino_ir import META_ARG_KEYS, export_openvino

    if file is not None:
        folder = Path(file)
    else:
        folder = export_path(loaded_as if loaded_as is not None else ckpt, ckpt, "openvino")
        if args["int8"]:  # the original's name for its int8 OpenVINO model
            folder = folder.with_name(folder.name.replace("_openvino_model", "_int8_openvino_model"))
    files = None
    if args["int8"]:
        from numa_ultralytics.nn.quantize import TASK2DATA, calibration_files, require_nncf

        require_nncf()  # before any work: the missing extra named at once

        data = args["data"]
        if not data:
            data = TASK2DATA["segment" if len(out_shapes) >= 2 else "detect"]
            LOGGER.warning(f"WARNING INT8 export requires a 'data' arg for calibration, using default 'data={data}'")
        files = calibration_files(data, float(args["fraction"]))
    meta_args = {k: args[k] for k in META_ARG_KEYS}
    meta_args["quantize"] = 8 if args["int8"] else 16 if args["half"] else None  # 8.4.190: half=True is quantize=16
    try:
        export_openvino(
            model,
            folder,
            half=args["half"],
            int8_files=files,
            imgsz=imgsz,
            batch=batch,
            stride=stride,
            export_args=meta_args,
        )
    except OSError as e:
        raise OSError(f"cannot write the OpenVINO export of {ckpt} to {folder}: {e}") from e
    size_mb = sum(f.stat().st_size for f in folder.iterdir() if f.is_file()) / 1e6
    LOGGER.info(
        f"OpenVINO: export success {time.perf_counter() - t0:.1f}s, saved as '{folder}' ({size_mb:.1f} MB)"
        + (", int8 (NNCF)" if args["int8"] else ", fp16 weights" if args["half"] else "")
    )
    return folder


def _check_head(model: Any, nms: bool | None) -> bool | None:
    """The head exported for ``nms`` (nn/onnx_builder.py ``head_end2end``, the graph's ``end2end`` metadata), with
    8.4.190's warnings: the head's when it is not the one ``nms`` asks for (``head_warning``), and for ``nms=True`` on
    a one-to-one head "Forcing 'nms=None'" (the ``args`` metadata then says None). ``nms=True`` on a one-to-many head
    (NMS inside the graph) raises ``NotImplementedError``. Returns the ``nms`` exported."""
    from numa_ultralytics.nn.onnx_builder import head_warning

    meta = {p.key: p for p in model.metadata_props}
    end2end = meta["end2end"].value == "True"
    warning = head_warning(nms, end2end)
    if warning:
        LOGGER.warning(f"WARNING {warning}")
    if nms and not end2end:
        raise NotImplementedError(
            "nms=True (NMS inside the graph) is not supported: export with nms=None (the one-to-many head; NMS runs "
            "after the model) or nms=False (the NMS-free one-to-one head, where the model has one)"
        )
    if nms:
        LOGGER.warning("WARNING 'nms=True' is not available for end2end models or non-YOLO heads. Forcing 'nms=None'.")
        args = ast.literal_eval(meta["args"].value)
        args["nms"] = None
        meta["args"].value = str(args)
        return None
    return nms


def export(
    ckpt: str | os.PathLike,
    file: str | os.PathLike | None = None,
    *,
    loaded_as: str | os.PathLike | None = None,
    **kwargs: Any,
) -> Path:
    """Export the Ultralytics checkpoint ``ckpt`` (``.pt``) to ``file``; returns the written path.

    ``file`` defaults to :func:`export_path` (``<stem>.onnx`` beside the checkpoint; in the current folder for a bare
    name, ``loaded_as``, resolved from the weights folders or the cache). ``kwargs``: the export arguments (module
    docstring, :data:`EXPORT_DEFAULTS`).

    Raises:
        TypeError: ``ckpt`` is not a ``.pt`` checkpoint (an ONNX model has no source weights to export from), or an
            unknown argument.
        ValueError: a bad argument value (:class:`~numa_ultralytics.utils.args.ArgError`), an unreadable
            checkpoint, an opset the installed onnx/onnxruntime cannot write/run.
        NotImplementedError: an unsupported architecture or feature (``nms``, ``quantize`` other than 8 / 32).
        FileNotFoundError: no such checkpoint.
    """
    import onnx

    from numa_ultralytics.nn.onnx_builder import MIN_OPSET, build_onnx, checkpoint_imgsz, checkpoint_stride, max_opset
    from numa_ultralytics.nn.pt_loader import load_checkpoint, write_atomic

    ckpt = Path(ckpt)
    if ckpt.suffix.lower() != ".pt":
        raise TypeError(
            f"model='{ckpt}' is not a *.pt checkpoint: export needs the checkpoint's weights, and an exported model "
            f"({ckpt.suffix or 'no suffix'}) has none to export from; load the .pt, or use this file as it is"
        )
    args = check_export_args(kwargs)
    if not ckpt.is_file():
        raise FileNotFoundError(f"checkpoint not found: {ckpt}")
    t0 = time.perf_counter()
    opset = DEFAULT_OPSET if args["opset"] is None else args["opset"]
    if not MIN_OPSET <= opset <= max_opset():
        raise ArgError("opset", opset, f"None or an integer from {MIN_OPSET} to {max_opset()}")
    data_ckpt = load_checkpoint(ckpt)
    stride = checkpoint_stride(data_ckpt)
    imgsz = _fit_imgsz(args["imgsz"] or checkpoint_imgsz(data_ckpt), stride)
    batch, dynamic = args["batch"], args["dynamic"]
    meta_args = {k: args[k] for k in _META_ARG_KEYS}
    model = build_onnx(
        data_ckpt,
        source=ckpt,
        opset=opset,
        imgsz=imgsz,
        batch=batch,
        export_args=meta_args,
        max_det=args["max_det"],
        agnostic_nms=args["agnostic_nms"],
        nms=args["nms"],
    )
    args["nms"] = _check_head(model, args["nms"])

    channels = model.graph.input[0].type.tensor_type.shape.dim[1].dim_value or 3
    shape = [batch, channels, *imgsz]
    out_shapes = _dry_run(model.SerializeToString(), shape, opset)
    if not dynamic:  # fix every input/output dimension to the export size
        for dim, n in zip(model.graph.input[0].type.tensor_type.shape.dim, shape):
            dim.Clear()
            dim.dim_value = int(n)
        for out, oshape in zip(model.graph.output, out_shapes):
            for dim, n in zip(out.type.tensor_type.shape.dim, oshape):
                dim.Clear()
                dim.dim_value = int(n)
        onnx.checker.check_model(model)
    if args["format"] == "openvino":
        return _export_openvino(model, ckpt, file, loaded_as, args, imgsz, batch, stride, out_shapes, t0)
    if args["half"]:  # fp16 weights and activations, float32 input / outputs (nn/fp16.py)
        from numa_ultralytics.nn.fp16 import convert_to_fp16

        model = convert_to_fp16(model)
        onnx.checker.check_model(model)
        _dry_run(model.SerializeToString(), shape, opset)

    if file is not None:
        target = Path(file)
    else:
        target = export_path(loaded_as if loaded_as is not None else ckpt, ckpt, args["format"])
        if args["int8"]:  # the original's name for its int8 ONNX
            target = target.with_name(f"{target.stem}_int8{target.suffix}")
    # a stop signal ends the export at once, through the finally blocks that remove the temporary files
    with stop_on_signals(interrupt=True):
        if args["int8"]:
            _export_int8(model, target, args, imgsz, batch, stride, "segment" if len(out_shapes) >= 2 else "detect")
        else:
            try:
                write_atomic(model.SerializeToString(), target)
            except OSError as e:
                raise OSError(f"cannot write the export of {ckpt} to {target}: {e}") from e
    size_mb = target.stat().st_size / 1e6
    LOGGER.info(
        f"ONNX: export success {time.perf_counter() - t0:.1f}s, saved as '{target}' ({size_mb:.1f} MB), "
        f"input {'dynamic ' if dynamic else ''}{tuple(shape)} BCHW, opset {opset}{', fp16' if args['half'] else ''}"
    )
    return target
