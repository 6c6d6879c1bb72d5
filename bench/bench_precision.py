"""CPU precision (issues 15, 26): fp32 (onnxruntime CPU) against OpenVINO fp32, bf16 (``half=True``, where the CPU
has bf16 units), int8 (our ``export(int8=True)``, onnxruntime) and int8 on OpenVINO (``export(format="openvino",
int8=True)``: NNCF), all in the same run: speed of the seed's two loops and the floor,
and accuracy (``model.val`` box / mask mAP50-95, and agreement with fp32 on the shared videos).

    .venv/bin/python bench/bench_precision.py                       # 60 frames x 3 repeats, accuracy too
    .venv/bin/python bench/bench_precision.py --frames 30 --repeats 2 --no-speed

Variants (nn/precision.py is the rule): ``fp32`` = the default (onnxruntime CPU provider), ``openvino-fp32`` =
``runtime="openvino"``, ``bf16`` = ``half=True`` (only when OpenVINO reports BF16 for this CPU; otherwise it is the
fp32 fallback and is left out), ``int8`` = ``yolo11n-seg.pt`` exported with ``int8=True, dynamic=True`` calibrated on
coco8-seg's val images, run by onnxruntime (nn/precision.py never runs int8 graphs on OpenVINO: its detections are
wrong, tests/test_precision.py), ``int8-openvino`` = ``yolo11n-seg.pt`` exported with ``format="openvino", int8=True,
dynamic=True`` calibrated on coco8-seg's **train** images (so coco8-seg val is held out for it), loaded as the
folder (OpenVINO, nn/openvino_ir.py); ``int8-openvino-stem`` (only when named in ``--only``) = the same export with
the stem float too (nn/quantize.py ``FLOAT_STEM_MODULES`` = 3 instead of the default), to time the two in one run.

Loops as bench/bench_pipeline.py (its ``LOOP_SRC``: decode, predict/track, ``seg_bbox`` per polygon, MJPG write;
the first ``--warmup`` frames untimed); the floor is the bare ``session.run`` of each variant's session on
pre-letterboxed frames. Accuracy: ``model.val`` at imgsz 640 on coco8-seg val (4 images), coco8-seg train+val
(8 images; the largest labelled mask set in ../shared/media) and mot17-mini (boxes only, persons:
tests/fixtures/mot17_dataset.py); agreement with fp32 (``utils/metrics.py agreement``: same class, box IoU >= 0.5;
mask IoU of the pairs) on the first ``--agree-frames`` frames of the two shared street videos.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pipeline import LOOP_SRC, STAGES
from common import MODEL, REPO, SHARED, VIDEO, fmt_mmm, fmt_ratio, header, machine_line, table

PT = SHARED / "models" / "yolo11n-seg.pt"
COCO8 = SHARED / "media" / "coco8-seg"
VIDEOS = [
    SHARED / "media" / "videos" / n
    for n in ("seeed_people-walking.mp4", "intel_car-detection.mp4", "mmtracking_demo.mp4")
]


def variants(
    int8_path: Path, int8_ov: Path | None = None, int8_ov_stem: Path | None = None
) -> list[tuple[str, Path, dict[str, Any]]]:
    from numa_ultralytics.nn.precision import cpu_has_bf16

    out = [("fp32", MODEL, {}), ("openvino-fp32", MODEL, {"runtime": "openvino"})]
    if cpu_has_bf16():
        out.append(("bf16", MODEL, {"half": True}))
    out.append(("int8", int8_path, {}))  # on onnxruntime only: nn/precision.py never runs int8 on OpenVINO (wrong)
    if int8_ov is not None:
        out.append(("int8-openvino", int8_ov, {}))  # the OpenVINO model folder: OpenVINO, int8 (NNCF)
    if int8_ov_stem is not None:
        out.append(("int8-openvino-stem", int8_ov_stem, {}))  # the same, the stem (model.0-2) float too
    return out


def make_int8(d: Path) -> Path:
    from numa_ultralytics import YOLO

    pt = d / PT.name
    pt.write_bytes(PT.read_bytes())
    data = d / "coco8-seg.yaml"
    data.write_text(f"path: {COCO8}\ntrain: images/train\nval: images/val\nnames: {YOLO(str(MODEL)).names}\n")
    return Path(YOLO(str(pt)).export(format="onnx", int8=True, dynamic=True, data=str(data)))


def make_int8_openvino(d: Path, stem: int | None = None, src: Path = PT) -> Path:
    """``src`` (a ``.pt``) exported with ``format="openvino", int8=True, dynamic=True``, calibrated on coco8-seg train
    (val held out), in folder ``d``. ``stem``: that many first modules float besides the head instead of
    nn/quantize.py's ``FLOAT_STEM_MODULES``, into its own folder."""
    import numa_ultralytics.nn.quantize as q
    from numa_ultralytics import YOLO
    from numa_ultralytics.engine.exporter import export

    pt = d / src.name
    if not pt.exists():
        pt.write_bytes(src.read_bytes())
    data = d / "coco8-seg-train.yaml"
    data.write_text(f"path: {COCO8}\ntrain: images/train\nval: images/train\nnames: {YOLO(str(pt)).names}\n")
    if stem is None:
        return Path(YOLO(str(pt)).export(format="openvino", int8=True, dynamic=True, data=str(data)))
    default, q.FLOAT_STEM_MODULES = q.FLOAT_STEM_MODULES, stem
    try:
        folder = d / f"{pt.stem}_stem{stem}_int8_openvino_model"
        return Path(export(pt, folder, format="openvino", int8=True, dynamic=True, data=str(data)))
    finally:
        q.FLOAT_STEM_MODULES = default


