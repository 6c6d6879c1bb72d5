"""Tracking evaluation (utils/trackeval.py, rust/src/trackeval/) equals TrackEval 1.3.0.

References: ``tests/fixtures/trackeval/*_reference.json``, made by ``make_reference.py`` with TrackEval 1.3.0 (commands
in its docstring) from the synthetic sequences of ``make_synthetic.py`` (id swaps, fragments, false positives,
distractors, zero-flagged rows, duplicated boxes) and from our trackers' results on the shared MOT17-mini ground truth.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from numa_ultralytics.cfg import entrypoint
from numa_ultralytics.utils import trackeval as te
from tests.conftest import need

FIX = Path(__file__).parent / "fixtures" / "trackeval"
SYNTH = FIX / "synth"
MINI_GT = Path(__file__).resolve().parents[2] / "shared" / "media" / "mot17-mini" / "train"
MINI_FIX = FIX / "mot17mini" / "trackers"
TOL = 1e-6


def _ref(name: str) -> dict:
    return json.loads((FIX / name).read_text())


def _max_diff(ours: dict, ref: dict) -> dict[str, float]:
    """Largest |ours - TrackEval| per ``metric.field`` over every sequence and COMBINED_SEQ."""
    worst: dict[str, float] = {}
    for seq, metrics in ref.items():
        for m, fields in metrics.items():
            for k, v in fields.items():
                if k == "Frames":  # Count's per-sequence frame count (not a score)
                    continue
                d = float(np.max(np.abs(np.asarray(ours[seq][m][k], float) - np.asarray(v, float))))
                worst[f"{m}.{k}"] = max(worst.get(f"{m}.{k}", 0.0), d)
    return worst


SYNTH_REF = _ref("synth_reference.json")


@pytest.mark.parametrize("benchmark", ["MOT17", "MOT20", "MOT15"])
@pytest.mark.parametrize("tracker", ["noisy", "perfect", "permuted", "empty"])
def test_synthetic_equals_trackeval(benchmark: str, tracker: str) -> None:
    ours = te.evaluate(SYNTH / "gt", SYNTH / "trackers" / tracker / "data", benchmark=benchmark)
    ref = SYNTH_REF[benchmark][tracker]
    assert set(ours) == set(ref)
    worst = _max_diff(ours, ref)
    assert len(worst) == 12 + 3 + 22 + 6 + 4
    assert max(worst.values()) <= TOL, {k: v for k, v in worst.items() if v > TOL}


@pytest.mark.skipif(not MINI_GT.is_dir(), reason="shared MOT17-mini not present")
def test_mot17_mini_trackers_equal_trackeval() -> None:
    ref = _ref("mot17mini_reference.json")["MOT17"]
    assert len(ref) == 6
    for tracker, per in ref.items():
        ours = te.evaluate(MINI_GT, FIX / "mot17mini" / "trackers" / tracker / "data")
        worst = _max_diff(ours, per)
        assert max(worst.values()) <= TOL, (tracker, {k: v for k, v in worst.items() if v > TOL})


def test_perfect_tracker_scores_one() -> None:
    c = te.evaluate(SYNTH / "gt", SYNTH / "trackers" / "perfect" / "data")[te.COMBINED]
    assert c["HOTA"]["HOTA"] == [1.0] * 19
    assert c["CLEAR"]["MOTA"] == 1.0 and c["CLEAR"]["IDSW"] == 0
    assert c["Identity"]["IDF1"] == 1.0


def _permute_ids(src: Path, dst: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    dst.mkdir(parents=True)
    for f in src.glob("*.txt"):
        rows = [line.split(",") for line in f.read_text().splitlines()]
        ids = sorted({r[1] for r in rows})
        new = dict(zip(ids, (str(x) for x in rng.permutation(len(ids)) * 3 + 7)))
        (dst / f.name).write_text("".join(",".join([r[0], new[r[1]], *r[2:]]) + "\n" for r in rows))


def test_permuting_ids_changes_nothing(tmp_path: Path) -> None:
    src = SYNTH / "trackers" / "noisy" / "data"
    _permute_ids(src, tmp_path / "p", 3)
    permuted, plain = te.evaluate(SYNTH / "gt", tmp_path / "p"), te.evaluate(SYNTH / "gt", src)
    # the same matches and counts; sums over the id x id matrices run in another order (last bits)
    assert max(_max_diff(permuted, plain).values()) <= 1e-12
    for seq in plain:
        for m in ("CLEAR", "Identity", "Count"):
            ints = {k: v for k, v in plain[seq][m].items() if isinstance(v, int)}
            assert ints == {k: permuted[seq][m][k] for k in ints}


def test_empty_result_scores_zero() -> None:
    r = te.evaluate(SYNTH / "gt", SYNTH / "trackers" / "empty" / "data")
    for seq in r.values():
        assert seq["HOTA"]["HOTA"] == [0.0] * 19
        assert seq["CLEAR"]["MOTA"] == 0.0 and seq["CLEAR"]["CLR_TP"] == 0
        assert seq["Identity"]["IDF1"] == 0.0


def test_summary_averages_alphas(tmp_path: Path) -> None:
    r = te.evaluate(SYNTH / "gt", SYNTH / "trackers" / "noisy" / "data")
    s = te.summary(r)["sequences"]
    assert set(s) == {"SYN-01", "SYN-02", "SYN-03", te.COMBINED}
    assert s[te.COMBINED]["HOTA"]["HOTA"] == pytest.approx(np.mean(r[te.COMBINED]["HOTA"]["HOTA"]), abs=0)
    assert isinstance(s[te.COMBINED]["CLEAR"]["IDSW"], int)


def _copy_gt(tmp_path: Path) -> Path:
    gt = tmp_path / "gt"
    shutil.copytree(SYNTH / "gt", gt)
    return gt


def test_bad_files_name_file_and_line(tmp_path: Path) -> None:
    res = tmp_path / "res"
    shutil.copytree(SYNTH / "trackers" / "noisy" / "data", res)
    lines = (res / "SYN-02.txt").read_text().splitlines()
    lines[4] = "5,x,1,1,1,1,1,-1"
    (res / "SYN-02.txt").write_text("\n".join(lines) + "\n")
    with pytest.raises(te.TrackEvalError, match=r"SYN-02\.txt:5: id \"x\" is not a number"):
        te.evaluate(SYNTH / "gt", res)
    (res / "SYN-02.txt").write_text("99999,1,1,1,1,1,1\n")
    with pytest.raises(te.TrackEvalError, match=r"SYN-02\.txt:1: frame 99999 outside"):
        te.evaluate(SYNTH / "gt", res)
    (res / "SYN-02.txt").write_text("1,4,1,1,1,1,1\n1,4,1,1,1,1,1\n")
    with pytest.raises(te.TrackEvalError, match=r"id 4 more than once in frame 1"):
        te.evaluate(SYNTH / "gt", res)
    (res / "SYN-02.txt").unlink()
    with pytest.raises(te.TrackEvalError, match=r"SYN-02\.txt: missing"):
        te.evaluate(SYNTH / "gt", res)
    gt = _copy_gt(tmp_path)
    (gt / "SYN-01" / "seqinfo.ini").unlink()
    with pytest.raises(te.TrackEvalError, match=r"seqinfo\.ini: missing"):
        te.evaluate(gt, SYNTH / "trackers" / "noisy" / "data")
    shutil.copy(SYNTH / "gt" / "SYN-01" / "seqinfo.ini", gt / "SYN-01" / "seqinfo.ini")
    (gt / "SYN-02" / "gt" / "gt.txt").write_text("1,1,0,0,10,10,1\n")
    with pytest.raises(te.TrackEvalError, match=r"gt\.txt:1: 7 columns"):
        te.evaluate(gt, SYNTH / "trackers" / "noisy" / "data", sequences=["SYN-02"])


def test_cli_scores_and_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "scores.json"
    rc = entrypoint(["trackeval", f"data={SYNTH / 'gt'}", f"res={SYNTH / 'trackers' / 'noisy' / 'data'}",
                     "benchmark=MOT17", f"out={out}"])  # fmt: skip
    assert rc == 0
    text = capsys.readouterr().out
    assert "HOTA: res-pedestrian" in text and "COMBINED" in text and "IDF1" in text
    body = json.loads(out.read_text())
    comb = body["sequences"][te.COMBINED]
    ref = SYNTH_REF["MOT17"]["noisy"][te.COMBINED]
    assert abs(comb["HOTA"]["HOTA"] - np.mean(ref["HOTA"]["HOTA"])) <= TOL
    assert comb["CLEAR"]["IDSW"] == ref["CLEAR"]["IDSW"]
    assert comb["Identity"]["IDF1"] == pytest.approx(ref["Identity"]["IDF1"], abs=TOL)


def test_cli_masks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "m.json"
    g, r = SYNTH_MOTS / "gt", SYNTH_MOTS / "trackers" / "noisy" / "data"
    assert entrypoint(["trackeval", f"data={g}", f"res={r}", "masks=True", f"out={out}"]) == 0
    ref = _ref("synth_mots_reference.json")["MOTS"]["noisy"][te.COMBINED]
    comb = json.loads(out.read_text())["sequences"][te.COMBINED]
    assert abs(comb["HOTA"]["HOTA"] - np.mean(ref["HOTA"]["HOTA"])) <= TOL
    assert entrypoint(["trackeval", f"data={g}", f"res={r}", "masks=maybe"]) == 2
    assert "masks" in capsys.readouterr().err


def test_cli_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    res = tmp_path / "res"
    res.mkdir()
    assert entrypoint(["trackeval", f"data={SYNTH / 'gt'}", f"res={res}"]) == 2
    assert "SYN-01.txt: missing" in capsys.readouterr().err
    assert entrypoint(["trackeval", f"data={SYNTH / 'gt'}"]) == 2
    assert entrypoint(["trackeval", f"data={SYNTH / 'gt'}", f"res={res}", "benchmark=MOT99"]) == 2
    assert entrypoint(["trackeval", f"data={SYNTH / 'gt'}", f"res={res}", "tracker=all"]) == 2
    assert entrypoint(["trackeval", f"data={SYNTH / 'gt'}", f"res={res}", "bogus=1"]) == 2


def test_model_tracks_img1_then_scores(tmp_path: Path, seg_onnx_static: Path) -> None:
    """``model=`` tracks a sequence's img1/ as one video: the same lines as the stored fp32 fixture, same scores."""
    from numa_ultralytics.engine.track_eval import evaluate_trackers

    seq = need(MINI_GT / "MOT17-09-FRCNN")
    data = tmp_path / "data" / seq.name
    data.mkdir(parents=True)
    for part in ("gt", "img1", "seqinfo.ini"):
        (data / part).symlink_to(seq / part)
    out = evaluate_trackers(tmp_path / "data", seg_onnx_static, "bytetrack.yaml", project=tmp_path, name="run",
                            verbose=False)  # fmt: skip
    written = tmp_path / "run" / "bytetrack" / f"{seq.name}.txt"
    assert written.read_text() == (MINI_FIX / "bytetrack" / "data" / f"{seq.name}.txt").read_text()
    ref = _ref("mot17mini_reference.json")["MOT17"]["bytetrack"][seq.name]
    assert max(_max_diff({seq.name: out["bytetrack"][seq.name]}, {seq.name: ref}).values()) <= TOL
    assert json.loads((tmp_path / "run" / "results.json").read_text())["bytetrack"]["sequences"][seq.name]


