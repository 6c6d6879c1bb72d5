"""A numpy array that also answers the torch-tensor calls user code makes on Ultralytics results.

``results[0].boxes.cls.cpu().tolist()``, ``boxes.id.int().cpu().tolist()``, ``.numpy()``,
``.item()``, ``int(x)``, indexing: all work on :class:`Tensor`, which *is* an ``np.ndarray``.
"""

from __future__ import annotations

import builtins
from typing import Any, Literal, cast

import numpy as np


class Tensor(np.ndarray):
    """``np.ndarray`` with the torch-style conversions (``cpu``, ``numpy``, ``int``, ``long``, ...)."""

    def __new__(cls, data: Any, dtype: Any = None) -> Tensor:
        return np.asarray(data, dtype=dtype).view(cls)

    # device moves are no-ops: everything lives in host memory
    def cpu(self) -> Tensor:
        return self

    def cuda(self, *args: Any, **kwargs: Any) -> Tensor:
        return self

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        dtype = kwargs.get("dtype")
        for a in args:
            if isinstance(a, (type, np.dtype)):
                dtype = a
        return self._as(dtype) if dtype is not None else self

    def _as(self, dtype: Any) -> Tensor:
        return cast(Tensor, self.astype(dtype))  # astype keeps the subclass

    def detach(self) -> Tensor:
        return self

    def clone(self) -> Tensor:
        return self.copy()

    def numpy(self) -> np.ndarray:
        return self.view(np.ndarray)

    def int(self) -> Tensor:
        return self._as(np.int32)

    def long(self) -> Tensor:
        return self._as(np.int64)

    def float(self) -> Tensor:
        return self._as(np.float32)

    def half(self) -> Tensor:
        return self._as(np.float16)

    def double(self) -> Tensor:
        return self._as(np.float64)

    def bool(self) -> Tensor:
        return self._as(np.bool_)

    # one element converts to a Python number whatever the shape (``int(box.cls)`` on a (1,) column), as a torch
    # tensor does; numpy 2 converts only 0-d arrays
    def _one(self, what: str) -> Any:
        if self.size != 1:
            raise TypeError(f"only one element tensors can be converted to Python {what}; this one has {self.size}")
        return self.reshape(()).view(np.ndarray)[()]

    def __int__(self) -> builtins.int:
        return builtins.int(self._one("scalars"))

    def __float__(self) -> builtins.float:
        return builtins.float(self._one("scalars"))

    def __complex__(self) -> complex:
        return complex(self._one("scalars"))

    def __bool__(self) -> builtins.bool:
        return builtins.bool(self._one("booleans"))

    def __index__(self) -> builtins.int:
        v = self._one("indices")
        if not np.issubdtype(self.dtype, np.integer):
            raise TypeError(f"only integer tensors of a single element can be converted to an index, not {self.dtype}")
        return builtins.int(v)

    def dim(self) -> builtins.int:
        return self.ndim

    def numel(self) -> builtins.int:
        return builtins.int(np.prod(self.shape))

    @property
    def device(self) -> Literal["cpu"]:
        return "cpu"

    @property
    def is_cuda(self) -> builtins.bool:
        return False


def as_tensor(x: Any, dtype: Any = None) -> Tensor:
    """View ``x`` as a :class:`Tensor` (no copy when it is already an array of ``dtype``)."""
    return Tensor(x, dtype=dtype)
