"""Names the ONNX graphs built here share with the backend that runs them (a leaf: nn/onnx_builder.py writes them,
nn/autobackend.py reads them, neither imports the other)."""

from __future__ import annotations

__all__ = ["FEATURE_OUTPUT_PREFIX"]

#: Graphs built for predict (nn/onnx_builder.py) also output the detection head's input feature maps, named
#: ``feats0``, ``feats1``, ...; the backend keeps them apart from the detection outputs (ReID uses them).
FEATURE_OUTPUT_PREFIX = "feats"