def test_all_trackers_table_and_plots(tmp_path: Path) -> None:
    from numa_ultralytics.engine.track_eval import compare_table
    from numa_ultralytics.utils.trackeval_plots import plot_hota_alpha, plot_sequence_bars

    per = {t: te.evaluate(SYNTH / "gt", SYNTH / "trackers" / t / "data") for t in ("noisy", "perfect", "empty")}
    table = compare_table(per).splitlines()
    assert table[0].split()[:4] == ["tracker", "HOTA", "DetA", "AssA"]
    assert table[2].split()[1] == "100.00" and len(table) == 4
    assert plot_hota_alpha(per, tmp_path / "a.png").stat().st_size > 0
    assert plot_sequence_bars(per, tmp_path / "b.png").stat().st_size > 0


SYNTH_MOTS = FIX / "synth_mots"


@pytest.mark.parametrize("tracker", ["noisy", "perfect", "empty"])
def test_mots_masks_equal_trackeval(tracker: str) -> None:
    """MOTS: RLE masks, ignore regions (results inside them removed), cars not scored, id switches."""
    ours = te.evaluate(SYNTH_MOTS / "gt", SYNTH_MOTS / "trackers" / tracker / "data", masks=True)
    ref = _ref("synth_mots_reference.json")["MOTS"][tracker]
    worst = _max_diff(ours, ref)
    assert max(worst.values()) <= TOL, {k: v for k, v in worst.items() if v > TOL}
    assert te.evaluate(SYNTH_MOTS / "gt", SYNTH_MOTS / "trackers" / tracker / "data", benchmark="MOTS") == ours


