# Ultralytics 🚀 AGPL-3.0 License - https://ultralytics.com/license
"""Ultralytics 8.4.190 ``tests/test_python.py``, the in-scope tests (see __init__.py and SKIPPED.md).

numa: torch tensors in the original bodies are numpy arrays here (``torch.tensor(x, dtype=torch.float32)`` ->
``np.array(x, dtype=np.float32)``); this package has no torch.
"""

import csv
import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest

from numa_ultralytics import YOLO
from numa_ultralytics.data.loaders import load_inference_source  # numa: ultralytics.data.build
from tests.ultralytics_suite import ASSETS, MODEL, MODELS, SOURCE, SOURCES_LIST, TASK_MODEL_DATA, WEIGHTS_DIR

HAS_PANDAS = importlib.util.find_spec("pandas") is not None  # numa: to_df() needs the [pandas] extra
try:  # numa: Pillow is in the [test] extra (PIL images as sources); a checkout without it skips the tests using it
    from PIL import Image
except ImportError:
    Image = None
needs_pil = pytest.mark.skipif(Image is None, reason="Pillow is not installed (pip install -e '.[test]')")


def test_predict_txt(tmp_path):
    """Test YOLO predictions with file, directory, and pattern sources listed in a text file."""
    file = tmp_path / "sources_multi_row.txt"
    with open(file, "w") as f:
        f.writelines(f"{src}\n" for src in SOURCES_LIST)
    results = YOLO(MODEL)(source=file, imgsz=32)
    assert len(results) == 7, f"Expected 7 results from source list, got {len(results)}"


def test_predict_csv_multi_row(tmp_path):
    """Test YOLO predictions with sources listed in multiple rows of a CSV file."""
    file = tmp_path / "sources_multi_row.csv"
    with open(file, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["source"])
        writer.writerows([[src] for src in SOURCES_LIST])
    results = YOLO(MODEL)(source=file, imgsz=32)
    assert len(results) == 7, f"Expected 7 results from multi-row CSV, got {len(results)}"


