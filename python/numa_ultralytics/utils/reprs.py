"""Bounded formatting of untrusted values for error messages: :func:`short_repr` is ``repr`` limited in depth, items
and length (``reprlib``), so a self-referencing or exponentially shared structure (a pickle, a YAML alias bomb) prints
in microseconds. A leaf (stdlib only): the argument checks (utils/args.py), the tracker configs and the model loaders
(nn/safety.py re-exports it) use it."""

from __future__ import annotations

import reprlib
from typing import Any

__all__ = ["short_repr"]


class _BoundedRepr(reprlib.Repr):
    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 3
        self.maxtuple = self.maxlist = self.maxarray = self.maxset = self.maxfrozenset = self.maxdeque = 6
        self.maxdict = 6
        self.maxstring = 60
        self.maxlong = 40
        self.maxother = 60

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 128:
            return f"<int of {x.bit_length()} bits>"
        return super().repr_int(x, level)

    def repr_OrderedDict(self, x: Any, level: int) -> str:
        return "OrderedDict(" + self.repr_dict(x, level) + ")"

    def repr_slice(self, x: slice, level: int) -> str:
        return (
            f"slice({self.repr1(x.start, level - 1)}, {self.repr1(x.stop, level - 1)}, {self.repr1(x.step, level - 1)})"
        )

    def repr_instance(self, x: Any, level: int) -> str:
        try:
            s = repr(x)
        except Exception:  # noqa: BLE001 - a broken __repr__ of an untrusted object
            return f"<{type(x).__name__} object>"
        if len(s) > self.maxother:
            i = max(0, (self.maxother - 3) // 2)
            j = max(0, self.maxother - 3 - i)
            s = s[:i] + "..." + s[len(s) - j :]
        return s


_REPR = _BoundedRepr()


def short_repr(value: Any, limit: int = 120) -> str:
    """``repr(value)`` bounded in depth, items and length (safe on self-referencing or huge pickled values)."""
    try:
        s = _REPR.repr(value)
    except Exception:  # noqa: BLE001 - a value whose repr fails: name its type only
        s = f"<{type(value).__name__}>"
    return s if len(s) <= limit else s[: limit - 3] + "..."