def test_mots_bad_and_overlapping_masks(tmp_path: Path) -> None:
    res = tmp_path / "res"
    shutil.copytree(SYNTH_MOTS / "trackers" / "noisy" / "data", res)
    f = res / "MOTS-SYN-01.txt"
    lines = f.read_text().splitlines()
    f.write_text("\n".join([*lines[:2], "1 99 2 96 160 !!!", *lines[2:]]) + "\n")
    with pytest.raises(te.TrackEvalError, match=r"MOTS-SYN-01\.txt:3: invalid RLE"):
        te.evaluate(SYNTH_MOTS / "gt", res, masks=True)
    t, _, c, h, w, counts = lines[0].split()
    f.write_text(f"{t} 5 {c} {h} {w} {counts}\n{t} 6 {c} {h} {w} {counts}\n")
    with pytest.raises(te.TrackEvalError, match=r"overlapping masks in frame 1"):
        te.evaluate(SYNTH_MOTS / "gt", res, masks=True)


def test_rle_encode_equals_pycocotools() -> None:
    from numa_ultralytics import _core

    for case in json.loads((FIX / "rle_cases.json").read_text()):
        m = np.array([[int(ch) for ch in row] for row in case["rows"]], np.uint8)
        assert _core.rle_encode(m) == case["counts"]


