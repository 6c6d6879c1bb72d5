"""Whether OpenCV windows can be shown here, decided once per process, and showing a frame only then.

``show=True`` without a screen (a server, a container, CI) must not abort the process: OpenCV's Qt backend calls
``abort()`` when it cannot reach a display, which no ``try`` catches. So on Linux the check first needs ``DISPLAY`` or
``WAYLAND_DISPLAY`` (as Ultralytics' ``check_imshow``), then opens and closes a window in a child process; only when
that child exits cleanly are windows opened in this one. Elsewhere a window is tried here directly. Without a screen,
one warning is logged and nothing is shown.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from typing import Any

LOGGER = logging.getLogger("numa_ultralytics")

PROBE_TIMEOUT_S = 20.0  # a child that neither shows a window nor fails within this long counts as no screen
_PROBE = (
    "import cv2, numpy as np\n"
    "cv2.imshow('numa_ultralytics check', np.zeros((8, 8, 3), np.uint8))\n"
    "cv2.waitKey(1)\n"
    "cv2.destroyAllWindows()\n"
    "cv2.waitKey(1)\n"
)

_lock = threading.Lock()
_state: dict[str, Any] = {"ok": None, "why": "", "warned": False}


def _probe() -> tuple[bool, str]:
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False, "neither DISPLAY nor WAYLAND_DISPLAY is set"
    if sys.platform.startswith("linux"):
        try:
            p = subprocess.run(
                [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            return False, f"a test window could not be opened ({type(e).__name__})"
        if p.returncode != 0:
            last = (p.stderr.strip().splitlines() or [f"exit code {p.returncode}"])[-1]
            return False, f"a test window could not be opened: {last[:200]}"
        return True, ""
    try:
        import cv2
        import numpy as np

        cv2.imshow("numa_ultralytics check", np.zeros((8, 8, 3), np.uint8))
        cv2.waitKey(1)
        cv2.destroyAllWindows()
        cv2.waitKey(1)
    except Exception as e:  # noqa: BLE001 - any failure means no windows here
        return False, f"a test window could not be opened: {e}"
    return True, ""


def check_imshow(warn: bool = False) -> bool:
    """True when OpenCV windows can be shown in this process (checked once, then cached). ``warn``: log one warning
    (once per process) when they cannot."""
    with _lock:
        if _state["ok"] is None:
            _state["ok"], _state["why"] = _probe()
        if warn and not _state["ok"] and not _state["warned"]:
            _state["warned"] = True
            LOGGER.warning(f"WARNING show=True: this environment cannot show windows ({_state['why']}); not showing")
        return bool(_state["ok"])


def imshow(title: str, im: Any) -> int:
    """Show ``im`` in the window ``title`` and return ``cv2.waitKey(1)``'s key; without a screen, warn once and
    return -1."""
    if not check_imshow(warn=True):
        return -1
    import cv2

    cv2.imshow(title, im)
    return int(cv2.waitKey(1))
