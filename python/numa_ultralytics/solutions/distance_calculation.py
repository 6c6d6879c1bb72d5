"""``DistanceCalculation``: the pixel distance between two tracks chosen with the mouse (8.4.190)."""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np

from numa_ultralytics.utils.plotting import colors

from .solutions import WINDOW, BaseSolution, SolutionAnnotator, SolutionResults


class DistanceCalculation(BaseSolution):
    """Left-click two tracked boxes (in the ``show=True`` window, or call ``mouse_event_for_distance``) to see the
    distance between their centres; right-click clears the choice."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.selected_boxes: dict[int, Any] = {}
        self.centroids: list[list[int]] = []

    def mouse_event_for_distance(self, event: int, x: int, y: int, flags: int, param: Any) -> None:
        """Select the tracked box under a left click (two at most); a right click clears the selection."""
        if event == cv2.EVENT_LBUTTONDOWN:
            if len(self.selected_boxes) < 2:
                for box, track_id in zip(self.boxes, self.track_ids):
                    x0, y0, x1, y1 = self.get_enclosing_box(box)
                    if x0 < x < x1 and y0 < y < y1 and track_id not in self.selected_boxes:
                        self.selected_boxes[track_id] = box
                        break
        elif event == cv2.EVENT_RBUTTONDOWN:
            self.selected_boxes = {}

    def forget_tracks(self, track_ids: list[int]) -> None:
        """Also unselect removed tracks."""
        super().forget_tracks(track_ids)
        for track_id in track_ids:
            self.selected_boxes.pop(track_id, None)

    def process(self, im0: np.ndarray) -> SolutionResults:
        """Track ``im0``, follow the selected tracks, draw the distance between them."""
        self.extract_tracks(im0)
        annotator = SolutionAnnotator(im0, line_width=self.line_width)
        pixels_distance: float = 0
        for box, track_id, cls, conf in zip(self.boxes, self.track_ids, self.clss, self.confs):
            annotator.box_label(
                box, color=colors(int(cls), True), label=self.adjust_box_label(cls, conf, track_id) or ""
            )
            if len(self.selected_boxes) == 2:
                for trk_id in self.selected_boxes:
                    if trk_id == track_id:
                        self.selected_boxes[track_id] = box
        if len(self.selected_boxes) == 2:
            self.centroids.extend(
                [int((box[0] + box[2]) // 2), int((box[1] + box[3]) // 2)]
                for box in map(self.get_enclosing_box, self.selected_boxes.values())
            )
            c0, c1 = self.centroids[0], self.centroids[1]
            pixels_distance = math.sqrt((c0[0] - c1[0]) ** 2 + (c0[1] - c1[1]) ** 2)
            annotator.plot_distance_and_line(pixels_distance, self.centroids)
        self.centroids = []
        plot_im = annotator.result()
        self.display_output(plot_im)
        if self.CFG.get("show") and self.env_check:
            cv2.setMouseCallback(WINDOW, self.mouse_event_for_distance)
        return SolutionResults(plot_im=plot_im, pixels_distance=pixels_distance, total_tracks=len(self.track_ids))
