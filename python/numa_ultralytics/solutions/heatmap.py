"""``Heatmap``: where tracked objects have been, optionally with ``ObjectCounter``'s counting (8.4.190)."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from .object_counter import ObjectCounter
from .solutions import SolutionAnnotator, SolutionResults


class Heatmap(ObjectCounter):
    """Each frame adds 2 inside the circle inscribed in every tracked box; the map, min-max normalised and coloured
    with ``colormap``, is blended half and half over the frame. With a ``region``, objects are also counted."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.initialized = False
        if self.region is not None:
            self.initialize_region()
        self.colormap = self.CFG["colormap"]
        self.heatmap: Any = None

    def heatmap_effect(self, box: Any) -> None:
        """Add 2 inside the circle inscribed in ``box`` (clipped to the frame)."""
        x0, y0, x1, y1 = map(int, self.get_enclosing_box(box))
        h, w = self.heatmap.shape[:2]
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        radius_squared = (min(x1 - x0, y1 - y0) // 2) ** 2
        xv, yv = np.meshgrid(np.arange(x0, x1), np.arange(y0, y1))
        dist_squared = (xv - (x0 + x1) // 2) ** 2 + (yv - (y0 + y1) // 2) ** 2
        self.heatmap[y0:y1, x0:x1][dist_squared <= radius_squared] += 2

    def process(self, im0: np.ndarray) -> SolutionResults:
        """Track ``im0``, update the map (and the counts), blend it over the frame."""
        if not self.initialized:
            self.heatmap = np.zeros(im0.shape[:2], dtype=np.float32)
            self.initialized = True
        self.extract_tracks(im0)
        self.annotator = SolutionAnnotator(im0, line_width=self.line_width)
        if self.region is not None:
            self.annotator.draw_region(reg_pts=self.region, color=(104, 0, 123), thickness=self.line_width * 2)
        for box, track_id, cls in zip(self.boxes, self.track_ids, self.clss):
            self.heatmap_effect(box)
            if self.region is not None:
                self.store_tracking_history(track_id, box)
                history = self.track_history[track_id]
                prev_position = history[-2] if len(history) > 1 else None
                self.count_objects(history[-1], track_id, prev_position, cls)
        plot_im = self.annotator.result()
        if self.region is not None:
            self.display_counts(plot_im)
        if self.heatmap.any():
            normalized = cv2.normalize(self.heatmap, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
            plot_im = cv2.addWeighted(plot_im, 0.5, cv2.applyColorMap(normalized, self.colormap), 0.5, 0)
        self.display_output(plot_im)
        return SolutionResults(
            plot_im=plot_im,
            in_count=self.in_count,
            out_count=self.out_count,
            classwise_count=dict(self.classwise_count),
            total_tracks=len(self.track_ids),
        )