def test_predict_csv_single_row(tmp_path):
    """Test YOLO predictions with sources listed in a single row of a CSV file."""
    file = tmp_path / "sources_single_row.csv"
    with open(file, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(SOURCES_LIST)
    results = YOLO(MODEL)(source=file, imgsz=32)
    assert len(results) == 7, f"Expected 7 results from single-row CSV, got {len(results)}"


@needs_pil
@pytest.mark.parametrize("model_name", MODELS)
def test_predict_img(model_name):
    """Test YOLO model predictions on various image input types."""
    channels = 3  # numa: grayscale models are out of scope
    model = YOLO(WEIGHTS_DIR / model_name)
    im = cv2.imread(str(SOURCE), flags=cv2.IMREAD_GRAYSCALE if channels == 1 else cv2.IMREAD_COLOR)  # uint8 NumPy array
    assert len(model(source=Image.open(SOURCE), save=True, verbose=True, imgsz=32)) == 1  # PIL
    assert len(model(source=im, save=True, save_txt=True, imgsz=32)) == 1  # ndarray
    # numa: the BCHW torch.Tensor source is left out (no torch)
    assert len(model(source=[im, im], save=True, save_txt=True, imgsz=32)) == 2  # batch
    assert len(list(model(source=[im, im], save=True, stream=True, imgsz=32))) == 2  # stream
    assert len(model(np.zeros((320, 640, channels)).astype(np.uint8), imgsz=32)) == 1  # numa: np, not torch, zeros
    batch = [
        str(SOURCE),  # filename
        Path(SOURCE),  # Path
        im,  # OpenCV
        Image.open(SOURCE),  # PIL
        np.zeros((320, 640, channels), dtype=np.uint8),  # numpy
    ]
    assert len(model(batch, imgsz=32, classes=0)) == len(batch)  # multiple sources in a batch


@pytest.mark.parametrize("model_name", ["yolo26n.pt", "yolo11n-seg.pt"])  # numa: yolo11n.pt -> its segment checkpoint
@pytest.mark.parametrize("nms", [None, False])
def test_predict_classes_with_max_det(model_name, nms):
    """Test classes-before-max_det and reset reused-call filters for end2end and NMS-based models."""
    boxes = YOLO(WEIGHTS_DIR / model_name)(SOURCE, classes=[0], max_det=300, nms=nms, verbose=False)[0].boxes
    assert len(boxes) > 1  # bus.jpg contains multiple persons
    top1_model = YOLO(WEIGHTS_DIR / model_name)
    top1 = top1_model(SOURCE, classes=[0], max_det=1, nms=nms, verbose=False)[0].boxes
    assert len(top1) == 1 and int(top1.cls) == 0
    assert float(top1.conf) == pytest.approx(float(boxes.conf.max()))  # best person kept, not an arbitrary one

    reused = top1_model(SOURCE, verbose=False)[0].boxes  # SAME model, no kwargs at all this time
    assert len(reused) > 1  # classes=[0]/max_det=1 from the previous call must not leak into this one


@needs_pil
def test_predict_gray_and_4ch(tmp_path):
    """Test YOLO prediction on grayscale, 4-channel, and EXIF-rotated images with various filenames."""
    im = Image.open(SOURCE)

    source_grayscale = tmp_path / "grayscale.jpg"
    source_rgba = tmp_path / "4ch.png"
    source_non_utf = tmp_path / "non_UTF_测试文件_tést_image.jpg"
    source_spaces = tmp_path / "image with spaces.jpg"
    source_exif = tmp_path / "exif.jpg"

    im.convert("L").save(source_grayscale)  # grayscale
    im.convert("RGBA").save(source_rgba)  # 4-ch PNG with alpha
    im.save(source_non_utf)  # non-UTF characters in filename
    im.save(source_spaces)  # spaces in filename
    exif = im.getexif()
    exif[274] = 6  # stored landscape, displayed portrait
    im.rotate(90, expand=True).save(source_exif, exif=exif)

    # Inference
    model = YOLO(MODEL)
    for f in source_rgba, source_grayscale, source_non_utf, source_spaces, source_exif:
        for source in Image.open(f), cv2.imread(str(f)), f:
            results = model(source, save=True, verbose=True, imgsz=32)
            assert len(results) == 1, f"Expected 1 result for {f.name}, got {len(results)}"
            np.testing.assert_array_equal(results[0].orig_img, cv2.imread(str(f)))
        f.unlink()  # cleanup


@needs_pil
def test_predict_ndarray_channels():
    """Test NumPy channel normalization for grayscale and color models."""
    from numa_ultralytics.data.sources import to_bgr  # numa: the one frame converter (LoadPilAndNumpy._single_check)

    model = YOLO(MODEL)  # default 3-channel model
    gray = np.asarray(Image.open(SOURCE).convert("L"))  # genuine 2D (H, W) uint8 array
    assert gray.ndim == 2, "Expected a 2D grayscale array for this test"
    assert len(model(source=gray, imgsz=32, verbose=False)) == 1  # 2D ndarray auto-expanded to 3 channels
    assert len(model(source=gray.astype("float64"), imgsz=32, verbose=False)) == 1  # non-OpenCV dtype also works
    for source_channels, model_channels in ((1, 3), (2, 3), (4, 3)):  # numa: 3-channel models only
        for dtype in (np.uint8, np.float64):  # float64 is a dtype cvtColor rejects
            im = np.zeros((8, 8, source_channels), dtype=dtype)
            assert to_bgr(im).shape == (8, 8, model_channels)


@needs_pil
def test_single_check_channel_order_and_contiguity():
    """Test LoadPilAndNumpy._single_check() keeps BGR order and C-contiguous output through cv2 conversions."""
    from numa_ultralytics.data.sources import to_bgr

    check = to_bgr  # numa: LoadPilAndNumpy._single_check; to_bgr always makes 3 channels (its 2nd argument is a name)
    rgb = Image.fromarray(np.full((2, 2, 3), (10, 20, 30), dtype=np.uint8))  # PIL is R, G, B
    bgra = np.full((2, 2, 4), (10, 20, 30, 255), dtype=np.uint8)  # ndarray is already B, G, R, A
    gray = np.full((2, 2, 1), 42, dtype=np.uint8)
    bgr16 = np.full((2, 2, 3), (2570, 5140, 7710), dtype=np.uint16)  # 16-bit arrays scale to 8 bits like imread
    for im, expected in (
        (check(rgb, 3), (30, 20, 10)),
        (check(bgra, 3), (10, 20, 30)),
        (check(gray, 3), (42, 42, 42)),
        (check(bgr16, 3), (10, 20, 30)),
    ):
        assert tuple(im[0, 0].tolist()) == expected
        assert im.flags["C_CONTIGUOUS"]


# numa: the tracker YAMLs ship in trackers/cfg (the original's cfg/trackers)
def test_track_second_association_indices():
    """Low-confidence detections matched in second association keep full detection-set indices."""
    from numa_ultralytics.engine.results import Boxes
    from numa_ultralytics.trackers.byte_tracker import BYTETracker
    from numa_ultralytics.utils import ROOT, YAML, IterableSimpleNamespace

    args = IterableSimpleNamespace(**{**YAML.load(ROOT / "trackers/cfg/bytetrack.yaml"), "fuse_score": False})
    tracker = BYTETracker(args)
    boxes = [[10, 10, 50, 50], [200, 200, 260, 260], [400, 400, 480, 480]]
    for confs in ([0.9, 0.9, 0.9], [0.9, 0.9, 0.2]):  # third detection drops to low confidence on frame 2
        data = np.array([[*b, c, 0] for b, c in zip(boxes, confs)], dtype=np.float32)
        tracks = tracker.update(Boxes(data, (640, 640)))
    low = tracks[np.isclose(tracks[:, 5], 0.2)]  # columns are [x1, y1, x2, y2, id, score, cls, idx]
    assert len(low) == 1 and int(low[0, -1]) == 2, f"second-association idx not preserved:\n{tracks}"


@pytest.mark.parametrize("tracker_type", ["bytetrack", "fasttrack"])
def test_track_second_association_low_conf_keeps_id(tracker_type):
    """Low-confidence detection is recovered by the second association under the default fuse_score=True."""
    from numa_ultralytics.engine.results import Boxes
    from numa_ultralytics.trackers.track import TRACKER_MAP
    from numa_ultralytics.utils import ROOT, YAML, IterableSimpleNamespace

    args = IterableSimpleNamespace(**YAML.load(ROOT / f"trackers/cfg/{tracker_type}.yaml"))  # default fuse_score=True
    tracker = TRACKER_MAP[tracker_type](args)
    box = [100, 100, 200, 200]  # same box on both frames, so IoU is 1.0
    # frame 1: high score starts the track; frame 2: score drops into the low band
    # (track_low_thresh < 0.15 < track_high_thresh)
    frame1 = tracker.update(Boxes(np.array([[*box, 0.9, 0]], dtype=np.float32), (640, 640)))
    frame2 = tracker.update(Boxes(np.array([[*box, 0.15, 0]], dtype=np.float32), (640, 640)))
    assert len(frame1) == 1, f"expected one track on frame 1:\n{frame1}"
    tid = int(frame1[0, 4])
    # the low-score box must be kept and mapped to the same id via the second association
    assert len(frame2) == 1, f"low-confidence detection lost by second association:\n{frame2}"
    assert int(frame2[0, 4]) == tid, f"id switched on low-confidence frame: {tid} -> {int(frame2[0, 4])}\n{frame2}"


def test_tracktrack_new_lifecycle():
    """TrackTrack predicts New tracks and confirms them once their history reaches min_track_len."""
    from numa_ultralytics.engine.results import Boxes
    from numa_ultralytics.trackers.track import TRACKER_MAP
    from numa_ultralytics.utils import ROOT, YAML, IterableSimpleNamespace

    cfg = {**YAML.load(ROOT / "trackers/cfg/tracktrack.yaml"), "gmc_method": "none", "min_track_len": 4}
    tracker = TRACKER_MAP["tracktrack"](IterableSimpleNamespace(**cfg))
    tracker.update(Boxes(np.empty((0, 6)), (640, 640)))  # avoid first-frame auto-activation
    outputs = []
    for center_x in (100, 135, 170, 205):
        box = np.array([[center_x - 50, 50, center_x + 50, 150, 0.9, 0]], dtype=np.float32)
        outputs.append(tracker.update(Boxes(box, (640, 640))))
    assert [len(output) for output in outputs] == [0, 0, 0, 1]
    for min_track_len in (0, 1):
        cfg["min_track_len"] = min_track_len
        tracker = TRACKER_MAP["tracktrack"](IterableSimpleNamespace(**cfg))
        tracker.update(Boxes(np.empty((0, 6)), (640, 640)))
        assert len(tracker.update(Boxes(box, (640, 640)))) == 1

    from numa_ultralytics.trackers.byte_tracker import TrackState  # numa: trackers.basetrack

    cfg["min_track_len"] = 4
    tracker = TRACKER_MAP["tracktrack"](IterableSimpleNamespace(**cfg))
    for center_x in (100, 135, 170, 205):  # frame_id == 1 carries a real detection, not an empty warm-up frame
        box = np.array([[center_x - 50, 50, center_x + 50, 150, 0.9, 0]], dtype=np.float32)
        tracker.update(Boxes(box, (640, 640)))
        if tracker.frame_id == 2:
            assert tracker.tracked_stracks[0].state != TrackState.Tracked, "frame_id==1 track confirmed after 2 hits"
    assert tracker.tracked_stracks[0].state == TrackState.Tracked


@pytest.mark.parametrize("tracker_type", ["botsort", "deepocsort", "tracktrack"])
def test_track_reid_auto_user_detections(tracker_type):
    """Native ReID (model='auto') must degrade to motion-only with user-supplied detections, not encode the raw
    frame."""
    from numa_ultralytics.engine.results import Boxes
    from numa_ultralytics.trackers.track import TRACKER_MAP
    from numa_ultralytics.utils import ROOT, YAML, IterableSimpleNamespace

    cfg = {**YAML.load(ROOT / f"trackers/cfg/{tracker_type}.yaml"), "with_reid": True, "model": "auto"}
    tracker = TRACKER_MAP[tracker_type](IterableSimpleNamespace(**cfg))
    img = np.full((640, 640, 3), 128, dtype=np.uint8)  # nonzero so bogus frame-derived features would not be dropped
    data = np.array([[10, 10, 50, 50, 0.9, 0], [200, 200, 260, 260, 0.9, 0]], dtype=np.float32)
    for _ in range(3):  # frame 2 used to crash in embedding_distance after storing image rows as track features
        tracks = tracker.update(Boxes(data, (640, 640)), img)
    assert len(tracks) == 2, f"native-ReID tracker must keep tracking without feats:\n{tracks}"


@pytest.mark.parametrize("task,weight,data", TASK_MODEL_DATA)
def test_val(task: str, weight: str, data: str) -> None:
    """Test the validation mode of the YOLO model."""
    model = YOLO(weight)
    for plots in (True, False):  # Test both cases i.e. plots=True and plots=False
        metrics = model.val(data=data, imgsz=32, plots=plots)
        if HAS_PANDAS:  # numa: the [pandas] extra
            metrics.to_df()
        metrics.to_csv()
        metrics.to_json()
        if task != "depth":  # depth is dense regression: no classes, no confusion matrix
            if HAS_PANDAS:  # numa: the [pandas] extra
                metrics.confusion_matrix.to_df()
            metrics.confusion_matrix.to_csv()
            metrics.confusion_matrix.to_json()
            cm = metrics.confusion_matrix
            expected = cm.nc if task in {"classify", "semantic"} else cm.nc + 1  # background for detection tasks
            assert cm.matrix.shape == (expected, expected), f"{task} confusion matrix is {cm.matrix.shape}"
            assert len(cm.tp_fp()[0]) == cm.nc  # per-class TP/FP never include background


def test_predict_callback_and_setup():
    """Test callback functionality during YOLO prediction setup and execution."""

    def on_predict_batch_end(predictor):
        """Callback function that handles operations at the end of a prediction batch."""
        path, im0s, _ = predictor.batch
        im0s = im0s if isinstance(im0s, list) else [im0s]
        bs = [predictor.dataset.bs for _ in range(len(path))]
        predictor.results = zip(predictor.results, im0s, bs)  # results is list[batch_size]

    model = YOLO(MODEL)
    model.add_callback("on_predict_batch_end", on_predict_batch_end)

    dataset = load_inference_source(source=SOURCE)
    bs = dataset.bs  # access predictor properties
    results = model.predict(dataset, stream=True, imgsz=32)  # source already setup
    for r, im0, bs in results:
        print("test_callback", im0.shape)
        print("test_callback", bs)
        boxes = r.boxes  # Boxes object for bbox outputs
        print(boxes)


# numa: no ONLINE skip: the video is a local clip (conftest.py's solution_assets)
@pytest.mark.parametrize("model", MODELS)
def test_track_stream(model, tmp_path, solution_assets):
    """Test streaming tracking on a short video with all built-in trackers and various GMC/ReID configurations.

    Note imgsz=160 required for tracking for higher confidence and better matches.
    """
    from numa_ultralytics.trackers.track import TRACKER_MAP
    from numa_ultralytics.utils import ROOT, YAML

    video_url = solution_assets("track_video")
    model = YOLO(WEIGHTS_DIR / model)  # numa: the shared weights folder

    # Default end-to-end run for all built-in trackers
    for tracker_type in TRACKER_MAP:
        kwargs = {}  # numa: save_frames=True (botsort) is not supported (README "Not supported")
        model.track(video_url, imgsz=160, tracker=f"{tracker_type}.yaml", **kwargs)

    # Test Global Motion Compensation (GMC) methods and ReID on botsort
    # numa: ReID model "auto" for the third, not the yolo26n-cls.pt classifier (ReID takes auto or an .onnx embedder)
    for gmc, reidm in zip(["orb", "sift", "ecc"], ["auto", "auto", "auto"]):
        default_args = YAML.load(ROOT / "trackers/cfg/botsort.yaml")  # numa: trackers/cfg
        custom_yaml = tmp_path / f"botsort-{gmc}.yaml"
        YAML.save(custom_yaml, {**default_args, "gmc_method": gmc, "with_reid": True, "model": reidm})
        model.track(video_url, imgsz=160, tracker=custom_yaml)

    # numa: the ONNX ReID encoder auto-download (yolo26n-reid.onnx) is left out: offline, and no shared copy


@pytest.mark.parametrize("model", MODELS)
def test_results(model: str, tmp_path):
    """Test YOLO model results processing and output in various formats."""
    im = SOURCE  # numa: no OBB model (the original gives it the boats.jpg solution asset)
    results = YOLO(WEIGHTS_DIR / model)([im, im], imgsz=160)
    for r in results:
        assert len(r), f"'{model}' results should not be empty!"
        r = r.cpu().numpy()
        print(r, len(r), r.path)  # print numpy attributes
        r = r.to(device="cpu", dtype=np.float32)  # numa: torch.float32
        r.save_txt(txt_file=tmp_path / "runs/tests/label.txt", save_conf=True)
        r.save_crop(save_dir=tmp_path / "runs/tests/crops/")
        if HAS_PANDAS:  # numa: the [pandas] extra
            r.to_df(decimals=3)  # Align to_ methods: https://docs.ultralytics.com/modes/predict#working-with-results
        r.to_csv()
        r.to_json(normalize=True)
        r.plot(pil=True, save=True, filename=tmp_path / "results_plot_save.jpg")
        r.plot(conf=True, boxes=True)
        print(r, len(r), r.path)  # print after methods
    assert (tmp_path / "results_plot_save.jpg").is_file()  # numa: plot(save=True) wrote it


def test_results_plot_without_boxes():
    """Test that plotting a masks-only Results (boxes=None) does not raise an AttributeError."""
    from numa_ultralytics.engine.results import Results

    orig_img = np.zeros((640, 640, 3), dtype=np.uint8)
    masks = np.zeros((2, 640, 640), dtype=np.float32)
    r = Results(orig_img, path="image.jpg", names={0: "a", 1: "b"}, masks=masks)
    assert r.boxes is None
    for color_mode in ("class", "instance"):
        assert r.plot(color_mode=color_mode).shape == orig_img.shape


def test_labels_and_crops(tmp_path):
    """Test output from prediction args for saving YOLO detection labels and crops."""
    imgs = [SOURCE, ASSETS / "zidane.jpg"]
    model = YOLO(WEIGHTS_DIR / "yolo26n.pt")
    # numa: imgsz=320, not 160: the original runs these two images as one batch padded to 160x160, where bus.jpg has 4
    # detections; this package letterboxes each frame alone (160x128: 1 detection, as the original gives it alone)
    results = model(imgs, imgsz=320, save_txt=True, save_crop=True)
    save_path = Path(results[0].save_dir)
    for r in results:
        im_name = Path(r.path).stem
        cls_idxs = r.boxes.cls.int().tolist()
        # Check that detections are made (at least 2 detections per image expected)
        assert len(cls_idxs) >= 2, f"Expected at least 2 detections, got {len(cls_idxs)}"
        # Check label path
        labels = save_path / f"labels/{im_name}.txt"
        assert labels.exists(), f"Label file {labels} does not exist"
        # Check detections match label count
        label_count = len([line for line in labels.read_text().splitlines() if line])
        assert len(r.boxes.data) == label_count, f"Box count {len(r.boxes.data)} != label count {label_count}"
        # Check crops path and files
        crop_dirs = list((save_path / "crops").iterdir())
        crop_files = [f for p in crop_dirs for f in p.glob("*")]
        # Crop directories match detections
        crop_dir_names = {d.name for d in crop_dirs}
        assert all(r.names.get(c) in crop_dir_names for c in cls_idxs), (
            f"Crop dirs {crop_dir_names} don't match classes {cls_idxs}"
        )
        # Same number of crops as detections
        crop_count = len([f for f in crop_files if im_name in f.name])
        assert crop_count == len(r.boxes.data), f"Crop count {crop_count} != detection count {len(r.boxes.data)}"

    model(SOURCE, imgsz=160, save_crop=True, verbose=False, project=tmp_path, name="crop", exist_ok=True)
    assert any((tmp_path / "crop/crops").rglob("*.jpg")), "save_crop=True alone must write crop files"
