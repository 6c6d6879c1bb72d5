"""Inert stand-ins for the module objects a ``.pt`` checkpoint's pickle holds.

The restricted unpickler (:mod:`numa_ultralytics.nn.pt_unpickler`) turns every ``torch.nn`` / Ultralytics module class
it allows into a :class:`StandIn` subclass: an object that records the pickled state (``__dict__``) and has no code of
the real class, so nothing of it can run. ``getattr(module, name)`` in a pickle gives a :class:`BoundMethodRef` (a
name, never a callable). The graph builder (:mod:`numa_ultralytics.nn.onnx_builder`) walks these objects.
"""

from __future__ import annotations

from typing import Any

from numa_ultralytics.nn.safety import UnsafeCheckpointError, short_repr

__all__ = ["BoundMethodRef", "StandIn"]


class _StandInMeta(type):
    """Stand-in classes are shared between loads: the pickle must not be able to modify them."""

    def __setattr__(cls, key: str, value: Any) -> None:
        raise UnsafeCheckpointError(f"checkpoint refused: its pickle tries to modify class {cls.__name__}.{key}")

    def __delattr__(cls, key: str) -> None:
        raise UnsafeCheckpointError(f"checkpoint refused: its pickle tries to modify class {cls.__name__}.{key}")


class StandIn(metaclass=_StandInMeta):
    """Inert replacement for a pickled class instance (a ``torch.nn.Module``, an Ultralytics module ...).

    It records the state the pickle gives it (``__dict__``) and the constructor arguments, and has no behaviour.
    ``cls_module`` / ``cls_name`` say which class it stands for.
    """

    cls_module: str = ""
    cls_name: str = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args:
            self.__dict__["_standin_args"] = args
        if kwargs:
            self.__dict__.update(kwargs)

    def __setstate__(self, state: Any) -> None:
        slots = None
        if isinstance(state, tuple) and len(state) == 2 and (state[0] is None or isinstance(state[0], dict)):
            state, slots = state
        if isinstance(state, dict):
            self.__dict__.update(state)
        elif state is not None:
            self.__dict__["_standin_state"] = state
        if isinstance(slots, dict):
            self.__dict__.update(slots)

    @classmethod
    def qualname(cls) -> str:
        return f"{cls.cls_module}.{cls.cls_name}"

    # Module-tree helpers (torch keeps children/parameters/buffers in these three dicts).
    def child(self, name: str) -> Any:
        for key in ("_modules", "_parameters", "_buffers"):
            d = self.__dict__.get(key)
            if isinstance(d, dict) and name in d:
                return d[name]
        if name in self.__dict__:
            return self.__dict__[name]
        raise AttributeError(f"{self.qualname()} has no attribute {short_repr(name)}")

    def has(self, name: str) -> bool:
        try:
            self.child(name)
        except AttributeError:
            return False
        return True

    def get(self, name: str, default: Any = None) -> Any:
        try:
            return self.child(name)
        except AttributeError:
            return default

    def children(self) -> list:
        mods = self.__dict__.get("_modules") or {}
        return [m for m in mods.values() if m is not None]

    def __repr__(self) -> str:
        return f"<StandIn {self.qualname()}>"


_STANDIN_CLASSES: dict[tuple[str, str], type] = {}


def _standin_class(module: str, name: str) -> type:
    key = (module, name)
    cls = _STANDIN_CLASSES.get(key)
    if cls is None:
        cls = type(name, (StandIn,), {"cls_module": module, "cls_name": name, "__module__": __name__})
        _STANDIN_CLASSES[key] = cls
    return cls


class BoundMethodRef:
    """What ``getattr(module, "forward_fuse")`` in a pickle becomes: a name, never a callable."""

    def __init__(self, owner: Any, name: str) -> None:
        self.owner = owner
        self.name = name

    def __repr__(self) -> str:
        return f"<BoundMethodRef {type(self.owner).__name__}.{self.name}>"
