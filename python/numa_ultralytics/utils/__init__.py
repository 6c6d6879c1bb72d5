"""Small helpers shared by the package: plotting, progress bars, downloads, tensors (see the submodules), and the
names user code imports from ``ultralytics.utils``: ``ROOT``, ``YAML``, ``IterableSimpleNamespace``,
``DataExportMixin``."""

from __future__ import annotations

import ast
import csv
import io
import json
import logging
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

__all__ = ["ROOT", "YAML", "DataExportMixin", "IterableSimpleNamespace", "literal", "load_yaml_file"]

ROOT = Path(__file__).resolve().parents[1]  # the package folder (tracker YAMLs: ROOT / "trackers/cfg")


def literal(v: str | None) -> Any:
    """A Python literal written as text (``"640"``, ``"{0: 'person'}"``, ``"True"``) as its value; other text as it is,
    None as None (ONNX metadata values, ``key=value`` strings)."""
    if v is None:
        return None
    try:
        return ast.literal_eval(v)
    except (ValueError, SyntaxError):
        return v


class IterableSimpleNamespace(SimpleNamespace):
    """Ultralytics' ``IterableSimpleNamespace``: a ``SimpleNamespace`` iterating over ``(key, value)`` pairs, printed
    as ``key=value`` lines, with ``get(key, default)``."""

    def __iter__(self) -> Any:
        return iter(vars(self).items())

    def __str__(self) -> str:
        return "\n".join(f"{k}={v}" for k, v in vars(self).items())

    def __getattr__(self, attr: str) -> Any:  # only called for missing attributes
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{attr}'")

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)


#: Largest YAML file read (dataset and tracker YAMLs are a few KB; Objects365's 365 names ~10 KB).
MAX_YAML_BYTES = 1 << 20
#: Most values a YAML document may expand to, each use of an alias counted again (an "alias bomb" of a few hundred
#: bytes expands to 10**9; str() or repr() of it, or iterating it, would run for minutes).
MAX_YAML_VALUES = 100_000


def _yaml_expansion(node: Any, cap: int) -> int:
    """Values ``node`` expands to with aliases counted at every use (stops counting past ``cap``); -1 if a node
    contains itself."""
    import yaml

    weight: dict[int, int] = {}
    busy: set[int] = set()
    stack: list[tuple[Any, bool]] = [(node, False)]
    while stack:
        n, done = stack.pop()
        key = id(n)
        if done:
            busy.discard(key)
            kids = [x for kv in n.value for x in kv] if isinstance(n, yaml.MappingNode) else n.value
            weight[key] = min(cap + 1, 1 + sum(weight[id(k)] for k in kids))
            continue
        if key in weight:
            continue
        if key in busy:
            return -1
        if isinstance(n, yaml.ScalarNode):
            weight[key] = 1
            continue
        busy.add(key)
        stack.append((n, True))
        kids = [x for kv in n.value for x in kv] if isinstance(n, yaml.MappingNode) else n.value
        stack.extend((k, False) for k in kids if id(k) not in weight)
    return weight[id(node)]


def load_yaml_file(path: str | os.PathLike, what: str = "YAML file") -> Any:
    """A YAML file read with PyYAML's safe loader, bounded: a regular file (a FIFO or device would block) of at most
    ``MAX_YAML_BYTES``, expanding to at most ``MAX_YAML_VALUES`` values with aliases counted at every use. ``None``
    for an empty file. Every refusal is a ``ValueError`` naming ``what``, the file and the limit; nothing unbounded
    is ever formatted."""
    import stat

    import yaml

    with open(path, "rb", opener=lambda p, flags: os.open(p, flags | os.O_NONBLOCK)) as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"{what} '{path}' is not a regular file")
        raw = f.read(MAX_YAML_BYTES + 1)
    if len(raw) > MAX_YAML_BYTES:
        raise ValueError(f"{what} '{path}' is over {MAX_YAML_BYTES} bytes (MAX_YAML_BYTES); not a config file")
    loader = yaml.SafeLoader(raw.decode("utf-8-sig", errors="ignore"))
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as e:
            raise ValueError(f"{what} '{path}' is not valid YAML: {str(e)[:500]}") from None
        if node is None:
            return None
        n = _yaml_expansion(node, MAX_YAML_VALUES)
        if n < 0 or n > MAX_YAML_VALUES:
            raise ValueError(
                f"{what} '{path}' refused: its aliases expand to "
                + ("a value that contains itself" if n < 0 else f"over {MAX_YAML_VALUES} values (MAX_YAML_VALUES)")
            )
        try:
            return loader.construct_document(node)
        except yaml.YAMLError as e:
            raise ValueError(f"{what} '{path}' is not valid YAML: {str(e)[:500]}") from None
    finally:
        loader.dispose()


