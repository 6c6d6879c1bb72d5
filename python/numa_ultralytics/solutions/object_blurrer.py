"""``ObjectBlurrer``: every tracked object's box blurred in the frame (8.4.190)."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from numa_ultralytics.utils.plotting import colors

from .solutions import BaseSolution, SolutionAnnotator, SolutionResults


class ObjectBlurrer(BaseSolution):
    """Box-blur each tracked box (kernel ``int(blur_ratio * 100)``; a ratio under 0.1 becomes 0.5) and label it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        blur_ratio = self.CFG["blur_ratio"]
        if blur_ratio < 0.1:
            self.LOGGER.warning("blur ratio cannot be less than 0.1, updating it to default value 0.5")
            blur_ratio = 0.5
        self.blur_ratio = int(blur_ratio * 100)

    def process(self, im0: np.ndarray) -> SolutionResults:
        """Track ``im0`` and blur its boxes in place."""
        self.extract_tracks(im0)
        annotator = SolutionAnnotator(im0, self.line_width)
        h, w = im0.shape[:2]
        for box, cls, conf in zip(self.boxes, self.clss, self.confs):
            x0, y0, x1, y1 = map(int, self.get_enclosing_box(box))
            x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
            if x0 >= x1 or y0 >= y1:
                continue
            im0[y0:y1, x0:x1] = cv2.blur(im0[y0:y1, x0:x1], (self.blur_ratio, self.blur_ratio))
            annotator.box_label(box, label=self.adjust_box_label(cls, conf) or "", color=colors(cls, True))
        plot_im = annotator.result()
        self.display_output(plot_im)
        return SolutionResults(plot_im=plot_im, total_tracks=len(self.track_ids))
