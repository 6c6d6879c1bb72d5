"""8.4.190's deprecated arguments (its ``cfg._handle_deprecation``; here utils/args.py ``handle_deprecation``, which
every entry point runs first): ``end2end`` -> ``nms``, ``half`` / ``int8`` -> ``quantize``, ``boxes`` /
``hide_labels`` / ``hide_conf`` / ``line_thickness`` -> ``show_boxes`` / ``show_labels`` / ``show_conf`` /
``line_width``, and the removed ``label_smoothing`` / ``save_hybrid`` / ``crop_fraction`` / ``keras`` (dropped), each
with 8.4.190's warning.

Reference: tests/fixtures/deprecated_reference.json, what 8.4.190 logs and runs with for these calls (predict, track,
val, export and the ``yolo`` command line), made by ``YOLO_OFFLINE=1 /opt/ultra/bin/python
tests/fixtures/make_deprecated_reference.py``. For example 8.4.190's ``YOLO("yolo11n-seg.pt").predict(bus, half=True)``
logs ``WARNING ⚠️ 'half' is deprecated and will be removed in the future. Use 'quantize' instead.`` and runs with
``quantize=16``; ``half=False`` logs the same warning (``quantize=None``); ``half=True, quantize=32`` logs nothing.
Our logger's lines carry the package's "WARNING " prefix instead of "WARNING ⚠️ ".
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest

from numa_ultralytics import YOLO
from numa_ultralytics.cfg import CLIError, parse_args
from numa_ultralytics.utils.args import DEPRECATED_KEYS, ArgError, handle_deprecation

from .conftest import MEDIA, MODELS, need
from .helpers import capture_log, coco8_yaml, meta
from .test_cli import cli

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REF = json.loads((FIXTURES / "deprecated_reference.json").read_text())
NMS_REF = json.loads((FIXTURES / "zoo" / "nms_reference.json").read_text())
KEYS = ("nms", "quantize", "show_labels", "show_conf", "show_boxes", "line_width")


def deprecated(lines: list[str]) -> list[str]:
    return [s for s in lines if "deprecated" in s]


def ours(warnings: list[str]) -> list[str]:
    """8.4.190's warning texts as our logger writes them."""
    return [f"WARNING {w}" for w in warnings]


@pytest.fixture(scope="module")
def bus() -> str:
    return str(need(MEDIA / "images" / "bus.jpg"))


@pytest.fixture(scope="module")
def pt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference's checkpoint (copied: a .pt's graph is built beside nothing shared)."""
    p = tmp_path_factory.mktemp("pt") / "yolo11n-seg.pt"
    shutil.copy(need(MODELS / REF["model"]), p)
    return p


def run_args(model: YOLO, call: Any) -> dict[str, Any]:
    """The settings a predict / track call runs with: the predictor's ``args`` at ``on_predict_start``."""
    seen: dict[str, Any] = {}
    model.add_callback("on_predict_start", lambda p: seen.update(vars(p.args)))
    call()
    model.clear_callback("on_predict_start")
    return seen


def effective(args: dict[str, Any]) -> dict[str, Any]:
    """``args`` in 8.4.190's terms: our ``show_conf`` / ``show_boxes`` None are ``plot_style="filled"``'s True."""
    out = {k: args[k] for k in KEYS}
    for k in ("show_conf", "show_boxes"):
        out[k] = True if out[k] is None and args["plot_style"] == "filled" else out[k]
    return out


@pytest.mark.parametrize("i", range(len(REF["predict"])), ids=[str(e["kwargs"]) for e in REF["predict"]])
def test_predict_as_the_original(i: int, pt: Path, bus: str) -> None:
    """Each call of the reference on a fresh model (8.4.190 keeps a predictor's ``nms``): the same warnings, in order,
    and the same settings (``nms``, ``quantize``, ``show_*``, ``line_width``), or the same exception."""
    e = REF["predict"][i]
    model = YOLO(pt)
    with capture_log() as lines:
        if "error" in e:
            kind, msg = e["error"].split(": ", 1)
            with pytest.raises(TypeError) as err:
                model.predict(bus, verbose=False, **e["kwargs"])
            assert f"{type(err.value).__name__}: {err.value}" == e["error"] and kind == "TypeError" and msg
            got = None
        else:
            got = run_args(model, lambda: model.predict(bus, imgsz=320, verbose=False, **e["kwargs"]))
    assert deprecated(lines) == ours(e["warnings"])
    if got is not None:
        assert effective(got) == e["args"]
        assert got["half"] is (e["args"]["quantize"] == 16)  # half=True still runs what it ran (utils/args.py half_of)


def test_track_as_the_original(pt: Path, bus: str) -> None:
    e = REF["track"][0]
    model = YOLO(pt)
    with capture_log() as lines:
        got = run_args(model, lambda: model.track(bus, imgsz=320, verbose=False, **e["kwargs"]))
    assert deprecated(lines) == ours(e["warnings"]) and effective(got) == e["args"]


