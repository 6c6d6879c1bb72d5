"""File and folder names, as Ultralytics' ``utils/files.py``: :func:`increment_path` picks the run folder
(``runs/segment/predict2``, ...) and a free crop file name."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["increment_path"]


def increment_path(path: os.PathLike | str, exist_ok: bool = False) -> Path:
    """``runs/segment/predict`` -> itself if free (or ``exist_ok``), else ``predict2``, ``predict3``, ...; an existing
    file ``crops/person/im.jpg`` -> ``im2.jpg``, ``im3.jpg``, ... (as Ultralytics)."""
    path = Path(path)
    if exist_ok or not path.exists():
        return path
    stem, suffix = (path.stem, path.suffix) if path.is_file() else (path.name, "")
    n = 2
    while True:
        p = path.with_name(f"{stem}{n}{suffix}")
        if not p.exists():
            return p
        n += 1