def frames_of(video: Path, n: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(video))
    out = []
    while len(out) < n:
        ok, f = cap.read()
        if not ok:
            break
        out.append(f)
    cap.release()
    return out


def model_with(path: Path, kw: dict[str, Any]) -> Any:
    """A ``YOLO`` whose predict/track always get ``device="cpu"`` and the variant's arguments."""
    from numa_ultralytics import YOLO

    class V(YOLO):
        def predict(self, *a: Any, **k: Any) -> Any:
            return super().predict(*a, **{"device": "cpu", **kw, **k})

        def track(self, *a: Any, **k: Any) -> Any:
            return super().track(*a, **{"device": "cpu", **kw, **k})

    return lambda *_a, **_k: V(str(path))


def speed(args: argparse.Namespace, vs: list[tuple[str, Path, dict[str, Any]]]) -> dict[str, dict]:
    from numa_ultralytics.data.augment import letterbox, to_blob
    from numa_ultralytics.nn.autobackend import AutoBackend
    from numa_ultralytics.utils.plotting import Annotator, colors

    ns: dict = {"STAGES": STAGES}
    exec(LOOP_SRC, ns)

    def seg_bbox(annotator: Any, mask: Any, color: Any, label: str, txt_color: Any) -> None:  # the seed's call
        annotator.seg_bbox(mask=mask, mask_color=color, label=label, txt_color=txt_color)

    blobs = [to_blob(letterbox(f, (640, 640), True, 32)) for f in frames_of(args.video, args.frames)]
    res: dict[str, dict] = {name: {"floor": [], "loop1": [], "loop2": []} for name, _, _ in vs}
    with tempfile.TemporaryDirectory() as d:
        for r in range(args.repeats):
            for name, path, kw in vs:  # interleaved: every variant sees the same load in each repeat
                b = AutoBackend(path, device="cpu", half=kw.get("half", False), runtime=kw.get("runtime"))
                sess, inp = b.session, b.input_name
                for x in blobs[:3]:  # OpenVINO compiles a dynamic model for a shape at its second frame of it
                    sess.run(None, {inp: x})
                t0 = __import__("time").perf_counter()
                for x in blobs:
                    sess.run(None, {inp: x})
                res[name]["floor"].append((__import__("time").perf_counter() - t0) * 1e3 / len(blobs))
                del b, sess
                for key, track in (("loop1", False), ("loop2", True)):
                    out = ns["run_loop"](
                        model_with(path, kw),
                        Annotator,
                        colors,
                        seg_bbox,
                        str(path),
                        str(args.video),
                        args.frames,
                        track,
                        str(Path(d) / f"{key}.avi"),
                        args.warmup,
                    )
                    res[name][key].append(out)
                print(
                    f"  repeat {r + 1}/{args.repeats} {name}: floor {res[name]['floor'][-1]:.1f} ms, "
                    f"loop1 {res[name]['loop1'][-1]['total']:.1f} ms/frame, "
                    f"loop2 {res[name]['loop2'][-1]['total']:.1f} ms/frame",
                    flush=True,
                )
    return res