@pytest.mark.parametrize(
    "old, new",
    [
        ({"hide_labels": True}, {"show_labels": False}),
        ({"hide_conf": True}, {"show_conf": False}),
        ({"boxes": False}, {"show_boxes": False}),
        ({"line_thickness": 2}, {"line_width": 2}),
    ],
)
def test_display_keys_draw_as_their_new_names(old: dict, new: dict, seg_onnx: Path, bus: str, tmp_path: Path) -> None:
    """The deprecated display key draws the image its new name draws (``save=True``), not the default one."""
    model = YOLO(seg_onnx)
    kw = {"imgsz": 320, "save": True, "project": str(tmp_path), "verbose": False}
    drawn = {}
    for name, extra in (("old", old), ("new", new), ("default", {})):
        r = model.predict(bus, name=name, **kw, **extra)[0]
        drawn[name] = (Path(r.save_dir) / "bus.jpg").read_bytes()
    assert drawn["old"] == drawn["new"] != drawn["default"]


def test_end2end_runs_the_one_to_one_head(tmp_path: Path, bus: str) -> None:
    """yolov10n (both heads, tests/fixtures/zoo): ``end2end=True`` runs the rows ``nms=False`` runs (the one-to-one
    top-k: 100 rows, where the default one-to-many head + NMS keeps 84), and is kept by later calls as ``nms`` is;
    ``end2end=False`` is ``nms=None`` (the one-to-many head again)."""
    e = NMS_REF["models"]["yolov10n"]
    p = tmp_path / "yolov10n.pt"
    shutil.copy(FIXTURES / "zoo" / "yolov10n.pt", p)
    kw = {"imgsz": e["imgsz"], "conf": e["conf"], "max_det": 100, "verbose": False}
    a, b = YOLO(p), YOLO(p)
    with capture_log() as lines:
        ra = a.predict(bus, end2end=True, **kw)[0]
    assert deprecated(lines) == [
        "WARNING 'end2end=True' is deprecated and will be removed in the future. Use 'nms=False' instead."
    ]
    rb = b.predict(bus, nms=False, **kw)[0]
    default = YOLO(p).predict(bus, **kw)[0]
    assert a.backend.end2end and len(ra.boxes) == 100 and len(default.boxes) == 84
    assert np.array_equal(ra.boxes.data.numpy(), rb.boxes.data.numpy())
    assert np.array_equal(a.predict(bus, **kw)[0].boxes.data.numpy(), rb.boxes.data.numpy())  # kept
    r = a.predict(bus, end2end=False, **kw)[0]
    assert not a.backend.end2end and np.array_equal(r.boxes.data.numpy(), default.boxes.data.numpy())


def test_val_as_the_original(seg_onnx: Path, tmp_path: Path) -> None:
    """val maps first too: 8.4.190's warnings; the metrics of ``half=True, end2end=False`` are those of
    ``quantize=16``, ``nms=None`` (bf16 where the CPU has bf16 units: within 5e-3, as tests/test_quantize_arg.py)."""
    e = REF["val"][0]
    model = YOLO(seg_onnx)
    data = str(coco8_yaml(tmp_path, model.names))
    kw = {"data": data, "batch": 4, "plots": False, "verbose": False, "project": str(tmp_path)}
    with capture_log() as lines:
        old = model.val(**kw, **e["kwargs"])
    assert deprecated(lines) == ours(e["warnings"])
    new = model.val(**kw, quantize=16, nms=None)
    for k, v in new.results_dict.items():
        assert old.results_dict[k] == pytest.approx(v, abs=5e-3), k
    assert new.results_dict["metrics/mAP50-95(M)"] > 0.3


def test_export_as_the_original(tmp_path: Path) -> None:
    """export maps first too: 8.4.190's warnings for ``half=False, end2end=True, crop_fraction=1.0``; on a both-heads
    checkpoint (yolo26-w) ``end2end=True`` exports the one-to-one head ``nms=False`` exports, fp32."""
    e = REF["export"][0]
    assert e["args"]["nms"] is False and e["args"]["quantize"] is None
    p = tmp_path / "yolo26-w.pt"
    shutil.copy(FIXTURES / "zoo" / "yolo26-w.pt", p)
    with capture_log() as lines:
        old = Path(YOLO(p).export(imgsz=160, **e["kwargs"]))
    assert deprecated(lines) == ours(e["warnings"])
    old = old.rename(tmp_path / "old.onnx")
    new = Path(YOLO(p).export(imgsz=160, nms=False)).rename(tmp_path / "new.onnx")
    default = Path(YOLO(p).export(imgsz=160)).rename(tmp_path / "default.onnx")
    assert meta(old)["end2end"] == meta(new)["end2end"] == "True" != meta(default)["end2end"]
    assert onnx.load(str(old)).graph == onnx.load(str(new)).graph


