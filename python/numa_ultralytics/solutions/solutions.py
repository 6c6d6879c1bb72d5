"""``BaseSolution`` (model, tracking, track history, regions, output), ``SolutionAnnotator`` (the solutions' drawing:
8.4.190's geometry, fonts and colours) and ``SolutionResults`` (what a solution returns per frame), as in Ultralytics
8.4.190's ``solutions/solutions.py``.

Regions use solutions/geometry.py instead of shapely (``self.LineString``, ``self.Polygon``, ``self.Point``,
``self.prep``). Tracking is ``YOLO.track(frame, persist=True, ...)``; the tracks a tracker dropped in the frame come
from ``model.predictor.trackers[0].removed_stracks_frame`` as in the original.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from functools import lru_cache
from typing import Any

import cv2
import numpy as np

from numa_ultralytics.engine.model import YOLO
from numa_ultralytics.utils.display import LOGGER, check_imshow
from numa_ultralytics.utils.plotting import Annotator

from . import geometry
from .config import SolutionConfig

DEFAULT_MODEL = "yolo26n.pt"  # 8.4.190's BaseSolution default (InstanceSegmentation: "yolo26n-seg.pt")
DEFAULT_REGION = [(10, 200), (540, 200), (540, 180), (10, 180)]  # BaseSolution.initialize_region's default
WINDOW = "Ultralytics Solutions"
TRACK_KEYS = ("iou", "conf", "device", "max_det", "quantize", "tracker", "imgsz")


class Profile:
    """A wall-clock timer used as a context manager: ``dt`` is the last block's seconds, ``t`` the total."""

    def __init__(self, t: float = 0.0, device: Any = None) -> None:
        self.t = t
        self.dt = 0.0
        self.start = 0.0

    def __enter__(self) -> Profile:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.dt = time.perf_counter() - self.start
        self.t += self.dt


def _model_kwargs(cfg: dict[str, Any]) -> dict[str, Any]:
    """The solution arguments passed to ``track`` / ``predict``: ``quantize=16`` is ``half=True`` here (fp16 graph on
    CUDA, bf16 on CPUs with bf16 units), ``quantize`` None / 32 is fp32; other values are refused."""
    kw = {k: cfg[k] for k in TRACK_KEYS if k != "quantize"}
    q = cfg.get("quantize")
    if q in (16, "16", "fp16", "half"):
        kw["quantize"] = 16  # half=True (not passed as half: that is a deprecated spelling, with a warning)
    elif q not in (None, 32, "32", "fp32"):
        raise ValueError(f"quantize={q!r} is not supported by numa_ultralytics solutions (None, 16 or 32)")
    return kw