def report_speed(res: dict[str, dict]) -> None:
    header("speed (ms per frame, median [min..max] over repeats; ratios per repeat against fp32)")
    base = res["fp32"]
    rows = []
    for name, r in res.items():
        row = [name, fmt_mmm(r["floor"], 1), fmt_ratio(base["floor"], r["floor"])]
        for loop in ("loop1", "loop2"):
            tot = [x["total"] for x in r[loop]]
            fps = [1e3 / t for t in tot]
            row += [fmt_mmm(tot, 1), fmt_mmm(fps, 2), fmt_ratio(fps, [1e3 / x["total"] for x in base[loop]])]
        row.append(f"{np.mean([x['objects'] for x in r['loop1']]):.1f}")
        rows.append(row)
    print(
        table(
            [
                "variant",
                "floor ms",
                "floor speed-up",
                "loop 1 ms",
                "loop 1 FPS",
                "loop 1 FPS / fp32",
                "loop 2 ms",
                "loop 2 FPS",
                "loop 2 FPS / fp32",
                "objects/frame",
            ],
            rows,
        )
    )


def accuracy(args: argparse.Namespace, vs: list[tuple[str, Path, dict[str, Any]]], d: Path) -> None:
    from numa_ultralytics import YOLO
    from numa_ultralytics.utils.metrics import agreement

    sys.path.insert(0, str(REPO))
    from tests.fixtures.mot17_dataset import build as build_mot17

    names = YOLO(str(MODEL)).names
    sets = {}
    for key, split in (("coco8-seg val (4)", "images/val"), ("coco8-seg all (8)", "[images/train, images/val]")):
        y = d / f"{key.split()[1]}.yaml"
        y.write_text(f"path: {COCO8}\ntrain: images/train\nval: {split}\nnames: {names}\n")
        sets[key] = y
    sets["mot17-mini persons (boxes)"] = build_mot17(SHARED / "media" / "mot17-mini", d / "mot17", names)

    header("accuracy: model.val mAP50-95 at imgsz 640 (box / mask), batch 1")
    rows = []
    vals: dict[str, dict[str, tuple[float, float]]] = {}
    for name, path, kw in vs:
        row = [name]
        for key, y in sets.items():
            task = "detect" if "mot17" in key else None  # boxes only: the segment model validated as a detector
            m = YOLO(str(path), task=task).val(
                data=str(y), imgsz=640, batch=1, verbose=False, device="cpu", plots=False, **kw
            )
            box, seg = m.box.map, (m.seg.map if hasattr(m, "seg") else float("nan"))
            vals.setdefault(name, {})[key] = (box, seg)
            row.append(f"{box:.4f} / {seg:.4f}" if "mot17" not in key else f"{box:.4f}")
        rows.append(row)
    print(table(["variant", *sets], rows))
    print()
    base = vals["fp32"]
    rows = []
    for name, v in vals.items():
        rows.append(
            [name]
            + [
                f"{v[k][0] - base[k][0]:+.4f}" + ("" if "mot17" in k else f" / {v[k][1] - base[k][1]:+.4f}")
                for k in sets
            ]
        )
    print("difference to fp32 (box / mask; bars: bf16 mask within 0.005, int8 within 0.02):\n")
    print(table(["variant", *sets], rows))

    header(f"agreement with fp32 on the first {args.agree_frames} frames of each shared video (predict, imgsz 640)")
    ref_model = YOLO(str(MODEL))
    frames = {v.name: frames_of(v, args.agree_frames) for v in VIDEOS}
    refs = {k: [ref_model.predict(f, device="cpu", verbose=False)[0] for f in fs] for k, fs in frames.items()}
    rows = []
    for name, path, kw in vs[1:]:
        model = YOLO(str(path))
        for k, fs in frames.items():
            n_ref = n_oth = matched = 0
            mious: list[float] = []
            for f, ref in zip(fs, refs[k]):
                a, b, m, mi = agreement(ref, model.predict(f, device="cpu", verbose=False, **kw)[0])
                n_ref, n_oth, matched, mious = n_ref + a, n_oth + b, matched + m, mious + mi
            rows.append(
                [
                    name,
                    k,
                    n_ref,
                    n_oth,
                    f"{matched / max(n_ref, 1):.4f}",
                    f"{matched / max(n_oth, 1):.4f}",
                    f"{np.mean(mious):.4f}" if mious else "-",
                    f"{np.min(mious):.4f}" if mious else "-",
                ]
            )
    print(
        table(
            ["variant", "video", "fp32 dets", "dets", "fp32 matched", "dets matched", "mean mask IoU", "min"],
            rows,
        )
    )