def test_mots_lines_from_tracking_score_themselves_perfectly(tmp_path: Path, seg_onnx_static: Path) -> None:
    """``masks=True`` tracking writes parseable, non-overlapping MOTS lines at the original size; scored against
    themselves as ground truth they are perfect."""
    from numa_ultralytics.engine.model import YOLO
    from numa_ultralytics.engine.track_eval import track_sequences

    seq = need(MINI_GT / "MOT17-09-FRCNN")
    data = tmp_path / "data" / seq.name
    (data / "gt").mkdir(parents=True)
    for part in ("img1", "seqinfo.ini"):
        (data / part).symlink_to(seq / part)
    (data / "gt" / "gt.txt").write_text("")
    out = track_sequences(tmp_path / "data", YOLO(seg_onnx_static), "bytetrack.yaml", tmp_path / "res", masks=True)
    lines = out[seq.name].read_text().splitlines()
    assert lines and all(len(s.split()) == 6 and s.split()[3:5] == ["1080", "1920"] for s in lines)
    assert {s.split()[2] for s in lines} == {"2"}
    (data / "gt" / "gt.txt").unlink()
    (data / "gt" / "gt.txt").write_text("\n".join(lines) + "\n")
    r = te.evaluate(tmp_path / "data", tmp_path / "res", masks=True)[te.COMBINED]
    assert r["HOTA"]["HOTA"] == [1.0] * 19 and r["Identity"]["IDF1"] == 1.0


def test_save_txt_mots_format(tmp_path: Path, seg_onnx_static: Path, bus_jpg: Path) -> None:
    from numa_ultralytics.engine.model import YOLO

    YOLO(seg_onnx_static).track(bus_jpg, save_txt=True, txt_format="mots", project=tmp_path, name="t")
    lines = (tmp_path / "t" / "labels" / f"{bus_jpg.stem}.txt").read_text().splitlines()
    assert lines and all(s.split()[:1] == ["1"] and s.split()[3:5] == ["1080", "810"] for s in lines)
    assert len({s.split()[1] for s in lines}) == len(lines)  # one line per track id