class YAML:
    """Ultralytics' ``YAML`` helper (PyYAML's safe loader and dumper): ``YAML.load(file)`` -> dict,
    ``YAML.save(file, data)``, ``YAML.print(file_or_dict)``."""

    @staticmethod
    def load(file: str | os.PathLike = "data.yaml", append_filename: bool = False) -> dict[str, Any]:
        """A YAML mapping file as a dict (``{}`` for an empty file); ``"None"`` values become None, as the original."""
        import yaml

        if not str(file).lower().endswith((".yaml", ".yml")):
            raise ValueError(f"Not a YAML file: {file}")
        with open(file, errors="ignore", encoding="utf-8") as f:
            try:
                data = yaml.safe_load(f)
            except yaml.YAMLError as e:
                raise ValueError(f"YAML syntax error in '{file}': {e}") from None
        if data is None:
            data = {}
        elif not isinstance(data, dict):
            raise ValueError(f"'{file}' is not a valid YAML mapping")
        if "None" in data.values():
            data = {k: None if v == "None" else v for k, v in data.items()}
        if append_filename:
            data["yaml_file"] = str(file)
        return data

    @staticmethod
    def save(file: str | os.PathLike = "data.yaml", data: dict[str, Any] | None = None, header: str = "") -> None:
        """Write ``data`` (top-level values of other types as their ``str``) to ``file``, creating its folder."""
        import yaml

        data = {} if data is None else data
        valid = (int, float, str, bool, list, tuple, dict, type(None))
        for k, v in data.items():
            if not isinstance(v, valid):
                data[k] = str(v)
        path = Path(file)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", errors="ignore", encoding="utf-8") as f:
            if header:
                f.write(header)
            yaml.safe_dump(data, f, sort_keys=False, allow_unicode=True)

    @staticmethod
    def dump(data: Any) -> str:
        """``data`` as YAML text (key order kept)."""
        import yaml

        return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=2**31 - 1))

    @classmethod
    def print(cls, yaml_file: str | os.PathLike | dict[str, Any]) -> None:
        """Log a YAML file or dict as YAML text."""
        data = cls.load(yaml_file) if isinstance(yaml_file, (str, os.PathLike)) else yaml_file
        logging.getLogger("numa_ultralytics").info(f"Printing '{yaml_file}'\n\n{cls.dump(data)}")


def _csv_value(v: Any) -> str:
    return repr(v) if isinstance(v, (dict, list, tuple, set)) else str(v)


class DataExportMixin:
    """``to_df`` / ``to_csv`` / ``to_json`` over a ``summary(normalize, decimals)`` list of dicts (``Results``,
    ``DetMetrics``, ``SegmentMetrics``), as Ultralytics' mixin. ``to_df`` returns a pandas ``DataFrame`` (the optional
    extra ``numa_ultralytics[pandas]``; the original returns a polars one); CSV and JSON need nothing."""

    def summary(self, normalize: bool = False, decimals: int = 5) -> list[dict[str, Any]]:
        raise NotImplementedError

    def to_df(self, normalize: bool = False, decimals: int = 5) -> Any:
        """``summary()`` as a pandas ``DataFrame`` (one row per item). Needs pandas, an optional extra."""
        import importlib

        try:
            pd = importlib.import_module("pandas")
        except ImportError as e:
            raise ImportError(
                f"{type(self).__name__}.to_df() needs pandas, which numa_ultralytics does not install by default: "
                'pip install "numa_ultralytics[pandas]" (or pip install pandas)'
            ) from e
        return pd.DataFrame(self.summary(normalize=normalize, decimals=decimals))

    def to_csv(self, normalize: bool = False, decimals: int = 5) -> str:
        """``summary()`` as CSV text (no pandas needed): a header of the summary's columns in first-seen order, one row
        per item; nested values (``box``, ``segments``) hold their ``repr``, as the original writes them."""
        rows = self.summary(normalize=normalize, decimals=decimals)
        cols: list[str] = []
        for row in rows:
            cols += [k for k in row if k not in cols]
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(cols)
        for row in rows:
            w.writerow(["" if row.get(c) is None else _csv_value(row[c]) for c in cols])
        return buf.getvalue()

    def to_json(self, normalize: bool = False, decimals: int = 5) -> str:
        """``summary()`` as JSON text (a list of objects), compact as 8.4.190 writes it (polars' ``write_json``)."""
        return json.dumps(self.summary(normalize=normalize, decimals=decimals), separators=(",", ":"))