def track_ids(args: argparse.Namespace, vs: list[tuple[str, Path, dict[str, Any]]]) -> None:
    """Loop 2's ids against fp32's: over the tracked boxes paired with fp32's (IoU >= 0.5), how many carry the same id,
    and how many the id that fp32's track got at its first pairing (the same track, renumbered: an id switch is a
    pair that breaks that mapping)."""
    from numa_ultralytics import YOLO
    from numa_ultralytics.utils.metrics import box_iou

    header(f"loop 2 track ids against fp32 ({args.agree_frames} frames of {args.video.name}, botsort.yaml)")
    frames = frames_of(args.video, args.agree_frames)

    def run(path: Path, kw: dict[str, Any]) -> list[Any]:
        m = YOLO(str(path))
        return [m.track(f, persist=True, device="cpu", verbose=False, tracker="botsort.yaml", **kw)[0] for f in frames]

    ref = run(MODEL, {})
    rows = []
    for name, path, kw in vs[1:]:
        out = run(path, kw)
        pairs = same = consistent = identical_frames = 0
        mapping: dict[int, int] = {}  # fp32 id -> the variant's id at their first matched pair
        for a, b in zip(ref, out):
            if len(a.boxes) == 0 or len(b.boxes) == 0:
                identical_frames += len(a.boxes) == len(b.boxes)
                continue
            iou = box_iou(np.asarray(a.boxes.xyxy), np.asarray(b.boxes.xyxy))
            ia, ib = np.asarray(a.boxes.id), np.asarray(b.boxes.id)
            taken: set[int] = set()
            frame_same = len(a.boxes) == len(b.boxes)
            for i in range(len(a.boxes)):
                j = int(iou[i].argmax())
                if iou[i, j] < 0.5 or j in taken:
                    frame_same = False
                    continue
                taken.add(j)
                pairs += 1
                same += int(ia[i] == ib[j])
                consistent += int(mapping.setdefault(int(ia[i]), int(ib[j])) == int(ib[j]))
                frame_same &= bool(ia[i] == ib[j])
            identical_frames += frame_same
        rows.append(
            [
                name,
                pairs,
                f"{same / max(pairs, 1):.4f}",
                f"{consistent / max(pairs, 1):.4f}",
                f"{identical_frames}/{len(frames)}",
            ]
        )
    hdr = ["variant", "matched tracked boxes", "same id", "same id up to renumbering", "frames: same boxes and ids"]
    print(table(hdr, rows))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--video", type=Path, default=VIDEO)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--agree-frames", type=int, default=60)
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--no-accuracy", action="store_true")
    ap.add_argument("--ids-only", action="store_true", help="only the loop 2 track-id comparison")
    ap.add_argument("--only", default="", help="comma-separated variants besides fp32 (always run), e.g. int8-openvino")
    ap.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="NAME=FOLDER",
        help="an exported model (e.g. an OpenVINO folder of bench/int8_search.py --keep-dir) as one more variant",
    )
    args = ap.parse_args()
    import openvino

    from numa_ultralytics.nn.precision import cpu_has_bf16

    print(machine_line() + f" | openvino {openvino.__version__}")
    print(f"uptime load: {os.getloadavg()[0]:.2f}; OpenVINO BF16 on this CPU: {cpu_has_bf16()}")
    with tempfile.TemporaryDirectory() as td:
        d = Path(td)
        int8 = make_int8(d)
        stem = make_int8_openvino(d, stem=3) if "int8-openvino-stem" in args.only.split(",") else None
        vs = variants(int8, make_int8_openvino(d), stem)
        if args.only:
            vs = [v for v in vs if v[0] == "fp32" or v[0] in args.only.split(",")]
        for e in args.extra:
            name, _, folder = e.partition("=")
            if not folder or not Path(folder).exists():
                raise ValueError(f"--extra {e!r}: expected NAME=FOLDER with an existing model folder")
            vs.append((name, Path(folder), {}))
        print("variants: " + ", ".join(f"{n} ({p.name} {kw or ''})" for n, p, kw in vs))
        if args.ids_only:
            track_ids(args, vs)
            return
        if not args.no_speed:
            report_speed(speed(args, vs))
        if not args.no_accuracy:
            accuracy(args, vs, d)
            track_ids(args, vs)
    print(f"\nuptime load at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
