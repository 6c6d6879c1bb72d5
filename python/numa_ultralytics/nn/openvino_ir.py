"""OpenVINO IR models: Ultralytics' ``<stem>_openvino_model/`` folders, written and read.

    YOLO("yolo11n-seg.pt").export(format="openvino")                         # yolo11n-seg_openvino_model/
    YOLO("yolo11n-seg.pt").export(format="openvino", int8=True, data="coco8-seg.yaml")  # ..._int8_openvino_model/
    YOLO("yolo11n-seg_int8_openvino_model/")                                 # runs on OpenVINO, no flags

A folder holds ``<stem>.xml`` (the graph), ``<stem>.bin`` (the weights) and ``metadata.yaml`` (Ultralytics' export
metadata: names, stride, imgsz, task, args, ...), as Ultralytics 8.4.190 writes them. This module owns:

- what an IR path is (:func:`ir_file`: a folder holding one ``.xml``, or the ``.xml`` itself) and its precision
  (:func:`ir_precision`: ``int8`` when the graph holds ``FakeQuantize`` nodes, NNCF's quantized form);
- the IR's description (:class:`IRDescription`: inputs, outputs and metadata in the shape of onnxruntime's
  ``get_inputs`` / ``get_outputs`` / ``get_modelmeta``), which nn/precision.py ``OpenVINOSession`` uses for an IR
  instead of an onnxruntime session of the file;
- the export (:func:`export_openvino`): the fp32 ONNX graph converted by OpenVINO, and with ``int8`` quantized by NNCF
  on the OpenVINO model (nn/quantize.py ``quantize_openvino``), saved with ``metadata.yaml``.

Which runtime runs an IR: always OpenVINO on the CPU (nn/precision.py ``plan``).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

__all__ = [
    "METADATA_FILE",
    "OPENVINO_EXTRA",
    "IRDescription",
    "export_openvino",
    "ir_file",
    "ir_precision",
    "is_ir",
    "read_metadata",
]

#: The extra that brings OpenVINO, as the warnings and errors name it (nn/precision.py's too).
OPENVINO_EXTRA = 'pip install "numa_ultralytics[openvino]"'
#: The metadata file beside the ``.xml`` (Ultralytics' name).
METADATA_FILE = "metadata.yaml"
#: The ``args`` keys of an Ultralytics 8.4.190 OpenVINO export's metadata, in its order (its format argument list).
META_ARG_KEYS = ("batch", "data", "dynamic", "quantize", "nms", "fraction")

_FAKE_QUANTIZE = re.compile(rb'type="FakeQuantize"')


def is_ir(path: str | os.PathLike) -> bool:
    """True for an OpenVINO model: a ``.xml`` path or a folder with a ``.xml`` in it (an ``*_openvino_model/``)."""
    p = Path(path).expanduser()
    return p.suffix.lower() == ".xml" or (p.is_dir() and any(p.glob("*.xml")))


def ir_file(path: str | os.PathLike) -> Path:
    """The ``.xml`` of an OpenVINO model folder (the one ``.xml`` in it; ``<folder stem>.xml`` first when there are
    several) or the ``.xml`` path itself. ``IsADirectoryError`` for a folder without one, ``FileNotFoundError`` for a
    missing ``.xml`` or ``.bin``."""
    p = Path(path)
    if p.is_dir():
        xmls = sorted(p.glob("*.xml"))
        if not xmls:
            raise IsADirectoryError(
                f"model path is a directory, not a model file: {p} (an OpenVINO model folder, as "
                "export(format='openvino') writes, holds <stem>.xml, <stem>.bin and metadata.yaml)"
            )
        stem = p.name.replace("_int8_openvino_model", "").replace("_openvino_model", "")
        p = next((x for x in xmls if x.stem == stem), xmls[0])
    if not p.is_file():
        raise FileNotFoundError(f"model file not found: {p}")
    if not p.with_suffix(".bin").is_file():
        raise FileNotFoundError(f"OpenVINO model {p} has no weights file beside it ({p.with_suffix('.bin').name})")
    return p


def ir_precision(xml: str | os.PathLike) -> str:
    """``"int8"`` for a quantized IR (``FakeQuantize`` nodes: NNCF's form), else ``"fp32"`` (weights stored as fp16,
    ``half=True`` exports, are still computed in float32 or bf16)."""
    return "int8" if _FAKE_QUANTIZE.search(Path(xml).read_bytes()) else "fp32"


def read_metadata(xml: str | os.PathLike) -> dict[str, Any]:
    """``metadata.yaml`` beside ``xml`` as a dict ({} when there is none: names default to ``class<i>``)."""
    import yaml

    f = Path(xml).with_name(METADATA_FILE)
    if not f.is_file():
        return {}
    meta = yaml.safe_load(f.read_text(encoding="utf-8"))
    if not isinstance(meta, dict):
        raise ValueError(f"{f}: expected a mapping of metadata keys, got {type(meta).__name__}")
    return meta


class _Port(SimpleNamespace):
    """One input or output as onnxruntime's ``NodeArg``: ``name``, ``shape`` (ints; a string for a dynamic
    dimension), ``type`` (``"tensor(float)"``)."""


_TYPES = {"f32": "tensor(float)", "f16": "tensor(float16)"}


def _port(p: Any) -> _Port:
    shape = [d.get_length() if d.is_static else f"d{i}" for i, d in enumerate(p.get_partial_shape())]
    return _Port(name=p.get_any_name(), shape=shape, type=_TYPES.get(p.get_element_type().get_type_name(), "tensor"))


class IRDescription:
    """An IR's inputs, outputs and metadata behind onnxruntime's ``get_inputs`` / ``get_outputs`` /
    ``get_modelmeta().custom_metadata_map`` (values as text, as an ONNX file's metadata), read from ``model`` (an
    ``openvino.Model``) and ``metadata.yaml``."""

    def __init__(self, model: Any, metadata: dict[str, Any]) -> None:
        self._inputs = [_port(p) for p in model.inputs]
        self._outputs = [_port(p) for p in model.outputs]
        meta = {str(k): v if isinstance(v, str) else repr(v) for k, v in metadata.items()}
        self._meta = SimpleNamespace(custom_metadata_map=meta)

    def get_inputs(self) -> list[_Port]:
        return self._inputs

    def get_outputs(self) -> list[_Port]:
        return self._outputs

    def get_modelmeta(self) -> Any:
        return self._meta


def _require_openvino(what: str) -> Any:
    try:
        import openvino as ov
    except ImportError as e:
        raise ImportError(f"{what} needs OpenVINO: {OPENVINO_EXTRA}") from e
    return ov


def export_openvino(
    model: Any,
    folder: Path,
    *,
    half: bool = False,
    int8_files: list[str] | None = None,
    imgsz: list[int] | None = None,
    batch: int = 1,
    stride: int = 32,
    export_args: dict[str, Any] | None = None,
) -> Path:
    """Write the fp32 ONNX graph ``model`` (an ``onnx.ModelProto``) as an OpenVINO model folder ``folder``
    (``<folder stem>.xml`` / ``.bin`` / ``metadata.yaml``); returns ``folder``.

    ``half``: weights stored as fp16 (``compress_to_fp16``, as Ultralytics' ``half=True``). ``int8_files``: quantize
    with NNCF, calibrated on these images (nn/quantize.py ``quantize_openvino``). ``export_args``: the format
    arguments recorded as the metadata's ``args``. The files are written into a temporary folder beside ``folder``
    and moved in when complete."""
    ov = _require_openvino("export(format='openvino')")
    import onnx
    import yaml

    from numa_ultralytics.nn.openvino_onnx import gather_rows_as_gather_nd
    from numa_ultralytics.utils import literal

    stem = folder.name.replace("_int8_openvino_model", "").replace("_openvino_model", "")
    meta: dict[str, Any] = {p.key: literal(p.value) for p in model.metadata_props}
    if export_args is not None:
        meta["args"] = export_args
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{folder.name}.", dir=folder.parent) as tmp:
        src = Path(tmp) / f"{stem}.fp32.onnx"
        graph = onnx.ModelProto()
        graph.CopyFrom(model)
        gather_rows_as_gather_nd(graph)  # end-to-end heads' row gathers as OpenVINO takes them (nn/openvino_onnx.py)
        src.write_bytes(graph.SerializeToString())
        # convert_model (not read_model): OpenVINO's front-end transformations fold SiLU's Sigmoid x Mul into Swish and
        # the shape arithmetic into constants, the graph NNCF's patterns know (from read_model's unfolded graph NNCF's
        # int8 model matched 0.92 of fp32's detections on the shared videos, from this one 0.96)
        ov_model = ov.convert_model(str(src))
        if int8_files is not None:
            from numa_ultralytics.nn.quantize import quantize_openvino

            ov_model = quantize_openvino(ov_model, int8_files, imgsz or [640, 640], batch, stride)
        names = meta.get("names")
        for value, key in (
            ("YOLO", "model_type"),
            (True, "reverse_input_channels"),
            (114, "pad_value"),
            ([255.0], "scale_values"),
            (0.7, "iou_threshold"),
            ("fit_to_window_letterbox", "resize_type"),
        ):
            ov_model.set_rt_info(value, ["model_info", key])
        if isinstance(names, dict):
            ov_model.set_rt_info([str(v).replace(" ", "_") for v in names.values()], ["model_info", "labels"])
        out = Path(tmp) / "out"
        out.mkdir()
        ov.save_model(ov_model, str(out / f"{stem}.xml"), compress_to_fp16=half)
        (out / METADATA_FILE).write_text(
            yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=float("inf")), encoding="utf-8"
        )
        folder.mkdir(exist_ok=True)
        for f in sorted(out.iterdir()):
            os.chmod(f, 0o644)
            os.replace(f, folder / f.name)
    return folder