class BaseSolution:
    """Ultralytics 8.4.190's ``BaseSolution``: configuration (``CFG``), the model, tracking of each frame
    (``extract_tracks``: ``boxes``, ``clss``, ``track_ids``, ``confs``), the track history (centres, 30 per track,
    forgotten when the tracker removes the track), the region and the display.

    Args:
        is_cli: the command line's call (``source`` is then required).
        **kwargs: ``SolutionConfig`` keys; an unknown key is a ``ValueError``.
    """

    def __init__(self, is_cli: bool = False, **kwargs: Any) -> None:
        self.CFG: dict[str, Any] = vars(SolutionConfig().update(**kwargs))
        self.LOGGER = LOGGER
        self.LineString = geometry.LineString
        self.Polygon = geometry.Polygon
        self.Point = geometry.Point
        self.prep = geometry.prep
        self.annotator: Any = None
        self.tracks: Any = None
        self.track_data: Any = None
        self.boxes: Any = []
        self.clss: list[Any] = []
        self.track_ids: list[int] = []
        self.confs: list[float] = []
        self.track_line: list[tuple[float, float]] | None = None
        self.masks: Any = None
        self.r_s: Any = None
        self.frame_no = -1  # only for logging

        self.LOGGER.info(f"Ultralytics Solutions: {self.CFG}")
        self.region: Any = self.CFG["region"]
        self.line_width = self.CFG["line_width"]
        if self.CFG["model"] is None:
            self.CFG["model"] = DEFAULT_MODEL
        self.model = YOLO(self.CFG["model"])
        self.names = self.model.names
        self.classes = self.CFG["classes"]
        self.show_conf = self.CFG["show_conf"]
        self.show_labels = self.CFG["show_labels"]
        self.device = self.CFG["device"]
        self.track_add_args = _model_kwargs(self.CFG)
        if is_cli and self.CFG["source"] is None:
            raise ValueError("source is required, e.g. source=path/to/video.mp4 (nothing is downloaded)")
        self.env_check = check_imshow(warn=True) if self.CFG["show"] else False
        self.track_history: defaultdict[int, list[tuple[float, float]]] = defaultdict(list)
        self.profilers = (Profile(device=self.device), Profile(device=self.device))  # track, solution

    def adjust_box_label(self, cls: Any, conf: float, track_id: int | None = None) -> str | None:
        """``"<id> <name> <conf>"`` as ``show_conf`` / ``show_labels`` ask; None without labels."""
        name = ("" if track_id is None else f"{track_id} ") + self.names[int(cls)]
        return (f"{name} {conf:.2f}" if self.show_conf else name) if self.show_labels else None

    def extract_tracks(self, im0: np.ndarray) -> None:
        """Track ``im0`` (``persist=True``) and keep its boxes, classes, ids and confidences."""
        with self.profilers[0]:
            self.tracks = self.model.track(
                source=im0, persist=True, classes=self.classes, verbose=False, **self.track_add_args
            )[0]
        self.track_data = self.tracks.boxes
        if self.track_data is not None and len(self.track_data) and self.track_data.is_track:
            self.boxes = self.track_data.xyxy
            self.clss = self.track_data.cls.tolist()
            self.track_ids = self.track_data.id.int().tolist()
            self.confs = self.track_data.conf.tolist()
        else:
            self.LOGGER.warning("No tracks found.")
            self.boxes, self.clss, self.track_ids, self.confs = [], [], [], []
        trackers = self.model.predictor.trackers
        self.forget_tracks([t.track_id for t in trackers[0].removed_stracks_frame] if trackers else [])

    def forget_tracks(self, track_ids: list[int]) -> None:
        """Drop the bookkeeping of tracks the tracker removed in the latest frame."""
        for track_id in track_ids:
            self.track_history.pop(track_id, None)

    def store_tracking_history(self, track_id: int, box: Any) -> None:
        """Append the box centre (float32 mean, as Python floats) to the track's line; 30 points at most."""
        self.track_line = self.track_history[track_id]
        self.track_line.append(tuple(np.asarray(box).reshape(-1, 2).mean(axis=0).tolist()))
        if len(self.track_line) > 30:
            self.track_line.pop(0)

    @staticmethod
    def get_enclosing_box(box: Any) -> Any:
        """The axis-aligned ``[x1, y1, x2, y2]`` of a box (an OBB's (4, 2) corners -> their bounds)."""
        if isinstance(box, np.ndarray) and box.size > 4:
            b = box.reshape(-1, 2)
            return np.concatenate([b.min(0), b.max(0)])
        return box

    def initialize_region(self) -> None:
        """The region (default ``DEFAULT_REGION``) as a polygon (3+ points) or a line (2 points): ``r_s``."""
        if self.region is None:
            self.region = list(DEFAULT_REGION)
        self.r_s = self.Polygon(self.region) if len(self.region) >= 3 else self.LineString(self.region)

    def display_output(self, plot_im: np.ndarray) -> None:
        """Show ``plot_im`` in a window when ``show=True`` and windows can be shown; ``q`` closes it."""
        if self.CFG.get("show") and self.env_check:
            cv2.imshow(WINDOW, plot_im)
            if cv2.waitKey(1) & 0xFF == ord("q"):
                cv2.destroyAllWindows()

    def process(self, *args: Any, **kwargs: Any) -> Any:
        """Each solution's per-frame work."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Process one frame; ``result.speed`` holds the tracking (or predict) and solution milliseconds."""
        with self.profilers[1]:
            result = self.process(*args, **kwargs)
        mode = "predict" if type(self).__name__ == "ObjectCropper" else "track"
        track_ms = self.profilers[0].dt * 1e3
        solution_ms = (self.profilers[1].dt - self.profilers[0].dt) * 1e3
        result.speed = {mode: track_ms, "solution": solution_ms}
        if self.CFG["verbose"]:
            self.frame_no += 1
            counts = Counter(self.clss)
            h, w = result.plot_im.shape[:2]
            LOGGER.info(
                f"{self.frame_no}: {h}x{w} {solution_ms:.1f}ms,"
                f" {', '.join(f'{v} {self.names[int(k)]}' for k, v in counts.items())}\n"
                f"Speed: {track_ms:.1f}ms {mode}, {solution_ms:.1f}ms solution per image at shape (1, 3, {h}, {w})\n"
            )
        return result


