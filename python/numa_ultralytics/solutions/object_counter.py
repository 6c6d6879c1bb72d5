"""``ObjectCounter``: objects crossing a line or entering a polygon, counted in and out, per class (8.4.190)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from numa_ultralytics.utils.plotting import colors

from .solutions import BaseSolution, SolutionAnnotator, SolutionResults


class ObjectCounter(BaseSolution):
    """Count tracks crossing ``region``: a line (2 points; down or right is IN) or a polygon (3+ points; a track
    counts when its centre enters, or when its last move crosses the polygon from outside; direction by the region's
    longer side). Each track counts once; ``classwise_count`` holds ``{"IN": n, "OUT": n}`` per class name."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.in_count = 0
        self.out_count = 0
        self.counted_ids: set[int] = set()
        self.classwise_count: defaultdict[str, dict[str, int]] = defaultdict(lambda: {"IN": 0, "OUT": 0})
        self.region_initialized = False
        self.show_in = self.CFG["show_in"]
        self.show_out = self.CFG["show_out"]
        self.margin = self.line_width * 2

    def _count(self, cls: Any, inward: bool) -> None:
        key = "IN" if inward else "OUT"
        if inward:
            self.in_count += 1
        else:
            self.out_count += 1
        self.classwise_count[self.names[int(cls)]][key] += 1

    def count_objects(self, current_centroid: tuple[float, float], track_id: int, prev_position: Any, cls: Any) -> None:
        """Count ``track_id`` if its move from ``prev_position`` to ``current_centroid`` crosses the region."""
        if prev_position is None or track_id in self.counted_ids:
            return
        if len(self.region) == 2:  # a line
            if self.r_s.intersects(self.LineString([prev_position, current_centroid])):
                (x0, y0), (x1, y1) = self.region[0], self.region[1]
                if abs(x0 - x1) < abs(y0 - y1):  # vertical line: moving right is IN
                    self._count(cls, current_centroid[0] > prev_position[0])
                else:  # horizontal line: moving down is IN
                    self._count(cls, current_centroid[1] > prev_position[1])
                self.counted_ids.add(track_id)
        elif len(self.region) > 2 and (
            self.r_s.contains(self.Point(current_centroid))
            or (
                not self.r_s.contains(self.Point(prev_position))
                and self.r_s.crosses(self.LineString([prev_position, current_centroid]))
            )
        ):
            region_width = max(p[0] for p in self.region) - min(p[0] for p in self.region)
            region_height = max(p[1] for p in self.region) - min(p[1] for p in self.region)
            inward = (region_width < region_height and current_centroid[0] > prev_position[0]) or (
                region_width >= region_height and current_centroid[1] > prev_position[1]
            )
            self._count(cls, inward)
            self.counted_ids.add(track_id)

    def forget_tracks(self, track_ids: list[int]) -> None:
        """Also drop removed tracks from ``counted_ids``."""
        super().forget_tracks(track_ids)
        self.counted_ids.difference_update(track_ids)

    def display_counts(self, plot_im: np.ndarray) -> None:
        """Per-class ``IN n OUT n`` lines in the top-right corner (classes with a shown non-zero count)."""
        labels_dict = {
            str.capitalize(key): f"{'IN ' + str(value['IN']) if self.show_in else ''} "
            f"{'OUT ' + str(value['OUT']) if self.show_out else ''}".strip()
            for key, value in self.classwise_count.items()
            if (value["IN"] != 0 and self.show_in) or (value["OUT"] != 0 and self.show_out)
        }
        if labels_dict:
            self.annotator.display_analytics(plot_im, labels_dict, (104, 31, 17), (255, 255, 255), self.margin)

    def process(self, im0: np.ndarray) -> SolutionResults:
        """Track ``im0``, draw the region and the boxes, count, draw the counts."""
        if not self.region_initialized:
            self.initialize_region()
            self.region_initialized = True
        self.extract_tracks(im0)
        self.annotator = SolutionAnnotator(im0, line_width=self.line_width)
        self.annotator.draw_region(reg_pts=self.region, color=(104, 0, 123), thickness=self.line_width * 2)
        for box, track_id, cls, conf in zip(self.boxes, self.track_ids, self.clss, self.confs):
            self.annotator.box_label(box, label=self.adjust_box_label(cls, conf, track_id), color=colors(cls, True))
            self.store_tracking_history(track_id, box)
            history = self.track_history[track_id]
            prev_position = history[-2] if len(history) > 1 else None
            self.count_objects(history[-1], track_id, prev_position, cls)
        plot_im = self.annotator.result()
        self.display_counts(plot_im)
        self.display_output(plot_im)
        return SolutionResults(
            plot_im=plot_im,
            in_count=self.in_count,
            out_count=self.out_count,
            classwise_count=dict(self.classwise_count),
            total_tracks=len(self.track_ids),
        )
