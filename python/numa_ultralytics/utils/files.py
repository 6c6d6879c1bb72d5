"""File and folder names, as Ultralytics 8.4.190's ``utils/files.py`` and ``cfg.get_save_dir``: :func:`get_save_dir`
picks a run folder (``runs/segment/predict``, then ``predict-2``, ...) and :func:`increment_path` a free crop file name
(``crops/person/bus.jpg``, then ``bus-2.jpg``, ...)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["RUNS_DIR", "get_save_dir", "increment_path"]

RUNS_DIR = Path("runs")  # 8.4.190's settings ``runs_dir`` default: ``runs`` under the current folder
INCREMENT_SEP = "-"  # 8.4.190: ``predict-2``, ``bus-2.jpg`` (8.3 and older wrote ``predict2``)


def increment_path(path: os.PathLike | str, exist_ok: bool = False, sep: str = INCREMENT_SEP) -> Path:
    """``runs/segment/predict`` -> itself if free (or ``exist_ok``), else ``predict-2``, ``predict-3``, ...; an existing
    file ``crops/person/im.jpg`` -> ``im-2.jpg``, ``im-3.jpg``, ... (as 8.4.190)."""
    path = Path(path)
    if exist_ok or not path.exists():
        return path
    stem, suffix = (path.stem, path.suffix) if path.is_file() else (path.name, "")
    n = 2
    while True:
        p = path.with_name(f"{stem}{sep}{n}{suffix}")
        if not p.exists():
            return p
        n += 1


def get_save_dir(
    project: os.PathLike | str | None, name: str | None, task: str, mode: str, exist_ok: bool = False
) -> Path:
    """A run's folder, absolute, as 8.4.190's ``get_save_dir``: ``<project>/<name>`` for an absolute ``project``,
    else ``runs/<task>/<project>/<name>`` (``project=None``: ``runs/<task>/<name>``); ``name`` defaults to the mode
    (``predict``, ``track``, ``val``); incremented (``-2``, ``-3``, ...) unless ``exist_ok``. Not created here."""
    root = Path(project or "")
    if not root.is_absolute():
        root = RUNS_DIR / task / root
    return increment_path(root / (name or mode), exist_ok=exist_ok).resolve()
