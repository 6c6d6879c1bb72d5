"""``InstanceSegmentation``: each frame tracked and drawn as ``Results.plot(color_mode="instance")`` (8.4.190)."""

from __future__ import annotations

from typing import Any

import numpy as np

from numa_ultralytics.utils.plotting import draw_plot

from .solutions import BaseSolution, SolutionResults

DEFAULT_SEG_MODEL = "yolo26n-seg.pt"


class InstanceSegmentation(BaseSolution):
    """Segment and track; ``plot_im`` is the frame with masks, boxes and ``id name conf`` labels coloured by track.

    Args:
        **kwargs: ``SolutionConfig`` keys; ``model`` defaults to ``yolo26n-seg.pt``.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs["model"] = kwargs.get("model", DEFAULT_SEG_MODEL)
        super().__init__(**kwargs)
        self.show_conf = self.CFG.get("show_conf", True)
        self.show_labels = self.CFG.get("show_labels", True)
        self.show_boxes = self.CFG.get("show_boxes", True)

    def process(self, im0: np.ndarray) -> SolutionResults:
        """Track ``im0`` and draw its instances."""
        self.extract_tracks(im0)
        self.masks = getattr(self.tracks, "masks", None)
        if self.masks is None:
            self.LOGGER.warning("No masks detected! Ensure you're using a supported Ultralytics segmentation model.")
            plot_im = im0
        else:
            plot_im = draw_plot(
                self.tracks,
                im0,
                line_width=self.line_width,
                boxes=self.show_boxes,
                conf=self.show_conf,
                labels=self.show_labels,
                color_mode="instance",
            )
        self.display_output(plot_im)
        return SolutionResults(plot_im=plot_im, total_tracks=len(self.track_ids))
