"""``SpeedEstimator``: each track's speed from its first ``max_hist`` centres, then fixed (8.4.190)."""

from __future__ import annotations

from collections import deque
from math import sqrt
from typing import Any

import numpy as np

from numa_ultralytics.utils.plotting import colors

from .solutions import BaseSolution, SolutionAnnotator, SolutionResults


class SpeedEstimator(BaseSolution):
    """Speed (km/h, an int, at most ``max_speed``) = distance between the first and ``max_hist``-th centres x
    ``meter_per_pixel`` over the frames between them / ``fps``; once measured it is locked for the track."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fps = self.CFG["fps"]
        self.frame_count = 0
        self.trk_frame_ids: dict[int, int] = {}
        self.spd: dict[int, int] = {}
        self.trk_hist: dict[int, deque[tuple[float, float]]] = {}
        self.locked_ids: set[int] = set()
        self.max_hist = self.CFG["max_hist"]
        self.meter_per_pixel = self.CFG["meter_per_pixel"]
        self.max_speed = self.CFG["max_speed"]

    def forget_tracks(self, track_ids: list[int]) -> None:
        """Also drop removed tracks' speeds and histories."""
        super().forget_tracks(track_ids)
        for track_id in track_ids:
            self.trk_hist.pop(track_id, None)
            self.trk_frame_ids.pop(track_id, None)
            self.spd.pop(track_id, None)
            self.locked_ids.discard(track_id)

    def process(self, im0: np.ndarray) -> SolutionResults:
        """Track ``im0``, measure new tracks, label the measured ones with their speed."""
        self.frame_count += 1
        self.extract_tracks(im0)
        annotator = SolutionAnnotator(im0, line_width=self.line_width)
        for box, track_id in zip(self.boxes, self.track_ids):
            self.store_tracking_history(track_id, box)
            if track_id not in self.trk_hist:
                self.trk_hist[track_id] = deque(maxlen=self.max_hist)
                self.trk_frame_ids[track_id] = self.frame_count
            if track_id not in self.locked_ids:
                trk_hist = self.trk_hist[track_id]
                assert self.track_line is not None
                trk_hist.append(self.track_line[-1])
                if len(trk_hist) == self.max_hist:
                    p0, p1 = trk_hist[0], trk_hist[-1]
                    dt = (self.frame_count - self.trk_frame_ids[track_id]) / self.fps
                    if dt > 0:
                        dx, dy = p1[0] - p0[0], p1[1] - p0[1]
                        meters = sqrt(dx * dx + dy * dy) * self.meter_per_pixel
                        self.spd[track_id] = int(min(meters / dt * 3.6, self.max_speed))
                        self.locked_ids.add(track_id)
                        self.trk_hist.pop(track_id, None)
                        self.trk_frame_ids.pop(track_id, None)
            if track_id in self.spd:
                speed_label = f"{self.spd[track_id]} km/h" if self.show_labels else None
                annotator.box_label(box, label=speed_label or "", color=colors(track_id, True))
        plot_im = annotator.result()
        self.display_output(plot_im)
        speed_dict = {t: self.spd[t] for t in self.track_ids if t in self.spd}
        return SolutionResults(plot_im=plot_im, total_tracks=len(self.track_ids), speed_dict=speed_dict)
