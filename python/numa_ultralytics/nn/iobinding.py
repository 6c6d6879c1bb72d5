"""ONNX Runtime IO binding for :class:`~numa_ultralytics.nn.autobackend.AutoBackend`: the frame's input is bound (on
CUDA: copied into one device buffer per input shape, reused), and the outputs land in host numpy buffers allocated
once per (input shape, outputs asked for) and reused on every later frame, so the hot path allocates nothing for
the session's inputs and outputs and the Rust post-processing reads the buffers as they are (no copy).

Results are identical to ``session.run`` (the same kernels write the same values; tests/test_gpu_path.py checks
it on the shared videos for static, dynamic and ``.pt``-built graphs, ``feats`` outputs and batch N > 1).

Lifetime: the arrays returned by :meth:`BoundRunner.run` are the reused buffers, valid until the next call with the
same input shape; ``ring=2`` (the default) alternates two sets, so the previous frame's outputs also stay valid
while the next frame runs. Everything in this package that reads them (engine/predictor.py: ``_core.postprocess``,
``_core.pool_features``, ``_core.dets_del``; engine/validator.py) copies what it keeps before the next call.
Turn it off with ``AutoBackend.io_binding = False`` or ``NUMA_ULTRALYTICS_IOBINDING=0`` (plain ``session.run``).

Threads: every thread has its own bindings and buffers (``threading.local``), so one model shared by many threads
gives each thread exactly what it gets alone (``session.run_with_iobinding`` on distinct bindings runs concurrently,
as ``session.run`` does; tests/test_threads.py). A thread's buffers go when the thread ends.

The first call for a new input shape runs plain ``session.run`` (the output shapes of dynamic models are not known
before) and remembers the output shapes; from the second call on, the buffers are bound. At most ``MAX_SHAPES``
input shapes keep buffers (the oldest is dropped).
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np

ENV_VAR = "NUMA_ULTRALYTICS_IOBINDING"
# Input shapes with bound buffers kept at once (a video has one; a folder of photos of many sizes drops the oldest).
MAX_SHAPES = 8

_Key = tuple[tuple[int, ...], tuple[str, ...]]  # (input shape, output names)
_NP_TYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(double)": np.float64}


def io_binding_default() -> bool:
    """IO binding on unless ``NUMA_ULTRALYTICS_IOBINDING`` is ``0`` / ``false`` / ``off`` / ``no``."""
    return os.environ.get(ENV_VAR, "1").strip().lower() not in ("0", "false", "off", "no")


class _Slot:
    """One IO binding with its output buffers (fixed input shape and output list)."""

    def __init__(self, binding: Any, buffers: list[np.ndarray], device_input: Any) -> None:
        self.binding = binding
        self.buffers = buffers
        self.device_input = device_input  # the OrtValue the input is copied into (stage_input), else None


class BoundRunner:
    """Runs ``session`` through IO binding with reused output buffers (see the module docstring)."""

    def __init__(
        self, session: Any, input_name: str, device: str, ring: int = 2, stage_input: bool | None = None
    ) -> None:
        """``stage_input``: copy each input into a buffer bound once (default: on CUDA, where that buffer is device
        memory); the CPU provider otherwise reads the caller's array in place. Tests stage on the CPU too, to run
        the CUDA path's logic without a GPU."""
        self.session = session
        self.input_name = input_name
        cuda = device.startswith("cuda")
        self.input_device = ("cuda", int(device.split(":")[1])) if cuda else ("cpu", 0)
        self.stage_input = cuda if stage_input is None else bool(stage_input)
        self.ring = max(1, int(ring))
        self.out_types = {o.name: _NP_TYPES.get(o.type) for o in session.get_outputs()}
        self._local = threading.local()  # each thread's tables (_slots, _shapes); clear() starts a new one

    def _tables(self) -> tuple[dict[_Key, list[Any]], dict[_Key, list[tuple[int, ...]]]]:
        """This thread's (input shape, output names) -> [slots, next slot index], and -> learned output shapes."""
        loc = self._local
        if not hasattr(loc, "slots"):
            loc.slots, loc.shapes = {}, {}
        return loc.slots, loc.shapes

    @property
    def _slots(self) -> dict[_Key, list[Any]]:
        return self._tables()[0]

    @property
    def _shapes(self) -> dict[_Key, list[tuple[int, ...]]]:
        return self._tables()[1]

    def _make_slot(self, shape: tuple[int, ...], dtype: Any, names: tuple[str, ...], out_shapes: list[Any]) -> _Slot:
        import onnxruntime as ort

        b = self.session.io_binding()
        device_input = None
        if self.stage_input:
            kind, idx = self.input_device
            device_input = ort.OrtValue.ortvalue_from_shape_and_type(list(shape), dtype, kind, idx)
            b.bind_ortvalue_input(self.input_name, device_input)
        buffers = []
        for name, s in zip(names, out_shapes):
            buf = np.empty(s, dtype=self.out_types[name])
            b.bind_output(name, "cpu", 0, buf.dtype, list(buf.shape), buf.ctypes.data)
            buffers.append(buf)
        return _Slot(b, buffers, device_input)

    def run(self, names: list[str], im: np.ndarray) -> list[np.ndarray]:
        """``session.run(names, {input: im})`` through the binding; returns the (reused) output arrays."""
        if not im.flags.c_contiguous:
            im = np.ascontiguousarray(im)
        key = (tuple(im.shape), tuple(names))
        slots_by_key, shapes = self._tables()  # this thread's
        entry = slots_by_key.get(key)
        if entry is None:
            if key not in shapes or any(self.out_types.get(n) is None for n in names):
                # first frame of this shape (learn the output shapes), or an output type this runner does not bind
                outs = self.session.run(names, {self.input_name: im})
                shapes[key] = [o.shape for o in outs]
                return list(outs)
            if len(slots_by_key) >= MAX_SHAPES:  # many image sizes (a folder of photos): drop the oldest shape's
                slots_by_key.pop(next(iter(slots_by_key)))
            entry = [[self._make_slot(key[0], im.dtype, key[1], shapes[key]) for _ in range(self.ring)], 0]
            slots_by_key[key] = entry
        slots, i = entry
        slot = slots[i]
        entry[1] = (i + 1) % len(slots)
        if slot.device_input is not None:
            slot.device_input.update_inplace(im)  # host -> device (CUDA), into the buffer bound once
        else:
            slot.binding.bind_cpu_input(self.input_name, im)  # the CPU provider reads the array in place
        self.session.run_with_iobinding(slot.binding)
        return list(slot.buffers)

    def clear(self) -> None:
        """Drop every thread's bindings and buffers (e.g. after a device change)."""
        self._local = threading.local()
