"""The CUDA side of the ONNX Runtime backend: loading pip-installed CUDA / cuDNN libraries before a CUDA session
(:func:`preload_cuda_libraries`) and whether ``half=True`` runs the fp16 graph (:func:`use_fp16_graph`).

Device parsing and the device rules (an explicit CUDA request that cannot start is an error; auto falls back to the
CPU with a warning) stay in nn/autobackend.py (``parse_device``, ``open_session``).
"""

from __future__ import annotations

import contextlib
import io
import logging

LOGGER = logging.getLogger("numa_ultralytics")

_PRELOADED: bool | None = None


def preload_cuda_libraries() -> bool:
    """Call ``onnxruntime.preload_dlls()`` once per process (onnxruntime >= 1.21), so that a CUDA session finds the
    CUDA and cuDNN libraries that pip installed (the ``nvidia-*`` wheels) without ``LD_LIBRARY_PATH``.

    Called only on the way to a CUDA session (nn/autobackend.py ``open_session``), so CPU-only machines never pay
    for it. Never raises: an older onnxruntime without ``preload_dlls``, or libraries it cannot find, leave the
    normal library search to ONNX Runtime (whose failure to start CUDA is then reported by ``open_session``).
    ``preload_dlls`` prints what it could not load; that text goes to the debug log. Returns True when it ran.
    """
    global _PRELOADED
    if _PRELOADED is None:
        _PRELOADED = False
        try:
            import onnxruntime as ort

            preload = getattr(ort, "preload_dlls", None)
            if preload is not None:
                buf = io.StringIO()
                with contextlib.redirect_stdout(buf):
                    preload()
                _PRELOADED = True
                if buf.getvalue().strip():
                    LOGGER.debug(f"onnxruntime.preload_dlls: {buf.getvalue().strip()}")
        except Exception as e:  # noqa: BLE001  (a broken CUDA install must not break loading; open_session reports)
            LOGGER.debug(f"onnxruntime.preload_dlls failed: {e}")
    return _PRELOADED


def use_fp16_graph(device: str, half: bool) -> bool:
    """Whether ``half=True`` runs the fp16 graph (nn/fp16.py) on ``device`` (``"cpu"`` / ``"cuda"`` / ``"cuda:N"``):
    where nn/precision.py ``plan`` says fp16, i.e. on CUDA. On the CPU ``half`` is bf16 through OpenVINO or fp32 with a
    warning (the plan's): the fp16 graph does not help ONNX Runtime's CPU provider, which computes its ops in fp32
    through casts (measured here about as fast as fp32, 136 vs 143 ms at 640x640, and less accurate; bench/RESULTS.md
    "GPU path (issue 14)")."""
    if not half or not device.startswith("cuda"):
        return False
    from numa_ultralytics.nn.precision import plan

    return plan("cuda", half=True).precision == "fp16"
