"""``TrackZone``: tracking only inside a region (its convex hull); the rest of the frame is masked out (8.4.190)."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from numa_ultralytics.utils.plotting import colors

from .solutions import BaseSolution, SolutionAnnotator, SolutionResults

DEFAULT_ZONE = [(75, 75), (565, 75), (565, 285), (75, 285)]


class TrackZone(BaseSolution):
    """Track the frame masked to the convex hull of ``region`` (default ``DEFAULT_ZONE``); draw the zone and boxes."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.region = cv2.convexHull(np.array(self.region or DEFAULT_ZONE, dtype=np.int32))
        self.mask: Any = None

    def process(self, im0: np.ndarray) -> SolutionResults:
        """Track inside the zone and draw."""
        annotator = SolutionAnnotator(im0, line_width=self.line_width)
        if self.mask is None:
            self.mask = np.zeros_like(im0[:, :, 0])
            cv2.fillPoly(self.mask, [self.region], 255)
        self.extract_tracks(cv2.bitwise_and(im0, im0, mask=self.mask))
        cv2.polylines(im0, [self.region], isClosed=True, color=(255, 255, 255), thickness=self.line_width * 2)
        for box, track_id, cls, conf in zip(self.boxes, self.track_ids, self.clss, self.confs):
            label = self.adjust_box_label(cls, conf, track_id=track_id)
            annotator.box_label(box, label=label, color=colors(track_id, True))
        plot_im = annotator.result()
        self.display_output(plot_im)
        return SolutionResults(plot_im=plot_im, total_tracks=len(self.track_ids))
