"""``numa-yolo trackeval data=GT_ROOT res=RES_DIR [benchmark=MOT17] [out=FILE.json]``: TrackEval's scores of result
files; ``numa-yolo trackeval data=GT_ROOT model=M [tracker=T | tracker=all]``: track each sequence's ``img1/`` frames
first (engine/track_eval.py), then score.

``GT_ROOT/<seq>/{gt/gt.txt, seqinfo.ini}`` (or ``GT_ROOT/train/<seq>``), ``RES_DIR/<seq>.txt``. Prints TrackEval's
per-sequence and combined tables. A missing or bad file exits 2 naming the file and line (utils/trackeval.py).
"""

from __future__ import annotations

import difflib
from typing import Any

from numa_ultralytics.utils import literal

TRACKEVAL_KEYS = {
    "data": "ground-truth root: <seq>/gt/gt.txt and <seq>/seqinfo.ini",
    "res": "folder of <seq>.txt results (MOTChallenge format) to score",
    "benchmark": "MOT17 (default), MOT16, MOT20 or MOT15 (no preprocessing)",
    "masks": "True: MOTS files (frame id class h w rle), scored by mask IoU (benchmark does not apply)",
    "out": "write the alpha-averaged numbers as JSON to this file",
    "model": "track with this model first (instead of res=)",
    "tracker": "tracker YAML name or path, or all (default botsort.yaml; with model=)",
    "imgsz": "inference size (with model=)",
    "conf": "detection confidence (with model=)",
    "device": "cpu, cuda, 0 ... (with model=)",
    "half": "half precision (with model=)",
    "project": "run folder parent (with model=; default runs/trackeval)",
    "name": "run folder name (with model=; default exp)",
    "exist_ok": "reuse the run folder (with model=)",
}
_TEXT_KEYS = ("data", "res", "benchmark", "out", "model", "tracker", "device", "project", "name")


def trackeval_usage() -> str:
    lines = [f"  {k + '=':<12} {v}" for k, v in TRACKEVAL_KEYS.items()]
    return "trackeval arguments (numa-yolo trackeval data=GT_ROOT res=RES_DIR | model=M [tracker=T|all]):\n" + (
        "\n".join(lines) + "\n"
    )


def parse_trackeval_args(argv: list[str]) -> dict[str, Any]:
    from numa_ultralytics.cfg.common import CLIError

    kw: dict[str, Any] = {}
    for a in argv:
        if a == "trackeval":
            continue
        if "=" not in a:
            raise CLIError(f"unknown word {a!r}: trackeval takes key=value arguments", "mode")
        k, v = a.split("=", 1)
        k = k.strip().replace("-", "_")
        if k not in TRACKEVAL_KEYS:
            close = difflib.get_close_matches(k, list(TRACKEVAL_KEYS), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise CLIError(f"unknown argument {k!r}{hint}; trackeval arguments: {', '.join(TRACKEVAL_KEYS)}", k)
        if k in kw:
            raise CLIError(f"argument {k} given twice", k)
        kw[k] = v if k in _TEXT_KEYS else literal(v)
    if "data" not in kw:
        raise CLIError("data is required: data=GT_ROOT (<seq>/gt/gt.txt, <seq>/seqinfo.ini)", "data")
    if ("res" in kw) == ("model" in kw):
        raise CLIError("give either res=RES_DIR (results to score) or model=M (track first)", "res")
    if "model" not in kw:
        extra = [k for k in kw if k not in ("data", "res", "benchmark", "out", "masks")]
        if extra:
            raise CLIError(f"{', '.join(extra)} only apply with model=", extra[0])
    return kw


def run_trackeval_cli(argv: list[str]) -> int:
    """Parse and run ``trackeval``; returns the exit code (2 for bad arguments or files)."""
    from numa_ultralytics.cfg.common import CLIError
    from numa_ultralytics.utils import trackeval as te

    kw = parse_trackeval_args(argv)
    benchmark = kw.pop("benchmark", "MOT17")
    out = kw.pop("out", None)
    masks = kw.pop("masks", False)
    if not isinstance(masks, bool):
        raise CLIError(f"invalid value for masks: {masks!r} (allowed: True or False)", "masks")
    try:
        if "res" in kw:
            results = te.evaluate(kw["data"], kw["res"], benchmark=benchmark, masks=masks)
            print(te.format_tables(results, "res"))
            if out:
                print(f"Saved {te.save_json(results, out)}")
            return 0
        from numa_ultralytics.engine.track_eval import evaluate_trackers

        data, model = kw.pop("data"), kw.pop("model")
        tracker = kw.pop("tracker", "botsort.yaml")
        per = evaluate_trackers(data, model, tracker, benchmark=benchmark, masks=masks, **kw)
        if out:
            import json
            from pathlib import Path

            p = Path(out)
            p.parent.mkdir(parents=True, exist_ok=True)
            payload = next(iter(per.values())) if len(per) == 1 else None
            body = te.summary(payload) if payload is not None else {k: te.summary(v) for k, v in per.items()}
            p.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
            print(f"Saved {p}")
        return 0
    except te.TrackEvalError as e:
        raise CLIError(str(e), None) from e
