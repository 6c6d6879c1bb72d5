"""``RegionCounter``: how many tracked objects are inside each named region, per frame (8.4.190)."""

from __future__ import annotations

from typing import Any

import numpy as np

from numa_ultralytics.utils.plotting import colors

from .solutions import BaseSolution, SolutionAnnotator, SolutionResults


class RegionCounter(BaseSolution):
    """``region``: a polygon (named ``Region#01``) or ``{name: polygon}``; each frame counts the box centres strictly
    inside each polygon (``region_counts``: name -> count)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.region_template: dict[str, Any] = {
            "name": "Default Region",
            "polygon": None,
            "prepared_polygon": None,
            "counts": 0,
            "region_color": (255, 255, 255),
            "text_color": (0, 0, 0),
        }
        self.region_counts: dict[str, int] = {}
        self.counting_regions: list[dict[str, Any]] = []
        self.initialize_regions()

    def add_region(
        self, name: str, polygon_points: list[Any], region_color: tuple[int, int, int], text_color: tuple[int, int, int]
    ) -> dict[str, Any]:
        """Add a named polygon (3 points at least)."""
        if len(polygon_points) < 3:
            raise ValueError(
                f"RegionCounter requires regions with at least 3 points to form a polygon, but got "
                f"{len(polygon_points)} for '{name}'."
            )
        polygon = self.Polygon(polygon_points)
        region = self.region_template.copy()
        region.update(
            {
                "name": name,
                "polygon": polygon,
                "prepared_polygon": self.prep(polygon),
                "region_color": region_color,
                "text_color": text_color,
            }
        )
        self.counting_regions.append(region)
        return region

    def initialize_regions(self) -> None:
        """``region`` (default: BaseSolution's) as named regions coloured by the palette."""
        if self.region is None:
            self.initialize_region()
        if not isinstance(self.region, dict):
            self.region = {"Region#01": self.region}
        for i, (name, pts) in enumerate(self.region.items()):
            self.add_region(name, pts, colors(i, True), (255, 255, 255))

    def process(self, im0: np.ndarray) -> SolutionResults:
        """Track ``im0``, count the centres in each region, draw the regions and their counts."""
        self.extract_tracks(im0)
        annotator = SolutionAnnotator(im0, line_width=self.line_width)
        self.region_counts = {region["name"]: 0 for region in self.counting_regions}
        for box, cls, track_id, conf in zip(self.boxes, self.clss, self.track_ids, self.confs):
            annotator.box_label(box, label=self.adjust_box_label(cls, conf, track_id), color=colors(track_id, True))
            x0, y0, x1, y1 = self.get_enclosing_box(box)
            center = self.Point(((x0 + x1) / 2, (y0 + y1) / 2))
            for region in self.counting_regions:
                if region["prepared_polygon"].contains(center):
                    region["counts"] += 1
                    self.region_counts[region["name"]] = region["counts"]
        for region in self.counting_regions:
            poly = region["polygon"]
            c = poly.centroid
            x1, y1 = x2, y2 = int(c.x), int(c.y)
            annotator.draw_region(poly.exterior.coords, region["region_color"], self.line_width * 2)
            annotator.adaptive_label(
                [x1, y1, x2, y2],
                label=str(region["counts"]),
                color=region["region_color"],
                txt_color=region["text_color"],
                margin=self.line_width * 4,
                shape="rect",
            )
            region["counts"] = 0
        plot_im = annotator.result()
        self.display_output(plot_im)
        return SolutionResults(plot_im=plot_im, total_tracks=len(self.track_ids), region_counts=self.region_counts)
