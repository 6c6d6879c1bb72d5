"""``ObjectCropper``: every detection of every frame saved as ``crop_<n>.jpg`` in ``crop_dir`` (8.4.190)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from numa_ultralytics.utils.plotting import save_one_box

from .solutions import BaseSolution, SolutionResults


def write_crop(crop: np.ndarray, file: Path) -> None:
    """A crop as JPEG the way 8.4.190's ``save_one_box`` writes it: Pillow, quality 95, no chroma subsampling (OpenCV
    with 4:4:4 sampling when Pillow is not installed)."""
    try:
        from PIL import Image
    except ImportError:
        params = [cv2.IMWRITE_JPEG_QUALITY, 95, cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444]
        if not cv2.imwrite(str(file), np.ascontiguousarray(crop), params):
            raise OSError(f"could not write {file}") from None
        return
    Image.fromarray(np.ascontiguousarray(crop[..., ::-1])).save(file, quality=95, subsampling=0)


class ObjectCropper(BaseSolution):
    """Predict (no tracking) and save each box (``save_one_box``'s rule: gain 1.02, pad 10) as ``crop_<n>.jpg``;
    ``plot_im`` is the frame itself, ``total_crop_objects`` the crops so far."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.crop_dir = self.CFG["crop_dir"]
        Path(self.crop_dir).mkdir(parents=True, exist_ok=True)
        if self.CFG["show"]:
            self.LOGGER.warning(f"show=True is not supported for ObjectCropper; saving crops to '{self.crop_dir}'.")
            self.CFG["show"] = False
        self.crop_idx = 0

    def process(self, im0: np.ndarray) -> SolutionResults:
        """Predict ``im0`` and save its crops."""
        predict_args = {k: v for k, v in self.track_add_args.items() if k != "tracker"}
        with self.profilers[0]:
            results = self.model.predict(im0, classes=self.classes, verbose=False, **predict_args)[0]
            boxes = results.boxes
            self.clss = boxes.cls.tolist()
        for xyxy in boxes.xyxy:
            self.crop_idx += 1
            crop = save_one_box(xyxy, im0, save=False)
            write_crop(crop, Path(self.crop_dir) / f"crop_{self.crop_idx}.jpg")
        return SolutionResults(plot_im=im0, total_crop_objects=self.crop_idx)
