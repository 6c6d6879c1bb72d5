"""Inference sources (images, videos, folders, globs, cameras, streams) as iterators of frames."""

from numa_ultralytics.data.loaders import InferenceSource, load_inference_source
from numa_ultralytics.data.sources import IMG_FORMATS, VID_FORMATS, SourceItem

__all__ = ["IMG_FORMATS", "VID_FORMATS", "InferenceSource", "SourceItem", "load_inference_source"]