class SolutionAnnotator(Annotator):
    """utils/plotting.py's ``Annotator`` with the solutions' drawing (8.4.190's ``SolutionAnnotator``): regions,
    queue counts, the analytics panel, distances, sweep lines, vision-eye lines, centred labels, workout text."""

    def draw_region(self, reg_pts: Any, color: tuple[int, int, int] = (0, 255, 0), thickness: int = 5) -> None:
        """A closed polyline through ``reg_pts`` with a filled circle (radius ``2 * thickness``) at each point."""
        cv2.polylines(self.im, [np.array(reg_pts, dtype=np.int32)], isClosed=True, color=color, thickness=thickness)
        for point in reg_pts:
            cv2.circle(self.im, (int(point[0]), int(point[1])), thickness * 2, color, -1)

    def queue_counts_display(
        self,
        label: str,
        points: Any,
        region_color: tuple[int, int, int] = (255, 255, 255),
        txt_color: tuple[int, int, int] = (0, 0, 0),
    ) -> None:
        """``label`` on a filled box centred on the mean of ``points``."""
        center_x = int(sum(p[0] for p in points) // len(points))
        center_y = int(sum(p[1] for p in points) // len(points))
        text_width, text_height = cv2.getTextSize(label, 0, fontScale=self.sf, thickness=self.tf)[0]
        rect_width, rect_height = text_width + 20, text_height + 20
        top_left = (center_x - rect_width // 2, center_y - rect_height // 2)
        bottom_right = (center_x + rect_width // 2, center_y + rect_height // 2)
        cv2.rectangle(self.im, top_left, bottom_right, region_color, -1)
        org = (center_x - text_width // 2, center_y + text_height // 2)
        cv2.putText(self.im, label, org, 0, fontScale=self.sf, color=txt_color, thickness=self.tf, lineType=cv2.LINE_AA)

    def display_analytics(
        self,
        im0: np.ndarray,
        text: dict[str, Any],
        txt_color: tuple[int, int, int],
        bg_color: tuple[int, int, int],
        margin: int,
    ) -> None:
        """``label: value`` lines in filled boxes stacked down the top-right corner of ``im0``."""
        horizontal_gap = int(im0.shape[1] * 0.02)
        vertical_gap = int(im0.shape[0] * 0.01)
        text_y_offset = 0
        for label, value in text.items():
            txt = f"{label}: {value}"
            text_size = cv2.getTextSize(txt, 0, self.sf, self.tf)[0]
            if text_size[0] < 5 or text_size[1] < 5:
                text_size = (5, 5)
            text_x = im0.shape[1] - text_size[0] - margin * 2 - horizontal_gap
            text_y = text_y_offset + text_size[1] + margin * 2 + vertical_gap
            rect_x1, rect_y1 = text_x - margin * 2, text_y - text_size[1] - margin * 2
            rect_x2, rect_y2 = text_x + text_size[0] + margin * 2, text_y + margin * 2
            cv2.rectangle(im0, (rect_x1, rect_y1), (rect_x2, rect_y2), bg_color, -1)
            cv2.putText(im0, txt, (text_x, text_y), 0, self.sf, txt_color, self.tf, lineType=cv2.LINE_AA)
            text_y_offset = rect_y2

    @staticmethod
    def _point_xy(point: Any) -> tuple[float, float]:
        if hasattr(point, "tolist"):
            point = point.tolist()
        return float(point[0]), float(point[1])

    @staticmethod
    @lru_cache(maxsize=256)
    def _estimate_pose_angle_cached(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> float:
        radians = math.atan2(c[1] - b[1], c[0] - b[0]) - math.atan2(a[1] - b[1], a[0] - b[0])
        angle = abs(radians * 180.0 / math.pi)
        return angle if angle <= 180.0 else (360 - angle)

    @staticmethod
    def estimate_pose_angle(a: Any, b: Any, c: Any) -> float:
        """The angle at ``b`` between ``a`` and ``c``, in degrees (0..180)."""
        p = SolutionAnnotator._point_xy
        return SolutionAnnotator._estimate_pose_angle_cached(p(a), p(b), p(c))

    def draw_specific_kpts(
        self, keypoints: Any, indices: list[int] | None = None, radius: int = 2, conf_thresh: float = 0.25
    ) -> np.ndarray:
        """The keypoints ``indices`` (default [2, 5, 7]) above ``conf_thresh``, joined by green lines."""
        indices = indices or [2, 5, 7]
        n = len(keypoints)
        points = [
            (int(keypoints[j][0]), int(keypoints[j][1]))
            for j in indices
            if 0 <= j < n and (float(keypoints[j][2]) if len(keypoints[j]) > 2 else 1.0) >= conf_thresh
        ]
        for start, end in zip(points[:-1], points[1:]):
            cv2.line(self.im, start, end, (0, 255, 0), 2, lineType=cv2.LINE_AA)
        for pt in points:
            cv2.circle(self.im, pt, radius, (0, 0, 255), -1, lineType=cv2.LINE_AA)
        return self.im

    def plot_workout_information(
        self,
        display_text: str,
        position: tuple[int, int],
        color: tuple[int, int, int] = (104, 31, 17),
        txt_color: tuple[int, int, int] = (255, 255, 255),
    ) -> int:
        """``display_text`` on a filled box at ``position``; returns the text height."""
        (text_width, text_height), _ = cv2.getTextSize(display_text, 0, fontScale=self.sf, thickness=self.tf)
        cv2.rectangle(
            self.im,
            (position[0], position[1] - text_height - 5),
            (position[0] + text_width + 10, position[1] - text_height - 5 + text_height + 10 + self.tf),
            color,
            -1,
        )
        cv2.putText(self.im, display_text, position, 0, self.sf, txt_color, self.tf)
        return int(text_height)

    def plot_angle_and_count_and_stage(
        self,
        angle_text: float,
        count_text: int,
        stage_text: str,
        center_kpt: Any,
        color: tuple[int, int, int] = (104, 31, 17),
        txt_color: tuple[int, int, int] = (255, 255, 255),
    ) -> None:
        """Angle, ``Steps : n`` and stage, stacked from ``center_kpt``."""
        a, c, s = f" {angle_text:.2f}", f"Steps : {count_text}", f" {stage_text}"
        x, y = int(center_kpt[0]), int(center_kpt[1])
        ah = self.plot_workout_information(a, (x, y), color, txt_color)
        ch = self.plot_workout_information(c, (x, y + ah + 20), color, txt_color)
        self.plot_workout_information(s, (x, y + ah + ch + 40), color, txt_color)

    def plot_distance_and_line(
        self,
        pixels_distance: float,
        centroids: list[Any],
        line_color: tuple[int, int, int] = (104, 31, 17),
        centroid_color: tuple[int, int, int] = (255, 0, 255),
    ) -> None:
        """``Pixels Distance: d`` in the top-left corner and a line between the two centroids."""
        text = f"Pixels Distance: {pixels_distance:.2f}"
        (text_width_m, text_height_m), _ = cv2.getTextSize(text, 0, self.sf, self.tf)
        cv2.rectangle(self.im, (15, 25), (15 + text_width_m + 20, 25 + text_height_m + 20), line_color, -1)
        cv2.putText(self.im, text, (25, 25 + text_height_m + 10), 0, self.sf, (255, 255, 255), self.tf, cv2.LINE_AA)
        c0, c1 = tuple(centroids[0]), tuple(centroids[1])
        cv2.line(self.im, c0, c1, line_color, 3)
        cv2.circle(self.im, c0, 6, centroid_color, -1)
        cv2.circle(self.im, c1, 6, centroid_color, -1)

    def display_objects_labels(
        self,
        im0: np.ndarray,
        text: str,
        txt_color: tuple[int, int, int],
        bg_color: tuple[int, int, int],
        x_center: float,
        y_center: float,
        margin: int,
    ) -> None:
        """``text`` on a filled box centred at (``x_center``, ``y_center``)."""
        text_size = cv2.getTextSize(text, 0, fontScale=self.sf, thickness=self.tf)[0]
        text_x = x_center - text_size[0] // 2
        text_y = y_center + text_size[1] // 2
        p1 = (int(text_x - margin), int(text_y - text_size[1] - margin))
        p2 = (int(text_x + text_size[0] + margin), int(text_y + margin))
        cv2.rectangle(im0, p1, p2, tuple(map(int, bg_color)), -1)
        org = (int(text_x), int(text_y))
        cv2.putText(im0, text, org, 0, self.sf, tuple(map(int, txt_color)), self.tf, lineType=cv2.LINE_AA)

    def sweep_annotator(
        self,
        line_x: int = 0,
        line_y: int = 0,
        label: str | None = None,
        color: tuple[int, int, int] = (221, 0, 186),
        txt_color: tuple[int, int, int] = (255, 255, 255),
    ) -> None:
        """A vertical line at ``line_x`` down to ``line_y``, with ``label`` on a box at its middle."""
        cv2.line(self.im, (line_x, 0), (line_x, line_y), color, self.tf * 2)
        if label:
            (tw, th), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, self.sf, self.tf)
            p1 = (line_x - tw // 2 - 10, line_y // 2 - th // 2 - 10)
            p2 = (line_x + tw // 2 + 10, line_y // 2 + th // 2 + 10)
            cv2.rectangle(self.im, p1, p2, color, -1)
            org = (line_x - tw // 2, line_y // 2 + th // 2)
            cv2.putText(self.im, label, org, cv2.FONT_HERSHEY_SIMPLEX, self.sf, txt_color, self.tf)

    def visioneye(
        self,
        box: Any,
        center_point: tuple[int, int],
        color: tuple[int, int, int] = (235, 219, 11),
        pin_color: tuple[int, int, int] = (255, 0, 255),
    ) -> None:
        """A line from ``center_point`` (a pin) to the box centre (a dot)."""
        center_bbox = int((box[0] + box[2]) / 2), int((box[1] + box[3]) / 2)
        center_point = (int(center_point[0]), int(center_point[1]))
        cv2.circle(self.im, center_point, self.tf * 2, pin_color, -1)
        cv2.circle(self.im, center_bbox, self.tf * 2, color, -1)
        cv2.line(self.im, center_point, center_bbox, color, self.tf)

    def adaptive_label(
        self,
        box: Any,
        label: str = "",
        color: tuple[int, int, int] = (128, 128, 128),
        txt_color: tuple[int, int, int] = (255, 255, 255),
        shape: str = "rect",
        margin: int = 5,
    ) -> None:
        """``label`` on a filled rectangle (or circle: 3 letters at most) centred in ``box``."""
        if shape == "circle" and len(label) > 3:
            LOGGER.warning(f"Length of label is {len(label)}, only first 3 letters will be used for circle annotation.")
            label = label[:3]
        x_center, y_center = int((box[0] + box[2]) / 2), int((box[1] + box[3]) / 2)
        text_size = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, self.sf - 0.15, self.tf)[0]
        text_x, text_y = x_center - text_size[0] // 2, y_center + text_size[1] // 2
        if shape == "circle":
            radius = int(((text_size[0] ** 2 + text_size[1] ** 2) ** 0.5) / 2) + margin
            cv2.circle(self.im, (x_center, y_center), radius, color, -1)
        else:
            p1 = (text_x - margin, text_y - text_size[1] - margin)
            p2 = (text_x + text_size[0] + margin, text_y + margin)
            cv2.rectangle(self.im, p1, p2, color, -1)
        cv2.putText(
            self.im,
            label,
            (text_x, text_y),
            cv2.FONT_HERSHEY_SIMPLEX,
            self.sf - 0.15,
            self.get_txt_color(color, txt_color),
            self.tf,
            lineType=cv2.LINE_AA,
        )


class SolutionResults:
    """What a solution returns for a frame (8.4.190's fields and defaults): ``plot_im``, ``in_count``,
    ``out_count``, ``classwise_count``, ``queue_count``, ``workout_count``, ``workout_angle``, ``workout_stage``,
    ``pixels_distance``, ``available_slots``, ``filled_slots``, ``email_sent``, ``total_tracks``, ``region_counts``,
    ``speed_dict``, ``total_crop_objects``, ``speed`` (milliseconds: ``track`` or ``predict``, ``solution``)."""

    def __init__(self, **kwargs: Any) -> None:
        self.plot_im: Any = None
        self.in_count = 0
        self.out_count = 0
        self.classwise_count: dict[str, Any] = {}
        self.queue_count = 0
        self.workout_count: list[int] = []
        self.workout_angle: list[float] = []
        self.workout_stage: list[str] = []
        self.pixels_distance = 0.0
        self.available_slots = 0
        self.filled_slots = 0
        self.email_sent = False
        self.total_tracks = 0
        self.region_counts: dict[str, int] = {}
        self.speed_dict: dict[int, int] = {}
        self.total_crop_objects = 0
        self.speed: dict[str, float] = {}
        self.__dict__.update(kwargs)

    def __str__(self) -> str:
        """The fields that are set (not empty, not zero), ``plot_im`` left out."""
        return ", ".join(f"{k}={v}" for k, v in self.__dict__.items() if k != "plot_im" and v)
