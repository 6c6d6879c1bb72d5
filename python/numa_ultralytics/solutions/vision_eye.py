"""``VisionEye``: a line from a fixed point (the eye) to every tracked object (8.4.190)."""

from __future__ import annotations

from typing import Any

import numpy as np

from numa_ultralytics.utils.plotting import colors

from .solutions import BaseSolution, SolutionAnnotator, SolutionResults


class VisionEye(BaseSolution):
    """Label each tracked box and join its centre to ``vision_point``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.vision_point = self.CFG["vision_point"]

    def process(self, im0: np.ndarray) -> SolutionResults:
        """Track ``im0`` and draw the boxes and eye lines."""
        self.extract_tracks(im0)
        annotator = SolutionAnnotator(im0, self.line_width)
        for cls, t_id, box, conf in zip(self.clss, self.track_ids, self.boxes, self.confs):
            annotator.box_label(box, label=self.adjust_box_label(cls, conf, t_id) or "", color=colors(int(t_id), True))
            annotator.visioneye(self.get_enclosing_box(box), self.vision_point)
        plot_im = annotator.result()
        self.display_output(plot_im)
        return SolutionResults(plot_im=plot_im, total_tracks=len(self.track_ids))