def test_cli_as_the_original(tmp_path: Path, bus: str) -> None:
    """``numa-yolo predict half hide_labels=True end2end=True line_thickness=3 keras=True``: 8.4.190's ``yolo``
    warnings, once each, in its order; ``end2end=yes`` is refused (8.4.190: a TypeError traceback, exit 1; here exit
    2 naming the key)."""
    good, bad = REF["cli"]
    model = str(need(MODELS / "yolo11n-seg-dynamic.onnx"))
    p = cli([*good["argv"], f"model={model}", f"source={bus}", "imgsz=320", "verbose=False"], tmp_path)
    assert p.returncode == good["returncode"] == 0, p.stderr
    assert deprecated((p.stdout + p.stderr).splitlines()) == ours(good["warnings"])
    p = cli([*bad["argv"], f"model={model}", f"source={bus}"], tmp_path)
    assert bad["returncode"] != 0 and "Deprecated 'end2end' must be a bool." in bad["error"]
    assert p.returncode == 2 and "end2end" in p.stderr and "must be a bool" in p.stderr
    _, _, args, given = parse_args([*good["argv"], "source=x"])
    assert {k: args[k] for k in ("quantize", "nms", "show_labels", "line_width")} == {
        "quantize": 16, "nms": False, "show_labels": False, "line_width": 3,
    }  # fmt: skip
    assert not given & set(DEPRECATED_KEYS) and not set(args) & set(DEPRECATED_KEYS)
    _, _, args, given = parse_args(["export", "model=x.pt", "int8", "data=d.yaml", "end2end"])
    assert given == {"model", "quantize", "nms", "data"} and (args["quantize"], args["nms"]) == (8, False)
    with capture_log() as lines:  # bare words: the bool keys are True, a removed key is dropped
        _, _, args, given = parse_args(["predict", "source=x", "hide_conf", "keras", "boxes=False"])
    assert (args["show_conf"], args["show_boxes"]) == (False, False) and len(deprecated(lines)) == 3
    with pytest.raises(CLIError, match="hide_labels"):
        parse_args(["predict", "source=x", "hide_labels=maybe"])


def test_rule_in_one_place() -> None:
    """The mapping itself: a new dict (the caller's is left alone), precedence as 8.4.190 (an explicit ``quantize``
    wins over half / int8, int8 over half, ``end2end=False`` keeps ``nms=True``), bad values named."""
    given = {"half": True, "hide_conf": False}
    assert handle_deprecation(given) == {"quantize": 16, "show_conf": True} and given == {
        "half": True,
        "hide_conf": False,
    }
    with capture_log() as lines:
        assert handle_deprecation({"half": True, "quantize": "fp32"}) == {"quantize": "fp32"}
        assert handle_deprecation({"end2end": None, "nms": True}) == {"nms": True}
    assert lines == []
    assert handle_deprecation({"half": True, "int8": True}) == {"quantize": 8}
    assert handle_deprecation({"end2end": False, "nms": True}) == {"nms": True}
    assert handle_deprecation({"end2end": False, "nms": False}) == {"nms": None}
    assert handle_deprecation({"save_hybrid": True, "conf": 0.5}) == {"conf": 0.5}
    for bad in ("yes", 1, np.bool_(True)):
        with pytest.raises(TypeError, match="^Deprecated 'end2end' must be a bool.$"):
            handle_deprecation({"end2end": bad})
    for key in ("half", "int8", "hide_labels", "hide_conf"):
        with pytest.raises(ArgError, match=f"^{key}="):
            handle_deprecation({key: "maybe"})


def test_solutions_and_ray_map_first(tmp_path: Path) -> None:
    """SolutionConfig.update and track_videos (Ray) map before their checks: the new key is set, with the warning."""
    from numa_ultralytics.solutions import SolutionConfig

    with capture_log() as lines:
        cfg = SolutionConfig().update(hide_labels=True, line_thickness=4)
    assert (cfg.show_labels, cfg.line_width) == (False, 4) and len(deprecated(lines)) == 2
    pytest.importorskip("ray")
    from numa_ultralytics.engine.distributed import track_videos

    model = str(need(MODELS / "yolo11n-seg-dynamic.onnx"))
    with pytest.raises(TypeError, match="end2end"):
        track_videos(str(tmp_path), model=model, ray="local", end2end="yes")
    with capture_log() as lines, pytest.raises(FileNotFoundError):  # checked (and mapped) before the empty folder
        track_videos(str(tmp_path / "none"), model=model, ray="local", hide_conf=True, keras=True)
    assert deprecated(lines) == ours(
        [
            "'hide_conf' is deprecated and will be removed in the future. Use 'show_conf' instead.",
            "'keras' is deprecated and will be removed in the future.",
        ]
    )
