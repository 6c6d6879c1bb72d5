"""Small helpers shared by the package: plotting, progress bars, downloads, tensors (see the submodules)."""

from __future__ import annotations

import ast
from typing import Any

__all__ = ["literal"]


def literal(v: str | None) -> Any:
    """A Python literal written as text (``"640"``, ``"{0: 'person'}"``, ``"True"``) as its value; other text as it is,
    None as None (ONNX metadata values, ``key=value`` strings)."""
    if v is None:
        return None
    try:
        return ast.literal_eval(v)
    except (ValueError, SyntaxError):
        return v
