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

    # torch names user code calls (``for c in boxes.cls.unique(): n = (boxes.cls == c).sum()``, ``xyxy.size(0)``,
    # ``conf.unsqueeze(1)``, ``xyxy.view(-1)``), as torch answers them
    @property
    def size(self) -> _Size:
        """The element count, as ``ndarray.size``; called, torch's ``size()`` / ``size(dim)``."""
        return _Size(np.ndarray.size.__get__(self), self.shape)

    def unique(
        self,
        sorted: builtins.bool = True,
        return_inverse: builtins.bool = False,
        return_counts: builtins.bool = False,
        dim: builtins.int | None = None,
    ) -> Any:
        """torch's ``unique``: the sorted distinct values (and the inverse indices, the counts when asked)."""
        out: Any = np.unique(  # type: ignore[call-overload]
            self.view(np.ndarray), return_inverse=return_inverse, return_counts=return_counts, axis=dim
        )
        if isinstance(out, tuple):
            return tuple(Tensor(o) for o in out)
        return Tensor(out)

    def unsqueeze(self, dim: builtins.int) -> Tensor:
        return cast(Tensor, np.expand_dims(self, dim))

    def view(self, *args: Any, **kwargs: Any) -> Any:
        """torch's ``view(*shape)`` (``view(-1)``, ``view(-1, 4)``, ``view((2, 12))``) reshapes; anything else is
        numpy's ``view`` (a dtype or an array type, as numpy itself calls it)."""
        shape = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
        if shape and not kwargs and all(isinstance(a, (builtins.int, np.integer)) and not isinstance(a, builtins.bool)
                                        for a in shape):  # fmt: skip
            return self.reshape(tuple(builtins.int(a) for a in shape))
        return super().view(*args, **kwargs)

    def numel(self) -> builtins.int:
        return builtins.int(np.prod(self.shape))

    @property
    def device(self) -> Literal["cpu"]:
        return "cpu"

    @property
    def is_cuda(self) -> builtins.bool:
        return False


class _Size(builtins.int):
    """``Tensor.size``: an ``int`` (numpy's element count) that, called, answers torch's ``size()`` (the shape) or
    ``size(dim)``."""

    shape: tuple[builtins.int, ...]

    def __new__(cls, n: builtins.int, shape: tuple[builtins.int, ...]) -> _Size:
        out = super().__new__(cls, n)
        out.shape = tuple(shape)
        return out

    def __call__(self, dim: builtins.int | None = None) -> Any:
        return self.shape if dim is None else self.shape[dim]


def as_tensor(x: Any, dtype: Any = None) -> Tensor:
    """View ``x`` as a :class:`Tensor` (no copy when it is already an array of ``dtype``)."""
    return Tensor(x, dtype=dtype)
