"""The CUDA side of the ONNX Runtime backend: loading pip-installed CUDA / cuDNN libraries before a CUDA session
(:func:`preload_cuda_libraries`), the CUDA provider's options (:data:`CUDA_PROVIDER_OPTIONS`, :func:`cuda_provider`)
and whether ``half=True`` runs the fp16 graph (:func:`use_fp16_graph`).

Device parsing and the device rules (an explicit CUDA request that cannot start is an error; auto falls back to the
CPU with a warning) stay in nn/autobackend.py (``parse_device``, ``open_session``).
"""

from __future__ import annotations

import contextlib
import io
import logging

LOGGER = logging.getLogger("numa_ultralytics")

_PRELOADED: bool | None = None

#: Options of every CUDA session. ``use_tf32: 0``: fp32 convolutions and matrix products in full fp32, not TF32
#: (onnxruntime's CUDA provider turns TF32 on by default on Ampere and later). Measured on an NVIDIA H200
#: (bench/RESULTS.md "GPU path: measured on an H200"): with TF32 the people video's detections drift from the CPU's
#: (conf error up to 0.0026, 3130 of 3131 matched) and track ids agree 0.944 with the original's; with TF32 off every
#: parity figure is 1.0, at no cost at batch 1 (2.8 vs 3.0 ms per 640x640 run). TF32 gains only at large batches
#: (1.55x at 16); ``half=True`` (the fp16 graph) is the speed option on CUDA.
CUDA_PROVIDER_OPTIONS: dict[str, int] = {"use_tf32": 0}


def cuda_provider(device_id: int) -> tuple[str, dict[str, int]]:
    """The CUDA provider entry of a session's provider list, on GPU ``device_id``."""
    return ("CUDAExecutionProvider", {"device_id": device_id, **CUDA_PROVIDER_OPTIONS})


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
